/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "sensor.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../classify/device.h"
#include "../classify/dhcp.h"
#include "../classify/dpi.h"
#include "../classify/extract.h"
#include "../classify/flow.h"
#include "../classify/ident.h"
#include "../classify/mudrules.h"
#include "../classify/oui.h"
#include "../classify/prefix.h"
#include "../classify/baseline.h"
#include "../classify/dga.h"
#include "../common/hash.h"
#include "../classify/scan.h"
#include "../classify/verdict.h"
#include "quarantine_ev.h"
#include "sensor_mud.h"

#define PENDING_MAX 64 /* new devices awaiting their `device` event in one packet */
#define TRAFFIC_PKTS 16 /* first packets of a device that become traffic.packet features */
#define EVIDENCE_MAX 8	/* evidence entries in an `identity` event */

/* What the sensor keeps per device (mg_device.user). */
struct devx {
	struct mg_ident *id;
	struct mg_smud_dev mud;
	struct mg_scan *scan; /* NULL until it opens connections */
	struct mg_bl *bl;     /* NULL: [anomaly] enabled = no */
	struct mg_verdict vd;
	uint64_t anomalies;
	uint64_t last_conn; /* the last connection it opened: a retry of it is not new */
	uint64_t last_tx_us; /* its last packet, for device.behaviour "sleeps" */
	uint64_t woke_us;    /* its first packet after a silence, 0: none pending */
	uint64_t wake_epoch; /* the stretch of hearing its wakes were counted in */
	uint8_t wakes;	     /* rejoins of the network after a silence */
};

static struct devx *DX(const struct mg_device *d)
{
	return d ? d->user : NULL;
}

static struct mg_ident *ID(const struct mg_device *d)
{
	return DX(d) ? DX(d)->id : NULL;
}

static struct mg_smud_dev *MUD(const struct mg_device *d)
{
	return DX(d) ? &DX(d)->mud : NULL;
}

struct mg_sensor {
	struct mg_config cfg;
	struct mg_events *ev;
	struct mg_oui *oui;
	struct mg_prefixes *local;
	struct mg_dpi *dpi;
	struct mg_flowtab *flows;
	struct mg_devtab *devs;
	struct mg_rules *rules;
	struct mg_p0f *p0f;
	struct mg_fpmodel *model;
	struct mg_ident_cfg icfg;
	struct mg_smud *mud; /* NULL: [mud] enabled = no */
	bool mud_live;	     /* MUD retrieval off the packet thread (mg_sensor_live) */
	struct mg_scan_cfg scan;
	struct mg_baselines *bls; /* NULL: [anomaly] enabled = no */
	struct mg_verdict_cfg vcfg;
	struct mg_enf *enf; /* NULL: [enforce] backend = off */
	mg_sensor_flow_cb flow_cb;
	void *flow_user;

	/* Per-run state from here to the end: mg_sensor_reset zeroes it. */
	uint64_t now_us, stats_next_us, dev_expire_next_us;
	uint64_t clock_shift; /* added to packet time since it stepped back (advance) */
	/* what the sensor heard without a break since (a new file of a replay, a
	 * clock step): a device's silence across a break is not the device's */
	uint64_t heard_since_us;
	bool new_file;
	uint64_t clock_steps;
	bool started;

	uint64_t packets, bytes, non_ip;
	uint64_t anomalies[MG_ANOM__COUNT];
	uint64_t skipped[MG_SKIP__COUNT]; /* well-formed frames with no IP for us, why */
	uint64_t notes[MG_NOTE__COUNT];
	uint64_t dpi_detected, dpi_gave_up, dpi_active;
	struct mg_capture_stats cap;

	uint64_t malformed[MG_PARSER__COUNT];
	uint64_t identity_events;
	uint64_t anomaly_events;
	struct {
		uint64_t findings, quiet, repeats, held, quarantines, targets;
	} judged;
	uint64_t state_next_us, state_saves, state_save_errors;
	char state_err[256];
	bool enf_started;
	bool enf_dirty, enf_unsaved; /* the state file is behind; its last save failed */
	uint64_t enf_next_us;
	char enf_err[320]; /* the last failure reported */
	uint64_t enf_outcomes[MG_ENF_NOT_FOUND + 1];
	/* a quarantine verdict in the anomaly event being written */
	struct mg_device *verdict_dev;
	char verdict_reason[160];

	struct mg_device *pending[PENDING_MAX];
	unsigned n_pending;
	struct mg_device *dirty[2]; /* devices with new evidence in this packet */
	FILE *summary;
};

static const char *const note_names[MG_NOTE__COUNT] = {
	[MG_NOTE_FILE_TRUNCATED] = "files_truncated",
	[MG_NOTE_FILE_FAILED] = "files_failed",
};

static const char *proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case 1:
		return "ICMP";
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 58:
		return "IPv6-ICMP";
	default:
		snprintf(buf, len, "%u", p);
		return buf;
	}
}

static void ev_addr(struct mg_events *e, const char *key, const struct mg_addr *a)
{
	char buf[64];
	mg_ev_str(e, key, mg_addr_str(a, buf, sizeof(buf)));
}

static void ev_addr_list(struct mg_events *e, const char *key, const struct mg_dev_addr *a,
			 unsigned n)
{
	mg_ev_arr(e, key);
	for (unsigned i = 0; i < n; i++)
		ev_addr(e, NULL, &a[i].a);
	mg_ev_close(e);
}

/* The flow's 5-tuple, as its first packet went, in EVE's field names. */
static void ev_tuple5(struct mg_events *e, const struct mg_addr *cli, uint16_t cli_port,
		      const struct mg_addr *srv, uint16_t srv_port, uint8_t proto)
{
	char name[32];

	ev_addr(e, "src_ip", cli);
	if (proto == 6 || proto == 17)
		mg_ev_u64(e, "src_port", cli_port);
	ev_addr(e, "dest_ip", srv);
	if (proto == 6 || proto == 17)
		mg_ev_u64(e, "dest_port", srv_port);
	mg_ev_str(e, "proto", proto_name(proto, name, sizeof(name)));
}

static void ev_tuple(struct mg_events *e, const struct mg_flow *f)
{
	ev_tuple5(e, &f->cli, f->cli_port, &f->srv, f->srv_port, f->proto);
}

static void emit_device(struct mg_sensor *s, struct mg_device *d)
{
	struct mg_events *e = s->ev;

	mg_ev_begin(e, "device", d->first_us);
	mg_ev_mac(e, "mac", d->mac);
	mg_ev_str(e, "vendor", d->vendor);
	mg_ev_bool(e, "randomized_mac", d->randomized);
	ev_addr_list(e, "ipv4", d->v4, d->n_v4);
	ev_addr_list(e, "ipv6", d->v6, d->n_v6);
	mg_ev_emit(e);
}

static void flush_pending(struct mg_sensor *s)
{
	for (unsigned i = 0; i < s->n_pending; i++)
		emit_device(s, s->pending[i]);
	s->n_pending = 0;
}

static void emit_role(struct mg_sensor *s, struct mg_device *d)
{
	struct mg_events *e = s->ev;

	flush_pending(s); /* the device's own event comes first */
	mg_ev_begin(e, "role", s->now_us);
	mg_ev_mac(e, "mac", d->mac);
	mg_ev_str(e, "role", mg_role_name(d->role));
	mg_ev_arr(e, "reasons");
	if (d->gw_reasons & MG_GW_REMOTE)
		mg_ev_str(e, NULL, "remote_addresses_behind_mac");
	if (d->gw_reasons & MG_GW_DHCP)
		mg_ev_str(e, NULL, "dhcp_server");
	if (d->gw_reasons & MG_GW_RA)
		mg_ev_str(e, NULL, "ipv6_router_advertisement");
	mg_ev_close(e);
	mg_ev_u64(e, "remote_addresses", d->remote_srcs.n);
	mg_ev_emit(e);
}

static double round3(double v)
{
	return (double)(int64_t)(v * 1000 + 0.5) / 1000;
}

static void ev_identity_core(struct mg_sensor *s, struct mg_ident *id)
{
	struct mg_events *e = s->ev;
	struct mg_identity idt;

	mg_ident_get(id, &idt);
	mg_ev_str(e, "vendor", idt.value[MG_ATTR_VENDOR]);
	if (idt.vendor_source)
		mg_ev_str(e, "vendor_source", idt.vendor_source);
	mg_ev_str(e, "class", idt.value[MG_ATTR_CLASS]);
	mg_ev_str(e, "model", idt.value[MG_ATTR_MODEL]);
	if (s->model) /* learned type: a label of the model, or "unknown" */
		mg_ev_str(e, "type", idt.value[MG_ATTR_TYPE] ? idt.value[MG_ATTR_TYPE] : "unknown");
	mg_ev_f64(e, "confidence", round3(idt.confidence));
	mg_ev_obj(e, "scores");
	for (int a = 0; a < MG_ATTR__COUNT; a++)
		if (idt.value[a])
			mg_ev_f64(e, mg_attr_name((enum mg_attr)a), round3(idt.score[a]));
	mg_ev_close(e);
}

static void ev_software(struct mg_events *e, struct mg_ident *id)
{
	const struct mg_software *sw;
	size_t n = mg_ident_software(id, &sw);

	mg_ev_arr(e, "software");
	for (size_t i = 0; i < n; i++) {
		mg_ev_obj(e, NULL);
		mg_ev_str(e, "product", sw[i].product);
		mg_ev_str(e, "version", sw[i].version);
		mg_ev_str(e, "seen_in", mg_signal_name(sw[i].from));
		mg_ev_close(e);
	}
	mg_ev_close(e);
}

static void ev_fingerprint(struct mg_sensor *s, struct mg_ident *id)
{
	struct mg_events *e = s->ev;
	const struct mg_fp_result *r = mg_ident_model(id);

	if (!r)
		return;
	mg_ev_obj(e, "fingerprint");
	mg_ev_str(e, "label", r->label ? r->label : "unknown");
	mg_ev_f64(e, "similarity", round3(r->similarity));
	mg_ev_f64(e, "confidence", round3(r->confidence));
	mg_ev_str(e, "nearest", r->nearest);
	mg_ev_str(e, "runner_up", r->runner_up);
	mg_ev_close(e);
}

static void emit_identity(struct mg_sensor *s, struct mg_device *d)
{
	struct mg_events *e = s->ev;
	struct mg_ident *id = ID(d);
	struct mg_ident_use use[EVIDENCE_MAX];
	size_t n = mg_ident_used(id, use, EVIDENCE_MAX);

	flush_pending(s);
	s->identity_events++;
	mg_ev_begin(e, "identity", s->now_us);
	mg_ev_mac(e, "mac", d->mac);
	ev_identity_core(s, id);
	mg_ev_arr(e, "evidence");
	for (size_t i = 0; i < n && i < EVIDENCE_MAX; i++) {
		mg_ev_obj(e, NULL);
		mg_ev_str(e, "signal", mg_signal_name(use[i].sig));
		mg_ev_str(e, "value", use[i].value);
		mg_ev_str(e, "rule", use[i].rule);
		mg_ev_f64(e, "weight", round3(use[i].weight));
		mg_ev_arr(e, "supports");
		for (int a = 0; a < MG_ATTR__COUNT; a++)
			if (use[i].supports[a])
				mg_ev_str(e, NULL, mg_attr_name((enum mg_attr)a));
		mg_ev_close(e);
		mg_ev_close(e);
	}
	mg_ev_close(e);
	if (n > EVIDENCE_MAX)
		mg_ev_u64(e, "evidence_more", n - EVIDENCE_MAX);
	ev_software(e, id);
	ev_fingerprint(s, id);
	mg_ev_emit(e);
}

/* ---- MUD: bindings and violations ---- */

static void ev_profile(struct mg_events *e, const struct mg_mudprof *p)
{
	mg_ev_obj(e, "profile");
	mg_ev_str(e, "origin", p->origin);
	mg_ev_str(e, "signature", p->signature[0] ? p->signature : NULL);
	if (p->mud) {
		const struct mg_mud *m = p->mud;
		size_t n[2] = {0, 0};
		for (int dir = 0; dir < 2; dir++)
			for (size_t i = 0; i < m->npol[dir]; i++)
				n[dir] += m->pol[dir][i]->n;
		mg_ev_str(e, "systeminfo", m->systeminfo);
		mg_ev_str(e, "mfg_name", m->mfg_name);
		mg_ev_str(e, "model_name", m->model_name);
		mg_ev_str(e, "last_update", m->last_update);
		mg_ev_u64(e, "cache_validity_hours", m->cache_validity_h);
		mg_ev_u64(e, "from_device_entries", n[0]);
		mg_ev_u64(e, "to_device_entries", n[1]);
		mg_ev_u64(e, "warnings", p->warnings);
		if (p->warnings)
			mg_ev_str(e, "first_warning", p->warning);
	}
	if (p->error[0])
		mg_ev_str(e, "error", p->error);
	mg_ev_close(e);
}

/* @late: for the binding that ends a wait for the profile, the flows the
 * device opened meanwhile that are checked now and that went unchecked. */
static void emit_binding(struct mg_sensor *s, struct mg_device *d, const char *url,
			 const char *source, const char *rejected, const uint64_t *late)
{
	struct mg_events *e = s->ev;
	const struct mg_smud_dev *md = MUD(d);

	flush_pending(s);
	mg_ev_begin(e, "mud_binding", s->now_us);
	mg_ev_mac(e, "mac", d->mac);
	mg_ev_str(e, "mud_url", url);
	mg_ev_str(e, "source", source);
	if (rejected) {
		mg_ev_str(e, "status", "rejected");
		mg_ev_str(e, "reason", rejected);
	} else if (!md->prof) {
		mg_ev_str(e, "status", "no_profile");
		mg_ev_str(e, "reason", "the profile cache is full");
	} else if (md->awaiting) {
		mg_ev_str(e, "status", "pending");
		mg_ev_str(e, "reason", md->prof->waiting ? "waiting for room in the retrieval queue"
							 : "being retrieved");
	} else {
		mg_ev_str(e, "status", md->prof->mud ? "bound" : "no_profile");
		if (!md->prof->mud)
			mg_ev_str(e, "reason", md->prof->error);
		ev_profile(e, md->prof);
	}
	if (late) {
		mg_ev_u64(e, "flows_checked_late", late[0]);
		mg_ev_u64(e, "flows_unchecked", late[1]);
	}
	mg_ev_emit(e);
}

static void emit_violation(struct mg_sensor *s, struct mg_device *d, uint64_t flow_id,
			   const struct mg_mud_flow *mf, const struct mg_smud_result *r,
			   uint64_t late_us);

/* The wait for @d's profile ends: the binding event, then the flows it
 * opened meanwhile, checked at the time each began. */
static void mud_settle(struct mg_sensor *s, struct mg_device *d)
{
	struct mg_smud_dev *md = MUD(d);
	struct mg_smud_held *held;
	uint64_t late[2];
	size_t n = mg_smud_settle(s->mud, md, &held, late);

	emit_binding(s, d, md->url, md->source, NULL, late);
	for (size_t i = 0; i < n; i++) {
		const struct mg_smud_held *h = &held[i];
		const struct mg_device *peer =
			h->has_peer ? mg_devtab_find(s->devs, h->peer_mac) : NULL;
		struct mg_smud_result r;
		if (mg_smud_check(s->mud, md, ID(d), MUD(peer), &h->f, h->ts_us, &r) && r.emit)
			emit_violation(s, d, h->flow_id, &h->f, &r, h->ts_us);
	}
	free(held);
}

/* A retrieval finished (live): every device bound to @p hears of it. */
static void mud_arrived(void *user, const struct mg_mudprof *p)
{
	struct mg_sensor *s = user;

	for (struct mg_device *d = mg_devtab_first(s->devs); d; d = mg_devtab_next(d)) {
		struct mg_smud_dev *md = MUD(d);
		if (!md || md->prof != p)
			continue;
		if (md->awaiting) {
			md->version = p->version;
			mud_settle(s, d);
		} else if (md->version != p->version) {
			md->version = p->version;
			emit_binding(s, d, md->url, md->source, NULL, NULL);
		}
	}
}

static void mud_poll(struct mg_sensor *s)
{
	if (s->mud_live)
		mg_smud_poll(s->mud, s->now_us, mud_arrived, s);
}

/* A new binding: its event; when it ends a wait (bound anew to a profile
 * that is there), the held flows too. */
static void mud_bound(struct mg_sensor *s, struct mg_device *d)
{
	const struct mg_smud_dev *md = MUD(d);
	if (!md->awaiting && (md->n_held || md->held_over))
		mud_settle(s, d);
	else
		emit_binding(s, d, md->url, md->source, NULL, NULL);
}

static void mud_bind_url(struct mg_sensor *s, struct mg_device *d, enum mg_signal sig,
			 const char *url)
{
	char why[160];
	const char *source = sig == MG_SIG_DHCP_MUD_URL	   ? "dhcp"
			     : sig == MG_SIG_DHCP6_MUD_URL ? "dhcp6"
							   : "lldp";

	if (!s->mud || !MUD(d))
		return;
	switch (mg_smud_bind_url(s->mud, MUD(d), url, source, s->now_us, why, sizeof(why))) {
	case MG_SMUD_BOUND:
		mud_bound(s, d);
		break;
	case MG_SMUD_REJECTED:
		emit_binding(s, d, url, source, why, NULL);
		break;
	case MG_SMUD_SAME:
		break;
	}
}

static void mud_bind_rules(struct mg_sensor *s, struct mg_device *d)
{
	struct mg_identity idt;

	if (!s->mud || !MUD(d) || MUD(d)->by_device)
		return;
	mg_ident_get(ID(d), &idt);
	const char *attrs[4] = {idt.value[MG_ATTR_VENDOR], idt.value[MG_ATTR_CLASS],
				idt.value[MG_ATTR_MODEL], idt.value[MG_ATTR_TYPE]};
	if (mg_smud_bind_rules(s->mud, MUD(d), d->mac, attrs, s->now_us) == MG_SMUD_BOUND)
		mud_bound(s, d);
}

static void ev_mud_summary(struct mg_sensor *s, const struct mg_smud_dev *md)
{
	struct mg_events *e = s->ev;

	mg_ev_obj(e, "mud");
	mg_ev_str(e, "url", md->url);
	mg_ev_str(e, "source", md->source);
	mg_ev_str(e, "status", md->awaiting		   ? "pending"
			       : md->prof && md->prof->mud ? "bound"
							   : "no_profile");
	mg_ev_u64(e, "flows_checked", md->checked);
	mg_ev_u64(e, "violating_flows", md->violations);
	mg_ev_u64(e, "distinct_violations", md->seen.n);
	mg_ev_u64(e, "violation_events", md->events);
	mg_ev_u64(e, "suppressed", md->suppressed);
	if (s->mud_live) {
		mg_ev_u64(e, "flows_checked_late", md->checked_late);
		mg_ev_u64(e, "flows_unchecked", md->unchecked + md->n_held + md->held_over);
	}
	mg_ev_close(e);
}

static void enforce_verdict(struct mg_sensor *s, struct mg_device *d, const char *reason,
			    const char *ref);

/* @late_us: 0, or when the flow began if it is checked late (its device's
 * profile arrived after it). */
static void emit_violation(struct mg_sensor *s, struct mg_device *d, uint64_t flow_id,
			   const struct mg_mud_flow *mf, const struct mg_smud_result *r,
			   uint64_t late_us)
{
	struct mg_events *e = s->ev;
	const struct mg_smud_dev *md = MUD(d);
	const struct mg_mud_verdict *v = &r->v;

	flush_pending(s);
	mg_ev_begin(e, "mud_violation", s->now_us);
	mg_ev_mac(e, "mac", d->mac);
	mg_ev_u64(e, "flow_id", flow_id);
	if (mf->from_device)
		ev_tuple5(e, &mf->dev, mf->dev_port, &mf->peer, mf->peer_port, mf->proto);
	else
		ev_tuple5(e, &mf->peer, mf->peer_port, &mf->dev, mf->dev_port, mf->proto);
	if (mf->icmp_type >= 0) {
		mg_ev_u64(e, "icmp_type", (uint64_t)mf->icmp_type);
		mg_ev_u64(e, "icmp_code", (uint64_t)mf->icmp_code);
	}
	mg_ev_str(e, "direction", mf->from_device ? "from-device" : "to-device");
	mg_ev_str(e, "peer_name", r->peer_name);
	mg_ev_str(e, "mud_url", md->url);
	mg_ev_str(e, "binding", md->source);
	mg_ev_str(e, "reason", v->denied_by_entry ? "denied by an entry" : "no entry matched");
	mg_ev_str(e, "why", v->why);
	if (v->ace) {
		mg_ev_obj(e, v->denied_by_entry ? "entry" : "closest");
		mg_ev_str(e, "acl", v->acl->name);
		mg_ev_str(e, "ace", v->ace->name);
		if (!v->denied_by_entry)
			mg_ev_u64(e, "mismatches", v->mismatches);
		mg_ev_close(e);
	}
	mg_ev_u64(e, "distinct", r->distinct);
	if (late_us) {
		mg_ev_bool(e, "checked_late", true);
		mg_ev_ts(e, "flow_start", late_us);
	}
	mg_ev_str(e, "verdict", r->quarantine ? "quarantine" : "alert");
	mg_ev_emit(e);
	if (r->quarantine) {
		char reason[160], ts[40], ref[64];
		snprintf(reason, sizeof(reason), "mud_violation: %.140s", v->why);
		mg_ts_str(s->now_us, ts, sizeof(ts));
		snprintf(ref, sizeof(ref), "mud_violation %s", ts);
		enforce_verdict(s, d, reason, ref);
	}
}

/* ---- enforcement ---- */

static void enf_note(void *user, enum mg_enf_note what, const uint8_t *mac, const char *detail)
{
	struct mg_sensor *s = user;
	s->enf_dirty |= what == MG_ENF_EXPIRED || what == MG_ENF_RESTORED || what == MG_ENF_ADOPTED;
	flush_pending(s);
	mg_qev_note(s->ev, s->now_us, s->enf, what, mac, detail);
}

/* A quarantine verdict on @d: the enforcer decides what happens. */
static void enforce_verdict(struct mg_sensor *s, struct mg_device *d, const char *reason,
			    const char *ref)
{
	struct mg_addr addrs[MG_DEV_MAX_V4 + MG_DEV_MAX_V6];
	struct mg_enf_result r;
	struct mg_dev_stats ds;
	unsigned n = 0;

	for (unsigned i = 0; i < d->n_v4; i++)
		addrs[n++] = d->v4[i].a;
	for (unsigned i = 0; i < d->n_v6; i++)
		addrs[n++] = d->v6[i].a;
	if (!s->enf) { /* no enforcer here: published for one elsewhere */
		flush_pending(s);
		mg_qev_verdict(s->ev, s->now_us, d->mac, addrs, n, reason, ref);
		return;
	}
	if (!s->enf_started)
		return;
	mg_devtab_stats(s->devs, &ds);
	if (mg_enf_quarantine(s->enf, d->mac, addrs, n, reason, ref, s->now_us, ds.active, &r) < 0 ||
	    r.outcome == MG_ENF_ALREADY)
		return;
	s->enf_outcomes[r.outcome]++;
	s->enf_dirty = true; /* saved within a second (enforce_tick) */
	flush_pending(s);
	mg_qev_quarantine(s->ev, s->now_us, s->enf, d->mac, reason, ref, "mudguard", &r);
	if (r.circuit_opened)
		mg_qev_circuit(s->ev, s->now_us, s->enf, &r, ds.active);
}

/* Once a second: set up (until that works), expiries, the table still there.
 * A failure is an event when it is new, not every second. */
static void log_stderr(void *user, const char *line)
{
	(void)user;
	fprintf(stderr, "mudguard: %s\n", line);
}

static void enforce_tick(struct mg_sensor *s)
{
	char err[320] = "";
	int rc = 0;

	if (!s->enf || s->now_us < s->enf_next_us)
		return;
	s->enf_next_us = s->now_us + 1000000u;
	if (!s->enf_started) {
		rc = mg_enf_start(s->enf, s->now_us, enf_note, s, err, sizeof(err));
		s->enf_started = rc == 0;
	}
	if (s->enf_started) {
		mg_enf_expire(s->enf, s->now_us, enf_note, s);
		rc = mg_enf_check(s->enf, s->now_us, enf_note, s, err, sizeof(err));
	}
	if (rc >= 0) {
		s->enf_err[0] = 0;
	} else if (strcmp(err, s->enf_err)) {
		snprintf(s->enf_err, sizeof(s->enf_err), "%s", err);
		enf_note(s, MG_ENF_ERROR, NULL, err);
	}
	if (s->enf_dirty || s->enf_unsaved) { /* a crash loses no quarantine */
		s->enf_dirty = false;
		mg_qev_save(s->ev, s->now_us, s->enf, &s->enf_unsaved, log_stderr);
	}
}

/* ---- anomalies ---- */

/* Detectors beyond the scan module's kinds, numbered after them: each is a
 * bit in the verdict's episode. */
enum {
	DET_RATE = MG_SCAN__KINDS,
	DET_NXDOMAIN,
	DET_DGA,
	DET_NEW_PEER,
	DET_NEW_SERVICE,
	DET_NEW_PROTOCOL,
	DET_EXPOSURE,
	DET_CLEARTEXT,
	DET__N
};

static const char *const det_names[DET__N - MG_SCAN__KINDS] = {
	"rate", "nxdomain_burst", "dga", "new_peer", "new_service", "new_protocol",
	"inbound_exposure", "cleartext_credentials"};

static const char *det_name(unsigned det)
{
	return det < MG_SCAN__KINDS ? mg_scan_kind_name((enum mg_scan_kind)det)
				    : det_names[det - MG_SCAN__KINDS];
}

/* True while @d's traffic is not evidence (a quarantine verdict holds); its
 * interval is then not learned either. */
static bool held(struct mg_sensor *s, struct mg_device *d)
{
	struct devx *dx = DX(d);
	if (!dx || !mg_verdict_held(&dx->vd, s->now_us))
		return false;
	if (dx->bl)
		mg_bl_hold(dx->bl);
	return true;
}

/* Writes the head of an `anomaly` event of @det on @d, open at its "evidence"
 * object. @combined NULL: a finding about @d that is not evidence against it
 * (it is the target of an attack): no combined score, no episode. */
static void open_anomaly(struct mg_sensor *s, struct mg_device *d, unsigned det, double score,
			 const double *combined, const char *verdict, const char *why)
{
	struct mg_events *e = s->ev;
	struct devx *dx = DX(d);

	flush_pending(s);
	s->anomaly_events++;
	dx->anomalies++;
	mg_ev_begin(e, "anomaly", s->now_us);
	mg_ev_mac(e, "mac", d->mac);
	mg_ev_str(e, "detector", det_name(det));
	mg_ev_f64(e, "score", score);
	if (combined)
		mg_ev_f64(e, "combined_score", *combined);
	else
		mg_ev_str(e, "role", "target");
	mg_ev_str(e, "verdict", verdict);
	mg_ev_str(e, "why", why);
	if (combined) {
		mg_ev_arr(e, "episode"); /* the detectors whose findings combined */
		for (unsigned i = 0; i < DET__N; i++)
			if (dx->vd.reported & 1u << i)
				mg_ev_str(e, NULL, det_name(i));
		mg_ev_close(e);
	}
	if (dx->bl)
		mg_ev_bool(e, "learning", mg_bl_learning(dx->bl, s->now_us));
	mg_ev_obj(e, "evidence");
}

/* The window, threshold and sample addresses (as @samples) of finding @x. */
static void ev_window(struct mg_events *e, const struct mg_scan_finding *x, const char *samples)
{
	char a[64];

	mg_ev_u64(e, "window_s", x->window_s);
	mg_ev_u64(e, "threshold", x->threshold);
	mg_ev_arr(e, samples);
	for (unsigned i = 0; i < x->nsample; i++)
		mg_ev_str(e, NULL, mg_addr_str(&x->sample[i], a, sizeof(a)));
	mg_ev_close(e);
}

/* Judges a finding of @det with @score (0..1) on @d. Returns true with an
 * `anomaly` event open at its "evidence" object when it is to be reported:
 * the caller adds the evidence and calls end_anomaly. Otherwise it is counted. */
static bool begin_anomaly(struct mg_sensor *s, struct mg_device *d, unsigned det, double score,
			  const char *why)
{
	struct devx *dx = DX(d);
	double combined;

	if (!dx)
		return false;
	s->judged.findings++;
	if (dx->bl)
		mg_bl_hold(dx->bl); /* an interval with a finding is not normal */
	enum mg_verdict_out v = mg_verdict_add(&dx->vd, &s->vcfg, det, score, s->now_us, &combined);
	switch (v) {
	case MG_VD_QUIET:
		s->judged.quiet++;
		return false;
	case MG_VD_REPEAT:
		s->judged.repeats++;
		return false;
	case MG_VD_HELD:
		s->judged.held++;
		return false;
	default:
		break;
	}
	s->judged.quarantines += v == MG_VD_QUARANTINE;
	if (v == MG_VD_QUARANTINE) {
		s->verdict_dev = d;
		snprintf(s->verdict_reason, sizeof(s->verdict_reason), "%s: %.120s", det_name(det),
			 why);
	}
	open_anomaly(s, d, det, score, &combined, v == MG_VD_QUARANTINE ? "quarantine" : "alert",
		     why);
	return true;
}

static void end_anomaly(struct mg_sensor *s)
{
	char ts[40], ref[64];

	mg_ev_close(s->ev);
	mg_ev_emit(s->ev);
	if (s->verdict_dev) {
		struct mg_device *d = s->verdict_dev;
		s->verdict_dev = NULL;
		mg_ts_str(s->now_us, ts, sizeof(ts));
		snprintf(ref, sizeof(ref), "anomaly %s", ts);
		enforce_verdict(s, d, s->verdict_reason, ref);
	}
}

static void emit_scan(struct mg_sensor *s, struct mg_device *d, const struct mg_scan_finding *x)
{
	struct mg_events *e = s->ev;
	char why[256], a[64];

	switch (x->kind) {
	case MG_SCAN_MIRAI:
		snprintf(why, sizeof(why),
			 "%u SYNs whose sequence number is their destination address (Mirai's "
			 "scanner) within %u s",
			 x->mirai, x->window_s);
		break;
	case MG_SCAN_FANOUT:
		snprintf(why, sizeof(why), "connections to %u addresses on port %u within %u s%s",
			 x->distinct, x->port, x->window_s,
			 x->score >= 0.9 ? ", a port IoT malware hunts for" : "");
		break;
	case MG_SCAN_LATERAL:
		snprintf(why, sizeof(why), "probed %u local hosts on %u ports within %u s",
			 x->distinct, x->ports, x->window_s);
		break;
	case MG_SCAN_PORTS:
		snprintf(why, sizeof(why), "connections to %u ports of %u address%s within %u s",
			 x->ports, x->distinct, x->distinct == 1 ? "" : "es", x->window_s);
		break;
	case MG_SCAN_CONNECT_STORM: {
		static const char *const ans[MG_ANSWER__N] = {"nothing", "a RST", "an ICMP unreachable",
							      "a SYN-ACK"};
		snprintf(why, sizeof(why),
			 "%u %s within one second to %s port %u from %u source port%s, the last "
			 "answered by %s: one connection retried, not a flood",
			 x->rate, x->proto == 6 ? "TCP connection attempts" : "resends of a UDP datagram",
			 mg_addr_str(&x->sample[0], a, sizeof(a)), x->port, x->sports,
			 x->sports == 1 ? "" : "s", ans[x->answer]);
		break;
	}
	default: {
		static const char *const what[] = {"SYNs", "new UDP flows", "ICMP echo requests",
						   "DNS queries"};
		unsigned k = x->kind - MG_SCAN_SYN_FLOOD;
		snprintf(why, sizeof(why),
			 "%u %s within one second at %u target%s; the threshold was %u",
			 x->rate, what[k < 4 ? k : 0], x->targets, x->targets == 1 ? "" : "s",
			 x->threshold);
	}
	}
	if (!begin_anomaly(s, d, x->kind, x->score, why))
		return;
	if (x->kind == MG_SCAN_CONNECT_STORM) {
		mg_ev_str(e, "peer", a);
		mg_ev_u64(e, "port", x->port);
		mg_ev_str(e, "protocol", x->proto == 6 ? "TCP" : "UDP");
		mg_ev_str(e, "answer", mg_scan_answer_name(x->answer));
		mg_ev_u64(e, "attempts", x->rate);
		mg_ev_u64(e, "source_ports", x->sports);
		mg_ev_u64(e, "destinations", x->targets);
		mg_ev_u64(e, "window_s", x->window_s);
		mg_ev_u64(e, "threshold", x->threshold);
		end_anomaly(s);
		return;
	}
	if (x->kind < MG_SCAN_SYN_FLOOD) {
		mg_ev_u64(e, "port", x->port);
		mg_ev_u64(e, "distinct", x->distinct);
	}
	if (x->kind == MG_SCAN_LATERAL || x->kind == MG_SCAN_PORTS)
		mg_ev_u64(e, "ports", x->ports);
	if (x->kind >= MG_SCAN_SYN_FLOOD) {
		mg_ev_u64(e, "rate_per_s", x->rate);
		mg_ev_u64(e, "destinations", x->targets);
		if (x->proto)
			mg_ev_u64(e, "source_ports", x->sports);
		if (DX(d)->bl) {
			static const enum mg_bl_metric m[] = {MG_BL_SYN, MG_BL_UDP, MG_BL_ICMP,
							      MG_BL_DNS};
			mg_ev_u64(e, "baseline_high_per_interval",
				  mg_bl_high(DX(d)->bl, m[x->kind - MG_SCAN_SYN_FLOOD]));
			mg_ev_u64(e, "interval_s", s->cfg.baseline_interval);
		}
	} else {
		mg_ev_u64(e, "mirai_syns", x->mirai);
	}
	ev_window(e, x, "sample_destinations");
	end_anomaly(s);
}

/* @d is the target of a flood: reported, but not evidence against it. */
static void emit_target(struct mg_sensor *s, struct mg_device *d, const struct mg_scan_finding *x)
{
	struct mg_events *e = s->ev;
	char why[256];
	bool syn = x->kind == MG_SCAN_SYN_TARGET;

	s->judged.targets++;
	if (syn)
		snprintf(why, sizeof(why),
			 "received %u SYNs within one second on port %u from %u source%s (%u "
			 "connections): the target of a SYN flood",
			 x->rate, x->port, x->sources, x->sources == 1 ? "" : "s", x->flows);
	else
		snprintf(why, sizeof(why),
			 "received %u UDP datagrams from port %u it never asked for within one "
			 "second from %u source%s: the target of a reflection flood",
			 x->rate, x->port, x->sources, x->sources == 1 ? "" : "s");
	open_anomaly(s, d, x->kind, x->score, NULL, "alert", why);
	mg_ev_str(e, "protocol", syn ? "TCP" : "UDP");
	mg_ev_u64(e, syn ? "port" : "source_port", x->port);
	mg_ev_u64(e, "rate_per_s", x->rate);
	mg_ev_u64(e, "sources", x->sources);
	mg_ev_u64(e, "flows", x->flows);
	ev_window(e, x, "sample_sources");
	end_anomaly(s);
}

/* Counts @n of @m for @d's baseline; a rate far beyond it is a finding. */
static void bl_count(struct mg_sensor *s, struct mg_device *d, enum mg_bl_metric m, uint64_t n)
{
	struct mg_bl_rate r;
	char why[256];

	if (!DX(d) || !DX(d)->bl || !mg_bl_add(DX(d)->bl, s->bls, m, n, s->now_us, &r))
		return;
	bool nx = m == MG_BL_NXDOMAIN;
	snprintf(why, sizeof(why),
		 "%llu %s in %u s; this device's learned high is %llu per interval, so more than "
		 "%llu is far beyond it",
		 (unsigned long long)r.count, nx ? "NXDOMAIN answers" : mg_bl_metric_name(m),
		 r.interval_s, (unsigned long long)r.high, (unsigned long long)r.threshold);
	if (!begin_anomaly(s, d, nx ? DET_NXDOMAIN : DET_RATE, nx ? 0.6 : 0.5, why))
		return;
	mg_ev_str(s->ev, "metric", mg_bl_metric_name(m));
	mg_ev_u64(s->ev, "count", r.count);
	mg_ev_u64(s->ev, "interval_s", r.interval_s);
	mg_ev_u64(s->ev, "baseline_high", r.high);
	mg_ev_u64(s->ev, "threshold", r.threshold);
	end_anomaly(s);
}

/* Findings about new things weigh less on a device with many of them
 * already: a laptop meets new services every day, a plug does not. */
static double novelty_weight(uint32_t known)
{
	return known <= 8 ? 1.0 : 8.0 / known;
}

/* Ports and nDPI protocols a compromised IoT device tends to start using:
 * remote shells, IRC command channels, Tor and proxies, SMB, RDP, VNC. */
static bool risky_port(uint16_t port)
{
	static const uint16_t p[] = {22, 23, 2323, 445, 1080, 3389, 4444, 5555, 5900,
				     6666, 6667, 6668, 6669, 7547, 9001, 9050, 37215, 52869};
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (p[i] == port)
			return true;
	return false;
}

static bool risky_protocol(const char *name)
{
	static const char *const r[] = {"IRC", "Telnet", "SSH", "Tor", "RDP", "VNC", "SMBv1",
					"SMBv23", "Socks", "TeamViewer", "AnyDesk"};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (!strcmp(name, r[i]) || (!strncmp(name, r[i], strlen(r[i])) &&
					    name[strlen(r[i])] == '.'))
			return true;
	return false;
}

/* Evidence of one flow: its tuple, with the flow id. */
static void ev_flow(struct mg_sensor *s, const struct mg_flow *f)
{
	mg_ev_obj(s->ev, "flow");
	mg_ev_u64(s->ev, "flow_id", f->id);
	ev_tuple(s->ev, f);
	mg_ev_close(s->ev);
}

/* May what @d does now be learned as normal? Not during an episode. */
static bool calm(struct mg_sensor *s, struct mg_device *d)
{
	return mg_verdict_calm(&DX(d)->vd, &s->vcfg, s->now_us);
}

static uint64_t key_of(char tag, const void *p, size_t n)
{
	return mg_fnv1a(mg_fnv1a(MG_FNV_INIT, &tag, 1), p, n);
}

/* A flow @d opened: new remote endpoints and new services. */
static void novelty_out(struct mg_sensor *s, struct mg_device *d, const struct mg_flow *f)
{
	struct mg_bl *bl = DX(d)->bl;
	char why[512], addr[64];
	uint32_t known;
	bool group = mg_addr_is_group(&f->srv) || (f->srv.b[12] == 255 && f->srv.b[15] == 255);
	bool local = mg_devtab_is_local(s->devs, &f->srv);

	/* the service: protocol and port (ephemeral ones folded), or ICMP */
	struct {
		uint8_t dir, proto;
		uint16_t port;
	} svc = {0, f->proto, f->proto == 6 || f->proto == 17 ? f->srv_port : 0};
	if (svc.port >= 49152)
		svc.port = 49152;
	if (mg_bl_novel(bl, MG_BL_SERVICE, key_of('s', &svc, sizeof(svc)), s->now_us, calm(s, d),
			&known)) {
		bool risky = svc.port && risky_port(svc.port);
		char pn[16];
		snprintf(why, sizeof(why),
			 "first %s connection to port %u%s after learning; the device knew %u "
			 "service%s",
			 proto_name(f->proto, pn, sizeof(pn)), svc.port,
			 risky ? " (a remote shell, C2 or proxy port)" : "", known,
			 known == 1 ? "" : "s");
		if (begin_anomaly(s, d, DET_NEW_SERVICE, (risky ? 0.6 : 0.25) * novelty_weight(known),
				  why)) {
			mg_ev_u64(s->ev, "port", svc.port);
			mg_ev_u64(s->ev, "known_services", known);
			ev_flow(s, f);
			end_anomaly(s);
		}
	}
	if (group || local)
		return;
	/* the endpoint: the registrable domain of the name the device resolved,
	 * else the /24 or /48 around the address */
	const char *name = mg_ident_dns_name(ID(d), &f->srv, s->now_us);
	const char *reg = name ? mg_dns_registrable(name) : NULL;
	uint64_t key;
	if (reg) {
		key = key_of('c', reg, strlen(reg));
	} else {
		struct mg_addr pfx = f->srv;
		bool v4 = mg_addr_is_v4(&pfx);
		memset(pfx.b + (v4 ? 15 : 6), 0, v4 ? 1 : 10);
		key = key_of('c', pfx.b, sizeof(pfx.b));
	}
	if (!mg_bl_novel(bl, MG_BL_ENDPOINT, key, s->now_us, calm(s, d), &known))
		return;
	char dga_why[128] = "";
	double dga = reg ? mg_dga_score(reg, dga_why, sizeof(dga_why)) : 0, score;
	mg_addr_str(&f->srv, addr, sizeof(addr));
	if (dga >= 0.6) {
		score = 0.8;
		snprintf(why, sizeof(why),
			 "connected to %s (%s), a domain never seen before that looks machine-"
			 "generated (%s)", reg, addr, dga_why);
	} else if (reg) {
		score = 0.25;
		snprintf(why, sizeof(why), "connected to %s (%s), a domain it never used before",
			 reg, addr);
	} else {
		score = 0.35;
		snprintf(why, sizeof(why),
			 "connected to %s without resolving a name, in a network it never "
			 "reached before", addr);
	}
	if (begin_anomaly(s, d, DET_NEW_PEER, score * novelty_weight(known / 2), why)) {
		if (reg)
			mg_ev_str(s->ev, "domain", reg);
		if (name)
			mg_ev_str(s->ev, "name", name);
		if (reg)
			mg_ev_f64(s->ev, "dga_score", dga);
		mg_ev_u64(s->ev, "known_endpoints", known);
		ev_flow(s, f);
		end_anomaly(s);
	}
}

/* @d (the server of @f) answered a connection from outside the local networks. */
static void exposure(struct mg_sensor *s, struct mg_device *d, const struct mg_flow *f)
{
	struct mg_bl *bl = DX(d)->bl;
	char why[256], addr[64], pn[16];
	uint32_t known;
	struct {
		uint8_t dir, proto;
		uint16_t port;
	} svc = {1, f->proto, f->srv_port};
	bool risky = risky_port(f->srv_port);

	/* a shell port answered from the Internet is news even while learning, and
	 * never learned as normal */
	if (!mg_bl_novel(bl, MG_BL_SERVICE, key_of('s', &svc, sizeof(svc)), s->now_us,
			 !risky && calm(s, d), &known) &&
	    !(risky && mg_bl_learning(bl, s->now_us)))
		return;
	snprintf(why, sizeof(why), "answered a %s connection to port %u from %s, outside the "
				   "local networks%s",
		 proto_name(f->proto, pn, sizeof(pn)), f->srv_port,
		 mg_addr_str(&f->cli, addr, sizeof(addr)),
		 risky ? "; the port is a remote shell's" : "");
	if (begin_anomaly(s, d, DET_EXPOSURE, risky ? 0.7 : 0.4 * novelty_weight(known), why)) {
		mg_ev_u64(s->ev, "port", f->srv_port);
		mg_ev_str(s->ev, "remote", addr);
		ev_flow(s, f);
		end_anomaly(s);
	}
}

/* DPI named @f's protocol: new protocols, and credentials in clear text. */
static void novelty_proto(struct mg_sensor *s, const struct mg_flow *f, bool cleartext)
{
	uint32_t key = (uint32_t)f->app_master << 16 | f->app_proto, known;
	char name[128], why[384];

	if (!key || !f->has_mac)
		return;
	mg_dpi_name(s->dpi, f->app_master, f->app_proto, name, sizeof(name));
	for (int end = 0; end < 2; end++) {
		struct mg_device *d = mg_devtab_find(s->devs, end ? f->srv_mac : f->cli_mac);
		/* a router's MAC carries the Internet's traffic: not its own */
		if (!DX(d) || !DX(d)->bl || !mg_devtab_is_local(s->devs, end ? &f->srv : &f->cli) ||
		    held(s, d))
			continue;
		struct mg_bl *bl = DX(d)->bl;
		bool learn = calm(s, d);
		if (cleartext &&
		    mg_bl_novel(bl, MG_BL_PROTOCOL, key_of('x', &key, sizeof(key)), s->now_us, learn,
				&known)) {
			snprintf(why, sizeof(why), "credentials %s in clear text over %s",
				 end ? "received" : "sent", name);
			if (begin_anomaly(s, d, DET_CLEARTEXT, 0.5, why)) {
				mg_ev_str(s->ev, "protocol", name);
				ev_flow(s, f);
				end_anomaly(s);
			}
		}
		if (end || !mg_bl_novel(bl, MG_BL_PROTOCOL, key_of('p', &key, sizeof(key)),
					s->now_us, learn, &known))
			continue;
		bool risky = risky_protocol(name);
		snprintf(why, sizeof(why), "first %s flow after learning%s; the device knew %u "
					   "protocol%s",
			 name, risky ? " (a remote shell, C2 or tunnel protocol)" : "", known,
			 known == 1 ? "" : "s");
		if (begin_anomaly(s, d, DET_NEW_PROTOCOL,
				  (risky ? 0.85 : 0.25) * novelty_weight(known), why)) {
			mg_ev_str(s->ev, "protocol", name);
			mg_ev_u64(s->ev, "known_protocols", known);
			ev_flow(s, f);
			end_anomaly(s);
		}
	}
}

/* A DNS query from @d: a domain new to it that looks machine-generated. */
static void dns_query(struct mg_sensor *s, struct mg_device *d, const char *qname)
{
	uint32_t known;
	const char *reg = mg_dns_registrable(qname);
	char why[384], dga_why[128];

	if (!DX(d)->bl || !mg_bl_novel(DX(d)->bl, MG_BL_ENDPOINT, key_of('q', reg, strlen(reg)),
				       s->now_us, calm(s, d), &known))
		return;
	double dga = mg_dga_score(reg, dga_why, sizeof(dga_why));
	if (dga < 0.6)
		return;
	snprintf(why, sizeof(why), "asked for %s, a domain it never asked for that looks "
				   "machine-generated (%s)", qname, dga_why);
	if (begin_anomaly(s, d, DET_DGA, 0.3 + 0.3 * dga, why)) {
		mg_ev_str(s->ev, "query", qname);
		mg_ev_str(s->ev, "domain", reg);
		mg_ev_f64(s->ev, "dga_score", dga);
		end_anomaly(s);
	}
}

/* The flood threshold for @what on @d: the floor, or factor x its learned
 * high once it has one. */
static uint32_t flood_threshold(struct mg_sensor *s, struct mg_device *d, enum mg_rate what)
{
	static const enum mg_bl_metric m[MG_RATE__N] = {MG_BL_SYN, MG_BL_UDP, MG_BL_ICMP,
							 MG_BL_DNS};
	struct mg_bl *bl = DX(d)->bl;
	if (!bl || mg_bl_learning(bl, s->now_us))
		return 0;
	uint64_t t = mg_bl_high(bl, m[what]) * s->cfg.baseline_factor;
	return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* What the packet @p from the device at @d counts for: a connection it opens
 * (a SYN, the first packet of a UDP flow: @new_udp), and the flood rates; a
 * UDP datagram of @f (@dir 0: a flow it opened) sent again unanswered counts
 * as an attempt too, so that a resend loop is seen as a connect storm. */
static void scan_packet(struct mg_sensor *s, struct mg_device *d, const struct mg_pkt *p,
			const struct mg_flow *f, int dir, bool new_udp)
{
	struct mg_scan_finding x;
	struct devx *dx = DX(d);
	bool syn = p->proto == 6 && (p->tcp_flags & (MG_TCP_SYN | MG_TCP_ACK)) == MG_TCP_SYN;

	if (!p->l4 || p->frag_off)
		return;
	if ((syn || new_udp) && !mg_addr_is_group(&p->dst) &&
	    !(p->dst.b[12] == 255 && p->dst.b[15] == 255)) {
		bool mirai = false;
		if (p->ip_version == 4 && syn) {
			const uint8_t *v4 = p->dst.b + 12;
			mirai = p->tcp_seq == ((uint32_t)v4[0] << 24 | (uint32_t)v4[1] << 16 |
					       (uint32_t)v4[2] << 8 | v4[3]);
		}
		if (mg_scan_conn(&dx->scan, &s->scan, &p->dst, p->dport,
				 mg_devtab_is_local(s->devs, &p->dst), mirai, s->now_us, &x))
			emit_scan(s, d, &x);
	}
	int rate = syn ? MG_RATE_SYN
		   : new_udp ? MG_RATE_UDP_FLOW
		   : (p->proto == 1 && p->icmp_type == 8) || (p->proto == 58 && p->icmp_type == 128)
		       ? MG_RATE_ICMP_ECHO
		       : -1;
	static const enum mg_bl_metric bm[MG_RATE__N] = {MG_BL_SYN, MG_BL_UDP, MG_BL_ICMP,
							  MG_BL_DNS};
	if (rate >= 0)
		bl_count(s, d, bm[rate], 1);
	if (rate < 0 && p->proto == 17 && dir == 0 && !f->pkts[1] && dx->scan &&
	    mg_scan_resend(dx->scan, &p->dst, p->dport, p->sport,
			   mg_fnv1a(MG_FNV_INIT, p->payload, p->payload_len)))
		rate = MG_RATE_UDP_FLOW;
	if (rate >= 0 &&
	    mg_scan_rate(&dx->scan, &s->scan, (enum mg_rate)rate, &p->dst, p->dport, p->sport,
			 flood_threshold(s, d, (enum mg_rate)rate), s->now_us, &x))
		emit_scan(s, d, &x);
	/* a query: to port 53 with the QR bit clear */
	if (p->proto == 17 && p->dport == 53 && p->payload_len >= 3 && !(p->payload[2] & 0x80)) {
		bl_count(s, d, MG_BL_DNS, 1);
		if (mg_scan_rate(&dx->scan, &s->scan, MG_RATE_DNS_QUERY, &p->dst, 53, p->sport,
				 flood_threshold(s, d, MG_RATE_DNS_QUERY), s->now_us, &x))
			emit_scan(s, d, &x);
	}
}

static bool icmp_error(const struct mg_pkt *p)
{
	return (p->proto == 1 && (p->icmp_type == 3 || p->icmp_type == 11)) ||
	       (p->proto == 58 && p->icmp_type >= 1 && p->icmp_type <= 4);
}

/* Everything behavioural about packet @p of flow @f (@dir: its direction in
 * the flow; @created: its first packet), sent by @src (@src_local: from an
 * address in the local networks). */
static void anomaly_packet(struct mg_sensor *s, struct mg_device *src, const struct mg_pkt *p,
			   bool src_local, const struct mg_flow *f, int dir, bool created)
{
	/* a router's MAC carries the Internet's traffic: not its own */
	if (!s->cfg.anomaly_enabled || !DX(src) || !src_local)
		return;
	if (held(s, src)) {
		/* a quarantined device with a new address: that one too */
		if (s->enf && !mg_addr_is_group(&p->src) && mg_enf_quarantined(s->enf, src->mac))
			mg_enf_add_addr(s->enf, src->mac, &p->src, s->now_us);
		return;
	}
	/* the target of a flood answers its attackers (SYN-ACKs, RSTs, ICMP
	 * errors): not its behaviour, and not an interval to learn */
	if (mg_scan_attacked(DX(src)->scan, s->now_us) && (dir == 1 || icmp_error(p))) {
		if (DX(src)->bl)
			mg_bl_hold(DX(src)->bl);
		return;
	}
	if (DX(src)->bl) {
		bl_count(s, src, MG_BL_PKTS, 1);
		bl_count(s, src, MG_BL_BYTES, p->wirelen);
	}
	scan_packet(s, src, p, f, dir, created && dir == 0 && p->proto == 17);
	if (!DX(src)->bl || p->frag_off)
		return;
	/* a connection opened again on the same tuple (a reconnect loop) is not a
	 * new flow, nor new to the baseline; nor is an ICMP error, an answer */
	if (icmp_error(p))
		created = false;
	if (created && dir == 0) {
		uint64_t conn = mg_fnv1a(mg_fnv1a(mg_fnv1a(MG_FNV_INIT, f->srv.b, sizeof(f->srv.b)),
					 &f->srv_port, sizeof(f->srv_port)),
				&f->cli_port, sizeof(f->cli_port)) ^ f->proto;
		if (conn == DX(src)->last_conn)
			created = false;
		DX(src)->last_conn = conn;
	}
	if (created && dir == 0) {
		uint16_t port = f->proto == 6 || f->proto == 17 ? f->srv_port : 0;
		bl_count(s, src, MG_BL_FLOWS, 1);
		bl_count(s, src, MG_BL_DESTS, mg_fnv1a(MG_FNV_INIT, f->srv.b, sizeof(f->srv.b)));
		bl_count(s, src, MG_BL_PORTS, mg_fnv1a(MG_FNV_INIT, &port, sizeof(port)));
		novelty_out(s, src, f);
	}
	/* the first answer of a device to a client outside the local networks */
	if (dir == 1 && f->pkts[1] == 1 && !mg_addr_is_group(&f->cli) &&
	    !mg_devtab_is_local(s->devs, &f->cli) &&
	    (f->proto != 6 || (p->tcp_flags & (MG_TCP_SYN | MG_TCP_ACK)) == (MG_TCP_SYN | MG_TCP_ACK)))
		exposure(s, src, f);
}

/* The UDP ports reflection and amplification attacks answer from: QOTD,
 * chargen, DNS, portmap, NTP, SNMP, CLDAP, SSDP, WS-Discovery, memcached. */
static bool reflector_port(uint16_t port)
{
	static const uint16_t p[] = {17, 19, 53, 111, 123, 161, 389, 1900, 3702, 11211};
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (p[i] == port)
			return true;
	return false;
}

/* The connection an ICMP unreachable @p is about: its destination, port and
 * protocol, from the header quoted after the ICMP header. False if none. */
static bool unreachable_about(const struct mg_pkt *p, struct mg_addr *peer, uint16_t *port,
			      uint8_t *proto)
{
	uint32_t len = p->payload_len >= 4 ? p->payload_len - 4 : 0, hl;
	const uint8_t *b = len ? p->payload + 4 : NULL; /* after the unused word */

	if (p->proto == 1 && p->icmp_type == 3 && len >= 20 && (b[0] >> 4) == 4) {
		hl = (uint32_t)(b[0] & 15) * 4;
		*proto = b[9];
		mg_addr_set_v4(peer, b + 16);
	} else if (p->proto == 58 && p->icmp_type == 1 && len >= 40 && (b[0] >> 4) == 6) {
		hl = 40;
		*proto = b[6];
		mg_addr_set_v6(peer, b + 24);
	} else {
		return false;
	}
	if ((*proto != 6 && *proto != 17) || hl < 20 || len < hl + 4)
		return false;
	*port = (uint16_t)(b[hl + 2] << 8 | b[hl + 3]);
	return true;
}

/* What packet @p (of flow @f, in direction @dir) does to the local device @d
 * it is addressed to: it answers a connection attempt of @d (a RST, a
 * SYN-ACK, an ICMP unreachable), or it is part of a flood at @d (SYNs, or
 * UDP from a reflector's port on a flow @d never opened). */
static void target_packet(struct mg_sensor *s, struct mg_device *d, const struct mg_pkt *p, int dir)
{
	struct devx *dx = DX(d);
	struct mg_scan_finding x;
	struct mg_addr peer;
	uint16_t port;
	uint8_t proto;

	if (!s->cfg.anomaly_enabled || !dx || !p->l4 || p->frag_off ||
	    mg_addr_is_group(&p->dst) || !mg_devtab_is_local(s->devs, &p->dst))
		return;
	if (p->proto == 6) {
		uint8_t syn = p->tcp_flags & (MG_TCP_SYN | MG_TCP_ACK);
		if (p->tcp_flags & MG_TCP_RST)
			mg_scan_answer(dx->scan, &p->src, p->sport, 6, MG_ANSWER_RST);
		else if (syn == (MG_TCP_SYN | MG_TCP_ACK))
			mg_scan_answer(dx->scan, &p->src, p->sport, 6, MG_ANSWER_ACCEPTED);
		else if (syn == MG_TCP_SYN &&
			 mg_scan_inbound(&dx->scan, &s->scan, MG_IN_SYN, &p->src, p->sport, p->dport,
					 s->now_us, &x))
			emit_target(s, d, &x);
	} else if (p->proto == 17) {
		if (dir == 0 && reflector_port(p->sport) &&
		    mg_scan_inbound(&dx->scan, &s->scan, MG_IN_REFLECTED, &p->src, p->sport,
				    p->dport, s->now_us, &x))
			emit_target(s, d, &x);
	} else if (unreachable_about(p, &peer, &port, &proto)) {
		mg_scan_answer(dx->scan, &peer, port, proto, MG_ANSWER_UNREACHABLE);
	}
}

/* A new flow: each end that is a bound device checks it against its profile. */
static void mud_flow(struct mg_sensor *s, const struct mg_flow *f, const struct mg_pkt *p,
		     struct mg_device *cli, struct mg_device *srv)
{
	for (int end = 0; end < 2; end++) {
		struct mg_device *d = end ? srv : cli, *other = end ? cli : srv;
		struct mg_smud_dev *md = MUD(d);
		if (!md || (!md->url && !s->flow_cb))
			continue;
		struct mg_mud_flow mf = {
			.from_device = end == 0,
			.dev = end ? f->srv : f->cli,
			.peer = end ? f->cli : f->srv,
			.dev_port = end ? f->srv_port : f->cli_port,
			.peer_port = end ? f->cli_port : f->srv_port,
			.proto = f->proto,
			.icmp_type = f->proto == 1 || f->proto == 58 ? p->icmp_type : -1,
			.icmp_code = f->proto == 1 || f->proto == 58 ? p->icmp_code : -1,
			.ethertype = p->ip_version == 4 ? 0x0800 : 0x86dd,
		};
		if (s->flow_cb)
			s->flow_cb(s->flow_user, d->mac, &mf,
				   mg_ident_dns_name(ID(d), &mf.peer, s->now_us),
				   mg_devtab_is_local(s->devs, &mf.peer));
		if (!s->mud || !md->url)
			continue;
		if (md->awaiting) {
			mg_smud_hold(s->mud, md, &mf, other ? other->mac : NULL, f->id, s->now_us);
			continue;
		}
		if (mg_smud_refreshed(s->mud, md, s->now_us))
			emit_binding(s, d, md->url, md->source, NULL, NULL);
		struct mg_smud_result r;
		if (mg_smud_check(s->mud, md, ID(d), MUD(other), &mf, s->now_us, &r) && r.emit)
			emit_violation(s, d, f->id, &mf, &r, 0);
	}
}

/* Re-scores devices that got new evidence; news becomes an `identity` event. */
static void flush_dirty(struct mg_sensor *s)
{
	for (unsigned i = 0; i < 2; i++) {
		struct mg_device *d = s->dirty[i];
		s->dirty[i] = NULL;
		if (d && ID(d) && mg_ident_update(ID(d), s->now_us - d->first_us)) {
			emit_identity(s, d);
			mud_bind_rules(s, d);
		}
	}
}

static void add_signal(struct mg_sensor *s, struct mg_device *d, enum mg_signal sig,
		       const char *value)
{
	if (!ID(d) || mg_ident_add(ID(d), sig, value, s->now_us) != 1)
		return;
	if (sig == MG_SIG_DHCP_MUD_URL || sig == MG_SIG_DHCP6_MUD_URL || sig == MG_SIG_LLDP_MUD_URL)
		mud_bind_url(s, d, sig, value);
	if (s->dirty[0] == d || s->dirty[1] == d)
		return;
	if (s->dirty[0] && s->dirty[1])
		flush_dirty(s);
	s->dirty[s->dirty[0] ? 1 : 0] = d;
}

struct pkt_devs {
	struct mg_sensor *s;
	struct mg_device *dev[2]; /* source, destination */
	const struct mg_addr *addr[2];
};

static void on_signal(void *user, int who, enum mg_signal sig, const char *value)
{
	struct pkt_devs *pd = user;
	add_signal(pd->s, pd->dev[who], sig, value);
}

static void on_signal_mac(void *user, const uint8_t mac[6], enum mg_signal sig,
			  const char *value)
{
	struct pkt_devs *pd = user;
	/* a relayed client may be on another segment: it is a device all the same */
	add_signal(pd->s, mg_devtab_touch(pd->s->devs, mac, pd->s->now_us), sig, value);
}

static void on_dns_answer(void *user, int who, const char *name, const struct mg_addr *a,
			  uint32_t ttl)
{
	struct pkt_devs *pd = user;
	if (ID(pd->dev[who]))
		mg_ident_dns_add(ID(pd->dev[who]), name, a, ttl, pd->s->now_us);
}

static void on_malformed(void *user, enum mg_parser what)
{
	struct pkt_devs *pd = user;
	pd->s->malformed[what]++;
}

static void on_dns_msg(void *user, int who, const char *qname, int rcode)
{
	struct pkt_devs *pd = user;
	struct mg_device *d = pd->dev[who];

	/* a local DNS server: never quarantined, and a quarantined device may ask it */
	if (who == 1 && pd->s->enf && mg_devtab_is_local(pd->s->devs, pd->addr[0]))
		mg_enf_never_addr(pd->s->enf, pd->addr[0], true);
	if (!pd->s->bls || !DX(d) || !mg_devtab_is_local(pd->s->devs, pd->addr[who]) ||
	    held(pd->s, d))
		return;
	if (who == 0)
		dns_query(pd->s, d, qname);
	else if (rcode == 3)
		bl_count(pd->s, d, MG_BL_NXDOMAIN, 1);
}

static const struct mg_extract_ops extract_ops = {on_signal, on_signal_mac, on_dns_answer,
						 on_malformed, on_dns_msg};

/* The header shape of one of a device's first packets: protocol, service port
 * (or "hi" above 1023) and length, e.g. "udp:67:590", "tcp:80:syn:74". */
static void traffic_feature(struct mg_sensor *s, struct mg_device *d, const struct mg_pkt *p)
{
	char buf[64];

	if (p->ip_version && p->l4 && (p->proto == 6 || p->proto == 17)) {
		unsigned port = p->dport < 1024 ? p->dport : p->sport < 1024 ? p->sport : 0;
		char portbuf[8] = "hi";
		if (port)
			snprintf(portbuf, sizeof(portbuf), "%u", port);
		snprintf(buf, sizeof(buf), "%s:%s:%s%u", p->proto == 6 ? "tcp" : "udp", portbuf,
			 p->proto == 6 && (p->tcp_flags & MG_TCP_SYN) ? "syn:" : "", p->wirelen);
	} else if (p->ip_version) {
		snprintf(buf, sizeof(buf), "ip%u:%u:%u:%u", p->ip_version, p->proto, p->icmp_type,
			 p->wirelen);
	} else if (p->is_arp) {
		snprintf(buf, sizeof(buf), "arp:%u", p->arp_op);
	} else {
		snprintf(buf, sizeof(buf), "eth:%04x", p->ethertype);
	}
	add_signal(s, d, MG_SIG_TRAFFIC, buf);
}

/* Name of a device protocol key (master << 16 | app). */
static const char *proto_key_name(const struct mg_sensor *s, uint32_t key, char *buf,
				  size_t len)
{
	return mg_dpi_name(s->dpi, (uint16_t)(key >> 16), (uint16_t)key, buf, len);
}

static void addr_sources(struct mg_events *e, uint8_t src)
{
	mg_ev_arr(e, "learned_from");
	if (src & MG_ASRC_ARP)
		mg_ev_str(e, NULL, "arp");
	if (src & MG_ASRC_DHCP)
		mg_ev_str(e, NULL, "dhcp");
	if (src & MG_ASRC_NDP)
		mg_ev_str(e, NULL, "ndp");
	if (src & MG_ASRC_TRAFFIC)
		mg_ev_str(e, NULL, "traffic");
	mg_ev_close(e);
}

static void ev_ident_summary(struct mg_sensor *s, struct mg_ident *id)
{
	struct mg_events *e = s->ev;

	mg_ev_obj(e, "identity");
	ev_identity_core(s, id);
	mg_ev_close(e);
	ev_software(e, id);
	ev_fingerprint(s, id);
	/* every signal value seen, grouped by signal in signal order */
	mg_ev_obj(e, "signals");
	size_t n = mg_ident_count(id);
	for (int sig = 0; sig < MG_SIG__COUNT; sig++) {
		bool open = false;
		if (sig == MG_SIG_TRAFFIC)
			continue; /* header shapes: model features, not for reading */
		for (size_t i = 0; i < n; i++) {
			enum mg_signal is;
			const char *v;
			uint64_t ts;
			mg_ident_item(id, i, &is, &v, &ts);
			if ((int)is != sig)
				continue;
			if (!open)
				mg_ev_arr(e, mg_signal_name(is));
			open = true;
			mg_ev_str(e, NULL, v);
		}
		if (open)
			mg_ev_close(e);
	}
	mg_ev_close(e);
	mg_ev_u64(e, "signals_dropped", mg_ident_dropped(id));
	mg_ev_u64(e, "dns_names", mg_ident_dns_count(id, s->now_us));
}

/* What the device's baseline holds, for device_summary. */
static void ev_baseline(struct mg_sensor *s, const struct mg_bl *bl)
{
	struct mg_events *e = s->ev;
	struct mg_bl_info bi;

	mg_bl_info(bl, &bi);
	mg_ev_obj(e, "baseline");
	mg_ev_str(e, "state", mg_bl_learning(bl, s->now_us) ? "learning" : "learned");
	mg_ev_ts(e, "first_seen", bi.first_us);
	if (bi.learn_end_us != UINT64_MAX)
		mg_ev_ts(e, "learning_until", bi.learn_end_us);
	mg_ev_u64(e, "intervals", bi.intervals);
	for (int i = 0; i < MG_BL__SETS; i++)
		mg_ev_u64(e, mg_bl_set_name((enum mg_bl_set)i), bi.sets[i]);
	mg_ev_obj(e, "high_per_interval");
	for (int m = 0; m < MG_BL__METRICS; m++)
		mg_ev_u64(e, mg_bl_metric_name((enum mg_bl_metric)m), bi.high[m]);
	mg_ev_close(e);
	mg_ev_close(e);
}

static void emit_summary(struct mg_sensor *s, struct mg_device *d)
{
	struct mg_events *e = s->ev;
	char name[128];

	mg_ev_begin(e, "device_summary", s->now_us);
	mg_ev_mac(e, "mac", d->mac);
	mg_ev_str(e, "vendor", d->vendor);
	mg_ev_bool(e, "randomized_mac", d->randomized);
	mg_ev_str(e, "role", mg_role_name(d->role));
	mg_ev_ts(e, "first_seen", d->first_us);
	mg_ev_ts(e, "last_seen", d->last_us);
	mg_ev_arr(e, "addresses");
	for (int fam = 0; fam < 2; fam++) {
		const struct mg_dev_addr *a = fam ? d->v6 : d->v4;
		for (unsigned i = 0; i < (fam ? d->n_v6 : d->n_v4); i++) {
			mg_ev_obj(e, NULL);
			ev_addr(e, "ip", &a[i].a);
			addr_sources(e, a[i].src);
			mg_ev_ts(e, "last_seen", a[i].last_us);
			mg_ev_close(e);
		}
	}
	mg_ev_close(e);
	mg_ev_obj(e, "protocols"); /* flows per protocol, in the order first seen */
	for (unsigned i = 0; i < d->n_protos; i++)
		mg_ev_u64(e, proto_key_name(s, d->protos[i].key, name, sizeof(name)),
			  d->protos[i].flows);
	if (d->proto_overflow)
		mg_ev_u64(e, "(other)", d->proto_overflow);
	mg_ev_close(e);
	mg_ev_u64(e, "peers", d->peers.n);
	mg_ev_bool(e, "peers_capped", d->peers.full);
	mg_ev_u64(e, "flows_out", d->flows_out);
	mg_ev_u64(e, "flows_in", d->flows_in);
	mg_ev_u64(e, "pkts_out", d->pkts_out);
	mg_ev_u64(e, "pkts_in", d->pkts_in);
	mg_ev_u64(e, "bytes_out", d->bytes_out);
	mg_ev_u64(e, "bytes_in", d->bytes_in);
	if (ID(d))
		ev_ident_summary(s, ID(d));
	if (MUD(d) && MUD(d)->url)
		ev_mud_summary(s, MUD(d));
	if (DX(d) && DX(d)->bl)
		ev_baseline(s, DX(d)->bl);
	if (DX(d))
		mg_ev_u64(e, "anomaly_events", DX(d)->anomalies);
	mg_ev_emit(e);
}

static void print_summary_row(struct mg_sensor *s, struct mg_device *d)
{
	char mac[24], ip[64] = "-", protos[256] = "", name[128];
	size_t used = 0;

	if (d->n_v4)
		mg_addr_str(&d->v4[0].a, ip, sizeof(ip));
	else if (d->n_v6)
		mg_addr_str(&d->v6[0].a, ip, sizeof(ip));
	for (unsigned i = 0; i < d->n_protos && used + 1 < sizeof(protos); i++) {
		int n = snprintf(protos + used, sizeof(protos) - used, "%s%s", i ? "," : "",
				 proto_key_name(s, d->protos[i].key, name, sizeof(name)));
		if (n < 0 || (size_t)n >= sizeof(protos) - used) {
			protos[used] = 0;
			break;
		}
		used += (size_t)n;
	}
	struct mg_identity idt = {0};
	if (ID(d))
		mg_ident_get(ID(d), &idt);
	const char *cls = idt.value[MG_ATTR_CLASS] ? idt.value[MG_ATTR_CLASS] : "-";
	const char *what = idt.value[MG_ATTR_TYPE]    ? idt.value[MG_ATTR_TYPE]
			   : idt.value[MG_ATTR_MODEL] ? idt.value[MG_ATTR_MODEL]
						      : "-";
	fprintf(s->summary, "%-17s  %-15s  %-7s  %-28.28s  %-10s  %-16.16s  %8llu  %8llu  %s\n",
		mg_mac_str(d->mac, mac, sizeof(mac)), ip, mg_role_name(d->role),
		idt.value[MG_ATTR_VENDOR] ? idt.value[MG_ATTR_VENDOR]
		: d->vendor		  ? d->vendor
		: d->randomized		  ? "(randomized MAC)"
					  : "(unknown)",
		cls, what,
		(unsigned long long)d->pkts_out, (unsigned long long)d->pkts_in,
		*protos ? protos : "-");
}

static void on_device(struct mg_device *d, enum mg_dev_event what, void *user)
{
	struct mg_sensor *s = user;

	switch (what) {
	case MG_DEV_NEW:
		if (s->n_pending == PENDING_MAX)
			flush_pending(s);
		s->pending[s->n_pending++] = d;
		d->user = calloc(1, sizeof(struct devx));
		if (d->user && !(DX(d)->id = mg_ident_new(&s->icfg))) {
			free(d->user);
			d->user = NULL;
		}
		if (d->user && s->bls) /* NULL (out of memory): no baseline detectors */
			DX(d)->bl = mg_baselines_get(s->bls, d->mac, s->now_us);
		if (d->vendor)
			add_signal(s, d, MG_SIG_OUI_VENDOR, d->vendor);
		if (!d->randomized) {
			/* vendors hand out address blocks per product line: the first
			 * four bytes say more than the OUI alone */
			char prefix[16];
			snprintf(prefix, sizeof(prefix), "%02x:%02x:%02x:%02x", d->mac[0],
				 d->mac[1], d->mac[2], d->mac[3]);
			add_signal(s, d, MG_SIG_MAC_PREFIX, prefix);
		}
		break;
	case MG_DEV_ROLE:
		if (s->enf && d->role == MG_ROLE_GATEWAY) /* the gateway is never quarantined */
			mg_enf_never_mac(s->enf, d->mac);
		emit_role(s, d);
		add_signal(s, d, MG_SIG_ROLE, mg_role_name(d->role));
		break;
	case MG_DEV_END:
		flush_pending(s);
		for (unsigned i = 0; i < 2; i++)
			if (s->dirty[i] == d)
				s->dirty[i] = NULL;
		/* last look, at its final age: a learned type may firm up without news */
		if (ID(d) && mg_ident_update(ID(d), s->now_us - d->first_us))
			emit_identity(s, d);
		if (s->summary)
			print_summary_row(s, d);
		emit_summary(s, d);
		if (d->user) {
			mg_ident_free(ID(d));
			mg_smud_dev_clear(s->mud, MUD(d));
			mg_scan_free(DX(d)->scan);
			mg_baselines_put(DX(d)->bl);
			free(d->user);
			d->user = NULL;
		}
		break;
	}
}

static void record_proto(struct mg_sensor *s, struct mg_flow *f)
{
	uint32_t key = (uint32_t)f->app_master << 16 | f->app_proto;
	char name[128];

	if (!f->has_mac)
		return;
	for (int end = 0; end < 2; end++) {
		struct mg_device *d = mg_devtab_find(s->devs, end ? f->srv_mac : f->cli_mac);
		/* a protocol new to the device is also identification evidence */
		if (d && mg_device_add_proto(d, key) && key)
			add_signal(s, d, MG_SIG_DPI_PROTOCOL,
				   proto_key_name(s, key, name, sizeof(name)));
	}
}

static void dpi_done(struct mg_sensor *s, struct mg_flow *f, bool detected)
{
	bool cleartext = mg_dpi_cleartext_credentials(f->dpi);

	if (detected) {
		mg_dpi_state_free(&f->dpi);
		f->dpi_state = MG_DPI_DONE;
		s->dpi_detected++;
	} else {
		mg_dpi_giveup(s->dpi, &f->dpi, &f->app_master, &f->app_proto);
		f->dpi_state = MG_DPI_GAVE_UP;
		s->dpi_gave_up++;
	}
	s->dpi_active--;
	record_proto(s, f);
	if (s->bls)
		novelty_proto(s, f, cleartext);
}

static void emit_flow(struct mg_sensor *s, struct mg_flow *f, enum mg_flow_end why)
{
	struct mg_events *e = s->ev;
	char name[128];

	mg_ev_begin(e, "flow", f->last_us);
	mg_ev_u64(e, "flow_id", f->id);
	if (f->has_mac) {
		mg_ev_mac(e, "src_mac", f->cli_mac);
		mg_ev_mac(e, "dest_mac", f->srv_mac);
	}
	ev_tuple(e, f);
	if (f->vlan)
		mg_ev_u64(e, "vlan", f->vlan);
	mg_ev_str(e, "app_proto",
		  mg_dpi_name(s->dpi, f->app_master, f->app_proto, name, sizeof(name)));
	mg_ev_obj(e, "flow");
	mg_ev_u64(e, "pkts_toserver", f->pkts[0]);
	mg_ev_u64(e, "pkts_toclient", f->pkts[1]);
	mg_ev_u64(e, "bytes_toserver", f->bytes[0]);
	mg_ev_u64(e, "bytes_toclient", f->bytes[1]);
	mg_ev_ts(e, "start", f->first_us);
	mg_ev_ts(e, "end", f->last_us);
	mg_ev_u64(e, "age", (f->last_us - f->first_us) / 1000000u);
	mg_ev_str(e, "reason", mg_flow_end_name(why));
	mg_ev_close(e);
	mg_ev_emit(e);
}

static void on_flow_end(struct mg_flow *f, enum mg_flow_end why, void *user)
{
	struct mg_sensor *s = user;

	if (f->dpi_state == MG_DPI_PENDING)
		dpi_done(s, f, false);
	if (s->cfg.flows) {
		flush_pending(s);
		emit_flow(s, f, why);
	}
}

/* The flow and device tables, empty, with counters at zero. */
static int make_tables(struct mg_sensor *s)
{
	const struct mg_config *cfg = &s->cfg;
	struct mg_flow_cfg fc = {
		.max_flows = cfg->flows_max,
		.tcp_idle_s = cfg->tcp_idle,
		.closed_idle_s = cfg->tcp_closed_idle,
		.udp_idle_s = cfg->udp_idle,
		.other_idle_s = cfg->other_idle,
		.hard_timeout_s = cfg->hard_timeout,
	};
	struct mg_device_cfg dc = {
		.max_devices = cfg->devices_max,
		.idle_s = cfg->device_idle,
		.max_peers = cfg->max_peers,
	};
	s->flows = mg_flowtab_new(&fc, on_flow_end, s);
	s->devs = mg_devtab_new(&dc, s->oui, s->local, on_device, s);
	return s->flows && s->devs ? 0 : -ENOMEM;
}

/* The baselines table, empty, then filled from --baseline and the state
 * file. A missing state file is a first start; any other problem is an error. */
static int make_baselines(struct mg_sensor *s, char *err, size_t errlen)
{
	const struct mg_config *cfg = &s->cfg;
	struct mg_bl_cfg bc = {
		.learning_s = cfg->learn[0] ? 0 : cfg->learning_period,
		.interval_s = cfg->baseline_interval,
		.factor = cfg->baseline_factor,
		.max_devices = cfg->devices_max,
	};
	int rc;

	mg_baselines_free(s->bls);
	s->bls = NULL;
	if (!cfg->anomaly_enabled)
		return 0;
	if ((rc = mg_baselines_new(&s->bls, &bc)) < 0) {
		snprintf(err, errlen, "baselines: %s", strerror(-rc));
		return rc;
	}
	if (cfg->baseline[0] && (rc = mg_baselines_load(s->bls, cfg->baseline, err, errlen)) < 0)
		return rc;
	if (cfg->state_file[0] &&
	    (rc = mg_baselines_load(s->bls, cfg->state_file, err, errlen)) < 0 && rc != -ENOENT)
		return rc;
	return 0;
}

/* The settings a reload can change, made from s->cfg (the rules and the
 * model are loaded apart). */
static void live_settings(struct mg_sensor *s)
{
	const struct mg_config *cfg = &s->cfg;
	s->icfg = (struct mg_ident_cfg){
		.rules = s->rules,
		.model = s->model,
		.max_signals = cfg->max_signals,
		.hysteresis = cfg->hysteresis / 100.0,
		.min_score = cfg->min_score / 100.0,
		.report_delta = cfg->report_delta / 100.0,
	};
	s->scan = (struct mg_scan_cfg){cfg->scan_window, cfg->scan_fanout, cfg->lateral_hosts,
				       cfg->mirai_syns,
				       {cfg->flood_syn, cfg->flood_udp, cfg->flood_icmp, cfg->flood_dns}};
	s->vcfg = (struct mg_verdict_cfg){
		.alert = cfg->alert_score / 100.0,
		.quarantine = cfg->quarantine_score / 100.0,
		.strong = cfg->strong_score / 100.0,
		.release = 0.1,
		.half_life_s = cfg->score_half_life,
		.hold_s = cfg->quarantine_hold,
	};
}

int mg_sensor_new(struct mg_sensor **out, const struct mg_config *cfg, struct mg_events *ev,
		  char *err, size_t errlen)
{
	struct mg_sensor *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	s->ev = ev;
	if (cfg->oui_dir[0]) { /* "" turns vendor lookup off */
		rc = mg_oui_load(&s->oui, cfg->oui_dir, err, errlen);
		if (rc < 0)
			goto out;
	}
	rc = mg_prefixes_parse(&s->local, cfg->local_networks, err, errlen);
	if (rc < 0)
		goto out;
	if (cfg->rules[0] && (rc = mg_rules_load(&s->rules, cfg->rules, err, errlen)) < 0)
		goto out;
	if (cfg->p0f_db[0] && (rc = mg_p0f_load(&s->p0f, cfg->p0f_db, err, errlen)) < 0)
		goto out;
	if (cfg->fingerprints[0] &&
	    (rc = mg_fpmodel_load(&s->model, cfg->fingerprints, err, errlen)) < 0)
		goto out;
	live_settings(s);
	if (cfg->mud_enabled && (rc = mg_smud_new(&s->mud, &s->cfg, s->local, err, errlen)) < 0)
		goto out;
	if ((rc = make_baselines(s, err, errlen)) < 0)
		goto out;
	struct mg_enf_cfg ec;
	mg_config_enforcer(&s->cfg, &ec);
	if (ec.backend != MG_ENF_OFF && (rc = mg_enf_new(&s->enf, &ec, err, errlen)) < 0)
		goto out;
	rc = -ENOMEM;
	snprintf(err, errlen, "out of memory");
	s->dpi = mg_dpi_new();
	if (!s->dpi) {
		snprintf(err, errlen, "cannot initialise nDPI");
		goto out;
	}
	if (make_tables(s) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		mg_sensor_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

static void emit_stats(struct mg_sensor *s, bool final)
{
	struct mg_events *e = s->ev;
	struct mg_flow_stats fs;
	struct mg_dev_stats ds;

	flush_pending(s);
	mg_flowtab_stats(s->flows, &fs);
	mg_devtab_stats(s->devs, &ds);
	mg_ev_begin(e, "stats", s->now_us);
	mg_ev_bool(e, "final", final);
	mg_ev_u64(e, "packets", s->packets);
	mg_ev_u64(e, "bytes", s->bytes);
	mg_ev_u64(e, "non_ip", s->non_ip);
	mg_ev_obj(e, "decode_anomalies");
	for (int i = 1; i < MG_ANOM__COUNT; i++)
		if (s->anomalies[i])
			mg_ev_u64(e, mg_anomaly_name((enum mg_anomaly)i), s->anomalies[i]);
	mg_ev_close(e);
	mg_ev_obj(e, "link_skipped");
	for (int i = 1; i < MG_SKIP__COUNT; i++)
		if (s->skipped[i])
			mg_ev_u64(e, mg_skip_name((enum mg_skip)i), s->skipped[i]);
	mg_ev_close(e);
	mg_ev_obj(e, "capture");
	mg_ev_u64(e, "kernel_received", s->cap.received);
	mg_ev_u64(e, "kernel_dropped", s->cap.dropped);
	mg_ev_u64(e, "interface_dropped", s->cap.if_dropped);
	for (int i = 0; i < MG_NOTE__COUNT; i++)
		mg_ev_u64(e, note_names[i], s->notes[i]);
	mg_ev_close(e);
	mg_ev_obj(e, "flows");
	mg_ev_u64(e, "active", fs.active);
	mg_ev_u64(e, "peak", fs.peak);
	mg_ev_u64(e, "created", fs.created);
	mg_ev_u64(e, "expired", fs.expired);
	mg_ev_u64(e, "hard_timeouts", fs.hard_timeouts);
	mg_ev_u64(e, "evicted", fs.evicted);
	mg_ev_close(e);
	mg_ev_obj(e, "dpi");
	mg_ev_u64(e, "detected", s->dpi_detected);
	mg_ev_u64(e, "gave_up", s->dpi_gave_up);
	mg_ev_u64(e, "in_progress", s->dpi_active);
	mg_ev_close(e);
	mg_ev_obj(e, "malformed");
	for (int i = 0; i < MG_PARSER__COUNT; i++)
		if (s->malformed[i])
			mg_ev_u64(e, mg_parser_name((enum mg_parser)i), s->malformed[i]);
	mg_ev_close(e);
	mg_ev_u64(e, "identity_events", s->identity_events);
	mg_ev_u64(e, "anomaly_events", s->anomaly_events);
	mg_ev_obj(e, "anomaly");
	mg_ev_u64(e, "findings", s->judged.findings);
	mg_ev_u64(e, "reported", s->anomaly_events);
	mg_ev_u64(e, "quiet", s->judged.quiet);
	mg_ev_u64(e, "repeats", s->judged.repeats);
	mg_ev_u64(e, "while_quarantined", s->judged.held);
	mg_ev_u64(e, "quarantine_verdicts", s->judged.quarantines);
	mg_ev_u64(e, "targets", s->judged.targets);
	mg_ev_u64(e, "clock_steps_back", s->clock_steps);
	if (s->bls) {
		mg_ev_u64(e, "baselines", mg_baselines_count(s->bls));
		mg_ev_u64(e, "baseline_bytes", mg_baselines_bytes(s->bls));
	}
	if (s->cfg.state_file[0]) {
		mg_ev_u64(e, "state_saves", s->state_saves);
		mg_ev_u64(e, "state_save_errors", s->state_save_errors);
	}
	mg_ev_close(e);
	if (s->mud) {
		struct mg_smud_stats ms;
		mg_smud_stats(s->mud, &ms);
		mg_ev_obj(e, "mud");
		mg_ev_u64(e, "bindings", ms.bound);
		mg_ev_u64(e, "urls_rejected", ms.rejected);
		mg_ev_u64(e, "flows_checked", ms.checked);
		mg_ev_u64(e, "infrastructure_allowed", ms.implicit);
		mg_ev_u64(e, "violating_flows", ms.violations);
		mg_ev_u64(e, "violation_events", ms.events);
		mg_ev_u64(e, "suppressed", ms.suppressed);
		if (s->mud_live) {
			mg_ev_u64(e, "retrievals", ms.store.queued);
			mg_ev_u64(e, "retrievals_in_flight", ms.store.in_flight);
			mg_ev_u64(e, "retrieval_queue_full", ms.store.queue_full);
			mg_ev_u64(e, "retrievals_waiting", ms.store.waiting);
			mg_ev_u64(e, "flows_held", ms.held);
			mg_ev_u64(e, "flows_checked_late", ms.checked_late);
			mg_ev_u64(e, "flows_unchecked", ms.unchecked);
		}
		mg_ev_close(e);
	}
	if (s->enf) {
		mg_ev_obj(e, "enforcement");
		mg_ev_str(e, "mode", mg_enf_mode_name(s->enf));
		mg_ev_str(e, "backend", mg_enf_backend_name(s->enf));
		mg_ev_u64(e, "quarantined", mg_enf_count(s->enf));
		for (int o = MG_ENF_APPLIED; o <= MG_ENF_FAILED; o++)
			if (o != MG_ENF_ALREADY)
				mg_ev_u64(e, mg_enf_outcome_name((enum mg_enf_outcome)o),
					  s->enf_outcomes[o]);
		mg_ev_bool(e, "circuit_open", mg_enf_circuit_open(s->enf));
		mg_ev_close(e);
	}
	mg_ev_obj(e, "devices");
	mg_ev_u64(e, "active", ds.active);
	mg_ev_u64(e, "created", ds.created);
	mg_ev_u64(e, "expired", ds.expired);
	mg_ev_u64(e, "evicted", ds.evicted);
	mg_ev_close(e);
	mg_ev_emit(e);
}

/* Saves the state file; a failure is counted and remembered, and the next
 * save tries again. */
static int save_state(struct mg_sensor *s)
{
	int rc = mg_baselines_save(s->bls, s->cfg.state_file, s->state_err, sizeof(s->state_err));
	if (rc < 0)
		s->state_save_errors++;
	else
		s->state_saves++;
	return rc;
}

/* The clock stepped back: what each device counts per second, per scan
 * window and per baseline interval starts again, and so does an episode of
 * findings (a quarantine verdict holds on). */
static void clock_stepped(struct mg_sensor *s)
{
	s->clock_steps++;
	s->heard_since_us = s->now_us;
	for (struct mg_device *d = mg_devtab_first(s->devs); d; d = mg_devtab_next(d)) {
		struct devx *dx = DX(d);
		if (!dx)
			continue;
		mg_scan_free(dx->scan);
		dx->scan = NULL;
		dx->last_conn = 0;
		if (dx->bl)
			mg_bl_restart(dx->bl, s->bls, s->now_us);
		mg_verdict_restart(&dx->vd);
	}
}

/* Moves the clock (never backwards) and runs what is due at the new time.
 *
 * Packet time can run backwards: between the files of a multi-file replay, or
 * when a live host's clock is stepped. The sensor's clock must not: flow and
 * device timeouts, verdict holds, learning periods and stats all count on it.
 * Clamping alone (as for packets a little out of order) would put every packet
 * of the later capture into one instant, and its ordinary traffic would read
 * as a flood. So a step back of more than CLOCK_STEP_US starts a new time base:
 * from then on packet time is shifted by the step, the sensor's clock goes on
 * at the packets' pace from where it was, and each device's rate windows start
 * again (clock_stepped) so that no rate spans the step. Event times then run
 * ahead of packet times by the shift, until packet time passes the sensor's
 * clock again and the shift is dropped. A jump forward needs nothing: windows
 * and intervals it passes end as they would; but while shifted, a jump of
 * more than CLOCK_JUMP_US (the next file of a replay, days later than the
 * last, yet still behind the sensor's clock) is a step too, so that shifts do
 * not pile the gaps between files up into years of the sensor's time.
 * Replay stays deterministic: all of this is from packet times. */
#define CLOCK_STEP_US 1000000u
#define CLOCK_JUMP_US (3600 * 1000000ull)
static void advance(struct mg_sensor *s, uint64_t ts_us)
{
	uint64_t interval = (uint64_t)s->cfg.stats_interval * 1000000u;

	if (!s->started) {
		s->started = true;
		s->now_us = ts_us;
		s->stats_next_us = ts_us + interval;
		s->dev_expire_next_us = ts_us + 1000000u;
	}
	if (s->clock_shift && ts_us >= s->now_us)
		s->clock_shift = 0; /* packet time caught up */
	uint64_t t = ts_us + s->clock_shift;
	if (t + CLOCK_STEP_US < s->now_us || (s->clock_shift && t > s->now_us + CLOCK_JUMP_US)) {
		s->clock_shift = s->now_us - ts_us;
		t = s->now_us;
		clock_stepped(s);
	}
	if (t > s->now_us)
		s->now_us = t;
	mg_flowtab_expire(s->flows, s->now_us);
	flush_dirty(s); /* flows ended by time may have named protocols */
	enforce_tick(s);
	if (s->now_us >= s->dev_expire_next_us) {
		mg_devtab_expire(s->devs, s->now_us);
		s->dev_expire_next_us = s->now_us + 1000000u;
	}
	if (s->bls && s->cfg.state_file[0] && s->now_us >= s->state_next_us) {
		if (s->state_next_us)
			save_state(s);
		s->state_next_us = s->now_us + (uint64_t)s->cfg.state_save * 1000000u;
	}
	if (s->now_us >= s->stats_next_us) {
		emit_stats(s, false);
		/* one stats event per due interval boundary passed, not a burst */
		s->stats_next_us += ((s->now_us - s->stats_next_us) / interval + 1) * interval;
	}
}

static void learn_dhcp(struct mg_sensor *s, const struct mg_pkt *p, struct mg_device *src)
{
	struct mg_dhcp d;
	struct mg_addr a;

	if (mg_dhcp_parse(&d, p->payload, p->payload_len) < 0 || d.op != 2)
		return;
	if (src && (d.msg_type == MG_DHCP_OFFER || d.msg_type == MG_DHCP_ACK))
		mg_device_set_gateway(s->devs, src, MG_GW_DHCP);
	if (s->enf && (d.msg_type == MG_DHCP_OFFER || d.msg_type == MG_DHCP_ACK))
		mg_enf_never_addr(s->enf, &p->src, false); /* the DHCP server */
	if (d.msg_type != MG_DHCP_ACK)
		return;
	mg_addr_set_v4(&a, d.yiaddr);
	struct mg_device *cli = mg_devtab_touch(s->devs, d.chaddr, s->now_us);
	if (cli && !mg_addr_is_group(&a))
		mg_device_add_addr(cli, &a, MG_ASRC_DHCP, s->now_us);
}

/* NDP options: type, length in 8-byte units, value. Returns the link-layer
 * address option of @want type (1 source, 2 target), or NULL. */
static const uint8_t *ndp_lladdr(const uint8_t *o, uint32_t len, uint8_t want)
{
	while (len >= 8) {
		uint32_t olen = (uint32_t)o[1] * 8;
		if (!olen || olen > len)
			return NULL;
		if (o[0] == want && olen >= 8)
			return o + 2;
		o += olen;
		len -= olen;
	}
	return NULL;
}

static void learn_ndp(struct mg_sensor *s, const struct mg_pkt *p, struct mg_device *src)
{
	/* payload starts after type/code/checksum: 4 reserved/flag bytes, then
	 * for NS/NA a 16-byte target address, then options */
	const uint8_t *b = p->payload;
	uint32_t len = p->payload_len;
	struct mg_addr a;

	if (p->icmp_type == 134) { /* router advertisement */
		/* a router lifetime of 0 says "not a default router": what Thread
		 * border routers and other stub routers send (hubs, speakers) to
		 * announce a prefix they route to, not the way out */
		if (src && len >= 4 && (b[2] | b[3]))
			mg_device_set_gateway(s->devs, src, MG_GW_RA);
		return;
	}
	if ((p->icmp_type != 135 && p->icmp_type != 136) || len < 20)
		return;
	if (p->icmp_type == 135) { /* neighbour solicitation: the sender's own address */
		const uint8_t *ll = ndp_lladdr(b + 20, len - 20, 1);
		if (ll && src && !memcmp(ll, src->mac, 6))
			mg_device_add_addr(src, &p->src, MG_ASRC_NDP, s->now_us);
		return;
	}
	const uint8_t *ll = ndp_lladdr(b + 20, len - 20, 2); /* advertisement */
	struct mg_device *owner = ll ? mg_devtab_touch(s->devs, ll, s->now_us) : src;
	mg_addr_set_v6(&a, b + 4);
	if (owner)
		mg_device_add_addr(owner, &a, MG_ASRC_NDP, s->now_us);
}

/* ---- behaviour that says what a device is (device.behaviour) ---- */

/* A battery device sleeps: it leaves the network and, woken by its sensor or
 * its timer, joins again (a gratuitous ARP or ARP probe for its address, a
 * DHCP request) after a silence in which it sent nothing at all; the join
 * comes within WAKE_JOIN of its first frame (an access point's layer-2 update
 * frame on the device's behalf may come first). Mains-powered devices keep
 * talking (keepalives, ARP, mDNS) and do not rejoin. Two wakes after
 * WAKE_SILENCE of silence, heard in one stretch (one capture, no clock step:
 * two copies of one capture show one wake twice), make the signal. */
#define WAKE_SILENCE (30 * 1000000ull)
#define WAKE_JOIN (5 * 1000000ull)
#define WAKES 2

static bool joins(const struct mg_pkt *p)
{
	if (p->is_arp && p->arp_spa && p->arp_tpa)
		return !memcmp(p->arp_spa, p->arp_tpa, 4) || /* gratuitous */
		       !memcmp(p->arp_spa, "\0\0\0\0", 4);	   /* probe */
	return p->proto == 17 && p->sport == 68 && p->dport == 67;
}

static void wake_packet(struct mg_sensor *s, struct mg_device *d, const struct mg_pkt *p)
{
	struct devx *x = DX(d);
	uint64_t last = x->last_tx_us;

	x->last_tx_us = s->now_us;
	if (x->wakes >= WAKES)
		return;
	/* a silence across a break in what the sensor heard (between two files,
	 * a clock step) is not the device's */
	if (last && last >= s->heard_since_us && s->now_us >= last + WAKE_SILENCE)
		x->woke_us = s->now_us;
	if (!x->woke_us || s->now_us < x->woke_us || s->now_us - x->woke_us > WAKE_JOIN ||
	    !joins(p))
		return;
	x->woke_us = 0;
	if (x->wake_epoch != s->heard_since_us) { /* both wakes heard in one stretch */
		x->wake_epoch = s->heard_since_us;
		x->wakes = 0;
	}
	if (++x->wakes == WAKES)
		add_signal(s, d, MG_SIG_BEHAVIOUR, "sleeps");
}

/* A flow that carries a stream up from the device, far more than comes back:
 * what a camera sends when it records or is watched (RTP, P2P relays). Web
 * ports are left out: phones and computers upload photos and files over
 * HTTP(S), and so do some cameras, which their other evidence names. */
#define UPSTREAM_BYTES (512 * 1024ull)
#define UPSTREAM_RATIO 8

static void upstream_packet(struct mg_sensor *s, struct mg_device *d, const struct mg_flow *f,
			    int dir, uint32_t len)
{
	uint64_t up = f->bytes[dir], down = f->bytes[!dir];
	if (f->srv_port == 443 || f->srv_port == 80 || f->srv_port == 8080)
		return;
	/* judged each time the flow passes another 64 KiB, not on every packet */
	if (up >= UPSTREAM_BYTES && (up >> 16) != ((up - len) >> 16) &&
	    up >= UPSTREAM_RATIO * down)
		add_signal(s, d, MG_SIG_BEHAVIOUR, "streams-up");
}

void mg_sensor_packet(struct mg_sensor *s, enum mg_link link, const uint8_t *data,
		      uint32_t caplen, uint32_t wirelen, uint64_t ts_us)
{
	struct mg_pkt p;
	struct mg_device *src = NULL, *dst = NULL;
	enum mg_anomaly anom = mg_decode(&p, link, data, caplen, wirelen, ts_us);

	advance(s, ts_us);
	mud_poll(s);
	if (s->new_file) {
		s->heard_since_us = s->now_us;
		s->new_file = false;
	}
	s->packets++;
	s->bytes += wirelen;
	s->anomalies[anom]++;
	s->skipped[p.skip < MG_SKIP__COUNT ? p.skip : 0]++;

	if (p.has_mac) {
		src = mg_devtab_touch(s->devs, p.src_mac, s->now_us);
		dst = mg_devtab_find(s->devs, p.dst_mac);
		if (src) {
			src->pkts_out++;
			src->bytes_out += wirelen;
		}
		if (dst) {
			dst->pkts_in++;
			dst->bytes_in += wirelen;
		}
	}
	if (p.is_arp) {
		struct mg_addr a;
		struct mg_device *who = mg_devtab_touch(s->devs, p.arp_sha, s->now_us);
		mg_addr_set_v4(&a, p.arp_spa);
		if (who)
			mg_device_add_addr(who, &a, MG_ASRC_ARP, s->now_us);
	}
	if (src && src->pkts_out <= TRAFFIC_PKTS)
		traffic_feature(s, src, &p);
	if (DX(src))
		wake_packet(s, src, &p);
	struct pkt_devs pd = {s, {src, dst}, {&p.src, &p.dst}};
	mg_extract(&p, s->p0f, &extract_ops, &pd);
	if (!p.ip_version) {
		s->non_ip++;
		goto out;
	}
	bool src_local = src && !mg_addr_is_group(&p.src) && mg_devtab_is_local(s->devs, &p.src);
	if (src && !mg_addr_is_group(&p.src)) {
		if (src_local)
			mg_device_add_addr(src, &p.src, MG_ASRC_TRAFFIC, s->now_us);
		else
			mg_device_note_remote_src(s->devs, src, &p.src);
	}
	if (p.proto == 17 && p.sport == 67 && p.dport == 68)
		learn_dhcp(s, &p, src);
	else if (p.proto == 58 && p.icmp_type >= 133 && p.icmp_type <= 136)
		learn_ndp(s, &p, src);

	int dir;
	bool created;
	struct mg_flow *f = mg_flowtab_update(s->flows, &p, s->now_us, &dir, &created);
	if (!f)
		goto out;
	if (created) {
		struct mg_device *cli = dir ? dst : src, *srv = dir ? src : dst;
		if (cli) {
			cli->flows_out++;
			mg_device_add_peer(cli, &f->srv);
		}
		if (srv) {
			srv->flows_in++;
			mg_device_add_peer(srv, &f->cli);
		}
		if (p.frag_off) /* a later fragment: no ports, nothing to inspect */
			f->dpi_state = MG_DPI_SKIPPED;
		else
			s->dpi_active++;
		if ((s->mud || s->flow_cb) && !p.frag_off)
			mud_flow(s, f, &p, cli, srv);
	}
	if (src)
		anomaly_packet(s, src, &p, src_local, f, dir, created);
	if (dst)
		target_packet(s, dst, &p, dir);
	if (src_local)
		upstream_packet(s, src, f, dir, p.wirelen);
	if (f->dpi_state == MG_DPI_PENDING && !p.frag_off) {
		int rc = mg_dpi_feed(s->dpi, &f->dpi, p.l3, p.l3_len, p.ts_us, &f->app_master,
				     &f->app_proto);
		if (rc == MG_DPI_DETECTED)
			dpi_done(s, f, true);
		else if (rc < 0 || ++f->dpi_pkts >= s->cfg.dpi_packets)
			dpi_done(s, f, false);
	}
out:
	flush_pending(s);
	flush_dirty(s);
}

void mg_sensor_new_capture(struct mg_sensor *s)
{
	s->new_file = true;
}

int mg_sensor_replay_file(struct mg_sensor *s, const char *path, char *err, size_t errlen)
{
	struct mg_source *src;
	const uint8_t *data;
	uint32_t caplen, wirelen;
	uint64_t ts;
	int rc;

	mg_sensor_new_capture(s);
	if (mg_source_open_file(&src, path, "", err, errlen) < 0)
		return -1;
	while ((rc = mg_source_next(src, &data, &caplen, &wirelen, &ts)) == MG_SRC_PACKET)
		mg_sensor_packet(s, mg_source_link(src), data, caplen, wirelen, ts);
	if (rc == MG_SRC_ERROR)
		snprintf(err, errlen, "%s", mg_source_errstr(src));
	mg_source_free(src);
	return rc == MG_SRC_ERROR;
}

void mg_sensor_tick(struct mg_sensor *s, uint64_t now_us)
{
	if (s->started) {
		advance(s, now_us);
		mud_poll(s);
	}
}

int mg_sensor_live(struct mg_sensor *s, char *err, size_t errlen)
{
	if (!s->mud || s->mud_live)
		return 0;
	int rc = mg_smud_async(s->mud, err, errlen);
	s->mud_live = rc == 0;
	return rc;
}

void mg_sensor_set_capture_stats(struct mg_sensor *s, const struct mg_capture_stats *st)
{
	s->cap = *st;
}

void mg_sensor_cancel_fetches(struct mg_sensor *s)
{
	if (s->mud)
		mg_smud_cancel(s->mud);
}

void mg_sensor_note(struct mg_sensor *s, enum mg_note what)
{
	if ((unsigned)what < MG_NOTE__COUNT)
		s->notes[what]++;
}

void mg_sensor_finish(struct mg_sensor *s, FILE *summary)
{
	/* No packet came (a capture that did not open, files that could not be
	 * read): there is no packet time, and an event stamped 1970 would be
	 * read as one; the final stats carry the time they are written. */
	if (!s->started && s->now_us < mg_wall_us())
		s->now_us = mg_wall_us();
	if (s->mud_live) /* a transfer in progress ends while the rest is written */
		mg_smud_stop(s->mud);
	mg_flowtab_flush(s->flows);
	flush_dirty(s);
	emit_stats(s, true);
	s->summary = summary;
	if (summary)
		fprintf(summary, "%-17s  %-15s  %-7s  %-28s  %-10s  %-16s  %8s  %8s  %s\n", "MAC",
			"ADDRESS", "ROLE", "VENDOR", "CLASS", "TYPE/MODEL", "PKTS_OUT", "PKTS_IN",
			"PROTOCOLS");
	mg_devtab_flush(s->devs);
	s->summary = NULL;
}

int mg_sensor_reset(struct mg_sensor *s)
{
	char err[256];

	mg_flowtab_free(s->flows);
	mg_devtab_free(s->devs);
	memset(&s->now_us, 0, sizeof(*s) - offsetof(struct mg_sensor, now_us));
	if (s->mud)
		mg_smud_reset(s->mud);
	int rc = make_baselines(s, err, sizeof(err)); /* loaded fine at start: again */
	return rc < 0 ? rc : make_tables(s);
}

int mg_sensor_save_state(struct mg_sensor *s, char *err, size_t errlen)
{
	int rc = 0;

	if (s->bls && s->cfg.learn[0]) {
		mg_baselines_complete(s->bls, s->now_us);
		if ((rc = mg_baselines_save(s->bls, s->cfg.learn, err, errlen)) < 0)
			return rc;
	}
	if (s->bls && s->cfg.state_file[0] && (rc = save_state(s)) < 0) {
		snprintf(err, errlen, "%s", s->state_err);
		return rc;
	}
	return s->enf ? mg_enf_save(s->enf, err, errlen) : 0;
}

/* Keys a reload applies; every other key keeps its value until a restart
 * (the capture, the tables' sizes, the journal, the enforcer's backend and
 * the MUD settings the profile store and its fetcher were made with). */
static const char *const live_keys[] = {
	"capture.stats_interval", "identify.rules",	  "identify.p0f_db",
	"identify.fingerprints",  "identify.hysteresis",  "identify.min_score",
	"identify.report_delta",  "anomaly.scan_window",  "anomaly.scan_fanout",
	"anomaly.lateral_hosts",  "anomaly.mirai_syns",	  "anomaly.flood_syn",
	"anomaly.flood_udp",	  "anomaly.flood_icmp",	  "anomaly.flood_dns",
	"anomaly.quarantine_score", "anomaly.alert_score", "anomaly.strong_score",
	"anomaly.score_half_life", "anomaly.quarantine_hold", "enforce.never",
	"output.flows",		  "mud.rules", /* and read where they are used (sensor_mud.c): */
	"mud.allow_infrastructure", "mud.dns_grace", "mud.max_distinct", "mud.quarantine",
	"mud.violations_per_minute",
};

struct reload {
	struct mg_config next; /* the running configuration with the live keys' new values */
	char applied[1024], restart[1024];
	size_t na, nr;
};

static void list_add(char *buf, size_t cap, size_t *n, const char *name)
{
	int k = snprintf(buf + *n, cap - *n, "%s%s", *n ? ", " : "", name);
	if (k > 0 && *n + (size_t)k < cap)
		*n += (size_t)k;
}

static void reload_key(void *user, const char *section, const char *key, const char *was,
		       const char *now)
{
	struct reload *r = user;
	char name[160];
	bool live = false;
	(void)was;
	snprintf(name, sizeof(name), "%s.%s", section, key);
	for (size_t i = 0; i < sizeof(live_keys) / sizeof(live_keys[0]) && !live; i++)
		live = !strcmp(live_keys[i], name);
	if (live && mg_config_set(&r->next, section, key, now, NULL, NULL) == 0)
		list_add(r->applied, sizeof(r->applied), &r->na, name);
	else
		list_add(r->restart, sizeof(r->restart), &r->nr, name);
}

int mg_sensor_reload(struct mg_sensor *s, const struct mg_config *cfg, char *msg, size_t len)
{
	struct reload *r = calloc(1, sizeof(*r));
	struct mg_rules *rules = NULL;
	struct mg_p0f *p0f = NULL;
	struct mg_fpmodel *model = NULL;
	struct mg_mudrules *mudrules = NULL;
	char err[1024] = "";
	int rc = -ENOMEM;

	if (!r) {
		snprintf(msg, len, "out of memory; nothing changed");
		return rc;
	}
	r->next = s->cfg;
	mg_config_diff(&s->cfg, cfg, reload_key, r);
	const struct mg_config *n = &r->next;
	/* every file again, changed or not: a reload is how new rules arrive */
	if ((n->rules[0] && (rc = mg_rules_load(&rules, n->rules, err, sizeof(err))) < 0) ||
	    (n->p0f_db[0] && (rc = mg_p0f_load(&p0f, n->p0f_db, err, sizeof(err))) < 0) ||
	    (n->fingerprints[0] &&
	     (rc = mg_fpmodel_load(&model, n->fingerprints, err, sizeof(err))) < 0) ||
	    (s->mud && n->mud_rules[0] &&
	     (rc = mg_mudrules_load(&mudrules, n->mud_rules, err, sizeof(err))) < 0) ||
	    (s->enf && (rc = mg_enf_set_never(s->enf, n->enf_never, err, sizeof(err))) < 0)) {
		snprintf(msg, len, "%s; nothing changed", err);
		mg_rules_free(rules);
		mg_p0f_free(p0f);
		mg_fpmodel_free(model);
		mg_mudrules_free(mudrules);
		free(r);
		return rc;
	}
	flush_pending(s);
	struct mg_rules *old_rules = s->rules;
	struct mg_p0f *old_p0f = s->p0f;
	struct mg_fpmodel *old_model = s->model;
	s->cfg = r->next; /* the keys that need a restart keep their values */
	s->rules = rules;
	s->p0f = p0f;
	s->model = model;
	live_settings(s);
	if (s->mud)
		mg_smud_reload(s->mud, mudrules);
	for (struct mg_device *d = mg_devtab_first(s->devs); d; d = mg_devtab_next(d))
		if (ID(d))
			mg_ident_rebase(ID(d));
	mg_rules_free(old_rules);
	mg_p0f_free(old_p0f);
	mg_fpmodel_free(old_model);
	struct mg_events *e = s->ev;
	mg_ev_begin(e, "reload", s->now_us);
	mg_ev_u64(e, "rules", rules ? mg_rules_count(rules) : 0);
	mg_ev_bool(e, "fingerprints", model != NULL);
	mg_ev_str(e, "applied", r->applied);
	mg_ev_str(e, "restart_needed", r->restart);
	mg_ev_emit(e);
	for (struct mg_device *d = mg_devtab_first(s->devs); d; d = mg_devtab_next(d)) {
		if (ID(d) && mg_ident_update(ID(d), s->now_us - d->first_us))
			emit_identity(s, d);
		mud_bind_rules(s, d); /* the site rules may be new */
	}
	snprintf(msg, len, "%zu identification rules%s; changed: %s; %s%s",
		 rules ? mg_rules_count(rules) : 0, model ? ", fingerprint model" : "",
		 r->na ? r->applied : "nothing", r->nr ? "need a restart to change: " : "",
		 r->nr ? r->restart : "no key needs a restart");
	free(r);
	return 0;
}

void mg_sensor_free(struct mg_sensor *s)
{
	if (!s)
		return;
	mg_flowtab_free(s->flows); /* frees any nDPI state still held */
	mg_devtab_free(s->devs);
	mg_dpi_free(s->dpi);
	mg_prefixes_free(s->local);
	mg_oui_free(s->oui);
	mg_rules_free(s->rules);
	mg_p0f_free(s->p0f);
	mg_fpmodel_free(s->model);
	mg_smud_free(s->mud);
	mg_baselines_free(s->bls);
	mg_enf_free(s->enf);
	free(s);
}

bool mg_sensor_enforces(const struct mg_sensor *s)
{
	return s->enf != NULL;
}

void mg_sensor_command(struct mg_sensor *s, const struct mg_command *c, const char *name,
		       uint64_t now_us)
{
	if (!s->enf)
		return;
	flush_pending(s);
	now_us += s->clock_shift;
	if (now_us > s->now_us) /* live: before the first packet, or on an idle link */
		s->now_us = now_us;
	if (mg_qev_command(s->ev, s->now_us, s->enf, c, name)) /* saved at once */
		mg_qev_save(s->ev, s->now_us, s->enf, &s->enf_unsaved, log_stderr);
}

void mg_sensor_protect(struct mg_sensor *s, const struct mg_addr *a)
{
	if (s->enf)
		mg_enf_never_addr(s->enf, a, false);
}

void mg_sensor_on_flow(struct mg_sensor *s, mg_sensor_flow_cb cb, void *user)
{
	s->flow_cb = cb;
	s->flow_user = user;
}

const struct mg_ident *mg_sensor_ident(const struct mg_sensor *s, const uint8_t mac[6],
				       uint64_t *first_us)
{
	const struct mg_device *d = mg_devtab_find(s->devs, mac);
	if (!d)
		return NULL;
	*first_us = d->first_us;
	return ID(d);
}

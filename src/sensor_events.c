/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sensor's event schema: every event type the sensor writes is built
 * here, by one function named after it (sev_device for `device`, sev_stats
 * for `stats`, sev_anomaly_* for `anomaly` and its evidence per finding...),
 * with the field helpers they share (addresses, tuples, identity, profile),
 * and the readable device table of --summary. The stages decide when an event
 * is due and with what; only this file decides what it looks like, so a
 * change of the schema is a change here (and in README.md's reference).
 *
 * Not here: the enforcement events (quarantine, verdict, circuit, command
 * answers, enforcer notes), written by quarantine_ev.c because the enforcer
 * process writes the same ones; and the daemon's own (run start, reload
 * failure) in main.c.
 *
 * State: s->out (owned): a new device's `device` event waits in the pending
 * queue until the end of its packet, so that the addresses learned from the
 * packet that made it are in it; any other event writes the queue first
 * (sev_flush_pending), so a device's own event always comes before events
 * about it. Also counts s->id_run.events; reads everything else.
 */
#include <string.h>

#include "../classify/mudrules.h"
#include "sensor_priv.h"

#define EVIDENCE_MAX 8 /* evidence entries in an `identity` event */

static const char *const note_names[MG_NOTE__COUNT] = {
	[MG_NOTE_FILE_TRUNCATED] = "files_truncated",
	[MG_NOTE_FILE_FAILED] = "files_failed",
};

const char *sev_proto_name(uint8_t p, char *buf, size_t len)
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
	mg_ev_str(e, "proto", sev_proto_name(proto, name, sizeof(name)));
}

static void ev_tuple(struct mg_events *e, const struct mg_flow *f)
{
	ev_tuple5(e, &f->cli, f->cli_port, &f->srv, f->srv_port, f->proto);
}

/* ---- device, role, identity ---- */

static void sev_device(struct mg_sensor *s, struct mg_device *d)
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

void sev_flush_pending(struct mg_sensor *s)
{
	for (unsigned i = 0; i < s->out.n_pending; i++)
		sev_device(s, s->out.pending[i]);
	s->out.n_pending = 0;
}

void sev_device_queue(struct mg_sensor *s, struct mg_device *d)
{
	if (s->out.n_pending == PENDING_MAX)
		sev_flush_pending(s);
	s->out.pending[s->out.n_pending++] = d;
}

void sev_role(struct mg_sensor *s, struct mg_device *d)
{
	struct mg_events *e = s->ev;

	sev_flush_pending(s); /* the device's own event comes first */
	mg_ev_begin(e, "role", s->clk.now_us);
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

void sev_identity(struct mg_sensor *s, struct mg_device *d)
{
	struct mg_events *e = s->ev;
	struct mg_ident *id = ID(d);
	struct mg_ident_use use[EVIDENCE_MAX];
	size_t n = mg_ident_used(id, use, EVIDENCE_MAX);

	sev_flush_pending(s);
	s->id_run.events++;
	mg_ev_begin(e, "identity", s->clk.now_us);
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

/* ---- MUD: mud_binding, mud_violation ---- */

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

void sev_mud_binding(struct mg_sensor *s, struct mg_device *d, const char *url,
		     const char *source, const char *rejected, const uint64_t *late)
{
	struct mg_events *e = s->ev;
	const struct mg_smud_dev *md = MUD(d);

	sev_flush_pending(s);
	mg_ev_begin(e, "mud_binding", s->clk.now_us);
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

void sev_mud_violation(struct mg_sensor *s, struct mg_device *d, uint64_t flow_id,
		       const struct mg_mud_flow *mf, const struct mg_smud_result *r,
		       uint64_t late_us)
{
	struct mg_events *e = s->ev;
	const struct mg_smud_dev *md = MUD(d);
	const struct mg_mud_verdict *v = &r->v;

	sev_flush_pending(s);
	mg_ev_begin(e, "mud_violation", s->clk.now_us);
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
}

/* ---- anomaly ---- */

void sev_anomaly_begin(struct mg_sensor *s, struct mg_device *d, const char *det_name,
		       double score, const double *combined, uint32_t episode,
		       const char *verdict, const char *why)
{
	struct mg_events *e = s->ev;
	struct devx *dx = DX(d);

	mg_ev_begin(e, "anomaly", s->clk.now_us);
	mg_ev_mac(e, "mac", d->mac);
	mg_ev_str(e, "detector", det_name);
	mg_ev_f64(e, "score", score);
	if (combined)
		mg_ev_f64(e, "combined_score", *combined);
	else
		mg_ev_str(e, "role", "target");
	mg_ev_str(e, "verdict", verdict);
	mg_ev_str(e, "why", why);
	if (combined) {
		mg_ev_arr(e, "episode"); /* the detectors whose findings combined */
		for (unsigned i = 0; i < 32; i++)
			if (episode & 1u << i)
				mg_ev_str(e, NULL, sanom_det_name(i));
		mg_ev_close(e);
	}
	if (dx->bl)
		mg_ev_bool(e, "learning", mg_bl_learning(dx->bl, s->clk.now_us));
	mg_ev_obj(e, "evidence");
}

void sev_anomaly_end(struct mg_sensor *s)
{
	mg_ev_close(s->ev);
	mg_ev_emit(s->ev);
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

void sev_anomaly_scan(struct mg_sensor *s, struct mg_device *d, const struct mg_scan_finding *x)
{
	struct mg_events *e = s->ev;
	char a[64];

	if (x->kind == MG_SCAN_CONNECT_STORM) {
		mg_ev_str(e, "peer", mg_addr_str(&x->sample[0], a, sizeof(a)));
		mg_ev_u64(e, "port", x->port);
		mg_ev_str(e, "protocol", x->proto == 6 ? "TCP" : "UDP");
		mg_ev_str(e, "answer", mg_scan_answer_name(x->answer));
		mg_ev_u64(e, "attempts", x->rate);
		mg_ev_u64(e, "source_ports", x->sports);
		mg_ev_u64(e, "destinations", x->targets);
		mg_ev_u64(e, "window_s", x->window_s);
		mg_ev_u64(e, "threshold", x->threshold);
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
}

void sev_anomaly_target(struct mg_sensor *s, const struct mg_scan_finding *x)
{
	struct mg_events *e = s->ev;
	bool syn = x->kind == MG_SCAN_SYN_TARGET;

	mg_ev_str(e, "protocol", syn ? "TCP" : "UDP");
	mg_ev_u64(e, syn ? "port" : "source_port", x->port);
	mg_ev_u64(e, "rate_per_s", x->rate);
	mg_ev_u64(e, "sources", x->sources);
	mg_ev_u64(e, "flows", x->flows);
	ev_window(e, x, "sample_sources");
}

void sev_anomaly_rate(struct mg_sensor *s, const char *metric, const struct mg_bl_rate *r)
{
	mg_ev_str(s->ev, "metric", metric);
	mg_ev_u64(s->ev, "count", r->count);
	mg_ev_u64(s->ev, "interval_s", r->interval_s);
	mg_ev_u64(s->ev, "baseline_high", r->high);
	mg_ev_u64(s->ev, "threshold", r->threshold);
}

/* Evidence of one flow: its tuple, with the flow id. */
static void ev_flow(struct mg_sensor *s, const struct mg_flow *f)
{
	mg_ev_obj(s->ev, "flow");
	mg_ev_u64(s->ev, "flow_id", f->id);
	ev_tuple(s->ev, f);
	mg_ev_close(s->ev);
}

void sev_anomaly_service(struct mg_sensor *s, uint16_t port, uint32_t known,
			 const struct mg_flow *f)
{
	mg_ev_u64(s->ev, "port", port);
	mg_ev_u64(s->ev, "known_services", known);
	ev_flow(s, f);
}

void sev_anomaly_peer(struct mg_sensor *s, const char *reg, const char *name, double dga,
		      uint32_t known, const struct mg_flow *f)
{
	if (reg)
		mg_ev_str(s->ev, "domain", reg);
	if (name)
		mg_ev_str(s->ev, "name", name);
	if (reg)
		mg_ev_f64(s->ev, "dga_score", dga);
	mg_ev_u64(s->ev, "known_endpoints", known);
	ev_flow(s, f);
}

void sev_anomaly_exposure(struct mg_sensor *s, uint16_t port, const char *remote,
			  const struct mg_flow *f)
{
	mg_ev_u64(s->ev, "port", port);
	mg_ev_str(s->ev, "remote", remote);
	ev_flow(s, f);
}

void sev_anomaly_protocol(struct mg_sensor *s, const char *name, const uint32_t *known,
			  const struct mg_flow *f)
{
	mg_ev_str(s->ev, "protocol", name);
	if (known)
		mg_ev_u64(s->ev, "known_protocols", *known);
	ev_flow(s, f);
}

void sev_anomaly_dga(struct mg_sensor *s, const char *query, const char *reg, double dga)
{
	mg_ev_str(s->ev, "query", query);
	mg_ev_str(s->ev, "domain", reg);
	mg_ev_f64(s->ev, "dga_score", dga);
}

/* ---- device_summary and the readable table ---- */

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
	mg_ev_u64(e, "dns_names", mg_ident_dns_count(id, s->clk.now_us));
}

/* What the device's baseline holds, for device_summary. */
static void ev_baseline(struct mg_sensor *s, const struct mg_bl *bl)
{
	struct mg_events *e = s->ev;
	struct mg_bl_info bi;

	mg_bl_info(bl, &bi);
	mg_ev_obj(e, "baseline");
	mg_ev_str(e, "state", mg_bl_learning(bl, s->clk.now_us) ? "learning" : "learned");
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

void sev_device_summary(struct mg_sensor *s, struct mg_device *d)
{
	struct mg_events *e = s->ev;
	char name[128];

	mg_ev_begin(e, "device_summary", s->clk.now_us);
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

void sev_summary_head(FILE *out)
{
	fprintf(out, "%-17s  %-15s  %-7s  %-28s  %-10s  %-16s  %8s  %8s  %s\n", "MAC", "ADDRESS",
		"ROLE", "VENDOR", "CLASS", "TYPE/MODEL", "PKTS_OUT", "PKTS_IN", "PROTOCOLS");
}

void sev_summary_row(struct mg_sensor *s, struct mg_device *d)
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
	fprintf(s->out.summary, "%-17s  %-15s  %-7s  %-28.28s  %-10s  %-16.16s  %8llu  %8llu  %s\n",
		mg_mac_str(d->mac, mac, sizeof(mac)), ip, mg_role_name(d->role),
		idt.value[MG_ATTR_VENDOR] ? idt.value[MG_ATTR_VENDOR]
		: d->vendor		  ? d->vendor
		: d->randomized		  ? "(randomized MAC)"
					  : "(unknown)",
		cls, what,
		(unsigned long long)d->pkts_out, (unsigned long long)d->pkts_in,
		*protos ? protos : "-");
}

/* ---- flow, stats, reload ---- */

void sev_flow(struct mg_sensor *s, const struct mg_flow *f, enum mg_flow_end why)
{
	struct mg_events *e = s->ev;
	char name[128];

	sev_flush_pending(s);
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

void sev_stats(struct mg_sensor *s, bool final)
{
	struct mg_events *e = s->ev;
	struct mg_flow_stats fs;
	struct mg_dev_stats ds;

	sev_flush_pending(s);
	mg_flowtab_stats(s->flows, &fs);
	mg_devtab_stats(s->devs, &ds);
	mg_ev_begin(e, "stats", s->clk.now_us);
	mg_ev_bool(e, "final", final);
	mg_ev_u64(e, "packets", s->tally.packets);
	mg_ev_u64(e, "bytes", s->tally.bytes);
	mg_ev_u64(e, "non_ip", s->tally.non_ip);
	mg_ev_obj(e, "decode_anomalies");
	for (int i = 1; i < MG_ANOM__COUNT; i++)
		if (s->tally.anomalies[i])
			mg_ev_u64(e, mg_anomaly_name((enum mg_anomaly)i), s->tally.anomalies[i]);
	mg_ev_close(e);
	mg_ev_obj(e, "link_skipped");
	for (int i = 1; i < MG_SKIP__COUNT; i++)
		if (s->tally.skipped[i])
			mg_ev_u64(e, mg_skip_name((enum mg_skip)i), s->tally.skipped[i]);
	mg_ev_close(e);
	mg_ev_obj(e, "capture");
	mg_ev_u64(e, "kernel_received", s->tally.cap.received);
	mg_ev_u64(e, "kernel_dropped", s->tally.cap.dropped);
	mg_ev_u64(e, "interface_dropped", s->tally.cap.if_dropped);
	for (int i = 0; i < MG_NOTE__COUNT; i++)
		mg_ev_u64(e, note_names[i], s->tally.notes[i]);
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
	mg_ev_u64(e, "detected", s->dpi_run.detected);
	mg_ev_u64(e, "gave_up", s->dpi_run.gave_up);
	mg_ev_u64(e, "in_progress", s->dpi_run.active);
	mg_ev_close(e);
	mg_ev_obj(e, "malformed");
	for (int i = 0; i < MG_PARSER__COUNT; i++)
		if (s->tally.malformed[i])
			mg_ev_u64(e, mg_parser_name((enum mg_parser)i), s->tally.malformed[i]);
	mg_ev_close(e);
	mg_ev_u64(e, "identity_events", s->id_run.events);
	mg_ev_u64(e, "anomaly_events", s->anom_run.events);
	mg_ev_obj(e, "anomaly");
	mg_ev_u64(e, "findings", s->anom_run.judged.findings);
	mg_ev_u64(e, "reported", s->anom_run.events);
	mg_ev_u64(e, "quiet", s->anom_run.judged.quiet);
	mg_ev_u64(e, "repeats", s->anom_run.judged.repeats);
	mg_ev_u64(e, "while_quarantined", s->anom_run.judged.held);
	mg_ev_u64(e, "quarantine_verdicts", s->anom_run.judged.quarantines);
	mg_ev_u64(e, "targets", s->anom_run.judged.targets);
	mg_ev_u64(e, "clock_steps_back", s->clk.steps);
	if (s->bls) {
		mg_ev_u64(e, "baselines", mg_baselines_count(s->bls));
		mg_ev_u64(e, "baseline_bytes", mg_baselines_bytes(s->bls));
	}
	if (s->cfg.state_file[0]) {
		mg_ev_u64(e, "state_saves", s->state_run.saves);
		mg_ev_u64(e, "state_save_errors", s->state_run.errors);
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
					  s->enf_run.outcomes[o]);
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

void sev_reload(struct mg_sensor *s, size_t rules, bool fingerprints, const char *applied,
		const char *restart)
{
	struct mg_events *e = s->ev;

	mg_ev_begin(e, "reload", s->clk.now_us);
	mg_ev_u64(e, "rules", rules);
	mg_ev_bool(e, "fingerprints", fingerprints);
	mg_ev_str(e, "applied", applied);
	mg_ev_str(e, "restart_needed", restart);
	mg_ev_emit(e);
}

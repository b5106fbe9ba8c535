/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sensor: its lifecycle (new, reset, reload, finish, free), its clock
 * (advance: time from packets only), its tables, and the per-packet
 * pipeline (mg_sensor_packet), which hands each packet to the stages in
 * order:
 *   1. decode, count, and the devices at either end (classify/device.c);
 *   2. addresses: ARP, the source address, DHCP server replies and NDP
 *      (classify/l2learn.c parses, learn_l2 applies);
 *   3. identification signals (classify/extract.c), scored per device in
 *      flush_dirty (classify/ident.c), and behaviour (sleeps, streams-up);
 *   4. the flow (classify/flow.c); a new one is checked against the ends'
 *      MUD profiles (the MUD glue below; sensor_mud.c);
 *   5. the anomaly detectors (sensor_anomaly.c), whose quarantine verdicts
 *      go to the enforcement stage (sensor_enforce.c);
 *   6. DPI (classify/dpi.c): a named protocol is a signal and, for the
 *      anomaly stage, maybe a new protocol.
 * Events are written by sensor_events.c. sensor_priv.h describes the
 * state, which stage owns what, and why the stages are split as they are.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../classify/l2learn.h"
#include "../classify/mudrules.h"
#include "../classify/oui.h"
#include "../classify/prefix.h"
#include "sensor_priv.h"

#define TRAFFIC_PKTS 16 /* first packets of a device that become traffic.packet features */

/* ---- MUD: bindings and checks of new flows (sensor_mud.c decides) ---- */

/* A violation of @d's profile: its event, and a quarantine verdict if the
 * settings make it one. */
static void mud_violation(struct mg_sensor *s, struct mg_device *d, uint64_t flow_id,
			  const struct mg_mud_flow *mf, const struct mg_smud_result *r,
			  uint64_t late_us)
{
	sev_mud_violation(s, d, flow_id, mf, r, late_us);
	if (r->quarantine) {
		char reason[160], ts[40], ref[64];
		snprintf(reason, sizeof(reason), "mud_violation: %.140s", r->v.why);
		mg_ts_str(s->clk.now_us, ts, sizeof(ts));
		snprintf(ref, sizeof(ref), "mud_violation %s", ts);
		senf_verdict(s, d, reason, ref);
	}
}

/* The wait for @d's profile ends: the binding event, then the flows it
 * opened meanwhile, checked at the time each began. */
static void mud_settle(struct mg_sensor *s, struct mg_device *d)
{
	struct mg_smud_dev *md = MUD(d);
	struct mg_smud_held *held;
	uint64_t late[2];
	size_t n = mg_smud_settle(s->mud, md, &held, late);

	sev_mud_binding(s, d, md->url, md->source, NULL, late);
	for (size_t i = 0; i < n; i++) {
		const struct mg_smud_held *h = &held[i];
		const struct mg_device *peer =
			h->has_peer ? mg_devtab_find(s->devs, h->peer_mac) : NULL;
		struct mg_smud_result r;
		if (mg_smud_check(s->mud, md, ID(d), MUD(peer), &h->f, h->ts_us, &r) && r.emit)
			mud_violation(s, d, h->flow_id, &h->f, &r, h->ts_us);
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
			sev_mud_binding(s, d, md->url, md->source, NULL, NULL);
		}
	}
}

static void mud_poll(struct mg_sensor *s)
{
	if (s->mud_live)
		mg_smud_poll(s->mud, s->clk.now_us, mud_arrived, s);
}

/* A new binding: its event; when it ends a wait (bound anew to a profile
 * that is there), the held flows too. */
static void mud_bound(struct mg_sensor *s, struct mg_device *d)
{
	const struct mg_smud_dev *md = MUD(d);
	if (!md->awaiting && (md->n_held || md->held_over))
		mud_settle(s, d);
	else
		sev_mud_binding(s, d, md->url, md->source, NULL, NULL);
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
	switch (mg_smud_bind_url(s->mud, MUD(d), url, source, s->clk.now_us, why, sizeof(why))) {
	case MG_SMUD_BOUND:
		mud_bound(s, d);
		break;
	case MG_SMUD_REJECTED:
		sev_mud_binding(s, d, url, source, why, NULL);
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
	if (mg_smud_bind_rules(s->mud, MUD(d), d->mac, attrs, s->clk.now_us) == MG_SMUD_BOUND)
		mud_bound(s, d);
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
				   mg_ident_dns_name(ID(d), &mf.peer, s->clk.now_us),
				   mg_devtab_is_local(s->devs, &mf.peer));
		if (!s->mud || !md->url)
			continue;
		if (md->awaiting) {
			mg_smud_hold(s->mud, md, &mf, other ? other->mac : NULL, f->id,
				     s->clk.now_us);
			continue;
		}
		if (mg_smud_refreshed(s->mud, md, s->clk.now_us))
			sev_mud_binding(s, d, md->url, md->source, NULL, NULL);
		struct mg_smud_result r;
		if (mg_smud_check(s->mud, md, ID(d), MUD(other), &mf, s->clk.now_us, &r) && r.emit)
			mud_violation(s, d, f->id, &mf, &r, 0);
	}
}

/* ---- identification: signals in, devices rescored ---- */

/* Re-scores devices that got new evidence; news becomes an `identity` event. */
static void flush_dirty(struct mg_sensor *s)
{
	for (unsigned i = 0; i < 2; i++) {
		struct mg_device *d = s->id_run.dirty[i];
		s->id_run.dirty[i] = NULL;
		if (d && ID(d) && mg_ident_update(ID(d), s->clk.now_us - d->first_us)) {
			sev_identity(s, d);
			mud_bind_rules(s, d);
		}
	}
}

static void add_signal(struct mg_sensor *s, struct mg_device *d, enum mg_signal sig,
		       const char *value)
{
	if (!ID(d) || mg_ident_add(ID(d), sig, value, s->clk.now_us) != 1)
		return;
	if (sig == MG_SIG_DHCP_MUD_URL || sig == MG_SIG_DHCP6_MUD_URL || sig == MG_SIG_LLDP_MUD_URL)
		mud_bind_url(s, d, sig, value);
	if (s->id_run.dirty[0] == d || s->id_run.dirty[1] == d)
		return;
	if (s->id_run.dirty[0] && s->id_run.dirty[1])
		flush_dirty(s);
	s->id_run.dirty[s->id_run.dirty[0] ? 1 : 0] = d;
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
	add_signal(pd->s, mg_devtab_touch(pd->s->devs, mac, pd->s->clk.now_us), sig, value);
}

static void on_dns_answer(void *user, int who, const char *name, const struct mg_addr *a,
			  uint32_t ttl)
{
	struct pkt_devs *pd = user;
	if (ID(pd->dev[who]))
		mg_ident_dns_add(ID(pd->dev[who]), name, a, ttl, pd->s->clk.now_us);
}

static void on_malformed(void *user, enum mg_parser what)
{
	struct pkt_devs *pd = user;
	pd->s->tally.malformed[what]++;
}

static void on_dns_msg(void *user, int who, const char *qname, int rcode)
{
	struct pkt_devs *pd = user;
	struct mg_device *d = pd->dev[who];

	/* a local DNS server: never quarantined, and a quarantined device may ask it */
	if (who == 1 && mg_devtab_is_local(pd->s->devs, pd->addr[0]))
		senf_protect(pd->s, pd->addr[0], true);
	sanom_dns(pd->s, d, pd->addr[who], who, qname, rcode);
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

/* ---- the tables: devices, flows, baselines ---- */

static void on_device(struct mg_device *d, enum mg_dev_event what, void *user)
{
	struct mg_sensor *s = user;

	switch (what) {
	case MG_DEV_NEW:
		sev_device_queue(s, d);
		d->user = calloc(1, sizeof(struct devx));
		if (d->user && !(DX(d)->id = mg_ident_new(&s->icfg))) {
			free(d->user);
			d->user = NULL;
		}
		if (d->user && s->bls) /* NULL (out of memory): no baseline detectors */
			DX(d)->bl = mg_baselines_get(s->bls, d->mac, s->clk.now_us);
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
		if (d->role == MG_ROLE_GATEWAY) /* the gateway is never quarantined */
			senf_protect_gateway(s, d);
		sev_role(s, d);
		add_signal(s, d, MG_SIG_ROLE, mg_role_name(d->role));
		break;
	case MG_DEV_END:
		sev_flush_pending(s);
		for (unsigned i = 0; i < 2; i++)
			if (s->id_run.dirty[i] == d)
				s->id_run.dirty[i] = NULL;
		/* last look, at its final age: a learned type may firm up without news */
		if (ID(d) && mg_ident_update(ID(d), s->clk.now_us - d->first_us))
			sev_identity(s, d);
		if (s->out.summary)
			sev_summary_row(s, d);
		sev_device_summary(s, d);
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
		s->dpi_run.detected++;
	} else {
		mg_dpi_giveup(s->dpi, &f->dpi, &f->app_master, &f->app_proto);
		f->dpi_state = MG_DPI_GAVE_UP;
		s->dpi_run.gave_up++;
	}
	s->dpi_run.active--;
	record_proto(s, f);
	if (s->bls)
		sanom_protocol(s, f, cleartext);
}


static void on_flow_end(struct mg_flow *f, enum mg_flow_end why, void *user)
{
	struct mg_sensor *s = user;

	if (f->dpi_state == MG_DPI_PENDING)
		dpi_done(s, f, false);
	if (s->cfg.flows)
		sev_flow(s, f, why);
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

/* The clock stepped back: what each device counts per second, per scan
 * window and per baseline interval starts again, and so does an episode of
 * findings (a quarantine verdict holds on). */
static void clock_stepped(struct mg_sensor *s)
{
	s->clk.steps++;
	s->clk.heard_since_us = s->clk.now_us;
	for (struct mg_device *d = mg_devtab_first(s->devs); d; d = mg_devtab_next(d)) {
		struct devx *dx = DX(d);
		if (dx)
			sanom_restart(s, dx);
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

	if (!s->clk.started) {
		s->clk.started = true;
		s->clk.now_us = ts_us;
		s->clk.stats_next_us = ts_us + interval;
		s->clk.dev_expire_next_us = ts_us + 1000000u;
	}
	if (s->clk.shift && ts_us >= s->clk.now_us)
		s->clk.shift = 0; /* packet time caught up */
	uint64_t t = ts_us + s->clk.shift;
	if (t + CLOCK_STEP_US < s->clk.now_us ||
	    (s->clk.shift && t > s->clk.now_us + CLOCK_JUMP_US)) {
		s->clk.shift = s->clk.now_us - ts_us;
		t = s->clk.now_us;
		clock_stepped(s);
	}
	if (t > s->clk.now_us)
		s->clk.now_us = t;
	mg_flowtab_expire(s->flows, s->clk.now_us);
	flush_dirty(s); /* flows ended by time may have named protocols */
	senf_tick(s);
	if (s->clk.now_us >= s->clk.dev_expire_next_us) {
		mg_devtab_expire(s->devs, s->clk.now_us);
		s->clk.dev_expire_next_us = s->clk.now_us + 1000000u;
	}
	if (s->bls && s->cfg.state_file[0] && s->clk.now_us >= s->state_run.next_us) {
		if (s->state_run.next_us)
			senf_save_baselines(s);
		s->state_run.next_us = s->clk.now_us + (uint64_t)s->cfg.state_save * 1000000u;
	}
	if (s->clk.now_us >= s->clk.stats_next_us) {
		sev_stats(s, false);
		/* one stats event per due interval boundary passed, not a burst */
		s->clk.stats_next_us +=
			((s->clk.now_us - s->clk.stats_next_us) / interval + 1) * interval;
	}
}

/* ---- addresses and routers ---- */

/* What a DHCP server reply or an NDP message of @p, from @src, taught
 * (classify/l2learn.c): routers, DHCP servers and who holds which address. */
static void learn_l2(struct mg_sensor *s, const struct mg_pkt *p, struct mg_device *src)
{
	struct mg_l2learn l;
	struct mg_device *owner = NULL;

	if (!mg_l2learn(p, &l))
		return;
	if (src && l.gateway)
		mg_device_set_gateway(s->devs, src, (enum mg_gw_reason)l.gateway);
	if (l.dhcp_server)
		senf_protect(s, &p->src, false);
	if (l.owner == MG_L2_MAC)
		owner = mg_devtab_touch(s->devs, l.mac, s->clk.now_us);
	else if (l.owner == MG_L2_SENDER)
		owner = src;
	if (owner && l.has_addr)
		mg_device_add_addr(owner, &l.addr, (enum mg_addr_src)l.how, s->clk.now_us);
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

	x->last_tx_us = s->clk.now_us;
	if (x->wakes >= WAKES)
		return;
	/* a silence across a break in what the sensor heard (between two files,
	 * a clock step) is not the device's */
	if (last && last >= s->clk.heard_since_us && s->clk.now_us >= last + WAKE_SILENCE)
		x->woke_us = s->clk.now_us;
	if (!x->woke_us || s->clk.now_us < x->woke_us || s->clk.now_us - x->woke_us > WAKE_JOIN ||
	    !joins(p))
		return;
	x->woke_us = 0;
	if (x->wake_epoch != s->clk.heard_since_us) { /* both wakes heard in one stretch */
		x->wake_epoch = s->clk.heard_since_us;
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

/* ---- the pipeline ---- */

void mg_sensor_packet(struct mg_sensor *s, enum mg_link link, const uint8_t *data,
		      uint32_t caplen, uint32_t wirelen, uint64_t ts_us)
{
	struct mg_pkt p;
	struct mg_device *src = NULL, *dst = NULL;
	enum mg_anomaly anom = mg_decode(&p, link, data, caplen, wirelen, ts_us);

	advance(s, ts_us);
	mud_poll(s);
	if (s->clk.new_file) {
		s->clk.heard_since_us = s->clk.now_us;
		s->clk.new_file = false;
	}
	s->tally.packets++;
	s->tally.bytes += wirelen;
	s->tally.anomalies[anom]++;
	s->tally.skipped[p.skip < MG_SKIP__COUNT ? p.skip : 0]++;

	if (p.has_mac) {
		src = mg_devtab_touch(s->devs, p.src_mac, s->clk.now_us);
		dst = mg_devtab_find(s->devs, p.dst_mac);
		if (src)
			mg_device_count_pkt(src, true, wirelen);
		if (dst)
			mg_device_count_pkt(dst, false, wirelen);
	}
	if (p.is_arp) {
		struct mg_addr a;
		struct mg_device *who = mg_devtab_touch(s->devs, p.arp_sha, s->clk.now_us);
		mg_addr_set_v4(&a, p.arp_spa);
		if (who)
			mg_device_add_addr(who, &a, MG_ASRC_ARP, s->clk.now_us);
	}
	if (src && src->pkts_out <= TRAFFIC_PKTS)
		traffic_feature(s, src, &p);
	if (DX(src))
		wake_packet(s, src, &p);
	struct pkt_devs pd = {s, {src, dst}, {&p.src, &p.dst}};
	mg_extract(&p, s->p0f, &extract_ops, &pd);
	if (!p.ip_version) {
		s->tally.non_ip++;
		goto out;
	}
	bool src_local = src && !mg_addr_is_group(&p.src) && mg_devtab_is_local(s->devs, &p.src);
	if (src && !mg_addr_is_group(&p.src)) {
		if (src_local)
			mg_device_add_addr(src, &p.src, MG_ASRC_TRAFFIC, s->clk.now_us);
		else
			mg_device_note_remote_src(s->devs, src, &p.src);
	}
	learn_l2(s, &p, src);

	int dir;
	bool created;
	struct mg_flow *f = mg_flowtab_update(s->flows, &p, s->clk.now_us, &dir, &created);
	if (!f)
		goto out;
	if (created) {
		struct mg_device *cli = dir ? dst : src, *srv = dir ? src : dst;
		if (cli)
			mg_device_add_flow(cli, true, &f->srv);
		if (srv)
			mg_device_add_flow(srv, false, &f->cli);
		if (p.frag_off) /* a later fragment: no ports, nothing to inspect */
			f->dpi_state = MG_DPI_SKIPPED;
		else
			s->dpi_run.active++;
		if ((s->mud || s->flow_cb) && !p.frag_off)
			mud_flow(s, f, &p, cli, srv);
	}
	if (src)
		sanom_packet(s, src, &p, src_local, f, dir, created);
	if (dst)
		sanom_target(s, dst, &p, dir);
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
	sev_flush_pending(s);
	flush_dirty(s);
}

void mg_sensor_new_capture(struct mg_sensor *s)
{
	s->clk.new_file = true;
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
	if (s->clk.started) {
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
	s->tally.cap = *st;
}

void mg_sensor_cancel_fetches(struct mg_sensor *s)
{
	if (s->mud)
		mg_smud_cancel(s->mud);
}

void mg_sensor_note(struct mg_sensor *s, enum mg_note what)
{
	if ((unsigned)what < MG_NOTE__COUNT)
		s->tally.notes[what]++;
}

void mg_sensor_finish(struct mg_sensor *s, FILE *summary)
{
	/* No packet came (a capture that did not open, files that could not be
	 * read): there is no packet time, and an event stamped 1970 would be
	 * read as one; the final stats carry the time they are written. */
	if (!s->clk.started && s->clk.now_us < mg_wall_us())
		s->clk.now_us = mg_wall_us();
	if (s->mud_live) /* a transfer in progress ends while the rest is written */
		mg_smud_stop(s->mud);
	mg_flowtab_flush(s->flows);
	flush_dirty(s);
	sev_stats(s, true);
	s->out.summary = summary;
	if (summary)
		sev_summary_head(summary);
	mg_devtab_flush(s->devs);
	s->out.summary = NULL;
}

int mg_sensor_reset(struct mg_sensor *s)
{
	char err[256];

	mg_flowtab_free(s->flows);
	mg_devtab_free(s->devs);
	memset(&s->clk, 0, sizeof(*s) - offsetof(struct mg_sensor, clk));
	if (s->mud)
		mg_smud_reset(s->mud);
	int rc = make_baselines(s, err, sizeof(err)); /* loaded fine at start: again */
	return rc < 0 ? rc : make_tables(s);
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
	sev_flush_pending(s);
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
	sev_reload(s, rules ? mg_rules_count(rules) : 0, model != NULL, r->applied, r->restart);
	for (struct mg_device *d = mg_devtab_first(s->devs); d; d = mg_devtab_next(d)) {
		if (ID(d) && mg_ident_update(ID(d), s->clk.now_us - d->first_us))
			sev_identity(s, d);
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

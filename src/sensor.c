/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "sensor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../classify/device.h"
#include "../classify/dhcp.h"
#include "../classify/dpi.h"
#include "../classify/flow.h"
#include "../classify/oui.h"
#include "../classify/prefix.h"

#define PENDING_MAX 64 /* new devices awaiting their `device` event in one packet */

struct mg_sensor {
	struct mg_config cfg;
	struct mg_events *ev;
	struct mg_oui *oui;
	struct mg_prefixes *local;
	struct mg_dpi *dpi;
	struct mg_flowtab *flows;
	struct mg_devtab *devs;

	uint64_t now_us, stats_next_us, dev_expire_next_us;
	bool started;

	uint64_t packets, bytes, non_ip;
	uint64_t anomalies[MG_ANOM__COUNT];
	uint64_t notes[MG_NOTE__COUNT];
	uint64_t dpi_detected, dpi_gave_up, dpi_active;
	struct mg_capture_stats cap;

	struct mg_device *pending[PENDING_MAX];
	unsigned n_pending;
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
	fprintf(s->summary, "%-17s  %-15s  %-7s  %-28.28s  %8llu  %8llu  %s\n",
		mg_mac_str(d->mac, mac, sizeof(mac)), ip, mg_role_name(d->role),
		d->vendor ? d->vendor : (d->randomized ? "(randomized MAC)" : "(unknown)"),
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
		break;
	case MG_DEV_ROLE:
		emit_role(s, d);
		break;
	case MG_DEV_END:
		flush_pending(s);
		if (s->summary)
			print_summary_row(s, d);
		emit_summary(s, d);
		break;
	}
}

static void record_proto(struct mg_sensor *s, struct mg_flow *f)
{
	uint32_t key = (uint32_t)f->app_master << 16 | f->app_proto;
	struct mg_device *d;

	if (!f->has_mac)
		return;
	if ((d = mg_devtab_find(s->devs, f->cli_mac)))
		mg_device_add_proto(d, key);
	if ((d = mg_devtab_find(s->devs, f->srv_mac)))
		mg_device_add_proto(d, key);
}

static void dpi_done(struct mg_sensor *s, struct mg_flow *f, bool detected)
{
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
	ev_addr(e, "src_ip", &f->cli);
	if (f->proto == 6 || f->proto == 17)
		mg_ev_u64(e, "src_port", f->cli_port);
	ev_addr(e, "dest_ip", &f->srv);
	if (f->proto == 6 || f->proto == 17)
		mg_ev_u64(e, "dest_port", f->srv_port);
	mg_ev_str(e, "proto", proto_name(f->proto, name, sizeof(name)));
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
	rc = -ENOMEM;
	snprintf(err, errlen, "out of memory");
	s->dpi = mg_dpi_new();
	if (!s->dpi) {
		snprintf(err, errlen, "cannot initialise nDPI");
		goto out;
	}
	struct mg_flow_cfg fc = {
		.max_flows = cfg->flows_max,
		.tcp_idle_s = cfg->tcp_idle,
		.closed_idle_s = cfg->tcp_closed_idle,
		.udp_idle_s = cfg->udp_idle,
		.other_idle_s = cfg->other_idle,
		.hard_timeout_s = cfg->hard_timeout,
	};
	s->flows = mg_flowtab_new(&fc, on_flow_end, s);
	struct mg_device_cfg dc = {
		.max_devices = cfg->devices_max,
		.idle_s = cfg->device_idle,
		.max_peers = cfg->max_peers,
	};
	s->devs = mg_devtab_new(&dc, s->oui, s->local, on_device, s);
	if (!s->flows || !s->devs)
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
	mg_ev_obj(e, "devices");
	mg_ev_u64(e, "active", ds.active);
	mg_ev_u64(e, "created", ds.created);
	mg_ev_u64(e, "expired", ds.expired);
	mg_ev_u64(e, "evicted", ds.evicted);
	mg_ev_close(e);
	mg_ev_emit(e);
}

/* Moves the clock (never backwards) and runs what is due at the new time. */
static void advance(struct mg_sensor *s, uint64_t ts_us)
{
	uint64_t interval = (uint64_t)s->cfg.stats_interval * 1000000u;

	if (!s->started) {
		s->started = true;
		s->now_us = ts_us;
		s->stats_next_us = ts_us + interval;
		s->dev_expire_next_us = ts_us + 1000000u;
	}
	if (ts_us > s->now_us)
		s->now_us = ts_us;
	mg_flowtab_expire(s->flows, s->now_us);
	if (s->now_us >= s->dev_expire_next_us) {
		mg_devtab_expire(s->devs, s->now_us);
		s->dev_expire_next_us = s->now_us + 1000000u;
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

	if (p->icmp_type == 134 && src) { /* router advertisement */
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

void mg_sensor_packet(struct mg_sensor *s, enum mg_link link, const uint8_t *data,
		      uint32_t caplen, uint32_t wirelen, uint64_t ts_us)
{
	struct mg_pkt p;
	struct mg_device *src = NULL, *dst = NULL;
	enum mg_anomaly anom = mg_decode(&p, link, data, caplen, wirelen, ts_us);

	advance(s, ts_us);
	s->packets++;
	s->bytes += wirelen;
	s->anomalies[anom]++;

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
	if (!p.ip_version) {
		s->non_ip++;
		goto out;
	}
	if (src && !mg_addr_is_group(&p.src)) {
		if (mg_devtab_is_local(s->devs, &p.src))
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
	}
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
}

void mg_sensor_tick(struct mg_sensor *s, uint64_t now_us)
{
	if (s->started)
		advance(s, now_us);
}

void mg_sensor_set_capture_stats(struct mg_sensor *s, const struct mg_capture_stats *st)
{
	s->cap = *st;
}

void mg_sensor_note(struct mg_sensor *s, enum mg_note what)
{
	if ((unsigned)what < MG_NOTE__COUNT)
		s->notes[what]++;
}

void mg_sensor_finish(struct mg_sensor *s, FILE *summary)
{
	mg_flowtab_flush(s->flows);
	emit_stats(s, true);
	s->summary = summary;
	if (summary)
		fprintf(summary, "%-17s  %-15s  %-7s  %-28s  %8s  %8s  %s\n", "MAC", "ADDRESS",
			"ROLE", "VENDOR", "PKTS_OUT", "PKTS_IN", "PROTOCOLS");
	mg_devtab_flush(s->devs);
	s->summary = NULL;
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
	free(s);
}

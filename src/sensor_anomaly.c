/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sensor's anomaly stage: glue between the pipeline and the behavioural
 * detectors, which live in classify/ (scan.c: scans, floods and connect
 * storms; baseline.c: each device's learned rates and sets; dga.c:
 * generated-looking names; verdict.c: findings combined into an episode and
 * a verdict). Here: what each packet, new flow, named protocol and DNS
 * message counts for; what is a finding (new services, peers and protocols,
 * exposure to the outside, the risky port and protocol tables), its score
 * and its explanation (the "why" of the event); and the verdict on it
 * (begin_anomaly: judged, counted, reported or not; end_anomaly: a
 * quarantine verdict goes to the enforcement stage). The events' fields are
 * written by sensor_events.c (sev_anomaly_*).
 *
 * State: s->anom_run (owned), each device's scan, baseline and verdict
 * (struct devx; owned); reads the clock, the configuration and the device
 * table. Per device, so the next issue can shard it by MAC.
 */
#include <string.h>

#include "../classify/dga.h"
#include "../common/hash.h"
#include "sensor_priv.h"

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

const char *sanom_det_name(unsigned det)
{
	return det < MG_SCAN__KINDS ? mg_scan_kind_name((enum mg_scan_kind)det)
	       : det < DET__N	    ? det_names[det - MG_SCAN__KINDS]
				    : "unknown";
}

bool sanom_held(struct mg_sensor *s, struct mg_device *d)
{
	struct devx *dx = DX(d);
	if (!dx || !mg_verdict_held(&dx->vd, s->clk.now_us))
		return false;
	if (dx->bl)
		mg_bl_hold(dx->bl);
	return true;
}

/* Counts and opens an `anomaly` event of @det on @d, open at its "evidence"
 * object. @combined NULL: a finding about @d that is not evidence against it
 * (it is the target of an attack): no combined score, no episode. */
static void open_anomaly(struct mg_sensor *s, struct mg_device *d, unsigned det, double score,
			 const double *combined, const char *verdict, const char *why)
{
	struct devx *dx = DX(d);

	sev_flush_pending(s);
	s->anom_run.events++;
	dx->anomalies++;
	sev_anomaly_begin(s, d, sanom_det_name(det), score, combined, dx->vd.reported, verdict,
			  why);
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
	s->anom_run.judged.findings++;
	if (dx->bl)
		mg_bl_hold(dx->bl); /* an interval with a finding is not normal */
	enum mg_verdict_out v =
		mg_verdict_add(&dx->vd, &s->vcfg, det, score, s->clk.now_us, &combined);
	switch (v) {
	case MG_VD_QUIET:
		s->anom_run.judged.quiet++;
		return false;
	case MG_VD_REPEAT:
		s->anom_run.judged.repeats++;
		return false;
	case MG_VD_HELD:
		s->anom_run.judged.held++;
		return false;
	default:
		break;
	}
	s->anom_run.judged.quarantines += v == MG_VD_QUARANTINE;
	if (v == MG_VD_QUARANTINE) {
		s->anom_run.verdict_dev = d;
		snprintf(s->anom_run.verdict_reason, sizeof(s->anom_run.verdict_reason),
			 "%s: %.120s", sanom_det_name(det), why);
	}
	open_anomaly(s, d, det, score, &combined, v == MG_VD_QUARANTINE ? "quarantine" : "alert",
		     why);
	return true;
}

static void end_anomaly(struct mg_sensor *s)
{
	char ts[40], ref[64];

	sev_anomaly_end(s);
	if (s->anom_run.verdict_dev) {
		struct mg_device *d = s->anom_run.verdict_dev;
		s->anom_run.verdict_dev = NULL;
		mg_ts_str(s->clk.now_us, ts, sizeof(ts));
		snprintf(ref, sizeof(ref), "anomaly %s", ts);
		senf_verdict(s, d, s->anom_run.verdict_reason, ref);
	}
}

/* A finding of the scan module about @d: a scan, a flood, a connect storm. */
static void scan_finding(struct mg_sensor *s, struct mg_device *d, const struct mg_scan_finding *x)
{
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
	sev_anomaly_scan(s, d, x);
	end_anomaly(s);
}

/* @d is the target of a flood: reported, but not evidence against it. */
static void target_finding(struct mg_sensor *s, struct mg_device *d,
			   const struct mg_scan_finding *x)
{
	char why[256];
	bool syn = x->kind == MG_SCAN_SYN_TARGET;

	s->anom_run.judged.targets++;
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
	sev_anomaly_target(s, x);
	end_anomaly(s);
}

/* Counts @n of @m for @d's baseline; a rate far beyond it is a finding. */
static void bl_count(struct mg_sensor *s, struct mg_device *d, enum mg_bl_metric m, uint64_t n)
{
	struct mg_bl_rate r;
	char why[256];

	if (!DX(d) || !DX(d)->bl || !mg_bl_add(DX(d)->bl, s->bls, m, n, s->clk.now_us, &r))
		return;
	bool nx = m == MG_BL_NXDOMAIN;
	snprintf(why, sizeof(why),
		 "%llu %s in %u s; this device's learned high is %llu per interval, so more than "
		 "%llu is far beyond it",
		 (unsigned long long)r.count, nx ? "NXDOMAIN answers" : mg_bl_metric_name(m),
		 r.interval_s, (unsigned long long)r.high, (unsigned long long)r.threshold);
	if (!begin_anomaly(s, d, nx ? DET_NXDOMAIN : DET_RATE, nx ? 0.6 : 0.5, why))
		return;
	sev_anomaly_rate(s, mg_bl_metric_name(m), &r);
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


static bool calm(struct mg_sensor *s, struct mg_device *d)
{
	return mg_verdict_calm(&DX(d)->vd, &s->vcfg, s->clk.now_us);
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
	if (mg_bl_novel(bl, MG_BL_SERVICE, key_of('s', &svc, sizeof(svc)), s->clk.now_us,
			calm(s, d), &known)) {
		bool risky = svc.port && risky_port(svc.port);
		char pn[16];
		snprintf(why, sizeof(why),
			 "first %s connection to port %u%s after learning; the device knew %u "
			 "service%s",
			 sev_proto_name(f->proto, pn, sizeof(pn)), svc.port,
			 risky ? " (a remote shell, C2 or proxy port)" : "", known,
			 known == 1 ? "" : "s");
		if (begin_anomaly(s, d, DET_NEW_SERVICE, (risky ? 0.6 : 0.25) * novelty_weight(known),
				  why)) {
			sev_anomaly_service(s, svc.port, known, f);
			end_anomaly(s);
		}
	}
	if (group || local)
		return;
	/* the endpoint: the registrable domain of the name the device resolved,
	 * else the /24 or /48 around the address */
	const char *name = mg_ident_dns_name(ID(d), &f->srv, s->clk.now_us);
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
	if (!mg_bl_novel(bl, MG_BL_ENDPOINT, key, s->clk.now_us, calm(s, d), &known))
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
		sev_anomaly_peer(s, reg, name, dga, known, f);
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
	if (!mg_bl_novel(bl, MG_BL_SERVICE, key_of('s', &svc, sizeof(svc)), s->clk.now_us,
			 !risky && calm(s, d), &known) &&
	    !(risky && mg_bl_learning(bl, s->clk.now_us)))
		return;
	snprintf(why, sizeof(why), "answered a %s connection to port %u from %s, outside the "
				   "local networks%s",
		 sev_proto_name(f->proto, pn, sizeof(pn)), f->srv_port,
		 mg_addr_str(&f->cli, addr, sizeof(addr)),
		 risky ? "; the port is a remote shell's" : "");
	if (begin_anomaly(s, d, DET_EXPOSURE, risky ? 0.7 : 0.4 * novelty_weight(known), why)) {
		sev_anomaly_exposure(s, f->srv_port, addr, f);
		end_anomaly(s);
	}
}

/* DPI named @f's protocol: new protocols, and credentials in clear text. */
void sanom_protocol(struct mg_sensor *s, const struct mg_flow *f, bool cleartext)
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
		    sanom_held(s, d))
			continue;
		struct mg_bl *bl = DX(d)->bl;
		bool learn = calm(s, d);
		if (cleartext &&
		    mg_bl_novel(bl, MG_BL_PROTOCOL, key_of('x', &key, sizeof(key)), s->clk.now_us,
				learn, &known)) {
			snprintf(why, sizeof(why), "credentials %s in clear text over %s",
				 end ? "received" : "sent", name);
			if (begin_anomaly(s, d, DET_CLEARTEXT, 0.5, why)) {
				sev_anomaly_protocol(s, name, NULL, f);
				end_anomaly(s);
			}
		}
		if (end || !mg_bl_novel(bl, MG_BL_PROTOCOL, key_of('p', &key, sizeof(key)),
					s->clk.now_us, learn, &known))
			continue;
		bool risky = risky_protocol(name);
		snprintf(why, sizeof(why), "first %s flow after learning%s; the device knew %u "
					   "protocol%s",
			 name, risky ? " (a remote shell, C2 or tunnel protocol)" : "", known,
			 known == 1 ? "" : "s");
		if (begin_anomaly(s, d, DET_NEW_PROTOCOL,
				  (risky ? 0.85 : 0.25) * novelty_weight(known), why)) {
			sev_anomaly_protocol(s, name, &known, f);
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
				       s->clk.now_us, calm(s, d), &known))
		return;
	double dga = mg_dga_score(reg, dga_why, sizeof(dga_why));
	if (dga < 0.6)
		return;
	snprintf(why, sizeof(why), "asked for %s, a domain it never asked for that looks "
				   "machine-generated (%s)", qname, dga_why);
	if (begin_anomaly(s, d, DET_DGA, 0.3 + 0.3 * dga, why)) {
		sev_anomaly_dga(s, qname, reg, dga);
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
	if (!bl || mg_bl_learning(bl, s->clk.now_us))
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
				 mg_devtab_is_local(s->devs, &p->dst), mirai, s->clk.now_us, &x))
			scan_finding(s, d, &x);
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
			 flood_threshold(s, d, (enum mg_rate)rate), s->clk.now_us, &x))
		scan_finding(s, d, &x);
	/* a query: to port 53 with the QR bit clear */
	if (p->proto == 17 && p->dport == 53 && p->payload_len >= 3 && !(p->payload[2] & 0x80)) {
		bl_count(s, d, MG_BL_DNS, 1);
		if (mg_scan_rate(&dx->scan, &s->scan, MG_RATE_DNS_QUERY, &p->dst, 53, p->sport,
				 flood_threshold(s, d, MG_RATE_DNS_QUERY), s->clk.now_us, &x))
			scan_finding(s, d, &x);
	}
}

static bool icmp_error(const struct mg_pkt *p)
{
	return (p->proto == 1 && (p->icmp_type == 3 || p->icmp_type == 11)) ||
	       (p->proto == 58 && p->icmp_type >= 1 && p->icmp_type <= 4);
}

/* Everything behavioural about packet @p of flow @f. */
void sanom_packet(struct mg_sensor *s, struct mg_device *src, const struct mg_pkt *p,
		  bool src_local, const struct mg_flow *f, int dir, bool created)
{
	/* a router's MAC carries the Internet's traffic: not its own */
	if (!s->cfg.anomaly_enabled || !DX(src) || !src_local)
		return;
	if (sanom_held(s, src)) {
		/* a quarantined device with a new address: that one too */
		senf_follow_addr(s, src, &p->src);
		return;
	}
	/* the target of a flood answers its attackers (SYN-ACKs, RSTs, ICMP
	 * errors): not its behaviour, and not an interval to learn */
	if (mg_scan_attacked(DX(src)->scan, s->clk.now_us) && (dir == 1 || icmp_error(p))) {
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
void sanom_target(struct mg_sensor *s, struct mg_device *d, const struct mg_pkt *p, int dir)
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
					 s->clk.now_us, &x))
			target_finding(s, d, &x);
	} else if (p->proto == 17) {
		if (dir == 0 && reflector_port(p->sport) &&
		    mg_scan_inbound(&dx->scan, &s->scan, MG_IN_REFLECTED, &p->src, p->sport,
				    p->dport, s->clk.now_us, &x))
			target_finding(s, d, &x);
	} else if (unreachable_about(p, &peer, &port, &proto)) {
		mg_scan_answer(dx->scan, &peer, port, proto, MG_ANSWER_UNREACHABLE);
	}
}

void sanom_dns(struct mg_sensor *s, struct mg_device *d, const struct mg_addr *addr, int who,
	       const char *qname, int rcode)
{
	if (!s->bls || !DX(d) || !mg_devtab_is_local(s->devs, addr) || sanom_held(s, d))
		return;
	if (who == 0)
		dns_query(s, d, qname);
	else if (rcode == 3)
		bl_count(s, d, MG_BL_NXDOMAIN, 1);
}

void sanom_restart(struct mg_sensor *s, struct devx *dx)
{
	mg_scan_free(dx->scan);
	dx->scan = NULL;
	dx->last_conn = 0;
	if (dx->bl)
		mg_bl_restart(dx->bl, s->bls, s->clk.now_us);
	mg_verdict_restart(&dx->vd);
}

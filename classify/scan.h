/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Scan and flood detection per device, from the new connections it opens (TCP
 * SYNs and first packets of UDP flows): fan-out to many addresses on one port
 * (worse on the ports IoT malware hunts), many ports of few addresses, probing
 * of many local hosts (lateral movement), Mirai's signature (a SYN whose
 * sequence number equals its destination address); and floods: SYNs, new UDP
 * flows, ICMP echo requests or DNS queries per second at few targets (spread
 * over many targets the same rate is a scan, not a flood).
 *
 * A flood comes from many flows: many source ports, or many targets. One
 * connection tried again and again (the same peer and port from a few source
 * ports: a TCP reconnect loop, or the same UDP datagram sent again unanswered)
 * at a flood's rate is a connect storm, what a broken device does: a finding
 * that is never strong on its own. The answers the device gets (RSTs, ICMP
 * unreachables, SYN-ACKs) are its evidence.
 *
 * What a device receives: SYNs from many flows, or unsolicited UDP from the
 * ports reflection attacks abuse, per second at a flood's rate, make it the
 * target of an attack (one finding per attack, not evidence against it).
 *
 * Counts are per window of packet time; state is allocated only for devices
 * that open connections or are connected to, and bounded.
 */
#ifndef MG_SCAN_H
#define MG_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "../capture/decode.h"

struct mg_scan_cfg {
	uint32_t window_s;     /* counting window */
	uint32_t fanout;       /* distinct addresses on one port in a window */
	uint32_t local_hosts;  /* distinct local hosts probed in a window */
	uint32_t mirai_syns;   /* SYNs with seq == destination address */
	uint32_t flood[4];     /* per second: SYNs, new UDP flows, ICMP echo requests, DNS queries */
};

#define MG_SCAN_DEFAULTS {10, 64, 16, 3, {200, 200, 200, 100}}
#define MG_SCAN_SET_MAX 4096 /* (address, port) pairs remembered per window */

enum mg_scan_kind { MG_SCAN_MIRAI, MG_SCAN_FANOUT, MG_SCAN_LATERAL, MG_SCAN_PORTS, MG_SCAN_SYN_FLOOD,
		     MG_SCAN_UDP_FLOOD, MG_SCAN_ICMP_FLOOD, MG_SCAN_DNS_FLOOD, MG_SCAN_CONNECT_STORM,
		     MG_SCAN_SYN_TARGET, MG_SCAN_REFLECT_TARGET, MG_SCAN__KINDS };

/* How a device's connection attempts were answered (connect storms). */
enum mg_answer { MG_ANSWER_NONE, MG_ANSWER_RST, MG_ANSWER_UNREACHABLE, MG_ANSWER_ACCEPTED,
		 MG_ANSWER__N };

/* What a device receives that may make it a target: a SYN, or a UDP datagram
 * from a reflector's port on a flow its sender opened. */
enum mg_inbound { MG_IN_SYN, MG_IN_REFLECTED, MG_IN__N };

/* What a flood counts, per second of packet time. */
enum mg_rate { MG_RATE_SYN, MG_RATE_UDP_FLOW, MG_RATE_ICMP_ECHO, MG_RATE_DNS_QUERY, MG_RATE__N };

struct mg_scan_finding {
	enum mg_scan_kind kind;
	double score;		/* 0..1 */
	uint16_t port;		/* fan-out: the port; lateral: the most probed */
	uint32_t distinct;	/* addresses (fan-out) or local hosts (lateral) */
	uint32_t ports;		/* lateral: distinct ports; port_scan: (address, port) pairs */
	uint32_t mirai;		/* Mirai-signature SYNs in the window */
	uint32_t rate;		/* floods: count in the current second */
	uint32_t targets;	/* floods: distinct targets in that second (SYNs: address and
				 * port; else address) */
	uint32_t window_s;
	uint32_t threshold;	/* what the count reached */
	uint32_t sports;	/* floods, storms: distinct source ports in that second */
	uint32_t sources;	/* targets: distinct source addresses in that second */
	uint32_t flows;		/* targets: distinct (source, source port) in that second */
	uint8_t proto;		/* storms: 6 or 17 */
	enum mg_answer answer;	/* storms: how the peer answered */
	struct mg_addr sample[4]; /* first destinations of the window (storms: the peer;
				   * targets: first sources of the second) */
	unsigned nsample;
};

struct mg_scan;

/* Frees per-device state (NULL until the device opens connections or receives
 * them; NULL allowed). Freeing it starts every window again. */
void mg_scan_free(struct mg_scan *s);

/* The device opened a connection to @dst:@port (@local: @dst is in the local
 * networks; @mirai: a SYN with seq == @dst). Returns true with @out when a
 * finding is due: the first time a kind crosses its threshold in a window, and
 * again when its count has grown eightfold. *@s is allocated on first use; false with
 * *@s NULL when out of memory. */
bool mg_scan_conn(struct mg_scan **s, const struct mg_scan_cfg *cfg, const struct mg_addr *dst,
		  uint16_t port, bool local, bool mirai, uint64_t now_us,
		  struct mg_scan_finding *out);

/* The device sent one more of @what to @dst:@port from @sport. Returns true
 * with @out when a flood finding is due (the per-second count reached
 * @threshold, or the configured floor if that is higher, at few targets: first
 * in a window, again eightfold). SYNs and UDP flows at a few (address, port)
 * pairs from a few source ports (at most an eighth of the count each) are a
 * connect storm instead (score 0.5). *@s as for mg_scan_conn. */
bool mg_scan_rate(struct mg_scan **s, const struct mg_scan_cfg *cfg, enum mg_rate what,
		  const struct mg_addr *dst, uint16_t port, uint16_t sport, uint32_t threshold,
		  uint64_t now_us, struct mg_scan_finding *out);

/* The device sent a UDP datagram to @dst:@port from @sport, with a payload
 * hashed to @payload, on a flow it opened that had no answer yet. True when
 * it is the same datagram as the one it sent there before (a resend, which
 * counts as a MG_RATE_UDP_FLOW attempt). False while @s is NULL. */
bool mg_scan_resend(struct mg_scan *s, const struct mg_addr *dst, uint16_t port, uint16_t sport,
		    uint64_t payload);

/* The device got answer @a from @peer:@port (@proto 6 or 17) to a connection
 * attempt: a RST, a SYN-ACK, or an ICMP unreachable about it. Remembered for
 * the evidence of a connect storm to that peer. Nothing while @s is NULL. */
void mg_scan_answer(struct mg_scan *s, const struct mg_addr *peer, uint16_t port, uint8_t proto,
		    enum mg_answer a);

/* The device received @what from @src:@sport on its port @dport. Returns true
 * with @out (kind MG_SCAN_SYN_TARGET or MG_SCAN_REFLECT_TARGET, score 0.5)
 * when it became the target of a flood: the per-second count reached the
 * floor (cfg->flood: SYNs, UDP), SYNs from many flows (distinct (source, port)
 * more than half the count). Once per attack: again only after a minute under
 * the floor. *@s as for mg_scan_conn. */
bool mg_scan_inbound(struct mg_scan **s, const struct mg_scan_cfg *cfg, enum mg_inbound what,
		     const struct mg_addr *src, uint16_t sport, uint16_t dport, uint64_t now_us,
		     struct mg_scan_finding *out);

/* True when @s was the target of a flood within the last two seconds before
 * @now_us (what the device sends then answers its attackers). */
bool mg_scan_attacked(const struct mg_scan *s, uint64_t now_us);

const char *mg_scan_answer_name(enum mg_answer a);

const char *mg_scan_kind_name(enum mg_scan_kind k);

#endif

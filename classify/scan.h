/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Scan and flood detection per device, from the new connections it opens (TCP
 * SYNs and first packets of UDP flows): fan-out to many addresses on one port
 * (worse on the ports IoT malware hunts), many ports of few addresses, probing
 * of many local hosts (lateral movement), Mirai's signature (a SYN whose
 * sequence number equals its destination address); and floods: SYNs, new UDP
 * flows, ICMP echo requests or DNS queries per second at few targets (spread
 * over many targets the same rate is a scan, not a flood). Counts are per sliding window of packet time; state is
 * allocated only for devices that open connections, and bounded.
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
		     MG_SCAN_UDP_FLOOD, MG_SCAN_ICMP_FLOOD, MG_SCAN_DNS_FLOOD, MG_SCAN__KINDS };

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
	struct mg_addr sample[4]; /* first destinations of the window */
	unsigned nsample;
};

struct mg_scan;

/* Per-device state; NULL until the device opens connections. */
void mg_scan_free(struct mg_scan *s);

/* The device opened a connection to @dst:@port (@local: @dst is in the local
 * networks; @mirai: a SYN with seq == @dst). Returns true with @out when a
 * finding is due: the first time a kind crosses its threshold in a window, and
 * again when its count has grown eightfold. *@s is allocated on first use; false with
 * *@s NULL when out of memory. */
bool mg_scan_conn(struct mg_scan **s, const struct mg_scan_cfg *cfg, const struct mg_addr *dst,
		  uint16_t port, bool local, bool mirai, uint64_t now_us,
		  struct mg_scan_finding *out);

/* The device sent one more of @what to @dst. Returns true with @out when a
 * flood finding is due (the per-second count reached @threshold, or the
 * configured floor if that is higher: first in a window, again eightfold).
 * *@s as for mg_scan_conn. */
bool mg_scan_rate(struct mg_scan **s, const struct mg_scan_cfg *cfg, enum mg_rate what,
		  const struct mg_addr *dst, uint16_t port, uint32_t threshold, uint64_t now_us,
		  struct mg_scan_finding *out);

const char *mg_scan_kind_name(enum mg_scan_kind k);

#endif

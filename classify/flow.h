/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Bidirectional flow table keyed by the 5-tuple (plus the outer VLAN).
 * Idle and hard timeouts run on packet time; the table has a cap, and when it
 * is full the least recently active flow is evicted. Entries come from a pool
 * that grows in chunks up to the cap: no allocation per packet.
 */
#ifndef MG_FLOW_H
#define MG_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "../capture/decode.h"

struct mg_flow_cfg {
	uint32_t max_flows;
	uint32_t tcp_idle_s;    /* established TCP */
	uint32_t closed_idle_s; /* TCP after FIN from both sides or RST */
	uint32_t udp_idle_s;
	uint32_t other_idle_s;  /* ICMP and other IP protocols */
	uint32_t hard_timeout_s;
};

/* Defaults, in one place (p0f's config.h style). */
#define MG_FLOW_DEFAULT_MAX 262144
#define MG_FLOW_DEFAULT_TCP_IDLE 300
#define MG_FLOW_DEFAULT_CLOSED_IDLE 10
#define MG_FLOW_DEFAULT_UDP_IDLE 60
#define MG_FLOW_DEFAULT_OTHER_IDLE 30
#define MG_FLOW_DEFAULT_HARD 3600

enum mg_flow_end {
	MG_FLOW_END_IDLE,
	MG_FLOW_END_CLOSED, /* idle after FIN/RST */
	MG_FLOW_END_HARD,   /* hard timeout */
	MG_FLOW_END_EVICTED,
	MG_FLOW_END_SHUTDOWN, /* end of replay or capture */
	MG_FLOW_END_REUSED,   /* a new SYN on a closed flow's tuple */
};

/* Name of an end reason ("timeout", "evicted", ...). */
const char *mg_flow_end_name(enum mg_flow_end r);

enum mg_dpi_state { MG_DPI_PENDING, MG_DPI_DONE, MG_DPI_GAVE_UP, MG_DPI_SKIPPED };

/* A flow. Direction 0 is client to server (the client sent the first packet,
 * or received a SYN-ACK first). Fields are for reading; the table owns them,
 * except the `dpi*`, `app*` and `user` fields, which belong to the caller. */
struct mg_flow {
	struct mg_addr cli, srv;
	uint16_t cli_port, srv_port;
	uint16_t vlan;
	uint8_t proto;
	bool has_mac;
	uint8_t cli_mac[6], srv_mac[6];
	uint64_t id; /* 1, 2, 3... in creation order: deterministic */
	uint64_t first_us, last_us;
	uint64_t pkts[2], bytes[2];
	uint8_t tcp_fin; /* bit d: FIN seen in direction d */
	bool tcp_rst;

	/* caller-owned */
	uint8_t dpi_state;
	uint8_t dpi_pkts;
	uint16_t app_master, app_proto;
	void *dpi;

	/* table-private */
	struct mg_flow *hnext, *lprev, *lnext;
	uint8_t lclass;
	uint32_t hash;
};

struct mg_flowtab;

/* Called once for every flow that ends, before it is recycled. */
typedef void (*mg_flow_end_cb)(struct mg_flow *f, enum mg_flow_end why, void *user);

/* Creates a table. Returns NULL on allocation failure or max_flows == 0. */
struct mg_flowtab *mg_flowtab_new(const struct mg_flow_cfg *cfg, mg_flow_end_cb cb,
				  void *user);
/* Ends every flow (reason shutdown) and frees the table; NULL is allowed. */
void mg_flowtab_free(struct mg_flowtab *t);

/* Finds or creates the flow of IP packet @p at time @now_us, updates its
 * counters and timers, and returns it with *@dir set (0 client->server).
 * *@created tells whether the flow is new. Returns NULL for non-IP packets. */
struct mg_flow *mg_flowtab_update(struct mg_flowtab *t, const struct mg_pkt *p,
				  uint64_t now_us, int *dir, bool *created);

/* Ends flows idle at @now_us. Cheap: looks only at the oldest of each class. */
void mg_flowtab_expire(struct mg_flowtab *t, uint64_t now_us);

/* Ends all flows with reason shutdown. */
void mg_flowtab_flush(struct mg_flowtab *t);

struct mg_flow_stats {
	uint64_t active, created, expired, evicted, hard_timeouts, peak;
};
/* Copies the counters. */
void mg_flowtab_stats(const struct mg_flowtab *t, struct mg_flow_stats *st);

#endif

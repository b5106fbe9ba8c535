/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Device table keyed by MAC address: what every station on the segment is,
 * which addresses it holds, what it talks, and whether it is the gateway.
 * Capped, aged out on packet time, least recently seen evicted when full.
 */
#ifndef MG_DEVICE_H
#define MG_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "../capture/decode.h"
#include "oui.h"
#include "prefix.h"

#define MG_DEV_DEFAULT_MAX 65536
#define MG_DEV_DEFAULT_IDLE 604800 /* a week */
#define MG_DEV_DEFAULT_MAX_PEERS 4096
#define MG_DEV_MAX_V4 4
#define MG_DEV_MAX_V6 8
#define MG_DEV_MAX_PROTOS 64
#define MG_DEV_GATEWAY_MIN_REMOTE 3 /* distinct remote sources before "gateway" */

struct mg_device_cfg {
	uint32_t max_devices;
	uint32_t idle_s;
	uint32_t max_peers;
};

/* How an address was learned (bit flags, as several sources may agree). */
enum mg_addr_src {
	MG_ASRC_TRAFFIC = 1,
	MG_ASRC_ARP = 2,
	MG_ASRC_DHCP = 4,
	MG_ASRC_NDP = 8,
};

enum mg_role { MG_ROLE_DEVICE, MG_ROLE_GATEWAY };

/* Why a device holds the gateway role (bit flags). */
enum mg_gw_reason {
	MG_GW_REMOTE = 1, /* most remote addresses sit behind this MAC */
	MG_GW_DHCP = 2,   /* it answers DHCP */
	MG_GW_RA = 4,     /* it sends IPv6 router advertisements */
};

struct mg_dev_addr {
	struct mg_addr a;
	uint64_t last_us;
	uint8_t src; /* enum mg_addr_src flags */
};

/* Open-addressing set of 64-bit address hashes, growing up to a cap. */
struct mg_addrset {
	uint64_t *slot;
	uint32_t n, cap, limit;
	bool full;
};

struct mg_dev_proto {
	uint32_t key; /* master << 16 | app (nDPI ids) */
	uint64_t flows;
};

/* A device. Read-only for callers except `user`: the table's functions below
 * write the rest (the counters too: mg_device_count_pkt, mg_device_add_flow). */
struct mg_device {
	uint8_t mac[6];
	uint64_t seq; /* 1, 2, 3... in first-seen order */
	uint64_t first_us, last_us;
	const char *vendor; /* from the OUI registry, or NULL */
	bool randomized;    /* locally administered MAC */
	uint8_t role;       /* enum mg_role */
	uint8_t gw_reasons; /* enum mg_gw_reason */
	struct mg_dev_addr v4[MG_DEV_MAX_V4], v6[MG_DEV_MAX_V6];
	uint8_t n_v4, n_v6;
	struct mg_dev_proto *protos;
	uint16_t n_protos;
	uint64_t proto_overflow; /* flows of protocols beyond MG_DEV_MAX_PROTOS */
	struct mg_addrset peers;	/* distinct unicast peers */
	struct mg_addrset remote_srcs;	/* distinct remote sources behind this MAC */
	uint64_t pkts_out, pkts_in, bytes_out, bytes_in;
	uint64_t flows_out, flows_in;
	void *user;

	/* table-private */
	struct mg_device *hnext, *lru_prev, *lru_next, *all_prev, *all_next;
};

struct mg_devtab;

enum mg_dev_event { MG_DEV_NEW, MG_DEV_ROLE, MG_DEV_END };

/* Called when a device is created (MG_DEV_NEW), changes role (MG_DEV_ROLE)
 * and before it is removed (MG_DEV_END, at age-out, eviction or shutdown). */
typedef void (*mg_dev_cb)(struct mg_device *d, enum mg_dev_event ev, void *user);

/* Creates a table. @oui and @local may be NULL and must outlive the table. */
struct mg_devtab *mg_devtab_new(const struct mg_device_cfg *cfg, const struct mg_oui *oui,
				const struct mg_prefixes *local, mg_dev_cb cb, void *user);
/* Frees the table without calling the callback; NULL is allowed. */
void mg_devtab_free(struct mg_devtab *t);

/* Finds the device for @mac, creating it (unless it is a group address) and
 * refreshing last-seen at @now_us. Returns NULL for group MACs or on ENOMEM. */
struct mg_device *mg_devtab_touch(struct mg_devtab *t, const uint8_t mac[6],
				  uint64_t now_us);
/* Finds without creating or refreshing. */
struct mg_device *mg_devtab_find(const struct mg_devtab *t, const uint8_t mac[6]);

/* Records that @d holds address @a (learned via @src). Group and unspecified
 * addresses are ignored. */
void mg_device_add_addr(struct mg_device *d, const struct mg_addr *a, enum mg_addr_src src,
			uint64_t now_us);
/* Records a flow of protocol @key; true if it is the device's first. */
bool mg_device_add_proto(struct mg_device *d, uint32_t key);
/* Counts a frame of @len bytes that @d sent (@out) or that was sent to it. */
void mg_device_count_pkt(struct mg_device *d, bool out, uint32_t len);
/* Counts a flow @d opened (@out) or answered; @peer, the other end, is
 * recorded as a peer if it is unicast. */
void mg_device_add_flow(struct mg_device *d, bool out, const struct mg_addr *peer);
/* Records that a frame from @d carried remote source address @a. */
void mg_device_note_remote_src(struct mg_devtab *t, struct mg_device *d,
			       const struct mg_addr *a);
/* Marks @d as a gateway for @reason. */
void mg_device_set_gateway(struct mg_devtab *t, struct mg_device *d, enum mg_gw_reason reason);

/* True if @a is in the configured local networks. */
bool mg_devtab_is_local(const struct mg_devtab *t, const struct mg_addr *a);

/* Ends devices not seen for idle_s at @now_us. */
void mg_devtab_expire(struct mg_devtab *t, uint64_t now_us);
/* Ends every device in first-seen order (shutdown). */
void mg_devtab_flush(struct mg_devtab *t);

/* First device in first-seen order, and the next one; NULL at the end. */
struct mg_device *mg_devtab_first(const struct mg_devtab *t);
struct mg_device *mg_devtab_next(const struct mg_device *d);

struct mg_dev_stats {
	uint64_t active, created, expired, evicted;
};
void mg_devtab_stats(const struct mg_devtab *t, struct mg_dev_stats *st);

/* Role name: "device" or "gateway". */
const char *mg_role_name(enum mg_role r);

#endif

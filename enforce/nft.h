/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The nftables backend: mudguard's own table, spoken to over netlink with
 * libnftnl and libmnl (no nft process, no shell). This file's .c is the only
 * one that includes them.
 *
 * The table (`inet mudguard`, or `bridge mudguard` on a bridge) carries a
 * comment that marks it as ours; a table of that name without it is refused.
 * It holds sets keyed by MAC, IPv4 and IPv6: the quarantined devices (with a
 * timeout and a comment per element), the never-quarantine list (accepted
 * first), the local DNS servers and the addresses a quarantined device may
 * still reach (remediation). Two chains at a configurable, negative priority:
 * `pre` (prerouting) judges what a device sends, `post` (postrouting) what is
 * sent to it. From a quarantined device only DHCP, neighbour discovery (ARP,
 * ICMPv6 ND), DNS to the local servers and the remediation addresses pass;
 * the rest is dropped in both directions, established connections included
 * (the chains come before conntrack's accept rules of other filters).
 */
#ifndef MG_NFT_H
#define MG_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"

enum mg_nft_family { MG_NFT_INET, MG_NFT_BRIDGE };

#define MG_NFT_SET_SIZE 65536 /* elements a quarantine set holds at most */

enum mg_nft_set {
	MG_NFT_Q_MAC,
	MG_NFT_Q_V4,
	MG_NFT_Q_V6,
	MG_NFT_NEVER_MAC,
	MG_NFT_NEVER_V4,
	MG_NFT_NEVER_V6,
	MG_NFT_DNS_V4,
	MG_NFT_DNS_V6,
	MG_NFT_ALLOW_V4,
	MG_NFT_ALLOW_V6,
	MG_NFT__SETS
};

struct mg_nft_cfg {
	enum mg_nft_family family;
	const char *table;
	int32_t priority; /* of both chains */
};

struct mg_nft_prefix {
	struct mg_addr a;
	uint8_t len; /* in bits of the address's own family */
};

/* The sets that do not change with quarantines. */
struct mg_nft_policy {
	const uint8_t (*never_mac)[6];
	size_t n_never_mac;
	const struct mg_nft_prefix *never, *dns, *allow; /* v4 and v6 mixed */
	size_t n_never, n_dns, n_allow;
};

struct mg_nft;

/* Opens a netlink socket for @cfg (strings are copied). Returns 0 or -errno
 * with the reason in @err. */
int mg_nft_open(struct mg_nft **out, const struct mg_nft_cfg *cfg, char *err, size_t errlen);
void mg_nft_close(struct mg_nft *n);

/* In one transaction: creates the table, its sets and chains where missing,
 * replaces the chains' rules and the policy sets' elements with @pol; the
 * quarantine sets keep their elements. Returns 0; -EEXIST when a table of
 * that name is not ours; -EPERM without CAP_NET_ADMIN; else -errno. */
int mg_nft_setup(struct mg_nft *n, const struct mg_nft_policy *pol, char *err, size_t errlen);

/* 1 if our table exists, 0 if there is none, -EEXIST if the table of that
 * name is not ours, else -errno. */
int mg_nft_table_state(struct mg_nft *n, char *err, size_t errlen);

/* Deletes our table (not a foreign one). Returns 0, -ENOENT (there is
 * none), or -errno; the reason is in @err. */
int mg_nft_teardown(struct mg_nft *n, char *err, size_t errlen);

/* Queues adding @a (@mac for MG_NFT_Q_MAC) to a quarantine set with a timeout
 * (0: none) and a comment (cut at 127 bytes), or removing it: one request of
 * the next batch each. Returns the request's number, or -ENOMEM. */
int mg_nft_add_mac(struct mg_nft *n, const uint8_t mac[6], uint64_t timeout_ms,
		   const char *comment);
int mg_nft_add_addr(struct mg_nft *n, const struct mg_addr *a, uint64_t timeout_ms,
		    const char *comment);
int mg_nft_del_mac(struct mg_nft *n, const uint8_t mac[6]);
int mg_nft_del_addr(struct mg_nft *n, const struct mg_addr *a);

/* Sends the queued requests as one transaction and reads every answer.
 * Returns 0, or the first failure's -errno with "request N (what): reason" in
 * @err; the kernel then applied none of them. mg_nft_error tells each
 * request's own result. */
int mg_nft_commit(struct mg_nft *n, char *err, size_t errlen);
/* The result of request @req of the last commit: 0 or -errno. */
int mg_nft_error(const struct mg_nft *n, int req);

/* One element of a quarantine set: @key is 6, 4 or 16 bytes (network order),
 * @expires_ms the time it has left (0: no timeout), @comment "" if none. */
typedef void (*mg_nft_elem_cb)(void *user, enum mg_nft_set set, const uint8_t *key,
			       uint32_t keylen, uint64_t expires_ms, const char *comment);

/* Reads the elements of the quarantine sets back from the kernel. */
int mg_nft_list(struct mg_nft *n, mg_nft_elem_cb cb, void *user, char *err, size_t errlen);

#endif

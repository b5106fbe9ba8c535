/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* recvmmsg */
#include "nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <net/if_arp.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter_bridge.h>

#define OWNER_COMMENT "mudguard: managed by mudguard, do not edit"
#define COMMENT_MAX 128
#define SOCKBUF (32u << 20)
#define RECV_SIZE 32768 /* bytes per netlink read */
#define GROUP_MAX 512 /* quarantine elements per message */
#define RX_SLOTS 256
#define RX_SLOT_SIZE 512 /* an ACK or an error with its extended attributes */

/* nft's datatype numbers, so that `nft list` shows keys as it would its own */
enum { TYPE_IPADDR = 7, TYPE_IP6ADDR = 8, TYPE_ETHERADDR = 9 };

static const struct {
	const char *name;
	uint32_t type, len, flags;
} sets[MG_NFT__SETS] = {
	[MG_NFT_Q_MAC] = {"quarantine_mac", TYPE_ETHERADDR, 6, NFT_SET_TIMEOUT},
	[MG_NFT_Q_V4] = {"quarantine_v4", TYPE_IPADDR, 4, NFT_SET_TIMEOUT},
	[MG_NFT_Q_V6] = {"quarantine_v6", TYPE_IP6ADDR, 16, NFT_SET_TIMEOUT},
	[MG_NFT_NEVER_MAC] = {"never_mac", TYPE_ETHERADDR, 6, 0},
	[MG_NFT_NEVER_V4] = {"never_v4", TYPE_IPADDR, 4, NFT_SET_INTERVAL},
	[MG_NFT_NEVER_V6] = {"never_v6", TYPE_IP6ADDR, 16, NFT_SET_INTERVAL},
	[MG_NFT_DNS_V4] = {"dns_v4", TYPE_IPADDR, 4, NFT_SET_INTERVAL},
	[MG_NFT_DNS_V6] = {"dns_v6", TYPE_IP6ADDR, 16, NFT_SET_INTERVAL},
	[MG_NFT_ALLOW_V4] = {"allow_v4", TYPE_IPADDR, 4, NFT_SET_INTERVAL},
	[MG_NFT_ALLOW_V6] = {"allow_v6", TYPE_IP6ADDR, 16, NFT_SET_INTERVAL},
};

/* A request of a batch, described only when it failed (formatting every one
 * costs more than the kernel's work for it). */
struct request {
	uint32_t seq;	  /* of its message (several requests may share one) */
	uint32_t off;	  /* of its element in that message; 0: the whole message */
	const char *what; /* "add to", "create set", ... */
	int8_t set;	  /* its set, or -1 */
	uint8_t key[16];
	char name[24];	  /* else: a chain's or the table's name */
	int error;
	bool answered;
};

struct mg_nft {
	struct mnl_socket *nl;
	uint32_t portid, seq, first_seq;
	char table[64];
	uint16_t family; /* NFPROTO_INET or NFPROTO_BRIDGE */
	int32_t priority;
	/* the batch being built */
	char *buf;
	size_t buflen;
	struct mnl_nlmsg_batch *batch;
	struct request *req;
	size_t nreq, capreq, last; /* last: requests of the last commit */
	/* quarantine elements go several to a message: the one being filled */
	struct nftnl_set *group;
	int group_set;
	uint16_t group_type;
	size_t group_first;
	struct {		   /* answers read with recvmmsg */
		struct mmsghdr msg[RX_SLOTS];
		struct iovec iov[RX_SLOTS];
		char buf[RX_SLOTS][RX_SLOT_SIZE];
	} rx;
};

int mg_nft_open(struct mg_nft **out, const struct mg_nft_cfg *cfg, char *err, size_t errlen)
{
	struct mg_nft *n = calloc(1, sizeof(*n));
	int one = 1, rc;

	if (!n)
		return -ENOMEM;
	snprintf(n->table, sizeof(n->table), "%s", cfg->table);
	n->family = cfg->family == MG_NFT_BRIDGE ? NFPROTO_BRIDGE : NFPROTO_INET;
	n->priority = cfg->priority;
	n->seq = (uint32_t)time(NULL);
	n->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!n->nl || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		snprintf(err, errlen, "netlink: %s", strerror(-rc));
		mg_nft_close(n);
		return rc;
	}
	n->portid = mnl_socket_get_portid(n->nl);
	for (int i = 0; i < RX_SLOTS; i++) {
		n->rx.iov[i] = (struct iovec){n->rx.buf[i], RX_SLOT_SIZE};
		n->rx.msg[i].msg_hdr = (struct msghdr){.msg_iov = &n->rx.iov[i], .msg_iovlen = 1};
	}
	/* answers carry only headers; big batches need big buffers (root may
	 * force them; without it the defaults stand) */
	mnl_socket_setsockopt(n->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(n->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	int size = SOCKBUF;
	setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
	*out = n;
	return 0;
}

static void batch_reset(struct mg_nft *n)
{
	if (n->group)
		nftnl_set_free(n->group);
	n->group = NULL;
	if (n->batch)
		mnl_nlmsg_batch_stop(n->batch);
	n->batch = NULL;
	n->nreq = 0;
}


void mg_nft_close(struct mg_nft *n)
{
	if (!n)
		return;
	batch_reset(n);
	if (n->nl)
		mnl_socket_close(n->nl);
	free(n->buf);
	free(n->req);
	free(n);
}

/* ---- building a batch ---- */

static int grow_req(struct mg_nft *n)
{
	if (n->nreq == n->capreq) {
		size_t cap = n->capreq ? n->capreq * 2 : 256;
		struct request *r = realloc(n->req, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		n->req = r;
		n->capreq = cap;
	}
	return 0;
}

/* Room for one more message of at most @need bytes; starts the batch. */
static struct nlmsghdr *next_msg(struct mg_nft *n, size_t need)
{
	if (!n->batch) {
		if (!n->buf) {
			n->buflen = 1 << 20;
			if (!(n->buf = malloc(n->buflen)))
				return NULL;
		}
		n->batch = mnl_nlmsg_batch_start(n->buf, n->buflen);
		nftnl_batch_begin(mnl_nlmsg_batch_current(n->batch), n->seq++);
		mnl_nlmsg_batch_next(n->batch);
		n->first_seq = n->seq;
	}
	size_t used = mnl_nlmsg_batch_size(n->batch);
	if (used + need + 2 * MNL_NLMSG_HDRLEN + 64 > n->buflen) {
		/* grow: copy what is built into a bigger buffer */
		size_t len = n->buflen * 2;
		while (used + need + 4096 > len)
			len *= 2;
		char *nb = malloc(len);
		if (!nb)
			return NULL;
		memcpy(nb, n->buf, used);
		mnl_nlmsg_batch_stop(n->batch);
		free(n->buf);
		n->buf = nb;
		n->buflen = len;
		n->batch = mnl_nlmsg_batch_start(n->buf, n->buflen);
		/* skip over the messages already in it */
		for (size_t off = 0; off < used;) {
			struct nlmsghdr *h = (struct nlmsghdr *)(n->buf + off);
			off += NLMSG_ALIGN(h->nlmsg_len);
			mnl_nlmsg_batch_next(n->batch);
		}
	}
	if (grow_req(n) < 0)
		return NULL;
	return mnl_nlmsg_batch_current(n->batch);
}

/* Finishes a message started with next_msg: one request, about @set's
 * element @key or else the object named @name. */
static int end_msg(struct mg_nft *n, const char *what, int set, const void *key,
		   const char *name)
{
	struct request *r = &n->req[n->nreq];
	r->seq = n->seq;
	r->off = 0;
	r->what = what;
	r->set = (int8_t)set;
	if (key)
		memcpy(r->key, key, sets[set].len);
	else
		r->set = set >= 0 ? (int8_t)(-2 - set) : -1; /* a set without a key */
	r->name[0] = 0;
	if (name)
		snprintf(r->name, sizeof(r->name), "%s", name);
	r->error = 0;
	r->answered = false;
	mnl_nlmsg_batch_next(n->batch);
	n->seq++;
	return (int)n->nreq++;
}

static int group_flush(struct mg_nft *n);

static struct nlmsghdr *hdr(struct mg_nft *n, size_t need, uint16_t type, uint16_t flags)
{
	if (group_flush(n) < 0)
		return NULL;
	struct nlmsghdr *h = next_msg(n, need);
	if (!h)
		return NULL;
	return nftnl_nlmsg_build_hdr((char *)h, type, n->family, flags | NLM_F_ACK, n->seq);
}

/* A comment as nft stores it: type 0, length, the string with its NUL. */
static uint32_t comment_udata(uint8_t *buf, const char *s)
{
	size_t len = strnlen(s, COMMENT_MAX - 1);
	buf[0] = 0;
	buf[1] = (uint8_t)(len + 1);
	memcpy(buf + 2, s, len);
	buf[2 + len] = 0;
	return (uint32_t)len + 3;
}

static int table_msg(struct mg_nft *n, uint16_t type)
{
	struct nftnl_table *t = nftnl_table_alloc();
	uint8_t ud[COMMENT_MAX + 3];
	struct nlmsghdr *h;

	if (!t)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, n->table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, n->family);
	if (type == NFT_MSG_NEWTABLE)
		nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, ud, comment_udata(ud, OWNER_COMMENT));
	if (!(h = hdr(n, 512, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0))) {
		nftnl_table_free(t);
		return -ENOMEM;
	}
	nftnl_table_nlmsg_build_payload(h, t);
	nftnl_table_free(t);
	return end_msg(n, type == NFT_MSG_NEWTABLE ? "create table" : "delete table", -1, NULL,
		       n->table);
}

static struct nftnl_set *set_obj(struct mg_nft *n, enum mg_nft_set s)
{
	struct nftnl_set *o = nftnl_set_alloc();
	if (!o)
		return NULL;
	nftnl_set_set_str(o, NFTNL_SET_TABLE, n->table);
	nftnl_set_set_str(o, NFTNL_SET_NAME, sets[s].name);
	nftnl_set_set_u32(o, NFTNL_SET_FAMILY, n->family);
	return o;
}

static int set_msg(struct mg_nft *n, enum mg_nft_set s)
{
	struct nftnl_set *o = set_obj(n, s);
	struct nlmsghdr *h;

	if (!o)
		return -ENOMEM;
	nftnl_set_set_u32(o, NFTNL_SET_KEY_TYPE, sets[s].type);
	nftnl_set_set_u32(o, NFTNL_SET_KEY_LEN, sets[s].len);
	nftnl_set_set_u32(o, NFTNL_SET_ID, (uint32_t)s + 1);
	if (sets[s].flags)
		nftnl_set_set_u32(o, NFTNL_SET_FLAGS, sets[s].flags);
	if (s <= MG_NFT_Q_V6) /* room from the start: no rehashing under a burst */
		nftnl_set_set_u32(o, NFTNL_SET_DESC_SIZE, MG_NFT_SET_SIZE);
	if (!(h = hdr(n, 512, NFT_MSG_NEWSET, NLM_F_CREATE))) {
		nftnl_set_free(o);
		return -ENOMEM;
	}
	nftnl_set_nlmsg_build_payload(h, o);
	nftnl_set_free(o);
	return end_msg(n, "create set", -1, NULL, sets[s].name);
}

/* One message adding (or deleting, or with no key flushing) elements of @s. */
static int elem_msg(struct mg_nft *n, enum mg_nft_set s, uint16_t type, const void *key,
		    const void *key_end, uint64_t timeout_ms, const char *comment)
{
	struct nftnl_set *o = set_obj(n, s);
	struct nlmsghdr *h;
	uint8_t ud[COMMENT_MAX + 3];

	if (!o)
		return -ENOMEM;
	for (int i = 0; key && i < (key_end ? 2 : 1); i++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		if (!e) {
			nftnl_set_free(o);
			return -ENOMEM;
		}
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, i ? key_end : key, sets[s].len);
		if (i)
			nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
		if (!i && timeout_ms && type == NFT_MSG_NEWSETELEM)
			nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, timeout_ms);
		if (!i && comment && *comment && type == NFT_MSG_NEWSETELEM)
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, ud, comment_udata(ud, comment));
		nftnl_set_elem_add(o, e);
	}
	if (!(h = hdr(n, 512, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0))) {
		nftnl_set_free(o);
		return -ENOMEM;
	}
	nftnl_set_elems_nlmsg_build_payload(h, o);
	nftnl_set_free(o);
	return end_msg(n, type == NFT_MSG_NEWSETELEM ? "add to" : key ? "delete from" : "flush", s,
		       key, NULL);
}

/* Builds the message of the group being filled: one NEWSETELEM or DELSETELEM
 * for its requests, each told where its element sits (the kernel names a
 * failing element by that offset). */
static int group_flush(struct mg_nft *n)
{
	struct nftnl_set *o = n->group;
	if (!o)
		return 0;
	n->group = NULL;
	size_t count = n->nreq - n->group_first;
	struct nlmsghdr *h = next_msg(n, 256 + count * (64 + COMMENT_MAX));
	if (!h) {
		nftnl_set_free(o);
		return -ENOMEM;
	}
	h = nftnl_nlmsg_build_hdr((char *)h, n->group_type, n->family,
				  (n->group_type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0) | NLM_F_ACK,
				  n->seq);
	nftnl_set_elems_nlmsg_build_payload(h, o);
	nftnl_set_free(o);
	/* the elements, in order, inside NFTA_SET_ELEM_LIST_ELEMENTS */
	size_t i = n->group_first;
	struct nlattr *a;
	mnl_attr_for_each(a, h, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		struct nlattr *e;
		mnl_attr_for_each_nested(e, a) {
			if (i < n->nreq)
				n->req[i++].off = (uint32_t)((char *)e - (char *)h);
		}
	}
	for (i = n->group_first; i < n->nreq; i++)
		n->req[i].seq = n->seq;
	mnl_nlmsg_batch_next(n->batch);
	n->seq++;
	return 0;
}

/* One element of a quarantine set, into the group being filled. */
static int group_elem(struct mg_nft *n, enum mg_nft_set s, uint16_t type, const void *key,
		      uint64_t timeout_ms, const char *comment)
{
	uint8_t ud[COMMENT_MAX + 3];

	if (n->group && ((int)s != n->group_set || type != n->group_type ||
			 n->nreq - n->group_first >= GROUP_MAX) && group_flush(n) < 0)
		return -ENOMEM;
	if (!n->group) {
		if (!next_msg(n, 0) || !(n->group = set_obj(n, s)))
			return -ENOMEM;
		n->group_set = (int)s;
		n->group_type = type;
		n->group_first = n->nreq;
	}
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	if (!e || grow_req(n) < 0) {
		if (e)
			nftnl_set_elem_free(e);
		return -ENOMEM;
	}
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, sets[s].len);
	if (timeout_ms && type == NFT_MSG_NEWSETELEM)
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, timeout_ms);
	if (comment && *comment && type == NFT_MSG_NEWSETELEM)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, ud, comment_udata(ud, comment));
	nftnl_set_elem_add(n->group, e);
	struct request *r = &n->req[n->nreq];
	memset(r, 0, sizeof(*r));
	r->what = type == NFT_MSG_NEWSETELEM ? "add to" : "delete from";
	r->set = (int8_t)s;
	memcpy(r->key, key, sets[s].len);
	return (int)n->nreq++;
}

static void key_of(const struct mg_addr *a, uint8_t *key)
{
	memcpy(key, mg_addr_is_v4(a) ? a->b + 12 : a->b, mg_addr_is_v4(a) ? 4 : 16);
}

int mg_nft_add_mac(struct mg_nft *n, const uint8_t mac[6], uint64_t timeout_ms,
		   const char *comment)
{
	return group_elem(n, MG_NFT_Q_MAC, NFT_MSG_NEWSETELEM, mac, timeout_ms, comment);
}

int mg_nft_del_mac(struct mg_nft *n, const uint8_t mac[6])
{
	return group_elem(n, MG_NFT_Q_MAC, NFT_MSG_DELSETELEM, mac, 0, NULL);
}

static int addr_msg(struct mg_nft *n, const struct mg_addr *a, uint16_t type,
		    uint64_t timeout_ms, const char *comment)
{
	uint8_t key[16];
	key_of(a, key);
	return group_elem(n, mg_addr_is_v4(a) ? MG_NFT_Q_V4 : MG_NFT_Q_V6, type, key, timeout_ms,
			  comment);
}

int mg_nft_add_addr(struct mg_nft *n, const struct mg_addr *a, uint64_t timeout_ms,
		    const char *comment)
{
	return addr_msg(n, a, NFT_MSG_NEWSETELEM, timeout_ms, comment);
}

int mg_nft_del_addr(struct mg_nft *n, const struct mg_addr *a)
{
	return addr_msg(n, a, NFT_MSG_DELSETELEM, 0, NULL);
}

/* A prefix as an interval element pair [start, end); no end past the top. */
static int prefix_msg(struct mg_nft *n, enum mg_nft_set v4set, const struct mg_nft_prefix *p)
{
	bool v4 = mg_addr_is_v4(&p->a);
	enum mg_nft_set s = (enum mg_nft_set)(v4set + !v4);
	unsigned bytes = v4 ? 4 : 16, bits = p->len > bytes * 8 ? bytes * 8 : p->len;
	uint8_t lo[16], hi[16];

	key_of(&p->a, lo);
	for (unsigned i = 0; i < bytes; i++) { /* mask, then the first address past it */
		unsigned keep = bits > i * 8 ? bits - i * 8 : 0;
		uint8_t mask = keep >= 8 ? 0xff : (uint8_t)(0xff << (8 - keep));
		lo[i] &= mask;
		hi[i] = lo[i] | (uint8_t)~mask;
	}
	bool top = true;
	for (unsigned i = bytes; i-- > 0 && top;) {
		top = hi[i] == 0xff;
		hi[i]++;
	}
	return elem_msg(n, s, NFT_MSG_NEWSETELEM, lo, top ? NULL : hi, 0, NULL);
}

/* ---- rules ---- */

static void x_meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
}

static void x_cmp(struct nftnl_rule *r, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	nftnl_rule_add_expr(r, e);
}

static void x_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
}

static void x_lookup(struct nftnl_rule *r, enum mg_nft_set s)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, sets[s].name);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, (uint32_t)s + 1);
	nftnl_rule_add_expr(r, e);
}

/* What a rule matches, in order; the rule ends with a counter and @verdict. */
enum m_kind {
	M_END,
	M_NONE,	     /* nothing (a placeholder) */
	M_ETHER,     /* the packet has an Ethernet header (inet: iiftype ether) */
	M_IP4,	     /* IPv4 */
	M_IP6,	     /* IPv6 */
	M_ARP,	     /* an ARP frame (bridge only) */
	M_UDP,
	M_TCP,
	M_ICMP6,
	M_SPORT,     /* .v: transport source port */
	M_DPORT,     /* .v: transport destination port */
	M_ICMP6_ND,  /* ICMPv6 types 133..136 (router/neighbour solicitation/advertisement) */
	M_SMAC_IN,   /* .s: source MAC in set */
	M_DMAC_IN,
	M_SRC_IN,    /* .s: source address (v4 or v6 by the set) in set */
	M_DST_IN,
};

struct m {
	enum m_kind k;
	uint32_t v;
};

static void match(struct mg_nft *n, struct nftnl_rule *r, const struct m *m)
{
	bool bridge = n->family == NFPROTO_BRIDGE;
	switch (m->k) {
	case M_ETHER:
		if (!bridge) {
			uint16_t t = ARPHRD_ETHER;
			x_meta(r, NFT_META_IIFTYPE);
			x_cmp(r, &t, sizeof(t));
		}
		break;
	case M_IP4:
	case M_IP6:
	case M_ARP:
		if (bridge) {
			uint16_t et = htons(m->k == M_IP4 ? 0x0800 : m->k == M_IP6 ? 0x86dd : 0x0806);
			x_payload(r, NFT_PAYLOAD_LL_HEADER, 12, 2);
			x_cmp(r, &et, sizeof(et));
		} else {
			uint8_t p = m->k == M_IP4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
			x_meta(r, NFT_META_NFPROTO);
			x_cmp(r, &p, sizeof(p));
		}
		break;
	case M_UDP:
	case M_TCP:
	case M_ICMP6: {
		uint8_t p = m->k == M_UDP ? 17 : m->k == M_TCP ? 6 : 58;
		x_meta(r, NFT_META_L4PROTO);
		x_cmp(r, &p, sizeof(p));
		break;
	}
	case M_SPORT:
	case M_DPORT: {
		uint16_t port = htons((uint16_t)m->v);
		x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, m->k == M_SPORT ? 0 : 2, 2);
		x_cmp(r, &port, sizeof(port));
		break;
	}
	case M_ICMP6_ND: { /* 133..136: a range compare on the type byte */
		struct nftnl_expr *e = nftnl_expr_alloc("range");
		uint8_t lo = 133, hi = 136;
		x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, &lo, 1);
		nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, &hi, 1);
		nftnl_rule_add_expr(r, e);
		break;
	}
	case M_SMAC_IN:
	case M_DMAC_IN:
		x_payload(r, NFT_PAYLOAD_LL_HEADER, m->k == M_SMAC_IN ? 6 : 0, 6);
		x_lookup(r, (enum mg_nft_set)m->v);
		break;
	case M_SRC_IN:
	case M_DST_IN: {
		bool v4 = sets[m->v].len == 4;
		uint32_t off = v4 ? (m->k == M_SRC_IN ? 12 : 16) : (m->k == M_SRC_IN ? 8 : 24);
		x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, v4 ? 4 : 16);
		x_lookup(r, (enum mg_nft_set)m->v);
		break;
	}
	case M_END:
	case M_NONE:
		break;
	}
}

static int rule_msg(struct mg_nft *n, const char *chain, const struct m *ms, int verdict)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *h;

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, n->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, n->family);
	for (; ms->k != M_END; ms++)
		match(n, r, ms);
	nftnl_rule_add_expr(r, nftnl_expr_alloc("counter"));
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	nftnl_rule_add_expr(r, e);
	if (!(h = hdr(n, 1024, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND))) {
		nftnl_rule_free(r);
		return -ENOMEM;
	}
	nftnl_rule_nlmsg_build_payload(h, r);
	nftnl_rule_free(r);
	return end_msg(n, "add rule to chain", -1, NULL, chain);
}

static int chain_msg(struct mg_nft *n, const char *name, uint32_t hook, uint16_t type)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *h;

	if (!c)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, n->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, n->family);
	if (type == NFT_MSG_NEWCHAIN) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, n->priority);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	if (!(h = hdr(n, 512, type, type == NFT_MSG_NEWCHAIN ? NLM_F_CREATE : 0))) {
		nftnl_chain_free(c);
		return -ENOMEM;
	}
	if (type == NFT_MSG_NEWCHAIN) {
		nftnl_chain_nlmsg_build_payload(h, c);
	} else { /* DELRULE with only table and chain: every rule of the chain */
		struct nftnl_rule *r = nftnl_rule_alloc();
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, n->table);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, name);
		nftnl_rule_nlmsg_build_payload(h, r);
		nftnl_rule_free(r);
	}
	nftnl_chain_free(c);
	return end_msg(n, type == NFT_MSG_NEWCHAIN ? "create chain" : "flush chain", -1, NULL, name);
}

/* The rules of both chains (see the header). */
static int rules(struct mg_nft *n)
{
	bool bridge = n->family == NFPROTO_BRIDGE;
#define R(chain, verdict, ...)                                                 \
	do {                                                                   \
		const struct m ms_[] = {__VA_ARGS__, {M_END, 0}};              \
		if (rule_msg(n, chain, ms_, verdict) < 0)                      \
			return -ENOMEM;                                        \
	} while (0)
	/* what a device sends */
	R("pre", NF_ACCEPT, {M_ETHER, 0}, {M_SMAC_IN, MG_NFT_NEVER_MAC});
	R("pre", NF_ACCEPT, {M_IP4, 0}, {M_SRC_IN, MG_NFT_NEVER_V4});
	R("pre", NF_ACCEPT, {M_IP6, 0}, {M_SRC_IN, MG_NFT_NEVER_V6});
	for (int by_mac = 1; by_mac >= 0; by_mac--) {
		/* a quarantined device by its MAC, then by its addresses */
		struct m who4 = by_mac ? (struct m){M_SMAC_IN, MG_NFT_Q_MAC}
				       : (struct m){M_SRC_IN, MG_NFT_Q_V4};
		struct m who6 = by_mac ? (struct m){M_SMAC_IN, MG_NFT_Q_MAC}
				       : (struct m){M_SRC_IN, MG_NFT_Q_V6};
		struct m eth = {by_mac ? M_ETHER : M_NONE, 0};
		R("pre", NF_ACCEPT, eth, {M_IP4, 0}, who4, {M_UDP, 0}, {M_DPORT, 67});
		R("pre", NF_ACCEPT, eth, {M_IP6, 0}, who6, {M_UDP, 0}, {M_DPORT, 547});
		R("pre", NF_ACCEPT, eth, {M_IP6, 0}, who6, {M_ICMP6, 0}, {M_ICMP6_ND, 0});
		R("pre", NF_ACCEPT, eth, {M_IP4, 0}, who4, {M_UDP, 0}, {M_DPORT, 53},
		  {M_DST_IN, MG_NFT_DNS_V4});
		R("pre", NF_ACCEPT, eth, {M_IP4, 0}, who4, {M_TCP, 0}, {M_DPORT, 53},
		  {M_DST_IN, MG_NFT_DNS_V4});
		R("pre", NF_ACCEPT, eth, {M_IP6, 0}, who6, {M_UDP, 0}, {M_DPORT, 53},
		  {M_DST_IN, MG_NFT_DNS_V6});
		R("pre", NF_ACCEPT, eth, {M_IP6, 0}, who6, {M_TCP, 0}, {M_DPORT, 53},
		  {M_DST_IN, MG_NFT_DNS_V6});
		R("pre", NF_ACCEPT, eth, {M_IP4, 0}, who4, {M_DST_IN, MG_NFT_ALLOW_V4});
		R("pre", NF_ACCEPT, eth, {M_IP6, 0}, who6, {M_DST_IN, MG_NFT_ALLOW_V6});
		if (by_mac) {
			if (bridge)
				R("pre", NF_ACCEPT, {M_ARP, 0}, {M_SMAC_IN, MG_NFT_Q_MAC});
			R("pre", NF_DROP, {M_ETHER, 0}, {M_SMAC_IN, MG_NFT_Q_MAC});
		} else {
			R("pre", NF_DROP, {M_IP4, 0}, {M_SRC_IN, MG_NFT_Q_V4});
			R("pre", NF_DROP, {M_IP6, 0}, {M_SRC_IN, MG_NFT_Q_V6});
		}
	}
	/* what is sent to a device */
	if (bridge)
		R("post", NF_ACCEPT, {M_DMAC_IN, MG_NFT_NEVER_MAC});
	R("post", NF_ACCEPT, {M_IP4, 0}, {M_DST_IN, MG_NFT_NEVER_V4});
	R("post", NF_ACCEPT, {M_IP6, 0}, {M_DST_IN, MG_NFT_NEVER_V6});
	/* the protected hosts (gateway, DHCP and DNS servers) still reach it:
	 * DHCP answers, management; and neighbour discovery from anyone */
	R("post", NF_ACCEPT, {M_IP4, 0}, {M_SRC_IN, MG_NFT_NEVER_V4});
	R("post", NF_ACCEPT, {M_IP6, 0}, {M_SRC_IN, MG_NFT_NEVER_V6});
	R("post", NF_ACCEPT, {M_IP6, 0}, {M_ICMP6, 0}, {M_ICMP6_ND, 0});
	R("post", NF_ACCEPT, {M_IP4, 0}, {M_SRC_IN, MG_NFT_DNS_V4}, {M_UDP, 0}, {M_SPORT, 53});
	R("post", NF_ACCEPT, {M_IP4, 0}, {M_SRC_IN, MG_NFT_DNS_V4}, {M_TCP, 0}, {M_SPORT, 53});
	R("post", NF_ACCEPT, {M_IP6, 0}, {M_SRC_IN, MG_NFT_DNS_V6}, {M_UDP, 0}, {M_SPORT, 53});
	R("post", NF_ACCEPT, {M_IP6, 0}, {M_SRC_IN, MG_NFT_DNS_V6}, {M_TCP, 0}, {M_SPORT, 53});
	R("post", NF_ACCEPT, {M_IP4, 0}, {M_SRC_IN, MG_NFT_ALLOW_V4});
	R("post", NF_ACCEPT, {M_IP6, 0}, {M_SRC_IN, MG_NFT_ALLOW_V6});
	if (bridge) {
		R("post", NF_ACCEPT, {M_ARP, 0}, {M_DMAC_IN, MG_NFT_Q_MAC});
		R("post", NF_DROP, {M_DMAC_IN, MG_NFT_Q_MAC});
	}
	R("post", NF_DROP, {M_IP4, 0}, {M_DST_IN, MG_NFT_Q_V4});
	R("post", NF_DROP, {M_IP6, 0}, {M_DST_IN, MG_NFT_Q_V6});
#undef R
	return 0;
}

/* ---- talking to the kernel ---- */

static const char *describe(const struct request *r, char *buf, size_t len)
{
	char k[64];
	if (r->set >= 0) {
		const uint8_t *key = r->key;
		if (sets[r->set].len == 6) {
			mg_mac_str(key, k, sizeof(k));
		} else {
			struct mg_addr a;
			if (sets[r->set].len == 4)
				mg_addr_set_v4(&a, key);
			else
				mg_addr_set_v6(&a, key);
			mg_addr_str(&a, k, sizeof(k));
		}
		snprintf(buf, len, "%s %s %s", r->what, sets[r->set].name, k);
	} else if (r->set < -1) {
		snprintf(buf, len, "%s %s", r->what, sets[-2 - r->set].name);
	} else {
		snprintf(buf, len, "%s %s", r->what, r->name);
	}
	return buf;
}

/* The offset of the attribute an error names (NLMSGERR_ATTR_OFFS), or 0. */
static uint32_t bad_offset(const struct nlmsghdr *h)
{
	struct nlattr *a;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	mnl_attr_for_each(a, h, sizeof(struct nlmsgerr)) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_OFFS && mnl_attr_get_payload_len(a) >= 4)
			return mnl_attr_get_u32(a);
	}
	return 0;
}

/* Sends the batch and reads an answer for every request. */
int mg_nft_commit(struct mg_nft *n, char *err, size_t errlen)
{
	size_t answered = 0;
	int first = -1, rc = 0;

	if (!n->nreq) {
		batch_reset(n);
		return 0;
	}
	if (group_flush(n) < 0 || !next_msg(n, 64))
		return -ENOMEM;
	nftnl_batch_end(mnl_nlmsg_batch_current(n->batch), n->seq++);
	mnl_nlmsg_batch_next(n->batch);
	if (mnl_socket_sendto(n->nl, mnl_nlmsg_batch_head(n->batch),
			      mnl_nlmsg_batch_size(n->batch)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "netlink send: %s", strerror(errno));
		batch_reset(n);
		return rc;
	}
	int fd = mnl_socket_get_fd(n->nl);
	while (answered < n->nreq) {
		/* after an error the kernel aborts: the rest may never be answered */
		struct pollfd p = {fd, POLLIN, 0};
		int pr = poll(&p, 1, first >= 0 ? 100 : 5000);
		if (pr <= 0)
			break;
		/* each answer is its own datagram: many per system call */
		int got = recvmmsg(fd, n->rx.msg, RX_SLOTS, MSG_DONTWAIT, NULL);
		if (got < 0) {
			if (errno == ENOBUFS) { /* answers were lost: the count is off */
				rc = -ENOBUFS;
				break;
			}
			continue;
		}
		for (int m = 0; m < got; m++) {
			int len = (int)n->rx.msg[m].msg_len;
			for (struct nlmsghdr *h = (struct nlmsghdr *)n->rx.buf[m]; mnl_nlmsg_ok(h, len);
			     h = mnl_nlmsg_next(h, &len)) {
				if (h->nlmsg_type != NLMSG_ERROR)
					continue;
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
				uint32_t off = e->error ? bad_offset(h) : 0;
				/* the requests of that message: a contiguous run */
				size_t lo = 0, hi = n->nreq;
				while (lo < hi) {
					size_t mid = (lo + hi) / 2;
					if (n->req[mid].seq < e->msg.nlmsg_seq)
						lo = mid + 1;
					else
						hi = mid;
				}
				for (size_t i = lo; i < n->nreq && n->req[i].seq == e->msg.nlmsg_seq; i++) {
					struct request *r = &n->req[i];
					if (r->answered)
						continue;
					r->answered = true;
					/* in a shared message, the failing element is the one
					 * the kernel points at; the others were not applied */
					r->error = !e->error || !off || !r->off || r->off == off
							   ? e->error : -ECANCELED;
					answered++;
					if (r->error && r->error != -ECANCELED && first < 0)
						first = (int)i;
				}
			}
		}
	}
	if (first >= 0) {
		char what[128];
		rc = n->req[first].error;
		snprintf(err, errlen, "request %d (%s): %s", first,
			 describe(&n->req[first], what, sizeof(what)), strerror(-rc));
	} else if (answered < n->nreq) {
		rc = rc ? rc : -ETIMEDOUT;
		snprintf(err, errlen, "%zu of %zu requests unanswered: %s", n->nreq - answered,
			 n->nreq, strerror(-rc));
	}
	/* the transaction is all or nothing */
	for (size_t i = 0; rc && i < n->nreq; i++)
		if (!n->req[i].error)
			n->req[i].error = -ECANCELED;
	n->last = n->nreq; /* results stay readable until the next batch */
	batch_reset(n);
	return rc;
}

int mg_nft_error(const struct mg_nft *n, int req)
{
	return req >= 0 && (size_t)req < n->last ? n->req[req].error : -EINVAL;
}

/* One request answered by messages for @cb (a dump or a get). */
static int query(struct mg_nft *n, struct nlmsghdr *h, mnl_cb_t cb, void *data)
{
	char buf[RECV_SIZE];
	int ret;

	if (mnl_socket_sendto(n->nl, h, h->nlmsg_len) < 0)
		return -errno;
	while ((ret = (int)mnl_socket_recvfrom(n->nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, (size_t)ret, h->nlmsg_seq, n->portid, cb, data);
		if (ret <= 0)
			break;
	}
	return ret < 0 ? -errno : 0;
}

struct owner {
	bool ours;
};

static int table_cb(const struct nlmsghdr *h, void *data)
{
	struct owner *o = data;
	struct nftnl_table *t = nftnl_table_alloc();
	uint32_t len = 0;

	if (t && nftnl_table_nlmsg_parse(h, t) >= 0) {
		const uint8_t *ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
		o->ours = ud && len >= 3 && ud[0] == 0 && ud[1] + 2u <= len &&
			  !strncmp((const char *)ud + 2, OWNER_COMMENT, ud[1]);
	}
	nftnl_table_free(t);
	return MNL_CB_OK;
}

int mg_nft_table_state(struct mg_nft *n, char *err, size_t errlen)
{
	char buf[RECV_SIZE];
	struct nftnl_table *t = nftnl_table_alloc();
	struct owner o = {false};

	if (!t)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, n->table);
	struct nlmsghdr *h = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, n->family, NLM_F_ACK,
						   n->seq++);
	nftnl_table_nlmsg_build_payload(h, t);
	nftnl_table_free(t);
	int rc = query(n, h, table_cb, &o);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		snprintf(err, errlen, "reading table %s: %s", n->table, strerror(-rc));
		return rc;
	}
	if (!o.ours) {
		snprintf(err, errlen, "table %s %s exists and is not mudguard's (no \"%s\" "
				      "comment): refusing to touch it", n->family == NFPROTO_BRIDGE ? "bridge" : "inet",
			 n->table, OWNER_COMMENT);
		return -EEXIST;
	}
	return 1;
}

int mg_nft_setup(struct mg_nft *n, const struct mg_nft_policy *pol, char *err, size_t errlen)
{
	int rc = mg_nft_table_state(n, err, errlen);
	if (rc < 0) {
		if (rc == -EPERM)
			snprintf(err, errlen, "nftables: %s: mudguard needs CAP_NET_ADMIN to enforce "
					      "(run it as root or give it the capability)",
				 strerror(EPERM));
		return rc;
	}
	batch_reset(n);
	if (table_msg(n, NFT_MSG_NEWTABLE) < 0)
		return -ENOMEM;
	for (int s = 0; s < MG_NFT__SETS; s++)
		if (set_msg(n, (enum mg_nft_set)s) < 0)
			return -ENOMEM;
	bool bridge = n->family == NFPROTO_BRIDGE;
	if (chain_msg(n, "pre", bridge ? NF_BR_PRE_ROUTING : NF_INET_PRE_ROUTING,
		      NFT_MSG_NEWCHAIN) < 0 ||
	    chain_msg(n, "post", bridge ? NF_BR_POST_ROUTING : NF_INET_POST_ROUTING,
		      NFT_MSG_NEWCHAIN) < 0 ||
	    chain_msg(n, "pre", 0, NFT_MSG_DELRULE) < 0 || chain_msg(n, "post", 0, NFT_MSG_DELRULE) < 0)
		return -ENOMEM;
	for (int s = MG_NFT_NEVER_MAC; s < MG_NFT__SETS; s++)
		if (elem_msg(n, (enum mg_nft_set)s, NFT_MSG_DELSETELEM, NULL, NULL, 0, NULL) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < pol->n_never_mac; i++) {
		if (elem_msg(n, MG_NFT_NEVER_MAC, NFT_MSG_NEWSETELEM, pol->never_mac[i], NULL, 0,
			     NULL) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < pol->n_never; i++)
		if (prefix_msg(n, MG_NFT_NEVER_V4, &pol->never[i]) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < pol->n_dns; i++)
		if (prefix_msg(n, MG_NFT_DNS_V4, &pol->dns[i]) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < pol->n_allow; i++)
		if (prefix_msg(n, MG_NFT_ALLOW_V4, &pol->allow[i]) < 0)
			return -ENOMEM;
	if (rules(n) < 0)
		return -ENOMEM;
	return mg_nft_commit(n, err, errlen);
}

int mg_nft_teardown(struct mg_nft *n, char *err, size_t errlen)
{
	int rc = mg_nft_table_state(n, err, errlen);
	if (rc == 0) {
		snprintf(err, errlen, "no table %s %s to delete",
			 n->family == NFPROTO_BRIDGE ? "bridge" : "inet", n->table);
		return -ENOENT;
	}
	if (rc < 0)
		return rc;
	batch_reset(n);
	if (table_msg(n, NFT_MSG_DELTABLE) < 0)
		return -ENOMEM;
	return mg_nft_commit(n, err, errlen);
}

struct list_ctx {
	enum mg_nft_set set;
	mg_nft_elem_cb cb;
	void *user;
};

static int elem_cb(const struct nlmsghdr *h, void *data)
{
	struct list_ctx *c = data;
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_elems_nlmsg_parse(h, s) >= 0) {
		struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(s);
		for (struct nftnl_set_elem *e = it ? nftnl_set_elems_iter_next(it) : NULL; e;
		     e = nftnl_set_elems_iter_next(it)) {
			uint32_t klen = 0, ulen = 0;
			const uint8_t *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);
			const uint8_t *ud = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &ulen);
			char comment[COMMENT_MAX + 1] = "";
			if (ud && ulen >= 3 && ud[0] == 0 && ud[1] + 2u <= ulen)
				snprintf(comment, sizeof(comment), "%.*s", ud[1], (const char *)ud + 2);
			uint64_t exp = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION)
					   ? nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION)
					   : 0;
			if (key)
				c->cb(c->user, c->set, key, klen, exp, comment);
		}
		nftnl_set_elems_iter_destroy(it);
	}
	nftnl_set_free(s);
	return MNL_CB_OK;
}

int mg_nft_list(struct mg_nft *n, mg_nft_elem_cb cb, void *user, char *err, size_t errlen)
{
	char buf[RECV_SIZE];

	for (int s = MG_NFT_Q_MAC; s <= MG_NFT_Q_V6; s++) {
		struct nftnl_set *o = set_obj(n, (enum mg_nft_set)s);
		struct list_ctx c = {(enum mg_nft_set)s, cb, user};
		if (!o)
			return -ENOMEM;
		struct nlmsghdr *h = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, n->family,
							   NLM_F_DUMP | NLM_F_ACK, n->seq++);
		nftnl_set_elems_nlmsg_build_payload(h, o);
		nftnl_set_free(o);
		int rc = query(n, h, elem_cb, &c);
		if (rc < 0) {
			snprintf(err, errlen, "reading set %s: %s", sets[s].name, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

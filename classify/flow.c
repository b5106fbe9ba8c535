/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "flow.h"

#include <stdlib.h>
#include <string.h>

enum { LC_TCP, LC_CLOSED, LC_UDP, LC_OTHER, LC__COUNT };

#define CHUNK 4096

struct chunk {
	struct chunk *next;
	struct mg_flow f[CHUNK];
};

struct lru {
	struct mg_flow *head, *tail; /* head = most recent */
};

struct mg_flowtab {
	struct mg_flow_cfg cfg;
	uint64_t timeout_us[LC__COUNT];
	mg_flow_end_cb cb;
	void *user;
	struct mg_flow **buckets;
	uint32_t mask;
	struct lru lru[LC__COUNT];
	struct mg_flow *free;
	struct chunk *chunks;
	uint64_t allocated, next_id;
	struct mg_flow_stats st;
};

static const char *const end_names[] = {
	[MG_FLOW_END_IDLE] = "timeout",	    [MG_FLOW_END_CLOSED] = "closed",
	[MG_FLOW_END_HARD] = "hard_timeout", [MG_FLOW_END_EVICTED] = "evicted",
	[MG_FLOW_END_SHUTDOWN] = "shutdown", [MG_FLOW_END_REUSED] = "reused",
};

const char *mg_flow_end_name(enum mg_flow_end r)
{
	return (unsigned)r <= MG_FLOW_END_REUSED ? end_names[r] : "unknown";
}

struct mg_flowtab *mg_flowtab_new(const struct mg_flow_cfg *cfg, mg_flow_end_cb cb,
				  void *user)
{
	struct mg_flowtab *t;
	uint32_t n = 1024;

	if (!cfg->max_flows)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = *cfg;
	t->cb = cb;
	t->user = user;
	t->timeout_us[LC_TCP] = (uint64_t)cfg->tcp_idle_s * 1000000u;
	t->timeout_us[LC_CLOSED] = (uint64_t)cfg->closed_idle_s * 1000000u;
	t->timeout_us[LC_UDP] = (uint64_t)cfg->udp_idle_s * 1000000u;
	t->timeout_us[LC_OTHER] = (uint64_t)cfg->other_idle_s * 1000000u;
	/* about two buckets per flow at the cap, bounded */
	while (n < cfg->max_flows && n < (1u << 24))
		n <<= 1;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	return t;
}

static void lru_unlink(struct mg_flowtab *t, struct mg_flow *f)
{
	struct lru *l = &t->lru[f->lclass];

	if (f->lprev)
		f->lprev->lnext = f->lnext;
	else
		l->head = f->lnext;
	if (f->lnext)
		f->lnext->lprev = f->lprev;
	else
		l->tail = f->lprev;
	f->lprev = f->lnext = NULL;
}

static void lru_push(struct mg_flowtab *t, struct mg_flow *f, uint8_t cls)
{
	struct lru *l = &t->lru[cls];

	f->lclass = cls;
	f->lprev = NULL;
	f->lnext = l->head;
	if (l->head)
		l->head->lprev = f;
	l->head = f;
	if (!l->tail)
		l->tail = f;
}

static void end_flow(struct mg_flowtab *t, struct mg_flow *f, enum mg_flow_end why)
{
	struct mg_flow **pp = &t->buckets[f->hash & t->mask];

	if (t->cb)
		t->cb(f, why, t->user);
	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	lru_unlink(t, f);
	t->st.active--;
	if (why == MG_FLOW_END_EVICTED)
		t->st.evicted++;
	else if (why == MG_FLOW_END_HARD)
		t->st.hard_timeouts++;
	else if (why != MG_FLOW_END_SHUTDOWN)
		t->st.expired++;
	f->hnext = t->free;
	t->free = f;
}

void mg_flowtab_expire(struct mg_flowtab *t, uint64_t now_us)
{
	for (int c = 0; c < LC__COUNT; c++) {
		struct mg_flow *f;
		while ((f = t->lru[c].tail) && f->last_us + t->timeout_us[c] < now_us)
			end_flow(t, f, c == LC_CLOSED ? MG_FLOW_END_CLOSED : MG_FLOW_END_IDLE);
	}
}

void mg_flowtab_flush(struct mg_flowtab *t)
{
	for (int c = 0; c < LC__COUNT; c++)
		while (t->lru[c].tail)
			end_flow(t, t->lru[c].tail, MG_FLOW_END_SHUTDOWN);
}

void mg_flowtab_free(struct mg_flowtab *t)
{
	if (!t)
		return;
	mg_flowtab_flush(t);
	while (t->chunks) {
		struct chunk *c = t->chunks;
		t->chunks = c->next;
		free(c);
	}
	free(t->buckets);
	free(t);
}

static struct mg_flow *alloc_flow(struct mg_flowtab *t)
{
	if (!t->free && t->allocated < t->cfg.max_flows) {
		struct chunk *c = malloc(sizeof(*c));
		if (c) {
			c->next = t->chunks;
			t->chunks = c;
			uint32_t n = CHUNK;
			if (t->allocated + n > t->cfg.max_flows)
				n = (uint32_t)(t->cfg.max_flows - t->allocated);
			for (uint32_t i = 0; i < n; i++) {
				c->f[i].hnext = t->free;
				t->free = &c->f[i];
			}
			t->allocated += n;
		}
	}
	if (!t->free) {
		/* full: evict the least recently active flow of any class */
		struct mg_flow *victim = NULL;
		for (int c = 0; c < LC__COUNT; c++) {
			struct mg_flow *f = t->lru[c].tail;
			if (f && (!victim || f->last_us < victim->last_us))
				victim = f;
		}
		if (!victim)
			return NULL;
		end_flow(t, victim, MG_FLOW_END_EVICTED);
	}
	struct mg_flow *f = t->free;
	t->free = f->hnext;
	return f;
}

static inline uint32_t hash_key(const struct mg_addr *a, const struct mg_addr *b,
				uint16_t pa, uint16_t pb, uint8_t proto, uint16_t vlan)
{
	/* symmetric: combine the two endpoints with a commutative operation */
	uint64_t h1 = 0, h2 = 0, x;
	for (int i = 0; i < 16; i += 8) {
		memcpy(&x, a->b + i, 8);
		h1 = (h1 ^ x) * 0x9e3779b97f4a7c15ull;
		memcpy(&x, b->b + i, 8);
		h2 = (h2 ^ x) * 0x9e3779b97f4a7c15ull;
	}
	h1 ^= pa * 0xff51afd7ed558ccdull;
	h2 ^= pb * 0xff51afd7ed558ccdull;
	uint64_t h = (h1 + h2) ^ ((uint64_t)proto << 16 | vlan);
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return (uint32_t)h;
}

static uint8_t class_of(const struct mg_flow *f)
{
	if (f->proto == MG_PROTO_TCP)
		return (f->tcp_rst || f->tcp_fin == 3) ? LC_CLOSED : LC_TCP;
	return f->proto == MG_PROTO_UDP ? LC_UDP : LC_OTHER;
}

struct mg_flow *mg_flowtab_update(struct mg_flowtab *t, const struct mg_pkt *p,
				  uint64_t now_us, int *dir, bool *created)
{
	if (!p->ip_version)
		return NULL;
	uint16_t vlan = p->vlan_count ? p->vlan[0] : 0;
	uint32_t h = hash_key(&p->src, &p->dst, p->sport, p->dport, p->proto, vlan);
	struct mg_flow *f;
	int d = 0;

	*created = false;
	for (f = t->buckets[h & t->mask]; f; f = f->hnext) {
		if (f->hash != h || f->proto != p->proto || f->vlan != vlan)
			continue;
		if (f->cli_port == p->sport && f->srv_port == p->dport &&
		    !memcmp(&f->cli, &p->src, 16) && !memcmp(&f->srv, &p->dst, 16)) {
			d = 0;
			break;
		}
		if (f->cli_port == p->dport && f->srv_port == p->sport &&
		    !memcmp(&f->cli, &p->dst, 16) && !memcmp(&f->srv, &p->src, 16)) {
			d = 1;
			break;
		}
	}
	if (f) {
		bool syn_only = p->proto == MG_PROTO_TCP && (p->tcp_flags & (MG_TCP_SYN | MG_TCP_ACK)) ==
							 MG_TCP_SYN;
		if (now_us > f->first_us + (uint64_t)t->cfg.hard_timeout_s * 1000000u) {
			end_flow(t, f, MG_FLOW_END_HARD);
			f = NULL;
		} else if (f->lclass == LC_CLOSED && syn_only) {
			end_flow(t, f, MG_FLOW_END_REUSED);
			f = NULL;
		}
	}
	if (!f) {
		f = alloc_flow(t);
		if (!f)
			return NULL;
		memset(f, 0, sizeof(*f));
		/* a SYN-ACK seen first means the receiver is the client */
		bool swap = p->proto == MG_PROTO_TCP && (p->tcp_flags & (MG_TCP_SYN | MG_TCP_ACK)) ==
						     (MG_TCP_SYN | MG_TCP_ACK);
		f->cli = swap ? p->dst : p->src;
		f->srv = swap ? p->src : p->dst;
		f->cli_port = swap ? p->dport : p->sport;
		f->srv_port = swap ? p->sport : p->dport;
		f->has_mac = p->has_mac;
		memcpy(f->cli_mac, swap ? p->dst_mac : p->src_mac, 6);
		memcpy(f->srv_mac, swap ? p->src_mac : p->dst_mac, 6);
		f->proto = p->proto;
		f->vlan = vlan;
		f->hash = h;
		f->id = ++t->next_id;
		f->first_us = now_us;
		f->hnext = t->buckets[h & t->mask];
		t->buckets[h & t->mask] = f;
		lru_push(t, f, class_of(f));
		d = swap;
		*created = true;
		t->st.created++;
		if (++t->st.active > t->st.peak)
			t->st.peak = t->st.active;
	}
	f->pkts[d]++;
	f->bytes[d] += p->wirelen;
	if (now_us > f->last_us)
		f->last_us = now_us;
	if (p->proto == MG_PROTO_TCP) {
		if (p->tcp_flags & MG_TCP_FIN)
			f->tcp_fin |= (uint8_t)(1u << d);
		if (p->tcp_flags & MG_TCP_RST)
			f->tcp_rst = true;
	}
	lru_unlink(t, f);
	lru_push(t, f, class_of(f));
	*dir = d;
	return f;
}

void mg_flowtab_stats(const struct mg_flowtab *t, struct mg_flow_stats *st)
{
	*st = t->st;
}

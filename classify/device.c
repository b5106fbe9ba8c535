/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "device.h"

#include <stdlib.h>
#include <string.h>

struct mg_devtab {
	struct mg_device_cfg cfg;
	const struct mg_oui *oui;
	const struct mg_prefixes *local;
	mg_dev_cb cb;
	void *user;
	struct mg_device **buckets;
	uint32_t mask;
	struct mg_device *lru_head, *lru_tail; /* head = most recently seen */
	struct mg_device *all_head, *all_tail; /* first-seen order */
	struct mg_device *gw_leader;	       /* most remote sources so far */
	uint64_t next_seq;
	struct mg_dev_stats st;
};

const char *mg_role_name(enum mg_role r)
{
	return r == MG_ROLE_GATEWAY ? "gateway" : "device";
}

struct mg_devtab *mg_devtab_new(const struct mg_device_cfg *cfg, const struct mg_oui *oui,
				const struct mg_prefixes *local, mg_dev_cb cb, void *user)
{
	struct mg_devtab *t = calloc(1, sizeof(*t));
	uint32_t n = 256;

	if (!t || !cfg->max_devices) {
		free(t);
		return NULL;
	}
	while (n < cfg->max_devices && n < (1u << 20))
		n <<= 1;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	t->cfg = *cfg;
	t->oui = oui;
	t->local = local;
	t->cb = cb;
	t->user = user;
	return t;
}

static uint32_t mac_hash(const uint8_t m[6])
{
	uint64_t x = 0;
	memcpy(&x, m, 6);
	x *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(x >> 32);
}

static void addrset_free(struct mg_addrset *s)
{
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

static void device_destroy(struct mg_device *d)
{
	addrset_free(&d->peers);
	addrset_free(&d->remote_srcs);
	free(d->protos);
	free(d);
}

static void unlink_device(struct mg_devtab *t, struct mg_device *d)
{
	struct mg_device **pp = &t->buckets[mac_hash(d->mac) & t->mask];
	while (*pp != d)
		pp = &(*pp)->hnext;
	*pp = d->hnext;
	if (d->lru_prev)
		d->lru_prev->lru_next = d->lru_next;
	else
		t->lru_head = d->lru_next;
	if (d->lru_next)
		d->lru_next->lru_prev = d->lru_prev;
	else
		t->lru_tail = d->lru_prev;
	if (d->all_prev)
		d->all_prev->all_next = d->all_next;
	else
		t->all_head = d->all_next;
	if (d->all_next)
		d->all_next->all_prev = d->all_prev;
	else
		t->all_tail = d->all_prev;
	if (t->gw_leader == d)
		t->gw_leader = NULL;
	t->st.active--;
}

static void end_device(struct mg_devtab *t, struct mg_device *d)
{
	if (t->cb)
		t->cb(d, MG_DEV_END, t->user);
	unlink_device(t, d);
	device_destroy(d);
}

void mg_devtab_free(struct mg_devtab *t)
{
	if (!t)
		return;
	while (t->all_head) {
		struct mg_device *d = t->all_head;
		unlink_device(t, d);
		device_destroy(d);
	}
	free(t->buckets);
	free(t);
}

struct mg_device *mg_devtab_find(const struct mg_devtab *t, const uint8_t mac[6])
{
	for (struct mg_device *d = t->buckets[mac_hash(mac) & t->mask]; d; d = d->hnext)
		if (!memcmp(d->mac, mac, 6))
			return d;
	return NULL;
}

struct mg_device *mg_devtab_touch(struct mg_devtab *t, const uint8_t mac[6],
				  uint64_t now_us)
{
	struct mg_device *d;

	if (mg_mac_is_group(mac))
		return NULL;
	d = mg_devtab_find(t, mac);
	if (d) {
		if (now_us > d->last_us)
			d->last_us = now_us;
		if (t->lru_head != d) { /* move to the front */
			d->lru_prev->lru_next = d->lru_next;
			if (d->lru_next)
				d->lru_next->lru_prev = d->lru_prev;
			else
				t->lru_tail = d->lru_prev;
			d->lru_prev = NULL;
			d->lru_next = t->lru_head;
			t->lru_head->lru_prev = d;
			t->lru_head = d;
		}
		return d;
	}
	if (t->st.active >= t->cfg.max_devices && t->lru_tail) {
		t->st.evicted++;
		end_device(t, t->lru_tail);
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	memcpy(d->mac, mac, 6);
	d->seq = ++t->next_seq;
	d->first_us = d->last_us = now_us;
	d->randomized = mg_mac_is_local(mac);
	d->vendor = d->randomized ? NULL : mg_oui_lookup(t->oui, mac);
	d->peers.limit = t->cfg.max_peers;
	d->remote_srcs.limit = 256; /* enough to rank gateway candidates */

	uint32_t b = mac_hash(mac) & t->mask;
	d->hnext = t->buckets[b];
	t->buckets[b] = d;
	d->lru_next = t->lru_head;
	if (t->lru_head)
		t->lru_head->lru_prev = d;
	t->lru_head = d;
	if (!t->lru_tail)
		t->lru_tail = d;
	d->all_prev = t->all_tail;
	if (t->all_tail)
		t->all_tail->all_next = d;
	t->all_tail = d;
	if (!t->all_head)
		t->all_head = d;
	t->st.active++;
	t->st.created++;
	if (t->cb)
		t->cb(d, MG_DEV_NEW, t->user);
	return d;
}

void mg_device_add_addr(struct mg_device *d, const struct mg_addr *a,
			enum mg_addr_src src, uint64_t now_us)
{
	bool v4 = mg_addr_is_v4(a);
	struct mg_dev_addr *arr = v4 ? d->v4 : d->v6;
	uint8_t *n = v4 ? &d->n_v4 : &d->n_v6;
	unsigned max = v4 ? MG_DEV_MAX_V4 : MG_DEV_MAX_V6;
	struct mg_dev_addr *slot = NULL;

	if (mg_addr_is_group(a))
		return;
	for (unsigned i = 0; i < *n; i++) {
		if (!memcmp(&arr[i].a, a, sizeof(*a))) {
			arr[i].src |= (uint8_t)src;
			if (now_us > arr[i].last_us)
				arr[i].last_us = now_us;
			return;
		}
	}
	if (*n < max) {
		slot = &arr[(*n)++];
	} else { /* full: the address seen longest ago makes room */
		slot = &arr[0];
		for (unsigned i = 1; i < max; i++)
			if (arr[i].last_us < slot->last_us)
				slot = &arr[i];
	}
	slot->a = *a;
	slot->src = (uint8_t)src;
	slot->last_us = now_us;
}

bool mg_device_add_proto(struct mg_device *d, uint32_t key)
{
	for (unsigned i = 0; i < d->n_protos; i++) {
		if (d->protos[i].key == key) {
			d->protos[i].flows++;
			return false;
		}
	}
	if (d->n_protos == MG_DEV_MAX_PROTOS) {
		d->proto_overflow++;
		return false;
	}
	if (!d->n_protos || (d->n_protos >= 4 && !(d->n_protos & (d->n_protos - 1)))) {
		unsigned cap = d->n_protos ? d->n_protos * 2u : 4u;
		struct mg_dev_proto *p = realloc(d->protos, cap * sizeof(*p));
		if (!p) {
			d->proto_overflow++;
			return false;
		}
		d->protos = p;
	}
	d->protos[d->n_protos].key = key;
	d->protos[d->n_protos].flows = 1;
	d->n_protos++;
	return true;
}

static uint64_t addr_hash(const struct mg_addr *a)
{
	uint64_t x, y;
	memcpy(&x, a->b, 8);
	memcpy(&y, a->b + 8, 8);
	uint64_t h = (x * 0x9e3779b97f4a7c15ull) ^ (y + 0x632be59bd9b4e019ull);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return h ? h : 1; /* 0 marks an empty slot */
}

/* Adds @h; returns true if it was new. Stops growing at s->limit entries. */
static bool addrset_add(struct mg_addrset *s, uint64_t h)
{
	if (s->n * 2 >= s->cap) {
		if (s->n >= s->limit) {
			s->full = true;
			goto probe_only;
		}
		uint32_t cap = s->cap ? s->cap * 2 : 16;
		uint64_t *slot = calloc(cap, sizeof(*slot));
		if (!slot) {
			s->full = true;
			goto probe_only;
		}
		for (uint32_t i = 0; i < s->cap; i++) {
			if (!s->slot[i])
				continue;
			uint32_t j = (uint32_t)s->slot[i] & (cap - 1);
			while (slot[j])
				j = (j + 1) & (cap - 1);
			slot[j] = s->slot[i];
		}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
probe_only:
	if (!s->cap)
		return false;
	for (uint32_t j = (uint32_t)h & (s->cap - 1);; j = (j + 1) & (s->cap - 1)) {
		if (s->slot[j] == h)
			return false;
		if (!s->slot[j]) {
			if (s->n * 2 >= s->cap) /* full and at the limit: count no more */
				return false;
			s->slot[j] = h;
			s->n++;
			return true;
		}
	}
}

void mg_device_count_pkt(struct mg_device *d, bool out, uint32_t len)
{
	if (out) {
		d->pkts_out++;
		d->bytes_out += len;
	} else {
		d->pkts_in++;
		d->bytes_in += len;
	}
}

void mg_device_add_flow(struct mg_device *d, bool out, const struct mg_addr *peer)
{
	if (out)
		d->flows_out++;
	else
		d->flows_in++;
	if (!mg_addr_is_group(peer))
		addrset_add(&d->peers, addr_hash(peer));
}

static void set_role(struct mg_devtab *t, struct mg_device *d)
{
	uint8_t role = d->gw_reasons ? MG_ROLE_GATEWAY : MG_ROLE_DEVICE;
	if (role != d->role) {
		d->role = role;
		if (t->cb)
			t->cb(d, MG_DEV_ROLE, t->user);
	}
}

void mg_device_set_gateway(struct mg_devtab *t, struct mg_device *d, enum mg_gw_reason reason)
{
	d->gw_reasons |= (uint8_t)reason;
	set_role(t, d);
}

void mg_device_note_remote_src(struct mg_devtab *t, struct mg_device *d,
			       const struct mg_addr *a)
{
	if (!addrset_add(&d->remote_srcs, addr_hash(a)))
		return;
	struct mg_device *lead = t->gw_leader;
	if (lead == d || d->remote_srcs.n < MG_DEV_GATEWAY_MIN_REMOTE)
		return;
	if (lead && lead->remote_srcs.n >= d->remote_srcs.n)
		return;
	t->gw_leader = d;
	if (lead) {
		lead->gw_reasons &= (uint8_t)~MG_GW_REMOTE;
		set_role(t, lead);
	}
	mg_device_set_gateway(t, d, MG_GW_REMOTE);
}

bool mg_devtab_is_local(const struct mg_devtab *t, const struct mg_addr *a)
{
	return mg_prefixes_contain(t->local, a);
}

void mg_devtab_expire(struct mg_devtab *t, uint64_t now_us)
{
	struct mg_device *d;
	uint64_t idle = (uint64_t)t->cfg.idle_s * 1000000u;

	while ((d = t->lru_tail) && d->last_us + idle < now_us) {
		t->st.expired++;
		end_device(t, d);
	}
}

void mg_devtab_flush(struct mg_devtab *t)
{
	while (t->all_head)
		end_device(t, t->all_head);
}

struct mg_device *mg_devtab_first(const struct mg_devtab *t)
{
	return t->all_head;
}

struct mg_device *mg_devtab_next(const struct mg_device *d)
{
	return d->all_next;
}

void mg_devtab_stats(const struct mg_devtab *t, struct mg_dev_stats *st)
{
	*st = t->st;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A growable set of 64-bit hashes (open addressing; the low bit is forced
 * on, so pass hashes, not small integers), with a cap on its size: for
 * counting distinct things per device cheaply. */
#ifndef MG_HASHSET_H
#define MG_HASHSET_H

#include <stdint.h>
#include <stdlib.h>

struct mg_hashset {
	uint64_t *k; /* 0 = empty */
	uint32_t n, cap;
};

/* Adds @key: 1 if new, 0 if present, -1 if the set holds @max keys already
 * or memory ran out (the key is then not added). */
static inline int mg_hashset_add(struct mg_hashset *s, uint64_t key, uint32_t max)
{
	key |= 1; /* never 0 */
	if (s->cap) {
		uint32_t j = (uint32_t)(key ^ key >> 32) & (s->cap - 1);
		for (; s->k[j]; j = (j + 1) & (s->cap - 1))
			if (s->k[j] == key)
				return 0;
	}
	if (s->n >= max)
		return -1;
	if ((s->n + 1) * 2 > s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 16;
		uint64_t *nk = calloc(cap, sizeof(*nk));
		if (!nk)
			return -1;
		for (uint32_t i = 0; i < s->cap; i++) {
			if (!s->k[i])
				continue;
			uint32_t j = (uint32_t)(s->k[i] ^ s->k[i] >> 32) & (cap - 1);
			while (nk[j])
				j = (j + 1) & (cap - 1);
			nk[j] = s->k[i];
		}
		free(s->k);
		s->k = nk;
		s->cap = cap;
	}
	uint32_t j = (uint32_t)(key ^ key >> 32) & (s->cap - 1);
	while (s->k[j])
		j = (j + 1) & (s->cap - 1);
	s->k[j] = key;
	s->n++;
	return 1;
}

/* True if @key is in @s. */
static inline int mg_hashset_has(const struct mg_hashset *s, uint64_t key)
{
	key |= 1;
	if (!s->cap)
		return 0;
	for (uint32_t j = (uint32_t)(key ^ key >> 32) & (s->cap - 1); s->k[j]; j = (j + 1) & (s->cap - 1))
		if (s->k[j] == key)
			return 1;
	return 0;
}

/* Empties @s, keeping its memory. */
static inline void mg_hashset_clear(struct mg_hashset *s)
{
	for (uint32_t i = 0; i < s->cap; i++)
		s->k[i] = 0;
	s->n = 0;
}

static inline void mg_hashset_free(struct mg_hashset *s)
{
	free(s->k);
	s->k = NULL;
	s->n = s->cap = 0;
}

#endif

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* FNV-1a, 64 bit: stable across runs and builds (models and dedup keys). */
#ifndef MG_HASH_H
#define MG_HASH_H

#include <stddef.h>
#include <stdint.h>

#define MG_FNV_INIT 0xcbf29ce484222325ull

static inline uint64_t mg_fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#endif

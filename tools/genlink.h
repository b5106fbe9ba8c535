/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mudguard-gen: a scenario's Ethernet frames written as another link type. */
#ifndef MG_GENLINK_H
#define MG_GENLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gen_link {
	const char *name; /* for -l: "radiotap", "nflog", ... */
	int dlt;
};

/* The link types, ending in {NULL, 0}; the first is Ethernet. */
extern const struct gen_link gen_links[];

/* The link type called @name, or NULL. */
const struct gen_link *gen_link_find(const char *name);

/* Room for one rewritten frame (an Ethernet frame of up to 2048 bytes). */
#define GEN_LINK_MAX 2200

typedef void (*gen_out_fn)(uint64_t ts, const uint8_t *frame, size_t len, void *user);

/* Writes the @n-th Ethernet frame @eth of @len bytes (at least 14) as link
 * type @l, calling @out for each resulting frame (none for what the link
 * cannot carry, more for the link's own frames). @gw is the router's MAC. */
void gen_link_write(const struct gen_link *l, uint64_t n, uint64_t ts, const uint8_t *eth,
		    size_t len, const uint8_t *gw, gen_out_fn out, void *user);

#endif

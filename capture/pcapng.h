/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A small pcapng reader, used by source.c only for files that libpcap refuses:
 * libpcap 1.10 stops at the second interface of a file whose interfaces have
 * different link types or snapshot lengths ("an interface has a snapshot
 * length 1500 different from the snapshot length of the first interface"),
 * which tshark and many capture tools write. Each interface keeps its own
 * link type, snapshot length and time resolution here. Every length is
 * checked against the block; errors name the file and the block's offset.
 */
#ifndef MG_PCAPNG_H
#define MG_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MG_PCAPNG_MAGIC 0x0a0d0d0au /* the Section Header Block type, either order */

struct mg_pcapng;

struct mg_pcapng_pkt {
	const uint8_t *data; /* valid until the next call */
	uint32_t caplen, wirelen;
	uint64_t ts_us;
	int dlt;	 /* the interface's link type (LINKTYPE_*) */
	uint32_t iface;	 /* its index in the section */
	uint64_t offset; /* of the packet's block in the file */
};

/* Starts reading @f (not closed by the reader), named @name in messages.
 * Returns 0, or -EINVAL with a message in @err if it does not start with a
 * valid Section Header Block. */
int mg_pcapng_open(struct mg_pcapng **out, FILE *f, const char *name, char *err,
		   size_t errlen);

/* Reads the next packet: 1 with @pkt set, 0 at the end of the file (see
 * mg_pcapng_truncated()), -1 on a malformed block (see mg_pcapng_errstr()). */
int mg_pcapng_next(struct mg_pcapng *r, struct mg_pcapng_pkt *pkt);

/* True if the file ended inside a block (a warning, not a failure). */
bool mg_pcapng_truncated(const struct mg_pcapng *r);

/* The last error or warning ("" if none). */
const char *mg_pcapng_errstr(const struct mg_pcapng *r);

/* NULL is allowed. */
void mg_pcapng_free(struct mg_pcapng *r);

#endif

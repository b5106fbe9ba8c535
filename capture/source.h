/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mudguard packet sources: live capture and pcap/pcapng replay, and a pcap
 * writer for the tools. This module is the only place that includes <pcap.h>.
 */
#ifndef MG_SOURCE_H
#define MG_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct mg_source;

struct mg_live_opts {
	const char *iface;
	uint32_t snaplen;
	bool promisc;
	uint32_t buffer_mib;
	const char *filter; /* BPF expression or NULL */
	uint32_t timeout_ms;
};

/* Kernel counters widened to 64 bits (libpcap's are 32-bit and wrap). */
struct mg_capture_stats {
	uint64_t received, dropped, if_dropped;
};

enum {
	MG_SRC_PACKET = 1,  /* a packet was returned */
	MG_SRC_TIMEOUT = 0, /* live: no packet within the timeout */
	MG_SRC_EOF = -1,    /* end of file (see mg_source_truncated()) */
	MG_SRC_ERROR = -2,  /* see mg_source_errstr() */
};

/* Opens a live capture. Returns 0 and sets *@out, or -errno-like code with a
 * message in @err (@errlen bytes). Free with mg_source_free(). */
int mg_source_open_live(struct mg_source **out, const struct mg_live_opts *o,
			char *err, size_t errlen);

/* Opens a pcap or pcapng file ("-" is stdin), with an optional BPF @filter.
 * Returns 0 and sets *@out, or a negative code with a message naming the file
 * in @err. An unsupported link type is an error. A pcapng file that libpcap
 * refuses (interfaces with different link types or snapshot lengths) is read
 * by our own reader (pcapng.h). */
int mg_source_open_file(struct mg_source **out, const char *path, const char *filter,
			char *err, size_t errlen);

/* Reads the next packet. Returns MG_SRC_PACKET with @data/@caplen/@wirelen/@ts_us
 * set (valid until the next call), MG_SRC_TIMEOUT, MG_SRC_EOF or MG_SRC_ERROR. */
int mg_source_next(struct mg_source *s, const uint8_t **data, uint32_t *caplen,
		   uint32_t *wirelen, uint64_t *ts_us);

/* The link type of the source, as the decoder knows it: of the last packet
 * returned, for a pcapng file whose interfaces differ (read by pcapng.c);
 * before the first packet, that of the first. */
enum mg_link mg_source_link(const struct mg_source *s);

/* True if EOF came from a truncated last record (a warning, not a failure). */
bool mg_source_truncated(const struct mg_source *s);

/* The last error or warning text ("" if none). Owned by @s. */
const char *mg_source_errstr(const struct mg_source *s);

/* Reads kernel counters (live only; zeros for files), widened to 64 bits.
 * Returns 0 or -EIO. */
int mg_source_stats(struct mg_source *s, struct mg_capture_stats *st);

/* Closes @s; NULL is allowed. */
void mg_source_free(struct mg_source *s);

/* The libpcap version string, for --version. */
const char *mg_source_lib_version(void);

struct mg_dumper;

/* Creates a pcap file of link type @dlt (DLT_*, 1 = Ethernet) at @path
 * (microsecond timestamps). Returns 0 or a negative code with a message in @err. */
int mg_dumper_open(struct mg_dumper **out, const char *path, int dlt, char *err,
		   size_t errlen);
/* Appends one frame. */
void mg_dumper_write(struct mg_dumper *d, uint64_t ts_us, const uint8_t *frame,
		     uint32_t len);
/* Flushes and closes; returns 0 or -EIO. NULL is allowed. */
int mg_dumper_close(struct mg_dumper *d);

#endif

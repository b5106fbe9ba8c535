/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Event time: ISO 8601 UTC with microseconds, both ways, and the wall clock. */
#ifndef MG_TIMEFMT_H
#define MG_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Writes "2024-05-01T12:00:00.123456Z" for @ts_us into @buf (>= 28 bytes). */
char *mg_ts_str(uint64_t ts_us, char *buf, size_t len);

/* The wall clock in µs since the epoch: for live roles only (a replay's time
 * comes from its packets). */
uint64_t mg_wall_us(void);

/* "2026-11-21T13:51:00.971715Z" (or without the fraction) in µs; 0 if it is
 * not that. */
uint64_t mg_ts_parse(const char *s);

#endif

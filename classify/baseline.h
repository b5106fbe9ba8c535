/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Behavioural baselines, one per device MAC, kept apart from the device table
 * so that a device that goes quiet and comes back keeps what was learned.
 *
 * A device learns at full weight for a learning period from when it is first
 * seen, then slowly (a sixteenth of the weight) for ever after, so that a
 * firmware update or a CDN rotation stops being news. What is learned:
 *  - per-interval counts of what it sends (packets, bytes, new flows, distinct
 *    destinations and ports, DNS queries, NXDOMAIN answers, SYNs, new UDP
 *    flows, ICMP echo requests), as a histogram over log2 buckets: the
 *    learned high of a metric is the top of the highest bucket with a full
 *    learning weight, which a daily peak or a burst reaches and a one-off
 *    outlier after learning does not;
 *  - the remote endpoints it talks to (registrable domain of the name it
 *    resolved, else a /24 or /48), its services (direction, protocol, port)
 *    and its nDPI protocols, as sets of hashes.
 * Intervals with a finding, and a quarantined device's traffic, are not
 * learned (the caller says so with mg_bl_hold and the learn flags).
 *
 * Baselines persist in a versioned text file with a checksum; a damaged file
 * or another version is an error, never a silent reset.
 */
#ifndef MG_BASELINE_H
#define MG_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MG_BL_FORMAT_VERSION 1
#define MG_BL_ENDPOINTS_MAX 128
#define MG_BL_SERVICES_MAX 64
#define MG_BL_PROTOCOLS_MAX 32
#define MG_BL_BUCKETS 40
#define MG_BL_LEARN_WEIGHT 16 /* per interval while learning; 1 after */

#define MG_BL_METRIC_LIST(X)                                                   \
	X(PKTS, "packets", 5000)                                               \
	X(BYTES, "bytes", 8u << 20)                                            \
	X(FLOWS, "new_flows", 100)                                             \
	X(DESTS, "destinations", 50)                                           \
	X(PORTS, "ports", 50)                                                  \
	X(DNS, "dns_queries", 100)                                             \
	X(NXDOMAIN, "nxdomain", 12)                                            \
	X(SYN, "syns", 0)                                                      \
	X(UDP, "udp_flows", 0)                                                 \
	X(ICMP, "icmp_echo", 0)

enum mg_bl_metric {
#define MG_X(id, name, min) MG_BL_##id,
	MG_BL_METRIC_LIST(MG_X)
#undef MG_X
	MG_BL__METRICS
};

enum mg_bl_set { MG_BL_ENDPOINT, MG_BL_SERVICE, MG_BL_PROTOCOL, MG_BL__SETS };

struct mg_bl_cfg {
	uint32_t learning_s; /* full-weight learning from first sight; 0 = until
			      * mg_baselines_complete (a training run) */
	uint32_t interval_s; /* rate interval */
	uint32_t factor;     /* far beyond: above factor x the learned high */
	uint32_t max_devices;
};

struct mg_bl;
struct mg_baselines;

/* Creates an empty table. Returns 0 or -ENOMEM/-EINVAL (a zero in @cfg). */
int mg_baselines_new(struct mg_baselines **out, const struct mg_bl_cfg *cfg);
/* Frees the table and every baseline; NULL is allowed. */
void mg_baselines_free(struct mg_baselines *t);

/* The baseline of @mac, created at @now_us (learning starts) if new, and held
 * until mg_baselines_put. When the table is full the baseline seen least
 * recently that nobody holds makes room. NULL when out of memory. */
struct mg_bl *mg_baselines_get(struct mg_baselines *t, const uint8_t mac[6], uint64_t now_us);
/* Lets go of @b (NULL allowed): it may be evicted from now on. */
void mg_baselines_put(struct mg_bl *b);

/* Ends the learning period of every baseline at @now_us (a training run). */
void mg_baselines_complete(struct mg_baselines *t, uint64_t now_us);

/* Baselines held, and the bytes they use (structures and sets). */
size_t mg_baselines_count(const struct mg_baselines *t);
size_t mg_baselines_bytes(const struct mg_baselines *t);

/* Writes every baseline to @path atomically (a temporary file renamed over
 * it), devices in MAC order, current intervals not included. Returns 0 or
 * -errno with the reason in @err. */
int mg_baselines_save(struct mg_baselines *t, const char *path, char *err, size_t errlen);

/* Loads @path into @t (replacing baselines of the same MACs; call before any
 * is held). Returns 0, or
 * -EINVAL with "path:line: reason" in @err for a damaged or mismatched file
 * (nothing is loaded then), or -errno when it cannot be read. */
int mg_baselines_load(struct mg_baselines *t, const char *path, char *err, size_t errlen);
/* Same over @len bytes of @text, named @name in messages. */
int mg_baselines_load_mem(struct mg_baselines *t, const char *name, const char *text,
			  size_t len, char *err, size_t errlen);

/* ---- one device ---- */

/* True while @b is in its learning period at @now_us. */
bool mg_bl_learning(const struct mg_bl *b, uint64_t now_us);

struct mg_bl_rate {
	enum mg_bl_metric metric;
	uint64_t count;	    /* in the current interval so far */
	uint64_t high;	    /* learned high per interval, 0 = never seen */
	uint64_t threshold; /* what count exceeded */
	uint32_t interval_s;
};

/* Adds @n to @m for the interval holding @now_us (a finished interval is
 * learned first). For MG_BL_DESTS and MG_BL_PORTS, @n is a hash of the
 * destination or port and the count is of distinct ones. Returns true with
 * @out when, after learning, the count just exceeded max(factor x high,
 * the metric's floor) (once per metric per interval; never for SYN, UDP and
 * ICMP, which the flood detectors judge per second with mg_bl_high). */
bool mg_bl_add(struct mg_bl *b, const struct mg_baselines *t, enum mg_bl_metric m, uint64_t n,
	       uint64_t now_us, struct mg_bl_rate *out);

/* Ends the current interval at @now_us (learned as a finished one would be)
 * and starts counting again in the one holding @now_us: the clock stepped,
 * and counts before and after the step are not one interval. */
void mg_bl_restart(struct mg_bl *b, const struct mg_baselines *t, uint64_t now_us);

/* The learned high of @m per interval (0 if none). */
uint64_t mg_bl_high(const struct mg_bl *b, enum mg_bl_metric m);

/* Keeps the current interval out of learning (it held a finding, or the
 * device is quarantined). */
void mg_bl_hold(struct mg_bl *b);

/* Looks @key up in one of @b's sets; it is added when @learn. While
 * learning, returns 0. After learning: 0 if known; 1 if new (added when
 * @learn, so that legitimate change is news once, not for ever). *@size
 * receives the set's size before the call. A full set adds nothing. */
int mg_bl_novel(struct mg_bl *b, enum mg_bl_set which, uint64_t key, uint64_t now_us,
		bool learn, uint32_t *size);

struct mg_bl_info {
	uint64_t first_us, learn_end_us;
	uint32_t intervals; /* learned */
	uint32_t sets[MG_BL__SETS];
	uint64_t high[MG_BL__METRICS];
};
/* What @b has learned. */
void mg_bl_info(const struct mg_bl *b, struct mg_bl_info *out);

const char *mg_bl_metric_name(enum mg_bl_metric m);
const char *mg_bl_set_name(enum mg_bl_set s);

#endif

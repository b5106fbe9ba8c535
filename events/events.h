/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Event output: one JSON object per line (EVE-like), built through a small
 * builder so that this module is the only one that includes jansson. Events
 * keep their fields in insertion order, so the same input gives the same bytes.
 */
#ifndef MG_EVENTS_H
#define MG_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/timefmt.h" /* mg_ts_str, mg_wall_us */

struct mg_events;

/* Opens @path for appending events ("-" = stdout). Returns 0 or -errno with a
 * message in @err. */
int mg_events_open(struct mg_events **out, const char *path, char *err, size_t errlen);
/* Flushes and closes; returns 0 or -EIO (a write failed at some point). */
int mg_events_close(struct mg_events *e);


/* @v in decimal into @buf (at least 21 bytes), NUL-terminated, without
 * printf (the journal's per-event path). Returns the length. */
size_t mg_u64_str(char *buf, uint64_t v);

/* Formats one line (at most 511 bytes) for @log (NULL: nothing is said). */
__attribute__((format(printf, 3, 4))) void mg_say(void (*log)(void *user, const char *line),
						  void *user, const char *fmt, ...);

/* Starts an event with `timestamp` and `event_type`. Only one event is under
 * construction at a time per mg_events; the builder calls below add to the
 * innermost open object or array (@key is ignored inside an array). */
void mg_ev_begin(struct mg_events *e, const char *type, uint64_t ts_us);
void mg_ev_str(struct mg_events *e, const char *key, const char *v); /* NULL -> null */
void mg_ev_u64(struct mg_events *e, const char *key, uint64_t v);
void mg_ev_f64(struct mg_events *e, const char *key, double v);
void mg_ev_bool(struct mg_events *e, const char *key, bool v);
void mg_ev_ts(struct mg_events *e, const char *key, uint64_t ts_us);
void mg_ev_mac(struct mg_events *e, const char *key, const uint8_t mac[6]);
void mg_ev_obj(struct mg_events *e, const char *key); /* opens a nested object */
void mg_ev_arr(struct mg_events *e, const char *key); /* opens a nested array */
void mg_ev_close(struct mg_events *e);                /* closes the innermost */
/* Writes the event as one line. Returns 0 or -EIO. */
int mg_ev_emit(struct mg_events *e);

/* A second destination for every event: it receives the line and its ids.
 * Events then carry "event_id": "SENSOR:RUN:SEQ", where RUN is the first
 * event's timestamp and the run's key (see src/runid.h), "TS-KEY"; @run is
 * "mudguard:run:SENSOR:RUN" and @seq counts from 1; @type is the event type,
 * @mac the device's ("" if none); @json is @len bytes, not NUL-terminated,
 * valid during the call. @chain folds every line of the run up to this one
 * (FNV-1a, 64 bits): a journal that holds the run can tell whether what it
 * holds is this run. */
typedef void (*mg_events_sink)(void *user, const char *run, uint64_t seq, const char *id,
			       const char *type, const char *mac, const char *json, size_t len,
			       uint64_t chain);
/* @sensor names this instance in the ids (bytes other than letters, digits,
 * '.', '_' and '-' become '-'); @key is the run's key (letters and digits). */
void mg_events_set_sink(struct mg_events *e, const char *sensor, const char *key,
			mg_events_sink cb, void *user);

/* Reads the top-level @keys[i] of the JSON object @json (an event read
 * back), @n of them, into @bufs[i] (@lens[i] bytes): a string as it is, an
 * integer in decimal, an array of strings joined by commas, "" if absent.
 * The text is parsed once. Returns 0, or -ENOENT if it is not a JSON object. */
int mg_ev_fields(const char *json, unsigned n, const char *const *keys, char *const *bufs,
		 const size_t *lens);

/* Opens the events file again by its name (SIGHUP: logrotate moved it) and
 * writes on there; stdout stays. Returns 0, or a negative code with the
 * reason in @err, the old file kept. */
int mg_events_reopen(struct mg_events *e, char *err, size_t errlen);

/* Hands what is buffered to the file (a live role does once a second, so
 * that a reader following the file is never far behind). */
void mg_events_flush(struct mg_events *e);

/* Events written so far. */
uint64_t mg_events_count(const struct mg_events *e);

#endif

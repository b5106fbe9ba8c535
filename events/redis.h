/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The Redis journal: events go to a stream (XADD MAXLEN ~) from a writer
 * thread, through a bounded queue, in pipelined batches; the packet path only
 * copies the event into the queue (journal.c). Only the files of these
 * roles (journal.c, rclient.c, rconsumer.c) and of their connection
 * (rconn.c) include hiredis; rkeys.h names every key.
 *
 * While Redis is unreachable, events go in order to a bounded spool file and
 * are sent when it is back (one log line when it goes away, one when it is
 * back). Past the bound the oldest spooled events are dropped and counted.
 * Each event carries its run's key and sequence number; the server keeps the
 * highest number written per run (set in the same transaction as the
 * events), so a batch sent twice (its answer was lost with the connection)
 * or a run replayed again is written once.
 *
 * Device state rides along in the same transactions (devstate.h): the set
 * mudguard:devices, a hash mudguard:device:MAC with the latest event of each
 * kind about it (device, role, identity, mud_binding, device_summary,
 * quarantine, release), the registry mudguard:quarantines (MAC -> the
 * quarantine event; a release removes it) and the stream
 * mudguard:quarantine:history.
 */
#ifndef MG_REDIS_H
#define MG_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rkeys.h"

struct mg_redis_cfg {
	const char *url;      /* redis://[[user]:password@]host[:port][/db] */
	const char *stream;   /* "mudguard:events" */
	uint32_t maxlen;      /* XADD MAXLEN ~ */
	const char *spool;    /* spool file path */
	uint32_t spool_max;   /* events kept in the spool at most */
	uint32_t queue_max;   /* events waiting for the writer at most */
	uint32_t device_ttl;  /* seconds a device's state is kept after its last event */
	/* one line about a state change (never a secret); called from the writer */
	void (*log)(void *user, const char *line);
	void *log_user;
};

struct mg_redis_stats {
	uint64_t queued, sent, spooled, spool_dropped, queue_dropped;
	uint64_t duplicates; /* skipped: the run's mark said they were there */
	uint64_t conflicts;  /* not written: the journal holds another run of that name */
};

struct mg_redis;

/* Parses the URL and starts the writer (which connects on its own; an
 * unreachable server at start means spooling). Returns 0 or -errno/-EINVAL
 * with the reason in @err (the password never appears in it). */
int mg_redis_open(struct mg_redis **out, const struct mg_redis_cfg *cfg, char *err,
		  size_t errlen);

/* Checks @url as mg_redis_open would. Returns 0 or -EINVAL with the reason. */
int mg_redis_url_check(const char *url, char *err, size_t errlen);

/* Queues one event (@run: its run's key, @seq: its number in the run, from 1;
 * @id: its event_id; @type, @mac: its type and device, "" if none; @json: the
 * line; @chain: the events sink's chain up to it, 0 if unknown). Never blocks; a full queue drops the event and counts it. */
void mg_redis_push(struct mg_redis *r, const char *run, uint64_t seq, const char *id,
		   const char *type, const char *mac, const char *json, size_t len, uint64_t chain);

/* Sends what is queued and spooled, waiting at most @wait_ms for Redis, then
 * stops the writer; what could not be sent stays in the spool for the next
 * start. */
void mg_redis_close(struct mg_redis *r, unsigned wait_ms, struct mg_redis_stats *st);

/* ---- a plain client, for the analyst's tool ---- */

struct mg_rclient;

/* Connects to @url (AUTH and SELECT as in it). Returns 0 or -errno/-EINVAL
 * with the reason in @err (never the password). */
int mg_rclient_open(struct mg_rclient **out, const char *url, char *err, size_t errlen);
void mg_rclient_close(struct mg_rclient *c);

/* Each member of sorted set @key, lowest score first. Returns the count or -EIO. */
int mg_rclient_zmembers(struct mg_rclient *c, const char *key,
			void (*cb)(void *user, const char *member), void *user);
/* Each field of hash @key. Returns the count or -EIO. */
int mg_rclient_hgetall(struct mg_rclient *c, const char *key,
		       void (*cb)(void *user, const char *field, const char *value), void *user);

/* Stream entries from @start to @end (stream ids, "-" and "+" allowed), at
 * most @count (0: all), newest first with @rev; @block_ms > 0 instead waits
 * that long for entries after @start (XREAD). For each, @cb gets the entry's
 * id and its "event" field; the last id is written to @last (>= 48 bytes). */
int mg_rclient_entries(struct mg_rclient *c, const char *stream, const char *start,
		       const char *end, unsigned count, int rev, unsigned block_ms,
		       void (*cb)(void *user, const char *id, const char *event), void *user,
		       char *last);

/* Appends an entry of @nf field/value pairs to @stream (no cap); its id goes
 * to @id (>= 48 bytes). Returns 0 or -EIO. */
int mg_rclient_xadd(struct mg_rclient *c, const char *stream, unsigned nf,
		    const char *const *fields, const char *const *values, char *id);

/* ---- a consumer group reader, for sensors and enforcers ---- */

/* The streams it reads: rkeys.h (MG_REDIS_COMMANDS, MG_REDIS_VERDICTS). */

struct mg_rconsumer;

/* How far back a new consumer group starts reading: commands and verdicts
 * written up to this long before a reader's group existed are read (each
 * reader then applies only those still fresh, see quarantine_ev.h). */
#define MG_REDIS_BACKLOG_S 600

/* Starts a thread that reads @streams (@n of them, at most 4) as consumer
 * @consumer of group @group (created if missing to start MG_REDIS_BACKLOG_S
 * back by the server's clock: a new reader acts on what was asked while no
 * reader ran, and not on older history). Entries this consumer read but did not
 * acknowledge (it died before acting) are read again first, at start:
 * delivery is at least once. Across a reconnection nothing is lost either:
 * what was read is handed, and acknowledgements not sent are sent on the
 * next connection. At most 4,096 entries wait to be handed; past that,
 * reading waits. It also reads ZCARD mudguard:devices once a second (see
 * mg_rconsumer_known). Returns 0 or -errno/-EINVAL with @err. */
int mg_rconsumer_open(struct mg_rconsumer **out, const char *url, const char *const *streams,
		      unsigned n, const char *group, const char *consumer,
		      void (*log)(void *user, const char *line), void *log_user, char *err,
		      size_t errlen);
void mg_rconsumer_close(struct mg_rconsumer *c);

/* Hands each entry read so far to @cb (stream, entry id, @nf field/value
 * pairs), in order, and acknowledges it once @cb has returned (a crash
 * before that means it is read again at the next start: acting on an entry
 * must be idempotent). Never blocks on Redis. Returns the entries handed. */
typedef void (*mg_rconsumer_cb)(void *user, const char *stream, const char *id, unsigned nf,
				const char *const *fields, const char *const *values);
unsigned mg_rconsumer_poll(struct mg_rconsumer *c, mg_rconsumer_cb cb, void *user);

/* The number of devices the journal knows (all sensors), 0 before the
 * first answer. */
size_t mg_rconsumer_known(struct mg_rconsumer *c);

#endif

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Where MUD profiles come from, and the cache of them: one entry per URL,
 * loaded once, shared by every device bound to it, refreshed when its
 * cache-validity runs out (packet time), kept if a refresh fails.
 *
 * Sources, in order:
 *  1. the local repository: DIR/AUTHORITY/PATH for https://AUTHORITY/PATH
 *     (the URL is validated first, so no dot segment can leave DIR); a
 *     signature beside it (the mud-signature URL mapped the same way, else the
 *     URL with .json replaced by, or else followed by, .p7s) must verify.
 *     Files the administrator placed there are trusted without one.
 *  2. HTTPS (when fetching is on): the file with Accept: application/mud+json,
 *     then its signature; with require_signature a file without a valid
 *     signature is refused.
 *
 * Retrieval is synchronous by default: in replay it happens at the packet
 * that binds the device, so results stay deterministic. After
 * mg_mudstore_async (a live sensor) it runs on worker threads: the caller
 * never waits for a file, a server or a signature check; an entry is
 * "pending" until its first retrieval is installed by mg_mudstore_poll.
 *
 * Threads: the entries (every mg_mudprof) are read and written only by the
 * thread that calls mg_mudstore_get and mg_mudstore_poll (the packet
 * thread). A worker gets a job with its own copy of the URL and its own
 * result record; finished jobs go back on a locked list, and the packet
 * thread copies the result into the entry. So no entry is ever shared, and
 * a pointer to one stays valid without a lock.
 */
#ifndef MG_MUDSTORE_H
#define MG_MUDSTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "mud.h"

/* The strings are borrowed: they must outlive the store (the sensor's
 * configuration does); "" turns an option off, NULL is not allowed. */
struct mg_mudstore_cfg {
	const char *repository;	   /* "" = none */
	bool fetch;		   /* HTTPS retrieval */
	const char *trust_anchors; /* "" = signatures cannot be checked */
	bool require_signature;	   /* for fetched files */
	bool check_time;
	uint32_t max_bytes, timeout_s, max_redirects, retry_s;
	const char *ca_file, *connect_to; /* for HTTPS (see mudfetch.h) */
};

#define MG_MUDSTORE_MAX 4096 /* distinct URLs cached */
#define MG_MUDSTORE_WORKERS 4 /* retrieval threads: one slow server holds up one */
#define MG_MUDSTORE_QUEUE 64  /* retrievals queued or running at once */

struct mg_mudprof {
	char *url;
	struct mg_mud *mud;  /* NULL: no usable profile (see error) */
	char origin[1100];   /* "repository PATH" or "https" */
	char signature[512]; /* "verified: SUBJECT", "absent", "not checked: ..." */
	char error[1024];    /* why there is no profile, or why a refresh failed */
	char warning[512];   /* the first parser warning */
	unsigned warnings;
	uint64_t expires_us, loaded_us;
	uint32_t version; /* bumps when the profile changes */
	uint64_t digest;  /* of the file's text and signature status, as last loaded */
	/* asynchronous retrieval only: */
	bool pending; /* its first retrieval is not installed yet (mud is NULL) */
	bool loading; /* a retrieval is queued or running */
	bool waiting; /* the queue was full: it is queued when there is room */
};

struct mg_mudstore;

/* Returns 0, or a negative code with the reason in @err (e.g. trust anchors
 * that do not load). */
int mg_mudstore_new(struct mg_mudstore **out, const struct mg_mudstore_cfg *cfg, char *err,
		    size_t errlen);
void mg_mudstore_free(struct mg_mudstore *s);

/* The entry for @url, loading or refreshing it as due at @now_us. The URL
 * must have passed mg_mud_url_valid. NULL only when the cache is full or out
 * of memory. Entries live as long as the store. */
const struct mg_mudprof *mg_mudstore_get(struct mg_mudstore *s, const char *url,
					 uint64_t now_us);

/* Starts the workers: from now on mg_mudstore_get queues retrievals and
 * returns at once. Returns 0, or a negative code with the reason in @err
 * (retrieval then stays synchronous). Signals are blocked in the workers. */
int mg_mudstore_async(struct mg_mudstore *s, char *err, size_t errlen);

/* Installs the retrievals that finished, at @now_us, calling @done for each
 * entry installed (first load or refresh; p->version says whether the
 * profile changed); queues entries that waited for room. Cheap when nothing
 * finished (no lock). Returns the number installed. */
typedef void (*mg_mudstore_done_fn)(void *user, const struct mg_mudprof *p);
size_t mg_mudstore_poll(struct mg_mudstore *s, uint64_t now_us, mg_mudstore_done_fn done,
			void *user);

/* Asks the workers to stop: a transfer in progress ends within about a
 * second, and no other starts. mg_mudstore_free joins them. */
void mg_mudstore_stop(struct mg_mudstore *s);

/* From a signal handler (SIGTERM): a transfer in progress ends within about
 * a second, also a synchronous one in replay, and none starts after. */
void mg_mudstore_cancel(struct mg_mudstore *s);

struct mg_mudstore_stats {
	uint64_t queued;     /* retrievals handed to the workers */
	uint64_t completed;  /* and installed */
	uint64_t queue_full; /* entries that had to wait for room in the queue */
	uint64_t in_flight;  /* now: queued, running, or finished and not installed */
	uint64_t waiting;    /* now: entries waiting for room */
};
void mg_mudstore_stats(const struct mg_mudstore *s, struct mg_mudstore_stats *st);

/* Every cached profile is read again at its next use (a reload: the
 * repository's files may have changed); until then, and if that fails, the
 * one in force stays. */
void mg_mudstore_expire(struct mg_mudstore *s);

#endif

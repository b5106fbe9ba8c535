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
 * Retrieval is synchronous: in replay it happens at the packet that binds
 * the device, so results stay deterministic.
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

#endif

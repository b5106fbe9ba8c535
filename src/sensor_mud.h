/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sensor's MUD stage (private to the sensor): binding devices to
 * profiles, checking each new flow, deduplicating and rate-limiting
 * violations. It decides; sensor.c writes the events.
 */
#ifndef MG_SENSOR_MUD_H
#define MG_SENSOR_MUD_H

#include <stdbool.h>
#include <stdint.h>

#include "../classify/hashset.h"
#include "../classify/ident.h"
#include "../classify/mudmatch.h"
#include "../classify/mudstore.h"
#include "../classify/prefix.h"
#include "config.h"

struct mg_smud;

/* Per device; all zero = unbound. */
struct mg_smud_dev {
	const struct mg_mudprof *prof; /* NULL: unbound, or the URL was rejected */
	char *url;
	char source[400]; /* "dhcp", "dhcp6", "lldp", or "rules FILE:LINE (attr=glob)" */
	bool by_device;	  /* the device announced its URL: rules never override it */
	uint32_t version; /* of the profile last reported */
	uint64_t checked, violations, events, suppressed;
	struct mg_hashset seen; /* distinct violations */
	uint64_t win_start_us;
	uint32_t win_events;
};

int mg_smud_new(struct mg_smud **out, const struct mg_config *cfg,
		const struct mg_prefixes *local, char *err, size_t errlen);
void mg_smud_free(struct mg_smud *m);
/* Frees what @md holds and zeroes it. */
void mg_smud_dev_clear(struct mg_smud_dev *md);

enum mg_smud_bind { MG_SMUD_SAME, MG_SMUD_BOUND, MG_SMUD_REJECTED };

/* The device announced @url (its text as extracted) via @source. BOUND: a new
 * binding (md->prof says how the profile loaded); REJECTED: the URL is no MUD
 * URL, @why says why; SAME: nothing new. */
enum mg_smud_bind mg_smud_bind_url(struct mg_smud *m, struct mg_smud_dev *md, const char *url,
				   const char *source, uint64_t now_us, char *why, size_t len);

/* A device that announced no URL: the first bind rule matching @mac and
 * @attrs (vendor, class, model, type). BOUND or SAME. */
enum mg_smud_bind mg_smud_bind_rules(struct mg_smud *m, struct mg_smud_dev *md,
				     const uint8_t mac[6], const char *const attrs[4],
				     uint64_t now_us);

/* True when a refresh at @now_us changed the bound profile (report it). */
bool mg_smud_refreshed(struct mg_smud *m, struct mg_smud_dev *md, uint64_t now_us);

struct mg_smud_result {
	struct mg_mud_verdict v;
	const char *peer_name; /* passive DNS name of the peer, or NULL */
	bool emit;	       /* a new distinct violation within the rate limit */
	bool quarantine;       /* the verdict policy asks for */
	uint64_t distinct;     /* this device's distinct violations so far */
};

/* Checks a new flow of the bound device @md (identity @id for passive DNS;
 * @peer: the device whose MAC is at the other end, or NULL: its MUD URL counts
 * when the peer address is local). Returns true for a violation, with @r
 * filled. */
bool mg_smud_check(struct mg_smud *m, struct mg_smud_dev *md, const struct mg_ident *id,
		   const struct mg_smud_dev *peer, const struct mg_mud_flow *f, uint64_t now_us,
		   struct mg_smud_result *r);

struct mg_smud_stats {
	uint64_t bound, rejected, checked, implicit, violations, events, suppressed;
};
void mg_smud_stats(const struct mg_smud *m, struct mg_smud_stats *st);
/* Zeroes the counters (mg_sensor_reset); the profile cache stays. */
void mg_smud_reset(struct mg_smud *m);

#endif

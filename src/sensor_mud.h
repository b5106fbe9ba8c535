/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sensor's MUD stage (private to the sensor): binding devices to
 * profiles, checking each new flow, deduplicating and rate-limiting
 * violations. It decides; sensor.c binds devices and hands it flows, and
 * sensor_events.c writes the events.
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

#define MG_SMUD_HELD_MAX 256 /* flows kept per device while its profile is pending */

/* A new flow of a device whose profile is pending (asynchronous retrieval),
 * kept to be checked when the profile arrives. */
struct mg_smud_held {
	struct mg_mud_flow f;
	uint64_t flow_id, ts_us;
	uint8_t peer_mac[6]; /* the device at the other end, if has_peer */
	bool has_peer;
};

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
	/* asynchronous retrieval: bound to a profile not there yet */
	bool awaiting;
	struct mg_smud_held *held;
	uint32_t n_held;
	uint64_t held_over;	       /* flows beyond MG_SMUD_HELD_MAX while awaiting */
	uint64_t checked_late, unchecked; /* over the device's life */
};

int mg_smud_new(struct mg_smud **out, const struct mg_config *cfg,
		const struct mg_prefixes *local, char *err, size_t errlen);
void mg_smud_free(struct mg_smud *m);
/* A reload: @rules (owned from now on; NULL: none) become the site rules,
 * and every cached profile is read again at its next use. Devices keep
 * their bindings until a rule or a refresh changes them. */
struct mg_mudrules;
void mg_smud_reload(struct mg_smud *m, struct mg_mudrules *rules);
/* Frees what @md holds and zeroes it; flows still held count as unchecked
 * (@m may be NULL). */
void mg_smud_dev_clear(struct mg_smud *m, struct mg_smud_dev *md);

/* Retrieval off the calling thread from now on (a live sensor); see
 * mudstore.h. 0, or a negative code with the reason in @err. */
int mg_smud_async(struct mg_smud *m, char *err, size_t errlen);
/* Installs finished retrievals (mg_mudstore_poll). */
size_t mg_smud_poll(struct mg_smud *m, uint64_t now_us, mg_mudstore_done_fn done, void *user);
/* Stops retrieval early (shutdown); mg_smud_free joins the workers. */
void mg_smud_stop(struct mg_smud *m);
/* mg_mudstore_cancel: for a signal handler. */
void mg_smud_cancel(struct mg_smud *m);

/* A new flow of an awaiting device: kept (up to MG_SMUD_HELD_MAX), or
 * counted as unchecked. @peer_mac: the device at the other end, or NULL. */
void mg_smud_hold(struct mg_smud *m, struct mg_smud_dev *md, const struct mg_mud_flow *f,
		  const uint8_t *peer_mac, uint64_t flow_id, uint64_t ts_us);

/* The awaiting device's profile arrived, or the device was bound to one
 * that is there: ends the wait. late[0]: flows to check now (returned in
 * *held, which the caller checks with mg_smud_check and frees; none if the
 * profile did not load), late[1]: flows that go unchecked. Returns the
 * number in *held. */
size_t mg_smud_settle(struct mg_smud *m, struct mg_smud_dev *md, struct mg_smud_held **held,
		      uint64_t late[2]);

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
	/* asynchronous retrieval */
	uint64_t held, checked_late, unchecked; /* held: now */
	struct mg_mudstore_stats store;
};
void mg_smud_stats(const struct mg_smud *m, struct mg_smud_stats *st);
/* Zeroes the counters (mg_sensor_reset); the profile cache stays. */
void mg_smud_reset(struct mg_smud *m);

#endif

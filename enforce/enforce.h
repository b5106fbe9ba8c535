/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Quarantine: what mudguard does with a quarantine verdict, and the safety
 * gate in front of it. A quarantine covers a device, its MAC and every
 * address it has (more are added as it gets them); it has a TTL that doubles
 * for a repeat offender up to a cap; release removes it all. Nothing is done
 * to a device on the never-quarantine list (MACs, addresses, prefixes; the
 * gateway, the sensor and the DHCP and DNS servers seen join it), and a
 * circuit breaker stops acting after too many quarantines in a minute or too
 * large a share of the known devices. In monitor mode, or with the dry-run
 * backend, every decision is made and reported and nothing is touched.
 *
 * State (the quarantines and every device's offence count) is kept in a
 * file; at start it is reconciled with what the kernel's sets hold: nothing
 * silently lifted, nothing duplicated, every difference reported.
 */
#ifndef MG_ENFORCE_H
#define MG_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"
#include "nft.h"

enum mg_enf_mode { MG_ENF_MONITOR, MG_ENF_ENFORCE };
enum mg_enf_backend { MG_ENF_OFF, MG_ENF_DRYRUN, MG_ENF_NFT };

struct mg_enf_cfg {
	enum mg_enf_mode mode;
	enum mg_enf_backend backend;
	struct mg_nft_cfg nft;
	const char *never;	 /* MACs, addresses, prefixes, comma or space separated */
	const char *dns;	 /* the local DNS servers (more join as seen) */
	const char *remediation; /* addresses a quarantined device may still reach */
	uint32_t ttl_s, ttl_max_s;
	uint32_t per_minute;	 /* circuit breaker: new quarantines in 60 s */
	uint32_t max_percent;	 /* ... and share of the known devices quarantined */
	const char *state_file;	 /* "" = none */
};

enum mg_enf_outcome {
	MG_ENF_APPLIED,	   /* in the kernel */
	MG_ENF_DRY_RUN,	   /* recorded, not applied (dry-run backend) */
	MG_ENF_MONITORED,  /* monitor mode: what would be done */
	MG_ENF_SUPPRESSED, /* refused by safety: never list, circuit breaker */
	MG_ENF_ALREADY,	   /* already quarantined: nothing to do */
	MG_ENF_FAILED,	   /* the backend failed; nothing changed */
	MG_ENF_NOT_FOUND,  /* release of a device that is not quarantined */
};

struct mg_enf_result {
	enum mg_enf_outcome outcome;
	char why[320];	    /* suppressed or failed: the reason */
	uint32_t ttl_s;
	uint64_t expires_us;
	uint32_t offenses;  /* quarantines of this device so far, this one included */
	bool circuit_opened; /* this call tripped the breaker */
	struct mg_addr addrs[8];
	unsigned naddrs;
};

struct mg_enf;

/* Creates the enforcer and loads the state file if there is one (one of
 * another version is refused, left as it is; lines that cannot be read are
 * skipped, the file kept as FILE.corrupt, and mg_enf_load_problem says so,
 * as mg_enf_start's first note does); with the
 * nft backend in enforce mode, opens netlink and refuses (a clear error)
 * without CAP_NET_ADMIN or when a table of that name is not ours. Nothing is
 * changed until mg_enf_start. Returns 0 or -errno with @err. */
int mg_enf_new(struct mg_enf **out, const struct mg_enf_cfg *cfg, char *err, size_t errlen);
void mg_enf_free(struct mg_enf *e);
/* What was wrong with the state file, "" if nothing. */
const char *mg_enf_load_problem(const struct mg_enf *e);

const char *mg_enf_outcome_name(enum mg_enf_outcome o);
const char *mg_enf_mode_name(const struct mg_enf *e);
const char *mg_enf_backend_name(const struct mg_enf *e);

/* Quarantines @mac with its @n addresses (at most 8 kept) for @reason
 * (@ref: the evidence's reference) at @now_us, @known devices being known.
 * Returns 0 with @r (also when suppressed) or -ENOMEM. */
int mg_enf_quarantine(struct mg_enf *e, const uint8_t mac[6], const struct mg_addr *addrs,
		      unsigned n, const char *reason, const char *ref, uint64_t now_us,
		      size_t known, struct mg_enf_result *r);

/* The same at an analyst's word (approving a monitor-mode verdict): it acts
 * in monitor mode too, opening netlink and setting the table up if that was
 * not done yet, and the circuit breaker does not hold it back (the never list
 * and pins do). */
int mg_enf_approve(struct mg_enf *e, const uint8_t mac[6], const struct mg_addr *addrs,
		   unsigned n, const char *reason, const char *ref, uint64_t now_us,
		   struct mg_enf_result *r);

/* Pins @mac: never quarantined (@note: who and why, kept in the state file).
 * Returns 1 if newly pinned, 0 if it was (the note is replaced), -ENOMEM.
 * The caller releases a quarantine in force. */
int mg_enf_pin(struct mg_enf *e, const uint8_t mac[6], const char *note);
/* Returns 1 if @mac was pinned and no longer is, 0 if it was not. */
int mg_enf_unpin(struct mg_enf *e, const uint8_t mac[6]);
bool mg_enf_pinned(const struct mg_enf *e, const uint8_t mac[6]);

/* Releases @mac (what is held is lifted in monitor mode too). */
int mg_enf_release(struct mg_enf *e, const uint8_t mac[6], const char *reason, uint64_t now_us,
		   struct mg_enf_result *r);

/* A quarantined device has a new address: it is quarantined too. Returns 1
 * if it was added, 0 if not quarantined or known, or -errno. */
int mg_enf_add_addr(struct mg_enf *e, const uint8_t mac[6], const struct mg_addr *a,
		    uint64_t now_us);

/* Replaces the entries [enforce] never gave with those of @never (a
 * reload); what was added at run time (the gateway, the host's own
 * addresses, DNS servers) stays. Returns 0, or -EINVAL with the reason in
 * @err and the list unchanged. */
int mg_enf_set_never(struct mg_enf *e, const char *never, char *err, size_t errlen);

/* Adds to the never-quarantine list at run time (the gateway, a server seen),
 * and @dns: a DNS server a quarantined device may still ask. */
void mg_enf_never_mac(struct mg_enf *e, const uint8_t mac[6]);
void mg_enf_never_addr(struct mg_enf *e, const struct mg_addr *a, bool dns);

bool mg_enf_quarantined(const struct mg_enf *e, const uint8_t mac[6]);
size_t mg_enf_count(const struct mg_enf *e);
bool mg_enf_circuit_open(const struct mg_enf *e);

/* What happened outside a call: an expiry, a reconciliation, a restore. */
enum mg_enf_note {
	MG_ENF_EXPIRED,
	MG_ENF_RESTORED,
	MG_ENF_ADOPTED,
	MG_ENF_TABLE_RESTORED,
	MG_ENF_ERROR, /* the backend failed (setting up, checking): @detail says why */
};
typedef void (*mg_enf_note_cb)(void *user, enum mg_enf_note what, const uint8_t *mac,
			       const char *detail);

/* Ends quarantines whose TTL has passed at @now_us (the kernel's elements
 * time out by themselves). */
void mg_enf_expire(struct mg_enf *e, uint64_t now_us, mg_enf_note_cb cb, void *user);

/* Sets the table up (creating or updating it) and reconciles: call once
 * before acting. Returns 0 or -errno with @err. */
int mg_enf_start(struct mg_enf *e, uint64_t now_us, mg_enf_note_cb cb, void *user, char *err,
		 size_t errlen);

/* Compares the kernel's quarantine sets with the state and makes them agree
 * (re-adds what the kernel lost, adopts what only it holds). */
int mg_enf_reconcile(struct mg_enf *e, uint64_t now_us, mg_enf_note_cb cb, void *user,
		     char *err, size_t errlen);

/* If our table is gone (someone deleted it), sets it up again with every
 * quarantine in force. Returns 1 if restored, 0 if present, or -errno. */
int mg_enf_check(struct mg_enf *e, uint64_t now_us, mg_enf_note_cb cb, void *user, char *err,
		 size_t errlen);

/* Writes the state file (atomically). */
int mg_enf_save(struct mg_enf *e, char *err, size_t errlen);

/* One quarantine in force, for listing. */
typedef void (*mg_enf_each_cb)(void *user, const uint8_t mac[6], const struct mg_addr *addrs,
			       unsigned n, uint64_t expires_us, uint32_t offenses,
			       const char *reason);
void mg_enf_each(const struct mg_enf *e, mg_enf_each_cb cb, void *user);

#endif

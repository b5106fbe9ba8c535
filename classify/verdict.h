/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Turning findings into verdicts, per device. Each finding has a score in
 * 0..1; scores combine like independent evidence (1 - (1-a)(1-b)) and decay
 * with a half-life, so findings count together only over a short window.
 *
 * An episode starts with the first finding and ends when the combined score
 * has decayed below the release level (hysteresis: a device does not flap
 * between alert and calm). Within an episode each detector speaks once; a
 * finding at or above the alert level is an alert; the combined score
 * reaching the quarantine level is a quarantine verdict, but only when one
 * finding of the episode was strong on its own (weak evidence piling up is
 * never enough). While quarantined, a device's findings are not evidence.
 */
#ifndef MG_VERDICT_H
#define MG_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

struct mg_verdict_cfg {
	double alert;	     /* a finding this strong is reported */
	double quarantine;   /* combined score for a quarantine verdict */
	double strong;	     /* ... which needs one finding at least this strong */
	double release;	     /* the episode ends below this */
	uint32_t half_life_s;
	uint32_t hold_s;     /* a quarantine verdict holds this long */
};

#define MG_VERDICT_DEFAULTS {0.3, 0.9, 0.75, 0.1, 30, 3600}

struct mg_verdict {
	double score, max;     /* combined, and strongest finding, of the episode */
	uint64_t at_us;	       /* of the combined score */
	uint64_t held_until_us; /* quarantined until */
	uint32_t reported;     /* detectors heard in the episode (bit per detector) */
	uint8_t level;	       /* 0 calm, 1 alert, 2 quarantine */
};

enum mg_verdict_out {
	MG_VD_QUIET,	  /* counted in the score, not reported */
	MG_VD_REPEAT,	  /* this detector already spoke in the episode */
	MG_VD_HELD,	  /* the device is quarantined: not evidence */
	MG_VD_ALERT,
	MG_VD_QUARANTINE,
};

/* Adds a finding of @detector (0..31) with @score at @now_us. Returns what to
 * do with it; *@combined receives the episode's combined score. */
enum mg_verdict_out mg_verdict_add(struct mg_verdict *v, const struct mg_verdict_cfg *cfg,
				   unsigned detector, double score, uint64_t now_us,
				   double *combined);

/* Ends the episode under way, if any, without a verdict: the clock stepped,
 * and findings before and after the step do not add up. A quarantine verdict
 * holds on. */
void mg_verdict_restart(struct mg_verdict *v);

/* True while a quarantine verdict holds. */
bool mg_verdict_held(const struct mg_verdict *v, uint64_t now_us);

/* True when no episode is under way at @now_us (the combined score has decayed
 * below the release level and no verdict holds): what the device does now may
 * be learned as normal. */
bool mg_verdict_calm(const struct mg_verdict *v, const struct mg_verdict_cfg *cfg,
		     uint64_t now_us);

#endif

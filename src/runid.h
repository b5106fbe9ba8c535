/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A run's identity in the journal. Two runs share one only when they are the
 * same input with the same configuration, so a replay sent again is written
 * once and anything else is written in full.
 */
#ifndef MG_RUNID_H
#define MG_RUNID_H

#include "config.h"

#define MG_RUN_KEY_LEN 16 /* hex digits: 64 bits of a SHA-256 */

/* Fills @out with the run's key. Replaying @files (@n of them): a digest of
 * mudguard's version, every configuration key that shapes the events (not
 * where they go), the files the configuration names (rules, p0f database,
 * model, baselines, MUD site rules, repository and trust anchors, OUI
 * registry) and the input files' bytes, so it costs one extra read of the
 * inputs. Live capture (@n = 0) or stdin: unique to this start (wall clock,
 * process id and random bytes). Returns 0 or -ENOMEM. */
int mg_run_key(char out[MG_RUN_KEY_LEN + 1], const struct mg_config *cfg,
	       const char *const *files, unsigned n);

#endif

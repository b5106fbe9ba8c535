/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Learned fingerprints: a device is the set of its signal tokens; a model is
 * labelled training devices; a device gets the label of its most similar
 * training device (cosine similarity of IDF-weighted token sets), or no label
 * when nothing is close enough.
 *
 * Why this method: the content signals (DHCP options, mDNS TXT, SSDP banners,
 * DNS names, TLS fingerprints) are sparse categorical facts, so a nearest-
 * neighbour over token sets uses all of them at once, needs no tuning per type,
 * trains in one pass, explains itself (the nearest training capture) and gives
 * a natural "unknown": low similarity to everything.
 */
#ifndef MG_FPMODEL_H
#define MG_FPMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "extract.h"

#define MG_FP_TOKENS_PER_SIGNAL 4
#define MG_FP_MIN_SIMILARITY 0.30 /* below this: "unknown" */

/* Tokens for one signal value (the exact value, its shape with unit-unique hex
 * runs masked, ...). Writes at most MG_FP_TOKENS_PER_SIGNAL hashes to @out and
 * returns how many. Signals that are not features (model.type) give none. */
size_t mg_fp_tokens(enum mg_signal sig, const char *value, uint64_t *out);

struct mg_fpmodel;

struct mg_fp_result {
	const char *label;   /* NULL: unknown */
	double similarity;   /* to the nearest training device */
	double confidence;   /* 0..1: similarity, discounted when another label is close */
	const char *nearest; /* name of the nearest training sample */
	const char *runner_up; /* the next best label, or NULL */
	double runner_up_similarity;
};

/* Classifies a device by its tokens (@n hashes, any order, duplicates allowed)
 * when it has been seen for @age_us. A young device is compared with what the
 * training devices had shown by about the same age (twice it, plus 2 s), so
 * that a device seen for a second is not judged against an hour of evidence;
 * UINT64_MAX compares with everything. */
void mg_fpmodel_classify(const struct mg_fpmodel *m, const uint64_t *tok, size_t n,
			 uint64_t age_us, struct mg_fp_result *r);

/* Loads a model file. Returns 0 or a negative code with "FILE:LINE: why" (or
 * "FILE: truncated", "FILE: checksum mismatch") in @err. */
int mg_fpmodel_load(struct mg_fpmodel **out, const char *path, char *err, size_t errlen);
/* Same, from @len bytes at @buf; @name labels messages. */
int mg_fpmodel_load_mem(struct mg_fpmodel **out, const char *name, const void *buf, size_t len,
			char *err, size_t errlen);
/* Writes @m to @path. Returns 0 or -errno with a message in @err. */
int mg_fpmodel_save(const struct mg_fpmodel *m, const char *path, char *err, size_t errlen);
void mg_fpmodel_free(struct mg_fpmodel *m);

size_t mg_fpmodel_samples(const struct mg_fpmodel *m);
size_t mg_fpmodel_labels(const struct mg_fpmodel *m);

/* Building a model: add labelled samples, then finish (computes weights). */
struct mg_fpmodel *mg_fpmodel_new(void);
/* A training token and when the device first showed it. */
struct mg_fp_tok {
	uint64_t h;
	uint32_t at_ms; /* since the device's first packet */
};
/* Adds a sample; @tok need not be sorted. Returns 0 or -ENOMEM. */
int mg_fpmodel_add(struct mg_fpmodel *m, const char *label, const char *name,
		   const struct mg_fp_tok *tok, size_t n);
/* Computes token weights; call after the last add and before classify/save. */
int mg_fpmodel_finish(struct mg_fpmodel *m);

#endif

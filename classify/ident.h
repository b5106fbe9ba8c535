/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Identification: per-device evidence (signal values from classify/extract.c),
 * the rules that turn it into vendor, class and model (rules/README.md), the
 * learned type from a fingerprint model (classify/fpmodel.h), software versions
 * seen in banners, and the device's passive DNS map.
 *
 * Scoring: a rule that matches contributes its weight to the value it names;
 * contributions to one value combine as independent evidence,
 * score = 1 - prod(1 - weight); each rule counts once however many values it
 * matches. Hysteresis: a shown value is replaced only by one scoring at least
 * `hysteresis` more, so a device does not flip as evidence trickles in.
 */
#ifndef MG_IDENT_H
#define MG_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../capture/decode.h"
#include "extract.h"
#include "fpmodel.h"

#define MG_CLASS_LIST(X)                                                       \
	X(CAMERA, "camera")                                                    \
	X(DOORBELL, "doorbell")                                                \
	X(PLUG, "plug")                                                        \
	X(LIGHT, "light")                                                      \
	X(SPEAKER, "speaker")                                                  \
	X(HUB, "hub")                                                          \
	X(LOCK, "lock")                                                        \
	X(THERMOSTAT, "thermostat")                                            \
	X(SENSOR, "sensor")                                                    \
	X(VACUUM, "vacuum")                                                    \
	X(IRRIGATION, "irrigation")                                            \
	X(MEDIA, "media")                                                      \
	X(PRINTER, "printer")                                                  \
	X(APPLIANCE, "appliance")                                              \
	X(PHONE, "phone")                                                      \
	X(COMPUTER, "computer")                                                \
	X(NETWORK, "network")

/* What an identity says about a device. */
enum mg_attr { MG_ATTR_VENDOR, MG_ATTR_CLASS, MG_ATTR_MODEL, MG_ATTR_TYPE, MG_ATTR__COUNT };
const char *mg_attr_name(enum mg_attr a);

struct mg_rules;
/* Loads rules from a file, or from every "*.rules" file of a directory in name
 * order. Returns 0 or a negative code with "FILE:LINE: why" in @err. */
int mg_rules_load(struct mg_rules **out, const char *path, char *err, size_t errlen);
/* Same, from @len bytes of @text; @name labels messages. */
int mg_rules_load_mem(struct mg_rules **out, const char *name, const char *text, size_t len,
		      char *err, size_t errlen);
void mg_rules_free(struct mg_rules *r);
size_t mg_rules_count(const struct mg_rules *r);

struct mg_ident_cfg {
	const struct mg_rules *rules; /* may be NULL */
	const struct mg_fpmodel *model; /* may be NULL: no learned type */
	unsigned max_signals;	      /* distinct signal values kept per device */
	double hysteresis;	      /* score lead needed to replace a shown value */
	double min_score;	      /* score needed to show a value at all */
	double report_delta;	      /* confidence change that is news */
};

#define MG_IDENT_MAX_SOFTWARE 16
#define MG_IDENT_MAX_DNS 512 /* (address, name) pairs per device */

struct mg_ident;
/* @cfg must outlive the result. Returns NULL on ENOMEM. */
struct mg_ident *mg_ident_new(const struct mg_ident_cfg *cfg);
void mg_ident_free(struct mg_ident *id);

/* Adds evidence. Returns 1 if it is new, 0 if already known, -1 if dropped
 * (the device holds max_signals values already, or out of memory). */
int mg_ident_add(struct mg_ident *id, enum mg_signal sig, const char *value, uint64_t ts_us);

/* Recomputes the identity from the evidence of a device seen for @age_us.
 * Returns true when it changed materially since the last true return: a shown
 * value changed, or a confidence moved by report_delta or more. */
bool mg_ident_update(struct mg_ident *id, uint64_t age_us);

/* The rules or the model of the configuration @id was made with were
 * replaced (a reload): matches the evidence again. The old ones may be freed
 * after this; mg_ident_update then gives the identity they lead to. */
void mg_ident_rebase(struct mg_ident *id);

struct mg_identity {
	const char *value[MG_ATTR__COUNT]; /* NULL: not known */
	double score[MG_ATTR__COUNT];
	double confidence; /* of the class if known, else of the vendor */
	/* what the vendor rests on: "device" (what it said: names, banners,
	 * clouds), "oui" (its MAC block's owner), "module" (its MAC block is a
	 * radio-module maker's, and nothing it said names a brand), "model" */
	const char *vendor_source;
};
void mg_ident_get(const struct mg_ident *id, struct mg_identity *out);

/* One piece of evidence behind the shown identity. */
struct mg_ident_use {
	enum mg_signal sig;
	const char *value;
	const char *rule; /* "FILE:LINE", or "model" */
	double weight;	  /* what it contributed (weight x model confidence) */
	bool supports[MG_ATTR__COUNT];
};
/* Fills up to @max uses, strongest first; returns how many exist. */
size_t mg_ident_used(const struct mg_ident *id, struct mg_ident_use *out, size_t max);

/* The last fingerprint-model result (label NULL: unknown), or NULL without a model. */
const struct mg_fp_result *mg_ident_model(const struct mg_ident *id);

/* Evidence in arrival order. */
size_t mg_ident_count(const struct mg_ident *id);
void mg_ident_item(const struct mg_ident *id, size_t i, enum mg_signal *sig, const char **value,
		   uint64_t *ts_us);
uint64_t mg_ident_dropped(const struct mg_ident *id);

struct mg_software {
	const char *product, *version;
	enum mg_signal from;
};
size_t mg_ident_software(const struct mg_ident *id, const struct mg_software **out);

/* Passive DNS: @name resolved to @a for @ttl seconds from @now_us. */
void mg_ident_dns_add(struct mg_ident *id, const char *name, const struct mg_addr *a,
		      uint32_t ttl, uint64_t now_us);
/* The name @a was last answered for (of one answer, the name the device
 * asked) among entries still valid at @now_us, or NULL. */
const char *mg_ident_dns_name(const struct mg_ident *id, const struct mg_addr *a, uint64_t now_us);
/* Was the device answered @a for @name (any case), valid until at least
 * @now_us - @grace_us? CNAME chains are followed at extraction: every name
 * on the chain is an entry. */
bool mg_ident_dns_has(const struct mg_ident *id, const char *name, const struct mg_addr *a,
		      uint64_t now_us, uint64_t grace_us);
/* The names (lower case) @a was answered for, valid until at least
 * @now_us - @grace_us: up to @max into @out; returns how many. */
size_t mg_ident_dns_names(const struct mg_ident *id, const struct mg_addr *a, uint64_t now_us,
			  uint64_t grace_us, const char **out, size_t max);
/* Entries still valid at @now_us. */
size_t mg_ident_dns_count(const struct mg_ident *id, uint64_t now_us);

#endif

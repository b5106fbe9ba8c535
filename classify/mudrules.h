/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * MUD site rules (rules/mud, format in rules/README.md): which profile
 * a device without a MUD URL is bound to, and who the controllers are.
 *
 *   bind ATTR GLOB URL          ATTR: mac, vendor, class, model or type
 *   controller URI TARGET...    TARGET: address, prefix or DNS name
 *   my-controller MUD-URL TARGET...
 *
 * The first matching bind line wins. A bad line stops loading with FILE:LINE.
 */
#ifndef MG_MUDRULES_H
#define MG_MUDRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../capture/decode.h"

struct mg_mudrules;

/* Loads a file or a directory of *.rules files. Returns 0 or a negative code
 * with "FILE:LINE: ..." in @err. */
int mg_mudrules_load(struct mg_mudrules **out, const char *path, char *err, size_t errlen);
/* Same over @len bytes of @text, named @name. */
int mg_mudrules_load_mem(struct mg_mudrules **out, const char *name, const char *text,
			 size_t len, char *err, size_t errlen);
void mg_mudrules_free(struct mg_mudrules *r);

enum mg_mudrules_attr { MG_MUDRULE_VENDOR, MG_MUDRULE_CLASS, MG_MUDRULE_MODEL, MG_MUDRULE_TYPE,
			MG_MUDRULE__ATTRS };

/* The URL of the first bind rule that matches the device with @mac and
 * identity @attrs (entries may be NULL), with its "FILE:LINE" and the
 * "attr=value" it matched in *@where and *@what; NULL if none. */
const char *mg_mudrules_bind(const struct mg_mudrules *r, const uint8_t mac[6],
			     const char *const attrs[MG_MUDRULE__ATTRS], const char **where,
			     const char **what);

/* Is @a a controller of class @uri, or (with @uri NULL) the my-controller of
 * devices with MUD URL @my_url? A name target matches through @dns_has. */
bool mg_mudrules_controller(const struct mg_mudrules *r, const char *uri, const char *my_url,
			    const struct mg_addr *a,
			    bool (*dns_has)(void *user, const char *name, const struct mg_addr *a),
			    void *user);

size_t mg_mudrules_count(const struct mg_mudrules *r);

#endif

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * MAC address vendor lookup over the IEEE registries as Debian's ieee-data
 * ships them (oui.csv = MA-L/24 bit, mam.csv = MA-M/28 bit, oui36.csv = MA-S/36
 * bit). The longest registered prefix wins.
 */
#ifndef MG_OUI_H
#define MG_OUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MG_OUI_DEFAULT_DIR "/usr/share/ieee-data"

struct mg_oui;

/* Loads every registry CSV found in @dir (at least oui.csv must exist).
 * Returns 0 and sets *@out, or a negative errno with a message in @err. */
int mg_oui_load(struct mg_oui **out, const char *dir, char *err, size_t errlen);

/* Vendor name registered for @mac, or NULL. The string is owned by @o. */
const char *mg_oui_lookup(const struct mg_oui *o, const uint8_t mac[6]);

/* Number of prefixes loaded. */
size_t mg_oui_count(const struct mg_oui *o);

/* Frees @o; NULL is allowed. */
void mg_oui_free(struct mg_oui *o);

/* True for a locally administered address (the U/L bit): randomised or
 * assigned by software, so it names no vendor. */
static inline bool mg_mac_is_local(const uint8_t mac[6])
{
	return mac[0] & 0x02;
}

/* True for group (multicast/broadcast) addresses. */
static inline bool mg_mac_is_group(const uint8_t mac[6])
{
	return mac[0] & 0x01;
}

#endif

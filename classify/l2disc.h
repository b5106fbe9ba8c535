/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Link-layer discovery: LLDP (IEEE 802.1AB) and CDP (Cisco) announcements. */
#ifndef MG_L2DISC_H
#define MG_L2DISC_H

#include <stdint.h>

#include "dhcp.h" /* struct mg_view */

struct mg_l2disc {
	struct mg_view name;	   /* LLDP system name / CDP device ID */
	struct mg_view desc;	   /* LLDP system description / CDP software version */
	struct mg_view platform;   /* CDP platform */
	struct mg_view mud_url;	   /* LLDP IANA TLV subtype 1 (RFC 8520 section 4.3) */
};

/* Parses an LLDPDU (the payload after ethertype 0x88cc). Returns 0 or -EINVAL. */
int mg_lldp_parse(const uint8_t *b, uint32_t len, struct mg_l2disc *d);

/* Parses an 802.3 LLC/SNAP frame payload (after the length field) if it is CDP.
 * Returns 0, -ENOENT when not CDP, -EINVAL when malformed. */
int mg_cdp_parse(const uint8_t *b, uint32_t len, struct mg_l2disc *d);

#endif

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Decoder internals shared by decode.c (Ethernet, cooked, raw IP and below) and
 * link.c (802.11, radiotap, PPI, NFLOG, PPP, switch tags). */
#ifndef MG_DECODE_INT_H
#define MG_DECODE_INT_H

#include "decode.h"

/* A header cut short by the capture's snaplen is not malformed: stop quietly. */
#define SHORT(p, anom) ((p)->snapped ? MG_ANOM_NONE : (anom))

/* The bytes after a link header whose EtherType is @type. */
enum mg_anomaly mg_decode_ethertype(struct mg_pkt *p, uint16_t type, const uint8_t *b,
				    uint32_t len);
/* An Ethernet frame, with a switch tag of @tag_len bytes between the source MAC
 * and the EtherType (0 for plain Ethernet). */
enum mg_anomaly mg_decode_ethernet(struct mg_pkt *p, const uint8_t *b, uint32_t len,
				   uint32_t tag_len);
/* Raw IPv4 or IPv6, the version from the first nibble. */
enum mg_anomaly mg_decode_raw(struct mg_pkt *p, const uint8_t *b, uint32_t len);
/* The link types of link.c. */
enum mg_anomaly mg_decode_link(struct mg_pkt *p, enum mg_link link, const uint8_t *data,
			       uint32_t caplen, uint32_t wirelen);

#endif

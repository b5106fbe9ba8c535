/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Link-layer address learning from the network's own bookkeeping: DHCPv4
 * server replies (RFC 2131: who is a DHCP server, which address a client was
 * given) and IPv6 Neighbor Discovery (RFC 4861: routers that advertise a
 * default route, the addresses neighbour solicitations and advertisements
 * speak for). Parsing only, bounds-checked, no allocation, no state: the
 * caller (the sensor) applies what is learned to its device table. The
 * client side of DHCP (identification signals) is classify/extract.c's.
 */
#ifndef MG_L2LEARN_H
#define MG_L2LEARN_H

#include <stdbool.h>
#include <stdint.h>

#include "../capture/decode.h"
#include "device.h"

/* Who holds the learned address. */
enum mg_l2_owner {
	MG_L2_NOBODY, /* no address learned */
	MG_L2_SENDER, /* the frame's sender (its source MAC) */
	MG_L2_MAC,    /* the station with mac[]: made known even when has_addr is false */
};

struct mg_l2learn {
	uint8_t gateway;  /* enum mg_gw_reason the sender shows, 0: none */
	bool dhcp_server; /* the IP source sent a DHCP offer or ack */
	uint8_t owner;	  /* enum mg_l2_owner */
	uint8_t mac[6];	  /* the owner, for MG_L2_MAC */
	bool has_addr;	  /* false: no address (a group one, say); the owner is still seen */
	struct mg_addr addr;
	uint8_t how; /* enum mg_addr_src: MG_ASRC_DHCP or MG_ASRC_NDP */
};

/* What decoded packet @p says: a DHCP server reply (UDP 67 -> 68) or an
 * NDP message (ICMPv6 133-136). Fills @out (zeroed first); returns true if
 * anything was learned. Malformed messages teach nothing. */
bool mg_l2learn(const struct mg_pkt *p, struct mg_l2learn *out);

/* The two parsers mg_l2learn dispatches to. @b/@len: the UDP payload of a
 * DHCP message; the ICMPv6 message body after type, code and checksum, of
 * type @type, sent from @src_ip by the station @src_mac (NULL: unknown). */
bool mg_l2learn_dhcp(const uint8_t *b, uint32_t len, struct mg_l2learn *out);
bool mg_l2learn_ndp(uint8_t type, const uint8_t *b, uint32_t len, const struct mg_addr *src_ip,
		    const uint8_t *src_mac, struct mg_l2learn *out);

/* NDP options (RFC 4861 4.6: type, length in 8-byte units, value) from @o
 * (@len bytes): the link-layer address of the first option of type @want
 * (1 source, 2 target), or NULL (absent, or an option runs past the end or
 * has length 0 before it). */
const uint8_t *mg_ndp_lladdr(const uint8_t *o, uint32_t len, uint8_t want);

#endif

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DHCPv4 message parsing (RFC 2131/2132), bounds-checked, no allocation. */
#ifndef MG_DHCP_H
#define MG_DHCP_H

#include <stdbool.h>
#include <stdint.h>

enum {
	MG_DHCP_DISCOVER = 1,
	MG_DHCP_OFFER = 2,
	MG_DHCP_REQUEST = 3,
	MG_DHCP_DECLINE = 4,
	MG_DHCP_ACK = 5,
	MG_DHCP_NAK = 6,
	MG_DHCP_RELEASE = 7,
	MG_DHCP_INFORM = 8,
};

struct mg_dhcp {
	uint8_t op;       /* 1 request, 2 reply */
	uint8_t msg_type; /* option 53, 0 if absent (plain BOOTP) */
	uint8_t chaddr[6];
	uint8_t ciaddr[4], yiaddr[4];
	bool has_server_id;
	uint8_t server_id[4];
	bool has_requested_ip;
	uint8_t requested_ip[4];
};

/* Parses the UDP payload @b (@len bytes) of a DHCP message. Returns 0, or
 * -EINVAL if it is not a well-formed Ethernet DHCP message (bad magic,
 * hardware type, or an option running past the end). */
int mg_dhcp_parse(struct mg_dhcp *d, const uint8_t *b, uint32_t len);

#endif

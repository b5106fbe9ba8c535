/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: address learning from DHCP server replies and NDP
 * (classify/l2learn.c). First byte: 0, the rest is an Ethernet frame,
 * decoded and learned from as the sensor does; 1, a DHCP message (UDP
 * payload); 2, an NDP message: the next byte picks the ICMPv6 type (133 +
 * byte % 4), the next 6 are the sender's MAC, the rest the message body. */
#include <stddef.h>
#include <stdint.h>

#include "../../classify/l2learn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t sink; /* reads of what was learned land here */

static void use(const struct mg_l2learn *l)
{
	uint32_t s = l->gateway + l->dhcp_server + l->owner + l->has_addr + l->how;
	for (int i = 0; i < 6; i++)
		s += l->mac[i];
	for (int i = 0; i < 16; i++)
		s += l->addr.b[i];
	sink += s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_l2learn l;
	struct mg_pkt p;
	struct mg_addr src = {0};

	if (size < 1)
		return 0;
	const uint8_t *b = data + 1;
	uint32_t len = (uint32_t)(size - 1);
	switch (data[0] % 3) {
	case 0:
		mg_decode(&p, MG_LINK_ETHERNET, b, len, len, 0);
		if (mg_l2learn(&p, &l))
			use(&l);
		break;
	case 1:
		if (mg_l2learn_dhcp(b, len, &l))
			use(&l);
		break;
	default:
		if (len < 7)
			return 0;
		if (mg_l2learn_ndp((uint8_t)(133 + b[0] % 4), b + 7, len - 7, &src, b + 1, &l))
			use(&l);
	}
	return 0;
}

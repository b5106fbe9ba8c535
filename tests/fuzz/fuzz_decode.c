/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: the decoder over every link type. First byte picks the link
 * (0 Ethernet, then enum mg_link's order: ... 7 802.11, 8 radiotap, 9 PPI,
 * 10 NFLOG, 11 PPP, 12 PPP with direction, 13 PPPoE, 14-17 switch tags). */
#include <stddef.h>
#include <stdint.h>

#include "../../capture/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_pkt p;

	if (size < 1)
		return 0;
	enum mg_link link =
		(enum mg_link)(MG_LINK_ETHERNET + data[0] % (MG_LINK__END - MG_LINK_ETHERNET));
	mg_decode(&p, link, data + 1, (uint32_t)(size - 1), (uint32_t)(size - 1), 0);
	/* claim a larger wire length too: the snaplen paths */
	mg_decode(&p, link, data + 1, (uint32_t)(size - 1), (uint32_t)size + 100, 0);
	return 0;
}

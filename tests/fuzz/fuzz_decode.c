/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: the decoder over every link type. First byte picks the link. */
#include <stddef.h>
#include <stdint.h>

#include "../../capture/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_pkt p;

	if (size < 1)
		return 0;
	enum mg_link link = (enum mg_link)(MG_LINK_ETHERNET + data[0] % 7);
	mg_decode(&p, link, data + 1, (uint32_t)(size - 1), (uint32_t)(size - 1), 0);
	/* claim a larger wire length too: the snaplen paths */
	mg_decode(&p, link, data + 1, (uint32_t)(size - 1), (uint32_t)size + 100, 0);
	return 0;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: the DHCPv4 message parser. */
#include <stddef.h>
#include <stdint.h>

#include "../../classify/dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_dhcp d;
	mg_dhcp_parse(&d, data, (uint32_t)size);
	return 0;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: LLDP and CDP parsing. */
#include <stddef.h>
#include <stdint.h>

#include "../../classify/l2disc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t sink; /* reads of every view byte land here */

static uint32_t sum(struct mg_view v)
{
	uint32_t s = 0;
	for (uint32_t i = 0; i < v.len; i++)
		s += v.p[i];
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_l2disc d;

	if (mg_lldp_parse(data, (uint32_t)size, &d) == 0)
		sink += sum(d.name) + sum(d.desc) + sum(d.mud_url);
	if (mg_cdp_parse(data, (uint32_t)size, &d) == 0)
		sink += sum(d.name) + sum(d.desc) + sum(d.platform);
	return 0;
}

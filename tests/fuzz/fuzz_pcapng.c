/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: the pcapng reader (capture/pcapng.c) over a file in memory,
 * every packet it returns decoded as its interface's link type would be. */
#include <stdint.h>
#include <stdio.h>

#include "../../capture/decode.h"
#include "../../capture/pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_pcapng *r;
	struct mg_pcapng_pkt pk;
	struct mg_pkt p;
	char err[512];

	if (!size)
		return 0;
	FILE *f = fmemopen((void *)(uintptr_t)data, size, "rb");
	if (!f)
		return 0;
	if (mg_pcapng_open(&r, f, "fuzz.pcapng", err, sizeof(err)) == 0) {
		for (int n = 0; n < 100000 && mg_pcapng_next(r, &pk) == 1; n++)
			mg_decode(&p, (enum mg_link)(MG_LINK_ETHERNET +
						     pk.dlt % (MG_LINK__END - MG_LINK_ETHERNET)),
				  pk.data, pk.caplen, pk.wirelen, pk.ts_us);
		(void)mg_pcapng_errstr(r);
		mg_pcapng_free(r);
	}
	fclose(f);
	return 0;
}

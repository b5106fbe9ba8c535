/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: DNS/mDNS/NBNS message walking and name decompression. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../classify/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_rr(const struct mg_dns_rr *rr, void *user)
{
	size_t *n = user;
	char nb[64];
	*n += strlen(rr->name) + strlen(rr->target);
	for (uint16_t i = 0; i < rr->rdlen; i++) /* rdata must be in bounds */
		*n += rr->rdata[i];
	mg_netbios_name(rr->name, nb, sizeof(nb));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_dns_hdr h;
	size_t n = 0;
	char name[MG_DNS_NAME_MAX];
	uint32_t off = 0;

	mg_dns_parse(data, (uint32_t)size, &h, on_rr, &n);
	if (size)
		mg_dns_name(data, (uint32_t)size, &off, name, sizeof(name));
	return 0;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: the DHCPv4 and DHCPv6 message parsers (the first byte picks one). */
#include <stddef.h>
#include <stdint.h>

#include "../../classify/dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t sink; /* reads of every view byte land here */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_dhcp d;
	struct mg_dhcp6 d6;

	if (size && data[0] == 0xd6) { /* DHCPv6 after a one-byte selector */
		const uint8_t *msg = data + 1;
		uint32_t len = (uint32_t)(size - 1);
		uint8_t mac[6];
		if (mg_dhcp6_unwrap(msg, len, &msg, &len) == 0 && (msg < data + 1 || msg + len > data + size))
			__builtin_trap(); /* the inner message must lie inside the outer */
		if (mg_dhcp6_parse(&d6, msg, len) == 0) {
			if (mg_dhcp6_duid_mac(&d6, mac))
				sink += mac[5];
			for (uint32_t i = 0; i < d6.duid.len; i++) /* views must be in bounds */
				sink += d6.duid.p[i];
			for (uint32_t i = 0; i < d6.vendor.len; i++)
				sink += d6.vendor.p[i];
			for (uint32_t i = 0; i < d6.fqdn.len; i++)
				sink += d6.fqdn.p[i];
		}
		return 0;
	}
	if (mg_dhcp_parse(&d, data, (uint32_t)size) == 0) {
		const struct mg_view *v[] = {&d.host, &d.params, &d.vendor, &d.client_id, &d.fqdn,
					     &d.mud_url};
		for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++)
			for (uint32_t i = 0; i < v[k]->len; i++)
				sink += v[k]->p[i];
	}
	return 0;
}

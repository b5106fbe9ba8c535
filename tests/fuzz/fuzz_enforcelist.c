/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: the enforcer's lists from the configuration ([enforce] never,
 * dns, remediation: MACs, addresses, prefixes), then a quarantine checked
 * against them (dry-run backend: nothing touched). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../enforce/enforce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	char *s = malloc(size + 1);
	struct mg_enf *e;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	struct mg_enf_cfg cfg = {.mode = MG_ENF_ENFORCE, .backend = MG_ENF_DRYRUN, .never = s,
				 .dns = s, .remediation = s, .ttl_s = 60, .ttl_max_s = 60};
	if (mg_enf_new(&e, &cfg, err, sizeof(err)) == 0) {
		const uint8_t mac[6] = {2, 0, 0, 0, 0, 1}, v4[4] = {192, 168, 1, 10};
		struct mg_addr a;
		struct mg_enf_result r;
		mg_addr_set_v4(&a, v4);
		mg_enf_quarantine(e, mac, &a, 1, "fuzz", "", 1, 10, &r);
		mg_enf_free(e);
	}
	free(s);
	return 0;
}

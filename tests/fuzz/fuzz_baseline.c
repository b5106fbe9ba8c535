/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: the baseline file parser (the bytes as they are, and with a valid
 * checksum appended so that the parser behind the check is reached), then the
 * learned baselines in use; and the bytes as a DNS name for the registrable
 * domain and DGA scoring. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../classify/baseline.h"
#include "../../classify/dga.h"
#include "../../common/hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct mg_bl_cfg cfg = {.learning_s = 60, .interval_s = 10, .factor = 4,
				      .max_devices = 8};
	struct mg_baselines *t;
	char err[512], why[128];
	char *s = malloc(size + 40);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	mg_dga_score(s, why, sizeof(why));
	mg_dns_registrable(s);
	if (mg_baselines_new(&t, &cfg) < 0) {
		free(s);
		return 0;
	}
	mg_baselines_load_mem(t, "fuzz", (const char *)data, size, err, sizeof(err));
	int n = snprintf(s + size, 40, "checksum %016llx\n",
			 (unsigned long long)mg_fnv1a(MG_FNV_INIT, data, size));
	if (mg_baselines_load_mem(t, "fuzz", s, size + (size_t)n, err, sizeof(err)) == 0) {
		const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 1};
		struct mg_bl *b = mg_baselines_get(t, mac, 1ull << 50);
		struct mg_bl_rate r;
		struct mg_bl_info bi;
		uint32_t known;
		if (b) {
			for (int m = 0; m < MG_BL__METRICS; m++)
				mg_bl_add(b, t, (enum mg_bl_metric)m, 1000, 1ull << 50, &r);
			mg_bl_novel(b, MG_BL_ENDPOINT, 0x1234, 1ull << 50, true, &known);
			mg_bl_info(b, &bi);
			mg_baselines_put(b);
		}
	}
	mg_baselines_free(t);
	free(s);
	return 0;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: fingerprint model files (corrupt, truncated), then classifying. */
#include <stddef.h>
#include <stdint.h>

#include "../../classify/fpmodel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_fpmodel *m;
	char err[512];

	if (mg_fpmodel_load_mem(&m, "fuzz.model", data, size, err, sizeof(err)) < 0)
		return 0;
	uint64_t tok[MG_FP_TOKENS_PER_SIGNAL * 2];
	size_t n = mg_fp_tokens(MG_SIG_DHCP_HOSTNAME, "ESP_0A1B2C", tok);
	n += mg_fp_tokens(MG_SIG_OUI_VENDOR, "Espressif Inc.", tok + n);
	struct mg_fp_result r;
	mg_fpmodel_classify(m, tok, n, 1000000, &r);
	mg_fpmodel_classify(m, tok, n, UINT64_MAX, &r);
	mg_fpmodel_free(m);
	return 0;
}

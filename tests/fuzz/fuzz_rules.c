/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: identification rules files, then matching against them. */
#include <stddef.h>
#include <stdint.h>

#include "../../classify/ident.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_rules *r;
	char err[512];

	if (mg_rules_load_mem(&r, "fuzz.rules", (const char *)data, size, err, sizeof(err)) < 0)
		return 0;
	struct mg_ident_cfg cfg = {r, NULL, 64, 0.15, 0.3, 0.1};
	struct mg_ident *id = mg_ident_new(&cfg);
	if (id) {
		for (int s = 0; s < MG_SIG__COUNT; s++)
			mg_ident_add(id, (enum mg_signal)s, "HS110(EU)", 1);
		mg_ident_add(id, MG_SIG_MDNS_TXT, "md=Chromecast Ultra", 2);
		mg_ident_update(id, 5);
		struct mg_ident_use use[8];
		mg_ident_used(id, use, 8);
		mg_ident_free(id);
	}
	mg_rules_free(r);
	return 0;
}

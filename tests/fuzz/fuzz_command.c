/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: what a sensor or an enforcer reads from Redis and acts on. The
 * first byte chooses: even, a published verdict's JSON (mg_qev_apply_verdict);
 * odd, a command entry whose fields and values are the newline-separated
 * rest (mg_command_from_fields, mg_qev_command). A dry-run enforcer in
 * enforce mode, so every path acts; events go to /dev/null. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/quarantine_ev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mg_events *ev;
	char err[512];
	struct mg_enf *e;

	if (!size)
		return 0;
	if (!ev && mg_events_open(&ev, "/dev/null", err, sizeof(err)) < 0)
		return 0;
	struct mg_enf_cfg cfg = {.mode = MG_ENF_ENFORCE, .backend = MG_ENF_DRYRUN, .ttl_s = 60,
				 .ttl_max_s = 600, .per_minute = 10, .max_percent = 50};
	if (mg_enf_new(&e, &cfg, err, sizeof(err)) < 0)
		return 0;
	char *s = malloc(size);
	if (!s) {
		mg_enf_free(e);
		return 0;
	}
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	if (!(data[0] & 1)) {
		mg_qev_apply_verdict(ev, 1000000, e, s, 10);
		mg_qev_apply_verdict(ev, 2000000, e, s, 10); /* idempotent: a second read */
	} else {
		const char *f[8], *v[8];
		unsigned nf = 0;
		char *p = s;
		while (nf < 8 && p) {
			f[nf] = p;
			char *nl = strchr(p, '\n');
			if (!nl)
				break;
			*nl = 0;
			v[nf++] = nl + 1;
			if ((p = strchr(nl + 1, '\n')))
				*p++ = 0;
		}
		struct mg_command c;
		mg_command_from_fields(&c, "1-0", nf, f, v);
		mg_qev_command(ev, 1000000, e, &c, "fuzz");
		mg_qev_command(ev, 2000000, e, &c, "fuzz");
	}
	free(s);
	mg_enf_free(e);
	return 0;
}

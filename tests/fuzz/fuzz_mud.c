/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: the MUD file reader (JSON walk, draft spellings, error locator). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../classify/mud.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(enum mg_mud_severity sev, const char *msg, void *user)
{
	size_t *n = user;
	*n += strlen(msg) + (size_t)sev;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_mud *m;
	size_t n = 0;
	if (mg_mud_parse(&m, "fuzz.json", (const char *)data, size, sink, &n) == 0) {
		for (size_t i = 0; i < m->n_from; i++)
			mg_mud_acl_find(m, m->from_acl[i]);
		mg_mud_free(m);
	}
	return 0;
}

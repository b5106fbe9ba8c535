/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: the configuration parser (inih + our key table). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_config c;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	mg_config_defaults(&c);
	mg_config_load_string(&c, "fuzz.conf", text, NULL, NULL);
	free(text);
	return 0;
}

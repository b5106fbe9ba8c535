/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: the Redis URL of the configuration ([redis] url, --redis). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../events/redis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	mg_redis_url_check(s, err, sizeof(err));
	free(s);
	return 0;
}

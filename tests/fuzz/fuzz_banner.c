/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: HTTP/SSDP header lookup and banner version extraction. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../classify/banner.h"
#include "../../classify/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_version(const char *product, const char *version, void *user)
{
	size_t *n = user;
	*n += strlen(product) + strlen(version);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"SERVER", "USER-AGENT", "NT", "USN", "LOCATION"};
	char v[512];
	size_t n = 0;

	mg_http_kind(data, (uint32_t)size);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (mg_http_header(data, (uint32_t)size, names[i], v, sizeof(v)) >= 0)
			mg_banner_versions(v, on_version, &n);
	char all[2048];
	mg_text_clean(data, size, all, sizeof(all), (int)(size & 1));
	mg_banner_versions(all, on_version, &n);
	return 0;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool mg_addr_is_v4(const struct mg_addr *a)
{
	return memcmp(a->b, v4_mapped_prefix, 12) == 0;
}

void mg_addr_set_v4(struct mg_addr *a, const uint8_t *v4)
{
	memcpy(a->b, v4_mapped_prefix, 12);
	memcpy(a->b + 12, v4, 4);
}

void mg_addr_set_v6(struct mg_addr *a, const uint8_t *v6)
{
	memcpy(a->b, v6, 16);
}

char *mg_addr_str(const struct mg_addr *a, char *buf, size_t len)
{
	if (mg_addr_is_v4(a))
		inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
	return buf;
}

int mg_addr_parse(struct mg_addr *a, const char *s)
{
	uint8_t tmp[16];

	if (inet_pton(AF_INET, s, tmp) == 1) {
		mg_addr_set_v4(a, tmp);
		return 0;
	}
	if (inet_pton(AF_INET6, s, tmp) == 1) {
		mg_addr_set_v6(a, tmp);
		return 0;
	}
	return -EINVAL;
}

int mg_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char extra;
	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &extra) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -EINVAL;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

char *mg_mac_str(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
	return buf;
}

int mg_prefix_parse(const char *s, struct mg_addr *a, long *len)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (mg_addr_parse(a, buf) < 0)
		return -EINVAL;
	*len = -1;
	if (slash) {
		char *end;
		*len = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || *len < 0)
			*len = -2;
	}
	return 0;
}

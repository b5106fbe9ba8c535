/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: the MUD file reader (JSON walk, draft spellings, error locator),
 * then the matcher on a few flows and the writer on what was read. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../classify/mud.h"
#include "../../classify/mudmatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(enum mg_mud_severity sev, const char *msg, void *user)
{
	size_t *n = user;
	*n += strlen(msg) + (size_t)sev;
}

static size_t names(void *user, const struct mg_addr *a, const char **out, size_t max)
{
	(void)user;
	if (!(a->b[15] & 1) || max < 1)
		return 0;
	out[0] = "api.vendor.example";
	return 1;
}

static bool local(void *user, const struct mg_addr *a)
{
	(void)user;
	return a->b[12] == 192;
}

static const char *peer(void *user)
{
	(void)user;
	return "https://vendor.example/p.json";
}

static bool ctl(void *user, const char *uri, const struct mg_addr *a)
{
	(void)user;
	return !uri || a->b[15] == 53;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_mud *m;
	size_t n = 0;
	if (mg_mud_parse(&m, "fuzz.json", (const char *)data, size, sink, &n) != 0)
		return 0;
	struct mg_mud_env env = {names, local, peer, ctl, NULL, m->url};
	static const char *const peers[] = {"192.168.1.53", "203.0.113.7", "2001:db8::1"};
	for (int i = 0; i < 6; i++) {
		struct mg_mud_flow f = {.from_device = i & 1, .proto = (uint8_t)(i < 2 ? 6 : i < 4 ? 17 : 1),
					.dev_port = 40000, .peer_port = (uint16_t)(i * 100 + 23),
					.icmp_type = i >= 4 ? 8 : -1, .icmp_code = -1};
		mg_addr_parse(&f.dev, i == 5 ? "fd00::2" : "192.168.1.2");
		mg_addr_parse(&f.peer, peers[i % 3]);
		f.ethertype = i == 5 ? 0x86dd : 0x0800;
		struct mg_mud_verdict v;
		mg_mud_check(m, &env, &f, &v);
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (out) {
		mg_mud_write(out, m);
		fclose(out);
	}
	free(buf);
	mg_mud_free(m);
	return 0;
}

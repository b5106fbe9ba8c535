/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: MUD site rules (bind, controller, my-controller), then binding
 * and controller lookups; and the bytes as a MUD URL (they come from DHCP and
 * LLDP). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../classify/mudmatch.h"
#include "../../classify/mudrules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_mudrules *r;
	char err[512], why[160], auth[256];
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (mg_mud_url_valid(s, why, sizeof(why)))
		mg_mud_url_authority(s, auth, sizeof(auth));
	free(s);
	if (mg_mudrules_load_mem(&r, "fuzz.rules", (const char *)data, size, err, sizeof(err)) < 0)
		return 0;
	const uint8_t mac[6] = {0x00, 0x17, 0x88, 1, 2, 3};
	const char *attrs[4] = {"Philips", "lighting", "Hue", "HueBridge"};
	const char *where, *what;
	mg_mudrules_bind(r, mac, attrs, &where, &what);
	struct mg_addr a;
	mg_addr_parse(&a, "192.168.1.1");
	mg_mudrules_controller(r, "urn:ietf:params:mud:dns", "https://a.example/x", &a, NULL, NULL);
	mg_mudrules_controller(r, NULL, "https://a.example/x", &a, NULL, NULL);
	mg_mudrules_free(r);
	return 0;
}

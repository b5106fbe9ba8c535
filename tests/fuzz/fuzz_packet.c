/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer: the whole sensor pipeline (decoder, DHCP/NDP/ARP learning, flow
 * table, nDPI, device table, events). The input is a sequence of frames, each
 * a 2-byte big-endian length then the bytes, Ethernet until a length of
 * 0xffNN, which switches to link type NN (enum mg_link, modulo their number:
 * 0 Ethernet, 7 802.11, 8 radiotap, 10 NFLOG, ...); time advances one second
 * per frame. One sensor lives for the whole run (nDPI's set-up is too
 * slow to repeat per input), so state carries across inputs as it does live.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../src/config.h"
#include "../../src/sensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mg_sensor *sensor;
static struct mg_events *events;
static uint64_t now = 1700000000ull * 1000000u;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!sensor) {
		struct mg_config c;
		char err[512];
		mg_config_defaults(&c);
		c.flows = 1;
		c.flows_max = 1024;
		c.devices_max = 64;
		c.oui_dir[0] = 0; /* no vendor registry: nothing read from disk per run */
		if (mg_events_open(&events, "/dev/null", err, sizeof(err)) < 0 ||
		    mg_sensor_new(&sensor, &c, events, err, sizeof(err)) < 0) {
			fprintf(stderr, "fuzz_packet: %s\n", err);
			abort();
		}
	}
	size_t i = 0;
	enum mg_link link = MG_LINK_ETHERNET;
	while (i + 2 <= size) {
		size_t len = (size_t)data[i] << 8 | data[i + 1];
		i += 2;
		if (len >= 0xff00) {
			link = (enum mg_link)(MG_LINK_ETHERNET +
					      (len & 0xff) % (MG_LINK__END - MG_LINK_ETHERNET));
			continue;
		}
		if (len > size - i)
			len = size - i;
		now += 1000000u;
		mg_sensor_packet(sensor, link, data + i, (uint32_t)len,
				 (uint32_t)len, now);
		i += len;
	}
	return 0;
}

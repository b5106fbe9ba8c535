/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mudguard-readloop: reads pcap files and does nothing with the packets but
 * count them. The floor against which the benchmark measures the sensor.
 */
#include <stdio.h>

#include "../capture/source.h"

int main(int argc, char **argv)
{
	unsigned long long pkts = 0, bytes = 0;
	char err[1024];

	for (int i = 1; i < argc; i++) {
		struct mg_source *s;
		const uint8_t *data;
		uint32_t caplen, wirelen;
		uint64_t ts;
		if (mg_source_open_file(&s, argv[i], NULL, err, sizeof(err)) < 0) {
			fprintf(stderr, "mudguard-readloop: %s\n", err);
			return 1;
		}
		while (mg_source_next(s, &data, &caplen, &wirelen, &ts) == MG_SRC_PACKET) {
			pkts++;
			bytes += wirelen;
		}
		mg_source_free(s);
	}
	printf("%llu packets, %llu bytes\n", pkts, bytes);
	return 0;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mudguard-bench-redis URL N: pushes N events (a 360-byte `flow` line each)
 * through the journal's writer as fast as it takes them and prints
 *   events N SECONDS EVENTS_PER_S SENT DROPPED
 * timed from the first push until the writer has drained everything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../events/redis.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: mudguard-bench-redis URL N\n");
		return 2;
	}
	unsigned n = (unsigned)strtoul(argv[2], NULL, 10);
	struct mg_redis_cfg cfg = {argv[1], MG_REDIS_EVENTS, 10000000, "/tmp/mudguard-bench.spool",
				   10000000, n + 1, 2592000, NULL, NULL};
	struct mg_redis *r;
	struct mg_redis_stats st;
	char err[256], line[512], id[64];

	if (mg_redis_open(&r, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	double t0 = now_s();
	for (unsigned i = 1; i <= n; i++) {
		int len = snprintf(line, sizeof(line),
				   "{\"timestamp\":\"2025-01-01T12:00:00.%06uZ\",\"event_type\":\"flow\","
				   "\"flow_id\":%u,\"src_mac\":\"44:19:b6:10:00:95\",\"dest_mac\":"
				   "\"50:c7:bf:00:00:01\",\"src_ip\":\"192.168.1.10\",\"src_port\":%u,"
				   "\"dest_ip\":\"198.18.1.10\",\"dest_port\":443,\"proto\":\"TCP\","
				   "\"app_proto\":\"TLS\",\"flow\":{\"pkts_toserver\":9,\"pkts_toclient\":7,"
				   "\"bytes_toserver\":1210,\"bytes_toclient\":4410,\"reason\":\"closed\"},"
				   "\"event_id\":\"bench:%u\"}",
				   i % 1000000, i, 40000 + i % 20000, i);
		snprintf(id, sizeof(id), "bench:%u", i);
		mg_redis_push(r, MG_REDIS_RUN "bench", i, id, "flow", "44:19:b6:10:00:95", line,
			      (size_t)len, 0);
	}
	mg_redis_close(r, 60000, &st);
	double t = now_s() - t0;
	printf("events %u %.3f %.0f %llu %llu\n", n, t, n / t, (unsigned long long)st.sent,
	       (unsigned long long)(st.queue_dropped + st.spool_dropped));
	return st.sent == n ? 0 : 1;
}

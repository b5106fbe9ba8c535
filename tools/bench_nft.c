/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mudguard-bench-nft: how fast a quarantine verdict becomes an active
 * element (the kernel's ACK read), run inside a network namespace by
 * tools/bench_enforce.sh. Prints, one per line:
 *   single N P50_US P99_US MAX_US     N quarantines, one transaction each
 *                                     (MAC and IPv4 address, through the enforcer)
 *   batch N MS                        N elements in one transaction
 *   cli N P50_US P99_US               one `nft add element` process per change
 * With --check-errors it checks instead that a failing element of a shared
 * message is named as its own request (the enforce test suite runs it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../enforce/enforce.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t pct(uint64_t *v, size_t n, unsigned p)
{
	return v[(n - 1) * p / 100];
}

static void mac_of(unsigned i, uint8_t mac[6], unsigned base)
{
	mac[0] = 0x02;
	mac[1] = (uint8_t)base;
	mac[2] = 0;
	mac[3] = (uint8_t)(i >> 16);
	mac[4] = (uint8_t)(i >> 8);
	mac[5] = (uint8_t)i;
}

/* A batch with a failing request in the middle of a shared message: the
 * error must name that request, the others must read "not applied". */
static int check_errors(void)
{
	struct mg_nft_cfg cfg = {MG_NFT_BRIDGE, "mudguard", -300};
	struct mg_nft_policy pol = {0};
	struct mg_nft *n;
	char err[512];
	uint8_t mac[6];

	if (mg_nft_open(&n, &cfg, err, sizeof(err)) < 0 || mg_nft_setup(n, &pol, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (unsigned i = 0; i < 5; i++) {
		mac_of(i, mac, 9);
		mg_nft_add_mac(n, mac, 60000, "check");
	}
	if (mg_nft_commit(n, err, sizeof(err)) < 0)
		return 1;
	for (unsigned i = 0; i < 5; i++) {
		mac_of(i == 2 ? 77 : i, mac, 9); /* the third was never added */
		mg_nft_del_mac(n, mac);
	}
	int rc = mg_nft_commit(n, err, sizeof(err));
	printf("commit %d: %s\n", rc, err);
	for (int i = 0; i < 5; i++)
		printf("request %d: %d\n", i, mg_nft_error(n, i));
	int ok = rc == -ENOENT && mg_nft_error(n, 2) == -ENOENT && mg_nft_error(n, 0) == -ECANCELED &&
		 mg_nft_error(n, 4) == -ECANCELED && strstr(err, "request 2 (delete from quarantine_mac");
	mg_nft_teardown(n, err, sizeof(err));
	mg_nft_close(n);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--check-errors"))
		return check_errors();
	unsigned single = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
	unsigned batch = argc > 2 ? (unsigned)atoi(argv[2]) : 10000;
	unsigned cli = argc > 3 ? (unsigned)atoi(argv[3]) : 200;
	struct mg_enf_cfg cfg = {
		.mode = MG_ENF_ENFORCE,
		.backend = MG_ENF_NFT,
		.nft = {MG_NFT_BRIDGE, "mudguard", -300},
		.ttl_s = 3600,
		.ttl_max_s = 3600,
	};
	struct mg_enf *e;
	char err[512];
	uint64_t *t = calloc(single > cli ? single : cli, sizeof(*t));

	if (!t || mg_enf_new(&e, &cfg, err, sizeof(err)) < 0 ||
	    mg_enf_start(e, 0, NULL, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguard-bench-nft: %s\n", err);
		return 1;
	}
	for (unsigned i = 0; i < single; i++) {
		uint8_t mac[6], v4[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
		struct mg_addr a;
		struct mg_enf_result r;
		mac_of(i, mac, 1);
		mg_addr_set_v4(&a, v4);
		uint64_t t0 = now_ns();
		mg_enf_quarantine(e, mac, &a, 1, "bench", "", 0, 0, &r);
		t[i] = now_ns() - t0;
		if (r.outcome != MG_ENF_APPLIED) {
			fprintf(stderr, "mudguard-bench-nft: quarantine %u: %s %s\n", i,
				mg_enf_outcome_name(r.outcome), r.why);
			return 1;
		}
	}
	qsort(t, single, sizeof(*t), cmp);
	printf("single %u %.1f %.1f %.1f\n", single, pct(t, single, 50) / 1e3, pct(t, single, 99) / 1e3,
	       t[single - 1] / 1e3);

	struct mg_nft *n;
	if (mg_nft_open(&n, &cfg.nft, err, sizeof(err)) < 0)
		return 1;
	uint64_t t0 = now_ns();
	for (unsigned i = 0; i < batch; i++) {
		uint8_t mac[6];
		mac_of(i, mac, 2);
		if (mg_nft_add_mac(n, mac, 3600000, "mudguard: bench") < 0)
			return 1;
	}
	uint64_t built = now_ns();
	if (mg_nft_commit(n, err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguard-bench-nft: batch: %s\n", err);
		return 1;
	}
	uint64_t t1 = now_ns();
	printf("batch %u %.2f %.2f\n", batch, (t1 - t0) / 1e6, (built - t0) / 1e6);
	mg_nft_close(n);

	for (unsigned i = 0; i < cli; i++) {
		char elem[96];
		snprintf(elem, sizeof(elem), "{ 02:03:00:00:%02x:%02x timeout 1h comment \"bench\" }",
			 (i >> 8) & 0xff, i & 0xff);
		uint64_t c0 = now_ns();
		pid_t pid = fork();
		if (pid == 0) {
			execlp("nft", "nft", "add", "element", "bridge", "mudguard", "quarantine_mac", elem,
			       (char *)NULL);
			_exit(127);
		}
		int st;
		waitpid(pid, &st, 0);
		t[i] = now_ns() - c0;
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "mudguard-bench-nft: nft failed\n");
			return 1;
		}
	}
	qsort(t, cli, sizeof(*t), cmp);
	printf("cli %u %.1f %.1f\n", cli, pct(t, cli, 50) / 1e3, pct(t, cli, 99) / 1e3);
	mg_enf_free(e);
	free(t);
	return 0;
}

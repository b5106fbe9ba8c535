/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Baselines (learning, thresholds, novelty, the file format and its errors),
 * DGA scoring and the verdict combiner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../capture/decode.h"
#include "../../classify/baseline.h"
#include "../../classify/dga.h"
#include "../../common/hash.h"
#include "../../classify/verdict.h"

#define S 1000000ull
static const uint8_t MAC[6] = {0x02, 0, 0, 0, 0, 1};
static const struct mg_bl_cfg CFG = {.learning_s = 3600, .interval_s = 10, .factor = 4,
				     .max_devices = 16};

/* @per_interval new flows in every 10 s interval from @from for @secs seconds. */
static void flows(struct mg_bl *b, struct mg_baselines *t, uint64_t from, unsigned secs,
		  unsigned per_interval, bool *found)
{
	struct mg_bl_rate r;
	for (uint64_t s = 0; s < secs; s += 10)
		for (unsigned i = 0; i < per_interval; i++)
			*found |= mg_bl_add(b, t, MG_BL_FLOWS, 1, from + s * S + i, &r);
}

static void test_learning_and_threshold(void **state)
{
	(void)state;
	struct mg_baselines *t;
	struct mg_bl_rate r;
	bool found = false;

	assert_int_equal(mg_baselines_new(&t, &CFG), 0);
	struct mg_bl *b = mg_baselines_get(t, MAC, 0);
	assert_non_null(b);
	assert_true(mg_bl_learning(b, 0));
	/* an hour of 20..31 flows per interval (bucket 5: high 31), and one burst
	 * of 400 while learning, which counts as normal */
	flows(b, t, 0, 3590, 20, &found);
	flows(b, t, 3590 * S, 10, 400, &found);
	assert_false(found);
	assert_false(mg_bl_learning(b, 3600 * S));
	/* after learning: 4 x 511 = 2044 is the threshold, not crossed at 2044 */
	flows(b, t, 4000 * S, 10, 2044, &found);
	assert_false(found);
	assert_int_equal(mg_bl_high(b, MG_BL_FLOWS), 511);
	uint64_t at = 4100 * S;
	for (unsigned i = 0; i < 2044; i++)
		assert_false(mg_bl_add(b, t, MG_BL_FLOWS, 1, at + i, &r));
	assert_true(mg_bl_add(b, t, MG_BL_FLOWS, 1, at + 2044, &r));
	assert_int_equal(r.metric, MG_BL_FLOWS);
	assert_int_equal(r.count, 2045);
	assert_int_equal(r.high, 511);
	assert_int_equal(r.threshold, 2044);
	/* once per interval */
	assert_false(mg_bl_add(b, t, MG_BL_FLOWS, 1, at + 2045, &r));
	/* a metric never seen has its floor: 12 NXDOMAIN answers are fine, 13 not */
	at = 4200 * S;
	for (unsigned i = 0; i < 12; i++)
		assert_false(mg_bl_add(b, t, MG_BL_NXDOMAIN, 1, at + i, &r));
	assert_true(mg_bl_add(b, t, MG_BL_NXDOMAIN, 1, at + 12, &r));
	assert_int_equal(r.high, 0);
	mg_baselines_put(b);
	mg_baselines_free(t);
}

/* Time away does not count towards learning: a device seen for ten minutes,
 * then again two days later (a second capture, a device switched back on),
 * is still learning, for the fifty minutes it has left. */
static void test_learning_while_there(void **state)
{
	(void)state;
	struct mg_baselines *t;
	bool found = false;

	assert_int_equal(mg_baselines_new(&t, &CFG), 0);
	struct mg_bl *b = mg_baselines_get(t, MAC, 0);
	flows(b, t, 0, 600, 2, &found);
	uint64_t back = 2 * 86400 * S;
	flows(b, t, back, 10, 2, &found);
	/* it had learnt 590 s when it left: 3010 s are left from its return */
	assert_true(mg_bl_learning(b, back + 3000 * S));
	assert_false(mg_bl_learning(b, back + 3020 * S));
	/* a device whose learning had ended stays done however long it is away */
	struct mg_bl *c = mg_baselines_get(t, (const uint8_t[6]){2, 0, 0, 0, 0, 2}, 0);
	flows(c, t, 0, 3700, 2, &found);
	assert_false(mg_bl_learning(c, 3700 * S));
	flows(c, t, back, 10, 2, &found);
	assert_false(mg_bl_learning(c, back + 10 * S));
	assert_false(found);
	mg_baselines_put(b);
	mg_baselines_put(c);
	mg_baselines_free(t);
}

static void test_distinct(void **state)
{
	(void)state;
	struct mg_baselines *t;
	struct mg_bl_rate r;
	bool hit = false;
	unsigned n;

	assert_int_equal(mg_baselines_new(&t, &CFG), 0);
	struct mg_bl *b = mg_baselines_get(t, MAC, 0);
	mg_baselines_complete(t, 0);
	/* the floor is 50 destinations: the same one again never counts */
	for (n = 0; n < 200 && !hit; n++)
		hit = mg_bl_add(b, t, MG_BL_DESTS, mg_fnv1a(MG_FNV_INIT, &n, sizeof(n)), S + n, &r);
	assert_true(hit);
	assert_in_range(n, 45, 60); /* linear counting is an estimate */
	for (unsigned i = 0; i < 1000; i++)
		assert_false(mg_bl_add(b, t, MG_BL_PORTS, 77, 20 * S + i, &r));
	mg_baselines_free(t);
}

static void test_novelty(void **state)
{
	(void)state;
	struct mg_baselines *t;
	uint32_t known;

	assert_int_equal(mg_baselines_new(&t, &CFG), 0);
	struct mg_bl *b = mg_baselines_get(t, MAC, 0);
	assert_int_equal(mg_bl_novel(b, MG_BL_SERVICE, 0x1111, S, true, &known), 0);
	assert_int_equal(mg_bl_novel(b, MG_BL_SERVICE, 0x2222, S, true, &known), 0);
	assert_int_equal(known, 1);
	/* while learning, only what may be learned is */
	assert_int_equal(mg_bl_novel(b, MG_BL_SERVICE, 0x4444, S, false, &known), 0);
	assert_int_equal(mg_bl_novel(b, MG_BL_SERVICE, 0x5555, S, true, &known), 0);
	assert_int_equal(known, 2);
	uint64_t after = 3601 * S;
	assert_int_equal(mg_bl_novel(b, MG_BL_SERVICE, 0x1111, after, true, &known), 0);
	assert_int_equal(mg_bl_novel(b, MG_BL_SERVICE, 0x4444, after, false, &known), 1);
	assert_int_equal(mg_bl_novel(b, MG_BL_SERVICE, 0x3333, after, false, &known), 1);
	assert_int_equal(known, 3);
	/* not learned: still new */
	assert_int_equal(mg_bl_novel(b, MG_BL_SERVICE, 0x3333, after, true, &known), 1);
	/* learned now: news once, not for ever */
	assert_int_equal(mg_bl_novel(b, MG_BL_SERVICE, 0x3333, after, true, &known), 0);
	assert_int_equal(known, 4);
	/* sets are apart */
	assert_int_equal(mg_bl_novel(b, MG_BL_ENDPOINT, 0x1111, after, true, &known), 1);
	mg_baselines_free(t);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = calloc(1, 1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

/* @body with a correct checksum line. */
static char *with_checksum(const char *body)
{
	char *s = malloc(strlen(body) + 64);
	sprintf(s, "%schecksum %016llx\n", body,
		(unsigned long long)mg_fnv1a(MG_FNV_INIT, body, strlen(body)));
	return s;
}

static int load_text(struct mg_baselines *t, const char *text, char *err)
{
	return mg_baselines_load_mem(t, "b.txt", text, strlen(text), err, 256);
}

static void test_file(void **state)
{
	(void)state;
	struct mg_baselines *t, *u;
	char path[] = "/tmp/mg-baseline-XXXXXX", err[256];
	uint32_t known;
	bool found = false;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);

	assert_int_equal(mg_baselines_new(&t, &CFG), 0);
	struct mg_bl *b = mg_baselines_get(t, MAC, 0);
	flows(b, t, 0, 600, 9, &found);
	mg_bl_novel(b, MG_BL_ENDPOINT, 0xabcdef, S, true, &known);
	mg_bl_novel(b, MG_BL_PROTOCOL, 0x42, S, true, &known);
	assert_int_equal(mg_baselines_save(t, path, err, sizeof(err)), 0);

	assert_int_equal(mg_baselines_new(&u, &CFG), 0);
	assert_int_equal(mg_baselines_load(u, path, err, sizeof(err)), 0);
	assert_int_equal(mg_baselines_count(u), 1);
	struct mg_bl *c = mg_baselines_get(u, MAC, 7200 * S);
	struct mg_bl_info x, y;
	mg_bl_info(b, &x);
	mg_bl_info(c, &y);
	assert_memory_equal(&x, &y, sizeof(x));
	/* what was learned is known after the restart; the learning period too */
	assert_true(mg_bl_learning(c, 3599 * S));
	assert_int_equal(mg_bl_novel(c, MG_BL_ENDPOINT, 0xabcdef, 7200 * S, true, &known), 0);
	/* loading again replaces, never duplicates */
	assert_int_equal(mg_baselines_load(u, path, err, sizeof(err)), 0);
	assert_int_equal(mg_baselines_count(u), 1);
	mg_baselines_free(u);

	/* damaged: one byte changed, or cut short */
	size_t len;
	char *text = slurp(path, &len);
	assert_int_equal(mg_baselines_new(&u, &CFG), 0);
	text[40] ^= 1;
	assert_int_equal(mg_baselines_load_mem(u, "b.txt", text, len, err, sizeof(err)), -22);
	assert_non_null(strstr(err, "checksum mismatch"));
	text[40] ^= 1;
	assert_int_equal(mg_baselines_load_mem(u, "b.txt", text, len / 2, err, sizeof(err)), -22);
	assert_non_null(strstr(err, "no checksum line"));
	assert_int_equal(mg_baselines_load_mem(u, "b.txt", text, len, err, sizeof(err)), 0);
	free(text);
	mg_baselines_free(u);
	mg_baselines_free(t);
	unlink(path);
}

static void test_file_errors(void **state)
{
	(void)state;
	static const struct {
		const char *body, *want;
	} cases[] = {
		{"mudguard-baseline 2\ninterval 10\n", "b.txt:1: baseline format version 2"},
		{"mudguard-baseline 1\ninterval 30\n", "b.txt:2: learned with a 30 s interval"},
		{"hello\n", "b.txt:1: not a mudguard baseline file"},
		{"mudguard-baseline 1\ninterval 10\ndevice 02:00:00:00:00:01 first 1 learn-end 2 "
		 "last 3 intervals 4\nrate packets 99:1\nend\n", "b.txt:4: bucket 0..39"},
		{"mudguard-baseline 1\ninterval 10\ndevice 02:00:00:00:00:01 first 1 learn-end 2 "
		 "last 3 intervals 4\nset services 12\nend\n", "b.txt:4: expected a 16-digit hex"},
		{"mudguard-baseline 1\ninterval 10\ndevice 02:00:00:00:00:01 first 1 learn-end 2 "
		 "last 3 intervals 4\nend\ndevice 02:00:00:00:00:01 first 1 learn-end 2 last 3 "
		 "intervals 4\nend\n", "b.txt:5: device 02:00:00:00:00:01 appears twice"},
		{"mudguard-baseline 1\ninterval 10\ndevice 02:00:00:00:00:01 first 1 learn-end 2 "
		 "last 3 intervals 4\n", "b.txt:3: the last device has no \"end\""},
		{"mudguard-baseline 1\ninterval 10\nrate packets 1:1\n", "b.txt:3: \"rate\" outside"},
		{"mudguard-baseline 1\ninterval 10\ndevice zz first 1 learn-end 2 last 3 intervals 4\n",
		 "b.txt:3: expected: device MAC"},
	};
	struct mg_baselines *t;
	char err[256];

	assert_int_equal(mg_baselines_new(&t, &CFG), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = with_checksum(cases[i].body);
		err[0] = 0;
		assert_int_equal(load_text(t, text, err), -22);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].want);
		assert_int_equal(mg_baselines_count(t), 0); /* nothing loaded */
		free(text);
	}
	mg_baselines_free(t);
}

static void test_dga(void **state)
{
	(void)state;
	assert_string_equal(mg_dns_registrable("a.b.example.co.uk"), "example.co.uk");
	assert_string_equal(mg_dns_registrable("www.site042.example"), "site042.example");
	assert_string_equal(mg_dns_registrable("api.hik-connect.example."), "hik-connect.example.");
	assert_string_equal(mg_dns_registrable("localhost"), "localhost");
	assert_string_equal(mg_dns_registrable("co.uk"), "co.uk");
	char why[128];
	assert_true(mg_dga_score("xj4kq9zt7w.top", why, sizeof(why)) >= 0.6);
	assert_non_null(strstr(why, "digits"));
	assert_true(mg_dga_score("hkd7gdlqhk67t6.top", NULL, 0) >= 0.6);
	/* ordinary names, including consonant-heavy brands and CDN hashes under
	 * an ordinary registrable name */
	static const char *const benign[] = {
		"devs.tplinkcloud.com", "api.hik-connect.com", "ws.meethue.com",
		"d1x2y3z4abcdef.cloudfront.net", "googleusercontent.com", "amazonaws.com",
		"fbcdn.net", "wpengine.com", "tuyaus.com", "xiaomi.com", "nflxvideo.net",
		"dns.msftncsi.com", "1e100.net", "samsungcloudsolution.com"};
	for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++)
		if (mg_dga_score(benign[i], why, sizeof(why)) >= 0.6)
			fail_msg("%s scores as generated (%s)", benign[i], why);
}

static void test_verdict(void **state)
{
	(void)state;
	const struct mg_verdict_cfg cfg = MG_VERDICT_DEFAULTS;
	struct mg_verdict v = {0};
	double c;

	/* weak findings pile up, but never to a quarantine */
	for (unsigned i = 0; i < 20; i++)
		assert_true(mg_verdict_add(&v, &cfg, i, 0.5, S + i, &c) != MG_VD_QUARANTINE);
	assert_true(c > 0.99);
	assert_false(mg_verdict_calm(&v, &cfg, S));
	/* a detector speaks once per episode */
	assert_int_equal(mg_verdict_add(&v, &cfg, 3, 0.5, 2 * S, &c), MG_VD_REPEAT);
	/* the episode ends when the score has decayed: 0.99 -> 0.1 takes ~7 half-lives */
	assert_true(mg_verdict_calm(&v, &cfg, 300 * S));
	assert_int_equal(mg_verdict_add(&v, &cfg, 3, 0.5, 300 * S, &c), MG_VD_ALERT);
	assert_true(c < 0.6);
	assert_int_equal(mg_verdict_add(&v, &cfg, 4, 0.2, 300 * S, &c), MG_VD_QUIET);

	/* a strong finding with support: quarantine, then held */
	struct mg_verdict w = {0};
	assert_int_equal(mg_verdict_add(&w, &cfg, 1, 0.6, S, &c), MG_VD_ALERT);
	assert_int_equal(mg_verdict_add(&w, &cfg, 2, 0.8, S, &c), MG_VD_QUARANTINE);
	assert_true(c >= 0.9);
	assert_true(mg_verdict_held(&w, S + 3599 * S));
	assert_int_equal(mg_verdict_add(&w, &cfg, 5, 0.95, 2 * S, &c), MG_VD_HELD);
	assert_false(mg_verdict_held(&w, S + 3600 * S));
	/* alone, a strong finding short of the quarantine level is an alert */
	struct mg_verdict x = {0};
	assert_int_equal(mg_verdict_add(&x, &cfg, 1, 0.85, S, &c), MG_VD_ALERT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learning_and_threshold),
		cmocka_unit_test(test_learning_while_there),
		cmocka_unit_test(test_distinct),
		cmocka_unit_test(test_novelty),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_dga),
		cmocka_unit_test(test_verdict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

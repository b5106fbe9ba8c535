/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Scan detectors: thresholds, distinct counting, windows, eightfold repeats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "../../classify/scan.h"

static struct mg_addr addr(unsigned i)
{
	struct mg_addr a;
	uint8_t v4[4] = {203, 0, (uint8_t)(i >> 8), (uint8_t)i};
	mg_addr_set_v4(&a, v4);
	return a;
}

static void test_fanout(void **state)
{
	(void)state;
	const struct mg_scan_cfg cfg = MG_SCAN_DEFAULTS;
	struct mg_scan *s = NULL;
	struct mg_scan_finding x;
	uint64_t t = 1000000;

	for (unsigned i = 0; i < 63; i++) {
		struct mg_addr a = addr(i);
		assert_false(mg_scan_conn(&s, &cfg, &a, 23, false, false, t + i, &x));
		/* the same address again is not a new one */
		assert_false(mg_scan_conn(&s, &cfg, &a, 23, false, false, t + i, &x));
	}
	struct mg_addr a = addr(63);
	assert_true(mg_scan_conn(&s, &cfg, &a, 23, false, false, t + 63, &x));
	assert_int_equal(x.kind, MG_SCAN_FANOUT);
	assert_int_equal(x.distinct, 64);
	assert_true(x.score >= 0.9); /* telnet */
	assert_int_equal(x.nsample, 4);
	/* no repeat until eightfold */
	for (unsigned i = 64; i < 511; i++) {
		a = addr(i);
		assert_false(mg_scan_conn(&s, &cfg, &a, 23, false, false, t + i, &x));
	}
	a = addr(511);
	assert_true(mg_scan_conn(&s, &cfg, &a, 23, false, false, t + 511, &x));
	assert_int_equal(x.distinct, 512);
	/* a new window starts from zero */
	a = addr(600);
	assert_false(mg_scan_conn(&s, &cfg, &a, 443, false, false, t + 11000000, &x));
	mg_scan_free(s);
}

static void test_other_port_scores_less(void **state)
{
	(void)state;
	const struct mg_scan_cfg cfg = MG_SCAN_DEFAULTS;
	struct mg_scan *s = NULL;
	struct mg_scan_finding x;
	bool hit = false;
	for (unsigned i = 0; i < 64; i++) {
		struct mg_addr a = addr(i);
		hit = mg_scan_conn(&s, &cfg, &a, 443, false, false, 1, &x);
	}
	assert_true(hit);
	assert_true(x.score < 0.9);
	mg_scan_free(s);
}

static void test_mirai_and_lateral(void **state)
{
	(void)state;
	const struct mg_scan_cfg cfg = MG_SCAN_DEFAULTS;
	struct mg_scan *s = NULL;
	struct mg_scan_finding x;
	struct mg_addr a = addr(1), b = addr(2), c = addr(3);
	assert_false(mg_scan_conn(&s, &cfg, &a, 23, false, true, 1, &x));
	assert_false(mg_scan_conn(&s, &cfg, &b, 23, false, true, 2, &x));
	assert_true(mg_scan_conn(&s, &cfg, &c, 23, false, true, 3, &x));
	assert_int_equal(x.kind, MG_SCAN_MIRAI);
	assert_int_equal(x.mirai, 3);
	mg_scan_free(s);

	s = NULL;
	unsigned probes = 0;
	bool hit = false;
	for (unsigned h = 0; h < 4 && !hit; h++)
		for (uint16_t p = 1; p <= 8 && !hit; p++) {
			struct mg_addr l = addr(h);
			probes++;
			hit = mg_scan_conn(&s, &cfg, &l, p, true, false, 10, &x);
		}
	assert_true(hit);
	assert_int_equal(probes, 32); /* twice lateral_hosts */
	assert_int_equal(x.kind, MG_SCAN_LATERAL);
	assert_int_equal(x.distinct, 4);
	assert_int_equal(x.ports, 8);
	assert_true(x.score < 0.9);
	mg_scan_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fanout),
		cmocka_unit_test(test_other_port_scores_less),
		cmocka_unit_test(test_mirai_and_lateral),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

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

/* One connection retried from one source port is a storm; the same rate
 * from many source ports at one victim is a flood. */
static void test_storm_or_flood(void **state)
{
	(void)state;
	const struct mg_scan_cfg cfg = MG_SCAN_DEFAULTS;
	struct mg_scan *s = NULL;
	struct mg_scan_finding x;
	struct mg_addr peer = addr(7), other = addr(8);
	unsigned hits = 0;

	for (unsigned i = 0; i < 200; i++) {
		if (i == 10) /* the peer refuses; another host's RST does not count */
			mg_scan_answer(s, &peer, 8883, 6, MG_ANSWER_RST);
		if (i == 11)
			mg_scan_answer(s, &other, 80, 6, MG_ANSWER_ACCEPTED);
		if (i == 12)
			mg_scan_answer(s, &peer, 8883, 6, MG_ANSWER_RST);
		hits += mg_scan_rate(&s, &cfg, MG_RATE_SYN, &peer, 8883, 40000, 0, 1000 + i * 4000,
				     &x);
	}
	assert_int_equal(hits, 1);
	assert_int_equal(x.kind, MG_SCAN_CONNECT_STORM);
	assert_true(x.score < 0.75); /* never strong on its own */
	assert_int_equal(x.rate, 200);
	assert_int_equal(x.sports, 1);
	assert_int_equal(x.port, 8883);
	assert_int_equal(x.answer, MG_ANSWER_RST);
	assert_memory_equal(&x.sample[0], &peer, sizeof(peer));
	mg_scan_free(s);

	s = NULL;
	hits = 0;
	for (unsigned i = 0; i < 200; i++)
		hits += mg_scan_rate(&s, &cfg, MG_RATE_SYN, &peer, 80, (uint16_t)(1024 + i * 7), 0,
				     1000 + i * 4000, &x);
	assert_int_equal(hits, 1);
	assert_int_equal(x.kind, MG_SCAN_SYN_FLOOD);
	assert_int_equal(x.sports, 200);
	assert_true(x.score >= 0.9);
	mg_scan_free(s);

	/* UDP: one source port to many ports of one address is a flood */
	s = NULL;
	hits = 0;
	for (unsigned i = 0; i < 200; i++)
		hits += mg_scan_rate(&s, &cfg, MG_RATE_UDP_FLOW, &peer, (uint16_t)(1 + i), 5000, 0,
				     1000 + i * 4000, &x);
	assert_int_equal(hits, 1);
	assert_int_equal(x.kind, MG_SCAN_UDP_FLOOD);
	mg_scan_free(s);
}

static void test_resend(void **state)
{
	(void)state;
	const struct mg_scan_cfg cfg = MG_SCAN_DEFAULTS;
	struct mg_scan *s = NULL;
	struct mg_scan_finding x;
	struct mg_addr peer = addr(7), dns = addr(53);

	assert_false(mg_scan_resend(s, &peer, 5683, 4000, 1)); /* no state yet */
	assert_false(mg_scan_rate(&s, &cfg, MG_RATE_UDP_FLOW, &peer, 5683, 4000, 0, 1, &x));
	assert_false(mg_scan_resend(s, &peer, 5683, 4000, 42));
	assert_true(mg_scan_resend(s, &peer, 5683, 4000, 42));
	assert_false(mg_scan_resend(s, &peer, 5683, 4000, 43)); /* another payload */
	assert_false(mg_scan_resend(s, &dns, 53, 4000, 43));	 /* another peer */
	assert_false(mg_scan_resend(s, &peer, 5683, 4000, 43));
	assert_true(mg_scan_resend(s, &peer, 5683, 4000, 43));
	mg_scan_free(s);
}

/* Many SYNs from many flows at a device make it a target, once per attack;
 * one flow retried does not. */
static void test_target(void **state)
{
	(void)state;
	const struct mg_scan_cfg cfg = MG_SCAN_DEFAULTS;
	struct mg_scan *s = NULL;
	struct mg_scan_finding x;
	struct mg_addr camera = addr(9);
	unsigned hits = 0;

	for (unsigned i = 0; i < 1000; i++)
		hits += mg_scan_inbound(&s, &cfg, MG_IN_SYN, &camera, 40000, 8883, 1000 + i * 1000,
					&x);
	assert_int_equal(hits, 0);
	assert_false(mg_scan_attacked(s, 1000000));
	for (unsigned t = 0; t < 3; t++) /* three seconds of a flood */
		for (unsigned i = 0; i < 300; i++) {
			struct mg_addr src = addr(i);
			if (mg_scan_inbound(&s, &cfg, MG_IN_SYN, &src, (uint16_t)(1024 + i), 80,
					    2000000 + t * 1000000 + i * 3000, &x)) {
				hits++;
				assert_int_equal(x.kind, MG_SCAN_SYN_TARGET);
				assert_int_equal(x.rate, 200);
				assert_int_equal(x.sources, 200);
				assert_int_equal(x.port, 80);
				assert_int_equal(x.nsample, 4);
			}
		}
	assert_int_equal(hits, 1);
	assert_true(mg_scan_attacked(s, 5000000));
	assert_false(mg_scan_attacked(s, 8000000));
	/* again after a minute of quiet */
	for (unsigned i = 0; i < 200; i++) {
		struct mg_addr src = addr(i);
		hits += mg_scan_inbound(&s, &cfg, MG_IN_SYN, &src, 2000, 80, 70000000 + i * 1000, &x);
	}
	assert_int_equal(hits, 2);
	mg_scan_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fanout),
		cmocka_unit_test(test_other_port_scores_less),
		cmocka_unit_test(test_mirai_and_lateral),
		cmocka_unit_test(test_storm_or_flood),
		cmocka_unit_test(test_resend),
		cmocka_unit_test(test_target),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

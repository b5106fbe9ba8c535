/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The enforcer's decisions with the dry-run backend: outcomes, the never
 * list, TTLs and repeat offenders, the circuit breaker, expiry, the state
 * file. (The nft backend is tested on real traffic: tests/enforce.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../enforce/enforce.h"

#define S 1000000ull
static const uint8_t M1[6] = {2, 0, 0, 0, 0, 1}, M2[6] = {2, 0, 0, 0, 0, 2};

static struct mg_enf_cfg cfg(void)
{
	return (struct mg_enf_cfg){
		.mode = MG_ENF_ENFORCE, .backend = MG_ENF_DRYRUN,
		.never = "02:00:00:00:00:99, 192.168.1.0/30 fd00::1", .dns = "192.168.1.53",
		.ttl_s = 100, .ttl_max_s = 300, .per_minute = 3, .max_percent = 50,
	};
}

static struct mg_addr v4(unsigned last)
{
	struct mg_addr a;
	uint8_t b[4] = {192, 168, 1, (uint8_t)last};
	mg_addr_set_v4(&a, b);
	return a;
}

static void test_outcomes(void **state)
{
	(void)state;
	struct mg_enf_cfg c = cfg();
	struct mg_enf *e;
	struct mg_enf_result r;
	char err[256];
	struct mg_addr a = v4(10);

	assert_int_equal(mg_enf_new(&e, &c, err, sizeof(err)), 0);
	assert_int_equal(mg_enf_quarantine(e, M1, &a, 1, "scan", "ref", S, 10, &r), 0);
	assert_int_equal(r.outcome, MG_ENF_DRY_RUN);
	assert_int_equal(r.ttl_s, 100);
	assert_int_equal(r.offenses, 1);
	assert_true(mg_enf_quarantined(e, M1));
	mg_enf_quarantine(e, M1, &a, 1, "scan", "ref", 2 * S, 10, &r);
	assert_int_equal(r.outcome, MG_ENF_ALREADY);
	/* a new address joins it, once */
	struct mg_addr b = v4(11);
	assert_int_equal(mg_enf_add_addr(e, M1, &b, 3 * S), 1);
	assert_int_equal(mg_enf_add_addr(e, M1, &b, 3 * S), 0);
	assert_int_equal(mg_enf_release(e, M1, "analyst", 4 * S, &r), 0);
	assert_int_equal(r.outcome, MG_ENF_DRY_RUN);
	assert_int_equal(r.naddrs, 2);
	mg_enf_release(e, M1, "analyst", 4 * S, &r);
	assert_int_equal(r.outcome, MG_ENF_NOT_FOUND);
	/* a repeat offender: twice the TTL, then the cap */
	mg_enf_quarantine(e, M1, &a, 1, "scan", "", 5 * S, 10, &r);
	assert_int_equal(r.ttl_s, 200);
	mg_enf_release(e, M1, "", 6 * S, &r);
	mg_enf_quarantine(e, M1, &a, 1, "scan", "", 7 * S, 10, &r);
	assert_int_equal(r.ttl_s, 300);
	assert_int_equal(r.offenses, 3);
	mg_enf_free(e);

	/* monitor mode: decided and reported, nothing held */
	c.mode = MG_ENF_MONITOR;
	assert_int_equal(mg_enf_new(&e, &c, err, sizeof(err)), 0);
	mg_enf_quarantine(e, M1, &a, 1, "scan", "", S, 10, &r);
	assert_int_equal(r.outcome, MG_ENF_MONITORED);
	assert_int_equal(r.ttl_s, 100);
	assert_false(mg_enf_quarantined(e, M1));
	mg_enf_free(e);
}

static void test_never(void **state)
{
	(void)state;
	struct mg_enf_cfg c = cfg();
	struct mg_enf *e;
	struct mg_enf_result r;
	char err[256];
	const uint8_t never[6] = {2, 0, 0, 0, 0, 0x99};
	struct mg_addr in = v4(3), out = v4(4), dns = v4(53), v6;
	uint8_t raw6[16] = {0xfd, [15] = 1};
	mg_addr_set_v6(&v6, raw6);

	assert_int_equal(mg_enf_new(&e, &c, err, sizeof(err)), 0);
	mg_enf_quarantine(e, never, NULL, 0, "x", "", S, 10, &r);
	assert_int_equal(r.outcome, MG_ENF_SUPPRESSED);
	assert_string_equal(r.why, "never-quarantine list: 02:00:00:00:00:99");
	const struct mg_addr *protect[] = {&in, &v6, &dns};
	for (int i = 0; i < 3; i++) {
		mg_enf_quarantine(e, M1, protect[i], 1, "x", "", S, 10, &r);
		assert_int_equal(r.outcome, MG_ENF_SUPPRESSED);
		assert_non_null(strstr(r.why, "never-quarantine list: "));
	}
	mg_enf_quarantine(e, M1, &out, 1, "x", "", S, 10, &r);
	assert_int_equal(r.outcome, MG_ENF_DRY_RUN);
	/* learned at run time: the gateway */
	mg_enf_never_mac(e, M2);
	mg_enf_quarantine(e, M2, NULL, 0, "x", "", S, 10, &r);
	assert_int_equal(r.outcome, MG_ENF_SUPPRESSED);
	mg_enf_free(e);

	static const char *const bad[] = {"192.168.1.0/33", "hello", "fd00::/129", "1.2.3.4/"};
	for (int i = 0; i < 4; i++) {
		c.never = bad[i];
		assert_int_equal(mg_enf_new(&e, &c, err, sizeof(err)), -22);
		assert_non_null(strstr(err, "[enforce] never: \""));
	}
}

static void test_breaker(void **state)
{
	(void)state;
	struct mg_enf_cfg c = cfg();
	struct mg_enf *e;
	struct mg_enf_result r;
	char err[256];
	uint8_t m[6] = {2, 0, 0, 0, 1, 0};

	/* three a minute */
	c.max_percent = 0;
	assert_int_equal(mg_enf_new(&e, &c, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++) {
		m[5] = (uint8_t)i;
		mg_enf_quarantine(e, m, NULL, 0, "x", "", S + (uint64_t)i, 100, &r);
		assert_int_equal(r.outcome, MG_ENF_DRY_RUN);
	}
	m[5] = 3;
	mg_enf_quarantine(e, m, NULL, 0, "x", "", S + 3, 100, &r);
	assert_int_equal(r.outcome, MG_ENF_SUPPRESSED);
	assert_true(r.circuit_opened);
	assert_non_null(strstr(r.why, "3 quarantines in the last minute"));
	/* it stays open, even a minute later */
	m[5] = 4;
	mg_enf_quarantine(e, m, NULL, 0, "x", "", 120 * S, 100, &r);
	assert_int_equal(r.outcome, MG_ENF_SUPPRESSED);
	assert_false(r.circuit_opened);
	assert_true(mg_enf_circuit_open(e));
	mg_enf_free(e);

	/* half of the known devices */
	c = cfg();
	c.per_minute = 0;
	assert_int_equal(mg_enf_new(&e, &c, err, sizeof(err)), 0);
	for (int i = 0; i < 2; i++) {
		m[5] = (uint8_t)i;
		mg_enf_quarantine(e, m, NULL, 0, "x", "", S, 4, &r);
		assert_int_equal(r.outcome, MG_ENF_DRY_RUN);
	}
	m[5] = 2;
	mg_enf_quarantine(e, m, NULL, 0, "x", "", S, 4, &r);
	assert_int_equal(r.outcome, MG_ENF_SUPPRESSED);
	assert_non_null(strstr(r.why, "3 of 4 known devices"));
	mg_enf_free(e);
}

static int expired;
static void on_note(void *user, enum mg_enf_note what, const uint8_t *mac, const char *detail)
{
	(void)user;
	(void)detail;
	if (what == MG_ENF_EXPIRED && !memcmp(mac, M1, 6))
		expired++;
}

/* A name for a state file that does not exist yet (@path ends XXXXXX). */
static void state_path(char *path)
{
	int fd = mkstemp(path);
	close(fd);
	unlink(path);
}

static void test_expiry_and_state(void **state)
{
	(void)state;
	char path[] = "/tmp/mg-enf-XXXXXX", err[256];
	state_path(path);
	struct mg_enf_cfg c = cfg();
	c.state_file = path;
	struct mg_enf *e;
	struct mg_enf_result r;
	struct mg_addr a = v4(10);

	assert_int_equal(mg_enf_new(&e, &c, err, sizeof(err)), 0);
	mg_enf_quarantine(e, M1, &a, 1, "scan: many addresses", "", S, 10, &r);
	mg_enf_quarantine(e, M2, NULL, 0, "dga", "", S, 10, &r);
	assert_int_equal(mg_enf_save(e, err, sizeof(err)), 0);
	mg_enf_free(e);

	/* a restart: both still quarantined, the offence counted */
	assert_int_equal(mg_enf_new(&e, &c, err, sizeof(err)), 0);
	assert_int_equal(mg_enf_count(e), 2);
	assert_true(mg_enf_quarantined(e, M1));
	expired = 0;
	mg_enf_expire(e, 50 * S, on_note, NULL);
	assert_int_equal(expired, 0);
	mg_enf_expire(e, 101 * S, on_note, NULL);
	assert_int_equal(expired, 1);
	assert_int_equal(mg_enf_count(e), 0);
	mg_enf_quarantine(e, M1, &a, 1, "scan", "", 200 * S, 10, &r);
	assert_int_equal(r.offenses, 2);
	assert_int_equal(r.ttl_s, 200);
	mg_enf_free(e);

	/* garbage and a torn last line: skipped, named, the file kept aside;
	 * the lines that read are loaded */
	char aside[64];
	snprintf(aside, sizeof(aside), "%s.corrupt", path);
	FILE *f = fopen(path, "w");
	fputs("mudguard-quarantine 1\nq nonsense\no 02:00:00:00:00:01 3\nq 02:00:00:00:00:02 17", f);
	fclose(f);
	assert_int_equal(mg_enf_new(&e, &c, err, sizeof(err)), 0);
	assert_non_null(strstr(mg_enf_load_problem(e), ":2: not a quarantine state line: 2 "
							"unreadable lines skipped; the file as it was is kept as"));
	assert_int_equal(mg_enf_count(e), 0);
	mg_enf_quarantine(e, M1, &a, 1, "scan", "", S, 10, &r);
	assert_int_equal(r.offenses, 4); /* the count that was read */
	mg_enf_free(e);
	f = fopen(aside, "r");
	assert_non_null(f);
	fclose(f);
	unlink(aside);
	/* another version: refused, left as it is */
	f = fopen(path, "w");
	fputs("mudguard-quarantine 2\nz whatever\n", f);
	fclose(f);
	assert_int_equal(mg_enf_new(&e, &c, err, sizeof(err)), -22);
	assert_non_null(strstr(err, "written by another version of mudguard (\"mudguard-quarantine 2\""));
	unlink(path);
}

/* Pins (kept in the state file) and an analyst's approval in monitor mode. */
static void test_pins_and_approval(void **state)
{
	(void)state;
	char path[] = "/tmp/mg-enf-XXXXXX", err[256];
	state_path(path);
	struct mg_enf_cfg c = cfg();
	c.state_file = path;
	c.mode = MG_ENF_MONITOR;
	struct mg_enf *e;
	struct mg_enf_result r;
	struct mg_addr a = v4(10);

	assert_int_equal(mg_enf_new(&e, &c, err, sizeof(err)), 0);
	mg_enf_quarantine(e, M1, &a, 1, "scan", "", S, 10, &r);
	assert_int_equal(r.outcome, MG_ENF_MONITORED);
	assert_false(mg_enf_quarantined(e, M1));
	/* approval acts in monitor mode (here the dry-run backend) */
	mg_enf_approve(e, M1, &a, 1, "approved by carol: sure", "ev:1", S, &r);
	assert_int_equal(r.outcome, MG_ENF_DRY_RUN);
	assert_true(mg_enf_quarantined(e, M1));
	mg_enf_approve(e, M1, &a, 1, "again", "ev:1", S, &r);
	assert_int_equal(r.outcome, MG_ENF_ALREADY);
	/* release lifts it in monitor mode too */
	mg_enf_release(e, M1, "ok", 2 * S, &r);
	assert_int_equal(r.outcome, MG_ENF_DRY_RUN);
	assert_false(mg_enf_quarantined(e, M1));
	/* a pin holds against verdicts and approvals alike */
	assert_int_equal(mg_enf_pin(e, M2, "by bob: lab camera"), 1);
	assert_int_equal(mg_enf_pin(e, M2, "by bob: still lab"), 0);
	assert_true(mg_enf_pinned(e, M2));
	mg_enf_approve(e, M2, NULL, 0, "x", "", S, &r);
	assert_int_equal(r.outcome, MG_ENF_SUPPRESSED);
	assert_non_null(strstr(r.why, "pinned (never quarantine): by bob: still lab"));
	assert_int_equal(mg_enf_save(e, err, sizeof(err)), 0);
	mg_enf_free(e);

	/* a restart keeps the pin; unpin ends it */
	assert_int_equal(mg_enf_new(&e, &c, err, sizeof(err)), 0);
	assert_true(mg_enf_pinned(e, M2));
	assert_int_equal(mg_enf_unpin(e, M2), 1);
	assert_int_equal(mg_enf_unpin(e, M2), 0);
	c.mode = MG_ENF_ENFORCE;
	mg_enf_free(e);
	assert_int_equal(mg_enf_new(&e, &c, err, sizeof(err)), 0);
	mg_enf_quarantine(e, M2, NULL, 0, "x", "", S, 10, &r);
	assert_int_equal(r.outcome, MG_ENF_SUPPRESSED); /* the file still has the pin: not saved */
	mg_enf_unpin(e, M2);
	mg_enf_quarantine(e, M2, NULL, 0, "x", "", S, 10, &r);
	assert_int_equal(r.outcome, MG_ENF_DRY_RUN);
	mg_enf_free(e);
	unlink(path);
}

/* Notes and reasons come from analysts and sensors: a newline in one must
 * not become a line of the state file (here: a forged quarantine). */
static void test_text_stays_on_its_line(void **state)
{
	(void)state;
	char path[] = "/tmp/mg-enf-XXXXXX", err[256];
	state_path(path);
	struct mg_enf_cfg c = cfg();
	c.state_file = path;
	struct mg_enf *e;
	struct mg_enf_result r;

	assert_int_equal(mg_enf_new(&e, &c, err, sizeof(err)), 0);
	assert_int_equal(mg_enf_pin(e, M1, "by eve: x\nq 02:00:00:00:00:09 99999999999999 - forged"), 1);
	mg_enf_quarantine(e, M2, NULL, 0, "scan\rp 02:00:00:00:00:08 forged", "ev\n1", S, 10, &r);
	assert_int_equal(r.outcome, MG_ENF_DRY_RUN);
	assert_int_equal(mg_enf_save(e, err, sizeof(err)), 0);
	mg_enf_free(e);

	assert_int_equal(mg_enf_new(&e, &c, err, sizeof(err)), 0);
	assert_int_equal(mg_enf_count(e), 1);
	assert_true(mg_enf_pinned(e, M1));
	static const uint8_t forged_q[6] = {2, 0, 0, 0, 0, 9}, forged_p[6] = {2, 0, 0, 0, 0, 8};
	assert_false(mg_enf_quarantined(e, forged_q));
	assert_false(mg_enf_pinned(e, forged_p));
	mg_enf_free(e);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_never),
		cmocka_unit_test(test_breaker),
		cmocka_unit_test(test_expiry_and_state),
		cmocka_unit_test(test_pins_and_approval),
		cmocka_unit_test(test_text_stays_on_its_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Config: defaults pass their own ranges, values load, every bad line is
 * reported with file, line and valid range, and the rest still loads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/config.h"

struct msgs {
	int n;
	char m[8][512];
};

static void collect(const char *msg, void *user)
{
	struct msgs *x = user;
	if (x->n < 8)
		snprintf(x->m[x->n], sizeof(x->m[0]), "%s", msg);
	x->n++;
}

static void test_defaults(void **state)
{
	struct mg_config c;
	(void)state;
	assert_int_equal(mg_config_defaults(&c), 0);
	assert_int_equal(c.flows_max, 262144);
	assert_int_equal(c.device_idle, 604800);
	assert_int_equal(c.udp_idle, 60);
	assert_true(c.promisc);
	assert_false(c.flows);
	assert_string_equal(c.events, "-");
}

static void test_values_and_errors(void **state)
{
	struct mg_config c;
	struct msgs m = {0};
	(void)state;
	mg_config_defaults(&c);
	const char *text = "# comment\n"
			   "[flows]\n"
			   "max = 5000\n"
			   "udp_idle = 0\n"        /* line 4: below range */
			   "\n"
			   "[capture]\n"
			   "promisc = maybe\n"     /* line 7 */
			   "snaplen = 1500\n"
			   "colour = blue\n"       /* line 9: unknown key */
			   "[devices]\n"
			   "local_networks = 10.0.0.0/33\n" /* line 11 */
			   "[output]\n"
			   "flows = yes\n"
			   "[redis]\n"
			   "sensor = span\t1\n"   /* line 15: goes into keys and tab-separated lines */
			   "sensor = gw-1.lab_2\n";
	int n = mg_config_load_string(&c, "test.conf", text, collect, &m);
	assert_int_equal(n, 5);
	assert_string_equal(m.m[0], "test.conf:4: flows.udp_idle must be between 1 and 86400 "
				    "seconds (got \"0\")");
	assert_non_null(strstr(m.m[1], "test.conf:7: capture.promisc must be yes or no"));
	assert_non_null(strstr(m.m[2], "test.conf:9: unknown key \"colour\" in section [capture]"));
	assert_non_null(strstr(m.m[3], "test.conf:11: devices.local_networks"));
	assert_non_null(strstr(m.m[4], "test.conf:15: redis.sensor may hold only letters, digits"));
	assert_string_equal(c.redis_sensor, "gw-1.lab_2");
	/* good lines applied, bad ones kept their defaults */
	assert_int_equal(c.flows_max, 5000);
	assert_int_equal(c.udp_idle, 60);
	assert_int_equal(c.snaplen, 1500);
	assert_true(c.promisc);
	assert_true(c.flows);
}

static void test_syntax_error_and_section(void **state)
{
	struct mg_config c;
	struct msgs m = {0};
	(void)state;
	mg_config_defaults(&c);
	int n = mg_config_load_string(&c, "x.conf", "[flows]\nmax = 2048\nthis is not ini\n"
						    "[nope]\nk = v\n",
				      collect, &m);
	assert_int_equal(n, 2);
	assert_non_null(strstr(m.m[0], "unknown section [nope]"));
	assert_non_null(strstr(m.m[1], "x.conf:3: syntax error"));
	assert_int_equal(c.flows_max, 2048);
}

static void test_set_override(void **state)
{
	struct mg_config c;
	struct msgs m = {0};
	(void)state;
	mg_config_defaults(&c);
	assert_int_equal(mg_config_set(&c, "capture", "snaplen", "128", collect, &m), 0);
	assert_int_equal(c.snaplen, 128);
	assert_int_not_equal(mg_config_set(&c, "capture", "snaplen", "12", collect, &m), 0);
	assert_int_equal(m.n, 1);
	assert_non_null(strstr(m.m[0], "between 64 and 262144"));
}

static void test_missing_file(void **state)
{
	struct mg_config c;
	(void)state;
	mg_config_defaults(&c);
	assert_true(mg_config_load(&c, "/nonexistent/mudguard.conf", NULL, NULL) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values_and_errors),
		cmocka_unit_test(test_syntax_error_and_section),
		cmocka_unit_test(test_set_override),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Redis URL parser (events/redisurl.c): user and password, database,
 * port bounds, rediss:// options, and bad input refused with the exact
 * message, never one that shows the password. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../events/redis.h"
#include "../../events/redisurl.h"

static struct mg_redis_url u;
static char err[256];

/* @pre, @n bytes @c, @post (in a static buffer). */
static const char *run_of(const char *pre, char c, size_t n, const char *post)
{
	static char url[1024];
	char fill[600];
	assert_true(n < sizeof(fill));
	memset(fill, c, n);
	fill[n] = 0;
	snprintf(url, sizeof(url), "%s%s%s", pre, fill, post);
	return url;
}

static void parses(const char *url)
{
	err[0] = 0;
	memset(&u, 0x5a, sizeof(u)); /* nothing from before shows through */
	if (mg_redis_url_parse(&u, url, err, sizeof(err)) != 0) {
		print_error("%s: %s\n", url, err);
		fail();
	}
	assert_int_equal(mg_redis_url_check(url, err, sizeof(err)), 0);
}

static void refused(const char *url, const char *msg)
{
	err[0] = 0;
	assert_int_equal(mg_redis_url_parse(&u, url, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
	err[0] = 0;
	assert_int_equal(mg_redis_url_check(url, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
}

static void test_plain(void **state)
{
	(void)state;
	parses("redis://localhost");
	assert_string_equal(u.host, "localhost");
	assert_int_equal(u.port, 6379);
	assert_int_equal(u.db, 0);
	assert_false(u.tls);
	assert_string_equal(u.user, "");
	assert_string_equal(u.pass, "");
	assert_string_equal(u.ca, "");
	assert_string_equal(u.where, "localhost:6379");
	parses("redis://127.0.0.1:6380/");
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 6380);
	assert_int_equal(u.db, 0);
	assert_string_equal(u.where, "127.0.0.1:6380");
}

static void test_user_password(void **state)
{
	(void)state;
	parses("redis://:s3cret@h:7000/3");
	assert_string_equal(u.user, "");
	assert_string_equal(u.pass, "s3cret");
	assert_string_equal(u.host, "h");
	assert_int_equal(u.port, 7000);
	assert_int_equal(u.db, 3);
	assert_string_equal(u.where, "h:7000"); /* never the password */
	parses("redis://alice:pw:with:colons@h");
	assert_string_equal(u.user, "alice");
	assert_string_equal(u.pass, "pw:with:colons");
	parses("redis://onlypass@h"); /* no colon: all of it is the password */
	assert_string_equal(u.user, "");
	assert_string_equal(u.pass, "onlypass");
	parses("redis://bob:@h"); /* an empty password: no AUTH */
	assert_string_equal(u.user, "bob");
	assert_string_equal(u.pass, "");

	parses(run_of("redis://", 'u', 127, ":p@h")); /* 127 bytes fit */
	assert_int_equal(strlen(u.user), 127);
	refused(run_of("redis://", 'u', 128, ":p@h"), "redis URL: user or password too long");
	refused(run_of("redis://:", 'p', 256, "@h"), "redis URL: user or password too long");
	parses(run_of("redis://:", 'p', 255, "@h"));
	assert_int_equal(strlen(u.pass), 255);
}

static void test_numbers(void **state)
{
	static const struct {
		const char *url;
		int port, db;
	} good[] = {
		{"redis://h:1", 1, 0},
		{"redis://h:65535", 65535, 0},
		{"redis://h/0", 6379, 0},
		{"redis://h:6379/65535", 6379, 65535},
		{"redis://h:7/3?", 7, 3},
	};
	static const struct {
		const char *url, *msg;
	} bad[] = {
		{"redis://h:0", "redis URL: bad port"},
		{"redis://h:65536/1", "redis URL: bad port"},
		{"redis://h:-1", "redis URL: bad port"},
		{"redis://h:/1", "redis URL: bad port"},
		{"redis://h:x", "redis URL: bad port"},
		{"redis://h:99999999999999999999", "redis URL: bad port"},
		{"redis://h:6379x", "redis URL: unexpected \"x\""},
		{"redis://h/65536", "redis URL: bad database number"},
		{"redis://h:1/-1", "redis URL: bad database number"},
		{"redis://h/1x", "redis URL: bad database number"},
		{"redis://h/x", "redis URL: bad database number"},
		{"redis://h/1/2", "redis URL: bad database number"},
		{"redis://h/1.5", "redis URL: bad database number"},
	};
	char url[200], want[200];
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		parses(good[i].url);
		assert_int_equal(u.port, good[i].port);
		assert_int_equal(u.db, good[i].db);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(bad[i].url, bad[i].msg);
	/* 64 bytes or more after the host: said, cut to 64 */
	snprintf(url, sizeof(url), "redis://h/%070d", 1);
	snprintf(want, sizeof(want), "redis URL: unexpected \"/%063d\"", 0);
	refused(url, want);
}

static void test_tls(void **state)
{
	(void)state;
	parses("rediss://r.example:6390");
	assert_true(u.tls);
	assert_int_equal(u.port, 6390);
	assert_string_equal(u.where, "r.example:6390 (TLS)");
	parses("rediss://:pw@r:1/2?ca=/etc/ca.pem&cert=/c.pem&key=/k@y.pem");
	assert_true(u.tls);
	assert_string_equal(u.pass, "pw");
	assert_string_equal(u.host, "r");
	assert_int_equal(u.port, 1);
	assert_int_equal(u.db, 2);
	assert_string_equal(u.ca, "/etc/ca.pem");
	assert_string_equal(u.cert, "/c.pem");
	assert_string_equal(u.key, "/k@y.pem"); /* an @ in the options is theirs */
	parses("rediss://r?ca=/only");
	assert_string_equal(u.ca, "/only");
	assert_string_equal(u.cert, "");
	assert_string_equal(u.host, "r");
	parses("rediss://r?"); /* no options */
	assert_true(u.tls);

	refused("redis://r?ca=/x", "redis URL: ca, cert and key are for rediss:// (TLS)");
	refused("rediss://r?sni=x", "redis URL: unknown or bad option \"sni=x\" (ca, cert, key)");
	refused("rediss://r?ca", "redis URL: unknown or bad option \"ca\" (ca, cert, key)");
	refused("rediss://r?ca=/a&&key=/k", "redis URL: unknown or bad option \"\" (ca, cert, key)");
	refused("rediss://r?CA=/a", "redis URL: unknown or bad option \"CA=/a\" (ca, cert, key)");
	parses(run_of("rediss://r?ca=", 'a', 511, "")); /* 511 bytes fit */
	assert_int_equal(strlen(u.ca), 511);
	refused(run_of("rediss://r?ca=", 'a', 512, ""), "redis URL: unknown or bad option \"ca=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" "
		     "(ca, cert, key)");
}

static void test_bad(void **state)
{
	(void)state;
	refused("", "redis URL must start with redis:// or rediss:// (TLS)");
	refused("http://h", "redis URL must start with redis:// or rediss:// (TLS)");
	refused("REDIS://h", "redis URL must start with redis:// or rediss:// (TLS)");
	refused("redis:/h", "redis URL must start with redis:// or rediss:// (TLS)");
	refused("redis://", "redis URL: no host");
	refused("redis://:6379", "redis URL: no host");
	refused("redis:///1", "redis URL: no host");
	refused("redis://:hunter2@", "redis URL: no host"); /* not the password */
	refused("rediss://:hunter2@:1?ca=/a", "redis URL: no host");
	parses(run_of("redis://", 'h', 255, "")); /* 255 bytes fit */
	refused(run_of("redis://", 'h', 256, ""), "redis URL: no host");
	/* a message cut to the room given, NUL-terminated */
	char small[12];
	assert_int_equal(mg_redis_url_check("redis://h:0", small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "redis URL: ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain), cmocka_unit_test(test_user_password),
		cmocka_unit_test(test_numbers), cmocka_unit_test(test_tls),
		cmocka_unit_test(test_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

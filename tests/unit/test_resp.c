/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The RESP encoder of the journal (events/resp.c): exact bytes for known
 * commands, binary arguments (NUL, CR LF) by their lengths, the buffer's
 * growth past its first 64 KiB, and every encoding read back by hiredis'
 * own parser and compared with hiredis' own formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "../../events/resp.h"

#define EXPECT(o, lit) expect_bytes(o, lit, sizeof(lit) - 1)

static void expect_bytes(const struct mg_resp *o, const char *want, size_t len)
{
	if (o->n != len || memcmp(o->b, want, len)) {
		print_error("got %zu bytes, want %zu\n", o->n, len);
		fail();
	}
}

/* @o's bytes are exactly what hiredis formats for the same command, and
 * hiredis' reader reads them back as an array of those arguments. */
static void check_hiredis(const struct mg_resp *o, int argc, const char **argv, const size_t *lens)
{
	char *mine = NULL;
	long long n = redisFormatCommandArgv(&mine, argc, argv, lens);
	assert_true(n > 0);
	assert_int_equal((size_t)n, o->n);
	assert_memory_equal(mine, o->b, o->n);
	redisFreeCommand(mine);

	redisReader *rd = redisReaderCreate();
	assert_non_null(rd);
	assert_int_equal(redisReaderFeed(rd, o->b, o->n), REDIS_OK);
	redisReply *rep = NULL;
	assert_int_equal(redisReaderGetReply(rd, (void **)&rep), REDIS_OK);
	assert_non_null(rep);
	assert_int_equal(rep->type, REDIS_REPLY_ARRAY);
	assert_int_equal(rep->elements, (size_t)argc);
	for (int i = 0; i < argc; i++) {
		size_t len = lens ? lens[i] : strlen(argv[i]);
		assert_int_equal(rep->element[i]->type, REDIS_REPLY_STRING);
		assert_int_equal(rep->element[i]->len, len);
		assert_memory_equal(rep->element[i]->str, argv[i], len);
	}
	freeReplyObject(rep);
	void *more = NULL; /* nothing after it */
	assert_int_equal(redisReaderGetReply(rd, &more), REDIS_OK);
	assert_null(more);
	redisReaderFree(rd);
}

static void test_strings(void **state)
{
	struct mg_resp o = {0};
	const char *argv[] = {"SET", "k", "value"};
	(void)state;
	assert_true(mg_resp_cmd(&o, 3, argv, NULL));
	EXPECT(&o, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n");
	check_hiredis(&o, 3, argv, NULL);
	mg_resp_free(&o);
	assert_null(o.b);
	assert_int_equal(o.n, 0);
}

static void test_binary(void **state)
{
	struct mg_resp o = {0};
	/* NUL, CR LF and a lone '$' and '*' inside arguments: counted, not parsed */
	const char bin[] = {'a', 0, 'b', '\r', '\n', '*', '2', '\r', '\n', '$'};
	const char *argv[] = {"HSET", "k\r\n", bin, ""};
	size_t lens[] = {4, 3, sizeof(bin), 0};
	(void)state;
	assert_true(mg_resp_cmd(&o, 4, argv, lens));
	EXPECT(&o, "*4\r\n$4\r\nHSET\r\n$3\r\nk\r\n\r\n$10\r\na\0b\r\n*2\r\n$\r\n$0\r\n\r\n");
	check_hiredis(&o, 4, argv, lens);
	/* a length shorter than the C string: only that much is sent */
	size_t part[] = {4, 1, 1, 0};
	o.n = 0;
	assert_true(mg_resp_cmd(&o, 4, argv, part));
	EXPECT(&o, "*4\r\n$4\r\nHSET\r\n$1\r\nk\r\n$1\r\na\r\n$0\r\n\r\n");
	mg_resp_free(&o);
}

static void test_arrays(void **state)
{
	struct mg_resp o = {0};
	const char *ten[] = {"XADD", "s", "MAXLEN", "~", "1000000", "*", "id", "x:1", "event", "{}"};
	(void)state;
	/* commands one after the other, as a transaction is built */
	const char *multi = "MULTI", *exec = "EXEC";
	assert_true(mg_resp_cmd(&o, 1, &multi, NULL));
	size_t first = o.n;
	assert_true(mg_resp_cmd(&o, 10, ten, NULL));
	size_t second = o.n;
	assert_true(mg_resp_cmd(&o, 1, &exec, NULL));
	assert_true(mg_resp_cmd(&o, 0, NULL, NULL));
	EXPECT(&o, "*1\r\n$5\r\nMULTI\r\n"
		   "*10\r\n$4\r\nXADD\r\n$1\r\ns\r\n$6\r\nMAXLEN\r\n$1\r\n~\r\n$7\r\n1000000\r\n"
		   "$1\r\n*\r\n$2\r\nid\r\n$3\r\nx:1\r\n$5\r\nevent\r\n$2\r\n{}\r\n"
		   "*1\r\n$4\r\nEXEC\r\n*0\r\n");
	struct mg_resp mid = {o.b + first, second - first, 0};
	check_hiredis(&mid, 10, ten, NULL);
	mg_resp_free(&o);
}

static void test_lengths(void **state)
{
	struct mg_resp o = {0};
	/* lengths of 1 to 7 digits, and the buffer grown past 64 KiB in steps */
	static const size_t sizes[] = {9, 10, 99, 100, 65535, 65536, 65537, 1000000, 3000001};
	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		char *big = malloc(sizes[s]);
		assert_non_null(big);
		for (size_t i = 0; i < sizes[s]; i++)
			big[i] = (char)(i * 7 + s); /* every byte value, CR LF among them */
		const char *argv[] = {"SET", big};
		size_t lens[] = {3, sizes[s]};
		char head[32];
		int hl = snprintf(head, sizeof(head), "*2\r\n$3\r\nSET\r\n$%zu\r\n", sizes[s]);
		o.n = 0;
		assert_true(mg_resp_cmd(&o, 2, argv, lens));
		assert_int_equal(o.n, (size_t)hl + sizes[s] + 2);
		assert_true(o.cap >= o.n);
		assert_memory_equal(o.b, head, (size_t)hl);
		assert_memory_equal(o.b + hl, big, sizes[s]);
		assert_memory_equal(o.b + o.n - 2, "\r\n", 2);
		check_hiredis(&o, 2, argv, lens);
		free(big);
	}
	/* appended to what is there: the earlier bytes kept across the growth */
	const char *a[] = {"PING"};
	o.n = 0;
	for (int i = 0; i < 10000; i++)
		assert_true(mg_resp_cmd(&o, 1, a, NULL));
	assert_int_equal(o.n, 10000 * 14);
	for (int i = 0; i < 10000; i++)
		assert_memory_equal(o.b + i * 14, "*1\r\n$4\r\nPING\r\n", 14);
	mg_resp_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

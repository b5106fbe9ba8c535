/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The device-state projection (events/devstate.c): which event types update
 * which keys, with which commands, read back from the RESP it appends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "../../events/devstate.h"

#define MAC "44:19:b6:10:00:95"
#define JSON "{\"a\":\"x\ny\"}" /* a newline in the event: sent by its length */
#define ID "s:r:7"

static struct mg_devstate clk;

/* The commands of @o, one line each, arguments separated by spaces. */
static char *commands(const struct mg_resp *o)
{
	static char text[4096];
	size_t n = 0;
	redisReader *rd = redisReaderCreate();
	assert_non_null(rd);
	assert_int_equal(redisReaderFeed(rd, o->b, o->n), REDIS_OK);
	text[0] = 0;
	for (;;) {
		redisReply *rep = NULL;
		assert_int_equal(redisReaderGetReply(rd, (void **)&rep), REDIS_OK);
		if (!rep)
			break;
		assert_int_equal(rep->type, REDIS_REPLY_ARRAY);
		for (size_t i = 0; i < rep->elements; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%.*s", i ? " " : "",
					      (int)rep->element[i]->len, rep->element[i]->str);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\n");
		assert_true(n < sizeof(text));
		freeReplyObject(rep);
	}
	redisReaderFree(rd);
	return text;
}

/* The commands @type about @mac adds: @count of them, @want as text. */
static void projects(const char *type, const char *mac, int count, const char *want)
{
	struct mg_resp o = {0};
	assert_int_equal(mg_devstate_cmds(&clk, &o, type, mac, ID, JSON, strlen(JSON)), count);
	if (count)
		assert_string_equal(commands(&o), want);
	else
		assert_int_equal(o.n, 0);
	mg_resp_free(&o);
}

#define STATE(type)                                                                      \
	"ZADD mudguard:devices 1700000000 " MAC "\n"                                     \
	"HSET mudguard:device:" MAC " " type " " JSON " last_event " ID "\n"           \
	"EXPIRE mudguard:device:" MAC " 3600\n"

static void test_types(void **state)
{
	static const char *const plain[] = {"device", "role", "identity", "mud_binding",
					    "device_summary"};
	char want[1024];
	(void)state;
	mg_devstate_time(&clk, 1700000000, 3600);
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		snprintf(want, sizeof(want), STATE("%s"), plain[i]);
		projects(plain[i], MAC, 3, want);
	}
	projects("quarantine", MAC, 5,
		 STATE("quarantine") "HSET mudguard:quarantines " MAC " " JSON "\n"
				     "XADD mudguard:quarantine:history * mac " MAC " id " ID
				     " event " JSON "\n");
	projects("release", MAC, 5,
		 STATE("release") "HDEL mudguard:quarantines " MAC "\n"
				  "XADD mudguard:quarantine:history * mac " MAC " id " ID
				  " event " JSON "\n");
	projects("pin", MAC, 5,
		 STATE("pin") "HSET mudguard:pins " MAC " " JSON "\n"
			      "XADD mudguard:quarantine:history * mac " MAC " id " ID " event " JSON
			      "\n");
	projects("unpin", MAC, 5,
		 STATE("unpin") "HDEL mudguard:pins " MAC "\n"
				"XADD mudguard:quarantine:history * mac " MAC " id " ID " event " JSON
				"\n");
	projects("verdict", MAC, 4,
		 STATE("verdict") "XADD mudguard:verdicts * mac " MAC " id " ID " event " JSON "\n");
	projects("command", MAC, 4,
		 STATE("command") "XADD mudguard:audit * mac " MAC " id " ID " event " JSON "\n");
}

static void test_untouched(void **state)
{
	static const char *const none[] = {"flow", "alert", "anomaly", "devices", "pins",
					   "quarantined", "Device", "", "device_summary2"};
	(void)state;
	mg_devstate_time(&clk, 1700000000, 3600);
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		projects(none[i], MAC, 0, "");
	projects("device", "", 0, ""); /* about no device */
	projects("quarantine", "", 0, "");
}

static void test_clock(void **state)
{
	struct mg_resp o = {0};
	(void)state;
	mg_devstate_time(&clk, 1700000000, 2592000);
	assert_string_equal(clk.now_s, "1700000000");
	assert_string_equal(clk.ttl_s, "2592000");
	assert_string_equal(clk.old_s, "(1697408000");
	assert_true(mg_devstate_trim(&clk, &o));
	assert_string_equal(commands(&o), "ZREMRANGEBYSCORE mudguard:devices -inf (1697408000\n");
	mg_resp_free(&o);
	mg_devstate_time(&clk, 100, 3600); /* a clock before the TTL: a negative bound */
	assert_string_equal(clk.old_s, "(-3500");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_untouched),
		cmocka_unit_test(test_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

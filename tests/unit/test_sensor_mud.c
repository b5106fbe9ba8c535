/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Asynchronous MUD retrieval: the store (pending entries, a full queue) and
 * the sensor's MUD stage (flows of a device whose profile is pending are held,
 * up to MG_SMUD_HELD_MAX, the rest counted, and handed back when it arrives;
 * without a profile they all count unchecked). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../classify/mudstore.h"
#include "../../src/config.h"
#include "../../src/sensor_mud.h"

/* From the device, TCP to port 443 only. */
static const char PROFILE[] =
	"{\"ietf-mud:mud\": {\"mud-url\": \"https://vendor.example/dev.json\","
	" \"from-device-policy\": {\"access-lists\": {\"access-list\": [{\"name\": \"fr\"}]}},"
	" \"to-device-policy\": {\"access-lists\": {\"access-list\": [{\"name\": \"to\"}]}}},"
	"\"ietf-access-control-list:acls\": {\"acl\": ["
	"{\"name\": \"fr\", \"aces\": {\"ace\": [{\"name\": \"web\", \"matches\": {\"ipv4\":"
	" {\"protocol\": 6}, \"tcp\": {\"destination-port\": {\"operator\": \"eq\", \"port\": 443}}},"
	" \"actions\": {\"forwarding\": \"accept\"}}]}},"
	"{\"name\": \"to\", \"aces\": {\"ace\": [{\"name\": \"none\", \"matches\": {\"ipv4\":"
	" {\"protocol\": 132}}, \"actions\": {\"forwarding\": \"accept\"}}]}}]}}\n";

static void count(void *user, const struct mg_mudprof *p)
{
	(void)p;
	++*(unsigned *)user;
}

/* A repository in @dir (mkdtemp's template) holding PROFILE as
 * https://vendor.example/dev.json. */
static void make_repo(char *dir)
{
	char path[256];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vendor.example", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/vendor.example/dev.json", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(PROFILE, f);
	fclose(f);
}

static void remove_repo(const char *dir)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/vendor.example/dev.json", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/vendor.example", dir);
	rmdir(path);
	rmdir(dir);
}

/* Polls @s until @n retrievals are installed (at most 10 s). */
static void poll_until(struct mg_mudstore *s, uint64_t n, unsigned *done)
{
	struct mg_mudstore_stats st;
	for (int i = 0; i < 10000; i++) {
		mg_mudstore_poll(s, 2000000, count, done);
		mg_mudstore_stats(s, &st);
		if (st.completed >= n)
			return;
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	fail_msg("%llu of %llu retrievals installed", (unsigned long long)st.completed,
		 (unsigned long long)n);
}

/* Synchronous and asynchronous retrieval from a repository; a full queue
 * makes entries wait, counted, and they are retrieved when there is room. */
static void test_store_async(void **state)
{
	(void)state;
	char dir[] = "/tmp/mg-mudstore-XXXXXX", url[64], err[256];
	make_repo(dir);
	struct mg_mudstore_cfg cfg = {
		.repository = dir, .fetch = false, .trust_anchors = "", .check_time = true,
		.max_bytes = 1 << 20, .timeout_s = 10, .max_redirects = 3, .retry_s = 300,
		.ca_file = "", .connect_to = "",
	};
	struct mg_mudstore *s;
	struct mg_mudstore_stats st;
	const char *dev = "https://vendor.example/dev.json";
	unsigned done = 0;

	assert_int_equal(mg_mudstore_new(&s, &cfg, err, sizeof(err)), 0);
	const struct mg_mudprof *p = mg_mudstore_get(s, dev, 1000000);
	assert_non_null(p->mud); /* synchronous: loaded by the call */
	assert_false(p->pending);
	assert_int_equal(mg_mudstore_poll(s, 1000000, count, &done), 0);
	mg_mudstore_free(s);

	assert_int_equal(mg_mudstore_new(&s, &cfg, err, sizeof(err)), 0);
	assert_int_equal(mg_mudstore_async(s, err, sizeof(err)), 0);
	p = mg_mudstore_get(s, dev, 1000000);
	assert_true(p->pending);
	assert_null(p->mud);
	assert_ptr_equal(mg_mudstore_get(s, dev, 1500000), p); /* not queued twice */
	poll_until(s, 1, &done);
	assert_int_equal(done, 1);
	assert_false(p->pending);
	assert_non_null(p->mud);
	assert_non_null(strstr(p->origin, "repository "));
	assert_int_equal(p->loaded_us, 2000000); /* installed at the poll's time */

	/* more URLs than the queue holds: all come back, none lost */
	for (int i = 0; i < MG_MUDSTORE_QUEUE + 6; i++) {
		snprintf(url, sizeof(url), "https://absent.example/%d.json", i);
		assert_true(mg_mudstore_get(s, url, 2000000)->pending);
	}
	mg_mudstore_stats(s, &st);
	assert_int_equal(st.queue_full, 6);
	assert_int_equal(st.waiting, 6);
	poll_until(s, MG_MUDSTORE_QUEUE + 7, &done);
	mg_mudstore_stats(s, &st);
	assert_int_equal(st.queued, MG_MUDSTORE_QUEUE + 7);
	assert_int_equal(st.waiting + st.in_flight, 0);
	assert_int_equal(done, MG_MUDSTORE_QUEUE + 7);
	p = mg_mudstore_get(s, "https://absent.example/69.json", 2000000);
	assert_false(p->pending);
	assert_null(p->mud);
	assert_non_null(strstr(p->error, "not in the repository"));
	mg_mudstore_stop(s);
	mg_mudstore_free(s);
	remove_repo(dir);
}

static void test_held_flows(void **state)
{
	(void)state;
	char dir[] = "/tmp/mg-smud-XXXXXX", err[256], why[160];
	make_repo(dir);

	struct mg_config cfg;
	struct mg_prefixes *local;
	struct mg_smud *m;
	struct mg_smud_dev md = {0}, other = {0};
	struct mg_smud_stats st;
	struct mg_smud_held *held;
	uint64_t late[2];
	unsigned arrived = 0;

	mg_config_defaults(&cfg);
	snprintf(cfg.mud_repository, sizeof(cfg.mud_repository), "%s", dir);
	cfg.mud_rules[0] = 0;
	cfg.mud_allow_infrastructure = false;
	assert_int_equal(mg_prefixes_parse(&local, cfg.local_networks, err, sizeof(err)), 0);
	assert_int_equal(mg_smud_new(&m, &cfg, local, err, sizeof(err)), 0);
	assert_int_equal(mg_smud_async(m, err, sizeof(err)), 0);

	assert_int_equal(mg_smud_bind_url(m, &md, "https://vendor.example/dev.json", "dhcp",
					  1000000, why, sizeof(why)), MG_SMUD_BOUND);
	assert_true(md.awaiting);
	assert_int_equal(mg_smud_bind_url(m, &other, "https://vendor.example/absent.json", "dhcp",
					  1000000, why, sizeof(why)), MG_SMUD_BOUND);
	assert_true(other.awaiting);

	struct mg_mud_flow fl = {.from_device = true, .dev_port = 40000, .proto = 6,
				 .icmp_type = -1, .icmp_code = -1, .ethertype = 0x0800};
	mg_addr_parse(&fl.dev, "192.168.1.5");
	mg_addr_parse(&fl.peer, "203.0.113.9");
	const uint8_t peer_mac[6] = {2, 0, 0, 0, 0, 9};
	for (int i = 0; i < MG_SMUD_HELD_MAX + 44; i++) {
		fl.peer_port = i % 2 ? 443 : 23;
		mg_smud_hold(m, &md, &fl, i ? NULL : peer_mac, 100 + i, 1000000 + i);
	}
	for (int i = 0; i < 3; i++)
		mg_smud_hold(m, &other, &fl, NULL, 1000 + i, 1000000 + i);
	assert_int_equal(md.n_held, MG_SMUD_HELD_MAX);
	assert_int_equal(md.held_over, 44);
	mg_smud_stats(m, &st);
	assert_int_equal(st.held, MG_SMUD_HELD_MAX + 3);

	for (int i = 0; i < 10000 && arrived < 2; i++) {
		mg_smud_poll(m, 3000000, count, &arrived);
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	assert_int_equal(arrived, 2);

	assert_int_equal(mg_smud_settle(m, &md, &held, late), MG_SMUD_HELD_MAX);
	assert_int_equal(late[0], MG_SMUD_HELD_MAX);
	assert_int_equal(late[1], 44);
	assert_false(md.awaiting);
	assert_memory_equal(held[0].peer_mac, peer_mac, 6);
	assert_true(held[0].has_peer && !held[1].has_peer);
	assert_int_equal(held[5].flow_id, 105);
	assert_int_equal(held[5].ts_us, 1000005);
	unsigned bad = 0;
	for (int i = 0; i < MG_SMUD_HELD_MAX; i++) {
		struct mg_smud_result r;
		bad += mg_smud_check(m, &md, NULL, NULL, &held[i].f, held[i].ts_us, &r);
	}
	assert_int_equal(bad, MG_SMUD_HELD_MAX / 2); /* the port 23 half */
	free(held);

	assert_int_equal(mg_smud_settle(m, &other, &held, late), 0); /* no profile */
	assert_null(held);
	assert_int_equal(late[0], 0);
	assert_int_equal(late[1], 3);
	mg_smud_stats(m, &st);
	assert_int_equal(st.held, 0);
	assert_int_equal(st.checked_late, MG_SMUD_HELD_MAX);
	assert_int_equal(st.unchecked, 47);
	assert_int_equal(st.store.completed, 2);

	/* a device that ends while awaiting: its held flows count unchecked */
	struct mg_smud_dev gone = {0};
	mg_smud_bind_url(m, &gone, "https://vendor.example/later.json", "dhcp", 4000000, why,
			 sizeof(why));
	mg_smud_hold(m, &gone, &fl, NULL, 2000, 4000000);
	mg_smud_dev_clear(m, &gone);
	mg_smud_stats(m, &st);
	assert_int_equal(st.held, 0);
	assert_int_equal(st.unchecked, 48);

	mg_smud_dev_clear(m, &md);
	mg_smud_dev_clear(m, &other);
	mg_smud_free(m);
	mg_prefixes_free(local);
	remove_repo(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_async),
		cmocka_unit_test(test_held_flows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Flow table: direction, counters, idle/closed/hard timeouts, eviction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../classify/flow.h"

#define S 1000000ull

struct ends {
	int n;
	enum mg_flow_end why[64];
	uint64_t id[64];
};

static void on_end(struct mg_flow *f, enum mg_flow_end why, void *user)
{
	struct ends *e = user;
	if (e->n < 64) {
		e->why[e->n] = why;
		e->id[e->n] = f->id;
	}
	e->n++;
}

static struct mg_pkt pkt(uint8_t a, uint8_t b, uint16_t sp, uint16_t dp, uint8_t proto,
			 uint8_t flags)
{
	struct mg_pkt p;
	uint8_t ia[4] = {192, 168, 1, a}, ib[4] = {192, 168, 1, b};
	memset(&p, 0, sizeof(p));
	p.ip_version = 4;
	mg_addr_set_v4(&p.src, ia);
	mg_addr_set_v4(&p.dst, ib);
	p.sport = sp;
	p.dport = dp;
	p.proto = proto;
	p.tcp_flags = flags;
	p.wirelen = 100;
	p.has_mac = true;
	p.src_mac[5] = a;
	p.dst_mac[5] = b;
	return p;
}

static const struct mg_flow_cfg cfg = {
	.max_flows = 1024,
	.tcp_idle_s = 300,
	.closed_idle_s = 10,
	.udp_idle_s = 60,
	.other_idle_s = 30,
	.hard_timeout_s = 3600,
};

static void test_bidirectional(void **state)
{
	struct ends e = {0};
	struct mg_flowtab *t = mg_flowtab_new(&cfg, on_end, &e);
	struct mg_pkt syn = pkt(10, 20, 40000, 443, 6, MG_TCP_SYN);
	struct mg_pkt synack = pkt(20, 10, 443, 40000, 6, MG_TCP_SYN | MG_TCP_ACK);
	int dir;
	bool created;
	(void)state;

	struct mg_flow *f = mg_flowtab_update(t, &syn, 1 * S, &dir, &created);
	assert_non_null(f);
	assert_true(created);
	assert_int_equal(dir, 0);
	struct mg_flow *g = mg_flowtab_update(t, &synack, 2 * S, &dir, &created);
	assert_ptr_equal(f, g);
	assert_false(created);
	assert_int_equal(dir, 1);
	assert_int_equal(f->pkts[0], 1);
	assert_int_equal(f->pkts[1], 1);
	assert_int_equal(f->bytes[1], 100);
	assert_int_equal(f->cli_port, 40000);
	assert_int_equal(f->srv_port, 443);
	mg_flowtab_free(t);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.why[0], MG_FLOW_END_SHUTDOWN);
}

/* A SYN-ACK seen first makes its receiver the client. */
static void test_synack_first(void **state)
{
	struct mg_flowtab *t = mg_flowtab_new(&cfg, NULL, NULL);
	struct mg_pkt synack = pkt(20, 10, 443, 40000, 6, MG_TCP_SYN | MG_TCP_ACK);
	int dir;
	bool created;
	(void)state;
	struct mg_flow *f = mg_flowtab_update(t, &synack, S, &dir, &created);
	assert_int_equal(dir, 1);
	assert_int_equal(f->srv_port, 443);
	assert_int_equal(f->pkts[1], 1);
	mg_flowtab_free(t);
}

static void test_idle_timeouts(void **state)
{
	struct ends e = {0};
	struct mg_flowtab *t = mg_flowtab_new(&cfg, on_end, &e);
	struct mg_pkt u = pkt(10, 20, 5000, 53, 17, 0);
	struct mg_pkt tc = pkt(10, 30, 5001, 80, 6, MG_TCP_SYN);
	struct mg_flow_stats st;
	int dir;
	bool created;
	(void)state;

	mg_flowtab_update(t, &u, 0, &dir, &created);
	mg_flowtab_update(t, &tc, 0, &dir, &created);
	mg_flowtab_expire(t, 59 * S);
	assert_int_equal(e.n, 0);
	mg_flowtab_expire(t, 61 * S); /* UDP idle is 60 s */
	assert_int_equal(e.n, 1);
	assert_int_equal(e.why[0], MG_FLOW_END_IDLE);
	mg_flowtab_expire(t, 299 * S);
	assert_int_equal(e.n, 1);
	mg_flowtab_expire(t, 301 * S); /* TCP idle is 300 s */
	assert_int_equal(e.n, 2);
	mg_flowtab_stats(t, &st);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.expired, 2);
	mg_flowtab_free(t);
}

static void test_closed_and_reuse(void **state)
{
	struct ends e = {0};
	struct mg_flowtab *t = mg_flowtab_new(&cfg, on_end, &e);
	struct mg_pkt syn = pkt(10, 20, 40000, 80, 6, MG_TCP_SYN);
	struct mg_pkt rst = pkt(20, 10, 80, 40000, 6, MG_TCP_RST | MG_TCP_ACK);
	int dir;
	bool created;
	(void)state;

	struct mg_flow *f = mg_flowtab_update(t, &syn, 0, &dir, &created);
	uint64_t first = f->id;
	mg_flowtab_update(t, &rst, S, &dir, &created);
	/* a new SYN on the same tuple after RST starts a new flow */
	f = mg_flowtab_update(t, &syn, 2 * S, &dir, &created);
	assert_true(created);
	assert_int_not_equal(f->id, first);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.why[0], MG_FLOW_END_REUSED);
	mg_flowtab_update(t, &rst, 3 * S, &dir, &created);
	mg_flowtab_expire(t, 14 * S); /* closed idle is 10 s */
	assert_int_equal(e.n, 2);
	assert_int_equal(e.why[1], MG_FLOW_END_CLOSED);
	mg_flowtab_free(t);
}

static void test_hard_timeout(void **state)
{
	struct ends e = {0};
	struct mg_flowtab *t = mg_flowtab_new(&cfg, on_end, &e);
	struct mg_pkt u = pkt(10, 20, 5000, 123, 17, 0);
	struct mg_flow_stats st;
	int dir;
	bool created;
	(void)state;

	for (uint64_t s = 0; s <= 3600; s += 30)
		mg_flowtab_update(t, &u, s * S, &dir, &created);
	assert_int_equal(e.n, 0);
	mg_flowtab_update(t, &u, 3601 * S, &dir, &created);
	assert_true(created);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.why[0], MG_FLOW_END_HARD);
	mg_flowtab_stats(t, &st);
	assert_int_equal(st.hard_timeouts, 1);
	mg_flowtab_free(t);
}

static void test_eviction_at_cap(void **state)
{
	struct ends e = {0};
	struct mg_flow_cfg small = cfg;
	small.max_flows = 4;
	struct mg_flowtab *t = mg_flowtab_new(&small, on_end, &e);
	struct mg_flow_stats st;
	int dir;
	bool created;
	(void)state;

	for (uint16_t i = 0; i < 6; i++) {
		struct mg_pkt u = pkt(10, 20, (uint16_t)(6000 + i), 53, 17, 0);
		assert_non_null(mg_flowtab_update(t, &u, i * S, &dir, &created));
	}
	mg_flowtab_stats(t, &st);
	assert_int_equal(st.active, 4);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(e.n, 2);
	/* the least recently active went first */
	assert_int_equal(e.id[0], 1);
	assert_int_equal(e.id[1], 2);
	assert_int_equal(e.why[0], MG_FLOW_END_EVICTED);
	mg_flowtab_free(t);
}

static void test_non_ip(void **state)
{
	struct mg_flowtab *t = mg_flowtab_new(&cfg, NULL, NULL);
	struct mg_pkt p;
	int dir;
	bool created;
	(void)state;
	memset(&p, 0, sizeof(p));
	assert_null(mg_flowtab_update(t, &p, 0, &dir, &created));
	mg_flowtab_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bidirectional),   cmocka_unit_test(test_synack_first),
		cmocka_unit_test(test_idle_timeouts),   cmocka_unit_test(test_closed_and_reuse),
		cmocka_unit_test(test_hard_timeout),    cmocka_unit_test(test_eviction_at_cap),
		cmocka_unit_test(test_non_ip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Address learning from DHCP server replies and NDP (classify/l2learn.c):
 * what each message teaches, and what a malformed or foreign one does not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../classify/l2learn.h"

static const uint8_t client_mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t sender_mac[6] = {0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e};

/* A BOOTP reply (@op) of DHCP type @type giving @yiaddr to client_mac. */
static uint32_t dhcp_msg(uint8_t *b, uint8_t op, uint8_t type, const uint8_t yiaddr[4])
{
	memset(b, 0, 300);
	b[0] = op;
	b[1] = 1; /* Ethernet */
	b[2] = 6;
	memcpy(b + 16, yiaddr, 4);
	memcpy(b + 28, client_mac, 6);
	static const uint8_t magic[4] = {99, 130, 83, 99};
	memcpy(b + 236, magic, 4);
	b[240] = 53;
	b[241] = 1;
	b[242] = type;
	b[243] = 255;
	return 244;
}

static void test_dhcp_ack(void **state)
{
	(void)state;
	uint8_t b[300];
	static const uint8_t ip[4] = {192, 168, 1, 23};
	struct mg_l2learn l;
	struct mg_addr want;

	assert_true(mg_l2learn_dhcp(b, dhcp_msg(b, 2, 5, ip), &l));
	assert_int_equal(l.gateway, MG_GW_DHCP);
	assert_true(l.dhcp_server);
	assert_int_equal(l.owner, MG_L2_MAC);
	assert_memory_equal(l.mac, client_mac, 6);
	assert_true(l.has_addr);
	mg_addr_set_v4(&want, ip);
	assert_memory_equal(&l.addr, &want, sizeof(want));
	assert_int_equal(l.how, MG_ASRC_DHCP);
}

static void test_dhcp_offer_and_others(void **state)
{
	(void)state;
	uint8_t b[300];
	static const uint8_t ip[4] = {192, 168, 1, 23}, bcast[4] = {255, 255, 255, 255};
	struct mg_l2learn l;

	/* an offer: a server (and so a router), no address yet */
	assert_true(mg_l2learn_dhcp(b, dhcp_msg(b, 2, 2, ip), &l));
	assert_true(l.dhcp_server);
	assert_int_equal(l.gateway, MG_GW_DHCP);
	assert_int_equal(l.owner, MG_L2_NOBODY);
	assert_false(l.has_addr);
	/* a request (op 1), a NAK, plain BOOTP: nothing */
	assert_false(mg_l2learn_dhcp(b, dhcp_msg(b, 1, 5, ip), &l));
	assert_false(mg_l2learn_dhcp(b, dhcp_msg(b, 2, 6, ip), &l));
	assert_false(l.dhcp_server);
	/* an ack of a group address: the client is seen, no address learned */
	assert_true(mg_l2learn_dhcp(b, dhcp_msg(b, 2, 5, bcast), &l));
	assert_int_equal(l.owner, MG_L2_MAC);
	assert_false(l.has_addr);
	/* truncated, bad magic, an option past the end: nothing, no read beyond */
	uint32_t n = dhcp_msg(b, 2, 5, ip);
	assert_false(mg_l2learn_dhcp(b, 239, &l));
	b[236] = 0;
	assert_false(mg_l2learn_dhcp(b, n, &l));
	dhcp_msg(b, 2, 5, ip);
	b[241] = 40;
	assert_false(mg_l2learn_dhcp(b, n, &l));
}

static void test_ndp_router_advertisement(void **state)
{
	(void)state;
	uint8_t ra[16] = {64, 0, 0x07, 0x08}; /* hop limit, flags, lifetime 1800 s */
	struct mg_addr src;
	struct mg_l2learn l;

	memset(&src, 0, sizeof(src));
	assert_true(mg_l2learn_ndp(134, ra, sizeof(ra), &src, sender_mac, &l));
	assert_int_equal(l.gateway, MG_GW_RA);
	assert_int_equal(l.owner, MG_L2_NOBODY);
	ra[2] = ra[3] = 0; /* lifetime 0: a stub router, not the way out */
	assert_false(mg_l2learn_ndp(134, ra, sizeof(ra), &src, sender_mac, &l));
	assert_int_equal(l.gateway, 0);
	assert_false(mg_l2learn_ndp(134, ra, 3, &src, sender_mac, &l));
	assert_false(mg_l2learn_ndp(133, ra, sizeof(ra), &src, sender_mac, &l)); /* RS */
}

/* An NS or NA body: 4 bytes, the target fe80::1, and option @opt of
 * @units 8-byte units carrying @mac. */
static uint32_t nd_msg(uint8_t *b, uint8_t opt, uint8_t units, const uint8_t *mac)
{
	memset(b, 0, 64);
	b[4] = 0xfe;
	b[5] = 0x80;
	b[19] = 1;
	if (!opt)
		return 20;
	b[20] = opt;
	b[21] = units;
	memcpy(b + 22, mac, 6);
	return 20 + 8u * (units ? units : 1);
}

static void test_ndp_neighbours(void **state)
{
	(void)state;
	uint8_t b[64];
	struct mg_addr src, target;
	struct mg_l2learn l;
	static const uint8_t t6[16] = {0xfe, 0x80, [15] = 1};

	mg_addr_set_v6(&target, t6);
	memset(&src, 0, sizeof(src));
	src.b[0] = 0xfe;
	src.b[1] = 0x80;
	src.b[15] = 9;
	/* NS with the sender's own MAC as source link-layer address: its address */
	assert_true(mg_l2learn_ndp(135, b, nd_msg(b, 1, 1, sender_mac), &src, sender_mac, &l));
	assert_int_equal(l.owner, MG_L2_SENDER);
	assert_memory_equal(&l.addr, &src, sizeof(src));
	assert_int_equal(l.how, MG_ASRC_NDP);
	/* ... with another MAC (a proxy), with none, or of an unknown sender: nothing */
	assert_false(mg_l2learn_ndp(135, b, nd_msg(b, 1, 1, client_mac), &src, sender_mac, &l));
	assert_false(mg_l2learn_ndp(135, b, nd_msg(b, 0, 0, NULL), &src, sender_mac, &l));
	assert_false(mg_l2learn_ndp(135, b, nd_msg(b, 1, 1, sender_mac), &src, NULL, &l));
	/* NA with a target link-layer address: the target is that station's */
	assert_true(mg_l2learn_ndp(136, b, nd_msg(b, 2, 1, client_mac), &src, sender_mac, &l));
	assert_int_equal(l.owner, MG_L2_MAC);
	assert_memory_equal(l.mac, client_mac, 6);
	assert_memory_equal(&l.addr, &target, sizeof(target));
	/* NA without one (or with a zero-length option): the sender's */
	assert_true(mg_l2learn_ndp(136, b, nd_msg(b, 0, 0, NULL), &src, sender_mac, &l));
	assert_int_equal(l.owner, MG_L2_SENDER);
	assert_memory_equal(&l.addr, &target, sizeof(target));
	assert_true(mg_l2learn_ndp(136, b, nd_msg(b, 2, 0, client_mac), &src, sender_mac, &l));
	assert_int_equal(l.owner, MG_L2_SENDER);
	/* an option longer than the message: not read */
	uint32_t n = nd_msg(b, 2, 1, client_mac);
	b[21] = 2;
	assert_true(mg_l2learn_ndp(136, b, n, &src, sender_mac, &l));
	assert_int_equal(l.owner, MG_L2_SENDER);
	/* shorter than a target address: nothing */
	assert_false(mg_l2learn_ndp(136, b, 19, &src, sender_mac, &l));
}

static void test_option_walk(void **state)
{
	(void)state;
	/* a nonce option (14) first, then the source link-layer address */
	uint8_t o[16] = {14, 1, 1, 2, 3, 4, 5, 6, 1, 1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	const uint8_t *ll = mg_ndp_lladdr(o, sizeof(o), 1);
	assert_non_null(ll);
	assert_int_equal(ll[0], 0xaa);
	assert_null(mg_ndp_lladdr(o, sizeof(o), 2));
	assert_null(mg_ndp_lladdr(o, 15, 1)); /* the second option runs past the end */
	assert_null(mg_ndp_lladdr(o, 7, 14)); /* shorter than one option */
}

static void test_dispatch(void **state)
{
	(void)state;
	uint8_t b[300];
	static const uint8_t ip[4] = {10, 0, 0, 5};
	struct mg_pkt p;
	struct mg_l2learn l;

	memset(&p, 0, sizeof(p));
	p.proto = 17;
	p.sport = 67;
	p.dport = 68;
	p.payload = b;
	p.payload_len = dhcp_msg(b, 2, 5, ip);
	assert_true(mg_l2learn(&p, &l));
	assert_int_equal(l.how, MG_ASRC_DHCP);
	p.sport = 68; /* client to server: extract.c's, not ours */
	p.dport = 67;
	assert_false(mg_l2learn(&p, &l));
	p.proto = 58;
	p.icmp_type = 136;
	p.has_mac = true;
	memcpy(p.src_mac, sender_mac, 6);
	p.payload_len = nd_msg(b, 0, 0, NULL);
	assert_true(mg_l2learn(&p, &l));
	assert_int_equal(l.owner, MG_L2_SENDER);
	p.icmp_type = 137; /* redirect */
	assert_false(mg_l2learn(&p, &l));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dhcp_ack),	     cmocka_unit_test(test_dhcp_offer_and_others),
		cmocka_unit_test(test_ndp_router_advertisement), cmocka_unit_test(test_ndp_neighbours),
		cmocka_unit_test(test_option_walk),	     cmocka_unit_test(test_dispatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

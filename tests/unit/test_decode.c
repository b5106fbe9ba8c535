/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Decoder: well-formed frames of every supported shape, and a table of
 * malformed ones, each of which must yield its named anomaly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../capture/decode.h"

/* Ethernet + IPv4 + TCP SYN to 23 from 192.168.1.10 */
static const uint8_t eth_tcp[] = {
	0x50, 0xc7, 0xbf, 0x00, 0x00, 0x01, 0x44, 0x19, 0xb6, 0x10, 0x00, 0x95, 0x08, 0x00,
	0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 0xc0, 0xa8,
	0x01, 0x0a, 0xc6, 0x12, 0x00, 0x01, 0xa0, 0x00, 0x00, 0x17, 0xc6, 0x12, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0x72, 0x10, 0x00, 0x00, 0x00, 0x00};

static void test_ethernet_ipv4_tcp(void **state)
{
	struct mg_pkt p;
	(void)state;
	assert_int_equal(mg_decode(&p, MG_LINK_ETHERNET, eth_tcp, sizeof(eth_tcp),
				   sizeof(eth_tcp), 7),
			 MG_ANOM_NONE);
	assert_true(p.has_mac);
	assert_int_equal(p.src_mac[0], 0x44);
	assert_int_equal(p.ip_version, 4);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.sport, 0xa000);
	assert_int_equal(p.dport, 23);
	assert_int_equal(p.tcp_flags, MG_TCP_SYN);
	assert_int_equal(p.tcp_seq, 0xc6120001); /* Mirai: seq == destination */
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(p.ts_us, 7);
	char buf[64];
	assert_string_equal(mg_addr_str(&p.src, buf, sizeof(buf)), "192.168.1.10");
	assert_string_equal(mg_addr_str(&p.dst, buf, sizeof(buf)), "198.18.0.1");
}

static void test_vlan_qinq(void **state)
{
	uint8_t f[sizeof(eth_tcp) + 8];
	struct mg_pkt p;
	(void)state;
	memcpy(f, eth_tcp, 12);
	const uint8_t tags[] = {0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x0a};
	memcpy(f + 12, tags, 8);
	memcpy(f + 20, eth_tcp + 12, sizeof(eth_tcp) - 12);
	assert_int_equal(mg_decode(&p, MG_LINK_ETHERNET, f, sizeof(f), sizeof(f), 0),
			 MG_ANOM_NONE);
	assert_int_equal(p.vlan_count, 2);
	assert_int_equal(p.vlan[0], 100);
	assert_int_equal(p.vlan[1], 10);
	assert_int_equal(p.dport, 23);
}

static void test_cooked_and_raw(void **state)
{
	uint8_t f[128];
	struct mg_pkt p;
	size_t ipl = sizeof(eth_tcp) - 14;
	(void)state;

	/* SLL v1: type, ARPHRD_ETHER, addr len 6, addr, protocol */
	memset(f, 0, sizeof(f));
	f[3] = 1;
	f[5] = 6;
	memcpy(f + 6, eth_tcp + 6, 6);
	f[14] = 0x08;
	memcpy(f + 16, eth_tcp + 14, ipl);
	assert_int_equal(mg_decode(&p, MG_LINK_SLL, f, 16 + ipl, 16 + ipl, 0), MG_ANOM_NONE);
	assert_true(p.has_mac);
	assert_int_equal(p.src_mac[0], 0x44);
	assert_int_equal(p.dport, 23);

	/* SLL v2: protocol, reserved, ifindex, ARPHRD, pkttype, addr len, addr */
	memset(f, 0, sizeof(f));
	f[0] = 0x08;
	f[9] = 1;
	f[11] = 6;
	memcpy(f + 12, eth_tcp + 6, 6);
	memcpy(f + 20, eth_tcp + 14, ipl);
	assert_int_equal(mg_decode(&p, MG_LINK_SLL2, f, 20 + ipl, 20 + ipl, 0), MG_ANOM_NONE);
	assert_int_equal(p.src_mac[0], 0x44);
	assert_int_equal(p.dport, 23);

	/* raw IP */
	assert_int_equal(mg_decode(&p, MG_LINK_RAW, eth_tcp + 14, ipl, ipl, 0), MG_ANOM_NONE);
	assert_false(p.has_mac);
	assert_int_equal(p.ip_version, 4);
	assert_int_equal(p.dport, 23);
}

/* IPv6 with a hop-by-hop header, then UDP 5353 */
static void test_ipv6_exthdr(void **state)
{
	uint8_t f[14 + 40 + 8 + 8 + 4] = {0};
	struct mg_pkt p;
	(void)state;
	f[12] = 0x86;
	f[13] = 0xdd;
	uint8_t *ip = f + 14;
	ip[0] = 0x60;
	ip[5] = 8 + 8 + 4; /* payload length */
	ip[6] = 0;	   /* hop-by-hop */
	ip[7] = 255;
	ip[8] = 0xfe;
	ip[9] = 0x80;
	ip[23] = 1;
	ip[24] = 0xff;
	ip[25] = 0x02;
	ip[39] = 0xfb;
	ip[40] = 17; /* next: UDP; hdr ext len 0 = 8 bytes */
	uint8_t *u = ip + 48;
	u[0] = 0x14;
	u[1] = 0xe9;
	u[2] = 0x14;
	u[3] = 0xe9;
	u[5] = 12;
	assert_int_equal(mg_decode(&p, MG_LINK_ETHERNET, f, sizeof(f), sizeof(f), 0),
			 MG_ANOM_NONE);
	assert_int_equal(p.ip_version, 6);
	assert_int_equal(p.ext_hdr_cnt, 1);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.dport, 5353);
	assert_int_equal(p.payload_len, 4);
}

static void test_arp(void **state)
{
	uint8_t f[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 0x08, 0x06,
			 0, 1, 0x08, 0, 6, 4, 0, 1, 1, 2, 3, 4, 5, 6, 192, 168, 1, 20};
	struct mg_pkt p;
	(void)state;
	assert_int_equal(mg_decode(&p, MG_LINK_ETHERNET, f, sizeof(f), sizeof(f), 0),
			 MG_ANOM_NONE);
	assert_true(p.is_arp);
	assert_int_equal(p.arp_op, 1);
	assert_int_equal(p.arp_spa[3], 20);
}

/* A frame cut by the capture's snaplen is not malformed. */
static void test_snapped_is_not_malformed(void **state)
{
	struct mg_pkt p;
	(void)state;
	assert_int_equal(mg_decode(&p, MG_LINK_ETHERNET, eth_tcp, 40, 1500, 0), MG_ANOM_NONE);
	assert_int_equal(p.ip_version, 4);
}

struct bad {
	const char *what;
	enum mg_link link;
	size_t len;     /* bytes of the base frame to keep (0 = all) */
	int off;        /* byte to patch, -1 = none */
	uint8_t val;
	enum mg_anomaly want;
};

static const struct bad bad[] = {
	{"short ethernet", MG_LINK_ETHERNET, 10, -1, 0, MG_ANOM_LINK_TRUNCATED},
	{"short ipv4", MG_LINK_ETHERNET, 30, -1, 0, MG_ANOM_IPV4_TRUNCATED},
	{"ipv4 version 5", MG_LINK_ETHERNET, 0, 14, 0x55, MG_ANOM_IPV4_BAD_VERSION},
	{"ipv4 ihl 4", MG_LINK_ETHERNET, 0, 14, 0x44, MG_ANOM_IPV4_BAD_IHL},
	{"ipv4 ihl past end", MG_LINK_ETHERNET, 0, 14, 0x4f, MG_ANOM_IPV4_BAD_IHL},
	{"ipv4 total len past end", MG_LINK_ETHERNET, 0, 17, 0xff, MG_ANOM_IPV4_BAD_TOTAL_LEN},
	{"ipv4 total len < ihl", MG_LINK_ETHERNET, 0, 17, 0x10, MG_ANOM_IPV4_BAD_TOTAL_LEN},
	{"ipv4 evil bit", MG_LINK_ETHERNET, 0, 20, 0xc0, MG_ANOM_IPV4_BAD_FRAGMENT},
	{"tcp offset 4", MG_LINK_ETHERNET, 0, 46, 0x10, MG_ANOM_TCP_BAD_OFFSET},
	{"tcp offset past end", MG_LINK_ETHERNET, 0, 46, 0xf0, MG_ANOM_TCP_BAD_OFFSET},
	{"tcp syn+fin", MG_LINK_ETHERNET, 0, 47, 0x03, MG_ANOM_TCP_BAD_FLAGS},
	{"raw not ip", MG_LINK_RAW, 0, 14, 0x25, MG_ANOM_IPV4_BAD_VERSION},
	{"sll short", MG_LINK_SLL, 12, -1, 0, MG_ANOM_LINK_TRUNCATED},
	{"sll2 short", MG_LINK_SLL2, 19, -1, 0, MG_ANOM_LINK_TRUNCATED},
	{"null bad family", MG_LINK_NULL, 0, -1, 0, MG_ANOM_NULL_BAD_FAMILY},
};

static void test_malformed_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t f[sizeof(eth_tcp)];
		struct mg_pkt p;
		size_t len = bad[i].len ? bad[i].len : sizeof(f);
		memcpy(f, eth_tcp, sizeof(f));
		if (bad[i].off >= 0)
			f[bad[i].off] = bad[i].val;
		const uint8_t *start = f;
		if (bad[i].link == MG_LINK_RAW) { /* the IP header starts the frame */
			start = f + 14;
			len -= 14;
		}
		enum mg_anomaly got = mg_decode(&p, bad[i].link, start, (uint32_t)len,
						(uint32_t)len, 0);
		if (got != bad[i].want)
			fail_msg("%s: got %s, want %s", bad[i].what, mg_anomaly_name(got),
				 mg_anomaly_name(bad[i].want));
	}
}

static void test_udp_and_vlan_errors(void **state)
{
	struct mg_pkt p;
	(void)state;
	/* UDP length larger than the packet */
	uint8_t u[14 + 20 + 8] = {0};
	u[12] = 0x08;
	u[14] = 0x45;
	u[17] = 28;
	u[23] = 17;
	u[38] = 0x01; /* UDP length 256+ */
	assert_int_equal(mg_decode(&p, MG_LINK_ETHERNET, u, sizeof(u), sizeof(u), 0),
			 MG_ANOM_UDP_BAD_LEN);
	/* three stacked VLAN tags */
	uint8_t v[14 + 12] = {0};
	v[12] = 0x81;
	v[16] = 0x81;
	v[20] = 0x81;
	v[24] = 0x81;
	assert_int_equal(mg_decode(&p, MG_LINK_ETHERNET, v, sizeof(v), sizeof(v), 0),
			 MG_ANOM_VLAN_TOO_DEEP);
	/* VLAN tag cut short */
	assert_int_equal(mg_decode(&p, MG_LINK_ETHERNET, v, 16, 16, 0), MG_ANOM_VLAN_TRUNCATED);
	/* IPv6 with an extension header running past the end */
	uint8_t s[14 + 40 + 4] = {0};
	s[12] = 0x86;
	s[13] = 0xdd;
	s[14] = 0x60;
	s[19] = 4;
	s[20] = 60; /* destination options */
	s[14 + 41] = 5;
	assert_int_equal(mg_decode(&p, MG_LINK_ETHERNET, s, sizeof(s), sizeof(s), 0),
			 MG_ANOM_IPV6_EXTHDR_TRUNCATED);
}

/* Every prefix of a valid frame decodes without reading past its end (ASan
 * would catch it) and never crashes. */
static void test_every_truncation(void **state)
{
	struct mg_pkt p;
	(void)state;
	for (size_t n = 0; n <= sizeof(eth_tcp); n++) {
		uint8_t *copy = test_malloc(n ? n : 1);
		memcpy(copy, eth_tcp, n);
		for (int l = MG_LINK_ETHERNET; l <= MG_LINK_NULL; l++)
			mg_decode(&p, (enum mg_link)l, copy, (uint32_t)n, (uint32_t)n, 0);
		test_free(copy);
	}
}

static void test_anomaly_names(void **state)
{
	(void)state;
	assert_string_equal(mg_anomaly_name(MG_ANOM_IPV4_BAD_IHL), "ipv4_bad_ihl");
	assert_string_equal(mg_anomaly_name(MG_ANOM__COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_ipv4_tcp),
		cmocka_unit_test(test_vlan_qinq),
		cmocka_unit_test(test_cooked_and_raw),
		cmocka_unit_test(test_ipv6_exthdr),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_snapped_is_not_malformed),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_udp_and_vlan_errors),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_anomaly_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

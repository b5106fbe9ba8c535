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
		for (int l = MG_LINK_ETHERNET; l < MG_LINK__END; l++)
			mg_decode(&p, (enum mg_link)l, copy, (uint32_t)n, (uint32_t)n, 0);
		test_free(copy);
	}
}

/* ---- 802.11, radiotap, PPI, NFLOG, PPP, switch tags ---- */

static const uint8_t STA[6] = {0x44, 0x19, 0xb6, 0x10, 0x00, 0x95}; /* eth_tcp's source */
static const uint8_t RTR[6] = {0x50, 0xc7, 0xbf, 0x00, 0x00, 0x01}; /* eth_tcp's destination */
static const uint8_t BSS[6] = {0x02, 0xa0, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t BSS2[6] = {0x02, 0xa0, 0x00, 0x00, 0x00, 0x0b};
static const uint8_t ZERO6[6] = {0};
#define IPLEN (sizeof(eth_tcp) - 14)

/* An 802.11 data frame with frame control @fc0 @fc1 carrying eth_tcp's IP
 * packet after LLC/SNAP; QoS (and HT Control) when the subtype and Order say. */
static size_t wifi(uint8_t *f, uint8_t fc0, uint8_t fc1, const uint8_t *a1, const uint8_t *a2,
		   const uint8_t *a3, const uint8_t *a4)
{
	static const uint8_t snap[] = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
	size_t n = 0;
	f[n++] = fc0;
	f[n++] = fc1;
	f[n++] = 0x2c; /* duration */
	f[n++] = 0;
	memcpy(f + n, a1, 6);
	memcpy(f + n + 6, a2, 6);
	memcpy(f + n + 12, a3, 6);
	n += 18;
	f[n++] = 0x10; /* sequence 1, fragment 0 */
	f[n++] = 0;
	if ((fc1 & 3) == 3) {
		memcpy(f + n, a4, 6);
		n += 6;
	}
	if (fc0 & 0x80) {
		f[n++] = 0;
		f[n++] = 0;
		if (fc1 & 0x80) {
			memset(f + n, 0, 4);
			n += 4;
		}
	}
	memcpy(f + n, snap, 8);
	memcpy(f + n + 8, eth_tcp + 14, IPLEN);
	return n + 8 + IPLEN;
}

static void expect_tcp(const struct mg_pkt *p, const uint8_t *src, const uint8_t *dst)
{
	assert_true(p->has_mac);
	assert_memory_equal(p->src_mac, src, 6);
	if (dst)
		assert_memory_equal(p->dst_mac, dst, 6);
	assert_int_equal(p->skip, MG_SKIP_NONE);
	assert_int_equal(p->ip_version, 4);
	assert_int_equal(p->dport, 23);
	assert_int_equal(p->l2_len, IPLEN); /* no FCS or padding left at the end */
}

static void test_wifi_addresses(void **state)
{
	uint8_t f[128];
	struct mg_pkt p;
	size_t n;
	(void)state;

	/* a station to its access point, QoS data: the station is the source */
	n = wifi(f, 0x88, 0x01, BSS, STA, RTR, NULL);
	assert_int_equal(mg_decode(&p, MG_LINK_IEEE80211, f, n, n, 0), MG_ANOM_NONE);
	expect_tcp(&p, STA, RTR);
	/* the access point relays the router's frame: SA is addr3, not the BSSID */
	n = wifi(f, 0x08, 0x02, STA, BSS, RTR, NULL);
	assert_int_equal(mg_decode(&p, MG_LINK_IEEE80211, f, n, n, 0), MG_ANOM_NONE);
	expect_tcp(&p, RTR, STA);
	/* four addresses (WDS, mesh): DA addr3, SA addr4 */
	n = wifi(f, 0x88, 0x03, BSS, BSS2, RTR, STA);
	assert_int_equal(mg_decode(&p, MG_LINK_IEEE80211, f, n, n, 0), MG_ANOM_NONE);
	expect_tcp(&p, STA, RTR);
	/* QoS data with HT Control (Order bit): 4 more header bytes */
	n = wifi(f, 0x88, 0x81, BSS, STA, RTR, NULL);
	assert_int_equal(mg_decode(&p, MG_LINK_IEEE80211, f, n, n, 0), MG_ANOM_NONE);
	expect_tcp(&p, STA, RTR);
	/* ad hoc: DA addr1, SA addr2 */
	n = wifi(f, 0x08, 0x00, RTR, STA, BSS, NULL);
	assert_int_equal(mg_decode(&p, MG_LINK_IEEE80211, f, n, n, 0), MG_ANOM_NONE);
	expect_tcp(&p, STA, RTR);
	/* cut by the snaplen inside the IP header: not malformed */
	assert_int_equal(mg_decode(&p, MG_LINK_IEEE80211, f, 40, (uint32_t)n, 0), MG_ANOM_NONE);
}

struct wpatch {
	const char *what;
	int off;
	uint8_t val;
	uint32_t len; /* 0 = all */
	enum mg_skip skip;
	enum mg_anomaly anom;
};

/* Each a ToDS QoS data frame, patched: not IP for a reason (counted, not
 * malformed), or malformed. */
static const struct wpatch wpatches[] = {
	{"beacon", 0, 0x80, 0, MG_SKIP_WIFI_MANAGEMENT, MG_ANOM_NONE},
	{"ack", 0, 0xd4, 0, MG_SKIP_WIFI_CONTROL, MG_ANOM_NONE},
	{"extension", 0, 0x0c, 0, MG_SKIP_WIFI_EXTENSION, MG_ANOM_NONE},
	{"qos null", 0, 0xc8, 0, MG_SKIP_WIFI_NULL_DATA, MG_ANOM_NONE},
	{"null", 0, 0x48, 0, MG_SKIP_WIFI_NULL_DATA, MG_ANOM_NONE},
	{"protected", 1, 0x41, 0, MG_SKIP_WIFI_PROTECTED, MG_ANOM_NONE},
	{"more fragments", 1, 0x05, 0, MG_SKIP_WIFI_FRAGMENT, MG_ANOM_NONE},
	{"fragment 1", 22, 0x11, 0, MG_SKIP_WIFI_FRAGMENT, MG_ANOM_NONE},
	{"a-msdu", 24, 0x80, 0, MG_SKIP_WIFI_AMSDU, MG_ANOM_NONE},
	{"llc, not snap", 26, 0x42, 0, MG_SKIP_WIFI_NOT_SNAP, MG_ANOM_NONE},
	{"version 1", 0, 0x89, 0, MG_SKIP_NONE, MG_ANOM_WIFI_BAD_VERSION},
	{"header cut", -1, 0, 20, MG_SKIP_NONE, MG_ANOM_WIFI_TRUNCATED},
	{"snap cut", -1, 0, 30, MG_SKIP_NONE, MG_ANOM_WIFI_TRUNCATED},
	{"one byte", -1, 0, 1, MG_SKIP_NONE, MG_ANOM_WIFI_TRUNCATED},
};

static void test_wifi_not_ip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(wpatches) / sizeof(wpatches[0]); i++) {
		const struct wpatch *w = &wpatches[i];
		uint8_t f[128];
		struct mg_pkt p;
		uint32_t n = (uint32_t)wifi(f, 0x88, 0x01, BSS, STA, RTR, NULL);
		if (w->off >= 0)
			f[w->off] = w->val;
		if (w->len)
			n = w->len;
		enum mg_anomaly a = mg_decode(&p, MG_LINK_IEEE80211, f, n, n, 0);
		if (a != w->anom || p.skip != w->skip)
			fail_msg("%s: got %s/%s", w->what, mg_anomaly_name(a), mg_skip_name(p.skip));
		if (w->skip && (p.has_mac || p.ip_version))
			fail_msg("%s: a skipped frame has a MAC or IP", w->what);
	}
	assert_string_equal(mg_skip_name(MG_SKIP_WIFI_PROTECTED), "wifi_protected");
	assert_string_equal(mg_skip_name(MG_SKIP__COUNT), "unknown");
}

/* radiotap: TSFT, Flags, Rate, Channel, antenna signal (24 bytes) */
static size_t radiotap(uint8_t *f, uint8_t flags, bool two_words)
{
	size_t n = 0, hl = two_words ? 32 : 24;
	memset(f, 0, hl);
	f[2] = (uint8_t)hl;
	f[4] = 0x2f;
	if (two_words) {
		f[7] = 0x80; /* another presence word (empty) follows */
		n = 16;	     /* TSFT aligned to 8 after 12 bytes */
	} else {
		n = 8;
	}
	f[n] = 0x11; /* TSFT */
	f[n + 8] = flags;
	f[n + 9] = 2; /* 1 Mb/s */
	f[n + 10] = 0x6c; /* 2412 MHz */
	f[n + 11] = 0x09;
	f[n + 14] = 0xc4; /* -60 dBm */
	return hl;
}

static void test_radiotap(void **state)
{
	uint8_t f[192];
	struct mg_pkt p;
	size_t hl, n;
	(void)state;

	/* Flags says the FCS is at the end: it is stripped */
	for (int two = 0; two < 2; two++) {
		hl = radiotap(f, 0x10, two);
		n = hl + wifi(f + hl, 0x88, 0x01, BSS, STA, RTR, NULL);
		memcpy(f + n, "\x01\x02\x03\x04", 4);
		n += 4;
		assert_int_equal(mg_decode(&p, MG_LINK_RADIOTAP, f, n, n, 0), MG_ANOM_NONE);
		expect_tcp(&p, STA, RTR);
		/* without the flag the 4 bytes stay as trailing bytes */
		f[two ? 24 : 16] = 0;
		assert_int_equal(mg_decode(&p, MG_LINK_RADIOTAP, f, n, n, 0), MG_ANOM_NONE);
		assert_int_equal(p.l2_len, IPLEN + 4);
	}
	/* the FCS partly beyond a snapped capture */
	hl = radiotap(f, 0x10, false);
	n = hl + wifi(f + hl, 0x88, 0x01, BSS, STA, RTR, NULL);
	assert_int_equal(mg_decode(&p, MG_LINK_RADIOTAP, f, n + 2, n + 4, 0), MG_ANOM_NONE);
	expect_tcp(&p, STA, RTR);
	/* bad FCS: counted, not decoded */
	radiotap(f, 0x50, false);
	assert_int_equal(mg_decode(&p, MG_LINK_RADIOTAP, f, n + 4, n + 4, 0), MG_ANOM_NONE);
	assert_int_equal(p.skip, MG_SKIP_WIFI_BAD_FCS);
	assert_false(p.has_mac);
	/* data pad: the 26-byte QoS header padded to 28 */
	hl = radiotap(f, 0x20, false);
	n = wifi(f + hl, 0x88, 0x01, BSS, STA, RTR, NULL);
	memmove(f + hl + 28, f + hl + 26, n - 26);
	f[hl + 26] = f[hl + 27] = 0xee;
	n += hl + 2;
	assert_int_equal(mg_decode(&p, MG_LINK_RADIOTAP, f, n, n, 0), MG_ANOM_NONE);
	expect_tcp(&p, STA, RTR);

	/* malformed and truncated headers */
	radiotap(f, 0, false);
	assert_int_equal(mg_decode(&p, MG_LINK_RADIOTAP, f, 5, 5, 0), MG_ANOM_RADIOTAP_TRUNCATED);
	assert_int_equal(mg_decode(&p, MG_LINK_RADIOTAP, f, 20, 20, 0), MG_ANOM_RADIOTAP_TRUNCATED);
	f[0] = 1;
	assert_int_equal(mg_decode(&p, MG_LINK_RADIOTAP, f, n, n, 0), MG_ANOM_RADIOTAP_BAD_HEADER);
	f[0] = 0;
	f[2] = 6;
	assert_int_equal(mg_decode(&p, MG_LINK_RADIOTAP, f, n, n, 0), MG_ANOM_RADIOTAP_BAD_HEADER);
	f[2] = 8; /* presence words run past the header */
	f[7] = 0x80;
	assert_int_equal(mg_decode(&p, MG_LINK_RADIOTAP, f, n, n, 0), MG_ANOM_RADIOTAP_BAD_HEADER);
	f[7] = 0;
	f[2] = 16; /* Flags past the header */
	assert_int_equal(mg_decode(&p, MG_LINK_RADIOTAP, f, n, n, 0), MG_ANOM_RADIOTAP_BAD_HEADER);
	/* radiotap over a frame with only an FCS's worth of bytes */
	radiotap(f, 0x10, false);
	assert_int_equal(mg_decode(&p, MG_LINK_RADIOTAP, f, 26, 26, 0), MG_ANOM_WIFI_TRUNCATED);
}

/* PPI with an 802.11-Common field (FCS present) */
static size_t ppi(uint8_t *f, uint32_t dlt, uint16_t common_flags)
{
	memset(f, 0, 32);
	f[2] = 32;
	f[4] = (uint8_t)dlt;
	f[8] = 2;  /* 802.11-Common */
	f[10] = 20;
	f[12 + 8] = (uint8_t)common_flags;
	return 32;
}

static void test_ppi(void **state)
{
	uint8_t f[192];
	struct mg_pkt p;
	size_t n;
	(void)state;

	n = ppi(f, 105, 1);
	n += wifi(f + n, 0x88, 0x01, BSS, STA, RTR, NULL);
	memcpy(f + n, "\x01\x02\x03\x04", 4);
	n += 4;
	assert_int_equal(mg_decode(&p, MG_LINK_PPI, f, n, n, 0), MG_ANOM_NONE);
	expect_tcp(&p, STA, RTR);
	ppi(f, 105, 4); /* FCS error */
	assert_int_equal(mg_decode(&p, MG_LINK_PPI, f, n, n, 0), MG_ANOM_NONE);
	assert_int_equal(p.skip, MG_SKIP_WIFI_BAD_FCS);
	/* Ethernet inside */
	n = ppi(f, 1, 0);
	memcpy(f + n, eth_tcp, sizeof(eth_tcp));
	n += sizeof(eth_tcp);
	assert_int_equal(mg_decode(&p, MG_LINK_PPI, f, n, n, 0), MG_ANOM_NONE);
	expect_tcp(&p, STA, RTR);
	ppi(f, 147, 0);
	assert_int_equal(mg_decode(&p, MG_LINK_PPI, f, n, n, 0), MG_ANOM_NONE);
	assert_int_equal(p.skip, MG_SKIP_PPI_OTHER_DLT);
	/* malformed */
	assert_int_equal(mg_decode(&p, MG_LINK_PPI, f, 7, 7, 0), MG_ANOM_PPI_TRUNCATED);
	assert_int_equal(mg_decode(&p, MG_LINK_PPI, f, 30, 30, 0), MG_ANOM_PPI_TRUNCATED);
	f[10] = 40; /* field longer than the header */
	assert_int_equal(mg_decode(&p, MG_LINK_PPI, f, n, n, 0), MG_ANOM_PPI_BAD_HEADER);
	f[10] = 20;
	f[2] = 4;
	assert_int_equal(mg_decode(&p, MG_LINK_PPI, f, n, n, 0), MG_ANOM_PPI_BAD_HEADER);
}

/* One NFLOG TLV: length and type in host byte order, padded to 4. */
static size_t tlv(uint8_t *f, uint16_t type, const void *v, uint16_t len)
{
	uint16_t tl = (uint16_t)(4 + len);
	memcpy(f, &tl, 2);
	memcpy(f + 2, &type, 2);
	memcpy(f + 4, v, len);
	size_t n = 4 + len;
	while (n & 3)
		f[n++] = 0;
	return n;
}

static size_t nflog(uint8_t *f, uint8_t family, bool hwaddr, bool hwheader, bool payload)
{
	size_t n = 4;
	f[0] = family;
	f[1] = 0;
	f[2] = 0;
	f[3] = 5; /* group 5 */
	n += tlv(f + n, 1, "\x08\x00\x01\x00", 4); /* packet header: IPv4, hook 1 */
	if (hwaddr) {
		uint8_t hw[12] = {0, 6, 0, 0};
		memcpy(hw + 4, STA, 6);
		n += tlv(f + n, 8, hw, sizeof(hw));
	}
	if (hwheader) {
		n += tlv(f + n, 15, "\x00\x01", 2);
		n += tlv(f + n, 16, eth_tcp, 14);
	}
	n += tlv(f + n, 10, "lan-in", 7); /* a prefix: 11 bytes, padded */
	if (payload)
		n += tlv(f + n, 9, eth_tcp + 14, IPLEN);
	return n;
}

static void test_nflog(void **state)
{
	uint8_t f[256];
	struct mg_pkt p;
	size_t n;
	(void)state;

	n = nflog(f, 2, true, false, true); /* the sender's MAC from NFULA_HWADDR */
	assert_int_equal(mg_decode(&p, MG_LINK_NFLOG, f, n, n, 0), MG_ANOM_NONE);
	expect_tcp(&p, STA, ZERO6);
	n = nflog(f, 2, false, true, true); /* both from NFULA_HWHEADER */
	assert_int_equal(mg_decode(&p, MG_LINK_NFLOG, f, n, n, 0), MG_ANOM_NONE);
	expect_tcp(&p, STA, RTR);
	n = nflog(f, 2, false, false, true); /* no MAC: raw IP */
	assert_int_equal(mg_decode(&p, MG_LINK_NFLOG, f, n, n, 0), MG_ANOM_NONE);
	assert_false(p.has_mac);
	assert_int_equal(p.dport, 23);
	n = nflog(f, 7, false, false, true); /* bridge family: the version says */
	assert_int_equal(mg_decode(&p, MG_LINK_NFLOG, f, n, n, 0), MG_ANOM_NONE);
	assert_int_equal(p.dport, 23);
	n = nflog(f, 10, false, false, true); /* the family is honoured */
	assert_int_equal(mg_decode(&p, MG_LINK_NFLOG, f, n, n, 0), MG_ANOM_IPV6_BAD_VERSION);
	n = nflog(f, 12, false, false, true);
	assert_int_equal(mg_decode(&p, MG_LINK_NFLOG, f, n, n, 0), MG_ANOM_NONE);
	assert_int_equal(p.skip, MG_SKIP_NFLOG_OTHER_FAMILY);
	n = nflog(f, 2, true, false, false);
	assert_int_equal(mg_decode(&p, MG_LINK_NFLOG, f, n, n, 0), MG_ANOM_NONE);
	assert_int_equal(p.skip, MG_SKIP_NFLOG_NO_PAYLOAD);
	/* the payload cut by the snaplen, or by a broken file */
	n = nflog(f, 2, true, false, true);
	assert_int_equal(mg_decode(&p, MG_LINK_NFLOG, f, n - 10, n, 0), MG_ANOM_NONE);
	assert_int_equal(p.ip_version, 4);
	assert_int_equal(mg_decode(&p, MG_LINK_NFLOG, f, n - 10, n - 10, 0),
			 MG_ANOM_NFLOG_TRUNCATED);
	assert_int_equal(mg_decode(&p, MG_LINK_NFLOG, f, 6, 6, 0), MG_ANOM_NFLOG_TRUNCATED);
	assert_int_equal(mg_decode(&p, MG_LINK_NFLOG, f, 3, 3, 0), MG_ANOM_NFLOG_TRUNCATED);
	uint16_t two = 2;
	memcpy(f + 4, &two, 2);
	assert_int_equal(mg_decode(&p, MG_LINK_NFLOG, f, n, n, 0), MG_ANOM_NFLOG_BAD_TLV);
}

static void test_ppp(void **state)
{
	uint8_t f[128];
	struct mg_pkt p;
	const uint8_t *ip = eth_tcp + 14;
	(void)state;

	static const struct {
		enum mg_link link;
		uint8_t hdr[8];
		size_t hl;
		enum mg_anomaly want;
		enum mg_skip skip;
	} cases[] = {
		{MG_LINK_PPP, {0xff, 0x03, 0x00, 0x21}, 4, MG_ANOM_NONE, 0},
		{MG_LINK_PPP, {0x00, 0x21}, 2, MG_ANOM_NONE, 0},
		{MG_LINK_PPP, {0x21}, 1, MG_ANOM_NONE, 0},		    /* compressed */
		{MG_LINK_PPP, {0x0f, 0x00, 0x08, 0x00}, 4, MG_ANOM_NONE, 0}, /* Cisco HDLC */
		{MG_LINK_PPP, {0xff, 0x03, 0x00, 0x57}, 4, MG_ANOM_IPV6_BAD_VERSION, 0},
		{MG_LINK_PPP, {0xff, 0x03, 0xc0, 0x21}, 4, MG_ANOM_NONE, MG_SKIP_PPP_OTHER_PROTOCOL},
		{MG_LINK_PPP_PPPD, {0x01, 0x03, 0x00, 0x21}, 4, MG_ANOM_NONE, 0},
		{MG_LINK_PPPOE, {0x11, 0x00, 0x12, 0x34, 0x00, 42, 0x00, 0x21}, 8, MG_ANOM_NONE, 0},
		{MG_LINK_PPPOE, {0x11, 0x09, 0x00, 0x00, 0x00, 0}, 6, MG_ANOM_NONE,
		 MG_SKIP_PPPOE_DISCOVERY},
		{MG_LINK_PPPOE, {0x12, 0x00, 0x12, 0x34, 0x00, 42, 0x00, 0x21}, 8,
		 MG_ANOM_PPPOE_BAD_HEADER, 0},
		{MG_LINK_PPPOE, {0x11, 0x00, 0x12, 0x34, 0x01, 42, 0x00, 0x21}, 8,
		 MG_ANOM_PPPOE_BAD_HEADER, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(f, cases[i].hdr, cases[i].hl);
		memcpy(f + cases[i].hl, ip, IPLEN);
		uint32_t n = (uint32_t)(cases[i].hl + IPLEN);
		enum mg_anomaly a = mg_decode(&p, cases[i].link, f, n, n, 0);
		if (a != cases[i].want || p.skip != cases[i].skip)
			fail_msg("case %zu: got %s/%s", i, mg_anomaly_name(a), mg_skip_name(p.skip));
		if (!a && !cases[i].skip && (p.dport != 23 || p.has_mac))
			fail_msg("case %zu: not decoded", i);
	}
	assert_int_equal(mg_decode(&p, MG_LINK_PPP, f, 0, 0, 0), MG_ANOM_PPP_TRUNCATED);
	f[0] = 0x00;
	assert_int_equal(mg_decode(&p, MG_LINK_PPP, f, 1, 1, 0), MG_ANOM_PPP_TRUNCATED);
	assert_int_equal(mg_decode(&p, MG_LINK_PPP_PPPD, f, 1, 1, 0), MG_ANOM_PPP_TRUNCATED);
	assert_int_equal(mg_decode(&p, MG_LINK_PPPOE, f, 5, 5, 0), MG_ANOM_PPP_TRUNCATED);
	f[0] = 0x0f;
	assert_int_equal(mg_decode(&p, MG_LINK_PPP, f, 3, 3, 0), MG_ANOM_PPP_TRUNCATED);
}

static void test_switch_tags(void **state)
{
	uint8_t f[128];
	struct mg_pkt p;
	size_t n = sizeof(eth_tcp);
	(void)state;

	static const struct {
		enum mg_link link;
		uint8_t tag[8];
		size_t tl;
		int port;
	} cases[] = {
		{MG_LINK_DSA_BRCM, {0x00, 0x00, 0x00, 0x03}, 4, 3},	    /* to the CPU, port 3 */
		{MG_LINK_DSA_BRCM, {0x20, 0x00, 0x00, 0x10}, 4, 4},	    /* from the CPU, to 4 */
		{MG_LINK_DSA_BRCM_PREPEND, {0x00, 0x00, 0x00, 0x01}, 4, 1}, /* before the MACs */
		{MG_LINK_DSA, {0xc0, 5 << 3, 0x00, 0x01}, 4, 5},	    /* forward, port 5 */
		{MG_LINK_EDSA, {0xda, 0xda, 0, 0, 0x00, 2 << 3, 0, 0}, 8, 2},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t tl = cases[i].tl;
		if (cases[i].link == MG_LINK_DSA_BRCM_PREPEND) {
			memcpy(f, cases[i].tag, tl);
			memcpy(f + tl, eth_tcp, n);
		} else {
			memcpy(f, eth_tcp, 12);
			memcpy(f + 12, cases[i].tag, tl);
			memcpy(f + 12 + tl, eth_tcp + 12, n - 12);
		}
		uint32_t len = (uint32_t)(n + tl);
		assert_int_equal(mg_decode(&p, cases[i].link, f, len, len, 0), MG_ANOM_NONE);
		expect_tcp(&p, STA, RTR);
		assert_int_equal(p.switch_port, cases[i].port);
		/* the tag cut short */
		uint32_t cut = (uint32_t)(cases[i].link == MG_LINK_DSA_BRCM_PREPEND ? 3 : 12 + tl);
		assert_int_equal(mg_decode(&p, cases[i].link, f, cut, cut, 0),
				 MG_ANOM_DSA_TRUNCATED);
	}
	assert_int_equal(mg_decode(&p, MG_LINK_ETHERNET, eth_tcp, n, n, 0), MG_ANOM_NONE);
	assert_int_equal(p.switch_port, -1);
}

/* Every prefix of every new link type's sample decodes within its bounds. */
static void test_link_truncations(void **state)
{
	uint8_t f[256];
	struct mg_pkt p;
	(void)state;
	struct {
		enum mg_link link;
		size_t n;
		uint8_t b[256];
	} s[6];
	size_t k = 0, hl;
	s[k].link = MG_LINK_IEEE80211;
	s[k++].n = wifi(s[0].b, 0x88, 0x83, BSS, BSS2, RTR, STA);
	hl = radiotap(f, 0x10, true);
	s[k].link = MG_LINK_RADIOTAP;
	s[k].n = hl + wifi(f + hl, 0x88, 0x01, BSS, STA, RTR, NULL) + 4;
	memcpy(s[k++].b, f, sizeof(f));
	hl = ppi(f, 105, 1);
	s[k].link = MG_LINK_PPI;
	s[k].n = hl + wifi(f + hl, 0x08, 0x02, STA, BSS, RTR, NULL) + 4;
	memcpy(s[k++].b, f, sizeof(f));
	s[k].link = MG_LINK_NFLOG;
	s[k].n = nflog(s[k].b, 2, true, true, true);
	k++;
	s[k].link = MG_LINK_PPPOE;
	memcpy(s[k].b, "\x11\x00\x12\x34\x00\x2a\x00\x21", 8);
	memcpy(s[k].b + 8, eth_tcp + 14, IPLEN);
	s[k++].n = 8 + IPLEN;
	s[k].link = MG_LINK_EDSA;
	memcpy(s[k].b, eth_tcp, 12);
	memcpy(s[k].b + 12, "\xda\xda\0\0\0\x10\0\0", 8);
	memcpy(s[k].b + 20, eth_tcp + 12, sizeof(eth_tcp) - 12);
	s[k++].n = sizeof(eth_tcp) + 8;
	for (size_t i = 0; i < k; i++) {
		assert_int_equal(mg_decode(&p, s[i].link, s[i].b, (uint32_t)s[i].n,
					   (uint32_t)s[i].n, 0),
				 MG_ANOM_NONE);
		assert_int_equal(p.dport, 23);
		for (size_t n = 0; n < s[i].n; n++) {
			uint8_t *copy = test_malloc(n ? n : 1);
			memcpy(copy, s[i].b, n);
			mg_decode(&p, s[i].link, copy, (uint32_t)n, (uint32_t)n, 0);
			mg_decode(&p, s[i].link, copy, (uint32_t)n, (uint32_t)s[i].n, 0);
			test_free(copy);
		}
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
		cmocka_unit_test(test_wifi_addresses),
		cmocka_unit_test(test_wifi_not_ip),
		cmocka_unit_test(test_radiotap),
		cmocka_unit_test(test_ppi),
		cmocka_unit_test(test_nflog),
		cmocka_unit_test(test_ppp),
		cmocka_unit_test(test_switch_tags),
		cmocka_unit_test(test_link_truncations),
		cmocka_unit_test(test_anomaly_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

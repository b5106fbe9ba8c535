/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Signal extractors: DNS (compression loops, out-of-bounds pointers), NetBIOS
 * names, DHCPv4/v6 options, TLS ClientHello/JA3, banner versions, text
 * escaping, TCP SYN signatures and p0f matching. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../capture/decode.h"
#include "../../classify/banner.h"
#include "../../classify/dhcp.h"
#include "../../classify/dns.h"
#include "../../classify/l2disc.h"
#include "../../classify/tcpsig.h"
#include "../../classify/text.h"
#include "../../classify/tls.h"

struct names {
	char got[8][MG_DNS_NAME_MAX];
	char target[8][MG_DNS_NAME_MAX];
	int n;
};

static void collect(const struct mg_dns_rr *rr, void *user)
{
	struct names *n = user;
	if (n->n < 8) {
		snprintf(n->got[n->n], sizeof(n->got[0]), "%s", rr->name);
		snprintf(n->target[n->n], sizeof(n->target[0]), "%s", rr->target);
	}
	n->n++;
}

static void test_dns_compression(void **state)
{
	(void)state;
	/* question "a.example" then an answer whose name points at it, PTR to "b.<ptr>" */
	static const uint8_t msg[] = {
		0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
		1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 12, 0, 1,
		0xc0, 12, 0, 12, 0, 1, 0, 0, 0, 60, 0, 4, 1, 'b', 0xc0, 14};
	struct mg_dns_hdr h;
	struct names n = {0};
	assert_int_equal(mg_dns_parse(msg, sizeof(msg), &h, collect, &n), 2);
	assert_string_equal(n.got[0], "a.example");
	assert_string_equal(n.got[1], "a.example");
	assert_string_equal(n.target[1], "b.example");
	assert_int_equal(h.an, 1);
}

static void test_dns_bad_pointers(void **state)
{
	(void)state;
	static const uint8_t self_loop[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
	static const uint8_t forward[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14,
					  1, 'a', 0, 0, 1, 0, 1};
	static const uint8_t oob[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc3, 0xff, 0, 1, 0, 1};
	static const uint8_t label_past_end[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 'a'};
	/* two names pointing at each other: 12 -> 16 is forward, so refused */
	static const uint8_t mutual[] = {0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0xc0, 16, 0, 1,
					 0xc0, 12, 0, 1, 0, 1};
	struct mg_dns_hdr h;
	struct names n = {0};
	assert_int_equal(mg_dns_parse(self_loop, sizeof(self_loop), &h, collect, &n), -EINVAL);
	assert_int_equal(mg_dns_parse(forward, sizeof(forward), &h, collect, &n), -EINVAL);
	assert_int_equal(mg_dns_parse(oob, sizeof(oob), &h, collect, &n), -EINVAL);
	assert_int_equal(mg_dns_parse(label_past_end, sizeof(label_past_end), &h, collect, &n),
			 -EINVAL);
	assert_int_equal(mg_dns_parse(mutual, sizeof(mutual), &h, collect, &n), -EINVAL);
	assert_int_equal(n.n, 0);
}

static void test_dns_name_escaping(void **state)
{
	(void)state;
	/* a label with a dot, a NUL, a backslash and invalid UTF-8, then valid UTF-8 */
	static const uint8_t wire[] = {6, 'a', '.', 0, '\\', 0xff, 'z', 2, 0xc3, 0xa9, 0};
	char out[128];
	uint32_t off = 0;
	assert_int_equal(mg_dns_name(wire, sizeof(wire), &off, out, sizeof(out)), 0);
	assert_string_equal(out, "a\\x2e\\x00\\x5c\\xffz.\xc3\xa9");
	assert_int_equal(off, sizeof(wire));
}

static void test_netbios(void **state)
{
	(void)state;
	char out[32];
	/* "WORKSTATION1" padded with spaces, suffix 0x00 */
	assert_int_equal(mg_netbios_name("FHEPFCELEHFCEPFFFACACACACACACAAA", out, sizeof(out)), 0);
	assert_string_equal(out, "WORKGROUP");
	assert_int_equal(mg_netbios_name("not-netbios", out, sizeof(out)), -1);
}

static void test_text_clean(void **state)
{
	(void)state;
	char out[64];
	static const uint8_t in[] = {' ', 'H', 0x01, 0xe2, 0x82, 0xac, 0xe2, 0x82, 'x', 0, 0};
	mg_text_clean(in, sizeof(in), out, sizeof(out), 0);
	assert_string_equal(out, "H\\x01\xe2\x82\xac\\xe2\\x82x");
	mg_text_clean((const uint8_t *)"abcdefgh", 8, out, 5, 0); /* cut, terminated */
	assert_string_equal(out, "abcd");
}

static size_t put_opt(uint8_t *p, uint8_t code, const char *v, size_t n)
{
	p[0] = code;
	p[1] = (uint8_t)n;
	memcpy(p + 2, v, n);
	return 2 + n;
}

static void test_dhcp_options(void **state)
{
	(void)state;
	uint8_t b[400] = {1, 1, 6, 0};
	memcpy(b + 28, "\x50\xc7\xbf\x00\xfc\xa3", 6);
	memcpy(b + 236, "\x63\x82\x53\x63", 4);
	size_t o = 240;
	o += put_opt(b + o, 53, "\x01", 1);
	o += put_opt(b + o, 12, "HS100(EU)", 9);
	o += put_opt(b + o, 55, "\x01\x03\x06\x0c\x0f\x1c", 6);
	o += put_opt(b + o, 60, "udhcp 0.9.9-pre", 15);
	o += put_opt(b + o, 57, "\x02\x40", 2);
	o += put_opt(b + o, 81, "\x04\x00\x00\x04host\x07" "example\x00", 17);
	o += put_opt(b + o, 161, "https://mud.example.com/x.json", 30);
	o += put_opt(b + o, 12, "second", 6); /* repeated: the first one counts */
	b[o++] = 255;
	struct mg_dhcp d;
	assert_int_equal(mg_dhcp_parse(&d, b, (uint32_t)o), 0);
	assert_int_equal(d.msg_type, MG_DHCP_DISCOVER);
	assert_int_equal(d.host.len, 9);
	assert_memory_equal(d.host.p, "HS100(EU)", 9);
	assert_int_equal(d.params.len, 6);
	assert_int_equal(d.params.p[5], 28); /* order kept */
	assert_int_equal(d.max_size, 576);
	assert_true(d.fqdn_wire);
	assert_int_equal(d.fqdn.len, 14);
	assert_int_equal(d.mud_url.len, 30);
	/* an option running past the end */
	b[o - 1] = 12;
	b[o] = 200;
	assert_int_equal(mg_dhcp_parse(&d, b, (uint32_t)o + 1), -EINVAL);
}

static void test_dhcp6(void **state)
{
	(void)state;
	static const uint8_t m[] = {
		1, 0xaa, 0xbb, 0xcc,				/* SOLICIT, xid */
		0, 1, 0, 10, 0, 3, 0, 1, 1, 2, 3, 4, 5, 6,	/* client id: DUID-LL */
		0, 16, 0, 12, 0, 0, 0x01, 0x37, 0, 6, 'd', 'h', 'c', 'p', 'c', 'd', /* vendor */
		0, 112, 0, 5, 'h', 't', 't', 'p', 's',		/* MUD URL */
		0, 6, 0, 4, 0, 23, 0, 24};			/* ORO */
	struct mg_dhcp6 d;
	assert_int_equal(mg_dhcp6_parse(&d, m, sizeof(m)), 0);
	assert_int_equal(d.msg_type, 1);
	assert_int_equal(d.duid_type, 3);
	assert_int_equal(d.vendor_enterprise, 311);
	assert_int_equal(d.vendor.len, 6);
	assert_memory_equal(d.vendor.p, "dhcpcd", 6);
	assert_int_equal(d.mud_url.len, 5);
	assert_int_equal(d.oro.len, 4);
	assert_int_equal(mg_dhcp6_parse(&d, m, sizeof(m) - 1), -EINVAL); /* ORO cut */
	uint8_t mac[6];
	assert_true(mg_dhcp6_duid_mac(&d, mac)); /* DUID-LL, Ethernet */
	assert_memory_equal(mac, "\x01\x02\x03\x04\x05\x06", 6);

	/* the same message inside two relay-forwards */
	uint8_t relay[2 * 38 + sizeof(m)];
	size_t inner = sizeof(m);
	memcpy(relay + 2 * 38, m, sizeof(m));
	for (int level = 1; level >= 0; level--) {
		uint8_t *r = relay + level * 38;
		memset(r, 0, 34);
		r[0] = 12;
		r[34] = 0, r[35] = 9, r[36] = (uint8_t)(inner >> 8), r[37] = (uint8_t)inner;
		inner += 38;
	}
	const uint8_t *msg;
	uint32_t len;
	assert_int_equal(mg_dhcp6_unwrap(relay, (uint32_t)inner, &msg, &len), 0);
	assert_ptr_equal(msg, relay + 2 * 38);
	assert_int_equal(len, sizeof(m));
	assert_int_equal(mg_dhcp6_unwrap(m, sizeof(m), &msg, &len), -ENOENT);
	assert_int_equal(mg_dhcp6_unwrap(relay, 40, &msg, &len), -EINVAL); /* cut */
}

static void test_tls_ja3(void **state)
{
	(void)state;
	/* TLS 1.2 ClientHello: GREASE cipher + 0x1301 + 0xc02b, SNI example.com,
	 * groups GREASE + x25519 + secp256r1, point formats {0}, ALPN h2 */
	uint8_t ext[] = {
		0, 0, 0, 16, 0, 14, 0, 0, 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm',
		0, 10, 0, 8, 0, 6, 0x1a, 0x1a, 0, 0x1d, 0, 0x17,
		0, 11, 0, 2, 1, 0,
		0, 16, 0, 5, 0, 3, 2, 'h', '2'};
	uint8_t hello[128 + sizeof(ext)];
	size_t o = 0;
	hello[o++] = 3, hello[o++] = 3;
	memset(hello + o, 0x11, 32), o += 32;
	hello[o++] = 0; /* session id */
	uint8_t ciphers[] = {0, 6, 0x0a, 0x0a, 0x13, 0x01, 0xc0, 0x2b};
	memcpy(hello + o, ciphers, sizeof(ciphers)), o += sizeof(ciphers);
	hello[o++] = 1, hello[o++] = 0; /* compression */
	hello[o++] = 0, hello[o++] = sizeof(ext);
	memcpy(hello + o, ext, sizeof(ext)), o += sizeof(ext);
	uint8_t rec[256];
	size_t hs = o + 4;
	uint8_t head[] = {22, 3, 1, (uint8_t)(hs >> 8), (uint8_t)hs, 1, 0, (uint8_t)(o >> 8), (uint8_t)o};
	memcpy(rec, head, sizeof(head));
	memcpy(rec + sizeof(head), hello, o);
	struct mg_tls_hello h;
	assert_int_equal(mg_tls_client_hello(rec, (uint32_t)(sizeof(head) + o), &h), 0);
	assert_string_equal(h.sni, "example.com");
	assert_string_equal(h.alpn, "h2");
	assert_string_equal(h.ja3, "771,4865-49195,0-10-11-16,29-23,0");
	assert_string_equal(h.ja3_md5, "53962ec19dcdb5203d1ae1d50be37d3d");
	char ver[16];
	assert_int_equal(h.max_version, 0x0303); /* no supported_versions: the legacy one */
	assert_string_equal(mg_tls_version_name(h.max_version, ver, sizeof(ver)), "1.2");
	assert_string_equal(mg_tls_version_name(0x0300, ver, sizeof(ver)), "SSL 3.0");
	/* cut anywhere: never a crash, never success on a partial record */
	for (size_t cut = 0; cut < sizeof(head) + o; cut++)
		assert_int_not_equal(mg_tls_client_hello(rec, (uint32_t)cut, &h), 0);
	rec[0] = 23; /* application data: not a hello */
	assert_int_equal(mg_tls_client_hello(rec, (uint32_t)(sizeof(head) + o), &h), -ENOENT);
}

struct versions {
	char s[8][160];
	int n;
};

static void on_version(const char *product, const char *version, void *user)
{
	struct versions *v = user;
	if (v->n < 8)
		snprintf(v->s[v->n], sizeof(v->s[0]), "%s=%s", product, version);
	v->n++;
}

static void test_banner_versions(void **state)
{
	(void)state;
	struct versions v = {0};
	mg_banner_versions("Linux/2.6.21, UPnP/1.0, Portable SDK for UPnP devices/1.6.18",
			   on_version, &v);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.s[0], "Linux=2.6.21");
	assert_string_equal(v.s[1], "Portable SDK for UPnP devices=1.6.18");
	memset(&v, 0, sizeof(v));
	mg_banner_versions("udhcp 1.21.1--LSDK-10.2-00082-4", on_version, &v);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.s[0], "udhcp=1.21.1--LSDK-10.2-00082-4");
	memset(&v, 0, sizeof(v));
	mg_banner_versions("Mozilla/5.0 (Linux; Android 13; Pixel 7) Chrome/120.0.1", on_version,
			   &v);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.s[1], "Chrome=120.0.1");
	memset(&v, 0, sizeof(v));
	mg_banner_versions("Withings UserAgent", on_version, &v);
	assert_int_equal(v.n, 0);
}

static void test_http_header(void **state)
{
	(void)state;
	static const char m[] = "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
				"server: Linux/3.14.0 UPnP/1.0 IpBridge/1.9.0\r\n\r\nUSN: body\r\n";
	char v[128];
	assert_int_equal(mg_http_kind((const uint8_t *)m, sizeof(m) - 1), MG_HTTP_REQUEST);
	assert_true(mg_http_header((const uint8_t *)m, sizeof(m) - 1, "SERVER", v, sizeof(v)) > 0);
	assert_string_equal(v, "Linux/3.14.0 UPnP/1.0 IpBridge/1.9.0");
	/* only in the header block */
	assert_int_equal(mg_http_header((const uint8_t *)m, sizeof(m) - 1, "USN", v, sizeof(v)), -1);
}

static void test_lldp_cdp(void **state)
{
	(void)state;
	static const uint8_t lldp[] = {
		0x02, 0x07, 4, 1, 2, 3, 4, 5, 6,	  /* chassis */
		0x0a, 0x04, 's', 'w', '0', '1',		  /* system name */
		0x0c, 0x05, 'I', 'O', 'S', ' ', '1',	  /* system description */
		0xfe, 0x07, 0x00, 0x00, 0x5e, 0x01, 'u', 'r', 'l', /* MUD URL */
		0x00, 0x00};
	struct mg_l2disc d;
	assert_int_equal(mg_lldp_parse(lldp, sizeof(lldp), &d), 0);
	assert_int_equal(d.name.len, 4);
	assert_memory_equal(d.desc.p, "IOS 1", 5);
	assert_int_equal(d.mud_url.len, 3);
	assert_int_equal(mg_lldp_parse(lldp, 12, &d), -EINVAL); /* system name cut */
	static const uint8_t cdp[] = {0xaa, 0xaa, 3, 0, 0, 0x0c, 0x20, 0x00, 2, 180, 0, 0,
				      0, 6, 0, 9, 'c', 'i', 's', 'c', 'o'};
	assert_int_equal(mg_cdp_parse(cdp, sizeof(cdp), &d), 0);
	assert_memory_equal(d.platform.p, "cisco", 5);
	assert_int_equal(mg_cdp_parse(lldp, sizeof(lldp), &d), -ENOENT);
}

static void test_tcp_sig(void **state)
{
	(void)state;
	/* Ethernet + IPv4 (DF, id 0x1234, ttl 60) + TCP SYN, window 29200, options
	 * mss 1460, sackOK, ts, nop, wscale 7 */
	static const uint8_t f[] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
		0x45, 0, 0, 60, 0x12, 0x34, 0x40, 0, 60, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1,
		0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0xa0, 0x02, 0x72, 0x10, 0, 0, 0, 0,
		2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
	struct mg_pkt p;
	struct mg_tcpsig s;
	assert_int_equal(mg_decode(&p, MG_LINK_ETHERNET, f, sizeof(f), sizeof(f), 0), MG_ANOM_NONE);
	assert_int_equal(mg_tcpsig_from_pkt(&p, &s), 0);
	assert_string_equal(s.text, "4:64:0:1460:mss*20,7:mss,sok,ts,nop,ws:df,id+:0");
	char path[] = "/tmp/mg-p0f-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	static const char db[] = "[tcp:request]\n"
				 "label = s:unix:Linux:3.11 and newer\n"
				 "sig   = *:64:0:*:mss*20,10:mss,sok,ts,nop,ws:df,id+:0\n"
				 "sig   = *:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0\n"
				 "label = g:unix:Linux:2.2.x-3.x\n"
				 "sig   = *:64:0:*:*,*:mss,sok,ts,nop,ws:df,id+:0\n"
				 "[tcp:response]\nlabel = s:unix:Other:x\nsig = broken\n";
	assert_int_equal(write(fd, db, sizeof(db) - 1), (ssize_t)(sizeof(db) - 1));
	close(fd);
	struct mg_p0f *p0f;
	char err[256];
	assert_int_equal(mg_p0f_load(&p0f, path, err, sizeof(err)), 0);
	int generic = -1;
	assert_string_equal(mg_p0f_match(p0f, &s, &generic), "Linux 3.11 and newer");
	assert_int_equal(generic, 0);
	s.scale = 3; /* only the generic signature still fits */
	assert_string_equal(mg_p0f_match(p0f, &s, &generic), "Linux 2.2.x-3.x");
	assert_int_equal(generic, 1);
	mg_p0f_free(p0f);
	FILE *w = fopen(path, "w");
	fputs("[tcp:request]\nlabel = s:unix:Linux:x\nsig = 1:2:3\n", w);
	fclose(w);
	assert_int_not_equal(mg_p0f_load(&p0f, path, err, sizeof(err)), 0);
	assert_non_null(strstr(err, ":3: bad signature"));
	unlink(path);
	/* the real database, where installed */
	if (access("/etc/p0f/p0f.fp", R_OK) == 0) {
		assert_int_equal(mg_p0f_load(&p0f, "/etc/p0f/p0f.fp", err, sizeof(err)), 0);
		mg_p0f_free(p0f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_compression), cmocka_unit_test(test_dns_bad_pointers),
		cmocka_unit_test(test_dns_name_escaping), cmocka_unit_test(test_netbios),
		cmocka_unit_test(test_text_clean),	cmocka_unit_test(test_dhcp_options),
		cmocka_unit_test(test_dhcp6),		cmocka_unit_test(test_tls_ja3),
		cmocka_unit_test(test_banner_versions), cmocka_unit_test(test_http_header),
		cmocka_unit_test(test_lldp_cdp),	cmocka_unit_test(test_tcp_sig),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The MUD matcher (every construct, closest-entry explanations), MUD URL
 * validation, site rules, and the writer (parse -> write -> parse). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../classify/mud.h"
#include "../../classify/mudmatch.h"
#include "../../classify/mudrules.h"

/* One profile exercising each construct; entries in from-device order. */
static const char PROFILE[] =
	"{\"ietf-mud:mud\": {\"mud-url\": \"https://vendor.example/dev.json\",\n"
	" \"from-device-policy\": {\"access-lists\": {\"access-list\": [{\"name\": \"fr\"}]}},\n"
	" \"to-device-policy\": {\"access-lists\": {\"access-list\": [{\"name\": \"to\"}]}}},\n"
	"\"ietf-access-control-list:acls\": {\"acl\": [\n"
	"{\"name\": \"fr\", \"aces\": {\"ace\": [\n"
	" {\"name\": \"deny-telnet\", \"matches\": {\"ipv4\": {\"protocol\": 6},"
	"   \"tcp\": {\"destination-port\": {\"operator\": \"eq\", \"port\": 23}}},"
	"   \"actions\": {\"forwarding\": \"drop\"}},\n"
	" {\"name\": \"cloud\", \"matches\": {\"ipv4\": {\"protocol\": 6,"
	"   \"ietf-acldns:dst-dnsname\": \"API.Vendor.example.\"},"
	"   \"tcp\": {\"destination-port\": {\"operator\": \"eq\", \"port\": 443},"
	"   \"ietf-mud:direction-initiated\": \"from-device\"}},"
	"   \"actions\": {\"forwarding\": \"accept\"}},\n"
	" {\"name\": \"ntp\", \"matches\": {\"ipv4\": {\"protocol\": 17,"
	"   \"destination-ipv4-network\": \"198.51.100.0/24\"},"
	"   \"udp\": {\"destination-port\": {\"lower-port\": 120, \"upper-port\": 125}}},"
	"   \"actions\": {\"forwarding\": \"accept\"}},\n"
	" {\"name\": \"high\", \"matches\": {\"ipv4\": {\"protocol\": 17},"
	"   \"udp\": {\"destination-port\": {\"operator\": \"gte\", \"port\": 50000}},"
	"   \"ietf-mud:mud\": {\"local-networks\": [null]}},"
	"   \"actions\": {\"forwarding\": \"accept\"}},\n"
	" {\"name\": \"ping\", \"matches\": {\"ipv4\": {\"protocol\": 1}, \"icmp\": {\"type\": 8}},"
	"   \"actions\": {\"forwarding\": \"accept\"}},\n"
	" {\"name\": \"peers\", \"matches\": {\"ietf-mud:mud\": {\"same-manufacturer\": [null]}},"
	"   \"actions\": {\"forwarding\": \"accept\"}},\n"
	" {\"name\": \"bulbs\", \"matches\": {\"ietf-mud:mud\": {\"model\": "
	"   \"https://bulbs.example/b1.json\"}}, \"actions\": {\"forwarding\": \"accept\"}},\n"
	" {\"name\": \"mfg\", \"matches\": {\"ietf-mud:mud\": {\"manufacturer\": \"hubs.example\"}},"
	"   \"actions\": {\"forwarding\": \"accept\"}},\n"
	" {\"name\": \"dns\", \"matches\": {\"ietf-mud:mud\": {\"controller\": "
	"   \"urn:ietf:params:mud:dns\"}}, \"actions\": {\"forwarding\": \"accept\"}},\n"
	" {\"name\": \"mine\", \"matches\": {\"ietf-mud:mud\": {\"my-controller\": [null]}},"
	"   \"actions\": {\"forwarding\": \"accept\"}}\n"
	"]}},\n"
	"{\"name\": \"to\", \"aces\": {\"ace\": [\n"
	" {\"name\": \"replies\", \"matches\": {\"ipv4\": {\"protocol\": 6},"
	"   \"tcp\": {\"source-port\": {\"operator\": \"eq\", \"port\": 443},"
	"   \"ietf-mud:direction-initiated\": \"from-device\"}},"
	"   \"actions\": {\"forwarding\": \"accept\"}},\n"
	" {\"name\": \"admin\", \"matches\": {\"ipv6\": {\"protocol\": 6,"
	"   \"source-ipv6-network\": \"fd00::/8\"},"
	"   \"tcp\": {\"destination-port\": {\"operator\": \"neq\", \"port\": 22}}},"
	"   \"actions\": {\"forwarding\": \"accept\"}},\n"
	" {\"name\": \"cam\", \"matches\": {\"ipv4\": {\"protocol\": 6},"
	"   \"tcp\": {\"destination-port\": {\"operator\": \"lte\", \"port\": 1024}}},"
	"   \"actions\": {\"forwarding\": \"accept\"}}\n"
	"]}}]}}\n";

struct world {
	const char *peer_url;
};

static size_t dns_names(void *user, const struct mg_addr *a, const char **out, size_t max)
{
	char buf[64];
	(void)user;
	if (max < 2 || strcmp(mg_addr_str(a, buf, sizeof(buf)), "203.0.113.7"))
		return 0;
	out[0] = "cdn.example";
	out[1] = "api.vendor.example";
	return 2;
}

static bool is_local(void *user, const struct mg_addr *a)
{
	(void)user;
	return mg_addr_is_v4(a) && a->b[12] == 192 && a->b[13] == 168;
}

static const char *peer_url(void *user)
{
	return ((struct world *)user)->peer_url;
}

static bool controller(void *user, const char *uri, const struct mg_addr *a)
{
	char buf[64];
	(void)user;
	mg_addr_str(a, buf, sizeof(buf));
	if (uri)
		return !strcmp(uri, "urn:ietf:params:mud:dns") && !strcmp(buf, "192.0.2.53");
	return !strcmp(buf, "192.0.2.99");
}

static struct mg_mud *load(void)
{
	struct mg_mud *m;
	assert_int_equal(mg_mud_parse(&m, "p.json", PROFILE, strlen(PROFILE), NULL, NULL), 0);
	return m;
}

/* Checks a flow of the device 192.168.1.10 and returns the verdict. */
static struct mg_mud_verdict check(const struct mg_mud *m, struct world *w, bool from_device,
				   const char *peer, uint8_t proto, uint16_t dev_port,
				   uint16_t peer_port, int icmp_type)
{
	struct mg_mud_env env = {dns_names, is_local, peer_url, controller, w,
				 "https://vendor.example/dev.json"};
	struct mg_mud_flow f = {.from_device = from_device, .proto = proto, .dev_port = dev_port,
				.peer_port = peer_port, .icmp_type = icmp_type, .icmp_code = -1};
	struct mg_mud_verdict v;
	bool v6 = strchr(peer, ':');
	assert_int_equal(mg_addr_parse(&f.dev, v6 ? "fd00::10" : "192.168.1.10"), 0);
	assert_int_equal(mg_addr_parse(&f.peer, peer), 0);
	f.ethertype = v6 ? 0x86dd : 0x0800;
	mg_mud_check(m, &env, &f, &v);
	return v;
}

#define ALLOWED_BY(v, entry)                                                   \
	do {                                                                   \
		assert_true((v).allowed);                                      \
		assert_string_equal((v).ace->name, entry);                     \
	} while (0)

static void test_constructs(void **state)
{
	(void)state;
	struct mg_mud *m = load();
	struct world w = {0};
	struct mg_mud_verdict v;

	/* dnsname, through passive DNS only */
	v = check(m, &w, true, "203.0.113.7", 6, 40000, 443, -1);
	ALLOWED_BY(v, "cloud");
	v = check(m, &w, true, "203.0.113.8", 6, 40000, 443, -1);
	assert_false(v.allowed);
	assert_string_equal(v.ace->name, "cloud");
	assert_int_equal(v.mismatches, 1);
	assert_non_null(strstr(v.why, "dst-dnsname api.vendor.example, and the device was never "
				     "answered 203.0.113.8 for it"));
	/* direction-initiated: a reply entry does not let the cloud open connections */
	v = check(m, &w, false, "203.0.113.7", 6, 8443, 443, -1);
	assert_false(v.allowed);
	assert_string_equal(v.ace->name, "replies");
	assert_non_null(strstr(v.why, "connections the device initiates, and the peer initiated "
				     "this one"));
	/* explicit drop wins over later entries */
	v = check(m, &w, true, "192.168.1.20", 6, 40000, 23, -1);
	assert_false(v.allowed);
	assert_true(v.denied_by_entry);
	assert_string_equal(v.ace->name, "deny-telnet");
	/* network and port range */
	ALLOWED_BY(check(m, &w, true, "198.51.100.9", 17, 123, 123, -1), "ntp");
	v = check(m, &w, true, "198.51.100.9", 17, 123, 126, -1);
	assert_false(v.allowed);
	assert_non_null(strstr(v.why, "destination port 120-125, the flow has 126"));
	v = check(m, &w, true, "198.51.101.9", 17, 123, 123, -1);
	assert_false(v.allowed);
	assert_non_null(strstr(v.why, "destination 198.51.100.0/24, the flow goes to 198.51.101.9"));
	/* gte + local-networks */
	ALLOWED_BY(check(m, &w, true, "192.168.1.30", 17, 999, 50000, -1), "high");
	assert_false(check(m, &w, true, "192.168.1.30", 17, 999, 49999, -1).allowed);
	assert_false(check(m, &w, true, "8.8.8.8", 17, 999, 50000, -1).allowed);
	/* ICMP type */
	ALLOWED_BY(check(m, &w, true, "8.8.8.8", 1, 0, 0, 8), "ping");
	assert_false(check(m, &w, true, "8.8.8.8", 1, 0, 0, 13).allowed);
	/* same-manufacturer, model and manufacturer from the peer's MUD URL */
	w.peer_url = "https://VENDOR.example/other.json";
	ALLOWED_BY(check(m, &w, true, "192.168.1.40", 6, 1, 8080, -1), "peers");
	w.peer_url = "https://bulbs.example/b1.json";
	ALLOWED_BY(check(m, &w, true, "192.168.1.40", 6, 1, 8080, -1), "bulbs");
	w.peer_url = "https://hubs.example/h.json";
	ALLOWED_BY(check(m, &w, true, "192.168.1.40", 6, 1, 8080, -1), "mfg");
	w.peer_url = NULL;
	/* controller class and my-controller from the site's mapping */
	ALLOWED_BY(check(m, &w, true, "192.0.2.53", 17, 5000, 53, -1), "dns");
	ALLOWED_BY(check(m, &w, true, "192.0.2.99", 6, 5000, 8443, -1), "mine");
	v = check(m, &w, true, "192.0.2.100", 6, 5000, 8443, -1);
	assert_false(v.allowed);
	/* to-device: v6 source prefix with neq; lte */
	ALLOWED_BY(check(m, &w, false, "fd12::1", 6, 80, 5555, -1), "admin");
	assert_false(check(m, &w, false, "fd12::1", 6, 22, 5555, -1).allowed);
	assert_false(check(m, &w, false, "2001:db8::1", 6, 80, 5555, -1).allowed);
	ALLOWED_BY(check(m, &w, false, "203.0.113.50", 6, 554, 5555, -1), "cam");
	assert_false(check(m, &w, false, "203.0.113.50", 6, 8080, 5555, -1).allowed);
	mg_mud_free(m);
}

static void test_empty_policy(void **state)
{
	(void)state;
	static const char p[] =
		"{\"ietf-mud:mud\": {\"mud-url\": \"https://a.example/x\"}}";
	struct mg_mud *m;
	struct world w = {0};
	assert_int_equal(mg_mud_parse(&m, "e.json", p, strlen(p), NULL, NULL), 0);
	struct mg_mud_verdict v = check(m, &w, true, "203.0.113.7", 6, 1, 443, -1);
	assert_false(v.allowed);
	assert_null(v.ace);
	assert_string_equal(v.why, "the from-device policy accepts nothing");
	mg_mud_free(m);
}

static void test_url_validation(void **state)
{
	(void)state;
	static const char *const good[] = {
		"https://mud.example.com/a.json", "https://mud.example.com:8443/x/y?model=2",
		"https://[2001:db8::1]/p", "https://luminaire.example.com/Luminaire_150"};
	static const char *const bad[][2] = {
		{"http://mud.example.com/a.json", "not an https URL"},
		{"https:///a.json", "no host"},
		{"https://mud.example.com", "no path"},
		{"https://mud.example.com/", "no path"},
		{"https://u:p@mud.example.com/a", "user information"},
		{"https://mud.example.com/../etc/passwd", "dot segment"},
		{"https://mud.example.com/a/./b", "dot segment"},
		{"https://mud.example.com//a", "empty path segment"},
		{"https://mud.example.com/a b", "byte 0x20"},
		{"https://mud.example.com/a;`id`", "byte 0x60"},
		{"https://mud.example.com/a\\x00", "byte 0x5c"},
		{"https://mud.example.com/%zz", "percent-escape"},
		{"https://mud.example.com/a#frag", "fragment"},
		{"https://mud.example.com:99999/a", "malformed port"},
		{"https://mud.example.com:/a", "malformed port"},
	};
	char why[160];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(mg_mud_url_valid(good[i], why, sizeof(why)));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = 0;
		if (mg_mud_url_valid(bad[i][0], why, sizeof(why)))
			fail_msg("%s: accepted", bad[i][0]);
		if (!strstr(why, bad[i][1]))
			fail_msg("%s: \"%s\" lacks \"%s\"", bad[i][0], why, bad[i][1]);
	}
	char long_url[1100] = "https://a.example/";
	memset(long_url + 18, 'a', 1050);
	assert_false(mg_mud_url_valid(long_url, why, sizeof(why)));
	char auth[64];
	assert_true(mg_mud_url_authority("https://Mud.Example.COM:443/x", auth, sizeof(auth)));
	assert_string_equal(auth, "mud.example.com:443");
}

static bool rules_dns(void *user, const char *name, const struct mg_addr *a)
{
	(void)user;
	return !strcmp(name, "ntp.example.com") && mg_addr_is_v4(a) && a->b[15] == 123;
}

static void test_site_rules(void **state)
{
	(void)state;
	static const char text[] =
		"# site\n"
		"bind mac 00:17:88:* https://mud.example.com/hue.json\n"
		"bind vendor \"Hik*\" https://mud.example.com/cam.json\n"
		"bind type Plug https://mud.example.com/plug.json\n"
		"controller urn:ietf:params:mud:ntp 10.0.0.0/24 ntp.example.com\n"
		"my-controller https://mud.example.com/hub.json fd00::1\n";
	struct mg_mudrules *r;
	char err[256];
	const char *where, *what;
	const uint8_t hue[6] = {0x00, 0x17, 0x88, 1, 2, 3}, other[6] = {2, 0, 0, 0, 0, 1};
	const char *none[4] = {NULL, NULL, NULL, NULL};
	const char *hik[4] = {"Hikvision", "camera", NULL, NULL};
	const char *plug[4] = {"TP-Link", "plug", NULL, "plug"};

	assert_int_equal(mg_mudrules_load_mem(&r, "site.rules", text, strlen(text), err,
					      sizeof(err)), 0);
	assert_int_equal(mg_mudrules_count(r), 5);
	assert_string_equal(mg_mudrules_bind(r, hue, none, &where, &what),
			    "https://mud.example.com/hue.json");
	assert_string_equal(where, "site.rules:2");
	assert_string_equal(what, "mac=00:17:88:*");
	assert_string_equal(mg_mudrules_bind(r, other, hik, &where, &what),
			    "https://mud.example.com/cam.json");
	assert_string_equal(mg_mudrules_bind(r, other, plug, &where, &what),
			    "https://mud.example.com/plug.json"); /* globs ignore case */
	assert_null(mg_mudrules_bind(r, other, none, &where, &what));
	struct mg_addr a;
	mg_addr_parse(&a, "10.0.0.7");
	assert_true(mg_mudrules_controller(r, "urn:ietf:params:mud:ntp", NULL, &a, rules_dns, NULL));
	assert_false(mg_mudrules_controller(r, "urn:ietf:params:mud:dns", NULL, &a, rules_dns, NULL));
	mg_addr_parse(&a, "203.0.113.123");
	assert_true(mg_mudrules_controller(r, "urn:ietf:params:mud:ntp", NULL, &a, rules_dns, NULL));
	mg_addr_parse(&a, "fd00::1");
	assert_true(mg_mudrules_controller(r, NULL, "https://mud.example.com/hub.json", &a, NULL,
					   NULL));
	assert_false(mg_mudrules_controller(r, NULL, "https://mud.example.com/cam.json", &a, NULL,
					    NULL));
	mg_mudrules_free(r);

	static const char *const bad[][2] = {
		{"bind colour red https://a.example/x\n", "x.rules:1: unknown attribute \"colour\""},
		{"\n\nbind mac * http://a.example/x\n", "x.rules:3: bad MUD URL: not an https URL"},
		{"bind mac * https://a.example/x extra\n", "unexpected \"extra\""},
		{"controller urn:x\n", "controller needs at least one address"},
		{"controller urn:x 10.0.0.0/33\n", "\"10.0.0.0/33\" is not an address, prefix or DNS name"},
		{"allow everything\n", "unknown rule \"allow\""},
		{"bind mac \"unterminated https://a.example/x\n", "unterminated quote"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_true(mg_mudrules_load_mem(&r, "x.rules", bad[i][0], strlen(bad[i][0]), err,
						 sizeof(err)) < 0);
		assert_null(r);
		if (!strstr(err, bad[i][1]))
			fail_msg("\"%s\" lacks \"%s\"", err, bad[i][1]);
	}
}

/* Writing what was read and reading it again keeps every entry's meaning. */
static void test_write_roundtrip(void **state)
{
	(void)state;
	struct mg_mud *a = load(), *b;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(mg_mud_write(f, a), 0);
	fclose(f);
	assert_int_equal(mg_mud_parse(&b, "w.json", buf, len, NULL, NULL), 0);
	assert_int_equal(a->n_acl, b->n_acl);
	for (size_t i = 0; i < a->n_acl; i++) {
		assert_int_equal(a->acl[i].n, b->acl[i].n);
		for (size_t j = 0; j < a->acl[i].n; j++) {
			const struct mg_mud_ace *x = &a->acl[i].ace[j], *y = &b->acl[i].ace[j];
			assert_string_equal(x->name, y->name);
			assert_int_equal(x->action, y->action);
			assert_int_equal(x->family, y->family);
			assert_int_equal(x->proto, y->proto);
			assert_int_equal(x->icmp_type, y->icmp_type);
			assert_int_equal(x->initiated, y->initiated);
			assert_memory_equal(&x->sport, &y->sport, sizeof(x->sport));
			assert_memory_equal(&x->dport, &y->dport, sizeof(x->dport));
			assert_memory_equal(&x->src_net, &y->src_net, sizeof(x->src_net));
			assert_memory_equal(&x->dst_net, &y->dst_net, sizeof(x->dst_net));
			assert_int_equal(!!x->dst_dnsname, !!y->dst_dnsname);
			if (x->dst_dnsname)
				assert_string_equal(x->dst_dnsname, y->dst_dnsname);
			assert_int_equal(x->local_networks, y->local_networks);
			assert_int_equal(x->same_manufacturer, y->same_manufacturer);
			assert_int_equal(x->my_controller, y->my_controller);
			assert_int_equal(!!x->model, !!y->model);
			assert_int_equal(!!x->manufacturer, !!y->manufacturer);
			assert_int_equal(!!x->controller, !!y->controller);
		}
	}
	free(buf);
	mg_mud_free(a);
	mg_mud_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constructs),
		cmocka_unit_test(test_empty_policy),
		cmocka_unit_test(test_url_validation),
		cmocka_unit_test(test_site_rules),
		cmocka_unit_test(test_write_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

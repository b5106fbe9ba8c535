/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Identification: rules (format errors name file and line), scoring and
 * hysteresis, substitutions, software versions, passive DNS, and learned
 * fingerprint models (classify, unknown, save/load, corrupt and truncated). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../classify/fpmodel.h"
#include "../../classify/ident.h"

static struct mg_rules *rules(const char *text)
{
	struct mg_rules *r;
	char err[256];
	int rc = mg_rules_load_mem(&r, "t.rules", text, strlen(text), err, sizeof(err));
	if (rc)
		fail_msg("%s", err);
	return r;
}

static void expect_error(const char *text, const char *want)
{
	struct mg_rules *r;
	char err[256] = "";
	assert_int_not_equal(mg_rules_load_mem(&r, "t.rules", text, strlen(text), err, sizeof(err)),
			     0);
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void test_rule_errors(void **state)
{
	(void)state;
	expect_error("# fine\n\nbogus.signal x vendor=y\n", "t.rules:3: unknown signal \"bogus.signal\"");
	expect_error("dhcp.hostname\n", "t.rules:1: expected a pattern");
	expect_error("dhcp.hostname x\n", "t.rules:1: a rule needs vendor=, class= or model=");
	expect_error("dhcp.hostname x class=toaster\n", "t.rules:1: unknown class \"toaster\"");
	expect_error("dhcp.hostname x vendor=a weight=1.5\n", "t.rules:1: weight must be above 0");
	expect_error("dhcp.hostname x vendor=a weight=0\n", "weight must be above 0");
	expect_error("dhcp.hostname \"x vendor=a\n", "t.rules:1: unterminated quote");
	expect_error("dhcp.hostname x colour=red\n", "unknown key \"colour\"");
	expect_error("dhcp.hostname x vendor=a vendor=b\n", "vendor given twice");
	expect_error("dhcp.hostname x vendor=$foo\n", "unknown substitution");
	expect_error("dhcp.hostname x class=$value\n", "class must be one of the fixed names");
	expect_error("dhcp.hostname x vendor=a module=yes\n", "t.rules:1: module=yes is for oui.vendor");
	expect_error("oui.vendor x vendor=a module=no\n", "module takes \"yes\"");
	struct mg_rules *r = rules("dhcp.hostname \"a b\" vendor=\"Quoted \\\"Name\\\"\" # comment\n");
	assert_int_equal(mg_rules_count(r), 1);
	mg_rules_free(r);
}

static struct mg_ident_cfg cfg_for(const struct mg_rules *r, const struct mg_fpmodel *m)
{
	return (struct mg_ident_cfg){r, m, 64, 0.15, 0.3, 0.1};
}

static void test_scoring_and_hysteresis(void **state)
{
	(void)state;
	struct mg_rules *r = rules("dhcp.hostname \"cam*\" class=camera weight=0.6\n"
				   "mdns.service _ipp._tcp class=printer weight=0.65\n"
				   "mdns.txt \"ty=*\" class=printer weight=0.8\n"
				   "oui.vendor \"Brother*\" vendor=Brother weight=0.6\n"
				   "dns.query \"*.brother.com\" vendor=Brother weight=0.5\n");
	struct mg_ident_cfg cfg = cfg_for(r, NULL);
	struct mg_ident *id = mg_ident_new(&cfg);
	struct mg_identity idt;

	assert_false(mg_ident_update(id, 0)); /* nothing known: no news */
	assert_int_equal(mg_ident_add(id, MG_SIG_DHCP_HOSTNAME, "cam-hall", 1), 1);
	assert_int_equal(mg_ident_add(id, MG_SIG_DHCP_HOSTNAME, "cam-hall", 2), 0); /* known */
	assert_true(mg_ident_update(id, 1));
	mg_ident_get(id, &idt);
	assert_string_equal(idt.value[MG_ATTR_CLASS], "camera");
	assert_float_equal(idt.confidence, 0.6, 1e-9);
	/* a rival as strong is evidence against it: neither is shown (camera
	 * 0.6 x (1 - 0.65) and printer 0.65 x (1 - 0.6) are below 0.3)... */
	mg_ident_add(id, MG_SIG_MDNS_SERVICE, "_ipp._tcp", 3);
	assert_true(mg_ident_update(id, 2));
	mg_ident_get(id, &idt);
	assert_null(idt.value[MG_ATTR_CLASS]);
	/* ...a clearly stronger one is, its confidence lowered by the rival:
	 * (1 - 0.35 x 0.2) x (1 - 0.6) */
	mg_ident_add(id, MG_SIG_MDNS_TXT, "ty=Brother HL-2350", 4);
	assert_true(mg_ident_update(id, 3));
	mg_ident_get(id, &idt);
	assert_string_equal(idt.value[MG_ATTR_CLASS], "printer");
	assert_float_equal(idt.score[MG_ATTR_CLASS], (1 - 0.35 * 0.2) * (1 - 0.6), 1e-9);
	/* two vendor rules combine; a rule matching twice counts once */
	mg_ident_add(id, MG_SIG_OUI_VENDOR, "Brother Industries, LTD.", 5);
	mg_ident_add(id, MG_SIG_DNS_QUERY, "a.brother.com", 6);
	mg_ident_add(id, MG_SIG_DNS_QUERY, "b.brother.com", 7);
	assert_true(mg_ident_update(id, 4));
	mg_ident_get(id, &idt);
	assert_string_equal(idt.value[MG_ATTR_VENDOR], "Brother");
	assert_float_equal(idt.score[MG_ATTR_VENDOR], 1 - 0.4 * 0.5, 1e-9);
	struct mg_ident_use use[8];
	size_t n = mg_ident_used(id, use, 8);
	assert_int_equal(n, 5); /* ty=, _ipp, oui, two dns hits (the camera one is not used) */
	assert_string_equal(use[0].rule, "t.rules:3");
	assert_true(use[0].supports[MG_ATTR_CLASS]);
	assert_false(use[0].supports[MG_ATTR_VENDOR]);
	mg_ident_free(id);
	mg_rules_free(r);
}

/* A radio-module maker's OUI is evidence of the module: the brand comes from
 * what the device says, and only when nothing does is the module maker shown,
 * as such (vendor_source "module"). */
static void test_module_oui(void **state)
{
	(void)state;
	struct mg_rules *r = rules("oui.vendor \"AzureWave*\" vendor=AzureWave module=yes weight=0.3\n"
				   "oui.vendor \"*\" vendor=$value weight=0.3\n"
				   "dhcp.hostname \"Roomba-*\" vendor=iRobot class=vacuum weight=0.9\n"
				   "oui.vendor \"Acme*\" vendor=Acme weight=0.6\n");
	struct mg_ident_cfg cfg = cfg_for(r, NULL);
	struct mg_ident *id = mg_ident_new(&cfg);
	struct mg_identity idt;

	mg_ident_add(id, MG_SIG_OUI_VENDOR, "AzureWave Technology Inc.", 1);
	mg_ident_update(id, 1);
	mg_ident_get(id, &idt);
	assert_string_equal(idt.value[MG_ATTR_VENDOR], "AzureWave"); /* not the registry name */
	assert_string_equal(idt.vendor_source, "module");
	mg_ident_add(id, MG_SIG_DHCP_HOSTNAME, "Roomba-3176C01071035670", 2);
	assert_true(mg_ident_update(id, 2));
	mg_ident_get(id, &idt);
	assert_string_equal(idt.value[MG_ATTR_VENDOR], "iRobot");
	assert_string_equal(idt.value[MG_ATTR_CLASS], "vacuum");
	assert_string_equal(idt.vendor_source, "device");
	mg_ident_free(id);

	id = mg_ident_new(&cfg); /* a brand's own block is the brand */
	mg_ident_add(id, MG_SIG_OUI_VENDOR, "Acme Devices", 1);
	mg_ident_update(id, 1);
	mg_ident_get(id, &idt);
	assert_string_equal(idt.value[MG_ATTR_VENDOR], "Acme");
	assert_string_equal(idt.vendor_source, "oui");
	mg_ident_free(id);
	mg_rules_free(r);
}

/* computer and phone need evidence of a general-purpose OS: a TCP signature's
 * label alone (any embedded Linux has one) is not enough. */
static void test_general_purpose_needs_os(void **state)
{
	(void)state;
	struct mg_rules *r = rules("tcp.os \"Windows*\" class=computer weight=0.6\n"
				   "http.user_agent \"*Windows NT*\" class=computer weight=0.5\n");
	struct mg_ident_cfg cfg = cfg_for(r, NULL);
	struct mg_ident *id = mg_ident_new(&cfg);
	struct mg_identity idt;

	mg_ident_add(id, MG_SIG_TCP_OS, "Windows 7 or 8", 1);
	mg_ident_update(id, 1);
	mg_ident_get(id, &idt);
	assert_null(idt.value[MG_ATTR_CLASS]);
	mg_ident_add(id, MG_SIG_HTTP_USER_AGENT, "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", 2);
	assert_true(mg_ident_update(id, 2));
	mg_ident_get(id, &idt);
	assert_string_equal(idt.value[MG_ATTR_CLASS], "computer");
	assert_float_equal(idt.score[MG_ATTR_CLASS], 1 - 0.4 * 0.5, 1e-9); /* both count now */
	mg_ident_free(id);

	/* a TCP label with a browser's spread of names counts too */
	id = mg_ident_new(&cfg);
	mg_ident_add(id, MG_SIG_TCP_OS, "Windows 7 or 8", 1);
	char name[64];
	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "www.site%d.example", i);
		mg_ident_add(id, MG_SIG_DNS_QUERY, name, 2);
	}
	mg_ident_update(id, 2);
	mg_ident_get(id, &idt);
	assert_string_equal(idt.value[MG_ATTR_CLASS], "computer");
	mg_ident_free(id);
	mg_rules_free(r);
}

static void test_substitutions_and_software(void **state)
{
	(void)state;
	struct mg_rules *r = rules("dhcp.hostname \"DCS-*\" class=camera model=$value weight=0.9\n"
				   "mdns.txt \"md=*\" model=$= weight=0.95\n"
				   "ssdp.type \"urn:Belkin:device:*:1\" model=$* weight=0.5\n");
	struct mg_ident_cfg cfg = cfg_for(r, NULL);
	struct mg_ident *id = mg_ident_new(&cfg);
	struct mg_identity idt;

	mg_ident_add(id, MG_SIG_DHCP_HOSTNAME, "DCS-935L", 1);
	mg_ident_update(id, 1);
	mg_ident_get(id, &idt);
	assert_string_equal(idt.value[MG_ATTR_MODEL], "DCS-935L");
	mg_ident_add(id, MG_SIG_SSDP_TYPE, "urn:Belkin:device:insight:1", 2);
	mg_ident_add(id, MG_SIG_MDNS_TXT, "md=Chromecast Ultra", 2);
	mg_ident_update(id, 2);
	mg_ident_get(id, &idt);
	assert_string_equal(idt.value[MG_ATTR_MODEL], "DCS-935L"); /* 0.95 < 0.9 + 0.15 */
	mg_ident_add(id, MG_SIG_DHCP_VENDOR, "udhcp 1.22.1", 3);
	mg_ident_add(id, MG_SIG_SSDP_SERVER, "Linux/2.6.21, UPnP/1.0, Portable SDK for UPnP devices/1.6.18", 3);
	mg_ident_add(id, MG_SIG_MDNS_TXT, "fw=4.2.1", 3);
	const struct mg_software *sw;
	size_t n = mg_ident_software(id, &sw);
	assert_int_equal(n, 4);
	assert_string_equal(sw[0].product, "udhcp");
	assert_string_equal(sw[0].version, "1.22.1");
	assert_int_equal(sw[0].from, MG_SIG_DHCP_VENDOR);
	assert_string_equal(sw[2].product, "Portable SDK for UPnP devices");
	assert_string_equal(sw[3].product, "fw");
	assert_string_equal(sw[3].version, "4.2.1");
	mg_ident_free(id);
	mg_rules_free(r);
}

static void test_signal_cap(void **state)
{
	(void)state;
	struct mg_ident_cfg cfg = cfg_for(NULL, NULL);
	cfg.max_signals = 16;
	struct mg_ident *id = mg_ident_new(&cfg);
	char v[16];
	for (int i = 0; i < 20; i++) {
		snprintf(v, sizeof(v), "n%d.example", i);
		assert_int_equal(mg_ident_add(id, MG_SIG_DNS_QUERY, v, 1), i < 16 ? 1 : -1);
	}
	assert_int_equal(mg_ident_count(id), 16);
	assert_int_equal(mg_ident_dropped(id), 4);
	mg_ident_free(id);
}

static void test_passive_dns(void **state)
{
	(void)state;
	struct mg_ident_cfg cfg = cfg_for(NULL, NULL);
	struct mg_ident *id = mg_ident_new(&cfg);
	struct mg_addr a, b;
	mg_addr_parse(&a, "198.18.0.5");
	mg_addr_parse(&b, "2001:db8::5");
	mg_ident_dns_add(id, "api.example.com", &a, 60, 1000000);
	mg_ident_dns_add(id, "v6.example.com", &b, 10, 1000000);
	assert_string_equal(mg_ident_dns_name(id, &a, 30000000), "api.example.com");
	assert_null(mg_ident_dns_name(id, &b, 30000000)); /* its TTL ran out */
	assert_int_equal(mg_ident_dns_count(id, 30000000), 1);
	mg_ident_dns_add(id, "other.example.com", &a, 60, 40000000); /* re-resolved */
	assert_string_equal(mg_ident_dns_name(id, &a, 41000000), "other.example.com");
	/* both names stay answered for the address (CDNs share addresses) */
	assert_true(mg_ident_dns_has(id, "API.example.com", &a, 41000000, 0));
	assert_true(mg_ident_dns_has(id, "other.example.com", &a, 41000000, 0));
	assert_false(mg_ident_dns_has(id, "third.example.com", &a, 41000000, 0));
	/* past its TTL only within the grace period */
	assert_false(mg_ident_dns_has(id, "v6.example.com", &b, 30000000, 0));
	assert_true(mg_ident_dns_has(id, "v6.example.com", &b, 30000000, 20000000));
	char name[32];
	for (int i = 0; i < MG_IDENT_MAX_DNS + 10; i++) { /* full: the soonest to expire goes */
		struct mg_addr x;
		char ip[32];
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 250, i % 250 + 1);
		snprintf(name, sizeof(name), "h%d", i);
		mg_addr_parse(&x, ip);
		mg_ident_dns_add(id, name, &x, 3600, 50000000);
	}
	assert_int_equal(mg_ident_dns_count(id, 50000000), MG_IDENT_MAX_DNS);
	mg_ident_free(id);
}

static size_t toks(const char *host, const char *vendor, struct mg_fp_tok *t)
{
	uint64_t h[2 * MG_FP_TOKENS_PER_SIGNAL];
	size_t n = mg_fp_tokens(MG_SIG_DHCP_HOSTNAME, host, h);
	n += mg_fp_tokens(MG_SIG_DHCP_VENDOR, vendor, h + n);
	for (size_t i = 0; i < n; i++)
		t[i] = (struct mg_fp_tok){h[i], (uint32_t)(i * 500)};
	return n;
}

static size_t hashes(const struct mg_fp_tok *t, size_t n, uint64_t *h)
{
	for (size_t i = 0; i < n; i++)
		h[i] = t[i].h;
	return n;
}

static struct mg_fpmodel *small_model(void)
{
	struct mg_fpmodel *m = mg_fpmodel_new();
	struct mg_fp_tok t[8];
	size_t n;
	n = toks("ESP_0A1B2C", "udhcp 1.0", t);
	assert_int_equal(mg_fpmodel_add(m, "kettle", "k1.pcap", t, n), 0);
	n = toks("ESP_0A1B3D", "udhcp 1.0", t);
	assert_int_equal(mg_fpmodel_add(m, "kettle", "k2.pcap", t, n), 0);
	n = toks("HS110(EU)", "udhcp 0.9.9-pre", t);
	assert_int_equal(mg_fpmodel_add(m, "plug", "p1.pcap", t, n), 0);
	assert_int_equal(mg_fpmodel_finish(m), 0);
	return m;
}

static void test_model_classify(void **state)
{
	(void)state;
	struct mg_fpmodel *m = small_model();
	struct mg_fp_tok t[8];
	uint64_t h[8];
	struct mg_fp_result r;

	/* an unseen unit of a known type: the masked shape of its name matches */
	size_t n = hashes(t, toks("ESP_99FF00", "udhcp 1.0", t), h);
	mg_fpmodel_classify(m, h, n, UINT64_MAX, &r);
	assert_non_null(r.label);
	assert_string_equal(r.label, "kettle");
	assert_true(r.confidence > 0.3 && r.confidence <= 1.0);
	/* nothing in common: unknown */
	n = hashes(t, toks("totally-else", "MSFT 5.0", t), h);
	mg_fpmodel_classify(m, h, n, UINT64_MAX, &r);
	assert_null(r.label);
	assert_true(r.similarity < MG_FP_MIN_SIMILARITY);
	mg_fpmodel_free(m);
}

static void test_model_files(void **state)
{
	(void)state;
	struct mg_fpmodel *m = small_model(), *back;
	char path[] = "/tmp/mg-model-XXXXXX", err[512];
	int fd = mkstemp(path);
	close(fd);
	assert_int_equal(mg_fpmodel_save(m, path, err, sizeof(err)), 0);
	assert_int_equal(mg_fpmodel_load(&back, path, err, sizeof(err)), 0);
	assert_int_equal(mg_fpmodel_samples(back), 3);
	assert_int_equal(mg_fpmodel_labels(back), 2);
	mg_fpmodel_free(back);

	FILE *f = fopen(path, "rb");
	char buf[8192];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* truncated anywhere: a clear error, never a model */
	for (size_t cut = 0; cut < len; cut += 7) {
		int rc = mg_fpmodel_load_mem(&back, path, buf, cut, err, sizeof(err));
		assert_int_not_equal(rc, 0);
		assert_null(back);
		assert_non_null(strstr(err, path));
	}
	/* one flipped digit in a token: the checksum catches it */
	char *tab = strstr(buf, "k1.pcap\t");
	assert_non_null(tab);
	tab[8] = tab[8] == '0' ? '1' : '0';
	assert_int_not_equal(mg_fpmodel_load_mem(&back, path, buf, len, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "checksum mismatch"));
	/* not a model at all */
	assert_int_not_equal(mg_fpmodel_load_mem(&back, path, "hello\n", 6, err, sizeof(err)), 0);
	assert_non_null(strstr(err, ":1: not a mudguard fingerprint model"));
	unlink(path);
	mg_fpmodel_free(m);
}

static void test_model_in_identity(void **state)
{
	(void)state;
	struct mg_fpmodel *m = small_model();
	struct mg_rules *r = rules("model.type kettle vendor=Smarter class=appliance weight=0.9\n");
	struct mg_ident_cfg cfg = cfg_for(r, m);
	struct mg_ident *id = mg_ident_new(&cfg);
	struct mg_identity idt;

	mg_ident_add(id, MG_SIG_DHCP_HOSTNAME, "ESP_777777", 1);
	mg_ident_add(id, MG_SIG_DHCP_VENDOR, "udhcp 1.0", 1);
	assert_true(mg_ident_update(id, 2000000));
	mg_ident_get(id, &idt);
	assert_string_equal(idt.value[MG_ATTR_TYPE], "kettle");
	assert_string_equal(idt.value[MG_ATTR_CLASS], "appliance");
	assert_string_equal(idt.value[MG_ATTR_VENDOR], "Smarter");
	const struct mg_fp_result *res = mg_ident_model(id);
	assert_non_null(res);
	assert_string_equal(res->nearest[0] == 'k' ? "k" : res->nearest, "k");
	mg_ident_free(id);
	mg_rules_free(r);
	mg_fpmodel_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_errors),
		cmocka_unit_test(test_scoring_and_hysteresis),
		cmocka_unit_test(test_module_oui),
		cmocka_unit_test(test_general_purpose_needs_os),
		cmocka_unit_test(test_substitutions_and_software),
		cmocka_unit_test(test_signal_cap),
		cmocka_unit_test(test_passive_dns),
		cmocka_unit_test(test_model_classify),
		cmocka_unit_test(test_model_files),
		cmocka_unit_test(test_model_in_identity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

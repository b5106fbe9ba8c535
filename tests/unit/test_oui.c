/* SPDX-License-Identifier: GPL-3.0-or-later */
/* OUI lookup: longest prefix across the three registries, quoted names,
 * locally administered addresses; the real registry where installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../classify/oui.h"

static char dir[] = "/tmp/mg-oui-XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	write_file("oui.csv", "Registry,Assignment,Organization Name,Organization Address\n"
			      "MA-L,50C7BF,\"TP-LINK TECHNOLOGIES CO.,LTD.\",\"Shenzhen\"\n"
			      "MA-L,001788,Philips Lighting BV,Eindhoven NL\n"
			      "MA-L,70B3D5,IEEE Registration Authority,Piscataway\n"
			      "garbage line\n");
	write_file("mam.csv", "Registry,Assignment,Organization Name,Organization Address\n"
			      "MA-M,70B3D51,Small Vendor Ltd,Somewhere\n");
	return 0;
}

static int teardown(void **state)
{
	char path[256];
	(void)state;
	snprintf(path, sizeof(path), "%s/oui.csv", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/mam.csv", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}

static void test_fixture(void **state)
{
	struct mg_oui *o;
	char err[256];
	const uint8_t tplink[6] = {0x50, 0xc7, 0xbf, 1, 2, 3};
	const uint8_t hue[6] = {0x00, 0x17, 0x88, 1, 2, 3};
	const uint8_t small[6] = {0x70, 0xb3, 0xd5, 0x1a, 2, 3};
	const uint8_t parent[6] = {0x70, 0xb3, 0xd5, 0x2a, 2, 3};
	const uint8_t none[6] = {0x12, 0x34, 0x56, 1, 2, 3};
	(void)state;

	assert_int_equal(mg_oui_load(&o, dir, err, sizeof(err)), 0);
	assert_int_equal(mg_oui_count(o), 4);
	assert_string_equal(mg_oui_lookup(o, tplink), "TP-LINK TECHNOLOGIES CO.,LTD.");
	assert_string_equal(mg_oui_lookup(o, hue), "Philips Lighting BV");
	assert_string_equal(mg_oui_lookup(o, small), "Small Vendor Ltd");
	assert_string_equal(mg_oui_lookup(o, parent), "IEEE Registration Authority");
	assert_null(mg_oui_lookup(o, none));
	assert_true(mg_mac_is_local((const uint8_t[6]){0x02, 0x6a, 0x11, 0, 0, 0}));
	assert_false(mg_mac_is_local(tplink));
	mg_oui_free(o);
}

static void test_missing_dir(void **state)
{
	struct mg_oui *o = NULL;
	char err[256] = "";
	(void)state;
	assert_int_not_equal(mg_oui_load(&o, "/nonexistent-mg", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "/nonexistent-mg/oui.csv"));
}

static void test_real_registry(void **state)
{
	struct mg_oui *o;
	char err[256];
	const uint8_t hik[6] = {0x44, 0x19, 0xb6, 0, 0, 1};
	(void)state;
	if (access(MG_OUI_DEFAULT_DIR "/oui.csv", R_OK) != 0)
		skip();
	assert_int_equal(mg_oui_load(&o, MG_OUI_DEFAULT_DIR, err, sizeof(err)), 0);
	assert_true(mg_oui_count(o) > 30000);
	assert_non_null(strstr(mg_oui_lookup(o, hik), "Hikvision"));
	mg_oui_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_missing_dir),
		cmocka_unit_test(test_real_registry),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

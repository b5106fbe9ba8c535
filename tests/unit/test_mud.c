/* SPDX-License-Identifier: GPL-3.0-or-later */
/* MUD file reader: every construct of RFC 8520/8519 we support, draft-era
 * spellings, and problems that name file, line, column and JSON path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../classify/mud.h"

struct msgs {
	char text[16][512];
	int n, errors, warnings;
};

static void collect(enum mg_mud_severity sev, const char *msg, void *user)
{
	struct msgs *m = user;
	if (m->n < 16)
		snprintf(m->text[m->n], sizeof(m->text[0]), "%s", msg);
	m->n++;
	if (sev == MG_MUD_ERROR)
		m->errors++;
	else
		m->warnings++;
}

static bool has(const struct msgs *m, const char *want)
{
	for (int i = 0; i < m->n && i < 16; i++)
		if (strstr(m->text[i], want))
			return true;
	return false;
}

static const char full[] =
	"{\n"
	"  \"ietf-mud:mud\": {\n"
	"    \"mud-version\": 1,\n"
	"    \"mud-url\": \"https://example.com/bulb\",\n"
	"    \"cache-validity\": 24,\n"
	"    \"is-supported\": true,\n"
	"    \"systeminfo\": \"Bulb\",\n"
	"    \"from-device-policy\": {\"access-lists\": {\"access-list\": [{\"name\": \"fr\"}]}},\n"
	"    \"to-device-policy\": {\"access-lists\": {\"access-list\": [{\"name\": \"to\"}]}}\n"
	"  },\n"
	"  \"ietf-access-control-list:acls\": {\"acl\": [\n"
	"    {\"name\": \"fr\", \"type\": \"ipv4-acl-type\", \"aces\": {\"ace\": [\n"
	"      {\"name\": \"cloud\", \"matches\": {\n"
	"         \"ipv4\": {\"ietf-acldns:dst-dnsname\": \"api.example.com\", \"protocol\": 6},\n"
	"         \"tcp\": {\"ietf-mud:direction-initiated\": \"from-device\",\n"
	"                 \"destination-port\": {\"operator\": \"eq\", \"port\": 443}}},\n"
	"       \"actions\": {\"forwarding\": \"accept\"}},\n"
	"      {\"name\": \"lan\", \"matches\": {\"ietf-mud:mud\": {\"local-networks\": [null]},\n"
	"         \"udp\": {\"destination-port\": {\"lower-port\": 5000, \"upper-port\": 5010}}},\n"
	"       \"actions\": {\"forwarding\": \"accept\"}},\n"
	"      {\"name\": \"ctl\", \"matches\": {\"ietf-mud:mud\": {\"controller\": \"urn:ietf:params:mud:ntp\"}},\n"
	"       \"actions\": {\"forwarding\": \"accept\"}},\n"
	"      {\"name\": \"net\", \"matches\": {\"ipv4\": {\"destination-ipv4-network\": \"198.51.100.0/24\", \"protocol\": 17},\n"
	"         \"udp\": {\"source-port\": {\"operator\": \"gte\", \"port\": 1024}}},\n"
	"       \"actions\": {\"forwarding\": \"reject\"}},\n"
	"      {\"name\": \"ping\", \"matches\": {\"ipv4\": {\"protocol\": 1}, \"icmp\": {\"type\": 8, \"code\": 0}},\n"
	"       \"actions\": {\"forwarding\": \"ietf-access-control-list:drop\"}}\n"
	"    ]}},\n"
	"    {\"name\": \"to\", \"type\": \"ipv6-acl-type\", \"aces\": {\"ace\": [\n"
	"      {\"name\": \"man\", \"matches\": {\"ietf-mud:mud\": {\"same-manufacturer\": [null], \"my-controller\": [null], \"manufacturer\": \"example.org\", \"model\": \"urn:x\"}},\n"
	"       \"actions\": {\"forwarding\": \"accept\"}},\n"
	"      {\"name\": \"eth\", \"matches\": {\"eth\": {\"ethertype\": \"0x888e\"}}, \"actions\": {\"forwarding\": \"accept\"}}\n"
	"    ]}}\n"
	"  ]}\n"
	"}\n";

static struct mg_mud *parse(const char *text, struct msgs *msgs)
{
	struct mg_mud *m;
	memset(msgs, 0, sizeof(*msgs));
	int rc = mg_mud_parse(&m, "t.json", text, strlen(text), collect, msgs);
	assert_int_equal(rc, msgs->errors);
	return m;
}

static void test_full_profile(void **state)
{
	(void)state;
	struct msgs msgs;
	struct mg_mud *m = parse(full, &msgs);
	if (!m)
		fail_msg("%s", msgs.text[0]);
	assert_int_equal(msgs.n, 0);
	assert_string_equal(m->url, "https://example.com/bulb");
	assert_int_equal(m->cache_validity_h, 24);
	assert_int_equal(m->n_from, 1);
	assert_string_equal(m->from_acl[0], "fr");
	const struct mg_mud_acl *fr = mg_mud_acl_find(m, "fr");
	assert_non_null(fr);
	assert_int_equal(fr->n, 5);
	const struct mg_mud_ace *a = &fr->ace[0];
	assert_string_equal(a->dst_dnsname, "api.example.com");
	assert_int_equal(a->family, 4);
	assert_int_equal(a->proto, 6);
	assert_int_equal(a->initiated, MG_INIT_FROM_DEVICE);
	assert_int_equal(a->dport.op, MG_PORT_EQ);
	assert_int_equal(a->dport.lo, 443);
	assert_int_equal(a->action, MG_MUD_ACCEPT);
	a = &fr->ace[1];
	assert_true(a->local_networks);
	assert_int_equal(a->proto, 17);
	assert_int_equal(a->dport.op, MG_PORT_RANGE);
	assert_int_equal(a->dport.hi, 5010);
	assert_string_equal(fr->ace[2].controller, "urn:ietf:params:mud:ntp");
	a = &fr->ace[3];
	assert_true(a->dst_net.set);
	assert_int_equal(a->dst_net.len, 96 + 24);
	assert_int_equal(a->sport.op, MG_PORT_GTE);
	assert_int_equal(a->action, MG_MUD_REJECT);
	a = &fr->ace[4];
	assert_int_equal(a->icmp_type, 8);
	assert_int_equal(a->icmp_code, 0);
	assert_int_equal(a->action, MG_MUD_DROP);
	const struct mg_mud_acl *to = mg_mud_acl_find(m, "to");
	assert_true(to->ace[0].same_manufacturer);
	assert_true(to->ace[0].my_controller);
	assert_string_equal(to->ace[0].manufacturer, "example.org");
	assert_int_equal(to->ace[1].ethertype, 0x888e);
	assert_false(to->ace[1].disabled);
	mg_mud_free(m);
}

static void test_draft_spellings(void **state)
{
	(void)state;
	static const char draft[] =
		"{\"ietf-mud:mud\": {\"mud-url\": \"https://x.example/nest\",\n"
		" \"from-device-policy\": {\"access-lists\": {\"access-list\": [{\"acl-name\": \"a\", \"acl-type\": \"ipv4-acl\"}]}}},\n"
		" \"ietf-access-control-list:access-lists\": {\"acl\": [{\"acl-name\": \"a\", \"acl-type\": \"ipv4-acl\",\n"
		"  \"aces\": {\"ace\": [\n"
		"   {\"rule-name\": \"r1\", \"matches\": {\"ipv4-acl\": {\"ietf-acldns:dst-dnsname\": \"nest.com\", \"protocol\": 6,\n"
		"      \"destination-port-range\": {\"lower-port\": 9543, \"upper-port\": 9543}}}, \"actions\": {\"forwarding\": \"ACCEPT\"}},\n"
		"   {\"rule-name\": \"r2\", \"matches\": {\"ietf-mud:mud-acl\": {\"my-controller\": [null]}}, \"actions\": {\"forwarding\": \"accept\"}},\n"
		"   {\"rule-name\": \"r3\", \"matches\": {\"ietf-mud:same-manufacturer\": [null]}, \"actions\": {\"forwarding\": \"accept\"}}\n"
		"  ]}}]}}\n";
	struct msgs msgs;
	struct mg_mud *m = parse(draft, &msgs);
	if (!m)
		fail_msg("%s", msgs.text[0]);
	const struct mg_mud_acl *a = mg_mud_acl_find(m, "a");
	assert_int_equal(a->n, 3);
	assert_string_equal(a->ace[0].name, "r1");
	assert_int_equal(a->ace[0].dport.op, MG_PORT_RANGE);
	assert_int_equal(a->ace[0].dport.lo, 9543);
	assert_true(a->ace[1].my_controller);
	assert_true(a->ace[2].same_manufacturer);
	mg_mud_free(m);
}

static void test_errors_name_place(void **state)
{
	(void)state;
	struct msgs msgs;
	assert_null(parse("{\n  \"ietf-mud:mud\": {,\n}", &msgs));
	assert_true(has(&msgs, "t.json:2:"));
	assert_true(has(&msgs, "not JSON"));

	assert_null(parse("{\"x\": 1}", &msgs));
	assert_true(has(&msgs, "not a MUD file"));

	/* a match container of the wrong type is an error, not an empty match */
	static const char eth5[] =
		"{\"ietf-mud:mud\": {\"mud-url\": \"https://x.example/a\"},\n"
		" \"ietf-access-control-list:acls\": {\"acl\": [{\"name\": \"a\", \"aces\": {\"ace\": [\n"
		"  {\"name\": \"r\", \"matches\": {\"eth\": 5}, \"actions\": {\"forwarding\": \"accept\"}}]}}]}}\n";
	assert_null(parse(eth5, &msgs));
	assert_true(has(&msgs, "t.json:3:29: /ietf-access-control-list:acls/acl/0/aces/ace/0/matches/eth: must be an object"));

	/* a policy naming an ACL that does not exist */
	static const char missing[] =
		"{\"ietf-mud:mud\": {\"mud-url\": \"https://x.example/a\",\n"
		"  \"to-device-policy\": {\"access-lists\": {\"access-list\": [{\"name\": \"nope\"}]}}}}\n";
	assert_null(parse(missing, &msgs));
	assert_true(has(&msgs, "t.json:2:3: /ietf-mud:mud/to-device-policy: ACL \"nope\" is not defined"));

	/* a bad operator: line and column of its key, full path */
	char *bad = strdup(full);
	char *op = strstr(bad, "\"gte\"");
	memcpy(op, "\"gtx\"", 5);
	assert_null(parse(bad, &msgs));
	assert_int_equal(msgs.errors, 1);
	assert_true(has(&msgs, "t.json:24:18: /ietf-access-control-list:acls/acl/0/aces/ace/3/matches/udp/source-port: operator \"gtx\""));
	free(bad);
}

static void test_unsupported_disables(void **state)
{
	(void)state;
	static const char odd[] =
		"{\"ietf-mud:mud\": {\"mud-url\": \"http://x.example/a\", \"weird-ext\": 1,\n"
		"  \"from-device-policy\": {\"access-lists\": {\"access-list\": [{\"name\": \"a\"}]}}},\n"
		" \"ietf-access-control-list:acls\": {\"acl\": [{\"name\": \"a\", \"aces\": {\"ace\": [\n"
		"   {\"name\": \"r\", \"matches\": {\"ipv6\": {\"dscp\": 4, \"destination-ipv6-network\": \"10.0.0.1\"}},\n"
		"    \"actions\": {\"forwarding\": \"accept\"}}]}}]}}\n";
	struct msgs msgs;
	struct mg_mud *m = parse(odd, &msgs);
	assert_non_null(m);
	assert_int_equal(msgs.errors, 0);
	assert_true(has(&msgs, "is not https"));
	assert_true(has(&msgs, "/ietf-mud:mud/weird-ext: warning: extension or key not supported"));
	assert_true(has(&msgs, "dscp is not supported: this entry is disabled"));
	assert_true(m->acl[0].ace[0].disabled);
	mg_mud_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_profile),
		cmocka_unit_test(test_draft_spellings),
		cmocka_unit_test(test_errors_name_place),
		cmocka_unit_test(test_unsupported_disables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

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
#include "../../classify/mudmatch.h"

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

/* The earliest ACL-model drafts: "permit"/"deny" actions, "tcp-acl"/"udp-acl"
 * containers. OLDEST and RFC say the same thing in the two spellings. */
static const char OLDEST[] =
	"{\"ietf-mud:mud\": {\"mud-url\": \"https://x.example/cam\",\n"
	" \"from-device-policy\": {\"access-lists\": {\"access-list\": [{\"acl-name\": \"fr\"}]}},\n"
	" \"to-device-policy\": {\"access-lists\": {\"access-list\": [{\"acl-name\": \"to\"}]}}},\n"
	" \"ietf-access-control-list:access-lists\": {\"acl\": [\n"
	"  {\"acl-name\": \"fr\", \"acl-type\": \"ipv4-acl\", \"access-list-entries\": {\"ace\": [\n"
	"   {\"rule-name\": \"telnet\", \"matches\": {\"ipv4-acl\": {\"protocol\": 6},\n"
	"      \"tcp-acl\": {\"destination-port-range\": {\"lower-port\": 23, \"upper-port\": 23}}},\n"
	"    \"actions\": {\"deny\": [null]}},\n"
	"   {\"rule-name\": \"cloud\", \"matches\": {\"ipv4-acl\": {\"protocol\": 6,\n"
	"      \"ietf-acldns:dst-dnsname\": \"api.example.com\"},\n"
	"      \"tcp-acl\": {\"ietf-mud:direction-initiated\": \"from-device\",\n"
	"        \"destination-port-range\": {\"lower-port\": 443, \"upper-port\": 443}}},\n"
	"    \"actions\": {\"permit\": [null]}},\n"
	"   {\"rule-name\": \"dns\", \"matches\": {\"ipv4-acl\": {\"protocol\": 17},\n"
	"      \"udp-acl\": {\"destination-port\": {\"operator\": \"eq\", \"port\": 53}}},\n"
	"    \"actions\": {\"permit\": true}},\n"
	"   {\"rule-name\": \"high\", \"matches\": {\"udp-acl\": {\"source-port\": {\"operator\": \"gte\", \"port\": 50000}}},\n"
	"    \"actions\": {\"permit\": null}}\n"
	"  ]}},\n"
	"  {\"acl-name\": \"to\", \"acl-type\": \"ipv4-acl\", \"access-list-entries\": {\"ace\": [\n"
	"   {\"rule-name\": \"replies\", \"matches\": {\"ipv4-acl\": {\"protocol\": 6},\n"
	"      \"tcp-acl\": {\"ietf-mud:direction-initiated\": \"from-device\",\n"
	"        \"source-port-range\": {\"lower-port\": 443, \"upper-port\": 443}}},\n"
	"    \"actions\": {\"permit\": [null]}}\n"
	"  ]}}]}}\n";

static const char RFC[] =
	"{\"ietf-mud:mud\": {\"mud-url\": \"https://x.example/cam\",\n"
	" \"from-device-policy\": {\"access-lists\": {\"access-list\": [{\"name\": \"fr\"}]}},\n"
	" \"to-device-policy\": {\"access-lists\": {\"access-list\": [{\"name\": \"to\"}]}}},\n"
	" \"ietf-access-control-list:acls\": {\"acl\": [\n"
	"  {\"name\": \"fr\", \"type\": \"ipv4-acl-type\", \"aces\": {\"ace\": [\n"
	"   {\"name\": \"telnet\", \"matches\": {\"ipv4\": {\"protocol\": 6},\n"
	"      \"tcp\": {\"destination-port\": {\"lower-port\": 23, \"upper-port\": 23}}},\n"
	"    \"actions\": {\"forwarding\": \"drop\"}},\n"
	"   {\"name\": \"cloud\", \"matches\": {\"ipv4\": {\"protocol\": 6,\n"
	"      \"ietf-acldns:dst-dnsname\": \"api.example.com\"},\n"
	"      \"tcp\": {\"ietf-mud:direction-initiated\": \"from-device\",\n"
	"        \"destination-port\": {\"lower-port\": 443, \"upper-port\": 443}}},\n"
	"    \"actions\": {\"forwarding\": \"accept\"}},\n"
	"   {\"name\": \"dns\", \"matches\": {\"ipv4\": {\"protocol\": 17},\n"
	"      \"udp\": {\"destination-port\": {\"operator\": \"eq\", \"port\": 53}}},\n"
	"    \"actions\": {\"forwarding\": \"accept\"}},\n"
	"   {\"name\": \"high\", \"matches\": {\"udp\": {\"source-port\": {\"operator\": \"gte\", \"port\": 50000}}},\n"
	"    \"actions\": {\"forwarding\": \"accept\"}}\n"
	"  ]}},\n"
	"  {\"name\": \"to\", \"type\": \"ipv4-acl-type\", \"aces\": {\"ace\": [\n"
	"   {\"name\": \"replies\", \"matches\": {\"ipv4\": {\"protocol\": 6},\n"
	"      \"tcp\": {\"ietf-mud:direction-initiated\": \"from-device\",\n"
	"        \"source-port\": {\"lower-port\": 443, \"upper-port\": 443}}},\n"
	"    \"actions\": {\"forwarding\": \"accept\"}}\n"
	"  ]}}]}}\n";

/* The device was answered 203.0.113.7 for api.example.com, nothing else. */
static size_t answered(void *user, const struct mg_addr *a, const char **out, size_t max)
{
	char buf[64];
	(void)user;
	if (max < 1 || strcmp(mg_addr_str(a, buf, sizeof(buf)), "203.0.113.7"))
		return 0;
	out[0] = "api.example.com";
	return 1;
}

/* The verdict on a flow of the device 192.168.1.10 with @peer. */
static struct mg_mud_verdict verdict(const struct mg_mud *m, bool from_device, const char *peer,
				     uint8_t proto, uint16_t dev_port, uint16_t peer_port)
{
	struct mg_mud_env env = {.dns_names = answered, .own_url = "https://x.example/cam"};
	struct mg_mud_flow f = {.from_device = from_device, .proto = proto, .dev_port = dev_port,
				.peer_port = peer_port, .icmp_type = -1, .icmp_code = -1,
				.ethertype = 0x0800};
	struct mg_mud_verdict v;
	assert_int_equal(mg_addr_parse(&f.dev, "192.168.1.10"), 0);
	assert_int_equal(mg_addr_parse(&f.peer, peer), 0);
	mg_mud_check(m, &env, &f, &v);
	return v;
}

static void test_oldest_drafts(void **state)
{
	(void)state;
	struct msgs msgs;
	struct mg_mud *old = parse(OLDEST, &msgs);
	if (!old)
		fail_msg("%s", msgs.text[0]);
	assert_int_equal(msgs.n, 0);
	struct mg_mud *rfc = parse(RFC, &msgs);
	if (!rfc)
		fail_msg("%s", msgs.text[0]);
	assert_int_equal(msgs.n, 0);

	/* entry by entry the same compiled form */
	for (int p = 0; p < 2; p++) {
		const char *name = p ? "to" : "fr";
		const struct mg_mud_acl *a = mg_mud_acl_find(old, name), *b = mg_mud_acl_find(rfc, name);
		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(a->n, b->n);
		for (size_t i = 0; i < a->n; i++) {
			const struct mg_mud_ace *x = &a->ace[i], *y = &b->ace[i];
			assert_string_equal(x->name, y->name);
			assert_int_equal(x->action, y->action);
			assert_int_equal(x->family, y->family);
			assert_int_equal(x->proto, y->proto);
			assert_int_equal(x->initiated, y->initiated);
			assert_memory_equal(&x->sport, &y->sport, sizeof(x->sport));
			assert_memory_equal(&x->dport, &y->dport, sizeof(x->dport));
			assert_false(x->disabled);
		}
	}
	const struct mg_mud_acl *fr = mg_mud_acl_find(old, "fr");
	assert_int_equal(fr->ace[0].action, MG_MUD_DROP);
	assert_int_equal(fr->ace[1].action, MG_MUD_ACCEPT);
	assert_int_equal(fr->ace[1].proto, 6);
	assert_int_equal(fr->ace[1].initiated, MG_INIT_FROM_DEVICE);
	assert_int_equal(fr->ace[1].dport.op, MG_PORT_RANGE);
	assert_int_equal(fr->ace[1].dport.lo, 443);
	assert_int_equal(fr->ace[2].proto, 17);
	assert_int_equal(fr->ace[3].proto, 17);
	assert_int_equal(fr->ace[3].sport.op, MG_PORT_GTE);

	/* and the matcher decides every flow alike */
	static const struct {
		bool from_device;
		const char *peer;
		uint8_t proto;
		uint16_t dev_port, peer_port;
		bool allowed, by_entry;
		const char *entry; /* deciding (or closest) entry */
	} flows[] = {
		{true, "203.0.113.7", 6, 40000, 443, true, false, "cloud"},
		{true, "203.0.113.7", 6, 40000, 80, false, false, NULL},
		{true, "203.0.113.8", 6, 40000, 443, false, false, "cloud"},
		{true, "203.0.113.7", 6, 40000, 23, false, true, "telnet"},
		{false, "203.0.113.7", 6, 8443, 443, false, false, "replies"},
		{true, "198.51.100.1", 17, 40000, 53, true, false, "dns"},
		{true, "198.51.100.1", 17, 40000, 54, false, false, NULL},
		{true, "198.51.100.1", 17, 50000, 9, true, false, "high"},
	};
	for (size_t i = 0; i < sizeof(flows) / sizeof(flows[0]); i++) {
		for (int s = 0; s < 2; s++) {
			struct mg_mud_verdict v = verdict(s ? rfc : old, flows[i].from_device,
							  flows[i].peer, flows[i].proto,
							  flows[i].dev_port, flows[i].peer_port);
			if (v.allowed != flows[i].allowed || v.denied_by_entry != flows[i].by_entry)
				fail_msg("flow %zu (%s): allowed %d by entry %d: %s", i,
					 s ? "rfc" : "oldest", v.allowed, v.denied_by_entry, v.why);
			if (flows[i].entry) {
				assert_non_null(v.ace);
				assert_string_equal(v.ace->name, flows[i].entry);
			}
		}
	}
	mg_mud_free(old);
	mg_mud_free(rfc);
}

/* One ACL "a" with one entry whose actions are @actions. */
static struct mg_mud *with_actions(const char *actions, struct msgs *msgs)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "{\"ietf-mud:mud\": {\"mud-url\": \"https://x.example/a\",\n"
		 " \"from-device-policy\": {\"access-lists\": {\"access-list\": [{\"name\": \"a\"}]}}},\n"
		 " \"ietf-access-control-list:acls\": {\"acl\": [{\"name\": \"a\", \"aces\": {\"ace\": [\n"
		 "  {\"name\": \"r\", \"matches\": {\"tcp-acl\": {}},\n"
		 "   \"actions\": %s}]}}]}}\n",
		 actions);
	return parse(text, msgs);
}

static void test_draft_actions(void **state)
{
	(void)state;
	static const struct {
		const char *actions;
		int action;
	} ok[] = {
		{"{\"permit\": [null]}", MG_MUD_ACCEPT},
		{"{\"permit\": null}", MG_MUD_ACCEPT},
		{"{\"permit\": true}", MG_MUD_ACCEPT},
		{"{\"deny\": [null]}", MG_MUD_DROP},
		{"{\"deny\": true}", MG_MUD_DROP},
		{"{\"deny\": null}", MG_MUD_DROP},
		{"{\"forwarding\": \"accept\", \"permit\": [null]}", MG_MUD_ACCEPT},
		{"{\"forwarding\": \"drop\", \"deny\": [null]}", MG_MUD_DROP},
	};
	struct msgs msgs;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct mg_mud *m = with_actions(ok[i].actions, &msgs);
		if (!m)
			fail_msg("%s: %s", ok[i].actions, msgs.text[0]);
		assert_int_equal(msgs.n, 0);
		assert_int_equal(m->acl[0].ace[0].action, ok[i].action);
		assert_int_equal(m->acl[0].ace[0].proto, 6);
		mg_mud_free(m);
	}

	/* a drop from the oldest spelling drops */
	struct mg_mud *m = with_actions("{\"deny\": [null]}", &msgs);
	struct mg_mud_verdict v = verdict(m, true, "203.0.113.7", 6, 40000, 443);
	assert_false(v.allowed);
	assert_true(v.denied_by_entry);
	mg_mud_free(m);

	/* spellings that disagree, or a leaf that is not empty, are errors */
	static const char path[] = "/ietf-access-control-list:acls/acl/0/aces/ace/0/actions";
	char want[256];
	assert_null(with_actions("{\"forwarding\": \"accept\", \"deny\": [null]}", &msgs));
	assert_int_equal(msgs.errors, 1);
	snprintf(want, sizeof(want), "t.json:5:40: %s/deny: contradicts the accept action", path);
	assert_true(has(&msgs, want));
	assert_null(with_actions("{\"permit\": [null], \"deny\": [null]}", &msgs));
	assert_int_equal(msgs.errors, 1);
	assert_true(has(&msgs, "/actions/deny: contradicts the accept action"));
	assert_null(with_actions("{\"permit\": false}", &msgs));
	assert_true(has(&msgs, "/actions/permit: must be [null]"));
	assert_null(with_actions("{\"forwarding\": 1}", &msgs));
	assert_true(has(&msgs, "/actions/forwarding: must be a string"));
	assert_null(with_actions("{\"allow\": [null]}", &msgs));
	snprintf(want, sizeof(want), "t.json:5:4: %s: needs a forwarding action", path);
	assert_true(has(&msgs, want));
}

static void test_oldest_undefined_acl(void **state)
{
	(void)state;
	/* the policy names "gone"; the only ACL is "a" */
	static const char gone[] =
		"{\"ietf-mud:mud\": {\"mud-url\": \"https://x.example/a\",\n"
		"  \"from-device-policy\": {\"access-lists\": {\"access-list\": [{\"acl-name\": \"a\"}, {\"acl-name\": \"gone\"}]}}},\n"
		" \"ietf-access-control-list:access-lists\": {\"acl\": [{\"acl-name\": \"a\", \"access-list-entries\": {\"ace\": [\n"
		"  {\"rule-name\": \"r\", \"matches\": {\"tcp-acl\": {\"destination-port-range\": {\"lower-port\": 443, \"upper-port\": 443}}},\n"
		"   \"actions\": {\"permit\": [null]}}]}}]}}\n";
	struct msgs msgs;
	assert_null(parse(gone, &msgs));
	assert_int_equal(msgs.errors, 1);
	assert_true(has(&msgs, "t.json:2:3: /ietf-mud:mud/from-device-policy: ACL \"gone\" is not defined"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_profile),
		cmocka_unit_test(test_draft_spellings),
		cmocka_unit_test(test_errors_name_place),
		cmocka_unit_test(test_unsupported_disables),
		cmocka_unit_test(test_oldest_drafts),
		cmocka_unit_test(test_draft_actions),
		cmocka_unit_test(test_oldest_undefined_acl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "mudmatch.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAMES_MAX 16 /* names per address considered */

/* The passive DNS names of one address, asked for once per flow. */
struct names {
	bool asked;
	size_t n;
	const char *v[NAMES_MAX];
	uint32_t h[NAMES_MAX];
};

struct test {
	const struct mg_mud_env *env;
	struct names src_names, dst_names;
	const struct mg_mud_flow *f;
	const struct mg_addr *src, *dst; /* as the policy sees the first packet */
	uint16_t sport, dport;
	bool all;      /* count every mismatch (closest entry) instead of stopping */
	unsigned miss;
	char *why;
	size_t wlen, wused;
};

/* Appends one reason to t->why (only the explaining pass has one). */
__attribute__((format(printf, 2, 3))) static void note(struct test *t, const char *fmt, ...)
{
	va_list ap;

	if (t->wused + 3 >= t->wlen)
		return;
	if (t->wused) {
		memcpy(t->why + t->wused, "; ", 3);
		t->wused += 2;
	}
	va_start(ap, fmt);
	int n = vsnprintf(t->why + t->wused, t->wlen - t->wused, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->wused += (size_t)n < t->wlen - t->wused ? (size_t)n : t->wlen - t->wused - 1;
}

static bool in_net(const struct mg_mud_net *n, const struct mg_addr *a)
{
	unsigned full = n->len / 8, rest = n->len % 8;
	if (memcmp(n->a.b, a->b, full))
		return false;
	return !rest || ((n->a.b[full] ^ a->b[full]) & (0xff00u >> rest) & 0xff) == 0;
}

static bool port_ok(const struct mg_mud_ports *p, uint16_t v)
{
	switch (p->op) {
	case MG_PORT_EQ:
		return v == p->lo;
	case MG_PORT_NEQ:
		return v != p->lo;
	case MG_PORT_LTE:
		return v <= p->lo;
	case MG_PORT_GTE:
		return v >= p->lo;
	case MG_PORT_RANGE:
		return v >= p->lo && v <= p->hi;
	default:
		return true;
	}
}

static const char *port_desc(const struct mg_mud_ports *p, char *buf, size_t len)
{
	if (p->op == MG_PORT_RANGE)
		snprintf(buf, len, "%u-%u", p->lo, p->hi);
	else
		snprintf(buf, len, "%s %u", mg_mud_port_op_name((enum mg_mud_portop)p->op), p->lo);
	return buf;
}

static const char *net_desc(const struct mg_mud_net *n, char *buf, size_t len)
{
	char a[64];
	bool v4 = mg_addr_is_v4(&n->a);
	snprintf(buf, len, "%s/%u", mg_addr_str(&n->a, a, sizeof(a)), v4 ? n->len - 96 : n->len);
	return buf;
}

static void ask_names(struct test *t, struct names *nm, const struct mg_addr *a)
{
	if (nm->asked)
		return;
	nm->asked = true;
	nm->n = t->env->dns_names ? t->env->dns_names(t->env->user, a, nm->v, NAMES_MAX) : 0;
	for (size_t i = 0; i < nm->n; i++)
		nm->h[i] = mg_mud_name_hash(nm->v[i]);
}

static bool answered(struct test *t, struct names *nm, const struct mg_addr *a, const char *name,
		     uint32_t hash)
{
	ask_names(t, nm, a);
	for (size_t i = 0; i < nm->n; i++)
		if (nm->h[i] == hash && !strcmp(nm->v[i], name))
			return true;
	return false;
}

/* The URL authority of the peer, compared with @want (case-insensitive). */
static bool same_authority(const char *url, const char *want)
{
	char a[256];
	return url && want && mg_mud_url_authority(url, a, sizeof(a)) && !strcasecmp(a, want);
}

/* Returns true when @ace matches; with t->all, keeps going to count misses. */
static bool test_ace(struct test *t, const struct mg_mud_ace *ace)
{
	const struct mg_mud_env *env = t->env;
	const struct mg_mud_flow *f = t->f;
	char b1[80], b2[64];

	/* the reasons are formatted only when asked for: the matching passes
	 * must not pay for printf */
#define FAIL(...)                                                              \
	do {                                                                   \
		t->miss++;                                                     \
		if (t->why)                                                    \
			note(t, __VA_ARGS__);                                  \
		if (!t->all)                                                   \
			return false;                                          \
	} while (0)

	if (ace->disabled)
		FAIL("holds a match mudguard cannot check, so it never matches");
	if (ace->ethertype >= 0 && ace->ethertype != f->ethertype)
		FAIL("ethertype 0x%04x, the flow is 0x%04x", (unsigned)ace->ethertype, f->ethertype);
	if (ace->family && ace->family != (f->ethertype == 0x0800 ? 4 : 6))
		FAIL("IPv%u only", ace->family);
	if (ace->proto >= 0 && ace->proto != f->proto)
		FAIL("protocol %d, the flow is %u", ace->proto, f->proto);
	if (ace->src_net.set && !in_net(&ace->src_net, t->src))
		FAIL("source %s, the flow is from %s", net_desc(&ace->src_net, b1, sizeof(b1)),
		     mg_addr_str(t->src, b2, sizeof(b2)));
	if (ace->dst_net.set && !in_net(&ace->dst_net, t->dst))
		FAIL("destination %s, the flow goes to %s", net_desc(&ace->dst_net, b1, sizeof(b1)),
		     mg_addr_str(t->dst, b2, sizeof(b2)));
	bool l4 = f->proto == MG_PROTO_TCP || f->proto == MG_PROTO_UDP;
	if (ace->sport.op != MG_PORT_ANY && !(l4 && port_ok(&ace->sport, t->sport)))
		FAIL("source port %s, the flow has %u", port_desc(&ace->sport, b1, sizeof(b1)),
		     t->sport);
	if (ace->dport.op != MG_PORT_ANY && !(l4 && port_ok(&ace->dport, t->dport)))
		FAIL("destination port %s, the flow has %u", port_desc(&ace->dport, b1, sizeof(b1)),
		     t->dport);
	/* names last among the packet fields: they cost a lookup */
	if (ace->src_dnsname && !answered(t, &t->src_names, t->src, ace->src_dnsname, ace->src_dnshash))
		FAIL("src-dnsname %s, and the device was never answered %s for it", ace->src_dnsname,
		     mg_addr_str(t->src, b2, sizeof(b2)));
	if (ace->dst_dnsname && !answered(t, &t->dst_names, t->dst, ace->dst_dnsname, ace->dst_dnshash))
		FAIL("dst-dnsname %s, and the device was never answered %s for it", ace->dst_dnsname,
		     mg_addr_str(t->dst, b2, sizeof(b2)));
	if (ace->icmp_type >= 0 && ace->icmp_type != f->icmp_type)
		FAIL("ICMP type %d, the flow has %d", ace->icmp_type, f->icmp_type);
	if (ace->icmp_code >= 0 && ace->icmp_code != f->icmp_code)
		FAIL("ICMP code %d, the flow has %d", ace->icmp_code, f->icmp_code);
	if (ace->initiated == MG_INIT_FROM_DEVICE && !f->from_device)
		FAIL("connections the device initiates, and the peer initiated this one");
	if (ace->initiated == MG_INIT_TO_DEVICE && f->from_device)
		FAIL("connections initiated to the device, and the device initiated this one");
	if (ace->local_networks && !(env->is_local && env->is_local(env->user, &f->peer)))
		FAIL("local-networks, and %s is not local", mg_addr_str(&f->peer, b2, sizeof(b2)));
	const char *peer = (ace->same_manufacturer || ace->manufacturer || ace->model) &&
					   env->peer_url
				   ? env->peer_url(env->user)
				   : NULL;
	if (ace->same_manufacturer) {
		char own[256];
		if (!env->own_url || !mg_mud_url_authority(env->own_url, own, sizeof(own)) ||
		    !same_authority(peer, own))
			FAIL("same-manufacturer, and the peer %s", peer ? "has another MUD authority"
								  : "has no known MUD URL");
	}
	if (ace->manufacturer && !same_authority(peer, ace->manufacturer))
		FAIL("manufacturer %s, and the peer %s", ace->manufacturer,
		     peer ? "has another MUD authority" : "has no known MUD URL");
	if (ace->model && !(peer && !strcmp(peer, ace->model)))
		FAIL("model %s, and the peer %s", ace->model,
		     peer ? "has another MUD URL" : "has no known MUD URL");
	if (ace->controller &&
	    !(env->controller && env->controller(env->user, ace->controller, &f->peer)))
		FAIL("controller %s, and %s is not one", ace->controller,
		     mg_addr_str(&f->peer, b2, sizeof(b2)));
	if (ace->my_controller && !(env->controller && env->controller(env->user, NULL, &f->peer)))
		FAIL("my-controller, and %s is not this device's controller",
		     mg_addr_str(&f->peer, b2, sizeof(b2)));
#undef FAIL
	return t->miss == 0;
}

void mg_mud_check(const struct mg_mud *m, const struct mg_mud_env *env,
		  const struct mg_mud_flow *f, struct mg_mud_verdict *v)
{
	int dir = f->from_device ? 0 : 1;
	struct test t = {.env = env, .f = f};

	memset(v, 0, sizeof(*v));
	if (dir == 0) {
		t.src = &f->dev, t.dst = &f->peer;
		t.sport = f->dev_port, t.dport = f->peer_port;
	} else {
		t.src = &f->peer, t.dst = &f->dev;
		t.sport = f->peer_port, t.dport = f->dev_port;
	}
	const struct mg_mud_list *l = &m->by_proto[dir][mg_mud_pclass(f->proto)];
	/* Entries naming the peer are tried only for the names the peer's
	 * address was answered for: find those positions in the name index,
	 * then walk the list in order, skipping the other named entries. */
	uint32_t cand[64];
	size_t ncand = 0, next = 0;
	bool all = false;
	if (l->nnamed) {
		struct names *nm = dir ? &t.src_names : &t.dst_names;
		ask_names(&t, nm, &f->peer);
		for (size_t k = 0; k < nm->n && !all; k++) {
			size_t lo = 0, hi = l->nnamed;
			while (lo < hi) { /* first entry with this hash */
				size_t mid = (lo + hi) / 2;
				if (l->named[mid].hash < nm->h[k])
					lo = mid + 1;
				else
					hi = mid;
			}
			for (; lo < l->nnamed && l->named[lo].hash == nm->h[k]; lo++) {
				if (ncand == sizeof(cand) / sizeof(cand[0])) {
					all = true; /* too many to track: try them all */
					break;
				}
				cand[ncand++] = l->named[lo].pos;
			}
		}
		for (size_t a = 1; a < ncand; a++) /* few: insertion sort */
			for (size_t b = a; b > 0 && cand[b - 1] > cand[b]; b--) {
				uint32_t x = cand[b];
				cand[b] = cand[b - 1];
				cand[b - 1] = x;
			}
	}
	for (size_t i = 0; i < l->n; i++) {
		if (l->is_named[i] && !all) {
			while (next < ncand && cand[next] < i)
				next++;
			if (next == ncand || cand[next] != i)
				continue;
		}
		t.miss = 0;
		if (!test_ace(&t, l->ace[i]))
			continue;
		v->acl = l->acl[i];
		v->ace = l->ace[i];
		v->allowed = v->ace->action == MG_MUD_ACCEPT;
		v->denied_by_entry = !v->allowed;
		if (v->denied_by_entry)
			snprintf(v->why, sizeof(v->why), "entry %s denies the flow",
				 v->ace->name ? v->ace->name : "(unnamed)");
		return;
	}
	/* Nothing matched: find the accepting entry that came closest, and say
	 * what it wanted. Only on violations, so the second pass costs nothing
	 * on the allowed path. */
	t.all = true;
	unsigned best = ~0u;
	for (size_t i = 0; i < m->npol[dir]; i++) {
		const struct mg_mud_acl *acl = m->pol[dir][i];
		for (size_t j = 0; j < acl->n; j++) {
			if (acl->ace[j].action != MG_MUD_ACCEPT)
				continue;
			t.miss = 0;
			test_ace(&t, &acl->ace[j]);
			if (t.miss < best) {
				best = t.miss;
				v->acl = acl;
				v->ace = &acl->ace[j];
			}
		}
	}
	if (!v->ace) {
		snprintf(v->why, sizeof(v->why), "the %s policy accepts nothing",
			 dir ? "to-device" : "from-device");
		return;
	}
	v->mismatches = best;
	t.all = true;
	t.miss = 0;
	t.why = v->why;
	t.wlen = sizeof(v->why);
	test_ace(&t, v->ace);
}

bool mg_mud_url_authority(const char *url, char *out, size_t len)
{
	if (strncasecmp(url, "https://", 8))
		return false;
	const char *a = url + 8;
	size_t n = strcspn(a, "/?#");
	if (!n || n >= len)
		return false;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)(a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i]);
	out[n] = 0;
	return true;
}

bool mg_mud_url_valid(const char *url, char *why, size_t len)
{
	size_t n = strlen(url);
	char auth[256];

#define BAD(...)                                                               \
	do {                                                                   \
		snprintf(why, len, __VA_ARGS__);                               \
		return false;                                                  \
	} while (0)

	if (n > 1024)
		BAD("longer than 1024 bytes");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)url[i];
		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' ||
		    c == '`' || c == '{' || c == '}' || c == '|' || c == '^')
			BAD("byte 0x%02x at offset %zu is not allowed in a URL", c, i);
		if (c == '%' && !(i + 2 < n && isxdigit((unsigned char)url[i + 1]) &&
				  isxdigit((unsigned char)url[i + 2])))
			BAD("bad percent-escape at offset %zu", i);
	}
	if (strncasecmp(url, "https://", 8))
		BAD("not an https URL (RFC 8520 section 3.2 requires https)");
	if (!mg_mud_url_authority(url, auth, sizeof(auth)))
		BAD("no host");
	if (strchr(auth, '@'))
		BAD("user information in the URL");
	if (auth[0] == ':' || auth[0] == '.' || auth[0] == '-')
		BAD("malformed host \"%s\"", auth);
	const char *colon = auth[0] == '[' ? strstr(auth, "]:") : strchr(auth, ':');
	if (colon) {
		const char *p = colon + (auth[0] == '[' ? 2 : 1);
		if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 5 ||
		    atoi(p) > 65535 || atoi(p) == 0)
			BAD("malformed port in \"%s\"", auth);
	}
	if (strchr(url, '#'))
		BAD("a fragment has no place in a MUD URL");
	const char *path = url + 8 + strlen(auth);
	if (*path != '/' || !path[1])
		BAD("no path");
	for (const char *seg = path; seg && *seg == '/'; seg = strchr(seg + 1, '/')) {
		size_t sl = strcspn(seg + 1, "/?");
		if ((sl == 1 && seg[1] == '.') || (sl == 2 && seg[1] == '.' && seg[2] == '.'))
			BAD("dot segment in the path");
		if (!sl && seg[1] == '/')
			BAD("empty path segment");
		if (seg[1 + sl] == '?')
			break;
	}
#undef BAD
	return true;
}

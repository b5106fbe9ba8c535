/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * MUD file reader. jansson parses; this file walks the tree with a path stack
 * so every problem names its JSON path, and finds that path's line and column
 * in the original text (jansson keeps no positions for values).
 *
 * Draft-era spellings accepted as equivalent: "ietf-access-control-list:
 * access-lists" for "...:acls", "acl-name"/"rule-name" for "name", "acl-type"
 * for "type", "ipv4-acl"/"ipv6-acl" match containers, "source-port-range"/
 * "destination-port-range" (lower-port/upper-port), "ietf-mud:mud-acl" for
 * "ietf-mud:mud", a bare "ietf-mud:same-manufacturer" match, forwarding values
 * in any case; from the earliest ACL-model drafts, "tcp-acl"/"udp-acl" for
 * "tcp"/"udp" (ports and ietf-mud:direction-initiated inside, as in the RFC)
 * and "actions": {"permit"|"deny": [null]} for forwarding accept/drop.
 */
#include "mud.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 32

struct ctx {
	const char *name, *text;
	size_t len;
	mg_mud_report report;
	void *user;
	int errors, nomem;
	const char *key[MAX_DEPTH]; /* NULL: an array index */
	size_t idx[MAX_DEPTH];
	int depth;
};

static void push_key(struct ctx *c, const char *k)
{
	if (c->depth < MAX_DEPTH)
		c->key[c->depth] = k;
	c->depth++;
}

static void push_idx(struct ctx *c, size_t i)
{
	if (c->depth < MAX_DEPTH) {
		c->key[c->depth] = NULL;
		c->idx[c->depth] = i;
	}
	c->depth++;
}

static void pop(struct ctx *c)
{
	c->depth--;
}

/* ---- finding a path's position in the text -------------------------------- */

struct scan {
	const char *s;
	size_t n, i;
};

static void ws(struct scan *sc)
{
	while (sc->i < sc->n && isspace((unsigned char)sc->s[sc->i]))
		sc->i++;
}

/* Skips a string at sc->i (which is '"'); returns its raw span. */
static int skip_string(struct scan *sc, size_t *start, size_t *end)
{
	if (sc->i >= sc->n || sc->s[sc->i] != '"')
		return -1;
	*start = ++sc->i;
	while (sc->i < sc->n && sc->s[sc->i] != '"')
		sc->i += sc->s[sc->i] == '\\' ? 2 : 1;
	if (sc->i >= sc->n)
		return -1;
	*end = sc->i++;
	return 0;
}

static int skip_value(struct scan *sc, int depth)
{
	size_t a, b;
	ws(sc);
	if (sc->i >= sc->n || depth > 512)
		return -1;
	char ch = sc->s[sc->i];
	if (ch == '"')
		return skip_string(sc, &a, &b);
	if (ch == '{' || ch == '[') {
		char close = ch == '{' ? '}' : ']';
		sc->i++;
		ws(sc);
		if (sc->i < sc->n && sc->s[sc->i] == close) {
			sc->i++;
			return 0;
		}
		for (;;) {
			if (ch == '{') {
				ws(sc);
				if (skip_string(sc, &a, &b) < 0)
					return -1;
				ws(sc);
				if (sc->i >= sc->n || sc->s[sc->i++] != ':')
					return -1;
			}
			if (skip_value(sc, depth + 1) < 0)
				return -1;
			ws(sc);
			if (sc->i >= sc->n)
				return -1;
			if (sc->s[sc->i] == ',') {
				sc->i++;
				continue;
			}
			if (sc->s[sc->i] == close) {
				sc->i++;
				return 0;
			}
			return -1;
		}
	}
	while (sc->i < sc->n && !strchr(",}] \t\r\n", sc->s[sc->i]))
		sc->i++;
	return 0;
}

/* Offset of the value at the current path (the last key seen when the path
 * cannot be followed further). */
static size_t locate(const struct ctx *c)
{
	struct scan sc = {c->text, c->len, 0};
	size_t found = 0, a, b;
	int depth = c->depth < MAX_DEPTH ? c->depth : MAX_DEPTH;

	ws(&sc);
	found = sc.i;
	for (int d = 0; d < depth; d++) {
		ws(&sc);
		if (c->key[d]) {
			if (sc.i >= sc.n || sc.s[sc.i] != '{')
				return found;
			sc.i++;
			bool hit = false;
			for (;;) {
				ws(&sc);
				if (skip_string(&sc, &a, &b) < 0)
					return found;
				size_t kl = strlen(c->key[d]);
				bool match = b - a == kl && !memcmp(sc.s + a, c->key[d], kl);
				ws(&sc);
				if (sc.i >= sc.n || sc.s[sc.i++] != ':')
					return found;
				if (match) {
					ws(&sc);
					found = a - 1;
					hit = true;
					break;
				}
				if (skip_value(&sc, 0) < 0)
					return found;
				ws(&sc);
				if (sc.i >= sc.n || sc.s[sc.i] != ',')
					return found;
				sc.i++;
			}
			if (!hit)
				return found;
		} else {
			if (sc.i >= sc.n || sc.s[sc.i] != '[')
				return found;
			sc.i++;
			for (size_t k = 0; k < c->idx[d]; k++) {
				if (skip_value(&sc, 0) < 0)
					return found;
				ws(&sc);
				if (sc.i >= sc.n || sc.s[sc.i] != ',')
					return found;
				sc.i++;
			}
			ws(&sc);
			found = sc.i;
		}
	}
	return found;
}

__attribute__((format(printf, 3, 4))) static void problem(struct ctx *c,
							   enum mg_mud_severity sev,
							   const char *fmt, ...)
{
	char path[512] = "", msg[1024], full[1800];
	size_t o = 0;
	va_list ap;

	for (int d = 0; d < c->depth && d < MAX_DEPTH && o + 2 < sizeof(path); d++) {
		int n = c->key[d] ? snprintf(path + o, sizeof(path) - o, "/%s", c->key[d])
				  : snprintf(path + o, sizeof(path) - o, "/%zu", c->idx[d]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	if (!path[0])
		strcpy(path, "/");
	size_t at = locate(c);
	unsigned line = 1, col = 1;
	for (size_t i = 0; i < at && i < c->len; i++) {
		if (c->text[i] == '\n')
			line++, col = 1;
		else
			col++;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s:%u:%u: %s: %s%s", c->name, line, col, path,
		 sev == MG_MUD_WARNING ? "warning: " : "", msg);
	if (sev == MG_MUD_ERROR)
		c->errors++;
	if (c->report)
		c->report(sev, full, c->user);
}

/* ---- helpers over jansson -------------------------------------------------- */

static char *dup_str(struct ctx *c, const char *s)
{
	char *d = strdup(s);
	if (!d)
		c->nomem = 1;
	return d;
}

/* The member @key of @o, or the first of its draft-era spellings. */
/* A DNS name as the matcher compares it: lower case, no trailing dot. */
static char *dup_name(struct ctx *c, const char *s)
{
	char *n = dup_str(c, s);
	size_t len = n ? strlen(n) : 0;
	if (len > 1 && n[len - 1] == '.')
		n[len - 1] = 0;
	for (size_t i = 0; i < len; i++)
		n[i] = (char)tolower((unsigned char)n[i]);
	return n;
}

static json_t *member(json_t *o, const char *key, const char *alt, const char **which)
{
	json_t *v = json_object_get(o, key);
	*which = key;
	if (!v && alt) {
		v = json_object_get(o, alt);
		*which = alt;
	}
	return v;
}

/* A string member; errors if present with another type. */
static char *get_string(struct ctx *c, json_t *o, const char *key, const char *alt)
{
	const char *which;
	json_t *v = member(o, key, alt, &which);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		push_key(c, which);
		problem(c, MG_MUD_ERROR, "must be a string");
		pop(c);
		return NULL;
	}
	return dup_str(c, json_string_value(v));
}

/* [null] (RFC 7951 "empty" leaf), and the variants seen in the wild. */
static bool is_empty_leaf(json_t *v)
{
	return json_is_array(v) || json_is_null(v) || json_is_true(v) || json_is_object(v);
}

/* ---- matches ---------------------------------------------------------------- */

/* Enters @key; false (having reported it and left again) unless @v is an
 * object. A match container of another type must not become an empty match,
 * which would match everything. */
static bool enter_object(struct ctx *c, json_t *v, const char *key)
{
	push_key(c, key);
	if (json_is_object(v))
		return true;
	problem(c, MG_MUD_ERROR, "must be an object");
	pop(c);
	return false;
}

static const char *const port_ops[] = {
	[MG_PORT_ANY] = "any", [MG_PORT_EQ] = "eq",   [MG_PORT_NEQ] = "neq",
	[MG_PORT_LTE] = "lte", [MG_PORT_GTE] = "gte", [MG_PORT_RANGE] = "range"};
static const char *const actions[] = {
	[MG_MUD_ACCEPT] = "accept", [MG_MUD_DROP] = "drop", [MG_MUD_REJECT] = "reject"};

const char *mg_mud_port_op_name(enum mg_mud_portop op)
{
	return (unsigned)op <= MG_PORT_RANGE ? port_ops[op] : "?";
}

const char *mg_mud_action_name(enum mg_mud_action a)
{
	return (unsigned)a <= MG_MUD_REJECT ? actions[a] : "?";
}

/* The index of @name in @names[@lo..@hi], or -1. */
static int name_index(const char *name, const char *const *names, int lo, int hi, bool icase)
{
	for (int i = lo; i <= hi; i++)
		if (!(icase ? strcasecmp : strcmp)(name, names[i]))
			return i;
	return -1;
}

static int parse_port(struct ctx *c, json_t *v, const char *key, struct mg_mud_ports *p)
{
	json_t *op = json_object_get(v, "operator"), *port = json_object_get(v, "port"),
	       *lo = json_object_get(v, "lower-port"), *hi = json_object_get(v, "upper-port");

	if (!enter_object(c, v, key))
		return -1;
	if (lo || hi) {
		if (!json_is_integer(lo) || !json_is_integer(hi) || json_integer_value(lo) < 0 ||
		    json_integer_value(hi) > 65535 || json_integer_value(lo) > json_integer_value(hi)) {
			problem(c, MG_MUD_ERROR, "lower-port and upper-port must be 0..65535, lower first");
			pop(c);
			return -1;
		}
		p->op = MG_PORT_RANGE;
		p->lo = (uint16_t)json_integer_value(lo);
		p->hi = (uint16_t)json_integer_value(hi);
		pop(c);
		return 0;
	}
	if (!json_is_integer(port) || json_integer_value(port) < 0 ||
	    json_integer_value(port) > 65535) {
		problem(c, MG_MUD_ERROR, "port must be an integer 0..65535");
		pop(c);
		return -1;
	}
	const char *o = op ? json_string_value(op) : "eq";
	p->lo = p->hi = (uint16_t)json_integer_value(port);
	if (!o) {
		problem(c, MG_MUD_ERROR, "operator must be a string");
		pop(c);
		return -1;
	}
	int i = name_index(o, port_ops, MG_PORT_EQ, MG_PORT_GTE, false);
	if (i < 0) {
		problem(c, MG_MUD_ERROR, "operator \"%s\" is not eq, neq, lte or gte", o);
		pop(c);
		return -1;
	}
	p->op = (uint8_t)i;
	pop(c);
	return 0;
}

static int parse_net(struct ctx *c, json_t *v, const char *key, struct mg_mud_net *n, int family)
{
	const char *s = json_string_value(v);
	long len = family == 4 ? 32 : 128;

	push_key(c, key);
	if (!s) {
		problem(c, MG_MUD_ERROR, "must be an address/prefix string");
		pop(c);
		return -1;
	}
	long given;
	int rc = mg_prefix_parse(s, &n->a, &given);
	if (rc == 0 && (family == 4) != mg_addr_is_v4(&n->a)) {
		/* seen in real profiles: an IPv4 address in an ipv6 match can never
		 * match, so the entry is disabled rather than the file refused */
		problem(c, MG_MUD_WARNING, "\"%s\" is not an IPv%d address: this entry is disabled",
			s, family);
		pop(c);
		return 1;
	}
	if (given != -1)
		len = given;
	if (rc < 0 || len < 0 || len > (family == 4 ? 32 : 128)) {
		problem(c, MG_MUD_ERROR, "\"%s\" is not an IPv%d prefix", s, family);
		pop(c);
		return -1;
	}
	if (given == -1)
		problem(c, MG_MUD_WARNING, "\"%s\" has no prefix length: a single address (/%ld)",
			s, len);
	n->set = true;
	n->len = (uint8_t)(family == 4 ? len + 96 : len);
	pop(c);
	return 0;
}

/* Marks @ace as never matching: a constraint we cannot check must not widen it. */
static void unsupported(struct ctx *c, struct mg_mud_ace *ace, const char *what)
{
	problem(c, MG_MUD_WARNING,
		"%s is not supported: this entry is disabled rather than matched without it",
		what);
	ace->disabled = true;
}

static void parse_l3(struct ctx *c, json_t *m, const char *key, struct mg_mud_ace *ace, int family)
{
	const char *k;
	json_t *v;

	if (!enter_object(c, m, key))
		return;
	if (ace->family && ace->family != family)
		problem(c, MG_MUD_WARNING, "both ipv4 and ipv6 matches: only ipv%d is used",
			ace->family);
	else
		ace->family = (uint8_t)family;
	json_object_foreach(m, k, v) {
		if (!strcmp(k, "protocol")) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 255) {
				push_key(c, k);
				problem(c, MG_MUD_ERROR, "protocol must be an integer 0..255");
				pop(c);
			} else {
				ace->proto = (int)json_integer_value(v);
			}
		} else if (!strcmp(k, "ietf-acldns:src-dnsname") ||
			   !strcmp(k, "ietf-acldns:dst-dnsname")) {
			push_key(c, k);
			if (!json_is_string(v) || !json_string_length(v))
				problem(c, MG_MUD_ERROR, "must be a non-empty name");
			else if (k[12] == 's' && (ace->src_dnsname = dup_name(c, json_string_value(v))))
				ace->src_dnshash = mg_mud_name_hash(ace->src_dnsname);
			else if (k[12] == 'd' && (ace->dst_dnsname = dup_name(c, json_string_value(v))))
				ace->dst_dnshash = mg_mud_name_hash(ace->dst_dnsname);
			pop(c);
		} else if (!strcmp(k, "destination-ipv4-network") ||
			   !strcmp(k, "destination-ipv6-network")) {
			if (parse_net(c, v, k, &ace->dst_net, family) > 0)
				ace->disabled = true;
		} else if (!strcmp(k, "source-ipv4-network") || !strcmp(k, "source-ipv6-network")) {
			if (parse_net(c, v, k, &ace->src_net, family) > 0)
				ace->disabled = true;
		} else if (!strcmp(k, "source-port-range") || !strcmp(k, "destination-port-range")) {
			parse_port(c, v, k, k[0] == 's' ? &ace->sport : &ace->dport); /* draft */
		} else if (!strcmp(k, "dscp") || !strcmp(k, "ttl") || !strcmp(k, "length") ||
			   !strcmp(k, "flow-label") || !strcmp(k, "ecn")) {
			push_key(c, k);
			unsupported(c, ace, k);
			pop(c);
		} else {
			push_key(c, k);
			unsupported(c, ace, "this match");
			pop(c);
		}
	}
	pop(c);
}

static void parse_l4(struct ctx *c, json_t *m, const char *key, struct mg_mud_ace *ace, int proto)
{
	const char *k;
	json_t *v;

	if (!enter_object(c, m, key))
		return;
	if (ace->proto >= 0 && ace->proto != proto)
		problem(c, MG_MUD_ERROR, "%s match with protocol %d", key, ace->proto);
	ace->proto = proto;
	json_object_foreach(m, k, v) {
		if (!strcmp(k, "source-port") || !strcmp(k, "source-port-range"))
			parse_port(c, v, k, &ace->sport);
		else if (!strcmp(k, "destination-port") || !strcmp(k, "destination-port-range"))
			parse_port(c, v, k, &ace->dport);
		else if (!strcmp(k, "ietf-mud:direction-initiated") && proto == 6) {
			const char *d = json_string_value(v);
			push_key(c, k);
			if (d && !strcmp(d, "from-device"))
				ace->initiated = MG_INIT_FROM_DEVICE;
			else if (d && !strcmp(d, "to-device"))
				ace->initiated = MG_INIT_TO_DEVICE;
			else
				problem(c, MG_MUD_ERROR, "must be \"from-device\" or \"to-device\"");
			pop(c);
		} else {
			push_key(c, k);
			unsupported(c, ace, "this match");
			pop(c);
		}
	}
	pop(c);
}

static void parse_mudmatch(struct ctx *c, json_t *m, const char *key, struct mg_mud_ace *ace)
{
	const char *k;
	json_t *v;

	if (!enter_object(c, m, key))
		return;
	json_object_foreach(m, k, v) {
		push_key(c, k);
		if (!strcmp(k, "local-networks") && is_empty_leaf(v))
			ace->local_networks = true;
		else if (!strcmp(k, "same-manufacturer") && is_empty_leaf(v))
			ace->same_manufacturer = true;
		else if (!strcmp(k, "my-controller") && is_empty_leaf(v))
			ace->my_controller = true;
		else if (!strcmp(k, "manufacturer") && json_is_string(v))
			ace->manufacturer = dup_str(c, json_string_value(v));
		else if (!strcmp(k, "model") && json_is_string(v))
			ace->model = dup_str(c, json_string_value(v));
		else if (!strcmp(k, "controller") && json_is_string(v))
			ace->controller = dup_str(c, json_string_value(v));
		else if (!strcmp(k, "local-networks") || !strcmp(k, "same-manufacturer") ||
			 !strcmp(k, "my-controller") || !strcmp(k, "manufacturer") ||
			 !strcmp(k, "model") || !strcmp(k, "controller"))
			problem(c, MG_MUD_ERROR, "wrong type for %s", k);
		else
			unsupported(c, ace, "this MUD match");
		pop(c);
	}
	pop(c);
}

static void parse_eth(struct ctx *c, json_t *m, struct mg_mud_ace *ace)
{
	const char *k;
	json_t *v;

	if (!enter_object(c, m, "eth"))
		return;
	json_object_foreach(m, k, v) {
		push_key(c, k);
		if (!strcmp(k, "ethertype")) {
			long t = -1;
			if (json_is_integer(v))
				t = (long)json_integer_value(v);
			else if (json_is_string(v))
				t = strtol(json_string_value(v), NULL, 0);
			if (t < 0 || t > 0xffff)
				problem(c, MG_MUD_ERROR, "ethertype must be 0..0xffff");
			else
				ace->ethertype = (int)t;
		} else {
			unsupported(c, ace, "this Ethernet match");
		}
		pop(c);
	}
	pop(c);
}

static void parse_icmp(struct ctx *c, json_t *m, struct mg_mud_ace *ace)
{
	if (!enter_object(c, m, "icmp"))
		return;
	json_t *t = json_object_get(m, "type"), *code = json_object_get(m, "code");
	if (t && (!json_is_integer(t) || json_integer_value(t) < 0 || json_integer_value(t) > 255))
		problem(c, MG_MUD_ERROR, "type must be 0..255");
	else if (t)
		ace->icmp_type = (int)json_integer_value(t);
	if (code &&
	    (!json_is_integer(code) || json_integer_value(code) < 0 || json_integer_value(code) > 255))
		problem(c, MG_MUD_ERROR, "code must be 0..255");
	else if (code)
		ace->icmp_code = (int)json_integer_value(code);
	if (ace->proto < 0)
		ace->proto = ace->family == 6 ? 58 : 1;
	pop(c);
}

/* The action of @ace from its "actions" @a: RFC 8519 "forwarding" (an identity,
 * with or without module prefix, any case), or the earliest ACL-model drafts'
 * "permit"/"deny" empty leaves (accept/drop). Spellings that disagree are an
 * error, never a guess. Returns 0 or -1 (reported). */
static int parse_action(struct ctx *c, json_t *a, struct mg_mud_ace *ace)
{
	static const char *const draft[] = {"permit", "deny"};
	json_t *fwd = json_object_get(a, "forwarding");
	int i = -1;

	push_key(c, "actions");
	if (fwd) {
		const char *f = json_string_value(fwd);
		const char *colon = f ? strchr(f, ':') : NULL;
		push_key(c, "forwarding");
		if (f)
			i = name_index(colon ? colon + 1 : f, actions, MG_MUD_ACCEPT, MG_MUD_REJECT,
				       true);
		if (i < 0) {
			if (f)
				problem(c, MG_MUD_ERROR, "\"%s\" is not accept, drop or reject", f);
			else
				problem(c, MG_MUD_ERROR, "must be a string");
			pop(c);
			pop(c);
			return -1;
		}
		pop(c);
	}
	for (int d = 0; d < 2; d++) {
		json_t *v = json_object_get(a, draft[d]);
		int want = d ? MG_MUD_DROP : MG_MUD_ACCEPT;
		if (!v)
			continue;
		bool ok = is_empty_leaf(v) && (i < 0 || i == want);
		push_key(c, draft[d]);
		if (!is_empty_leaf(v))
			problem(c, MG_MUD_ERROR, "must be [null] (an empty leaf)");
		else if (!ok)
			problem(c, MG_MUD_ERROR, "contradicts the %s action",
				mg_mud_action_name((enum mg_mud_action)i));
		pop(c);
		if (!ok) {
			pop(c);
			return -1;
		}
		i = want;
	}
	if (i < 0) {
		problem(c, MG_MUD_ERROR, "needs a forwarding action");
		pop(c);
		return -1;
	}
	ace->action = (uint8_t)i;
	pop(c);
	return 0;
}

static void parse_ace(struct ctx *c, json_t *j, struct mg_mud_ace *ace)
{
	const char *k;
	json_t *v;

	memset(ace, 0, sizeof(*ace));
	ace->proto = ace->ethertype = ace->icmp_type = ace->icmp_code = -1;
	if (!json_is_object(j)) {
		problem(c, MG_MUD_ERROR, "an entry must be an object");
		return;
	}
	ace->name = get_string(c, j, "name", "rule-name");
	if (!ace->name)
		problem(c, MG_MUD_ERROR, "entry without a name");
	json_t *m = json_object_get(j, "matches"), *act = json_object_get(j, "actions");
	if (m && enter_object(c, m, "matches")) {
		/* IP first: l4 and icmp need to know the family */
		json_object_foreach(m, k, v) {
			if (!strcmp(k, "ipv4") || !strcmp(k, "ipv4-acl"))
				parse_l3(c, v, k, ace, 4);
			else if (!strcmp(k, "ipv6") || !strcmp(k, "ipv6-acl"))
				parse_l3(c, v, k, ace, 6);
		}
		json_object_foreach(m, k, v) {
			if (!strcmp(k, "ipv4") || !strcmp(k, "ipv4-acl") || !strcmp(k, "ipv6") ||
			    !strcmp(k, "ipv6-acl"))
				continue;
			if (!strcmp(k, "tcp") || !strcmp(k, "tcp-acl"))
				parse_l4(c, v, k, ace, 6);
			else if (!strcmp(k, "udp") || !strcmp(k, "udp-acl"))
				parse_l4(c, v, k, ace, 17);
			else if (!strcmp(k, "icmp"))
				parse_icmp(c, v, ace);
			else if (!strcmp(k, "eth"))
				parse_eth(c, v, ace);
			else if (!strcmp(k, "ietf-mud:mud") || !strcmp(k, "ietf-mud:mud-acl"))
				parse_mudmatch(c, v, k, ace);
			else if (!strcmp(k, "ietf-mud:same-manufacturer") && is_empty_leaf(v))
				ace->same_manufacturer = true; /* draft form */
			else if (!strcmp(k, "actions") && !act) {
				push_key(c, k);
				problem(c, MG_MUD_WARNING, "actions belong beside matches; used");
				pop(c);
				act = v;
			} else {
				push_key(c, k);
				unsupported(c, ace, "this match");
				pop(c);
			}
		}
		pop(c);
	}
	if (!act)
		problem(c, MG_MUD_ERROR, "entry without actions");
	else
		parse_action(c, act, ace);
}

static void free_ace(struct mg_mud_ace *a)
{
	free(a->name);
	free(a->src_dnsname);
	free(a->dst_dnsname);
	free(a->manufacturer);
	free(a->model);
	free(a->controller);
}

static void parse_acl(struct ctx *c, json_t *j, struct mg_mud_acl *acl)
{
	const char *which;

	memset(acl, 0, sizeof(*acl));
	if (!json_is_object(j)) {
		problem(c, MG_MUD_ERROR, "an ACL must be an object");
		return;
	}
	acl->name = get_string(c, j, "name", "acl-name");
	acl->type = get_string(c, j, "type", "acl-type");
	if (!acl->name)
		problem(c, MG_MUD_ERROR, "ACL without a name");
	json_t *aces = member(j, "aces", "access-list-entries", &which);
	if (!aces) {
		problem(c, MG_MUD_WARNING, "ACL without entries");
		return;
	}
	push_key(c, which);
	json_t *list = json_object_get(aces, "ace");
	if (!json_is_array(list)) {
		problem(c, MG_MUD_ERROR, "needs an \"ace\" list");
		pop(c);
		return;
	}
	push_key(c, "ace");
	acl->ace = calloc(json_array_size(list) + 1, sizeof(*acl->ace));
	if (!acl->ace)
		c->nomem = 1;
	for (size_t i = 0; acl->ace && i < json_array_size(list); i++) {
		push_idx(c, i);
		parse_ace(c, json_array_get(list, i), &acl->ace[acl->n++]);
		pop(c);
	}
	pop(c);
	pop(c);
}

static void parse_policy(struct ctx *c, json_t *mud, const char *key, char ***names, size_t *n)
{
	json_t *p = json_object_get(mud, key);
	if (!p)
		return;
	push_key(c, key);
	json_t *lists = json_object_get(json_object_get(p, "access-lists"), "access-list");
	if (!json_is_array(lists)) {
		problem(c, MG_MUD_ERROR, "needs access-lists/access-list");
		pop(c);
		return;
	}
	push_key(c, "access-lists");
	push_key(c, "access-list");
	*names = calloc(json_array_size(lists) + 1, sizeof(**names));
	if (!*names)
		c->nomem = 1;
	for (size_t i = 0; *names && i < json_array_size(lists); i++) {
		push_idx(c, i);
		char *name = get_string(c, json_array_get(lists, i), "name", "acl-name");
		if (name)
			(*names)[(*n)++] = name;
		else
			problem(c, MG_MUD_ERROR, "access-list entry without a name");
		pop(c);
	}
	pop(c);
	pop(c);
	pop(c);
}

void mg_mud_free(struct mg_mud *m)
{
	if (!m)
		return;
	free(m->url);
	free(m->systeminfo);
	free(m->mfg_name);
	free(m->model_name);
	free(m->last_update);
	free(m->signature);
	for (size_t i = 0; i < m->n_from; i++)
		free(m->from_acl[i]);
	for (size_t i = 0; i < m->n_to; i++)
		free(m->to_acl[i]);
	free(m->from_acl);
	free(m->to_acl);
	free(m->pol[0]);
	free(m->pol[1]);
	for (int d = 0; d < 2; d++)
		for (int k = 0; k < MG_MUD_PCLASSES; k++) {
			free(m->by_proto[d][k].ace);
			free(m->by_proto[d][k].acl);
			free(m->by_proto[d][k].named);
			free(m->by_proto[d][k].is_named);
		}
	for (size_t i = 0; i < m->n_acl; i++) {
		for (size_t j = 0; j < m->acl[i].n; j++)
			free_ace(&m->acl[i].ace[j]);
		free(m->acl[i].ace);
		free(m->acl[i].name);
		free(m->acl[i].type);
	}
	free(m->acl);
	free(m);
}

const struct mg_mud_acl *mg_mud_acl_find(const struct mg_mud *m, const char *name)
{
	for (size_t i = 0; i < m->n_acl; i++)
		if (m->acl[i].name && !strcmp(m->acl[i].name, name))
			return &m->acl[i];
	return NULL;
}

static void parse_mud_container(struct ctx *c, json_t *mud, struct mg_mud *m)
{
	static const char *const known[] = {
		"mud-version", "mud-url",    "last-update", "cache-validity", "is-supported",
		"systeminfo",  "mfg-name",   "model-name",  "firmware-rev",   "software-rev",
		"documentation", "extensions", "mud-signature", "from-device-policy",
		"to-device-policy"};
	const char *k;
	json_t *v;

	push_key(c, "ietf-mud:mud");
	m->url = get_string(c, mud, "mud-url", NULL);
	if (!m->url)
		problem(c, MG_MUD_ERROR, "mud-url is required");
	else if (strncmp(m->url, "https://", 8))
		problem(c, MG_MUD_WARNING, "mud-url \"%s\" is not https (RFC 8520 section 3.2)",
			m->url);
	m->systeminfo = get_string(c, mud, "systeminfo", NULL);
	m->mfg_name = get_string(c, mud, "mfg-name", NULL);
	m->model_name = get_string(c, mud, "model-name", NULL);
	m->last_update = get_string(c, mud, "last-update", NULL);
	m->signature = get_string(c, mud, "mud-signature", NULL);
	v = json_object_get(mud, "mud-version");
	m->version = v && json_is_integer(v) ? (int)json_integer_value(v) : 1;
	if (v && (!json_is_integer(v) || json_integer_value(v) != 1)) {
		push_key(c, "mud-version");
		problem(c, MG_MUD_WARNING, "mud-version other than 1");
		pop(c);
	}
	m->cache_validity_h = 48;
	v = json_object_get(mud, "cache-validity");
	if (v) {
		push_key(c, "cache-validity");
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 168)
			problem(c, MG_MUD_WARNING, "cache-validity must be 1..168 hours; 48 used");
		else
			m->cache_validity_h = (uint32_t)json_integer_value(v);
		pop(c);
	}
	v = json_object_get(mud, "is-supported");
	m->is_supported = !v || json_is_true(v);
	json_object_foreach(mud, k, v) {
		bool ok = false;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]) && !ok; i++)
			ok = !strcmp(k, known[i]);
		if (!ok) {
			push_key(c, k);
			problem(c, MG_MUD_WARNING, "extension or key not supported; ignored");
			pop(c);
		}
	}
	parse_policy(c, mud, "from-device-policy", &m->from_acl, &m->n_from);
	parse_policy(c, mud, "to-device-policy", &m->to_acl, &m->n_to);
	pop(c);
}

static int cmp_named(const void *a, const void *b)
{
	const struct mg_mud_named *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Per policy and protocol class, the entries that can match: an entry
 * without a protocol goes into every class. */
static int index_by_proto(struct mg_mud *m)
{
	for (int d = 0; d < 2; d++) {
		size_t total = 0;
		for (size_t i = 0; i < m->npol[d]; i++)
			total += m->pol[d][i]->n;
		for (unsigned k = 0; k < MG_MUD_PCLASSES; k++) {
			struct mg_mud_list *l = &m->by_proto[d][k];
			l->ace = calloc(total + 1, sizeof(*l->ace));
			l->acl = calloc(total + 1, sizeof(*l->acl));
			l->named = calloc(total + 1, sizeof(*l->named));
			l->is_named = calloc(total + 1, 1);
			if (!l->ace || !l->acl || !l->named || !l->is_named)
				return -ENOMEM;
			for (size_t i = 0; i < m->npol[d]; i++)
				for (size_t j = 0; j < m->pol[d][i]->n; j++) {
					const struct mg_mud_ace *a = &m->pol[d][i]->ace[j];
					if (a->proto >= 0 && mg_mud_pclass(a->proto) != k)
						continue;
					const char *peer_name = d ? a->src_dnsname : a->dst_dnsname;
					if (peer_name) {
						l->named[l->nnamed++] = (struct mg_mud_named){
							d ? a->src_dnshash : a->dst_dnshash, (uint32_t)l->n};
						l->is_named[l->n] = 1;
					}
					l->ace[l->n] = a;
					l->acl[l->n++] = m->pol[d][i];
				}
			qsort(l->named, l->nnamed, sizeof(*l->named), cmp_named);
		}
	}
	return 0;
}

int mg_mud_parse(struct mg_mud **out, const char *name, const char *text, size_t len,
		 mg_mud_report report, void *user)
{
	struct ctx c = {.name = name, .text = text, .len = len, .report = report, .user = user};
	json_error_t jerr;
	struct mg_mud *m;
	const char *which;

	*out = NULL;
	json_t *root = json_loadb(text, len, 0, &jerr);
	if (!root) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s:%d:%d: not JSON: %s", name, jerr.line, jerr.column,
			 jerr.text);
		if (report)
			report(MG_MUD_ERROR, msg, user);
		return 1;
	}
	if (!(m = calloc(1, sizeof(*m)))) {
		json_decref(root);
		return -ENOMEM;
	}
	json_t *mud = json_object_get(root, "ietf-mud:mud");
	if (!json_is_object(mud))
		problem(&c, MG_MUD_ERROR, "no \"ietf-mud:mud\" container: not a MUD file");
	else
		parse_mud_container(&c, mud, m);
	json_t *acls = member(root, "ietf-access-control-list:acls",
			      "ietf-access-control-list:access-lists", &which);
	if (acls) {
		push_key(&c, which);
		json_t *list = json_object_get(acls, "acl");
		if (!json_is_array(list)) {
			problem(&c, MG_MUD_ERROR, "needs an \"acl\" list");
		} else {
			push_key(&c, "acl");
			m->acl = calloc(json_array_size(list) + 1, sizeof(*m->acl));
			if (!m->acl)
				c.nomem = 1;
			for (size_t i = 0; m->acl && i < json_array_size(list); i++) {
				push_idx(&c, i);
				parse_acl(&c, json_array_get(list, i), &m->acl[m->n_acl++]);
				pop(&c);
			}
			pop(&c);
		}
		pop(&c);
	}
	/* every policy names an ACL that exists; the matcher gets them resolved */
	for (int dir = 0; dir < 2 && json_is_object(mud); dir++) {
		char **names = dir ? m->to_acl : m->from_acl;
		size_t n = dir ? m->n_to : m->n_from;
		if (!(m->pol[dir] = calloc(n + 1, sizeof(*m->pol[dir])))) {
			c.nomem = 1;
			break;
		}
		for (size_t i = 0; i < n; i++)
			if ((m->pol[dir][m->npol[dir]] = mg_mud_acl_find(m, names[i])))
				m->npol[dir]++;
			else {
				push_key(&c, "ietf-mud:mud");
				push_key(&c, dir ? "to-device-policy" : "from-device-policy");
				problem(&c, MG_MUD_ERROR, "ACL \"%s\" is not defined", names[i]);
				pop(&c);
				pop(&c);
			}
	}
	json_decref(root);
	if (!c.errors && !c.nomem && index_by_proto(m) < 0)
		c.nomem = 1;
	if (c.nomem) {
		mg_mud_free(m);
		return -ENOMEM;
	}
	if (c.errors) {
		mg_mud_free(m);
		return c.errors;
	}
	*out = m;
	return 0;
}

/* ---- writing ---- */

static int set_new(json_t *o, const char *k, json_t *v)
{
	return v ? json_object_set_new(o, k, v) : -1;
}

static json_t *port_json(const struct mg_mud_ports *p)
{
	if (p->op == MG_PORT_RANGE)
		return json_pack("{s:i,s:i}", "lower-port", p->lo, "upper-port", p->hi);
	return json_pack("{s:s,s:i}", "operator", mg_mud_port_op_name((enum mg_mud_portop)p->op),
			 "port", p->lo);
}

static json_t *ace_json(const struct mg_mud_ace *a)
{
	json_t *ace = json_object(), *m = json_object();
	char buf[80], ip[64];
	int rc = 0;

	if (!ace || !m)
		goto fail;
	rc |= set_new(ace, "name", json_string(a->name ? a->name : "ace"));
	if (a->ethertype >= 0)
		rc |= set_new(m, "eth", json_pack("{s:i}", "ethertype", a->ethertype));
	bool icmp = a->icmp_type >= 0 || a->icmp_code >= 0;
	if (a->family) {
		json_t *l3 = json_object();
		rc |= set_new(m, a->family == 4 ? "ipv4" : "ipv6", l3);
		if (a->proto >= 0)
			rc |= set_new(l3, "protocol", json_integer(a->proto));
		if (a->src_dnsname)
			rc |= set_new(l3, "ietf-acldns:src-dnsname", json_string(a->src_dnsname));
		if (a->dst_dnsname)
			rc |= set_new(l3, "ietf-acldns:dst-dnsname", json_string(a->dst_dnsname));
		for (int side = 0; l3 && side < 2; side++) {
			const struct mg_mud_net *n = side ? &a->dst_net : &a->src_net;
			if (!n->set)
				continue;
			snprintf(buf, sizeof(buf), "%s/%u", mg_addr_str(&n->a, ip, sizeof(ip)),
				 a->family == 4 ? n->len - 96 : n->len);
			snprintf(ip, sizeof(ip), "%s-ipv%u-network", side ? "destination" : "source",
				 a->family);
			rc |= set_new(l3, ip, json_string(buf));
		}
	}
	if (a->proto == 6 || a->proto == 17) {
		json_t *l4 = json_object();
		rc |= set_new(m, a->proto == 6 ? "tcp" : "udp", l4);
		if (a->sport.op != MG_PORT_ANY)
			rc |= set_new(l4, "source-port", port_json(&a->sport));
		if (a->dport.op != MG_PORT_ANY)
			rc |= set_new(l4, "destination-port", port_json(&a->dport));
		if (a->proto == 6 && a->initiated != MG_INIT_ANY)
			rc |= set_new(l4, "ietf-mud:direction-initiated",
				      json_string(a->initiated == MG_INIT_FROM_DEVICE ? "from-device"
										: "to-device"));
	} else if (icmp) {
		json_t *ic = json_object();
		rc |= set_new(m, "icmp", ic);
		if (a->icmp_type >= 0)
			rc |= set_new(ic, "type", json_integer(a->icmp_type));
		if (a->icmp_code >= 0)
			rc |= set_new(ic, "code", json_integer(a->icmp_code));
	}
	if (a->local_networks || a->same_manufacturer || a->my_controller || a->manufacturer ||
	    a->model || a->controller) {
		json_t *mm = json_object();
		rc |= set_new(m, "ietf-mud:mud", mm);
		if (a->local_networks)
			rc |= set_new(mm, "local-networks", json_pack("[n]"));
		if (a->same_manufacturer)
			rc |= set_new(mm, "same-manufacturer", json_pack("[n]"));
		if (a->my_controller)
			rc |= set_new(mm, "my-controller", json_pack("[n]"));
		if (a->manufacturer)
			rc |= set_new(mm, "manufacturer", json_string(a->manufacturer));
		if (a->model)
			rc |= set_new(mm, "model", json_string(a->model));
		if (a->controller)
			rc |= set_new(mm, "controller", json_string(a->controller));
	}
	rc |= json_object_set(ace, "matches", m);
	rc |= set_new(ace, "actions",
		      json_pack("{s:s}", "forwarding",
				mg_mud_action_name((enum mg_mud_action)a->action)));
	json_decref(m);
	if (rc)
		goto fail_ace;
	return ace;
fail:
	json_decref(m);
fail_ace:
	json_decref(ace);
	return NULL;
}

static json_t *policy_json(char **names, size_t n)
{
	json_t *list = json_array();
	for (size_t i = 0; list && i < n; i++)
		if (json_array_append_new(list, json_pack("{s:s}", "name", names[i]))) {
			json_decref(list);
			return NULL;
		}
	return list ? json_pack("{s:{s:o}}", "access-lists", "access-list", list) : NULL;
}

int mg_mud_write(FILE *out, const struct mg_mud *m)
{
	json_t *root = json_object(), *mud = json_object(), *acls = json_array();
	int rc = 0;

	if (!root || !mud || !acls) {
		json_decref(root);
		json_decref(mud);
		json_decref(acls);
		return -ENOMEM;
	}
	rc |= json_object_set_new(root, "ietf-mud:mud", mud);
	rc |= set_new(mud, "mud-version", json_integer(m->version ? m->version : 1));
	rc |= set_new(mud, "mud-url", json_string(m->url ? m->url : ""));
	if (m->last_update)
		rc |= set_new(mud, "last-update", json_string(m->last_update));
	if (m->signature)
		rc |= set_new(mud, "mud-signature", json_string(m->signature));
	rc |= set_new(mud, "cache-validity", json_integer(m->cache_validity_h ? m->cache_validity_h : 48));
	rc |= set_new(mud, "is-supported", json_boolean(m->is_supported));
	if (m->systeminfo)
		rc |= set_new(mud, "systeminfo", json_string(m->systeminfo));
	if (m->mfg_name)
		rc |= set_new(mud, "mfg-name", json_string(m->mfg_name));
	if (m->model_name)
		rc |= set_new(mud, "model-name", json_string(m->model_name));
	rc |= set_new(mud, "from-device-policy", policy_json(m->from_acl, m->n_from));
	rc |= set_new(mud, "to-device-policy", policy_json(m->to_acl, m->n_to));
	for (size_t i = 0; i < m->n_acl; i++) {
		const struct mg_mud_acl *acl = &m->acl[i];
		json_t *aces = json_array();
		for (size_t j = 0; aces && j < acl->n; j++)
			rc |= json_array_append_new(aces, ace_json(&acl->ace[j]));
		rc |= json_array_append_new(
			acls, aces ? json_pack("{s:s,s:s,s:{s:o}}", "name", acl->name ? acl->name : "",
					       "type", acl->type ? acl->type : "ipv4-acl-type", "aces",
					       "ace", aces)
				   : NULL);
	}
	rc |= set_new(root, "ietf-access-control-list:acls", json_pack("{s:o}", "acl", acls));
	if (!rc)
		rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ? -EIO : 0;
	else
		rc = -ENOMEM;
	if (!rc && fputc('\n', out) == EOF)
		rc = -EIO;
	json_decref(root);
	return rc;
}

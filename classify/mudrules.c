/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* FNM_CASEFOLD */
#include "mudrules.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linefile.h"
#include "mudmatch.h"
#include "prefix.h"

static const char *const attr_names[] = {"vendor", "class", "model", "type", "mac"};
#define ATTR_MAC MG_MUDRULE__ATTRS

struct mrule {
	enum { R_BIND, R_CONTROLLER, R_MY_CONTROLLER } kind;
	int attr;      /* bind: index into attr_names */
	char *pattern; /* bind: glob; controllers: the class URI or MUD URL */
	char *url;     /* bind */
	struct mg_prefixes *nets; /* controllers: addresses and prefixes */
	char **names;  /* controllers: DNS names */
	size_t nnames;
	char *where, *what;
};

struct mg_mudrules {
	struct mrule *r;
	size_t n, cap;
};

static void free_rule(struct mrule *r)
{
	free(r->pattern);
	free(r->url);
	mg_prefixes_free(r->nets);
	for (size_t i = 0; i < r->nnames; i++)
		free(r->names[i]);
	free(r->names);
	free(r->where);
	free(r->what);
}

void mg_mudrules_free(struct mg_mudrules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free_rule(&r->r[i]);
	free(r->r);
	free(r);
}

size_t mg_mudrules_count(const struct mg_mudrules *r)
{
	return r ? r->n : 0;
}

static bool is_dns_name(const char *s)
{
	size_t n = strlen(s);
	return n && n < 254 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789.-_") == n && s[0] != '.' && s[0] != '-';
}

static int parse_line(void *user, const char *line, const char *path, const char *shown,
		      unsigned lineno, char *err, size_t errlen)
{
	struct mg_mudrules *rs = user;
	struct mrule r = {0};
	char tok[1024], why[160];
	const char *p = line;
	char *addrs = NULL;
	size_t alen = 0;
	int got, rc = -EINVAL;

#define ERR(...)                                                               \
	do {                                                                   \
		int n_ = snprintf(err, errlen, "%s:%u: ", path, lineno);       \
		if (n_ > 0 && (size_t)n_ < errlen)                             \
			snprintf(err + n_, errlen - (size_t)n_, __VA_ARGS__);  \
		goto fail;                                                     \
	} while (0)
#define NEXT(what)                                                             \
	do {                                                                   \
		if ((got = mg_next_token(&p, tok, sizeof(tok))) < 0)           \
			ERR("unterminated quote");                             \
		if (!got)                                                      \
			ERR("expected %s", what);                              \
	} while (0)

	if ((got = mg_next_token(&p, tok, sizeof(tok))) <= 0) {
		if (!got)
			return 0; /* blank or comment */
		ERR("unterminated quote");
	}
	if (!strcmp(tok, "bind")) {
		r.kind = R_BIND;
		NEXT("an attribute (mac, vendor, class, model or type)");
		for (r.attr = 0; r.attr <= ATTR_MAC && strcmp(attr_names[r.attr], tok); r.attr++)
			;
		if (r.attr > ATTR_MAC)
			ERR("unknown attribute \"%s\" (mac, vendor, class, model or type)", tok);
		NEXT("a pattern");
		if (!(r.pattern = strdup(tok)))
			goto nomem;
		NEXT("a MUD URL");
		if (!mg_mud_url_valid(tok, why, sizeof(why)))
			ERR("bad MUD URL: %s", why);
		if (!(r.url = strdup(tok)))
			goto nomem;
		if ((got = mg_next_token(&p, tok, sizeof(tok))) != 0)
			ERR("unexpected \"%s\" after the URL", got > 0 ? tok : "\"");
		snprintf(tok, sizeof(tok), "%s=%s", attr_names[r.attr], r.pattern);
		if (!(r.what = strdup(tok)))
			goto nomem;
	} else if (!strcmp(tok, "controller") || !strcmp(tok, "my-controller")) {
		r.kind = tok[0] == 'c' ? R_CONTROLLER : R_MY_CONTROLLER;
		NEXT(r.kind == R_CONTROLLER ? "a controller class URI" : "a MUD URL");
		if (r.kind == R_MY_CONTROLLER && !mg_mud_url_valid(tok, why, sizeof(why)))
			ERR("bad MUD URL: %s", why);
		if (!(r.pattern = strdup(tok)))
			goto nomem;
		while ((got = mg_next_token(&p, tok, sizeof(tok))) > 0) {
			struct mg_prefixes *one;
			char e[128];
			if (!mg_prefixes_parse(&one, tok, e, sizeof(e))) {
				mg_prefixes_free(one);
				size_t tl = strlen(tok);
				char *na = realloc(addrs, alen + tl + 2);
				if (!na)
					goto nomem;
				addrs = na;
				memcpy(addrs + alen, tok, tl);
				addrs[alen + tl] = ' ';
				addrs[alen + tl + 1] = 0;
				alen += tl + 1;
			} else if (is_dns_name(tok)) {
				char **nn = realloc(r.names, (r.nnames + 1) * sizeof(*nn));
				if (!nn)
					goto nomem;
				r.names = nn;
				if (!(r.names[r.nnames] = strdup(tok)))
					goto nomem;
				r.nnames++;
			} else {
				ERR("\"%s\" is not an address, prefix or DNS name", tok);
			}
		}
		if (got < 0)
			ERR("unterminated quote");
		if (!addrs && !r.nnames)
			ERR("%s needs at least one address, prefix or name",
			    r.kind == R_CONTROLLER ? "controller" : "my-controller");
		if (addrs && mg_prefixes_parse(&r.nets, addrs, why, sizeof(why)) < 0)
			goto nomem; /* every token parsed alone above */
	} else {
		ERR("unknown rule \"%s\" (bind, controller or my-controller)", tok);
	}
	snprintf(tok, sizeof(tok), "%s:%u", shown, lineno);
	if (!(r.where = strdup(tok)))
		goto nomem;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		struct mrule *nr = realloc(rs->r, cap * sizeof(*nr));
		if (!nr)
			goto nomem;
		rs->r = nr;
		rs->cap = cap;
	}
	rs->r[rs->n++] = r;
	free(addrs);
	return 0;
#undef ERR
#undef NEXT
nomem:
	snprintf(err, errlen, "%s:%u: out of memory", path, lineno);
	rc = -ENOMEM;
fail:
	free(addrs);
	free_rule(&r);
	return rc;
}

static int finish(struct mg_mudrules **out, struct mg_mudrules *rs, int rc)
{
	*out = NULL;
	if (rc) {
		mg_mudrules_free(rs);
		return rc;
	}
	*out = rs;
	return 0;
}

int mg_mudrules_load(struct mg_mudrules **out, const char *path, char *err, size_t errlen)
{
	struct mg_mudrules *rs = calloc(1, sizeof(*rs));
	return finish(out, rs, rs ? mg_lines_load(path, ".rules", parse_line, rs, err, errlen)
				  : -ENOMEM);
}

int mg_mudrules_load_mem(struct mg_mudrules **out, const char *name, const char *text,
			 size_t len, char *err, size_t errlen)
{
	struct mg_mudrules *rs = calloc(1, sizeof(*rs));
	return finish(out, rs,
		      rs ? mg_lines_load_mem(name, text, len, parse_line, rs, err, errlen)
			 : -ENOMEM);
}

const char *mg_mudrules_bind(const struct mg_mudrules *r, const uint8_t mac[6],
			     const char *const attrs[MG_MUDRULE__ATTRS], const char **where,
			     const char **what)
{
	char m[18];

	snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	for (size_t i = 0; r && i < r->n; i++) {
		const struct mrule *x = &r->r[i];
		if (x->kind != R_BIND)
			continue;
		const char *v = x->attr == ATTR_MAC ? m : attrs[x->attr];
		if (v && !fnmatch(x->pattern, v, FNM_CASEFOLD)) {
			*where = x->where;
			*what = x->what;
			return x->url;
		}
	}
	return NULL;
}

bool mg_mudrules_controller(const struct mg_mudrules *r, const char *uri, const char *my_url,
			    const struct mg_addr *a,
			    bool (*dns_has)(void *user, const char *name, const struct mg_addr *a),
			    void *user)
{
	for (size_t i = 0; r && i < r->n; i++) {
		const struct mrule *x = &r->r[i];
		if (uri ? x->kind != R_CONTROLLER || strcmp(x->pattern, uri)
			: x->kind != R_MY_CONTROLLER || !my_url || strcmp(x->pattern, my_url))
			continue;
		if (mg_prefixes_contain(x->nets, a))
			return true;
		for (size_t k = 0; dns_has && k < x->nnames; k++)
			if (dns_has(user, x->names[k], a))
				return true;
	}
	return false;
}

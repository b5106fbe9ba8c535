/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* FNM_CASEFOLD */
#include "ident.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "banner.h"
#include "../common/hash.h"
#include "linefile.h"

static const char *const attr_names[MG_ATTR__COUNT] = {"vendor", "class", "model", "type"};

const char *mg_attr_name(enum mg_attr a)
{
	return (unsigned)a < MG_ATTR__COUNT ? attr_names[a] : "?";
}

static const char *const class_names[] = {
#define MG_X_NAME(id, name) name,
	MG_CLASS_LIST(MG_X_NAME)
#undef MG_X_NAME
};

/* ---- rules ---------------------------------------------------------------- */

struct rule {
	enum mg_signal sig;
	char *pattern;
	char *val[MG_ATTR__COUNT]; /* type stays NULL: it comes from the model */
	double weight;
	bool module; /* a radio-module maker's OUI: evidence of the module, not the brand */
	char *where; /* "FILE:LINE" */
};

struct mg_rules {
	struct rule *r;
	size_t n, cap;
};

void mg_rules_free(struct mg_rules *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->r[i].pattern);
		free(rs->r[i].where);
		for (int a = 0; a < MG_ATTR__COUNT; a++)
			free(rs->r[i].val[a]);
	}
	free(rs->r);
	free(rs);
}

size_t mg_rules_count(const struct mg_rules *rs)
{
	return rs ? rs->n : 0;
}

static int parse_rule(struct mg_rules *rs, const char *line, const char *file,
		      const char *shown, unsigned lineno, char *err, size_t errlen)
{
	char tok[1024];
	const char *p = line;
	struct rule r = {.weight = 0.5};
	int rc, got;

#define RULE_ERR(...)                                                          \
	do {                                                                   \
		int n_ = snprintf(err, errlen, "%s:%u: ", file, lineno);       \
		if (n_ > 0 && (size_t)n_ < errlen)                             \
			snprintf(err + n_, errlen - (size_t)n_, __VA_ARGS__);  \
		rc = -EINVAL;                                                  \
		goto fail;                                                     \
	} while (0)

	if ((got = mg_next_token(&p, tok, sizeof(tok))) <= 0)
		return got < 0 ? (snprintf(err, errlen, "%s:%u: unterminated quote", file, lineno),
				  -EINVAL)
			       : 0; /* blank or comment */
	int sig = mg_signal_by_name(tok);
	if (sig < 0)
		RULE_ERR("unknown signal \"%s\" (see rules/README.md)", tok);
	r.sig = (enum mg_signal)sig;
	got = mg_next_token(&p, tok, sizeof(tok));
	if (got < 0)
		RULE_ERR("unterminated quote");
	if (!got)
		RULE_ERR("expected a pattern after \"%s\"", mg_signal_name(r.sig));
	if (!(r.pattern = strdup(tok)))
		goto nomem;
	int attrs = 0;
	while ((got = mg_next_token(&p, tok, sizeof(tok))) > 0) {
		char *eq = strchr(tok, '=');
		if (!eq || eq == tok || !eq[1])
			RULE_ERR("expected key=value, got \"%s\"", tok);
		*eq = 0;
		const char *v = eq + 1;
		if (!strcmp(tok, "module")) {
			if (strcmp(v, "yes"))
				RULE_ERR("module takes \"yes\" (got \"%s\")", v);
			if (r.sig != MG_SIG_OUI_VENDOR)
				RULE_ERR("module=yes is for oui.vendor rules");
			r.module = true;
			continue;
		}
		if (!strcmp(tok, "weight")) {
			char *end;
			r.weight = strtod(v, &end);
			if (*end || !(r.weight > 0 && r.weight <= 1))
				RULE_ERR("weight must be above 0 and at most 1 (got \"%s\")", v);
			continue;
		}
		int a;
		if (!strcmp(tok, "vendor"))
			a = MG_ATTR_VENDOR;
		else if (!strcmp(tok, "class"))
			a = MG_ATTR_CLASS;
		else if (!strcmp(tok, "model"))
			a = MG_ATTR_MODEL;
		else
			RULE_ERR("unknown key \"%s\" (vendor, class, model, weight or module)", tok);
		if (a == MG_ATTR_CLASS && v[0] == '$')
			RULE_ERR("class must be one of the fixed names, not \"%s\"", v);
		if (v[0] == '$' && strcmp(v, "$value") && strcmp(v, "$*") && strcmp(v, "$="))
			RULE_ERR("unknown substitution \"%s\" ($value, $* or $=)", v);
		if (a == MG_ATTR_CLASS) {
			size_t i, n = sizeof(class_names) / sizeof(class_names[0]);
			for (i = 0; i < n && strcmp(class_names[i], v); i++)
				;
			if (i == n)
				RULE_ERR("unknown class \"%s\" (see rules/README.md)", v);
		}
		if (r.val[a])
			RULE_ERR("%s given twice", tok);
		if (!(r.val[a] = strdup(v)))
			goto nomem;
		attrs++;
	}
	if (got < 0)
		RULE_ERR("unterminated quote");
	if (!attrs)
		RULE_ERR("a rule needs vendor=, class= or model=");
	char where[64 + 256];
	snprintf(where, sizeof(where), "%s:%u", shown, lineno);
	if (!(r.where = strdup(where)))
		goto nomem;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		struct rule *nr = realloc(rs->r, cap * sizeof(*nr));
		if (!nr)
			goto nomem;
		rs->r = nr;
		rs->cap = cap;
	}
	rs->r[rs->n++] = r;
	return 0;
#undef RULE_ERR
nomem:
	snprintf(err, errlen, "%s:%u: out of memory", file, lineno);
	rc = -ENOMEM;
fail:
	free(r.pattern);
	free(r.where);
	for (int a = 0; a < MG_ATTR__COUNT; a++)
		free(r.val[a]);
	return rc;
}

static int rule_line(void *user, const char *line, const char *path, const char *shown,
		     unsigned lineno, char *err, size_t errlen)
{
	return parse_rule(user, line, path, shown, lineno, err, errlen);
}

int mg_rules_load_mem(struct mg_rules **out, const char *name, const char *text, size_t len,
		      char *err, size_t errlen)
{
	struct mg_rules *rs = calloc(1, sizeof(*rs));
	int rc = rs ? mg_lines_load_mem(name, text, len, rule_line, rs, err, errlen) : -ENOMEM;

	*out = NULL;
	if (rc) {
		mg_rules_free(rs);
		return rc;
	}
	*out = rs;
	return 0;
}

int mg_rules_load(struct mg_rules **out, const char *path, char *err, size_t errlen)
{
	struct mg_rules *rs = calloc(1, sizeof(*rs));
	int rc = rs ? mg_lines_load(path, ".rules", rule_line, rs, err, errlen) : -ENOMEM;

	*out = NULL;
	if (rc) {
		mg_rules_free(rs);
		return rc;
	}
	*out = rs;
	return 0;
}

/* ---- per-device evidence -------------------------------------------------- */

struct item {
	enum mg_signal sig;
	char *value;
	uint64_t ts_us, hash;
};

struct hit {
	uint32_t rule; /* index into rules, or UINT32_MAX: the model's own label */
	uint32_t item; /* index into items, or UINT32_MAX: the model result */
	double weight;
	const char *value; /* what "$value" stands for */
	const char *star;  /* what "$*" stands for: the part the pattern's '*' matched */
};

struct dns_entry {
	struct mg_addr a;
	char *name;
	uint64_t expires_us;
	uint64_t seen_us; /* last answered */
};

struct mg_ident {
	const struct mg_ident_cfg *cfg;
	struct item *items;
	size_t n, cap;
	uint64_t dropped;
	struct hit *hits;
	size_t nhits, hitcap, nrule_hits; /* rule hits first, model hits after */
	uint64_t *tok;
	size_t ntok, tokcap;
	bool tok_changed;
	struct mg_fp_result model;
	bool has_model;
	uint64_t model_age_us; /* device age at the last classification */

	const char *shown[MG_ATTR__COUNT];
	double score[MG_ATTR__COUNT];
	const char *reported[MG_ATTR__COUNT];
	double reported_score[MG_ATTR__COUNT];

	struct mg_software sw[MG_IDENT_MAX_SOFTWARE];
	size_t nsw;
	struct dns_entry *dns;
	size_t ndns, capdns;
	char **strs; /* "$*" texts, interned */
	size_t nstrs;
};

struct mg_ident *mg_ident_new(const struct mg_ident_cfg *cfg)
{
	struct mg_ident *id = calloc(1, sizeof(*id));
	if (id)
		id->cfg = cfg;
	return id;
}

void mg_ident_free(struct mg_ident *id)
{
	if (!id)
		return;
	for (size_t i = 0; i < id->n; i++)
		free(id->items[i].value);
	for (size_t i = 0; i < id->nsw; i++) {
		free((char *)(uintptr_t)id->sw[i].product);
		free((char *)(uintptr_t)id->sw[i].version);
	}
	for (size_t i = 0; i < id->ndns; i++)
		free(id->dns[i].name);
	for (size_t i = 0; i < id->nstrs; i++)
		free(id->strs[i]);
	free(id->strs);
	free(id->dns);
	free(id->items);
	free(id->hits);
	free(id->tok);
	free(id);
}

static uint64_t item_hash(enum mg_signal sig, const char *v)
{
	uint64_t h = mg_fnv1a(MG_FNV_INIT, &sig, sizeof(sig));
	return mg_fnv1a(h, v, strlen(v));
}

/* A stable copy of @s owned by @id (the same pointer for equal texts). */
static const char *intern(struct mg_ident *id, const char *s, size_t n)
{
	for (size_t i = 0; i < id->nstrs; i++)
		if (strlen(id->strs[i]) == n && !strncmp(id->strs[i], s, n))
			return id->strs[i];
	char **ns = realloc(id->strs, (id->nstrs + 1) * sizeof(*ns));
	if (!ns)
		return NULL;
	id->strs = ns;
	if (!(id->strs[id->nstrs] = strndup(s, n)))
		return NULL;
	return id->strs[id->nstrs++];
}

/* The part of @v that the pattern's first-to-last '*' matched: @v without the
 * literal text before the first '*' and after the last one. */
static const char *star_part(struct mg_ident *id, const char *pattern, const char *v)
{
	const char *first = strchr(pattern, '*'), *last = strrchr(pattern, '*');
	size_t vl = strlen(v);
	if (!first)
		return v;
	size_t pre = (size_t)(first - pattern), post = strlen(last + 1);
	if (pre + post > vl)
		return v;
	return intern(id, v + pre, vl - pre - post);
}

static int push_hit(struct mg_ident *id, uint32_t rule, uint32_t item, double w, const char *v)
{
	if (id->nhits == id->hitcap) {
		size_t cap = id->hitcap ? id->hitcap * 2 : 16;
		struct hit *nh = realloc(id->hits, cap * sizeof(*nh));
		if (!nh)
			return -1;
		id->hits = nh;
		id->hitcap = cap;
	}
	const char *star = NULL;
	if (rule != UINT32_MAX)
		star = star_part(id, id->cfg->rules->r[rule].pattern, v);
	id->hits[id->nhits++] = (struct hit){rule, item, w, v, star ? star : v};
	return 0;
}

/* Rule hits of one value; model hits (always last) are moved behind them. */
static void match_rules(struct mg_ident *id, enum mg_signal sig, const char *v, uint32_t item,
			double mult)
{
	const struct mg_rules *rs = id->cfg->rules;
	if (!rs)
		return;
	for (size_t r = 0; r < rs->n; r++)
		if (rs->r[r].sig == sig && !fnmatch(rs->r[r].pattern, v, FNM_CASEFOLD))
			push_hit(id, (uint32_t)r, item, rs->r[r].weight * mult, v);
}

struct sw_ctx {
	struct mg_ident *id;
	enum mg_signal from;
};

static void add_software(void *user, const char *product, const char *version)
{
	struct sw_ctx *c = user;
	struct mg_ident *id = c->id;
	for (size_t i = 0; i < id->nsw; i++)
		if (!strcmp(id->sw[i].product, product) && !strcmp(id->sw[i].version, version))
			return;
	if (id->nsw == MG_IDENT_MAX_SOFTWARE)
		return;
	char *p = strdup(product), *v = strdup(version);
	if (!p || !v) {
		free(p);
		free(v);
		return;
	}
	id->sw[id->nsw++] = (struct mg_software){p, v, c->from};
}

static void version_cb(const char *product, const char *version, void *user)
{
	add_software(user, product, version);
}

static void find_software(struct mg_ident *id, enum mg_signal sig, const char *v)
{
	struct sw_ctx c = {id, sig};
	switch (sig) {
	case MG_SIG_DHCP_VENDOR:
	case MG_SIG_DHCP6_VENDOR:
	case MG_SIG_SSDP_SERVER:
	case MG_SIG_SSDP_USER_AGENT:
	case MG_SIG_HTTP_USER_AGENT:
	case MG_SIG_HTTP_SERVER:
	case MG_SIG_CDP_SOFTWARE:
	case MG_SIG_LLDP_DESC:
		mg_banner_versions(v, version_cb, &c);
		break;
	case MG_SIG_TLS_VERSION: /* the best TLS its client stack offers: old stacks show */
		add_software(&c, "TLS client", v);
		break;
	case MG_SIG_MDNS_TXT: {
		/* version-bearing TXT keys: "fw=1.4.2", "srcvers=366.0" */
		static const char *const keys[] = {"version=", "fw=",	 "fwver=", "fv=",
						   "firmware=", "sw=",	 "swver=", "srcvers=",
						   "vers=",    "osxvers="};
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t n = strlen(keys[i]);
			if (!strncmp(v, keys[i], n)) {
				char product[16];
				snprintf(product, sizeof(product), "%.*s", (int)(n - 1), keys[i]);
				add_software(&c, product, v + n);
			}
		}
		break;
	}
	default:
		break;
	}
}

static void add_tokens(struct mg_ident *id, enum mg_signal sig, const char *v)
{
	uint64_t t[MG_FP_TOKENS_PER_SIGNAL];
	size_t n = mg_fp_tokens(sig, v, t);
	if (!n)
		return;
	if (id->ntok + n > id->tokcap) {
		size_t cap = id->tokcap ? id->tokcap * 2 : 64;
		while (cap < id->ntok + n)
			cap *= 2;
		uint64_t *nt = realloc(id->tok, cap * sizeof(*nt));
		if (!nt)
			return;
		id->tok = nt;
		id->tokcap = cap;
	}
	memcpy(id->tok + id->ntok, t, n * sizeof(*t));
	id->ntok += n;
	id->tok_changed |= n > 0;
}

int mg_ident_add(struct mg_ident *id, enum mg_signal sig, const char *value, uint64_t ts_us)
{
	uint64_t h = item_hash(sig, value);

	for (size_t i = 0; i < id->n; i++)
		if (id->items[i].hash == h && id->items[i].sig == sig &&
		    !strcmp(id->items[i].value, value))
			return 0;
	if (id->n >= id->cfg->max_signals) {
		id->dropped++;
		return -1;
	}
	if (id->n == id->cap) {
		size_t cap = id->cap ? id->cap * 2 : 16;
		struct item *ni = realloc(id->items, cap * sizeof(*ni));
		if (!ni)
			return -1;
		id->items = ni;
		id->cap = cap;
	}
	char *v = strdup(value);
	if (!v)
		return -1;
	id->items[id->n] = (struct item){sig, v, ts_us, h};
	/* model hits are recomputed in update: drop them before adding rule hits */
	id->nhits = id->nrule_hits;
	match_rules(id, sig, v, (uint32_t)id->n, 1.0);
	id->nrule_hits = id->nhits;
	id->n++;
	find_software(id, sig, v);
	if (id->cfg->model)
		add_tokens(id, sig, v);
	return 1;
}

void mg_ident_rebase(struct mg_ident *id)
{
	/* what is shown and was reported may be a rule's or the model's text:
	 * kept as the device's own copies, so hysteresis still compares them */
	for (int a = 0; a < MG_ATTR__COUNT; a++) {
		if (id->shown[a])
			id->shown[a] = intern(id, id->shown[a], strlen(id->shown[a]));
		if (id->reported[a])
			id->reported[a] = intern(id, id->reported[a], strlen(id->reported[a]));
	}
	id->nhits = id->nrule_hits = 0;
	id->ntok = 0;
	for (size_t i = 0; i < id->n; i++) {
		match_rules(id, id->items[i].sig, id->items[i].value, (uint32_t)i, 1.0);
		if (id->cfg->model)
			add_tokens(id, id->items[i].sig, id->items[i].value);
	}
	id->nrule_hits = id->nhits;
	memset(&id->model, 0, sizeof(id->model)); /* the old model's labels */
	id->has_model = false;
	id->tok_changed = true;
}

#define MAX_CANDS 32

struct cand {
	const char *value;
	double keep; /* product of (1 - weight) */
};

static double score_of(const struct cand *c, size_t n, const char *v)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(c[i].value, v))
			return 1 - c[i].keep;
	return 0;
}

/* The rule behind hit @h, or NULL for the model's own label. */
static const struct rule *hit_rule(const struct mg_ident *id, const struct hit *h)
{
	return h->rule == UINT32_MAX ? NULL : &id->cfg->rules->r[h->rule];
}

static const char *hit_value(const struct mg_ident *id, const struct hit *h, enum mg_attr a)
{
	const struct rule *r = hit_rule(id, h);
	if (!r) /* the model's own hits: its label, or the runner-up's */
		return a == MG_ATTR_TYPE ? h->value : NULL;
	if (r->val[a] && !strcmp(r->val[a], "$value"))
		return h->value;
	if (r->val[a] && !strcmp(r->val[a], "$*"))
		return h->star;
	if (r->val[a] && !strcmp(r->val[a], "$=")) {
		const char *eq = strchr(h->value, '=');
		return eq && eq[1] ? eq + 1 : h->value;
	}
	return r->val[a];
}

/* Signals that can show a general-purpose OS (a browser or OS user agent, an
 * OS's DHCP client, the names an OS gives itself). `computer` and `phone` need
 * one of them: an OUI, a TCP SYN signature or a cloud domain alone is what any
 * embedded Linux shows too. */
static bool os_signal(enum mg_signal sig)
{
	switch (sig) {
	case MG_SIG_HTTP_USER_AGENT:
	case MG_SIG_DHCP_VENDOR:
	case MG_SIG_DHCP_PARAMS:
	case MG_SIG_DHCP_HOSTNAME:
	case MG_SIG_DHCP_FQDN:
	case MG_SIG_DHCP6_VENDOR:
	case MG_SIG_DHCP6_FQDN:
	case MG_SIG_MDNS_HOSTNAME:
	case MG_SIG_MDNS_TXT:
		return true; /* not mdns.service: avahi's _workstation runs on NAS and cameras */
	default:
		return false;
	}
}

/* A TCP stack's label counts as OS evidence on a device that also reaches
 * this many distinct names: a browser's spread, which no appliance has. */
#define OS_MANY_NAMES 24

static bool general_purpose(const char *cls)
{
	return !strcmp(cls, "computer") || !strcmp(cls, "phone");
}

static enum mg_signal hit_signal(const struct mg_ident *id, const struct hit *h)
{
	return h->item == UINT32_MAX ? MG_SIG_MODEL_TYPE : id->items[h->item].sig;
}

/* Does some hit for class @cls rest on evidence of a general-purpose OS? */
static bool os_evidence(const struct mg_ident *id, const char *cls)
{
	size_t names = 0;
	for (size_t i = 0; i < id->n; i++)
		names += id->items[i].sig == MG_SIG_DNS_QUERY;
	for (size_t i = 0; i < id->nhits; i++) {
		const struct hit *h = &id->hits[i];
		const struct rule *r = hit_rule(id, h);
		if (!r || !r->val[MG_ATTR_CLASS] || strcmp(r->val[MG_ATTR_CLASS], cls))
			continue;
		enum mg_signal sig = hit_signal(id, h);
		if (os_signal(sig) || (sig == MG_SIG_TCP_OS && names >= OS_MANY_NAMES))
			return true;
	}
	return false;
}

/* Is item @item a MAC block of a radio-module maker (a module=yes rule hit
 * it)? Then no rule on it names the brand: not the registry name either. */
static bool module_item(const struct mg_ident *id, uint32_t item)
{
	for (size_t i = 0; i < id->nrule_hits && item != UINT32_MAX; i++)
		if (id->hits[i].item == item && id->cfg->rules->r[id->hits[i].rule].module)
			return true;
	return false;
}

/* Best weight per rule (a rule counts once), summed into candidates. Hits of
 * radio-module OUIs count for the vendor only with @modules; class computer
 * and phone only with evidence of a general-purpose OS. */
static size_t candidates(const struct mg_ident *id, enum mg_attr a, struct cand *c, size_t max,
			 bool modules)
{
	size_t n = 0;
	int gp[2] = {-1, -1}; /* computer, phone: unknown yet, 0 no, 1 yes */
	for (size_t i = 0; i < id->nhits; i++) {
		const struct hit *h = &id->hits[i];
		const char *v = hit_value(id, h, a);
		if (!v)
			continue;
		if (a == MG_ATTR_VENDOR && !modules && module_item(id, h->item))
			continue;
		if (a == MG_ATTR_CLASS && general_purpose(v)) {
			int k = strcmp(v, "computer") != 0;
			if (gp[k] < 0)
				gp[k] = os_evidence(id, v);
			if (!gp[k])
				continue;
		}
		bool dup = false; /* same rule hit by an earlier value: strongest only */
		for (size_t j = 0; j < i && !dup; j++)
			dup = id->hits[j].rule == h->rule && h->rule != UINT32_MAX &&
			      id->hits[j].weight >= h->weight && hit_value(id, &id->hits[j], a) &&
			      !strcmp(hit_value(id, &id->hits[j], a), v);
		if (dup)
			continue;
		size_t k;
		for (k = 0; k < n && strcmp(c[k].value, v); k++)
			;
		if (k == n) {
			if (n == max)
				continue;
			c[n++] = (struct cand){v, 1.0};
		}
		c[k].keep *= 1 - h->weight;
	}
	return n;
}

/* Evidence for another class is evidence against this one: a class's score
 * is its own times (1 - the strongest rival's), so two strong claims leave
 * neither confident, and the device is reported unknown rather than guessed. */
static void contest(struct cand *c, size_t n)
{
	double s[MAX_CANDS];
	for (size_t i = 0; i < n; i++)
		s[i] = 1 - c[i].keep;
	for (size_t i = 0; i < n; i++) {
		double rival = 0;
		for (size_t j = 0; j < n; j++)
			if (j != i && s[j] > rival)
				rival = s[j];
		c[i].keep = 1 - s[i] * (1 - rival);
	}
}

static void run_model(struct mg_ident *id, uint64_t age_us)
{
	const struct mg_fpmodel *m = id->cfg->model;

	id->nhits = id->nrule_hits;
	if (!m)
		return;
	/* the comparison horizon follows the device's age: classify again on new
	 * evidence, or when the age has doubled (a logarithmic number of times) */
	if (id->tok_changed || !id->has_model || age_us >= 2 * id->model_age_us + 1000000u) {
		mg_fpmodel_classify(m, id->tok, id->ntok, age_us, &id->model);
		id->has_model = true;
		id->tok_changed = false;
		id->model_age_us = age_us;
	}
	if (!id->model.label)
		return;
	push_hit(id, UINT32_MAX, UINT32_MAX, id->model.confidence, id->model.label);
	/* the runner-up keeps a score (half its similarity: it is behind), so
	 * hysteresis weighs a label the model just left against the new one */
	if (id->model.runner_up && id->model.runner_up_similarity >= MG_FP_MIN_SIMILARITY)
		push_hit(id, UINT32_MAX, UINT32_MAX, id->model.runner_up_similarity / 2,
			 id->model.runner_up);
	match_rules(id, MG_SIG_MODEL_TYPE, id->model.label, UINT32_MAX, id->model.confidence);
}

bool mg_ident_update(struct mg_ident *id, uint64_t age_us)
{
	const struct mg_ident_cfg *cfg = id->cfg;
	struct cand c[MAX_CANDS];
	bool news = false;

	run_model(id, age_us);
	for (int a = 0; a < MG_ATTR__COUNT; a++) {
		size_t n = candidates(id, (enum mg_attr)a, c, MAX_CANDS, false);
		if (a == MG_ATTR_VENDOR) {
			/* a module maker's OUI names the vendor only when nothing the
			 * device said does */
			double best = 0;
			for (size_t i = 0; i < n; i++)
				best = fmax(best, 1 - c[i].keep);
			if (best < cfg->min_score)
				n = candidates(id, (enum mg_attr)a, c, MAX_CANDS, true);
		} else if (a == MG_ATTR_CLASS) {
			contest(c, n);
		}
		const char *best = NULL;
		double best_s = 0;
		for (size_t i = 0; i < n; i++) {
			double s = 1 - c[i].keep;
			if (s > best_s + 1e-12) {
				best = c[i].value;
				best_s = s;
			}
		}
		const char *cur = id->shown[a];
		double cur_s = cur ? score_of(c, n, cur) : 0;
		if (best && best_s >= cfg->min_score &&
		    (!cur || (strcmp(best, cur) && best_s >= cur_s + cfg->hysteresis)))
			cur = best, cur_s = best_s;
		else if (cur && cur_s < cfg->min_score) /* lost its support (model changed) */
			cur = NULL, cur_s = 0;
		id->shown[a] = cur;
		id->score[a] = cur_s;
		bool changed = (cur == NULL) != (id->reported[a] == NULL) ||
			       (cur && strcmp(cur, id->reported[a]));
		if (changed || fabs(cur_s - id->reported_score[a]) >= cfg->report_delta)
			news = true;
	}
	if (news) {
		memcpy(id->reported, id->shown, sizeof(id->reported));
		memcpy(id->reported_score, id->score, sizeof(id->reported_score));
	}
	return news;
}

void mg_ident_get(const struct mg_ident *id, struct mg_identity *out)
{
	for (int a = 0; a < MG_ATTR__COUNT; a++) {
		out->value[a] = id->shown[a];
		out->score[a] = id->score[a];
	}
	out->confidence = id->shown[MG_ATTR_CLASS] ? id->score[MG_ATTR_CLASS]
						    : id->score[MG_ATTR_VENDOR];
	out->vendor_source = NULL;
	if (!id->shown[MG_ATTR_VENDOR])
		return;
	const struct hit *best = NULL; /* the strongest evidence for the vendor shown */
	for (size_t i = 0; i < id->nhits; i++) {
		const char *v = hit_value(id, &id->hits[i], MG_ATTR_VENDOR);
		if (v && !strcmp(v, id->shown[MG_ATTR_VENDOR]) &&
		    (!best || id->hits[i].weight > best->weight))
			best = &id->hits[i];
	}
	if (!best)
		return;
	enum mg_signal sig = hit_signal(id, best);
	out->vendor_source = module_item(id, best->item) ? "module"
			     : sig == MG_SIG_OUI_VENDOR || sig == MG_SIG_MAC_PREFIX ? "oui"
			     : sig == MG_SIG_MODEL_TYPE			    ? "model"
									    : "device";
}

static int cmp_use(const void *a, const void *b)
{
	const struct mg_ident_use *x = a, *y = b;
	return x->weight < y->weight ? 1 : x->weight > y->weight ? -1 : 0;
}

size_t mg_ident_used(const struct mg_ident *id, struct mg_ident_use *out, size_t max)
{
	size_t n = 0, total = 0;
	struct mg_ident_use *all = calloc(id->nhits ? id->nhits : 1, sizeof(*all));
	if (!all)
		return 0;
	for (size_t i = 0; i < id->nhits; i++) {
		const struct hit *h = &id->hits[i];
		struct mg_ident_use u = {.weight = h->weight};
		bool any = false;
		for (int a = 0; a < MG_ATTR__COUNT; a++) {
			const char *v = hit_value(id, h, (enum mg_attr)a);
			u.supports[a] = v && id->shown[a] && !strcmp(v, id->shown[a]);
			any |= u.supports[a];
		}
		if (!any)
			continue;
		if (h->item == UINT32_MAX) {
			u.sig = MG_SIG_MODEL_TYPE;
			u.value = h->value;
		} else {
			u.sig = id->items[h->item].sig;
			u.value = id->items[h->item].value;
		}
		const struct rule *r = hit_rule(id, h);
		u.rule = r ? r->where : "model";
		all[n++] = u;
	}
	qsort(all, n, sizeof(*all), cmp_use);
	total = n;
	memcpy(out, all, (n < max ? n : max) * sizeof(*out));
	free(all);
	return total;
}

const struct mg_fp_result *mg_ident_model(const struct mg_ident *id)
{
	return id->has_model ? &id->model : NULL;
}

size_t mg_ident_count(const struct mg_ident *id)
{
	return id->n;
}

void mg_ident_item(const struct mg_ident *id, size_t i, enum mg_signal *sig, const char **value,
		   uint64_t *ts_us)
{
	*sig = id->items[i].sig;
	*value = id->items[i].value;
	*ts_us = id->items[i].ts_us;
}

uint64_t mg_ident_dropped(const struct mg_ident *id)
{
	return id->dropped;
}

size_t mg_ident_software(const struct mg_ident *id, const struct mg_software **out)
{
	*out = id->sw;
	return id->nsw;
}

void mg_ident_dns_add(struct mg_ident *id, const char *name, const struct mg_addr *a,
		      uint32_t ttl, uint64_t now_us)
{
	uint64_t exp = now_us + (uint64_t)ttl * 1000000u;
	size_t slot = id->ndns, oldest = 0;

	/* one entry per (address, name): a CDN address answers many names */
	for (size_t i = 0; i < id->ndns; i++) {
		if (!memcmp(&id->dns[i].a, a, sizeof(*a)) && !strcmp(id->dns[i].name, name)) {
			if (exp > id->dns[i].expires_us)
				id->dns[i].expires_us = exp;
			id->dns[i].seen_us = now_us;
			return;
		}
		if (id->dns[i].expires_us < id->dns[oldest].expires_us)
			oldest = i;
	}
	if (id->ndns == id->capdns && id->capdns < MG_IDENT_MAX_DNS) { /* grows: most devices ask little */
		size_t cap = id->capdns ? id->capdns * 2 : 8;
		struct dns_entry *nd = realloc(id->dns, cap * sizeof(*nd));
		if (!nd)
			return;
		id->dns = nd;
		id->capdns = cap;
	}
	char *n = strdup(name);
	if (!n)
		return;
	if (id->ndns == MG_IDENT_MAX_DNS) {
		slot = oldest; /* full: the entry that expires first goes */
		free(id->dns[slot].name);
	} else {
		id->ndns++;
	}
	id->dns[slot] = (struct dns_entry){*a, n, exp, now_us};
}

const char *mg_ident_dns_name(const struct mg_ident *id, const struct mg_addr *a, uint64_t now_us)
{
	const struct dns_entry *best = NULL;
	for (size_t i = 0; i < id->ndns; i++)
		if (!memcmp(&id->dns[i].a, a, sizeof(*a)) && id->dns[i].expires_us >= now_us &&
		    (!best || id->dns[i].seen_us > best->seen_us))
			best = &id->dns[i]; /* latest; in one answer the name asked comes first */
	return best ? best->name : NULL;
}

bool mg_ident_dns_has(const struct mg_ident *id, const char *name, const struct mg_addr *a,
		      uint64_t now_us, uint64_t grace_us)
{
	for (size_t i = 0; i < id->ndns; i++)
		if (!memcmp(&id->dns[i].a, a, sizeof(*a)) &&
		    id->dns[i].expires_us + grace_us >= now_us && !strcasecmp(id->dns[i].name, name))
			return true;
	return false;
}

size_t mg_ident_dns_names(const struct mg_ident *id, const struct mg_addr *a, uint64_t now_us,
			  uint64_t grace_us, const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < id->ndns && n < max; i++)
		if (!memcmp(&id->dns[i].a, a, sizeof(*a)) && id->dns[i].expires_us + grace_us >= now_us)
			out[n++] = id->dns[i].name;
	return n;
}

size_t mg_ident_dns_count(const struct mg_ident *id, uint64_t now_us)
{
	size_t n = 0;
	for (size_t i = 0; i < id->ndns; i++)
		n += id->dns[i].expires_us >= now_us;
	return n;
}

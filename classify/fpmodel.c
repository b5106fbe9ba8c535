/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "fpmodel.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/hash.h"
#include "../common/statefile.h"

#define MAGIC "mudguard-fingerprint-model 1"

struct sample {
	int label;
	char *name;
	struct mg_fp_tok *tok; /* sorted by hash, unique (earliest time kept) */
	double *w;	       /* weight of each token */
	size_t n;
};

struct df {
	uint64_t tok;
	uint32_t n;
};

struct mg_fpmodel {
	char **label;
	size_t nlabels;
	struct sample *s;
	size_t n, cap;
	struct df *df; /* sorted by tok */
	size_t ndf;
	double unseen_w; /* weight of a token no training device has */
};

/* How much a signal says about the type, stored in a token's top two bits:
 * names and banners a vendor chose (3), incidental behaviour such as DNS names,
 * NTP servers and protocol mix (1), header shapes of the first packets (0). */
enum { W_SHAPE, W_BEHAVIOUR, W_RESERVED, W_NAME };
static const double class_factor[4] = {0.5, 1.0, 1.0, 3.0};

static unsigned signal_class(enum mg_signal sig)
{
	switch (sig) {
	case MG_SIG_DHCP_HOSTNAME:
	case MG_SIG_DHCP_VENDOR:
	case MG_SIG_DHCP_FQDN:
	case MG_SIG_DHCP_MUD_URL:
	case MG_SIG_DHCP6_VENDOR:
	case MG_SIG_DHCP6_FQDN:
	case MG_SIG_DHCP6_MUD_URL:
	case MG_SIG_MDNS_HOSTNAME:
	case MG_SIG_MDNS_SERVICE:
	case MG_SIG_MDNS_INSTANCE:
	case MG_SIG_MDNS_TXT:
	case MG_SIG_SSDP_SERVER:
	case MG_SIG_SSDP_USER_AGENT:
	case MG_SIG_SSDP_TYPE:
	case MG_SIG_SSDP_USN:
	case MG_SIG_SSDP_LOCATION:
	case MG_SIG_HTTP_USER_AGENT:
	case MG_SIG_HTTP_SERVER:
	case MG_SIG_LLDP_NAME:
	case MG_SIG_LLDP_DESC:
	case MG_SIG_LLDP_MUD_URL:
	case MG_SIG_CDP_DEVICE_ID:
	case MG_SIG_CDP_PLATFORM:
	case MG_SIG_CDP_SOFTWARE:
	case MG_SIG_NETBIOS_NAME:
		return W_NAME;
	case MG_SIG_TRAFFIC:
		return W_SHAPE;
	default:
		return W_BEHAVIOUR;
	}
}

static uint64_t tok_hash(enum mg_signal sig, char kind, const char *v)
{
	const char *name = mg_signal_name(sig);
	uint64_t h = mg_fnv1a(MG_FNV_INIT, name, strlen(name));
	h = mg_fnv1a(h, &kind, 1);
	h = mg_fnv1a(h, v, strlen(v));
	return (h >> 2) | (uint64_t)signal_class(sig) << 62;
}

/* Masks runs of 4+ hex digits holding a digit (serials, MAC tails): the
 * shape of "dchE143" is "dch#", of "ESP_3A01F2" is "ESP_#". Returns true if
 * anything was masked. */
static bool shape(const char *v, char *out, size_t len)
{
	size_t o = 0;
	bool masked = false;
	for (size_t i = 0; v[i] && o + 2 < len;) {
		size_t j = i;
		bool digit = false;
		while (isxdigit((unsigned char)v[j])) {
			digit |= isdigit((unsigned char)v[j]) != 0;
			j++;
		}
		if (j - i >= 4 && digit) {
			out[o++] = '#';
			masked = true;
			i = j;
		} else if (j > i) {
			while (i < j && o + 2 < len)
				out[o++] = v[i++];
		} else {
			out[o++] = v[i++];
		}
	}
	out[o] = 0;
	return masked;
}

size_t mg_fp_tokens(enum mg_signal sig, const char *value, uint64_t *out)
{
	char buf[512];
	size_t n = 0;

	if (sig == MG_SIG_MODEL_TYPE || sig == MG_SIG_TCP_OS)
		return 0;
	out[n++] = tok_hash(sig, '=', value);
	if (shape(value, buf, sizeof(buf)))
		out[n++] = tok_hash(sig, '~', buf);
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static size_t sort_unique(uint64_t *t, size_t n)
{
	size_t o = 0;
	qsort(t, n, sizeof(*t), cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (!o || t[o - 1] != t[i])
			t[o++] = t[i];
	return o;
}

static int cmp_tok(const void *a, const void *b)
{
	const struct mg_fp_tok *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->at_ms < y->at_ms ? -1 : x->at_ms > y->at_ms;
}

struct mg_fpmodel *mg_fpmodel_new(void)
{
	return calloc(1, sizeof(struct mg_fpmodel));
}

void mg_fpmodel_free(struct mg_fpmodel *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nlabels; i++)
		free(m->label[i]);
	for (size_t i = 0; i < m->n; i++) {
		free(m->s[i].name);
		free(m->s[i].tok);
		free(m->s[i].w);
	}
	free(m->label);
	free(m->s);
	free(m->df);
	free(m);
}

size_t mg_fpmodel_samples(const struct mg_fpmodel *m)
{
	return m->n;
}

size_t mg_fpmodel_labels(const struct mg_fpmodel *m)
{
	return m->nlabels;
}

static int label_index(struct mg_fpmodel *m, const char *label)
{
	for (size_t i = 0; i < m->nlabels; i++)
		if (!strcmp(m->label[i], label))
			return (int)i;
	char **nl = realloc(m->label, (m->nlabels + 1) * sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	m->label = nl;
	if (!(m->label[m->nlabels] = strdup(label)))
		return -ENOMEM;
	return (int)m->nlabels++;
}

int mg_fpmodel_add(struct mg_fpmodel *m, const char *label, const char *name,
		   const struct mg_fp_tok *tok, size_t n)
{
	int li = label_index(m, label);
	if (li < 0)
		return li;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct sample *ns = realloc(m->s, cap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		m->s = ns;
		m->cap = cap;
	}
	struct sample *s = &m->s[m->n];
	memset(s, 0, sizeof(*s));
	s->label = li;
	s->name = strdup(name);
	s->tok = malloc((n ? n : 1) * sizeof(*tok));
	if (!s->name || !s->tok) {
		free(s->name);
		free(s->tok);
		return -ENOMEM;
	}
	if (n) { /* a device may have shown nothing */
		memcpy(s->tok, tok, n * sizeof(*tok));
		qsort(s->tok, n, sizeof(*tok), cmp_tok);
	}
	s->n = 0;
	for (size_t i = 0; i < n; i++)
		if (!s->n || s->tok[s->n - 1].h != s->tok[i].h)
			s->tok[s->n++] = s->tok[i];
	m->n++;
	return 0;
}

static double weight(const struct mg_fpmodel *m, uint64_t t)
{
	size_t lo = 0, hi = m->ndf;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m->df[mid].tok < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	double f = class_factor[t >> 62];
	if (lo < m->ndf && m->df[lo].tok == t)
		return f * (log((double)(m->n + 1) / (m->df[lo].n + 1)) + 1.0);
	return f * m->unseen_w;
}

int mg_fpmodel_finish(struct mg_fpmodel *m)
{
	size_t total = 0;
	for (size_t i = 0; i < m->n; i++)
		total += m->s[i].n;
	uint64_t *all = malloc((total ? total : 1) * sizeof(*all));
	free(m->df);
	m->df = malloc((total ? total : 1) * sizeof(*m->df));
	if (!all || !m->df) {
		free(all);
		return -ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < m->n; i++)
		for (size_t j = 0; j < m->s[i].n; j++)
			all[k++] = m->s[i].tok[j].h;
	qsort(all, total, sizeof(*all), cmp_u64);
	m->ndf = 0;
	for (size_t i = 0; i < total; i++) {
		if (m->ndf && m->df[m->ndf - 1].tok == all[i])
			m->df[m->ndf - 1].n++;
		else
			m->df[m->ndf++] = (struct df){all[i], 1};
	}
	free(all);
	m->unseen_w = log((double)(m->n + 1)) + 1.0;
	for (size_t i = 0; i < m->n; i++) {
		free(m->s[i].w);
		if (!(m->s[i].w = malloc((m->s[i].n ? m->s[i].n : 1) * sizeof(double))))
			return -ENOMEM;
		for (size_t j = 0; j < m->s[i].n; j++)
			m->s[i].w[j] = weight(m, m->s[i].tok[j].h);
	}
	return 0;
}

void mg_fpmodel_classify(const struct mg_fpmodel *m, const uint64_t *tok, size_t n,
			 uint64_t age_us, struct mg_fp_result *r)
{
	memset(r, 0, sizeof(*r));
	if (!n || !m->n)
		return;
	uint64_t *q = malloc(n * sizeof(*q));
	double *qw = malloc(n * sizeof(*qw));
	double *best = calloc(m->nlabels, sizeof(*best));
	size_t *best_i = calloc(m->nlabels, sizeof(*best_i));
	if (!q || !qw || !best || !best_i)
		goto out;
	memcpy(q, tok, n * sizeof(*q));
	n = sort_unique(q, n);
	double qnorm = 0;
	for (size_t i = 0; i < n; i++) {
		qw[i] = weight(m, q[i]);
		qnorm += qw[i] * qw[i];
	}
	qnorm = sqrt(qnorm);
	uint64_t horizon = age_us == UINT64_MAX ? UINT64_MAX : (2 * age_us + 2000000u) / 1000u;
	for (size_t si = 0; si < m->n; si++) {
		const struct sample *s = &m->s[si];
		double dot = 0, snorm = 0;
		for (size_t i = 0, j = 0; j < s->n;) {
			if (s->tok[j].at_ms > horizon) {
				j++;
			} else if (i == n || q[i] > s->tok[j].h) {
				snorm += s->w[j] * s->w[j];
				j++;
			} else if (q[i] < s->tok[j].h) {
				i++;
			} else {
				dot += qw[i] * qw[i];
				snorm += s->w[j] * s->w[j];
				i++, j++;
			}
		}
		double sim = snorm > 0 ? dot / (qnorm * sqrt(snorm)) : 0;
		if (sim > best[s->label]) {
			best[s->label] = sim;
			best_i[s->label] = si;
		}
	}
	size_t l1 = 0, l2 = SIZE_MAX;
	for (size_t l = 1; l < m->nlabels; l++) {
		if (best[l] > best[l1]) {
			l2 = l1;
			l1 = l;
		} else if (l2 == SIZE_MAX || best[l] > best[l2]) {
			l2 = l;
		}
	}
	double s1 = best[l1], s2 = l2 == SIZE_MAX ? 0 : best[l2];
	r->similarity = s1;
	r->nearest = m->s[best_i[l1]].name;
	r->runner_up = l2 == SIZE_MAX ? NULL : m->label[l2];
	r->runner_up_similarity = s2;
	if (s1 >= MG_FP_MIN_SIMILARITY) {
		/* a lead of a fifth of the similarity or more is full confidence; a tie
		 * with another label halves it */
		double lead = (s1 - s2) / (0.2 * s1);
		r->label = m->label[l1];
		r->confidence = s1 * (0.5 + 0.5 * (lead > 1 ? 1 : lead));
	}
out:
	free(q);
	free(qw);
	free(best);
	free(best_i);
}

/* Model files: a magic line, "label\tNAME" lines, then "sample\tLABEL-INDEX\t
 * NAME\tHASH@MS HASH@MS ..." lines (token hash in hex, first seen in ms), then
 * "end\tCHECKSUM" (FNV-1a 64 of every byte before the end line), so truncation
 * and corruption are both detected. */
int mg_fpmodel_save(const struct mg_fpmodel *m, const char *path, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem)
		return -ENOMEM;
	fprintf(mem, "%s\n", MAGIC);
	for (size_t i = 0; i < m->nlabels; i++)
		fprintf(mem, "label\t%s\n", m->label[i]);
	for (size_t i = 0; i < m->n; i++) {
		fprintf(mem, "sample\t%d\t%s\t", m->s[i].label, m->s[i].name);
		for (size_t j = 0; j < m->s[i].n; j++)
			fprintf(mem, "%s%016" PRIx64 "@%" PRIu32, j ? " " : "", m->s[i].tok[j].h,
				m->s[i].tok[j].at_ms);
		fputc('\n', mem);
	}
	if (fclose(mem) != 0) {
		free(buf);
		return -ENOMEM;
	}
	/* written whole or not at all: a model being replaced stays readable */
	int rc = mg_statefile_write(path, buf, len, "end\t", err, errlen);
	free(buf);
	return rc;
}

static bool has_ctrl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			return true;
	return false;
}

static int load_stream(struct mg_fpmodel **out, FILE *f, const char *path, char *err,
		       size_t errlen)
{
	struct mg_fpmodel *m = NULL;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	uint64_t sum = MG_FNV_INIT;
	struct mg_fp_tok *tok = NULL;
	size_t tokcap = 0;
	bool ended = false;
	int rc = 0;

	*out = NULL;
	m = mg_fpmodel_new();
	if (!m)
		return -ENOMEM;
#define FAIL(...)                                                              \
	do {                                                                   \
		int n_ = snprintf(err, errlen, "%s:%zu: ", path, lineno);      \
		snprintf(err + (n_ > 0 && (size_t)n_ < errlen ? n_ : 0),       \
			 errlen - (n_ > 0 && (size_t)n_ < errlen ? (size_t)n_ : 0), __VA_ARGS__); \
		rc = -EINVAL;                                                  \
		goto out;                                                      \
	} while (0)
	ssize_t got;
	while ((got = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (ended)
			FAIL("data after the end line");
		if (lineno == 1 && (strncmp(line, MAGIC, strlen(MAGIC)) ||
				    (line[strlen(MAGIC)] != '\n' && line[strlen(MAGIC)])))
			FAIL("not a mudguard fingerprint model (expected \"%s\")", MAGIC);
		if (line[got - 1] != '\n')
			FAIL("line cut short (truncated file?)");
		if (!strncmp(line, "end\t", 4)) {
			uint64_t want = strtoull(line + 4, NULL, 16);
			if (want != sum) {
				snprintf(err, errlen, "%s: checksum mismatch (corrupt model)", path);
				rc = -EINVAL;
				goto out;
			}
			ended = true;
			continue;
		}
		sum = mg_fnv1a(sum, line, (size_t)got);
		line[got - 1] = 0;
		if (lineno == 1) {
			/* checked above */
		} else if (!strncmp(line, "label\t", 6)) {
			if (!line[6] || has_ctrl(line + 6))
				FAIL("empty or unprintable label");
			if (label_index(m, line + 6) < 0)
				FAIL("out of memory");
		} else if (!strncmp(line, "sample\t", 7)) {
			char *p = line + 7, *end;
			long li = strtol(p, &end, 10);
			if (end == p || *end != '\t' || li < 0 || (size_t)li >= m->nlabels)
				FAIL("bad label index");
			char *name = end + 1, *tab = strchr(name, '\t');
			if (!tab)
				FAIL("expected sample name and tokens");
			*tab = 0;
			size_t n = 0;
			for (p = tab + 1; *p;) {
				if (n == tokcap) {
					tokcap = tokcap ? tokcap * 2 : 256;
					struct mg_fp_tok *nt = realloc(tok, tokcap * sizeof(*nt));
					if (!nt)
						FAIL("out of memory");
					tok = nt;
				}
				errno = 0;
				tok[n].h = strtoull(p, &end, 16);
				if (end - p != 16 || errno || *end != '@')
					FAIL("bad token %zu", n + 1);
				p = end + 1;
				unsigned long at = strtoul(p, &end, 10);
				if (end == p || errno || at > UINT32_MAX || (*end && *end != ' '))
					FAIL("bad token time %zu", n + 1);
				tok[n++].at_ms = (uint32_t)at;
				p = *end ? end + 1 : end;
			}
			if (mg_fpmodel_add(m, m->label[li], name, tok, n) < 0)
				FAIL("out of memory");
		} else {
			FAIL("unknown line");
		}
	}
	if (!ended) {
		snprintf(err, errlen, "%s: truncated (no end line after line %zu)", path, lineno);
		rc = -EINVAL;
		goto out;
	}
	if (!m->n) {
		snprintf(err, errlen, "%s: model has no samples", path);
		rc = -EINVAL;
		goto out;
	}
	rc = mg_fpmodel_finish(m);
#undef FAIL
out:
	free(line);
	free(tok);
	if (rc) {
		mg_fpmodel_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

int mg_fpmodel_load(struct mg_fpmodel **out, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		*out = NULL;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	int rc = load_stream(out, f, path, err, errlen);
	fclose(f);
	return rc;
}

int mg_fpmodel_load_mem(struct mg_fpmodel **out, const char *name, const void *buf, size_t len,
			char *err, size_t errlen)
{
	FILE *f = len ? fmemopen((void *)(uintptr_t)buf, len, "r") : NULL;
	*out = NULL;
	if (!f) {
		snprintf(err, errlen, "%s: empty", name);
		return -EINVAL;
	}
	int rc = load_stream(out, f, name, err, errlen);
	fclose(f);
	return rc;
}

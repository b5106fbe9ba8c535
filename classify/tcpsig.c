/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "tcpsig.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends ",name" (or "name" first) to @lay, silently cut at @len. */
static void add_opt(char *lay, size_t len, const char *name)
{
	size_t used = strlen(lay), n = strlen(name);
	if (used + (used ? 1 : 0) + n + 1 > len)
		return;
	if (used)
		lay[used++] = ',';
	memcpy(lay + used, name, n + 1);
}

static unsigned guess_ittl(unsigned ttl)
{
	return ttl <= 32 ? 32 : ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
}

int mg_tcpsig_from_pkt(const struct mg_pkt *p, struct mg_tcpsig *s)
{
	memset(s, 0, sizeof(*s));
	if (p->proto != MG_PROTO_TCP || !p->l4 || (p->tcp_flags & (MG_TCP_SYN | MG_TCP_ACK)) != MG_TCP_SYN)
		return -EINVAL;
	uint32_t hl = (uint32_t)(p->l4[12] >> 4) * 4;
	if (hl < 20 || hl > p->l4_len)
		return -EINVAL;
	const uint8_t *o = p->l4 + 20, *end = p->l4 + hl;
	char *q = s->quirks;
	size_t ql = sizeof(s->quirks);

	s->ver = p->ip_version;
	s->ttl = p->ttl;
	s->olen = p->ip_opt_len;
	s->win = p->tcp_win;
	s->payload = p->payload_len > 0;
	if (p->ip_version == 4) {
		int df = (p->l3[6] & 0x40) != 0;
		if (df)
			add_opt(q, ql, "df");
		if (df && p->ip_id)
			add_opt(q, ql, "id+");
		if (!df && !p->ip_id)
			add_opt(q, ql, "id-");
		if (p->l3[1] & 3)
			add_opt(q, ql, "ecn");
	} else {
		if ((p->l3[1] >> 4) & 3) /* ECN bits of the traffic class */
			add_opt(q, ql, "ecn");
		if ((p->l3[1] & 0x0f) || p->l3[2] || p->l3[3])
			add_opt(q, ql, "flow");
	}
	if (p->tcp_ack)
		add_opt(q, ql, "ack+");
	if (p->l4[13] & 0xc0)
		add_opt(q, ql, "ecn");
	if (p->l4[18] || p->l4[19])
		add_opt(q, ql, "uptr+");
	if (p->tcp_flags & MG_TCP_PSH)
		add_opt(q, ql, "pushf+");

	while (o < end) {
		uint8_t kind = *o;
		if (kind == 0) { /* EOL, then padding */
			unsigned pad = (unsigned)(end - o - 1);
			char eol[16];
			snprintf(eol, sizeof(eol), "eol+%u", pad);
			add_opt(s->olayout, sizeof(s->olayout), eol);
			for (const uint8_t *z = o + 1; z < end; z++)
				if (*z) {
					add_opt(q, ql, "opt+");
					break;
				}
			break;
		}
		if (kind == 1) {
			add_opt(s->olayout, sizeof(s->olayout), "nop");
			o++;
			continue;
		}
		if (o + 2 > end || o[1] < 2 || o + o[1] > end)
			return -EINVAL;
		uint8_t l = o[1];
		switch (kind) {
		case 2:
			add_opt(s->olayout, sizeof(s->olayout), "mss");
			if (l == 4) {
				s->mss = (unsigned)(o[2] << 8 | o[3]);
				s->has_mss = 1;
			}
			break;
		case 3:
			add_opt(s->olayout, sizeof(s->olayout), "ws");
			if (l == 3) {
				s->scale = o[2];
				s->has_scale = 1;
				if (o[2] > 14)
					add_opt(q, ql, "exws");
			}
			break;
		case 4:
			add_opt(s->olayout, sizeof(s->olayout), "sok");
			break;
		case 5:
			add_opt(s->olayout, sizeof(s->olayout), "sack");
			break;
		case 8:
			add_opt(s->olayout, sizeof(s->olayout), "ts");
			if (l == 10) {
				if (!(o[2] | o[3] | o[4] | o[5]))
					add_opt(q, ql, "ts1-");
				if (o[6] | o[7] | o[8] | o[9])
					add_opt(q, ql, "ts2+");
			}
			break;
		default: {
			char unk[8];
			snprintf(unk, sizeof(unk), "?%u", kind);
			add_opt(s->olayout, sizeof(s->olayout), unk);
		}
		}
		o += l;
	}

	char win[32];
	if (s->has_mss && s->mss && s->win % s->mss == 0 && s->win)
		snprintf(win, sizeof(win), "mss*%u", s->win / s->mss);
	else
		snprintf(win, sizeof(win), "%u", s->win);
	char mss[12] = "*", scale[12] = "0";
	if (s->has_mss)
		snprintf(mss, sizeof(mss), "%u", s->mss);
	if (s->has_scale)
		snprintf(scale, sizeof(scale), "%u", s->scale);
	snprintf(s->text, sizeof(s->text), "%u:%u:%u:%s:%s,%s:%s:%s:%d", s->ver,
		 guess_ittl(s->ttl), s->olen, mss, win, scale, s->olayout, s->quirks,
		 s->payload);
	return 0;
}

/* One database signature. Numeric fields use -1 for '*'. */
struct sig {
	int ver, ittl, olen, mss, scale, pclass;
	int wkind; /* 0 any, 1 exact, 2 mss*N, 3 mtu*N, 4 %N */
	int wval;
	char olayout[64], quirks[64];
	int label; /* index into labels */
	int generic;
};

struct mg_p0f {
	struct sig *sig;
	size_t n, cap;
	char **label;
	size_t nlabels;
};

void mg_p0f_free(struct mg_p0f *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->nlabels; i++)
		free(db->label[i]);
	free(db->label);
	free(db->sig);
	free(db);
}

static int num_or_any(const char *f, int *out)
{
	char *end;
	if (!strcmp(f, "*")) {
		*out = -1;
		return 0;
	}
	long v = strtol(f, &end, 10);
	if (end == f || v < 0 || v > 65535)
		return -1;
	*out = (int)v;
	return 0;
}

/* Parses "ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass". */
static int parse_sig(char *t, struct sig *g)
{
	char *f[8];
	int n = 0;
	for (char *p = t; n < 8; n++) {
		f[n] = p;
		p = strchr(p, ':');
		if (!p) {
			n++;
			break;
		}
		*p++ = 0;
	}
	if (n != 8)
		return -1;
	if (num_or_any(f[0], &g->ver) || num_or_any(f[1], &g->ittl) ||
	    num_or_any(f[2], &g->olen) || num_or_any(f[3], &g->mss))
		return -1;
	char *comma = strchr(f[4], ',');
	if (!comma || num_or_any(comma + 1, &g->scale))
		return -1;
	*comma = 0;
	if (!strcmp(f[4], "*")) {
		g->wkind = 0;
	} else if (!strncmp(f[4], "mss*", 4)) {
		g->wkind = 2;
		g->wval = atoi(f[4] + 4);
	} else if (!strncmp(f[4], "mtu*", 4)) {
		g->wkind = 3;
		g->wval = atoi(f[4] + 4);
	} else if (f[4][0] == '%') {
		g->wkind = 4;
		g->wval = atoi(f[4] + 1);
		if (g->wval <= 0)
			return -1;
	} else {
		g->wkind = 1;
		if (num_or_any(f[4], &g->wval) || g->wval < 0)
			return -1;
	}
	snprintf(g->olayout, sizeof(g->olayout), "%s", f[5]);
	snprintf(g->quirks, sizeof(g->quirks), "%s", f[6]);
	g->pclass = !strcmp(f[7], "*") ? -1 : !strcmp(f[7], "0") ? 0 : 1;
	return 0;
}

/* "s:unix:Linux:3.11 and newer" -> "Linux 3.11 and newer"; sets *generic. */
static char *label_text(const char *v, int *generic)
{
	*generic = v[0] == 'g';
	const char *name = strchr(v, ':');
	name = name ? strchr(name + 1, ':') : NULL;
	if (!name)
		return NULL;
	name++;
	const char *flavor = strchr(name, ':');
	size_t nl = flavor ? (size_t)(flavor - name) : strlen(name);
	char *out = malloc(strlen(name) + 2);
	if (!out)
		return NULL;
	memcpy(out, name, nl);
	out[nl] = 0;
	if (flavor && flavor[1])
		sprintf(out + nl, " %s", flavor + 1);
	return out;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

int mg_p0f_load(struct mg_p0f **out, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct mg_p0f *db;
	char line[1024];
	unsigned lineno = 0;
	int in_section = 0, cur_generic = 0, rc = 0;

	*out = NULL;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	db = calloc(1, sizeof(*db));
	if (!db) {
		fclose(f);
		return -ENOMEM;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *l = trim(line);
		if (!*l || *l == ';')
			continue;
		if (*l == '[') {
			in_section = !strcmp(l, "[tcp:request]");
			continue;
		}
		if (!in_section)
			continue;
		char *eq = strchr(l, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected \"key = value\"", path, lineno);
			rc = -EINVAL;
			break;
		}
		*eq = 0;
		char *key = trim(l), *val = trim(eq + 1);
		if (!strcmp(key, "label")) {
			char **nl = realloc(db->label, (db->nlabels + 1) * sizeof(*nl));
			char *t = nl ? label_text(val, &cur_generic) : NULL;
			if (nl)
				db->label = nl;
			if (!t) {
				snprintf(err, errlen, "%s:%u: bad label \"%s\"", path, lineno, val);
				rc = -EINVAL;
				break;
			}
			db->label[db->nlabels++] = t;
		} else if (!strcmp(key, "sig")) {
			struct sig g = {0};
			if (!db->nlabels || parse_sig(val, &g) < 0) {
				snprintf(err, errlen, "%s:%u: bad signature", path, lineno);
				rc = -EINVAL;
				break;
			}
			if (db->n == db->cap) {
				size_t cap = db->cap ? db->cap * 2 : 64;
				struct sig *ns = realloc(db->sig, cap * sizeof(*ns));
				if (!ns) {
					rc = -ENOMEM;
					break;
				}
				db->sig = ns;
				db->cap = cap;
			}
			g.label = (int)db->nlabels - 1;
			g.generic = cur_generic;
			db->sig[db->n++] = g;
		} /* "sys" and other keys describe the label: not needed */
	}
	fclose(f);
	if (!rc && !db->n) {
		snprintf(err, errlen, "%s: no [tcp:request] signatures", path);
		rc = -EINVAL;
	}
	if (rc) {
		mg_p0f_free(db);
		return rc;
	}
	*out = db;
	return 0;
}

static int sig_match(const struct sig *g, const struct mg_tcpsig *s)
{
	if (g->ver >= 0 && (unsigned)g->ver != s->ver)
		return 0;
	/* the observed TTL is at most the initial one, a few dozen hops below */
	if (g->ittl >= 0 && (s->ttl > (unsigned)g->ittl || (unsigned)g->ittl - s->ttl > 35))
		return 0;
	if (g->olen >= 0 && (unsigned)g->olen != s->olen)
		return 0;
	if (g->mss >= 0 && (!s->has_mss || (unsigned)g->mss != s->mss))
		return 0;
	if (g->scale >= 0 && (unsigned)g->scale != (s->has_scale ? s->scale : 0))
		return 0;
	switch (g->wkind) {
	case 1:
		if ((unsigned)g->wval != s->win)
			return 0;
		break;
	case 2:
		if (!s->has_mss || s->win != s->mss * (unsigned)g->wval)
			return 0;
		break;
	case 3:
		if (!s->has_mss || s->win != (s->mss + (s->ver == 4 ? 40u : 60u)) * (unsigned)g->wval)
			return 0;
		break;
	case 4:
		if (s->win % (unsigned)g->wval)
			return 0;
		break;
	}
	if (g->pclass >= 0 && g->pclass != s->payload)
		return 0;
	return !strcmp(g->olayout, s->olayout) && !strcmp(g->quirks, s->quirks);
}

const char *mg_p0f_match(const struct mg_p0f *db, const struct mg_tcpsig *s, int *generic)
{
	const struct sig *gen = NULL;

	for (size_t i = 0; i < db->n; i++) {
		if (!sig_match(&db->sig[i], s))
			continue;
		if (!db->sig[i].generic) {
			*generic = 0;
			return db->label[db->sig[i].label];
		}
		if (!gen)
			gen = &db->sig[i];
	}
	*generic = 1;
	return gen ? db->label[gen->label] : NULL;
}

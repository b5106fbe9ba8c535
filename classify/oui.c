/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "oui.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One registry: prefixes of `bits` bits, kept sorted for binary search. */
struct entry {
	uint64_t prefix; /* the MAC's top `bits` bits */
	uint32_t name;   /* offset into the name arena */
};

struct reg {
	unsigned bits;
	struct entry *e;
	size_t n, cap;
};

struct mg_oui {
	struct reg reg[3]; /* 36, 28, 24 bits: longest first */
	char *names;
	size_t names_len, names_cap;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	return x->prefix < y->prefix ? -1 : x->prefix > y->prefix;
}

static int arena_add(struct mg_oui *o, const char *s, size_t len, uint32_t *off)
{
	if (o->names_len + len + 1 > o->names_cap) {
		size_t cap = o->names_cap ? o->names_cap * 2 : 1 << 20;
		while (cap < o->names_len + len + 1)
			cap *= 2;
		char *n = realloc(o->names, cap);
		if (!n)
			return -ENOMEM;
		o->names = n;
		o->names_cap = cap;
	}
	memcpy(o->names + o->names_len, s, len);
	o->names[o->names_len + len] = 0;
	*off = (uint32_t)o->names_len;
	o->names_len += len + 1;
	return 0;
}

/* Parses "Registry,Assignment,Organization Name,Organization Address" lines.
 * The name may be quoted (with "" for a quote) when it contains commas. */
static int parse_line(char *line, uint64_t *prefix, unsigned bits, char **name,
		      size_t *name_len)
{
	char *p = strchr(line, ',');
	if (!p)
		return -EINVAL;
	char *hex = p + 1;
	char *q = strchr(hex, ',');
	if (!q || (unsigned)(q - hex) * 4 != bits)
		return -EINVAL;
	uint64_t v = 0;
	for (char *h = hex; h < q; h++) {
		int d;
		if (*h >= '0' && *h <= '9')
			d = *h - '0';
		else if (*h >= 'A' && *h <= 'F')
			d = *h - 'A' + 10;
		else if (*h >= 'a' && *h <= 'f')
			d = *h - 'a' + 10;
		else
			return -EINVAL;
		v = v << 4 | (uint64_t)d;
	}
	*prefix = v;
	char *n = q + 1, *w;
	if (*n == '"') {
		n++;
		w = n;
		for (char *r = n; *r; r++) {
			if (*r == '"') {
				if (r[1] != '"')
					break;
				r++;
			}
			*w++ = *r;
		}
	} else {
		w = strchr(n, ',');
		if (!w)
			w = n + strcspn(n, "\r\n");
	}
	while (w > n && (w[-1] == ' ' || w[-1] == '\t'))
		w--;
	*name = n;
	*name_len = (size_t)(w - n);
	return 0;
}

static int load_file(struct mg_oui *o, struct reg *r, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int rc = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		uint64_t prefix;
		char *name;
		size_t len;
		if (parse_line(line, &prefix, r->bits, &name, &len) < 0 || !len)
			continue; /* the header line, or an entry we cannot use */
		if (r->n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 4096;
			struct entry *e = realloc(r->e, cap * sizeof(*e));
			if (!e) {
				rc = -ENOMEM;
				goto out;
			}
			r->e = e;
			r->cap = cap;
		}
		rc = arena_add(o, name, len, &r->e[r->n].name);
		if (rc < 0)
			goto out;
		r->e[r->n++].prefix = prefix;
	}
	qsort(r->e, r->n, sizeof(*r->e), cmp_entry);
out:
	fclose(f);
	return rc;
}

int mg_oui_load(struct mg_oui **out, const char *dir, char *err, size_t errlen)
{
	static const struct {
		const char *file;
		unsigned bits;
	} files[3] = {{"oui36.csv", 36}, {"mam.csv", 28}, {"oui.csv", 24}};
	struct mg_oui *o = calloc(1, sizeof(*o));
	char path[4096];
	int rc = 0;

	if (!o)
		return -ENOMEM;
	for (int i = 0; i < 3; i++) {
		o->reg[i].bits = files[i].bits;
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].file);
		rc = load_file(o, &o->reg[i], path);
		if (rc == -ENOENT && i < 2) {
			rc = 0; /* the smaller registries are optional */
			continue;
		}
		if (rc < 0) {
			snprintf(err, errlen, "%s: %s (install Debian's ieee-data or set oui_dir)",
				 path, strerror(-rc));
			mg_oui_free(o);
			return rc;
		}
	}
	*out = o;
	return 0;
}

const char *mg_oui_lookup(const struct mg_oui *o, const uint8_t mac[6])
{
	uint64_t m = 0;

	if (!o)
		return NULL;
	for (int i = 0; i < 6; i++)
		m = m << 8 | mac[i];
	for (int i = 0; i < 3; i++) {
		const struct reg *r = &o->reg[i];
		if (!r->n)
			continue;
		struct entry key = {.prefix = m >> (48 - r->bits)};
		const struct entry *e = bsearch(&key, r->e, r->n, sizeof(*r->e), cmp_entry);
		if (e)
			return o->names + e->name;
	}
	return NULL;
}

size_t mg_oui_count(const struct mg_oui *o)
{
	return o ? o->reg[0].n + o->reg[1].n + o->reg[2].n : 0;
}

void mg_oui_free(struct mg_oui *o)
{
	if (!o)
		return;
	for (int i = 0; i < 3; i++)
		free(o->reg[i].e);
	free(o->names);
	free(o);
}

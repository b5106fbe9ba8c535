/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "prefix.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pfx {
	struct mg_addr a;
	unsigned bits; /* over the 128-bit (v4-mapped) form */
};

struct mg_prefixes {
	size_t n;
	struct pfx p[];
};

static void mask(struct mg_addr *a, unsigned bits)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = bits > i * 8 ? bits - i * 8 : 0;
		if (keep < 8)
			a->b[i] &= (uint8_t)(0xff00u >> keep);
	}
}

int mg_prefixes_parse(struct mg_prefixes **out, const char *list, char *err, size_t errlen)
{
	size_t cap = 1;
	for (const char *s = list; *s; s++)
		cap += (*s == ',' || *s == ' ');
	struct mg_prefixes *p = calloc(1, sizeof(*p) + cap * sizeof(p->p[0]));
	char *copy = strdup(list), *save = NULL;

	if (!p || !copy) {
		free(p);
		free(copy);
		return -ENOMEM;
	}
	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		struct pfx *x = &p->p[p->n];
		long bits;
		if (mg_prefix_parse(tok, &x->a, &bits) < 0 || bits == -2 ||
		    bits > (mg_addr_is_v4(&x->a) ? 32 : 128)) {
			snprintf(err, errlen, "\"%s\" is not an address or prefix "
				 "(like 192.168.0.0/16 or fd00::/8)", tok);
			free(copy);
			free(p);
			return -EINVAL;
		}
		unsigned max = mg_addr_is_v4(&x->a) ? 32 : 128;
		x->bits = (unsigned)(bits < 0 ? max : bits) + (max == 32 ? 96 : 0);
		mask(&x->a, x->bits);
		p->n++;
	}
	free(copy);
	*out = p;
	return 0;
}

bool mg_prefixes_contain(const struct mg_prefixes *p, const struct mg_addr *a)
{
	if (!p)
		return false;
	for (size_t i = 0; i < p->n; i++) {
		unsigned full = p->p[i].bits / 8, rem = p->p[i].bits % 8;
		if (memcmp(a->b, p->p[i].a.b, full))
			continue;
		if (!rem || !((a->b[full] ^ p->p[i].a.b[full]) & (uint8_t)(0xff00u >> rem)))
			return true;
	}
	return false;
}

void mg_prefixes_free(struct mg_prefixes *p)
{
	free(p);
}

bool mg_addr_is_group(const struct mg_addr *a)
{
	static const uint8_t zero[16];
	if (mg_addr_is_v4(a)) {
		const uint8_t *v4 = a->b + 12;
		return (v4[0] & 0xf0) == 0xe0 || (v4[0] == 255 && v4[1] == 255 &&
						   v4[2] == 255 && v4[3] == 255) ||
		       (!v4[0] && !v4[1] && !v4[2] && !v4[3]);
	}
	return a->b[0] == 0xff || !memcmp(a->b, zero, 16);
}

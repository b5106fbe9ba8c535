/* SPDX-License-Identifier: GPL-3.0-or-later */
/* JA3 (Salesforce, 2017): SSLVersion,Ciphers,Extensions,EllipticCurves,
 * EllipticCurvePointFormats in decimal, '-'-joined, GREASE values (RFC 8701)
 * left out, then MD5 of that string. MD5 comes from OpenSSL's libcrypto. */
#include "tls.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "text.h"

struct rd {
	const uint8_t *p;
	uint32_t len, off;
	bool bad;
};

static uint32_t get(struct rd *r, unsigned n)
{
	uint32_t v = 0;
	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | r->p[r->off + i];
	r->off += n;
	return v;
}

/* A sub-reader over the next @n bytes of @r. */
static struct rd sub(struct rd *r, uint32_t n)
{
	struct rd s = {r->p + r->off, n, 0, false};
	if (r->bad || n > r->len - r->off) {
		r->bad = s.bad = true;
		s.len = 0;
		return s;
	}
	r->off += n;
	return s;
}

static bool grease(uint32_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

struct out {
	char *s;
	size_t len, cap;
};

/* Appends @sep (if not 0) and, unless @v is negative, @v in decimal (by hand:
 * this runs for every ClientHello). A list cut for room ends in "...". */
static void put(struct out *o, char sep, long v)
{
	if (o->len + 16 >= o->cap) { /* leave room for "..." and NUL */
		if (o->len + 4 <= o->cap && (o->len < 3 || strcmp(o->s + o->len - 3, "..."))) {
			memcpy(o->s + o->len, "...", 4);
			o->len += 3;
		}
		return;
	}
	if (sep)
		o->s[o->len++] = sep;
	if (v >= 0) {
		char digits[12];
		int n = 0;
		do {
			digits[n++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		while (n)
			o->s[o->len++] = digits[--n];
	}
	o->s[o->len] = 0;
}

/* Appends the list of @width-byte values in @r, '-'-joined, GREASE skipped. */
static void put_list(struct out *o, struct rd *r, unsigned width)
{
	bool first = true;
	while (!r->bad && r->off < r->len) {
		uint32_t v = get(r, width);
		if (r->bad || (width == 2 && grease(v)))
			continue;
		put(o, first ? 0 : '-', v);
		first = false;
	}
}

int mg_tls_client_hello(const uint8_t *b, uint32_t len, struct mg_tls_hello *h)
{
	struct rd rec = {b, len, 0, false};
	struct out o = {h->ja3, 0, sizeof(h->ja3)};
	struct rd exts = {NULL, 0, 0, false}, ciphers, groups = {0}, formats = {0};

	memset(h, 0, sizeof(*h));
	if (len < 6 || b[0] != 22 || b[1] != 3 || b[5] != 1)
		return -ENOENT;
	get(&rec, 3);
	uint32_t rlen = get(&rec, 2);
	if (rlen > rec.len - rec.off)
		return -EINVAL; /* not all here: no reassembly */
	struct rd hs = sub(&rec, rlen);
	get(&hs, 1);
	struct rd ch = sub(&hs, get(&hs, 3));
	uint32_t version = get(&ch, 2);
	get(&ch, 32);			/* random */
	sub(&ch, get(&ch, 1));		/* session id */
	ciphers = sub(&ch, get(&ch, 2));
	sub(&ch, get(&ch, 1));		/* compression methods */
	if (!ch.bad && ch.off < ch.len)
		exts = sub(&ch, get(&ch, 2));
	if (ch.bad)
		return -EINVAL;

	put(&o, 0, version);
	put(&o, ',', -1);
	put_list(&o, &ciphers, 2);
	put(&o, ',', -1);
	bool first = true;
	while (exts.off < exts.len && !exts.bad) {
		uint32_t type = get(&exts, 2);
		struct rd e = sub(&exts, get(&exts, 2));
		if (exts.bad)
			return -EINVAL;
		if (!grease(type)) {
			put(&o, first ? 0 : '-', type);
			first = false;
		}
		if (type == 0) { /* server_name list: type(1) len(2) name */
			struct rd l = sub(&e, get(&e, 2));
			while (!l.bad && l.off < l.len) {
				uint32_t nt = get(&l, 1);
				struct rd n = sub(&l, get(&l, 2));
				if (!l.bad && nt == 0 && !h->sni[0])
					mg_text_clean(n.p, n.len, h->sni, sizeof(h->sni), 0);
			}
		} else if (type == 10) {
			groups = sub(&e, get(&e, 2));
		} else if (type == 11) {
			formats = sub(&e, get(&e, 1));
		} else if (type == 16) { /* ALPN: list len(2), then len(1) protocol */
			struct rd l = sub(&e, get(&e, 2));
			struct rd p = sub(&l, get(&l, 1));
			if (!p.bad && !h->alpn[0])
				mg_text_clean(p.p, p.len, h->alpn, sizeof(h->alpn), 0);
		} else if (type == 43) { /* supported_versions: len(1), then versions */
			struct rd l = sub(&e, get(&e, 1));
			while (!l.bad && l.off + 2 <= l.len) {
				uint32_t v = get(&l, 2);
				if (!grease(v) && v > h->max_version)
					h->max_version = (uint16_t)v;
			}
		}
	}
	if (!h->max_version)
		h->max_version = (uint16_t)version;
	put(&o, ',', -1);
	put_list(&o, &groups, 2);
	put(&o, ',', -1);
	put_list(&o, &formats, 1);

	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!EVP_Digest(h->ja3, o.len, md, &mdlen, EVP_md5(), NULL) || mdlen != 16)
		return -EINVAL;
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < 16; i++) {
		h->ja3_md5[2 * i] = hex[md[i] >> 4];
		h->ja3_md5[2 * i + 1] = hex[md[i] & 15];
	}
	h->ja3_md5[32] = 0;
	return 0;
}

const char *mg_tls_version_name(uint16_t v, char *buf, size_t len)
{
	if (v == 0x0300)
		snprintf(buf, len, "SSL 3.0");
	else if (v >= 0x0301 && v <= 0x0304)
		snprintf(buf, len, "1.%u", (unsigned)(v - 0x0301));
	else
		snprintf(buf, len, "0x%04x", (unsigned)v);
	return buf;
}

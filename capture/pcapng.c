/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pcapng, as the IETF draft "PCAP Next Generation (pcapng) Capture File
 * Format" (draft-ietf-opsawg-pcapng) describes it: blocks of type, total
 * length, body, total length again, in the byte order of their section (the
 * Section Header Block's magic says which). Read here: SHB (each starts a
 * section with its own interfaces), IDB (link type, snapshot length, options
 * if_tsresol and if_tsoffset), EPB, SPB and the obsolete Packet Block; every
 * other block is skipped.
 */
#include "pcapng.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define BT_SHB MG_PCAPNG_MAGIC
#define BT_IDB 1u
#define BT_PB 2u  /* obsolete Packet Block */
#define BT_SPB 3u /* Simple Packet Block */
#define BT_EPB 6u /* Enhanced Packet Block */
#define BYTE_ORDER_MAGIC 0x1a2b3c4du
#define MAX_BLOCK (16u * 1024 * 1024) /* libpcap's limit too */
#define MAX_IFACES 4096
#define LINKTYPE_NFLOG 239

struct iface {
	int dlt;
	uint32_t snaplen;
	bool pow2;	 /* resolution 2^-exp s, else 10^-exp s */
	uint8_t exp;
	int64_t offset_s; /* if_tsoffset */
};

struct mg_pcapng {
	FILE *f;
	char name[256];
	bool big;     /* the section is big-endian */
	bool swapped; /* ... and that is not the host's order */
	struct iface *ifs;
	uint32_t nif;
	uint8_t *buf;
	size_t cap;
	uint64_t off; /* of the next block */
	bool truncated;
	char err[1024];
};

static bool host_big(void)
{
	const uint16_t one = 1;
	return *(const uint8_t *)&one == 0;
}

static uint16_t get16(const struct mg_pcapng *r, const uint8_t *b)
{
	return r->big ? (uint16_t)(b[0] << 8 | b[1]) : (uint16_t)(b[1] << 8 | b[0]);
}

static uint32_t get32(const struct mg_pcapng *r, const uint8_t *b)
{
	uint32_t hi = get16(r, b + (r->big ? 0 : 2)), lo = get16(r, b + (r->big ? 2 : 0));
	return hi << 16 | lo;
}

static uint64_t get64(const struct mg_pcapng *r, const uint8_t *b)
{
	uint64_t hi = get32(r, b + (r->big ? 0 : 4)), lo = get32(r, b + (r->big ? 4 : 0));
	return hi << 32 | lo;
}

/* Sets the error, naming the file and the block's offset; returns -1. */
__attribute__((format(printf, 3, 4))) static int fail(struct mg_pcapng *r, uint64_t at, const char *fmt, ...)
{
	char msg[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof(r->err), "%s: pcapng block at offset %llu: %s", r->name,
		 (unsigned long long)at, msg);
	return -1;
}

/* Reads @n bytes; 1, 0 at a clean end (nothing read, when @eof_ok), or -2 if
 * the file ends inside. */
static int read_all(struct mg_pcapng *r, void *b, size_t n, bool eof_ok)
{
	size_t got = fread(b, 1, n, r->f);
	if (got == n)
		return 1;
	return got == 0 && eof_ok ? 0 : -2;
}

static int truncated(struct mg_pcapng *r, uint64_t at)
{
	r->truncated = true;
	fail(r, at, "the file ends inside the block (truncated pcapng file)");
	return 0;
}

static int need(struct mg_pcapng *r, size_t n)
{
	if (n <= r->cap)
		return 0;
	uint8_t *b = realloc(r->buf, n);
	if (!b)
		return -1;
	r->buf = b;
	r->cap = n;
	return 0;
}

/* The options after a block's fixed fields: code, length, value padded to 4. */
static int idb_options(struct mg_pcapng *r, struct iface *i, const uint8_t *o, uint32_t len,
		       uint64_t at)
{
	while (len >= 4) {
		uint32_t code = get16(r, o), olen = get16(r, o + 2);
		if (code == 0) /* opt_endofopt */
			break;
		if (olen > len - 4)
			return fail(r, at, "option %u of %u bytes runs past the block", code, olen);
		if (code == 9 && olen >= 1) { /* if_tsresol */
			i->pow2 = o[4] & 0x80;
			i->exp = o[4] & 0x7f;
			if ((i->pow2 && i->exp > 63) || (!i->pow2 && i->exp > 19))
				return fail(r, at, "time resolution %s%u is out of range",
					    i->pow2 ? "2^-" : "10^-", i->exp);
		} else if (code == 14 && olen >= 8) { /* if_tsoffset, seconds */
			i->offset_s = (int64_t)get64(r, o + 4);
		}
		uint32_t step = 4 + ((olen + 3) & ~3u);
		if (step > len)
			break;
		o += step;
		len -= step;
	}
	return 0;
}

static uint64_t pow10u(unsigned e)
{
	uint64_t v = 1;
	while (e--)
		v *= 10;
	return v;
}

/* A timestamp in the interface's units, as microseconds since the epoch. */
static uint64_t to_us(const struct iface *i, uint64_t t)
{
	uint64_t us;
	if (i->pow2) {
		unsigned e = i->exp;
		uint64_t frac = t & ((e ? (uint64_t)1 << e : 1) - 1);
		us = (t >> e) * 1000000u;
		us += e <= 40 ? (frac * 1000000u) >> e : ((frac >> (e - 40)) * 1000000u) >> 40;
	} else {
		us = i->exp <= 6 ? t * pow10u(6u - i->exp) : t / pow10u(i->exp - 6u);
	}
	return us + (uint64_t)i->offset_s * 1000000u;
}

/* libpcap gives NFLOG's TLV headers in the reading host's byte order; so do
 * we, for sections written by a host of the other order. */
static void swap_nflog(uint8_t *b, uint32_t len)
{
	for (uint32_t off = 4; len >= 4 && off <= len - 4;) {
		uint8_t t;
		t = b[off];
		b[off] = b[off + 1];
		b[off + 1] = t;
		t = b[off + 2];
		b[off + 2] = b[off + 3];
		b[off + 3] = t;
		uint32_t tl;
		uint16_t v;
		memcpy(&v, b + off, 2);
		tl = v;
		if (tl < 4)
			break;
		off += (tl + 3) & ~3u;
	}
}

/* A Section Header Block whose first 12 bytes (type, length, magic) are in
 * @h: the byte order, then the rest. */
static int read_shb(struct mg_pcapng *r, const uint8_t *h, uint64_t at)
{
	uint32_t magic_le = (uint32_t)h[8] | (uint32_t)h[9] << 8 | (uint32_t)h[10] << 16 |
			    (uint32_t)h[11] << 24;
	if (magic_le == BYTE_ORDER_MAGIC)
		r->big = false;
	else if (magic_le == 0x4d3c2b1au)
		r->big = true;
	else
		return fail(r, at, "section header with a bad byte-order magic 0x%08x", magic_le);
	r->swapped = r->big != host_big();
	uint32_t len = get32(r, h + 4);
	if (len < 28 || len % 4 || len > MAX_BLOCK)
		return fail(r, at, "section header of bad length %u", len);
	if (need(r, len) < 0)
		return fail(r, at, "out of memory");
	memcpy(r->buf, h, 12);
	int rc = read_all(r, r->buf + 12, len - 12, false);
	if (rc < 0)
		return truncated(r, at);
	if (get16(r, r->buf + 12) != 1)
		return fail(r, at, "pcapng version %u.%u is not supported", get16(r, r->buf + 12),
			    get16(r, r->buf + 14));
	if (get32(r, r->buf + len - 4) != len)
		return fail(r, at, "trailing length differs from the leading one (%u)", len);
	free(r->ifs); /* a new section: its own interfaces */
	r->ifs = NULL;
	r->nif = 0;
	r->off = at + len;
	return 1;
}

int mg_pcapng_next(struct mg_pcapng *r, struct mg_pcapng_pkt *pkt)
{
	for (;;) {
		uint8_t h[12];
		uint64_t at = r->off;
		int rc = read_all(r, h, 8, true);
		if (rc == 0)
			return 0;
		if (rc < 0)
			return truncated(r, at);
		uint32_t type = get32(r, h);
		if (type == BT_SHB) {
			if (read_all(r, h + 8, 4, false) < 0)
				return truncated(r, at);
			rc = read_shb(r, h, at);
			if (rc <= 0)
				return rc;
			continue;
		}
		uint32_t len = get32(r, h + 4);
		if (len < 12 || len % 4 || len > MAX_BLOCK)
			return fail(r, at, "block type 0x%x of bad length %u", type, len);
		if (need(r, len) < 0)
			return fail(r, at, "out of memory");
		if (read_all(r, r->buf, len - 8, false) < 0)
			return truncated(r, at);
		if (get32(r, r->buf + len - 12) != len)
			return fail(r, at, "trailing length differs from the leading one (%u)", len);
		r->off = at + len;
		uint8_t *b = r->buf;
		uint32_t body = len - 12;
		uint32_t ifid, caplen, wirelen, hl;
		uint64_t ts = 0;

		switch (type) {
		case BT_IDB: {
			if (body < 8)
				return fail(r, at, "interface description of %u bytes", body);
			if (r->nif == MAX_IFACES)
				return fail(r, at, "more than %u interfaces", MAX_IFACES);
			struct iface *n = realloc(r->ifs, (r->nif + 1) * sizeof(*n));
			if (!n)
				return fail(r, at, "out of memory");
			r->ifs = n;
			struct iface *i = &r->ifs[r->nif];
			*i = (struct iface){.dlt = get16(r, b), .snaplen = get32(r, b + 4), .exp = 6};
			if (idb_options(r, i, b + 8, body - 8, at) < 0)
				return -1;
			r->nif++;
			continue;
		}
		case BT_EPB:
		case BT_PB:
			if (body < 20)
				return fail(r, at, "packet block of %u bytes", body);
			ifid = type == BT_EPB ? get32(r, b) : get16(r, b);
			ts = (uint64_t)get32(r, b + 4) << 32 | get32(r, b + 8);
			caplen = get32(r, b + 12);
			wirelen = get32(r, b + 16);
			hl = 20;
			break;
		case BT_SPB:
			if (body < 4)
				return fail(r, at, "simple packet block of %u bytes", body);
			ifid = 0;
			wirelen = get32(r, b);
			caplen = wirelen < body - 4 ? wirelen : body - 4;
			hl = 4;
			break;
		default:
			continue; /* name resolution, statistics, secrets, custom: not ours */
		}
		if (ifid >= r->nif)
			return fail(r, at, "packet on interface %u, but the section describes %u",
				    ifid, r->nif);
		const struct iface *i = &r->ifs[ifid];
		if (caplen > body - hl)
			return fail(r, at, "packet of %u bytes in a block of %u", caplen, body - hl);
		if (i->snaplen && caplen > i->snaplen && type == BT_SPB)
			caplen = i->snaplen;
		if (wirelen < caplen)
			wirelen = caplen;
		if (i->dlt == LINKTYPE_NFLOG && r->swapped)
			swap_nflog(b + hl, caplen);
		pkt->data = b + hl;
		pkt->caplen = caplen;
		pkt->wirelen = wirelen;
		pkt->ts_us = type == BT_SPB ? 0 : to_us(i, ts);
		pkt->dlt = i->dlt;
		pkt->iface = ifid;
		pkt->offset = at;
		return 1;
	}
}

int mg_pcapng_open(struct mg_pcapng **out, FILE *f, const char *name, char *err,
		   size_t errlen)
{
	struct mg_pcapng *r = calloc(1, sizeof(*r));
	uint8_t h[12];

	if (!r) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	r->f = f;
	snprintf(r->name, sizeof(r->name), "%s", name);
	if (read_all(r, h, 12, false) < 0 || get32(r, h) != BT_SHB) {
		snprintf(err, errlen, "%s: not a pcapng file (no section header at offset 0)",
			 name);
		mg_pcapng_free(r);
		return -EINVAL;
	}
	if (read_shb(r, h, 0) <= 0) {
		snprintf(err, errlen, "%s", r->err[0] ? r->err : "not a pcapng file");
		mg_pcapng_free(r);
		return -EINVAL;
	}
	*out = r;
	return 0;
}

bool mg_pcapng_truncated(const struct mg_pcapng *r)
{
	return r->truncated;
}

const char *mg_pcapng_errstr(const struct mg_pcapng *r)
{
	return r->err;
}

void mg_pcapng_free(struct mg_pcapng *r)
{
	if (!r)
		return;
	free(r->ifs);
	free(r->buf);
	free(r);
}

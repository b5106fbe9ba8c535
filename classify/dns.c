/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dns.h"

#include <errno.h>
#include <string.h>

#include "../capture/bytes.h"
#include "text.h"

int mg_dns_name(const uint8_t *msg, uint32_t len, uint32_t *off, char *out, size_t outlen)
{
	uint32_t pos = *off, floor = *off, wire = 0;
	size_t o = 0;
	int jumped = 0;

	out[0] = 0;
	for (;;) {
		if (pos >= len)
			return -EINVAL;
		uint8_t l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 2 > len)
				return -EINVAL;
			uint32_t ptr = (uint32_t)(l & 0x3f) << 8 | msg[pos + 1];
			/* strictly backwards from where this name (segment) began: no loops */
			if (ptr >= floor)
				return -EINVAL;
			if (!jumped)
				*off = pos + 2;
			jumped = 1;
			floor = pos = ptr;
			continue;
		}
		if (l & 0xc0) /* 0x40/0x80: extended and binary labels, obsolete */
			return -EINVAL;
		if (!l) {
			if (!jumped)
				*off = pos + 1;
			break;
		}
		if (pos + 1 + l > len || (wire += l + 1u) > 255)
			return -EINVAL;
		if (o && o + 1 < outlen)
			out[o++] = '.';
		if (o + 1 < outlen)
			o += mg_text_clean(msg + pos + 1, l, out + o, outlen - o, 1);
		pos += 1u + l;
	}
	out[o] = 0;
	return 0;
}

int mg_dns_parse(const uint8_t *b, uint32_t len, struct mg_dns_hdr *h, mg_dns_cb cb,
		 void *user)
{
	struct mg_dns_rr rr;
	uint32_t off = 12;
	int n = 0;

	memset(h, 0, sizeof(*h));
	if (len < 12)
		return -EINVAL;
	h->id = mg_rd16(b);
	h->flags = mg_rd16(b + 2);
	h->qd = mg_rd16(b + 4);
	h->an = mg_rd16(b + 6);
	h->ns = mg_rd16(b + 8);
	h->ar = mg_rd16(b + 10);
	const uint16_t count[4] = {h->qd, h->an, h->ns, h->ar};
	for (int sec = MG_DNS_QD; sec <= MG_DNS_AR; sec++) {
		for (uint32_t i = 0; i < count[sec]; i++) {
			rr.section = (uint8_t)sec;
			rr.target[0] = 0;
			rr.rdata = NULL;
			rr.rdlen = 0;
			rr.ttl = 0;
			rr.port = 0;
			if (mg_dns_name(b, len, &off, rr.name, sizeof(rr.name)) < 0 ||
			    off + 4 > len)
				return -EINVAL;
			rr.type = mg_rd16(b + off);
			rr.klass = mg_rd16(b + off + 2) & 0x7fff;
			off += 4;
			if (sec != MG_DNS_QD) {
				if (off + 6 > len)
					return -EINVAL;
				rr.ttl = (uint32_t)mg_rd16(b + off) << 16 | mg_rd16(b + off + 2);
				rr.rdlen = mg_rd16(b + off + 4);
				off += 6;
				if (rr.rdlen > len - off)
					return -EINVAL;
				rr.rdata = b + off;
				uint32_t t = off;
				if (rr.type == MG_DNS_PTR || rr.type == MG_DNS_CNAME) {
					if (mg_dns_name(b, off + rr.rdlen, &t, rr.target,
							sizeof(rr.target)) < 0)
						return -EINVAL;
				} else if (rr.type == MG_DNS_SRV && rr.rdlen >= 7) {
					rr.port = mg_rd16(b + off + 4);
					t = off + 6;
					if (mg_dns_name(b, off + rr.rdlen, &t, rr.target,
							sizeof(rr.target)) < 0)
						return -EINVAL;
				}
				off += rr.rdlen;
			}
			cb(&rr, user);
			n++;
		}
	}
	return n;
}

int mg_netbios_name(const char *name, char *out, size_t outlen)
{
	uint8_t raw[16];
	size_t i;

	for (i = 0; i < 32; i++)
		if (name[i] < 'A' || name[i] > 'P')
			return -1;
	if (name[32] && name[32] != '.')
		return -1;
	for (i = 0; i < 16; i++)
		raw[i] = (uint8_t)((name[2 * i] - 'A') << 4 | (name[2 * i + 1] - 'A'));
	size_t n = 15;
	while (n && raw[n - 1] == ' ')
		n--;
	mg_text_clean(raw, n, out, outlen, 0);
	return raw[15];
}

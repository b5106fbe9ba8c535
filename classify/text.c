/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "text.h"

#include <stdio.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at @p (RFC 3629), 0 if none. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
	size_t len;
	uint32_t min, cp;

	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	if (p[0] < 0xe0) {
		len = 2, min = 0x80, cp = p[0] & 0x1f;
	} else if (p[0] < 0xf0) {
		len = 3, min = 0x800, cp = p[0] & 0x0f;
	} else {
		len = 4, min = 0x10000, cp = p[0] & 0x07;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t mg_text_clean(const uint8_t *in, size_t n, char *out, size_t outlen, int escape_dot)
{
	size_t o = 0;

	if (!outlen)
		return 0;
	while (n && (in[n - 1] == 0 || in[n - 1] == ' '))
		n--;
	while (n && in[0] == ' ')
		in++, n--;
	for (size_t i = 0; i < n;) {
		size_t u = in[i] >= 0x80 ? utf8_len(in + i, n - i) : 0;
		uint8_t c = in[i];
		if (u) {
			if (o + u >= outlen)
				break;
			memcpy(out + o, in + i, u);
			o += u;
			i += u;
			continue;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\' && !(escape_dot && c == '.')) {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= outlen)
				break;
			snprintf(out + o, 5, "\\x%02x", c);
			o += 4;
		}
		i++;
	}
	out[o] = 0;
	return o;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "l2disc.h"

#include <errno.h>
#include <string.h>

#include "../capture/bytes.h"

int mg_lldp_parse(const uint8_t *b, uint32_t len, struct mg_l2disc *d)
{
	memset(d, 0, sizeof(*d));
	for (uint32_t i = 0; i + 2 <= len;) {
		uint16_t h = mg_rd16(b + i);
		uint32_t type = h >> 9, l = h & 0x1ff;
		const uint8_t *v = b + i + 2;
		if (l > len - i - 2)
			return -EINVAL;
		if (type == 0)
			return 0;
		if (type == 5)
			mg_view_once(&d->name, v, l);
		else if (type == 6)
			mg_view_once(&d->desc, v, l);
		else if (type == 127 && l > 4 && v[0] == 0x00 && v[1] == 0x00 && v[2] == 0x5e &&
			 v[3] == 1)
			mg_view_once(&d->mud_url, v + 4, l - 4);
		i += 2 + l;
	}
	return 0; /* no End TLV in what was captured: keep what was read */
}

int mg_cdp_parse(const uint8_t *b, uint32_t len, struct mg_l2disc *d)
{
	static const uint8_t snap[8] = {0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00};

	memset(d, 0, sizeof(*d));
	if (len < 8 || memcmp(b, snap, 8))
		return -ENOENT;
	if (len < 12)
		return -EINVAL;
	for (uint32_t i = 12; i + 4 <= len;) {
		uint32_t type = mg_rd16(b + i), l = mg_rd16(b + i + 2);
		if (l < 4 || l > len - i)
			return -EINVAL;
		const uint8_t *v = b + i + 4;
		if (type == 1)
			mg_view_once(&d->name, v, l - 4);
		else if (type == 5)
			mg_view_once(&d->desc, v, l - 4);
		else if (type == 6)
			mg_view_once(&d->platform, v, l - 4);
		i += l;
	}
	return 0;
}

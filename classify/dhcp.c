/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dhcp.h"

#include <errno.h>
#include <string.h>

#define BOOTP_FIXED 236
#define MAGIC_LEN 4

int mg_dhcp_parse(struct mg_dhcp *d, const uint8_t *b, uint32_t len)
{
	static const uint8_t magic[MAGIC_LEN] = {99, 130, 83, 99};

	memset(d, 0, sizeof(*d));
	if (len < BOOTP_FIXED + MAGIC_LEN || memcmp(b + BOOTP_FIXED, magic, MAGIC_LEN))
		return -EINVAL;
	if (b[1] != 1 || b[2] != 6) /* htype Ethernet, hlen 6 */
		return -EINVAL;
	d->op = b[0];
	memcpy(d->ciaddr, b + 12, 4);
	memcpy(d->yiaddr, b + 16, 4);
	memcpy(d->chaddr, b + 28, 6);
	for (uint32_t i = BOOTP_FIXED + MAGIC_LEN; i < len;) {
		uint8_t code = b[i];
		if (code == 255)
			break;
		if (code == 0) {
			i++;
			continue;
		}
		if (i + 2 > len || i + 2 + b[i + 1] > len)
			return -EINVAL;
		uint8_t olen = b[i + 1];
		const uint8_t *v = b + i + 2;
		switch (code) {
		case 53:
			if (olen >= 1)
				d->msg_type = v[0];
			break;
		case 54:
			if (olen == 4) {
				d->has_server_id = true;
				memcpy(d->server_id, v, 4);
			}
			break;
		case 50:
			if (olen == 4) {
				d->has_requested_ip = true;
				memcpy(d->requested_ip, v, 4);
			}
			break;
		}
		i += 2u + olen;
	}
	return 0;
}

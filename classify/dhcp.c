/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dhcp.h"

#include "../capture/bytes.h"

#include <errno.h>
#include <stdbool.h>
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
	memcpy(d->giaddr, b + 24, 4);
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
			if (olen >= 1 && !d->msg_type)
				d->msg_type = v[0];
			break;
		case 54:
			if (olen == 4 && !d->has_server_id) {
				d->has_server_id = true;
				memcpy(d->server_id, v, 4);
			}
			break;
		case 50:
			if (olen == 4 && !d->has_requested_ip) {
				d->has_requested_ip = true;
				memcpy(d->requested_ip, v, 4);
			}
			break;
		case 57:
			if (olen == 2 && !d->max_size)
				d->max_size = (uint16_t)(v[0] << 8 | v[1]);
			break;
		case 12:
			mg_view_once(&d->host, v, olen);
			break;
		case 55:
			mg_view_once(&d->params, v, olen);
			break;
		case 60:
			mg_view_once(&d->vendor, v, olen);
			break;
		case 61:
			mg_view_once(&d->client_id, v, olen);
			break;
		case 81:
			if (olen >= 3 && !d->fqdn.p) {
				d->fqdn_wire = v[0] & 0x04;
				mg_view_once(&d->fqdn, v + 3, olen - 3u);
			}
			break;
		case 161:
			mg_view_once(&d->mud_url, v, olen);
			break;
		}
		i += 2u + olen;
	}
	return 0;
}

int mg_dhcp6_parse(struct mg_dhcp6 *d, const uint8_t *b, uint32_t len)
{
	memset(d, 0, sizeof(*d));
	if (len < 4 || b[0] == 12 || b[0] == 13) /* relay-forw/-repl nest another layer */
		return -EINVAL;
	d->msg_type = b[0];
	for (uint32_t i = 4; i < len;) {
		if (i + 4 > len)
			return -EINVAL;
		uint16_t code = mg_rd16(b + i), olen = mg_rd16(b + i + 2);
		const uint8_t *v = b + i + 4;
		if (olen > len - i - 4)
			return -EINVAL;
		switch (code) {
		case 1:
			if (olen >= 2 && !d->duid.p) {
				d->duid_type = mg_rd16(v);
				mg_view_once(&d->duid, v, olen);
			}
			break;
		case 6:
			mg_view_once(&d->oro, v, olen & ~1u);
			break;
		case 16: /* enterprise-number(4), then (len16, data) items */
			if (olen >= 6 && !d->vendor.p) {
				uint16_t n = mg_rd16(v + 4);
				d->vendor_enterprise = mg_rd32(v);
				if (n <= olen - 6u)
					mg_view_once(&d->vendor, v + 6, n);
			}
			break;
		case 39:
			if (olen >= 1)
				mg_view_once(&d->fqdn, v + 1, olen - 1u);
			break;
		case 112:
			mg_view_once(&d->mud_url, v, olen);
			break;
		}
		i += 4u + olen;
	}
	return 0;
}

int mg_dhcp6_unwrap(const uint8_t *b, uint32_t len, const uint8_t **inner, uint32_t *inner_len)
{
	if (len < 1 || b[0] != 12)
		return -ENOENT;
	for (int depth = 0; depth < 8; depth++) {
		/* msg-type, hop-count, link-address, peer-address, then options */
		if (len < 34)
			return -EINVAL;
		const uint8_t *msg = NULL;
		uint32_t mlen = 0;
		for (uint32_t i = 34; i < len;) {
			if (i + 4 > len)
				return -EINVAL;
			uint16_t code = mg_rd16(b + i), olen = mg_rd16(b + i + 2);
			if (olen > len - i - 4)
				return -EINVAL;
			if (code == 9 && !msg) {
				msg = b + i + 4;
				mlen = olen;
			}
			i += 4u + olen;
		}
		if (!msg || !mlen)
			return -EINVAL;
		if (msg[0] != 12) {
			*inner = msg;
			*inner_len = mlen;
			return 0;
		}
		b = msg;
		len = mlen;
	}
	return -EINVAL;
}

bool mg_dhcp6_duid_mac(const struct mg_dhcp6 *d, uint8_t mac[6])
{
	/* DUID-LLT: type 1, hardware type, time(4), address; DUID-LL: type 3,
	 * hardware type, address. Hardware type 1 is Ethernet. */
	uint32_t off = d->duid_type == 1 ? 8 : d->duid_type == 3 ? 4 : 0;
	if (!off || d->duid.len != off + 6 || mg_rd16(d->duid.p + 2) != 1)
		return false;
	memcpy(mac, d->duid.p + off, 6);
	return true;
}

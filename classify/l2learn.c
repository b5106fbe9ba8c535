/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "l2learn.h"

#include <string.h>

#include "dhcp.h"

bool mg_l2learn_dhcp(const uint8_t *b, uint32_t len, struct mg_l2learn *out)
{
	struct mg_dhcp d;

	memset(out, 0, sizeof(*out));
	if (mg_dhcp_parse(&d, b, len) < 0 || d.op != 2) /* a reply */
		return false;
	if (d.msg_type != MG_DHCP_OFFER && d.msg_type != MG_DHCP_ACK)
		return false;
	out->gateway = MG_GW_DHCP;
	out->dhcp_server = true;
	if (d.msg_type != MG_DHCP_ACK) /* an offer is not yet the client's address */
		return true;
	out->owner = MG_L2_MAC;
	memcpy(out->mac, d.chaddr, 6);
	mg_addr_set_v4(&out->addr, d.yiaddr);
	out->has_addr = !mg_addr_is_group(&out->addr);
	out->how = MG_ASRC_DHCP;
	return true;
}

const uint8_t *mg_ndp_lladdr(const uint8_t *o, uint32_t len, uint8_t want)
{
	while (len >= 8) {
		uint32_t olen = (uint32_t)o[1] * 8;
		if (!olen || olen > len)
			return NULL;
		if (o[0] == want && olen >= 8)
			return o + 2;
		o += olen;
		len -= olen;
	}
	return NULL;
}

bool mg_l2learn_ndp(uint8_t type, const uint8_t *b, uint32_t len, const struct mg_addr *src_ip,
		    const uint8_t *src_mac, struct mg_l2learn *out)
{
	/* the body starts with 4 reserved/flag bytes (for an RA: hop limit,
	 * flags, router lifetime), then for NS/NA the 16-byte target address,
	 * then options */
	memset(out, 0, sizeof(*out));
	if (type == 134) { /* router advertisement */
		/* a router lifetime of 0 says "not a default router": what Thread
		 * border routers and other stub routers send (hubs, speakers) to
		 * announce a prefix they route to, not the way out */
		if (len >= 4 && (b[2] | b[3]))
			out->gateway = MG_GW_RA;
		return out->gateway != 0;
	}
	if ((type != 135 && type != 136) || len < 20)
		return false;
	out->how = MG_ASRC_NDP;
	out->has_addr = true;
	if (type == 135) { /* neighbour solicitation: the sender's own address */
		const uint8_t *ll = mg_ndp_lladdr(b + 20, len - 20, 1);
		if (!ll || !src_mac || memcmp(ll, src_mac, 6)) {
			memset(out, 0, sizeof(*out));
			return false;
		}
		out->owner = MG_L2_SENDER;
		out->addr = *src_ip;
		return true;
	}
	/* advertisement: the target address, of the station its target
	 * link-layer option names, else of the sender */
	const uint8_t *ll = mg_ndp_lladdr(b + 20, len - 20, 2);
	out->owner = ll ? MG_L2_MAC : MG_L2_SENDER;
	if (ll)
		memcpy(out->mac, ll, 6);
	mg_addr_set_v6(&out->addr, b + 4);
	return true;
}

bool mg_l2learn(const struct mg_pkt *p, struct mg_l2learn *out)
{
	if (p->proto == 17 && p->sport == 67 && p->dport == 68)
		return mg_l2learn_dhcp(p->payload, p->payload_len, out);
	if (p->proto == 58 && p->icmp_type >= 133 && p->icmp_type <= 136)
		return mg_l2learn_ndp(p->icmp_type, p->payload, p->payload_len, &p->src,
				      p->has_mac ? p->src_mac : NULL, out);
	memset(out, 0, sizeof(*out));
	return false;
}

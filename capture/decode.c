/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "decode.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "decode_int.h"

#define MG_X_NAME(id, name) name,
static const char *const anomaly_names[] = {MG_ANOMALY_LIST(MG_X_NAME)};
static const char *const skip_names[] = {MG_SKIP_LIST(MG_X_NAME)};
#undef MG_X_NAME

const char *mg_anomaly_name(enum mg_anomaly a)
{
	return (unsigned)a < MG_ANOM__COUNT ? anomaly_names[a] : "unknown";
}

const char *mg_skip_name(enum mg_skip r)
{
	return (unsigned)r < MG_SKIP__COUNT ? skip_names[r] : "unknown";
}

static enum mg_anomaly decode_l4(struct mg_pkt *p, const uint8_t *b, uint32_t len,
				 enum mg_anomaly prior)
{
	p->l4 = b;
	p->l4_len = len;
	switch (p->proto) {
	case 6: { /* TCP */
		if (len < 20)
			return SHORT(p, MG_ANOM_TCP_TRUNCATED);
		uint32_t doff = (uint32_t)(b[12] >> 4) * 4;
		p->sport = mg_rd16(b);
		p->dport = mg_rd16(b + 2);
		p->tcp_seq = mg_rd32(b + 4);
		p->tcp_ack = mg_rd32(b + 8);
		p->tcp_flags = b[13];
		p->tcp_win = mg_rd16(b + 14);
		if (doff < 20)
			return MG_ANOM_TCP_BAD_OFFSET;
		if (doff > len)
			return SHORT(p, MG_ANOM_TCP_BAD_OFFSET);
		p->tcp_opt_len = (uint8_t)(doff - 20);
		p->payload = b + doff;
		p->payload_len = len - doff;
		if ((p->tcp_flags & MG_TCP_SYN) && (p->tcp_flags & (MG_TCP_FIN | MG_TCP_RST)))
			return prior ? prior : MG_ANOM_TCP_BAD_FLAGS;
		return prior;
	}
	case 17: { /* UDP */
		if (len < 8)
			return SHORT(p, MG_ANOM_UDP_TRUNCATED);
		p->sport = mg_rd16(b);
		p->dport = mg_rd16(b + 2);
		uint32_t ulen = mg_rd16(b + 4);
		if (ulen < 8)
			return MG_ANOM_UDP_BAD_LEN;
		if (ulen > len) {
			if (!p->snapped)
				return MG_ANOM_UDP_BAD_LEN;
			ulen = len;
		}
		p->payload = b + 8;
		p->payload_len = ulen - 8;
		return prior;
	}
	case 1:  /* ICMP */
	case 58: /* ICMPv6 */
		if (len < 4)
			return SHORT(p, p->proto == 1 ? MG_ANOM_ICMP_TRUNCATED
						      : MG_ANOM_ICMPV6_TRUNCATED);
		p->icmp_type = b[0];
		p->icmp_code = b[1];
		p->payload = b + 4;
		p->payload_len = len - 4;
		return prior;
	default:
		return prior;
	}
}

static enum mg_anomaly decode_ipv4(struct mg_pkt *p, const uint8_t *b, uint32_t len)
{
	enum mg_anomaly anom = MG_ANOM_NONE;

	if (len < 20)
		return SHORT(p, MG_ANOM_IPV4_TRUNCATED);
	if (b[0] >> 4 != 4)
		return MG_ANOM_IPV4_BAD_VERSION;
	uint32_t ihl = (uint32_t)(b[0] & 0x0f) * 4;
	if (ihl < 20)
		return MG_ANOM_IPV4_BAD_IHL;
	if (ihl > len)
		return SHORT(p, MG_ANOM_IPV4_BAD_IHL);
	uint32_t total = mg_rd16(b + 2);
	if (total < ihl)
		return MG_ANOM_IPV4_BAD_TOTAL_LEN;
	if (total > len) {
		if (!p->snapped)
			return MG_ANOM_IPV4_BAD_TOTAL_LEN;
		total = len;
	}
	p->ip_version = 4;
	p->l3 = b;
	p->l3_len = total; /* drops Ethernet padding */
	mg_addr_set_v4(&p->src, b + 12);
	mg_addr_set_v4(&p->dst, b + 16);
	p->ttl = b[8];
	p->proto = b[9];
	p->ip_id = mg_rd16(b + 4);
	p->ip_opt_len = (uint8_t)(ihl - 20);

	/* Options: type-length-value, except EOL (0) and NOP (1). */
	for (uint32_t i = 20; i < ihl;) {
		uint8_t t = b[i];
		if (t == 0)
			break;
		if (t == 1) {
			i++;
			continue;
		}
		if (i + 1 >= ihl || b[i + 1] < 2 || i + b[i + 1] > ihl) {
			anom = MG_ANOM_IPV4_BAD_OPTIONS;
			break;
		}
		i += b[i + 1];
	}

	uint16_t frag = mg_rd16(b + 6);
	p->frag_off = (uint16_t)((frag & 0x1fff) * 8);
	p->is_fragment = (frag & 0x2000) || p->frag_off;
	if ((frag & 0x8000) || (uint32_t)p->frag_off + (total - ihl) > 65535)
		return anom ? anom : MG_ANOM_IPV4_BAD_FRAGMENT;
	if (p->frag_off)
		return anom; /* no L4 header in later fragments */
	return decode_l4(p, b + ihl, total - ihl, anom);
}

#define MG_MAX_EXT_HDRS 8

static enum mg_anomaly decode_ipv6(struct mg_pkt *p, const uint8_t *b, uint32_t len)
{
	if (len < 40)
		return SHORT(p, MG_ANOM_IPV6_TRUNCATED);
	if (b[0] >> 4 != 6)
		return MG_ANOM_IPV6_BAD_VERSION;
	uint32_t total = 40 + mg_rd16(b + 4);
	if (total > len) {
		if (!p->snapped)
			return MG_ANOM_IPV6_BAD_PAYLOAD_LEN;
		total = len;
	}
	p->ip_version = 6;
	p->l3 = b;
	p->l3_len = total;
	mg_addr_set_v6(&p->src, b + 8);
	mg_addr_set_v6(&p->dst, b + 24);
	p->ttl = b[7];

	uint8_t nh = b[6];
	uint32_t off = 40;
	for (;;) {
		uint32_t hlen;
		switch (nh) {
		case 0:   /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 139: /* HIP */
		case 140: /* shim6 */
			if (off + 2 > total)
				return SHORT(p, MG_ANOM_IPV6_EXTHDR_TRUNCATED);
			hlen = ((uint32_t)b[off + 1] + 1) * 8;
			break;
		case 51: /* AH */
			if (off + 2 > total)
				return SHORT(p, MG_ANOM_IPV6_EXTHDR_TRUNCATED);
			hlen = ((uint32_t)b[off + 1] + 2) * 4;
			break;
		case 44: /* fragment */
			if (off + 8 > total)
				return SHORT(p, MG_ANOM_IPV6_EXTHDR_TRUNCATED);
			hlen = 8;
			p->frag_off = mg_rd16(b + off + 2) & 0xfff8;
			p->is_fragment = p->frag_off || (b[off + 3] & 1);
			p->ip_id = (uint16_t)mg_rd32(b + off + 4);
			break;
		default:
			p->proto = nh;
			if (p->frag_off)
				return MG_ANOM_NONE;
			return decode_l4(p, b + off, total - off, MG_ANOM_NONE);
		}
		if (off + hlen > total)
			return SHORT(p, MG_ANOM_IPV6_EXTHDR_TRUNCATED);
		if (++p->ext_hdr_cnt > MG_MAX_EXT_HDRS)
			return MG_ANOM_IPV6_EXTHDR_TOO_MANY;
		nh = b[off];
		off += hlen;
	}
}

static enum mg_anomaly decode_arp(struct mg_pkt *p, const uint8_t *b, uint32_t len)
{
	if (len < 8)
		return SHORT(p, MG_ANOM_ARP_TRUNCATED);
	/* Only Ethernet/IPv4 ARP carries what we learn from; others are legal. */
	if (mg_rd16(b) != 1 || mg_rd16(b + 2) != MG_ETH_IPV4)
		return MG_ANOM_NONE;
	if (b[4] != 6 || b[5] != 4)
		return MG_ANOM_ARP_BAD_FORMAT;
	if (len < 28)
		return SHORT(p, MG_ANOM_ARP_TRUNCATED);
	p->is_arp = true;
	p->arp_op = mg_rd16(b + 6);
	p->arp_sha = b + 8;
	p->arp_spa = b + 14;
	p->arp_tha = b + 18;
	p->arp_tpa = b + 24;
	return MG_ANOM_NONE;
}

enum mg_anomaly mg_decode_ethertype(struct mg_pkt *p, uint16_t type, const uint8_t *b,
				    uint32_t len)
{
	p->ethertype = type;
	p->l2 = b;
	p->l2_len = len;
	switch (type) {
	case MG_ETH_IPV4:
		return decode_ipv4(p, b, len);
	case MG_ETH_IPV6:
		return decode_ipv6(p, b, len);
	case MG_ETH_ARP:
		return decode_arp(p, b, len);
	default:
		return MG_ANOM_NONE; /* LLDP, EAPOL, 802.3 length field, ...: not ours */
	}
}

enum mg_anomaly mg_decode_ethernet(struct mg_pkt *p, const uint8_t *b, uint32_t len,
				   uint32_t tag_len)
{
	if (len < 14 + tag_len)
		return SHORT(p, tag_len ? MG_ANOM_DSA_TRUNCATED : MG_ANOM_LINK_TRUNCATED);
	p->has_mac = true;
	memcpy(p->dst_mac, b, 6);
	memcpy(p->src_mac, b + 6, 6);
	uint32_t off = 14 + tag_len;
	uint16_t type = mg_rd16(b + off - 2);
	while (type == MG_ETH_VLAN || type == MG_ETH_QINQ || type == 0x9100) {
		if (p->vlan_count == MG_MAX_VLAN)
			return MG_ANOM_VLAN_TOO_DEEP;
		if (off + 4 > len)
			return SHORT(p, MG_ANOM_VLAN_TRUNCATED);
		p->vlan[p->vlan_count++] = mg_rd16(b + off) & 0x0fff;
		type = mg_rd16(b + off + 2);
		off += 4;
	}
	return mg_decode_ethertype(p, type, b + off, len - off);
}

/* Linux cooked headers carry the sender's link address when it is Ethernet. */
static enum mg_anomaly cooked_addr(struct mg_pkt *p, uint16_t hatype, uint32_t alen,
				   const uint8_t *addr)
{
	if (alen > 8)
		return MG_ANOM_SLL_BAD_ADDR_LEN;
	if (hatype == 1 && alen == 6) { /* ARPHRD_ETHER */
		p->has_mac = true;
		memcpy(p->src_mac, addr, 6);
	}
	return MG_ANOM_NONE;
}

enum mg_anomaly mg_decode_raw(struct mg_pkt *p, const uint8_t *b, uint32_t len)
{
	if (len < 1)
		return SHORT(p, MG_ANOM_LINK_TRUNCATED);
	switch (b[0] >> 4) {
	case 4:
		return mg_decode_ethertype(p, MG_ETH_IPV4, b, len);
	case 6:
		return mg_decode_ethertype(p, MG_ETH_IPV6, b, len);
	default:
		return MG_ANOM_IPV4_BAD_VERSION;
	}
}

enum mg_anomaly mg_decode(struct mg_pkt *p, enum mg_link link, const uint8_t *data,
			  uint32_t caplen, uint32_t wirelen, uint64_t ts_us)
{
	enum mg_anomaly a;

	memset(p, 0, sizeof(*p));
	p->ts_us = ts_us;
	p->caplen = caplen;
	p->wirelen = wirelen;
	p->snapped = caplen < wirelen;
	p->switch_port = -1;

	switch (link) {
	case MG_LINK_ETHERNET:
		return mg_decode_ethernet(p, data, caplen, 0);
	case MG_LINK_SLL:
		if (caplen < 16)
			return SHORT(p, MG_ANOM_LINK_TRUNCATED);
		a = cooked_addr(p, mg_rd16(data + 2), mg_rd16(data + 4), data + 6);
		if (a)
			return a;
		return mg_decode_ethertype(p, mg_rd16(data + 14), data + 16, caplen - 16);
	case MG_LINK_SLL2:
		if (caplen < 20)
			return SHORT(p, MG_ANOM_LINK_TRUNCATED);
		a = cooked_addr(p, mg_rd16(data + 8), data[11], data + 12);
		if (a)
			return a;
		return mg_decode_ethertype(p, mg_rd16(data), data + 20, caplen - 20);
	case MG_LINK_RAW:
		return mg_decode_raw(p, data, caplen);
	case MG_LINK_IPV4:
		return mg_decode_ethertype(p, MG_ETH_IPV4, data, caplen);
	case MG_LINK_IPV6:
		return mg_decode_ethertype(p, MG_ETH_IPV6, data, caplen);
	case MG_LINK_NULL: {
		if (caplen < 4)
			return SHORT(p, MG_ANOM_LINK_TRUNCATED);
		uint32_t fam_le = (uint32_t)data[0] | (uint32_t)data[1] << 8 |
				  (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
		uint32_t fam = fam_le > 0xffff ? mg_rd32(data) : fam_le;
		if (fam == 2)
			return mg_decode_ethertype(p, MG_ETH_IPV4, data + 4, caplen - 4);
		if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
			return mg_decode_ethertype(p, MG_ETH_IPV6, data + 4, caplen - 4);
		return MG_ANOM_NULL_BAD_FAMILY;
	}
	case MG_LINK__END:
		break;
	default:
		return mg_decode_link(p, link, data, caplen, wirelen);
	}
	return MG_ANOM_LINK_TRUNCATED;
}

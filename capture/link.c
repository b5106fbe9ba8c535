/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Link layers a sensor meets off a plain Ethernet port: 802.11 (bare, under a
 * radiotap or a PPI radio header), Linux NFLOG, PPP (bare, in HDLC framing,
 * with pppd's direction byte, over PPPoE) and Ethernet with a switch's tag
 * (Broadcom, Marvell DSA and EDSA), as seen on a Wi-Fi monitor interface, an
 * nflog group or a router's switch CPU port. Each header is stripped and the
 * rest handed to decode.c with the addresses mapped to Ethernet's meaning, so
 * that everything above the link layer sees what a wired capture would show.
 *
 * Facts used, not code: IEEE 802.11-2020 §9.2 (MAC frame format), radiotap.org
 * (header and the Flags field), CACE's "Per-Packet Information Header
 * Specification" 1.0 (PPI and its 802.11-Common field), tcpdump.org's
 * LINKTYPE_* pages (NFLOG, PPP, PPP_HDLC, PPP_PPPD, PPP_ETHER, DSA_TAG_*),
 * <linux/netfilter/nfnetlink_log.h> (NFULA_*), RFC 1661/1662 (PPP), RFC 2516
 * (PPPoE), Linux net/dsa/tag_brcm.c and tag_dsa.c (tag layouts).
 */
#include <string.h>

#include "bytes.h"
#include "decode_int.h"

static uint16_t rd16le(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

static uint32_t rd32le(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* A well-formed frame that carries nothing for us: say why, not malformed. */
static enum mg_anomaly skip(struct mg_pkt *p, enum mg_skip why)
{
	p->skip = (uint8_t)why;
	return MG_ANOM_NONE;
}

/* The frame's length on the wire from @off bytes in (the bytes present when
 * the capture is not snapped). */
static uint32_t wire_from(const struct mg_pkt *p, uint32_t off)
{
	return p->snapped ? p->wirelen - off : p->caplen - off;
}

/* ---- 802.11 ---- */

/* What a radio header says about the 802.11 frame after it. */
#define W_FCS 1u     /* the frame ends in its 4-byte FCS */
#define W_BAD_FCS 2u /* the receiver found the FCS wrong */
#define W_PAD 4u     /* the body starts on a 4-byte boundary (radiotap "data pad") */

/*
 * Only data frames carry IP or ARP, after an LLC/SNAP header. The addresses
 * are mapped to an Ethernet frame's: the source is the station that sent the
 * frame into the network (SA), the destination the one it is for (DA):
 *
 *   ToDS FromDS  addr1  addr2  addr3  addr4
 *    0    0      DA     SA     BSSID  -      (ad hoc, direct link)
 *    1    0      BSSID  SA     DA     -      (a station to its access point)
 *    0    1      DA     BSSID  SA     -      (the access point to a station)
 *    1    1      RA     TA     DA     SA     (between access points, mesh)
 *
 * So a device is the transmitter of its own frames, and the BSSID, a radio
 * address, is never taken for a device. What the access point relays from the
 * wired side (FromDS) has the wired sender as SA: the router's MAC for traffic
 * from off-link hosts, which makes the router the gateway exactly as on
 * Ethernet (it is the MAC that remote addresses sit behind, and it answers
 * DHCP). Taking the BSSID instead would name the radio, not the router, when
 * the two are different boxes, and split one gateway in two (DHCP from the
 * router's MAC, remote traffic from the BSSID). When the access point is
 * the router, SA is its own LAN MAC, and it is the gateway all the same.
 *
 * Retransmissions (the Retry bit) are decoded: a monitor interface cannot
 * know whether it heard the first copy. A frame between two stations of one
 * access point is heard twice in monitor mode (to the access point and back
 * out), once per hop, as a mirror port of two switches would show it.
 */
static enum mg_anomaly decode_80211(struct mg_pkt *p, const uint8_t *b, uint32_t len,
				    uint32_t wire, unsigned flags)
{
	if (flags & W_BAD_FCS)
		return skip(p, MG_SKIP_WIFI_BAD_FCS); /* the bytes are not what was sent */
	if (flags & W_FCS) {
		if (wire < 4)
			return SHORT(p, MG_ANOM_WIFI_TRUNCATED);
		if (len > wire - 4)
			len = wire - 4; /* the FCS, or what of it was captured */
	}
	if (len < 2)
		return SHORT(p, MG_ANOM_WIFI_TRUNCATED);
	uint8_t fc0 = b[0], fc1 = b[1];
	if (fc0 & 3)
		return MG_ANOM_WIFI_BAD_VERSION;
	unsigned type = (fc0 >> 2) & 3, subtype = fc0 >> 4;
	if (type == 0)
		return skip(p, MG_SKIP_WIFI_MANAGEMENT);
	if (type == 1)
		return skip(p, MG_SKIP_WIFI_CONTROL);
	if (type == 3)
		return skip(p, MG_SKIP_WIFI_EXTENSION);
	if (subtype & 4) /* Null, CF-Ack/Poll without data, QoS Null */
		return skip(p, MG_SKIP_WIFI_NULL_DATA);
	bool tods = fc1 & 1, fromds = fc1 & 2;
	uint32_t hl = tods && fromds ? 30 : 24, qos = hl;
	if (subtype & 8) { /* QoS data: QoS Control, and HT Control when Order is set */
		hl += 2;
		if (fc1 & 0x80)
			hl += 4;
	}
	if (len < hl)
		return SHORT(p, MG_ANOM_WIFI_TRUNCATED);
	if (fc1 & 0x40)
		return skip(p, MG_SKIP_WIFI_PROTECTED); /* encrypted: WEP, TKIP, CCMP, GCMP */
	if ((fc1 & 0x04) || (b[22] & 0x0f)) /* More Fragments, or a fragment number */
		return skip(p, MG_SKIP_WIFI_FRAGMENT);
	if ((subtype & 8) && (b[qos] & 0x80))
		return skip(p, MG_SKIP_WIFI_AMSDU); /* aggregated subframes, each its own header */
	if (flags & W_PAD)
		hl = (hl + 3) & ~3u;
	if (len < hl + 8)
		return SHORT(p, MG_ANOM_WIFI_TRUNCATED);
	const uint8_t *llc = b + hl;
	/* LLC/SNAP: AA AA 03, OUI 00-00-00 (RFC 1042) or 00-00-F8 (802.1H) */
	if (llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03 || llc[3] || llc[4] ||
	    (llc[5] && llc[5] != 0xf8))
		return skip(p, MG_SKIP_WIFI_NOT_SNAP);
	const uint8_t *a1 = b + 4, *a2 = b + 10, *a3 = b + 16, *a4 = b + 24;
	const uint8_t *da = tods ? a3 : a1;
	const uint8_t *sa = fromds ? (tods ? a4 : a3) : a2;
	p->has_mac = true;
	memcpy(p->dst_mac, da, 6);
	memcpy(p->src_mac, sa, 6);
	return mg_decode_ethertype(p, mg_rd16(llc + 6), llc + 8, len - hl - 8);
}

/* radiotap: version 0, pad, length (LE), presence words (LE; bit 31: another
 * follows), then the fields in bit order, each aligned to its size from the
 * start of the header. Only TSFT (bit 0, 8 bytes) can stand before Flags
 * (bit 1, 1 byte), and fields of the first word come before all others. */
static enum mg_anomaly decode_radiotap(struct mg_pkt *p, const uint8_t *b, uint32_t len)
{
	if (len < 8)
		return SHORT(p, MG_ANOM_RADIOTAP_TRUNCATED);
	uint32_t hl = rd16le(b + 2);
	if (b[0] != 0 || hl < 8)
		return MG_ANOM_RADIOTAP_BAD_HEADER;
	if (hl > len)
		return SHORT(p, MG_ANOM_RADIOTAP_TRUNCATED);
	uint32_t present = rd32le(b + 4), off = 4;
	for (uint32_t w = present; w & 0x80000000u; w = rd32le(b + off)) {
		off += 4;
		if (off + 4 > hl)
			return MG_ANOM_RADIOTAP_BAD_HEADER;
	}
	off += 4;
	unsigned flags = 0;
	if (present & 1) /* TSFT */
		off = ((off + 7) & ~7u) + 8;
	if (present & 2) { /* Flags */
		if (off >= hl)
			return MG_ANOM_RADIOTAP_BAD_HEADER;
		uint8_t f = b[off];
		flags = (f & 0x10 ? W_FCS : 0) | (f & 0x40 ? W_BAD_FCS : 0) | (f & 0x20 ? W_PAD : 0);
	}
	return decode_80211(p, b + hl, len - hl, wire_from(p, hl), flags);
}

/* PPI: version 0, flags, length (LE), the inner DLT (LE, 32 bits), then
 * fields (type, length, both LE). The 802.11-Common field (type 2) has flags
 * at byte 8 of its data: 1 FCS present, 4 FCS error. */
static enum mg_anomaly decode_ppi(struct mg_pkt *p, const uint8_t *b, uint32_t len)
{
	if (len < 8)
		return SHORT(p, MG_ANOM_PPI_TRUNCATED);
	uint32_t hl = rd16le(b + 2), dlt = rd32le(b + 4);
	if (b[0] != 0 || hl < 8)
		return MG_ANOM_PPI_BAD_HEADER;
	if (hl > len)
		return SHORT(p, MG_ANOM_PPI_TRUNCATED);
	unsigned flags = 0;
	for (uint32_t off = 8; off + 4 <= hl;) {
		uint32_t type = rd16le(b + off), flen = rd16le(b + off + 2);
		if (flen > hl - off - 4)
			return MG_ANOM_PPI_BAD_HEADER;
		if (type == 2 && flen >= 20) {
			uint16_t f = rd16le(b + off + 4 + 8);
			flags |= (f & 1 ? W_FCS : 0) | (f & 4 ? W_BAD_FCS : 0);
		}
		off += 4 + flen;
		if (b[1] & 1) /* fields aligned to 32 bits */
			off = (off + 3) & ~3u;
	}
	switch (dlt) {
	case 105: /* DLT_IEEE802_11 */
		return decode_80211(p, b + hl, len - hl, wire_from(p, hl), flags);
	case 1: /* DLT_EN10MB */
		return mg_decode_ethernet(p, b + hl, len - hl, 0);
	default:
		return skip(p, MG_SKIP_PPI_OTHER_DLT);
	}
}

/* ---- NFLOG ---- */

/* TLV headers are in the byte order of the host that captured; libpcap (and
 * our pcapng reader) turn them into the reading host's. */
static uint16_t host16(const uint8_t *b)
{
	uint16_t v;
	memcpy(&v, b, 2);
	return v;
}

#define NFULA_HWADDR 8
#define NFULA_PAYLOAD 9
#define NFULA_HWTYPE 15
#define NFULA_HWHEADER 16

/*
 * A 4-byte header (address family, version, group), then netlink attributes
 * padded to 4 bytes. NFULA_PAYLOAD is the packet from its network header on.
 * There is no MAC header, as with raw IP, except that the kernel adds the
 * sender's hardware address (NFULA_HWADDR) for packets that came in through
 * an interface with one, and may add the whole header (NFULA_HWHEADER): a
 * LAN device's MAC for what it sends through the router. Used when present,
 * so that an nflog on a router's LAN side attributes traffic to devices as
 * a mirror port would; without them (the router's own packets, an output
 * hook) the packet is decoded as raw IP and known by address only.
 */
static enum mg_anomaly decode_nflog(struct mg_pkt *p, const uint8_t *b, uint32_t len)
{
	const uint8_t *payload = NULL, *hwaddr = NULL, *hwhdr = NULL;
	uint32_t plen = 0, hwhdr_len = 0;
	int hwtype = -1;

	if (len < 4)
		return SHORT(p, MG_ANOM_NFLOG_TRUNCATED);
	for (uint32_t off = 4; off < len;) {
		if (len - off < 4)
			return SHORT(p, MG_ANOM_NFLOG_TRUNCATED);
		uint32_t tl = host16(b + off), type = host16(b + off + 2) & 0x3fff;
		if (tl < 4)
			return MG_ANOM_NFLOG_BAD_TLV;
		uint32_t vl = tl - 4;
		const uint8_t *v = b + off + 4;
		if (tl > len - off) {
			if (!p->snapped)
				return MG_ANOM_NFLOG_TRUNCATED;
			vl = len - off - 4; /* cut by the snaplen: keep what is there */
		}
		if (type == NFULA_PAYLOAD) {
			payload = v;
			plen = vl;
		} else if (type == NFULA_HWADDR && vl >= 10 && mg_rd16(v) == 6) {
			hwaddr = v + 4; /* hw_addrlen, pad, hw_addr[8] */
		} else if (type == NFULA_HWTYPE && vl >= 2) {
			hwtype = mg_rd16(v);
		} else if (type == NFULA_HWHEADER) {
			hwhdr = v;
			hwhdr_len = vl;
		}
		off += (tl + 3) & ~3u;
	}
	if (hwhdr && hwtype == 1 && hwhdr_len >= 14) { /* ARPHRD_ETHER */
		p->has_mac = true;
		memcpy(p->dst_mac, hwhdr, 6);
		memcpy(p->src_mac, hwhdr + 6, 6);
	} else if (hwaddr) {
		p->has_mac = true;
		memcpy(p->src_mac, hwaddr, 6);
	}
	if (!payload)
		return skip(p, MG_SKIP_NFLOG_NO_PAYLOAD);
	switch (b[0]) { /* NFPROTO_* */
	case 2:
		return mg_decode_ethertype(p, MG_ETH_IPV4, payload, plen);
	case 10:
		return mg_decode_ethertype(p, MG_ETH_IPV6, payload, plen);
	case 3:
		return mg_decode_ethertype(p, MG_ETH_ARP, payload, plen);
	case 0: /* unspecified, bridge: the version says */
	case 7:
		if (plen && (payload[0] >> 4 == 4 || payload[0] >> 4 == 6))
			return mg_decode_raw(p, payload, plen);
		return skip(p, MG_SKIP_NFLOG_OTHER_FAMILY);
	default:
		return skip(p, MG_SKIP_NFLOG_OTHER_FAMILY);
	}
}

/* ---- PPP ---- */

/* The PPP protocol field: 2 bytes, or 1 when compressed (an odd first byte,
 * RFC 1661 §6.5). IPv4 0x0021, IPv6 0x0057; LCP, IPCP, compressed TCP and
 * the rest are PPP's own business. */
static enum mg_anomaly decode_ppp_proto(struct mg_pkt *p, const uint8_t *b, uint32_t len)
{
	uint32_t proto, hl = len && (b[0] & 1) ? 1 : 2;

	if (len < hl)
		return SHORT(p, MG_ANOM_PPP_TRUNCATED);
	proto = hl == 1 ? b[0] : mg_rd16(b);
	switch (proto) {
	case 0x0021:
		return mg_decode_ethertype(p, MG_ETH_IPV4, b + hl, len - hl);
	case 0x0057:
		return mg_decode_ethertype(p, MG_ETH_IPV6, b + hl, len - hl);
	default:
		return skip(p, MG_SKIP_PPP_OTHER_PROTOCOL);
	}
}

/* PPP with or without HDLC-like framing (FF 03, RFC 1662); a PPP_SERIAL
 * capture may hold Cisco HDLC: address 0F or 8F, control 00, an EtherType. */
static enum mg_anomaly decode_ppp(struct mg_pkt *p, const uint8_t *b, uint32_t len)
{
	if (len >= 2 && b[0] == 0xff && b[1] == 0x03)
		return decode_ppp_proto(p, b + 2, len - 2);
	if (len >= 2 && (b[0] == 0x0f || b[0] == 0x8f) && b[1] == 0) {
		if (len < 4)
			return SHORT(p, MG_ANOM_PPP_TRUNCATED);
		return mg_decode_ethertype(p, mg_rd16(b + 2), b + 4, len - 4);
	}
	return decode_ppp_proto(p, b, len);
}

/* PPPoE (RFC 2516): version/type 0x11, code (0 in the session stage),
 * session, length, then the PPP protocol. */
static enum mg_anomaly decode_pppoe(struct mg_pkt *p, const uint8_t *b, uint32_t len)
{
	if (len < 6)
		return SHORT(p, MG_ANOM_PPP_TRUNCATED);
	if (b[0] != 0x11)
		return MG_ANOM_PPPOE_BAD_HEADER;
	if (b[1] != 0)
		return skip(p, MG_SKIP_PPPOE_DISCOVERY); /* PADI, PADO, PADR, PADS, PADT */
	uint32_t plen = mg_rd16(b + 4);
	if (plen > len - 6) {
		if (!p->snapped)
			return MG_ANOM_PPPOE_BAD_HEADER;
		plen = len - 6;
	}
	return decode_ppp_proto(p, b + 6, plen);
}

/* ---- switch tags ---- */

/* Broadcom's 4-byte tag: opcode in the top 3 bits; opcode 0 (to the CPU)
 * has the source port in the low 5 bits of byte 3, opcode 1 (from the CPU) a
 * bitmap of destination ports in the low 9 bits of bytes 2-3. */
static int brcm_port(const uint8_t *tag)
{
	if (tag[0] >> 5 == 0)
		return tag[3] & 0x1f;
	unsigned map = mg_rd16(tag + 2) & 0x1ff;
	for (int i = 0; i < 9; i++)
		if (map & (1u << i))
			return i;
	return -1;
}

enum mg_anomaly mg_decode_link(struct mg_pkt *p, enum mg_link link, const uint8_t *data,
			       uint32_t caplen, uint32_t wirelen)
{
	switch (link) {
	case MG_LINK_IEEE80211: /* no radio header: no FCS (the usual capture) */
		return decode_80211(p, data, caplen, wirelen > caplen ? wirelen : caplen, 0);
	case MG_LINK_RADIOTAP:
		return decode_radiotap(p, data, caplen);
	case MG_LINK_PPI:
		return decode_ppi(p, data, caplen);
	case MG_LINK_NFLOG:
		return decode_nflog(p, data, caplen);
	case MG_LINK_PPP:
		return decode_ppp(p, data, caplen);
	case MG_LINK_PPP_PPPD: /* direction (0 in, 1 out) in place of FF, then 03 */
		if (caplen < 2)
			return SHORT(p, MG_ANOM_PPP_TRUNCATED);
		return decode_ppp_proto(p, data + 2, caplen - 2);
	case MG_LINK_PPPOE:
		return decode_pppoe(p, data, caplen);
	case MG_LINK_DSA_BRCM: /* tag after the MACs */
		if (caplen >= 16)
			p->switch_port = (int8_t)brcm_port(data + 12);
		return mg_decode_ethernet(p, data, caplen, 4);
	case MG_LINK_DSA_BRCM_PREPEND: /* tag before the MACs */
		if (caplen < 4)
			return SHORT(p, MG_ANOM_DSA_TRUNCATED);
		p->switch_port = (int8_t)brcm_port(data);
		return mg_decode_ethernet(p, data + 4, caplen - 4, 0);
	case MG_LINK_DSA: /* Marvell: mode, device, then the port in bits 7..3 of byte 1 */
		if (caplen >= 16)
			p->switch_port = (int8_t)(data[13] >> 3);
		return mg_decode_ethernet(p, data, caplen, 4);
	case MG_LINK_EDSA: /* an EtherType (often DADA), 2 reserved bytes, the DSA tag */
		if (caplen >= 20)
			p->switch_port = (int8_t)(data[17] >> 3);
		return mg_decode_ethernet(p, data, caplen, 8);
	default:
		return MG_ANOM_LINK_TRUNCATED;
	}
}

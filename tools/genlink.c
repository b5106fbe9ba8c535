/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mudguard-gen's link types: an Ethernet frame of a scenario rewritten as a
 * Wi-Fi monitor interface, an nflog group, a PPP link or a switch's CPU port
 * would have captured it, so that one scenario gives the same network on
 * every link type (tests/replay/test_links.py compares them).
 *
 * The Wi-Fi network: an access point (BSSID 02:a0:00:00:00:0a) bridges the
 * stations to the wired router (the scenario's gateway, a separate box).
 * Stations send QoS data to the access point (ToDS); the TV's frames carry HT
 * Control; the printer sits behind a mesh repeater (4-address frames); the
 * access point relays the router's frames to the stations (FromDS, plain
 * data). Every 100th frame also brings a beacon, an ACK, a QoS null and an
 * encrypted frame, and under radiotap a copy of the frame with a bad FCS,
 * none of which may become a packet. radiotap and PPI frames end in their
 * FCS (CRC-32), which the headers announce.
 *
 * nflog: the router logs what it forwards from the LAN (with the sender's
 * hardware address and header, as the kernel adds for packets that came in
 * on an interface with one) and what it sends itself (without). TLV headers
 * are written little-endian, as a little-endian host logs them.
 *
 * PPP: IP only, with and without FF 03 in turn; PPPoE session frames.
 * Every 100th frame also brings an LCP echo request.
 *
 * Switch tags: the router is the CPU, the devices sit on ports 1-4 (by MAC).
 */
#include "genlink.h"

#include <string.h>

#define DLT_EN10MB 1
#define DLT_PPP 9
#define DLT_PPP_ETHER 51
#define DLT_IEEE802_11 105
#define DLT_IEEE802_11_RADIO 127
#define DLT_PPI 192
#define DLT_NFLOG 239
#define DLT_DSA_TAG_BRCM 281
#define DLT_DSA_TAG_BRCM_PREPEND 282
#define DLT_DSA_TAG_DSA 284
#define DLT_DSA_TAG_EDSA 285

const struct gen_link gen_links[] = {
	{"ethernet", DLT_EN10MB},
	{"80211", DLT_IEEE802_11},
	{"radiotap", DLT_IEEE802_11_RADIO},
	{"ppi", DLT_PPI},
	{"nflog", DLT_NFLOG},
	{"ppp", DLT_PPP},
	{"pppoe", DLT_PPP_ETHER},
	{"dsa", DLT_DSA_TAG_DSA},
	{"edsa", DLT_DSA_TAG_EDSA},
	{"brcm", DLT_DSA_TAG_BRCM},
	{"brcm-prepend", DLT_DSA_TAG_BRCM_PREPEND},
	{NULL, 0},
};

static const uint8_t BSSID[6] = {0x02, 0xa0, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t REPEATER[6] = {0x02, 0xa0, 0x00, 0x00, 0x00, 0x0b};
static const uint8_t OUI_TV[3] = {0xb0, 0xa7, 0x37}, OUI_PRINTER[3] = {0x3c, 0x2a, 0xf4};

static uint8_t *le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static uint8_t *le32(uint8_t *p, uint32_t v)
{
	return le16(le16(p, (uint16_t)v), (uint16_t)(v >> 16));
}

static uint8_t *le64(uint8_t *p, uint64_t v)
{
	return le32(le32(p, (uint32_t)v), (uint32_t)(v >> 32));
}

static uint8_t *be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

/* CRC-32 of IEEE 802.3 (reflected, polynomial 0x04C11DB7), as the FCS. */
static uint32_t crc32(const uint8_t *b, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= b[i];
		for (int k = 0; k < 8; k++)
			c = c >> 1 ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

/* ---- 802.11 ---- */

/* An 802.11 data frame with the Ethernet frame's payload after LLC/SNAP. */
static size_t wifi_data(uint8_t *o, const uint8_t *eth, size_t len, uint16_t seq,
			const uint8_t *gw)
{
	const uint8_t *da = eth, *sa = eth + 6;
	uint8_t *p = o;
	bool from_gw = !memcmp(sa, gw, 6);
	bool wds = !from_gw && !memcmp(sa, OUI_PRINTER, 3);
	bool htc = !from_gw && !memcmp(sa, OUI_TV, 3);

	*p++ = from_gw ? 0x08 : 0x88; /* data, or QoS data */
	*p++ = (uint8_t)(from_gw ? 0x02 : wds ? 0x03 : htc ? 0x81 : 0x01);
	p = le16(p, 44); /* duration */
	if (from_gw) { /* DA, BSSID, SA */
		memcpy(p, da, 6);
		memcpy(p + 6, BSSID, 6);
		memcpy(p + 12, sa, 6);
	} else if (wds) { /* RA, TA, DA, (seq), SA */
		memcpy(p, BSSID, 6);
		memcpy(p + 6, REPEATER, 6);
		memcpy(p + 12, da, 6);
	} else { /* BSSID, SA, DA */
		memcpy(p, BSSID, 6);
		memcpy(p + 6, sa, 6);
		memcpy(p + 12, da, 6);
	}
	p = le16(p + 18, (uint16_t)(seq << 4));
	if (wds) {
		memcpy(p, sa, 6);
		p += 6;
	}
	if (!from_gw) {
		p = le16(p, 0); /* QoS control: TID 0 */
		if (htc)
			p = le32(p, 0);
	}
	static const uint8_t snap[6] = {0xaa, 0xaa, 0x03, 0, 0, 0};
	memcpy(p, snap, 6);
	memcpy(p + 6, eth + 12, len - 12); /* EtherType and payload */
	return (size_t)(p - o) + 6 + len - 12;
}

/* An 802.11 header: frame control, three addresses, the rest zero. */
static void hdr3(uint8_t *f, uint8_t fc0, uint8_t fc1, const uint8_t *a1, const uint8_t *a2,
		 const uint8_t *a3)
{
	memset(f, 0, 128);
	f[0] = fc0;
	f[1] = fc1;
	memcpy(f + 4, a1, 6);
	memcpy(f + 10, a2, 6);
	memcpy(f + 16, a3, 6);
}

/* Frames of a busy radio that carry no IP: a beacon, an ACK, a QoS null from
 * a station and an encrypted data frame. Calls @out for each 802.11 frame. */
static void wifi_noise(const uint8_t *eth, uint16_t seq, void (*out)(const uint8_t *, size_t, void *),
		       void *user)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t f[128];

	/* beacon: management, to broadcast, from the BSSID, fixed fields, SSID */
	hdr3(f, 0x80, 0, bcast, BSSID, BSSID);
	le16(f + 22, (uint16_t)(seq << 4));
	le16(f + 32, 100); /* beacon interval */
	le16(f + 34, 0x0411);
	memcpy(f + 36, "\x00\x04home", 6);
	out(f, 42, user);
	/* ACK: control, to the station (one address) */
	hdr3(f, 0xd4, 0, eth + 6, bcast, bcast);
	out(f, 10, user);
	/* QoS null from the station (power save) */
	hdr3(f, 0xc8, 0x11, BSSID, eth + 6, BSSID);
	out(f, 26, user);
	/* protected QoS data: CCMP header and ciphertext */
	hdr3(f, 0x88, 0x41, BSSID, eth + 6, eth);
	for (int i = 26; i < 26 + 8 + 64 + 8; i++)
		f[i] = (uint8_t)(i * 37);
	out(f, 26 + 8 + 64 + 8, user);
}

/* radiotap: TSFT, Flags (FCS at end, or also bad FCS), Rate, Channel, signal */
static size_t radiotap_hdr(uint8_t *o, uint64_t ts, uint8_t flags)
{
	memset(o, 0, 24);
	le16(o + 2, 24);
	le32(o + 4, 0x2f);
	le64(o + 8, ts);
	o[16] = flags;
	o[17] = 12;	    /* 6 Mb/s */
	le16(o + 18, 2437); /* channel 6 */
	le16(o + 20, 0x00c0);
	o[22] = (uint8_t)-52; /* dBm */
	return 24;
}

/* PPI with one 802.11-Common field: TSF, flags (1: FCS present), rate, channel */
static size_t ppi_hdr(uint8_t *o, uint64_t ts)
{
	memset(o, 0, 32);
	le16(o + 2, 32);
	le32(o + 4, DLT_IEEE802_11);
	le16(o + 8, 2);
	le16(o + 10, 20);
	le64(o + 12, ts);
	le16(o + 20, 1);
	le16(o + 22, 12);
	le16(o + 24, 2437);
	le16(o + 26, 0x00c0);
	o[30] = (uint8_t)-52;
	return 32;
}

struct radio {
	const struct gen_link *link;
	uint64_t ts;
	gen_out_fn out;
	void *user;
	uint8_t fcs_flags; /* radiotap Flags: 0x10, or 0x50 for a bad FCS */
};

/* Puts the radio header (if any) before an 802.11 frame, and its FCS after. */
static void radio_out(const uint8_t *f, size_t n, void *user)
{
	struct radio *r = user;
	uint8_t o[GEN_LINK_MAX];
	size_t hl = 0;

	if (r->link->dlt == DLT_IEEE802_11) {
		r->out(r->ts, f, n, r->user);
		return;
	}
	hl = r->link->dlt == DLT_PPI ? ppi_hdr(o, r->ts) : radiotap_hdr(o, r->ts, r->fcs_flags);
	memcpy(o + hl, f, n);
	uint32_t fcs = crc32(f, n);
	if (r->fcs_flags & 0x40)
		fcs = ~fcs;
	le32(o + hl + n, fcs);
	r->out(r->ts, o, hl + n + 4, r->user);
}

/* ---- nflog ---- */

static uint8_t *tlv(uint8_t *p, uint16_t type, const void *v, uint16_t len)
{
	p = le16(p, (uint16_t)(4 + len));
	p = le16(p, type);
	memcpy(p, v, len);
	p += len;
	while (len++ & 3)
		*p++ = 0;
	return p;
}

static size_t nflog(uint8_t *o, const uint8_t *eth, size_t len, const uint8_t *gw)
{
	uint16_t type = (uint16_t)(eth[12] << 8 | eth[13]);
	bool from_gw = !memcmp(eth + 6, gw, 6);
	uint8_t v[16], *p = o;

	*p++ = type == 0x0800 ? 2 : type == 0x86dd ? 10 : 3; /* NFPROTO_IPV4, IPV6, ARP */
	*p++ = 0;
	p = be16(p, 1); /* group 1 */
	be16(v, type);
	v[2] = from_gw ? 3 : 2; /* hook: LOCAL_OUT, FORWARD */
	v[3] = 0;
	p = tlv(p, 1, v, 4); /* NFULA_PACKET_HDR */
	if (!from_gw) {
		memset(v, 0, 12);
		be16(v, 6);
		memcpy(v + 4, eth + 6, 6);
		p = tlv(p, 8, v, 12); /* NFULA_HWADDR */
		p = tlv(p, 4, "\0\0\0\3", 4); /* NFULA_IFINDEX_INDEV: 3 */
		p = tlv(p, 15, "\0\1", 2);    /* NFULA_HWTYPE: ARPHRD_ETHER */
		p = tlv(p, 17, "\0\16", 2);   /* NFULA_HWLEN: 14 */
		p = tlv(p, 16, eth, 14);      /* NFULA_HWHEADER */
	}
	p = tlv(p, 10, "mudguard", 9); /* NFULA_PREFIX */
	p = tlv(p, 9, eth + 14, (uint16_t)(len - 14)); /* NFULA_PAYLOAD */
	return (size_t)(p - o);
}

/* ---- PPP ---- */

static size_t ppp(uint8_t *o, const uint8_t *eth, size_t len, uint64_t n, bool pppoe)
{
	uint16_t type = (uint16_t)(eth[12] << 8 | eth[13]);
	uint8_t *p = o;

	if (pppoe) {
		*p++ = 0x11;
		*p++ = 0;
		p = be16(p, 0x2a17);
		p = be16(p, (uint16_t)(2 + len - 14));
	} else if (n & 1) {
		*p++ = 0xff;
		*p++ = 0x03;
	}
	p = be16(p, type == 0x86dd ? 0x0057 : 0x0021);
	memcpy(p, eth + 14, len - 14);
	return (size_t)(p - o) + len - 14;
}

/* ---- switch tags ---- */

static unsigned port_of(const uint8_t *mac)
{
	return 1 + (mac[5] & 3);
}

static size_t tagged(uint8_t *o, const uint8_t *eth, size_t len, int dlt, const uint8_t *gw)
{
	bool from_cpu = !memcmp(eth + 6, gw, 6);
	unsigned port = from_cpu ? port_of(eth) : port_of(eth + 6);
	uint8_t tag[8] = {0};
	size_t tl = 4;

	if (dlt == DLT_DSA_TAG_BRCM || dlt == DLT_DSA_TAG_BRCM_PREPEND) {
		if (from_cpu) { /* opcode 1, a bitmap of destination ports */
			tag[0] = 0x20;
			be16(tag + 2, (uint16_t)((eth[0] & 1) ? 0x1e : 1u << port));
		} else { /* opcode 0, the source port */
			tag[3] = (uint8_t)port;
		}
		if (dlt == DLT_DSA_TAG_BRCM_PREPEND) {
			memcpy(o, tag, 4);
			memcpy(o + 4, eth, len);
			return len + 4;
		}
	} else {
		uint8_t *d = tag;
		if (dlt == DLT_DSA_TAG_EDSA) {
			be16(tag, 0xdada);
			d += 4;
			tl = 8;
		}
		d[0] = from_cpu ? 0x40 : 0xc0; /* FROM_CPU, FORWARD; device 0 */
		d[1] = (uint8_t)(port << 3);
	}
	memcpy(o, eth, 12);
	memcpy(o + 12, tag, tl);
	memcpy(o + 12 + tl, eth + 12, len - 12);
	return len + tl;
}

void gen_link_write(const struct gen_link *l, uint64_t n, uint64_t ts, const uint8_t *eth,
		    size_t len, const uint8_t *gw, gen_out_fn out, void *user)
{
	uint8_t o[GEN_LINK_MAX];
	uint16_t type = (uint16_t)(eth[12] << 8 | eth[13]);
	bool ip = type == 0x0800 || type == 0x86dd;
	bool noise = n % 100 == 99;

	switch (l->dlt) {
	case DLT_IEEE802_11:
	case DLT_IEEE802_11_RADIO:
	case DLT_PPI: {
		struct radio r = {l, ts, out, user, 0x10};
		size_t fl = wifi_data(o, eth, len, (uint16_t)n, gw);
		radio_out(o, fl, &r);
		if (noise) {
			if (l->dlt == DLT_IEEE802_11_RADIO) { /* the same frame, heard corrupted */
				r.fcs_flags = 0x50;
				o[fl - 1] ^= 0x5a;
				radio_out(o, fl, &r);
				r.fcs_flags = 0x10;
			}
			wifi_noise(eth, (uint16_t)n, radio_out, &r);
		}
		return;
	}
	case DLT_NFLOG:
		if (ip || type == 0x0806)
			out(ts, o, nflog(o, eth, len, gw), user);
		return;
	case DLT_PPP:
	case DLT_PPP_ETHER:
		if (ip)
			out(ts, o, ppp(o, eth, len, n, l->dlt == DLT_PPP_ETHER), user);
		if (noise) { /* LCP echo request: code 9, id, length 8, magic */
			static const uint8_t lcp[] = {0xc0, 0x21, 9, 1, 0, 8, 0x12, 0x34, 0x56, 0x78};
			size_t k = 0;
			if (l->dlt == DLT_PPP_ETHER) {
				memcpy(o, "\x11\x00\x2a\x17\x00\x0a", 6);
				k = 6;
			}
			memcpy(o + k, lcp, sizeof(lcp));
			out(ts, o, k + sizeof(lcp), user);
		}
		return;
	case DLT_DSA_TAG_BRCM:
	case DLT_DSA_TAG_BRCM_PREPEND:
	case DLT_DSA_TAG_DSA:
	case DLT_DSA_TAG_EDSA:
		out(ts, o, tagged(o, eth, len, l->dlt, gw), user);
		return;
	default:
		out(ts, eth, len, user);
	}
}

const struct gen_link *gen_link_find(const char *name)
{
	for (const struct gen_link *l = gen_links; l->name; l++)
		if (!strcmp(l->name, name))
			return l;
	return NULL;
}

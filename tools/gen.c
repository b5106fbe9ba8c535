/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mudguard-gen: a deterministic, seeded generator of realistic IoT captures.
 *
 *   mudguard-gen [-s SEED] [-l LINK] SCENARIO OUT.pcap
 *   mudguard-gen [-s SEED] --all DIR            writes the tests/pcaps set
 *   mudguard-gen [-s SEED] bench OUT.pcap [DEVICES [FLOWS]]
 *   mudguard-gen [-s SEED] bench-mud OUT.pcap [DEVICES [FLOWS]]
 *   mudguard-gen [-s SEED] soak DIR [DAYS]      days of life, and attacks in it
 *
 * A home/office LAN 192.168.1.0/24 behind a gateway (192.168.1.1, also the DHCP
 * and DNS server). Remote servers live in 198.18.0.0/15 (RFC 2544 benchmarking
 * space), so no capture names a real host. Devices boot with DHCP (options 12,
 * 55, 60, 61, and 161 where the kind has a MUD URL), announce themselves with
 * ARP, mDNS and SSDP, then talk to their clouds: DNS, TLS with SNI, HTTP with a
 * User-Agent, MQTT and NTP. Attack scenarios add a Mirai-like telnet scan, a SYN
 * flood, a UDP flood, a lateral port scan and a new command-and-control domain.
 * -l writes the scenario as another link type would have captured it (802.11
 * under radiotap or PPI, nflog, PPP, switch tags: see genlink.c).
 * Same seed, same bytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../capture/source.h"
#include "genlink.h"
#include "splitmix.h"

/* ---- deterministic randomness (splitmix64) ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	return mg_splitmix64(&rng_state);
}

static uint32_t rnd_range(uint32_t lo, uint32_t hi) /* inclusive */
{
	return lo + (uint32_t)(rnd() % ((uint64_t)hi - lo + 1));
}

/* ---- packet store: frames are collected, ordered by time, then written ---- */

struct frame {
	uint64_t ts, seq;
	uint32_t len, off;
};

static struct {
	struct frame *f;
	size_t n, cap;
	uint8_t *data;
	size_t used, data_cap;
	uint64_t seq;
} store;

static void die(const char *msg)
{
	fprintf(stderr, "mudguard-gen: %s\n", msg);
	exit(1);
}

static void emit(uint64_t ts, const uint8_t *b, uint32_t len)
{
	if (store.n == store.cap) {
		store.cap = store.cap ? store.cap * 2 : 4096;
		store.f = realloc(store.f, store.cap * sizeof(*store.f));
		if (!store.f)
			die("out of memory");
	}
	if (store.used + len > store.data_cap) {
		store.data_cap = store.data_cap ? store.data_cap * 2 : 1 << 20;
		while (store.data_cap < store.used + len)
			store.data_cap *= 2;
		store.data = realloc(store.data, store.data_cap);
		if (!store.data)
			die("out of memory");
	}
	memcpy(store.data + store.used, b, len);
	store.f[store.n++] = (struct frame){ts, store.seq++, len, (uint32_t)store.used};
	store.used += len;
}

static int cmp_frame(const void *a, const void *b)
{
	const struct frame *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static const struct gen_link *out_link = gen_links; /* -l; Ethernet */
static const uint8_t gw_mac[6] = {0x50, 0xc7, 0xbf, 0x00, 0x00, 0x01};

static size_t dumped;

static void dump_frame(uint64_t ts, const uint8_t *frame, size_t len, void *user)
{
	mg_dumper_write(user, ts, frame, (uint32_t)len);
	dumped++;
}

static int write_store(const char *path)
{
	struct mg_dumper *d;
	char err[512];

	qsort(store.f, store.n, sizeof(*store.f), cmp_frame);
	if (mg_dumper_open(&d, path, out_link->dlt, err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguard-gen: %s\n", err);
		return -1;
	}
	dumped = 0;
	for (size_t i = 0; i < store.n; i++)
		gen_link_write(out_link, i, store.f[i].ts, store.data + store.f[i].off,
			       store.f[i].len, gw_mac, dump_frame, d);
	int rc = mg_dumper_close(d);
	fprintf(stderr, "mudguard-gen: %s: %zu packets\n", path, dumped);
	store.n = store.used = 0;
	store.seq = 0;
	return rc;
}

/* ---- frame builders ---- */

typedef uint8_t mac_t[6];

struct host {
	mac_t mac;
	uint32_t ip; /* host order */
};

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p = put16(p, (uint16_t)(v >> 16));
	return put16(p, (uint16_t)v);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static const mac_t BCAST = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const mac_t ZERO_MAC = {0};

static uint8_t *eth(uint8_t *p, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	return put16(p + 12, type);
}

static void multicast_mac(uint32_t ip, mac_t out)
{
	out[0] = 0x01;
	out[1] = 0x00;
	out[2] = 0x5e;
	out[3] = (uint8_t)((ip >> 16) & 0x7f);
	out[4] = (uint8_t)(ip >> 8);
	out[5] = (uint8_t)ip;
}

static uint16_t ip_id_counter;

/* Builds Ethernet + IPv4 + L4 header + payload and emits it. */
static void ip4(uint64_t ts, const uint8_t *smac, const uint8_t *dmac, uint32_t sip,
		uint32_t dip, uint8_t proto, uint8_t ttl, const uint8_t *l4, uint32_t l4len)
{
	uint8_t b[2048], *p = eth(b, dmac, smac, 0x0800), *ip = p;
	uint32_t total = 20 + l4len;

	if (total + 14 > sizeof(b))
		die("frame too large");
	*p++ = 0x45;
	*p++ = 0;
	p = put16(p, (uint16_t)total);
	p = put16(p, ++ip_id_counter);
	p = put16(p, 0x4000); /* DF */
	*p++ = ttl;
	*p++ = proto;
	p = put16(p, 0);
	p = put32(p, sip);
	p = put32(p, dip);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	memcpy(p, l4, l4len);
	/* TCP/UDP checksum over the pseudo header */
	if (proto == MG_PROTO_TCP || proto == MG_PROTO_UDP) {
		uint8_t ph[12];
		put32(ph, sip);
		put32(ph + 4, dip);
		ph[8] = 0;
		ph[9] = proto;
		put16(ph + 10, (uint16_t)l4len);
		uint8_t *ck = p + (proto == MG_PROTO_TCP ? 16 : 6);
		ck[0] = ck[1] = 0;
		uint16_t c = csum_fold(csum_add(csum_add(0, ph, 12), p, l4len));
		put16(ck, proto == MG_PROTO_UDP && c == 0 ? 0xffff : c);
	} else if (proto == MG_PROTO_ICMP) {
		p[2] = p[3] = 0;
		put16(p + 2, csum_fold(csum_add(0, p, l4len)));
	}
	emit(ts, b, 14 + total);
}

static void udp(uint64_t ts, const uint8_t *smac, const uint8_t *dmac, uint32_t sip,
		uint32_t dip, uint16_t sport, uint16_t dport, const uint8_t *pl, uint32_t len)
{
	uint8_t b[1600];
	put16(b, sport);
	put16(b + 2, dport);
	put16(b + 4, (uint16_t)(8 + len));
	put16(b + 6, 0);
	memcpy(b + 8, pl, len);
	ip4(ts, smac, dmac, sip, dip, 17, 64, b, 8 + len);
}

static void tcp(uint64_t ts, const uint8_t *smac, const uint8_t *dmac, uint32_t sip,
		uint32_t dip, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		uint8_t flags, const uint8_t *pl, uint32_t len, uint8_t ttl)
{
	uint8_t b[1600];
	bool syn = flags & 0x02;
	uint32_t hl = syn ? 24 : 20; /* SYNs carry an MSS option */
	put16(b, sport);
	put16(b + 2, dport);
	put32(b + 4, seq);
	put32(b + 8, ack);
	b[12] = (uint8_t)((hl / 4) << 4);
	b[13] = flags;
	put16(b + 14, syn ? 29200 : 502);
	put16(b + 16, 0);
	put16(b + 18, 0);
	if (syn) {
		b[20] = 2;
		b[21] = 4;
		put16(b + 22, 1460);
	}
	if (len)
		memcpy(b + hl, pl, len);
	ip4(ts, smac, dmac, sip, dip, 6, ttl, b, hl + len);
}

/* ---- the network ---- */

#define LAN(x) (0xc0a80100u | (x)) /* 192.168.1.x */
#define REMOTE(x) (0xc6120000u | ((x) & 0x1ffff)) /* 198.18.0.0/15 */

static bool every_kind_mud; /* bench-mud: every device announces a MUD URL */

static struct host gw = {{0x50, 0xc7, 0xbf, 0x00, 0x00, 0x01}, LAN(1)}; /* gw_mac */

enum kind { CAMERA, PLUG, BULB, SPEAKER, HUB, THERMOSTAT, TV, PRINTER, PHONE, LAPTOP, KIND__N };

struct kinddef {
	const char *name;
	uint8_t oui[3];
	const char *hostname, *vendor_class, *mud_url;
	const char *cloud;  /* TLS SNI / DNS name */
	const char *ua;     /* HTTP User-Agent, NULL = no HTTP */
	const char *mdns;   /* DNS-SD service type, NULL = none */
	const char *ssdp;   /* SSDP SERVER header, NULL = none */
	bool mqtt;
	uint8_t prl[12];    /* DHCP option 55 */
	uint8_t prl_len;
};

static const struct kinddef kinds[KIND__N] = {
	[CAMERA] = {"camera", {0x44, 0x19, 0xb6}, "ipcam-front", "hikvision-ipc 5.5",
		    "https://mud.example.com/hikvision/ds-2cd.json", "api.hik-connect.example",
		    "Hikvision-Webs/5.5.0", NULL, "Linux/3.10 UPnP/1.0 Hikvision/5.5.0", false,
		    {1, 3, 6, 15, 28, 42}, 6},
	[PLUG] = {"plug", {0x50, 0xc7, 0xbf}, "HS110", "tplink-hs110 1.5.4",
		  "https://mud.example.com/tplink/hs110.json", "devs.tplinkcloud.example", NULL,
		  NULL, NULL, false, {1, 3, 6, 12, 15, 28}, 6},
	[BULB] = {"bulb", {0x00, 0x17, 0x88}, "Philips-hue", "hue-bridge 1.50",
		  NULL, "ws.meethue.example", "hue/1.50 (Philips)", "_hue._tcp",
		  "Linux/3.14 UPnP/1.0 IpBridge/1.50.0", true, {1, 3, 6, 15, 28, 42, 119}, 7},
	[SPEAKER] = {"speaker", {0x00, 0x0e, 0x58}, "Sonos-Kitchen", "sonos 14.2",
		     NULL, "api.sonos.example", "Linux UPnP/1.0 Sonos/57.3-77280", "_sonos._tcp",
		     "Linux UPnP/1.0 Sonos/57.3-77280 (ZPS9)", false, {1, 3, 6, 12, 15, 28, 42}, 7},
	[HUB] = {"hub", {0xd0, 0x52, 0xa8}, "SmartThings", "st-hub 0.35",
		 "https://mud.example.com/smartthings/hub-v3.json", "dc.connect.smartthings.example",
		 NULL, "_smartthings._tcp", NULL, true, {1, 3, 6, 15, 28, 42}, 6},
	[THERMOSTAT] = {"thermostat", {0x18, 0xb4, 0x30}, "Nest-Hallway", "nest 6.2",
			NULL, "frontdoor.nest.example", NULL, NULL, NULL, false,
			{1, 3, 6, 15, 28, 42, 26}, 7},
	[TV] = {"tv", {0xb0, 0xa7, 0x37}, "Roku-Living", "roku 11.5",
		NULL, "api.roku.example", "Roku/DVP-11.5 (11.5.0.4312)", "_googlecast._tcp",
		"Roku/11.5 UPnP/1.0 Roku/11.5", false, {1, 3, 6, 15, 28, 42, 51, 58, 59}, 9},
	[PRINTER] = {"printer", {0x3c, 0x2a, 0xf4}, "BRN-HL2350", "brother-hl 1.14",
		     NULL, "bcs.brother.example", NULL, "_ipp._tcp", NULL, false,
		     {1, 3, 6, 12, 15, 44, 46, 47}, 8},
	[PHONE] = {"phone", {0x02, 0x6a, 0x11}, "Pixel-7", "android-dhcp-13",
		   NULL, "www.google.example", "Mozilla/5.0 (Linux; Android 13; Pixel 7)", NULL,
		   NULL, false, {1, 3, 6, 15, 26, 28, 51, 58, 59, 43}, 10},
	[LAPTOP] = {"laptop", {0x8c, 0x8d, 0x28}, "DESKTOP-7Q2L", "MSFT 5.0",
		    NULL, "www.bing.example", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", NULL,
		    NULL, false, {1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121}, 12},
};

struct dev {
	enum kind kind;
	const struct kinddef *def; /* set: a device of its own kind (the identify scenario) */
	struct host h;
	uint32_t cloud_ip, mqtt_ip;
	uint16_t next_port;
	uint32_t xid;
	const char *cloud; /* name it resolves (may rotate) */
};

static const struct kinddef *kind_of(const struct dev *d)
{
	return d->def ? d->def : &kinds[d->kind];
}

static uint16_t eph(struct dev *d)
{
	if (d->next_port < 40000 || d->next_port > 60000)
		d->next_port = (uint16_t)rnd_range(40000, 50000);
	return d->next_port++;
}

/* ---- application payloads ---- */

static uint32_t put_name(uint8_t *p, const char *name)
{
	uint32_t n = 0;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		p[n++] = (uint8_t)l;
		memcpy(p + n, name, l);
		n += (uint32_t)l;
		name += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

/* The 12-byte DNS header: id, flags, then question and answer counts. */
static uint8_t *dns_header(uint8_t *p, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an)
{
	p = put16(p, id);
	p = put16(p, flags);
	p = put16(p, qd);
	p = put16(p, an);
	p = put16(p, 0);
	return put16(p, 0);
}

static void dns_exchange(uint64_t ts, struct dev *d, const char *name, uint32_t answer,
			 bool nxdomain)
{
	uint8_t q[512], *p = q;
	uint16_t id = (uint16_t)rnd(), sport = eph(d);
	p = dns_header(p, id, 0x0100, 1, 0);
	p += put_name(p, name);
	p = put16(p, 1);
	p = put16(p, 1);
	uint32_t qlen = (uint32_t)(p - q);
	udp(ts, d->h.mac, gw.mac, d->h.ip, gw.ip, sport, 53, q, qlen);
	/* response: same question, flags, one A answer with a compressed name */
	put16(q + 2, nxdomain ? 0x8183 : 0x8180);
	put16(q + 6, nxdomain ? 0 : 1);
	if (!nxdomain) {
		p = put16(p, 0xc00c);
		p = put16(p, 1);
		p = put16(p, 1);
		p = put32(p, 300);
		p = put16(p, 4);
		p = put32(p, answer);
	}
	udp(ts + rnd_range(800, 25000), gw.mac, d->h.mac, gw.ip, d->h.ip, 53, sport, q,
	    (uint32_t)(p - q));
}

/* A TCP session: handshake, request, response of @resp_len bytes, FIN. */
static void tcp_session(uint64_t ts, struct dev *d, uint32_t sip_remote, uint16_t dport,
			const uint8_t *req, uint32_t req_len, const uint8_t *resp,
			uint32_t resp_len, int extra_exchanges)
{
	uint16_t sp = eph(d);
	uint32_t cs = (uint32_t)rnd(), ss = (uint32_t)rnd();
	uint64_t rtt = rnd_range(5000, 60000);
	const uint8_t *cm = d->h.mac, *sm = gw.mac;
	uint32_t ci = d->h.ip;

	tcp(ts, cm, sm, ci, sip_remote, sp, dport, cs, 0, 0x02, NULL, 0, 64);
	tcp(ts += rtt, sm, cm, sip_remote, ci, dport, sp, ss, cs + 1, 0x12, NULL, 0, 52);
	tcp(ts += 200, cm, sm, ci, sip_remote, sp, dport, cs + 1, ss + 1, 0x10, NULL, 0, 64);
	tcp(ts += 300, cm, sm, ci, sip_remote, sp, dport, cs + 1, ss + 1, 0x18, req, req_len, 64);
	cs += 1 + req_len;
	ss += 1;
	tcp(ts += rtt, sm, cm, sip_remote, ci, dport, sp, ss, cs, 0x18, resp, resp_len, 52);
	ss += resp_len;
	for (int i = 0; i < extra_exchanges; i++) {
		uint8_t blob[200];
		uint32_t bl = rnd_range(40, sizeof(blob));
		for (uint32_t k = 0; k < bl; k++)
			blob[k] = (uint8_t)rnd();
		tcp(ts += rnd_range(20000, 2000000), cm, sm, ci, sip_remote, sp, dport, cs, ss,
		    0x18, blob, bl, 64);
		cs += bl;
		tcp(ts += rtt, sm, cm, sip_remote, ci, dport, sp, ss, cs, 0x10, NULL, 0, 52);
	}
	tcp(ts += 1000, cm, sm, ci, sip_remote, sp, dport, cs, ss, 0x11, NULL, 0, 64);
	tcp(ts += rtt, sm, cm, sip_remote, ci, dport, sp, ss, cs + 1, 0x11, NULL, 0, 52);
	tcp(ts += 200, cm, sm, ci, sip_remote, sp, dport, cs + 1, ss + 1, 0x10, NULL, 0, 64);
}

static uint32_t client_hello(uint8_t *b, const char *sni)
{
	static const uint16_t suites[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
					  0xc02c, 0xc030, 0xcca9, 0xcca8, 0x009c};
	uint8_t *p = b + 9; /* record(5) + handshake header(4) */
	size_t sl = strlen(sni);

	p = put16(p, 0x0303);
	for (int i = 0; i < 32; i++)
		*p++ = (uint8_t)rnd();
	*p++ = 0; /* session id */
	p = put16(p, (uint16_t)(sizeof(suites)));
	for (size_t i = 0; i < sizeof(suites) / 2; i++)
		p = put16(p, suites[i]);
	*p++ = 1;
	*p++ = 0;
	uint8_t *ext_len = p;
	p += 2;
	/* server_name */
	p = put16(p, 0);
	p = put16(p, (uint16_t)(sl + 5));
	p = put16(p, (uint16_t)(sl + 3));
	*p++ = 0;
	p = put16(p, (uint16_t)sl);
	memcpy(p, sni, sl);
	p += sl;
	/* supported_groups, ec_point_formats, signature_algorithms, versions */
	static const uint8_t more[] = {0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17,
				       0x00, 0x18, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, 0x00, 0x0d,
				       0x00, 0x08, 0x00, 0x06, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01,
				       0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03};
	memcpy(p, more, sizeof(more));
	p += sizeof(more);
	put16(ext_len, (uint16_t)(p - ext_len - 2));
	uint32_t hs = (uint32_t)(p - b - 9);
	b[0] = 0x16;
	put16(b + 1, 0x0301);
	put16(b + 3, (uint16_t)(hs + 4));
	b[5] = 1;
	b[6] = (uint8_t)(hs >> 16);
	put16(b + 7, (uint16_t)hs);
	return (uint32_t)(p - b);
}

static uint32_t server_hello(uint8_t *b)
{
	uint8_t *p = b;
	*p++ = 0x16;
	p = put16(p, 0x0303);
	p = put16(p, 42 + 4 + 6);
	*p++ = 2;
	*p++ = 0;
	p = put16(p, 42 + 6);
	p = put16(p, 0x0303);
	for (int i = 0; i < 32; i++)
		*p++ = (uint8_t)rnd();
	*p++ = 0;
	p = put16(p, 0x1301);
	*p++ = 0;
	p = put16(p, 6);
	p = put16(p, 0x002b);
	p = put16(p, 2);
	p = put16(p, 0x0304);
	/* and some application data */
	*p++ = 0x17;
	p = put16(p, 0x0303);
	uint16_t n = (uint16_t)rnd_range(100, 900);
	p = put16(p, n);
	for (uint16_t i = 0; i < n; i++)
		*p++ = (uint8_t)rnd();
	return (uint32_t)(p - b);
}

static void tls_session(uint64_t ts, struct dev *d, uint32_t ip, const char *sni, int extra)
{
	uint8_t ch[512], sh[1200];
	uint32_t chl = client_hello(ch, sni), shl = server_hello(sh);
	tcp_session(ts, d, ip, 443, ch, chl, sh, shl, extra);
}

static void http_session(uint64_t ts, struct dev *d, uint32_t ip, const char *host,
			 const char *ua)
{
	char req[512], resp[256];
	int rl = snprintf(req, sizeof(req),
			  "GET /api/v1/status?id=%08x HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
			  "Accept: */*\r\nConnection: close\r\n\r\n",
			  (unsigned)rnd(), host, ua);
	int sl = snprintf(resp, sizeof(resp),
			  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			  "Content-Length: 16\r\n\r\n{\"status\":\"ok\"}\n");
	tcp_session(ts, d, ip, 80, (uint8_t *)req, (uint32_t)rl, (uint8_t *)resp, (uint32_t)sl, 0);
}

static void mqtt_session(uint64_t ts, struct dev *d, uint32_t ip, int publishes)
{
	uint8_t c[64] = {0x10, 0}, *p = c + 2;
	p = put16(p, 4);
	memcpy(p, "MQTT", 4);
	p += 4;
	*p++ = 4;
	*p++ = 0x02;
	p = put16(p, 60);
	char id[16];
	snprintf(id, sizeof(id), "dev%06x", (unsigned)(d->h.ip & 0xffffff));
	p = put16(p, (uint16_t)strlen(id));
	memcpy(p, id, strlen(id));
	p += strlen(id);
	c[1] = (uint8_t)(p - c - 2);
	static const uint8_t connack[] = {0x20, 0x02, 0x00, 0x00};
	tcp_session(ts, d, ip, 1883, c, (uint32_t)(p - c), connack, 4, publishes);
}

static void ntp_exchange(uint64_t ts, struct dev *d, uint32_t server)
{
	uint8_t n[48] = {0x23};
	uint16_t sp = 123;
	for (int i = 40; i < 48; i++)
		n[i] = (uint8_t)rnd();
	udp(ts, d->h.mac, gw.mac, d->h.ip, server, sp, 123, n, 48);
	n[0] = 0x24;
	n[1] = 2;
	udp(ts + rnd_range(10000, 40000), gw.mac, d->h.mac, server, d->h.ip, 123, sp, n, 48);
}

/* A DNS-SD PTR record @owner -> @target (class IN, TTL 4500 s) at @p. */
static uint8_t *put_ptr(uint8_t *p, const char *owner, const char *target)
{
	p += put_name(p, owner);
	p = put16(p, 12);
	p = put16(p, 1);
	p = put32(p, 4500);
	uint8_t *rl = p;
	p += 2;
	uint16_t n = (uint16_t)put_name(p, target);
	put16(rl, n);
	return p + n;
}

static void mdns_announce(uint64_t ts, struct dev *d)
{
	const struct kinddef *k = kind_of(d);
	uint8_t b[512], *p = b;
	char inst[128], svc[96], host[96];
	mac_t mm;

	if (!k->mdns)
		return;
	snprintf(svc, sizeof(svc), "%s.local", k->mdns);
	snprintf(inst, sizeof(inst), "%s.%s.local", k->hostname, k->mdns);
	snprintf(host, sizeof(host), "%s.local", k->hostname);
	p = dns_header(p, 0, 0x8400, 0, 3); /* an authoritative response, 3 answers */
	p = put_ptr(p, svc, inst);
	p += put_name(p, inst); /* TXT with the model */
	p = put16(p, 16);
	p = put16(p, 0x8001);
	p = put32(p, 4500);
	char txt[64];
	int tl = snprintf(txt, sizeof(txt), "md=%s", k->hostname);
	p = put16(p, (uint16_t)(tl + 1));
	*p++ = (uint8_t)tl;
	memcpy(p, txt, (size_t)tl);
	p += tl;
	p += put_name(p, host); /* A */
	p = put16(p, 1);
	p = put16(p, 0x8001);
	p = put32(p, 120);
	p = put16(p, 4);
	p = put32(p, d->h.ip);
	multicast_mac(0xe00000fb, mm);
	udp(ts, d->h.mac, mm, d->h.ip, 0xe00000fb, 5353, 5353, b, (uint32_t)(p - b));
}

static void ssdp_notify(uint64_t ts, struct dev *d)
{
	const struct kinddef *k = kind_of(d);
	char b[600], ip[20];
	mac_t mm;

	if (!k->ssdp)
		return;
	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", d->h.ip >> 24, (d->h.ip >> 16) & 255,
		 (d->h.ip >> 8) & 255, d->h.ip & 255);
	int n = snprintf(b, sizeof(b),
			 "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
			 "CACHE-CONTROL: max-age=1800\r\nLOCATION: http://%s:80/description.xml\r\n"
			 "NT: upnp:rootdevice\r\nNTS: ssdp:alive\r\nSERVER: %s\r\n"
			 "USN: uuid:2f402f80-da50-11e1-9b23-%02x%02x%02x%02x%02x%02x::upnp:rootdevice\r\n\r\n",
			 ip, k->ssdp, d->h.mac[0], d->h.mac[1], d->h.mac[2], d->h.mac[3],
			 d->h.mac[4], d->h.mac[5]);
	multicast_mac(0xeffffffa, mm);
	udp(ts, d->h.mac, mm, d->h.ip, 0xeffffffa, 1900, 1900, (uint8_t *)b, (uint32_t)n);
}

static void arp(uint64_t ts, const uint8_t *smac, const uint8_t *dmac, uint16_t op,
		uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
	uint8_t b[60] = {0}, *p = eth(b, dmac, smac, 0x0806);
	p = put16(p, 1);
	p = put16(p, 0x0800);
	*p++ = 6;
	*p++ = 4;
	p = put16(p, op);
	memcpy(p, smac, 6);
	p = put32(p + 6, spa);
	memcpy(p, tha, 6);
	put32(p + 6, tpa);
	emit(ts, b, 60);
}

/* DHCP client message (op 1) or server reply (op 2). */
static void dhcp_msg(uint64_t ts, struct dev *d, uint8_t type)
{
	const struct kinddef *k = kind_of(d);
	uint8_t b[548] = {0}, *p;
	bool reply = type == 2 || type == 5;

	b[0] = reply ? 2 : 1;
	b[1] = 1;
	b[2] = 6;
	put32(b + 4, d->xid);
	if (reply)
		put32(b + 16, d->h.ip);
	memcpy(b + 28, d->h.mac, 6);
	p = put32(b + 236, 0x63825363);
	*p++ = 53;
	*p++ = 1;
	*p++ = type;
	if (reply) {
		*p++ = 54;
		*p++ = 4;
		p = put32(p, gw.ip);
		*p++ = 51;
		*p++ = 4;
		p = put32(p, 86400);
		*p++ = 1;
		*p++ = 4;
		p = put32(p, 0xffffff00);
		*p++ = 3;
		*p++ = 4;
		p = put32(p, gw.ip);
		*p++ = 6;
		*p++ = 4;
		p = put32(p, gw.ip);
	} else {
		*p++ = 61;
		*p++ = 7;
		*p++ = 1;
		memcpy(p, d->h.mac, 6);
		p += 6;
		if (type == 3) {
			*p++ = 50;
			*p++ = 4;
			p = put32(p, d->h.ip);
			*p++ = 54;
			*p++ = 4;
			p = put32(p, gw.ip);
		}
		if (k->hostname) {
			*p++ = 12;
			*p++ = (uint8_t)strlen(k->hostname);
			memcpy(p, k->hostname, strlen(k->hostname));
			p += strlen(k->hostname);
		}
		if (k->vendor_class) {
			*p++ = 60;
			*p++ = (uint8_t)strlen(k->vendor_class);
			memcpy(p, k->vendor_class, strlen(k->vendor_class));
			p += strlen(k->vendor_class);
		}
		*p++ = 55;
		*p++ = k->prl_len;
		memcpy(p, k->prl, k->prl_len);
		p += k->prl_len;
		char url[128];
		if (every_kind_mud)
			snprintf(url, sizeof(url), "https://mud.example.com/bench/%s.json", k->name);
		else
			snprintf(url, sizeof(url), "%s", k->mud_url ? k->mud_url : "");
		if (url[0]) {
			*p++ = 161;
			*p++ = (uint8_t)strlen(url);
			memcpy(p, url, strlen(url));
			p += strlen(url);
		}
	}
	*p++ = 255;
	uint32_t len = (uint32_t)(p - b) < 300 ? 300 : (uint32_t)(p - b);
	if (reply)
		udp(ts, gw.mac, d->h.mac, gw.ip, d->h.ip, 67, 68, b, len);
	else
		udp(ts, d->h.mac, BCAST, 0, 0xffffffff, 68, 67, b, len);
}

static void boot(uint64_t ts, struct dev *d)
{
	d->xid = (uint32_t)rnd();
	dhcp_msg(ts, d, 1);
	dhcp_msg(ts += rnd_range(1000, 5000), d, 2);
	dhcp_msg(ts += rnd_range(1000, 5000), d, 3);
	dhcp_msg(ts += rnd_range(1000, 5000), d, 5);
	arp(ts += 50000, d->h.mac, BCAST, 1, d->h.ip, ZERO_MAC, d->h.ip); /* gratuitous */
	arp(ts += 10000, d->h.mac, BCAST, 1, d->h.ip, ZERO_MAC, gw.ip);
	arp(ts += 900, gw.mac, d->h.mac, 2, gw.ip, d->h.mac, d->h.ip);
	mdns_announce(ts += 200000, d);
	ssdp_notify(ts += 300000, d);
}

/* One round of a device's normal activity starting at @ts. */
static void activity(uint64_t ts, struct dev *d, uint64_t round)
{
	const struct kinddef *k = kind_of(d);

	dns_exchange(ts, d, d->cloud, d->cloud_ip, false);
	ts += 60000;
	tls_session(ts, d, d->cloud_ip, d->cloud, (int)rnd_range(0, 3));
	if (k->ua && round % 2 == 0)
		http_session(ts + rnd_range(1000000, 5000000), d, d->cloud_ip ^ 1, d->cloud, k->ua);
	if (k->mqtt && round % 3 == 0) {
		/* one draw per statement: argument evaluation order is unspecified */
		uint64_t at = ts + rnd_range(500000, 3000000);
		mqtt_session(at, d, d->mqtt_ip, (int)rnd_range(1, 4));
	}
	if (round % 5 == 0)
		ntp_exchange(ts + rnd_range(100000, 900000), d, REMOTE(123));
	if (round % 7 == 3)
		mdns_announce(ts + 2000000, d);
	if (round % 9 == 4)
		ssdp_notify(ts + 3000000, d);
}

static void make_devices(struct dev *devs, int n)
{
	for (int i = 0; i < n; i++) {
		struct dev *d = &devs[i];
		d->kind = (enum kind)(i % KIND__N);
		const struct kinddef *k = kind_of(d);
		memcpy(d->h.mac, k->oui, 3);
		d->h.mac[3] = (uint8_t)(0x10 + i / 256);
		d->h.mac[4] = (uint8_t)i;
		d->h.mac[5] = (uint8_t)rnd();
		/* beyond a /24 the LAN is 10.0.0.0/8 (local all the same) */
		d->h.ip = n > 240 ? 0x0a000000u | (uint32_t)(i + 2) : LAN(10 + i);
		d->cloud = k->cloud;
		d->cloud_ip = REMOTE(0x100 * (d->kind + 1) + rnd_range(1, 200));
		d->mqtt_ip = REMOTE(0x1883);
	}
}

/* ---- scenarios ---- */

#define SEC 1000000ull
#define T0 (1735732800ull * SEC) /* 2025-01-01T12:00:00Z */

static void benign(struct dev *devs, int n, uint64_t start, uint64_t duration,
		   uint64_t period)
{
	for (int i = 0; i < n; i++)
		boot(start + (uint64_t)i * 700000 + rnd_range(0, 500000), &devs[i]);
	for (int i = 0; i < n; i++) {
		uint64_t round = 0;
		for (uint64_t t = start + 5 * SEC + rnd_range(0, (uint32_t)period);
		     t < start + duration; t += period / 2 + rnd_range(0, (uint32_t)period))
			activity(t, &devs[i], round++);
	}
}

static void attack_mirai(struct dev *d, uint64_t ts, int n)
{
	for (int i = 0; i < n; i++) {
		uint32_t target = (uint32_t)rnd();
		if ((target >> 24) == 0 || (target >> 24) >= 224 || (target >> 24) == 127)
			target = REMOTE(target); /* keep to unicast */
		uint16_t port = (i % 10 == 0) ? 2323 : 23;
		/* Mirai's signature: the SYN's sequence number is the target address */
		tcp(ts + (uint64_t)i * 2000, d->h.mac, gw.mac, d->h.ip, target, eph(d), port,
		    target, 0, 0x02, NULL, 0, 64);
	}
}

static void attack_synflood(struct dev *d, uint64_t ts, int n)
{
	uint32_t victim = REMOTE(0x8000 + 80);
	for (int i = 0; i < n; i++) {
		uint16_t sport = (uint16_t)rnd_range(1024, 65535);
		uint32_t seq = (uint32_t)rnd();
		tcp(ts + (uint64_t)i * 500, d->h.mac, gw.mac, d->h.ip, victim, sport, 80, seq, 0,
		    0x02, NULL, 0, 64);
	}
}

static void attack_udpflood(struct dev *d, uint64_t ts, int n)
{
	uint32_t victim = REMOTE(0x9000 + 53);
	uint8_t junk[512];
	for (int i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(junk); k++)
			junk[k] = (uint8_t)rnd();
		uint16_t sport = (uint16_t)rnd_range(1024, 65535);
		uint16_t dport = (uint16_t)rnd_range(1, 65535);
		uint32_t len = rnd_range(64, 512);
		udp(ts + (uint64_t)i * 400, d->h.mac, gw.mac, d->h.ip, victim, sport, dport, junk,
		    len);
	}
}

static void attack_lateral(struct dev *d, struct dev *devs, int ndev, uint64_t ts)
{
	static const uint16_t ports[] = {22, 23, 80, 443, 554, 8080, 8443, 1883};
	uint64_t t = ts;

	/* an ARP sweep of the subnet, then SYNs to every host that answered */
	for (uint32_t host = 2; host < 60; host++) {
		uint32_t target = LAN(host);
		const struct dev *live = NULL;
		for (int i = 0; i < ndev; i++)
			if (devs[i].h.ip == target && &devs[i] != d)
				live = &devs[i];
		arp(t += 2000, d->h.mac, BCAST, 1, d->h.ip, ZERO_MAC, target);
		if (!live)
			continue;
		arp(t + 300, live->h.mac, d->h.mac, 2, target, d->h.mac, d->h.ip);
		for (size_t p = 0; p < sizeof(ports) / sizeof(ports[0]); p++) {
			uint16_t sp = eph(d);
			uint32_t seq = (uint32_t)rnd();
			bool open = ports[p] == 80 && live->kind != PLUG;
			tcp(t += 3000, d->h.mac, live->h.mac, d->h.ip, target, sp, ports[p], seq, 0,
			    0x02, NULL, 0, 64);
			tcp(t + 400, live->h.mac, d->h.mac, target, d->h.ip, ports[p], sp,
			    open ? (uint32_t)rnd() : 0, seq + 1, open ? 0x12 : 0x14, NULL, 0, 64);
		}
	}
}

static void attack_c2(struct dev *d, uint64_t ts)
{
	const char *c2 = "xj4kq9zt7w.top";
	uint32_t ip = REMOTE(0x6667);
	uint8_t nick[] = "NICK bot_7f3a\r\nUSER bot 0 * :bot\r\nJOIN #cmd\r\n";
	uint8_t motd[] = ":irc.xj4kq9zt7w.top 001 bot_7f3a :Welcome\r\n";
	dns_exchange(ts, d, c2, ip, false);
	tcp_session(ts + 80000, d, ip, 6667, nick, sizeof(nick) - 1, motd, sizeof(motd) - 1, 2);
}

/* A reconnect storm: @d tries one TCP connection to @peer again and again
 * from the same source port, 200 times a second, and @peer refuses each with
 * a RST (a broken client, not an attack). */
static void attack_storm(struct dev *d, const struct host *peer, uint64_t ts, int n)
{
	uint16_t sp = eph(d);
	for (int i = 0; i < n; i++) {
		uint64_t t = ts + (uint64_t)i * 5000;
		uint32_t seq = (uint32_t)rnd();
		tcp(t, d->h.mac, peer->mac, d->h.ip, peer->ip, sp, 8883, seq, 0, 0x02, NULL, 0, 64);
		tcp(t + 300, peer->mac, d->h.mac, peer->ip, d->h.ip, 8883, sp, 0, seq + 1, 0x14, NULL, 0,
		    64);
	}
}

/* A UDP resend loop: @d sends the same datagram to @peer's port 5683 (CoAP)
 * from one source port, 200 times a second; @peer answers each with an ICMP
 * port unreachable quoting it. */
static void attack_resend(struct dev *d, const struct host *peer, uint64_t ts, int n)
{
	static const uint8_t msg[] = {0x40, 0x02, 0x1e, 0x61, 0xb4, 'r', 'e', 'g', 0xff, 'o', 'n'};
	uint8_t icmp[8 + 20 + 8] = {3, 3}, *q = icmp + 8;
	uint16_t sp = eph(d);
	q[0] = 0x45;
	put16(q + 2, 20 + 8 + sizeof(msg));
	q[8] = 64;
	q[9] = 17;
	put32(q + 12, d->h.ip);
	put32(q + 16, peer->ip);
	put16(q + 20, sp);
	put16(q + 22, 5683);
	put16(q + 24, 8 + sizeof(msg));
	for (int i = 0; i < n; i++) {
		uint64_t t = ts + (uint64_t)i * 5000;
		udp(t, d->h.mac, peer->mac, d->h.ip, peer->ip, sp, 5683, msg, sizeof(msg));
		ip4(t + 300, peer->mac, d->h.mac, peer->ip, d->h.ip, 1, 64, icmp, sizeof(icmp));
	}
}

/* A public unicast address to spoof. */
static uint32_t spoofed(void)
{
	uint32_t a = (uint32_t)rnd();
	if ((a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 || (a >> 24) == 192 ||
	    (a >> 24) >= 224)
		a = REMOTE(a);
	return a;
}

/* A SYN flood at @victim from the Internet: spoofed sources and source
 * ports, 2000 a second to its port 80, which is closed (it answers RSTs). */
static void attack_synvictim(struct dev *victim, uint64_t ts, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t t = ts + (uint64_t)i * 500;
		uint32_t src = spoofed(), seq = (uint32_t)rnd();
		uint16_t sp = (uint16_t)rnd_range(1024, 65535);
		tcp(t, gw.mac, victim->h.mac, src, victim->h.ip, sp, 80, seq, 0, 0x02, NULL, 0, 50);
		tcp(t + 200, victim->h.mac, gw.mac, victim->h.ip, src, 80, sp, 0, seq + 1, 0x14, NULL,
		    0, 64);
	}
}

/* A reflection flood at @victim: DNS, NTP, SSDP, memcached and chargen
 * answers it never asked for, from 60 reflectors, 2000 a second; it answers
 * some with ICMP port unreachables. */
static void attack_reflection(struct dev *victim, uint64_t ts, int n)
{
	static const uint16_t ports[] = {53, 123, 1900, 11211, 19};
	uint8_t junk[200], icmp[8 + 20 + 8] = {3, 3};
	for (int i = 0; i < n; i++) {
		uint64_t t = ts + (uint64_t)i * 500;
		uint32_t src = REMOTE(0x7000 + (uint32_t)(i % 60) * 7);
		uint16_t sp = ports[i % 5], dp = (uint16_t)rnd_range(1024, 65535);
		uint32_t len = rnd_range(48, sizeof(junk));
		for (uint32_t k = 0; k < len; k++)
			junk[k] = (uint8_t)rnd();
		udp(t, gw.mac, victim->h.mac, src, victim->h.ip, sp, dp, junk, len);
		if (i % 8)
			continue;
		uint8_t *q = icmp + 8;
		q[0] = 0x45;
		put16(q + 2, (uint16_t)(28 + len));
		q[8] = 50;
		q[9] = 17;
		put32(q + 12, src);
		put32(q + 16, victim->h.ip);
		put16(q + 20, sp);
		put16(q + 22, dp);
		put16(q + 24, (uint16_t)(8 + len));
		ip4(t + 200, victim->h.mac, gw.mac, victim->h.ip, src, 1, 64, icmp, sizeof(icmp));
	}
}

/* ---- identification as real homes showed it (issue 15) ---- */

/* A vacuum whose MAC block is its Wi-Fi module maker's (AzureWave), which
 * names itself in DHCP and looks up its maker's NTP zone. */
static const struct kinddef roomba_def = {
	"vacuum", {0xdc, 0xf5, 0x05}, "Roomba-A1B2C3D4E5F60718", NULL, NULL,
	"disc-prod.iot.irobotapi.com", NULL, NULL, NULL, false, {1, 3, 6, 12, 15, 28, 42}, 7};
/* A device that says nothing but its module's default name (Espressif). */
static const struct kinddef esp_def = {
	"module", {0x24, 0x0a, 0xc4}, "ESP_5A3C01", NULL, NULL, NULL, NULL, NULL, NULL, false,
	{1, 3, 28, 6}, 4};
/* A battery sensor on a Tuya module: no DHCP, it wakes, rejoins, reports, sleeps. */
static const struct kinddef sensor_def = {
	"sensor", {0x1c, 0x90, 0xff}, NULL, NULL, NULL, "a1.tuyaeu.com", NULL, NULL, NULL, false,
	{0}, 0};
/* A camera that names nothing (a Realtek module's MAC block) and streams video up. */
static const struct kinddef streamer_def = {
	"camera", {0x00, 0xe0, 0x4c}, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false,
	{1, 3, 6, 12, 15, 28}, 6};

static void ip6_icmp(uint64_t ts, const uint8_t *smac, const uint8_t *dmac, const uint8_t *sip,
		     const uint8_t *dip, const uint8_t *icmp, uint32_t len)
{
	uint8_t b[512], *p = eth(b, dmac, smac, 0x86dd), *ip = p;
	*p++ = 0x60;
	*p++ = 0;
	p = put16(p, 0);
	p = put16(p, (uint16_t)len);
	*p++ = 58;
	*p++ = 255;
	memcpy(p, sip, 16);
	memcpy(p + 16, dip, 16);
	p += 32;
	memcpy(p, icmp, len);
	uint8_t ph[40] = {0};
	memcpy(ph, ip + 8, 32);
	put32(ph + 32, len);
	ph[39] = 58;
	put16(p + 2, csum_fold(csum_add(csum_add(0, ph, 40), p, len)));
	emit(ts, b, 14 + 40 + len);
}

/* A Thread border router's advertisement: a prefix it routes to (a ULA
 * /64), router lifetime 0: not a default router. */
static void stub_router_ra(uint64_t ts, struct dev *d)
{
	uint8_t ll[16] = {0xfe, 0x80}, all[16] = {0xff, 0x02}, b[64] = {134, 0}, *p = b + 4;
	const mac_t mm = {0x33, 0x33, 0, 0, 0, 1};
	memcpy(ll + 8, d->h.mac, 3);
	ll[8] ^= 2;
	ll[11] = 0xff;
	ll[12] = 0xfe;
	memcpy(ll + 13, d->h.mac + 3, 3);
	all[15] = 1;
	*p++ = 64; /* hop limit */
	*p++ = 0;  /* flags */
	p = put16(p, 0); /* router lifetime 0 */
	p = put32(p, 0);
	p = put32(p, 0);
	*p++ = 3; /* prefix information */
	*p++ = 4;
	*p++ = 64;
	*p++ = 0x40; /* autonomous */
	p = put32(p, 1800);
	p = put32(p, 1800);
	p = put32(p, 0);
	static const uint8_t ula[16] = {0xfd, 0xb9, 0x13, 0x6b, 0xcd, 0x34, 0xe8, 0x6f};
	memcpy(p, ula, 16);
	p += 16;
	ip6_icmp(ts, d->h.mac, mm, ll, all, b, (uint32_t)(p - b));
}

/* An mDNS query for @service listing what the querier already knows: a PTR
 * to @instance, another host's (known-answer suppression, RFC 6762 7.1). */
static void mdns_known_answer(uint64_t ts, struct dev *d, const char *service,
			      const char *instance)
{
	uint8_t b[512], *p = b;
	mac_t mm;
	p = dns_header(p, 0, 0, 1, 1);
	p += put_name(p, service);
	p = put16(p, 12);
	p = put16(p, 1);
	p = put_ptr(p, service, instance);
	multicast_mac(0xe00000fb, mm);
	udp(ts, d->h.mac, mm, d->h.ip, 0xe00000fb, 5353, 5353, b, (uint32_t)(p - b));
}

/* Wakes: a gratuitous ARP for its address, a look-up and a report to its
 * cloud, then silence (nothing at all) until the next. */
static void sleepy_wake(uint64_t ts, struct dev *d)
{
	arp(ts, d->h.mac, BCAST, 1, d->h.ip, ZERO_MAC, d->h.ip);
	dns_exchange(ts + 40000, d, d->cloud, d->cloud_ip, false);
	tls_session(ts + 120000, d, d->cloud_ip, d->cloud, 1);
}

/* Video up to a P2P relay: 1200-byte datagrams, an acknowledgement now and then. */
static void stream_up(uint64_t ts, struct dev *d, uint32_t relay, int n)
{
	uint8_t b[1200];
	uint16_t sp = eph(d);
	for (int i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(b); k++)
			b[k] = (uint8_t)rnd();
		udp(ts += 20000, d->h.mac, gw.mac, d->h.ip, relay, sp, 32100, b, sizeof(b));
		if (i % 50 == 0)
			udp(ts + 15000, gw.mac, d->h.mac, relay, d->h.ip, 32100, sp, b, 64);
	}
}

static void identify_devices(struct dev *devs, int n, uint64_t start)
{
	static const struct kinddef *const defs[] = {&roomba_def, &esp_def, &sensor_def,
						     &streamer_def};
	for (int i = 0; i < 4; i++) {
		struct dev *d = &devs[n + i];
		d->def = defs[i];
		memcpy(d->h.mac, defs[i]->oui, 3);
		d->h.mac[3] = 0x20;
		d->h.mac[4] = (uint8_t)i;
		d->h.mac[5] = (uint8_t)rnd();
		d->h.ip = LAN(100 + i);
		d->cloud = defs[i]->cloud;
		d->cloud_ip = REMOTE(0x3000 + 0x100 * i + rnd_range(1, 200));
	}
	struct dev *roomba = &devs[n], *esp = &devs[n + 1], *sensor = &devs[n + 2],
		   *cam = &devs[n + 3], *hub = &devs[HUB];
	boot(start + 10 * SEC, roomba);
	dns_exchange(start + 12 * SEC, roomba, "0.irobot.pool.ntp.org", REMOTE(0x123), false);
	ntp_exchange(start + 12 * SEC + 50000, roomba, REMOTE(0x123));
	dns_exchange(start + 13 * SEC, roomba, roomba->cloud, roomba->cloud_ip, false);
	tls_session(start + 13 * SEC + 60000, roomba, roomba->cloud_ip, roomba->cloud, 2);
	boot(start + 20 * SEC, esp);
	for (int w = 0; w < 4; w++) /* 90 s and more of silence between wakes */
		sleepy_wake(start + 30 * SEC + (uint64_t)w * 95 * SEC, sensor);
	boot(start + 40 * SEC, cam);
	stream_up(start + 60 * SEC, cam, REMOTE(0x3210), 460);
	mdns_known_answer(start + 50 * SEC, hub, "_hue._tcp.local", "Philips-hue._hue._tcp.local");
	stub_router_ra(start + 55 * SEC, hub);
}

struct scenario {
	const char *name, *desc;
	int devices;
	uint64_t duration, period;
	int attack; /* 0 none, 1 mirai, 2 synflood, 3 udpflood, 4 lateral, 5 c2, 6 demo,
		     * 7 storm, 8 resend, 9 synvictim, 10 reflection, 11 identify */
};

static const struct scenario scenarios[] = {
	{"demo", "nine devices of different kinds, ten minutes, one starts a telnet scan",
	 9, 600 * SEC, 60 * SEC, 6},
	{"benign", "nine devices, thirty minutes of normal activity", 9, 1800 * SEC, 90 * SEC, 0},
	{"mirai", "benign traffic, then the camera scans for telnet (Mirai-like SYNs)",
	 9, 600 * SEC, 90 * SEC, 1},
	{"synflood", "benign traffic, then the plug SYN-floods a remote host", 9, 600 * SEC,
	 90 * SEC, 2},
	{"udpflood", "benign traffic, then the bulb UDP-floods a remote host", 9, 600 * SEC,
	 90 * SEC, 3},
	{"lateral", "benign traffic, then the TV port-scans the local network", 9, 600 * SEC,
	 90 * SEC, 4},
	{"c2", "benign traffic, then the hub resolves a new domain and joins an IRC C2", 9,
	 600 * SEC, 90 * SEC, 5},
	{"storm", "benign traffic, then the camera retries one connection to the hub, refused",
	 9, 120 * SEC, 90 * SEC, 7},
	{"resend", "benign traffic, then the plug resends one UDP datagram to the hub, refused",
	 9, 120 * SEC, 90 * SEC, 8},
	{"synvictim", "benign traffic, then a spoofed SYN flood from the Internet at the camera",
	 9, 120 * SEC, 90 * SEC, 9},
	{"reflection", "benign traffic, then a UDP reflection flood at the TV", 9, 120 * SEC,
	 90 * SEC, 10},
	{"identify", "nine devices and four as real homes showed them: a vacuum on a Wi-Fi "
		     "module's OUI, a module's default name, a sleeping battery sensor, a camera "
		     "streaming up; the hub lists known answers and announces a Thread prefix",
	 9, 300 * SEC, 90 * SEC, 11},
	{"links", "nine devices, two minutes of normal activity; --all also writes it as every "
		  "other link type (links-LINK.pcap)",
	 9, 120 * SEC, 60 * SEC, 0},
};

static int run_scenario(const struct scenario *s, const char *out, uint64_t seed)
{
	struct dev devs[16] = {0};

	rng_state = seed;
	ip_id_counter = 0;
	make_devices(devs, s->devices);
	benign(devs, s->devices, T0, s->duration, s->period);
	uint64_t at = T0 + s->duration / 2;
	switch (s->attack) {
	case 1:
		attack_mirai(&devs[CAMERA], at, 600);
		break;
	case 2:
		attack_synflood(&devs[PLUG], at, 3000);
		break;
	case 3:
		attack_udpflood(&devs[BULB], at, 2000);
		break;
	case 4:
		attack_lateral(&devs[TV], devs, s->devices, at);
		break;
	case 5:
		attack_c2(&devs[HUB], at);
		break;
	case 6:
		attack_mirai(&devs[CAMERA], at, 200);
		break;
	case 7:
		attack_storm(&devs[CAMERA], &devs[HUB].h, at, 600);
		break;
	case 8:
		attack_resend(&devs[PLUG], &devs[HUB].h, at, 600);
		break;
	case 9:
		attack_synvictim(&devs[CAMERA], at, 1000);
		break;
	case 10:
		attack_reflection(&devs[TV], at, 1000);
		break;
	case 11:
		identify_devices(devs, s->devices, T0);
		break;
	}
	return write_store(out);
}

/* The benchmark capture: many devices, many short flows, spread over hours so
 * that idle timeouts keep the live flow set realistic. */
static int run_bench(const char *out, uint64_t seed, int ndev, uint64_t flows)
{
	struct dev *devs = calloc((size_t)ndev, sizeof(*devs));
	uint64_t per_dev = flows / (uint64_t)ndev + 1;

	if (!devs || ndev < 1 || ndev > 65000)
		die("bench: 1 to 65000 devices");
	rng_state = seed;
	make_devices(devs, ndev);
	/* each activity round makes about 2.6 flows of ~10 packets */
	uint64_t rounds = per_dev * 10 / 26 + 1;
	uint64_t duration = 4 * 3600 * SEC, period = duration / rounds;
	for (int i = 0; i < ndev; i++) {
		boot(T0 + (uint64_t)i * 100000, &devs[i]);
		uint64_t t = T0 + 5 * SEC + rnd_range(0, (uint32_t)(period / 1000)) * 1000ull;
		for (uint64_t r = 0; r < rounds; r++, t += period / 2 + rnd() % period)
			activity(t, &devs[i], r);
	}
	free(devs);
	return write_store(out);
}

/* ---- soak: days of ordinary life, and attacks mixed into it ----
 *
 * Eleven devices (the nine kinds, a laptop, and a second camera that joins on
 * the second day) over DAYS days from a Monday: IoT devices are slower at
 * night, the phone and laptop sleep at night and browse by day from pools of
 * sites, each IoT device fetches a firmware update from its vendor once a day,
 * and every cloud name moves to another address every six hours (CDN
 * rotation). Day 1 is the training capture; the rest is the test capture.
 * Each attack is a 20-minute slice of day 2 with one device attacking 10
 * minutes in; attacks.tsv lists scenario, device MAC and start time. */

#define DAY (86400 * SEC)
#define SOAK_T0 (1736121600ull * SEC) /* 2025-01-06T00:00:00Z, a Monday */
#define SOAK_DEVICES 11
#define SOAK_JOIN (SOAK_T0 + DAY + 9 * 3600 * SEC) /* the second camera */

static bool person(const struct dev *d)
{
	return d->kind == PHONE || d->kind == LAPTOP;
}

/* The activity period at @t: 0 while the owner sleeps. */
static uint64_t period_at(const struct dev *d, uint64_t t, uint64_t base)
{
	unsigned hour = (unsigned)(t / SEC / 3600 % 24);
	if (person(d))
		return hour < 7 ? 0 : hour < 18 ? base * 2 : base / 2;
	return hour < 6 ? base * 3 : hour >= 18 ? base * 7 / 10 : base;
}

/* A visit to one site of the device's pool: resolve it, then TLS. */
static void browse(uint64_t ts, struct dev *d, uint64_t day)
{
	char name[64];
	unsigned pool = d->kind == LAPTOP ? 300 : 40, site = rnd_range(0, pool - 1);
	snprintf(name, sizeof(name), d->kind == LAPTOP ? "www.site%03u.example" : "m.app%02u.example",
		 site);
	uint32_t ip = REMOTE(0x4000 + site * 7 + (uint32_t)day * 3 + (d->kind == LAPTOP) * 0x1000);
	dns_exchange(ts, d, name, ip, false);
	tls_session(ts + 40000, d, ip, name, (int)rnd_range(0, 6));
}

/* The daily firmware check: the vendor's update host, a bigger exchange. */
static void firmware_check(uint64_t ts, struct dev *d, uint64_t day)
{
	const char *dot = strchr(d->cloud, '.');
	char name[96];
	snprintf(name, sizeof(name), "fw.%s", dot ? dot + 1 : d->cloud);
	uint32_t ip = REMOTE(0x2000 + d->kind * 16 + (uint32_t)(day % 16));
	dns_exchange(ts, d, name, ip, false);
	tls_session(ts + 50000, d, ip, name, (int)rnd_range(20, 40));
}

/* Everything the devices do in [@from, @to). */
static void soak_window(struct dev *devs, int n, uint64_t from, uint64_t to)
{
	for (int i = 0; i < n; i++) {
		struct dev *d = &devs[i];
		uint64_t base = person(d) ? 120 * SEC : 90 * SEC, round = 0;
		uint64_t start = from, rotation = 0;
		if (i == SOAK_DEVICES - 1) {
			if (to <= SOAK_JOIN)
				continue;
			if (from <= SOAK_JOIN) {
				boot(SOAK_JOIN, d);
				start = SOAK_JOIN + 5 * SEC;
			}
		}
		/* the daily firmware check, at a time of the device's own */
		for (uint64_t day = (from - SOAK_T0) / DAY; !person(d) && SOAK_T0 + day * DAY < to; day++) {
			uint64_t at = SOAK_T0 + day * DAY + (2 + (uint64_t)(i * 37 + day * 11) % 20) * 3600 * SEC;
			if (at >= start && at < to)
				firmware_check(at, d, day);
		}
		for (uint64_t t = start + rnd_range(0, (uint32_t)(base / 1000)) * 1000ull; t < to;) {
			uint64_t p = period_at(d, t, base), day = (t - SOAK_T0) / DAY;
			if (!p) { /* asleep: wake at seven */
				t = SOAK_T0 + day * DAY + 7 * 3600 * SEC + rnd_range(0, 1800) * SEC;
				continue;
			}
			uint64_t r = (t - SOAK_T0) / (6 * 3600 * SEC);
			if (r != rotation) { /* the CDN moved the cloud name */
				rotation = r;
				d->cloud_ip = REMOTE(0x100 * (d->kind + 1) + (uint32_t)(r * 37 + i) % 200 + 1);
			}
			activity(t, d, round++);
			if (person(d))
				for (uint32_t k = rnd_range(1, d->kind == LAPTOP ? 4 : 2); k > 0; k--)
					browse(t + k * rnd_range(2, 20) * SEC, d, day);
			t += p / 2 + rnd() % p;
		}
	}
}

static void soak_devices(struct dev *devs, uint64_t seed)
{
	rng_state = seed;
	ip_id_counter = 0;
	make_devices(devs, SOAK_DEVICES);
}

/* ---- attacks for the soak ---- */

static void attack_scan(struct dev *d, uint64_t ts, int n, uint16_t port)
{
	for (int i = 0; i < n; i++) /* no Mirai signature: random sequence numbers */
		tcp(ts + (uint64_t)i * 10000, d->h.mac, gw.mac, d->h.ip, REMOTE(0x10000 + (uint32_t)i * 13),
		    eph(d), port, (uint32_t)rnd(), 0, 0x02, NULL, 0, 64);
}

static void attack_icmpflood(struct dev *d, uint64_t ts, int n)
{
	uint8_t b[64] = {8, 0};
	for (int i = 0; i < n; i++) {
		put16(b + 4, 0x4242);
		put16(b + 6, (uint16_t)i);
		ip4(ts + (uint64_t)i * 2000, d->h.mac, gw.mac, d->h.ip, REMOTE(0xa000 + 1), 1, 64, b,
		    sizeof(b));
	}
}

static void attack_dnsflood(struct dev *d, uint64_t ts, int n)
{
	char name[96];
	for (int i = 0; i < n; i++) { /* random subdomains of a victim: water torture */
		snprintf(name, sizeof(name), "%08x.victim-shop.example", (unsigned)rnd());
		dns_exchange(ts + (uint64_t)i * 3000, d, name, 0, true);
	}
}

static void attack_dga(struct dev *d, uint64_t ts, int n)
{
	static const char cons[] = "bcdfghjklmnpqrstvwxz0123456789";
	char name[32];
	for (int i = 0; i < n; i++) {
		int len = (int)rnd_range(10, 16), k;
		for (k = 0; k < len; k++)
			name[k] = cons[rnd_range(0, sizeof(cons) - 2)];
		snprintf(name + k, sizeof(name) - (size_t)k, ".%s", i % 2 ? "top" : "xyz");
		bool last = i == n - 1; /* the one that resolves: the bot connects */
		dns_exchange(ts + (uint64_t)i * 100000, d, name, last ? REMOTE(0x6601) : 0, !last);
		if (last)
			tls_session(ts + (uint64_t)i * 100000 + 50000, d, REMOTE(0x6601), name, 1);
	}
}

/* A connection from the Internet to the device's telnet port, which answers
 * and takes a login in clear text. */
static void attack_exposure(struct dev *d, uint64_t ts)
{
	static const uint8_t banner[] = "\xff\xfb\x01\xff\xfb\x03login: ";
	static const uint8_t user[] = "root\r\n", pass_prompt[] = "Password: ", pass[] = "xc3511\r\n";
	uint32_t rip = 0xcb007100u | 77; /* 203.0.113.77 (TEST-NET-3) */
	uint16_t sp = 51515;
	uint32_t cs = (uint32_t)rnd(), ss = (uint32_t)rnd();
	const uint8_t *dm = d->h.mac, *gm = gw.mac;
	uint64_t t = ts;
	tcp(t, gm, dm, rip, d->h.ip, sp, 23, cs, 0, 0x02, NULL, 0, 50);
	tcp(t += 300, dm, gm, d->h.ip, rip, 23, sp, ss, cs + 1, 0x12, NULL, 0, 64);
	tcp(t += 40000, gm, dm, rip, d->h.ip, sp, 23, cs + 1, ss + 1, 0x10, NULL, 0, 50);
	tcp(t += 2000, dm, gm, d->h.ip, rip, 23, sp, ss + 1, cs + 1, 0x18, banner, sizeof(banner) - 1, 64);
	ss += 1 + sizeof(banner) - 1;
	tcp(t += 40000, gm, dm, rip, d->h.ip, sp, 23, cs + 1, ss, 0x18, user, sizeof(user) - 1, 50);
	cs += 1 + sizeof(user) - 1;
	tcp(t += 2000, dm, gm, d->h.ip, rip, 23, sp, ss, cs, 0x18, pass_prompt, sizeof(pass_prompt) - 1, 64);
	ss += sizeof(pass_prompt) - 1;
	tcp(t += 40000, gm, dm, rip, d->h.ip, sp, 23, cs, ss, 0x18, pass, sizeof(pass) - 1, 50);
}

static void attack_cleartext(struct dev *d, uint64_t ts)
{
	char req[256];
	int n = snprintf(req, sizeof(req), "GET /upload HTTP/1.1\r\nHost: files.example-storage.example\r\n"
					   "Authorization: Basic YWRtaW46YWRtaW4=\r\n\r\n");
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	dns_exchange(ts, d, "files.example-storage.example", REMOTE(0x7000 + 80), false);
	tcp_session(ts + 30000, d, REMOTE(0x7000 + 80), 80, (const uint8_t *)req, (uint32_t)n,
		    (const uint8_t *)resp, sizeof(resp) - 1, 0);
}

/* The device opens an SSH session to a host it never used (a reverse shell). */
static void attack_shell(struct dev *d, uint64_t ts)
{
	static const char c[] = "SSH-2.0-OpenSSH_7.4\r\n", s[] = "SSH-2.0-dropbear_2019.78\r\n";
	tcp_session(ts, d, REMOTE(0x7100 + 22), 22, (const uint8_t *)c, sizeof(c) - 1,
		    (const uint8_t *)s, sizeof(s) - 1, 3);
}

struct soak_attack {
	const char *name, *desc;
	enum kind victim;
};

static const struct soak_attack soak_attacks[] = {
	{"mirai", "Mirai's telnet scan (SYN sequence = target address)", CAMERA},
	{"scan", "fan-out to many addresses on TR-069's port 7547", PRINTER},
	{"lateral", "ARP sweep and port scan of the local network", TV},
	{"synflood", "SYN flood at one remote host", PLUG},
	{"udpflood", "UDP flood at one remote host", BULB},
	{"icmpflood", "ICMP echo flood at one remote host", SPEAKER},
	{"dnsflood", "random-subdomain DNS flood through the resolver", THERMOSTAT},
	{"c2", "a new DGA-looking domain, then an IRC command channel", HUB},
	{"dga", "NXDOMAIN burst of generated names, then a connection to the one that resolves",
	 THERMOSTAT},
	{"exposure", "telnet answered to the Internet, login in clear text", CAMERA},
	{"cleartext", "HTTP basic-auth credentials to a new storage host", PLUG},
	{"shell", "an SSH session to a host it never used", BULB},
	/* not attacks by the device: at most an alert, never a quarantine */
	{"storm", "a reconnect storm: one TCP connection to the hub retried, refused by RSTs",
	 CAMERA},
	{"resend", "a UDP resend loop to the hub, refused by ICMP unreachables", PLUG},
	{"synvictim", "the target of a spoofed SYN flood from the Internet", CAMERA},
	{"reflection", "the target of a UDP reflection flood", TV},
};

static void soak_attack(const struct soak_attack *a, struct dev *devs, uint64_t at)
{
	struct dev *d = &devs[a->victim];
	if (!strcmp(a->name, "mirai"))
		attack_mirai(d, at, 600);
	else if (!strcmp(a->name, "scan"))
		attack_scan(d, at, 300, 7547);
	else if (!strcmp(a->name, "lateral"))
		attack_lateral(d, devs, SOAK_DEVICES, at);
	else if (!strcmp(a->name, "synflood"))
		attack_synflood(d, at, 3000);
	else if (!strcmp(a->name, "udpflood"))
		attack_udpflood(d, at, 2000);
	else if (!strcmp(a->name, "icmpflood"))
		attack_icmpflood(d, at, 1500);
	else if (!strcmp(a->name, "dnsflood"))
		attack_dnsflood(d, at, 1000);
	else if (!strcmp(a->name, "c2"))
		attack_c2(d, at);
	else if (!strcmp(a->name, "dga"))
		attack_dga(d, at, 40);
	else if (!strcmp(a->name, "exposure"))
		attack_exposure(d, at);
	else if (!strcmp(a->name, "cleartext"))
		attack_cleartext(d, at);
	else if (!strcmp(a->name, "shell"))
		attack_shell(d, at);
	else if (!strcmp(a->name, "storm"))
		attack_storm(d, &devs[HUB].h, at, 1000);
	else if (!strcmp(a->name, "resend"))
		attack_resend(d, &devs[HUB].h, at, 1000);
	else if (!strcmp(a->name, "synvictim"))
		attack_synvictim(d, at, 3000);
	else if (!strcmp(a->name, "reflection"))
		attack_reflection(d, at, 3000);
}

static void fmt_time(uint64_t us, char *buf, size_t len)
{
	time_t t = (time_t)(us / SEC);
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06uZ", (unsigned)(us % SEC));
}

static int run_soak(const char *dir, uint64_t seed, int days)
{
	struct dev devs[SOAK_DEVICES];
	char path[4096], when[64], mac[24];

	if (days < 2 || days > 60)
		die("soak: 2 to 60 days");
	memset(devs, 0, sizeof(devs));
	soak_devices(devs, seed);
	for (int i = 0; i < SOAK_DEVICES - 1; i++)
		boot(SOAK_T0 + (uint64_t)i * 700000, &devs[i]);
	soak_window(devs, SOAK_DEVICES, SOAK_T0 + 5 * SEC, SOAK_T0 + DAY);
	snprintf(path, sizeof(path), "%s/train.pcap", dir);
	if (write_store(path) < 0)
		return -1;
	soak_window(devs, SOAK_DEVICES, SOAK_T0 + DAY, SOAK_T0 + (uint64_t)days * DAY);
	snprintf(path, sizeof(path), "%s/test.pcap", dir);
	if (write_store(path) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/attacks.tsv", dir);
	FILE *tsv = fopen(path, "w");
	if (!tsv)
		die("cannot write attacks.tsv");
	fprintf(tsv, "# scenario\tmac\tstart\tdescription\n");
	for (size_t k = 0; k < sizeof(soak_attacks) / sizeof(soak_attacks[0]); k++) {
		const struct soak_attack *a = &soak_attacks[k];
		/* hourly from noon of day 2, then from its midnight */
		uint64_t from = SOAK_T0 + DAY + (12 + k) % 24 * 3600 * SEC, at = from + 600 * SEC;
		soak_devices(devs, seed);
		rng_state = seed ^ (0x9e3779b97f4a7c15ull * (k + 1));
		soak_window(devs, SOAK_DEVICES, from, from + 1200 * SEC);
		soak_attack(a, devs, at);
		snprintf(path, sizeof(path), "%s/attack-%s.pcap", dir, a->name);
		if (write_store(path) < 0)
			return -1;
		fmt_time(at, when, sizeof(when));
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", devs[a->victim].h.mac[0],
			 devs[a->victim].h.mac[1], devs[a->victim].h.mac[2], devs[a->victim].h.mac[3],
			 devs[a->victim].h.mac[4], devs[a->victim].h.mac[5]);
		fprintf(tsv, "%s\t%s\t%s\t%s\n", a->name, mac, when, a->desc);
	}
	return fclose(tsv) ? -1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mudguard-gen [-s SEED] [-l LINK] SCENARIO OUT.pcap\n"
		   "       mudguard-gen [-s SEED] --all DIR\n"
		   "       mudguard-gen [-s SEED] bench OUT.pcap [DEVICES [FLOWS]]\n"
		   "links (-l):");
	for (const struct gen_link *l = gen_links; l->name; l++)
		fprintf(f, " %s", l->name);
	fprintf(f, "\nscenarios:\n");
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		fprintf(f, "  %-9s %s\n", scenarios[i].name, scenarios[i].desc);
	fprintf(f, "  %-9s 100 devices, >= 1M packets, >= 100k flows (not committed)\n", "bench");
	fprintf(f, "  %-9s 10,000 devices each announcing a MUD URL per kind, 200k flows\n",
		"bench-mud");
	fprintf(f, "  %-9s DIR [DAYS]: train.pcap (day 1), test.pcap (days 2..DAYS, default 3),\n"
		   "            attack-*.pcap and attacks.tsv (see the source)\n", "soak");
}

int main(int argc, char **argv)
{
	uint64_t seed = 42;
	int i = 1;

	if (i + 1 < argc && !strcmp(argv[i], "-s")) {
		seed = strtoull(argv[i + 1], NULL, 0);
		i += 2;
	}
	if (i + 1 < argc && !strcmp(argv[i], "-l")) {
		out_link = gen_link_find(argv[i + 1]);
		if (!out_link) {
			fprintf(stderr, "mudguard-gen: unknown link type \"%s\"\n", argv[i + 1]);
			usage(stderr);
			return 2;
		}
		i += 2;
	}
	if (i >= argc || !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
		usage(i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	if (!strcmp(argv[i], "--all") && i + 1 < argc) {
		char path[4096];
		for (size_t k = 0; k < sizeof(scenarios) / sizeof(scenarios[0]); k++) {
			snprintf(path, sizeof(path), "%s/%s.pcap", argv[i + 1], scenarios[k].name);
			if (run_scenario(&scenarios[k], path, seed) < 0)
				return 1;
		}
		const struct scenario *base = &scenarios[sizeof(scenarios) / sizeof(scenarios[0]) - 1];
		for (out_link = gen_links + 1; out_link->name; out_link++) {
			snprintf(path, sizeof(path), "%s/%s-%s.pcap", argv[i + 1], base->name,
				 out_link->name);
			if (run_scenario(base, path, seed) < 0)
				return 1;
		}
		return 0;
	}
	if (i + 1 >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "bench-mud")) { /* every device bound to a MUD profile */
		every_kind_mud = true;
		int ndev = i + 2 < argc ? atoi(argv[i + 2]) : 10000;
		uint64_t flows = i + 3 < argc ? strtoull(argv[i + 3], NULL, 10) : 200000;
		return run_bench(argv[i + 1], seed, ndev, flows) < 0;
	}
	if (!strcmp(argv[i], "soak")) {
		int days = i + 2 < argc ? atoi(argv[i + 2]) : 3;
		return run_soak(argv[i + 1], seed, days) < 0;
	}
	if (!strcmp(argv[i], "bench")) {
		int ndev = i + 2 < argc ? atoi(argv[i + 2]) : 100;
		uint64_t flows = i + 3 < argc ? strtoull(argv[i + 3], NULL, 10) : 165000;
		return run_bench(argv[i + 1], seed, ndev, flows) < 0;
	}
	for (size_t k = 0; k < sizeof(scenarios) / sizeof(scenarios[0]); k++)
		if (!strcmp(argv[i], scenarios[k].name))
			return run_scenario(&scenarios[k], argv[i + 1], seed) < 0;
	fprintf(stderr, "mudguard-gen: unknown scenario \"%s\"\n", argv[i]);
	usage(stderr);
	return 2;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "extract.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "banner.h"
#include "dhcp.h"
#include "dns.h"
#include "l2disc.h"
#include "text.h"
#include "tls.h"

static const char *const signal_names[MG_SIG__COUNT] = {
#define MG_X_NAME(id, name) [MG_SIG_##id] = name,
	MG_SIGNAL_LIST(MG_X_NAME)
#undef MG_X_NAME
};

static const char *const parser_names[MG_PARSER__COUNT] = {
#define MG_X_NAME(id, name) [MG_PARSER_##id] = name,
	MG_PARSER_LIST(MG_X_NAME)
#undef MG_X_NAME
};

const char *mg_signal_name(enum mg_signal s)
{
	return (unsigned)s < MG_SIG__COUNT ? signal_names[s] : "?";
}

int mg_signal_by_name(const char *name)
{
	for (int i = 0; i < MG_SIG__COUNT; i++)
		if (!strcmp(signal_names[i], name))
			return i;
	return -1;
}

const char *mg_parser_name(enum mg_parser p)
{
	return (unsigned)p < MG_PARSER__COUNT ? parser_names[p] : "?";
}

struct ctx {
	const struct mg_pkt *p;
	const struct mg_extract_ops *ops;
	void *user;
	const uint8_t *mac; /* set: the signals are about this device, not the sender */
	bool mdns_query;    /* the mDNS message is a query (QR clear) */
};

static void sig(struct ctx *c, int who, enum mg_signal s, const char *v)
{
	if (!v || !*v)
		return;
	if (c->mac)
		c->ops->signal_mac(c->user, c->mac, s, v);
	else
		c->ops->signal(c->user, who, s, v);
}

static void sig_view(struct ctx *c, enum mg_signal s, struct mg_view v)
{
	char buf[512];
	if (v.p && v.len) {
		mg_text_clean(v.p, v.len, buf, sizeof(buf), 0);
		sig(c, 0, s, buf);
	}
}

static void sig_u(struct ctx *c, enum mg_signal s, unsigned v)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%u", v);
	sig(c, 0, s, buf);
}

static void bad(struct ctx *c, enum mg_parser what)
{
	if (c->ops->malformed)
		c->ops->malformed(c->user, what);
}

/* A list of @width-byte codes as "1,3,6,15". */
static void sig_codes(struct ctx *c, enum mg_signal s, struct mg_view v, unsigned width)
{
	char buf[1024];
	size_t o = 0;
	buf[0] = 0;
	for (uint32_t i = 0; i + width <= v.len && o + 8 < sizeof(buf); i += width) {
		unsigned code = width == 1 ? v.p[i] : (unsigned)(v.p[i] << 8 | v.p[i + 1]);
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%u", o ? "," : "", code);
	}
	sig(c, 0, s, buf);
}

static void sig_wire_name(struct ctx *c, enum mg_signal s, struct mg_view v)
{
	char name[MG_DNS_NAME_MAX];
	uint32_t off = 0;
	if (v.len && mg_dns_name(v.p, v.len, &off, name, sizeof(name)) == 0)
		sig(c, 0, s, name);
}

static void do_dhcp(struct ctx *c)
{
	struct mg_dhcp d;
	const struct mg_pkt *p = c->p;

	if (mg_dhcp_parse(&d, p->payload, p->payload_len) < 0) {
		bad(c, MG_PARSER_DHCP);
		return;
	}
	if (d.op != 1)
		return;
	if (p->has_mac && memcmp(d.chaddr, p->src_mac, 6)) {
		/* relayed (giaddr set): the message speaks for chaddr, not the relay */
		static const uint8_t zero[4];
		if (!memcmp(d.giaddr, zero, 4) || !c->ops->signal_mac)
			return;
		c->mac = d.chaddr;
	}
	sig_view(c, MG_SIG_DHCP_HOSTNAME, d.host);
	sig_view(c, MG_SIG_DHCP_VENDOR, d.vendor);
	sig_codes(c, MG_SIG_DHCP_PARAMS, d.params, 1);
	if (d.max_size)
		sig_u(c, MG_SIG_DHCP_MAX_SIZE, d.max_size);
	if (d.client_id.len)
		sig_u(c, MG_SIG_DHCP_CLIENT_ID, d.client_id.p[0]);
	if (d.fqdn_wire)
		sig_wire_name(c, MG_SIG_DHCP_FQDN, d.fqdn);
	else
		sig_view(c, MG_SIG_DHCP_FQDN, d.fqdn);
	sig_view(c, MG_SIG_DHCP_MUD_URL, d.mud_url);
}

static void do_dhcp6(struct ctx *c)
{
	struct mg_dhcp6 d;
	const uint8_t *msg = c->p->payload;
	uint32_t len = c->p->payload_len;
	uint8_t mac[6];

	int rc = mg_dhcp6_unwrap(msg, len, &msg, &len);
	if (rc == -ENOENT && msg[0] == 13)
		return; /* relay-reply: the server's answer (len > 0: checked by the caller) */
	if (rc == -EINVAL || mg_dhcp6_parse(&d, msg, len) < 0) {
		bad(c, MG_PARSER_DHCP6);
		return;
	}
	if (rc == 0) { /* relay-forward: about the client its DUID names */
		if (!c->ops->signal_mac || !mg_dhcp6_duid_mac(&d, mac))
			return;
		c->mac = mac;
	}
	sig_view(c, MG_SIG_DHCP6_VENDOR, d.vendor);
	if (d.vendor_enterprise)
		sig_u(c, MG_SIG_DHCP6_ENTERPRISE, d.vendor_enterprise);
	sig_wire_name(c, MG_SIG_DHCP6_FQDN, d.fqdn);
	if (d.duid.len)
		sig_u(c, MG_SIG_DHCP6_DUID_TYPE, d.duid_type);
	sig_codes(c, MG_SIG_DHCP6_ORO, d.oro, 2);
	sig_view(c, MG_SIG_DHCP6_MUD_URL, d.mud_url);
}

/* Cuts a trailing ".local" (and the root dot) from mDNS names in place. */
static char *unlocal(char *n)
{
	size_t l = strlen(n);
	if (l && n[l - 1] == '.')
		n[--l] = 0;
	if (l > 6 && !strcasecmp(n + l - 6, ".local"))
		n[l - 6] = 0;
	return n;
}

static bool service_type(const char *n)
{
	return n[0] == '_';
}

/* TXT keys whose values name a model, a maker or a software version. */
static bool model_key(const char *k, size_t n)
{
	static const char *const keys[] = {
		"md",	    "model",	"ty",	    "model_number", "mdl",	    "product",
		"usb_mdl",  "usb_mfg", "manufacturer", "mfg",	    "vendor",	    "am",
		"hardware_ver", "hw",	"hwver",    "version",	    "fw",	    "fwver",
		"fv",	    "firmware", "sw",	    "swver",	    "srcvers",	    "vers",
		"osxvers",  "dtype",	"devicetype", "device",	    "pv",	    "rpmd"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i]) == n && !strncasecmp(keys[i], k, n))
			return true;
	return false;
}

static void mdns_txt(struct ctx *c, const struct mg_dns_rr *rr)
{
	for (uint32_t i = 0; i < rr->rdlen;) {
		uint32_t l = rr->rdata[i];
		if (l > rr->rdlen - i - 1u)
			return;
		const uint8_t *item = rr->rdata + i + 1;
		const uint8_t *eq = memchr(item, '=', l);
		if (eq && model_key((const char *)item, (size_t)(eq - item))) {
			char buf[512];
			char key[32];
			size_t kl = (size_t)(eq - item);
			mg_text_clean(item, kl < sizeof(key) ? kl : sizeof(key) - 1, key, sizeof(key), 0);
			for (char *k = key; *k; k++)
				*k = (char)tolower((unsigned char)*k);
			size_t o = (size_t)snprintf(buf, sizeof(buf), "%s=", key);
			mg_text_clean(eq + 1, l - kl - 1, buf + o, sizeof(buf) - o, 0);
			if (buf[o])
				sig(c, 0, MG_SIG_MDNS_TXT, buf);
		}
		i += 1 + l;
	}
}

static void mdns_rr(const struct mg_dns_rr *rr, void *user)
{
	struct ctx *c = user;
	char name[MG_DNS_NAME_MAX], target[MG_DNS_NAME_MAX];

	snprintf(name, sizeof(name), "%s", rr->name);
	snprintf(target, sizeof(target), "%s", rr->target);
	unlocal(name);
	unlocal(target);
	if (rr->section == MG_DNS_QD) {
		if (service_type(name))
			sig(c, 0, MG_SIG_MDNS_QUERY, name);
		return;
	}
	/* The answer section of a query holds the records the querier already
	 * knows (known-answer suppression, RFC 6762 7.1): other hosts' records,
	 * not its own. A hub browsing for _hue._tcp lists the Hue bridge's name
	 * there. The authority section of a query is a probe: its own records. */
	if (c->mdns_query && rr->section == MG_DNS_AN)
		return;
	switch (rr->type) {
	case MG_DNS_A:
	case MG_DNS_AAAA:
		if (!strstr(name, ".arpa"))
			sig(c, 0, MG_SIG_MDNS_HOSTNAME, name);
		break;
	case MG_DNS_PTR:
		if (!strcasecmp(name, "_services._dns-sd._udp")) {
			sig(c, 0, MG_SIG_MDNS_SERVICE, target);
		} else if (service_type(name)) {
			const char *sub = strstr(name, "._sub.");
			sig(c, 0, MG_SIG_MDNS_SERVICE, sub ? sub + 6 : name);
			char *dot = strchr(target, '.');
			if (dot && dot != target) {
				*dot = 0;
				sig(c, 0, MG_SIG_MDNS_INSTANCE, target);
			}
		}
		break;
	case MG_DNS_SRV: {
		char *dot = strchr(name, '.');
		if (dot && service_type(dot + 1))
			sig(c, 0, MG_SIG_MDNS_SERVICE, dot + 1);
		sig(c, 0, MG_SIG_MDNS_HOSTNAME, target);
		break;
	}
	case MG_DNS_TXT:
		mdns_txt(c, rr);
		break;
	}
}

#define DNS_CHAIN_MAX 8 /* CNAME owners remembered per response */

struct dns_ctx {
	struct ctx *c;
	char qname[MG_DNS_NAME_MAX];
	bool response;
	/* the CNAME chain so far: an address answers every name on it */
	char chain[DNS_CHAIN_MAX][MG_DNS_NAME_MAX];
	unsigned nchain;
};

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void dns_rr(const struct mg_dns_rr *rr, void *user)
{
	struct dns_ctx *d = user;
	char name[MG_DNS_NAME_MAX];

	snprintf(name, sizeof(name), "%s", rr->name);
	lower(name);
	if (rr->section == MG_DNS_QD) {
		if (!d->qname[0])
			snprintf(d->qname, sizeof(d->qname), "%s", name);
		if (!d->response && name[0])
			sig(d->c, 0, MG_SIG_DNS_QUERY, name);
		return;
	}
	if (!d->response || rr->section != MG_DNS_AN || !d->c->ops->dns_answer)
		return;
	struct mg_addr a;
	if (rr->type == MG_DNS_CNAME && strcmp(name, d->qname) && d->nchain < DNS_CHAIN_MAX) {
		memcpy(d->chain[d->nchain++], name, sizeof(name));
		return;
	}
	if (rr->type == MG_DNS_A && rr->rdlen == 4)
		mg_addr_set_v4(&a, rr->rdata);
	else if (rr->type == MG_DNS_AAAA && rr->rdlen == 16)
		mg_addr_set_v6(&a, rr->rdata);
	else
		return;
	/* what the device asked for first, then every name the answer came
	 * through: a MUD profile may name the CDN's name or the vendor's */
	const char *q = d->qname[0] ? d->qname : name;
	d->c->ops->dns_answer(d->c->user, 1, q, &a, rr->ttl);
	for (unsigned i = 0; i < d->nchain; i++)
		d->c->ops->dns_answer(d->c->user, 1, d->chain[i], &a, rr->ttl);
	if (strcmp(name, q))
		d->c->ops->dns_answer(d->c->user, 1, name, &a, rr->ttl);
}

static void nbns_rr(const struct mg_dns_rr *rr, void *user)
{
	struct ctx *c = user;
	char nb[64];
	if (rr->section == MG_DNS_QD || rr->section == MG_DNS_AR) {
		int suffix = mg_netbios_name(rr->name, nb, sizeof(nb));
		if (suffix == 0x00 || suffix == 0x20) /* workstation, server */
			sig(c, 0, MG_SIG_NETBIOS_NAME, nb);
	}
}

static void do_dns(struct ctx *c, bool mdns, bool nbns)
{
	struct mg_dns_hdr h;
	const struct mg_pkt *p = c->p;
	int rc;

	if (nbns) {
		/* registrations (5) and refreshes (8, 9) name the sender itself */
		if (p->payload_len < 4)
			return;
		unsigned op = (unsigned)(p->payload[2] >> 3) & 0xf;
		if (op != 5 && op != 8 && op != 9)
			return;
		rc = mg_dns_parse(p->payload, p->payload_len, &h, nbns_rr, c);
		if (rc < 0)
			bad(c, MG_PARSER_NETBIOS);
		return;
	}
	if (mdns) {
		c->mdns_query = p->payload_len >= 3 && !(p->payload[2] & 0x80);
		rc = mg_dns_parse(p->payload, p->payload_len, &h, mdns_rr, c);
		if (rc < 0)
			bad(c, MG_PARSER_MDNS);
		return;
	}
	struct dns_ctx d = {.c = c, .qname = "", .response = p->sport == 53};
	if (p->payload_len >= 3 && (bool)(p->payload[2] & 0x80) != d.response)
		return; /* a query from port 53 or an answer to it: not a stub resolver */
	rc = mg_dns_parse(p->payload, p->payload_len, &h, dns_rr, &d);
	if (rc < 0)
		bad(c, MG_PARSER_DNS);
	else if (d.qname[0] && c->ops->dns_msg)
		c->ops->dns_msg(c->user, d.response, d.qname, d.response ? h.flags & 0xf : -1);
}

static void do_ssdp(struct ctx *c)
{
	const struct mg_pkt *p = c->p;
	char v[512];
	enum mg_http_kind k = mg_http_kind(p->payload, p->payload_len);
	bool search = p->payload_len > 9 && !memcmp(p->payload, "M-SEARCH ", 9);

	if (k == MG_HTTP_NONE) {
		bad(c, MG_PARSER_SSDP);
		return;
	}
	if (mg_http_header(p->payload, p->payload_len, "SERVER", v, sizeof(v)) > 0)
		sig(c, 0, MG_SIG_SSDP_SERVER, v);
	if (mg_http_header(p->payload, p->payload_len, "USER-AGENT", v, sizeof(v)) > 0)
		sig(c, 0, MG_SIG_SSDP_USER_AGENT, v);
	if (search)
		return; /* ST names what it looks for, not what it is */
	if (mg_http_header(p->payload, p->payload_len, k == MG_HTTP_REQUEST ? "NT" : "ST", v,
			   sizeof(v)) > 0)
		sig(c, 0, MG_SIG_SSDP_TYPE, v);
	if (mg_http_header(p->payload, p->payload_len, "USN", v, sizeof(v)) > 0) {
		/* uuid:<device-unique>::<type>: keep the type, the uuid is per unit */
		char *t = strstr(v, "::");
		if (t)
			sig(c, 0, MG_SIG_SSDP_USN, t + 2);
	}
	if (mg_http_header(p->payload, p->payload_len, "LOCATION", v, sizeof(v)) > 0) {
		/* http://10.0.0.5:49153/setup.xml -> :49153/setup.xml (the address varies) */
		char *host = strstr(v, "://");
		char *rest = host ? strpbrk(host + 3, ":/") : NULL;
		if (rest)
			sig(c, 0, MG_SIG_SSDP_LOCATION, rest);
	}
}

static void do_tcp_payload(struct ctx *c)
{
	const struct mg_pkt *p = c->p;
	char v[512];

	if (p->payload[0] == 22) {
		struct mg_tls_hello h;
		int rc = mg_tls_client_hello(p->payload, p->payload_len, &h);
		if (rc == 0) {
			sig(c, 0, MG_SIG_TLS_SNI, h.sni);
			sig(c, 0, MG_SIG_TLS_JA3, h.ja3_md5);
			sig(c, 0, MG_SIG_TLS_ALPN, h.alpn);
			char ver[16];
			sig(c, 0, MG_SIG_TLS_VERSION, mg_tls_version_name(h.max_version, ver, sizeof(ver)));
		} else if (rc == -EINVAL) {
			bad(c, MG_PARSER_TLS);
		}
		return;
	}
	switch (mg_http_kind(p->payload, p->payload_len)) {
	case MG_HTTP_REQUEST:
		if (mg_http_header(p->payload, p->payload_len, "User-Agent", v, sizeof(v)) > 0)
			sig(c, 0, MG_SIG_HTTP_USER_AGENT, v);
		break;
	case MG_HTTP_RESPONSE:
		if (mg_http_header(p->payload, p->payload_len, "Server", v, sizeof(v)) > 0)
			sig(c, 0, MG_SIG_HTTP_SERVER, v);
		break;
	case MG_HTTP_NONE:
		break;
	}
}

static void do_syn(struct ctx *c, const struct mg_p0f *p0f)
{
	struct mg_tcpsig s;

	if (mg_tcpsig_from_pkt(c->p, &s) < 0) {
		bad(c, MG_PARSER_TCP_OPTIONS);
		return;
	}
	sig(c, 0, MG_SIG_TCP_SYN, s.text);
	int generic;
	const char *os = p0f ? mg_p0f_match(p0f, &s, &generic) : NULL;
	if (os)
		sig(c, 0, MG_SIG_TCP_OS, os);
}

static void do_l2disc(struct ctx *c, bool cdp)
{
	struct mg_l2disc d;
	int rc = cdp ? mg_cdp_parse(c->p->l2, c->p->l2_len, &d)
		     : mg_lldp_parse(c->p->l2, c->p->l2_len, &d);
	if (rc == -ENOENT)
		return;
	if (rc < 0) {
		bad(c, cdp ? MG_PARSER_CDP : MG_PARSER_LLDP);
		return;
	}
	sig_view(c, cdp ? MG_SIG_CDP_DEVICE_ID : MG_SIG_LLDP_NAME, d.name);
	sig_view(c, cdp ? MG_SIG_CDP_SOFTWARE : MG_SIG_LLDP_DESC, d.desc);
	sig_view(c, MG_SIG_CDP_PLATFORM, d.platform);
	sig_view(c, MG_SIG_LLDP_MUD_URL, d.mud_url);
}

void mg_extract(const struct mg_pkt *p, const struct mg_p0f *p0f,
		const struct mg_extract_ops *ops, void *user)
{
	struct ctx c = {p, ops, user, NULL, false};

	if (!p->ip_version) {
		if (p->ethertype == MG_ETH_LLDP && p->l2)
			do_l2disc(&c, false);
		else if (p->ethertype < 0x0600 && p->l2)
			do_l2disc(&c, true);
		return;
	}
	if (p->frag_off || !p->l4)
		return;
	if (p->proto == MG_PROTO_UDP && p->payload_len) {
		if ((p->sport == 68 || p->sport == 67) && p->dport == 67)
			do_dhcp(&c); /* from a client, or from a relay agent */
		else if ((p->sport == 546 || p->sport == 547) && p->dport == 547)
			do_dhcp6(&c);
		else if (p->sport == 5353 || p->dport == 5353)
			do_dns(&c, true, false);
		else if (p->dport == 53 || p->sport == 53)
			do_dns(&c, false, false);
		else if (p->dport == 137 && p->sport == 137)
			do_dns(&c, false, true);
		else if (p->dport == 1900 || p->sport == 1900)
			do_ssdp(&c);
	} else if (p->proto == MG_PROTO_TCP) {
		if ((p->tcp_flags & (MG_TCP_SYN | MG_TCP_ACK)) == MG_TCP_SYN)
			do_syn(&c, p0f);
		if (p->payload_len)
			do_tcp_payload(&c);
	}
}

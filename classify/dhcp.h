/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * DHCPv4 (RFC 2131/2132) and DHCPv6 (RFC 8415) message parsing, bounds-checked,
 * no allocation: option values are views into the caller's buffer.
 */
#ifndef MG_DHCP_H
#define MG_DHCP_H

#include <stdbool.h>
#include <stdint.h>

enum {
	MG_DHCP_DISCOVER = 1,
	MG_DHCP_OFFER = 2,
	MG_DHCP_REQUEST = 3,
	MG_DHCP_DECLINE = 4,
	MG_DHCP_ACK = 5,
	MG_DHCP_NAK = 6,
	MG_DHCP_RELEASE = 7,
	MG_DHCP_INFORM = 8,
};

/* A view of option bytes inside the parsed message; len 0 when absent. */
struct mg_view {
	const uint8_t *p;
	uint32_t len;
};

/* Sets @v unless already set: a repeated option counts from its first occurrence. */
static inline void mg_view_once(struct mg_view *v, const uint8_t *p, uint32_t len)
{
	if (!v->p) {
		v->p = p;
		v->len = len;
	}
}

struct mg_dhcp {
	uint8_t op;       /* 1 request, 2 reply */
	uint8_t msg_type; /* option 53, 0 if absent (plain BOOTP) */
	uint8_t chaddr[6];
	uint8_t ciaddr[4], yiaddr[4], giaddr[4]; /* giaddr: relay agent, 0 if not relayed */
	bool has_server_id;
	uint8_t server_id[4];
	bool has_requested_ip;
	uint8_t requested_ip[4];
	uint16_t max_size;     /* option 57, 0 if absent */
	struct mg_view host;   /* 12 host name */
	struct mg_view params; /* 55 parameter request list, codes in client order */
	struct mg_view vendor; /* 60 vendor class identifier */
	struct mg_view client_id; /* 61: type byte, then the identifier */
	struct mg_view fqdn;   /* 81 client FQDN, after its 3 flag/rcode bytes */
	bool fqdn_wire;        /* the FQDN is in DNS wire format (flag E) */
	struct mg_view mud_url; /* 161 MUD URL (RFC 8520) */
};

/* Parses the UDP payload @b (@len bytes) of a DHCP message. Returns 0, or
 * -EINVAL if it is not a well-formed Ethernet DHCP message (bad magic,
 * hardware type, or an option running past the end). Options repeated are
 * taken from their first occurrence (RFC 3396 concatenation is not done). */
int mg_dhcp_parse(struct mg_dhcp *d, const uint8_t *b, uint32_t len);

enum {
	MG_DHCP6_SOLICIT = 1,
	MG_DHCP6_ADVERTISE = 2,
	MG_DHCP6_REQUEST = 3,
	MG_DHCP6_RENEW = 5,
	MG_DHCP6_REPLY = 7,
	MG_DHCP6_INFORMATION_REQUEST = 11,
};

struct mg_dhcp6 {
	uint8_t msg_type;
	uint16_t duid_type;     /* of the client identifier (1 LLT, 2 EN, 3 LL, 4 UUID) */
	struct mg_view duid;    /* option 1, whole DUID */
	struct mg_view oro;     /* option 6: 16-bit option codes in client order */
	uint32_t vendor_enterprise; /* option 16 enterprise number */
	struct mg_view vendor;  /* option 16: first vendor-class-data item */
	struct mg_view fqdn;    /* option 39, DNS wire format after the flags byte */
	struct mg_view mud_url; /* option 112 */
};

/* Parses a DHCPv6 client/server message (not relay-forward). Returns 0 or
 * -EINVAL when an option runs past the end or the message is a relay. */
int mg_dhcp6_parse(struct mg_dhcp6 *d, const uint8_t *b, uint32_t len);

/* For a relay-forward message (type 12, nested up to 8 deep), points *@inner
 * at the client message it carries. Returns 0, -ENOENT if @b is not a
 * relay-forward, -EINVAL if malformed. */
int mg_dhcp6_unwrap(const uint8_t *b, uint32_t len, const uint8_t **inner, uint32_t *inner_len);

/* The link-layer (Ethernet) address in a DUID-LLT or DUID-LL; false if the
 * DUID carries none. */
bool mg_dhcp6_duid_mac(const struct mg_dhcp6 *d, uint8_t mac[6]);

#endif

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Identification signals: which packet says what about which device. Every
 * value handed out is text cleaned by mg_text_clean (valid UTF-8, no control
 * bytes), so it can go into events and rules as is.
 */
#ifndef MG_EXTRACT_H
#define MG_EXTRACT_H

#include <stdint.h>

#include "../capture/decode.h"
#include "tcpsig.h"

/* Signal names are part of the rules format (rules/README.md). */
#define MG_SIGNAL_LIST(X)                                                      \
	X(OUI_VENDOR, "oui.vendor")                                            \
	X(MAC_PREFIX, "mac.prefix")                                            \
	X(DHCP_HOSTNAME, "dhcp.hostname")                                      \
	X(DHCP_VENDOR, "dhcp.vendor_class")                                    \
	X(DHCP_PARAMS, "dhcp.params")                                          \
	X(DHCP_MAX_SIZE, "dhcp.max_size")                                      \
	X(DHCP_CLIENT_ID, "dhcp.client_id_type")                               \
	X(DHCP_FQDN, "dhcp.fqdn")                                              \
	X(DHCP_MUD_URL, "dhcp.mud_url")                                        \
	X(DHCP6_VENDOR, "dhcp6.vendor_class")                                  \
	X(DHCP6_ENTERPRISE, "dhcp6.enterprise")                                \
	X(DHCP6_FQDN, "dhcp6.fqdn")                                            \
	X(DHCP6_DUID_TYPE, "dhcp6.duid_type")                                  \
	X(DHCP6_ORO, "dhcp6.oro")                                              \
	X(DHCP6_MUD_URL, "dhcp6.mud_url")                                      \
	X(MDNS_HOSTNAME, "mdns.hostname")                                      \
	X(MDNS_SERVICE, "mdns.service")                                        \
	X(MDNS_INSTANCE, "mdns.instance")                                      \
	X(MDNS_TXT, "mdns.txt")                                                \
	X(MDNS_QUERY, "mdns.query")                                            \
	X(SSDP_SERVER, "ssdp.server")                                          \
	X(SSDP_USER_AGENT, "ssdp.user_agent")                                  \
	X(SSDP_TYPE, "ssdp.type")                                              \
	X(SSDP_USN, "ssdp.usn")                                                \
	X(SSDP_LOCATION, "ssdp.location")                                      \
	X(DNS_QUERY, "dns.query")                                              \
	X(TLS_SNI, "tls.sni")                                                  \
	X(TLS_JA3, "tls.ja3")                                                  \
	X(TLS_ALPN, "tls.alpn")                                                \
	X(TLS_VERSION, "tls.max_version")                                      \
	X(HTTP_USER_AGENT, "http.user_agent")                                  \
	X(HTTP_SERVER, "http.server")                                          \
	X(TCP_SYN, "tcp.syn")                                                  \
	X(TCP_OS, "tcp.os")                                                    \
	X(LLDP_NAME, "lldp.system_name")                                       \
	X(LLDP_DESC, "lldp.system_description")                                \
	X(LLDP_MUD_URL, "lldp.mud_url")                                        \
	X(CDP_DEVICE_ID, "cdp.device_id")                                      \
	X(CDP_PLATFORM, "cdp.platform")                                        \
	X(CDP_SOFTWARE, "cdp.software")                                        \
	X(NETBIOS_NAME, "netbios.name")                                        \
	X(DPI_PROTOCOL, "dpi.protocol")                                        \
	X(ROLE, "device.role")                                                 \
	X(TRAFFIC, "traffic.packet")                                           \
	X(MODEL_TYPE, "model.type")                                            \
	X(BEHAVIOUR, "device.behaviour")

enum mg_signal {
#define MG_X_ENUM(id, name) MG_SIG_##id,
	MG_SIGNAL_LIST(MG_X_ENUM)
#undef MG_X_ENUM
	MG_SIG__COUNT
};

const char *mg_signal_name(enum mg_signal s);
/* Signal for @name, or -1. */
int mg_signal_by_name(const char *name);

/* Message families whose malformed instances are counted. */
#define MG_PARSER_LIST(X)                                                      \
	X(DHCP, "dhcp")                                                        \
	X(DHCP6, "dhcp6")                                                      \
	X(DNS, "dns")                                                          \
	X(MDNS, "mdns")                                                        \
	X(NETBIOS, "netbios")                                                  \
	X(SSDP, "ssdp")                                                        \
	X(TLS, "tls")                                                          \
	X(TCP_OPTIONS, "tcp_options")                                          \
	X(LLDP, "lldp")                                                        \
	X(CDP, "cdp")

enum mg_parser {
#define MG_X_ENUM(id, name) MG_PARSER_##id,
	MG_PARSER_LIST(MG_X_ENUM)
#undef MG_X_ENUM
	MG_PARSER__COUNT
};

const char *mg_parser_name(enum mg_parser p);

/* Where the extractor's findings go. @who is 0 for the packet's source
 * device, 1 for its destination. */
struct mg_extract_ops {
	void (*signal)(void *user, int who, enum mg_signal sig, const char *value);
	/* A relayed DHCP client message speaks for a device by its MAC address
	 * (DHCPv4 chaddr, DHCPv6 DUID link-layer address); NULL ignores relays. */
	void (*signal_mac)(void *user, const uint8_t mac[6], enum mg_signal sig, const char *value);
	/* A DNS answer seen by the querier: @name resolved to @a for @ttl seconds. */
	void (*dns_answer)(void *user, int who, const char *name, const struct mg_addr *a,
			   uint32_t ttl);
	/* A malformed discovery/naming message (counted, never fatal). */
	void (*malformed)(void *user, enum mg_parser family);
	/* A DNS query for @qname (@who 0, the sender, @rcode -1), or the answer
	 * to one (@who 1, the querier, @rcode from the header: 3 = NXDOMAIN).
	 * NULL ignores them. */
	void (*dns_msg)(void *user, int who, const char *qname, int rcode);
};

/* Runs every extractor that applies to @p. @p0f may be NULL (no OS labels). */
void mg_extract(const struct mg_pkt *p, const struct mg_p0f *p0f,
		const struct mg_extract_ops *ops, void *user);

#endif

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mudguard packet decoder: raw frame -> struct mg_pkt, a view into the caller's
 * buffer. No allocation, no third-party headers. Every length is checked before
 * it is read; a malformed frame yields a named anomaly and as much of the view
 * as could be decoded safely (e.g. the MACs of a frame whose IP header is bad).
 */
#ifndef MG_DECODE_H
#define MG_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h" /* struct mg_addr, MACs */

/* Link types the decoder understands (mapped from DLT_* by the capture adapter). */
enum mg_link {
	MG_LINK_ETHERNET = 1,
	MG_LINK_SLL,  /* Linux cooked v1 */
	MG_LINK_SLL2, /* Linux cooked v2 */
	MG_LINK_RAW,  /* raw IPv4 or IPv6, version from the first nibble */
	MG_LINK_IPV4,
	MG_LINK_IPV6,
	MG_LINK_NULL, /* BSD loopback: 4-byte host-order address family */
	MG_LINK_IEEE80211, /* 802.11 frames, no radio header, no FCS */
	MG_LINK_RADIOTAP,  /* radiotap header + 802.11 */
	MG_LINK_PPI,	   /* CACE Per-Packet Information header + (usually) 802.11 */
	MG_LINK_NFLOG,	   /* Linux nfnetlink_log: header + TLVs, the payload raw IP */
	MG_LINK_PPP,	   /* PPP, optional FF 03 (also PPP in HDLC framing, Cisco HDLC) */
	MG_LINK_PPP_PPPD,  /* PPP with a direction byte in place of FF */
	MG_LINK_PPPOE,	   /* PPPoE session header + PPP */
	MG_LINK_DSA_BRCM,  /* Ethernet with a Broadcom switch tag after the MACs */
	MG_LINK_DSA_BRCM_PREPEND, /* ... the Broadcom tag before the MACs */
	MG_LINK_DSA,		  /* Ethernet with a Marvell DSA tag after the MACs */
	MG_LINK_EDSA,		  /* ... with an EtherType DSA tag */
	MG_LINK__END		  /* not a link type: one past the last */
};

/* Named decode anomalies. Counted per name in `stats`; never on their own a
 * reason to act against a device (IoT stacks are often non-compliant). */
#define MG_ANOMALY_LIST(X)                                                     \
	X(NONE, "none")                                                        \
	X(LINK_TRUNCATED, "link_truncated")                                    \
	X(VLAN_TRUNCATED, "vlan_truncated")                                    \
	X(VLAN_TOO_DEEP, "vlan_too_deep")                                      \
	X(ARP_TRUNCATED, "arp_truncated")                                      \
	X(ARP_BAD_FORMAT, "arp_bad_format")                                    \
	X(IPV4_TRUNCATED, "ipv4_truncated")                                    \
	X(IPV4_BAD_VERSION, "ipv4_bad_version")                                \
	X(IPV4_BAD_IHL, "ipv4_bad_ihl")                                        \
	X(IPV4_BAD_TOTAL_LEN, "ipv4_bad_total_len")                            \
	X(IPV4_BAD_OPTIONS, "ipv4_bad_options")                                \
	X(IPV4_BAD_FRAGMENT, "ipv4_bad_fragment")                              \
	X(IPV6_TRUNCATED, "ipv6_truncated")                                    \
	X(IPV6_BAD_VERSION, "ipv6_bad_version")                                \
	X(IPV6_BAD_PAYLOAD_LEN, "ipv6_bad_payload_len")                        \
	X(IPV6_EXTHDR_TRUNCATED, "ipv6_exthdr_truncated")                      \
	X(IPV6_EXTHDR_TOO_MANY, "ipv6_exthdr_too_many")                        \
	X(TCP_TRUNCATED, "tcp_truncated")                                      \
	X(TCP_BAD_OFFSET, "tcp_bad_offset")                                    \
	X(TCP_BAD_FLAGS, "tcp_bad_flags")                                      \
	X(UDP_TRUNCATED, "udp_truncated")                                      \
	X(UDP_BAD_LEN, "udp_bad_len")                                          \
	X(ICMP_TRUNCATED, "icmp_truncated")                                    \
	X(ICMPV6_TRUNCATED, "icmpv6_truncated")                                \
	X(SLL_BAD_ADDR_LEN, "sll_bad_addr_len")                                \
	X(NULL_BAD_FAMILY, "null_bad_family")                                  \
	X(WIFI_TRUNCATED, "wifi_truncated")                                    \
	X(WIFI_BAD_VERSION, "wifi_bad_version")                                \
	X(RADIOTAP_TRUNCATED, "radiotap_truncated")                            \
	X(RADIOTAP_BAD_HEADER, "radiotap_bad_header")                          \
	X(PPI_TRUNCATED, "ppi_truncated")                                      \
	X(PPI_BAD_HEADER, "ppi_bad_header")                                    \
	X(NFLOG_TRUNCATED, "nflog_truncated")                                  \
	X(NFLOG_BAD_TLV, "nflog_bad_tlv")                                      \
	X(PPP_TRUNCATED, "ppp_truncated")                                      \
	X(PPPOE_BAD_HEADER, "pppoe_bad_header")                                \
	X(DSA_TRUNCATED, "dsa_truncated")

/* Frames that are well formed but carry no IP or ARP for us, by reason: Wi-Fi
 * management, control, null and encrypted frames, PPP's own control protocols.
 * Counted per name in `stats` ("link_skipped"), never called malformed. */
#define MG_SKIP_LIST(X)                                                        \
	X(NONE, "none")                                                        \
	X(WIFI_MANAGEMENT, "wifi_management")                                  \
	X(WIFI_CONTROL, "wifi_control")                                        \
	X(WIFI_EXTENSION, "wifi_extension")                                    \
	X(WIFI_NULL_DATA, "wifi_null_data")                                    \
	X(WIFI_PROTECTED, "wifi_protected")                                    \
	X(WIFI_FRAGMENT, "wifi_fragment")                                      \
	X(WIFI_AMSDU, "wifi_amsdu")                                            \
	X(WIFI_NOT_SNAP, "wifi_not_snap")                                      \
	X(WIFI_BAD_FCS, "wifi_bad_fcs")                                        \
	X(PPI_OTHER_DLT, "ppi_other_dlt")                                      \
	X(NFLOG_NO_PAYLOAD, "nflog_no_payload")                                \
	X(NFLOG_OTHER_FAMILY, "nflog_other_family")                            \
	X(PPP_OTHER_PROTOCOL, "ppp_other_protocol")                            \
	X(PPPOE_DISCOVERY, "pppoe_discovery")

enum mg_skip {
#define MG_X_ENUM(id, name) MG_SKIP_##id,
	MG_SKIP_LIST(MG_X_ENUM)
#undef MG_X_ENUM
	MG_SKIP__COUNT
};

/* Name of a skip reason ("wifi_management"); "unknown" for an out-of-range value. */
const char *mg_skip_name(enum mg_skip r);

enum mg_anomaly {
#define MG_X_ENUM(id, name) MG_ANOM_##id,
	MG_ANOMALY_LIST(MG_X_ENUM)
#undef MG_X_ENUM
	MG_ANOM__COUNT
};

/* Name of an anomaly ("ipv4_bad_ihl"); "unknown" for an out-of-range value. */
const char *mg_anomaly_name(enum mg_anomaly a);

#define MG_ETH_IPV4 0x0800
#define MG_ETH_ARP 0x0806
#define MG_ETH_VLAN 0x8100
#define MG_ETH_QINQ 0x88a8
#define MG_ETH_IPV6 0x86dd
#define MG_ETH_LLDP 0x88cc

#define MG_TCP_FIN 0x01
#define MG_TCP_SYN 0x02
#define MG_TCP_RST 0x04
#define MG_TCP_PSH 0x08
#define MG_TCP_ACK 0x10

#define MG_MAX_VLAN 2 /* 802.1Q and QinQ; deeper stacks are an anomaly */

/* The decoded view of one frame. Pointers refer into the buffer given to
 * mg_decode() and are valid as long as it is. Fields beyond the layer that was
 * reached are zero. */
struct mg_pkt {
	uint64_t ts_us; /* packet time, microseconds since the epoch */
	uint32_t caplen, wirelen;
	bool snapped; /* caplen < wirelen: lengths beyond the capture are trusted */
	uint8_t skip; /* enum mg_skip: why a well-formed frame was not decoded further */
	/* a switch tag's port (the port a frame came in on, or for frames from the
	 * CPU, the port it leaves by); -1 without a tag */
	int8_t switch_port;

	bool has_mac; /* src_mac is known; dst_mac too unless all zero (cooked, NFLOG) */
	uint8_t src_mac[6], dst_mac[6];
	uint16_t vlan[MG_MAX_VLAN];
	uint8_t vlan_count;
	uint16_t ethertype; /* below 0x0600: an 802.3 length, l2 holds LLC */
	const uint8_t *l2;  /* bytes after the (VLAN-tagged) link header */
	uint32_t l2_len;

	/* ARP (ethertype 0x0806, Ethernet/IPv4 form only) */
	bool is_arp;
	uint16_t arp_op;
	const uint8_t *arp_sha, *arp_spa, *arp_tha, *arp_tpa;

	/* IP */
	uint8_t ip_version; /* 4, 6 or 0 */
	const uint8_t *l3;
	uint32_t l3_len; /* bytes of IP packet present (clipped to the IP length) */
	struct mg_addr src, dst;
	uint8_t ttl;   /* TTL or hop limit */
	uint8_t proto; /* upper-layer protocol after IPv6 extension headers */
	uint16_t ip_id;
	bool is_fragment;    /* any fragment (offset != 0 or MF set) */
	uint16_t frag_off;   /* in bytes */
	uint8_t ip_opt_len;  /* IPv4 options bytes */
	uint8_t ext_hdr_cnt; /* IPv6 extension headers walked */

	/* L4 (only for the first fragment or unfragmented packets) */
	const uint8_t *l4;
	uint32_t l4_len;
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_win;
	uint8_t tcp_opt_len;
	uint8_t icmp_type, icmp_code;
	const uint8_t *payload;
	uint32_t payload_len;
};

/* Decodes @data (@caplen bytes present of a @wirelen-byte frame) of link type
 * @link into @p, which is fully overwritten. Returns MG_ANOM_NONE or the first
 * anomaly met; on an anomaly the layers decoded before it remain valid. */
enum mg_anomaly mg_decode(struct mg_pkt *p, enum mg_link link, const uint8_t *data,
			  uint32_t caplen, uint32_t wirelen, uint64_t ts_us);

#endif

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * MUD files (RFC 8520, ACLs of RFC 8519) and the draft-era variants most real
 * profiles use, read with jansson into a compiled form. Problems name the file,
 * line, column and JSON path; unsupported constructs are warnings, never
 * silently dropped. No fixed-size arrays.
 */
#ifndef MG_MUD_H
#define MG_MUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../capture/decode.h"

enum mg_mud_action { MG_MUD_ACCEPT, MG_MUD_DROP, MG_MUD_REJECT };
enum mg_mud_portop { MG_PORT_ANY, MG_PORT_EQ, MG_PORT_NEQ, MG_PORT_LTE, MG_PORT_GTE,
		     MG_PORT_RANGE };
enum mg_mud_initiated { MG_INIT_ANY, MG_INIT_FROM_DEVICE, MG_INIT_TO_DEVICE };

struct mg_mud_ports {
	uint8_t op; /* enum mg_mud_portop */
	uint16_t lo, hi;
};

struct mg_mud_net {
	bool set;
	struct mg_addr a;
	uint8_t len; /* prefix length over the 128-bit (v4-mapped) address */
};

struct mg_mud_ace {
	char *name;
	uint8_t action;	 /* enum mg_mud_action */
	uint8_t family;	 /* 0 any, 4, 6 */
	int proto;	 /* -1 any */
	int ethertype;	 /* -1 any */
	char *src_dnsname, *dst_dnsname; /* lower case, no trailing dot */
	uint32_t src_dnshash, dst_dnshash; /* mg_mud_name_hash of them */
	struct mg_mud_net src_net, dst_net;
	struct mg_mud_ports sport, dport;
	uint8_t initiated; /* enum mg_mud_initiated */
	int icmp_type, icmp_code; /* -1 any */
	/* MUD abstractions (RFC 8520 section 8) */
	bool local_networks, same_manufacturer, my_controller;
	char *manufacturer, *model, *controller;
	bool disabled; /* holds a match we cannot check: never matches */
};

struct mg_mud_acl {
	char *name, *type;
	struct mg_mud_ace *ace;
	size_t n;
};

#define MG_MUD_PCLASSES 5 /* tcp, udp, icmp, icmpv6, other */

struct mg_mud {
	char *url, *systeminfo, *mfg_name, *model_name, *last_update, *signature;
	int version;
	uint32_t cache_validity_h; /* hours, RFC 8520 default 48 */
	bool is_supported;
	char **from_acl, **to_acl; /* names, in policy order */
	size_t n_from, n_to;
	struct mg_mud_acl *acl;
	size_t n_acl;
	/* compiled: the ACLs of from-device [0] and to-device [1] policy, in order */
	const struct mg_mud_acl **pol[2];
	size_t npol[2];
	/* compiled: per policy and protocol class, the entries that can match a
	 * flow of that class, in policy order (first match wins on a subset) */
	struct mg_mud_list {
		const struct mg_mud_ace **ace;
		const struct mg_mud_acl **acl;
		size_t n;
		/* entries that name the peer (dst-dnsname from the device,
		 * src-dnsname to it) can match only if the peer's address was
		 * answered for that name: sorted by (name hash, position) */
		struct mg_mud_named {
			uint32_t hash, pos;
		} *named;
		size_t nnamed;
		uint8_t *is_named; /* per position */
	} by_proto[2][MG_MUD_PCLASSES];
};

/* The protocol class of IP protocol @proto: an index into by_proto. */
static inline unsigned mg_mud_pclass(int proto)
{
	return proto == 6 ? 0 : proto == 17 ? 1 : proto == 1 ? 2 : proto == 58 ? 3 : 4;
}

/* The hash the matcher compares DNS names by before comparing them. */
static inline uint32_t mg_mud_name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

enum mg_mud_severity { MG_MUD_ERROR, MG_MUD_WARNING };
/* Receives "FILE:LINE:COL: /json/path: message". */
typedef void (*mg_mud_report)(enum mg_mud_severity sev, const char *msg, void *user);

/* Parses @len bytes of @text (named @name in messages). Returns the number of
 * errors (0: *@out is a usable profile, perhaps with warnings reported), or
 * -ENOMEM. On errors *@out is NULL. */
int mg_mud_parse(struct mg_mud **out, const char *name, const char *text, size_t len,
		 mg_mud_report report, void *user);
void mg_mud_free(struct mg_mud *m);

/* Writes @m as an RFC 8520 MUD file (ietf-mud, RFC 8519 ACLs with the acldns
 * and MUD match augmentations); entries whose family is 0 carry no L3 match.
 * Returns 0, -ENOMEM or -EIO. */
int mg_mud_write(FILE *out, const struct mg_mud *m);

/* RFC 8519 names: "any" "eq" "neq" "lte" "gte" "range"; "accept" "drop"
 * "reject". The one table the reader, writer and matcher share. */
const char *mg_mud_port_op_name(enum mg_mud_portop op);
const char *mg_mud_action_name(enum mg_mud_action a);

/* The ACL named @name, or NULL. */
const struct mg_mud_acl *mg_mud_acl_find(const struct mg_mud *m, const char *name);

#endif

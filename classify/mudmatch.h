/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The MUD matcher: is a new flow allowed by a device's compiled profile?
 * Checked once per flow, on its first packet, the way a stateful firewall
 * would apply the profile: a flow the device starts meets the from-device
 * policy (device = source); a flow someone else starts meets the to-device
 * policy (device = destination). Replies are part of the flow and not checked
 * again. What no entry accepts is denied (RFC 8520 section 4).
 *
 * The matcher asks the world through mg_mud_env; it resolves nothing itself.
 */
#ifndef MG_MUDMATCH_H
#define MG_MUDMATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "mud.h"

struct mg_mud_env {
	/* The names the device was answered @a for (lower case, CNAME chains
	 * followed, TTL + grace): up to @max into @out; returns how many. */
	size_t (*dns_names)(void *user, const struct mg_addr *a, const char **out, size_t max);
	/* @a is in the configured local networks. */
	bool (*is_local)(void *user, const struct mg_addr *a);
	/* The MUD URL of the local device at the other end, or NULL. */
	const char *(*peer_url)(void *user);
	/* @a is a controller of class @uri; @uri NULL asks for this device's
	 * my-controller. */
	bool (*controller)(void *user, const char *uri, const struct mg_addr *a);
	void *user;
	const char *own_url; /* this device's MUD URL (same-manufacturer) */
};

struct mg_mud_flow {
	bool from_device; /* the device sent the first packet */
	struct mg_addr dev, peer;
	uint16_t dev_port, peer_port;
	uint8_t proto;
	int icmp_type, icmp_code; /* -1 unless ICMP */
	uint16_t ethertype; /* 0x0800 or 0x86dd: also says the family */
};

#define MG_MUD_WHY_MAX 320

struct mg_mud_verdict {
	bool allowed;
	bool denied_by_entry; /* an explicit drop/reject entry matched */
	/* the deciding entry, or when nothing matched the closest one (NULL if the
	 * policy is empty) */
	const struct mg_mud_acl *acl;
	const struct mg_mud_ace *ace;
	unsigned mismatches; /* of the closest entry */
	char why[MG_MUD_WHY_MAX]; /* what the closest entry wanted, for the analyst */
};

/* Checks @f against @m. Fills @v. Never allocates. */
void mg_mud_check(const struct mg_mud *m, const struct mg_mud_env *env,
		  const struct mg_mud_flow *f, struct mg_mud_verdict *v);

/* The authority (host[:port]) of an https URL, into @out; false if none. */
bool mg_mud_url_authority(const char *url, char *out, size_t len);

/* Is @url an acceptable MUD URL (RFC 8520 section 3.2: https, a host, no
 * user info or fragment, printable ASCII, at most 1024 bytes, no dot segments)?
 * On false @why says what is wrong. */
bool mg_mud_url_valid(const char *url, char *why, size_t len);

#endif

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A set of IPv4/IPv6 prefixes (local networks, never-quarantine lists). */
#ifndef MG_PREFIX_H
#define MG_PREFIX_H

#include <stdbool.h>
#include <stddef.h>

#include "../capture/decode.h"

#define MG_LOCAL_NETS_DEFAULT                                                  \
	"10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16, fc00::/7, fe80::/10"

struct mg_prefixes;

/* Parses a comma- or space-separated list ("10.0.0.0/8, fe80::/10"; a bare
 * address is a host prefix). Returns 0 and sets *@out, or -EINVAL with the
 * offending item named in @err. */
int mg_prefixes_parse(struct mg_prefixes **out, const char *list, char *err, size_t errlen);
/* True if @a lies in one of the prefixes. */
bool mg_prefixes_contain(const struct mg_prefixes *p, const struct mg_addr *a);
/* Frees @p; NULL is allowed. */
void mg_prefixes_free(struct mg_prefixes *p);

/* True for multicast, broadcast and unspecified addresses (no single host). */
bool mg_addr_is_group(const struct mg_addr *a);

#endif

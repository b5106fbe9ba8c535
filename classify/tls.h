/* SPDX-License-Identifier: GPL-3.0-or-later */
/* TLS ClientHello: server name and JA3 fingerprint. */
#ifndef MG_TLS_H
#define MG_TLS_H

#include <stddef.h>
#include <stdint.h>

#define MG_JA3_MAX 1024

struct mg_tls_hello {
	char sni[256];	      /* server_name (host_name), cleaned; "" if absent */
	char alpn[64];	      /* first ALPN protocol, "" if absent */
	char ja3[MG_JA3_MAX]; /* the JA3 string; cut lists end in "..." */
	char ja3_md5[33];     /* lower-case hex MD5 of ja3 */
	uint16_t max_version; /* best version offered: supported_versions, else legacy */
};

/* Parses a TLS record carrying a ClientHello at the start of TCP payload @b.
 * The handshake must be complete in @b (no reassembly across segments).
 * Returns 0, -ENOENT if @b is not a ClientHello, or -EINVAL if malformed. */
int mg_tls_client_hello(const uint8_t *b, uint32_t len, struct mg_tls_hello *h);

/* "1.0" ... "1.3" for a TLS version number (0x0301...), "SSL 3.0", or "0x...". */
const char *mg_tls_version_name(uint16_t v, char *buf, size_t len);

#endif

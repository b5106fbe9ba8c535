/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TLS for Redis connections. Debian 12's hiredis (0.14) has no TLS, so the
 * journal reaches a TLS Redis through a relay: mg_tls_connect makes the TLS
 * connection (OpenSSL; the server's certificate verified against a CA file
 * or the system's store, and its name or address checked) and returns one
 * end of a socket pair that hiredis uses as a plain connection
 * (redisConnectFd); a thread moves the bytes until either side closes. This
 * file's .c is the only one that includes libssl.
 */
#ifndef MG_TLS_H
#define MG_TLS_H

#include <stddef.h>

struct mg_tls_cfg {
	const char *ca;	  /* CA certificates (PEM file); "" = the system's store */
	const char *cert; /* client certificate (PEM), for servers that ask; "" = none */
	const char *key;  /* its private key (PEM) */
};

struct mg_tls;

/* Connects to @host:@port with TLS within about @timeout_ms. Returns the
 * plain end's descriptor and the relay in @out, or -errno with the reason
 * in @err. Closing the descriptor ends the relay; mg_tls_join then waits
 * for it: a relay still running at exit would race OpenSSL's own cleanup. */
int mg_tls_connect(struct mg_tls **out, const char *host, int port, const struct mg_tls_cfg *cfg,
		   unsigned timeout_ms, char *err, size_t errlen);

/* After the descriptor was closed: waits for the relay to end and frees it.
 * NULL is a no-op. */
void mg_tls_join(struct mg_tls *t);

#endif

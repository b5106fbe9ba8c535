/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * HTTPS retrieval of MUD files and signatures with libcurl: https only (also
 * after redirects), bounded size, time and redirects, Accept as given. The
 * one place that includes libcurl. A URL goes to libcurl as data: never to a
 * shell.
 */
#ifndef MG_MUDFETCH_H
#define MG_MUDFETCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct mg_fetch_cfg {
	uint32_t max_bytes, timeout_s, max_redirects;
	const char *ca_file;	/* "" = the system's CAs */
	const char *connect_to; /* "" or curl's HOST:PORT:CONNECT-HOST:CONNECT-PORT, listed */
	/* NULL, or a flag another thread may set: the transfer then ends within
	 * about a second (libcurl's progress callback runs at least once a
	 * second, also while connecting or waiting for a stalled server) */
	const atomic_int *abort;
};

/* Initialises libcurl once per process; 0 or a negative code. */
int mg_fetch_init(void);

/* GETs @url. Returns 0 with a malloc'd, NUL-terminated @body of @len bytes
 * (the caller frees), -ENOENT for HTTP 404/410, -ECANCELED when *abort was
 * set, or another negative code; the reason goes to @err. */
int mg_fetch(const struct mg_fetch_cfg *c, const char *url, const char *accept, char **body,
	     size_t *len, char *err, size_t errlen);

#endif

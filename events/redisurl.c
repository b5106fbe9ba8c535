/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "redisurl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis.h"

/* The query's options: ca, cert, key (file paths for TLS). */
static int parse_query(struct mg_redis_url *r, const char *q, char *err, size_t errlen)
{
	while (*q) {
		size_t n = strcspn(q, "&"), k = strcspn(q, "=&");
		char *dst = NULL;
		size_t cap = 0;
		if (k == 2 && !strncmp(q, "ca", 2))
			dst = r->ca, cap = sizeof(r->ca);
		else if (k == 4 && !strncmp(q, "cert", 4))
			dst = r->cert, cap = sizeof(r->cert);
		else if (k == 3 && !strncmp(q, "key", 3))
			dst = r->key, cap = sizeof(r->key);
		if (!dst || k == n || n - k - 1 >= cap) {
			snprintf(err, errlen, "redis URL: unknown or bad option \"%.*s\" (ca, cert, key)",
				 (int)(n < 64 ? n : 64), q);
			return -EINVAL;
		}
		memcpy(dst, q + k + 1, n - k - 1);
		dst[n - k - 1] = 0;
		q += n + (q[n] == '&');
	}
	if (!r->tls && (r->ca[0] || r->cert[0] || r->key[0])) {
		snprintf(err, errlen, "redis URL: ca, cert and key are for rediss:// (TLS)");
		return -EINVAL;
	}
	return 0;
}

int mg_redis_url_parse(struct mg_redis_url *r, const char *url, char *err, size_t errlen)
{
	char path[64];
	const char *p = url;
	memset(r, 0, sizeof(*r));
	if (!strncmp(p, "rediss://", 9)) {
		r->tls = true;
		p += 9;
	} else if (!strncmp(p, "redis://", 8)) {
		p += 8;
	} else {
		snprintf(err, errlen, "redis URL must start with redis:// or rediss:// (TLS)");
		return -EINVAL;
	}
	const char *query = strchr(p, '?');
	if (query) { /* the options; the rest is parsed up to them */
		int rc = parse_query(r, query + 1, err, errlen);
		if (rc < 0)
			return rc;
	}
	const char *at = strchr(p, '@');
	if (at && query && at > query)
		at = NULL; /* an @ in the options */
	if (at) { /* [user]:password@ */
		const char *colon = memchr(p, ':', (size_t)(at - p));
		size_t ul = colon ? (size_t)(colon - p) : 0;
		const char *pw = colon ? colon + 1 : p;
		size_t pl = (size_t)(at - pw);
		if (ul >= sizeof(r->user) || pl >= sizeof(r->pass)) {
			snprintf(err, errlen, "redis URL: user or password too long");
			return -EINVAL;
		}
		memcpy(r->user, p, ul);
		r->user[ul] = 0;
		memcpy(r->pass, pw, pl);
		r->pass[pl] = 0;
		p = at + 1;
	}
	size_t hl = strcspn(p, ":/?");
	if (!hl || hl >= sizeof(r->host)) {
		snprintf(err, errlen, "redis URL: no host");
		return -EINVAL;
	}
	memcpy(r->host, p, hl);
	r->host[hl] = 0;
	p += hl;
	r->port = 6379;
	if (*p == ':') {
		char *end;
		long port = strtol(p + 1, &end, 10);
		if (end == p + 1 || port < 1 || port > 65535) {
			snprintf(err, errlen, "redis URL: bad port");
			return -EINVAL;
		}
		r->port = (int)port;
		p = end;
	}
	size_t pl = strcspn(p, "?");
	if (pl >= sizeof(path)) {
		snprintf(err, errlen, "redis URL: unexpected \"%.*s\"", (int)(pl < 64 ? pl : 64), p);
		return -EINVAL;
	}
	memcpy(path, p, pl);
	path[pl] = 0;
	if (path[0] == '/' && path[1]) {
		char *end;
		long db = strtol(path + 1, &end, 10);
		if (*end || db < 0 || db > 65535) {
			snprintf(err, errlen, "redis URL: bad database number");
			return -EINVAL;
		}
		r->db = (int)db;
	} else if (path[0] && strcmp(path, "/")) {
		snprintf(err, errlen, "redis URL: unexpected \"%s\"", path);
		return -EINVAL;
	}
	snprintf(r->where, sizeof(r->where), "%s:%d%s", r->host, r->port, r->tls ? " (TLS)" : "");
	return 0;
}

int mg_redis_url_check(const char *url, char *err, size_t errlen)
{
	struct mg_redis_url *u = malloc(sizeof(*u));
	if (!u)
		return -ENOMEM;
	int rc = mg_redis_url_parse(u, url, err, errlen);
	free(u);
	return rc;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A Redis URL: redis://[[user]:password@]host[:port][/db] or
 * rediss://...[?ca=FILE&cert=FILE&key=FILE] (TLS).
 */
#ifndef MG_REDISURL_H
#define MG_REDISURL_H

#include <stdbool.h>
#include <stddef.h>

struct mg_redis_url {
	char host[256], user[128], pass[256];
	char where[300]; /* "host:port", " (TLS)" after it: for messages, never the password */
	int port, db;
	bool tls;			   /* rediss:// */
	char ca[512], cert[512], key[512]; /* ?ca=&cert=&key= */
};

/* Parses @url into @u (cleared first). Returns 0 or -EINVAL with the reason
 * in @err (the password never appears in it). */
int mg_redis_url_parse(struct mg_redis_url *u, const char *url, char *err, size_t errlen);

#endif

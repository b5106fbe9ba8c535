/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The plain client (redis.h), for mudguardctl. */
#include "redis.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "rconn.h"

struct mg_rclient {
	struct mg_rconn conn; /* says nothing: the caller tells of a failure */
};

int mg_rclient_open(struct mg_rclient **out, const char *url, char *err, size_t errlen)
{
	struct mg_rclient *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	if ((rc = mg_redis_url_parse(&c->conn.url, url, err, errlen)) < 0) {
		free(c);
		return rc;
	}
	if (mg_rconn_up(&c->conn) < 0) {
		snprintf(err, errlen, "cannot reach Redis at %s", c->conn.url.where);
		free(c);
		return -ECONNREFUSED;
	}
	*out = c;
	return 0;
}

void mg_rclient_close(struct mg_rclient *c)
{
	if (!c)
		return;
	mg_rconn_close(&c->conn);
	free(c);
}

static redisReply *run_cmd(struct mg_rclient *c, int argc, const char **argv)
{
	redisReply *rep = mg_rconn_cmd(&c->conn, argc, argv);
	if (rep && rep->type == REDIS_REPLY_ERROR) {
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

int mg_rclient_zmembers(struct mg_rclient *c, const char *key,
			void (*cb)(void *user, const char *member), void *user)
{
	const char *argv[] = {"ZRANGE", key, "0", "-1"};
	redisReply *rep = run_cmd(c, 4, argv);
	if (!rep || rep->type != REDIS_REPLY_ARRAY) {
		if (rep)
			freeReplyObject(rep);
		return -EIO;
	}
	for (size_t i = 0; i < rep->elements; i++)
		if (rep->element[i]->type == REDIS_REPLY_STRING)
			cb(user, rep->element[i]->str);
	int n = (int)rep->elements;
	freeReplyObject(rep);
	return n;
}

int mg_rclient_hgetall(struct mg_rclient *c, const char *key,
		       void (*cb)(void *user, const char *field, const char *value), void *user)
{
	const char *argv[] = {"HGETALL", key};
	redisReply *rep = run_cmd(c, 2, argv);
	if (!rep || rep->type != REDIS_REPLY_ARRAY) {
		if (rep)
			freeReplyObject(rep);
		return -EIO;
	}
	for (size_t i = 0; i + 1 < rep->elements; i += 2)
		if (rep->element[i]->type == REDIS_REPLY_STRING &&
		    rep->element[i + 1]->type == REDIS_REPLY_STRING)
			cb(user, rep->element[i]->str, rep->element[i + 1]->str);
	int n = (int)(rep->elements / 2);
	freeReplyObject(rep);
	return n;
}

/* The entries of an XRANGE-shaped array: [id, [field, value, ...]]... */
static int each_entry(redisReply *arr, void (*cb)(void *, const char *, const char *), void *user,
		      char *last)
{
	int n = 0;
	for (size_t i = 0; i < arr->elements; i++) {
		redisReply *e = arr->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING || e->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		redisReply *f = e->element[1];
		for (size_t k = 0; k + 1 < f->elements; k += 2)
			if (f->element[k]->type == REDIS_REPLY_STRING && !strcmp(f->element[k]->str, "event") &&
			    f->element[k + 1]->type == REDIS_REPLY_STRING)
				cb(user, e->element[0]->str, f->element[k + 1]->str);
		snprintf(last, 48, "%s", e->element[0]->str);
		n++;
	}
	return n;
}

int mg_rclient_entries(struct mg_rclient *c, const char *stream, const char *start,
		       const char *end, unsigned count, int rev, unsigned block_ms,
		       void (*cb)(void *user, const char *id, const char *event), void *user,
		       char *last)
{
	char cnt[16], blk[16];
	const char *argv[8];
	int argc = 0;
	redisReply *rep;

	snprintf(cnt, sizeof(cnt), "%u", count ? count : 1000);
	snprintf(blk, sizeof(blk), "%u", block_ms);
	snprintf(last, 48, "%s", start);
	if (block_ms) {
		const char *x[] = {"XREAD", "COUNT", cnt, "BLOCK", blk, "STREAMS", stream, start};
		rep = run_cmd(c, 8, x);
		if (!rep)
			return -EIO;
		int n = 0;
		if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
		    rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements == 2)
			n = each_entry(rep->element[0]->element[1], cb, user, last);
		freeReplyObject(rep);
		return n;
	}
	argv[argc++] = rev ? "XREVRANGE" : "XRANGE";
	argv[argc++] = stream;
	argv[argc++] = rev ? end : start;
	argv[argc++] = rev ? start : end;
	if (count) {
		argv[argc++] = "COUNT";
		argv[argc++] = cnt;
	}
	rep = run_cmd(c, argc, argv);
	if (!rep || rep->type != REDIS_REPLY_ARRAY) {
		if (rep)
			freeReplyObject(rep);
		return -EIO;
	}
	int n = each_entry(rep, cb, user, last);
	freeReplyObject(rep);
	return n;
}

int mg_rclient_xadd(struct mg_rclient *c, const char *stream, unsigned nf,
		    const char *const *fields, const char *const *values, char *id)
{
	const char *argv[3 + 2 * 16] = {"XADD", stream, "*"};
	int argc = 3;
	if (nf > 16)
		return -EINVAL;
	for (unsigned i = 0; i < nf; i++) {
		argv[argc++] = fields[i];
		argv[argc++] = values[i];
	}
	redisReply *rep = run_cmd(c, argc, argv);
	int rc = rep && rep->type == REDIS_REPLY_STRING ? 0 : -EIO;
	if (!rc)
		snprintf(id, 48, "%s", rep->str);
	if (rep)
		freeReplyObject(rep);
	return rc;
}

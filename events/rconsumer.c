/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The consumer group reader (redis.h), for sensors and enforcers. */
#include "redis.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "events.h"
#include "rconn.h"
#include "rkeys.h"

#define CONSUMER_STREAMS 4
#define CONSUMER_FIELDS 16
#define INBOX_MAX 4096 /* entries read and not yet handed: past it, reading waits */

struct msg {
	struct msg *next;
	char stream[64], id[48];
	unsigned nf;
	const char *f[CONSUMER_FIELDS], *v[CONSUMER_FIELDS];
	char data[]; /* the fields and values */
};

struct ack {
	char stream[64], id[48];
};

struct mg_rconsumer {
	struct mg_rconn conn;
	void (*log)(void *, const char *);
	void *log_user;
	char streams[CONSUMER_STREAMS][64];
	char last[CONSUMER_STREAMS][48];   /* the newest entry handed, per stream */
	char cursor[CONSUMER_STREAMS][48]; /* the newest entry read */
	unsigned ns;
	char group[128], consumer[128];
	pthread_t th;
	pthread_mutex_t mu;
	bool stop;
	struct msg *head, *tail; /* read, not yet handed */
	size_t queued;		 /* how many: reading waits past INBOX_MAX */
	struct ack *acks;	 /* handed, to acknowledge */
	size_t nacks, capacks;
	size_t known;
	bool grouped;
};

/* What a reader says of its connection. */
static void note(void *user, const char *where, const char *why)
{
	struct mg_rconsumer *c = user;
	if (why)
		mg_say(c->log, c->log_user,
		       "Redis unreachable at %s (%s): commands and verdicts wait, will keep trying", where,
		       why);
	else
		mg_say(c->log, c->log_user, "Redis back at %s", where);
}

/* Stream ids "MS-SEQ" in order. */
static int id_cmp(const char *a, const char *b)
{
	unsigned long long am = strtoull(a, NULL, 10), bm = strtoull(b, NULL, 10);
	const char *ad = strchr(a, '-'), *bd = strchr(b, '-');
	unsigned long long as = ad ? strtoull(ad + 1, NULL, 10) : 0, bs = bd ? strtoull(bd + 1, NULL, 10) : 0;
	if (am != bm)
		return am < bm ? -1 : 1;
	return as < bs ? -1 : as > bs;
}

/* Queues one entry ([id, [f, v, ...]]) read from stream @k; an entry already
 * handed in this run (read again after a reconnection) is not queued twice. */
static void take(struct mg_rconsumer *c, unsigned k, redisReply *e)
{
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING)
		return;
	const char *id = e->element[0]->str;
	snprintf(c->cursor[k], sizeof(c->cursor[k]), "%s", id);
	if (c->last[k][0] && id_cmp(id, c->last[k]) <= 0)
		return;
	snprintf(c->last[k], sizeof(c->last[k]), "%s", id);
	redisReply *f = e->element[1];
	size_t size = 0;
	unsigned nf = 0;
	if (f->type == REDIS_REPLY_ARRAY) /* nil: the entry was trimmed away; still acknowledged */
		for (size_t i = 0; i + 1 < f->elements && nf < CONSUMER_FIELDS; i += 2, nf++)
			size += f->element[i]->len + f->element[i + 1]->len + 2;
	struct msg *m = calloc(1, sizeof(*m) + size);
	if (!m)
		return;
	snprintf(m->stream, sizeof(m->stream), "%s", c->streams[k]);
	snprintf(m->id, sizeof(m->id), "%s", id);
	char *p = m->data;
	for (unsigned i = 0; i < nf; i++) {
		redisReply *fk = f->element[2 * i], *fv = f->element[2 * i + 1];
		if (fk->type != REDIS_REPLY_STRING || fv->type != REDIS_REPLY_STRING)
			continue;
		m->f[m->nf] = memcpy(p, fk->str, fk->len + 1);
		p += fk->len + 1;
		m->v[m->nf++] = memcpy(p, fv->str, fv->len + 1);
		p += fv->len + 1;
	}
	pthread_mutex_lock(&c->mu);
	if (c->tail)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	c->queued++;
	pthread_mutex_unlock(&c->mu);
}

/* One XREADGROUP: @ids per stream ("0"-style: this consumer's pending entries
 * after it; ">": new ones, waiting @block_ms). Returns the entries or -1. */
static int read_group(struct mg_rconsumer *c, const char *const *ids, unsigned first, unsigned n,
		      unsigned block_ms)
{
	const char *argv[8 + 2 * CONSUMER_STREAMS];
	char blk[16];
	int argc = 0, got = 0;
	argv[argc++] = "XREADGROUP";
	argv[argc++] = "GROUP";
	argv[argc++] = c->group;
	argv[argc++] = c->consumer;
	argv[argc++] = "COUNT";
	argv[argc++] = "256";
	if (block_ms) {
		snprintf(blk, sizeof(blk), "%u", block_ms);
		argv[argc++] = "BLOCK";
		argv[argc++] = blk;
	}
	argv[argc++] = "STREAMS";
	for (unsigned k = first; k < first + n; k++)
		argv[argc++] = c->streams[k];
	for (unsigned k = 0; k < n; k++)
		argv[argc++] = ids[k];
	redisReply *rep = mg_rconn_cmd(&c->conn, argc, argv);
	if (!rep || (rep->type != REDIS_REPLY_ARRAY && rep->type != REDIS_REPLY_NIL)) {
		if (rep && rep->type == REDIS_REPLY_ERROR && strstr(rep->str, "NOGROUP"))
			c->grouped = false; /* the server lost it: make it again */
		if (rep)
			freeReplyObject(rep);
		return -1;
	}
	for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
		redisReply *s = rep->element[i];
		if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 || s->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		unsigned k = first;
		while (k < first + n && strcmp(c->streams[k], s->element[0]->str))
			k++;
		if (k == first + n)
			continue;
		for (size_t j = 0; j < s->element[1]->elements; j++, got++)
			take(c, k, s->element[1]->element[j]);
	}
	freeReplyObject(rep);
	return got;
}

/* Where a new group starts: MG_REDIS_BACKLOG_S before now by the server's
 * clock (stream ids are its milliseconds), so that a reader started for the
 * first time, or after Redis lost its groups, still reads what was asked of
 * it while no reader ran. "$" (the end) if the server does not say. */
static void backlog_start(struct mg_rconsumer *c, char *id, size_t len)
{
	const char *argv[] = {"TIME"};
	redisReply *rep = mg_rconn_cmd(&c->conn, 1, argv);
	unsigned long long ms = 0;
	if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[0]->type == REDIS_REPLY_STRING)
		ms = strtoull(rep->element[0]->str, NULL, 10) * 1000ull;
	if (rep)
		freeReplyObject(rep);
	if (ms > MG_REDIS_BACKLOG_S * 1000ull)
		snprintf(id, len, "%llu-0", ms - MG_REDIS_BACKLOG_S * 1000ull);
	else
		snprintf(id, len, "$");
}

/* Creates the groups and reads this consumer's pending entries again. */
static bool join(struct mg_rconsumer *c)
{
	char start[48];
	backlog_start(c, start, sizeof(start));
	for (unsigned k = 0; k < c->ns; k++) {
		const char *argv[] = {"XGROUP", "CREATE", c->streams[k], c->group, start, "MKSTREAM"};
		redisReply *rep = mg_rconn_cmd(&c->conn, 6, argv);
		bool ok = rep && (rep->type != REDIS_REPLY_ERROR || strstr(rep->str, "BUSYGROUP"));
		if (rep)
			freeReplyObject(rep);
		if (!ok)
			return false;
	}
	for (unsigned k = 0; k < c->ns; k++) {
		snprintf(c->cursor[k], sizeof(c->cursor[k]), "0");
		for (;;) {
			const char *ids[] = {c->cursor[k]};
			int got = read_group(c, ids, k, 1, 0);
			if (got < 0)
				return false;
			if (!got)
				break;
		}
	}
	c->grouped = true;
	return true;
}

/* Room for one more acknowledgement (under the lock). */
static int reserve_ack(struct mg_rconsumer *c)
{
	if (c->nacks < c->capacks)
		return 0;
	size_t cap = c->capacks ? c->capacks * 2 : 64;
	struct ack *a = realloc(c->acks, cap * sizeof(*a));
	if (!a)
		return -ENOMEM;
	c->acks = a;
	c->capacks = cap;
	return 0;
}

static bool send_acks(struct mg_rconsumer *c)
{
	pthread_mutex_lock(&c->mu);
	struct ack *a = c->acks;
	size_t n = c->nacks;
	c->acks = NULL;
	c->nacks = c->capacks = 0;
	pthread_mutex_unlock(&c->mu);
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++) {
		const char *argv[] = {"XACK", a[i].stream, c->group, a[i].id};
		ok = mg_rconn_ok(mg_rconn_cmd(&c->conn, 4, argv));
	}
	if (!ok) { /* keep them for the next connection */
		pthread_mutex_lock(&c->mu);
		for (size_t i = 0; i < n; i++)
			if (reserve_ack(c) == 0)
				c->acks[c->nacks++] = a[i];
		pthread_mutex_unlock(&c->mu);
	}
	free(a);
	return ok;
}

/* A read whose answer was lost (the connection died, Redis was killed after
 * it) may have been handed entries on the server's side: they are this
 * consumer's pending entries, and ">" would never read them again. So the
 * next connection joins again, which reads the pending ones first (those
 * handed already are skipped by take()). */
static void lost_connection(struct mg_rconsumer *c, const char *reason)
{
	mg_rconn_reset(&c->conn, reason);
	c->grouped = false;
}

static void *consumer(void *arg)
{
	struct mg_rconsumer *c = arg;
	mg_rconn_no_sigpipe();
	struct timespec last_count = {0, 0};
	const char *news[CONSUMER_STREAMS] = {">", ">", ">", ">"};

	for (;;) {
		pthread_mutex_lock(&c->mu);
		bool stop = c->stop;
		pthread_mutex_unlock(&c->mu);
		if (stop)
			break;
		if (mg_rconn_up(&c->conn) < 0) {
			struct timespec pause = {0, 200000000};
			nanosleep(&pause, NULL);
			continue;
		}
		if (!c->grouped && !join(c)) {
			lost_connection(c, "cannot join the consumer group");
			continue;
		}
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec != last_count.tv_sec) {
			const char *argv[] = {"ZCARD", MG_REDIS_DEVICES};
			redisReply *rep = mg_rconn_cmd(&c->conn, 2, argv);
			if (rep && rep->type == REDIS_REPLY_INTEGER) {
				pthread_mutex_lock(&c->mu);
				c->known = (size_t)rep->integer;
				pthread_mutex_unlock(&c->mu);
			}
			if (rep)
				freeReplyObject(rep);
			last_count = now;
		}
		pthread_mutex_lock(&c->mu);
		bool full = c->queued >= INBOX_MAX; /* the reader is not taking them (yet) */
		pthread_mutex_unlock(&c->mu);
		if (full) {
			struct timespec pause = {0, 100000000};
			nanosleep(&pause, NULL);
			if (!send_acks(c))
				lost_connection(c, "no answer");
			continue;
		}
		/* a read refused with NOGROUP (the server lost the group, restarted
		 * without its data) leaves the connection up: the group is made
		 * again next round */
		if (!send_acks(c) || (read_group(c, news, 0, c->ns, 200) < 0 && c->grouped))
			lost_connection(c, mg_rconn_error(&c->conn, "no answer"));
	}
	if (c->conn.c)
		send_acks(c); /* what was handed before the stop */
	mg_rconn_close(&c->conn);
	return NULL;
}

int mg_rconsumer_open(struct mg_rconsumer **out, const char *url, const char *const *streams,
		      unsigned n, const char *group, const char *consumer_name,
		      void (*log)(void *user, const char *line), void *log_user, char *err,
		      size_t errlen)
{
	struct mg_rconsumer *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	if (n > CONSUMER_STREAMS || (rc = mg_redis_url_parse(&c->conn.url, url, err, errlen)) < 0) {
		if (n > CONSUMER_STREAMS)
			snprintf(err, errlen, "at most %d streams", CONSUMER_STREAMS);
		free(c);
		return -EINVAL;
	}
	for (unsigned k = 0; k < n; k++)
		snprintf(c->streams[k], sizeof(c->streams[k]), "%s", streams[k]);
	c->ns = n;
	snprintf(c->group, sizeof(c->group), "%s", group);
	snprintf(c->consumer, sizeof(c->consumer), "%s", consumer_name);
	c->log = log;
	c->log_user = log_user;
	c->conn.note = note;
	c->conn.user = c;
	pthread_mutex_init(&c->mu, NULL);
	if ((rc = pthread_create(&c->th, NULL, consumer, c)) != 0) {
		snprintf(err, errlen, "redis consumer: %s", strerror(rc));
		pthread_mutex_destroy(&c->mu);
		free(c);
		return -rc;
	}
	*out = c;
	return 0;
}

void mg_rconsumer_close(struct mg_rconsumer *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->th, NULL);
	while (c->head) { /* read, never handed: read again at the next start */
		struct msg *m = c->head;
		c->head = m->next;
		free(m);
	}
	free(c->acks);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

unsigned mg_rconsumer_poll(struct mg_rconsumer *c, mg_rconsumer_cb cb, void *user)
{
	pthread_mutex_lock(&c->mu);
	struct msg *m = c->head;
	c->head = c->tail = NULL;
	c->queued = 0;
	pthread_mutex_unlock(&c->mu);
	unsigned n = 0;
	while (m) {
		struct msg *next = m->next;
		cb(user, m->stream, m->id, m->nf, m->f, m->v);
		pthread_mutex_lock(&c->mu);
		if (reserve_ack(c) == 0) {
			struct ack *a = &c->acks[c->nacks++];
			snprintf(a->stream, sizeof(a->stream), "%s", m->stream);
			snprintf(a->id, sizeof(a->id), "%s", m->id);
		}
		pthread_mutex_unlock(&c->mu);
		free(m);
		m = next;
		n++;
	}
	return n;
}

size_t mg_rconsumer_known(struct mg_rconsumer *c)
{
	pthread_mutex_lock(&c->mu);
	size_t k = c->known;
	pthread_mutex_unlock(&c->mu);
	return k;
}

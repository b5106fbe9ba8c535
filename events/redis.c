/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "redis.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "events.h"
#include "tls.h"

#define BATCH 256    /* events per transaction */
#define PIPELINE 16  /* transactions in flight */
#define WRITER_ROUND_NS 20000000 /* an event waits at most this long for the writer */
#define WRITER_NICE 10		 /* the writer thread's priority, below the packet path's */

/* Items the writer has sent go back to a pool the packet path takes them
 * from: a malloc on one thread and a free on the other contend for the
 * allocator's lock on every event. Events up to this size are pooled (flow
 * events, the bulk, are under 600 bytes); larger ones are allocated. */
#define ITEM_POOLED 1024
#define POOL_MAX (BATCH * PIPELINE) /* pooled items kept at most (~4 MiB) */

struct item {
	struct item *next; /* in the pool */
	size_t cap;	   /* bytes allocated after the struct */
	uint64_t seq, chain; /* chain: mg_events_chain up to this event, 0 = unknown */
	size_t len;
	char *run, *id, *json; /* in the same allocation */
	char type[24], mac[18];
};

struct resp { /* commands in RESP, to send at once */
	char *b;
	size_t n, cap;
};

struct mg_redis {
	char host[256], user[128], pass[256], stream[128], spool[1024], where[300];
	int port, db;
	bool tls;		       /* rediss:// */
	char ca[512], cert[512], key[512]; /* ?ca=&cert=&key= */
	uint32_t maxlen, spool_max, queue_max, device_ttl;
	void (*log)(void *, const char *);
	void *log_user;

	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item **q;
	size_t head, n;
	struct item *pool; /* sent items, for reuse */
	size_t npool;
	bool stop;
	unsigned wait_ms;
	struct mg_redis_stats st;

	/* the writer's own */
	redisContext *c;
	struct mg_tls *relay; /* rediss://: the TLS relay behind c */
	struct resp out; /* a transaction's commands, formatted */
	char now_s[24], ttl_s[24], old_s[24]; /* device state: now, its TTL, now - TTL */
	char mark_run[240], conflict_run[240];
	uint64_t mark, mark_chain, mark_first; /* the chain at the mark and at event 1 (0: unknown) */
	uint64_t mark_skipped; /* events of mark_run skipped as already there */
	bool mark_valid;
	bool was_down, announced_full, spool_failing;
	uint64_t spool_n;
	time_t next_try;
};

__attribute__((format(printf, 2, 3))) static void say(struct mg_redis *r, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	if (!r->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r->log(r->log_user, line);
}

/* @src into @dst (@cap bytes), cut short if it must be. */
static void copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
}

static size_t item_size(const char *run, const char *id, size_t len)
{
	return strlen(run) + 1 + strlen(id) + 1 + len + 1;
}

/* Fills @it (with room for item_size()). No snprintf: this is the packet path. */
static void item_fill(struct item *it, const char *run, uint64_t seq, const char *id,
		      const char *type, const char *mac, const char *json, size_t len,
		      uint64_t chain)
{
	size_t lr = strlen(run) + 1, li = strlen(id) + 1;
	it->seq = seq;
	it->chain = chain;
	it->len = len;
	it->run = (char *)(it + 1);
	it->id = it->run + lr;
	it->json = it->id + li;
	memcpy(it->run, run, lr);
	memcpy(it->id, id, li);
	memcpy(it->json, json, len);
	it->json[len] = 0;
	copy(it->type, sizeof(it->type), type);
	copy(it->mac, sizeof(it->mac), mac);
}

/* A new item of at least @size bytes. */
static struct item *item_alloc(size_t size)
{
	struct item *it = malloc(sizeof(*it) + size);
	if (it)
		it->cap = size;
	return it;
}

static struct item *item_new(const char *run, uint64_t seq, const char *id, const char *type,
			     const char *mac, const char *json, size_t len, uint64_t chain)
{
	struct item *it = item_alloc(item_size(run, id, len));
	if (it)
		item_fill(it, run, seq, id, type, mac, json, len, chain);
	return it;
}

/* Gives back @n items the writer is done with: to the pool while it has
 * room, else freed. */
static void item_release(struct mg_redis *r, struct item **it, size_t n)
{
	size_t k = 0;
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < n; i++) {
		if (it[i]->cap == ITEM_POOLED && r->npool < POOL_MAX) {
			it[i]->next = r->pool;
			r->pool = it[i];
			r->npool++;
		} else {
			it[k++] = it[i];
		}
	}
	pthread_mutex_unlock(&r->mu);
	for (size_t i = 0; i < k; i++)
		free(it[i]);
}

/* ---- the URL ---- */

/* The query's options: ca, cert, key (file paths for TLS). */
static int parse_query(struct mg_redis *r, const char *q, char *err, size_t errlen)
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

static int parse_url(struct mg_redis *r, const char *url, char *err, size_t errlen)
{
	char path[64];
	const char *p = url;
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

/* ---- the connection ---- */

static redisReply *cmd(struct mg_redis *r, int argc, const char **argv)
{
	return redisCommandArgv(r->c, argc, argv, NULL);
}

/* Closes the connection and ends its TLS relay, if any. */
static void hang_up(struct mg_redis *r)
{
	if (r->c)
		redisFree(r->c);
	r->c = NULL;
	mg_tls_join(r->relay);
	r->relay = NULL;
}

static void disconnect(struct mg_redis *r, const char *reason)
{
	char why[128];
	/* @reason may live in r->c; hiredis' timeout reads as EAGAIN's text */
	snprintf(why, sizeof(why), "%s",
		 strcmp(reason, strerror(EAGAIN)) ? reason : "no answer within 5 s");
	/* a connection given up on (no answer in time: the route may be gone)
	 * is reset, not closed: closed, the kernel would go on retransmitting
	 * what it holds, and a transaction or a read given up on here could
	 * reach Redis seconds later, after the spool's copy of the same events
	 * (or hand entries to a reader that is gone) */
	if (r->c && r->c->fd >= 0 && !r->relay)
		setsockopt(r->c->fd, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0},
			   sizeof(struct linger));
	hang_up(r);
	if (!r->was_down && r->spool[0])
		say(r, "Redis unreachable at %s (%s): spooling events to %s, will keep trying",
		    r->where, why, r->spool);
	else if (!r->was_down)
		say(r, "Redis unreachable at %s (%s): commands and verdicts wait, will keep trying",
		    r->where, why);
	r->was_down = true;
	r->next_try = time(NULL) + 1;
}

static bool ok_reply(redisReply *rep)
{
	bool ok = rep && rep->type != REDIS_REPLY_ERROR;
	if (rep)
		freeReplyObject(rep);
	return ok;
}

static bool connect_redis(struct mg_redis *r)
{
	struct timeval tv = {1, 0};
	char db[16];

	if (r->c)
		return true;
	if (time(NULL) < r->next_try)
		return false;
	if (r->tls) {
		char why[300];
		struct mg_tls_cfg tc = {r->ca, r->cert, r->key};
		int fd = mg_tls_connect(&r->relay, r->host, r->port, &tc, 2000, why, sizeof(why));
		if (fd < 0) {
			disconnect(r, why);
			return false;
		}
		if (!(r->c = redisConnectFd(fd)))
			close(fd); /* else the relay would wait for it for ever */
	} else {
		r->c = redisConnectWithTimeout(r->host, r->port, tv);
	}
	if (!r->c || r->c->err) {
		disconnect(r, r->c ? r->c->errstr : "out of memory");
		return false;
	}
	redisSetTimeout(r->c, (struct timeval){5, 0});
	if (r->pass[0]) {
		const char *a[] = {"AUTH", r->user, r->pass};
		bool user = r->user[0];
		const char *b[] = {"AUTH", r->pass};
		if (!ok_reply(user ? cmd(r, 3, a) : cmd(r, 2, b))) {
			disconnect(r, "AUTH refused"); /* never the password */
			return false;
		}
	}
	snprintf(db, sizeof(db), "%d", r->db);
	const char *sel[] = {"SELECT", db}, *ping = "PING";
	if (r->db && !ok_reply(cmd(r, 2, sel))) {
		disconnect(r, "SELECT refused");
		return false;
	}
	/* answered, or it is not up: a TLS server that wants a client certificate
	 * completes the handshake and only then hangs up */
	if (!ok_reply(cmd(r, 1, &ping))) {
		disconnect(r, r->tls ? "TLS: the server closed the connection after the handshake "
				       "(does it want a client certificate?)"
				     : "no answer to PING");
		return false;
	}
	r->mark_valid = false; /* read the marks again: the server may have lost some */
	if (r->was_down && r->spool[0])
		say(r, "Redis back at %s: sending %" PRIu64 " spooled events", r->where, r->spool_n);
	else if (r->was_down)
		say(r, "Redis back at %s", r->where);
	r->was_down = false;
	return true;
}

static void count(struct mg_redis *r, uint64_t written, uint64_t skipped)
{
	pthread_mutex_lock(&r->mu);
	r->st.sent += written;
	r->st.duplicates += skipped;
	pthread_mutex_unlock(&r->mu);
}

/* The run's mark: "SEQ CHAIN FIRST", the highest number the server holds
 * for it, the chain of the run's lines up to it and up to its first event
 * (hex; a mark of an older version has only SEQ). Read once per run and
 * connection; only this writer moves it. */
static bool mark_of(struct mg_redis *r, const char *run)
{
	if (r->mark_valid && !strcmp(r->mark_run, run))
		return true;
	const char *get[] = {"GET", run};
	redisReply *rep = redisCommandArgv(r->c, 2, get, NULL);
	if (!rep || (rep->type != REDIS_REPLY_STRING && rep->type != REDIS_REPLY_NIL)) {
		if (rep)
			freeReplyObject(rep);
		return false;
	}
	unsigned long long m = 0, chain = 0, first = 0;
	if (rep->type == REDIS_REPLY_STRING)
		sscanf(rep->str, "%llu %llx %llx", &m, &chain, &first);
	freeReplyObject(rep);
	if (strcmp(r->mark_run, run))
		r->mark_skipped = 0;
	r->mark = m;
	r->mark_chain = chain;
	r->mark_first = first;
	snprintf(r->mark_run, sizeof(r->mark_run), "%s", run);
	r->mark_valid = true;
	return true;
}

/* Whether @it, at or below its run's mark, is the event the journal holds:
 * the chains agree where both are known (its first event, and the mark). */
static bool same_run(const struct mg_redis *r, const struct item *it)
{
	if (!it->chain)
		return true; /* spooled by an older version */
	if (it->seq == 1 && r->mark_first && it->chain != r->mark_first)
		return false;
	return it->seq != r->mark || !r->mark_chain || it->chain == r->mark_chain;
}

/* The journal holds another run under @run's name: nothing of this one goes
 * over it. Said once per run; its events are counted, never dropped silently. */
static void conflict(struct mg_redis *r, const char *run)
{
	say(r, "the journal already holds a different run named %s (its mark is at event %" PRIu64
	       "): this run's events are not written over it (counted as conflicts); "
	       "was the journal written by another version, or the run's input changed?",
	    run, r->mark);
	snprintf(r->conflict_run, sizeof(r->conflict_run), "%s", run);
	pthread_mutex_lock(&r->mu);
	r->st.conflicts += r->mark_skipped; /* taken for this run's before */
	r->st.duplicates -= r->mark_skipped;
	pthread_mutex_unlock(&r->mu);
}

/* Reads the answers of the transactions in flight (@ks[i] events and
 * @cmds[i] commands each: MULTI, each command queued, then EXEC's array). */
static bool answers(struct mg_redis *r, const size_t *ks, const size_t *cmds, size_t calls)
{
	for (size_t c = 0; c < calls; c++) {
		for (size_t k = 0; k < cmds[c] + 2; k++) {
			redisReply *rep;
			if (redisGetReply(r->c, (void **)&rep) != REDIS_OK || !rep)
				return false;
			bool last = k == cmds[c] + 1;
			bool ok = rep->type != REDIS_REPLY_ERROR && (!last || rep->type == REDIS_REPLY_ARRAY);
			freeReplyObject(rep);
			if (!ok)
				return false;
		}
		count(r, ks[c], 0);
	}
	return true;
}

/* ---- commands formatted here in RESP, a transaction at a time: hiredis'
 * own formatting (sdscatfmt for every argument) cost the writer more than
 * everything else it does ---- */

static bool resp_room(struct resp *o, size_t more)
{
	if (o->n + more <= o->cap)
		return true;
	size_t cap = o->cap ? o->cap : 65536;
	while (cap < o->n + more)
		cap *= 2;
	char *b = realloc(o->b, cap);
	if (!b)
		return false;
	o->b = b;
	o->cap = cap;
	return true;
}

/* @c, @v in decimal, CRLF (room for them was made). */
static void resp_num(struct resp *o, char c, size_t v)
{
	o->b[o->n++] = c;
	o->n += mg_u64_str(o->b + o->n, v);
	o->b[o->n++] = '\r';
	o->b[o->n++] = '\n';
}

/* Appends a command of @argc arguments (@lens: their lengths, or NULL for
 * C strings). False when out of memory. */
static bool resp_cmd(struct resp *o, int argc, const char *const *argv, const size_t *lens)
{
	if (!resp_room(o, 24))
		return false;
	resp_num(o, '*', (size_t)argc);
	for (int i = 0; i < argc; i++) {
		size_t len = lens ? lens[i] : strlen(argv[i]);
		if (!resp_room(o, len + 26))
			return false;
		resp_num(o, '$', len);
		memcpy(o->b + o->n, argv[i], len);
		o->n += len;
		o->b[o->n++] = '\r';
		o->b[o->n++] = '\n';
	}
	return true;
}

/* The device state an event updates, as commands queued in the transaction:
 * returns how many, or -1. */
static int state(struct mg_redis *r, const struct item *it)
{
	static const char *const kinds[] = {"device",	  "role",    "identity", "mud_binding",
					     "device_summary", "quarantine", "release", "verdict",
					     "command",	  "pin",     "unpin"};
	char key[64];
	bool kept = false;
	int n = 0;

	if (!it->mac[0])
		return 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && !kept; i++)
		kept = !strcmp(it->type, kinds[i]);
	if (!kept)
		return 0;
	snprintf(key, sizeof(key), "mudguard:device:%s", it->mac);
	/* the devices by when they were last written (the server's clock is
	 * what EXPIRE counts on; a replay's packet time is not) */
	const char *zadd[] = {"ZADD", "mudguard:devices", r->now_s, it->mac};
	const char *hset[] = {"HSET", key, it->type, it->json, "last_event", it->id};
	size_t hl[] = {4, strlen(key), strlen(it->type), it->len, 10, strlen(it->id)};
	const char *expire[] = {"EXPIRE", key, r->ttl_s};
	if (!resp_cmd(&r->out, 4, zadd, NULL) || !resp_cmd(&r->out, 6, hset, hl) ||
	    !resp_cmd(&r->out, 3, expire, NULL))
		return -1;
	n = 3;
	/* a registry (quarantines, pins) and its history, or a stream of its own */
	const char *reg = NULL, *hist = NULL;
	bool add = false;
	if (!strcmp(it->type, "quarantine") || !strcmp(it->type, "release")) {
		reg = "mudguard:quarantines";
		hist = "mudguard:quarantine:history";
		add = it->type[0] == 'q';
	} else if (!strcmp(it->type, "pin") || !strcmp(it->type, "unpin")) {
		reg = "mudguard:pins";
		hist = "mudguard:quarantine:history";
		add = it->type[0] == 'p';
	} else if (!strcmp(it->type, "verdict")) {
		hist = MG_REDIS_VERDICTS;
	} else if (!strcmp(it->type, "command")) {
		hist = MG_REDIS_AUDIT;
	}
	if (reg) {
		const char *a[] = {add ? "HSET" : "HDEL", reg, it->mac, it->json};
		size_t al[] = {4, strlen(reg), strlen(it->mac), it->len};
		if (!resp_cmd(&r->out, add ? 4 : 3, a, al))
			return -1;
		n++;
	}
	if (hist) {
		const char *x[] = {"XADD", hist, "*", "mac", it->mac, "id", it->id, "event", it->json};
		size_t xl[] = {4, strlen(hist), 1, 3, strlen(it->mac), 2, strlen(it->id), 5, it->len};
		if (!resp_cmd(&r->out, 9, x, xl))
			return -1;
		n++;
	}
	return n;
}

/* Sends @n events, pipelined, in groups of one run's consecutive events; each
 * group is a transaction of XADDs and the run's new mark, all or nothing.
 * Events at or below the mark are already there (sent before a lost answer,
 * or a run sent again) and are skipped: every event is written once. True
 * when every group was answered. */
static bool send_items(struct mg_redis *r, struct item **it, size_t n)
{
	char maxlen[24], marks[64];
	size_t calls = 0, ks[PIPELINE], cmds[PIPELINE];

	snprintf(maxlen, sizeof(maxlen), "%u", r->maxlen);
	time_t now = time(NULL);
	snprintf(r->now_s, sizeof(r->now_s), "%lld", (long long)now);
	snprintf(r->ttl_s, sizeof(r->ttl_s), "%u", r->device_ttl);
	snprintf(r->old_s, sizeof(r->old_s), "(%lld", (long long)now - r->device_ttl);
	for (size_t i = 0; i < n;) {
		const char *run = it[i]->run;
		size_t k = 0, skipped = 0, nc = 0;
		if (!mark_of(r, run))
			return false;
		if (!strcmp(r->conflict_run, run) || (it[i]->seq <= r->mark && !same_run(r, it[i]))) {
			if (strcmp(r->conflict_run, run))
				conflict(r, run);
			uint64_t lost = 0;
			for (; i < n && !strcmp(it[i]->run, run); i++)
				lost++;
			pthread_mutex_lock(&r->mu);
			r->st.conflicts += lost;
			pthread_mutex_unlock(&r->mu);
			continue;
		}
		const char *multi = "MULTI";
		r->out.n = 0;
		if (!resp_cmd(&r->out, 1, &multi, NULL))
			return false;
		uint64_t mark = r->mark, chain = r->mark_chain;
		for (; i < n && k < BATCH && !strcmp(it[i]->run, run); i++) {
			if (it[i]->seq <= mark) {
				if (!same_run(r, it[i]))
					break; /* the next group says so */
				skipped++;
				continue;
			}
			if (it[i]->seq == 1)
				r->mark_first = it[i]->chain;
			const char *x[] = {"XADD", r->stream, "MAXLEN", "~", maxlen, "*", "id",
					   it[i]->id, "event", it[i]->json};
			size_t xl[] = {4, strlen(r->stream), 6, 1, strlen(maxlen), 1, 2,
				       strlen(it[i]->id), 5, it[i]->len};
			if (!resp_cmd(&r->out, 10, x, xl))
				return false;
			int extra = state(r, it[i]);
			if (extra < 0)
				return false;
			nc += 1 + (size_t)extra;
			mark = it[i]->seq;
			chain = it[i]->chain;
			k++;
		}
		r->mark_skipped += skipped;
		if (nc > k) { /* device state was written: devices idle past the TTL go */
			const char *trim[] = {"ZREMRANGEBYSCORE", "mudguard:devices", "-inf", r->old_s};
			if (!resp_cmd(&r->out, 4, trim, NULL))
				return false;
			nc++;
		}
		snprintf(marks, sizeof(marks), "%" PRIu64 " %" PRIx64 " %" PRIx64, mark, chain,
			 r->mark_first);
		const char *set[] = {"SET", run, marks, "EX", "2592000"}, *exec = "EXEC";
		if (!resp_cmd(&r->out, 5, set, NULL) || !resp_cmd(&r->out, 1, &exec, NULL) ||
		    redisAppendFormattedCommand(r->c, r->out.b, r->out.n) != REDIS_OK)
			return false;
		r->mark = mark; /* as the server will have it once EXEC is answered */
		r->mark_chain = chain;
		if (skipped)
			count(r, 0, skipped);
		cmds[calls] = nc + 1; /* the SET of the mark */
		ks[calls++] = k;
		if (calls == PIPELINE || i == n) {
			if (!answers(r, ks, cmds, calls))
				return false;
			calls = 0;
		}
	}
	return true;
}

/* ---- the spool: one event per line, run, seq, chain (hex), id, type, mac
 * and the JSON, separated by tabs (compact JSON has none); a spool of an
 * older version, without the chain, is still read ---- */

/* @n events could not be spooled: counted, and said once an outage. */
static void spool_failed(struct mg_redis *r, size_t n, int err)
{
	pthread_mutex_lock(&r->mu);
	r->st.spool_dropped += n;
	pthread_mutex_unlock(&r->mu);
	if (!r->spool_failing)
		say(r, "cannot write the spool %s (%s): events dropped (counted) until it can be",
		    r->spool, strerror(err));
	r->spool_failing = true;
}

static void spool_add(struct mg_redis *r, struct item **it, size_t n)
{
	FILE *f = fopen(r->spool, "a");
	if (!f) {
		spool_failed(r, n, errno);
		return;
	}
	/* all of the batch or none of it: a write cut short (the filesystem is
	 * full) is taken back, else its torn last line would be sent */
	off_t end = lseek(fileno(f), 0, SEEK_END);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\t%" PRIu64 "\t%" PRIx64 "\t%s\t%s\t%s\t%s\n", it[i]->run, it[i]->seq,
			it[i]->chain, it[i]->id, it[i]->type, it[i]->mac, it[i]->json);
	if (fflush(f) || ferror(f)) {
		int err = errno;
		if (end >= 0 && ftruncate(fileno(f), end) < 0)
			say(r, "the spool %s may end in a torn line: %s", r->spool, strerror(errno));
		fclose(f);
		spool_failed(r, n, err);
		return;
	}
	fclose(f);
	r->spool_n += n;
	pthread_mutex_lock(&r->mu);
	r->st.spooled += n;
	pthread_mutex_unlock(&r->mu);
	if (r->spool_n <= r->spool_max)
		return;
	/* over the bound: keep the newest nine tenths, drop the oldest */
	FILE *in = fopen(r->spool, "r");
	char tmp[1100], *line = NULL;
	size_t cap = 0;
	uint64_t skip = r->spool_n - r->spool_max * 9ull / 10, kept = 0, seen = 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", r->spool);
	FILE *out = in ? fopen(tmp, "w") : NULL;
	while (out && getline(&line, &cap, in) > 0)
		if (seen++ >= skip) {
			fputs(line, out);
			kept++;
		}
	free(line);
	if (in)
		fclose(in);
	bool written = out && !ferror(out);
	if (out && !fclose(out) && written && !rename(tmp, r->spool)) {
		pthread_mutex_lock(&r->mu);
		r->st.spool_dropped += r->spool_n - kept;
		pthread_mutex_unlock(&r->mu);
		r->spool_n = kept;
		if (!r->announced_full)
			say(r, "spool %s full (%u events): dropping the oldest (counted)", r->spool,
			    r->spool_max);
		r->announced_full = true;
	} else if (out) { /* not rewritten (no room for the copy): kept as it was */
		remove(tmp);
	}
}

/* Sends the spool, in order; removes it when all of it was answered. */
static bool spool_send(struct mg_redis *r)
{
	FILE *f = fopen(r->spool, "r");
	char *line = NULL;
	size_t cap = 0, n = 0;
	struct item *batch[BATCH * PIPELINE];
	bool ok = true;

	if (!f) {
		r->spool_n = 0;
		return true;
	}
	ssize_t len;
	while (ok && (len = getline(&line, &cap, f)) > 0) {
		char *fld[7] = {line}, nochain[] = "0"; /* run, seq, chain, id, type, mac, json */
		int k = 1;
		/* the JSON is the last field and holds no tab: the tabs before its
		 * '{' say which layout the line has */
		char *brace = strchr(line, '{');
		for (char *p = line; k < 7 && (p = strchr(p, '\t')) && (!brace || p < brace); k++) {
			*p++ = 0;
			fld[k] = p;
		}
		if (k == 6) { /* the older layout: no chain */
			memmove(fld + 3, fld + 2, 4 * sizeof(*fld));
			fld[2] = nochain;
			k = 7;
		}
		if (k < 7)
			continue; /* a torn last line */
		const char *run = fld[0], *type = fld[4], *mac = fld[5];
		char *json = fld[6];
		size_t jl = strlen(json);
		if (jl && json[jl - 1] == '\n')
			json[--jl] = 0;
		struct item *it = item_new(run, strtoull(fld[1], NULL, 10), fld[3], type, mac, json, jl,
					   strtoull(fld[2], NULL, 16));
		if (it)
			batch[n++] = it;
		if (n == BATCH * PIPELINE) {
			ok = send_items(r, batch, n);
			for (size_t i = 0; i < n; i++)
				free(batch[i]);
			n = 0;
		}
	}
	if (ok && n)
		ok = send_items(r, batch, n);
	for (size_t i = 0; i < n; i++)
		free(batch[i]);
	free(line);
	fclose(f);
	if (ok) {
		remove(r->spool);
		r->spool_n = 0;
		r->spool_failing = false; /* said again in the next outage */
	}
	return ok;
}

static uint64_t spool_count(const char *path)
{
	FILE *f = fopen(path, "r");
	uint64_t n = 0;
	int c;
	if (!f)
		return 0;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* ---- the writer ---- */

/* A write to a connection the server (or the TLS relay) closed must fail
 * with EPIPE, not kill the process: SIGPIPE is sent to the writing thread,
 * so the threads that talk to Redis block it. */
static void no_sigpipe(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void *writer(void *arg)
{
	struct mg_redis *r = arg;
	no_sigpipe();
	/* the packet path comes first: when the CPU is short, events wait in the
	 * queue (bounded, drops counted) rather than packets in the kernel's
	 * buffer; Linux gives each thread its own nice value */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WRITER_NICE);
	struct item *batch[BATCH * PIPELINE];
	struct timespec give_up = {0, 0};

	for (;;) {
		size_t n = 0;
		bool stopping;
		pthread_mutex_lock(&r->mu);
		if (!r->n && !r->stop) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += WRITER_ROUND_NS;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&r->cv, &r->mu, &ts);
		}
		while (r->n && n < BATCH * PIPELINE) {
			batch[n++] = r->q[r->head];
			r->head = (r->head + 1) % r->queue_max;
			r->n--;
		}
		stopping = r->stop;
		pthread_mutex_unlock(&r->mu);

		if (stopping && !give_up.tv_sec) {
			clock_gettime(CLOCK_MONOTONIC, &give_up);
			give_up.tv_sec += r->wait_ms / 1000 + 1;
		}
		bool up = connect_redis(r);
		if (up && r->spool_n && !spool_send(r)) {
			disconnect(r, "lost while sending the spool");
			up = false;
		}
		if (n) {
			if (up && !r->spool_n && send_items(r, batch, n)) {
				/* sent */
			} else {
				if (up)
					disconnect(r, r->c && r->c->err ? r->c->errstr : "no answer");
				spool_add(r, batch, n);
			}
			item_release(r, batch, n);
		}
		if (stopping) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			pthread_mutex_lock(&r->mu);
			bool empty = !r->n;
			pthread_mutex_unlock(&r->mu);
			if (empty && (!r->spool_n || now.tv_sec >= give_up.tv_sec))
				break;
			if (!up) {
				struct timespec pause = {0, 100000000};
				nanosleep(&pause, NULL);
			}
		}
	}
	hang_up(r);
	return NULL;
}

int mg_redis_url_check(const char *url, char *err, size_t errlen)
{
	struct mg_redis *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	int rc = parse_url(r, url, err, errlen);
	free(r);
	return rc;
}

int mg_redis_open(struct mg_redis **out, const struct mg_redis_cfg *cfg, char *err,
		  size_t errlen)
{
	struct mg_redis *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return -ENOMEM;
	if ((rc = parse_url(r, cfg->url, err, errlen)) < 0) {
		free(r);
		return rc;
	}
	snprintf(r->stream, sizeof(r->stream), "%s", cfg->stream);
	snprintf(r->spool, sizeof(r->spool), "%s", cfg->spool);
	r->maxlen = cfg->maxlen;
	r->device_ttl = cfg->device_ttl ? cfg->device_ttl : 2592000;
	r->spool_max = cfg->spool_max ? cfg->spool_max : 1;
	r->queue_max = cfg->queue_max ? cfg->queue_max : 1;
	r->log = cfg->log;
	r->log_user = cfg->log_user;
	r->spool_n = spool_count(r->spool);
	if (!(r->q = calloc(r->queue_max, sizeof(*r->q)))) {
		free(r);
		return -ENOMEM;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if ((rc = pthread_create(&r->th, NULL, writer, r)) != 0) {
		snprintf(err, errlen, "redis writer: %s", strerror(rc));
		free(r->q);
		free(r);
		return -rc;
	}
	*out = r;
	return 0;
}

void mg_redis_push(struct mg_redis *r, const char *run, uint64_t seq, const char *id,
		   const char *type, const char *mac, const char *json, size_t len, uint64_t chain)
{
	size_t size = item_size(run, id, len);
	struct item *it = NULL;
	pthread_mutex_lock(&r->mu);
	if (r->n < r->queue_max) {
		if (size > ITEM_POOLED) {
			it = item_alloc(size);
		} else if (r->pool) {
			it = r->pool;
			r->pool = it->next;
			r->npool--;
		} else {
			it = item_alloc(ITEM_POOLED);
		}
	}
	if (!it) {
		r->st.queue_dropped++;
		pthread_mutex_unlock(&r->mu);
		return;
	}
	item_fill(it, run, seq, id, type, mac, json, len, chain);
	r->q[(r->head + r->n) % r->queue_max] = it;
	r->n++;
	r->st.queued++;
	/* the writer is woken by a full batch; a few events wait for its next
	 * round (WRITER_ROUND_NS): one wake-up per event would cost a context
	 * switch each, more than the event itself */
	if (r->n % BATCH == 0)
		pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

void mg_redis_close(struct mg_redis *r, unsigned wait_ms, struct mg_redis_stats *st)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	r->wait_ms = wait_ms;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->th, NULL);
	if (st)
		*st = r->st;
	while (r->n) { /* only if the writer gave up with events queued */
		free(r->q[r->head]);
		r->head = (r->head + 1) % r->queue_max;
		r->n--;
	}
	while (r->pool) {
		struct item *next = r->pool->next;
		free(r->pool);
		r->pool = next;
	}
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r->out.b);
	free(r->q);
	free(r);
}

/* ---- the plain client ---- */

struct mg_rclient {
	struct mg_redis cfg; /* only the connection fields are used */
};

int mg_rclient_open(struct mg_rclient **out, const char *url, char *err, size_t errlen)
{
	struct mg_rclient *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	if ((rc = parse_url(&c->cfg, url, err, errlen)) < 0) {
		free(c);
		return rc;
	}
	if (!connect_redis(&c->cfg)) {
		snprintf(err, errlen, "cannot reach Redis at %s", c->cfg.where);
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
	hang_up(&c->cfg);
	free(c);
}

static redisReply *run_cmd(struct mg_rclient *c, int argc, const char **argv)
{
	redisReply *rep = redisCommandArgv(c->cfg.c, argc, argv, NULL);
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

/* ---- the consumer group reader ---- */

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
	struct mg_redis conn; /* the connection fields and the log */
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
	redisReply *rep = redisCommandArgv(c->conn.c, argc, argv, NULL);
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
	redisReply *rep = redisCommandArgv(c->conn.c, 1, argv, NULL);
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
		redisReply *rep = redisCommandArgv(c->conn.c, 6, argv, NULL);
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
		ok = ok_reply(redisCommandArgv(c->conn.c, 4, argv, NULL));
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
	disconnect(&c->conn, reason);
	c->grouped = false;
}

static void *consumer(void *arg)
{
	struct mg_rconsumer *c = arg;
	no_sigpipe();
	struct timespec last_count = {0, 0};
	const char *news[CONSUMER_STREAMS] = {">", ">", ">", ">"};

	for (;;) {
		pthread_mutex_lock(&c->mu);
		bool stop = c->stop;
		pthread_mutex_unlock(&c->mu);
		if (stop)
			break;
		if (!connect_redis(&c->conn)) {
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
			const char *argv[] = {"ZCARD", "mudguard:devices"};
			redisReply *rep = redisCommandArgv(c->conn.c, 2, argv, NULL);
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
			lost_connection(c, c->conn.c && c->conn.c->err ? c->conn.c->errstr : "no answer");
	}
	if (c->conn.c)
		send_acks(c); /* what was handed before the stop */
	hang_up(&c->conn);
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
	if (n > CONSUMER_STREAMS || (rc = parse_url(&c->conn, url, err, errlen)) < 0) {
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
	c->conn.log = log;
	c->conn.log_user = log_user;
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

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The journal's writer (redis.h): the queue from the packet path and its
 * pool of items, the transactions (events, device state from devstate.c,
 * the runs' marks), the spool's line format (spool.c keeps the file), on a
 * connection of rconn.c.
 */
#include "redis.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "devstate.h"
#include "events.h"
#include "rconn.h"
#include "resp.h"
#include "spool.h"

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
	uint64_t seq, chain; /* chain: the events sink's chain up to this event, 0 = unknown */
	size_t len;
	char *run, *id, *json; /* in the same allocation */
	char type[24], mac[18];
};

struct mg_redis {
	char stream[128];
	uint32_t maxlen, queue_max, device_ttl;
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
	struct mg_rconn conn;
	struct mg_spool spool;
	struct mg_resp out; /* a transaction's commands, formatted */
	struct mg_devstate clock;
	char mark_run[240], conflict_run[240];
	uint64_t mark, mark_chain, mark_first; /* the chain at the mark and at event 1 (0: unknown) */
	uint64_t mark_skipped; /* events of mark_run skipped as already there */
	bool mark_valid;
};

#define say(r, ...) mg_say((r)->log, (r)->log_user, __VA_ARGS__)

/* What the journal says of its connection. */
static void note(void *user, const char *where, const char *why)
{
	struct mg_redis *r = user;
	if (why && r->spool.path[0])
		say(r, "Redis unreachable at %s (%s): spooling events to %s, will keep trying", where,
		    why, r->spool.path);
	else if (why)
		say(r, "Redis unreachable at %s (%s): commands and verdicts wait, will keep trying",
		    where, why);
	else if (r->spool.path[0])
		say(r, "Redis back at %s: sending %" PRIu64 " spooled events", where, r->spool.n);
	else
		say(r, "Redis back at %s", where);
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

/* ---- the transactions ---- */

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
	redisReply *rep = redisCommandArgv(r->conn.c, 2, get, NULL);
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
			if (redisGetReply(r->conn.c, (void **)&rep) != REDIS_OK || !rep)
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
	mg_devstate_time(&r->clock, now, r->device_ttl);
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
		if (!mg_resp_cmd(&r->out, 1, &multi, NULL))
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
			if (!mg_resp_cmd(&r->out, 10, x, xl))
				return false;
			int extra = mg_devstate_cmds(&r->clock, &r->out, it[i]->type, it[i]->mac,
						     it[i]->id, it[i]->json, it[i]->len);
			if (extra < 0)
				return false;
			nc += 1 + (size_t)extra;
			mark = it[i]->seq;
			chain = it[i]->chain;
			k++;
		}
		r->mark_skipped += skipped;
		if (nc > k) { /* device state was written: devices idle past the TTL go */
			if (!mg_devstate_trim(&r->clock, &r->out))
				return false;
			nc++;
		}
		snprintf(marks, sizeof(marks), "%" PRIu64 " %" PRIx64 " %" PRIx64, mark, chain,
			 r->mark_first);
		const char *set[] = {"SET", run, marks, "EX", "2592000"}, *exec = "EXEC";
		if (!mg_resp_cmd(&r->out, 5, set, NULL) || !mg_resp_cmd(&r->out, 1, &exec, NULL) ||
		    redisAppendFormattedCommand(r->conn.c, r->out.b, r->out.n) != REDIS_OK)
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

static void spool_line(void *user, size_t i, FILE *f)
{
	struct item *const *it = user;
	fprintf(f, "%s\t%" PRIu64 "\t%" PRIx64 "\t%s\t%s\t%s\t%s\n", it[i]->run, it[i]->seq,
		it[i]->chain, it[i]->id, it[i]->type, it[i]->mac, it[i]->json);
}

static void spool_add(struct mg_redis *r, struct item **it, size_t n)
{
	uint64_t spooled, dropped;
	mg_spool_add(&r->spool, n, spool_line, it, &spooled, &dropped);
	pthread_mutex_lock(&r->mu);
	r->st.spooled += spooled;
	r->st.spool_dropped += dropped;
	pthread_mutex_unlock(&r->mu);
}

struct unspool {
	struct mg_redis *r;
	bool ok;
	size_t n;
	struct item *batch[BATCH * PIPELINE];
};

/* One spooled line: sent with the others of its batch. */
static bool unspool_line(void *user, char *line)
{
	struct unspool *u = user;
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
		return u->ok; /* a torn last line */
	const char *run = fld[0], *type = fld[4], *mac = fld[5];
	char *json = fld[6];
	size_t jl = strlen(json);
	if (jl && json[jl - 1] == '\n')
		json[--jl] = 0;
	struct item *it = item_new(run, strtoull(fld[1], NULL, 10), fld[3], type, mac, json, jl,
				   strtoull(fld[2], NULL, 16));
	if (it)
		u->batch[u->n++] = it;
	if (u->n == BATCH * PIPELINE) {
		u->ok = send_items(u->r, u->batch, u->n);
		for (size_t i = 0; i < u->n; i++)
			free(u->batch[i]);
		u->n = 0;
	}
	return u->ok;
}

/* Sends the spool, in order; removes it when all of it was answered. */
static bool spool_send(struct mg_redis *r)
{
	struct unspool u = {r, true, 0, {NULL}};
	if (!mg_spool_each(&r->spool, unspool_line, &u))
		return true;
	if (u.ok && u.n)
		u.ok = send_items(r, u.batch, u.n);
	for (size_t i = 0; i < u.n; i++)
		free(u.batch[i]);
	if (u.ok)
		mg_spool_clear(&r->spool);
	return u.ok;
}

/* ---- the writer ---- */

static void *writer(void *arg)
{
	struct mg_redis *r = arg;
	mg_rconn_no_sigpipe();
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
		int conn = mg_rconn_up(&r->conn);
		if (conn > 0)
			r->mark_valid = false; /* read the marks again: the server may have lost some */
		bool up = conn >= 0;
		if (up && r->spool.n && !spool_send(r)) {
			mg_rconn_reset(&r->conn, "lost while sending the spool");
			up = false;
		}
		if (n) {
			if (up && !r->spool.n && send_items(r, batch, n)) {
				/* sent */
			} else {
				if (up)
					mg_rconn_reset(&r->conn, mg_rconn_error(&r->conn, "no answer"));
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
			if (empty && (!r->spool.n || now.tv_sec >= give_up.tv_sec))
				break;
			if (!up) {
				struct timespec pause = {0, 100000000};
				nanosleep(&pause, NULL);
			}
		}
	}
	mg_rconn_close(&r->conn);
	return NULL;
}

int mg_redis_open(struct mg_redis **out, const struct mg_redis_cfg *cfg, char *err,
		  size_t errlen)
{
	struct mg_redis *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return -ENOMEM;
	if ((rc = mg_redis_url_parse(&r->conn.url, cfg->url, err, errlen)) < 0) {
		free(r);
		return rc;
	}
	r->conn.note = note;
	r->conn.user = r;
	snprintf(r->stream, sizeof(r->stream), "%s", cfg->stream);
	r->maxlen = cfg->maxlen;
	r->device_ttl = cfg->device_ttl ? cfg->device_ttl : 2592000;
	r->queue_max = cfg->queue_max ? cfg->queue_max : 1;
	r->log = cfg->log;
	r->log_user = cfg->log_user;
	mg_spool_init(&r->spool, cfg->spool, cfg->spool_max ? cfg->spool_max : 1, cfg->log,
		      cfg->log_user);
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
	mg_resp_free(&r->out);
	free(r->q);
	free(r);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "mudstore.h"

#include "../common/hash.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linefile.h"
#include "mudfetch.h"
#include "mudmatch.h"
#include "mudsig.h"

struct loaded {
	char *text;
	size_t len;
	struct mg_mud *mud;
	unsigned warnings;
	char warning[512], error[1024];
};

/* One retrieval for the workers. @r is the worker's own: its url (a copy),
 * origin, signature and error are what the retrieval found; @p is the entry
 * it is for, which only the packet thread reads or writes. */
struct job {
	struct job *next;
	struct mg_mudprof *p;
	struct mg_mudprof r;
	struct loaded l;
	int rc;
};

struct mg_mudstore {
	struct mg_mudstore_cfg cfg;
	struct mg_mudsig *sig;
	struct mg_mudprof **e;
	size_t n;

	/* Asynchronous retrieval (mg_mudstore_async). The entries (e, n and every
	 * mg_mudprof) belong to the thread that calls mg_mudstore_get and
	 * mg_mudstore_poll; the workers see only their jobs, the configuration
	 * and the trust store, which nobody changes after mg_mudstore_new. */
	bool async;
	unsigned nthreads;
	pthread_t th[MG_MUDSTORE_WORKERS];
	pthread_mutex_t mu; /* guards todo and done */
	pthread_cond_t cv;  /* a job on todo, or stop */
	pthread_mutex_t sig_mu; /* one signature check at a time (OpenSSL's store is shared) */
	struct job *todo, **todo_tail, *done, **done_tail;
	atomic_int stop;
	atomic_uint n_done; /* jobs on done: the packet thread looks without locking */
	unsigned inflight;  /* jobs queued, running or done and not installed yet */
	size_t waiting;	    /* entries waiting for room in the queue */
	struct mg_mudstore_stats st;
};

void mg_mudstore_expire(struct mg_mudstore *s)
{
	for (size_t i = 0; i < s->n; i++)
		s->e[i]->expires_us = 0;
}

int mg_mudstore_new(struct mg_mudstore **out, const struct mg_mudstore_cfg *cfg, char *err,
		    size_t errlen)
{
	struct mg_mudstore *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_mutex_init(&s->sig_mu, NULL);
	s->todo_tail = &s->todo;
	s->done_tail = &s->done;
	if (cfg->trust_anchors[0] &&
	    (rc = mg_mudsig_new(&s->sig, cfg->trust_anchors, cfg->check_time, err, errlen)) < 0)
		goto fail;
	if (cfg->fetch && (rc = mg_fetch_init()) < 0) {
		snprintf(err, errlen, "cannot initialise libcurl");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	mg_mudstore_free(s);
	return rc;
}

__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t len, const char *fmt,
							  ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}
#define PERR(p, ...) say((p)->error, sizeof((p)->error), __VA_ARGS__)

static void free_prof(struct mg_mudprof *p)
{
	if (!p)
		return;
	free(p->url);
	mg_mud_free(p->mud);
	free(p);
}

static void free_jobs(struct job *j)
{
	while (j) {
		struct job *next = j->next;
		free(j->r.url);
		mg_mud_free(j->r.mud);
		mg_mud_free(j->l.mud);
		free(j->l.text);
		free(j);
		j = next;
	}
}

void mg_mudstore_cancel(struct mg_mudstore *s)
{
	atomic_store(&s->stop, 1); /* lock-free: safe in a signal handler */
}

void mg_mudstore_stop(struct mg_mudstore *s)
{
	if (!s || !s->nthreads)
		return;
	pthread_mutex_lock(&s->mu);
	atomic_store(&s->stop, 1);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void mg_mudstore_free(struct mg_mudstore *s)
{
	if (!s)
		return;
	mg_mudstore_stop(s);
	for (unsigned i = 0; i < s->nthreads; i++)
		pthread_join(s->th[i], NULL);
	free_jobs(s->todo);
	free_jobs(s->done);
	for (size_t i = 0; i < s->n; i++)
		free_prof(s->e[i]);
	free(s->e);
	mg_mudsig_free(s->sig);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->sig_mu);
	free(s);
}

/* The signature's URL: mud-signature if the file names one, else the MUD URL
 * with .json replaced by .p7s, or with .p7s appended. */
static void sig_url(const struct mg_mud *m, const char *url, char *out, size_t len)
{
	size_t n = strlen(url);
	if (m && m->signature)
		snprintf(out, len, "%s", m->signature);
	else if (n > 5 && !strcmp(url + n - 5, ".json"))
		snprintf(out, len, "%.*s.p7s", (int)(n - 5), url);
	else
		snprintf(out, len, "%s.p7s", url);
}

static bool repo_path(const struct mg_mudstore *s, const char *url, char *out, size_t len)
{
	char why[128];
	if (!s->cfg.repository[0] || !mg_mud_url_valid(url, why, sizeof(why)))
		return false;
	return (size_t)snprintf(out, len, "%s/%s", s->cfg.repository, url + 8) < len;
}

static void on_problem(enum mg_mud_severity sev, const char *msg, void *user)
{
	struct loaded *l = user;
	if (sev == MG_MUD_WARNING) {
		if (!l->warnings++)
			say(l->warning, sizeof(l->warning), "%s", msg);
	} else if (!l->error[0]) {
		say(l->error, sizeof(l->error), "%s", msg);
	}
}

/* Checks the signature @sig over @l->text; fills p->signature. Returns 0 if
 * acceptable (verified, or absent/unverifiable and @need false). */
static int check_sig(struct mg_mudstore *s, struct mg_mudprof *p, const struct loaded *l,
		     const char *sig, size_t siglen, bool need)
{
	char msg[400];

	if (!sig) {
		snprintf(p->signature, sizeof(p->signature), "absent");
		if (need)
			PERR(p, "no signature, and one is required");
		return need ? -EBADMSG : 0;
	}
	if (!s->sig) {
		snprintf(p->signature, sizeof(p->signature),
			 "not checked: no trust anchors configured");
		if (need)
			PERR(p, "a signature is required and no trust anchors are configured");
		return need ? -EBADMSG : 0;
	}
	pthread_mutex_lock(&s->sig_mu);
	int vrc = mg_mudsig_verify(s->sig, l->text, l->len, sig, siglen, msg, sizeof(msg));
	pthread_mutex_unlock(&s->sig_mu);
	if (vrc < 0) {
		say(p->signature, sizeof(p->signature), "failed: %s", msg);
		PERR(p, "bad signature: %s", msg);
		return -EBADMSG; /* a bad signature is never ignored */
	}
	say(p->signature, sizeof(p->signature), "verified: %s", msg);
	return 0;
}

/* Parses @l->text as @name; -EINVAL with p->error on errors. */
static int parse(struct mg_mudprof *p, struct loaded *l, const char *name)
{
	int rc = mg_mud_parse(&l->mud, name, l->text, l->len, on_problem, l);
	if (rc == -ENOMEM) {
		PERR(p, "out of memory");
		return rc;
	}
	if (rc) {
		PERR(p, "%s", l->error);
		return -EINVAL;
	}
	return 0;
}

/* 0 loaded into @l, -ENOENT not in the repository, other: p->error says. */
static int from_repository(struct mg_mudstore *s, struct mg_mudprof *p, struct loaded *l)
{
	char path[2048], spath[2048], surl[1100];
	int rc;

	if (!repo_path(s, p->url, path, sizeof(path)))
		return -ENOENT;
	rc = mg_read_file(path, s->cfg.max_bytes, &l->text, &l->len);
	if (rc == -ENOENT)
		return rc;
	if (rc < 0) {
		PERR(p, "%s: %s", path,
			 rc == -EFBIG ? "file too large" : strerror(-rc));
		return rc;
	}
	say(p->origin, sizeof(p->origin), "repository %s", path);
	if ((rc = parse(p, l, path)) < 0)
		return rc;
	sig_url(l->mud, p->url, surl, sizeof(surl));
	char *sig = NULL;
	size_t siglen = 0;
	if (repo_path(s, surl, spath, sizeof(spath)) &&
	    (rc = mg_read_file(spath, 1 << 20, &sig, &siglen)) < 0 && rc != -ENOENT) {
		PERR(p, "%s: %s", spath, strerror(-rc));
		return rc;
	}
	rc = check_sig(s, p, l, sig, siglen, false);
	free(sig);
	return rc;
}

static int from_https(struct mg_mudstore *s, struct mg_mudprof *p, struct loaded *l)
{
	struct mg_fetch_cfg fc = {s->cfg.max_bytes, s->cfg.timeout_s, s->cfg.max_redirects,
				  s->cfg.ca_file, s->cfg.connect_to, &s->stop};
	char why[512], surl[1100];
	int rc;

	snprintf(p->origin, sizeof(p->origin), "https");
	if ((rc = mg_fetch(&fc, p->url, "application/mud+json", &l->text, &l->len, why,
			   sizeof(why))) < 0) {
		PERR(p, "fetching %s: %s", p->url, why);
		return rc;
	}
	if ((rc = parse(p, l, p->url)) < 0)
		return rc;
	sig_url(l->mud, p->url, surl, sizeof(surl));
	if (!mg_mud_url_valid(surl, why, sizeof(why))) {
		PERR(p, "signature URL %s: %s", surl, why);
		return -EINVAL;
	}
	char *sig = NULL;
	size_t siglen = 0;
	rc = mg_fetch(&fc, surl, "application/pkcs7-signature", &sig, &siglen, why, sizeof(why));
	if (rc < 0 && rc != -ENOENT) {
		PERR(p, "fetching %s: %s", surl, why);
		return rc;
	}
	rc = check_sig(s, p, l, sig, siglen, s->cfg.require_signature);
	free(sig);
	return rc;
}

/* Retrieves r->url into @l, with what it found in r->origin, r->signature
 * and r->error. Reads the configuration and the trust store, and no entry:
 * the workers call it. */
static int retrieve(struct mg_mudstore *s, struct mg_mudprof *r, struct loaded *l)
{
	int rc = from_repository(s, r, l);
	if (rc == -ENOENT) {
		if (s->cfg.fetch) {
			rc = from_https(s, r, l);
		} else {
			snprintf(r->origin, sizeof(r->origin), "none");
			PERR(r, "not in the repository%s%s, and fetching is off",
			     s->cfg.repository[0] ? " " : "", s->cfg.repository);
		}
	}
	if (rc == 0 && strcmp(l->mud->url ? l->mud->url : "", r->url) && !l->warnings++)
		say(l->warning, sizeof(l->warning), "the file's mud-url is %s",
		    l->mud->url ? l->mud->url : "missing");
	return rc;
}

/* Puts what retrieve found (@rc, @r, @l) into the entry @p at @now_us; frees
 * what @l holds. */
static void install(struct mg_mudstore *s, struct mg_mudprof *p, const struct mg_mudprof *r,
		    struct loaded *l, int rc, uint64_t now_us)
{
	if (r->origin[0])
		memcpy(p->origin, r->origin, sizeof(p->origin));
	memcpy(p->signature, r->signature, sizeof(p->signature));
	if (rc == 0) {
		memcpy(p->error, r->error, sizeof(p->error));
		mg_mud_free(p->mud);
		p->mud = l->mud;
		l->mud = NULL;
		p->warnings = l->warnings;
		say(p->warning, sizeof(p->warning), "%s", l->warning);
		p->loaded_us = now_us;
		p->expires_us = now_us + (uint64_t)p->mud->cache_validity_h * 3600u * 1000000u;
		/* a refresh that reads the same bytes, signed the same way, is no
		 * change (a reload reads every profile again) */
		uint64_t digest = mg_fnv1a(mg_fnv1a(MG_FNV_INIT, l->text, l->len), p->signature,
					   strlen(p->signature));
		if (!p->version || digest != p->digest)
			p->version++;
		p->digest = digest;
	} else {
		/* keep a profile we had; try again after retry_s */
		PERR(p, "%s%s", r->error, p->mud ? " (the previous profile stays in force)" : "");
		p->expires_us = now_us + (uint64_t)s->cfg.retry_s * 1000000u;
	}
	mg_mud_free(l->mud);
	l->mud = NULL;
	free(l->text);
	l->text = NULL;
}

static void load(struct mg_mudstore *s, struct mg_mudprof *p, uint64_t now_us)
{
	struct mg_mudprof r = {.url = p->url};
	struct loaded l = {0};

	install(s, p, &r, &l, retrieve(s, &r, &l), now_us);
}

/* ---- asynchronous retrieval ---- */

static void *worker(void *arg)
{
	struct mg_mudstore *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->todo && !atomic_load(&s->stop))
			pthread_cond_wait(&s->cv, &s->mu);
		if (atomic_load(&s->stop))
			break;
		struct job *j = s->todo;
		if (!(s->todo = j->next))
			s->todo_tail = &s->todo;
		pthread_mutex_unlock(&s->mu);
		j->rc = retrieve(s, &j->r, &j->l);
		pthread_mutex_lock(&s->mu);
		j->next = NULL;
		*s->done_tail = j;
		s->done_tail = &j->next;
		atomic_fetch_add_explicit(&s->n_done, 1, memory_order_release);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int mg_mudstore_async(struct mg_mudstore *s, char *err, size_t errlen)
{
	sigset_t all, old;
	int rc = 0;

	if (s->nthreads)
		return 0;
	s->async = true;
	/* signals are for the packet thread: it decides when to stop */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (s->nthreads < MG_MUDSTORE_WORKERS &&
	       !(rc = pthread_create(&s->th[s->nthreads], NULL, worker, s)))
		s->nthreads++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->nthreads) {
		s->async = false;
		snprintf(err, errlen, "cannot start a MUD retrieval thread: %s", strerror(rc));
		return -rc;
	}
	return 0;
}

/* Queues a retrieval of @p; when the queue is full (or memory short), @p
 * waits and mg_mudstore_poll queues it when there is room. */
static void request(struct mg_mudstore *s, struct mg_mudprof *p)
{
	struct job *j = NULL;

	if (s->inflight >= MG_MUDSTORE_QUEUE || !(j = calloc(1, sizeof(*j))) ||
	    !(j->r.url = strdup(p->url))) {
		free(j);
		if (!p->waiting) {
			p->waiting = true;
			s->waiting++;
			s->st.queue_full++;
		}
		return;
	}
	if (p->waiting) {
		p->waiting = false;
		s->waiting--;
	}
	j->p = p;
	p->loading = true;
	s->inflight++;
	s->st.queued++;
	pthread_mutex_lock(&s->mu);
	*s->todo_tail = j;
	s->todo_tail = &j->next;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

size_t mg_mudstore_poll(struct mg_mudstore *s, uint64_t now_us, mg_mudstore_done_fn done,
			void *user)
{
	size_t n = 0;

	if (!s->async)
		return 0;
	if (atomic_load_explicit(&s->n_done, memory_order_acquire)) {
		pthread_mutex_lock(&s->mu);
		struct job *j = s->done;
		s->done = NULL;
		s->done_tail = &s->done;
		atomic_store(&s->n_done, 0);
		pthread_mutex_unlock(&s->mu);
		while (j) {
			struct job *next = j->next;
			struct mg_mudprof *p = j->p;
			install(s, p, &j->r, &j->l, j->rc, now_us);
			p->loading = p->pending = false;
			s->inflight--;
			s->st.completed++;
			j->next = NULL;
			free_jobs(j);
			if (done)
				done(user, p);
			n++;
			j = next;
		}
	}
	for (size_t i = 0; i < s->n && s->waiting && s->inflight < MG_MUDSTORE_QUEUE; i++)
		if (s->e[i]->waiting)
			request(s, s->e[i]);
	return n;
}

void mg_mudstore_stats(const struct mg_mudstore *s, struct mg_mudstore_stats *st)
{
	*st = s->st;
	st->in_flight = s->inflight;
	st->waiting = s->waiting;
}

const struct mg_mudprof *mg_mudstore_get(struct mg_mudstore *s, const char *url,
					 uint64_t now_us)
{
	struct mg_mudprof *p = NULL;

	for (size_t i = 0; i < s->n && !p; i++)
		if (!strcmp(s->e[i]->url, url))
			p = s->e[i];
	if (!p) {
		if (s->n == MG_MUDSTORE_MAX)
			return NULL;
		if (!s->n || !(s->n & (s->n - 1))) {
			struct mg_mudprof **ne =
				realloc(s->e, (s->n ? s->n * 2 : 16) * sizeof(*ne));
			if (!ne)
				return NULL;
			s->e = ne;
		}
		if (!(p = calloc(1, sizeof(*p))) || !(p->url = strdup(url))) {
			free(p);
			return NULL;
		}
		s->e[s->n++] = p;
		if (s->async) {
			p->pending = true;
			request(s, p);
		} else {
			load(s, p, now_us);
		}
	} else if (now_us >= p->expires_us && !p->loading && !p->waiting) {
		if (s->async)
			request(s, p);
		else
			load(s, p, now_us);
	}
	return p;
}

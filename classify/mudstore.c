/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "mudstore.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linefile.h"
#include "mudfetch.h"
#include "mudmatch.h"
#include "mudsig.h"

struct mg_mudstore {
	struct mg_mudstore_cfg cfg;
	struct mg_mudsig *sig;
	struct mg_mudprof **e;
	size_t n;
};

int mg_mudstore_new(struct mg_mudstore **out, const struct mg_mudstore_cfg *cfg, char *err,
		    size_t errlen)
{
	struct mg_mudstore *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
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

void mg_mudstore_free(struct mg_mudstore *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free_prof(s->e[i]);
	free(s->e);
	mg_mudsig_free(s->sig);
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

struct loaded {
	char *text;
	size_t len;
	struct mg_mud *mud;
	unsigned warnings;
	char warning[512], error[1024];
};

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
	if (mg_mudsig_verify(s->sig, l->text, l->len, sig, siglen, msg, sizeof(msg)) < 0) {
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
				  s->cfg.ca_file, s->cfg.connect_to};
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

static void load(struct mg_mudstore *s, struct mg_mudprof *p, uint64_t now_us)
{
	struct loaded l = {0};
	char keep_error[sizeof(p->error)];
	int rc;

	p->error[0] = 0;
	p->signature[0] = 0;
	rc = from_repository(s, p, &l);
	if (rc == -ENOENT) {
		if (s->cfg.fetch) {
			rc = from_https(s, p, &l);
		} else {
			snprintf(p->origin, sizeof(p->origin), "none");
			PERR(p, "not in the repository%s%s, and fetching is off",
				 s->cfg.repository[0] ? " " : "", s->cfg.repository);
		}
	}
	if (rc == 0 && strcmp(l.mud->url ? l.mud->url : "", p->url) && !l.warnings++)
		say(l.warning, sizeof(l.warning), "the file's mud-url is %s",
			 l.mud->url ? l.mud->url : "missing");
	if (rc == 0) {
		mg_mud_free(p->mud);
		p->mud = l.mud;
		l.mud = NULL;
		p->warnings = l.warnings;
		say(p->warning, sizeof(p->warning), "%s", l.warning);
		p->loaded_us = now_us;
		p->expires_us = now_us + (uint64_t)p->mud->cache_validity_h * 3600u * 1000000u;
		p->version++;
	} else {
		/* keep a profile we had; try again after retry_s */
		memcpy(keep_error, p->error, sizeof(keep_error));
		PERR(p, "%s%s", keep_error,
			 p->mud ? " (the previous profile stays in force)" : "");
		p->expires_us = now_us + (uint64_t)s->cfg.retry_s * 1000000u;
	}
	mg_mud_free(l.mud);
	free(l.text);
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
		load(s, p, now_us);
	} else if (now_us >= p->expires_us) {
		load(s, p, now_us);
	}
	return p;
}

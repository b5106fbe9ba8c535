/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "spool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "events.h"

static uint64_t count_lines(const char *path)
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

void mg_spool_init(struct mg_spool *s, const char *path, uint32_t max,
		   void (*log)(void *user, const char *line), void *log_user)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->max = max;
	s->log = log;
	s->log_user = log_user;
	s->n = count_lines(s->path);
}

/* @n lines could not be spooled: counted, and said once an outage. */
static void failed(struct mg_spool *s, size_t n, int err, uint64_t *dropped)
{
	*dropped += n;
	if (!s->failing)
		mg_say(s->log, s->log_user,
		       "cannot write the spool %s (%s): events dropped (counted) until it can be",
		       s->path, strerror(err));
	s->failing = true;
}

void mg_spool_add(struct mg_spool *s, size_t n, void (*line)(void *user, size_t i, FILE *f),
		  void *user, uint64_t *spooled, uint64_t *dropped)
{
	*spooled = *dropped = 0;
	FILE *f = fopen(s->path, "a");
	if (!f) {
		failed(s, n, errno, dropped);
		return;
	}
	/* all of the batch or none of it: a write cut short (the filesystem is
	 * full) is taken back, else its torn last line would be sent */
	off_t end = lseek(fileno(f), 0, SEEK_END);
	for (size_t i = 0; i < n; i++)
		line(user, i, f);
	if (fflush(f) || ferror(f)) {
		int err = errno;
		if (end >= 0 && ftruncate(fileno(f), end) < 0)
			mg_say(s->log, s->log_user, "the spool %s may end in a torn line: %s", s->path,
			       strerror(errno));
		fclose(f);
		failed(s, n, err, dropped);
		return;
	}
	fclose(f);
	s->n += n;
	*spooled = n;
	if (s->n <= s->max)
		return;
	/* over the bound: keep the newest nine tenths, drop the oldest */
	FILE *in = fopen(s->path, "r");
	char tmp[1100], *buf = NULL;
	size_t cap = 0;
	uint64_t skip = s->n - s->max * 9ull / 10, kept = 0, seen = 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->path);
	FILE *out = in ? fopen(tmp, "w") : NULL;
	while (out && getline(&buf, &cap, in) > 0)
		if (seen++ >= skip) {
			fputs(buf, out);
			kept++;
		}
	free(buf);
	if (in)
		fclose(in);
	bool written = out && !ferror(out);
	if (out && !fclose(out) && written && !rename(tmp, s->path)) {
		*dropped += s->n - kept;
		s->n = kept;
		if (!s->announced_full)
			mg_say(s->log, s->log_user, "spool %s full (%u events): dropping the oldest (counted)",
			       s->path, s->max);
		s->announced_full = true;
	} else if (out) { /* not rewritten (no room for the copy): kept as it was */
		remove(tmp);
	}
}

bool mg_spool_each(struct mg_spool *s, bool (*line)(void *user, char *line), void *user)
{
	FILE *f = fopen(s->path, "r");
	char *buf = NULL;
	size_t cap = 0;

	if (!f) {
		s->n = 0;
		return false;
	}
	while (getline(&buf, &cap, f) > 0 && line(user, buf))
		;
	free(buf);
	fclose(f);
	return true;
}

void mg_spool_clear(struct mg_spool *s)
{
	remove(s->path);
	s->n = 0;
	s->failing = false; /* said again in the next outage */
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "events.h"

#include "../common/hash.h"
#include "rkeys.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define MAX_DEPTH 8

struct mg_events {
	FILE *f;
	char *path; /* NULL: stdout */
	bool own, failed;
	uint64_t count;
	/* a second destination, and the ids it needs */
	mg_events_sink sink;
	void *sink_user;
	char sensor[128], key[40], run[240];
	char id_json[300]; /* ,"event_id":"SENSOR:RUN:  (made once per run) */
	size_t id_json_len;
	uint64_t seq, chain;
	json_t *stack[MAX_DEPTH];
	int depth; /* stack[0] is the event; -1: none under construction */
	char *line; /* the event serialised, reused (grown to the largest) */
	size_t cap;
};

int mg_events_open(struct mg_events **out, const char *path, char *err, size_t errlen)
{
	struct mg_events *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->depth = -1;
	if (!strcmp(path, "-")) {
		e->f = stdout;
	} else {
		/* appended to, never truncated: a restarted daemon keeps the log
		 * it wrote before */
		e->f = fopen(path, "a");
		if (!e->f || !(e->path = strdup(path))) {
			int rc = e->f ? -ENOMEM : -errno;
			snprintf(err, errlen, "%s: cannot open for appending: %s", path,
				 strerror(-rc));
			if (e->f)
				fclose(e->f);
			free(e);
			return rc;
		}
		e->own = true;
	}
	*out = e;
	return 0;
}

int mg_events_close(struct mg_events *e)
{
	int rc;

	if (!e)
		return 0;
	if (e->depth >= 0)
		json_decref(e->stack[0]);
	if (fflush(e->f) != 0)
		e->failed = true;
	if (e->own && fclose(e->f) != 0)
		e->failed = true;
	rc = e->failed ? -EIO : 0;
	free(e->line);
	free(e->path);
	free(e);
	return rc;
}

int mg_events_reopen(struct mg_events *e, char *err, size_t errlen)
{
	if (!e->path)
		return 0;
	FILE *f = fopen(e->path, "a");
	if (!f) {
		int rc = -errno;
		snprintf(err, errlen, "%s: cannot open for appending: %s; still writing to the "
			 "file open before", e->path, strerror(errno));
		return rc;
	}
	if (fclose(e->f) != 0)
		e->failed = true;
	e->f = f;
	return 0;
}

static void add(struct mg_events *e, const char *key, json_t *v)
{
	json_t *top;

	if (!v || e->depth < 0) {
		json_decref(v);
		return;
	}
	top = e->stack[e->depth];
	if (json_is_array(top))
		json_array_append_new(top, v);
	else
		json_object_set_new(top, key, v);
}

void mg_ev_begin(struct mg_events *e, const char *type, uint64_t ts_us)
{
	if (e->depth >= 0)
		json_decref(e->stack[0]);
	e->stack[0] = json_object();
	e->depth = 0;
	mg_ev_ts(e, "timestamp", ts_us);
	mg_ev_str(e, "event_type", type);
}

void mg_ev_str(struct mg_events *e, const char *key, const char *v)
{
	/* invalid UTF-8 from the wire must not make the event vanish */
	json_t *s = v ? json_string(v) : json_null();
	if (v && !s) {
		char *clean = strdup(v);
		if (clean) {
			for (unsigned char *p = (unsigned char *)clean; *p; p++)
				if (*p >= 0x80 || *p < 0x20)
					*p = '?';
			s = json_string(clean);
			free(clean);
		}
	}
	add(e, key, s);
}

void mg_ev_u64(struct mg_events *e, const char *key, uint64_t v)
{
	add(e, key, json_integer((json_int_t)v));
}

void mg_ev_f64(struct mg_events *e, const char *key, double v)
{
	add(e, key, json_real(v));
}

void mg_ev_bool(struct mg_events *e, const char *key, bool v)
{
	add(e, key, json_boolean(v));
}

void mg_ev_ts(struct mg_events *e, const char *key, uint64_t ts_us)
{
	char buf[40];
	add(e, key, json_string(mg_ts_str(ts_us, buf, sizeof(buf))));
}

void mg_ev_mac(struct mg_events *e, const char *key, const uint8_t mac[6])
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
	add(e, key, json_string(buf));
}

static void push(struct mg_events *e, const char *key, json_t *c)
{
	if (e->depth < 0 || e->depth + 1 >= MAX_DEPTH || !c) {
		json_decref(c);
		return;
	}
	add(e, key, json_incref(c));
	json_decref(c);
	e->stack[++e->depth] = c;
}

void mg_ev_obj(struct mg_events *e, const char *key)
{
	push(e, key, json_object());
}

void mg_ev_arr(struct mg_events *e, const char *key)
{
	push(e, key, json_array());
}

void mg_ev_close(struct mg_events *e)
{
	if (e->depth > 0)
		e->depth--;
}

/* Makes room for @need bytes in e->line. */
static int grow(struct mg_events *e, size_t need)
{
	if (need <= e->cap)
		return 0;
	size_t cap = e->cap ? e->cap : 1024;
	while (cap < need)
		cap *= 2;
	char *p = realloc(e->line, cap);
	if (!p)
		return -ENOMEM;
	e->line = p;
	e->cap = cap;
	return 0;
}

/* Serialises @o into e->line, leaving @room bytes after it. Returns the
 * length, 0 on error. No allocation once the buffer has grown to the
 * largest event. */
static size_t serialise(struct mg_events *e, json_t *o, size_t room)
{
	const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6);
	for (;;) {
		size_t n = json_dumpb(o, e->line, e->cap > room ? e->cap - room : 0, flags);
		if (!n || n + room <= e->cap)
			return n;
		if (grow(e, n + room) < 0)
			return 0;
	}
}

/* The run is named by its first event's time (for people) and its key
 * (which tells runs apart; a replay repeats both); the start of every
 * event_id member is made once (the sensor's name, a timestamp and the key
 * need no escaping). */
static void start_run(struct mg_events *e)
{
	json_t *ts = json_object_get(e->stack[0], "timestamp");
	snprintf(e->run, sizeof(e->run), MG_REDIS_RUN "%s:%s-%s", e->sensor,
		 json_is_string(ts) ? json_string_value(ts) : "0", e->key);
	int n = snprintf(e->id_json, sizeof(e->id_json), ",\"event_id\":\"%s:",
			 e->run + sizeof(MG_REDIS_RUN) - 1);
	e->id_json_len = n > 0 && (size_t)n < sizeof(e->id_json) ? (size_t)n : 0;
}

void mg_say(void (*log)(void *user, const char *line), void *user, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	if (!log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log(user, line);
}

size_t mg_u64_str(char *buf, uint64_t v)
{
	char t[20];
	size_t n = 0;
	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (size_t i = 0; i < n; i++)
		buf[i] = t[n - 1 - i];
	buf[n] = 0;
	return n;
}

/* The chain after @len more bytes of a run's lines (@chain 0 starts one). */
static uint64_t chain_next(uint64_t chain, const char *line, size_t len)
{
	uint64_t h = mg_fnv1a(chain ? chain : MG_FNV_INIT, line, len);
	return h ? h : 1; /* 0 means "not known" to the journal */
}

int mg_ev_emit(struct mg_events *e)
{
	char id[sizeof(e->id_json) + 24], num[24];
	int rc = 0;

	if (e->depth < 0)
		return -EINVAL;
	size_t room = 1; /* the newline */
	if (e->sink) {
		if (!e->run[0])
			start_run(e);
		room += e->id_json_len + sizeof(num) + 1;
	}
	size_t n = serialise(e, e->stack[0], room);
	bool journal = n && e->sink && e->id_json_len > 13 && e->line[n - 1] == '}';
	if (journal) {
		/* "event_id" goes last; spliced into the text, which costs far less
		 * than a member added to the object (the journal's per-event cost) */
		size_t nl = mg_u64_str(num, ++e->seq), pl = e->id_json_len - 13; /* SENSOR:RUN: */
		memcpy(id, e->id_json + 13, pl);
		memcpy(id + pl, num, nl + 1);
		n--;
		memcpy(e->line + n, e->id_json, e->id_json_len);
		n += e->id_json_len;
		memcpy(e->line + n, num, nl);
		n += nl;
		memcpy(e->line + n, "\"}", 2);
		n += 2;
	}
	if (n)
		e->line[n++] = '\n';
	if (!n || fwrite(e->line, 1, n, e->f) != n) {
		e->failed = true;
		rc = -EIO;
	}
	if (journal) {
		json_t *type = json_object_get(e->stack[0], "event_type");
		json_t *mac = json_object_get(e->stack[0], "mac");
		e->chain = chain_next(e->chain, e->line, n - 1);
		e->sink(e->sink_user, e->run, e->seq, id, type ? json_string_value(type) : "",
			mac ? json_string_value(mac) : "", e->line, n - 1, e->chain);
	}
	json_decref(e->stack[0]);
	e->depth = -1;
	e->count++;
	return rc;
}

void mg_events_set_sink(struct mg_events *e, const char *sensor, const char *key,
			mg_events_sink cb, void *user)
{
	snprintf(e->sensor, sizeof(e->sensor), "%s", sensor);
	for (char *c = e->sensor; *c; c++) /* it goes into keys, ids and tab-separated lines */
		if (!isalnum((unsigned char)*c) && !strchr("._-", *c))
			*c = '-';
	snprintf(e->key, sizeof(e->key), "%s", key);
	for (char *c = e->key; *c; c++)
		if (!isalnum((unsigned char)*c))
			*c = '-';
	e->sink = cb;
	e->sink_user = user;
}

void mg_events_flush(struct mg_events *e)
{
	if (fflush(e->f) == EOF)
		e->failed = true;
}

uint64_t mg_events_count(const struct mg_events *e)
{
	return e->count;
}

int mg_ev_fields(const char *json, unsigned n, const char *const *keys, char *const *bufs,
		 const size_t *lens)
{
	json_t *o = json_loads(json, JSON_DECODE_ANY, NULL);

	for (unsigned k = 0; k < n; k++) {
		json_t *v = json_object_get(o, keys[k]); /* NULL when @o is not an object */
		char *buf = bufs[k];
		size_t len = lens[k], used = 0, i;
		json_t *x;
		buf[0] = 0;
		if (json_is_string(v)) {
			snprintf(buf, len, "%s", json_string_value(v));
		} else if (json_is_integer(v)) {
			snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		} else if (json_is_array(v)) {
			json_array_foreach(v, i, x)
			{
				if (json_is_string(x) && used < len)
					used += (size_t)snprintf(buf + used, len - used, "%s%s",
								 used ? "," : "", json_string_value(x));
			}
		}
	}
	int rc = json_is_object(o) ? 0 : -ENOENT;
	json_decref(o);
	return rc;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "events.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_DEPTH 8

struct mg_events {
	FILE *f;
	bool own, failed;
	uint64_t count;
	/* a second destination, and the ids it needs */
	mg_events_sink sink;
	void *sink_user;
	char sensor[128], run[200];
	uint64_t seq;
	json_t *stack[MAX_DEPTH];
	int depth; /* stack[0] is the event; -1: none under construction */
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
		e->f = fopen(path, "w");
		if (!e->f) {
			int rc = -errno;
			snprintf(err, errlen, "%s: cannot open for writing: %s", path,
				 strerror(errno));
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
	free(e);
	return rc;
}

char *mg_ts_str(uint64_t ts_us, char *buf, size_t len)
{
	time_t s = (time_t)(ts_us / 1000000u);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(ts_us % 1000000u));
	return buf;
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

int mg_ev_emit(struct mg_events *e)
{
	int rc = 0;

	if (e->depth < 0)
		return -EINVAL;
	const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6);
	if (e->sink) {
		char id[260];
		if (!e->run[0]) { /* the run is named by its first event's time: replays repeat */
			json_t *ts = json_object_get(e->stack[0], "timestamp");
			snprintf(e->run, sizeof(e->run), "mudguard:run:%s:%s", e->sensor,
				 ts ? json_string_value(ts) : "0");
		}
		snprintf(id, sizeof(id), "%s:%" PRIu64, e->run + 13, ++e->seq);
		json_object_set_new(e->stack[0], "event_id", json_string(id));
		char *line = json_dumps(e->stack[0], flags);
		if (!line || fputs(line, e->f) == EOF || fputc('\n', e->f) == EOF) {
			e->failed = true;
			rc = -EIO;
		}
		json_t *type = json_object_get(e->stack[0], "event_type");
		json_t *mac = json_object_get(e->stack[0], "mac");
		if (line)
			e->sink(e->sink_user, e->run, e->seq, id, type ? json_string_value(type) : "",
				mac ? json_string_value(mac) : "", line, strlen(line));
		free(line);
	} else if (json_dumpf(e->stack[0], e->f, flags) < 0 || fputc('\n', e->f) == EOF) {
		e->failed = true;
		rc = -EIO;
	}
	json_decref(e->stack[0]);
	e->depth = -1;
	e->count++;
	return rc;
}

void mg_events_set_sink(struct mg_events *e, const char *sensor, mg_events_sink cb, void *user)
{
	snprintf(e->sensor, sizeof(e->sensor), "%s", sensor);
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

int mg_ev_field(const char *json, const char *key, char *buf, size_t len)
{
	json_t *o = json_loads(json, JSON_DECODE_ANY, NULL), *v = o ? json_object_get(o, key) : NULL;
	int rc = 0;
	size_t used = 0;

	buf[0] = 0;
	if (json_is_string(v)) {
		snprintf(buf, len, "%s", json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
		{
			if (json_is_string(x) && used < len)
				used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
							 json_string_value(x));
		}
	} else {
		rc = -ENOENT;
	}
	json_decref(o);
	return rc;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mudguardctl: the analyst's view of what mudguard journalled in Redis.
 *
 *   mudguardctl [--redis URL | -c CONFIG] [--json] devices
 *   mudguardctl ... device MAC
 *   mudguardctl ... events [--type T] [--mac M] [--since TIME] [-f]
 *   mudguardctl ... quarantine list
 *   mudguardctl ... audit [--mac M] [--since TIME]
 *   mudguardctl ... release|pin|unpin|approve MAC --reason TEXT [--by NAME] [--wait S]
 *
 * --json prints the stored events themselves, one per line, for scripts.
 *
 * An action is a command on the stream mudguard:commands, read by every live
 * sensor with an enforcer and every enforcer (each through its own consumer
 * group), applied and answered by a `command` event. The request (who, when,
 * why) and every answer are kept in the stream mudguard:audit. The tool
 * waits for answers and prints them.
 */
#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../capture/decode.h"
#include "../events/events.h"
#include "../events/redis.h"
#include "../events/rkeys.h"
#include "../src/config.h"

static bool json_out;

/* A string field of a JSON event, "" if absent. */
static const char *field(json_t *o, const char *path)
{
	char key[64];
	const char *dot;
	while (o && (dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = json_object_get(o, key);
		path = dot + 1;
	}
	json_t *v = o ? json_object_get(o, path) : NULL;
	return json_is_string(v) ? json_string_value(v) : "";
}

/* Control characters in the strings of @v, written out as \xNN (C1 as
 * \u00NN): events carry what devices said (host names, user agents, MUD
 * URLs), and a terminal must not obey an escape sequence planted there. */
static void scrub(json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;
	if (json_is_object(v)) {
		json_object_foreach(v, key, x)
			scrub(x);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			scrub(x);
	} else if (json_is_string(v)) {
		const unsigned char *s = (const unsigned char *)json_string_value(v);
		size_t n = json_string_length(v), k, o = 0;
		for (k = 0; k < n; k++)
			if (s[k] < 0x20 || s[k] == 0x7f || (s[k] == 0xc2 && k + 1 < n && s[k + 1] < 0xa0))
				break;
		if (k == n)
			return; /* the usual case: nothing to do */
		char *out = malloc(n * 6 + 1);
		if (!out)
			return;
		for (k = 0; k < n; k++) {
			if (s[k] == 0xc2 && k + 1 < n && s[k + 1] >= 0x80 && s[k + 1] < 0xa0)
				o += (size_t)sprintf(out + o, "\\u%04x", s[++k]);
			else if (s[k] < 0x20 || s[k] == 0x7f)
				o += (size_t)sprintf(out + o, "\\x%02x", s[k]);
			else
				out[o++] = (char)s[k];
		}
		out[o] = 0;
		json_string_set(v, out);
		free(out);
	}
}

/* An event read from Redis; for a person's eyes, scrubbed. NULL if not JSON. */
static json_t *load(const char *text)
{
	json_t *o = json_loads(text, 0, NULL);
	if (o && !json_out)
		scrub(o);
	return o;
}

/* ---- devices ---- */

/* the device hash's fields, in this order */
enum { K_DEVICE, K_IDENTITY, K_SUMMARY, K_MUD, K_QUARANTINE, K_RELEASE, K_ROLE, K_VERDICT,
       K_PIN, K_UNPIN, K_COMMAND, K__N };
static const char *const kinds[K__N] = {"device",  "identity", "device_summary", "mud_binding",
					"quarantine", "release", "role",	   "verdict",
					"pin",	   "unpin",    "command"};

struct dev {
	char mac[18];
	json_t *ev[K__N];
};

struct devs {
	struct dev *d;
	size_t n, cap;
};

static void add_mac(void *user, const char *mac)
{
	struct devs *ds = user;
	if (ds->n == ds->cap) {
		ds->cap = ds->cap ? ds->cap * 2 : 64;
		ds->d = realloc(ds->d, ds->cap * sizeof(*ds->d));
		if (!ds->d)
			exit(1);
	}
	memset(&ds->d[ds->n], 0, sizeof(ds->d[0]));
	snprintf(ds->d[ds->n++].mac, sizeof(ds->d[0].mac), "%s", mac);
}

static void add_field(void *user, const char *f, const char *v)
{
	struct dev *d = user;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(f, kinds[i]))
			d->ev[i] = load(v);
}

static int cmp_dev(const void *a, const void *b)
{
	return strcmp(((const struct dev *)a)->mac, ((const struct dev *)b)->mac);
}

/* Which of two events (either may be NULL) is the newer. */
static json_t *newer(json_t *a, json_t *b)
{
	if (!a || !b)
		return a ? a : b;
	return strcmp(field(b, "timestamp"), field(a, "timestamp")) > 0 ? b : a;
}

static const char *state_of(const struct dev *d)
{
	json_t *pin = d->ev[K_PIN], *unpin = d->ev[K_UNPIN];
	if (pin && newer(pin, unpin) == pin)
		return "pinned";
	json_t *q = newer(d->ev[K_QUARANTINE], d->ev[K_VERDICT]), *r = d->ev[K_RELEASE];
	if (!q || newer(q, r) == r)
		return "ok";
	const char *applied = field(q, "applied");
	if (!strcmp(applied, "applied"))
		return "quarantined";
	if (!strcmp(applied, "dry-run") || !strcmp(applied, "monitor") ||
	    !strcmp(applied, "published"))
		return "verdict";
	return "ok";
}

static void load_devices(struct mg_rclient *c, struct devs *ds)
{
	char key[64];
	mg_rclient_zmembers(c, MG_REDIS_DEVICES, add_mac, ds);
	if (ds->n)
		qsort(ds->d, ds->n, sizeof(*ds->d), cmp_dev);
	for (size_t i = 0; i < ds->n; i++) {
		snprintf(key, sizeof(key), MG_REDIS_DEVICE "%s", ds->d[i].mac);
		mg_rclient_hgetall(c, key, add_field, &ds->d[i]);
	}
}

static void addresses(const struct dev *d, char *buf, size_t len)
{
	json_t *a = d->ev[K_SUMMARY] ? json_object_get(d->ev[K_SUMMARY], "addresses") : NULL;
	size_t i, used = 0;
	json_t *v;
	buf[0] = 0;
	json_array_foreach(a, i, v)
	{
		int w = snprintf(buf + used, len - used, "%s%s", used ? "," : "", field(v, "ip"));
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	if (!buf[0] && d->ev[K_DEVICE]) { /* first seen: the addresses then */
		json_t *v4 = json_object_get(d->ev[K_DEVICE], "ipv4");
		if (json_array_size(v4))
			snprintf(buf, len, "%s", json_string_value(json_array_get(v4, 0)));
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static const char *last_seen(const struct dev *d)
{
	const char *best = "";
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *t = d->ev[i] ? field(d->ev[i], "timestamp") : "";
		const char *ls = i == K_SUMMARY && d->ev[i] ? field(d->ev[i], "last_seen") : "";
		if (strcmp(ls, t) > 0)
			t = ls;
		if (strcmp(t, best) > 0)
			best = t;
	}
	return *best ? best : "-";
}

static int cmd_devices(struct mg_rclient *c)
{
	struct devs ds = {0};
	char addr[256];

	load_devices(c, &ds);
	if (!json_out)
		printf("%-17s  %-24s  %-28s  %-16s  %-11s  %s\n", "MAC", "ADDRESSES", "VENDOR",
		       "TYPE", "STATE", "LAST SEEN");
	for (size_t i = 0; i < ds.n; i++) {
		struct dev *d = &ds.d[i];
		json_t *id = d->ev[K_IDENTITY];
		size_t held = 0;
		for (size_t k = 0; k < K__N; k++)
			held += d->ev[k] != NULL;
		if (!held) /* aged out ([redis] device_ttl); the set forgets it next */
			continue;
		if (json_out) {
			json_t *o = json_object();
			json_object_set_new(o, "mac", json_string(d->mac));
			for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
				if (d->ev[k])
					json_object_set(o, kinds[k], d->ev[k]);
			json_object_set_new(o, "state", json_string(state_of(d)));
			char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
			puts(s);
			free(s);
			json_decref(o);
		} else {
			const char *vendor = id ? field(id, "vendor") : "";
			const char *type = id ? field(id, "type") : "";
			if (!*type && id)
				type = field(id, "class");
			if (!*vendor && d->ev[K_DEVICE])
				vendor = field(d->ev[K_DEVICE], "vendor");
			addresses(d, addr, sizeof(addr));
			printf("%-17s  %-24.24s  %-28.28s  %-16.16s  %-11s  %s\n", d->mac, addr,
			       *vendor ? vendor : "-", *type ? type : "-", state_of(d), last_seen(d));
		}
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			json_decref(d->ev[k]);
	}
	free(ds.d);
	return 0;
}

/* ---- events ---- */

struct filter {
	const char *type, *mac, *since; /* since: an ISO time, compared as text */
	unsigned shown, max;
	char (*keep)[4096]; /* device: the last events, newest first */
};

static void show_event(void *user, const char *id, const char *event)
{
	struct filter *f = user;
	json_t *o = load(event);
	(void)id;
	if (!o)
		return;
	if ((f->type && strcmp(field(o, "event_type"), f->type)) ||
	    (f->mac && strcmp(field(o, "mac"), f->mac)) ||
	    (f->since && strcmp(field(o, "timestamp"), f->since) < 0)) {
		json_decref(o);
		return;
	}
	if (f->keep) {
		if (f->shown < f->max)
			snprintf(f->keep[f->shown++], sizeof(f->keep[0]), "%s", event);
	} else if (json_out) {
		puts(event);
	} else {
		const char *why = field(o, "why");
		printf("%s  %-15s  %-17s  %s\n", field(o, "timestamp"), field(o, "event_type"),
		       *field(o, "mac") ? field(o, "mac") : "-",
		       *why ? why : *field(o, "reason") ? field(o, "reason") : field(o, "detector"));
		f->shown++;
	}
	fflush(stdout);
	json_decref(o);
}

/* Events in the stream's order; --since compares the events' own
 * timestamps (a replay's are not the times they were written). */
static int cmd_events(struct mg_rclient *c, struct filter *f, bool follow)
{
	char start[64] = "-", last[48];
	/* what is there, in pages, then (with -f) what comes */
	for (;;) {
		int n = mg_rclient_entries(c, MG_REDIS_EVENTS, start, "+", 1000, 0, 0, show_event, f, last);
		if (n < 0)
			return 1;
		if (n < 1000)
			break;
		snprintf(start, sizeof(start), "(%s", last);
	}
	if (!follow)
		return 0;
	snprintf(start, sizeof(start), "%s", strcmp(last, "-") ? last : "$");
	for (;;) {
		if (mg_rclient_entries(c, MG_REDIS_EVENTS, start, NULL, 1000, 0, 1000, show_event, f, last) < 0)
			return 1;
		if (strcmp(last, start))
			snprintf(start, sizeof(start), "%s", last);
	}
}

/* ---- one device ---- */

static int cmd_device(struct mg_rclient *c, const char *mac)
{
	struct dev d = {0};
	char key[64], addr[256];
	static char recent[10][4096];
	struct filter f = {.mac = mac, .max = 10, .keep = recent};
	char last[48];

	snprintf(d.mac, sizeof(d.mac), "%s", mac);
	snprintf(key, sizeof(key), MG_REDIS_DEVICE "%s", mac);
	if (mg_rclient_hgetall(c, key, add_field, &d) <= 0) {
		fprintf(stderr, "mudguardctl: no device %s in Redis\n", mac);
		return 1;
	}
	mg_rclient_entries(c, MG_REDIS_EVENTS, "-", "+", 5000, 1, 0, show_event, &f, last);
	if (json_out) {
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (d.ev[k]) {
				char *s = json_dumps(d.ev[k], JSON_COMPACT | JSON_PRESERVE_ORDER);
				puts(s);
				free(s);
			}
		return 0;
	}
	json_t *id = d.ev[K_IDENTITY], *sum = d.ev[K_SUMMARY], *mud = d.ev[K_MUD];
	addresses(&d, addr, sizeof(addr));
	printf("device     %s  (%s)\naddresses  %s\nlast seen  %s\n", mac, state_of(&d), addr,
	       last_seen(&d));
	if (id) {
		printf("identity   vendor %s, class %s, type %s, model %s\n",
		       *field(id, "vendor") ? field(id, "vendor") : "-",
		       *field(id, "class") ? field(id, "class") : "-",
		       *field(id, "type") ? field(id, "type") : "-",
		       *field(id, "model") ? field(id, "model") : "-");
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(id, "evidence"), i, v)
		{
			printf("  evidence %s = %s (%s)\n", field(v, "signal"), field(v, "value"),
			       *field(v, "rule") ? field(v, "rule") : "-");
		}
	}
	if (mud)
		printf("mud        %s  %s (%s)\n", field(mud, "mud_url"), field(mud, "status"),
		       field(mud, "source"));
	json_t *bl = sum ? json_object_get(sum, "baseline") : NULL;
	if (bl)
		printf("baseline   %s, %lld intervals, %lld endpoints, %lld services, %lld protocols\n",
		       field(bl, "state"), json_integer_value(json_object_get(bl, "intervals")),
		       json_integer_value(json_object_get(bl, "endpoints")),
		       json_integer_value(json_object_get(bl, "services")),
		       json_integer_value(json_object_get(bl, "protocols")));
	json_t *q = newer(d.ev[K_QUARANTINE], d.ev[K_VERDICT]);
	if (q)
		printf("quarantine %s: %s (by %s, %s)\n", field(q, "applied"), field(q, "reason"),
		       *field(q, "by") ? field(q, "by") : "mudguard", field(q, "timestamp"));
	if (d.ev[K_RELEASE])
		printf("release    %s (by %s, %s)\n", field(d.ev[K_RELEASE], "reason"),
		       field(d.ev[K_RELEASE], "by"), field(d.ev[K_RELEASE], "timestamp"));
	if (d.ev[K_PIN] && newer(d.ev[K_PIN], d.ev[K_UNPIN]) == d.ev[K_PIN])
		printf("pinned     never quarantined: %s (by %s, %s)\n", field(d.ev[K_PIN], "reason"),
		       field(d.ev[K_PIN], "by"), field(d.ev[K_PIN], "timestamp"));
	printf("recent events (newest first):\n");
	for (unsigned i = 0; i < f.shown; i++) {
		json_t *o = load(recent[i]);
		const char *why = field(o, "why");
		printf("  %s  %-15s  %s\n", field(o, "timestamp"), field(o, "event_type"),
		       *why ? why : field(o, "reason"));
		json_decref(o);
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		json_decref(d.ev[k]);
	return 0;
}

/* ---- quarantines ---- */

static void show_q(void *user, const char *mac, const char *event)
{
	json_t *o = load(event);
	(void)user;
	if (json_out)
		puts(event);
	else if (o)
		printf("%-17s  %-10s  %-27s  %-10s  %s\n", mac, field(o, "applied"), field(o, "expires"),
		       field(o, "by"), field(o, "reason"));
	json_decref(o);
}

static int cmd_quarantines(struct mg_rclient *c)
{
	if (!json_out)
		printf("%-17s  %-10s  %-27s  %-10s  %s\n", "MAC", "APPLIED", "EXPIRES", "BY", "REASON");
	return mg_rclient_hgetall(c, MG_REDIS_QUARANTINES, show_q, NULL) < 0;
}

/* ---- actions and the audit trail ---- */

/* The login name, for --by's default. */
static const char *login_name(void)
{
	const char *n = getlogin();
	if (!n || !*n)
		n = getenv("LOGNAME");
	if (!n || !*n) {
		struct passwd *pw = getpwuid(geteuid());
		n = pw ? pw->pw_name : "unknown";
	}
	return n;
}

/* @in (colons or dashes, any case) as mudguard writes MACs, or NULL. */
static const char *norm_mac(const char *in, char out[18])
{
	char colons[18];
	uint8_t mac[6];
	if (strlen(in) >= sizeof(colons))
		return NULL;
	for (size_t i = 0; (colons[i] = in[i] == '-' ? ':' : in[i]); i++)
		;
	return mg_mac_parse(colons, mac) < 0 ? NULL : mg_mac_str(mac, out, 18);
}

struct answers {
	const char *command; /* the command's id */
	unsigned n, good;
};

static void show_answer(void *user, const char *id, const char *event)
{
	struct answers *a = user;
	json_t *o = load(event);
	(void)id;
	if (o && !strcmp(field(o, "event_type"), "command") && !strcmp(field(o, "command"), a->command)) {
		const char *result = field(o, "result"), *detail = field(o, "detail");
		if (json_out)
			puts(event);
		else
			printf("%-20s %s%s%s\n", field(o, "answered_by"), result, *detail ? ": " : "",
			       detail);
		fflush(stdout);
		a->n++;
		a->good += !strcmp(result, "applied") || !strcmp(result, "dry-run");
	}
	json_decref(o);
}

/* The verdict approve turns into a quarantine: the device's newest
 * monitor-mode quarantine or published verdict. */
static json_t *verdict_to_approve(struct mg_rclient *c, const char *mac)
{
	struct dev d = {0};
	char key[64];
	snprintf(key, sizeof(key), MG_REDIS_DEVICE "%s", mac);
	mg_rclient_hgetall(c, key, add_field, &d);
	json_t *q = d.ev[K_QUARANTINE], *v = d.ev[K_VERDICT], *best = NULL;
	if (q && strcmp(field(q, "applied"), "monitor"))
		q = NULL; /* applied, dry-run, suppressed: nothing to approve in it */
	best = newer(q, v);
	if (best && newer(best, d.ev[K_RELEASE]) != best)
		best = NULL; /* released since */
	if (best)
		json_incref(best);
	for (size_t k = 0; k < K__N; k++)
		json_decref(d.ev[k]);
	return best;
}

static int cmd_act(struct mg_rclient *c, const char *action, const char *mac_in,
		   const char *reason, const char *by, unsigned wait_s)
{
	char mac[18], at[64], id[48], audit_id[48], addrs[512] = "", last[48];
	const char *f[8], *v[8];
	unsigned nf = 0;

	if (!norm_mac(mac_in, mac)) {
		fprintf(stderr, "mudguardctl: %s: not a MAC address\n", mac_in);
		return 2;
	}
	if (!reason || !*reason) {
		fprintf(stderr, "mudguardctl: %s needs --reason TEXT (the audit trail's why)\n", action);
		return 2;
	}
	mg_ts_str(mg_wall_us(), at, sizeof(at));
#define FIELD(k, x) (f[nf] = (k), v[nf++] = (x))
	FIELD("action", action);
	FIELD("mac", mac);
	FIELD("by", by);
	FIELD("reason", reason);
	FIELD("requested", at);
	json_t *verdict = NULL;
	if (!strcmp(action, "approve")) {
		if (!(verdict = verdict_to_approve(c, mac))) {
			fprintf(stderr, "mudguardctl: %s has no monitor-mode verdict to approve\n", mac);
			return 1;
		}
		size_t i, used = 0;
		json_t *a;
		json_array_foreach(json_object_get(verdict, "addresses"), i, a)
		{
			if (json_is_string(a) && used < sizeof(addrs))
				used += (size_t)snprintf(addrs + used, sizeof(addrs) - used, "%s%s",
							 used ? "," : "", json_string_value(a));
		}
		FIELD("addresses", addrs);
		FIELD("evidence", field(verdict, "event_id"));
	}
	if (mg_rclient_xadd(c, MG_REDIS_COMMANDS, nf, f, v, id) < 0) {
		fprintf(stderr, "mudguardctl: cannot write the command to %s\n", MG_REDIS_COMMANDS);
		json_decref(verdict);
		return 1;
	}
	/* the request in the audit trail: who, when, why */
	json_t *req = json_object();
	json_object_set_new(req, "timestamp", json_string(at));
	json_object_set_new(req, "event_type", json_string("command_request"));
	json_object_set_new(req, "mac", json_string(mac));
	json_object_set_new(req, "command", json_string(id));
	for (unsigned i = 0; i < nf; i++)
		if (strcmp(f[i], "mac") && strcmp(f[i], "requested"))
			json_object_set_new(req, f[i], json_string(v[i]));
	if (verdict)
		json_object_set_new(req, "verdict_reason", json_string(field(verdict, "reason")));
	char *line = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
	const char *af[] = {"mac", "event"}, *av[] = {mac, line};
	int rc = mg_rclient_xadd(c, MG_REDIS_AUDIT, 2, af, av, audit_id);
	free(line);
	json_decref(req);
	json_decref(verdict);
	if (rc < 0) {
		fprintf(stderr, "mudguardctl: cannot write to %s\n", MG_REDIS_AUDIT);
		return 1;
	}
	if (!json_out)
		printf("%s %s: command %s sent by %s; answers:\n", action, mac, id, by);
	/* answers: until --wait is over, or a second after the last one (each
	 * reader applies a command within a second) */
	struct answers a = {.command = id};
	struct timeval t0, t;
	double quiet_since = 0;
	gettimeofday(&t0, NULL);
	char start[48];
	snprintf(start, sizeof(start), "%s", audit_id);
	for (;;) {
		gettimeofday(&t, NULL);
		double spent = (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_usec - t0.tv_usec) / 1e6;
		if (spent >= wait_s || (a.n && spent - quiet_since >= 1.0))
			break;
		unsigned before = a.n;
		int n = mg_rclient_entries(c, MG_REDIS_AUDIT, start, NULL, 100, 0, 250, show_answer,
					   &a, last);
		if (n < 0)
			return 1;
		if (n)
			snprintf(start, sizeof(start), "%s", last);
		if (a.n != before)
			quiet_since = spent;
	}
	if (!a.n) {
		fprintf(stderr, "mudguardctl: no sensor or enforcer answered within %u s; the command "
				"stays on %s: a reader that starts or comes back within %u s of the "
				"request applies it\n",
			wait_s, MG_REDIS_COMMANDS, MG_REDIS_BACKLOG_S);
		return 1;
	}
	return a.good ? 0 : 1;
}

static void show_audit(void *user, const char *id, const char *event)
{
	struct filter *f = user;
	json_t *o = load(event);
	(void)id;
	if (!o || (f->mac && strcmp(field(o, "mac"), f->mac)) ||
	    (f->since && strcmp(field(o, "timestamp"), f->since) < 0)) {
		json_decref(o);
		return;
	}
	if (json_out) {
		puts(event);
	} else if (!strcmp(field(o, "event_type"), "command_request")) {
		printf("%s  %-17s  %-8s requested by %s: %s  [%s]\n", field(o, "timestamp"),
		       field(o, "mac"), field(o, "action"), field(o, "by"), field(o, "reason"),
		       field(o, "command"));
	} else {
		const char *detail = field(o, "detail");
		printf("%s  %-17s  %-8s %s by %s%s%s  [%s]\n", field(o, "timestamp"),
		       *field(o, "mac") ? field(o, "mac") : field(o, "mac_given"), field(o, "action"),
		       field(o, "result"), field(o, "answered_by"), *detail ? ": " : "", detail,
		       field(o, "command"));
	}
	json_decref(o);
}

static int cmd_audit(struct mg_rclient *c, struct filter *f)
{
	char start[64] = "-", last[48];
	for (;;) {
		int n = mg_rclient_entries(c, MG_REDIS_AUDIT, start, "+", 1000, 0, 0, show_audit, f, last);
		if (n < 0)
			return 1;
		if (n < 1000)
			return 0;
		snprintf(start, sizeof(start), "(%s", last);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mudguardctl [--redis URL | -c CONFIG] [--json] COMMAND\n"
		   "  devices                 every device: MAC, addresses, vendor, type, state, last seen\n"
		   "  device MAC              identity with evidence, MUD binding, baseline, recent events\n"
		   "  events [--type T] [--mac M] [--since TIME] [-f]\n"
		   "  quarantine list         the quarantine registry\n"
		   "  audit [--mac M] [--since TIME]   analysts' requests and the answers to them\n"
		   "  release MAC --reason TEXT       lift a quarantine\n"
		   "  pin MAC --reason TEXT           never quarantine MAC (releases it); unpin MAC undoes\n"
		   "  approve MAC --reason TEXT       apply MAC's monitor-mode verdict\n"
		   "    actions: --by NAME (default: the login name), --wait S (answers, default 5)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"redis", required_argument, NULL, 'R'}, {"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},	 {"type", required_argument, NULL, 't'},
		{"mac", required_argument, NULL, 'm'},	 {"since", required_argument, NULL, 's'},
		{"follow", no_argument, NULL, 'f'},	 {"help", no_argument, NULL, 'h'},
		{"reason", required_argument, NULL, 'w'}, {"by", required_argument, NULL, 'b'},
		{"wait", required_argument, NULL, 'W'},
		{0},
	};
	struct mg_config cfg;
	struct filter f = {0};
	const char *url = NULL, *reason = NULL, *by = NULL;
	unsigned wait_s = 5;
	bool follow = false;
	char err[512];
	int opt;

	signal(SIGPIPE, SIG_IGN); /* a closed Redis connection is an error, not our end */
	mg_config_defaults(&cfg);
	while ((opt = getopt_long(argc, argv, "c:fh", opts, NULL)) != -1) {
		switch (opt) {
		case 'R':
			url = optarg;
			break;
		case 'c':
			if (mg_config_load(&cfg, optarg, NULL, NULL) < 0) {
				fprintf(stderr, "mudguardctl: %s: cannot read\n", optarg);
				return 2;
			}
			break;
		case 'j':
			json_out = true;
			break;
		case 't':
			f.type = optarg;
			break;
		case 'm':
			f.mac = optarg;
			break;
		case 's':
			f.since = optarg;
			break;
		case 'f':
			follow = true;
			break;
		case 'w':
			reason = optarg;
			break;
		case 'b':
			by = optarg;
			break;
		case 'W':
			wait_s = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!url)
		url = cfg.redis_url[0] ? cfg.redis_url : "redis://127.0.0.1:6379";
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	struct mg_rclient *c;
	if (mg_rclient_open(&c, url, err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguardctl: %s\n", err);
		return 1;
	}
	const char *cmd = argv[optind];
	int rc;
	if (!strcmp(cmd, "devices"))
		rc = cmd_devices(c);
	else if (!strcmp(cmd, "device") && optind + 1 < argc)
		rc = cmd_device(c, argv[optind + 1]);
	else if (!strcmp(cmd, "events"))
		rc = cmd_events(c, &f, follow);
	else if (!strcmp(cmd, "quarantine") && optind + 1 < argc && !strcmp(argv[optind + 1], "list"))
		rc = cmd_quarantines(c);
	else if (!strcmp(cmd, "audit"))
		rc = cmd_audit(c, &f);
	else if ((!strcmp(cmd, "release") || !strcmp(cmd, "pin") || !strcmp(cmd, "unpin") ||
		  !strcmp(cmd, "approve")) && optind + 1 < argc)
		rc = cmd_act(c, cmd, argv[optind + 1], reason, by ? by : login_name(), wait_s);
	else {
		usage(stderr);
		rc = 2;
	}
	mg_rclient_close(c);
	return rc;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mudguardctl: the analyst's view of what mudguard journalled in Redis.
 *
 *   mudguardctl [--redis URL | -c CONFIG] [--json] devices
 *   mudguardctl ... device MAC
 *   mudguardctl ... events [--type T] [--mac M] [--since TIME] [-f]
 *   mudguardctl ... quarantine list
 *
 * --json prints the stored events themselves, one per line, for scripts.
 * (Acting on devices, release, pin, approve, comes with the command stream.)
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../events/redis.h"
#include "../src/config.h"

#define STREAM "mudguard:events"

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

/* ---- devices ---- */

struct dev {
	char mac[18];
	json_t *ev[8]; /* device, identity, device_summary, mud_binding, quarantine, release, role */
};
static const char *const kinds[] = {"device", "identity", "device_summary", "mud_binding",
				    "quarantine", "release", "role"};

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
			d->ev[i] = json_loads(v, 0, NULL);
}

static int cmp_dev(const void *a, const void *b)
{
	return strcmp(((const struct dev *)a)->mac, ((const struct dev *)b)->mac);
}

static const char *state_of(const struct dev *d)
{
	json_t *q = d->ev[4], *r = d->ev[5];
	if (!q || (r && strcmp(field(r, "timestamp"), field(q, "timestamp")) > 0))
		return "ok";
	const char *applied = field(q, "applied");
	if (!strcmp(applied, "applied"))
		return "quarantined";
	if (!strcmp(applied, "dry-run") || !strcmp(applied, "monitor"))
		return "verdict";
	return "ok";
}

static void load_devices(struct mg_rclient *c, struct devs *ds)
{
	char key[64];
	mg_rclient_smembers(c, "mudguard:devices", add_mac, ds);
	qsort(ds->d, ds->n, sizeof(*ds->d), cmp_dev);
	for (size_t i = 0; i < ds->n; i++) {
		snprintf(key, sizeof(key), "mudguard:device:%s", ds->d[i].mac);
		mg_rclient_hgetall(c, key, add_field, &ds->d[i]);
	}
}

static void addresses(const struct dev *d, char *buf, size_t len)
{
	json_t *a = d->ev[2] ? json_object_get(d->ev[2], "addresses") : NULL;
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
	if (!buf[0] && d->ev[0]) { /* first seen: the addresses then */
		json_t *v4 = json_object_get(d->ev[0], "ipv4");
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
		const char *ls = i == 2 && d->ev[i] ? field(d->ev[i], "last_seen") : "";
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
		json_t *id = d->ev[1];
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
			if (!*vendor && d->ev[0])
				vendor = field(d->ev[0], "vendor");
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
	json_t *o = json_loads(event, 0, NULL);
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
		int n = mg_rclient_entries(c, STREAM, start, "+", 1000, 0, 0, show_event, f, last);
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
		if (mg_rclient_entries(c, STREAM, start, NULL, 1000, 0, 1000, show_event, f, last) < 0)
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
	snprintf(key, sizeof(key), "mudguard:device:%s", mac);
	if (mg_rclient_hgetall(c, key, add_field, &d) <= 0) {
		fprintf(stderr, "mudguardctl: no device %s in Redis\n", mac);
		return 1;
	}
	mg_rclient_entries(c, STREAM, "-", "+", 5000, 1, 0, show_event, &f, last);
	if (json_out) {
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (d.ev[k]) {
				char *s = json_dumps(d.ev[k], JSON_COMPACT | JSON_PRESERVE_ORDER);
				puts(s);
				free(s);
			}
		return 0;
	}
	json_t *id = d.ev[1], *sum = d.ev[2], *mud = d.ev[3];
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
	if (d.ev[4])
		printf("quarantine %s: %s (by %s, %s)\n", field(d.ev[4], "applied"),
		       field(d.ev[4], "reason"), field(d.ev[4], "by"), field(d.ev[4], "timestamp"));
	printf("recent events (newest first):\n");
	for (unsigned i = 0; i < f.shown; i++) {
		json_t *o = json_loads(recent[i], 0, NULL);
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
	json_t *o = json_loads(event, 0, NULL);
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
	return mg_rclient_hgetall(c, "mudguard:quarantines", show_q, NULL) < 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mudguardctl [--redis URL | -c CONFIG] [--json] COMMAND\n"
		   "  devices                 every device: MAC, addresses, vendor, type, state, last seen\n"
		   "  device MAC              identity with evidence, MUD binding, baseline, recent events\n"
		   "  events [--type T] [--mac M] [--since TIME] [-f]\n"
		   "  quarantine list         the quarantine registry\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"redis", required_argument, NULL, 'R'}, {"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},	 {"type", required_argument, NULL, 't'},
		{"mac", required_argument, NULL, 'm'},	 {"since", required_argument, NULL, 's'},
		{"follow", no_argument, NULL, 'f'},	 {"help", no_argument, NULL, 'h'},
		{0},
	};
	struct mg_config cfg;
	struct filter f = {0};
	const char *url = NULL;
	bool follow = false;
	char err[512];
	int opt;

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
	else {
		usage(stderr);
		rc = 2;
	}
	mg_rclient_close(c);
	return rc;
}

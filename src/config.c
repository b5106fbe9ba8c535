/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../classify/device.h"
#include "../classify/dpi.h"
#include "../classify/flow.h"
#include "../classify/oui.h"
#include "../classify/prefix.h"
#include "../events/rkeys.h"
#include "paths.h" /* MG_RULES_DIR, MG_MUD_RULES_DIR, MG_MUD_REPO (src/meson.build) */

/* K_NAME: a name that goes into Redis keys, consumer groups, event ids and
 * the spool's tab-separated lines: letters, digits, '.', '_', '-' */
enum ktype { K_U32, K_BOOL, K_STR, K_PREFIXES, K_CHOICE, K_I32, K_NAME };

struct key {
	const char *section, *name;
	enum ktype type;
	size_t off, size; /* size: string buffer size */
	uint32_t min, max;
	const char *def;
	const char *unit;
};

#define XSTR(x) #x
#define STRINGIFY(x) XSTR(x) /* expands macros such as MG_FLOW_DEFAULT_MAX first */
#define U32(sec, nm, field, lo, hi, dflt, unit)                                \
	{sec, nm, K_U32, offsetof(struct mg_config, field), 0, lo, hi, STRINGIFY(dflt), unit}
#define BOOL(sec, nm, field, dflt)                                             \
	{sec, nm, K_BOOL, offsetof(struct mg_config, field), 0, 0, 1, dflt, NULL}
/* one of the |-separated words of @choices */
#define CHOICE(sec, nm, field, choices, dflt)                                  \
	{sec, nm, K_CHOICE, offsetof(struct mg_config, field),                 \
	 sizeof(((struct mg_config *)0)->field), 0, 0, dflt, choices}
#define I32(sec, nm, field, lo, hi, dflt, unit)                                \
	{sec, nm, K_I32, offsetof(struct mg_config, field), 0, (uint32_t)(lo), (uint32_t)(hi), \
	 #dflt, unit}
#define STR(sec, nm, field, dflt, kind)                                        \
	{sec, nm, kind, offsetof(struct mg_config, field),                     \
	 sizeof(((struct mg_config *)0)->field), 0, 0, dflt, NULL}

/* The one place where keys, defaults and ranges live. */
static const struct key keys[] = {
	STR("capture", "interface", interface, "", K_STR),
	U32("capture", "snaplen", snaplen, 64, 262144, 262144, "bytes"),
	BOOL("capture", "promisc", promisc, "yes"),
	U32("capture", "buffer_mib", buffer_mib, 1, 4096, 16, "MiB"),
	STR("capture", "filter", filter, "", K_STR),
	U32("capture", "stats_interval", stats_interval, 1, 86400, 60, "seconds"),
	U32("flows", "max", flows_max, 1024, 16777216, MG_FLOW_DEFAULT_MAX, "flows"),
	U32("flows", "tcp_idle", tcp_idle, 1, 86400, MG_FLOW_DEFAULT_TCP_IDLE, "seconds"),
	U32("flows", "tcp_closed_idle", tcp_closed_idle, 1, 3600, MG_FLOW_DEFAULT_CLOSED_IDLE,
	    "seconds"),
	U32("flows", "udp_idle", udp_idle, 1, 86400, MG_FLOW_DEFAULT_UDP_IDLE, "seconds"),
	U32("flows", "other_idle", other_idle, 1, 86400, MG_FLOW_DEFAULT_OTHER_IDLE, "seconds"),
	U32("flows", "hard_timeout", hard_timeout, 60, 604800, MG_FLOW_DEFAULT_HARD, "seconds"),
	U32("flows", "dpi_packets", dpi_packets, 1, 255, MG_DPI_DEFAULT_MAX_PACKETS, "packets"),
	U32("devices", "max", devices_max, 16, 1048576, MG_DEV_DEFAULT_MAX, "devices"),
	U32("devices", "idle", device_idle, 60, 31536000, MG_DEV_DEFAULT_IDLE, "seconds"),
	U32("devices", "max_peers", max_peers, 16, 1048576, MG_DEV_DEFAULT_MAX_PEERS, "peers"),
	STR("devices", "local_networks", local_networks, MG_LOCAL_NETS_DEFAULT, K_PREFIXES),
	STR("devices", "oui_dir", oui_dir, MG_OUI_DEFAULT_DIR, K_STR),
	STR("identify", "rules", rules, MG_RULES_DIR, K_STR),
	STR("identify", "p0f_db", p0f_db, "/etc/p0f/p0f.fp", K_STR),
	STR("identify", "fingerprints", fingerprints, "", K_STR),
	U32("identify", "max_signals", max_signals, 16, 65536, 256, "values"),
	U32("identify", "hysteresis", hysteresis, 0, 100, 15, "percent"),
	U32("identify", "min_score", min_score, 1, 100, 30, "percent"),
	U32("identify", "report_delta", report_delta, 1, 100, 10, "percent"),
	BOOL("mud", "enabled", mud_enabled, "yes"),
	STR("mud", "repository", mud_repository, MG_MUD_REPO, K_STR),
	STR("mud", "rules", mud_rules, MG_MUD_RULES_DIR, K_STR),
	BOOL("mud", "fetch", mud_fetch, "no"),
	STR("mud", "trust_anchors", mud_trust_anchors, "", K_STR),
	BOOL("mud", "require_signature", mud_require_signature, "yes"),
	BOOL("mud", "check_time", mud_check_time, "yes"),
	STR("mud", "ca_file", mud_ca_file, "", K_STR),
	STR("mud", "connect_to", mud_connect_to, "", K_STR),
	U32("mud", "max_bytes", mud_max_bytes, 1024, 16777216, 1048576, "bytes"),
	U32("mud", "fetch_timeout", mud_fetch_timeout, 1, 120, 10, "seconds"),
	U32("mud", "max_redirects", mud_max_redirects, 0, 10, 3, "redirects"),
	U32("mud", "retry", mud_retry, 10, 86400, 300, "seconds"),
	U32("mud", "dns_grace", mud_dns_grace, 0, 86400, 3600, "seconds"),
	BOOL("mud", "allow_infrastructure", mud_allow_infrastructure, "yes"),
	U32("mud", "violations_per_minute", mud_violations_per_minute, 1, 100000, 20, "events"),
	U32("mud", "max_distinct", mud_max_distinct, 16, 65536, 1024, "violations"),
	BOOL("mud", "quarantine", mud_quarantine, "no"),
	U32("anomaly", "scan_window", scan_window, 1, 3600, 10, "seconds"),
	U32("anomaly", "scan_fanout", scan_fanout, 8, 100000, 64, "addresses"),
	U32("anomaly", "lateral_hosts", lateral_hosts, 2, 100000, 16, "hosts"),
	U32("anomaly", "mirai_syns", mirai_syns, 1, 100000, 3, "SYNs"),
	U32("anomaly", "flood_syn", flood_syn, 10, 10000000, 200, "SYNs per second"),
	U32("anomaly", "flood_udp", flood_udp, 10, 10000000, 200, "new UDP flows per second"),
	U32("anomaly", "flood_icmp", flood_icmp, 10, 10000000, 200, "echo requests per second"),
	U32("anomaly", "flood_dns", flood_dns, 10, 10000000, 100, "DNS queries per second"),
	U32("anomaly", "quarantine_score", quarantine_score, 50, 100, 90, "percent"),
	BOOL("anomaly", "enabled", anomaly_enabled, "yes"),
	U32("anomaly", "learning_period", learning_period, 60, 2592000, 86400, "seconds"),
	U32("anomaly", "baseline_interval", baseline_interval, 1, 3600, 10, "seconds"),
	U32("anomaly", "baseline_factor", baseline_factor, 2, 1000, 4, "times"),
	STR("anomaly", "baseline", baseline, "", K_STR),
	STR("anomaly", "learn", learn, "", K_STR),
	STR("anomaly", "state_file", state_file, "", K_STR),
	U32("anomaly", "state_save", state_save, 60, 86400, 3600, "seconds"),
	U32("anomaly", "alert_score", alert_score, 1, 100, 30, "percent"),
	U32("anomaly", "strong_score", strong_score, 1, 100, 75, "percent"),
	U32("anomaly", "score_half_life", score_half_life, 1, 3600, 30, "seconds"),
	U32("anomaly", "quarantine_hold", quarantine_hold, 60, 604800, 3600, "seconds"),
	CHOICE("enforce", "mode", enf_mode, "monitor|enforce", "monitor"),
	CHOICE("enforce", "backend", enf_backend, "off|dry-run|nft", "dry-run"),
	CHOICE("enforce", "family", enf_family, "inet|bridge", "inet"),
	STR("enforce", "table", enf_table, "mudguard", K_STR),
	I32("enforce", "priority", enf_priority, -1000, 0, -300, ""),
	STR("enforce", "never", enf_never, "", K_STR),
	STR("enforce", "dns", enf_dns, "", K_STR),
	STR("enforce", "remediation", enf_remediation, "", K_STR),
	U32("enforce", "ttl", enf_ttl, 1, 604800, 3600, "seconds"),
	U32("enforce", "ttl_max", enf_ttl_max, 1, 31536000, 86400, "seconds"),
	U32("enforce", "per_minute", enf_per_minute, 0, 100000, 10, "quarantines"),
	U32("enforce", "max_percent", enf_max_percent, 0, 100, 20, "percent"),
	STR("enforce", "state_file", enf_state_file, "", K_STR),
	STR("redis", "url", redis_url, "", K_STR),
	STR("redis", "stream", redis_stream, MG_REDIS_EVENTS, K_STR),
	U32("redis", "maxlen", redis_maxlen, 1000, 100000000, 1000000, "events"),
	STR("redis", "spool", redis_spool, "/var/tmp/mudguard-redis.spool", K_STR),
	U32("redis", "spool_max", redis_spool_max, 1000, 100000000, 1000000, "events"),
	U32("redis", "queue", redis_queue, 1024, 16777216, 262144, "events"),
	U32("redis", "device_ttl", redis_device_ttl, 3600, 31536000, 2592000, "seconds"),
	STR("redis", "sensor", redis_sensor, "", K_NAME),
	STR("output", "events", events, "-", K_STR),
	BOOL("output", "flows", flows, "no"),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS <= MG_CONFIG_KEYS, "struct mg_config's line[] must hold every key");

struct ctx {
	struct mg_config *c;
	const char *name;
	bool from_file;
	unsigned line;
	int errors;
	mg_config_report report;
	void *user;
};

__attribute__((format(printf, 2, 3))) static void problem(struct ctx *x, const char *fmt, ...)
{
	char msg[1536], body[1280];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (x->line)
		snprintf(msg, sizeof(msg), "%s:%u: %s", x->name, x->line, body);
	else
		snprintf(msg, sizeof(msg), "%s: %s", x->name, body);
	x->errors++;
	if (x->report)
		x->report(msg, x->user);
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int apply(struct ctx *x, const struct key *k, const char *v)
{
	char *field = (char *)x->c + k->off;
	char err[256];

	switch (k->type) {
	case K_U32: {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(v, &end, 10);
		if (!*v || *end || errno || *v == '-' || n < k->min || n > k->max) {
			problem(x, "%s.%s must be between %u and %u %s (got \"%s\")", k->section, k->name,
				k->min, k->max, k->unit, v);
			return -EINVAL;
		}
		*(uint32_t *)(void *)field = (uint32_t)n;
		return 0;
	}
	case K_BOOL:
		if (parse_bool(v, (bool *)(void *)field) < 0) {
			problem(x, "%s.%s must be yes or no (got \"%s\")", k->section, k->name, v);
			return -EINVAL;
		}
		return 0;
	case K_I32: {
		char *end;
		errno = 0;
		long n = strtol(v, &end, 10);
		if (!*v || *end || errno || n < (int32_t)k->min || n > (int32_t)k->max) {
			problem(x, "%s.%s must be between %d and %d (got \"%s\")", k->section, k->name,
				(int32_t)k->min, (int32_t)k->max, v);
			return -EINVAL;
		}
		*(int32_t *)(void *)field = (int32_t)n;
		return 0;
	}
	case K_CHOICE: {
		size_t n = strlen(v);
		for (const char *c = k->unit; *c;) {
			size_t len = strcspn(c, "|");
			if (len == n && !strncmp(c, v, n)) {
				memcpy(field, v, n + 1);
				return 0;
			}
			c += len + (c[len] == '|');
		}
		problem(x, "%s.%s must be one of %s (got \"%s\")", k->section, k->name, k->unit, v);
		return -EINVAL;
	}
	case K_PREFIXES: {
		struct mg_prefixes *p = NULL;
		int rc = mg_prefixes_parse(&p, v, err, sizeof(err));
		mg_prefixes_free(p);
		if (rc < 0) {
			problem(x, "%s.%s: %s", k->section, k->name, err);
			return -EINVAL;
		}
		__attribute__((fallthrough)); /* then stored as a string */
	}
	case K_NAME:
		if (k->type == K_NAME && v[strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						   "0123456789._-")]) {
			problem(x, "%s.%s may hold only letters, digits, '.', '_' and '-' (got \"%s\")",
				k->section, k->name, v);
			return -EINVAL;
		}
		__attribute__((fallthrough));
	case K_STR:
		if (strlen(v) >= k->size) {
			problem(x, "%s.%s is longer than %zu characters", k->section, k->name,
				k->size - 1);
			return -EINVAL;
		}
		memcpy(field, v, strlen(v) + 1);
		return 0;
	}
	return -EINVAL;
}

static const struct key *find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* "[capture], [flows], ...": every section of the table, in its order. */
static const char *sections(void)
{
	static char list[256];
	size_t n = 0;
	if (list[0])
		return list;
	for (size_t i = 0; i < NKEYS; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(keys[j].section, keys[i].section);
		int k = seen ? 0 : snprintf(list + n, sizeof(list) - n, "%s[%s]", n ? ", " : "",
					    keys[i].section);
		if (k > 0 && n + (size_t)k < sizeof(list))
			n += (size_t)k;
	}
	return list;
}

static int set(struct ctx *x, const char *section, const char *name, const char *value)
{
	const struct key *k = find_key(section, name);

	if (!k) {
		bool known_section = false;
		for (size_t i = 0; i < NKEYS; i++)
			known_section |= !strcmp(keys[i].section, section);
		if (known_section)
			problem(x, "unknown key \"%s\" in section [%s]", name, section);
		else
			problem(x, "unknown section [%s] (key \"%s\"); sections are %s", section,
				name, sections());
		return -EINVAL;
	}
	int rc = apply(x, k, value);
	if (rc == 0) {
		x->c->line[k - keys] = x->from_file ? x->line : MG_CONFIG_FLAG;
		if (x->from_file)
			snprintf(x->c->file, sizeof(x->c->file), "%s", x->name);
	}
	return rc;
}

int mg_config_defaults(struct mg_config *c)
{
	struct ctx x = {.c = c, .name = "defaults"};

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NKEYS; i++)
		apply(&x, &keys[i], keys[i].def);
	return x.errors;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct ctx *x = user;

	if (!name) /* a section header on its own: nothing to check until a key comes */
		return 1;
	set(x, section, name, value);
	return 1; /* keep going: report every problem, not only the first */
}

/* inih reads a line at a time through this reader, so counting calls gives the
 * line the handler is looking at (Debian's inih has no INI_HANDLER_LINENO).
 * The text comes from a FILE or, for tests and fuzzing, from a string. */
struct stream {
	struct ctx *x;
	FILE *f;
	const char *p;
};

static char *reader(char *str, int num, void *stream)
{
	struct stream *s = stream;
	int i = 0;

	if (s->f) {
		if (!fgets(str, num, s->f))
			return NULL;
		s->x->line++;
		return str;
	}
	if (!*s->p || num < 2)
		return NULL;
	while (i < num - 1 && *s->p) {
		char ch = *s->p++;
		str[i++] = ch;
		if (ch == '\n')
			break;
	}
	str[i] = 0;
	s->x->line++;
	return str;
}

static int parse(struct stream *s)
{
	struct ctx *x = s->x;
	int rc = ini_parse_stream(reader, s, handler, x);

	if (rc > 0) { /* inih's own syntax error at that line */
		x->line = (unsigned)rc;
		problem(x, "syntax error: expected \"[section]\" or \"key = value\"");
	} else if (rc < 0) {
		x->line = 0;
		problem(x, "cannot parse (out of memory)");
	}
	return x->errors;
}

int mg_config_load_string(struct mg_config *c, const char *name, const char *text,
			  mg_config_report report, void *user)
{
	struct ctx x = {.c = c, .name = name, .from_file = true, .report = report, .user = user};
	struct stream s = {.x = &x, .p = text};

	return parse(&s);
}

int mg_config_load(struct mg_config *c, const char *path, mg_config_report report,
		   void *user)
{
	struct ctx x = {.c = c, .name = path, .from_file = true, .report = report, .user = user};
	struct stream s = {.x = &x, .f = fopen(path, "r")};
	int rc;

	if (!s.f)
		return -errno;
	rc = parse(&s);
	if (ferror(s.f))
		rc = -EIO;
	fclose(s.f);
	return rc;
}

/* A key's value as the configuration file would spell it. */
static void format_value(const struct mg_config *c, const struct key *k, char *buf, size_t len)
{
	const char *field = (const char *)c + k->off;

	switch (k->type) {
	case K_U32:
		snprintf(buf, len, "%u", *(const uint32_t *)(const void *)field);
		break;
	case K_I32:
		snprintf(buf, len, "%d", *(const int32_t *)(const void *)field);
		break;
	case K_BOOL:
		snprintf(buf, len, "%s", *(const bool *)(const void *)field ? "yes" : "no");
		break;
	default:
		snprintf(buf, len, "%s", field);
	}
}

void mg_config_each(const struct mg_config *c, mg_config_key_cb cb, void *user)
{
	char v[4096];
	for (size_t i = 0; i < NKEYS; i++) {
		format_value(c, &keys[i], v, sizeof(v));
		cb(user, keys[i].section, keys[i].name, v);
	}
}

void mg_config_where(const struct mg_config *c, const char *section, const char *key, char *buf,
		     size_t len)
{
	const struct key *k = find_key(section, key);
	uint32_t line = k ? c->line[k - keys] : 0;
	if (line == MG_CONFIG_FLAG)
		snprintf(buf, len, "command line: %s.%s", section, key);
	else if (line)
		snprintf(buf, len, "%s:%u: %s.%s", c->file, line, section, key);
	else
		snprintf(buf, len, "default %s.%s", section, key);
}

void mg_config_diff(const struct mg_config *a, const struct mg_config *b, mg_config_diff_cb cb,
		    void *user)
{
	char va[4096], vb[4096];
	for (size_t i = 0; i < NKEYS; i++) {
		format_value(a, &keys[i], va, sizeof(va));
		format_value(b, &keys[i], vb, sizeof(vb));
		if (strcmp(va, vb))
			cb(user, keys[i].section, keys[i].name, va, vb);
	}
}

int mg_config_set(struct mg_config *c, const char *section, const char *key,
		  const char *value, mg_config_report report, void *user)
{
	struct ctx x = {.c = c, .name = "command line", .report = report, .user = user};
	return set(&x, section, key, value) < 0 ? -EINVAL : 0;
}

void mg_config_enforcer(const struct mg_config *c, struct mg_enf_cfg *out)
{
	*out = (struct mg_enf_cfg){
		.mode = !strcmp(c->enf_mode, "enforce") ? MG_ENF_ENFORCE : MG_ENF_MONITOR,
		.backend = !strcmp(c->enf_backend, "nft")	? MG_ENF_NFT
			   : !strcmp(c->enf_backend, "dry-run") ? MG_ENF_DRYRUN
								: MG_ENF_OFF,
		.nft = {!strcmp(c->enf_family, "bridge") ? MG_NFT_BRIDGE : MG_NFT_INET, c->enf_table,
			c->enf_priority},
		.never = c->enf_never,
		.dns = c->enf_dns,
		.remediation = c->enf_remediation,
		.ttl_s = c->enf_ttl,
		.ttl_max_s = c->enf_ttl_max,
		.per_minute = c->enf_per_minute,
		.max_percent = c->enf_max_percent,
		.state_file = c->enf_state_file,
	};
}

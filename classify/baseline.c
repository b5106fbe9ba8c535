/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "baseline.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../capture/decode.h"
#include "../common/hash.h"
#include "../common/statefile.h"
#include "hashset.h"
#include "linefile.h"

#define DISTINCT_BITS 512 /* linear counting of distinct destinations and ports */

struct mg_bl {
	uint8_t mac[6];
	bool hold;
	bool started; /* cur_start_us is set */
	uint32_t users; /* devices holding the pointer: never evicted */
	uint16_t reported; /* metrics with a finding in the current interval */
	uint64_t first_us, learn_end_us, last_us, cur_start_us;
	uint32_t intervals;
	uint64_t cur[MG_BL__METRICS];
	uint64_t thr[MG_BL__METRICS]; /* findings above these */
	uint8_t top[MG_BL__METRICS];  /* highest bucket with a full learning weight */
	uint64_t bits[2][DISTINCT_BITS / 64]; /* destinations, ports */
	uint16_t hist[MG_BL__METRICS][MG_BL_BUCKETS];
	struct mg_hashset set[MG_BL__SETS];
	struct mg_bl *next;
};

struct mg_baselines {
	struct mg_bl_cfg cfg;
	struct mg_bl **bucket;
	uint32_t nbuckets; /* a power of two */
	size_t n;
};

static const char *const metric_names[MG_BL__METRICS] = {
#define MG_X(id, name, min) name,
	MG_BL_METRIC_LIST(MG_X)
#undef MG_X
};
static const uint64_t metric_floor[MG_BL__METRICS] = {
#define MG_X(id, name, min) min,
	MG_BL_METRIC_LIST(MG_X)
#undef MG_X
};
static const char *const set_names[MG_BL__SETS] = {"endpoints", "services", "protocols"};
static const uint32_t set_max[MG_BL__SETS] = {MG_BL_ENDPOINTS_MAX, MG_BL_SERVICES_MAX,
					      MG_BL_PROTOCOLS_MAX};

static void set_tops(struct mg_bl *b, uint32_t factor);

const char *mg_bl_metric_name(enum mg_bl_metric m)
{
	return (unsigned)m < MG_BL__METRICS ? metric_names[m] : "?";
}

const char *mg_bl_set_name(enum mg_bl_set s)
{
	return (unsigned)s < MG_BL__SETS ? set_names[s] : "?";
}

int mg_baselines_new(struct mg_baselines **out, const struct mg_bl_cfg *cfg)
{
	struct mg_baselines *t;

	if (!cfg->interval_s || !cfg->max_devices || !cfg->factor)
		return -EINVAL;
	if (!(t = calloc(1, sizeof(*t))))
		return -ENOMEM;
	t->cfg = *cfg;
	t->nbuckets = 64; /* doubles as baselines come (insert) */
	if (!(t->bucket = calloc(t->nbuckets, sizeof(*t->bucket)))) {
		free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

static void bl_free(struct mg_bl *b)
{
	for (int i = 0; i < MG_BL__SETS; i++)
		mg_hashset_free(&b->set[i]);
	free(b);
}

void mg_baselines_free(struct mg_baselines *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->nbuckets; i++)
		for (struct mg_bl *b = t->bucket[i], *next; b; b = next) {
			next = b->next;
			bl_free(b);
		}
	free(t->bucket);
	free(t);
}

static uint32_t slot(const struct mg_baselines *t, const uint8_t mac[6])
{
	return (uint32_t)mg_fnv1a(MG_FNV_INIT, mac, 6) & (t->nbuckets - 1);
}

static struct mg_bl **find(struct mg_baselines *t, const uint8_t mac[6])
{
	struct mg_bl **pp = &t->bucket[slot(t, mac)];
	while (*pp && memcmp((*pp)->mac, mac, 6))
		pp = &(*pp)->next;
	return pp;
}

static void unlink_bl(struct mg_baselines *t, struct mg_bl *b)
{
	struct mg_bl **pp = find(t, b->mac);
	if (*pp == b) {
		*pp = b->next;
		t->n--;
	}
}

/* Makes room by dropping the baseline seen least recently (rare: O(n)). */
static void evict_one(struct mg_baselines *t)
{
	struct mg_bl *old = NULL;
	for (uint32_t i = 0; i < t->nbuckets; i++)
		for (struct mg_bl *b = t->bucket[i]; b; b = b->next)
			if (!b->users && (!old || b->last_us < old->last_us))
				old = b;
	if (old) {
		unlink_bl(t, old);
		bl_free(old);
	}
}

static void insert(struct mg_baselines *t, struct mg_bl *b)
{
	if (t->n >= t->nbuckets && t->nbuckets < (1u << 24)) {
		struct mg_bl **nb = calloc((size_t)t->nbuckets * 2, sizeof(*nb));
		if (nb) { /* else chains just grow longer */
			struct mg_baselines old = *t;
			t->bucket = nb;
			t->nbuckets *= 2;
			for (uint32_t i = 0; i < old.nbuckets; i++)
				for (struct mg_bl *x = old.bucket[i], *next; x; x = next) {
					next = x->next;
					uint32_t j = slot(t, x->mac);
					x->next = t->bucket[j];
					t->bucket[j] = x;
				}
			free(old.bucket);
		}
	}
	struct mg_bl **pp = &t->bucket[slot(t, b->mac)];
	b->next = *pp;
	*pp = b;
	t->n++;
}

struct mg_bl *mg_baselines_get(struct mg_baselines *t, const uint8_t mac[6], uint64_t now_us)
{
	struct mg_bl *b = *find(t, mac);

	if (b) {
		b->users++;
		return b;
	}
	if (t->n >= t->cfg.max_devices)
		evict_one(t);
	if (!(b = calloc(1, sizeof(*b))))
		return NULL;
	memcpy(b->mac, mac, 6);
	set_tops(b, t->cfg.factor);
	b->first_us = b->last_us = now_us;
	b->learn_end_us = t->cfg.learning_s ? now_us + (uint64_t)t->cfg.learning_s * 1000000u
					    : UINT64_MAX;
	b->users = 1;
	insert(t, b);
	return b;
}

void mg_baselines_put(struct mg_bl *b)
{
	if (b && b->users)
		b->users--;
}

void mg_baselines_complete(struct mg_baselines *t, uint64_t now_us)
{
	for (uint32_t i = 0; i < t->nbuckets; i++)
		for (struct mg_bl *b = t->bucket[i]; b; b = b->next)
			if (b->learn_end_us > now_us)
				b->learn_end_us = now_us;
}

size_t mg_baselines_count(const struct mg_baselines *t)
{
	return t->n;
}

size_t mg_baselines_bytes(const struct mg_baselines *t)
{
	size_t n = sizeof(*t) + t->nbuckets * sizeof(*t->bucket);
	for (uint32_t i = 0; i < t->nbuckets; i++)
		for (struct mg_bl *b = t->bucket[i]; b; b = b->next) {
			n += sizeof(*b);
			for (int s = 0; s < MG_BL__SETS; s++)
				n += b->set[s].cap * sizeof(uint64_t);
		}
	return n;
}

/* ---- rates ---- */

static unsigned bucket_of(uint64_t v)
{
	unsigned b = v ? 64u - (unsigned)__builtin_clzll(v) : 0;
	return b < MG_BL_BUCKETS ? b : MG_BL_BUCKETS - 1;
}

static uint64_t bucket_top(unsigned b)
{
	return b ? (1ull << b) - 1 : 0;
}

bool mg_bl_learning(const struct mg_bl *b, uint64_t now_us)
{
	return now_us < b->learn_end_us;
}

/* A device learns over the time it is there: an absence of more than AWAY
 * while it was still learning (switched off, out of range, or the gap between
 * two captures of a replay, which may be months) does not count towards its
 * learning period. Otherwise a device seen for minutes, then again a season
 * later, would judge everything of its second life by those minutes. A
 * shorter silence is a quiet device, and counts. */
#define AWAY (3600 * 1000000ull)

static void seen(struct mg_bl *b, uint64_t now_us)
{
	if (now_us > b->last_us + AWAY && b->learn_end_us != UINT64_MAX &&
	    b->learn_end_us > b->last_us)
		b->learn_end_us += now_us - b->last_us;
	b->last_us = now_us;
}

uint64_t mg_bl_high(const struct mg_bl *b, enum mg_bl_metric m)
{
	return bucket_top(b->top[m]);
}

/* Sets the threshold of @m from its learned high. */
static void set_threshold(struct mg_bl *b, uint32_t factor, int m)
{
	uint64_t t = mg_bl_high(b, (enum mg_bl_metric)m) * factor;
	b->thr[m] = t > metric_floor[m] ? t : metric_floor[m];
}

/* The tops and thresholds from the histograms (a loaded baseline). */
static void set_tops(struct mg_bl *b, uint32_t factor)
{
	for (int m = 0; m < MG_BL__METRICS; m++) {
		b->top[m] = 0;
		for (unsigned k = MG_BL_BUCKETS; k-- > 0 && !b->top[m];)
			if (b->hist[m][k] >= MG_BL_LEARN_WEIGHT)
				b->top[m] = (uint8_t)k;
		set_threshold(b, factor, m);
	}
}

/* Distinct values behind @k bits set of the bitmap, by linear counting. */
static uint64_t distinct(uint64_t k)
{
	if (k >= DISTINCT_BITS)
		k = DISTINCT_BITS - 1;
	return (uint64_t)llround(-(double)DISTINCT_BITS * log(1.0 - (double)k / DISTINCT_BITS));
}

/* The interval's count of @m (destinations and ports count bits set). */
static uint64_t current(const struct mg_bl *b, enum mg_bl_metric m)
{
	if (m == MG_BL_DESTS || m == MG_BL_PORTS)
		return distinct(b->cur[m]);
	return b->cur[m];
}

/* Learns the finished interval (with @force, the one under way) and starts
 * the one holding @now_us; intervals are aligned to multiples of the
 * interval, so a restart lines up. */
static void roll(struct mg_bl *b, const struct mg_baselines *t, uint64_t now_us, bool force)
{
	uint64_t len = (uint64_t)t->cfg.interval_s * 1000000u;

	if (b->started && now_us < b->cur_start_us + len && !force)
		return;
	bool active = false;
	for (int m = 0; m < MG_BL__METRICS; m++)
		active |= b->cur[m] != 0;
	if (b->started && active && !b->hold) {
		unsigned w = mg_bl_learning(b, b->cur_start_us) ? MG_BL_LEARN_WEIGHT : 1;
		for (int m = 0; m < MG_BL__METRICS; m++) {
			unsigned k = bucket_of(current(b, (enum mg_bl_metric)m));
			uint16_t *h = &b->hist[m][k];
			*h = *h > UINT16_MAX - w ? UINT16_MAX : (uint16_t)(*h + w);
			if (k > b->top[m] && *h >= MG_BL_LEARN_WEIGHT) {
				b->top[m] = (uint8_t)k;
				set_threshold(b, t->cfg.factor, m);
			}
		}
		b->intervals++;
	}
	memset(b->cur, 0, sizeof(b->cur));
	memset(b->bits, 0, sizeof(b->bits));
	b->hold = false;
	b->reported = 0;
	b->cur_start_us = now_us - now_us % len;
	b->started = true;
}

bool mg_bl_add(struct mg_bl *b, const struct mg_baselines *t, enum mg_bl_metric m, uint64_t n,
	       uint64_t now_us, struct mg_bl_rate *out)
{
	uint64_t count;

	seen(b, now_us);
	roll(b, t, now_us, false);
	if (m == MG_BL_DESTS || m == MG_BL_PORTS) {
		uint64_t *bits = b->bits[m - MG_BL_DESTS], bit = (n ^ n >> 32) % DISTINCT_BITS;
		if (bits[bit / 64] & 1ull << (bit % 64))
			return false;
		bits[bit / 64] |= 1ull << (bit % 64);
		count = ++b->cur[m];
		if (count * 2 > b->thr[m]) /* the estimate is below twice the bits set */
			count = distinct(count);
	} else {
		count = b->cur[m] += n;
	}
	if (count <= b->thr[m] || m >= MG_BL_SYN || (b->reported & 1u << m) ||
	    mg_bl_learning(b, now_us))
		return false;
	b->reported |= (uint16_t)(1u << m);
	*out = (struct mg_bl_rate){m, count, mg_bl_high(b, m), b->thr[m], t->cfg.interval_s};
	return true;
}

void mg_bl_restart(struct mg_bl *b, const struct mg_baselines *t, uint64_t now_us)
{
	if (b->started)
		roll(b, t, now_us, true);
}

void mg_bl_hold(struct mg_bl *b)
{
	b->hold = true;
}

int mg_bl_novel(struct mg_bl *b, enum mg_bl_set which, uint64_t key, uint64_t now_us, bool learn,
		uint32_t *size)
{
	struct mg_hashset *s = &b->set[which];

	*size = s->n;
	seen(b, now_us);
	if (mg_bl_learning(b, now_us)) {
		if (learn)
			mg_hashset_add(s, key, set_max[which]);
		return 0;
	}
	if (mg_hashset_has(s, key))
		return 0;
	if (learn)
		mg_hashset_add(s, key, set_max[which]);
	return 1;
}

void mg_bl_info(const struct mg_bl *b, struct mg_bl_info *out)
{
	out->first_us = b->first_us;
	out->learn_end_us = b->learn_end_us;
	out->intervals = b->intervals;
	for (int s = 0; s < MG_BL__SETS; s++)
		out->sets[s] = b->set[s].n;
	for (int m = 0; m < MG_BL__METRICS; m++)
		out->high[m] = mg_bl_high(b, (enum mg_bl_metric)m);
}

/* ---- persistence ----
 *
 *   mudguard-baseline 1
 *   interval 10
 *   device MAC first US learn-end US last US intervals N
 *   rate METRIC BUCKET:WEIGHT...
 *   set endpoints|services|protocols HEX...
 *   end
 *   ...
 *   checksum HEX          (FNV-1a 64 of every byte before this line)
 */

static int cmp_mac(const void *a, const void *b)
{
	return memcmp((*(struct mg_bl *const *)a)->mac, (*(struct mg_bl *const *)b)->mac, 6);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void write_bl(FILE *f, const struct mg_bl *b)
{
	char mac[24];

	fprintf(f, "device %s first %" PRIu64 " learn-end %" PRIu64 " last %" PRIu64
		   " intervals %u\n",
		mg_mac_str(b->mac, mac, sizeof(mac)), b->first_us, b->learn_end_us, b->last_us,
		b->intervals);
	for (int m = 0; m < MG_BL__METRICS; m++) {
		bool any = false;
		for (unsigned k = 0; k < MG_BL_BUCKETS; k++) {
			if (!b->hist[m][k])
				continue;
			if (!any)
				fprintf(f, "rate %s", metric_names[m]);
			any = true;
			fprintf(f, " %u:%u", k, b->hist[m][k]);
		}
		if (any)
			fputc('\n', f);
	}
	for (int s = 0; s < MG_BL__SETS; s++) {
		const struct mg_hashset *hs = &b->set[s];
		uint64_t keys[MG_BL_ENDPOINTS_MAX];
		uint32_t n = 0;
		for (uint32_t i = 0; i < hs->cap && n < MG_BL_ENDPOINTS_MAX; i++)
			if (hs->k[i])
				keys[n++] = hs->k[i];
		if (!n)
			continue;
		qsort(keys, n, sizeof(keys[0]), cmp_u64);
		fprintf(f, "set %s", set_names[s]);
		for (uint32_t i = 0; i < n; i++)
			fprintf(f, " %016" PRIx64, keys[i]);
		fputc('\n', f);
	}
	fputs("end\n", f);
}

int mg_baselines_save(struct mg_baselines *t, const char *path, char *err, size_t errlen)
{
	struct mg_bl **all = calloc(t->n ? t->n : 1, sizeof(*all));
	char *buf = NULL;
	size_t len = 0, n = 0;
	FILE *mem = NULL;
	int rc = -ENOMEM;

	snprintf(err, errlen, "%s: out of memory", path);
	if (!all || !(mem = open_memstream(&buf, &len)))
		goto out;
	for (uint32_t i = 0; i < t->nbuckets; i++)
		for (struct mg_bl *b = t->bucket[i]; b; b = b->next)
			all[n++] = b;
	qsort(all, n, sizeof(*all), cmp_mac);
	fprintf(mem, "mudguard-baseline %d\ninterval %u\n", MG_BL_FORMAT_VERSION,
		t->cfg.interval_s);
	for (size_t i = 0; i < n; i++)
		write_bl(mem, all[i]);
	if (fclose(mem)) {
		mem = NULL;
		goto out;
	}
	mem = NULL;
	rc = mg_statefile_write(path, buf, len, "checksum ", err, errlen);
out:
	if (mem)
		fclose(mem);
	free(buf);
	free(all);
	return rc;
}

struct parse {
	struct mg_baselines *t;
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
	struct mg_bl *list, *cur; /* parsed, not yet in the table */
};

__attribute__((format(printf, 2, 3))) static int fail(struct parse *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, msg);
	return -EINVAL;
}

static bool parse_u64(const char *s, int base, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static int parse_device(struct parse *p, char **tok, int n)
{
	static const char *const keys[] = {"first", "learn-end", "last", "intervals"};
	uint64_t v[4];
	uint8_t mac[6];

	if (p->cur)
		return fail(p, "\"device\" before the previous device's \"end\"");
	if (n != 10 || mg_mac_parse(tok[1], mac) < 0)
		return fail(p, "expected: device MAC first US learn-end US last US intervals N");
	for (int i = 0; i < 4; i++)
		if (strcmp(tok[2 + 2 * i], keys[i]) || !parse_u64(tok[3 + 2 * i], 10, &v[i]))
			return fail(p, "expected \"%s\" and a number", keys[i]);
	if (v[3] > UINT32_MAX)
		return fail(p, "intervals out of range");
	for (struct mg_bl *b = p->list; b; b = b->next)
		if (!memcmp(b->mac, mac, 6))
			return fail(p, "device %s appears twice", tok[1]);
	if (!(p->cur = calloc(1, sizeof(*p->cur))))
		return fail(p, "out of memory");
	memcpy(p->cur->mac, mac, 6);
	p->cur->first_us = v[0];
	p->cur->learn_end_us = v[1];
	p->cur->last_us = v[2];
	p->cur->intervals = (uint32_t)v[3];
	p->cur->next = p->list;
	p->list = p->cur;
	return 0;
}

static int parse_rate(struct parse *p, char **tok, int n)
{
	int m;
	for (m = 0; m < MG_BL__METRICS && strcmp(tok[1], metric_names[m]); m++)
		;
	if (m == MG_BL__METRICS)
		return fail(p, "unknown metric \"%s\"", tok[1]);
	for (int i = 2; i < n; i++) {
		char *colon = strchr(tok[i], ':');
		uint64_t k, w;
		if (!colon)
			return fail(p, "expected BUCKET:WEIGHT, got \"%s\"", tok[i]);
		*colon = 0;
		if (!parse_u64(tok[i], 10, &k) || !parse_u64(colon + 1, 10, &w) ||
		    k >= MG_BL_BUCKETS || w > UINT16_MAX)
			return fail(p, "bucket 0..%d and weight 0..65535 expected", MG_BL_BUCKETS - 1);
		p->cur->hist[m][k] = (uint16_t)w;
	}
	return 0;
}

static int parse_set(struct parse *p, char **tok, int n)
{
	int s;
	for (s = 0; s < MG_BL__SETS && strcmp(tok[1], set_names[s]); s++)
		;
	if (s == MG_BL__SETS)
		return fail(p, "unknown set \"%s\"", tok[1]);
	if (n - 2 > (int)set_max[s])
		return fail(p, "more than %u %s", set_max[s], set_names[s]);
	for (int i = 2; i < n; i++) {
		uint64_t k;
		if (strlen(tok[i]) != 16 || !parse_u64(tok[i], 16, &k))
			return fail(p, "expected a 16-digit hex hash, got \"%s\"", tok[i]);
		if (mg_hashset_add(&p->cur->set[s], k, set_max[s]) < 0)
			return fail(p, "out of memory");
	}
	return 0;
}

#define TOKENS_MAX (MG_BL_ENDPOINTS_MAX + 4)

static int parse_line(struct parse *p, char *line)
{
	char *tok[TOKENS_MAX], *save = NULL;
	int n = 0;

	for (char *w = strtok_r(line, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
		if (n == TOKENS_MAX)
			return fail(p, "too many fields");
		tok[n++] = w;
	}
	if (!n || tok[0][0] == '#')
		return 0;
	if (p->line == 1) {
		uint64_t v;
		if (strcmp(tok[0], "mudguard-baseline") || n != 2 || !parse_u64(tok[1], 10, &v))
			return fail(p, "not a mudguard baseline file");
		if (v != MG_BL_FORMAT_VERSION)
			return fail(p, "baseline format version %s; this mudguard reads version %d "
				       "(learn the baselines again)", tok[1], MG_BL_FORMAT_VERSION);
		return 0;
	}
	if (!strcmp(tok[0], "interval")) {
		uint64_t v;
		if (n != 2 || !parse_u64(tok[1], 10, &v))
			return fail(p, "expected: interval SECONDS");
		if (v != p->t->cfg.interval_s)
			return fail(p, "learned with a %s s interval, but [anomaly] baseline_interval is "
				       "%u: rates would not compare", tok[1], p->t->cfg.interval_s);
		return 0;
	}
	if (!strcmp(tok[0], "device"))
		return parse_device(p, tok, n);
	if (!p->cur)
		return fail(p, "\"%s\" outside a device", tok[0]);
	if (!strcmp(tok[0], "end")) {
		if (n != 1)
			return fail(p, "expected: end");
		p->cur = NULL;
		return 0;
	}
	if (n < 2)
		return fail(p, "\"%s\" needs values", tok[0]);
	if (!strcmp(tok[0], "rate"))
		return parse_rate(p, tok, n);
	if (!strcmp(tok[0], "set"))
		return parse_set(p, tok, n);
	return fail(p, "unknown keyword \"%s\"", tok[0]);
}

int mg_baselines_load_mem(struct mg_baselines *t, const char *name, const char *text,
			  size_t len, char *err, size_t errlen)
{
	struct parse p = {.t = t, .name = name, .err = err, .errlen = errlen};
	char *copy = NULL;
	int rc = -EINVAL;

	/* the last line is the checksum of everything before it */
	size_t body = len;
	if (body && text[body - 1] == '\n')
		body--;
	while (body && text[body - 1] != '\n')
		body--;
	uint64_t want;
	if (len - body < 10 || strncmp(text + body, "checksum ", 9) ||
	    sscanf(text + body + 9, "%16" SCNx64, &want) != 1) {
		snprintf(err, errlen, "%s: no checksum line at the end: the file is truncated or "
				      "not a baseline", name);
		return -EINVAL;
	}
	if (mg_fnv1a(MG_FNV_INIT, text, body) != want) {
		snprintf(err, errlen, "%s: checksum mismatch: the file is damaged or was edited", name);
		return -EINVAL;
	}
	if (!(copy = malloc(body + 1)))
		return -ENOMEM;
	memcpy(copy, text, body);
	copy[body] = 0;
	if (strncmp(copy, "mudguard-baseline ", 18)) {
		p.line = 1;
		rc = fail(&p, "not a mudguard baseline file");
		goto out;
	}
	char *line = copy;
	while (line < copy + body) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		p.line++;
		if (memchr(line, 0, (size_t)((nl ? nl : copy + body) - line))) {
			rc = fail(&p, "NUL byte");
			goto out;
		}
		if ((rc = parse_line(&p, line)) < 0)
			goto out;
		if (!nl)
			break;
		line = nl + 1;
	}
	if (p.cur) {
		rc = fail(&p, "the last device has no \"end\"");
		goto out;
	}
	/* all good: into the table, replacing what it had for those MACs */
	while (p.list) {
		struct mg_bl *b = p.list, *old;
		p.list = b->next;
		if ((old = *find(t, b->mac))) {
			unlink_bl(t, old);
			bl_free(old);
		}
		if (t->n >= t->cfg.max_devices)
			evict_one(t);
		set_tops(b, t->cfg.factor);
		insert(t, b);
	}
	rc = 0;
out:
	while (p.list) {
		struct mg_bl *b = p.list;
		p.list = b->next;
		bl_free(b);
	}
	free(copy);
	return rc;
}

int mg_baselines_load(struct mg_baselines *t, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc = mg_read_file(path, 1u << 30, &buf, &len);

	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, rc == -EFBIG ? "file too large" : strerror(-rc));
		return rc;
	}
	rc = mg_baselines_load_mem(t, path, buf, len, err, errlen);
	free(buf);
	return rc;
}

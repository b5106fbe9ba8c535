/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mudguard-fingerprint: learn device types from labelled captures.
 *
 *   mudguard-fingerprint train LABELS.tsv -o MODEL
 *   mudguard-fingerprint eval LABELS.tsv [--folds N] [--seed N]
 *
 * LABELS.tsv: "pcap-path<TAB>label<TAB>mac" per line, paths relative to the
 * file, '#' comments. Each capture is replayed through the sensor itself, so a
 * model sees exactly the evidence that `mudguard --fingerprints` will see.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../classify/fpmodel.h"
#include "../classify/ident.h"
#include "../src/config.h"
#include "../src/sensor.h"
#include "splitmix.h"

#define EXIT_USAGE 2

struct tok {
	uint64_t h;
	uint64_t at_us; /* since the device's first packet */
};

struct sample {
	char *path, *label, *name; /* name: path as written in LABELS.tsv */
	uint8_t mac[6];
	struct tok *tok;
	size_t ntok;
	int fold;
};

struct set {
	struct sample *s;
	size_t n, cap;
};

static void sample_free(struct sample *s)
{
	free(s->path);
	free(s->label);
	free(s->name);
	free(s->tok);
}

static void set_free(struct set *set)
{
	for (size_t i = 0; i < set->n; i++)
		sample_free(&set->s[i]);
	free(set->s);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_tok(const void *a, const void *b)
{
	const struct tok *x = a, *y = b;
	return x->at_us < y->at_us ? -1 : x->at_us > y->at_us;
}

/* Replays one capture through @s and keeps the tokens of the labelled device;
 * leaves @s reset for the next capture. Returns 0, 1 if the device is not in
 * the capture, -1 if the capture cannot be used, -ENOMEM if @s is lost. */
static int extract(struct sample *smp, struct mg_sensor *s)
{
	char err[1024];
	uint64_t first = 0;
	int rc = mg_sensor_replay_file(s, smp->path, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, "mudguard-fingerprint: %s\n", err);
		return -1; /* nothing was fed: @s is still clean */
	}
	if (rc > 0)
		fprintf(stderr, "mudguard-fingerprint: warning: %s\n", err);

	const struct mg_ident *id = mg_sensor_ident(s, smp->mac, &first);
	size_t n = id ? mg_ident_count(id) : 0;
	rc = id ? 0 : 1;
	smp->tok = calloc(n * MG_FP_TOKENS_PER_SIGNAL + 1, sizeof(*smp->tok));
	if (!smp->tok)
		rc = -1;
	for (size_t i = 0; smp->tok && i < n; i++) {
		enum mg_signal sig;
		const char *v;
		uint64_t at;
		uint64_t h[MG_FP_TOKENS_PER_SIGNAL];
		mg_ident_item(id, i, &sig, &v, &at);
		size_t k = mg_fp_tokens(sig, v, h);
		for (size_t j = 0; j < k; j++)
			smp->tok[smp->ntok++] = (struct tok){h[j], at - first};
	}
	if (smp->tok)
		qsort(smp->tok, smp->ntok, sizeof(*smp->tok), cmp_tok);
	mg_sensor_finish(s, NULL);
	if (mg_sensor_reset(s) < 0)
		return -ENOMEM;
	if (rc == 1)
		fprintf(stderr, "mudguard-fingerprint: warning: %s: no device %s in the capture\n",
			smp->path, smp->name);
	return rc;
}

/* Reads LABELS.tsv; a bad line is reported and skipped. Returns the number of
 * problems, or -1 if the file cannot be read. */
static int read_labels(const char *file, struct set *set)
{
	FILE *f = fopen(file, "r");
	char *line = NULL, *dircopy = strdup(file);
	size_t cap = 0;
	unsigned lineno = 0;
	int bad = 0;

	if (!f || !dircopy) {
		fprintf(stderr, "mudguard-fingerprint: %s: %s\n", file, strerror(errno));
		free(dircopy);
		if (f)
			fclose(f);
		return -1;
	}
	const char *dir = dirname(dircopy);
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		char *path = line, *label = strchr(path, '\t'), *mac = label ? strchr(label + 1, '\t') : NULL;
		if (!mac || strchr(mac + 1, '\t')) {
			fprintf(stderr, "%s:%u: expected pcap-path<TAB>label<TAB>mac\n", file, lineno);
			bad++;
			continue;
		}
		*label++ = 0;
		*mac++ = 0;
		struct sample smp = {0};
		if (!*path || !*label || mg_mac_parse(mac, smp.mac) < 0) {
			fprintf(stderr, "%s:%u: %s\n", file, lineno,
				!*path ? "empty path" : !*label ? "empty label" : "bad MAC address");
			bad++;
			continue;
		}
		if (set->n == set->cap) {
			set->cap = set->cap ? set->cap * 2 : 64;
			set->s = realloc(set->s, set->cap * sizeof(*set->s));
			if (!set->s)
				abort();
		}
		size_t plen = strlen(dir) + strlen(path) + 2;
		smp.path = malloc(plen);
		if (!smp.path)
			abort();
		if (path[0] == '/')
			snprintf(smp.path, plen, "%s", path);
		else
			snprintf(smp.path, plen, "%s/%s", dir, path);
		smp.label = strdup(label);
		smp.name = strdup(path);
		set->s[set->n++] = smp;
	}
	free(line);
	free(dircopy);
	fclose(f);
	return bad;
}

static int load_set(const char *file, const char *config, struct set *set)
{
	struct mg_config cfg;
	struct mg_events *ev;
	char err[1024];

	mg_config_defaults(&cfg);
	if (config && mg_config_load(&cfg, config, NULL, NULL) != 0) {
		fprintf(stderr, "mudguard-fingerprint: %s: configuration has problems "
				"(mudguard -c %s --check-config)\n", config, config);
		return -1;
	}
	cfg.fingerprints[0] = 0; /* learn from evidence, not from an older model */
	cfg.device_idle = 31536000; /* a device must last the capture */
	int bad = read_labels(file, set);
	if (bad < 0)
		return -1;
	if (mg_events_open(&ev, "/dev/null", err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguard-fingerprint: %s\n", err);
		return -1;
	}
	/* one sensor for all captures: nDPI and the registries load once */
	struct mg_sensor *s;
	if (mg_sensor_new(&s, &cfg, ev, err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguard-fingerprint: %s\n", err);
		mg_events_close(ev);
		return -1;
	}
	size_t kept = 0;
	for (size_t i = 0; i < set->n; i++) {
		int rc = s ? extract(&set->s[i], s) : -ENOMEM;
		if (rc == -ENOMEM && s) {
			fprintf(stderr, "mudguard-fingerprint: out of memory\n");
			mg_sensor_free(s);
			s = NULL;
		}
		if (rc < 0)
			bad++;
		if (rc == 0)
			set->s[kept++] = set->s[i];
		else
			sample_free(&set->s[i]);
	}
	set->n = kept;
	mg_sensor_free(s);
	mg_events_close(ev);
	if (bad)
		fprintf(stderr, "mudguard-fingerprint: %d line(s) of %s skipped\n", bad, file);
	return 0;
}

static uint64_t *hashes(const struct sample *s, size_t upto)
{
	uint64_t *h = malloc((upto ? upto : 1) * sizeof(*h));
	if (!h)
		abort();
	for (size_t i = 0; i < upto; i++)
		h[i] = s->tok[i].h;
	return h;
}

static int add_sample(struct mg_fpmodel *m, const struct sample *s)
{
	struct mg_fp_tok *t = malloc((s->ntok ? s->ntok : 1) * sizeof(*t));
	if (!t)
		abort();
	for (size_t i = 0; i < s->ntok; i++)
		t[i] = (struct mg_fp_tok){s->tok[i].h, (uint32_t)(s->tok[i].at_us / 1000u)};
	int rc = mg_fpmodel_add(m, s->label, s->name, t, s->ntok);
	free(t);
	return rc;
}

static int cmd_train(const char *labels, const char *out, const char *config)
{
	struct set set = {0};
	char err[1024];
	double t0 = now_s();

	int rc = 1;
	struct mg_fpmodel *m = NULL;
	if (load_set(labels, config, &set) < 0)
		goto out;
	if (!set.n) {
		fprintf(stderr, "mudguard-fingerprint: %s: no usable samples\n", labels);
		goto out;
	}
	m = mg_fpmodel_new();
	for (size_t i = 0; i < set.n && m; i++)
		if (add_sample(m, &set.s[i]) < 0)
			abort();
	if (!m || mg_fpmodel_finish(m) < 0 || mg_fpmodel_save(m, out, err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguard-fingerprint: %s\n", m ? err : "out of memory");
		goto out;
	}
	printf("trained %s: %zu samples, %zu labels, %.1f s\n", out, mg_fpmodel_samples(m),
	       mg_fpmodel_labels(m), now_s() - t0);
	rc = 0;
out:
	mg_fpmodel_free(m);
	set_free(&set);
	return rc;
}

/* Stratified folds: each label's captures shuffled, then dealt round-robin. */
static void assign_folds(struct set *set, int folds, uint64_t seed)
{
	size_t *idx = malloc(set->n * sizeof(*idx));
	int next = 0;
	bool *done = calloc(set->n, sizeof(*done));
	if (!idx || !done)
		abort();
	for (size_t i = 0; i < set->n; i++) {
		if (done[i])
			continue;
		size_t k = 0;
		for (size_t j = i; j < set->n; j++)
			if (!done[j] && !strcmp(set->s[j].label, set->s[i].label)) {
				idx[k++] = j;
				done[j] = true;
			}
		for (size_t j = k; j > 1; j--) {
			size_t r = (size_t)(mg_splitmix64(&seed) % j);
			size_t t = idx[j - 1];
			idx[j - 1] = idx[r];
			idx[r] = t;
		}
		for (size_t j = 0; j < k; j++)
			set->s[idx[j]].fold = next++ % folds;
	}
	free(idx);
	free(done);
}

static int label_of(char **labels, size_t n, const char *l)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(labels[i], l))
			return (int)i;
	return -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct pair {
	int a, b, n;
};

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	return y->n - x->n;
}

static int cmd_eval(const char *labels_file, int folds, uint64_t seed, const char *config,
		    bool verbose)
{
	struct set set = {0};
	double t0 = now_s();

	if (load_set(labels_file, config, &set) < 0) {
		set_free(&set);
		return 1;
	}
	double t_extract = now_s() - t0;
	if (set.n < (size_t)folds) {
		fprintf(stderr, "mudguard-fingerprint: %zu samples, fewer than %d folds\n", set.n,
			folds);
		set_free(&set);
		return 1;
	}
	assign_folds(&set, folds, seed);
	char **labels = calloc(set.n, sizeof(*labels));
	size_t nl = 0;
	for (size_t i = 0; i < set.n; i++)
		if (label_of(labels, nl, set.s[i].label) < 0)
			labels[nl++] = set.s[i].label;
	/* confusion[truth][predicted]; predicted == nl: unknown */
	unsigned *conf = calloc(nl * (nl + 1), sizeof(*conf));
	double *ttid = calloc(set.n, sizeof(*ttid));
	size_t n_tt = 0, correct = 0, within_1s = 0;
	if (!labels || !conf || !ttid)
		abort();

	for (int f = 0; f < folds; f++) {
		struct mg_fpmodel *m = mg_fpmodel_new();
		for (size_t i = 0; i < set.n; i++)
			if (set.s[i].fold != f && add_sample(m, &set.s[i]) < 0)
				abort();
		mg_fpmodel_finish(m);
		for (size_t i = 0; i < set.n; i++) {
			const struct sample *s = &set.s[i];
			if (s->fold != f)
				continue;
			uint64_t *h = hashes(s, s->ntok);
			struct mg_fp_result r;
			/* as the sensor sees it at the end of the capture */
			uint64_t age = s->ntok ? s->tok[s->ntok - 1].at_us : 0;
			mg_fpmodel_classify(m, h, s->ntok, age, &r);
			int truth = label_of(labels, nl, s->label);
			int pred = r.label ? label_of(labels, nl, r.label) : (int)nl;
			if (verbose && pred != truth)
				printf("miss %s (%s): predicted %s, similarity %.3f, nearest %s\n",
				       s->name, s->label, r.label ? r.label : "unknown", r.similarity,
				       r.nearest);
			conf[(size_t)truth * (nl + 1) + (size_t)pred]++;
			if (pred == truth) {
				correct++;
				/* time to identification: after the last prefix of the
				 * evidence that was not yet classified correctly */
				uint64_t at = 0;
				for (size_t k = 0; k < s->ntok; k++) {
					if (k + 1 < s->ntok && s->tok[k + 1].at_us == s->tok[k].at_us)
						continue;
					mg_fpmodel_classify(m, h, k + 1, s->tok[k].at_us, &r);
					if (!r.label || strcmp(r.label, s->label))
						at = k + 1 < s->ntok ? s->tok[k + 1].at_us : s->tok[k].at_us;
				}
				ttid[n_tt++] = (double)at / 1e6;
				if (verbose)
					printf("identified %s (%s) after %.3f s\n", s->name, s->label,
					       (double)at / 1e6);
				within_1s += at <= 1000000u;
			}
			free(h);
		}
		mg_fpmodel_free(m);
	}

	printf("samples %zu, labels %zu, folds %d (stratified by label, seed %llu)\n", set.n, nl,
	       folds, (unsigned long long)seed);
	printf("accuracy %.3f (%zu/%zu)\n", (double)correct / (double)set.n, correct, set.n);
	printf("\n%-22s %9s %9s %8s\n", "label", "precision", "recall", "samples");
	for (size_t l = 0; l < nl; l++) {
		unsigned tp = conf[l * (nl + 1) + l], col = 0, row = 0;
		for (size_t k = 0; k < nl; k++)
			col += conf[k * (nl + 1) + l];
		for (size_t k = 0; k <= nl; k++)
			row += conf[l * (nl + 1) + k];
		printf("%-22s %9.3f %9.3f %8u\n", labels[l], col ? (double)tp / col : 0.0,
		       row ? (double)tp / row : 0.0, row);
	}
	struct pair *pairs = calloc(nl * (nl + 1), sizeof(*pairs));
	size_t np = 0;
	for (size_t a = 0; a < nl; a++)
		for (size_t b = 0; b <= nl; b++)
			if (a != b && conf[a * (nl + 1) + b])
				pairs[np++] = (struct pair){(int)a, (int)b, (int)conf[a * (nl + 1) + b]};
	qsort(pairs, np, sizeof(*pairs), cmp_pair);
	printf("\nmost confused (truth -> predicted):\n");
	if (!np)
		printf("  none\n");
	for (size_t i = 0; i < np && i < 10; i++)
		printf("  %-22s -> %-22s %d\n", labels[pairs[i].a],
		       pairs[i].b == (int)nl ? "unknown" : labels[pairs[i].b], pairs[i].n);
	qsort(ttid, n_tt, sizeof(*ttid), cmp_double);
	if (n_tt)
		printf("\ntime to identification after the first packet (correct ones): median "
		       "%.3f s, 90th percentile %.3f s, within 1 s %.1f%%\n",
		       ttid[n_tt / 2], ttid[(n_tt * 9) / 10], 100.0 * (double)within_1s / (double)n_tt);
	printf("time: %.1f s replaying captures, %.1f s total\n", t_extract, now_s() - t0);
	free(pairs);
	free(conf);
	free(ttid);
	free(labels);
	set_free(&set);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mudguard-fingerprint train LABELS.tsv -o MODEL [-c CONFIG]\n"
		   "       mudguard-fingerprint eval LABELS.tsv [--folds N] [--seed N] [-c CONFIG] [-v]\n"
		   "\n"
		   "LABELS.tsv: pcap-path<TAB>label<TAB>mac per line, paths relative to the file.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'}, {"folds", required_argument, NULL, 'k'},
		{"seed", required_argument, NULL, 's'},	  {"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},	  {"verbose", no_argument, NULL, 'v'},
		{0},
	};
	const char *out = NULL, *config = NULL;
	long folds = 5;
	unsigned long long seed = 1;
	int opt;
	char *end;
	bool verbose = false;

	while ((opt = getopt_long(argc, argv, "o:c:hv", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'k':
			folds = strtol(optarg, &end, 10);
			if (*end || folds < 2 || folds > 100) {
				fprintf(stderr, "mudguard-fingerprint: --folds must be 2..100\n");
				return EXIT_USAGE;
			}
			break;
		case 's':
			seed = strtoull(optarg, &end, 10);
			if (*end) {
				fprintf(stderr, "mudguard-fingerprint: bad --seed\n");
				return EXIT_USAGE;
			}
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[optind], *labels = argv[optind + 1];
	if (!strcmp(cmd, "train")) {
		if (!out) {
			fprintf(stderr, "mudguard-fingerprint: train needs -o MODEL\n");
			return EXIT_USAGE;
		}
		return cmd_train(labels, out, config);
	}
	if (!strcmp(cmd, "eval"))
		return cmd_eval(labels, (int)folds, seed, config, verbose);
	usage(stderr);
	return EXIT_USAGE;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "runid.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef MG_VERSION
#define MG_VERSION "dev"
#endif

/* Keys that do not change what the events say: where they go, how they are
 * queued. Everything else is part of the run's identity. */
static const char *const not_identity[] = {
	"output.events", "redis.url", "redis.spool", "redis.spool_max", "redis.queue",
};

static void put(EVP_MD_CTX *h, const char *s)
{
	EVP_DigestUpdate(h, s, strlen(s) + 1); /* with its NUL: "ab","c" is not "a","bc" */
}

static void put_file(EVP_MD_CTX *h, const char *path)
{
	unsigned char buf[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		put(h, "unreadable");
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(h, buf, (size_t)n);
	put(h, n < 0 ? "read error" : "end");
	close(fd);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

/* A file's bytes, or a directory's names and the files whose names end in
 * @suffix ("" = all) in name order, to a bounded depth (rule and profile
 * trees are shallow). */
static void put_path(EVP_MD_CTX *h, const char *path, const char *suffix, int depth)
{
	struct stat st;
	struct dirent **names;
	int n;

	if (!path[0] || stat(path, &st) < 0) {
		put(h, "absent");
		return;
	}
	if (S_ISREG(st.st_mode)) {
		put_file(h, path);
		return;
	}
	if (!S_ISDIR(st.st_mode) || depth > 4 || (n = scandir(path, &names, NULL, alphasort)) < 0) {
		put(h, "other");
		return;
	}
	for (int i = 0; i < n; i++) {
		char sub[4096];
		struct stat sst;
		if (names[i]->d_name[0] != '.' &&
		    (size_t)snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name) < sizeof(sub) &&
		    stat(sub, &sst) == 0 && (S_ISDIR(sst.st_mode) || ends_with(sub, suffix))) {
			put(h, names[i]->d_name);
			put_path(h, sub, suffix, depth + 1);
		}
		free(names[i]);
	}
	free(names);
}

static void put_key(void *user, const char *section, const char *key, const char *value)
{
	char name[160];
	snprintf(name, sizeof(name), "%s.%s", section, key);
	for (size_t i = 0; i < sizeof(not_identity) / sizeof(not_identity[0]); i++)
		if (!strcmp(name, not_identity[i]))
			return;
	put(user, name);
	put(user, value);
}

static void hex(char out[MG_RUN_KEY_LEN + 1], const unsigned char *md)
{
	for (int i = 0; i < MG_RUN_KEY_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int mg_run_key(char out[MG_RUN_KEY_LEN + 1], const struct mg_config *cfg,
	       const char *const *files, unsigned n)
{
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	bool stream = !n;

	if (!h || !EVP_DigestInit_ex(h, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(h);
		return -ENOMEM;
	}
	put(h, "mudguard " MG_VERSION);
	for (unsigned i = 0; i < n; i++)
		stream |= !strcmp(files[i], "-");
	if (stream) {
		/* live capture or stdin: no input to name in advance, so every
		 * start is a run of its own, also two in the same second */
		struct {
			struct timespec ts;
			pid_t pid;
			unsigned char rnd[16];
		} u;
		memset(&u, 0, sizeof(u));
		clock_gettime(CLOCK_REALTIME, &u.ts);
		u.pid = getpid();
		if (getrandom(u.rnd, sizeof(u.rnd), 0) != (ssize_t)sizeof(u.rnd))
			clock_gettime(CLOCK_MONOTONIC, (struct timespec *)(void *)u.rnd);
		EVP_DigestUpdate(h, &u, sizeof(u));
	} else {
		mg_config_each(cfg, put_key, h);
		/* what the loaders read of each (the OUI registry: its CSV files,
		 * not the 9 MiB of text beside them) */
		const struct {
			const char *path, *suffix;
		} inputs[] = {
			{cfg->rules, ".rules"},	    {cfg->p0f_db, ""},	       {cfg->fingerprints, ""},
			{cfg->baseline, ""},	    {cfg->mud_rules, ".rules"}, {cfg->mud_repository, ""},
			{cfg->oui_dir, ".csv"},	    {cfg->mud_trust_anchors, ""},
		};
		for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
			put_path(h, inputs[i].path, inputs[i].suffix, 0);
		for (unsigned i = 0; i < n; i++) {
			put(h, "input");
			put_file(h, files[i]);
		}
	}
	EVP_DigestFinal_ex(h, md, NULL);
	EVP_MD_CTX_free(h);
	hex(out, md);
	return 0;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "linefile.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int mg_next_token(const char **s, char *out, size_t len)
{
	const char *p = *s;
	size_t o = 0;
	int quoted = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#' || *p == '\n' || *p == '\r')
		return 0;
	for (; *p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')); p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (quoted && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		if (o + 1 < len)
			out[o++] = *p;
	}
	out[o] = 0;
	*s = p;
	return quoted ? -1 : 1;
}

static int load_stream(FILE *f, const char *path, const char *shown, mg_line_cb cb, void *user,
		       char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;

	while (getline(&line, &cap, f) > 0) {
		lineno++;
		if ((rc = cb(user, line, path, shown, lineno, err, errlen)) < 0)
			break;
	}
	free(line);
	return rc;
}

static int load_file(const char *path, const char *shown, mg_line_cb cb, void *user, char *err,
		     size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	int rc = load_stream(f, path, shown, cb, user, err, errlen);
	fclose(f);
	return rc;
}

int mg_lines_load_mem(const char *name, const char *text, size_t len, mg_line_cb cb, void *user,
		      char *err, size_t errlen)
{
	if (!len)
		return 0;
	FILE *f = fmemopen((void *)(uintptr_t)text, len, "r");
	if (!f) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	int rc = load_stream(f, name, name, cb, user, err, errlen);
	fclose(f);
	return rc;
}

static const char *want_suffix;

static int has_suffix(const struct dirent *e)
{
	size_t n = strlen(e->d_name), s = strlen(want_suffix);
	return e->d_name[0] != '.' && n > s && !strcmp(e->d_name + n - s, want_suffix);
}

int mg_lines_load(const char *path, const char *suffix, mg_line_cb cb, void *user, char *err,
		  size_t errlen)
{
	struct stat st;
	int rc = 0;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(path, path, cb, user, err, errlen);
	struct dirent **list;
	want_suffix = suffix; /* scandir's filter takes no argument; loading is single-threaded */
	int n = scandir(path, &list, has_suffix, alphasort);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		char file[4096];
		snprintf(file, sizeof(file), "%s/%s", path, list[i]->d_name);
		if (!rc)
			rc = load_file(file, list[i]->d_name, cb, user, err, errlen);
		free(list[i]);
	}
	free(list);
	if (!rc && n == 0) {
		snprintf(err, errlen, "%s: no *%s files", path, suffix);
		rc = -ENOENT;
	}
	return rc;
}

int mg_read_file(const char *path, uint32_t max, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	*out = NULL;
	if (!f)
		return -errno;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			char *nb = realloc(b, cap + 1);
			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			b = nb;
		}
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (n > max) {
			rc = -EFBIG;
			break;
		}
		if (got == 0) {
			if (ferror(f))
				rc = -EIO;
			break;
		}
	}
	fclose(f);
	if (rc) {
		free(b);
		return rc;
	}
	b[n] = 0;
	*out = b;
	*len = n;
	return 0;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mudguard-mud: MUD profile tools.
 *
 *   mudguard-mud lint FILE...   exit 0 when every file is a usable profile
 *                               (warnings allowed), 1 otherwise
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../classify/mud.h"

#define EXIT_USAGE 2

static void report(enum mg_mud_severity sev, const char *msg, void *user)
{
	unsigned *warnings = user;
	if (sev == MG_MUD_WARNING)
		(*warnings)++;
	fprintf(stderr, "%s\n", msg);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	int err = ferror(f);
	fclose(f);
	if (err) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

static int lint(int argc, char **argv)
{
	int bad = 0;
	for (int i = 0; i < argc; i++) {
		size_t len;
		unsigned warnings = 0;
		char *text = slurp(argv[i], &len);
		if (!text) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			bad++;
			continue;
		}
		struct mg_mud *m;
		int rc = mg_mud_parse(&m, argv[i], text, len, report, &warnings);
		if (rc == 0) {
			size_t aces = 0;
			for (size_t a = 0; a < m->n_acl; a++)
				aces += m->acl[a].n;
			printf("%s: ok: %s, %zu ACLs, %zu entries, %u warning%s\n", argv[i], m->url,
			       m->n_acl, aces, warnings, warnings == 1 ? "" : "s");
		} else {
			printf("%s: %d error%s\n", argv[i], rc < 0 ? 1 : rc, rc == 1 ? "" : "s");
			bad++;
		}
		mg_mud_free(m);
		free(text);
	}
	return bad ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mudguard-mud lint FILE...\n");
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "lint"))
		return lint(argc - 2, argv + 2);
	usage(stderr);
	return EXIT_USAGE;
}

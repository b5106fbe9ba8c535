/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The journal's spool: a file of lines (events, in order) kept while Redis
 * is unreachable, bounded (past the bound the oldest are dropped, counted).
 * What a line holds is the journal's (journal.c); this file only appends
 * them (a batch all or none), bounds, reads and removes them.
 */
#ifndef MG_SPOOL_H
#define MG_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct mg_spool {
	char path[1024];
	uint32_t max; /* lines kept at most */
	uint64_t n;   /* lines in it */
	bool failing, announced_full;
	void (*log)(void *user, const char *line);
	void *log_user;
};

/* Sets @s up for the file @path (its lines are counted: what an earlier run
 * left is sent first). */
void mg_spool_init(struct mg_spool *s, const char *path, uint32_t max,
		   void (*log)(void *user, const char *line), void *log_user);

/* Appends @n lines, line i written to @f by @line (ending in '\n'): all of
 * them or none (a write cut short, the filesystem full, is taken back and
 * said once until the spool is sent). @spooled gets the lines appended,
 * @dropped those lost (not written, or the oldest, past the bound). */
void mg_spool_add(struct mg_spool *s, size_t n, void (*line)(void *user, size_t i, FILE *f),
		  void *user, uint64_t *spooled, uint64_t *dropped);

/* Hands each line (its '\n' kept) to @line, in order, while it returns
 * true. False when there is no spool file (then it is empty). */
bool mg_spool_each(struct mg_spool *s, bool (*line)(void *user, char *line), void *user);

/* Removes the spool: all of it was sent. */
void mg_spool_clear(struct mg_spool *s);

#endif

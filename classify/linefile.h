/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Line-oriented rule files (rules/identify and rules/mud): a
 * tokenizer with double quotes, and a loader for one file, a directory of
 * files with a given suffix (in name order), or a buffer.
 */
#ifndef MG_LINEFILE_H
#define MG_LINEFILE_H

#include <stddef.h>
#include <stdint.h>

/* Next whitespace-separated token of *@s into @out; double quotes group (with
 * \" and \\ inside) and are removed. Returns 1, 0 at end of line or comment,
 * -1 for an unterminated quote. */
int mg_next_token(const char **s, char *out, size_t len);

/* Receives one line. @shown names the file as locations show it ("x.rules");
 * returns 0 or a negative code with "@path:@lineno: ..." written to @err. */
typedef int (*mg_line_cb)(void *user, const char *line, const char *path, const char *shown,
			  unsigned lineno, char *err, size_t errlen);

/* Feeds every line of @path (a file, or a directory's *@suffix files, which
 * must not be none) to @cb, stopping at the first error. Returns 0 or the
 * negative code, with the message in @err. */
int mg_lines_load(const char *path, const char *suffix, mg_line_cb cb, void *user, char *err,
		  size_t errlen);

/* Same over @len bytes of @text, named @name. */
int mg_lines_load_mem(const char *name, const char *text, size_t len, mg_line_cb cb, void *user,
		      char *err, size_t errlen);

/* Reads a whole file of at most @max bytes into a malloc'd, NUL-terminated
 * buffer. Returns 0, -EFBIG or -errno. */
int mg_read_file(const char *path, uint32_t max, char **out, size_t *len);

#endif

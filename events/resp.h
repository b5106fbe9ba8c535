/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Commands in RESP (the Redis protocol), formatted into a buffer to be sent
 * at once: hiredis' own formatting (sdscatfmt for every argument) cost the
 * journal's writer more than everything else it does.
 */
#ifndef MG_RESP_H
#define MG_RESP_H

#include <stdbool.h>
#include <stddef.h>

struct mg_resp {
	char *b;
	size_t n, cap; /* bytes formatted, allocated */
};

/* Appends a command of @argc arguments (@lens: their lengths, or NULL for
 * C strings; arguments are binary-safe with lengths) as an array of bulk
 * strings. False when out of memory. */
bool mg_resp_cmd(struct mg_resp *o, int argc, const char *const *argv, const size_t *lens);

/* Frees the buffer. */
void mg_resp_free(struct mg_resp *o);

#endif

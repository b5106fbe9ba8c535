/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "resp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

static bool resp_room(struct mg_resp *o, size_t more)
{
	if (o->n + more <= o->cap)
		return true;
	size_t cap = o->cap ? o->cap : 65536;
	while (cap < o->n + more)
		cap *= 2;
	char *b = realloc(o->b, cap);
	if (!b)
		return false;
	o->b = b;
	o->cap = cap;
	return true;
}

/* @c, @v in decimal, CRLF (room for them was made). */
static void resp_num(struct mg_resp *o, char c, size_t v)
{
	o->b[o->n++] = c;
	o->n += mg_u64_str(o->b + o->n, v);
	o->b[o->n++] = '\r';
	o->b[o->n++] = '\n';
}

bool mg_resp_cmd(struct mg_resp *o, int argc, const char *const *argv, const size_t *lens)
{
	if (!resp_room(o, 24))
		return false;
	resp_num(o, '*', (size_t)argc);
	for (int i = 0; i < argc; i++) {
		size_t len = lens ? lens[i] : strlen(argv[i]);
		if (!resp_room(o, len + 26))
			return false;
		resp_num(o, '$', len);
		memcpy(o->b + o->n, argv[i], len);
		o->n += len;
		o->b[o->n++] = '\r';
		o->b[o->n++] = '\n';
	}
	return true;
}

void mg_resp_free(struct mg_resp *o)
{
	free(o->b);
	o->b = NULL;
	o->n = o->cap = 0;
}

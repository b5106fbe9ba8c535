/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Wire bytes to printable text: what every extractor hands to events. */
#ifndef MG_TEXT_H
#define MG_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Copies @n bytes of @in to @out (NUL-terminated, cut to fit @outlen) keeping
 * printable ASCII and well-formed UTF-8 and writing every other byte (control,
 * invalid UTF-8, backslash, and '.' when @escape_dot) as \xHH, so the result is
 * valid UTF-8 and the original bytes stay recoverable. Trailing NULs and
 * surrounding spaces are dropped. Returns the length written. */
size_t mg_text_clean(const uint8_t *in, size_t n, char *out, size_t outlen, int escape_dot);

#endif

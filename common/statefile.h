/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * State files (baselines, fingerprint models, the enforcer's quarantines),
 * written the one safe way: to PATH.tmp, flushed and fsync'ed, renamed over
 * PATH, and the directory fsync'ed, so a crash or a full filesystem leaves
 * either the old file or the new one whole, never a mix. A format with a
 * checksum gets its last line written here (its loader checks it).
 */
#ifndef MG_STATEFILE_H
#define MG_STATEFILE_H

#include <stddef.h>

/* Writes @body (@len bytes) to @path as above, followed, when @sum_prefix
 * is not NULL, by the line "@sum_prefix" HEX "\n" where HEX is the FNV-1a 64
 * of @body in 16 hex digits ("checksum ", "end\t"). Returns 0, or -errno with the reason in @err; the
 * old file is then untouched and no temporary file is left. */
int mg_statefile_write(const char *path, const char *body, size_t len, const char *sum_prefix,
		       char *err, size_t errlen);

#endif

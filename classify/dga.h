/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * DNS names: the registrable part of a name (what an owner registers and a
 * domain-generation algorithm must generate), and how machine-made that part
 * looks. No list of public suffixes: two labels, three under a two-letter
 * country code with a generic second level (co.uk, com.au).
 */
#ifndef MG_DGA_H
#define MG_DGA_H

#include <stddef.h>

/* The registrable domain of @name ("a.b.example.co.uk" -> "example.co.uk"),
 * as a pointer into @name (a trailing dot is ignored by the caller); @name
 * itself when it has fewer labels. */
const char *mg_dns_registrable(const char *name);

/* How algorithmically generated the registrable label of @name looks, 0..1:
 * letters and digits mixed, few vowels, long consonant runs, many distinct
 * characters. Names under 8 characters score 0. @why (may be NULL) receives
 * the features that counted. */
double mg_dga_score(const char *name, char *why, size_t whylen);

#endif

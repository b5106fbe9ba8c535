/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dga.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool generic_sld(const char *s, size_t n)
{
	static const char *const g[] = {"co", "com", "net", "org", "gov", "edu", "ac", "ne", "or"};
	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++)
		if (strlen(g[i]) == n && !strncmp(s, g[i], n))
			return true;
	return false;
}

const char *mg_dns_registrable(const char *name)
{
	size_t len = strlen(name);
	const char *dot[3] = {NULL, NULL, NULL}; /* the last, second last, third last dots */
	int n = 0;

	if (len && name[len - 1] == '.')
		len--;
	for (size_t i = len; i-- > 0 && n < 3;)
		if (name[i] == '.')
			dot[n++] = name + i;
	if (n < 2)
		return name;
	size_t tld = (size_t)(name + len - dot[0] - 1);
	const char *sld = dot[1] + 1;
	if (tld == 2 && generic_sld(sld, (size_t)(dot[0] - sld))) /* co.uk, com.au */
		return n == 3 ? dot[2] + 1 : name;
	return sld;
}

/* Appends ", "-separated text to @buf. */
__attribute__((format(printf, 3, 4))) static void note(char *buf, size_t len, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (!buf || !len)
		return;
	used = strlen(buf);
	if (used && used + 2 < len)
		used += (size_t)snprintf(buf + used, len - used, ", ");
	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

double mg_dga_score(const char *name, char *why, size_t whylen)
{
	const char *reg = mg_dns_registrable(name);
	const char *end = strchr(reg, '.');
	size_t n = end ? (size_t)(end - reg) : strlen(reg);
	unsigned letters = 0, vowels = 0, digits = 0, run = 0, maxrun = 0, distinct = 0;
	bool seen[256] = {false};
	double score = 0;

	if (why && whylen)
		why[0] = 0;
	if (n < 8)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tolower((unsigned char)reg[i]);
		if (!seen[c])
			distinct++;
		seen[c] = true;
		if (isdigit(c)) {
			digits++;
			run = 0;
		} else if (isalpha(c)) {
			letters++;
			if (strchr("aeiouy", c)) {
				vowels++;
				run = 0;
			} else if (++run > maxrun) {
				maxrun = run;
			}
		} else {
			run = 0; /* '-' */
		}
	}
	if (digits >= 2 && letters >= 2 && digits * 5 >= n) {
		score += 0.35;
		note(why, whylen, "%u digits among %u letters", digits, letters);
	}
	/* short vowel-less names are often abbreviations (msftncsi): only with
	 * digits in them, or when long */
	if (letters >= 6 && vowels * 5 < letters && (digits || letters >= 10)) {
		score += 0.35;
		note(why, whylen, "%u vowels in %u letters", vowels, letters);
	}
	if (maxrun >= 5) {
		score += 0.3;
		note(why, whylen, "%u consonants in a row", maxrun);
	}
	if (n >= 12 && distinct * 4 >= n * 3) {
		score += 0.2;
		note(why, whylen, "%u distinct characters in %zu", distinct, n);
	}
	return score > 1 ? 1 : score;
}

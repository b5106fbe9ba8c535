/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "banner.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "text.h"

enum mg_http_kind mg_http_kind(const uint8_t *b, uint32_t len)
{
	static const char *const methods[] = {"GET ",	 "POST ",   "HEAD ",	"PUT ",
					      "NOTIFY ", "M-SEARCH ", "OPTIONS ", "SUBSCRIBE "};

	if (len >= 8 && !memcmp(b, "HTTP/1.", 7))
		return MG_HTTP_RESPONSE;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t n = strlen(methods[i]);
		if (len > n && !memcmp(b, methods[i], n))
			return MG_HTTP_REQUEST;
	}
	return MG_HTTP_NONE;
}

int mg_http_header(const uint8_t *b, uint32_t len, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	uint32_t i = 0;

	/* skip the start line */
	while (i < len && b[i] != '\n')
		i++;
	while (++i < len) {
		uint32_t end = i;
		while (end < len && b[end] != '\n')
			end++;
		uint32_t line_end = end > i && b[end - 1] == '\r' ? end - 1 : end;
		if (line_end == i) /* blank line: end of headers */
			return -1;
		if (line_end - i > nlen && b[i + nlen] == ':' &&
		    !strncasecmp((const char *)b + i, name, nlen)) {
			uint32_t v = i + (uint32_t)nlen + 1;
			return (int)mg_text_clean(b + v, line_end - v, out, outlen, 0);
		}
		i = end;
	}
	return -1;
}

static bool is_protocol(const char *name)
{
	return !strcasecmp(name, "HTTP") || !strcasecmp(name, "UPnP") ||
	       !strcasecmp(name, "DLNADOC") || !strcasecmp(name, "SOAP");
}

static bool looks_version(const char *w, bool need_dot)
{
	if (!isdigit((unsigned char)w[0]))
		return false;
	return !need_dot || strchr(w, '.');
}

#define WORD_MAX 128
#define NAME_WORDS 5

int mg_banner_versions(const char *s, mg_version_cb cb, void *user)
{
	char name[WORD_MAX * NAME_WORDS + NAME_WORDS], word[WORD_MAX];
	int found = 0, pending = 0;
	bool prev_alpha = false;

	name[0] = 0;
	while (*s) {
		if (strchr(",;()[]", *s)) { /* segment boundary */
			name[0] = 0;
			pending = 0;
			prev_alpha = false;
			s++;
			continue;
		}
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		size_t n = 0;
		while (*s && !isspace((unsigned char)*s) && !strchr(",;()[]", *s)) {
			if (n + 1 < sizeof(word))
				word[n++] = *s;
			s++;
		}
		word[n] = 0;
		char *slash = strchr(word, '/');
		if (slash && slash > word && looks_version(slash + 1, false)) {
			*slash = 0;
			char product[sizeof(name) + WORD_MAX];
			snprintf(product, sizeof(product), "%s%s%s", name, *name ? " " : "", word);
			if (!is_protocol(product)) {
				cb(product, slash + 1, user);
				found++;
			}
			name[0] = 0;
			pending = 0;
			prev_alpha = false;
			continue;
		}
		if (prev_alpha && pending && looks_version(word, true) && !strchr(word, '/')) {
			const char *last = strrchr(name, ' ');
			cb(last ? last + 1 : name, word, user);
			found++;
			name[0] = 0;
			pending = 0;
			prev_alpha = false;
			continue;
		}
		if (slash) { /* a path or such: not a name */
			name[0] = 0;
			pending = 0;
			prev_alpha = false;
			continue;
		}
		if (pending == NAME_WORDS) { /* keep the last words only */
			char *sp = strchr(name, ' ');
			memmove(name, sp + 1, strlen(sp + 1) + 1);
			pending--;
		}
		size_t l = strlen(name);
		snprintf(name + l, sizeof(name) - l, "%s%s", l ? " " : "", word);
		pending++;
		prev_alpha = isalpha((unsigned char)word[0]);
	}
	return found;
}

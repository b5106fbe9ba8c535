/* SPDX-License-Identifier: GPL-3.0-or-later */
/* HTTP/SSDP header fields and the software versions that banners carry. */
#ifndef MG_BANNER_H
#define MG_BANNER_H

#include <stddef.h>
#include <stdint.h>

enum mg_http_kind { MG_HTTP_NONE, MG_HTTP_REQUEST, MG_HTTP_RESPONSE };

/* Classifies the start line of @b: a request ("GET /x HTTP/1.1", "M-SEARCH *
 * HTTP/1.1", "NOTIFY * HTTP/1.1") or a response ("HTTP/1.1 200 OK"). */
enum mg_http_kind mg_http_kind(const uint8_t *b, uint32_t len);

/* Copies the value of header @name (case-insensitive, first occurrence, only
 * within the header block) into @out, cleaned by mg_text_clean. Returns its
 * length, or -1 if absent. */
int mg_http_header(const uint8_t *b, uint32_t len, const char *name, char *out, size_t outlen);

/* Calls @cb for every product/version pair in banner text @s: "Name/1.2.3"
 * (the name may span words back to a ',', ';' or parenthesis, as in "Portable
 * SDK for UPnP devices/1.6.18") and "name 1.2.3" (a word, then a dotted number:
 * "udhcp 1.22.1"). Protocol tokens (HTTP/, UPnP/, DLNADOC/) are not products.
 * Returns the number of pairs found. */
typedef void (*mg_version_cb)(const char *product, const char *version, void *user);
int mg_banner_versions(const char *s, mg_version_cb cb, void *user);

#endif

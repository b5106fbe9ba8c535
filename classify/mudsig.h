/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * MUD file signatures (RFC 8520 section 13): a detached CMS SignedData over
 * the file's exact bytes, checked against configured trust anchors with
 * OpenSSL. The one place that includes OpenSSL's CMS and X.509 APIs.
 *
 * Certificate validity is judged by the wall clock, even in replay: an expired
 * certificate is not trusted today whatever the capture's date. check_time =
 * false turns that off (research on old, signed examples).
 */
#ifndef MG_MUDSIG_H
#define MG_MUDSIG_H

#include <stdbool.h>
#include <stddef.h>

struct mg_mudsig;

/* Loads the trust anchors from @anchors (a PEM file, or a directory of hashed
 * certificates). Returns 0 or a negative code with the reason in @err. */
int mg_mudsig_new(struct mg_mudsig **out, const char *anchors, bool check_time, char *err,
		  size_t errlen);
void mg_mudsig_free(struct mg_mudsig *s);

/* Verifies @sig (DER, or PEM) over @data. Returns 0 with the signer's subject
 * in @msg, or -EBADMSG with the reason in @msg. */
int mg_mudsig_verify(const struct mg_mudsig *s, const void *data, size_t len, const void *sig,
		     size_t siglen, char *msg, size_t msglen);

#endif

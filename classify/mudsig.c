/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "mudsig.h"

#include <errno.h>
#include <openssl/pem.h> /* before cms.h: it declares the CMS PEM readers */
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct mg_mudsig {
	X509_STORE *store;
};

/* OpenSSL's queued errors as one line ("certificate verify error: Verify
 * error: certificate has expired"), deepest reason last; clears the queue. */
static void openssl_why(char *msg, size_t len, const char *what)
{
	const char *data;
	int flags;
	unsigned long e;
	size_t used = (size_t)snprintf(msg, len, "%s", what);

	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags))) {
		if (used + 3 >= len)
			continue;
		char buf[256];
		const char *r = ERR_reason_error_string(e);
		if (!r) {
			ERR_error_string_n(e, buf, sizeof(buf));
			r = buf;
		}
		int n = snprintf(msg + used, len - used, ": %s%s%s", r,
				 (flags & ERR_TXT_STRING) && data && *data ? ": " : "",
				 (flags & ERR_TXT_STRING) && data ? data : "");
		if (n > 0)
			used += (size_t)n < len - used ? (size_t)n : len - used - 1;
	}
}

int mg_mudsig_new(struct mg_mudsig **out, const char *anchors, bool check_time, char *err,
		  size_t errlen)
{
	struct mg_mudsig *s = calloc(1, sizeof(*s));
	struct stat st;
	int rc = -EINVAL;

	*out = NULL;
	if (!s || !(s->store = X509_STORE_new())) {
		free(s);
		return -ENOMEM;
	}
	if (stat(anchors, &st) < 0) {
		snprintf(err, errlen, "%s: %s", anchors, strerror(errno));
		rc = -errno;
		goto out;
	}
	if (!(S_ISDIR(st.st_mode) ? X509_STORE_load_path(s->store, anchors)
				  : X509_STORE_load_file(s->store, anchors))) {
		char why[512];
		openssl_why(why, sizeof(why), "cannot load trust anchors");
		snprintf(err, errlen, "%s: %s", anchors, why);
		goto out;
	}
	/* MUD signers' certificates carry no S/MIME purpose: what makes them
	 * trusted is the configured anchor, as RFC 8520 section 13.2 has it */
	X509_STORE_set_purpose(s->store, X509_PURPOSE_ANY);
	if (!check_time)
		X509_STORE_set_flags(s->store, X509_V_FLAG_NO_CHECK_TIME);
	rc = 0;
out:
	if (rc) {
		mg_mudsig_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void mg_mudsig_free(struct mg_mudsig *s)
{
	if (!s)
		return;
	X509_STORE_free(s->store);
	free(s);
}

int mg_mudsig_verify(const struct mg_mudsig *s, const void *data, size_t len, const void *sig,
		     size_t siglen, char *msg, size_t msglen)
{
	BIO *sb = BIO_new_mem_buf(sig, (int)siglen);
	BIO *db = BIO_new_mem_buf(data, (int)len);
	CMS_ContentInfo *cms = NULL;
	int rc = -EBADMSG;

	ERR_clear_error();
	if (!sb || !db || siglen > 1 << 20 || len > 1 << 30) {
		snprintf(msg, msglen, "cannot read the signature");
		goto out;
	}
	cms = d2i_CMS_bio(sb, NULL);
	if (!cms) {
		(void)BIO_reset(sb);
		cms = PEM_read_bio_CMS(sb, NULL, NULL, NULL);
	}
	if (!cms) {
		openssl_why(msg, msglen, "not a CMS signature");
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		snprintf(msg, msglen, "not a CMS SignedData");
		goto out;
	}
	if (CMS_verify(cms, NULL, s->store, db, NULL, CMS_BINARY) != 1) {
		openssl_why(msg, msglen, "signature does not verify");
		goto out;
	}
	STACK_OF(X509) *signers = CMS_get0_signers(cms);
	if (signers && sk_X509_num(signers) > 0)
		X509_NAME_oneline(X509_get_subject_name(sk_X509_value(signers, 0)), msg,
				  (int)msglen);
	else
		snprintf(msg, msglen, "(unknown signer)");
	sk_X509_free(signers);
	rc = 0;
out:
	CMS_ContentInfo_free(cms);
	BIO_free(sb);
	BIO_free(db);
	ERR_clear_error();
	return rc;
}

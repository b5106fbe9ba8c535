/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "mudfetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sink {
	char *b;
	size_t len, max;
	int too_big;
	const atomic_int *abort;
};

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
	struct sink *s = user;
	size_t add = size * n;

	if (s->len + add > s->max) {
		s->too_big = 1;
		return 0; /* aborts the transfer */
	}
	char *nb = realloc(s->b, s->len + add + 1);
	if (!nb)
		return 0;
	s->b = nb;
	memcpy(s->b + s->len, p, add);
	s->len += add;
	s->b[s->len] = 0;
	return add;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	const struct sink *s = user;
	return atomic_load(s->abort) != 0; /* non-zero aborts the transfer */
}

int mg_fetch_init(void)
{
	static int done;
	if (!done && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	done = 1;
	return 0;
}

int mg_fetch(const struct mg_fetch_cfg *c, const char *url, const char *accept, char **body,
	     size_t *len, char *err, size_t errlen)
{
	struct sink s = {.max = c->max_bytes, .abort = c->abort};
	struct curl_slist *hdr = NULL, *conn = NULL;
	char ebuf[CURL_ERROR_SIZE] = "", h[256];
	long status = 0;
	int rc = -EIO;

	*body = NULL;
	*len = 0;
	CURL *e = curl_easy_init();
	if (!e) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -ENOMEM;
	}
	snprintf(h, sizeof(h), "Accept: %s", accept);
	hdr = curl_slist_append(NULL, h);
	if (c->connect_to) { /* a list separated by spaces or commas */
		char buf[512];
		snprintf(buf, sizeof(buf), "%s", c->connect_to);
		for (char *save, *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save))
			conn = curl_slist_append(conn, t);
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)c->max_redirects);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)c->timeout_s);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)c->timeout_s);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_bytes);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "mudguard/" MG_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ebuf);
	if (c->ca_file && *c->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	if (conn)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, conn);
	if (c->abort) {
		curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(e, CURLOPT_XFERINFODATA, &s);
	}
	CURLcode cr = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (s.too_big || cr == CURLE_FILESIZE_EXCEEDED) {
		snprintf(err, errlen, "larger than %u bytes", c->max_bytes);
		rc = -EFBIG;
	} else if (cr == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(err, errlen, "stopped");
		rc = -ECANCELED;
	} else if (cr != CURLE_OK) {
		snprintf(err, errlen, "%s", ebuf[0] ? ebuf : curl_easy_strerror(cr));
		rc = cr == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO;
	} else if (status == 404 || status == 410) {
		snprintf(err, errlen, "HTTP %ld", status);
		rc = -ENOENT;
	} else if (status != 200) {
		snprintf(err, errlen, "HTTP %ld", status);
	} else {
		if (!s.b && !(s.b = calloc(1, 1))) {
			rc = -ENOMEM;
			goto out;
		}
		*body = s.b;
		*len = s.len;
		s.b = NULL;
		rc = 0;
	}
out:
	free(s.b);
	curl_slist_free_all(hdr);
	curl_slist_free_all(conn);
	curl_easy_cleanup(e);
	return rc;
}

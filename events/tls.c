/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct mg_tls {
	SSL *ssl;
	SSL_CTX *ctx;
	int tcp, plain;
	pthread_t th;
};

static void tls_error(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";
	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "TLS: %s%s%s", what, *buf ? ": " : "", buf);
	ERR_clear_error();
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Moves bytes both ways until one side closes or fails. The TLS socket is
 * non-blocking: a read may find only a session ticket or half a record, and
 * must then go back to waiting instead of blocking the other direction. */
static void *relay_run(void *arg)
{
	struct mg_tls *r = arg;
	char in[16384], out[16384];
	sigset_t set; /* a closed peer is EPIPE here, not the process's end */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	size_t out_n = 0; /* read from hiredis, not yet taken by SSL_write */
	bool want_write = false, done = false;

	while (!done) {
		struct pollfd p[2] = {{.fd = r->plain, .events = out_n ? 0 : POLLIN},
				      {.fd = r->tcp, .events = POLLIN | (want_write ? POLLOUT : 0)}};
		if (!SSL_pending(r->ssl) && poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents && !out_n) {
			ssize_t n = read(r->plain, out, sizeof(out));
			if (n <= 0)
				break; /* hiredis closed its end: the connection is over */
			out_n = (size_t)n;
		}
		if (out_n) { /* retried with the same buffer until taken */
			int n = SSL_write(r->ssl, out, (int)out_n);
			int e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(r->ssl, n);
			want_write = e == SSL_ERROR_WANT_WRITE;
			if (n > 0)
				out_n = 0;
			else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				break;
		}
		for (;;) { /* everything readable now */
			int n = SSL_read(r->ssl, in, sizeof(in));
			if (n > 0) {
				if (!write_all(r->plain, in, (size_t)n)) {
					done = true;
					break;
				}
				continue;
			}
			int e = SSL_get_error(r->ssl, n);
			done = e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
			break;
		}
	}
	SSL_shutdown(r->ssl);
	ERR_clear_error();
	return NULL; /* the rest is freed by mg_tls_join */
}

void mg_tls_join(struct mg_tls *r)
{
	if (!r)
		return;
	pthread_join(r->th, NULL);
	SSL_free(r->ssl);
	SSL_CTX_free(r->ctx);
	close(r->tcp);
	close(r->plain);
	free(r);
}

static int tcp_connect(const char *host, int port, unsigned timeout_ms, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	char service[16];
	int fd = -1, rc;

	snprintf(service, sizeof(service), "%d", port);
	if ((rc = getaddrinfo(host, service, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)); /* connect, handshake */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd < 0 ? -ECONNREFUSED : fd;
}

int mg_tls_connect(struct mg_tls **out, const char *host, int port, const struct mg_tls_cfg *cfg,
		   unsigned timeout_ms, char *err, size_t errlen)
{
	struct mg_tls *r = calloc(1, sizeof(*r));
	int sp[2] = {-1, -1}, rc = -EPROTO;
	unsigned char ip[16];
	bool is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;

	if (!r)
		return -ENOMEM;
	r->tcp = -1;
	if (!(r->ctx = SSL_CTX_new(TLS_client_method()))) {
		tls_error(err, errlen, "cannot make a context");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(r->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER, NULL);
	if (cfg->ca && *cfg->ca ? SSL_CTX_load_verify_locations(r->ctx, cfg->ca, NULL) != 1
				: SSL_CTX_set_default_verify_paths(r->ctx) != 1) {
		char what[1100];
		snprintf(what, sizeof(what), "cannot load the CA certificates %s",
			 cfg->ca && *cfg->ca ? cfg->ca : "of the system");
		tls_error(err, errlen, what);
		goto fail;
	}
	if (cfg->cert && *cfg->cert &&
	    (SSL_CTX_use_certificate_chain_file(r->ctx, cfg->cert) != 1 ||
	     SSL_CTX_use_PrivateKey_file(r->ctx, cfg->key && *cfg->key ? cfg->key : cfg->cert,
					 SSL_FILETYPE_PEM) != 1)) {
		tls_error(err, errlen, "cannot load the client certificate or key");
		goto fail;
	}
	if ((r->tcp = tcp_connect(host, port, timeout_ms, err, errlen)) < 0) {
		rc = r->tcp;
		goto fail;
	}
	if (!(r->ssl = SSL_new(r->ctx)) || SSL_set_fd(r->ssl, r->tcp) != 1) {
		tls_error(err, errlen, "cannot make a connection");
		goto fail;
	}
	/* the certificate must name what we connected to */
	X509_VERIFY_PARAM *vp = SSL_get0_param(r->ssl);
	char sni[256]; /* the SNI macro takes a non-const pointer */
	snprintf(sni, sizeof(sni), "%s", host);
	if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1
		  : (SSL_set_tlsext_host_name(r->ssl, sni) != 1 || SSL_set1_host(r->ssl, host) != 1)) {
		tls_error(err, errlen, "cannot set the name to verify");
		goto fail;
	}
	if (SSL_connect(r->ssl) != 1) {
		long v = SSL_get_verify_result(r->ssl);
		if (v != X509_V_OK) {
			snprintf(err, errlen, "TLS: the server's certificate: %s",
				 X509_verify_cert_error_string(v));
			ERR_clear_error();
		} else {
			tls_error(err, errlen, "handshake failed");
		}
		goto fail;
	}
	/* from here the relay waits in poll() */
	fcntl(r->tcp, F_SETFL, fcntl(r->tcp, F_GETFL) | O_NONBLOCK);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		rc = -errno;
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		goto fail;
	}
	r->plain = sp[1];
	if ((rc = pthread_create(&r->th, NULL, relay_run, r)) != 0) {
		snprintf(err, errlen, "TLS relay: %s", strerror(rc));
		rc = -rc;
		goto fail;
	}
	*out = r;
	return sp[0];
fail:
	if (r->ssl)
		SSL_free(r->ssl);
	if (r->ctx)
		SSL_CTX_free(r->ctx);
	if (r->tcp >= 0)
		close(r->tcp);
	if (sp[0] >= 0) {
		close(sp[0]);
		close(sp[1]);
	}
	free(r);
	return rc;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "rconn.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "tls.h"

struct redisReply *mg_rconn_cmd(struct mg_rconn *rc, int argc, const char **argv)
{
	return redisCommandArgv(rc->c, argc, argv, NULL);
}

void mg_rconn_close(struct mg_rconn *rc)
{
	if (rc->c)
		redisFree(rc->c);
	rc->c = NULL;
	mg_tls_join(rc->relay);
	rc->relay = NULL;
}

void mg_rconn_reset(struct mg_rconn *rc, const char *reason)
{
	char why[128];
	/* @reason may live in rc->c; hiredis' timeout reads as EAGAIN's text */
	snprintf(why, sizeof(why), "%s",
		 strcmp(reason, strerror(EAGAIN)) ? reason : "no answer within 5 s");
	/* a connection given up on (no answer in time: the route may be gone)
	 * is reset, not closed: closed, the kernel would go on retransmitting
	 * what it holds, and a transaction or a read given up on here could
	 * reach Redis seconds later, after the spool's copy of the same events
	 * (or hand entries to a reader that is gone) */
	if (rc->c && rc->c->fd >= 0 && !rc->relay)
		setsockopt(rc->c->fd, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0},
			   sizeof(struct linger));
	mg_rconn_close(rc);
	if (!rc->was_down && rc->note)
		rc->note(rc->user, rc->url.where, why);
	rc->was_down = true;
	rc->next_try = time(NULL) + 1;
}

bool mg_rconn_ok(struct redisReply *rep)
{
	bool ok = rep && rep->type != REDIS_REPLY_ERROR;
	if (rep)
		freeReplyObject(rep);
	return ok;
}

const char *mg_rconn_error(const struct mg_rconn *rc, const char *otherwise)
{
	return rc->c && rc->c->err ? rc->c->errstr : otherwise;
}

int mg_rconn_up(struct mg_rconn *rc)
{
	struct mg_redis_url *u = &rc->url;
	struct timeval tv = {1, 0};
	char db[16];

	if (rc->c)
		return 0;
	if (time(NULL) < rc->next_try)
		return -1;
	if (u->tls) {
		char why[300];
		struct mg_tls_cfg tc = {u->ca, u->cert, u->key};
		int fd = mg_tls_connect(&rc->relay, u->host, u->port, &tc, 2000, why, sizeof(why));
		if (fd < 0) {
			mg_rconn_reset(rc, why);
			return -1;
		}
		if (!(rc->c = redisConnectFd(fd)))
			close(fd); /* else the relay would wait for it for ever */
	} else {
		rc->c = redisConnectWithTimeout(u->host, u->port, tv);
	}
	if (!rc->c || rc->c->err) {
		mg_rconn_reset(rc, rc->c ? rc->c->errstr : "out of memory");
		return -1;
	}
	redisSetTimeout(rc->c, (struct timeval){5, 0});
	if (u->pass[0]) {
		const char *a[] = {"AUTH", u->user, u->pass};
		bool user = u->user[0];
		const char *b[] = {"AUTH", u->pass};
		if (!mg_rconn_ok(user ? mg_rconn_cmd(rc, 3, a) : mg_rconn_cmd(rc, 2, b))) {
			mg_rconn_reset(rc, "AUTH refused"); /* never the password */
			return -1;
		}
	}
	snprintf(db, sizeof(db), "%d", u->db);
	const char *sel[] = {"SELECT", db}, *ping = "PING";
	if (u->db && !mg_rconn_ok(mg_rconn_cmd(rc, 2, sel))) {
		mg_rconn_reset(rc, "SELECT refused");
		return -1;
	}
	/* answered, or it is not up: a TLS server that wants a client certificate
	 * completes the handshake and only then hangs up */
	if (!mg_rconn_ok(mg_rconn_cmd(rc, 1, &ping))) {
		mg_rconn_reset(rc, u->tls ? "TLS: the server closed the connection after the handshake "
					    "(does it want a client certificate?)"
					  : "no answer to PING");
		return -1;
	}
	if (rc->was_down && rc->note)
		rc->note(rc->user, u->where, NULL);
	rc->was_down = false;
	return 1;
}

void mg_rconn_no_sigpipe(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

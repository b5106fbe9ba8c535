/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One connection to Redis, shared by its three users (the journal's writer,
 * the plain client, the consumer group reader): connect with timeouts (1 s
 * to connect, 5 s for each answer), AUTH and SELECT as the URL says, a PING
 * to see it answers, TLS through a relay (tls.h) for rediss://. Given up on,
 * it is reset and tried again a second later at the soonest. What is said
 * about it going away and coming back is up to its user (@note).
 */
#ifndef MG_RCONN_H
#define MG_RCONN_H

#include <stdbool.h>
#include <time.h>

#include "redisurl.h"

struct redisContext;
struct redisReply;
struct mg_tls;

struct mg_rconn {
	struct mg_redis_url url;
	/* called when the connection goes away (@why: the reason, never the
	 * password) after it was up or at the first try, and with @why NULL when
	 * it is back after that; NULL: nothing is said */
	void (*note)(void *user, const char *where, const char *why);
	void *user;

	struct redisContext *c; /* NULL while down */
	struct mg_tls *relay;	/* rediss://: the TLS relay behind c */
	bool was_down;
	time_t next_try;
};

/* Connects unless up, or the last try was less than a second ago. Returns
 * 1 when it connected now, 0 when it was up, -1 when it is down. */
int mg_rconn_up(struct mg_rconn *rc);

/* Gives up on the connection (@reason: why, for @note): reset, not closed,
 * so that nothing it holds reaches Redis later. */
void mg_rconn_reset(struct mg_rconn *rc, const char *reason);

/* Closes the connection (at the end) and ends its TLS relay, if any. */
void mg_rconn_close(struct mg_rconn *rc);

/* The connection's error, @otherwise if it has none. */
const char *mg_rconn_error(const struct mg_rconn *rc, const char *otherwise);

/* A command (C strings), its answer or NULL. */
struct redisReply *mg_rconn_cmd(struct mg_rconn *rc, int argc, const char **argv);

/* Whether @rep is an answer and not an error; frees it. */
bool mg_rconn_ok(struct redisReply *rep);

/* A write to a connection the server (or the TLS relay) closed must fail
 * with EPIPE, not kill the process: SIGPIPE is sent to the writing thread,
 * so the threads that talk to Redis block it (call at their start). */
void mg_rconn_no_sigpipe(void);

#endif

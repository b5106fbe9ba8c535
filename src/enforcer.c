/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "enforcer.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../events/redis.h"
#include "quarantine_ev.h"

struct enforcer {
	struct mg_enf *e;
	struct mg_events *ev;
	struct mg_rconsumer *c;
	const char *name;
	uint64_t now_us;
	bool changed;
	bool unsaved; /* the last save failed: tried again every second */
	void (*log)(void *user, const char *line);
};

static void save(struct enforcer *x)
{
	mg_qev_save(x->ev, x->now_us, x->e, &x->unsaved, x->log);
}

static void note(void *user, enum mg_enf_note what, const uint8_t *mac, const char *detail)
{
	struct enforcer *x = user;
	mg_qev_note(x->ev, x->now_us, x->e, what, mac, detail);
	/* what needs an operator is also said in the log */
	if (x->log && (what == MG_ENF_TABLE_RESTORED || what == MG_ENF_ERROR))
		x->log(NULL, detail);
	x->changed = true;
}

static void on_entry(void *user, const char *stream, const char *id, unsigned nf,
		     const char *const *fields, const char *const *values)
{
	struct enforcer *x = user;
	bool changed = false;
	if (!strcmp(stream, MG_REDIS_COMMANDS)) {
		struct mg_command c;
		mg_command_from_fields(&c, id, nf, fields, values);
		changed = mg_qev_command(x->ev, x->now_us, x->e, &c, x->name);
	} else { /* a published verdict: its event, while fresh */
		uint64_t at = mg_stream_id_us(id);
		uint64_t age_s = at && x->now_us > at ? (x->now_us - at) / 1000000u : 0;
		for (unsigned i = 0; i < nf; i++)
			if (!strcmp(fields[i], "event") && age_s > MG_VERDICT_MAX_AGE_S) {
				mg_qev_stale_verdict(x->ev, x->now_us, x->e, values[i], age_s);
			} else if (!strcmp(fields[i], "event")) {
				size_t known = mg_rconsumer_known(x->c);
				/* the share limit needs the devices known; unknown yet: not that limit */
				changed = mg_qev_apply_verdict(x->ev, x->now_us, x->e, values[i],
							       known ? known : 1000000);
			}
	}
	/* saved before the entry is acknowledged: a crash in between reads it again */
	if (changed)
		save(x);
}

void mg_each_own_address(void (*cb)(void *user, const struct mg_addr *a), void *user)
{
	struct ifaddrs *ifa;
	struct mg_addr a;

	if (getifaddrs(&ifa) < 0)
		return;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			mg_addr_set_v4(&a, (const uint8_t *)&((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr);
			cb(user, &a);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			mg_addr_set_v6(&a, ((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr.s6_addr);
			cb(user, &a);
		}
	}
	freeifaddrs(ifa);
}

static void protect(void *user, const struct mg_addr *a)
{
	mg_enf_never_addr(user, a, false);
}

/* SIGHUP: the events file again, and the never list of the configuration
 * read again (the rest of [enforce] needs a restart). */
static void reload(struct enforcer *x, const struct mg_enforcer_ctl *ctl)
{
	struct mg_config *cfg = malloc(sizeof(*cfg));
	char why[1100], line[1200];

	*ctl->reload = 0;
	if (mg_events_reopen(x->ev, why, sizeof(why)) < 0 && x->log) {
		snprintf(line, sizeof(line), "reload: %s", why);
		x->log(NULL, line);
	}
	if (!cfg || ctl->reread(cfg) != 0) {
		free(cfg);
		return;
	}
	if (mg_enf_set_never(x->e, cfg->enf_never, why, sizeof(why)) < 0)
		snprintf(line, sizeof(line), "reload: %s; nothing changed", why);
	else
		snprintf(line, sizeof(line), "reloaded: the never-quarantine list (the other "
					     "[enforce] keys need a restart)");
	if (x->log)
		x->log(NULL, line);
	free(cfg);
}

int mg_enforcer_run(const struct mg_config *cfg, struct mg_events *ev, const char *name,
		    const struct mg_enforcer_ctl *ctl, char *err, size_t errlen)
{
	void (*log)(void *user, const char *line) = ctl->log;
	struct enforcer x = {.ev = ev, .name = name, .log = log};
	struct mg_enf_cfg ec;
	char group[200], why[320], last_err[320] = "";
	int rc;

	mg_config_enforcer(cfg, &ec);
	if (ec.backend == MG_ENF_OFF) {
		snprintf(err, errlen, "--enforcer needs [enforce] backend dry-run or nft (it is off)");
		return -EINVAL;
	}
	if (!cfg->redis_url[0]) {
		snprintf(err, errlen, "--enforcer needs --redis URL (or [redis] url)");
		return -EINVAL;
	}
	if ((rc = mg_enf_new(&x.e, &ec, err, errlen)) < 0)
		return rc;
	mg_each_own_address(protect, x.e); /* the gateway itself is never quarantined */
	snprintf(group, sizeof(group), MG_REDIS_GROUP_ENFORCER "%s", name);
	const char *streams[] = {MG_REDIS_VERDICTS, MG_REDIS_COMMANDS};
	if ((rc = mg_rconsumer_open(&x.c, cfg->redis_url, streams, 2, group, name, log, NULL, err,
				    errlen)) < 0) {
		mg_enf_free(x.e);
		return rc;
	}
	bool started = false;
	uint64_t next_tick = 0;
	while (!*ctl->stop) {
		if (*ctl->reload)
			reload(&x, ctl);
		x.now_us = mg_wall_us();
		if (x.now_us >= next_tick) { /* once a second: set up, expiries, the table */
			next_tick = x.now_us + 1000000u;
			x.changed |= x.unsaved; /* the last save failed: once a second */
			mg_events_flush(ev);
			rc = 0;
			if (!started)
				started = (rc = mg_enf_start(x.e, x.now_us, note, &x, why, sizeof(why))) == 0;
			if (started) {
				mg_enf_expire(x.e, x.now_us, note, &x);
				rc = mg_enf_check(x.e, x.now_us, note, &x, why, sizeof(why));
			}
			if (rc >= 0)
				last_err[0] = 0;
			else if (strcmp(why, last_err)) { /* reported once per new failure */
				snprintf(last_err, sizeof(last_err), "%s", why);
				mg_qev_note(ev, x.now_us, x.e, MG_ENF_ERROR, NULL, why);
			}
		}
		if (started) /* what arrives before the table is set up waits */
			mg_rconsumer_poll(x.c, on_entry, &x);
		if (x.changed) { /* an expiry, a reconciliation, a save to try again */
			x.changed = false;
			save(&x);
		}
		struct timespec pause = {0, 50000000};
		nanosleep(&pause, NULL);
	}
	mg_rconsumer_close(x.c);
	rc = mg_enf_save(x.e, err, errlen);
	mg_enf_free(x.e);
	return rc;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The enforcer of a split deployment (mudguard --enforcer): no capture; it
 * reads the verdicts sensors publish and analysts' commands from Redis,
 * through the consumer group "enforcer:NAME", and applies them with its own
 * [enforce] settings (mode, backend, never list, TTLs, circuit breaker,
 * state file). Several enforcers (gateways) each have their own group and
 * so each act on every verdict and command; instances sharing a NAME share
 * the work. Delivery is at least once (an entry is acknowledged after it was
 * applied and the state saved) and applying is idempotent (a device already
 * quarantined stays as it is). Time is the wall clock: this is a live role.
 */
#ifndef MG_ENFORCER_H
#define MG_ENFORCER_H

#include <signal.h>
#include <stddef.h>

#include "../events/events.h"
#include "config.h"

struct mg_enforcer_ctl {
	volatile sig_atomic_t *stop, *reload; /* SIGTERM/SIGINT, SIGHUP */
	/* SIGHUP: the configuration read again into @out; 0, or the number of
	 * problems (reported) and nothing changes */
	int (*reread)(struct mg_config *out);
	void (*log)(void *user, const char *line); /* Redis gone and back, reloads */
};

/* Runs until *stop as @name; events go to @ev (whose sink journals them).
 * On *reload the events file is opened again and the never-quarantine list
 * taken from the configuration read again. The host's own addresses are
 * never quarantined. Returns 0, or -errno with @err. */
int mg_enforcer_run(const struct mg_config *cfg, struct mg_events *ev, const char *name,
		    const struct mg_enforcer_ctl *ctl, char *err, size_t errlen);

/* Calls @cb with each address of this host's interfaces. */
struct mg_addr;
void mg_each_own_address(void (*cb)(void *user, const struct mg_addr *a), void *user);

#endif

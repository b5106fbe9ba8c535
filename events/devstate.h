/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The device state the journal keeps beside the events (rkeys.h names the
 * keys), as commands of the transaction that writes the event: which event
 * types update which keys.
 *
 * An event about a device (it has a MAC) of type device, role, identity,
 * mud_binding, device_summary, quarantine, release, verdict, command, pin or
 * unpin: the device goes in MG_REDIS_DEVICES (scored by the server's time of
 * the write), the event in its hash MG_REDIS_DEVICE MAC under its type (with
 * last_event: its event_id), and the hash expires after the TTL. Besides, a
 * quarantine or a release sets or removes the device in
 * MG_REDIS_QUARANTINES, a pin or an unpin in MG_REDIS_PINS, and each is added
 * to MG_REDIS_QUARANTINE_HISTORY; a verdict is added to MG_REDIS_VERDICTS, a
 * command to MG_REDIS_AUDIT.
 */
#ifndef MG_DEVSTATE_H
#define MG_DEVSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "resp.h"

/* A transaction's clock, as the commands need it. */
struct mg_devstate {
	char now_s[24], ttl_s[24], old_s[24]; /* now, the TTL, "(" now - TTL */
};

/* Sets the clock: @now by the sensor's wall clock (EXPIRE counts on the
 * server's; a replay's packet time is not used), @ttl in seconds. */
void mg_devstate_time(struct mg_devstate *d, time_t now, uint32_t ttl);

/* Appends to @o the commands the event (@type about @mac, event_id @id, the
 * line @json of @len bytes) updates the state with. Returns how many (0: it
 * updates none), or -1 when out of memory. */
int mg_devstate_cmds(const struct mg_devstate *d, struct mg_resp *o, const char *type,
		     const char *mac, const char *id, const char *json, size_t len);

/* Appends the command that forgets devices idle past the TTL (once per
 * transaction that wrote device state). False when out of memory. */
bool mg_devstate_trim(const struct mg_devstate *d, struct mg_resp *o);

#endif

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The enforcement events (`quarantine`, `release`, `circuit_open`,
 * `enforcement`, `verdict`, `pin`, `unpin`, `command`), written the same way
 * by the sensor, the enforcer and mudguard-enforce; and the application of
 * analysts' commands and of verdicts published by sensors. */
#ifndef MG_QUARANTINE_EV_H
#define MG_QUARANTINE_EV_H

#include "../enforce/enforce.h"
#include "../events/events.h"

/* A quarantine decision on @mac for @reason (@ref: the evidence, may be "") by
 * @by ("mudguard" for verdicts, an analyst's name otherwise). */
void mg_qev_quarantine(struct mg_events *ev, uint64_t ts_us, const struct mg_enf *e,
		       const uint8_t mac[6], const char *reason, const char *ref, const char *by,
		       const struct mg_enf_result *r);
/* A release of @mac. */
void mg_qev_release(struct mg_events *ev, uint64_t ts_us, const struct mg_enf *e,
		    const uint8_t mac[6], const char *reason, const char *by,
		    const struct mg_enf_result *r);
/* The circuit breaker opened: @r->why says which limit. */
void mg_qev_circuit(struct mg_events *ev, uint64_t ts_us, const struct mg_enf *e,
		    const struct mg_enf_result *r, size_t known);
/* An expiry, a reconciliation or a restore (mg_enf_note_cb's arguments). */
void mg_qev_note(struct mg_events *ev, uint64_t ts_us, const struct mg_enf *e,
		 enum mg_enf_note what, const uint8_t *mac, const char *detail);

/* A quarantine verdict published for an enforcer elsewhere (a sensor without
 * an enforcer of its own): the device, its addresses, why and the evidence. */
void mg_qev_verdict(struct mg_events *ev, uint64_t ts_us, const uint8_t mac[6],
		    const struct mg_addr *addrs, unsigned n, const char *reason, const char *ref);

/* An analyst's command as read from the command stream (fields absent: ""). */
struct mg_command {
	const char *id;	       /* its stream id */
	const char *action;    /* release, pin, unpin, approve */
	const char *mac, *by, *reason, *requested;
	const char *addresses; /* approve: the verdict's addresses, comma separated */
	const char *evidence;  /* approve: the verdict's event id */
};

/* Fills @c from a command stream entry's fields (pointers into @values). */
void mg_command_from_fields(struct mg_command *c, const char *id, unsigned nf,
			    const char *const *fields, const char *const *values);

/* A command read more than this long after it was requested (its
 * `requested` field, else its stream id) is answered `expired`, not applied. */
#define MG_COMMAND_MAX_AGE_S 600

/* A published verdict read more than this long after it reached Redis (its
 * stream id: the server's clock) is stale: recorded (an `enforcement` event,
 * action `stale_verdict`) and not applied. The sensor judged the device on
 * traffic of that moment; a gateway that was away that long acts on the
 * sensor's next verdict instead, if the device still misbehaves. */
#define MG_VERDICT_MAX_AGE_S 600

/* The time of stream entry @id ("MS-SEQ") in µs, 0 if it is not one. */
uint64_t mg_stream_id_us(const char *id);

/* Applies @c with @e at @ts_us and answers it: the effect's own event
 * (`release`, `quarantine`, `pin`, `unpin`) and a `command` event with the
 * result, naming @answered_by. Applying a command twice changes nothing more
 * (a second release finds nothing to release). Returns true if @e changed. */
bool mg_qev_command(struct mg_events *ev, uint64_t ts_us, struct mg_enf *e,
		    const struct mg_command *c, const char *answered_by);

/* Applies a `verdict` event (@json, read from the verdict stream) with @e:
 * a `quarantine` event unless the device is already quarantined (a verdict
 * read twice, or from two sensors, acts once). Returns true if @e changed. */
bool mg_qev_apply_verdict(struct mg_events *ev, uint64_t ts_us, struct mg_enf *e,
			  const char *json, size_t known);

/* Records a verdict (@json) read @age_s after it was published, too late to
 * apply (MG_VERDICT_MAX_AGE_S). */
void mg_qev_stale_verdict(struct mg_events *ev, uint64_t ts_us, const struct mg_enf *e,
			  const char *json, uint64_t age_s);

/* Writes @e's state file. A failure (a full filesystem) is reported once,
 * as an `enforcement` error event and to @log, with *@unsaved set: the
 * caller tries again every second until it works, without waiting for
 * another change; then "state saved again" goes to @log. */
void mg_qev_save(struct mg_events *ev, uint64_t ts_us, struct mg_enf *e, bool *unsaved,
		 void (*log)(void *user, const char *line));

#endif

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The enforcement events (`quarantine`, `release`, `circuit_open`,
 * `enforcement`), written the same way by the sensor and mudguard-enforce. */
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

#endif

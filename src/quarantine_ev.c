/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "quarantine_ev.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void common(struct mg_events *ev, const struct mg_enf *e, const struct mg_enf_result *r)
{
	char ip[64];

	mg_ev_arr(ev, "addresses");
	for (unsigned i = 0; i < r->naddrs; i++)
		mg_ev_str(ev, NULL, mg_addr_str(&r->addrs[i], ip, sizeof(ip)));
	mg_ev_close(ev);
	mg_ev_str(ev, "applied", mg_enf_outcome_name(r->outcome));
	if (r->why[0])
		mg_ev_str(ev, r->outcome == MG_ENF_FAILED ? "error" : "suppressed_by", r->why);
	mg_ev_str(ev, "mode", mg_enf_mode_name(e));
	mg_ev_str(ev, "backend", mg_enf_backend_name(e));
}

void mg_qev_quarantine(struct mg_events *ev, uint64_t ts_us, const struct mg_enf *e,
		       const uint8_t mac[6], const char *reason, const char *ref, const char *by,
		       const struct mg_enf_result *r)
{
	mg_ev_begin(ev, "quarantine", ts_us);
	mg_ev_mac(ev, "mac", mac);
	mg_ev_str(ev, "reason", reason);
	if (ref && *ref)
		mg_ev_str(ev, "evidence", ref);
	mg_ev_str(ev, "by", by);
	common(ev, e, r);
	if (r->ttl_s) {
		mg_ev_u64(ev, "ttl", r->ttl_s);
		mg_ev_ts(ev, "expires", r->expires_us);
		mg_ev_u64(ev, "offenses", r->offenses);
	}
	mg_ev_emit(ev);
}

void mg_qev_release(struct mg_events *ev, uint64_t ts_us, const struct mg_enf *e,
		    const uint8_t mac[6], const char *reason, const char *by,
		    const struct mg_enf_result *r)
{
	mg_ev_begin(ev, "release", ts_us);
	mg_ev_mac(ev, "mac", mac);
	mg_ev_str(ev, "reason", reason);
	mg_ev_str(ev, "by", by);
	common(ev, e, r);
	mg_ev_emit(ev);
}

void mg_qev_circuit(struct mg_events *ev, uint64_t ts_us, const struct mg_enf *e,
		    const struct mg_enf_result *r, size_t known)
{
	mg_ev_begin(ev, "circuit_open", ts_us);
	mg_ev_str(ev, "reason", r->why);
	mg_ev_u64(ev, "quarantined", mg_enf_count(e));
	mg_ev_u64(ev, "known_devices", known);
	mg_ev_str(ev, "effect", "mudguard stops acting on verdicts and keeps reporting them");
	mg_ev_emit(ev);
}

void mg_qev_note(struct mg_events *ev, uint64_t ts_us, const struct mg_enf *e,
		 enum mg_enf_note what, const uint8_t *mac, const char *detail)
{
	static const char *const names[] = {"ttl_expired", "restored", "adopted", "table_restored",
					    "error"};
	if (what == MG_ENF_EXPIRED) { /* an expiry is a release */
		struct mg_enf_result r = {.outcome = MG_ENF_APPLIED};
		if (mg_enf_backend_name(e)[0] != 'n')
			r.outcome = MG_ENF_DRY_RUN;
		mg_qev_release(ev, ts_us, e, mac, detail, "ttl", &r);
		return;
	}
	mg_ev_begin(ev, "enforcement", ts_us);
	if (mac)
		mg_ev_mac(ev, "mac", mac);
	mg_ev_str(ev, "action", names[what]);
	mg_ev_str(ev, "detail", detail);
	mg_ev_str(ev, "backend", mg_enf_backend_name(e));
	mg_ev_emit(ev);
}

void mg_qev_verdict(struct mg_events *ev, uint64_t ts_us, const uint8_t mac[6],
		    const struct mg_addr *addrs, unsigned n, const char *reason, const char *ref)
{
	char ip[64];
	mg_ev_begin(ev, "verdict", ts_us);
	mg_ev_mac(ev, "mac", mac);
	mg_ev_str(ev, "action", "quarantine");
	mg_ev_str(ev, "reason", reason);
	if (ref && *ref)
		mg_ev_str(ev, "evidence", ref);
	mg_ev_arr(ev, "addresses");
	for (unsigned i = 0; i < n; i++)
		mg_ev_str(ev, NULL, mg_addr_str(&addrs[i], ip, sizeof(ip)));
	mg_ev_close(ev);
	mg_ev_str(ev, "applied", "published"); /* for an enforcer to act on */
	mg_ev_emit(ev);
}

void mg_command_from_fields(struct mg_command *c, const char *id, unsigned nf,
			    const char *const *fields, const char *const *values)
{
	static const char *const names[] = {"action", "mac", "by", "reason",
					    "requested", "addresses", "evidence"};
	const char **slot[] = {&c->action, &c->mac, &c->by, &c->reason,
			       &c->requested, &c->addresses, &c->evidence};
	c->id = id;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		*slot[k] = "";
		for (unsigned i = 0; i < nf; i++)
			if (!strcmp(fields[i], names[k]))
				*slot[k] = values[i];
	}
}

/* The addresses of a comma-separated list (at most @max). */
static unsigned parse_addrs(const char *list, struct mg_addr *out, unsigned max)
{
	char tok[64];
	unsigned n = 0;
	for (const char *p = list; *p && n < max;) {
		size_t len = strcspn(p, ",");
		if (len && len < sizeof(tok)) {
			memcpy(tok, p, len);
			tok[len] = 0;
			if (mg_addr_parse(&out[n], tok) == 0)
				n++;
		}
		p += len + (p[len] == ',');
	}
	return n;
}

static void answer(struct mg_events *ev, uint64_t ts_us, const struct mg_command *c,
		   const uint8_t *mac, const char *result, const char *detail,
		   const char *answered_by)
{
	mg_ev_begin(ev, "command", ts_us);
	if (mac)
		mg_ev_mac(ev, "mac", mac);
	else
		mg_ev_str(ev, "mac_given", c->mac);
	mg_ev_str(ev, "command", c->id);
	mg_ev_str(ev, "action", c->action);
	mg_ev_str(ev, "by", c->by);
	mg_ev_str(ev, "reason", c->reason);
	mg_ev_str(ev, "requested", c->requested);
	mg_ev_str(ev, "result", result);
	if (detail && *detail)
		mg_ev_str(ev, "detail", detail);
	mg_ev_str(ev, "answered_by", answered_by);
	mg_ev_emit(ev);
}

static void pin_event(struct mg_events *ev, uint64_t ts_us, const char *type, const uint8_t mac[6],
		      const struct mg_command *c)
{
	mg_ev_begin(ev, type, ts_us);
	mg_ev_mac(ev, "mac", mac);
	mg_ev_str(ev, "by", c->by);
	mg_ev_str(ev, "reason", c->reason);
	mg_ev_str(ev, "command", c->id);
	mg_ev_emit(ev);
}

uint64_t mg_stream_id_us(const char *id)
{
	char *end;
	unsigned long long ms = strtoull(id, &end, 10);
	return end != id && *end == '-' ? ms * 1000ull : 0;
}

bool mg_qev_command(struct mg_events *ev, uint64_t ts_us, struct mg_enf *e,
		    const struct mg_command *c, const char *answered_by)
{
	struct mg_enf_result r;
	uint8_t mac[6];
	char note[200];
	const char *by = *c->by ? c->by : "unknown";
	uint64_t asked = mg_ts_parse(c->requested);

	if (!asked) /* no time of its own: when it reached Redis */
		asked = mg_stream_id_us(c->id);

	if (mg_mac_parse(c->mac, mac) < 0) {
		answer(ev, ts_us, c, NULL, "refused", "not a MAC address", answered_by);
		return false;
	}
	if (asked && ts_us > asked + MG_COMMAND_MAX_AGE_S * 1000000ull) {
		/* read late (this reader was away): the analyst decided on what was
		 * true then, so it is not acted on now */
		snprintf(note, sizeof(note), "requested %llu s ago; commands older than %u s are not "
					     "applied: send it again",
			 (unsigned long long)((ts_us - asked) / 1000000u), MG_COMMAND_MAX_AGE_S);
		answer(ev, ts_us, c, mac, "expired", note, answered_by);
		return false;
	}
	if (!strcmp(c->action, "release")) {
		mg_enf_release(e, mac, c->reason, ts_us, &r);
		if (r.outcome != MG_ENF_NOT_FOUND)
			mg_qev_release(ev, ts_us, e, mac, c->reason, by, &r);
		answer(ev, ts_us, c, mac, mg_enf_outcome_name(r.outcome), r.why, answered_by);
		return r.outcome != MG_ENF_NOT_FOUND && r.outcome != MG_ENF_FAILED;
	}
	if (!strcmp(c->action, "pin")) {
		snprintf(note, sizeof(note), "by %s: %s", by, c->reason);
		if (mg_enf_pin(e, mac, note) < 0) {
			answer(ev, ts_us, c, mac, "failed", "out of memory", answered_by);
			return false;
		}
		pin_event(ev, ts_us, "pin", mac, c);
		if (mg_enf_quarantined(e, mac)) { /* a pinned device is not held either */
			snprintf(note, sizeof(note), "pinned: %s", c->reason);
			mg_enf_release(e, mac, note, ts_us, &r);
			mg_qev_release(ev, ts_us, e, mac, note, by, &r);
		}
		answer(ev, ts_us, c, mac, "applied", "", answered_by);
		return true;
	}
	if (!strcmp(c->action, "unpin")) {
		bool was = mg_enf_unpin(e, mac) > 0;
		if (was)
			pin_event(ev, ts_us, "unpin", mac, c);
		answer(ev, ts_us, c, mac, was ? "applied" : "not-pinned", "", answered_by);
		return was;
	}
	if (!strcmp(c->action, "approve")) {
		struct mg_addr addrs[8];
		unsigned n = parse_addrs(c->addresses, addrs, 8);
		snprintf(note, sizeof(note), "approved by %s: %s", by, c->reason);
		mg_enf_approve(e, mac, addrs, n, note, c->evidence, ts_us, &r);
		if (r.outcome != MG_ENF_ALREADY)
			mg_qev_quarantine(ev, ts_us, e, mac, note, c->evidence, by, &r);
		answer(ev, ts_us, c, mac, mg_enf_outcome_name(r.outcome), r.why, answered_by);
		return r.outcome == MG_ENF_APPLIED || r.outcome == MG_ENF_DRY_RUN;
	}
	answer(ev, ts_us, c, mac, "refused", "unknown action (release, pin, unpin, approve)",
	       answered_by);
	return false;
}

void mg_qev_stale_verdict(struct mg_events *ev, uint64_t ts_us, const struct mg_enf *e,
			  const char *json, uint64_t age_s)
{
	char mac_s[32] = "", id[200] = "", detail[320];
	const char *keys[] = {"mac", "event_id"};
	char *const bufs[] = {mac_s, id};
	const size_t lens[] = {sizeof(mac_s), sizeof(id)};
	uint8_t mac[6];

	mg_ev_fields(json, 2, keys, bufs, lens);
	snprintf(detail, sizeof(detail), "verdict %s published %llu s ago: verdicts older than %u s "
					 "are not applied",
		 id[0] ? id : "(no event_id)", (unsigned long long)age_s, MG_VERDICT_MAX_AGE_S);
	mg_ev_begin(ev, "enforcement", ts_us);
	if (mg_mac_parse(mac_s, mac) == 0)
		mg_ev_mac(ev, "mac", mac);
	mg_ev_str(ev, "action", "stale_verdict");
	mg_ev_str(ev, "detail", detail);
	if (id[0])
		mg_ev_str(ev, "evidence", id);
	mg_ev_str(ev, "backend", mg_enf_backend_name(e));
	mg_ev_emit(ev);
}

bool mg_qev_apply_verdict(struct mg_events *ev, uint64_t ts_us, struct mg_enf *e,
			  const char *json, size_t known)
{
	char mac_s[32], list[600], reason[160], id[200];
	struct mg_addr addrs[8];
	struct mg_enf_result r;
	uint8_t mac[6];

	const char *keys[] = {"mac", "addresses", "reason", "event_id"};
	char *const bufs[] = {mac_s, list, reason, id};
	const size_t lens[] = {sizeof(mac_s), sizeof(list), sizeof(reason), sizeof(id)};

	if (mg_ev_fields(json, 4, keys, bufs, lens) < 0 || mg_mac_parse(mac_s, mac) < 0)
		return false; /* not a verdict this version understands */
	unsigned n = parse_addrs(list, addrs, 8);
	if (mg_enf_quarantine(e, mac, addrs, n, reason, id, ts_us, known, &r) < 0 ||
	    r.outcome == MG_ENF_ALREADY)
		return false;
	mg_qev_quarantine(ev, ts_us, e, mac, reason, id, "mudguard", &r);
	if (r.circuit_opened)
		mg_qev_circuit(ev, ts_us, e, &r, known);
	return r.outcome == MG_ENF_APPLIED || r.outcome == MG_ENF_DRY_RUN;
}

void mg_qev_save(struct mg_events *ev, uint64_t ts_us, struct mg_enf *e, bool *unsaved,
		 void (*log)(void *user, const char *line))
{
	char why[320], line[400];
	if (mg_enf_save(e, why, sizeof(why)) < 0) {
		if (!*unsaved) {
			snprintf(line, sizeof(line), "state not saved, trying again every second: %s",
				 why);
			mg_qev_note(ev, ts_us, e, MG_ENF_ERROR, NULL, line);
			if (log)
				log(NULL, line);
		}
		*unsaved = true;
	} else if (*unsaved) {
		*unsaved = false;
		if (log)
			log(NULL, "state saved again");
	}
}

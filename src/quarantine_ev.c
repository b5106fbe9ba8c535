/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "quarantine_ev.h"

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

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sensor's enforcement stage: glue between the pipeline and the enforcer
 * (enforce/). A quarantine verdict (from the anomaly detectors or a MUD
 * violation) is applied here, or published as a `verdict` event when no
 * enforcer runs here; once a second the enforcer is set up (until that
 * works), quarantines expire and the table is checked; addresses that must
 * never be quarantined (the gateway, DHCP and local DNS servers, the host's
 * own) are put on its list; analysts' commands are applied; and the state
 * files (the enforcer's, the baselines') are saved.
 *
 * Apart from the pipeline because it acts on the network, not on what the
 * sensor knows: the next issue moves packets to several threads, and this is
 * the stage that stays single. It owns s->enf_run and s->state_run; it reads
 * the clock and the devices' addresses. Its events are written by
 * quarantine_ev.c (mg_qev_*), which the enforcer process shares.
 */
#include <string.h>

#include "quarantine_ev.h"
#include "sensor_priv.h"

static void enf_note(void *user, enum mg_enf_note what, const uint8_t *mac, const char *detail)
{
	struct mg_sensor *s = user;
	s->enf_run.dirty |=
		what == MG_ENF_EXPIRED || what == MG_ENF_RESTORED || what == MG_ENF_ADOPTED;
	sev_flush_pending(s);
	mg_qev_note(s->ev, s->clk.now_us, s->enf, what, mac, detail);
}

void senf_verdict(struct mg_sensor *s, struct mg_device *d, const char *reason, const char *ref)
{
	struct mg_addr addrs[MG_DEV_MAX_V4 + MG_DEV_MAX_V6];
	struct mg_enf_result r;
	struct mg_dev_stats ds;
	unsigned n = 0;

	for (unsigned i = 0; i < d->n_v4; i++)
		addrs[n++] = d->v4[i].a;
	for (unsigned i = 0; i < d->n_v6; i++)
		addrs[n++] = d->v6[i].a;
	if (!s->enf) { /* no enforcer here: published for one elsewhere */
		sev_flush_pending(s);
		mg_qev_verdict(s->ev, s->clk.now_us, d->mac, addrs, n, reason, ref);
		return;
	}
	if (!s->enf_run.started)
		return;
	mg_devtab_stats(s->devs, &ds);
	if (mg_enf_quarantine(s->enf, d->mac, addrs, n, reason, ref, s->clk.now_us, ds.active,
			      &r) < 0 ||
	    r.outcome == MG_ENF_ALREADY)
		return;
	s->enf_run.outcomes[r.outcome]++;
	s->enf_run.dirty = true; /* saved within a second (senf_tick) */
	sev_flush_pending(s);
	mg_qev_quarantine(s->ev, s->clk.now_us, s->enf, d->mac, reason, ref, "mudguard", &r);
	if (r.circuit_opened)
		mg_qev_circuit(s->ev, s->clk.now_us, s->enf, &r, ds.active);
}

static void log_stderr(void *user, const char *line)
{
	(void)user;
	fprintf(stderr, "mudguard: %s\n", line);
}

/* Once a second: set up (until that works), expiries, the table still there.
 * A failure is an event when it is new, not every second. */
void senf_tick(struct mg_sensor *s)
{
	char err[320] = "";
	int rc = 0;

	if (!s->enf || s->clk.now_us < s->enf_run.next_us)
		return;
	s->enf_run.next_us = s->clk.now_us + 1000000u;
	if (!s->enf_run.started) {
		rc = mg_enf_start(s->enf, s->clk.now_us, enf_note, s, err, sizeof(err));
		s->enf_run.started = rc == 0;
	}
	if (s->enf_run.started) {
		mg_enf_expire(s->enf, s->clk.now_us, enf_note, s);
		rc = mg_enf_check(s->enf, s->clk.now_us, enf_note, s, err, sizeof(err));
	}
	if (rc >= 0) {
		s->enf_run.err[0] = 0;
	} else if (strcmp(err, s->enf_run.err)) {
		snprintf(s->enf_run.err, sizeof(s->enf_run.err), "%s", err);
		enf_note(s, MG_ENF_ERROR, NULL, err);
	}
	if (s->enf_run.dirty || s->enf_run.unsaved) { /* a crash loses no quarantine */
		s->enf_run.dirty = false;
		mg_qev_save(s->ev, s->clk.now_us, s->enf, &s->enf_run.unsaved, log_stderr);
	}
}

int senf_save_baselines(struct mg_sensor *s)
{
	int rc = mg_baselines_save(s->bls, s->cfg.state_file, s->state_run.err,
				   sizeof(s->state_run.err));
	if (rc < 0)
		s->state_run.errors++;
	else
		s->state_run.saves++;
	return rc;
}


int mg_sensor_save_state(struct mg_sensor *s, char *err, size_t errlen)
{
	int rc = 0;

	if (s->bls && s->cfg.learn[0]) {
		mg_baselines_complete(s->bls, s->clk.now_us);
		if ((rc = mg_baselines_save(s->bls, s->cfg.learn, err, errlen)) < 0)
			return rc;
	}
	if (s->bls && s->cfg.state_file[0] && (rc = senf_save_baselines(s)) < 0) {
		snprintf(err, errlen, "%s", s->state_run.err);
		return rc;
	}
	return s->enf ? mg_enf_save(s->enf, err, errlen) : 0;
}


bool mg_sensor_enforces(const struct mg_sensor *s)
{
	return s->enf != NULL;
}

void mg_sensor_command(struct mg_sensor *s, const struct mg_command *c, const char *name,
		       uint64_t now_us)
{
	if (!s->enf)
		return;
	sev_flush_pending(s);
	now_us += s->clk.shift;
	if (now_us > s->clk.now_us) /* live: before the first packet, or on an idle link */
		s->clk.now_us = now_us;
	if (mg_qev_command(s->ev, s->clk.now_us, s->enf, c, name)) /* saved at once */
		mg_qev_save(s->ev, s->clk.now_us, s->enf, &s->enf_run.unsaved, log_stderr);
}

void mg_sensor_protect(struct mg_sensor *s, const struct mg_addr *a)
{
	senf_protect(s, a, false);
}

void senf_protect_gateway(struct mg_sensor *s, const struct mg_device *d)
{
	if (s->enf)
		mg_enf_never_mac(s->enf, d->mac);
}

void senf_protect(struct mg_sensor *s, const struct mg_addr *a, bool dns)
{
	if (s->enf)
		mg_enf_never_addr(s->enf, a, dns);
}

void senf_follow_addr(struct mg_sensor *s, struct mg_device *d, const struct mg_addr *a)
{
	if (s->enf && !mg_addr_is_group(a) && mg_enf_quarantined(s->enf, d->mac))
		mg_enf_add_addr(s->enf, d->mac, a, s->clk.now_us);
}

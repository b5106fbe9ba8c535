/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "sensor_mud.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/hash.h"
#include "../classify/hashset.h"
#include "../classify/mudrules.h"

struct mg_smud {
	const struct mg_config *cfg;
	const struct mg_prefixes *local;
	struct mg_mudstore *store;
	struct mg_mudrules *rules;
	struct mg_smud_stats st;
};

int mg_smud_new(struct mg_smud **out, const struct mg_config *cfg,
		const struct mg_prefixes *local, char *err, size_t errlen)
{
	struct mg_smud *m = calloc(1, sizeof(*m));
	struct mg_mudstore_cfg sc = {
		.repository = cfg->mud_repository,
		.fetch = cfg->mud_fetch,
		.trust_anchors = cfg->mud_trust_anchors,
		.require_signature = cfg->mud_require_signature,
		.check_time = cfg->mud_check_time,
		.max_bytes = cfg->mud_max_bytes,
		.timeout_s = cfg->mud_fetch_timeout,
		.max_redirects = cfg->mud_max_redirects,
		.retry_s = cfg->mud_retry,
		.ca_file = cfg->mud_ca_file,
		.connect_to = cfg->mud_connect_to,
	};
	int rc;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	m->cfg = cfg;
	m->local = local;
	if ((rc = mg_mudstore_new(&m->store, &sc, err, errlen)) < 0)
		goto fail;
	if (cfg->mud_rules[0] &&
	    (rc = mg_mudrules_load(&m->rules, cfg->mud_rules, err, errlen)) < 0)
		goto fail;
	*out = m;
	return 0;
fail:
	mg_smud_free(m);
	return rc;
}

void mg_smud_reload(struct mg_smud *m, struct mg_mudrules *rules)
{
	mg_mudrules_free(m->rules);
	m->rules = rules;
	mg_mudstore_expire(m->store);
}

void mg_smud_free(struct mg_smud *m)
{
	if (!m)
		return;
	mg_mudstore_free(m->store);
	mg_mudrules_free(m->rules);
	free(m);
}

void mg_smud_dev_clear(struct mg_smud *m, struct mg_smud_dev *md)
{
	if (m) {
		m->st.held -= md->n_held;
		m->st.unchecked += md->n_held + md->held_over;
	}
	free(md->held);
	free(md->url);
	mg_hashset_free(&md->seen);
	memset(md, 0, sizeof(*md));
}

static enum mg_smud_bind bind(struct mg_smud *m, struct mg_smud_dev *md, const char *url,
			      uint64_t now_us)
{
	char *u = strdup(url);
	if (!u)
		return MG_SMUD_SAME;
	free(md->url);
	md->url = u;
	md->prof = mg_mudstore_get(m->store, url, now_us);
	md->version = md->prof ? md->prof->version : 0;
	md->awaiting = md->prof && md->prof->pending;
	m->st.bound++;
	return MG_SMUD_BOUND;
}

enum mg_smud_bind mg_smud_bind_url(struct mg_smud *m, struct mg_smud_dev *md, const char *url,
				   const char *source, uint64_t now_us, char *why, size_t len)
{
	if (md->by_device && md->url && !strcmp(md->url, url))
		return MG_SMUD_SAME;
	if (!mg_mud_url_valid(url, why, len)) {
		m->st.rejected++;
		return MG_SMUD_REJECTED;
	}
	md->by_device = true;
	snprintf(md->source, sizeof(md->source), "%s", source);
	return bind(m, md, url, now_us);
}

enum mg_smud_bind mg_smud_bind_rules(struct mg_smud *m, struct mg_smud_dev *md,
				     const uint8_t mac[6], const char *const attrs[4],
				     uint64_t now_us)
{
	const char *where, *what;
	const char *url = md->by_device ? NULL : mg_mudrules_bind(m->rules, mac, attrs, &where, &what);

	if (!url || (md->url && !strcmp(md->url, url)))
		return MG_SMUD_SAME;
	snprintf(md->source, sizeof(md->source), "rules %s (%s)", where, what);
	return bind(m, md, url, now_us);
}

bool mg_smud_refreshed(struct mg_smud *m, struct mg_smud_dev *md, uint64_t now_us)
{
	if (!md->prof || now_us < md->prof->expires_us)
		return false;
	md->prof = mg_mudstore_get(m->store, md->url, now_us);
	if (!md->prof || md->prof->version == md->version)
		return false;
	md->version = md->prof->version;
	return true;
}

int mg_smud_async(struct mg_smud *m, char *err, size_t errlen)
{
	return mg_mudstore_async(m->store, err, errlen);
}

size_t mg_smud_poll(struct mg_smud *m, uint64_t now_us, mg_mudstore_done_fn done, void *user)
{
	return mg_mudstore_poll(m->store, now_us, done, user);
}

void mg_smud_cancel(struct mg_smud *m)
{
	mg_mudstore_cancel(m->store);
}

void mg_smud_stop(struct mg_smud *m)
{
	mg_mudstore_stop(m->store);
}

void mg_smud_hold(struct mg_smud *m, struct mg_smud_dev *md, const struct mg_mud_flow *f,
		  const uint8_t *peer_mac, uint64_t flow_id, uint64_t ts_us)
{
	if (md->n_held == MG_SMUD_HELD_MAX ||
	    (!md->held && !(md->held = calloc(MG_SMUD_HELD_MAX, sizeof(*md->held))))) {
		md->held_over++;
		return;
	}
	struct mg_smud_held *h = &md->held[md->n_held++];
	*h = (struct mg_smud_held){.f = *f, .flow_id = flow_id, .ts_us = ts_us,
				   .has_peer = peer_mac != NULL};
	if (peer_mac)
		memcpy(h->peer_mac, peer_mac, 6);
	m->st.held++;
}

size_t mg_smud_settle(struct mg_smud *m, struct mg_smud_dev *md, struct mg_smud_held **held,
		      uint64_t late[2])
{
	size_t n = md->n_held;

	*held = md->held;
	md->held = NULL;
	md->n_held = 0;
	md->awaiting = false;
	m->st.held -= n;
	late[0] = md->prof && md->prof->mud ? n : 0;
	late[1] = md->held_over + n - late[0];
	md->held_over = 0;
	md->checked_late += late[0];
	md->unchecked += late[1];
	m->st.checked_late += late[0];
	m->st.unchecked += late[1];
	if (!late[0]) {
		free(*held);
		*held = NULL;
	}
	return late[0];
}

/* ---- the matcher's view of the world ---- */

struct world {
	struct mg_smud *m;
	const struct mg_smud_dev *md, *peer;
	const struct mg_ident *id;
	const struct mg_addr *peer_addr;
	uint64_t now_us;
};

static bool w_dns_has(void *user, const char *name, const struct mg_addr *a)
{
	struct world *w = user;
	return w->id && mg_ident_dns_has(w->id, name, a, w->now_us,
					 (uint64_t)w->m->cfg->mud_dns_grace * 1000000u);
}

static size_t w_dns_names(void *user, const struct mg_addr *a, const char **out, size_t max)
{
	struct world *w = user;
	return w->id ? mg_ident_dns_names(w->id, a, w->now_us,
					  (uint64_t)w->m->cfg->mud_dns_grace * 1000000u, out, max)
		     : 0;
}

static bool w_is_local(void *user, const struct mg_addr *a)
{
	struct world *w = user;
	return mg_prefixes_contain(w->m->local, a);
}

/* Asked only by manufacturer, same-manufacturer and model entries. A peer
 * outside the local networks is reached through a router: the MAC at the
 * other end is the router's, not the peer's. */
static const char *w_peer_url(void *user)
{
	struct world *w = user;
	return w->peer && mg_prefixes_contain(w->m->local, w->peer_addr) ? w->peer->url : NULL;
}

static bool w_controller(void *user, const char *uri, const struct mg_addr *a)
{
	struct world *w = user;
	return mg_mudrules_controller(w->m->rules, uri, w->md->url, a, w_dns_has, w);
}

/* What every IP device needs whatever its profile says, allowed when
 * [mud] allow_infrastructure is on: DHCP, DNS to a local resolver, IPv6
 * neighbour discovery and multicast listener reports, IGMP. */
static bool infrastructure(const struct mg_smud *m, const struct mg_mud_flow *f)
{
	uint16_t port = f->from_device ? f->peer_port : f->dev_port;
	if (f->proto == 17 && (port == 67 || port == 68 || port == 546 || port == 547))
		return true;
	if ((f->proto == 17 || f->proto == 6) && f->from_device && f->peer_port == 53 &&
	    mg_prefixes_contain(m->local, &f->peer))
		return true;
	if (f->proto == 58 && ((f->icmp_type >= 130 && f->icmp_type <= 137) || f->icmp_type == 143))
		return true;
	return f->proto == 2;
}

bool mg_smud_check(struct mg_smud *m, struct mg_smud_dev *md, const struct mg_ident *id,
		   const struct mg_smud_dev *peer, const struct mg_mud_flow *f, uint64_t now_us,
		   struct mg_smud_result *r)
{
	if (!md->prof || !md->prof->mud)
		return false;
	m->st.checked++;
	md->checked++;
	if (m->cfg->mud_allow_infrastructure && infrastructure(m, f)) {
		m->st.implicit++;
		return false;
	}
	struct world w = {m, md, peer, id, &f->peer, now_us};
	struct mg_mud_env env = {w_dns_names, w_is_local, w_peer_url, w_controller, &w, md->url};
	mg_mud_check(md->prof->mud, &env, f, &r->v);
	if (r->v.allowed)
		return false;
	m->st.violations++;
	md->violations++;
	r->peer_name = id ? mg_ident_dns_name(id, &f->peer, now_us) : NULL;
	r->quarantine = m->cfg->mud_quarantine;

	/* one event per distinct violation: direction, protocol, the peer (by
	 * name when it has one, so CDN rotation is one violation), its service
	 * port (or ICMP type), and the entry that decided */
	uint16_t port = f->proto == 1 || f->proto == 58 ? (uint16_t)f->icmp_type
			: f->from_device			? f->peer_port
								: f->dev_port;
	const struct mg_mud_ace *entry = r->v.denied_by_entry ? r->v.ace : NULL;
	uint64_t key = mg_fnv1a(MG_FNV_INIT, &f->from_device, sizeof(f->from_device));
	key = mg_fnv1a(key, &f->proto, sizeof(f->proto));
	key = r->peer_name ? mg_fnv1a(key, r->peer_name, strlen(r->peer_name))
			   : mg_fnv1a(key, f->peer.b, sizeof(f->peer.b));
	key = mg_fnv1a(key, &port, sizeof(port));
	key = mg_fnv1a(key, &entry, sizeof(entry));
	/* a full set counts as seen: the flood is reported by counts */
	if (mg_hashset_add(&md->seen, key, m->cfg->mud_max_distinct) != 1) {
		r->emit = false;
		return true;
	}
	r->distinct = md->seen.n;
	if (now_us - md->win_start_us >= 60000000u || !md->win_start_us) {
		md->win_start_us = now_us;
		md->win_events = 0;
	}
	if (md->win_events >= m->cfg->mud_violations_per_minute) {
		r->emit = false;
		md->suppressed++;
		m->st.suppressed++;
		return true;
	}
	md->win_events++;
	md->events++;
	m->st.events++;
	r->emit = true;
	return true;
}

void mg_smud_stats(const struct mg_smud *m, struct mg_smud_stats *st)
{
	*st = m->st;
	mg_mudstore_stats(m->store, &st->store);
}

void mg_smud_reset(struct mg_smud *m)
{
	memset(&m->st, 0, sizeof(m->st));
}

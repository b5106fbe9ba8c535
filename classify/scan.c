/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "scan.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "hashset.h"

#define PORTS_MAX 16 /* ports with their own fan-out count per window */

struct mg_scan {
	uint64_t win_start_us;
	struct mg_hashset pairs, dsts; /* (address, port), address */
	struct mg_hashset local_pairs, local_hosts, local_ports;
	struct {
		uint16_t port;
		uint32_t n;
	} ports[PORTS_MAX];
	unsigned nports;
	uint32_t mirai;
	uint32_t reported[MG_SCAN__KINDS];
	uint64_t sec_us;			/* start of the current second */
	uint32_t rate[MG_RATE__N];		/* counts in it */
	struct mg_hashset targets[MG_RATE__N];	/* distinct destinations in it */
	struct mg_addr sample[4];
	unsigned nsample;
};

static const char *const kind_names[MG_SCAN__KINDS] = {
	"mirai_syn", "scan", "lateral", "port_scan", "syn_flood", "udp_flood", "icmp_flood", "dns_flood"};

const char *mg_scan_kind_name(enum mg_scan_kind k)
{
	return (unsigned)k < MG_SCAN__KINDS ? kind_names[k] : "?";
}

void mg_scan_free(struct mg_scan *s)
{
	if (!s)
		return;
	mg_hashset_free(&s->pairs);
	mg_hashset_free(&s->dsts);
	mg_hashset_free(&s->local_pairs);
	mg_hashset_free(&s->local_hosts);
	mg_hashset_free(&s->local_ports);
	for (int i = 0; i < MG_RATE__N; i++)
		mg_hashset_free(&s->targets[i]);
	free(s);
}

static void new_window(struct mg_scan *s, uint64_t now_us)
{
	s->win_start_us = now_us;
	mg_hashset_clear(&s->pairs);
	mg_hashset_clear(&s->dsts);
	mg_hashset_clear(&s->local_pairs);
	mg_hashset_clear(&s->local_hosts);
	mg_hashset_clear(&s->local_ports);
	s->nports = 0;
	s->mirai = 0;
	s->nsample = 0;
	memset(s->reported, 0, sizeof(s->reported));
}

/* The ports IoT malware hunts for (telnet, SSH, web, TR-069, Huawei and
 * Realtek UPnP exploits). */
static bool hunted(uint16_t port)
{
	static const uint16_t p[] = {23, 2323, 22, 80, 8080, 7547, 37215, 52869};
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (p[i] == port)
			return true;
	return false;
}

/* Due when @n reached @threshold, first in the window or eightfold since. */
static bool due(struct mg_scan *s, enum mg_scan_kind k, uint32_t n, uint32_t threshold)
{
	if (n < threshold || (s->reported[k] && n < 8 * s->reported[k]))
		return false;
	s->reported[k] = n;
	return true;
}

/* Allocates on first use, and moves the window on. */
static struct mg_scan *state(struct mg_scan **sp, const struct mg_scan_cfg *cfg, uint64_t now_us)
{
	struct mg_scan *s = *sp;
	if (!s && !(s = *sp = calloc(1, sizeof(*s))))
		return NULL;
	if (!s->win_start_us || now_us - s->win_start_us >= (uint64_t)cfg->window_s * 1000000u)
		new_window(s, now_us);
	return s;
}

bool mg_scan_rate(struct mg_scan **sp, const struct mg_scan_cfg *cfg, enum mg_rate what,
		  const struct mg_addr *dst, uint16_t port, uint32_t threshold, uint64_t now_us,
		  struct mg_scan_finding *out)
{
	struct mg_scan *s = state(sp, cfg, now_us);

	if (!s || (unsigned)what >= MG_RATE__N)
		return false;
	if (!s->sec_us || now_us - s->sec_us >= 1000000u) {
		s->sec_us = now_us;
		memset(s->rate, 0, sizeof(s->rate));
		for (int i = 0; i < MG_RATE__N; i++)
			mg_hashset_clear(&s->targets[i]);
	}
	s->rate[what]++;
	uint64_t h = mg_fnv1a(MG_FNV_INIT, dst->b, sizeof(dst->b));
	if (what == MG_RATE_SYN) /* a SYN flood hits a port; a port scan, many */
		h = mg_fnv1a(h, &port, sizeof(port));
	mg_hashset_add(&s->targets[what], h, MG_SCAN_SET_MAX);
	enum mg_scan_kind k = (enum mg_scan_kind)(MG_SCAN_SYN_FLOOD + what);
	if (threshold < cfg->flood[what])
		threshold = cfg->flood[what];
	if (s->targets[what].n * 2 > s->rate[what] || !due(s, k, s->rate[what], threshold))
		return false;
	*out = (struct mg_scan_finding){.kind = k, .score = 0.9, .rate = s->rate[what],
					.targets = s->targets[what].n, .window_s = 1,
					.threshold = threshold};
	out->sample[0] = *dst;
	out->nsample = 1;
	return true;
}

bool mg_scan_conn(struct mg_scan **sp, const struct mg_scan_cfg *cfg, const struct mg_addr *dst,
		  uint16_t port, bool local, bool mirai, uint64_t now_us,
		  struct mg_scan_finding *out)
{
	struct mg_scan *s = state(sp, cfg, now_us);

	if (!s)
		return false;
	uint64_t h = mg_fnv1a(MG_FNV_INIT, dst->b, sizeof(dst->b));
	uint64_t hp = mg_fnv1a(h, &port, sizeof(port));
	uint32_t fan = 0;
	if (mg_hashset_add(&s->pairs, hp, MG_SCAN_SET_MAX) == 1) {
		mg_hashset_add(&s->dsts, h, MG_SCAN_SET_MAX);
		unsigned i;
		for (i = 0; i < s->nsample && memcmp(&s->sample[i], dst, sizeof(*dst)); i++)
			;
		if (i == s->nsample && s->nsample < 4)
			s->sample[s->nsample++] = *dst;
		for (i = 0; i < s->nports && s->ports[i].port != port; i++)
			;
		if (i == s->nports && i < PORTS_MAX) {
			s->ports[i].port = port;
			s->ports[i].n = 0;
			s->nports++;
		}
		if (i < s->nports)
			fan = ++s->ports[i].n;
		if (local) {
			mg_hashset_add(&s->local_pairs, hp, MG_SCAN_SET_MAX);
			mg_hashset_add(&s->local_hosts, h, MG_SCAN_SET_MAX);
			mg_hashset_add(&s->local_ports, mg_fnv1a(MG_FNV_INIT, &port, sizeof(port)),
				       MG_SCAN_SET_MAX);
		}
	}
	s->mirai += mirai;

	*out = (struct mg_scan_finding){.window_s = cfg->window_s, .mirai = s->mirai,
					.nsample = s->nsample};
	memcpy(out->sample, s->sample, sizeof(out->sample));
	if (mirai && due(s, MG_SCAN_MIRAI, s->mirai, cfg->mirai_syns)) {
		out->kind = MG_SCAN_MIRAI;
		out->threshold = cfg->mirai_syns;
		out->score = 0.95; /* no benign stack does this */
		out->port = port;
		out->distinct = s->pairs.n;
		return true;
	}
	if (fan && due(s, MG_SCAN_FANOUT, fan, cfg->fanout)) {
		out->kind = MG_SCAN_FANOUT;
		out->threshold = cfg->fanout;
		/* many addresses on a hunted port is what a worm does */
		out->score = hunted(port) ? 0.9 : 0.7;
		out->port = port;
		out->distinct = fan;
		return true;
	}
	/* many ports of few addresses */
	if (s->dsts.n * 8 <= s->pairs.n && due(s, MG_SCAN_PORTS, s->pairs.n, cfg->fanout)) {
		out->kind = MG_SCAN_PORTS;
		out->threshold = cfg->fanout;
		out->score = 0.7;
		out->port = port;
		out->distinct = s->dsts.n;
		out->ports = s->pairs.n;
		return true;
	}
	/* lateral: many (local host, port) probes; hosts and ports both count */
	if (local && due(s, MG_SCAN_LATERAL, s->local_pairs.n, cfg->local_hosts * 2)) {
		out->kind = MG_SCAN_LATERAL;
		out->threshold = cfg->local_hosts * 2;
		out->score = s->local_hosts.n >= cfg->local_hosts ? 0.9 : 0.75;
		out->port = port;
		out->distinct = s->local_hosts.n;
		out->ports = s->local_ports.n;
		return true;
	}
	return false;
}

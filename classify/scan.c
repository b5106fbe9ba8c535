/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "scan.h"

#include <stdlib.h>
#include <string.h>

#include "../common/hash.h"
#include "hashset.h"

#define PORTS_MAX 16 /* ports with their own fan-out count per window */
#define SEC 1000000u
#define TARGET_QUIET_US (60 * SEC) /* a new attack on a target after this long below the floor */
#define ATTACKED_US (2 * SEC)

/* What a device receives, per second. */
struct inbound {
	uint64_t sec_us, over_us; /* the second counted; the last time at the floor */
	uint32_t n;
	struct mg_hashset srcs, flows; /* addresses, (address, port) */
	struct mg_addr sample[4];
	unsigned nsample;
};

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
	struct mg_hashset pairs2[2], sports[2];	/* SYNs, UDP: (address, port), source ports */
	struct mg_addr first[2];		/* SYNs, UDP: first (address, port) of the second */
	uint16_t first_port[2];
	struct mg_addr sample[4];
	unsigned nsample;
	uint64_t resend_key, resend_payload;	/* the last UDP datagram sent */
	uint64_t answer_key;			/* the last peer that answered */
	uint32_t answers[MG_ANSWER__N];		/* its answers */
	struct inbound in[MG_IN__N];		/* what the device receives */
};

static const char *const kind_names[MG_SCAN__KINDS] = {
	"mirai_syn",	 "scan",	 "lateral",	     "port_scan",
	"syn_flood",	 "udp_flood",	 "icmp_flood",	     "dns_flood",
	"connect_storm", "syn_flood_target", "reflection_target"};
static const char *const answer_names[MG_ANSWER__N] = {"none", "rst", "icmp-unreachable",
							"syn-ack"};

const char *mg_scan_kind_name(enum mg_scan_kind k)
{
	return (unsigned)k < MG_SCAN__KINDS ? kind_names[k] : "?";
}

const char *mg_scan_answer_name(enum mg_answer a)
{
	return (unsigned)a < MG_ANSWER__N ? answer_names[a] : "?";
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
	for (int i = 0; i < 2; i++) {
		mg_hashset_free(&s->pairs2[i]);
		mg_hashset_free(&s->sports[i]);
		mg_hashset_free(&s->in[i].srcs);
		mg_hashset_free(&s->in[i].flows);
	}
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

static uint64_t pair_key(const struct mg_addr *a, uint16_t port, uint8_t proto)
{
	uint64_t h = mg_fnv1a(MG_FNV_INIT, a->b, sizeof(a->b));
	h = mg_fnv1a(h, &port, sizeof(port));
	return mg_fnv1a(h, &proto, 1);
}

bool mg_scan_rate(struct mg_scan **sp, const struct mg_scan_cfg *cfg, enum mg_rate what,
		  const struct mg_addr *dst, uint16_t port, uint16_t sport, uint32_t threshold,
		  uint64_t now_us, struct mg_scan_finding *out)
{
	struct mg_scan *s = state(sp, cfg, now_us);

	if (!s || (unsigned)what >= MG_RATE__N)
		return false;
	if (!s->sec_us || now_us - s->sec_us >= SEC) {
		s->sec_us = now_us;
		memset(s->rate, 0, sizeof(s->rate));
		for (int i = 0; i < MG_RATE__N; i++)
			mg_hashset_clear(&s->targets[i]);
		for (int i = 0; i < 2; i++) {
			mg_hashset_clear(&s->pairs2[i]);
			mg_hashset_clear(&s->sports[i]);
		}
	}
	s->rate[what]++;
	uint64_t h = mg_fnv1a(MG_FNV_INIT, dst->b, sizeof(dst->b));
	if (what == MG_RATE_SYN) /* a SYN flood hits a port; a port scan, many */
		h = mg_fnv1a(h, &port, sizeof(port));
	mg_hashset_add(&s->targets[what], h, MG_SCAN_SET_MAX);
	/* SYNs and UDP: the (address, port) pairs and source ports tell one
	 * connection tried again from a flood */
	bool tries = what == MG_RATE_SYN || what == MG_RATE_UDP_FLOW;
	uint8_t proto = what == MG_RATE_SYN ? 6 : 17;
	if (tries) {
		if (!s->pairs2[what].n) {
			s->first[what] = *dst;
			s->first_port[what] = port;
		}
		mg_hashset_add(&s->pairs2[what], pair_key(dst, port, proto), MG_SCAN_SET_MAX);
		mg_hashset_add(&s->sports[what], mg_fnv1a(MG_FNV_INIT, &sport, sizeof(sport)),
			       MG_SCAN_SET_MAX);
	}
	enum mg_scan_kind k = (enum mg_scan_kind)(MG_SCAN_SYN_FLOOD + what);
	if (threshold < cfg->flood[what])
		threshold = cfg->flood[what];
	if (s->targets[what].n * 2 > s->rate[what])
		return false;
	bool storm = tries && s->pairs2[what].n * 8 <= s->rate[what] &&
		     s->sports[what].n * 8 <= s->rate[what];
	if (storm)
		k = MG_SCAN_CONNECT_STORM;
	if (!due(s, k, s->rate[what], threshold))
		return false;
	*out = (struct mg_scan_finding){.kind = k, .score = storm ? 0.5 : 0.9,
					.rate = s->rate[what], .targets = s->targets[what].n,
					.window_s = 1, .threshold = threshold};
	out->sample[0] = *dst;
	out->nsample = 1;
	if (tries) {
		out->sports = s->sports[what].n;
		out->proto = proto;
	}
	if (storm) { /* the peer first tried in the second, and its answer */
		out->targets = s->pairs2[what].n;
		out->sample[0] = s->first[what];
		out->port = s->first_port[what];
		/* a RST says most, then an unreachable, then a SYN-ACK */
		if (s->answer_key == pair_key(&s->first[what], out->port, proto))
			for (int a = MG_ANSWER_RST; a < MG_ANSWER__N && !out->answer; a++)
				if (s->answers[a])
					out->answer = (enum mg_answer)a;
	}
	return true;
}

bool mg_scan_resend(struct mg_scan *s, const struct mg_addr *dst, uint16_t port, uint16_t sport,
		    uint64_t payload)
{
	if (!s)
		return false;
	uint64_t key = mg_fnv1a(pair_key(dst, port, 17), &sport, sizeof(sport));
	bool again = s->resend_key == key && s->resend_payload == payload;
	s->resend_key = key;
	s->resend_payload = payload;
	return again;
}

void mg_scan_answer(struct mg_scan *s, const struct mg_addr *peer, uint16_t port, uint8_t proto,
		    enum mg_answer a)
{
	if (!s || (unsigned)a >= MG_ANSWER__N)
		return;
	uint64_t key = pair_key(peer, port, proto);
	if (key != s->answer_key) {
		s->answer_key = key;
		memset(s->answers, 0, sizeof(s->answers));
	}
	if (s->answers[a] < UINT32_MAX)
		s->answers[a]++;
}

bool mg_scan_inbound(struct mg_scan **sp, const struct mg_scan_cfg *cfg, enum mg_inbound what,
		     const struct mg_addr *src, uint16_t sport, uint16_t dport, uint64_t now_us,
		     struct mg_scan_finding *out)
{
	struct mg_scan *s = *sp;

	if ((unsigned)what >= MG_IN__N || (!s && !(s = *sp = calloc(1, sizeof(*s)))))
		return false;
	struct inbound *in = &s->in[what];
	if (!in->sec_us || now_us - in->sec_us >= SEC) {
		in->sec_us = now_us;
		in->n = 0;
		in->nsample = 0;
		mg_hashset_clear(&in->srcs);
		mg_hashset_clear(&in->flows);
	}
	in->n++;
	uint64_t h = mg_fnv1a(MG_FNV_INIT, src->b, sizeof(src->b));
	if (mg_hashset_add(&in->srcs, h, MG_SCAN_SET_MAX) == 1 && in->nsample < 4)
		in->sample[in->nsample++] = *src;
	mg_hashset_add(&in->flows, mg_fnv1a(h, &sport, sizeof(sport)), MG_SCAN_SET_MAX);
	uint32_t floor = cfg->flood[what == MG_IN_SYN ? MG_RATE_SYN : MG_RATE_UDP_FLOW];
	/* SYNs from one flow retried are the peer's reconnect storm, not an attack */
	if (in->n < floor || (what == MG_IN_SYN && in->flows.n * 2 <= in->n))
		return false;
	bool again = in->over_us && now_us - in->over_us <= TARGET_QUIET_US;
	in->over_us = now_us;
	if (again)
		return false;
	*out = (struct mg_scan_finding){.kind = what == MG_IN_SYN ? MG_SCAN_SYN_TARGET
								  : MG_SCAN_REFLECT_TARGET,
					.score = 0.5, .rate = in->n, .window_s = 1,
					.threshold = floor, .sources = in->srcs.n,
					.flows = in->flows.n, .port = what == MG_IN_SYN ? dport : sport,
					.proto = what == MG_IN_SYN ? 6 : 17, .nsample = in->nsample};
	memcpy(out->sample, in->sample, sizeof(out->sample));
	return true;
}

bool mg_scan_attacked(const struct mg_scan *s, uint64_t now_us)
{
	if (!s)
		return false;
	for (int i = 0; i < MG_IN__N; i++)
		if (s->in[i].over_us && now_us - s->in[i].over_us < ATTACKED_US)
			return true;
	return false;
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

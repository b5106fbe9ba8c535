/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mudguard-mud: MUD profile tools.
 *
 *   mudguard-mud lint FILE...   exit 0 when every file is a usable profile
 *                               (warnings allowed), 1 otherwise
 *   mudguard-mud learn -r CAPTURE... --mac MAC -o FILE [--url URL] [-c CONFIG]
 *                               writes the profile of what the device did
 *
 * learn replays the captures through the sensor and keeps every distinct
 * flow the device took part in, from its point of view: direction, protocol,
 * the peer and the service port (the peer's for flows the device starts, the
 * device's own for flows started towards it), ICMP type. A peer becomes
 *   - its address (/32, /128) when it is a multicast or broadcast group,
 *   - local-networks when it is in the configured local networks,
 *   - dst-dnsname / src-dnsname when the device itself was answered that
 *     address for a name (the first name on the CNAME chain it asked for),
 *   - else its address.
 * Each entry is written with its reply mirror in the other policy (source
 * port, and for TCP direction-initiated) so that managers that compile MUD
 * into stateless ACLs work too. What MUDgee does, from the sensor's flows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <getopt.h>

#include "../classify/ident.h"
#include "../classify/linefile.h"
#include "../classify/mud.h"
#include "../classify/mudmatch.h"
#include "../classify/mudstore.h"
#include "../classify/prefix.h"
#include "../events/events.h"
#include "../src/sensor.h"

#define EXIT_USAGE 2

static void report(enum mg_mud_severity sev, const char *msg, void *user)
{
	unsigned *warnings = user;
	if (sev == MG_MUD_WARNING)
		(*warnings)++;
	fprintf(stderr, "%s\n", msg);
}

static int lint(int argc, char **argv)
{
	int bad = 0;
	for (int i = 0; i < argc; i++) {
		size_t len;
		unsigned warnings = 0;
		char *text;
		int rc = mg_read_file(argv[i], 64u << 20, &text, &len);
		if (rc < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(-rc));
			bad++;
			continue;
		}
		struct mg_mud *m;
		rc = mg_mud_parse(&m, argv[i], text, len, report, &warnings);
		if (rc == 0) {
			size_t aces = 0;
			for (size_t a = 0; a < m->n_acl; a++)
				aces += m->acl[a].n;
			printf("%s: ok: %s, %zu ACLs, %zu entries, %u warning%s\n", argv[i], m->url,
			       m->n_acl, aces, warnings, warnings == 1 ? "" : "s");
		} else {
			printf("%s: %d error%s\n", argv[i], rc < 0 ? 1 : rc, rc == 1 ? "" : "s");
			bad++;
		}
		mg_mud_free(m);
		free(text);
	}
	return bad ? 1 : 0;
}

/* ---- learn ---- */

struct beh {
	bool from_device;
	uint8_t family, proto;
	enum { P_GROUP, P_LOCAL, P_NAME, P_ADDR } kind;
	char peer[256]; /* name or address */
	struct mg_addr addr;
	int port;	/* service port, -1 none */
	int icmp_type;	/* -1 none */
};

struct learner {
	uint8_t mac[6];
	struct beh *b;
	size_t n, cap;
	bool nomem;
};

static void on_flow(void *user, const uint8_t mac[6], const struct mg_mud_flow *f,
		    const char *peer_name, bool peer_local)
{
	struct learner *l = user;
	struct beh b = {.from_device = f->from_device,
			.family = mg_addr_is_v4(&f->dev) ? 4 : 6,
			.proto = f->proto,
			.addr = f->peer,
			.port = -1,
			.icmp_type = f->icmp_type};

	if (memcmp(mac, l->mac, 6))
		return;
	if (mg_addr_is_group(&f->peer) ||
	    (b.family == 4 && f->peer.b[12] == 255 && f->peer.b[13] == 255)) /* broadcast */
		b.kind = P_GROUP;
	else if (peer_local)
		b.kind = P_LOCAL;
	else if (peer_name)
		b.kind = P_NAME;
	else
		b.kind = P_ADDR;
	if (b.kind == P_NAME)
		snprintf(b.peer, sizeof(b.peer), "%s", peer_name);
	else if (b.kind != P_LOCAL)
		mg_addr_str(&f->peer, b.peer, sizeof(b.peer));
	if (f->proto == MG_PROTO_TCP || f->proto == MG_PROTO_UDP)
		b.port = f->from_device ? f->peer_port : f->dev_port;
	if (f->proto == MG_PROTO_ICMP || f->proto == MG_PROTO_ICMPV6) {
		/* replies and errors belong to the flow that caused them */
		if (f->icmp_type == 0 || f->icmp_type == 129 || f->icmp_type == 3 ||
		    f->icmp_type == 11 || (f->proto == MG_PROTO_ICMPV6 && f->icmp_type < 128))
			return;
	} else {
		b.icmp_type = -1;
	}
	for (size_t i = 0; i < l->n; i++)
		if (l->b[i].from_device == b.from_device && l->b[i].family == b.family &&
		    l->b[i].proto == b.proto && l->b[i].kind == b.kind &&
		    !strcmp(l->b[i].peer, b.peer) && l->b[i].port == b.port &&
		    l->b[i].icmp_type == b.icmp_type)
			return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct beh *nb = realloc(l->b, cap * sizeof(*nb));
		if (!nb) {
			l->nomem = true;
			return;
		}
		l->b = nb;
		l->cap = cap;
	}
	l->b[l->n++] = b;
}

/* Fills @a for behaviour @b, in the @mirror form (the reply) or not. */
static int make_ace(struct mg_mud_ace *a, const struct beh *b, bool mirror, const char *name)
{
	*a = (struct mg_mud_ace){.action = MG_MUD_ACCEPT, .family = b->family, .proto = b->proto,
				 .ethertype = -1, .icmp_type = -1, .icmp_code = -1};
	/* in the from-device policy the peer is the destination */
	bool peer_is_dst = b->from_device != mirror;
	if (!(a->name = strdup(name)))
		return -ENOMEM;
	switch (b->kind) {
	case P_LOCAL:
		a->local_networks = true;
		break;
	case P_NAME:
		if (!(*(peer_is_dst ? &a->dst_dnsname : &a->src_dnsname) = strdup(b->peer)))
			return -ENOMEM;
		break;
	default: {
		struct mg_mud_net *n = peer_is_dst ? &a->dst_net : &a->src_net;
		n->set = true;
		n->a = b->addr;
		n->len = 128;
	}
	}
	if (b->port >= 0) {
		/* the service port is the peer's when the device starts the flow */
		bool on_peer = b->from_device;
		bool is_dst = on_peer == peer_is_dst;
		*(is_dst ? &a->dport : &a->sport) =
			(struct mg_mud_ports){MG_PORT_EQ, (uint16_t)b->port, (uint16_t)b->port};
	}
	if (b->proto == MG_PROTO_TCP)
		a->initiated = b->from_device ? MG_INIT_FROM_DEVICE : MG_INIT_TO_DEVICE;
	if (b->icmp_type >= 0) {
		a->icmp_type = b->icmp_type;
		if (mirror) {
			int reply = b->icmp_type == 8 ? 0 : b->icmp_type == 128 ? 129 : -1;
			if (reply < 0)
				return 1; /* no reply form */
			a->icmp_type = reply;
		}
	}
	return 0;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d) {
		fprintf(stderr, "mudguard-mud: out of memory\n");
		exit(1);
	}
	return d;
}

/* The profile of @l's behaviours: ACLs from-ipv4, to-ipv4, from-ipv6, to-ipv6
 * (those with entries), entries in the order first seen. */
static struct mg_mud *build_profile(const struct learner *l, const char *url, const char *info)
{
	struct mg_mud *m = calloc(1, sizeof(*m));
	char tag[13];

	if (!m)
		return NULL;
	snprintf(tag, sizeof(tag), "%02x%02x%02x%02x%02x%02x", l->mac[0], l->mac[1], l->mac[2],
		 l->mac[3], l->mac[4], l->mac[5]);
	m->url = xstrdup(url);
	m->systeminfo = xstrdup(info);
	m->version = 1;
	m->cache_validity_h = 48;
	m->is_supported = true;
	m->acl = calloc(4, sizeof(*m->acl));
	m->from_acl = calloc(2, sizeof(char *));
	m->to_acl = calloc(2, sizeof(char *));
	if (!m->acl || !m->from_acl || !m->to_acl)
		goto nomem;
	for (int fam = 4; fam <= 6; fam += 2) {
		struct mg_mud_acl *acl[2] = {&m->acl[m->n_acl], &m->acl[m->n_acl + 1]};
		for (int pol = 0; pol < 2; pol++) {
			char name[64];
			snprintf(name, sizeof(name), "mud-%s-v%d%s", tag, fam, pol ? "to" : "fr");
			acl[pol]->name = xstrdup(name);
			acl[pol]->type = xstrdup(fam == 4 ? "ipv4-acl-type" : "ipv6-acl-type");
			if (!(acl[pol]->ace = calloc(2 * l->n + 1, sizeof(struct mg_mud_ace))))
				goto nomem;
		}
		for (size_t i = 0; i < l->n; i++) {
			const struct beh *b = &l->b[i];
			if (b->family != fam)
				continue;
			for (int mirror = 0; mirror < 2; mirror++) {
				/* a flow the device starts is a from-device entry */
				int pol = b->from_device != (bool)mirror ? 0 : 1;
				struct mg_mud_acl *a = acl[pol];
				char name[64];
				snprintf(name, sizeof(name), "%s%zu-%s", mirror ? "re" : "cl", i,
					 pol ? "todev" : "frdev");
				int rc = make_ace(&a->ace[a->n], b, mirror, name);
				if (rc < 0)
					goto nomem;
				if (rc == 0)
					a->n++;
				else
					free(a->ace[a->n].name);
			}
		}
		for (int pol = 0; pol < 2; pol++)
			if (acl[pol]->n) {
				char ***names = pol ? &m->to_acl : &m->from_acl;
				size_t *n = pol ? &m->n_to : &m->n_from;
				(*names)[(*n)++] = xstrdup(acl[pol]->name);
			}
		m->n_acl += 2;
	}
	size_t kept = 0; /* an ACL without entries is left out */
	for (size_t i = 0; i < m->n_acl; i++) {
		if (m->acl[i].n) {
			m->acl[kept++] = m->acl[i];
			continue;
		}
		free(m->acl[i].name);
		free(m->acl[i].type);
		free(m->acl[i].ace);
	}
	m->n_acl = kept;
	return m;
nomem:
	mg_mud_free(m);
	return NULL;
}

/* The MUD URL the device announced, if any. */
static const char *announced_url(const struct mg_ident *id)
{
	for (size_t i = 0; id && i < mg_ident_count(id); i++) {
		enum mg_signal sig;
		const char *v;
		uint64_t ts;
		char why[128];
		mg_ident_item(id, i, &sig, &v, &ts);
		if ((sig == MG_SIG_DHCP_MUD_URL || sig == MG_SIG_DHCP6_MUD_URL ||
		     sig == MG_SIG_LLDP_MUD_URL) &&
		    mg_mud_url_valid(v, why, sizeof(why)))
			return v;
	}
	return NULL;
}

static int learn(int argc, char **argv)
{
	static const struct option opts[] = {{"mac", required_argument, NULL, 'm'},
					     {"url", required_argument, NULL, 'u'},
					     {NULL, 0, NULL, 0}};
	const char *out = NULL, *url = NULL, *config = NULL;
	struct learner l = {0};
	bool have_mac = false;
	char **caps = calloc((size_t)argc + 1, sizeof(*caps));
	size_t ncaps = 0;
	int opt;

	if (!caps)
		return 1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "r:o:c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			caps[ncaps++] = optarg;
			/* -r A B C: the captures run to the next option */
			while (optind < argc && argv[optind][0] != '-')
				caps[ncaps++] = argv[optind++];
			break;
		case 'o':
			out = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'm':
			if (mg_mac_parse(optarg, l.mac) < 0) {
				fprintf(stderr, "mudguard-mud: --mac %s: not a MAC address\n", optarg);
				return EXIT_USAGE;
			}
			have_mac = true;
			break;
		case 'u':
			url = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (!ncaps || !have_mac || !out || optind < argc) {
		fprintf(stderr, "usage: mudguard-mud learn -r CAPTURE... --mac MAC -o FILE "
				"[--url URL] [-c CONFIG]\n");
		return EXIT_USAGE;
	}
	char why[160];
	if (url && !mg_mud_url_valid(url, why, sizeof(why))) {
		fprintf(stderr, "mudguard-mud: --url %s: %s\n", url, why);
		return EXIT_USAGE;
	}

	struct mg_config cfg;
	struct mg_events *ev;
	struct mg_sensor *s;
	char err[1024];
	mg_config_defaults(&cfg);
	if (config && mg_config_load(&cfg, config, NULL, NULL) != 0) {
		fprintf(stderr, "mudguard-mud: %s: configuration has problems "
				"(mudguard -c %s --check-config)\n", config, config);
		return 1;
	}
	cfg.mud_enabled = false;     /* learn what the device did, not what a profile says */
	cfg.device_idle = 31536000; /* the device must last the captures */
	if (mg_events_open(&ev, "/dev/null", err, sizeof(err)) < 0 ||
	    mg_sensor_new(&s, &cfg, ev, err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguard-mud: %s\n", err);
		return 1;
	}
	mg_sensor_on_flow(s, on_flow, &l);
	int rc = 1;
	for (size_t i = 0; i < ncaps; i++) {
		int r = mg_sensor_replay_file(s, caps[i], err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "mudguard-mud: %s\n", err);
			goto out;
		}
		if (r > 0)
			fprintf(stderr, "mudguard-mud: warning: %s\n", err);
	}
	uint64_t first;
	const struct mg_ident *id = mg_sensor_ident(s, l.mac, &first);
	char macs[18], def[128], info[256];
	snprintf(macs, sizeof(macs), "%02x:%02x:%02x:%02x:%02x:%02x", l.mac[0], l.mac[1],
		 l.mac[2], l.mac[3], l.mac[4], l.mac[5]);
	if (!id) {
		fprintf(stderr, "mudguard-mud: no device %s in the captures\n", macs);
		goto out;
	}
	if (l.nomem) {
		fprintf(stderr, "mudguard-mud: out of memory\n");
		goto out;
	}
	if (!url && !(url = announced_url(id))) {
		snprintf(def, sizeof(def), "https://mud.invalid/learned/%.2s%.2s%.2s%.2s%.2s%.2s.json",
			 macs, macs + 3, macs + 6, macs + 9, macs + 12, macs + 15);
		url = def;
		fprintf(stderr, "mudguard-mud: %s announced no MUD URL; the profile says %s "
				"(set one with --url)\n", macs, url);
	}
	snprintf(info, sizeof(info), "learned by mudguard-mud from %zu capture%s of %s", ncaps,
		 ncaps == 1 ? "" : "s", macs);
	struct mg_mud *m = build_profile(&l, url, info);
	FILE *f = m ? fopen(out, "w") : NULL;
	if (!m || !f) {
		fprintf(stderr, "mudguard-mud: %s: %s\n", out, m ? strerror(errno) : "out of memory");
		mg_mud_free(m);
		goto out;
	}
	int w = mg_mud_write(f, m);
	if (fclose(f) != 0 || w < 0) {
		fprintf(stderr, "mudguard-mud: %s: write failed\n", out);
		mg_mud_free(m);
		goto out;
	}
	printf("%s: %s, %zu distinct flows -> %zu ACLs\n", out, url, l.n, m->n_from + m->n_to);
	mg_mud_free(m);
	rc = 0;
out:
	mg_sensor_finish(s, NULL);
	mg_sensor_free(s);
	mg_events_close(ev);
	free(l.b);
	free(caps);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mudguard-mud lint FILE...\n"
		   "       mudguard-mud learn -r CAPTURE... --mac MAC -o FILE [--url URL] "
		   "[-c CONFIG]\n");
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "lint"))
		return lint(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "learn"))
		return learn(argc - 1, argv + 1);
	usage(stderr);
	return EXIT_USAGE;
}

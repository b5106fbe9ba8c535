/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mudguard-enforce: the enforcer, driven by hand (an analyst, a test, a
 * script) rather than by verdicts. It acts (enforce mode) with the backend of
 * the configuration's [enforce] section, keeps the same state file, and writes
 * the same events as the sensor.
 *
 *   mudguard-enforce [-c CONFIG] [-o EVENTS] setup
 *   mudguard-enforce ... quarantine MAC [--addr IP]... [--reason TEXT] [--by NAME] [--known N]
 *   mudguard-enforce ... release MAC [--reason TEXT] [--by NAME]
 *   mudguard-enforce ... list | reconcile | check | teardown
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../classify/prefix.h"
#include "../src/config.h"
#include "../src/quarantine_ev.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: mudguard-enforce [-c CONFIG] [-o EVENTS] COMMAND\n"
		   "  setup                       create or update the table, sets and chains\n"
		   "  quarantine MAC [--addr IP]... [--reason TEXT] [--by NAME] [--known N]\n"
		   "  release MAC [--reason TEXT] [--by NAME]\n"
		   "  list                        the quarantines in force (state file)\n"
		   "  reconcile                   make the kernel and the state file agree\n"
		   "  check                       restore the table if it was deleted\n"
		   "  teardown                    delete mudguard's table\n");
}

struct out {
	struct mg_events *ev;
	struct mg_enf *e;
};

static void note(void *user, enum mg_enf_note what, const uint8_t *mac, const char *detail)
{
	struct out *o = user;
	mg_qev_note(o->ev, mg_wall_us(), o->e, what, mac, detail);
}

static void show(void *user, const uint8_t mac[6], const struct mg_addr *addrs, unsigned n,
		 uint64_t expires_us, uint32_t offenses, const char *reason)
{
	char m[24], ip[64];
	(void)user;
	printf("%s  expires in %llds  offenses %u  ", mg_mac_str(mac, m, sizeof(m)),
	       (long long)((int64_t)expires_us - (int64_t)mg_wall_us()) / 1000000, offenses);
	for (unsigned i = 0; i < n; i++)
		printf("%s%s", i ? "," : "", mg_addr_str(&addrs[i], ip, sizeof(ip)));
	printf("%s  %s\n", n ? "" : "-", reason);
}

static void report(const char *msg, void *user)
{
	(void)user;
	fprintf(stderr, "mudguard-enforce: config: %s\n", msg);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"output", required_argument, NULL, 'o'},
		{"addr", required_argument, NULL, 'a'},	  {"reason", required_argument, NULL, 'r'},
		{"by", required_argument, NULL, 'b'},	  {"known", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},	  {0},
	};
	struct mg_config cfg;
	struct mg_enf_cfg ec;
	struct mg_addr addrs[8];
	unsigned naddr = 0;
	const char *conf = NULL, *out = "-", *reason = "analyst", *by = getenv("USER");
	size_t known = 0;
	char err[1024];
	int opt, rc = 1;

	mg_config_defaults(&cfg);
	/* GNU getopt moves the command and its MAC after the options */
	while ((opt = getopt_long(argc, argv, "c:o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'a':
			if (naddr == 8 || mg_addr_parse(&addrs[naddr], optarg) < 0) {
				fprintf(stderr, "mudguard-enforce: --addr %s: not an address (at most 8)\n",
					optarg);
				return 2;
			}
			naddr++;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'b':
			by = optarg;
			break;
		case 'k':
			known = strtoul(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	const char *words[2] = {optind < argc ? argv[optind] : NULL,
				optind + 1 < argc ? argv[optind + 1] : NULL};
	if (!words[0]) {
		usage(stderr);
		return 2;
	}
	int bad = conf ? mg_config_load(&cfg, conf, report, NULL) : 0;
	if (bad) {
		if (bad < 0)
			fprintf(stderr, "mudguard-enforce: %s: %s\n", conf, strerror(-bad));
		return 2;
	}
	mg_config_enforcer(&cfg, &ec);
	ec.mode = MG_ENF_ENFORCE; /* an explicit command is the permission */
	if (!by)
		by = "analyst";

	struct out o = {NULL, NULL};
	if (mg_events_open(&o.ev, out, err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguard-enforce: %s\n", err);
		return 2;
	}
	const char *cmd = words[0];
	bool needs_mac = !strcmp(cmd, "quarantine") || !strcmp(cmd, "release");
	uint8_t mac[6];
	if (needs_mac && (!words[1] || mg_mac_parse(words[1], mac) < 0)) {
		fprintf(stderr, "mudguard-enforce: %s needs a MAC address\n", cmd);
		goto out;
	}
	if (!strcmp(cmd, "teardown")) {
		struct mg_nft *n = NULL;
		if (mg_nft_open(&n, &ec.nft, err, sizeof(err)) < 0 ||
		    (rc = mg_nft_teardown(n, err, sizeof(err))) < 0) {
			fprintf(stderr, "mudguard-enforce: %s\n", err);
			rc = 1;
		}
		mg_nft_close(n);
		goto out;
	}
	if (mg_enf_new(&o.e, &ec, err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguard-enforce: %s\n", err);
		goto out;
	}
	uint64_t now = mg_wall_us();
	struct mg_enf_result r;
	rc = 0;
	if (strcmp(cmd, "check") && strcmp(cmd, "list") &&
	    mg_enf_start(o.e, now, note, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguard-enforce: %s\n", err);
		rc = 1;
		goto out;
	}
	if (!strcmp(cmd, "setup") || !strcmp(cmd, "reconcile")) {
		/* mg_enf_start did it */
	} else if (!strcmp(cmd, "quarantine")) {
		mg_enf_expire(o.e, now, note, &o);
		if (mg_enf_quarantine(o.e, mac, addrs, naddr, reason, "", now, known ? known : 1000000,
				      &r) < 0)
			rc = 1;
		else
			mg_qev_quarantine(o.ev, now, o.e, mac, reason, "", by, &r);
		if (r.circuit_opened)
			mg_qev_circuit(o.ev, now, o.e, &r, known);
		rc = rc || r.outcome == MG_ENF_FAILED || r.outcome == MG_ENF_SUPPRESSED;
	} else if (!strcmp(cmd, "release")) {
		if (mg_enf_release(o.e, mac, reason, now, &r) < 0)
			rc = 1;
		else
			mg_qev_release(o.ev, now, o.e, mac, reason, by, &r);
		rc = rc || r.outcome == MG_ENF_FAILED || r.outcome == MG_ENF_NOT_FOUND;
	} else if (!strcmp(cmd, "list")) {
		mg_enf_expire(o.e, now, note, &o);
		mg_enf_each(o.e, show, NULL);
	} else if (!strcmp(cmd, "check")) {
		if (mg_enf_check(o.e, now, note, &o, err, sizeof(err)) < 0) {
			fprintf(stderr, "mudguard-enforce: %s\n", err);
			rc = 1;
		}
	} else {
		fprintf(stderr, "mudguard-enforce: unknown command \"%s\"\n", cmd);
		usage(stderr);
		rc = 2;
	}
	if (mg_enf_save(o.e, err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguard-enforce: %s\n", err);
		rc = 1;
	}
out:
	mg_enf_free(o.e);
	mg_events_close(o.ev);
	return rc;
}

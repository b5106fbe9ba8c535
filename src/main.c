/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mudguard: network-side IoT device inventory and (later) MUD/behaviour checks.
 * Only this file decides what is fatal; everything below returns errors.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../capture/source.h"
#include "../classify/dpi.h"
#include "../events/events.h"
#include "../events/redis.h"
#include "check.h"
#include "config.h"
#include "enforcer.h"
#include "quarantine_ev.h"
#include "runid.h"
#include "sensor.h"

#ifndef MG_VERSION
#define MG_VERSION "dev"
#endif

enum { EXIT_USAGE = 2, EXIT_INPUT = 3 };

static volatile sig_atomic_t stop_requested, reload_requested;
static struct mg_sensor *volatile running; /* whose MUD retrievals SIGTERM cuts short */

static void on_signal(int sig)
{
	if (sig == SIGHUP) {
		reload_requested = 1;
		return;
	}
	stop_requested = 1;
	if (running)
		mg_sensor_cancel_fetches(running);
}

/* Flags override the config file: remembered, applied after loading it, at
 * start and at every reload. */
static struct {
	const char *section, *key, *value;
} over[32];
static int n_over;
static const char *config_path;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mudguard -r FILE... [options]     replay pcap/pcapng files ('-' = stdin)\n"
		"       mudguard -i IFACE [options]       capture live\n"
		"       mudguard --enforcer --redis URL   apply published verdicts and commands\n"
		"\n"
		"  -c, --config FILE        configuration (see rules/mudguard.conf)\n"
		"  -o, --output FILE        JSON-lines events ('-' = stdout, the default)\n"
		"  -f, --filter BPF         capture filter (tcpdump syntax)\n"
		"      --snaplen N          live: bytes captured per packet\n"
		"      --buffer-size MIB    live: kernel buffer size\n"
		"      --no-promisc         live: do not put the interface in promiscuous mode\n"
		"      --stats-interval S   seconds of packet time between stats events\n"
		"      --flows              emit a `flow` event for every flow that ends\n"
		"      --summary            print a readable device table to stderr at the end\n"
		"      --fingerprints MODEL learned fingerprints (mudguard-fingerprint train)\n"
		"      --rules PATH         identification rules file or directory\n"
		"      --learn FILE         training run: the capture is normal; write the\n"
		"                           devices' learned baselines to FILE at the end\n"
		"      --baseline FILE      start from the baselines in FILE\n"
		"      --enforce BACKEND    off, dry-run (the default) or nft\n"
		"      --mode MODE          monitor (the default: report only) or enforce\n"
		"      --redis URL          also journal events to Redis: redis[s]://[user:pass@]host:port[/db]\n"
		"      --enforcer           no capture: apply the verdicts sensors publish and analysts'\n"
		"                           commands from Redis with [enforce] (a gateway in a split setup)\n"
		"      --check-config       check the configuration and exit (0 = clean)\n"
		"  -V, --version            print versions and exit\n"
		"  -h, --help               this help\n");
}

static void redis_log(void *user, const char *line)
{
	(void)user;
	fprintf(stderr, "mudguard: %s\n", line);
}

static void redis_sink(void *user, const char *run, uint64_t seq, const char *id,
		       const char *type, const char *mac, const char *json, size_t len,
		       uint64_t chain)
{
	mg_redis_push(user, run, seq, id, type, mac, json, len, chain);
}

static void report_config(const char *msg, void *user)
{
	(void)user;
	fprintf(stderr, "mudguard: config: %s\n", msg);
}

/* The configuration: defaults, the file, then the flags. Returns the number
 * of problems in the file (reported), or -1 for a file that cannot be read
 * or a bad flag (reported, a usage error). */
static int load_config(struct mg_config *cfg)
{
	int bad = 0;
	mg_config_defaults(cfg);
	if (config_path) {
		int n = mg_config_load(cfg, config_path, report_config, NULL);
		if (n < 0) {
			fprintf(stderr, "mudguard: %s: %s\n", config_path, strerror(-n));
			return -1;
		}
		bad += n;
	}
	for (int i = 0; i < n_over; i++)
		if (mg_config_set(cfg, over[i].section, over[i].key, over[i].value, report_config,
				  NULL) < 0)
			return -1;
	return bad;
}

/* SIGHUP: the configuration read again and checked as --check-config
 * does. Returns 0, or the number of problems (said: nothing changes). */
static int reread_config(struct mg_config *cfg)
{
	int bad = load_config(cfg);
	if (bad == 0)
		bad = mg_check_config(cfg, report_config, NULL);
	if (bad)
		fprintf(stderr, "mudguard: reload: the configuration has problems (see above); "
				"nothing changed\n");
	return bad;
}

/* SIGHUP: the events file opened again (logrotate's postrotate), then the
 * configuration read again and its live keys applied. */
static void reload(struct mg_sensor *s, struct mg_events *ev)
{
	struct mg_config *cfg = malloc(sizeof(*cfg));
	char msg[4096];

	reload_requested = 0;
	if (mg_events_reopen(ev, msg, sizeof(msg)) < 0)
		fprintf(stderr, "mudguard: reload: %s\n", msg);
	if (cfg && reread_config(cfg) == 0)
		fprintf(stderr, "mudguard: %s: %s\n",
			mg_sensor_reload(s, cfg, msg, sizeof(msg)) < 0 ? "reload" : "reloaded", msg);
	free(cfg);
}

/* Replays @path. Returns 0, or 1 if the file could not be read to its end. */
static int replay_file(struct mg_sensor *s, struct mg_events *ev, const char *path,
		       const char *filter)
{
	struct mg_source *src;
	char err[1024];
	const uint8_t *data;
	uint32_t caplen, wirelen;
	uint64_t ts;
	int rc;

	mg_sensor_new_capture(s);
	if (mg_source_open_file(&src, path, filter, err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguard: %s\n", err);
		mg_sensor_note(s, MG_NOTE_FILE_FAILED);
		return 1;
	}
	while (!stop_requested &&
	       (rc = mg_source_next(src, &data, &caplen, &wirelen, &ts)) == MG_SRC_PACKET) {
		if (reload_requested)
			reload(s, ev);
		/* per packet: a pcapng file's interfaces may differ */
		mg_sensor_packet(s, mg_source_link(src), data, caplen, wirelen, ts);
	}
	if (stop_requested)
		rc = MG_SRC_EOF;
	if (rc == MG_SRC_EOF && mg_source_truncated(src)) {
		fprintf(stderr, "mudguard: warning: %s; the rest of the file is ignored\n",
			mg_source_errstr(src));
		mg_sensor_note(s, MG_NOTE_FILE_TRUNCATED);
	}
	if (rc == MG_SRC_ERROR) {
		fprintf(stderr, "mudguard: %s\n", mg_source_errstr(src));
		mg_sensor_note(s, MG_NOTE_FILE_FAILED);
	}
	mg_source_free(src);
	return rc == MG_SRC_ERROR;
}

static void protect(void *user, const struct mg_addr *a)
{
	mg_sensor_protect(user, a); /* the host's own addresses are never quarantined */
}

/* An analyst's command, read from Redis by the live sensor's consumer. */
struct commands {
	struct mg_sensor *s;
	const char *name;
};

static void on_command(void *user, const char *stream, const char *id, unsigned nf,
		       const char *const *fields, const char *const *values)
{
	struct commands *c = user;
	struct mg_command cmd;
	(void)stream;
	mg_command_from_fields(&cmd, id, nf, fields, values);
	mg_sensor_command(c->s, &cmd, c->name, mg_wall_us());
}

/* How often a live sensor takes the commands its reader has fetched: a
 * mutex per packet would be the packet path's cost for a rare event. */
#define COMMAND_POLL_US 50000

/* Captures until stopped; with @commands, analysts' commands are read from
 * Redis (group "sensor:NAME") once the capture is open, and applied between
 * packets. */
static int capture_live(struct mg_sensor *s, struct mg_events *ev, const struct mg_config *cfg,
			bool commands, const char *name)
{
	struct commands cmds = {s, name};
	struct mg_rconsumer *cons = NULL;
	struct mg_live_opts o = {
		.iface = cfg->interface,
		.snaplen = cfg->snaplen,
		.promisc = cfg->promisc,
		.buffer_mib = cfg->buffer_mib,
		.filter = cfg->filter,
		.timeout_ms = 200,
	};
	struct mg_source *src;
	struct mg_capture_stats cs;
	char err[1024];
	const uint8_t *data;
	uint32_t caplen, wirelen;
	uint64_t ts, next_kstats = 0, next_commands = 0;
	int rc = MG_SRC_TIMEOUT;

	if (mg_source_open_live(&src, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguard: %s\n", err);
		return EXIT_INPUT;
	}
	if (commands) {
		char group[200];
		const char *streams[] = {MG_REDIS_COMMANDS};
		snprintf(group, sizeof(group), MG_REDIS_GROUP_SENSOR "%s", name);
		if (mg_rconsumer_open(&cons, cfg->redis_url, streams, 1, group, name, redis_log, NULL,
				      err, sizeof(err)) < 0)
			fprintf(stderr, "mudguard: commands: %s\n", err);
	}
	if (mg_sensor_live(s, err, sizeof(err)) < 0) /* MUD retrieval off the packet thread */
		fprintf(stderr, "mudguard: %s; MUD files are retrieved in the packet loop\n", err);
	fprintf(stderr, "mudguard: capturing on %s\n", cfg->interface);
	enum mg_link link = mg_source_link(src);
	while (!stop_requested) {
		if (reload_requested)
			reload(s, ev);
		rc = mg_source_next(src, &data, &caplen, &wirelen, &ts);
		uint64_t now = mg_wall_us();
		if (now >= next_kstats) { /* kernel counters and the events file: once a second */
			mg_events_flush(ev);
			if (mg_source_stats(src, &cs) == 0)
				mg_sensor_set_capture_stats(s, &cs);
			next_kstats = now + 1000000u;
		}
		if (cons && now >= next_commands) { /* analysts' commands: between packets */
			mg_rconsumer_poll(cons, on_command, &cmds);
			next_commands = now + COMMAND_POLL_US;
		}
		if (rc == MG_SRC_PACKET)
			mg_sensor_packet(s, link, data, caplen, wirelen, ts);
		else if (rc == MG_SRC_TIMEOUT)
			mg_sensor_tick(s, now); /* live: an idle link still gets its stats */
		else
			break;
	}
	if (rc == MG_SRC_ERROR || rc == MG_SRC_EOF)
		fprintf(stderr, "mudguard: capture on %s stopped: %s\n", cfg->interface,
			mg_source_errstr(src));
	if (mg_source_stats(src, &cs) == 0)
		mg_sensor_set_capture_stats(s, &cs);
	mg_source_free(src);
	mg_rconsumer_close(cons);
	return rc == MG_SRC_ERROR ? EXIT_INPUT : 0;
}

enum {
	OPT_SNAPLEN = 256,
	OPT_BUFSIZE,
	OPT_NOPROMISC,
	OPT_STATS,
	OPT_FLOWS,
	OPT_SUMMARY,
	OPT_CHECK,
	OPT_FINGERPRINTS,
	OPT_RULES,
	OPT_LEARN,
	OPT_BASELINE,
	OPT_ENFORCE,
	OPT_MODE,
	OPT_REDIS,
	OPT_ENFORCER,
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"read", required_argument, NULL, 'r'},
		{"interface", required_argument, NULL, 'i'},
		{"config", required_argument, NULL, 'c'},
		{"output", required_argument, NULL, 'o'},
		{"filter", required_argument, NULL, 'f'},
		{"snaplen", required_argument, NULL, OPT_SNAPLEN},
		{"buffer-size", required_argument, NULL, OPT_BUFSIZE},
		{"no-promisc", no_argument, NULL, OPT_NOPROMISC},
		{"stats-interval", required_argument, NULL, OPT_STATS},
		{"flows", no_argument, NULL, OPT_FLOWS},
		{"summary", no_argument, NULL, OPT_SUMMARY},
		{"check-config", no_argument, NULL, OPT_CHECK},
		{"fingerprints", required_argument, NULL, OPT_FINGERPRINTS},
		{"rules", required_argument, NULL, OPT_RULES},
		{"learn", required_argument, NULL, OPT_LEARN},
		{"baseline", required_argument, NULL, OPT_BASELINE},
		{"enforce", required_argument, NULL, OPT_ENFORCE},
		{"mode", required_argument, NULL, OPT_MODE},
		{"redis", required_argument, NULL, OPT_REDIS},
		{"enforcer", no_argument, NULL, OPT_ENFORCER},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int n_files = 0, opt, bad = 0;
	const char **files = calloc((size_t)argc + 1, sizeof(*files));
	bool summary = false, check = false, live = false, enforcer = false;
	struct mg_config cfg;
	struct mg_events *ev = NULL;
	struct mg_sensor *s = NULL;
	char err[1024];
	int rc = 0;

	if (!files)
		return 1;
#define OVER(sec, k, v)                                                        \
	do {                                                                   \
		over[n_over].section = sec;                                    \
		over[n_over].key = k;                                          \
		over[n_over++].value = v;                                      \
	} while (0)
	while ((opt = getopt_long(argc, argv, "r:i:c:o:f:Vh", longopts, NULL)) != -1) {
		if (n_over >= 30) {
			fprintf(stderr, "mudguard: too many options\n");
			rc = EXIT_USAGE;
			goto out;
		}
		switch (opt) {
		case 'r':
			files[n_files++] = optarg;
			break;
		case 'i':
			OVER("capture", "interface", optarg);
			live = true;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'o':
			OVER("output", "events", optarg);
			break;
		case 'f':
			OVER("capture", "filter", optarg);
			break;
		case OPT_SNAPLEN:
			OVER("capture", "snaplen", optarg);
			break;
		case OPT_BUFSIZE:
			OVER("capture", "buffer_mib", optarg);
			break;
		case OPT_NOPROMISC:
			OVER("capture", "promisc", "no");
			break;
		case OPT_STATS:
			OVER("capture", "stats_interval", optarg);
			break;
		case OPT_FLOWS:
			OVER("output", "flows", "yes");
			break;
		case OPT_SUMMARY:
			summary = true;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_FINGERPRINTS:
			OVER("identify", "fingerprints", optarg);
			break;
		case OPT_RULES:
			OVER("identify", "rules", optarg);
			break;
		case OPT_LEARN:
			OVER("anomaly", "learn", optarg);
			break;
		case OPT_BASELINE:
			OVER("anomaly", "baseline", optarg);
			break;
		case OPT_ENFORCE:
			OVER("enforce", "backend", optarg);
			break;
		case OPT_MODE:
			OVER("enforce", "mode", optarg);
			break;
		case OPT_REDIS:
			OVER("redis", "url", optarg);
			break;
		case OPT_ENFORCER:
			enforcer = true;
			break;
		case 'V':
			printf("mudguard %s\nnDPI %s\n%s\n", MG_VERSION, mg_dpi_version(),
			       mg_source_lib_version());
			rc = 0;
			goto out;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	/* files may also follow the options: mudguard -r a.pcap b.pcap */
	for (int i = optind; i < argc; i++)
		files[n_files++] = argv[i];

	if ((bad = load_config(&cfg)) < 0) {
		rc = EXIT_USAGE; /* an unreadable file or a bad flag */
		goto out;
	}
	if (check) {
		bad += mg_check_config(&cfg, report_config, NULL);
		fprintf(stderr, "mudguard: configuration %s\n",
			bad ? "has problems (see above)" : "is valid");
		rc = bad ? 1 : 0;
		goto out;
	}
	if (cfg.redis_url[0] && mg_redis_url_check(cfg.redis_url, err, sizeof(err)) < 0) {
		char where[1300];
		mg_config_where(&cfg, "redis", "url", where, sizeof(where));
		fprintf(stderr, "mudguard: config: %s: %s\n", where, err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (bad)
		fprintf(stderr, "mudguard: config: %d problem(s); those keys keep their "
				"defaults\n", bad);
	if (!live && cfg.interface[0] && !n_files && !enforcer)
		live = true; /* interface from the config file */
	if (enforcer && (live || n_files)) {
		fprintf(stderr, "mudguard: --enforcer captures nothing: no -r or -i with it\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (!enforcer && live == (n_files > 0)) {
		fprintf(stderr, "mudguard: give either -r FILE... or -i IFACE\n");
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}

	if (mg_events_open(&ev, cfg.events, err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguard: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	}
	struct mg_redis *redis = NULL;
	char name[128] = "mudguard";
	if (cfg.redis_sensor[0])
		snprintf(name, sizeof(name), "%s", cfg.redis_sensor);
	else
		gethostname(name, sizeof(name) - 1);
	if (cfg.redis_url[0]) {
		struct mg_redis_cfg rc_ = {cfg.redis_url, cfg.redis_stream, cfg.redis_maxlen,
					   cfg.redis_spool, cfg.redis_spool_max, cfg.redis_queue,
					   cfg.redis_device_ttl,
					   redis_log, NULL};
		if (mg_redis_open(&redis, &rc_, err, sizeof(err)) < 0) {
			fprintf(stderr, "mudguard: %s\n", err);
			mg_events_close(ev);
			rc = EXIT_USAGE;
			goto out;
		}
		char key[MG_RUN_KEY_LEN + 1];
		if (mg_run_key(key, &cfg, live ? NULL : files, live ? 0 : (unsigned)n_files) < 0) {
			fprintf(stderr, "mudguard: out of memory\n");
			mg_redis_close(redis, 0, NULL);
			mg_events_close(ev);
			rc = 1;
			goto out;
		}
		mg_events_set_sink(ev, name, key, redis_sink, redis);
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a reload must not cut a read short: reading a capture from a pipe,
	 * an interrupted read() would end it as an error */
	struct sigaction hup = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
	sigaction(SIGHUP, &hup, NULL);
	if (enforcer) {
		fprintf(stderr, "mudguard: enforcer %s: applying verdicts and commands from Redis\n",
			name);
		struct mg_enforcer_ctl ctl = {&stop_requested, &reload_requested, reread_config,
					      redis_log};
		if (mg_enforcer_run(&cfg, ev, name, &ctl, err, sizeof(err)) < 0) {
			fprintf(stderr, "mudguard: %s\n", err);
			rc = 1;
		}
		goto close_redis;
	}
	if (mg_sensor_new(&s, &cfg, ev, err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguard: %s\n", err);
		mg_events_close(ev);
		rc = 1;
		goto out;
	}
	running = s;
	if (live) {
		mg_each_own_address(protect, s);
		rc = capture_live(s, ev, &cfg, redis && mg_sensor_enforces(s), name);
	} else {
		for (int i = 0; i < n_files && !stop_requested; i++)
			if (replay_file(s, ev, files[i], cfg.filter))
				rc = EXIT_INPUT;
	}
	mg_sensor_finish(s, summary ? stderr : NULL);
	if (mg_sensor_save_state(s, err, sizeof(err)) < 0) {
		fprintf(stderr, "mudguard: state not saved: %s\n", err);
		rc = 1;
	}
	running = NULL;
	mg_sensor_free(s);
close_redis:
	if (redis) {
		struct mg_redis_stats st;
		mg_redis_close(redis, 5000, &st);
		if (st.spooled || st.spool_dropped || st.queue_dropped || st.conflicts)
			fprintf(stderr, "mudguard: redis: %llu events sent, %llu spooled, %llu dropped "
					"from the spool, %llu dropped from a full queue, %llu already "
					"there, %llu not written over another run\n",
				(unsigned long long)st.sent, (unsigned long long)st.spooled,
				(unsigned long long)st.spool_dropped,
				(unsigned long long)st.queue_dropped,
				(unsigned long long)st.duplicates, (unsigned long long)st.conflicts);
	}
	if (mg_events_close(ev) < 0) {
		fprintf(stderr, "mudguard: %s: write error\n", cfg.events);
		rc = 1;
	}
out:
	free(files);
	return rc;
}

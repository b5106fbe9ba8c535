/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mudguard configuration: an INI file (parsed with inih) over built-in
 * defaults. Every key has a default and a valid range, all in one table in
 * config.c; rules/mudguard.conf documents them. A bad line is reported with
 * file, line and the valid range, keeps its default, and the rest still loads.
 */
#ifndef MG_CONFIG_H
#define MG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "../enforce/enforce.h"

#define MG_CONFIG_KEYS 128
#define MG_CONFIG_FLAG UINT32_MAX

struct mg_config {
	/* [capture] */
	char interface[64];
	uint32_t snaplen;
	bool promisc;
	uint32_t buffer_mib;
	char filter[1024];
	uint32_t stats_interval;
	/* [flows] */
	uint32_t flows_max, tcp_idle, tcp_closed_idle, udp_idle, other_idle, hard_timeout;
	uint32_t dpi_packets;
	/* [devices] */
	uint32_t devices_max, device_idle, max_peers;
	char local_networks[1024];
	char oui_dir[1024];
	/* [identify] */
	char rules[1024];	 /* rules file or directory of *.rules */
	char p0f_db[1024];	 /* p0f signature database, "" = no OS labels */
	char fingerprints[1024]; /* learned model, "" = none */
	uint32_t max_signals, hysteresis, min_score, report_delta; /* the last three in percent */
	/* [mud] */
	bool mud_enabled;
	char mud_repository[1024], mud_rules[1024];
	bool mud_fetch;
	char mud_trust_anchors[1024], mud_ca_file[1024], mud_connect_to[512];
	bool mud_require_signature, mud_check_time, mud_allow_infrastructure, mud_quarantine;
	uint32_t mud_max_bytes, mud_fetch_timeout, mud_max_redirects, mud_retry;
	uint32_t mud_dns_grace, mud_violations_per_minute, mud_max_distinct;
	/* [anomaly] */
	uint32_t scan_window, scan_fanout, lateral_hosts, mirai_syns, quarantine_score;
	uint32_t flood_syn, flood_udp, flood_icmp, flood_dns; /* per second */
	bool anomaly_enabled;
	uint32_t learning_period, baseline_interval, baseline_factor, state_save;
	uint32_t alert_score, strong_score, score_half_life, quarantine_hold;
	char baseline[1024];   /* baselines to start from (--baseline) */
	char learn[1024];      /* training run: write the baselines here (--learn) */
	char state_file[1024]; /* daemon: baselines kept across restarts */
	/* [enforce] */
	char enf_mode[16], enf_backend[16], enf_family[16], enf_table[64];
	int32_t enf_priority;
	char enf_never[4096], enf_dns[1024], enf_remediation[1024], enf_state_file[1024];
	uint32_t enf_ttl, enf_ttl_max, enf_per_minute, enf_max_percent;
	/* [redis] */
	char redis_url[1024], redis_stream[128], redis_spool[1024], redis_sensor[128];
	uint32_t redis_maxlen, redis_spool_max, redis_queue, redis_device_ttl;
	/* [output] */
	char events[1024];
	bool flows;
	/* where each key got its value: the file's line, MG_CONFIG_FLAG, or 0
	 * (the default); in the table's order */
	char file[1024];
	uint32_t line[MG_CONFIG_KEYS];
};

/* Receives one error message ("FILE:LINE: ..."). */
typedef void (*mg_config_report)(const char *msg, void *user);

/* Fills @c with the defaults. Returns the number of defaults that failed
 * their own range check (0; a unit test holds the table to that). */
int mg_config_defaults(struct mg_config *c);

/* Loads @path over @c. Each problem goes to @report. Returns the number of
 * problems (0 = clean), or -errno if the file cannot be read at all. */
int mg_config_load(struct mg_config *c, const char *path, mg_config_report report,
		   void *user);

/* Same, over a buffer (for tests and the fuzz harness); @name labels messages. */
int mg_config_load_string(struct mg_config *c, const char *name, const char *text,
			  mg_config_report report, void *user);

/* Sets one key as if it appeared in a file ("flows", "max", "1000"); for
 * command-line overrides. Returns 0 or -EINVAL with a message to @report. */
int mg_config_set(struct mg_config *c, const char *section, const char *key,
		  const char *value, mg_config_report report, void *user);

/* The enforcer's settings from @c's [enforce] section; strings point into @c. */
/* Calls @cb for every key, in the table's order, with its value as the
 * file would spell it (a run's identity hashes them; --check-config lists). */
typedef void (*mg_config_key_cb)(void *user, const char *section, const char *key,
				 const char *value);
void mg_config_each(const struct mg_config *c, mg_config_key_cb cb, void *user);

/* Calls @cb for every key whose value differs between @a and @b (a reload). */
typedef void (*mg_config_diff_cb)(void *user, const char *section, const char *key,
				  const char *was, const char *now);
void mg_config_diff(const struct mg_config *a, const struct mg_config *b, mg_config_diff_cb cb,
		    void *user);

/* Where @section.@key got its value, for messages about it:
 * "FILE:LINE: section.key", "command line: section.key" or "default section.key". */
void mg_config_where(const struct mg_config *c, const char *section, const char *key, char *buf,
		     size_t len);

void mg_config_enforcer(const struct mg_config *c, struct mg_enf_cfg *out);

#endif

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "check.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../classify/baseline.h"
#include "../classify/fpmodel.h"
#include "../classify/ident.h"
#include "../classify/mudrules.h"
#include "../classify/oui.h"
#include "../classify/prefix.h"
#include "../classify/tcpsig.h"
#include "../enforce/enforce.h"
#include "../events/redis.h"
#include "sensor_mud.h"

struct check {
	const struct mg_config *cfg;
	mg_config_report report;
	void *user;
	int problems;
};

/* "FILE:LINE: section.key: WHY" */
static void problem(struct check *c, const char *section, const char *key, const char *why)
{
	char where[1300], msg[2600];
	mg_config_where(c->cfg, section, key, where, sizeof(where));
	snprintf(msg, sizeof(msg), "%s: %s", where, why);
	c->problems++;
	if (c->report)
		c->report(msg, c->user);
}

/* A file the daemon will write: it, or the directory it goes in, must be
 * writable (nothing is created here). */
static void writable(struct check *c, const char *section, const char *key, const char *path)
{
	char dir[1024], why[1200];
	if (!path[0] || !strcmp(path, "-"))
		return;
	if (access(path, F_OK) == 0) {
		if (access(path, W_OK) < 0) {
			snprintf(why, sizeof(why), "%s: cannot be written: %s", path, strerror(errno));
			problem(c, section, key, why);
		}
		return;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	const char *d = dirname(dir);
	if (access(d, W_OK | X_OK) < 0) {
		snprintf(why, sizeof(why), "%s: cannot be created in %s: %s", path, d, strerror(errno));
		problem(c, section, key, why);
	}
}

static void loaded(struct check *c, const char *section, const char *key, int rc,
		   const char *err)
{
	if (rc < 0)
		problem(c, section, key, err);
}

int mg_check_config(const struct mg_config *cfg, mg_config_report report, void *user)
{
	struct check c = {cfg, report, user, 0};
	char err[1024];
	int rc;

	if (cfg->oui_dir[0]) {
		struct mg_oui *o = NULL;
		loaded(&c, "devices", "oui_dir", mg_oui_load(&o, cfg->oui_dir, err, sizeof(err)), err);
		mg_oui_free(o);
	}
	struct mg_prefixes *local = NULL;
	loaded(&c, "devices", "local_networks",
	       mg_prefixes_parse(&local, cfg->local_networks, err, sizeof(err)), err);
	if (cfg->rules[0]) {
		struct mg_rules *r = NULL;
		loaded(&c, "identify", "rules", mg_rules_load(&r, cfg->rules, err, sizeof(err)), err);
		mg_rules_free(r);
	}
	if (cfg->p0f_db[0]) {
		struct mg_p0f *p = NULL;
		loaded(&c, "identify", "p0f_db", mg_p0f_load(&p, cfg->p0f_db, err, sizeof(err)), err);
		mg_p0f_free(p);
	}
	if (cfg->fingerprints[0]) {
		struct mg_fpmodel *m = NULL;
		loaded(&c, "identify", "fingerprints",
		       mg_fpmodel_load(&m, cfg->fingerprints, err, sizeof(err)), err);
		mg_fpmodel_free(m);
	}
	if (cfg->mud_enabled && cfg->mud_rules[0]) {
		struct mg_mudrules *r = NULL;
		loaded(&c, "mud", "rules", mg_mudrules_load(&r, cfg->mud_rules, err, sizeof(err)), err);
		mg_mudrules_free(r);
	}
	if (cfg->mud_enabled && local) { /* the profile store: its trust anchors */
		struct mg_config *store = malloc(sizeof(*store));
		struct mg_smud *m = NULL;
		if (store) {
			*store = *cfg;
			store->mud_rules[0] = 0; /* checked above */
			loaded(&c, "mud", "trust_anchors",
			       mg_smud_new(&m, store, local, err, sizeof(err)), err);
			mg_smud_free(m);
			free(store);
		}
	}
	mg_prefixes_free(local);
	struct mg_bl_cfg bc = {.learning_s = 1, .interval_s = 1, .factor = 2, .max_devices = 16};
	const char *bl_keys[] = {"baseline", "state_file"};
	const char *bl_paths[] = {cfg->baseline, cfg->state_file};
	for (int i = 0; i < 2; i++) {
		struct mg_baselines *b = NULL;
		if (!bl_paths[i][0] || mg_baselines_new(&b, &bc) < 0)
			continue;
		rc = mg_baselines_load(b, bl_paths[i], err, sizeof(err));
		if (rc != -ENOENT || i == 0) /* no state file yet: a first start */
			loaded(&c, "anomaly", bl_keys[i], rc, err);
		mg_baselines_free(b);
	}
	/* the enforcer's lists and state file, as at start; in monitor mode,
	 * so that nothing is opened towards the kernel */
	struct mg_enf_cfg ec;
	mg_config_enforcer(cfg, &ec);
	if (ec.backend != MG_ENF_OFF) {
		struct mg_enf *e = NULL;
		ec.mode = MG_ENF_MONITOR;
		rc = mg_enf_new(&e, &ec, err, sizeof(err));
		loaded(&c, "enforce",
		       strstr(err, "[enforce] dns")	      ? "dns"
		       : strstr(err, "[enforce] remediation") ? "remediation"
		       : strstr(err, "[enforce] never")	      ? "never"
							      : "state_file",
		       rc, err);
		mg_enf_free(e);
	}
	if (cfg->redis_url[0] && mg_redis_url_check(cfg->redis_url, err, sizeof(err)) < 0)
		problem(&c, "redis", "url", err);
	writable(&c, "output", "events", cfg->events);
	writable(&c, "anomaly", "learn", cfg->learn);
	writable(&c, "anomaly", "state_file", cfg->state_file);
	writable(&c, "enforce", "state_file", cfg->enf_state_file);
	if (cfg->redis_url[0])
		writable(&c, "redis", "spool", cfg->redis_spool);
	return c.problems;
}

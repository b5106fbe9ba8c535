/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sensor's private state, shared by the files of its stages (never by
 * anything outside src/sensor*.c; sensor.h is the sensor's interface).
 *
 * The stages, and where each lives:
 *   sensor.c          lifecycle (new, reset, reload, finish, free), the clock
 *                     (advance), the tables, and the per-packet pipeline:
 *                     decode -> devices and addresses -> signals (extract,
 *                     identification) -> flows -> MUD checks -> anomaly
 *                     detectors -> DPI; also device behaviour (sleeps,
 *                     streams-up).
 *   sensor_events.c   the event schema: every event type the sensor writes
 *                     is built there, one function per type (sev_*), and the
 *                     readable device table. Enforcement events (quarantine,
 *                     verdict, command answers) are written by
 *                     quarantine_ev.c, which the enforcer shares.
 *   sensor_anomaly.c  glue of the behavioural detectors (classify/scan.c,
 *                     baseline.c, dga.c, verdict.c): what each packet, flow,
 *                     protocol and DNS message counts for, the findings'
 *                     explanations and scores, and the verdict (sanom_*).
 *   sensor_enforce.c  glue of the enforcer (enforce/): verdicts applied or
 *                     published, the once-a-second tick, the never-quarantine
 *                     list, analysts' commands, and the state files (senf_*).
 *   sensor_mud.c      the MUD stage (bindings, profile store, flow checks);
 *                     it knows nothing of struct mg_sensor; sensor.c binds
 *                     devices and hands it flows.
 *   classify/l2learn  addresses and routers learned from DHCP server replies
 *                     and NDP: parsed there, applied by sensor.c.
 *
 * State: struct mg_sensor keeps what is loaded at start (kept across
 * mg_sensor_reset, swapped by a reload) apart from the per-run state, which
 * is grouped per stage (each sub-struct says which file owns it, i.e. writes
 * it, and who else reads it), and per-device state (struct devx). Every
 * stage runs on the packet thread; nothing here is locked.
 */
#ifndef MG_SENSOR_PRIV_H
#define MG_SENSOR_PRIV_H

#include "sensor.h"

#include "../classify/baseline.h"
#include "../classify/device.h"
#include "../classify/dpi.h"
#include "../classify/extract.h"
#include "../classify/flow.h"
#include "../classify/ident.h"
#include "../classify/scan.h"
#include "../classify/verdict.h"
#include "../enforce/enforce.h"
#include "sensor_mud.h"

#define PENDING_MAX 64 /* new devices awaiting their `device` event in one packet */

/* What the sensor keeps per device (mg_device.user), by stage. */
struct devx {
	/* identification (sensor.c: signals in, rescoring; read by events) */
	struct mg_ident *id;
	/* MUD (sensor_mud.c through sensor.c's binding and flow checks) */
	struct mg_smud_dev mud;
	/* anomaly detectors (sensor_anomaly.c; the baseline also read by events) */
	struct mg_scan *scan; /* NULL until it opens connections */
	struct mg_bl *bl;     /* NULL: [anomaly] enabled = no */
	struct mg_verdict vd;
	uint64_t anomalies;  /* its `anomaly` events */
	uint64_t last_conn;  /* the last connection it opened: a retry of it is not new */
	/* behaviour (sensor.c: wake_packet) */
	uint64_t last_tx_us; /* its last packet, for device.behaviour "sleeps" */
	uint64_t woke_us;    /* its first packet after a silence, 0: none pending */
	uint64_t wake_epoch; /* the stretch of hearing its wakes were counted in */
	uint8_t wakes;	     /* rejoins of the network after a silence */
};

static inline struct devx *DX(const struct mg_device *d)
{
	return d ? d->user : NULL;
}

static inline struct mg_ident *ID(const struct mg_device *d)
{
	return DX(d) ? DX(d)->id : NULL;
}

static inline struct mg_smud_dev *MUD(const struct mg_device *d)
{
	return DX(d) ? &DX(d)->mud : NULL;
}

struct mg_sensor {
	/* ---- loaded at start (sensor.c), kept across mg_sensor_reset; a reload
	 * replaces rules, p0f, model and the settings made from cfg ---- */
	struct mg_config cfg;
	struct mg_events *ev; /* borrowed; every stage writes events to it */
	struct mg_oui *oui;
	struct mg_prefixes *local;
	struct mg_dpi *dpi;
	struct mg_flowtab *flows; /* made again by mg_sensor_reset */
	struct mg_devtab *devs;	  /* made again by mg_sensor_reset */
	struct mg_rules *rules;
	struct mg_p0f *p0f;
	struct mg_fpmodel *model;
	struct mg_ident_cfg icfg;
	struct mg_smud *mud; /* NULL: [mud] enabled = no */
	bool mud_live;	     /* MUD retrieval off the packet thread (mg_sensor_live) */
	struct mg_scan_cfg scan;
	struct mg_baselines *bls; /* NULL: [anomaly] enabled = no; made again by reset */
	struct mg_verdict_cfg vcfg;
	struct mg_enf *enf; /* NULL: [enforce] backend = off */
	mg_sensor_flow_cb flow_cb;
	void *flow_user;

	/* ---- per-run state from here to the end: mg_sensor_reset zeroes it ---- */

	/* the clock (sensor.c: advance; read by every stage) */
	struct {
		uint64_t now_us, stats_next_us, dev_expire_next_us;
		uint64_t shift; /* added to packet time since it stepped back (advance) */
		/* what the sensor heard without a break since (a new file of a
		 * replay, a clock step): a device's silence across a break is not
		 * the device's */
		uint64_t heard_since_us;
		bool new_file;
		uint64_t steps;
		bool started;
	} clk;
	/* what came in (sensor.c: the pipeline; read by sev_stats) */
	struct {
		uint64_t packets, bytes, non_ip;
		uint64_t anomalies[MG_ANOM__COUNT]; /* of decoding */
		uint64_t skipped[MG_SKIP__COUNT];   /* well-formed frames with no IP for us, why */
		uint64_t notes[MG_NOTE__COUNT];
		uint64_t malformed[MG_PARSER__COUNT];
		struct mg_capture_stats cap;
	} tally;
	/* DPI (sensor.c: flows fed to nDPI; read by sev_stats) */
	struct {
		uint64_t detected, gave_up, active;
	} dpi_run;
	/* identification (sensor.c: add_signal, flush_dirty; events counted by
	 * sev_identity) */
	struct {
		uint64_t events;
		struct mg_device *dirty[2]; /* devices with new evidence in this packet */
	} id_run;
	/* anomaly detectors (sensor_anomaly.c; read by sev_stats) */
	struct {
		uint64_t events;
		struct {
			uint64_t findings, quiet, repeats, held, quarantines, targets;
		} judged;
		/* a quarantine verdict in the anomaly event being written */
		struct mg_device *verdict_dev;
		char verdict_reason[160];
	} anom_run;
	/* the baselines' state file (sensor_enforce.c: saving; sensor.c: when) */
	struct {
		uint64_t next_us, saves, errors;
		char err[256];
	} state_run;
	/* the enforcer (sensor_enforce.c; outcomes read by sev_stats) */
	struct {
		bool started;
		bool dirty, unsaved; /* the state file is behind; its last save failed */
		uint64_t next_us;
		char err[320]; /* the last failure reported */
		uint64_t outcomes[MG_ENF_NOT_FOUND + 1];
	} enf_run;
	/* output order (sensor_events.c): a new device's `device` event waits
	 * until the end of its packet, or until another event is written */
	struct {
		struct mg_device *pending[PENDING_MAX];
		unsigned n_pending;
		FILE *summary; /* the readable table, while mg_sensor_finish writes it */
	} out;
};

/* Name of a device protocol key (master << 16 | app). */
static inline const char *proto_key_name(const struct mg_sensor *s, uint32_t key, char *buf,
					 size_t len)
{
	return mg_dpi_name(s->dpi, (uint16_t)(key >> 16), (uint16_t)key, buf, len);
}

/* ---- sensor_events.c: one function per event type ---- */

struct mg_scan_finding;
struct mg_bl_rate;
struct mg_mud_flow;
struct mg_smud_result;

/* "TCP", "UDP", "ICMP", "IPv6-ICMP", else the number (in @buf). */
const char *sev_proto_name(uint8_t p, char *buf, size_t len);
/* Queues @d's `device` event (written at the end of the packet, or before
 * the next event about anything), and writes the queue. */
void sev_device_queue(struct mg_sensor *s, struct mg_device *d);
void sev_flush_pending(struct mg_sensor *s);
void sev_role(struct mg_sensor *s, struct mg_device *d);
void sev_identity(struct mg_sensor *s, struct mg_device *d);
/* @late: for the binding that ends a wait for the profile, the flows the
 * device opened meanwhile that are checked now and that went unchecked. */
void sev_mud_binding(struct mg_sensor *s, struct mg_device *d, const char *url,
		     const char *source, const char *rejected, const uint64_t *late);
/* @late_us: 0, or when the flow began if it is checked late. */
void sev_mud_violation(struct mg_sensor *s, struct mg_device *d, uint64_t flow_id,
		       const struct mg_mud_flow *mf, const struct mg_smud_result *r,
		       uint64_t late_us);
void sev_flow(struct mg_sensor *s, const struct mg_flow *f, enum mg_flow_end why);
void sev_stats(struct mg_sensor *s, bool final);
void sev_device_summary(struct mg_sensor *s, struct mg_device *d);
/* The readable table's header, and @d's row (to s->out.summary). */
void sev_summary_head(FILE *out);
void sev_summary_row(struct mg_sensor *s, struct mg_device *d);
void sev_reload(struct mg_sensor *s, size_t rules, bool fingerprints, const char *applied,
		const char *restart);

/* An `anomaly` event about @d by detector @det_name: its head, then open at
 * its "evidence" object; one sev_anomaly_* call adds the evidence of the
 * finding, and sev_anomaly_end writes the event. @combined NULL: @d is the
 * target, not the suspect (no combined score, no episode). @episode: the
 * verdict's reported detectors (bits of sanom_det_name's numbering). */
void sev_anomaly_begin(struct mg_sensor *s, struct mg_device *d, const char *det_name,
		       double score, const double *combined, uint32_t episode,
		       const char *verdict, const char *why);
void sev_anomaly_end(struct mg_sensor *s);
/* Evidence of a scan, flood or connect storm by @d (@x); of a flood at @d
 * (@x, MG_SCAN_*_TARGET); of a rate beyond @d's baseline. */
void sev_anomaly_scan(struct mg_sensor *s, struct mg_device *d, const struct mg_scan_finding *x);
void sev_anomaly_target(struct mg_sensor *s, const struct mg_scan_finding *x);
void sev_anomaly_rate(struct mg_sensor *s, const char *metric, const struct mg_bl_rate *r);
/* Evidence of a new service (@port, @known services) on flow @f; of a new
 * endpoint (@reg, @name may be NULL; @dga the domain's score); of an
 * answer from outside (@remote); of a protocol (@known NULL: credentials in
 * clear text); of a generated-looking query. */
void sev_anomaly_service(struct mg_sensor *s, uint16_t port, uint32_t known,
			 const struct mg_flow *f);
void sev_anomaly_peer(struct mg_sensor *s, const char *reg, const char *name, double dga,
		      uint32_t known, const struct mg_flow *f);
void sev_anomaly_exposure(struct mg_sensor *s, uint16_t port, const char *remote,
			  const struct mg_flow *f);
void sev_anomaly_protocol(struct mg_sensor *s, const char *name, const uint32_t *known,
			  const struct mg_flow *f);
void sev_anomaly_dga(struct mg_sensor *s, const char *query, const char *reg, double dga);

/* ---- sensor_anomaly.c: the detectors' glue ---- */

/* The name of detector @det (the scan module's kinds, then the sensor's). */
const char *sanom_det_name(unsigned det);
/* True while @d's traffic is not evidence (a quarantine verdict holds); its
 * interval is then not learned either. */
bool sanom_held(struct mg_sensor *s, struct mg_device *d);
/* Packet @p of flow @f (@dir, @created: its first) from @src (@src_local:
 * from an address in the local networks); and to the local device @dst. */
void sanom_packet(struct mg_sensor *s, struct mg_device *src, const struct mg_pkt *p,
		  bool src_local, const struct mg_flow *f, int dir, bool created);
void sanom_target(struct mg_sensor *s, struct mg_device *dst, const struct mg_pkt *p, int dir);
/* DPI named @f's protocol (@cleartext: credentials were seen in clear). */
void sanom_protocol(struct mg_sensor *s, const struct mg_flow *f, bool cleartext);
/* A DNS message @d sent (@who 0, a query for @qname) or received (@who 1,
 * with @rcode); @addr: @d's address in it. */
void sanom_dns(struct mg_sensor *s, struct mg_device *d, const struct mg_addr *addr, int who,
	       const char *qname, int rcode);
/* The clock stepped back: @dx's rate windows and episode start again. */
void sanom_restart(struct mg_sensor *s, struct devx *dx);

/* ---- sensor_enforce.c: the enforcer's glue and the state files ---- */

/* A quarantine verdict on @d: the enforcer decides what happens, or, with
 * none here, a `verdict` event publishes it. */
void senf_verdict(struct mg_sensor *s, struct mg_device *d, const char *reason, const char *ref);
/* Once a second of the sensor's clock (advance). */
void senf_tick(struct mg_sensor *s);
/* Never quarantined: the gateway @d; address @a (a DHCP server's, the
 * host's own; @dns: a local DNS server's, which a quarantined device may
 * still ask). */
void senf_protect_gateway(struct mg_sensor *s, const struct mg_device *d);
void senf_protect(struct mg_sensor *s, const struct mg_addr *a, bool dns);
/* A quarantined device @d sent from a new address @a: that one too. */
void senf_follow_addr(struct mg_sensor *s, struct mg_device *d, const struct mg_addr *a);
/* Saves the baselines' state file; a failure is counted and remembered
 * (s->state_run), and the next save tries again. */
int senf_save_baselines(struct mg_sensor *s);

#endif

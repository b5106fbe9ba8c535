/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sensor pipeline: decoded packet -> flows (+ nDPI) -> devices -> events.
 * Time comes only from packets (and, when live and idle, from mg_sensor_tick).
 */
#ifndef MG_SENSOR_H
#define MG_SENSOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../capture/decode.h"
#include "../capture/source.h"
#include "../events/events.h"
#include "config.h"

struct mg_sensor;

/* Creates a sensor writing to @ev (borrowed). Returns 0 or a negative code with
 * a message in @err (e.g. the OUI registry could not be read). */
int mg_sensor_new(struct mg_sensor **out, const struct mg_config *cfg, struct mg_events *ev,
		  char *err, size_t errlen);

/* Processes one captured frame. */
void mg_sensor_packet(struct mg_sensor *s, enum mg_link link, const uint8_t *data,
		      uint32_t caplen, uint32_t wirelen, uint64_t ts_us);

/* The packets that follow come from another capture (the next file of a
 * replay): what a device did not send in between was not heard, so it is no
 * silence of the device's. */
void mg_sensor_new_capture(struct mg_sensor *s);

/* Feeds every packet of the capture file @path to @s (the tools' replay; the
 * daemon's own loop also handles signals and notes). Returns 0; 1 when
 * reading stopped at an error, with the message in @err and the packets
 * before it kept; -1 when the file cannot be opened (message in @err). */
int mg_sensor_replay_file(struct mg_sensor *s, const char *path, char *err, size_t errlen);

/* Advances time without a packet (live capture idle); emits due stats. */
void mg_sensor_tick(struct mg_sensor *s, uint64_t now_us);

/* A live sensor: MUD files are retrieved off the packet thread from now on
 * (mg_sensor_packet and mg_sensor_tick install what arrived), so a slow
 * server never holds packets up. Replay leaves it off: retrieval then
 * happens at the binding packet and the output stays deterministic. Returns
 * 0, or a negative code with the reason in @err (retrieval then stays
 * synchronous). */
int mg_sensor_live(struct mg_sensor *s, char *err, size_t errlen);

/* Latest kernel counters, reported in `stats`. */
void mg_sensor_set_capture_stats(struct mg_sensor *s, const struct mg_capture_stats *st);

/* SIGTERM: a MUD retrieval in progress (also the synchronous one of a
 * replay) gives up within about a second. Safe in a signal handler. */
void mg_sensor_cancel_fetches(struct mg_sensor *s);

enum mg_note { MG_NOTE_FILE_TRUNCATED, MG_NOTE_FILE_FAILED, MG_NOTE__COUNT };
/* Counts a capture-level problem, reported in `stats` under "capture". */
void mg_sensor_note(struct mg_sensor *s, enum mg_note what);

/* Ends all flows, emits the final `stats` and one `device_summary` per device.
 * If @summary is not NULL, also writes a readable device table there. */
void mg_sensor_finish(struct mg_sensor *s, FILE *summary);

struct mg_ident;
/* The identification state of the device with @mac (and its first-seen time),
 * or NULL; valid until the device ends. For tools that read evidence. */
const struct mg_ident *mg_sensor_ident(const struct mg_sensor *s, const uint8_t mac[6],
				       uint64_t *first_us);

struct mg_mud_flow;
/* Called for each new flow once per end that is a local device (its @mac),
 * from that device's point of view, with the name the device was answered
 * for the peer (or NULL) and whether the peer is in the local networks. */
typedef void (*mg_sensor_flow_cb)(void *user, const uint8_t mac[6], const struct mg_mud_flow *f,
				  const char *peer_name, bool peer_local);
/* Sets (or with NULL clears) the flow observer; kept across mg_sensor_reset. */
void mg_sensor_on_flow(struct mg_sensor *s, mg_sensor_flow_cb cb, void *user);

/* After mg_sensor_finish: forgets all traffic, devices, counters and time, and
 * keeps what was loaded at start (nDPI, OUI registry, rules, p0f, model), so
 * one sensor can replay many independent captures without loading them again.
 * Returns 0 or -ENOMEM (then only mg_sensor_free may follow). */
int mg_sensor_reset(struct mg_sensor *s);

/* After mg_sensor_finish: a training run (--learn) ends every device's
 * learning and writes the baselines; the baselines' state file and the
 * enforcer's are saved. Returns 0 or -errno with the reason in @err. */
int mg_sensor_save_state(struct mg_sensor *s, char *err, size_t errlen);

/* Whether the sensor has an enforcer ([enforce] backend is not off): it then
 * acts on analysts' commands; without one it publishes `verdict` events. */
bool mg_sensor_enforces(const struct mg_sensor *s);

/* Applies an analyst's command to the sensor's enforcer and answers it with
 * events (mg_qev_command) as @name, at the sensor's time or @now_us (the
 * wall clock) if that is later: a live sensor acts before its first packet
 * too. A change is saved to the enforcer's state file at once. */
struct mg_command;
void mg_sensor_command(struct mg_sensor *s, const struct mg_command *c, const char *name,
		       uint64_t now_us);

/* Puts @a (one of the sensor host's own addresses) on the never-quarantine list. */
void mg_sensor_protect(struct mg_sensor *s, const struct mg_addr *a);

/* SIGHUP: applies @cfg's live keys (identification rules, p0f database and
 * fingerprint model, loaded again even when their paths did not change; the
 * never-quarantine list; detection thresholds; stats interval; flow events)
 * and names the changed keys that need a restart. Devices, flows, baselines
 * and quarantines stay; devices' evidence is matched against the new rules
 * (`identity` events follow where that changes them), and a `reload` event
 * says what changed. Returns 0 with a summary in @msg, or a negative code
 * with the reason in @msg and nothing changed. */
int mg_sensor_reload(struct mg_sensor *s, const struct mg_config *cfg, char *msg, size_t len);

/* Frees @s; NULL is allowed. */
void mg_sensor_free(struct mg_sensor *s);

#endif

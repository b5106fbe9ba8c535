/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Every Redis key and stream mudguard reads or writes, named once: the
 * sensor's journal, the enforcer, the consumers and mudguardctl all take
 * them from here.
 */
#ifndef MG_RKEYS_H
#define MG_RKEYS_H

/* the events ([redis] stream's default; mudguardctl reads this one) */
#define MG_REDIS_EVENTS "mudguard:events"

/* The journal writes published verdicts and command answers to the first
 * two; mudguardctl writes commands to the third and requests to the audit. */
#define MG_REDIS_VERDICTS "mudguard:verdicts"
#define MG_REDIS_AUDIT "mudguard:audit"
#define MG_REDIS_COMMANDS "mudguard:commands"

/* device state (devstate.c): the devices by when they were last written, and
 * per device (this prefix and its MAC) a hash of its latest event of each kind */
#define MG_REDIS_DEVICES "mudguard:devices"
#define MG_REDIS_DEVICE "mudguard:device:"

/* the registries (MAC -> the event) and their common history */
#define MG_REDIS_QUARANTINES "mudguard:quarantines"
#define MG_REDIS_PINS "mudguard:pins"
#define MG_REDIS_QUARANTINE_HISTORY "mudguard:quarantine:history"

/* a run's key and mark: this prefix, then SENSOR:RUN (events.c) */
#define MG_REDIS_RUN "mudguard:run:"

/* the consumer groups that read MG_REDIS_COMMANDS (and MG_REDIS_VERDICTS):
 * this prefix, then the sensor's or the enforcer's name */
#define MG_REDIS_GROUP_SENSOR "sensor:"
#define MG_REDIS_GROUP_ENFORCER "enforcer:"

#endif

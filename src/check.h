/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * --check-config: what start-up does short of opening the capture, Redis
 * and netlink. Every file the configuration names is loaded (OUI registry,
 * rules, p0f database, fingerprint model, baselines and state files, MUD
 * trust anchors and site rules), every list parsed (local networks, the
 * enforcer's never, dns and remediation lists), the Redis URL checked, and
 * each file the daemon writes must be writable, or its directory.
 */
#ifndef MG_CHECK_H
#define MG_CHECK_H

#include "config.h"

/* Reports each problem as "FILE:LINE: section.key: WHY" (or "command line:"
 * / "default" for keys not set in the file). Returns how many there were. */
int mg_check_config(const struct mg_config *cfg, mg_config_report report, void *user);

#endif

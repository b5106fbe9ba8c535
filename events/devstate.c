/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "devstate.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rkeys.h"

void mg_devstate_time(struct mg_devstate *d, time_t now, uint32_t ttl)
{
	snprintf(d->now_s, sizeof(d->now_s), "%lld", (long long)now);
	snprintf(d->ttl_s, sizeof(d->ttl_s), "%u", ttl);
	snprintf(d->old_s, sizeof(d->old_s), "(%lld", (long long)now - ttl);
}

int mg_devstate_cmds(const struct mg_devstate *d, struct mg_resp *o, const char *type,
		     const char *mac, const char *id, const char *json, size_t len)
{
	static const char *const kinds[] = {"device",	  "role",    "identity", "mud_binding",
					     "device_summary", "quarantine", "release", "verdict",
					     "command",	  "pin",     "unpin"};
	char key[64];
	bool kept = false;
	int n = 0;

	if (!mac[0])
		return 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && !kept; i++)
		kept = !strcmp(type, kinds[i]);
	if (!kept)
		return 0;
	snprintf(key, sizeof(key), MG_REDIS_DEVICE "%s", mac);
	/* the devices by when they were last written (the server's clock is
	 * what EXPIRE counts on; a replay's packet time is not) */
	const char *zadd[] = {"ZADD", MG_REDIS_DEVICES, d->now_s, mac};
	const char *hset[] = {"HSET", key, type, json, "last_event", id};
	size_t hl[] = {4, strlen(key), strlen(type), len, 10, strlen(id)};
	const char *expire[] = {"EXPIRE", key, d->ttl_s};
	if (!mg_resp_cmd(o, 4, zadd, NULL) || !mg_resp_cmd(o, 6, hset, hl) ||
	    !mg_resp_cmd(o, 3, expire, NULL))
		return -1;
	n = 3;
	/* a registry (quarantines, pins) and its history, or a stream of its own */
	const char *reg = NULL, *hist = NULL;
	bool add = false;
	if (!strcmp(type, "quarantine") || !strcmp(type, "release")) {
		reg = MG_REDIS_QUARANTINES;
		hist = MG_REDIS_QUARANTINE_HISTORY;
		add = type[0] == 'q';
	} else if (!strcmp(type, "pin") || !strcmp(type, "unpin")) {
		reg = MG_REDIS_PINS;
		hist = MG_REDIS_QUARANTINE_HISTORY;
		add = type[0] == 'p';
	} else if (!strcmp(type, "verdict")) {
		hist = MG_REDIS_VERDICTS;
	} else if (!strcmp(type, "command")) {
		hist = MG_REDIS_AUDIT;
	}
	if (reg) {
		const char *a[] = {add ? "HSET" : "HDEL", reg, mac, json};
		size_t al[] = {4, strlen(reg), strlen(mac), len};
		if (!mg_resp_cmd(o, add ? 4 : 3, a, al))
			return -1;
		n++;
	}
	if (hist) {
		const char *x[] = {"XADD", hist, "*", "mac", mac, "id", id, "event", json};
		size_t xl[] = {4, strlen(hist), 1, 3, strlen(mac), 2, strlen(id), 5, len};
		if (!mg_resp_cmd(o, 9, x, xl))
			return -1;
		n++;
	}
	return n;
}

bool mg_devstate_trim(const struct mg_devstate *d, struct mg_resp *o)
{
	const char *trim[] = {"ZREMRANGEBYSCORE", MG_REDIS_DEVICES, "-inf", d->old_s};
	return mg_resp_cmd(o, 4, trim, NULL);
}

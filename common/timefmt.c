/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "timefmt.h"

#include <stdio.h>
#include <sys/time.h>
#include <time.h>

uint64_t mg_wall_us(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

char *mg_ts_str(uint64_t ts_us, char *buf, size_t len)
{
	time_t s = (time_t)(ts_us / 1000000u);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(ts_us % 1000000u));
	return buf;
}

uint64_t mg_ts_parse(const char *s)
{
	struct tm tm = {0};
	unsigned us = 0;
	if (sscanf(s, "%d-%d-%dT%d:%d:%d.%uZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec, &us) < 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	return t > 0 ? (uint64_t)t * 1000000u + us % 1000000u : 0;
}

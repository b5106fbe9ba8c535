/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "verdict.h"

#include <math.h>

bool mg_verdict_held(const struct mg_verdict *v, uint64_t now_us)
{
	return now_us < v->held_until_us;
}

void mg_verdict_restart(struct mg_verdict *v)
{
	v->score = v->max = 0;
	v->at_us = 0;
	v->reported = 0;
	if (v->level < 2)
		v->level = 0;
}

static double decayed(const struct mg_verdict *v, const struct mg_verdict_cfg *cfg,
		      uint64_t now_us)
{
	if (!v->at_us || now_us <= v->at_us)
		return v->score;
	return v->score * exp2(-(double)(now_us - v->at_us) / (cfg->half_life_s * 1e6));
}

bool mg_verdict_calm(const struct mg_verdict *v, const struct mg_verdict_cfg *cfg,
		     uint64_t now_us)
{
	return !mg_verdict_held(v, now_us) && decayed(v, cfg, now_us) < cfg->release;
}

enum mg_verdict_out mg_verdict_add(struct mg_verdict *v, const struct mg_verdict_cfg *cfg,
				   unsigned detector, double score, uint64_t now_us,
				   double *combined)
{
	uint32_t bit = 1u << (detector & 31);

	if (mg_verdict_held(v, now_us)) {
		*combined = v->score;
		return MG_VD_HELD;
	}
	v->score = decayed(v, cfg, now_us);
	if (v->score < cfg->release) { /* a new episode */
		v->score = v->max = 0;
		v->reported = 0;
		v->level = 0;
	}
	v->score = 1 - (1 - v->score) * (1 - score);
	v->at_us = now_us;
	if (score > v->max)
		v->max = score;
	*combined = v->score;
	if (v->score >= cfg->quarantine && v->max >= cfg->strong) {
		v->level = 2;
		v->reported |= bit;
		v->held_until_us = now_us + (uint64_t)cfg->hold_s * 1000000u;
		return MG_VD_QUARANTINE;
	}
	if (v->reported & bit)
		return MG_VD_REPEAT;
	if (score < cfg->alert)
		return MG_VD_QUIET;
	v->reported |= bit;
	if (v->level < 1)
		v->level = 1;
	return MG_VD_ALERT;
}

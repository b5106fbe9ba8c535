/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dpi.h"

#include <errno.h>
/* nDPI's headers are not -Wpedantic clean; they are not ours to fix */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wvariadic-macros"
#pragma GCC diagnostic ignored "-Wpedantic"
#include <ndpi_api.h>
#pragma GCC diagnostic pop
#include <stdio.h>
#include <string.h>

struct mg_dpi {
	struct ndpi_detection_module_struct *mod;
};

struct mg_dpi *mg_dpi_new(void)
{
	struct mg_dpi *d = calloc(1, sizeof(*d));
	NDPI_PROTOCOL_BITMASK all;

	if (!d)
		return NULL;
	d->mod = ndpi_init_detection_module(ndpi_no_prefs);
	if (!d->mod) {
		free(d);
		return NULL;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(d->mod, &all);
	ndpi_finalize_initialization(d->mod);
	return d;
}

void mg_dpi_free(struct mg_dpi *d)
{
	if (!d)
		return;
	ndpi_exit_detection_module(d->mod);
	free(d);
}

int mg_dpi_feed(struct mg_dpi *d, void **state, const uint8_t *l3, uint32_t len,
		uint64_t ts_us, uint16_t *master, uint16_t *app)
{
	struct ndpi_flow_struct *f = *state;

	if (!f) {
		f = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
		if (!f)
			return -ENOMEM;
		memset(f, 0, SIZEOF_FLOW_STRUCT);
		*state = f;
	}
	if (len > 0xffff)
		len = 0xffff;
	ndpi_protocol p = ndpi_detection_process_packet(d->mod, f, l3, (unsigned short)len,
							ts_us / 1000);
	if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN && p.master_protocol == NDPI_PROTOCOL_UNKNOWN)
		return MG_DPI_MORE;
	*master = p.master_protocol;
	*app = p.app_protocol;
	return MG_DPI_DETECTED;
}

void mg_dpi_giveup(struct mg_dpi *d, void **state, uint16_t *master, uint16_t *app)
{
	uint8_t guessed = 0;

	if (*state) {
		ndpi_protocol p = ndpi_detection_giveup(d->mod, *state, 1, &guessed);
		*master = p.master_protocol;
		*app = p.app_protocol;
	}
	mg_dpi_state_free(state);
}

void mg_dpi_state_free(void **state)
{
	if (*state)
		ndpi_free_flow(*state);
	*state = NULL;
}

const char *mg_dpi_name(const struct mg_dpi *d, uint16_t master, uint16_t app, char *buf,
			size_t len)
{
	ndpi_protocol p = {.master_protocol = master, .app_protocol = app};

	if (master == app)
		p.master_protocol = NDPI_PROTOCOL_UNKNOWN;
	return ndpi_protocol2name(d->mod, p, buf, (u_int)len);
}

const char *mg_dpi_version(void)
{
	return ndpi_revision();
}

bool mg_dpi_cleartext_credentials(const void *state)
{
	const struct ndpi_flow_struct *f = state;
	return f && (f->risk & (1ull << NDPI_CLEAR_TEXT_CREDENTIALS));
}

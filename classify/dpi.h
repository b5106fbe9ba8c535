/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Protocol detection with nDPI (the Debian 4.2 API). This module is the only
 * place that includes nDPI's headers. A flow's nDPI state lives from its first
 * packet until detection or give-up, then it is freed.
 */
#ifndef MG_DPI_H
#define MG_DPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mg_dpi;

#define MG_DPI_DEFAULT_MAX_PACKETS 16

/* Creates a detection module. Returns NULL on failure. */
struct mg_dpi *mg_dpi_new(void);
/* Frees the module; NULL is allowed. Flow states must be freed before. */
void mg_dpi_free(struct mg_dpi *d);

enum { MG_DPI_MORE = 0, MG_DPI_DETECTED = 1 };

/* Feeds one IP packet (@l3, @len bytes) of a flow at @ts_us. *@state is the
 * flow's nDPI state, allocated on first use (NULL at start). Returns
 * MG_DPI_DETECTED with the nDPI ids in @master and @app, MG_DPI_MORE, or -ENOMEM. */
int mg_dpi_feed(struct mg_dpi *d, void **state, const uint8_t *l3, uint32_t len,
		uint64_t ts_us, uint16_t *master, uint16_t *app);

/* Ends detection on a flow that was not detected: nDPI's best guess (by port
 * and protocol) goes into @master and @app. Frees *@state. */
void mg_dpi_giveup(struct mg_dpi *d, void **state, uint16_t *master, uint16_t *app);

/* True if nDPI saw credentials sent in clear text in the flow of @state
 * (NULL: false). Call before the state is freed. */
bool mg_dpi_cleartext_credentials(const void *state);

/* Frees a flow's state (NULL allowed) and sets *@state to NULL. */
void mg_dpi_state_free(void **state);

/* Writes the protocol name ("DNS", "TLS.Amazon", "Unknown") into @buf; returns @buf. */
const char *mg_dpi_name(const struct mg_dpi *d, uint16_t master, uint16_t app, char *buf,
			size_t len);

/* nDPI's version string. */
const char *mg_dpi_version(void);

#endif

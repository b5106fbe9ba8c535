/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Network byte order reads; callers have checked the bounds. */
#ifndef MG_BYTES_H
#define MG_BYTES_H

#include <stdint.h>

static inline uint16_t mg_rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t mg_rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

#endif

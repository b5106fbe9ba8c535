/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Addresses and MACs: what every layer names devices and peers by. */
#ifndef MG_ADDR_H
#define MG_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An IPv4 or IPv6 address. IPv4 is stored as an IPv4-mapped IPv6 address so that
 * one 16-byte compare covers both families. */
struct mg_addr {
	uint8_t b[16];
};

/* Returns true if @a is an IPv4-mapped address. */
bool mg_addr_is_v4(const struct mg_addr *a);
/* Sets @a from 4 network-order bytes. */
void mg_addr_set_v4(struct mg_addr *a, const uint8_t *v4);
/* Sets @a from 16 network-order bytes. */
void mg_addr_set_v6(struct mg_addr *a, const uint8_t *v6);
/* Writes the textual form into @buf (at least 46 bytes); returns @buf. */
char *mg_addr_str(const struct mg_addr *a, char *buf, size_t len);
/* Parses dotted or colon form; returns 0 or -EINVAL. */
int mg_addr_parse(struct mg_addr *a, const char *s);

/* Writes "aa:bb:cc:dd:ee:ff" into @buf (at least 18 bytes); returns @buf. */
char *mg_mac_str(const uint8_t mac[6], char *buf, size_t len);
/* Parses "aa:bb:cc:dd:ee:ff" (any case) into @mac; returns 0 or -EINVAL. */
int mg_mac_parse(const char *s, uint8_t mac[6]);

/* "ADDR" or "ADDR/LEN": the address into @a, and *@len the length as
 * written: -1 when there is none, -2 when it is no number (its range is the
 * caller's to judge: the family's bits, or an expected family's). Returns 0,
 * or -EINVAL when the address is not one. */
int mg_prefix_parse(const char *s, struct mg_addr *a, long *len);

#endif

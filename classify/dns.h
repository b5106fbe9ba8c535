/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * DNS and mDNS message walking (RFC 1035, RFC 6762): names decompressed with
 * loop protection (a pointer must point before the name that uses it), every
 * length checked against the message. Names come out as text escaped by
 * mg_text_clean, lower case left as sent.
 */
#ifndef MG_DNS_H
#define MG_DNS_H

#include <stddef.h>
#include <stdint.h>

#define MG_DNS_NAME_MAX 1024 /* escaped text form; longer names are cut */

enum { MG_DNS_QD, MG_DNS_AN, MG_DNS_NS, MG_DNS_AR };
enum {
	MG_DNS_A = 1,
	MG_DNS_CNAME = 5,
	MG_DNS_PTR = 12,
	MG_DNS_TXT = 16,
	MG_DNS_AAAA = 28,
	MG_DNS_SRV = 33,
};

struct mg_dns_hdr {
	uint16_t id, flags, qd, an, ns, ar;
};

struct mg_dns_rr {
	uint8_t section; /* MG_DNS_QD... */
	char name[MG_DNS_NAME_MAX];
	uint16_t type, klass; /* class without the mDNS cache-flush/unicast bit */
	uint32_t ttl;         /* 0 for questions */
	const uint8_t *rdata; /* NULL for questions */
	uint16_t rdlen;
	char target[MG_DNS_NAME_MAX]; /* PTR/CNAME/SRV target, "" otherwise */
	uint16_t port;                /* SRV port */
};

typedef void (*mg_dns_cb)(const struct mg_dns_rr *rr, void *user);

/* Walks the message @b (@len bytes): fills @h and calls @cb for each question
 * and record in order. Returns the number of entries delivered, or -EINVAL at
 * the first malformed one (those before it were delivered). */
int mg_dns_parse(const uint8_t *b, uint32_t len, struct mg_dns_hdr *h, mg_dns_cb cb,
		 void *user);

/* Decodes the name at *@off in message @msg into @out and moves *@off past it.
 * Returns 0 or -EINVAL (out of bounds, pointer loop, label type unknown). */
int mg_dns_name(const uint8_t *msg, uint32_t len, uint32_t *off, char *out, size_t outlen);

/* Decodes the first-level encoded NetBIOS name (RFC 1001 14.1) in the first
 * label of @name (32 letters A-P) into @out without its suffix byte and
 * trailing spaces; returns the suffix (service) byte, or -1 if not encoded. */
int mg_netbios_name(const char *name, char *out, size_t outlen);

#endif

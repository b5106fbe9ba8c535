/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TCP SYN signatures in p0f v3 form (ver:ittl:olen:mss:wsize,scale:olayout:
 * quirks:pclass) and matching against p0f's database (Debian: /etc/p0f/p0f.fp,
 * section [tcp:request]).
 */
#ifndef MG_TCPSIG_H
#define MG_TCPSIG_H

#include <stddef.h>

#include "../capture/decode.h"

#define MG_TCPSIG_MAX 256

struct mg_tcpsig {
	char text[MG_TCPSIG_MAX]; /* e.g. "4:64:0:1460:mss*4,6:mss,sok,ts,nop,ws:df,id+:0" */
	unsigned ver, ttl, olen, mss, win, scale;
	int has_mss, has_scale;
	char olayout[64], quirks[64];
	int payload;
};

/* Builds the signature of a SYN (without ACK) in @p. Returns 0, or -EINVAL if
 * @p is not a SYN or its options are cut. */
int mg_tcpsig_from_pkt(const struct mg_pkt *p, struct mg_tcpsig *s);

struct mg_p0f;
/* Loads the [tcp:request] signatures of a p0f database. Returns 0 or a
 * negative code with "FILE:LINE: ..." in @err. */
int mg_p0f_load(struct mg_p0f **out, const char *path, char *err, size_t errlen);
void mg_p0f_free(struct mg_p0f *db);
/* Label of the first specific signature matching @s, else of the first generic
 * one ("Linux 3.11 and newer", "Windows 7 or 8"); NULL if none. Sets *@generic. */
const char *mg_p0f_match(const struct mg_p0f *db, const struct mg_tcpsig *s, int *generic);

#endif

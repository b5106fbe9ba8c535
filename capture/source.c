/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "source.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
/* numbers from libpcap's pcap/dlt.h, for older headers */
#ifndef DLT_DSA_TAG_BRCM
#define DLT_DSA_TAG_BRCM 281
#define DLT_DSA_TAG_BRCM_PREPEND 282
#define DLT_DSA_TAG_DSA 284
#define DLT_DSA_TAG_EDSA 285
#endif

struct mg_source {
	pcap_t *pcap;
	enum mg_link link;
	bool live, truncated;
	int fd, timeout_ms; /* live: waited on with poll(), not in libpcap */
	uint64_t packets;
	/* widening of libpcap's 32-bit counters */
	uint32_t last_recv, last_drop, last_ifdrop;
	struct mg_capture_stats total;
	char errstr[PCAP_ERRBUF_SIZE + 1280];
	char name[256];
	/* files libpcap refuses that start as pcapng are read by pcapng.c: the
	 * path to reopen, the filter compiled per link type, a packet read ahead
	 * (so that the link type is known before the first one is taken) */
	char *path, *filter;
	bool is_pcapng, pending;
	FILE *ngf;
	struct mg_pcapng *ng;
	struct mg_pcapng_pkt pend;
	struct ng_filter {
		int dlt;
		struct bpf_program prog;
	} *filters;
	size_t nfilters;
};

static int map_link(int dlt, enum mg_link *out)
{
	switch (dlt) {
	case DLT_EN10MB:
		*out = MG_LINK_ETHERNET;
		return 0;
	case DLT_LINUX_SLL:
		*out = MG_LINK_SLL;
		return 0;
	case DLT_LINUX_SLL2:
		*out = MG_LINK_SLL2;
		return 0;
	case 12: /* DLT_RAW on most systems */
	case 14: /* DLT_RAW as OpenBSD numbers it */
		*out = MG_LINK_RAW;
		return 0;
	case DLT_IPV4:
		*out = MG_LINK_IPV4;
		return 0;
	case DLT_IPV6:
		*out = MG_LINK_IPV6;
		return 0;
	case DLT_NULL:
	case DLT_LOOP:
		*out = MG_LINK_NULL;
		return 0;
	case DLT_IEEE802_11:
		*out = MG_LINK_IEEE80211;
		return 0;
	case DLT_IEEE802_11_RADIO:
		*out = MG_LINK_RADIOTAP;
		return 0;
	case DLT_PPI:
		*out = MG_LINK_PPI;
		return 0;
	case DLT_NFLOG:
		*out = MG_LINK_NFLOG;
		return 0;
	case DLT_PPP:
	case DLT_PPP_SERIAL: /* PPP in HDLC framing, or Cisco HDLC */
		*out = MG_LINK_PPP;
		return 0;
	case DLT_PPP_PPPD:
		*out = MG_LINK_PPP_PPPD;
		return 0;
	case DLT_PPP_ETHER: /* a PPPoE header, no Ethernet header */
		*out = MG_LINK_PPPOE;
		return 0;
	case DLT_DSA_TAG_BRCM:
		*out = MG_LINK_DSA_BRCM;
		return 0;
	case DLT_DSA_TAG_BRCM_PREPEND:
		*out = MG_LINK_DSA_BRCM_PREPEND;
		return 0;
	case DLT_DSA_TAG_DSA:
		*out = MG_LINK_DSA;
		return 0;
	case DLT_DSA_TAG_EDSA:
		*out = MG_LINK_EDSA;
		return 0;
	default:
		return -EPROTONOSUPPORT;
	}
}

#define MG_LINK_NAMES                                                                      \
	"EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP, IEEE802_11, "         \
	"IEEE802_11_RADIO, PPI, NFLOG, PPP, PPP_SERIAL, PPP_PPPD, PPP_ETHER, DSA_TAG_BRCM, " \
	"DSA_TAG_BRCM_PREPEND, DSA_TAG_DSA, DSA_TAG_EDSA"

static int finish_open(struct mg_source *s, const char *filter, char *err, size_t errlen)
{
	int dlt = pcap_datalink(s->pcap);

	if (map_link(dlt, &s->link) < 0) {
		const char *n = pcap_datalink_val_to_name(dlt);
		snprintf(err, errlen,
			 "%s: link type %d (%s) is not supported; supported: " MG_LINK_NAMES,
			 s->name, dlt, n ? n : "unknown");
		return -EPROTONOSUPPORT;
	}
	if (filter && *filter) {
		struct bpf_program prog;
		if (pcap_compile(s->pcap, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(err, errlen, "%s: bad filter \"%s\": %s", s->name, filter,
				 pcap_geterr(s->pcap));
			return -EINVAL;
		}
		int rc = pcap_setfilter(s->pcap, &prog);
		pcap_freecode(&prog);
		if (rc < 0) {
			snprintf(err, errlen, "%s: cannot set filter: %s", s->name,
				 pcap_geterr(s->pcap));
			return -EINVAL;
		}
	}
	return 0;
}

/* Whether the packet @pk passes the filter: 1, 0, or -1 (compiled per link
 * type, as libpcap's code depends on it). */
static int ng_filter(struct mg_source *s, const struct mg_pcapng_pkt *pk)
{
	struct ng_filter *f = NULL;
	for (size_t i = 0; i < s->nfilters; i++)
		if (s->filters[i].dlt == pk->dlt)
			f = &s->filters[i];
	if (!f) {
		struct ng_filter *n = realloc(s->filters, (s->nfilters + 1) * sizeof(*n));
		pcap_t *dead = pcap_open_dead(pk->dlt, 262144);
		if (n)
			s->filters = n;
		if (!n || !dead) {
			snprintf(s->errstr, sizeof(s->errstr), "%s: out of memory", s->name);
			if (dead)
				pcap_close(dead);
			return -1;
		}
		f = &s->filters[s->nfilters];
		f->dlt = pk->dlt;
		if (pcap_compile(dead, &f->prog, s->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(s->errstr, sizeof(s->errstr), "%s: bad filter \"%s\" for link type %d: %s",
				 s->name, s->filter, pk->dlt, pcap_geterr(dead));
			pcap_close(dead);
			return -1;
		}
		pcap_close(dead);
		s->nfilters++;
	}
	struct pcap_pkthdr h = {.caplen = pk->caplen, .len = pk->wirelen};
	return pcap_offline_filter(&f->prog, &h, pk->data) != 0;
}

/* The next packet of the pcapng reader that passes the filter. */
static int ng_read(struct mg_source *s, struct mg_pcapng_pkt *pk, enum mg_link *link)
{
	for (;;) {
		int rc = mg_pcapng_next(s->ng, pk);
		if (rc <= 0) {
			snprintf(s->errstr, sizeof(s->errstr), "%s", mg_pcapng_errstr(s->ng));
			s->truncated = mg_pcapng_truncated(s->ng);
			return rc == 0 ? MG_SRC_EOF : MG_SRC_ERROR;
		}
		if (map_link(pk->dlt, link) < 0) {
			const char *n = pcap_datalink_val_to_name(pk->dlt);
			snprintf(s->errstr, sizeof(s->errstr),
				 "%s: pcapng block at offset %llu: interface %u has link type %d (%s), "
				 "which is not supported; supported: " MG_LINK_NAMES,
				 s->name, (unsigned long long)pk->offset, pk->iface, pk->dlt,
				 n ? n : "unknown");
			return MG_SRC_ERROR;
		}
		rc = s->filter ? ng_filter(s, pk) : 1;
		if (rc < 0)
			return MG_SRC_ERROR;
		if (rc)
			return MG_SRC_PACKET;
	}
}

/* Reads the file with pcapng.c from its start, past the @s->packets packets
 * libpcap has returned, and reads the next one ahead. */
static int use_pcapng(struct mg_source *s)
{
	char err[sizeof(s->errstr)];
	uint64_t done = s->packets;
	enum mg_link link;

	if (s->pcap) {
		pcap_close(s->pcap);
		s->pcap = NULL;
	}
	s->ngf = fopen(s->path, "rb");
	if (!s->ngf) {
		snprintf(s->errstr, sizeof(s->errstr), "%s: cannot reopen: %s", s->name,
			 strerror(errno));
		return MG_SRC_ERROR;
	}
	if (mg_pcapng_open(&s->ng, s->ngf, s->name, err, sizeof(err)) < 0) {
		snprintf(s->errstr, sizeof(s->errstr), "%s", err);
		return MG_SRC_ERROR;
	}
	for (uint64_t i = 0; i <= done; i++) {
		int rc = ng_read(s, &s->pend, &link);
		if (rc != MG_SRC_PACKET)
			return rc;
	}
	s->pending = true;
	s->link = link;
	return MG_SRC_PACKET;
}

static bool starts_as_pcapng(const char *path)
{
	uint8_t b[4] = {0};
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : NULL;
	if (!f)
		return false;
	size_t n = fread(b, 1, 4, f);
	fclose(f);
	return n == 4 && b[0] == 0x0a && b[1] == 0x0d && b[2] == 0x0d && b[3] == 0x0a;
}

int mg_source_open_file(struct mg_source **out, const char *path, const char *filter,
			char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct mg_source *s = calloc(1, sizeof(*s));
	int rc;

	if (!s) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	snprintf(s->name, sizeof(s->name), "%s", strcmp(path, "-") ? path : "<stdin>");
	s->is_pcapng = starts_as_pcapng(path);
	s->path = strdup(path);
	s->filter = filter && *filter ? strdup(filter) : NULL;
	if (!s->path || (filter && *filter && !s->filter)) {
		snprintf(err, errlen, "%s: out of memory", s->name);
		rc = -ENOMEM;
		goto out;
	}
	s->pcap = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO,
							  ebuf);
	if (!s->pcap && s->is_pcapng) { /* refused by libpcap: our reader */
		rc = use_pcapng(s) == MG_SRC_ERROR ? -EINVAL : 0;
		if (rc < 0)
			snprintf(err, errlen, "%s (libpcap: %s)", s->errstr, ebuf);
		goto out;
	}
	if (!s->pcap) {
		snprintf(err, errlen, "%s: cannot read as pcap or pcapng: %s", s->name, ebuf);
		rc = -EINVAL;
		goto out;
	}
	rc = finish_open(s, filter, err, errlen);
out:
	if (rc < 0) {
		mg_source_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int mg_source_open_live(struct mg_source **out, const struct mg_live_opts *o,
			char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct mg_source *s = calloc(1, sizeof(*s));
	int rc = -EINVAL;

	if (!s) {
		snprintf(err, errlen, "%s: out of memory", o->iface);
		return -ENOMEM;
	}
	snprintf(s->name, sizeof(s->name), "%s", o->iface);
	s->live = true;
	s->pcap = pcap_create(o->iface, ebuf);
	if (!s->pcap) {
		snprintf(err, errlen, "%s: %s", o->iface, ebuf);
		goto out;
	}
	pcap_set_snaplen(s->pcap, (int)o->snaplen);
	pcap_set_promisc(s->pcap, o->promisc);
	pcap_set_timeout(s->pcap, (int)o->timeout_ms);
	pcap_set_buffer_size(s->pcap, (int)(o->buffer_mib * 1024 * 1024));
	pcap_set_tstamp_precision(s->pcap, PCAP_TSTAMP_PRECISION_MICRO);
	int act = pcap_activate(s->pcap);
	if (act < 0) {
		snprintf(err, errlen, "%s: cannot start capture: %s%s", o->iface,
			 pcap_statustostr(act),
			 act == PCAP_ERROR_PERM_DENIED ? " (needs root or CAP_NET_RAW)" : "");
		if (act == PCAP_ERROR || act == PCAP_ERROR_NO_SUCH_DEVICE)
			snprintf(err, errlen, "%s: cannot start capture: %s", o->iface,
				 pcap_geterr(s->pcap));
		goto out;
	}
	/* Non-blocking, and we poll the descriptor ourselves: with TPACKET_V3,
	 * libpcap 1.10 may wait far past the timeout on an idle link, and a live
	 * loop has other work (commands, ticks) that cannot wait. */
	s->timeout_ms = (int)o->timeout_ms;
	if (pcap_setnonblock(s->pcap, 1, ebuf) < 0 || (s->fd = pcap_get_selectable_fd(s->pcap)) < 0) {
		snprintf(err, errlen, "%s: cannot poll the capture: %s", o->iface, ebuf);
		goto out;
	}
	rc = finish_open(s, o->filter, err, errlen);
out:
	if (rc < 0) {
		mg_source_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

static int ng_next(struct mg_source *s, const uint8_t **data, uint32_t *caplen,
		   uint32_t *wirelen, uint64_t *ts_us)
{
	struct mg_pcapng_pkt pk = s->pend;
	enum mg_link link = s->link;
	int rc = MG_SRC_PACKET;

	if (s->pending)
		s->pending = false;
	else
		rc = ng_read(s, &pk, &link);
	if (rc != MG_SRC_PACKET)
		return rc;
	s->packets++;
	s->link = link;
	*data = pk.data;
	*caplen = pk.caplen;
	*wirelen = pk.wirelen;
	*ts_us = pk.ts_us;
	return MG_SRC_PACKET;
}

int mg_source_next(struct mg_source *s, const uint8_t **data, uint32_t *caplen,
		   uint32_t *wirelen, uint64_t *ts_us)
{
	struct pcap_pkthdr *h;
	const u_char *d;

	if (s->ng)
		return ng_next(s, data, caplen, wirelen, ts_us);
	int rc = pcap_next_ex(s->pcap, &h, &d);

	if (rc == 0 && s->live) { /* nothing ready: wait at most the timeout */
		struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
		if (poll(&pfd, 1, s->timeout_ms) > 0)
			rc = pcap_next_ex(s->pcap, &h, &d);
	}
	if (rc == 1) {
		s->packets++;
		*data = d;
		*caplen = h->caplen;
		*wirelen = h->len;
		*ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		return MG_SRC_PACKET;
	}
	if (rc == 0)
		return MG_SRC_TIMEOUT;
	if (rc == PCAP_ERROR_BREAK)
		return MG_SRC_EOF;
	/* libpcap reports a short last record as "truncated dump file" (pcap) or
	 * "truncated pcapng dump file": the file ends there, with a warning. */
	const char *msg = pcap_geterr(s->pcap);
	snprintf(s->errstr, sizeof(s->errstr), "%s: after packet %llu: %s", s->name,
		 (unsigned long long)s->packets, msg);
	if (!s->live && strstr(msg, "truncated")) {
		s->truncated = true;
		return MG_SRC_EOF;
	}
	/* e.g. "an interface has a snapshot length 1500 different from the
	 * snapshot length of the first interface": our reader goes on */
	if (!s->live && s->is_pcapng) {
		rc = use_pcapng(s);
		return rc == MG_SRC_PACKET ? ng_next(s, data, caplen, wirelen, ts_us) : rc;
	}
	return MG_SRC_ERROR;
}

enum mg_link mg_source_link(const struct mg_source *s)
{
	return s->link;
}

bool mg_source_truncated(const struct mg_source *s)
{
	return s->truncated;
}

const char *mg_source_errstr(const struct mg_source *s)
{
	return s->errstr;
}

int mg_source_stats(struct mg_source *s, struct mg_capture_stats *st)
{
	struct pcap_stat ps;

	if (s->live) {
		if (pcap_stats(s->pcap, &ps) < 0)
			return -EIO;
		/* unsigned 32-bit differences survive one wrap between reads */
		s->total.received += (uint32_t)(ps.ps_recv - s->last_recv);
		s->total.dropped += (uint32_t)(ps.ps_drop - s->last_drop);
		s->total.if_dropped += (uint32_t)(ps.ps_ifdrop - s->last_ifdrop);
		s->last_recv = ps.ps_recv;
		s->last_drop = ps.ps_drop;
		s->last_ifdrop = ps.ps_ifdrop;
	}
	*st = s->total;
	return 0;
}

void mg_source_free(struct mg_source *s)
{
	if (!s)
		return;
	if (s->pcap)
		pcap_close(s->pcap);
	mg_pcapng_free(s->ng);
	if (s->ngf)
		fclose(s->ngf);
	for (size_t i = 0; i < s->nfilters; i++)
		pcap_freecode(&s->filters[i].prog);
	free(s->filters);
	free(s->path);
	free(s->filter);
	free(s);
}

const char *mg_source_lib_version(void)
{
	return pcap_lib_version();
}

struct mg_dumper {
	pcap_t *dead;
	pcap_dumper_t *dump;
};

int mg_dumper_open(struct mg_dumper **out, const char *path, int dlt, char *err,
		   size_t errlen)
{
	struct mg_dumper *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->dead = pcap_open_dead_with_tstamp_precision(dlt, 65535,
						       PCAP_TSTAMP_PRECISION_MICRO);
	if (!d->dead) {
		free(d);
		snprintf(err, errlen, "%s: cannot create pcap handle", path);
		return -ENOMEM;
	}
	d->dump = pcap_dump_open(d->dead, path);
	if (!d->dump) {
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(d->dead));
		pcap_close(d->dead);
		free(d);
		return -EIO;
	}
	*out = d;
	return 0;
}

void mg_dumper_write(struct mg_dumper *d, uint64_t ts_us, const uint8_t *frame,
		     uint32_t len)
{
	struct pcap_pkthdr h = {
		.ts = {.tv_sec = (time_t)(ts_us / 1000000u),
		       .tv_usec = (suseconds_t)(ts_us % 1000000u)},
		.caplen = len,
		.len = len,
	};
	pcap_dump((u_char *)d->dump, &h, frame);
}

int mg_dumper_close(struct mg_dumper *d)
{
	int rc = 0;

	if (!d)
		return 0;
	if (pcap_dump_flush(d->dump) < 0)
		rc = -EIO;
	pcap_dump_close(d->dump);
	pcap_close(d->dead);
	free(d);
	return rc;
}

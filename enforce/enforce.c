/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "enforce.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/statefile.h"

#define ADDRS_MAX 8
#define LIST_MAX 256 /* entries of the never, dns and remediation lists */

struct quarantine {
	uint8_t mac[6];
	struct mg_addr addrs[ADDRS_MAX];
	unsigned naddrs;
	uint64_t expires_us;
	char reason[160];
};

struct offender {
	uint8_t mac[6];
	uint32_t offenses;
};

struct pin { /* an analyst's "never quarantine this device" */
	uint8_t mac[6];
	char note[160]; /* who and why */
};

struct mg_enf {
	struct mg_enf_cfg cfg;
	char state_file[1024];
	struct mg_nft *nft; /* NULL unless nft backend in enforce mode, or approved */
	struct quarantine *q;
	size_t nq, capq;
	struct offender *off;
	size_t noff, capoff;
	struct pin *pins;
	size_t npins, cappins;
	uint8_t never_mac[LIST_MAX][6];
	size_t n_never_mac;
	struct mg_nft_prefix never[LIST_MAX], dns[LIST_MAX], allow[LIST_MAX];
	size_t n_never, n_dns, n_allow;
	/* the first entries of never_mac and never come from [enforce] never
	 * (a reload replaces them); those after were added at run time */
	size_t cfg_never_mac, cfg_never;
	uint64_t recent[1024]; /* times of the last quarantines (circuit breaker) */
	bool policy_changed;   /* the lists changed since the table was set up */
	unsigned nrecent;
	bool circuit_open;
	char load_problem[1400]; /* the state file had lines it could not read */
};

static const char *const outcome_names[] = {"applied", "dry-run", "monitor", "suppressed",
					    "already", "failed", "not-quarantined"};

const char *mg_enf_outcome_name(enum mg_enf_outcome o)
{
	return (unsigned)o < sizeof(outcome_names) / sizeof(outcome_names[0]) ? outcome_names[o]
									      : "?";
}

const char *mg_enf_mode_name(const struct mg_enf *e)
{
	return e->cfg.mode == MG_ENF_ENFORCE ? "enforce" : "monitor";
}

const char *mg_enf_backend_name(const struct mg_enf *e)
{
	return e->cfg.backend == MG_ENF_NFT ? "nft" : e->cfg.backend == MG_ENF_DRYRUN ? "dry-run"
										     : "off";
}

/* ---- lists ---- */

static int parse_prefix(const char *s, struct mg_nft_prefix *p)
{
	long len, max;
	if (mg_prefix_parse(s, &p->a, &len) < 0)
		return -1;
	max = mg_addr_is_v4(&p->a) ? 32 : 128;
	if (len == -2 || len > max)
		return -1;
	p->len = (uint8_t)(len < 0 ? max : len);
	return 0;
}

/* Parses @text (MACs when @macs, and prefixes) into the lists. */
static int parse_list(struct mg_enf *e, const char *what, const char *text, bool macs,
		      struct mg_nft_prefix *pfx, size_t *npfx, char *err, size_t errlen)
{
	char tok[128];
	const char *p = text ? text : "";

	while (*p) {
		size_t n = strcspn(p, ", \t");
		if (n && n < sizeof(tok)) {
			memcpy(tok, p, n);
			tok[n] = 0;
			uint8_t mac[6];
			if (macs && mg_mac_parse(tok, mac) == 0) {
				if (e->n_never_mac < LIST_MAX)
					memcpy(e->never_mac[e->n_never_mac++], mac, 6);
			} else if (*npfx < LIST_MAX && parse_prefix(tok, &pfx[*npfx]) == 0) {
				(*npfx)++;
			} else {
				snprintf(err, errlen, "%s: \"%s\" is not %s", what, tok,
					 macs ? "a MAC, an address or a prefix" : "an address or a prefix");
				return -EINVAL;
			}
		} else if (n) {
			snprintf(err, errlen, "%s: an entry is too long", what);
			return -EINVAL;
		}
		p += n;
		p += strspn(p, ", \t");
	}
	return 0;
}

static bool in_prefix(const struct mg_nft_prefix *p, const struct mg_addr *a)
{
	unsigned base = mg_addr_is_v4(&p->a) ? 96 : 0, bits = base + p->len;
	if (mg_addr_is_v4(&p->a) != mg_addr_is_v4(a))
		return false;
	for (unsigned i = 0; i < bits / 8; i++)
		if (p->a.b[i] != a->b[i])
			return false;
	if (bits % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));
		return (p->a.b[bits / 8] & mask) == (a->b[bits / 8] & mask);
	}
	return true;
}

/* The never-list entry that protects @mac or one of @addrs, written to @why. */
static bool protected(const struct mg_enf *e, const uint8_t mac[6], const struct mg_addr *addrs,
		      unsigned n, char *why, size_t len)
{
	char s[64];
	for (size_t i = 0; i < e->npins; i++)
		if (!memcmp(e->pins[i].mac, mac, 6)) {
			snprintf(why, len, "pinned (never quarantine): %s", e->pins[i].note);
			return true;
		}
	for (size_t i = 0; i < e->n_never_mac; i++)
		if (!memcmp(e->never_mac[i], mac, 6)) {
			snprintf(why, len, "never-quarantine list: %s", mg_mac_str(mac, s, sizeof(s)));
			return true;
		}
	for (unsigned k = 0; k < n; k++)
		for (size_t i = 0; i < e->n_never; i++)
			if (in_prefix(&e->never[i], &addrs[k])) {
				snprintf(why, len, "never-quarantine list: %s",
					 mg_addr_str(&addrs[k], s, sizeof(s)));
				return true;
			}
	return false;
}

/* ---- state ---- */

/* Control characters in @s become spaces: reasons and notes come from
 * analysts and sensors, and a newline would start a line of its own in the
 * state file. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* Room for one more element of @size bytes in *@arr (*@cap allocated, @n used). */
static int reserve(void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 64;
	void *p = realloc(*arr, c * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

static struct quarantine *find(const struct mg_enf *e, const uint8_t mac[6])
{
	for (size_t i = 0; i < e->nq; i++)
		if (!memcmp(e->q[i].mac, mac, 6))
			return &e->q[i];
	return NULL;
}

static struct offender *offender(struct mg_enf *e, const uint8_t mac[6], bool create)
{
	for (size_t i = 0; i < e->noff; i++)
		if (!memcmp(e->off[i].mac, mac, 6))
			return &e->off[i];
	if (!create || reserve((void **)&e->off, &e->capoff, e->noff, sizeof(*e->off)) < 0)
		return NULL;
	struct offender *o = &e->off[e->noff++];
	memcpy(o->mac, mac, 6);
	o->offenses = 0;
	return o;
}

static struct quarantine *add_q(struct mg_enf *e)
{
	if (reserve((void **)&e->q, &e->capq, e->nq, sizeof(*e->q)) < 0)
		return NULL;
	return memset(&e->q[e->nq++], 0, sizeof(struct quarantine));
}

static void drop_q(struct mg_enf *e, struct quarantine *q)
{
	*q = e->q[--e->nq];
}

/* The element comment: who and why, for `nft list` readers. */
static void comment(const struct quarantine *q, char *buf, size_t len)
{
	snprintf(buf, len, "mudguard: %s", q->reason);
}

static uint64_t ms_left(const struct quarantine *q, uint64_t now_us)
{
	return q->expires_us > now_us ? (q->expires_us - now_us + 999) / 1000 : 1;
}

/* Queues the elements of @q (or their removal). */
static int queue(struct mg_enf *e, const struct quarantine *q, bool add, uint64_t now_us)
{
	char c[192];
	int rc = 0;
	comment(q, c, sizeof(c));
	rc = add ? mg_nft_add_mac(e->nft, q->mac, ms_left(q, now_us), c)
		 : mg_nft_del_mac(e->nft, q->mac);
	for (unsigned i = 0; i < q->naddrs && rc >= 0; i++)
		rc = add ? mg_nft_add_addr(e->nft, &q->addrs[i], ms_left(q, now_us), c)
			 : mg_nft_del_addr(e->nft, &q->addrs[i]);
	return rc < 0 ? rc : 0;
}

static int setup(struct mg_enf *e, char *err, size_t errlen)
{
	e->policy_changed = false;
	struct mg_nft_policy pol = {
		.never_mac = (const uint8_t(*)[6])e->never_mac, .n_never_mac = e->n_never_mac,
		.never = e->never, .n_never = e->n_never,
		.dns = e->dns, .n_dns = e->n_dns,
		.allow = e->allow, .n_allow = e->n_allow,
	};
	return mg_nft_setup(e->nft, &pol, err, errlen);
}

/* ---- the state file: "q MAC EXPIRES_US ADDR,... REASON" (a quarantine),
 * "o MAC OFFENSES" (a device's count), "r US" (when a recent one began),
 * "p MAC NOTE" (a pin) ---- */

/* Lines of the state file that cannot be read (torn by a truncation, garbage)
 * are skipped, each counted, the first named; the file as it was is kept
 * beside it as FILE.corrupt, and mg_enf_start reports it. What the kernel's
 * sets hold is adopted at start, so quarantines in force are not lost. */
static void bad_line(struct mg_enf *e, unsigned *bad, unsigned lineno, const char *why)
{
	if (!(*bad)++)
		snprintf(e->load_problem, sizeof(e->load_problem), "%s:%u: %s", e->state_file, lineno,
			 why);
}

static int load_state(struct mg_enf *e, char *err, size_t errlen)
{
	FILE *f = fopen(e->state_file, "r");
	char line[1024];
	unsigned lineno = 0, bad = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		char mac_s[32], addrs[600] = "", *nl = strchr(line, '\n');
		uint8_t mac[6];
		uint64_t v;
		int off = 0;
		lineno++;
		if (nl) {
			*nl = 0;
		} else { /* cut short (the file was truncated) or too long: not trusted */
			int c;
			while ((c = getc(f)) != EOF && c != '\n')
				;
			bad_line(e, &bad, lineno, c == EOF ? "torn last line (no end of line)"
							   : "line too long");
			continue;
		}
		if (lineno == 1 && !strncmp(line, "mudguard-quarantine ", 20) &&
		    strcmp(line, "mudguard-quarantine 1")) {
			fclose(f);
			snprintf(err, errlen, "%s: written by another version of mudguard (\"%.40s\"; this "
					      "one reads version 1): not read, and left as it is",
				 e->state_file, line);
			return -EINVAL;
		}
		if (!line[0] || line[0] == '#' ||
		    (lineno == 1 && !strcmp(line, "mudguard-quarantine 1")))
			continue;
		if (sscanf(line, "r %" SCNu64, &v) == 1) { /* a recent quarantine's time */
			if (e->nrecent < sizeof(e->recent) / sizeof(e->recent[0]))
				e->recent[e->nrecent++] = v;
			continue;
		}
		if (sscanf(line, "p %31s %n", mac_s, &off) == 1 && off > 0 &&
		    mg_mac_parse(mac_s, mac) == 0) {
			mg_enf_pin(e, mac, line + off);
			continue;
		}
		if (sscanf(line, "o %31s %" SCNu64, mac_s, &v) == 2 && mg_mac_parse(mac_s, mac) == 0) {
			struct offender *o = offender(e, mac, true);
			if (o)
				o->offenses = (uint32_t)v;
			continue;
		}
		if (sscanf(line, "q %31s %" SCNu64 " %599s %n", mac_s, &v, addrs, &off) >= 3 &&
		    off > 0 && mg_mac_parse(mac_s, mac) == 0) {
			struct quarantine *q = find(e, mac) ? find(e, mac) : add_q(e);
			if (!q)
				break;
			memcpy(q->mac, mac, 6);
			q->expires_us = v;
			snprintf(q->reason, sizeof(q->reason), "%s", line + off);
			q->naddrs = 0;
			for (char *s = strtok(addrs, ","); s && q->naddrs < ADDRS_MAX; s = strtok(NULL, ",")) {
				struct mg_nft_prefix p;
				if (strcmp(s, "-") && parse_prefix(s, &p) == 0)
					q->addrs[q->naddrs++] = p.a;
			}
			continue;
		}
		bad_line(e, &bad, lineno, "not a quarantine state line");
	}
	fclose(f);
	if (bad) {
		char aside[1100];
		size_t n = strlen(e->load_problem);
		snprintf(aside, sizeof(aside), "%s.corrupt", e->state_file);
		unlink(aside);
		bool kept = link(e->state_file, aside) == 0;
		n += (size_t)snprintf(e->load_problem + n, sizeof(e->load_problem) - n,
				      ": %u unreadable line%s skipped", bad, bad > 1 ? "s" : "");
		if (n < sizeof(e->load_problem))
			snprintf(e->load_problem + n, sizeof(e->load_problem) - n,
				 "; %s%s; starting from the lines read and what the kernel holds",
				 kept ? "the file as it was is kept as " : "",
				 kept ? aside : "the file as it was could not be kept");
	}
	return 0;
}

const char *mg_enf_load_problem(const struct mg_enf *e)
{
	return e->load_problem;
}

int mg_enf_save(struct mg_enf *e, char *err, size_t errlen)
{
	char m[24], ip[64], *buf = NULL;
	size_t len = 0;
	if (!e->state_file[0])
		return 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		snprintf(err, errlen, "%s: out of memory", e->state_file);
		return -ENOMEM;
	}
	fprintf(f, "mudguard-quarantine 1\n");
	for (size_t i = 0; i < e->noff; i++)
		fprintf(f, "o %s %u\n", mg_mac_str(e->off[i].mac, m, sizeof(m)), e->off[i].offenses);
	for (size_t i = 0; i < e->npins; i++)
		fprintf(f, "p %s %s\n", mg_mac_str(e->pins[i].mac, m, sizeof(m)), e->pins[i].note);
	for (unsigned i = 0; i < e->nrecent; i++) /* the circuit breaker's memory */
		fprintf(f, "r %" PRIu64 "\n", e->recent[i]);
	for (size_t i = 0; i < e->nq; i++) {
		const struct quarantine *q = &e->q[i];
		fprintf(f, "q %s %" PRIu64 " ", mg_mac_str(q->mac, m, sizeof(m)), q->expires_us);
		for (unsigned k = 0; k < q->naddrs; k++)
			fprintf(f, "%s%s", k ? "," : "", mg_addr_str(&q->addrs[k], ip, sizeof(ip)));
		fprintf(f, "%s %s\n", q->naddrs ? "" : "-", q->reason);
	}
	if (fclose(f) != 0) {
		free(buf);
		snprintf(err, errlen, "%s: out of memory", e->state_file);
		return -ENOMEM;
	}
	int rc = mg_statefile_write(e->state_file, buf, len, NULL, err, errlen);
	free(buf);
	return rc < 0 ? -EIO : 0;
}

/* ---- life cycle ---- */

/* The never, dns and remediation lists of @cfg into @e's. */
static int parse_lists(struct mg_enf *e, const struct mg_enf_cfg *cfg, char *err, size_t errlen)
{
	int rc = parse_list(e, "[enforce] never", cfg->never, true, e->never, &e->n_never, err,
			    errlen);
	e->cfg_never_mac = e->n_never_mac;
	e->cfg_never = e->n_never;
	if (rc < 0 ||
	    (rc = parse_list(e, "[enforce] dns", cfg->dns, false, e->dns, &e->n_dns, err, errlen)) < 0)
		return rc;
	return parse_list(e, "[enforce] remediation", cfg->remediation, false, e->allow,
			  &e->n_allow, err, errlen);
}

int mg_enf_new(struct mg_enf **out, const struct mg_enf_cfg *cfg, char *err, size_t errlen)
{
	struct mg_enf *e = calloc(1, sizeof(*e));
	int rc;

	if (!e)
		return -ENOMEM;
	e->cfg = *cfg;
	snprintf(e->state_file, sizeof(e->state_file), "%s", cfg->state_file ? cfg->state_file : "");
	e->cfg.state_file = e->state_file;
	if ((rc = parse_lists(e, cfg, err, errlen)) < 0)
		goto out;
	/* the DNS servers are never quarantined either */
	for (size_t i = 0; i < e->n_dns && e->n_never < LIST_MAX; i++)
		e->never[e->n_never++] = e->dns[i];
	if (e->state_file[0] && (rc = load_state(e, err, errlen)) < 0) {
		if (rc != -EINVAL)
			snprintf(err, errlen, "%s: %s", e->state_file, strerror(-rc));
		goto out;
	}
	if (cfg->backend == MG_ENF_NFT && cfg->mode == MG_ENF_ENFORCE) {
		if ((rc = mg_nft_open(&e->nft, &cfg->nft, err, errlen)) < 0)
			goto out;
		/* refuse early: no capability, or a table that is not ours */
		if ((rc = mg_nft_table_state(e->nft, err, errlen)) < 0) {
			if (rc == -EPERM)
				snprintf(err, errlen, "nftables: %s: enforce mode with the nft backend "
						      "needs CAP_NET_ADMIN (run as root or grant the "
						      "capability)", strerror(EPERM));
			goto out;
		}
	}
	rc = 0;
out:
	if (rc < 0) {
		mg_enf_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

void mg_enf_free(struct mg_enf *e)
{
	if (!e)
		return;
	mg_nft_close(e->nft);
	free(e->q);
	free(e->off);
	free(e->pins);
	free(e);
}

/* How the outcome of an action reads in this mode and backend (@permitted:
 * an analyst said so, which monitor mode obeys). */
static enum mg_enf_outcome acting(const struct mg_enf *e, bool permitted)
{
	if (e->cfg.mode != MG_ENF_ENFORCE && !permitted)
		return MG_ENF_MONITORED;
	return e->cfg.backend == MG_ENF_NFT ? MG_ENF_APPLIED : MG_ENF_DRY_RUN;
}

/* Monitor mode with the nft backend leaves netlink closed and the kernel
 * untouched until an analyst's approval acts: then the table is set up (and
 * reconciled) as enforce mode would have at start. */
static int need_nft(struct mg_enf *e, uint64_t now_us, char *err, size_t errlen)
{
	int rc;
	if (e->cfg.backend != MG_ENF_NFT || e->nft)
		return 0;
	if ((rc = mg_nft_open(&e->nft, &e->cfg.nft, err, errlen)) < 0)
		return rc;
	if ((rc = mg_nft_table_state(e->nft, err, errlen)) < 0 || (rc = setup(e, err, errlen)) < 0 ||
	    (rc = mg_enf_reconcile(e, now_us, NULL, NULL, err, errlen)) < 0) {
		if (rc == -EPERM)
			snprintf(err, errlen, "nftables: needs CAP_NET_ADMIN");
		mg_nft_close(e->nft);
		e->nft = NULL;
		return rc;
	}
	return 0;
}

/* Trips when one more quarantine would break a limit. */
static bool breaker(struct mg_enf *e, uint64_t now_us, size_t known, char *why, size_t len)
{
	unsigned in_minute = 0;
	for (unsigned i = 0; i < e->nrecent; i++)
		in_minute += now_us - e->recent[i] < 60000000u;
	if (e->cfg.per_minute && in_minute >= e->cfg.per_minute) {
		snprintf(why, len, "circuit breaker: %u quarantines in the last minute (limit %u)",
			 in_minute, e->cfg.per_minute);
		return true;
	}
	size_t limit = known * e->cfg.max_percent / 100;
	if (e->cfg.max_percent && e->nq + 1 > (limit ? limit : 1)) {
		snprintf(why, len,
			 "circuit breaker: %zu of %zu known devices would be quarantined (limit %u%%)",
			 e->nq + 1, known, e->cfg.max_percent);
		return true;
	}
	return false;
}

static int quarantine(struct mg_enf *e, const uint8_t mac[6], const struct mg_addr *addrs,
		      unsigned n, const char *reason, const char *ref, uint64_t now_us,
		      size_t known, bool permitted, struct mg_enf_result *r)
{
	char err[256];
	memset(r, 0, sizeof(*r));
	r->naddrs = addrs ? (n < ADDRS_MAX ? n : ADDRS_MAX) : 0;
	if (r->naddrs)
		memcpy(r->addrs, addrs, r->naddrs * sizeof(*addrs));
	struct quarantine *cur = find(e, mac);
	if (cur) {
		r->outcome = MG_ENF_ALREADY;
		r->expires_us = cur->expires_us;
		return 0;
	}
	if (protected(e, mac, addrs, r->naddrs, r->why, sizeof(r->why))) {
		r->outcome = MG_ENF_SUPPRESSED;
		return 0;
	}
	if (e->circuit_open && !permitted) {
		r->outcome = MG_ENF_SUPPRESSED;
		snprintf(r->why, sizeof(r->why), "circuit breaker open: mudguard has stopped acting");
		return 0;
	}
	if (!permitted && breaker(e, now_us, known, r->why, sizeof(r->why))) {
		e->circuit_open = r->circuit_opened = true;
		r->outcome = MG_ENF_SUPPRESSED;
		return 0;
	}
	struct offender *o = offender(e, mac, true);
	if (!o)
		return -ENOMEM;
	uint64_t ttl = e->cfg.ttl_s;
	for (uint32_t k = 0; k < o->offenses && ttl < e->cfg.ttl_max_s; k++)
		ttl *= 2; /* a repeat offender stays out longer */
	if (ttl > e->cfg.ttl_max_s)
		ttl = e->cfg.ttl_max_s;
	r->ttl_s = (uint32_t)ttl;
	r->expires_us = now_us + ttl * 1000000u;
	r->offenses = o->offenses + 1;
	r->outcome = acting(e, permitted);
	if (r->outcome == MG_ENF_MONITORED)
		return 0; /* monitor mode: nothing is held either */
	if (need_nft(e, now_us, err, sizeof(err)) < 0) {
		r->outcome = MG_ENF_FAILED;
		snprintf(r->why, sizeof(r->why), "%s", err);
		return 0;
	}
	struct quarantine *q = add_q(e);
	if (!q)
		return -ENOMEM;
	memcpy(q->mac, mac, 6);
	memcpy(q->addrs, r->addrs, sizeof(r->addrs));
	q->naddrs = r->naddrs;
	q->expires_us = r->expires_us;
	snprintf(q->reason, sizeof(q->reason), "%s%s%s", reason, ref && *ref ? " ref " : "",
		 ref ? ref : "");
	one_line(q->reason);
	if (e->nft && (queue(e, q, true, now_us) < 0 || mg_nft_commit(e->nft, err, sizeof(err)) < 0)) {
		r->outcome = MG_ENF_FAILED;
		snprintf(r->why, sizeof(r->why), "nftables: %s", err);
		drop_q(e, q);
		return 0;
	}
	o->offenses++;
	if (e->nrecent == sizeof(e->recent) / sizeof(e->recent[0])) {
		memmove(e->recent, e->recent + 1, sizeof(e->recent) - sizeof(e->recent[0]));
		e->nrecent--;
	}
	e->recent[e->nrecent++] = now_us;
	return 0;
}

int mg_enf_quarantine(struct mg_enf *e, const uint8_t mac[6], const struct mg_addr *addrs,
		      unsigned n, const char *reason, const char *ref, uint64_t now_us,
		      size_t known, struct mg_enf_result *r)
{
	return quarantine(e, mac, addrs, n, reason, ref, now_us, known, false, r);
}

int mg_enf_approve(struct mg_enf *e, const uint8_t mac[6], const struct mg_addr *addrs,
		   unsigned n, const char *reason, const char *ref, uint64_t now_us,
		   struct mg_enf_result *r)
{
	return quarantine(e, mac, addrs, n, reason, ref, now_us, 0, true, r);
}

int mg_enf_pin(struct mg_enf *e, const uint8_t mac[6], const char *note)
{
	struct pin *p = NULL;
	int added = 0;
	for (size_t i = 0; i < e->npins && !p; i++)
		if (!memcmp(e->pins[i].mac, mac, 6))
			p = &e->pins[i];
	if (!p) {
		if (reserve((void **)&e->pins, &e->cappins, e->npins, sizeof(*e->pins)) < 0)
			return -ENOMEM;
		p = &e->pins[e->npins++];
		memcpy(p->mac, mac, 6);
		added = 1;
	}
	snprintf(p->note, sizeof(p->note), "%s", note);
	one_line(p->note);
	return added;
}

int mg_enf_unpin(struct mg_enf *e, const uint8_t mac[6])
{
	for (size_t i = 0; i < e->npins; i++)
		if (!memcmp(e->pins[i].mac, mac, 6)) {
			e->pins[i] = e->pins[--e->npins];
			return 1;
		}
	return 0;
}

bool mg_enf_pinned(const struct mg_enf *e, const uint8_t mac[6])
{
	for (size_t i = 0; i < e->npins; i++)
		if (!memcmp(e->pins[i].mac, mac, 6))
			return true;
	return false;
}

int mg_enf_release(struct mg_enf *e, const uint8_t mac[6], const char *reason, uint64_t now_us,
		   struct mg_enf_result *r)
{
	char err[256];
	struct quarantine *q = find(e, mac);

	(void)reason;
	memset(r, 0, sizeof(*r));
	if (!q) {
		r->outcome = MG_ENF_NOT_FOUND;
		return 0;
	}
	r->naddrs = q->naddrs;
	memcpy(r->addrs, q->addrs, q->naddrs * sizeof(q->addrs[0]));
	r->outcome = acting(e, true); /* lifting what is held needs no permission */
	if (need_nft(e, now_us, err, sizeof(err)) < 0) {
		r->outcome = MG_ENF_FAILED;
		snprintf(r->why, sizeof(r->why), "%s", err);
		return 0;
	}
	if (e->nft) {
		int rc = queue(e, q, false, now_us);
		if (rc == 0)
			rc = mg_nft_commit(e->nft, err, sizeof(err));
		if (rc == -ENOENT) {
			/* some elements had timed out in the kernel already: remove the
			 * others one at a time, where gone is fine */
			for (unsigned i = 0; i <= q->naddrs; i++) {
				if (i == 0)
					mg_nft_del_mac(e->nft, q->mac);
				else
					mg_nft_del_addr(e->nft, &q->addrs[i - 1]);
				if ((rc = mg_nft_commit(e->nft, err, sizeof(err))) == -ENOENT)
					rc = 0;
				if (rc < 0)
					break;
			}
		}
		if (rc < 0) {
			r->outcome = MG_ENF_FAILED;
			snprintf(r->why, sizeof(r->why), "nftables: %s", err);
			return 0;
		}
	}
	drop_q(e, q);
	return 0;
}

int mg_enf_add_addr(struct mg_enf *e, const uint8_t mac[6], const struct mg_addr *a,
		    uint64_t now_us)
{
	char err[256], c[192];
	struct quarantine *q = find(e, mac);

	if (!q || q->naddrs == ADDRS_MAX)
		return 0;
	for (unsigned i = 0; i < q->naddrs; i++)
		if (!memcmp(&q->addrs[i], a, sizeof(*a)))
			return 0;
	if (e->nft) {
		comment(q, c, sizeof(c));
		mg_nft_add_addr(e->nft, a, ms_left(q, now_us), c);
		int rc = mg_nft_commit(e->nft, err, sizeof(err));
		if (rc < 0)
			return rc;
	}
	q->addrs[q->naddrs++] = *a;
	return 1;
}

int mg_enf_set_never(struct mg_enf *e, const char *never, char *err, size_t errlen)
{
	struct mg_enf *t = calloc(1, sizeof(*t)); /* the new list, parsed apart */
	int rc;
	if (!t)
		return -ENOMEM;
	if ((rc = parse_list(t, "[enforce] never", never, true, t->never, &t->n_never, err,
			     errlen)) == 0) {
		/* then what was added at run time, after the old configured part */
		for (size_t i = e->cfg_never_mac; i < e->n_never_mac && t->n_never_mac < LIST_MAX; i++)
			memcpy(t->never_mac[t->n_never_mac++], e->never_mac[i], 6);
		for (size_t i = e->cfg_never; i < e->n_never && t->n_never < LIST_MAX; i++)
			t->never[t->n_never++] = e->never[i];
		e->cfg_never_mac = t->n_never_mac - (e->n_never_mac - e->cfg_never_mac);
		e->cfg_never = t->n_never - (e->n_never - e->cfg_never);
		memcpy(e->never_mac, t->never_mac, sizeof(e->never_mac));
		memcpy(e->never, t->never, sizeof(e->never));
		e->n_never_mac = t->n_never_mac;
		e->n_never = t->n_never;
		e->policy_changed = true;
	}
	free(t);
	return rc;
}

void mg_enf_never_mac(struct mg_enf *e, const uint8_t mac[6])
{
	for (size_t i = 0; i < e->n_never_mac; i++)
		if (!memcmp(e->never_mac[i], mac, 6))
			return;
	if (e->n_never_mac < LIST_MAX) {
		memcpy(e->never_mac[e->n_never_mac++], mac, 6);
		e->policy_changed = true;
	}
}

void mg_enf_never_addr(struct mg_enf *e, const struct mg_addr *a, bool dns)
{
	struct mg_nft_prefix p = {*a, (uint8_t)(mg_addr_is_v4(a) ? 32 : 128)};
	bool have = false;
	for (size_t i = 0; i < e->n_never && !have; i++)
		have = in_prefix(&e->never[i], a);
	if (!have && e->n_never < LIST_MAX) {
		e->never[e->n_never++] = p;
		e->policy_changed = true;
	}
	have = false;
	for (size_t i = 0; dns && i < e->n_dns && !have; i++)
		have = in_prefix(&e->dns[i], a);
	if (dns && !have && e->n_dns < LIST_MAX) {
		e->dns[e->n_dns++] = p;
		e->policy_changed = true;
	}
}

bool mg_enf_quarantined(const struct mg_enf *e, const uint8_t mac[6])
{
	return find(e, mac) != NULL;
}

size_t mg_enf_count(const struct mg_enf *e)
{
	return e->nq;
}

bool mg_enf_circuit_open(const struct mg_enf *e)
{
	return e->circuit_open;
}

void mg_enf_expire(struct mg_enf *e, uint64_t now_us, mg_enf_note_cb cb, void *user)
{
	for (size_t i = 0; i < e->nq;) {
		if (e->q[i].expires_us > now_us) {
			i++;
			continue;
		}
		uint8_t mac[6];
		memcpy(mac, e->q[i].mac, 6);
		drop_q(e, &e->q[i]);
		if (cb)
			cb(user, MG_ENF_EXPIRED, mac, "TTL expired");
	}
}

/* ---- reconciliation ---- */

struct seen {
	struct mg_enf *e;
	uint64_t now_us;
	uint8_t (*macs)[6];
	size_t nmac, cap;
};

static void seen_cb(void *user, enum mg_nft_set set, const uint8_t *key, uint32_t keylen,
		    uint64_t expires_ms, const char *cmt)
{
	struct seen *s = user;
	if (s->nmac >= s->cap)
		return;
	if (set == MG_NFT_Q_MAC && keylen >= 6) {
		memcpy(s->macs[s->nmac++], key, 6);
		/* adopt what only the kernel holds, with what it says about it */
		if (!find(s->e, key)) {
			struct quarantine *q = add_q(s->e);
			if (q) {
				memcpy(q->mac, key, 6);
				q->expires_us = s->now_us + expires_ms * 1000u;
				snprintf(q->reason, sizeof(q->reason), "%s",
					 strncmp(cmt, "mudguard: ", 10) ? cmt : cmt + 10);
				one_line(q->reason);
			}
		}
	}
	/* addresses in the kernel time out by themselves; the MAC is what counts */
}

int mg_enf_reconcile(struct mg_enf *e, uint64_t now_us, mg_enf_note_cb cb, void *user,
		     char *err, size_t errlen)
{
	char detail[256];
	int rc;

	mg_enf_expire(e, now_us, cb, user);
	if (!e->nft)
		return 0;
	struct seen s = {.e = e, .now_us = now_us, .cap = 65536};
	if (!(s.macs = calloc(s.cap, 6)))
		return -ENOMEM;
	size_t before = e->nq;
	rc = mg_nft_list(e->nft, seen_cb, &s, err, errlen);
	for (size_t i = before; rc == 0 && i < e->nq; i++) {
		struct quarantine *q = &e->q[i];
		if (cb) {
			snprintf(detail, sizeof(detail), "in the kernel, not in the state: kept (%s)",
				 q->reason);
			cb(user, MG_ENF_ADOPTED, q->mac, detail);
		}
	}
	/* what the state holds and the kernel lost goes back in */
	for (size_t i = 0; rc == 0 && i < before; i++) {
		struct quarantine *q = &e->q[i];
		bool in = false;
		for (size_t k = 0; k < s.nmac && !in; k++)
			in = !memcmp(s.macs[k], q->mac, 6);
		if (in)
			continue;
		if (queue(e, q, true, now_us) < 0 || (rc = mg_nft_commit(e->nft, err, errlen)) < 0)
			break;
		if (cb) {
			snprintf(detail, sizeof(detail), "in the state, not in the kernel: re-added "
							 "until its TTL (%s)", q->reason);
			cb(user, MG_ENF_RESTORED, q->mac, detail);
		}
	}
	free(s.macs);
	return rc;
}

int mg_enf_start(struct mg_enf *e, uint64_t now_us, mg_enf_note_cb cb, void *user, char *err,
		 size_t errlen)
{
	int rc;
	if (e->load_problem[0] && cb)
		cb(user, MG_ENF_ERROR, NULL, e->load_problem);
	if (!e->nft)
		return 0;
	if ((rc = setup(e, err, errlen)) < 0)
		return rc;
	return mg_enf_reconcile(e, now_us, cb, user, err, errlen);
}

int mg_enf_check(struct mg_enf *e, uint64_t now_us, mg_enf_note_cb cb, void *user, char *err,
		 size_t errlen)
{
	if (!e->nft)
		return 0;
	int rc = mg_nft_table_state(e->nft, err, errlen);
	if (rc > 0 && e->policy_changed) { /* the lists changed: the sets follow */
		e->policy_changed = false;
		return setup(e, err, errlen) < 0 ? -EIO : 0;
	}
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if ((rc = setup(e, err, errlen)) < 0)
		return rc;
	for (size_t i = 0; i < e->nq; i++)
		if (e->q[i].expires_us > now_us && queue(e, &e->q[i], true, now_us) < 0)
			return -ENOMEM;
	if ((rc = mg_nft_commit(e->nft, err, errlen)) < 0)
		return rc;
	if (cb)
		cb(user, MG_ENF_TABLE_RESTORED, NULL, "the table was gone: set up again with every "
						      "quarantine in force");
	return 1;
}

void mg_enf_each(const struct mg_enf *e, mg_enf_each_cb cb, void *user)
{
	for (size_t i = 0; i < e->nq; i++) {
		const struct quarantine *q = &e->q[i];
		const struct offender *o = NULL;
		for (size_t k = 0; k < e->noff && !o; k++)
			if (!memcmp(e->off[k].mac, q->mac, 6))
				o = &e->off[k];
		cb(user, q->mac, q->addrs, q->naddrs, q->expires_us, o ? o->offenses : 0, q->reason);
	}
}

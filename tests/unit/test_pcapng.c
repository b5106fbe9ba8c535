/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The pcapng reader: interfaces that differ (what libpcap refuses), both
 * byte orders, time resolutions, SPB and obsolete PB, skipped blocks, NFLOG
 * TLV headers to the host's order, and errors naming the block's offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../capture/pcapng.h"

static uint8_t file[4096];
static size_t flen;
static bool big;

static void put(uint32_t v, int n)
{
	for (int i = 0; i < n; i++)
		file[flen + (size_t)i] = (uint8_t)(big ? v >> (8 * (n - 1 - i)) : v >> (8 * i));
	flen += (size_t)n;
}

static size_t start;
static void begin(uint32_t type)
{
	start = flen;
	put(type, 4);
	put(0, 4);
}

static void end(void)
{
	while (flen % 4)
		file[flen++] = 0;
	uint32_t n = (uint32_t)(flen - start + 4);
	size_t at = flen;
	flen = start + 4;
	put(n, 4);
	flen = at;
	put(n, 4);
}

static void shb(void)
{
	begin(0x0a0d0d0a);
	put(0x1a2b3c4d, 4);
	put(1, 2);
	put(0, 2);
	put(0xffffffff, 4);
	put(0xffffffff, 4);
	end();
}

static void idb(uint16_t dlt, uint32_t snap, int tsresol)
{
	begin(1);
	put(dlt, 2);
	put(0, 2);
	put(snap, 4);
	if (tsresol >= 0) {
		put(9, 2);
		put(1, 2);
		put((uint32_t)tsresol, 1);
		flen += 3;
		put(0, 4);
	}
	end();
}

static void epb(uint32_t ifid, uint64_t ts, const uint8_t *d, uint32_t n)
{
	begin(6);
	put(ifid, 4);
	put((uint32_t)(ts >> 32), 4);
	put((uint32_t)ts, 4);
	put(n, 4);
	put(n, 4);
	memcpy(file + flen, d, n);
	flen += n;
	end();
}

static const uint8_t frame[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00};

static FILE *cur;

static struct mg_pcapng *open_file(void)
{
	struct mg_pcapng *r;
	char err[256];
	FILE *f = cur = fmemopen(file, flen, "rb");
	assert_non_null(f);
	if (mg_pcapng_open(&r, f, "t.pcapng", err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return r;
}

static void done(struct mg_pcapng *r)
{
	mg_pcapng_free(r);
	fclose(cur);
}

static void test_interfaces_differ(void **state)
{
	(void)state;
	for (int order = 0; order < 2; order++) {
		struct mg_pcapng_pkt pk;
		big = order;
		flen = 0;
		shb();
		idb(1, 262144, -1);   /* Ethernet, microseconds */
		idb(113, 1500, 9);    /* cooked, nanoseconds */
		idb(127, 65535, 0x94); /* radiotap, 2^-20 s */
		begin(4);	       /* a name resolution block: skipped */
		put(0, 4);
		end();
		epb(0, 1700000000123456ull, frame, sizeof(frame));
		epb(1, 1700000000123456789ull, frame, 14);
		epb(2, (1700000000ull << 20) | (1u << 19), frame, 16);
		FILE *f = fmemopen(file, flen, "rb");
		struct mg_pcapng *r;
		char err[256];
		assert_int_equal(mg_pcapng_open(&r, f, "t.pcapng", err, sizeof(err)), 0);
		assert_int_equal(mg_pcapng_next(r, &pk), 1);
		assert_int_equal(pk.dlt, 1);
		assert_int_equal(pk.caplen, sizeof(frame));
		assert_true(pk.ts_us == 1700000000123456ull);
		assert_memory_equal(pk.data, frame, sizeof(frame));
		assert_int_equal(mg_pcapng_next(r, &pk), 1);
		assert_int_equal(pk.dlt, 113);
		assert_int_equal(pk.iface, 1);
		assert_true(pk.ts_us == 1700000000123456ull);
		assert_int_equal(mg_pcapng_next(r, &pk), 1);
		assert_int_equal(pk.dlt, 127);
		assert_true(pk.ts_us == 1700000000500000ull);
		assert_int_equal(mg_pcapng_next(r, &pk), 0);
		assert_false(mg_pcapng_truncated(r));
		mg_pcapng_free(r);
		fclose(f);
	}
}

/* SPB (interface 0, no time) and the obsolete PB; a new section resets the
 * interfaces. */
static void test_spb_pb_sections(void **state)
{
	struct mg_pcapng_pkt pk;
	(void)state;
	big = false;
	flen = 0;
	shb();
	idb(1, 16, -1);
	begin(3); /* SPB: original length 20, 20 bytes, snaplen 16 */
	put(20, 4);
	memcpy(file + flen, frame, 20);
	flen += 20;
	end();
	begin(2); /* PB */
	put(0, 2);
	put(0, 2);
	put(0, 4);
	put(5000000, 4);
	put(14, 4);
	put(60, 4);
	memcpy(file + flen, frame, 14);
	flen += 14;
	end();
	big = true; /* a big-endian section, with an NFLOG interface */
	shb();
	idb(239, 65535, -1);
	uint8_t nf[16] = {2, 0, 0, 1, 0, 12, 0, 9, 0x45, 0, 0, 8, 0, 0, 0, 0};
	epb(0, 1, nf, sizeof(nf));
	struct mg_pcapng *r = open_file();
	assert_int_equal(mg_pcapng_next(r, &pk), 1);
	assert_int_equal(pk.caplen, 16);
	assert_int_equal(pk.wirelen, 20);
	assert_true(pk.ts_us == 0);
	assert_int_equal(mg_pcapng_next(r, &pk), 1);
	assert_int_equal(pk.caplen, 14);
	assert_int_equal(pk.wirelen, 60);
	assert_true(pk.ts_us == 5000000); /* 5 s in microseconds */
	assert_int_equal(mg_pcapng_next(r, &pk), 1);
	assert_int_equal(pk.dlt, 239);
	uint16_t tl, tt; /* the TLV header in the host's order, as libpcap gives it */
	memcpy(&tl, pk.data + 4, 2);
	memcpy(&tt, pk.data + 6, 2);
	assert_int_equal(tl, 12);
	assert_int_equal(tt, 9);
	assert_int_equal(mg_pcapng_next(r, &pk), 0);
	done(r);
}

/* Each damage: the error names the block's offset, or the end is a warning. */
static void test_errors(void **state)
{
	struct mg_pcapng_pkt pk;
	char want[128];
	(void)state;
	big = false;

	/* packet on an interface the section does not describe */
	flen = 0;
	shb();
	idb(1, 65535, -1);
	size_t at = flen;
	epb(3, 0, frame, 14);
	struct mg_pcapng *r = open_file();
	assert_int_equal(mg_pcapng_next(r, &pk), -1);
	snprintf(want, sizeof(want), "t.pcapng: pcapng block at offset %zu: packet on interface 3",
		 at);
	assert_non_null(strstr(mg_pcapng_errstr(r), want));
	done(r);

	/* a captured length larger than the block */
	flen = at;
	epb(0, 0, frame, 14);
	file[at + 20] = 200;
	r = open_file();
	assert_int_equal(mg_pcapng_next(r, &pk), -1);
	assert_non_null(strstr(mg_pcapng_errstr(r), "packet of 200 bytes in a block of"));
	done(r);

	/* trailing length that differs, a length not a multiple of 4 */
	file[at + 20] = 14;
	file[flen - 4] = 0;
	r = open_file();
	assert_int_equal(mg_pcapng_next(r, &pk), -1);
	assert_non_null(strstr(mg_pcapng_errstr(r), "trailing length"));
	done(r);
	file[at + 4] = 45;
	r = open_file();
	assert_int_equal(mg_pcapng_next(r, &pk), -1);
	assert_non_null(strstr(mg_pcapng_errstr(r), "bad length 45"));
	done(r);

	/* the file ends inside a block: end of file, with a warning */
	flen = at;
	epb(0, 0, frame, 14);
	flen -= 6;
	r = open_file();
	assert_int_equal(mg_pcapng_next(r, &pk), 0);
	assert_true(mg_pcapng_truncated(r));
	assert_non_null(strstr(mg_pcapng_errstr(r), "truncated"));
	done(r);

	/* an option running past its block; a time resolution out of range */
	flen = 0;
	shb();
	at = flen;
	idb(1, 65535, 0x7f);
	r = open_file();
	assert_int_equal(mg_pcapng_next(r, &pk), -1);
	assert_non_null(strstr(mg_pcapng_errstr(r), "time resolution 10^-127"));
	done(r);
	file[at + 18] = 40;
	r = open_file();
	assert_int_equal(mg_pcapng_next(r, &pk), -1);
	assert_non_null(strstr(mg_pcapng_errstr(r), "runs past the block"));
	done(r);

	/* not pcapng; a bad byte-order magic; a version 2 section */
	char err[256];
	struct mg_pcapng *x;
	FILE *f = fmemopen((void *)(uintptr_t)"\xd4\xc3\xb2\xa1 pcap, not pcapng", 24, "rb");
	assert_int_equal(mg_pcapng_open(&x, f, "p.pcap", err, sizeof(err)), -22);
	assert_non_null(strstr(err, "p.pcap: not a pcapng file"));
	fclose(f);
	flen = 0;
	shb();
	file[8] = 0x11;
	f = fmemopen(file, flen, "rb");
	assert_int_equal(mg_pcapng_open(&x, f, "t.pcapng", err, sizeof(err)), -22);
	assert_non_null(strstr(err, "offset 0: section header with a bad byte-order magic"));
	fclose(f);
	file[8] = 0x4d;
	file[12] = 2;
	f = fmemopen(file, flen, "rb");
	assert_int_equal(mg_pcapng_open(&x, f, "t.pcapng", err, sizeof(err)), -22);
	assert_non_null(strstr(err, "version 2.0 is not supported"));
	fclose(f);
}

/* Every prefix of a good file reads to a clean end or a warning, in bounds. */
static void test_every_truncation(void **state)
{
	(void)state;
	big = true;
	flen = 0;
	shb();
	idb(1, 65535, 9);
	epb(0, 5, frame, sizeof(frame));
	size_t n = flen;
	for (size_t k = 1; k < n; k++) {
		struct mg_pcapng *r;
		struct mg_pcapng_pkt pk;
		char err[256];
		uint8_t *copy = test_malloc(k);
		memcpy(copy, file, k);
		FILE *f = fmemopen(copy, k, "rb");
		if (mg_pcapng_open(&r, f, "t", err, sizeof(err)) == 0) {
			while (mg_pcapng_next(r, &pk) == 1)
				assert_true(pk.caplen <= k);
			mg_pcapng_free(r);
		}
		fclose(f);
		test_free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interfaces_differ),
		cmocka_unit_test(test_spb_pb_sections),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_every_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

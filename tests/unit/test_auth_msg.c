/*
 * test_auth_msg.c - unit tests for the DH-HMAC-CHAP messages
 * (proto/auth_msg.c). Messages are written here byte by byte at the
 * offsets of NVMe Base "Authentication" (and of the kernel's struct
 * nvmf_auth_dhchap_*), never with the code's own structures: the Negotiate
 * a Linux host sends, Replies with and without DH value and C2, Success2,
 * Failure2 in both AUTH_TYPE spellings; then every hostile variant we can
 * think of (each truncation, counts and lengths that overrun the buffer or
 * disagree with the negotiated hash and group, reserved bytes, unknown
 * types) with the reason code the controller must answer; and the exact
 * bytes of the controller's Challenge, Success1 and Failure1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "proto/auth_msg.h"
#include "proto/dhchap.h"
#include "unit_hex.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- AUTH_Negotiate ------------------------------------------------------- */

/* What Linux sends: one DH-HMAC-CHAP descriptor offering SHA-256, -384,
 * -512 and the NULL group and ffdhe2048..8192 (72 bytes). */
static size_t linux_negotiate(uint8_t *b, uint16_t tid)
{
	memset(b, 0, 72);
	b[0] = 0x00;             /* AUTH_TYPE: common */
	b[1] = 0x00;             /* AUTH_ID: negotiate */
	put16(b + 4, tid);
	b[6] = 0x00;             /* SC_C */
	b[7] = 1;                /* NAPD */
	b[8] = 0x01;             /* AUTHID: DH-HMAC-CHAP */
	b[10] = 3;               /* HALEN */
	b[11] = 6;               /* DHLEN */
	b[12] = 1, b[13] = 2, b[14] = 3;
	for (int i = 0; i < 6; i++)
		b[12 + 30 + i] = (uint8_t)i;
	return 72;
}

static void test_peek(void **state)
{
	uint8_t b[72], type = 9, id = 9;
	uint16_t tid = 0;

	(void)state;
	linux_negotiate(b, 0xbeef);
	assert_int_equal(kt_auth_msg_peek(b, 6, &type, &id, &tid), 0);
	assert_int_equal(type, 0);
	assert_int_equal(id, 0);
	assert_int_equal(tid, 0xbeef);
	assert_int_equal(kt_auth_msg_peek(b, 5, &type, &id, &tid), KT_AUTH_INCORRECT_PAYLOAD);
	assert_int_equal(kt_auth_msg_peek(NULL, 72, &type, &id, &tid), KT_AUTH_INCORRECT_PAYLOAD);
}

static void test_negotiate_linux(void **state)
{
	static const uint8_t ours_h[] = { 3, 2, 1 }, ours_dh[] = { 5, 4, 3, 2, 1, 0 };
	static const uint8_t only256[] = { 1 }, only_null[] = { 0 };
	struct kt_auth_negotiate n;
	uint8_t b[72], h = 0, g = 0;

	(void)state;
	linux_negotiate(b, 0x1234);
	assert_int_equal(kt_auth_negotiate_parse(b, 72, &n), 0);
	assert_int_equal(n.tid, 0x1234);
	assert_int_equal(n.sc_c, 0);
	assert_int_equal(n.nhash, 3);
	assert_int_equal(n.ndh, 6);
	assert_memory_equal(n.hash, ((uint8_t[]){ 1, 2, 3 }), 3);
	assert_memory_equal(n.dh, ((uint8_t[]){ 0, 1, 2, 3, 4, 5 }), 6);

	assert_int_equal(kt_auth_negotiate_select(&n, ours_h, 3, ours_dh, 6, &h, &g), 0);
	assert_int_equal(h, 3);
	assert_int_equal(g, 5);
	assert_int_equal(kt_auth_negotiate_select(&n, only256, 1, only_null, 1, &h, &g), 0);
	assert_int_equal(h, 1);
	assert_int_equal(g, 0);

	/* the host offers only SHA-384 and ffdhe3072 */
	b[10] = 1, b[12] = 2;
	b[11] = 1, b[42] = 2;
	assert_int_equal(kt_auth_negotiate_parse(b, 72, &n), 0);
	assert_int_equal(kt_auth_negotiate_select(&n, only256, 1, ours_dh, 6, &h, &g),
			 KT_AUTH_HASH_UNUSABLE);
	assert_int_equal(kt_auth_negotiate_select(&n, ours_h, 3, only_null, 1, &h, &g),
			 KT_AUTH_DHGROUP_UNUSABLE);
	/* ids we do not know in our own list are skipped */
	assert_int_equal(kt_auth_negotiate_select(&n, (uint8_t[]){ 7, 2 }, 2,
						  (uint8_t[]){ 9, 2 }, 2, &h, &g), 0);
	assert_int_equal(h, 2);
	assert_int_equal(g, 2);
}

static void test_negotiate_two_descriptors(void **state)
{
	struct kt_auth_negotiate n;
	uint8_t b[8 + 128];

	(void)state;
	memset(b, 0, sizeof(b));
	b[7] = 2;                         /* NAPD */
	b[8] = 0x7e, b[10] = 1, b[11] = 1; /* an unknown protocol first */
	b[8 + 64] = 0x01;                 /* then DH-HMAC-CHAP */
	b[8 + 64 + 2] = 1, b[8 + 64 + 3] = 1;
	b[8 + 64 + 4] = 3;                /* SHA-512 */
	b[8 + 64 + 4 + 30] = 4;           /* ffdhe6144 */
	assert_int_equal(kt_auth_negotiate_parse(b, sizeof(b), &n), 0);
	assert_int_equal(n.nhash, 1);
	assert_int_equal(n.hash[0], 3);
	assert_int_equal(n.dh[0], 4);
	/* no DH-HMAC-CHAP descriptor at all */
	b[8 + 64] = 0x02;
	assert_int_equal(kt_auth_negotiate_parse(b, sizeof(b), &n), KT_AUTH_PROTOCOL_UNUSABLE);
}

static void expect_negotiate(const uint8_t *b, size_t len, uint8_t want)
{
	struct kt_auth_negotiate n;

	assert_int_equal(kt_auth_negotiate_parse(b, len, &n), want);
}

static void test_negotiate_hostile(void **state)
{
	uint8_t b[200], m[200];

	(void)state;
	linux_negotiate(b, 1);
	/* every truncation, and one byte too many */
	for (size_t len = 0; len < 72; len++)
		expect_negotiate(b, len, KT_AUTH_INCORRECT_PAYLOAD);
	b[72] = 0;
	expect_negotiate(b, 73, KT_AUTH_INCORRECT_PAYLOAD);
	expect_negotiate(NULL, 72, KT_AUTH_INCORRECT_PAYLOAD);
	/* NAPD says more descriptors than there are; none at all */
	memcpy(m, b, 72), m[7] = 2;
	expect_negotiate(m, 72, KT_AUTH_INCORRECT_PAYLOAD);
	memcpy(m, b, 72), m[7] = 255;
	expect_negotiate(m, 72, KT_AUTH_INCORRECT_PAYLOAD);
	memcpy(m, b, 72), m[7] = 0;
	expect_negotiate(m, 8, KT_AUTH_PROTOCOL_UNUSABLE);
	/* another message, another type */
	memcpy(m, b, 72), m[0] = 0x01;
	expect_negotiate(m, 72, KT_AUTH_INCORRECT_MESSAGE);
	memcpy(m, b, 72), m[1] = 0x02;
	expect_negotiate(m, 72, KT_AUTH_INCORRECT_MESSAGE);
	/* reserved bytes: message bytes 2-3, descriptor byte 1 */
	memcpy(m, b, 72), m[2] = 1;
	expect_negotiate(m, 72, KT_AUTH_INCORRECT_PAYLOAD);
	memcpy(m, b, 72), m[3] = 0x80;
	expect_negotiate(m, 72, KT_AUTH_INCORRECT_PAYLOAD);
	memcpy(m, b, 72), m[9] = 1;
	expect_negotiate(m, 72, KT_AUTH_INCORRECT_PAYLOAD);
	/* list lengths beyond their 30 slots, and empty lists */
	memcpy(m, b, 72), m[10] = 31;
	expect_negotiate(m, 72, KT_AUTH_INCORRECT_PAYLOAD);
	memcpy(m, b, 72), m[11] = 200;
	expect_negotiate(m, 72, KT_AUTH_INCORRECT_PAYLOAD);
	memcpy(m, b, 72), m[10] = 0;
	expect_negotiate(m, 72, KT_AUTH_HASH_UNUSABLE);
	memcpy(m, b, 72), m[11] = 0;
	expect_negotiate(m, 72, KT_AUTH_DHGROUP_UNUSABLE);
	/* 30 is the limit, allowed */
	memcpy(m, b, 72), m[10] = 30, m[11] = 30;
	expect_negotiate(m, 72, 0);
	/* SC_C: 0..3 are the caller's to judge, above is a mismatch */
	memcpy(m, b, 72), m[6] = 2;
	expect_negotiate(m, 72, 0);
	memcpy(m, b, 72), m[6] = 4;
	expect_negotiate(m, 72, KT_AUTH_CONCAT_MISMATCH);
	/* the wrong protocol id in the only descriptor */
	memcpy(m, b, 72), m[8] = 0;
	expect_negotiate(m, 72, KT_AUTH_PROTOCOL_UNUSABLE);
}

/* ---- DH-HMAC-CHAP_Reply ------------------------------------------------------ */

/* A Reply for SHA-256 and ffdhe2048: R1 = 0xa1.., C2 = 0xc2.., DH = 0xd0... */
static size_t reply(uint8_t *b, uint8_t hl, uint8_t cvalid, uint16_t dhvlen, uint32_t seq)
{
	memset(b, 0, 16);
	b[0] = 0x01;             /* AUTH_TYPE: DH-HMAC-CHAP */
	b[1] = 0x02;             /* AUTH_ID: reply */
	put16(b + 4, 0x0102);
	b[6] = hl;
	b[8] = cvalid;
	put16(b + 10, dhvlen);
	put32(b + 12, seq);
	memset(b + 16, 0xa1, hl);
	memset(b + 16 + hl, cvalid ? 0xc2 : 0, hl);
	memset(b + 16 + 2 * hl, 0xd0, dhvlen);
	return 16u + 2u * hl + dhvlen;
}

static void test_reply(void **state)
{
	static uint8_t b[16 + 128 + 1024];
	struct kt_auth_reply r;
	size_t n;

	(void)state;
	n = reply(b, 32, 1, 256, 0x9abcdef0);
	assert_int_equal(n, 336);
	assert_int_equal(kt_auth_reply_parse(b, n, KT_DHCHAP_SHA256, KT_DHCHAP_FFDHE2048, &r), 0);
	assert_int_equal(r.tid, 0x0102);
	assert_int_equal(r.hl, 32);
	assert_true(r.cvalid);
	assert_int_equal(r.seqnum, 0x9abcdef0);
	assert_int_equal(r.dhvlen, 256);
	assert_ptr_equal(r.rval, b + 16);
	assert_ptr_equal(r.c2, b + 48);
	assert_ptr_equal(r.dhv, b + 80);

	/* NULL group, no C2: C2's bytes are there all the same (Linux sends them) */
	n = reply(b, 64, 0, 0, 0);
	assert_int_equal(kt_auth_reply_parse(b, n, KT_DHCHAP_SHA512, KT_DHCHAP_DH_NULL, &r), 0);
	assert_false(r.cvalid);
	assert_null(r.c2);
	assert_null(r.dhv);
	assert_int_equal(r.dhvlen, 0);

	/* C2 with S2 = 0: C2 only for a generated PSK; the parser passes it on */
	n = reply(b, 48, 1, 384, 0);
	assert_int_equal(kt_auth_reply_parse(b, n, KT_DHCHAP_SHA384, KT_DHCHAP_FFDHE3072, &r), 0);
	assert_true(r.cvalid);
	assert_int_equal(r.seqnum, 0);

	/* the largest: SHA-512 and ffdhe8192 */
	n = reply(b, 64, 1, 1024, 5);
	assert_int_equal(n, sizeof(b));
	assert_int_equal(kt_auth_reply_parse(b, n, KT_DHCHAP_SHA512, KT_DHCHAP_FFDHE8192, &r), 0);
}

static void expect_reply(const uint8_t *b, size_t len, uint8_t hash, uint8_t g, uint8_t want)
{
	struct kt_auth_reply r;

	assert_int_equal(kt_auth_reply_parse(b, len, hash, g, &r), want);
	if (want) {
		assert_null(r.rval);
		assert_null(r.dhv);
	}
}

static void test_reply_hostile(void **state)
{
	static uint8_t b[400], m[400];
	size_t n;

	(void)state;
	n = reply(b, 32, 1, 256, 7);
	for (size_t len = 0; len < n; len++)
		expect_reply(b, len, 1, 1, KT_AUTH_INCORRECT_PAYLOAD);
	expect_reply(b, n + 1, 1, 1, KT_AUTH_INCORRECT_PAYLOAD);
	/* HL not the negotiated hash's */
	memcpy(m, b, n), m[6] = 48;
	expect_reply(m, n, 1, 1, KT_AUTH_INCORRECT_PAYLOAD);
	memcpy(m, b, n), m[6] = 0;
	expect_reply(m, n, 1, 1, KT_AUTH_INCORRECT_PAYLOAD);
	memcpy(m, b, n), m[6] = 255;
	expect_reply(m, n, 1, 1, KT_AUTH_INCORRECT_PAYLOAD);
	/* DHVLEN not the group's: short, huge, present for NULL, absent for a group */
	memcpy(m, b, n), put16(m + 10, 255);
	expect_reply(m, n, 1, 1, KT_AUTH_INCORRECT_PAYLOAD);
	memcpy(m, b, n), put16(m + 10, 0xffff);
	expect_reply(m, n, 1, 1, KT_AUTH_INCORRECT_PAYLOAD);
	expect_reply(b, n, 1, KT_DHCHAP_DH_NULL, KT_AUTH_INCORRECT_PAYLOAD);
	memcpy(m, b, n), put16(m + 10, 0);
	expect_reply(m, 80, 1, 1, KT_AUTH_INCORRECT_PAYLOAD);
	/* a DH value for a bigger group than negotiated */
	expect_reply(b, n, 1, KT_DHCHAP_FFDHE3072, KT_AUTH_INCORRECT_PAYLOAD);
	/* CVALID other than 0/1; reserved bytes 2, 3, 7, 9 */
	memcpy(m, b, n), m[8] = 2;
	expect_reply(m, n, 1, 1, KT_AUTH_INCORRECT_PAYLOAD);
	for (int off = 2; off <= 9; off++) {
		if (off >= 4 && off <= 6)
			continue;
		if (off == 8)
			continue;
		memcpy(m, b, n), m[off] = 1;
		expect_reply(m, n, 1, 1, KT_AUTH_INCORRECT_PAYLOAD);
	}
	/* another message */
	memcpy(m, b, n), m[0] = 0;
	expect_reply(m, n, 1, 1, KT_AUTH_INCORRECT_MESSAGE);
	memcpy(m, b, n), m[1] = 4;
	expect_reply(m, n, 1, 1, KT_AUTH_INCORRECT_MESSAGE);
	/* our own state broken: no hash negotiated, an unknown group */
	expect_reply(b, n, 0, 1, KT_AUTH_FAILED);
	expect_reply(b, n, 1, 9, KT_AUTH_FAILED);
}

/* ---- Success2, Failure2 --------------------------------------------------- */

static void test_success2(void **state)
{
	uint8_t b[17] = { 0x01, 0x04, 0, 0, 0x34, 0x12 };
	uint16_t tid = 0;

	(void)state;
	assert_int_equal(kt_auth_success2_parse(b, 16, &tid), 0);
	assert_int_equal(tid, 0x1234);
	for (size_t len = 0; len < 16; len++)
		assert_int_equal(kt_auth_success2_parse(b, len, &tid), KT_AUTH_INCORRECT_PAYLOAD);
	assert_int_equal(kt_auth_success2_parse(b, 17, &tid), KT_AUTH_INCORRECT_PAYLOAD);
	for (int off = 6; off < 16; off++) {
		b[off] = 1;
		assert_int_equal(kt_auth_success2_parse(b, 16, &tid), KT_AUTH_INCORRECT_PAYLOAD);
		b[off] = 0;
	}
	b[3] = 1;
	assert_int_equal(kt_auth_success2_parse(b, 16, &tid), KT_AUTH_INCORRECT_PAYLOAD);
	b[3] = 0, b[1] = 0x03;
	assert_int_equal(kt_auth_success2_parse(b, 16, &tid), KT_AUTH_INCORRECT_MESSAGE);
	b[1] = 0x04, b[0] = 0x00;
	assert_int_equal(kt_auth_success2_parse(b, 16, &tid), KT_AUTH_INCORRECT_MESSAGE);
}

static void test_failure(void **state)
{
	uint8_t b[9] = { 0x00, 0xf0, 0, 0, 0x02, 0x01, 0x01, 0x01 };
	struct kt_auth_failure_msg f;

	(void)state;
	assert_int_equal(kt_auth_failure_parse(b, 8, &f), 0);
	assert_int_equal(f.auth_id, KT_AUTH_FAILURE2);
	assert_int_equal(f.tid, 0x0102);
	assert_int_equal(f.rescode, 1);
	assert_int_equal(f.rescode_exp, KT_AUTH_FAILED);
	/* AUTH_TYPE DH-HMAC-CHAP, as the first Linux hosts wrote it */
	b[0] = 0x01;
	assert_int_equal(kt_auth_failure_parse(b, 8, &f), 0);
	/* Failure1, for a host */
	b[1] = 0xf1;
	assert_int_equal(kt_auth_failure_parse(b, 8, &f), 0);
	assert_int_equal(f.auth_id, KT_AUTH_FAILURE1);
	b[1] = 0xf0;
	for (size_t len = 0; len < 8; len++)
		assert_int_equal(kt_auth_failure_parse(b, len, &f), KT_AUTH_INCORRECT_PAYLOAD);
	assert_int_equal(kt_auth_failure_parse(b, 9, &f), KT_AUTH_INCORRECT_PAYLOAD);
	b[6] = 0x02;  /* no such reason code */
	assert_int_equal(kt_auth_failure_parse(b, 8, &f), KT_AUTH_INCORRECT_PAYLOAD);
	b[6] = 0x01, b[2] = 1;
	assert_int_equal(kt_auth_failure_parse(b, 8, &f), KT_AUTH_INCORRECT_PAYLOAD);
	b[2] = 0, b[0] = 0x02;
	assert_int_equal(kt_auth_failure_parse(b, 8, &f), KT_AUTH_INCORRECT_MESSAGE);
	b[0] = 0x00, b[1] = 0x04;
	assert_int_equal(kt_auth_failure_parse(b, 8, &f), KT_AUTH_INCORRECT_MESSAGE);
}

/* ---- the controller's messages --------------------------------------------- */

static void test_build_challenge(void **state)
{
	static uint8_t b[16 + 64 + 1024], dhv[256];
	uint8_t c1[32], want[48];
	struct kt_auth_challenge c;
	int n;

	(void)state;
	for (int i = 0; i < 32; i++)
		c1[i] = (uint8_t)(0xc0 + i);
	/* SHA-256, NULL group: 16 + 32 bytes */
	n = kt_auth_challenge_build(b, sizeof(b), 0xabcd, 1, 0x12345678, c1, 0, NULL, 0);
	assert_int_equal(n, 48);
	unit_unhex("01010000cdab20000100000078563412"
		   "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf", want, 48);
	assert_memory_equal(b, want, 48);
	assert_int_equal(kt_auth_challenge_parse(b, 48, &c), 0);
	assert_int_equal(c.tid, 0xabcd);
	assert_int_equal(c.hash_id, 1);
	assert_int_equal(c.hl, 32);
	assert_int_equal(c.dhgid, 0);
	assert_int_equal(c.seqnum, 0x12345678);
	assert_ptr_equal(c.c1, b + 16);
	assert_null(c.dhv);

	/* ffdhe2048: DHGID 1, DHVLEN 0100h, the value after C1 */
	memset(dhv, 0x5a, sizeof(dhv));
	n = kt_auth_challenge_build(b, sizeof(b), 1, 1, 2, c1, 1, dhv, 256);
	assert_int_equal(n, 16 + 32 + 256);
	unit_unhex("01010000010020000101000102000000", want, 16);
	assert_memory_equal(b, want, 16);
	assert_memory_equal(b + 48, dhv, 256);
	assert_int_equal(kt_auth_challenge_parse(b, (size_t)n, &c), 0);
	assert_ptr_equal(c.dhv, b + 48);
	/* a Linux target returns its whole AL: trailing bytes are fine */
	assert_int_equal(kt_auth_challenge_parse(b, sizeof(b), &c), 0);

	/* refusals: too small, DH value of the wrong length or missing,
	 * unknown hash or group */
	assert_int_equal(kt_auth_challenge_build(b, 303, 1, 1, 2, c1, 1, dhv, 256), -ENOSPC);
	assert_int_equal(kt_auth_challenge_build(NULL, 0, 1, 1, 2, c1, 0, NULL, 0), -ENOSPC);
	assert_int_equal(kt_auth_challenge_build(b, sizeof(b), 1, 1, 2, c1, 1, dhv, 255), -EINVAL);
	assert_int_equal(kt_auth_challenge_build(b, sizeof(b), 1, 1, 2, c1, 1, NULL, 256), -EINVAL);
	assert_int_equal(kt_auth_challenge_build(b, sizeof(b), 1, 1, 2, c1, 0, dhv, 256), -EINVAL);
	assert_int_equal(kt_auth_challenge_build(b, sizeof(b), 1, 4, 2, c1, 0, NULL, 0), -EINVAL);
	assert_int_equal(kt_auth_challenge_build(b, sizeof(b), 1, 1, 2, c1, 6, NULL, 0), -EINVAL);
	assert_int_equal(kt_auth_challenge_build(b, sizeof(b), 1, 1, 2, NULL, 0, NULL, 0), -EINVAL);
}

static void test_challenge_parse_hostile(void **state)
{
	static uint8_t b[400], m[400];
	uint8_t c1[32] = { 0 }, dhv[256] = { 0 };
	struct kt_auth_challenge c;
	int n;

	(void)state;
	n = kt_auth_challenge_build(b, sizeof(b), 1, 1, 2, c1, 1, dhv, 256);
	for (int len = 0; len < n; len++)
		assert_int_equal(kt_auth_challenge_parse(b, (size_t)len, &c), KT_AUTH_INCORRECT_PAYLOAD);
	memcpy(m, b, (size_t)n), m[8] = 4;
	assert_int_equal(kt_auth_challenge_parse(m, (size_t)n, &c), KT_AUTH_HASH_UNUSABLE);
	memcpy(m, b, (size_t)n), m[9] = 6;
	assert_int_equal(kt_auth_challenge_parse(m, (size_t)n, &c), KT_AUTH_DHGROUP_UNUSABLE);
	memcpy(m, b, (size_t)n), m[6] = 64;
	assert_int_equal(kt_auth_challenge_parse(m, (size_t)n, &c), KT_AUTH_INCORRECT_PAYLOAD);
	memcpy(m, b, (size_t)n), put16(m + 10, 0xffff);
	assert_int_equal(kt_auth_challenge_parse(m, (size_t)n, &c), KT_AUTH_INCORRECT_PAYLOAD);
	memcpy(m, b, (size_t)n), m[7] = 1;
	assert_int_equal(kt_auth_challenge_parse(m, (size_t)n, &c), KT_AUTH_INCORRECT_PAYLOAD);
	memcpy(m, b, (size_t)n), m[1] = 2;
	assert_int_equal(kt_auth_challenge_parse(m, (size_t)n, &c), KT_AUTH_INCORRECT_MESSAGE);
}

static void test_build_success1(void **state)
{
	uint8_t b[16 + 64], r2[48], want[16];
	struct kt_auth_success1 s;
	int n;

	(void)state;
	/* no R2: HL still set, RVALID 0, 16 bytes */
	n = kt_auth_success1_build(b, sizeof(b), 0x0102, KT_DHCHAP_SHA384, NULL);
	assert_int_equal(n, 16);
	unit_unhex("01030000020130000000000000000000", want, 16);
	assert_memory_equal(b, want, 16);
	assert_int_equal(kt_auth_success1_parse(b, 16, KT_DHCHAP_SHA384, &s), 0);
	assert_false(s.rvalid);
	assert_null(s.rval);
	/* with R2 */
	memset(r2, 0x77, sizeof(r2));
	n = kt_auth_success1_build(b, sizeof(b), 0x0102, KT_DHCHAP_SHA384, r2);
	assert_int_equal(n, 64);
	unit_unhex("01030000020130000100000000000000", want, 16);
	assert_memory_equal(b, want, 16);
	assert_memory_equal(b + 16, r2, 48);
	assert_int_equal(kt_auth_success1_parse(b, 64, KT_DHCHAP_SHA384, &s), 0);
	assert_true(s.rvalid);
	assert_ptr_equal(s.rval, b + 16);
	/* hostile for a host: truncated R2, HL of another hash, RVALID 2,
	 * reserved bytes */
	assert_int_equal(kt_auth_success1_parse(b, 63, KT_DHCHAP_SHA384, &s), KT_AUTH_INCORRECT_PAYLOAD);
	assert_int_equal(kt_auth_success1_parse(b, 64, KT_DHCHAP_SHA256, &s), KT_AUTH_INCORRECT_PAYLOAD);
	b[8] = 2;
	assert_int_equal(kt_auth_success1_parse(b, 64, KT_DHCHAP_SHA384, &s), KT_AUTH_INCORRECT_PAYLOAD);
	b[8] = 1, b[15] = 1;
	assert_int_equal(kt_auth_success1_parse(b, 64, KT_DHCHAP_SHA384, &s), KT_AUTH_INCORRECT_PAYLOAD);
	/* too small a buffer, unknown hash */
	assert_int_equal(kt_auth_success1_build(b, 63, 1, KT_DHCHAP_SHA384, r2), -ENOSPC);
	assert_int_equal(kt_auth_success1_build(b, 15, 1, KT_DHCHAP_SHA384, NULL), -ENOSPC);
	assert_int_equal(kt_auth_success1_build(b, sizeof(b), 1, 0, NULL), -EINVAL);
}

static void test_build_failure1(void **state)
{
	uint8_t b[8], want[8];
	struct kt_auth_failure_msg f;

	(void)state;
	assert_int_equal(kt_auth_failure1_build(b, sizeof(b), 0xa55a, KT_AUTH_HASH_UNUSABLE), 8);
	unit_unhex("00f100005aa50104", want, 8);
	assert_memory_equal(b, want, 8);
	assert_int_equal(kt_auth_failure_parse(b, 8, &f), 0);
	assert_int_equal(f.auth_id, KT_AUTH_FAILURE1);
	assert_int_equal(f.rescode_exp, KT_AUTH_HASH_UNUSABLE);
	assert_int_equal(kt_auth_failure1_build(b, 7, 1, KT_AUTH_FAILED), -ENOSPC);
	assert_int_equal(kt_auth_failure1_build(b, 8, 1, 0), -EINVAL);
	assert_int_equal(kt_auth_failure1_build(b, 8, 1, 8), -EINVAL);
	/* the host's Failure2: the same layout, AUTH_ID f0h */
	assert_int_equal(kt_auth_failure2_build(b, sizeof(b), 0x1234, KT_AUTH_FAILED), 8);
	unit_unhex("00f0000034120101", want, 8);
	assert_memory_equal(b, want, 8);
	assert_int_equal(kt_auth_failure_parse(b, 8, &f), 0);
	assert_int_equal(f.auth_id, KT_AUTH_FAILURE2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_negotiate_linux),
		cmocka_unit_test(test_negotiate_two_descriptors),
		cmocka_unit_test(test_negotiate_hostile),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_reply_hostile),
		cmocka_unit_test(test_success2),
		cmocka_unit_test(test_failure),
		cmocka_unit_test(test_build_challenge),
		cmocka_unit_test(test_challenge_parse_hostile),
		cmocka_unit_test(test_build_success1),
		cmocka_unit_test(test_build_failure1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

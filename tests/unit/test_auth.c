/*
 * test_auth.c - proto/auth.c, a queue's DH-HMAC-CHAP state machine, byte
 * by byte with fixed randomness and sequence numbers: a unidirectional and
 * a bidirectional transaction (the host's side computed with proto's
 * kt_dhchap_host_response/ctrl_response), a wrong response, a wrong T_ID,
 * a message out of turn, the timeout, the SQE checks of Authentication
 * Send/Receive, and secure channel concatenation (which queue may ask for
 * it, and the generated PSK of an ffdhe2048 transaction).
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/auth.h"
#include "proto/cmd.h"
#include "proto/tls_psk.h"

#define KEY1 "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"
#define KEYC "DHHC-1:00:ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoOeXryU:"
#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:host"
#define SUBNQN "nqn.2026-11.io.kato:test"
#define TID 0x1234
#define S1 0x01020304u

static int fixed_rand(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	memset(buf, 0xa5, len);
	return 0;
}

static uint32_t fixed_seq(void *ctx)
{
	(void)ctx;
	return S1;
}

static bool with_ctrl_key;

static void keys(void *ctx, struct kt_auth_keys *out)
{
	struct kt_dhchap_key *k = NULL;
	(void)ctx;
	memset(out, 0, sizeof(*out));
	out->hash_id = KT_DHCHAP_SHA256;
	out->dhgid = KT_DHCHAP_DH_NULL;
	assert_int_equal(kt_dhchap_key_parse(KEY1, &k, NULL), 0);
	out->host_key = *k;
	out->has_host_key = true;
	kt_dhchap_key_free(k);
	if (with_ctrl_key) {
		assert_int_equal(kt_dhchap_key_parse(KEYC, &k, NULL), 0);
		out->ctrl_key = *k;
		out->has_ctrl_key = true;
		kt_dhchap_key_free(k);
	}
}

static const struct kt_auth_ctx CTX = {
	.hostnqn = HOSTNQN, .subnqn = SUBNQN, .kato_ms = 5000, .keys = keys,
	.rnd = fixed_rand, .seqnum = fixed_seq,
};

static size_t negotiate(uint8_t *b, uint8_t hash, uint8_t dh)
{
	memset(b, 0, 72);
	b[0] = KT_AUTH_COMMON;
	b[1] = KT_AUTH_NEGOTIATE;
	b[4] = TID & 0xff;
	b[5] = TID >> 8;
	b[7] = 1;      /* napd */
	b[8] = 1;      /* authid */
	b[10] = 1;     /* halen */
	b[11] = 1;     /* dhlen */
	b[12] = hash;
	b[12 + 30] = dh;
	return 72;
}

/* Negotiate, then the Challenge: its bytes exactly. */
static void start(struct kt_auth_q *a, uint8_t *buf)
{
	struct kt_auth_result res;
	uint32_t xfer;
	kt_auth_q_init(a, true);
	assert_false(kt_auth_q_open(a));
	size_t n = negotiate(buf, KT_DHCHAP_SHA256, KT_DHCHAP_DH_NULL);
	assert_int_equal(kt_auth_send(a, &CTX, buf, (uint32_t)n, 1000, &res), 0);
	assert_int_equal(res.event, KT_AUTH_EV_NONE);
	assert_int_equal(a->step, KT_AUTH_ST_CHALLENGE);
	assert_int_equal(a->deadline_ms, 16000); /* KATO 5 s: the 15 s floor */
	memset(buf, 0xee, 4096);
	/* the Challenge goes out 1 s later (our DH value took that long): the
	 * host's time for the Reply starts now */
	assert_int_equal(kt_auth_receive(a, &CTX, buf, 4096, &xfer, 2000, &res), 0);
	assert_int_equal(a->deadline_ms, 17000);
	assert_int_equal(xfer, 4096);
	static const uint8_t hdr[16] = { 1, 1, 0, 0, 0x34, 0x12, 32, 0, 1, 0, 0, 0, 4, 3, 2, 1 };
	assert_memory_equal(buf, hdr, 16);
	for (int i = 16; i < 48; i++)
		assert_int_equal(buf[i], 0xa5);
	for (int i = 48; i < 4096; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(a->step, KT_AUTH_ST_REPLY);
}

/* The host's Reply, R1 from proto's host side (flip: a wrong one). */
static size_t reply(uint8_t *b, bool flip, bool c2, uint16_t tid)
{
	struct kt_dhchap_key *k = NULL;
	uint8_t c1[32];
	memset(c1, 0xa5, sizeof(c1));
	struct kt_dhchap_resp_in in = { .hash_id = 1, .challenge = c1, .seqnum = S1, .tid = TID,
					.hostnqn = HOSTNQN, .subnqn = SUBNQN };
	assert_int_equal(kt_dhchap_key_parse(KEY1, &k, NULL), 0);
	memset(b, 0, 16 + 64);
	b[0] = KT_AUTH_DHCHAP;
	b[1] = KT_AUTH_REPLY;
	b[4] = tid & 0xff;
	b[5] = tid >> 8;
	b[6] = 32;
	assert_int_equal(kt_dhchap_host_response(k, &in, b + 16), 0);
	kt_dhchap_key_free(k);
	if (flip)
		b[16] ^= 1;
	if (c2) {
		b[8] = 1;      /* cvalid */
		b[12] = 7;     /* S2 = 7 */
		memset(b + 48, 0x3c, 32);
	}
	return 16 + 64;
}

static void test_unidirectional(void **state)
{
	(void)state;
	struct kt_auth_q a;
	struct kt_auth_result res;
	uint8_t buf[4096];
	uint32_t xfer;
	with_ctrl_key = false;
	start(&a, buf);
	size_t n = reply(buf, false, false, TID);
	assert_int_equal(kt_auth_send(&a, &CTX, buf, (uint32_t)n, 2000, &res), 0);
	assert_int_equal(res.event, KT_AUTH_EV_SUCCESS);
	assert_false(res.reauth);
	assert_true(kt_auth_q_open(&a));
	assert_int_equal(kt_auth_receive(&a, &CTX, buf, 4096, &xfer, 0, &res), 0);
	static const uint8_t s1[16] = { 1, 3, 0, 0, 0x34, 0x12, 32, 0, 0 };
	assert_memory_equal(buf, s1, 16);
	assert_int_equal(a.step, KT_AUTH_ST_DONE);
	assert_int_equal(a.deadline_ms, 0);

	/* re-authentication: a new Negotiate, then the same again */
	start(&a, buf);
	a.ever_authenticated = true;
	n = reply(buf, false, false, TID);
	assert_int_equal(kt_auth_send(&a, &CTX, buf, (uint32_t)n, 2000, &res), 0);
	assert_int_equal(res.event, KT_AUTH_EV_SUCCESS);
	assert_true(res.reauth);
	kt_auth_q_clear(&a);
}

static void test_wrong_response(void **state)
{
	(void)state;
	struct kt_auth_q a;
	struct kt_auth_result res;
	uint8_t buf[4096];
	uint32_t xfer;
	with_ctrl_key = false;
	start(&a, buf);
	size_t n = reply(buf, true, false, TID);
	assert_int_equal(kt_auth_send(&a, &CTX, buf, (uint32_t)n, 2000, &res), 0);
	assert_int_equal(res.event, KT_AUTH_EV_NONE);
	assert_false(kt_auth_q_open(&a));
	assert_int_equal(kt_auth_receive(&a, &CTX, buf, 4096, &xfer, 0, &res), 0);
	static const uint8_t f1[8] = { 0, 0xf1, 0, 0, 0x34, 0x12, 1, KT_AUTH_FAILED };
	assert_memory_equal(buf, f1, 8);
	assert_int_equal(res.event, KT_AUTH_EV_FAILURE);
	assert_int_equal(res.reason, KT_AUTH_FAILED);
	assert_true(res.fatal);
	assert_false(kt_auth_q_open(&a));
	kt_auth_q_clear(&a);
}

static void test_wrong_tid_and_out_of_turn(void **state)
{
	(void)state;
	struct kt_auth_q a;
	struct kt_auth_result res;
	uint8_t buf[4096];
	uint32_t xfer;
	with_ctrl_key = false;
	start(&a, buf);
	size_t n = reply(buf, false, false, TID + 1);
	assert_int_equal(kt_auth_send(&a, &CTX, buf, (uint32_t)n, 2000, &res), 0);
	assert_int_equal(kt_auth_receive(&a, &CTX, buf, 4096, &xfer, 0, &res), 0);
	assert_int_equal(buf[1], KT_AUTH_FAILURE1);
	assert_int_equal(buf[7], KT_AUTH_INCORRECT_PAYLOAD);
	kt_auth_q_clear(&a);

	/* a Reply before any Negotiate: out of turn, the end */
	kt_auth_q_init(&a, true);
	n = reply(buf, false, false, TID);
	assert_int_equal(kt_auth_send(&a, &CTX, buf, (uint32_t)n, 2000, &res), 0);
	assert_int_equal(res.event, KT_AUTH_EV_FAILURE);
	assert_int_equal(res.reason, KT_AUTH_INCORRECT_MESSAGE);
	assert_true(res.fatal);
	/* a truncated message: Failure1, Incorrect Payload */
	kt_auth_q_init(&a, true);
	assert_int_equal(kt_auth_send(&a, &CTX, buf, 3, 2000, &res), 0);
	assert_int_equal(kt_auth_receive(&a, &CTX, buf, 4096, &xfer, 0, &res), 0);
	assert_int_equal(buf[1], KT_AUTH_FAILURE1);
	assert_int_equal(buf[7], KT_AUTH_INCORRECT_PAYLOAD);
	/* an AL too short for the Challenge: Invalid Field, nothing changes */
	start(&a, buf);
	a.step = KT_AUTH_ST_CHALLENGE;
	assert_int_equal(kt_auth_receive(&a, &CTX, buf, 20, &xfer, 0, &res),
			 KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true));
	assert_int_equal(a.step, KT_AUTH_ST_CHALLENGE);
	kt_auth_q_clear(&a);
}

static void test_bidirectional(void **state)
{
	(void)state;
	struct kt_auth_q a;
	struct kt_auth_result res;
	uint8_t buf[4096], r2[32], c2[32];
	uint32_t xfer;
	with_ctrl_key = true;
	start(&a, buf);
	size_t n = reply(buf, false, true, TID);
	assert_int_equal(kt_auth_send(&a, &CTX, buf, (uint32_t)n, 2000, &res), 0);
	assert_int_equal(res.event, KT_AUTH_EV_NONE); /* not before Success2 */
	assert_false(kt_auth_q_open(&a));
	assert_int_equal(kt_auth_receive(&a, &CTX, buf, 4096, &xfer, 0, &res), 0);
	assert_int_equal(buf[1], KT_AUTH_SUCCESS1);
	assert_int_equal(buf[6], 32);
	assert_int_equal(buf[8], 1);
	struct kt_dhchap_key *k = NULL;
	memset(c2, 0x3c, sizeof(c2));
	struct kt_dhchap_resp_in in = { .hash_id = 1, .challenge = c2, .seqnum = 7, .tid = TID,
					.hostnqn = HOSTNQN, .subnqn = SUBNQN };
	assert_int_equal(kt_dhchap_key_parse(KEYC, &k, NULL), 0);
	assert_int_equal(kt_dhchap_ctrl_response(k, &in, r2), 0);
	kt_dhchap_key_free(k);
	assert_memory_equal(buf + 16, r2, 32);
	assert_int_equal(a.step, KT_AUTH_ST_SUCCESS2);
	uint8_t s2[16] = { 1, 4, 0, 0, 0x34, 0x12 };
	assert_int_equal(kt_auth_send(&a, &CTX, s2, 16, 2500, &res), 0);
	assert_int_equal(res.event, KT_AUTH_EV_SUCCESS);
	assert_true(kt_auth_q_open(&a));
	assert_true(a.bidi);
	kt_auth_q_clear(&a);
}

static void test_expire(void **state)
{
	(void)state;
	struct kt_auth_q a;
	uint8_t buf[4096];
	with_ctrl_key = false;
	start(&a, buf);
	assert_false(kt_auth_expire(&a, 16999));
	assert_true(kt_auth_expire(&a, 17000));
	assert_int_equal(a.step, KT_AUTH_ST_NEGOTIATE);
	assert_false(kt_auth_q_open(&a));
	assert_int_equal(kt_auth_timeout_ms(0), 120000);
	assert_int_equal(kt_auth_timeout_ms(2000), 15000);
	assert_int_equal(kt_auth_timeout_ms(30000), 30000);
	kt_auth_q_clear(&a);
}

/* A Negotiate with SC_C and lists of hashes and groups. */
static size_t negotiate_sc(uint8_t *b, uint8_t sc_c, const uint8_t *hash, uint8_t nhash,
			   const uint8_t *dh, uint8_t ndh)
{
	negotiate(b, 0, 0);
	b[6] = sc_c;
	b[10] = nhash;
	b[11] = ndh;
	memcpy(b + 12, hash, nhash);
	memcpy(b + 12 + 30, dh, ndh);
	return 72;
}

/* The reason a Negotiate was refused for (0: accepted). */
static uint8_t negotiate_reason(const struct kt_auth_ctx *ctx, uint8_t sc_c, const uint8_t *hash,
				uint8_t nhash, const uint8_t *dh, uint8_t ndh)
{
	struct kt_auth_q a;
	struct kt_auth_result res;
	uint8_t buf[4096];
	uint32_t xfer;
	kt_auth_q_init(&a, true);
	size_t n = negotiate_sc(buf, sc_c, hash, nhash, dh, ndh);
	assert_int_equal(kt_auth_send(&a, ctx, buf, (uint32_t)n, 1000, &res), 0);
	uint8_t reason = 0;
	if (a.step == KT_AUTH_ST_FAILURE1) {
		assert_int_equal(kt_auth_receive(&a, ctx, buf, 4096, &xfer, 1000, &res), 0);
		assert_int_equal(buf[1], KT_AUTH_FAILURE1);
		reason = buf[7];
	} else {
		assert_int_equal(a.step, KT_AUTH_ST_CHALLENGE);
	}
	kt_auth_q_clear(&a);
	return reason;
}

static void test_concat_rules(void **state)
{
	(void)state;
	static const uint8_t all_hash[] = { 1, 2, 3 }, sha512[] = { 3 };
	static const uint8_t all_dh[] = { 0, 1, 2, 3, 4, 5 }, null_dh[] = { 0 };
	struct kt_auth_ctx plain = CTX, tls = CTX, io = CTX, no_tls_port = CTX;
	with_ctrl_key = false;
	plain.tls_port = true;
	tls.tls_port = tls.tls_queue = true;
	io.tls_port = true;
	io.qid = 1;
	/* NEWTLSPSK: an admin queue without TLS on a TLS port */
	assert_int_equal(negotiate_reason(&plain, KT_AUTH_SC_NEWTLSPSK, all_hash, 3, all_dh, 6), 0);
	assert_int_equal(negotiate_reason(&tls, KT_AUTH_SC_NEWTLSPSK, all_hash, 3, all_dh, 6),
			 KT_AUTH_CONCAT_MISMATCH);
	assert_int_equal(negotiate_reason(&io, KT_AUTH_SC_NEWTLSPSK, all_hash, 3, all_dh, 6),
			 KT_AUTH_CONCAT_MISMATCH);
	assert_int_equal(negotiate_reason(&no_tls_port, KT_AUTH_SC_NEWTLSPSK, all_hash, 3, all_dh, 6),
			 KT_AUTH_CONCAT_MISMATCH);
	/* REPLACETLSPSK: an admin queue over TLS */
	assert_int_equal(negotiate_reason(&tls, KT_AUTH_SC_REPLACETLSPSK, all_hash, 3, all_dh, 6), 0);
	assert_int_equal(negotiate_reason(&plain, KT_AUTH_SC_REPLACETLSPSK, all_hash, 3, all_dh, 6),
			 KT_AUTH_CONCAT_MISMATCH);
	/* SC (01h) alone names no PSK to make */
	assert_int_equal(negotiate_reason(&plain, KT_AUTH_SC_SC, all_hash, 3, all_dh, 6),
			 KT_AUTH_CONCAT_MISMATCH);
	/* no Ks with the NULL group, no TLS suite for SHA-512 */
	assert_int_equal(negotiate_reason(&plain, KT_AUTH_SC_NEWTLSPSK, all_hash, 3, null_dh, 1),
			 KT_AUTH_CONCAT_MISMATCH);
	assert_int_equal(negotiate_reason(&plain, KT_AUTH_SC_NEWTLSPSK, sha512, 1, all_dh, 6),
			 KT_AUTH_HASH_UNUSABLE);
	/* without SC_C both are fine */
	assert_int_equal(negotiate_reason(&plain, KT_AUTH_SC_NONE, sha512, 1, null_dh, 1), 0);
}

/* Negotiate with NEWTLSPSK, the Challenge, and the host's Reply (with C2
 * and SEQNUM 0 when cvalid) into buf; returns the Reply's length, *ks the
 * host's Ks, c1 the controller's challenge. */
static size_t concat_reply(struct kt_auth_q *a, const struct kt_auth_ctx *ctx, uint8_t *buf,
			   bool cvalid, uint8_t *c1, const uint8_t *c2, uint8_t *ks)
{
	static const uint8_t hash[] = { 1, 2, 3 }, dh[] = { 0, 1 };
	struct kt_auth_result res;
	uint8_t host_pub[256];
	uint32_t xfer;

	/* configured: SHA-256 and the NULL group; with SC_C the group falls
	 * back to the host's first other one, ffdhe2048 */
	kt_auth_q_init(a, true);
	size_t n = negotiate_sc(buf, KT_AUTH_SC_NEWTLSPSK, hash, 3, dh, 2);
	assert_int_equal(kt_auth_send(a, ctx, buf, (uint32_t)n, 1000, &res), 0);
	assert_int_equal(a->step, KT_AUTH_ST_CHALLENGE);
	assert_int_equal(kt_auth_receive(a, ctx, buf, 4096, &xfer, 1000, &res), 0);
	assert_int_equal(buf[8], KT_DHCHAP_SHA256);
	assert_int_equal(buf[9], KT_DHCHAP_FFDHE2048);
	assert_int_equal(buf[10] | buf[11] << 8, 256);
	memcpy(c1, buf + 16, 32);

	/* the host's side: its own pair, Ks, R1 with SC_C */
	struct kt_dhchap_dh *hdh = NULL;
	assert_int_equal(kt_dhchap_dh_generate(KT_DHCHAP_FFDHE2048, kt_dhchap_rand_bytes, NULL, &hdh,
					       host_pub, sizeof(host_pub)), 0);
	assert_int_equal(kt_dhchap_dh_shared(hdh, buf + 48, 256, ks, 256), 0);
	kt_dhchap_dh_free(hdh);
	struct kt_dhchap_key *k = NULL;
	assert_int_equal(kt_dhchap_key_parse(KEY1, &k, NULL), 0);
	struct kt_dhchap_resp_in in = { .hash_id = 1, .challenge = c1, .seqnum = S1, .tid = TID,
					.sc_c = KT_AUTH_SC_NEWTLSPSK, .hostnqn = HOSTNQN,
					.subnqn = SUBNQN, .skey = ks, .skey_len = 256 };
	memset(buf, 0, 4096);
	buf[0] = KT_AUTH_DHCHAP;
	buf[1] = KT_AUTH_REPLY;
	buf[4] = TID & 0xff;
	buf[5] = TID >> 8;
	buf[6] = 32;
	buf[8] = cvalid;
	buf[11] = 1; /* DHVLEN 256 */
	assert_int_equal(kt_dhchap_host_response(k, &in, buf + 16), 0);
	kt_dhchap_key_free(k);
	memcpy(buf + 48, c2, 32);
	memcpy(buf + 80, host_pub, 256);
	return 16 + 64 + 256;
}

static void test_concat_generated_psk(void **state)
{
	(void)state;
	struct kt_auth_ctx ctx = CTX;
	struct kt_auth_q a;
	struct kt_auth_result res;
	uint8_t buf[4096], c1[32], c2[32], ks[256], want[32];
	uint32_t xfer;
	ctx.tls_port = true;
	with_ctrl_key = false;
	memset(c2, 0x77, sizeof(c2));

	/* without C2 there is nothing to make a PSK from: Failure1 */
	size_t n = concat_reply(&a, &ctx, buf, false, c1, c2, ks);
	assert_int_equal(kt_auth_send(&a, &ctx, buf, (uint32_t)n, 1500, &res), 0);
	assert_int_equal(a.step, KT_AUTH_ST_FAILURE1);
	assert_int_equal(a.reason, KT_AUTH_FAILED);
	assert_false(res.psk_generated);
	kt_auth_q_clear(&a);

	/* C2 with SEQNUM 0: authenticated, and the PSK is HMAC(Ks, C1 || C2) */
	n = concat_reply(&a, &ctx, buf, true, c1, c2, ks);
	assert_int_equal(kt_auth_send(&a, &ctx, buf, (uint32_t)n, 1500, &res), 0);
	assert_int_equal(res.event, KT_AUTH_EV_SUCCESS);
	assert_true(res.psk_generated);
	assert_true(kt_auth_q_open(&a));
	assert_int_equal(a.gen_hash, KT_DHCHAP_SHA256);
	assert_int_equal(kt_tls_generated_psk(KT_TLS_HASH_SHA256, ks, sizeof(ks), c1, c2, want), 0);
	assert_memory_equal(a.gen_psk, want, 32);
	/* Success1 carries no R2 (SEQNUM 0: not bidirectional) */
	assert_int_equal(kt_auth_receive(&a, &ctx, buf, 4096, &xfer, 1600, &res), 0);
	assert_int_equal(buf[1], KT_AUTH_SUCCESS1);
	assert_int_equal(buf[8], 0);
	assert_int_equal(a.step, KT_AUTH_ST_DONE);
	kt_auth_q_clear(&a);
	static const uint8_t zero[32];
	assert_memory_equal(a.gen_psk, zero, 32);
}

static void test_cmd_check(void **state)
{
	(void)state;
	struct kt_fabrics_auth_cmd c;
	const uint16_t inval = KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true);
	memset(&c, 0, sizeof(c));
	c.opcode = KT_OPC_FABRICS;
	c.fctype = nvme_fabrics_type_auth_send;
	c.secp = 0xe9;
	c.spsp0 = c.spsp1 = 1;
	c.len = htole32(72);
	assert_int_equal(kt_auth_cmd_check(&c, 72), 0);
	assert_int_equal(kt_auth_cmd_check(&c, 80), KT_STATUS(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_DATA, true));
	c.secp = 0xea;
	assert_int_equal(kt_auth_cmd_check(&c, 72), inval);
	c.secp = 0xe9;
	c.spsp0 = 0;
	assert_int_equal(kt_auth_cmd_check(&c, 72), inval);
	c.spsp0 = 1;
	c.spsp1 = 2;
	assert_int_equal(kt_auth_cmd_check(&c, 72), inval);
	c.spsp1 = 1;
	c.len = 0;
	assert_int_equal(kt_auth_cmd_check(&c, 0), inval);
	assert_int_equal(kt_auth_hash_parse("hmac(sha384)"), 2);
	assert_int_equal(kt_auth_hash_parse("sha384"), -EINVAL);
	assert_int_equal(kt_auth_dhgroup_parse("ffdhe8192"), 5);
	assert_int_equal(kt_auth_dhgroup_parse("ffdhe1024"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unidirectional),
		cmocka_unit_test(test_wrong_response),
		cmocka_unit_test(test_wrong_tid_and_out_of_turn),
		cmocka_unit_test(test_bidirectional),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_cmd_check),
		cmocka_unit_test(test_concat_rules),
		cmocka_unit_test(test_concat_generated_psk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

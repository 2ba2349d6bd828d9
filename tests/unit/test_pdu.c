/*
 * test_pdu.c - unit tests for the NVMe/TCP PDU codec (proto/pdu.c,
 * proto/crc32c.c): CRC32C vectors, ICReq/ICResp, every field check of the
 * receiver with its FES and FEI, header and data digests, the stream split
 * at every byte boundary, and the exact bytes of every builder.
 *
 * Host-side PDUs are built here with a bitwise reference CRC32C, so digest
 * expectations never come from the code under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto/crc32c.h"
#include "proto/pdu.h"

/* ---- reference CRC32C (bitwise, reflected polynomial 0x82F63B78) -------- */

static uint32_t ref_crc32c(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
	}
	return ~crc;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- host-side PDU builders ------------------------------------------ */

/* How the (test) host frames its PDUs. */
struct host {
	bool hd, dd;
	uint8_t cpda;
};

static uint32_t roundup_u32(uint32_t v, uint32_t a)
{
	return (v + a - 1) / a * a;
}

/* Frames a PDU: tmpl holds the hlen-byte header (type and PSH fields set),
 * common header fields and digests are filled in here. */
static size_t h_build(uint8_t *b, const struct host *h, const void *tmpl, uint8_t hlen,
		      uint8_t extra_flags, const uint8_t *data, uint32_t len)
{
	uint32_t hd = h->hd ? 4 : 0, dd = (h->dd && len) ? 4 : 0;
	uint32_t pdo = len ? roundup_u32(hlen + hd, (h->cpda + 1u) * 4) : 0;
	uint32_t plen = len ? pdo + len + dd : hlen + hd;

	memcpy(b, tmpl, hlen);
	b[1] = (uint8_t)(extra_flags | (hd ? KT_PDU_F_HDGST : 0) | (dd ? KT_PDU_F_DDGST : 0));
	b[2] = hlen;
	b[3] = (uint8_t)pdo;
	put32(b + 4, plen);
	if (hd)
		put32(b + hlen, ref_crc32c(b, hlen));
	if (len) {
		memset(b + hlen + hd, 0xee, pdo - hlen - hd); /* padding: ignored */
		memcpy(b + pdo, data, len);
		if (dd)
			put32(b + pdo + len, ref_crc32c(data, len));
	}
	return plen;
}

/* Recomputes the header digest after a test changed a header field. */
static void fix_hdgst(uint8_t *b)
{
	if (b[1] & KT_PDU_F_HDGST)
		put32(b + b[2], ref_crc32c(b, b[2]));
}

static size_t h_icreq(uint8_t *b, uint8_t hpda, uint8_t dgst, uint32_t maxr2t)
{
	memset(b, 0, 128);
	b[0] = KT_PDU_ICREQ;
	b[2] = 128;
	put32(b + 4, 128);
	b[10] = hpda;
	b[11] = dgst;
	put32(b + 12, maxr2t);
	return 128;
}

static size_t h_cmd(uint8_t *b, const struct host *h, uint16_t cid, const uint8_t *data,
		    uint32_t len)
{
	struct kt_cmd_pdu c;

	memset(&c, 0, sizeof(c));
	c.hdr.type = KT_PDU_CMD;
	c.sqe.opcode = 0x01;
	c.sqe.cid = cid;
	c.sqe.nsid = htole32(1);
	c.sqe.dptr.length = htole32(len);
	c.sqe.dptr.type = len ? KT_SGL_INCAPSULE : KT_SGL_TRANSPORT;
	return h_build(b, h, &c, sizeof(c), 0, data, len);
}

static size_t h_h2c(uint8_t *b, const struct host *h, uint16_t cid, uint16_t ttag,
		    uint32_t off, const uint8_t *data, uint32_t len, bool last)
{
	struct kt_data_pdu d;

	memset(&d, 0, sizeof(d));
	d.hdr.type = KT_PDU_H2C_DATA;
	d.cccid = cid;
	d.ttag = ttag;
	d.offset = htole32(off);
	d.length = htole32(len);
	return h_build(b, h, &d, sizeof(d), last ? KT_PDU_F_DATA_LAST : 0, data, len);
}

static size_t h_term(uint8_t *b, uint16_t fes, uint32_t fei, const uint8_t *data, uint32_t len)
{
	memset(b, 0, 24);
	b[0] = KT_PDU_H2C_TERM;
	b[2] = 24;
	put32(b + 4, 24 + len);
	b[8] = (uint8_t)fes;
	b[9] = (uint8_t)(fes >> 8);
	put32(b + 10, fei);
	if (len)
		memcpy(b + 24, data, len);
	return 24 + len;
}

/* ---- recording callbacks ---------------------------------------------- */

#define MAX_EV 32

struct ev {
	uint8_t type;
	uint32_t data_len;
	uint8_t *data;
	bool got_pdu;
	bool ddgst_ok;
	uint8_t hdr[KT_PDU_HDR_MAX];
};

struct rec {
	struct kt_tcp_params *p;
	bool allow_digests;     /* passed to kt_icreq_accept on ICReq */
	bool discard;           /* hand out no buffer */
	int fail_header_at;     /* index of the header call to fail, -1 none */
	int fail_pdu_at;
	int fail_rc;
	int n_hdr, n_pdu;
	struct ev ev[MAX_EV];
	size_t used;
	uint8_t arena[1 << 17];
};

static void rec_reset(struct rec *r, struct kt_tcp_params *p)
{
	r->p = p;
	r->allow_digests = true;
	r->discard = false;
	r->fail_header_at = -1;
	r->fail_pdu_at = -1;
	r->fail_rc = -EPROTO;
	r->n_hdr = r->n_pdu = 0;
	r->used = 0;
}

static int cb_header(void *ctx, const void *hdr, uint32_t data_len, uint8_t **dst,
		     struct kt_pdu_err *err)
{
	struct rec *r = ctx;
	const uint8_t *h = hdr;
	struct ev *e;

	assert_true(r->n_hdr < MAX_EV);
	assert_int_equal(r->n_hdr, r->n_pdu); /* header, pdu, header, pdu... */
	e = &r->ev[r->n_hdr];
	if (r->fail_header_at == r->n_hdr) {
		err->fes = KT_FES_DATA_OUT_OF_RANGE;
		err->fei = 0;
		r->n_hdr++;
		return r->fail_rc;
	}
	e->type = h[0];
	e->data_len = data_len;
	e->got_pdu = false;
	e->data = NULL;
	if (data_len && !r->discard) {
		assert_true(r->used + data_len <= sizeof(r->arena));
		e->data = r->arena + r->used;
		r->used += data_len;
		*dst = e->data;
	}
	r->n_hdr++;
	return 0;
}

static int cb_pdu(void *ctx, const void *hdr, bool ddgst_ok, struct kt_pdu_err *err)
{
	struct rec *r = ctx;
	const uint8_t *h = hdr;
	struct ev *e;

	assert_int_equal(r->n_pdu + 1, r->n_hdr);
	e = &r->ev[r->n_pdu];
	assert_int_equal(e->type, h[0]);
	e->got_pdu = true;
	e->ddgst_ok = ddgst_ok;
	memcpy(e->hdr, h, KT_PDU_HDR_MAX);
	if (r->fail_pdu_at == r->n_pdu) {
		err->fes = KT_FES_DATA_OUT_OF_RANGE;
		err->fei = 0;
		r->n_pdu++;
		return r->fail_rc;
	}
	r->n_pdu++;
	if (h[0] == KT_PDU_ICREQ) {
		struct kt_icreq_pdu req;

		memcpy(&req, h, sizeof(req));
		return kt_icreq_accept(&req, r->p, r->allow_digests, err);
	}
	return 0;
}

static const struct kt_rx_ops rec_ops = { .header = cb_header, .pdu = cb_pdu };

static struct rec R; /* large: keep it off the stack */

/* Default negotiated parameters of an established connection. */
static struct kt_tcp_params params(bool hd, bool dd, uint8_t cpda)
{
	struct kt_tcp_params p = {
		.hdgst = hd,
		.ddgst = dd,
		.cpda = cpda,
		.hpda = 0,
		.maxh2cdata = 8192,
		.max_icd = 4096,
		.maxr2t = 0,
	};
	return p;
}

/* Runs buf through a fresh receiver (ICReq already taken if ic_done). */
static ssize_t run(struct kt_tcp_params *p, bool ic_done, const uint8_t *buf, size_t len,
		   struct kt_pdu_err *err)
{
	struct kt_rx rx;

	rec_reset(&R, p);
	kt_rx_init(&rx, p);
	rx.ic_done = ic_done;
	return kt_rx_feed(&rx, &rec_ops, &R, buf, len, err);
}

/* Asserts that buf is refused with exactly (fes, fei) and no PDU reached
 * the pdu callback. */
/* Failures are reported at the caller's line. */
#define EQ(a, b, line) _assert_int_equal((uintmax_t)(a), (uintmax_t)(b), __FILE__, line)

static void expect_refused_at(struct kt_tcp_params *p, bool ic_done, const uint8_t *buf,
			      size_t len, uint16_t fes, uint32_t fei, int line)
{
	struct kt_pdu_err err = { 0xffff, 0xffffffff };
	ssize_t rc = run(p, ic_done, buf, len, &err);

	EQ(rc, -EPROTO, line);
	EQ(err.fes, fes, line);
	EQ(err.fei, fei, line);
	EQ(R.n_pdu, 0, line);
}
#define expect_refused(p, ic, buf, len, fes, fei) \
	expect_refused_at(p, ic, buf, len, fes, fei, __LINE__)

static void expect_one_at(struct kt_tcp_params *p, bool ic_done, const uint8_t *buf, size_t len,
			  uint8_t type, uint32_t data_len, int line)
{
	struct kt_pdu_err err = { 0xffff, 0xffffffff };
	ssize_t rc = run(p, ic_done, buf, len, &err);

	EQ(rc, len, line);
	EQ(R.n_hdr, 1, line);
	EQ(R.n_pdu, 1, line);
	EQ(R.ev[0].type, type, line);
	EQ(R.ev[0].data_len, data_len, line);
	EQ(R.ev[0].ddgst_ok, true, line);
}
#define expect_one(p, ic, buf, len, type, dlen) \
	expect_one_at(p, ic, buf, len, type, dlen, __LINE__)

static uint8_t pattern[8192];

static void fill_pattern(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 3);
}

/* ---- CRC32C ----------------------------------------------------------- */

static void test_crc32c_vectors(void **state)
{
	uint8_t b[48];

	(void)state;
	assert_int_equal(kt_crc32c("123456789", 9), 0xe3069283u);
	assert_int_equal(kt_crc32c("", 0), 0);
	/* RFC 3720 B.4 vectors */
	memset(b, 0, 32);
	assert_int_equal(kt_crc32c(b, 32), 0x8a9136aau);
	memset(b, 0xff, 32);
	assert_int_equal(kt_crc32c(b, 32), 0x62a8ab43u);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	assert_int_equal(kt_crc32c(b, 32), 0x46dd794eu);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	assert_int_equal(kt_crc32c(b, 32), 0x113fdb5cu);
	/* the reference used to build digests in these tests agrees */
	assert_int_equal(ref_crc32c("123456789", 9), 0xe3069283u);
}

static void test_crc32c_incremental(void **state)
{
	(void)state;
	fill_pattern();
	for (size_t len = 0; len < 300; len += 7) {
		uint32_t whole = kt_crc32c(pattern, len);

		assert_int_equal(whole, ref_crc32c(pattern, len));
		for (size_t cut = 0; cut <= len; cut += 5) {
			uint32_t c = kt_crc32c_update(KT_CRC32C_INIT, pattern, cut);

			c = kt_crc32c_update(c, pattern + cut, len - cut);
			assert_int_equal(kt_crc32c_final(c), whole);
		}
	}
}

/* ---- ICReq / ICResp ---------------------------------------------------- */

static void test_icreq_accept(void **state)
{
	uint8_t b[128];
	struct kt_icreq_pdu req;
	struct kt_tcp_params p = params(false, false, 0);
	struct kt_pdu_err err = { 0, 0 };

	(void)state;
	h_icreq(b, 5, KT_IC_HDGST | KT_IC_DDGST, 3);
	memcpy(&req, b, sizeof(req));
	assert_int_equal(kt_icreq_accept(&req, &p, true, &err), 0);
	assert_true(p.hdgst);
	assert_true(p.ddgst);
	assert_int_equal(p.hpda, 5);
	assert_int_equal(p.maxr2t, 3);

	/* digests asked for but not allowed: both off */
	p = params(true, true, 0);
	assert_int_equal(kt_icreq_accept(&req, &p, false, &err), 0);
	assert_false(p.hdgst);
	assert_false(p.ddgst);

	/* only the data digest asked for; reserved DGST bits ignored */
	h_icreq(b, 31, KT_IC_DDGST | 0xf0, 0xffffffffu);
	memcpy(&req, b, sizeof(req));
	assert_int_equal(kt_icreq_accept(&req, &p, true, &err), 0);
	assert_false(p.hdgst);
	assert_true(p.ddgst);
	assert_int_equal(p.hpda, 31);
	assert_int_equal(p.maxr2t, 0xffffffffu);
}

static void icreq_refused(uint8_t *b, uint16_t fes, uint32_t fei)
{
	struct kt_icreq_pdu req;
	struct kt_tcp_params p = params(false, false, 0);
	struct kt_pdu_err err = { 0, 0 };

	memcpy(&req, b, sizeof(req));
	assert_int_equal(kt_icreq_accept(&req, &p, true, &err), -EPROTO);
	assert_int_equal(err.fes, fes);
	assert_int_equal(err.fei, fei);
}

static void test_icreq_refused(void **state)
{
	uint8_t b[128];

	(void)state;
	h_icreq(b, 0, 0, 0);
	b[0] = KT_PDU_CMD;
	icreq_refused(b, KT_FES_INVALID_HEADER, 0);
	h_icreq(b, 0, 0, 0);
	b[1] = KT_PDU_F_HDGST;
	icreq_refused(b, KT_FES_INVALID_HEADER, 1);
	h_icreq(b, 0, 0, 0);
	b[2] = 127;
	icreq_refused(b, KT_FES_INVALID_HEADER, 2);
	h_icreq(b, 0, 0, 0);
	b[3] = 128;
	icreq_refused(b, KT_FES_INVALID_HEADER, 3);
	h_icreq(b, 0, 0, 0);
	put32(b + 4, 132);
	icreq_refused(b, KT_FES_INVALID_HEADER, 4);
	h_icreq(b, 0, 0, 0);
	b[8] = 1; /* PFV 1 */
	icreq_refused(b, KT_FES_UNSUPPORTED_PARAM, 8);
	h_icreq(b, 0, 0, 0);
	b[9] = 1; /* PFV 0x100 */
	icreq_refused(b, KT_FES_UNSUPPORTED_PARAM, 8);
	h_icreq(b, 32, 0, 0);
	icreq_refused(b, KT_FES_INVALID_HEADER, 10);
}

static void test_icresp_build(void **state)
{
	struct kt_icresp_pdu rsp;
	struct kt_tcp_params p = params(true, false, 7);
	uint8_t want[128] = {
		0x01, 0x00, 0x80, 0x00, 0x80, 0x00, 0x00, 0x00, /* ICResp, HLEN 128, PLEN 128 */
		0x00, 0x00, 0x07, 0x01, 0x00, 0x00, 0x02, 0x00, /* PFV 0, CPDA 7, DGST HDGST, 128 KiB */
	};

	(void)state;
	p.maxh2cdata = 0x20000;
	memset(&rsp, 0xa5, sizeof(rsp));
	kt_icresp_build(&rsp, &p);
	assert_memory_equal(&rsp, want, sizeof(want));

	p = params(false, true, 0);
	p.maxh2cdata = 4096;
	want[10] = 0x00;
	want[11] = 0x02;
	want[13] = 0x10;
	want[14] = 0x00;
	kt_icresp_build(&rsp, &p);
	assert_memory_equal(&rsp, want, sizeof(want));
}

/* ---- receive: types and sequence ---------------------------------------- */

static void test_rx_icreq_then_capsules(void **state)
{
	static uint8_t b[1024];
	struct kt_tcp_params p = params(false, false, 0);
	struct host h = { true, true, 0 };
	struct kt_pdu_err err;
	struct kt_rx rx;
	size_t n = 0;

	(void)state;
	fill_pattern();
	n += h_icreq(b, 2, KT_IC_HDGST | KT_IC_DDGST, 0);
	n += h_cmd(b + n, &h, 0x1234, pattern, 64);
	rec_reset(&R, &p);
	kt_rx_init(&rx, &p);
	assert_false(rx.ic_done);
	assert_int_equal(kt_rx_feed(&rx, &rec_ops, &R, b, n, &err), (ssize_t)n);
	assert_true(rx.ic_done);
	assert_true(p.hdgst && p.ddgst);
	assert_int_equal(p.hpda, 2);
	assert_int_equal(R.n_pdu, 2);
	assert_int_equal(R.ev[0].type, KT_PDU_ICREQ);
	assert_int_equal(R.ev[0].data_len, 0);
	assert_int_equal(R.ev[1].type, KT_PDU_CMD);
	assert_int_equal(R.ev[1].data_len, 64);
	assert_memory_equal(R.ev[1].data, pattern, 64);
	assert_true(R.ev[1].ddgst_ok);
	/* the pdu callback sees the whole header, SQE included */
	assert_int_equal(R.ev[1].hdr[8], 0x01);
	assert_int_equal(R.ev[1].hdr[10] | R.ev[1].hdr[11] << 8, 0x1234);

	/* an ICReq once the connection is initialised: sequence error */
	n = h_icreq(b, 0, 0, 0);
	assert_int_equal(kt_rx_feed(&rx, &rec_ops, &R, b, n, &err), -EPROTO);
	assert_int_equal(err.fes, KT_FES_PDU_SEQUENCE);
	assert_int_equal(err.fei, 0);
}

static void test_rx_sequence_before_icreq(void **state)
{
	static uint8_t b[512];
	struct kt_tcp_params p = params(false, false, 0);
	struct host h = { false, false, 0 };

	(void)state;
	fill_pattern();
	expect_refused(&p, false, b, h_cmd(b, &h, 1, NULL, 0), KT_FES_PDU_SEQUENCE, 0);
	expect_refused(&p, false, b, h_h2c(b, &h, 1, 0, 0, pattern, 16, true),
		       KT_FES_PDU_SEQUENCE, 0);
	expect_refused(&p, false, b, h_term(b, 1, 0, NULL, 0), KT_FES_PDU_SEQUENCE, 0);
	/* the same PDUs are fine after the ICReq */
	expect_one(&p, true, b, h_cmd(b, &h, 1, NULL, 0), KT_PDU_CMD, 0);
	expect_one(&p, true, b, h_h2c(b, &h, 1, 0, 0, pattern, 16, true), KT_PDU_H2C_DATA, 16);
	expect_one(&p, true, b, h_term(b, 1, 0, NULL, 0), KT_PDU_H2C_TERM, 0);
}

static void test_rx_bad_types(void **state)
{
	static const uint8_t types[] = { KT_PDU_ICRESP, KT_PDU_C2H_TERM, KT_PDU_RSP,
					 KT_PDU_C2H_DATA, 0x08, KT_PDU_R2T, 0x0a, 0x7f, 0xff };
	struct kt_tcp_params p = params(false, false, 0);
	uint8_t b[128];

	(void)state;
	for (size_t i = 0; i < sizeof(types); i++) {
		/* a well-formed-looking 24-byte header of that type */
		memset(b, 0, sizeof(b));
		b[0] = types[i];
		b[2] = 24;
		put32(b + 4, 24);
		expect_refused(&p, true, b, 24, KT_FES_INVALID_HEADER, 0);
		expect_refused(&p, false, b, 24, KT_FES_INVALID_HEADER, 0);
		/* detected from the common header alone */
		expect_refused(&p, true, b, 8, KT_FES_INVALID_HEADER, 0);
	}
}

/* ---- receive: HLEN ------------------------------------------------------ */

static void test_rx_hlen(void **state)
{
	static uint8_t b[512];
	struct kt_tcp_params p = params(false, false, 0);
	struct host h = { false, false, 0 };

	(void)state;
	fill_pattern();
	h_cmd(b, &h, 1, NULL, 0);
	b[2] = 71;
	expect_refused(&p, true, b, 72, KT_FES_INVALID_HEADER, 2);
	b[2] = 73;
	expect_refused(&p, true, b, 72, KT_FES_INVALID_HEADER, 2);
	h_h2c(b, &h, 1, 0, 0, pattern, 8, true);
	b[2] = 23;
	expect_refused(&p, true, b, 32, KT_FES_INVALID_HEADER, 2);
	b[2] = 72;
	expect_refused(&p, true, b, 32, KT_FES_INVALID_HEADER, 2);
	h_term(b, 1, 0, NULL, 0);
	b[2] = 25;
	expect_refused(&p, true, b, 24, KT_FES_INVALID_HEADER, 2);
	h_icreq(b, 0, 0, 0);
	b[2] = 127;
	expect_refused(&p, false, b, 128, KT_FES_INVALID_HEADER, 2);
	b[2] = 132; /* must not make the parser read a longer header */
	expect_refused(&p, false, b, 128, KT_FES_INVALID_HEADER, 2);
	b[2] = 255;
	expect_refused(&p, false, b, 128, KT_FES_INVALID_HEADER, 2);
}

/* ---- receive: FLAGS ----------------------------------------------------- */

static void test_rx_flags(void **state)
{
	static uint8_t b[512];
	struct kt_tcp_params none = params(false, false, 0);
	struct kt_tcp_params hd = params(true, false, 0);
	struct kt_tcp_params dd = params(false, true, 0);
	struct kt_tcp_params both = params(true, true, 0);
	struct host h0 = { false, false, 0 }, hh = { true, false, 0 }, hdd = { false, true, 0 };
	size_t n;

	(void)state;
	fill_pattern();
	/* header digest flag must match what was negotiated */
	expect_refused(&none, true, b, h_cmd(b, &hh, 1, NULL, 0), KT_FES_INVALID_HEADER, 1);
	expect_refused(&hd, true, b, h_cmd(b, &h0, 1, NULL, 0), KT_FES_INVALID_HEADER, 1);
	expect_one(&hd, true, b, h_cmd(b, &hh, 1, NULL, 0), KT_PDU_CMD, 0);
	expect_refused(&none, true, b, h_h2c(b, &hh, 1, 0, 0, pattern, 8, false),
		       KT_FES_INVALID_HEADER, 1);
	expect_refused(&hd, true, b, h_h2c(b, &h0, 1, 0, 0, pattern, 8, false),
		       KT_FES_INVALID_HEADER, 1);

	/* data digest flag: set iff negotiated and the PDU has data */
	expect_refused(&none, true, b, h_cmd(b, &hdd, 1, pattern, 8), KT_FES_INVALID_HEADER, 1);
	expect_refused(&dd, true, b, h_cmd(b, &h0, 1, pattern, 8), KT_FES_INVALID_HEADER, 1);
	expect_one(&dd, true, b, h_cmd(b, &hdd, 1, pattern, 8), KT_PDU_CMD, 8);
	expect_one(&dd, true, b, h_cmd(b, &hdd, 1, NULL, 0), KT_PDU_CMD, 0);
	n = h_cmd(b, &hdd, 1, NULL, 0); /* no data, DDGST set anyway */
	b[1] |= KT_PDU_F_DDGST;
	expect_refused(&dd, true, b, n, KT_FES_INVALID_HEADER, 1);
	expect_refused(&dd, true, b, h_h2c(b, &h0, 1, 0, 0, pattern, 8, true),
		       KT_FES_INVALID_HEADER, 1);
	expect_refused(&none, true, b, h_h2c(b, &hdd, 1, 0, 0, pattern, 8, true),
		       KT_FES_INVALID_HEADER, 1);
	{
		struct host hb = { true, true, 0 };

		expect_one(&both, true, b, h_h2c(b, &hb, 1, 0, 0, pattern, 8, true),
			   KT_PDU_H2C_DATA, 8);
	}

	/* LAST_PDU is an H2CData flag; SUCCESS is C2H only */
	n = h_h2c(b, &h0, 1, 0, 0, pattern, 8, true);
	expect_one(&none, true, b, n, KT_PDU_H2C_DATA, 8);
	b[1] |= KT_PDU_F_DATA_SUCCESS;
	expect_refused(&none, true, b, n, KT_FES_INVALID_HEADER, 1);
	n = h_cmd(b, &h0, 1, NULL, 0);
	b[1] = KT_PDU_F_DATA_LAST;
	expect_refused(&none, true, b, n, KT_FES_INVALID_HEADER, 1);
	for (int bit = 4; bit < 8; bit++) {
		n = h_cmd(b, &h0, 1, NULL, 0);
		b[1] = (uint8_t)(1u << bit);
		expect_refused(&none, true, b, n, KT_FES_INVALID_HEADER, 1);
	}

	/* ICReq and H2CTermReq take no flags at all */
	h_icreq(b, 0, 0, 0);
	b[1] = KT_PDU_F_HDGST;
	expect_refused(&none, false, b, 128, KT_FES_INVALID_HEADER, 1);
	n = h_term(b, 1, 0, NULL, 0);
	b[1] = KT_PDU_F_DDGST;
	expect_refused(&dd, true, b, n, KT_FES_INVALID_HEADER, 1);
	b[1] = KT_PDU_F_HDGST;
	expect_refused(&hd, true, b, n, KT_FES_INVALID_HEADER, 1);
}

/* ---- receive: PDO ------------------------------------------------------- */

static void test_rx_pdo(void **state)
{
	static uint8_t b[512];
	struct kt_tcp_params p = params(false, false, 0);
	struct kt_tcp_params p16n = params(false, false, 3); /* 16-byte alignment */
	struct kt_tcp_params p16 = params(true, true, 3);    /* 16-byte alignment */
	struct kt_tcp_params phd = params(true, false, 0);
	struct host h = { false, false, 0 };
	size_t n;

	(void)state;
	fill_pattern();
	/* no data: PDO must be 0 */
	n = h_cmd(b, &h, 1, NULL, 0);
	b[3] = 72;
	expect_refused(&p, true, b, n, KT_FES_INVALID_HEADER, 3);
	/* data: PDO below the header */
	n = h_cmd(b, &h, 1, pattern, 16);
	b[3] = 68;
	expect_refused(&p, true, b, n, KT_FES_INVALID_HEADER, 3);
	b[3] = 0;
	expect_refused(&p, true, b, n, KT_FES_INVALID_HEADER, 3);
	/* PDO not a multiple of (CPDA+1)*4 */
	b[3] = 74;
	expect_refused(&p, true, b, n, KT_FES_INVALID_HEADER, 3);
	n = h_cmd(b, &h, 1, pattern, 16);
	expect_refused(&p16n, true, b, n, KT_FES_INVALID_HEADER, 3); /* 72 % 16 */
	/* PDO at or past PLEN */
	n = h_cmd(b, &h, 1, pattern, 16);
	b[3] = 88;
	expect_refused(&p, true, b, n, KT_FES_INVALID_HEADER, 3);
	b[3] = 92;
	expect_refused(&p, true, b, n, KT_FES_INVALID_HEADER, 3);
	/* PDO must leave room for the header digest */
	{
		struct host hh = { true, false, 0 };

		n = h_cmd(b, &hh, 1, pattern, 16);
		assert_int_equal(b[3], 76);
		expect_one(&phd, true, b, n, KT_PDU_CMD, 16);
		b[3] = 72;
		fix_hdgst(b);
		expect_refused(&phd, true, b, n, KT_FES_INVALID_HEADER, 3);
	}
	/* padding per CPDA is skipped and the data lands intact */
	{
		struct host h16 = { true, true, 3 };

		n = h_cmd(b, &h16, 7, pattern, 40);
		assert_int_equal(b[3], 80);
		expect_one(&p16, true, b, n, KT_PDU_CMD, 40);
		assert_memory_equal(R.ev[0].data, pattern, 40);
		n = h_h2c(b, &h16, 7, 3, 0, pattern + 1, 33, true);
		assert_int_equal(b[3], 32);
		expect_one(&p16, true, b, n, KT_PDU_H2C_DATA, 33);
		assert_memory_equal(R.ev[0].data, pattern + 1, 33);
	}
	/* a larger-than-needed but aligned PDO is accepted (more padding) */
	n = h_cmd(b, &h, 1, NULL, 0);
	b[1] = 0;
	b[3] = 96;
	put32(b + 4, 96 + 8);
	memcpy(b + 96, pattern, 8);
	expect_one(&p, true, b, 104, KT_PDU_CMD, 8);
	assert_memory_equal(R.ev[0].data, pattern, 8);
	/* H2CTermReq: PDO is reserved */
	n = h_term(b, 1, 0, pattern, 8);
	b[3] = 24;
	expect_refused(&p, true, b, n, KT_FES_INVALID_HEADER, 3);
	/* ICReq: PDO must be 0 */
	h_icreq(b, 0, 0, 0);
	b[3] = 4;
	expect_refused(&p, false, b, 128, KT_FES_INVALID_HEADER, 3);
}

/* ---- receive: PLEN and limits --------------------------------------------- */

static void test_rx_plen(void **state)
{
	static uint8_t b[16384];
	struct kt_tcp_params p = params(false, false, 0);
	struct kt_tcp_params phd = params(true, true, 0);
	struct host h = { false, false, 0 }, hb = { true, true, 0 };
	struct kt_pdu_err err;
	size_t n;

	(void)state;
	fill_pattern();
	/* shorter than the header */
	n = h_cmd(b, &h, 1, NULL, 0);
	put32(b + 4, 71);
	expect_refused(&p, true, b, n, KT_FES_INVALID_HEADER, 4);
	put32(b + 4, 0);
	expect_refused(&p, true, b, n, KT_FES_INVALID_HEADER, 4);
	/* shorter than header + header digest */
	n = h_cmd(b, &hb, 1, NULL, 0);
	put32(b + 4, 72);
	fix_hdgst(b);
	expect_refused(&phd, true, b, n, KT_FES_INVALID_HEADER, 4);
	/* data digest flag set but no room for data besides it */
	n = h_cmd(b, &hb, 1, pattern, 8);
	put32(b + 4, 76 + 4);
	fix_hdgst(b);
	expect_refused(&phd, true, b, n, KT_FES_INVALID_HEADER, 4);
	/* ICReq longer than 128 */
	h_icreq(b, 0, 0, 0);
	put32(b + 4, 129);
	expect_refused(&p, false, b, 128, KT_FES_INVALID_HEADER, 4);
	put32(b + 4, 127);
	expect_refused(&p, false, b, 128, KT_FES_INVALID_HEADER, 4);
	/* H2CData without data */
	n = h_h2c(b, &h, 1, 0, 0, pattern, 8, true);
	b[3] = 0;
	put32(b + 4, 24);
	expect_refused(&p, true, b, 24, KT_FES_INVALID_HEADER, 4);
	/* H2CData DATAL must match what PLEN carries */
	n = h_h2c(b, &h, 1, 0, 0, pattern, 8, true);
	put32(b + 16, 9);
	expect_refused(&p, true, b, n, KT_FES_INVALID_HEADER, 16);

	/* in-capsule data: up to max_icd, beyond is Data Transfer Limit Exceeded */
	p.max_icd = 1024;
	expect_one(&p, true, b, h_cmd(b, &h, 1, pattern, 1024), KT_PDU_CMD, 1024);
	expect_refused(&p, true, b, h_cmd(b, &h, 1, pattern, 1025), KT_FES_R2T_LIMIT, 0);
	p.max_icd = 0;
	expect_refused(&p, true, b, h_cmd(b, &h, 1, pattern, 1), KT_FES_R2T_LIMIT, 0);
	/* H2CData: up to MAXH2CDATA */
	p.maxh2cdata = 4096;
	expect_one(&p, true, b, h_h2c(b, &h, 1, 0, 0, pattern, 4096, true), KT_PDU_H2C_DATA, 4096);
	expect_refused(&p, true, b, h_h2c(b, &h, 1, 0, 0, pattern, 4097, true),
		       KT_FES_R2T_LIMIT, 0);
	/* a huge PLEN is refused from the header, before any data is read */
	n = h_h2c(b, &h, 1, 0, 0, pattern, 8, true);
	put32(b + 4, 0xffffffffu);
	put32(b + 16, 0xffffffffu - 24);
	expect_refused(&p, true, b, 24, KT_FES_R2T_LIMIT, 0);

	/* H2CTermReq: PLEN 24..176, else close without a C2HTermReq */
	expect_one(&p, true, b, h_term(b, 2, 0, pattern, 152), KT_PDU_H2C_TERM, 152);
	assert_memory_equal(R.ev[0].data, pattern, 152);
	n = h_term(b, 2, 0, pattern, 153);
	err.fes = 0xffff;
	assert_int_equal(run(&p, true, b, n, &err), -ECONNRESET);
	assert_int_equal(err.fes, 0);
	assert_int_equal(R.n_hdr, 0);
	n = h_term(b, 2, 0, NULL, 0);
	put32(b + 4, 23);
	assert_int_equal(run(&p, true, b, n, &err), -ECONNRESET);
}

/* ---- receive: digests --------------------------------------------------- */

static void test_rx_header_digest(void **state)
{
	static uint8_t b[512];
	struct kt_tcp_params p = params(true, false, 0);
	struct host hh = { true, false, 0 };
	size_t n;

	(void)state;
	fill_pattern();
	n = h_cmd(b, &hh, 1, pattern, 20);
	expect_one(&p, true, b, n, KT_PDU_CMD, 20);
	b[72] ^= 0x01; /* digest corrupted */
	expect_refused(&p, true, b, n, KT_FES_HDR_DIGEST, 0);
	n = h_cmd(b, &hh, 1, pattern, 20);
	b[20] ^= 0x80; /* SQE corrupted */
	expect_refused(&p, true, b, n, KT_FES_HDR_DIGEST, 0);
	/* a corrupted PLEN is a digest error, not a PLEN error */
	n = h_cmd(b, &hh, 1, pattern, 20);
	b[5] ^= 0x40;
	expect_refused(&p, true, b, n, KT_FES_HDR_DIGEST, 0);
	/* H2CData */
	n = h_h2c(b, &hh, 1, 0, 0, pattern, 20, true);
	expect_one(&p, true, b, n, KT_PDU_H2C_DATA, 20);
	b[12] ^= 0x01;
	expect_refused(&p, true, b, n, KT_FES_HDR_DIGEST, 0);
	/* no header callback happened: the header was never trusted */
	assert_int_equal(R.n_hdr, 0);
}

static void test_rx_data_digest(void **state)
{
	static uint8_t b[1024];
	struct kt_tcp_params p = params(false, true, 0);
	struct host hd = { false, true, 0 };
	struct kt_pdu_err err;
	size_t n = 0, n1;

	(void)state;
	fill_pattern();
	n1 = h_cmd(b, &hd, 1, pattern, 100);
	n = n1;
	n += h_h2c(b + n, &hd, 2, 0, 0, pattern + 5, 50, true);
	n += h_cmd(b + n, &hd, 3, NULL, 0);
	b[n1 - 1] ^= 0x10; /* first PDU's data digest is wrong */

	assert_int_equal(run(&p, true, b, n, &err), (ssize_t)n);
	assert_int_equal(R.n_pdu, 3);
	assert_false(R.ev[0].ddgst_ok);
	assert_memory_equal(R.ev[0].data, pattern, 100);
	assert_true(R.ev[1].ddgst_ok);
	assert_memory_equal(R.ev[1].data, pattern + 5, 50);
	assert_true(R.ev[2].ddgst_ok);

	/* a corrupted data byte is caught too */
	n = h_h2c(b, &hd, 2, 0, 0, pattern, 50, true);
	b[24 + 10] ^= 0xff;
	assert_int_equal(run(&p, true, b, n, &err), (ssize_t)n);
	assert_int_equal(R.n_pdu, 1);
	assert_false(R.ev[0].ddgst_ok);
}

/* Zero-copy receive: the caller reads part of a payload straight to where
 * kt_rx_data_dst says and accounts for it with kt_rx_data_placed; the PDU
 * completes through kt_rx_feed with the same data and digest verdict as if
 * every byte had been fed. */
static void test_rx_direct_placement(void **state)
{
	static uint8_t b[8192];
	struct kt_tcp_params p = params(true, true, 0);
	struct host h = { true, true, 0 };
	struct kt_pdu_err err;
	struct kt_rx rx;
	size_t remaining;

	(void)state;
	fill_pattern();
	for (int corrupt = 0; corrupt < 2; corrupt++) {
		size_t n = h_h2c(b, &h, 2, 0, 0, pattern, 4000, true);
		size_t hdr = 24 + 4;           /* PSH + header digest, PDO = 28 */
		if (corrupt)
			b[n - 1] ^= 0x01;      /* last byte of the data digest */
		rec_reset(&R, &p);
		kt_rx_init(&rx, &p);
		rx.ic_done = true;
		assert_null(kt_rx_data_dst(&rx, &remaining)); /* not inside a payload yet */
		/* the header and the first 100 payload bytes through the parser */
		assert_int_equal(kt_rx_feed(&rx, &rec_ops, &R, b, hdr + 100, &err), (ssize_t)(hdr + 100));
		uint8_t *dst = kt_rx_data_dst(&rx, &remaining);
		assert_non_null(dst);
		assert_int_equal(remaining, 3900);
		assert_ptr_equal(dst, R.ev[0].data + 100);
		/* 3000 bytes "read from the socket" straight into place */
		memcpy(dst, b + hdr + 100, 3000);
		kt_rx_data_placed(&rx, 3000);
		assert_int_equal(R.n_pdu, 0);
		/* the rest (900 data bytes and the digest) through the parser */
		size_t off = hdr + 3100;
		assert_int_equal(kt_rx_feed(&rx, &rec_ops, &R, b + off, n - off, &err), (ssize_t)(n - off));
		assert_int_equal(R.n_pdu, 1);
		assert_memory_equal(R.ev[0].data, pattern, 4000);
		assert_int_equal(R.ev[0].ddgst_ok, !corrupt);
		assert_null(kt_rx_data_dst(&rx, &remaining));
	}
}

/* ---- receive: callbacks ------------------------------------------------ */

static void test_rx_callback_errors(void **state)
{
	static uint8_t b[1024];
	struct kt_tcp_params p = params(false, false, 0);
	struct host h = { false, false, 0 };
	struct kt_pdu_err err;
	struct kt_rx rx;
	size_t n = 0;

	(void)state;
	fill_pattern();
	n += h_cmd(b + n, &h, 1, pattern, 10);
	n += h_cmd(b + n, &h, 2, pattern, 10);
	n += h_cmd(b + n, &h, 3, NULL, 0);

	/* header callback refuses the second PDU: parsing stops there */
	rec_reset(&R, &p);
	R.fail_header_at = 1;
	kt_rx_init(&rx, &p);
	rx.ic_done = true;
	assert_int_equal(kt_rx_feed(&rx, &rec_ops, &R, b, n, &err), -EPROTO);
	assert_int_equal(err.fes, KT_FES_DATA_OUT_OF_RANGE);
	assert_int_equal(R.n_hdr, 2);
	assert_int_equal(R.n_pdu, 1);
	/* the offending header is left in rx for the C2HTermReq */
	assert_int_equal(rx.hdr_got, 72);
	assert_int_equal(rx.hdr[0], KT_PDU_CMD);
	assert_int_equal(rx.hdr[10], 2);

	/* pdu callback error, with its own errno, passed through */
	rec_reset(&R, &p);
	R.fail_pdu_at = 0;
	R.fail_rc = -ENOMEM;
	kt_rx_init(&rx, &p);
	rx.ic_done = true;
	assert_int_equal(kt_rx_feed(&rx, &rec_ops, &R, b, n, &err), -ENOMEM);
	assert_int_equal(R.n_hdr, 1);
	assert_int_equal(R.n_pdu, 1);

	/* an ICReq the callback refuses leaves the connection uninitialised */
	n = h_icreq(b, 0, 0, 0);
	b[8] = 1;
	rec_reset(&R, &p);
	kt_rx_init(&rx, &p);
	assert_int_equal(kt_rx_feed(&rx, &rec_ops, &R, b, n, &err), -EPROTO);
	assert_int_equal(err.fes, KT_FES_UNSUPPORTED_PARAM);
	assert_int_equal(err.fei, 8);
	assert_false(rx.ic_done);
}

static void test_rx_discard(void **state)
{
	static uint8_t b[1024];
	struct kt_tcp_params p = params(true, true, 1);
	struct host h = { true, true, 1 };
	struct kt_pdu_err err;
	size_t n = 0, n1;

	(void)state;
	fill_pattern();
	n += h_cmd(b + n, &h, 1, pattern, 100);
	n1 = n;
	n += h_h2c(b + n, &h, 1, 0, 0, pattern, 30, true);
	b[n1 - 2] ^= 1; /* first data digest bad: still reported when dropped */
	rec_reset(&R, &p);
	R.discard = true;
	{
		struct kt_rx rx;

		kt_rx_init(&rx, &p);
		rx.ic_done = true;
		assert_int_equal(kt_rx_feed(&rx, &rec_ops, &R, b, n, &err), (ssize_t)n);
	}
	assert_int_equal(R.n_pdu, 2);
	assert_int_equal(R.used, 0);
	assert_int_equal(R.ev[0].data_len, 100);
	assert_false(R.ev[0].ddgst_ok);
	assert_true(R.ev[1].ddgst_ok);
	assert_int_equal(R.ev[1].type, KT_PDU_H2C_DATA);
}

/* ---- receive: any split of the stream ----------------------------------- */

/* The sample: ICReq asking for both digests, then (digests on, CPDA 1 so
 * header and data are padded) a capsule without data, one with data, two
 * H2CData (the second with a bad data digest) and an H2CTermReq. */
static size_t sample_stream(uint8_t *b)
{
	struct host h = { true, true, 1 };
	size_t n = 0, mark;

	n += h_icreq(b, 0, KT_IC_HDGST | KT_IC_DDGST, 1);
	n += h_cmd(b + n, &h, 0x10, NULL, 0);
	n += h_cmd(b + n, &h, 0x11, pattern, 100);
	n += h_h2c(b + n, &h, 0x12, 7, 0, pattern + 100, 37, false);
	n += h_h2c(b + n, &h, 0x12, 7, 37, pattern + 137, 3, true);
	mark = n;
	b[mark - 1] ^= 0x5a;
	n += h_term(b + n, KT_FES_HDR_DIGEST, 0, pattern, 8);
	return n;
}

struct snapshot {
	int n;
	uint8_t type[MAX_EV];
	uint32_t len[MAX_EV];
	bool ok[MAX_EV];
	uint8_t data[1024];
	size_t data_len;
};

static void snap(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->n = R.n_pdu;
	for (int i = 0; i < R.n_pdu; i++) {
		s->type[i] = R.ev[i].type;
		s->len[i] = R.ev[i].data_len;
		s->ok[i] = R.ev[i].ddgst_ok;
		assert_true(s->data_len + R.ev[i].data_len <= sizeof(s->data));
		if (R.ev[i].data_len)
			memcpy(s->data + s->data_len, R.ev[i].data, R.ev[i].data_len);
		s->data_len += R.ev[i].data_len;
	}
}

static void feed_chunks(const uint8_t *b, size_t n, const size_t *cuts, int ncuts,
			struct snapshot *out)
{
	struct kt_tcp_params p = params(false, false, 1);
	struct kt_pdu_err err;
	struct kt_rx rx;
	size_t pos = 0;

	rec_reset(&R, &p);
	kt_rx_init(&rx, &p);
	for (int i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : n;

		assert_int_equal(kt_rx_feed(&rx, &rec_ops, &R, b + pos, end - pos, &err),
				 (ssize_t)(end - pos));
		pos = end;
	}
	assert_int_equal(rx.state, KT_RX_CH);
	assert_int_equal(rx.hdr_got, 0);
	snap(out);
}

static void test_rx_every_split(void **state)
{
	static uint8_t b[2048];
	static struct snapshot ref, got;
	size_t n, cuts[2];

	(void)state;
	fill_pattern();
	n = sample_stream(b);

	/* reference: everything in one call, checked against what was sent */
	feed_chunks(b, n, NULL, 0, &ref);
	assert_int_equal(ref.n, 6);
	{
		static const uint8_t types[] = { KT_PDU_ICREQ, KT_PDU_CMD, KT_PDU_CMD,
						 KT_PDU_H2C_DATA, KT_PDU_H2C_DATA, KT_PDU_H2C_TERM };
		static const uint32_t lens[] = { 0, 0, 100, 37, 3, 8 };
		static const bool oks[] = { true, true, true, true, false, true };

		for (int i = 0; i < 6; i++) {
			assert_int_equal(ref.type[i], types[i]);
			assert_int_equal(ref.len[i], lens[i]);
			assert_int_equal(ref.ok[i], oks[i]);
		}
		assert_int_equal(ref.data_len, 148);
		assert_memory_equal(ref.data, pattern, 140);
		assert_memory_equal(ref.data + 140, pattern, 8);
	}

	/* one byte at a time */
	{
		struct kt_tcp_params p = params(false, false, 1);
		struct kt_pdu_err err;
		struct kt_rx rx;

		rec_reset(&R, &p);
		kt_rx_init(&rx, &p);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(kt_rx_feed(&rx, &rec_ops, &R, b + i, 1, &err), 1);
		snap(&got);
		assert_memory_equal(&got, &ref, sizeof(ref));
	}
	/* every single cut, and every pair of cuts */
	for (size_t i = 0; i <= n; i++) {
		cuts[0] = i;
		feed_chunks(b, n, cuts, 1, &got);
		assert_memory_equal(&got, &ref, sizeof(ref));
		for (size_t j = i; j <= n; j += 3) {
			cuts[1] = j;
			feed_chunks(b, n, cuts, 2, &got);
			assert_int_equal(got.n, ref.n);
			assert_memory_equal(&got, &ref, sizeof(ref));
		}
	}
	/* empty feeds change nothing */
	{
		struct kt_tcp_params p = params(false, false, 1);
		struct kt_pdu_err err;
		struct kt_rx rx;

		rec_reset(&R, &p);
		kt_rx_init(&rx, &p);
		assert_int_equal(kt_rx_feed(&rx, &rec_ops, &R, b, 0, &err), 0);
		assert_int_equal(R.n_hdr, 0);
	}
}

/* ---- builders: exact bytes ---------------------------------------------- */

static void test_build_rsp(void **state)
{
	uint8_t out[KT_PDU_TX_HDR_MAX];
	struct kt_tcp_params p = params(false, false, 0);
	struct kt_cqe cqe;
	static const uint8_t want[24] = {
		0x05, 0x00, 0x18, 0x00, 0x18, 0x00, 0x00, 0x00,
		0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55,
		0x05, 0x00, 0x01, 0x00, 0xcd, 0xab, 0x04, 0x00,
	};

	(void)state;
	memset(&cqe, 0, sizeof(cqe));
	cqe.dw0 = htole32(0x11223344);
	cqe.dw1 = htole32(0x55667788);
	cqe.sq_head = htole16(5);
	cqe.sq_id = htole16(1);
	memcpy(&cqe.cid, "\xcd\xab", 2); /* opaque: echoed byte for byte */
	cqe.status = htole16(kt_status_wire(0x2));
	assert_int_equal(kt_pdu_build_rsp(&p, out, &cqe), 24);
	assert_memory_equal(out, want, 24);

	p.hdgst = true;
	p.ddgst = true; /* no data: never a data digest flag */
	assert_int_equal(kt_pdu_build_rsp(&p, out, &cqe), 28);
	assert_int_equal(out[0], 0x05);
	assert_int_equal(out[1], KT_PDU_F_HDGST);
	assert_int_equal(out[2], 24);
	assert_int_equal(out[3], 0);
	assert_int_equal(get32(out + 4), 28);
	assert_memory_equal(out + 8, want + 8, 16);
	assert_int_equal(get32(out + 24), ref_crc32c(out, 24));
}

static void test_build_c2h_data(void **state)
{
	uint8_t out[KT_PDU_TX_HDR_MAX];
	struct kt_tcp_params p = params(false, false, 0);
	static const uint8_t want[24] = {
		0x07, 0x04, 0x18, 0x18, 0x18, 0x10, 0x00, 0x00, /* LAST, PDO 24, PLEN 24+4096 */
		0x34, 0x12, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, /* CCCID, TTAG 0, DATAO 0x2000 */
		0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* DATAL 4096 */
	};

	(void)state;
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(kt_pdu_build_c2h_data(&p, out, 0x1234, 0x2000, 4096, true, false), 24);
	assert_memory_equal(out, want, 24);

	/* SUCCESS only together with LAST_PDU */
	kt_pdu_build_c2h_data(&p, out, 0x1234, 0x2000, 4096, true, true);
	assert_int_equal(out[1], KT_PDU_F_DATA_LAST | KT_PDU_F_DATA_SUCCESS);
	kt_pdu_build_c2h_data(&p, out, 0x1234, 0, 4096, false, true);
	assert_int_equal(out[1], 0);
	kt_pdu_build_c2h_data(&p, out, 0x1234, 0, 4096, false, false);
	assert_int_equal(out[1], 0);

	/* digests on, host asked for 32-byte alignment (HPDA 7): header,
	 * digest, zero padding up to PDO 32; PLEN counts the data digest. */
	p = params(true, true, 0);
	p.hpda = 7;
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(kt_pdu_build_c2h_data(&p, out, 0x0009, 512, 100, true, true), 32);
	assert_int_equal(out[0], 0x07);
	assert_int_equal(out[1], KT_PDU_F_HDGST | KT_PDU_F_DDGST | KT_PDU_F_DATA_LAST |
				 KT_PDU_F_DATA_SUCCESS);
	assert_int_equal(out[2], 24);
	assert_int_equal(out[3], 32);
	assert_int_equal(get32(out + 4), 32 + 100 + 4);
	assert_int_equal(out[8] | out[9] << 8, 9);
	assert_int_equal(get32(out + 12), 512);
	assert_int_equal(get32(out + 16), 100);
	assert_int_equal(get32(out + 24), ref_crc32c(out, 24));
	assert_int_equal(get32(out + 28), 0);

	/* the CPDA (our receive alignment) does not pad what we send */
	p = params(false, false, 31);
	assert_int_equal(kt_pdu_build_c2h_data(&p, out, 1, 0, 1, true, false), 24);
	/* HPDA 31: 128-byte alignment, the largest */
	p.hpda = 31;
	p.hdgst = true;
	assert_int_equal(kt_pdu_build_c2h_data(&p, out, 1, 0, 1, true, false), 128);
	assert_int_equal(out[3], 128);
	assert_int_equal(get32(out + 4), 129);
	for (int i = 28; i < 128; i++)
		assert_int_equal(out[i], 0);
	/* HPDA 1: 28 rounds up to 32 */
	p.hpda = 1;
	assert_int_equal(kt_pdu_build_c2h_data(&p, out, 1, 0, 1, true, false), 32);
	p.hdgst = false;
	assert_int_equal(kt_pdu_build_c2h_data(&p, out, 1, 0, 1, true, false), 24);
}

static void test_build_r2t(void **state)
{
	uint8_t out[KT_PDU_TX_HDR_MAX];
	struct kt_tcp_params p = params(false, true, 0);
	static const uint8_t want[24] = {
		0x09, 0x00, 0x18, 0x00, 0x18, 0x00, 0x00, 0x00,
		0x02, 0x01, 0x04, 0x03, 0x00, 0x10, 0x00, 0x00, /* CCCID, TTAG, R2TO 4096 */
		0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, /* R2TL 128 KiB */
	};
	uint16_t cid, ttag;

	(void)state;
	memcpy(&cid, "\x02\x01", 2);
	memcpy(&ttag, "\x04\x03", 2);
	assert_int_equal(kt_pdu_build_r2t(&p, out, cid, ttag, 4096, 0x20000), 24);
	assert_memory_equal(out, want, 24);
	p.hdgst = true;
	assert_int_equal(kt_pdu_build_r2t(&p, out, cid, ttag, 4096, 0x20000), 28);
	assert_int_equal(out[1], KT_PDU_F_HDGST);
	assert_int_equal(get32(out + 4), 28);
	assert_memory_equal(out + 8, want + 8, 16);
	assert_int_equal(get32(out + 24), ref_crc32c(out, 24));
}

static void test_build_c2h_term(void **state)
{
	uint8_t out[KT_PDU_TX_HDR_MAX];
	uint8_t bad[200];
	struct kt_pdu_err err = { KT_FES_INVALID_HEADER, 0x04030201 };
	static const uint8_t want[24] = {
		0x03, 0x00, 0x18, 0x00, 0x20, 0x00, 0x00, 0x00, /* PLEN 24 + 8 */
		0x01, 0x00, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, /* FES 1, FEI at byte 10 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad); i++)
		bad[i] = (uint8_t)(i + 1);
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(kt_pdu_build_c2h_term(out, &err, bad, 8), 32);
	assert_memory_equal(out, want, 24);
	assert_memory_equal(out + 24, bad, 8);

	/* the echoed header is cut at 152 bytes */
	err.fes = KT_FES_HDR_DIGEST;
	err.fei = 0;
	assert_int_equal(kt_pdu_build_c2h_term(out, &err, bad, sizeof(bad)), 176);
	assert_int_equal(get32(out + 4), 176);
	assert_int_equal(out[8], KT_FES_HDR_DIGEST);
	assert_int_equal(get32(out + 10), 0);
	assert_memory_equal(out + 24, bad, 152);
	/* nothing to echo */
	assert_int_equal(kt_pdu_build_c2h_term(out, &err, NULL, 0), 24);
	assert_int_equal(get32(out + 4), 24);
}

/* An error found by the parser, turned into the C2HTermReq the daemon
 * would send: the echoed bytes are the offending header. */
static void test_rx_error_to_term(void **state)
{
	static uint8_t b[512];
	uint8_t out[KT_PDU_TX_HDR_MAX];
	struct kt_tcp_params p = params(false, false, 0);
	struct host h = { false, false, 0 };
	struct kt_pdu_err err;
	struct kt_rx rx;
	size_t n;

	(void)state;
	fill_pattern();
	n = h_cmd(b, &h, 1, pattern, 16);
	b[3] = 74;
	rec_reset(&R, &p);
	kt_rx_init(&rx, &p);
	rx.ic_done = true;
	assert_int_equal(kt_rx_feed(&rx, &rec_ops, &R, b, n, &err), -EPROTO);
	assert_int_equal(kt_pdu_build_c2h_term(out, &err, rx.hdr, rx.hdr_got), 24 + 72);
	assert_int_equal(out[0], KT_PDU_C2H_TERM);
	assert_int_equal(out[8], KT_FES_INVALID_HEADER);
	assert_int_equal(get32(out + 10), 3);
	assert_memory_equal(out + 24, b, 72);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_vectors),
		cmocka_unit_test(test_crc32c_incremental),
		cmocka_unit_test(test_icreq_accept),
		cmocka_unit_test(test_icreq_refused),
		cmocka_unit_test(test_icresp_build),
		cmocka_unit_test(test_rx_icreq_then_capsules),
		cmocka_unit_test(test_rx_sequence_before_icreq),
		cmocka_unit_test(test_rx_bad_types),
		cmocka_unit_test(test_rx_hlen),
		cmocka_unit_test(test_rx_flags),
		cmocka_unit_test(test_rx_pdo),
		cmocka_unit_test(test_rx_plen),
		cmocka_unit_test(test_rx_header_digest),
		cmocka_unit_test(test_rx_data_digest),
		cmocka_unit_test(test_rx_direct_placement),
		cmocka_unit_test(test_rx_callback_errors),
		cmocka_unit_test(test_rx_discard),
		cmocka_unit_test(test_rx_every_split),
		cmocka_unit_test(test_rx_error_to_term),
		cmocka_unit_test(test_build_rsp),
		cmocka_unit_test(test_build_c2h_data),
		cmocka_unit_test(test_build_r2t),
		cmocka_unit_test(test_build_c2h_term),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

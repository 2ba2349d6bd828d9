/*
 * test_hostile.c - malformed NVMe/TCP traffic against a running katod. Each
 * fatal error must be answered by a C2HTermReq with the right FES (and FEI,
 * where the spec makes it a byte offset), echoing the offending header,
 * then the connection must close, while katod keeps serving everyone else
 * (a bystander association made at start is checked after every test). A
 * data digest error is not fatal: the command fails with Transient
 * Transport Error and the queue goes on.
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/pdu.h"
#include "tests/host/host.h"
#include "tests/integration/harness.h"

static struct hn_katod K;
static struct kh_host *bystander;

static const char CONFIG[] = HN_CONFIG_ONE_PARAM("{\"inline_data_size\": \"8192\"}",
						"{\"backend\": \"ram\", \"size\": \"16M\"}",
						"{\"workers\": 2, \"log_level\": \"debug\"}");

static struct kh_opts opts(void)
{
	struct kh_opts o;

	memset(&o, 0, sizeof(o));
	o.subnqn = HN_SUBNQN;
	o.timeout_ms = 3000;
	return o;
}

static int group_setup(void **state)
{
	struct kh_opts o = opts();

	(void)state;
	if (hn_init(&K, 1) || hn_start(&K, 1, CONFIG, K.port[0]))
		return -1;
	return kh_admin_up(&bystander, HN_ADDR, K.port[0], &o) ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	kh_close(bystander);
	hn_cleanup(&K);
	return 0;
}

static int t_setup(void **state)
{
	(void)state;
	hn_test_begin(&K);
	return 0;
}

/* katod still serves: the bystander's queue and a new association. */
static int t_teardown(void **state)
{
	struct kh_opts o = opts();
	struct kh_host *a;
	uint64_t csts = 0;
	int rc;

	(void)state;
	rc = kh_prop_get(bystander, NVME_REG_CSTS, 4, &csts);
	if (rc || (csts & 3) != 1) {
		fprintf(stderr, "bystander: Property Get CSTS: %d, CSTS %#llx\n", rc,
			(unsigned long long)csts);
		k_fail:
		K.test_ok = false;
		hn_test_end(&K);
		return -1;
	}
	if (kh_admin_up(&a, HN_ADDR, K.port[0], &o)) {
		fprintf(stderr, "a new association failed after the test\n");
		goto k_fail;
	}
	kh_close(a);
	return hn_test_end(&K);
}

/* An ICReq'd connection with nothing else, or the raw TCP connection. */
static struct kh_host *raw_conn(bool icreq, bool hdgst, bool ddgst)
{
	struct kh_opts o = opts();
	struct kh_host *h = NULL;

	o.no_connect = true;
	o.no_icreq = !icreq;
	o.hdgst = hdgst;
	o.ddgst = ddgst;
	HN_ASSERT_OK(kh_connect(&h, HN_ADDR, K.port[0], &o, NULL));
	return h;
}

/* A CapsuleCmd header (Keep Alive) with the given fields. */
static void capsule(uint8_t *buf, uint8_t flags, uint8_t hlen, uint8_t pdo, uint32_t plen)
{
	struct kt_cmd_pdu *c = (void *)buf;

	memset(c, 0, sizeof(*c));
	c->hdr.type = KT_PDU_CMD;
	c->hdr.flags = flags;
	c->hdr.hlen = hlen;
	c->hdr.pdo = pdo;
	c->hdr.plen = htole32(plen);
	c->sqe.opcode = nvme_admin_keep_alive;
	c->sqe.flags = KT_SQE_FLAGS_PSDT_SGL;
	c->sqe.dptr.type = KT_SGL_TRANSPORT;
}

/* Sends `len` bytes, expects a TermReq with fes (and fei unless fei < 0)
 * echoing the first `echo` bytes sent, then the close. */
static void expect_term(struct kh_host *h, const uint8_t *bytes, size_t len, uint16_t fes,
			long fei, size_t echo)
{
	uint16_t got_fes = 0;
	uint32_t got_fei = 0;
	const uint8_t *hdr;
	size_t hlen = 0;
	int rc;

	rc = kh_send_raw(h, bytes, len);
	assert_true(rc == 0 || rc == -EPIPE);
	rc = kh_recv_term(h, &got_fes, &got_fei);
	if (rc)
		fail_msg("no C2HTermReq and close: %s", strerror(-rc));
	assert_int_equal(got_fes, fes);
	if (fei >= 0)
		assert_int_equal(got_fei, fei);
	hdr = kh_term_hdr(h, &hlen);
	assert_non_null(hdr);
	if (echo) {
		assert_true(hlen >= echo);
		assert_memory_equal(hdr, bytes, echo);
	}
	kh_close(h);
}

static void bad_pdu_type(void **state)
{
	uint8_t b[24];

	(void)state;
	memset(b, 0, sizeof(b));
	b[0] = 0x0b; /* no such PDU type */
	b[2] = 24;
	b[4] = 24;
	expect_term(raw_conn(true, false, false), b, sizeof(b), KT_FES_INVALID_HEADER, 0, 8);
}

static void controller_pdu_type_from_host(void **state)
{
	uint8_t b[24];

	(void)state;
	memset(b, 0, sizeof(b));
	b[0] = KT_PDU_RSP; /* a CapsuleResp, which only a controller sends */
	b[2] = 24;
	b[4] = 24;
	expect_term(raw_conn(true, false, false), b, sizeof(b), KT_FES_INVALID_HEADER, 0, 8);
}

static void bad_hlen(void **state)
{
	uint8_t b[72];

	(void)state;
	capsule(b, 0, 64, 0, 72);
	expect_term(raw_conn(true, false, false), b, sizeof(b), KT_FES_INVALID_HEADER,
		    offsetof(struct kt_pdu_hdr, hlen), 8);
}

static void bad_pdo(void **state)
{
	uint8_t b[72 + 512];
	struct kt_cmd_pdu *c = (void *)b;

	(void)state;
	memset(b, 0, sizeof(b));
	/* in-capsule data placed inside the header */
	capsule(b, 0, 72, 68, sizeof(b) - 4);
	c->sqe.opcode = nvme_admin_set_features;
	c->sqe.dptr.type = KT_SGL_INCAPSULE;
	c->sqe.dptr.length = htole32(512);
	expect_term(raw_conn(true, false, false), b, sizeof(b) - 4, KT_FES_INVALID_HEADER,
		    offsetof(struct kt_pdu_hdr, pdo), 8);
}

static void bad_plen(void **state)
{
	uint8_t b[72];

	(void)state;
	/* PLEN shorter than the header itself (PLEN beyond the header with
	 * PDO 0 would be as much a PDO error as a PLEN one) */
	capsule(b, 0, 72, 0, 64);
	expect_term(raw_conn(true, false, false), b, sizeof(b), KT_FES_INVALID_HEADER,
		    offsetof(struct kt_pdu_hdr, plen), 8);
}

static void digest_flag_not_negotiated(void **state)
{
	uint8_t b[76];

	(void)state;
	capsule(b, KT_PDU_F_HDGST, 72, 0, 76);
	kh_put_digest(b + 72, b, 72);
	expect_term(raw_conn(true, false, false), b, sizeof(b), KT_FES_INVALID_HEADER,
		    offsetof(struct kt_pdu_hdr, flags), 8);
}

static void header_digest_mismatch(void **state)
{
	uint8_t b[76];

	(void)state;
	capsule(b, KT_PDU_F_HDGST, 72, 0, 76);
	kh_put_digest(b + 72, b, 72);
	b[72] ^= 0x5a;
	expect_term(raw_conn(true, true, false), b, sizeof(b), KT_FES_HDR_DIGEST, -1, 8);
}

static void icreq_twice(void **state)
{
	struct kt_icreq_pdu req;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.hdr.type = KT_PDU_ICREQ;
	req.hdr.hlen = sizeof(req);
	req.hdr.plen = htole32(sizeof(req));
	expect_term(raw_conn(true, false, false), (uint8_t *)&req, sizeof(req),
		    KT_FES_PDU_SEQUENCE, -1, 8);
}

static void command_before_icreq(void **state)
{
	uint8_t b[72];

	(void)state;
	capsule(b, 0, 72, 0, 72);
	expect_term(raw_conn(false, false, false), b, sizeof(b), KT_FES_PDU_SEQUENCE, -1, 8);
}

static void icreq_bad_pfv(void **state)
{
	struct kt_icreq_pdu req;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.hdr.type = KT_PDU_ICREQ;
	req.hdr.hlen = sizeof(req);
	req.hdr.plen = htole32(sizeof(req));
	req.pfv = htole16(7);
	expect_term(raw_conn(false, false, false), (uint8_t *)&req, sizeof(req),
		    KT_FES_UNSUPPORTED_PARAM, offsetof(struct kt_icreq_pdu, pfv), 8);
}

/* An I/O queue with a write waiting for us to answer its R2T. */
static struct kh_host *held_write(struct kh_host **admin, uint8_t *buf, uint32_t len,
				  uint16_t *cid, uint16_t *ttag, uint32_t *off, uint32_t *r2tl)
{
	struct kh_opts o = opts();
	struct kh_host *io;
	struct kt_sqe sqe;
	int c;

	HN_ASSERT_OK(kh_admin_up(admin, HN_ADDR, K.port[0], &o));
	HN_ASSERT_OK(kh_io_up(&io, *admin, HN_ADDR, K.port[0], 1, &o, NULL));
	kh_sqe_rw(&sqe, nvme_cmd_write, 1, 0, len / 512);
	c = kh_submit(io, &sqe, buf, len, KH_H2C, KH_F_NO_ICD | KH_F_HOLD_R2T, NULL);
	assert_true(c >= 0);
	*cid = (uint16_t)c;
	HN_ASSERT_OK(kh_r2t_wait(io, *cid, ttag, off, r2tl));
	assert_int_equal(*off, 0);
	return io;
}

static void h2c_data_beyond_r2t(void **state)
{
	static uint8_t buf[64 * 1024];
	struct kh_host *a, *io;
	struct kt_data_pdu d;
	uint16_t cid, ttag;
	uint32_t off, len;

	(void)state;
	io = held_write(&a, buf, sizeof(buf), &cid, &ttag, &off, &len);
	/* 512 bytes that run 256 bytes past the R2T's range */
	memset(&d, 0, sizeof(d));
	d.hdr.type = KT_PDU_H2C_DATA;
	d.hdr.flags = KT_PDU_F_DATA_LAST;
	d.hdr.hlen = 24;
	d.hdr.pdo = 24;
	d.hdr.plen = htole32(24 + 512);
	d.cccid = cid;
	d.ttag = ttag;
	d.offset = htole32(off + len - 256);
	d.length = htole32(512);
	{
		uint8_t pdu[24 + 512];

		memcpy(pdu, &d, 24);
		memset(pdu + 24, 0xee, 512);
		expect_term(io, pdu, sizeof(pdu), KT_FES_DATA_OUT_OF_RANGE, -1, 8);
	}
	kh_close(a);
	hn_pass(&K);
}

/* One H2CData PDU larger than MAXH2CDATA. */
static void h2c_data_over_maxh2cdata(void **state)
{
	static uint8_t buf[1 << 20];
	struct kh_host *a, *io;
	struct kt_data_pdu *d;
	uint16_t cid, ttag;
	uint32_t off, len, n;
	uint8_t *pdu;

	(void)state;
	io = held_write(&a, buf, sizeof(buf), &cid, &ttag, &off, &len);
	n = kh_maxh2cdata(io) + 4;
	if (len < n) {
		/* katod split its R2Ts to MAXH2CDATA: the PDU would also be out
		 * of the R2T's range; the limit cannot be tested apart. */
		kh_close(io);
		kh_close(a);
		skip();
	}
	pdu = calloc(1, 24 + n);
	assert_non_null(pdu);
	d = (void *)pdu;
	d->hdr.type = KT_PDU_H2C_DATA;
	d->hdr.hlen = 24;
	d->hdr.pdo = 24;
	d->hdr.plen = htole32(24 + n);
	d->cccid = cid;
	d->ttag = ttag;
	d->offset = htole32(off);
	d->length = htole32(n);
	expect_term(io, pdu, 24 + n, KT_FES_R2T_LIMIT, -1, 8);
	free(pdu);
	kh_close(a);
	hn_pass(&K);
}

/* A data digest error fails the command (Transient Transport Error) but
 * not the connection: in-capsule data and H2CData alike. */
static void data_digest_mismatch(void **state)
{
	struct kh_opts o = opts();
	struct kh_host *a, *io;
	static uint8_t w[64 * 1024], r[64 * 1024];
	struct kt_sqe sqe;

	(void)state;
	o.hdgst = true;
	o.ddgst = true;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, K.port[0], &o));
	HN_ASSERT_OK(kh_io_up(&io, a, HN_ADDR, K.port[0], 1, &o, NULL));
	assert_true(kh_ddgst(io));
	hn_fill(w, sizeof(w), 3);
	HN_ASSERT_OK(kh_write(io, 1, 0, sizeof(w) / 512, w, sizeof(w), false));

	/* in-capsule */
	memset(r, 0x11, 4096);
	kh_sqe_rw(&sqe, nvme_cmd_write, 1, 0, 8);
	HN_ASSERT_SC(kh_cmd(io, &sqe, r, 4096, KH_H2C, KH_F_ICD | KH_F_BAD_DDGST, NULL),
		     NVME_SCT_GENERIC, NVME_SC_TRAN_TPORT_ERROR);
	/* by R2T */
	kh_sqe_rw(&sqe, nvme_cmd_write, 1, 16, 64);
	HN_ASSERT_SC(kh_cmd(io, &sqe, r, 32768, KH_H2C, KH_F_NO_ICD | KH_F_BAD_DDGST, NULL),
		     NVME_SCT_GENERIC, NVME_SC_TRAN_TPORT_ERROR);
	/* the queue goes on */
	HN_ASSERT_OK(kh_read(io, 1, 0, sizeof(r) / 512, r, sizeof(r)));
	/* Whether bad data reached the medium is not specified; blocks
	 * outside both commands are certainly intact. */
	assert_memory_equal(r + 8 * 512, w + 8 * 512, 8 * 512);
	assert_memory_equal(r + 80 * 512, w + 80 * 512, sizeof(w) - 80 * 512);
	kh_close(io);
	kh_close(a);
	hn_pass(&K);
}

/* expect_term-based tests pass when they return. */
#define TP(f)                                                                          \
	static void f##_t(void **state)                                                \
	{                                                                              \
		f(state);                                                              \
		hn_pass(&K);                                                           \
	}
TP(bad_pdu_type)
TP(controller_pdu_type_from_host)
TP(bad_hlen)
TP(bad_pdo)
TP(bad_plen)
TP(digest_flag_not_negotiated)
TP(header_digest_mismatch)
TP(icreq_twice)
TP(command_before_icreq)
TP(icreq_bad_pfv)

#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
#define TT(f) { #f, f##_t, t_setup, t_teardown, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		TT(bad_pdu_type),
		TT(controller_pdu_type_from_host),
		TT(bad_hlen),
		TT(bad_pdo),
		TT(bad_plen),
		TT(digest_flag_not_negotiated),
		TT(header_digest_mismatch),
		TT(icreq_twice),
		TT(command_before_icreq),
		TT(icreq_bad_pfv),
		T(h2c_data_beyond_r2t),
		T(h2c_data_over_maxh2cdata),
		T(data_digest_mismatch),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

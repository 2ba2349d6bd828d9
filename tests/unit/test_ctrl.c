/*
 * test_ctrl.c - unit tests of the controller model (proto/ctrl.c): CAP and
 * the other registers after init, Property Get/Set and what CC writes do
 * (enable, reset, shutdown, refused settings), KATO rounding and the
 * keep-alive deadline arithmetic, the error log ring, asynchronous event
 * filtering, queueing, pairing and masking, and the Changed Namespace List.
 */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/cmd.h"
#include "proto/ctrl.h"

#define CC_ENABLE (1u | 6u << 16 | 4u << 20)
#define SC_INVALID_FIELD_DNR (NVME_SC_INVALID_FIELD | KT_SC_DNR)

static struct kt_ns g_ns[2];
static struct kt_ns *g_nsp[2] = { &g_ns[0], &g_ns[1] };
static struct kt_subsys g_sub;
static struct kt_port g_port;
static struct kt_target g_tgt;
static struct kt_ctrl g_c;
static const uint8_t g_hostid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static int setup(void **state)
{
	(void)state;
	memset(&g_tgt, 0, sizeof(g_tgt));
	memset(&g_sub, 0, sizeof(g_sub));
	memset(g_ns, 0, sizeof(g_ns));
	g_tgt.kas = 1;
	g_tgt.mqes = 127;
	g_tgt.mdts = 5;
	strcpy(g_tgt.disc_nqn, KT_WELL_KNOWN_DISC_NQN);
	strcpy(g_tgt.disc.nqn, KT_WELL_KNOWN_DISC_NQN);
	g_tgt.disc.discovery = true;
	g_tgt.disc.version = 0x00010300;
	strcpy(g_sub.nqn, "nqn.2024-01.io.kato:ctrl");
	g_sub.version = 0x00020000;
	g_sub.qid_max = 6;
	g_ns[0] = (struct kt_ns){ .nsid = 1, .enabled = true, .lba_shift = 9, .nblocks = 100, .vwc = false };
	g_ns[1] = (struct kt_ns){ .nsid = 2, .enabled = true, .lba_shift = 12, .nblocks = 100, .vwc = true };
	g_sub.n_ns = 2;
	g_sub.ns = g_nsp;
	memset(&g_port, 0, sizeof(g_port));
	g_port.inline_data_size = 16384;
	kt_ctrl_init(&g_c, &g_tgt, &g_sub, &g_port, 7, "nqn.host", g_hostid, 31, 10000, 1000);
	return 0;
}

static void enable(struct kt_ctrl *c, uint64_t now)
{
	bool reset = true;
	assert_int_equal(kt_ctrl_prop_set(c, 0x14, 4, CC_ENABLE, now, &reset), 0);
	assert_false(reset);
	assert_true(kt_ctrl_ready(c));
}

/* ---- KATO rounding ----------------------------------------------------- */

static void test_kato_round(void **state)
{
	struct kt_target t = { .kas = 1 };
	(void)state;

	assert_int_equal(kt_kato_round(&t, 0), 0);
	assert_int_equal(kt_kato_round(&t, 1), 100);
	assert_int_equal(kt_kato_round(&t, 100), 100);
	assert_int_equal(kt_kato_round(&t, 101), 200);
	assert_int_equal(kt_kato_round(&t, 15000), 15000);
	t.kas = 0; /* behaves as 1 */
	assert_int_equal(kt_kato_round(&t, 101), 200);
	t.kas = 5; /* 500 ms */
	assert_int_equal(kt_kato_round(&t, 1234), 1500);
	assert_int_equal(kt_kato_round(&t, 1500), 1500);
	assert_int_equal(kt_kato_round(&t, 1501), 2000);
	/* Cannot round up past 2^32-1: the largest multiple that fits. */
	assert_int_equal(kt_kato_round(&t, UINT32_MAX), UINT32_MAX / 500u * 500u);
}

/* ---- Init and registers ------------------------------------------------ */

static void test_init_io(void **state)
{
	uint64_t v = 0;
	(void)state;

	assert_int_equal(g_c.cntlid, 7);
	assert_false(g_c.discovery);
	assert_string_equal(g_c.hostnqn, "nqn.host");
	assert_memory_equal(g_c.hostid, g_hostid, 16);
	/* CAP: MQES 127, CQR (bit 16), TO 30 (bits 31:24), CSS NVM (bit 37),
	 * no IOCSS (bit 43), MPSMIN/MPSMAX 0, DSTRD 0. */
	assert_int_equal(kt_ctrl_prop_get(&g_c, 0x0, 8, &v), 0);
	assert_int_equal(v, 127ull | 1ull << 16 | 30ull << 24 | 1ull << 37);
	assert_int_equal(v & 0xffff, 127);
	assert_int_equal((v >> 24) & 0xff, 30);
	assert_int_equal((v >> 32) & 0xf, 0);          /* DSTRD */
	assert_int_equal((v >> 43) & 1, 0);            /* IOCSS */
	assert_int_equal((v >> 48) & 0xff, 0);         /* MPSMIN, MPSMAX */
	assert_int_equal(kt_ctrl_prop_get(&g_c, 0x8, 4, &v), 0);
	assert_int_equal(v, 0x00020000);
	assert_int_equal(kt_ctrl_prop_get(&g_c, 0x14, 4, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(kt_ctrl_prop_get(&g_c, 0x1c, 4, &v), 0);
	assert_int_equal(v, 0);
	assert_false(kt_ctrl_ready(&g_c));

	assert_int_equal(g_c.admin_sqsize, 31);
	assert_int_equal(g_c.max_io_queues, 6);
	assert_int_equal(g_c.nr_io_queues, 6);
	assert_int_equal(g_c.ioccsz_bytes, 64 + 16384);
	assert_int_equal(g_c.kato_ms, 10000);
	assert_int_equal(g_c.kato_default_ms, 10000);
	assert_int_equal(g_c.ka_rearm_ms, 1000);
	assert_int_equal(atomic_load(&g_c.last_traffic_ms), 1000);
	assert_true(g_c.ka_traffic_based);
	assert_int_equal(g_c.start_ms, 1000);
	assert_int_equal(g_c.feat_vwc, 1); /* namespace 2 has a write cache */
	assert_int_equal(g_c.feat_aec, 0);
	assert_int_equal(g_c.feat_host_id_lo, 0x0807060504030201ull);
	assert_int_equal(g_c.feat_host_id_hi, 0x100f0e0d0c0b0a09ull);
	assert_int_equal(g_c.err_count, 0);
	assert_int_equal(g_c.n_aer, 0);
}

static void test_init_discovery_and_rounding(void **state)
{
	struct kt_ctrl c;
	(void)state;

	g_ns[1].vwc = false;
	g_tgt.kas = 2;
	kt_ctrl_init(&c, &g_tgt, &g_tgt.disc, &g_port, 9, "h", NULL, 31, 1001, 50);
	assert_true(c.discovery);
	assert_ptr_equal(c.subsys, &g_tgt.disc);
	assert_int_equal(c.max_io_queues, 0);
	assert_int_equal(c.nr_io_queues, 0);
	assert_int_equal(c.ioccsz_bytes, 0);
	assert_int_equal(c.kato_ms, 1200); /* 1001 rounded up to 200 ms */
	assert_int_equal(c.vs, 0x00010300);
	assert_int_equal(c.cap & 0xffff, 127);
	kt_ctrl_init(&c, &g_tgt, &g_sub, NULL, 9, "h", NULL, 31, 0, 50);
	assert_int_equal(c.feat_vwc, 0); /* no namespace with a write cache */
	assert_int_equal(c.kato_ms, 0);
	assert_int_equal(c.ioccsz_bytes, 64); /* no port: no in-capsule data */
}

static void test_prop_refused(void **state)
{
	uint64_t v = 0xdead;
	bool reset = true;
	(void)state;

	/* Wrong sizes. */
	assert_int_equal(kt_ctrl_prop_get(&g_c, 0x0, 4, &v), SC_INVALID_FIELD_DNR);
	assert_int_equal(kt_ctrl_prop_get(&g_c, 0x8, 8, &v), SC_INVALID_FIELD_DNR);
	assert_int_equal(kt_ctrl_prop_get(&g_c, 0x14, 8, &v), SC_INVALID_FIELD_DNR);
	/* Properties we do not have: CAP's upper half, INTMS, NSSR, CMBLOC. */
	assert_int_equal(kt_ctrl_prop_get(&g_c, 0x4, 4, &v), SC_INVALID_FIELD_DNR);
	assert_int_equal(kt_ctrl_prop_get(&g_c, 0xc, 4, &v), SC_INVALID_FIELD_DNR);
	assert_int_equal(kt_ctrl_prop_get(&g_c, 0x20, 4, &v), SC_INVALID_FIELD_DNR);
	assert_int_equal(kt_ctrl_prop_get(&g_c, 0x38, 4, &v), SC_INVALID_FIELD_DNR);
	assert_int_equal(v, 0xdead);
	/* Read-only and unknown properties, and CC with 8 bytes. */
	assert_int_equal(kt_ctrl_prop_set(&g_c, 0x0, 8, 0, 0, &reset), SC_INVALID_FIELD_DNR);
	assert_false(reset);
	assert_int_equal(kt_ctrl_prop_set(&g_c, 0x8, 4, 0, 0, &reset), SC_INVALID_FIELD_DNR);
	assert_int_equal(kt_ctrl_prop_set(&g_c, 0x1c, 4, 0, 0, &reset), SC_INVALID_FIELD_DNR);
	assert_int_equal(kt_ctrl_prop_set(&g_c, 0x20, 4, 0x4e564d65, 0, &reset), SC_INVALID_FIELD_DNR);
	assert_int_equal(kt_ctrl_prop_set(&g_c, 0x14, 8, CC_ENABLE, 0, &reset), SC_INVALID_FIELD_DNR);
	assert_int_equal(g_c.cc, 0);
	assert_int_equal(g_c.csts, 0);
}

static void test_cc_enable(void **state)
{
	uint64_t v;
	(void)state;

	g_c.ka_rearm_ms = 0;
	enable(&g_c, 4242);
	assert_int_equal(kt_ctrl_prop_get(&g_c, 0x14, 4, &v), 0);
	assert_int_equal(v, CC_ENABLE);
	assert_int_equal(kt_ctrl_prop_get(&g_c, 0x1c, 4, &v), 0);
	assert_int_equal(v, 1); /* RDY, no CFS, SHST 00b */
	assert_int_equal(g_c.ka_rearm_ms, 4242); /* keep-alive re-armed at EN=1 */
}

/* Settings we do not support fail the enable: CSTS.CFS, RDY stays 0. */
static void check_bad_enable(uint32_t cc)
{
	bool reset = true;
	uint64_t v;

	setup(NULL);
	assert_int_equal(kt_ctrl_prop_set(&g_c, 0x14, 4, cc, 5, &reset), 0);
	assert_false(reset);
	assert_int_equal(kt_ctrl_prop_get(&g_c, 0x1c, 4, &v), 0);
	assert_int_equal(v, 2); /* CFS, not RDY */
	assert_false(kt_ctrl_ready(&g_c));
	assert_int_equal(g_c.ka_rearm_ms, 1000); /* not re-armed */
	/* A reset (EN 1->0) clears CFS; then a good enable works. */
	assert_int_equal(kt_ctrl_prop_set(&g_c, 0x14, 4, 0, 6, &reset), 0);
	assert_true(reset);
	assert_int_equal(g_c.csts, 0);
	enable(&g_c, 7);
}

static void test_cc_enable_refused(void **state)
{
	(void)state;
	check_bad_enable(1u | 7u << 16 | 4u << 20);               /* IOSQES 7 */
	check_bad_enable(1u | 6u << 16 | 5u << 20);               /* IOCQES 5 */
	check_bad_enable(1u | 0u << 16 | 0u << 20);               /* I/O ctrl: 0 sizes */
	check_bad_enable(CC_ENABLE | 1u << 7);                    /* MPS 1 (8 KiB) */
	check_bad_enable(CC_ENABLE | 1u << 11);                   /* AMS WRR */
	check_bad_enable(CC_ENABLE | 6u << 4);                    /* CSS 110b: no IOCSS */
	check_bad_enable(CC_ENABLE | 7u << 4);                    /* CSS admin only */
}

static void test_cc_enable_discovery(void **state)
{
	struct kt_ctrl c;
	bool reset;
	(void)state;

	/* A discovery controller takes IOSQES/IOCQES 0 (or 6/4). */
	kt_ctrl_init(&c, &g_tgt, &g_tgt.disc, &g_port, 1, "h", NULL, 31, 0, 0);
	assert_int_equal(kt_ctrl_prop_set(&c, 0x14, 4, 1, 3, &reset), 0);
	assert_true(kt_ctrl_ready(&c));
	kt_ctrl_init(&c, &g_tgt, &g_tgt.disc, &g_port, 1, "h", NULL, 31, 0, 0);
	enable(&c, 3);
	kt_ctrl_init(&c, &g_tgt, &g_tgt.disc, &g_port, 1, "h", NULL, 31, 0, 0);
	assert_int_equal(kt_ctrl_prop_set(&c, 0x14, 4, 1u | 5u << 16, 3, &reset), 0);
	assert_int_equal(c.csts, 2);
}

static void test_cc_reset(void **state)
{
	bool reset = false;
	uint16_t cid;
	uint32_t dw0;
	(void)state;

	enable(&g_c, 10);
	g_c.aer_cids[0] = 5;
	g_c.n_aer = 1;
	g_c.feat_aec = 1u << 8;
	kt_ctrl_ns_changed(&g_c, 1);
	assert_int_equal(g_c.n_aen_pending, 1); /* queued; the daemon pairs it */
	assert_int_equal(kt_ctrl_prop_set(&g_c, 0x14, 4, CC_ENABLE & ~1u, 20, &reset), 0);
	assert_true(reset);
	assert_false(kt_ctrl_ready(&g_c));
	assert_int_equal(g_c.csts & 1, 0);
	assert_int_equal(g_c.n_aer, 0);
	assert_int_equal(g_c.n_aen_pending, 0);
	assert_false(kt_ctrl_aen_take(&g_c, &cid, &dw0));
	/* Features survive a reset; the changed list too. */
	assert_int_equal(g_c.feat_aec, 1u << 8);
	assert_int_equal(g_c.n_changed_ns, 1);
	/* EN 0 -> 0 again: nothing happens. */
	assert_int_equal(kt_ctrl_prop_set(&g_c, 0x14, 4, 0, 21, &reset), 0);
	assert_false(reset);
	enable(&g_c, 30);
}

static void test_cc_shutdown(void **state)
{
	bool reset = false;
	uint64_t v;
	(void)state;

	enable(&g_c, 10);
	g_c.aer_cids[0] = 7;
	g_c.aer_cids[1] = 9;
	g_c.n_aer = 2;
	/* Normal shutdown: SHST = 10b at once, I/O queues go, RDY clears.
	 * Outstanding AERs stay outstanding (as nvmet and SPDK keep them): a
	 * completion now would reach a host that may have reused the ids. */
	assert_int_equal(kt_ctrl_prop_set(&g_c, 0x14, 4, CC_ENABLE | 1u << 14, 11, &reset), 0);
	assert_true(reset);
	assert_int_equal(kt_ctrl_prop_get(&g_c, 0x1c, 4, &v), 0);
	assert_int_equal(v, 0x8);
	assert_int_equal(g_c.n_aer, 2);
	assert_true(kt_ctrl_aer_held(&g_c, 7));
	assert_true(kt_ctrl_aer_held(&g_c, 9));
	assert_false(kt_ctrl_ready(&g_c));
	/* Writing the same SHN again changes nothing. */
	assert_int_equal(kt_ctrl_prop_set(&g_c, 0x14, 4, CC_ENABLE | 1u << 14, 12, &reset), 0);
	assert_false(reset);
	/* Reset after shutdown: SHST and RDY clear, and it can start again;
	 * the AERs are aborted without a completion (NVMe Base). */
	assert_int_equal(kt_ctrl_prop_set(&g_c, 0x14, 4, 0, 13, &reset), 0);
	assert_true(reset);
	assert_int_equal(g_c.csts, 0);
	assert_int_equal(g_c.n_aer, 0);
	assert_false(kt_ctrl_aer_held(&g_c, 7));
	enable(&g_c, 14);

	/* Abrupt shutdown (10b) too. */
	assert_int_equal(kt_ctrl_prop_set(&g_c, 0x14, 4, CC_ENABLE | 2u << 14, 15, &reset), 0);
	assert_true(reset);
	assert_int_equal(g_c.csts, 0x8);
	/* Clearing SHN alone clears SHST. */
	assert_int_equal(kt_ctrl_prop_set(&g_c, 0x14, 4, CC_ENABLE, 16, &reset), 0);
	assert_int_equal(g_c.csts & 0xc, 0);
}

static void test_cc_config_held_while_enabled(void **state)
{
	bool reset;
	(void)state;

	enable(&g_c, 10);
	/* IOSQES changed while enabled: ignored, CC keeps what is in force. */
	assert_int_equal(kt_ctrl_prop_set(&g_c, 0x14, 4, 1u | 7u << 16 | 4u << 20, 11, &reset), 0);
	assert_false(reset);
	assert_int_equal(g_c.cc, CC_ENABLE);
	assert_true(kt_ctrl_ready(&g_c));
}

/* ---- Keep-alive -------------------------------------------------------- */

static void test_ka_deadline(void **state)
{
	(void)state;

	/* Connect at 1000 with KATO 10000. */
	assert_int_equal(kt_ctrl_ka_deadline(&g_c), 11000);
	kt_ctrl_ka_rearm(&g_c, 5000);
	assert_int_equal(g_c.ka_rearm_ms, 5000);
	assert_int_equal(kt_ctrl_ka_deadline(&g_c), 15000);
	/* Traffic later than the re-arm pushes the deadline (TBKAS). */
	atomic_store(&g_c.last_traffic_ms, 12000);
	assert_int_equal(kt_ctrl_ka_deadline(&g_c), 22000);
	/* Traffic older than the re-arm does not pull it back. */
	atomic_store(&g_c.last_traffic_ms, 3000);
	assert_int_equal(kt_ctrl_ka_deadline(&g_c), 15000);
	/* Without TBKAS traffic does not count. */
	atomic_store(&g_c.last_traffic_ms, 12000);
	g_c.ka_traffic_based = false;
	assert_int_equal(kt_ctrl_ka_deadline(&g_c), 15000);
	/* KATO 0: never. */
	g_c.kato_ms = 0;
	assert_int_equal(kt_ctrl_ka_deadline(&g_c), 0);
}

/* ---- Error log --------------------------------------------------------- */

static void test_error_log(void **state)
{
	const struct nvme_error_log_page *e;
	const uint8_t *b;
	(void)state;

	kt_ctrl_log_error(&g_c, 3, 0xabcd, NVME_SC_LBA_RANGE | KT_SC_DNR, 0x30, 0x123456789ull, 1);
	assert_int_equal(g_c.err_count, 1);
	e = &g_c.errlog[0];
	b = (const uint8_t *)e;
	/* Bytes at the spec's offsets: count 0, SQID 8, CID 10, status 12,
	 * parameter location 14, LBA 16, NSID 24, TRTYPE 29. */
	assert_int_equal(b[0], 1);
	assert_int_equal(b[8], 3);
	assert_int_equal(b[10], 0xcd);
	assert_int_equal(b[11], 0xab);
	/* status field as in the CQE: (0x4080 << 1) */
	assert_int_equal(b[12], 0x00);
	assert_int_equal(b[13], 0x81);
	assert_int_equal(b[14], 0x30);
	assert_int_equal(b[16], 0x89);
	assert_int_equal(b[20], 0x01);
	assert_int_equal(b[24], 1);
	assert_int_equal(b[29], NVMF_TRTYPE_TCP);

	/* The ring keeps the newest KT_ERRLOG_MAX. */
	for (unsigned i = 1; i < KT_ERRLOG_MAX + 5; i++)
		kt_ctrl_log_error(&g_c, 0, (uint16_t)i, NVME_SC_INVALID_FIELD, 0xffff, 0, 0);
	assert_int_equal(g_c.err_count, KT_ERRLOG_MAX + 5);
	/* Entry n (1-based) lives at (n-1) % MAX. */
	e = &g_c.errlog[(KT_ERRLOG_MAX + 5 - 1) % KT_ERRLOG_MAX];
	assert_int_equal(le64toh(e->error_count), KT_ERRLOG_MAX + 5);
	assert_int_equal(e->cmdid, KT_ERRLOG_MAX + 4);
	e = &g_c.errlog[0];
	assert_int_equal(le64toh(e->error_count), KT_ERRLOG_MAX + 1);
}

/* ---- Asynchronous events ----------------------------------------------- */

/* I/O command errors: the entry an I/O queue builds, the cap on entries in
 * flight to the admin worker, and lost entries still counted. */
static void test_io_error_rec(void **state)
{
	struct kt_cmd cmd;
	struct kt_err_rec r;
	(void)state;

	memset(&cmd, 0, sizeof(cmd));
	cmd.sqe.opcode = nvme_cmd_read;
	cmd.sqe.cid = 0x1234;
	cmd.sqe.nsid = htole32(1);
	cmd.sqe.cdw10 = htole32(0x89abcdefu);
	cmd.sqe.cdw11 = htole32(0x01234567u);
	kt_ctrl_io_error_rec(&cmd, 3, NVME_SC_LBA_RANGE | KT_SC_DNR, &r);
	assert_int_equal(r.sqid, 3);
	assert_int_equal(r.cid, 0x1234);
	assert_int_equal(r.status, NVME_SC_LBA_RANGE | KT_SC_DNR);
	assert_int_equal(r.nsid, 1);
	assert_int_equal(r.lba, 0x0123456789abcdefull);
	assert_int_equal(r.param_loc, 40); /* CDW10: SLBA */

	cmd.sqe.opcode = nvme_cmd_write;
	kt_ctrl_io_error_rec(&cmd, 1, NVME_SC_INVALID_NS | KT_SC_DNR, &r);
	assert_int_equal(r.param_loc, 4);
	assert_int_equal(r.lba, 0x0123456789abcdefull);

	/* Commands without an SLBA report LBA 0; an opcode we lack names
	 * byte 0; a status naming no field names none (FFFFh). */
	cmd.sqe.opcode = nvme_cmd_flush;
	kt_ctrl_io_error_rec(&cmd, 1, NVME_SC_INTERNAL, &r);
	assert_int_equal(r.lba, 0);
	assert_int_equal(r.param_loc, 0xffff);
	cmd.sqe.opcode = 0x55;
	kt_ctrl_io_error_rec(&cmd, 1, NVME_SC_INVALID_OPCODE | KT_SC_DNR, &r);
	assert_int_equal(r.param_loc, 0);
	assert_int_equal(r.lba, 0);
	/* A command-specific status with the same code names no field. */
	kt_ctrl_io_error_rec(&cmd, 1, (NVME_SCT_CMD_SPECIFIC << NVME_SCT_SHIFT) | NVME_SC_LBA_RANGE, &r);
	assert_int_equal(r.param_loc, 0xffff);

	/* A fabrics command (a Connect on a connected I/O queue): bytes 4-7
	 * are FCTYPE 01h and reserved bytes, not NSID 1. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.sqe.opcode = KT_OPC_FABRICS;
	cmd.sqe.cid = 0x0101;
	((uint8_t *)&cmd.sqe)[4] = nvme_fabrics_type_connect;
	kt_ctrl_io_error_rec(&cmd, 2, NVME_SC_CMD_SEQ_ERROR, &r);
	assert_int_equal(r.nsid, 0);
	assert_int_equal(r.cid, 0x0101);
	assert_int_equal(r.lba, 0);
}

static void test_io_error_cap_and_lost(void **state)
{
	struct kt_err_rec r = { .sqid = 2, .cid = 9, .status = NVME_SC_LBA_RANGE | KT_SC_DNR,
				.param_loc = 40, .nsid = 1, .lba = 777 };
	(void)state;

	kt_ctrl_log_error(&g_c, 0, 1, NVME_SC_INVALID_FIELD, 0xffff, 0, 0); /* #1, admin */
	for (unsigned i = 0; i < KT_ERR_INFLIGHT_MAX; i++)
		assert_true(kt_ctrl_err_reserve(&g_c));
	/* Over the cap: refused and counted. */
	assert_false(kt_ctrl_err_reserve(&g_c));
	assert_false(kt_ctrl_err_reserve(&g_c));
	assert_int_equal(kt_ctrl_err_total(&g_c), 3);
	/* One hand-over failed: its place comes back, the error counts. */
	kt_ctrl_err_unreserve(&g_c);
	assert_int_equal(kt_ctrl_err_total(&g_c), 4);
	assert_int_equal(atomic_load(&g_c.err_inflight), KT_ERR_INFLIGHT_MAX - 1);
	assert_true(kt_ctrl_err_reserve(&g_c));
	assert_false(kt_ctrl_err_reserve(&g_c));
	assert_int_equal(kt_ctrl_err_total(&g_c), 5);

	/* The first arrives: its number skips the 4 lost ones (2..5). */
	kt_ctrl_log_error_rec(&g_c, &r);
	assert_int_equal(g_c.err_count, 6);
	assert_int_equal(kt_ctrl_err_total(&g_c), 6);
	assert_int_equal(atomic_load(&g_c.err_inflight), KT_ERR_INFLIGHT_MAX - 1);
	const struct nvme_error_log_page *e = &g_c.errlog[(6 - 1) % KT_ERRLOG_MAX];
	assert_int_equal(le64toh(e->error_count), 6);
	assert_int_equal(le16toh(e->sqid), 2);
	assert_int_equal(e->cmdid, 9);
	assert_int_equal(le16toh(e->status_field), (NVME_SC_LBA_RANGE | KT_SC_DNR) << 1);
	assert_int_equal(le16toh(e->parm_error_location), 40);
	assert_int_equal(le64toh(e->lba), 777);
	assert_int_equal(le32toh(e->nsid), 1);
	/* The next is numbered on. */
	kt_ctrl_log_error_rec(&g_c, &r);
	assert_int_equal(g_c.err_count, 7);
	assert_true(kt_ctrl_err_reserve(&g_c));
}

static void test_local_addr(void **state)
{
	char long_addr[400];
	(void)state;

	assert_string_equal(g_c.local_traddr, "");
	kt_ctrl_set_local_addr(&g_c, NVMF_ADDR_FAMILY_IP4, "10.1.2.3");
	assert_int_equal(g_c.local_adrfam, NVMF_ADDR_FAMILY_IP4);
	assert_string_equal(g_c.local_traddr, "10.1.2.3");
	memset(long_addr, 'a', sizeof(long_addr) - 1);
	long_addr[sizeof(long_addr) - 1] = '\0';
	kt_ctrl_set_local_addr(&g_c, NVMF_ADDR_FAMILY_IP6, long_addr);
	assert_int_equal(strlen(g_c.local_traddr), NVMF_TRADDR_SIZE);
	kt_ctrl_set_local_addr(&g_c, 0, NULL);
	assert_string_equal(g_c.local_traddr, "");
}

static void test_aen_filter_by_config(void **state)
{
	(void)state;

	/* Notices need their AEC bit. */
	kt_ctrl_aen_raise(&g_c, NVME_AER_NOTICE, NVME_AER_NOTICE_NS_CHANGED, NVME_LOG_LID_CHANGED_NS);
	kt_ctrl_aen_raise(&g_c, NVME_AER_NOTICE, NVME_AER_NOTICE_DISC_CHANGED, NVME_LOG_LID_DISCOVER);
	kt_ctrl_aen_raise(&g_c, NVME_AER_SMART, NVME_AER_SMART_TEMPERATURE_THRESHOLD, NVME_LOG_LID_SMART);
	assert_int_equal(g_c.n_aen_pending, 0);
	/* Error events are not configurable. */
	kt_ctrl_aen_raise(&g_c, NVME_AER_ERROR, NVME_AER_ERROR_PERSISTENT_INTERNAL_ERROR, NVME_LOG_LID_ERROR);
	assert_int_equal(g_c.n_aen_pending, 1);

	g_c.feat_aec = 1u << 8 | 1u << 31 | 1u << 1;
	kt_ctrl_aen_raise(&g_c, NVME_AER_NOTICE, NVME_AER_NOTICE_NS_CHANGED, NVME_LOG_LID_CHANGED_NS);
	kt_ctrl_aen_raise(&g_c, NVME_AER_NOTICE, NVME_AER_NOTICE_DISC_CHANGED, NVME_LOG_LID_DISCOVER);
	kt_ctrl_aen_raise(&g_c, NVME_AER_SMART, NVME_AER_SMART_TEMPERATURE_THRESHOLD, NVME_LOG_LID_SMART);
	/* Spare below threshold needs AEC bit 0, which is clear. */
	kt_ctrl_aen_raise(&g_c, NVME_AER_SMART, NVME_AER_SMART_SPARE_THRESHOLD, 0x09);
	assert_int_equal(g_c.n_aen_pending, 4);
	assert_int_equal(g_c.aen_pending[1].info, NVME_AER_NOTICE_NS_CHANGED);
	assert_int_equal(g_c.aen_pending[2].lid, NVME_LOG_LID_DISCOVER);
	assert_int_equal(g_c.aen_pending[3].type, NVME_AER_SMART);
}

static void test_aen_pairing_and_masking(void **state)
{
	uint16_t cid;
	uint32_t dw0;
	(void)state;

	g_c.feat_aec = 1u << 31;
	/* No AER held: the event waits. */
	kt_ctrl_aen_raise(&g_c, NVME_AER_NOTICE, NVME_AER_NOTICE_DISC_CHANGED, NVME_LOG_LID_DISCOVER);
	assert_false(kt_ctrl_aen_take(&g_c, &cid, &dw0));
	g_c.aer_cids[0] = 0x1111;
	g_c.aer_cids[1] = 0x2222;
	g_c.n_aer = 2;
	assert_true(kt_ctrl_aen_take(&g_c, &cid, &dw0));
	assert_int_equal(cid, 0x1111); /* oldest AER first */
	assert_int_equal(dw0, 0x0070f002u); /* type 2, info F0h, log 70h */
	assert_int_equal(g_c.n_aer, 1);
	assert_int_equal(g_c.aer_cids[0], 0x2222);
	/* No event: nothing to pair. */
	assert_false(kt_ctrl_aen_take(&g_c, &cid, &dw0));

	/* Masked until the log page is read without RAE. */
	kt_ctrl_aen_raise(&g_c, NVME_AER_NOTICE, NVME_AER_NOTICE_DISC_CHANGED, NVME_LOG_LID_DISCOVER);
	assert_false(kt_ctrl_aen_take(&g_c, &cid, &dw0));
	/* Reading another page does not unmask it. */
	kt_ctrl_aen_clear(&g_c, NVME_LOG_LID_ERROR);
	kt_ctrl_aen_raise(&g_c, NVME_AER_NOTICE, NVME_AER_NOTICE_DISC_CHANGED, NVME_LOG_LID_DISCOVER);
	assert_false(kt_ctrl_aen_take(&g_c, &cid, &dw0));
	/* But an event cleared by another page is not held back. */
	kt_ctrl_aen_raise(&g_c, NVME_AER_ERROR, NVME_AER_ERROR_TRANSIENT_INTERNAL_ERROR, NVME_LOG_LID_ERROR);
	assert_true(kt_ctrl_aen_take(&g_c, &cid, &dw0));
	assert_int_equal(cid, 0x2222);
	assert_int_equal(dw0, 0x00010400u);
	kt_ctrl_aen_clear(&g_c, NVME_LOG_LID_DISCOVER);
	kt_ctrl_aen_raise(&g_c, NVME_AER_NOTICE, NVME_AER_NOTICE_DISC_CHANGED, NVME_LOG_LID_DISCOVER);
	g_c.aer_cids[0] = 0x3333;
	g_c.n_aer = 1;
	assert_true(kt_ctrl_aen_take(&g_c, &cid, &dw0));
	assert_int_equal(cid, 0x3333);
	assert_int_equal(dw0, 0x0070f002u);
}

static void test_aen_queue_limit(void **state)
{
	uint16_t cid;
	uint32_t dw0;
	(void)state;

	/* Error events with distinct log pages so that masks do not apply. */
	for (uint8_t lid = 0x10; lid < 0x10 + 10; lid++)
		kt_ctrl_aen_raise(&g_c, NVME_AER_ERROR, 0, lid);
	assert_int_equal(g_c.n_aen_pending, 8);
	for (unsigned i = 0; i < KT_AER_MAX; i++)
		g_c.aer_cids[i] = (uint16_t)(100 + i);
	g_c.n_aer = KT_AER_MAX;
	for (unsigned i = 0; i < KT_AER_MAX; i++) {
		assert_true(kt_ctrl_aen_take(&g_c, &cid, &dw0));
		assert_int_equal(cid, 100 + i);
		assert_int_equal(dw0 >> 16, 0x10 + i); /* FIFO */
	}
	assert_false(kt_ctrl_aen_take(&g_c, &cid, &dw0));
	assert_int_equal(g_c.n_aen_pending, 4);
}

static void test_ns_changed(void **state)
{
	(void)state;

	g_c.feat_aec = 1u << 8;
	kt_ctrl_ns_changed(&g_c, 5);
	kt_ctrl_ns_changed(&g_c, 2);
	kt_ctrl_ns_changed(&g_c, 5); /* already listed */
	assert_int_equal(g_c.n_changed_ns, 2);
	assert_int_equal(g_c.changed_ns[0], 5);
	assert_int_equal(g_c.changed_ns[1], 2);
	/* One notice: the second is masked until log 04h is read. */
	assert_int_equal(g_c.n_aen_pending, 1);
	assert_int_equal(g_c.aen_pending[0].type, NVME_AER_NOTICE);
	assert_int_equal(g_c.aen_pending[0].info, NVME_AER_NOTICE_NS_CHANGED);
	assert_int_equal(g_c.aen_pending[0].lid, NVME_LOG_LID_CHANGED_NS);
	/* Past 1024 entries the count says "more". */
	for (uint32_t n = 100; n < 100 + KT_CHANGED_NS_MAX; n++)
		kt_ctrl_ns_changed(&g_c, n);
	assert_int_equal(g_c.n_changed_ns, KT_CHANGED_NS_MAX + 1);
	kt_ctrl_ns_changed(&g_c, 7);
	assert_int_equal(g_c.n_changed_ns, KT_CHANGED_NS_MAX + 1);
}

/* An ANA change: one notice (Notice, info 03h, log 0Ch) once AEC bit 11
 * is on, masked until log 0Ch is read; a reset clears the mask. */
static void test_ana_changed(void **state)
{
	uint16_t cid;
	uint32_t dw0;
	(void)state;

	kt_ctrl_ana_changed(&g_c);
	assert_int_equal(g_c.n_aen_pending, 0);
	g_c.feat_aec = 1u << 11;
	kt_ctrl_ana_changed(&g_c);
	kt_ctrl_ana_changed(&g_c);
	assert_int_equal(g_c.n_aen_pending, 1);
	assert_int_equal(g_c.aen_pending[0].type, NVME_AER_NOTICE);
	assert_int_equal(g_c.aen_pending[0].info, NVME_AER_NOTICE_ANA);
	assert_int_equal(g_c.aen_pending[0].lid, NVME_LOG_LID_ANA);
	g_c.aer_cids[0] = 9;
	g_c.n_aer = 1;
	assert_true(kt_ctrl_aen_take(&g_c, &cid, &dw0));
	assert_int_equal(cid, 9);
	assert_int_equal(dw0, 0x000c0302u);
	kt_ctrl_ana_changed(&g_c);
	assert_int_equal(g_c.n_aen_pending, 0);
	kt_ctrl_aen_clear(&g_c, NVME_LOG_LID_CHANGED_NS); /* not its page */
	kt_ctrl_ana_changed(&g_c);
	assert_int_equal(g_c.n_aen_pending, 0);
	kt_ctrl_aen_clear(&g_c, NVME_LOG_LID_ANA);
	kt_ctrl_ana_changed(&g_c);
	assert_int_equal(g_c.n_aen_pending, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kato_round),
		cmocka_unit_test_setup(test_init_io, setup),
		cmocka_unit_test_setup(test_init_discovery_and_rounding, setup),
		cmocka_unit_test_setup(test_prop_refused, setup),
		cmocka_unit_test_setup(test_cc_enable, setup),
		cmocka_unit_test_setup(test_cc_enable_refused, setup),
		cmocka_unit_test_setup(test_cc_enable_discovery, setup),
		cmocka_unit_test_setup(test_cc_reset, setup),
		cmocka_unit_test_setup(test_cc_shutdown, setup),
		cmocka_unit_test_setup(test_cc_config_held_while_enabled, setup),
		cmocka_unit_test_setup(test_ka_deadline, setup),
		cmocka_unit_test_setup(test_error_log, setup),
		cmocka_unit_test_setup(test_io_error_rec, setup),
		cmocka_unit_test_setup(test_io_error_cap_and_lost, setup),
		cmocka_unit_test_setup(test_local_addr, setup),
		cmocka_unit_test_setup(test_aen_filter_by_config, setup),
		cmocka_unit_test_setup(test_aen_pairing_and_masking, setup),
		cmocka_unit_test_setup(test_aen_queue_limit, setup),
		cmocka_unit_test_setup(test_ns_changed, setup),
		cmocka_unit_test_setup(test_ana_changed, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_io.c - I/O command parsing (proto/io.c): opcodes, namespaces, LBA
 * ranges at their boundaries (last block, one past, 64-bit overflow of
 * SLBA + NLB), transfer length against the SGL and MDTS, FUA, Write Zeroes,
 * Flush and Dataset Management ranges, I/O to a removed subsystem, I/O
 * through a port whose ANA group state refuses it.
 * Statuses are compared whole (SCT, SC and Do Not Retry).
 */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/ana.h"
#include "proto/cmd.h"
#include "proto/ctrl.h"
#include "proto/model.h"

/* Expected statuses, spelled out from the spec: SCT 0, code, DNR bit 14. */
#define ST_INVALID_OPCODE 0x4001
#define ST_INVALID_FIELD 0x4002
#define ST_INVALID_NS 0x400b
#define ST_SGL_LENGTH 0x400f
#define ST_LBA_RANGE 0x4080
/* SCT 3h (path related), without DNR: SC 00h Internal Path Error, 01h
 * Asymmetric Access Persistent Loss, 02h Inaccessible, 03h Transition. */
#define ST_INTERNAL_PATH 0x0300
#define ST_ANA_LOSS 0x0301
#define ST_ANA_INACCESSIBLE 0x0302
#define ST_ANA_TRANSITION 0x0303

enum { OPC_FLUSH = 0x00, OPC_WRITE = 0x01, OPC_READ = 0x02, OPC_COMPARE = 0x05,
       OPC_WRITE_ZEROES = 0x08, OPC_DSM = 0x09 };

struct fixture {
	struct kt_target t;
	struct kt_subsys s;
	struct kt_ns ns[3];
	struct kt_ns *nsp[3];
	struct kt_ctrl c;
	struct kt_port port;
	struct kt_cmd cmd;
	uint8_t buf[8192];
};

static struct fixture F;

static int setup(void **state)
{
	memset(&F, 0, sizeof(F));
	F.t.mdts = 5; /* 4096 << 5 = 128 KiB */
	F.t.mqes = 127;

	/* NSID 1: 512-byte blocks, 1000 of them, discard honoured. */
	F.ns[0] = (struct kt_ns){ .nsid = 1, .enabled = true, .lba_shift = 9, .nblocks = 1000,
				  .vwc = true, .can_discard = true };
	/* NSID 2: configured but disabled. */
	F.ns[1] = (struct kt_ns){ .nsid = 2, .enabled = false, .lba_shift = 9, .nblocks = 1000 };
	/* NSID 7: 4 KiB blocks, 2^20 of them, no discard. */
	F.ns[2] = (struct kt_ns){ .nsid = 7, .enabled = true, .lba_shift = 12, .nblocks = 1u << 20 };
	strcpy(F.s.nqn, "nqn.2026-01.io.kato:io");
	F.s.n_ns = 3;
	for (int i = 0; i < 3; i++)
		F.nsp[i] = &F.ns[i];
	F.s.ns = F.nsp;

	F.c.target = &F.t;
	F.c.subsys = &F.s;
	*state = &F;
	return 0;
}

/* An I/O SQE: opcode, NSID, SLBA, NLB (zero-based) and the rest of CDW12,
 * with a data buffer of data_len bytes. */
static struct kt_cmd *rw(uint8_t opc, uint32_t nsid, uint64_t slba, uint16_t nlb0,
			 uint32_t cdw12_flags, uint32_t data_len)
{
	memset(&F.cmd, 0, sizeof(F.cmd));
	memset(&F.cmd.cqe, 0, sizeof(F.cmd.cqe));
	F.cmd.sqe.opcode = opc;
	F.cmd.sqe.flags = 0x40; /* SGL */
	F.cmd.sqe.cid = 0x1234;
	F.cmd.sqe.nsid = htole32(nsid);
	F.cmd.sqe.cdw10 = htole32((uint32_t)slba);
	F.cmd.sqe.cdw11 = htole32((uint32_t)(slba >> 32));
	F.cmd.sqe.cdw12 = htole32(nlb0 | cdw12_flags);
	F.cmd.data = data_len ? F.buf : NULL;
	F.cmd.data_len = data_len;
	/* Junk the parser must overwrite. */
	F.cmd.io.nr_ranges = 99;
	F.cmd.io.fua = true;
	return &F.cmd;
}

static uint16_t parse(struct kt_cmd *cmd)
{
	return kt_io_parse(&F.c, cmd);
}

static void test_read_ok(void **state __attribute__((unused)))
{
	struct kt_cmd *cmd = rw(OPC_READ, 1, 10, 7, 0, 8 * 512);

	assert_int_equal(parse(cmd), 0);
	assert_int_equal(cmd->io.op, KT_IO_READ);
	assert_ptr_equal(cmd->io.ns, &F.ns[0]);
	assert_int_equal(cmd->io.offset, 10 * 512);
	assert_int_equal(cmd->io.length, 8 * 512);
	assert_false(cmd->io.fua);
	assert_int_equal(cmd->io.nr_ranges, 0);
	assert_int_equal(cmd->xfer_len, 8 * 512);
}

static void test_write_fua_and_compare(void **state __attribute__((unused)))
{
	struct kt_cmd *cmd = rw(OPC_WRITE, 7, 3, 1, 1u << 30, 2 * 4096);

	assert_int_equal(parse(cmd), 0);
	assert_int_equal(cmd->io.op, KT_IO_WRITE);
	assert_ptr_equal(cmd->io.ns, &F.ns[2]);
	assert_int_equal(cmd->io.offset, 3 * 4096);
	assert_int_equal(cmd->io.length, 2 * 4096);
	assert_true(cmd->io.fua);
	assert_int_equal(cmd->xfer_len, 0);

	/* Limited Retry (bit 31) is not FUA. */
	cmd = rw(OPC_WRITE, 7, 3, 0, 1u << 31, 4096);
	assert_int_equal(parse(cmd), 0);
	assert_false(cmd->io.fua);

	cmd = rw(OPC_COMPARE, 1, 0, 0, 0, 512);
	assert_int_equal(parse(cmd), 0);
	assert_int_equal(cmd->io.op, KT_IO_COMPARE);
	assert_int_equal(cmd->io.offset, 0);
	assert_int_equal(cmd->io.length, 512);
	assert_int_equal(cmd->xfer_len, 0);
}

static void test_lba_boundaries(void **state __attribute__((unused)))
{
	/* The last block. */
	assert_int_equal(parse(rw(OPC_READ, 1, 999, 0, 0, 512)), 0);
	assert_int_equal(F.cmd.io.offset, 999 * 512);
	/* Ending exactly at the last block. */
	assert_int_equal(parse(rw(OPC_WRITE, 1, 990, 9, 0, 10 * 512)), 0);
	/* One past: starting at nblocks, and running one block over. */
	assert_int_equal(parse(rw(OPC_READ, 1, 1000, 0, 0, 512)), ST_LBA_RANGE);
	assert_int_equal(parse(rw(OPC_READ, 1, 999, 1, 0, 1024)), ST_LBA_RANGE);
	assert_int_equal(parse(rw(OPC_WRITE, 1, 990, 10, 0, 11 * 512)), ST_LBA_RANGE);
	/* SLBA + NLB wraps around 2^64 to a small number: still out of range. */
	assert_int_equal(parse(rw(OPC_READ, 1, UINT64_MAX, 1, 0, 1024)), ST_LBA_RANGE);
	assert_int_equal(parse(rw(OPC_READ, 1, UINT64_MAX - 3, 7, 0, 8 * 512)), ST_LBA_RANGE);
	assert_int_equal(parse(rw(OPC_WRITE_ZEROES, 1, UINT64_MAX - 0xfffe, 0xffff, 0, 0)),
			 ST_LBA_RANGE);
	/* An SLBA with only high bits set (CDW11). */
	assert_int_equal(parse(rw(OPC_READ, 7, 1ull << 32, 0, 0, 4096)), ST_LBA_RANGE);
	/* The 4 KiB namespace's last block. */
	assert_int_equal(parse(rw(OPC_READ, 7, (1u << 20) - 1, 0, 0, 4096)), 0);
	assert_int_equal(F.cmd.io.offset, ((1ull << 20) - 1) * 4096);
	assert_int_equal(parse(rw(OPC_READ, 7, 1u << 20, 0, 0, 4096)), ST_LBA_RANGE);
}

static void test_transfer_length(void **state __attribute__((unused)))
{
	/* The SGL must name exactly (NLB + 1) blocks. */
	assert_int_equal(parse(rw(OPC_READ, 1, 0, 7, 0, 8 * 512 - 1)), ST_SGL_LENGTH);
	assert_int_equal(parse(rw(OPC_READ, 1, 0, 7, 0, 8 * 512 + 1)), ST_SGL_LENGTH);
	assert_int_equal(parse(rw(OPC_WRITE, 1, 0, 7, 0, 0)), ST_SGL_LENGTH);
	assert_int_equal(parse(rw(OPC_COMPARE, 7, 0, 0, 0, 512)), ST_SGL_LENGTH);

	/* MDTS: 128 KiB = 256 blocks of 512 bytes, 32 of 4 KiB. */
	assert_int_equal(parse(rw(OPC_READ, 1, 0, 255, 0, 256 * 512)), 0);
	assert_int_equal(parse(rw(OPC_READ, 1, 0, 256, 0, 257 * 512)), ST_INVALID_FIELD);
	assert_int_equal(parse(rw(OPC_WRITE, 7, 0, 31, 0, 32 * 4096)), 0);
	assert_int_equal(parse(rw(OPC_WRITE, 7, 0, 32, 0, 33 * 4096)), ST_INVALID_FIELD);
	F.t.mdts = 6;
	assert_int_equal(parse(rw(OPC_WRITE, 7, 0, 32, 0, 33 * 4096)), 0);
}

static void test_opcode_and_namespace(void **state __attribute__((unused)))
{
	static const uint8_t bad[] = { 0x03, 0x04, 0x06, 0x0a, 0x0c, 0x0d, 0x11, 0x7f, 0x80, 0xff };

	for (size_t i = 0; i < sizeof(bad); i++)
		assert_int_equal(parse(rw(bad[i], 1, 0, 0, 0, 512)), ST_INVALID_OPCODE);

	/* Inactive, disabled, missing, zero and broadcast NSIDs. */
	assert_int_equal(parse(rw(OPC_READ, 0, 0, 0, 0, 512)), ST_INVALID_NS);
	assert_int_equal(parse(rw(OPC_READ, 2, 0, 0, 0, 512)), ST_INVALID_NS);
	assert_int_equal(parse(rw(OPC_READ, 3, 0, 0, 0, 512)), ST_INVALID_NS);
	assert_int_equal(parse(rw(OPC_READ, 8, 0, 0, 0, 512)), ST_INVALID_NS);
	assert_int_equal(parse(rw(OPC_WRITE, 0xffffffff, 0, 0, 0, 512)), ST_INVALID_NS);
	/* We advertise VWC bits 2:1 = 10b: no broadcast Flush. */
	assert_int_equal(parse(rw(OPC_FLUSH, 0xffffffff, 0, 0, 0, 0)), ST_INVALID_NS);
	assert_int_equal(parse(rw(OPC_FLUSH, 2, 0, 0, 0, 0)), ST_INVALID_NS);
}

static void test_metadata_and_pi_refused(void **state __attribute__((unused)))
{
	struct kt_cmd *cmd = rw(OPC_READ, 1, 0, 0, 0, 512);

	cmd->sqe.mptr = htole64(0x1000);
	assert_int_equal(parse(cmd), ST_INVALID_FIELD);
	/* PRINFO, each of its four bits. */
	for (unsigned b = 26; b <= 29; b++) {
		assert_int_equal(parse(rw(OPC_WRITE, 1, 0, 0, 1u << b, 512)), ST_INVALID_FIELD);
		assert_int_equal(parse(rw(OPC_WRITE_ZEROES, 1, 0, 0, 1u << b, 0)), ST_INVALID_FIELD);
	}
}

static void test_flush(void **state __attribute__((unused)))
{
	struct kt_cmd *cmd = rw(OPC_FLUSH, 7, 0, 0, 0, 0);

	assert_int_equal(parse(cmd), 0);
	assert_int_equal(cmd->io.op, KT_IO_FLUSH);
	assert_ptr_equal(cmd->io.ns, &F.ns[2]);
	assert_int_equal(cmd->io.offset, 0);
	assert_int_equal(cmd->io.length, 0);
	assert_false(cmd->io.fua);
	/* Flush moves no data. */
	assert_int_equal(parse(rw(OPC_FLUSH, 1, 0, 0, 0, 512)), ST_SGL_LENGTH);
}

static void test_write_zeroes(void **state __attribute__((unused)))
{
	/* NLB 0xffff (65536 blocks, 32 MiB): no MDTS limit, no data. */
	struct kt_cmd *cmd = rw(OPC_WRITE_ZEROES, 7, 100, 0xffff, (1u << 25) | (1u << 30), 0);

	assert_int_equal(parse(cmd), 0);
	assert_int_equal(cmd->io.op, KT_IO_WRITE_ZEROES);
	assert_int_equal(cmd->io.offset, 100 * 4096);
	assert_int_equal(cmd->io.length, 65536ull * 4096);
	assert_true(cmd->io.fua);
	assert_int_equal(cmd->xfer_len, 0);

	assert_int_equal(parse(rw(OPC_WRITE_ZEROES, 1, 999, 0, 0, 0)), 0);
	assert_int_equal(parse(rw(OPC_WRITE_ZEROES, 1, 999, 1, 0, 0)), ST_LBA_RANGE);
	assert_int_equal(parse(rw(OPC_WRITE_ZEROES, 1, 0, 0, 0, 512)), ST_SGL_LENGTH);
}

static void put_range(unsigned i, uint32_t nlb, uint64_t slba)
{
	uint8_t *p = F.buf + i * 16;

	memset(p, 0xa5, 4); /* context attributes: ignored */
	p[4] = (uint8_t)nlb;
	p[5] = (uint8_t)(nlb >> 8);
	p[6] = (uint8_t)(nlb >> 16);
	p[7] = (uint8_t)(nlb >> 24);
	for (unsigned b = 0; b < 8; b++)
		p[8 + b] = (uint8_t)(slba >> (8 * b));
}

static struct kt_cmd *dsm(uint32_t nsid, uint8_t nr0, uint32_t attrs, uint32_t data_len)
{
	struct kt_cmd *cmd = rw(OPC_DSM, nsid, 0, 0, 0, data_len);

	cmd->sqe.cdw10 = htole32(nr0);
	cmd->sqe.cdw11 = htole32(attrs);
	cmd->sqe.cdw12 = 0;
	return cmd;
}

static void test_dsm_parse(void **state __attribute__((unused)))
{
	struct kt_cmd *cmd = dsm(1, 1, 1u << 2, 32);

	assert_int_equal(parse(cmd), 0);
	assert_int_equal(cmd->io.op, KT_IO_DISCARD);
	assert_ptr_equal(cmd->io.ns, &F.ns[0]);
	assert_int_equal(cmd->io.nr_ranges, 0); /* set by kt_io_parse_data */

	/* Without the Deallocate attribute (integral read / write hints only). */
	cmd = dsm(1, 0, 0x3, 16);
	assert_int_equal(parse(cmd), 0);
	assert_int_equal(cmd->io.op, KT_IO_NOP);

	/* Deallocate on a namespace that does not honour it: advisory, so a no-op. */
	cmd = dsm(7, 0, 1u << 2, 16);
	assert_int_equal(parse(cmd), 0);
	assert_int_equal(cmd->io.op, KT_IO_NOP);

	/* NR is zero-based: 2 ranges need 32 bytes; 256 ranges need 4096. */
	assert_int_equal(parse(dsm(1, 1, 1u << 2, 31)), ST_SGL_LENGTH);
	assert_int_equal(parse(dsm(1, 0, 1u << 2, 0)), ST_SGL_LENGTH);
	assert_int_equal(parse(dsm(1, 255, 1u << 2, 4095)), ST_SGL_LENGTH);
	assert_int_equal(parse(dsm(1, 255, 1u << 2, 4096)), 0);
	assert_int_equal(parse(dsm(2, 0, 1u << 2, 16)), ST_INVALID_NS);
	assert_int_equal(parse(dsm(0xffffffff, 0, 1u << 2, 16)), ST_INVALID_NS);
}

static void test_dsm_ranges(void **state __attribute__((unused)))
{
	struct kt_cmd *cmd = dsm(1, 2, 1u << 2, 48);

	/* Up to the last block, a zero-length range, one whole namespace. */
	put_range(0, 10, 990);
	put_range(1, 0, 5000);
	put_range(2, 1000, 0);
	assert_int_equal(parse(cmd), 0);
	assert_int_equal(kt_io_parse_data(&F.c, cmd), 0);
	assert_int_equal(cmd->io.nr_ranges, 3);
	/* The ranges are left in the buffer, little-endian, for the backend. */
	assert_int_equal(F.buf[4], 10);
	assert_int_equal(F.buf[8], 990 & 0xff);
	assert_int_equal(F.buf[9], 990 >> 8);

	/* One block past the end in the last range. */
	cmd = dsm(1, 2, 1u << 2, 48);
	put_range(0, 1, 0);
	put_range(1, 1, 1);
	put_range(2, 11, 990);
	assert_int_equal(parse(cmd), 0);
	assert_int_equal(kt_io_parse_data(&F.c, cmd), ST_LBA_RANGE);
	assert_int_equal(cmd->io.nr_ranges, 0);

	/* SLBA + NLB wrapping around 2^64. */
	cmd = dsm(1, 0, 1u << 2, 16);
	put_range(0, 0x10, UINT64_MAX - 7);
	assert_int_equal(parse(cmd), 0);
	assert_int_equal(kt_io_parse_data(&F.c, cmd), ST_LBA_RANGE);

	/* Starting at nblocks. */
	cmd = dsm(1, 0, 0, 16);
	put_range(0, 1, 1000);
	assert_int_equal(parse(cmd), 0);
	assert_int_equal(kt_io_parse_data(&F.c, cmd), ST_LBA_RANGE);

	/* More data than NR needs: only NR + 1 ranges count, the rest is ignored. */
	cmd = dsm(1, 0, 1u << 2, 64);
	put_range(0, 1, 999);
	put_range(1, 1, 5000);
	assert_int_equal(parse(cmd), 0);
	assert_int_equal(kt_io_parse_data(&F.c, cmd), 0);
	assert_int_equal(cmd->io.nr_ranges, 1);
}

/* The subsystem was removed while the controller's queues close
 * (daemon/core/live.c: removed set, namespace list emptied): new I/O gets
 * the retryable Internal Path Error, never Invalid Namespace with DNR; a
 * command parsed before keeps its namespace and finishes. */
static void test_removed_subsystem(void **state __attribute__((unused)))
{
	struct kt_cmd *early = dsm(1, 0, 1u << 2, 16);

	assert_int_equal(parse(early), 0);
	put_range(0, 10, 20);
	F.s.removed = true;
	F.s.n_ns = 0;
	assert_int_equal(kt_io_parse_data(&F.c, early), 0);
	assert_ptr_equal(early->io.ns, &F.ns[0]);
	assert_int_equal(early->io.nr_ranges, 1);

	assert_int_equal(parse(rw(OPC_READ, 1, 0, 0, 0, 512)), ST_INTERNAL_PATH);
	assert_int_equal(parse(rw(OPC_WRITE, 7, 0, 0, 0, 4096)), ST_INTERNAL_PATH);
	assert_int_equal(parse(rw(OPC_FLUSH, 1, 0, 0, 0, 0)), ST_INTERNAL_PATH);
	assert_int_equal(parse(dsm(1, 0, 1u << 2, 16)), ST_INTERNAL_PATH);
	assert_null(F.cmd.io.ns);
	/* an NSID the subsystem never had: the host retries that too, and
	 * reconnects to find out */
	assert_int_equal(parse(rw(OPC_READ, 8, 0, 0, 0, 512)), ST_INTERNAL_PATH);
	/* a command that is wrong whatever the subsystem still says so */
	assert_int_equal(parse(rw(0x7f, 1, 0, 0, 0, 512)), ST_INVALID_OPCODE);
}

/* ANA (proto/ana.h): the state of the namespace's group on the
 * controller's port. Optimized and non-optimized serve; inaccessible,
 * persistent loss and change answer their path status without DNR, for
 * every opcode, after the namespace is known and before the command's
 * fields; a removed subsystem still answers Internal Path Error. */
static void test_ana_path_status(void **state __attribute__((unused)))
{
	static const struct {
		uint8_t st;
		uint16_t status;
	} cases[] = {
		{ NVME_ANA_STATE_OPTIMIZED, 0 },
		{ NVME_ANA_STATE_NONOPTIMIZED, 0 },
		{ NVME_ANA_STATE_INACCESSIBLE, ST_ANA_INACCESSIBLE },
		{ NVME_ANA_STATE_PERSISTENT_LOSS, ST_ANA_LOSS },
		{ NVME_ANA_STATE_CHANGE, ST_ANA_TRANSITION },
	};

	/* NSID 1 in group 1, NSID 7 in group 2 */
	F.ns[0].anagrpid = 1;
	F.ns[2].anagrpid = 2;
	kt_port_ana_init(&F.port);
	F.c.port = &F.port;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint16_t want = cases[i].status;

		F.port.ana_state[2] = cases[i].st;
		assert_int_equal(parse(rw(OPC_READ, 7, 0, 0, 0, 4096)), want);
		assert_int_equal(parse(rw(OPC_WRITE, 7, 0, 1, 1u << 30, 2 * 4096)), want);
		assert_int_equal(parse(rw(OPC_COMPARE, 7, 0, 0, 0, 4096)), want);
		assert_int_equal(parse(rw(OPC_WRITE_ZEROES, 7, 0, 3, 0, 0)), want);
		assert_int_equal(parse(rw(OPC_FLUSH, 7, 0, 0, 0, 0)), want);
		assert_int_equal(parse(dsm(7, 0, 1u << 2, 16)), want);
		/* the other group is as it was */
		assert_int_equal(parse(rw(OPC_READ, 1, 0, 0, 0, 512)), 0);
		if (!want)
			continue;
		/* the path first: a command wrong in its fields (PRINFO, LBA
		 * range, MPTR, transfer length) still gets the path status */
		assert_int_equal(parse(rw(OPC_READ, 7, 0, 0, 1u << 26, 4096)), want);
		assert_int_equal(parse(rw(OPC_READ, 7, 1u << 20, 0, 0, 4096)), want);
		assert_int_equal(parse(rw(OPC_READ, 7, 0, 0, 0, 512)), want);
		rw(OPC_READ, 7, 0, 0, 0, 4096)->sqe.mptr = htole64(0x1000);
		assert_int_equal(parse(&F.cmd), want);
		assert_ptr_equal(F.cmd.io.ns, &F.ns[2]); /* counted against the namespace */
		/* the opcode and the namespace come before the path */
		assert_int_equal(parse(rw(0x7e, 7, 0, 0, 0, 512)), ST_INVALID_OPCODE);
		assert_int_equal(parse(rw(OPC_READ, 2, 0, 0, 0, 512)), ST_INVALID_NS);
		assert_int_equal(parse(rw(OPC_READ, 99, 0, 0, 0, 512)), ST_INVALID_NS);
	}

	/* the controller's own port decides: another port serving the group
	 * does not help, nor does a state on a port the controller is not on */
	struct kt_port other;
	kt_port_ana_init(&other);
	other.ana_state[2] = NVME_ANA_STATE_OPTIMIZED;
	F.port.ana_state[2] = NVME_ANA_STATE_INACCESSIBLE;
	assert_int_equal(parse(rw(OPC_READ, 7, 0, 0, 0, 4096)), ST_ANA_INACCESSIBLE);
	F.c.port = &other;
	assert_int_equal(parse(rw(OPC_READ, 7, 0, 0, 0, 4096)), 0);
	F.c.port = &F.port;

	/* a removed subsystem: Internal Path Error, whatever the group */
	F.s.removed = true;
	assert_int_equal(parse(rw(OPC_READ, 7, 0, 0, 0, 4096)), ST_INTERNAL_PATH);
	F.port.ana_state[2] = NVME_ANA_STATE_OPTIMIZED;
	assert_int_equal(parse(rw(OPC_READ, 7, 0, 0, 0, 4096)), ST_INTERNAL_PATH);
}

static void test_parse_data_other_commands(void **state __attribute__((unused)))
{
	struct kt_cmd *cmd = rw(OPC_WRITE, 1, 0, 0, 0, 512);

	assert_int_equal(parse(cmd), 0);
	memset(F.buf, 0xff, 512); /* would be out-of-range ranges if read as DSM */
	assert_int_equal(kt_io_parse_data(&F.c, cmd), 0);
	assert_int_equal(cmd->io.nr_ranges, 0);
	assert_int_equal(cmd->io.op, KT_IO_WRITE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_read_ok, setup),
		cmocka_unit_test_setup(test_write_fua_and_compare, setup),
		cmocka_unit_test_setup(test_lba_boundaries, setup),
		cmocka_unit_test_setup(test_transfer_length, setup),
		cmocka_unit_test_setup(test_opcode_and_namespace, setup),
		cmocka_unit_test_setup(test_metadata_and_pi_refused, setup),
		cmocka_unit_test_setup(test_flush, setup),
		cmocka_unit_test_setup(test_write_zeroes, setup),
		cmocka_unit_test_setup(test_dsm_parse, setup),
		cmocka_unit_test_setup(test_dsm_ranges, setup),
		cmocka_unit_test_setup(test_parse_data_other_commands, setup),
		cmocka_unit_test_setup(test_removed_subsystem, setup),
		cmocka_unit_test_setup(test_ana_path_status, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_dispatch.c - the one entry point for a command of any queue
 * (proto/dispatch.c): kt_cmd_parse (routing, queue-state rules, the
 * data-transfer rules, the admin gate, I/O checks against the namespace,
 * Error Log recording, traffic stamping) and kt_cmd_exec (what the caller
 * does next, and what changed for keep-alive, resets and held AERs), over
 * the real controller model, admin, fabrics and I/O handlers. SQEs and
 * Connect data are written byte by byte at the spec's offsets; statuses are
 * compared whole (SCT, SC, Do Not Retry).
 */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/ctrl.h"
#include "proto/dispatch.h"
#include "unit_sqe.h"

#define UNUSED __attribute__((unused))

#define ST_INVALID_OPCODE KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE, true)
#define ST_INVALID_FIELD KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true)
#define ST_CMD_SEQ KT_STATUS(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR, false)
#define ST_CMD_SEQ_DNR KT_STATUS(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR, true)
#define ST_SGL_LENGTH KT_STATUS(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_DATA, true)
#define ST_SGL_TYPE KT_STATUS(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_TYPE, true)
#define ST_LBA_RANGE KT_STATUS(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE, true)
#define ST_DISCONNECT_QTYPE KT_STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_DISCONNECT_INVALID_QTYPE, true)
#define ST_AER_LIMIT KT_STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_ASYNC_LIMIT, true)
#define ST_CONNECT_INVALID_PARAM KT_STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_PARAM, true)

/* The same, spelled out from the spec: SCT bits 10:8, SC 7:0, DNR bit 14. */
_Static_assert(ST_CMD_SEQ == 0x000c, "Command Sequence Error, retry allowed");
_Static_assert(ST_CMD_SEQ_DNR == 0x400c, "Command Sequence Error, DNR");
_Static_assert(ST_INVALID_OPCODE == 0x4001, "Invalid Opcode, DNR");
_Static_assert(ST_DISCONNECT_QTYPE == 0x4185, "Invalid Queue Type, DNR");
_Static_assert(ST_LBA_RANGE == 0x4080, "LBA Out of Range, DNR");

#define T_INCAPSULE 0x01
#define T_TRANSPORT 0x5a

enum { FC_PROP_SET = 0x00, FC_CONNECT = 0x01, FC_PROP_GET = 0x04, FC_DISCONNECT = 0x08 };
enum { OPC_GET_LOG = 0x02, OPC_IDENTIFY = 0x06, OPC_SET_FEATURES = 0x09, OPC_AER = 0x0c,
       OPC_NS_MGMT = 0x0d, OPC_KEEP_ALIVE = 0x18, OPC_FORMAT = 0x80 };
enum { OPC_WRITE = 0x01, OPC_READ = 0x02, OPC_DSM = 0x09 };

#define REG_CC 0x14
#define REG_CSTS 0x1c
#define CC_ENABLE (1u | 6u << 16 | 4u << 20) /* EN, IOSQES 6, IOCQES 4 */
#define CC_SHN_NORMAL (1u << 14)

#define SUBNQN "nqn.2026-01.io.kato:dispatch"
#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:dddddddd-0000-0000-0000-000000000004"
#define NOW0 1000u

static const uint8_t HOSTID[16] = { 0xd0, 0xd1, 0xd2, 0xd3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xdf };
static const struct kt_xfer_caps CAPS = { .sgl_incapsule = true, .sgl_transport = true };

struct fixture {
	struct kt_target t;
	struct kt_subsys s;
	struct kt_subsys *subsysp[1];
	struct kt_ns ns;
	struct kt_ns *nsp[1];
	struct kt_port port;
	struct kt_subsys *port_subsys[1];
	struct kt_port *portp[1];
	struct kt_ctrl c;         /* NVM controller, enabled */
	struct kt_ctrl d;         /* discovery controller, enabled */
	struct kt_cmd cmd;
	struct kt_cmd_plan plan;
	struct kt_cmd_result res;
	uint8_t junk[4];
	uint8_t buf[8192];        /* in-capsule data, or the transport's buffer */
};

static struct fixture F;

/* ---- commands ------------------------------------------------------------- */

/* A new command in F.cmd: the SQE, and everything else junk that
 * kt_cmd_parse must reset. */
static void cmd(uint8_t opc, uint8_t sgl_type, uint64_t addr, uint32_t len)
{
	memset(&F.cmd, 0, sizeof(F.cmd));
	sqe_init(&F.cmd.sqe, opc, SQE_PSDT_SGL, sgl_type, addr, len);
	F.cmd.data = F.junk;
	F.cmd.data_len = 0xdeadbeef;
	F.cmd.xfer_len = 0xdeadbeef;
	memset(&F.cmd.cqe, 0xa5, sizeof(F.cmd.cqe));
	memset(&F.cmd.io, 0xa5, sizeof(F.cmd.io));
}

static void sqe_le(size_t off, uint64_t v, unsigned n)
{
	put_le(&F.cmd.sqe, off, v, n);
}

static void set_cid(uint16_t cid)
{
	sqe_le(2, cid, 2);
}

/* Admin command without data, CDW10 and CDW11. */
static void admin(uint8_t opc, uint32_t cdw10, uint32_t cdw11)
{
	cmd(opc, 0, 0, 0);
	sqe_le(40, cdw10, 4);
	sqe_le(44, cdw11, 4);
}

/* Identify Controller (CNS 01h), 4 KiB fetched by the transport. */
static void identify(void)
{
	cmd(OPC_IDENTIFY, T_TRANSPORT, 0, 4096);
	sqe_le(40, 1, 4);
}

static void fabrics(uint8_t fctype)
{
	cmd(KT_OPC_FABRICS, 0, 0, 0);
	((uint8_t *)&F.cmd.sqe)[4] = fctype;
}

/* Property Get / Set, 4 bytes (ATTRIB 40 = 0), OFFSET 44, VALUE 48. */
static void prop_get(uint32_t offset)
{
	fabrics(FC_PROP_GET);
	sqe_le(44, offset, 4);
}

static void prop_set(uint32_t offset, uint32_t value)
{
	fabrics(FC_PROP_SET);
	sqe_le(44, offset, 4);
	sqe_le(48, value, 8);
}

/* Connect (QID 42, SQSIZE 44, KATO 48) with its 1024 bytes of data in
 * F.buf (HOSTID 0, CNTLID 16, SUBNQN 256, HOSTNQN 512), named by the
 * descriptor sgl_type. */
static void connect(uint8_t sgl_type, uint16_t qid, uint16_t sqsize, uint16_t cntlid)
{
	cmd(KT_OPC_FABRICS, sgl_type, 0, KT_CONNECT_DATA_LEN);
	((uint8_t *)&F.cmd.sqe)[4] = FC_CONNECT;
	sqe_le(42, qid, 2);
	sqe_le(44, sqsize, 2);
	sqe_le(48, 15000, 4);
	memset(F.buf, 0, sizeof(F.buf));
	memcpy(F.buf, HOSTID, 16);
	put_le(F.buf, 16, cntlid, 2);
	memcpy(F.buf + 256, SUBNQN, strlen(SUBNQN));
	memcpy(F.buf + 512, HOSTNQN, strlen(HOSTNQN));
}

/* Read / Write: NSID 1, SLBA (CDW10-11), NLB zero-based (CDW12). */
static void rw(uint8_t opc, uint8_t sgl_type, uint64_t slba, uint16_t nlb0, uint32_t len)
{
	cmd(opc, sgl_type, 0, len);
	sqe_le(4, 1, 4);
	sqe_le(40, slba, 8);
	sqe_le(48, nlb0, 4);
}

/* Dataset Management, one range (NR 0) of nlb blocks at slba in F.buf
 * (context attributes 0, NLB 4, SLBA 8), in the capsule; attr is CDW11. */
static void dsm(uint32_t attr, uint64_t slba, uint32_t nlb)
{
	cmd(OPC_DSM, T_INCAPSULE, 0, 16);
	sqe_le(4, 1, 4);
	sqe_le(40, 0, 4);
	sqe_le(44, attr, 4);
	memset(F.buf, 0, 16);
	put_le(F.buf, 4, nlb, 4);
	put_le(F.buf, 8, slba, 8);
}

/* ---- the two steps --------------------------------------------------------- */

static struct kt_qview qv(struct kt_ctrl *c, uint16_t qid)
{
	return (struct kt_qview){ .target = &F.t, .ctrl = c, .qid = qid, .max_len = kt_mdts_bytes(&F.t) };
}

static uint16_t parse_at(struct kt_ctrl *c, uint16_t qid, uint32_t icd_len, uint64_t now)
{
	struct kt_qview q = qv(c, qid);

	memset(&F.plan, 0xa5, sizeof(F.plan));
	return kt_cmd_parse(&q, &CAPS, &F.cmd, icd_len, now, &F.plan);
}

static uint16_t parse(struct kt_ctrl *c, uint16_t qid, uint32_t icd_len)
{
	return parse_at(c, qid, icd_len, NOW0 + 1);
}

/* Points cmd->data where the caller would per the plan (F.buf holds the
 * capsule's data or is the transport's buffer), then executes. */
static void exec_at(struct kt_ctrl *c, uint16_t qid, uint64_t now)
{
	struct kt_qview q = qv(c, qid);

	assert_null(F.cmd.data);
	if (F.plan.xfer.src == KT_XFER_INCAPSULE)
		F.cmd.data = F.buf + F.plan.xfer.off;
	else if (F.plan.xfer.src == KT_XFER_TRANSPORT)
		F.cmd.data = F.buf;
	/* junk that kt_cmd_exec must overwrite */
	F.res.next = KT_NEXT_HOLD;
	F.res.status = 0x7777;
	F.res.close_queue = true;
	F.res.reset = true;
	F.res.ka_moved = true;
	F.res.ka_cmd = KT_KA_SET_KATO;
	F.res.ka_requested_ms = 0xdeadbeef;
	kt_cmd_exec(&q, &F.plan, &F.cmd, now, &F.res);
}

static void exec(struct kt_ctrl *c, uint16_t qid)
{
	exec_at(c, qid, NOW0 + 2);
}

/* Parse passes, exec completes with status 0 and nothing else to do. */
static void run_ok(struct kt_ctrl *c, uint16_t qid, uint32_t icd_len)
{
	assert_int_equal(parse(c, qid, icd_len), 0);
	exec(c, qid);
	assert_int_equal(F.res.status, 0);
}

static void assert_result(enum kt_next next, uint16_t status, bool close_queue, bool reset,
			  bool ka_moved, enum kt_ka_cmd ka_cmd)
{
	assert_int_equal(F.res.next, next);
	assert_int_equal(F.res.status, status);
	assert_int_equal(F.res.close_queue, close_queue);
	assert_int_equal(F.res.reset, reset);
	assert_int_equal(F.res.ka_moved, ka_moved);
	assert_int_equal(F.res.ka_cmd, ka_cmd);
}

/* The controller's Error Log holds n entries, the newest for F.cmd's CID
 * on the admin queue with status st. */
static void assert_logged(const struct kt_ctrl *c, uint64_t n, uint16_t st)
{
	const struct nvme_error_log_page *e;

	assert_int_equal(c->err_count, n);
	e = &c->errlog[(n - 1) % KT_ERRLOG_MAX];
	assert_int_equal(le64toh(e->error_count), n);
	assert_int_equal(le16toh(e->sqid), 0);
	assert_int_equal(e->cmdid, F.cmd.sqe.cid);
	assert_int_equal(le16toh(e->status_field), (uint16_t)(st << 1));
}

/* CC written by Property Set on the admin queue. */
static void write_cc(struct kt_ctrl *c, uint32_t cc)
{
	prop_set(REG_CC, cc);
	run_ok(c, 0, 0);
}

static int setup(void **state)
{
	memset(&F, 0, sizeof(F));
	F.t.mdts = 5; /* 128 KiB */
	F.t.mqes = 127;
	F.t.kas = 1;
	strcpy(F.t.disc_nqn, KT_WELL_KNOWN_DISC_NQN);
	strcpy(F.t.disc.nqn, KT_WELL_KNOWN_DISC_NQN);
	F.t.disc.discovery = true;
	F.t.disc.version = 0x00020000;

	strcpy(F.s.nqn, SUBNQN);
	F.s.version = 0x00020000;
	F.s.qid_max = 4;
	F.s.allow_any_host = true;
	F.ns = (struct kt_ns){ .nsid = 1, .enabled = true, .lba_shift = 9, .nblocks = 1000,
			       .vwc = true, .can_discard = true };
	F.nsp[0] = &F.ns;
	F.s.ns = F.nsp;
	F.s.n_ns = 1;
	F.subsysp[0] = &F.s;
	F.t.subsys = F.subsysp;
	F.t.n_subsys = 1;

	F.port.portid = 1;
	F.port.inline_data_size = 8192;
	F.port_subsys[0] = &F.s;
	F.port.subsys = F.port_subsys;
	F.port.n_subsys = 1;
	F.portp[0] = &F.port;
	F.t.ports = F.portp;
	F.t.n_ports = 1;

	kt_ctrl_init(&F.c, &F.t, &F.s, &F.port, 0x31, HOSTNQN, HOSTID, 31, 10000, NOW0);
	write_cc(&F.c, CC_ENABLE);
	assert_true(kt_ctrl_ready(&F.c));
	kt_ctrl_init(&F.d, &F.t, &F.t.disc, &F.port, 0x32, HOSTNQN, HOSTID, 31, 0, NOW0);
	write_cc(&F.d, CC_ENABLE);
	assert_true(kt_ctrl_ready(&F.d));
	*state = &F;
	return 0;
}

/* ---- routing --------------------------------------------------------------- */

static void test_route(void **state UNUSED)
{
	/* 7Fh is a fabrics command on any queue, connected or not. */
	connect(T_INCAPSULE, 0, 31, 0xffff);
	assert_int_equal(parse(NULL, 0, 1024), 0);
	assert_int_equal(F.plan.route, KT_ROUTE_FABRICS);
	connect(T_INCAPSULE, 3, 31, 0x31);
	assert_int_equal(parse(NULL, 3, 1024), 0);
	assert_int_equal(F.plan.route, KT_ROUTE_FABRICS);
	prop_get(REG_CSTS);
	assert_int_equal(parse(&F.c, 0, 0), 0);
	assert_int_equal(F.plan.route, KT_ROUTE_FABRICS);
	fabrics(FC_DISCONNECT);
	assert_int_equal(parse(&F.c, 4, 0), 0);
	assert_int_equal(F.plan.route, KT_ROUTE_FABRICS);

	/* Anything else: admin on queue 0, I/O elsewhere, by the queue and
	 * not the opcode (02h is Get Log Page on one, Read on the other). */
	identify();
	assert_int_equal(parse(&F.c, 0, 0), 0);
	assert_int_equal(F.plan.route, KT_ROUTE_ADMIN);
	rw(OPC_READ, T_TRANSPORT, 0, 0, 512);
	assert_int_equal(parse(&F.c, 1, 0), 0);
	assert_int_equal(F.plan.route, KT_ROUTE_IO);
	rw(OPC_READ, T_TRANSPORT, 0, 0, 512); /* as Get Log Page: CDW10 LID 0 */
	assert_int_equal(parse(&F.c, 0, 0), 0);
	assert_int_equal(F.plan.route, KT_ROUTE_ADMIN);
	/* Keep Alive on an I/O queue is an I/O opcode it does not know. */
	admin(OPC_KEEP_ALIVE, 0, 0);
	assert_int_equal(parse(&F.c, 4, 0), ST_INVALID_OPCODE);
	assert_int_equal(F.plan.route, KT_ROUTE_IO);
	/* Routed the same before Connect, refused as such. */
	identify();
	assert_int_equal(parse(NULL, 0, 0), ST_CMD_SEQ);
	assert_int_equal(F.plan.route, KT_ROUTE_ADMIN);
	rw(OPC_WRITE, T_TRANSPORT, 0, 0, 512);
	assert_int_equal(parse(NULL, 2, 0), ST_CMD_SEQ);
	assert_int_equal(F.plan.route, KT_ROUTE_IO);
}

/* ---- queue state: before Connect -------------------------------------------- */

static void test_before_connect(void **state UNUSED)
{
	/* Connect passes parse, data in the capsule or by the transport. */
	connect(T_INCAPSULE, 0, 31, 0xffff);
	assert_int_equal(parse(NULL, 0, 1024), 0);
	assert_int_equal(F.plan.xfer.src, KT_XFER_INCAPSULE);
	assert_int_equal(F.plan.xfer.len, 1024);
	connect(T_TRANSPORT, 2, 127, 0x31);
	assert_int_equal(parse(NULL, 2, 0), 0);
	assert_int_equal(F.plan.xfer.src, KT_XFER_TRANSPORT);
	assert_int_equal(F.plan.xfer.dir, KT_DIR_H2C);

	/* Property Get/Set and Disconnect: Command Sequence Error, which a
	 * host may retry once connected (no DNR). */
	prop_get(REG_CSTS);
	assert_int_equal(parse(NULL, 0, 0), ST_CMD_SEQ);
	prop_set(REG_CC, CC_ENABLE);
	assert_int_equal(parse(NULL, 0, 0), ST_CMD_SEQ);
	fabrics(FC_DISCONNECT);
	assert_int_equal(parse(NULL, 0, 0), ST_CMD_SEQ);
	fabrics(FC_DISCONNECT);
	assert_int_equal(parse(NULL, 3, 0), ST_CMD_SEQ);

	/* Admin and I/O opcodes: the same. */
	admin(OPC_KEEP_ALIVE, 0, 0);
	assert_int_equal(parse(NULL, 0, 0), ST_CMD_SEQ);
	identify();
	assert_int_equal(parse(NULL, 0, 0), ST_CMD_SEQ);
	rw(OPC_READ, T_TRANSPORT, 0, 0, 512);
	assert_int_equal(parse(NULL, 1, 0), ST_CMD_SEQ);
	rw(OPC_WRITE, T_INCAPSULE, 0, 0, 512);
	assert_int_equal(parse(NULL, 1, 512), ST_CMD_SEQ);

	/* An FCTYPE we do not know, or Authentication Send 05h and Receive
	 * 06h before Connect: Invalid Opcode, not to be retried. */
	fabrics(0x10);
	assert_int_equal(parse(NULL, 0, 0), ST_INVALID_OPCODE);
	fabrics(0x05);
	assert_int_equal(parse(NULL, 0, 0), ST_INVALID_OPCODE);
	fabrics(0x06);
	assert_int_equal(parse(NULL, 2, 0), ST_INVALID_OPCODE);
	fabrics(0x7c);
	assert_int_equal(parse(NULL, 0, 0), ST_INVALID_OPCODE);
	/* The command before its descriptor (the kernel target's order): an
	 * unknown FCTYPE whose low bits say bidirectional is an unknown
	 * command, not an Invalid Field of its data pointer. */
	fabrics(0x7f);
	assert_int_equal(parse(NULL, 0, 0), ST_INVALID_OPCODE);
	/* ... and a Property Get before Connect with in-capsule data it
	 * cannot have is out of sequence first. */
	prop_get(REG_CSTS);
	assert_int_equal(parse(NULL, 0, 8), ST_CMD_SEQ);
}

/* ---- queue state: after Connect --------------------------------------------- */

static void test_after_connect(void **state UNUSED)
{
	uint64_t errs = F.c.err_count;

	/* A second Connect on either kind of queue. */
	connect(T_INCAPSULE, 0, 31, 0xffff);
	assert_int_equal(parse(&F.c, 0, 1024), ST_CMD_SEQ);
	connect(T_INCAPSULE, 1, 31, 0x31);
	assert_int_equal(parse(&F.c, 1, 1024), ST_CMD_SEQ);

	/* Properties belong to the admin queue. */
	prop_get(REG_CSTS);
	assert_int_equal(parse(&F.c, 1, 0), ST_INVALID_OPCODE);
	prop_set(REG_CC, 0);
	assert_int_equal(parse(&F.c, 2, 0), ST_INVALID_OPCODE);
	assert_true(kt_ctrl_ready(&F.c)); /* and were not executed */

	/* Disconnect on the admin queue: Invalid Queue Type. */
	fabrics(FC_DISCONNECT);
	assert_int_equal(parse(&F.c, 0, 0), ST_DISCONNECT_QTYPE);

	/* An unknown FCTYPE once connected. */
	fabrics(0x10);
	assert_int_equal(parse(&F.c, 0, 0), ST_INVALID_OPCODE);

	/* None of these are admin commands: the admin gate's log is not
	 * theirs (the transfer rules' logging is tested below). */
	assert_int_equal(F.c.err_count, errs);

	/* Property Get on the admin queue runs: CSTS.RDY. */
	prop_get(REG_CSTS);
	run_ok(&F.c, 0, 0);
	assert_result(KT_NEXT_COMPLETE, 0, false, false, false, KT_KA_NONE);
	assert_int_equal(le32toh(F.cmd.cqe.dw0), 1);

	/* Disconnect on an I/O queue: close it once the completion is out. */
	fabrics(FC_DISCONNECT);
	assert_int_equal(parse(&F.c, 3, 0), 0);
	assert_int_equal(F.plan.route, KT_ROUTE_FABRICS);
	exec(&F.c, 3);
	assert_result(KT_NEXT_COMPLETE, 0, true, false, false, KT_KA_NONE);
	assert_true(kt_ctrl_ready(&F.c));
}

/* ---- the admin gate, at parse time ----------------------------------------- */

static void test_admin_gate_not_enabled(void **state UNUSED)
{
	struct kt_ctrl g;

	kt_ctrl_init(&g, &F.t, &F.s, &F.port, 0x33, HOSTNQN, HOSTID, 31, 10000, NOW0);
	assert_int_equal(g.err_count, 0);

	/* Before its data moves: Identify's 4 KiB are not fetched. */
	identify();
	assert_int_equal(parse(&g, 0, 0), ST_CMD_SEQ_DNR);
	assert_logged(&g, 1, ST_CMD_SEQ_DNR);
	admin(OPC_KEEP_ALIVE, 0, 0);
	set_cid(0x0102);
	assert_int_equal(parse(&g, 0, 0), ST_CMD_SEQ_DNR);
	assert_logged(&g, 2, ST_CMD_SEQ_DNR);

	/* Fabrics commands are not gated: the host enables it with one. */
	prop_get(REG_CSTS);
	run_ok(&g, 0, 0);
	assert_int_equal(le32toh(F.cmd.cqe.dw0), 0);
	write_cc(&g, CC_ENABLE);
	assert_true(kt_ctrl_ready(&g));
	assert_int_equal(g.err_count, 2);
	identify();
	assert_int_equal(parse(&g, 0, 0), 0);
	assert_int_equal(g.err_count, 2);
}

static void test_admin_gate_discovery(void **state UNUSED)
{
	/* Format NVM (no data) and Namespace Management (H2C, 4 KiB). */
	admin(OPC_FORMAT, 0, 0);
	assert_int_equal(parse(&F.d, 0, 0), ST_INVALID_OPCODE);
	assert_logged(&F.d, 1, ST_INVALID_OPCODE);
	cmd(OPC_NS_MGMT, T_TRANSPORT, 0, 4096);
	set_cid(0x0d0d);
	assert_int_equal(parse(&F.d, 0, 0), ST_INVALID_OPCODE);
	assert_logged(&F.d, 2, ST_INVALID_OPCODE);

	/* Narrower, not closed: Identify passes. */
	identify();
	assert_int_equal(parse(&F.d, 0, 0), 0);
	assert_int_equal(F.d.err_count, 2);
	/* The same Format on the NVM controller gets past the gate (it is
	 * refused when it runs: we do not implement it). */
	admin(OPC_FORMAT, 0, 0);
	assert_int_equal(parse(&F.c, 0, 0), 0);
	exec(&F.c, 0);
	assert_int_equal(F.res.status, ST_INVALID_OPCODE);
}

static void test_admin_gate_fused(void **state UNUSED)
{
	identify();
	((uint8_t *)&F.cmd.sqe)[1] = SQE_PSDT_SGL | 0x01; /* first of a fused pair */
	assert_int_equal(parse(&F.c, 0, 0), ST_INVALID_FIELD);
	assert_logged(&F.c, 1, ST_INVALID_FIELD);
	assert_int_equal(le16toh(F.c.errlog[0].parm_error_location), 1); /* byte 1: flags */
	admin(OPC_KEEP_ALIVE, 0, 0);
	((uint8_t *)&F.cmd.sqe)[1] = SQE_PSDT_SGL | 0x02; /* second */
	assert_int_equal(parse(&F.c, 0, 0), ST_INVALID_FIELD);
	assert_logged(&F.c, 2, ST_INVALID_FIELD);
	/* ... on a discovery controller too */
	admin(OPC_KEEP_ALIVE, 0, 0);
	((uint8_t *)&F.cmd.sqe)[1] = SQE_PSDT_SGL | 0x01;
	assert_int_equal(parse(&F.d, 0, 0), ST_INVALID_FIELD);
	assert_logged(&F.d, 1, ST_INVALID_FIELD);
}

/* ---- data-transfer refusals and the Error Log ------------------------------- */

static void test_xfer_refusal_logged_on_admin_queue(void **state UNUSED)
{
	/* Identify (C2H) cannot name the capsule. */
	cmd(OPC_IDENTIFY, T_INCAPSULE, 0, 4096);
	set_cid(0xa001);
	assert_int_equal(parse(&F.c, 0, 4096), ST_SGL_TYPE);
	assert_logged(&F.c, 1, ST_SGL_TYPE);
	assert_int_equal(le16toh(F.c.errlog[0].parm_error_location), 0xffff);
	/* A transfer past MDTS. */
	cmd(OPC_IDENTIFY, T_TRANSPORT, 0, kt_mdts_bytes(&F.t) + 1);
	set_cid(0xa002);
	assert_int_equal(parse(&F.c, 0, 0), ST_INVALID_FIELD);
	assert_logged(&F.c, 2, ST_INVALID_FIELD);
	/* A fabrics command on the admin queue: in-capsule data for a
	 * Property Get, which moves none. */
	prop_get(REG_CSTS);
	set_cid(0xa003);
	assert_int_equal(parse(&F.c, 0, 8), ST_SGL_LENGTH);
	assert_logged(&F.c, 3, ST_SGL_LENGTH);
	/* Bytes 4-7 of a fabrics SQE are FCTYPE and reserved, not an NSID:
	 * the entry names no namespace (0, as for other errors of none). */
	assert_int_equal(le32toh(F.c.errlog[2].nsid), 0);
	fabrics(FC_PROP_SET);
	sqe_le(5, 0xabcdef, 3); /* reserved bytes 5-7 */
	assert_int_equal(parse(&F.c, 0, 16), ST_SGL_LENGTH);
	assert_logged(&F.c, 4, ST_SGL_LENGTH);
	assert_int_equal(le32toh(F.c.errlog[3].nsid), 0);
	/* An admin command's NSID is its own. */
	cmd(OPC_IDENTIFY, T_INCAPSULE, 0, 4096);
	sqe_le(4, 1, 4);
	assert_int_equal(parse(&F.c, 0, 4096), ST_SGL_TYPE);
	assert_logged(&F.c, 5, ST_SGL_TYPE);
	assert_int_equal(le32toh(F.c.errlog[4].nsid), 1);
	/* The admin gate is asked before the transfer rules (the kernel
	 * target's order): a discovery controller refuses Format's opcode
	 * however its data is described. */
	assert_int_equal(F.d.err_count, 0);
	admin(OPC_FORMAT, 0, 0);
	((uint8_t *)&F.cmd.sqe)[1] = SQE_PSDT_SGL | 0x01;
	assert_int_equal(parse(&F.d, 0, 64), ST_INVALID_OPCODE);
	assert_logged(&F.d, 1, ST_INVALID_OPCODE);
}

static void test_xfer_refusal_not_logged_on_io_queue(void **state UNUSED)
{
	rw(OPC_READ, T_INCAPSULE, 0, 0, 512);
	assert_int_equal(parse(&F.c, 1, 512), ST_SGL_TYPE);
	rw(OPC_WRITE, T_TRANSPORT, 0, 0, 512);
	((uint8_t *)&F.cmd.sqe)[1] = 0x00; /* PRPs */
	assert_int_equal(parse(&F.c, 2, 0), ST_INVALID_FIELD);
	rw(OPC_WRITE, T_TRANSPORT, 0, 0, 512);
	assert_int_equal(parse(&F.c, 2, 512), ST_SGL_LENGTH);
	/* and the I/O command's own refusals neither */
	rw(OPC_READ, T_TRANSPORT, 1000, 0, 512);
	assert_int_equal(parse(&F.c, 1, 0), ST_LBA_RANGE);
	assert_int_equal(F.c.err_count, 0);
	assert_int_equal(kt_ctrl_err_total(&F.c), 0);
}

/* ---- what parse leaves in the command -------------------------------------- */

static void assert_reset(uint32_t data_len, uint32_t xfer_len)
{
	static const struct kt_cqe zero_cqe;

	assert_null(F.cmd.data);
	assert_int_equal(F.cmd.data_len, data_len);
	assert_int_equal(F.cmd.xfer_len, xfer_len);
	assert_memory_equal(&F.cmd.cqe, &zero_cqe, sizeof(zero_cqe));
}

static void test_parse_resets_command(void **state UNUSED)
{
	/* Admin, data by the transport: the descriptor's length. */
	identify();
	assert_int_equal(parse(&F.c, 0, 0), 0);
	assert_reset(4096, 0);
	assert_int_equal(F.plan.xfer.src, KT_XFER_TRANSPORT);
	assert_int_equal(F.plan.xfer.dir, KT_DIR_C2H);
	assert_int_equal(F.plan.xfer.len, 4096);
	assert_int_equal(F.plan.xfer.off, 0);

	/* In-capsule at an offset: the length, not the capsule's. */
	cmd(OPC_SET_FEATURES, T_INCAPSULE, 64, 512);
	sqe_le(40, NVME_FEAT_FID_HOST_MEM_BUF, 4);
	assert_int_equal(parse(&F.c, 0, 1024), 0);
	assert_reset(512, 0);
	assert_int_equal(F.plan.xfer.src, KT_XFER_INCAPSULE);
	assert_int_equal(F.plan.xfer.off, 64);

	/* I/O: the Read's length, xfer_len by the I/O parser, io filled. */
	rw(OPC_READ, T_TRANSPORT, 8, 3, 2048);
	assert_int_equal(parse(&F.c, 1, 0), 0);
	assert_reset(2048, 2048);
	assert_int_equal(F.cmd.io.op, KT_IO_READ);
	assert_ptr_equal(F.cmd.io.ns, &F.ns);
	assert_int_equal(F.cmd.io.offset, 8 * 512);
	assert_int_equal(F.cmd.io.length, 2048);
	assert_false(F.cmd.io.fua);
	assert_int_equal(F.cmd.io.nr_ranges, 0);

	/* No data: 0. */
	admin(OPC_KEEP_ALIVE, 0, 0);
	assert_int_equal(parse(&F.c, 0, 0), 0);
	assert_reset(0, 0);
	assert_int_equal(F.plan.xfer.src, KT_XFER_NONE);

	/* Refused by a later rule: the length is still the descriptor's. */
	rw(OPC_READ, T_TRANSPORT, 1000, 0, 512);
	assert_int_equal(parse(&F.c, 1, 0), ST_LBA_RANGE);
	assert_null(F.cmd.data);
	assert_int_equal(F.cmd.data_len, 512);
	/* Refused by the transfer rules: nothing was named. */
	rw(OPC_READ, T_INCAPSULE, 0, 0, 512);
	assert_int_equal(parse(&F.c, 1, 512), ST_SGL_TYPE);
	assert_reset(0, 0);
	/* Not connected. */
	connect(T_INCAPSULE, 0, 31, 0xffff);
	assert_int_equal(parse(NULL, 0, 1024), 0);
	assert_reset(1024, 0);
}

static void test_parse_stamps_traffic(void **state UNUSED)
{
	uint64_t rearm = F.c.ka_rearm_ms;

	assert_int_equal(atomic_load(&F.c.last_traffic_ms), NOW0 + 1); /* the enabling Property Set */
	identify();
	assert_int_equal(parse_at(&F.c, 0, 0, 5555), 0);
	assert_int_equal(atomic_load(&F.c.last_traffic_ms), 5555);
	rw(OPC_READ, T_TRANSPORT, 0, 0, 512);
	assert_int_equal(parse_at(&F.c, 2, 0, 6666), 0);
	assert_int_equal(atomic_load(&F.c.last_traffic_ms), 6666);
	/* Refused commands are traffic too, whatever refused them. */
	rw(OPC_READ, T_TRANSPORT, 1000, 0, 512);
	assert_int_equal(parse_at(&F.c, 2, 0, 7777), ST_LBA_RANGE);
	assert_int_equal(atomic_load(&F.c.last_traffic_ms), 7777);
	rw(OPC_READ, T_INCAPSULE, 0, 0, 512);
	assert_int_equal(parse_at(&F.c, 2, 512, 8888), ST_SGL_TYPE);
	assert_int_equal(atomic_load(&F.c.last_traffic_ms), 8888);
	fabrics(FC_DISCONNECT);
	assert_int_equal(parse_at(&F.c, 0, 0, 9999), ST_DISCONNECT_QTYPE);
	assert_int_equal(atomic_load(&F.c.last_traffic_ms), 9999);
	/* Parse does not re-arm the timer: Keep Alive does, when it runs. */
	assert_int_equal(F.c.ka_rearm_ms, rearm);
	/* Not connected: nothing to stamp, the controller is untouched. */
	identify();
	assert_int_equal(parse_at(NULL, 0, 0, 12345), ST_CMD_SEQ);
	assert_int_equal(atomic_load(&F.c.last_traffic_ms), 9999);
}

/* ---- I/O ------------------------------------------------------------------- */

static void test_io_read(void **state UNUSED)
{
	/* Beyond the namespace (1000 blocks): one block past, a range that
	 * ends past, and SLBA + NLB wrapping 64 bits. */
	rw(OPC_READ, T_TRANSPORT, 1000, 0, 512);
	assert_int_equal(parse(&F.c, 1, 0), ST_LBA_RANGE);
	rw(OPC_READ, T_TRANSPORT, 999, 1, 1024);
	assert_int_equal(parse(&F.c, 1, 0), ST_LBA_RANGE);
	rw(OPC_READ, T_TRANSPORT, UINT64_MAX, 1, 1024);
	assert_int_equal(parse(&F.c, 1, 0), ST_LBA_RANGE);

	/* The last 8 blocks: parse passes, exec hands it to the backend. */
	rw(OPC_READ, T_TRANSPORT, 992, 7, 4096);
	assert_int_equal(parse(&F.c, 1, 0), 0);
	assert_int_equal(F.plan.route, KT_ROUTE_IO);
	exec(&F.c, 1);
	assert_result(KT_NEXT_BACKEND, 0, false, false, false, KT_KA_NONE);
	assert_int_equal(F.cmd.io.op, KT_IO_READ);
	assert_int_equal(F.cmd.io.offset, 992 * 512);
	assert_int_equal(F.cmd.io.length, 4096);
	assert_int_equal(F.cmd.xfer_len, 4096);
	assert_ptr_equal(F.cmd.data, F.buf);
}

static void test_io_write_incapsule(void **state UNUSED)
{
	rw(OPC_WRITE, T_INCAPSULE, 7, 0, 512);
	assert_int_equal(parse(&F.c, 3, 512), 0);
	assert_int_equal(F.plan.xfer.src, KT_XFER_INCAPSULE);
	exec(&F.c, 3);
	assert_result(KT_NEXT_BACKEND, 0, false, false, false, KT_KA_NONE);
	assert_int_equal(F.cmd.io.op, KT_IO_WRITE);
	assert_int_equal(F.cmd.io.offset, 7 * 512);
	assert_int_equal(F.cmd.io.length, 512);
}

static void test_io_dsm(void **state UNUSED)
{
	/* Without the deallocate attribute: nothing to do, once the range
	 * data is in and checked. */
	dsm(0, 5, 10);
	assert_int_equal(parse(&F.c, 1, 16), 0);
	assert_int_equal(F.cmd.io.op, KT_IO_NOP);
	assert_int_equal(F.cmd.io.nr_ranges, 0);
	exec(&F.c, 1);
	assert_ptr_equal(F.cmd.data, F.buf);
	assert_result(KT_NEXT_COMPLETE, 0, false, false, false, KT_KA_NONE);
	assert_int_equal(F.cmd.io.nr_ranges, 1);

	/* With it (AD, CDW11 bit 2), on a namespace that honours it. */
	dsm(NVME_DSMGMT_AD, 5, 10);
	assert_int_equal(parse(&F.c, 1, 16), 0);
	exec(&F.c, 1);
	assert_result(KT_NEXT_BACKEND, 0, false, false, false, KT_KA_NONE);
	assert_int_equal(F.cmd.io.op, KT_IO_DISCARD);
	assert_int_equal(F.cmd.io.nr_ranges, 1);

	/* A range past the namespace, found only once the data is in. */
	dsm(0, 995, 10);
	assert_int_equal(parse(&F.c, 1, 16), 0);
	exec(&F.c, 1);
	assert_result(KT_NEXT_COMPLETE, ST_LBA_RANGE, false, false, false, KT_KA_NONE);
}

/* ---- exec: keep-alive ------------------------------------------------------ */

static void test_exec_keep_alive(void **state UNUSED)
{
	admin(OPC_KEEP_ALIVE, 0, 0);
	assert_int_equal(parse_at(&F.c, 0, 0, 4000), 0);
	assert_int_not_equal(F.c.ka_rearm_ms, 4242);
	exec_at(&F.c, 0, 4242);
	assert_result(KT_NEXT_COMPLETE, 0, false, false, true, KT_KA_KEEP_ALIVE);
	assert_int_equal(F.res.ka_requested_ms, 0);
	assert_int_equal(F.c.ka_rearm_ms, 4242);
	assert_int_equal(kt_ctrl_ka_deadline(&F.c), 4242 + 10000);
}

static void test_exec_set_kato(void **state UNUSED)
{
	admin(OPC_SET_FEATURES, NVME_FEAT_FID_KATO, 5000);
	assert_int_equal(parse(&F.c, 0, 0), 0);
	exec_at(&F.c, 0, 3000);
	assert_result(KT_NEXT_COMPLETE, 0, false, false, true, KT_KA_SET_KATO);
	assert_int_equal(F.res.ka_requested_ms, 5000);
	assert_int_equal(F.c.kato_ms, 5000);
	assert_int_equal(F.c.ka_rearm_ms, 3000);

	/* Another feature is not a keep-alive command. */
	admin(OPC_SET_FEATURES, NVME_FEAT_FID_VOLATILE_WC, 1);
	assert_int_equal(parse(&F.c, 0, 0), 0);
	exec(&F.c, 0);
	assert_result(KT_NEXT_COMPLETE, 0, false, false, false, KT_KA_NONE);
	assert_int_equal(F.res.ka_requested_ms, 0);
	assert_int_equal(F.c.feat_vwc, 1);
}

static void test_exec_identify(void **state UNUSED)
{
	memset(F.buf, 0xee, sizeof(F.buf));
	identify();
	assert_int_equal(parse(&F.c, 0, 0), 0);
	exec(&F.c, 0);
	assert_result(KT_NEXT_COMPLETE, 0, false, false, false, KT_KA_NONE);
	assert_int_equal(F.res.ka_requested_ms, 0);
	assert_int_equal(F.cmd.xfer_len, 4096);
	/* CNTLID at bytes 79:78, SUBNQN at 768. */
	assert_int_equal(F.buf[78], 0x31);
	assert_int_equal(F.buf[79], 0x00);
	assert_memory_equal(F.buf + 768, SUBNQN, sizeof(SUBNQN));
	assert_int_equal(F.c.err_count, 0);
}

/* ---- exec: AER, Connect ---------------------------------------------------- */

static void hold_aer(struct kt_ctrl *c, uint16_t cid)
{
	admin(OPC_AER, 0, 0);
	set_cid(cid);
	assert_int_equal(parse(c, 0, 0), 0);
	exec(c, 0);
	assert_result(KT_NEXT_HOLD, 0, false, false, false, KT_KA_NONE);
	assert_true(kt_ctrl_aer_held(c, cid));
}

static void test_exec_aer(void **state UNUSED)
{
	assert_false(kt_ctrl_aer_held(&F.c, 0x0a01));
	for (uint16_t i = 0; i < KT_AER_MAX; i++)
		hold_aer(&F.c, (uint16_t)(0x0a01 + i));
	for (uint16_t i = 0; i < KT_AER_MAX; i++)
		assert_true(kt_ctrl_aer_held(&F.c, (uint16_t)(0x0a01 + i)));
	/* One more than AERL + 1: completed now with the limit status. */
	admin(OPC_AER, 0, 0);
	set_cid(0x0aff);
	assert_int_equal(parse(&F.c, 0, 0), 0);
	exec(&F.c, 0);
	assert_result(KT_NEXT_COMPLETE, ST_AER_LIMIT, false, false, false, KT_KA_NONE);
	assert_false(kt_ctrl_aer_held(&F.c, 0x0aff));
	assert_logged(&F.c, 1, ST_AER_LIMIT);
}

static void test_exec_connect(void **state UNUSED)
{
	/* Admin queue, data in the capsule. */
	connect(T_INCAPSULE, 0, 31, 0xffff);
	assert_int_equal(parse(NULL, 0, 1024), 0);
	exec(NULL, 0);
	assert_result(KT_NEXT_CONNECT, 0, false, false, false, KT_KA_NONE);
	assert_int_equal(F.res.connect.qid, 0);
	assert_int_equal(F.res.connect.sqsize, 31);
	assert_int_equal(F.res.connect.kato_ms, 15000);
	assert_int_equal(F.res.connect.cntlid, 0xffff);
	assert_memory_equal(F.res.connect.hostid, HOSTID, 16);
	assert_string_equal(F.res.connect.hostnqn, HOSTNQN);
	assert_string_equal(F.res.connect.subnqn, SUBNQN);

	/* I/O queue, data by the transport. */
	connect(T_TRANSPORT, 3, 127, 0x31);
	assert_int_equal(parse(NULL, 3, 0), 0);
	exec(NULL, 3);
	assert_result(KT_NEXT_CONNECT, 0, false, false, false, KT_KA_NONE);
	assert_int_equal(F.res.connect.qid, 3);
	assert_int_equal(F.res.connect.sqsize, 127);
	assert_int_equal(F.res.connect.cntlid, 0x31);
	assert_string_equal(F.res.connect.hostnqn, HOSTNQN);
	assert_string_equal(F.res.connect.subnqn, SUBNQN);

	/* Malformed: SQSIZE 0 is Connect Invalid Parameters at byte 44. */
	connect(T_INCAPSULE, 0, 0, 0xffff);
	assert_int_equal(parse(NULL, 0, 1024), 0);
	exec(NULL, 0);
	assert_result(KT_NEXT_COMPLETE, ST_CONNECT_INVALID_PARAM, false, false, false, KT_KA_NONE);
	assert_int_equal(le32toh(F.cmd.cqe.dw0), 44);
	/* Not 1024 bytes of data. */
	connect(T_INCAPSULE, 0, 31, 0xffff);
	sqe_le(32, 512, 4);
	assert_int_equal(parse(NULL, 0, 1024), 0);
	exec(NULL, 0);
	assert_result(KT_NEXT_COMPLETE, ST_SGL_LENGTH, false, false, false, KT_KA_NONE);
}

/* ---- exec: reset and shutdown ---------------------------------------------- */

static void test_exec_reset_drops_aers(void **state UNUSED)
{
	hold_aer(&F.c, 0x0b01);
	hold_aer(&F.c, 0x0b02);
	hold_aer(&F.c, 0x0b03);

	prop_set(REG_CC, CC_ENABLE & ~1u); /* EN 1 -> 0 */
	assert_int_equal(parse(&F.c, 0, 0), 0);
	exec(&F.c, 0);
	assert_result(KT_NEXT_COMPLETE, 0, false, true, true, KT_KA_NONE);
	assert_false(kt_ctrl_ready(&F.c));
	assert_false(kt_ctrl_aer_held(&F.c, 0x0b01));
	assert_false(kt_ctrl_aer_held(&F.c, 0x0b02));
	assert_false(kt_ctrl_aer_held(&F.c, 0x0b03));
	assert_int_equal(F.c.n_aer, 0);

	/* Admin commands are gated again until it is re-enabled ... */
	admin(OPC_AER, 0, 0);
	assert_int_equal(parse(&F.c, 0, 0), ST_CMD_SEQ_DNR);
	/* ... which is no reset. */
	prop_set(REG_CC, CC_ENABLE);
	assert_int_equal(parse(&F.c, 0, 0), 0);
	exec(&F.c, 0);
	assert_result(KT_NEXT_COMPLETE, 0, false, false, true, KT_KA_NONE);
	assert_true(kt_ctrl_ready(&F.c));
	hold_aer(&F.c, 0x0b04);
	assert_false(kt_ctrl_aer_held(&F.c, 0x0b01));
}

static void test_exec_shutdown_keeps_aers(void **state UNUSED)
{
	hold_aer(&F.c, 0x0c01);
	hold_aer(&F.c, 0x0c02);

	prop_set(REG_CC, CC_ENABLE | CC_SHN_NORMAL);
	assert_int_equal(parse(&F.c, 0, 0), 0);
	exec(&F.c, 0);
	assert_result(KT_NEXT_COMPLETE, 0, false, true, true, KT_KA_NONE);
	assert_true(kt_ctrl_aer_held(&F.c, 0x0c01));
	assert_true(kt_ctrl_aer_held(&F.c, 0x0c02));
	assert_int_equal(F.c.n_aer, 2);
	/* CSTS: shutdown complete (SHST 10b), not ready. */
	prop_get(REG_CSTS);
	run_ok(&F.c, 0, 0);
	assert_int_equal(le32toh(F.cmd.cqe.dw0), 0x8);

	/* A later reset drops them. */
	prop_set(REG_CC, 0);
	assert_int_equal(parse(&F.c, 0, 0), 0);
	exec(&F.c, 0);
	assert_result(KT_NEXT_COMPLETE, 0, false, true, true, KT_KA_NONE);
	assert_false(kt_ctrl_aer_held(&F.c, 0x0c01));
	assert_false(kt_ctrl_aer_held(&F.c, 0x0c02));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_route, setup),
		cmocka_unit_test_setup(test_before_connect, setup),
		cmocka_unit_test_setup(test_after_connect, setup),
		cmocka_unit_test_setup(test_admin_gate_not_enabled, setup),
		cmocka_unit_test_setup(test_admin_gate_discovery, setup),
		cmocka_unit_test_setup(test_admin_gate_fused, setup),
		cmocka_unit_test_setup(test_xfer_refusal_logged_on_admin_queue, setup),
		cmocka_unit_test_setup(test_xfer_refusal_not_logged_on_io_queue, setup),
		cmocka_unit_test_setup(test_parse_resets_command, setup),
		cmocka_unit_test_setup(test_parse_stamps_traffic, setup),
		cmocka_unit_test_setup(test_io_read, setup),
		cmocka_unit_test_setup(test_io_write_incapsule, setup),
		cmocka_unit_test_setup(test_io_dsm, setup),
		cmocka_unit_test_setup(test_exec_keep_alive, setup),
		cmocka_unit_test_setup(test_exec_set_kato, setup),
		cmocka_unit_test_setup(test_exec_identify, setup),
		cmocka_unit_test_setup(test_exec_aer, setup),
		cmocka_unit_test_setup(test_exec_connect, setup),
		cmocka_unit_test_setup(test_exec_reset_drops_aers, setup),
		cmocka_unit_test_setup(test_exec_shutdown_keeps_aers, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_fabrics.c - Connect (parse, admin admission, I/O queue checks) and
 * Property Get/Set (proto/fabrics.c, over the real controller model in
 * proto/ctrl.c). Every refusal is checked for its whole status (SCT, SC,
 * Do Not Retry) and, for Connect Invalid Parameters / Invalid Host, for the
 * IPO and IATTR it reports in dw0.
 */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/fabrics.h"

#define UNUSED __attribute__((unused))

/* Statuses spelled out: SCT in bits 10:8, SC in 7:0, DNR bit 14. */
#define ST_INVALID_OPCODE 0x4001
#define ST_INVALID_FIELD 0x4002
#define ST_CMD_SEQ_ERROR 0x400c
#define ST_SGL_LENGTH 0x400f
#define ST_CONNECT_FORMAT 0x4180
#define ST_CONNECT_INVALID_PARAM 0x4182
#define ST_CONNECT_INVALID_HOST 0x4184
#define IATTR_DATA 0x10000u

#define NQN_OPEN "nqn.2026-01.io.kato:open"
#define NQN_CLOSED "nqn.2026-01.io.kato:closed"
#define NQN_ELSEWHERE "nqn.2026-01.io.kato:elsewhere"
#define NQN_DISC "nqn.2026-01.io.kato:discovery-unique"
#define HOST_A "nqn.2014-08.org.nvmexpress:uuid:aaaaaaaa-0000-0000-0000-000000000001"
#define HOST_B "nqn.2014-08.org.nvmexpress:uuid:bbbbbbbb-0000-0000-0000-000000000002"

static const uint8_t HOSTID_A[16] = { 0xa1, 0xa2, 0xa3, 0xa4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

struct fixture {
	struct kt_target t;
	struct kt_subsys subsys[3];
	char hosts_closed[1][KT_NQN_MAX + 1];
	struct kt_port port;
	struct kt_subsys *port_subsys[2];
	struct kt_subsys *subsysp[3];
	struct kt_port *portp[1];
	struct kt_ctrl c;
	struct kt_cmd cmd;
	uint8_t data[2048];
	struct kt_connect_args a;
};

static struct fixture F;

static int setup(void **state)
{
	memset(&F, 0, sizeof(F));
	strcpy(F.t.disc_nqn, NQN_DISC);
	F.t.mqes = 127;
	F.t.kas = 1;
	F.t.mdts = 5;

	strcpy(F.subsys[0].nqn, NQN_OPEN);
	F.subsys[0].allow_any_host = true;
	F.subsys[0].version = 0x00020000;
	F.subsys[0].qid_max = 4;
	strcpy(F.subsys[1].nqn, NQN_CLOSED);
	strcpy(F.hosts_closed[0], HOST_A);
	F.subsys[1].hosts = F.hosts_closed;
	F.subsys[1].n_hosts = 1;
	F.subsys[1].qid_max = 4;
	/* Exists, but no port exports it. */
	strcpy(F.subsys[2].nqn, NQN_ELSEWHERE);
	F.subsys[2].allow_any_host = true;
	for (int i = 0; i < 3; i++)
		F.subsysp[i] = &F.subsys[i];
	F.t.subsys = F.subsysp;
	F.t.n_subsys = 3;
	strcpy(F.t.disc.nqn, NQN_DISC);
	F.t.disc.discovery = true;
	F.t.disc.version = 0x00020000;

	F.port.portid = 1;
	F.port.adrfam = NVMF_ADDR_FAMILY_IP4;
	strcpy(F.port.traddr, "127.0.0.1");
	strcpy(F.port.trsvcid, "4420");
	F.port.inline_data_size = 8192;
	F.port_subsys[0] = &F.subsys[0];
	F.port_subsys[1] = &F.subsys[1];
	F.port.subsys = F.port_subsys;
	F.port.n_subsys = 2;
	F.portp[0] = &F.port;
	F.t.ports = F.portp;
	F.t.n_ports = 1;
	*state = &F;
	return 0;
}

/* ---- Connect command builders ------------------------------------------ */

/* A Connect SQE and its 1024 bytes of data, written at the byte offsets of
 * the spec (SQE: RECFMT 40, QID 42, SQSIZE 44, CATTR 46, KATO 48; data:
 * HOSTID 0, CNTLID 16, SUBNQN 256, HOSTNQN 512). */
static struct kt_cmd *connect_cmd(uint16_t qid, uint16_t sqsize, uint16_t cntlid,
				  const char *subnqn, const char *hostnqn)
{
	uint8_t *sqe = (uint8_t *)&F.cmd.sqe;

	memset(&F.cmd, 0, sizeof(F.cmd));
	memset(F.data, 0, sizeof(F.data));
	sqe[0] = 0x7f;
	sqe[1] = 0x40;
	sqe[2] = 0x34;
	sqe[3] = 0x12;
	sqe[4] = 0x01; /* FCTYPE Connect */
	sqe[42] = (uint8_t)qid;
	sqe[43] = (uint8_t)(qid >> 8);
	sqe[44] = (uint8_t)sqsize;
	sqe[45] = (uint8_t)(sqsize >> 8);
	sqe[46] = 0x04; /* CATTR: disable SQ flow control */
	sqe[48] = 0xc0; /* KATO 120000 ms = 0x0001d4c0 */
	sqe[49] = 0xd4;
	sqe[50] = 0x01;
	memcpy(F.data, HOSTID_A, 16);
	F.data[16] = (uint8_t)cntlid;
	F.data[17] = (uint8_t)(cntlid >> 8);
	memcpy(F.data + 256, subnqn, strlen(subnqn));
	memcpy(F.data + 512, hostnqn, strlen(hostnqn));
	F.cmd.data = F.data;
	F.cmd.data_len = 1024;
	F.cmd.cqe.dw0 = htole32(0xdeadbeef); /* must be overwritten */
	return &F.cmd;
}

static uint16_t parse(void)
{
	return kt_connect_parse(&F.t, &F.cmd, &F.a);
}

static uint32_t dw0(void)
{
	return le32toh(F.cmd.cqe.dw0);
}

/* ---- kt_connect_parse ---------------------------------------------------- */

static void test_parse_ok(void **state UNUSED)
{
	connect_cmd(0, 31, 0xffff, NQN_OPEN, HOST_A);
	assert_int_equal(parse(), 0);
	assert_int_equal(dw0(), 0);
	assert_int_equal(F.a.qid, 0);
	assert_int_equal(F.a.sqsize, 31);
	assert_int_equal(F.a.cattr, 0x04);
	assert_int_equal(F.a.kato_ms, 120000);
	assert_int_equal(F.a.cntlid, 0xffff);
	assert_memory_equal(F.a.hostid, HOSTID_A, 16);
	assert_string_equal(F.a.subnqn, NQN_OPEN);
	assert_string_equal(F.a.hostnqn, HOST_A);

	/* An I/O queue up to CAP.MQES. */
	connect_cmd(3, 127, 7, NQN_OPEN, HOST_A);
	assert_int_equal(parse(), 0);
	assert_int_equal(F.a.qid, 3);
	assert_int_equal(F.a.sqsize, 127);
	assert_int_equal(F.a.cntlid, 7);
}

static void test_parse_recfmt_and_opcode(void **state UNUSED)
{
	connect_cmd(0, 31, 0xffff, NQN_OPEN, HOST_A);
	((uint8_t *)&F.cmd.sqe)[40] = 1;
	assert_int_equal(parse(), ST_CONNECT_FORMAT);
	connect_cmd(0, 31, 0xffff, NQN_OPEN, HOST_A);
	((uint8_t *)&F.cmd.sqe)[41] = 1; /* RECFMT 0x0100 */
	assert_int_equal(parse(), ST_CONNECT_FORMAT);

	connect_cmd(0, 31, 0xffff, NQN_OPEN, HOST_A);
	((uint8_t *)&F.cmd.sqe)[4] = 0x04; /* Property Get is not Connect */
	assert_int_equal(parse(), ST_INVALID_OPCODE);
	connect_cmd(0, 31, 0xffff, NQN_OPEN, HOST_A);
	F.cmd.sqe.opcode = 0x06;
	assert_int_equal(parse(), ST_INVALID_OPCODE);
}

static void test_parse_data_length(void **state UNUSED)
{
	static const uint32_t bad[] = { 0, 16, 1023, 1025, 2048 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		connect_cmd(0, 31, 0xffff, NQN_OPEN, HOST_A);
		F.cmd.data_len = bad[i];
		assert_int_equal(parse(), ST_SGL_LENGTH);
	}
	connect_cmd(0, 31, 0xffff, NQN_OPEN, HOST_A);
	F.cmd.data = NULL;
	assert_int_equal(parse(), ST_SGL_LENGTH);
}

static void test_parse_sqsize(void **state UNUSED)
{
	/* Zero is invalid everywhere: IPO 44 in the SQE (IATTR 0). */
	connect_cmd(0, 0, 0xffff, NQN_OPEN, HOST_A);
	assert_int_equal(parse(), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), 44);
	connect_cmd(1, 0, 1, NQN_OPEN, HOST_A);
	assert_int_equal(parse(), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), 44);

	/* Admin queue: 1..31 (2..32 entries). */
	connect_cmd(0, 1, 0xffff, NQN_OPEN, HOST_A);
	assert_int_equal(parse(), 0);
	connect_cmd(0, 32, 0xffff, NQN_OPEN, HOST_A);
	assert_int_equal(parse(), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), 44);
	/* ...and never above MQES either. */
	F.t.mqes = 15;
	connect_cmd(0, 16, 0xffff, NQN_OPEN, HOST_A);
	assert_int_equal(parse(), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), 44);
	connect_cmd(0, 15, 0xffff, NQN_OPEN, HOST_A);
	assert_int_equal(parse(), 0);
	F.t.mqes = 127;

	/* I/O queue: 1..MQES. */
	connect_cmd(1, 1, 1, NQN_OPEN, HOST_A);
	assert_int_equal(parse(), 0);
	connect_cmd(1, 128, 1, NQN_OPEN, HOST_A);
	assert_int_equal(parse(), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), 44);
	connect_cmd(1, 0xffff, 1, NQN_OPEN, HOST_A);
	assert_int_equal(parse(), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), 44);
}

static void test_parse_nqns(void **state UNUSED)
{
	char nqn[300];

	/* Subsystem NQN: 223 characters fit, 224 do not. */
	memset(nqn, 's', 223);
	nqn[223] = '\0';
	connect_cmd(0, 31, 0xffff, nqn, HOST_A);
	assert_int_equal(parse(), 0);
	assert_int_equal(strlen(F.a.subnqn), 223);
	nqn[223] = 's';
	nqn[224] = '\0';
	connect_cmd(0, 31, 0xffff, nqn, HOST_A);
	assert_int_equal(parse(), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), IATTR_DATA | 256);
	/* No NUL in all of its 256 bytes. */
	connect_cmd(0, 31, 0xffff, NQN_OPEN, HOST_A);
	memset(F.data + 256, 'x', 256);
	assert_int_equal(parse(), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), IATTR_DATA | 256);
	/* Empty. */
	connect_cmd(0, 31, 0xffff, "", HOST_A);
	assert_int_equal(parse(), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), IATTR_DATA | 256);

	/* Host NQN: the same limits, at offset 512. */
	memset(nqn, 'h', 223);
	nqn[223] = '\0';
	connect_cmd(0, 31, 0xffff, NQN_OPEN, nqn);
	assert_int_equal(parse(), 0);
	nqn[223] = 'h';
	nqn[224] = '\0';
	connect_cmd(0, 31, 0xffff, NQN_OPEN, nqn);
	assert_int_equal(parse(), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), IATTR_DATA | 512);
	connect_cmd(0, 31, 0xffff, NQN_OPEN, HOST_A);
	memset(F.data + 512, 'x', 256);
	assert_int_equal(parse(), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), IATTR_DATA | 512);
	/* An empty host NQN is accepted here (see fabrics.c for why). */
	connect_cmd(0, 31, 0xffff, NQN_OPEN, "");
	assert_int_equal(parse(), 0);
	assert_string_equal(F.a.hostnqn, "");
	/* Bytes after the NUL do not matter. */
	connect_cmd(0, 31, 0xffff, NQN_OPEN, HOST_A);
	memset(F.data + 512 + strlen(HOST_A) + 1, 'z', 256 - strlen(HOST_A) - 1);
	assert_int_equal(parse(), 0);
	assert_string_equal(F.a.hostnqn, HOST_A);
}

/* ---- kt_connect_admit ---------------------------------------------------- */

static uint16_t admit(struct kt_subsys **out)
{
	uint16_t st = parse();

	if (st)
		return st;
	return kt_connect_admit(&F.t, &F.port, &F.a, &F.cmd, out);
}

static void test_admit_ok(void **state UNUSED)
{
	struct kt_subsys *s = NULL;

	connect_cmd(0, 31, 0xffff, NQN_OPEN, HOST_B);
	assert_int_equal(admit(&s), 0);
	assert_ptr_equal(s, &F.subsys[0]);
	assert_int_equal(dw0(), 0);

	connect_cmd(0, 31, 0xffff, NQN_CLOSED, HOST_A);
	assert_int_equal(admit(&s), 0);
	assert_ptr_equal(s, &F.subsys[1]);

	/* The discovery subsystem, by the well-known and the unique NQN, for
	 * any host, even one that may use no NVM subsystem. */
	connect_cmd(0, 31, 0xffff, KT_WELL_KNOWN_DISC_NQN, "nqn.2026-01.io.kato:nobody");
	assert_int_equal(admit(&s), 0);
	assert_ptr_equal(s, &F.t.disc);
	connect_cmd(0, 31, 0xffff, NQN_DISC, HOST_B);
	assert_int_equal(admit(&s), 0);
	assert_ptr_equal(s, &F.t.disc);

	/* Empty host NQN: only where any host may come. */
	connect_cmd(0, 31, 0xffff, NQN_OPEN, "");
	assert_int_equal(admit(&s), 0);
	assert_ptr_equal(s, &F.subsys[0]);
}

static void test_admit_refused(void **state UNUSED)
{
	struct kt_subsys *s = (struct kt_subsys *)&F;

	/* Static controller IDs are not offered: IPO 16 in the data. */
	connect_cmd(0, 31, 0, NQN_OPEN, HOST_A);
	assert_int_equal(admit(&s), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), IATTR_DATA | 16);
	assert_null(s);
	connect_cmd(0, 31, 0xfffe, NQN_OPEN, HOST_A);
	assert_int_equal(admit(&s), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), IATTR_DATA | 16);

	/* Unknown subsystem, and one that exists but not on this port. */
	connect_cmd(0, 31, 0xffff, "nqn.2026-01.io.kato:nope", HOST_A);
	assert_int_equal(admit(&s), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), IATTR_DATA | 256);
	connect_cmd(0, 31, 0xffff, NQN_ELSEWHERE, HOST_A);
	assert_int_equal(admit(&s), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), IATTR_DATA | 256);
	assert_null(s);

	/* Host not on the list; empty host NQN on a list-only subsystem. */
	connect_cmd(0, 31, 0xffff, NQN_CLOSED, HOST_B);
	assert_int_equal(admit(&s), ST_CONNECT_INVALID_HOST);
	assert_int_equal(dw0(), IATTR_DATA | 512);
	assert_null(s);
	connect_cmd(0, 31, 0xffff, NQN_CLOSED, "");
	assert_int_equal(admit(&s), ST_CONNECT_INVALID_HOST);
	assert_int_equal(dw0(), IATTR_DATA | 512);

	/* Admission is for the admin queue only: QID at 42 in the SQE. */
	connect_cmd(2, 31, 0xffff, NQN_OPEN, HOST_A);
	assert_int_equal(admit(&s), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), 42);
}

/* ---- kt_connect_check_io ------------------------------------------------- */

/* An admin Connect for HOST_A to NQN_OPEN, then CC.EN = 1 by Property Set. */
static void make_ready_ctrl(void)
{
	struct kt_cmd *cmd;
	bool reset = true;

	kt_ctrl_init(&F.c, &F.t, &F.subsys[0], &F.port, 5, HOST_A, HOSTID_A, 31, 120000, 1000);
	cmd = &F.cmd;
	memset(cmd, 0, sizeof(*cmd));
	cmd->sqe.opcode = 0x7f;
	((uint8_t *)&cmd->sqe)[4] = 0x00;        /* Property Set */
	((uint8_t *)&cmd->sqe)[44] = 0x14;       /* CC */
	cmd->sqe.cdw12 = htole32(0x00460001);    /* IOCQES 4, IOSQES 6, EN */
	assert_int_equal(kt_fabrics_prop_exec(&F.c, cmd, 2000, &reset), 0);
	assert_false(reset);
	assert_true(kt_ctrl_ready(&F.c));
}

static uint16_t check_io(const struct kt_ctrl *c)
{
	uint16_t st = parse();

	if (st)
		return st;
	return kt_connect_check_io(c, &F.a, &F.cmd);
}

static void test_check_io_ok(void **state UNUSED)
{
	make_ready_ctrl();
	connect_cmd(1, 127, 5, NQN_OPEN, HOST_A);
	assert_int_equal(check_io(&F.c), 0);
	assert_int_equal(dw0(), 0);
	/* The last granted queue. */
	connect_cmd(4, 1, 5, NQN_OPEN, HOST_A);
	assert_int_equal(check_io(&F.c), 0);
}

static void test_check_io_refused(void **state UNUSED)
{
	make_ready_ctrl();

	/* No such controller: IPO CNTLID in the data. */
	connect_cmd(1, 31, 9, NQN_OPEN, HOST_A);
	assert_int_equal(check_io(NULL), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), IATTR_DATA | 16);

	/* Beyond the granted queues: IPO QID in the SQE. */
	connect_cmd(5, 31, 5, NQN_OPEN, HOST_A);
	assert_int_equal(check_io(&F.c), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), 42);
	F.c.nr_io_queues = 2;
	connect_cmd(3, 31, 5, NQN_OPEN, HOST_A);
	assert_int_equal(check_io(&F.c), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), 42);
	connect_cmd(2, 31, 5, NQN_OPEN, HOST_A);
	assert_int_equal(check_io(&F.c), 0);

	/* QID 0 is not an I/O queue. */
	connect_cmd(0, 31, 5, NQN_OPEN, HOST_A);
	assert_int_equal(check_io(&F.c), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), 42);

	/* Another host, by NQN or by host ID. */
	connect_cmd(1, 31, 5, NQN_OPEN, HOST_B);
	assert_int_equal(check_io(&F.c), ST_CONNECT_INVALID_HOST);
	assert_int_equal(dw0(), IATTR_DATA | 512);
	connect_cmd(1, 31, 5, NQN_OPEN, HOST_A);
	F.data[15] ^= 1;
	assert_int_equal(check_io(&F.c), ST_CONNECT_INVALID_HOST);
	assert_int_equal(dw0(), IATTR_DATA | 0);

	/* Another subsystem's NQN. */
	connect_cmd(1, 31, 5, NQN_CLOSED, HOST_A);
	assert_int_equal(check_io(&F.c), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), IATTR_DATA | 256);

	/* SQSIZE above MQES (the target's limit got lower since parse). */
	connect_cmd(1, 100, 5, NQN_OPEN, HOST_A);
	assert_int_equal(parse(), 0);
	F.t.mqes = 63;
	assert_int_equal(kt_connect_check_io(&F.c, &F.a, &F.cmd), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), 44);
}

static void test_check_io_not_ready(void **state UNUSED)
{
	kt_ctrl_init(&F.c, &F.t, &F.subsys[0], &F.port, 5, HOST_A, HOSTID_A, 31, 0, 1000);
	connect_cmd(1, 31, 5, NQN_OPEN, HOST_A);
	assert_int_equal(check_io(&F.c), ST_CMD_SEQ_ERROR);
	/* Enabled but not (yet) ready. */
	F.c.cc = 1;
	F.c.csts = 0;
	connect_cmd(1, 31, 5, NQN_OPEN, HOST_A);
	assert_int_equal(check_io(&F.c), ST_CMD_SEQ_ERROR);
	F.c.csts = 1;
	connect_cmd(1, 31, 5, NQN_OPEN, HOST_A);
	assert_int_equal(check_io(&F.c), 0);
}

static void test_check_io_discovery(void **state UNUSED)
{
	kt_ctrl_init(&F.c, &F.t, &F.t.disc, &F.port, 6, HOST_A, HOSTID_A, 31, 0, 1000);
	F.c.cc = 1;
	F.c.csts = 1;
	connect_cmd(1, 31, 6, KT_WELL_KNOWN_DISC_NQN, HOST_A);
	assert_int_equal(check_io(&F.c), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), 42);
	connect_cmd(1, 31, 6, NQN_DISC, HOST_A);
	assert_int_equal(check_io(&F.c), ST_CONNECT_INVALID_PARAM);
	assert_int_equal(dw0(), 42);
}

/* ---- Property Get / Set -------------------------------------------------- */

static struct kt_cmd *prop(uint8_t fctype, uint8_t attrib, uint32_t offset, uint64_t value)
{
	uint8_t *b = (uint8_t *)&F.cmd.sqe;

	memset(&F.cmd, 0, sizeof(F.cmd));
	b[0] = 0x7f;
	b[4] = fctype;
	b[40] = attrib;
	for (unsigned i = 0; i < 4; i++)
		b[44 + i] = (uint8_t)(offset >> (8 * i));
	for (unsigned i = 0; i < 8; i++)
		b[48 + i] = (uint8_t)(value >> (8 * i));
	F.cmd.cqe.dw0 = htole32(0xdeadbeef);
	F.cmd.cqe.dw1 = htole32(0xdeadbeef);
	return &F.cmd;
}

static void test_property_get(void **state UNUSED)
{
	bool reset = true;

	kt_ctrl_init(&F.c, &F.t, &F.subsys[0], &F.port, 5, HOST_A, HOSTID_A, 31, 0, 1000);

	/* CAP, 8 bytes: low dword in dw0, high in dw1. */
	assert_int_equal(kt_fabrics_prop_exec(&F.c, prop(0x04, 1, 0x00, 0), 1000, &reset), 0);
	assert_false(reset);
	assert_int_equal(le32toh(F.cmd.cqe.dw0), (uint32_t)F.c.cap);
	assert_int_equal(le32toh(F.cmd.cqe.dw1), (uint32_t)(F.c.cap >> 32));
	assert_int_equal(le32toh(F.cmd.cqe.dw0) & 0xffff, 127); /* CAP.MQES */

	/* VS, 4 bytes: dw1 is zero. */
	assert_int_equal(kt_fabrics_prop_exec(&F.c, prop(0x04, 0, 0x08, 0), 1000, &reset), 0);
	assert_int_equal(le32toh(F.cmd.cqe.dw0), 0x00020000);
	assert_int_equal(le32toh(F.cmd.cqe.dw1), 0);

	/* Reserved ATTRIB bits 7:3 are ignored. */
	assert_int_equal(kt_fabrics_prop_exec(&F.c, prop(0x04, 0xf8, 0x08, 0), 1000, &reset), 0);
	assert_int_equal(le32toh(F.cmd.cqe.dw0), 0x00020000);

	/* Sizes other than 4 and 8 bytes. */
	for (uint8_t a = 2; a < 8; a++) {
		assert_int_equal(kt_fabrics_prop_exec(&F.c, prop(0x04, a, 0x08, 0), 1000, &reset),
				 ST_INVALID_FIELD);
		assert_int_equal(le32toh(F.cmd.cqe.dw0), 0);
		assert_int_equal(le32toh(F.cmd.cqe.dw1), 0);
	}

	/* What the controller refuses comes back as it said, dw0/dw1 clear. */
	assert_int_equal(kt_fabrics_prop_exec(&F.c, prop(0x04, 0, 0x1000, 0), 1000, &reset),
			 ST_INVALID_FIELD);
	assert_int_equal(le32toh(F.cmd.cqe.dw0), 0);
	assert_int_equal(le32toh(F.cmd.cqe.dw1), 0);

	/* Not a property command. */
	assert_int_equal(kt_fabrics_prop_exec(&F.c, prop(0x01, 0, 0x08, 0), 1000, &reset),
			 ST_INVALID_OPCODE);
	assert_int_equal(kt_fabrics_prop_exec(&F.c, prop(0x08, 0, 0x08, 0), 1000, NULL),
			 ST_INVALID_OPCODE);
}

static void test_property_set(void **state UNUSED)
{
	bool reset = true;

	kt_ctrl_init(&F.c, &F.t, &F.subsys[0], &F.port, 5, HOST_A, HOSTID_A, 31, 0, 1000);

	/* 4 bytes: the upper dword of VALUE is not part of the write. */
	assert_int_equal(kt_fabrics_prop_exec(&F.c, prop(0x00, 0, 0x14, 0xdeadbeef00460001ull),
					      1500, &reset), 0);
	assert_false(reset);
	assert_int_equal(F.c.cc, 0x00460001);
	assert_int_equal(le32toh(F.cmd.cqe.dw0), 0);
	assert_int_equal(le32toh(F.cmd.cqe.dw1), 0);

	/* Read back through Property Get, then CSTS.RDY. */
	assert_int_equal(kt_fabrics_prop_exec(&F.c, prop(0x04, 0, 0x14, 0), 1500, &reset), 0);
	assert_int_equal(le32toh(F.cmd.cqe.dw0), 0x00460001);
	assert_int_equal(kt_fabrics_prop_exec(&F.c, prop(0x04, 0, 0x1c, 0), 1500, &reset), 0);
	assert_int_equal(le32toh(F.cmd.cqe.dw0) & 1, 1);

	/* EN 1 -> 0 resets the controller: *reset tells the caller. */
	assert_int_equal(kt_fabrics_prop_exec(&F.c, prop(0x00, 0, 0x14, 0x00460000), 1600, &reset), 0);
	assert_true(reset);
	assert_false(kt_ctrl_ready(&F.c));

	/* A bad size never reaches the controller. */
	F.c.cc = 0x1234;
	assert_int_equal(kt_fabrics_prop_exec(&F.c, prop(0x00, 3, 0x14, 0x00460001), 1700, &reset),
			 ST_INVALID_FIELD);
	assert_false(reset);
	assert_int_equal(F.c.cc, 0x1234);
	/* A NULL reset pointer is allowed. */
	F.c.cc = 0;
	assert_int_equal(kt_fabrics_prop_exec(&F.c, prop(0x00, 0, 0x14, 0x00460001), 1800, NULL), 0);
	assert_int_equal(F.c.cc, 0x00460001);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_parse_ok, setup),
		cmocka_unit_test_setup(test_parse_recfmt_and_opcode, setup),
		cmocka_unit_test_setup(test_parse_data_length, setup),
		cmocka_unit_test_setup(test_parse_sqsize, setup),
		cmocka_unit_test_setup(test_parse_nqns, setup),
		cmocka_unit_test_setup(test_admit_ok, setup),
		cmocka_unit_test_setup(test_admit_refused, setup),
		cmocka_unit_test_setup(test_check_io_ok, setup),
		cmocka_unit_test_setup(test_check_io_refused, setup),
		cmocka_unit_test_setup(test_check_io_not_ready, setup),
		cmocka_unit_test_setup(test_check_io_discovery, setup),
		cmocka_unit_test_setup(test_property_get, setup),
		cmocka_unit_test_setup(test_property_set, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_connect.c - controller association over NVMe/TCP against a running
 * katod: admin Connect, Property Get/Set, enable, Identify, and the Connects
 * that must be refused (unknown subsystem, host not allowed, bad SQSIZE, I/O
 * queue with a bad CNTLID or QID, duplicate QID), Disconnect and shutdown;
 * controller ids: allocated from cntlid_min after the last one given,
 * wrapping at cntlid_max, skipping ids in use, refused when the range is
 * full, and I/O Connects finding their controller by (subsystem, id).
 * One katod serves every test in the file.
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

#include "tests/host/host.h"
#include "tests/integration/harness.h"

#define RESTRICTED_NQN "nqn.2026-11.io.kato:restricted"
#define RANGE_NQN "nqn.2026-11.io.kato:cntlid-range" /* cntlid 1000-1003 */
#define RANGE_HOST(x) "nqn.2014-08.io.kato:range-host-" x
#define SCT_CMD NVME_SCT_CMD_SPECIFIC

static struct hn_katod K;

static const char CONFIG[] =
	"{\n"
	"  \"hosts\": [{\"nqn\": \"" HN_HOSTNQN2 "\"}],\n"
	"  \"ports\": [{\"portid\": 1, \"referrals\": [],\n"
	"    \"addr\": {\"trtype\": \"tcp\", \"adrfam\": \"ipv4\", \"traddr\": \"" HN_ADDR "\",\n"
	"             \"trsvcid\": \"%u\", \"treq\": \"not specified\"},\n"
	"    \"param\": {\"inline_data_size\": \"16384\"},\n"
	"    \"subsystems\": [\"" HN_SUBNQN "\", \"" RESTRICTED_NQN "\", \"" RANGE_NQN "\"]}],\n"
	"  \"subsystems\": [\n"
	"    {\"nqn\": \"" HN_SUBNQN "\", \"allowed_hosts\": [],\n"
	"     \"attr\": {\"allow_any_host\": \"1\", \"serial\": \"kato-it-0001\"},\n"
	"     \"namespaces\": [\n"
	"       {\"nsid\": 1, \"enable\": 1, \"device\": {\"backend\": \"ram\", \"size\": \"64M\"}},\n"
	"       {\"nsid\": 2, \"enable\": 1, \"device\": {\"backend\": \"null\", \"size\": \"1G\",\n"
	"                                           \"block_size\": 4096}}]},\n"
	"    {\"nqn\": \"" RESTRICTED_NQN "\", \"allowed_hosts\": [\"" HN_HOSTNQN2 "\"],\n"
	"     \"attr\": {\"allow_any_host\": \"0\"},\n"
	"     \"namespaces\": [{\"nsid\": 1, \"enable\": 1,\n"
	"                     \"device\": {\"backend\": \"ram\", \"size\": \"1M\"}}]},\n"
	"    {\"nqn\": \"" RANGE_NQN "\", \"allowed_hosts\": [],\n"
	"     \"attr\": {\"allow_any_host\": \"1\", \"cntlid_min\": \"1000\", \"cntlid_max\": \"1003\"},\n"
	"     \"namespaces\": [{\"nsid\": 1, \"enable\": 1,\n"
	"                     \"device\": {\"backend\": \"null\", \"size\": \"1M\"}}]}],\n"
	"  \"katod\": {\"workers\": 2, \"log_level\": \"debug\"}\n"
	"}\n";

static int group_setup(void **state)
{
	return hn_group_start(state, &K, 1, CONFIG);
}

static struct kh_opts admin_opts(void)
{
	struct kh_opts o;

	memset(&o, 0, sizeof(o));
	o.subnqn = HN_SUBNQN;
	o.sqsize = 31;
	return o;
}

/* An enabled controller on HN_SUBNQN. */
static struct kh_host *admin_up(void)
{
	struct kh_opts o = admin_opts();
	struct kh_host *a = NULL;

	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, K.port[0], &o));
	return a;
}

/* Admin Connect, then the registers a fabrics controller must show. */
static void connect_and_properties(void **state)
{
	struct kh_opts o = admin_opts();
	struct kh_host *a;
	struct kt_cqe cqe;
	uint64_t vs, cap, cc, csts;

	(void)state;
	HN_ASSERT_OK(kh_connect(&a, HN_ADDR, K.port[0], &o, &cqe));
	/* dynamic controller model: a CNTLID in 1..FFEFh */
	assert_in_range(kh_cntlid(a), 1, 0xffef);
	assert_int_equal(le16toh(cqe.sq_id), 0);
	assert_true(kh_maxh2cdata(a) >= 4096);

	HN_ASSERT_OK(kh_prop_get(a, NVME_REG_VS, 4, &vs));
	assert_int_equal(vs, 0x00020000); /* config.h: 2.0 unless configured */
	HN_ASSERT_OK(kh_prop_get(a, NVME_REG_CAP, 8, &cap));
	/* MQES: max_queue_size (default 128) zero-based; CQR must be 1 on
	 * fabrics; CSS bit 37 (NVM command set); TO non-zero. */
	assert_int_equal(cap & 0xffff, 127);
	assert_true(cap & (1ull << 16));
	assert_true(cap & (1ull << 37));
	assert_true((cap >> 24) & 0xff);
	HN_ASSERT_OK(kh_prop_get(a, NVME_REG_CC, 4, &cc));
	assert_int_equal(cc, 0);
	HN_ASSERT_OK(kh_prop_get(a, NVME_REG_CSTS, 4, &csts));
	assert_int_equal(csts & 1, 0);

	/* enabling sets RDY and keeps IOSQES/IOCQES as written */
	HN_ASSERT_OK(kh_enable(a));
	HN_ASSERT_OK(kh_prop_get(a, NVME_REG_CC, 4, &cc));
	assert_int_equal(cc, 1u | (6u << 16) | (4u << 20));
	HN_ASSERT_OK(kh_prop_get(a, NVME_REG_CSTS, 4, &csts));
	assert_int_equal(csts & 3, 1);
	kh_close(a);
	hn_pass(&K);
}

/* Identify before CC.EN=1 is a Command Sequence Error (NVMe-oF 1.1 3.5). */
static void identify_before_enable(void **state)
{
	struct kh_opts o = admin_opts();
	struct kh_host *a;
	struct nvme_id_ctrl id;

	(void)state;
	HN_ASSERT_OK(kh_connect(&a, HN_ADDR, K.port[0], &o, NULL));
	HN_ASSERT_SC(kh_identify_ctrl(a, &id), NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR);
	kh_close(a);
	hn_pass(&K);
}

static void trim_eq(const char *field, size_t n, const char *want)
{
	char buf[300];

	memcpy(buf, field, n);
	buf[n] = 0;
	for (size_t i = n; i > 0 && (buf[i - 1] == ' ' || buf[i - 1] == 0); i--)
		buf[i - 1] = 0;
	assert_string_equal(buf, want);
}

static void identify_controller_and_namespaces(void **state)
{
	struct kh_host *a = admin_up();
	struct nvme_id_ctrl id;
	struct nvme_id_ns ns;
	uint32_t list[1024];

	(void)state;
	HN_ASSERT_OK(kh_identify_ctrl(a, &id));
	assert_int_equal(le16toh(id.cntlid), kh_cntlid(a));
	trim_eq(id.subnqn, sizeof(id.subnqn), HN_SUBNQN);
	trim_eq(id.sn, sizeof(id.sn), "kato-it-0001");
	trim_eq(id.mn, sizeof(id.mn), "kato");
	/* ASCII fields are space padded, not NUL padded */
	assert_int_equal(id.mn[sizeof(id.mn) - 1], ' ');
	assert_int_equal(id.cntrltype, 1);        /* I/O controller */
	assert_int_equal(id.mdts, 8);             /* default: 1 MiB */
	assert_int_equal(le32toh(id.iorcsz), 1);  /* 16-byte responses */
	/* IOCCSZ: 64-byte SQE + the port's inline_data_size */
	assert_int_equal(le32toh(id.ioccsz), (64 + 16384) / 16);
	assert_true(id.kas >= 1);              /* KAS advertised */
	assert_true(le32toh(id.sgls) & 0x3);      /* SGLs supported */
	assert_true(le32toh(id.nn) >= 2);
	assert_int_equal(id.sqes, 0x66);
	assert_int_equal(id.cqes, 0x44);

	HN_ASSERT_OK(kh_identify_ns(a, 1, &ns));
	assert_int_equal(kh_id_ns_lba_size(&ns), 512);
	assert_int_equal(le64toh(ns.nsze), (64u << 20) / 512);
	assert_int_equal(le64toh(ns.ncap), (64u << 20) / 512);
	HN_ASSERT_OK(kh_identify_ns(a, 2, &ns));
	assert_int_equal(kh_id_ns_lba_size(&ns), 4096);
	assert_int_equal(le64toh(ns.nsze), (1ull << 30) / 4096);

	/* Active namespace list (CNS 02h): 1, 2, then zeroes */
	HN_ASSERT_OK(kh_identify(a, NVME_IDENTIFY_CNS_NS_ACTIVE_LIST, 0, 0, list));
	assert_int_equal(le32toh(list[0]), 1);
	assert_int_equal(le32toh(list[1]), 2);
	assert_int_equal(list[2], 0);
	HN_ASSERT_OK(kh_identify(a, NVME_IDENTIFY_CNS_NS_ACTIVE_LIST, 1, 0, list));
	assert_int_equal(le32toh(list[0]), 2);
	assert_int_equal(list[1], 0);
	kh_close(a);
	hn_pass(&K);
}

static void refused_unknown_subsystem(void **state)
{
	struct kh_opts o = admin_opts();
	struct kh_host *a;
	struct kt_cqe cqe;
	uint32_t dw0;

	(void)state;
	o.subnqn = "nqn.2026-11.io.kato:no-such-subsystem";
	HN_ASSERT_SC(kh_connect(&a, HN_ADDR, K.port[0], &o, &cqe), SCT_CMD,
		     NVME_SC_CONNECT_INVALID_PARAM);
	dw0 = le32toh(cqe.dw0);
	/* the bad parameter is SUBNQN, in the connect data */
	assert_int_equal(dw0 & KT_CONNECT_IATTR_DATA, KT_CONNECT_IATTR_DATA);
	assert_int_equal(dw0 & 0xffff, offsetof(struct nvmf_connect_data, subsysnqn));
	hn_pass(&K);
}

static void refused_host_not_allowed(void **state)
{
	struct kh_opts o = admin_opts();
	struct kh_host *a;

	(void)state;
	o.subnqn = RESTRICTED_NQN;
	o.hostnqn = HN_HOSTNQN;
	HN_ASSERT_SC(kh_connect(&a, HN_ADDR, K.port[0], &o, NULL), SCT_CMD,
		     NVME_SC_CONNECT_INVALID_HOST);
	/* the allowed host gets in */
	o.hostnqn = HN_HOSTNQN2;
	HN_ASSERT_OK(kh_connect(&a, HN_ADDR, K.port[0], &o, NULL));
	HN_ASSERT_OK(kh_enable(a));
	kh_close(a);
	hn_pass(&K);
}

static void refused_bad_sqsize(void **state)
{
	struct kh_opts o = admin_opts();
	struct kh_host *a, *io;
	struct kt_cqe cqe;

	(void)state;
	/* above CAP.MQES (127) */
	o.sqsize = 1023;
	HN_ASSERT_SC(kh_connect(&a, HN_ADDR, K.port[0], &o, &cqe), SCT_CMD,
		     NVME_SC_CONNECT_INVALID_PARAM);
	assert_int_equal(le32toh(cqe.dw0) & KT_CONNECT_IATTR_DATA, 0);
	assert_int_equal(le32toh(cqe.dw0) & 0xffff, offsetof(struct kt_fabrics_connect_cmd, sqsize));

	a = admin_up();
	o.sqsize = 1023;
	HN_ASSERT_SC(kh_io_up(&io, a, HN_ADDR, K.port[0], 1, &o, &cqe), SCT_CMD,
		     NVME_SC_CONNECT_INVALID_PARAM);
	assert_int_equal(le32toh(cqe.dw0) & KT_CONNECT_IATTR_DATA, 0);
	assert_int_equal(le32toh(cqe.dw0) & 0xffff, offsetof(struct kt_fabrics_connect_cmd, sqsize));
	kh_close(a);
	hn_pass(&K);
}

static void io_connect_bad_cntlid_and_qid(void **state)
{
	struct kh_host *a = admin_up(), *io;
	struct kh_opts o;
	struct kt_cqe cqe;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.subnqn = HN_SUBNQN;
	o.qid = 1;
	o.sqsize = 127;
	o.cntlid = (uint16_t)(kh_cntlid(a) + 1000);
	HN_ASSERT_SC(kh_connect(&io, HN_ADDR, K.port[0], &o, &cqe), SCT_CMD,
		     NVME_SC_CONNECT_INVALID_PARAM);
	assert_int_equal(le32toh(cqe.dw0) & KT_CONNECT_IATTR_DATA, KT_CONNECT_IATTR_DATA);
	assert_int_equal(le32toh(cqe.dw0) & 0xffff, offsetof(struct nvmf_connect_data, cntlid));

	/* a QID beyond the granted queues */
	HN_ASSERT_SC(kh_io_up(&io, a, HN_ADDR, K.port[0], 0xfffe, NULL, &cqe), SCT_CMD,
		     NVME_SC_CONNECT_INVALID_PARAM);
	assert_int_equal(le32toh(cqe.dw0) & KT_CONNECT_IATTR_DATA, 0);
	assert_int_equal(le32toh(cqe.dw0) & 0xffff, offsetof(struct kt_fabrics_connect_cmd, qid));

	/* The right controller with another host NQN: NVMe-oF 1.1 says
	 * Connect Invalid Host covers "not allowed to establish an
	 * association to the specified controller". */
	o.cntlid = kh_cntlid(a);
	o.hostnqn = HN_HOSTNQN2;
	HN_ASSERT_SC(kh_connect(&io, HN_ADDR, K.port[0], &o, &cqe), SCT_CMD,
		     NVME_SC_CONNECT_INVALID_HOST);
	kh_close(a);
	hn_pass(&K);
}

static void io_connect_before_enable(void **state)
{
	struct kh_opts o = admin_opts();
	struct kh_host *a, *io = NULL;
	int rc;

	(void)state;
	HN_ASSERT_OK(kh_connect(&a, HN_ADDR, K.port[0], &o, NULL));
	rc = kh_io_up(&io, a, HN_ADDR, K.port[0], 1, NULL, NULL);
	/* kh_io_up's Identify already fails (not enabled); a raw Connect too */
	assert_true(rc > 0);
	o.qid = 1;
	o.cntlid = kh_cntlid(a);
	rc = kh_connect(&io, HN_ADDR, K.port[0], &o, NULL);
	assert_true(rc > 0);
	assert_null(io);
	kh_close(a);
	hn_pass(&K);
}

static void io_connect_duplicate_qid(void **state)
{
	struct kh_host *a = admin_up(), *io1, *io2;
	uint8_t buf[512];

	(void)state;
	HN_ASSERT_OK(kh_io_up(&io1, a, HN_ADDR, K.port[0], 1, NULL, NULL));
	HN_ASSERT_SC(kh_io_up(&io2, a, HN_ADDR, K.port[0], 1, NULL, NULL), SCT_CMD,
		     NVME_SC_CONNECT_CTRL_BUSY);
	/* the first queue is unharmed */
	HN_ASSERT_OK(kh_read(io1, 1, 0, 1, buf, sizeof(buf)));
	/* another QID is fine */
	HN_ASSERT_OK(kh_io_up(&io2, a, HN_ADDR, K.port[0], 2, NULL, NULL));
	HN_ASSERT_OK(kh_read(io2, 1, 0, 1, buf, sizeof(buf)));
	kh_close(io2);
	kh_close(io1);
	kh_close(a);
	hn_pass(&K);
}

/* Disconnect deletes the I/O queue: the connection closes and the QID can
 * be connected again. Closing a queue's connection frees its QID too. */
static void disconnect_and_reuse_qid(void **state)
{
	struct kh_host *a = admin_up(), *io;
	uint64_t deadline;
	int rc;

	(void)state;
	HN_ASSERT_OK(kh_io_up(&io, a, HN_ADDR, K.port[0], 1, NULL, NULL));
	HN_ASSERT_OK(kh_disconnect(io));
	HN_ASSERT_OK(kh_wait_closed(io, 2000, NULL));
	kh_close(io);

	/* The controller learns of the close asynchronously: retry a busy
	 * QID for up to 2 s. */
	deadline = kh_now_ms() + 2000;
	do {
		rc = kh_io_up(&io, a, HN_ADDR, K.port[0], 1, NULL, NULL);
	} while (KH_SC(rc) == KH_STATUS(SCT_CMD, NVME_SC_CONNECT_CTRL_BUSY) &&
		 kh_now_ms() < deadline);
	HN_ASSERT_OK(rc);
	kh_close(io);
	deadline = kh_now_ms() + 2000;
	do {
		rc = kh_io_up(&io, a, HN_ADDR, K.port[0], 1, NULL, NULL);
	} while (KH_SC(rc) == KH_STATUS(SCT_CMD, NVME_SC_CONNECT_CTRL_BUSY) &&
		 kh_now_ms() < deadline);
	HN_ASSERT_OK(rc);
	kh_close(io);
	kh_close(a);
	hn_pass(&K);
}

/* Closing the admin queue ends the controller: its I/O queues close. */
static void admin_close_ends_io_queues(void **state)
{
	struct kh_host *a = admin_up(), *io;

	(void)state;
	HN_ASSERT_OK(kh_io_up(&io, a, HN_ADDR, K.port[0], 1, NULL, NULL));
	kh_close(a);
	HN_ASSERT_OK(kh_wait_closed(io, 3000, NULL));
	kh_close(io);
	hn_pass(&K);
}

/* An enabled controller on RANGE_NQN for host RANGE_HOST(x); its id. */
static uint16_t range_up(struct kh_host **h, const char *hostnqn)
{
	struct kh_opts o = admin_opts();

	o.subnqn = RANGE_NQN;
	o.hostnqn = hostnqn;
	HN_ASSERT_OK(kh_admin_up(h, HN_ADDR, K.port[0], &o));
	return kh_cntlid(*h);
}

/* Closes h's admin queue and waits until katod has freed its controller
 * (its id is free only then). Every host NQN here is used once, so the
 * log line is this controller's. */
static void range_close(struct kh_host *h, uint16_t id, const char *hostnqn)
{
	char needle[300];

	kh_close(h);
	snprintf(needle, sizeof(needle), "ctrl %u host %s: controller freed", id, hostnqn);
	if (hn_log_wait(&K, needle, 3000) < 0)
		fail_msg("no \"%s\" in katod's log", needle);
}

/* Controller ids of a subsystem with cntlid_min 1000, cntlid_max 1003:
 * the first is cntlid_min (the cursor, shared by all subsystems, is below
 * the range: other tests' controllers have small ids), then the next free
 * id after the last one given, wrapping at cntlid_max and skipping ids in
 * use; a freed id is not given again while a later one is free; a full
 * range refuses Connect with Controller Busy and DNR (as nvmet does). I/O
 * queue Connects find their controller by subsystem and id. */
static void cntlid_range(void **state)
{
	struct kh_host *h[4], *e, *f, *g, *io, *x = NULL;
	struct kh_opts o = admin_opts();
	struct kt_cqe cqe;
	const char *nqn[4] = { RANGE_HOST("a"), RANGE_HOST("b"), RANGE_HOST("c"), RANGE_HOST("d") };
	uint8_t buf[512];
	int rc;

	(void)state;
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(range_up(&h[i], nqn[i]), 1000 + i);

	/* full: Connect Controller Busy, Do Not Retry */
	o.subnqn = RANGE_NQN;
	o.hostnqn = RANGE_HOST("full");
	rc = kh_connect(&x, HN_ADDR, K.port[0], &o, &cqe);
	HN_ASSERT_SC(rc, SCT_CMD, NVME_SC_CONNECT_CTRL_BUSY);
	assert_true(rc & KH_DNR);
	assert_null(x);

	/* 1001 freed: the cursor (1003, the last given) wraps to 1000, which
	 * is in use, and gets 1001 */
	range_close(h[1], 1001, nqn[1]);
	assert_int_equal(range_up(&e, RANGE_HOST("e")), 1001);

	/* 1000 freed, then 1002: the next id is 1002, after the last one
	 * given (1001); 1000 is not reused while a later id is free. Then
	 * 1003 is in use: wrap, 1000. */
	range_close(h[0], 1000, nqn[0]);
	range_close(h[2], 1002, nqn[2]);
	assert_int_equal(range_up(&f, RANGE_HOST("f")), 1002);
	assert_int_equal(range_up(&g, RANGE_HOST("g")), 1000);
	/* full again; another subsystem still gets a controller */
	{
		struct kh_host *other = admin_up();
		assert_int_not_equal(kh_cntlid(other), 0);
		kh_close(other);
	}

	/* I/O queue Connect: the right (subsystem, id) is accepted and works */
	HN_ASSERT_OK(kh_io_up(&io, h[3], HN_ADDR, K.port[0], 1, NULL, NULL));
	HN_ASSERT_OK(kh_read(io, 1, 0, 1, buf, sizeof(buf)));
	kh_close(io);
	/* the same id in another subsystem (which has no controller 1003) is
	 * refused: Invalid Parameter, CNTLID in the connect data */
	memset(&o, 0, sizeof(o));
	o.subnqn = HN_SUBNQN;
	o.hostnqn = nqn[3];
	o.qid = 1;
	o.sqsize = 127;
	o.cntlid = 1003;
	HN_ASSERT_SC(kh_connect(&x, HN_ADDR, K.port[0], &o, &cqe), SCT_CMD,
		     NVME_SC_CONNECT_INVALID_PARAM);
	assert_int_equal(le32toh(cqe.dw0) & KT_CONNECT_IATTR_DATA, KT_CONNECT_IATTR_DATA);
	assert_int_equal(le32toh(cqe.dw0) & 0xffff, offsetof(struct nvmf_connect_data, cntlid));
	/* a freed id of the right subsystem is refused the same way */
	range_close(f, 1002, RANGE_HOST("f"));
	o.subnqn = RANGE_NQN;
	o.hostnqn = RANGE_HOST("f");
	o.cntlid = 1002;
	HN_ASSERT_SC(kh_connect(&x, HN_ADDR, K.port[0], &o, &cqe), SCT_CMD,
		     NVME_SC_CONNECT_INVALID_PARAM);
	assert_int_equal(le32toh(cqe.dw0) & 0xffff, offsetof(struct nvmf_connect_data, cntlid));

	kh_close(g);
	kh_close(e);
	kh_close(h[3]);
	hn_pass(&K);
}

static void shutdown_completes(void **state)
{
	struct kh_host *a = admin_up();
	uint64_t csts;

	(void)state;
	HN_ASSERT_OK(kh_shutdown(a));
	HN_ASSERT_OK(kh_prop_get(a, NVME_REG_CSTS, 4, &csts));
	assert_int_equal((csts >> 2) & 3, NVME_CSTS_SHST_CMPLT);
	kh_close(a);
	hn_pass(&K);
}

/* Disconnect deletes I/O queues only: on the admin queue it is refused
 * with Invalid Queue Type (NVMe over Fabrics), and the controller lives on. */
static void disconnect_on_admin_refused(void **state)
{
	struct kh_host *a = admin_up();
	struct nvme_id_ctrl id;
	int st;

	(void)state;
	st = kh_disconnect(a);

	assert_int_equal(KH_SC(st), KH_STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_DISCONNECT_INVALID_QTYPE));
	assert_true(st & 0x4000); /* Do Not Retry */
	HN_ASSERT_OK(kh_identify_ctrl(a, &id));
	kh_close(a);
	hn_pass(&K);
}

/* An Asynchronous Event Request outstanding at shutdown stays outstanding
 * (no completion for a command id the host may already have reused, as
 * nvmet and SPDK do), and a reset afterwards aborts it without a completion
 * (NVMe Base); the controller then takes new AERs as usual. */
static void aer_outstanding_across_shutdown_and_reset(void **state)
{
	struct kh_host *a = admin_up();
	struct nvme_id_ctrl id;
	struct kt_sqe sqe;
	struct kh_done d;
	int cid;

	(void)state;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = nvme_admin_async_event;
	cid = kh_submit(a, &sqe, NULL, 0, KH_NONE, 0, NULL);
	assert_true(cid >= 0);
	HN_ASSERT_OK(kh_shutdown(a));
	kh_set_timeout(a, 300);
	assert_int_equal(kh_poll(a, &d), -ETIMEDOUT);
	kh_set_timeout(a, KH_DEFAULT_TIMEOUT_MS);
	HN_ASSERT_OK(kh_disable(a));
	kh_set_timeout(a, 300);
	assert_int_equal(kh_poll(a, &d), -ETIMEDOUT);
	kh_set_timeout(a, KH_DEFAULT_TIMEOUT_MS);
	HN_ASSERT_OK(kh_enable(a));
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = nvme_admin_async_event;
	assert_true(kh_submit(a, &sqe, NULL, 0, KH_NONE, 0, NULL) >= 0);
	HN_ASSERT_OK(kh_identify_ctrl(a, &id)); /* answered; the AER is not */
	kh_close(a);
	hn_pass(&K);
}

#define T(f) HN_TEST(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(connect_and_properties),
		T(identify_before_enable),
		T(identify_controller_and_namespaces),
		T(refused_unknown_subsystem),
		T(refused_host_not_allowed),
		T(refused_bad_sqsize),
		T(io_connect_bad_cntlid_and_qid),
		T(io_connect_before_enable),
		T(io_connect_duplicate_qid),
		T(disconnect_and_reuse_qid),
		T(admin_close_ends_io_queues),
		T(cntlid_range),
		T(shutdown_completes),
		T(disconnect_on_admin_refused),
		T(aer_outstanding_across_shutdown_and_reset),
	};

	return cmocka_run_group_tests(tests, group_setup, hn_group_teardown);
}

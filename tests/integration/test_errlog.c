/*
 * test_errlog.c - what a running katod's health log pages say about the
 * commands it ran. Mostly I/O command errors in the Error Information Log
 * (log page 01h): an I/O queue's failed command is handed to the
 * admin worker, which owns the log, so an error on I/O queue 1 shows up in
 * log page 01h with its SQID, CID, status, LBA and NSID; a burst of errors
 * keeps the Error Count and SMART's "Number of Error Information Log
 * Entries" truthful, whether or not every entry made it into the ring.
 * Also SMART's read counters, which count Compare with Read.
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
#include <time.h>
#include <cmocka.h>

#include "tests/host/host.h"
#include "tests/integration/harness.h"

#define ERRLOG_ENTRIES 64u
#define NSID 1u

static struct hn_katod K;

static const char CONFIG[] = HN_CONFIG_ONE("{\"backend\": \"ram\", \"size\": \"1M\"}",
					  "{\"workers\": 2, \"log_level\": \"debug\"}");

struct ctx {
	struct kh_host *a, *io;
	uint64_t nsze;
};

static struct ctx C;

static int group_setup(void **state)
{
	return hn_group_start(state, &K, 1, CONFIG);
}

static int t_setup(void **state)
{
	struct kh_opts o;
	struct nvme_id_ns ns;

	(void)state;
	hn_test_begin(&K);
	memset(&C, 0, sizeof(C));
	memset(&o, 0, sizeof(o));
	o.subnqn = HN_SUBNQN;
	/* Two workers: the I/O queue is on the other worker than the admin
	 * queue or on the same, depending on the listener's hand-out; the
	 * hand-over is the same message either way. */
	if (kh_assoc_up(&C.a, &C.io, HN_ADDR, K.port[0], &o))
		return -1;
	if (kh_identify_ns(C.a, NSID, &ns))
		return -1;
	C.nsze = le64toh(ns.nsze);
	return 0;
}

static int t_teardown(void **state)
{
	(void)state;
	return hn_test_end_assoc(&K, C.a, C.io);
}

static uint64_t smart_errors(void)
{
	struct nvme_smart_log s;
	uint64_t v;

	HN_ASSERT_OK(kh_get_log(C.a, NVME_LOG_LID_SMART, NVME_NSID_ALL, 0, 0, &s, sizeof(s)));
	memcpy(&v, s.num_err_log_entries, 8);
	return le64toh(v);
}

/* The error log, newest first; waits (bounded) until the newest entry's
 * Error Count reaches `want` (the entries come from another worker). */
static void read_errlog(struct nvme_error_log_page *e, uint64_t want)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	for (int i = 0; i < 400; i++) {
		HN_ASSERT_OK(kh_get_log(C.a, NVME_LOG_LID_ERROR, 0, 0, 0, e,
					ERRLOG_ENTRIES * sizeof(*e)));
		if (le64toh(e[0].error_count) >= want)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("error count %llu, expected %llu", (unsigned long long)le64toh(e[0].error_count),
		 (unsigned long long)want);
}

/* A Read running past the namespace's end: LBA Out of Range on I/O queue
 * 1, in the log with SQID 1, the command's CID, the status, its SLBA, NSID
 * and the SLBA field as the parameter in error. */
static void test_read_past_end(void **state)
{
	static struct nvme_error_log_page e[ERRLOG_ENTRIES];
	struct kt_sqe sqe;
	struct kt_cqe cqe;
	uint8_t buf[1024];
	(void)state;

	uint64_t before = smart_errors();
	uint64_t slba = C.nsze - 1;
	kh_sqe_rw(&sqe, nvme_cmd_read, NSID, slba, 2);
	int st = kh_io(C.io, &sqe, buf, sizeof(buf), KH_C2H, &cqe);
	HN_ASSERT_SC(st, NVME_SCT_GENERIC, NVME_SC_LBA_RANGE);
	assert_true(st & KH_DNR);

	read_errlog(e, before + 1);
	assert_int_equal(le64toh(e[0].error_count), before + 1);
	assert_int_equal(le16toh(e[0].sqid), 1);
	assert_int_equal(e[0].cmdid, cqe.cid);
	assert_int_equal(le16toh(e[0].status_field), (uint16_t)(st << 1));
	assert_int_equal(le16toh(e[0].parm_error_location), 40);
	assert_int_equal(le64toh(e[0].lba), slba);
	assert_int_equal(le32toh(e[0].nsid), NSID);
	assert_int_equal(e[0].trtype, NVMF_TRTYPE_TCP);
	assert_int_equal(smart_errors(), before + 1);

	/* A good read after it adds nothing. */
	HN_ASSERT_OK(kh_read(C.io, NSID, 0, 2, buf, sizeof(buf)));
	assert_int_equal(smart_errors(), before + 1);

	/* An unknown namespace: NSID named, no LBA for a Flush. */
	kh_sqe_rw(&sqe, nvme_cmd_flush, 77, 0, 1);
	sqe.cdw10 = sqe.cdw11 = sqe.cdw12 = 0;
	st = kh_io(C.io, &sqe, NULL, 0, KH_NONE, &cqe);
	HN_ASSERT_SC(st, NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
	read_errlog(e, before + 2);
	assert_int_equal(le16toh(e[0].sqid), 1);
	assert_int_equal(e[0].cmdid, cqe.cid);
	assert_int_equal(le32toh(e[0].nsid), 77);
	assert_int_equal(le16toh(e[0].parm_error_location), 4);
	assert_int_equal(le64toh(e[0].lba), 0);
	assert_int_equal(le64toh(e[1].error_count), before + 1);
	hn_pass(&K);
}

/* Many failing commands at queue depth 100, several times the ring: every
 * one is counted (Error Count of the newest entry and SMART agree with the
 * number sent), the ring holds the newest, numbered without gaps unless
 * entries were lost on the way (then the numbering skips them, as the spec
 * says a lost entry shows). */
static void test_burst(void **state)
{
	static struct nvme_error_log_page e[ERRLOG_ENTRIES];
	static uint8_t bufs[100][512];
	const unsigned total = 1000, depth = 100;
	unsigned sent = 0, done = 0;
	struct kh_done d;
	(void)state;

	uint64_t before = smart_errors();
	while (done < total) {
		while (sent < total && sent - done < depth) {
			struct kt_sqe sqe;
			kh_sqe_rw(&sqe, nvme_cmd_read, NSID, C.nsze + sent, 1);
			int cid = kh_submit(C.io, &sqe, bufs[sent % depth], 512, KH_C2H, 0, NULL);
			assert_true(cid >= 0);
			sent++;
		}
		HN_ASSERT_OK(kh_poll(C.io, &d));
		assert_int_equal(KH_SC(d.status), KH_STATUS(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE));
		done++;
	}
	read_errlog(e, before + total);
	assert_int_equal(le64toh(e[0].error_count), before + total);
	assert_int_equal(smart_errors(), before + total);
	/* Newest first, numbers decreasing, each one of ours. */
	assert_int_equal(le16toh(e[0].sqid), 1);
	for (unsigned i = 1; i < ERRLOG_ENTRIES; i++) {
		assert_true(le64toh(e[i].error_count) < le64toh(e[i - 1].error_count));
		assert_int_equal(le16toh(e[i].sqid), 1);
		assert_true(le64toh(e[i].lba) >= C.nsze && le64toh(e[i].lba) < C.nsze + total);
		/* in submission order: the LBAs follow the numbers */
		assert_true(le64toh(e[i].lba) < le64toh(e[i - 1].lba));
	}
	hn_pass(&K);
}

/* SMART's Host Read Commands and Data Units Read count Compare commands
 * with Read commands (NVM Command Set, SMART / Health Information). */
static void test_smart_counts_compare(void **state)
{
	struct nvme_smart_log s0, s1;
	static uint8_t buf[4096];
	uint64_t r0, r1;
	(void)state;

	HN_ASSERT_OK(kh_get_log(C.a, NVME_LOG_LID_SMART, NVME_NSID_ALL, 0, 0, &s0, sizeof(s0)));
	HN_ASSERT_OK(kh_read(C.io, NSID, 0, 8, buf, sizeof(buf)));
	HN_ASSERT_OK(kh_compare(C.io, NSID, 0, 8, buf, sizeof(buf)));
	HN_ASSERT_OK(kh_get_log(C.a, NVME_LOG_LID_SMART, NVME_NSID_ALL, 0, 0, &s1, sizeof(s1)));
	memcpy(&r0, s0.host_reads, 8);
	memcpy(&r1, s1.host_reads, 8);
	assert_int_equal(le64toh(r1) - le64toh(r0), 2);
	memcpy(&r0, s0.data_units_read, 8);
	memcpy(&r1, s1.data_units_read, 8);
	/* 16 blocks of 512 bytes: one data unit (rounded up), from zero */
	assert_int_equal(le64toh(r0), 0);
	assert_int_equal(le64toh(r1), 1);
	hn_pass(&K);
}

/* An admin capsule the transport refuses before any handler runs (an SGL
 * descriptor of a reserved type) is logged too, with SQID 0. */
static void test_admin_refused_capsule(void **state)
{
	static struct nvme_error_log_page e[ERRLOG_ENTRIES];
	static uint8_t buf[4096];
	struct kt_sqe sqe;
	struct kt_cqe cqe;
	(void)state;

	uint64_t before = smart_errors();
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = nvme_admin_identify;
	sqe.flags = KT_SQE_FLAGS_PSDT_SGL;
	sqe.cdw10 = htole32(NVME_IDENTIFY_CNS_CTRL);
	sqe.dptr.length = htole32(sizeof(buf));
	sqe.dptr.type = 0xf0; /* reserved descriptor type */
	int st = kh_cmd(C.a, &sqe, buf, sizeof(buf), KH_C2H, KH_F_RAW_DPTR, &cqe);
	HN_ASSERT_SC(st, NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_TYPE);
	read_errlog(e, before + 1);
	assert_int_equal(le64toh(e[0].error_count), before + 1);
	assert_int_equal(le16toh(e[0].sqid), 0);
	assert_int_equal(e[0].cmdid, cqe.cid);
	assert_int_equal(le16toh(e[0].status_field), (uint16_t)(st << 1));
	hn_pass(&K);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_past_end, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_burst, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_admin_refused_capsule, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_smart_counts_compare, t_setup, t_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, hn_group_teardown);
}

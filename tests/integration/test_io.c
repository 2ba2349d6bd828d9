/*
 * test_io.c - the NVM I/O path against a running katod, with and without
 * header and data digests: write/read verify at 512- and 4096-byte blocks,
 * in-capsule writes and writes by R2T (split at MAXH2CDATA), 1 MiB reads,
 * FUA, Flush, Write Zeroes, Dataset Management, Compare, range and NSID
 * errors, MDTS, and queue depth 32 with many commands in flight.
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

#define ICD_BYTES 16384u
#define MIB (1u << 20)

static struct hn_katod K;

static const char CONFIG[] =
	"{\n"
	"  \"hosts\": [],\n"
	"  \"ports\": [{\"portid\": 1, \"referrals\": [],\n"
	"    \"addr\": {\"trtype\": \"tcp\", \"adrfam\": \"ipv4\", \"traddr\": \"" HN_ADDR "\",\n"
	"             \"trsvcid\": \"%u\", \"treq\": \"not specified\"},\n"
	"    \"param\": {\"inline_data_size\": \"16384\"},\n"
	"    \"subsystems\": [\"" HN_SUBNQN "\"]}],\n"
	"  \"subsystems\": [\n"
	"    {\"nqn\": \"" HN_SUBNQN "\", \"allowed_hosts\": [],\n"
	"     \"attr\": {\"allow_any_host\": \"1\"},\n"
	"     \"namespaces\": [\n"
	"       {\"nsid\": 1, \"enable\": 1, \"device\": {\"backend\": \"ram\", \"size\": \"64M\"}},\n"
	"       {\"nsid\": 2, \"enable\": 1, \"device\": {\"backend\": \"ram\", \"size\": \"64M\",\n"
	"                                           \"block_size\": 4096}},\n"
	/* the file backend: regular files in the test's temp dir, through io_uring */
	"       {\"nsid\": 3, \"enable\": 1, \"device\": {\"path\": \"%s/disk512.img\", \"size\": \"64M\"}},\n"
	"       {\"nsid\": 4, \"enable\": 1, \"device\": {\"path\": \"%s/disk4k.img\", \"size\": \"64M\",\n"
	"                                           \"block_size\": 4096}},\n"
	"       {\"nsid\": 5, \"enable\": 1, \"device\": {\"backend\": \"null\", \"size\": \"1G\"}}]}],\n"
	"  \"katod\": {\"workers\": 2, \"log_level\": \"debug\"}\n"
	"}\n";

struct param {
	uint32_t nsid;
	uint32_t bs;
	bool hdgst, ddgst;
};

/* One association per test: admin queue and I/O queue 1. */
struct ctx {
	struct kh_host *a, *io;
	struct nvme_id_ns ns;
	const struct param *p;
};

static struct ctx C;

static int group_setup(void **state)
{
	(void)state;
	if (hn_init(&K, 1))
		return -1;
	/* the file backend opens existing files only */
	const char *names[] = { "disk512.img", "disk4k.img" };
	for (unsigned i = 0; i < 2; i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/%s", K.dir, names[i]);
		FILE *f = fopen(path, "w");
		if (!f)
			return -1;
		fclose(f);
	}
	return hn_start(&K, 1, CONFIG, K.port[0], K.dir, K.dir);
}

static int group_teardown(void **state)
{
	(void)state;
	hn_cleanup(&K);
	return 0;
}

static int t_setup(void **state)
{
	static const struct param dflt = { 1, 512, false, false };
	const struct param *p = *state ? *state : &dflt;
	struct kh_opts o;

	hn_test_begin(&K);
	memset(&C, 0, sizeof(C));
	C.p = p;
	memset(&o, 0, sizeof(o));
	o.subnqn = HN_SUBNQN;
	o.hdgst = p->hdgst;
	o.ddgst = p->ddgst;
	if (kh_assoc_up(&C.a, &C.io, HN_ADDR, K.port[0], &o))
		return -1;
	/* digests are on when asked for: katod accepts them by default */
	if (kh_hdgst(C.io) != p->hdgst || kh_ddgst(C.io) != p->ddgst)
		return -1;
	if (kh_identify_ns(C.a, p->nsid, &C.ns))
		return -1;
	return 0;
}

static int t_teardown(void **state)
{
	(void)state;
	return hn_test_end_assoc(&K, C.a, C.io);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	assert_non_null(p);
	return p;
}

static void assert_same(const void *got, const void *want, size_t len)
{
	long d = hn_diff(got, want, len);

	if (d >= 0)
		fail_msg("data differs at byte %ld of %zu: %#x, expected %#x", d, len,
			 ((const uint8_t *)got)[d], ((const uint8_t *)want)[d]);
}

/* Write then read back, once by R2T and once in-capsule. */
static void write_read_verify(void **state)
{
	const struct param *p = *state;
	uint32_t bs = p->bs, len = 64 * 1024, nlb = len / bs;
	uint8_t *w = xmalloc(len), *r = xmalloc(len);
	struct kt_sqe sqe;
	unsigned long r2t0, icd0;

	assert_int_equal(kh_id_ns_lba_size(&C.ns), bs);

	/* 64 KiB is above the 16 KiB in-capsule limit: data by R2T */
	hn_fill(w, len, 1 + p->nsid);
	r2t0 = kh_stats(C.io)->r2t;
	HN_ASSERT_OK(kh_write(C.io, p->nsid, 100, nlb, w, len, false));
	assert_true(kh_stats(C.io)->r2t > r2t0);
	memset(r, 0, len);
	HN_ASSERT_OK(kh_read(C.io, p->nsid, 100, nlb, r, len));
	assert_same(r, w, len);

	/* in-capsule: one block, and exactly the 16 KiB limit */
	icd0 = kh_stats(C.io)->icd_cmds;
	r2t0 = kh_stats(C.io)->r2t;
	hn_fill(w, bs, 77);
	HN_ASSERT_OK(kh_write(C.io, p->nsid, 7, 1, w, bs, false));
	hn_fill(w + bs, ICD_BYTES, 78);
	HN_ASSERT_OK(kh_write(C.io, p->nsid, 8, ICD_BYTES / bs, w + bs, ICD_BYTES, false));
	assert_int_equal(kh_stats(C.io)->icd_cmds, icd0 + 2);
	assert_int_equal(kh_stats(C.io)->r2t, r2t0);
	HN_ASSERT_OK(kh_read(C.io, p->nsid, 7, 1 + ICD_BYTES / bs, r, bs + ICD_BYTES));
	assert_same(r, w, bs + ICD_BYTES);

	/* the same size forced through R2T lands the same way */
	hn_fill(w, bs, 79);
	kh_sqe_rw(&sqe, nvme_cmd_write, p->nsid, 7, 1);
	HN_ASSERT_OK(kh_cmd(C.io, &sqe, w, bs, KH_H2C, KH_F_NO_ICD, NULL));
	HN_ASSERT_OK(kh_read(C.io, p->nsid, 7, 1, r, bs));
	assert_same(r, w, bs);
	free(w);
	free(r);
	hn_pass(&K);
}

/* 1 MiB (MDTS) each way: the write is split into H2CData PDUs of at most
 * MAXH2CDATA, the read reassembled from C2HData PDUs by offset. */
static void one_mib_transfers(void **state)
{
	const struct param *p = *state;
	uint32_t len = MIB, nlb = len / p->bs;
	uint8_t *w = xmalloc(len), *r = xmalloc(len);
	const struct kh_stats *st = kh_stats(C.io);
	unsigned long h2c0 = st->h2c_data, c2h0 = st->c2h_data;

	hn_fill(w, len, 1000 + p->nsid);
	HN_ASSERT_OK(kh_write(C.io, p->nsid, 2048, nlb, w, len, false));
	assert_true(st->h2c_data - h2c0 >= (len + kh_maxh2cdata(C.io) - 1) / kh_maxh2cdata(C.io));
	memset(r, 0xa5, len);
	HN_ASSERT_OK(kh_read(C.io, p->nsid, 2048, nlb, r, len));
	assert_true(st->c2h_data > c2h0);
	assert_same(r, w, len);
	free(w);
	free(r);
	hn_pass(&K);
}

static void fua_and_flush(void **state)
{
	const struct param *p = *state;
	uint32_t len = 8 * p->bs;
	uint8_t *w = xmalloc(len), *r = xmalloc(len);
	struct nvme_id_ctrl id;

	hn_fill(w, len, 5);
	HN_ASSERT_OK(kh_write(C.io, p->nsid, 300, 8, w, len, true));
	HN_ASSERT_OK(kh_flush(C.io, p->nsid));
	/* Flush with NSID FFFFFFFFh: VWC bits 2:1 say whether it is
	 * supported (11b) or not (10b: Invalid Namespace or Format). */
	HN_ASSERT_OK(kh_identify_ctrl(C.a, &id));
	if (((id.vwc >> 1) & 3) == 3)
		HN_ASSERT_OK(kh_flush(C.io, NVME_NSID_ALL));
	else if (((id.vwc >> 1) & 3) == 2)
		HN_ASSERT_SC(kh_flush(C.io, NVME_NSID_ALL), NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
	HN_ASSERT_OK(kh_read(C.io, p->nsid, 300, 8, r, len));
	assert_same(r, w, len);
	free(w);
	free(r);
	hn_pass(&K);
}

static void write_zeroes(void **state)
{
	const struct param *p = *state;
	uint32_t len = 16 * p->bs;
	uint8_t *w = xmalloc(len), *r = xmalloc(len), *z = calloc(1, len);

	hn_fill(w, len, 6);
	HN_ASSERT_OK(kh_write(C.io, p->nsid, 400, 16, w, len, false));
	HN_ASSERT_OK(kh_write_zeroes(C.io, p->nsid, 404, 8));
	HN_ASSERT_OK(kh_read(C.io, p->nsid, 400, 16, r, len));
	assert_same(r, w, 4 * p->bs);
	assert_same(r + 4 * p->bs, z, 8 * p->bs);
	assert_same(r + 12 * p->bs, w + 12 * p->bs, 4 * p->bs);
	free(w);
	free(r);
	free(z);
	hn_pass(&K);
}

/* Deallocate; if DLFEAT says deallocated blocks read as zeroes, they must. */
static void dsm_deallocate(void **state)
{
	const struct param *p = *state;
	uint32_t len = 32 * p->bs;
	uint8_t *w = xmalloc(len), *r = xmalloc(len), *z = calloc(1, len);
	struct nvme_dsm_range rg[2];

	hn_fill(w, len, 7);
	HN_ASSERT_OK(kh_write(C.io, p->nsid, 500, 32, w, len, false));
	memset(rg, 0, sizeof(rg));
	rg[0].slba = htole64(500);
	rg[0].nlb = htole32(8);
	rg[1].slba = htole64(520);
	rg[1].nlb = htole32(4);
	HN_ASSERT_OK(kh_dsm_deallocate(C.io, p->nsid, rg, 2));
	HN_ASSERT_OK(kh_read(C.io, p->nsid, 500, 32, r, len));
	if ((C.ns.dlfeat & 7) == 1) {
		assert_same(r, z, 8 * p->bs);
		assert_same(r + 8 * p->bs, w + 8 * p->bs, 12 * p->bs);
		assert_same(r + 20 * p->bs, z, 4 * p->bs);
		assert_same(r + 24 * p->bs, w + 24 * p->bs, 8 * p->bs);
	} else {
		/* untouched blocks are intact whatever DLFEAT says */
		assert_same(r + 8 * p->bs, w + 8 * p->bs, 12 * p->bs);
		assert_same(r + 24 * p->bs, w + 24 * p->bs, 8 * p->bs);
	}
	/* a range beyond the namespace is refused */
	rg[0].slba = htole64(le64toh(C.ns.nsze) - 1);
	rg[0].nlb = htole32(2);
	HN_ASSERT_SC(kh_dsm_deallocate(C.io, p->nsid, rg, 1), NVME_SCT_GENERIC, NVME_SC_LBA_RANGE);
	free(w);
	free(r);
	free(z);
	hn_pass(&K);
}

static void compare_match_and_mismatch(void **state)
{
	const struct param *p = *state;
	uint32_t len = 4 * p->bs;
	uint8_t *w = xmalloc(len);

	hn_fill(w, len, 8);
	HN_ASSERT_OK(kh_write(C.io, p->nsid, 600, 4, w, len, false));
	HN_ASSERT_OK(kh_compare(C.io, p->nsid, 600, 4, w, len));
	w[len - 1] ^= 1;
	HN_ASSERT_SC(kh_compare(C.io, p->nsid, 600, 4, w, len), NVME_SCT_MEDIA,
		     NVME_SC_COMPARE_FAILED);
	free(w);
	hn_pass(&K);
}

static void range_nsid_and_mdts_errors(void **state)
{
	const struct param *p = *state;
	uint64_t nsze = le64toh(C.ns.nsze);
	uint32_t len = 64 * p->bs;
	uint8_t *buf = xmalloc(2 * MIB);
	unsigned long r2t0;
	struct kt_sqe sqe;

	memset(buf, 0, 2 * MIB);
	/* the last block is fine, one past it is not */
	HN_ASSERT_OK(kh_read(C.io, p->nsid, nsze - 1, 1, buf, p->bs));
	HN_ASSERT_SC(kh_read(C.io, p->nsid, nsze - 1, 2, buf, 2 * p->bs), NVME_SCT_GENERIC,
		     NVME_SC_LBA_RANGE);
	/* a bad write is refused before its data moves: no R2T */
	r2t0 = kh_stats(C.io)->r2t;
	HN_ASSERT_SC(kh_write(C.io, p->nsid, nsze - 8, 64, buf, len, false), NVME_SCT_GENERIC,
		     NVME_SC_LBA_RANGE);
	assert_int_equal(kh_stats(C.io)->r2t, r2t0);
	HN_ASSERT_SC(kh_write_zeroes(C.io, p->nsid, nsze, 1), NVME_SCT_GENERIC, NVME_SC_LBA_RANGE);
	/* unknown namespace */
	HN_ASSERT_SC(kh_read(C.io, 99, 0, 1, buf, p->bs), NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
	/* 2 MiB is beyond MDTS (1 MiB) */
	HN_ASSERT_SC(kh_read(C.io, p->nsid, 0, 2 * MIB / p->bs, buf, 2 * MIB), NVME_SCT_GENERIC,
		     NVME_SC_INVALID_FIELD);
	/* the SGL must describe exactly NLB blocks */
	kh_sqe_rw(&sqe, nvme_cmd_read, p->nsid, 0, 2);
	assert_true(kh_cmd(C.io, &sqe, buf, p->bs, KH_C2H, 0, NULL) > 0);
	/* the queue still works */
	HN_ASSERT_OK(kh_read(C.io, p->nsid, 0, 1, buf, p->bs));
	free(buf);
	hn_pass(&K);
}

/* 32 commands in flight: writes to 512 distinct 8-block slots, then reads
 * of all of them, checked against what was written. */
#define QD 32
#define SLOTS 512
#define SLOT_BLOCKS 8

static void queue_depth_32(void **state)
{
	const struct param *p = *state;
	uint32_t slot_len = SLOT_BLOCKS * p->bs;
	uint8_t *w = xmalloc((size_t)SLOTS * slot_len), *r = xmalloc((size_t)SLOTS * slot_len);
	unsigned submitted, done, max_inflight = 0;
	struct kh_done d;
	struct kt_sqe sqe;

	assert_true(kh_max_inflight(C.io) >= QD);
	for (int phase = 0; phase < 2; phase++) {
		submitted = done = 0;
		while (done < SLOTS) {
			while (submitted < SLOTS && kh_inflight(C.io) < QD) {
				/* scatter slots over the namespace, 8 apart */
				unsigned s = (submitted * 37) % SLOTS;
				uint64_t lba = 4096 + (uint64_t)s * SLOT_BLOCKS;
				uint8_t *b = (phase ? r : w) + (size_t)s * slot_len;
				int cid;

				if (phase == 0)
					hn_fill(b, slot_len, 0x5000 + s);
				kh_sqe_rw(&sqe, phase ? nvme_cmd_read : nvme_cmd_write, p->nsid, lba,
					  SLOT_BLOCKS);
				cid = kh_submit(C.io, &sqe, b, slot_len, phase ? KH_C2H : KH_H2C, 0,
						(void *)(uintptr_t)s);
				if (cid < 0)
					fail_msg("submit: %s", strerror(-cid));
				submitted++;
				if (kh_inflight(C.io) > max_inflight)
					max_inflight = kh_inflight(C.io);
			}
			HN_ASSERT_OK(kh_poll(C.io, &d));
			if (d.status)
				fail_msg("slot %u: status %#x", (unsigned)(uintptr_t)d.cookie, d.status);
			done++;
		}
	}
	assert_int_equal(max_inflight, QD);
	assert_same(r, w, (size_t)SLOTS * slot_len);
	free(w);
	free(r);
	hn_pass(&K);
}

static const struct param P512 = { 1, 512, false, false };
static const struct param P4K = { 2, 4096, false, false };
static const struct param P512_DG = { 1, 512, true, true };
static const struct param P4K_DG = { 2, 4096, true, true };
static const struct param P512_HD = { 1, 512, true, false };
static const struct param FILE512 = { 3, 512, false, false };
static const struct param FILE4K_DG = { 4, 4096, true, true };

/* The null backend: writes succeed and vanish, reads return zeroes. */
static void null_reads_zeroes(void **state)
{
	const struct param *p = *state;
	uint32_t len = 256 * 1024;
	uint8_t *w = xmalloc(len), *r = xmalloc(len), *z = xmalloc(len);
	memset(z, 0, len);
	hn_fill(w, len, 77);
	HN_ASSERT_OK(kh_write(C.io, p->nsid, 1000, len / p->bs, w, len, true));
	memset(r, 0xa5, len);
	HN_ASSERT_OK(kh_read(C.io, p->nsid, 1000, len / p->bs, r, len));
	assert_same(r, z, len);
	HN_ASSERT_OK(kh_flush(C.io, p->nsid));
	free(w);
	free(r);
	free(z);
	hn_pass(&K);
}
static const struct param NULL512 = { 5, 512, false, false };

#define TN(f, p) { #f "/" #p, f, t_setup, t_teardown, (void *)&p }

int main(void)
{
	const struct CMUnitTest tests[] = {
		TN(write_read_verify, P512),
		TN(write_read_verify, P4K),
		TN(write_read_verify, P512_DG),
		TN(write_read_verify, P4K_DG),
		TN(write_read_verify, P512_HD),
		TN(one_mib_transfers, P512),
		TN(one_mib_transfers, P4K_DG),
		TN(fua_and_flush, P512),
		TN(fua_and_flush, P4K_DG),
		TN(write_zeroes, P512),
		TN(write_zeroes, P4K),
		TN(dsm_deallocate, P512),
		TN(dsm_deallocate, P4K_DG),
		TN(compare_match_and_mismatch, P512),
		TN(compare_match_and_mismatch, P4K_DG),
		TN(range_nsid_and_mdts_errors, P512),
		TN(range_nsid_and_mdts_errors, P4K),
		TN(queue_depth_32, P512),
		TN(queue_depth_32, P4K_DG),
		TN(write_read_verify, FILE512),
		TN(write_read_verify, FILE4K_DG),
		TN(one_mib_transfers, FILE512),
		TN(fua_and_flush, FILE512),
		TN(fua_and_flush, FILE4K_DG),
		TN(write_zeroes, FILE512),
		TN(write_zeroes, FILE4K_DG),
		TN(dsm_deallocate, FILE512),
		TN(compare_match_and_mismatch, FILE4K_DG),
		TN(range_nsid_and_mdts_errors, FILE512),
		TN(queue_depth_32, FILE512),
		TN(queue_depth_32, FILE4K_DG),
		TN(null_reads_zeroes, NULL512),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

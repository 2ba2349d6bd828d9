/*
 * test_zerocopy.c - reads of a RAM namespace are sent from the namespace
 * memory without a copy (daemon/core/exec.c, read_zero_copy), also while they
 * wait for a full socket. This checks the rule that makes that safe: the
 * host gets the data as of some moment before the read completed, so a
 * write it issues after seeing a read complete never shows in that read.
 * One worker, two I/O queues: queue 1 asks for many 128 KiB reads of one
 * range through a small receive window (more than katod's send buffer can
 * hold), takes a few completions, then stops reading while queue 2
 * overwrites the range. Reads that completed before the write hold only
 * old data; each other read is old data up to some byte and new data after
 * it (the bytes the socket took before the write, then the rest), never
 * anything else; the last read, which cannot have been in the socket yet,
 * is all new (it was not copied aside). With a digest-protected queue the
 * data is copied when the read runs: every read is whole, old or new.
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
#include <sys/socket.h>
#include <cmocka.h>

#include "tests/host/host.h"
#include "tests/integration/harness.h"

#define XFER (128u * 1024u)
#define NREADS 96u  /* 12 MiB: more than a 4 MiB send buffer and the window */
#define EARLY 4u    /* completions taken before the write */

static struct hn_katod K;

static const char CONFIG[] = HN_CONFIG_ONE_PARAM("{\"inline_data_size\": \"16384\"}",
						"{\"backend\": \"ram\", \"size\": \"16M\"}",
						"{\"workers\": 1, \"log_level\": \"debug\"}");

static int group_setup(void **state)
{
	return hn_group_start(state, &K, 1, CONFIG);
}

/* Where buf switches from byte a to byte b: 0 (all b) to len (all a); -1 if
 * it is anything else than some a's then some b's (torn or wrong). */
static long switch_point(const uint8_t *buf, size_t len, uint8_t a, uint8_t b)
{
	size_t i = 0;
	while (i < len && buf[i] == a)
		i++;
	for (size_t k = i; k < len; k++)
		if (buf[k] != b)
			return -1;
	return (long)i;
}

static size_t tcp_wmem_max(void)
{
	unsigned long lo, def, max = 0;
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "r");
	if (f) {
		if (fscanf(f, "%lu %lu %lu", &lo, &def, &max) != 3)
			max = 0;
		fclose(f);
	}
	return max;
}

static void run(bool ddgst)
{
	struct kh_host *a = NULL, *q1 = NULL, *q2 = NULL;
	struct kh_opts o = { .subnqn = HN_SUBNQN, .ddgst = ddgst };
	uint8_t *old_data = malloc(XFER), *new_data = malloc(XFER), *bufs = malloc((size_t)NREADS * XFER);
	uint32_t dw0;

	hn_test_begin(&K);
	assert_non_null(old_data);
	assert_non_null(new_data);
	assert_non_null(bufs);
	memset(old_data, 0xa1, XFER);
	memset(new_data, 0xb2, XFER);
	assert_int_equal(kh_admin_up(&a, HN_ADDR, K.port[0], &o), 0);
	assert_int_equal(kh_set_features(a, NVME_FEAT_FID_NUM_QUEUES, 1u | (1u << 16), &dw0), 0);
	o.sqsize = 127;
	assert_int_equal(kh_io_up(&q1, a, HN_ADDR, K.port[0], 1, &o, NULL), 0);
	assert_int_equal(kh_io_up(&q2, a, HN_ADDR, K.port[0], 2, &o, NULL), 0);
	assert_int_equal(kh_write(q2, 1, 0, XFER / 512, old_data, XFER, false), 0);

	/* a small window: katod's socket fills and replies wait for later turns */
	int small = 128 * 1024;
	assert_int_equal(setsockopt(kh_fd(q1), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	struct kt_sqe sqe;
	for (unsigned i = 0; i < NREADS; i++) {
		kh_sqe_rw(&sqe, nvme_cmd_read, 1, 0, XFER / 512);
		assert_true(kh_submit(q1, &sqe, bufs + (size_t)i * XFER, XFER, KH_C2H, 0,
				      (void *)(uintptr_t)i) >= 0);
	}
	uint8_t *early = calloc(NREADS, 1), *seen = calloc(NREADS, 1);
	assert_non_null(early);
	assert_non_null(seen);
	struct kh_done d;
	for (unsigned k = 0; k < EARLY; k++) { /* these reads completed before the write */
		assert_int_equal(kh_poll(q1, &d), 0);
		early[(uintptr_t)d.cookie] = 1;
		seen[(uintptr_t)d.cookie] = 1;
		assert_int_equal(d.status, 0);
	}
	/* the range changes while the other replies wait */
	assert_int_equal(kh_write(q2, 1, 0, XFER / 512, new_data, XFER, false), 0);
	for (unsigned done = EARLY; done < NREADS; done++) {
		assert_int_equal(kh_poll(q1, &d), 0);
		assert_int_equal(d.status, 0);
		assert_int_equal(d.xfer, XFER);
		seen[(uintptr_t)d.cookie] = 1;
	}
	unsigned nold = 0, nnew = 0, nmixed = 0;
	for (unsigned i = 0; i < NREADS; i++) {
		assert_true(seen[i]);
		long sw = switch_point(bufs + (size_t)i * XFER, XFER, 0xa1, 0xb2);
		if (sw < 0)
			fail_msg("read %u: not old data then new data (byte 0 %#x)", i, bufs[(size_t)i * XFER]);
		if (early[i] && sw != XFER)
			fail_msg("read %u completed before the write, yet holds new data from byte %ld", i, sw);
		if (ddgst && sw != XFER && sw != 0)
			fail_msg("read %u (data digest: copied when it ran) is torn at byte %ld", i, sw);
		sw == XFER ? nold++ : sw == 0 ? nnew++ : nmixed++;
	}
	print_message("%u reads returned old data, %u new, %u old then new\n", nold, nnew, nmixed);
	/* more bytes than the socket can hold were queued: the last read was
	 * still waiting, in namespace memory, when the write landed */
	size_t wmax = tcp_wmem_max();
	if (!ddgst && wmax && wmax + 2u * 1024 * 1024 < (size_t)(NREADS - EARLY) * XFER)
		assert_int_equal(switch_point(bufs + (size_t)(NREADS - 1) * XFER, XFER, 0xa1, 0xb2), 0);
	/* and the namespace holds the new data, as does any read issued now */
	memset(bufs, 0, XFER);
	assert_int_equal(kh_read(q1, 1, 0, XFER / 512, bufs, XFER), 0);
	assert_int_equal(switch_point(bufs, XFER, 0xa1, 0xb2), 0);
	free(early);
	free(seen);
	free(bufs);
	free(new_data);
	free(old_data);
	kh_close(q2);
	kh_close(q1);
	kh_close(a);
	hn_pass(&K);
	assert_int_equal(hn_test_end(&K), 0);
}

static void t_zero_copy_reads_see_writes_only_before_completion(void **state)
{
	(void)state;
	run(false);
}

static void t_digest_reads_copied(void **state)
{
	(void)state;
	run(true);
}

int main(void)
{
	if (!hn_katod_bin()) {
		fprintf(stderr, "KATOD_BIN is not set: skipping\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_zero_copy_reads_see_writes_only_before_completion),
		cmocka_unit_test(t_digest_reads_copied),
	};
	return cmocka_run_group_tests(tests, group_setup, hn_group_teardown);
}

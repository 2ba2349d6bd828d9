/*
 * test_zerocopy.c - reads of a RAM namespace are sent from the namespace
 * memory without a copy (daemon/queue.c, read_zero_copy). This checks the
 * one way that could go wrong: a reply that cannot go out at once (the host
 * does not read) must not pick up a later write to the same range half-way
 * through its data. One worker, two I/O queues: queue 1 asks for many
 * 128 KiB reads of one range through a small receive window, queue 2 then
 * overwrites that range; every read must come back whole, old data or new,
 * never torn, and then with a digest-protected queue the same holds (the
 * copy path).
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
#define NREADS 64u

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
	"       {\"nsid\": 1, \"enable\": 1, \"device\": {\"backend\": \"ram\", \"size\": \"16M\"}}]}],\n"
	"  \"katod\": {\"workers\": 1, \"log_level\": \"debug\"}\n"
	"}\n";

static int group_setup(void **state)
{
	*state = &K;
	if (hn_init(&K, 1))
		return -1;
	return hn_start(&K, 1, CONFIG, K.port[0]);
}

/* 0: all of buf is byte a; 1: all b; -1: a mix (torn) or anything else. */
static int whole(const uint8_t *buf, size_t len, uint8_t a, uint8_t b)
{
	uint8_t v = buf[0];
	if (v != a && v != b)
		return -1;
	for (size_t i = 1; i < len; i++)
		if (buf[i] != v)
			return -1;
	return v == a ? 0 : 1;
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
	int small = 128 * 1024; /* katod's send buffer grows to 4 MiB at most */
	assert_int_equal(setsockopt(kh_fd(q1), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	struct kt_sqe sqe;
	for (unsigned i = 0; i < NREADS; i++) {
		kh_sqe_rw(&sqe, nvme_cmd_read, 1, 0, XFER / 512);
		assert_true(kh_submit(q1, &sqe, bufs + (size_t)i * XFER, XFER, KH_C2H, 0,
				      (void *)(uintptr_t)i) >= 0);
	}
	struct kh_done d;
	assert_int_equal(kh_poll(q1, &d), 0); /* all commands are out; one reply is in */
	unsigned done = 1, nold = 0, nnew = 0;
	uint8_t *seen = calloc(NREADS, 1);
	assert_non_null(seen);
	/* the range changes while most replies wait */
	assert_int_equal(kh_write(q2, 1, 0, XFER / 512, new_data, XFER, false), 0);
	for (;;) {
		unsigned i = (unsigned)(uintptr_t)d.cookie;
		assert_int_equal(d.status, 0);
		assert_int_equal(d.xfer, XFER);
		int w = whole(bufs + (size_t)i * XFER, XFER, 0xa1, 0xb2);
		if (w < 0)
			fail_msg("read %u came back torn or wrong (first byte %#x)", i, bufs[(size_t)i * XFER]);
		w ? nnew++ : nold++;
		seen[i] = 1;
		if (done == NREADS)
			break;
		assert_int_equal(kh_poll(q1, &d), 0);
		done++;
	}
	print_message("%u reads returned the data from before the write, %u from after\n", nold, nnew);
	for (unsigned i = 0; i < NREADS; i++)
		assert_true(seen[i]);
	/* and the namespace holds the new data */
	memset(bufs, 0, XFER);
	assert_int_equal(kh_read(q2, 1, 0, XFER / 512, bufs, XFER), 0);
	assert_int_equal(whole(bufs, XFER, 0xa1, 0xb2), 1);
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

static void t_zero_copy_reads_not_torn(void **state)
{
	(void)state;
	run(false);
}

static void t_digest_reads_not_torn(void **state)
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
		cmocka_unit_test(t_zero_copy_reads_not_torn),
		cmocka_unit_test(t_digest_reads_not_torn),
	};
	return cmocka_run_group_tests(tests, group_setup, hn_group_teardown);
}

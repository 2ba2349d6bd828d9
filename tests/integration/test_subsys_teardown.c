/*
 * test_subsys_teardown.c - a subsystem removed while a host does I/O to it
 * (daemon/core/live.c, the removal half of blktests nvme/061). Several I/O
 * queues each keep QD commands outstanding (writes and reads of a RAM and
 * a file namespace; a completion is answered at once by the next command,
 * as a host that retries would) while the subsystem is removed over the
 * control socket: by "subsystems.remove" in even rounds, by "reload" of a
 * file without it in odd ones. What must hold every time:
 *   - no command is completed with Invalid Namespace, or with any status
 *     but success or Internal Path Error (SCT 3h, SC 00h) without Do Not
 *     Retry: commands katod took before the removal finish against the
 *     namespace they started on; commands that reach it after the removal
 *     and before their queue closes get the retryable path error;
 *   - katod then closes every queue of the controller, admin queue too;
 *   - the removed subsystem and its namespaces are freed once drained.
 * The test waits for events, never for a time: every wait is bounded (the
 * host's receive timeout, or a deadline that only ends a stuck round as a
 * failure). Whether a given round catches a command in the window between
 * the removal and the close is up to the scheduler; the counts of each
 * status are printed, and tests/unit/test_io.c checks the status itself.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "tests/host/host.h"
#include "tests/integration/harness.h"
#include "tests/integration/harness_ctl.h"

#define QUEUES 4
#define QD 32           /* queue entries (SQSIZE 31): the host keeps 31 outstanding */
#define ROUNDS 6        /* as nvme/061: six teardowns */
#define WARM 256        /* completions per queue before the removal */
#define BLOCKS 8        /* 4 KiB per command */
#define NS_BLOCKS 16384 /* 8 MiB of 512-byte blocks */
#define ROUND_MS 20000  /* a round that takes longer is stuck: failed */

static struct hn_katod K;

/* The target: HN_SUBNQN with a RAM namespace (1) and a file one (2) on
 * port 1, or (with_sub false) port 1 with no subsystem. */
static const char *config(bool with_sub)
{
	static char buf[4096];
	char sub[1024] = "";
	if (with_sub)
		snprintf(sub, sizeof(sub),
			 "{\"nqn\": \"" HN_SUBNQN "\", \"attr\": {\"allow_any_host\": \"1\"}, \"namespaces\": ["
			 "{\"nsid\": 1, \"device\": {\"backend\": \"ram\", \"size\": \"8M\"}}, "
			 "{\"nsid\": 2, \"device\": {\"path\": \"%s\", \"size\": \"8M\"}}]}",
			 hn_path(&K, "disk.img"));
	snprintf(buf, sizeof(buf),
		 "{\"ports\": [{\"portid\": 1, \"addr\": {\"trtype\": \"tcp\", \"adrfam\": \"ipv4\","
		 " \"traddr\": \"" HN_ADDR "\", \"trsvcid\": \"%u\"}, \"subsystems\": [%s]}],\n"
		 " \"subsystems\": [%s],\n"
		 " \"katod\": {\"workers\": 2, \"log_level\": \"debug\"}}\n",
		 K.port[0], with_sub ? "\"" HN_SUBNQN "\"" : "", sub);
	return buf;
}

/* One I/O queue kept busy by its own thread. */
struct pump {
	struct kh_host *io;
	pthread_t thread;
	atomic_uint done;         /* completions so far: the warm-up reads it */
	uint64_t deadline;        /* kh_now_ms() past which the round is stuck */
	unsigned long ok, retry;  /* success; Internal Path Error without DNR */
	unsigned long bad;        /* anything else */
	int bad_status;           /* the first of those */
	int end;                  /* how it ended: -ECONNRESET when katod closed */
	unsigned next;            /* the next command's number */
	uint8_t buf[QD][BLOCKS * 512];
};

static bool retryable_path_error(int status)
{
	return KH_SC(status) == KH_STATUS(NVME_SCT_PATH, NVME_SC_ANA_INTERNAL_PATH_ERROR) && !(status & KH_DNR);
}

/* Command n: a write or a read (alternating) of 4 KiB on namespace 1 or 2
 * (alternating in pairs), at an LBA that moves on; buffer `slot`. */
static int submit(struct pump *p, uintptr_t slot)
{
	unsigned n = p->next++;
	uint8_t opc = n % 2 ? nvme_cmd_read : nvme_cmd_write;
	uint32_t nsid = 1 + (n / 2) % 2;
	struct kt_sqe sqe;
	kh_sqe_rw(&sqe, opc, nsid, (uint64_t)(n * BLOCKS) % NS_BLOCKS, BLOCKS);
	if (opc == nvme_cmd_write)
		memset(p->buf[slot], (int)n, sizeof(p->buf[slot]));
	int rc = kh_submit(p->io, &sqe, p->buf[slot], sizeof(p->buf[slot]), opc == nvme_cmd_write ? KH_H2C : KH_C2H,
			   0, (void *)slot);
	return rc < 0 ? rc : 0;
}

static void *pump_main(void *arg)
{
	struct pump *p = arg;
	bool sending = true;
	unsigned depth = kh_max_inflight(p->io); /* SQSIZE: what the host keeps outstanding */
	for (uintptr_t s = 0; s < depth && s < QD && sending; s++)
		sending = submit(p, s) == 0;
	for (;;) {
		struct kh_done d;
		int rc = kh_poll(p->io, &d);
		if (rc) {
			p->end = rc; /* -ECONNRESET: katod closed the queue */
			break;
		}
		if (d.status == 0) {
			p->ok++;
		} else if (retryable_path_error(d.status)) {
			p->retry++;
		} else if (!p->bad++) {
			p->bad_status = d.status;
		}
		atomic_fetch_add(&p->done, 1);
		if (kh_now_ms() > p->deadline) {
			p->end = -ETIMEDOUT;
			break;
		}
		/* once a submit fails (the queue is closing) only completions
		 * are left to take */
		if (sending)
			sending = submit(p, (uintptr_t)d.cookie) == 0;
	}
	return NULL;
}

static int teardown(void **state)
{
	(void)state;
	return hn_teardown(&K);
}

static void rpc_ok(const char *method, const char *params)
{
	struct json_object *resp = NULL;
	hn_ctl_call(&K, &resp, method, params);
	json_object_put(resp);
}

/* Waits (bounded) until every pump has taken `n` completions. */
static void warm_up(struct pump *pumps, unsigned n)
{
	uint64_t end = kh_now_ms() + ROUND_MS;
	for (unsigned i = 0; i < QUEUES; i++)
		while (atomic_load(&pumps[i].done) < n) {
			if (kh_now_ms() > end)
				fail_msg("queue %u: %u completions before the removal, expected %u", i + 1,
					 atomic_load(&pumps[i].done), n);
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		}
}

static void removed_under_io(void **state)
{
	(void)state;
	unsigned long ok = 0, retry = 0;
	struct pump *pumps = calloc(QUEUES, sizeof(*pumps));
	assert_non_null(pumps);
	assert_int_equal(hn_init(&K, 1), 0);
	hn_test_begin(&K);
	HN_ASSERT_OK(hn_write_file(&K, "disk.img", "")); /* the file backend opens existing files */
	assert_int_equal(hn_start(&K, 1, "%s", config(true)), 0);

	for (unsigned round = 0; round < ROUNDS; round++) {
		if (round) { /* the subsystem back, as nvme/061 sets the target up again */
			HN_ASSERT_OK(hn_write_file(&K, "katod.json", config(true)));
			rpc_ok("reload", NULL);
		}
		struct kh_opts o = { .subnqn = HN_SUBNQN, .kato_ms = 30000, .sqsize = QD - 1 };
		struct kh_host *a = NULL;
		HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, K.port[0], &o));
		memset(pumps, 0, QUEUES * sizeof(*pumps));
		for (unsigned i = 0; i < QUEUES; i++) {
			HN_ASSERT_OK(kh_io_up(&pumps[i].io, a, HN_ADDR, K.port[0], (uint16_t)(i + 1), &o, NULL));
			pumps[i].deadline = kh_now_ms() + ROUND_MS;
			assert_int_equal(pthread_create(&pumps[i].thread, NULL, pump_main, &pumps[i]), 0);
		}
		warm_up(pumps, WARM);

		if (round % 2 == 0) {
			rpc_ok("subsystems.remove", "{\"nqn\": \"" HN_SUBNQN "\"}");
		} else {
			HN_ASSERT_OK(hn_write_file(&K, "katod.json", config(false)));
			rpc_ok("reload", NULL);
		}

		for (unsigned i = 0; i < QUEUES; i++)
			pthread_join(pumps[i].thread, NULL);
		HN_ASSERT_OK(kh_wait_closed(a, 5000, NULL));
		for (unsigned i = 0; i < QUEUES; i++) {
			struct pump *p = &pumps[i];
			if (p->bad)
				fail_msg("round %u queue %u: %lu completions with status %#x (first), expected success or "
					 "Internal Path Error without DNR",
					 round, i + 1, p->bad, (unsigned)p->bad_status);
			if (p->end != -ECONNRESET)
				fail_msg("round %u queue %u: ended with %d (%s), expected katod to close it", round,
					 i + 1, p->end, strerror(-p->end));
			ok += p->ok;
			retry += p->retry;
			kh_close(p->io);
		}
		kh_close(a);
		/* freed once drained: nothing is left that could answer late */
		assert_int_equal(hn_log_wait_n(&K, "subsystem " HN_SUBNQN ": no controller left, freed", round + 1,
					       5000), 0);
	}
	fprintf(stderr, "%u rounds: %lu completions with success, %lu with Internal Path Error (retryable)\n",
		ROUNDS, ok, retry);
	free(pumps);
	hn_pass(&K);
}

int main(void)
{
	HN_NEED_KATOD();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(removed_under_io, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

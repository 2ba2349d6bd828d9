/*
 * test_ana_live.c - ANA states changed while hosts are connected, against a
 * running katod: ana.set (and katoctl ana set) moves a port's group, the
 * port's controllers get an ANA Change notice on a held AER, their ANA log
 * shows the new state with a higher change count, and I/O through the path
 * gets the path status at once; a timed transition is "change" (ANA
 * Transition for I/O) for its time, then the target state, with a second
 * notice; a reload of a file whose states differ applies them the same way
 * and cancels a pending transition; ana.remove takes a group off a port;
 * controllers of the other port are not told; bad parameters are refused.
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
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "tests/host/host.h"
#include "tests/integration/harness.h"
#include "daemon/control/rpc.h" /* the error codes */
#include "tests/integration/harness_ctl.h"

static struct hn_katod K;

#define OPC_AER 0x0c
#define ST_INACCESSIBLE KH_STATUS(NVME_SCT_PATH, NVME_SC_ANA_INACCESSIBLE)
#define ST_TRANSITION KH_STATUS(NVME_SCT_PATH, NVME_SC_ANA_TRANSITION)

/* Namespace 1 in group 1, 2 in group 2; port 1 lists both optimized,
 * port 2 group 1 non-optimized. STATE2: port 1's group 2 (reload tests). */
#define CONFIG_FMT(STATE2)                                                                              \
	"{\n"                                                                                           \
	"  \"ports\": [\n"                                                                              \
	"    {\"portid\": 1, \"addr\": {\"traddr\": \"" HN_ADDR "\", \"trsvcid\": \"%u\"},\n"          \
	"     \"ana_groups\": [{\"grpid\": 1, \"ana\": {\"state\": \"optimized\"}},\n"                \
	"                    {\"grpid\": 2, \"ana\": {\"state\": \"" STATE2 "\"}}],\n"                \
	"     \"subsystems\": [\"" HN_SUBNQN "\"]},\n"                                                 \
	"    {\"portid\": 2, \"addr\": {\"traddr\": \"" HN_ADDR "\", \"trsvcid\": \"%u\"},\n"          \
	"     \"ana_groups\": [{\"grpid\": 1, \"ana\": {\"state\": \"non-optimized\"}}],\n"           \
	"     \"subsystems\": [\"" HN_SUBNQN "\"]}],\n"                                                \
	"  \"subsystems\": [{\"nqn\": \"" HN_SUBNQN "\", \"attr\": {\"allow_any_host\": \"1\"},\n"     \
	"     \"namespaces\": [\n"                                                                      \
	"       {\"nsid\": 1, \"ana_grpid\": 1, \"device\": {\"backend\": \"ram\", \"size\": \"1M\"}},\n" \
	"       {\"nsid\": 2, \"ana_grpid\": 2, \"device\": {\"backend\": \"ram\", \"size\": \"1M\"}}]}],\n" \
	"  \"katod\": {\"workers\": 2, \"log_level\": \"debug\"}\n"                                    \
	"}\n"

static int group_setup(void **state)
{
	*state = &K;
	if (hn_init(&K, 2))
		return -1;
	return hn_start(&K, 2, CONFIG_FMT("optimized"), K.port[0], K.port[1]);
}

static uint32_t le32_at(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t le64_at(const uint8_t *b)
{
	return le32_at(b) | (uint64_t)le32_at(b + 4) << 32;
}

/* The state of group g in a controller's ANA log (0: not listed); *chgcnt
 * the header's change count. Reading it without RAE clears the notice. */
static uint8_t ana_state(struct kh_host *a, uint32_t g, uint64_t *chgcnt)
{
	uint8_t log[4096];
	HN_ASSERT_OK(kh_get_log(a, NVME_LOG_LID_ANA, 0, 0, 0, log, sizeof(log)));
	if (chgcnt)
		*chgcnt = le64_at(log);
	unsigned ngrps = (unsigned)log[8] | (unsigned)log[9] << 8;
	size_t off = 16;
	for (unsigned i = 0; i < ngrps && off + 32 <= sizeof(log); i++) {
		uint32_t id = le32_at(log + off), n = le32_at(log + off + 4);
		if (id == g)
			return log[off + 16] & 0x0f;
		off += 32 + 4 * (size_t)n;
	}
	return 0;
}

/* An admin queue with ANA notices enabled and an AER held, and an I/O queue. */
static void up(uint16_t port, struct kh_host **a, struct kh_host **io, int *aer)
{
	struct kh_opts o;
	memset(&o, 0, sizeof(o));
	o.subnqn = HN_SUBNQN;
	o.kato_ms = 30000;
	HN_ASSERT_OK(kh_assoc_up(a, io, HN_ADDR, port, &o));
	uint32_t dw0;
	HN_ASSERT_OK(kh_set_features(*a, NVME_FEAT_FID_ASYNC_EVENT, 1u << 11, &dw0));
	struct kt_sqe sqe;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = OPC_AER;
	*aer = kh_submit(*a, &sqe, NULL, 0, KH_NONE, 0, NULL);
	assert_true(*aer >= 0);
}

/* The held AER completes with an ANA Change notice. */
static void expect_ana_notice(struct kh_host *a, int cid)
{
	struct kh_done d;
	HN_ASSERT_OK(kh_wait(a, (uint16_t)cid, &d));
	assert_int_equal(d.status, 0);
	assert_int_equal(le32toh(d.cqe.dw0), NVME_AER_NOTICE | (uint32_t)NVME_AER_NOTICE_ANA << 8 |
						     (uint32_t)NVME_LOG_LID_ANA << 16);
}

static int read_status(struct kh_host *io, uint32_t nsid)
{
	static uint8_t buf[4096];
	return kh_read(io, nsid, 0, 8, buf, sizeof(buf));
}

static void aer_again(struct kh_host *a, int *cid)
{
	struct kt_sqe sqe;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = OPC_AER;
	*cid = kh_submit(a, &sqe, NULL, 0, KH_NONE, 0, NULL);
	assert_true(*cid >= 0);
}

static void t_set_and_notice(void **state)
{
	(void)state;
	struct json_object *resp;
	struct kh_host *a1, *io1, *a2, *io2;
	int aer1, aer2;
	uint64_t c0, c1;
	up(K.port[0], &a1, &io1, &aer1);
	up(K.port[1], &a2, &io2, &aer2);
	assert_int_equal(ana_state(a1, 1, &c0), NVME_ANA_STATE_OPTIMIZED);
	assert_int_equal(ana_state(a2, 1, NULL), NVME_ANA_STATE_NONOPTIMIZED);
	assert_int_equal(read_status(io1, 1), 0);

	/* port 1's group 1 inaccessible: port 1's controller is told, I/O to
	 * namespace 1 through it fails with the path status, namespace 2 and
	 * the other port are not touched */
	struct json_object *r = hn_ctl_call(&K, &resp, "ana.set", "{\"portid\": 1, \"grpid\": 1, \"state\": \"inaccessible\"}");
	assert_string_equal(json_object_get_string(hn_get(r, "state")), "inaccessible");
	json_object_put(resp);
	expect_ana_notice(a1, aer1);
	assert_int_equal(ana_state(a1, 1, &c1), NVME_ANA_STATE_INACCESSIBLE);
	assert_true(c1 > c0);
	assert_int_equal(read_status(io1, 1), ST_INACCESSIBLE);
	assert_int_equal(read_status(io1, 2), 0);
	assert_int_equal(read_status(io2, 1), 0);
	assert_int_equal(ana_state(a2, 1, NULL), NVME_ANA_STATE_NONOPTIMIZED);
	assert_int_equal(hn_log_wait(&K, "port 1: ANA group 1 optimized -> inaccessible", 2000), 0);

	/* back through katoctl, with a transition of 400 ms: change first */
	aer_again(a1, &aer1);
	char out[4096];
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "ana set 1 1 --state optimized --transition-ms 400"), 0);
	expect_ana_notice(a1, aer1);
	assert_int_equal(ana_state(a1, 1, NULL), NVME_ANA_STATE_CHANGE);
	assert_int_equal(read_status(io1, 1), ST_TRANSITION);
	aer_again(a1, &aer1);
	expect_ana_notice(a1, aer1); /* the second step, about 400 ms later */
	assert_int_equal(ana_state(a1, 1, NULL), NVME_ANA_STATE_OPTIMIZED);
	assert_int_equal(read_status(io1, 1), 0);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "ana --portid 1"), 0);
	assert_non_null(strstr(out, "optimized"));
	assert_non_null(strstr(out, HN_SUBNQN " 1"));

	/* the other port's controller heard nothing: its AER is still held */
	struct kh_done d;
	kh_set_timeout(a2, 300);
	assert_int_equal(kh_wait(a2, (uint16_t)aer2, &d), -ETIMEDOUT);
	kh_close(io1);
	kh_close(a1);
	kh_close(io2);
	kh_close(a2);
	hn_pass(&K);
}

static void t_reload_and_remove(void **state)
{
	(void)state;
	struct json_object *resp;
	struct kh_host *a1, *io1;
	int aer1;
	char text[4096];
	up(K.port[0], &a1, &io1, &aer1);

	/* a transition pending, then a reload whose file sets group 2
	 * non-optimized: the file wins, the transition is dropped */
	hn_ctl_call(&K, &resp, "ana.set",
				    "{\"portid\": 1, \"grpid\": 1, \"state\": \"inaccessible\", \"transition_ms\": 500}");
	json_object_put(resp);
	expect_ana_notice(a1, aer1);
	assert_int_equal(ana_state(a1, 1, NULL), NVME_ANA_STATE_CHANGE); /* and the notice is re-armed */
	aer_again(a1, &aer1);
	snprintf(text, sizeof(text), CONFIG_FMT("non-optimized"), K.port[0], K.port[1]);
	HN_ASSERT_OK(hn_write_file(&K, "katod.json", text));
	hn_ctl_call(&K, &resp, "reload", NULL);
	json_object_put(resp);
	expect_ana_notice(a1, aer1);
	assert_int_equal(ana_state(a1, 2, NULL), NVME_ANA_STATE_NONOPTIMIZED);
	assert_int_equal(ana_state(a1, 1, NULL), NVME_ANA_STATE_OPTIMIZED); /* the file's, not "change" */
	usleep(700 * 1000);
	assert_int_equal(ana_state(a1, 1, NULL), NVME_ANA_STATE_OPTIMIZED); /* nothing came after */
	assert_int_equal(read_status(io1, 2), 0);

	/* ana.remove: group 2 leaves port 1's list, and is inaccessible there */
	aer_again(a1, &aer1);
	hn_ctl_call(&K, &resp, "ana.remove", "{\"portid\": 1, \"grpid\": 2}");
	json_object_put(resp);
	expect_ana_notice(a1, aer1);
	assert_int_equal(ana_state(a1, 2, NULL), NVME_ANA_STATE_INACCESSIBLE); /* namespace 2 keeps it listed */
	assert_int_equal(read_status(io1, 2), ST_INACCESSIBLE);

	/* refusals */
	hn_ctl_err(&K, "ana.set", "{\"portid\": 1, \"grpid\": 1, \"state\": \"broken\"}", KT_RPC_INVALID_PARAMS,
		   "is not an ANA state");
	hn_ctl_err(&K, "ana.set", "{\"portid\": 1, \"grpid\": 129, \"state\": \"optimized\"}", KT_RPC_INVALID_PARAMS,
		   "grpid");
	hn_ctl_err(&K, "ana.set", "{\"portid\": 9, \"grpid\": 1, \"state\": \"optimized\"}", KT_RPC_NOT_FOUND,
		   "no port 9");
	hn_ctl_err(&K, "ana.remove", "{\"portid\": 1, \"grpid\": 1}", KT_RPC_INVALID_PARAMS, "group 1");
	hn_ctl_err(&K, "ana.remove", "{\"portid\": 1, \"grpid\": 7}", KT_RPC_NOT_FOUND, "lists no ANA group 7");

	/* as it was, for a rerun */
	snprintf(text, sizeof(text), CONFIG_FMT("optimized"), K.port[0], K.port[1]);
	HN_ASSERT_OK(hn_write_file(&K, "katod.json", text));
	hn_ctl_call(&K, &resp, "reload", NULL);
	json_object_put(resp);
	kh_close(io1);
	kh_close(a1);
	hn_pass(&K);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HN_TEST(t_set_and_notice),
		HN_TEST(t_reload_and_remove),
	};
	return cmocka_run_group_tests(tests, group_setup, hn_group_teardown);
}

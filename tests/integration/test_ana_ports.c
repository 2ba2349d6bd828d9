/*
 * test_ana_ports.c - Asymmetric Namespace Access of a katod started from a
 * configuration: one subsystem on three ports whose "ana_groups" differ
 * (and one that names none), so that its namespaces are optimized through
 * one port, non-optimized or inaccessible through another. Each controller
 * reports ANA in Identify, its own port's states in the ANA log page (every
 * state a valid one: the Linux host refuses a controller whose log has a
 * state 0), and I/O through an inaccessible path fails with the path
 * status, without DNR.
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

static struct hn_katod K;

/* Namespace 1 in group 1, namespace 2 in group 2. Port 1: group 1
 * optimized (nvmetcli's form), group 2 inaccessible. Port 2: group 1
 * non-optimized, group 2 optimized (grpid as a string, as hand-written
 * files may have it). Port 3 names no group: nvmet's defaults, group 1
 * optimized and group 2 inaccessible. */
static const char CONFIG[] =
	"{\n"
	"  \"ports\": [\n"
	"    {\"portid\": 1, \"addr\": {\"traddr\": \"" HN_ADDR "\", \"trsvcid\": \"%u\"},\n"
	"     \"ana_groups\": [{\"ana\": {\"state\": \"optimized\"}, \"grpid\": 1},\n"
	"                    {\"ana\": {\"state\": \"inaccessible\"}, \"grpid\": 2}],\n"
	"     \"subsystems\": [\"" HN_SUBNQN "\"]},\n"
	"    {\"portid\": 2, \"addr\": {\"traddr\": \"" HN_ADDR "\", \"trsvcid\": \"%u\"},\n"
	"     \"ana_groups\": [{\"ana\": {\"state\": \"optimized\"}, \"grpid\": \"2\"},\n"
	"                    {\"ana\": {\"state\": \"non-optimized\"}, \"grpid\": 1}],\n"
	"     \"subsystems\": [\"" HN_SUBNQN "\"]},\n"
	"    {\"portid\": 3, \"addr\": {\"traddr\": \"" HN_ADDR "\", \"trsvcid\": \"%u\"},\n"
	"     \"subsystems\": [\"" HN_SUBNQN "\"]}],\n"
	"  \"subsystems\": [{\"nqn\": \"" HN_SUBNQN "\", \"attr\": {\"allow_any_host\": \"1\"},\n"
	"     \"namespaces\": [\n"
	"       {\"nsid\": 1, \"ana_grpid\": 1, \"device\": {\"backend\": \"ram\", \"size\": \"1M\"}},\n"
	"       {\"nsid\": 2, \"ana_grpid\": 2, \"device\": {\"backend\": \"ram\", \"size\": \"1M\"}}]}],\n"
	"  \"katod\": {\"workers\": 2, \"log_level\": \"debug\"}\n"
	"}\n";

static int group_setup(void **state)
{
	*state = &K;
	if (hn_init(&K, 3))
		return -1;
	return hn_start(&K, 3, CONFIG, K.port[0], K.port[1], K.port[2]);
}

static uint32_t le32_at(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The ANA log of a controller: checks its shape (every descriptor with a
 * valid id and state, the counts adding up) and returns the state of
 * groups 1 and 2 (0: not listed). */
static void read_ana_log(struct kh_host *a, uint8_t st[3], uint32_t grp_of_nsid[3])
{
	uint8_t log[4096];
	size_t off = 16;

	HN_ASSERT_OK(kh_get_log(a, NVME_LOG_LID_ANA, 0, 0, 0, log, sizeof(log)));
	memset(st, 0, 3);
	memset(grp_of_nsid, 0, 3 * sizeof(*grp_of_nsid));
	unsigned ngrps = (unsigned)log[8] | (unsigned)log[9] << 8;
	for (unsigned i = 0; i < ngrps; i++) {
		assert_true(off + 32 <= sizeof(log));
		uint32_t grpid = le32_at(log + off), n = le32_at(log + off + 4);
		uint8_t state = log[off + 16] & 0x0f;
		assert_true(grpid >= 1 && grpid <= 128);
		assert_true(state == 1 || state == 2 || state == 3 || state == 4 || state == 0xf);
		if (grpid <= 2)
			st[grpid] = state;
		off += 32;
		for (uint32_t k = 0; k < n; k++, off += 4) {
			uint32_t nsid = le32_at(log + off);
			assert_true(nsid == 1 || nsid == 2);
			grp_of_nsid[nsid] = grpid;
		}
	}
}

/* What a controller on port[i] sees: its log, Identify, and I/O. */
static void check_port(unsigned i, uint8_t want1, uint8_t want2)
{
	struct kh_opts o = { .subnqn = HN_SUBNQN };
	struct kh_host *a = NULL, *io = NULL;
	struct nvme_id_ctrl id;
	struct nvme_id_ns ns;
	uint8_t st[3];
	uint32_t grp[3];
	uint8_t buf[512];

	HN_ASSERT_OK(kh_assoc_up(&a, &io, HN_ADDR, K.port[i], &o));
	HN_ASSERT_OK(kh_identify_ctrl(a, &id));
	assert_int_equal(id.cmic & NVME_CTRL_CMIC_MULTI_ANA_REPORTING, NVME_CTRL_CMIC_MULTI_ANA_REPORTING);
	assert_int_equal(id.anacap & 0x1f, 0x1f);
	assert_int_equal(le32toh(id.anagrpmax), 128);
	assert_true(le32toh(id.oaes) & NVME_CTRL_OAES_ANA);
	HN_ASSERT_OK(kh_identify_ns(a, 2, &ns));
	assert_int_equal(le32toh(ns.anagrpid), 2);
	assert_int_equal(le64toh(ns.nuse), want2 == NVME_ANA_STATE_INACCESSIBLE ? 0 : le64toh(ns.nsze));

	read_ana_log(a, st, grp);
	assert_int_equal(st[1], want1);
	assert_int_equal(st[2], want2);
	assert_int_equal(grp[1], 1);
	assert_int_equal(grp[2], 2);

	assert_int_equal(kh_read(io, 1, 0, 1, buf, sizeof(buf)), 0);
	int rc = kh_read(io, 2, 0, 1, buf, sizeof(buf));
	if (want2 == NVME_ANA_STATE_INACCESSIBLE) {
		assert_int_equal(KH_SC(rc), KH_STATUS(NVME_SCT_PATH, NVME_SC_ANA_INACCESSIBLE));
		assert_false(rc & KH_DNR);
	} else {
		assert_int_equal(rc, 0);
	}
	kh_close(io);
	kh_close(a);
}

static void test_port_optimized_and_inaccessible(void **state)
{
	(void)state;
	check_port(0, NVME_ANA_STATE_OPTIMIZED, NVME_ANA_STATE_INACCESSIBLE);
	hn_pass(&K);
}

static void test_port_non_optimized_and_optimized(void **state)
{
	(void)state;
	check_port(1, NVME_ANA_STATE_NONOPTIMIZED, NVME_ANA_STATE_OPTIMIZED);
	hn_pass(&K);
}

static void test_port_defaults(void **state)
{
	(void)state;
	check_port(2, NVME_ANA_STATE_OPTIMIZED, NVME_ANA_STATE_INACCESSIBLE);
	hn_pass(&K);
}

int main(void)
{
	HN_NEED_KATOD();
	const struct CMUnitTest tests[] = {
		HN_TEST(test_port_optimized_and_inaccessible),
		HN_TEST(test_port_non_optimized_and_optimized),
		HN_TEST(test_port_defaults),
	};
	return cmocka_run_group_tests(tests, group_setup, hn_group_teardown);
}

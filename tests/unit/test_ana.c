/*
 * test_ana.c - Asymmetric Namespace Access (proto/ana.c): the state names,
 * a new port's states, the path status of I/O in each state, and the ANA
 * log page (LID 0Ch) byte by byte: several groups and namespaces, with and
 * without RGO, from every offset, into a short buffer, and its size alone.
 * The expected pages are written out in hex at the spec's layout (NVMe Base
 * 2.x, "Asymmetric Namespace Access Log Page"), not with libnvme's structs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/ana.h"
#include "unit_hex.h"

/* ---- State names -------------------------------------------------------- */

static void test_state_names(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		uint8_t st;
	} names[] = {
		{ "optimized", 0x1 },       { "non-optimized", 0x2 }, { "inaccessible", 0x3 },
		{ "persistent-loss", 0x4 }, { "change", 0xf },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(kt_ana_state_parse(names[i].name), names[i].st);
		assert_string_equal(kt_ana_state_name(names[i].st), names[i].name);
		assert_true(kt_ana_state_valid(names[i].st));
	}
	/* nvmet's spelling only: exact, lower case, hyphens */
	const char *bad[] = { "", "Optimized", "non_optimized", "nonoptimized", "optimized ",
			      "persistent_loss", "transition", "5" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kt_ana_state_parse(bad[i]), -EINVAL);
	assert_int_equal(kt_ana_state_parse(NULL), -EINVAL);
	/* every other value is no state */
	for (unsigned v = 0; v < 256; v++) {
		bool is = v == 1 || v == 2 || v == 3 || v == 4 || v == 0xf;
		assert_int_equal(kt_ana_state_valid((uint8_t)v), is);
		if (!is)
			assert_null(kt_ana_state_name((uint8_t)v));
	}
}

/* ---- A port's states ------------------------------------------------------ */

static void test_port_defaults(void **state)
{
	struct kt_port p;
	(void)state;

	memset(&p, 0x5a, sizeof(p));
	kt_port_ana_init(&p);
	assert_int_equal(p.ana_state[0], 0);
	assert_false(p.ana_listed[0]);
	assert_int_equal(p.ana_state[1], NVME_ANA_STATE_OPTIMIZED);
	assert_true(p.ana_listed[1]); /* nvmet's ana_groups/1, always there */
	for (unsigned g = 2; g <= KT_ANA_GRP_MAX; g++) {
		assert_int_equal(p.ana_state[g], NVME_ANA_STATE_INACCESSIBLE);
		assert_false(p.ana_listed[g]);
	}
	assert_int_equal(kt_port_ana_state(&p, 1), NVME_ANA_STATE_OPTIMIZED);
	assert_int_equal(kt_port_ana_state(&p, 2), NVME_ANA_STATE_INACCESSIBLE);
	assert_int_equal(kt_port_ana_state(&p, KT_ANA_GRP_MAX), NVME_ANA_STATE_INACCESSIBLE);
	/* no group, beyond the groups, no port: optimized */
	assert_int_equal(kt_port_ana_state(&p, 0), NVME_ANA_STATE_OPTIMIZED);
	assert_int_equal(kt_port_ana_state(&p, KT_ANA_GRP_MAX + 1), NVME_ANA_STATE_OPTIMIZED);
	assert_int_equal(kt_port_ana_state(NULL, 2), NVME_ANA_STATE_OPTIMIZED);
}

/* ---- I/O path status ----------------------------------------------------- */

static void test_check_each_state(void **state)
{
	struct kt_port p;
	struct kt_ns ns = { .nsid = 1, .enabled = true, .anagrpid = 5 };
	(void)state;

	kt_port_ana_init(&p);
	/* SCT 3h in bits 10:8, no DNR (bit 14) */
	static const struct {
		uint8_t st;
		uint16_t status;
	} cases[] = {
		{ NVME_ANA_STATE_OPTIMIZED, 0 },
		{ NVME_ANA_STATE_NONOPTIMIZED, 0 },
		{ NVME_ANA_STATE_INACCESSIBLE, 0x0302 },
		{ NVME_ANA_STATE_PERSISTENT_LOSS, 0x0301 },
		{ NVME_ANA_STATE_CHANGE, 0x0303 },
		/* no state (a port never initialised): served, as nvmet does */
		{ 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p.ana_state[5] = cases[i].st;
		assert_int_equal(kt_ana_check(&p, &ns), cases[i].status);
		/* another group's state is not this namespace's */
		p.ana_state[6] = NVME_ANA_STATE_INACCESSIBLE;
		ns.anagrpid = 6;
		assert_int_equal(kt_ana_check(&p, &ns), 0x0302);
		ns.anagrpid = 5;
	}
	/* the default port: group 1 served, the others inaccessible */
	kt_port_ana_init(&p);
	ns.anagrpid = 1;
	assert_int_equal(kt_ana_check(&p, &ns), 0);
	ns.anagrpid = 2;
	assert_int_equal(kt_ana_check(&p, &ns), 0x0302);
	/* no port, no group */
	assert_int_equal(kt_ana_check(NULL, &ns), 0);
	ns.anagrpid = 0;
	assert_int_equal(kt_ana_check(&p, &ns), 0);
}

/* ---- The log page --------------------------------------------------------- */

/* Namespaces 1 (group 1), 2 and 5 (group 3), 4 (group 3, disabled), 9
 * (group 2), 10 (no group); the port lists groups 1 and 7; group 6 is
 * neither listed nor used. */
static struct kt_ns g_ns[6];
static struct kt_ns *g_nsp[6];
static struct kt_subsys g_sub;
static struct kt_port g_port;
#define CHGCNT 0x0102030405060708ull

static int setup(void **state)
{
	(void)state;
	memset(&g_sub, 0, sizeof(g_sub));
	g_ns[0] = (struct kt_ns){ .nsid = 1, .enabled = true, .anagrpid = 1 };
	g_ns[1] = (struct kt_ns){ .nsid = 2, .enabled = true, .anagrpid = 3 };
	g_ns[2] = (struct kt_ns){ .nsid = 4, .enabled = false, .anagrpid = 3 };
	g_ns[3] = (struct kt_ns){ .nsid = 5, .enabled = true, .anagrpid = 3 };
	g_ns[4] = (struct kt_ns){ .nsid = 9, .enabled = true, .anagrpid = 2 };
	g_ns[5] = (struct kt_ns){ .nsid = 10, .enabled = true, .anagrpid = 0 };
	for (int i = 0; i < 6; i++)
		g_nsp[i] = &g_ns[i];
	g_sub.ns = g_nsp;
	g_sub.n_ns = 6;
	kt_port_ana_init(&g_port);
	g_port.ana_listed[7] = true;
	g_port.ana_state[2] = NVME_ANA_STATE_NONOPTIMIZED;
	g_port.ana_state[3] = NVME_ANA_STATE_PERSISTENT_LOSS;
	g_port.ana_state[6] = NVME_ANA_STATE_OPTIMIZED;
	g_port.ana_state[7] = NVME_ANA_STATE_CHANGE;
	return 0;
}

#define Z15 "000000000000000000000000000000"
#define CNT "0807060504030201"
/* header: CHGCNT, NGRPS 4, reserved */
#define HDR CNT "0400" "000000000000"
/* descriptors: ANAGRPID, NNSIDS, CHGCNT, state, reserved, NSIDs */
static const char page_hex[] =
	HDR
	"01000000" "01000000" CNT "01" Z15 "01000000"
	"02000000" "01000000" CNT "02" Z15 "09000000"
	"03000000" "02000000" CNT "04" Z15 "02000000" "05000000"
	"07000000" "00000000" CNT "0f" Z15;
static const char rgo_hex[] =
	HDR
	"01000000" "00000000" CNT "01" Z15
	"02000000" "00000000" CNT "02" Z15
	"03000000" "00000000" CNT "04" Z15
	"07000000" "00000000" CNT "0f" Z15;

static void test_log_groups_and_namespaces(void **state)
{
	uint8_t want[256], buf[512];
	size_t n = unit_unhex(page_hex, want, sizeof(want));
	(void)state;

	assert_int_equal(n, 160);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(kt_ana_log(&g_sub, &g_port, CHGCNT, false, 0, buf, 200), 160);
	assert_memory_equal(buf, want, n);
	for (size_t i = 160; i < 200; i++)
		assert_int_equal(buf[i], 0);   /* the rest of the asked length */
	assert_int_equal(buf[200], 0xee);      /* nothing beyond it */

	/* RGO: the same descriptors without NSIDs */
	n = unit_unhex(rgo_hex, want, sizeof(want));
	assert_int_equal(n, 144);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(kt_ana_log(&g_sub, &g_port, CHGCNT, true, 0, buf, 144), 144);
	assert_memory_equal(buf, want, n);
	assert_int_equal(buf[144], 0xee);

	/* the size alone */
	assert_int_equal(kt_ana_log(&g_sub, &g_port, CHGCNT, false, 0, NULL, 0), 160);
	assert_int_equal(kt_ana_log(&g_sub, &g_port, CHGCNT, true, 0, NULL, 0), 144);
}

/* Every dword offset and several lengths: the window of the whole page,
 * zeroes past its end, nothing written past len. */
static void test_log_offsets(void **state)
{
	uint8_t want[256], buf[300];
	size_t n = unit_unhex(page_hex, want, sizeof(want));
	static const size_t lens[] = { 4, 16, 36, 64, 160, 200 };
	(void)state;

	for (size_t off = 0; off <= 200; off += 4) {
		for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			size_t len = lens[k];
			memset(buf, 0xee, sizeof(buf));
			assert_int_equal(kt_ana_log(&g_sub, &g_port, CHGCNT, false, off, buf, len), n);
			for (size_t i = 0; i < len; i++) {
				uint8_t w = off + i < n ? want[off + i] : 0;
				if (buf[i] != w)
					fail_msg("offset %zu length %zu: byte %zu is %#x, expected %#x", off,
						 len, i, buf[i], w);
			}
			assert_int_equal(buf[len], 0xee);
		}
	}
	/* an offset far beyond: zeroes, and no overflow of off + len */
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(kt_ana_log(&g_sub, &g_port, CHGCNT, false, UINT64_MAX - 3, buf, 16), n);
	for (size_t i = 0; i < 16; i++)
		assert_int_equal(buf[i], 0);
}

/* A buffer shorter than the page: what fits, the full length returned. */
static void test_log_short_buffer(void **state)
{
	uint8_t want[256], buf[64];
	size_t n = unit_unhex(page_hex, want, sizeof(want));
	(void)state;

	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(kt_ana_log(&g_sub, &g_port, CHGCNT, false, 0, buf, 20), n);
	assert_memory_equal(buf, want, 20);
	assert_int_equal(buf[20], 0xee);
	/* the header alone: NGRPS says 4 whatever fits */
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(kt_ana_log(&g_sub, &g_port, CHGCNT, true, 0, buf, 16), 144);
	assert_int_equal(buf[8], 4);
	assert_int_equal(buf[16], 0xee);
	/* half a descriptor, from inside the first */
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(kt_ana_log(&g_sub, &g_port, CHGCNT, false, 24, buf, 12), n);
	assert_memory_equal(buf, want + 24, 12);
	assert_int_equal(buf[12], 0xee);
}

/* What changes the page: a state, the counter, a namespace's group or
 * enablement, the port's list. */
static void test_log_follows_the_model(void **state)
{
	uint8_t buf[512];
	(void)state;

	g_port.ana_state[3] = NVME_ANA_STATE_OPTIMIZED;
	assert_int_equal(kt_ana_log(&g_sub, &g_port, 7, false, 0, buf, sizeof(buf)), 160);
	assert_int_equal(buf[0], 7);           /* header CHGCNT */
	assert_int_equal(buf[16 + 8], 7);      /* each descriptor's CHGCNT */
	assert_int_equal(buf[88 + 16], 0x01);  /* group 3 now optimized */

	/* namespace 4 enabled: group 3 lists 2, 4, 5 */
	g_ns[2].enabled = true;
	assert_int_equal(kt_ana_log(&g_sub, &g_port, 7, false, 0, buf, sizeof(buf)), 164);
	assert_int_equal(buf[88 + 4], 3);
	assert_int_equal(buf[120], 2);
	assert_int_equal(buf[124], 4);
	assert_int_equal(buf[128], 5);
	assert_int_equal(buf[132], 7);         /* then group 7 */

	/* namespace 9 leaves group 2 for 6: group 2 goes, 6 comes */
	g_ns[4].anagrpid = 6;
	assert_int_equal(kt_ana_log(&g_sub, &g_port, 7, false, 0, buf, sizeof(buf)), 164);
	assert_int_equal(buf[16 + 32 + 4], 3); /* after group 1 (one NSID): group 3 */
	assert_int_equal(buf[52 + 32 + 12], 6);
	assert_int_equal(buf[52 + 32 + 12 + 16], 0x01);
	assert_int_equal(buf[52 + 32 + 12 + 32], 9);

	/* the port no longer lists 7 */
	g_port.ana_listed[7] = false;
	assert_int_equal(kt_ana_log(&g_sub, &g_port, 7, false, 0, buf, sizeof(buf)), 132);
	assert_int_equal(buf[8], 3);
}

/* A default port and a subsystem without namespaces: group 1 alone; no
 * port (a model built by hand): group 1 optimized. Every group listed: 128
 * descriptors. */
static void test_log_edges(void **state)
{
	static uint8_t buf[16 + KT_ANA_GRP_MAX * 32 + 64];
	struct kt_subsys empty;
	struct kt_port p;
	(void)state;

	memset(&empty, 0, sizeof(empty));
	kt_port_ana_init(&p);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(kt_ana_log(&empty, &p, 0, false, 0, buf, 48), 48);
	static const char one_hex[] = "0000000000000000" "0100" "000000000000"
				      "01000000" "00000000" "0000000000000000" "01" Z15;
	uint8_t want[48];
	unit_unhex(one_hex, want, sizeof(want));
	assert_memory_equal(buf, want, 48);
	assert_int_equal(kt_ana_log(&empty, NULL, 0, false, 0, buf, 48), 48);
	assert_memory_equal(buf, want, 48);
	/* groups a port never set read as nvmet's default: inaccessible */
	assert_int_equal(kt_ana_log(&g_sub, &p, 0, true, 0, buf, sizeof(buf)), 16 + 3 * 32);
	assert_int_equal(buf[16 + 16], 0x01);
	assert_int_equal(buf[48 + 16], 0x03);
	assert_int_equal(buf[80 + 16], 0x03);

	for (unsigned g = 1; g <= KT_ANA_GRP_MAX; g++)
		p.ana_listed[g] = true;
	assert_int_equal(kt_ana_log(&g_sub, &p, 0, false, 0, buf, sizeof(buf)),
			 16 + KT_ANA_GRP_MAX * 32 + 4 * 4);
	assert_int_equal(buf[8], KT_ANA_GRP_MAX);
	assert_int_equal(buf[9], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_port_defaults),
		cmocka_unit_test(test_check_each_state),
		cmocka_unit_test_setup(test_log_groups_and_namespaces, setup),
		cmocka_unit_test_setup(test_log_offsets, setup),
		cmocka_unit_test_setup(test_log_short_buffer, setup),
		cmocka_unit_test_setup(test_log_follows_the_model, setup),
		cmocka_unit_test_setup(test_log_edges, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_discovery.c - the discovery service of a running katod: Connect by
 * the well-known and by the unique discovery NQN, Identify of a discovery
 * controller, the discovery log page (LID 70h) as each host may see it,
 * and partial reads of the page at offsets.
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

#define A_NQN "nqn.2026-11.io.kato:open"
#define B_NQN "nqn.2026-11.io.kato:closed"
#define DISC_NQN "nqn.2026-11.io.kato:discovery"
#define HDR 1024u
#define ENT ((uint32_t)sizeof(struct nvmf_disc_log_entry))

static struct hn_katod K;

/* port[0] (portid 1) exports A and B; port[1] (portid 2) is discovery only. */
static const char CONFIG[] =
	"{\n"
	"  \"hosts\": [{\"nqn\": \"" HN_HOSTNQN2 "\"}],\n"
	"  \"ports\": [\n"
	"    {\"portid\": 1, \"referrals\": [],\n"
	"     \"addr\": {\"trtype\": \"tcp\", \"adrfam\": \"ipv4\", \"traddr\": \"" HN_ADDR "\",\n"
	"              \"trsvcid\": \"%u\", \"treq\": \"not specified\"},\n"
	"     \"subsystems\": [\"" A_NQN "\", \"" B_NQN "\"]},\n"
	"    {\"portid\": 2, \"referrals\": [],\n"
	"     \"addr\": {\"trtype\": \"tcp\", \"adrfam\": \"ipv4\", \"traddr\": \"" HN_ADDR "\",\n"
	"              \"trsvcid\": \"%u\", \"treq\": \"not specified\"},\n"
	"     \"subsystems\": []}],\n"
	"  \"subsystems\": [\n"
	"    {\"nqn\": \"" A_NQN "\", \"allowed_hosts\": [], \"attr\": {\"allow_any_host\": \"1\"},\n"
	"     \"namespaces\": [{\"nsid\": 1, \"enable\": 1,\n"
	"                     \"device\": {\"backend\": \"null\", \"size\": \"1G\"}}]},\n"
	"    {\"nqn\": \"" B_NQN "\", \"allowed_hosts\": [\"" HN_HOSTNQN2 "\"],\n"
	"     \"attr\": {\"allow_any_host\": \"0\"},\n"
	"     \"namespaces\": [{\"nsid\": 1, \"enable\": 1,\n"
	"                     \"device\": {\"backend\": \"null\", \"size\": \"1G\"}}]}],\n"
	"  \"katod\": {\"workers\": 2, \"log_level\": \"debug\", \"discovery_nqn\": \"" DISC_NQN "\"}\n"
	"}\n";

static int group_setup(void **state)
{
	*state = &K;
	if (hn_init(&K, 2))
		return -1;
	return hn_start(&K, 2, CONFIG, K.port[0], K.port[1]);
}

static struct kh_host *disc_up(uint16_t port, const char *nqn, const char *hostnqn)
{
	struct kh_host *d = NULL;

	HN_ASSERT_OK(hn_disc_up(&d, HN_ADDR, port, nqn, hostnqn));
	return d;
}

/* The whole log page, as the host library reads it (free() it). */
static struct nvmf_discovery_log *read_log(struct kh_host *d, uint64_t *numrec)
{
	struct nvmf_discovery_log *log;

	HN_ASSERT_OK(kh_disc_log(d, &log, numrec));
	assert_int_equal(le16toh(log->recfmt), 0);
	return log;
}

/* Checks the NVM subsystem entries against want[] (in any order) and
 * that any other entry is this discovery subsystem itself. */
static void check_entries(const struct nvmf_discovery_log *log, uint64_t numrec,
			  const char *const *want, unsigned nwant)
{
	unsigned seen = 0;
	char buf[300], port[16];

	snprintf(port, sizeof(port), "%u", K.port[0]);
	for (uint64_t i = 0; i < numrec; i++) {
		const struct nvmf_disc_log_entry *e = &log->entries[i];
		unsigned j;

		assert_int_equal(e->trtype, NVMF_TRTYPE_TCP);
		assert_int_equal(e->adrfam, NVMF_ADDR_FAMILY_IP4);
		kh_disc_str(buf, e->traddr, sizeof(e->traddr));
		assert_string_equal(buf, HN_ADDR);
		kh_disc_str(buf, e->subnqn, sizeof(e->subnqn));
		if (e->subtype != NVME_NQN_NVME) {
			assert_int_equal(e->subtype, NVME_NQN_CURR);
			assert_string_equal(buf, DISC_NQN);
			continue;
		}
		for (j = 0; j < nwant && strcmp(buf, want[j]); j++)
			;
		if (j == nwant)
			fail_msg("unexpected discovery entry %s", buf);
		assert_int_equal(le16toh(e->portid), 1);
		assert_int_equal(le16toh(e->cntlid), 0xffff);
		assert_true(le16toh(e->asqsz) >= 31);
		kh_disc_str(buf, e->trsvcid, sizeof(e->trsvcid));
		assert_string_equal(buf, port);
		seen++;
	}
	assert_int_equal(seen, nwant);
}

static void identify_discovery_controller(void **state)
{
	struct kh_host *d = disc_up(K.port[1], NVME_DISC_SUBSYS_NAME, HN_HOSTNQN);
	struct nvme_id_ctrl id;
	char buf[300];

	(void)state;
	HN_ASSERT_OK(kh_identify_ctrl(d, &id));
	assert_int_equal(id.cntrltype, 2); /* discovery controller */
	kh_disc_str(buf, id.subnqn, sizeof(id.subnqn));
	/* with a unique discovery NQN configured, that is the subsystem's name */
	assert_string_equal(buf, DISC_NQN);
	assert_int_equal(le32toh(id.nn), 0);
	kh_close(d);
	/* the unique NQN connects as well */
	d = disc_up(K.port[1], DISC_NQN, HN_HOSTNQN);
	HN_ASSERT_OK(kh_identify_ctrl(d, &id));
	assert_int_equal(id.cntrltype, 2);
	kh_close(d);
	hn_pass(&K);
}

/* The page a host reads through port as subsystem nqn lists want[]. */
static void check_log(uint16_t port, const char *nqn, const char *hostnqn, const char *const *want,
		      unsigned nwant)
{
	struct kh_host *d = disc_up(port, nqn, hostnqn);
	uint64_t n;
	struct nvmf_discovery_log *log = read_log(d, &n);

	check_entries(log, n, want, nwant);
	free(log);
	kh_close(d);
}

static void log_for_open_host(void **state)
{
	static const char *const want[] = { A_NQN };

	(void)state;
	check_log(K.port[1], NVME_DISC_SUBSYS_NAME, HN_HOSTNQN, want, 1);
	hn_pass(&K);
}

static void log_for_allowed_host(void **state)
{
	static const char *const want[] = { A_NQN, B_NQN };

	(void)state;
	check_log(K.port[0], DISC_NQN, HN_HOSTNQN2, want, 2);
	hn_pass(&K);
}

/* Reads at offsets give the same bytes as the whole page. */
static void partial_reads(void **state)
{
	struct kh_host *d = disc_up(K.port[1], NVME_DISC_SUBSYS_NAME, HN_HOSTNQN2);
	struct nvmf_discovery_log *log;
	uint8_t *part;
	uint64_t n;
	uint32_t total;

	(void)state;
	log = read_log(d, &n);
	assert_true(n >= 2);
	total = HDR + (uint32_t)n * ENT;
	part = calloc(1, total);
	assert_non_null(part);

	/* the first 16 bytes: GENCTR and NUMREC */
	HN_ASSERT_OK(kh_get_log(d, NVME_LOG_LID_DISCOVER, 0, 0, 0, part, 16));
	assert_memory_equal(part, log, 16);
	/* the second entry alone */
	HN_ASSERT_OK(kh_get_log(d, NVME_LOG_LID_DISCOVER, 0, 0, HDR + ENT, part, ENT));
	assert_memory_equal(part, (uint8_t *)log + HDR + ENT, ENT);
	/* straddling the first two entries */
	HN_ASSERT_OK(kh_get_log(d, NVME_LOG_LID_DISCOVER, 0, 0, HDR + ENT / 2, part, ENT));
	assert_memory_equal(part, (uint8_t *)log + HDR + ENT / 2, ENT);
	/* an offset beyond the page */
	HN_ASSERT_SC(kh_get_log(d, NVME_LOG_LID_DISCOVER, 0, 0, total + 4096, part, 16),
		     NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	free(part);
	free(log);
	kh_close(d);
	hn_pass(&K);
}

/* A discovery controller serves no I/O queues and no NVM subsystem data. */
static void discovery_refuses_io_queue(void **state)
{
	struct kh_host *d = disc_up(K.port[1], NVME_DISC_SUBSYS_NAME, HN_HOSTNQN);
	struct kh_host *io = NULL;
	struct kh_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.subnqn = NVME_DISC_SUBSYS_NAME;
	o.qid = 1;
	o.cntlid = kh_cntlid(d);
	assert_true(kh_connect(&io, HN_ADDR, K.port[1], &o, NULL) > 0);
	assert_null(io);
	kh_close(d);
	hn_pass(&K);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HN_TEST(identify_discovery_controller),
		HN_TEST(log_for_open_host),
		HN_TEST(log_for_allowed_host),
		HN_TEST(partial_reads),
		HN_TEST(discovery_refuses_io_queue),
	};

	return cmocka_run_group_tests(tests, group_setup, hn_group_teardown);
}

/*
 * test_disc_wildcard.c - discovery log entries of a port bound to a
 * wildcard address: a running katod with port 1 on 0.0.0.0 and port 2 on
 * 127.0.0.2 lists port 1 with the local address of the connection the host
 * asked over (127.0.0.1 or 127.0.0.2), as the Linux target does, and port 2
 * as configured; and a host can connect to the address it was given. A
 * second katod with an IPv6 wildcard port ("::", dual-stack) lists it as
 * ::1 to a host on ::1 and as IPv4 127.0.0.1 to a host on 127.0.0.1.
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

#define A_NQN "nqn.2026-11.io.kato:wild"
#define ADDR2 "127.0.0.2"

static struct hn_katod K;

/* Both configurations' one subsystem, exported on every port. */
#define SUBSYS_A                                                                                     \
	"  \"subsystems\": [\n"                                                                         \
	"    {\"nqn\": \"" A_NQN "\", \"allowed_hosts\": [], \"attr\": {\"allow_any_host\": \"1\"},\n" \
	"     \"namespaces\": [{\"nsid\": 1, \"enable\": 1,\n"                                          \
	"                     \"device\": {\"backend\": \"null\", \"size\": \"1G\"}}]}],\n"

static const char CONFIG[] =
	"{\n"
	"  \"hosts\": [],\n"
	"  \"ports\": [\n"
	"    {\"portid\": 1, \"referrals\": [],\n"
	"     \"addr\": {\"trtype\": \"tcp\", \"adrfam\": \"ipv4\", \"traddr\": \"0.0.0.0\",\n"
	"              \"trsvcid\": \"%u\", \"treq\": \"not specified\"},\n"
	"     \"subsystems\": [\"" A_NQN "\"]},\n"
	"    {\"portid\": 2, \"referrals\": [],\n"
	"     \"addr\": {\"trtype\": \"tcp\", \"adrfam\": \"ipv4\", \"traddr\": \"" ADDR2 "\",\n"
	"              \"trsvcid\": \"%u\", \"treq\": \"not specified\"},\n"
	"     \"subsystems\": [\"" A_NQN "\"]}],\n"
	SUBSYS_A
	"  \"katod\": {\"workers\": 2, \"log_level\": \"debug\"}\n"
	"}\n";

static int group_setup(void **state)
{
	*state = &K;
	if (hn_init(&K, 2))
		return -1;
	/* The harness waits on 127.0.0.1: port 1 only (port 2 is on .2). */
	return hn_start(&K, 1, CONFIG, K.port[0], K.port[1]);
}

/* The page as a host asking at addr:port sees it: 1 current discovery entry
 * (on the port asked), then A on port 1 and A on port 2. */
static void check_page(const char *addr, uint16_t port, uint16_t portid)
{
	struct kh_host *d = NULL;
	struct nvmf_discovery_log *log;
	uint64_t n;
	char buf[300], svc[16];

	HN_ASSERT_OK(hn_disc_up(&d, addr, port, NULL, NULL));
	HN_ASSERT_OK(kh_disc_log(d, &log, &n));
	assert_int_equal(n, 3);
	for (unsigned i = 0; i < 3; i++) {
		const struct nvmf_disc_log_entry *e = &log->entries[i];
		uint16_t pid = le16toh(e->portid);

		assert_int_equal(e->adrfam, NVMF_ADDR_FAMILY_IP4);
		if (i == 0) {
			assert_int_equal(e->subtype, NVME_NQN_CURR);
			assert_int_equal(pid, portid);
		} else {
			assert_int_equal(e->subtype, NVME_NQN_NVME);
			assert_int_equal(pid, i);
			kh_disc_str(buf, e->subnqn, sizeof(e->subnqn));
			assert_string_equal(buf, A_NQN);
		}
		kh_disc_str(buf, e->traddr, sizeof(e->traddr));
		/* port 1 (0.0.0.0): where the host reached us; port 2: as configured */
		assert_string_equal(buf, pid == 1 ? addr : ADDR2);
		kh_disc_str(buf, e->trsvcid, sizeof(e->trsvcid));
		snprintf(svc, sizeof(svc), "%u", pid == 1 ? K.port[0] : K.port[1]);
		assert_string_equal(buf, svc);
	}
	free(log);
	kh_close(d);
}

static void wildcard_port_via_127_0_0_1(void **state)
{
	(void)state;
	check_page(HN_ADDR, K.port[0], 1);
	hn_pass(&K);
}

static void wildcard_port_via_127_0_0_2(void **state)
{
	(void)state;
	check_page(ADDR2, K.port[0], 1);
	check_page(ADDR2, K.port[1], 2);
	hn_pass(&K);
}

/* What the page says is where a host can connect. */
static void listed_address_connects(void **state)
{
	struct kh_opts o;
	struct kh_host *a = NULL;
	(void)state;

	memset(&o, 0, sizeof(o));
	o.subnqn = A_NQN;
	HN_ASSERT_OK(kh_admin_up(&a, ADDR2, K.port[0], &o));
	kh_close(a);
	hn_pass(&K);
}

static const char CONFIG6[] =
	"{\n"
	"  \"hosts\": [],\n"
	"  \"ports\": [\n"
	"    {\"portid\": 7, \"referrals\": [],\n"
	"     \"addr\": {\"trtype\": \"tcp\", \"adrfam\": \"ipv6\", \"traddr\": \"::\",\n"
	"              \"trsvcid\": \"%u\", \"treq\": \"not specified\"},\n"
	"     \"subsystems\": [\"" A_NQN "\"]}],\n"
	SUBSYS_A
	"  \"katod\": {\"workers\": 1, \"log_level\": \"debug\"}\n"
	"}\n";

/* Both entries (current discovery, A) of the IPv6 wildcard port. */
static void check_page6(const char *addr, uint16_t port, uint8_t adrfam, const char *want)
{
	struct kh_host *d = NULL;
	struct nvmf_discovery_log *log;
	uint64_t n;
	char buf[300];

	HN_ASSERT_OK(hn_disc_up(&d, addr, port, NULL, NULL));
	HN_ASSERT_OK(kh_disc_log(d, &log, &n));
	assert_int_equal(n, 2);
	for (unsigned i = 0; i < 2; i++) {
		const struct nvmf_disc_log_entry *e = &log->entries[i];

		assert_int_equal(le16toh(e->portid), 7);
		assert_int_equal(e->adrfam, adrfam);
		kh_disc_str(buf, e->traddr, sizeof(e->traddr));
		assert_string_equal(buf, want);
	}
	free(log);
	kh_close(d);
}

static void ipv6_wildcard_port(void **state)
{
	struct hn_katod k6;
	(void)state;

	assert_int_equal(hn_init(&k6, 1), 0);
	if (hn_start(&k6, 1, CONFIG6, k6.port[0])) {
		hn_cleanup(&k6);
		fail_msg("katod with an IPv6 wildcard port did not start");
	}
	check_page6("::1", k6.port[0], NVMF_ADDR_FAMILY_IP6, "::1");
	check_page6(HN_ADDR, k6.port[0], NVMF_ADDR_FAMILY_IP4, HN_ADDR);
	k6.test_ok = true;
	hn_cleanup(&k6);
	hn_pass(&K);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HN_TEST(wildcard_port_via_127_0_0_1),
		HN_TEST(wildcard_port_via_127_0_0_2),
		HN_TEST(listed_address_connects),
		HN_TEST(ipv6_wildcard_port),
	};
	return cmocka_run_group_tests(tests, group_setup, hn_group_teardown);
}

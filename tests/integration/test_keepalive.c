/*
 * test_keepalive.c - the Keep Alive timer of a running katod, timed from
 * the host side: with KATO 1000 ms and no traffic the connection closes
 * between 1000 and 1500 ms after Connect; Keep Alive every 400 ms keeps it;
 * Set Features KATO changes it live (and Get Features reports it); KATO 0
 * never expires. katod's granularity (KAS) is the default, 100 ms.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
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

/* How late after the deadline an expiry may come (timer slack, loaded CI). */
#define SLACK_MS 500

static struct hn_katod K;

static const char CONFIG[] =
	"{\n"
	"  \"hosts\": [],\n"
	"  \"ports\": [{\"portid\": 1, \"referrals\": [],\n"
	"    \"addr\": {\"trtype\": \"tcp\", \"adrfam\": \"ipv4\", \"traddr\": \"" HN_ADDR "\",\n"
	"             \"trsvcid\": \"%u\", \"treq\": \"not specified\"},\n"
	"    \"subsystems\": [\"" HN_SUBNQN "\"]}],\n"
	"  \"subsystems\": [\n"
	"    {\"nqn\": \"" HN_SUBNQN "\", \"allowed_hosts\": [], \"attr\": {\"allow_any_host\": \"1\"},\n"
	"     \"namespaces\": [{\"nsid\": 1, \"enable\": 1,\n"
	"                     \"device\": {\"backend\": \"null\", \"size\": \"1G\"}}]}],\n"
	"  \"katod\": {\"workers\": 2, \"log_level\": \"debug\"}\n"
	"}\n";

static int group_setup(void **state)
{
	(void)state;
	if (hn_init(&K, 1))
		return -1;
	return hn_start(&K, 1, CONFIG, K.port[0]);
}

static int group_teardown(void **state)
{
	(void)state;
	hn_cleanup(&K);
	return 0;
}

static int t_setup(void **state)
{
	(void)state;
	hn_test_begin(&K);
	return 0;
}

static int t_teardown(void **state)
{
	(void)state;
	return hn_test_end(&K);
}

static struct kh_opts opts(uint32_t kato_ms)
{
	struct kh_opts o;

	memset(&o, 0, sizeof(o));
	o.subnqn = HN_SUBNQN;
	o.kato_ms = kato_ms;
	return o;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Has the controller closed the connection (without reading anything)? */
static bool peer_closed(struct kh_host *h)
{
	struct pollfd p = { kh_fd(h), POLLIN | POLLRDHUP, 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static void assert_expiry(uint64_t from, uint64_t closed_at, uint32_t kato)
{
	long dt = (long)(closed_at - from);

	if (dt < (long)kato || dt > (long)kato + SLACK_MS)
		fail_msg("closed %ld ms after the re-arm, expected %u..%u", dt, kato,
			 kato + SLACK_MS);
}

static void expires_without_traffic(void **state)
{
	struct kh_opts o = opts(1000);
	struct kh_host *a;
	uint64_t closed;

	(void)state;
	HN_ASSERT_OK(kh_connect(&a, HN_ADDR, K.port[0], &o, NULL));
	HN_ASSERT_OK(kh_wait_closed(a, 1000 + SLACK_MS + 1000, &closed));
	assert_expiry(kh_connected_at_ms(a), closed, 1000);
	kh_close(a);
	hn_pass(&K);
}

static void keep_alive_keeps_it(void **state)
{
	struct kh_opts o = opts(1000);
	struct kh_host *a;
	uint32_t kato = 0;
	uint64_t start, last, closed;

	(void)state;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, K.port[0], &o));
	HN_ASSERT_OK(kh_get_features(a, NVME_FEAT_FID_KATO, 0, &kato));
	assert_int_equal(kato, 1000);
	start = kh_now_ms();
	last = start;
	while (kh_now_ms() - start < 3000) {
		sleep_ms(400);
		HN_ASSERT_OK(kh_keep_alive(a));
		last = kh_now_ms();
	}
	assert_false(peer_closed(a));
	/* and once they stop, it expires KATO after the last one */
	HN_ASSERT_OK(kh_wait_closed(a, 1000 + SLACK_MS + 1000, &closed));
	assert_expiry(last, closed, 1000);
	kh_close(a);
	hn_pass(&K);
}

static void set_features_changes_kato(void **state)
{
	struct kh_opts o = opts(10000);
	struct kh_host *a;
	uint32_t kato = 0;
	uint64_t set_at, closed;

	(void)state;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, K.port[0], &o));
	HN_ASSERT_OK(kh_get_features(a, NVME_FEAT_FID_KATO, 0, &kato));
	assert_int_equal(kato, 10000);
	HN_ASSERT_OK(kh_set_features(a, NVME_FEAT_FID_KATO, 1000, NULL));
	set_at = kh_now_ms();
	HN_ASSERT_OK(kh_get_features(a, NVME_FEAT_FID_KATO, 0, &kato));
	assert_int_equal(kato, 1000);
	HN_ASSERT_OK(kh_wait_closed(a, 1000 + SLACK_MS + 1000, &closed));
	assert_expiry(set_at, closed, 1000);
	kh_close(a);
	hn_pass(&K);
}

/* KATO is rounded up to the granularity (KAS, 100 ms units). */
static void kato_rounded_to_kas(void **state)
{
	struct kh_opts o = opts(1050);
	struct nvme_id_ctrl id;
	struct kh_host *a;
	uint32_t kato = 0, unit;

	(void)state;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, K.port[0], &o));
	HN_ASSERT_OK(kh_identify_ctrl(a, &id));
	unit = le16toh(id.kas) * 100u;
	assert_true(unit > 0);
	HN_ASSERT_OK(kh_get_features(a, NVME_FEAT_FID_KATO, 0, &kato));
	assert_int_equal(kato, (1050 + unit - 1) / unit * unit);
	kh_close(a);
	hn_pass(&K);
}

static void kato_zero_never_expires(void **state)
{
	struct kh_opts o = opts(0);
	struct kh_host *a;
	struct nvme_id_ctrl id;

	(void)state;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, K.port[0], &o));
	sleep_ms(3000);
	assert_false(peer_closed(a));
	HN_ASSERT_OK(kh_identify_ctrl(a, &id));
	kh_close(a);
	hn_pass(&K);
}

#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(expires_without_traffic),
		T(keep_alive_keeps_it),
		T(set_features_changes_kato),
		T(kato_rounded_to_kas),
		T(kato_zero_never_expires),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

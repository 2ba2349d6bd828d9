/*
 * test_keepalive.c - the Keep Alive timer of a running katod, timed from
 * the host side: with KATO 1000 ms and no traffic the connection closes
 * between 1000 and 1500 ms after Connect; Keep Alive every 400 ms keeps it;
 * Set Features KATO changes it live (and Get Features reports it); KATO 0
 * never expires. katod's granularity (KAS) is the default, 100 ms.
 * Then (issue 4): Keep Alive with KATO 0, traffic-based re-arm and TBKAS
 * off, the discovery activity timeout, every policy behaviour reached by
 * subsystem, host and controller id, the event trace, and the keep-alive
 * probe (library and program) against katod.
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
#include "tests/host/kaprobe.h"
#include "tests/integration/harness.h"

/* How late after the deadline an expiry may come (timer slack, loaded CI). */
#define SLACK_MS 500

static struct hn_katod K;

static const char CONFIG[] = HN_CONFIG_ONE("{\"backend\": \"null\", \"size\": \"1G\"}",
					  "{\"workers\": 2, \"log_level\": \"debug\"}");

static int group_setup(void **state)
{
	return hn_group_start(state, &K, 1, CONFIG);
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
	uint64_t t0 = kh_now_ms(); /* before the Connect is sent: its receipt starts the timer */
	HN_ASSERT_OK(kh_connect(&a, HN_ADDR, K.port[0], &o, NULL));
	HN_ASSERT_OK(kh_wait_closed(a, 1000 + SLACK_MS + 1000, &closed));
	assert_expiry(t0, closed, 1000);
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
		last = kh_now_ms(); /* the target re-arms on receipt, after this */
		HN_ASSERT_OK(kh_keep_alive(a));
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
	set_at = kh_now_ms();
	HN_ASSERT_OK(kh_set_features(a, NVME_FEAT_FID_KATO, 1000, NULL));
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

/* ---- more of the engine, the policy, the trace, the probe -------------- */

/* A second katod: a discovery activity timeout of 1500 ms, a trace file,
 * and one subsystem per policy behaviour (plus a host and a controller-id
 * rule), so each test reaches its behaviour by what it connects to. */
#define SUB(x) "nqn.2026-11.io.kato:ka-" x
static struct hn_katod P;

static const char PCONFIG[] =
	"{\n"
	"  \"hosts\": [],\n"
	"  \"ports\": [{\"portid\": 1,\n"
	"    \"addr\": {\"traddr\": \"" HN_ADDR "\", \"trsvcid\": \"%u\"},\n"
	"    \"subsystems\": [\"" HN_SUBNQN "\", \"" SUB("half") "\", \"" SUB("never") "\",\n"
	"                   \"" SUB("ignore") "\", \"" SUB("refuse") "\", \"" SUB("kas") "\",\n"
	"                   \"" SUB("status") "\", \"" SUB("id") "\"]}],\n"
	"  \"subsystems\": [\n"
	"    {\"nqn\": \"" HN_SUBNQN "\", \"attr\": {\"allow_any_host\": \"1\"},\n"
	"     \"namespaces\": [{\"nsid\": 1, \"device\": {\"backend\": \"null\", \"size\": \"1G\"}}]},\n"
	"    {\"nqn\": \"" SUB("half") "\", \"attr\": {\"allow_any_host\": \"1\"}},\n"
	"    {\"nqn\": \"" SUB("never") "\", \"attr\": {\"allow_any_host\": \"1\"}},\n"
	"    {\"nqn\": \"" SUB("ignore") "\", \"attr\": {\"allow_any_host\": \"1\"},\n"
	"     \"namespaces\": [{\"nsid\": 1, \"device\": {\"backend\": \"null\", \"size\": \"1G\"}}]},\n"
	"    {\"nqn\": \"" SUB("refuse") "\", \"attr\": {\"allow_any_host\": \"1\"}},\n"
	"    {\"nqn\": \"" SUB("kas") "\", \"attr\": {\"allow_any_host\": \"1\"}},\n"
	"    {\"nqn\": \"" SUB("status") "\", \"attr\": {\"allow_any_host\": \"1\"}},\n"
	"    {\"nqn\": \"" SUB("id") "\", \"attr\": {\"allow_any_host\": \"1\", \"cntlid_min\": \"4000\",\n"
	"                                          \"cntlid_max\": \"4000\"}}],\n"
	"  \"katod\": {\"workers\": 2, \"log_level\": \"debug\", \"disc_activity_timeout_ms\": 1500,\n"
	"    \"keepalive\": {\"trace\": \"%s\", \"policy\": [\n"
	"      {\"subsystem\": \"" SUB("half") "\", \"expire\": 0.5},\n"
	"      {\"subsystem\": \"" SUB("never") "\", \"expire\": \"never\"},\n"
	"      {\"subsystem\": \"" SUB("ignore") "\", \"ignore_traffic\": true},\n"
	"      {\"subsystem\": \"" SUB("refuse") "\", \"refuse_set_kato\": true},\n"
	"      {\"subsystem\": \"" SUB("kas") "\", \"kas\": 20},\n"
	"      {\"subsystem\": \"" SUB("status") "\", \"status\": 16386, \"delay_ms\": 300},\n"
	"      {\"host\": \"" HN_HOSTNQN2 "\", \"drop\": true},\n"
	"      {\"cntlid\": 4000, \"delay_ms\": 400}]}}\n"
	"}\n";

static int pgroup_setup(void **state)
{
	*state = &P;
	if (hn_init(&P, 1))
		return -1;
	return hn_start(&P, 1, PCONFIG, P.port[0], hn_path(&P, "trace.jsonl"));
}

static struct kh_opts popts(const char *subnqn, uint32_t kato_ms)
{
	struct kh_opts o = opts(kato_ms);
	o.subnqn = subnqn;
	return o;
}

/* Keep Alive on a controller without KATO: Keep Alive Timeout Invalid. */
static void keep_alive_kato0_invalid(void **state)
{
	struct kh_opts o = popts(HN_SUBNQN, 0);
	struct kh_host *a;
	uint32_t kato = 1;

	(void)state;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, P.port[0], &o));
	HN_ASSERT_OK(kh_get_features(a, NVME_FEAT_FID_KATO, 0, &kato));
	assert_int_equal(kato, 0);
	int rc = kh_keep_alive(a);
	HN_ASSERT_SC(rc, NVME_SCT_GENERIC, NVME_SC_KAT_INVALID);
	assert_true(rc & KH_DNR);
	kh_close(a);
	hn_pass(&P);
}

/* TBKAS: I/O commands alone keep the controller; then it expires KATO
 * after the last one. */
static void io_traffic_rearms(void **state)
{
	struct kh_opts o = popts(HN_SUBNQN, 1000);
	struct kh_host *a, *io;
	struct nvme_id_ctrl id;
	uint64_t start, last = 0, closed;

	(void)state;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, P.port[0], &o));
	HN_ASSERT_OK(kh_identify_ctrl(a, &id));
	assert_true(le32toh(id.ctratt) & (1u << 6));
	HN_ASSERT_OK(kh_io_up(&io, a, HN_ADDR, P.port[0], 1, NULL, NULL));
	start = kh_now_ms();
	while (kh_now_ms() - start < 2500) {
		sleep_ms(300);
		last = kh_now_ms();
		HN_ASSERT_OK(kh_flush(io, 1));
	}
	assert_false(peer_closed(a));
	HN_ASSERT_OK(kh_wait_closed(a, 1000 + SLACK_MS + 1000, &closed));
	assert_expiry(last, closed, 1000);
	HN_ASSERT_OK(kh_wait_closed(io, 2000, NULL)); /* every queue goes */
	kh_close(io);
	kh_close(a);
	hn_pass(&P);
}

/* A discovery controller with KATO 0 has an activity timeout (1500 ms
 * here): commands keep it, silence ends it; Get Features says 0. */
static void discovery_activity_timeout(void **state)
{
	struct kh_opts o = popts(NULL, 0);
	struct kh_host *a;
	uint32_t kato = 1;
	uint64_t start, last, closed;

	(void)state;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, P.port[0], &o));
	HN_ASSERT_OK(kh_get_features(a, NVME_FEAT_FID_KATO, 0, &kato));
	assert_int_equal(kato, 0);
	start = kh_now_ms();
	last = start;
	while (kh_now_ms() - start < 2500) {
		sleep_ms(500);
		last = kh_now_ms();
		HN_ASSERT_OK(kh_get_features(a, NVME_FEAT_FID_KATO, 0, &kato));
	}
	assert_false(peer_closed(a));
	HN_ASSERT_OK(kh_wait_closed(a, 1500 + SLACK_MS + 1000, &closed));
	assert_expiry(last, closed, 1500);
	kh_close(a);

	/* with a KATO it is persistent: Keep Alive keeps it past 1500 ms */
	o = popts(NULL, 1000);
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, P.port[0], &o));
	start = kh_now_ms();
	while (kh_now_ms() - start < 2500) {
		sleep_ms(400);
		last = kh_now_ms();
		HN_ASSERT_OK(kh_keep_alive(a));
	}
	assert_false(peer_closed(a));
	HN_ASSERT_OK(kh_wait_closed(a, 1000 + SLACK_MS + 1000, &closed));
	assert_expiry(last, closed, 1000);
	kh_close(a);
	hn_pass(&P);
}

static void policy_expire_half(void **state)
{
	struct kh_opts o = popts(SUB("half"), 2000);
	struct kh_host *a;
	uint64_t t0, closed;

	(void)state;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, P.port[0], &o));
	t0 = kh_now_ms();
	HN_ASSERT_OK(kh_keep_alive(a));
	HN_ASSERT_OK(kh_wait_closed(a, 2000 + SLACK_MS, &closed));
	assert_expiry(t0, closed, 1000);
	kh_close(a);
	hn_pass(&P);
}

static void policy_expire_never(void **state)
{
	struct kh_opts o = popts(SUB("never"), 1000);
	struct kh_host *a;
	struct nvme_id_ctrl id;

	(void)state;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, P.port[0], &o));
	sleep_ms(2500);
	assert_false(peer_closed(a));
	HN_ASSERT_OK(kh_identify_ctrl(a, &id));
	kh_close(a);
	hn_pass(&P);
}

/* Connects on port, checks whether Identify advertises TBKAS (CTRATT bit 6),
 * sends one Keep Alive, then only I/O every 250 ms: the controller must
 * still expire KATO (1000 ms) after that Keep Alive, the I/O re-arming
 * nothing. Shared by the "ignore traffic" policy and "TBKAS off". */
static void io_does_not_rearm(uint16_t port, const struct kh_opts *o, bool tbkas_advertised)
{
	struct kh_host *a, *io;
	struct nvme_id_ctrl id;
	uint64_t t0, closed;

	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, port, o));
	HN_ASSERT_OK(kh_identify_ctrl(a, &id));
	assert_int_equal((le32toh(id.ctratt) >> 6) & 1, tbkas_advertised);
	t0 = kh_now_ms();
	HN_ASSERT_OK(kh_keep_alive(a));
	HN_ASSERT_OK(kh_io_up(&io, a, HN_ADDR, port, 1, NULL, NULL));
	for (int i = 0; i < 3; i++) {
		sleep_ms(250);
		HN_ASSERT_OK(kh_flush(io, 1));
	}
	HN_ASSERT_OK(kh_wait_closed(a, 1000 + SLACK_MS + 1000, &closed));
	assert_expiry(t0, closed, 1000);
	kh_close(io);
	kh_close(a);
}

/* TBKAS advertised, traffic ignored: I/O does not keep the controller. */
static void policy_ignore_traffic(void **state)
{
	struct kh_opts o = popts(SUB("ignore"), 1000);

	(void)state;
	io_does_not_rearm(P.port[0], &o, true);
	hn_pass(&P);
}

static void policy_refuse_set_kato(void **state)
{
	struct kh_opts o = popts(SUB("refuse"), 5000);
	struct kh_host *a;
	uint32_t kato = 0;

	(void)state;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, P.port[0], &o));
	int rc = kh_set_features(a, NVME_FEAT_FID_KATO, 1000, NULL);
	HN_ASSERT_SC(rc, NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	HN_ASSERT_OK(kh_get_features(a, NVME_FEAT_FID_KATO, 0, &kato));
	assert_int_equal(kato, 5000);
	kh_close(a);
	hn_pass(&P);
}

/* Another KAS (20: 2 s) is advertised and KATO rounds to it. */
static void policy_kas(void **state)
{
	struct kh_opts o = popts(SUB("kas"), 1050);
	struct kh_host *a;
	struct nvme_id_ctrl id;
	uint32_t kato = 0;

	(void)state;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, P.port[0], &o));
	HN_ASSERT_OK(kh_identify_ctrl(a, &id));
	assert_int_equal(le16toh(id.kas), 20);
	HN_ASSERT_OK(kh_get_features(a, NVME_FEAT_FID_KATO, 0, &kato));
	assert_int_equal(kato, 2000);
	HN_ASSERT_OK(kh_set_features(a, NVME_FEAT_FID_KATO, 2001, NULL));
	HN_ASSERT_OK(kh_get_features(a, NVME_FEAT_FID_KATO, 0, &kato));
	assert_int_equal(kato, 4000);
	kh_close(a);
	hn_pass(&P);
}

/* Keep Alive completed late (300 ms) with a chosen status; the re-arm is
 * still at receipt. */
static void policy_delay_and_status(void **state)
{
	struct kh_opts o = popts(SUB("status"), 5000);
	struct kh_host *a;

	(void)state;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, P.port[0], &o));
	uint64_t t0 = kh_now_ms();
	int rc = kh_keep_alive(a);
	uint64_t dt = kh_now_ms() - t0;
	HN_ASSERT_SC(rc, NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	assert_true(rc & KH_DNR);
	if (dt < 300 || dt > 300 + SLACK_MS)
		fail_msg("Keep Alive completed after %llu ms, expected 300..%u", (unsigned long long)dt,
			 300 + SLACK_MS);
	/* other commands are not delayed */
	t0 = kh_now_ms();
	HN_ASSERT_OK(kh_get_features(a, NVME_FEAT_FID_KATO, 0, NULL));
	assert_true(kh_now_ms() - t0 < 200);
	kh_close(a);
	hn_pass(&P);
}

/* Per controller id (4000) beats nothing; per host (HN_HOSTNQN2) drops. */
static void policy_by_cntlid_and_host(void **state)
{
	struct kh_opts o = popts(SUB("id"), 5000);
	struct kh_host *a;
	uint64_t t0, closed;

	(void)state;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, P.port[0], &o));
	assert_int_equal(kh_cntlid(a), 4000);
	t0 = kh_now_ms();
	HN_ASSERT_OK(kh_keep_alive(a));
	assert_true(kh_now_ms() - t0 >= 400);
	kh_close(a);

	/* the host rule: Keep Alive never completes, but it did re-arm */
	o = popts(HN_SUBNQN, 1000);
	o.hostnqn = HN_HOSTNQN2;
	o.timeout_ms = 600;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, P.port[0], &o));
	sleep_ms(500);
	t0 = kh_now_ms();
	assert_int_equal(kh_keep_alive(a), -ETIMEDOUT);
	HN_ASSERT_OK(kh_wait_closed(a, 1000 + SLACK_MS + 1000, &closed));
	assert_expiry(t0, closed, 1000);
	kh_close(a);
	hn_pass(&P);
}

/* The trace has one JSON line per event, for every kind this run caused. */
static void trace_lines(void **state)
{
	static const char *const events[] = { "connect", "keep_alive", "traffic_rearm", "set_kato",
					      "policy", "expiry", "teardown" };
	bool seen[7] = { false };
	char line[2048];
	unsigned n = 0;

	(void)state;
	FILE *f = fopen(hn_path(&P, "trace.jsonl"), "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		assert_true(len > 2 && line[len - 1] == '\n');
		if (strncmp(line, "{\"mono_us\":", 11) != 0 || line[len - 2] != '}')
			fail_msg("not a trace line: %s", line);
		for (size_t i = 0; i < 7; i++) {
			char key[64];
			snprintf(key, sizeof(key), "\"event\":\"%s\"", events[i]);
			if (strstr(line, key))
				seen[i] = true;
		}
		if (strstr(line, "\"event\":\"expiry\"") && !strstr(line, "\"late_ms\":"))
			fail_msg("expiry without late_ms: %s", line);
		n++;
	}
	fclose(f);
	for (size_t i = 0; i < 7; i++)
		if (!seen[i])
			fail_msg("no \"%s\" event in %u trace lines", events[i], n);
	hn_pass(&P);
}

/* The probe, as a library call and as the `kaprobe` program. */
static void probe_runs(void **state)
{
	struct kp_opts o = { .addr = HN_ADDR, .port = P.port[0], .subnqn = HN_SUBNQN, .kato_ms = 1000,
			     .mode = KP_IO, .count = 3, .interval_ms = 300 };
	struct kp_result r;
	char err[256] = "";

	(void)state;
	int rc = kp_run(&o, &r, err, sizeof(err));
	if (rc)
		fail_msg("kp_run: %d %s", rc, err);
	assert_int_equal(r.kato_ms, 1000);
	assert_true(r.tbkas);
	assert_int_equal(r.sent, 3);
	if (r.late_ms < 0 || r.late_ms > SLACK_MS)
		fail_msg("closed %lld ms after the deadline", (long long)r.late_ms);
	assert_true(r.io_closed);

	/* the program, next to katod in the build tree */
	char cmd[1024], out[1024] = "";
	const char *katod = hn_katod_bin();
	assert_non_null(katod);
	snprintf(cmd, sizeof(cmd), "%s", katod);
	char *slash = strrchr(cmd, '/');
	assert_non_null(slash);
	snprintf(slash + 1, sizeof(cmd) - (size_t)(slash + 1 - cmd),
		 "kaprobe -a %s -s %u -n %s -k 1000 -c 2 -i 300 --json", HN_ADDR, P.port[0], HN_SUBNQN);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t got = fread(out, 1, sizeof(out) - 1, p);
	out[got] = '\0';
	assert_int_equal(pclose(p), 0);
	const char *late = strstr(out, "\"late_ms\":");
	if (!late)
		fail_msg("kaprobe printed: %s", out);
	long l = strtol(late + 10, NULL, 10);
	if (l < 0 || l > SLACK_MS)
		fail_msg("kaprobe: closed %ld ms after the deadline: %s", l, out);
	assert_non_null(strstr(out, "\"sent\":2"));
	hn_pass(&P);
}

/* TBKAS off (a third katod): not advertised, and I/O does not re-arm. */
static void tbkas_off(void **state)
{
	static struct hn_katod Q;
	static const char QCONFIG[] = HN_CONFIG_ONE("{\"backend\": \"null\", \"size\": \"1G\"}",
						   "{\"workers\": 1, \"keepalive\": {\"tbkas\": false}}");
	struct kh_opts o = opts(1000);

	(void)state;
	assert_int_equal(hn_init(&Q, 1), 0);
	if (hn_start(&Q, 1, QCONFIG, Q.port[0]))
		fail_msg("katod did not start");
	io_does_not_rearm(Q.port[0], &o, false);
	hn_cleanup(&Q);
	hn_pass(&K);
}

#define T(f) HN_TEST(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(expires_without_traffic),
		T(keep_alive_keeps_it),
		T(set_features_changes_kato),
		T(kato_rounded_to_kas),
		T(kato_zero_never_expires),
		T(tbkas_off),
	};
	/* policy_* and the trace test run in order: trace_lines reads what
	 * the tests before it caused */
	const struct CMUnitTest ptests[] = {
		T(keep_alive_kato0_invalid),
		T(io_traffic_rearms),
		T(discovery_activity_timeout),
		T(policy_expire_half),
		T(policy_expire_never),
		T(policy_ignore_traffic),
		T(policy_refuse_set_kato),
		T(policy_kas),
		T(policy_delay_and_status),
		T(policy_by_cntlid_and_host),
		T(probe_runs),
		T(trace_lines),
	};

	int failed = cmocka_run_group_tests(tests, group_setup, hn_group_teardown);
	failed += cmocka_run_group_tests_name("policy", ptests, pgroup_setup, hn_group_teardown);
	return failed;
}

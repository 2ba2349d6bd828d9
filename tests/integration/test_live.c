/*
 * test_live.c - live changes to a running katod (daemon/core/live.c): with hosts
 * from the test initiator connected and I/O in flight, the configuration
 * file is rewritten and applied with the "reload" method or SIGHUP.
 *   - a namespace added appears in Identify CNS 02h, a held AER completes
 *     with the Namespace Attribute Changed notice and log 04h lists it;
 *   - a namespace removed answers Invalid Namespace to new commands while a
 *     write to it that was waiting for its data (R2T) still completes, and
 *     I/O on the other namespace carries on; its backend is closed once
 *     drained;
 *   - a removed subsystem's controllers are closed;
 *   - an added port accepts Connects, a removed one refuses TCP and its
 *     controllers are closed;
 *   - a persistent discovery controller gets the Discovery Log Page Change
 *     notice and a higher genctr;
 *   - changed allowed hosts apply to new Connects (existing controllers
 *     stay), a subsystem unlinked from a port loses the controllers that
 *     came through it, the log level changes;
 *   - a bad file, or a setting that changes only at restart, changes
 *     nothing and the error names the JSON path / the setting; a refused
 *     reload naming a new keep-alive trace file leaves no file behind.
 * Each test runs its own katod.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "tests/host/host.h"
#include "tests/integration/harness.h"
#include "tests/integration/harness_ctl.h"

#define SUB2 "nqn.2026-11.io.kato:live-two"
#define AEC_NS_NOTICE (1u << 8)
#define AEC_DISC_NOTICE (1u << 31)
#define OPC_AER 0x0c

static struct hn_katod K;

/* ---- configurations ----------------------------------------------------- */

/* ports: port[0] always, port[1] when port1 is set; subsystem HN_SUBNQN
 * with the namespaces in nsids (ram, 8 MiB each) on every port; SUB2 (one
 * null namespace) when sub2 is set. extra goes into the "katod" section. */
static const char *config(bool port1, bool sub2, const char *nsids, const char *extra)
{
	static char buf[8192];
	char ns[2048] = "";
	char port1s[512] = "";
	for (const char *p = nsids; *p; p++)
		snprintf(ns + strlen(ns), sizeof(ns) - strlen(ns),
			 "%s{\"nsid\": %c, \"device\": {\"backend\": \"ram\", \"size\": \"8M\"}}",
			 p == nsids ? "" : ", ", *p);
	if (port1)
		snprintf(port1s, sizeof(port1s),
			 ", {\"portid\": 2, \"addr\": {\"trtype\": \"tcp\", \"adrfam\": \"ipv4\", \"traddr\": \"" HN_ADDR
			 "\", \"trsvcid\": \"%u\"}, \"subsystems\": [\"" HN_SUBNQN "\"]}",
			 K.port[1]);
	snprintf(buf, sizeof(buf),
		 "{\"ports\": [{\"portid\": 1, \"addr\": {\"trtype\": \"tcp\", \"adrfam\": \"ipv4\", \"traddr\": \"" HN_ADDR
		 "\", \"trsvcid\": \"%u\"}, \"subsystems\": [\"" HN_SUBNQN "\"%s]}%s],\n"
		 " \"subsystems\": [{\"nqn\": \"" HN_SUBNQN "\", \"attr\": {\"allow_any_host\": \"1\"},"
		 " \"namespaces\": [%s]}%s],\n"
		 " \"katod\": {\"workers\": 2, \"log_level\": \"debug\"%s}}\n",
		 K.port[0], sub2 ? ", \"" SUB2 "\"" : "", port1s, ns,
		 sub2 ? ", {\"nqn\": \"" SUB2 "\", \"attr\": {\"allow_any_host\": \"1\"}, \"namespaces\": "
			"[{\"nsid\": 1, \"device\": {\"backend\": \"null\", \"size\": \"1G\"}}]}"
		      : "",
		 extra ? extra : "");
	return buf;
}

static int start(bool port1, bool sub2, const char *nsids)
{
	if (hn_init(&K, 2))
		return -1;
	hn_test_begin(&K);
	return hn_start(&K, 1, "%s", config(port1, sub2, nsids, NULL));
}

/* Every test's teardown, even after a failed assertion: katod must exit
 * cleanly (SIGTERM: drained, no leak under ASan); the log is printed if
 * anything went wrong. */
static int teardown(void **state)
{
	(void)state;
	return hn_teardown(&K);
}

/* ---- the control socket ------------------------------------------------- */

/* Sends one JSON-RPC request; returns the response (caller puts it). */
static struct json_object *rpc(const char *method, const char *params)
{
	struct hn_ctl *c = hn_ctl_open(&K);
	struct json_object *o = hn_ctl_request(c, method, params, NULL);
	hn_ctl_close(c);
	return o;
}

static void reload_ok(const char *text)
{
	HN_ASSERT_OK(hn_write_file(&K, "katod.json", text));
	struct json_object *r = rpc("reload", NULL);
	if (!json_object_object_get_ex(r, "result", NULL))
		fail_msg("reload: %s", json_object_to_json_string(r));
	json_object_put(r);
}

/* reload must fail with a message containing words. */
static void reload_fails(const char *text, const char *words)
{
	HN_ASSERT_OK(hn_write_file(&K, "katod.json", text));
	struct json_object *r = rpc("reload", NULL), *e = NULL, *m = NULL;
	if (!json_object_object_get_ex(r, "error", &e) || !json_object_object_get_ex(e, "message", &m))
		fail_msg("reload: expected an error, got %s", json_object_to_json_string(r));
	if (!strstr(json_object_get_string(m), words))
		fail_msg("reload error \"%s\" does not say \"%s\"", json_object_get_string(m), words);
	json_object_put(r);
}

/* ---- host helpers ------------------------------------------------------- */

/* Connect (as hostnqn) and enable; the Connect status, 0 with *out set. */
static int try_admin(struct kh_host **out, uint16_t port, const char *subnqn, const char *hostnqn)
{
	struct kh_opts o = { .subnqn = subnqn, .hostnqn = hostnqn, .kato_ms = 30000 };
	*out = NULL;
	return kh_admin_up(out, HN_ADDR, port, &o);
}

static struct kh_host *admin(uint16_t port, const char *subnqn, uint32_t aec)
{
	struct kh_opts o = { .subnqn = subnqn, .hostnqn = HN_HOSTNQN, .kato_ms = 30000 };
	struct kh_host *a = NULL;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, port, &o));
	uint32_t dw0;
	if (aec)
		HN_ASSERT_OK(kh_set_features(a, NVME_FEAT_FID_ASYNC_EVENT, aec, &dw0));
	return a;
}

static int submit_aer(struct kh_host *a)
{
	struct kt_sqe sqe;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = OPC_AER;
	int cid = kh_submit(a, &sqe, NULL, 0, KH_NONE, 0, NULL);
	assert_true(cid >= 0);
	return cid;
}

/* The AER cid completes with dw0 (type, info, log page). */
static void expect_aer(struct kh_host *a, int cid, uint32_t dw0)
{
	struct kh_done d;
	HN_ASSERT_OK(kh_wait(a, (uint16_t)cid, &d));
	assert_int_equal(d.status, 0);
	assert_int_equal(le32toh(d.cqe.dw0), dw0);
}

static uint32_t aen_dw0(uint8_t type, uint8_t info, uint8_t lid)
{
	return type | (uint32_t)info << 8 | (uint32_t)lid << 16;
}

/* Identify CNS 02h: the active NSIDs, as a string of digits ("13"). */
static void active_ns(struct kh_host *a, char *out)
{
	static uint32_t list[1024];
	HN_ASSERT_OK(kh_identify(a, NVME_IDENTIFY_CNS_NS_ACTIVE_LIST, 0, 0, list));
	size_t n = 0;
	for (size_t i = 0; i < 1024 && list[i]; i++)
		out[n++] = (char)('0' + le32toh(list[i]));
	out[n] = '\0';
}

/* Log 04h: the changed NSIDs as digits. */
static void changed_ns(struct kh_host *a, char *out)
{
	static uint32_t list[1024];
	HN_ASSERT_OK(kh_get_log(a, NVME_LOG_LID_CHANGED_NS, 0xffffffffu, 0, 0, list, sizeof(list)));
	size_t n = 0;
	for (size_t i = 0; i < 1024 && list[i]; i++)
		out[n++] = (char)('0' + le32toh(list[i]));
	out[n] = '\0';
}

static int rw(struct kh_host *io, uint8_t opc, uint32_t nsid, uint64_t slba)
{
	static uint8_t buf[4096];
	struct kt_sqe sqe;
	kh_sqe_rw(&sqe, opc, nsid, slba, 8);
	memset(buf, (int)slba, sizeof(buf));
	return kh_io(io, &sqe, buf, sizeof(buf), opc == nvme_cmd_write ? KH_H2C : KH_C2H, NULL);
}

static bool tcp_refused(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, HN_ADDR, &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(fd);
	return rc < 0 && e == ECONNREFUSED;
}

/* Background I/O on namespace 1 through its own queue while the main
 * thread changes the target: write, read back, compare, until told to stop. */
struct loader {
	struct kh_host *io;
	pthread_t thread;
	atomic_bool stop;
	unsigned long ops, errors;
};

static void *load(void *arg)
{
	struct loader *l = arg;
	static uint8_t wbuf[4096], rbuf[4096];
	/* blocks 0..8191; the main thread's own I/O on namespace 1 is above */
	for (uint64_t lba = 0; !atomic_load(&l->stop); lba = (lba + 8) % 8192) {
		struct kt_sqe sqe;
		memset(wbuf, (int)(lba * 7 + l->ops), sizeof(wbuf));
		kh_sqe_rw(&sqe, nvme_cmd_write, 1, lba, 8);
		int rc = kh_io(l->io, &sqe, wbuf, sizeof(wbuf), KH_H2C, NULL);
		kh_sqe_rw(&sqe, nvme_cmd_read, 1, lba, 8);
		if (rc == 0)
			rc = kh_io(l->io, &sqe, rbuf, sizeof(rbuf), KH_C2H, NULL);
		if (rc || memcmp(wbuf, rbuf, sizeof(rbuf))) {
			if (!l->errors++)
				fprintf(stderr, "load: block %llu: %s %d\n", (unsigned long long)lba,
					rc ? "status" : "data differs", rc);
		}
		l->ops++;
	}
	return NULL;
}

static void load_start(struct loader *l, struct kh_host *admin_host, uint16_t qid)
{
	memset(l, 0, sizeof(*l));
	HN_ASSERT_OK(kh_io_up(&l->io, admin_host, HN_ADDR, K.port[0], qid, NULL, NULL));
	assert_int_equal(pthread_create(&l->thread, NULL, load, l), 0);
}

static void load_stop(struct loader *l)
{
	atomic_store(&l->stop, true);
	pthread_join(l->thread, NULL);
	kh_close(l->io);
	assert_true(l->ops > 0);
	assert_int_equal(l->errors, 0);
}

/* ---- tests -------------------------------------------------------------- */

/* Namespaces added and removed under I/O; events and drain. */
static void namespaces_live(void **state)
{
	(void)state;
	static uint8_t big[64 * 1024];
	char ids[64];
	assert_int_equal(start(false, false, "12"), 0);
	struct kh_host *a = admin(K.port[0], HN_SUBNQN, AEC_NS_NOTICE), *io = NULL;
	struct nvme_id_ctrl id;
	HN_ASSERT_OK(kh_identify_ctrl(a, &id));
	assert_true(le32toh(id.oaes) & (1u << 8)); /* Namespace Attribute Notices advertised */
	HN_ASSERT_OK(kh_io_up(&io, a, HN_ADDR, K.port[0], 1, NULL, NULL));
	int aer = submit_aer(a);
	HN_ASSERT_OK(rw(io, nvme_cmd_write, 2, 0));
	struct loader l;
	load_start(&l, a, 2);

	/* a write to namespace 2 waits for its data while 2 is removed */
	struct kt_sqe sqe;
	kh_sqe_rw(&sqe, nvme_cmd_write, 2, 64, sizeof(big) / 512);
	memset(big, 0xab, sizeof(big));
	int wcid = kh_submit(io, &sqe, big, sizeof(big), KH_H2C, KH_F_NO_ICD | KH_F_HOLD_R2T, NULL);
	assert_true(wcid >= 0);
	uint16_t ttag;
	uint32_t off, r2tl;
	HN_ASSERT_OK(kh_r2t_wait(io, (uint16_t)wcid, &ttag, &off, &r2tl));

	reload_ok(config(false, false, "1", NULL));
	expect_aer(a, aer, aen_dw0(NVME_AER_NOTICE, NVME_AER_NOTICE_NS_CHANGED, NVME_LOG_LID_CHANGED_NS));
	changed_ns(a, ids);
	assert_string_equal(ids, "2");
	active_ns(a, ids);
	assert_string_equal(ids, "1");
	/* new commands: Invalid Namespace; the other namespace carries on */
	HN_ASSERT_SC(rw(io, nvme_cmd_read, 2, 0), NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
	HN_ASSERT_OK(rw(io, nvme_cmd_write, 1, 8200));
	HN_ASSERT_OK(rw(io, nvme_cmd_read, 1, 8200));
	/* the held write finishes against the still-open backend */
	assert_false(hn_log_wait(&K, "drained", 300) == 0);
	for (uint32_t o = off; o < sizeof(big); o += r2tl < sizeof(big) - o ? r2tl : (uint32_t)sizeof(big) - o) {
		uint32_t n = sizeof(big) - o < r2tl ? (uint32_t)(sizeof(big) - o) : r2tl;
		HN_ASSERT_OK(kh_send_h2c(io, (uint16_t)wcid, ttag, o, big + o, n, o + n == sizeof(big)));
		if (o + n < sizeof(big))
			HN_ASSERT_OK(kh_r2t_wait(io, (uint16_t)wcid, &ttag, &off, &r2tl));
	}
	struct kh_done d;
	HN_ASSERT_OK(kh_wait(io, (uint16_t)wcid, &d));
	assert_int_equal(d.status, 0);
	assert_int_equal(hn_log_wait(&K, "namespace 2: drained", 3000), 0);

	/* added back (a new, empty namespace) and a third one */
	aer = submit_aer(a);
	reload_ok(config(false, false, "123", NULL));
	expect_aer(a, aer, aen_dw0(NVME_AER_NOTICE, NVME_AER_NOTICE_NS_CHANGED, NVME_LOG_LID_CHANGED_NS));
	changed_ns(a, ids);
	assert_string_equal(ids, "23");
	active_ns(a, ids);
	assert_string_equal(ids, "123");
	HN_ASSERT_OK(rw(io, nvme_cmd_write, 3, 0));
	HN_ASSERT_OK(rw(io, nvme_cmd_read, 2, 0));
	/* churn: namespaces 2 and 3 go and come back while the load runs */
	for (int i = 0; i < 20; i++)
		reload_ok(config(false, false, i % 2 ? "123" : "1", NULL));
	load_stop(&l);
	/* the notice the churn queued is delivered on the next AER */
	aer = submit_aer(a);
	expect_aer(a, aer, aen_dw0(NVME_AER_NOTICE, NVME_AER_NOTICE_NS_CHANGED, NVME_LOG_LID_CHANGED_NS));
	changed_ns(a, ids); /* clears the list (and the notice mask) */
	assert_string_equal(ids, "23");
	/* the same file again: nothing changes, no event */
	aer = submit_aer(a);
	reload_ok(config(false, false, "123", NULL));
	kh_set_timeout(a, 300);
	assert_int_equal(kh_wait(a, (uint16_t)aer, &d), -ETIMEDOUT);
	kh_close(io);
	kh_close(a);
	hn_pass(&K);
}

/* A removed subsystem's controllers are closed; SIGHUP applies too. */
static void subsystem_removed(void **state)
{
	(void)state;
	assert_int_equal(start(false, true, "1"), 0);
	struct kh_host *a = admin(K.port[0], SUB2, 0), *io = NULL, *keep = admin(K.port[0], HN_SUBNQN, 0);
	HN_ASSERT_OK(kh_io_up(&io, a, HN_ADDR, K.port[0], 1, NULL, NULL));
	HN_ASSERT_OK(rw(io, nvme_cmd_read, 1, 0));
	HN_ASSERT_OK(hn_write_file(&K, "katod.json", config(false, false, "1", NULL)));
	assert_int_equal(kill(K.pid, SIGHUP), 0);
	HN_ASSERT_OK(kh_wait_closed(a, 3000, NULL));
	HN_ASSERT_OK(kh_wait_closed(io, 3000, NULL));
	assert_int_equal(hn_log_wait(&K, "SIGHUP: reloaded", 3000), 0);
	assert_int_equal(hn_log_wait(&K, "subsystem " SUB2 ": no controller left, freed", 3000), 0);
	/* the other subsystem's controller lives on; the removed one refuses */
	HN_ASSERT_OK(kh_keep_alive(keep));
	struct kh_opts o = { .subnqn = SUB2 };
	struct kh_host *x = NULL;
	assert_true(kh_admin_up(&x, HN_ADDR, K.port[0], &o) != 0);
	kh_close(a);
	kh_close(io);
	kh_close(keep);
	hn_pass(&K);
}

/* Ports come and go; a persistent discovery controller is told. */
static void ports_and_discovery(void **state)
{
	(void)state;
	static uint8_t log[4096];
	assert_int_equal(start(false, false, "1"), 0);
	assert_true(tcp_refused(K.port[1]));
	struct kh_host *disc = admin(K.port[0], NULL, AEC_DISC_NOTICE);
	HN_ASSERT_OK(kh_get_log(disc, NVME_LOG_LID_DISCOVER, 0, 0, 0, log, sizeof(log)));
	uint64_t gen0 = le64toh(((struct nvmf_discovery_log *)log)->genctr);
	uint64_t n0 = le64toh(((struct nvmf_discovery_log *)log)->numrec);
	int aer = submit_aer(disc);

	reload_ok(config(true, false, "1", NULL));
	expect_aer(disc, aer, aen_dw0(NVME_AER_NOTICE, NVME_AER_NOTICE_DISC_CHANGED, NVME_LOG_LID_DISCOVER));
	HN_ASSERT_OK(kh_get_log(disc, NVME_LOG_LID_DISCOVER, 0, 0, 0, log, sizeof(log)));
	assert_true(le64toh(((struct nvmf_discovery_log *)log)->genctr) > gen0);
	gen0 = le64toh(((struct nvmf_discovery_log *)log)->genctr);
	assert_int_equal(le64toh(((struct nvmf_discovery_log *)log)->numrec), n0 + 1);
	struct kh_host *a = admin(K.port[1], HN_SUBNQN, 0), *io = NULL;
	HN_ASSERT_OK(kh_io_up(&io, a, HN_ADDR, K.port[1], 1, NULL, NULL));
	HN_ASSERT_OK(rw(io, nvme_cmd_write, 1, 0));

	aer = submit_aer(disc);
	reload_ok(config(false, false, "1", NULL));
	HN_ASSERT_OK(kh_wait_closed(a, 3000, NULL));
	HN_ASSERT_OK(kh_wait_closed(io, 3000, NULL));
	assert_true(tcp_refused(K.port[1]));
	expect_aer(disc, aer, aen_dw0(NVME_AER_NOTICE, NVME_AER_NOTICE_DISC_CHANGED, NVME_LOG_LID_DISCOVER));
	HN_ASSERT_OK(kh_get_log(disc, NVME_LOG_LID_DISCOVER, 0, 0, 0, log, sizeof(log)));
	assert_true(le64toh(((struct nvmf_discovery_log *)log)->genctr) > gen0);
	assert_int_equal(le64toh(((struct nvmf_discovery_log *)log)->numrec), n0);
	/* the port object is freed once its queues are gone */
	assert_int_equal(hn_log_wait(&K, "port 2: no connection left, freed", 3000), 0);
	kh_close(a);
	kh_close(io);
	kh_close(disc);
	hn_pass(&K);
}

/* Port 1 (K.port[0]) exports the subsystem; port 2 (K.port[1]) exports
 * port2_subs; allow_any and the allowed hosts as given. */
static const char *config_attr(const char *allow_any, const char *allowed, const char *port2_subs,
			       const char *log_level)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf),
		 "{\"hosts\": [{\"nqn\": \"" HN_HOSTNQN2 "\"}],\n"
		 " \"ports\": [{\"portid\": 1, \"addr\": {\"traddr\": \"" HN_ADDR "\", \"trsvcid\": \"%u\"},"
		 " \"subsystems\": [\"" HN_SUBNQN "\"]},\n"
		 "   {\"portid\": 2, \"addr\": {\"traddr\": \"" HN_ADDR "\", \"trsvcid\": \"%u\"},"
		 " \"subsystems\": [%s]}],\n"
		 " \"subsystems\": [{\"nqn\": \"" HN_SUBNQN "\", \"attr\": {\"allow_any_host\": \"%s\"},"
		 " \"allowed_hosts\": [%s],"
		 " \"namespaces\": [{\"nsid\": 1, \"device\": {\"backend\": \"ram\", \"size\": \"8M\"}}]}],\n"
		 " \"katod\": {\"workers\": 2, \"log_level\": \"%s\"}}\n",
		 K.port[0], K.port[1], port2_subs, allow_any, allowed, log_level);
	return buf;
}

/* Changed subsystem attributes apply to new Connects, existing
 * controllers stay; a subsystem unlinked from a port loses the controllers
 * that came through that port; the log level changes live. */
static void attributes_and_unlink(void **state)
{
	(void)state;
	assert_int_equal(hn_init(&K, 2), 0);
	hn_test_begin(&K);
	assert_int_equal(hn_start(&K, 2, "%s", config_attr("1", "", "\"" HN_SUBNQN "\"", "debug")), 0);
	struct kh_host *a1 = admin(K.port[0], HN_SUBNQN, 0), *a2 = admin(K.port[1], HN_SUBNQN, 0), *x;

	reload_ok(config_attr("0", "\"" HN_HOSTNQN2 "\"", "", "debug"));
	HN_ASSERT_OK(kh_wait_closed(a2, 3000, NULL));      /* came through port 2 */
	HN_ASSERT_OK(kh_keep_alive(a1));                   /* admitted before: stays */
	assert_true(try_admin(&x, K.port[0], HN_SUBNQN, HN_HOSTNQN) != 0); /* no longer allowed */
	HN_ASSERT_OK(try_admin(&x, K.port[0], HN_SUBNQN, HN_HOSTNQN2));
	kh_close(x);
	assert_true(try_admin(&x, K.port[1], HN_SUBNQN, HN_HOSTNQN2) != 0); /* not on port 2 now */

	reload_ok(config_attr("0", "\"" HN_HOSTNQN2 "\"", "", "info"));
	assert_int_equal(hn_log_wait(&K, "log level now info", 3000), 0);
	HN_ASSERT_OK(kh_keep_alive(a1));
	kh_close(a1);
	kh_close(a2);
	hn_pass(&K);
}

/* Refusals change nothing. */
static void refusals(void **state)
{
	(void)state;
	char ids[64];
	assert_int_equal(start(false, false, "1"), 0);
	struct kh_host *a = admin(K.port[0], HN_SUBNQN, 0);
	char *p;
	reload_fails("{\"subsystems\": [{\"nqn\": \"" HN_SUBNQN "\", \"namespaces\": [{\"nsid\": \"x\"}]}]}",
		     "subsystems[0].namespaces[0].nsid");
	char workers[8192];
	snprintf(workers, sizeof(workers), "%s", config(false, false, "12", NULL));
	p = strstr(workers, "\"workers\": 2");
	assert_non_null(p);
	p[strlen("\"workers\": ")] = '3';
	reload_fails(workers, "katod.workers changes only at restart");
	/* a namespace whose file is missing: the error names it, and the port
	 * added in the same file was never opened */
	char bad[8192];
	snprintf(bad, sizeof(bad), "%s", config(true, false, "12", NULL));
	p = strstr(bad, "{\"nsid\": 2, \"device\": {\"backend\": \"ram\", \"size\": \"8M\"}}");
	assert_non_null(p);
	const char *repl = "{\"nsid\": 2, \"device\": {\"path\": \"/nonexistent/kato.img\"}}";
	char tail[8192];
	snprintf(tail, sizeof(tail), "%s", p + strlen("{\"nsid\": 2, \"device\": {\"backend\": \"ram\", \"size\": \"8M\"}}"));
	snprintf(p, sizeof(bad) - (size_t)(p - bad), "%s%s", repl, tail);
	reload_fails(bad, "subsystem " HN_SUBNQN " namespace 2: open /nonexistent/kato.img");
	assert_true(tcp_refused(K.port[1]));
	/* a ram namespace cannot change size */
	char grow[8192];
	snprintf(grow, sizeof(grow), "%s", config(false, false, "1", NULL));
	p = strstr(grow, "\"8M\"");
	assert_non_null(p);
	memcpy(p, "\"9M\"", 4);
	reload_fails(grow, "cannot change size, block size, nguid or uuid live");
	/* nor its identity: a new uuid would mean new, empty memory */
	char reid[8192];
	snprintf(reid, sizeof(reid), "%s", config(false, false, "1", NULL));
	p = strstr(reid, "\"size\": \"8M\"}");
	assert_non_null(p);
	static const char withuuid[] = "\"size\": \"8M\", \"uuid\": \"6b61746f-0000-4000-8000-000000000002\"}";
	snprintf(tail, sizeof(tail), "%s", p + strlen("\"size\": \"8M\"}"));
	snprintf(p, sizeof(reid) - (size_t)(p - reid), "%s%s", withuuid, tail);
	reload_fails(reid, "cannot change size, block size, nguid or uuid live");
	/* SIGHUP with a bad file: logged, nothing changed */
	HN_ASSERT_OK(hn_write_file(&K, "katod.json", "{\"ports\": 1}"));
	assert_int_equal(kill(K.pid, SIGHUP), 0);
	assert_int_equal(hn_log_wait(&K, "SIGHUP: reload of", 3000), 0);
	active_ns(a, ids);
	assert_string_equal(ids, "1");
	HN_ASSERT_OK(kh_keep_alive(a));
	kh_close(a);
	hn_pass(&K);
}

/* A refused reload that names a new keep-alive trace file leaves nothing
 * behind: the file the check created is removed, a file that was there
 * already stays as it was; an accepted one creates it. */
static void trace_file_refused(void **state)
{
	(void)state;
	assert_int_equal(start(false, false, "1"), 0);
	char made[512], kept[512], extra[1200], bad[8192], tail[8192];
	snprintf(made, sizeof(made), "%s", hn_path(&K, "ka-trace-new.jsonl"));
	snprintf(kept, sizeof(kept), "%s", hn_path(&K, "ka-trace-old.jsonl"));
	HN_ASSERT_OK(hn_write_file(&K, "ka-trace-old.jsonl", "before\n"));
	static const char good_ns[] = "{\"nsid\": 2, \"device\": {\"backend\": \"ram\", \"size\": \"8M\"}}";
	static const char bad_ns[] = "{\"nsid\": 2, \"device\": {\"path\": \"/nonexistent/kato.img\"}}";
	const char *paths[] = { made, kept };
	for (size_t i = 0; i < 2; i++) {
		/* namespace 2 cannot open: refused after the trace file was checked */
		snprintf(extra, sizeof(extra), ", \"keepalive\": {\"trace\": \"%s\"}", paths[i]);
		snprintf(bad, sizeof(bad), "%s", config(false, false, "12", extra));
		char *p = strstr(bad, good_ns);
		assert_non_null(p);
		snprintf(tail, sizeof(tail), "%s", p + strlen(good_ns));
		snprintf(p, sizeof(bad) - (size_t)(p - bad), "%s%s", bad_ns, tail);
		reload_fails(bad, "namespace 2: open /nonexistent/kato.img");
	}
	assert_int_equal(access(made, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	FILE *f = fopen(kept, "r");
	assert_non_null(f);
	char line[64] = "";
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "before\n");
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
	/* the same trace file with a namespace that opens: created */
	snprintf(extra, sizeof(extra), ", \"keepalive\": {\"trace\": \"%s\"}", made);
	reload_ok(config(false, false, "12", extra));
	assert_int_equal(access(made, F_OK), 0);
	hn_pass(&K);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(namespaces_live, teardown),
		cmocka_unit_test_teardown(subsystem_removed, teardown),
		cmocka_unit_test_teardown(ports_and_discovery, teardown),
		cmocka_unit_test_teardown(attributes_and_unlink, teardown),
		cmocka_unit_test_teardown(refusals, teardown),
		cmocka_unit_test_teardown(trace_file_refused, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_auth.c - DH-HMAC-CHAP in-band authentication against a running
 * katod (daemon/core/auth.c over proto/auth.c), with the test initiator's
 * host side (tests/host/host_auth.c): Connect answers ATR on the admin and
 * every I/O queue of a host with a key and on no other; until a queue has
 * authenticated its commands are refused with Authentication Required
 * (Property Get/Set pass); the three hashes, the NULL group and FFDHE
 * groups; bidirectional authentication (the host checks R2); a wrong key
 * (Failure1, then the controller is failed as the kernel target does);
 * re-authentication; a key changed live over the control socket; a stalled
 * transaction dropped after KATO; hostile Authentication Send/Receive
 * commands refused without harm.
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
#include <sys/stat.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "proto/auth_msg.h"
#include "tests/host/host.h"
#include "tests/integration/harness.h"
#include "tests/integration/harness_ctl.h"

#define KEY0 "DHHC-1:00:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYOtVl3:"
#define KEY1 "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"
#define KEY2 "DHHC-1:02:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:"
#define KEY3 "DHHC-1:03:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P4zODhA=:"
#define KEYC "DHHC-1:00:ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoOeXryU:"
#define KEYX "DHHC-1:00:MjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUFGALiae:"

#define H256 "nqn.2026-11.io.kato:host-sha256"
#define H384 "nqn.2026-11.io.kato:host-sha384"
#define H512 "nqn.2026-11.io.kato:host-sha512"
#define HBIDI "nqn.2026-11.io.kato:host-bidi"
#define HNOKEY "nqn.2026-11.io.kato:host-nokey"
#define HLIVE "nqn.2026-11.io.kato:host-live"
#define OPEN_SUBNQN "nqn.2026-11.io.kato:open"

#define ST_AUTH_REQUIRED (KH_DNR | KH_STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_AUTH_REQUIRED))
#define ST_INVALID_FIELD (KH_DNR | KH_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD))

static struct hn_katod K;

static const char CONFIG[] =
	"{\n"
	"  \"hosts\": [\n"
	"    {\"nqn\": \"" H256 "\", \"attr\": {\"dhchap_key\": \"" KEY1 "\", \"dhchap_hash\": \"hmac(sha256)\"}},\n"
	"    {\"nqn\": \"" H384 "\", \"dhchap\": {\"key\": \"" KEY2 "\", \"hash\": \"hmac(sha384)\", \"dhgroup\": \"ffdhe2048\"}},\n"
	"    {\"nqn\": \"" H512 "\", \"dhchap\": {\"key\": \"" KEY3 "\", \"hash\": \"hmac(sha512)\", \"dhgroup\": \"ffdhe3072\"}},\n"
	"    {\"nqn\": \"" HBIDI "\", \"dhchap\": {\"key\": \"" KEY0 "\", \"ctrl_key\": \"" KEYC "\", \"dhgroup\": \"ffdhe2048\"}},\n"
	"    {\"nqn\": \"" HNOKEY "\"},\n"
	"    {\"nqn\": \"" HLIVE "\", \"dhchap\": {\"key\": \"" KEY0 "\"}}],\n"
	"  \"ports\": [{\"portid\": 1, \"addr\": {\"traddr\": \"" HN_ADDR "\", \"trsvcid\": \"%u\"},\n"
	"    \"subsystems\": [\"" HN_SUBNQN "\", \"" OPEN_SUBNQN "\"]}],\n"
	"  \"subsystems\": [{\"nqn\": \"" HN_SUBNQN "\",\n"
	"     \"allowed_hosts\": [\"" H256 "\", \"" H384 "\", \"" H512 "\", \"" HBIDI "\", \"" HNOKEY "\", \"" HLIVE "\"],\n"
	"     \"namespaces\": [{\"nsid\": 1, \"device\": {\"backend\": \"ram\", \"size\": \"1M\"}}]},\n"
	"    {\"nqn\": \"" OPEN_SUBNQN "\", \"attr\": {\"allow_any_host\": \"1\"},\n"
	"     \"namespaces\": [{\"nsid\": 1, \"device\": {\"backend\": \"ram\", \"size\": \"1M\"}}]}],\n"
	"  \"katod\": {\"workers\": 2, \"log_level\": \"debug\"}\n"
	"}\n";

static int group_setup(void **state)
{
	return hn_group_start(state, &K, 1, CONFIG);
}

static void opts(struct kh_opts *o, const char *hostnqn, const char *subnqn)
{
	memset(o, 0, sizeof(*o));
	o->hostnqn = hostnqn;
	o->subnqn = subnqn;
	o->kato_ms = 10000;
}

static bool atr(const struct kh_host *h)
{
	return (kh_connect_dw0(h) & KT_CONNECT_AUTHREQ_ATR) != 0;
}

/* An admin queue, enabled (Property Get/Set need no authentication). */
static struct kh_host *admin_up(const char *hostnqn, const char *subnqn, uint32_t kato_ms)
{
	struct kh_opts o;
	struct kh_host *a = NULL;
	opts(&o, hostnqn, subnqn);
	o.kato_ms = kato_ms;
	assert_int_equal(kh_admin_up(&a, HN_ADDR, K.port[0], &o), 0);
	return a;
}

static void auth_ok(struct kh_host *h, const char *key, const char *ctrl_key, struct kh_auth_info *info)
{
	struct kh_auth_opts ao = { .key = key, .ctrl_key = ctrl_key, .dhgid = -1 };
	int rc = kh_auth(h, &ao, info);
	if (rc)
		fail_msg("authentication failed: %d (%s), reason %u", rc, kh_errmsg(h),
			 info ? info->failure_reason : 0);
}

/* Identify Controller is refused with Authentication Required. */
static void refused(struct kh_host *h)
{
	struct nvme_id_ctrl id;
	assert_int_equal(kh_identify_ctrl(h, &id), ST_AUTH_REQUIRED);
}

/* A whole association of host/key: admin and I/O queue both ATR, both
 * refusing until authenticated, I/O working after. */
static void assoc(const char *hostnqn, const char *key, const char *ctrl_key, uint8_t want_hash,
		  uint8_t want_dh)
{
	struct kh_auth_info info;
	struct nvme_id_ctrl id;
	uint8_t buf[4096];

	struct kh_host *a = admin_up(hostnqn, HN_SUBNQN, 10000);
	assert_true(atr(a));
	refused(a);
	assert_int_equal(kh_keep_alive(a), ST_AUTH_REQUIRED);
	auth_ok(a, key, ctrl_key, &info);
	assert_int_equal(info.hash_id, want_hash);
	assert_int_equal(info.dhgid, want_dh);
	assert_int_equal(info.r2_checked, ctrl_key != NULL);
	assert_int_equal(kh_identify_ctrl(a, &id), 0);
	assert_int_equal(kh_set_features(a, NVME_FEAT_FID_NUM_QUEUES, 0x00010001, NULL), 0);

	struct kh_host *io = NULL;
	assert_int_equal(kh_io_up(&io, a, HN_ADDR, K.port[0], 1, NULL, NULL), 0);
	assert_true(atr(io));
	assert_int_equal(kh_read(io, 1, 0, 8, buf, sizeof(buf)), ST_AUTH_REQUIRED);
	auth_ok(io, key, ctrl_key, &info);
	assert_int_equal(kh_read(io, 1, 0, 8, buf, sizeof(buf)), 0);
	kh_close(io);
	kh_close(a);
}

static void t_hashes_and_groups(void **state)
{
	(void)state;
	assoc(H256, KEY1, NULL, 1, 0);
	assoc(H384, KEY2, NULL, 2, 1);
	assoc(H512, KEY3, NULL, 3, 2);
	assert_int_equal(hn_log_wait(&K, "host " H512 ": queue 1: authenticated (sha512, ffdhe3072)", 3000), 0);
	hn_pass(&K);
}

static void t_bidirectional(void **state)
{
	(void)state;
	assoc(HBIDI, KEY0, KEYC, 1, 1);
	assert_int_equal(hn_log_wait(&K, "host " HBIDI ": queue 0: authenticated (sha256, ffdhe2048, bidirectional)",
				     3000), 0);

	/* the host holds another controller key: R2 is wrong, it says so */
	struct kh_host *a = admin_up(HBIDI, HN_SUBNQN, 10000);
	struct kh_auth_opts ao = { .key = KEY0, .ctrl_key = KEYX, .dhgid = -1 };
	assert_int_equal(kh_auth(a, &ao, NULL), -EKEYREJECTED);
	assert_int_equal(kh_wait_closed(a, 5000, NULL), 0);
	kh_close(a);
	assert_int_equal(hn_log_wait(&K, "authentication failed: authentication failed (the host's Failure2)", 3000), 0);
	hn_pass(&K);
}

static void t_no_key_no_auth(void **state)
{
	(void)state;
	struct nvme_id_ctrl id;
	/* a host without a key */
	struct kh_host *a = admin_up(HNOKEY, HN_SUBNQN, 10000);
	assert_false(atr(a));
	assert_int_equal(kh_identify_ctrl(a, &id), 0);
	kh_close(a);
	/* a host with a key, in a subsystem that allows any host (nvmet) */
	a = admin_up(H256, OPEN_SUBNQN, 10000);
	assert_false(atr(a));
	assert_int_equal(kh_identify_ctrl(a, &id), 0);
	kh_close(a);
	/* the discovery controller (nvmet) */
	struct kh_host *d = NULL;
	assert_int_equal(hn_disc_up(&d, HN_ADDR, K.port[0], NULL, H256), 0);
	assert_false(atr(d));
	kh_close(d);
	hn_pass(&K);
}

static void t_unauthenticated(void **state)
{
	(void)state;
	uint64_t v;
	uint32_t dw0;
	uint8_t log[512];
	struct kh_host *a = admin_up(H256, HN_SUBNQN, 10000);
	assert_true(atr(a));
	refused(a);
	assert_int_equal(kh_get_features(a, NVME_FEAT_FID_KATO, 0, &dw0), ST_AUTH_REQUIRED);
	assert_int_equal(kh_get_log(a, NVME_LOG_LID_SMART, 0xffffffff, 0, 0, log, sizeof(log)), ST_AUTH_REQUIRED);
	assert_int_equal(kh_keep_alive(a), ST_AUTH_REQUIRED);
	assert_int_equal(kh_prop_get(a, NVME_REG_CSTS, 4, &v), 0);
	assert_int_equal(v & 1, 1);
	/* an I/O queue cannot even be asked for: Set Features is refused */
	assert_int_equal(kh_set_features(a, NVME_FEAT_FID_NUM_QUEUES, 0x00010001, NULL), ST_AUTH_REQUIRED);
	kh_close(a);
	hn_pass(&K);
}

static void t_wrong_key(void **state)
{
	(void)state;
	struct kh_auth_info info;
	struct kh_host *a = admin_up(H256, HN_SUBNQN, 10000);
	struct kh_auth_opts ao = { .key = KEY0, .dhgid = -1 };
	assert_int_equal(kh_auth(a, &ao, &info), -EACCES);
	assert_int_equal(info.failure_reason, KT_AUTH_FAILED);
	/* the kernel target fails the controller: katod closes it */
	assert_int_equal(kh_wait_closed(a, 5000, NULL), 0);
	kh_close(a);
	assert_int_equal(hn_log_wait(&K, "host " H256 ": queue 0: authentication failed: authentication failed", 3000), 0);
	hn_pass(&K);
}

static void t_reauth(void **state)
{
	(void)state;
	struct nvme_id_ctrl id;
	struct kh_host *a = admin_up(H384, HN_SUBNQN, 10000);
	auth_ok(a, KEY2, NULL, NULL);
	assert_int_equal(kh_identify_ctrl(a, &id), 0);
	struct kh_auth_opts ao = { .key = KEY2, .dhgid = -1, .tid = 7 };
	assert_int_equal(kh_auth(a, &ao, NULL), 0);
	assert_int_equal(kh_identify_ctrl(a, &id), 0);
	assert_int_equal(hn_log_wait(&K, "host " H384 ": queue 0: re-authenticated", 3000), 0);
	kh_close(a);
	hn_pass(&K);
}

static void t_live_key(void **state)
{
	(void)state;
	struct json_object *resp = NULL;
	struct kh_auth_info info;
	struct kh_host *a = admin_up(HLIVE, HN_SUBNQN, 10000);
	auth_ok(a, KEY0, NULL, NULL);

	assert_non_null(hn_ctl_call(&K, &resp, "hosts.set",
				    "{\"nqn\": \"" HLIVE "\", \"dhchap_key\": \"" KEYX "\"}"));
	json_object_put(resp);
	/* the listing never shows the key */
	char out[8192];
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "hosts list"), 0);
	assert_null(strstr(out, "DHHC-1"));
	assert_non_null(strstr(out, "set"));

	/* re-authentication checks the new key: the old one fails */
	struct kh_auth_opts ao = { .key = KEY0, .dhgid = -1, .tid = 2 };
	assert_int_equal(kh_auth(a, &ao, &info), -EACCES);
	kh_close(a);
	/* a new association with the new key works */
	a = admin_up(HLIVE, HN_SUBNQN, 10000);
	auth_ok(a, KEYX, NULL, NULL);
	kh_close(a);
	/* back to the first key, so the test can run again */
	assert_non_null(hn_ctl_call(&K, &resp, "hosts.set",
				    "{\"nqn\": \"" HLIVE "\", \"dhchap_key\": \"" KEY0 "\"}"));
	json_object_put(resp);
	hn_pass(&K);
}

/* A key kept in a file (mode 0600), set live as "file:PATH": the host
 * authenticates with the file's key; "katoctl config save" leaves inline
 * keys out of its output and writes them only to a file of mode 0600,
 * while the file reference is saved as a reference. */
static void t_key_file_and_save(void **state)
{
	(void)state;
	struct json_object *resp = NULL;
	char out[65536], arg[512];
	const char *kf = hn_path(&K, "live.key");
	FILE *f = fopen(kf, "w");
	assert_non_null(f);
	fputs(KEYX "\n", f);
	fclose(f);
	/* readable by others: refused, nothing changes */
	assert_int_equal(chmod(kf, 0644), 0);
	snprintf(arg, sizeof(arg), "hosts set " HLIVE " --dhchap-key file:%s", kf);
	assert_int_not_equal(hn_katoctl(&K, out, sizeof(out), "%s", arg), 0);
	assert_non_null(strstr(out, "the key file may be read or written by group or others"));
	assert_null(strstr(out, "DHHC-1"));
	assert_int_equal(chmod(kf, 0600), 0);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "%s", arg), 0);
	struct kh_host *a = admin_up(HLIVE, HN_SUBNQN, 10000);
	auth_ok(a, KEYX, NULL, NULL);
	kh_close(a);

	/* config save: no key on stdout, the reference kept */
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "config save"), 0);
	assert_null(strstr(out, "DHHC-1"));
	assert_non_null(strstr(out, "key(s) left out of the output"));
	snprintf(arg, sizeof(arg), "file:%s", kf);
	assert_non_null(strstr(out, arg));
	/* to a file: mode 0600, keys in it */
	const char *saved = hn_path(&K, "saved.json");
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "config save %s", saved), 0);
	struct stat st;
	assert_int_equal(stat(saved, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	f = fopen(saved, "r");
	assert_non_null(f);
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	assert_non_null(strstr(out, KEY1));
	assert_non_null(strstr(out, arg));

	assert_non_null(hn_ctl_call(&K, &resp, "hosts.set",
				    "{\"nqn\": \"" HLIVE "\", \"dhchap_key\": \"" KEY0 "\"}"));
	json_object_put(resp);
	hn_pass(&K);
}

/* A host that stalls mid-transaction: after the timeout from the Challenge the
 * transaction is gone (the kernel's auth_expired_work). An admin queue that
 * never authenticated then loses its controller (it has no keep-alive
 * deadline until it authenticates: daemon/core/auth.c). */
static void t_stalled(void **state)
{
	(void)state;
	uint8_t buf[4096];
	struct nvme_id_ctrl id;
	struct kt_cqe cqe;
	struct kh_host *a = admin_up(H256, HN_SUBNQN, 2000);
	size_t n = kh_auth_negotiate_msg(buf, 5, 0, -1);
	assert_int_equal(kh_auth_send_raw(a, 0xe9, 1, 1, (uint32_t)n, buf, (uint32_t)n, &cqe), 0);
	assert_int_equal(kh_auth_recv_raw(a, 0xe9, 1, 1, sizeof(buf), buf, sizeof(buf), &cqe), 0);
	assert_int_equal(buf[1], KT_AUTH_CHALLENGE);
	usleep(1200 * 1000);
	assert_int_equal(kh_identify_ctrl(a, &id), ST_AUTH_REQUIRED);
	/* the 15 s floor of the transaction timeout (proto/auth.h), KATO being
	 * 2 s: no keep-alive expiry meanwhile, since none runs before the
	 * admin queue has authenticated */
	assert_int_equal(hn_log_wait(&K, "host " H256 ": queue 0: authentication transaction timed out (expecting reply)",
				     17000), 0);
	assert_int_equal(hn_log_wait(&K, "host " H256 ": keep-alive timeout", 0), -1);
	assert_int_equal(hn_log_wait(&K, "host " H256 ": admin queue never authenticated: controller failed", 1000), 0);
	assert_int_equal(kh_wait_closed(a, 5000, NULL), 0);
	kh_close(a);
	hn_pass(&K);
}

static void t_hostile(void **state)
{
	(void)state;
	uint8_t buf[4096];
	struct kt_cqe cqe;
	struct kh_host *a = admin_up(H256, HN_SUBNQN, 10000);
	size_t n = kh_auth_negotiate_msg(buf, 9, 0, -1);

	/* the SQE: SECP, SPSP0, SPSP1, TL/AL 0: Invalid Field */
	assert_int_equal(kh_auth_send_raw(a, 0xea, 1, 1, (uint32_t)n, buf, (uint32_t)n, &cqe), ST_INVALID_FIELD);
	assert_int_equal(kh_auth_send_raw(a, 0xe9, 0, 1, (uint32_t)n, buf, (uint32_t)n, &cqe), ST_INVALID_FIELD);
	assert_int_equal(kh_auth_send_raw(a, 0xe9, 1, 2, (uint32_t)n, buf, (uint32_t)n, &cqe), ST_INVALID_FIELD);
	assert_int_equal(kh_auth_send_raw(a, 0xe9, 1, 1, 0, buf, (uint32_t)n, &cqe), ST_INVALID_FIELD);
	assert_int_equal(kh_auth_recv_raw(a, 0xe9, 1, 1, 0, buf, sizeof(buf), &cqe), ST_INVALID_FIELD);
	assert_int_equal(kh_auth_recv_raw(a, 0x00, 1, 1, sizeof(buf), buf, sizeof(buf), &cqe), ST_INVALID_FIELD);
	/* TL that is not the data's length */
	assert_int_equal(KH_SC(kh_auth_send_raw(a, 0xe9, 1, 1, (uint32_t)n + 8, buf, (uint32_t)n, &cqe)),
			 KH_STATUS(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_DATA));
	/* a Receive with an AL too short for the Challenge */
	assert_int_equal(kh_auth_send_raw(a, 0xe9, 1, 1, (uint32_t)n, buf, (uint32_t)n, &cqe), 0);
	assert_int_equal(kh_auth_recv_raw(a, 0xe9, 1, 1, 16, buf, 16, &cqe), ST_INVALID_FIELD);
	/* a Reply with the wrong transaction id: Failure1, Incorrect Payload */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(kh_auth_recv_raw(a, 0xe9, 1, 1, sizeof(buf), buf, sizeof(buf), &cqe), 0);
	assert_int_equal(buf[1], KT_AUTH_CHALLENGE);
	uint8_t rp[16 + 64] = { KT_AUTH_DHCHAP, KT_AUTH_REPLY, 0, 0, 10, 0, 32 };
	assert_int_equal(kh_auth_send_raw(a, 0xe9, 1, 1, sizeof(rp), rp, sizeof(rp), &cqe), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(kh_auth_recv_raw(a, 0xe9, 1, 1, sizeof(buf), buf, sizeof(buf), &cqe), 0);
	assert_int_equal(buf[1], KT_AUTH_FAILURE1);
	assert_int_equal(buf[7], KT_AUTH_INCORRECT_PAYLOAD);
	assert_int_equal(kh_wait_closed(a, 5000, NULL), 0);
	kh_close(a);

	/* a truncated Negotiate: Failure1, Incorrect Payload */
	a = admin_up(H256, HN_SUBNQN, 10000);
	n = kh_auth_negotiate_msg(buf, 3, 0, -1);
	assert_int_equal(kh_auth_send_raw(a, 0xe9, 1, 1, 12, buf, 12, &cqe), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(kh_auth_recv_raw(a, 0xe9, 1, 1, sizeof(buf), buf, sizeof(buf), &cqe), 0);
	assert_int_equal(buf[1], KT_AUTH_FAILURE1);
	assert_int_equal(buf[7], KT_AUTH_INCORRECT_PAYLOAD);
	kh_close(a);

	/* a Reply whose lengths lie (HL 64 with SHA-256), a short header */
	a = admin_up(H256, HN_SUBNQN, 10000);
	n = kh_auth_negotiate_msg(buf, 4, 0, -1);
	assert_int_equal(kh_auth_send_raw(a, 0xe9, 1, 1, (uint32_t)n, buf, (uint32_t)n, &cqe), 0);
	assert_int_equal(kh_auth_recv_raw(a, 0xe9, 1, 1, sizeof(buf), buf, sizeof(buf), &cqe), 0);
	uint8_t rp2[16 + 128] = { KT_AUTH_DHCHAP, KT_AUTH_REPLY, 0, 0, 4, 0, 64 };
	assert_int_equal(kh_auth_send_raw(a, 0xe9, 1, 1, sizeof(rp2), rp2, sizeof(rp2), &cqe), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(kh_auth_recv_raw(a, 0xe9, 1, 1, sizeof(buf), buf, sizeof(buf), &cqe), 0);
	assert_int_equal(buf[1], KT_AUTH_FAILURE1);
	assert_int_equal(buf[7], KT_AUTH_INCORRECT_PAYLOAD);
	kh_close(a);
	a = admin_up(H256, HN_SUBNQN, 10000);
	assert_int_equal(kh_auth_send_raw(a, 0xe9, 1, 1, 3, rp2, 3, &cqe), 0);
	kh_close(a);

	/* katod is fine: a proper association still works */
	assert_true(hn_alive(&K));
	assoc(H256, KEY1, NULL, 1, 0);
	hn_pass(&K);
}

int main(void)
{
	HN_NEED_KATOD();
	const struct CMUnitTest tests[] = {
		HN_TEST(t_hashes_and_groups),
		HN_TEST(t_bidirectional),
		HN_TEST(t_no_key_no_auth),
		HN_TEST(t_unauthenticated),
		HN_TEST(t_wrong_key),
		HN_TEST(t_reauth),
		HN_TEST(t_live_key),
		HN_TEST(t_key_file_and_save),
		HN_TEST(t_stalled),
		HN_TEST(t_hostile),
	};
	return cmocka_run_group_tests(tests, group_setup, hn_group_teardown_clean);
}

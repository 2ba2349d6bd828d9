/*
 * test_tls_keyring.c - TLS PSKs from a kernel keyring (daemon/core/tls_keyring.c)
 * against a running katod, as blktests nvme/062 uses the Linux target: the
 * test puts TLS PSKs into a keyring of its own the way `nvme check-tls-key
 * --insert` puts them into ".nvme" (description: the PSK identity the host
 * sends; payload: the TLS PSK, derived by the test initiator as for its
 * handshake; the kernel's default permissions), and katod, which has no
 * key for those hosts in its configuration, finds them there. Checked:
 * I/O through TLS with "user" keys of both hashes and both identity
 * versions, and with "psk" keys where the kernel has that type (a "psk" key
 * whose description only begins with the identity is not taken); a key of
 * another length is refused with a log line, a wrong key of the right one
 * fails the handshake and the log names the keyring; an identity the
 * keyring does not hold fails the handshake; a configured key wins over the
 * keyring's; a keyring made anew under the same name is found again;
 * "tls_keyring": "" (a SIGHUP reload) turns the keyring off, an edit
 * through the control socket keeps it off, and a reload turns it on again;
 * no key byte reaches katod's log.
 *
 * The keyring, "kato-test-<pid>", hangs off the test's process keyring with
 * the .nvme keyring's permissions: katod (a child, same user) sees it in
 * /proc/keys without possessing it, as it sees .nvme, and the keyring goes
 * with the test process even if the test dies. The test invalidates it at
 * its end. Where a keyring cannot be made (EPERM or ENOSYS in a container,
 * a quota) or /proc/keys does not show it, the test exits 77 (skipped) and
 * says why.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "proto/tls_psk.h"
#include "tests/host/host.h"
#include "tests/integration/harness.h"
#include "tests/integration/harness_ctl.h"

#define KEY01 "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"
#define KEY02 "NVMeTLSkey-1:02:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwP/w0S89ELi3W2LxIcLXVsDn8kXZQ==:"
#define KEYL "NVMeTLSkey-1:01:Aw4ZJC86RVBbZnF8h5KdqLO+ydTf6vUACxYhLDdCTVhhy7Ks:"

#define HU1 "nqn.2026-11.io.kato:kr-user1"    /* user key, SHA-256, identity 1 */
#define HU2 "nqn.2026-11.io.kato:kr-user2"    /* user key, SHA-384, identity 0 */
#define HBAD "nqn.2026-11.io.kato:kr-badlen"  /* user key of 48 bytes for a SHA-256 identity */
#define HNONE "nqn.2026-11.io.kato:kr-none"   /* no key anywhere */
#define HWRONG "nqn.2026-11.io.kato:kr-wrong" /* user key of the right length, other bytes */
#define HCFG "nqn.2026-11.io.kato:kr-cfg"     /* KEY01 configured; another PSK in the keyring */
#define HPSK "nqn.2026-11.io.kato:kr-psk"     /* psk key */
#define HPFX "nqn.2026-11.io.kato:kr-prefix"  /* psk key for "<its identity>2" only */

/* port[0]: TLS required. Conversions: the port, the keyring's name. */
#define CONFIG                                                                                          \
	"{\n"                                                                                           \
	"  \"hosts\": [{\"nqn\": \"" HCFG "\", \"tls\": {\"key\": \"" KEY01 "\"}}],\n"                   \
	"  \"ports\": [{\"portid\": 1, \"addr\": {\"traddr\": \"" HN_ADDR "\", \"trsvcid\": \"%u\",\n"  \
	"               \"treq\": \"required\", \"tsas\": \"tls1.3\"},\n"                               \
	"    \"subsystems\": [\"" HN_SUBNQN "\"]}],\n"                                                  \
	"  \"subsystems\": [{\"nqn\": \"" HN_SUBNQN "\", \"attr\": {\"allow_any_host\": \"1\"},\n"      \
	"     \"namespaces\": [{\"nsid\": 1, \"device\": {\"backend\": \"ram\", \"size\": \"4M\"}}]}],\n" \
	"  \"katod\": {\"workers\": 2, \"log_level\": \"debug\", \"tls_keyring\": \"%s\"}\n"            \
	"}\n"

static struct hn_katod K;

/* ---- the test's keyring ----------------------------------------------- */

static char ring_name[64];
static int32_t ring;            /* 0: none */
static char skip_why[256];

/* Every PSK put in the keyring, for the log check. */
static uint8_t put_psk[16][64];
static size_t put_len[16];
static unsigned n_put;

static long kc(int op, unsigned long a, unsigned long b, unsigned long c, unsigned long d)
{
	return syscall(SYS_keyctl, op, a, b, c, d);
}

static int32_t add_key(const char *type, const char *desc, const void *payload, size_t len, int32_t dest)
{
	return (int32_t)syscall(SYS_add_key, type, desc, payload, len, dest);
}

static void ring_drop(void)
{
	if (ring > 0) {
		kc(KEYCTL_INVALIDATE, (unsigned long)ring, 0, 0, 0);
		kc(KEYCTL_UNLINK, (unsigned long)ring, (unsigned long)KEY_SPEC_PROCESS_KEYRING, 0, 0);
	}
	ring = 0;
}

/* Is a live keyring called ring_name in /proc/keys? */
static bool ring_listed(void)
{
	FILE *f = fopen("/proc/keys", "r");
	char line[1024], want[96];
	bool seen = false;
	snprintf(want, sizeof(want), " %s: ", ring_name);
	while (f && !seen && fgets(line, sizeof(line), f))
		seen = strstr(line, " keyring ") && strstr(line, want) && !strncmp(line + 9, "I-", 2);
	if (f)
		fclose(f);
	return seen;
}

/* Makes the keyring (anew: ring_drop first to replace it); 0, or -1 with
 * skip_why. */
static int ring_make(void)
{
	ring = add_key("keyring", ring_name, NULL, 0, KEY_SPEC_PROCESS_KEYRING);
	if (ring < 0) {
		snprintf(skip_why, sizeof(skip_why), "cannot make a kernel keyring (add_key: %s)", strerror(errno));
		ring = 0;
		return -1;
	}
	/* as the nvme-keyring module makes .nvme: all but setattr for its
	 * possessor and its owner */
	if (kc(KEYCTL_SETPERM, (unsigned long)ring, 0x1f1f0000, 0, 0) < 0) {
		snprintf(skip_why, sizeof(skip_why), "cannot set the keyring's permissions (keyctl: %s)", strerror(errno));
		ring_drop();
		return -1;
	}
	if (!ring_listed()) {
		snprintf(skip_why, sizeof(skip_why), "/proc/keys does not show the keyring %s", ring_name);
		ring_drop();
		return -1;
	}
	return 0;
}

/* Puts the TLS PSK that a host with t derives for (hostnqn, HN_SUBNQN)
 * into the keyring as a key of type, described by its identity followed
 * by suffix; len: the payload's length (0: the PSK's; longer pads it).
 * Returns add_key's result (a serial or -1 with errno). */
static int32_t put_key(const char *type, const struct kh_tls *t, const char *hostnqn, const char *suffix, size_t len)
{
	char id[KT_TLS_IDENTITY_MAX + 8];
	size_t plen = 0;
	uint8_t psk[64];
	memset(psk, 0xa5, sizeof(psk));
	assert_int_equal(kh_tls_derive(t, hostnqn, HN_SUBNQN, id, KT_TLS_IDENTITY_MAX + 1, psk, &plen), 0);
	strcat(id, suffix);
	if (!len)
		len = plen;
	assert_true(len <= sizeof(psk) && n_put < 16);
	int32_t k = add_key(type, id, psk, len, ring);
	if (k > 0) {
		memcpy(put_psk[n_put], psk, plen);
		put_len[n_put++] = plen;
	}
	OPENSSL_cleanse(psk, sizeof(psk));
	return k;
}

/* ---- hosts ---------------------------------------------------------------- */

static void opts(struct kh_opts *o, struct kh_tls *t, const char *hostnqn, const char *key, uint8_t version,
		 unsigned form)
{
	memset(o, 0, sizeof(*o));
	memset(t, 0, sizeof(*t));
	o->hostnqn = hostnqn;
	o->subnqn = HN_SUBNQN;
	o->kato_ms = 10000;
	o->timeout_ms = 5000;
	t->key = key;
	t->version = version;
	t->form = form;
	o->tls = t;
}

/* A whole association through TLS: Identify, a write read back; returns
 * the cipher suite's name (static). */
static const char *assoc_io(const struct kh_opts *o)
{
	static char suite[64];
	static uint8_t w[64 * 1024], r[64 * 1024];
	struct kh_host *a = NULL, *io = NULL;
	struct nvme_id_ctrl id;
	int rc = kh_assoc_up(&a, &io, HN_ADDR, K.port[0], o);
	if (rc)
		fail_msg("association over TLS failed: %d", rc);
	assert_int_equal(kh_identify_ctrl(a, &id), 0);
	snprintf(suite, sizeof(suite), "%s", kh_tls_cipher(io) ? kh_tls_cipher(io) : "none");
	hn_fill(w, sizeof(w), (uint64_t)o->hostnqn[24]);
	memset(r, 0, sizeof(r));
	assert_int_equal(kh_write(io, 1, 0, sizeof(w) / 512, w, sizeof(w), false), 0);
	assert_int_equal(kh_read(io, 1, 0, sizeof(r) / 512, r, sizeof(r)), 0);
	assert_int_equal(hn_diff(w, r, sizeof(w)), -1);
	kh_close(io);
	kh_close(a);
	return suite;
}

/* The handshake fails. */
static void refused(const struct kh_opts *o)
{
	struct kh_host *a = NULL;
	int rc = kh_admin_up(&a, HN_ADDR, K.port[0], o);
	if (rc == 0) {
		kh_close(a);
		fail_msg("host %s: connected through TLS, expected the handshake to fail", o->hostnqn);
	}
}

static const char *log_ring(void)
{
	static char s[128];
	snprintf(s, sizeof(s), ", from the kernel keyring %s", ring_name);
	return s;
}

static void wait_log(const char *a, const char *b, unsigned n)
{
	char needle[512];
	snprintf(needle, sizeof(needle), "%s%s", a, b);
	if (hn_log_wait_n(&K, needle, n, 3000) < 0)
		fail_msg("not in katod's log (%u times): %s", n, needle);
}

/* ---- tests ---------------------------------------------------------------- */

static void t_user_keys(void **state)
{
	(void)state;
	struct kh_opts o;
	struct kh_tls t;
	/* SHA-256, identity 1 (the digest of libnvme's RFC form) */
	opts(&o, &t, HU1, KEY01, 1, KT_TLS_DERIVE_RFC);
	assert_true(put_key("user", &t, HU1, "", 0) > 0);
	assert_string_equal(assoc_io(&o), "TLS_AES_128_GCM_SHA256");
	wait_log("PSK identity NVMe1R01 host " HU1 " subsystem " HN_SUBNQN, log_ring(), 1);
	/* SHA-384, identity 0, libnvme's compat form: katod takes the PSK as is */
	opts(&o, &t, HU2, KEY02, 0, KT_TLS_DERIVE_COMPAT);
	assert_true(put_key("user", &t, HU2, "", 0) > 0);
	assert_string_equal(assoc_io(&o), "TLS_AES_256_GCM_SHA384");
	wait_log("PSK identity NVMe0R02 host " HU2 " subsystem " HN_SUBNQN, log_ring(), 1);
	hn_pass(&K);
}

static void t_psk_keys(void **state)
{
	(void)state;
	struct kh_opts o;
	struct kh_tls t;
	opts(&o, &t, HPSK, KEY01, 1, KT_TLS_DERIVE_COMPAT);
	int32_t k = put_key("psk", &t, HPSK, "", 0);
	if (k < 0 && (errno == ENODEV || errno == EINVAL)) {
		/* no nvme-keyring module (Linux before 6.7, or not loaded) */
		fprintf(stderr, "skip: the kernel has no \"psk\" key type (add_key: %s)\n", strerror(errno));
		hn_pass(&K);
		skip();
	}
	assert_true(k > 0);
	assoc_io(&o);
	wait_log("PSK identity NVMe1R01 host " HPSK " subsystem " HN_SUBNQN, log_ring(), 1);
	/* the psk type matches by prefix: a key for "<identity>2" (another
	 * subsystem's) must not serve the identity */
	opts(&o, &t, HPFX, KEY01, 0, KT_TLS_DERIVE_RFC);
	assert_true(put_key("psk", &t, HPFX, "2", 0) > 0);
	refused(&o);
	wait_log("nor in the kernel keyring (PSK identity host " HPFX, "", 1);
	hn_pass(&K);
}

static void t_wrong_length(void **state)
{
	(void)state;
	struct kh_opts o;
	struct kh_tls t;
	opts(&o, &t, HBAD, KEY01, 1, KT_TLS_DERIVE_RFC);
	assert_true(put_key("user", &t, HBAD, "", 48) > 0);
	refused(&o);
	wait_log("the key of PSK identity \"NVMe1R01 " HBAD " " HN_SUBNQN " ", "", 1);
	wait_log("is 48 bytes long, not 32 (a SHA-256 TLS PSK): not used", "", 1);
	wait_log("the kernel keyring's key for the identity is not 32 bytes (a SHA-256 TLS PSK) (PSK identity host " HBAD,
		 "", 1);
	assert_true(hn_alive(&K));
	hn_pass(&K);
}

/* A key of the right length that is not the host's: the binder fails, and
 * the log says where the PSK came from. */
static void t_wrong_psk(void **state)
{
	(void)state;
	struct kh_opts o;
	struct kh_tls t;
	char id[KT_TLS_IDENTITY_MAX + 1], tail[160];
	uint8_t psk[KT_TLS_PSK_MAX];
	size_t n;
	opts(&o, &t, HWRONG, KEY01, 1, KT_TLS_DERIVE_RFC);
	assert_int_equal(kh_tls_derive(&t, HWRONG, HN_SUBNQN, id, sizeof(id), psk, &n), 0);
	psk[0] ^= 1;
	assert_true(add_key("user", id, psk, n, ring) > 0);
	memcpy(put_psk[n_put], psk, n);
	put_len[n_put++] = n;
	OPENSSL_cleanse(psk, sizeof(psk));
	refused(&o);
	snprintf(tail, sizeof(tail), ", PSK from the kernel keyring %s)", ring_name);
	wait_log("(PSK identity host " HWRONG ", subsystem " HN_SUBNQN, tail, 1);
	hn_pass(&K);
}

static void t_absent(void **state)
{
	(void)state;
	struct kh_opts o;
	struct kh_tls t;
	char tail[160];
	opts(&o, &t, HNONE, KEYL, 1, KT_TLS_DERIVE_RFC);
	refused(&o);
	snprintf(tail, sizeof(tail), ", kernel keyring %s)", ring_name);
	wait_log("no TLS key configured for the host, nor in the kernel keyring (PSK identity host " HNONE
		 ", subsystem " HN_SUBNQN, tail, 1);
	hn_pass(&K);
}

static void t_configured_wins(void **state)
{
	(void)state;
	struct kh_opts o;
	struct kh_tls t;
	char id[KT_TLS_IDENTITY_MAX + 1];
	uint8_t psk[KT_TLS_PSK_MAX], wrong[32];
	size_t n;
	/* the keyring holds other bytes under HCFG's identity */
	opts(&o, &t, HCFG, KEY01, 1, KT_TLS_DERIVE_RFC);
	assert_int_equal(kh_tls_derive(&t, HCFG, HN_SUBNQN, id, sizeof(id), psk, &n), 0);
	OPENSSL_cleanse(psk, sizeof(psk));
	memset(wrong, 0x5a, sizeof(wrong));
	assert_true(add_key("user", id, wrong, sizeof(wrong), ring) > 0);
	assoc_io(&o);
	wait_log("PSK identity NVMe1R01 host " HCFG " subsystem " HN_SUBNQN ", RFC 8446 derivation (the digest matched)", "",
		 1);
	hn_pass(&K);
}

/* The keyring goes and comes back under the same name (another serial):
 * katod finds the new one. */
static void t_renewed(void **state)
{
	(void)state;
	struct kh_opts o;
	struct kh_tls t;
	int32_t old = ring;
	ring_drop();
	if (ring_make() < 0)
		fail_msg("%s", skip_why);
	assert_int_not_equal(ring, old);
	opts(&o, &t, HU1, KEY01, 1, KT_TLS_DERIVE_RFC);
	refused(&o); /* not in the new keyring yet */
	assert_true(put_key("user", &t, HU1, "", 0) > 0);
	assoc_io(&o);
	wait_log("PSK identity NVMe1R01 host " HU1 " subsystem " HN_SUBNQN, log_ring(), 2);
	char seen[128];
	snprintf(seen, sizeof(seen), "kernel keyring %s is key %08x", ring_name, (unsigned)ring);
	wait_log(seen, "", 1);
	hn_pass(&K);
}

/* Rewrites the configuration file with keyring and reloads it (SIGHUP);
 * waits for expect in the log. */
static void reload(const char *keyring, const char *expect)
{
	char cfg[4096];
	snprintf(cfg, sizeof(cfg), CONFIG, K.port[0], keyring);
	assert_int_equal(hn_write_file(&K, "katod.json", cfg), 0);
	assert_int_equal(kill(K.pid, SIGHUP), 0);
	wait_log(expect, "", 1);
}

static void t_disabled(void **state)
{
	(void)state;
	struct kh_opts o;
	struct kh_tls t;
	char out[4096];
	opts(&o, &t, HU1, KEY01, 1, KT_TLS_DERIVE_RFC);
	reload("", "TLS PSKs of hosts without a configured key: none (katod.tls_keyring \"\")");
	refused(&o);
	wait_log("no TLS key configured for the host (PSK identity host " HU1 ", subsystem " HN_SUBNQN ")", "", 1);
	/* an edit through the control socket (the configuration written back
	 * and loaded again) keeps it off */
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "hosts add nqn.2026-11.io.kato:kr-extra"), 0);
	refused(&o);
	wait_log("no TLS key configured for the host (PSK identity host " HU1 ", subsystem " HN_SUBNQN ")", "", 2);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "config save"), 0);
	const char *v = strstr(out, "\"tls_keyring\"");
	assert_non_null(v);
	v += strlen("\"tls_keyring\"");
	v += strspn(v, " :");
	assert_int_equal(strncmp(v, "\"\"", 2), 0);
	/* and on again */
	char expect[160];
	snprintf(expect, sizeof(expect), "TLS PSKs of hosts without a configured key: from the kernel keyring %s",
		 ring_name);
	reload(ring_name, expect);
	assoc_io(&o);
	wait_log("PSK identity NVMe1R01 host " HU1 " subsystem " HN_SUBNQN, log_ring(), 3);
	hn_pass(&K);
}

/* Hex (both cases) and Base64 of every PSK put in the keyring: none in the
 * log, nor any interchange key. */
static void t_no_key_in_log(void **state)
{
	(void)state;
	FILE *f = fopen(K.log, "r");
	assert_non_null(f);
	char *log = calloc(1, 1 << 22);
	assert_non_null(log);
	size_t n = fread(log, 1, (1 << 22) - 1, f);
	fclose(f);
	assert_true(n > 0);
	assert_null(strstr(log, "NVMeTLSkey"));
	for (unsigned i = 0; i < n_put; i++) {
		char hex[2][129], b64[96];
		for (size_t j = 0; j < put_len[i]; j++) {
			snprintf(hex[0] + 2 * j, 3, "%02x", put_psk[i][j]);
			snprintf(hex[1] + 2 * j, 3, "%02X", put_psk[i][j]);
		}
		EVP_EncodeBlock((unsigned char *)b64, put_psk[i], (int)put_len[i]);
		/* each 8 bytes of it */
		for (size_t j = 0; j + 8 <= put_len[i]; j += 8) {
			char h[2][17];
			snprintf(h[0], sizeof(h[0]), "%.16s", hex[0] + 2 * j);
			snprintf(h[1], sizeof(h[1]), "%.16s", hex[1] + 2 * j);
			assert_null(strstr(log, h[0]));
			assert_null(strstr(log, h[1]));
		}
		b64[16] = '\0';
		assert_null(strstr(log, b64));
		OPENSSL_cleanse(hex, sizeof(hex));
		OPENSSL_cleanse(b64, sizeof(b64));
	}
	free(log);
	hn_pass(&K);
}

static int group_setup(void **state)
{
	*state = &K;
	if (hn_init(&K, 1))
		return -1;
	return hn_start(&K, 1, CONFIG, K.port[0], ring_name);
}

static int group_teardown(void **state)
{
	int rc = hn_group_teardown_clean(state);
	ring_drop();
	OPENSSL_cleanse(put_psk, sizeof(put_psk));
	return rc;
}

int main(void)
{
	HN_NEED_KATOD();
	snprintf(ring_name, sizeof(ring_name), "kato-test-%d", (int)getpid());
	atexit(ring_drop);
	if (ring_make() < 0) {
		fprintf(stderr, "skip: %s: kernel keyrings are not usable here\n", skip_why);
		return 77;
	}
	const struct CMUnitTest tests[] = {
		HN_TEST(t_user_keys),
		HN_TEST(t_psk_keys),
		HN_TEST(t_wrong_length),
		HN_TEST(t_wrong_psk),
		HN_TEST(t_absent),
		HN_TEST(t_configured_wins),
		HN_TEST(t_renewed),
		HN_TEST(t_disabled),
		HN_TEST(t_no_key_in_log),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

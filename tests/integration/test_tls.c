/*
 * test_tls.c - NVMe/TCP over TLS 1.3 with PSKs against a running katod
 * (daemon/transport/tcp/tls.c and conn.c), with the test initiator's TLS
 * client (tests/host/host_tls.c) deriving identities and PSKs as a host
 * does: Identify, writes read back through TLS with SHA-256 and SHA-384
 * keys, identity versions 0 and 1, both libnvme derivation forms, a
 * 48-byte key bound with SHA-256 (ChaCha20, as older tlshd), digests over
 * TLS; a wrong key fails the handshake and katod keeps serving; a plain
 * ICReq on a "required" port is closed and served on a "not required"
 * one; a Connect naming another host or subsystem than the identity is
 * refused; garbage and a stalled handshake are closed; a key set live
 * takes effect for the next connection; the discovery log's TREQ/TSAS;
 * secure concatenation (DH-HMAC-CHAP with SC_C on a plain admin queue,
 * then TLS with the generated PSK, no second authentication, a
 * replacement PSK, an unknown generated identity refused).
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/crypto.h>

#include "proto/auth_msg.h"
#include "proto/dhchap.h"
#include "proto/tls_psk.h"
#include "tests/host/host.h"
#include "tests/integration/harness.h"
#include "tests/integration/harness_ctl.h"

#define KEY01 "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"
#define KEY02 "NVMeTLSkey-1:02:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwP/w0S89ELi3W2LxIcLXVsDn8kXZQ==:"
#define KEY00 "NVMeTLSkey-1:00:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"
#define KEYW "NVMeTLSkey-1:01:AwoRGB8mLTQ7QklQV15lbHN6gYiPlp2kq7K5wMfO1dyVhg6h:"
#define KEYS "NVMeTLSkey-1:02:AwwVHicwOUJLVF1mb3iBipOcpa63wMnS2+Tt9v8IERojLDU+R1BZYmt0fYaPmKGqw7iz6g==:"
#define KEYL "NVMeTLSkey-1:01:Aw4ZJC86RVBbZnF8h5KdqLO+ydTf6vUACxYhLDdCTVhhy7Ks:"

#define H1 "nqn.2026-11.io.kato:tls-h1"       /* KEY01, both forms */
#define H2 "nqn.2026-11.io.kato:tls-h2"       /* KEY02, both forms */
#define HRFC "nqn.2026-11.io.kato:tls-rfc"    /* KEY02, rfc only */
#define HCOMPAT "nqn.2026-11.io.kato:tls-compat" /* KEY01, compat only */
#define HBOTH0 "nqn.2026-11.io.kato:tls-both" /* KEY00, both: v0 cannot tell */
#define HSUB "nqn.2026-11.io.kato:tls-sub"    /* KEY01, KEYS for OTHER */
#define HLIVE "nqn.2026-11.io.kato:tls-live"  /* no key until the control socket sets one */
#define HCAT "nqn.2026-11.io.kato:tls-concat" /* DH-HMAC-CHAP only: secure concatenation */
#define OTHER "nqn.2026-11.io.kato:other"
#define DHKEY "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"

static struct hn_katod K;

/* port[0]: TLS required; port[1]: TLS not required (plain too). */
static const char CONFIG[] =
	"{\n"
	"  \"hosts\": [\n"
	"    {\"nqn\": \"" H1 "\", \"tls\": {\"key\": \"" KEY01 "\"}},\n"
	"    {\"nqn\": \"" H2 "\", \"attr\": {\"tls_key\": \"" KEY02 "\"}},\n"
	"    {\"nqn\": \"" HRFC "\", \"tls\": {\"key\": \"" KEY02 "\", \"derive\": \"rfc\"}},\n"
	"    {\"nqn\": \"" HCOMPAT "\", \"tls\": {\"key\": \"" KEY01 "\", \"derive\": \"compat\"}},\n"
	"    {\"nqn\": \"" HBOTH0 "\", \"tls\": {\"key\": \"" KEY00 "\"}},\n"
	"    {\"nqn\": \"" HSUB "\", \"tls\": {\"key\": \"" KEY01 "\", \"subsystem_keys\": {\"" OTHER "\": \"" KEYS "\"}}},\n"
	"    {\"nqn\": \"" HLIVE "\"},\n"
	"    {\"nqn\": \"" HCAT "\", \"dhchap\": {\"key\": \"" DHKEY "\", \"dhgroup\": \"null\"}}],\n"
	"  \"ports\": [{\"portid\": 1, \"addr\": {\"traddr\": \"" HN_ADDR "\", \"trsvcid\": \"%u\",\n"
	"               \"treq\": \"required\", \"tsas\": \"tls1.3\"},\n"
	"    \"subsystems\": [\"" HN_SUBNQN "\", \"" OTHER "\"]},\n"
	"    {\"portid\": 2, \"addr\": {\"traddr\": \"" HN_ADDR "\", \"trsvcid\": \"%u\",\n"
	"               \"treq\": \"not required\", \"tsas\": \"tls1.3\"},\n"
	"    \"subsystems\": [\"" HN_SUBNQN "\"]}],\n"
	"  \"subsystems\": [{\"nqn\": \"" HN_SUBNQN "\",\n"
	"     \"allowed_hosts\": [\"" H1 "\", \"" H2 "\", \"" HRFC "\", \"" HCOMPAT "\", \"" HBOTH0 "\", \"" HSUB
	"\", \"" HLIVE "\", \"" HCAT "\"],\n"
	"     \"namespaces\": [{\"nsid\": 1, \"device\": {\"backend\": \"ram\", \"size\": \"4M\"}}]},\n"
	"    {\"nqn\": \"" OTHER "\", \"attr\": {\"allow_any_host\": \"1\"},\n"
	"     \"namespaces\": [{\"nsid\": 1, \"device\": {\"backend\": \"ram\", \"size\": \"1M\"}}]}],\n"
	"  \"katod\": {\"workers\": 2, \"log_level\": \"debug\"}\n"
	"}\n";

static int group_setup(void **state)
{
	*state = &K;
	if (hn_init(&K, 2))
		return -1;
	return hn_start(&K, 2, CONFIG, K.port[0], K.port[1]);
}

static void opts(struct kh_opts *o, struct kh_tls *t, const char *hostnqn, const char *subnqn, const char *key,
		 uint8_t version, unsigned form)
{
	memset(o, 0, sizeof(*o));
	memset(t, 0, sizeof(*t));
	o->hostnqn = hostnqn;
	o->subnqn = subnqn;
	o->kato_ms = 10000;
	t->key = key;
	t->version = version;
	t->form = form;
	o->tls = t;
}

/* A whole association through TLS: Identify, writes of 8 KiB and 128 KiB
 * read back; returns the cipher suite's name (static). */
static const char *assoc_io(const struct kh_opts *o, uint16_t port)
{
	static char suite[64];
	struct kh_host *a = NULL, *io = NULL;
	struct nvme_id_ctrl id;
	static uint8_t w[128 * 1024], r[128 * 1024];
	int rc = kh_assoc_up(&a, &io, HN_ADDR, port, o);
	if (rc)
		fail_msg("association over TLS failed: %d", rc);
	assert_int_equal(kh_identify_ctrl(a, &id), 0);
	snprintf(suite, sizeof(suite), "%s", kh_tls_cipher(io) ? kh_tls_cipher(io) : "none");
	for (unsigned n = 16; n <= 256; n *= 16) {
		hn_fill(w, n * 512, n + o->hostnqn[20]);
		memset(r, 0, sizeof(r));
		assert_int_equal(kh_write(io, 1, 0, n, w, n * 512, false), 0);
		assert_int_equal(kh_read(io, 1, 0, n, r, n * 512), 0);
		assert_int_equal(hn_diff(w, r, n * 512), -1);
	}
	kh_close(io);
	kh_close(a);
	return suite;
}

static void t_io(void **state)
{
	(void)state;
	struct kh_opts o;
	struct kh_tls t;
	/* SHA-256 key, identity 1, both forms (the digest tells them apart) */
	opts(&o, &t, H1, HN_SUBNQN, KEY01, 1, KT_TLS_DERIVE_RFC);
	assert_string_equal(assoc_io(&o, K.port[0]), "TLS_AES_128_GCM_SHA256");
	assert_int_equal(hn_log_wait(&K, "PSK identity NVMe1R01 host " H1 " subsystem " HN_SUBNQN
				     ", RFC 8446 derivation (the digest matched)", 3000), 0);
	opts(&o, &t, H1, HN_SUBNQN, KEY01, 1, KT_TLS_DERIVE_COMPAT);
	assoc_io(&o, K.port[0]);
	assert_int_equal(hn_log_wait(&K, "host " H1 " subsystem " HN_SUBNQN ", libnvme compat derivation", 3000), 0);
	/* SHA-384 key, identity 1, both forms; digests over TLS */
	opts(&o, &t, H2, HN_SUBNQN, KEY02, 1, KT_TLS_DERIVE_RFC);
	o.hdgst = o.ddgst = true;
	assert_string_equal(assoc_io(&o, K.port[0]), "TLS_AES_256_GCM_SHA384");
	opts(&o, &t, H2, HN_SUBNQN, KEY02, 1, KT_TLS_DERIVE_COMPAT);
	assoc_io(&o, K.port[0]);
	/* a 48-byte key bound with SHA-256 and ChaCha20 (older tlshd) */
	opts(&o, &t, H2, HN_SUBNQN, KEY02, 1, KT_TLS_DERIVE_COMPAT);
	t.bind_sha256 = true;
	t.suite = 0x1303;
	assert_string_equal(assoc_io(&o, K.port[0]), "TLS_CHACHA20_POLY1305_SHA256");
	/* identity 0, the form configured */
	opts(&o, &t, HRFC, HN_SUBNQN, KEY02, 0, KT_TLS_DERIVE_RFC);
	assoc_io(&o, K.port[0]);
	opts(&o, &t, HCOMPAT, HN_SUBNQN, KEY01, 0, KT_TLS_DERIVE_COMPAT);
	assoc_io(&o, K.port[0]);
	/* a per-subsystem key wins for its subsystem */
	opts(&o, &t, HSUB, OTHER, KEYS, 1, KT_TLS_DERIVE_RFC);
	assoc_io(&o, K.port[0]);
	opts(&o, &t, HSUB, HN_SUBNQN, KEY01, 1, KT_TLS_DERIVE_RFC);
	assoc_io(&o, K.port[0]);
	/* and TLS on the "not required" port */
	opts(&o, &t, H1, HN_SUBNQN, KEY01, 1, KT_TLS_DERIVE_RFC);
	assoc_io(&o, K.port[1]);
	hn_pass(&K);
}

/* Identity 0 of an untransformed key with both forms allowed: nothing
 * tells the forms apart; the first handshake assumes compat and fails for
 * an RFC host, the next one tries RFC and works. */
static void t_ambiguous(void **state)
{
	(void)state;
	struct kh_opts o;
	struct kh_tls t;
	struct kh_host *a = NULL;
	opts(&o, &t, HBOTH0, HN_SUBNQN, KEY00, 0, KT_TLS_DERIVE_RFC);
	int rc = kh_admin_up(&a, HN_ADDR, K.port[0], &o);
	if (rc == 0) { /* compat learnt by an earlier run: go the other way */
		kh_close(a);
		opts(&o, &t, HBOTH0, HN_SUBNQN, KEY00, 0, KT_TLS_DERIVE_COMPAT);
		rc = kh_admin_up(&a, HN_ADDR, K.port[0], &o);
	}
	assert_int_not_equal(rc, 0);
	assert_int_equal(kh_admin_up(&a, HN_ADDR, K.port[0], &o), 0);
	kh_close(a);
	assert_int_equal(hn_log_wait(&K, "(assumed: the identity cannot tell)", 3000), 0);
	hn_pass(&K);
}

/* A raw TCP connection to port: sends len bytes of buf (none: stalls),
 * then waits up to timeout_ms for katod to close it. Returns the ms it
 * took, or -1 if it stayed open. */
static long closed_after(uint16_t port, const void *buf, size_t len, int timeout_ms)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, HN_ADDR, &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	uint64_t t0 = kh_now_ms();
	if (len)
		assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
	long took = -1;
	for (;;) {
		uint64_t now = kh_now_ms();
		if (now - t0 >= (uint64_t)timeout_ms)
			break;
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, (int)(timeout_ms - (now - t0))) <= 0)
			break;
		uint8_t sink[4096];
		ssize_t n = recv(fd, sink, sizeof(sink), 0);
		if (n <= 0) {
			took = (long)(kh_now_ms() - t0);
			break;
		}
	}
	close(fd);
	return took;
}

static void icreq_bytes(uint8_t *b)
{
	memset(b, 0, 128);
	b[0] = 0;    /* ICReq */
	b[2] = 128;  /* HLEN */
	b[4] = 128;  /* PLEN */
}

static void t_plain(void **state)
{
	(void)state;
	uint8_t icreq[128];
	icreq_bytes(icreq);
	/* required: a plain ICReq is not a ClientHello: closed */
	long ms = closed_after(K.port[0], icreq, sizeof(icreq), 5000);
	assert_true(ms >= 0 && ms < 3000);
	assert_int_equal(hn_log_wait(&K, "TLS handshake failed", 3000), 0);
	/* not required: plain NVMe/TCP works */
	struct kh_opts o;
	memset(&o, 0, sizeof(o));
	o.hostnqn = H1;
	o.subnqn = HN_SUBNQN;
	struct kh_host *a = NULL, *io = NULL;
	assert_int_equal(kh_assoc_up(&a, &io, HN_ADDR, K.port[1], &o), 0);
	assert_null(kh_tls_cipher(io));
	uint8_t buf[4096];
	assert_int_equal(kh_read(io, 1, 0, 8, buf, sizeof(buf)), 0);
	kh_close(io);
	kh_close(a);
	hn_pass(&K);
}

static void t_wrong_key(void **state)
{
	(void)state;
	struct kh_opts o;
	struct kh_tls t;
	struct kh_host *a = NULL;
	opts(&o, &t, H1, HN_SUBNQN, KEYW, 1, KT_TLS_DERIVE_RFC);
	assert_int_not_equal(kh_admin_up(&a, HN_ADDR, K.port[0], &o), 0);
	assert_int_equal(hn_log_wait(&K, "(PSK identity host " H1 ", subsystem " HN_SUBNQN ")", 3000), 0);
	/* a v1 identity whose digest no form gives: refused before the binder */
	opts(&o, &t, H2, HN_SUBNQN, KEYS, 1, KT_TLS_DERIVE_RFC);
	assert_int_not_equal(kh_admin_up(&a, HN_ADDR, K.port[0], &o), 0);
	/* a host with no key */
	opts(&o, &t, HLIVE, HN_SUBNQN, KEYL, 1, KT_TLS_DERIVE_RFC);
	assert_int_not_equal(kh_admin_up(&a, HN_ADDR, K.port[0], &o), 0);
	/* none configured, and none in the kernel keyring (the default .nvme,
	 * which may or may not exist here: test_tls_keyring.c has the rest) */
	assert_int_equal(hn_log_wait(&K, ": no TLS key configured for the host", 3000), 0);
	assert_int_equal(hn_log_wait(&K, "(PSK identity host " HLIVE ", subsystem " HN_SUBNQN ", kernel keyring .nvme)",
				     3000), 0);
	/* katod goes on serving */
	assert_true(hn_alive(&K));
	opts(&o, &t, H1, HN_SUBNQN, KEY01, 1, KT_TLS_DERIVE_RFC);
	assoc_io(&o, K.port[0]);
	/* the key never reaches the log */
	char *log = NULL;
	size_t n = 0;
	FILE *f = fopen(K.log, "r");
	assert_non_null(f);
	log = calloc(1, 1 << 22);
	n = fread(log, 1, (1 << 22) - 1, f);
	fclose(f);
	(void)n;
	assert_null(strstr(log, "NVMeTLSkey"));
	assert_null(strstr(log, "VRLbtnN9"));
	free(log);
	hn_pass(&K);
}

static void t_identity_mismatch(void **state)
{
	(void)state;
	struct kh_opts o;
	struct kh_tls t;
	struct kh_host *a = NULL;
	struct kt_cqe cqe;
	/* the identity names OTHER, Connect HN_SUBNQN */
	opts(&o, &t, H1, HN_SUBNQN, KEY01, 1, KT_TLS_DERIVE_RFC);
	t.id_subnqn = OTHER;
	assert_int_equal(KH_SC(kh_connect(&a, HN_ADDR, K.port[0], &o, &cqe)),
			 KH_STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_PARAM));
	assert_int_equal(hn_log_wait(&K, "the TLS identity names host " H1 ", subsystem " OTHER, 3000), 0);
	/* the identity names H1, Connect H2 */
	opts(&o, &t, H2, HN_SUBNQN, KEY01, 1, KT_TLS_DERIVE_RFC);
	t.id_hostnqn = H1;
	assert_int_equal(KH_SC(kh_connect(&a, HN_ADDR, K.port[0], &o, &cqe)),
			 KH_STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_HOST));
	/* an I/O queue whose identity names another host than its controller's */
	struct kh_host *io = NULL;
	opts(&o, &t, H1, HN_SUBNQN, KEY01, 1, KT_TLS_DERIVE_RFC);
	assert_int_equal(kh_admin_up(&a, HN_ADDR, K.port[0], &o), 0);
	struct kh_opts o2;
	struct kh_tls t2;
	opts(&o2, &t2, H1, HN_SUBNQN, KEY02, 1, KT_TLS_DERIVE_RFC);
	t2.id_hostnqn = H2;
	assert_int_equal(KH_SC(kh_io_up(&io, a, HN_ADDR, K.port[0], 1, &o2, &cqe)),
			 KH_STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_HOST));
	kh_close(a);
	hn_pass(&K);
}

static void t_garbage_and_stall(void **state)
{
	(void)state;
	uint8_t junk[64];
	memset(junk, 'A', sizeof(junk));
	long ms = closed_after(K.port[0], junk, sizeof(junk), 5000);
	assert_true(ms >= 0 && ms < 3000);
	ms = closed_after(K.port[1], junk, sizeof(junk), 5000); /* not an ICReq: TLS, which fails */
	assert_true(ms >= 0 && ms < 3000);
	/* a ClientHello's record header, then nothing: the deadline ends it */
	const uint8_t part[] = { 0x16, 0x03, 0x01, 0x01, 0x00, 0x01 };
	ms = closed_after(K.port[0], part, sizeof(part), 14000);
	assert_true(ms >= 9000 && ms < 13000);
	assert_int_equal(hn_log_wait(&K, "TLS handshake timed out", 3000), 0);
	assert_true(hn_alive(&K));
	hn_pass(&K);
}

static void t_live_key(void **state)
{
	(void)state;
	struct json_object *resp = NULL;
	struct kh_opts o;
	struct kh_tls t;
	struct kh_host *a = NULL;
	opts(&o, &t, HLIVE, HN_SUBNQN, KEYL, 1, KT_TLS_DERIVE_COMPAT);
	assert_int_not_equal(kh_admin_up(&a, HN_ADDR, K.port[0], &o), 0);
	char out[8192];
	/* as a user does it: katoctl hosts set HOSTNQN --tls-key K */
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "hosts set " HLIVE " --tls-key " KEYL), 0);
	assert_null(strstr(out, "NVMeTLSkey"));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "hosts list"), 0);
	assert_null(strstr(out, "NVMeTLSkey"));
	assoc_io(&o, K.port[0]);
	/* taken away again: the next handshake fails */
	assert_non_null(hn_ctl_call(&K, &resp, "hosts.set", "{\"nqn\": \"" HLIVE "\", \"tls_key\": \"\"}"));
	json_object_put(resp);
	assert_int_not_equal(kh_admin_up(&a, HN_ADDR, K.port[0], &o), 0);
	hn_pass(&K);
}

/* Secure concatenation, as a Linux 7.x host with --concat: the admin queue
 * first connects without TLS and authenticates with SC_C NEWTLSPSK; the
 * host then connects over TLS with the PSK both ends generated (identity
 * NVMe1G01), and neither that admin queue nor its I/O queues are asked to
 * authenticate again. */
static void t_concat(void **state)
{
	(void)state;
	struct kh_opts o;
	struct kh_tls t;
	struct kh_host *a = NULL, *a2 = NULL;
	struct kh_auth_info info;
	struct kh_auth_opts ao = { .key = DHKEY, .dhgid = -1, .sc_c = KT_AUTH_SC_NEWTLSPSK };
	uint8_t psk[48];

	memset(&o, 0, sizeof(o));
	o.hostnqn = HCAT;
	o.subnqn = HN_SUBNQN;
	o.kato_ms = 10000;
	/* plain, on the port where TLS is not required */
	assert_int_equal(kh_connect(&a, HN_ADDR, K.port[1], &o, NULL), 0);
	assert_true(kh_connect_dw0(a) & KT_CONNECT_AUTHREQ_ATR);
	assert_int_equal(kh_auth(a, &ao, &info), 0);
	assert_int_equal(info.dhgid, KT_DHCHAP_FFDHE2048); /* NULL configured: no Ks, so the host's next */
	assert_int_equal(info.gen_len, 32);
	memcpy(psk, info.gen_psk, 32);
	OPENSSL_cleanse(info.gen_psk, sizeof(info.gen_psk));
	assert_int_equal(hn_log_wait(&K, "TLS PSK generated for secure concatenation (sha256, new)", 3000), 0);
	kh_close(a);

	/* over TLS with the generated PSK, even where TLS is required */
	memset(&t, 0, sizeof(t));
	t.gen_psk = psk;
	t.gen_hash = 1;
	o.tls = &t;
	assert_int_equal(kh_connect(&a, HN_ADDR, K.port[0], &o, NULL), 0);
	assert_int_equal(kh_connect_dw0(a) >> 16, 0); /* no second authentication */
	assert_int_equal(hn_log_wait(&K, "PSK identity NVMe1G01 host " HCAT " subsystem " HN_SUBNQN
				     ", generated by secure concatenation", 3000), 0);
	kh_close(a);
	assert_string_equal(assoc_io(&o, K.port[0]), "TLS_AES_128_GCM_SHA256");
	assert_string_equal(assoc_io(&o, K.port[1]), "TLS_AES_128_GCM_SHA256");

	/* REPLACETLSPSK on that TLS admin queue: a new PSK, which works too;
	 * NEWTLSPSK there is a concatenation mismatch (and fails the controller) */
	assert_int_equal(kh_connect(&a, HN_ADDR, K.port[0], &o, NULL), 0);
	ao.sc_c = KT_AUTH_SC_REPLACETLSPSK;
	ao.hash_id = KT_DHCHAP_SHA384;
	assert_int_equal(kh_auth(a, &ao, &info), 0);
	assert_int_equal(info.gen_len, 48);
	uint8_t psk2[48];
	memcpy(psk2, info.gen_psk, 48);
	OPENSSL_cleanse(info.gen_psk, sizeof(info.gen_psk));
	assert_int_equal(hn_log_wait(&K, "TLS PSK generated for secure concatenation (sha384, replacing the session's)",
				     3000), 0);
	ao.sc_c = KT_AUTH_SC_NEWTLSPSK;
	ao.hash_id = 0;
	assert_int_equal(kh_auth(a, &ao, &info), -EACCES);
	assert_int_equal(info.failure_reason, KT_AUTH_CONCAT_MISMATCH);
	kh_close(a);
	struct kh_tls t2 = { .gen_psk = psk2, .gen_hash = 2 };
	o.tls = &t2;
	assert_string_equal(assoc_io(&o, K.port[0]), "TLS_AES_256_GCM_SHA384");

	/* a generated identity katod never made: the handshake fails */
	psk2[0] ^= 1;
	o.timeout_ms = 3000;
	assert_int_not_equal(kh_connect(&a2, HN_ADDR, K.port[0], &o, NULL), 0);
	assert_int_equal(hn_log_wait(&K, "no generated PSK (secure concatenation) of that identity", 3000), 0);
	OPENSSL_cleanse(psk, sizeof(psk));
	OPENSSL_cleanse(psk2, sizeof(psk2));
	hn_pass(&K);
}

static void t_discovery(void **state)
{
	(void)state;
	struct kh_opts o;
	struct kh_tls t;
	struct kh_host *d = NULL;
	struct nvmf_discovery_log *log = NULL;
	uint64_t n = 0;
	opts(&o, &t, H1, NVME_DISC_SUBSYS_NAME, KEY01, 1, KT_TLS_DERIVE_RFC);
	o.kato_ms = 0;
	assert_int_equal(kh_admin_up(&d, HN_ADDR, K.port[0], &o), 0);
	assert_int_equal(kh_disc_log(d, &log, &n), 0);
	unsigned seen = 0;
	for (uint64_t i = 0; i < n; i++) {
		struct nvmf_disc_log_entry *e = &log->entries[i];
		char svc[33];
		kh_disc_str(svc, e->trsvcid, sizeof(e->trsvcid));
		unsigned port = (unsigned)atoi(svc);
		assert_int_equal(e->tsas.tcp.sectype, NVMF_TCP_SECTYPE_TLS13);
		if (port == K.port[0])
			assert_int_equal(e->treq & 3, NVMF_TREQ_REQUIRED);
		else if (port == K.port[1])
			assert_int_equal(e->treq & 3, NVMF_TREQ_NOT_REQUIRED);
		seen++;
	}
	assert_true(seen >= 2);
	free(log);
	kh_close(d);
	hn_pass(&K);
}

int main(void)
{
	HN_NEED_KATOD();
	const struct CMUnitTest tests[] = {
		HN_TEST(t_io),
		HN_TEST(t_ambiguous),
		HN_TEST(t_plain),
		HN_TEST(t_wrong_key),
		HN_TEST(t_identity_mismatch),
		HN_TEST(t_live_key),
		HN_TEST(t_concat),
		HN_TEST(t_discovery),
		HN_TEST(t_garbage_and_stall),
	};
	return cmocka_run_group_tests(tests, group_setup, hn_group_teardown_clean);
}

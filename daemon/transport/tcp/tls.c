/*
 * tls.c - the TLS 1.3 server for NVMe/TCP (daemon/transport/tcp/tls.h),
 * as the NVMe/TCP transport specification asks of a controller and as
 * nvmet with tlshd behaves towards the Linux host:
 *
 * - TLS 1.3 only, no certificate: the PSK authenticates both ends; a host
 *   that offers no PSK, or one katod has no key for, fails the handshake.
 * - (EC)DHE always: the Linux host offers only psk_dhe_ke, and OpenSSL's
 *   default refuses psk_ke.
 * - Cipher suites: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and
 *   TLS_CHACHA20_POLY1305_SHA256, narrowed per handshake to the hash the
 *   host bound its PSK with (the first binder's length, read from the
 *   ClientHello before OpenSSL picks the suite: proto/tls_hello.c), since
 *   hosts differ for 48-byte keys (older tlshd binds them with SHA-256).
 *   Among those, the host's order.
 * - The PSK: SSL_CTX_set_psk_find_session_callback (the old PSK callback
 *   cannot carry SHA-384); the identity parsed by proto, the key looked up
 *   for its host and subsystem, the TLS PSK derived (kt_tls_psk_for_identity);
 *   or, for a generated identity ("NVMe1G", secure concatenation), the TLS
 *   PSK kept when the host's DH-HMAC-CHAP transaction made it (tls_gen.h).
 * - No session tickets: the host's kTLS takes over after the handshake and
 *   would choke on a post-handshake NewSessionTicket.
 * - kTLS where the kernel has it: OpenSSL hands the records to the kernel's
 *   tls ULP as the application keys come (conn.c then reads and writes the
 *   socket itself), and stays in charge where it cannot.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "daemon/core/tls_gen.h"
#include "daemon/core/tls_keyring.h"
#include "daemon/core/tls_keys.h"
#include "daemon/log.h"
#include "daemon/transport/tcp/tls.h"
#include "proto/tls_hello.h"

#define SUITES_ALL "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define SUITES_SHA256 "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"
#define SUITES_SHA384 "TLS_AES_256_GCM_SHA384"

static SSL_CTX *ctx;
static int peer_idx = -1;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static struct kt_tls_peer *peer_of(SSL *ssl)
{
	return SSL_get_ex_data(ssl, peer_idx);
}

/* Before the suite is chosen: only the suites of the host's binder hash. */
static int on_client_hello(SSL *ssl, int *al, void *arg)
{
	(void)arg;
	struct kt_tls_peer *p = peer_of(ssl);
	const unsigned char *ext;
	size_t len;
	if (!SSL_client_hello_get0_ext(ssl, KT_TLS_EXT_PRE_SHARED_KEY, &ext, &len)) {
		p->why = "the host offered no PSK";
		*al = SSL_AD_HANDSHAKE_FAILURE;
		return SSL_CLIENT_HELLO_ERROR;
	}
	int bl = kt_tls_hello_binder_len(ext, len);
	if (bl != 32 && bl != 48) {
		p->why = "malformed pre_shared_key extension";
		*al = SSL_AD_DECODE_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	}
	if (!SSL_set_ciphersuites(ssl, bl == 48 ? SUITES_SHA384 : SUITES_SHA256)) {
		*al = SSL_AD_INTERNAL_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* One identity the host offers: its PSK as a session, or none (*sess NULL:
 * OpenSSL tries the next identity, and fails the handshake when none is
 * left). A retained-PSK identity whose host has no configured key for the
 * subsystem is looked up in the kernel keyring (katod.tls_keyring); a
 * configured key always wins. */
static int on_find_psk(SSL *ssl, const unsigned char *identity, size_t identity_len, SSL_SESSION **sess)
{
	struct kt_tls_peer *p = peer_of(ssl);
	struct kt_tls_identity id;
	struct kt_tls_key key;
	struct kt_tls_psk psk;
	unsigned forms;
	enum kt_tls_derive prefer;
	const char *why = NULL;
	const char *keyring = NULL;
	*sess = NULL;
	if (kt_tls_identity_parse(&id, identity, identity_len, &why) < 0) {
		p->why = why ? why : "malformed PSK identity";
		return 1;
	}
	if (!p->have_id) {
		p->id = id;
		p->have_id = true;
	}
	if (id.type == 'G') {
		if (kt_tls_gen_lookup(&id, &psk) < 0) {
			p->why = "no generated PSK (secure concatenation) of that identity";
			return 1;
		}
	} else if (kt_tls_keys_lookup(id.hostnqn, id.subnqn, &key, &forms, &prefer) < 0) {
		/* none configured: the TLS PSK itself, from the kernel keyring
		 * under the identity's exact bytes, as nvmet (tls_keyring.h) */
		if (kt_tls_keyring_lookup(identity, identity_len, (enum kt_tls_hash)id.hash, &psk, &keyring,
					  &why) < 0) {
			p->keyring = keyring;
			p->why = why ? why : "no TLS key configured for the host";
			return 1;
		}
	} else {
		int rc = kt_tls_psk_for_identity(&id, &key, forms, prefer, &psk, &why);
		kt_tls_key_clear(&key);
		if (rc < 0) {
			p->why = why ? why : "no PSK for the identity";
			return 1;
		}
	}
	const SSL_CIPHER *cipher = SSL_get_pending_cipher(ssl);
	SSL_SESSION *s = SSL_SESSION_new();
	if (!s || !cipher || !SSL_SESSION_set1_master_key(s, psk.key, psk.len) ||
	    !SSL_SESSION_set_cipher(s, cipher) || !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		SSL_SESSION_free(s);
		kt_tls_psk_clear(&psk);
		p->why = "out of memory";
		return 0;
	}
	p->id = id;
	p->have_key = true;
	p->form = psk.form;
	p->ambiguous = psk.ambiguous;
	p->keyring = keyring;
	p->from_keyring = keyring != NULL;
	kt_tls_psk_clear(&psk);
	*sess = s;
	return 1;
}

static void ctx_init(void)
{
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());
	if (!c)
		return;
	peer_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (peer_idx < 0 || !SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION) || !SSL_CTX_set_ciphersuites(c, SUITES_ALL) ||
	    !SSL_CTX_set_num_tickets(c, 0)) {
		SSL_CTX_free(c);
		return;
	}
	SSL_CTX_set_options(c, SSL_OP_NO_TICKET | SSL_OP_ENABLE_KTLS);
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_client_hello_cb(c, on_client_hello, NULL);
	SSL_CTX_set_psk_find_session_callback(c, on_find_psk);
	ctx = c;
}

SSL *kt_tls_server_new(int fd, struct kt_tls_peer *peer)
{
	pthread_once(&ctx_once, ctx_init);
	if (!ctx) {
		kt_err("%s: no TLS server context (OpenSSL): refusing the connection", peer->peer);
		return NULL;
	}
	SSL *ssl = SSL_new(ctx);
	if (!ssl)
		return NULL;
	if (!SSL_set_fd(ssl, fd) || !SSL_set_ex_data(ssl, peer_idx, peer)) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_accept_state(ssl);
	return ssl;
}

const char *kt_tls_cipher_name(SSL *ssl)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	return c ? SSL_CIPHER_get_name(c) : "?";
}

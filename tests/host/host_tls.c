/*
 * host_tls.c - the host side of NVMe/TCP over TLS 1.3 for the test
 * initiator, as the Linux host (nvme_tcp_start_tls, with tlshd as its TLS
 * client) does it: TLS starts on the fresh TCP connection, before ICReq;
 * the only PSK offered is the one for the identity "NVMe<v>R<hh> <hostnqn>
 * <subnqn>[ <digest>]", derived from the configured key by proto/tls_psk.h
 * in the form the host's libnvme uses; key exchange psk_dhe_ke (OpenSSL's
 * default). Options let tests bind a 48-byte key with SHA-256 (older
 * tlshd), name another host or subsystem in the identity than in Connect,
 * or offer a wrong key; the benchmark's load generator asks for kTLS.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "proto/tls_psk.h"
#include "tests/host/host_priv.h"

struct kh_tls_state {
	char identity[KT_TLS_IDENTITY_MAX + 1];
	uint8_t psk[KT_TLS_PSK_MAX];
	size_t psk_len;
	uint16_t suite;          /* 0x1301, 0x1302 or 0x1303 */
};

static int use_session(SSL *ssl, const EVP_MD *md, const unsigned char **id, size_t *idlen,
		       SSL_SESSION **sess)
{
	(void)md;
	struct kh_host *h = SSL_get_app_data(ssl);
	struct kh_tls_state *st = h->tls;
	const unsigned char cid[2] = { 0x13, (unsigned char)(st->suite & 0xff) };
	const SSL_CIPHER *c = SSL_CIPHER_find(ssl, cid);
	SSL_SESSION *s = SSL_SESSION_new();
	if (!c || !s || !SSL_SESSION_set1_master_key(s, st->psk, st->psk_len) ||
	    !SSL_SESSION_set_cipher(s, c) || !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		SSL_SESSION_free(s);
		return 0;
	}
	*id = (const unsigned char *)st->identity;
	*idlen = strlen(st->identity);
	*sess = s;
	return 1;
}

/* The identity and TLS PSK a host derives from t for (hostnqn, subnqn). */
static int derive(const struct kh_tls *t, const char *hostnqn, const char *subnqn, struct kh_tls_state *st)
{
	struct kt_tls_key key;
	struct kt_tls_identity id;
	uint8_t retained[KT_TLS_PSK_MAX];
	char ctx[8 + KT_TLS_DIGEST_MAX];
	int rc;
	if (t->gen_psk) { /* secure concatenation */
		struct kt_tls_psk p;
		rc = kt_tls_psk_from_generated((enum kt_tls_hash)t->gen_hash, t->gen_psk,
					       t->id_hostnqn ? t->id_hostnqn : hostnqn,
					       t->id_subnqn ? t->id_subnqn : subnqn, st->identity,
					       sizeof(st->identity), &p);
		if (rc < 0)
			return rc;
		memcpy(st->psk, p.key, p.len);
		st->psk_len = p.len;
		st->suite = t->suite ? t->suite : p.hash == KT_TLS_HASH_SHA384 ? 0x1302 : 0x1301;
		kt_tls_psk_clear(&p);
		return 0;
	}
	if (kt_tls_key_parse(&key, t->key, strlen(t->key), NULL) < 0)
		return -EINVAL;
	enum kt_tls_hash hash = kt_tls_key_hash(&key);
	enum kt_tls_derive form = t->form ? t->form : KT_TLS_DERIVE_RFC;
	memset(&id, 0, sizeof(id));
	id.version = t->version;
	id.type = 'R';
	id.hash = (uint8_t)hash;
	snprintf(id.hostnqn, sizeof(id.hostnqn), "%s", t->id_hostnqn ? t->id_hostnqn : hostnqn);
	snprintf(id.subnqn, sizeof(id.subnqn), "%s", t->id_subnqn ? t->id_subnqn : subnqn);
	rc = kt_tls_retained_psk(form, &key, id.hostnqn, retained);
	if (!rc && id.version == 1) {
		rc = kt_tls_psk_digest(hash, retained, key.len, id.hostnqn, id.subnqn, id.digest, sizeof(id.digest));
		id.digest_len = rc > 0 ? (uint8_t)rc : 0;
		rc = rc > 0 ? 0 : rc;
	}
	if (!rc)
		rc = kt_tls_identity_format(&id, st->identity, sizeof(st->identity));
	if (rc >= 0) {
		int n = id.version == 1 ? snprintf(ctx, sizeof(ctx), "%02u %s", (unsigned)hash, id.digest)
					: snprintf(ctx, sizeof(ctx), "%s", "");
		const char *c = id.version == 1 ? ctx : st->identity;
		size_t cl = id.version == 1 ? (size_t)n : strlen(st->identity);
		rc = kt_tls_derive_psk(form, hash, retained, key.len, c, cl, st->psk);
		st->psk_len = key.len;
	}
	kt_tls_key_clear(&key);
	OPENSSL_cleanse(retained, sizeof(retained));
	if (rc < 0)
		return rc;
	if (t->suite)
		st->suite = t->suite;
	else
		st->suite = hash == KT_TLS_HASH_SHA384 && !t->bind_sha256 ? 0x1302 : 0x1301;
	return 0;
}

int kh_tls_derive(const struct kh_tls *t, const char *hostnqn, const char *subnqn, char *identity, size_t idsz,
		  uint8_t *psk, size_t *psk_len)
{
	struct kh_tls_state st;
	int rc = derive(t, hostnqn, subnqn, &st);
	if (!rc && strlen(st.identity) >= idsz)
		rc = -ENOSPC;
	if (!rc) {
		memcpy(identity, st.identity, strlen(st.identity) + 1);
		memcpy(psk, st.psk, st.psk_len);
		*psk_len = st.psk_len;
	}
	OPENSSL_cleanse(&st, sizeof(st));
	return rc;
}

int kh_tls_start(struct kh_host *h)
{
	const struct kh_tls *t = h->o.tls;
	struct kh_tls_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	h->tls = st;
	int rc = derive(t, h->hostnqn, h->subnqn, st);
	if (rc < 0)
		return rc;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return -ENOMEM;
	const char *suite = st->suite == 0x1302 ? "TLS_AES_256_GCM_SHA384"
			    : st->suite == 0x1303 ? "TLS_CHACHA20_POLY1305_SHA256" : "TLS_AES_128_GCM_SHA256";
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_ciphersuites(ctx, suite);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (t->ktls)
		SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
	if (t->read_buf)
		SSL_CTX_set_default_read_buffer_len(ctx, t->read_buf);
	SSL_CTX_set_psk_use_session_callback(ctx, use_session);
	SSL *ssl = SSL_new(ctx);
	SSL_CTX_free(ctx); /* the SSL keeps a reference */
	if (!ssl || !SSL_set_fd(ssl, h->fd)) {
		SSL_free(ssl);
		return -ENOMEM;
	}
	SSL_set_app_data(ssl, h);
	h->ssl = ssl;
	fcntl(h->fd, F_SETFL, fcntl(h->fd, F_GETFL) | O_NONBLOCK);
	uint64_t deadline = kh_now_ms() + (uint64_t)h->timeout_ms;
	for (;;) {
		ERR_clear_error();
		int r = SSL_connect(ssl);
		if (r == 1)
			break;
		int e = SSL_get_error(ssl, r);
		struct pollfd pfd = { h->fd, e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, 0 };
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			unsigned long err = ERR_get_error();
			snprintf(h->errmsg, sizeof(h->errmsg), "TLS handshake: %s",
				 err ? ERR_reason_error_string(err) : "connection closed");
			return -ECONNREFUSED;
		}
		uint64_t now = kh_now_ms();
		if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) == 0)
			return -ETIMEDOUT;
	}
	return 0;
}

void kh_tls_free(struct kh_host *h)
{
	SSL_free(h->ssl);
	h->ssl = NULL;
	if (h->tls)
		OPENSSL_cleanse(h->tls, sizeof(*h->tls));
	free(h->tls);
	h->tls = NULL;
}

const char *kh_tls_cipher(const struct kh_host *h)
{
	return h->ssl ? SSL_get_cipher_name(h->ssl) : NULL;
}

struct ssl_st *kh_tls_ssl(const struct kh_host *h)
{
	return h->ssl;
}

/*
 * tls.h - the TLS 1.3 server of NVMe/TCP ports with tsas tls1.3
 * (daemon/transport/tcp/tls.c): one OpenSSL context for the process, TLS
 * 1.3 only, no certificate, external PSKs found from the identity a host
 * sends (proto/tls_psk.h) and the hosts' keys (daemon/core/tls_keys.h),
 * or for a host without one the kernel keyring (daemon/core/tls_keyring.h).
 * The connection (conn.c) drives the handshake; this file decides it.
 */
#ifndef KATO_DAEMON_TRANSPORT_TCP_TLS_H
#define KATO_DAEMON_TRANSPORT_TCP_TLS_H

#include <stdbool.h>
#include "proto/tls_psk.h"

struct ssl_st;

/* A stalled handshake ends after this long (the Linux host's own
 * handshake timeout is tls_handshake_timeout, 10 s, too). */
#define KT_TLS_HANDSHAKE_MS 10000

/* What the handshake learnt about the host, for the queue's Connect check
 * and the logs. Lives in the queue object. */
struct kt_tls_peer {
	const char *peer;                 /* "addr:port", for logs */
	struct kt_tls_identity id;        /* valid when have_id */
	bool have_id;                     /* an identity parsed (maybe without a key) */
	bool have_key;                    /* a PSK was handed to OpenSSL */
	uint8_t form;                     /* enum kt_tls_derive used */
	bool ambiguous;                   /* form assumed, not confirmed by the identity */
	const char *why;                  /* why no PSK was found (constant text) */
	const char *keyring;              /* the kernel keyring looked in (a name kept for
	                                     the process's life: tls_keyring.h), or NULL */
	bool from_keyring;                /* the PSK handed to OpenSSL is that keyring's */
};

/* A server session on the accepted, non-blocking socket fd, reporting into
 * peer (which must outlive it), or NULL (out of memory, or no TLS context:
 * logged). */
struct ssl_st *kt_tls_server_new(int fd, struct kt_tls_peer *peer);

/* After a successful handshake: the cipher suite's name. */
const char *kt_tls_cipher_name(struct ssl_st *ssl);

#endif

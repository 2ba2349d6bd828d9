/*
 * tls_stream.h - a non-blocking socket that may carry TLS, for the
 * benchmark programs that drive sockets with their own engines once the
 * handshake is done (bench_loadgen on the host's side, bench_ceiling on the
 * controller's; tests/host/tls_stream.c).
 *
 * Why it exists: both programs gather a loop turn's PDUs into one
 * sendmsg and read 256 KiB at a time. Over TLS they do the same through
 * these calls, which keep the engines' shape: where the kernel took the
 * record layer (kTLS, OpenSSL's SSL_OP_ENABLE_KTLS) they are sendmsg and
 * read on the socket, unchanged; where it did not, the iovecs are gathered
 * into one TLS record's worth (16 KiB) per SSL_write_ex, as katod's own
 * userspace TLS path does (daemon/transport/tcp/conn.c), a run of 16 KiB
 * or more of one iovec written from its place, and reads are SSL_read_ex,
 * OpenSSL reading ahead into its read buffer (whose size the SSL_CTX set:
 * SSL_CTX_set_default_read_buffer_len).
 */
#ifndef KATO_TESTS_HOST_TLS_STREAM_H
#define KATO_TESTS_HOST_TLS_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct ssl_st;

struct kh_tls_stream {
	int fd;
	struct ssl_st *ssl;       /* NULL: plain TCP */
	bool ktls_tx, ktls_rx;    /* the kernel took that direction's records */
	uint8_t *tx;              /* TLS_STREAM_RECORD bytes: one record's gathered plaintext */
	uint32_t tx_len;          /* bytes in tx, to be written (retried as they are) */
	uint32_t tx_direct;       /* a write from an iovec's place that wants retrying */
};

#define TLS_STREAM_RECORD 16384u

/* Sets s up on the connected socket fd with ssl (NULL: plain TCP), whose
 * handshake is done; the socket is to be non-blocking. Returns 0 or
 * -ENOMEM. */
int kh_tls_stream_init(struct kh_tls_stream *s, int fd, struct ssl_st *ssl);
void kh_tls_stream_fini(struct kh_tls_stream *s);

/* Like sendmsg(MSG_DONTWAIT) of iov[0..iovcnt): the bytes taken, which
 * are the caller's to drop (a short count: the socket is full, wait for
 * it to be writable and call again with the rest), or -1 with errno
 * (EAGAIN: nothing taken). Bytes taken may still wait in s: call again,
 * with iovcnt 0 if nothing else is due, while kh_tls_stream_tx_pending. */
ssize_t kh_tls_stream_writev(struct kh_tls_stream *s, const struct iovec *iov, int iovcnt);
bool kh_tls_stream_tx_pending(const struct kh_tls_stream *s);

/* Like read: bytes, 0 at the peer's close, -1 with errno (EAGAIN). */
ssize_t kh_tls_stream_read(struct kh_tls_stream *s, void *buf, size_t len);
/* Bytes already decrypted or buffered by OpenSSL, which will not wake the
 * socket: read again before waiting. */
bool kh_tls_stream_rx_pending(const struct kh_tls_stream *s);

#endif

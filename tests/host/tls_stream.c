/*
 * tls_stream.c - a non-blocking socket that may carry TLS, for the
 * benchmark engines (tests/host/tls_stream.h): kTLS where OpenSSL handed
 * the records to the kernel, else SSL_write_ex of gathered records and
 * SSL_read_ex.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tests/host/tls_stream.h"

int kh_tls_stream_init(struct kh_tls_stream *s, int fd, struct ssl_st *ssl)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->ssl = ssl;
	if (!ssl)
		return 0;
	s->ktls_tx = BIO_get_ktls_send(SSL_get_wbio(ssl));
	s->ktls_rx = BIO_get_ktls_recv(SSL_get_rbio(ssl));
	if (!s->ktls_rx)
		SSL_set_read_ahead(ssl, 1); /* fewer reads than a header, then a body, per record */
	if (!s->ktls_tx && !(s->tx = malloc(TLS_STREAM_RECORD)))
		return -ENOMEM;
	return 0;
}

void kh_tls_stream_fini(struct kh_tls_stream *s)
{
	free(s->tx);
	s->tx = NULL;
}

/* 1 written, 0 would block (retry with the same bytes), -1 failed (errno). */
static int tls_write(struct kh_tls_stream *s, const void *buf, size_t len)
{
	size_t w = 0;
	ERR_clear_error();
	int r = SSL_write_ex(s->ssl, buf, len, &w);
	if (r > 0)
		return 1; /* a record (16 KiB at most) is written whole */
	switch (SSL_get_error(s->ssl, r)) {
	case SSL_ERROR_WANT_WRITE:
	case SSL_ERROR_WANT_READ:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		if (!errno)
			errno = EPIPE;
		ERR_clear_error();
		return -1;
	default:
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

ssize_t kh_tls_stream_writev(struct kh_tls_stream *s, const struct iovec *iov, int iovcnt)
{
	if (!s->ssl || s->ktls_tx) {
		if (!iovcnt)
			return 0;
		struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
		return sendmsg(s->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	size_t taken = 0, off = 0;
	int i = 0, r;
	for (;;) {
		if (s->tx_len) {
			if ((r = tls_write(s, s->tx, s->tx_len)) <= 0)
				goto stop;
			s->tx_len = 0;
		}
		while (i < iovcnt && off == iov[i].iov_len) {
			i++;
			off = 0;
		}
		if (i == iovcnt)
			return (ssize_t)taken;
		size_t avail = iov[i].iov_len - off;
		if (s->tx_direct || avail >= TLS_STREAM_RECORD) {
			/* a record's worth in place: written from there (a
			 * retry is at the front of what the caller passes) */
			size_t n = s->tx_direct ? s->tx_direct : TLS_STREAM_RECORD;
			if ((r = tls_write(s, (const uint8_t *)iov[i].iov_base + off, n)) <= 0) {
				s->tx_direct = r == 0 ? (uint32_t)n : 0;
				goto stop;
			}
			s->tx_direct = 0;
			off += n;
			taken += n;
			continue;
		}
		uint32_t n = 0;
		while (i < iovcnt && n < TLS_STREAM_RECORD) {
			size_t k = iov[i].iov_len - off;
			if (k > TLS_STREAM_RECORD - n)
				k = TLS_STREAM_RECORD - n;
			memcpy(s->tx + n, (const uint8_t *)iov[i].iov_base + off, k);
			n += (uint32_t)k;
			off += k;
			if (off == iov[i].iov_len) {
				i++;
				off = 0;
			}
		}
		s->tx_len = n;
		taken += n;
	}
stop:
	if (r < 0)
		return -1;
	if (taken)
		return (ssize_t)taken;
	errno = EAGAIN;
	return -1;
}

bool kh_tls_stream_tx_pending(const struct kh_tls_stream *s)
{
	return s->tx_len || s->tx_direct;
}

ssize_t kh_tls_stream_read(struct kh_tls_stream *s, void *buf, size_t len)
{
	if (!s->ssl || s->ktls_rx)
		return read(s->fd, buf, len);
	size_t n = 0;
	ERR_clear_error();
	int r = SSL_read_ex(s->ssl, buf, len, &n);
	if (r > 0)
		return (ssize_t)n;
	switch (SSL_get_error(s->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (!errno)
			return 0; /* closed without close_notify, as katod does */
		return -1;
	default:
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

bool kh_tls_stream_rx_pending(const struct kh_tls_stream *s)
{
	return s->ssl && !s->ktls_rx && SSL_has_pending(s->ssl);
}

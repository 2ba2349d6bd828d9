/*
 * conn.c - a TCP connection as an I/O object (daemon/transport/tcp/conn.h):
 * reads into the worker's buffer (or straight into a payload's place),
 * replies gathered into one writev per loop turn; over TLS, the same
 * through an OpenSSL session, or through the kernel's TLS where it took
 * the records (see conn.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/tls.h>
#include <event2/event.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "daemon/transport/tcp/conn.h"

/* One writev takes every reply a loop turn produced (up to the kernel's
 * IOV_MAX iovecs, 3 per read): at 64, a QD128 turn of 4 KiB reads took six
 * writevs, each its own TCP push and loopback delivery; the kernel's work
 * per writev, not ours per I/O, was most of the difference from the
 * ceiling (tests/bench/README.md). The array is 16 KiB of the worker's
 * stack. */
#define TX_IOV_MAX 1024 /* Linux UIO_MAXIOV */

/* Payload straight into place: below this much remaining, one read into
 * the buffer is as good. */
#define RX_DIRECT_MIN 8192u

/* ---- transmit ------------------------------------------------------- */

static void tx_schedule(struct kt_conn *c)
{
	if (!c->tx_scheduled && !c->closed) {
		c->tx_scheduled = true;
		event_active(c->tx_ev, EV_WRITE, 0);
	}
}

void kt_conn_push(struct kt_conn *c, struct kt_conn_tx *tx)
{
	tx->pos = 0;
	tx->off = 0;
	tx->next = NULL;
	if (c->tail)
		c->tail->next = tx;
	else
		c->head = tx;
	c->tail = tx;
	tx_schedule(c);
}

void kt_conn_ctl(struct kt_conn *c, const void *pdu, size_t len, bool exclusive)
{
	memcpy(c->ctl, pdu, len);
	c->ctl_len = (uint32_t)len;
	c->ctl_off = 0;
	if (exclusive) {
		c->ctl_only = true;
		c->finish = true;
		event_del(c->rd_ev);
	}
	tx_schedule(c);
}

void kt_conn_finish(struct kt_conn *c)
{
	c->finish = true;
}

/* The socket took `left` bytes: advance past them, reporting the replies
 * whose bytes are all out. */
static void tx_advance(struct kt_conn *c, size_t left)
{
	if (c->ctl_off < c->ctl_len) {
		size_t n = c->ctl_len - c->ctl_off;
		n = n < left ? n : left;
		c->ctl_off += (uint32_t)n;
		left -= n;
	}
	while (left && c->head) {
		struct kt_conn_tx *tx = c->head;
		while (left && tx->pos < tx->iovcnt) {
			size_t rem = tx->iov[tx->pos].iov_len - tx->off;
			if (left >= rem) {
				left -= rem;
				tx->pos++;
				tx->off = 0;
			} else {
				tx->off += left;
				left = 0;
			}
		}
		if (tx->pos == tx->iovcnt) {
			c->head = tx->next;
			if (!c->head)
				c->tail = NULL;
			c->ops->sent(c, tx);
		}
	}
}

static void tx_flush(struct kt_conn *c)
{
	struct iovec iov[TX_IOV_MAX];
	for (;;) {
		int n = 0;
		size_t want = 0;
		if (c->ctl_off < c->ctl_len) {
			iov[n].iov_base = c->ctl + c->ctl_off;
			iov[n].iov_len = c->ctl_len - c->ctl_off;
			want += iov[n].iov_len;
			n++;
		}
		if (!c->ctl_only) {
			for (struct kt_conn_tx *tx = c->head; tx && n < TX_IOV_MAX; tx = tx->next) {
				for (unsigned i = tx->pos; i < tx->iovcnt && n < TX_IOV_MAX; i++) {
					size_t off = i == tx->pos ? tx->off : 0;
					iov[n].iov_base = (uint8_t *)tx->iov[i].iov_base + off;
					iov[n].iov_len = tx->iov[i].iov_len - off;
					want += iov[n].iov_len;
					n++;
				}
			}
		}
		if (n == 0)
			break;
		ssize_t w = writev(c->fd, iov, n);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				goto socket_full;
			if (errno == EINTR)
				continue;
			c->ops->ended(c, strerror(errno));
			return;
		}
		tx_advance(c, (size_t)w);
		/* a short write: the socket is full; a second writev would only
		 * return EAGAIN */
		if ((size_t)w < want)
			goto socket_full;
	}
	event_del(c->wr_ev);
	if (c->finish)
		c->ops->ended(c, c->ctl_only ? "transport error" : "disconnect");
	return;
socket_full:
	event_add(c->wr_ev, NULL); /* zero-copy reads wait in namespace memory (daemon/core/exec.c) */
}

/* ---- TLS ------------------------------------------------------------ */

/* One TLS record's plaintext: SSL_write_ex of this much makes one record. */
#define TLS_TX_MAX 16384u

/* OpenSSL's receive buffer: after the handshake it reads ahead up to this
 * much per read (about four full records) instead of a record's header,
 * then its body, in two reads. */
#define TLS_RX_BUF (64u * 1024)

static void handshake_step(struct kt_conn *c);

/* What an OpenSSL call that failed means for the connection: 0 to wait
 * (the events are set), or the reason it ended. */
static const char *tls_error(struct kt_conn *c, int ret, const char *what, char *buf, size_t len)
{
	int e = SSL_get_error(c->ssl, ret);
	switch (e) {
	case SSL_ERROR_WANT_READ:
		return NULL; /* the read event is always on */
	case SSL_ERROR_WANT_WRITE:
		event_add(c->wr_ev, NULL);
		return NULL;
	case SSL_ERROR_ZERO_RETURN:
		return "peer closed";
	case SSL_ERROR_SYSCALL:
		if (errno == EAGAIN || errno == EINTR)
			return NULL;
		ERR_clear_error();
		return errno ? strerror(errno) : "peer closed";
	default: {
		unsigned long err = ERR_get_error();
		const char *r = err ? ERR_reason_error_string(err) : NULL;
		snprintf(buf, len, "%s: %s", what, r ? r : "TLS error");
		ERR_clear_error();
		return buf;
	}
	}
}

/* Gathers the control PDU and queued replies into tls_tx (their sources
 * are free once copied: reported sent) and writes them, one record per
 * SSL_write_ex; a write that would block is retried with the same bytes. */
static void tls_flush(struct kt_conn *c)
{
	char buf[160];
	for (;;) {
		if (!c->tls_tx_len) {
			uint32_t n = 0;
			if (c->ctl_off < c->ctl_len) {
				uint32_t k = c->ctl_len - c->ctl_off;
				memcpy(c->tls_tx, c->ctl + c->ctl_off, k);
				n = k;
			}
			if (!c->ctl_only) {
				for (struct kt_conn_tx *tx = c->head; tx && n < TLS_TX_MAX; tx = tx->next) {
					for (unsigned i = tx->pos; i < tx->iovcnt && n < TLS_TX_MAX; i++) {
						size_t off = i == tx->pos ? tx->off : 0;
						size_t k = tx->iov[i].iov_len - off;
						if (k > TLS_TX_MAX - n)
							k = TLS_TX_MAX - n;
						memcpy(c->tls_tx + n, (uint8_t *)tx->iov[i].iov_base + off, k);
						n += (uint32_t)k;
					}
				}
			}
			if (!n)
				break;
			c->tls_tx_len = n;
			tx_advance(c, n); /* copied: the replies' buffers are free */
			if (c->closed)
				return;
		}
		size_t w = 0;
		int ret = SSL_write_ex(c->ssl, c->tls_tx, c->tls_tx_len, &w);
		if (ret <= 0) {
			const char *why = tls_error(c, ret, "TLS write", buf, sizeof(buf));
			if (why)
				c->ops->ended(c, why);
			return;
		}
		c->tls_tx_len = 0;
	}
	event_del(c->wr_ev);
	if (c->finish)
		c->ops->ended(c, c->ctl_only ? "transport error" : "disconnect");
}

static void tls_read(struct kt_conn *c)
{
	char buf[160];
	for (int rounds = 0; rounds < 16 && !c->closed && !c->ctl_only; rounds++) {
		size_t remaining = 0, n = 0;
		uint8_t *dst = c->ops->direct ? c->ops->direct(c, &remaining) : NULL;
		bool direct = dst && remaining > RX_DIRECT_MIN;
		int ret = direct ? SSL_read_ex(c->ssl, dst, remaining - 1, &n)
				 : SSL_read_ex(c->ssl, c->rxbuf, c->rxbuf_len, &n);
		if (ret <= 0) {
			const char *why = tls_error(c, ret, "TLS read", buf, sizeof(buf));
			if (why)
				c->ops->ended(c, why);
			return;
		}
		if (direct)
			c->ops->placed(c, n);
		else if (c->ops->data(c, c->rxbuf, n) < 0)
			return;
	}
	/* a record OpenSSL holds already will not wake the socket */
	if (!c->closed && !c->ctl_only && SSL_has_pending(c->ssl))
		event_active(c->rd_ev, EV_READ, 0);
}

static void handshake_step(struct kt_conn *c)
{
	char buf[160];
	ERR_clear_error();
	int ret = SSL_do_handshake(c->ssl);
	if (ret == 1) {
		c->mode = KT_CONN_TLS;
		event_del(c->hs_ev);
		event_del(c->wr_ev);
		/* kTLS: OpenSSL set the kernel's tls ULP up as the keys came
		 * (SSL_OP_ENABLE_KTLS, daemon/transport/tcp/tls.c) where it could */
		c->ktls_tx = BIO_get_ktls_send(SSL_get_wbio(c->ssl));
		c->ktls_rx = BIO_get_ktls_recv(SSL_get_rbio(c->ssl));
		if (c->ktls_tx) {
			free(c->tls_tx); /* replies go out in place */
			c->tls_tx = NULL;
		}
		if (!c->ktls_rx)
			SSL_set_read_ahead(c->ssl, 1); /* not during the handshake: kTLS wants its reads exact */
		if (c->ops->secured)
			c->ops->secured(c);
		if (c->closed)
			return;
		if (c->ktls_rx)
			event_active(c->rd_ev, EV_READ, 0); /* OpenSSL kept nothing back: the socket has the ICReq */
		else
			tls_read(c); /* the host's ICReq may be in OpenSSL's hands already */
		if (!c->closed)
			tx_schedule(c);
		return;
	}
	const char *why = tls_error(c, ret, "TLS handshake failed", buf, sizeof(buf));
	if (why) {
		if (strncmp(why, "TLS", 3) != 0) {
			snprintf(buf, sizeof(buf), "TLS handshake failed: %s", why);
			why = buf;
		}
		c->ops->ended(c, why);
	}
}

static void on_handshake_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct kt_conn *c = arg;
	if (c->ops->hold)
		c->ops->hold(c, true);
	if (!c->closed && (c->mode == KT_CONN_SNIFF || c->mode == KT_CONN_HANDSHAKE))
		c->ops->ended(c, "TLS handshake timed out");
	if (c->ops->hold)
		c->ops->hold(c, false);
}

/* The first 8 bytes: a plain ICReq's common header (type 0, HLEN 128,
 * PLEN 128) is served as plain NVMe/TCP, anything else starts TLS, as
 * nvmet_tcp_try_peek_pdu decides. Edge-triggered: fewer bytes wait for
 * more. */
static void on_sniff(evutil_socket_t fd, short what, void *arg)
{
	struct kt_conn *c = arg;
	uint8_t h[8];
	ssize_t n = recv(c->fd, h, sizeof(h), MSG_PEEK);
	if (c->ops->hold)
		c->ops->hold(c, true);
	if (n == 0) {
		c->ops->ended(c, "peer closed");
	} else if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			c->ops->ended(c, strerror(errno));
	} else if (n == (ssize_t)sizeof(h)) {
		event_del(c->sniff_ev);
		event_add(c->rd_ev, NULL);
		bool icreq = h[0] == KT_PDU_ICREQ && h[2] == 128 && h[4] == 128 && !h[5] && !h[6] && !h[7];
		if (icreq) {
			c->mode = KT_CONN_PLAIN;
			event_del(c->hs_ev);
			if (c->ops->secured)
				c->ops->secured(c);
			if (!c->closed)
				event_active(c->rd_ev, EV_READ, 0);
		} else {
			c->mode = KT_CONN_HANDSHAKE;
			handshake_step(c);
		}
	}
	if (c->ops->hold)
		c->ops->hold(c, false);
}

int kt_conn_tls_start(struct kt_conn *c, struct ssl_st *ssl, bool sniff, int timeout_ms)
{
	struct event_base *base = event_get_base(c->rd_ev);
	c->ssl = ssl;
	SSL_set_default_read_buffer_len(ssl, TLS_RX_BUF); /* its size when first used */
	c->tls_tx = malloc(TLS_TX_MAX);
	c->hs_ev = evtimer_new(base, on_handshake_timeout, c);
	if (sniff)
		c->sniff_ev = event_new(base, c->fd, EV_READ | EV_PERSIST | EV_ET, on_sniff, c);
	if (!c->tls_tx || !c->hs_ev || (sniff && !c->sniff_ev))
		return -ENOMEM;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	evtimer_add(c->hs_ev, &tv);
	if (sniff) {
		c->mode = KT_CONN_SNIFF;
		event_del(c->rd_ev);
		event_add(c->sniff_ev, NULL);
	} else {
		c->mode = KT_CONN_HANDSHAKE;
	}
	return 0;
}

const char *kt_conn_tls_path(const struct kt_conn *c)
{
	if (c->ktls_tx)
		return c->ktls_rx ? "kTLS send and receive" : "kTLS send, OpenSSL receive";
	return c->ktls_rx ? "OpenSSL send, kTLS receive" : "OpenSSL send and receive (no kTLS)";
}

static void on_tx(evutil_socket_t fd, short what, void *arg)
{
	struct kt_conn *c = arg;
	c->tx_scheduled = false;
	if (c->closed)
		return;
	switch (c->mode) {
	case KT_CONN_PLAIN:
		tx_flush(c);
		break;
	case KT_CONN_TLS:
		if (c->ops->hold)
			c->ops->hold(c, true);
		if (c->ktls_tx)
			tx_flush(c);
		else
			tls_flush(c);
		if (c->ops->hold)
			c->ops->hold(c, false);
		break;
	case KT_CONN_HANDSHAKE:
		if (what & EV_WRITE && fd >= 0) {
			if (c->ops->hold)
				c->ops->hold(c, true);
			handshake_step(c);
			if (c->ops->hold)
				c->ops->hold(c, false);
		}
		break;
	case KT_CONN_SNIFF:
		break;
	}
}

/* ---- receive -------------------------------------------------------- */

/* kTLS receive: the kernel hands over application data, and a record of
 * any other type (an alert, a post-handshake message) alone, with its type
 * in a control message; there is nothing for katod to do with one but end
 * the connection (errno EBADMSG). */
static ssize_t ktls_readv(struct kt_conn *c, struct iovec *iov, int n)
{
	union {
		char buf[CMSG_SPACE(sizeof(unsigned char))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	ssize_t r = recvmsg(c->fd, &mh, 0);
	struct cmsghdr *cm = r > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (cm && cm->cmsg_level == SOL_TLS && cm->cmsg_type == TLS_GET_RECORD_TYPE &&
	    *CMSG_DATA(cm) != 23 /* application_data */) {
		errno = EBADMSG;
		return -1;
	}
	return r;
}

/* The rest of a large payload whose place the owner knows is read straight
 * there, and what follows into the buffer, with one readv. The payload's
 * last byte is left to the buffered side, so that the owner's parser sees
 * it and completes the payload itself. Returns the readv result; *direct
 * the bytes read into the payload. */
static ssize_t rx_read(struct kt_conn *c, size_t *direct)
{
	size_t remaining = 0;
	uint8_t *dst = c->ops->direct ? c->ops->direct(c, &remaining) : NULL;
	*direct = 0;
	if (!dst || remaining <= RX_DIRECT_MIN) {
		if (c->ktls_rx) {
			struct iovec iov = { c->rxbuf, c->rxbuf_len };
			return ktls_readv(c, &iov, 1);
		}
		return read(c->fd, c->rxbuf, c->rxbuf_len);
	}
	size_t want = remaining - 1;
	struct iovec iov[2] = { { dst, want }, { c->rxbuf, c->rxbuf_len } };
	ssize_t n = c->ktls_rx ? ktls_readv(c, iov, 2) : readv(c->fd, iov, 2);
	if (n <= 0)
		return n;
	*direct = (size_t)n < want ? (size_t)n : want;
	c->ops->placed(c, *direct);
	return n;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct kt_conn *c = arg;
	if (c->stalled)
		return; /* a fault rule's stall (TLS activates this event itself) */
	if (c->ops->hold)
		c->ops->hold(c, true); /* a callback may end the owner */
	if (c->mode != KT_CONN_PLAIN && !(c->mode == KT_CONN_TLS && c->ktls_rx)) {
		if (c->mode == KT_CONN_TLS)
			tls_read(c);
		else if (c->mode == KT_CONN_HANDSHAKE)
			handshake_step(c);
		if (c->ops->hold)
			c->ops->hold(c, false);
		return;
	}
	for (int rounds = 0; rounds < 4 && !c->closed && !c->ctl_only && !c->stalled; rounds++) {
		size_t direct;
		ssize_t n = rx_read(c, &direct);
		if (n == 0) {
			c->ops->ended(c, "peer closed");
			break;
		}
		if (n < 0) {
			if (errno == EBADMSG && c->ktls_rx)
				c->ops->ended(c, "TLS alert or post-handshake message");
			else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				c->ops->ended(c, strerror(errno));
			break;
		}
		size_t buffered = (size_t)n - direct;
		if (buffered && c->ops->data(c, c->rxbuf, buffered) < 0)
			break;
		if (buffered < c->rxbuf_len)
			break;
	}
	if (c->ops->hold)
		c->ops->hold(c, false);
}

/* ---- the socket ---------------------------------------------------- */

void kt_conn_sockopts(int fd, int ka_idle_s, int ka_interval_s, int ka_count)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &ka_idle_s, sizeof(ka_idle_s));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &ka_interval_s, sizeof(ka_interval_s));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &ka_count, sizeof(ka_count));
}

/* An address as text, its port and family (IPv4-mapped IPv6 addresses, a
 * dual-stack listener's IPv4 peers, count as IPv4). */
static void addr_text(const struct sockaddr_storage *ss, char *addr, size_t len, unsigned *port,
		      uint8_t *adrfam)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, addr, (socklen_t)len);
		*port = ntohs(a->sin_port);
		*adrfam = NVMF_ADDR_FAMILY_IP4;
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
			inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], addr, (socklen_t)len);
			*adrfam = NVMF_ADDR_FAMILY_IP4;
		} else {
			inet_ntop(AF_INET6, &a->sin6_addr, addr, (socklen_t)len);
			*adrfam = NVMF_ADDR_FAMILY_IP6;
		}
		*port = ntohs(a->sin6_port);
	}
}

void kt_conn_addrs(int fd, char *peer, size_t peer_len, uint8_t *local_fam, char *local,
		   size_t local_len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char addr[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	uint8_t fam = 0;
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		addr_text(&ss, addr, sizeof(addr), &port, &fam);
	snprintf(peer, peer_len, "%s:%u", addr, port);
	*local_fam = 0;
	local[0] = '\0';
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		addr_text(&ss, local, local_len, &port, local_fam);
}

/* ---- lifetime --------------------------------------------------------- */

int kt_conn_init(struct kt_conn *c, int fd, struct event_base *base, uint8_t *rxbuf,
		 uint32_t rxbuf_len, const struct kt_conn_ops *ops)
{
	c->fd = fd;
	c->ops = ops;
	c->rxbuf = rxbuf;
	c->rxbuf_len = rxbuf_len;
	c->rd_ev = event_new(base, fd, EV_READ | EV_PERSIST, on_read, c);
	c->wr_ev = event_new(base, fd, EV_WRITE, on_tx, c);
	c->tx_ev = event_new(base, -1, 0, on_tx, c);
	if (!c->rd_ev || !c->wr_ev || !c->tx_ev)
		return -ENOMEM;
	event_add(c->rd_ev, NULL);
	return 0;
}

static void on_stall_end(evutil_socket_t fd, short what, void *arg)
{
	struct kt_conn *c = arg;
	(void)fd;
	(void)what;
	c->stalled = false;
	if (!c->closed && !c->ctl_only)
		event_add(c->rd_ev, NULL); /* level-triggered: what came meanwhile is read now */
}

void kt_conn_stall_reads(struct kt_conn *c, uint32_t ms)
{
	if (c->closed)
		return;
	if (!c->stall_ev && !(c->stall_ev = evtimer_new(event_get_base(c->rd_ev), on_stall_end, c)))
		return;
	struct timeval tv = { (time_t)(ms / 1000u), (suseconds_t)(ms % 1000u) * 1000 };
	event_base_update_cache_time(event_get_base(c->rd_ev));
	if (evtimer_add(c->stall_ev, &tv) < 0)
		return;
	c->stalled = true;
	event_del(c->rd_ev);
}

void kt_conn_shut(struct kt_conn *c)
{
	if (c->fd >= 0 && !c->closed)
		shutdown(c->fd, SHUT_WR);
}

void kt_conn_close(struct kt_conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	if (c->rd_ev)
		event_del(c->rd_ev);
	if (c->wr_ev)
		event_del(c->wr_ev);
	if (c->tx_ev)
		event_del(c->tx_ev);
	if (c->hs_ev)
		event_del(c->hs_ev);
	if (c->sniff_ev)
		event_del(c->sniff_ev);
	if (c->stall_ev)
		event_del(c->stall_ev);
	if (c->fd >= 0)
		shutdown(c->fd, SHUT_RDWR);
}

void kt_conn_fini(struct kt_conn *c)
{
	if (c->rd_ev)
		event_free(c->rd_ev);
	if (c->wr_ev)
		event_free(c->wr_ev);
	if (c->tx_ev)
		event_free(c->tx_ev);
	if (c->hs_ev)
		event_free(c->hs_ev);
	if (c->sniff_ev)
		event_free(c->sniff_ev);
	if (c->stall_ev)
		event_free(c->stall_ev);
	c->stall_ev = NULL;
	SSL_free(c->ssl); /* no close_notify: as the kernel's kTLS, the socket just closes */
	c->ssl = NULL;
	free(c->tls_tx);
	c->tls_tx = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/*
 * conn.c - a TCP connection as an I/O object (daemon/transport/tcp/conn.h):
 * reads into the worker's buffer (or straight into a payload's place),
 * replies gathered into one writev per loop turn.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <event2/event.h>
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

static void on_tx(evutil_socket_t fd, short what, void *arg)
{
	struct kt_conn *c = arg;
	c->tx_scheduled = false;
	if (!c->closed)
		tx_flush(c);
}

/* ---- receive -------------------------------------------------------- */

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
	if (!dst || remaining <= RX_DIRECT_MIN)
		return read(c->fd, c->rxbuf, c->rxbuf_len);
	size_t want = remaining - 1;
	struct iovec iov[2] = { { dst, want }, { c->rxbuf, c->rxbuf_len } };
	ssize_t n = readv(c->fd, iov, 2);
	if (n <= 0)
		return n;
	*direct = (size_t)n < want ? (size_t)n : want;
	c->ops->placed(c, *direct);
	return n;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct kt_conn *c = arg;
	if (c->ops->hold)
		c->ops->hold(c, true); /* a callback may end the owner */
	for (int rounds = 0; rounds < 4 && !c->closed && !c->ctl_only; rounds++) {
		size_t direct;
		ssize_t n = rx_read(c, &direct);
		if (n == 0) {
			c->ops->ended(c, "peer closed");
			break;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
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
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/*
 * queue.c - one NVMe/TCP connection: the transport's side of a queue. It
 * turns the socket into PDUs (proto's kt_rx_feed) and PDUs into calls on
 * the controller core (daemon/core/sq.h: kt_req_begin, kt_req_exec), and
 * the core's requests (fetch host data, complete, close) into PDUs on the
 * socket. It decides no NVMe semantics.
 *
 * The session, one transition function (session_to) and a name per state:
 *
 *   WAIT_ICREQ --ICReq--> READY --close--> CLOSED
 *        any state --protocol error--> TERMINATING (C2HTermReq) --> CLOSED
 *
 * (Connect and everything after it are the core's: the session only
 * carries capsules once READY.)
 *
 * Receive: one read per wake-up into the worker's receive buffer (shared
 * by its queues: nothing refers to it once a read is parsed), parsed by
 * proto's kt_rx_feed into PDUs; in-capsule and H2CData payloads are copied
 * once, from that buffer into the command's buffer, except the rest of a
 * large payload that a read left unfinished, which the next read places
 * directly (rx_read). Transmit: finished commands are chained on a list
 * and written with one writev per loop turn (a deferred event collects
 * everything the turn produced; up to 1024 iovecs), header and data
 * together, with TCP_NODELAY.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <event2/event.h>
#include "daemon/core/exec.h"
#include "daemon/core/keepalive.h"
#include "daemon/core/sq.h"
#include "daemon/core/target.h"
#include "daemon/core/worker.h"
#include "daemon/log.h"
#include "daemon/transport/tcp/listener.h"
#include "daemon/transport/tcp/tcp.h"
#include "proto/pdu.h"

/* One writev takes every reply a loop turn produced (up to the kernel's
 * IOV_MAX iovecs, 3 per read): at 64, a QD128 turn of 4 KiB reads took six
 * writevs, each its own TCP push and loopback delivery; the kernel's work
 * per writev, not ours per I/O, was most of the difference from the
 * ceiling (tests/bench/README.md). The array is 16 KiB of the worker's
 * stack. */
#define TX_IOV_MAX 1024 /* Linux UIO_MAXIOV */
#define CMD_IOV_MAX 4

enum session_state {
	S_WAIT_ICREQ,
	S_READY,                  /* ICResp sent: capsules flow */
	S_TERMINATING,            /* sending a C2HTermReq, then closing */
	S_CLOSED,
};

static const char *session_name(enum session_state s)
{
	switch (s) {
	case S_WAIT_ICREQ: return "wait-icreq";
	case S_READY: return "ready";
	case S_TERMINATING: return "terminating";
	case S_CLOSED: return "closed";
	}
	return "?";
}

/* Where a command is, as this transport sees it. */
enum cmd_phase {
	C_RX,                     /* its capsule (and in-capsule data) arriving */
	C_DATA_IN,                /* its R2T is out: H2CData may arrive */
	C_CORE,                   /* with the core: executing, or held */
	C_TX,                     /* its reply (or R2T) queued for sending */
};

/* One command: the core's slot, then ours. */
struct tcp_cmd {
	struct kt_req req;
	enum cmd_phase phase;
	bool r2t;                 /* host data comes by R2T + H2CData */
	bool tx_r2t;              /* what is queued is an R2T, not the completion */
	uint32_t h2c_next;        /* next expected H2CData offset */
	struct tcp_cmd *tx_next;
	struct iovec iov[CMD_IOV_MAX];
	unsigned iovcnt, iov_pos;
	size_t iov_off;
	uint8_t hdr[KT_PDU_TX_HDR_MAX]; /* C2HData or R2T header */
	uint8_t rsp[32];          /* CapsuleResp (+ header digest) */
	uint8_t ddgst[KT_DIGEST_LEN];
};

struct kt_queue {
	struct kt_sq sq;          /* the core's side */
	int fd;
	enum session_state state;
	struct event *rd_ev, *wr_ev, *tx_ev;
	struct kt_tcp_params params;
	struct kt_rx rx;
	uint16_t rx_ttag;         /* command of the PDU being received */
	uint8_t term_sink[KT_TERM_MAX_DATA]; /* an H2CTermReq's data: logged only */
	struct tcp_cmd *tx_head, *tx_tail;
	uint8_t ctl[KT_PDU_TX_HDR_MAX]; /* ICResp or C2HTermReq */
	uint32_t ctl_len, ctl_off;
	bool close_after_tx;
	bool tx_scheduled;
};

static inline struct kt_queue *queue_of(struct kt_sq *sq)
{
	return (struct kt_queue *)((char *)sq - offsetof(struct kt_queue, sq));
}

static inline struct tcp_cmd *cmd_of(struct kt_req *r)
{
	return (struct tcp_cmd *)r;
}

static void tx_schedule(struct kt_queue *q);

/* ---- the session --------------------------------------------------------- */

/* The one place the session changes state. */
static void session_to(struct kt_queue *q, enum session_state to)
{
	kt_dbg("%s: queue %u: %s -> %s", q->sq.peer, q->sq.qid, session_name(q->state), session_name(to));
	q->state = to;
	switch (to) {
	case S_WAIT_ICREQ:
	case S_READY:
		break;
	case S_TERMINATING:
		q->close_after_tx = true;
		event_del(q->rd_ev);
		tx_schedule(q);
		break;
	case S_CLOSED:
		event_del(q->rd_ev);
		event_del(q->wr_ev);
		event_del(q->tx_ev);
		shutdown(q->fd, SHUT_RDWR);
		break;
	}
}

static void queue_close(struct kt_queue *q, const char *why)
{
	if (q->state == S_CLOSED)
		return;
	session_to(q, S_CLOSED);
	kt_sq_closed(&q->sq, why);
}

/* Sends a C2HTermReq for a fatal transport error, then closes. */
static void queue_terminate(struct kt_queue *q, const struct kt_pdu_err *err)
{
	kt_warn("%s: queue %u: fatal transport error FES 0x%x FEI %u, terminating", q->sq.peer, q->sq.qid,
		err->fes, err->fei);
	size_t bad = q->rx.hdr_got < KT_TERM_MAX_DATA ? q->rx.hdr_got : KT_TERM_MAX_DATA;
	q->ctl_len = (uint32_t)kt_pdu_build_c2h_term(q->ctl, err, q->rx.hdr, bad);
	q->ctl_off = 0;
	session_to(q, S_TERMINATING);
}

/* ---- transmit ------------------------------------------------------- */

static void on_tx(evutil_socket_t fd, short what, void *arg);

static void tx_schedule(struct kt_queue *q)
{
	if (!q->tx_scheduled && q->state != S_CLOSED) {
		q->tx_scheduled = true;
		event_active(q->tx_ev, EV_WRITE, 0);
	}
}

static void tx_push(struct kt_queue *q, struct tcp_cmd *c)
{
	c->iov_pos = 0;
	c->iov_off = 0;
	c->tx_next = NULL;
	c->phase = C_TX;
	if (q->tx_tail)
		q->tx_tail->tx_next = c;
	else
		q->tx_head = c;
	q->tx_tail = c;
	tx_schedule(q);
}

/* A command's bytes are all on the wire. */
static void tx_done(struct tcp_cmd *c)
{
	if (c->tx_r2t) {
		c->tx_r2t = false;
		c->phase = C_DATA_IN; /* H2CData PDUs may already have arrived */
		return;
	}
	kt_req_put(&c->req);
}

/* The socket took `left` bytes: advance past them, finishing the commands
 * whose bytes are all out. */
static void tx_advance(struct kt_queue *q, size_t left)
{
	if (q->ctl_off < q->ctl_len) {
		size_t n = q->ctl_len - q->ctl_off;
		n = n < left ? n : left;
		q->ctl_off += (uint32_t)n;
		left -= n;
	}
	while (left && q->tx_head) {
		struct tcp_cmd *c = q->tx_head;
		while (left && c->iov_pos < c->iovcnt) {
			size_t rem = c->iov[c->iov_pos].iov_len - c->iov_off;
			if (left >= rem) {
				left -= rem;
				c->iov_pos++;
				c->iov_off = 0;
			} else {
				c->iov_off += left;
				left = 0;
			}
		}
		if (c->iov_pos == c->iovcnt) {
			q->tx_head = c->tx_next;
			if (!q->tx_head)
				q->tx_tail = NULL;
			tx_done(c);
		}
	}
}

static void tx_flush(struct kt_queue *q)
{
	struct iovec iov[TX_IOV_MAX];
	for (;;) {
		int n = 0;
		size_t want = 0;
		if (q->ctl_off < q->ctl_len) {
			iov[n].iov_base = q->ctl + q->ctl_off;
			iov[n].iov_len = q->ctl_len - q->ctl_off;
			want += iov[n].iov_len;
			n++;
		}
		if (q->state != S_TERMINATING) {
			for (struct tcp_cmd *c = q->tx_head; c && n < TX_IOV_MAX; c = c->tx_next) {
				for (unsigned i = c->iov_pos; i < c->iovcnt && n < TX_IOV_MAX; i++) {
					size_t off = i == c->iov_pos ? c->iov_off : 0;
					iov[n].iov_base = (uint8_t *)c->iov[i].iov_base + off;
					iov[n].iov_len = c->iov[i].iov_len - off;
					want += iov[n].iov_len;
					n++;
				}
			}
		}
		if (n == 0)
			break;
		ssize_t w = writev(q->fd, iov, n);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				goto socket_full;
			if (errno == EINTR)
				continue;
			queue_close(q, strerror(errno));
			return;
		}
		tx_advance(q, (size_t)w);
		/* a short write: the socket is full; a second writev would only
		 * return EAGAIN */
		if ((size_t)w < want)
			goto socket_full;
	}
	event_del(q->wr_ev);
	if (q->close_after_tx)
		queue_close(q, q->state == S_TERMINATING ? "transport error" : "disconnect");
	return;
socket_full:
	event_add(q->wr_ev, NULL); /* zero-copy reads wait in namespace memory (daemon/core/sq.c) */
}

static void on_tx(evutil_socket_t fd, short what, void *arg)
{
	struct kt_queue *q = arg;
	q->tx_scheduled = false;
	if (q->state == S_CLOSED)
		return;
	tx_flush(q);
}

/* ---- the core's requests (struct kt_transport_ops) ----------------------- */

/* Host data for a command: an R2T for all of it (MAXR2T is 1: one at a
 * time per command; the data may come in several H2CData PDUs). */
static void tcp_fetch(struct kt_req *r)
{
	struct kt_queue *q = queue_of(r->sq);
	struct tcp_cmd *c = cmd_of(r);
	size_t n = kt_pdu_build_r2t(&q->params, c->hdr, r->cmd.sqe.cid, r->idx, 0, r->cmd.data_len);
	c->iov[0] = (struct iovec){ c->hdr, n };
	c->iovcnt = 1;
	c->tx_r2t = true;
	c->r2t = true;
	c->h2c_next = 0;
	tx_push(q, c);
}

/* The data (C2HData, with the SUCCESS flag instead of a CapsuleResp when
 * the host disabled SQ flow control) and the completion. */
static void tcp_complete(struct kt_req *r)
{
	struct kt_queue *q = queue_of(r->sq);
	struct tcp_cmd *c = cmd_of(r);
	struct kt_cmd *cmd = &r->cmd;
	if (q->state == S_CLOSED || q->state == S_TERMINATING) {
		kt_req_put(r);
		return;
	}
	c->iovcnt = 0;
	bool with_data = cmd->xfer_len > 0;
	bool success_flag = with_data && r->sq->sqhd_disabled;
	if (with_data) {
		size_t n = kt_pdu_build_c2h_data(&q->params, c->hdr, cmd->sqe.cid, 0, cmd->xfer_len, true,
						 success_flag);
		c->iov[c->iovcnt++] = (struct iovec){ c->hdr, n };
		c->iov[c->iovcnt++] = (struct iovec){ cmd->data, cmd->xfer_len };
		if (q->params.ddgst) {
			uint32_t crc = htole32(kt_crc32c(cmd->data, cmd->xfer_len));
			memcpy(c->ddgst, &crc, sizeof(crc));
			c->iov[c->iovcnt++] = (struct iovec){ c->ddgst, KT_DIGEST_LEN };
		}
	}
	if (!success_flag) {
		size_t n = kt_pdu_build_rsp(&q->params, c->rsp, &cmd->cqe);
		c->iov[c->iovcnt++] = (struct iovec){ c->rsp, n };
	}
	tx_push(q, c);
}

static void tcp_close(struct kt_sq *sq, const char *why)
{
	queue_close(queue_of(sq), why);
}

static void tcp_close_after_reply(struct kt_sq *sq)
{
	queue_of(sq)->close_after_tx = true;
}

/* A keep-alive expiry: FIN now; the close follows on this worker. */
static void tcp_shut(struct kt_sq *sq)
{
	struct kt_queue *q = queue_of(sq);
	if (q->fd >= 0)
		shutdown(q->fd, SHUT_WR);
}

/* In-capsule data the queue accepts from now on: the binding's fixed size
 * on the admin queue, the port's on I/O queues (IOCCSZ - 64). */
static void tcp_connected(struct kt_sq *sq)
{
	struct kt_queue *q = queue_of(sq);
	q->params.max_icd = sq->qid == 0 ? KT_ADMIN_ICD_BYTES : sq->port->inline_data_size;
	/* a RAM read is sent from namespace memory unless a digest must match it */
	sq->zero_copy_ok = !q->params.ddgst;
}

static void tcp_free(struct kt_sq *sq)
{
	struct kt_queue *q = queue_of(sq);
	if (q->rd_ev)
		event_free(q->rd_ev);
	if (q->wr_ev)
		event_free(q->wr_ev);
	if (q->tx_ev)
		event_free(q->tx_ev);
	if (q->fd >= 0)
		close(q->fd);
	free(q);
}

/* ---- receive -------------------------------------------------------- */

/* A capsule's header is in: a slot, the core's parse, and where the
 * in-capsule data (if any) goes. A refused command (not a transport error)
 * is answered once its data has been consumed. */
static int on_capsule(struct kt_queue *q, const struct kt_cmd_pdu *pdu, uint32_t icd_len, uint8_t **dst,
		      struct kt_pdu_err *err)
{
	struct kt_req *r = kt_sq_req_get(&q->sq);
	if (!r) {
		kt_warn("%s: queue %u: host exceeded the queue depth (%u entries)", q->sq.peer, q->sq.qid,
			q->sq.sqsize + 1u);
		*err = (struct kt_pdu_err){ KT_FES_PDU_SEQUENCE, 0 };
		return -EPROTO;
	}
	struct tcp_cmd *c = cmd_of(r);
	c->phase = C_RX;
	c->r2t = false;
	c->tx_r2t = false;
	if (kt_req_begin(r, &pdu->sqe, icd_len, dst) < 0) {
		kt_req_put(r);
		*err = (struct kt_pdu_err){ KT_FES_R2T_LIMIT, 0 };
		return -EPROTO;
	}
	q->rx_ttag = r->idx; /* found again in rx_pdu */
	return 0;
}

static int on_h2c_data(struct kt_queue *q, const struct kt_data_pdu *pdu, uint32_t dlen, uint8_t **dst,
		       struct kt_pdu_err *err)
{
	uint16_t ttag = pdu->ttag;
	struct kt_req *r = kt_sq_req_at(&q->sq, le16toh(ttag));
	struct tcp_cmd *c = r ? cmd_of(r) : NULL;
	uint32_t off = le32toh(pdu->offset), len = le32toh(pdu->length);
	/* data only after our R2T is on the wire (tx_done makes it C_DATA_IN) */
	if (!c || !r->busy || !c->r2t || c->tx_r2t || c->phase != C_DATA_IN) {
		*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, offsetof(struct kt_data_pdu, ttag) };
		return -EPROTO;
	}
	if (pdu->cccid != r->cmd.sqe.cid) {
		*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, offsetof(struct kt_data_pdu, cccid) };
		return -EPROTO;
	}
	if (len != dlen) {
		*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, offsetof(struct kt_data_pdu, length) };
		return -EPROTO;
	}
	if (off != c->h2c_next || len > r->cmd.data_len - off) {
		*err = (struct kt_pdu_err){ KT_FES_DATA_OUT_OF_RANGE, 0 };
		return -EPROTO;
	}
	bool last = (pdu->hdr.flags & KT_PDU_F_DATA_LAST) != 0;
	if (last != (off + len == r->cmd.data_len)) {
		*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, offsetof(struct kt_pdu_hdr, flags) };
		return -EPROTO;
	}
	*dst = r->buf + off;
	q->rx_ttag = r->idx;
	return 0;
}

static int rx_header(void *ctx, const void *hdr, uint32_t data_len, uint8_t **dst, struct kt_pdu_err *err)
{
	struct kt_queue *q = ctx;
	const struct kt_pdu_hdr *h = hdr;
	switch (h->type) {
	case KT_PDU_ICREQ:
		return 0;
	case KT_PDU_CMD:
		return on_capsule(q, hdr, data_len, dst, err);
	case KT_PDU_H2C_DATA:
		return on_h2c_data(q, hdr, data_len, dst, err);
	case KT_PDU_H2C_TERM:
		if (data_len > sizeof(q->term_sink)) {
			*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, offsetof(struct kt_pdu_hdr, plen) };
			return -EPROTO;
		}
		*dst = q->term_sink;
		return 0;
	default:
		*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, 0 };
		return -EPROTO;
	}
}

/* Hands a command whose host data is in to the core. */
static void to_core(struct kt_req *r, bool ddgst_ok)
{
	cmd_of(r)->phase = C_CORE;
	if (!ddgst_ok)
		kt_req_fail(r, KT_STATUS(NVME_SCT_GENERIC, NVME_SC_TRAN_TPORT_ERROR, false));
	kt_req_exec(r);
}

static int rx_pdu(void *ctx, const void *hdr, bool ddgst_ok, struct kt_pdu_err *err)
{
	struct kt_queue *q = ctx;
	const struct kt_pdu_hdr *h = hdr;
	switch (h->type) {
	case KT_PDU_ICREQ: {
		if (kt_icreq_accept(hdr, &q->params, kt_target_settings()->digests, err) < 0)
			return -EPROTO;
		struct kt_icresp_pdu rsp;
		kt_icresp_build(&rsp, &q->params);
		memcpy(q->ctl, &rsp, sizeof(rsp));
		q->ctl_len = sizeof(rsp);
		q->ctl_off = 0;
		session_to(q, S_READY);
		tx_schedule(q);
		return 0;
	}
	case KT_PDU_CMD:
		to_core(kt_sq_req_at(&q->sq, q->rx_ttag), ddgst_ok);
		return 0;
	case KT_PDU_H2C_DATA: {
		struct kt_req *r = kt_sq_req_at(&q->sq, q->rx_ttag);
		const struct kt_data_pdu *d = hdr;
		struct tcp_cmd *c = cmd_of(r);
		c->h2c_next += le32toh(d->length);
		if (!ddgst_ok)
			kt_req_fail(r, KT_STATUS(NVME_SCT_GENERIC, NVME_SC_TRAN_TPORT_ERROR, false));
		if (c->h2c_next == r->cmd.data_len)
			to_core(r, true);
		return 0;
	}
	case KT_PDU_H2C_TERM: {
		const struct kt_term_pdu *t = hdr;
		kt_warn("%s: queue %u: host terminated the connection (H2CTermReq FES 0x%x)", q->sq.peer,
			q->sq.qid, le16toh(t->fes));
		queue_close(q, "H2CTermReq");
		return -ECONNRESET; /* stop parsing: the queue is gone */
	}
	}
	*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, 0 };
	return -EPROTO;
}

static const struct kt_rx_ops rx_ops = { .header = rx_header, .pdu = rx_pdu };

/* Payload straight into the command's buffer: when the parser is part-way
 * through a large payload (an H2CData PDU, or in-capsule data) whose
 * destination it knows, the rest of it is read directly there, and what
 * follows into the worker's buffer, with one readv. The payload's last byte is left to
 * the buffered side, so that kt_rx_feed sees it and completes the PDU itself;
 * the bytes placed directly are accounted here as the parser would (its
 * data count, and the running data digest). Returns the bytes read into
 * the payload through *direct and the readv result. */
#define RX_DIRECT_MIN 8192u

static ssize_t rx_read(struct kt_queue *q, size_t *direct)
{
	struct kt_worker *w = q->sq.worker;
	size_t remaining = 0;
	uint8_t *dst = kt_rx_data_dst(&q->rx, &remaining);
	*direct = 0;
	if (!dst || remaining <= RX_DIRECT_MIN)
		return read(q->fd, w->rxbuf, w->rxbuf_len);
	size_t want = remaining - 1;
	struct iovec iov[2] = { { dst, want }, { w->rxbuf, w->rxbuf_len } };
	ssize_t n = readv(q->fd, iov, 2);
	if (n <= 0)
		return n;
	*direct = (size_t)n < want ? (size_t)n : want;
	kt_rx_data_placed(&q->rx, *direct);
	return n;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct kt_queue *q = arg;
	kt_sq_get(&q->sq); /* a callback may close the queue */
	q->sq.now_ms = kt_now_ms();
	for (int rounds = 0; rounds < 4 && q->state != S_CLOSED && q->state != S_TERMINATING; rounds++) {
		size_t direct;
		ssize_t n = rx_read(q, &direct);
		if (n == 0) {
			queue_close(q, "peer closed");
			break;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				queue_close(q, strerror(errno));
			break;
		}
		struct kt_pdu_err err = { 0, 0 };
		size_t buffered = (size_t)n - direct;
		if (buffered && kt_rx_feed(&q->rx, &rx_ops, q, q->sq.worker->rxbuf, buffered, &err) < 0) {
			/* FES 0: nothing to answer (a malformed H2CTermReq, or the
			 * queue already closed in a callback): just close */
			if (err.fes)
				queue_terminate(q, &err);
			else
				queue_close(q, "transport closed by host");
			break;
		}
		if (buffered < q->sq.worker->rxbuf_len)
			break;
	}
	kt_sq_put(&q->sq);
}

/* ---- accept ------------------------------------------------------------- */

/* "addr:port" of the peer, and the local address the host reached (for
 * discovery log entries of ports bound to a wildcard address; IPv4-mapped
 * IPv6 addresses, a dual-stack listener's IPv4 peers, count as IPv4). */
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

/* TCP keepalive as the keep-alive settings say (daemon/core/keepalive.h). */
static void tcp_keepalive(int fd)
{
	int one = 1, idle, intvl, cnt;
	kt_ka_tcp_settings(&idle, &intvl, &cnt);
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

void kt_tcp_accept(struct kt_worker *w, int fd, const struct kt_port *port)
{
	struct kt_queue *q = calloc(1, sizeof(*q));
	if (!q) {
		close(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	tcp_keepalive(fd); /* reaps vanished hosts where no KATO timer runs */
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char addr[INET6_ADDRSTRLEN] = "?", peer[64];
	unsigned pnum = 0;
	uint8_t fam = 0;
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		addr_text(&ss, addr, sizeof(addr), &pnum, &fam);
	snprintf(peer, sizeof(peer), "%s:%u", addr, pnum);
	q->fd = fd;
	q->state = S_WAIT_ICREQ;
	if (kt_sq_init(&q->sq, &kt_tcp_ops, w, port, peer) < 0) {
		kt_err("%s: out of memory accepting a connection", peer);
		close(fd);
		free(q);
		return;
	}
	char local[INET6_ADDRSTRLEN] = "";
	unsigned lport;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		addr_text(&ss, local, sizeof(local), &lport, &fam);
		q->sq.local_adrfam = fam;
		snprintf(q->sq.local_traddr, sizeof(q->sq.local_traddr), "%s", local);
	}
	const struct kt_target *t = kt_target_get();
	q->params.maxh2cdata = t->maxh2cdata;
	q->params.cpda = 0;
	/* until Connect says which queue this is: the larger in-capsule size */
	q->params.max_icd = port->inline_data_size > KT_ADMIN_ICD_BYTES ? port->inline_data_size
									 : KT_ADMIN_ICD_BYTES;
	q->sq.zero_copy_ok = false;
	kt_rx_init(&q->rx, &q->params);
	q->rd_ev = event_new(w->base, fd, EV_READ | EV_PERSIST, on_read, q);
	q->wr_ev = event_new(w->base, fd, EV_WRITE, on_tx, q);
	q->tx_ev = event_new(w->base, -1, 0, on_tx, q);
	if (!q->rd_ev || !q->wr_ev || !q->tx_ev) {
		kt_err("%s: out of memory accepting a connection", peer);
		q->state = S_CLOSED;
		kt_sq_closed(&q->sq, "out of memory");
		return;
	}
	event_add(q->rd_ev, NULL);
	kt_dbg("%s: connection accepted on port %u (worker %u)", peer, port->portid, w->id);
}

const struct kt_transport_ops kt_tcp_ops = {
	.name = "tcp",
	.req_size = sizeof(struct tcp_cmd),
	.caps = { .sgl_incapsule = true, .sgl_transport = true },
	.xport = &kt_xport_tcp,
	.fetch = tcp_fetch,
	.complete = tcp_complete,
	.close = tcp_close,
	.close_after_reply = tcp_close_after_reply,
	.connected = tcp_connected,
	.shut = tcp_shut,
	.free = tcp_free,
	.listen = kt_listener_add,
	.unlisten = kt_listener_remove,
};

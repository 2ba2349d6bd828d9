/*
 * queue.c - one NVMe/TCP connection as a state machine:
 *
 *   WAIT_ICREQ --ICReq--> WAIT_CONNECT --Connect--> LIVE --close--> CLOSED
 *        any state --protocol error--> TERMINATING (C2HTermReq) --> CLOSED
 *
 * Receive: one read per wake-up into the worker's receive buffer (shared
 * by its queues: nothing refers to it once a read is parsed), parsed by
 * proto's kt_rx_feed into PDUs; in-capsule and H2CData payloads are copied
 * once, from that buffer into the command's buffer, except the rest of a
 * large payload that a read left unfinished, which the next read places
 * directly (rx_read). Commands run through proto's handlers and the
 * backends; reads of RAM namespaces are sent from the namespace memory
 * (read_zero_copy). Transmit: finished slots are chained on a list and
 * written with one writev per loop turn (a deferred event collects
 * everything the turn produced; up to 1024 iovecs), header and data
 * together, with TCP_NODELAY.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <event2/event.h>
#include "daemon/log.h"
#include "daemon/transport/tcp/queue.h"
#include "daemon/core/target.h"
#include "daemon/core/worker.h"
#include "proto/fabrics.h"

/* One writev takes every reply a loop turn produced (up to the kernel's
 * IOV_MAX iovecs, 3 per read): at 64, a QD128 turn of 4 KiB reads took six
 * writevs, each its own TCP push and loopback delivery; the kernel's work
 * per writev, not ours per I/O, was most of the difference from the
 * ceiling (tests/bench/README.md). The array is 16 KiB of the worker's
 * stack. */
#define TX_IOV_MAX 1024 /* Linux UIO_MAXIOV */
#define NO_SLOT UINT16_MAX
#define BOOT_TTAG 0xfffe

static void queue_close(struct kt_queue *q, const char *why);
static void slot_exec(struct kt_slot *s);
static void slot_complete(struct kt_slot *s, uint16_t status);
static void tx_schedule(struct kt_queue *q);

static inline uint16_t sc(uint16_t sct, uint16_t code) { return (uint16_t)((sct << NVME_SCT_SHIFT) | code); }

/* ---- lifetime ------------------------------------------------------- */

static void queue_free(struct kt_queue *q)
{
	for (unsigned i = 0; i < q->nslots; i++)
		free(q->slots[i].buf);
	free(q->slots);
	free(q->boot.buf);
	event_free(q->rd_ev);
	event_free(q->wr_ev);
	event_free(q->tx_ev);
	struct kt_worker *w = q->worker;
	if (q->w_prev)
		q->w_prev->w_next = q->w_next;
	else
		w->queues = q->w_next;
	if (q->w_next)
		q->w_next->w_prev = q->w_prev;
	w->nr_queues--;
	free(q);
}

static void queue_put(struct kt_queue *q)
{
	if (atomic_fetch_sub(&q->refs, 1) == 1)
		queue_free(q);
}

/* The last reference held while open goes when nothing is in flight. */
static void queue_maybe_release(struct kt_queue *q)
{
	if (q->state == KT_Q_CLOSED && q->inflight == 0 && q->fd >= 0) {
		close(q->fd);
		q->fd = -1;
		queue_put(q);
	}
}

static void queue_close(struct kt_queue *q, const char *why)
{
	if (q->state == KT_Q_CLOSED)
		return;
	q->state = KT_Q_CLOSED;
	event_del(q->rd_ev);
	event_del(q->wr_ev);
	event_del(q->tx_ev);
	shutdown(q->fd, SHUT_RDWR);
	if (q->dc) {
		struct kt_dctrl *dc = q->dc;
		kt_log_ctrl(KT_LOG_INFO, &dc->c, "queue %u on %s closed: %s", q->qid, q->peer, why);
		q->dc = NULL;
		kt_dctrl_queue_gone(dc, q);
	} else {
		kt_dbg("%s: connection closed: %s", q->peer, why);
	}
	queue_maybe_release(q);
}

struct close_msg {
	struct kt_queue *q;
	const char *why;
};

static void on_close_msg(struct kt_worker *w, void *arg)
{
	struct close_msg *m = arg;
	queue_close(m->q, m->why);
	queue_put(m->q);
	free(m);
}

void kt_queue_close_async(struct kt_queue *q, const char *why)
{
	struct close_msg *m = malloc(sizeof(*m));
	if (!m)
		return;
	atomic_fetch_add(&q->refs, 1);
	m->q = q;
	m->why = why;
	if (kt_worker_post(q->worker, on_close_msg, m) < 0) {
		atomic_fetch_sub(&q->refs, 1);
		free(m);
	}
}

/* Sends a C2HTermReq for a fatal transport error, then closes. */
static void queue_terminate(struct kt_queue *q, const struct kt_pdu_err *err)
{
	kt_warn("%s: queue %u: fatal transport error FES 0x%x FEI %u, terminating", q->peer, q->qid,
		err->fes, err->fei);
	size_t bad = q->rx.hdr_got < KT_TERM_MAX_DATA ? q->rx.hdr_got : KT_TERM_MAX_DATA;
	q->ctl_len = (uint32_t)kt_pdu_build_c2h_term(q->ctl, err, q->rx.hdr, bad);
	q->ctl_off = 0;
	q->state = KT_Q_TERMINATING;
	q->close_after_tx = true;
	event_del(q->rd_ev);
	tx_schedule(q);
}

/* ---- slots and buffers ---------------------------------------------- */

static struct kt_slot *slot_by_ttag(struct kt_queue *q, uint16_t ttag)
{
	if (ttag == BOOT_TTAG)
		return &q->boot;
	return ttag < q->nslots ? &q->slots[ttag] : NULL;
}

static struct kt_slot *slot_get(struct kt_queue *q)
{
	if (q->state == KT_Q_WAIT_CONNECT)
		return q->boot.state == KT_SLOT_FREE ? &q->boot : NULL;
	if (q->free_head == NO_SLOT)
		return NULL;
	struct kt_slot *s = &q->slots[q->free_head];
	q->free_head = s->next_free;
	return s;
}

static void slot_put(struct kt_slot *s)
{
	struct kt_queue *q = s->q;
	s->state = KT_SLOT_FREE;
	if (s != &q->boot) {
		s->next_free = q->free_head;
		q->free_head = s->ttag;
	}
}

/* Makes the slot's buffer hold at least len bytes (4096-aligned, kept for
 * later commands: after warm-up nothing is allocated per I/O). */
static int slot_buf(struct kt_slot *s, uint32_t len)
{
	if (len <= s->buf_cap)
		return 0;
	uint32_t cap = (len + 4095u) & ~4095u;
	void *p;
	if (posix_memalign(&p, 4096, cap))
		return -ENOMEM;
	free(s->buf);
	s->buf = p;
	s->buf_cap = cap;
	return 0;
}

static void slot_init(struct kt_queue *q, struct kt_slot *s, uint16_t ttag)
{
	s->q = q;
	s->ttag = ttag;
	s->state = KT_SLOT_FREE;
}

static int queue_alloc_slots(struct kt_queue *q, uint16_t n)
{
	q->slots = calloc(n, sizeof(*q->slots));
	if (!q->slots)
		return -ENOMEM;
	q->nslots = n;
	q->free_head = NO_SLOT;
	for (int i = n - 1; i >= 0; i--) {
		slot_init(q, &q->slots[i], (uint16_t)i);
		q->slots[i].next_free = q->free_head;
		q->free_head = (uint16_t)i;
	}
	return 0;
}

/* ---- transmit ------------------------------------------------------- */

static void on_tx(evutil_socket_t fd, short what, void *arg);

static void tx_schedule(struct kt_queue *q)
{
	if (!q->tx_scheduled && q->state != KT_Q_CLOSED) {
		q->tx_scheduled = true;
		event_active(q->tx_ev, EV_WRITE, 0);
	}
}

static void tx_push(struct kt_slot *s)
{
	struct kt_queue *q = s->q;
	s->iov_pos = 0;
	s->iov_off = 0;
	s->tx_next = NULL;
	if (q->tx_tail)
		q->tx_tail->tx_next = s;
	else
		q->tx_head = s;
	q->tx_tail = s;
	tx_schedule(q);
}

/* A slot's bytes are all on the wire. */
static void tx_done(struct kt_slot *s)
{
	if (s->tx_r2t) {
		s->tx_r2t = false;
		s->state = KT_SLOT_DATA_IN; /* H2CData PDUs may already have arrived */
		return;
	}
	slot_put(s);
}

/* The socket took `left` bytes: advance past them, finishing the slots
 * whose bytes are all out. */
static void tx_advance(struct kt_queue *q, size_t left)
{
	if (q->ctl_off < q->ctl_len) {
		size_t c = q->ctl_len - q->ctl_off;
		c = c < left ? c : left;
		q->ctl_off += (uint32_t)c;
		left -= c;
	}
	while (left && q->tx_head) {
		struct kt_slot *s = q->tx_head;
		while (left && s->iov_pos < s->iovcnt) {
			size_t rem = s->iov[s->iov_pos].iov_len - s->iov_off;
			if (left >= rem) {
				left -= rem;
				s->iov_pos++;
				s->iov_off = 0;
			} else {
				s->iov_off += left;
				left = 0;
			}
		}
		if (s->iov_pos == s->iovcnt) {
			q->tx_head = s->tx_next;
			if (!q->tx_head)
				q->tx_tail = NULL;
			tx_done(s);
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
		if (q->state != KT_Q_TERMINATING) {
			for (struct kt_slot *s = q->tx_head; s && n < TX_IOV_MAX; s = s->tx_next) {
				for (unsigned i = s->iov_pos; i < s->iovcnt && n < TX_IOV_MAX; i++) {
					size_t off = i == s->iov_pos ? s->iov_off : 0;
					iov[n].iov_base = (uint8_t *)s->iov[i].iov_base + off;
					iov[n].iov_len = s->iov[i].iov_len - off;
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
		queue_close(q, q->state == KT_Q_TERMINATING ? "transport error" : "disconnect");
	return;
socket_full:
	event_add(q->wr_ev, NULL); /* zero-copy reads wait in namespace memory: read_zero_copy */
}

static void on_tx(evutil_socket_t fd, short what, void *arg)
{
	struct kt_queue *q = arg;
	q->tx_scheduled = false;
	if (q->state == KT_Q_CLOSED)
		return;
	tx_flush(q);
}

static void slot_send_r2t(struct kt_slot *s)
{
	struct kt_queue *q = s->q;
	size_t n = kt_pdu_build_r2t(&q->params, s->hdr, s->cmd.sqe.cid, s->ttag, 0, s->cmd.data_len);
	s->iov[0] = (struct iovec){ s->hdr, n };
	s->iovcnt = 1;
	s->tx_r2t = true;
	s->r2t = true;
	s->h2c_next = 0;
	s->state = KT_SLOT_TX;
	tx_push(s);
}

/* An I/O command failed: its Error Log entry goes to the admin worker,
 * which owns the log, riding on a reference to the admin queue (checked
 * alive when it arrives). At most KT_ERR_INFLIGHT_MAX per controller are on
 * their way; beyond that, or when the hand-over fails, the error is counted
 * as lost (proto/ctrl.c keeps the Error Count truthful). */
struct io_err_msg {
	struct kt_queue *admin;
	struct kt_err_rec rec;
};

static void on_io_error_msg(struct kt_worker *w, void *arg)
{
	struct io_err_msg *m = arg;
	struct kt_queue *q = m->admin;
	(void)w;
	if (q->state == KT_Q_LIVE && q->dc)
		kt_ctrl_log_error_rec(&q->dc->c, &m->rec); /* errors raise no AEN: they
							    belong to a command */
	free(m);
	queue_put(q);
}

static void queue_io_error(struct kt_queue *q, const struct kt_cmd *cmd, uint16_t status)
{
	struct kt_dctrl *dc = q->dc;
	if (!kt_ctrl_err_reserve(&dc->c))
		return;
	struct io_err_msg *m = malloc(sizeof(*m));
	bool posted = false;
	if (m) {
		kt_ctrl_io_error_rec(cmd, q->qid, status, &m->rec);
		pthread_mutex_lock(&dc->lock);
		if (!dc->dying && dc->admin) {
			m->admin = dc->admin;
			atomic_fetch_add(&m->admin->refs, 1);
			posted = kt_worker_post(dc->admin_worker, on_io_error_msg, m) == 0;
			if (!posted)
				atomic_fetch_sub(&m->admin->refs, 1);
		}
		pthread_mutex_unlock(&dc->lock);
	}
	if (!posted) {
		free(m);
		kt_ctrl_err_unreserve(&dc->c);
	}
}

static void slot_complete(struct kt_slot *s, uint16_t status)
{
	struct kt_queue *q = s->q;
	struct kt_cmd *cmd = &s->cmd;
	if (q->qid && cmd->io.ns && cmd->sqe.opcode != KT_OPC_FABRICS) /* per-namespace counters */
		kt_backend_count(cmd->io.ns->backend, q->worker->id, cmd->sqe.opcode, &cmd->io, status);
	if (q->state == KT_Q_CLOSED || q->state == KT_Q_TERMINATING) {
		slot_put(s);
		return;
	}
	if (status && q->qid && q->dc) /* the Error Log (admin errors are logged by proto/admin.c) */
		queue_io_error(q, cmd, status);
	cmd->cqe.cid = cmd->sqe.cid;
	cmd->cqe.status = htole16(kt_status_wire(status));
	cmd->cqe.sq_id = htole16(q->qid);
	cmd->cqe.sq_head = htole16(q->sqhd_disabled ? 0xffff : q->sqhd);
	s->iovcnt = 0;
	bool with_data = status == 0 && kt_sqe_dir(&cmd->sqe) == KT_DIR_C2H && cmd->xfer_len > 0;
	bool success_flag = with_data && q->sqhd_disabled;
	if (with_data) {
		size_t n = kt_pdu_build_c2h_data(&q->params, s->hdr, cmd->sqe.cid, 0, cmd->xfer_len, true,
						 success_flag);
		s->iov[s->iovcnt++] = (struct iovec){ s->hdr, n };
		s->iov[s->iovcnt++] = (struct iovec){ cmd->data, cmd->xfer_len };
		if (q->params.ddgst) {
			uint32_t crc = htole32(kt_crc32c(cmd->data, cmd->xfer_len));
			memcpy(s->ddgst, &crc, sizeof(crc));
			s->iov[s->iovcnt++] = (struct iovec){ s->ddgst, KT_DIGEST_LEN };
		}
	}
	if (!success_flag) {
		size_t n = kt_pdu_build_rsp(&q->params, s->rsp, &cmd->cqe);
		s->iov[s->iovcnt++] = (struct iovec){ s->rsp, n };
	}
	s->state = KT_SLOT_TX;
	tx_push(s);
}

void kt_queue_complete_aer(struct kt_queue *q, uint16_t cid, uint32_t dw0)
{
	for (unsigned i = 0; i < q->nslots; i++) {
		struct kt_slot *s = &q->slots[i];
		if (s->held && s->cmd.sqe.cid == cid) {
			s->held = false;
			s->cmd.cqe.dw0 = htole32(dw0);
			slot_complete(s, 0);
			return;
		}
	}
}

/* ---- command execution --------------------------------------------- */

/* SMART (NVM Command Set): Host Read Commands and Data Units Read count
 * Compare as well as Read. */
static void count_io(struct kt_ctrl *c, const struct kt_io *io)
{
	if (io->op == KT_IO_READ || io->op == KT_IO_COMPARE) {
		atomic_fetch_add_explicit(&c->host_reads, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&c->bytes_read, io->length, memory_order_relaxed);
	} else if (io->op == KT_IO_WRITE || io->op == KT_IO_WRITE_ZEROES) {
		atomic_fetch_add_explicit(&c->host_writes, 1, memory_order_relaxed);
		if (io->op == KT_IO_WRITE)
			atomic_fetch_add_explicit(&c->bytes_written, io->length, memory_order_relaxed);
	}
}

static void bio_done(struct kt_bio *bio, uint16_t status)
{
	struct kt_slot *s = (struct kt_slot *)((char *)bio - offsetof(struct kt_slot, bio));
	struct kt_queue *q = s->q;
	q->inflight--;
	if (status == 0) {
		if (s->cmd.io.op == KT_IO_READ)
			s->cmd.xfer_len = (uint32_t)s->cmd.io.length;
		if (q->dc)
			count_io(&q->dc->c, &s->cmd.io);
	}
	slot_complete(s, status);
	queue_maybe_release(q);
}

/* A read from a namespace held in memory (backend->mem: ram) is sent from
 * that memory, without a copy, even when the socket is full and the reply
 * waits for later loop turns. Why that is safe:
 *  - The memory stays mapped: the slot stays in use (KT_SLOT_TX, with
 *    cmd.io.ns set) until tx_done has seen its last byte go, and removing
 *    a namespace waits for such slots (kt_queue_ns_refs, daemon/core/live.c). A
 *    closed queue sends nothing more.
 *  - The host sees the data it asked for, as of some moment before the
 *    read completed: the kernel copies the bytes when writev takes them,
 *    and the completion (CapsuleResp, or the SUCCESS flag on the C2HData)
 *    follows the data in the same stream, so no write the host issues
 *    after seeing the read complete can show in it. A write the host
 *    issues while the read is still outstanding races it, here as on any
 *    controller: NVMe orders no overlapping commands in flight, and such a
 *    read may return some of the new data. (Before, a reply that waited
 *    was copied into the slot to avoid that; the copy cost a 128 KiB
 *    memcpy per read whenever the socket filled, most of the time on a
 *    real network.)
 * With data digests the copy is kept: the digest is computed when the
 * reply is queued and must match the bytes sent. */
static bool read_zero_copy(struct kt_slot *s)
{
	struct kt_queue *q = s->q;
	struct kt_cmd *cmd = &s->cmd;
	struct kt_backend *be = cmd->io.ns->backend;
	if (cmd->io.op != KT_IO_READ || !be->mem || q->params.ddgst)
		return false;
	s->bio.io = &cmd->io;
	uint16_t st = kt_backend_check(be, &s->bio);
	if (st == 0) {
		cmd->data = be->mem + cmd->io.offset;
		cmd->xfer_len = (uint32_t)cmd->io.length;
		if (q->dc)
			count_io(&q->dc->c, &cmd->io);
	}
	slot_complete(s, st);
	return true;
}

static void io_submit(struct kt_slot *s)
{
	struct kt_queue *q = s->q;
	struct kt_cmd *cmd = &s->cmd;
	uint16_t st = kt_io_parse_data(&q->dc->c, cmd);
	if (st) {
		slot_complete(s, st);
		return;
	}
	if (cmd->io.op == KT_IO_NOP) {
		slot_complete(s, 0);
		return;
	}
	if (read_zero_copy(s))
		return;
	struct kt_bio *bio = &s->bio;
	bio->io = &cmd->io;
	bio->buf = cmd->data;
	bio->ring = q->worker->ring;
	bio->done = bio_done;
	q->inflight++;
	cmd->io.ns->backend->ops->submit(cmd->io.ns->backend, bio);
}

static void exec_io(struct kt_slot *s)
{
	struct kt_queue *q = s->q;
	uint16_t st = kt_io_parse(&q->dc->c, &s->cmd);
	if (st) {
		slot_complete(s, st);
		return;
	}
	if (kt_sqe_dir(&s->cmd.sqe) == KT_DIR_H2C && s->cmd.data_len && !s->r2t && !s->cmd.data) {
		slot_send_r2t(s);
		return;
	}
	io_submit(s);
}

static void pump_aens(struct kt_queue *q)
{
	uint16_t cid;
	uint32_t dw0;
	while (kt_ctrl_aen_take(&q->dc->c, &cid, &dw0))
		kt_queue_complete_aer(q, cid, dw0);
}

static void exec_admin(struct kt_slot *s)
{
	struct kt_queue *q = s->q;
	struct kt_dctrl *dc = q->dc;
	uint16_t st = kt_admin_exec(&dc->c, &s->cmd, q->now_ms);
	/* keep-alive: timer, trace, and a policy that holds Keep Alive completions */
	bool ka_held = kt_ka_after_admin(dc, s, &st, slot_complete);
	if (st == KT_STATUS_DEFERRED) {
		s->held = true;
		s->state = KT_SLOT_EXEC;
	} else if (ka_held) {
		s->state = KT_SLOT_EXEC; /* completed later by daemon/core/keepalive.c, or never */
	} else {
		slot_complete(s, st);
	}
	pump_aens(q);
}

static uint16_t exec_connect(struct kt_slot *s)
{
	struct kt_queue *q = s->q;
	struct kt_cmd *cmd = &s->cmd;
	struct kt_connect_args a;
	if (q->state != KT_Q_WAIT_CONNECT)
		return sc(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR);
	uint16_t st = kt_connect_parse(kt_target_get(), cmd, &a);
	if (st)
		return st;
	struct kt_dctrl *dc = NULL;
	if (a.qid == 0)
		st = kt_target_connect_admin(q, cmd, &a, &dc);
	else
		st = kt_target_connect_io(q, cmd, &a, &dc);
	if (st)
		return st;
	q->dc = dc;
	q->qid = a.qid;
	q->sqsize = a.sqsize;
	q->sqhd_disabled = (a.cattr & 0x04) != 0; /* CATTR bit 2: disable SQ flow control */
	q->params.max_icd = a.qid == 0 ? KT_ADMIN_ICD_BYTES : dc->c.ioccsz_bytes - 64;
	if (queue_alloc_slots(q, (uint16_t)(a.sqsize + 1u)) < 0) {
		kt_dctrl_queue_gone(dc, q);
		q->dc = NULL;
		return NVME_SC_INTERNAL;
	}
	q->state = KT_Q_LIVE;
	cmd->cqe.dw0 = htole32(dc->c.cntlid);
	return 0;
}

static void exec_fabrics(struct kt_slot *s)
{
	struct kt_queue *q = s->q;
	struct kt_cmd *cmd = &s->cmd;
	uint8_t fctype = ((const uint8_t *)&cmd->sqe)[4];
	uint16_t st;
	switch (fctype) {
	case nvme_fabrics_type_connect:
		st = exec_connect(s);
		break;
	case nvme_fabrics_type_property_get:
	case nvme_fabrics_type_property_set:
		if (q->state != KT_Q_LIVE) {
			st = sc(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR);
		} else if (q->qid != 0) {
			st = sc(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE) | KT_SC_DNR;
		} else {
			bool reset = false;
			st = kt_fabrics_prop_exec(&q->dc->c, cmd, q->now_ms, &reset);
			if (reset) {
				kt_dctrl_close_queues(q->dc, false, "controller reset");
				for (unsigned i = 0; i < q->nslots; i++) {
					if (q->slots[i].held) { /* a reset aborts held AERs */
						q->slots[i].held = false;
						slot_complete(&q->slots[i], NVME_SC_ABORT_QUEUE);
					}
				}
			}
			kt_dctrl_ka_update(q->dc);
		}
		break;
	case nvme_fabrics_type_disconnect:
		st = q->state == KT_Q_LIVE ? 0 : sc(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR);
		if (!st)
			q->close_after_tx = true;
		break;
	default:
		st = sc(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE) | KT_SC_DNR;
		break;
	}
	slot_complete(s, st);
}

/* All of a command's host data is in (or it has none): run it. */
static void slot_exec(struct kt_slot *s)
{
	struct kt_queue *q = s->q;
	s->state = KT_SLOT_EXEC;
	if (s->status) {
		if (!q->qid && q->dc) /* refused admin capsule: logged here, on the admin worker
					 (I/O queues log in slot_complete) */
			kt_ctrl_log_error(&q->dc->c, 0, s->cmd.sqe.cid, s->status, 0xffff, 0,
					  le32toh(s->cmd.sqe.nsid));
		slot_complete(s, s->status);
		return;
	}
	bool is_io = s->cmd.sqe.opcode != KT_OPC_FABRICS && q->qid != 0;
	if (!is_io && kt_sqe_dir(&s->cmd.sqe) == KT_DIR_H2C && s->cmd.data_len && !s->cmd.data) {
		/* fabrics and admin handlers run once, with their data in */
		slot_send_r2t(s);
		return;
	}
	if (s->cmd.sqe.opcode == KT_OPC_FABRICS) {
		exec_fabrics(s);
		return;
	}
	if (q->state != KT_Q_LIVE) {
		slot_complete(s, sc(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR));
		return;
	}
	if (q->qid == 0) {
		exec_admin(s);
	} else if (s->r2t) {
		io_submit(s); /* parsed before the R2T went out */
	} else {
		exec_io(s);
	}
}

/* ---- receive -------------------------------------------------------- */

/* A capsule's header is in: take a slot, check the SGL, choose where the
 * in-capsule data (if any) goes. Refusals that are command errors (not
 * transport errors) are remembered in s->status and answered once the
 * capsule's data has been consumed. */
static int on_capsule(struct kt_queue *q, const struct kt_cmd_pdu *pdu, uint32_t icd_len, uint8_t **dst,
		      struct kt_pdu_err *err)
{
	struct kt_slot *s = slot_get(q);
	if (!s) {
		kt_warn("%s: queue %u: host exceeded the queue depth (%u entries)", q->peer, q->qid,
			q->sqsize + 1u);
		*err = (struct kt_pdu_err){ KT_FES_PDU_SEQUENCE, 0 };
		return -EPROTO;
	}
	struct kt_cmd *cmd = &s->cmd;
	memcpy(&cmd->sqe, &pdu->sqe, sizeof(cmd->sqe));
	memset(&cmd->cqe, 0, sizeof(cmd->cqe));
	memset(&cmd->io, 0, sizeof(cmd->io));
	cmd->data = NULL;
	cmd->data_len = 0;
	cmd->xfer_len = 0;
	s->status = 0;
	s->r2t = false;
	s->held = false;
	s->tx_r2t = false;
	s->state = KT_SLOT_DATA_IN;
	if (!q->sqhd_disabled && q->state == KT_Q_LIVE)
		q->sqhd = (uint16_t)((q->sqhd + 1u) % (q->sqsize + 1u));
	if (q->dc)
		atomic_store_explicit(&q->dc->c.last_traffic_ms, q->now_ms, memory_order_relaxed);

	const struct kt_sgl_desc *sgl = &cmd->sqe.dptr;
	uint32_t len = le32toh(sgl->length);
	unsigned dir = kt_sqe_dir(&cmd->sqe);
	uint32_t limit = kt_mdts_bytes(kt_target_get());

	if (icd_len) {
		/* the data lands in the slot's buffer either way */
		if (slot_buf(s, icd_len) < 0) {
			*err = (struct kt_pdu_err){ KT_FES_R2T_LIMIT, 0 };
			return -EPROTO;
		}
		*dst = s->buf;
	}
	if (dir == 3) {
		s->status = sc(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD) | KT_SC_DNR;
	} else if (dir == KT_DIR_NONE || len == 0) {
		if (icd_len)
			s->status = sc(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_DATA) | KT_SC_DNR;
	} else if ((cmd->sqe.flags & KT_SQE_FLAGS_PSDT_MASK) == 0) {
		s->status = sc(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD) | KT_SC_DNR; /* PRPs: not on fabrics */
	} else if (sgl->type == KT_SGL_INCAPSULE) {
		uint64_t off = le64toh(sgl->addr);
		if (dir != KT_DIR_H2C)
			s->status = sc(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_TYPE) | KT_SC_DNR;
		else if (off > icd_len || len > icd_len - off)
			s->status = sc(NVME_SCT_GENERIC, off > icd_len ? NVME_SC_SGL_INVALID_OFFSET
								      : NVME_SC_SGL_INVALID_DATA) | KT_SC_DNR;
		else {
			cmd->data = s->buf + off;
			cmd->data_len = len;
		}
	} else if (sgl->type == KT_SGL_TRANSPORT) {
		if (icd_len)
			s->status = sc(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_DATA) | KT_SC_DNR;
		else if (len > limit)
			s->status = sc(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD) | KT_SC_DNR;
		else if (slot_buf(s, len) < 0)
			s->status = NVME_SC_INTERNAL;
		else {
			cmd->data_len = len;
			/* C2H: the handler fills the buffer; H2C: data by R2T later */
			if (dir == KT_DIR_C2H)
				cmd->data = s->buf;
		}
	} else {
		s->status = sc(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_TYPE) | KT_SC_DNR;
	}
	q->rx_ttag = s->ttag; /* found again in rx_pdu */
	return 0;
}

static int on_h2c_data(struct kt_queue *q, const struct kt_data_pdu *pdu, uint32_t dlen, uint8_t **dst,
		       struct kt_pdu_err *err)
{
	uint16_t ttag = pdu->ttag;
	struct kt_slot *s = slot_by_ttag(q, le16toh(ttag));
	uint32_t off = le32toh(pdu->offset), len = le32toh(pdu->length);
	/* data only after our R2T is on the wire (tx_done makes it DATA_IN) */
	if (!s || !s->r2t || s->tx_r2t || s->state != KT_SLOT_DATA_IN) {
		*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, offsetof(struct kt_data_pdu, ttag) };
		return -EPROTO;
	}
	if (pdu->cccid != s->cmd.sqe.cid) {
		*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, offsetof(struct kt_data_pdu, cccid) };
		return -EPROTO;
	}
	if (len != dlen) {
		*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, offsetof(struct kt_data_pdu, length) };
		return -EPROTO;
	}
	if (off != s->h2c_next || len > s->cmd.data_len - off) {
		*err = (struct kt_pdu_err){ KT_FES_DATA_OUT_OF_RANGE, 0 };
		return -EPROTO;
	}
	bool last = (pdu->hdr.flags & KT_PDU_F_DATA_LAST) != 0;
	if (last != (off + len == s->cmd.data_len)) {
		*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, offsetof(struct kt_pdu_hdr, flags) };
		return -EPROTO;
	}
	*dst = s->buf + off;
	q->rx_ttag = s->ttag;
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
		q->state = KT_Q_WAIT_CONNECT;
		tx_schedule(q);
		return 0;
	}
	case KT_PDU_CMD: {
		struct kt_slot *s = slot_by_ttag(q, q->rx_ttag);
		if (!ddgst_ok)
			s->status = sc(NVME_SCT_GENERIC, NVME_SC_TRAN_TPORT_ERROR);
		slot_exec(s);
		return 0;
	}
	case KT_PDU_H2C_DATA: {
		struct kt_slot *s = slot_by_ttag(q, q->rx_ttag);
		const struct kt_data_pdu *d = hdr;
		s->h2c_next += le32toh(d->length);
		if (!ddgst_ok)
			s->status = sc(NVME_SCT_GENERIC, NVME_SC_TRAN_TPORT_ERROR);
		if (s->h2c_next == s->cmd.data_len) {
			s->cmd.data = s->buf;
			slot_exec(s);
		}
		return 0;
	}
	case KT_PDU_H2C_TERM: {
		const struct kt_term_pdu *t = hdr;
		kt_warn("%s: queue %u: host terminated the connection (H2CTermReq FES 0x%x)", q->peer, q->qid,
			le16toh(t->fes));
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
	struct kt_worker *w = q->worker;
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
	atomic_fetch_add(&q->refs, 1); /* a callback may close the queue */
	q->now_ms = kt_now_ms();
	for (int rounds = 0; rounds < 4 && q->state != KT_Q_CLOSED && q->state != KT_Q_TERMINATING; rounds++) {
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
		if (buffered && kt_rx_feed(&q->rx, &rx_ops, q, q->worker->rxbuf, buffered, &err) < 0) {
			/* FES 0: nothing to answer (a malformed H2CTermReq, or the
			 * queue already closed in a callback): just close */
			if (err.fes)
				queue_terminate(q, &err);
			else
				queue_close(q, "transport closed by host");
			break;
		}
		if (buffered < q->worker->rxbuf_len)
			break;
	}
	queue_put(q);
}

void kt_queue_close_all(struct kt_worker *w)
{
	for (struct kt_queue *q = w->queues, *next; q; q = next) {
		next = q->w_next;
		atomic_fetch_add(&q->refs, 1);
		queue_close(q, "katod stopping");
		next = q->w_next; /* q may only be freed by the put below */
		queue_put(q);
	}
}

void kt_queue_accept(struct kt_worker *w, int fd, const struct kt_port *port)
{
	struct kt_queue *q = calloc(1, sizeof(*q));
	if (!q) {
		close(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	kt_ka_tcp_keepalive(fd); /* reaps vanished hosts where no KATO timer runs */
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char addr[INET6_ADDRSTRLEN] = "?";
	unsigned pnum = 0;
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &a->sin_addr, addr, sizeof(addr));
			pnum = ntohs(a->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &a->sin6_addr, addr, sizeof(addr));
			pnum = ntohs(a->sin6_port);
		}
	}
	snprintf(q->peer, sizeof(q->peer), "%s:%u", addr, pnum);
	q->worker = w;
	q->fd = fd;
	q->port = port;
	q->state = KT_Q_WAIT_ICREQ;
	atomic_init(&q->refs, 1);
	const struct kt_target *t = kt_target_get();
	q->params.maxh2cdata = t->maxh2cdata;
	q->params.cpda = 0;
	/* until Connect says which queue this is: the larger in-capsule size */
	q->params.max_icd = port->inline_data_size > KT_ADMIN_ICD_BYTES ? port->inline_data_size
									 : KT_ADMIN_ICD_BYTES;
	kt_rx_init(&q->rx, &q->params);
	slot_init(q, &q->boot, BOOT_TTAG);
	q->rd_ev = event_new(w->base, fd, EV_READ | EV_PERSIST, on_read, q);
	q->wr_ev = event_new(w->base, fd, EV_WRITE, on_tx, q);
	q->tx_ev = event_new(w->base, -1, 0, on_tx, q);
	w->nr_queues++;
	q->w_next = w->queues;
	if (w->queues)
		w->queues->w_prev = q;
	w->queues = q;
	if (!q->rd_ev || !q->wr_ev || !q->tx_ev) {
		kt_err("%s: out of memory accepting a connection", q->peer);
		q->state = KT_Q_CLOSED;
		close(fd);
		q->fd = -1;
		queue_put(q);
		return;
	}
	event_add(q->rd_ev, NULL);
	kt_dbg("%s: connection accepted on port %u (worker %u)", q->peer, port->portid, w->id);
}

/* ---- live changes (daemon/core/live.c) ------------------------------------- */

unsigned kt_queue_ns_refs(struct kt_worker *w, const struct kt_ns *ns)
{
	unsigned n = 0;
	for (struct kt_queue *q = w->queues; q; q = q->w_next)
		for (unsigned i = 0; i < q->nslots; i++)
			if (q->slots[i].state != KT_SLOT_FREE && q->slots[i].cmd.io.ns == ns)
				n++;
	return n;
}

unsigned kt_queue_port_refs(struct kt_worker *w, const struct kt_port *p, bool close)
{
	unsigned n = 0;
	for (struct kt_queue *q = w->queues; q; q = q->w_next) {
		if (q->port != p)
			continue;
		n++;
		if (close && q->state != KT_Q_CLOSED)
			kt_queue_close_async(q, "port removed");
	}
	return n;
}

static void on_pump_msg(struct kt_worker *w, void *arg)
{
	struct kt_queue *q = arg;
	if (q->state == KT_Q_LIVE && q->dc)
		pump_aens(q);
	queue_put(q);
}

void kt_queue_pump_aens_async(struct kt_queue *q)
{
	atomic_fetch_add(&q->refs, 1);
	if (kt_worker_post(q->worker, on_pump_msg, q) < 0)
		atomic_fetch_sub(&q->refs, 1);
}

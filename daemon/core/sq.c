/*
 * sq.c - submission queues and command slots (daemon/core/sq.h): every
 * command of every transport goes through kt_req_begin (parse) and
 * kt_req_exec (execute), and leaves through req_complete.
 *
 * Slots are allocated once at Connect (SQSIZE + 1 of them, each
 * ops->req_size bytes with the transport's state after the core's); a
 * slot's data buffer is allocated on first use and kept, so after warm-up
 * nothing is allocated per I/O.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/core/keepalive.h"
#include "daemon/core/sq.h"
#include "daemon/core/target.h"
#include "daemon/core/worker.h"
#include "daemon/log.h"
#include "daemon/transport/transport.h"

#define NO_SLOT UINT16_MAX

static void req_complete(struct kt_req *r, uint16_t status);

/* ---- lifetime ------------------------------------------------------- */

static struct kt_req *slot(const struct kt_sq *sq, unsigned i)
{
	return (struct kt_req *)(sq->reqs + (size_t)i * sq->ops->req_size);
}

static void req_init(struct kt_sq *sq, struct kt_req *r, uint16_t idx)
{
	r->sq = sq;
	r->idx = idx;
	r->busy = false;
}

int kt_sq_init(struct kt_sq *sq, const struct kt_transport_ops *ops, struct kt_worker *w,
	       const struct kt_port *port, const char *peer)
{
	sq->ops = ops;
	sq->worker = w;
	sq->port = port;
	snprintf(sq->peer, sizeof(sq->peer), "%s", peer);
	sq->state = KT_SQ_NEW;
	sq->free_head = NO_SLOT;
	atomic_init(&sq->refs, 1);
	sq->boot = calloc(1, ops->req_size);
	if (!sq->boot)
		return -ENOMEM;
	req_init(sq, sq->boot, KT_REQ_BOOT);
	w->nr_queues++;
	sq->w_next = w->sqs;
	if (w->sqs)
		w->sqs->w_prev = sq;
	w->sqs = sq;
	return 0;
}

static void sq_free(struct kt_sq *sq)
{
	for (unsigned i = 0; i < sq->nreqs; i++)
		free(slot(sq, i)->buf);
	free(sq->reqs);
	free(sq->boot->buf);
	free(sq->boot);
	struct kt_worker *w = sq->worker;
	if (sq->w_prev)
		sq->w_prev->w_next = sq->w_next;
	else
		w->sqs = sq->w_next;
	if (sq->w_next)
		sq->w_next->w_prev = sq->w_prev;
	w->nr_queues--;
	sq->ops->free(sq);
}

void kt_sq_get(struct kt_sq *sq)
{
	atomic_fetch_add(&sq->refs, 1);
}

void kt_sq_put(struct kt_sq *sq)
{
	if (atomic_fetch_sub(&sq->refs, 1) == 1)
		sq_free(sq);
}

/* The reference held while open goes when the queue is closed and no
 * command is with a backend (a bio's completion still needs its slot). */
static void sq_maybe_release(struct kt_sq *sq)
{
	if (sq->state == KT_SQ_CLOSED && sq->inflight == 0 && !sq->released) {
		sq->released = true;
		kt_sq_put(sq);
	}
}

void kt_sq_closed(struct kt_sq *sq, const char *why)
{
	if (sq->state == KT_SQ_CLOSED)
		return;
	sq->state = KT_SQ_CLOSED;
	if (sq->dc) {
		struct kt_dctrl *dc = sq->dc;
		kt_log_ctrl(KT_LOG_INFO, &dc->c, "queue %u on %s closed: %s", sq->qid, sq->peer, why);
		sq->dc = NULL;
		kt_dctrl_queue_gone(dc, sq);
	} else {
		kt_dbg("%s: connection closed: %s", sq->peer, why);
	}
	sq_maybe_release(sq);
}

struct close_msg {
	struct kt_sq *sq;
	const char *why;
};

static void sq_close(struct kt_sq *sq, const char *why)
{
	if (sq->state != KT_SQ_CLOSED)
		sq->ops->close(sq, why);
}

static void on_close_msg(struct kt_worker *w, void *arg)
{
	struct close_msg *m = arg;
	sq_close(m->sq, m->why);
	kt_sq_put(m->sq);
	free(m);
}

void kt_sq_close_async(struct kt_sq *sq, const char *why)
{
	struct close_msg *m = malloc(sizeof(*m));
	if (!m)
		return;
	kt_sq_get(sq);
	m->sq = sq;
	m->why = why;
	if (kt_worker_post(sq->worker, on_close_msg, m) < 0) {
		atomic_fetch_sub(&sq->refs, 1);
		free(m);
	}
}

void kt_sq_close_all(struct kt_worker *w)
{
	for (struct kt_sq *sq = w->sqs, *next; sq; sq = next) {
		kt_sq_get(sq);
		sq_close(sq, "katod stopping");
		next = sq->w_next; /* sq may only be freed by the put below */
		kt_sq_put(sq);
	}
}

/* ---- slots and buffers ---------------------------------------------- */

struct kt_req *kt_sq_req_at(struct kt_sq *sq, uint16_t idx)
{
	if (idx == KT_REQ_BOOT)
		return sq->boot;
	return idx < sq->nreqs ? slot(sq, idx) : NULL;
}

struct kt_req *kt_sq_req_get(struct kt_sq *sq)
{
	if (sq->state == KT_SQ_NEW)
		return sq->boot->busy ? NULL : sq->boot;
	if (sq->free_head == NO_SLOT)
		return NULL;
	struct kt_req *r = slot(sq, sq->free_head);
	sq->free_head = r->next_free;
	return r;
}

void kt_req_put(struct kt_req *r)
{
	struct kt_sq *sq = r->sq;
	r->busy = false;
	if (r != sq->boot) {
		r->next_free = sq->free_head;
		sq->free_head = r->idx;
	}
}

/* Makes the slot's buffer hold at least len bytes (4096-aligned, kept for
 * later commands). */
static int req_buf(struct kt_req *r, uint32_t len)
{
	if (len <= r->buf_cap)
		return 0;
	uint32_t cap = (len + 4095u) & ~4095u;
	void *p;
	if (posix_memalign(&p, 4096, cap))
		return -ENOMEM;
	free(r->buf);
	r->buf = p;
	r->buf_cap = cap;
	return 0;
}

static int sq_alloc_reqs(struct kt_sq *sq, uint16_t n)
{
	sq->reqs = calloc(n, sq->ops->req_size);
	if (!sq->reqs)
		return -ENOMEM;
	sq->nreqs = n;
	sq->free_head = NO_SLOT;
	for (int i = n - 1; i >= 0; i--) {
		struct kt_req *r = slot(sq, (unsigned)i);
		req_init(sq, r, (uint16_t)i);
		r->next_free = sq->free_head;
		sq->free_head = (uint16_t)i;
	}
	return 0;
}

/* ---- parse ------------------------------------------------------------ */

static void qview(const struct kt_sq *sq, struct kt_qview *v)
{
	v->target = kt_target_get();
	v->ctrl = sq->state == KT_SQ_LIVE && sq->dc ? &sq->dc->c : NULL;
	v->qid = sq->qid;
	v->max_len = kt_mdts_bytes(v->target);
}

int kt_req_begin(struct kt_req *r, const struct kt_sqe *sqe, uint32_t icd_len, uint8_t **icd)
{
	struct kt_sq *sq = r->sq;
	struct kt_cmd *cmd = &r->cmd;
	struct kt_qview v;

	memcpy(&cmd->sqe, sqe, sizeof(cmd->sqe));
	r->busy = true;
	r->held = false;
	r->fetched = false;
	if (sq->state == KT_SQ_LIVE && !sq->sqhd_disabled)
		sq->sqhd = (uint16_t)((sq->sqhd + 1u) % (sq->sqsize + 1u));
	qview(sq, &v);
	r->status = kt_cmd_parse(&v, &sq->ops->caps, cmd, icd_len, sq->now_ms, &r->plan);
	if (icd_len) {
		/* the data lands in the slot's buffer, refused or not */
		if (req_buf(r, icd_len) < 0)
			return -ENOMEM;
		*icd = r->buf;
	}
	if (r->status)
		return 0;
	if (r->plan.xfer.src == KT_XFER_INCAPSULE) {
		cmd->data = r->buf + r->plan.xfer.off;
	} else if (r->plan.xfer.src == KT_XFER_TRANSPORT) {
		if (req_buf(r, cmd->data_len) < 0)
			r->status = NVME_SC_INTERNAL;
		else if (r->plan.xfer.dir == KT_DIR_C2H)
			cmd->data = r->buf; /* the handler fills it */
	}
	return 0;
}

void kt_req_fail(struct kt_req *r, uint16_t status)
{
	if (!r->status)
		r->status = status;
}

/* ---- completion ------------------------------------------------------- */

/* An I/O command failed: its Error Log entry goes to the admin worker,
 * which owns the log, riding on a reference to the admin queue (checked
 * alive when it arrives). At most KT_ERR_INFLIGHT_MAX per controller are on
 * their way; beyond that, or when the hand-over fails, the error is counted
 * as lost (proto/ctrl.c keeps the Error Count truthful). */
struct io_err_msg {
	struct kt_sq *admin;
	struct kt_err_rec rec;
};

static void on_io_error_msg(struct kt_worker *w, void *arg)
{
	struct io_err_msg *m = arg;
	struct kt_sq *sq = m->admin;
	(void)w;
	if (sq->state == KT_SQ_LIVE && sq->dc)
		kt_ctrl_log_error_rec(&sq->dc->c, &m->rec); /* errors raise no AEN: they
							      belong to a command */
	free(m);
	kt_sq_put(sq);
}

static void sq_io_error(struct kt_sq *sq, const struct kt_cmd *cmd, uint16_t status)
{
	struct kt_dctrl *dc = sq->dc;
	if (!kt_ctrl_err_reserve(&dc->c))
		return;
	struct io_err_msg *m = malloc(sizeof(*m));
	bool posted = false;
	if (m) {
		kt_ctrl_io_error_rec(cmd, sq->qid, status, &m->rec);
		pthread_mutex_lock(&dc->lock);
		if (!dc->dying && dc->admin) {
			m->admin = dc->admin;
			kt_sq_get(m->admin);
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

/* Fills the CQE and hands r to the transport to send (or lets it go when
 * the queue is closed). Data goes back only with success on a
 * controller-to-host command: xfer_len says how much. */
static void req_complete(struct kt_req *r, uint16_t status)
{
	struct kt_sq *sq = r->sq;
	struct kt_cmd *cmd = &r->cmd;
	if (sq->qid && cmd->io.ns && r->plan.route == KT_ROUTE_IO) /* per-namespace counters */
		kt_backend_count(cmd->io.ns->backend, sq->worker->id, cmd->sqe.opcode, &cmd->io, status);
	if (sq->state == KT_SQ_CLOSED) {
		kt_req_put(r);
		return;
	}
	if (status && sq->qid && sq->dc) /* the Error Log (admin errors are logged by proto/) */
		sq_io_error(sq, cmd, status);
	cmd->cqe.cid = cmd->sqe.cid;
	cmd->cqe.status = htole16(kt_status_wire(status));
	cmd->cqe.sq_id = htole16(sq->qid);
	cmd->cqe.sq_head = htole16(sq->sqhd_disabled ? 0xffff : sq->sqhd);
	if (status || r->plan.xfer.dir != KT_DIR_C2H)
		cmd->xfer_len = 0;
	sq->ops->complete(r);
}

void kt_req_complete(struct kt_req *r, uint16_t status)
{
	req_complete(r, status);
}

void kt_sq_complete_aer(struct kt_sq *sq, uint16_t cid, uint32_t dw0)
{
	for (unsigned i = 0; i < sq->nreqs; i++) {
		struct kt_req *r = slot(sq, i);
		if (r->held && r->cmd.sqe.cid == cid) {
			r->held = false;
			r->cmd.cqe.dw0 = htole32(dw0);
			req_complete(r, 0);
			return;
		}
	}
}

static void pump_aens(struct kt_sq *sq)
{
	uint16_t cid;
	uint32_t dw0;
	while (kt_ctrl_aen_take(&sq->dc->c, &cid, &dw0))
		kt_sq_complete_aer(sq, cid, dw0);
}

/* After a controller reset: AERs the controller no longer holds were
 * aborted without a completion (proto/dispatch.c): their slots go. */
static void drop_stale_aers(struct kt_sq *sq)
{
	for (unsigned i = 0; i < sq->nreqs; i++) {
		struct kt_req *r = slot(sq, i);
		if (r->held && !kt_ctrl_aer_held(&sq->dc->c, r->cmd.sqe.cid)) {
			r->held = false;
			kt_req_put(r);
		}
	}
}

/* ---- execution ------------------------------------------------------- */

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
	struct kt_req *r = (struct kt_req *)((char *)bio - offsetof(struct kt_req, bio));
	struct kt_sq *sq = r->sq;
	sq->inflight--;
	if (status == 0) {
		if (r->cmd.io.op == KT_IO_READ)
			r->cmd.xfer_len = (uint32_t)r->cmd.io.length;
		if (sq->dc)
			count_io(&sq->dc->c, &r->cmd.io);
	}
	req_complete(r, status);
	sq_maybe_release(sq);
}

/* A read from a namespace held in memory (backend->mem: ram) is sent from
 * that memory, without a copy, even when the transport cannot send it at
 * once and the reply waits for later loop turns. Why that is safe:
 *  - The memory stays mapped: the slot stays busy (with cmd.io.ns set)
 *    until the transport has sent its last byte (kt_req_put), and removing
 *    a namespace waits for such slots (kt_sq_ns_refs, daemon/core/live.c).
 *    A closed queue sends nothing more.
 *  - The host sees the data it asked for, as of some moment before the
 *    read completed: the transport hands the bytes to the kernel (which
 *    copies them) before the completion, which follows the data in the
 *    same stream, so no write the host issues after seeing the read
 *    complete can show in it. A write the host issues while the read is
 *    still outstanding races it, here as on any controller: NVMe orders no
 *    overlapping commands in flight, and such a read may return some of
 *    the new data. (Before, a reply that waited was copied into the slot to
 *    avoid that; the copy cost a 128 KiB memcpy per read whenever the
 *    socket filled, most of the time on a real network.)
 * The transport says when it may (sq->zero_copy_ok): NVMe/TCP with data
 * digests keeps the copy, since the digest computed when the reply is
 * queued must match the bytes sent. */
static bool read_zero_copy(struct kt_req *r)
{
	struct kt_sq *sq = r->sq;
	struct kt_cmd *cmd = &r->cmd;
	struct kt_backend *be = cmd->io.ns->backend;
	if (cmd->io.op != KT_IO_READ || !be->mem || !sq->zero_copy_ok)
		return false;
	r->bio.io = &cmd->io;
	uint16_t st = kt_backend_check(be, &r->bio);
	if (st == 0) {
		cmd->data = be->mem + cmd->io.offset;
		cmd->xfer_len = (uint32_t)cmd->io.length;
		if (sq->dc)
			count_io(&sq->dc->c, &cmd->io);
	}
	req_complete(r, st);
	return true;
}

static void io_submit(struct kt_req *r)
{
	struct kt_sq *sq = r->sq;
	struct kt_cmd *cmd = &r->cmd;
	if (read_zero_copy(r))
		return;
	struct kt_bio *bio = &r->bio;
	bio->io = &cmd->io;
	bio->buf = cmd->data;
	bio->ring = sq->worker->ring;
	bio->done = bio_done;
	sq->inflight++;
	cmd->io.ns->backend->ops->submit(cmd->io.ns->backend, bio);
}

/* Connect admitted by proto: attach the queue to a controller (a new one
 * on the admin queue) and give it its slots. */
static uint16_t sq_connect(struct kt_req *r, const struct kt_connect_args *a)
{
	struct kt_sq *sq = r->sq;
	struct kt_cmd *cmd = &r->cmd;
	struct kt_dctrl *dc = NULL;
	uint16_t st = a->qid == 0 ? kt_target_connect_admin(sq, cmd, a, &dc)
				  : kt_target_connect_io(sq, cmd, a, &dc);
	if (st)
		return st;
	sq->dc = dc;
	sq->qid = a->qid;
	sq->sqsize = a->sqsize;
	sq->sqhd_disabled = (a->cattr & 0x04) != 0; /* CATTR bit 2: disable SQ flow control */
	if (sq_alloc_reqs(sq, (uint16_t)(a->sqsize + 1u)) < 0) {
		kt_dctrl_queue_gone(dc, sq);
		sq->dc = NULL;
		return NVME_SC_INTERNAL;
	}
	sq->state = KT_SQ_LIVE;
	if (sq->ops->connected)
		sq->ops->connected(sq);
	cmd->cqe.dw0 = htole32(dc->c.cntlid);
	return 0;
}

void kt_req_exec(struct kt_req *r)
{
	struct kt_sq *sq = r->sq;
	struct kt_cmd *cmd = &r->cmd;
	struct kt_cmd_result res;
	struct kt_qview v;

	if (r->status) {
		req_complete(r, r->status);
		return;
	}
	if (r->plan.xfer.dir == KT_DIR_H2C && cmd->data_len && !cmd->data) {
		if (r->fetched) { /* the transport said it was all in */
			cmd->data = r->buf;
		} else {
			r->fetched = true;
			sq->ops->fetch(r);
			return;
		}
	}
	qview(sq, &v);
	if (r->plan.route != KT_ROUTE_FABRICS && !v.ctrl) {
		/* parsed before a reset or close took the controller away */
		req_complete(r, KT_STATUS(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR, false));
		return;
	}
	kt_cmd_exec(&v, &r->plan, cmd, sq->now_ms, &res);
	switch (res.next) {
	case KT_NEXT_CONNECT:
		res.status = sq_connect(r, &res.connect);
		break;
	case KT_NEXT_BACKEND:
		io_submit(r);
		return;
	case KT_NEXT_HOLD:
		r->held = true;
		break;
	case KT_NEXT_COMPLETE:
		break;
	}
	if (res.reset) {
		kt_dctrl_close_queues(sq->dc, false, "controller reset");
		drop_stale_aers(sq);
	}
	bool ka_held = false;
	if (v.ctrl && v.qid == 0 && (res.ka_moved || res.ka_cmd != KT_KA_NONE))
		ka_held = kt_ka_after_admin(sq->dc, r, &res); /* timer, trace, and a policy
								 that holds Keep Alive completions */
	if (res.close_queue)
		sq->ops->close_after_reply(sq);
	if (res.next != KT_NEXT_HOLD && !ka_held)
		req_complete(r, res.status);
	if (v.ctrl && v.qid == 0)
		pump_aens(sq);
}

/* ---- live changes and events ----------------------------------------- */

unsigned kt_sq_ns_refs(struct kt_worker *w, const struct kt_ns *ns)
{
	unsigned n = 0;
	for (struct kt_sq *sq = w->sqs; sq; sq = sq->w_next)
		for (unsigned i = 0; i < sq->nreqs; i++)
			if (slot(sq, i)->busy && slot(sq, i)->cmd.io.ns == ns)
				n++;
	return n;
}

unsigned kt_sq_port_refs(struct kt_worker *w, const struct kt_port *p, bool close)
{
	unsigned n = 0;
	for (struct kt_sq *sq = w->sqs; sq; sq = sq->w_next) {
		if (sq->port != p)
			continue;
		n++;
		if (close && sq->state != KT_SQ_CLOSED)
			kt_sq_close_async(sq, "port removed");
	}
	return n;
}

static void on_pump_msg(struct kt_worker *w, void *arg)
{
	struct kt_sq *sq = arg;
	if (sq->state == KT_SQ_LIVE && sq->dc)
		pump_aens(sq);
	kt_sq_put(sq);
}

void kt_sq_pump_aens_async(struct kt_sq *sq)
{
	kt_sq_get(sq);
	if (kt_worker_post(sq->worker, on_pump_msg, sq) < 0)
		atomic_fetch_sub(&sq->refs, 1);
}

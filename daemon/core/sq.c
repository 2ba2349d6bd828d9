/*
 * sq.c - submission queues and command slots (daemon/core/sq.h): their
 * lifetime and references, closing them from any thread, the slots and
 * their buffers, and the way out of every command (kt_req_complete: the
 * CQE, counters, the Error Log hand-over) and of every held AER. How a
 * command runs is daemon/core/exec.c.
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
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>
#include "daemon/core/sq.h"
#include "daemon/core/dctrl.h"
#include "proto/faults.h"
#include "daemon/core/worker.h"
#include "daemon/log.h"
#include "daemon/transport/transport.h"

#define NO_SLOT UINT16_MAX

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

/* ---- a completion a fault rule marked (daemon/core/fault_apply.c) ---- */

static void on_delay_due(evutil_socket_t fd, short what, void *arg)
{
	struct kt_req *r = arg;
	struct kt_sq *sq = r->sq;
	(void)fd;
	(void)what;
	kt_req_complete(r, r->fault_status);
	kt_sq_put(sq);
}

/* kt_req_complete of a marked r (r->fault set by a firing): true when the
 * mark took over its completion (delay: completed again later; close_after:
 * dropped, the queue closing). Slot mechanics, so they live with the slots. */
static bool marked_complete(struct kt_req *r, uint16_t status)
{
	struct kt_sq *sq = r->sq;
	enum kt_fault_kind k = r->fault;
	r->fault = KT_FAULT_NONE;
	if (sq->state == KT_SQ_CLOSED)
		return false;
	if (k == KT_FAULT_CLOSE_AFTER) {
		/* executed; its completion is never sent */
		kt_req_put(r);
		if (sq->ops->shut)
			sq->ops->shut(sq);
		kt_sq_close_async(sq, "fault rule: close_after");
		return true;
	}
	if (k != KT_FAULT_DELAY)
		return false;
	if (!r->fault_ev && !(r->fault_ev = evtimer_new(sq->worker->base, on_delay_due, r)))
		return false; /* out of memory: not delayed */
	/* libevent times with the coarse clock, which may lag the real one by
	 * up to one tick: add it so that the completion is never early (as
	 * keepalive.c's held Keep Alives) */
	struct timespec res;
	long tick_us = clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0
			       ? (long)(res.tv_sec * 1000000 + (res.tv_nsec + 999) / 1000)
			       : 10000;
	uint64_t us = (uint64_t)r->fault_ms * 1000u + (uint64_t)tick_us;
	struct timeval tv = { (time_t)(us / 1000000u), (suseconds_t)(us % 1000000u) };
	event_base_update_cache_time(sq->worker->base);
	r->fault_status = status;
	kt_sq_get(sq); /* the queue lives until the timer fires */
	if (evtimer_add(r->fault_ev, &tv) < 0) {
		atomic_fetch_sub(&sq->refs, 1);
		return false;
	}
	return true;
}

static void req_fini(struct kt_req *r)
{
	if (r->fault_ev)
		event_free(r->fault_ev);
	r->fault_ev = NULL;
}

static void sq_free(struct kt_sq *sq)
{
	for (unsigned i = 0; i < sq->nreqs; i++) {
		free(slot(sq, i)->buf);
		req_fini(slot(sq, i));
	}
	free(sq->reqs);
	req_fini(sq->boot);
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
void kt_sq_release_if_idle(struct kt_sq *sq)
{
	if (sq->state == KT_SQ_CLOSED && sq->inflight == 0 && !sq->released) {
		sq->released = true;
		kt_sq_put(sq);
	}
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
int kt_req_buf(struct kt_req *r, uint32_t len)
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

int kt_sq_alloc_reqs(struct kt_sq *sq, uint16_t n)
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
void kt_req_complete(struct kt_req *r, uint16_t status)
{
	struct kt_sq *sq = r->sq;
	struct kt_cmd *cmd = &r->cmd;
	if (r->fault && marked_complete(r, status)) /* only a fault rule's firing marks it */
		return;
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

void kt_sq_complete_aer(struct kt_sq *sq, uint16_t cid, uint32_t dw0)
{
	for (unsigned i = 0; i < sq->nreqs; i++) {
		struct kt_req *r = slot(sq, i);
		if (r->held && r->cmd.sqe.cid == cid) {
			r->held = false;
			r->cmd.cqe.dw0 = htole32(dw0);
			kt_req_complete(r, 0);
			return;
		}
	}
}

void kt_sq_pump_aens(struct kt_sq *sq)
{
	uint16_t cid;
	uint32_t dw0;
	while (kt_ctrl_aen_take(&sq->dc->c, &cid, &dw0))
		kt_sq_complete_aer(sq, cid, dw0);
}

/* After a controller reset: AERs the controller no longer holds were
 * aborted without a completion (proto/dispatch.c): their slots go. */
void kt_sq_drop_stale_aers(struct kt_sq *sq)
{
	for (unsigned i = 0; i < sq->nreqs; i++) {
		struct kt_req *r = slot(sq, i);
		if (r->held && !kt_ctrl_aer_held(&sq->dc->c, r->cmd.sqe.cid)) {
			r->held = false;
			kt_req_put(r);
		}
	}
}

/* ---- a controller's queues ----------------------------------------- */

void kt_dctrl_close_queues_locked(struct kt_dctrl *dc, bool include_admin, const char *why)
{
	if (include_admin)
		dc->dying = true;
	for (struct kt_sq *q = dc->queues; q; q = q->ctrl_next)
		if (include_admin || q != dc->admin)
			kt_sq_close_async(q, why);
}

void kt_dctrl_close_queues(struct kt_dctrl *dc, bool include_admin, const char *why)
{
	pthread_mutex_lock(&dc->lock);
	kt_dctrl_close_queues_locked(dc, include_admin, why);
	pthread_mutex_unlock(&dc->lock);
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
		kt_sq_pump_aens(sq);
	kt_sq_put(sq);
}

void kt_sq_pump_aens_async(struct kt_sq *sq)
{
	kt_sq_get(sq);
	if (kt_worker_post(sq->worker, on_pump_msg, sq) < 0)
		atomic_fetch_sub(&sq->refs, 1);
}

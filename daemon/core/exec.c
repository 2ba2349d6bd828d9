/*
 * exec.c - the life of a command, whatever its transport: kt_req_begin
 * parses it when its SQE arrives (proto's kt_cmd_parse), kt_req_exec runs
 * it once its data is in (proto's kt_cmd_exec) and acts on the result:
 * Connect admitted by the target, I/O handed to a namespace backend (or a
 * RAM read sent from namespace memory), a held AER, the keep-alive timer
 * told; then kt_req_complete (daemon/core/sq.c). kt_sq_closed detaches a
 * queue its transport closed from its controller.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "daemon/core/auth.h"
#include "daemon/core/exec.h"
#include "daemon/core/fault_apply.h"
#include "daemon/core/faults.h"
#include "daemon/core/keepalive.h"
#include "daemon/core/sq.h"
#include "daemon/core/target.h"
#include "daemon/core/worker.h"
#include "daemon/log.h"
#include "daemon/transport/transport.h"

/* ---- parse ------------------------------------------------------------ */

static void qview(struct kt_sq *sq, struct kt_qview *v)
{
	v->target = kt_target_get();
	v->ctrl = sq->state == KT_SQ_LIVE && sq->dc ? &sq->dc->c : NULL;
	v->qid = sq->qid;
	v->max_len = kt_mdts_bytes(v->target);
	v->auth = v->ctrl ? &sq->auth : NULL;
	v->auth_ctx = NULL;
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
	r->fault = 0;
	r->fault_held = false;
	if (sq->state == KT_SQ_LIVE && !sq->sqhd_disabled)
		sq->sqhd = (uint16_t)((sq->sqhd + 1u) % (sq->sqsize + 1u));
	qview(sq, &v);
	r->status = kt_cmd_parse(&v, &sq->ops->caps, cmd, icd_len, sq->now_ms, &r->plan);
	if (icd_len) {
		/* the data lands in the slot's buffer, refused or not */
		if (kt_req_buf(r, icd_len) < 0)
			return -ENOMEM;
		*icd = r->buf;
	}
	if (r->status)
		return 0;
	if (r->plan.xfer.src == KT_XFER_INCAPSULE) {
		cmd->data = r->buf + r->plan.xfer.off;
	} else if (r->plan.xfer.src == KT_XFER_TRANSPORT) {
		if (kt_req_buf(r, cmd->data_len) < 0)
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
	kt_req_complete(r, status);
	kt_sq_release_if_idle(sq);
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
	kt_req_complete(r, st);
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
	if (kt_sq_alloc_reqs(sq, (uint16_t)(a->sqsize + 1u)) < 0) {
		kt_dctrl_queue_gone(dc, sq);
		sq->dc = NULL;
		return NVME_SC_INTERNAL;
	}
	sq->state = KT_SQ_LIVE;
	if (sq->ops->connected)
		sq->ops->connected(sq);
	/* AUTHREQ (dw0 bits 31:16): ATR, "authentication transaction
	 * required", when the host has a key (daemon/core/auth.c) */
	cmd->cqe.dw0 = htole32(dc->c.cntlid | (kt_auth_connect(sq, dc) ? KT_CONNECT_AUTHREQ_ATR : 0u));
	return 0;
}

void kt_req_exec(struct kt_req *r)
{
	struct kt_sq *sq = r->sq;
	struct kt_cmd *cmd = &r->cmd;
	struct kt_cmd_result res;
	struct kt_qview v;

	if (r->status) {
		kt_req_complete(r, r->status);
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
	/* fault rules: with none set, one relaxed load (daemon/core/faults.h) */
	if (kt_faults_any() && kt_fault_before(r))
		return;
	qview(sq, &v);
	struct kt_auth_ctx actx;
	if (v.ctrl) {
		kt_auth_ctx(sq, &actx);
		v.auth_ctx = &actx;
	}
	if (r->plan.route != KT_ROUTE_FABRICS && !v.ctrl) {
		/* defensive: a queue that lost its controller since the parse */
		kt_req_complete(r, KT_STATUS(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR, false));
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
		kt_sq_drop_stale_aers(sq);
	}
	/* keep-alive: the timer, the trace, and a policy that may hold a Keep
	 * Alive's completion (and complete it later through kt_req_complete) */
	bool ka_held = false;
	if (v.ctrl && v.qid == 0 && (res.ka_moved || res.ka_cmd != KT_KA_NONE))
		ka_held = kt_ka_after_admin(sq->dc, r, &res, kt_req_complete);
	if (v.ctrl && v.qid == 0 && cmd->sqe.opcode == nvme_admin_abort_cmd && res.status == 0)
		kt_fault_abort(sq->dc, r); /* a command a fault rule holds */
	if (res.close_queue)
		sq->ops->close_after_reply(sq);
	if (res.auth_cmd)
		kt_auth_after(r, &res.auth);
	if (res.next != KT_NEXT_HOLD && !ka_held)
		kt_req_complete(r, res.status);
	if (v.ctrl && v.qid == 0)
		kt_sq_pump_aens(sq);
}

void kt_sq_closed(struct kt_sq *sq, const char *why)
{
	if (sq->state == KT_SQ_CLOSED)
		return;
	sq->state = KT_SQ_CLOSED;
	kt_fault_sq_gone(sq);
	kt_auth_sq_end(sq);
	if (sq->dc) {
		struct kt_dctrl *dc = sq->dc;
		kt_log_ctrl(KT_LOG_INFO, &dc->c, "queue %u on %s closed: %s", sq->qid, sq->peer, why);
		sq->dc = NULL;
		kt_dctrl_queue_gone(dc, sq);
	} else {
		kt_dbg("%s: connection closed: %s", sq->peer, why);
	}
	kt_sq_release_if_idle(sq);
}


/*
 * fault_apply.c - a fault rule's firing applied to a command (see
 * fault_apply.h): the log line and trace event of every firing, the
 * actions, the held commands Abort can find, and Abort. Nothing here runs
 * when no rule is set but kt_fault_sq_gone's one test at a queue's close:
 * exec.c calls in only after kt_faults_any(), sq.c only for a slot a
 * firing marked.
 *
 * Held commands are listed (dc, sq, qid, cid) under a lock of their own,
 * so that an Abort on the admin worker can find one held on an I/O queue
 * of another worker: it takes the entry out under the lock, with a
 * reference to the queue, and posts the completion to the queue's worker.
 * A queue that closes takes its entries out first (kt_fault_sq_gone):
 * whoever takes an entry out owns it, so the queue is alive while listed.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <event2/event.h>
#include "daemon/core/dctrl.h"
#include "daemon/core/fault_apply.h"
#include "daemon/core/faults.h"
#include "daemon/core/ka_trace.h"
#include "daemon/core/sq.h"
#include "daemon/core/worker.h"
#include "daemon/log.h"
#include "daemon/transport/transport.h"

/* ---- held commands ------------------------------------------------------ */

struct held {
	struct held *next;
	const struct kt_dctrl *dc;
	struct kt_sq *sq;
	uint16_t qid, cid;
};

static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static struct held *helds;
static _Atomic unsigned n_held; /* so that a closing queue looks only when some are */

static void held_add(struct kt_sq *sq, uint16_t cid)
{
	struct held *h = malloc(sizeof(*h));
	if (!h) {
		kt_err("%s: fault rule hold: out of memory: Abort will not find queue %u cid %u", sq->peer,
		       sq->qid, cid);
		return;
	}
	*h = (struct held){ .dc = sq->dc, .sq = sq, .qid = sq->qid, .cid = cid };
	pthread_mutex_lock(&held_lock);
	h->next = helds;
	helds = h;
	atomic_fetch_add(&n_held, 1);
	pthread_mutex_unlock(&held_lock);
}

void kt_fault_sq_gone(struct kt_sq *sq)
{
	if (!atomic_load_explicit(&n_held, memory_order_relaxed))
		return;
	pthread_mutex_lock(&held_lock);
	for (struct held **pp = &helds; *pp;) {
		struct held *h = *pp;
		if (h->sq == sq) {
			*pp = h->next;
			atomic_fetch_sub(&n_held, 1);
			free(h);
		} else {
			pp = &h->next;
		}
	}
	pthread_mutex_unlock(&held_lock);
}

/* ---- the firing's report ------------------------------------------------ */

static const char *opcode_text(const struct kt_fault_cmd *fc, char *buf, size_t len)
{
	const char *n = kt_fault_opcode_name(kt_fault_cmd_set(fc), fc->opcode == KT_OPC_FABRICS ? fc->fctype
											      : fc->opcode);
	if (n)
		return n;
	snprintf(buf, len, "0x%02x", fc->opcode);
	return buf;
}

/* An event "fault" in the keep-alive trace (daemon/core/ka_trace.c), for
 * the controller's firings: the trace's readers see faults among the
 * keep-alive events they cause. */
static void trace_fault(const struct kt_ctrl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace_fault(const struct kt_ctrl *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kt_ka_vtrace(c, "fault", fmt, ap);
	va_end(ap);
}

static void report(const struct kt_sq *sq, const struct kt_fault_cmd *fc, const struct kt_fault_hit *h,
		   uint16_t cid)
{
	char ob[8];
	const char *op = opcode_text(fc, ob, sizeof(ob));
	const char *act = kt_fault_kind_name(h->action.kind);
	const struct kt_ctrl *c = sq->dc ? &sq->dc->c : NULL;
	if (c)
		kt_log_ctrl(KT_LOG_INFO, c, "fault rule %u%s%s fired: qid %u cid %u opcode %s: %s",
			    h->id, h->name[0] ? " " : "", h->name, fc->qid, cid, op, act);
	else
		kt_info("%s: fault rule %u%s%s fired: qid %u cid %u opcode %s: %s (no controller yet)",
			sq->peer, h->id, h->name[0] ? " " : "", h->name, fc->qid, cid, op, act);
	if (c && kt_ka_tracing())
		trace_fault(c, "\"rule\":%u,\"name\":\"%s\",\"qid\":%u,\"cid\":%u,\"opcode\":\"%s\","
			    "\"action\":\"%s\",\"ms\":%u,\"status\":%u,\"fire\":%llu",
			    h->id, h->name, fc->qid, cid, op, act, h->action.ms, h->action.status,
			    (unsigned long long)h->fire);
}

/* ---- before execution ------------------------------------------------- */

bool kt_fault_before(struct kt_req *r)
{
	struct kt_sq *sq = r->sq;
	const struct kt_ctrl *c = sq->state == KT_SQ_LIVE && sq->dc ? &sq->dc->c : NULL;
	uint16_t cid = le16toh(r->cmd.sqe.cid);
	/* the keep-alive policy owns its controller's Keep Alives (fault_apply.h) */
	if (c && c->ka_pol && sq->qid == 0 && r->cmd.sqe.opcode == nvme_admin_keep_alive)
		return false;
	struct kt_fault_cmd fc = { .hostnqn = c ? c->hostnqn : NULL, .subnqn = c ? c->subsys->nqn : NULL,
				   .cntlid = c ? c->cntlid : KT_FAULT_NO_CNTLID };
	kt_fault_cmd_from_sqe(&fc, &r->cmd.sqe, sq->qid);
	struct kt_fault_hit h;
	if (!kt_faults_decide(&fc, kt_now_ms(), &h))
		return false;
	report(sq, &fc, &h, cid);
	switch (h.action.kind) {
	case KT_FAULT_DELAY:
		r->fault = KT_FAULT_DELAY;
		r->fault_ms = h.action.ms;
		return false;
	case KT_FAULT_HOLD:
		r->fault_held = true;
		if (c)
			held_add(sq, cid);
		return true;
	case KT_FAULT_STATUS:
		kt_req_complete(r, h.action.status);
		return true;
	case KT_FAULT_CLOSE_BEFORE:
		/* the host sees the end at once; the close follows on this worker
		 * (the transport is in the middle of reading) */
		kt_req_put(r);
		if (sq->ops->shut)
			sq->ops->shut(sq);
		kt_sq_close_async(sq, "fault rule: close_before");
		return true;
	case KT_FAULT_CLOSE_AFTER:
		r->fault = KT_FAULT_CLOSE_AFTER;
		return false;
	case KT_FAULT_STALL_READS:
		if (sq->ops->stall_reads)
			sq->ops->stall_reads(sq, h.action.ms);
		return false;
	case KT_FAULT_CORRUPT_DDGST:
		sq->fault_ddgst = true; /* the transport's next data digest, if it sends any */
		return false;
	case KT_FAULT_NONE:
		break;
	}
	return false;
}

/* ---- Abort ------------------------------------------------------------- */

struct abort_msg {
	struct kt_sq *sq;
	uint16_t cid;
};

static void on_abort_msg(struct kt_worker *w, void *arg)
{
	struct abort_msg *m = arg;
	struct kt_sq *sq = m->sq;
	(void)w;
	for (uint16_t i = 0; sq->state == KT_SQ_LIVE && i < sq->nreqs; i++) {
		struct kt_req *r = kt_sq_req_at(sq, i);
		if (r->busy && r->fault_held && le16toh(r->cmd.sqe.cid) == m->cid) {
			r->fault_held = false;
			kt_req_complete(r, kt_fault_abort_status());
			break;
		}
	}
	kt_sq_put(sq);
	free(m);
}

void kt_fault_abort(struct kt_dctrl *dc, struct kt_req *ar)
{
	uint16_t qid, cid;
	if (!atomic_load_explicit(&n_held, memory_order_relaxed))
		return;
	kt_fault_abort_target(&ar->cmd.sqe, &qid, &cid);
	struct abort_msg *m = malloc(sizeof(*m));
	if (!m)
		return;
	struct held *found = NULL;
	pthread_mutex_lock(&held_lock);
	for (struct held **pp = &helds; *pp; pp = &(*pp)->next) {
		struct held *h = *pp;
		if (h->dc == dc && h->qid == qid && h->cid == cid) {
			*pp = h->next;
			atomic_fetch_sub(&n_held, 1);
			found = h;
			kt_sq_get(h->sq);
			break;
		}
	}
	pthread_mutex_unlock(&held_lock);
	if (!found) {
		free(m);
		return;
	}
	m->sq = found->sq;
	m->cid = cid;
	free(found);
	if (kt_worker_post(m->sq->worker, on_abort_msg, m) < 0) {
		atomic_fetch_sub(&m->sq->refs, 1);
		free(m);
		kt_log_ctrl(KT_LOG_WARN, &dc->c, "Abort of qid %u cid %u: cannot reach its worker", qid, cid);
		return;
	}
	ar->cmd.cqe.dw0 = htole32(KT_ABORT_DW0_ABORTED);
	kt_log_ctrl(KT_LOG_INFO, &dc->c, "Abort: qid %u cid %u, held by a fault rule, aborted", qid, cid);
}

/*
 * fault_apply.h - a fault rule's firing applied to a command (the rules
 * and the decision: daemon/core/faults.h, proto/faults.h). It exists so
 * that exec.c and sq.c carry only the one test each of the fast path and
 * the what-to-do lives in one place: before execution (hold, status,
 * close_before, and the marks the others leave), at completion (delay,
 * close_after), and Abort of a held command.
 *
 * Keep Alive: the keep-alive policy (daemon/core/keepalive.c) owns a
 * controller's Keep Alive completions. A fault rule whose opcode is
 * keep_alive applies to a Keep Alive like to any command, except on a
 * controller under a keep-alive policy: there the rules do not see its
 * Keep Alives at all (no match counted), and the policy alone acts.
 *
 * Threads: everything runs on the command's queue's worker, but Abort,
 * which runs on the admin worker and posts the held command's completion
 * to its queue's worker.
 */
#ifndef KATO_DAEMON_CORE_FAULT_APPLY_H
#define KATO_DAEMON_CORE_FAULT_APPLY_H

#include <stdbool.h>
#include <stdint.h>

struct kt_req;
struct kt_sq;
struct kt_dctrl;

/* r is about to execute (its data is in) and a rule is set: decides and
 * applies. true: r is taken (held, completed with a status, or its queue
 * closed): do not execute it. false: execute it (a mark may remain in
 * r->fault, which kt_req_complete acts on: daemon/core/sq.c). */
bool kt_fault_before(struct kt_req *r);
/* After an Abort executed on dc's admin queue (r the Abort): when it names
 * a command a rule holds, that command completes (on its queue's worker)
 * with Command Abort Requested and the Abort says "aborted". */
void kt_fault_abort(struct kt_dctrl *dc, struct kt_req *abort_req);
/* sq is closing: the held commands it had are forgotten (they never
 * complete). */
void kt_fault_sq_gone(struct kt_sq *sq);

#endif

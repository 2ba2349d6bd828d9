/*
 * keepalive.h - the keep-alive engine: a deadline per controller, kept on
 * its admin queue's worker (one timerfd per worker over a heap of its
 * controllers), expiry, the deliberate-misbehaviour policy's daemon side
 * (held Keep Alive completions, live rule changes, forced expiry), the
 * connection keepalive settings transports apply, and the event trace.
 *
 * Timers: each worker has one timerfd (CLOCK_MONOTONIC, absolute) in its
 * event loop and a min-heap of the controllers whose admin queue it holds,
 * keyed by when each must next be looked at. An admin command that moves
 * the deadline (a Keep Alive, Set Features KATO, a policy) moves the entry
 * with it (O(log n)); traffic on I/O queues does not: that entry fires
 * early, finds the true deadline (proto's kt_ctrl_ka_deadline) and re-arms.
 * Due expiries of one wake-up are shut first and logged after.
 * Times are whole milliseconds of CLOCK_MONOTONIC read at wake-up (floor):
 * a controller re-armed at stamp s with timeout K expires at the first
 * reading > s + K, so never before K has passed since the re-arm.
 *
 * Threading: the per-controller state (struct kt_ka) is touched only on the
 * admin worker. Rule changes and forced expiries reach it by a message to
 * every worker. The trace may be written from any thread.
 *
 * Files: keepalive.c is the engine and includes the others, which know
 * nothing of it: ka_heap.c (the heap, a pure data structure), ka_timer.c
 * (a worker's timerfd over its heap), ka_decide.c (when an entry fires and
 * what to do then, pure), ka_rules.c (the rule table) and ka_trace.c (the
 * trace's file and stream). This header is the facade: it includes the
 * control API of ka_rules.h (kt_ka_policy_get/list/table) and ka_trace.h
 * (kt_ka_trace_*).
 */
#ifndef KATO_DAEMON_KEEPALIVE_H
#define KATO_DAEMON_KEEPALIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "daemon/core/ka_rules.h"
#include "daemon/core/ka_trace.h"
#include "proto/kapolicy.h"

struct kt_dctrl;
struct kt_req;
struct kt_cmd_result;
struct kt_worker;
struct kt_cfg_daemon;
struct kt_ka_hold;

/* ---- daemon wiring ---------------------------------------------------- */

/* From kt_target_build: tbkas, TCP keepalive, the trace file and the policy
 * rules of the "katod"."keepalive" settings. 0 or a negative errno with a
 * reason in err. kt_keepalive_fini closes the trace. */
int kt_keepalive_configure(const struct kt_cfg_daemon *d, char *err, size_t errlen);
/* How the engine reaches every controller (live rule changes, forced
 * expiry): the target's walk, handed in once by kt_target_build so that
 * keep-alive never calls the target. fn runs under the target's lock. */
typedef void (*kt_ka_ctrl_fn)(struct kt_dctrl *dc, void *arg);
void kt_ka_set_walker(void (*walk)(kt_ka_ctrl_fn fn, void *arg));
void kt_keepalive_fini(void);
/* Per-worker timer: created with the worker's event base (before its
 * thread runs) and freed after the thread is joined, before the base. */
int kt_keepalive_worker_init(struct kt_worker *w);
void kt_keepalive_worker_fini(struct kt_worker *w);

/* Whether controllers advertise (and honour) traffic-based keep-alive. */
bool kt_ka_tbkas(void);
/* The connection keepalive a transport applies to each new connection
 * (NVMe/TCP: SO_KEEPALIVE, TCP_KEEPIDLE/KEEPINTVL/KEEPCNT), so that a host
 * that vanished (no FIN, no RST) is reaped even where no keep-alive timer
 * runs (KATO 0, or before Connect): idle seconds, probe interval, probes. */
void kt_ka_tcp_settings(int *idle_s, int *interval_s, int *count);

/* ---- controller lifetime (admin worker) ------------------------------- */

/* Re-evaluates the keep-alive timer after a command that may have moved
 * the deadline. */
void kt_dctrl_ka_update(struct kt_dctrl *dc);

/* After kt_ctrl_init at admin Connect: activity timeout for a discovery
 * controller with KATO 0, TBKAS, the policy, the timer; traces "connect". */
void kt_ka_attach(struct kt_dctrl *dc, uint32_t disc_activity_ms, uint64_t now);
/* The admin queue is gone: the timer stops, held completions are dropped. */
void kt_ka_detach(struct kt_dctrl *dc);
/* The last queue is gone and the controller id is free (any thread):
 * traces "teardown". */
void kt_ka_teardown_done(struct kt_dctrl *dc);

typedef void (*kt_ka_complete_fn)(struct kt_req *r, uint16_t status);
/* After an admin or fabrics command ran on the admin queue whose result
 * touches keep-alive (proto's res->ka_cmd, res->ka_moved): traces Keep
 * Alive and Set Features KATO, re-evaluates the timer, and applies the
 * policy to a Keep Alive's completion. Returns true when the policy holds
 * r (it completes it later through `complete`, or never); res->status may
 * be replaced. */
bool kt_ka_after_admin(struct kt_dctrl *dc, struct kt_req *r, struct kt_cmd_result *res,
		       kt_ka_complete_fn complete);

/* ---- the control API (any thread; the control socket calls these) ----- */

/* Rules by scope (see proto/kapolicy.h); a change reaches live controllers
 * within one loop turn of their admin worker. 0 or a negative errno. */
int kt_ka_policy_set(const struct kt_kapol_scope *s, const struct kt_kapol *p);
int kt_ka_policy_clear(const struct kt_kapol_scope *s); /* NULL: every rule */
/* kt_ka_policy_get, kt_ka_policy_list, kt_ka_policy_table: ka_rules.h. */
/* Expires now every live controller the scope covers (NULL: all), as a
 * timeout would. Returns 0; the expiries happen on the admin workers. */
int kt_ka_force_expiry(const struct kt_kapol_scope *s);
/* The event trace, its file and its stream (kt_ka_trace_set, _file,
 * _stream, _take): ka_trace.h. */

#endif

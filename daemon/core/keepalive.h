/*
 * keepalive.h - the keep-alive engine: one timer per controller on its admin
 * queue's worker, expiry, the deliberate-misbehaviour policy's daemon side
 * (held Keep Alive completions, live rule changes, forced expiry), TCP
 * keepalive on accepted sockets, and the keep-alive event trace.
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

/* Per-controller engine state, inside struct kt_dctrl. */
struct kt_ka {
	size_t heap_idx;            /* in the admin worker's heap, or SIZE_MAX */
	uint64_t armed_ms;          /* when the heap entry fires (0: not armed) */
	uint64_t traced_traffic_ms; /* traffic re-arm last written to the trace */
	struct kt_kapol pol;        /* effective policy; c.ka_pol points here when set */
	struct kt_ka_hold *holds;   /* Keep Alive completions the policy holds */
	bool attached;              /* between admin Connect and the admin queue's end */
	bool expired;
};

/* ---- daemon wiring ---------------------------------------------------- */

/* From kt_target_build: tbkas, TCP keepalive, the trace file and the policy
 * rules of the "katod"."keepalive" settings. 0 or a negative errno with a
 * reason in err. kt_keepalive_fini closes the trace. */
int kt_keepalive_configure(const struct kt_cfg_daemon *d, char *err, size_t errlen);
void kt_keepalive_fini(void);
/* Per-worker timer: created with the worker's event base (before its
 * thread runs) and freed after the thread is joined, before the base. */
int kt_keepalive_worker_init(struct kt_worker *w);
void kt_keepalive_worker_fini(struct kt_worker *w);

/* Whether controllers advertise (and honour) traffic-based keep-alive. */
bool kt_ka_tbkas(void);
/* Sets SO_KEEPALIVE, TCP_KEEPIDLE/KEEPINTVL/KEEPCNT on an accepted socket:
 * a host that vanished (no FIN, no RST) is reaped even where no keep-alive
 * timer runs (KATO 0, or before Connect). */
void kt_ka_tcp_keepalive(int fd);

/* ---- controller lifetime (admin worker) ------------------------------- */

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

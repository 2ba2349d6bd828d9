/*
 * keepalive.c - the keep-alive engine (see keepalive.h): what the timer's
 * entries mean and what happens when one fires (evaluation, expiry), the
 * policy's daemon side (held Keep Alive completions, live rule changes,
 * forced expiry), controllers' attach and detach, the settings and TCP
 * keepalive. It glues the parts that know nothing of it: the heap and the
 * timerfd (ka_heap.c, ka_timer.c), the timer's decisions (ka_decide.c), the
 * rule table (ka_rules.c) and the event trace (ka_trace.c). The rules of
 * the clock (deadline, re-arm, rounding) and of the policy are proto's;
 * this file owns time and threads.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>
#include "config/config.h"
#include "daemon/core/counters.h"
#include "daemon/core/ka_decide.h"
#include "daemon/core/ka_rules.h"
#include "daemon/core/ka_timer.h"
#include "daemon/core/ka_trace.h"
#include "daemon/core/keepalive.h"
#include "daemon/log.h"
#include "daemon/core/sq.h"
#include "daemon/transport/transport.h"
#include "daemon/core/dctrl.h"
#include "daemon/core/worker.h"

#define NOT_IN_HEAP KT_KA_HEAP_NONE
#define MAX_WORKERS 1024

/* ---- settings ---------------------------------------------------------- */

/* written by the main thread at a live change, read by workers at Connect
 * and accept: atomic */
static _Atomic bool tbkas = true;
static _Atomic int tcp_idle_s = 30, tcp_intvl_s = 5, tcp_cnt = 3;

bool kt_ka_tbkas(void) { return tbkas; }

void kt_ka_tcp_settings(int *idle_s, int *interval_s, int *count)
{
	*idle_s = tcp_idle_s;
	*interval_s = tcp_intvl_s;
	*count = tcp_cnt;
}

/* ---- the trace's events ------------------------------------------------ */

static void trace(const struct kt_ctrl *c, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void trace(const struct kt_ctrl *c, const char *event, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kt_ka_vtrace(c, event, fmt, ap);
	va_end(ap);
}

static void trace_policy(const struct kt_ctrl *c, const char *action)
{
	const struct kt_kapol *p = c->ka_pol;
	if (!kt_ka_tracing())
		return;
	if (!p) {
		trace(c, "policy", "\"action\":\"%s\"", action);
		return;
	}
	trace(c, "policy",
	      "\"action\":\"%s\",\"set\":%u,\"delay_ms\":%u,\"drop\":%s,\"status\":%u,"
	      "\"expire_permille\":%u,\"ignore_traffic\":%s,\"refuse_set_kato\":%s,\"kas\":%u",
	      action, p->set, p->delay_ms, p->drop ? "true" : "false", p->status, p->expire_permille,
	      p->ignore_traffic ? "true" : "false", p->refuse_set_kato ? "true" : "false", p->kas);
}

/* ---- per-worker timers ------------------------------------------------- */

/* An expiry of this wake-up whose sockets are already shut: its log line,
 * counter and trace event come after every due expiry is closed. */
struct ka_done {
	struct kt_dctrl *dc;
	uint64_t now, deadline, last, at_us;
};

struct ka_worker {
	struct kt_worker *w;
	struct kt_ka_timer t;       /* timerfd + heap of kt_dctrl, by ka.heap_idx */
	struct ka_done *done;       /* on_tick's deferred reports (kept between wake-ups) */
	size_t done_cap;
};

static struct ka_worker *kaws[MAX_WORKERS];

static struct ka_worker *kaw_of(const struct kt_dctrl *dc)
{
	return kaws[dc->admin_worker->id % MAX_WORKERS];
}

/* The heap's entries carry the controller; the entry's key is mirrored in
 * dc->ka.armed_ms (0: not armed). */
static int heap_insert(struct ka_worker *kw, struct kt_dctrl *dc, uint64_t at)
{
	int rc = kt_ka_heap_insert(&kw->t.heap, dc, at);
	if (rc == 0)
		dc->ka.armed_ms = at;
	return rc;
}

static void heap_remove(struct ka_worker *kw, struct kt_dctrl *dc)
{
	if (dc->ka.heap_idx == NOT_IN_HEAP)
		return;
	kt_ka_heap_remove(&kw->t.heap, dc->ka.heap_idx);
	dc->ka.armed_ms = 0;
}

/* Moves dc's entry (in the heap) to fire at `at`: O(log n). */
static void heap_move(struct ka_worker *kw, struct kt_dctrl *dc, uint64_t at)
{
	kt_ka_heap_move(&kw->t.heap, dc->ka.heap_idx, at);
	dc->ka.armed_ms = at;
}

/* ---- evaluation and expiry -------------------------------------------- */

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The cheap, urgent half of an expiry: stop the timer, record it in the
 * controller (Error Log entry, CSTS.CFS), shut the admin queue's socket
 * (this is its worker, so the host sees the close now, not after this
 * wake-up's other expiries and reports) and order every queue closed.
 * Fills *d for ka_report. */
static void ka_shut(struct kt_dctrl *dc, uint64_t now, uint64_t deadline, bool forced,
		    struct ka_done *d)
{
	struct kt_ctrl *c = &dc->c;
	bool activity = !c->kato_ms;
	uint64_t last = c->ka_rearm_ms;
	uint64_t traffic = atomic_load_explicit(&c->last_traffic_ms, memory_order_relaxed);
	if (kt_ka_traffic_counts(c) && traffic > last)
		last = traffic;

	heap_remove(kaw_of(dc), dc);
	dc->ka.expired = true;
	kt_ctrl_ka_expire(c);
	/* dying before the host can see the close: whoever then counts the
	 * controllers (katoctl keepalive expire) no longer counts this one */
	pthread_mutex_lock(&dc->lock);
	dc->dying = true;
	pthread_mutex_unlock(&dc->lock);
	if (dc->admin && dc->admin->state != KT_SQ_CLOSED)
		dc->admin->ops->shut(dc->admin); /* the host sees the end now; the close follows */
	*d = (struct ka_done){ dc, now, deadline, last, mono_us() };
	kt_dctrl_close_queues(dc, true, forced ? "keep-alive expiry forced"
					: activity ? "activity timeout" : "keep-alive timeout");
}

/* The rest of an expiry, after the urgent halves: counter, log line, trace
 * (dc lives on: its admin queue closes on this worker, after this). */
static void ka_report(const struct ka_done *d, bool forced)
{
	struct kt_ctrl *c = &d->dc->c;
	bool activity = !c->kato_ms;
	uint64_t since = d->now > d->last ? d->now - d->last : 0;
	uint64_t late = d->now > d->deadline ? d->now - d->deadline : 0;
	kt_counters_ka_expired(c->subsys->nqn, c->cntlid, d->now);
	kt_log_ctrl(KT_LOG_WARN, c,
		    "%s: subsystem %s, KATO %u ms, %llu ms since the last re-arm, %llu ms after the deadline",
		    forced ? "keep-alive expiry forced" : activity ? "discovery activity timeout" : "keep-alive timeout",
		    c->subsys->nqn, activity ? c->ka_activity_ms : c->kato_ms, (unsigned long long)since,
		    (unsigned long long)late);
	if (kt_ka_tracing())
		trace(c, "expiry", "\"kato_ms\":%u,\"activity\":%s,\"forced\":%s,\"deadline_ms\":%llu,"
			"\"now_ms\":%llu,\"since_rearm_ms\":%llu,\"late_ms\":%llu,\"at_us\":%llu",
		      activity ? c->ka_activity_ms : c->kato_ms, activity ? "true" : "false",
		      forced ? "true" : "false", (unsigned long long)d->deadline, (unsigned long long)d->now,
		      (unsigned long long)since, (unsigned long long)late, (unsigned long long)d->at_us);
}

static void ka_expire(struct kt_dctrl *dc, uint64_t now, uint64_t deadline, bool forced)
{
	struct ka_done d;
	ka_shut(dc, now, deadline, forced, &d);
	ka_report(&d, forced);
}

/* The heap entry of dc is due (it is out of the heap): expire (true, *d
 * filled) or re-arm (false), as kt_ka_due decides. */
static bool ka_check(struct ka_worker *kw, struct kt_dctrl *dc, uint64_t now, struct ka_done *d)
{
	struct kt_ctrl *c = &dc->c;
	struct kt_ka_due due = kt_ka_due(c, now);
	if (due.act == KT_KA_STOP)
		return false;
	if (due.act == KT_KA_EXPIRE) {
		ka_shut(dc, now, due.deadline, false, d);
		return true;
	}
	if (kt_ka_tracing() && kt_ka_traffic_counts(c)) {
		uint64_t t = atomic_load_explicit(&c->last_traffic_ms, memory_order_relaxed);
		if (t > c->ka_rearm_ms && t > dc->ka.traced_traffic_ms) {
			dc->ka.traced_traffic_ms = t;
			trace(c, "traffic_rearm", "\"traffic_ms\":%llu,\"deadline_ms\":%llu",
			      (unsigned long long)t, (unsigned long long)due.deadline);
		}
	}
	if (heap_insert(kw, dc, due.at) < 0)
		kt_err("ctrl %u: keep-alive timer: out of memory", c->cntlid);
	return false;
}

/* The timerfd fired: every due entry is looked at with one clock reading;
 * the due expiries are all shut first, then reported. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ka_worker *kw = arg;
	kt_ka_timer_ack(&kw->t);
	uint64_t now = kt_now_ms();
	size_t nd = 0;
	const struct kt_ka_heap_ent *e;
	while ((e = kt_ka_heap_min(&kw->t.heap)) && e->at <= now) {
		struct kt_dctrl *dc = e->owner;
		heap_remove(kw, dc);
		if (nd == kw->done_cap) {
			size_t cap = kw->done_cap ? kw->done_cap * 2 : 64;
			struct ka_done *v = realloc(kw->done, cap * sizeof(*v));
			if (!v) { /* no room to defer: report at once */
				struct ka_done d;
				if (ka_check(kw, dc, now, &d))
					ka_report(&d, false);
				continue;
			}
			kw->done = v;
			kw->done_cap = cap;
		}
		if (ka_check(kw, dc, now, &kw->done[nd]))
			nd++;
	}
	kt_ka_timer_sync(&kw->t);
	for (size_t i = 0; i < nd; i++)
		ka_report(&kw->done[i], false);
}

/* After a command that may move dc's deadline: the entry follows it, later
 * (a Keep Alive: one O(log n) move, so it never fires while the host keeps
 * up) or earlier. Traffic on I/O queues is not seen here: an entry that
 * fires finds that later deadline and re-arms. */
void kt_dctrl_ka_update(struct kt_dctrl *dc)
{
	struct ka_worker *kw = kaw_of(dc);
	if (!dc->ka.attached || dc->ka.expired || !kw)
		return;
	uint64_t want = kt_ka_fire_at(&dc->c);
	if (!want) {
		heap_remove(kw, dc);
	} else if (dc->ka.heap_idx == NOT_IN_HEAP) {
		if (heap_insert(kw, dc, want) < 0)
			kt_err("ctrl %u: keep-alive timer: out of memory", dc->c.cntlid);
	} else if (want != dc->ka.armed_ms) {
		heap_move(kw, dc, want);
	}
	kt_ka_timer_sync(&kw->t);
}

int kt_keepalive_worker_init(struct kt_worker *w)
{
	struct ka_worker *kw = calloc(1, sizeof(*kw));
	if (!kw || w->id >= MAX_WORKERS) {
		free(kw);
		return -ENOMEM;
	}
	kw->w = w;
	int rc = kt_ka_timer_init(&kw->t, w->base, w->id, offsetof(struct kt_dctrl, ka.heap_idx),
				  on_tick, kw);
	if (rc < 0) {
		free(kw);
		return rc;
	}
	kaws[w->id] = kw;
	return 0;
}

void kt_keepalive_worker_fini(struct kt_worker *w)
{
	struct ka_worker *kw = w->id < MAX_WORKERS ? kaws[w->id] : NULL;
	if (!kw)
		return;
	kaws[w->id] = NULL;
	kt_ka_timer_fini(&kw->t);
	free(kw->done);
	free(kw);
}

/* ---- held Keep Alive completions -------------------------------------- */

struct kt_ka_hold {
	struct kt_ka_hold *next;
	struct kt_dctrl *dc;
	struct kt_req *r;
	uint16_t status;
	kt_ka_complete_fn complete;
	struct event *ev;           /* NULL: dropped, never completed */
};

static void unlink_hold(struct kt_ka_hold *h)
{
	for (struct kt_ka_hold **pp = &h->dc->ka.holds; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			return;
		}
	}
}

static void on_hold_due(evutil_socket_t fd, short what, void *arg)
{
	struct kt_ka_hold *h = arg;
	unlink_hold(h);
	h->complete(h->r, h->status);
	event_free(h->ev);
	free(h);
}

static bool ka_policy_keep_alive(struct kt_dctrl *dc, struct kt_req *r, uint16_t *status,
				 kt_ka_complete_fn complete)
{
	struct kt_ctrl *c = &dc->c;
	uint16_t before = *status;
	uint32_t delay = 0;
	enum kt_kapol_ka_action a = kt_kapol_keep_alive(c->ka_pol, status, &delay);
	if (a == KT_KAPOL_KA_COMPLETE) {
		if (*status != before && kt_ka_tracing())
			trace(c, "policy", "\"action\":\"status\",\"status\":%u", *status);
		return false;
	}
	struct kt_ka_hold *h = calloc(1, sizeof(*h));
	if (!h)
		return false;
	h->dc = dc;
	h->r = r;
	h->status = *status;
	h->complete = complete;
	if (a == KT_KAPOL_KA_DELAY) {
		/* libevent times with the coarse clock, which may lag the real one
		 * by up to one tick: add that tick so the completion is never early */
		struct timespec res;
		long tick_us = clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0
				       ? (long)(res.tv_sec * 1000000 + (res.tv_nsec + 999) / 1000)
				       : 10000;
		uint64_t us = (uint64_t)delay * 1000u + (uint64_t)tick_us;
		struct timeval tv = { (time_t)(us / 1000000u), (suseconds_t)(us % 1000000u) };
		h->ev = evtimer_new(dc->admin_worker->base, on_hold_due, h);
		/* the loop's cached time is from its wake-up; the delay counts from now */
		event_base_update_cache_time(dc->admin_worker->base);
		if (!h->ev || evtimer_add(h->ev, &tv) < 0) {
			if (h->ev)
				event_free(h->ev);
			free(h);
			return false;
		}
	}
	h->next = dc->ka.holds;
	dc->ka.holds = h;
	if (kt_ka_tracing())
		trace(c, "policy", "\"action\":\"%s\",\"cid\":%u,\"delay_ms\":%u,\"status\":%u",
		      a == KT_KAPOL_KA_DROP ? "drop" : "delay", r->cmd.sqe.cid, delay, *status);
	return true;
}

bool kt_ka_after_admin(struct kt_dctrl *dc, struct kt_req *r, struct kt_cmd_result *res,
		       kt_ka_complete_fn complete)
{
	struct kt_ctrl *c = &dc->c;
	bool held = false;

	if (res->ka_cmd == KT_KA_KEEP_ALIVE) {
		if (kt_ka_tracing())
			trace(c, "keep_alive", "\"cid\":%u,\"status\":%u,\"rearm_ms\":%llu,\"kato_ms\":%u",
			      r->cmd.sqe.cid, res->status, (unsigned long long)c->ka_rearm_ms, c->kato_ms);
		if (c->ka_pol)
			held = ka_policy_keep_alive(dc, r, &res->status, complete);
	} else if (res->ka_cmd == KT_KA_SET_KATO) {
		if (kt_ka_tracing())
			trace(c, "set_kato", "\"requested_ms\":%u,\"kato_ms\":%u,\"status\":%u",
			      res->ka_requested_ms, c->kato_ms, res->status);
	}
	if (res->ka_moved)
		kt_dctrl_ka_update(dc);
	return held;
}

/* ---- controller lifetime ---------------------------------------------- */

/* Resolves the controller's policy from the rules (admin worker). */
static void ka_resolve(struct kt_dctrl *dc, const char *action)
{
	struct kt_ctrl *c = &dc->c;
	const struct kt_kapol *before = c->ka_pol;
	struct kt_kapol p;
	bool any = kt_ka_rules_resolve(c->cntlid, c->hostnqn, c->subsys->nqn, &p);
	if (!any && !before)
		return;
	if (any && before && memcmp(&p, &dc->ka.pol, sizeof(p)) == 0)
		return;
	if (any)
		dc->ka.pol = p;
	kt_ctrl_ka_set_policy(c, any ? &dc->ka.pol : NULL);
	kt_log_ctrl(KT_LOG_INFO, c, "keep-alive policy %s", any ? action : "cleared");
	trace_policy(c, any ? action : "clear");
}

void kt_ka_attach(struct kt_dctrl *dc, uint32_t disc_activity_ms, uint64_t now)
{
	struct kt_ctrl *c = &dc->c;
	dc->ka.heap_idx = NOT_IN_HEAP;
	dc->ka.armed_ms = 0;
	dc->ka.attached = true;
	c->ka_traffic_based = tbkas;
	if (c->discovery && !c->kato_ms)
		c->ka_activity_ms = disc_activity_ms;
	ka_resolve(dc, "attach");
	if (kt_ka_tracing())
		trace(c, "connect", "\"kato_req_ms\":%u,\"kato_ms\":%u,\"activity_ms\":%u,\"tbkas\":%s,"
			"\"kas\":%u,\"now_ms\":%llu",
		      c->kato_req_ms, c->kato_ms, c->ka_activity_ms, c->ka_traffic_based ? "true" : "false",
		      kt_ctrl_kas(c), (unsigned long long)now);
	kt_dctrl_ka_update(dc);
}

void kt_ka_detach(struct kt_dctrl *dc)
{
	struct ka_worker *kw = kaw_of(dc);
	if (!dc->ka.attached)
		return;
	if (kw) {
		heap_remove(kw, dc);
		kt_ka_timer_sync(&kw->t);
	}
	dc->ka.attached = false;
	while (dc->ka.holds) {
		struct kt_ka_hold *h = dc->ka.holds;
		dc->ka.holds = h->next;
		if (h->ev)
			event_free(h->ev);
		free(h);
	}
}

void kt_ka_teardown_done(struct kt_dctrl *dc)
{
	if (kt_ka_tracing())
		trace(&dc->c, "teardown", "\"expired\":%s", dc->ka.expired ? "true" : "false");
}

/* ---- live rule changes and forced expiry ------------------------------ */

static void (*walker)(kt_ka_ctrl_fn fn, void *arg);

void kt_ka_set_walker(void (*walk)(kt_ka_ctrl_fn fn, void *arg))
{
	walker = walk;
}

struct scope_msg {
	bool all;
	struct kt_kapol_scope scope;
	_Atomic unsigned refs;      /* one per worker it was posted to */
};

static void repolicy_one(struct kt_dctrl *dc, void *arg)
{
	struct kt_worker *w = arg;
	if (dc->admin_worker != w || !dc->ka.attached || dc->ka.expired)
		return;
	ka_resolve(dc, "change");
	kt_dctrl_ka_update(dc);
}

static void on_repolicy(struct kt_worker *w, void *arg)
{
	if (walker)
		walker(repolicy_one, w);
}

static void broadcast(kt_msg_fn fn, struct scope_msg *m)
{
	unsigned n = kt_workers_count();
	if (m)
		atomic_store(&m->refs, n ? n : 1);
	for (unsigned i = 0; i < n; i++)
		if (kt_worker_post(kt_worker_get(i), fn, m) < 0 && m &&
		    atomic_fetch_sub(&m->refs, 1) == 1)
			free(m);
	if (!n)
		free(m);
}

int kt_ka_policy_set(const struct kt_kapol_scope *s, const struct kt_kapol *p)
{
	int rc = kt_ka_rules_set(s, p);
	if (rc == 0)
		broadcast(on_repolicy, NULL);
	return rc;
}

int kt_ka_policy_clear(const struct kt_kapol_scope *s)
{
	int rc = kt_ka_rules_clear(s);
	if (rc == 0)
		broadcast(on_repolicy, NULL);
	return rc;
}

struct force_arg {
	struct kt_worker *w;
	const struct scope_msg *m;
};

static void force_one(struct kt_dctrl *dc, void *arg)
{
	struct force_arg *f = arg;
	struct kt_ctrl *c = &dc->c;
	if (dc->admin_worker != f->w || !dc->ka.attached || dc->ka.expired)
		return;
	if (!f->m->all && !kt_kapol_scope_matches(&f->m->scope, c->cntlid, c->hostnqn, c->subsys->nqn))
		return;
	uint64_t now = kt_now_ms();
	ka_expire(dc, now, now, true);
	kt_ka_timer_sync(&kaw_of(dc)->t);
}

static void on_force(struct kt_worker *w, void *arg)
{
	struct scope_msg *m = arg;
	struct force_arg f = { w, m };
	if (walker)
		walker(force_one, &f);
	if (atomic_fetch_sub(&m->refs, 1) == 1)
		free(m);
}

int kt_ka_force_expiry(const struct kt_kapol_scope *s)
{
	struct scope_msg *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->all = !s;
	if (s)
		m->scope = *s;
	broadcast(on_force, m);
	return 0;
}

/* ---- configuration ---------------------------------------------------- */

int kt_keepalive_configure(const struct kt_cfg_daemon *d, char *err, size_t errlen)
{
	tbkas = d->tbkas;
	if (d->tcp_ka_idle_s)
		tcp_idle_s = (int)d->tcp_ka_idle_s;
	if (d->tcp_ka_interval_s)
		tcp_intvl_s = (int)d->tcp_ka_interval_s;
	if (d->tcp_ka_count)
		tcp_cnt = (int)d->tcp_ka_count;
	int rc = kt_ka_rules_load(d, err, errlen);
	/* the rules were replaced in one step: running controllers resolve
	 * their policy again (none at startup) */
	broadcast(on_repolicy, NULL);
	if (rc)
		return rc;
	if (d->ka_trace && (rc = kt_ka_trace_set(d->ka_trace)) < 0) {
		snprintf(err, errlen, "katod.keepalive.trace: %s: %s", d->ka_trace, strerror(-rc));
		return rc;
	}
	return 0;
}

void kt_keepalive_fini(void)
{
	kt_ka_trace_fini();
	kt_ka_rules_fini();
}

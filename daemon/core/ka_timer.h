/*
 * ka_timer.h - one worker's keep-alive timer: a timerfd in the worker's
 * event loop, armed at the earliest entry of a heap (daemon/core/ka_heap.h)
 * of the controllers whose admin queue the worker runs. Kept apart from the
 * engine (daemon/core/keepalive.c, which owns what the entries mean and
 * what happens when one fires) so that the clock's one system call lives
 * in one place. Worker thread only, after init.
 *
 * The timerfd is absolute CLOCK_MONOTONIC, the clock of kt_now_ms: an
 * entry at ms T fires at T.000 exactly, never before, and kt_now_ms then
 * reads T.
 */
#ifndef KATO_DAEMON_KA_TIMER_H
#define KATO_DAEMON_KA_TIMER_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include "daemon/core/ka_heap.h"

struct kt_ka_timer {
	unsigned wid;               /* the worker's id, for log lines */
	int tfd;
	struct event *ev;
	uint64_t tfd_at;            /* absolute ms the timerfd is set for; 0: disarmed */
	struct kt_ka_heap heap;     /* owners keep their index at idx_off */
};

/* Creates the timerfd and its persistent read event on base, calling
 * cb(fd, what, arg) when it fires; the heap starts empty. 0 or a negative
 * errno (then nothing is left to free). */
int kt_ka_timer_init(struct kt_ka_timer *t, struct event_base *base, unsigned wid,
		     size_t idx_off, event_callback_fn cb, void *arg);
void kt_ka_timer_fini(struct kt_ka_timer *t);
/* Sets the timerfd to the heap's earliest entry, when that changed. */
void kt_ka_timer_sync(struct kt_ka_timer *t);
/* From the fired callback: consumes the expiration; the timerfd is
 * disarmed until the next sync. */
void kt_ka_timer_ack(struct kt_ka_timer *t);

#endif

/*
 * ka_timer.c - a worker's keep-alive timerfd over its heap (see
 * ka_timer.h): the only place the keep-alive clock touches the kernel.
 */
#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "daemon/core/ka_timer.h"
#include "daemon/log.h"

int kt_ka_timer_init(struct kt_ka_timer *t, struct event_base *base, unsigned wid,
		     size_t idx_off, event_callback_fn cb, void *arg)
{
	*t = (struct kt_ka_timer){ .wid = wid, .tfd = -1 };
	kt_ka_heap_init(&t->heap, idx_off);
	t->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->tfd < 0)
		return -errno;
	t->ev = event_new(base, t->tfd, EV_READ | EV_PERSIST, cb, arg);
	if (!t->ev || event_add(t->ev, NULL) < 0) {
		if (t->ev)
			event_free(t->ev);
		close(t->tfd);
		return -ENOMEM;
	}
	return 0;
}

void kt_ka_timer_fini(struct kt_ka_timer *t)
{
	event_free(t->ev);
	close(t->tfd);
	kt_ka_heap_fini(&t->heap);
}

void kt_ka_timer_sync(struct kt_ka_timer *t)
{
	const struct kt_ka_heap_ent *e = kt_ka_heap_min(&t->heap);
	uint64_t at = e ? e->at : 0;
	if (at == t->tfd_at)
		return;
	struct itimerspec its = { { 0, 0 }, { (time_t)(at / 1000), (long)(at % 1000) * 1000000L } };
	if (timerfd_settime(t->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		kt_err("worker %u: keep-alive timerfd: %s", t->wid, strerror(errno));
		return;
	}
	t->tfd_at = at;
}

void kt_ka_timer_ack(struct kt_ka_timer *t)
{
	uint64_t ticks;
	if (read(t->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		kt_warn("worker %u: keep-alive timerfd read: %s", t->wid, strerror(errno));
	t->tfd_at = 0; /* it fired: disarmed */
}

/*
 * worker.c - the worker threads and their message hand-off.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/thread.h>
#include "daemon/log.h"
#include "daemon/backend/uring.h"
#include "daemon/core/worker.h"

struct kt_msg {
	struct kt_msg *next;
	kt_msg_fn fn;
	void *arg;
};

static struct kt_worker *workers;
static unsigned nr_workers;
static struct kt_worker_hooks hooks;
static __thread struct kt_worker *self;

uint64_t kt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_messages(evutil_socket_t fd, short what, void *arg)
{
	struct kt_worker *w = arg;
	uint64_t n;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		kt_warn("worker %u: eventfd read: %s", w->id, strerror(errno));
	pthread_mutex_lock(&w->msg_lock);
	struct kt_msg *m = w->msg_head;
	w->msg_head = w->msg_tail = NULL;
	pthread_mutex_unlock(&w->msg_lock);
	while (m) {
		struct kt_msg *next = m->next;
		m->fn(w, m->arg);
		free(m);
		m = next;
	}
}

int kt_worker_post(struct kt_worker *w, kt_msg_fn fn, void *arg)
{
	struct kt_msg *m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->next = NULL;
	m->fn = fn;
	m->arg = arg;
	pthread_mutex_lock(&w->msg_lock);
	if (w->msg_tail)
		w->msg_tail->next = m;
	else
		w->msg_head = m;
	w->msg_tail = m;
	pthread_mutex_unlock(&w->msg_lock);
	uint64_t one = 1;
	if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct kt_worker *w = arg;
	atomic_store_explicit(&w->heartbeat_ms, kt_now_ms(), memory_order_relaxed);
}

static void *worker_main(void *arg)
{
	struct kt_worker *w = arg;
	self = w;
	event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
	/* Drain messages posted during shutdown so nothing leaks. */
	on_messages(w->efd, EV_READ, w);
	return NULL;
}

int kt_workers_start(unsigned n, const struct kt_worker_hooks *h)
{
	if (h)
		hooks = *h;
	static bool threads_ready;
	if (!threads_ready) {
		if (evthread_use_pthreads() < 0)
			return -ENOSYS;
		threads_ready = true;
	}
	workers = calloc(n, sizeof(*workers));
	if (!workers)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		struct kt_worker *w = &workers[i];
		w->id = i;
		pthread_mutex_init(&w->msg_lock, NULL);
		/* libevent's default clock (CLOCK_MONOTONIC_COARSE, epoll_wait's ms
		 * timeout): EVENT_BASE_FLAG_PRECISE_TIMER would cost a
		 * timerfd_settime on every wake-up, one more system call per
		 * command at QD1. Keep-alive expiry has its own exact timerfd; the
		 * one libevent timer that must not fire early (a delayed Keep
		 * Alive completion) adds the coarse clock's tick (keepalive.c). */
		w->base = event_base_new();
		w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		/* one receive buffer per worker: a read carries many PDUs */
		w->rxbuf_len = KT_WORKER_RXBUF;
		w->rxbuf = malloc(w->rxbuf_len);
		if (!w->base || w->efd < 0 || !w->rxbuf)
			return -ENOMEM;
		w->msg_ev = event_new(w->base, w->efd, EV_READ | EV_PERSIST, on_messages, w);
		event_add(w->msg_ev, NULL);
		if (hooks.init && hooks.init(w) < 0) /* e.g. the keep-alive timerfd joins this loop */
			return -ENOMEM;
		atomic_init(&w->heartbeat_ms, kt_now_ms());
		w->hb_ev = event_new(w->base, -1, EV_PERSIST, on_heartbeat, w);
		struct timeval hb = { 0, KT_WORKER_HEARTBEAT_MS * 1000 };
		if (!w->hb_ev || event_add(w->hb_ev, &hb) < 0)
			return -ENOMEM;
		char note[256] = "";
		/* io_uring, or a small thread pool where the kernel refuses it */
		w->ring = kt_uring_open(w->base, 256, note, sizeof(note));
		if (note[0])
			kt_warn("worker %u: %s", i, note);
		nr_workers = i + 1;
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
			return -errno;
	}
	kt_info("%u worker%s started", n, n == 1 ? "" : "s");
	return 0;
}

static void stop_loop(struct kt_worker *w, void *arg)
{
	event_base_loopexit(w->base, NULL);
}

void kt_workers_stop(void)
{
	for (unsigned i = 0; i < nr_workers; i++)
		kt_worker_post(&workers[i], stop_loop, NULL);
	for (unsigned i = 0; i < nr_workers; i++) {
		struct kt_worker *w = &workers[i];
		pthread_join(w->thread, NULL);
		if (w->ring)
			kt_uring_free(w->ring);
		if (hooks.fini)
			hooks.fini(w);
		event_free(w->msg_ev);
		event_free(w->hb_ev);
		close(w->efd);
		event_base_free(w->base);
		free(w->rxbuf);
		pthread_mutex_destroy(&w->msg_lock);
	}
	free(workers);
	workers = NULL;
	nr_workers = 0;
}

unsigned kt_workers_count(void) { return nr_workers; }
struct kt_worker *kt_worker_get(unsigned i) { return &workers[i % nr_workers]; }
struct kt_worker *kt_worker_self(void) { return self; }

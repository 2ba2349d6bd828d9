/*
 * worker.h - worker threads, each running its own libevent loop. A queue
 * (one connection of a transport) lives on one worker for life; other threads reach a
 * worker only by posting it a message (memcached's hand-off: a locked list
 * and an eventfd that wakes the loop).
 */
#ifndef KATO_DAEMON_WORKER_H
#define KATO_DAEMON_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct event;
struct kt_uring;
struct kt_msg;
struct kt_sq;

struct kt_worker {
	unsigned id;
	pthread_t thread;
	struct event_base *base;
	struct kt_uring *ring;        /* file backend I/O; NULL if unavailable */
	int efd;                      /* eventfd: messages waiting */
	struct event *msg_ev;
	pthread_mutex_t msg_lock;
	struct kt_msg *msg_head, *msg_tail;
	unsigned nr_queues;           /* queues living here (worker thread only) */
	struct kt_sq *sqs;            /* their list (daemon/core/sq.c) */
	uint8_t *rxbuf;               /* receive buffer every queue here reads into */
	uint32_t rxbuf_len;
	/* Liveness for the systemd watchdog: a periodic event on this loop
	 * stores kt_now_ms() here every KT_WORKER_HEARTBEAT_MS; the main
	 * thread pings the watchdog only while every worker's is fresh. */
	_Atomic uint64_t heartbeat_ms;
	struct event *hb_ev;
};

#define KT_WORKER_HEARTBEAT_MS 500

#define KT_WORKER_RXBUF (256 * 1024)

typedef void (*kt_msg_fn)(struct kt_worker *w, void *arg);

/* What other modules attach to each worker: init runs with the worker's
 * event base before its thread starts (0 or a negative errno), fini after
 * the thread is joined, before the base is freed. Handed in by main.c, so
 * the workers call nothing above them. */
struct kt_worker_hooks {
	int (*init)(struct kt_worker *w);
	void (*fini)(struct kt_worker *w);
};

/* Starts n workers (n >= 1) with hooks (may be NULL). Returns 0 or a
 * negative errno. */
int kt_workers_start(unsigned n, const struct kt_worker_hooks *hooks);
/* Asks every worker loop to finish and joins the threads. */
void kt_workers_stop(void);
unsigned kt_workers_count(void);
struct kt_worker *kt_worker_get(unsigned i);
/* The worker running the calling thread, or NULL. */
struct kt_worker *kt_worker_self(void);

/* Runs fn(w, arg) on w's thread, soon. Safe from any thread. */
int kt_worker_post(struct kt_worker *w, kt_msg_fn fn, void *arg);

/* Monotonic milliseconds, the one clock the daemon passes to proto/. */
uint64_t kt_now_ms(void);

#endif

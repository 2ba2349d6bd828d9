/*
 * uring.c - a worker's asynchronous file I/O (see uring.h): io_uring with its
 * completion eventfd in the worker's libevent loop, or a small thread pool
 * doing the same calls blocking, off the loop, when io_uring is unavailable.
 *
 * Both shapes share the loop side: kt_uring_submit only queues; a "submit"
 * event made active with event_active() runs after the callbacks of the
 * current loop turn and hands the whole batch over at once (one
 * io_uring_submit, or one lock of the pool's queue); an EV_READ|EV_PERSIST
 * event on the eventfd reaps completions and calls back.
 */
#include "daemon/backend/uring.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

/* Largest single read/write handed to the kernel; longer ones continue as
 * if the kernel had returned short (the kernel caps a transfer near 2 GiB
 * and the CQE result is an int). */
#define KT_URING_CHUNK (1u << 30)
#define KT_URING_MAX_THREADS 16

struct kt_req_list {
	struct kt_uring_req *head, *tail;
	unsigned n;
};

static void list_push(struct kt_req_list *l, struct kt_uring_req *req)
{
	req->next = NULL;
	if (l->tail)
		l->tail->next = req;
	else
		l->head = req;
	l->tail = req;
	l->n++;
}

static struct kt_uring_req *list_pop(struct kt_req_list *l)
{
	struct kt_uring_req *req = l->head;

	if (!req)
		return NULL;
	l->head = req->next;
	if (!l->head)
		l->tail = NULL;
	l->n--;
	req->next = NULL;
	return req;
}

/* Moves all of src to the end of dst. */
static void list_splice(struct kt_req_list *dst, struct kt_req_list *src)
{
	if (!src->head)
		return;
	if (dst->tail)
		dst->tail->next = src->head;
	else
		dst->head = src->head;
	dst->tail = src->tail;
	dst->n += src->n;
	src->head = src->tail = NULL;
	src->n = 0;
}

struct kt_uring {
	struct event_base *base;
	struct event *submit_ev;    /* active when a batch waits */
	struct event *done_ev;      /* efd readable: completions */
	int efd;
	bool threads;
	bool submit_armed;
	/* Requests queued on this loop and not yet handed over: io_uring:
	 * waiting for room in the ring; pool: the current batch. */
	struct kt_req_list backlog;

	/* io_uring */
	bool ring_ready;
	struct io_uring ring;
	unsigned cap;               /* most requests in the kernel at once */
	unsigned kernel_inflight;   /* SQEs prepared or submitted, not reaped */
	unsigned prepared;          /* SQEs prepared, not yet submitted */

	/* thread pool */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct kt_req_list jobs;    /* handed over, not yet taken by a thread */
	struct kt_req_list done;    /* finished by a thread, not yet called back */
	unsigned pool_inflight;     /* handed over, not yet called back */
	bool stop;
	unsigned nthreads;
	pthread_t tids[KT_URING_MAX_THREADS];
};

static void arm_submit(struct kt_uring *r)
{
	if (!r->submit_armed) {
		r->submit_armed = true;
		event_active(r->submit_ev, EV_TIMEOUT, 0);
	}
}

static void drain_efd(int efd)
{
	uint64_t v;

	while (read(efd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

static int finish_res(const struct kt_uring_req *req)
{
	if (req->op == KT_UOP_READ || req->op == KT_UOP_WRITE)
		return req->len > INT32_MAX ? INT32_MAX : (int)req->len;
	return 0;
}

/* ---- io_uring --------------------------------------------------------- */

/* Puts req in an SQE. False when the SQ stays full even after a submit. */
static bool uring_prep(struct kt_uring *r, struct kt_uring_req *req)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
	uint64_t left;
	unsigned n;

	if (!sqe) {
		int ret = io_uring_submit(&r->ring);

		if (ret > 0)
			r->prepared -= (unsigned)ret > r->prepared ? r->prepared : (unsigned)ret;
		sqe = io_uring_get_sqe(&r->ring);
		if (!sqe)
			return false;
	}
	left = req->len - req->done;
	n = left > KT_URING_CHUNK ? KT_URING_CHUNK : (unsigned)left;
	switch (req->op) {
	case KT_UOP_READ:
		io_uring_prep_read(sqe, req->fd, (uint8_t *)req->buf + req->done, n, req->off + req->done);
		sqe->rw_flags = req->flags;
		break;
	case KT_UOP_WRITE:
		io_uring_prep_write(sqe, req->fd, (uint8_t *)req->buf + req->done, n, req->off + req->done);
		sqe->rw_flags = req->flags;
		break;
	case KT_UOP_FDATASYNC:
		io_uring_prep_fsync(sqe, req->fd, IORING_FSYNC_DATASYNC);
		break;
	case KT_UOP_FALLOCATE:
		io_uring_prep_fallocate(sqe, req->fd, req->flags, (off_t)req->off, (off_t)req->len);
		break;
	}
	io_uring_sqe_set_data(sqe, req);
	r->kernel_inflight++;
	r->prepared++;
	return true;
}

/* Moves backlog into the SQ while the ring has room, then submits. */
static void uring_flush(struct kt_uring *r)
{
	while (r->backlog.head && r->kernel_inflight < r->cap) {
		struct kt_uring_req *req = r->backlog.head;

		if (!uring_prep(r, req))
			break;
		list_pop(&r->backlog);
	}
	if (r->prepared) {
		int ret = io_uring_submit(&r->ring);

		if (ret >= 0) {
			r->prepared -= (unsigned)ret > r->prepared ? r->prepared : (unsigned)ret;
		}
		/* ret < 0 (EAGAIN, EBUSY, EINTR: the kernel is short of
		 * resources) or a partial submit: the SQEs stay in the SQ and
		 * go with the next submit; try again next turn. */
		if (r->prepared)
			arm_submit(r);
	}
}

static void uring_reap(struct kt_uring *r)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&r->ring, &cqe) == 0) {
		struct kt_uring_req *req = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&r->ring, cqe);
		r->kernel_inflight--;
		if (res == -EAGAIN || res == -EINTR) {
			list_push(&r->backlog, req);
			continue;
		}
		if ((req->op == KT_UOP_READ || req->op == KT_UOP_WRITE) && res >= 0) {
			if (res == 0) {
				/* end of file, or a device that takes
				 * nothing: no progress is possible */
				req->cb(req, -EIO);
				continue;
			}
			req->done += (unsigned)res;
			if (req->done < req->len) {
				/* short transfer: continue where it stopped */
				list_push(&r->backlog, req);
				continue;
			}
			res = finish_res(req);
		}
		req->cb(req, res);
	}
}

/* ---- thread pool ------------------------------------------------------ */

static int pool_run(struct kt_uring_req *req)
{
	uint8_t *buf = req->buf;
	ssize_t n;

	switch (req->op) {
	case KT_UOP_READ:
	case KT_UOP_WRITE:
		while (req->done < req->len) {
			uint64_t left = req->len - req->done;
			struct iovec iov = {
				.iov_base = buf + req->done,
				.iov_len = left > KT_URING_CHUNK ? KT_URING_CHUNK : left,
			};
			off_t off = (off_t)(req->off + req->done);

			if (req->op == KT_UOP_READ)
				n = preadv2(req->fd, &iov, 1, off, req->flags);
			else
				n = pwritev2(req->fd, &iov, 1, off, req->flags);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n < 0)
				return -errno;
			if (n == 0)
				return -EIO;
			req->done += (uint64_t)n;
		}
		return finish_res(req);
	case KT_UOP_FDATASYNC:
		while (fdatasync(req->fd) < 0) {
			if (errno != EINTR)
				return -errno;
		}
		return 0;
	case KT_UOP_FALLOCATE:
		while (fallocate(req->fd, req->flags, (off_t)req->off, (off_t)req->len) < 0) {
			if (errno != EINTR)
				return -errno;
		}
		return 0;
	}
	return -EINVAL;
}

static void *pool_thread(void *arg)
{
	struct kt_uring *r = arg;
	const uint64_t one = 1;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct kt_uring_req *req;

		while (!r->stop && !r->jobs.head)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->stop)
			break;
		req = list_pop(&r->jobs);
		pthread_mutex_unlock(&r->lock);

		req->res = pool_run(req);

		pthread_mutex_lock(&r->lock);
		list_push(&r->done, req);
		pthread_mutex_unlock(&r->lock);
		/* kt_uring_free joins us before it closes the eventfd */
		while (write(r->efd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void pool_flush(struct kt_uring *r)
{
	unsigned n = r->backlog.n;

	if (!n)
		return;
	pthread_mutex_lock(&r->lock);
	r->pool_inflight += n;
	list_splice(&r->jobs, &r->backlog);
	if (n == 1)
		pthread_cond_signal(&r->cond);
	else
		pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void pool_reap(struct kt_uring *r)
{
	struct kt_req_list done;
	struct kt_uring_req *req;

	pthread_mutex_lock(&r->lock);
	done = r->done;
	r->done.head = r->done.tail = NULL;
	r->done.n = 0;
	pthread_mutex_unlock(&r->lock);
	while ((req = list_pop(&done))) {
		r->pool_inflight--;
		req->cb(req, req->res);
	}
}

/* ---- the loop side ---------------------------------------------------- */

static void submit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kt_uring *r = arg;

	(void)fd;
	(void)what;
	r->submit_armed = false;
	if (r->threads)
		pool_flush(r);
	else
		uring_flush(r);
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kt_uring *r = arg;

	(void)what;
	drain_efd(fd);
	if (r->threads) {
		pool_reap(r);
	} else {
		uring_reap(r);
		/* completions made room; continued transfers wait too */
		if (r->backlog.head)
			arm_submit(r);
	}
}

void kt_uring_submit(struct kt_uring *ring, struct kt_uring_req *req)
{
	req->done = 0;
	req->res = 0;
	list_push(&ring->backlog, req);
	arm_submit(ring);
}

unsigned kt_uring_inflight(const struct kt_uring *ring)
{
	return ring->backlog.n + (ring->threads ? ring->pool_inflight : ring->kernel_inflight);
}

bool kt_uring_is_threads(const struct kt_uring *ring)
{
	return ring->threads;
}

/* Common part: eventfd and the two events. */
static struct kt_uring *ring_alloc(struct event_base *base)
{
	struct kt_uring *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->base = base;
	r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->efd < 0)
		goto fail;
	r->submit_ev = event_new(base, -1, 0, submit_cb, r);
	r->done_ev = event_new(base, r->efd, EV_READ | EV_PERSIST, done_cb, r);
	if (!r->submit_ev || !r->done_ev || event_add(r->done_ev, NULL) < 0) {
		errno = ENOMEM;
		goto fail;
	}
	return r;
fail:;
	int e = errno;

	if (r->submit_ev)
		event_free(r->submit_ev);
	if (r->done_ev)
		event_free(r->done_ev);
	if (r->efd >= 0)
		close(r->efd);
	free(r);
	errno = e;
	return NULL;
}

static void ring_release(struct kt_uring *r)
{
	event_free(r->submit_ev);
	event_free(r->done_ev);
	close(r->efd);
	free(r);
}

struct kt_uring *kt_uring_new_err(struct event_base *base, unsigned entries, char *err, size_t errlen)
{
	struct kt_uring *r;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (entries < 4)
		entries = 4;
	if (entries > 4096)
		entries = 4096;
	r = ring_alloc(base);
	if (!r) {
		if (err)
			snprintf(err, errlen, "io_uring: eventfd/event: %s", strerror(errno));
		return NULL;
	}
	ret = io_uring_queue_init(entries, &r->ring, 0);
	if (ret < 0) {
		if (err)
			snprintf(err, errlen, "io_uring_queue_init(%u): %s", entries, strerror(-ret));
		ring_release(r);
		errno = -ret;
		return NULL;
	}
	r->ring_ready = true;
	ret = io_uring_register_eventfd(&r->ring, r->efd);
	if (ret < 0) {
		if (err)
			snprintf(err, errlen, "io_uring_register_eventfd: %s", strerror(-ret));
		io_uring_queue_exit(&r->ring);
		ring_release(r);
		errno = -ret;
		return NULL;
	}
	/* Never more in the kernel than the CQ can hold, so completions are
	 * never dropped or pushed to the overflow list. */
	r->cap = *r->ring.cq.kring_entries;
	return r;
}

struct kt_uring *kt_uring_new(struct event_base *base, unsigned entries)
{
	return kt_uring_new_err(base, entries, NULL, 0);
}

struct kt_uring *kt_uring_new_threads(struct event_base *base, unsigned nthreads)
{
	struct kt_uring *r;
	int ret;

	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > KT_URING_MAX_THREADS)
		nthreads = KT_URING_MAX_THREADS;
	r = ring_alloc(base);
	if (!r)
		return NULL;
	r->threads = true;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	for (unsigned i = 0; i < nthreads; i++) {
		ret = pthread_create(&r->tids[i], NULL, pool_thread, r);
		if (ret) {
			kt_uring_free(r);
			errno = ret;
			return NULL;
		}
		r->nthreads++;
	}
	return r;
}

static bool env_no_uring(void)
{
	const char *v = getenv("KATO_NO_URING");

	return v && *v && strcmp(v, "0") != 0;
}

struct kt_uring *kt_uring_open(struct event_base *base, unsigned entries, char *note, size_t notelen)
{
	char why[160];
	struct kt_uring *r;

	if (note && notelen)
		note[0] = '\0';
	if (env_no_uring()) {
		snprintf(why, sizeof(why), "KATO_NO_URING is set");
	} else {
		r = kt_uring_new_err(base, entries, why, sizeof(why));
		if (r)
			return r;
	}
	r = kt_uring_new_threads(base, 2);
	if (note)
		snprintf(note, notelen, "%s; file I/O uses a thread pool", why);
	return r;
}

void kt_uring_free(struct kt_uring *r)
{
	if (!r)
		return;
	if (r->threads) {
		pthread_mutex_lock(&r->lock);
		r->stop = true;
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->lock);
		for (unsigned i = 0; i < r->nthreads; i++)
			pthread_join(r->tids[i], NULL);
		pthread_cond_destroy(&r->cond);
		pthread_mutex_destroy(&r->lock);
	} else if (r->ring_ready) {
		struct io_uring_cqe *cqe;

		/* Everything in the SQ goes in, so that what we wait for
		 * is exactly what the kernel holds. */
		while (r->prepared && io_uring_submit(&r->ring) > 0)
			r->prepared = io_uring_sq_ready(&r->ring);
		r->kernel_inflight -= r->prepared;
		while (r->kernel_inflight) {
			int ret = io_uring_wait_cqe(&r->ring, &cqe);

			if (ret == -EINTR)
				continue;
			if (ret < 0)
				break;
			io_uring_cqe_seen(&r->ring, cqe);
			r->kernel_inflight--;
		}
		io_uring_queue_exit(&r->ring);
	}
	ring_release(r);
}

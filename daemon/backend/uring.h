/*
 * uring.h - one worker's asynchronous file I/O: an io_uring whose completion
 * eventfd sits in the worker's libevent loop, or, where io_uring is not
 * available (some sandboxes forbid it) or KATO_NO_URING=1 is set in the
 * environment, a small thread pool doing pread/pwrite/fdatasync/fallocate
 * that signals completions back through an eventfd. Either way the worker
 * never blocks, and every callback runs on the worker's loop, never inside
 * kt_uring_submit.
 *
 * This header stays free of liburing and libevent so that backend.h can
 * embed a request in struct kt_bio.
 */
#ifndef KATO_DAEMON_URING_H
#define KATO_DAEMON_URING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct kt_uring;

enum kt_uring_op {
	KT_UOP_READ,      /* read len bytes at off into buf; short reads continued */
	KT_UOP_WRITE,     /* write len bytes at off from buf; flags: RWF_* (RWF_DSYNC) */
	KT_UOP_FDATASYNC, /* fdatasync(fd) */
	KT_UOP_FALLOCATE, /* fallocate(fd, flags, off, len) */
};

/* One request. The caller owns the memory (it is embedded in the bio) and
 * fills the public fields; the ring owns it from kt_uring_submit until cb. */
struct kt_uring_req {
	/* res: bytes transferred (all of len) for read/write, 0 for the
	 * others, or a negative errno. A read that meets the end of the file
	 * before len bytes completes with -EIO. */
	void (*cb)(struct kt_uring_req *req, int res);
	void *ctx;               /* the caller's */
	enum kt_uring_op op;
	int fd;
	int flags;               /* RWF_* for read/write; fallocate mode */
	void *buf;
	uint64_t off;
	uint64_t len;
	/* private to the ring */
	struct kt_uring_req *next;
	uint64_t done;           /* bytes already transferred */
	int res;
};

/* Creates an io_uring of `entries` submission entries for the worker whose
 * loop is `base`, with its completion eventfd registered in `base`. Returns
 * NULL with errno set when io_uring cannot be used (io_uring_queue_init
 * refused: ENOSYS, EPERM in sandboxes, ENOMEM under RLIMIT_MEMLOCK), and
 * writes the reason into err (may be NULL). */
struct kt_uring *kt_uring_new_err(struct event_base *base, unsigned entries, char *err, size_t errlen);
struct kt_uring *kt_uring_new(struct event_base *base, unsigned entries);

/* The fallback: `nthreads` (1..16) threads doing blocking calls on behalf of
 * the worker whose loop is `base`. NULL with errno on failure. */
struct kt_uring *kt_uring_new_threads(struct event_base *base, unsigned nthreads);

/* What a worker calls: io_uring unless KATO_NO_URING is set to a non-empty
 * value other than "0", else (or when io_uring is refused) a pool of two
 * threads. When it falls back, it writes why into note (may be NULL; empty
 * otherwise) so the worker can log it once. NULL only when neither works. */
struct kt_uring *kt_uring_open(struct event_base *base, unsigned entries, char *note, size_t notelen);

/* True when this ring is the thread-pool fallback. */
bool kt_uring_is_threads(const struct kt_uring *ring);

/* Queues req. Requests queued during one loop turn go to the kernel (or the
 * pool) together, after the callbacks of that turn. More requests than the
 * ring holds wait in a backlog. req->cb runs later on base's loop, exactly
 * once. */
void kt_uring_submit(struct kt_uring *ring, struct kt_uring_req *req);

/* Requests submitted and not yet completed (including the backlog). */
unsigned kt_uring_inflight(const struct kt_uring *ring);

/* Frees the ring. Call it once its queues are gone, on the worker's thread
 * or after that thread has stopped running the loop:
 * requests still in flight are waited for (their buffers stay untouched
 * after this returns) but their callbacks are not called; backlog requests
 * are dropped. NULL is a no-op. */
void kt_uring_free(struct kt_uring *ring);

#endif

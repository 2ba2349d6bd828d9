/*
 * backend.h - namespace storage behind one table of operations: `null`
 * (reads zeroes, discards writes), `ram` (memory), `file` (a regular file or
 * a block device through io_uring). A backend never blocks the worker that
 * calls it: it completes inline (null, ram) or later, on the same worker's
 * event loop (file).
 */
#ifndef KATO_DAEMON_BACKEND_H
#define KATO_DAEMON_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include "config/config.h"
#include "proto/cmd.h"

struct kt_uring; /* daemon/uring.h: one per worker */

/* One backend request. Embedded in the queue's command slot: nothing is
 * allocated per I/O. */
struct kt_bio {
	const struct kt_io *io;  /* op, offset, length, fua, nr_ranges */
	uint8_t *buf;            /* data: read into / write from; DSM ranges */
	struct kt_uring *ring;   /* the calling worker's ring */
	/* Called exactly once with an NVMe status, on the worker that
	 * submitted, possibly before submit returns. */
	void (*done)(struct kt_bio *bio, uint16_t status);
	/* backend-private progress (file: remaining ranges, compare buffer) */
	uint32_t pending;
	uint16_t status;
	uint8_t *aux;
};

struct kt_backend {
	const struct kt_backend_ops *ops;
	uint64_t size;           /* bytes */
	uint32_t block_size;     /* logical block size */
	bool vwc;                /* has a volatile cache: Flush/FUA do work */
	bool can_discard;
	/* Zero-copy reads: memory holding the namespace, or NULL. */
	uint8_t *mem;
};

struct kt_backend_ops {
	const char *name;
	/* Submits bio; completion through bio->done. */
	void (*submit)(struct kt_backend *be, struct kt_bio *bio);
	void (*close)(struct kt_backend *be);
};

/* Opens the backend a namespace description names. Returns 0 or a negative
 * errno, with a reason in err (e.g. "open /dev/x: Permission denied"). */
int kt_backend_open(const struct kt_cfg_ns *ns, struct kt_backend **out, char *err, size_t errlen);
void kt_backend_close(struct kt_backend *be);

#endif

/*
 * backend.h - namespace storage behind one table of operations: `null`
 * (reads zeroes, discards writes), `ram` (memory), `file` (a regular file or
 * a block device through io_uring, or a thread pool where io_uring is not
 * available: daemon/backend/uring.h). A backend never blocks the worker that
 * calls it: it completes inline (null, ram) or later, on the same worker's
 * event loop (file).
 */
#ifndef KATO_DAEMON_BACKEND_H
#define KATO_DAEMON_BACKEND_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "config/config.h"
#include "proto/cmd.h"
#include "daemon/backend/uring.h" /* struct kt_uring: one per worker */

/* Data buffers (bio->buf) are aligned to KT_BIO_ALIGN bytes and their
 * lengths are whole logical blocks: the daemon allocates them so, and the
 * file backend relies on it for O_DIRECT (a buffer off that alignment is
 * bounced through a copy, slower but correct). */
#define KT_BIO_ALIGN 4096u

/* One backend request. Embedded in the queue's command slot: nothing is
 * allocated per I/O. */
struct kt_bio {
	const struct kt_io *io;  /* op, offset, length, fua, nr_ranges */
	uint8_t *buf;            /* data: read into / write from; DSM ranges */
	struct kt_uring *ring;   /* the calling worker's ring (kt_uring_open);
	                            NULL: file I/O fails with Internal Error */
	/* Called exactly once with an NVMe status, on the worker that
	 * submitted, possibly before submit returns. */
	void (*done)(struct kt_bio *bio, uint16_t status);
	/* backend-private progress (file: DSM range index, zeroing step,
	 * compare or bounce buffer) */
	uint32_t pending;
	uint16_t status;
	uint8_t *aux;
	/* file backend: its request in the worker's ring (never shared) */
	struct kt_uring_req req;
};

/* Per-namespace I/O counters: one cache-line block per worker (worker id
 * modulo KT_NS_STATS_SLOTS), each written only by its worker with relaxed
 * loads and stores (no lock, no shared line on the data path), summed by
 * the control socket (kt_backend_stats). With more workers than slots (the
 * number of workers is handed in at kt_backend_open) two share a block and
 * count with atomic adds instead. */
#define KT_NS_STATS_SLOTS 64
struct kt_ns_stats {
	_Alignas(64) _Atomic uint64_t commands;
	_Atomic uint64_t read_commands, write_commands;
	_Atomic uint64_t bytes_read, bytes_written;
	_Atomic uint64_t errors; /* completions with a non-zero status */
};

/* A plain sum of the blocks (kt_backend_stats). */
struct kt_ns_totals {
	uint64_t commands, read_commands, write_commands, bytes_read, bytes_written, errors;
};

struct kt_backend {
	const struct kt_backend_ops *ops;
	struct kt_ns_stats *stats; /* KT_NS_STATS_SLOTS blocks, set by kt_backend_open */
	bool stats_shared;         /* more workers than blocks: count with atomic adds */
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
	/* Optional: makes written data durable (file: fdatasync). Called with
	 * no I/O in flight (at shutdown). 0 or a negative errno. */
	int (*sync)(struct kt_backend *be);
};

/* ---- opening and closing (daemon/backend/open.c) ------------------------ */

/* Opens the backend a namespace description names, with I/O counters for
 * `workers` workers (the caller's number of workers, each counting with its
 * id: kt_backend_count). Returns 0 or a negative errno, with a reason in err
 * (e.g. "open /dev/x: Permission denied"). */
int kt_backend_open(const struct kt_cfg_ns *ns, unsigned workers, struct kt_backend **out,
		    char *err, size_t errlen);
void kt_backend_close(struct kt_backend *be);
/* Flushes what the backend holds to stable storage (ops->sync; 0 for the
 * backends with nothing to flush). */
int kt_backend_sync(struct kt_backend *be);

/* The constructors kt_backend_open dispatches to, by ns->backend
 * (daemon/backend/null.c, ram.c, file.c). */
int kt_backend_null_open(const struct kt_cfg_ns *ns, struct kt_backend **out, char *err, size_t errlen);
int kt_backend_ram_open(const struct kt_cfg_ns *ns, struct kt_backend **out, char *err, size_t errlen);
int kt_backend_file_open(const struct kt_cfg_ns *ns, struct kt_backend **out, char *err, size_t errlen);

/* ---- the I/O counters (daemon/backend/backend.c) --------------------------- */

/* Gives be zeroed counter blocks for `workers` workers (kt_backend_open).
 * 0 or -ENOMEM. */
int kt_backend_stats_init(struct kt_backend *be, unsigned workers);
/* Frees be's counter blocks (kt_backend_close). */
void kt_backend_stats_fini(struct kt_backend *be);
/* Counts one completed I/O command (NVMe opcode `opcode`; io as parsed)
 * of worker `worker` (its id) on be: commands, reads or writes (by
 * opcode: a command refused before parsing finished counts too), bytes
 * when it succeeded, errors when status is not 0. Worker thread; cheap (a
 * handful of relaxed stores). */
void kt_backend_count(struct kt_backend *be, unsigned worker, uint8_t opcode, const struct kt_io *io,
		      uint16_t status);
/* Sums be's counters into *out (any thread; each field is exact, the set a
 * moment's snapshot). */
void kt_backend_stats(const struct kt_backend *be, struct kt_ns_totals *out);

/* ---- rules every backend shares (daemon/backend/backend.c) ----------------- */

/* Checks bio against the backend's geometry: the byte range (or, for a
 * discard, every DSM range) inside the namespace and block-aligned. A
 * status: 0, or LBA Out of Range / Invalid Field. Backends call it first;
 * the protocol layer has checked already, so this is a last line. */
uint16_t kt_backend_check(const struct kt_backend *be, const struct kt_bio *bio);

/* NVMe status for a backend operation's result: 0 for res >= 0 (success,
 * or a byte count), else the status for the negative errno. */
uint16_t kt_backend_errno_status(int neg_errno, enum kt_io_op op);

/* NVMe status of a Compare whose data did not match: Compare Failure
 * (SCT Media and Data Integrity Errors) with Do Not Retry. */
#define KT_SC_COMPARE_FAILED \
	(KT_STATUS(NVME_SCT_MEDIA, NVME_SC_COMPARE_FAILED, true))

/* Checks a namespace description's size and block size (ram, null, and a
 * file whose size is given): block size 0, 512 or 4096 (0 means 512), size
 * a non-zero multiple of it. Returns 0 or -EINVAL with a reason in err. */
int kt_backend_geometry(const struct kt_cfg_ns *ns, uint64_t size, uint32_t *block_size,
			char *err, size_t errlen);

#endif

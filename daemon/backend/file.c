/*
 * file.c - a namespace on a regular file or a block device, through
 * the worker's ring (daemon/backend/uring.h: io_uring, or its thread-pool fallback),
 * so the worker never blocks.
 *
 * Decisions:
 * - The file must exist (as with the kernel target): a typo in a path must
 *   not silently create an empty namespace. A regular file smaller than a
 *   given "size" is extended with ftruncate (sparse); without "size", the
 *   namespace is the file's size rounded down to whole blocks. A block
 *   device gives its size (BLKGETSIZE64) and its logical block size
 *   (BLKSSZGET); a configured block size must be a multiple of the latter.
 *   A block device of size 0 is served with zero blocks, as nvmet does.
 * - O_DIRECT unless buffered_io; when the file system refuses it (open
 *   fails with EINVAL, or statx reports no direct I/O or an alignment
 *   coarser than the block size) the file is used buffered. Data buffers
 *   are KT_BIO_ALIGN-aligned (backend.h).
 * - vwc is true either way: the page cache, or the device's own cache,
 *   may hold writes. FUA is a write with RWF_DSYNC; Flush is fdatasync.
 * - Write Zeroes: fallocate ZERO_RANGE, else PUNCH_HOLE (reads return
 *   zeroes after both), else plain writes of a zero buffer. With FUA, an
 *   fdatasync follows. What the file refuses (EOPNOTSUPP) is remembered.
 * - Deallocate: PUNCH_HOLE|KEEP_SIZE per range (regular files, and block
 *   devices that can write zeroes with unmap), else ZERO_RANGE; if neither
 *   works the range is left as is: deallocation is advisory (NVMe Base
 *   2.0, Dataset Management), and writing zeroes over a whole-device
 *   discard (mkfs does one) would take hours. can_discard is set only when
 *   hole punching works, so a host is not told to rely on it otherwise.
 * - Compare reads into a buffer from a small per-backend free list and
 *   memcmps; read, write and flush allocate nothing, except that a data
 *   buffer off the promised alignment is bounced through that list rather
 *   than failed by O_DIRECT.
 */
#include "daemon/backend/backend.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#define ZERO_CHUNK (128u * 1024)  /* write-zeroes fallback: bytes per write */
#define CMP_FREE_MAX 8            /* compare buffers kept for reuse */
#define CMP_HDR KT_BIO_ALIGN      /* header room before a compare buffer */

/* Zeroing methods, tried in the order of a chain. */
enum zmethod { Z_ZERO_RANGE, Z_PUNCH, Z_WRITE, Z_SKIP, Z_END };
static const enum zmethod wz_chain[] = { Z_ZERO_RANGE, Z_PUNCH, Z_WRITE, Z_END };
static const enum zmethod dsm_chain[] = { Z_PUNCH, Z_ZERO_RANGE, Z_SKIP, Z_END };

/* bits of file_backend.unsupported */
#define NO_ZERO_RANGE 1u
#define NO_PUNCH 2u

struct cmp_buf {
	struct cmp_buf *next;
	size_t cap;
};

struct file_backend {
	struct kt_backend be;
	int fd;
	bool blockdev;
	bool direct;
	atomic_uint unsupported;  /* NO_* learned from EOPNOTSUPP */
	uint8_t *zeroes;          /* ZERO_CHUNK zero bytes, aligned */
	pthread_mutex_t cmp_lock;
	struct cmp_buf *cmp_free;
	unsigned n_cmp_free;
};

static struct kt_bio *req_bio(struct kt_uring_req *req)
{
	return (struct kt_bio *)((char *)req - offsetof(struct kt_bio, req));
}

/* ---- compare buffers -------------------------------------------------- */

static uint8_t *cmp_get(struct file_backend *fb, uint64_t len)
{
	struct cmp_buf **pp, *b = NULL;
	void *mem;

	pthread_mutex_lock(&fb->cmp_lock);
	for (pp = &fb->cmp_free; *pp; pp = &(*pp)->next) {
		if ((*pp)->cap >= len) {
			b = *pp;
			*pp = b->next;
			fb->n_cmp_free--;
			break;
		}
	}
	pthread_mutex_unlock(&fb->cmp_lock);
	if (!b) {
		if (len > SIZE_MAX - CMP_HDR || posix_memalign(&mem, KT_BIO_ALIGN, CMP_HDR + len))
			return NULL;
		b = mem;
		b->cap = len;
	}
	return (uint8_t *)b + CMP_HDR;
}

static void cmp_put(struct file_backend *fb, uint8_t *data)
{
	struct cmp_buf *b = (struct cmp_buf *)(data - CMP_HDR);

	pthread_mutex_lock(&fb->cmp_lock);
	if (fb->n_cmp_free < CMP_FREE_MAX) {
		b->next = fb->cmp_free;
		fb->cmp_free = b;
		fb->n_cmp_free++;
		b = NULL;
	}
	pthread_mutex_unlock(&fb->cmp_lock);
	free(b);
}

/* ---- zeroing state machine (Write Zeroes, Deallocate) ----------------- *
 * bio->pending: index of the DSM range being worked on;
 * bio->status:  position in the zeroing chain for that range. */

static const enum zmethod *bio_chain(const struct kt_bio *bio)
{
	return bio->io->op == KT_IO_DISCARD ? dsm_chain : wz_chain;
}

static void bio_range(const struct file_backend *fb, const struct kt_bio *bio, uint64_t *off, uint64_t *len)
{
	if (bio->io->op == KT_IO_DISCARD) {
		const struct nvme_dsm_range *r = (const struct nvme_dsm_range *)bio->buf + bio->pending;

		*off = le64toh(r->slba) * fb->be.block_size;
		*len = (uint64_t)le32toh(r->nlb) * fb->be.block_size;
	} else {
		*off = bio->io->offset;
		*len = bio->io->length;
	}
}

static void zero_next_range(struct file_backend *fb, struct kt_bio *bio);

static void zero_write_chunk(struct file_backend *fb, struct kt_bio *bio, uint64_t off, uint64_t end)
{
	struct kt_uring_req *req = &bio->req;

	req->op = KT_UOP_WRITE;
	req->flags = 0;
	req->buf = fb->zeroes;
	req->off = off;
	req->len = end - off < ZERO_CHUNK ? end - off : ZERO_CHUNK;
	kt_uring_submit(bio->ring, req);
}

/* Starts the method at chain position bio->status for the current range,
 * skipping methods known not to work. */
static void zero_try(struct file_backend *fb, struct kt_bio *bio)
{
	const enum zmethod *chain = bio_chain(bio);
	unsigned bad = atomic_load_explicit(&fb->unsupported, memory_order_relaxed);
	struct kt_uring_req *req = &bio->req;
	uint64_t off, len;

	bio_range(fb, bio, &off, &len);
	for (;; bio->status++) {
		switch (chain[bio->status]) {
		case Z_ZERO_RANGE:
			if (bad & NO_ZERO_RANGE)
				continue;
			req->op = KT_UOP_FALLOCATE;
			req->flags = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
			req->off = off;
			req->len = len;
			kt_uring_submit(bio->ring, req);
			return;
		case Z_PUNCH:
			if (bad & NO_PUNCH)
				continue;
			req->op = KT_UOP_FALLOCATE;
			req->flags = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
			req->off = off;
			req->len = len;
			kt_uring_submit(bio->ring, req);
			return;
		case Z_WRITE:
			zero_write_chunk(fb, bio, off, off + len);
			return;
		case Z_SKIP:
		case Z_END:
			/* deallocation is advisory: nothing more to try */
			bio->pending++;
			zero_next_range(fb, bio);
			return;
		}
	}
}

/* The current range is done (or there is none yet): go on to the next
 * range, or finish. */
static void zero_next_range(struct file_backend *fb, struct kt_bio *bio)
{
	const struct kt_io *io = bio->io;

	if (io->op == KT_IO_DISCARD) {
		const struct nvme_dsm_range *r = (const struct nvme_dsm_range *)bio->buf;

		while (bio->pending < io->nr_ranges && r[bio->pending].nlb == 0)
			bio->pending++;
		if (bio->pending < io->nr_ranges) {
			bio->status = 0;
			zero_try(fb, bio);
			return;
		}
		bio->done(bio, 0);
		return;
	}
	/* Write Zeroes: one range */
	if (bio->pending == 0 && io->length) {
		bio->status = 0;
		zero_try(fb, bio);
		return;
	}
	if (io->fua) {
		bio->req.op = KT_UOP_FDATASYNC;
		kt_uring_submit(bio->ring, &bio->req);
		return;
	}
	bio->done(bio, 0);
}

static void zero_cb(struct file_backend *fb, struct kt_bio *bio, int res)
{
	struct kt_uring_req *req = &bio->req;
	uint64_t off, len;

	switch (req->op) {
	case KT_UOP_FDATASYNC: /* Write Zeroes with FUA, last step */
		bio->done(bio, kt_backend_errno_status(res, bio->io->op));
		return;
	case KT_UOP_FALLOCATE:
		if (res == -EOPNOTSUPP) {
			atomic_fetch_or_explicit(&fb->unsupported,
						 req->flags & FALLOC_FL_ZERO_RANGE ? NO_ZERO_RANGE : NO_PUNCH,
						 memory_order_relaxed);
			bio->status++;
			zero_try(fb, bio);
			return;
		}
		break;
	case KT_UOP_WRITE:
		bio_range(fb, bio, &off, &len);
		if (res >= 0 && req->off + req->len < off + len) {
			zero_write_chunk(fb, bio, req->off + req->len, off + len);
			return;
		}
		break;
	case KT_UOP_READ:
		break;
	}
	if (res < 0) {
		bio->done(bio, kt_backend_errno_status(res, bio->io->op));
		return;
	}
	bio->pending++;
	zero_next_range(fb, bio);
}

/* ---- submit and complete ---------------------------------------------- */

static void file_cb(struct kt_uring_req *req, int res)
{
	struct kt_bio *bio = req_bio(req);
	struct file_backend *fb = req->ctx;
	const struct kt_io *io = bio->io;
	uint16_t status;

	switch (io->op) {
	case KT_IO_READ:
	case KT_IO_WRITE:
		if (bio->aux) { /* bounced */
			if (io->op == KT_IO_READ && res >= 0)
				memcpy(bio->buf, bio->aux, io->length);
			cmp_put(fb, bio->aux);
			bio->aux = NULL;
		}
		bio->done(bio, kt_backend_errno_status(res, io->op));
		return;
	case KT_IO_COMPARE:
		if (res < 0)
			status = kt_backend_errno_status(res, io->op);
		else
			status = memcmp(bio->aux, bio->buf, io->length) ? KT_SC_COMPARE_FAILED : 0;
		cmp_put(fb, bio->aux);
		bio->aux = NULL;
		bio->done(bio, status);
		return;
	case KT_IO_WRITE_ZEROES:
	case KT_IO_DISCARD:
		zero_cb(fb, bio, res);
		return;
	default:
		bio->done(bio, kt_backend_errno_status(res, io->op));
		return;
	}
}

static void file_submit(struct kt_backend *be, struct kt_bio *bio)
{
	struct file_backend *fb = (struct file_backend *)be;
	const struct kt_io *io = bio->io;
	struct kt_uring_req *req = &bio->req;
	uint16_t status = kt_backend_check(be, bio);

	if (status) {
		bio->done(bio, status);
		return;
	}
	if (!bio->ring) {
		/* a worker without a ring cannot do file I/O without
		 * blocking; kt_uring_open always gives one */
		bio->done(bio, KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INTERNAL, true));
		return;
	}
	bio->aux = NULL;
	req->cb = file_cb;
	req->ctx = fb;
	req->fd = fb->fd;
	req->flags = 0;
	req->buf = bio->buf;
	req->off = io->offset;
	req->len = io->length;
	if (fb->direct && (io->op == KT_IO_READ || io->op == KT_IO_WRITE) &&
	    ((uintptr_t)bio->buf & (KT_BIO_ALIGN - 1))) {
		/* Not the alignment backend.h promises (in-capsule data at an
		 * SGL offset can do that): bounce rather than fail. */
		bio->aux = cmp_get(fb, io->length);
		if (!bio->aux) {
			bio->done(bio, KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INTERNAL, true));
			return;
		}
		if (io->op == KT_IO_WRITE)
			memcpy(bio->aux, bio->buf, io->length);
		req->buf = bio->aux;
	}
	switch (io->op) {
	case KT_IO_READ:
		req->op = KT_UOP_READ;
		break;
	case KT_IO_WRITE:
		req->op = KT_UOP_WRITE;
		req->flags = io->fua ? RWF_DSYNC : 0;
		break;
	case KT_IO_FLUSH:
		req->op = KT_UOP_FDATASYNC;
		break;
	case KT_IO_COMPARE:
		bio->aux = cmp_get(fb, io->length);
		if (!bio->aux) {
			bio->done(bio, KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INTERNAL, true));
			return;
		}
		req->op = KT_UOP_READ;
		req->buf = bio->aux;
		break;
	case KT_IO_WRITE_ZEROES:
	case KT_IO_DISCARD:
		bio->pending = 0;
		bio->status = 0;
		zero_next_range(fb, bio);
		return;
	case KT_IO_NOP:
	default:
		bio->done(bio, 0);
		return;
	}
	kt_uring_submit(bio->ring, req);
}

static void file_close(struct kt_backend *be)
{
	struct file_backend *fb = (struct file_backend *)be;
	struct cmp_buf *b;

	while ((b = fb->cmp_free)) {
		fb->cmp_free = b->next;
		free(b);
	}
	pthread_mutex_destroy(&fb->cmp_lock);
	if (fb->fd >= 0)
		close(fb->fd);
	free(fb->zeroes);
	free(fb);
}

static int file_sync(struct kt_backend *be)
{
	struct file_backend *fb = (struct file_backend *)be;

	return fb->fd >= 0 && fdatasync(fb->fd) < 0 ? -errno : 0;
}

static const struct kt_backend_ops file_ops = {
	.name = "file",
	.submit = file_submit,
	.close = file_close,
	.sync = file_sync,
};

/* ---- open ------------------------------------------------------------- */

/* A number from /sys/dev/block/M:m/queue/<name>, or 0. */
static uint64_t sysfs_queue_u64(dev_t rdev, const char *name)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/%s", major(rdev), minor(rdev), name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

static int open_blockdev(struct file_backend *fb, const struct kt_cfg_ns *ns, const struct stat *st,
			 char *err, size_t errlen)
{
	uint64_t devsize;
	int lbs;
	uint32_t bs;

	if (ioctl(fb->fd, BLKGETSIZE64, &devsize) < 0 || ioctl(fb->fd, BLKSSZGET, &lbs) < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: block device size: %s", ns->path, strerror(e));
		return -e;
	}
	if (ns->block_size) {
		bs = ns->block_size;
		if ((bs != 512 && bs != 4096) || lbs <= 0 || bs % (uint32_t)lbs) {
			snprintf(err, errlen, "%s: block size %" PRIu32 " is not 512 or 4096 and a multiple of the device's %d",
				 ns->path, bs, lbs);
			return -EINVAL;
		}
	} else if (lbs == 512 || lbs == 4096) {
		bs = (uint32_t)lbs;
	} else if (lbs > 0 && lbs < 4096 && 4096 % lbs == 0) {
		bs = 4096;
	} else {
		snprintf(err, errlen, "%s: logical block size %d is not supported", ns->path, lbs);
		return -EINVAL;
	}
	if (ns->size) {
		if (ns->size > devsize) {
			snprintf(err, errlen, "%s: size %" PRIu64 " is larger than the device (%" PRIu64 ")",
				 ns->path, ns->size, devsize);
			return -EINVAL;
		}
		devsize = ns->size;
		if (devsize % bs) {
			snprintf(err, errlen, "%s: size %" PRIu64 " is not a multiple of the block size %" PRIu32,
				 ns->path, devsize, bs);
			return -EINVAL;
		}
	}
	/* A device of no bytes (an unbound loop device: blktests' nvme/030
	 * names `losetup -f`) is served as nvmet serves it, a namespace of no
	 * blocks where every read and write is out of range; a device of a few
	 * bytes is a mistake. */
	if (devsize && devsize < bs) {
		snprintf(err, errlen, "%s: device is smaller than one block", ns->path);
		return -EINVAL;
	}
	devsize -= devsize % bs;
	fb->be.size = devsize;
	fb->be.block_size = bs;
	/* hole punching on a block device is a write-zeroes with unmap and
	 * no fallback: it works where the device can write zeroes */
	fb->be.can_discard = sysfs_queue_u64(st->st_rdev, "write_zeroes_max_bytes") > 0;
	return 0;
}

static int open_regular(struct file_backend *fb, const struct kt_cfg_ns *ns, const struct stat *st,
			char *err, size_t errlen)
{
	uint64_t size, probe;
	uint32_t bs;
	int ret;

	if (ns->size) {
		ret = kt_backend_geometry(ns, ns->size, &bs, err, errlen);
		if (ret)
			return ret;
		size = ns->size;
		if ((uint64_t)st->st_size < size && ftruncate(fb->fd, (off_t)size) < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s: extend to %" PRIu64 " bytes: %s", ns->path, size,
				 strerror(errno));
			return ret;
		}
	} else {
		size = (uint64_t)st->st_size;
		bs = ns->block_size ? ns->block_size : 512;
		size -= size % bs;
		ret = kt_backend_geometry(ns, size, &bs, err, errlen);
		if (ret) {
			if (size == 0)
				snprintf(err, errlen, "%s: file is smaller than one block; give a size",
					 ns->path);
			return ret;
		}
	}
	fb->be.size = size;
	fb->be.block_size = bs;

	/* Direct I/O only with an alignment our blocks and buffers meet. */
	if (fb->direct) {
		struct statx sx;

		if (statx(fb->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 &&
		    (sx.stx_mask & STATX_DIOALIGN) &&
		    (sx.stx_dio_offset_align == 0 || sx.stx_dio_offset_align > bs ||
		     sx.stx_dio_mem_align > KT_BIO_ALIGN)) {
			int fl = fcntl(fb->fd, F_GETFL);

			if (fl >= 0 && fcntl(fb->fd, F_SETFL, fl & ~O_DIRECT) == 0)
				fb->direct = false;
		}
	}

	/* Probe hole punching past the end of everything (no data there). */
	probe = (uint64_t)st->st_size > size ? (uint64_t)st->st_size : size;
	probe = (probe + 4095) & ~(uint64_t)4095;
	fb->be.can_discard =
		fallocate(fb->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)probe, 4096) == 0;
	if (!fb->be.can_discard)
		atomic_fetch_or(&fb->unsupported, NO_PUNCH);
	return 0;
}

int kt_backend_file_open(const struct kt_cfg_ns *ns, struct kt_backend **out, char *err, size_t errlen)
{
	char dummy[1];
	struct file_backend *fb;
	struct stat st;
	void *zeroes;
	int ret;

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!ns->path || !*ns->path) {
		snprintf(err, errlen, "file backend: no path");
		return -EINVAL;
	}
	fb = calloc(1, sizeof(*fb));
	if (!fb || posix_memalign(&zeroes, KT_BIO_ALIGN, ZERO_CHUNK)) {
		free(fb);
		snprintf(err, errlen, "file backend: out of memory");
		return -ENOMEM;
	}
	memset(zeroes, 0, ZERO_CHUNK);
	fb->zeroes = zeroes;
	fb->fd = -1;
	pthread_mutex_init(&fb->cmp_lock, NULL);
	fb->be.ops = &file_ops;
	fb->be.vwc = true;

	fb->direct = !ns->buffered_io;
	fb->fd = open(ns->path, O_RDWR | O_CLOEXEC | (fb->direct ? O_DIRECT : 0));
	if (fb->fd < 0 && fb->direct && errno == EINVAL) {
		/* the file system has no direct I/O (older tmpfs, some FUSE) */
		fb->direct = false;
		fb->fd = open(ns->path, O_RDWR | O_CLOEXEC);
	}
	if (fb->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "open %s: %s", ns->path, strerror(errno));
		goto fail;
	}
	if (fstat(fb->fd, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "stat %s: %s", ns->path, strerror(errno));
		goto fail;
	}
	if (S_ISBLK(st.st_mode)) {
		fb->blockdev = true;
		ret = open_blockdev(fb, ns, &st, err, errlen);
	} else if (S_ISREG(st.st_mode)) {
		ret = open_regular(fb, ns, &st, err, errlen);
	} else {
		snprintf(err, errlen, "%s: not a regular file or block device", ns->path);
		ret = -EINVAL;
	}
	if (ret)
		goto fail;
	*out = &fb->be;
	return 0;
fail:
	file_close(&fb->be);
	return ret;
}

/*
 * test_backend.c - the storage backends (null, ram, file) and the worker
 * ring (io_uring and its thread-pool fallback), driven by a real libevent
 * loop: every operation, data checked byte by byte (through the backend and,
 * for files, through a separate descriptor), error statuses, 512 and 4096
 * byte blocks, a loop block device when one can be set up, and 256 requests
 * in flight at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <endian.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/backend/backend.h"
#include "daemon/backend/uring.h"

#define LBA_RANGE_DNR ((uint16_t)(NVME_SC_LBA_RANGE | KT_SC_DNR))
#define COMPARE_FAILED ((uint16_t)0x4285) /* SCT 2, SC 85h, DNR */
#define READ_ERROR ((uint16_t)0x0281)     /* SCT 2, SC 81h */

/* ---- a worker: one event base and its ring ---------------------------- */

enum ring_kind { RING_NONE, RING_URING, RING_THREADS };

struct worker {
	struct event_base *base;
	struct kt_uring *ring;
	pthread_t self;
	bool timed_out;
};

static void worker_init(struct worker *w, enum ring_kind kind, unsigned entries)
{
	memset(w, 0, sizeof(*w));
	w->base = event_base_new();
	assert_non_null(w->base);
	w->self = pthread_self();
	if (kind == RING_URING) {
		char err[160];

		w->ring = kt_uring_new_err(w->base, entries, err, sizeof(err));
		if (!w->ring)
			fail_msg("io_uring unavailable here: %s", err);
		assert_false(kt_uring_is_threads(w->ring));
	} else if (kind == RING_THREADS) {
		w->ring = kt_uring_new_threads(w->base, 2);
		assert_non_null(w->ring);
		assert_true(kt_uring_is_threads(w->ring));
	}
}

static void worker_fini(struct worker *w)
{
	kt_uring_free(w->ring);
	event_base_free(w->base);
}

/* One request as a queue's command slot would hold it. */
struct tio {
	struct kt_bio bio;
	struct kt_io io;
	struct worker *w;
	int ndone;
	uint16_t status;
	bool wrong_thread;
};

static unsigned g_outstanding;

static void tio_done(struct kt_bio *bio, uint16_t status)
{
	struct tio *t = (struct tio *)((char *)bio - offsetof(struct tio, bio));

	t->ndone++;
	t->status = status;
	if (!pthread_equal(pthread_self(), t->w->self))
		t->wrong_thread = true;
	g_outstanding--;
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	((struct worker *)arg)->timed_out = true;
}

/* Runs the loop until every submitted request is done (10 s at most). */
static void drain(struct worker *w)
{
	struct timeval tv = { 10, 0 };
	struct event *guard = evtimer_new(w->base, timeout_cb, w);

	evtimer_add(guard, &tv);
	while (g_outstanding && !w->timed_out)
		event_base_loop(w->base, EVLOOP_ONCE);
	event_free(guard);
	assert_false(w->timed_out);
	/* a few more turns: a second completion would show up here */
	for (int i = 0; i < 3; i++)
		event_base_loop(w->base, EVLOOP_NONBLOCK);
}

static void tio_start(struct tio *t, struct worker *w, struct kt_backend *be, enum kt_io_op op,
		      uint64_t off, uint64_t len, bool fua, uint8_t *buf)
{
	memset(t, 0, sizeof(*t));
	t->w = w;
	t->io.op = op;
	t->io.offset = off;
	t->io.length = len;
	t->io.fua = fua;
	t->bio.io = &t->io;
	t->bio.buf = buf;
	t->bio.ring = w->ring;
	t->bio.done = tio_done;
	t->status = 0xbeef;
	g_outstanding++;
	be->ops->submit(be, &t->bio);
}

/* Submits one request, runs the loop, checks it completed once on this
 * thread, returns its status. */
static uint16_t run(struct worker *w, struct kt_backend *be, enum kt_io_op op, uint64_t off,
		    uint64_t len, bool fua, uint8_t *buf)
{
	struct tio t;

	tio_start(&t, w, be, op, off, len, fua, buf);
	drain(w);
	assert_int_equal(t.ndone, 1);
	assert_false(t.wrong_thread);
	return t.status;
}

static uint16_t run_discard(struct worker *w, struct kt_backend *be, const uint64_t (*ranges)[2],
			    uint32_t n, uint8_t *buf)
{
	struct nvme_dsm_range *r = (struct nvme_dsm_range *)buf;
	struct tio t;

	memset(buf, 0, 4096);
	for (uint32_t i = 0; i < n; i++) {
		r[i].slba = htole64(ranges[i][0]);
		r[i].nlb = htole32((uint32_t)ranges[i][1]);
	}
	memset(&t, 0, sizeof(t));
	t.w = w;
	t.io.op = KT_IO_DISCARD;
	t.io.nr_ranges = n;
	t.bio.io = &t.io;
	t.bio.buf = buf;
	t.bio.ring = w->ring;
	t.bio.done = tio_done;
	g_outstanding++;
	be->ops->submit(be, &t.bio);
	drain(w);
	assert_int_equal(t.ndone, 1);
	assert_false(t.wrong_thread);
	return t.status;
}

static uint8_t *abuf(size_t len)
{
	void *p = NULL;

	assert_int_equal(posix_memalign(&p, KT_BIO_ALIGN, len), 0);
	memset(p, 0xa5, len);
	return p;
}

static void pattern(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed + (i >> 9));
}

static bool is_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- scratch files ---------------------------------------------------- */

static char g_dir[64];
/* A ramfs mount (root only): no fallocate and no O_DIRECT at all, so the
 * file backend's last fallbacks run there. Empty when not available. */
static char g_ramfs[96];

static int make_dir(void **state)
{
	char cmd[160];

	(void)state;
	strcpy(g_dir, "/tmp/kato-backend-XXXXXX");
	assert_non_null(mkdtemp(g_dir));
	snprintf(g_ramfs, sizeof(g_ramfs), "%s/ramfs", g_dir);
	snprintf(cmd, sizeof(cmd), "mount -t ramfs kato-test '%s' 2>/dev/null", g_ramfs);
	if (geteuid() != 0 || mkdir(g_ramfs, 0755) != 0 || system(cmd) != 0)
		g_ramfs[0] = '\0';
	return 0;
}

static int remove_dir(void **state)
{
	char cmd[200];

	(void)state;
	if (g_ramfs[0]) {
		snprintf(cmd, sizeof(cmd), "umount '%s'", g_ramfs);
		if (system(cmd) != 0)
			return -1;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void make_file(const char *path, uint64_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

/* The file's bytes, read through the page cache, not the backend. */
static void file_bytes(const char *path, uint64_t off, uint8_t *out, size_t len)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, out, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/* ---- the suite every backend goes through ----------------------------- */

struct param {
	const char *name;
	enum kt_cfg_backend type;
	uint32_t block_size;
	enum ring_kind ring;
	bool buffered;
	const char *dir;        /* file: where; NULL = g_dir */
	bool loopdev;           /* file: a loop block device over the file */
	bool ramfs;             /* file: on g_ramfs */
};

static void exercise_null(struct worker *w, struct kt_backend *be)
{
	uint32_t bs = be->block_size;
	uint8_t *buf = abuf(16 * bs);

	assert_false(be->vwc);
	assert_null(be->mem);
	pattern(buf, 16 * bs, 1);
	assert_int_equal(run(w, be, KT_IO_WRITE, 8 * bs, 16 * bs, false, buf), 0);
	memset(buf, 0xaa, 16 * bs);
	assert_int_equal(run(w, be, KT_IO_READ, 8 * bs, 16 * bs, false, buf), 0);
	assert_true(is_zero(buf, 16 * bs));
	assert_int_equal(run(w, be, KT_IO_COMPARE, 8 * bs, 16 * bs, false, buf), 0);
	buf[16 * bs - 1] = 1;
	assert_int_equal(run(w, be, KT_IO_COMPARE, 8 * bs, 16 * bs, false, buf), COMPARE_FAILED);
	buf[16 * bs - 1] = 0;
	buf[0] = 1;
	assert_int_equal(run(w, be, KT_IO_COMPARE, 8 * bs, 16 * bs, false, buf), COMPARE_FAILED);
	assert_int_equal(run(w, be, KT_IO_WRITE, 0, bs, true, buf), 0);
	assert_int_equal(run(w, be, KT_IO_FLUSH, 0, 0, false, NULL), 0);
	assert_int_equal(run(w, be, KT_IO_WRITE_ZEROES, 0, 4 * bs, false, NULL), 0);
	{
		const uint64_t r[1][2] = { { 2, 3 } };

		assert_int_equal(run_discard(w, be, r, 1, buf), 0);
	}
	assert_int_equal(run(w, be, KT_IO_READ, be->size - bs, 2 * bs, false, buf), LBA_RANGE_DNR);
	free(buf);
}

static void exercise(struct worker *w, struct kt_backend *be, const char *path)
{
	const uint32_t bs = be->block_size;
	const size_t len = 16 * bs;     /* LBAs 8..23 */
	const uint64_t base = 8 * (uint64_t)bs;
	uint8_t *data = abuf(len), *back = abuf(len), *expect = abuf(len), *dsm = abuf(4096);
	uint8_t *disk = malloc(len);

	/* write, read back, and (file) the bytes are in the file */
	pattern(data, len, 3);
	assert_int_equal(run(w, be, KT_IO_WRITE, base, len, false, data), 0);
	assert_int_equal(run(w, be, KT_IO_READ, base, len, false, back), 0);
	assert_memory_equal(back, data, len);
	if (path) {
		file_bytes(path, base, disk, len);
		assert_memory_equal(disk, data, len);
	}
	if (be->mem)
		assert_memory_equal(be->mem + base, data, len);
	memcpy(expect, data, len);

	/* FUA write over LBAs 20..23 */
	pattern(data, 4 * bs, 99);
	assert_int_equal(run(w, be, KT_IO_WRITE, base + 12 * bs, 4 * bs, true, data), 0);
	memcpy(expect + 12 * bs, data, 4 * bs);
	assert_int_equal(run(w, be, KT_IO_READ, base, len, false, back), 0);
	assert_memory_equal(back, expect, len);
	if (path) {
		file_bytes(path, base, disk, len);
		assert_memory_equal(disk, expect, len);
	}

	assert_int_equal(run(w, be, KT_IO_FLUSH, 0, 0, false, NULL), 0);

	/* write zeroes over LBAs 10..13, then 14 with FUA */
	assert_int_equal(run(w, be, KT_IO_WRITE_ZEROES, base + 2 * bs, 4 * bs, false, NULL), 0);
	memset(expect + 2 * bs, 0, 4 * bs);
	assert_int_equal(run(w, be, KT_IO_WRITE_ZEROES, base + 6 * bs, bs, true, NULL), 0);
	memset(expect + 6 * bs, 0, bs);
	assert_int_equal(run(w, be, KT_IO_READ, base, len, false, back), 0);
	assert_memory_equal(back, expect, len);
	if (path) {
		file_bytes(path, base, disk, len);
		assert_memory_equal(disk, expect, len);
	}

	/* deallocate LBAs 16..17 and 20..22 (and an empty range between) */
	{
		const uint64_t r[3][2] = { { 16, 2 }, { 0, 0 }, { 20, 3 } };

		assert_int_equal(run_discard(w, be, r, 3, dsm), 0);
		if (be->can_discard) {
			memset(expect + 8 * bs, 0, 2 * bs);
			memset(expect + 12 * bs, 0, 3 * bs);
		}
		assert_int_equal(run(w, be, KT_IO_READ, base, len, false, back), 0);
		assert_memory_equal(back, expect, len);
	}

	/* a data buffer off the promised alignment still works (in-capsule
	 * data at an SGL offset): write and read LBAs 8..9 through one */
	{
		uint8_t *odd = abuf(2 * bs + 8);

		pattern(odd + 8, 2 * bs, 77);
		assert_int_equal(run(w, be, KT_IO_WRITE, base, 2 * bs, false, odd + 8), 0);
		memcpy(expect, odd + 8, 2 * bs);
		memset(odd, 0, 2 * bs + 8);
		assert_int_equal(run(w, be, KT_IO_READ, base, 2 * bs, false, odd + 8), 0);
		assert_memory_equal(odd + 8, expect, 2 * bs);
		if (path) {
			file_bytes(path, base, disk, 2 * bs);
			assert_memory_equal(disk, expect, 2 * bs);
		}
		free(odd);
	}

	/* a Write Zeroes longer than any one write of the zeroing fallback,
	 * between two written blocks */
	{
		const uint64_t at = 1 << 20, wlen = 320 * 1024;
		uint8_t *big = abuf(wlen), *bigback = abuf(wlen);

		pattern(big, wlen, 17);
		assert_int_equal(run(w, be, KT_IO_WRITE, at, wlen, false, big), 0);
		assert_int_equal(run(w, be, KT_IO_WRITE_ZEROES, at + 4096, wlen - 8192, true, NULL), 0);
		memset(big + 4096, 0, wlen - 8192);
		assert_int_equal(run(w, be, KT_IO_READ, at, wlen, false, bigback), 0);
		assert_memory_equal(bigback, big, wlen);
		free(big);
		free(bigback);
	}

	/* compare: match, then a mismatch in the last byte and in the first */
	memcpy(data, expect, len);
	assert_int_equal(run(w, be, KT_IO_COMPARE, base, len, false, data), 0);
	data[len - 1] ^= 0x10;
	assert_int_equal(run(w, be, KT_IO_COMPARE, base, len, false, data), COMPARE_FAILED);
	data[len - 1] ^= 0x10;
	data[0] ^= 1;
	assert_int_equal(run(w, be, KT_IO_COMPARE, base, len, false, data), COMPARE_FAILED);
	/* the compare wrote nothing */
	assert_int_equal(run(w, be, KT_IO_READ, base, len, false, back), 0);
	assert_memory_equal(back, expect, len);

	/* last block and beyond */
	pattern(data, bs, 42);
	assert_int_equal(run(w, be, KT_IO_WRITE, be->size - bs, bs, false, data), 0);
	assert_int_equal(run(w, be, KT_IO_READ, be->size - bs, bs, false, back), 0);
	assert_memory_equal(back, data, bs);
	assert_int_equal(run(w, be, KT_IO_READ, be->size - bs, 2 * bs, false, back), LBA_RANGE_DNR);
	assert_int_equal(run(w, be, KT_IO_WRITE, be->size, bs, false, data), LBA_RANGE_DNR);
	assert_int_equal(run(w, be, KT_IO_READ, bs / 2, bs, false, back),
			 NVME_SC_INVALID_FIELD | KT_SC_DNR);
	{
		const uint64_t r[1][2] = { { be->size / bs - 1, 2 } };

		assert_int_equal(run_discard(w, be, r, 1, dsm), LBA_RANGE_DNR);
	}
	assert_int_equal(run(w, be, KT_IO_NOP, 0, 0, false, NULL), 0);

	free(data);
	free(back);
	free(expect);
	free(dsm);
	free(disk);
}

static bool setup_loop(const char *file, uint32_t sector, char *dev, size_t devlen)
{
	char cmd[256];
	FILE *p;

	if (geteuid() != 0 || access("/usr/sbin/losetup", X_OK) != 0)
		return false;
	snprintf(cmd, sizeof(cmd), "losetup -f --show -b %u '%s' 2>/dev/null", sector, file);
	p = popen(cmd, "r");
	if (!p)
		return false;
	if (!fgets(dev, (int)devlen, p)) {
		pclose(p);
		return false;
	}
	pclose(p);
	dev[strcspn(dev, "\n")] = '\0';
	return strncmp(dev, "/dev/loop", 9) == 0;
}

static void teardown_loop(const char *dev)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "losetup -d '%s'", dev);
	assert_int_equal(system(cmd), 0);
}

static void test_ops(void **state)
{
	const struct param *p = *state;
	struct kt_cfg_ns ns = { .nsid = 1, .enable = true, .backend = p->type, .block_size = p->block_size };
	char path[160], dev[64] = "", err[256];
	struct kt_backend *be;
	struct worker w;
	int ret;

	worker_init(&w, p->ring, 64);
	if (p->type == KT_BACKEND_FILE) {
		if (p->ramfs && !g_ramfs[0]) {
			worker_fini(&w);
			skip();
		}
		snprintf(path, sizeof(path), "%s/%s.img", p->ramfs ? g_ramfs : p->dir ? p->dir : g_dir,
			 p->name);
		make_file(path, 4 << 20);
		ns.path = path;
		ns.buffered_io = p->buffered;
		if (p->loopdev) {
			if (!setup_loop(path, p->block_size, dev, sizeof(dev))) {
				worker_fini(&w);
				unlink(path);
				skip();
			}
			ns.path = dev;
		}
	} else {
		ns.size = 4 << 20;
	}
	ret = kt_backend_open(&ns, 1, &be, err, sizeof(err));
	/* Detach now: the kernel lets go of the device when the backend
	 * closes it, even if an assertion below ends the test early. */
	if (dev[0])
		teardown_loop(dev);
	if (ret)
		fail_msg("%s: open: %s", p->name, err);
	assert_int_equal(be->size, 4 << 20);
	assert_int_equal(be->block_size, p->block_size ? p->block_size : 512);
	switch (p->type) {
	case KT_BACKEND_NULL:
		assert_string_equal(be->ops->name, "null");
		exercise_null(&w, be);
		break;
	case KT_BACKEND_RAM:
		assert_string_equal(be->ops->name, "ram");
		assert_false(be->vwc);
		assert_true(be->can_discard);
		assert_non_null(be->mem);
		exercise(&w, be, NULL);
		break;
	case KT_BACKEND_FILE:
		assert_string_equal(be->ops->name, "file");
		assert_true(be->vwc);
		assert_null(be->mem);
		if (p->ramfs)
			assert_false(be->can_discard); /* no fallocate at all */
		else if (!p->loopdev)
			assert_true(be->can_discard); /* ext4 and tmpfs punch holes */
		exercise(&w, be, dev[0] ? NULL : path);
		break;
	}
	kt_backend_close(be);
	if (dev[0]) {
		/* what went through the device is in its backing file */
		uint8_t buf[512];

		file_bytes(path, (4 << 20) - 512, buf, 512);
		for (size_t i = 0; i < 512; i++) {
			uint32_t bs = p->block_size;
			size_t at = bs - 512 + i;

			assert_int_equal(buf[i], (uint8_t)(at * 7 + 42 + (at >> 9)));
		}
	}
	if (p->type == KT_BACKEND_FILE)
		unlink(path);
	worker_fini(&w);
}

/* A block device gives its size and logical block size; a configured block
 * size below the device's is refused; a size beyond the device too; an
 * unbound loop device (no bytes) is a namespace of no blocks. */
static void test_blockdev_rules(void **state)
{
	struct kt_cfg_ns ns = { .backend = KT_BACKEND_FILE };
	char path[160], dev[64], err[256];
	struct kt_backend *be;
	int ret1, ret2, ret3, ret4, ret5;
	uint32_t bs2 = 0;
	uint64_t size2 = 0, size4 = 0, size5 = 1;

	(void)state;
	snprintf(path, sizeof(path), "%s/bdev.img", g_dir);
	make_file(path, 2 << 20);
	if (!setup_loop(path, 4096, dev, sizeof(dev))) {
		unlink(path);
		skip();
	}
	ns.path = dev;
	ns.block_size = 512;
	ret1 = kt_backend_open(&ns, 1, &be, err, sizeof(err));
	ns.block_size = 0;
	ret2 = kt_backend_open(&ns, 1, &be, err, sizeof(err));
	if (ret2 == 0) {
		bs2 = be->block_size;
		size2 = be->size;
		kt_backend_close(be);
	}
	ns.size = 4 << 20;
	ret3 = kt_backend_open(&ns, 1, &be, err, sizeof(err));
	ns.size = 1 << 20;
	ret4 = kt_backend_open(&ns, 1, &be, err, sizeof(err));
	if (ret4 == 0) {
		size4 = be->size;
		kt_backend_close(be);
	}
	teardown_loop(dev);
	unlink(path);
	/* the same device unbound, as `losetup -f` names it: no bytes, served
	 * with no blocks (nvmet does; blktests' nvme/030 relies on it) */
	ns.size = 0;
	ret5 = kt_backend_open(&ns, 1, &be, err, sizeof(err));
	if (ret5 == 0) {
		size5 = be->size;
		kt_backend_close(be);
	}
	assert_int_equal(ret1, -EINVAL);
	assert_int_equal(ret2, 0);
	assert_int_equal(bs2, 4096);
	assert_int_equal(size2, 2 << 20);
	assert_int_equal(ret3, -EINVAL);
	assert_int_equal(ret4, 0);
	assert_int_equal(size4, 1 << 20);
	assert_int_equal(ret5, 0);
	assert_int_equal(size5, 0);
}

/* ---- many in flight --------------------------------------------------- */

static void many_inflight(struct worker *w, struct kt_backend *be)
{
	enum { N = 256 };
	const uint32_t bs = be->block_size;
	struct tio *t = calloc(N, sizeof(*t));
	uint8_t *bufs = abuf((size_t)N * bs);

	for (unsigned i = 0; i < N; i++)
		pattern(bufs + (size_t)i * bs, bs, i);
	for (unsigned i = 0; i < N; i++)
		tio_start(&t[i], w, be, KT_IO_WRITE, (uint64_t)i * bs, bs, i % 5 == 0,
			  bufs + (size_t)i * bs);
	if (w->ring) {
		/* nothing completes inside submit: all are queued */
		assert_int_equal(g_outstanding, N);
		assert_int_equal(kt_uring_inflight(w->ring), N);
	}
	drain(w);
	assert_int_equal(g_outstanding, 0);
	if (w->ring)
		assert_int_equal(kt_uring_inflight(w->ring), 0);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(t[i].ndone, 1);
		assert_int_equal(t[i].status, 0);
		assert_false(t[i].wrong_thread);
	}
	memset(bufs, 0, (size_t)N * bs);
	for (unsigned i = 0; i < N; i++)
		tio_start(&t[i], w, be, KT_IO_READ, (uint64_t)i * bs, bs, false, bufs + (size_t)i * bs);
	drain(w);
	for (unsigned i = 0; i < N; i++) {
		uint8_t *want = malloc(bs);

		assert_int_equal(t[i].ndone, 1);
		assert_int_equal(t[i].status, 0);
		pattern(want, bs, i);
		assert_memory_equal(bufs + (size_t)i * bs, want, bs);
		free(want);
	}
	/* and a mix: flushes and compares among reads, all at once */
	for (unsigned i = 0; i < N; i++)
		tio_start(&t[i], w, be, i % 3 == 0 ? KT_IO_FLUSH : KT_IO_COMPARE, (uint64_t)i * bs,
			  i % 3 == 0 ? 0 : bs, false, bufs + (size_t)i * bs);
	drain(w);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(t[i].ndone, 1);
		assert_int_equal(t[i].status, 0);
	}
	free(t);
	free(bufs);
}

static void test_many(void **state)
{
	const struct param *p = *state;
	struct kt_cfg_ns ns = { .backend = p->type, .block_size = p->block_size, .size = 1 << 20 };
	char path[160], err[256];
	struct kt_backend *be;
	struct worker w;

	/* 16 SQ entries, 32 CQ entries: most of the 256 wait in the backlog */
	worker_init(&w, p->ring, 16);
	if (p->type == KT_BACKEND_FILE) {
		snprintf(path, sizeof(path), "%s/many-%s.img", g_dir, p->name);
		make_file(path, 0);
		ns.path = path; /* extended to 1 MiB by the given size */
	}
	if (kt_backend_open(&ns, 1, &be, err, sizeof(err)))
		fail_msg("open: %s", err);
	many_inflight(&w, be);
	kt_backend_close(be);
	worker_fini(&w);
}

/* ---- open rules and errors ------------------------------------------- */

static void test_open_errors(void **state)
{
	struct kt_cfg_ns ns = { .backend = KT_BACKEND_FILE };
	char path[160], err[256];
	struct kt_backend *be = (struct kt_backend *)&ns;

	(void)state;
	/* missing file: not created */
	snprintf(path, sizeof(path), "%s/missing.img", g_dir);
	ns.path = path;
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), -ENOENT);
	assert_null(be);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(access(path, F_OK), -1);

	/* no path */
	ns.path = NULL;
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), -EINVAL);

	/* a directory */
	ns.path = g_dir;
	assert_true(kt_backend_open(&ns, 1, &be, err, sizeof(err)) < 0);

	/* an empty file and no size */
	snprintf(path, sizeof(path), "%s/empty.img", g_dir);
	make_file(path, 0);
	ns.path = path;
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "give a size"));

	/* block size must be 512 or 4096; a size must be whole blocks */
	ns.size = 1 << 20;
	ns.block_size = 1024;
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), -EINVAL);
	ns.block_size = 4096;
	ns.size = (1 << 20) + 512;
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "multiple"));

	/* ram and null need a size */
	ns.path = NULL;
	ns.size = 0;
	ns.block_size = 0;
	ns.backend = KT_BACKEND_RAM;
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), -EINVAL);
	ns.backend = KT_BACKEND_NULL;
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), -EINVAL);
	ns.size = 1000;
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), -EINVAL);
	ns.backend = (enum kt_cfg_backend)77;
	ns.size = 4096;
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), -EINVAL);
	kt_backend_close(NULL);
}

static void test_readonly_file(void **state)
{
	struct kt_cfg_ns ns = { .backend = KT_BACKEND_FILE };
	char path[160], err[256];
	struct kt_backend *be;
	int fd, flags = 0, ret;
	bool immutable = false;

	(void)state;
	snprintf(path, sizeof(path), "%s/ro.img", g_dir);
	make_file(path, 1 << 20);
	assert_int_equal(chmod(path, 0444), 0);
	if (geteuid() == 0) {
		/* root ignores modes: make the file immutable instead */
		fd = open(path, O_RDONLY);
		assert_true(fd >= 0);
		if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
			flags |= FS_IMMUTABLE_FL;
			immutable = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
		}
		close(fd);
		if (!immutable)
			skip();
	}
	ns.path = path;
	ret = kt_backend_open(&ns, 1, &be, err, sizeof(err));
	if (immutable) {
		fd = open(path, O_RDONLY);
		flags &= ~FS_IMMUTABLE_FL;
		assert_int_equal(ioctl(fd, FS_IOC_SETFLAGS, &flags), 0);
		close(fd);
	}
	assert_true(ret == -EACCES || ret == -EPERM);
	assert_non_null(strstr(err, path));
}

static void test_file_sizes(void **state)
{
	struct kt_cfg_ns ns = { .backend = KT_BACKEND_FILE };
	char path[160], err[256];
	struct kt_backend *be;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/sizes.img", g_dir);

	/* smaller than the size: extended */
	make_file(path, 8192);
	ns.path = path;
	ns.size = 1 << 20;
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), 0);
	assert_int_equal(be->size, 1 << 20);
	assert_int_equal(be->block_size, 512);
	kt_backend_close(be);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 1 << 20);

	/* larger than the size: the namespace is the first `size` bytes */
	ns.size = 64 * 1024;
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), 0);
	assert_int_equal(be->size, 64 * 1024);
	kt_backend_close(be);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 1 << 20);

	/* no size: the file's, rounded down to whole blocks */
	make_file(path, 3 * 4096 + 1000);
	ns.size = 0;
	ns.block_size = 4096;
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), 0);
	assert_int_equal(be->size, 3 * 4096);
	assert_int_equal(be->block_size, 4096);
	kt_backend_close(be);
	ns.block_size = 0;
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), 0);
	assert_int_equal(be->size, 3 * 4096 + 512);
	kt_backend_close(be);
	unlink(path);
}

/* A file cut short behind the backend's back: the read that meets its end
 * fails as an Unrecovered Read Error, through both ring kinds. */
static void test_short_file(void **state)
{
	const struct param *p = *state;
	struct kt_cfg_ns ns = { .backend = KT_BACKEND_FILE, .size = 1 << 20 };
	char path[160], err[256];
	struct kt_backend *be;
	struct worker w;
	uint8_t *buf = abuf(8192);

	worker_init(&w, p->ring, 8);
	snprintf(path, sizeof(path), "%s/short-%s.img", g_dir, p->name);
	make_file(path, 1 << 20);
	ns.path = path;
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), 0);
	assert_int_equal(truncate(path, 4096), 0);
	assert_int_equal(run(&w, be, KT_IO_READ, 0, 8192, false, buf), READ_ERROR);
	assert_int_equal(run(&w, be, KT_IO_COMPARE, 0, 8192, false, buf), READ_ERROR);
	assert_int_equal(run(&w, be, KT_IO_READ, 0, 4096, false, buf), 0);
	kt_backend_close(be);
	worker_fini(&w);
	unlink(path);
	free(buf);
}

/* A backend asked to do file I/O by a worker without a ring refuses
 * instead of blocking. */
static void test_file_without_ring(void **state)
{
	struct kt_cfg_ns ns = { .backend = KT_BACKEND_FILE, .size = 1 << 20 };
	char path[160], err[256];
	struct kt_backend *be;
	struct worker w;
	uint8_t *buf = abuf(4096);

	(void)state;
	worker_init(&w, RING_NONE, 0);
	snprintf(path, sizeof(path), "%s/noring.img", g_dir);
	make_file(path, 0);
	ns.path = path;
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), 0);
	assert_int_equal(run(&w, be, KT_IO_READ, 0, 4096, false, buf), NVME_SC_INTERNAL | KT_SC_DNR);
	kt_backend_close(be);
	worker_fini(&w);
	free(buf);
}

static void test_errno_status(void **state)
{
	(void)state;
	assert_int_equal(kt_backend_errno_status(0, KT_IO_READ), 0);
	assert_int_equal(kt_backend_errno_status(-EIO, KT_IO_READ), 0x281);
	assert_int_equal(kt_backend_errno_status(-EIO, KT_IO_COMPARE), 0x281);
	assert_int_equal(kt_backend_errno_status(-EIO, KT_IO_WRITE), 0x280);
	assert_int_equal(kt_backend_errno_status(-EIO, KT_IO_FLUSH), 0x280);
	assert_int_equal(kt_backend_errno_status(-ENOSPC, KT_IO_WRITE), 0x4081);
	assert_int_equal(kt_backend_errno_status(-EROFS, KT_IO_WRITE), 0x4020);
	assert_int_equal(kt_backend_errno_status(-EINVAL, KT_IO_WRITE), 0x4006);
	assert_int_equal(KT_SC_COMPARE_FAILED, COMPARE_FAILED);
}

/* The per-namespace I/O counters: per-worker blocks summed exactly; with
 * more workers than blocks (as kt_backend_open was told) two workers share
 * a block and still lose nothing. */
static void test_counts(void **state)
{
	struct kt_cfg_ns ns = { .backend = KT_BACKEND_NULL, .size = 1 << 20 };
	struct kt_io rd = { .op = KT_IO_READ, .length = 4096 };
	struct kt_io wr = { .op = KT_IO_WRITE, .length = 8192 };
	struct kt_ns_totals t;
	char err[256];
	struct kt_backend *be;

	(void)state;
	kt_backend_count(NULL, 0, nvme_cmd_read, &rd, 0); /* no backend: nothing to count */
	kt_backend_stats(NULL, &t);
	assert_int_equal(t.commands, 0);

	for (unsigned workers = 2; workers <= KT_NS_STATS_SLOTS + 2; workers += KT_NS_STATS_SLOTS) {
		assert_int_equal(kt_backend_open(&ns, workers, &be, err, sizeof(err)), 0);
		assert_int_equal(be->stats_shared, workers > KT_NS_STATS_SLOTS);
		for (unsigned w = 0; w < workers; w++) {
			kt_backend_count(be, w, nvme_cmd_read, &rd, 0);
			kt_backend_count(be, w, nvme_cmd_write, &wr, 0);
			kt_backend_count(be, w, nvme_cmd_write_zeroes, &wr, 0); /* a write, no bytes */
			kt_backend_count(be, w, nvme_cmd_read, &rd, NVME_SC_LBA_RANGE | KT_SC_DNR);
			kt_backend_count(be, w, nvme_cmd_flush, NULL, 0);
		}
		kt_backend_stats(be, &t);
		assert_int_equal(t.commands, 5 * workers);
		assert_int_equal(t.read_commands, 2 * workers);
		assert_int_equal(t.write_commands, 2 * workers);
		assert_int_equal(t.bytes_read, 4096ull * workers);
		assert_int_equal(t.bytes_written, 8192ull * workers);
		assert_int_equal(t.errors, workers);
		kt_backend_close(be);
	}
}

/* ram: untouched memory costs nothing, and zeroing whole pages returns
 * them to the kernel. */
static void test_ram_pages(void **state)
{
	struct kt_cfg_ns ns = { .backend = KT_BACKEND_RAM, .size = 1ull << 30, .block_size = 4096 };
	long page = sysconf(_SC_PAGESIZE);
	char err[256];
	struct kt_backend *be;
	struct worker w;
	unsigned char vec[4];
	uint8_t *buf = abuf(4 * 4096);

	(void)state;
	worker_init(&w, RING_NONE, 0);
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), 0);
	assert_int_equal(be->size, 1ull << 30);
	pattern(buf, 4 * 4096, 5);
	assert_int_equal(run(&w, be, KT_IO_WRITE, (1ull << 30) - 4 * 4096, 4 * 4096, false, buf), 0);
	if (page == 4096) {
		assert_int_equal(mincore(be->mem + (1ull << 30) - 4 * 4096, 4 * 4096, vec), 0);
		for (int i = 0; i < 4; i++)
			assert_true(vec[i] & 1);
	}
	/* 512-byte zeroing inside a page: memset; whole pages: released */
	assert_int_equal(run(&w, be, KT_IO_WRITE_ZEROES, (1ull << 30) - 4 * 4096, 3 * 4096, false, NULL), 0);
	if (page == 4096) {
		assert_int_equal(mincore(be->mem + (1ull << 30) - 4 * 4096, 4 * 4096, vec), 0);
		for (int i = 0; i < 3; i++)
			assert_false(vec[i] & 1);
		assert_true(vec[3] & 1);
	}
	assert_int_equal(run(&w, be, KT_IO_READ, (1ull << 30) - 4 * 4096, 4 * 4096, false, buf), 0);
	assert_true(is_zero(buf, 3 * 4096));
	for (size_t i = 3 * 4096; i < 4 * 4096; i++)
		assert_int_equal(buf[i], (uint8_t)(i * 7 + 5 + (i >> 9)));
	kt_backend_close(be);

	/* partial pages with 512-byte blocks */
	ns.block_size = 512;
	ns.size = 64 * 1024;
	assert_int_equal(kt_backend_open(&ns, 1, &be, err, sizeof(err)), 0);
	memset(be->mem, 0xee, 64 * 1024);
	assert_int_equal(run(&w, be, KT_IO_WRITE_ZEROES, 3584, 4096 + 1024, false, NULL), 0);
	for (size_t i = 0; i < 64 * 1024; i++)
		assert_int_equal(be->mem[i], i >= 3584 && i < 3584 + 5120 ? 0 : 0xee);
	kt_backend_close(be);
	worker_fini(&w);
	free(buf);
}

/* ---- the ring itself -------------------------------------------------- */

static void test_uring_env_fallback(void **state)
{
	struct event_base *base = event_base_new();
	struct kt_uring *r;
	char note[256];

	(void)state;
	setenv("KATO_NO_URING", "1", 1);
	r = kt_uring_open(base, 64, note, sizeof(note));
	unsetenv("KATO_NO_URING");
	assert_non_null(r);
	assert_true(kt_uring_is_threads(r));
	assert_non_null(strstr(note, "KATO_NO_URING"));
	kt_uring_free(r);

	setenv("KATO_NO_URING", "0", 1);
	r = kt_uring_open(base, 64, note, sizeof(note));
	unsetenv("KATO_NO_URING");
	assert_non_null(r);
	/* io_uring works on this machine (checked when this was written);
	 * where it does not, the note says why */
	if (kt_uring_is_threads(r))
		assert_non_null(strstr(note, "io_uring"));
	else
		assert_string_equal(note, "");
	kt_uring_free(r);
	event_base_free(base);
}

static int g_cb_calls;

static void count_cb(struct kt_uring_req *req, int res)
{
	(void)req;
	(void)res;
	g_cb_calls++;
}

/* Freeing a ring with requests in flight waits for them and calls nobody
 * back; requests queued in one loop turn go together and call back only
 * from the loop. */
static void test_uring_free_inflight(void **state)
{
	const struct param *p = *state;
	struct event_base *base = event_base_new();
	struct kt_uring_req req[8];
	struct kt_uring *r;
	char path[160];
	uint8_t *buf = abuf(8 * 4096);
	int fd;

	snprintf(path, sizeof(path), "%s/free-%s.img", g_dir, p->name);
	make_file(path, 1 << 20);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	r = p->ring == RING_URING ? kt_uring_new(base, 4) : kt_uring_new_threads(base, 1);
	assert_non_null(r);
	g_cb_calls = 0;
	for (int i = 0; i < 8; i++) {
		req[i] = (struct kt_uring_req){ .cb = count_cb, .op = KT_UOP_WRITE, .fd = fd,
						.buf = buf + i * 4096, .off = (uint64_t)i * 4096, .len = 4096 };
		kt_uring_submit(r, &req[i]);
	}
	assert_int_equal(g_cb_calls, 0);
	assert_int_equal(kt_uring_inflight(r), 8);
	/* one turn hands the batch over; completions may need more turns */
	event_base_loop(base, EVLOOP_NONBLOCK);
	{
		int before = g_cb_calls;

		kt_uring_free(r);
		assert_int_equal(g_cb_calls, before);
	}

	/* and a ring freed before its loop ever ran */
	r = p->ring == RING_URING ? kt_uring_new(base, 4) : kt_uring_new_threads(base, 1);
	g_cb_calls = 0;
	for (int i = 0; i < 4; i++)
		kt_uring_submit(r, &req[i]);
	kt_uring_free(r);
	assert_int_equal(g_cb_calls, 0);
	close(fd);
	event_base_free(base);
	free(buf);
}

/* The ring's own operations, straight: write, read past a short chunk,
 * fallocate, fdatasync; errors come back as negative errnos. */
static int g_res[4];

static void res_cb(struct kt_uring_req *req, int res)
{
	g_res[(intptr_t)req->ctx] = res;
	g_cb_calls++;
}

static void test_uring_ops(void **state)
{
	const struct param *p = *state;
	struct worker w;
	struct kt_uring_req req[4];
	char path[160];
	uint8_t *buf = abuf(3 * 4096), *back = abuf(3 * 4096);
	int fd;

	worker_init(&w, p->ring, 8);
	snprintf(path, sizeof(path), "%s/ops-%s.img", g_dir, p->name);
	make_file(path, 2 * 4096); /* shorter than what we will read */
	fd = open(path, O_RDWR);
	pattern(buf, 3 * 4096, 9);
	g_cb_calls = 0;
	req[0] = (struct kt_uring_req){ .cb = res_cb, .ctx = (void *)0, .op = KT_UOP_WRITE, .fd = fd,
					.buf = buf, .off = 4096, .len = 3 * 4096 };
	req[1] = (struct kt_uring_req){ .cb = res_cb, .ctx = (void *)1, .op = KT_UOP_FDATASYNC, .fd = fd };
	req[2] = (struct kt_uring_req){ .cb = res_cb, .ctx = (void *)2, .op = KT_UOP_FALLOCATE, .fd = fd,
					.flags = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					.off = 0, .len = 4096 };
	req[3] = (struct kt_uring_req){ .cb = res_cb, .ctx = (void *)3, .op = KT_UOP_WRITE, .fd = -1,
					.buf = buf, .len = 4096 };
	for (int i = 0; i < 4; i++)
		kt_uring_submit(w.ring, &req[i]);
	while (g_cb_calls < 4)
		event_base_loop(w.base, EVLOOP_ONCE);
	assert_int_equal(g_res[0], 3 * 4096);
	assert_int_equal(g_res[1], 0);
	assert_int_equal(g_res[2], 0);
	assert_int_equal(g_res[3], -EBADF);

	/* read all 4 blocks: block 0 is a hole, 1..3 what we wrote */
	g_cb_calls = 0;
	req[0] = (struct kt_uring_req){ .cb = res_cb, .ctx = (void *)0, .op = KT_UOP_READ, .fd = fd,
					.buf = back, .off = 4096, .len = 3 * 4096 };
	kt_uring_submit(w.ring, &req[0]);
	while (g_cb_calls < 1)
		event_base_loop(w.base, EVLOOP_ONCE);
	assert_int_equal(g_res[0], 3 * 4096);
	assert_memory_equal(back, buf, 3 * 4096);

	/* reading past the end: the first block comes, then -EIO */
	g_cb_calls = 0;
	req[0].off = 3 * 4096;
	req[0].len = 2 * 4096;
	kt_uring_submit(w.ring, &req[0]);
	while (g_cb_calls < 1)
		event_base_loop(w.base, EVLOOP_ONCE);
	assert_int_equal(g_res[0], -EIO);
	assert_int_equal(req[0].done, 4096);

	close(fd);
	unlink(path);
	worker_fini(&w);
	free(buf);
	free(back);
}

/* ---- parameters ------------------------------------------------------- */

/* Each test gets a named parameter; the test's name shows it. */
#define PARAM(id, ...) static struct param id = { .name = #id, __VA_ARGS__ }
PARAM(null_512, .type = KT_BACKEND_NULL, .block_size = 512, .ring = RING_NONE);
PARAM(null_4096, .type = KT_BACKEND_NULL, .block_size = 4096, .ring = RING_NONE);
PARAM(ram_512, .type = KT_BACKEND_RAM, .block_size = 0, .ring = RING_NONE);
PARAM(ram_4096, .type = KT_BACKEND_RAM, .block_size = 4096, .ring = RING_NONE);
PARAM(file_uring_512, .type = KT_BACKEND_FILE, .block_size = 512, .ring = RING_URING);
PARAM(file_uring_4096, .type = KT_BACKEND_FILE, .block_size = 4096, .ring = RING_URING);
PARAM(file_threads_512, .type = KT_BACKEND_FILE, .block_size = 0, .ring = RING_THREADS);
PARAM(file_threads_4096, .type = KT_BACKEND_FILE, .block_size = 4096, .ring = RING_THREADS);
PARAM(file_buffered_512, .type = KT_BACKEND_FILE, .block_size = 512, .ring = RING_URING, .buffered = true);
/* tmpfs has no ZERO_RANGE: Write Zeroes falls back to punching holes */
PARAM(tmpfs_uring_4096, .type = KT_BACKEND_FILE, .block_size = 4096, .ring = RING_URING, .dir = "/dev/shm");
PARAM(tmpfs_threads_512, .type = KT_BACKEND_FILE, .block_size = 512, .ring = RING_THREADS, .dir = "/dev/shm");
PARAM(loopdev_uring_512, .type = KT_BACKEND_FILE, .block_size = 512, .ring = RING_URING, .loopdev = true);
PARAM(loopdev_threads_4096, .type = KT_BACKEND_FILE, .block_size = 4096, .ring = RING_THREADS, .loopdev = true);
/* ramfs: buffered after O_DIRECT is refused; Write Zeroes writes zeroes;
 * Deallocate leaves the data (it is advisory) */
PARAM(ramfs_uring_4096, .type = KT_BACKEND_FILE, .block_size = 4096, .ring = RING_URING, .ramfs = true);
PARAM(ramfs_threads_512, .type = KT_BACKEND_FILE, .block_size = 512, .ring = RING_THREADS, .ramfs = true);
PARAM(uring, .type = KT_BACKEND_FILE, .block_size = 4096, .ring = RING_URING);
PARAM(threads, .type = KT_BACKEND_FILE, .block_size = 512, .ring = RING_THREADS);
PARAM(ram, .type = KT_BACKEND_RAM, .block_size = 512, .ring = RING_NONE);

#define T(fn, param) { #fn "(" #param ")", fn, NULL, NULL, &param }

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ops, null_512),
		T(test_ops, null_4096),
		T(test_ops, ram_512),
		T(test_ops, ram_4096),
		T(test_ops, file_uring_512),
		T(test_ops, file_uring_4096),
		T(test_ops, file_threads_512),
		T(test_ops, file_threads_4096),
		T(test_ops, file_buffered_512),
		T(test_ops, tmpfs_uring_4096),
		T(test_ops, tmpfs_threads_512),
		T(test_ops, loopdev_uring_512),
		T(test_ops, loopdev_threads_4096),
		T(test_ops, ramfs_uring_4096),
		T(test_ops, ramfs_threads_512),
		T(test_many, ram),
		T(test_many, uring),
		T(test_many, threads),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_readonly_file),
		cmocka_unit_test(test_file_sizes),
		cmocka_unit_test(test_blockdev_rules),
		T(test_short_file, uring),
		T(test_short_file, threads),
		cmocka_unit_test(test_file_without_ring),
		cmocka_unit_test(test_errno_status),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_ram_pages),
		cmocka_unit_test(test_uring_env_fallback),
		T(test_uring_free_inflight, uring),
		T(test_uring_free_inflight, threads),
		T(test_uring_ops, uring),
		T(test_uring_ops, threads),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}

/*
 * ram.c - a namespace in memory. The memory is an anonymous private
 * mapping with MAP_NORESERVE, so a 1 GiB namespace costs nothing until
 * written; `mem` points at it so the transport can send reads straight from
 * it. Write Zeroes and Deallocate give whole pages back to the kernel
 * (MADV_DONTNEED, after which they read as zeroes) and clear the partial
 * pages at the edges. No volatile cache: a Flush has nothing to do. Every
 * operation completes inline.
 */
#include "daemon/backend/backend.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct ram_backend {
	struct kt_backend be;
	size_t map_len;
	uint64_t page;
};

static void ram_zero(struct ram_backend *rb, uint64_t off, uint64_t len)
{
	uint8_t *mem = rb->be.mem;
	uint64_t end = off + len;
	uint64_t pstart = (off + rb->page - 1) & ~(rb->page - 1);
	uint64_t pend = end & ~(rb->page - 1);

	if (pstart >= pend) {
		memset(mem + off, 0, len);
		return;
	}
	memset(mem + off, 0, pstart - off);
	memset(mem + pend, 0, end - pend);
	/* Cannot fail on a range of our own private anonymous mapping; if it
	 * did, the pages must still read as zeroes. */
	if (madvise(mem + pstart, pend - pstart, MADV_DONTNEED) < 0)
		memset(mem + pstart, 0, pend - pstart);
}

static void ram_submit(struct kt_backend *be, struct kt_bio *bio)
{
	struct ram_backend *rb = (struct ram_backend *)be;
	const struct kt_io *io = bio->io;
	uint16_t status = kt_backend_check(be, bio);

	if (status) {
		bio->done(bio, status);
		return;
	}
	switch (io->op) {
	case KT_IO_READ:
		memcpy(bio->buf, be->mem + io->offset, io->length);
		break;
	case KT_IO_WRITE:
		memcpy(be->mem + io->offset, bio->buf, io->length);
		break;
	case KT_IO_COMPARE:
		if (memcmp(be->mem + io->offset, bio->buf, io->length))
			status = KT_SC_COMPARE_FAILED;
		break;
	case KT_IO_WRITE_ZEROES:
		ram_zero(rb, io->offset, io->length);
		break;
	case KT_IO_DISCARD: {
		const struct nvme_dsm_range *r = (const struct nvme_dsm_range *)bio->buf;

		for (uint32_t i = 0; i < io->nr_ranges; i++)
			ram_zero(rb, le64toh(r[i].slba) * be->block_size,
				 (uint64_t)le32toh(r[i].nlb) * be->block_size);
		break;
	}
	case KT_IO_FLUSH:
	case KT_IO_NOP:
		break;
	}
	bio->done(bio, status);
}

static void ram_close(struct kt_backend *be)
{
	struct ram_backend *rb = (struct ram_backend *)be;

	munmap(be->mem, rb->map_len);
	free(rb);
}

static const struct kt_backend_ops ram_ops = {
	.name = "ram",
	.submit = ram_submit,
	.close = ram_close,
};

int kt_backend_ram_open(const struct kt_cfg_ns *ns, struct kt_backend **out, char *err, size_t errlen)
{
	struct ram_backend *rb;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint32_t bs;
	int ret;

	ret = kt_backend_geometry(ns, ns->size, &bs, err, errlen);
	if (ret)
		return ret;
	if (ns->size > (uint64_t)SIZE_MAX - page) {
		if (err)
			snprintf(err, errlen, "ram backend: size %" PRIu64 " is too large", ns->size);
		return -EINVAL;
	}
	rb = calloc(1, sizeof(*rb));
	if (!rb) {
		if (err)
			snprintf(err, errlen, "ram backend: out of memory");
		return -ENOMEM;
	}
	rb->page = page;
	rb->map_len = (size_t)((ns->size + page - 1) & ~(page - 1));
	rb->be.mem = mmap(NULL, rb->map_len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (rb->be.mem == MAP_FAILED) {
		ret = -errno;
		if (err)
			snprintf(err, errlen, "ram backend: mmap %" PRIu64 " bytes: %s", ns->size,
				 strerror(errno));
		free(rb);
		return ret;
	}
	/* Transparent huge pages where the system allows them (the "madvise"
	 * setting): reads are sent straight from this memory, and with 4 KiB
	 * pages every random 4 KiB read costs the kernel's copy a TLB miss
	 * (a two-level walk in a VM). The price: memory is committed 2 MiB at
	 * a time as the host writes. Failure is harmless (small pages). */
	(void)madvise(rb->be.mem, rb->map_len, MADV_HUGEPAGE);
	rb->be.ops = &ram_ops;
	rb->be.size = ns->size;
	rb->be.block_size = bs;
	rb->be.vwc = false;
	rb->be.can_discard = true;
	*out = &rb->be;
	return 0;
}

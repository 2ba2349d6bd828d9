/*
 * backend.c - what every backend shares: the few rules (range checks, errno
 * to NVMe status, size and block size validation) live here so that null,
 * ram and file agree on them; so do the per-namespace I/O counters, which
 * every backend carries the same way (per-worker blocks, summed on demand).
 * It calls no backend and nothing above it: choosing and opening a backend
 * is daemon/backend/open.c, and how many workers count on a namespace comes
 * in at kt_backend_open.
 */
#include "daemon/backend/backend.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kt_backend_stats_init(struct kt_backend *be, unsigned workers)
{
	be->stats = aligned_alloc(64, KT_NS_STATS_SLOTS * sizeof(struct kt_ns_stats));
	if (!be->stats)
		return -ENOMEM;
	memset(be->stats, 0, KT_NS_STATS_SLOTS * sizeof(struct kt_ns_stats));
	be->stats_shared = workers > KT_NS_STATS_SLOTS;
	return 0;
}

void kt_backend_stats_fini(struct kt_backend *be)
{
	free(be->stats);
	be->stats = NULL;
}

/* One writer per block: a relaxed load and store, no locked instruction.
 * Blocks shared by two workers (more workers than slots) add atomically. */
static inline void bump(_Atomic uint64_t *c, uint64_t n, bool shared)
{
	if (shared)
		atomic_fetch_add_explicit(c, n, memory_order_relaxed);
	else
		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

void kt_backend_count(struct kt_backend *be, unsigned worker, uint8_t opcode, const struct kt_io *io,
		      uint16_t status)
{
	if (!be || !be->stats)
		return;
	struct kt_ns_stats *st = &be->stats[worker % KT_NS_STATS_SLOTS];
	bool shared = be->stats_shared;
	bump(&st->commands, 1, shared);
	if (opcode == nvme_cmd_read) {
		bump(&st->read_commands, 1, shared);
		if (!status)
			bump(&st->bytes_read, io->length, shared);
	} else if (opcode == nvme_cmd_write || opcode == nvme_cmd_write_zeroes) {
		bump(&st->write_commands, 1, shared);
		if (!status && opcode == nvme_cmd_write)
			bump(&st->bytes_written, io->length, shared);
	}
	if (status)
		bump(&st->errors, 1, shared);
}

void kt_backend_stats(const struct kt_backend *be, struct kt_ns_totals *out)
{
	memset(out, 0, sizeof(*out));
	if (!be || !be->stats)
		return;
	for (unsigned i = 0; i < KT_NS_STATS_SLOTS; i++) {
		struct kt_ns_stats *st = &be->stats[i];
		out->commands += atomic_load_explicit(&st->commands, memory_order_relaxed);
		out->read_commands += atomic_load_explicit(&st->read_commands, memory_order_relaxed);
		out->write_commands += atomic_load_explicit(&st->write_commands, memory_order_relaxed);
		out->bytes_read += atomic_load_explicit(&st->bytes_read, memory_order_relaxed);
		out->bytes_written += atomic_load_explicit(&st->bytes_written, memory_order_relaxed);
		out->errors += atomic_load_explicit(&st->errors, memory_order_relaxed);
	}
}

int kt_backend_geometry(const struct kt_cfg_ns *ns, uint64_t size, uint32_t *block_size,
			char *err, size_t errlen)
{
	uint32_t bs = ns->block_size ? ns->block_size : 512;

	if (bs != 512 && bs != 4096) {
		if (err)
			snprintf(err, errlen, "block size %" PRIu32 " is not 512 or 4096", bs);
		return -EINVAL;
	}
	if (size == 0) {
		if (err)
			snprintf(err, errlen, "size is missing or zero");
		return -EINVAL;
	}
	if (size % bs) {
		if (err)
			snprintf(err, errlen, "size %" PRIu64 " is not a multiple of the block size %" PRIu32,
				 size, bs);
		return -EINVAL;
	}
	*block_size = bs;
	return 0;
}

static bool range_ok(const struct kt_backend *be, uint64_t off, uint64_t len)
{
	return off <= be->size && len <= be->size - off;
}

uint16_t kt_backend_check(const struct kt_backend *be, const struct kt_bio *bio)
{
	const struct kt_io *io = bio->io;
	uint64_t mask = be->block_size - 1;

	switch (io->op) {
	case KT_IO_FLUSH:
	case KT_IO_NOP:
		return 0;
	case KT_IO_DISCARD: {
		const struct nvme_dsm_range *r = (const struct nvme_dsm_range *)bio->buf;
		uint64_t nblocks = be->size / be->block_size;

		for (uint32_t i = 0; i < io->nr_ranges; i++) {
			uint64_t slba = le64toh(r[i].slba);
			uint32_t nlb = le32toh(r[i].nlb);

			if (slba > nblocks || nlb > nblocks - slba)
				return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE, true);
		}
		return 0;
	}
	case KT_IO_READ:
	case KT_IO_WRITE:
	case KT_IO_WRITE_ZEROES:
	case KT_IO_COMPARE:
		if ((io->offset & mask) || (io->length & mask))
			return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true);
		if (!range_ok(be, io->offset, io->length))
			return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE, true);
		return 0;
	}
	return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE, true);
}

/*
 * Which status for which errno. Media errors (EIO, and EBADMSG/EUCLEAN,
 * which some file systems return for checksum failures) become the media
 * statuses of the operation's direction, without DNR: a retry may well
 * succeed (another path, a remapped sector). Running out of space is
 * Capacity Exceeded with DNR, as the kernel target does. A read-only file or
 * device refusing a write is Namespace Is Write Protected. Anything else is
 * our own failure: Internal Error with DNR.
 */
uint16_t kt_backend_errno_status(int neg_errno, enum kt_io_op op)
{
	bool reading = op == KT_IO_READ || op == KT_IO_COMPARE;

	if (neg_errno >= 0) /* a byte count is a success too */
		return 0;
	switch (-neg_errno) {
	case EIO:
	case EBADMSG:
	case EUCLEAN:
		return KT_STATUS(NVME_SCT_MEDIA, reading ? NVME_SC_READ_ERROR : NVME_SC_WRITE_FAULT, false);
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_CAP_EXCEEDED, true);
	case EROFS:
	case EPERM:
	case EACCES:
		return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_NS_WRITE_PROTECTED, true);
	default:
		return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INTERNAL, true);
	}
}

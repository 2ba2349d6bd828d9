/*
 * null.c - a namespace that stores nothing: reads return zeroes,
 * writes, flushes, write zeroes and discards succeed, a compare matches
 * only zeroes. For benchmarks of the transport without storage, and for
 * hosts that need a large namespace and never look at the data. Every
 * operation completes inline.
 */
#include "daemon/backend/backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool all_zero(const uint8_t *p, uint64_t len)
{
	/* p[0] == 0 and every byte equals the one before it */
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

static void null_submit(struct kt_backend *be, struct kt_bio *bio)
{
	const struct kt_io *io = bio->io;
	uint16_t status = kt_backend_check(be, bio);

	if (status) {
		bio->done(bio, status);
		return;
	}
	switch (io->op) {
	case KT_IO_READ:
		memset(bio->buf, 0, io->length);
		break;
	case KT_IO_COMPARE:
		if (!all_zero(bio->buf, io->length))
			status = KT_SC_COMPARE_FAILED;
		break;
	case KT_IO_WRITE:
	case KT_IO_FLUSH:
	case KT_IO_WRITE_ZEROES:
	case KT_IO_DISCARD:
	case KT_IO_NOP:
		break;
	}
	bio->done(bio, status);
}

static void null_close(struct kt_backend *be)
{
	free(be);
}

static const struct kt_backend_ops null_ops = {
	.name = "null",
	.submit = null_submit,
	.close = null_close,
};

int kt_backend_null_open(const struct kt_cfg_ns *ns, struct kt_backend **out, char *err, size_t errlen)
{
	struct kt_backend *be;
	uint32_t bs;
	int ret;

	ret = kt_backend_geometry(ns, ns->size, &bs, err, errlen);
	if (ret)
		return ret;
	be = calloc(1, sizeof(*be));
	if (!be) {
		if (err)
			snprintf(err, errlen, "null backend: out of memory");
		return -ENOMEM;
	}
	be->ops = &null_ops;
	be->size = ns->size;
	be->block_size = bs;
	be->vwc = false;
	be->can_discard = true;
	*out = be;
	return 0;
}

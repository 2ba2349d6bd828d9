/*
 * xfer.c - the data-transfer rules of a command's descriptor (proto/xfer.h):
 * the same statuses the kernel target answers, for every transport.
 */
#include <endian.h>
#include <string.h>

#include "proto/xfer.h"

static uint16_t refuse(uint16_t sc)
{
	return KT_STATUS(NVME_SCT_GENERIC, sc, true);
}

uint16_t kt_xfer_parse(const struct kt_xfer_caps *caps, const struct kt_sqe *sqe, uint32_t icd_len,
		       uint32_t max_len, struct kt_xfer *x)
{
	const struct kt_sgl_desc *sgl = &sqe->dptr;
	uint32_t len = le32toh(sgl->length);

	memset(x, 0, sizeof(*x));
	x->dir = kt_sqe_dir(sqe);
	if (x->dir == 3)
		return refuse(NVME_SC_INVALID_FIELD);
	if (x->dir == KT_DIR_NONE || len == 0)
		return icd_len ? refuse(NVME_SC_SGL_INVALID_DATA) : 0;
	if ((sqe->flags & KT_SQE_FLAGS_PSDT_MASK) == 0)
		return refuse(NVME_SC_INVALID_FIELD); /* PRPs: no fabrics transport carries them */
	if (sgl->type == KT_SGL_INCAPSULE && caps->sgl_incapsule) {
		uint64_t off = le64toh(sgl->addr);
		if (x->dir != KT_DIR_H2C)
			return refuse(NVME_SC_SGL_INVALID_TYPE);
		if (off > icd_len)
			return refuse(NVME_SC_SGL_INVALID_OFFSET);
		if (len > icd_len - off)
			return refuse(NVME_SC_SGL_INVALID_DATA);
		x->src = KT_XFER_INCAPSULE;
		x->off = (uint32_t)off;
		x->len = len;
		return 0;
	}
	if (sgl->type == KT_SGL_TRANSPORT && caps->sgl_transport) {
		if (icd_len)
			return refuse(NVME_SC_SGL_INVALID_DATA);
		if (len > max_len)
			return refuse(NVME_SC_INVALID_FIELD);
		x->src = KT_XFER_TRANSPORT;
		x->len = len;
		return 0;
	}
	return refuse(NVME_SC_SGL_INVALID_TYPE);
}

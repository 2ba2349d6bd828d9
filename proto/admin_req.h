/*
 * admin_req.h - what the admin command handlers (admin.c, identify.c,
 * logpage.c, features.c) share and nobody else needs: the request they work
 * on, small SQE accessors and the data-return rule.
 */
#ifndef KATO_PROTO_ADMIN_REQ_H
#define KATO_PROTO_ADMIN_REQ_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/cmd.h"
#include "proto/ctrl.h"
#include "proto/model.h"

/* One admin command being answered. err_loc is the Parameter Error
 * Location (byte offset in the SQE, bits 10:8 the bit) for the error log,
 * 0xffff when no single field is to blame. */
struct kt_admin_req {
	struct kt_ctrl *c;
	struct kt_cmd *cmd;
	uint64_t now_ms;
	uint16_t err_loc;
};

/* Byte offsets in the SQE, for err_loc. */
enum {
	KT_SQE_OFF_OPCODE = 0,
	KT_SQE_OFF_FLAGS = 1,
	KT_SQE_OFF_NSID = 4,
	KT_SQE_OFF_DPTR_LEN = 32,
	KT_SQE_OFF_CDW10 = 40,
	KT_SQE_OFF_CDW11 = 44,
	KT_SQE_OFF_CDW12 = 48,
	KT_SQE_OFF_CDW13 = 52,
	KT_SQE_OFF_CDW14 = 56,
};

#define KT_NO_ERR_LOC 0xffffu
#define KT_IDENTIFY_LEN 4096u
#define KT_NN_MIN 1024u

static inline uint32_t kt_cdw10(const struct kt_cmd *cmd) { return le32toh(cmd->sqe.cdw10); }
static inline uint32_t kt_cdw11(const struct kt_cmd *cmd) { return le32toh(cmd->sqe.cdw11); }
static inline uint32_t kt_cdw12(const struct kt_cmd *cmd) { return le32toh(cmd->sqe.cdw12); }
static inline uint32_t kt_cdw13(const struct kt_cmd *cmd) { return le32toh(cmd->sqe.cdw13); }
static inline uint32_t kt_cdw14(const struct kt_cmd *cmd) { return le32toh(cmd->sqe.cdw14); }
static inline uint32_t kt_nsid(const struct kt_cmd *cmd) { return le32toh(cmd->sqe.nsid); }

/* Fails with Invalid Field (data pointer) unless the host's buffer holds
 * `need` bytes. */
static inline uint16_t kt_admin_need(struct kt_admin_req *r, uint64_t need)
{
	if (r->cmd->data_len < need || (need && !r->cmd->data)) {
		r->err_loc = KT_SQE_OFF_DPTR_LEN;
		return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true);
	}
	return NVME_SC_SUCCESS;
}

/* Returns `len` bytes of src to the host (the caller checked the buffer). */
static inline void kt_admin_put(struct kt_admin_req *r, const void *src, uint32_t len)
{
	if (len > r->cmd->data_len)
		len = r->cmd->data_len;
	memcpy(r->cmd->data, src, len);
	r->cmd->xfer_len = len;
}

/* NN: at least 1024, more if a namespace has a larger NSID (the array is
 * sorted, so the last one is the largest). A discovery controller has none. */
static inline uint32_t kt_admin_nn(const struct kt_ctrl *c)
{
	const struct kt_subsys *s = c->subsys;
	uint32_t nn = KT_NN_MIN;

	if (c->discovery)
		return 0;
	if (s->n_ns && s->ns[s->n_ns - 1]->nsid > nn)
		nn = s->ns[s->n_ns - 1]->nsid;
	return nn;
}

static inline bool kt_admin_any_vwc(const struct kt_subsys *s)
{
	for (size_t i = 0; i < s->n_ns; i++)
		if (s->ns[i]->enabled && s->ns[i]->vwc)
			return true;
	return false;
}

/* Copies a string into a fixed, space-padded field (SN, MN, FR). */
static inline void kt_copy_padded(char *dst, size_t n, const char *src)
{
	size_t l = strnlen(src, n);
	memcpy(dst, src, l);
	memset(dst + l, ' ', n - l);
}

uint16_t kt_admin_identify(struct kt_admin_req *r);
uint16_t kt_admin_get_log_page(struct kt_admin_req *r);
uint16_t kt_admin_get_features(struct kt_admin_req *r);
uint16_t kt_admin_set_features(struct kt_admin_req *r);

#endif

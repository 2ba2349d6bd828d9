/*
 * admin.c - the admin command entry point: the controller-state gate, the
 * opcode dispatch (with the discovery controller's narrower set), the small
 * commands (Asynchronous Event Request, Keep Alive, Abort) and error-log
 * recording of every failure. Identify, Get Log Page and Get/Set Features
 * have a file each.
 */
#include "proto/admin_req.h"

/* Asynchronous Event Request: held until an event pairs with it
 * (kt_ctrl_aen_take). Beyond AERL+1 held, the spec's limit status. */
static uint16_t admin_aer(struct kt_admin_req *r)
{
	struct kt_ctrl *c = r->c;

	if (c->n_aer >= KT_AER_MAX)
		return KT_STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_ASYNC_LIMIT, true);
	c->aer_cids[c->n_aer++] = r->cmd->sqe.cid;
	return KT_STATUS_DEFERRED;
}

/* Keep Alive re-arms the timer at receipt. With keep-alive disabled (KATO
 * 0) there is no timer to re-arm: Keep Alive Timeout Invalid, not retried. */
static uint16_t admin_keep_alive(struct kt_admin_req *r)
{
	if (!r->c->kato_ms)
		return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_KAT_INVALID, true);
	kt_ctrl_ka_rearm(r->c, r->now_ms);
	return NVME_SC_SUCCESS;
}

/* Abort: every command here completes promptly (AERs are not abortable
 * targets the spec requires us to abort), so the truthful answer is
 * "not aborted": dw0 bit 0 = 1. */
static uint16_t admin_abort(struct kt_admin_req *r)
{
	r->cmd->cqe.dw0 = htole32(1);
	return NVME_SC_SUCCESS;
}

static bool discovery_allows(uint8_t opcode)
{
	switch (opcode) {
	case nvme_admin_identify:
	case nvme_admin_get_log_page:
	case nvme_admin_get_features:
	case nvme_admin_set_features:
	case nvme_admin_async_event:
	case nvme_admin_keep_alive:
		return true;
	default:
		return false;
	}
}

/* What every admin command must pass, before its data moves (kt_cmd_parse)
 * and again when it runs (the controller may have been reset meanwhile). */
static uint16_t admin_gate(struct kt_admin_req *r)
{
	uint8_t opc = r->cmd->sqe.opcode;

	/* Before CC.EN=1 and CSTS.RDY=1 nothing but fabrics commands (which
	 * the transport handles) may run. */
	if (!kt_ctrl_ready(r->c))
		return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR, true);

	if (r->c->discovery && !discovery_allows(opc)) {
		r->err_loc = KT_SQE_OFF_OPCODE;
		return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE, true);
	}
	/* No fused admin commands exist. */
	if (r->cmd->sqe.flags & KT_SQE_FLAGS_FUSE_MASK) {
		r->err_loc = KT_SQE_OFF_FLAGS;
		return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true);
	}
	return NVME_SC_SUCCESS;
}

static uint16_t admin_dispatch(struct kt_admin_req *r)
{
	uint8_t opc = r->cmd->sqe.opcode;
	uint16_t st = admin_gate(r);

	if (st)
		return st;
	switch (opc) {
	case nvme_admin_identify:
		return kt_admin_identify(r);
	case nvme_admin_get_log_page:
		return kt_admin_get_log_page(r);
	case nvme_admin_get_features:
		return kt_admin_get_features(r);
	case nvme_admin_set_features:
		return kt_admin_set_features(r);
	case nvme_admin_async_event:
		return admin_aer(r);
	case nvme_admin_keep_alive:
		return admin_keep_alive(r);
	case nvme_admin_abort_cmd:
		return admin_abort(r);
	default:
		r->err_loc = KT_SQE_OFF_OPCODE;
		return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE, true);
	}
}

uint16_t kt_admin_check(struct kt_ctrl *ctrl, struct kt_cmd *cmd)
{
	struct kt_admin_req r = { .c = ctrl, .cmd = cmd, .err_loc = KT_NO_ERR_LOC };
	uint16_t status = admin_gate(&r);

	if (status)
		kt_ctrl_log_error(ctrl, 0, cmd->sqe.cid, status, r.err_loc, 0, kt_nsid(cmd));
	return status;
}

uint16_t kt_admin_exec(struct kt_ctrl *ctrl, struct kt_cmd *cmd, uint64_t now_ms)
{
	struct kt_admin_req r = { .c = ctrl, .cmd = cmd, .now_ms = now_ms, .err_loc = KT_NO_ERR_LOC };
	uint16_t status;

	cmd->xfer_len = 0;
	cmd->cqe.dw0 = 0;
	cmd->cqe.dw1 = 0;
	status = admin_dispatch(&r);
	if (status != NVME_SC_SUCCESS && status != KT_STATUS_DEFERRED) {
		cmd->xfer_len = 0;
		kt_ctrl_log_error(ctrl, 0, cmd->sqe.cid, status, r.err_loc, 0, kt_nsid(cmd));
	}
	return status;
}

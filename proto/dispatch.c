/*
 * dispatch.c - parse, then execute, a command of any queue (proto/dispatch.h).
 *
 * Two state rules that hosts depend on, decided here:
 * - Disconnect deletes an I/O queue. On the admin queue it is refused with
 *   Invalid Queue Type (NVMe over Fabrics: "If the Disconnect command is
 *   submitted on an Admin Queue, the controller shall abort the command
 *   with a status of Invalid Queue Type"); a host ends an association by
 *   closing the admin queue, not by Disconnect.
 * - Shutdown (CC.SHN) leaves outstanding Asynchronous Event Requests
 *   outstanding, as the kernel target and SPDK do: completing them with
 *   "Aborted - SQ Deletion" handed a host completions for command ids it
 *   had already dropped and reused. A controller reset (CC.EN 1->0) drops
 *   them without a completion, which is what NVMe Base says of AERs
 *   outstanding at a reset ("aborted ... no completion queue entry is
 *   posted"); proto/ctrl.c forgets them and the caller lets their slots go.
 */
#include <endian.h>
#include <string.h>

#include "proto/dispatch.h"

static uint16_t generic(uint16_t sc, bool dnr)
{
	return KT_STATUS(NVME_SCT_GENERIC, sc, dnr);
}

/* Authentication Required, as the kernel target answers a command on a
 * queue that has not authenticated (NVME_SC_AUTH_REQUIRED | DNR). */
static uint16_t auth_required(void)
{
	return KT_STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_AUTH_REQUIRED, true);
}

static bool is_auth(const struct kt_cmd *cmd)
{
	uint8_t fctype = ((const uint8_t *)&cmd->sqe)[4];
	return fctype == nvme_fabrics_type_auth_send || fctype == nvme_fabrics_type_auth_receive;
}

/* Queue-state rules of the fabrics commands. */
static uint16_t fabrics_check(const struct kt_qview *q, uint8_t fctype)
{
	switch (fctype) {
	case nvme_fabrics_type_connect:
		return q->ctrl ? generic(NVME_SC_CMD_SEQ_ERROR, false) : 0;
	case nvme_fabrics_type_property_get:
	case nvme_fabrics_type_property_set:
		if (!q->ctrl)
			return generic(NVME_SC_CMD_SEQ_ERROR, false);
		return q->qid ? generic(NVME_SC_INVALID_OPCODE, true) : 0;
	case nvme_fabrics_type_disconnect:
		if (!q->ctrl)
			return generic(NVME_SC_CMD_SEQ_ERROR, false);
		return q->qid ? 0 : KT_STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_DISCONNECT_INVALID_QTYPE, true);
	case nvme_fabrics_type_auth_send:
	case nvme_fabrics_type_auth_receive:
		/* on any connected queue, admin or I/O, required or not (the
		 * kernel target runs a transaction a host asks for); before
		 * Connect, as the kernel target, Invalid Opcode */
		return q->ctrl && q->auth ? 0 : generic(NVME_SC_INVALID_OPCODE, true);
	default:
		return generic(NVME_SC_INVALID_OPCODE, true);
	}
}

uint16_t kt_cmd_parse(const struct kt_qview *q, const struct kt_xfer_caps *caps, struct kt_cmd *cmd,
		      uint32_t icd_len, uint64_t now_ms, struct kt_cmd_plan *p)
{
	struct kt_ctrl *c = q->ctrl;
	uint16_t st;

	memset(&cmd->cqe, 0, sizeof(cmd->cqe));
	memset(&cmd->io, 0, sizeof(cmd->io));
	cmd->data = NULL;
	cmd->data_len = 0;
	cmd->xfer_len = 0;
	memset(p, 0, sizeof(*p));
	p->route = cmd->sqe.opcode == KT_OPC_FABRICS ? KT_ROUTE_FABRICS
		   : q->qid == 0                   ? KT_ROUTE_ADMIN
						   : KT_ROUTE_IO;
	if (c) /* traffic-based keep-alive: any command on any queue */
		atomic_store_explicit(&c->last_traffic_ms, now_ms, memory_order_relaxed);

	/* the kernel target's order: the command and the queue's state
	 * first, then where its data is */
	switch (p->route) {
	case KT_ROUTE_FABRICS:
		st = fabrics_check(q, ((const uint8_t *)&cmd->sqe)[4]);
		break;
	case KT_ROUTE_ADMIN:
		if (!c)
			st = generic(NVME_SC_CMD_SEQ_ERROR, false);
		else if (q->auth && !kt_auth_q_open(q->auth))
			st = auth_required();
		else
			st = kt_admin_check(c, cmd);
		break;
	default:
		if (!c)
			st = generic(NVME_SC_CMD_SEQ_ERROR, false);
		else if (q->auth && !kt_auth_q_open(q->auth))
			st = auth_required();
		else
			st = 0;
		break;
	}
	if (st)
		return st;

	st = kt_xfer_parse(caps, &cmd->sqe, icd_len, q->max_len, &p->xfer);
	if (st) {
		/* a fabrics SQE has FCTYPE and reserved bytes where others have
		 * the NSID: its entry names no namespace */
		if (c && q->qid == 0)
			kt_ctrl_log_error(c, 0, cmd->sqe.cid, st, 0xffff, 0,
					  p->route == KT_ROUTE_FABRICS ? 0 : le32toh(cmd->sqe.nsid));
		return st;
	}
	cmd->data_len = p->xfer.len;
	if (p->route == KT_ROUTE_FABRICS && is_auth(cmd))
		return kt_auth_cmd_check(&cmd->sqe, cmd->data_len);
	return p->route == KT_ROUTE_IO ? kt_io_parse(c, cmd) : 0;
}

static void exec_fabrics(const struct kt_qview *q, struct kt_cmd *cmd, uint64_t now_ms,
			 struct kt_cmd_result *r)
{
	switch (((const uint8_t *)&cmd->sqe)[4]) {
	case nvme_fabrics_type_connect:
		r->status = kt_connect_parse(q->target, cmd, &r->connect);
		if (!r->status)
			r->next = KT_NEXT_CONNECT;
		return;
	case nvme_fabrics_type_property_get:
		r->status = kt_fabrics_prop_exec(q->ctrl, cmd, now_ms, NULL);
		return;
	case nvme_fabrics_type_property_set:
		r->status = kt_fabrics_prop_exec(q->ctrl, cmd, now_ms, &r->reset);
		r->ka_moved = true; /* CC.EN=1 re-arms; a reset or shutdown may end the timer's reason */
		return;
	case nvme_fabrics_type_disconnect:
		r->close_queue = true;
		return;
	case nvme_fabrics_type_auth_send:
		r->auth_cmd = true;
		r->status = kt_auth_send(q->auth, q->auth_ctx, cmd->data, cmd->data_len, now_ms, &r->auth);
		return;
	case nvme_fabrics_type_auth_receive:
		r->auth_cmd = true;
		r->status = kt_auth_receive(q->auth, q->auth_ctx, cmd->data, cmd->data_len, &cmd->xfer_len,
					    now_ms, &r->auth);
		return;
	}
	r->status = generic(NVME_SC_INVALID_OPCODE, true); /* kt_cmd_parse let nothing else through */
}

static void exec_admin(const struct kt_qview *q, struct kt_cmd *cmd, uint64_t now_ms,
		       struct kt_cmd_result *r)
{
	uint8_t opc = cmd->sqe.opcode;

	r->status = kt_admin_exec(q->ctrl, cmd, now_ms);
	if (r->status == KT_STATUS_DEFERRED) {
		r->status = 0;
		r->next = KT_NEXT_HOLD;
	}
	if (opc == nvme_admin_keep_alive) {
		r->ka_cmd = KT_KA_KEEP_ALIVE;
		r->ka_moved = true;
	} else if (opc == nvme_admin_set_features && (le32toh(cmd->sqe.cdw10) & 0xffu) == NVME_FEAT_FID_KATO) {
		r->ka_cmd = KT_KA_SET_KATO;
		r->ka_requested_ms = le32toh(cmd->sqe.cdw11);
		r->ka_moved = true;
	}
}

static void exec_io(const struct kt_qview *q, struct kt_cmd *cmd, struct kt_cmd_result *r)
{
	r->status = kt_io_parse_data(q->ctrl, cmd);
	if (!r->status && cmd->io.op != KT_IO_NOP)
		r->next = KT_NEXT_BACKEND;
}

void kt_cmd_exec(const struct kt_qview *q, const struct kt_cmd_plan *p, struct kt_cmd *cmd,
		 uint64_t now_ms, struct kt_cmd_result *r)
{
	/* field by field: the Connect arguments (half a KiB) are written only
	 * by a Connect, not cleared for every I/O */
	r->next = KT_NEXT_COMPLETE;
	r->status = 0;
	r->close_queue = false;
	r->reset = false;
	r->ka_moved = false;
	r->ka_cmd = KT_KA_NONE;
	r->ka_requested_ms = 0;
	r->auth_cmd = false;
	memset(&r->auth, 0, sizeof(r->auth));
	switch (p->route) {
	case KT_ROUTE_FABRICS:
		exec_fabrics(q, cmd, now_ms, r);
		return;
	case KT_ROUTE_ADMIN:
		exec_admin(q, cmd, now_ms, r);
		return;
	case KT_ROUTE_IO:
		exec_io(q, cmd, r);
		return;
	}
}

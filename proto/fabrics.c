/*
 * fabrics.c - the NVMe over Fabrics commands a queue sees before and beside
 * the admin and I/O command sets: Connect (parsing, admission of an admin
 * queue, checks of an I/O queue against its controller) and Property Get /
 * Property Set. Pure rules: the daemon finds controllers, allocates queues and
 * sends the completion; the register semantics live in ctrl.c.
 *
 * Every refusal carries Do Not Retry: none of them can succeed if the host
 * sends the same command again (the kernel target does the same).
 */
#include <endian.h>
#include <stddef.h>
#include <string.h>

#include "proto/fabrics.h"

/* Byte offsets reported in IPO (NVMe Base 2.0, Connect response). */
enum {
	IPO_SQE_RECFMT = 40,
	IPO_SQE_QID = 42,
	IPO_SQE_SQSIZE = 44,
	IPO_DATA_HOSTID = 0,
	IPO_DATA_CNTLID = 16,
	IPO_DATA_SUBNQN = 256,
	IPO_DATA_HOSTNQN = 512,
};

static_assert(offsetof(struct kt_fabrics_connect_cmd, recfmt) == IPO_SQE_RECFMT, "recfmt");
static_assert(offsetof(struct kt_fabrics_connect_cmd, qid) == IPO_SQE_QID, "qid");
static_assert(offsetof(struct kt_fabrics_connect_cmd, sqsize) == IPO_SQE_SQSIZE, "sqsize");
static_assert(offsetof(struct nvmf_connect_data, hostid) == IPO_DATA_HOSTID, "hostid");
static_assert(offsetof(struct nvmf_connect_data, cntlid) == IPO_DATA_CNTLID, "cntlid");
static_assert(offsetof(struct nvmf_connect_data, subsysnqn) == IPO_DATA_SUBNQN, "subnqn");
static_assert(offsetof(struct nvmf_connect_data, hostnqn) == IPO_DATA_HOSTNQN, "hostnqn");
static_assert(sizeof(struct nvmf_connect_data) == KT_CONNECT_DATA_LEN, "connect data");

static uint16_t sc_generic(uint16_t sc)
{
	return KT_STATUS(NVME_SCT_GENERIC, sc, true);
}

static uint16_t sc_connect(uint16_t sc)
{
	return KT_STATUS(NVME_SCT_CMD_SPECIFIC, sc, true);
}

/* Connect Invalid Parameters, naming the offending field. */
static uint16_t invalid_param(struct kt_cmd *cmd, uint16_t ipo, bool in_data)
{
	cmd->cqe.dw0 = htole32(ipo | (in_data ? KT_CONNECT_IATTR_DATA : 0));
	return sc_connect(NVME_SC_CONNECT_INVALID_PARAM);
}

/* Connect Invalid Host. The spec defines IPO only for Invalid Parameters;
 * we still point at the field that failed (as the kernel target does), which
 * costs nothing and helps whoever reads a trace. */
static uint16_t invalid_host(struct kt_cmd *cmd, uint16_t ipo)
{
	cmd->cqe.dw0 = htole32(ipo | KT_CONNECT_IATTR_DATA);
	return sc_connect(NVME_SC_CONNECT_INVALID_HOST);
}

/* Copies a 256-byte NQN field into out. False unless the field holds a NUL
 * within its bytes and the name is at most KT_NQN_MAX (223) characters. */
static bool copy_nqn(char out[KT_NQN_MAX + 1], const char *field)
{
	const char *end = memchr(field, '\0', NVME_NQN_LENGTH);

	if (!end || (size_t)(end - field) > KT_NQN_MAX)
		return false;
	memcpy(out, field, (size_t)(end - field) + 1);
	return true;
}

/*
 * Decisions, where the spec leaves room:
 * - Data length: the SGL must name exactly the 1024 bytes of connect data;
 *   anything else is Data SGL Length Invalid (as the kernel target answers).
 * - SQSIZE 0 is invalid on every queue. An admin queue may have at most
 *   KT_ADMIN_SQ_ENTRIES (32) entries: NVMe-oF makes 32 the least ASQSZ a
 *   controller must support, and that is also the most we advertise. It is a
 *   ceiling, not a floor: a host asking for a smaller admin queue is within
 *   its rights, so SQSIZE 1..31 is accepted. I/O queues: 1..CAP.MQES.
 * - Host NQN: must be NUL-terminated and at most 223 characters, but may be
 *   empty. A userspace host (SPDK) has been seen connecting with none;
 *   turning it away here would make the target unusable from it while
 *   gaining nothing, because an empty NQN can never match an allowed-host
 *   entry: it only gets into subsystems that admit any host (model.c).
 * - Subsystem NQN: must be NUL-terminated, 1..223 characters.
 */
uint16_t kt_connect_parse(const struct kt_target *t, struct kt_cmd *cmd, struct kt_connect_args *a)
{
	const struct kt_fabrics_connect_cmd *c = (const struct kt_fabrics_connect_cmd *)&cmd->sqe;
	struct nvmf_connect_data d;

	memset(a, 0, sizeof(*a));
	cmd->cqe.dw0 = 0;
	cmd->cqe.dw1 = 0;

	if (c->opcode != KT_OPC_FABRICS || c->fctype != nvme_fabrics_type_connect)
		return sc_generic(NVME_SC_INVALID_OPCODE);
	if (le16toh(c->recfmt) != 0)
		return sc_connect(NVME_SC_CONNECT_FORMAT);
	if (!cmd->data || cmd->data_len != KT_CONNECT_DATA_LEN)
		return sc_generic(NVME_SC_SGL_INVALID_DATA);

	a->qid = le16toh(c->qid);
	a->sqsize = le16toh(c->sqsize);
	a->cattr = c->cattr;
	a->kato_ms = le32toh(c->kato);

	uint16_t sq_max = t->mqes;
	if (a->qid == 0 && sq_max > KT_ADMIN_SQ_ENTRIES - 1)
		sq_max = KT_ADMIN_SQ_ENTRIES - 1;
	if (a->sqsize == 0 || a->sqsize > sq_max)
		return invalid_param(cmd, IPO_SQE_SQSIZE, false);

	memcpy(&d, cmd->data, sizeof(d));
	memcpy(a->hostid, d.hostid, sizeof(a->hostid));
	a->cntlid = le16toh(d.cntlid);
	if (!copy_nqn(a->subnqn, d.subsysnqn) || a->subnqn[0] == '\0')
		return invalid_param(cmd, IPO_DATA_SUBNQN, true);
	if (!copy_nqn(a->hostnqn, d.hostnqn))
		return invalid_param(cmd, IPO_DATA_HOSTNQN, true);
	return 0;
}

/*
 * Admin queue admission. The order is the kernel target's: the requested
 * controller first (dynamic model: only FFFFh), then the subsystem, then the
 * host. A subsystem that exists but is not exported on this port answers the
 * same as one that does not exist, so a port reveals nothing beyond itself.
 */
uint16_t kt_connect_admit(struct kt_target *t, const struct kt_port *port,
			  const struct kt_connect_args *a, struct kt_cmd *cmd,
			  struct kt_subsys **out)
{
	struct kt_subsys *s;

	*out = NULL;
	cmd->cqe.dw0 = 0;
	if (a->qid != 0)
		return invalid_param(cmd, IPO_SQE_QID, false);
	if (a->cntlid != KT_CNTLID_DYNAMIC)
		return invalid_param(cmd, IPO_DATA_CNTLID, true);

	s = kt_target_find_subsys(t, a->subnqn);
	if (!s || !kt_port_has_subsys(port, s))
		return invalid_param(cmd, IPO_DATA_SUBNQN, true);
	if (!kt_subsys_host_allowed(s, a->hostnqn))
		return invalid_host(cmd, IPO_DATA_HOSTNQN);

	*out = s;
	return 0;
}

uint16_t kt_connect_check_tls(const struct kt_connect_args *a, const char *hostnqn, const char *subnqn,
			      struct kt_cmd *cmd)
{
	cmd->cqe.dw0 = 0;
	if (strcmp(a->subnqn, subnqn) != 0)
		return invalid_param(cmd, IPO_DATA_SUBNQN, true);
	if (strcmp(a->hostnqn, hostnqn) != 0)
		return invalid_host(cmd, IPO_DATA_HOSTNQN);
	return 0;
}

/*
 * I/O queue Connect against the controller the host named.
 * - No such controller: Invalid Parameters at CNTLID.
 * - A discovery controller has no I/O queues: Invalid Parameters at QID.
 * - The subsystem NQN must be the controller's: Invalid Parameters at SUBNQN.
 * - Host NQN or host ID differing from the admin queue's: the host "is not
 *   allowed to establish an association to the specified controller", which
 *   is the definition of Connect Invalid Host; IPO names the field.
 * - Controller not enabled and ready (CC.EN = 1, CSTS.RDY = 1): the host
 *   broke the initialisation sequence (NVMe Base: I/O queues are created
 *   after the controller is ready), so Command Sequence Error.
 * - QID beyond what Set Features Number of Queues granted: Invalid
 *   Parameters at QID. SQSIZE 0 or above CAP.MQES: Invalid Parameters at
 *   SQSIZE.
 * A QID that is already connected is the daemon's to refuse: only it knows
 * which queues exist.
 */
uint16_t kt_connect_check_io(const struct kt_ctrl *c, const struct kt_connect_args *a,
			     struct kt_cmd *cmd)
{
	cmd->cqe.dw0 = 0;
	if (!c)
		return invalid_param(cmd, IPO_DATA_CNTLID, true);
	if (a->qid == 0 || c->discovery)
		return invalid_param(cmd, IPO_SQE_QID, false);
	if (!c->subsys || strcmp(a->subnqn, c->subsys->nqn) != 0)
		return invalid_param(cmd, IPO_DATA_SUBNQN, true);
	if (strcmp(a->hostnqn, c->hostnqn) != 0)
		return invalid_host(cmd, IPO_DATA_HOSTNQN);
	if (memcmp(a->hostid, c->hostid, sizeof(a->hostid)) != 0)
		return invalid_host(cmd, IPO_DATA_HOSTID);
	if (!kt_ctrl_ready(c))
		return sc_generic(NVME_SC_CMD_SEQ_ERROR);
	if (a->qid > c->nr_io_queues)
		return invalid_param(cmd, IPO_SQE_QID, false);
	if (a->sqsize == 0 || (c->target && a->sqsize > c->target->mqes))
		return invalid_param(cmd, IPO_SQE_SQSIZE, false);
	return 0;
}

/*
 * Property Get / Set. ATTRIB bits 2:0 give the size (0: 4 bytes, 1: 8
 * bytes; other values are reserved, so Invalid Field); its upper bits are
 * reserved and ignored. A 4-byte Property Set uses the low dword of VALUE
 * only. Property Get returns the value in dw0 (low) and dw1 (high).
 */
uint16_t kt_fabrics_prop_exec(struct kt_ctrl *c, struct kt_cmd *cmd, uint64_t now_ms, bool *reset)
{
	const struct kt_fabrics_prop_cmd *p = (const struct kt_fabrics_prop_cmd *)&cmd->sqe;
	bool ignored;
	unsigned size;
	uint64_t value = 0;
	uint16_t st;

	if (!reset)
		reset = &ignored;
	*reset = false;
	cmd->cqe.dw0 = 0;
	cmd->cqe.dw1 = 0;

	if (p->opcode != KT_OPC_FABRICS ||
	    (p->fctype != nvme_fabrics_type_property_get &&
	     p->fctype != nvme_fabrics_type_property_set))
		return sc_generic(NVME_SC_INVALID_OPCODE);

	switch (p->attrib & 7u) {
	case 0:
		size = 4;
		break;
	case 1:
		size = 8;
		break;
	default:
		return sc_generic(NVME_SC_INVALID_FIELD);
	}

	if (p->fctype == nvme_fabrics_type_property_get) {
		st = kt_ctrl_prop_get(c, le32toh(p->offset), size, &value);
		if (st == 0) {
			if (size == 4)
				value &= 0xffffffffu;
			cmd->cqe.dw0 = htole32((uint32_t)value);
			cmd->cqe.dw1 = htole32((uint32_t)(value >> 32));
		}
		return st;
	}

	value = le64toh(p->value);
	if (size == 4)
		value &= 0xffffffffu;
	return kt_ctrl_prop_set(c, le32toh(p->offset), size, value, now_ms, reset);
}

/*
 * ctrl.c - the controller model: the registers reached by Property Get/Set
 * (CAP, VS, CC, CSTS) and what CC writes do, the keep-alive clock, the error
 * log ring, asynchronous event bookkeeping, the Changed Namespace List and
 * the notices of namespace and ANA changes.
 * Admin commands that read or change this state live in admin.c and its
 * siblings; this file holds the rules they share with the fabrics code.
 */
#include <endian.h>
#include <string.h>

#include "proto/cmd.h"
#include "proto/ctrl.h"

/* Register offsets and fields (NVMe Base 2.0, section 3.1.3). */
enum {
	REG_CAP = 0x00,
	REG_VS = 0x08,
	REG_CC = 0x14,
	REG_CSTS = 0x1c,
};

#define CC_EN 0x1u
#define CC_CSS(cc) (((cc) >> 4) & 0x7u)
#define CC_MPS(cc) (((cc) >> 7) & 0xfu)
#define CC_AMS(cc) (((cc) >> 11) & 0x7u)
#define CC_SHN(cc) (((cc) >> 14) & 0x3u)
#define CC_IOSQES(cc) (((cc) >> 16) & 0xfu)
#define CC_IOCQES(cc) (((cc) >> 20) & 0xfu)
#define CC_CSS_NVM 0u
#define CC_CSS_ADMIN_ONLY 7u

#define CSTS_RDY 0x1u
#define CSTS_CFS 0x2u
#define CSTS_SHST_MASK (0x3u << 2)
#define CSTS_SHST_COMPLETE (0x2u << 2)

/* CAP.TO in 500 ms units: 15 s. Nothing here takes long to become ready;
 * the value only bounds how long a host waits for CSTS.RDY. */
#define CAP_TO_UNITS 30ull

#define KT_AEN_PENDING_MAX (sizeof(((struct kt_ctrl *)0)->aen_pending) / sizeof(struct kt_aen))

static bool subsys_has_vwc(const struct kt_subsys *s)
{
	for (size_t i = 0; i < s->n_ns; i++)
		if (s->ns[i]->enabled && s->ns[i]->vwc)
			return true;
	return false;
}

uint32_t kt_kato_round(const struct kt_target *t, uint32_t kato_ms)
{
	uint64_t gran = (uint64_t)(t->kas ? t->kas : 1) * 100u;
	uint64_t r;

	if (!kato_ms)
		return 0;
	r = (kato_ms + gran - 1) / gran * gran;
	if (r > UINT32_MAX) /* cannot round up: the largest multiple that fits */
		r = UINT32_MAX / gran * gran;
	return (uint32_t)r;
}

uint16_t kt_ctrl_kas(const struct kt_ctrl *c)
{
	return kt_kapol_kas(c->ka_pol, c->target ? c->target->kas : 1);
}

uint32_t kt_ctrl_kato_round(const struct kt_ctrl *c, uint32_t kato_ms)
{
	uint64_t gran = (uint64_t)kt_ctrl_kas(c) * 100u;
	uint64_t r;

	if (!kato_ms)
		return 0;
	r = (kato_ms + gran - 1) / gran * gran;
	if (r > UINT32_MAX)
		r = UINT32_MAX / gran * gran;
	return (uint32_t)r;
}

void kt_ctrl_init(struct kt_ctrl *c, struct kt_target *t, struct kt_subsys *subsys,
		  const struct kt_port *port, uint16_t cntlid, const char *hostnqn,
		  const uint8_t hostid[16], uint16_t admin_sqsize, uint32_t kato_ms,
		  uint64_t now_ms)
{
	memset(c, 0, sizeof(*c));
	c->cntlid = cntlid;
	c->discovery = subsys->discovery;
	c->target = t;
	c->subsys = subsys;
	c->port = port;
	if (hostnqn) {
		strncpy(c->hostnqn, hostnqn, KT_NQN_MAX);
		c->hostnqn[KT_NQN_MAX] = '\0';
	}
	if (hostid)
		memcpy(c->hostid, hostid, 16);

	/*
	 * CAP: MQES, CQR (fabrics queues are contiguous by nature), TO, CSS
	 * bit 37 (NVM command set), MPSMIN = MPSMAX = 0 (4 KiB), DSTRD 0.
	 * CSS bit 43 (I/O command sets) is not set: we do not implement
	 * CC.CSS = 110b (I/O Command Set Profile feature, Identify CNS 1Ch),
	 * so hosts program CC.CSS = 000b. A discovery controller advertises the
	 * same CAP as the Linux target does: Linux and SPDK hosts program
	 * CC.CSS = 000b for discovery controllers too, and CSS bit 44 (no I/O
	 * command set) would be a second capability nobody asks for.
	 */
	c->cap = (uint64_t)t->mqes | (1ull << 16) | (CAP_TO_UNITS << 24) | (1ull << 37);
	c->vs = subsys->version;
	c->cc = 0;
	c->csts = 0;

	c->admin_sqsize = admin_sqsize;
	c->max_io_queues = subsys->discovery ? 0 : subsys->qid_max;
	c->nr_io_queues = c->max_io_queues;
	c->ioccsz_bytes = subsys->discovery ? 0 : 64u + (port ? port->inline_data_size : 0u);

	c->kato_ms = kt_kato_round(t, kato_ms);
	c->kato_default_ms = c->kato_ms;
	c->kato_req_ms = kato_ms;
	c->ka_rearm_ms = now_ms;
	c->ka_traffic_based = true;
	atomic_store(&c->last_traffic_ms, now_ms);

	c->feat_arbitration = 0;
	c->feat_power_mgmt = 0;
	/* Over-temperature threshold of the composite sensor = WCTEMP (343 K);
	 * the under-temperature threshold (bits 31:16 here) is 0 K. */
	c->feat_temp_thresh = 343;
	c->feat_err_recovery = 0;
	c->feat_vwc = subsys_has_vwc(subsys) ? 1 : 0;
	c->feat_aec = 0;
	c->feat_write_atomicity = 0;
	if (hostid) {
		uint64_t lo, hi;
		memcpy(&lo, hostid, 8);
		memcpy(&hi, hostid + 8, 8);
		c->feat_host_id_lo = le64toh(lo);
		c->feat_host_id_hi = le64toh(hi);
	}
	c->start_ms = now_ms;
}

/* ---- Properties --------------------------------------------------------- */

uint16_t kt_ctrl_prop_get(const struct kt_ctrl *c, uint32_t offset, unsigned size, uint64_t *value)
{
	if (size == 8 && offset == REG_CAP) {
		*value = c->cap;
		return NVME_SC_SUCCESS;
	}
	if (size == 4) {
		switch (offset) {
		case REG_VS:
			*value = c->vs;
			return NVME_SC_SUCCESS;
		case REG_CC:
			*value = c->cc;
			return NVME_SC_SUCCESS;
		case REG_CSTS:
			*value = c->csts;
			return NVME_SC_SUCCESS;
		}
	}
	return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true);
}

/* The values CC must hold when EN goes 0->1. A discovery controller has no
 * I/O queues, so its IOSQES/IOCQES may also be left at 0 (hosts differ). */
static bool cc_valid_for_enable(const struct kt_ctrl *c, uint32_t cc)
{
	if (CC_MPS(cc) != 0 || CC_AMS(cc) != 0)
		return false;
	if (CC_CSS(cc) != CC_CSS_NVM)
		return false;
	if (c->discovery) {
		if (CC_IOSQES(cc) != 0 && CC_IOSQES(cc) != 6)
			return false;
		if (CC_IOCQES(cc) != 0 && CC_IOCQES(cc) != 4)
			return false;
		return true;
	}
	return CC_IOSQES(cc) == 6 && CC_IOCQES(cc) == 4;
}

/* A controller reset (CC.EN 1->0): I/O queues go (the caller's job, told
 * by *reset), held AERs are dropped (the host considers every outstanding
 * command aborted by the reset) and so are pending events and masks.
 * Features keep their values, as in the Linux target: a host re-sets what
 * it relies on after a reset, and keep-alive keeps running for the
 * association, which a reset does not end. */
/* A controller reset: outstanding AERs are aborted without a completion
 * (NVMe Base, Asynchronous Event Request), so they are simply forgotten;
 * pending and masked events go too. */
static void ctrl_reset(struct kt_ctrl *c)
{
	c->csts &= ~(CSTS_RDY | CSTS_CFS | CSTS_SHST_MASK);
	c->n_aer = 0;
	c->n_aen_pending = 0;
	c->aen_masked = 0;
}

uint16_t kt_ctrl_prop_set(struct kt_ctrl *c, uint32_t offset, unsigned size, uint64_t value,
			  uint64_t now_ms, bool *reset)
{
	uint32_t old = c->cc, new;

	*reset = false;
	if (offset != REG_CC || size != 4)
		return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true);
	new = (uint32_t)value;

	if (!(new & CC_EN) && (old & CC_EN)) {
		ctrl_reset(c);
		*reset = true;
	}

	if ((new & CC_EN) && !(old & CC_EN)) {
		/*
		 * Enabling with settings we do not support: the spec leaves the
		 * behaviour open. Like the Linux target we set CSTS.CFS and leave
		 * RDY clear, and the Property Set itself succeeds (the register
		 * write is well-formed). A host polling for RDY then fails at
		 * once on CFS instead of waiting out CAP.TO. The host recovers
		 * with a reset (EN 1->0), which clears CFS.
		 */
		if (cc_valid_for_enable(c, new)) {
			c->csts = (c->csts & ~CSTS_CFS) | CSTS_RDY;
			kt_ctrl_ka_rearm(c, now_ms);
		} else {
			c->csts |= CSTS_CFS;
		}
	} else if ((new & CC_EN) && (old & CC_EN)) {
		/* The host shall not change the configuration fields while
		 * enabled; keep the ones validated at enable so CC reads back
		 * what is in force. Only SHN (and EN) take effect. */
		new = (old & ~(0x3u << 14)) | (new & (0x3u << 14));
	}

	if (CC_SHN(new) && !CC_SHN(old)) {
		/* Normal or abrupt shutdown: nothing to flush here (backends
		 * honour Flush and FUA themselves), so it completes at once.
		 * I/O queues go; RDY clears so that further admin commands get
		 * Command Sequence Error until the host resets the controller,
		 * as the spec requires after a shutdown. Outstanding AERs stay
		 * outstanding (proto/dispatch.c says why); a later reset drops
		 * them. */
		c->csts &= ~CSTS_RDY;
		c->csts = (c->csts & ~CSTS_SHST_MASK) | CSTS_SHST_COMPLETE;
		c->n_aen_pending = 0;
		*reset = true;
	} else if (!CC_SHN(new) && CC_SHN(old)) {
		c->csts &= ~CSTS_SHST_MASK;
	}

	c->cc = new;
	return NVME_SC_SUCCESS;
}

/* ---- Keep-alive --------------------------------------------------------- */

void kt_ctrl_ka_rearm(struct kt_ctrl *c, uint64_t now_ms)
{
	c->ka_rearm_ms = now_ms;
}

uint64_t kt_ctrl_ka_deadline(const struct kt_ctrl *c)
{
	uint64_t traffic = atomic_load_explicit(&c->last_traffic_ms, memory_order_relaxed);

	if (c->ka_wait_auth)
		return 0;
	/* A discovery controller without KATO has an activity timeout: any
	 * command re-arms it, and no policy applies to it. */
	if (!c->kato_ms)
		return c->ka_activity_ms ? kt_kapol_deadline(NULL, c->ka_activity_ms, c->ka_rearm_ms,
							     traffic, true)
					 : 0;
	return kt_kapol_deadline(c->ka_pol, c->kato_ms, c->ka_rearm_ms, traffic, c->ka_traffic_based);
}

void kt_ctrl_ka_set_policy(struct kt_ctrl *c, const struct kt_kapol *p)
{
	uint16_t old = kt_ctrl_kas(c);

	c->ka_pol = p;
	if (kt_ctrl_kas(c) != old) {
		c->kato_ms = kt_ctrl_kato_round(c, c->kato_ms);
		c->kato_default_ms = kt_ctrl_kato_round(c, c->kato_req_ms);
	}
}

void kt_ctrl_ka_expire(struct kt_ctrl *c)
{
	/* not tied to a command: SQID and CID FFFFh (Error Information Log Entry) */
	kt_ctrl_log_error(c, 0xffff, 0xffff, NVME_SC_KAT_EXPIRED, 0xffff, 0, 0);
	c->csts |= CSTS_CFS;
}

/* ---- Error log ---------------------------------------------------------- */

void kt_ctrl_log_error(struct kt_ctrl *c, uint16_t sqid, uint16_t cid, uint16_t status,
		       uint16_t param_loc, uint64_t lba, uint32_t nsid)
{
	struct nvme_error_log_page *e;

	/* I/O errors dropped on the way here still count: the numbering skips
	 * them, which the spec names as the sign of lost entries. */
	uint64_t n = c->err_count + 1;
	if (atomic_load(&c->err_lost))
		n += atomic_exchange(&c->err_lost, 0);
	/* stored atomically: kt_ctrl_err_total reads it from another thread */
	__atomic_store_n(&c->err_count, n, __ATOMIC_RELAXED);
	e = &c->errlog[(n - 1) % KT_ERRLOG_MAX];
	memset(e, 0, sizeof(*e));
	e->error_count = htole64(n);
	e->sqid = htole16(sqid);
	e->cmdid = cid; /* as it came on the wire */
	/* The Status Field as in the CQE: bit 0 is the phase tag (0). */
	e->status_field = htole16(kt_status_wire(status));
	e->parm_error_location = htole16(param_loc);
	e->lba = htole64(lba);
	e->nsid = htole32(nsid);
	e->trtype = kt_port_xport(c->port)->trtype;
}

uint64_t kt_ctrl_err_total(const struct kt_ctrl *c)
{
	return __atomic_load_n(&c->err_count, __ATOMIC_RELAXED) +
	       atomic_load_explicit(&c->err_lost, memory_order_relaxed);
}

/* Byte offsets in the SQE that the Parameter Error Location names. */
#define SQE_OFF_OPCODE 0u
#define SQE_OFF_NSID 4u
#define SQE_OFF_DPTR_LEN 32u /* SGL descriptor: length */
#define SQE_OFF_CDW10 40u    /* SLBA */
#define NO_ERR_LOC 0xffffu

/*
 * An I/O command's error entry. LBA: the command's SLBA for the commands
 * that carry one (Read, Write, Compare, Write Zeroes), whatever the error
 * (NVMe Base: "the first LBA that experienced the error condition, if
 * applicable"); 0 otherwise. Parameter Error Location: the SQE field the
 * status names, where it names one field.
 */
void kt_ctrl_io_error_rec(const struct kt_cmd *cmd, uint16_t sqid, uint16_t status,
			  struct kt_err_rec *rec)
{
	const struct kt_sqe *sqe = &cmd->sqe;
	uint16_t sc = status & 0xffu, sct = (status >> NVME_SCT_SHIFT) & 0x7u;

	memset(rec, 0, sizeof(*rec));
	rec->sqid = sqid;
	rec->cid = sqe->cid;
	rec->status = status;
	/* a fabrics SQE has FCTYPE and reserved bytes where others have the
	 * NSID: its entry names no namespace */
	rec->nsid = sqe->opcode == KT_OPC_FABRICS ? 0 : le32toh(sqe->nsid);
	switch (sqe->opcode) {
	case nvme_cmd_read:
	case nvme_cmd_write:
	case nvme_cmd_compare:
	case nvme_cmd_write_zeroes:
		rec->lba = (uint64_t)le32toh(sqe->cdw11) << 32 | le32toh(sqe->cdw10);
		break;
	default:
		break;
	}
	rec->param_loc = NO_ERR_LOC;
	if (sct == NVME_SCT_GENERIC) {
		switch (sc) {
		case NVME_SC_INVALID_OPCODE:
			rec->param_loc = SQE_OFF_OPCODE;
			break;
		case NVME_SC_INVALID_NS:
			rec->param_loc = SQE_OFF_NSID;
			break;
		case NVME_SC_LBA_RANGE:
			rec->param_loc = SQE_OFF_CDW10;
			break;
		case NVME_SC_SGL_INVALID_DATA:
			rec->param_loc = SQE_OFF_DPTR_LEN;
			break;
		default:
			break;
		}
	}
}

/*
 * Sequentially consistent on purpose (this is the error path): an error
 * dropped while KT_ERR_INFLIGHT_MAX entries are on their way is counted
 * before the admin worker frees the place of one of those, and that one
 * folds the count in when it is logged, so the newest entry's Error Count
 * includes every error dropped before it.
 */
bool kt_ctrl_err_reserve(struct kt_ctrl *c)
{
	unsigned n = atomic_load(&c->err_inflight);

	do {
		if (n >= KT_ERR_INFLIGHT_MAX) {
			atomic_fetch_add(&c->err_lost, 1);
			return false;
		}
	} while (!atomic_compare_exchange_weak(&c->err_inflight, &n, n + 1));
	return true;
}

void kt_ctrl_err_unreserve(struct kt_ctrl *c)
{
	atomic_fetch_add(&c->err_lost, 1);
	atomic_fetch_sub(&c->err_inflight, 1);
}

void kt_ctrl_log_error_rec(struct kt_ctrl *c, const struct kt_err_rec *rec)
{
	atomic_fetch_sub(&c->err_inflight, 1);
	kt_ctrl_log_error(c, rec->sqid, rec->cid, rec->status, rec->param_loc, rec->lba, rec->nsid);
}

void kt_ctrl_set_local_addr(struct kt_ctrl *c, uint8_t adrfam, const char *traddr)
{
	c->local_adrfam = adrfam;
	memset(c->local_traddr, 0, sizeof(c->local_traddr));
	if (traddr)
		strncpy(c->local_traddr, traddr, sizeof(c->local_traddr) - 1);
}

/* ---- Asynchronous events ------------------------------------------------ */

/*
 * The spec masks further events of a type once one is reported, until the
 * host reads the log page that event named. We keep one mask bit per log
 * page instead of per event type, so that two notices cleared by different
 * pages (Namespace Attribute Changed by 04h, Discovery Log Change by 70h) do
 * not hold each other back; this is what the Linux target does too (one bit
 * per AEC notice). The bit is set when the event is queued, so an event that
 * recurs before the host reads the page is not queued twice: the page it
 * reads reports both.
 */
static uint32_t kt_aen_mask_bit(uint8_t lid)
{
	if (lid < 28)
		return 1u << lid;
	switch (lid) {
	case NVME_LOG_LID_DISCOVER:
		return 1u << 31;
	case NVME_LOG_LID_RESERVATION:
		return 1u << 30;
	case NVME_LOG_LID_SANITIZE:
		return 1u << 29;
	default:
		return 1u << 28;
	}
}

/* Whether the Asynchronous Event Configuration lets this event through.
 * Error events and command-set/vendor events are not configurable. */
static bool aec_allows(const struct kt_ctrl *c, uint8_t type, uint8_t info)
{
	switch (type) {
	case NVME_AER_SMART:
		/* AEC bits 7:0 follow the SMART Critical Warning bits. */
		switch (info) {
		case NVME_AER_SMART_SUBSYSTEM_RELIABILITY:
			return c->feat_aec & (1u << 2);
		case NVME_AER_SMART_TEMPERATURE_THRESHOLD:
			return c->feat_aec & (1u << 1);
		case NVME_AER_SMART_SPARE_THRESHOLD:
			return c->feat_aec & (1u << 0);
		default:
			return c->feat_aec & 0xffu;
		}
	case NVME_AER_NOTICE:
		if (info == NVME_AER_NOTICE_DISC_CHANGED)
			return c->feat_aec & (1u << 31);
		if (info < 8) /* 8 namespace attribute .. 15 normal subsystem shutdown */
			return c->feat_aec & (1u << (8 + info));
		return true;
	default:
		return true;
	}
}

void kt_ctrl_aen_raise(struct kt_ctrl *c, uint8_t type, uint8_t info, uint8_t lid)
{
	uint32_t bit = kt_aen_mask_bit(lid);

	if (!aec_allows(c, type, info))
		return;
	if (c->aen_masked & bit)
		return;
	if (c->n_aen_pending >= KT_AEN_PENDING_MAX)
		return;
	c->aen_pending[c->n_aen_pending++] = (struct kt_aen){ .type = type, .info = info, .lid = lid };
	c->aen_masked |= bit;
}

bool kt_ctrl_aen_take(struct kt_ctrl *c, uint16_t *cid, uint32_t *dw0)
{
	struct kt_aen e;

	if (!c->n_aer || !c->n_aen_pending)
		return false;
	/* Oldest event with the oldest held AER. */
	e = c->aen_pending[0];
	memmove(&c->aen_pending[0], &c->aen_pending[1], (c->n_aen_pending - 1) * sizeof(e));
	c->n_aen_pending--;
	*cid = c->aer_cids[0];
	memmove(&c->aer_cids[0], &c->aer_cids[1], (c->n_aer - 1) * sizeof(c->aer_cids[0]));
	c->n_aer--;
	/* dw0: type 2:0, info 15:8, log page 23:16. */
	*dw0 = (uint32_t)(e.type & 0x7u) | (uint32_t)e.info << 8 | (uint32_t)e.lid << 16;
	return true;
}

void kt_ctrl_aen_clear(struct kt_ctrl *c, uint8_t lid)
{
	c->aen_masked &= ~kt_aen_mask_bit(lid);
}

void kt_ctrl_ns_changed(struct kt_ctrl *c, uint32_t nsid)
{
	unsigned n = c->n_changed_ns;

	if (n <= KT_CHANGED_NS_MAX) {
		for (unsigned i = 0; i < n; i++)
			if (c->changed_ns[i] == nsid)
				goto raise;
		if (n < KT_CHANGED_NS_MAX)
			c->changed_ns[n] = nsid;
		c->n_changed_ns = n + 1; /* KT_CHANGED_NS_MAX + 1: "more than 1024" */
	}
raise:
	kt_ctrl_aen_raise(c, NVME_AER_NOTICE, NVME_AER_NOTICE_NS_CHANGED, NVME_LOG_LID_CHANGED_NS);
}

void kt_ctrl_ana_changed(struct kt_ctrl *c)
{
	if (c->discovery)
		return;
	kt_ctrl_aen_raise(c, NVME_AER_NOTICE, NVME_AER_NOTICE_ANA, NVME_LOG_LID_ANA);
}

bool kt_ctrl_aer_held(const struct kt_ctrl *c, uint16_t cid)
{
	for (unsigned i = 0; i < c->n_aer; i++)
		if (c->aer_cids[i] == cid)
			return true;
	return false;
}

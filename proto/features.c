/*
 * features.c - Get Features and Set Features (NVMe Base 2.0 sections 5.15
 * and 5.27) for the features a fabrics controller keeps: arbitration, power
 * management, temperature threshold, error recovery, volatile write cache,
 * number of queues, write atomicity, asynchronous event configuration, the
 * keep-alive timer and the host identifier. Nothing is saveable.
 */
#include "proto/admin_req.h"
#include "proto/ana.h"

#define FID(cdw10) ((uint8_t)(cdw10))
#define SEL(cdw10) (((cdw10) >> 8) & 0x7u)
#define SV(cdw10) ((cdw10) & (1u << 31))

enum { SEL_CURRENT = 0, SEL_DEFAULT = 1, SEL_SAVED = 2, SEL_CAPS = 3 };

/* Supported capabilities (SEL 11b) dw0 bits. */
#define CAP_SAVEABLE (1u << 0)
#define CAP_NS_SPECIFIC (1u << 1)
#define CAP_CHANGEABLE (1u << 2)

/* Temperature Threshold: TMPSEL 19:16 (0 composite, Fh all sensors on
 * Set), THSEL 21:20 (0 over, 1 under). feat_temp_thresh keeps the over
 * threshold in bits 15:0 and the under threshold in bits 31:16. */
#define TMPSEL(v) (((v) >> 16) & 0xfu)
#define THSEL(v) (((v) >> 20) & 0x3u)
#define TEMP_OVER_DEFAULT 343u /* = WCTEMP */

static uint16_t invalid_field(struct kt_admin_req *r, uint16_t loc)
{
	r->err_loc = loc;
	return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true);
}

static bool fid_supported(const struct kt_ctrl *c, uint8_t fid)
{
	if (c->discovery)
		return fid == NVME_FEAT_FID_KATO || fid == NVME_FEAT_FID_ASYNC_EVENT;
	switch (fid) {
	case NVME_FEAT_FID_ARBITRATION:
	case NVME_FEAT_FID_POWER_MGMT:
	case NVME_FEAT_FID_TEMP_THRESH:
	case NVME_FEAT_FID_ERR_RECOVERY:
	case NVME_FEAT_FID_NUM_QUEUES:
	case NVME_FEAT_FID_WRITE_ATOMIC:
	case NVME_FEAT_FID_ASYNC_EVENT:
	case NVME_FEAT_FID_KATO:
	case NVME_FEAT_FID_HOST_ID:
		return true;
	case NVME_FEAT_FID_VOLATILE_WC:
		/* Without a volatile write cache the feature does not exist. */
		return kt_admin_any_vwc(c->subsys);
	default:
		return false;
	}
}

/* The Asynchronous Event Configuration bits we can honour: SMART critical
 * warnings (7:0) and the notices OAES advertises (Namespace Attribute
 * Notices, bit 8, and ANA Change Notices, bit 11, on I/O controllers;
 * Discovery Log Page Change, bit 31, on discovery ones). */
static uint32_t aec_supported(const struct kt_ctrl *c)
{
	return c->discovery ? 1u << 31 : 0xffu | NVME_CTRL_OAES_NA | KT_AEN_CFG_ANA_CHANGE;
}

static uint32_t nr_queues_dw0(uint16_t n)
{
	uint32_t z = n ? n - 1u : 0;
	return z | z << 16;
}

/* Value of a feature, current or default; temperature needs CDW11. */
static uint32_t feature_value(const struct kt_ctrl *c, uint8_t fid, bool dflt, uint32_t cdw11)
{
	switch (fid) {
	case NVME_FEAT_FID_ARBITRATION:
		return dflt ? 0 : c->feat_arbitration;
	case NVME_FEAT_FID_POWER_MGMT:
		return dflt ? 0 : c->feat_power_mgmt;
	case NVME_FEAT_FID_TEMP_THRESH: {
		uint32_t v = dflt ? TEMP_OVER_DEFAULT : c->feat_temp_thresh;
		return THSEL(cdw11) ? v >> 16 : v & 0xffffu;
	}
	case NVME_FEAT_FID_ERR_RECOVERY:
		return dflt ? 0 : c->feat_err_recovery;
	case NVME_FEAT_FID_VOLATILE_WC:
		return dflt ? 1 : c->feat_vwc;
	case NVME_FEAT_FID_NUM_QUEUES:
		return nr_queues_dw0(dflt ? c->max_io_queues : c->nr_io_queues);
	case NVME_FEAT_FID_WRITE_ATOMIC:
		return dflt ? 0 : c->feat_write_atomicity;
	case NVME_FEAT_FID_ASYNC_EVENT:
		return dflt ? 0 : c->feat_aec;
	case NVME_FEAT_FID_KATO:
		/* The default is what the Connect asked for (rounded). */
		return dflt ? c->kato_default_ms : c->kato_ms;
	default:
		return 0;
	}
}

uint16_t kt_admin_get_features(struct kt_admin_req *r)
{
	struct kt_ctrl *c = r->c;
	uint32_t cdw10 = kt_cdw10(r->cmd), cdw11 = kt_cdw11(r->cmd);
	uint8_t fid = FID(cdw10);
	unsigned sel = SEL(cdw10);
	uint32_t dw0;

	if (!fid_supported(c, fid))
		return invalid_field(r, KT_SQE_OFF_CDW10);
	if (sel > SEL_CAPS)
		return invalid_field(r, KT_SQE_OFF_CDW10 + 1);

	if (sel == SEL_CAPS) {
		/* Nothing saveable, nothing per namespace; everything the host
		 * may change but the host identifier (fixed by Connect). */
		dw0 = fid == NVME_FEAT_FID_HOST_ID ? 0 : CAP_CHANGEABLE;
		r->cmd->cqe.dw0 = htole32(dw0);
		return NVME_SC_SUCCESS;
	}

	if (fid == NVME_FEAT_FID_HOST_ID) {
		uint16_t st;

		/* EXHID: fabrics uses the 128-bit identifier only. */
		if (!(cdw11 & 1u))
			return invalid_field(r, KT_SQE_OFF_CDW11);
		st = kt_admin_need(r, 16);
		if (st)
			return st;
		kt_admin_put(r, c->hostid, 16);
		return NVME_SC_SUCCESS;
	}
	if (fid == NVME_FEAT_FID_TEMP_THRESH && (TMPSEL(cdw11) != 0 || THSEL(cdw11) > 1))
		return invalid_field(r, KT_SQE_OFF_CDW11 + 2);

	/* Saved = default: no feature is saveable. */
	dw0 = feature_value(c, fid, sel != SEL_CURRENT, cdw11);
	r->cmd->cqe.dw0 = htole32(dw0);
	return NVME_SC_SUCCESS;
}

static uint16_t set_num_queues(struct kt_admin_req *r, uint32_t v)
{
	struct kt_ctrl *c = r->c;
	uint32_t nsqr = v & 0xffffu, ncqr = v >> 16;
	uint32_t n;

	/* Only before any I/O queue exists (the transport counts them). */
	if (atomic_load(&c->io_queues))
		return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR, true);
	if (nsqr == 0xffffu || ncqr == 0xffffu || !c->max_io_queues)
		return invalid_field(r, KT_SQE_OFF_CDW11);
	/* Fabrics I/O queues are submission/completion pairs: grant the
	 * smaller request, capped by what the subsystem allows. */
	n = (nsqr < ncqr ? nsqr : ncqr) + 1;
	if (n > c->max_io_queues)
		n = c->max_io_queues;
	c->nr_io_queues = (uint16_t)n;
	r->cmd->cqe.dw0 = htole32(nr_queues_dw0(c->nr_io_queues));
	return NVME_SC_SUCCESS;
}

static uint16_t set_temp_thresh(struct kt_admin_req *r, uint32_t v)
{
	struct kt_ctrl *c = r->c;
	uint32_t tmpth = v & 0xffffu;

	if ((TMPSEL(v) != 0 && TMPSEL(v) != 0xf) || THSEL(v) > 1)
		return invalid_field(r, KT_SQE_OFF_CDW11 + 2);
	if (THSEL(v) == 0)
		c->feat_temp_thresh = (c->feat_temp_thresh & 0xffff0000u) | tmpth;
	else
		c->feat_temp_thresh = (c->feat_temp_thresh & 0xffffu) | tmpth << 16;
	return NVME_SC_SUCCESS;
}

uint16_t kt_admin_set_features(struct kt_admin_req *r)
{
	struct kt_ctrl *c = r->c;
	uint32_t cdw10 = kt_cdw10(r->cmd), v = kt_cdw11(r->cmd);
	uint32_t nsid = kt_nsid(r->cmd);
	uint8_t fid = FID(cdw10);

	if (!fid_supported(c, fid))
		return invalid_field(r, KT_SQE_OFF_CDW10);
	if (SV(cdw10)) {
		r->err_loc = KT_SQE_OFF_CDW10 + 3;
		return KT_STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_FEATURE_NOT_SAVEABLE, true);
	}
	/* Every feature here but Error Recovery is controller-wide. */
	if (fid != NVME_FEAT_FID_ERR_RECOVERY && nsid != 0 && nsid != NVME_NSID_ALL) {
		r->err_loc = KT_SQE_OFF_NSID;
		return KT_STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_FEATURE_NOT_PER_NS, true);
	}

	switch (fid) {
	case NVME_FEAT_FID_ARBITRATION:
		/* Round robin only: the burst and weights are kept and reported,
		 * and change nothing. */
		c->feat_arbitration = v;
		return NVME_SC_SUCCESS;
	case NVME_FEAT_FID_POWER_MGMT:
		/* One power state (NPSS 0) and no workload hints. */
		if (v & 0xffu)
			return invalid_field(r, KT_SQE_OFF_CDW11);
		c->feat_power_mgmt = 0;
		return NVME_SC_SUCCESS;
	case NVME_FEAT_FID_TEMP_THRESH:
		return set_temp_thresh(r, v);
	case NVME_FEAT_FID_ERR_RECOVERY:
		/* DULBE needs NSFEAT bit 2, which we do not advertise. */
		if (v & (1u << 16))
			return invalid_field(r, KT_SQE_OFF_CDW11 + 2);
		c->feat_err_recovery = v & 0xffffu;
		return NVME_SC_SUCCESS;
	case NVME_FEAT_FID_VOLATILE_WC:
		c->feat_vwc = v & 1u;
		return NVME_SC_SUCCESS;
	case NVME_FEAT_FID_NUM_QUEUES:
		return set_num_queues(r, v);
	case NVME_FEAT_FID_WRITE_ATOMIC:
		c->feat_write_atomicity = v & 1u;
		return NVME_SC_SUCCESS;
	case NVME_FEAT_FID_ASYNC_EVENT:
		/* Bits for events we cannot raise are dropped rather than
		 * refused: SPDK sets the SMART bits on every controller and a
		 * refusal would fail its initialisation. Get reports what holds. */
		c->feat_aec = v & aec_supported(c);
		return NVME_SC_SUCCESS;
	case NVME_FEAT_FID_KATO: {
		/* a keep-alive policy may refuse the change (proto/kapolicy.h) */
		uint16_t refused = kt_kapol_set_kato_status(c->ka_pol);
		if (refused)
			return refused;
		c->kato_ms = kt_ctrl_kato_round(c, v);
		kt_ctrl_ka_rearm(c, r->now_ms);
		return NVME_SC_SUCCESS;
	}
	default: /* NVME_FEAT_FID_HOST_ID: set by Connect on fabrics */
		return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR, true);
	}
}

/*
 * identify.c - the Identify command (NVMe Base 2.0 section 5.17; NVM
 * Command Set 1.0 section 4.1.5): the controller and namespace data
 * structures an I/O or a discovery controller reports, the active
 * namespace lists and the namespace identification descriptors, with the
 * Asymmetric Namespace Access fields of proto/ana.h.
 */
#include "proto/admin_req.h"
#include "proto/ana.h"

static_assert(KT_AEN_CFG_ANA_CHANGE == NVME_CTRL_OAES_ANA, "OAES and AEC share bit 11");

#define CNS(cdw10) ((cdw10) & 0xffu)
#define CSI(cdw11) (((cdw11) >> 24) & 0xffu)

static uint16_t invalid_field(struct kt_admin_req *r, uint16_t loc)
{
	r->err_loc = loc;
	return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true);
}

static uint16_t invalid_ns(struct kt_admin_req *r)
{
	r->err_loc = KT_SQE_OFF_NSID;
	return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_NS, true);
}

/* ---- CNS 01h: Identify Controller ----------------------------------------- */

static void id_ctrl_common(const struct kt_ctrl *c, struct nvme_id_ctrl *id)
{
	const struct kt_subsys *s = c->subsys;
	const struct kt_target *t = c->target;
	const char *nqn = s->nqn[0] ? s->nqn : t->disc_nqn;

	id->vid = 0;
	id->ssvid = 0;
	kt_copy_padded(id->sn, sizeof(id->sn), s->serial);
	kt_copy_padded(id->mn, sizeof(id->mn), s->model);
	kt_copy_padded(id->fr, sizeof(id->fr), s->firmware);
	id->ieee[0] = (uint8_t)(s->ieee_oui);
	id->ieee[1] = (uint8_t)(s->ieee_oui >> 8);
	id->ieee[2] = (uint8_t)(s->ieee_oui >> 16);
	id->mdts = t->mdts;
	id->cntlid = htole16(c->cntlid);
	id->ver = htole32(s->version);
	/* CTRATT: bit 0 128-bit Host Identifier (required on fabrics),
	 * bit 6 traffic-based keep-alive. */
	id->ctratt = htole32(1u | (c->ka_traffic_based ? 1u << 6 : 0));
	id->aerl = KT_AER_MAX - 1;
	id->kas = htole16(kt_ctrl_kas(c)); /* the target's, or a policy's */
	/* Any active command may be outstanding; the transport bounds it by
	 * the queue size. */
	id->maxcmd = htole16((uint16_t)(t->mqes + 1u));
	/* SGLS and MSDBD: the transport's (proto/xport.c) */
	id->sgls = htole32(kt_port_xport(c->port)->sgls);
	strncpy(id->subnqn, nqn, sizeof(id->subnqn));
	id->msdbd = kt_port_xport(c->port)->msdbd;
}

static void id_ctrl_io(const struct kt_ctrl *c, struct nvme_id_ctrl *id)
{
	const struct kt_subsys *s = c->subsys;

	id->rab = 6;
	/* CMIC, as nvmet: bit 0, a subsystem may be reached through more than
	 * one port; bit 1, more than one controller may exist (one per host
	 * and connection); bit 3, ANA reporting (proto/ana.h). The Linux host
	 * reads the ANA log only with bit 3 set and multipaths by bit 1. */
	id->cmic = NVME_CTRL_CMIC_MULTI_PORT | NVME_CTRL_CMIC_MULTI_CTRL |
		   NVME_CTRL_CMIC_MULTI_ANA_REPORTING;
	id->rtd3r = 0;
	id->rtd3e = 0;
	/* OAES bit 8: Namespace Attribute Notices (namespaces come and go live,
	 * daemon/core/live.c; the Linux host enables the event only if
	 * advertised); bit 11: ANA Change Notices (kt_ctrl_ana_changed). */
	id->oaes = htole32(NVME_CTRL_OAES_NA | KT_AEN_CFG_ANA_CHANGE);
	id->cntrltype = 1;
	id->oacs = 0;
	id->acl = 3;
	id->frmw = 0x03; /* slot 1 read-only, 1 slot */
	/* LPA: bit 1 Commands Supported and Effects, bit 2 extended data
	 * (NUMDU, LPOL/LPOU); no per-namespace SMART, no telemetry. */
	id->lpa = 0x06;
	id->elpe = KT_ERRLOG_MAX - 1;
	id->npss = 0;
	id->wctemp = htole16(343);
	id->cctemp = htole16(373);
	/* ANA: every state reported (ANACAP bits 4:0, nothing on the group id
	 * of a namespace: no Namespace Management), nvmet's transition time,
	 * groups 1..KT_ANA_GRP_MAX, and MNAN, which with NANAGRPID bounds the
	 * ANA log a host has to read. */
	id->anatt = KT_ANA_TT_S;
	id->anacap = NVME_CTRL_ANACAP_OPT | NVME_CTRL_ANACAP_NON_OPT | NVME_CTRL_ANACAP_INACCESSIBLE |
		     NVME_CTRL_ANACAP_PERSISTENT_LOSS | NVME_CTRL_ANACAP_CHANGE;
	id->anagrpmax = htole32(KT_ANA_GRP_MAX);
	id->nanagrpid = htole32(KT_ANA_GRP_MAX);
	id->mnan = htole32(KT_ANA_MNAN);
	id->sqes = 0x66;
	id->cqes = 0x44;
	id->nn = htole32(kt_admin_nn(c));
	/* ONCS: Compare (bit 0), Dataset Management (bit 2), Write Zeroes (bit 3). */
	id->oncs = htole16(NVME_CTRL_ONCS_COMPARE | NVME_CTRL_ONCS_DSM | NVME_CTRL_ONCS_WRITE_ZEROES);
	/* VWC: bit 0 present; bits 2:1 = 10b, Flush with NSID FFFFFFFFh is not
	 * supported (each namespace is flushed on its own). */
	id->vwc = (uint8_t)(0x04u | (kt_admin_any_vwc(s) ? 0x01u : 0));
	id->ioccsz = htole32(c->ioccsz_bytes / 16);
	id->iorcsz = htole32(kt_port_xport(c->port)->iorcsz);
	id->icdoff = 0;
	id->fcatt = 0; /* dynamic controller model */
	id->ofcs = htole16(1); /* Disconnect supported */
}

/* A discovery controller (NVMe Base 2.0, "Identify Controller data
 * structure" for discovery controllers): no namespaces, no I/O queues, no
 * optional log pages but the discovery log. */
static void id_ctrl_disc(const struct kt_ctrl *c, struct nvme_id_ctrl *id)
{
	(void)c;
	/* OAES bit 31: Discovery Log Page Change notices. */
	id->oaes = htole32(1u << 31);
	id->cntrltype = 2;
	id->lpa = 0x04; /* extended data for Get Log Page */
	id->dctype = 1; /* direct discovery controller */
}

static uint16_t identify_ctrl(struct kt_admin_req *r, struct nvme_id_ctrl *id)
{
	id_ctrl_common(r->c, id);
	if (r->c->discovery)
		id_ctrl_disc(r->c, id);
	else
		id_ctrl_io(r->c, id);
	return NVME_SC_SUCCESS;
}

/* ---- Namespaces --------------------------------------------------------- */

/* The namespace an Identify names: NULL with *status 0 for a valid NSID no
 * active namespace has (zero-filled answer), NULL with Invalid Namespace
 * for NSID 0, FFFFFFFFh or beyond NN. */
static const struct kt_ns *id_ns_lookup(struct kt_admin_req *r, uint16_t *status)
{
	uint32_t nsid = kt_nsid(r->cmd);

	*status = NVME_SC_SUCCESS;
	if (nsid == 0 || nsid == NVME_NSID_ALL || nsid > kt_admin_nn(r->c)) {
		*status = invalid_ns(r);
		return NULL;
	}
	return kt_subsys_find_ns(r->c->subsys, nsid);
}

/* The namespace cannot be reached through the controller's port: its ANA
 * group is inaccessible or in persistent loss there. */
static bool ana_unreachable(const struct kt_ctrl *c, const struct kt_ns *ns)
{
	uint8_t st = kt_port_ana_state(c->port, ns->anagrpid);

	return st == NVME_ANA_STATE_INACCESSIBLE || st == NVME_ANA_STATE_PERSISTENT_LOSS;
}

static uint8_t ns_dlfeat(const struct kt_ns *ns)
{
	/* bits 2:0 = 001b: a deallocated block reads as zeroes. */
	return ns->can_discard ? 0x01 : 0x00;
}

static uint16_t identify_ns(struct kt_admin_req *r, struct nvme_id_ns *id)
{
	uint16_t st;
	const struct kt_ns *ns = id_ns_lookup(r, &st);

	if (!ns)
		return st;
	id->nsze = htole64(ns->nblocks);
	id->ncap = htole64(ns->nblocks);
	/* Fully provisioned (NSFEAT bit 0 clear): NUSE = NSZE, but 0 while the
	 * path is inaccessible or lost, as the spec asks of an ANA-reporting
	 * controller (and nvmet does). */
	if (!ana_unreachable(r->c, ns))
		id->nuse = htole64(ns->nblocks);
	id->nsfeat = 0;
	id->nlbaf = 0;  /* one format, zero-based */
	id->flbas = 0;
	id->nmic = 1;   /* may be attached to several controllers */
	id->dlfeat = ns_dlfeat(ns);
	id->anagrpid = htole32(ns->anagrpid);
	memcpy(id->nguid, ns->nguid, sizeof(id->nguid));
	id->lbaf[0].ms = 0;
	id->lbaf[0].ds = ns->lba_shift;
	id->lbaf[0].rp = 0;
	return NVME_SC_SUCCESS;
}

/* CNS 02h / 07h: active NSIDs greater than NSID, ascending, up to 1024. */
static uint16_t identify_ns_list(struct kt_admin_req *r, struct nvme_ns_list *list)
{
	uint32_t nsid = kt_nsid(r->cmd);
	const struct kt_subsys *s = r->c->subsys;
	unsigned n = 0;

	if (nsid >= 0xfffffffeu)
		return invalid_ns(r);
	for (size_t i = 0; i < s->n_ns && n < NVME_ID_NS_LIST_MAX; i++)
		if (s->ns[i]->enabled && s->ns[i]->nsid > nsid)
			list->ns[n++] = htole32(s->ns[i]->nsid);
	return NVME_SC_SUCCESS;
}

static size_t put_desc(uint8_t *buf, size_t off, uint8_t type, const void *id, uint8_t len)
{
	buf[off] = type;
	buf[off + 1] = len;
	buf[off + 2] = buf[off + 3] = 0;
	memcpy(buf + off + 4, id, len);
	return off + 4 + len;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* CNS 03h: NGUID, UUID (when set) and CSI descriptors of an active
 * namespace. An NSID that names no active namespace has no identifiers
 * to report: Invalid Namespace, as the Linux target answers. */
static uint16_t identify_desc_list(struct kt_admin_req *r, uint8_t *buf)
{
	uint32_t nsid = kt_nsid(r->cmd);
	const struct kt_ns *ns = kt_subsys_find_ns(r->c->subsys, nsid);
	uint8_t csi = NVME_CSI_NVM;
	size_t off = 0;

	if (!ns || nsid > kt_admin_nn(r->c))
		return invalid_ns(r);
	if (!all_zero(ns->nguid, 16))
		off = put_desc(buf, off, NVME_NIDT_NGUID, ns->nguid, NVME_NIDT_NGUID_LEN);
	if (!all_zero(ns->uuid, 16))
		off = put_desc(buf, off, NVME_NIDT_UUID, ns->uuid, NVME_NIDT_UUID_LEN);
	put_desc(buf, off, NVME_NIDT_CSI, &csi, NVME_NIDT_CSI_LEN);
	return NVME_SC_SUCCESS;
}

/* CNS 05h, CSI NVM: the NVM Command Set specific namespace structure. We
 * have no protection information and no storage tags: all zero, but only
 * for a valid NSID (an inactive one is zero-filled too). */
static uint16_t identify_csi_ns(struct kt_admin_req *r, struct nvme_nvm_id_ns *id)
{
	uint16_t st;

	(void)id;
	id_ns_lookup(r, &st);
	return st;
}

/* CNS 08h: I/O Command Set Independent Identify Namespace. */
static uint16_t identify_indep_ns(struct kt_admin_req *r, struct nvme_id_independent_id_ns *id)
{
	uint16_t st;
	const struct kt_ns *ns = id_ns_lookup(r, &st);

	if (!ns)
		return st;
	id->nsfeat = 0;
	id->nmic = 1;
	id->anagrpid = htole32(ns->anagrpid);
	id->nstat = 1; /* namespace ready */
	return NVME_SC_SUCCESS;
}

uint16_t kt_admin_identify(struct kt_admin_req *r)
{
	union {
		struct nvme_id_ctrl ctrl;
		struct nvme_id_ns ns;
		struct nvme_ns_list list;
		struct nvme_nvm_id_ns nvm_ns;
		struct nvme_id_ctrl_nvm nvm_ctrl;
		struct nvme_id_independent_id_ns indep;
		uint8_t raw[KT_IDENTIFY_LEN];
	} u;
	uint32_t cdw10 = kt_cdw10(r->cmd), cdw11 = kt_cdw11(r->cmd);
	uint8_t cns = CNS(cdw10);
	uint16_t st;

	_Static_assert(sizeof(u) == KT_IDENTIFY_LEN, "identify structures are 4 KiB");

	if (r->c->discovery && cns != NVME_IDENTIFY_CNS_CTRL)
		return invalid_field(r, KT_SQE_OFF_CDW10);
	/* CSI (CDW11 31:24) selects a command set for CNS 05h-07h only. */
	switch (cns) {
	case NVME_IDENTIFY_CNS_CSI_NS:
	case NVME_IDENTIFY_CNS_CSI_CTRL:
	case NVME_IDENTIFY_CNS_CSI_NS_ACTIVE_LIST:
		if (CSI(cdw11) != NVME_CSI_NVM)
			return invalid_field(r, KT_SQE_OFF_CDW11 + 3);
		break;
	}

	st = kt_admin_need(r, KT_IDENTIFY_LEN);
	if (st)
		return st;
	memset(&u, 0, sizeof(u));

	switch (cns) {
	case NVME_IDENTIFY_CNS_NS:
		st = identify_ns(r, &u.ns);
		break;
	case NVME_IDENTIFY_CNS_CTRL:
		st = identify_ctrl(r, &u.ctrl);
		break;
	case NVME_IDENTIFY_CNS_NS_ACTIVE_LIST:
	case NVME_IDENTIFY_CNS_CSI_NS_ACTIVE_LIST:
		st = identify_ns_list(r, &u.list);
		break;
	case NVME_IDENTIFY_CNS_NS_DESC_LIST:
		st = identify_desc_list(r, u.raw);
		break;
	case NVME_IDENTIFY_CNS_CSI_NS:
		st = identify_csi_ns(r, &u.nvm_ns);
		break;
	case NVME_IDENTIFY_CNS_CSI_CTRL:
		/* No limits beyond MDTS for Verify, Write Zeroes, Write
		 * Uncorrectable or Dataset Management: all zero. */
		st = NVME_SC_SUCCESS;
		break;
	case NVME_IDENTIFY_CNS_CSI_INDEPENDENT_ID_NS:
		st = identify_indep_ns(r, &u.indep);
		break;
	default:
		return invalid_field(r, KT_SQE_OFF_CDW10);
	}
	if (st == NVME_SC_SUCCESS)
		kt_admin_put(r, u.raw, KT_IDENTIFY_LEN);
	return st;
}

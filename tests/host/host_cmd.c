/*
 * host_cmd.c - the test initiator's command builders: Fabrics (Property
 * Get/Set, Disconnect), controller enable/shutdown, admin helpers (Identify,
 * Get Log Page, features, Keep Alive) and NVM I/O commands. Everything here
 * is a thin layer over kh_cmd(); the transport is in host.c.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "tests/host/host_priv.h"

static void sqe_init(struct kt_sqe *sqe, uint8_t opcode, uint32_t nsid)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = opcode;
	sqe->nsid = htole32(nsid);
}

/* ---- Fabrics ----------------------------------------------------------- */

/* A Property Get or Set capsule for a 4- or 8-byte property at offset. */
static int prop_cmd(struct kt_fabrics_prop_cmd *cmd, uint8_t fctype, uint32_t offset, unsigned size)
{
	if (size != 4 && size != 8)
		return -EINVAL;
	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = KT_OPC_FABRICS;
	cmd->fctype = fctype;
	cmd->attrib = size == 8 ? 1 : 0;
	cmd->offset = htole32(offset);
	return 0;
}

int kh_prop_get(struct kh_host *h, uint32_t offset, unsigned size, uint64_t *value)
{
	struct kt_fabrics_prop_cmd cmd;
	struct kt_cqe cqe;
	int rc = prop_cmd(&cmd, nvme_fabrics_type_property_get, offset, size);

	if (rc)
		return rc;
	rc = kh_admin(h, (struct kt_sqe *)&cmd, NULL, 0, KH_NONE, &cqe);
	if (rc == 0 && value) {
		*value = le32toh(cqe.dw0);
		if (size == 8)
			*value |= (uint64_t)le32toh(cqe.dw1) << 32;
	}
	return rc;
}

int kh_prop_set(struct kh_host *h, uint32_t offset, unsigned size, uint64_t value)
{
	struct kt_fabrics_prop_cmd cmd;
	int rc = prop_cmd(&cmd, nvme_fabrics_type_property_set, offset, size);

	if (rc)
		return rc;
	cmd.value = htole64(value);
	return kh_admin(h, (struct kt_sqe *)&cmd, NULL, 0, KH_NONE, NULL);
}

int kh_disconnect(struct kh_host *h)
{
	struct kt_sqe sqe;

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = KT_OPC_FABRICS;
	((uint8_t *)&sqe)[4] = nvme_fabrics_type_disconnect;
	return kh_admin(h, &sqe, NULL, 0, KH_NONE, NULL);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Polls CSTS until (csts & mask) == want, for at most timeout_ms. */
static int wait_csts(struct kh_host *h, uint32_t mask, uint32_t want, uint64_t timeout_ms)
{
	uint64_t deadline = kh_now_ms() + timeout_ms;
	uint64_t csts;
	int rc;

	for (;;) {
		rc = kh_prop_get(h, NVME_REG_CSTS, 4, &csts);
		if (rc)
			return rc;
		if (((uint32_t)csts & mask) == want)
			return 0;
		if (NVME_CSTS_CFS((uint32_t)csts))
			return -EIO;
		if (kh_now_ms() >= deadline)
			return -ETIMEDOUT;
		sleep_ms(5);
	}
}

/* How long CAP.TO allows (500 ms units), at least the connection timeout. */
static uint64_t ready_timeout(struct kh_host *h, int *rc)
{
	uint64_t cap = 0, to;

	*rc = kh_prop_get(h, NVME_REG_CAP, 8, &cap);
	to = ((cap >> 24) & 0xff) * 500u;
	return to > (uint64_t)h->timeout_ms ? to : (uint64_t)h->timeout_ms;
}

int kh_enable(struct kh_host *h)
{
	uint32_t cc = (1u << NVME_CC_EN_SHIFT) | (6u << NVME_CC_IOSQES_SHIFT) |
		      (4u << NVME_CC_IOCQES_SHIFT);
	uint64_t to;
	int rc;

	to = ready_timeout(h, &rc);
	if (rc)
		return rc;
	rc = kh_prop_set(h, NVME_REG_CC, 4, cc);
	if (rc)
		return rc;
	return wait_csts(h, 1u << NVME_CSTS_RDY_SHIFT, 1u << NVME_CSTS_RDY_SHIFT, to);
}

int kh_disable(struct kh_host *h)
{
	uint64_t cc, to;
	int rc;

	to = ready_timeout(h, &rc);
	if (rc)
		return rc;
	rc = kh_prop_get(h, NVME_REG_CC, 4, &cc);
	if (rc)
		return rc;
	rc = kh_prop_set(h, NVME_REG_CC, 4, cc & ~(uint64_t)1);
	if (rc)
		return rc;
	return wait_csts(h, 1u << NVME_CSTS_RDY_SHIFT, 0, to);
}

int kh_shutdown(struct kh_host *h)
{
	uint64_t cc;
	int rc;

	rc = kh_prop_get(h, NVME_REG_CC, 4, &cc);
	if (rc)
		return rc;
	cc &= ~((uint64_t)NVME_CC_SHN_MASK << NVME_CC_SHN_SHIFT);
	cc |= (uint64_t)NVME_CC_SHN_NORMAL << NVME_CC_SHN_SHIFT;
	rc = kh_prop_set(h, NVME_REG_CC, 4, cc);
	if (rc)
		return rc;
	return wait_csts(h, NVME_CSTS_SHST_MASK << NVME_CSTS_SHST_SHIFT,
			 NVME_CSTS_SHST_CMPLT << NVME_CSTS_SHST_SHIFT, (uint64_t)h->timeout_ms);
}

int kh_admin_up(struct kh_host **out, const char *addr, uint16_t port, const struct kh_opts *opts)
{
	int rc = kh_connect(out, addr, port, opts, NULL);

	if (rc)
		return rc;
	rc = kh_enable(*out);
	if (rc) {
		kh_close(*out);
		*out = NULL;
	}
	return rc;
}

int kh_io_up(struct kh_host **out, struct kh_host *admin, const char *addr, uint16_t port,
	     uint16_t qid, const struct kh_opts *opts, struct kt_cqe *cqe)
{
	struct nvme_id_ctrl id;
	struct kh_opts o;
	int rc;

	rc = kh_identify_ctrl(admin, &id);
	if (rc)
		return rc;
	if (opts)
		o = *opts;
	else
		memset(&o, 0, sizeof(o));
	o.hostnqn = admin->o.hostnqn;
	memcpy(o.hostid, admin->o.hostid, sizeof(o.hostid));
	o.subnqn = admin->o.subnqn;
	if (!o.tls)
		o.tls = admin->o.tls; /* TLS on every queue, as the Linux host */
	o.cntlid = admin->cntlid;
	o.qid = qid;
	if (!opts || !opts->sqsize)
		o.sqsize = 127;
	if (!o.icd_bytes)
		o.icd_bytes = kh_id_ctrl_icd(&id);
	return kh_connect(out, addr, port, &o, cqe);
}

int kh_assoc_up(struct kh_host **admin, struct kh_host **io, const char *addr, uint16_t port,
		const struct kh_opts *opts)
{
	int rc = kh_admin_up(admin, addr, port, opts);

	*io = NULL;
	if (rc)
		return rc;
	rc = kh_io_up(io, *admin, addr, port, 1, opts, NULL);
	if (rc) {
		kh_close(*admin);
		*admin = NULL;
	}
	return rc;
}

/* ---- Admin -------------------------------------------------------------- */

int kh_identify(struct kh_host *h, uint8_t cns, uint32_t nsid, uint16_t cntid, void *buf4k)
{
	struct kt_sqe sqe;

	sqe_init(&sqe, nvme_admin_identify, nsid);
	sqe.cdw10 = htole32(cns | ((uint32_t)cntid << 16));
	return kh_admin(h, &sqe, buf4k, 4096, KH_C2H, NULL);
}

int kh_identify_ctrl(struct kh_host *h, struct nvme_id_ctrl *id)
{
	return kh_identify(h, NVME_IDENTIFY_CNS_CTRL, 0, 0, id);
}

int kh_identify_ns(struct kh_host *h, uint32_t nsid, struct nvme_id_ns *id)
{
	return kh_identify(h, NVME_IDENTIFY_CNS_NS, nsid, 0, id);
}

int kh_get_log(struct kh_host *h, uint8_t lid, uint32_t nsid, uint8_t lsp, uint64_t offset,
	       void *buf, uint32_t len)
{
	struct kt_sqe sqe;
	uint32_t numd;

	if (len < 4 || len % 4)
		return -EINVAL;
	numd = len / 4 - 1;
	sqe_init(&sqe, nvme_admin_get_log_page, nsid);
	sqe.cdw10 = htole32(lid | ((uint32_t)(lsp & 0x7f) << 8) | ((numd & 0xffff) << 16));
	sqe.cdw11 = htole32(numd >> 16);
	sqe.cdw12 = htole32((uint32_t)offset);
	sqe.cdw13 = htole32((uint32_t)(offset >> 32));
	return kh_admin(h, &sqe, buf, len, KH_C2H, NULL);
}

/* Get or Set Features (opcode): cdw11 as given, dw0 of the completion. */
static int features(struct kh_host *h, uint8_t opcode, uint8_t fid, uint32_t cdw11, uint32_t *dw0)
{
	struct kt_sqe sqe;
	struct kt_cqe cqe;
	int rc;

	sqe_init(&sqe, opcode, 0);
	sqe.cdw10 = htole32(fid);
	sqe.cdw11 = htole32(cdw11);
	rc = kh_admin(h, &sqe, NULL, 0, KH_NONE, &cqe);
	if (rc == 0 && dw0)
		*dw0 = le32toh(cqe.dw0);
	return rc;
}

int kh_get_features(struct kh_host *h, uint8_t fid, uint32_t cdw11, uint32_t *dw0)
{
	return features(h, nvme_admin_get_features, fid, cdw11, dw0);
}

int kh_set_features(struct kh_host *h, uint8_t fid, uint32_t cdw11, uint32_t *dw0)
{
	return features(h, nvme_admin_set_features, fid, cdw11, dw0);
}

int kh_keep_alive(struct kh_host *h)
{
	struct kt_sqe sqe;

	sqe_init(&sqe, nvme_admin_keep_alive, 0);
	return kh_admin(h, &sqe, NULL, 0, KH_NONE, NULL);
}

uint32_t kh_id_ctrl_icd(const struct nvme_id_ctrl *id)
{
	uint32_t ioccsz = le32toh(id->ioccsz) * 16u;

	return ioccsz > 64 ? ioccsz - 64 : 0;
}

uint32_t kh_id_ns_lba_size(const struct nvme_id_ns *id)
{
	/* FLBAS bits 3:0 (and 6:5 for more than 16 formats) pick the format. */
	unsigned idx = (id->flbas & 0x0f) | ((id->flbas >> 1) & 0x30);

	if (idx >= 64)
		return 0;
	return 1u << id->lbaf[idx].ds;
}

/* ---- I/O --------------------------------------------------------------------- */

void kh_sqe_rw(struct kt_sqe *sqe, uint8_t opcode, uint32_t nsid, uint64_t slba, uint32_t nlb)
{
	sqe_init(sqe, opcode, nsid);
	sqe->cdw10 = htole32((uint32_t)slba);
	sqe->cdw11 = htole32((uint32_t)(slba >> 32));
	sqe->cdw12 = htole32((nlb - 1) & 0xffff);
}

int kh_read(struct kh_host *h, uint32_t nsid, uint64_t slba, uint32_t nlb, void *buf, uint32_t len)
{
	struct kt_sqe sqe;

	kh_sqe_rw(&sqe, nvme_cmd_read, nsid, slba, nlb);
	return kh_io(h, &sqe, buf, len, KH_C2H, NULL);
}

int kh_write(struct kh_host *h, uint32_t nsid, uint64_t slba, uint32_t nlb, const void *buf,
	     uint32_t len, bool fua)
{
	struct kt_sqe sqe;

	kh_sqe_rw(&sqe, nvme_cmd_write, nsid, slba, nlb);
	if (fua)
		sqe.cdw12 |= htole32(1u << 30);
	return kh_io(h, &sqe, (void *)buf, len, KH_H2C, NULL);
}

int kh_flush(struct kh_host *h, uint32_t nsid)
{
	struct kt_sqe sqe;

	sqe_init(&sqe, nvme_cmd_flush, nsid);
	return kh_io(h, &sqe, NULL, 0, KH_NONE, NULL);
}

int kh_write_zeroes(struct kh_host *h, uint32_t nsid, uint64_t slba, uint32_t nlb)
{
	struct kt_sqe sqe;

	kh_sqe_rw(&sqe, nvme_cmd_write_zeroes, nsid, slba, nlb);
	return kh_io(h, &sqe, NULL, 0, KH_NONE, NULL);
}

int kh_compare(struct kh_host *h, uint32_t nsid, uint64_t slba, uint32_t nlb, const void *buf,
	       uint32_t len)
{
	struct kt_sqe sqe;

	kh_sqe_rw(&sqe, nvme_cmd_compare, nsid, slba, nlb);
	return kh_io(h, &sqe, (void *)buf, len, KH_H2C, NULL);
}

int kh_dsm_deallocate(struct kh_host *h, uint32_t nsid, const struct nvme_dsm_range *ranges,
		      unsigned nr)
{
	struct kt_sqe sqe;

	if (nr == 0 || nr > 256)
		return -EINVAL;
	sqe_init(&sqe, nvme_cmd_dsm, nsid);
	sqe.cdw10 = htole32(nr - 1);
	sqe.cdw11 = htole32(1u << 2); /* AD: deallocate */
	return kh_io(h, &sqe, (void *)ranges, nr * (uint32_t)sizeof(*ranges), KH_H2C, NULL);
}

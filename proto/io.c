/*
 * io.c - parsing of NVM command set I/O commands (Flush, Write, Read,
 * Compare, Write Zeroes, Dataset Management) into a struct kt_io a backend
 * can execute. Everything a command can get wrong is caught here, before any
 * host data moves and before a backend is touched; counting completed I/O
 * (SMART) is left to the daemon, which knows when it really completed.
 *
 * Every refusal carries Do Not Retry: the same command would fail again.
 * Two kinds of answer are not refusals of the command but of the path, and
 * carry no DNR: I/O to a subsystem that was removed while its controllers
 * are being closed, and I/O to a namespace whose ANA group the controller's
 * port does not serve now (kt_io_parse).
 */
#include <endian.h>
#include <string.h>

#include "proto/ana.h"
#include "proto/cmd.h"
#include "proto/ctrl.h"
#include "proto/model.h"

/* CDW12 of Read / Write / Compare / Write Zeroes (NVM Command Set 1.0). */
#define CDW12_NLB_MASK 0xffffu
#define CDW12_DEAC (1u << 25)          /* Write Zeroes: deallocate */
#define CDW12_PRINFO_SHIFT 26
#define CDW12_PRINFO_MASK (0xfu << CDW12_PRINFO_SHIFT)
#define CDW12_FUA (1u << 30)
/* Dataset Management. */
#define CDW10_DSM_NR_MASK 0xffu
#define DSM_RANGE_BYTES 16u

static_assert(sizeof(struct nvme_dsm_range) == DSM_RANGE_BYTES, "DSM range");

static uint16_t sc_generic(uint16_t sc)
{
	return KT_STATUS(NVME_SCT_GENERIC, sc, true);
}

/* LBA Out of Range: generic status type (SCT 0), code 80h, which the NVM
 * command set defines. */
static uint16_t sc_lba_range(void)
{
	return sc_generic(NVME_SC_LBA_RANGE);
}

/* [slba, slba + nlb) within the namespace, without overflowing. */
static bool range_ok(const struct kt_ns *ns, uint64_t slba, uint64_t nlb)
{
	return slba < ns->nblocks && nlb <= ns->nblocks - slba;
}

/*
 * Read, Write, Compare and Write Zeroes share SLBA (CDW10-11), NLB
 * (CDW12 15:0, zero-based) and FUA (CDW12 bit 30).
 *
 * Decisions:
 * - PRINFO must be 0 and MPTR must be 0: our namespaces carry no protection
 *   information and no separate metadata (NVMe-oF moves metadata, if any,
 *   interleaved), so a host asking for either asks for something we would
 *   silently not do: Invalid Field.
 * - Checks run in the order opcode, namespace, ANA state, fields, LBA range,
 *   MDTS, transfer length, so a request that is wrong in several ways
 *   reports the most fundamental fault (the path before the command's
 *   fields, as nvmet checks it).
 * - The transfer the SGL names must equal (NLB + 1) << LBA shift: the kernel
 *   target answers a mismatch with Data SGL Length Invalid, and so do we.
 *   Flush and Write Zeroes move no data: their SGL must name 0 bytes.
 * - Flush to NSID FFFFFFFFh is Invalid Namespace: Identify Controller
 *   advertises VWC bits 2:1 = 10b (broadcast Flush not supported). Flush is
 *   passed to the backend even without a volatile cache; a backend with
 *   nothing to flush completes it at once.
 * - Dataset Management with the Deallocate attribute becomes KT_IO_DISCARD
 *   where the namespace honours it; elsewhere, and without the attribute, it
 *   is KT_IO_NOP (every DSM attribute is advisory). Its ranges are still
 *   checked by kt_io_parse_data either way.
 */
uint16_t kt_io_parse(struct kt_ctrl *ctrl, struct kt_cmd *cmd)
{
	const struct kt_sqe *sqe = &cmd->sqe;
	struct kt_io *io = &cmd->io;
	uint8_t opc = sqe->opcode;
	struct kt_ns *ns;

	memset(io, 0, sizeof(*io));
	cmd->xfer_len = 0;

	switch (opc) {
	case nvme_cmd_flush:
	case nvme_cmd_write:
	case nvme_cmd_read:
	case nvme_cmd_compare:
	case nvme_cmd_write_zeroes:
	case nvme_cmd_dsm:
		break;
	default:
		return sc_generic(NVME_SC_INVALID_OPCODE);
	}

	/*
	 * Path statuses (SCT 3h), without DNR: the command is fine, the path
	 * is not, and a multipath host sends it again another way.
	 *
	 * The subsystem was removed (daemon/core/live.c) and this controller's
	 * queues are being closed: the command reached us in between. The
	 * host was told nothing (no notice goes out for a removed subsystem:
	 * its connections close, and the host reconnects to find out), so
	 * this is a path going away, not a namespace: Internal Path Error
	 * (SCT 3h, SC 00h), not Invalid Namespace, which the host fails to the
	 * application at once.
	 * Why that status:
	 * - the Linux host (nvme_decide_disposition) fails over any
	 *   path-related status (SCT 3h) of a multipath request: the bios go
	 *   back to the namespace head (nvme_failover_req) and wait for a live
	 *   path (a reconnecting controller counts), with no retry limit; a
	 *   request without multipath is retried (nvme_max_retries times);
	 * - Namespace Not Ready (SCT 0h, 82h) and Transient Transport Error
	 *   (SCT 0h, 22h) are not path errors there: retried on the same
	 *   controller at once (katod sets no Command Retry Delay), at most
	 *   nvme_max_retries (5) times, then failed to the application;
	 * - not an ANA status (below): nothing changed in the namespace's
	 *   group, and the host answers those by re-reading the ANA log,
	 *   which would say so;
	 * - it is what the kernel target answers for a namespace that exists
	 *   but is not serving (nvmet_req_find_ns).
	 * Checked before the namespace, which a removed subsystem no longer
	 * lists: a command katod took before the removal keeps the namespace
	 * it was parsed against (cmd->io.ns) and finishes normally.
	 *
	 * katod reports ANA (proto/ana.h; Identify: CMIC bit 3, ANAGRPID): a
	 * namespace whose group is inaccessible, in persistent loss or in
	 * change on the controller's port gets Asymmetric Access
	 * Inaccessible, Persistent Loss or Transition (SCT 3h: 02h, 01h, 03h),
	 * as nvmet answers (nvmet_check_ana_state). The Linux host fails the
	 * request over to another path and re-reads the ANA log
	 * (nvme_failover_req); while the log shows a group in change it gives
	 * the target ANATT (twice over) before it resets the controller.
	 * Checked once the namespace is known, before its fields.
	 */
	if (ctrl->subsys->removed)
		return KT_STATUS(NVME_SCT_PATH, NVME_SC_ANA_INTERNAL_PATH_ERROR, false);
	ns = kt_subsys_find_ns(ctrl->subsys, le32toh(sqe->nsid));
	if (!ns)
		return sc_generic(NVME_SC_INVALID_NS);
	io->ns = ns;
	{
		uint16_t st = kt_ana_check(ctrl->port, ns);
		if (st)
			return st;
	}
	if (le64toh(sqe->mptr) != 0)
		return sc_generic(NVME_SC_INVALID_FIELD);

	if (opc == nvme_cmd_flush) {
		if (cmd->data_len != 0)
			return sc_generic(NVME_SC_SGL_INVALID_DATA);
		io->op = KT_IO_FLUSH;
		return 0;
	}

	if (opc == nvme_cmd_dsm) {
		uint32_t nr = (le32toh(sqe->cdw10) & CDW10_DSM_NR_MASK) + 1;

		if (cmd->data_len < nr * DSM_RANGE_BYTES)
			return sc_generic(NVME_SC_SGL_INVALID_DATA);
		io->op = ((le32toh(sqe->cdw11) & NVME_DSMGMT_AD) && ns->can_discard) ?
			 KT_IO_DISCARD : KT_IO_NOP;
		return 0;
	}

	uint32_t cdw12 = le32toh(sqe->cdw12);
	uint64_t slba = (uint64_t)le32toh(sqe->cdw10) | ((uint64_t)le32toh(sqe->cdw11) << 32);
	uint64_t nlb = (uint64_t)(cdw12 & CDW12_NLB_MASK) + 1;

	if (cdw12 & CDW12_PRINFO_MASK)
		return sc_generic(NVME_SC_INVALID_FIELD);
	if (!range_ok(ns, slba, nlb))
		return sc_lba_range();

	io->offset = slba << ns->lba_shift;
	io->length = nlb << ns->lba_shift;
	io->fua = (cdw12 & CDW12_FUA) != 0;

	if (opc == nvme_cmd_write_zeroes) {
		/* DEAC (bit 25) is allowed: zeroes are what a deallocated
		 * block reads back as anyway, so writing zeroes honours it. */
		if (cmd->data_len != 0)
			return sc_generic(NVME_SC_SGL_INVALID_DATA);
		io->op = KT_IO_WRITE_ZEROES;
		return 0;
	}

	if (io->length > kt_mdts_bytes(ctrl->target))
		return sc_generic(NVME_SC_INVALID_FIELD);
	if (io->length != cmd->data_len)
		return sc_generic(NVME_SC_SGL_INVALID_DATA);

	switch (opc) {
	case nvme_cmd_read:
		io->op = KT_IO_READ;
		cmd->xfer_len = (uint32_t)io->length;
		break;
	case nvme_cmd_write:
		io->op = KT_IO_WRITE;
		break;
	default:
		io->op = KT_IO_COMPARE;
		break;
	}
	return 0;
}

/*
 * Dataset Management ranges, once the host data is in cmd->data. Each range
 * is LBA-checked against the namespace (a range of 0 blocks is legal and
 * names nothing). The ranges stay in the buffer, little-endian, for the
 * backend; nr_ranges says how many were checked.
 */
uint16_t kt_io_parse_data(struct kt_ctrl *ctrl, struct kt_cmd *cmd)
{
	(void)ctrl;
	if (cmd->sqe.opcode != nvme_cmd_dsm)
		return 0;

	const struct kt_ns *ns = cmd->io.ns;
	uint32_t nr = (le32toh(cmd->sqe.cdw10) & CDW10_DSM_NR_MASK) + 1;

	if (!ns)
		return sc_generic(NVME_SC_INVALID_NS);
	if (!cmd->data || cmd->data_len < nr * DSM_RANGE_BYTES)
		return sc_generic(NVME_SC_SGL_INVALID_DATA);

	for (uint32_t i = 0; i < nr; i++) {
		struct nvme_dsm_range r;

		memcpy(&r, cmd->data + (size_t)i * DSM_RANGE_BYTES, sizeof(r));
		if (le32toh(r.nlb) != 0 && !range_ok(ns, le64toh(r.slba), le32toh(r.nlb)))
			return sc_lba_range();
	}
	cmd->io.nr_ranges = nr;
	return 0;
}

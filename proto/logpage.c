/*
 * logpage.c - the Get Log Page command (NVMe Base 2.0 section 5.16): field
 * checks (NUMD, offset, RAE, LSP, LSI, CSI, UUID index), the pages an I/O
 * controller keeps (supported pages, error information, SMART / health,
 * firmware slot, changed namespace list, commands supported and effects,
 * asymmetric namespace access) and the discovery log, which
 * proto/discovery.c builds. The ANA log (proto/ana.c) may be larger than
 * the other pages and is laid out straight into the host's buffer.
 */
#include "proto/admin_req.h"
#include "proto/ana.h"
#include "proto/fabrics.h"

#define LOG_PAGE_MAX 4096u

struct log_args {
	uint8_t lid;
	uint8_t lsp;
	bool rae;
	uint64_t len;    /* bytes asked for: (NUMD + 1) * 4 */
	uint64_t offset; /* LPOU:LPOL, bytes */
	uint16_t lsi;
	uint8_t csi;
	uint8_t uuid_idx;
	bool ot;         /* offset is an index (never supported here) */
};

static void parse_args(const struct kt_cmd *cmd, struct log_args *a)
{
	uint32_t cdw10 = kt_cdw10(cmd), cdw11 = kt_cdw11(cmd), cdw14 = kt_cdw14(cmd);
	uint64_t numd = ((uint64_t)(cdw11 & 0xffffu) << 16 | cdw10 >> 16) + 1;

	a->lid = (uint8_t)cdw10;
	a->lsp = (uint8_t)((cdw10 >> 8) & 0x7fu);
	a->rae = cdw10 & (1u << 15);
	a->len = numd * 4;
	a->lsi = (uint16_t)(cdw11 >> 16);
	a->offset = (uint64_t)kt_cdw13(cmd) << 32 | kt_cdw12(cmd);
	a->uuid_idx = (uint8_t)(cdw14 & 0x7fu);
	a->ot = cdw14 & (1u << 23);
	a->csi = (uint8_t)(cdw14 >> 24);
}

static bool lid_supported(const struct kt_ctrl *c, uint8_t lid)
{
	if (c->discovery)
		return lid == NVME_LOG_LID_DISCOVER || lid == NVME_LOG_LID_SUPPORTED_LOG_PAGES;
	switch (lid) {
	case NVME_LOG_LID_SUPPORTED_LOG_PAGES:
	case NVME_LOG_LID_ERROR:
	case NVME_LOG_LID_SMART:
	case NVME_LOG_LID_FW_SLOT:
	case NVME_LOG_LID_CHANGED_NS:
	case NVME_LOG_LID_CMD_EFFECTS:
	case NVME_LOG_LID_ANA:
		return true;
	default:
		return false;
	}
}

/* ---- Pages -------------------------------------------------------------- */

static uint32_t log_supported(const struct kt_ctrl *c, uint8_t *buf)
{
	struct nvme_supported_log_pages *p = (void *)buf;

	for (unsigned lid = 0; lid < NVME_LOG_SUPPORTED_LOG_PAGES_MAX; lid++)
		if (lid_supported(c, (uint8_t)lid))
			p->lid_support[lid] = htole32(1); /* LSUPP */
	return sizeof(*p);
}

/* Newest entry first; entries we never had stay zero (error count 0). */
static uint32_t log_error(const struct kt_ctrl *c, uint8_t *buf)
{
	struct nvme_error_log_page *e = (void *)buf;
	uint64_t n = c->err_count < KT_ERRLOG_MAX ? c->err_count : KT_ERRLOG_MAX;

	for (uint64_t i = 0; i < n; i++)
		e[i] = c->errlog[(c->err_count - 1 - i) % KT_ERRLOG_MAX];
	return KT_ERRLOG_MAX * sizeof(*e);
}

static void put_u128(uint8_t dst[16], uint64_t v)
{
	v = htole64(v);
	memcpy(dst, &v, 8);
	memset(dst + 8, 0, 8);
}

/* Data units: thousands of 512-byte units, rounded up (1 = 1..1000 units). */
static uint64_t data_units(uint64_t bytes)
{
	uint64_t units = bytes / 512 + (bytes % 512 ? 1 : 0);
	return units / 1000 + (units % 1000 ? 1 : 0);
}

static uint32_t log_smart(const struct kt_ctrl *c, uint64_t now_ms, uint8_t *buf)
{
	struct nvme_smart_log *s = (void *)buf;
	const uint16_t kelvin = 296; /* a constant room temperature: no sensor */
	uint64_t on_ms = now_ms > c->start_ms ? now_ms - c->start_ms : 0;

	/* Critical warning bit 1: the temperature is at or beyond a threshold
	 * the host set with Set Features Temperature Threshold. */
	if (kelvin >= (c->feat_temp_thresh & 0xffffu) || kelvin <= (c->feat_temp_thresh >> 16))
		s->critical_warning = 0x02;
	s->temperature[0] = (uint8_t)kelvin;
	s->temperature[1] = (uint8_t)(kelvin >> 8);
	s->avail_spare = 100;
	s->spare_thresh = 10;
	s->percent_used = 0;
	put_u128(s->data_units_read, data_units(atomic_load(&c->bytes_read)));
	put_u128(s->data_units_written, data_units(atomic_load(&c->bytes_written)));
	put_u128(s->host_reads, atomic_load(&c->host_reads));
	put_u128(s->host_writes, atomic_load(&c->host_writes));
	put_u128(s->power_cycles, 1);
	put_u128(s->power_on_hours, on_ms / 3600000u);
	put_u128(s->num_err_log_entries, kt_ctrl_err_total(c));
	return sizeof(*s);
}

static uint32_t log_fw_slot(const struct kt_ctrl *c, uint8_t *buf)
{
	struct nvme_firmware_slot *f = (void *)buf;

	f->afi = 0x01; /* running from slot 1, no pending activation */
	kt_copy_padded(f->frs[0], sizeof(f->frs[0]), c->subsys->firmware);
	return sizeof(*f);
}

static uint32_t log_changed_ns(const struct kt_ctrl *c, uint8_t *buf)
{
	__le32 *l = (void *)buf;

	if (c->n_changed_ns > KT_CHANGED_NS_MAX) {
		l[0] = htole32(0xffffffffu); /* more than 1024 changed */
	} else {
		for (unsigned i = 0; i < c->n_changed_ns; i++)
			l[i] = htole32(c->changed_ns[i]);
	}
	return KT_CHANGED_NS_MAX * 4;
}

/* Every opcode kt_admin_exec and kt_io_parse accept. Writes, Write Zeroes
 * and Dataset Management change logical block content (LBCC). No NCC:
 * NUSE equals NSZE here (0 while the path is inaccessible, which no command
 * changes), so no command changes a namespace's capabilities. */
static uint32_t log_cmd_effects(uint8_t *buf)
{
	struct nvme_cmd_effects_log *e = (void *)buf;
	static const uint8_t admin[] = {
		nvme_admin_get_log_page, nvme_admin_identify, nvme_admin_abort_cmd,
		nvme_admin_set_features, nvme_admin_get_features, nvme_admin_async_event,
		nvme_admin_keep_alive,
	};

	for (size_t i = 0; i < sizeof(admin); i++)
		e->acs[admin[i]] = htole32(NVME_CMD_EFFECTS_CSUPP);
	e->iocs[nvme_cmd_flush] = htole32(NVME_CMD_EFFECTS_CSUPP);
	e->iocs[nvme_cmd_read] = htole32(NVME_CMD_EFFECTS_CSUPP);
	e->iocs[nvme_cmd_compare] = htole32(NVME_CMD_EFFECTS_CSUPP);
	e->iocs[nvme_cmd_write] = htole32(NVME_CMD_EFFECTS_CSUPP | NVME_CMD_EFFECTS_LBCC);
	e->iocs[nvme_cmd_write_zeroes] = htole32(NVME_CMD_EFFECTS_CSUPP | NVME_CMD_EFFECTS_LBCC);
	e->iocs[nvme_cmd_dsm] = htole32(NVME_CMD_EFFECTS_CSUPP | NVME_CMD_EFFECTS_LBCC);
	return sizeof(*e);
}

/* ---- The command -------------------------------------------------------- */

static uint16_t invalid_field(struct kt_admin_req *r, uint16_t loc)
{
	r->err_loc = loc;
	return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true);
}

/* Checks of the fields that select within a page. LSP: two pages have one
 * we accept, bit 0 both: the discovery log's PLEO, "port-local entries
 * only" (our log already lists only what the host can reach, so it changes
 * nothing), and the ANA log's RGO, "return groups only" (no NSID lists). LSI,
 * UUID index and the index offset type name things we do not have. CSI:
 * none of our pages is command-set specific except Commands Supported and
 * Effects, whose CSI 0 is the NVM command set we report. */
static uint16_t check_args(struct kt_admin_req *r, const struct log_args *a)
{
	uint8_t lsp_ok = a->lid == NVME_LOG_LID_DISCOVER || a->lid == NVME_LOG_LID_ANA ? 0x01 : 0x00;

	if (a->lsp & ~lsp_ok)
		return invalid_field(r, KT_SQE_OFF_CDW10 + 1);
	if (a->lsi)
		return invalid_field(r, KT_SQE_OFF_CDW11 + 2);
	if (a->uuid_idx || a->ot)
		return invalid_field(r, KT_SQE_OFF_CDW14);
	if (a->csi != NVME_CSI_NVM)
		return invalid_field(r, KT_SQE_OFF_CDW14 + 3);
	if (a->offset & 3u)
		return invalid_field(r, KT_SQE_OFF_CDW12);
	/* SMART is kept per controller, not per namespace (LPA bit 0 clear):
	 * NSID must be 0 or FFFFFFFFh. */
	if (a->lid == NVME_LOG_LID_SMART) {
		uint32_t nsid = kt_nsid(r->cmd);
		if (nsid != 0 && nsid != NVME_NSID_ALL)
			return invalid_field(r, KT_SQE_OFF_NSID);
	}
	return NVME_SC_SUCCESS;
}

uint16_t kt_admin_get_log_page(struct kt_admin_req *r)
{
	struct kt_ctrl *c = r->c;
	struct log_args a;
	union {
		uint8_t raw[LOG_PAGE_MAX];
		uint64_t align;
	} page;
	uint32_t size;
	uint16_t st;

	parse_args(r->cmd, &a);
	if (!lid_supported(c, a.lid)) {
		/* Spec status for a log page that is not supported. */
		r->err_loc = KT_SQE_OFF_CDW10;
		return KT_STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_LOG_PAGE, true);
	}
	st = check_args(r, &a);
	if (st)
		return st;
	st = kt_admin_need(r, a.len);
	if (st)
		return st;

	if (a.lid == NVME_LOG_LID_DISCOVER) {
		st = kt_disc_log_read(c, a.offset, r->cmd->data, (uint32_t)a.len);
		if (st) {
			r->err_loc = KT_SQE_OFF_CDW12;
			return st;
		}
		r->cmd->xfer_len = (uint32_t)a.len;
		goto done;
	}

	/* The ANA log of the controller's port: its size first, for the
	 * offset check below, then the asked range (zeroes past its end). */
	if (a.lid == NVME_LOG_LID_ANA) {
		uint64_t chgcnt = c->target ? c->target->ana_chgcnt : 0;
		bool rgo = a.lsp & NVME_LOG_ANA_LSP_RGO_GROUPS_ONLY;

		if (a.offset > kt_ana_log(c->subsys, c->port, chgcnt, rgo, 0, NULL, 0))
			return invalid_field(r, KT_SQE_OFF_CDW12);
		kt_ana_log(c->subsys, c->port, chgcnt, rgo, a.offset, r->cmd->data, (size_t)a.len);
		r->cmd->xfer_len = (uint32_t)a.len;
		goto done;
	}

	memset(&page, 0, sizeof(page));
	switch (a.lid) {
	case NVME_LOG_LID_SUPPORTED_LOG_PAGES:
		size = log_supported(c, page.raw);
		break;
	case NVME_LOG_LID_ERROR:
		size = log_error(c, page.raw);
		break;
	case NVME_LOG_LID_SMART:
		size = log_smart(c, r->now_ms, page.raw);
		break;
	case NVME_LOG_LID_FW_SLOT:
		size = log_fw_slot(c, page.raw);
		break;
	case NVME_LOG_LID_CHANGED_NS:
		size = log_changed_ns(c, page.raw);
		break;
	default: /* NVME_LOG_LID_CMD_EFFECTS */
		size = log_cmd_effects(page.raw);
		break;
	}
	/* An offset past the end is Invalid Field; one exactly at the end is
	 * not "greater than the size of the log page" and reads zeroes, as in
	 * the discovery log (proto/discovery.c). */
	if (a.offset > size)
		return invalid_field(r, KT_SQE_OFF_CDW12);

	/* The asked range, with zeroes past the page's end. */
	{
		uint64_t avail = size - a.offset;
		uint32_t n = (uint32_t)(a.len < avail ? a.len : avail);

		memcpy(r->cmd->data, page.raw + a.offset, n);
		memset(r->cmd->data + n, 0, (size_t)(a.len - n));
		r->cmd->xfer_len = (uint32_t)a.len;
	}

done:
	if (!a.rae) {
		if (a.lid == NVME_LOG_LID_CHANGED_NS)
			c->n_changed_ns = 0;
		kt_ctrl_aen_clear(c, a.lid);
	}
	return NVME_SC_SUCCESS;
}

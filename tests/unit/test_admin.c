/*
 * test_admin.c - unit tests of the admin commands (kt_admin_exec and
 * proto/identify.c, logpage.c, features.c): every CNS, log page and
 * feature we answer and the ways each is refused, checked byte by byte at
 * the spec's offsets; the Command Sequence Error gate; AER, Keep Alive and
 * Abort; the discovery controller's narrower command set; error logging;
 * what Asymmetric Namespace Access adds to Identify, Get Log Page (the ANA
 * log of the controller's port, RGO, RAE) and the event configuration.
 */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/ana.h"
#include "proto/cmd.h"
#include "proto/ctrl.h"
#include "proto/fabrics.h"

#define SC_DNR(sc) ((uint16_t)((sc) | KT_SC_DNR))
#define SC_CS_DNR(sc) ((uint16_t)((NVME_SCT_CMD_SPECIFIC << NVME_SCT_SHIFT) | (sc) | KT_SC_DNR))
#define INVALID_FIELD SC_DNR(NVME_SC_INVALID_FIELD)
#define INVALID_NS SC_DNR(NVME_SC_INVALID_NS)
#define INVALID_OPCODE SC_DNR(NVME_SC_INVALID_OPCODE)
#define INVALID_LOG_PAGE SC_CS_DNR(NVME_SC_INVALID_LOG_PAGE)
#define CMD_SEQ_ERROR SC_DNR(NVME_SC_CMD_SEQ_ERROR)

/*
 * The discovery log comes from proto/discovery.c. This weak stand-in lets
 * the test link where that file is not in the build; when the real one is,
 * it wins, and test_log_discovery compares against whichever is linked.
 */
__attribute__((weak)) uint16_t kt_disc_log_read(const struct kt_ctrl *c, uint64_t offset,
						void *buf, uint32_t len)
{
	(void)c;
	if (offset >= 2048)
		return NVME_SC_INVALID_FIELD | KT_SC_DNR;
	for (uint32_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)(offset + i < 2048 ? (offset + i) * 7 : 0);
	return 0;
}

/* ---- Fixture ------------------------------------------------------------ */

static struct kt_ns g_ns[3];
static struct kt_ns *g_nsp[3] = { &g_ns[0], &g_ns[1], &g_ns[2] };
static struct kt_subsys g_sub;
static struct kt_port g_port;
static struct kt_target g_tgt;
static struct kt_ctrl g_c;   /* I/O controller, enabled */
static struct kt_ctrl g_d;   /* discovery controller, enabled */
static uint8_t g_buf[16384];
static struct kt_cmd g_cmd;
static const uint8_t g_hostid[16] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
				      0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };
static const uint8_t g_nguid1[16] = { 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t g_uuid1[16] = { 0x22, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t g_nguid5[16] = { 0x55, 0x55, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x55 };

#define NOW0 1000u

static void enable(struct kt_ctrl *c)
{
	bool reset;
	assert_int_equal(kt_ctrl_prop_set(c, 0x14, 4, 1u | 6u << 16 | 4u << 20, NOW0, &reset), 0);
	assert_true(kt_ctrl_ready(c));
}

static int setup(void **state)
{
	(void)state;
	memset(&g_tgt, 0, sizeof(g_tgt));
	memset(&g_sub, 0, sizeof(g_sub));
	memset(&g_port, 0, sizeof(g_port));
	memset(g_ns, 0, sizeof(g_ns));
	g_tgt.kas = 5; /* 500 ms granularity */
	g_tgt.mqes = 127;
	g_tgt.mdts = 5;
	strcpy(g_tgt.disc_nqn, KT_WELL_KNOWN_DISC_NQN);
	strcpy(g_tgt.disc.nqn, KT_WELL_KNOWN_DISC_NQN);
	g_tgt.disc.discovery = true;
	strcpy(g_tgt.disc.serial, "DISC");
	strcpy(g_tgt.disc.model, "kato discovery");
	strcpy(g_tgt.disc.firmware, "0.1.0");
	g_tgt.disc.version = 0x00020000;

	strcpy(g_sub.nqn, "nqn.2024-01.io.kato:test");
	strcpy(g_sub.serial, "KATO0001");
	strcpy(g_sub.model, "kato");
	strcpy(g_sub.firmware, "0.1.0");
	g_sub.version = 0x00020000;
	g_sub.ieee_oui = 0x123456;
	g_sub.qid_max = 8;
	g_ns[0] = (struct kt_ns){ .nsid = 1, .enabled = true, .lba_shift = 9, .nblocks = 2048,
				  .vwc = true, .can_discard = true, .anagrpid = 1 };
	memcpy(g_ns[0].nguid, g_nguid1, 16);
	memcpy(g_ns[0].uuid, g_uuid1, 16);
	g_ns[1] = (struct kt_ns){ .nsid = 3, .enabled = false, .lba_shift = 9, .nblocks = 10,
				  .anagrpid = 1 };
	g_ns[2] = (struct kt_ns){ .nsid = 5, .enabled = true, .lba_shift = 12, .nblocks = 0x100000001ull,
				  .anagrpid = 2 };
	memcpy(g_ns[2].nguid, g_nguid5, 16);
	g_sub.n_ns = 3;
	g_sub.ns = g_nsp;
	g_port.inline_data_size = 8192;
	/* ANA: group 1 optimized (the default), group 2 non-optimized and
	 * listed by the port, group 4 listed and inaccessible (the default) */
	kt_port_ana_init(&g_port);
	g_port.ana_state[2] = NVME_ANA_STATE_NONOPTIMIZED;
	g_port.ana_listed[2] = true;
	g_port.ana_listed[4] = true;
	g_tgt.ana_chgcnt = 3;

	kt_ctrl_init(&g_c, &g_tgt, &g_sub, &g_port, 0x21, "nqn.host", g_hostid, 31, 10000, NOW0);
	enable(&g_c);
	kt_ctrl_init(&g_d, &g_tgt, &g_tgt.disc, &g_port, 0x22, "nqn.host", g_hostid, 31, 0, NOW0);
	enable(&g_d);
	return 0;
}

/* Builds an admin command in g_cmd with a data buffer of data_len bytes
 * (filled with 0xee so that what the handler wrote can be told apart). */
static void cmd_init(uint8_t opc, uint32_t nsid, uint32_t cdw10, uint32_t cdw11, uint32_t data_len)
{
	memset(&g_cmd, 0, sizeof(g_cmd));
	memset(g_buf, 0xee, sizeof(g_buf));
	g_cmd.sqe.opcode = opc;
	g_cmd.sqe.cid = 0x4242;
	g_cmd.sqe.nsid = htole32(nsid);
	g_cmd.sqe.cdw10 = htole32(cdw10);
	g_cmd.sqe.cdw11 = htole32(cdw11);
	g_cmd.sqe.dptr.length = htole32(data_len);
	g_cmd.data = data_len ? g_buf : NULL;
	g_cmd.data_len = data_len;
	g_cmd.xfer_len = 0xdead;
}

static uint16_t exec(struct kt_ctrl *c)
{
	return kt_admin_exec(c, &g_cmd, NOW0 + 500);
}

static uint16_t identify(struct kt_ctrl *c, uint8_t cns, uint32_t nsid, uint8_t csi)
{
	cmd_init(nvme_admin_identify, nsid, cns, (uint32_t)csi << 24, 4096);
	return exec(c);
}

static uint16_t get_log(struct kt_ctrl *c, uint8_t lid, uint32_t len, uint64_t off, bool rae)
{
	uint32_t numd = len / 4 - 1;

	cmd_init(nvme_admin_get_log_page, 0, lid | (rae ? 1u << 15 : 0) | (numd & 0xffff) << 16,
		 numd >> 16, len);
	g_cmd.sqe.cdw12 = htole32((uint32_t)off);
	g_cmd.sqe.cdw13 = htole32((uint32_t)(off >> 32));
	return exec(c);
}

static uint16_t get_feat(struct kt_ctrl *c, uint8_t fid, unsigned sel, uint32_t cdw11)
{
	cmd_init(nvme_admin_get_features, 0, fid | sel << 8, cdw11, 0);
	return exec(c);
}

static uint16_t set_feat(struct kt_ctrl *c, uint8_t fid, uint32_t cdw11)
{
	cmd_init(nvme_admin_set_features, 0, fid, cdw11, 0);
	return exec(c);
}

static uint32_t dw0(void)
{
	return le32toh(g_cmd.cqe.dw0);
}

static uint16_t u16_at(size_t off) { return (uint16_t)(g_buf[off] | g_buf[off + 1] << 8); }
static uint32_t u32_at(size_t off) { return u16_at(off) | (uint32_t)u16_at(off + 2) << 16; }
static uint64_t u64_at(size_t off) { return u32_at(off) | (uint64_t)u32_at(off + 4) << 32; }

static void assert_zero(size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (g_buf[i] != 0)
			fail_msg("byte %zu is %#x, expected 0", i, g_buf[i]);
}

/* ---- Gate, dispatch, error log ----------------------------------------- */

static void test_cmd_seq_error_before_ready(void **state)
{
	struct kt_ctrl c;
	bool reset;
	(void)state;

	kt_ctrl_init(&c, &g_tgt, &g_sub, &g_port, 1, "h", g_hostid, 31, 10000, NOW0);
	const uint8_t ops[] = { nvme_admin_identify, nvme_admin_get_log_page, nvme_admin_get_features,
				nvme_admin_set_features, nvme_admin_async_event, nvme_admin_keep_alive,
				nvme_admin_abort_cmd, 0xc5 };
	for (size_t i = 0; i < sizeof(ops); i++) {
		cmd_init(ops[i], 0, 1, 0, 4096);
		assert_int_equal(exec(&c), CMD_SEQ_ERROR);
		assert_int_equal(g_cmd.xfer_len, 0);
	}
	assert_int_equal(c.n_aer, 0);
	assert_int_equal(c.err_count, sizeof(ops));
	/* Enabled but failed (CFS): still refused. */
	assert_int_equal(kt_ctrl_prop_set(&c, 0x14, 4, 1, NOW0, &reset), 0);
	assert_int_equal(identify(&c, 1, 0, 0), CMD_SEQ_ERROR);
	/* After a shutdown too. */
	assert_int_equal(kt_ctrl_prop_set(&g_c, 0x14, 4, g_c.cc | 1u << 14, NOW0, &reset), 0);
	assert_int_equal(identify(&g_c, 1, 0, 0), CMD_SEQ_ERROR);
}

static void test_unsupported_opcodes(void **state)
{
	(void)state;
	const uint8_t io_refused[] = { nvme_admin_delete_sq, nvme_admin_create_sq, nvme_admin_delete_cq,
				       nvme_admin_create_cq, nvme_admin_ns_mgmt, nvme_admin_fw_commit,
				       nvme_admin_fw_download, nvme_admin_ns_attach, nvme_admin_format_nvm,
				       nvme_admin_security_send, nvme_admin_sanitize_nvm, 0x7f, 0xff };
	for (size_t i = 0; i < sizeof(io_refused); i++) {
		cmd_init(io_refused[i], 0, 0, 0, 0);
		assert_int_equal(exec(&g_c), INVALID_OPCODE);
	}
	/* A discovery controller also refuses Abort. */
	cmd_init(nvme_admin_abort_cmd, 0, 0, 0, 0);
	assert_int_equal(exec(&g_d), INVALID_OPCODE);
	cmd_init(nvme_admin_create_sq, 0, 0, 0, 0);
	assert_int_equal(exec(&g_d), INVALID_OPCODE);
	/* Fused admin commands do not exist. */
	cmd_init(nvme_admin_identify, 0, 1, 0, 4096);
	g_cmd.sqe.flags = 1;
	assert_int_equal(exec(&g_c), INVALID_FIELD);
}

static void test_failure_is_logged(void **state)
{
	const struct nvme_error_log_page *e;
	(void)state;

	cmd_init(0xc1, 7, 0, 0, 0);
	g_cmd.sqe.cid = 0x1234;
	assert_int_equal(exec(&g_c), INVALID_OPCODE);
	assert_int_equal(g_c.err_count, 1);
	e = &g_c.errlog[0];
	assert_int_equal(le64toh(e->error_count), 1);
	assert_int_equal(le16toh(e->sqid), 0);
	assert_int_equal(e->cmdid, 0x1234);
	assert_int_equal(le16toh(e->status_field), (uint16_t)(INVALID_OPCODE << 1));
	assert_int_equal(le16toh(e->parm_error_location), 0); /* the opcode byte */
	assert_int_equal(le32toh(e->nsid), 7);
	/* Identify CNS 00h with NSID 0: the NSID field (byte 4). */
	assert_int_equal(identify(&g_c, 0, 0, 0), INVALID_NS);
	assert_int_equal(le16toh(g_c.errlog[1].parm_error_location), 4);
	/* Successes are not logged. */
	assert_int_equal(identify(&g_c, 1, 0, 0), 0);
	assert_int_equal(g_c.err_count, 2);
}

/* ---- Identify ----------------------------------------------------------- */

static void test_identify_ctrl_io(void **state)
{
	(void)state;

	assert_int_equal(identify(&g_c, 1, 0, 0), 0);
	assert_int_equal(g_cmd.xfer_len, 4096);
	assert_int_equal(u16_at(0), 0);                       /* VID */
	assert_int_equal(u16_at(2), 0);                       /* SSVID */
	assert_memory_equal(g_buf + 4, "KATO0001            ", 20);  /* SN */
	assert_memory_equal(g_buf + 24, "kato                                    ", 40); /* MN */
	assert_memory_equal(g_buf + 64, "0.1.0   ", 8);       /* FR */
	assert_int_equal(g_buf[72], 6);                       /* RAB */
	assert_int_equal(g_buf[73], 0x56);                    /* IEEE OUI, LE */
	assert_int_equal(g_buf[74], 0x34);
	assert_int_equal(g_buf[75], 0x12);
	assert_int_equal(g_buf[76], 0x0b);                    /* CMIC: ports, controllers, ANA */
	assert_int_equal(g_buf[77], 5);                       /* MDTS */
	assert_int_equal(u16_at(78), 0x21);                   /* CNTLID */
	assert_int_equal(u32_at(80), 0x00020000);             /* VER */
	assert_int_equal(u32_at(84), 0);                      /* RTD3R */
	assert_int_equal(u32_at(88), 0);                      /* RTD3E */
	assert_int_equal(u32_at(92), 1u << 8 | 1u << 11);     /* OAES: namespace attribute, ANA change */
	assert_int_equal(u32_at(96), 1u | 1u << 6);           /* CTRATT: HID128, TBKAS */
	assert_int_equal(g_buf[111], 1);                      /* CNTRLTYPE I/O */
	assert_int_equal(u16_at(256), 0);                     /* OACS */
	assert_int_equal(g_buf[258], 3);                      /* ACL */
	assert_int_equal(g_buf[259], KT_AER_MAX - 1);         /* AERL */
	assert_int_equal(g_buf[260], 0x03);                   /* FRMW */
	assert_int_equal(g_buf[261], 0x06);                   /* LPA */
	assert_int_equal(g_buf[262], KT_ERRLOG_MAX - 1);      /* ELPE */
	assert_int_equal(g_buf[263], 0);                      /* NPSS */
	assert_int_equal(u16_at(266), 343);                   /* WCTEMP */
	assert_int_equal(u16_at(268), 373);                   /* CCTEMP */
	assert_int_equal(u16_at(320), 5);                     /* KAS */
	assert_int_equal(g_buf[342], 10);                     /* ANATT, seconds */
	assert_int_equal(g_buf[343], 0x1f);                   /* ANACAP: all five states */
	assert_int_equal(u32_at(344), 128);                   /* ANAGRPMAX */
	assert_int_equal(u32_at(348), 128);                   /* NANAGRPID */
	assert_int_equal(u32_at(352), 0);                     /* PELS */
	assert_int_equal(u32_at(540), 1024);                  /* MNAN */
	assert_int_equal(g_buf[512], 0x66);                   /* SQES */
	assert_int_equal(g_buf[513], 0x44);                   /* CQES */
	assert_int_equal(u16_at(514), 128);                   /* MAXCMD */
	assert_int_equal(u32_at(516), 1024);                  /* NN */
	assert_int_equal(u16_at(520), 0x000d);                /* ONCS */
	assert_int_equal(u16_at(522), 0);                     /* FUSES */
	assert_int_equal(g_buf[525], 0x05);                   /* VWC present, 10b */
	assert_int_equal(u32_at(536), 1u | 1u << 20);         /* SGLS */
	assert_string_equal((const char *)g_buf + 768, "nqn.2024-01.io.kato:test");
	assert_zero(768 + strlen("nqn.2024-01.io.kato:test"), 1024);
	assert_int_equal(u32_at(1792), (64 + 8192) / 16);     /* IOCCSZ */
	assert_int_equal(u32_at(1796), 1);                    /* IORCSZ */
	assert_int_equal(u16_at(1800), 0);                    /* ICDOFF */
	assert_int_equal(g_buf[1802], 0);                     /* FCATT */
	assert_int_equal(g_buf[1803], 1);                     /* MSDBD */
	assert_int_equal(u16_at(1804), 1);                    /* OFCS */
	assert_int_equal(g_buf[1806], 0);                     /* DCTYPE */
	assert_zero(2048, 4096);                              /* PSDs, VS */
	assert_int_equal(g_buf[4096], 0xee);                  /* nothing past 4 KiB */
}

static void test_identify_ctrl_variants(void **state)
{
	(void)state;

	/* No volatile write cache anywhere: VWC bit 0 clear, 2:1 still 10b.
	 * KAS 0 is reported as 1; TBKAS follows ka_traffic_based. */
	g_ns[0].vwc = false;
	g_tgt.kas = 0;
	g_c.ka_traffic_based = false;
	assert_int_equal(identify(&g_c, 1, 0, 0), 0);
	assert_int_equal(g_buf[525], 0x04);
	assert_int_equal(u16_at(320), 1);
	assert_int_equal(u32_at(96), 1);
	/* NN follows the largest NSID beyond 1024. */
	g_ns[2].nsid = 4000;
	assert_int_equal(identify(&g_c, 1, 0, 0), 0);
	assert_int_equal(u32_at(516), 4000);
	assert_int_equal(identify(&g_c, 0, 2000, 0), 0); /* inactive but valid */
	assert_zero(0, 4096);
	assert_int_equal(identify(&g_c, 0, 4001, 0), INVALID_NS);
}

static void test_identify_ctrl_discovery(void **state)
{
	(void)state;

	assert_int_equal(identify(&g_d, 1, 0, 0), 0);
	assert_int_equal(g_cmd.xfer_len, 4096);
	assert_memory_equal(g_buf + 4, "DISC                ", 20);
	assert_int_equal(u16_at(78), 0x22);
	assert_int_equal(g_buf[76], 0);           /* CMIC: no ANA, no multipath */
	assert_int_equal(u32_at(92), 1u << 31);   /* OAES: discovery log change */
	assert_zero(342, 352);                    /* ANATT .. NANAGRPID */
	assert_int_equal(u32_at(540), 0);         /* MNAN */
	assert_int_equal(u32_at(96), 1u | 1u << 6);
	assert_int_equal(g_buf[111], 2);          /* CNTRLTYPE discovery */
	assert_int_equal(g_buf[259], KT_AER_MAX - 1);
	assert_int_equal(g_buf[261], 0x04);       /* LPA: extended data only */
	assert_int_equal(g_buf[262], 0);          /* ELPE: no error log page */
	assert_int_equal(u16_at(320), 5);         /* KAS */
	assert_int_equal(u32_at(516), 0);         /* NN */
	assert_int_equal(u16_at(520), 0);         /* ONCS */
	assert_int_equal(g_buf[512], 0);
	assert_int_equal(u32_at(536), 1u | 1u << 20);
	assert_string_equal((const char *)g_buf + 768, KT_WELL_KNOWN_DISC_NQN);
	assert_int_equal(u32_at(1792), 0);        /* IOCCSZ: no I/O queues */
	assert_int_equal(g_buf[1803], 1);
	assert_int_equal(u16_at(1804), 0);        /* OFCS: no Disconnect */
	assert_int_equal(g_buf[1806], 1);         /* DCTYPE: direct */
	/* Nothing but CNS 01h on a discovery controller. */
	for (uint8_t cns = 0; cns <= 8; cns++) {
		if (cns == 1)
			continue;
		assert_int_equal(identify(&g_d, cns, 1, 0), INVALID_FIELD);
	}
}

static void test_identify_buffer_sizes(void **state)
{
	(void)state;

	cmd_init(nvme_admin_identify, 0, 1, 0, 4095);
	assert_int_equal(exec(&g_c), INVALID_FIELD);
	assert_int_equal(g_cmd.xfer_len, 0);
	assert_int_equal(g_buf[0], 0xee); /* nothing written */
	assert_int_equal(le16toh(g_c.errlog[0].parm_error_location), 32); /* SGL length */
	cmd_init(nvme_admin_identify, 0, 1, 0, 0);
	assert_int_equal(exec(&g_c), INVALID_FIELD);
	/* A larger buffer gets exactly 4 KiB. */
	cmd_init(nvme_admin_identify, 0, 1, 0, 8192);
	assert_int_equal(exec(&g_c), 0);
	assert_int_equal(g_cmd.xfer_len, 4096);
	assert_int_equal(g_buf[4096], 0xee);
	/* Unknown CNS values. */
	assert_int_equal(identify(&g_c, 0x04, 0, 0), INVALID_FIELD);
	assert_int_equal(identify(&g_c, 0x10, 0, 0), INVALID_FIELD);
	assert_int_equal(identify(&g_c, 0x1c, 0, 0), INVALID_FIELD);
}

static void test_identify_ns(void **state)
{
	(void)state;

	assert_int_equal(identify(&g_c, 0, 1, 0), 0);
	assert_int_equal(g_cmd.xfer_len, 4096);
	assert_int_equal(u64_at(0), 2048);    /* NSZE */
	assert_int_equal(u64_at(8), 2048);    /* NCAP */
	assert_int_equal(u64_at(16), 2048);   /* NUSE */
	assert_int_equal(g_buf[24], 0);       /* NSFEAT */
	assert_int_equal(g_buf[25], 0);       /* NLBAF */
	assert_int_equal(g_buf[26], 0);       /* FLBAS */
	assert_int_equal(g_buf[30], 1);       /* NMIC */
	assert_int_equal(g_buf[33], 0x01);    /* DLFEAT: deallocated reads zeroes */
	assert_int_equal(u32_at(92), 1);      /* ANAGRPID */
	assert_memory_equal(g_buf + 104, g_nguid1, 16);
	assert_zero(120, 128);                /* EUI64 */
	assert_int_equal(u16_at(128), 0);     /* LBAF0.MS */
	assert_int_equal(g_buf[130], 9);      /* LBAF0.LBADS */
	assert_int_equal(g_buf[131], 0);      /* LBAF0.RP */
	assert_zero(132, 4096);

	assert_int_equal(identify(&g_c, 0, 5, 0), 0);
	assert_int_equal(u64_at(0), 0x100000001ull);
	assert_int_equal(u64_at(16), 0x100000001ull); /* NUSE: non-optimized is reachable */
	assert_int_equal(u32_at(92), 2);      /* ANAGRPID */
	assert_int_equal(g_buf[33], 0);       /* no discard */
	assert_int_equal(g_buf[130], 12);
	assert_memory_equal(g_buf + 104, g_nguid5, 16);

	/* A disabled and an absent NSID within NN: zero-filled success. */
	assert_int_equal(identify(&g_c, 0, 3, 0), 0);
	assert_int_equal(g_cmd.xfer_len, 4096);
	assert_zero(0, 4096);
	assert_int_equal(identify(&g_c, 0, 1024, 0), 0);
	assert_zero(0, 4096);
	/* NSID 0, beyond NN, broadcast: Invalid Namespace or Format. */
	assert_int_equal(identify(&g_c, 0, 0, 0), INVALID_NS);
	assert_int_equal(g_cmd.xfer_len, 0);
	assert_int_equal(identify(&g_c, 0, 1025, 0), INVALID_NS);
	assert_int_equal(identify(&g_c, 0, 0xffffffff, 0), INVALID_NS);
}

/* Identify Namespace through a path that cannot reach the namespace: NUSE
 * 0 (as nvmet), everything else as through any other path. */
static void test_identify_ns_ana_states(void **state)
{
	static const struct {
		uint8_t st;
		uint64_t nuse;
	} cases[] = {
		{ NVME_ANA_STATE_OPTIMIZED, 2048 },    { NVME_ANA_STATE_NONOPTIMIZED, 2048 },
		{ NVME_ANA_STATE_INACCESSIBLE, 0 },    { NVME_ANA_STATE_PERSISTENT_LOSS, 0 },
		{ NVME_ANA_STATE_CHANGE, 2048 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		g_port.ana_state[1] = cases[i].st;
		assert_int_equal(identify(&g_c, 0, 1, 0), 0);
		assert_int_equal(u64_at(0), 2048);   /* NSZE */
		assert_int_equal(u64_at(8), 2048);   /* NCAP */
		assert_int_equal(u64_at(16), cases[i].nuse);
		assert_int_equal(u32_at(92), 1);
		assert_memory_equal(g_buf + 104, g_nguid1, 16);
		/* CNS 08h carries the group too, whatever its state */
		assert_int_equal(identify(&g_c, 8, 1, 0), 0);
		assert_int_equal(u32_at(4), 1);
	}
	/* the state of the controller's own port decides */
	g_port.ana_state[1] = NVME_ANA_STATE_INACCESSIBLE;
	assert_int_equal(identify(&g_c, 0, 5, 0), 0);
	assert_int_equal(u64_at(16), 0x100000001ull);
	g_c.port = NULL; /* a controller without a port (built by hand): reachable */
	assert_int_equal(identify(&g_c, 0, 1, 0), 0);
	assert_int_equal(u64_at(16), 2048);
}

static void test_identify_ns_lists(void **state)
{
	(void)state;

	for (uint8_t cns = 2; cns <= 7; cns += 5) {
		assert_int_equal(identify(&g_c, cns, 0, 0), 0);
		assert_int_equal(g_cmd.xfer_len, 4096);
		assert_int_equal(u32_at(0), 1);
		assert_int_equal(u32_at(4), 5); /* 3 is disabled */
		assert_zero(8, 4096);
		assert_int_equal(identify(&g_c, cns, 1, 0), 0);
		assert_int_equal(u32_at(0), 5);
		assert_zero(4, 4096);
		assert_int_equal(identify(&g_c, cns, 5, 0), 0);
		assert_zero(0, 4096);
		assert_int_equal(identify(&g_c, cns, 0xfffffffe, 0), INVALID_NS);
		assert_int_equal(identify(&g_c, cns, 0xffffffff, 0), INVALID_NS);
	}
	/* CNS 07h for a command set we do not have. */
	assert_int_equal(identify(&g_c, 7, 0, NVME_CSI_ZNS), INVALID_FIELD);
	assert_int_equal(le16toh(g_c.errlog[(g_c.err_count - 1) % KT_ERRLOG_MAX].parm_error_location), 47);
}

static void test_identify_ns_list_cap(void **state)
{
	struct kt_ns *many = calloc(1100, sizeof(*many));
	struct kt_ns **manyp = calloc(1100, sizeof(*manyp));
	(void)state;

	assert_non_null(many);
	assert_non_null(manyp);
	for (unsigned i = 0; i < 1100; i++) {
		many[i] = (struct kt_ns){ .nsid = i + 1, .enabled = true, .lba_shift = 9, .nblocks = 1 };
		manyp[i] = &many[i];
	}
	g_sub.ns = manyp;
	g_sub.n_ns = 1100;
	assert_int_equal(identify(&g_c, 2, 10, 0), 0);
	assert_int_equal(u32_at(0), 11);
	assert_int_equal(u32_at(4092), 1034); /* 1024 entries: 11..1034 */
	free(many);
	free(manyp);
	g_sub.ns = g_nsp;
	g_sub.n_ns = 3;
}

static void test_identify_desc_list(void **state)
{
	(void)state;

	assert_int_equal(identify(&g_c, 3, 1, 0), 0);
	assert_int_equal(g_cmd.xfer_len, 4096);
	/* NGUID: NIDT 2, NIDL 16 */
	assert_int_equal(g_buf[0], 2);
	assert_int_equal(g_buf[1], 16);
	assert_int_equal(u16_at(2), 0);
	assert_memory_equal(g_buf + 4, g_nguid1, 16);
	/* UUID: NIDT 3, NIDL 16 */
	assert_int_equal(g_buf[20], 3);
	assert_int_equal(g_buf[21], 16);
	assert_memory_equal(g_buf + 24, g_uuid1, 16);
	/* CSI: NIDT 4, NIDL 1, NVM */
	assert_int_equal(g_buf[40], 4);
	assert_int_equal(g_buf[41], 1);
	assert_int_equal(g_buf[44], NVME_CSI_NVM);
	assert_zero(45, 4096);

	/* No UUID on namespace 5: NGUID then CSI. */
	assert_int_equal(identify(&g_c, 3, 5, 0), 0);
	assert_int_equal(g_buf[0], 2);
	assert_memory_equal(g_buf + 4, g_nguid5, 16);
	assert_int_equal(g_buf[20], 4);
	assert_int_equal(g_buf[21], 1);
	assert_zero(24, 4096);

	assert_int_equal(identify(&g_c, 3, 3, 0), INVALID_NS);
	assert_int_equal(identify(&g_c, 3, 0, 0), INVALID_NS);
	assert_int_equal(identify(&g_c, 3, 9, 0), INVALID_NS);
}

static void test_identify_csi_structures(void **state)
{
	(void)state;

	/* CNS 05h, NVM: all zero for an active or inactive namespace. */
	assert_int_equal(identify(&g_c, 5, 1, NVME_CSI_NVM), 0);
	assert_int_equal(g_cmd.xfer_len, 4096);
	assert_zero(0, 4096);
	assert_int_equal(identify(&g_c, 5, 3, NVME_CSI_NVM), 0);
	assert_zero(0, 4096);
	assert_int_equal(identify(&g_c, 5, 0, NVME_CSI_NVM), INVALID_NS);
	assert_int_equal(identify(&g_c, 5, 1, NVME_CSI_ZNS), INVALID_FIELD);
	/* CNS 06h, NVM: no extra limits. */
	assert_int_equal(identify(&g_c, 6, 0, NVME_CSI_NVM), 0);
	assert_int_equal(g_cmd.xfer_len, 4096);
	assert_zero(0, 4096);
	assert_int_equal(identify(&g_c, 6, 0, 1), INVALID_FIELD);
	/* CNS 08h: NMIC byte 1, ANAGRPID bytes 7:4, NSTAT byte 14 (ready). */
	assert_int_equal(identify(&g_c, 8, 1, 0), 0);
	assert_int_equal(g_buf[0], 0);
	assert_int_equal(g_buf[1], 1);
	assert_int_equal(u32_at(4), 1);
	assert_zero(8, 14);
	assert_int_equal(g_buf[14], 1);
	assert_zero(15, 4096);
	assert_int_equal(identify(&g_c, 8, 3, 0), 0);
	assert_zero(0, 4096);
	assert_int_equal(identify(&g_c, 8, 0xffffffff, 0), INVALID_NS);
}

/* ---- Get Log Page ------------------------------------------------------- */

static void test_log_supported(void **state)
{
	(void)state;

	assert_int_equal(get_log(&g_c, 0x00, 1024, 0, false), 0);
	assert_int_equal(g_cmd.xfer_len, 1024);
	for (unsigned lid = 0; lid < 256; lid++)
		assert_int_equal(u32_at(lid * 4), lid <= 5 || lid == 0x0c ? 1 : 0);
	assert_int_equal(get_log(&g_d, 0x00, 1024, 0, false), 0);
	for (unsigned lid = 0; lid < 256; lid++)
		assert_int_equal(u32_at(lid * 4), lid == 0 || lid == 0x70 ? 1 : 0);
}

static void test_log_error(void **state)
{
	(void)state;

	for (uint16_t i = 1; i <= 3; i++) {
		cmd_init(0xc0, 0, 0, 0, 0);
		g_cmd.sqe.cid = (uint16_t)(0x10 * i);
		assert_int_equal(exec(&g_c), INVALID_OPCODE);
	}
	assert_int_equal(get_log(&g_c, 0x01, 4096, 0, false), 0);
	assert_int_equal(g_cmd.xfer_len, 4096);
	/* Newest first. */
	assert_int_equal(u64_at(0), 3);
	assert_int_equal(u16_at(10), 0x30);
	assert_int_equal(u16_at(12), (uint16_t)(INVALID_OPCODE << 1));
	assert_int_equal(u64_at(64), 2);
	assert_int_equal(u16_at(74), 0x20);
	assert_int_equal(u64_at(128), 1);
	assert_zero(192, 4096);
	/* With offset: entry 1 alone. */
	assert_int_equal(get_log(&g_c, 0x01, 64, 64, false), 0);
	assert_int_equal(g_cmd.xfer_len, 64);
	assert_int_equal(u64_at(0), 2);
	assert_int_equal(g_buf[64], 0xee);

	/* Wrapped ring: 70 errors in all, the newest 64 reported. */
	for (unsigned i = 0; i < 67; i++) {
		cmd_init(0xc0, 0, 0, 0, 0);
		exec(&g_c);
	}
	assert_int_equal(get_log(&g_c, 0x01, 4096, 0, true), 0);
	assert_int_equal(u64_at(0), 70);
	assert_int_equal(u64_at(63 * 64), 7);
}

static void test_log_offsets_and_lengths(void **state)
{
	(void)state;

	/* Offset past the page (SMART is 512 bytes); at its end: zeroes. */
	assert_int_equal(get_log(&g_c, 0x02, 4, 516, false), INVALID_FIELD);
	assert_int_equal(le16toh(g_c.errlog[0].parm_error_location), 48);
	assert_int_equal(get_log(&g_c, 0x02, 4, 1ull << 32, false), INVALID_FIELD);
	/* Offset not dword aligned. */
	assert_int_equal(get_log(&g_c, 0x02, 4, 2, false), INVALID_FIELD);
	/* Length past the end: zeroes after the page. */
	assert_int_equal(get_log(&g_c, 0x02, 1024, 0, false), 0);
	assert_int_equal(g_cmd.xfer_len, 1024);
	assert_int_equal(g_buf[3], 100);
	assert_zero(512, 1024);
	assert_int_equal(get_log(&g_c, 0x02, 16, 508, false), 0);
	assert_zero(4, 16);
	memset(g_buf, 0xee, 8);
	assert_int_equal(get_log(&g_c, 0x02, 8, 512, false), 0);
	assert_int_equal(g_cmd.xfer_len, 8);
	assert_zero(0, 8);
	/* The buffer must hold what NUMD asks for. */
	assert_int_equal(get_log(&g_c, 0x02, 512, 0, false), 0);
	g_cmd.data_len = 0;
	cmd_init(nvme_admin_get_log_page, 0, 0x02 | 127u << 16, 0, 508);
	assert_int_equal(exec(&g_c), INVALID_FIELD);
	assert_int_equal(g_cmd.xfer_len, 0);
	/* NUMDU: 2^16 + 1 dwords = 262148 bytes > our buffer. */
	cmd_init(nvme_admin_get_log_page, 0, 0x02, 1, sizeof(g_buf));
	assert_int_equal(exec(&g_c), INVALID_FIELD);
	/* A buffer larger than NUMD: only NUMD is returned. */
	cmd_init(nvme_admin_get_log_page, 0, 0x02 | 1u << 16, 0, 4096);
	assert_int_equal(exec(&g_c), 0);
	assert_int_equal(g_cmd.xfer_len, 8);
	assert_int_equal(g_buf[8], 0xee);
}

static void test_log_field_checks(void **state)
{
	(void)state;

	/* Unsupported pages: Invalid Log Page. */
	assert_int_equal(get_log(&g_c, 0x06, 512, 0, false), INVALID_LOG_PAGE);
	assert_int_equal(get_log(&g_c, 0x0b, 512, 0, false), INVALID_LOG_PAGE);
	assert_int_equal(get_log(&g_c, 0x70, 1024, 0, false), INVALID_LOG_PAGE);
	assert_int_equal(get_log(&g_d, 0x0c, 512, 0, false), INVALID_LOG_PAGE);
	assert_int_equal(get_log(&g_c, 0x80, 512, 0, false), INVALID_LOG_PAGE);
	assert_int_equal(get_log(&g_d, 0x01, 512, 0, false), INVALID_LOG_PAGE);
	assert_int_equal(get_log(&g_d, 0x02, 512, 0, false), INVALID_LOG_PAGE);
	/* LSP: bit 0 on the ANA log (RGO) only */
	get_log(&g_c, 0x02, 512, 0, false);
	cmd_init(nvme_admin_get_log_page, 0, 0x02 | 1u << 8 | 127u << 16, 0, 512);
	assert_int_equal(exec(&g_c), INVALID_FIELD);
	assert_int_equal(le16toh(g_c.errlog[(g_c.err_count - 1) % KT_ERRLOG_MAX].parm_error_location), 41);
	cmd_init(nvme_admin_get_log_page, 0, 0x04 | 1u << 8 | 1023u << 16, 0, 4096);
	assert_int_equal(exec(&g_c), INVALID_FIELD);
	cmd_init(nvme_admin_get_log_page, 0, 0x0c | 1u << 8 | 127u << 16, 0, 512);
	assert_int_equal(exec(&g_c), 0);
	cmd_init(nvme_admin_get_log_page, 0, 0x0c | 2u << 8 | 127u << 16, 0, 512);
	assert_int_equal(exec(&g_c), INVALID_FIELD);
	/* LSI */
	cmd_init(nvme_admin_get_log_page, 0, 0x02 | 127u << 16, 1u << 16, 512);
	assert_int_equal(exec(&g_c), INVALID_FIELD);
	/* UUID index, offset type, CSI */
	const uint32_t cdw14s[] = { 1u, 1u << 23, 1u << 24 };
	for (size_t i = 0; i < 3; i++) {
		cmd_init(nvme_admin_get_log_page, 0, 0x05 | 1023u << 16, 0, 4096);
		g_cmd.sqe.cdw14 = htole32(cdw14s[i]);
		assert_int_equal(exec(&g_c), INVALID_FIELD);
	}
	/* SMART per namespace is not supported. */
	cmd_init(nvme_admin_get_log_page, 1, 0x02 | 127u << 16, 0, 512);
	assert_int_equal(exec(&g_c), INVALID_FIELD);
	cmd_init(nvme_admin_get_log_page, 0xffffffff, 0x02 | 127u << 16, 0, 512);
	assert_int_equal(exec(&g_c), 0);
}

static void test_log_smart(void **state)
{
	(void)state;

	atomic_store(&g_c.bytes_read, 512ull * 1001);   /* 1001 units -> 2 */
	atomic_store(&g_c.bytes_written, 1);            /* 1 unit -> 1 */
	atomic_store(&g_c.host_reads, 7);
	atomic_store(&g_c.host_writes, 9);
	g_c.err_count = 3;
	cmd_init(nvme_admin_get_log_page, 0, 0x02 | 127u << 16, 0, 512);
	assert_int_equal(kt_admin_exec(&g_c, &g_cmd, NOW0 + 2 * 3600000ull + 5), 0);
	assert_int_equal(g_cmd.xfer_len, 512);
	assert_int_equal(g_buf[0], 0);        /* critical warning */
	assert_int_equal(u16_at(1), 296);     /* composite temperature, K */
	assert_int_equal(g_buf[3], 100);      /* available spare */
	assert_int_equal(g_buf[4], 10);       /* spare threshold */
	assert_int_equal(g_buf[5], 0);        /* percentage used */
	assert_int_equal(u64_at(32), 2);      /* data units read */
	assert_int_equal(u64_at(40), 0);
	assert_int_equal(u64_at(48), 1);      /* data units written */
	assert_int_equal(u64_at(64), 7);      /* host reads */
	assert_int_equal(u64_at(80), 9);      /* host writes */
	assert_int_equal(u64_at(96), 0);      /* busy time */
	assert_int_equal(u64_at(112), 1);     /* power cycles */
	assert_int_equal(u64_at(128), 2);     /* power-on hours */
	assert_int_equal(u64_at(144), 0);     /* unsafe shutdowns */
	assert_int_equal(u64_at(160), 0);     /* media errors */
	assert_int_equal(u64_at(176), 3);     /* error log entries */
	assert_zero(192, 512);

	/* I/O errors lost on their way to the log (proto/ctrl.c) still count;
	 * the next entry's Error Count takes them in. */
	atomic_store(&g_c.err_lost, 2);
	assert_int_equal(get_log(&g_c, 0x02, 512, 0, false), 0);
	assert_int_equal(u64_at(176), 5);
	cmd_init(0xc0, 0, 0, 0, 0);
	assert_int_equal(exec(&g_c), INVALID_OPCODE);
	assert_int_equal(get_log(&g_c, 0x01, 64, 0, false), 0);
	assert_int_equal(u64_at(0), 6);
	assert_int_equal(get_log(&g_c, 0x02, 512, 0, false), 0);
	assert_int_equal(u64_at(176), 6);

	/* An over-temperature threshold below the temperature: warning bit 1. */
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_TEMP_THRESH, 290), 0);
	assert_int_equal(get_log(&g_c, 0x02, 512, 0, false), 0);
	assert_int_equal(g_buf[0], 0x02);
}

static void test_log_fw_slot(void **state)
{
	(void)state;

	assert_int_equal(get_log(&g_c, 0x03, 512, 0, false), 0);
	assert_int_equal(g_cmd.xfer_len, 512);
	assert_int_equal(g_buf[0], 0x01);     /* AFI: slot 1 active */
	assert_zero(1, 8);
	assert_memory_equal(g_buf + 8, "0.1.0   ", 8);
	assert_zero(16, 512);
}

static void test_log_changed_ns(void **state)
{
	(void)state;

	kt_ctrl_ns_changed(&g_c, 5);
	kt_ctrl_ns_changed(&g_c, 1);
	/* RAE set: read and retained. */
	assert_int_equal(get_log(&g_c, 0x04, 4096, 0, true), 0);
	assert_int_equal(g_cmd.xfer_len, 4096);
	assert_int_equal(u32_at(0), 5);
	assert_int_equal(u32_at(4), 1);
	assert_zero(8, 4096);
	/* RAE clear: read, then gone. */
	assert_int_equal(get_log(&g_c, 0x04, 4096, 0, false), 0);
	assert_int_equal(u32_at(0), 5);
	assert_int_equal(get_log(&g_c, 0x04, 4096, 0, false), 0);
	assert_zero(0, 4096);
	/* More than 1024: FFFFFFFFh first, nothing else. */
	for (uint32_t n = 1; n <= KT_CHANGED_NS_MAX + 1; n++)
		kt_ctrl_ns_changed(&g_c, n);
	assert_int_equal(get_log(&g_c, 0x04, 4096, 0, false), 0);
	assert_int_equal(u32_at(0), 0xffffffffu);
	assert_zero(4, 4096);
	assert_int_equal(g_c.n_changed_ns, 0);
}

static void test_log_cmd_effects(void **state)
{
	(void)state;

	assert_int_equal(get_log(&g_c, 0x05, 4096, 0, false), 0);
	assert_int_equal(g_cmd.xfer_len, 4096);
	const uint8_t admin[] = { 0x02, 0x06, 0x08, 0x09, 0x0a, 0x0c, 0x18 };
	for (unsigned opc = 0, k = 0; opc < 256; opc++) {
		bool on = k < sizeof(admin) && admin[k] == opc;
		assert_int_equal(u32_at(opc * 4), on ? NVME_CMD_EFFECTS_CSUPP : 0);
		k += on;
	}
	/* I/O: flush, write (LBCC), read, compare, write zeroes (LBCC), DSM (LBCC). */
	assert_int_equal(u32_at(1024 + 0x00 * 4), 1);
	assert_int_equal(u32_at(1024 + 0x01 * 4), 3);
	assert_int_equal(u32_at(1024 + 0x02 * 4), 1);
	assert_int_equal(u32_at(1024 + 0x04 * 4), 0);
	assert_int_equal(u32_at(1024 + 0x05 * 4), 1);
	assert_int_equal(u32_at(1024 + 0x08 * 4), 3);
	assert_int_equal(u32_at(1024 + 0x09 * 4), 3);
	assert_zero(1024 + 0x0a * 4, 4096);
}

static void test_log_discovery(void **state)
{
	uint8_t want[1024];
	(void)state;

	/* Whatever kt_disc_log_read produces, Get Log Page returns it. */
	memset(want, 0x5a, sizeof(want));
	assert_int_equal(kt_disc_log_read(&g_d, 0, want, sizeof(want)), 0);
	assert_int_equal(get_log(&g_d, 0x70, 1024, 0, false), 0);
	assert_int_equal(g_cmd.xfer_len, 1024);
	assert_memory_equal(g_buf, want, sizeof(want));
	/* With an offset and LSP bit 0 (port-local entries). */
	memset(want, 0x5a, sizeof(want));
	assert_int_equal(kt_disc_log_read(&g_d, 16, want, 64), 0);
	cmd_init(nvme_admin_get_log_page, 0, 0x70 | 1u << 8 | 15u << 16, 0, 64);
	g_cmd.sqe.cdw12 = htole32(16);
	assert_int_equal(exec(&g_d), 0);
	assert_memory_equal(g_buf, want, 64);
	/* The discovery log's own offset check comes through. */
	uint16_t st = kt_disc_log_read(&g_d, 1ull << 40, want, 64);
	assert_int_not_equal(st, 0);
	assert_int_equal(get_log(&g_d, 0x70, 64, 1ull << 40, false), st);
	/* LSP bits beyond PLEO. */
	cmd_init(nvme_admin_get_log_page, 0, 0x70 | 2u << 8 | 15u << 16, 0, 64);
	assert_int_equal(exec(&g_d), INVALID_FIELD);
}

/* ANA log, LSP (RGO) and offset as the command carries them. */
static uint16_t get_ana_log(struct kt_ctrl *c, uint32_t len, uint64_t off, bool rgo, bool rae)
{
	get_log(c, NVME_LOG_LID_ANA, len, off, rae);
	if (rgo)
		g_cmd.sqe.cdw10 = htole32(le32toh(g_cmd.sqe.cdw10) | 1u << 8);
	return exec(c);
}

static void test_log_ana(void **state)
{
	(void)state;

	/* Groups 1 (NSID 1; 3 is disabled), 2 (NSID 5, non-optimized) and 4
	 * (listed by the port, inaccessible, empty), each with the target's
	 * change count. */
	assert_int_equal(get_ana_log(&g_c, 4096, 0, false, false), 0);
	assert_int_equal(g_cmd.xfer_len, 4096);
	assert_int_equal(u64_at(0), 3);       /* CHGCNT */
	assert_int_equal(u16_at(8), 3);       /* NGRPS */
	assert_zero(10, 16);
	assert_int_equal(u32_at(16), 1);      /* ANAGRPID */
	assert_int_equal(u32_at(20), 1);      /* NNSIDS */
	assert_int_equal(u64_at(24), 3);      /* CHGCNT */
	assert_int_equal(g_buf[32], 0x01);    /* ANA state: optimized */
	assert_zero(33, 48);
	assert_int_equal(u32_at(48), 1);      /* NSID */
	assert_int_equal(u32_at(52), 2);
	assert_int_equal(u32_at(56), 1);
	assert_int_equal(u64_at(60), 3);
	assert_int_equal(g_buf[68], 0x02);    /* non-optimized */
	assert_zero(69, 84);
	assert_int_equal(u32_at(84), 5);
	assert_int_equal(u32_at(88), 4);
	assert_int_equal(u32_at(92), 0);
	assert_int_equal(u64_at(96), 3);
	assert_int_equal(g_buf[104], 0x03);   /* inaccessible */
	assert_zero(105, 4096);               /* 120 bytes, then zeroes */

	/* RGO: no NSIDs */
	assert_int_equal(get_ana_log(&g_c, 4096, 0, true, false), 0);
	assert_int_equal(u16_at(8), 3);
	assert_int_equal(u32_at(16), 1);
	assert_int_equal(u32_at(20), 0);
	assert_int_equal(u32_at(48), 2);
	assert_int_equal(u32_at(52), 0);
	assert_int_equal(g_buf[64], 0x02);
	assert_int_equal(u32_at(80), 4);
	assert_int_equal(g_buf[96], 0x03);
	assert_zero(97, 4096);

	/* From an offset, a short length: exactly NUMD bytes */
	assert_int_equal(get_ana_log(&g_c, 8, 84, false, false), 0);
	assert_int_equal(g_cmd.xfer_len, 8);
	assert_int_equal(u32_at(0), 5);
	assert_int_equal(u32_at(4), 4);
	assert_int_equal(g_buf[8], 0xee);
	/* At the end: zeroes; past it (120 bytes, 112 with RGO): Invalid Field */
	assert_int_equal(get_ana_log(&g_c, 8, 120, false, false), 0);
	assert_zero(0, 8);
	assert_int_equal(get_ana_log(&g_c, 8, 124, false, false), INVALID_FIELD);
	assert_int_equal(le16toh(g_c.errlog[(g_c.err_count - 1) % KT_ERRLOG_MAX].parm_error_location), 48);
	assert_int_equal(get_ana_log(&g_c, 8, 112, true, false), 0);
	assert_int_equal(get_ana_log(&g_c, 8, 116, true, false), INVALID_FIELD);
	assert_int_equal(get_ana_log(&g_c, 8, 1ull << 40, false, false), INVALID_FIELD);

	/* The port the controller came on decides the states. */
	struct kt_port other = g_port;
	other.ana_state[1] = NVME_ANA_STATE_CHANGE;
	other.ana_listed[4] = false;
	g_c.port = &other;
	g_tgt.ana_chgcnt = 0x1122334455667788ull;
	assert_int_equal(get_ana_log(&g_c, 512, 0, true, false), 0);
	assert_int_equal(u64_at(0), 0x1122334455667788ull);
	assert_int_equal(u16_at(8), 2);
	assert_int_equal(g_buf[32], 0x0f);
	assert_int_equal(u64_at(56), 0x1122334455667788ull);
	assert_zero(80, 512);
	g_c.port = &g_port;
}

/* A page larger than the 4 KiB the other pages are built in: 1100
 * namespaces in group 1 (16 + 32 + 4400 bytes), read in two pieces. */
static void test_log_ana_large(void **state)
{
	struct kt_ns *many = calloc(1100, sizeof(*many));
	struct kt_ns **manyp = calloc(1100, sizeof(*manyp));
	(void)state;

	assert_non_null(many);
	assert_non_null(manyp);
	for (unsigned i = 0; i < 1100; i++) {
		many[i] = (struct kt_ns){ .nsid = i + 1, .enabled = true, .lba_shift = 9, .nblocks = 1,
					  .anagrpid = 1 };
		manyp[i] = &many[i];
	}
	g_sub.ns = manyp;
	g_sub.n_ns = 1100;
	assert_int_equal(get_ana_log(&g_c, 8192, 0, false, true), 0);
	assert_int_equal(g_cmd.xfer_len, 8192);
	assert_int_equal(u16_at(8), 3);       /* groups 1, 2 and 4 (listed) */
	assert_int_equal(u32_at(20), 1100);
	for (unsigned i = 0; i < 1100; i++)
		assert_int_equal(u32_at(48 + 4 * i), i + 1);
	assert_int_equal(u32_at(4448), 2);
	assert_int_equal(u32_at(4452), 0);
	assert_int_equal(u32_at(4480), 4);
	assert_zero(4512, 8192);
	assert_int_equal(get_ana_log(&g_c, 512, 4096, false, true), 0);
	assert_int_equal(u32_at(0), (4096 - 48) / 4 + 1);
	assert_int_equal(u32_at(352), 2);
	free(many);
	free(manyp);
	g_sub.ns = g_nsp;
	g_sub.n_ns = 3;
}

/* ---- Asynchronous events with log pages -------------------------------- */

/* ANA Change notices: only once the host enables AEC bit 11; one until the
 * host reads log 0Ch without RAE; none on a discovery controller. */
static void test_aer_ana_change(void **state)
{
	uint16_t cid;
	uint32_t d;
	(void)state;

	cmd_init(nvme_admin_async_event, 0, 0, 0, 0);
	g_cmd.sqe.cid = 0x31;
	assert_int_equal(exec(&g_c), KT_STATUS_DEFERRED);
	kt_ctrl_ana_changed(&g_c);
	assert_false(kt_ctrl_aen_take(&g_c, &cid, &d));
	assert_int_equal(g_c.n_aen_pending, 0);

	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_ASYNC_EVENT, 1u << 11), 0);
	kt_ctrl_ana_changed(&g_c);
	assert_true(kt_ctrl_aen_take(&g_c, &cid, &d));
	assert_int_equal(cid, 0x31);
	assert_int_equal(d, 0x000c0302u); /* notice, ANA change, log page 0Ch */

	/* masked until 0Ch is read without RAE; another page does not count */
	kt_ctrl_ana_changed(&g_c);
	assert_int_equal(g_c.n_aen_pending, 0);
	assert_int_equal(get_log(&g_c, 0x04, 4096, 0, false), 0);
	kt_ctrl_ana_changed(&g_c);
	assert_int_equal(g_c.n_aen_pending, 0);
	assert_int_equal(get_ana_log(&g_c, 512, 0, false, true), 0);
	kt_ctrl_ana_changed(&g_c);
	assert_int_equal(g_c.n_aen_pending, 0);
	assert_int_equal(get_ana_log(&g_c, 512, 0, true, false), 0); /* RGO counts */
	kt_ctrl_ana_changed(&g_c);
	assert_int_equal(g_c.n_aen_pending, 1);
	kt_ctrl_ana_changed(&g_c);
	assert_int_equal(g_c.n_aen_pending, 1); /* not queued twice */

	/* a namespace notice is masked apart from it */
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_ASYNC_EVENT, 1u << 8 | 1u << 11), 0);
	kt_ctrl_ns_changed(&g_c, 1);
	assert_int_equal(g_c.n_aen_pending, 2);
	cmd_init(nvme_admin_async_event, 0, 0, 0, 0);
	g_cmd.sqe.cid = 0x32;
	assert_int_equal(exec(&g_c), KT_STATUS_DEFERRED);
	assert_true(kt_ctrl_aen_take(&g_c, &cid, &d));
	assert_int_equal(d, 0x000c0302u);

	/* a discovery controller: nothing, whatever its AEC */
	g_d.feat_aec = 0xffffffffu;
	kt_ctrl_ana_changed(&g_d);
	assert_int_equal(g_d.n_aen_pending, 0);
}


static void test_aer_limit_and_pairing(void **state)
{
	uint16_t cid;
	uint32_t d;
	(void)state;

	for (uint16_t i = 0; i < KT_AER_MAX; i++) {
		cmd_init(nvme_admin_async_event, 0, 0, 0, 0);
		g_cmd.sqe.cid = (uint16_t)(0x100 + i);
		assert_int_equal(exec(&g_d), KT_STATUS_DEFERRED);
	}
	assert_int_equal(g_d.n_aer, KT_AER_MAX);
	cmd_init(nvme_admin_async_event, 0, 0, 0, 0);
	assert_int_equal(exec(&g_d), SC_CS_DNR(NVME_SC_ASYNC_LIMIT));
	assert_int_equal(g_d.n_aer, KT_AER_MAX);

	/* Discovery log change notice, after the host enables it. */
	g_d.feat_aec = 0;
	kt_ctrl_aen_raise(&g_d, NVME_AER_NOTICE, NVME_AER_NOTICE_DISC_CHANGED, NVME_LOG_LID_DISCOVER);
	assert_false(kt_ctrl_aen_take(&g_d, &cid, &d));
	assert_int_equal(set_feat(&g_d, NVME_FEAT_FID_ASYNC_EVENT, 1u << 31), 0);
	kt_ctrl_aen_raise(&g_d, NVME_AER_NOTICE, NVME_AER_NOTICE_DISC_CHANGED, NVME_LOG_LID_DISCOVER);
	assert_true(kt_ctrl_aen_take(&g_d, &cid, &d));
	assert_int_equal(cid, 0x100);
	assert_int_equal(d, 0x0070f002u);
	/* Masked until log 70h is read without RAE. */
	kt_ctrl_aen_raise(&g_d, NVME_AER_NOTICE, NVME_AER_NOTICE_DISC_CHANGED, NVME_LOG_LID_DISCOVER);
	assert_false(kt_ctrl_aen_take(&g_d, &cid, &d));
	assert_int_equal(get_log(&g_d, 0x70, 64, 0, true), 0);
	kt_ctrl_aen_raise(&g_d, NVME_AER_NOTICE, NVME_AER_NOTICE_DISC_CHANGED, NVME_LOG_LID_DISCOVER);
	assert_false(kt_ctrl_aen_take(&g_d, &cid, &d));
	assert_int_equal(get_log(&g_d, 0x70, 64, 0, false), 0);
	kt_ctrl_aen_raise(&g_d, NVME_AER_NOTICE, NVME_AER_NOTICE_DISC_CHANGED, NVME_LOG_LID_DISCOVER);
	assert_true(kt_ctrl_aen_take(&g_d, &cid, &d));
	assert_int_equal(cid, 0x101);

	/* On the I/O controller an error event is cleared by log 01h. */
	cmd_init(nvme_admin_async_event, 0, 0, 0, 0);
	g_cmd.sqe.cid = 0x77;
	assert_int_equal(exec(&g_c), KT_STATUS_DEFERRED);
	kt_ctrl_aen_raise(&g_c, NVME_AER_ERROR, NVME_AER_ERROR_PERSISTENT_INTERNAL_ERROR, NVME_LOG_LID_ERROR);
	assert_true(kt_ctrl_aen_take(&g_c, &cid, &d));
	assert_int_equal(cid, 0x77);
	assert_int_equal(d, 0x00010300u);
	kt_ctrl_aen_raise(&g_c, NVME_AER_ERROR, NVME_AER_ERROR_PERSISTENT_INTERNAL_ERROR, NVME_LOG_LID_ERROR);
	assert_int_equal(g_c.n_aen_pending, 0);
	assert_int_equal(get_log(&g_c, 0x02, 512, 0, false), 0); /* another page */
	kt_ctrl_aen_raise(&g_c, NVME_AER_ERROR, NVME_AER_ERROR_PERSISTENT_INTERNAL_ERROR, NVME_LOG_LID_ERROR);
	assert_int_equal(g_c.n_aen_pending, 0);
	assert_int_equal(get_log(&g_c, 0x01, 64, 0, false), 0);
	kt_ctrl_aen_raise(&g_c, NVME_AER_ERROR, NVME_AER_ERROR_PERSISTENT_INTERNAL_ERROR, NVME_LOG_LID_ERROR);
	assert_int_equal(g_c.n_aen_pending, 1);
}

/* ---- Keep Alive, Abort -------------------------------------------------- */

static void test_keep_alive(void **state)
{
	(void)state;

	cmd_init(nvme_admin_keep_alive, 0, 0, 0, 0);
	assert_int_equal(kt_admin_exec(&g_c, &g_cmd, 7777), 0);
	assert_int_equal(g_c.ka_rearm_ms, 7777);
	assert_int_equal(kt_ctrl_ka_deadline(&g_c), 17777);
	/* Discovery controller connected with KATO 0. */
	cmd_init(nvme_admin_keep_alive, 0, 0, 0, 0);
	assert_int_equal(kt_admin_exec(&g_d, &g_cmd, 7777), SC_DNR(NVME_SC_KAT_INVALID));
	assert_int_equal(g_d.ka_rearm_ms, NOW0);
}

static void test_abort(void **state)
{
	(void)state;

	cmd_init(nvme_admin_abort_cmd, 0, 0x00050000u, 0, 0);
	assert_int_equal(exec(&g_c), 0);
	assert_int_equal(dw0(), 1); /* not aborted */
}

/* ---- Features ----------------------------------------------------------- */

static void test_feat_simple_values(void **state)
{
	(void)state;

	/* Arbitration: stored and reported. */
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_ARBITRATION, 0, 0), 0);
	assert_int_equal(dw0(), 0);
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_ARBITRATION, 0x03020107), 0);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_ARBITRATION, 0, 0), 0);
	assert_int_equal(dw0(), 0x03020107);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_ARBITRATION, 1, 0), 0);
	assert_int_equal(dw0(), 0);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_ARBITRATION, 2, 0), 0);
	assert_int_equal(dw0(), 0);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_ARBITRATION, 3, 0), 0);
	assert_int_equal(dw0(), 0x4); /* changeable, not saveable, not per NS */

	/* Power management: power state 0 only, no workload hint. */
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_POWER_MGMT, 0), 0);
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_POWER_MGMT, 1), INVALID_FIELD);
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_POWER_MGMT, 1u << 5), INVALID_FIELD);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_POWER_MGMT, 0, 0), 0);
	assert_int_equal(dw0(), 0);

	/* Error recovery: TLER kept, DULBE refused. */
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_ERR_RECOVERY, 100), 0);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_ERR_RECOVERY, 0, 0), 0);
	assert_int_equal(dw0(), 100);
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_ERR_RECOVERY, 1u << 16), INVALID_FIELD);
	/* It is the one feature that may name a namespace. */
	cmd_init(nvme_admin_set_features, 1, NVME_FEAT_FID_ERR_RECOVERY, 5, 0);
	assert_int_equal(exec(&g_c), 0);

	/* Write atomicity normal. */
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_WRITE_ATOMIC, 1), 0);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_WRITE_ATOMIC, 0, 0), 0);
	assert_int_equal(dw0(), 1);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_WRITE_ATOMIC, 1, 0), 0);
	assert_int_equal(dw0(), 0);
}

static void test_feat_temp_threshold(void **state)
{
	(void)state;

	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_TEMP_THRESH, 0, 0), 0);
	assert_int_equal(dw0(), 343);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_TEMP_THRESH, 0, 1u << 20), 0);
	assert_int_equal(dw0(), 0); /* under threshold */
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_TEMP_THRESH, 350), 0);
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_TEMP_THRESH, 250 | 1u << 20), 0);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_TEMP_THRESH, 0, 0), 0);
	assert_int_equal(dw0(), 350);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_TEMP_THRESH, 0, 1u << 20), 0);
	assert_int_equal(dw0(), 250);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_TEMP_THRESH, 1, 0), 0);
	assert_int_equal(dw0(), 343);
	/* All sensors (TMPSEL Fh) on Set is the composite one here. */
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_TEMP_THRESH, 360 | 0xfu << 16), 0);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_TEMP_THRESH, 0, 0), 0);
	assert_int_equal(dw0(), 360);
	/* Other sensors and threshold types do not exist. */
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_TEMP_THRESH, 300 | 1u << 16), INVALID_FIELD);
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_TEMP_THRESH, 300 | 2u << 20), INVALID_FIELD);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_TEMP_THRESH, 0, 1u << 16), INVALID_FIELD);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_TEMP_THRESH, 0, 0xfu << 16), INVALID_FIELD);
}

static void test_feat_vwc(void **state)
{
	(void)state;

	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_VOLATILE_WC, 0, 0), 0);
	assert_int_equal(dw0(), 1);
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_VOLATILE_WC, 0), 0);
	assert_int_equal(g_c.feat_vwc, 0);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_VOLATILE_WC, 0, 0), 0);
	assert_int_equal(dw0(), 0);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_VOLATILE_WC, 1, 0), 0);
	assert_int_equal(dw0(), 1);
	/* No write cache: no such feature. */
	g_ns[0].vwc = false;
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_VOLATILE_WC, 0, 0), INVALID_FIELD);
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_VOLATILE_WC, 1), INVALID_FIELD);
}

static void test_feat_num_queues(void **state)
{
	(void)state;

	/* Default: every queue the subsystem allows (8), zero-based. */
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_NUM_QUEUES, 0, 0), 0);
	assert_int_equal(dw0(), 7u | 7u << 16);
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_NUM_QUEUES, 3u | 3u << 16), 0);
	assert_int_equal(dw0(), 3u | 3u << 16);
	assert_int_equal(g_c.nr_io_queues, 4);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_NUM_QUEUES, 0, 0), 0);
	assert_int_equal(dw0(), 3u | 3u << 16);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_NUM_QUEUES, 1, 0), 0);
	assert_int_equal(dw0(), 7u | 7u << 16);
	/* Asking for 1024 (as SPDK does) gets the maximum. */
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_NUM_QUEUES, 1023u | 1023u << 16), 0);
	assert_int_equal(dw0(), 7u | 7u << 16);
	assert_int_equal(g_c.nr_io_queues, 8);
	/* Queues come in pairs: the smaller request wins. */
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_NUM_QUEUES, 1u | 5u << 16), 0);
	assert_int_equal(dw0(), 1u | 1u << 16);
	assert_int_equal(g_c.nr_io_queues, 2);
	/* 65536 queues is not a value. */
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_NUM_QUEUES, 0xffffu), INVALID_FIELD);
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_NUM_QUEUES, 0xffffu << 16), INVALID_FIELD);
	assert_int_equal(g_c.nr_io_queues, 2);
	/* Once an I/O queue exists: Command Sequence Error. */
	atomic_store(&g_c.io_queues, 1);
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_NUM_QUEUES, 0), CMD_SEQ_ERROR);
	assert_int_equal(g_c.nr_io_queues, 2);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_NUM_QUEUES, 0, 0), 0);
	assert_int_equal(dw0(), 1u | 1u << 16);
}

static void test_feat_async_event_config(void **state)
{
	(void)state;

	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_ASYNC_EVENT, 0, 0), 0);
	assert_int_equal(dw0(), 0);
	/* I/O controller: SMART warnings and the notices OAES advertises,
	 * namespace attribute (bit 8) and ANA change (bit 11). */
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_ASYNC_EVENT, 0xffffffffu), 0);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_ASYNC_EVENT, 0, 0), 0);
	assert_int_equal(dw0(), 0x9ff);
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_ASYNC_EVENT, 1u << 11 | 1u << 10 | 1u << 9), 0);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_ASYNC_EVENT, 0, 0), 0);
	assert_int_equal(dw0(), 1u << 11);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_ASYNC_EVENT, 1, 0), 0);
	assert_int_equal(dw0(), 0);
	/* Discovery controller: the discovery log change notice only (no ANA). */
	assert_int_equal(set_feat(&g_d, NVME_FEAT_FID_ASYNC_EVENT, 0xffffffffu), 0);
	assert_int_equal(get_feat(&g_d, NVME_FEAT_FID_ASYNC_EVENT, 0, 0), 0);
	assert_int_equal(dw0(), 1u << 31);
	assert_int_equal(set_feat(&g_d, NVME_FEAT_FID_ASYNC_EVENT, 1u << 11), 0);
	assert_int_equal(get_feat(&g_d, NVME_FEAT_FID_ASYNC_EVENT, 0, 0), 0);
	assert_int_equal(dw0(), 0);
}

static void test_feat_kato(void **state)
{
	(void)state;

	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_KATO, 0, 0), 0);
	assert_int_equal(dw0(), 10000);
	cmd_init(nvme_admin_set_features, 0, NVME_FEAT_FID_KATO, 1234, 0);
	assert_int_equal(kt_admin_exec(&g_c, &g_cmd, 9000), 0);
	assert_int_equal(g_c.kato_ms, 1500);  /* rounded to KAS (500 ms) */
	assert_int_equal(g_c.ka_rearm_ms, 9000);
	assert_int_equal(kt_ctrl_ka_deadline(&g_c), 10500);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_KATO, 0, 0), 0);
	assert_int_equal(dw0(), 1500);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_KATO, 1, 0), 0);
	assert_int_equal(dw0(), 10000);       /* the Connect's value */
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_KATO, 2, 0), 0);
	assert_int_equal(dw0(), 10000);
	assert_int_equal(set_feat(&g_c, NVME_FEAT_FID_KATO, 0), 0);
	assert_int_equal(kt_ctrl_ka_deadline(&g_c), 0);
	/* A discovery controller turns persistent with a KATO. */
	assert_int_equal(set_feat(&g_d, NVME_FEAT_FID_KATO, 30000), 0);
	assert_int_equal(g_d.kato_ms, 30000);
	assert_int_equal(get_feat(&g_d, NVME_FEAT_FID_KATO, 0, 0), 0);
	assert_int_equal(dw0(), 30000);
}

static void test_feat_host_id(void **state)
{
	(void)state;

	cmd_init(nvme_admin_get_features, 0, NVME_FEAT_FID_HOST_ID, 1, 16);
	assert_int_equal(exec(&g_c), 0);
	assert_int_equal(g_cmd.xfer_len, 16);
	assert_memory_equal(g_buf, g_hostid, 16);
	assert_int_equal(g_buf[16], 0xee);
	/* 64-bit host identifier (EXHID 0) is not for fabrics. */
	cmd_init(nvme_admin_get_features, 0, NVME_FEAT_FID_HOST_ID, 0, 16);
	assert_int_equal(exec(&g_c), INVALID_FIELD);
	/* Too small a buffer. */
	cmd_init(nvme_admin_get_features, 0, NVME_FEAT_FID_HOST_ID, 1, 8);
	assert_int_equal(exec(&g_c), INVALID_FIELD);
	/* Fixed by Connect. */
	cmd_init(nvme_admin_set_features, 0, NVME_FEAT_FID_HOST_ID, 1, 16);
	assert_int_equal(exec(&g_c), CMD_SEQ_ERROR);
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_HOST_ID, 3, 0), 0);
	assert_int_equal(dw0(), 0); /* not changeable */
}

static void test_feat_refused(void **state)
{
	(void)state;

	/* Unknown or unsupported FIDs. */
	const uint8_t fids[] = { 0x00, NVME_FEAT_FID_LBA_RANGE, NVME_FEAT_FID_IRQ_COALESCE,
				 NVME_FEAT_FID_IRQ_CONFIG, NVME_FEAT_FID_AUTO_PST,
				 NVME_FEAT_FID_TIMESTAMP, NVME_FEAT_FID_HOST_BEHAVIOR,
				 NVME_FEAT_FID_RESV_MASK, 0xff };
	for (size_t i = 0; i < sizeof(fids); i++) {
		assert_int_equal(get_feat(&g_c, fids[i], 0, 0), INVALID_FIELD);
		assert_int_equal(set_feat(&g_c, fids[i], 0), INVALID_FIELD);
	}
	/* SEL beyond 11b. */
	assert_int_equal(get_feat(&g_c, NVME_FEAT_FID_KATO, 4, 0), INVALID_FIELD);
	/* Save: nothing is saveable. */
	cmd_init(nvme_admin_set_features, 0, NVME_FEAT_FID_KATO | 1u << 31, 5000, 0);
	assert_int_equal(exec(&g_c), SC_CS_DNR(NVME_SC_FEATURE_NOT_SAVEABLE));
	assert_int_equal(g_c.kato_ms, 10000);
	/* Controller-wide features do not take a namespace. */
	cmd_init(nvme_admin_set_features, 1, NVME_FEAT_FID_ARBITRATION, 1, 0);
	assert_int_equal(exec(&g_c), SC_CS_DNR(NVME_SC_FEATURE_NOT_PER_NS));
	cmd_init(nvme_admin_set_features, 0xffffffff, NVME_FEAT_FID_ARBITRATION, 1, 0);
	assert_int_equal(exec(&g_c), 0);
	/* A discovery controller has KATO and AEC only. */
	const uint8_t io_only[] = { NVME_FEAT_FID_ARBITRATION, NVME_FEAT_FID_POWER_MGMT,
				    NVME_FEAT_FID_TEMP_THRESH, NVME_FEAT_FID_ERR_RECOVERY,
				    NVME_FEAT_FID_VOLATILE_WC, NVME_FEAT_FID_NUM_QUEUES,
				    NVME_FEAT_FID_WRITE_ATOMIC, NVME_FEAT_FID_HOST_ID };
	for (size_t i = 0; i < sizeof(io_only); i++) {
		assert_int_equal(get_feat(&g_d, io_only[i], 0, 1), INVALID_FIELD);
		assert_int_equal(set_feat(&g_d, io_only[i], 0), INVALID_FIELD);
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
		T(test_cmd_seq_error_before_ready),
		T(test_unsupported_opcodes),
		T(test_failure_is_logged),
		T(test_identify_ctrl_io),
		T(test_identify_ctrl_variants),
		T(test_identify_ctrl_discovery),
		T(test_identify_buffer_sizes),
		T(test_identify_ns),
		T(test_identify_ns_ana_states),
		T(test_identify_ns_lists),
		T(test_identify_ns_list_cap),
		T(test_identify_desc_list),
		T(test_identify_csi_structures),
		T(test_log_supported),
		T(test_log_error),
		T(test_log_offsets_and_lengths),
		T(test_log_field_checks),
		T(test_log_smart),
		T(test_log_fw_slot),
		T(test_log_changed_ns),
		T(test_log_cmd_effects),
		T(test_log_discovery),
		T(test_log_ana),
		T(test_log_ana_large),
		T(test_aer_limit_and_pairing),
		T(test_aer_ana_change),
		T(test_keep_alive),
		T(test_abort),
		T(test_feat_simple_values),
		T(test_feat_temp_threshold),
		T(test_feat_vwc),
		T(test_feat_num_queues),
		T(test_feat_async_event_config),
		T(test_feat_kato),
		T(test_feat_host_id),
		T(test_feat_refused),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}

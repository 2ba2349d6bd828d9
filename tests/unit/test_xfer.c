/*
 * test_xfer.c - the data-transfer rules of a command's SGL descriptor
 * (proto/xfer.c, kt_xfer_parse): every rule of its comment with the whole
 * status (SCT, SC, Do Not Retry), at the edges: offsets and lengths equal
 * to the in-capsule data and one past it, 64-bit offsets that would wrap or
 * truncate, lengths of 0xffffffff, MDTS exactly and one past. The SQEs are
 * written byte by byte (unit_sqe.h).
 */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/xfer.h"
#include "unit_sqe.h"

#define UNUSED __attribute__((unused))

#define ST_INVALID_FIELD KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true)
#define ST_SGL_LENGTH KT_STATUS(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_DATA, true)
#define ST_SGL_TYPE KT_STATUS(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_TYPE, true)
#define ST_SGL_OFFSET KT_STATUS(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_OFFSET, true)

/* Opcodes by their direction bits (1:0). */
#define OPC_NONE 0x00   /* Flush */
#define OPC_H2C 0x01    /* Write */
#define OPC_C2H 0x02    /* Read */
#define OPC_BIDI 0x03   /* 11b: bidirectional */
#define OPC_FABRICS 0x7f

#define T_INCAPSULE 0x01 /* Data Block, offset subtype */
#define T_TRANSPORT 0x5a /* Transport Data Block, transport subtype */

#define MDTS (128u * 1024u)
#define ICD 8192u

static const struct kt_xfer_caps CAPS_TCP = { .sgl_incapsule = true, .sgl_transport = true };

static struct kt_sqe g_sqe;
static struct kt_xfer g_x;

/* kt_xfer_parse on g_sqe into g_x, which is filled with junk first so
 * that what the function reports is told apart from what was there. */
static uint16_t parse_caps(const struct kt_xfer_caps *caps, uint32_t icd_len, uint32_t max_len)
{
	memset(&g_x, 0xa5, sizeof(g_x));
	return kt_xfer_parse(caps, &g_sqe, icd_len, max_len, &g_x);
}

static uint16_t parse(uint32_t icd_len, uint32_t max_len)
{
	return parse_caps(&CAPS_TCP, icd_len, max_len);
}

/* A fabrics SQE: opcode 7Fh, FCTYPE at byte 4. */
static void fabrics(uint8_t fctype, uint8_t sgl_type, uint64_t addr, uint32_t len)
{
	sqe_init(&g_sqe, OPC_FABRICS, SQE_PSDT_SGL, sgl_type, addr, len);
	((uint8_t *)&g_sqe)[4] = fctype;
}

static void assert_xfer(enum kt_xfer_src src, unsigned dir, uint32_t off, uint32_t len)
{
	assert_int_equal(g_x.src, src);
	assert_int_equal(g_x.dir, dir);
	assert_int_equal(g_x.off, off);
	assert_int_equal(g_x.len, len);
}

/* ---- direction --------------------------------------------------------- */

static void test_bidirectional(void **state UNUSED)
{
	/* A well-formed transport descriptor does not save it ... */
	sqe_init(&g_sqe, OPC_BIDI, SQE_PSDT_SGL, T_TRANSPORT, 0, 4096);
	assert_int_equal(parse(0, MDTS), ST_INVALID_FIELD);
	/* ... nor an in-capsule one, nor no data at all: the direction is
	 * judged first. */
	sqe_init(&g_sqe, OPC_BIDI, SQE_PSDT_SGL, T_INCAPSULE, 0, 512);
	assert_int_equal(parse(512, MDTS), ST_INVALID_FIELD);
	sqe_init(&g_sqe, OPC_BIDI, SQE_PSDT_SGL, T_TRANSPORT, 0, 0);
	assert_int_equal(parse(0, MDTS), ST_INVALID_FIELD);
	sqe_init(&g_sqe, 0xff, 0x00, 0x40, 0, 0); /* even with PRPs and a keyed type */
	assert_int_equal(parse(0, MDTS), ST_INVALID_FIELD);
	/* A fabrics command is bidirectional by its FCTYPE, not by 7Fh. */
	fabrics(0x07, T_TRANSPORT, 0, 4096);
	assert_int_equal(parse(0, MDTS), ST_INVALID_FIELD);
}

/* ---- no transfer ------------------------------------------------------- */

static void test_no_transfer_with_icd(void **state UNUSED)
{
	/* No direction, data in the capsule: whatever the descriptor says. */
	sqe_init(&g_sqe, OPC_NONE, SQE_PSDT_SGL, T_INCAPSULE, 0, 0);
	assert_int_equal(parse(1, MDTS), ST_SGL_LENGTH);
	sqe_init(&g_sqe, OPC_NONE, SQE_PSDT_SGL, T_INCAPSULE, 0, 512);
	assert_int_equal(parse(512, MDTS), ST_SGL_LENGTH);
	/* A direction, but a length of 0. */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 0, 0);
	assert_int_equal(parse(512, MDTS), ST_SGL_LENGTH);
	sqe_init(&g_sqe, OPC_C2H, SQE_PSDT_SGL, T_TRANSPORT, 0, 0);
	assert_int_equal(parse(ICD, MDTS), ST_SGL_LENGTH);
	/* Before the PSDT and descriptor type are looked at. */
	sqe_init(&g_sqe, OPC_NONE, 0x00, 0x40, 0, 0);
	assert_int_equal(parse(4, MDTS), ST_SGL_LENGTH);
	/* Fabrics: Property Get (FCTYPE 04h) moves no data. */
	fabrics(0x04, T_INCAPSULE, 0, 8);
	assert_int_equal(parse(8, MDTS), ST_SGL_LENGTH);
}

static void test_no_transfer(void **state UNUSED)
{
	sqe_init(&g_sqe, OPC_NONE, SQE_PSDT_SGL, T_INCAPSULE, 0, 0);
	assert_int_equal(parse(0, MDTS), 0);
	assert_xfer(KT_XFER_NONE, KT_DIR_NONE, 0, 0);

	/* A length with no direction names nothing: no data, len 0. */
	sqe_init(&g_sqe, OPC_NONE, SQE_PSDT_SGL, T_TRANSPORT, 0x1000, 0xffffffff);
	assert_int_equal(parse(0, MDTS), 0);
	assert_xfer(KT_XFER_NONE, KT_DIR_NONE, 0, 0);

	/* A direction with length 0: the direction is reported, no data. */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_TRANSPORT, 0, 0);
	assert_int_equal(parse(0, MDTS), 0);
	assert_xfer(KT_XFER_NONE, KT_DIR_H2C, 0, 0);
	sqe_init(&g_sqe, OPC_C2H, SQE_PSDT_SGL, T_INCAPSULE, UINT64_MAX, 0);
	assert_int_equal(parse(0, MDTS), 0);
	assert_xfer(KT_XFER_NONE, KT_DIR_C2H, 0, 0);

	/* Nothing moves, so PSDT and the descriptor type do not matter
	 * (the rules for them are rules of a transfer). */
	sqe_init(&g_sqe, OPC_H2C, 0x00, 0x40, 0xdeadbeef, 0);
	assert_int_equal(parse(0, MDTS), 0);
	assert_xfer(KT_XFER_NONE, KT_DIR_H2C, 0, 0);
	/* and neither do the transport's capabilities */
	static const struct kt_xfer_caps none = { false, false };
	sqe_init(&g_sqe, OPC_NONE, SQE_PSDT_SGL, T_INCAPSULE, 0, 0);
	assert_int_equal(parse_caps(&none, 0, 0), 0);
	assert_xfer(KT_XFER_NONE, KT_DIR_NONE, 0, 0);
}

/* ---- PSDT -------------------------------------------------------------- */

static void test_prp(void **state UNUSED)
{
	/* PSDT 00b with a transfer: PRPs, which no fabrics transport carries,
	 * whatever the descriptor bytes would mean as an SGL. */
	sqe_init(&g_sqe, OPC_H2C, 0x00, T_INCAPSULE, 0, 512);
	assert_int_equal(parse(512, MDTS), ST_INVALID_FIELD);
	sqe_init(&g_sqe, OPC_C2H, 0x00, T_TRANSPORT, 0, 4096);
	assert_int_equal(parse(0, MDTS), ST_INVALID_FIELD);
	/* FUSE bits set, PSDT still 00b. */
	sqe_init(&g_sqe, OPC_H2C, 0x03, T_TRANSPORT, 0, 4096);
	assert_int_equal(parse(0, MDTS), ST_INVALID_FIELD);
	/* Before the descriptor's own checks (here: offset past the data). */
	sqe_init(&g_sqe, OPC_H2C, 0x00, T_INCAPSULE, UINT64_MAX, 512);
	assert_int_equal(parse(512, MDTS), ST_INVALID_FIELD);

	/* PSDT 01b and 10b are SGLs; FUSE bits are not this rule's business. */
	sqe_init(&g_sqe, OPC_H2C, 0x80, T_TRANSPORT, 0, 4096);
	assert_int_equal(parse(0, MDTS), 0);
	assert_xfer(KT_XFER_TRANSPORT, KT_DIR_H2C, 0, 4096);
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL | 0x01, T_TRANSPORT, 0, 4096);
	assert_int_equal(parse(0, MDTS), 0);
	assert_xfer(KT_XFER_TRANSPORT, KT_DIR_H2C, 0, 4096);
}

/* ---- in-capsule descriptor ---------------------------------------------- */

static void test_incapsule_c2h(void **state UNUSED)
{
	/* Host data only: a read-like command cannot name the capsule. */
	sqe_init(&g_sqe, OPC_C2H, SQE_PSDT_SGL, T_INCAPSULE, 0, 512);
	assert_int_equal(parse(0, MDTS), ST_SGL_TYPE);
	/* Judged before the offset and length (both fine or not). */
	assert_int_equal(parse(512, MDTS), ST_SGL_TYPE);
	sqe_init(&g_sqe, OPC_C2H, SQE_PSDT_SGL, T_INCAPSULE, UINT64_MAX, 0xffffffff);
	assert_int_equal(parse(512, MDTS), ST_SGL_TYPE);
	/* Fabrics: Authentication Receive (FCTYPE 06h) is C2H. */
	fabrics(0x06, T_INCAPSULE, 0, 512);
	assert_int_equal(parse(512, MDTS), ST_SGL_TYPE);
}

static void test_incapsule_offset(void **state UNUSED)
{
	/* One past the data. */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, ICD + 1, 1);
	assert_int_equal(parse(ICD, MDTS), ST_SGL_OFFSET);
	/* The largest offsets: 2^64-1, and 2^32 (0 if truncated to 32 bits),
	 * 2^32 + 16 (16 if truncated), 2^64 - 16 (wraps to 0 with 16 added). */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, UINT64_MAX, 1);
	assert_int_equal(parse(ICD, MDTS), ST_SGL_OFFSET);
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 1ull << 32, 16);
	assert_int_equal(parse(ICD, MDTS), ST_SGL_OFFSET);
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, (1ull << 32) + 16, 16);
	assert_int_equal(parse(ICD, MDTS), ST_SGL_OFFSET);
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, UINT64_MAX - 15, 16);
	assert_int_equal(parse(ICD, MDTS), ST_SGL_OFFSET);
	/* An offset with no in-capsule data at all. */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 1, 1);
	assert_int_equal(parse(0, MDTS), ST_SGL_OFFSET);
	/* The offset is judged before the length (both wrong here). */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, ICD + 1, 0xffffffff);
	assert_int_equal(parse(ICD, MDTS), ST_SGL_OFFSET);
}

static void test_incapsule_length(void **state UNUSED)
{
	/* One byte past the data, from offset 0 and from the middle. */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 0, ICD + 1);
	assert_int_equal(parse(ICD, MDTS), ST_SGL_LENGTH);
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 100, ICD - 99);
	assert_int_equal(parse(ICD, MDTS), ST_SGL_LENGTH);
	/* Offset exactly at the end: any byte is too many. */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, ICD, 1);
	assert_int_equal(parse(ICD, MDTS), ST_SGL_LENGTH);
	/* No in-capsule data, offset 0. */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 0, 1);
	assert_int_equal(parse(0, MDTS), ST_SGL_LENGTH);
	/* 0xffffffff bytes; and offset + length wrapping in 32 bits
	 * (1 + 0xffffffff = 0, 16 + 0xfffffff0 = 0). */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 0, 0xffffffff);
	assert_int_equal(parse(ICD, MDTS), ST_SGL_LENGTH);
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 1, 0xffffffff);
	assert_int_equal(parse(ICD, MDTS), ST_SGL_LENGTH);
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 16, 0xfffffff0);
	assert_int_equal(parse(ICD, MDTS), ST_SGL_LENGTH);
	/* in-capsule data of 0xffffffff bytes, one more named */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 1, 0xffffffff);
	assert_int_equal(parse(0xffffffff, MDTS), ST_SGL_LENGTH);
}

static void test_incapsule_ok(void **state UNUSED)
{
	/* offset + length == the data: accepted, offset and length reported */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 0, ICD);
	assert_int_equal(parse(ICD, MDTS), 0);
	assert_xfer(KT_XFER_INCAPSULE, KT_DIR_H2C, 0, ICD);
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 100, ICD - 100);
	assert_int_equal(parse(ICD, MDTS), 0);
	assert_xfer(KT_XFER_INCAPSULE, KT_DIR_H2C, 100, ICD - 100);
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, ICD - 1, 1);
	assert_int_equal(parse(ICD, MDTS), 0);
	assert_xfer(KT_XFER_INCAPSULE, KT_DIR_H2C, ICD - 1, 1);
	/* Less than the data is fine too. */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 8, 16);
	assert_int_equal(parse(ICD, MDTS), 0);
	assert_xfer(KT_XFER_INCAPSULE, KT_DIR_H2C, 8, 16);
	/* The largest: 0xffffffff bytes at offset 0 of as many. */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 0, 0xffffffff);
	assert_int_equal(parse(0xffffffff, 0xffffffff), 0);
	assert_xfer(KT_XFER_INCAPSULE, KT_DIR_H2C, 0, 0xffffffff);
	/* Fabrics: Connect (FCTYPE 01h) is H2C, its 1024 bytes in the capsule. */
	fabrics(0x01, T_INCAPSULE, 0, 1024);
	assert_int_equal(parse(1024, MDTS), 0);
	assert_xfer(KT_XFER_INCAPSULE, KT_DIR_H2C, 0, 1024);
}

static void test_incapsule_not_carried(void **state UNUSED)
{
	static const struct kt_xfer_caps transport_only = { .sgl_incapsule = false, .sgl_transport = true };

	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 0, 512);
	assert_int_equal(parse_caps(&transport_only, 512, MDTS), ST_SGL_TYPE);
	/* the same descriptor where it is carried */
	assert_int_equal(parse(512, MDTS), 0);
	assert_xfer(KT_XFER_INCAPSULE, KT_DIR_H2C, 0, 512);
}

/* ---- transport descriptor ------------------------------------------------ */

static void test_transport_with_icd(void **state UNUSED)
{
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_TRANSPORT, 0, 4096);
	assert_int_equal(parse(1, MDTS), ST_SGL_LENGTH);
	assert_int_equal(parse(4096, MDTS), ST_SGL_LENGTH);
	/* judged before the length against MDTS */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_TRANSPORT, 0, 0xffffffff);
	assert_int_equal(parse(ICD, MDTS), ST_SGL_LENGTH);
	/* C2H too */
	sqe_init(&g_sqe, OPC_C2H, SQE_PSDT_SGL, T_TRANSPORT, 0, 4096);
	assert_int_equal(parse(64, MDTS), ST_SGL_LENGTH);
}

static void test_transport_max_len(void **state UNUSED)
{
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_TRANSPORT, 0, MDTS + 1);
	assert_int_equal(parse(0, MDTS), ST_INVALID_FIELD);
	sqe_init(&g_sqe, OPC_C2H, SQE_PSDT_SGL, T_TRANSPORT, 0, 0xffffffff);
	assert_int_equal(parse(0, MDTS), ST_INVALID_FIELD);
	sqe_init(&g_sqe, OPC_C2H, SQE_PSDT_SGL, T_TRANSPORT, 0, 0xffffffff);
	assert_int_equal(parse(0, 0xfffffffe), ST_INVALID_FIELD);

	/* Exactly MDTS: accepted; the address field is not an offset here. */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_TRANSPORT, UINT64_MAX, MDTS);
	assert_int_equal(parse(0, MDTS), 0);
	assert_xfer(KT_XFER_TRANSPORT, KT_DIR_H2C, 0, MDTS);
	sqe_init(&g_sqe, OPC_C2H, SQE_PSDT_SGL, T_TRANSPORT, 0, MDTS);
	assert_int_equal(parse(0, MDTS), 0);
	assert_xfer(KT_XFER_TRANSPORT, KT_DIR_C2H, 0, MDTS);
	sqe_init(&g_sqe, OPC_C2H, SQE_PSDT_SGL, T_TRANSPORT, 0, 1);
	assert_int_equal(parse(0, MDTS), 0);
	assert_xfer(KT_XFER_TRANSPORT, KT_DIR_C2H, 0, 1);
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_TRANSPORT, 0, 0xffffffff);
	assert_int_equal(parse(0, 0xffffffff), 0);
	assert_xfer(KT_XFER_TRANSPORT, KT_DIR_H2C, 0, 0xffffffff);
	/* Fabrics: Connect by the transport, Authentication Receive (C2H). */
	fabrics(0x01, T_TRANSPORT, 0, 1024);
	assert_int_equal(parse(0, MDTS), 0);
	assert_xfer(KT_XFER_TRANSPORT, KT_DIR_H2C, 0, 1024);
	fabrics(0x06, T_TRANSPORT, 0, 512);
	assert_int_equal(parse(0, MDTS), 0);
	assert_xfer(KT_XFER_TRANSPORT, KT_DIR_C2H, 0, 512);
}

static void test_transport_not_carried(void **state UNUSED)
{
	static const struct kt_xfer_caps incapsule_only = { .sgl_incapsule = true, .sgl_transport = false };

	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_TRANSPORT, 0, 4096);
	assert_int_equal(parse_caps(&incapsule_only, 0, MDTS), ST_SGL_TYPE);
	sqe_init(&g_sqe, OPC_C2H, SQE_PSDT_SGL, T_TRANSPORT, 0, 4096);
	assert_int_equal(parse_caps(&incapsule_only, 0, MDTS), ST_SGL_TYPE);
	/* the type is refused before its length is looked at */
	sqe_init(&g_sqe, OPC_C2H, SQE_PSDT_SGL, T_TRANSPORT, 0, 0xffffffff);
	assert_int_equal(parse_caps(&incapsule_only, 0, MDTS), ST_SGL_TYPE);
	/* in-capsule still carried */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 0, 64);
	assert_int_equal(parse_caps(&incapsule_only, 64, MDTS), 0);
	assert_xfer(KT_XFER_INCAPSULE, KT_DIR_H2C, 0, 64);
}

/* ---- other descriptor types -------------------------------------------- */

static void test_other_types(void **state UNUSED)
{
	/* Keyed Data Block (4xh), Data Block with address (00h), Segment
	 * (20h), Last Segment (30h), Bit Bucket (10h), the transport type with
	 * the offset subtype (51h) and the data block type with the transport
	 * subtype (0Ah), a reserved subtype (02h), and FFh. */
	static const uint8_t types[] = { 0x40, 0x41, 0x4a, 0x00, 0x20, 0x30, 0x10, 0x51, 0x0a, 0x02, 0xff };
	static const struct kt_xfer_caps none = { false, false };

	for (size_t i = 0; i < sizeof(types); i++) {
		sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, types[i], 0, 4096);
		assert_int_equal(parse(0, MDTS), ST_SGL_TYPE);
		assert_int_equal(parse(ICD, MDTS), ST_SGL_TYPE);
		sqe_init(&g_sqe, OPC_C2H, SQE_PSDT_SGL, types[i], 0, 4096);
		assert_int_equal(parse(0, MDTS), ST_SGL_TYPE);
	}
	/* A transport that carries nothing: the two known types are refused
	 * as any other. */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 0, 16);
	assert_int_equal(parse_caps(&none, 16, MDTS), ST_SGL_TYPE);
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_TRANSPORT, 0, 16);
	assert_int_equal(parse_caps(&none, 0, MDTS), ST_SGL_TYPE);
}

/* ---- fabrics commands -------------------------------------------------- */

static void test_fabrics_direction(void **state UNUSED)
{
	/* 7Fh alone would be bidirectional: FCTYPE decides. Connect (01h)
	 * is H2C, Property Set (00h), Property Get (04h) and Disconnect
	 * (08h) move nothing, Authentication Receive (06h) is C2H. */
	fabrics(0x01, T_INCAPSULE, 0, 1024);
	assert_int_equal(parse(1024, MDTS), 0);
	assert_xfer(KT_XFER_INCAPSULE, KT_DIR_H2C, 0, 1024);

	fabrics(0x00, 0, 0, 0);
	assert_int_equal(parse(0, MDTS), 0);
	assert_xfer(KT_XFER_NONE, KT_DIR_NONE, 0, 0);
	fabrics(0x04, 0, 0, 0);
	assert_int_equal(parse(0, MDTS), 0);
	assert_xfer(KT_XFER_NONE, KT_DIR_NONE, 0, 0);
	fabrics(0x08, 0, 0, 0);
	assert_int_equal(parse(0, MDTS), 0);
	assert_xfer(KT_XFER_NONE, KT_DIR_NONE, 0, 0);

	/* Authentication Receive: C2H, so not in the capsule. */
	fabrics(0x06, T_INCAPSULE, 0, 16);
	assert_int_equal(parse(16, MDTS), ST_SGL_TYPE);
	fabrics(0x06, T_TRANSPORT, 0, 16);
	assert_int_equal(parse(0, MDTS), 0);
	assert_xfer(KT_XFER_TRANSPORT, KT_DIR_C2H, 0, 16);

	/* The opcode byte of a non-fabrics command with FCTYPE-like byte 4
	 * (NSID) is not mistaken for one: Write with NSID 02h is H2C. */
	sqe_init(&g_sqe, OPC_H2C, SQE_PSDT_SGL, T_INCAPSULE, 0, 16);
	((uint8_t *)&g_sqe)[4] = 0x02;
	assert_int_equal(parse(16, MDTS), 0);
	assert_xfer(KT_XFER_INCAPSULE, KT_DIR_H2C, 0, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bidirectional),
		cmocka_unit_test(test_no_transfer_with_icd),
		cmocka_unit_test(test_no_transfer),
		cmocka_unit_test(test_prp),
		cmocka_unit_test(test_incapsule_c2h),
		cmocka_unit_test(test_incapsule_offset),
		cmocka_unit_test(test_incapsule_length),
		cmocka_unit_test(test_incapsule_ok),
		cmocka_unit_test(test_incapsule_not_carried),
		cmocka_unit_test(test_transport_with_icd),
		cmocka_unit_test(test_transport_max_len),
		cmocka_unit_test(test_transport_not_carried),
		cmocka_unit_test(test_other_types),
		cmocka_unit_test(test_fabrics_direction),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * wire.h - on-the-wire layouts that libnvme 1.3 lacks: NVMe/TCP PDUs (NVMe/TCP
 * transport binding 1.0), the 64-byte submission queue entry, the 16-byte
 * completion queue entry, SGL descriptors and the fabrics command layouts.
 *
 * Everything here is little-endian on the wire. libnvme's __le types are plain
 * host-order typedefs, so every multi-byte field must be read with le16toh()
 * and friends from <endian.h> and written with htole16() and friends.
 * Spec structures that libnvme does have (identify data, log pages, connect
 * data, discovery log) come from <nvme/types.h>; do not redefine them.
 */
#ifndef KATO_PROTO_WIRE_H
#define KATO_PROTO_WIRE_H

#include <assert.h>
#include <stdint.h>
#include <nvme/types.h>

/* ---- NVMe/TCP PDUs ---------------------------------------------------- */

enum kt_pdu_type {
	KT_PDU_ICREQ = 0x00,
	KT_PDU_ICRESP = 0x01,
	KT_PDU_H2C_TERM = 0x02,
	KT_PDU_C2H_TERM = 0x03,
	KT_PDU_CMD = 0x04,
	KT_PDU_RSP = 0x05,
	KT_PDU_H2C_DATA = 0x06,
	KT_PDU_C2H_DATA = 0x07,
	KT_PDU_R2T = 0x09,
};

/* Common header FLAGS bits. */
enum kt_pdu_flags {
	KT_PDU_F_HDGST = 0x01,   /* header digest present */
	KT_PDU_F_DDGST = 0x02,   /* data digest present */
	KT_PDU_F_DATA_LAST = 0x04, /* H2CData / C2HData: last PDU of the transfer */
	KT_PDU_F_DATA_SUCCESS = 0x08, /* C2HData: command done, no CapsuleResp follows */
};

/* ICReq/ICResp DGST field bits. */
enum kt_ic_digest {
	KT_IC_HDGST = 0x01,
	KT_IC_DDGST = 0x02,
};

/* Fatal Error Status of a C2HTermReq / H2CTermReq. */
enum kt_fes {
	KT_FES_INVALID_HEADER = 0x01,     /* Invalid PDU Header Field; FEI = byte offset */
	KT_FES_PDU_SEQUENCE = 0x02,       /* PDU Sequence Error */
	KT_FES_HDR_DIGEST = 0x03,         /* Header Digest Error */
	KT_FES_DATA_OUT_OF_RANGE = 0x04,  /* Data Transfer Out of Range */
	KT_FES_R2T_LIMIT = 0x05,          /* Data Transfer Limit Exceeded */
	KT_FES_UNSUPPORTED_PARAM = 0x06,  /* Unsupported Parameter; FEI = byte offset */
};

#define KT_TCP_PFV_1_0 0x0000
#define KT_DIGEST_LEN 4
/* Maximum bytes of the offending PDU header echoed in a TermReq (spec: 152). */
#define KT_TERM_MAX_DATA 152
/* Largest PDU header we ever receive (ICReq: 128) plus header digest. */
#define KT_PDU_HDR_MAX 132

struct kt_pdu_hdr {
	uint8_t type;
	uint8_t flags;
	uint8_t hlen;
	uint8_t pdo;
	__le32 plen;
};
static_assert(sizeof(struct kt_pdu_hdr) == 8, "common header");

struct kt_icreq_pdu {
	struct kt_pdu_hdr hdr;
	__le16 pfv;
	uint8_t hpda;     /* host PDU data alignment, in dwords minus one */
	uint8_t digest;   /* enum kt_ic_digest */
	__le32 maxr2t;    /* max outstanding R2T per command, zero-based */
	uint8_t rsvd[112];
};
static_assert(sizeof(struct kt_icreq_pdu) == 128, "ICReq");

struct kt_icresp_pdu {
	struct kt_pdu_hdr hdr;
	__le16 pfv;
	uint8_t cpda;     /* controller PDU data alignment, in dwords minus one */
	uint8_t digest;
	__le32 maxh2cdata; /* bytes, multiple of 4, >= 4096 */
	uint8_t rsvd[112];
};
static_assert(sizeof(struct kt_icresp_pdu) == 128, "ICResp");

struct kt_term_pdu {
	struct kt_pdu_hdr hdr;
	__le16 fes;
	__le32 fei;       /* field error information (byte offset, or 0) */
	uint8_t rsvd[10];
	/* followed by up to KT_TERM_MAX_DATA bytes of the offending header */
} __attribute__((packed));
static_assert(sizeof(struct kt_term_pdu) == 24, "TermReq");

/* ---- Submission / completion queue entries --------------------------- */

enum kt_sgl_type {
	/* descriptor type in bits 7:4, subtype in 3:0 */
	KT_SGL_DATA_BLOCK = 0x0,
	KT_SGL_TRANSPORT_DATA_BLOCK = 0x5,
	KT_SGL_SUB_ADDRESS = 0x0,
	KT_SGL_SUB_OFFSET = 0x1,
	KT_SGL_SUB_TRANSPORT = 0xA,
};
/* The two forms NVMe/TCP uses: in-capsule data, and data by R2T/C2HData. */
#define KT_SGL_INCAPSULE ((KT_SGL_DATA_BLOCK << 4) | KT_SGL_SUB_OFFSET)          /* 0x01 */
#define KT_SGL_TRANSPORT ((KT_SGL_TRANSPORT_DATA_BLOCK << 4) | KT_SGL_SUB_TRANSPORT) /* 0x5A */

struct kt_sgl_desc {
	__le64 addr;      /* offset into in-capsule data for KT_SGL_INCAPSULE */
	__le32 length;
	uint8_t rsvd[3];
	uint8_t type;     /* (type << 4) | subtype */
};
static_assert(sizeof(struct kt_sgl_desc) == 16, "SGL descriptor");

/* PSDT field (flags bits 7:6): 01b or 10b mean SGLs; fabrics requires SGLs. */
#define KT_SQE_FLAGS_PSDT_MASK 0xc0
#define KT_SQE_FLAGS_PSDT_SGL 0x40
#define KT_SQE_FLAGS_FUSE_MASK 0x03

struct kt_sqe {
	uint8_t opcode;
	uint8_t flags;
	uint16_t cid;     /* opaque to the target: echoed as-is */
	__le32 nsid;
	__le32 cdw2;
	__le32 cdw3;
	__le64 mptr;
	struct kt_sgl_desc dptr;
	__le32 cdw10;
	__le32 cdw11;
	__le32 cdw12;
	__le32 cdw13;
	__le32 cdw14;
	__le32 cdw15;
};
static_assert(sizeof(struct kt_sqe) == 64, "SQE");

struct kt_cqe {
	__le32 dw0;       /* command specific result */
	__le32 dw1;
	__le16 sq_head;
	__le16 sq_id;
	uint16_t cid;
	__le16 status;    /* bit 0 phase (always 0 on fabrics), bits 15:1 status */
};
static_assert(sizeof(struct kt_cqe) == 16, "CQE");

/* Status as carried in struct kt_cqe: NVME_SC_* (which has no phase bit) << 1. */
static inline uint16_t kt_status_wire(uint16_t sc) { return (uint16_t)(sc << 1); }

/* ---- Fabrics commands (opcode 0x7f, FCTYPE at byte 4) ------------------ */

#define KT_OPC_FABRICS 0x7f

struct kt_fabrics_connect_cmd {
	uint8_t opcode;
	uint8_t flags;
	uint16_t cid;
	uint8_t fctype;   /* nvme_fabrics_type_connect */
	uint8_t rsvd5[19];
	struct kt_sgl_desc dptr;
	__le16 recfmt;    /* byte 40 */
	__le16 qid;       /* byte 42 */
	__le16 sqsize;    /* byte 44, zero-based */
	uint8_t cattr;    /* byte 46 */
	uint8_t rsvd47;
	__le32 kato;      /* byte 48, milliseconds */
	uint8_t rsvd52[12];
};
static_assert(sizeof(struct kt_fabrics_connect_cmd) == 64, "Connect");

struct kt_fabrics_prop_cmd {
	uint8_t opcode;
	uint8_t flags;
	uint16_t cid;
	uint8_t fctype;   /* property_get / property_set */
	uint8_t rsvd5[35];
	uint8_t attrib;   /* byte 40: bits 2:0 size, 0 = 4 bytes, 1 = 8 bytes */
	uint8_t rsvd41[3];
	__le32 offset;    /* byte 44 */
	__le64 value;     /* byte 48, Property Set only */
	uint8_t rsvd56[8];
};
static_assert(sizeof(struct kt_fabrics_prop_cmd) == 64, "Property Get/Set");

/* Connect response: dw0 bits 15:0 CNTLID on success; on Connect Invalid
 * Parameters dw0 holds IPO (bits 15:0) and IATTR (bit 16: 1 = the offset is
 * in the connect data, 0 = in the SQE). */
#define KT_CONNECT_IATTR_DATA (1u << 16)
/* AUTHREQ (dw0 bits 31:16) of a successful Connect: ATR, an authentication
 * transaction is required (bit 17: the kernel's NVME_CONNECT_AUTHREQ_ATR);
 * ASCR, a secure channel is (bit 18; katod has none). */
#define KT_CONNECT_AUTHREQ_ATR (1u << 17)
#define KT_CONNECT_AUTHREQ_ASCR (1u << 18)

/* ---- Capsule PDUs, whose header includes an SQE or CQE ---------------- */

struct kt_cmd_pdu {
	struct kt_pdu_hdr hdr;
	struct kt_sqe sqe;
};
static_assert(sizeof(struct kt_cmd_pdu) == 72, "CapsuleCmd");

struct kt_rsp_pdu {
	struct kt_pdu_hdr hdr;
	struct kt_cqe cqe;
};
static_assert(sizeof(struct kt_rsp_pdu) == 24, "CapsuleResp");

/* H2CData and C2HData share a layout; so does R2T (offset/length name the
 * range the host must send next). */
struct kt_data_pdu {
	struct kt_pdu_hdr hdr;
	uint16_t cccid;   /* the command's CID, echoed as-is */
	uint16_t ttag;    /* transfer tag from the R2T (H2CData only) */
	__le32 offset;
	__le32 length;
	uint8_t rsvd[4];
};
static_assert(sizeof(struct kt_data_pdu) == 24, "H2CData/C2HData/R2T");

#endif

/*
 * auth_msg.h - the messages of NVMe in-band authentication (DH-HMAC-CHAP),
 * as carried in the data of the fabrics Authentication Send and Receive
 * commands (proto/auth_msg.c): wire layouts, parsers of what a host sends
 * (and, for tests and a test initiator, of what a controller sends), and
 * builders of the controller's messages.
 *
 * libnvme 1.3's <nvme/types.h> has the fabrics command types (Auth Send
 * 05h, Auth Receive 06h) but none of these layouts: they are defined here,
 * named after the kernel's struct nvmf_auth_dhchap_*. Everything is
 * little-endian; parsers read bytes, never cast the caller's buffer.
 *
 * A parser returns 0 or the failure reason code explanation that the
 * controller answers with in AUTH_Failure1 (enum kt_auth_failure), the
 * codes the kernel target sends for the same fault. Parsers of host
 * messages want the exact length the message declares (as Linux and SPDK
 * hosts send it); parsers of controller messages accept trailing bytes
 * (the Linux target returns its whole allocation length).
 */
#ifndef KATO_PROTO_AUTH_MSG_H
#define KATO_PROTO_AUTH_MSG_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nvme/types.h>

/* ---- Authentication Send / Receive (fabrics, FCTYPE 05h / 06h) ----------- */

#define KT_AUTH_SECP_DHCHAP 0xe9 /* SECP: NVMe in-band authentication */
#define KT_AUTH_SPSP 0x01        /* SPSP0 and SPSP1 */

struct kt_fabrics_auth_cmd {
	uint8_t opcode;
	uint8_t flags;
	uint16_t cid;
	uint8_t fctype;       /* nvme_fabrics_type_auth_send / _receive */
	uint8_t rsvd5[19];
	uint8_t dptr[16];
	uint8_t rsvd40;
	uint8_t spsp0;        /* byte 41 */
	uint8_t spsp1;        /* byte 42 */
	uint8_t secp;         /* byte 43 */
	__le32 len;           /* byte 44: TL (Send) or AL (Receive) */
	uint8_t rsvd48[16];
};
static_assert(sizeof(struct kt_fabrics_auth_cmd) == 64, "Auth Send/Receive");

/* ---- messages -------------------------------------------------------------- */

enum kt_auth_type {
	KT_AUTH_COMMON = 0x00,   /* Negotiate, Failure1, Failure2 */
	KT_AUTH_DHCHAP = 0x01,   /* Challenge, Reply, Success1, Success2 */
};

enum kt_auth_id {
	KT_AUTH_NEGOTIATE = 0x00,
	KT_AUTH_CHALLENGE = 0x01,
	KT_AUTH_REPLY = 0x02,
	KT_AUTH_SUCCESS1 = 0x03,
	KT_AUTH_SUCCESS2 = 0x04,
	KT_AUTH_FAILURE2 = 0xf0,
	KT_AUTH_FAILURE1 = 0xf1,
};

#define KT_AUTH_AUTHID_DHCHAP 0x01   /* protocol descriptor AUTHID */
#define KT_AUTH_IDLIST_MAX 30        /* hash ids, then DH group ids */

/* SC_C of Negotiate: secure channel concatenation. */
enum kt_auth_sc_c {
	KT_AUTH_SC_NONE = 0x00,
	KT_AUTH_SC_SC = 0x01,
	KT_AUTH_SC_NEWTLSPSK = 0x02,
	KT_AUTH_SC_REPLACETLSPSK = 0x03,
};

#define KT_AUTH_FAILURE_REASON 0x01  /* the only reason code: authentication failure */

/* Reason code explanations (the kernel's NVME_AUTH_DHCHAP_FAILURE_*). */
enum kt_auth_failure {
	KT_AUTH_OK = 0x00,
	KT_AUTH_FAILED = 0x01,                 /* authentication failed */
	KT_AUTH_PROTOCOL_UNUSABLE = 0x02,      /* no usable authentication protocol */
	KT_AUTH_CONCAT_MISMATCH = 0x03,        /* secure channel concatenation mismatch */
	KT_AUTH_HASH_UNUSABLE = 0x04,
	KT_AUTH_DHGROUP_UNUSABLE = 0x05,
	KT_AUTH_INCORRECT_PAYLOAD = 0x06,
	KT_AUTH_INCORRECT_MESSAGE = 0x07,      /* incorrect protocol message */
};

struct kt_auth_dhchap_protocol_descriptor {
	uint8_t authid;
	uint8_t rsvd;
	uint8_t halen;
	uint8_t dhlen;
	uint8_t idlist[2 * KT_AUTH_IDLIST_MAX]; /* [0..29] hash ids, [30..59] DH groups */
};
static_assert(sizeof(struct kt_auth_dhchap_protocol_descriptor) == 64, "protocol descriptor");

struct kt_auth_dhchap_negotiate_data {
	uint8_t auth_type;
	uint8_t auth_id;
	uint8_t rsvd[2];
	__le16 t_id;
	uint8_t sc_c;
	uint8_t napd;
	/* followed by napd protocol descriptors */
};
static_assert(sizeof(struct kt_auth_dhchap_negotiate_data) == 8, "AUTH_Negotiate");

struct kt_auth_dhchap_challenge_data {
	uint8_t auth_type;
	uint8_t auth_id;
	uint8_t rsvd1[2];
	__le16 t_id;
	uint8_t hl;
	uint8_t rsvd2;
	uint8_t hashid;
	uint8_t dhgid;
	__le16 dhvlen;
	__le32 seqnum;
	/* followed by hl bytes of C1, then dhvlen bytes of the DH value */
};
static_assert(sizeof(struct kt_auth_dhchap_challenge_data) == 16, "DH-HMAC-CHAP_Challenge");

struct kt_auth_dhchap_reply_data {
	uint8_t auth_type;
	uint8_t auth_id;
	uint8_t rsvd1[2];
	__le16 t_id;
	uint8_t hl;
	uint8_t rsvd2;
	uint8_t cvalid;
	uint8_t rsvd3;
	__le16 dhvlen;
	__le32 seqnum;        /* S2; 0 with CVALID: C2 only feeds a generated PSK */
	/* followed by hl bytes of R1, hl bytes of C2 (always there), then
	 * dhvlen bytes of the DH value */
};
static_assert(sizeof(struct kt_auth_dhchap_reply_data) == 16, "DH-HMAC-CHAP_Reply");

struct kt_auth_dhchap_success1_data {
	uint8_t auth_type;
	uint8_t auth_id;
	uint8_t rsvd1[2];
	__le16 t_id;
	uint8_t hl;           /* set even without R2: Linux hosts check it */
	uint8_t rsvd2;
	uint8_t rvalid;
	uint8_t rsvd3[7];
	/* followed by hl bytes of R2 when rvalid */
};
static_assert(sizeof(struct kt_auth_dhchap_success1_data) == 16, "DH-HMAC-CHAP_Success1");

struct kt_auth_dhchap_success2_data {
	uint8_t auth_type;
	uint8_t auth_id;
	uint8_t rsvd1[2];
	__le16 t_id;
	uint8_t rsvd2[10];
};
static_assert(sizeof(struct kt_auth_dhchap_success2_data) == 16, "DH-HMAC-CHAP_Success2");

struct kt_auth_dhchap_failure_data {
	uint8_t auth_type;
	uint8_t auth_id;
	uint8_t rsvd1[2];
	__le16 t_id;
	uint8_t rescode;
	uint8_t rescode_exp;
};
static_assert(sizeof(struct kt_auth_dhchap_failure_data) == 8, "AUTH_Failure1/2");

/* ---- parsed forms ------------------------------------------------------------ */

struct kt_auth_negotiate {
	uint16_t tid;
	uint8_t sc_c;
	uint8_t nhash;
	uint8_t ndh;
	uint8_t hash[KT_AUTH_IDLIST_MAX];
	uint8_t dh[KT_AUTH_IDLIST_MAX];
};

struct kt_auth_reply {
	uint16_t tid;
	uint8_t hl;
	bool cvalid;
	uint32_t seqnum;
	const uint8_t *rval;   /* hl bytes, pointing into the caller's buffer */
	const uint8_t *c2;     /* hl bytes, NULL unless cvalid */
	const uint8_t *dhv;    /* dhvlen bytes, NULL when dhvlen is 0 */
	uint16_t dhvlen;
};

struct kt_auth_challenge {
	uint16_t tid;
	uint8_t hash_id;
	uint8_t hl;
	uint8_t dhgid;
	uint16_t dhvlen;
	uint32_t seqnum;
	const uint8_t *c1;
	const uint8_t *dhv;    /* NULL when dhvlen is 0 */
};

struct kt_auth_success1 {
	uint16_t tid;
	uint8_t hl;
	bool rvalid;
	const uint8_t *rval;   /* NULL unless rvalid */
};

struct kt_auth_failure_msg {
	uint8_t auth_id;       /* KT_AUTH_FAILURE1 or KT_AUTH_FAILURE2 */
	uint16_t tid;
	uint8_t rescode;
	uint8_t rescode_exp;
};

/* ---- parsers: what a host sends ------------------------------------------- */

/* AUTH_TYPE, AUTH_ID and T_ID of any message (its first 6 bytes). */
uint8_t kt_auth_msg_peek(const void *buf, size_t len, uint8_t *type, uint8_t *id, uint16_t *tid);

/* AUTH_Negotiate: the first DH-HMAC-CHAP descriptor's lists. SC_C above 3
 * is a concatenation mismatch; whether 1..3 are acceptable is the caller's
 * (and a NULL DH group with SC_C, which the kernel refuses). */
uint8_t kt_auth_negotiate_parse(const void *buf, size_t len, struct kt_auth_negotiate *n);
/* Picks the first of our hashes (then DH groups), in our order of
 * preference, that the host offers: HASH_UNUSABLE or DHGROUP_UNUSABLE when
 * there is none. */
uint8_t kt_auth_negotiate_select(const struct kt_auth_negotiate *n, const uint8_t *hashes,
				 size_t nhashes, const uint8_t *dhgroups, size_t ndhgroups,
				 uint8_t *hash_id, uint8_t *dhgid);

/* DH-HMAC-CHAP_Reply for the negotiated hash and group: HL must be the
 * hash's length and DHVLEN the group's (0 for NULL). */
uint8_t kt_auth_reply_parse(const void *buf, size_t len, uint8_t hash_id, uint8_t dhgid,
			    struct kt_auth_reply *r);
uint8_t kt_auth_success2_parse(const void *buf, size_t len, uint16_t *tid);
/* AUTH_Failure2 (or Failure1, for a host): AUTH_TYPE common as the spec has
 * it, or DH-HMAC-CHAP as the first Linux hosts with in-band authentication
 * wrote Failure2. */
uint8_t kt_auth_failure_parse(const void *buf, size_t len, struct kt_auth_failure_msg *f);

/* ---- parsers: what a controller sends (tests, a test initiator) ----------- */

uint8_t kt_auth_challenge_parse(const void *buf, size_t len, struct kt_auth_challenge *c);
uint8_t kt_auth_success1_parse(const void *buf, size_t len, uint8_t hash_id,
			       struct kt_auth_success1 *s);

/* ---- builders: the controller's messages ---------------------------------- */

/* Each writes the message into buf and returns its length, -ENOSPC when it
 * does not fit in cap bytes, or -EINVAL for arguments no message has. The
 * caller zero-fills the rest of an Auth Receive's AL. */
int kt_auth_challenge_build(void *buf, size_t cap, uint16_t tid, uint8_t hash_id,
			    uint32_t seqnum, const uint8_t *c1, uint8_t dhgid,
			    const uint8_t *dhv, size_t dhvlen);
/* rval: R2 (the hash length), or NULL when the host asked no C2. */
int kt_auth_success1_build(void *buf, size_t cap, uint16_t tid, uint8_t hash_id,
			   const uint8_t *rval);
int kt_auth_failure1_build(void *buf, size_t cap, uint16_t tid, uint8_t rescode_exp);
/* The host's Failure2 (common message type, as the spec and Linux hosts
 * since 6.0 send it), for a test initiator. */
int kt_auth_failure2_build(void *buf, size_t cap, uint16_t tid, uint8_t rescode_exp);

#endif

/*
 * host.h - a small blocking NVMe/TCP initiator for tests, probes and the
 * benchmark's load generator.
 *
 * It is written from the NVMe/TCP 1.0 and NVMe-oF 1.1 specifications,
 * independently of the target's receive path (it shares only the wire layouts
 * of proto/wire.h and the CRC32C of proto/pdu.h), so that a misreading of the
 * spec in the target is not mirrored here. It checks what the controller
 * sends strictly (header fields, digests, data offsets, flags) and reports
 * any violation as -EPROTO with a message in kh_errmsg().
 *
 * One struct kh_host is one TCP connection: one queue (admin or I/O) of one
 * controller. Every receive is bounded by the connection's timeout.
 *
 * Return convention: 0 on success, a negative errno for a local or transport
 * failure, or a positive NVMe status: the CQE status field without the phase
 * bit (SCT in bits 10:8, SC in 7:0, plus CRD/More/DNR above). Compare with
 * KH_SC(rc) == KH_STATUS(sct, sc).
 */
#ifndef KATO_TESTS_HOST_H
#define KATO_TESTS_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nvme/types.h>
#include "proto/wire.h"

#define KH_DEFAULT_TIMEOUT_MS 5000
#define KH_DEFAULT_HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:6b61746f-7465-7374-686f-737400000001"

/* SCT and SC of a status (drops CRD, More and DNR). */
#define KH_SC(st) ((st) & 0x7ff)
#define KH_STATUS(sct, sc) ((((unsigned)(sct)) << NVME_SCT_SHIFT) | (unsigned)(sc))
#define KH_DNR 0x4000
/* A completion whose data arrived with a bad data digest. */
#define KH_EDDGST (-EBADMSG)

/* TLS 1.3 with a PSK (host_tls.c), as the Linux host with tlshd. */
struct kh_tls {
	const char *key;          /* the configured PSK, "NVMeTLSkey-1:hh:...:" */
	uint8_t version;          /* identity version, 0 or 1 */
	unsigned form;            /* enum kt_tls_derive the host uses; 0: RFC */
	bool bind_sha256;         /* a 48-byte key bound with SHA-256 (older tlshd) */
	uint16_t suite;           /* 0: the key's (0x1301 or 0x1302); else 0x1301..0x1303 */
	const char *id_hostnqn;   /* NULL: the Connect's host NQN */
	const char *id_subnqn;    /* NULL: the Connect's subsystem NQN */
	/* Secure concatenation: a generated PSK (kh_auth_info.gen_psk) instead
	 * of key, identity "NVMe1G<hh> ..." (RFC derivation, as the kernel) */
	const uint8_t *gen_psk;
	uint8_t gen_hash;         /* 1 SHA-256, 2 SHA-384 */
	bool ktls;                /* let OpenSSL hand the record layer to the kernel
	                             (SSL_OP_ENABLE_KTLS) where it can (tls_stream.h
	                             tells whether it took) */
	uint32_t read_buf;        /* OpenSSL's read buffer in bytes, 0: its default (a
	                             record); what a reader that reads ahead fills */
};

struct kh_opts {
	const char *hostnqn;      /* NULL: KH_DEFAULT_HOSTNQN */
	uint8_t hostid[16];       /* all zero: derived from the host NQN */
	const char *subnqn;       /* NULL: the well-known discovery NQN */
	uint16_t qid;             /* 0: admin queue */
	uint16_t cntlid;          /* I/O queue: the controller's id; admin queue:
	                             0 means 0xffff (dynamic), else sent as-is */
	uint16_t sqsize;          /* zero-based; 0: 31 */
	uint32_t kato_ms;         /* Connect KATO (sent on every queue, as SPDK does) */
	uint8_t cattr;
	bool hdgst, ddgst;        /* ask for digests in ICReq */
	uint8_t hpda;             /* our HPDA (C2H data alignment we require) */
	int timeout_ms;           /* every wait; 0: KH_DEFAULT_TIMEOUT_MS */
	/* In-capsule data limit for writes on an I/O queue (IOCCSZ*16 - 64,
	 * see kh_id_ctrl_icd); the admin queue always allows 8192. */
	uint32_t icd_bytes;
	/* Raw modes for hostile tests: no_icreq stops after the TCP connect,
	 * no_connect after ICReq/ICResp. */
	bool no_icreq, no_connect;
	const struct kh_tls *tls; /* NULL: plain TCP; else TLS first (kh_open) */
};

struct kh_host;

/* ---- Connection ------------------------------------------------------ */

/* TCP connect (TCP_NODELAY), ICReq/ICResp (checked), then Fabrics Connect
 * (unless opts->no_connect/no_icreq). On success *out is the queue. If the
 * Connect fails, returns its status, closes the connection and, if cqe is
 * not NULL, copies the failed completion there (IPO/IATTR in dw0). */
int kh_connect(struct kh_host **out, const char *addr, uint16_t port,
	       const struct kh_opts *opts, struct kt_cqe *cqe);
/* The steps kh_connect is made of, for tests that need them apart. */
int kh_open(struct kh_host **out, const char *addr, uint16_t port, const struct kh_opts *opts);
int kh_icreq(struct kh_host *h);
int kh_fabrics_connect(struct kh_host *h, struct kt_cqe *cqe);
void kh_close(struct kh_host *h);
/* The TLS cipher suite's name, NULL on plain TCP. */
const char *kh_tls_cipher(const struct kh_host *h);
/* The PSK identity and TLS PSK a host with t offers for (hostnqn, subnqn),
 * as kh_open's handshake derives them: the identity NUL-terminated into
 * identity (idsz bytes; KT_TLS_IDENTITY_MAX + 1 is enough), the TLS PSK
 * into psk (KT_TLS_PSK_MAX bytes) and its length. For tests that put the
 * PSK where a target looks for it (a kernel keyring, as nvme-cli's
 * --insert). 0 or a negative errno. */
int kh_tls_derive(const struct kh_tls *t, const char *hostnqn, const char *subnqn, char *identity, size_t idsz,
		  uint8_t *psk, size_t *psk_len);
/* For programs that take the socket over once the queue is connected
 * (bench_loadgen, through tests/host/tls_stream.h): the connection's OpenSSL
 * session, an SSL *, NULL on plain TCP. */
struct ssl_st;
struct ssl_st *kh_tls_ssl(const struct kh_host *h);

/* What was negotiated / granted. */
uint16_t kh_cntlid(const struct kh_host *h);
/* dw0 of the Connect completion: CNTLID, and AUTHREQ in bits 31:16
 * (KT_CONNECT_AUTHREQ_ATR: authenticate before anything else). */
uint32_t kh_connect_dw0(const struct kh_host *h);
uint32_t kh_maxh2cdata(const struct kh_host *h);
uint8_t kh_cpda(const struct kh_host *h);
bool kh_hdgst(const struct kh_host *h);
bool kh_ddgst(const struct kh_host *h);
int kh_fd(const struct kh_host *h);
void kh_set_timeout(struct kh_host *h, int timeout_ms);
void kh_set_icd(struct kh_host *h, uint32_t icd_bytes);
/* Monotonic milliseconds (CLOCK_MONOTONIC), and when Connect completed. */
uint64_t kh_now_ms(void);
uint64_t kh_connected_at_ms(const struct kh_host *h);
/* The last protocol complaint, or "". */
const char *kh_errmsg(const struct kh_host *h);

/* ---- Commands: synchronous ------------------------------------------- */

enum kh_dir {
	KH_NONE = 0,
	KH_H2C = 1, /* host data to the controller (write-like) */
	KH_C2H = 2, /* controller data to the host (read-like) */
};

/* Submit flags. */
enum {
	KH_F_NO_ICD = 1u << 0,   /* send write data by R2T even if it fits in-capsule */
	KH_F_ICD = 1u << 1,      /* send write data in-capsule whatever the limit */
	KH_F_RAW_DPTR = 1u << 2, /* leave sqe->dptr and sqe->flags as given */
	KH_F_HOLD_R2T = 1u << 3, /* record R2Ts instead of answering them */
	KH_F_BAD_DDGST = 1u << 4, /* send this command's data with a wrong data digest */
};

/* Submits sqe (the CID is assigned here; DPTR and PSDT are filled) and
 * waits for its completion. data is len bytes sent (KH_H2C) or received
 * (KH_C2H). cqe (may be NULL) gets the completion. Returns the status. */
int kh_admin(struct kh_host *h, struct kt_sqe *sqe, void *data, uint32_t len,
	     enum kh_dir dir, struct kt_cqe *cqe);
int kh_io(struct kh_host *h, struct kt_sqe *sqe, void *data, uint32_t len,
	  enum kh_dir dir, struct kt_cqe *cqe);
/* kh_admin/kh_io with submit flags. */
int kh_cmd(struct kh_host *h, struct kt_sqe *sqe, void *data, uint32_t len,
	   enum kh_dir dir, unsigned flags, struct kt_cqe *cqe);

/* ---- Commands: asynchronous (queue depth > 1) ------------------------ */

struct kh_done {
	uint16_t cid;
	int status;            /* NVMe status, or KH_EDDGST */
	struct kt_cqe cqe;     /* synthesised for a C2HData SUCCESS completion */
	uint32_t xfer;         /* C2H bytes received */
	bool by_success;       /* completed by C2HData with SUCCESS */
	void *cookie;
};

/* Queues the command for sending and returns its CID (>= 0), or -EBUSY
 * when SQSIZE commands are already outstanding. The buffer must stay valid
 * until its completion is reaped. */
int kh_submit(struct kh_host *h, struct kt_sqe *sqe, void *data, uint32_t len,
	      enum kh_dir dir, unsigned flags, void *cookie);
/* Moves data both ways until one completion is available (within the
 * timeout) and returns 0 with it in *d; -ETIMEDOUT, -EPROTO, -ECONNRESET. */
int kh_poll(struct kh_host *h, struct kh_done *d);
/* Waits for the completion of one CID. */
int kh_wait(struct kh_host *h, uint16_t cid, struct kh_done *d);
unsigned kh_inflight(const struct kh_host *h);
unsigned kh_max_inflight(const struct kh_host *h);

/* ---- Fabrics and controller set-up ---------------------------------- */

int kh_prop_get(struct kh_host *h, uint32_t offset, unsigned size, uint64_t *value);
int kh_prop_set(struct kh_host *h, uint32_t offset, unsigned size, uint64_t value);
/* CC.EN=1 with IOSQES 6 and IOCQES 4, then polls CSTS.RDY (bounded by
 * CAP.TO and the timeout). kh_shutdown: CC.SHN normal, polls SHST. */
int kh_enable(struct kh_host *h);
int kh_disable(struct kh_host *h);
int kh_shutdown(struct kh_host *h);
/* Fabrics Disconnect (I/O queues). */
int kh_disconnect(struct kh_host *h);

/* Connects an admin queue (opts->subnqn) and enables the controller. */
int kh_admin_up(struct kh_host **out, const char *addr, uint16_t port, const struct kh_opts *opts);
/* Connects I/O queue `qid` of admin's controller: host NQN, host ID and
 * subsystem from admin, CNTLID from its Connect, in-capsule data limit
 * from its Identify Controller; the rest from opts (may be NULL). Returns
 * as kh_connect. */
int kh_io_up(struct kh_host **out, struct kh_host *admin, const char *addr, uint16_t port,
	     uint16_t qid, const struct kh_opts *opts, struct kt_cqe *cqe);
/* The association most I/O tests run on: kh_admin_up, then kh_io_up of
 * I/O queue 1 with the same opts (SQSIZE 127 unless opts->sqsize says).
 * Returns as kh_io_up; on failure both are closed and NULL. */
int kh_assoc_up(struct kh_host **admin, struct kh_host **io, const char *addr, uint16_t port,
		const struct kh_opts *opts);
/* The options a connection was made with (NQNs point into the host). */
const struct kh_opts *kh_opts_of(const struct kh_host *h);

/* ---- Admin helpers --------------------------------------------------- */

int kh_identify(struct kh_host *h, uint8_t cns, uint32_t nsid, uint16_t cntid, void *buf4k);
int kh_identify_ctrl(struct kh_host *h, struct nvme_id_ctrl *id);
int kh_identify_ns(struct kh_host *h, uint32_t nsid, struct nvme_id_ns *id);
/* Get Log Page: len bytes (a multiple of 4) from byte offset. */
int kh_get_log(struct kh_host *h, uint8_t lid, uint32_t nsid, uint8_t lsp, uint64_t offset,
	       void *buf, uint32_t len);
int kh_get_features(struct kh_host *h, uint8_t fid, uint32_t cdw11, uint32_t *dw0);
int kh_set_features(struct kh_host *h, uint8_t fid, uint32_t cdw11, uint32_t *dw0);
int kh_keep_alive(struct kh_host *h);
/* In-capsule data bytes an I/O queue accepts, from Identify Controller. */
uint32_t kh_id_ctrl_icd(const struct nvme_id_ctrl *id);
/* Logical block size of the formatted LBA format. */
uint32_t kh_id_ns_lba_size(const struct nvme_id_ns *id);

/* ---- In-band authentication, DH-HMAC-CHAP (tests/host/host_auth.c) ------ */

/* What the host side of a transaction uses, as the Linux host's
 * nvme connect --dhchap-secret / --dhchap-ctrl-secret. */
struct kh_auth_opts {
	const char *key;          /* the host's DHHC-1 secret (required) */
	const char *ctrl_key;     /* the controller's: ask for R2 and check it */
	uint8_t hash_id;          /* 0: offer SHA-256, -384, -512 (Linux's list) */
	int dhgid;                /* -1: offer null and ffdhe2048..8192 (Linux's
	                             list); otherwise offer only that group */
	uint16_t tid;             /* transaction id; 0: 1 */
	uint32_t seqnum;          /* S2 with a controller key; 0: 0x1234 */
	uint8_t sc_c;             /* SC_C (secure concatenation), as Linux's
	                             --concat: C2 always sent, SEQNUM 0 without
	                             a controller key; the PSK in info */
};

/* What a transaction learnt. */
struct kh_auth_info {
	uint8_t hash_id, dhgid;   /* the controller's choice */
	uint8_t failure_reason;   /* Failure1's reason code explanation */
	bool r2_checked;          /* the controller's R2 was right */
	uint8_t gen_psk[48];      /* with sc_c, after success: HMAC(Ks, C1 || C2);
	                             secret, the caller wipes it */
	uint8_t gen_len;
};

/* One whole transaction on queue h: Negotiate, Challenge, Reply, Success1
 * (R2 checked when o->ctrl_key), Success2. Returns 0 (authenticated), a
 * positive NVMe status of a command, -EACCES when the controller answered
 * Failure1 (info->failure_reason), -EKEYREJECTED when R2 was wrong (the
 * host then sends Failure2), -EPROTO for a malformed message, or another
 * negative errno. info may be NULL. */
int kh_auth(struct kh_host *h, const struct kh_auth_opts *o, struct kh_auth_info *info);
/* One Authentication Send of len bytes / Receive of al bytes, with the
 * SQE fields as given (hostile tests): secp 0xe9 and spsp 1 are right. */
int kh_auth_send_raw(struct kh_host *h, uint8_t secp, uint8_t spsp0, uint8_t spsp1, uint32_t tl,
		     const void *buf, uint32_t len, struct kt_cqe *cqe);
int kh_auth_recv_raw(struct kh_host *h, uint8_t secp, uint8_t spsp0, uint8_t spsp1, uint32_t al,
		     void *buf, uint32_t len, struct kt_cqe *cqe);
/* A host's AUTH_Negotiate as Linux sends it (one DH-HMAC-CHAP descriptor);
 * returns its length. dhgid < 0: every group. */
size_t kh_auth_negotiate_msg(uint8_t *buf, uint16_t tid, uint8_t hash_id, int dhgid);

/* ---- Discovery (tests/host/host_disc.c) ------------------------------ */

/* The whole discovery log page (header, then header and records; again if
 * GENCTR moved meanwhile): 0 with *log (free() it) and its record count,
 * or the first failure (-EAGAIN: the page kept changing). */
int kh_disc_log(struct kh_host *h, struct nvmf_discovery_log **log, uint64_t *numrec);
/* A string field of a log entry (space- or NUL-padded, n bytes) as a C
 * string in out (n + 1 bytes), the padding dropped. */
void kh_disc_str(char *out, const char *field, size_t n);

/* ---- I/O helpers (nlb is a count, not zero-based) -------------------- */

int kh_read(struct kh_host *h, uint32_t nsid, uint64_t slba, uint32_t nlb, void *buf, uint32_t len);
int kh_write(struct kh_host *h, uint32_t nsid, uint64_t slba, uint32_t nlb, const void *buf,
	     uint32_t len, bool fua);
int kh_flush(struct kh_host *h, uint32_t nsid);
int kh_write_zeroes(struct kh_host *h, uint32_t nsid, uint64_t slba, uint32_t nlb);
int kh_compare(struct kh_host *h, uint32_t nsid, uint64_t slba, uint32_t nlb, const void *buf,
	       uint32_t len);
/* Dataset Management, deallocate, nr ranges. */
int kh_dsm_deallocate(struct kh_host *h, uint32_t nsid, const struct nvme_dsm_range *ranges,
		      unsigned nr);
/* Fills an SQE for a read/write (opcode) without sending it. */
void kh_sqe_rw(struct kt_sqe *sqe, uint8_t opcode, uint32_t nsid, uint64_t slba, uint32_t nlb);

/* ---- Hostile tests ---------------------------------------------------- */

/* With KH_F_HOLD_R2T: waits for an R2T for cid and returns its TTAG,
 * R2TO and R2TL; the test answers it (or not) itself. */
int kh_r2t_wait(struct kh_host *h, uint16_t cid, uint16_t *ttag, uint32_t *off, uint32_t *len);
/* Queues one H2CData PDU built as the negotiated digests say. */
int kh_send_h2c(struct kh_host *h, uint16_t cid, uint16_t ttag, uint32_t off, const void *data,
		uint32_t len, bool last);

/* PDUs seen so far, for tests that check how data was moved. */
struct kh_stats {
	unsigned long c2h_data, r2t, h2c_data, rsp, success_flag, icd_cmds;
};
const struct kh_stats *kh_stats(const struct kh_host *h);

/* Sends bytes as they are (blocks until written or the peer closes). */
int kh_send_raw(struct kh_host *h, const void *buf, size_t len);
/* Expects a C2HTermReq (ignoring other PDUs before it) and then EOF.
 * Returns 0 with its FES and FEI, -ETIMEDOUT, or -ENOTCONN if the
 * connection closed without one. */
int kh_recv_term(struct kh_host *h, uint16_t *fes, uint32_t *fei);
/* The offending header a received TermReq echoed (NULL if none). */
const uint8_t *kh_term_hdr(const struct kh_host *h, size_t *len);
/* Waits until the controller closes the connection: 0 (and when, in
 * kh_now_ms terms, in *closed_at if not NULL) or -ETIMEDOUT. PDUs that
 * arrive meanwhile are processed normally. */
int kh_wait_closed(struct kh_host *h, int timeout_ms, uint64_t *closed_at);
/* Builds a header digest / data digest as the wire carries it. */
void kh_put_digest(void *at, const void *buf, size_t len);

#endif

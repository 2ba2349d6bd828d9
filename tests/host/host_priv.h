/*
 * host_priv.h - the test initiator's internals, shared by host.c (transport)
 * and host_cmd.c (command builders). Not for tests: they use host.h.
 */
#ifndef KATO_TESTS_HOST_PRIV_H
#define KATO_TESTS_HOST_PRIV_H

#include "tests/host/host.h"

/* NVMe/TCP fixes the admin queue's in-capsule data size at 8 KiB. */
#define KH_ADMIN_ICD 8192u
/* Connect CATTR bit 2: disable SQ flow control (allows C2HData SUCCESS). */
#define KH_CATTR_DISABLE_SQFLOW 0x04
/* CIDs: slot index in bits 9:0, a rolling generation in bits 15:10. */
#define KH_CID_IDX_MASK 0x3ffu

enum kh_slot_state { KH_SLOT_FREE, KH_SLOT_BUSY, KH_SLOT_DONE };

struct kh_slot {
	enum kh_slot_state state;
	uint16_t cid;
	enum kh_dir dir;
	uint8_t *buf;
	uint32_t len;
	bool icd;             /* write data went in-capsule */
	uint32_t rcvd;        /* C2H: bytes received = next expected DATAO */
	bool last_seen;       /* C2H: LAST_PDU received */
	bool ddgst_bad;       /* C2H: a data digest did not match */
	uint32_t r2t_next;    /* H2C: bytes the controller asked for so far */
	bool hold_r2t;        /* KH_F_HOLD_R2T: record, do not answer */
	bool bad_ddgst;       /* KH_F_BAD_DDGST */
	bool r2t_held;
	uint16_t r2t_ttag;
	uint32_t r2t_off, r2t_len;
	void *cookie;
	struct kh_done done;
};

struct kh_tls_state;
struct ssl_st;

struct kh_host {
	int fd;
	struct ssl_st *ssl;        /* TLS (host_tls.c), or NULL */
	struct kh_tls_state *tls;
	struct kh_opts o;
	char hostnqn[257]; /* room for over-long NQNs in tests */
	char subnqn[257];
	uint16_t qid;
	int timeout_ms;
	uint32_t icd_bytes;

	/* negotiated */
	bool ic_done;
	bool hdgst, ddgst;
	uint8_t cpda;
	uint32_t maxh2cdata;
	uint16_t cntlid;
	uint32_t connect_dw0;      /* the Connect completion's dw0 (AUTHREQ in bits 31:16) */
	uint64_t connected_at;

	/* connection state */
	bool eof, wclosed;
	uint64_t closed_at;
	int err;              /* sticky: first protocol violation */
	char errmsg[256];

	/* send queue: bytes [ooff, olen) of obuf */
	uint8_t *obuf;
	size_t olen, ooff, ocap;
	/* receive buffer: bytes [ioff, ilen) of ibuf */
	uint8_t *ibuf;
	size_t ilen, ioff, icap;

	/* command slots and the FIFO of completed, not yet reaped ones */
	struct kh_slot *slots;
	unsigned nslots, next_slot, inflight;
	uint16_t *doneq;
	unsigned dq_head, dq_n;
	unsigned cid_gen;

	struct kh_stats stats;

	/* a received C2HTermReq */
	bool got_term;
	uint16_t term_fes;
	uint32_t term_fei;
	uint8_t term_hdr[KT_TERM_MAX_DATA];
	size_t term_len;
};

int kh_tls_start(struct kh_host *h);
void kh_tls_free(struct kh_host *h);
int kh_proto_err(struct kh_host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int kh_out_append(struct kh_host *h, const void *buf, size_t n);
int kh_flush_all(struct kh_host *h);
int kh_pump(struct kh_host *h, uint64_t deadline);
struct kh_slot *kh_slot_by_cid(struct kh_host *h, uint16_t cid);
int kh_send_data_pdu(struct kh_host *h, uint8_t type, uint16_t cid, uint16_t ttag,
		     uint32_t off, const void *data, uint32_t n, bool last, bool bad_ddgst);

#endif

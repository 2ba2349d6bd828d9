/*
 * pdu.h - the NVMe/TCP PDU codec: a streaming receive parser that checks
 * every header field against what the connection negotiated, digests, and
 * builders for the PDUs a controller sends. Pure: bytes in, bytes out.
 */
#ifndef KATO_PROTO_PDU_H
#define KATO_PROTO_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "proto/crc32c.h" /* the digests: users of the codec compute them too */
#include "proto/wire.h"

/* What the connection negotiated (filled from ICReq and our settings). */
struct kt_tcp_params {
	bool hdgst;            /* header digests on */
	bool ddgst;            /* data digests on */
	uint8_t cpda;          /* our CPDA: alignment of data in PDUs the host
	                        * sends us (checked on receive) */
	uint8_t hpda;          /* the host's HPDA: alignment of data in PDUs we
	                        * send (C2HData padding) */
	uint32_t maxh2cdata;   /* bytes, what we advertised */
	uint32_t max_icd;      /* max in-capsule data bytes on this queue */
	uint32_t maxr2t;       /* host's MAXR2T, zero-based */
};

/* A fatal transport error: what goes into the C2HTermReq. */
struct kt_pdu_err {
	uint16_t fes;          /* enum kt_fes */
	uint32_t fei;          /* byte offset of the bad field, when FES says so */
};

/* ---- Connection initialisation -------------------------------------- */

/* Checks a received ICReq (PFV, HPDA, DGST, MAXR2T, HLEN/PDO/PLEN) and
 * records the host's choices in p (hdgst/ddgst are enabled when the host
 * asks and `allow_digests` is true). Returns 0 or -EPROTO with err set. */
int kt_icreq_accept(const struct kt_icreq_pdu *req, struct kt_tcp_params *p,
		    bool allow_digests, struct kt_pdu_err *err);
void kt_icresp_build(struct kt_icresp_pdu *rsp, const struct kt_tcp_params *p);

/* ---- Receive -------------------------------------------------------- */

enum kt_rx_state {
	KT_RX_CH,      /* common header */
	KT_RX_PSH,     /* PDU specific header and header digest */
	KT_RX_PAD,     /* padding between header and PDO */
	KT_RX_DATA,
	KT_RX_DDGST,
};

struct kt_rx {
	struct kt_tcp_params *p;
	bool ic_done;             /* ICReq seen: only non-IC PDUs from now on */
	enum kt_rx_state state;
	uint8_t hdr[KT_PDU_HDR_MAX];
	uint32_t hdr_need, hdr_got;
	uint32_t pad_left;
	uint8_t *data;
	uint32_t data_len, data_got;
	uint32_t crc;
	uint8_t ddgst[KT_DIGEST_LEN];
	uint32_t ddgst_got;
	bool ddgst_ok;
};

struct kt_rx_ops {
	/* A whole PDU header is in, every generic field checked (type allowed
	 * in this direction and state, HLEN, FLAGS against the negotiated
	 * digests, PDO, PLEN, header digest). data_len is the PDU's data length
	 * (0 if none). A PDU with data must set *dst to data_len bytes of
	 * buffer (H2CData: the command's buffer at the PDU's offset; the
	 * callback checks the offset/length against the command). Leaving *dst
	 * NULL drops the data (its digest is still checked, pdu is still
	 * called): a failed command stays in step with the stream. Return 0, or
	 * -EPROTO with err set to terminate the connection. */
	int (*header)(void *ctx, const void *hdr, uint32_t data_len, uint8_t **dst,
		      struct kt_pdu_err *err);
	/* The PDU's data is in. ddgst_ok is false if its data digest did not
	 * match (not fatal: the command fails with Transient Transport Error).
	 * Same return convention. */
	int (*pdu)(void *ctx, const void *hdr, bool ddgst_ok, struct kt_pdu_err *err);
};

void kt_rx_init(struct kt_rx *rx, struct kt_tcp_params *p);

/* Feeds received bytes through the parser, calling ops as PDUs complete.
 * Returns the bytes consumed (len) or -EPROTO with *err set: the caller
 * sends a C2HTermReq built from err and rx->hdr (rx->hdr_got bytes), then
 * closes. -ECONNRESET (err->fes 0): an H2CTermReq with an invalid PLEN, to
 * which the spec says not to answer; just close. A callback's own negative
 * return is passed through as is. */
ssize_t kt_rx_feed(struct kt_rx *rx, const struct kt_rx_ops *ops, void *ctx,
		   const uint8_t *buf, size_t len, struct kt_pdu_err *err);

/* Zero-copy receive. While the parser is inside a payload whose destination
 * the header callback gave, kt_rx_data_dst returns where the rest of it goes
 * and how many bytes remain (else NULL), so the caller can read those bytes
 * from the socket straight into place; kt_rx_data_placed then accounts for
 * n of them (data count and running data digest) as if they had been fed.
 * n must be smaller than what remains: the payload's last byte always goes
 * through kt_rx_feed, which completes the PDU. */
uint8_t *kt_rx_data_dst(const struct kt_rx *rx, size_t *remaining);
void kt_rx_data_placed(struct kt_rx *rx, size_t n);

/* ---- Transmit ------------------------------------------------------- */

/* Each builder writes a header (with header digest when negotiated, and
 * padding up to PDO for data PDUs) into out, which must hold
 * KT_PDU_TX_HDR_MAX bytes, and returns its length. */
#define KT_PDU_TX_HDR_MAX 192 /* a C2HTermReq: 24 + 152 bytes */

size_t kt_pdu_build_rsp(const struct kt_tcp_params *p, void *out, const struct kt_cqe *cqe);
/* C2HData header for `len` bytes at `offset` of command `cid`. The caller
 * sends the data after it and, with data digests on, the digest of the data
 * (kt_crc32c) as 4 little-endian bytes. */
size_t kt_pdu_build_c2h_data(const struct kt_tcp_params *p, void *out, uint16_t cid,
			     uint32_t offset, uint32_t len, bool last, bool success);
size_t kt_pdu_build_r2t(const struct kt_tcp_params *p, void *out, uint16_t cid,
			uint16_t ttag, uint32_t offset, uint32_t len);
/* C2HTermReq: the offending header (up to KT_TERM_MAX_DATA bytes of it)
 * follows. No digests on TermReqs. */
size_t kt_pdu_build_c2h_term(void *out, const struct kt_pdu_err *err,
			     const void *bad_hdr, size_t bad_len);

#endif

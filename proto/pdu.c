/*
 * pdu.c - the NVMe/TCP PDU codec (NVMe/TCP transport binding 1.0, as merged
 * into NVMe-oF 1.1 section 7.4): connection initialisation, a streaming
 * receiver that validates every common-header field of what a host sends
 * against what the connection negotiated, and builders for what a controller
 * sends. Pure: no sockets, no allocation, no clock.
 *
 * Decisions where the spec leaves room (each one is tested in
 * tests/unit/test_pdu.c):
 *  - Alignment. The host's HPDA (ICReq) governs the data of PDUs the
 *    controller sends (C2HData); the controller's CPDA (ICResp) governs the
 *    data of PDUs the host sends (CapsuleCmd, H2CData). So received PDOs are
 *    checked against p->cpda and C2HData is padded to p->hpda.
 *  - Order of checks. Errors are reported for the lowest field first, as far
 *    as framing allows: TYPE, FLAGS (everything the common header alone
 *    decides) and HLEN are checked as soon as the 8-byte common header is in,
 *    because HLEN is needed to know where the header ends. The header digest
 *    is verified next, before the remaining fields (data digest flag, PDO,
 *    PLEN, limits), so a header corrupted in flight is reported as a Header
 *    Digest Error rather than as whichever field the corruption hit.
 *  - Type: a type a controller can never receive (C2H types, R2T, unknown) is
 *    Invalid PDU Header Field at offset 0; a type it can receive, at the wrong
 *    time (anything before ICReq, ICReq after it), is a PDU Sequence Error.
 *  - PDO of a PDU without data must be 0 (reserved); a PDU that has data must
 *    carry at least one byte of it besides the data digest. H2CData without
 *    data is a PLEN error, and its DATAL must equal the data length.
 *  - Sizes: in-capsule data above max_icd and H2CData above MAXH2CDATA are
 *    Data Transfer Limit Exceeded (FES 05h); FEI is reserved (0) for every
 *    FES other than Invalid PDU Header Field and Unsupported Parameter.
 *  - H2CTermReq whose PLEN is outside 24..176: the spec says to close the
 *    connection without answering, so kt_rx_feed returns -ECONNRESET with
 *    err->fes = 0 for it (documented in pdu.h).
 *  - A header callback that leaves *dst NULL for a PDU with data has the
 *    data consumed and dropped (its digest is still checked): this lets the
 *    caller fail a command and stay in step with the stream.
 */
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "proto/pdu.h"
#include "proto/crc32c.h"

#define KT_CH_LEN ((uint32_t)sizeof(struct kt_pdu_hdr))
#define KT_PDA_MAX 31
#define KT_TERM_HLEN ((uint32_t)sizeof(struct kt_term_pdu))

/* Byte offsets of the common header fields, for FEI. */
#define FEI_TYPE offsetof(struct kt_pdu_hdr, type)
#define FEI_FLAGS offsetof(struct kt_pdu_hdr, flags)
#define FEI_HLEN offsetof(struct kt_pdu_hdr, hlen)
#define FEI_PDO offsetof(struct kt_pdu_hdr, pdo)
#define FEI_PLEN offsetof(struct kt_pdu_hdr, plen)

static int pdu_fail(struct kt_pdu_err *err, uint16_t fes, uint32_t fei)
{
	err->fes = fes;
	err->fei = fei;
	return -EPROTO;
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static void put_le16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

/* Data alignment in bytes for a PDA value (dwords minus one). */
static uint32_t pda_bytes(uint8_t pda)
{
	return ((uint32_t)pda + 1) * 4;
}

/* ---- Connection initialisation -------------------------------------- */

int kt_icreq_accept(const struct kt_icreq_pdu *req, struct kt_tcp_params *p,
		    bool allow_digests, struct kt_pdu_err *err)
{
	if (req->hdr.type != KT_PDU_ICREQ)
		return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_TYPE);
	if (req->hdr.flags != 0)
		return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_FLAGS);
	if (req->hdr.hlen != sizeof(*req))
		return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_HLEN);
	if (req->hdr.pdo != 0)
		return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_PDO);
	if (le32toh(req->hdr.plen) != sizeof(*req))
		return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_PLEN);
	/* A format version we do not speak is a value we do not support. */
	if (le16toh(req->pfv) != KT_TCP_PFV_1_0)
		return pdu_fail(err, KT_FES_UNSUPPORTED_PARAM,
				offsetof(struct kt_icreq_pdu, pfv));
	/* HPDA 32..255 are reserved values, not unsupported ones. */
	if (req->hpda > KT_PDA_MAX)
		return pdu_fail(err, KT_FES_INVALID_HEADER,
				offsetof(struct kt_icreq_pdu, hpda));
	/* DGST bits 7:2 are reserved: ignored, like every reserved field we
	 * receive. Every MAXR2T value is valid (zero-based count). */
	p->hpda = req->hpda;
	p->maxr2t = le32toh(req->maxr2t);
	p->hdgst = allow_digests && (req->digest & KT_IC_HDGST);
	p->ddgst = allow_digests && (req->digest & KT_IC_DDGST);
	return 0;
}

void kt_icresp_build(struct kt_icresp_pdu *rsp, const struct kt_tcp_params *p)
{
	memset(rsp, 0, sizeof(*rsp));
	rsp->hdr.type = KT_PDU_ICRESP;
	rsp->hdr.hlen = sizeof(*rsp);
	rsp->hdr.plen = htole32(sizeof(*rsp));
	rsp->pfv = htole16(KT_TCP_PFV_1_0);
	rsp->cpda = p->cpda;
	rsp->digest = (uint8_t)((p->hdgst ? KT_IC_HDGST : 0) | (p->ddgst ? KT_IC_DDGST : 0));
	rsp->maxh2cdata = htole32(p->maxh2cdata);
}

/* ---- Receive -------------------------------------------------------- */

static void rx_next_pdu(struct kt_rx *rx)
{
	rx->state = KT_RX_CH;
	rx->hdr_need = KT_CH_LEN;
	rx->hdr_got = 0;
	rx->pad_left = 0;
	rx->data = NULL;
	rx->data_len = 0;
	rx->data_got = 0;
	rx->crc = KT_CRC32C_INIT;
	rx->ddgst_got = 0;
	rx->ddgst_ok = true;
}

void kt_rx_init(struct kt_rx *rx, struct kt_tcp_params *p)
{
	memset(rx, 0, sizeof(*rx));
	rx->p = p;
	rx_next_pdu(rx);
}

/* Digests in effect for the PDU being parsed: none before the ICReq has
 * been taken (ICReq itself never carries any). */
static bool rx_hdgst(const struct kt_rx *rx)
{
	return rx->ic_done && rx->p->hdgst;
}

static bool rx_ddgst(const struct kt_rx *rx)
{
	return rx->ic_done && rx->p->ddgst;
}

static uint8_t expected_hlen(uint8_t type)
{
	switch (type) {
	case KT_PDU_ICREQ:
		return sizeof(struct kt_icreq_pdu);
	case KT_PDU_H2C_TERM:
		return sizeof(struct kt_term_pdu);
	case KT_PDU_CMD:
		return sizeof(struct kt_cmd_pdu);
	case KT_PDU_H2C_DATA:
		return sizeof(struct kt_data_pdu);
	default:
		return 0;
	}
}

/* The 8-byte common header is in: check what it alone decides (TYPE, the
 * flags that do not depend on whether the PDU has data, HLEN) and work out
 * how many header bytes follow. */
static int rx_check_ch(struct kt_rx *rx, struct kt_pdu_err *err)
{
	struct kt_pdu_hdr chb, *ch = &chb;
	uint8_t allowed, hdgst_flag;

	memcpy(ch, rx->hdr, sizeof(*ch));

	switch (ch->type) {
	case KT_PDU_ICREQ:
		if (rx->ic_done)
			return pdu_fail(err, KT_FES_PDU_SEQUENCE, 0);
		break;
	case KT_PDU_H2C_TERM:
	case KT_PDU_CMD:
	case KT_PDU_H2C_DATA:
		if (!rx->ic_done)
			return pdu_fail(err, KT_FES_PDU_SEQUENCE, 0);
		break;
	default: /* C2H types, R2T, undefined types */
		return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_TYPE);
	}

	switch (ch->type) {
	case KT_PDU_CMD:
		allowed = KT_PDU_F_HDGST | KT_PDU_F_DDGST;
		break;
	case KT_PDU_H2C_DATA:
		allowed = KT_PDU_F_HDGST | KT_PDU_F_DDGST | KT_PDU_F_DATA_LAST;
		break;
	default: /* ICReq, H2CTermReq: never digests, no type flags */
		allowed = 0;
		break;
	}
	if (ch->flags & ~allowed)
		return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_FLAGS);
	if (allowed & KT_PDU_F_HDGST) {
		hdgst_flag = rx_hdgst(rx) ? KT_PDU_F_HDGST : 0;
		if ((ch->flags & KT_PDU_F_HDGST) != hdgst_flag)
			return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_FLAGS);
	}
	/* A data digest the connection did not negotiate is wrong whatever
	 * the PDU carries; a missing one is checked once PLEN is trusted. */
	if ((ch->flags & KT_PDU_F_DDGST) && !rx_ddgst(rx))
		return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_FLAGS);

	if (ch->hlen != expected_hlen(ch->type))
		return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_HLEN);

	rx->hdr_need = ch->hlen + ((ch->flags & KT_PDU_F_HDGST) ? KT_DIGEST_LEN : 0);
	return 0;
}

/* The whole header (and its digest, if any) is in and the digest matched:
 * check the fields that depend on PLEN and set up the data phase. */
static int rx_check_rest(struct kt_rx *rx, struct kt_pdu_err *err)
{
	struct kt_pdu_hdr chb, *ch = &chb;
	const struct kt_tcp_params *p = rx->p;
	uint32_t plen;
	uint32_t full_hlen = rx->hdr_need; /* HLEN + header digest */
	uint32_t ddgst_len, data_len;

	memcpy(ch, rx->hdr, sizeof(*ch));
	plen = le32toh(ch->plen);
	if (ch->type == KT_PDU_H2C_TERM) {
		/* No digests; the echoed header follows HLEN directly. */
		if (plen < KT_TERM_HLEN || plen > KT_TERM_HLEN + KT_TERM_MAX_DATA) {
			err->fes = 0;
			err->fei = 0;
			return -ECONNRESET;
		}
		if (ch->pdo != 0)
			return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_PDO);
		rx->data_len = plen - KT_TERM_HLEN;
		return 0;
	}

	if (plen < full_hlen)
		return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_PLEN);

	if (plen == full_hlen) {
		/* No data. */
		if (ch->flags & KT_PDU_F_DDGST)
			return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_FLAGS);
		if (ch->pdo != 0)
			return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_PDO);
		if (ch->type == KT_PDU_H2C_DATA)
			return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_PLEN);
		rx->data_len = 0;
		return 0;
	}

	/* PLEN says there is more than the header. */
	if (ch->type == KT_PDU_ICREQ)
		return pdu_fail(err, KT_FES_INVALID_HEADER,
				ch->pdo != 0 ? FEI_PDO : FEI_PLEN);
	if (rx_ddgst(rx) && !(ch->flags & KT_PDU_F_DDGST))
		return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_FLAGS);
	if (ch->pdo < full_hlen || ch->pdo >= plen || ch->pdo % pda_bytes(p->cpda) != 0)
		return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_PDO);
	ddgst_len = (ch->flags & KT_PDU_F_DDGST) ? KT_DIGEST_LEN : 0;
	if (plen - ch->pdo <= ddgst_len)
		return pdu_fail(err, KT_FES_INVALID_HEADER, FEI_PLEN);
	data_len = plen - ch->pdo - ddgst_len;

	if (ch->type == KT_PDU_CMD) {
		if (data_len > p->max_icd)
			return pdu_fail(err, KT_FES_R2T_LIMIT, 0);
	} else { /* H2CData */
		if (data_len > p->maxh2cdata)
			return pdu_fail(err, KT_FES_R2T_LIMIT, 0);
		if (get_le32(rx->hdr + offsetof(struct kt_data_pdu, length)) != data_len)
			return pdu_fail(err, KT_FES_INVALID_HEADER,
					offsetof(struct kt_data_pdu, length));
	}
	rx->pad_left = ch->pdo - full_hlen;
	rx->data_len = data_len;
	return 0;
}

/* The PDU is complete: hand it over and get ready for the next one. */
static int rx_complete(struct kt_rx *rx, const struct kt_rx_ops *ops, void *ctx,
		       struct kt_pdu_err *err)
{
	bool is_icreq = rx->hdr[0] == KT_PDU_ICREQ;
	int rc = ops->pdu(ctx, rx->hdr, rx->ddgst_ok, err);

	if (rc < 0)
		return rc;
	if (is_icreq)
		rx->ic_done = true;
	rx_next_pdu(rx);
	return 0;
}

/* Header fully received: verify its digest, check the rest, ask the caller
 * where the data goes. */
static int rx_header_done(struct kt_rx *rx, const struct kt_rx_ops *ops, void *ctx,
			  struct kt_pdu_err *err)
{
	uint8_t hlen = rx->hdr[offsetof(struct kt_pdu_hdr, hlen)];
	uint8_t *dst = NULL;
	int rc;

	if (rx->hdr[offsetof(struct kt_pdu_hdr, flags)] & KT_PDU_F_HDGST) {
		uint32_t want = kt_crc32c(rx->hdr, hlen);

		if (get_le32(rx->hdr + hlen) != want)
			return pdu_fail(err, KT_FES_HDR_DIGEST, 0);
	}
	rc = rx_check_rest(rx, err);
	if (rc < 0)
		return rc;

	rc = ops->header(ctx, rx->hdr, rx->data_len, &dst, err);
	if (rc < 0)
		return rc;
	rx->data = rx->data_len ? dst : NULL;
	rx->data_got = 0;
	rx->crc = KT_CRC32C_INIT;
	rx->ddgst_ok = true;

	if (rx->pad_left > 0)
		rx->state = KT_RX_PAD;
	else if (rx->data_len > 0)
		rx->state = KT_RX_DATA;
	else
		return rx_complete(rx, ops, ctx, err);
	return 0;
}

static int rx_data_done(struct kt_rx *rx, const struct kt_rx_ops *ops, void *ctx,
			struct kt_pdu_err *err)
{
	if (rx->hdr[1] & KT_PDU_F_DDGST) {
		rx->ddgst_got = 0;
		rx->state = KT_RX_DDGST;
		return 0;
	}
	return rx_complete(rx, ops, ctx, err);
}

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

ssize_t kt_rx_feed(struct kt_rx *rx, const struct kt_rx_ops *ops, void *ctx,
		   const uint8_t *buf, size_t len, struct kt_pdu_err *err)
{
	struct kt_pdu_err dummy;
	size_t off = 0;
	int rc = 0;

	if (!err)
		err = &dummy;
	err->fes = 0;
	err->fei = 0;
	if (len > (size_t)SSIZE_MAX)
		return -EINVAL;
	while (off < len) {
		size_t n;

		switch (rx->state) {
		case KT_RX_CH:
		case KT_RX_PSH:
			/* hdr_need <= KT_PDU_HDR_MAX: HLEN was checked against
			 * the fixed size of its type before PSH. */
			n = min_sz(rx->hdr_need - rx->hdr_got, len - off);
			memcpy(rx->hdr + rx->hdr_got, buf + off, n);
			rx->hdr_got += (uint32_t)n;
			off += n;
			if (rx->hdr_got < rx->hdr_need)
				break;
			if (rx->state == KT_RX_CH) {
				rc = rx_check_ch(rx, err);
				if (rc < 0)
					return rc;
				rx->state = KT_RX_PSH;
				if (rx->hdr_got < rx->hdr_need)
					break;
			}
			rc = rx_header_done(rx, ops, ctx, err);
			if (rc < 0)
				return rc;
			break;
		case KT_RX_PAD:
			n = min_sz(rx->pad_left, len - off);
			rx->pad_left -= (uint32_t)n;
			off += n;
			if (rx->pad_left > 0)
				break;
			if (rx->data_len > 0) {
				rx->state = KT_RX_DATA;
			} else {
				rc = rx_data_done(rx, ops, ctx, err);
				if (rc < 0)
					return rc;
			}
			break;
		case KT_RX_DATA:
			n = min_sz(rx->data_len - rx->data_got, len - off);
			if (rx->data)
				memcpy(rx->data + rx->data_got, buf + off, n);
			if (rx->hdr[1] & KT_PDU_F_DDGST)
				rx->crc = kt_crc32c_update(rx->crc, buf + off, n);
			rx->data_got += (uint32_t)n;
			off += n;
			if (rx->data_got < rx->data_len)
				break;
			rc = rx_data_done(rx, ops, ctx, err);
			if (rc < 0)
				return rc;
			break;
		case KT_RX_DDGST:
			n = min_sz(KT_DIGEST_LEN - rx->ddgst_got, len - off);
			memcpy(rx->ddgst + rx->ddgst_got, buf + off, n);
			rx->ddgst_got += (uint32_t)n;
			off += n;
			if (rx->ddgst_got < KT_DIGEST_LEN)
				break;
			rx->ddgst_ok = get_le32(rx->ddgst) == kt_crc32c_final(rx->crc);
			rc = rx_complete(rx, ops, ctx, err);
			if (rc < 0)
				return rc;
			break;
		}
	}
	return (ssize_t)len;
}

/* ---- Transmit ------------------------------------------------------- */

/* Common header; returns the header digest length the PDU carries. */
static uint32_t put_ch(uint8_t *out, uint8_t type, uint8_t flags, uint8_t hlen,
		       uint8_t pdo, uint32_t plen)
{
	struct kt_pdu_hdr ch = {
		.type = type,
		.flags = flags,
		.hlen = hlen,
		.pdo = pdo,
		.plen = htole32(plen),
	};

	memcpy(out, &ch, sizeof(ch));
	return (flags & KT_PDU_F_HDGST) ? KT_DIGEST_LEN : 0;
}

static void put_hdgst(uint8_t *out, uint8_t hlen)
{
	put_le32(out + hlen, kt_crc32c(out, hlen));
}

size_t kt_pdu_build_rsp(const struct kt_tcp_params *p, void *out, const struct kt_cqe *cqe)
{
	uint8_t *o = out;
	uint8_t hlen = sizeof(struct kt_rsp_pdu);
	uint32_t hd = p->hdgst ? KT_DIGEST_LEN : 0;

	put_ch(o, KT_PDU_RSP, p->hdgst ? KT_PDU_F_HDGST : 0, hlen, 0, hlen + hd);
	memcpy(o + offsetof(struct kt_rsp_pdu, cqe), cqe, sizeof(*cqe));
	if (hd)
		put_hdgst(o, hlen);
	return hlen + hd;
}

size_t kt_pdu_build_c2h_data(const struct kt_tcp_params *p, void *out, uint16_t cid,
			     uint32_t offset, uint32_t len, bool last, bool success)
{
	uint8_t *o = out;
	uint8_t hlen = sizeof(struct kt_data_pdu);
	uint32_t hd = p->hdgst ? KT_DIGEST_LEN : 0;
	uint32_t dd = p->ddgst ? KT_DIGEST_LEN : 0;
	uint32_t align = pda_bytes(p->hpda > KT_PDA_MAX ? KT_PDA_MAX : p->hpda);
	uint32_t pdo = (hlen + hd + align - 1) / align * align; /* <= 128 */
	uint8_t flags = 0;
	struct kt_data_pdu d;

	if (p->hdgst)
		flags |= KT_PDU_F_HDGST;
	if (p->ddgst)
		flags |= KT_PDU_F_DDGST;
	if (last)
		flags |= KT_PDU_F_DATA_LAST;
	/* SUCCESS is only valid on the last PDU of the transfer. */
	if (last && success)
		flags |= KT_PDU_F_DATA_SUCCESS;

	memset(&d, 0, sizeof(d));
	d.cccid = cid;
	d.offset = htole32(offset);
	d.length = htole32(len);
	memcpy(o, &d, sizeof(d));
	put_ch(o, KT_PDU_C2H_DATA, flags, hlen, (uint8_t)pdo, pdo + len + dd);
	if (hd)
		put_hdgst(o, hlen);
	memset(o + hlen + hd, 0, pdo - hlen - hd);
	return pdo;
}

size_t kt_pdu_build_r2t(const struct kt_tcp_params *p, void *out, uint16_t cid,
			uint16_t ttag, uint32_t offset, uint32_t len)
{
	uint8_t *o = out;
	uint8_t hlen = sizeof(struct kt_data_pdu);
	uint32_t hd = p->hdgst ? KT_DIGEST_LEN : 0;
	struct kt_data_pdu r;

	memset(&r, 0, sizeof(r));
	r.cccid = cid;
	r.ttag = ttag;
	r.offset = htole32(offset);
	r.length = htole32(len);
	memcpy(o, &r, sizeof(r));
	put_ch(o, KT_PDU_R2T, p->hdgst ? KT_PDU_F_HDGST : 0, hlen, 0, hlen + hd);
	if (hd)
		put_hdgst(o, hlen);
	return hlen + hd;
}

size_t kt_pdu_build_c2h_term(void *out, const struct kt_pdu_err *err,
			     const void *bad_hdr, size_t bad_len)
{
	uint8_t *o = out;
	size_t n = bad_hdr ? min_sz(bad_len, KT_TERM_MAX_DATA) : 0;

	memset(o, 0, KT_TERM_HLEN);
	put_ch(o, KT_PDU_C2H_TERM, 0, (uint8_t)KT_TERM_HLEN, 0, KT_TERM_HLEN + (uint32_t)n);
	put_le16(o + offsetof(struct kt_term_pdu, fes), err->fes);
	put_le32(o + offsetof(struct kt_term_pdu, fei), err->fei);
	if (n)
		memcpy(o + KT_TERM_HLEN, bad_hdr, n);
	return KT_TERM_HLEN + n;
}

uint8_t *kt_rx_data_dst(const struct kt_rx *rx, size_t *remaining)
{
	if (rx->state != KT_RX_DATA || !rx->data)
		return NULL;
	*remaining = rx->data_len - rx->data_got;
	return rx->data + rx->data_got;
}

void kt_rx_data_placed(struct kt_rx *rx, size_t n)
{
	/* the caller wrote n bytes at kt_rx_data_dst(): same accounting as
	 * the KT_RX_DATA case of kt_rx_feed, minus the copy */
	if (rx->hdr[1] & KT_PDU_F_DDGST)
		rx->crc = kt_crc32c_update(rx->crc, rx->data + rx->data_got, n);
	rx->data_got += (uint32_t)n;
}

/*
 * host.c - the test initiator's transport: TCP connection, ICReq/ICResp,
 * the send queue and the receive side (a whole-PDU parser written from the
 * NVMe/TCP 1.0 spec, not the target's), command slots, R2T answers and
 * C2HData reassembly. Command builders live in host_cmd.c.
 *
 * Choices where the spec leaves room, made strict on purpose so that a
 * target that takes liberties is caught:
 *  - C2HData must arrive in order (DATAO == bytes received so far) and
 *    never beyond the command's buffer; an R2T must ask for the next
 *    untransferred range (we advertise MAXR2T 0: one R2T at a time).
 *  - SUCCESS in C2HData is accepted only with LAST_PDU and only when the
 *    host disabled SQ flow control in Connect (CATTR bit 2), as NVMe/TCP
 *    1.0 section 3.3.6 requires.
 *  - A successful CapsuleResp for a command whose data is not complete
 *    (read data missing, write data never asked for) is a violation.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include "proto/crc32c.h"
#include "proto/pdu.h"
#include "tests/host/host_priv.h"

uint64_t kh_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int kh_proto_err(struct kh_host *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->errmsg, sizeof(h->errmsg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "kh[qid %u]: protocol violation: %s\n", h->qid, h->errmsg);
	if (!h->err)
		h->err = -EPROTO;
	return -EPROTO;
}

static uint32_t align_up(uint32_t v, uint32_t a)
{
	return (v + a - 1) / a * a;
}

void kh_put_digest(void *at, const void *buf, size_t len)
{
	uint32_t crc = htole32(kt_crc32c(buf, len));

	memcpy(at, &crc, 4);
}

static bool digest_ok(const void *at, const void *buf, size_t len)
{
	uint32_t got;

	memcpy(&got, at, 4);
	return le32toh(got) == kt_crc32c(buf, len);
}

/* ---- Send queue ------------------------------------------------------ */

static int out_reserve(struct kh_host *h, size_t n)
{
	if (h->ooff == h->olen) {
		h->ooff = h->olen = 0;
	} else if (h->ooff > 0 && h->olen + n > h->ocap) {
		memmove(h->obuf, h->obuf + h->ooff, h->olen - h->ooff);
		h->olen -= h->ooff;
		h->ooff = 0;
	}
	if (h->olen + n > h->ocap) {
		size_t cap = h->ocap ? h->ocap : 65536;
		uint8_t *p;

		while (cap < h->olen + n)
			cap *= 2;
		p = realloc(h->obuf, cap);
		if (!p)
			return -ENOMEM;
		h->obuf = p;
		h->ocap = cap;
	}
	return 0;
}

int kh_out_append(struct kh_host *h, const void *buf, size_t n)
{
	int rc = out_reserve(h, n);

	if (rc)
		return rc;
	if (n)
		memcpy(h->obuf + h->olen, buf, n);
	h->olen += n;
	return 0;
}

static void mark_closed(struct kh_host *h)
{
	if (!h->eof) {
		h->eof = true;
		h->closed_at = kh_now_ms();
	}
}

/* TLS: SSL_write_ex/SSL_read_ex on the non-blocking socket. */
static int tls_flush_some(struct kh_host *h)
{
	while (h->ooff < h->olen) {
		size_t n = 0;
		int r = SSL_write_ex(h->ssl, h->obuf + h->ooff, h->olen - h->ooff, &n);
		if (r <= 0) {
			int e = SSL_get_error(h->ssl, r);
			if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
				return 0;
			ERR_clear_error();
			h->wclosed = true;
			h->ooff = h->olen = 0;
			return 0;
		}
		h->ooff += n;
	}
	return 0;
}

static int flush_some(struct kh_host *h)
{
	if (h->ssl)
		return tls_flush_some(h);
	while (h->ooff < h->olen) {
		ssize_t n = send(h->fd, h->obuf + h->ooff, h->olen - h->ooff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			if (errno == EPIPE || errno == ECONNRESET) {
				/* The peer is gone: what is left cannot be sent;
				 * keep reading what it sent before closing. */
				h->wclosed = true;
				h->ooff = h->olen = 0;
				return 0;
			}
			return -errno;
		}
		h->ooff += (size_t)n;
	}
	return 0;
}

/* ---- Slots ----------------------------------------------------------- */

struct kh_slot *kh_slot_by_cid(struct kh_host *h, uint16_t cid)
{
	unsigned idx = cid & KH_CID_IDX_MASK;

	if (idx >= h->nslots || h->slots[idx].state != KH_SLOT_BUSY || h->slots[idx].cid != cid)
		return NULL;
	return &h->slots[idx];
}

static void slot_complete(struct kh_host *h, struct kh_slot *s, const struct kt_cqe *cqe,
			  bool by_success)
{
	s->done.cid = s->cid;
	s->done.cqe = *cqe;
	s->done.status = (le16toh(cqe->status) >> 1) & 0x7fff;
	if (s->ddgst_bad)
		s->done.status = KH_EDDGST;
	s->done.xfer = s->rcvd;
	s->done.by_success = by_success;
	s->done.cookie = s->cookie;
	s->state = KH_SLOT_DONE;
	h->doneq[(h->dq_head + h->dq_n) % h->nslots] = (uint16_t)(s - h->slots);
	h->dq_n++;
}

/* ---- Receive: one whole PDU ------------------------------------------ */

static int check_hdgst(struct kh_host *h, const uint8_t *p, uint8_t hlen, const char *what)
{
	if (!h->hdgst)
		return 0;
	if (!digest_ok(p + hlen, p, hlen))
		return kh_proto_err(h, "%s: header digest mismatch", what);
	return 0;
}

/* A 24-byte header with no data (CapsuleResp, R2T): its length, flags (the
 * header digest flag, nothing else) and header digest. */
static int check_bare_hdr(struct kh_host *h, const uint8_t *p, uint32_t plen, const char *what)
{
	const struct kt_pdu_hdr *hdr = (const void *)p;

	if (hdr->hlen != 24 || plen != 24u + (h->hdgst ? 4 : 0))
		return kh_proto_err(h, "%s: hlen %u plen %u", what, hdr->hlen, plen);
	if (hdr->flags != (h->hdgst ? KT_PDU_F_HDGST : 0))
		return kh_proto_err(h, "%s: flags %#x", what, hdr->flags);
	return check_hdgst(h, p, 24, what);
}

static int rx_icresp(struct kh_host *h, const uint8_t *p, uint32_t plen)
{
	const struct kt_icresp_pdu *r = (const void *)p;
	uint8_t asked = (h->o.hdgst ? KT_IC_HDGST : 0) | (h->o.ddgst ? KT_IC_DDGST : 0);

	if (h->ic_done)
		return kh_proto_err(h, "ICResp after initialisation");
	if (r->hdr.hlen != 128 || plen != 128 || r->hdr.pdo != 0 || r->hdr.flags != 0)
		return kh_proto_err(h, "ICResp: hlen %u plen %u pdo %u flags %#x", r->hdr.hlen,
				    plen, r->hdr.pdo, r->hdr.flags);
	if (le16toh(r->pfv) != KT_TCP_PFV_1_0)
		return kh_proto_err(h, "ICResp: PFV %u", le16toh(r->pfv));
	if (r->cpda > 31)
		return kh_proto_err(h, "ICResp: CPDA %u", r->cpda);
	if (r->digest & ~asked)
		return kh_proto_err(h, "ICResp: digests %#x not asked for (%#x)", r->digest, asked);
	if (le32toh(r->maxh2cdata) < 4096 || le32toh(r->maxh2cdata) % 4)
		return kh_proto_err(h, "ICResp: MAXH2CDATA %u", le32toh(r->maxh2cdata));
	h->cpda = r->cpda;
	h->hdgst = r->digest & KT_IC_HDGST;
	h->ddgst = r->digest & KT_IC_DDGST;
	h->maxh2cdata = le32toh(r->maxh2cdata);
	h->ic_done = true;
	return 0;
}

static int rx_term(struct kh_host *h, const uint8_t *p, uint32_t plen)
{
	const struct kt_term_pdu *t = (const void *)p;

	if (t->hdr.hlen != 24 || plen < 24 || plen > 24 + KT_TERM_MAX_DATA)
		return kh_proto_err(h, "C2HTermReq: hlen %u plen %u", t->hdr.hlen, plen);
	h->got_term = true;
	h->term_fes = le16toh(t->fes);
	h->term_fei = le32toh(t->fei);
	h->term_len = plen - 24;
	memcpy(h->term_hdr, p + 24, h->term_len);
	return 0;
}

static int rx_rsp(struct kh_host *h, const uint8_t *p, uint32_t plen)
{
	const struct kt_rsp_pdu *r = (const void *)p;
	struct kh_slot *s;
	uint16_t st;
	int rc;

	if ((rc = check_bare_hdr(h, p, plen, "CapsuleResp")))
		return rc;
	s = kh_slot_by_cid(h, r->cqe.cid);
	if (!s)
		return kh_proto_err(h, "CapsuleResp for cid %#x not outstanding", r->cqe.cid);
	st = (le16toh(r->cqe.status) >> 1) & 0x7fff;
	if (KH_SC(st) == 0) {
		if (s->dir == KH_C2H && s->len && !s->last_seen)
			return kh_proto_err(h, "cid %#x: success with %u of %u bytes and no LAST_PDU",
					    r->cqe.cid, s->rcvd, s->len);
		if (s->dir == KH_H2C && !s->icd && s->r2t_next < s->len)
			return kh_proto_err(h, "cid %#x: write success after %u of %u bytes",
					    r->cqe.cid, s->r2t_next, s->len);
	}
	h->stats.rsp++;
	slot_complete(h, s, &r->cqe, false);
	return 0;
}

static int rx_c2h_data(struct kh_host *h, const uint8_t *p, uint32_t plen)
{
	const struct kt_data_pdu *d = (const void *)p;
	uint8_t hd = h->hdgst ? 4 : 0, dd = h->ddgst ? 4 : 0;
	uint8_t want = (h->hdgst ? KT_PDU_F_HDGST : 0) | (h->ddgst ? KT_PDU_F_DDGST : 0);
	uint32_t align = (h->o.hpda + 1u) * 4u;
	uint32_t off = le32toh(d->offset), len = le32toh(d->length);
	struct kh_slot *s;
	int rc;

	if (d->hdr.hlen != 24)
		return kh_proto_err(h, "C2HData: hlen %u", d->hdr.hlen);
	if ((d->hdr.flags & (KT_PDU_F_HDGST | KT_PDU_F_DDGST)) != want ||
	    (d->hdr.flags & ~(KT_PDU_F_HDGST | KT_PDU_F_DDGST | KT_PDU_F_DATA_LAST |
			      KT_PDU_F_DATA_SUCCESS)))
		return kh_proto_err(h, "C2HData: flags %#x (digests %#x)", d->hdr.flags, want);
	if ((rc = check_hdgst(h, p, 24, "C2HData")))
		return rc;
	if (d->hdr.pdo < 24u + hd || d->hdr.pdo % align)
		return kh_proto_err(h, "C2HData: PDO %u (header %u, alignment %u)", d->hdr.pdo,
				    24u + hd, align);
	if (len == 0 || plen != d->hdr.pdo + len + dd)
		return kh_proto_err(h, "C2HData: PLEN %u, PDO %u, DATAL %u", plen, d->hdr.pdo, len);
	if ((d->hdr.flags & KT_PDU_F_DATA_SUCCESS) && !(d->hdr.flags & KT_PDU_F_DATA_LAST))
		return kh_proto_err(h, "C2HData: SUCCESS without LAST_PDU");
	if ((d->hdr.flags & KT_PDU_F_DATA_SUCCESS) && !(h->o.cattr & KH_CATTR_DISABLE_SQFLOW))
		return kh_proto_err(h, "C2HData: SUCCESS while SQ flow control is on");
	s = kh_slot_by_cid(h, d->cccid);
	if (!s || s->dir != KH_C2H)
		return kh_proto_err(h, "C2HData for cid %#x, not an outstanding read", d->cccid);
	if (s->last_seen)
		return kh_proto_err(h, "C2HData for cid %#x after its LAST_PDU", d->cccid);
	if (off != s->rcvd)
		return kh_proto_err(h, "C2HData cid %#x: DATAO %u, expected %u", d->cccid, off,
				    s->rcvd);
	if ((uint64_t)off + len > s->len)
		return kh_proto_err(h, "C2HData cid %#x: %u bytes at %u beyond the %u-byte buffer",
				    d->cccid, len, off, s->len);
	h->stats.c2h_data++;
	memcpy(s->buf + off, p + d->hdr.pdo, len);
	if (dd && !digest_ok(p + d->hdr.pdo + len, p + d->hdr.pdo, len))
		s->ddgst_bad = true;
	s->rcvd += len;
	if (d->hdr.flags & KT_PDU_F_DATA_LAST)
		s->last_seen = true;
	if (d->hdr.flags & KT_PDU_F_DATA_SUCCESS) {
		struct kt_cqe cqe;

		memset(&cqe, 0, sizeof(cqe));
		cqe.cid = d->cccid;
		cqe.sq_id = htole16(h->qid);
		h->stats.success_flag++;
		slot_complete(h, s, &cqe, true);
	}
	return 0;
}

/* Answers an R2T with H2CData PDUs of at most MAXH2CDATA bytes each. */
static int rx_r2t(struct kh_host *h, const uint8_t *p, uint32_t plen)
{
	const struct kt_data_pdu *r = (const void *)p;
	uint32_t off = le32toh(r->offset), len = le32toh(r->length), sent;
	struct kh_slot *s;
	int rc;

	if ((rc = check_bare_hdr(h, p, plen, "R2T")))
		return rc;
	s = kh_slot_by_cid(h, r->cccid);
	if (!s || s->dir != KH_H2C || s->icd)
		return kh_proto_err(h, "R2T for cid %#x, not a write waiting for R2T", r->cccid);
	if (len == 0 || off != s->r2t_next || (uint64_t)off + len > s->len)
		return kh_proto_err(h, "R2T cid %#x: R2TO %u R2TL %u, expected offset %u of %u",
				    r->cccid, off, len, s->r2t_next, s->len);
	h->stats.r2t++;
	if (s->hold_r2t) {
		s->r2t_held = true;
		s->r2t_ttag = r->ttag;
		s->r2t_off = off;
		s->r2t_len = len;
		s->r2t_next = off + len;
		return 0;
	}
	for (sent = 0; sent < len;) {
		uint32_t n = len - sent < h->maxh2cdata ? len - sent : h->maxh2cdata;
		bool last = sent + n == len;

		rc = kh_send_data_pdu(h, KT_PDU_H2C_DATA, r->cccid, r->ttag, off + sent,
				      s->buf + off + sent, n, last, s->bad_ddgst);
		if (rc)
			return rc;
		sent += n;
	}
	s->r2t_next = off + len;
	return 0;
}

int kh_send_data_pdu(struct kh_host *h, uint8_t type, uint16_t cid, uint16_t ttag,
		     uint32_t off, const void *data, uint32_t n, bool last, bool bad_ddgst)
{
	uint8_t hdr[64];
	uint8_t hd = h->hdgst ? 4 : 0, dd = h->ddgst ? 4 : 0;
	uint32_t pdo = align_up(24u + hd, (h->cpda + 1u) * 4u);
	struct kt_data_pdu *d = (void *)hdr;
	uint8_t dg[4];
	int rc;

	memset(hdr, 0, sizeof(hdr));
	if (type == KT_PDU_H2C_DATA)
		h->stats.h2c_data++;
	d->hdr.type = type;
	d->hdr.flags = (h->hdgst ? KT_PDU_F_HDGST : 0) | (h->ddgst ? KT_PDU_F_DDGST : 0) |
		       (last ? KT_PDU_F_DATA_LAST : 0);
	d->hdr.hlen = 24;
	d->hdr.pdo = (uint8_t)pdo;
	d->hdr.plen = htole32(pdo + n + dd);
	d->cccid = cid;
	d->ttag = ttag;
	d->offset = htole32(off);
	d->length = htole32(n);
	if (hd)
		kh_put_digest(hdr + 24, hdr, 24);
	if ((rc = kh_out_append(h, hdr, pdo)) || (rc = kh_out_append(h, data, n)))
		return rc;
	if (dd) {
		kh_put_digest(dg, data, n);
		dg[0] ^= bad_ddgst ? 0xff : 0;
		return kh_out_append(h, dg, 4);
	}
	return 0;
}

static int rx_pdu(struct kh_host *h, const uint8_t *p, uint32_t plen)
{
	const struct kt_pdu_hdr *ch = (const void *)p;

	if (!h->ic_done && ch->type != KT_PDU_ICRESP && ch->type != KT_PDU_C2H_TERM)
		return kh_proto_err(h, "PDU type %#x before ICResp", ch->type);
	switch (ch->type) {
	case KT_PDU_ICRESP:
		return rx_icresp(h, p, plen);
	case KT_PDU_C2H_TERM:
		return rx_term(h, p, plen);
	case KT_PDU_RSP:
		return rx_rsp(h, p, plen);
	case KT_PDU_C2H_DATA:
		return rx_c2h_data(h, p, plen);
	case KT_PDU_R2T:
		return rx_r2t(h, p, plen);
	default:
		return kh_proto_err(h, "PDU type %#x from a controller", ch->type);
	}
}

/* Largest PDU we accept: a C2HData of 16 MiB plus headers. */
#define KH_MAX_PLEN ((16u << 20) + 512u)

static int rx_parse(struct kh_host *h)
{
	while (h->ilen - h->ioff >= sizeof(struct kt_pdu_hdr)) {
		const uint8_t *p = h->ibuf + h->ioff;
		const struct kt_pdu_hdr *ch = (const void *)p;
		uint32_t plen = le32toh(ch->plen);
		int rc;

		if (plen < sizeof(*ch) || plen < ch->hlen || plen > KH_MAX_PLEN)
			return kh_proto_err(h, "PDU type %#x: PLEN %u HLEN %u", ch->type, plen, ch->hlen);
		if (h->got_term)
			return kh_proto_err(h, "PDU type %#x after C2HTermReq", ch->type);
		if (h->ilen - h->ioff < plen) {
			/* make room for the whole PDU */
			if (h->ioff) {
				memmove(h->ibuf, h->ibuf + h->ioff, h->ilen - h->ioff);
				h->ilen -= h->ioff;
				h->ioff = 0;
			}
			if (plen > h->icap) {
				uint8_t *n = realloc(h->ibuf, plen);

				if (!n)
					return -ENOMEM;
				h->ibuf = n;
				h->icap = plen;
			}
			return 0;
		}
		rc = rx_pdu(h, p, plen);
		if (rc)
			return rc;
		h->ioff += plen;
	}
	if (h->ioff == h->ilen)
		h->ioff = h->ilen = 0;
	return 0;
}

static int read_some(struct kh_host *h)
{
	ssize_t n;

	if (h->icap - h->ilen < 4096 && h->ioff) {
		memmove(h->ibuf, h->ibuf + h->ioff, h->ilen - h->ioff);
		h->ilen -= h->ioff;
		h->ioff = 0;
	}
	if (h->icap == h->ilen) {
		uint8_t *p = realloc(h->ibuf, h->icap * 2);

		if (!p)
			return -ENOMEM;
		h->ibuf = p;
		h->icap *= 2;
	}
	if (h->ssl) {
		size_t got = 0;
		int r = SSL_read_ex(h->ssl, h->ibuf + h->ilen, h->icap - h->ilen, &got);
		if (r <= 0) {
			int e = SSL_get_error(h->ssl, r);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return 0;
			ERR_clear_error();
			mark_closed(h);
			return 0;
		}
		h->ilen += got;
		return rx_parse(h);
	}
	n = recv(h->fd, h->ibuf + h->ilen, h->icap - h->ilen, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE))) {
		mark_closed(h);
		return 0;
	}
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	h->ilen += (size_t)n;
	return rx_parse(h);
}

/* One round of I/O: waits (until deadline) for the socket, then writes
 * what is queued and reads and processes what arrived. */
int kh_pump(struct kh_host *h, uint64_t deadline)
{
	struct pollfd pfd;
	uint64_t now = kh_now_ms();
	int n, rc;

	if (h->err)
		return h->err;
	if (h->eof)
		return -ECONNRESET;
	if (now >= deadline)
		return -ETIMEDOUT;
	pfd.fd = h->fd;
	pfd.events = POLLIN | (h->olen > h->ooff && !h->wclosed ? POLLOUT : 0);
	pfd.revents = 0;
	/* TLS: a record OpenSSL holds already does not wake the socket */
	n = h->ssl && SSL_has_pending(h->ssl) ? (pfd.revents = POLLIN, 1) : poll(&pfd, 1, (int)(deadline - now));
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ETIMEDOUT;
	if (pfd.revents & POLLOUT) {
		rc = flush_some(h);
		if (rc)
			return rc;
	}
	if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
		rc = read_some(h);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- Connection ------------------------------------------------------ */

static void derive_hostid(const char *nqn, uint8_t id[16])
{
	uint64_t a = 0xcbf29ce484222325ull, b = 0x84222325cbf29ce4ull;

	for (const char *c = nqn; *c; c++) {
		a = (a ^ (uint8_t)*c) * 0x100000001b3ull;
		b = (b ^ (uint8_t)*c) * 0x100000001b3ull + 7;
	}
	memcpy(id, &a, 8);
	memcpy(id + 8, &b, 8);
}

int kh_open(struct kh_host **out, const char *addr, uint16_t port, const struct kh_opts *opts)
{
	struct kh_opts dflt;
	struct addrinfo hints, *ai = NULL;
	struct kh_host *h;
	char svc[8];
	int one = 1, rc;
	static const uint8_t zero[16];

	if (!opts) {
		memset(&dflt, 0, sizeof(dflt));
		opts = &dflt;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fd = -1;
	h->o = *opts;
	snprintf(h->hostnqn, sizeof(h->hostnqn), "%s", opts->hostnqn ? opts->hostnqn : KH_DEFAULT_HOSTNQN);
	snprintf(h->subnqn, sizeof(h->subnqn), "%s", opts->subnqn ? opts->subnqn : NVME_DISC_SUBSYS_NAME);
	h->o.hostnqn = h->hostnqn;
	h->o.subnqn = h->subnqn;
	if (!memcmp(h->o.hostid, zero, 16))
		derive_hostid(h->hostnqn, h->o.hostid);
	if (!h->o.sqsize)
		h->o.sqsize = 31;
	h->qid = opts->qid;
	h->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : KH_DEFAULT_TIMEOUT_MS;
	h->icd_bytes = h->qid == 0 ? KH_ADMIN_ICD : opts->icd_bytes;
	h->maxh2cdata = 4096;
	/* A queue of SQSIZE+1 entries holds SQSIZE commands; CIDs carry the
	 * slot in their low bits. */
	h->nslots = h->o.sqsize < KH_CID_IDX_MASK ? h->o.sqsize : KH_CID_IDX_MASK;
	h->slots = calloc(h->nslots, sizeof(*h->slots));
	h->doneq = calloc(h->nslots, sizeof(*h->doneq));
	h->icap = 256 * 1024;
	h->ibuf = malloc(h->icap);
	if (!h->slots || !h->doneq || !h->ibuf) {
		kh_close(h);
		return -ENOMEM;
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(svc, sizeof(svc), "%u", port);
	rc = getaddrinfo(addr, svc, &hints, &ai);
	if (rc || !ai) {
		kh_close(h);
		return -EHOSTUNREACH;
	}
	h->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0 || connect(h->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		rc = -errno;
		freeaddrinfo(ai);
		kh_close(h);
		return rc;
	}
	freeaddrinfo(ai);
	setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (h->o.tls && (rc = kh_tls_start(h)) < 0) {
		kh_close(h);
		return rc;
	}
	*out = h;
	return 0;
}

int kh_flush_all(struct kh_host *h)
{
	uint64_t deadline = kh_now_ms() + (uint64_t)h->timeout_ms;
	int rc;

	while (h->olen > h->ooff && !h->wclosed) {
		rc = kh_pump(h, deadline);
		if (rc)
			return rc;
	}
	return h->wclosed ? -EPIPE : 0;
}

int kh_icreq(struct kh_host *h)
{
	struct kt_icreq_pdu req;
	uint64_t deadline = kh_now_ms() + (uint64_t)h->timeout_ms;
	int rc;

	memset(&req, 0, sizeof(req));
	req.hdr.type = KT_PDU_ICREQ;
	req.hdr.hlen = sizeof(req);
	req.hdr.plen = htole32(sizeof(req));
	req.pfv = htole16(KT_TCP_PFV_1_0);
	req.hpda = h->o.hpda;
	req.digest = (h->o.hdgst ? KT_IC_HDGST : 0) | (h->o.ddgst ? KT_IC_DDGST : 0);
	req.maxr2t = htole32(0);
	rc = kh_out_append(h, &req, sizeof(req));
	while (!rc && !h->ic_done && !h->got_term)
		rc = kh_pump(h, deadline);
	if (!rc && h->got_term)
		rc = -ECONNREFUSED;
	return rc;
}

int kh_fabrics_connect(struct kh_host *h, struct kt_cqe *cqe)
{
	struct nvmf_connect_data data;
	struct kt_fabrics_connect_cmd cmd;
	struct kt_cqe c;
	uint16_t cntlid;
	int rc;

	memset(&data, 0, sizeof(data));
	memcpy(data.hostid, h->o.hostid, 16);
	cntlid = h->qid == 0 && h->o.cntlid == 0 ? 0xffff : h->o.cntlid;
	data.cntlid = htole16(cntlid);
	/* Copied without forcing a NUL, so a test can send a 256-character,
	 * unterminated NQN. */
	memcpy(data.subsysnqn, h->subnqn, strnlen(h->subnqn, sizeof(data.subsysnqn)));
	memcpy(data.hostnqn, h->hostnqn, strnlen(h->hostnqn, sizeof(data.hostnqn)));

	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = KT_OPC_FABRICS;
	cmd.fctype = nvme_fabrics_type_connect;
	cmd.recfmt = htole16(0);
	cmd.qid = htole16(h->qid);
	cmd.sqsize = htole16(h->o.sqsize);
	cmd.cattr = h->o.cattr;
	cmd.kato = htole32(h->o.kato_ms);
	memset(&c, 0, sizeof(c));
	rc = kh_cmd(h, (struct kt_sqe *)&cmd, &data, sizeof(data), KH_H2C, KH_F_ICD, &c);
	if (cqe)
		*cqe = c;
	if (rc == 0) {
		h->cntlid = le32toh(c.dw0) & 0xffff;
		h->connect_dw0 = le32toh(c.dw0);
		h->connected_at = kh_now_ms();
	}
	return rc;
}

int kh_connect(struct kh_host **out, const char *addr, uint16_t port,
	       const struct kh_opts *opts, struct kt_cqe *cqe)
{
	struct kh_host *h;
	int rc;

	*out = NULL;
	rc = kh_open(&h, addr, port, opts);
	if (rc)
		return rc;
	if (!h->o.no_icreq) {
		rc = kh_icreq(h);
		if (!rc && !h->o.no_connect)
			rc = kh_fabrics_connect(h, cqe);
	}
	if (rc) {
		kh_close(h);
		return rc;
	}
	*out = h;
	return 0;
}

void kh_close(struct kh_host *h)
{
	if (!h)
		return;
	kh_tls_free(h);
	if (h->fd >= 0)
		close(h->fd);
	free(h->obuf);
	free(h->ibuf);
	free(h->slots);
	free(h->doneq);
	free(h);
}

const struct kh_opts *kh_opts_of(const struct kh_host *h) { return &h->o; }
uint16_t kh_cntlid(const struct kh_host *h) { return h->cntlid; }
uint32_t kh_connect_dw0(const struct kh_host *h) { return h->connect_dw0; }
uint32_t kh_maxh2cdata(const struct kh_host *h) { return h->maxh2cdata; }
uint8_t kh_cpda(const struct kh_host *h) { return h->cpda; }
bool kh_hdgst(const struct kh_host *h) { return h->hdgst; }
bool kh_ddgst(const struct kh_host *h) { return h->ddgst; }
int kh_fd(const struct kh_host *h) { return h->fd; }
void kh_set_timeout(struct kh_host *h, int timeout_ms) { h->timeout_ms = timeout_ms; }
void kh_set_icd(struct kh_host *h, uint32_t icd_bytes) { h->icd_bytes = icd_bytes; }
uint64_t kh_connected_at_ms(const struct kh_host *h) { return h->connected_at; }
const char *kh_errmsg(const struct kh_host *h) { return h->errmsg; }
unsigned kh_inflight(const struct kh_host *h) { return h->inflight; }
unsigned kh_max_inflight(const struct kh_host *h) { return h->nslots; }

/* ---- Submission and completion --------------------------------------- */

int kh_submit(struct kh_host *h, struct kt_sqe *sqe, void *data, uint32_t len,
	      enum kh_dir dir, unsigned flags, void *cookie)
{
	struct kt_cmd_pdu pdu;
	struct kh_slot *s = NULL;
	uint8_t hd = h->hdgst ? 4 : 0, dd = h->ddgst ? 4 : 0;
	bool icd = false;
	uint32_t pdo = 0, plen;
	uint8_t pad[128], dg[4];
	unsigned i;
	int rc;

	if (h->err)
		return h->err;
	if (h->eof || h->wclosed)
		return -ECONNRESET;
	if (len && dir == KH_NONE)
		return -EINVAL;
	for (i = 0; i < h->nslots; i++) {
		unsigned idx = (h->next_slot + i) % h->nslots;

		if (h->slots[idx].state == KH_SLOT_FREE) {
			s = &h->slots[idx];
			h->next_slot = (idx + 1) % h->nslots;
			break;
		}
	}
	if (!s)
		return -EBUSY;
	memset(s, 0, sizeof(*s));
	/* CID: slot index in the low bits, a per-slot generation above, so
	 * a target that answers a stale or mangled CID is caught. */
	s->cid = (uint16_t)((s - h->slots) | ((unsigned)(h->cid_gen++ & 0x3f) << 10));
	s->dir = dir;
	s->buf = data;
	s->len = len;
	s->cookie = cookie;

	if (dir == KH_H2C && len) {
		if (flags & KH_F_ICD)
			icd = true;
		else if (!(flags & KH_F_NO_ICD))
			icd = len <= h->icd_bytes;
	}
	s->icd = icd;
	s->hold_r2t = flags & KH_F_HOLD_R2T;
	s->bad_ddgst = flags & KH_F_BAD_DDGST;
	if (icd)
		h->stats.icd_cmds++;

	sqe->cid = s->cid;
	if (!(flags & KH_F_RAW_DPTR)) {
		sqe->flags = (uint8_t)((sqe->flags & ~KT_SQE_FLAGS_PSDT_MASK) | KT_SQE_FLAGS_PSDT_SGL);
		memset(&sqe->dptr, 0, sizeof(sqe->dptr));
		sqe->dptr.length = htole32(len);
		sqe->dptr.type = icd ? KT_SGL_INCAPSULE : KT_SGL_TRANSPORT;
		if (!len)
			sqe->dptr.type = KT_SGL_TRANSPORT;
	}

	memset(&pdu, 0, sizeof(pdu));
	pdu.hdr.type = KT_PDU_CMD;
	pdu.hdr.flags = h->hdgst ? KT_PDU_F_HDGST : 0;
	pdu.hdr.hlen = sizeof(pdu);
	plen = sizeof(pdu) + hd;
	if (icd) {
		pdo = align_up(sizeof(pdu) + hd, (h->cpda + 1u) * 4u);
		pdu.hdr.flags |= h->ddgst ? KT_PDU_F_DDGST : 0;
		plen = pdo + len + dd;
	}
	pdu.hdr.pdo = (uint8_t)pdo;
	pdu.hdr.plen = htole32(plen);
	pdu.sqe = *sqe;

	rc = kh_out_append(h, &pdu, sizeof(pdu));
	if (!rc && hd) {
		kh_put_digest(dg, &pdu, sizeof(pdu));
		rc = kh_out_append(h, dg, 4);
	}
	if (!rc && icd) {
		memset(pad, 0, sizeof(pad));
		rc = kh_out_append(h, pad, pdo - sizeof(pdu) - hd);
		if (!rc)
			rc = kh_out_append(h, data, len);
		if (!rc && dd) {
			kh_put_digest(dg, data, len);
			dg[0] ^= (flags & KH_F_BAD_DDGST) ? 0xff : 0;
			rc = kh_out_append(h, dg, 4);
		}
	}
	if (rc)
		return rc;
	s->state = KH_SLOT_BUSY;
	h->inflight++;
	/* Start sending now; the rest goes out while we wait. */
	rc = flush_some(h);
	return rc ? rc : s->cid;
}

static void reap(struct kh_host *h, unsigned qpos, struct kh_done *d)
{
	unsigned idx = h->doneq[(h->dq_head + qpos) % h->nslots];
	struct kh_slot *s = &h->slots[idx];
	unsigned i;

	if (d)
		*d = s->done;
	/* close the gap in the FIFO */
	for (i = qpos; i + 1 < h->dq_n; i++)
		h->doneq[(h->dq_head + i) % h->nslots] = h->doneq[(h->dq_head + i + 1) % h->nslots];
	h->dq_n--;
	s->state = KH_SLOT_FREE;
	h->inflight--;
}

int kh_poll(struct kh_host *h, struct kh_done *d)
{
	uint64_t deadline = kh_now_ms() + (uint64_t)h->timeout_ms;
	int rc;

	for (;;) {
		if (h->dq_n) {
			reap(h, 0, d);
			return 0;
		}
		rc = kh_pump(h, deadline);
		if (rc)
			return rc;
	}
}

int kh_wait(struct kh_host *h, uint16_t cid, struct kh_done *d)
{
	uint64_t deadline = kh_now_ms() + (uint64_t)h->timeout_ms;
	int rc;

	for (;;) {
		for (unsigned i = 0; i < h->dq_n; i++) {
			unsigned idx = h->doneq[(h->dq_head + i) % h->nslots];

			if (h->slots[idx].cid == cid) {
				reap(h, i, d);
				return 0;
			}
		}
		rc = kh_pump(h, deadline);
		if (rc)
			return rc;
	}
}

int kh_cmd(struct kh_host *h, struct kt_sqe *sqe, void *data, uint32_t len,
	   enum kh_dir dir, unsigned flags, struct kt_cqe *cqe)
{
	struct kh_done d;
	int rc = kh_submit(h, sqe, data, len, dir, flags, NULL);

	if (rc < 0)
		return rc;
	rc = kh_wait(h, (uint16_t)rc, &d);
	if (rc)
		return rc;
	if (cqe)
		*cqe = d.cqe;
	return d.status;
}

int kh_admin(struct kh_host *h, struct kt_sqe *sqe, void *data, uint32_t len,
	     enum kh_dir dir, struct kt_cqe *cqe)
{
	return kh_cmd(h, sqe, data, len, dir, 0, cqe);
}

int kh_io(struct kh_host *h, struct kt_sqe *sqe, void *data, uint32_t len,
	  enum kh_dir dir, struct kt_cqe *cqe)
{
	return kh_cmd(h, sqe, data, len, dir, 0, cqe);
}

/* ---- Hostile tests ----------------------------------------------------- */

int kh_send_raw(struct kh_host *h, const void *buf, size_t len)
{
	int rc = kh_out_append(h, buf, len);

	return rc ? rc : kh_flush_all(h);
}

/* Moves data until *flag (NULL: never) or the connection ends (EOF or a
 * reset): 0, or the first other failure (-ETIMEDOUT at the deadline). */
static int pump_until(struct kh_host *h, uint64_t deadline, const bool *flag)
{
	while (!(flag && *flag) && !h->eof) {
		int rc = kh_pump(h, deadline);

		if (rc == -ECONNRESET)
			break;
		if (rc)
			return rc;
	}
	return 0;
}

int kh_recv_term(struct kh_host *h, uint16_t *fes, uint32_t *fei)
{
	uint64_t deadline = kh_now_ms() + (uint64_t)h->timeout_ms;
	int rc = pump_until(h, deadline, &h->got_term);

	if (rc)
		return rc;
	if (!h->got_term)
		return -ENOTCONN;
	if (fes)
		*fes = h->term_fes;
	if (fei)
		*fei = h->term_fei;
	/* After a TermReq the controller closes the connection. */
	return pump_until(h, deadline, NULL);
}

int kh_r2t_wait(struct kh_host *h, uint16_t cid, uint16_t *ttag, uint32_t *off, uint32_t *len)
{
	uint64_t deadline = kh_now_ms() + (uint64_t)h->timeout_ms;
	struct kh_slot *s;
	int rc;

	for (;;) {
		s = kh_slot_by_cid(h, cid);
		if (!s)
			return -ENOENT; /* completed (or unknown) before any R2T */
		if (s->r2t_held) {
			s->r2t_held = false;
			*ttag = s->r2t_ttag;
			*off = s->r2t_off;
			*len = s->r2t_len;
			return 0;
		}
		rc = kh_pump(h, deadline);
		if (rc)
			return rc;
	}
}

int kh_send_h2c(struct kh_host *h, uint16_t cid, uint16_t ttag, uint32_t off, const void *data,
		uint32_t len, bool last)
{
	int rc = kh_send_data_pdu(h, KT_PDU_H2C_DATA, cid, ttag, off, data, len, last, false);

	return rc ? rc : kh_flush_all(h);
}

const struct kh_stats *kh_stats(const struct kh_host *h)
{
	return &h->stats;
}

const uint8_t *kh_term_hdr(const struct kh_host *h, size_t *len)
{
	if (!h->got_term)
		return NULL;
	if (len)
		*len = h->term_len;
	return h->term_hdr;
}

int kh_wait_closed(struct kh_host *h, int timeout_ms, uint64_t *closed_at)
{
	int rc = pump_until(h, kh_now_ms() + (uint64_t)timeout_ms, NULL);

	if (rc)
		return rc;
	if (closed_at)
		*closed_at = h->closed_at;
	return 0;
}

/*
 * fuzz_pdu.c - libFuzzer harness for the NVMe/TCP receive parser
 * (proto/pdu.c). It exists to show that no byte stream makes kt_rx_feed
 * read or write out of bounds, hand out a data length beyond what was
 * negotiated, or behave differently depending on how the stream is split.
 *
 * Input layout (seeds in tests/fuzz/corpus/fuzz_pdu/):
 *   byte 0  bit 0: allow digests when the ICReq asks for them
 *           bit 1: start as if the ICReq was already taken, with
 *           bit 2: header digests on, bit 3: data digests on
 *           bit 4: drop (NULL buffer) the data of every other PDU
 *   byte 1  our CPDA (low 5 bits)
 *   byte 2  max in-capsule data: (low 4 bits) KiB
 *   byte 3  MAXH2CDATA: 4096 << (low 2 bits)
 *   bytes 4..7  seed of the chunk sizes the stream is fed in
 *   the rest: the byte stream from the host.
 *
 * The stream is parsed twice, once in seeded chunks and once in a single
 * call; both runs must produce the same callbacks and the same result.
 * Every data buffer is malloc'd at exactly the announced length, so
 * AddressSanitizer catches any write past it.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_pdu.c \
 *        proto/pdu.c proto/crc32c.c -lisal
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pdu.h"

#define HDR_OFF 8

struct run {
	struct kt_tcp_params p;
	bool allow_digests;
	bool drop_odd;
	uint32_t limit;       /* the largest data length the parser may announce */
	uint8_t *buf;         /* data buffer of the PDU in progress */
	uint32_t buf_len;
	uint32_t npdu;
	uint32_t hash;        /* running CRC of every callback and its data */
};

static void mix(struct run *r, const void *p, size_t n)
{
	r->hash = kt_crc32c_update(r->hash, p, n);
}

static int on_header(void *ctx, const void *hdr, uint32_t data_len, uint8_t **dst,
		     struct kt_pdu_err *err)
{
	struct run *r = ctx;
	const uint8_t *h = hdr;
	uint32_t v;

	(void)err;
	/* The parser's promises: only H2C types, and bounded data. */
	if (h[0] != KT_PDU_ICREQ && h[0] != KT_PDU_CMD && h[0] != KT_PDU_H2C_DATA &&
	    h[0] != KT_PDU_H2C_TERM)
		__builtin_trap();
	if (data_len > r->limit)
		__builtin_trap();
	if (h[0] == KT_PDU_H2C_DATA) {
		memcpy(&v, h + 16, sizeof(v));
		if (le32toh(v) != data_len || data_len == 0)
			__builtin_trap();
	}
	if (h[0] == KT_PDU_ICREQ && data_len != 0)
		__builtin_trap();

	mix(r, h, 1);
	mix(r, &data_len, sizeof(data_len));
	free(r->buf);
	r->buf = NULL;
	r->buf_len = 0;
	if (data_len && !(r->drop_odd && (r->npdu & 1))) {
		r->buf = malloc(data_len);
		if (!r->buf)
			return -ENOMEM;
		r->buf_len = data_len;
		*dst = r->buf;
	}
	return 0;
}

static int on_pdu(void *ctx, const void *hdr, bool ddgst_ok, struct kt_pdu_err *err)
{
	struct run *r = ctx;
	const uint8_t *h = hdr;
	uint8_t out[KT_PDU_TX_HDR_MAX];
	int rc = 0;

	r->npdu++;
	mix(r, &ddgst_ok, sizeof(ddgst_ok));
	if (r->buf)
		mix(r, r->buf, r->buf_len);

	switch (h[0]) {
	case KT_PDU_ICREQ: {
		struct kt_icreq_pdu req;

		memcpy(&req, h, sizeof(req));
		rc = kt_icreq_accept(&req, &r->p, r->allow_digests, err);
		if (rc == 0) {
			struct kt_icresp_pdu rsp;

			kt_icresp_build(&rsp, &r->p);
			mix(r, &rsp, sizeof(rsp));
		}
		break;
	}
	case KT_PDU_CMD: {
		/* answer the way a controller would, exercising the builders */
		struct kt_cqe cqe;
		uint16_t cid;
		size_t n;

		memcpy(&cid, h + HDR_OFF + 2, sizeof(cid));
		memset(&cqe, 0, sizeof(cqe));
		cqe.cid = cid;
		cqe.status = htole16(kt_status_wire(ddgst_ok ? 0 : 0x22));
		n = kt_pdu_build_rsp(&r->p, out, &cqe);
		mix(r, out, n);
		n = kt_pdu_build_c2h_data(&r->p, out, cid, r->npdu, h[4] + 1u, h[5] & 1, h[5] & 2);
		if (n > KT_PDU_TX_HDR_MAX)
			__builtin_trap();
		mix(r, out, n);
		n = kt_pdu_build_r2t(&r->p, out, cid, (uint16_t)r->npdu, 0, h[6]);
		mix(r, out, n);
		break;
	}
	default:
		break;
	}
	free(r->buf);
	r->buf = NULL;
	r->buf_len = 0;
	return rc;
}

static const struct kt_rx_ops ops = { .header = on_header, .pdu = on_pdu };

static void setup(struct run *r, struct kt_rx *rx, const uint8_t *cfg)
{
	memset(r, 0, sizeof(*r));
	r->allow_digests = cfg[0] & 1;
	r->drop_odd = cfg[0] & 16;
	r->p.cpda = cfg[1] & 31;
	r->p.max_icd = (cfg[2] & 15u) * 1024;
	r->p.maxh2cdata = 4096u << (cfg[3] & 3);
	r->limit = r->p.max_icd;
	if (r->p.maxh2cdata > r->limit)
		r->limit = r->p.maxh2cdata;
	if (KT_TERM_MAX_DATA > r->limit)
		r->limit = KT_TERM_MAX_DATA;
	r->hash = KT_CRC32C_INIT;
	kt_rx_init(rx, &r->p);
	if (cfg[0] & 2) {
		rx->ic_done = true;
		r->p.hdgst = cfg[0] & 4;
		r->p.ddgst = cfg[0] & 8;
	}
}

static ssize_t finish(struct run *r, struct kt_rx *rx, ssize_t rc, const struct kt_pdu_err *err)
{
	uint8_t out[KT_PDU_TX_HDR_MAX];

	if (rc == -EPROTO) {
		if (rx->hdr_got > sizeof(rx->hdr))
			__builtin_trap();
		size_t n = kt_pdu_build_c2h_term(out, err, rx->hdr, rx->hdr_got);
		mix(r, out, n);
	}
	free(r->buf);
	r->buf = NULL;
	return rc;
}

static uint32_t xorshift(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run a, b;
	struct kt_rx rxa, rxb;
	struct kt_pdu_err ea = { 0, 0 }, eb = { 0, 0 };
	const uint8_t *s;
	size_t len, off = 0;
	ssize_t ra = 0, rb;
	uint32_t seed;

	if (size < 8)
		return 0;
	s = data + 8;
	len = size - 8;
	memcpy(&seed, data + 4, sizeof(seed));
	seed |= 1; /* xorshift must not start at 0 */

	/* chunked */
	setup(&a, &rxa, data);
	while (off < len) {
		uint32_t x = xorshift(&seed);
		size_t chunk = 1 + (x & ((1u << ((x >> 27) % 13)) - 1));

		if (chunk > len - off)
			chunk = len - off;
		ra = kt_rx_feed(&rxa, &ops, &a, s + off, chunk, &ea);
		if (ra < 0)
			break;
		if ((size_t)ra != chunk)
			__builtin_trap();
		off += chunk;
	}
	if (len == 0)
		ra = kt_rx_feed(&rxa, &ops, &a, s, 0, &ea);
	ra = finish(&a, &rxa, ra < 0 ? ra : (ssize_t)len, &ea);

	/* whole */
	setup(&b, &rxb, data);
	rb = kt_rx_feed(&rxb, &ops, &b, s, len, &eb);
	rb = finish(&b, &rxb, rb, &eb);

	/* the split must not matter */
	if (ra != rb || a.hash != b.hash || a.npdu != b.npdu)
		__builtin_trap();
	if (ra < 0 && (ea.fes != eb.fes || ea.fei != eb.fei))
		__builtin_trap();
	return 0;
}

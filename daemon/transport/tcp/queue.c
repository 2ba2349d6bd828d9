/*
 * queue.c - the NVMe/TCP session of one connection: the transport's side
 * of a queue. It turns the bytes its connection delivers (conn.c) into
 * PDUs (proto's kt_rx_feed) and PDUs into calls on the controller core
 * (daemon/core/exec.h: kt_req_begin, kt_req_exec), and the core's requests
 * (fetch host data, complete, close) into PDUs queued on the connection.
 * It decides no NVMe semantics.
 *
 * The session, one transition function (session_to) and a name per state:
 *
 *   WAIT_ICREQ --ICReq--> READY --close--> CLOSED
 *        any state --protocol error--> TERMINATING (C2HTermReq) --> CLOSED
 *
 * (Connect and everything after it are the core's: the session only
 * carries capsules once READY.) In-capsule and H2CData payloads are copied
 * once, from the worker's receive buffer into the command's buffer, except
 * the rest of a large payload that a read left unfinished, which the
 * connection reads straight into place (kt_rx_data_dst).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon/core/exec.h"
#include "daemon/core/keepalive.h"
#include "daemon/core/sq.h"
#include "daemon/core/target.h"
#include "daemon/core/tls_keys.h"
#include "daemon/core/worker.h"
#include "daemon/log.h"
#include "daemon/transport/tcp/conn.h"
#include "daemon/transport/tcp/listener.h"
#include "daemon/transport/tcp/tcp.h"
#include "daemon/transport/tcp/tls.h"
#include "proto/pdu.h"

enum session_state {
	S_WAIT_ICREQ,
	S_READY,                  /* ICResp sent: capsules flow */
	S_TERMINATING,            /* sending a C2HTermReq, then closing */
	S_CLOSED,
};

static const char *session_name(enum session_state s)
{
	switch (s) {
	case S_WAIT_ICREQ: return "wait-icreq";
	case S_READY: return "ready";
	case S_TERMINATING: return "terminating";
	case S_CLOSED: return "closed";
	}
	return "?";
}

/* Where a command is, as this transport sees it. */
enum cmd_phase {
	C_RX,                     /* its capsule (and in-capsule data) arriving */
	C_DATA_IN,                /* its R2T is out: H2CData may arrive */
	C_CORE,                   /* with the core: executing, or held */
	C_TX,                     /* its reply (or R2T) queued for sending */
};

/* One command: the core's slot, then ours. */
struct tcp_cmd {
	struct kt_req req;
	enum cmd_phase phase;
	bool r2t;                 /* host data comes by R2T + H2CData */
	bool tx_r2t;              /* what is queued is an R2T, not the completion */
	uint32_t h2c_next;        /* next expected H2CData offset */
	struct kt_conn_tx tx;     /* its bytes on the connection */
	uint8_t hdr[KT_PDU_TX_HDR_MAX]; /* C2HData or R2T header */
	uint8_t rsp[32];          /* CapsuleResp (+ header digest) */
	uint8_t ddgst[KT_DIGEST_LEN];
};

struct kt_queue {
	struct kt_sq sq;          /* the core's side */
	struct kt_conn conn;      /* the socket's side */
	enum session_state state;
	struct kt_tcp_params params;
	struct kt_rx rx;
	uint16_t rx_ttag;         /* command of the PDU being received */
	struct kt_tls_peer tls;   /* TLS ports: what the handshake learnt */
	uint8_t term_sink[KT_TERM_MAX_DATA]; /* an H2CTermReq's data: logged only */
};

static inline struct kt_queue *queue_of(struct kt_sq *sq)
{
	return (struct kt_queue *)((char *)sq - offsetof(struct kt_queue, sq));
}

static inline struct tcp_cmd *cmd_of(struct kt_req *r)
{
	return (struct tcp_cmd *)r;
}

static inline struct kt_queue *conn_queue(struct kt_conn *c)
{
	return (struct kt_queue *)((char *)c - offsetof(struct kt_queue, conn));
}

/* ---- the session --------------------------------------------------------- */

/* The one place the session changes state. */
static void session_to(struct kt_queue *q, enum session_state to)
{
	kt_dbg("%s: queue %u: %s -> %s", q->sq.peer, q->sq.qid, session_name(q->state), session_name(to));
	q->state = to;
	if (to == S_CLOSED)
		kt_conn_close(&q->conn);
}

static void queue_close(struct kt_queue *q, const char *why)
{
	if (q->state == S_CLOSED)
		return;
	session_to(q, S_CLOSED);
	kt_sq_closed(&q->sq, why);
}

/* Sends a C2HTermReq for a fatal transport error, then closes. */
static void queue_terminate(struct kt_queue *q, const struct kt_pdu_err *err)
{
	uint8_t pdu[KT_PDU_TX_HDR_MAX];
	kt_warn("%s: queue %u: fatal transport error FES 0x%x FEI %u, terminating", q->sq.peer, q->sq.qid,
		err->fes, err->fei);
	size_t bad = q->rx.hdr_got < KT_TERM_MAX_DATA ? q->rx.hdr_got : KT_TERM_MAX_DATA;
	size_t n = kt_pdu_build_c2h_term(pdu, err, q->rx.hdr, bad);
	session_to(q, S_TERMINATING);
	kt_conn_ctl(&q->conn, pdu, n, true);
}

/* Queues a command's PDUs (filled in c->tx.iov). */
static void tx_push(struct kt_queue *q, struct tcp_cmd *c)
{
	c->phase = C_TX;
	kt_conn_push(&q->conn, &c->tx);
}

/* ---- the core's requests (struct kt_transport_ops) ----------------------- */

/* Host data for a command: an R2T for all of it (MAXR2T is 1: one at a
 * time per command; the data may come in several H2CData PDUs). */
static void tcp_fetch(struct kt_req *r)
{
	struct kt_queue *q = queue_of(r->sq);
	struct tcp_cmd *c = cmd_of(r);
	size_t n = kt_pdu_build_r2t(&q->params, c->hdr, r->cmd.sqe.cid, r->idx, 0, r->cmd.data_len);
	c->tx.iov[0] = (struct iovec){ c->hdr, n };
	c->tx.iovcnt = 1;
	c->tx_r2t = true;
	c->r2t = true;
	c->h2c_next = 0;
	tx_push(q, c);
}

/* The data (C2HData, with the SUCCESS flag instead of a CapsuleResp when
 * the host disabled SQ flow control) and the completion. */
static void tcp_complete(struct kt_req *r)
{
	struct kt_queue *q = queue_of(r->sq);
	struct tcp_cmd *c = cmd_of(r);
	struct kt_cmd *cmd = &r->cmd;
	if (q->state == S_CLOSED || q->state == S_TERMINATING) {
		kt_req_put(r);
		return;
	}
	c->tx.iovcnt = 0;
	bool with_data = cmd->xfer_len > 0;
	bool success_flag = with_data && r->sq->sqhd_disabled;
	if (with_data) {
		size_t n = kt_pdu_build_c2h_data(&q->params, c->hdr, cmd->sqe.cid, 0, cmd->xfer_len, true,
						 success_flag);
		c->tx.iov[c->tx.iovcnt++] = (struct iovec){ c->hdr, n };
		c->tx.iov[c->tx.iovcnt++] = (struct iovec){ cmd->data, cmd->xfer_len };
		if (q->params.ddgst) {
			uint32_t crc = htole32(kt_crc32c(cmd->data, cmd->xfer_len));
			if (r->sq->fault_ddgst) { /* a fault rule (daemon/core/fault_apply.c) */
				r->sq->fault_ddgst = false;
				crc = ~crc;
			}
			memcpy(c->ddgst, &crc, sizeof(crc));
			c->tx.iov[c->tx.iovcnt++] = (struct iovec){ c->ddgst, KT_DIGEST_LEN };
		}
	}
	if (!success_flag) {
		size_t n = kt_pdu_build_rsp(&q->params, c->rsp, &cmd->cqe);
		c->tx.iov[c->tx.iovcnt++] = (struct iovec){ c->rsp, n };
	}
	tx_push(q, c);
}

static void tcp_close(struct kt_sq *sq, const char *why)
{
	queue_close(queue_of(sq), why);
}

static void tcp_stall_reads(struct kt_sq *sq, uint32_t ms)
{
	kt_conn_stall_reads(&queue_of(sq)->conn, ms);
}

static void tcp_close_after_reply(struct kt_sq *sq)
{
	kt_conn_finish(&queue_of(sq)->conn);
}

/* A keep-alive expiry: FIN now; the close follows on this worker. */
static void tcp_shut(struct kt_sq *sq)
{
	kt_conn_shut(&queue_of(sq)->conn);
}

/* In-capsule data the queue accepts from now on: the binding's fixed size
 * on the admin queue, the port's on I/O queues (IOCCSZ - 64). */
static void tcp_connected(struct kt_sq *sq)
{
	struct kt_queue *q = queue_of(sq);
	q->params.max_icd = sq->qid == 0 ? KT_ADMIN_ICD_BYTES : sq->port->inline_data_size;
	/* a RAM read is sent from namespace memory unless a digest must match it */
	sq->zero_copy_ok = !q->params.ddgst;
}

static void tcp_free(struct kt_sq *sq)
{
	struct kt_queue *q = queue_of(sq);
	kt_conn_fini(&q->conn);
	free(q);
}

/* ---- receive -------------------------------------------------------- */

/* A capsule's header is in: a slot, the core's parse, and where the
 * in-capsule data (if any) goes. A refused command (not a transport error)
 * is answered once its data has been consumed. */
static int on_capsule(struct kt_queue *q, const struct kt_cmd_pdu *pdu, uint32_t icd_len, uint8_t **dst,
		      struct kt_pdu_err *err)
{
	struct kt_req *r = kt_sq_req_get(&q->sq);
	if (!r) {
		kt_warn("%s: queue %u: host exceeded the queue depth (%u entries)", q->sq.peer, q->sq.qid,
			q->sq.sqsize + 1u);
		*err = (struct kt_pdu_err){ KT_FES_PDU_SEQUENCE, 0 };
		return -EPROTO;
	}
	struct tcp_cmd *c = cmd_of(r);
	c->phase = C_RX;
	c->r2t = false;
	c->tx_r2t = false;
	if (kt_req_begin(r, &pdu->sqe, icd_len, dst) < 0) {
		kt_req_put(r);
		*err = (struct kt_pdu_err){ KT_FES_R2T_LIMIT, 0 };
		return -EPROTO;
	}
	q->rx_ttag = r->idx; /* found again in rx_pdu */
	return 0;
}

static int on_h2c_data(struct kt_queue *q, const struct kt_data_pdu *pdu, uint32_t dlen, uint8_t **dst,
		       struct kt_pdu_err *err)
{
	uint16_t ttag = pdu->ttag;
	struct kt_req *r = kt_sq_req_at(&q->sq, le16toh(ttag));
	struct tcp_cmd *c = r ? cmd_of(r) : NULL;
	uint32_t off = le32toh(pdu->offset), len = le32toh(pdu->length);
	/* data only after our R2T is on the wire (conn_sent makes it C_DATA_IN) */
	if (!c || !r->busy || !c->r2t || c->tx_r2t || c->phase != C_DATA_IN) {
		*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, offsetof(struct kt_data_pdu, ttag) };
		return -EPROTO;
	}
	if (pdu->cccid != r->cmd.sqe.cid) {
		*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, offsetof(struct kt_data_pdu, cccid) };
		return -EPROTO;
	}
	if (len != dlen) {
		*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, offsetof(struct kt_data_pdu, length) };
		return -EPROTO;
	}
	if (off != c->h2c_next || len > r->cmd.data_len - off) {
		*err = (struct kt_pdu_err){ KT_FES_DATA_OUT_OF_RANGE, 0 };
		return -EPROTO;
	}
	bool last = (pdu->hdr.flags & KT_PDU_F_DATA_LAST) != 0;
	if (last != (off + len == r->cmd.data_len)) {
		*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, offsetof(struct kt_pdu_hdr, flags) };
		return -EPROTO;
	}
	*dst = r->buf + off;
	q->rx_ttag = r->idx;
	return 0;
}

static int rx_header(void *ctx, const void *hdr, uint32_t data_len, uint8_t **dst, struct kt_pdu_err *err)
{
	struct kt_queue *q = ctx;
	const struct kt_pdu_hdr *h = hdr;
	switch (h->type) {
	case KT_PDU_ICREQ:
		return 0;
	case KT_PDU_CMD:
		return on_capsule(q, hdr, data_len, dst, err);
	case KT_PDU_H2C_DATA:
		return on_h2c_data(q, hdr, data_len, dst, err);
	case KT_PDU_H2C_TERM:
		if (data_len > sizeof(q->term_sink)) {
			*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, offsetof(struct kt_pdu_hdr, plen) };
			return -EPROTO;
		}
		*dst = q->term_sink;
		return 0;
	default:
		*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, 0 };
		return -EPROTO;
	}
}

/* Hands a command whose host data is in to the core. */
static void to_core(struct kt_req *r, bool ddgst_ok)
{
	cmd_of(r)->phase = C_CORE;
	if (!ddgst_ok)
		kt_req_fail(r, KT_STATUS(NVME_SCT_GENERIC, NVME_SC_TRAN_TPORT_ERROR, false));
	kt_req_exec(r);
}

static int rx_pdu(void *ctx, const void *hdr, bool ddgst_ok, struct kt_pdu_err *err)
{
	struct kt_queue *q = ctx;
	const struct kt_pdu_hdr *h = hdr;
	switch (h->type) {
	case KT_PDU_ICREQ: {
		if (kt_icreq_accept(hdr, &q->params, kt_target_settings()->digests, err) < 0)
			return -EPROTO;
		struct kt_icresp_pdu rsp;
		kt_icresp_build(&rsp, &q->params);
		session_to(q, S_READY);
		kt_conn_ctl(&q->conn, &rsp, sizeof(rsp), false);
		return 0;
	}
	case KT_PDU_CMD:
		to_core(kt_sq_req_at(&q->sq, q->rx_ttag), ddgst_ok);
		return 0;
	case KT_PDU_H2C_DATA: {
		struct kt_req *r = kt_sq_req_at(&q->sq, q->rx_ttag);
		const struct kt_data_pdu *d = hdr;
		struct tcp_cmd *c = cmd_of(r);
		c->h2c_next += le32toh(d->length);
		if (!ddgst_ok)
			kt_req_fail(r, KT_STATUS(NVME_SCT_GENERIC, NVME_SC_TRAN_TPORT_ERROR, false));
		if (c->h2c_next == r->cmd.data_len)
			to_core(r, true);
		return 0;
	}
	case KT_PDU_H2C_TERM: {
		const struct kt_term_pdu *t = hdr;
		kt_warn("%s: queue %u: host terminated the connection (H2CTermReq FES 0x%x)", q->sq.peer,
			q->sq.qid, le16toh(t->fes));
		queue_close(q, "H2CTermReq");
		return -ECONNRESET; /* stop parsing: the queue is gone */
	}
	}
	*err = (struct kt_pdu_err){ KT_FES_INVALID_HEADER, 0 };
	return -EPROTO;
}

static const struct kt_rx_ops rx_ops = { .header = rx_header, .pdu = rx_pdu };

/* ---- the connection's events (struct kt_conn_ops) ------------------------ */

static void conn_hold(struct kt_conn *c, bool take)
{
	struct kt_queue *q = conn_queue(c);
	if (take)
		kt_sq_get(&q->sq);
	else
		kt_sq_put(&q->sq);
}

static int conn_data(struct kt_conn *c, const uint8_t *buf, size_t n)
{
	struct kt_queue *q = conn_queue(c);
	struct kt_pdu_err err = { 0, 0 };
	q->sq.now_ms = kt_now_ms();
	if (kt_rx_feed(&q->rx, &rx_ops, q, buf, n, &err) >= 0)
		return 0;
	/* FES 0: nothing to answer (a malformed H2CTermReq, or the queue
	 * already closed in a callback): just close */
	if (err.fes)
		queue_terminate(q, &err);
	else
		queue_close(q, "transport closed by host");
	return -1;
}

static uint8_t *conn_direct(struct kt_conn *c, size_t *remaining)
{
	return kt_rx_data_dst(&conn_queue(c)->rx, remaining);
}

static void conn_placed(struct kt_conn *c, size_t n)
{
	kt_rx_data_placed(&conn_queue(c)->rx, n);
}

/* A command's bytes are all on the wire: an R2T now lets its H2CData in;
 * a reply frees its slot. */
static void conn_sent(struct kt_conn *c, struct kt_conn_tx *tx)
{
	struct tcp_cmd *cmd = (struct tcp_cmd *)((char *)tx - offsetof(struct tcp_cmd, tx));
	if (cmd->tx_r2t) {
		cmd->tx_r2t = false;
		cmd->phase = C_DATA_IN; /* H2CData PDUs may already have arrived */
		return;
	}
	kt_req_put(&cmd->req);
}

/* TLS: the handshake failed or stalled. One line: the peer, the
 * identity's host and subsystem if one came, why (never a key). */
static void tls_failed(struct kt_queue *q, const char *why)
{
	const struct kt_tls_peer *t = &q->tls;
	const char *ring = !t->keyring ? "" : t->from_keyring ? ", PSK from the kernel keyring " : ", kernel keyring ";
	if (t->have_id)
		kt_warn("%s: %s%s%s (PSK identity host %s, subsystem %s%s%s)", q->sq.peer, why,
			!t->have_key && t->why ? ": " : "", !t->have_key && t->why ? t->why : "",
			t->id.hostnqn, t->id.subnqn, ring, t->keyring ? t->keyring : "");
	else
		kt_warn("%s: %s%s%s", q->sq.peer, why, t->why ? ": " : "", t->why ? t->why : "");
	if (t->have_key && t->ambiguous)
		kt_tls_keys_note(t->id.hostnqn, (enum kt_tls_derive)t->form, false);
}

static void conn_ended(struct kt_conn *c, const char *why)
{
	struct kt_queue *q = conn_queue(c);
	if (q->state != S_CLOSED && (c->mode == KT_CONN_SNIFF || c->mode == KT_CONN_HANDSHAKE))
		tls_failed(q, why);
	queue_close(q, why);
}

/* TLS ports: the handshake is done (the queue now belongs to the
 * identity's host and subsystem), or a plain ICReq came on a port that
 * allows it. */
static void conn_secured(struct kt_conn *c)
{
	struct kt_queue *q = conn_queue(c);
	if (c->mode != KT_CONN_TLS) {
		kt_dbg("%s: plain NVMe/TCP on TLS port %u (treq not required)", q->sq.peer, q->sq.port->portid);
		return;
	}
	const struct kt_tls_peer *t = &q->tls;
	q->sq.tls = &t->id;
	if (t->ambiguous)
		kt_tls_keys_note(t->id.hostnqn, (enum kt_tls_derive)t->form, true);
	if (t->id.type == 'G')
		kt_info("%s: TLS 1.3 %s, PSK identity NVMe1G%02u host %s subsystem %s, generated by secure concatenation",
			q->sq.peer, kt_tls_cipher_name(c->ssl), t->id.hash, t->id.hostnqn, t->id.subnqn);
	else if (t->from_keyring)
		kt_info("%s: TLS 1.3 %s, PSK identity NVMe%uR%02u host %s subsystem %s, from the kernel keyring %s",
			q->sq.peer, kt_tls_cipher_name(c->ssl), t->id.version, t->id.hash, t->id.hostnqn, t->id.subnqn,
			t->keyring);
	else
		kt_info("%s: TLS 1.3 %s, PSK identity NVMe%uR%02u host %s subsystem %s, %s derivation%s", q->sq.peer,
			kt_tls_cipher_name(c->ssl), t->id.version, t->id.hash, t->id.hostnqn, t->id.subnqn,
			t->form == KT_TLS_DERIVE_RFC ? "RFC 8446" : "libnvme compat",
			t->ambiguous ? " (assumed: the identity cannot tell)" : " (the digest matched)");
	kt_dbg("%s: TLS records: %s", q->sq.peer, kt_conn_tls_path(c));
}

static const struct kt_conn_ops conn_ops = {
	.hold = conn_hold,
	.data = conn_data,
	.direct = conn_direct,
	.placed = conn_placed,
	.sent = conn_sent,
	.ended = conn_ended,
	.secured = conn_secured,
};

/* ---- accept ------------------------------------------------------------- */

void kt_tcp_accept(struct kt_worker *w, int fd, const struct kt_port *port)
{
	struct kt_queue *q = calloc(1, sizeof(*q));
	if (!q) {
		close(fd);
		return;
	}
	int idle, intvl, cnt;
	char peer[64], local[NVMF_TRADDR_SIZE + 1];
	uint8_t fam;
	kt_ka_tcp_settings(&idle, &intvl, &cnt); /* reaps vanished hosts where no KATO timer runs */
	kt_conn_sockopts(fd, idle, intvl, cnt);
	kt_conn_addrs(fd, peer, sizeof(peer), &fam, local, sizeof(local));
	q->conn.fd = fd;
	q->state = S_WAIT_ICREQ;
	if (kt_sq_init(&q->sq, &kt_tcp_ops, w, port, peer) < 0) {
		kt_err("%s: out of memory accepting a connection", peer);
		close(fd);
		free(q);
		return;
	}
	q->sq.local_adrfam = fam;
	snprintf(q->sq.local_traddr, sizeof(q->sq.local_traddr), "%s", local);
	const struct kt_target *t = kt_target_get();
	q->params.maxh2cdata = t->maxh2cdata;
	q->params.cpda = 0;
	/* until Connect says which queue this is: the larger in-capsule size */
	q->params.max_icd = port->inline_data_size > KT_ADMIN_ICD_BYTES ? port->inline_data_size
									 : KT_ADMIN_ICD_BYTES;
	q->sq.zero_copy_ok = false;
	kt_rx_init(&q->rx, &q->params);
	if (kt_conn_init(&q->conn, fd, w->base, w->rxbuf, w->rxbuf_len, &conn_ops) < 0) {
		kt_err("%s: out of memory accepting a connection", peer);
		session_to(q, S_CLOSED);
		kt_sq_closed(&q->sq, "out of memory");
		return;
	}
	if (port->sectype == NVMF_TCP_SECTYPE_TLS13) {
		/* TLS from the first byte; on a "not required" port a plain
		 * ICReq too */
		q->tls.peer = q->sq.peer;
		struct ssl_st *ssl = kt_tls_server_new(fd, &q->tls);
		if (!ssl || kt_conn_tls_start(&q->conn, ssl, port->treq == NVMF_TREQ_NOT_REQUIRED,
					      KT_TLS_HANDSHAKE_MS) < 0) {
			if (!ssl)
				kt_err("%s: out of memory starting TLS", peer);
			session_to(q, S_CLOSED);
			kt_sq_closed(&q->sq, "out of memory");
			return;
		}
	}
	kt_dbg("%s: connection accepted on port %u (worker %u)", peer, port->portid, w->id);
}

const struct kt_transport_ops kt_tcp_ops = {
	.name = "tcp",
	.req_size = sizeof(struct tcp_cmd),
	.caps = { .sgl_incapsule = true, .sgl_transport = true },
	.xport = &kt_xport_tcp,
	.fetch = tcp_fetch,
	.complete = tcp_complete,
	.close = tcp_close,
	.close_after_reply = tcp_close_after_reply,
	.stall_reads = tcp_stall_reads,
	.connected = tcp_connected,
	.shut = tcp_shut,
	.free = tcp_free,
	.start = kt_listeners_start,
	.started = kt_listeners_started,
	.stop = kt_listeners_stop,
	.listen = kt_listener_add,
	.unlisten = kt_listener_remove,
};

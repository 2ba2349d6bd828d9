/*
 * conn.h - one TCP connection as an I/O object: it turns the socket into a
 * few events for its owner (bytes in, a queued reply all sent, closed) and
 * gathers every reply a loop turn produced into one writev. It knows
 * nothing of NVMe: the NVMe/TCP session (queue.c) sits on top.
 *
 * Receive: one read per wake-up (up to four while the buffer fills) into
 * the worker's receive buffer, handed to ops->data; when the owner knows
 * where the rest of a large payload goes (ops->direct), that part is read
 * straight into place with one readv and reported with ops->placed.
 * Transmit: replies (struct kt_conn_tx, a few iovecs each) are chained and
 * written by a deferred event once per loop turn, up to 1024 iovecs per
 * writev; a control PDU (ops' ICResp, a C2HTermReq) goes first, and an
 * exclusive one goes alone, the rest dropped.
 *
 * TLS (kt_conn_tls_start, on a port with tsas tls1.3): an OpenSSL session
 * on the socket (the server side is daemon/transport/tcp/tls.c). Before
 * anything reaches the owner the handshake runs, driven by the same read
 * and write events, within a deadline; on a port that also takes plain
 * connections the first 8 bytes are peeked first, and a plain ICReq's
 * header skips TLS (as nvmet's nvmet_tcp_try_peek_pdu). Then reads are
 * SSL_read_ex into the same buffers (a record at a time, OpenSSL reading
 * ahead up to 64 KiB), and the queued replies are gathered into one TLS
 * record's worth (16 KiB) per SSL_write_ex: one copy of every byte sent, on
 * TLS connections only. Where the kernel has the tls ULP, OpenSSL hands the
 * records to it after the handshake (kTLS, SSL_OP_ENABLE_KTLS): a
 * direction the kernel took goes the plain way, writev of the replies in
 * place and readv straight into a payload's place, the kernel encrypting
 * and decrypting (OpenSSL 3.0 offloads TLS 1.3's sending only; later ones
 * receiving too); kt_conn_tls_path says which.
 * Plain connections take none of these paths beyond one test of mode.
 */
#ifndef KATO_DAEMON_TRANSPORT_TCP_CONN_H
#define KATO_DAEMON_TRANSPORT_TCP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "proto/pdu.h"

struct event;
struct event_base;
struct kt_conn;
struct ssl_st;

/* How the connection carries bytes. */
enum kt_conn_mode {
	KT_CONN_PLAIN,                /* plain TCP (the default) */
	KT_CONN_SNIFF,                /* TLS port taking plain too: ICReq or ClientHello? */
	KT_CONN_HANDSHAKE,            /* the TLS handshake is running */
	KT_CONN_TLS,                  /* TLS records */
};

#define KT_CONN_TX_IOV 4

/* One reply's bytes, queued. The owner fills iov/iovcnt before
 * kt_conn_push; the connection keeps the rest. */
struct kt_conn_tx {
	struct kt_conn_tx *next;
	struct iovec iov[KT_CONN_TX_IOV];
	unsigned iovcnt, pos;
	size_t off;
};

struct kt_conn_ops {
	/* Optional: take (true) or drop (false) a reference on the owner
	 * around a wake-up, since a callback may end it. */
	void (*hold)(struct kt_conn *c, bool take);
	/* n bytes arrived in buf (valid during the call). Return 0 to go on,
	 * negative to stop reading this wake-up (the owner closed or is
	 * terminating the connection). */
	int (*data)(struct kt_conn *c, const uint8_t *buf, size_t n);
	/* Optional: where the rest of a payload in progress goes, and how many
	 * bytes remain (NULL: none); ops->placed then accounts for the bytes
	 * read there. */
	uint8_t *(*direct)(struct kt_conn *c, size_t *remaining);
	void (*placed)(struct kt_conn *c, size_t n);
	/* tx's bytes are all on the wire. */
	void (*sent)(struct kt_conn *c, struct kt_conn_tx *tx);
	/* The connection ended: peer closed, a socket error, or everything
	 * queued went out after kt_conn_finish. The owner closes (kt_conn_close). */
	void (*ended)(struct kt_conn *c, const char *why);
	/* Optional, TLS: the handshake succeeded (mode is KT_CONN_TLS), or the
	 * peek found a plain ICReq on a port that allows it (KT_CONN_PLAIN);
	 * bytes are handed to data from now on. A failure is ended() with the
	 * mode still KT_CONN_SNIFF or KT_CONN_HANDSHAKE. */
	void (*secured)(struct kt_conn *c);
};

struct kt_conn {
	int fd;
	const struct kt_conn_ops *ops;
	uint8_t *rxbuf;               /* the worker's, shared by its connections */
	uint32_t rxbuf_len;
	struct event *rd_ev, *wr_ev, *tx_ev;
	struct kt_conn_tx *head, *tail;
	uint8_t ctl[KT_PDU_TX_HDR_MAX]; /* a control PDU, sent before the replies */
	uint32_t ctl_len, ctl_off;
	bool ctl_only;                /* the control PDU goes alone (a C2HTermReq) */
	bool finish;                  /* end once everything queued is out */
	bool tx_scheduled;
	bool closed;
	/* TLS only (kt_conn_tls_start) */
	enum kt_conn_mode mode;
	struct ssl_st *ssl;
	struct event *hs_ev;          /* the handshake's deadline */
	struct event *sniff_ev;       /* edge-triggered read while peeking */
	uint8_t *tls_tx;              /* gathered bytes for one SSL_write_ex */
	uint32_t tls_tx_len;          /* bytes in tls_tx, retried until written */
	bool ktls_tx, ktls_rx;        /* the kernel has that direction's records (kTLS) */
	/* a fault rule's stall (kt_conn_stall_reads): reading resumes when it fires */
	struct event *stall_ev;
	bool stalled;
};

/* An accepted socket's options: TCP_NODELAY, and TCP keepalive (idle
 * seconds, probe interval, probes) so that a host that vanished is reaped. */
void kt_conn_sockopts(int fd, int ka_idle_s, int ka_interval_s, int ka_count);
/* The peer as "addr:port", and the local address the host reached (family
 * enum nvmf_addr_family, 0 and "" when unknown). */
void kt_conn_addrs(int fd, char *peer, size_t peer_len, uint8_t *local_fam, char *local,
		   size_t local_len);

/* Stops reading c for ms milliseconds (a fault rule), then reads again;
 * a later stall while one runs restarts it. Data already read is parsed
 * as usual. */
void kt_conn_stall_reads(struct kt_conn *c, uint32_t ms);

/* Sets c up on an accepted socket in base's loop and starts reading. 0 or
 * -ENOMEM (then the caller closes fd). */
int kt_conn_init(struct kt_conn *c, int fd, struct event_base *base, uint8_t *rxbuf,
		 uint32_t rxbuf_len, const struct kt_conn_ops *ops);
/* Runs TLS on c (just set up by kt_conn_init) with ssl, a server session
 * on its socket, which c then owns. sniff: the port also serves plain
 * TCP. The handshake must end within timeout_ms, else ended("TLS handshake
 * timed out"). 0 or -ENOMEM (the caller closes; kt_conn_fini frees ssl). */
int kt_conn_tls_start(struct kt_conn *c, struct ssl_st *ssl, bool sniff, int timeout_ms);
/* Once secured over TLS: who carries the records, for the log ("kTLS
 * send and receive", "kTLS send, OpenSSL receive", ...). */
const char *kt_conn_tls_path(const struct kt_conn *c);

/* Queues a reply; it goes out this loop turn. */
void kt_conn_push(struct kt_conn *c, struct kt_conn_tx *tx);
/* Queues a control PDU (len <= KT_PDU_TX_HDR_MAX) ahead of the replies;
 * exclusive: stop reading, send it alone, then end ("transport error"). */
void kt_conn_ctl(struct kt_conn *c, const void *pdu, size_t len, bool exclusive);
/* End once every queued byte is out (ops->ended "disconnect"). */
void kt_conn_finish(struct kt_conn *c);
/* The host sees the end now (FIN), reads go on until kt_conn_close. */
void kt_conn_shut(struct kt_conn *c);
/* Stops every event and shuts the socket both ways (idempotent); queued
 * replies are never sent (nor reported). */
void kt_conn_close(struct kt_conn *c);
/* Frees the events and closes the descriptor. */
void kt_conn_fini(struct kt_conn *c);

#endif

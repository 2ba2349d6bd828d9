/*
 * queue.h - one NVMe/TCP connection: an admin or I/O queue, owned by one
 * worker for life. It reads PDUs through proto's parser, runs commands
 * through proto's handlers and the namespace backends, and writes replies
 * gathered into one writev per loop turn.
 */
#ifndef KATO_DAEMON_QUEUE_H
#define KATO_DAEMON_QUEUE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include "daemon/backend/backend.h"
#include "proto/cmd.h"
#include "proto/pdu.h"

struct event;
struct kt_worker;
struct kt_dctrl;
struct kt_port;

enum kt_slot_state {
	KT_SLOT_FREE,
	KT_SLOT_DATA_IN,  /* receiving host data (in-capsule or by R2T) */
	KT_SLOT_EXEC,     /* with a handler or a backend, or a held AER */
	KT_SLOT_TX,       /* reply queued for sending */
};

#define KT_SLOT_IOV_MAX 4

/* One command slot. Allocated once at Connect (SQSIZE + 1 of them). */
struct kt_slot {
	struct kt_cmd cmd;
	struct kt_bio bio;
	struct kt_queue *q;
	enum kt_slot_state state;
	uint16_t ttag;            /* transfer tag: our index */
	uint16_t status;          /* set before execution when the capsule was refused */
	bool r2t;                 /* host data comes by R2T + H2CData */
	bool held;                /* an AER the controller holds */
	uint32_t h2c_next;        /* next expected H2CData offset */
	uint8_t *buf;             /* 4096-aligned, buf_cap bytes, kept across commands */
	uint32_t buf_cap;
	/* transmit */
	struct kt_slot *tx_next;
	bool tx_r2t;              /* what is queued is an R2T, not the completion */
	struct iovec iov[KT_SLOT_IOV_MAX];
	unsigned iovcnt, iov_pos;
	size_t iov_off;
	uint8_t hdr[KT_PDU_TX_HDR_MAX]; /* C2HData or R2T header */
	uint8_t rsp[32];          /* CapsuleResp (+ header digest) */
	uint8_t ddgst[KT_DIGEST_LEN];
	uint16_t next_free;
};

enum kt_queue_state {
	KT_Q_WAIT_ICREQ,
	KT_Q_WAIT_CONNECT,
	KT_Q_LIVE,
	KT_Q_TERMINATING,         /* sending a C2HTermReq, then closing */
	KT_Q_CLOSED,
};

struct kt_queue {
	struct kt_worker *worker;
	int fd;
	char peer[64];            /* "addr:port" for logs */
	const struct kt_port *port;
	enum kt_queue_state state;
	struct event *rd_ev, *wr_ev, *tx_ev;
	uint64_t now_ms;          /* time of the current wake-up */

	struct kt_tcp_params params;
	struct kt_rx rx;

	uint16_t qid;
	uint16_t sqsize;          /* zero-based */
	uint16_t sqhd;
	bool sqhd_disabled;       /* Connect CATTR: SQ flow control off */
	struct kt_dctrl *dc;      /* after Connect */
	struct kt_queue *ctrl_next; /* in the controller's queue list */
	struct kt_queue *w_prev, *w_next; /* in the worker's queue list */

	struct kt_slot boot;      /* carries the Connect before slots exist */
	uint16_t rx_ttag;         /* slot of the PDU being received */
	uint8_t term_sink[KT_TERM_MAX_DATA]; /* an H2CTermReq's data: logged only */
	struct kt_slot *slots;
	uint16_t nslots;
	uint16_t free_head;       /* index, or UINT16_MAX */
	unsigned inflight;        /* bios with a backend */

	struct kt_slot *tx_head, *tx_tail;
	uint8_t ctl[KT_PDU_TX_HDR_MAX]; /* ICResp or C2HTermReq */
	uint32_t ctl_len, ctl_off;
	bool close_after_tx;
	bool tx_scheduled;

	_Atomic int refs;         /* 1 while open + 1 per message in flight */
};

/* Takes over an accepted socket on worker w (call on w's thread). */
void kt_queue_accept(struct kt_worker *w, int fd, const struct kt_port *port);

/* Closes a queue on its own worker (from any thread): takes a reference,
 * posts the close, drops the reference there. */
void kt_queue_close_async(struct kt_queue *q, const char *why);

/* Closes every queue of worker w (shutdown; on w's thread). */
void kt_queue_close_all(struct kt_worker *w);

/* Completes an AER this queue holds (admin worker only). */
void kt_queue_complete_aer(struct kt_queue *q, uint16_t cid, uint32_t dw0);

/* Live changes (daemon/core/live.c), from the main thread while the workers are
 * paused (daemon/core/pause.h): worker w's command slots in use (received,
 * executing or being sent) whose command references namespace ns; its
 * queues accepted through port p (closing them when close is set). */
struct kt_ns;
unsigned kt_queue_ns_refs(struct kt_worker *w, const struct kt_ns *ns);
unsigned kt_queue_port_refs(struct kt_worker *w, const struct kt_port *p, bool close);
/* Completes held AERs with the controller's pending events, on q's worker
 * (any thread; q is kept alive until then). */
void kt_queue_pump_aens_async(struct kt_queue *q);

#endif

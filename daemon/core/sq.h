/*
 * sq.h - submission queues and their command slots, the controller core's
 * side of every queue whatever its transport: lifetime, slots and
 * buffers, closing, and the way out of a command (its CQE, counters, the
 * Error Log hand-over) and of held AERs. How a command runs is
 * daemon/core/exec.h. What a transport must do (fetch host data, send data
 * and a completion, close) goes through its table of operations
 * (daemon/transport/transport.h).
 *
 * Threads: a queue lives on one worker for life; everything here runs on
 * that worker unless it says "any thread".
 */
#ifndef KATO_DAEMON_CORE_SQ_H
#define KATO_DAEMON_CORE_SQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "daemon/backend/backend.h"
#include "proto/dispatch.h"
#include "proto/model.h"
#include "proto/tls_psk.h"

struct event;
struct kt_worker;
struct kt_dctrl;
struct kt_transport_ops;

/* Index of the one slot a queue has before Connect (the transfer tag a
 * transport may use for it). */
#define KT_REQ_BOOT 0xfffeu

/* One command slot. The transport's own per-command state follows it in
 * the same block (ops->req_size bytes). */
struct kt_req {
	struct kt_cmd cmd;
	struct kt_bio bio;
	struct kt_cmd_plan plan;
	struct kt_sq *sq;
	bool busy;                /* from kt_req_begin to kt_req_put */
	bool held;                /* an AER the controller holds */
	bool fetched;             /* its host data has been asked of the transport */
	uint16_t idx;             /* index in the queue, or KT_REQ_BOOT */
	uint16_t status;          /* refused before execution: answered with this */
	uint16_t next_free;
	uint8_t *buf;             /* 4096-aligned, buf_cap bytes, kept across commands */
	uint32_t buf_cap;
	/* fault rules (daemon/core/fault_apply.c): a firing's mark for the
	 * completion (enum kt_fault_kind: delay, close_after; 0 none), a
	 * command held until Abort, a delay's timer (made at first use, kept) */
	uint8_t fault;
	bool fault_held;
	uint16_t fault_status;
	uint32_t fault_ms;
	struct event *fault_ev;
};

enum kt_sq_state {
	KT_SQ_NEW,                /* no Connect yet */
	KT_SQ_LIVE,               /* connected to a controller */
	KT_SQ_CLOSED,
};

struct kt_sq {
	const struct kt_transport_ops *ops;
	struct kt_worker *worker;
	const struct kt_port *port;
	char peer[64];            /* the host's address, for logs ("addr:port") */
	uint8_t local_adrfam;     /* where the host reached us (enum nvmf_addr_family), */
	char local_traddr[NVMF_TRADDR_SIZE + 1]; /* for wildcard ports' discovery entries */
	enum kt_sq_state state;
	uint64_t now_ms;          /* the transport's time of the current wake-up */
	bool zero_copy_ok;        /* reads may be sent from namespace memory (no data digest) */
	bool fault_ddgst;         /* a fault rule: corrupt the next data digest sent */
	/* TLS: the PSK identity of the handshake (the transport's memory), whose
	 * host and subsystem every Connect must name; NULL on plain TCP */
	const struct kt_tls_identity *tls;

	uint16_t qid;
	struct kt_auth_q auth;    /* in-band authentication (daemon/core/auth.c) */
	struct event *auth_ev;    /* its transaction's timer, NULL until needed */
	uint16_t sqsize;          /* zero-based */
	uint16_t sqhd;
	bool sqhd_disabled;       /* Connect CATTR: SQ flow control off */
	struct kt_dctrl *dc;      /* after Connect */
	struct kt_sq *ctrl_next;  /* in the controller's queue list */
	struct kt_sq *w_prev, *w_next; /* in the worker's queue list */

	struct kt_req *boot;      /* carries the Connect */
	uint8_t *reqs;            /* nreqs slots of ops->req_size bytes */
	uint16_t nreqs;
	uint16_t free_head;       /* index, or UINT16_MAX */
	unsigned inflight;        /* bios with a backend */
	bool released;            /* the open reference is dropped (closed, nothing in flight) */

	_Atomic int refs;         /* 1 while open + 1 per message or caller in flight */
};

/* ---- for transports ---------------------------------------------------- */

/* Sets up sq (embedded in the transport's queue object) for a new queue
 * accepted through port on worker w (its thread), and links it to the
 * worker. peer names the host. 0 or -ENOMEM (then nothing is linked and
 * the transport frees its object itself). */
int kt_sq_init(struct kt_sq *sq, const struct kt_transport_ops *ops, struct kt_worker *w,
	       const struct kt_port *port, const char *peer);

/* A free slot for a new command (the boot slot before Connect), or NULL:
 * the host exceeded the queue depth. */
struct kt_req *kt_sq_req_get(struct kt_sq *sq);
/* The slot with index idx (a transfer tag), or NULL. */
struct kt_req *kt_sq_req_at(struct kt_sq *sq, uint16_t idx);

/* The transport is done with r (its reply is out, or the queue closed). */
void kt_req_put(struct kt_req *r);

/* References (for the transport's callbacks that may close the queue). */
void kt_sq_get(struct kt_sq *sq);
void kt_sq_put(struct kt_sq *sq);

/* ---- for the core -------------------------------------------------------- */

/* Closes sq on its own worker (any thread). */
void kt_sq_close_async(struct kt_sq *sq, const char *why);
/* Closes every queue of worker w (shutdown; on w's thread). */
void kt_sq_close_all(struct kt_worker *w);
/* Completes a held AER (admin worker). */
void kt_sq_complete_aer(struct kt_sq *sq, uint16_t cid, uint32_t dw0);
/* Completes held AERs with the controller's pending events, on sq's worker
 * (any thread; sq is kept alive until then). */
void kt_sq_pump_aens_async(struct kt_sq *sq);
/* Completes r with status: fills its CQE, counts it, hands an I/O error to
 * the controller's Error Log, and gives r to the transport to send (or
 * lets it go when the queue is closed). Data goes back only with success on
 * a controller-to-host command. */
void kt_req_complete(struct kt_req *r, uint16_t status);
/* Completes held AERs with the controller's pending events (admin worker). */
void kt_sq_pump_aens(struct kt_sq *sq);
/* Lets go of held AERs the controller no longer holds (after a reset). */
void kt_sq_drop_stale_aers(struct kt_sq *sq);
/* Makes r's buffer hold len bytes (4096-aligned, kept): 0 or -ENOMEM. */
int kt_req_buf(struct kt_req *r, uint32_t len);
/* The queue's SQSIZE + 1 slots, at Connect: 0 or -ENOMEM. */
int kt_sq_alloc_reqs(struct kt_sq *sq, uint16_t n);
/* Drops the reference held while open once sq is closed and nothing is
 * with a backend. */
void kt_sq_release_if_idle(struct kt_sq *sq);
/* Closes a controller's queues on their workers (any thread): the I/O
 * queues (a reset), or all of them (the controller ends); _locked with
 * dc->lock held. */
void kt_dctrl_close_queues(struct kt_dctrl *dc, bool include_admin, const char *why);
void kt_dctrl_close_queues_locked(struct kt_dctrl *dc, bool include_admin, const char *why);

/* Live changes (daemon/core/live.c), from the main thread while the
 * workers are paused (daemon/core/pause.h): worker w's command slots in use
 * whose command references namespace ns; its queues accepted through port
 * p (closing them when close is set). */
unsigned kt_sq_ns_refs(struct kt_worker *w, const struct kt_ns *ns);
unsigned kt_sq_port_refs(struct kt_worker *w, const struct kt_port *p, bool close);

#endif

/*
 * transport.h - the one door between the controller core (daemon/core/)
 * and a transport (daemon/transport/<name>/), as the kernel target's struct
 * nvmet_fabrics_ops: the core calls a transport only through this table; a
 * transport calls the core's command API (daemon/core/exec.h) and queue
 * API (daemon/core/sq.h).
 *
 * A transport moves bytes and never decides NVMe semantics. Its queue
 * object embeds a struct kt_sq (first member is not required: the core
 * hands the struct kt_sq pointer back and the transport finds its own with
 * container_of); its per-command state follows a struct kt_req in one
 * block of req_size bytes, which the core allocates (SQSIZE of them at
 * Connect, one before it) and hands back.
 *
 * The life of a command, seen from a transport:
 *   kt_req_begin(r, sqe, icd_len)  the SQE is in: the core parses it (proto's
 *                                  kt_cmd_parse) and says where in-capsule
 *                                  data goes;
 *   kt_req_exec(r)                 all of its in-capsule data is in;
 *   ops->fetch(r)                  the core wants r->cmd.data_len bytes of host
 *                                  data in r->buf: the transport calls
 *                                  kt_req_exec(r) again once they are there;
 *   ops->complete(r)               send r->cmd.xfer_len bytes of r->cmd.data
 *                                  (controller-to-host commands) and the CQE
 *                                  r->cmd.cqe, filled; then kt_req_put(r) once
 *                                  the transport no longer needs r.
 */
#ifndef KATO_DAEMON_TRANSPORT_TRANSPORT_H
#define KATO_DAEMON_TRANSPORT_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include "proto/xfer.h"

struct kt_sq;
struct kt_req;
struct kt_port;
struct event_base;
struct kt_xport;

struct kt_transport_ops {
	const char *name;              /* "tcp": for logs */
	size_t req_size;               /* bytes per command: a struct kt_req first, then the transport's */
	struct kt_xfer_caps caps;      /* descriptor forms it carries (proto/xfer.h) */
	const struct kt_xport *xport;  /* what hosts are told of it: Identify, logs (proto/model.h) */

	/* Bring host data into r->buf (see above). Worker thread. */
	void (*fetch)(struct kt_req *r);
	/* Send r's data and completion (see above). Worker thread; r->sq may
	 * be closing, then the transport just calls kt_req_put(r). */
	void (*complete)(struct kt_req *r);
	/* Close the queue now (its worker thread; called once): stop reading,
	 * drop what is unsent, tell the host (TCP: shut the socket), then
	 * kt_sq_closed(sq, why). */
	void (*close)(struct kt_sq *sq, const char *why);
	/* Close the queue once every reply queued so far is out (Disconnect). */
	void (*close_after_reply)(struct kt_sq *sq);
	/* Optional: Connect succeeded on sq (sq->qid and the controller are
	 * set): the transport adopts the queue's limits. */
	void (*connected)(struct kt_sq *sq);
	/* A keep-alive expiry, on the queue's worker: let the host see the end
	 * at once (TCP: FIN), before the core closes every queue. */
	void (*shut)(struct kt_sq *sq);
	/* Optional: a fault rule (daemon/core/fault_apply.c): stop reading the
	 * queue's connection for ms milliseconds, then go on (commands already
	 * read go on meanwhile). */
	void (*stall_reads)(struct kt_sq *sq, uint32_t ms);
	/* No reference to sq is left: free the transport's queue object. */
	void (*free)(struct kt_sq *sq);

	/* The transport as a whole, on the main thread: start before its
	 * first port listens (base is the main loop; 0 or a negative errno
	 * with the reason in err), started once every configured port
	 * listens, stop at exit. */
	int (*start)(struct event_base *base, char *err, size_t errlen);
	void (*started)(void);
	void (*stop)(void);
	/* Listening for a port of this transport (main thread): 0, or a
	 * negative errno with the address in err; remove stops every
	 * listener of p (queues already accepted stay). */
	int (*listen)(const struct kt_port *p, char *err, size_t errlen);
	void (*unlisten)(const struct kt_port *p);
};

/* Every operation is required except connected. */

/* The transport serving port p by its TRTYPE (the nvmetcli "trtype"; only
 * "tcp" today), or NULL. main.c hands this to the core
 * (kt_target_set_transports), which never names a transport itself. */
const struct kt_transport_ops *kt_transport_for(const struct kt_port *p);
/* Every transport katod has: start, started, stop (main.c). */
int kt_transports_start(struct event_base *base, char *err, size_t errlen);
void kt_transports_started(void);
void kt_transports_stop(void);

#endif

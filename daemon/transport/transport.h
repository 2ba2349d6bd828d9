/*
 * transport.h - the one door between the controller core (daemon/core/)
 * and a transport (daemon/transport/<name>/), as the kernel target's struct
 * nvmet_fabrics_ops: the core calls a transport only through this table; a
 * transport calls the core's submission-queue API (daemon/core/sq.h).
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
 *                                  data in r->cmd.data: the transport calls
 *                                  kt_req_exec(r) again once they are;
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
struct kt_xport;

struct kt_transport_ops {
	const char *name;              /* "tcp": for logs */
	size_t req_size;               /* bytes per command: a struct kt_req first, then the transport's */
	struct kt_xfer_caps caps;      /* descriptor forms it carries (proto/xfer.h) */
	const struct kt_xport *xport;  /* what hosts are told of it: Identify, logs (proto/model.h) */

	/* Bring host data in for r (see above). Worker thread. */
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
	/* No reference to sq is left: free the transport's queue object. */
	void (*free)(struct kt_sq *sq);

	/* Listening for a port of this transport (main thread): 0, or a
	 * negative errno with the address in err; remove stops every
	 * listener of p (queues already accepted stay). */
	int (*listen)(const struct kt_port *p, char *err, size_t errlen);
	void (*unlisten)(const struct kt_port *p);
};

/* The transport serving port p (the nvmetcli "trtype"; only "tcp" today). */
const struct kt_transport_ops *kt_transport_for(const struct kt_port *p);
/* Starts / stops listening for port p with its transport (main thread). */
int kt_transport_listen(const struct kt_port *p, char *err, size_t errlen);
void kt_transport_unlisten(const struct kt_port *p);

#endif

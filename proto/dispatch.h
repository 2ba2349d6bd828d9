/*
 * dispatch.h - the one entry point for a command of any queue, whatever the
 * transport: parse first, then execute.
 *
 * kt_cmd_parse runs when the command's SQE has arrived, before any of its
 * data moves, in the kernel target's order: it routes the command
 * (fabrics, admin or I/O) and applies the queue-state rules (Connect only
 * on a new queue; Property Get/Set only on a connected admin queue;
 * Disconnect only on a connected I/O queue; other commands only once
 * connected) and the admin gate (controller ready, the discovery
 * controller's narrower set, no fused commands) and the authentication
 * gate (below); then the data-transfer
 * rules of its descriptor (proto/xfer.h); then, for I/O, the command itself
 * against its namespace. It notes the command's arrival for traffic-based
 * keep-alive. kt_cmd_exec runs once the command's host data is in, and
 * says what the caller must do next and what changed for the keep-alive
 * timer, so nothing downstream decodes the command again.
 *
 * Authentication (proto/auth.h): on a queue whose Connect answered ATR,
 * every admin and I/O command is refused with Authentication Required
 * (SCT 1h, SC 91h, DNR) until the queue has authenticated; fabrics commands
 * (Authentication Send/Receive, Property Get/Set, Disconnect) pass, as in
 * the kernel target, whose gate (nvmet_check_auth_status) sits in the
 * admin and I/O parsers after the fabrics commands have been routed away.
 * The gate comes before the controller-ready check, as there.
 *
 * The Error Log: on an admin queue, refusals of the admin gate and of the
 * data-transfer rules are recorded here, and admin commands that fail are
 * recorded by proto/admin.c; a fabrics command that fails there is not
 * (its answer says it all). On I/O queues the
 * caller records every failed command when it completes it.
 *
 * The caller (daemon/core/) owns the buffers, the queues and the threads;
 * time is passed in.
 */
#ifndef KATO_PROTO_DISPATCH_H
#define KATO_PROTO_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>
#include "proto/auth.h"
#include "proto/cmd.h"
#include "proto/fabrics.h"
#include "proto/xfer.h"

/* The queue a command arrived on, as the rules see it. */
struct kt_qview {
	struct kt_target *target;
	struct kt_ctrl *ctrl;    /* NULL until Connect succeeded on this queue */
	uint16_t qid;            /* meaningful once connected */
	uint32_t max_len;        /* largest transfer (MDTS) in bytes */
	struct kt_auth_q *auth;  /* the queue's in-band authentication; NULL: none */
	const struct kt_auth_ctx *auth_ctx; /* what Authentication Send/Receive need */
};

enum kt_route {
	KT_ROUTE_FABRICS,
	KT_ROUTE_ADMIN,
	KT_ROUTE_IO,
};

struct kt_cmd_plan {
	enum kt_route route;
	struct kt_xfer xfer;     /* where its data is, and how much */
};

/* What the caller does after kt_cmd_exec. */
enum kt_next {
	KT_NEXT_COMPLETE,        /* complete with status (C2H: cmd->xfer_len bytes of cmd->data first) */
	KT_NEXT_BACKEND,         /* cmd->io is ready for its namespace's backend */
	KT_NEXT_HOLD,            /* an Asynchronous Event Request the controller now holds */
	KT_NEXT_CONNECT,         /* a well-formed Connect: admit it (r->connect) */
};

/* Keep-alive commands, for the timer's trace and the misbehaviour policy. */
enum kt_ka_cmd {
	KT_KA_NONE,
	KT_KA_KEEP_ALIVE,
	KT_KA_SET_KATO,
};

struct kt_cmd_result {
	enum kt_next next;
	uint16_t status;
	bool close_queue;        /* Disconnect: close this queue once the completion is out */
	bool reset;              /* CC.EN 1->0 or a shutdown: the I/O queues go, and held
	                            AERs the controller no longer holds (a reset drops
	                            them: no completion is posted) are let go */
	bool ka_moved;           /* the keep-alive deadline may have moved */
	enum kt_ka_cmd ka_cmd;
	uint32_t ka_requested_ms; /* KT_KA_SET_KATO: the KATO the host asked for */
	struct kt_connect_args connect; /* KT_NEXT_CONNECT */
	bool auth_cmd;           /* an Authentication Send or Receive ran: see auth */
	struct kt_auth_result auth;
};

/* Step one, the SQE in cmd->sqe and icd_len bytes of in-capsule data
 * announced (not yet read). Resets the rest of *cmd, sets cmd->data_len to
 * the length the descriptor names (cmd->data stays NULL: the caller points
 * it at the in-capsule data or a buffer per p->xfer) and fills *p. Returns
 * 0, or the status to complete the command with once its in-capsule data
 * has been consumed (see above for the Error Log). */
uint16_t kt_cmd_parse(const struct kt_qview *q, const struct kt_xfer_caps *caps, struct kt_cmd *cmd,
		      uint32_t icd_len, uint64_t now_ms, struct kt_cmd_plan *p);

/* Step two, every byte of host data in cmd->data: executes the command of
 * plan p. */
void kt_cmd_exec(const struct kt_qview *q, const struct kt_cmd_plan *p, struct kt_cmd *cmd,
		 uint64_t now_ms, struct kt_cmd_result *r);

#endif

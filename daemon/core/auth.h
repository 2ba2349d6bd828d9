/*
 * auth.h - in-band authentication (DH-HMAC-CHAP) as katod runs it
 * (daemon/core/auth.c): the hosts' keys as configured, what a queue's
 * Connect answers (AUTHREQ ATR), the context proto's state machine
 * (proto/auth.h) needs (keys, randomness, sequence numbers), the timer of a
 * stalled transaction, the logs, and failing a controller whose
 * authentication failed.
 */
#ifndef KATO_DAEMON_CORE_AUTH_H
#define KATO_DAEMON_CORE_AUTH_H

#include <stdbool.h>
#include "config/config.h"
#include "proto/auth.h"

struct kt_sq;
struct kt_dctrl;
struct kt_req;

/* The hosts' keys of configuration cfg, parsed, made the ones in effect
 * (at start and at every live change, whose keys the next Connect and the
 * next re-authentication use). 0, -ENOMEM or -EINVAL (a key config/ let
 * through that proto refuses: not expected). Main thread. */
int kt_auth_hosts_set(const struct kt_config *cfg);
/* Wipes and frees them (exit). */
void kt_auth_hosts_free(void);

/* Connect succeeded on sq (attached to dc): sets up the queue's
 * authentication and says whether Connect answers ATR. On the admin queue
 * this decides for the controller, as the kernel target's
 * nvmet_setup_auth: no authentication on the discovery controller or in a
 * subsystem that allows any host; otherwise the host's key decides. I/O
 * queues follow their controller. */
bool kt_auth_connect(struct kt_sq *sq, struct kt_dctrl *dc);

/* What an Authentication Send/Receive on sq needs (sq's worker). */
void kt_auth_ctx(struct kt_sq *sq, struct kt_auth_ctx *ctx);

/* After an Authentication Send/Receive ran on r's queue: the log line,
 * the transaction's timer, and a controller to fail once the reply is out.
 * Before the command's completion is queued. */
void kt_auth_after(struct kt_req *r, const struct kt_auth_result *res);

/* The queue ends: its timer goes and its secrets are wiped. */
void kt_auth_sq_end(struct kt_sq *sq);

#endif

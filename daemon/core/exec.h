/*
 * exec.h - the life of a command, as a transport drives it (see
 * daemon/transport/transport.h for the whole sequence): begin when its SQE
 * arrives, exec when its data is in; and the end of a queue.
 */
#ifndef KATO_DAEMON_CORE_EXEC_H
#define KATO_DAEMON_CORE_EXEC_H

#include <stdint.h>
#include "proto/wire.h"

struct kt_req;
struct kt_sq;

/* A new command's SQE has arrived in slot r (from kt_sq_req_get): copies
 * and parses it (proto's kt_cmd_parse); icd_len bytes of in-capsule data
 * follow, which the transport places at *icd (set when icd_len is not 0).
 * Returns 0, or -ENOMEM when there is no buffer for the in-capsule data (a
 * transport error). A refused command is answered by kt_req_exec. */
int kt_req_begin(struct kt_req *r, const struct kt_sqe *sqe, uint32_t icd_len, uint8_t **icd);
/* Answers r with status instead of running it (e.g. a data digest error),
 * at kt_req_exec. */
void kt_req_fail(struct kt_req *r, uint16_t status);
/* All of r's host data so far is in: run it (or ask for more, or answer a
 * refusal). */
void kt_req_exec(struct kt_req *r);

/* The transport closed the queue (ops->close): detach it from its
 * controller; its memory goes once nothing is in flight. */
void kt_sq_closed(struct kt_sq *sq, const char *why);

#endif

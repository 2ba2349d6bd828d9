/*
 * fabrics.h - NVMe over Fabrics commands: Connect (parse and admission),
 * Property Get/Set, and the discovery log page a discovery controller serves.
 */
#ifndef KATO_PROTO_FABRICS_H
#define KATO_PROTO_FABRICS_H

#include <stdbool.h>
#include <stdint.h>
#include "proto/cmd.h"
#include "proto/ctrl.h"
#include "proto/model.h"

#define KT_CONNECT_DATA_LEN 1024
#define KT_CNTLID_DYNAMIC 0xffff
/* Admin queue entries a controller accepts at most (SQSIZE 31, zero-based):
 * the spec's floor for ASQSZ, what Linux and SPDK hosts ask for, and what
 * the discovery log advertises as ASQSZ. */
#define KT_ADMIN_SQ_ENTRIES 32

struct kt_connect_args {
	uint16_t qid;
	uint16_t sqsize;       /* zero-based */
	uint8_t cattr;
	uint32_t kato_ms;
	uint16_t cntlid;       /* requested: 0xffff for dynamic on the admin queue */
	uint8_t hostid[16];
	char subnqn[KT_NQN_MAX + 1];
	char hostnqn[KT_NQN_MAX + 1];
};

/* Parses a Connect command and its data (cmd->data, cmd->data_len bytes):
 * RECFMT, SQSIZE (1..mqes; admin queue at least 31, the minimum for a
 * fabrics admin queue... see fabrics.c), NQN fields NUL-terminated and of
 * legal length. On failure returns the status and puts IPO/IATTR in
 * cmd->cqe.dw0 for Connect Invalid Parameters. */
uint16_t kt_connect_parse(const struct kt_target *t, struct kt_cmd *cmd, struct kt_connect_args *a);

/* Admission of an admin-queue Connect arriving on `port`: the subsystem
 * exists and is reachable through the port (or is the discovery subsystem,
 * by the well-known or the unique discovery NQN), the host is allowed, the
 * requested CNTLID is 0xffff (dynamic model). Returns the subsystem in *out,
 * or a status with IPO/IATTR in cmd->cqe.dw0. */
uint16_t kt_connect_admit(struct kt_target *t, const struct kt_port *port,
			  const struct kt_connect_args *a, struct kt_cmd *cmd,
			  struct kt_subsys **out);

/* A Connect on a TLS connection names the host and subsystem of the PSK
 * identity the handshake used (hostnqn, subnqn): another subsystem is
 * Invalid Parameters at SUBNQN, another host Connect Invalid Host, both
 * with IPO/IATTR in cmd->cqe.dw0. Every queue, admin or I/O. */
uint16_t kt_connect_check_tls(const struct kt_connect_args *a, const char *hostnqn, const char *subnqn,
			      struct kt_cmd *cmd);

/* Checks an I/O-queue Connect against the controller it names (found by
 * the caller from subnqn + cntlid; NULL if none): host NQN and host ID
 * match, QID within the granted queues, SQSIZE within CAP.MQES, controller
 * enabled and ready. Returns a status with IPO/IATTR in cmd->cqe.dw0. */
uint16_t kt_connect_check_io(const struct kt_ctrl *c, const struct kt_connect_args *a,
			     struct kt_cmd *cmd);

/* Property Get / Set commands. *reset as in kt_ctrl_prop_set. */
uint16_t kt_fabrics_prop_exec(struct kt_ctrl *c, struct kt_cmd *cmd, uint64_t now_ms, bool *reset);

/* Discovery log page (LID 70h) for the host of controller c: fills `len`
 * bytes of the page starting at byte `offset` into buf. Returns a status
 * (an offset beyond the page is Invalid Field). */
uint16_t kt_disc_log_read(const struct kt_ctrl *c, uint64_t offset, void *buf, uint32_t len);

#endif

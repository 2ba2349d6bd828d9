/*
 * cmd.h - one command in flight, as the protocol handlers see it, and the
 * entry points of the command families (admin, fabrics, I/O).
 *
 * The daemon owns the slot (daemon/core/exec.c): it copies the SQE in, has
 * proto's dispatcher parse it (proto/dispatch.h), points `data` at a buffer
 * of `data_len` bytes (the length the SGL names), has the transport bring
 * host data in before a handler that consumes it runs, and has it send
 * back `xfer_len` bytes of `data` and the CQE after. Handlers return an NVMe status
 * (NVME_SC_*, without the phase bit; 0 for success) and fill cqe.dw0/dw1.
 */
#ifndef KATO_PROTO_CMD_H
#define KATO_PROTO_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include "proto/wire.h"

struct kt_ctrl;
struct kt_ns;

/* Returned instead of a status by a handler that completes later (an
 * Asynchronous Event Request, which the controller holds). */
#define KT_STATUS_DEFERRED 0xffffu

/* NVMe status with the Do Not Retry bit (bit 14 of the status field). */
#define KT_SC_DNR 0x4000u

/* The one constructor of NVMe status values as handlers return them (no
 * phase bit): status code type sct (NVME_SCT_*), status code sc (NVME_SC_*),
 * Do Not Retry when dnr. A constant expression, so tables can use it. */
#define KT_STATUS(sct, sc, dnr) \
	((uint16_t)(((unsigned)(sct) << NVME_SCT_SHIFT) | (unsigned)(sc) | ((dnr) ? KT_SC_DNR : 0u)))

enum kt_xfer_dir {
	KT_DIR_NONE = 0,
	KT_DIR_H2C = 1, /* host to controller: write-like */
	KT_DIR_C2H = 2, /* controller to host: read-like */
};

/* Direction from the opcode's low two bits (and for fabrics commands, from
 * FCTYPE's), as NVMe Base defines it. Bidirectional (11b) is reported as
 * KT_DIR_NONE | 3 and refused by the transport. */
static inline unsigned kt_sqe_dir(const struct kt_sqe *sqe)
{
	uint8_t code = sqe->opcode == KT_OPC_FABRICS ? ((const uint8_t *)sqe)[4] : sqe->opcode;
	return code & 3u;
}

enum kt_io_op {
	KT_IO_READ,
	KT_IO_WRITE,
	KT_IO_FLUSH,
	KT_IO_WRITE_ZEROES,
	KT_IO_DISCARD,   /* Dataset Management with the deallocate attribute */
	KT_IO_COMPARE,
	KT_IO_NOP,       /* valid command with nothing to do (DSM without AD) */
};

/* A parsed I/O command, ready for a backend. */
struct kt_io {
	enum kt_io_op op;
	struct kt_ns *ns;
	uint64_t offset;     /* bytes from the namespace start */
	uint64_t length;     /* bytes */
	bool fua;
	uint32_t nr_ranges;  /* KT_IO_DISCARD: validated struct nvme_dsm_range
	                        entries at the start of the data buffer */
};

struct kt_cmd {
	struct kt_sqe sqe;
	struct kt_cqe cqe;
	uint8_t *data;       /* data buffer, data_len bytes */
	uint32_t data_len;   /* transfer length named by the SGL */
	uint32_t xfer_len;   /* C2H: bytes of data to send back (<= data_len) */
	struct kt_io io;     /* filled by kt_io_parse */
};

/* ---- I/O commands (proto/io.c) --------------------------------------- */

/* Checks an I/O command against the namespace and the transfer: opcode,
 * NSID, LBA range, transfer length against the SGL length and MDTS. Fills
 * cmd->io. Called before any host data is fetched, so a bad write is refused
 * without moving its data. Returns a status. */
uint16_t kt_io_parse(struct kt_ctrl *ctrl, struct kt_cmd *cmd);

/* Second step for commands whose host data describes the work (Dataset
 * Management's range list): called once the data is in cmd->data. Checks
 * every range against the namespace and sets cmd->io.nr_ranges. Returns a
 * status; for other commands returns 0 and does nothing. */
uint16_t kt_io_parse_data(struct kt_ctrl *ctrl, struct kt_cmd *cmd);

/* ---- Admin commands (proto/admin.c) ---------------------------------- */

/* The checks an admin command passes before any of its data moves:
 * controller enabled and ready, the discovery controller's narrower set, no
 * fused command. Returns a status; a refusal is recorded in the Error Log. */
uint16_t kt_admin_check(struct kt_ctrl *ctrl, struct kt_cmd *cmd);

/* Parses and executes one admin command on the controller at time now_ms
 * (monotonic milliseconds). Host data, if any, is already in cmd->data.
 * Returns a status, or KT_STATUS_DEFERRED for a held AER. */
uint16_t kt_admin_exec(struct kt_ctrl *ctrl, struct kt_cmd *cmd, uint64_t now_ms);

#endif

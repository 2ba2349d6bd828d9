/*
 * xfer.h - the data-transfer rules of a command: which descriptor forms a
 * transport carries (in-capsule data, the NVMe/TCP transport SGL, later
 * keyed SGLs and PRPs), and what a command's descriptor asks for, checked
 * against them, the capsule and MDTS before any data moves.
 *
 * Why its own file: every transport answers the same malformed descriptor
 * with the same status, so the rules live once, here, and a transport only
 * states what it can carry (struct kt_xfer_caps).
 */
#ifndef KATO_PROTO_XFER_H
#define KATO_PROTO_XFER_H

#include <stdbool.h>
#include <stdint.h>
#include "proto/cmd.h"

/* What a transport can carry. */
struct kt_xfer_caps {
	bool sgl_incapsule;   /* Data Block SGL, offset subtype: data in the capsule */
	bool sgl_transport;   /* Transport SGL Data Block: data moved by the transport (NVMe/TCP) */
};

enum kt_xfer_src {
	KT_XFER_NONE,         /* the command moves no data */
	KT_XFER_INCAPSULE,    /* host data in the capsule, at off */
	KT_XFER_TRANSPORT,    /* the transport fetches (H2C) or sends (C2H) len bytes */
};

struct kt_xfer {
	enum kt_xfer_src src;
	unsigned dir;         /* KT_DIR_* */
	uint32_t off;         /* KT_XFER_INCAPSULE: offset in the capsule's data */
	uint32_t len;         /* bytes the descriptor names */
};

/*
 * Checks the data pointer of sqe (a capsule that came with icd_len bytes of
 * in-capsule data) against what the transport carries and max_len (MDTS in
 * bytes). Fills *x and returns 0, or returns the status to answer with (the
 * capsule's data is then still to be consumed by the transport):
 * - bidirectional opcode: Invalid Field;
 * - no transfer (direction none or length 0) but in-capsule data: Data SGL
 *   Length Invalid;
 * - PRPs (PSDT 00b) on a transport without them: Invalid Field;
 * - in-capsule descriptor: only host-to-controller; offset past the data is
 *   SGL Offset Invalid, a length past it Data SGL Length Invalid;
 * - transport descriptor with in-capsule data too: Data SGL Length Invalid;
 *   longer than max_len: Invalid Field;
 * - any other descriptor type: SGL Descriptor Type Invalid.
 * All with Do Not Retry.
 */
uint16_t kt_xfer_parse(const struct kt_xfer_caps *caps, const struct kt_sqe *sqe, uint32_t icd_len,
		       uint32_t max_len, struct kt_xfer *x);

#endif

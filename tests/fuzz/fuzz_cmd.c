/*
 * fuzz_cmd.c - libFuzzer harness for the command parsers and handlers in
 * proto/: Connect, Property Get/Set, every admin command, I/O parsing, and
 * the one entry point the core drives them through (proto/dispatch.h).
 *
 * Input: byte 0 picks the family (bit 6: through kt_cmd_parse and
 * kt_cmd_exec, with bit 5 "not connected", bit 4 "I/O queue", bit 3
 * "the data comes in the capsule"), bytes 1..64 are the SQE, byte 65 picks
 * the data length class, the rest is host data. The controller is built
 * once per input and enabled, so handlers past the "not ready" check run.
 * Handlers must return a status and never touch memory beyond data_len.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "proto/cmd.h"
#include "proto/dispatch.h"
#include "proto/ctrl.h"
#include "proto/fabrics.h"

static struct kt_ns ns[2] = {
	{ .nsid = 1, .enabled = true, .lba_shift = 9, .nblocks = 1 << 20, .vwc = true, .can_discard = true },
	{ .nsid = 7, .enabled = true, .lba_shift = 12, .nblocks = 1 << 10 },
};
static struct kt_ns *nsp[2] = { &ns[0], &ns[1] };
static char hosts[1][KT_NQN_MAX + 1] = { "nqn.2014-08.org.nvmexpress:uuid:fuzz-host" };
static struct kt_subsys subsys = {
	.nqn = "nqn.2026-11.io.kato:fuzz", .serial = "fuzz", .model = "kato", .firmware = "0.1",
	.version = 0x00020000, .cntlid_min = 1, .cntlid_max = 0xffef, .qid_max = 4,
	.allow_any_host = false, .n_hosts = 1, .hosts = hosts, .n_ns = 2, .ns = nsp,
};
static struct kt_subsys *subsysp[1] = { &subsys };
static struct kt_subsys *port_subsys[1] = { &subsys };
static struct kt_port port = {
	.portid = 1, .adrfam = NVMF_ADDR_FAMILY_IP4, .traddr = "127.0.0.1", .trsvcid = "4420",
	.inline_data_size = 8192, .n_subsys = 1, .subsys = port_subsys,
};
static struct kt_port *portp[1] = { &port };
static struct kt_target target = {
	.disc_nqn = KT_WELL_KNOWN_DISC_NQN, .genctr = 1, .n_ports = 1, .ports = portp,
	.n_subsys = 1, .subsys = subsysp, .mdts = 8, .kas = 1, .maxh2cdata = 131072, .mqes = 127,
};

/* As the core drives a command: parse with what the capsule announced,
 * place the data as the plan says, execute. The plan must stay inside the
 * capsule and MDTS, and no handler may return more than the buffer holds. */
static void dispatch(struct kt_ctrl *ctrl, struct kt_cmd *cmd, uint8_t family, uint8_t *buf, size_t avail)
{
	struct kt_qview q = { .target = &target, .ctrl = family & 0x20 ? NULL : ctrl,
			      .qid = family & 0x10 ? 1 : 0, .max_len = kt_mdts_bytes(&target) };
	static const struct kt_xfer_caps caps = { .sgl_incapsule = true, .sgl_transport = true };
	uint32_t icd_len = family & 0x08 ? (uint32_t)(avail < 8192 ? avail : 8192) : 0;
	struct kt_cmd_plan p;
	struct kt_cmd_result r;

	if (kt_cmd_parse(&q, &caps, cmd, icd_len, 2000, &p))
		return;
	if (p.xfer.src == KT_XFER_INCAPSULE) {
		if ((uint64_t)p.xfer.off + p.xfer.len > icd_len)
			abort();
		cmd->data = buf + p.xfer.off;
	} else if (p.xfer.src == KT_XFER_TRANSPORT) {
		if (p.xfer.len > q.max_len || icd_len)
			abort();
		cmd->data = buf; /* host data (H2C) or room for the reply (C2H) */
	}
	if (cmd->data_len != p.xfer.len)
		abort();
	kt_cmd_exec(&q, &p, cmd, 2000, &r);
	if (cmd->xfer_len > cmd->data_len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	static uint8_t buf[1u << 20]; /* the MDTS: the largest buffer the transport hands over */
	if (len < 66)
		return 0;
	uint8_t family = in[0];
	struct kt_cmd cmd;
	memset(&cmd, 0, sizeof(cmd));
	memcpy(&cmd.sqe, in + 1, sizeof(cmd.sqe));
	static const uint32_t classes[] = { 0, 16, 64, 512, 1024, 4096, 8192, 65536, 1u << 20 };
	uint32_t data_len = classes[in[65] % (sizeof(classes) / sizeof(classes[0]))];
	size_t avail = len - 66;
	memset(buf, 0, data_len);
	memcpy(buf, in + 66, avail < data_len ? avail : data_len);
	cmd.data = data_len ? buf : NULL;
	cmd.data_len = data_len;

	if (!target.disc.nqn[0]) {
		strcpy(target.disc.nqn, KT_WELL_KNOWN_DISC_NQN);
		target.disc.discovery = true;
		target.disc.allow_any_host = true;
	}
	static struct kt_ctrl ctrl;
	uint8_t hostid[16] = { 1 };
	bool disc = family & 0x80;
	kt_ctrl_init(&ctrl, &target, disc ? &target.disc : &subsys, &port, 1, hosts[0], hostid, 31, 5000, 1000);
	bool reset;
	kt_ctrl_prop_set(&ctrl, 0x14, 4, 0x00460001, 1000, &reset); /* CC.EN with IOSQES 6, IOCQES 4 */

	if (family & 0x40) {
		size_t n = avail < sizeof(buf) ? avail : sizeof(buf);
		memcpy(buf, in + 66, n); /* the capsule's data, or the host's */
		dispatch(&ctrl, &cmd, family, buf, n);
		return 0;
	}
	struct kt_connect_args a;
	struct kt_subsys *s;
	switch (family & 3) {
	case 0:
		if (kt_connect_parse(&target, &cmd, &a) == 0) {
			if (a.qid == 0)
				kt_connect_admit(&target, &port, &a, &cmd, &s);
			else
				kt_connect_check_io(&ctrl, &a, &cmd);
		}
		break;
	case 1:
		kt_fabrics_prop_exec(&ctrl, &cmd, 2000, &reset);
		break;
	case 2:
		kt_admin_exec(&ctrl, &cmd, 2000);
		break;
	case 3:
		if (kt_io_parse(&ctrl, &cmd) == 0)
			kt_io_parse_data(&ctrl, &cmd);
		break;
	}
	if (cmd.xfer_len > cmd.data_len)
		abort(); /* a handler claimed to return more than the host can take */
	return 0;
}

/*
 * xport.c - what each transport tells hosts about itself (struct kt_xport,
 * proto/model.h), as its binding specifies. One place per transport, so
 * that Identify, the Error Log and the discovery log never assume one.
 */
#include "proto/model.h"

/* NVMe/TCP transport binding: SGLs supported without alignment constraint
 * (SGLS bits 1:0 = 01b) with offset addressing for in-capsule data (bit
 * 20, which every admin queue takes: 8 KiB); one SGL descriptor per
 * command; the response capsule is the 16-byte CQE alone; no security
 * type here: a port's own (struct kt_port sectype) goes into its discovery
 * entries. */
const struct kt_xport kt_xport_tcp = {
	.trtype = NVMF_TRTYPE_TCP,
	.sgls = 1u | 1u << 20,
	.msdbd = 1,
	.iorcsz = 1,
	.tsas = { .tcp = { .sectype = NVMF_TCP_SECTYPE_NONE } },
};

/*
 * unit_sqe.h - SQEs written byte by byte at the spec's offsets, for the
 * unit tests of the data-transfer and dispatch rules (test_xfer.c,
 * test_dispatch.c): the tests say what goes on the wire, not what the
 * code's structures call it.
 *
 * SQE (NVMe Base, common command format): opcode 0, flags 1 (FUSE 1:0,
 * PSDT 7:6), CID 2-3, NSID 4-7 (FCTYPE at 4 for fabrics commands), data
 * pointer 24-39 (SGL: address 24-31, length 32-35, descriptor type 39),
 * CDW10 40, CDW11 44, CDW12 48.
 */
#ifndef KATO_TESTS_UNIT_SQE_H
#define KATO_TESTS_UNIT_SQE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/wire.h"

#define SQE_PSDT_SGL 0x40 /* flags: PSDT 01b */
#define SQE_CID 0x1234

/* n bytes of v, little-endian, at byte off of p. */
static inline void put_le(void *p, size_t off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		((uint8_t *)p)[off + i] = (uint8_t)(v >> (8 * i));
}

/* A zeroed SQE with opcode, flags, CID SQE_CID and an SGL descriptor of
 * type sgl_type naming len bytes at addr. */
static inline void sqe_init(struct kt_sqe *s, uint8_t opc, uint8_t flags, uint8_t sgl_type,
			    uint64_t addr, uint32_t len)
{
	uint8_t *b = (uint8_t *)s;

	memset(s, 0, sizeof(*s));
	b[0] = opc;
	b[1] = flags;
	put_le(b, 2, SQE_CID, 2);
	put_le(b, 24, addr, 8);
	put_le(b, 32, len, 4);
	b[39] = sgl_type;
}

#endif

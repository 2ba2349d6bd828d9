/*
 * crc32c.h - CRC32C (Castagnoli), the checksum of NVMe/TCP header and data
 * digests (proto/crc32c.c). Its own header so that the checksum depends on
 * nothing of the PDU codec: proto/pdu.c uses it, never the other way round.
 *
 * One running-value convention (init ~0, final xor ~0):
 *
 *   crc = KT_CRC32C_INIT; crc = kt_crc32c_update(crc, ...)...; kt_crc32c_final(crc)
 *
 * or kt_crc32c(buf, len) for one buffer.
 */
#ifndef KATO_PROTO_CRC32C_H
#define KATO_PROTO_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#define KT_CRC32C_INIT 0xffffffffu
/* Continues a running value over len bytes of buf. */
uint32_t kt_crc32c_update(uint32_t crc, const void *buf, size_t len);
static inline uint32_t kt_crc32c_final(uint32_t crc) { return ~crc; }
/* The CRC32C of one buffer. */
uint32_t kt_crc32c(const void *buf, size_t len);

#endif

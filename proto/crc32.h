/*
 * crc32.h - the IEEE 802.3 CRC-32 (zlib's crc32, the "CRC-32" of the NVMe
 * specifications), which guards the key bytes of the configured-key strings
 * `NVMeTLSkey-1:hh:...:` and `DHHC-1:hh:...:` (proto/crc32.c). Not the
 * CRC32C of the NVMe/TCP digests: that is proto/crc32c.h.
 *
 * kt_crc32("123456789", 9) = 0xCBF43926 (checked in tests/unit/test_tls_psk.c).
 */
#ifndef KATO_PROTO_CRC32_H
#define KATO_PROTO_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32 of one buffer (initial value ~0, reflected, final xor ~0). */
uint32_t kt_crc32(const void *buf, size_t len);

#endif

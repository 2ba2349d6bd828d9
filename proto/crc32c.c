/*
 * crc32c.c - CRC32C (Castagnoli), the checksum NVMe/TCP header and data
 * digests use. A thin wrapper over isa-l's crc32_iscsi so the rest of the
 * code sees one running-value convention (see proto/crc32c.h):
 *
 *   crc = KT_CRC32C_INIT; crc = kt_crc32c_update(crc, ...)...; kt_crc32c_final(crc)
 *
 * isa-l's crc32_iscsi(buf, len, init) neither inverts its seed nor its
 * result, so feeding it ~0 and inverting at the end gives the standard
 * CRC32C (CRC32C("123456789") = 0xE3069283, checked in tests/unit/test_pdu.c),
 * and the intermediate value can be passed back in to continue.
 */
#include <limits.h>
#include <isa-l/crc.h>

#include "proto/crc32c.h"

uint32_t kt_crc32c_update(uint32_t crc, const void *buf, size_t len)
{
	/* crc32_iscsi takes a non-const pointer (it never writes) and an int
	 * length: feed very large buffers in pieces. */
	unsigned char *p = (unsigned char *)(uintptr_t)buf;

	while (len > 0) {
		int n = len > (size_t)(INT_MAX / 2) ? INT_MAX / 2 : (int)len;

		crc = crc32_iscsi(p, n, crc);
		p += n;
		len -= (size_t)n;
	}
	return crc;
}

uint32_t kt_crc32c(const void *buf, size_t len)
{
	return kt_crc32c_final(kt_crc32c_update(KT_CRC32C_INIT, buf, len));
}

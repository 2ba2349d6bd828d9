/*
 * crc32.c - IEEE CRC-32 over isa-l's crc32_gzip_refl, the reflected
 * (zlib/gzip) form: with a zero seed it returns zlib's crc32(0, buf, len),
 * inverting seed and result itself. See proto/crc32.h.
 */
#include <isa-l/crc.h>

#include "proto/crc32.h"

uint32_t kt_crc32(const void *buf, size_t len)
{
	return crc32_gzip_refl(0, (const unsigned char *)buf, (uint64_t)len);
}

/*
 * unit_hex.h - hex strings to bytes, for tests whose expected values are
 * written as hex (the DH-HMAC-CHAP vectors of tests/unit/vectors/).
 */
#ifndef KATO_TESTS_UNIT_HEX_H
#define KATO_TESTS_UNIT_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline int unit_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex into out (strlen(hex) / 2 bytes, at most cap); returns the
 * byte count, or aborts on a malformed string (a broken test vector). */
static inline size_t unit_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex);

	if (n % 2 || n / 2 > cap)
		abort();
	for (size_t i = 0; i < n / 2; i++) {
		int hi = unit_hexval(hex[2 * i]), lo = unit_hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			abort();
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return n / 2;
}

#endif

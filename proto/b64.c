/*
 * b64.c - strict Base64 (RFC 4648 section 4) for configured keys and PSK
 * digests; see proto/b64.h for the rules the decoder enforces.
 */
#include <errno.h>
#include <limits.h>

#include "proto/b64.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int kt_b64_encode(const void *in, size_t len, char *out, size_t outsz)
{
	const uint8_t *p = in;
	size_t n = 0;

	if (len > (size_t)INT_MAX / 4 * 3 - 3 || outsz < KT_B64_ENC_LEN(len) + 1)
		return -ENOSPC;
	while (len >= 3) {
		uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];

		out[n++] = alphabet[v >> 18];
		out[n++] = alphabet[(v >> 12) & 63];
		out[n++] = alphabet[(v >> 6) & 63];
		out[n++] = alphabet[v & 63];
		p += 3;
		len -= 3;
	}
	if (len) {
		uint32_t v = (uint32_t)p[0] << 16 | (len == 2 ? (uint32_t)p[1] << 8 : 0);

		out[n++] = alphabet[v >> 18];
		out[n++] = alphabet[(v >> 12) & 63];
		out[n++] = len == 2 ? alphabet[(v >> 6) & 63] : '=';
		out[n++] = '=';
	}
	out[n] = '\0';
	return (int)n;
}

/* The 6-bit value of c, or -1 if c is not in the alphabet ('=' included). */
static int sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int kt_b64_decode(const char *in, size_t len, uint8_t *out, size_t outsz)
{
	size_t n = 0, i;

	if (len % 4 || len > (size_t)INT_MAX / 3 * 4)
		return -EINVAL;
	for (i = 0; i < len; i += 4) {
		int a = sextet(in[i]), b = sextet(in[i + 1]);
		int c = sextet(in[i + 2]), d = sextet(in[i + 3]);
		int last = i + 4 == len;
		uint32_t v;
		size_t take = 3;

		if (a < 0 || b < 0)
			return -EINVAL;
		if (d < 0) {
			/* only the last group may be padded: "xx==" or "xxx=" */
			if (!last || in[i + 3] != '=')
				return -EINVAL;
			if (c < 0) {
				if (in[i + 2] != '=' || (b & 15))
					return -EINVAL;
				c = 0;
				take = 1;
			} else {
				if (c & 3)
					return -EINVAL;
				take = 2;
			}
			d = 0;
		} else if (c < 0) {
			return -EINVAL;
		}
		if (outsz - n < take)
			return -ENOSPC;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		out[n++] = (uint8_t)(v >> 16);
		if (take > 1)
			out[n++] = (uint8_t)(v >> 8);
		if (take > 2)
			out[n++] = (uint8_t)v;
	}
	return (int)n;
}

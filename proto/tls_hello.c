/*
 * tls_hello.c - the first binder's length in a ClientHello's
 * pre_shared_key extension (proto/tls_hello.h), so that the TLS server can
 * offer only the cipher suites of the hash the host bound its PSK with.
 *
 *   struct { opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age; } PskIdentity;
 *   opaque PskBinderEntry<32..255>;
 *   struct { PskIdentity identities<7..2^16-1>;
 *            PskBinderEntry binders<33..2^16-1>; } OfferedPsks;
 */
#include <errno.h>
#include "proto/tls_hello.h"

static size_t be16(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

int kt_tls_hello_binder_len(const uint8_t *ext, size_t len)
{
	if (!ext || len < 2)
		return -EINVAL;
	size_t ids = be16(ext), off = 2;
	if (ids < 7 || ids > len - off)
		return -EINVAL;
	size_t end = off + ids, n_ids = 0;
	while (off < end) {
		if (end - off < 2)
			return -EINVAL;
		size_t il = be16(ext + off);
		off += 2;
		if (il == 0 || il > end - off || end - off - il < 4)
			return -EINVAL;
		off += il + 4;
		n_ids++;
	}
	if (len - off < 2)
		return -EINVAL;
	size_t bs = be16(ext + off);
	off += 2;
	if (bs < 33 || bs != len - off)
		return -EINVAL;
	int first = ext[off];
	size_t n_binders = 0;
	while (off < len) {
		size_t bl = ext[off++];
		if (bl < 32 || bl > len - off)
			return -EINVAL;
		off += bl;
		n_binders++;
	}
	if (n_binders != n_ids)
		return -EINVAL;
	return first;
}

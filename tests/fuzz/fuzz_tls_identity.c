/*
 * fuzz_tls_identity.c - libFuzzer harness for the two TLS PSK parsers of
 * proto/tls_psk.c: the PSK identity a host sends in its ClientHello
 * (attacker-controlled bytes) and the configured key in interchange format.
 * It exists to show that no input makes kt_tls_identity_parse or
 * kt_tls_key_parse read or write out of bounds, accept what they must refuse,
 * or refuse without saying why.
 *
 * Input: byte 0 selects the parser (bit 0 clear: identity, set: key); the
 * rest is the string, not NUL-terminated (each parser gets an exact-size
 * heap copy, so AddressSanitizer sees any read past it). Seeds in
 * tests/fuzz/corpus/fuzz_tls_identity/.
 *
 * Checked on every accepted input: formatting what was parsed gives back
 * exactly the input bytes (both formats have one spelling); the fields keep
 * their promises (NQNs of 1 to 223 bytes, digest length that of the hash);
 * and for an identity of type R, the server's look-up with a fixed key
 * either derives a PSK of the key's length or refuses with a reason.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/tls_psk.h"

static const struct kt_tls_key fixed_key = {
	.hh = 1, .len = 32,
	.psk = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 },
};

static void identity(const uint8_t *s, size_t len)
{
	struct kt_tls_identity id;
	struct kt_tls_psk psk;
	char out[KT_TLS_IDENTITY_MAX + 1];
	const char *why = NULL;
	size_t h, sn;
	int rc, n;

	rc = kt_tls_identity_parse(&id, s, len, &why);
	if (rc) {
		if (rc != -EINVAL || !why || id.hostnqn[0] || id.version)
			abort();
		return;
	}
	h = strnlen(id.hostnqn, sizeof(id.hostnqn));
	sn = strnlen(id.subnqn, sizeof(id.subnqn));
	if (h < 1 || h > KT_NQN_MAX || sn < 1 || sn > KT_NQN_MAX || id.version > 1 ||
	    (id.hash != 1 && id.hash != 2) ||
	    (id.version == 1 && id.digest_len != (id.hash == 1 ? 44 : 64)) ||
	    (id.version == 0 && id.digest_len != 0) || len > KT_TLS_IDENTITY_MAX)
		abort();
	n = kt_tls_identity_format(&id, out, sizeof(out));
	if (n < 0 || (size_t)n != len || memcmp(out, s, len) != 0)
		abort();
	rc = kt_tls_psk_for_identity(&id, &fixed_key, KT_TLS_DERIVE_RFC | KT_TLS_DERIVE_COMPAT,
				     KT_TLS_DERIVE_RFC, &psk, &why);
	if (rc == 0 ? psk.len != fixed_key.len : (!why || psk.len != 0))
		abort();
	kt_tls_psk_clear(&psk);
}

static void key(const uint8_t *s, size_t len)
{
	struct kt_tls_key k;
	char out[KT_TLS_KEY_STR_MAX + 1];
	const char *why = NULL;
	int rc, n;

	rc = kt_tls_key_parse(&k, (const char *)s, len, &why);
	if (rc) {
		if (rc != -EINVAL || !why || k.len)
			abort();
		return;
	}
	if ((k.len != 32 && k.len != 48) || k.hh > 2 || (k.hh == 1 && k.len != 32) ||
	    (k.hh == 2 && k.len != 48))
		abort();
	n = kt_tls_key_format(&k, out, sizeof(out));
	if (n < 0 || (size_t)n != len || memcmp(out, s, len) != 0)
		abort();
	kt_tls_key_clear(&k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (size < 1)
		return 0;
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] & 1)
		key(copy, size - 1);
	else
		identity(copy, size - 1);
	free(copy);
	return 0;
}

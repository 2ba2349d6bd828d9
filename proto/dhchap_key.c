/*
 * dhchap_key.c - DH-HMAC-CHAP secrets: the DHHC-1 text form and the key
 * transformation (see proto/dhchap_key.h for the format).
 *
 * The decoder is strict where the format leaves no choice: the prefix, two
 * digits of hh, standard base64 with its padding (proto/b64.h's strict decoder) (the key lengths 36, 52 and
 * 68 bytes with CRC always pad), the CRC-32 (zlib's, little-endian, as
 * nvme-cli and the kernel's nvme_auth_extract_key write and check it), the
 * length the hh value demands, and the closing ':'. Decoded bytes live in
 * buffers wiped before they go out of scope.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "proto/b64.h"
#include "proto/crc32.h"
#include "proto/dhchap_key.h"

#define PREFIX "DHHC-1:"
#define PREFIX_LEN 7
#define SEED "NVMe-over-Fabrics"
#define SEED_LEN 17
#define NQN_MAX 223
/* base64 of the longest key and its CRC: 68 bytes, 92 characters */
#define B64_MAX 92

static size_t hh_key_len(unsigned hh)
{
	static const size_t len[] = { 0, 32, 48, 64 };

	return hh < 4 ? len[hh] : 0;
}

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

int kt_dhchap_key_parse(const char *secret, struct kt_dhchap_key **out, const char **why)
{
	uint8_t raw[B64_MAX / 4 * 3];
	const char *b64, *end;
	struct kt_dhchap_key *k;
	unsigned hh;
	uint32_t crc;
	size_t n;
	int len;

	*out = NULL;
	if (!secret || strncmp(secret, PREFIX, PREFIX_LEN) != 0)
		return fail(why, "does not start with DHHC-1:");
	if (secret[PREFIX_LEN] < '0' || secret[PREFIX_LEN] > '9' ||
	    secret[PREFIX_LEN + 1] < '0' || secret[PREFIX_LEN + 1] > '9' ||
	    secret[PREFIX_LEN + 2] != ':')
		return fail(why, "the hash field is not two digits and ':'");
	hh = (unsigned)(secret[PREFIX_LEN] - '0') * 10 + (unsigned)(secret[PREFIX_LEN + 1] - '0');
	if (hh > 3)
		return fail(why, "unknown hash (not 00, 01, 02 or 03)");
	b64 = secret + PREFIX_LEN + 3;
	end = strchr(b64, ':');
	if (!end)
		return fail(why, "no ':' after the key");
	if (end[1] != '\0')
		return fail(why, "characters after the closing ':'");
	n = (size_t)(end - b64);
	if (n > B64_MAX)
		return fail(why, "key too long");
	len = kt_b64_decode(b64, n, raw, sizeof(raw));
	if (len <= 0) { /* nothing, or not strict base64 */
		OPENSSL_cleanse(raw, sizeof(raw));
		return fail(why, "the key is not base64");
	}
	if (len != 36 && len != 52 && len != 68) {
		OPENSSL_cleanse(raw, sizeof(raw));
		return fail(why, "key length is not 32, 48 or 64 bytes");
	}
	len -= 4;
	if (hh && (size_t)len != hh_key_len(hh)) {
		OPENSSL_cleanse(raw, sizeof(raw));
		return fail(why, "key length does not match its hash");
	}
	crc = kt_crc32(raw, (size_t)len);
	if (crc != ((uint32_t)raw[len] | (uint32_t)raw[len + 1] << 8 |
		    (uint32_t)raw[len + 2] << 16 | (uint32_t)raw[len + 3] << 24)) {
		OPENSSL_cleanse(raw, sizeof(raw));
		return fail(why, "CRC mismatch");
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		OPENSSL_cleanse(raw, sizeof(raw));
		return -ENOMEM;
	}
	k->hash = (uint8_t)hh;
	k->len = (uint8_t)len;
	memcpy(k->key, raw, (size_t)len);
	OPENSSL_cleanse(raw, sizeof(raw));
	*out = k;
	return 0;
}

void kt_dhchap_key_free(struct kt_dhchap_key *k)
{
	if (!k)
		return;
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

static const char *hh_digest(unsigned hh)
{
	static const char *const name[] = { NULL, "SHA256", "SHA384", "SHA512" };

	return hh < 4 ? name[hh] : NULL;
}

int kt_dhchap_key_transform(const struct kt_dhchap_key *k, const char *nqn,
			    uint8_t out[KT_DHCHAP_KEY_MAX], size_t *out_len)
{
	uint8_t msg[NQN_MAX + SEED_LEN];
	size_t nlen, got = 0;

	if (!k || !nqn || k->len == 0 || k->len > KT_DHCHAP_KEY_MAX || k->hash > 3)
		return -EINVAL;
	if (k->hash == 0) {
		memcpy(out, k->key, k->len);
		*out_len = k->len;
		return 0;
	}
	nlen = strlen(nqn);
	if (nlen == 0 || nlen > NQN_MAX)
		return -EINVAL;
	memcpy(msg, nqn, nlen);
	memcpy(msg + nlen, SEED, SEED_LEN);
	if (!EVP_Q_mac(NULL, "HMAC", NULL, hh_digest(k->hash), NULL, k->key, k->len,
		       msg, nlen + SEED_LEN, out, KT_DHCHAP_KEY_MAX, &got) ||
	    got != hh_key_len(k->hash)) {
		OPENSSL_cleanse(out, KT_DHCHAP_KEY_MAX);
		return -EIO;
	}
	*out_len = got;
	return 0;
}

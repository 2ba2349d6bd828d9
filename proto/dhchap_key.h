/*
 * dhchap_key.h - DH-HMAC-CHAP secrets (proto/dhchap_key.c): the DHHC-1 text
 * that `nvme gen-dhchap-key` writes and nvmet's dhchap_key attributes take,
 * and the key transformation of NVMe Base 2.x "Secret representation":
 *
 *   DHHC-1:hh:<base64 of key || CRC-32(key), little-endian>:
 *
 * hh is 00 (use the key as it is: 32, 48 or 64 bytes) or 01/02/03 (transform
 * it with SHA-256/384/512 before use: a key of 32/48/64 bytes). The
 * transformed key is HMAC-hash(key, NQN || "NVMe-over-Fabrics"), NQN being
 * the NQN of the side that owns the key (host key: host NQN, controller key:
 * subsystem NQN); kt_dhchap_key_transform computes it.
 *
 * Keys are secrets: they never reach a log or a trace, and every copy is
 * wiped (OPENSSL_cleanse) when freed. Parse errors say why in a short string
 * that names no key byte.
 */
#ifndef KATO_PROTO_DHCHAP_KEY_H
#define KATO_PROTO_DHCHAP_KEY_H

#include <stddef.h>
#include <stdint.h>

#define KT_DHCHAP_KEY_MAX 64 /* bytes: the longest key, and SHA-512's output */

struct kt_dhchap_key {
	uint8_t hash;                    /* hh: 0 none, 1 SHA-256, 2 SHA-384, 3 SHA-512 */
	uint8_t len;                     /* 32, 48 or 64 */
	uint8_t key[KT_DHCHAP_KEY_MAX];
};

/* Parses a DHHC-1 secret (nothing may follow the last ':'; the caller trims
 * a trailing newline). On success returns 0 and a key in *out for
 * kt_dhchap_key_free. Otherwise -EINVAL with *why (if why is not NULL) set
 * to a static reason, or -ENOMEM. */
int kt_dhchap_key_parse(const char *secret, struct kt_dhchap_key **out, const char **why);

/* Wipes and frees a key from kt_dhchap_key_parse (NULL is fine). */
void kt_dhchap_key_free(struct kt_dhchap_key *k);

/* The key the responses use: k->key itself when k->hash is 0, otherwise
 * HMAC-hash(k->key, nqn || "NVMe-over-Fabrics") with the hash of k->hash.
 * Writes *out_len bytes (k->len, or the hash length) into out, which holds
 * KT_DHCHAP_KEY_MAX bytes and which the caller wipes after use. Returns 0,
 * -EINVAL (bad key or NQN) or -EIO (OpenSSL failed). */
int kt_dhchap_key_transform(const struct kt_dhchap_key *k, const char *nqn,
			    uint8_t out[KT_DHCHAP_KEY_MAX], size_t *out_len);

#endif

/*
 * tls_psk.h - the pre-shared keys of NVMe/TCP over TLS 1.3 (proto/tls_psk.c):
 * the configured PSK in its interchange format, the retained PSK, the PSK
 * digest, the TLS PSK, and the PSK identity a host sends in its ClientHello.
 * It exists so that the TLS server (the daemon) only has to map an identity
 * to a configured key and hand OpenSSL the bytes this file derives. Pure
 * code: no sockets, no threads, no clock; OpenSSL's libcrypto for HKDF and
 * HMAC. Secrets never leave through an error: every `why` names the rule a
 * string broke, never the bytes.
 *
 * The chain (NVMe/TCP transport specification, TLS PSK and PSK identity
 * derivation; the Linux host and libnvme implement it):
 *
 *   configured PSK  "NVMeTLSkey-1:hh:base64(PSK || CRC-32(PSK) LE):"
 *     hh 00: the configured PSK is the retained PSK (no transform); 32 or
 *            48 bytes, the length picks the hash (32 SHA-256, 48 SHA-384)
 *     hh 01: 32 bytes, transformed with SHA-256
 *     hh 02: 48 bytes, transformed with SHA-384
 *   retained PSK    = HKDF-Expand-Label(HKDF-Extract(0, configured),
 *                                       "HostNQN", hostnqn, L)   (hh 01/02)
 *   PSK digest      = Base64(HMAC-H(retained, hostnqn " " subnqn " "
 *                                   "NVMe-over-Fabrics"))   44 or 64 chars
 *   identity  v0    "NVMe0R<hh> <hostnqn> <subnqn>"
 *             v1    "NVMe1R<hh> <hostnqn> <subnqn> <digest>"
 *   TLS PSK         = HKDF-Expand-Label(HKDF-Extract(0, retained),
 *                                       "nvme-tls-psk", context, L)
 *     context v0: the whole identity; v1: "<hh> <digest>" (two digits, a
 *     space, the digest).
 *
 * H and <hh> in the identity are the cipher suite's hash: hh of the
 * configured key, or for hh 00 the one its length picks. L is the key length
 * (32 or 48), which is always the hash length for a valid key. HKDF-Extract(0,
 * x) is HKDF-Extract with the default all-zero salt of the hash's length.
 *
 * Two forms of HKDF-Expand-Label, because libnvme (which derives the TLS PSK
 * the Linux host uses, and the one the Linux target uses) had the info bytes
 * wrong until 1.16, and hosts still carry keys derived the old way:
 *
 *   KT_TLS_DERIVE_RFC     RFC 8446 section 7.1 HkdfLabel, the info of
 *                         HKDF-Expand is
 *                           uint16 L, big endian
 *                           uint8  len("tls13 " label), "tls13 " label
 *                           uint8  len(context), context
 *                         libnvme 1.16 and later by default (it was merged
 *                         before 1.15 and reverted in 1.15); the kernel's
 *                         secure concatenation (generated PSKs) has always
 *                         used this form (nvme_auth_derive_tls_psk).
 *   KT_TLS_DERIVE_COMPAT  libnvme up to 1.15 (since it added the length,
 *                         late 2023, and "<hh> <digest>" as v1 context, mid
 *                         2024), and 1.16's *_compat functions; the info of
 *                         HKDF-Expand is
 *                           uint16 L, little endian (host order, x86)
 *                           "tls13 " label         (no length byte)
 *                           context                (no length byte)
 *                         Up to 1.15 libnvme gave OpenSSL these pieces in
 *                         separate EVP_PKEY_CTX_add1_hkdf_info calls; built
 *                         against OpenSSL before 3.3.1 that kept only the
 *                         last piece. That third form is not supported.
 *
 * Both forms apply to both steps (retained PSK and TLS PSK), so with hh 01/02
 * the retained PSK, and so the version-1 digest, differ between them: a v1
 * identity's digest tells which form the host used. With hh 00, or with a v0
 * identity, nothing in the identity tells them apart and the server must be
 * told (kt_tls_psk_for_identity takes the allowed forms in order).
 * Which host uses which: Debian 12 (bookworm, libnvme 1.3, kernel 6.1) has no
 * NVMe/TCP TLS at all (libnvme gained TLS keys in 1.4, the kernel in 6.7);
 * Debian 13 (trixie, libnvme 1.13, OpenSSL 3.5) derives COMPAT; libnvme
 * 1.16+ (sid's nvme-cli 2.16) derives RFC unless told to use the compat
 * functions. libnvme before 1.7 left the length out and before 1.10 used the
 * whole v1 identity as context: neither is supported here.
 *
 * Generated PSKs (secure concatenation: DH-HMAC-CHAP first, then TLS on the
 * same connection; identity "NVMe1G<hh> <hostnqn> <subnqn> <digest>"):
 *   generated PSK = HMAC-H(KS, C1 || C2), H the DH-HMAC-CHAP hash,
 *   digest and TLS PSK as above from the generated PSK, always the RFC form.
 * KS is the raw DH shared secret (g^xy mod p, the group's size, as the
 * kernel's nvme_auth_gen_shared_secret gives it: the value whose hash keys
 * the augmented challenge), C1 the controller's challenge, C2 the host's,
 * each hash-length bytes. As the kernel target does (nvmet_auth_insert_psk).
 */
#ifndef KATO_PROTO_TLS_PSK_H
#define KATO_PROTO_TLS_PSK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/model.h" /* KT_NQN_MAX */

/* Hash identifiers, as hh in keys and identities. */
enum kt_tls_hash {
	KT_TLS_HASH_NONE = 0,    /* only as a configured key's hh: no transform */
	KT_TLS_HASH_SHA256 = 1,  /* TLS_AES_128_GCM_SHA256 */
	KT_TLS_HASH_SHA384 = 2,  /* TLS_AES_256_GCM_SHA384 */
};

/* Forms of HKDF-Expand-Label (see above), as bits so that a set can be
 * allowed. */
enum kt_tls_derive {
	KT_TLS_DERIVE_RFC = 1u << 0,
	KT_TLS_DERIVE_COMPAT = 1u << 1,
};

#define KT_TLS_PSK_MAX 48
/* The longest PSK digest: Base64 of 48 bytes. */
#define KT_TLS_DIGEST_MAX 64
/* The longest identity: "NVMe1R02 " host " " sub " " digest, NUL not counted. */
#define KT_TLS_IDENTITY_MAX (9 + KT_NQN_MAX + 1 + KT_NQN_MAX + 1 + KT_TLS_DIGEST_MAX)
/* The longest interchange string: prefix and hh, 48 key bytes and CRC in Base64, ":",
 * NUL not counted. */
#define KT_TLS_KEY_STR_MAX (16 + 72 + 1)

/* A configured PSK, as parsed from the interchange format. */
struct kt_tls_key {
	uint8_t hh;                    /* enum kt_tls_hash: the retained-PSK transform */
	uint8_t len;                   /* 32 or 48 */
	uint8_t psk[KT_TLS_PSK_MAX];
};

/* Parses len bytes of str (no NUL needed; a trailing newline is not
 * accepted) as "NVMeTLSkey-1:hh:<base64>:". Returns 0 or -EINVAL with *why
 * set to a constant string naming the broken rule (never key bytes). On error
 * key is cleared. */
int kt_tls_key_parse(struct kt_tls_key *key, const char *str, size_t len, const char **why);
/* Writes the interchange string of key into out (outsz bytes, NUL included).
 * Returns its length or -EINVAL (bad hh/len), -ENOSPC. */
int kt_tls_key_format(const struct kt_tls_key *key, char *out, size_t outsz);
/* Forgets a key (OPENSSL_cleanse). */
void kt_tls_key_clear(struct kt_tls_key *key);
/* The cipher suite hash a configured key implies: its hh, or for hh 00 the
 * one its length picks. */
enum kt_tls_hash kt_tls_key_hash(const struct kt_tls_key *key);

/* The retained PSK of a configured key for hostnqn, key->len bytes into
 * out (KT_TLS_PSK_MAX). hh 00: a copy. Returns 0, -EINVAL, -ENOMEM, -EIO. */
int kt_tls_retained_psk(enum kt_tls_derive form, const struct kt_tls_key *key,
			const char *hostnqn, uint8_t *out);

/* The PSK digest: Base64(HMAC-hash(psk, hostnqn " " subnqn " NVMe-over-Fabrics"))
 * into out (outsz bytes, NUL included; KT_TLS_DIGEST_MAX + 1 is enough).
 * Returns its length (44 or 64) or a negative errno. */
int kt_tls_psk_digest(enum kt_tls_hash hash, const uint8_t *psk, size_t psk_len,
		      const char *hostnqn, const char *subnqn, char *out, size_t outsz);

/* The TLS PSK from an input PSK (retained or generated) and the derivation
 * context (the v0 identity, or "<hh> <digest>" for v1), len bytes into out.
 * The info is built in one buffer and given to OpenSSL once (OpenSSL before
 * 3.3.1 replaced rather than appended on repeated EVP_PKEY_CTX_add1_hkdf_info).
 * Returns 0 or -EINVAL (context too long for the form: RFC 255 bytes,
 * COMPAT 256 as libnvme), -ENOMEM, -EIO. */
int kt_tls_derive_psk(enum kt_tls_derive form, enum kt_tls_hash hash, const uint8_t *in,
		      size_t len, const char *context, size_t ctx_len, uint8_t *out);

/* A PSK identity as a host sends it. */
struct kt_tls_identity {
	uint8_t version;               /* 0 or 1 */
	char type;                     /* 'R' retained, 'G' generated (version 1 only) */
	uint8_t hash;                  /* enum kt_tls_hash, 1 or 2 */
	char hostnqn[KT_NQN_MAX + 1];
	char subnqn[KT_NQN_MAX + 1];
	char digest[KT_TLS_DIGEST_MAX + 1]; /* version 1: 44 (SHA-256) or 64 chars */
	uint8_t digest_len;            /* 0 for version 0 */
};

/* Parses len bytes of buf, a PSK identity from the wire (attacker
 * controlled: may hold any bytes, NULs included, and is not NUL-terminated).
 * Accepts exactly "NVMe" v type hh " " hostnqn " " subnqn [" " digest] with
 * v 0 or 1, type 'R' (or 'G' with v 1), hh "01" or "02", NQNs of 1 to
 * KT_NQN_MAX printable non-space ASCII bytes, and for v 1 a digest of strict
 * Base64 decoding to the hash's length. Returns 0 or -EINVAL with *why. */
int kt_tls_identity_parse(struct kt_tls_identity *id, const void *buf, size_t len,
			  const char **why);
/* Writes the identity string of id into out (outsz bytes, NUL included).
 * Returns its length, -EINVAL for fields parse would refuse, -ENOSPC. */
int kt_tls_identity_format(const struct kt_tls_identity *id, char *out, size_t outsz);

/* What the TLS server hands OpenSSL for one identity. */
struct kt_tls_psk {
	uint8_t hash;                  /* enum kt_tls_hash: the cipher suite's */
	uint8_t len;
	uint8_t key[KT_TLS_PSK_MAX];
	uint8_t form;                  /* the enum kt_tls_derive that produced it */
	bool ambiguous;                /* another allowed form would have fit too */
};

/* The TLS PSK for a retained-PSK identity (type 'R') the host sent, given
 * the configured key the server holds for (id->hostnqn, id->subnqn).
 * forms is a set of enum kt_tls_derive bits; when both are allowed, prefer
 * says which is tried first (KT_TLS_DERIVE_RFC or KT_TLS_DERIVE_COMPAT).
 * For a v1 identity the digest must match the one the form derives
 * (compared in constant time): that picks the form when the key is
 * transformed (hh 01/02). When nothing tells the forms apart (v0, or hh 00)
 * the preferred allowed form is used and out->ambiguous says so.
 * Returns 0, -ENOKEY (the identity's hash is not the key's, no allowed form
 * gives its digest, or the identity is a generated one: those come from a
 * DH-HMAC-CHAP session, see kt_tls_psk_from_generated), -EINVAL (bad
 * arguments), -ENOMEM, -EIO; *why set on failure. out is cleared on failure;
 * the caller clears it (kt_tls_psk_clear) once OpenSSL has its copy. */
int kt_tls_psk_for_identity(const struct kt_tls_identity *id, const struct kt_tls_key *key,
			    unsigned int forms, enum kt_tls_derive prefer,
			    struct kt_tls_psk *out, const char **why);
void kt_tls_psk_clear(struct kt_tls_psk *psk);

/* Secure concatenation: the generated PSK HMAC-hash(session_key, c1 || c2),
 * c1 and c2 being the hash's length each, into out (the hash's length).
 * Returns 0 or a negative errno. */
int kt_tls_generated_psk(enum kt_tls_hash hash, const uint8_t *session_key, size_t skey_len,
			 const uint8_t *c1, const uint8_t *c2, uint8_t *out);
/* From a generated PSK (the hash's length): the identity
 * "NVMe1G<hh> <hostnqn> <subnqn> <digest>" into identity (identity_sz bytes,
 * NUL included) and the TLS PSK (RFC form) into out. Returns 0 or a negative
 * errno. */
int kt_tls_psk_from_generated(enum kt_tls_hash hash, const uint8_t *gen_psk,
			      const char *hostnqn, const char *subnqn,
			      char *identity, size_t identity_sz, struct kt_tls_psk *out);

#endif

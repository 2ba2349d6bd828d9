/*
 * tls_psk.c - NVMe/TCP TLS pre-shared keys: the interchange format, the
 * retained PSK, PSK digest and TLS PSK derivations in both HKDF-Expand-Label
 * forms, PSK identities, and the look-up the TLS server makes for an
 * identity. Formulas and byte layouts are in proto/tls_psk.h.
 *
 * OpenSSL does the hashing: HMAC through EVP_MAC, HKDF through EVP_KDF with
 * the whole info given once (OSSL_KDF_PARAM_INFO in one parameter), which
 * sidesteps the EVP_PKEY_CTX_add1_hkdf_info bug of OpenSSL before 3.3.1.
 * Every buffer that held key material is cleansed before it goes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "proto/b64.h"
#include "proto/crc32.h"
#include "proto/tls_psk.h"

#define KEY_PREFIX "NVMeTLSkey-1:"
#define KEY_PREFIX_LEN (sizeof(KEY_PREFIX) - 1)
#define HMAC_SEED " NVMe-over-Fabrics"
/* libnvme's limit on a COMPAT context (its HKDF_INFO_CONTEXT_MAX) */
#define COMPAT_CTX_MAX 256
/* the info buffer: 2 + 1 + "tls13 " + label (255 at most) + 1 + context */
#define INFO_MAX (2 + 1 + 255 + 1 + COMPAT_CTX_MAX)

static const char *digest_name(enum kt_tls_hash hash)
{
	switch (hash) {
	case KT_TLS_HASH_SHA256:
		return OSSL_DIGEST_NAME_SHA2_256;
	case KT_TLS_HASH_SHA384:
		return OSSL_DIGEST_NAME_SHA2_384;
	default:
		return NULL;
	}
}

static size_t hash_len(enum kt_tls_hash hash)
{
	return hash == KT_TLS_HASH_SHA256 ? 32 : hash == KT_TLS_HASH_SHA384 ? 48 : 0;
}

struct part {
	const void *p;
	size_t n;
};

/* out = HMAC-hash(key, parts...), hash_len(hash) bytes. */
static int hmac_parts(enum kt_tls_hash hash, const uint8_t *key, size_t key_len,
		      const struct part *parts, size_t nparts, uint8_t *out)
{
	const char *dname = digest_name(hash);
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx = NULL;
	size_t outl = 0, i;
	int rc = -EIO;

	if (!dname)
		return -EINVAL;
	mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	if (!mac)
		return -EIO;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx) {
		rc = -ENOMEM;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)dname, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key, key_len, params))
		goto out;
	for (i = 0; i < nparts; i++)
		if (parts[i].n && !EVP_MAC_update(ctx, parts[i].p, parts[i].n))
			goto out;
	if (!EVP_MAC_final(ctx, out, &outl, hash_len(hash)) || outl != hash_len(hash))
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx); /* cleanses its key schedule */
	EVP_MAC_free(mac);
	return rc;
}

/* out = HKDF-Expand(HKDF-Extract(0, ikm), info, out_len) with hash. */
static int hkdf(enum kt_tls_hash hash, const uint8_t *ikm, size_t ikm_len, const uint8_t *info,
		size_t info_len, uint8_t *out, size_t out_len)
{
	const char *dname = digest_name(hash);
	OSSL_PARAM params[4];
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx = NULL;
	int rc = -EIO;

	if (!dname)
		return -EINVAL;
	kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
	if (!kdf)
		return -EIO;
	ctx = EVP_KDF_CTX_new(kdf);
	if (!ctx) {
		rc = -ENOMEM;
		goto out;
	}
	/* No salt: HKDF-Extract then uses the empty salt, which as an HMAC
	 * key is the same as the hash's length of zero bytes. */
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)dname, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
	params[3] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, out_len, params) <= 0)
		goto out;
	rc = 0;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

/* The info bytes of HKDF-Expand-Label(., label, context, L) in form. */
static int expand_label_info(enum kt_tls_derive form, size_t L, const char *label,
			     const char *context, size_t ctx_len, uint8_t *info, size_t *info_len)
{
	static const char prefix[] = "tls13 ";
	size_t lab_len = sizeof(prefix) - 1 + strlen(label);
	size_t n = 0;

	if (L > 0xffff || lab_len > 255)
		return -EINVAL;
	switch (form) {
	case KT_TLS_DERIVE_RFC:
		if (ctx_len > 255)
			return -EINVAL;
		info[n++] = (uint8_t)(L >> 8);
		info[n++] = (uint8_t)L;
		info[n++] = (uint8_t)lab_len;
		break;
	case KT_TLS_DERIVE_COMPAT:
		if (ctx_len > COMPAT_CTX_MAX)
			return -EINVAL;
		info[n++] = (uint8_t)L;
		info[n++] = (uint8_t)(L >> 8);
		break;
	default:
		return -EINVAL;
	}
	memcpy(info + n, prefix, sizeof(prefix) - 1);
	n += sizeof(prefix) - 1;
	memcpy(info + n, label, strlen(label));
	n += strlen(label);
	if (form == KT_TLS_DERIVE_RFC)
		info[n++] = (uint8_t)ctx_len;
	memcpy(info + n, context, ctx_len);
	*info_len = n + ctx_len;
	return 0;
}

static int expand_label(enum kt_tls_derive form, enum kt_tls_hash hash, const uint8_t *in,
			size_t len, const char *label, const char *context, size_t ctx_len,
			uint8_t *out)
{
	uint8_t info[INFO_MAX];
	size_t info_len;
	int rc;

	rc = expand_label_info(form, len, label, context, ctx_len, info, &info_len);
	if (rc)
		return rc;
	return hkdf(hash, in, len, info, info_len, out, len);
}

/* ---- configured keys ---- */

void kt_tls_key_clear(struct kt_tls_key *key)
{
	OPENSSL_cleanse(key, sizeof(*key));
}

enum kt_tls_hash kt_tls_key_hash(const struct kt_tls_key *key)
{
	if (key->hh != KT_TLS_HASH_NONE)
		return key->hh;
	return key->len == 32 ? KT_TLS_HASH_SHA256 : KT_TLS_HASH_SHA384;
}

static bool key_shape_ok(unsigned int hh, size_t len)
{
	switch (hh) {
	case KT_TLS_HASH_NONE:
		return len == 32 || len == 48;
	case KT_TLS_HASH_SHA256:
		return len == 32;
	case KT_TLS_HASH_SHA384:
		return len == 48;
	default:
		return false;
	}
}

static int key_fail(struct kt_tls_key *key, const char **why, const char *reason)
{
	kt_tls_key_clear(key);
	if (why)
		*why = reason;
	return -EINVAL;
}

int kt_tls_key_parse(struct kt_tls_key *key, const char *str, size_t len, const char **why)
{
	uint8_t raw[KT_TLS_PSK_MAX + 4 + 3]; /* decode may need the slack of a full group */
	const char *b64;
	size_t b64_len, klen;
	unsigned int hh;
	uint32_t crc;
	int n;

	memset(key, 0, sizeof(*key));
	if (len < KEY_PREFIX_LEN || memcmp(str, KEY_PREFIX, KEY_PREFIX_LEN) != 0)
		return key_fail(key, why, "not an NVMe TLS PSK (\"NVMeTLSkey-1:\" expected)");
	str += KEY_PREFIX_LEN;
	len -= KEY_PREFIX_LEN;
	if (len < 3 || str[0] != '0' || str[1] < '0' || str[1] > '2' || str[2] != ':')
		return key_fail(key, why, "hash indicator must be 00, 01 or 02");
	hh = (unsigned int)(str[1] - '0');
	b64 = str + 3;
	b64_len = len - 3;
	if (b64_len == 0 || b64[b64_len - 1] != ':')
		return key_fail(key, why, "key must end with ':'");
	b64_len--;
	if (memchr(b64, ':', b64_len))
		return key_fail(key, why, "unexpected ':' inside the key");
	if (b64_len != KT_B64_ENC_LEN(32 + 4) && b64_len != KT_B64_ENC_LEN(48 + 4))
		return key_fail(key, why, "key must be 32 or 48 bytes with a CRC-32");
	n = kt_b64_decode(b64, b64_len, raw, sizeof(raw));
	if (n < 0) {
		OPENSSL_cleanse(raw, sizeof(raw));
		return key_fail(key, why, "key is not valid Base64");
	}
	if (n != 32 + 4 && n != 48 + 4) {
		OPENSSL_cleanse(raw, sizeof(raw));
		return key_fail(key, why, "key must be 32 or 48 bytes with a CRC-32");
	}
	klen = (size_t)n - 4;
	if (!key_shape_ok(hh, klen)) {
		OPENSSL_cleanse(raw, sizeof(raw));
		return key_fail(key, why, "key length does not fit the hash (01: 32 bytes, 02: 48)");
	}
	crc = (uint32_t)raw[klen] | (uint32_t)raw[klen + 1] << 8 |
	      (uint32_t)raw[klen + 2] << 16 | (uint32_t)raw[klen + 3] << 24;
	if (crc != kt_crc32(raw, klen)) {
		OPENSSL_cleanse(raw, sizeof(raw));
		return key_fail(key, why, "CRC-32 of the key does not match");
	}
	key->hh = (uint8_t)hh;
	key->len = (uint8_t)klen;
	memcpy(key->psk, raw, klen);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

int kt_tls_key_format(const struct kt_tls_key *key, char *out, size_t outsz)
{
	uint8_t raw[KT_TLS_PSK_MAX + 4];
	uint32_t crc;
	int n;

	if (!key_shape_ok(key->hh, key->len))
		return -EINVAL;
	if (outsz < KEY_PREFIX_LEN + 3 + KT_B64_ENC_LEN((size_t)key->len + 4) + 2)
		return -ENOSPC;
	memcpy(raw, key->psk, key->len);
	crc = kt_crc32(key->psk, key->len);
	raw[key->len] = (uint8_t)crc;
	raw[key->len + 1] = (uint8_t)(crc >> 8);
	raw[key->len + 2] = (uint8_t)(crc >> 16);
	raw[key->len + 3] = (uint8_t)(crc >> 24);
	n = snprintf(out, outsz, KEY_PREFIX "%02u:", (unsigned int)key->hh);
	n += kt_b64_encode(raw, (size_t)key->len + 4, out + n, outsz - (size_t)n);
	OPENSSL_cleanse(raw, sizeof(raw));
	out[n++] = ':';
	out[n] = '\0';
	return n;
}

/* ---- derivations ---- */

int kt_tls_retained_psk(enum kt_tls_derive form, const struct kt_tls_key *key,
			const char *hostnqn, uint8_t *out)
{
	if (!key_shape_ok(key->hh, key->len) || !hostnqn)
		return -EINVAL;
	if (key->hh == KT_TLS_HASH_NONE) {
		memcpy(out, key->psk, key->len);
		return 0;
	}
	return expand_label(form, key->hh, key->psk, key->len, "HostNQN", hostnqn,
			    strlen(hostnqn), out);
}

int kt_tls_psk_digest(enum kt_tls_hash hash, const uint8_t *psk, size_t psk_len,
		      const char *hostnqn, const char *subnqn, char *out, size_t outsz)
{
	uint8_t mac[KT_TLS_PSK_MAX];
	struct part parts[] = {
		{ hostnqn, strlen(hostnqn) }, { " ", 1 },
		{ subnqn, strlen(subnqn) }, { HMAC_SEED, sizeof(HMAC_SEED) - 1 },
	};
	int rc;

	rc = hmac_parts(hash, psk, psk_len, parts, 4, mac);
	if (rc == 0)
		rc = kt_b64_encode(mac, hash_len(hash), out, outsz);
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int kt_tls_derive_psk(enum kt_tls_derive form, enum kt_tls_hash hash, const uint8_t *in,
		      size_t len, const char *context, size_t ctx_len, uint8_t *out)
{
	if (!hash_len(hash) || len == 0 || len > KT_TLS_PSK_MAX)
		return -EINVAL;
	return expand_label(form, hash, in, len, "nvme-tls-psk", context, ctx_len, out);
}

/* ---- identities ---- */

static bool nqn_byte(unsigned char c)
{
	return c > ' ' && c < 0x7f;
}

/* The length of the NQN at p (up to the next space or the end), 0 if it
 * has a byte an NQN may not have here or is longer than KT_NQN_MAX. */
static size_t nqn_span(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len && p[i] != ' '; i++)
		if (!nqn_byte(p[i]) || i == KT_NQN_MAX)
			return 0;
	return i;
}

static int id_fail(struct kt_tls_identity *id, const char **why, const char *reason)
{
	memset(id, 0, sizeof(*id));
	if (why)
		*why = reason;
	return -EINVAL;
}

int kt_tls_identity_parse(struct kt_tls_identity *id, const void *buf, size_t len,
			  const char **why)
{
	const unsigned char *p = buf;
	uint8_t raw[KT_B64_DEC_MAX(KT_TLS_DIGEST_MAX)];
	size_t n, dlen;
	int dec;

	memset(id, 0, sizeof(*id));
	if (len < 9 || memcmp(p, "NVMe", 4) != 0)
		return id_fail(id, why, "identity does not start with \"NVMe\"");
	if (p[4] != '0' && p[4] != '1')
		return id_fail(id, why, "unknown identity version");
	if (p[5] != 'R' && p[5] != 'G')
		return id_fail(id, why, "unknown PSK type (R or G expected)");
	if (p[5] == 'G' && p[4] == '0')
		return id_fail(id, why, "a generated PSK identity must be version 1");
	if (p[6] != '0' || (p[7] != '1' && p[7] != '2'))
		return id_fail(id, why, "unknown hash (01 or 02 expected)");
	if (p[8] != ' ')
		return id_fail(id, why, "space expected after the identity prefix");
	id->version = (uint8_t)(p[4] - '0');
	id->type = (char)p[5];
	id->hash = (uint8_t)(p[7] - '0');
	p += 9;
	len -= 9;

	n = nqn_span(p, len);
	if (n == 0)
		return id_fail(id, why, "bad host NQN (empty, too long, or a byte not allowed)");
	memcpy(id->hostnqn, p, n);
	p += n;
	len -= n;
	if (len == 0 || *p != ' ')
		return id_fail(id, why, "subsystem NQN missing");
	p++;
	len--;

	n = nqn_span(p, len);
	if (n == 0)
		return id_fail(id, why, "bad subsystem NQN (empty, too long, or a byte not allowed)");
	memcpy(id->subnqn, p, n);
	p += n;
	len -= n;

	if (id->version == 0) {
		if (len != 0)
			return id_fail(id, why, "extra data after the subsystem NQN");
		return 0;
	}
	if (len == 0 || *p != ' ')
		return id_fail(id, why, "PSK digest missing");
	p++;
	len--;
	dlen = KT_B64_ENC_LEN(hash_len(id->hash));
	if (len != dlen)
		return id_fail(id, why, "PSK digest has the wrong length for its hash");
	dec = kt_b64_decode((const char *)p, len, raw, sizeof(raw));
	if (dec != (int)hash_len(id->hash))
		return id_fail(id, why, "PSK digest is not valid Base64");
	memcpy(id->digest, p, len);
	id->digest_len = (uint8_t)len;
	return 0;
}

static bool nqn_ok(const char *nqn)
{
	size_t n = strnlen(nqn, KT_NQN_MAX + 1);

	return n >= 1 && n <= KT_NQN_MAX && nqn_span((const unsigned char *)nqn, n) == n;
}

int kt_tls_identity_format(const struct kt_tls_identity *id, char *out, size_t outsz)
{
	int n;

	if (id->version > 1 || (id->type != 'R' && id->type != 'G') ||
	    (id->type == 'G' && id->version == 0) || !hash_len(id->hash) ||
	    !nqn_ok(id->hostnqn) || !nqn_ok(id->subnqn))
		return -EINVAL;
	if (id->version == 0)
		n = snprintf(out, outsz, "NVMe0%c%02u %s %s", id->type, (unsigned int)id->hash,
			     id->hostnqn, id->subnqn);
	else {
		if (id->digest_len != KT_B64_ENC_LEN(hash_len(id->hash)) ||
		    strnlen(id->digest, sizeof(id->digest)) != id->digest_len)
			return -EINVAL;
		n = snprintf(out, outsz, "NVMe1%c%02u %s %s %s", id->type, (unsigned int)id->hash,
			     id->hostnqn, id->subnqn, id->digest);
	}
	if (n < 0 || (size_t)n >= outsz)
		return -ENOSPC;
	return n;
}

/* The TLS PSK derivation context of id: the identity (v0) or "<hh> <digest>". */
static int id_context(const struct kt_tls_identity *id, char *out, size_t outsz)
{
	int n;

	if (id->version == 0)
		return kt_tls_identity_format(id, out, outsz);
	n = snprintf(out, outsz, "%02u %s", (unsigned int)id->hash, id->digest);
	return n < 0 || (size_t)n >= outsz ? -ENOSPC : n;
}

/* ---- the server's look-up ---- */

void kt_tls_psk_clear(struct kt_tls_psk *psk)
{
	OPENSSL_cleanse(psk, sizeof(*psk));
}

static int psk_fail(struct kt_tls_psk *out, const char **why, int rc, const char *reason)
{
	kt_tls_psk_clear(out);
	if (why)
		*why = reason;
	return rc;
}

int kt_tls_psk_for_identity(const struct kt_tls_identity *id, const struct kt_tls_key *key,
			    unsigned int forms, enum kt_tls_derive prefer,
			    struct kt_tls_psk *out, const char **why)
{
	const enum kt_tls_derive all = KT_TLS_DERIVE_RFC | KT_TLS_DERIVE_COMPAT;
	enum kt_tls_derive order[2];
	uint8_t retained[KT_TLS_PSK_MAX];
	char ctx[KT_TLS_IDENTITY_MAX + 1];
	char dig[KT_TLS_DIGEST_MAX + 1];
	enum kt_tls_hash hash;
	bool found = false;
	int ctx_len, rc = 0, i;

	kt_tls_psk_clear(out);
	if ((forms & all) == 0 || (forms & ~(unsigned int)all) ||
	    (prefer != KT_TLS_DERIVE_RFC && prefer != KT_TLS_DERIVE_COMPAT) ||
	    !key_shape_ok(key->hh, key->len))
		return psk_fail(out, why, -EINVAL, "bad arguments");
	if (id->type != 'R')
		return psk_fail(out, why, -ENOKEY,
				"generated PSK identity: its PSK comes from a DH-HMAC-CHAP session");
	hash = kt_tls_key_hash(key);
	if (id->hash != hash)
		return psk_fail(out, why, -ENOKEY,
				"identity hash is not the one the configured key implies");
	ctx_len = id_context(id, ctx, sizeof(ctx));
	if (ctx_len < 0)
		return psk_fail(out, why, -EINVAL, "identity cannot be formatted");

	order[0] = prefer;
	order[1] = prefer == KT_TLS_DERIVE_RFC ? KT_TLS_DERIVE_COMPAT : KT_TLS_DERIVE_RFC;
	for (i = 0; i < 2; i++) {
		if (!(forms & order[i]))
			continue;
		rc = kt_tls_retained_psk(order[i], key, id->hostnqn, retained);
		if (rc)
			break;
		if (id->version == 1) {
			rc = kt_tls_psk_digest(hash, retained, key->len, id->hostnqn, id->subnqn,
					       dig, sizeof(dig));
			if (rc < 0)
				break;
			rc = 0;
			if (strlen(dig) != id->digest_len ||
			    CRYPTO_memcmp(dig, id->digest, id->digest_len) != 0)
				continue;
		}
		if (found) {
			out->ambiguous = true;
			break;
		}
		rc = kt_tls_derive_psk(order[i], hash, retained, key->len, ctx, (size_t)ctx_len,
				       out->key);
		if (rc)
			break;
		out->hash = (uint8_t)hash;
		out->len = key->len;
		out->form = (uint8_t)order[i];
		found = true;
	}
	OPENSSL_cleanse(retained, sizeof(retained));
	if (rc)
		return psk_fail(out, why, rc, rc == -EINVAL ? "identity too long for the derivation"
							    : "key derivation failed");
	if (!found)
		return psk_fail(out, why, -ENOKEY,
				"PSK digest matches no allowed derivation of the configured key");
	return 0;
}

int kt_tls_generated_psk(enum kt_tls_hash hash, const uint8_t *session_key, size_t skey_len,
			 const uint8_t *c1, const uint8_t *c2, uint8_t *out)
{
	struct part parts[] = { { c1, hash_len(hash) }, { c2, hash_len(hash) } };

	if (!hash_len(hash) || !session_key || !skey_len || !c1 || !c2)
		return -EINVAL;
	return hmac_parts(hash, session_key, skey_len, parts, 2, out);
}

int kt_tls_psk_from_generated(enum kt_tls_hash hash, const uint8_t *gen_psk,
			      const char *hostnqn, const char *subnqn,
			      char *identity, size_t identity_sz, struct kt_tls_psk *out)
{
	struct kt_tls_identity id;
	char ctx[4 + KT_TLS_DIGEST_MAX];
	int rc, n;

	kt_tls_psk_clear(out);
	memset(&id, 0, sizeof(id));
	if (!hash_len(hash) || !nqn_ok(hostnqn) || !nqn_ok(subnqn))
		return -EINVAL;
	id.version = 1;
	id.type = 'G';
	id.hash = (uint8_t)hash;
	strcpy(id.hostnqn, hostnqn);
	strcpy(id.subnqn, subnqn);
	rc = kt_tls_psk_digest(hash, gen_psk, hash_len(hash), hostnqn, subnqn, id.digest,
			       sizeof(id.digest));
	if (rc < 0)
		return rc;
	id.digest_len = (uint8_t)rc;
	rc = kt_tls_identity_format(&id, identity, identity_sz);
	if (rc < 0)
		return rc;
	n = id_context(&id, ctx, sizeof(ctx));
	if (n < 0)
		return n;
	rc = kt_tls_derive_psk(KT_TLS_DERIVE_RFC, hash, gen_psk, hash_len(hash), ctx,
			       (size_t)n, out->key);
	if (rc) {
		kt_tls_psk_clear(out);
		return rc;
	}
	out->hash = (uint8_t)hash;
	out->len = (uint8_t)hash_len(hash);
	out->form = KT_TLS_DERIVE_RFC;
	return 0;
}

/*
 * test_tls_psk.c - NVMe/TCP TLS PSKs (proto/tls_psk.c), byte by byte: the
 * interchange format, retained PSK, PSK digest, TLS PSK in both derivation
 * forms, identities (hostile ones included), the server's look-up, and
 * secure concatenation's generated PSK. (Base64 and CRC-32: test_b64.c.)
 *
 * Where the expected values come from:
 *  - libnvme's test/psk.c (published): the interchange strings of its 32- and
 *    48-byte PSK and the version-1 identities (hence the retained PSK and the
 *    PSK digest) for nqn.psk-test-host / nqn.psk-test-subsys in both the RFC
 *    and the compat derivation;
 *  - everything else (retained PSKs, TLS PSKs, identities of our own inputs,
 *    the TLS PSKs of libnvme's inputs, secure concatenation) is computed by
 *    tests/unit/vectors/tls_psk_vectors.py from the formulas with Python's
 *    hashlib/hmac/base64/zlib and cryptography's HKDF, after it checked
 *    itself against libnvme's vectors: tests/unit/vectors/tls_psk_vectors.h.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "proto/tls_psk.h"
#include "tests/unit/vectors/tls_psk_vectors.h"

/* libnvme test/psk.c */
static const uint8_t l_psk32[32] = {
	0x55, 0x12, 0xDB, 0xB6, 0x73, 0x7D, 0x01, 0x06, 0xF6, 0x59, 0x75, 0xB7, 0x73, 0xDF, 0xB0, 0x11,
	0xFF, 0xC3, 0x44, 0xBC, 0xF4, 0x42, 0xE2, 0xDD, 0x6D, 0x8B, 0xC4, 0x87, 0x0B, 0x5D, 0x5B, 0x03,
};
static const uint8_t l_psk48[48] = {
	0x55, 0x12, 0xDB, 0xB6, 0x73, 0x7D, 0x01, 0x06, 0xF6, 0x59, 0x75, 0xB7, 0x73, 0xDF, 0xB0, 0x11,
	0xFF, 0xC3, 0x44, 0xBC, 0xF4, 0x42, 0xE2, 0xDD, 0x6D, 0x8B, 0xC4, 0x87, 0x0B, 0x5D, 0x5B, 0x03,
	0xFF, 0xC3, 0x44, 0xBC, 0xF4, 0x42, 0xE2, 0xDD, 0x6D, 0x8B, 0xC4, 0x87, 0x0B, 0x5D, 0x5B, 0x03,
};
static const char l_key00[] = "NVMeTLSkey-1:00:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:";
static const char l_key01[] = "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:";
static const char l_key02[] =
	"NVMeTLSkey-1:02:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwP/w0S89ELi3W2LxIcLXVsDn8kXZQ==:";
static const char l_host[] = "nqn.psk-test-host";
static const char l_sub[] = "nqn.psk-test-subsys";
static const char l_id_rfc01[] = "NVMe1R01 nqn.psk-test-host nqn.psk-test-subsys "
				 "iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU=";
static const char l_id_rfc02[] = "NVMe1R02 nqn.psk-test-host nqn.psk-test-subsys "
				 "QhW2+Rp6RzHlNtCslyRxMnwJ11tKKhz8JCAQpQ+XUD8f9td1VeH5h53yz2wKJG1a";
static const char l_id_compat01[] = "NVMe1R01 nqn.psk-test-host nqn.psk-test-subsys "
				    "66GuqV08TsAGII39teWUfwQwizjv06Jy8jOcX3NAAzM=";
static const char l_id_compat02[] = "NVMe1R02 nqn.psk-test-host nqn.psk-test-subsys "
				    "RsKmYJ3nAn1ApjjMloJFbAkLPivONDAX/xW327YBUsn2eGShXSjCZvBaOxscLqmz";

static const struct kt_tls_key zero_key;

static struct kt_tls_key parse_key(const char *s)
{
	struct kt_tls_key k;
	const char *why = NULL;

	assert_int_equal(kt_tls_key_parse(&k, s, strlen(s), &why), 0);
	return k;
}

static struct kt_tls_identity parse_id(const char *s)
{
	struct kt_tls_identity id;
	const char *why = NULL;
	int rc = kt_tls_identity_parse(&id, s, strlen(s), &why);

	if (rc)
		fail_msg("identity refused (%s): %s", why, s);
	return id;
}

/* ---- interchange format ---- */

static void check_key(const char *s, unsigned int hh, const uint8_t *psk, size_t len,
		      enum kt_tls_hash hash)
{
	struct kt_tls_key k = parse_key(s);
	char out[KT_TLS_KEY_STR_MAX + 1];

	assert_int_equal(k.hh, hh);
	assert_int_equal(k.len, len);
	assert_memory_equal(k.psk, psk, len);
	assert_int_equal(kt_tls_key_hash(&k), hash);
	assert_int_equal(kt_tls_key_format(&k, out, sizeof(out)), (int)strlen(s));
	assert_string_equal(out, s);
	assert_int_equal(kt_tls_key_format(&k, out, strlen(s)), -ENOSPC);
	kt_tls_key_clear(&k);
	assert_memory_equal(&k, &zero_key, sizeof(k));
}

static void test_key_published(void **state)
{
	(void)state;
	check_key(l_key00, 0, l_psk32, 32, KT_TLS_HASH_SHA256);
	check_key(l_key01, 1, l_psk32, 32, KT_TLS_HASH_SHA256);
	check_key(l_key02, 2, l_psk48, 48, KT_TLS_HASH_SHA384);
}

static void test_key_ours(void **state)
{
	(void)state;
	check_key(v_key_00_32, 0, v_psk32, 32, KT_TLS_HASH_SHA256);
	check_key(v_key_01, 1, v_psk32, 32, KT_TLS_HASH_SHA256);
	check_key(v_key_02, 2, v_psk48, 48, KT_TLS_HASH_SHA384);
	check_key(v_key_00_48, 0, v_psk48, 48, KT_TLS_HASH_SHA384);
}

static void expect_key_refused(const char *s, size_t len)
{
	struct kt_tls_key k;
	const char *why = NULL;

	memset(&k, 0xa5, sizeof(k));
	if (kt_tls_key_parse(&k, s, len, &why) != -EINVAL)
		fail_msg("accepted key \"%.*s\"", (int)len, s);
	assert_non_null(why);
	/* the reason names a rule, never the key text */
	assert_null(strstr(why, "VRLb"));
	assert_null(strstr(why, "EBES"));
	assert_null(strstr(why, "Hk83"));
	assert_memory_equal(&k, &zero_key, sizeof(k));
}

static void test_key_hostile(void **state)
{
	static const char *const bad[] = {
		"",
		"NVMeTLSkey-1",
		"NVMeTLSkey-2:01:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi9A/ow7:",
		"NVMeTLSKEY-1:01:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi9A/ow7:",
		"DHHC-1:01:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi9A/ow7:",
		"NVMeTLSkey-1:03:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi9A/ow7:",
		"NVMeTLSkey-1:1:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi9A/ow7:",
		"NVMeTLSkey-1:001:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi9A/ow7:",
		"NVMeTLSkey-1:0x:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi9A/ow7:",
		/* no final ':' / trailing garbage */
		"NVMeTLSkey-1:01:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi9A/ow7",
		"NVMeTLSkey-1:01:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi9A/ow7:\n",
		"NVMeTLSkey-1:01:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi9A/ow7::",
		" NVMeTLSkey-1:01:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi9A/ow7:",
		/* CRC: last byte of the key flipped (0x2f -> 0x2e), CRC left as it was */
		"NVMeTLSkey-1:01:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi5A/ow7:",
		/* CRC bytes changed */
		"NVMeTLSkey-1:01:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi9A/ow8:",
		/* a 48-byte key under 01, a 32-byte key under 02 */
		"NVMeTLSkey-1:01:Hk83VbSvSr+VyDYgMKOCOwUPuF0/8sEG1oot+5oVSSvs1hGm/oz7uuA/SOVrz8SP5bntDQ==:",
		"NVMeTLSkey-1:02:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi9A/ow7:",
		/* not Base64 */
		"NVMeTLSkey-1:01:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi9A/ow*:",
		"NVMeTLSkey-1:01:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi9A/o=7:",
		"NVMeTLSkey-1:01:EBESExQVFhcY:RobHB0eHyAhIiMkJSYnKCkqKywtLi9A/ow7:",
		/* 16 and 64 bytes: no such key */
		"NVMeTLSkey-1:00:AAAAAAAAAAAAAAAAAAAAAAAAAAA=:",
		"NVMeTLSkey-1:00:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:",
		/* right length, padded group in the middle */
		"NVMeTLSkey-1:01:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi9A/o==:",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_key_refused(bad[i], strlen(bad[i]));
	/* every truncation of a good key, and a NUL inside one */
	for (i = 0; i < strlen(v_key_02); i++)
		expect_key_refused(v_key_02, i);
	{
		char s[sizeof(v_key_01)];

		memcpy(s, v_key_01, sizeof(s));
		s[20] = '\0';
		expect_key_refused(s, strlen(v_key_01));
	}
}

/* ---- derivations against the Python vectors ---- */

struct case_ {
	enum kt_tls_derive form;
	const char *key;
	const uint8_t *retained;       /* from the v0 entry */
	const char *id0, *id1;
	const uint8_t *tls0, *tls1;
	size_t len;
};

#define CASE(form, f, hh, key, len)                                                       \
	{ form, key, v_##f##_h##hh##_v0_retained, v_##f##_h##hh##_v0_id,                  \
	  v_##f##_h##hh##_v1_id, v_##f##_h##hh##_v0_tls, v_##f##_h##hh##_v1_tls, len }

static const struct case_ cases[] = {
	CASE(KT_TLS_DERIVE_RFC, rfc, 01, v_key_01, 32),
	CASE(KT_TLS_DERIVE_RFC, rfc, 02, v_key_02, 48),
	CASE(KT_TLS_DERIVE_RFC, rfc, 00, v_key_00_32, 32),
	CASE(KT_TLS_DERIVE_COMPAT, compat, 01, v_key_01, 32),
	CASE(KT_TLS_DERIVE_COMPAT, compat, 02, v_key_02, 48),
	CASE(KT_TLS_DERIVE_COMPAT, compat, 00, v_key_00_32, 32),
};

static void test_derive_steps(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct case_ *c = &cases[i];
		struct kt_tls_key k = parse_key(c->key);
		struct kt_tls_identity id1 = parse_id(c->id1);
		enum kt_tls_hash h = kt_tls_key_hash(&k);
		uint8_t ret[KT_TLS_PSK_MAX], tls[KT_TLS_PSK_MAX];
		char dig[KT_TLS_DIGEST_MAX + 1], ctx[80];
		int n;

		assert_int_equal(kt_tls_retained_psk(c->form, &k, v_host, ret), 0);
		assert_memory_equal(ret, c->retained, c->len);

		n = kt_tls_psk_digest(h, ret, c->len, v_host, v_sub, dig, sizeof(dig));
		assert_int_equal(n, c->len == 32 ? 44 : 64);
		assert_string_equal(dig, id1.digest);

		/* v0: the context is the identity itself */
		assert_int_equal(kt_tls_derive_psk(c->form, h, ret, c->len, c->id0, strlen(c->id0),
						   tls), 0);
		assert_memory_equal(tls, c->tls0, c->len);
		/* v1: "<hh> <digest>" */
		n = snprintf(ctx, sizeof(ctx), "%02u %s", (unsigned int)h, dig);
		assert_int_equal(kt_tls_derive_psk(c->form, h, ret, c->len, ctx, (size_t)n, tls), 0);
		assert_memory_equal(tls, c->tls1, c->len);
	}
}

static void test_lookup_each_form(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct case_ *c = &cases[i];
		struct kt_tls_key k = parse_key(c->key);
		struct kt_tls_identity id0 = parse_id(c->id0), id1 = parse_id(c->id1);
		struct kt_tls_psk psk;
		const char *why = NULL;

		assert_int_equal(kt_tls_psk_for_identity(&id0, &k, c->form, c->form, &psk, &why), 0);
		assert_int_equal(psk.len, c->len);
		assert_int_equal(psk.hash, kt_tls_key_hash(&k));
		assert_int_equal(psk.form, c->form);
		assert_false(psk.ambiguous);
		assert_memory_equal(psk.key, c->tls0, c->len);

		assert_int_equal(kt_tls_psk_for_identity(&id1, &k, c->form, c->form, &psk, &why), 0);
		assert_memory_equal(psk.key, c->tls1, c->len);
		kt_tls_psk_clear(&psk);
		assert_int_equal(psk.len, 0);
	}
}

static void test_libnvme_identities(void **state)
{
	static const struct {
		enum kt_tls_derive form;
		const char *key, *id;
		const uint8_t *tls;
		size_t len;
	} l[] = {
		{ KT_TLS_DERIVE_RFC, l_key01, l_id_rfc01, l_rfc_h01_tls, 32 },
		{ KT_TLS_DERIVE_RFC, l_key02, l_id_rfc02, l_rfc_h02_tls, 48 },
		{ KT_TLS_DERIVE_COMPAT, l_key01, l_id_compat01, l_compat_h01_tls, 32 },
		{ KT_TLS_DERIVE_COMPAT, l_key02, l_id_compat02, l_compat_h02_tls, 48 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		struct kt_tls_key k = parse_key(l[i].key);
		struct kt_tls_identity id;
		uint8_t ret[KT_TLS_PSK_MAX];
		char built[KT_TLS_IDENTITY_MAX + 1];
		struct kt_tls_psk psk;
		const char *why = NULL;
		int n;

		/* build the identity as a host would, then compare with libnvme's */
		memset(&id, 0, sizeof(id));
		id.version = 1;
		id.type = 'R';
		id.hash = (uint8_t)kt_tls_key_hash(&k);
		strcpy(id.hostnqn, l_host);
		strcpy(id.subnqn, l_sub);
		assert_int_equal(kt_tls_retained_psk(l[i].form, &k, l_host, ret), 0);
		n = kt_tls_psk_digest(id.hash, ret, k.len, l_host, l_sub, id.digest,
				      sizeof(id.digest));
		assert_true(n > 0);
		id.digest_len = (uint8_t)n;
		assert_int_equal(kt_tls_identity_format(&id, built, sizeof(built)),
				 (int)strlen(l[i].id));
		assert_string_equal(built, l[i].id);

		/* the server's side: both forms allowed, the digest picks the right one */
		id = parse_id(l[i].id);
		assert_int_equal(kt_tls_psk_for_identity(&id, &k,
							 KT_TLS_DERIVE_RFC | KT_TLS_DERIVE_COMPAT,
							 KT_TLS_DERIVE_RFC, &psk, &why), 0);
		assert_int_equal(psk.form, l[i].form);
		assert_false(psk.ambiguous);
		assert_memory_equal(psk.key, l[i].tls, l[i].len);
		assert_int_equal(kt_tls_psk_for_identity(&id, &k,
							 KT_TLS_DERIVE_RFC | KT_TLS_DERIVE_COMPAT,
							 KT_TLS_DERIVE_COMPAT, &psk, &why), 0);
		assert_int_equal(psk.form, l[i].form);
		/* only the other form allowed: no key */
		assert_int_equal(kt_tls_psk_for_identity(&id, &k,
							 l[i].form == KT_TLS_DERIVE_RFC ?
							 KT_TLS_DERIVE_COMPAT : KT_TLS_DERIVE_RFC,
							 KT_TLS_DERIVE_RFC, &psk, &why), -ENOKEY);
		assert_non_null(why);
		assert_int_equal(psk.len, 0);
	}
}

static void test_lookup_choices(void **state)
{
	const unsigned int both = KT_TLS_DERIVE_RFC | KT_TLS_DERIVE_COMPAT;
	struct kt_tls_key k01 = parse_key(v_key_01), k00 = parse_key(v_key_00_32);
	struct kt_tls_key k02 = parse_key(v_key_02);
	struct kt_tls_identity id;
	struct kt_tls_psk psk;
	const char *why = NULL;

	(void)state;
	/* v0: nothing tells the forms apart: the preferred one, flagged */
	id = parse_id(v_rfc_h01_v0_id);
	assert_int_equal(kt_tls_psk_for_identity(&id, &k01, both, KT_TLS_DERIVE_RFC, &psk, &why), 0);
	assert_int_equal(psk.form, KT_TLS_DERIVE_RFC);
	assert_true(psk.ambiguous);
	assert_memory_equal(psk.key, v_rfc_h01_v0_tls, 32);
	assert_int_equal(kt_tls_psk_for_identity(&id, &k01, both, KT_TLS_DERIVE_COMPAT, &psk, &why),
			 0);
	assert_int_equal(psk.form, KT_TLS_DERIVE_COMPAT);
	assert_true(psk.ambiguous);
	assert_memory_equal(psk.key, v_compat_h01_v0_tls, 32);

	/* v1 with hh 00: retained = configured, the digest is the same in both */
	id = parse_id(v_rfc_h00_v1_id);
	assert_string_equal(v_rfc_h00_v1_id, v_compat_h00_v1_id);
	assert_int_equal(kt_tls_psk_for_identity(&id, &k00, both, KT_TLS_DERIVE_COMPAT, &psk, &why),
			 0);
	assert_true(psk.ambiguous);
	assert_memory_equal(psk.key, v_compat_h00_v1_tls, 32);

	/* v1 with hh 01: the digest picks, whatever the preference */
	id = parse_id(v_compat_h01_v1_id);
	assert_int_equal(kt_tls_psk_for_identity(&id, &k01, both, KT_TLS_DERIVE_RFC, &psk, &why), 0);
	assert_int_equal(psk.form, KT_TLS_DERIVE_COMPAT);
	assert_false(psk.ambiguous);
	assert_memory_equal(psk.key, v_compat_h01_v1_tls, 32);

	/* a digest that is no form's (the key is another one) */
	id = parse_id(v_rfc_h00_v1_id);
	assert_int_equal(kt_tls_psk_for_identity(&id, &k01, both, KT_TLS_DERIVE_RFC, &psk, &why),
			 -ENOKEY);

	/* the identity's hash is not the key's */
	id = parse_id(v_rfc_h02_v0_id);
	assert_int_equal(kt_tls_psk_for_identity(&id, &k01, both, KT_TLS_DERIVE_RFC, &psk, &why),
			 -ENOKEY);
	id = parse_id(v_rfc_h01_v0_id);
	assert_int_equal(kt_tls_psk_for_identity(&id, &k02, both, KT_TLS_DERIVE_RFC, &psk, &why),
			 -ENOKEY);

	/* generated identities are not configured keys' */
	id = parse_id(v_gen01_id);
	assert_int_equal(kt_tls_psk_for_identity(&id, &k01, both, KT_TLS_DERIVE_RFC, &psk, &why),
			 -ENOKEY);

	/* arguments */
	id = parse_id(v_rfc_h01_v0_id);
	assert_int_equal(kt_tls_psk_for_identity(&id, &k01, 0, KT_TLS_DERIVE_RFC, &psk, &why),
			 -EINVAL);
	assert_int_equal(kt_tls_psk_for_identity(&id, &k01, 4, KT_TLS_DERIVE_RFC, &psk, &why),
			 -EINVAL);
	assert_int_equal(kt_tls_psk_for_identity(&id, &k01, both, 0, &psk, &why), -EINVAL);
}

static void test_generated(void **state)
{
	uint8_t gen[KT_TLS_PSK_MAX];
	char ident[KT_TLS_IDENTITY_MAX + 1];
	struct kt_tls_psk psk;
	struct kt_tls_identity id;

	(void)state;
	assert_int_equal(kt_tls_generated_psk(KT_TLS_HASH_SHA256, v_skey, sizeof(v_skey), v_c1,
					       v_c2, gen), 0);
	assert_memory_equal(gen, v_gen01_psk, 32);
	assert_int_equal(kt_tls_psk_from_generated(KT_TLS_HASH_SHA256, gen, v_host, v_sub, ident,
						   sizeof(ident), &psk), 0);
	assert_string_equal(ident, v_gen01_id);
	assert_int_equal(psk.len, 32);
	assert_int_equal(psk.hash, KT_TLS_HASH_SHA256);
	assert_memory_equal(psk.key, v_gen01_tls, 32);

	assert_int_equal(kt_tls_generated_psk(KT_TLS_HASH_SHA384, v_skey, sizeof(v_skey),
					       v_c1_384, v_c2_384, gen), 0);
	assert_memory_equal(gen, v_gen02_psk, 48);
	assert_int_equal(kt_tls_psk_from_generated(KT_TLS_HASH_SHA384, gen, v_host, v_sub, ident,
						   sizeof(ident), &psk), 0);
	assert_string_equal(ident, v_gen02_id);
	assert_memory_equal(psk.key, v_gen02_tls, 48);

	id = parse_id(v_gen02_id);
	assert_int_equal(id.version, 1);
	assert_int_equal(id.type, 'G');
	assert_int_equal(id.hash, 2);
	assert_string_equal(id.hostnqn, v_host);
	assert_string_equal(id.subnqn, v_sub);
	assert_int_equal(id.digest_len, 64);

	assert_int_equal(kt_tls_generated_psk(0, v_skey, sizeof(v_skey), v_c1, v_c2, gen), -EINVAL);
	assert_int_equal(kt_tls_generated_psk(1, v_skey, sizeof(v_skey), NULL, v_c2, gen), -EINVAL);
	assert_int_equal(kt_tls_psk_from_generated(KT_TLS_HASH_SHA256, gen, v_host, v_sub, ident,
						   40, &psk), -ENOSPC);
	assert_int_equal(kt_tls_psk_from_generated(KT_TLS_HASH_SHA256, gen, "", v_sub, ident,
						   sizeof(ident), &psk), -EINVAL);
}

/* ---- identities ---- */

static void test_identity_parse(void **state)
{
	struct kt_tls_identity id;
	char out[KT_TLS_IDENTITY_MAX + 1];
	char big[KT_TLS_IDENTITY_MAX + 2];
	char host[KT_NQN_MAX + 1], sub[KT_NQN_MAX + 1];
	const char *why = NULL;
	int n;

	(void)state;
	id = parse_id(v_rfc_h01_v0_id);
	assert_int_equal(id.version, 0);
	assert_int_equal(id.type, 'R');
	assert_int_equal(id.hash, 1);
	assert_string_equal(id.hostnqn, v_host);
	assert_string_equal(id.subnqn, v_sub);
	assert_int_equal(id.digest_len, 0);
	assert_int_equal(kt_tls_identity_format(&id, out, sizeof(out)), (int)strlen(v_rfc_h01_v0_id));
	assert_string_equal(out, v_rfc_h01_v0_id);

	id = parse_id(l_id_compat02);
	assert_int_equal(id.version, 1);
	assert_int_equal(id.hash, 2);
	assert_string_equal(id.hostnqn, l_host);
	assert_string_equal(id.subnqn, l_sub);
	assert_int_equal(id.digest_len, 64);
	assert_string_equal(id.digest, l_id_compat02 + strlen(l_id_compat02) - 64);
	assert_int_equal(kt_tls_identity_format(&id, out, sizeof(out)), (int)strlen(l_id_compat02));
	assert_string_equal(out, l_id_compat02);
	assert_int_equal(kt_tls_identity_format(&id, out, strlen(l_id_compat02)), -ENOSPC);

	/* the longest identity: two 223-byte NQNs and a SHA-384 digest */
	memset(host, 'h', KT_NQN_MAX);
	host[KT_NQN_MAX] = '\0';
	memset(sub, 's', KT_NQN_MAX);
	sub[KT_NQN_MAX] = '\0';
	n = snprintf(big, sizeof(big), "NVMe1R02 %s %s %s", host, sub,
		     l_id_rfc02 + strlen(l_id_rfc02) - 64);
	assert_int_equal(n, KT_TLS_IDENTITY_MAX);
	assert_int_equal(kt_tls_identity_parse(&id, big, (size_t)n, &why), 0);
	assert_string_equal(id.hostnqn, host);
	assert_string_equal(id.subnqn, sub);
	assert_int_equal(kt_tls_identity_format(&id, out, sizeof(out)), n);
	assert_string_equal(out, big);
}

static void expect_id_refused(const void *buf, size_t len, const char *what)
{
	struct kt_tls_identity id;
	const char *why = NULL;

	memset(&id, 0x5a, sizeof(id));
	if (kt_tls_identity_parse(&id, buf, len, &why) != -EINVAL)
		fail_msg("accepted identity (%s)", what);
	assert_non_null(why);
	assert_int_equal(id.version, 0);
	assert_int_equal(id.hostnqn[0], 0);
}

static void test_identity_hostile(void **state)
{
	static const char *const bad[] = {
		"",
		"NVMe",
		"NVMe0R01",
		"NVMe0R01 ",
		"NVMe0R01 nqn.h",
		"NVMe0R01 nqn.h ",
		"NVMe0R01 nqn.h nqn.s ",                /* trailing space */
		"NVMe0R01  nqn.h nqn.s",                /* double space */
		"NVMe0R01 nqn.h  nqn.s",
		" NVMe0R01 nqn.h nqn.s",
		"NVMe0R01 nqn.h nqn.s extra",
		"NVMe0R01 nqn.h\tnqn.s",
		"NVMe0R01\tnqn.h nqn.s",
		"nvme0R01 nqn.h nqn.s",
		"NVMe2R01 nqn.h nqn.s",                 /* unknown version */
		"NVMe9R01 nqn.h nqn.s",
		"NVMe0X01 nqn.h nqn.s",                 /* unknown type */
		"NVMe0r01 nqn.h nqn.s",
		"NVMe0G01 nqn.h nqn.s",                 /* generated needs version 1 */
		"NVMe0R00 nqn.h nqn.s",                 /* unknown hash */
		"NVMe0R03 nqn.h nqn.s",
		"NVMe0R1 nqn.h nqn.s",
		"NVMe0R001 nqn.h nqn.s",
		"NVMe1R01 nqn.h nqn.s",                 /* digest missing */
		"NVMe1R01 nqn.h nqn.s ",
		"NVMe1G01 nqn.h nqn.s",
		/* digest: wrong length for the hash, bad Base64, bad padding, extra field */
		"NVMe1R01 nqn.h nqn.s iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU",
		"NVMe1R01 nqn.h nqn.s iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU==",
		"NVMe1R02 nqn.h nqn.s iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU=",
		"NVMe1R01 nqn.h nqn.s iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5l*U=",
		"NVMe1R01 nqn.h nqn.s iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEV=",
		"NVMe1R01 nqn.h nqn.s iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5=EU=",
		"NVMe1R01 nqn.h nqn.s iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU= x",
		"NVMe1R01 nqn.h nqn.s  iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU=",
		"NVMe1R01 nqn.h nqn.s iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU= ",
		"NVMe1R02 nqn.h nqn.s QhW2+Rp6RzHlNtCslyRxMnwJ11tKKhz8JCAQpQ+XUD8f9td1VeH5h53yz2wKJG1",
		"NVMe1R02 nqn.h nqn.s QhW2+Rp6RzHlNtCslyRxMnwJ11tKKhz8JCAQpQ+XUD8f9td1VeH5h53yz2wKJG1a\n",
		"NVMe0R01 nqn.h nqn.\x7f",
		"NVMe0R01 nqn.\x80 nqn.s",
		"NVMe0R01 nqn.h nqn.s\r",
	};
	char big[2 * KT_TLS_IDENTITY_MAX];
	char nqn[KT_NQN_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_id_refused(bad[i], strlen(bad[i]), bad[i]);

	/* every truncation of good identities */
	for (i = 0; i < strlen(l_id_rfc02); i++)
		expect_id_refused(l_id_rfc02, i, "truncated v1");
	/* (a v0 identity cut inside its subsystem NQN is another valid one) */
	for (i = 0; i <= 9 + strlen(v_host) + 1; i++)
		expect_id_refused(v_rfc_h01_v0_id, i, "truncated v0");
	/* good ones followed by one more byte, a NUL included */
	memcpy(big, v_rfc_h01_v0_id, strlen(v_rfc_h01_v0_id) + 1);
	expect_id_refused(big, strlen(v_rfc_h01_v0_id) + 1, "NUL after v0");
	memcpy(big, l_id_rfc01, strlen(l_id_rfc01) + 1);
	expect_id_refused(big, strlen(l_id_rfc01) + 1, "NUL after v1");
	/* a NUL inside an NQN */
	memcpy(big, "NVMe0R01 nqn.h\0x nqn.s", 22);
	expect_id_refused(big, 22, "NUL in host NQN");

	/* NQNs of 224 bytes, each side; 223 is fine */
	memset(nqn, 'n', KT_NQN_MAX + 1);
	nqn[KT_NQN_MAX + 1] = '\0';
	snprintf(big, sizeof(big), "NVMe0R01 %s nqn.s", nqn);
	expect_id_refused(big, strlen(big), "host NQN of 224");
	snprintf(big, sizeof(big), "NVMe0R01 nqn.h %s", nqn);
	expect_id_refused(big, strlen(big), "subsystem NQN of 224");
	nqn[KT_NQN_MAX] = '\0';
	snprintf(big, sizeof(big), "NVMe0R01 nqn.h %s", nqn);
	{
		struct kt_tls_identity id;

		assert_int_equal(kt_tls_identity_parse(&id, big, strlen(big), NULL), 0);
		assert_int_equal(strlen(id.subnqn), KT_NQN_MAX);
	}
	/* something huge */
	memset(big, 'A', sizeof(big));
	memcpy(big, "NVMe1R01 ", 9);
	expect_id_refused(big, sizeof(big), "huge");
}

static void test_identity_format_refuses(void **state)
{
	struct kt_tls_identity id = parse_id(l_id_rfc01), b;
	char out[KT_TLS_IDENTITY_MAX + 1];

	(void)state;
	b = id;
	b.version = 2;
	assert_int_equal(kt_tls_identity_format(&b, out, sizeof(out)), -EINVAL);
	b = id;
	b.type = 'X';
	assert_int_equal(kt_tls_identity_format(&b, out, sizeof(out)), -EINVAL);
	b = id;
	b.hash = 3;
	assert_int_equal(kt_tls_identity_format(&b, out, sizeof(out)), -EINVAL);
	b = id;
	b.hostnqn[3] = ' ';
	assert_int_equal(kt_tls_identity_format(&b, out, sizeof(out)), -EINVAL);
	b = id;
	b.subnqn[0] = '\0';
	assert_int_equal(kt_tls_identity_format(&b, out, sizeof(out)), -EINVAL);
	b = id;
	b.digest_len = 43;
	assert_int_equal(kt_tls_identity_format(&b, out, sizeof(out)), -EINVAL);
	b = id;
	b.version = 0;
	b.type = 'G';
	assert_int_equal(kt_tls_identity_format(&b, out, sizeof(out)), -EINVAL);
}

static void test_context_limits(void **state)
{
	char ctx[300];
	uint8_t out[48];
	struct kt_tls_key k = parse_key(v_key_01);
	struct kt_tls_identity id;
	struct kt_tls_psk psk;
	char big[KT_TLS_IDENTITY_MAX + 1];
	char host[KT_NQN_MAX + 1];
	const char *why = NULL;

	(void)state;
	memset(ctx, 'c', sizeof(ctx));
	assert_int_equal(kt_tls_derive_psk(KT_TLS_DERIVE_RFC, 1, v_psk32, 32, ctx, 255, out), 0);
	assert_int_equal(kt_tls_derive_psk(KT_TLS_DERIVE_RFC, 1, v_psk32, 32, ctx, 256, out),
			 -EINVAL);
	assert_int_equal(kt_tls_derive_psk(KT_TLS_DERIVE_COMPAT, 1, v_psk32, 32, ctx, 256, out), 0);
	assert_int_equal(kt_tls_derive_psk(KT_TLS_DERIVE_COMPAT, 1, v_psk32, 32, ctx, 257, out),
			 -EINVAL);
	assert_int_equal(kt_tls_derive_psk(3, 1, v_psk32, 32, ctx, 10, out), -EINVAL);
	assert_int_equal(kt_tls_derive_psk(KT_TLS_DERIVE_RFC, 0, v_psk32, 32, ctx, 10, out), -EINVAL);

	/* a v0 identity longer than a context may be: refused, not truncated */
	memset(host, 'h', KT_NQN_MAX);
	host[KT_NQN_MAX] = '\0';
	snprintf(big, sizeof(big), "NVMe0R01 %s %s", host, v_sub);
	id = parse_id(big);
	assert_int_equal(kt_tls_psk_for_identity(&id, &k, KT_TLS_DERIVE_RFC, KT_TLS_DERIVE_RFC,
						 &psk, &why), -EINVAL);
	assert_int_equal(psk.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_published),
		cmocka_unit_test(test_key_ours),
		cmocka_unit_test(test_key_hostile),
		cmocka_unit_test(test_derive_steps),
		cmocka_unit_test(test_lookup_each_form),
		cmocka_unit_test(test_libnvme_identities),
		cmocka_unit_test(test_lookup_choices),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_identity_parse),
		cmocka_unit_test(test_identity_hostile),
		cmocka_unit_test(test_identity_format_refuses),
		cmocka_unit_test(test_context_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

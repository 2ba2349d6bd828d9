/*
 * test_dhchap_key.c - unit tests for DH-HMAC-CHAP secrets
 * (proto/dhchap_key.c): DHHC-1 strings made the way `nvme gen-dhchap-key`
 * makes them, for every hh; each way a secret can be malformed; the key
 * transformation under each hash.
 *
 * The expected bytes come from tests/unit/vectors/dhchap_vectors.py
 * (Python's hmac, hashlib, base64 and zlib; none of kato's code): it
 * writes secrets as libnvme's nvme_gen_dhchap_key does, that is, with
 * --hmac N the stored key is already HMAC(secret, host NQN ||
 * "NVMe-over-Fabrics"), and the kernel transforms that once more at use.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>


#include "proto/dhchap_key.h"
#include "unit_hex.h"

#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:6c1e3d4a-8f2b-4d1e-9a7c-2b5e8f0a1c3d"
#define SUBNQN "nqn.2026-11.io.kato:auth-test"

/* from dhchap_vectors.py */
#define KEY0_STR "DHHC-1:00:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb2:"
#define KEY0_BYTES "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
#define KEY1_STR "DHHC-1:01:6p+dmaUKVyXX6Nxfw1FpUMih5fWzZVxvSYo3RsVuNmemOPk1:"
#define KEY1_BYTES "ea9f9d99a50a5725d7e8dc5fc3516950c8a1e5f5b3655c6f498a3746c56e3667"
#define KEY1_TRANSFORMED "a3bf274c6c60ce049b78c03f2288784cf33ad2189eb23fe5d7bba5eea3224793"
#define KEY2_STR "DHHC-1:02:8mIksNyZvf/0IxqYukZMwxrGoU5ABixh6ZlLnygc7uXTQxWWgQ8yAXit4zzhVBNSKiPY4Q==:"
#define KEY2_BYTES "f26224b0dc99bdfff4231a98ba464cc31ac6a14e40062c61e9994b9f281ceee5d3431596810f320178ade33ce1541352"
#define KEY2_TRANSFORMED "7d93df106e77b3e5fb0f3fa1ef376e95765603e205de8f593a6e394daa1620ae0abd467d7a81b8b17aef997b1b155e0f"
#define KEY3_STR "DHHC-1:03:pwB/8YNVceC7R+ekkkk6HpJwMmBuGZ8GzbQKcZKqSva8Bnyzj3rQT2X80e1R0viIR2uuVO12HVV4qbe3XcXkcgsETtc=:"
#define KEY3_BYTES "a7007ff1835571e0bb47e7a492493a1e927032606e199f06cdb40a7192aa4af6bc067cb38f7ad04f65fcd1ed51d2f888476bae54ed761d5578a9b7b75dc5e472"
#define KEY3_TRANSFORMED "9fd5bb99937026c9a402ce715e89cb7154e2197041e99495cf8b812d4614a5e76b5235c54bdc2a28dcc671a772526151c1f96cbf2135b292b15227fa6eeb4144"
#define KEY0_48_STR "DHHC-1:00:MDc+RUxTWmFob3Z9hIuSmaCnrrW8w8rR2N/m7fT7AgkQFx4lLDM6QUhPVl1ka3J51wkKvA==:"
#define KEY0_48_BYTES "30373e454c535a61686f767d848b9299a0a7aeb5bcc3cad1d8dfe6edf4fb020910171e252c333a41484f565d646b7279"
#define KEY0_64_STR "DHHC-1:00:QEdOVVxjanF4f4aNlJuiqbC3vsXM09rh6O/2/QQLEhkgJy41PENKUVhfZm10e4KJkJeepayzusHIz9bd5Ovy+eQYloY=:"
#define KEY0_64_BYTES "40474e555c636a71787f868d949ba2a9b0b7bec5ccd3dae1e8eff6fd040b121920272e353c434a51585f666d747b828990979ea5acb3bac1c8cfd6dde4ebf2f9"
#define BAD_LEN33_STR "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gBYOQ5A==:"
#define BAD_HH1_LEN48_STR "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:"
#define BAD_CRC_STR "DHHC-1:00:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb3:"
#define XFORM_SHA256 "293747454aff385acd5bec3910226c65b5eefefe34625203038a98300a78c23f"
#define XFORM_SHA384 "db4f9c116d68c645c85e0645e8d14daff2c16b4890ce70179782fb2b79668ceae83acb037d0c55a001a4e79f0c53273f"
#define XFORM_SHA512 "58ec57b39e646f4e36c964cc735e132a1d30eb89383ceb138e0cdebe75691e676ce060ea600cb65e4f6d36c12a6df7561da5fcb719b459a9dbf078cf40e5174a"

static void expect_key(const char *str, unsigned hh, const char *hex)
{
	uint8_t want[KT_DHCHAP_KEY_MAX];
	size_t n = unit_unhex(hex, want, sizeof(want));
	struct kt_dhchap_key *k = NULL;
	const char *why = NULL;

	assert_int_equal(kt_dhchap_key_parse(str, &k, &why), 0);
	assert_non_null(k);
	assert_int_equal(k->hash, hh);
	assert_int_equal(k->len, n);
	assert_memory_equal(k->key, want, n);
	kt_dhchap_key_free(k);
}

static void expect_bad(const char *str, const char *reason)
{
	struct kt_dhchap_key *k = (struct kt_dhchap_key *)1;
	const char *why = NULL;

	assert_int_equal(kt_dhchap_key_parse(str, &k, &why), -EINVAL);
	assert_null(k);
	assert_non_null(why);
	assert_string_equal(why, reason);
}

static void test_parse_each_hh(void **state)
{
	(void)state;
	expect_key(KEY0_STR, 0, KEY0_BYTES);
	expect_key(KEY1_STR, 1, KEY1_BYTES);
	expect_key(KEY2_STR, 2, KEY2_BYTES);
	expect_key(KEY3_STR, 3, KEY3_BYTES);
	expect_key(KEY0_48_STR, 0, KEY0_48_BYTES);
	expect_key(KEY0_64_STR, 0, KEY0_64_BYTES);
}

static void test_parse_malformed(void **state)
{
	(void)state;
	expect_bad(NULL, "does not start with DHHC-1:");
	expect_bad("", "does not start with DHHC-1:");
	expect_bad("DHHC-2:00:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb2:",
		   "does not start with DHHC-1:");
	expect_bad("dhhc-1:00:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb2:",
		   "does not start with DHHC-1:");
	expect_bad("DHHC-1:0:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb2:",
		   "the hash field is not two digits and ':'");
	expect_bad("DHHC-1:000:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb2:",
		   "the hash field is not two digits and ':'");
	expect_bad("DHHC-1:0a:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb2:",
		   "the hash field is not two digits and ':'");
	expect_bad("DHHC-1:04:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb2:",
		   "unknown hash (not 00, 01, 02 or 03)");
	expect_bad("DHHC-1:99:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb2:",
		   "unknown hash (not 00, 01, 02 or 03)");
	/* the closing colon */
	expect_bad("DHHC-1:00:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb2",
		   "no ':' after the key");
	expect_bad("DHHC-1:00:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb2:\n",
		   "characters after the closing ':'");
	expect_bad("DHHC-1:00:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb2::",
		   "characters after the closing ':'");
	/* base64: a bad character, a missing pad, data after '=', a
	 * non-canonical last character (bits a pad leaves over) */
	expect_bad("DHHC-1:00:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj*jBqb2:",
		   "the key is not base64");
	expect_bad("DHHC-1:00:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb:",
		   "the key is not base64");
	expect_bad("DHHC-1:02:8mIksNyZvf/0IxqYukZMwxrGoU5ABixh6ZlLnygc7uXTQxWWgQ8yAXit4zzhVBNSKiPY4Q:",
		   "the key is not base64");
	expect_bad("DHHC-1:02:8mIksNyZvf/0IxqYukZMwxrGoU5ABixh6ZlLnygc7uXTQxWWgQ8yAXit4zzhVBNSKiPY4Q=A:",
		   "the key is not base64");
	expect_bad("DHHC-1:02:8mIksNyZvf/0IxqYukZMwxrGoU5ABixh6ZlLnygc7uXTQxWWgQ8yAXit4zzhVBNSKiPY4R==:",
		   "the key is not base64");
	expect_bad("DHHC-1:00::", "the key is not base64");
	/* lengths */
	expect_bad(BAD_LEN33_STR, "key length is not 32, 48 or 64 bytes");
	expect_bad("DHHC-1:00:AAAA:", "key length is not 32, 48 or 64 bytes");
	expect_bad(BAD_HH1_LEN48_STR, "key length does not match its hash");
	expect_bad("DHHC-1:00:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb2ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj/jBqb2:",
		   "key too long");
	/* the CRC: last byte off by one bit */
	expect_bad(BAD_CRC_STR, "CRC mismatch");
}

static void test_no_why_pointer(void **state)
{
	struct kt_dhchap_key *k = NULL;

	(void)state;
	assert_int_equal(kt_dhchap_key_parse(BAD_CRC_STR, &k, NULL), -EINVAL);
	assert_null(k);
	kt_dhchap_key_free(NULL);
}

static void expect_transform(const struct kt_dhchap_key *k, const char *nqn, const char *hex)
{
	uint8_t want[KT_DHCHAP_KEY_MAX], got[KT_DHCHAP_KEY_MAX];
	size_t n = unit_unhex(hex, want, sizeof(want)), len = 0;

	assert_int_equal(kt_dhchap_key_transform(k, nqn, got, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(got, want, n);
}

static void test_transform_parsed(void **state)
{
	struct kt_dhchap_key *k;
	const char *strs[] = { KEY1_STR, KEY2_STR, KEY3_STR };
	const char *want[] = { KEY1_TRANSFORMED, KEY2_TRANSFORMED, KEY3_TRANSFORMED };

	(void)state;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(kt_dhchap_key_parse(strs[i], &k, NULL), 0);
		expect_transform(k, HOSTNQN, want[i]);
		kt_dhchap_key_free(k);
	}
	/* hh 00: the key itself */
	assert_int_equal(kt_dhchap_key_parse(KEY0_STR, &k, NULL), 0);
	expect_transform(k, HOSTNQN, KEY0_BYTES);
	kt_dhchap_key_free(k);
}

/* the same 32 key bytes under each hash, with the subsystem NQN */
static void test_transform_each_hash(void **state)
{
	struct kt_dhchap_key k;
	const char *want[] = { XFORM_SHA256, XFORM_SHA384, XFORM_SHA512 };
	uint8_t out[KT_DHCHAP_KEY_MAX];
	size_t len;

	(void)state;
	memset(&k, 0, sizeof(k));
	k.len = (uint8_t)unit_unhex(KEY0_BYTES, k.key, sizeof(k.key));
	for (int h = 1; h <= 3; h++) {
		k.hash = (uint8_t)h;
		expect_transform(&k, SUBNQN, want[h - 1]);
	}
	/* refused: no NQN, an empty one, a hash the format lacks */
	k.hash = 1;
	assert_int_equal(kt_dhchap_key_transform(&k, NULL, out, &len), -EINVAL);
	assert_int_equal(kt_dhchap_key_transform(&k, "", out, &len), -EINVAL);
	k.hash = 4;
	assert_int_equal(kt_dhchap_key_transform(&k, SUBNQN, out, &len), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_each_hh),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_no_why_pointer),
		cmocka_unit_test(test_transform_parsed),
		cmocka_unit_test(test_transform_each_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_dhchap.c - unit tests for the DH-HMAC-CHAP computations
 * (proto/dhchap.c): hash and group tables; the host response R1 and the
 * controller response R2 for each hash (NULL DH group), with a key whose
 * transform hash differs from the negotiated one and with SC_C set; a full
 * ffdhe2048 exchange with fixed private values on both sides (public
 * values, Ks, augmented challenges, R1, R2, a whole controller
 * transaction); the other FFDHE groups; refused DH values.
 *
 * Every expected value comes from tests/unit/vectors/dhchap_vectors.py,
 * which builds the RFC 7919 primes from the RFC's formula and does the
 * exchange with the Python `cryptography` package and hmac/hashlib, so
 * nothing here is checked against OpenSSL or kato's code itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <openssl/sha.h>

#include "proto/dhchap.h"
#include "unit_hex.h"

#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:6c1e3d4a-8f2b-4d1e-9a7c-2b5e8f0a1c3d"
#define SUBNQN "nqn.2026-11.io.kato:auth-test"

/* from dhchap_vectors.py */
#define HKEY_1 "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
#define CKEY_1 "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
#define C1_1 "0112233445566778899aabbccddeef00112233445566778899aabbccddeeff10"
#define C2_1 "05427fbcf93673b0ed2a67a4e11e5b98d5124f8cc9064380bdfa3774b1ee2b68"
#define HRESP_1 "ad1ea98bd75d9ca70b488659c07303b45e0adc24fb88944e4161eb37736534de"
#define CRESP_1 "f7a3469c552ae468b437dca77bfe410eaf0b1b83211a0fe372a294c4637e2bb5"
#define HKEY_2 "303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
#define CKEY_2 "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
#define C1_2 "02132435465768798a9bacbdcedff00112233445566778899aabbccddeef00112233445566778899aabbccddeeff1021"
#define C2_2 "0a4784c1fe3b78b5f22f6ca9e623609dda175491ce0b4885c2ff3c79b6f3306daae724619edb185592cf0c4986c3003d"
#define HRESP_2 "2fae3d9b59132ef453d43cd506db8a7eaad0479767138b9c594ee7c7130740f7ac6dc24bfff3c24367d62a6e91eaba28"
#define CRESP_2 "f88bfbc0ef1d360c9001092568f955066e13dcf7797de3c7454a9d7c2d626a55df2b86fa7d082eb1466352aacf235393"
#define HKEY_3 "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
#define CKEY_3 "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
#define C1_3 "031425364758697a8b9cadbecfe0f102132435465768798a9bacbdcedff00112233445566778899aabbccddeef00112233445566778899aabbccddeeff102132"
#define C2_3 "0f4c89c603407dbaf73471aeeb2865a2df1c5996d3104d8ac704417ebbf83572afec2966a3e01d5a97d4114e8bc805427fbcf93673b0ed2a67a4e11e5b98d512"
#define HRESP_3 "a86818e33999649d219dfaf4f16fb4b09e41180f96ef519de250438cc4cefe0a59797ad5a6c8e2b9db95a157c1940739d13123c429967501edfc1371669441ed"
#define CRESP_3 "791ba752947ec940815b118d9d08bdde73a0b7a266f3365451ef9f83d43b30e73588863a2d4e596fce80cee6e275935726fec56292690234e96e5e491774baf4"
#define HRESP_HH0_SHA512_SC2 "8161bbd8579db547b4ec171532ad9d941bb297a0ae58d13b0494874d906cd87e395aa1d5805a3fb4dfc8b3cee9592dc5a1dbb7dd41969f79d94b4cbbc0d0ea1c"
#define HRESP_HH1_SHA384 "84fd5abc1f85825c76b1ad6f33327c37741974b3331e8db97ca5495a7f906b2602868fe409c01783bbdf9586f70f9ec8"
#define DH_X_CTRL "5a5d606366696c6f7275787b7e8184878a8d909396999c9fa2a5a8ab"
#define DH_X_HOST "c3c4cdd6dfe0e9f2fbfc858e9798a1aab3b4bd464f5059626b6c757e"
#define DH_CTRL_PUB "75707bd336c868f027d363d5247140e86b990eb1d6a9e9b066f2202f62e7089838beb8afa649fe2ecf20ac79f61cd9a3c7d543d0ba33934aa4ea0be465abe3590286d5db6709739147e1b8750895d9e52340d04e122bd3d201b212703b72814fc75245eecec240e0ca934629d2ec96aee1bf7c651fbb04c1a40b11067a42d967bfeaf5a46dea48522e50a478baf32b12c77ecb616b9375cbb9d79132dc467990fe7293ffc431ee83f1820a7723c923f9c7b7d63f6bed9431656284174a0a2810a8a13dd9c7ad8f8f8168c2284494a8b8a707fead620a1e4e16f1afd9d79bfbbd6b25e327bafbbfea3931fb8b929092f26ba5bc884091a0648fb1f7ccc548beab"
#define DH_HOST_PUB "a39408f7a602684e8ae19783d929f5828f38ab5492ad7eb83e2f4b078424262c46ed089135db1227ec9cba74fdb315bc8cc2d185534852dc7696379e10be4ebae3f0c8ed13ff08fdf7f15ea954232461c9b7b9ce35570cd77ee26fd2b727a81b86fb60f56222068729d5a73bc13ecd55f4113b878fd644127f440066c1887a092853b78845ab40b80cc9528cf8e5e69fa367de03af3fafa34a87ad24297b70fc591174c6f680655f85a4fdf97cc91a8d6e8660ffe29c79ee87301f2486e10bcf3bcfd3d49855b0db235fc3495907bf1a0180e6725134577480c274fba6fd738626ff50f22f0a8990127ea223352dba54964b3a467d118ead7420201aaaef659c"
#define DH_SKEY "3079f0132cdbd0c479c431a70285b53c33d76f0c07aede227c23506af53d41ee3ed67e29168e750eb3b39372e822173555d5a5878b4a7611542b777aa486713c82463319a0208e23b06c263c49a0a4c2431182a3709663673ac936580979a16c8f5740803ff0f3bb3c57f3f3810d39024af614febd8937a53243ac50a960dbed10010fcf9d3592103b7ee6636232a6c8b14f85cc6802d9f6656f5593aed0b1b435948656d0e436a2bf923555618e5b78398e0d1f71e5fe24b5f1fc0a7870b501417bcd8ea287badb3dea169a7e51b7bf1438fb3da64e450c7e35a2cf0906e0bfb9850f312cd2f519c09609b47b53814f53aa59e0a10cd1169b030cfdd42663b9"
#define DH_AUG_C1 "116d95958d7ca108a37487ec5d3ed4651abd8076c36f544efe54a67abcd4850f"
#define DH_HRESP "761df6d23148f732ecc16ce4335d865382f3bc7dcd702378951703fef96b8223"
#define DH_CRESP "23f415dfc82230e9599998f3e16cb7a78d95e060e78d013843bf6bb1e0f6363c"
#define DH_AUG_C1_SHA512 "a50923c59e86b7979fa3512affcb73bb544a2d8d10e3f35532e37a61904f7d092dc1af1187354116009b4e6b625e5cc5d8726e885774c88766df38aba354ce11"
#define FFDHE2048_P "ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695a9e13641146433fbcc939dce249b3ef97d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0856365553ded1af3b557135e7f57c935984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797abc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f619172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2effa886b423861285c97ffffffffffffffff"
#define DH2_X_CTRL "23282d32373c41464b50555a5f64696e73787d82878c91969ba0a5aaafb4b9be"
#define DH2_X_HOST "9b9481bab7a0ddd6c3fce9e21f08053e2b24514a47706d66938cb9b2afd8d5ce"
#define DH2_DIGEST "8f6fbf4081bfa8d205321282ff6186cc41fc56a97cfcd79ac87fde45e04ae444"
#define DH3_X_CTRL "24292e33383d42474c51565b60656a6f74797e83888d92979ca1a6abb0b5babfc4c9ced3d8dd"
#define DH3_X_HOST "9a9780bdb6a3dcc9c2ffe8e51e0b04312a27504d46736c99928fb8b5aedbd4c1faf7e01d1603"
#define DH3_DIGEST "a8e6b5cc4f4b5d9d33da3296640a70ef2a069f1610ca14e5ced8ce55313dfc74"
#define DH4_X_CTRL "252a2f34393e43484d52575c61666b70757a7f84898e93989da2a7acb1b6bbc0c5cacfd4d9dee3e8edf2f7fc"
#define DH4_X_HOST "9d9683bca9a2dfc8c5feebe4110a07302d26534c79726f98958ebbb4a1dad7c0fdf6e31c09023f28255e4b44"
#define DH4_DIGEST "f785be83d4ed5940bab401398e4d7450e150980bb89123a862cc8f8bd8571fce"
#define DH5_X_CTRL "262b30353a3f44494e53585d62676c71767b80858a8f94999ea3a8adb2b7bcc1c6cbd0d5dadfe4e9eef3f8fd02070c11161b"
#define DH5_X_HOST "9c8982bfa8a5decbc4f1eae7100d06332c59524f78756e9b9481bab7a0ddd6c3fce9e21f08053e2b24514a47706d66938cb9"
#define DH5_DIGEST "677b9ded453451fb60d54fe98f5a136184a5ccc4b8408a2bad6764584b091519"

/* ---- helpers -------------------------------------------------------------- */

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	return unit_unhex(hex, out, cap);
}

static void expect_hex(const uint8_t *got, size_t len, const char *hex)
{
	uint8_t want[KT_DHCHAP_DH_MAX];
	size_t n = unhex(hex, want, sizeof(want));

	assert_int_equal(len, n);
	assert_memory_equal(got, want, n);
}

static void key_from_hex(struct kt_dhchap_key *k, uint8_t hh, const char *hex)
{
	memset(k, 0, sizeof(*k));
	k->hash = hh;
	k->len = (uint8_t)unhex(hex, k->key, sizeof(k->key));
}

/* Randomness fed from fixed buffers, each call taking exactly the next. */
struct feed {
	const char *hex[4];
	int next;
	int fail_at;         /* call number that fails (-1: none) */
};

static int feed_rand(void *ctx, void *buf, size_t len)
{
	struct feed *f = ctx;
	uint8_t tmp[KT_DHCHAP_DH_MAX];
	size_t n;

	if (f->next == f->fail_at)
		return -EIO;
	assert_true(f->next < 4 && f->hex[f->next]);
	n = unhex(f->hex[f->next++], tmp, sizeof(tmp));
	assert_int_equal(n, len);
	memcpy(buf, tmp, n);
	return 0;
}

static struct kt_dhchap_resp_in resp_in(uint8_t hash, const uint8_t *c, uint32_t seq, uint16_t tid,
					uint8_t sc, const uint8_t *skey, size_t skey_len)
{
	struct kt_dhchap_resp_in in = {
		.hash_id = hash, .challenge = c, .seqnum = seq, .tid = tid, .sc_c = sc,
		.hostnqn = HOSTNQN, .subnqn = SUBNQN, .skey = skey, .skey_len = skey_len,
	};

	return in;
}

/* ---- tables --------------------------------------------------------------- */

static void test_ids(void **state)
{
	(void)state;
	assert_int_equal(kt_dhchap_hash_len(0), 0);
	assert_int_equal(kt_dhchap_hash_len(KT_DHCHAP_SHA256), 32);
	assert_int_equal(kt_dhchap_hash_len(KT_DHCHAP_SHA384), 48);
	assert_int_equal(kt_dhchap_hash_len(KT_DHCHAP_SHA512), 64);
	assert_int_equal(kt_dhchap_hash_len(4), 0);
	assert_int_equal(kt_dhchap_hash_len(0xff), 0);
	assert_string_equal(kt_dhchap_hash_name(2), "sha384");
	assert_null(kt_dhchap_hash_name(0));
	assert_int_equal(kt_dhchap_dh_len(KT_DHCHAP_DH_NULL), 0);
	assert_int_equal(kt_dhchap_dh_len(KT_DHCHAP_FFDHE2048), 256);
	assert_int_equal(kt_dhchap_dh_len(KT_DHCHAP_FFDHE3072), 384);
	assert_int_equal(kt_dhchap_dh_len(KT_DHCHAP_FFDHE4096), 512);
	assert_int_equal(kt_dhchap_dh_len(KT_DHCHAP_FFDHE6144), 768);
	assert_int_equal(kt_dhchap_dh_len(KT_DHCHAP_FFDHE8192), 1024);
	assert_int_equal(kt_dhchap_dh_len(6), 0);
	assert_true(kt_dhchap_dhgroup_known(0));
	assert_true(kt_dhchap_dhgroup_known(5));
	assert_false(kt_dhchap_dhgroup_known(6));
	assert_false(kt_dhchap_dhgroup_known(0xff));
	assert_string_equal(kt_dhchap_dhgroup_name(0), "null");
	assert_string_equal(kt_dhchap_dhgroup_name(5), "ffdhe8192");
	assert_null(kt_dhchap_dhgroup_name(6));
}

/* ---- responses, NULL DH group --------------------------------------------- */

static void test_responses_each_hash(void **state)
{
	const char *hkey[] = { HKEY_1, HKEY_2, HKEY_3 }, *ckey[] = { CKEY_1, CKEY_2, CKEY_3 };
	const char *c1[] = { C1_1, C1_2, C1_3 }, *c2[] = { C2_1, C2_2, C2_3 };
	const char *hresp[] = { HRESP_1, HRESP_2, HRESP_3 }, *cresp[] = { CRESP_1, CRESP_2, CRESP_3 };

	(void)state;
	for (uint8_t h = 1; h <= 3; h++) {
		uint8_t c[KT_DHCHAP_HASH_MAX], out[KT_DHCHAP_HASH_MAX];
		struct kt_dhchap_resp_in in;
		struct kt_dhchap_key k;
		size_t hl = kt_dhchap_hash_len(h);

		key_from_hex(&k, h, hkey[h - 1]);
		unhex(c1[h - 1], c, sizeof(c));
		in = resp_in(h, c, 0x12345678, 0x0102, 0, NULL, 0);
		assert_int_equal(kt_dhchap_host_response(&k, &in, out), 0);
		expect_hex(out, hl, hresp[h - 1]);

		key_from_hex(&k, h, ckey[h - 1]);
		unhex(c2[h - 1], c, sizeof(c));
		in = resp_in(h, c, 0x9abcdef0, 0x0102, 0, NULL, 0);
		assert_int_equal(kt_dhchap_ctrl_response(&k, &in, out), 0);
		expect_hex(out, hl, cresp[h - 1]);
	}
}

/* The negotiated hash is not the key's: an untransformed 32-byte key
 * answering SHA-512 with SC_C 2 and TID 0xfffe; a SHA-256-transformed key
 * answering SHA-384. */
static void test_response_hash_differs_from_key(void **state)
{
	uint8_t c[KT_DHCHAP_HASH_MAX], out[KT_DHCHAP_HASH_MAX];
	struct kt_dhchap_resp_in in;
	struct kt_dhchap_key k;

	(void)state;
	key_from_hex(&k, 0, HKEY_1);
	unhex(C1_3, c, sizeof(c));
	in = resp_in(KT_DHCHAP_SHA512, c, 1, 0xfffe, 2, NULL, 0);
	assert_int_equal(kt_dhchap_host_response(&k, &in, out), 0);
	expect_hex(out, 64, HRESP_HH0_SHA512_SC2);

	key_from_hex(&k, 1, HKEY_1);
	unhex(C1_2, c, sizeof(c));
	in = resp_in(KT_DHCHAP_SHA384, c, 7, 9, 0, NULL, 0);
	assert_int_equal(kt_dhchap_host_response(&k, &in, out), 0);
	expect_hex(out, 48, HRESP_HH1_SHA384);
}

static void test_response_refusals(void **state)
{
	uint8_t c[KT_DHCHAP_HASH_MAX] = { 0 }, out[KT_DHCHAP_HASH_MAX];
	struct kt_dhchap_resp_in in;
	struct kt_dhchap_key k;

	(void)state;
	key_from_hex(&k, 1, HKEY_1);
	in = resp_in(0, c, 1, 1, 0, NULL, 0);
	assert_int_equal(kt_dhchap_host_response(&k, &in, out), -EINVAL);
	in = resp_in(4, c, 1, 1, 0, NULL, 0);
	assert_int_equal(kt_dhchap_host_response(&k, &in, out), -EINVAL);
	in = resp_in(1, NULL, 1, 1, 0, NULL, 0);
	assert_int_equal(kt_dhchap_host_response(&k, &in, out), -EINVAL);
	in = resp_in(1, c, 1, 1, 0, NULL, 0);
	in.hostnqn = "";
	assert_int_equal(kt_dhchap_host_response(&k, &in, out), -EINVAL);
	in.hostnqn = NULL;
	assert_int_equal(kt_dhchap_ctrl_response(&k, &in, out), -EINVAL);
	in = resp_in(1, c, 1, 1, 0, NULL, 0);
	assert_int_equal(kt_dhchap_host_response(NULL, &in, out), -EINVAL);
}

static void test_augment_null_group_is_identity(void **state)
{
	uint8_t c[64], out[64];

	(void)state;
	unhex(C1_3, c, sizeof(c));
	assert_int_equal(kt_dhchap_augment(KT_DHCHAP_SHA512, NULL, 0, c, out), 0);
	assert_memory_equal(out, c, 64);
	assert_int_equal(kt_dhchap_augment(0, NULL, 0, c, out), -EINVAL);
}

/* ---- ffdhe2048 ---------------------------------------------------------------- */

static void test_ffdhe2048_both_sides(void **state)
{
	uint8_t pub_c[256], pub_h[256], ks_c[256], ks_h[256];
	struct feed fc = { { DH_X_CTRL }, 0, -1 }, fh = { { DH_X_HOST }, 0, -1 };
	struct kt_dhchap_dh *dc = NULL, *dh = NULL;

	(void)state;
	assert_int_equal(kt_dhchap_dh_generate(KT_DHCHAP_FFDHE2048, feed_rand, &fc, &dc, pub_c,
					       sizeof(pub_c)), 0);
	expect_hex(pub_c, sizeof(pub_c), DH_CTRL_PUB);
	assert_int_equal(kt_dhchap_dh_generate(KT_DHCHAP_FFDHE2048, feed_rand, &fh, &dh, pub_h,
					       sizeof(pub_h)), 0);
	expect_hex(pub_h, sizeof(pub_h), DH_HOST_PUB);

	assert_int_equal(kt_dhchap_dh_shared(dc, pub_h, sizeof(pub_h), ks_c, sizeof(ks_c)), 0);
	assert_int_equal(kt_dhchap_dh_shared(dh, pub_c, sizeof(pub_c), ks_h, sizeof(ks_h)), 0);
	expect_hex(ks_c, sizeof(ks_c), DH_SKEY);
	expect_hex(ks_h, sizeof(ks_h), DH_SKEY);
	kt_dhchap_dh_free(dc);
	kt_dhchap_dh_free(dh);
}

static void test_ffdhe2048_responses(void **state)
{
	uint8_t ks[256], c[64], out[64];
	struct kt_dhchap_resp_in in;
	struct kt_dhchap_key k;

	(void)state;
	unhex(DH_SKEY, ks, sizeof(ks));
	unhex(C1_1, c, sizeof(c));
	assert_int_equal(kt_dhchap_augment(KT_DHCHAP_SHA256, ks, sizeof(ks), c, out), 0);
	expect_hex(out, 32, DH_AUG_C1);
	unhex(C1_3, c, sizeof(c));
	assert_int_equal(kt_dhchap_augment(KT_DHCHAP_SHA512, ks, sizeof(ks), c, out), 0);
	expect_hex(out, 64, DH_AUG_C1_SHA512);

	key_from_hex(&k, 1, HKEY_1);
	unhex(C1_1, c, sizeof(c));
	in = resp_in(KT_DHCHAP_SHA256, c, 0x12345678, 0x0102, 0, ks, sizeof(ks));
	assert_int_equal(kt_dhchap_host_response(&k, &in, out), 0);
	expect_hex(out, 32, DH_HRESP);
	key_from_hex(&k, 1, CKEY_1);
	unhex(C2_1, c, sizeof(c));
	in = resp_in(KT_DHCHAP_SHA256, c, 0x9abcdef0, 0x0102, 0, ks, sizeof(ks));
	assert_int_equal(kt_dhchap_ctrl_response(&k, &in, out), 0);
	expect_hex(out, 32, DH_CRESP);
}

/* The controller's whole transaction: C1 then its private value come from
 * the randomness in that order. */
static void test_txn_ffdhe2048(void **state)
{
	struct feed f = { { C1_1, DH_X_CTRL }, 0, -1 };
	uint8_t rval[32], c2[32], hpub[256], out[32];
	struct kt_dhchap_key hk, ck;
	struct kt_dhchap_txn t;

	(void)state;
	key_from_hex(&hk, 1, HKEY_1);
	key_from_hex(&ck, 1, CKEY_1);
	unhex(DH_HRESP, rval, sizeof(rval));
	unhex(C2_1, c2, sizeof(c2));
	unhex(DH_HOST_PUB, hpub, sizeof(hpub));

	assert_int_equal(kt_dhchap_txn_start(&t, KT_DHCHAP_SHA256, KT_DHCHAP_FFDHE2048, 0x0102, 0), 0);
	assert_int_equal(t.hlen, 32);
	assert_int_equal(t.dhlen, 256);
	assert_int_equal(kt_dhchap_txn_challenge(&t, 0x12345678, feed_rand, &f), 0);
	expect_hex(t.c1, 32, C1_1);
	expect_hex(t.pub, 256, DH_CTRL_PUB);
	/* a DH value of the wrong length, then a wrong R1 */
	assert_int_equal(kt_dhchap_txn_check_reply(&t, &hk, HOSTNQN, SUBNQN, rval, c2, 0x9abcdef0,
						   hpub, 255), -EINVAL);
	rval[31] ^= 1;
	assert_int_equal(kt_dhchap_txn_check_reply(&t, &hk, HOSTNQN, SUBNQN, rval, c2, 0x9abcdef0,
						   hpub, sizeof(hpub)), -EACCES);
	assert_false(t.c2_valid);
	rval[31] ^= 1;
	assert_int_equal(kt_dhchap_txn_check_reply(&t, &hk, HOSTNQN, SUBNQN, rval, c2, 0x9abcdef0,
						   hpub, sizeof(hpub)), 0);
	assert_true(t.have_skey);
	expect_hex(t.skey, 256, DH_SKEY);
	assert_true(t.c2_valid);
	assert_int_equal(t.s2, 0x9abcdef0);
	assert_int_equal(kt_dhchap_txn_ctrl_response(&t, &ck, HOSTNQN, SUBNQN, out), 0);
	expect_hex(out, 32, DH_CRESP);
	/* the host's key answering for the controller gives another R2 */
	assert_int_equal(kt_dhchap_txn_ctrl_response(&t, &hk, HOSTNQN, SUBNQN, out), 0);
	unhex(DH_CRESP, rval, sizeof(rval));
	assert_memory_not_equal(out, rval, sizeof(rval));
	kt_dhchap_txn_clear(&t);
	assert_false(t.have_skey);
	assert_null(t.dh);
	for (size_t i = 0; i < sizeof(t.skey); i++)
		assert_int_equal(t.skey[i], 0);
}

/* NULL group, SHA-384: no DH value, unidirectional then bidirectional. */
static void test_txn_null_group(void **state)
{
	struct feed f = { { C1_2 }, 0, -1 };
	uint8_t rval[48], c2[48], out[48];
	struct kt_dhchap_key hk, ck;
	struct kt_dhchap_txn t;

	(void)state;
	key_from_hex(&hk, 2, HKEY_2);
	key_from_hex(&ck, 2, CKEY_2);
	unhex(HRESP_2, rval, sizeof(rval));
	unhex(C2_2, c2, sizeof(c2));
	assert_int_equal(kt_dhchap_txn_start(&t, KT_DHCHAP_SHA384, KT_DHCHAP_DH_NULL, 0x0102, 0), 0);
	assert_int_equal(kt_dhchap_txn_challenge(&t, 0x12345678, feed_rand, &f), 0);
	assert_null(t.dh);
	assert_int_equal(t.dhlen, 0);
	/* a DH value where the group has none */
	assert_int_equal(kt_dhchap_txn_check_reply(&t, &hk, HOSTNQN, SUBNQN, rval, NULL, 0, c2, 48),
			 -EINVAL);
	assert_int_equal(kt_dhchap_txn_check_reply(&t, &hk, HOSTNQN, SUBNQN, rval, NULL, 0, NULL, 0), 0);
	assert_false(t.c2_valid);
	assert_int_equal(kt_dhchap_txn_ctrl_response(&t, &ck, HOSTNQN, SUBNQN, out), -EINVAL);
	assert_int_equal(kt_dhchap_txn_check_reply(&t, &hk, HOSTNQN, SUBNQN, rval, c2, 0x9abcdef0,
						   NULL, 0), 0);
	assert_int_equal(kt_dhchap_txn_ctrl_response(&t, &ck, HOSTNQN, SUBNQN, out), 0);
	expect_hex(out, 48, CRESP_2);
	kt_dhchap_txn_clear(&t);
}

static void test_txn_refusals(void **state)
{
	struct feed f = { { C1_1 }, 0, 0 };
	struct kt_dhchap_txn t;

	(void)state;
	assert_int_equal(kt_dhchap_txn_start(&t, 0, 0, 1, 0), -EINVAL);
	assert_int_equal(kt_dhchap_txn_start(&t, 1, 6, 1, 0), -EINVAL);
	assert_int_equal(kt_dhchap_txn_start(&t, 1, 1, 1, 0), 0);
	assert_int_equal(kt_dhchap_txn_challenge(&t, 1, feed_rand, &f), -EIO); /* the source failed */
	assert_int_equal(kt_dhchap_txn_challenge(&t, 1, NULL, NULL), -EINVAL);
	kt_dhchap_txn_clear(&t);
}

/* ---- refused DH values and private values -------------------------------- */

static void test_dh_refusals(void **state)
{
	struct feed f = { { DH_X_CTRL }, 0, -1 };
	uint8_t pub[256], peer[256], ks[256];
	struct kt_dhchap_dh *d = NULL;

	(void)state;
	assert_int_equal(kt_dhchap_dh_generate(KT_DHCHAP_FFDHE2048, feed_rand, &f, &d, pub,
					       sizeof(pub)), 0);
	/* 0, 1, p - 1, p, all ones */
	memset(peer, 0, sizeof(peer));
	assert_int_equal(kt_dhchap_dh_shared(d, peer, sizeof(peer), ks, sizeof(ks)), -EINVAL);
	peer[255] = 1;
	assert_int_equal(kt_dhchap_dh_shared(d, peer, sizeof(peer), ks, sizeof(ks)), -EINVAL);
	unhex(FFDHE2048_P, peer, sizeof(peer));
	assert_int_equal(kt_dhchap_dh_shared(d, peer, sizeof(peer), ks, sizeof(ks)), -EINVAL);
	peer[255] -= 1;
	assert_int_equal(kt_dhchap_dh_shared(d, peer, sizeof(peer), ks, sizeof(ks)), -EINVAL);
	memset(peer, 0xff, sizeof(peer));
	assert_int_equal(kt_dhchap_dh_shared(d, peer, sizeof(peer), ks, sizeof(ks)), -EINVAL);
	/* lengths */
	unhex(DH_HOST_PUB, peer, sizeof(peer));
	assert_int_equal(kt_dhchap_dh_shared(d, peer, 255, ks, sizeof(ks)), -EINVAL);
	assert_int_equal(kt_dhchap_dh_shared(d, peer, sizeof(peer), ks, 255), -EINVAL);
	assert_int_equal(kt_dhchap_dh_shared(NULL, peer, sizeof(peer), ks, sizeof(ks)), -EINVAL);
	assert_int_equal(kt_dhchap_dh_shared(d, peer, sizeof(peer), ks, sizeof(ks)), 0);
	expect_hex(ks, sizeof(ks), DH_SKEY);
	kt_dhchap_dh_free(d);

	/* a private value of 0 or 1; no NULL group, unknown group, wrong
	 * public length */
	f = (struct feed){ { "00000000000000000000000000000000000000000000000000000000" }, 0, -1 };
	assert_int_equal(kt_dhchap_dh_generate(1, feed_rand, &f, &d, pub, sizeof(pub)), -EINVAL);
	assert_null(d);
	f = (struct feed){ { "00000000000000000000000000000000000000000000000000000001" }, 0, -1 };
	assert_int_equal(kt_dhchap_dh_generate(1, feed_rand, &f, &d, pub, sizeof(pub)), -EINVAL);
	assert_int_equal(kt_dhchap_dh_generate(0, kt_dhchap_rand_bytes, NULL, &d, pub, sizeof(pub)),
			 -EINVAL);
	assert_int_equal(kt_dhchap_dh_generate(6, kt_dhchap_rand_bytes, NULL, &d, pub, sizeof(pub)),
			 -EINVAL);
	assert_int_equal(kt_dhchap_dh_generate(2, kt_dhchap_rand_bytes, NULL, &d, pub, sizeof(pub)),
			 -EINVAL);
	assert_null(d);
}

/* ffdhe3072..8192: both sides from fixed private values; the public values
 * and Ks checked through one SHA-256 over all three. */
static void test_other_groups(void **state)
{
	const char *xc[] = { DH2_X_CTRL, DH3_X_CTRL, DH4_X_CTRL, DH5_X_CTRL };
	const char *xh[] = { DH2_X_HOST, DH3_X_HOST, DH4_X_HOST, DH5_X_HOST };
	const char *digest[] = { DH2_DIGEST, DH3_DIGEST, DH4_DIGEST, DH5_DIGEST };
	static uint8_t buf[3 * KT_DHCHAP_DH_MAX], ks2[KT_DHCHAP_DH_MAX];

	(void)state;
	for (uint8_t g = 2; g <= 5; g++) {
		size_t n = kt_dhchap_dh_len(g);
		struct feed fc = { { xc[g - 2] }, 0, -1 }, fh = { { xh[g - 2] }, 0, -1 };
		struct kt_dhchap_dh *dc = NULL, *dh = NULL;
		uint8_t md[SHA256_DIGEST_LENGTH];

		assert_int_equal(kt_dhchap_dh_generate(g, feed_rand, &fc, &dc, buf, n), 0);
		assert_int_equal(kt_dhchap_dh_generate(g, feed_rand, &fh, &dh, buf + n, n), 0);
		assert_int_equal(kt_dhchap_dh_shared(dc, buf + n, n, buf + 2 * n, n), 0);
		assert_int_equal(kt_dhchap_dh_shared(dh, buf, n, ks2, n), 0);
		assert_memory_equal(buf + 2 * n, ks2, n);
		SHA256(buf, 3 * n, md);
		expect_hex(md, sizeof(md), digest[g - 2]);
		kt_dhchap_dh_free(dc);
		kt_dhchap_dh_free(dh);
	}
}

/* With RAND_bytes the two sides still agree. */
static void test_random_exchange(void **state)
{
	uint8_t pa[256], pb[256], ka[256], kb[256];
	struct kt_dhchap_dh *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(kt_dhchap_dh_generate(1, kt_dhchap_rand_bytes, NULL, &a, pa, sizeof(pa)), 0);
	assert_int_equal(kt_dhchap_dh_generate(1, kt_dhchap_rand_bytes, NULL, &b, pb, sizeof(pb)), 0);
	assert_int_equal(kt_dhchap_dh_shared(a, pb, sizeof(pb), ka, sizeof(ka)), 0);
	assert_int_equal(kt_dhchap_dh_shared(b, pa, sizeof(pa), kb, sizeof(kb)), 0);
	assert_memory_equal(ka, kb, sizeof(ka));
	kt_dhchap_dh_free(a);
	kt_dhchap_dh_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_responses_each_hash),
		cmocka_unit_test(test_response_hash_differs_from_key),
		cmocka_unit_test(test_response_refusals),
		cmocka_unit_test(test_augment_null_group_is_identity),
		cmocka_unit_test(test_ffdhe2048_both_sides),
		cmocka_unit_test(test_ffdhe2048_responses),
		cmocka_unit_test(test_txn_ffdhe2048),
		cmocka_unit_test(test_txn_null_group),
		cmocka_unit_test(test_txn_refusals),
		cmocka_unit_test(test_dh_refusals),
		cmocka_unit_test(test_other_groups),
		cmocka_unit_test(test_random_exchange),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_b64.c - the strict Base64 of proto/b64.c and the IEEE CRC-32 of
 * proto/crc32.c, which the configured-key strings (NVMeTLSkey-1, DHHC-1) and
 * PSK digests rest on. Expected values: RFC 4648 section 10, and the CRC-32
 * check value of "123456789" (0xCBF43926, as zlib's crc32).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/b64.h"
#include "proto/crc32.h"

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(kt_crc32("123456789", 9), 0xCBF43926u);
	assert_int_equal(kt_crc32("", 0), 0);
}

static void test_b64_rfc4648(void **state)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
					   "Zm9vYmFy" };
	char out[16];
	uint8_t dec[16];
	size_t i;

	(void)state;
	for (i = 0; i < 7; i++) {
		assert_int_equal(kt_b64_encode(plain[i], strlen(plain[i]), out, sizeof(out)),
				 (int)strlen(enc[i]));
		assert_string_equal(out, enc[i]);
		assert_int_equal(kt_b64_decode(enc[i], strlen(enc[i]), dec, sizeof(dec)),
				 (int)strlen(plain[i]));
		assert_memory_equal(dec, plain[i], strlen(plain[i]));
	}
	/* the whole alphabet */
	{
		uint8_t all[48], back[48];
		char text[65];

		for (i = 0; i < 48; i++)
			all[i] = (uint8_t)(i * 5 + 3);
		all[0] = 0xfb;
		all[1] = 0xff;
		assert_int_equal(kt_b64_encode(all, 48, text, sizeof(text)), 64);
		assert_int_equal(kt_b64_decode(text, 64, back, sizeof(back)), 48);
		assert_memory_equal(all, back, 48);
	}
	/* room */
	assert_int_equal(kt_b64_encode("foo", 3, out, 4), -ENOSPC);
	assert_int_equal(kt_b64_encode("foo", 3, out, 5), 4);
	assert_int_equal(kt_b64_decode("Zm9vYmFy", 8, dec, 5), -ENOSPC);
	assert_int_equal(kt_b64_decode("Zm9vYg==", 8, dec, 4), 4);
}

static void test_b64_strict(void **state)
{
	static const char *const bad[] = {
		"Zg=",       /* not a multiple of 4 */
		"Zg",        /* no padding */
		"Zh==",      /* leftover bits not zero */
		"Zm9=",      /* leftover bits not zero */
		"Zg==Zg==",  /* padding inside */
		"Z===",      /* three '=' */
		"====",
		"Zm=v",      /* '=' then data */
		"=m9v",
		"Zm9v\n",
		"Zm9 ",
		"Zm9v Zm9v",
		"Zm9-",      /* URL-safe alphabet is not ours */
		"Zm9_",
		"Zm9\x80",
	};
	uint8_t dec[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (kt_b64_decode(bad[i], strlen(bad[i]), dec, sizeof(dec)) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	/* a NUL in the middle is just a byte not in the alphabet */
	assert_int_equal(kt_b64_decode("Zm\0v", 4, dec, sizeof(dec)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_b64_rfc4648),
		cmocka_unit_test(test_b64_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

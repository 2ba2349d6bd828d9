/*
 * test_tls_hello.c - the pre_shared_key extension reader the TLS server
 * uses to choose cipher suites (proto/tls_hello.c): well-formed offers of
 * one and two PSKs, and every malformed length refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "proto/tls_hello.h"

/* One identity "NVMe0R01 h s" (12 bytes), age 0, and one binder of blen. */
static size_t one_psk(uint8_t *b, unsigned blen)
{
	static const char id[] = "NVMe0R01 h s";
	size_t o = 0, il = sizeof(id) - 1;
	b[o++] = 0;
	b[o++] = (uint8_t)(2 + il + 4);
	b[o++] = 0;
	b[o++] = (uint8_t)il;
	memcpy(b + o, id, il);
	o += il;
	memset(b + o, 0, 4);
	o += 4;
	b[o++] = 0;
	b[o++] = (uint8_t)(1 + blen);
	b[o++] = (uint8_t)blen;
	memset(b + o, 0xab, blen);
	return o + blen;
}

static void test_good(void **state)
{
	(void)state;
	uint8_t b[512];
	size_t n = one_psk(b, 32);
	assert_int_equal(kt_tls_hello_binder_len(b, n), 32);
	n = one_psk(b, 48);
	assert_int_equal(kt_tls_hello_binder_len(b, n), 48);
}

static void test_two_psks(void **state)
{
	(void)state;
	/* identities: "a" age, "bb" age; binders: 48 then 32 */
	uint8_t b[256];
	/* identities: 7 + 8 = 15 bytes */
	const uint8_t ids[] = { 0, 15, 0, 1, 'a', 0, 0, 0, 0, 0, 2, 'b', 'b', 0, 0, 0, 0 };
	memcpy(b, ids, sizeof(ids));
	size_t o = sizeof(ids);
	b[o++] = 0;
	b[o++] = 1 + 48 + 1 + 32;
	b[o++] = 48;
	memset(b + o, 1, 48);
	o += 48;
	b[o++] = 32;
	memset(b + o, 2, 32);
	o += 32;
	assert_int_equal(kt_tls_hello_binder_len(b, o), 48);
}

static void test_malformed(void **state)
{
	(void)state;
	uint8_t b[512], c[512];
	size_t n = one_psk(b, 32);
	assert_int_equal(kt_tls_hello_binder_len(NULL, 0), -EINVAL);
	assert_int_equal(kt_tls_hello_binder_len(b, 1), -EINVAL);
	/* every truncation */
	for (size_t k = 0; k < n; k++)
		assert_int_equal(kt_tls_hello_binder_len(b, k), -EINVAL);
	/* a byte too many */
	memcpy(c, b, n);
	c[n] = 0;
	assert_int_equal(kt_tls_hello_binder_len(c, n + 1), -EINVAL);
	/* identities longer than the body */
	memcpy(c, b, n);
	c[0] = 0xff;
	assert_int_equal(kt_tls_hello_binder_len(c, n), -EINVAL);
	/* an empty identity */
	memcpy(c, b, n);
	c[3] = 0;
	assert_int_equal(kt_tls_hello_binder_len(c, n), -EINVAL);
	/* a binder shorter than 32 */
	n = one_psk(b, 31);
	assert_int_equal(kt_tls_hello_binder_len(b, n), -EINVAL);
	/* every single-byte change never reads out of bounds (ASan checks) */
	n = one_psk(b, 48);
	for (size_t k = 0; k < n; k++)
		for (unsigned v = 0; v < 256; v += 51) {
			memcpy(c, b, n);
			c[k] = (uint8_t)v;
			int r = kt_tls_hello_binder_len(c, n);
			assert_true(r == -EINVAL || (r >= 32 && r <= 255));
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_two_psks),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

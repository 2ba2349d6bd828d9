/*
 * test_tls_keyring.c - the kernel keyring's TLS PSKs (daemon/core/tls_keyring.c)
 * without a keyring: /proc/keys lines (the keyring's serial and owner, and
 * every way a line can be another key or another name), the name in effect
 * (the default, none, and names that stay valid after a change), and the
 * lookups refused before any system call. A real keyring is
 * tests/integration/test_tls_keyring.c's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/core/tls_keyring.h"

static int line(const char *l, const char *name, int32_t *serial, uid_t *uid)
{
	*serial = -1;
	*uid = (uid_t)-1;
	return kt_tls_keyring_proc_line(l, name, serial, uid);
}

static void proc_lines(void **state)
{
	(void)state;
	int32_t s;
	uid_t u;
	/* as /proc/keys shows the nvme-keyring module's keyring */
	assert_int_equal(line("0c9a1b2d I--Q---     1 perm 3f030000     0     0 keyring   .nvme: 1\n", ".nvme", &s, &u), 1);
	assert_int_equal(s, 0x0c9a1b2d);
	assert_int_equal(u, 0);
	/* empty, no newline, another owner, an expiry instead of "perm" */
	assert_int_equal(line("200ad150 I--Q---     1 perm 1f1f0000  1000  1000 keyring   kato-test-42: empty", "kato-test-42",
			      &s, &u), 1);
	assert_int_equal(s, 0x200ad150);
	assert_int_equal(u, 1000);
	assert_int_equal(line("3fffffff I--Q---     2   4d 1f1f0000     0     0 keyring   .nvme: 3\n", ".nvme", &s, &u), 1);
	assert_int_equal(s, 0x3fffffff);
	/* a name with a colon */
	assert_int_equal(line("00000001 I--Q---     1 perm 1f1f0000     0     0 keyring   a:b: 1\n", "a:b", &s, &u), 1);

	/* other names: longer, shorter, a prefix, another keyring's "a:b" */
	assert_int_equal(line("0c9a1b2d I--Q---     1 perm 3f030000     0     0 keyring   .nvmeX: 1\n", ".nvme", &s, &u), 0);
	assert_int_equal(line("0c9a1b2d I--Q---     1 perm 3f030000     0     0 keyring   .nvm: 1\n", ".nvme", &s, &u), 0);
	assert_int_equal(line("00000001 I--Q---     1 perm 1f1f0000     0     0 keyring   a:b: 1\n", "a", &s, &u), 0);
	assert_int_equal(line("0c9a1b2d I--Q---     1 perm 3f030000     0     0 keyring   .nvme: 1\n", "", &s, &u), 0);
	/* other types with that description */
	assert_int_equal(line("0c9a1b2d I--Q---     1 perm 3f010000     0     0 user      .nvme: 32\n", ".nvme", &s, &u), 0);
	assert_int_equal(line("0c9a1b2d I--Q---     1 perm 3f010000     0     0 keyringx  .nvme: 1\n", ".nvme", &s, &u), 0);
	/* malformed: serial, uid, missing fields */
	assert_int_equal(line("0c9a1b2 I--Q---     1 perm 3f030000     0     0 keyring   .nvme: 1\n", ".nvme", &s, &u), 0);
	assert_int_equal(line("00000000 I--Q---     1 perm 3f030000     0     0 keyring   .nvme: 1\n", ".nvme", &s, &u), 0);
	assert_int_equal(line("8c9a1b2d I--Q---     1 perm 3f030000     0     0 keyring   .nvme: 1\n", ".nvme", &s, &u), 0);
	assert_int_equal(line("0c9a1b2d I--Q---     1 perm 3f030000    -1     0 keyring   .nvme: 1\n", ".nvme", &s, &u), 0);
	assert_int_equal(line("0c9a1b2d I--Q---     1 perm 3f030000\n", ".nvme", &s, &u), 0);
	assert_int_equal(line("", ".nvme", &s, &u), 0);
	assert_int_equal(s, -1);
}

static void names(void **state)
{
	(void)state;
	assert_int_equal(kt_tls_keyring_set(NULL), 0);
	assert_string_equal(kt_tls_keyring_name(), ".nvme");
	const char *dflt = kt_tls_keyring_name();
	assert_int_equal(kt_tls_keyring_set(""), 0);
	assert_null(kt_tls_keyring_name());
	assert_int_equal(kt_tls_keyring_set("kato-test-1"), 0);
	assert_string_equal(kt_tls_keyring_name(), "kato-test-1");
	/* a name handed out stays valid and is given again */
	assert_int_equal(kt_tls_keyring_set(".nvme"), 0);
	assert_ptr_equal(kt_tls_keyring_name(), dflt);
	assert_string_equal(dflt, ".nvme");
	kt_tls_keyring_free();
	assert_null(kt_tls_keyring_name());
}

#define ID "NVMe0R01 nqn.2014-08.org.nvmexpress:uuid:h nqn.2026-11.io.kato:s"

static void refused_lookups(void **state)
{
	(void)state;
	struct kt_tls_psk psk;
	const char *ring = "x", *why = "x";
	/* none configured: nothing looked at, nothing to say */
	assert_int_equal(kt_tls_keyring_set(""), 0);
	assert_int_equal(kt_tls_keyring_lookup(ID, strlen(ID), KT_TLS_HASH_SHA256, &psk, &ring, &why), -ENOKEY);
	assert_null(ring);
	assert_null(why);
	/* identities no keyring is searched for */
	assert_int_equal(kt_tls_keyring_set("kato-unit-no-such-keyring"), 0);
	static const char nul[] = "NVMe0R01 h\0s";
	assert_int_equal(kt_tls_keyring_lookup(nul, sizeof(nul) - 1, KT_TLS_HASH_SHA256, &psk, &ring, &why), -EINVAL);
	assert_string_equal(ring, "kato-unit-no-such-keyring");
	assert_non_null(why);
	assert_int_equal(kt_tls_keyring_lookup("NVMe0R01 h\ts", 12, KT_TLS_HASH_SHA256, &psk, &ring, &why), -EINVAL);
	assert_int_equal(kt_tls_keyring_lookup(ID, 0, KT_TLS_HASH_SHA256, &psk, &ring, &why), -EINVAL);
	assert_int_equal(kt_tls_keyring_lookup(ID, strlen(ID), KT_TLS_HASH_NONE, &psk, &ring, &why), -EINVAL);
	static char longid[KT_TLS_IDENTITY_MAX + 2];
	memset(longid, 'a', sizeof(longid));
	assert_int_equal(kt_tls_keyring_lookup(longid, sizeof(longid), KT_TLS_HASH_SHA256, &psk, &ring, &why), -EINVAL);
	/* a keyring that is not there (or no /proc/keys at all) */
	int rc = kt_tls_keyring_lookup(ID, strlen(ID), KT_TLS_HASH_SHA256, &psk, &ring, &why);
	assert_true(rc == -ENOKEY || rc == -EIO);
	assert_non_null(why);
	assert_int_equal(psk.len, 0);
	kt_tls_keyring_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(proc_lines),
		cmocka_unit_test(names),
		cmocka_unit_test(refused_lookups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

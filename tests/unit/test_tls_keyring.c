/*
 * test_tls_keyring.c - the kernel keyring's TLS PSKs (daemon/core/tls_keyring.c)
 * against a model of the kernel's keys: the file is included with keyctl(2)
 * and /proc/keys replaced by a table of keys, so that every branch is
 * reachable on any kernel (this one may have no "psk" key type, and a test
 * cannot make a keyring called ".nvme"). Checked: /proc/keys lines (the
 * keyring's serial and owner, and every way a line can be another key or
 * another name); the name in effect (the default, none, names that stay
 * valid after a change); lookups refused before any system call; "psk"
 * before "user"; a "psk" key found by prefix is not taken unless its
 * description is exactly the identity (another key of the keyring that is
 * exactly it is); a payload of another length refused; a keyring of
 * another user skipped; the serial kept, and looked up again only when the
 * keyring is gone or renamed; every link into the thread keyring undone;
 * errors mapped with their reasons. A real keyring is
 * tests/integration/test_tls_keyring.c's.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <openssl/crypto.h>
#include <cmocka.h>

static long fake_syscall(long nr, ...);
static FILE *fake_fopen(const char *path, const char *mode);
#define syscall fake_syscall
#define fopen fake_fopen
#include "daemon/core/tls_keyring.c"
#undef syscall
#undef fopen

/* ---- the model ---------------------------------------------------------- */

struct fkey {
	int32_t serial;
	const char *type;
	char desc[320];
	uint8_t payload[64];
	size_t len;
	uid_t uid;
	int32_t in;              /* the keyring holding it; 0: none */
	bool gone;
};

static struct fkey fk[32];
static int n_fk;
static int n_links, n_unlinks, n_proc_reads;
static bool no_proc;            /* /proc/keys cannot be opened */
static long search_errno;       /* KEYCTL_SEARCH fails with it (0: searches) */

static void model_reset(void)
{
	memset(fk, 0, sizeof(fk));
	n_fk = 0;
	n_links = n_unlinks = n_proc_reads = 0;
	no_proc = false;
	search_errno = 0;
	kt_tls_keyring_free();
}

static int32_t fk_add(const char *type, const char *desc, const void *payload, size_t len, int32_t in, uid_t uid)
{
	struct fkey *k = &fk[n_fk++];
	k->serial = 0x100 + n_fk;
	k->type = type;
	snprintf(k->desc, sizeof(k->desc), "%s", desc);
	if (len)
		memcpy(k->payload, payload, len);
	k->len = len;
	k->in = in;
	k->uid = uid;
	return k->serial;
}

static struct fkey *fk_find(long serial)
{
	for (int i = 0; i < n_fk; i++)
		if (fk[i].serial == serial && !fk[i].gone)
			return &fk[i];
	return NULL;
}

static long kfail(int e)
{
	errno = e;
	return -1;
}

static long fake_syscall(long nr, ...)
{
	va_list ap;
	va_start(ap, nr);
	int op = va_arg(ap, int);
	unsigned long a = va_arg(ap, unsigned long), b = va_arg(ap, unsigned long);
	unsigned long c = va_arg(ap, unsigned long);
	va_end(ap);
	assert_int_equal(nr, SYS_keyctl);
	struct fkey *k = fk_find((long)(int32_t)a);
	if (op == KEYCTL_LINK || op == KEYCTL_UNLINK) {
		assert_int_equal((int32_t)b, KEY_SPEC_THREAD_KEYRING);
		if (!k)
			return kfail(ENOKEY);
		if (op == KEYCTL_LINK)
			n_links++;
		else
			n_unlinks++;
		return 0;
	}
	if (!k)
		return kfail(ENOKEY);
	if (op == KEYCTL_SEARCH) {
		if (strcmp(k->type, "keyring"))
			return kfail(ENOTDIR);
		if (search_errno)
			return kfail((int)search_errno);
		const char *type = (const char *)b, *desc = (const char *)c;
		for (int i = 0; i < n_fk; i++) {
			struct fkey *x = &fk[i];
			if (x->gone || x->in != k->serial || strcmp(x->type, type))
				continue;
			/* the nvme-keyring module's "psk" type matches by prefix */
			if (!strcmp(type, "psk") ? !strncmp(x->desc, desc, strlen(desc)) : !strcmp(x->desc, desc))
				return x->serial;
		}
		return kfail(ENOKEY);
	}
	if (op == KEYCTL_DESCRIBE) {
		char d[512];
		int n = snprintf(d, sizeof(d), "%s;%u;%u;%08x;%s", k->type, (unsigned)k->uid, (unsigned)k->uid,
				 0x3f010000u, k->desc) + 1;
		memcpy((char *)b, d, (size_t)n < c ? (size_t)n : c);
		return n;
	}
	if (op == KEYCTL_READ) {
		if (!strcmp(k->type, "keyring")) {
			int32_t ids[32];
			size_t n = 0;
			for (int i = 0; i < n_fk; i++)
				if (!fk[i].gone && fk[i].in == k->serial)
					ids[n++] = fk[i].serial;
			memcpy((void *)b, ids, n * 4 < c ? n * 4 : c);
			return (long)(n * 4);
		}
		memcpy((void *)b, k->payload, k->len < c ? k->len : c);
		return (long)k->len;
	}
	fail_msg("keyctl operation %d not modelled", op);
	return -1;
}

static char proc_text[4096];

static FILE *fake_fopen(const char *path, const char *mode)
{
	(void)mode;
	assert_string_equal(path, "/proc/keys");
	if (no_proc) {
		errno = ENOENT;
		return NULL;
	}
	n_proc_reads++;
	size_t n = 0;
	proc_text[0] = '\0';
	for (int i = 0; i < n_fk; i++)
		if (!fk[i].gone)
			n += (size_t)snprintf(proc_text + n, sizeof(proc_text) - n,
					      "%08x I--Q---     1 perm 1f1f0000 %5u %5u %-9.9s %s: %s\n",
					      (unsigned)fk[i].serial, (unsigned)fk[i].uid, (unsigned)fk[i].uid, fk[i].type,
					      fk[i].desc, !strcmp(fk[i].type, "keyring") ? "1" : "32");
	return fmemopen(proc_text, n ? n : 1, "r");
}

/* ---- /proc/keys lines and names ------------------------------------------ */

static int pline(const char *l, const char *name, int32_t *serial, uid_t *uid)
{
	*serial = -1;
	*uid = (uid_t)-1;
	return kt_tls_keyring_proc_line(l, name, serial, uid);
}

static void t_proc_lines(void **state)
{
	(void)state;
	int32_t s;
	uid_t u;
	/* as /proc/keys shows the nvme-keyring module's keyring */
	assert_int_equal(pline("0c9a1b2d I--Q---     1 perm 3f030000     0     0 keyring   .nvme: 1\n", ".nvme", &s, &u), 1);
	assert_int_equal(s, 0x0c9a1b2d);
	assert_int_equal(u, 0);
	/* empty, no newline, another owner, an expiry instead of "perm" */
	assert_int_equal(pline("200ad150 I--Q---     1 perm 1f1f0000  1000  1000 keyring   kato-test-42: empty",
			       "kato-test-42", &s, &u), 1);
	assert_int_equal(s, 0x200ad150);
	assert_int_equal(u, 1000);
	assert_int_equal(pline("3fffffff I------     2   4d 1f1f0000     0     0 keyring   .nvme: 3\n", ".nvme", &s, &u), 1);
	assert_int_equal(s, 0x3fffffff);
	/* a name with a colon */
	assert_int_equal(pline("00000001 I--Q---     1 perm 1f1f0000     0     0 keyring   a:b: 1\n", "a:b", &s, &u), 1);

	/* other names: longer, shorter, a prefix, another keyring's "a:b" */
	assert_int_equal(pline("0c9a1b2d I--Q---     1 perm 3f030000     0     0 keyring   .nvmeX: 1\n", ".nvme", &s, &u), 0);
	assert_int_equal(pline("0c9a1b2d I--Q---     1 perm 3f030000     0     0 keyring   .nvm: 1\n", ".nvme", &s, &u), 0);
	assert_int_equal(pline("00000001 I--Q---     1 perm 1f1f0000     0     0 keyring   a:b: 1\n", "a", &s, &u), 0);
	assert_int_equal(pline("0c9a1b2d I--Q---     1 perm 3f030000     0     0 keyring   .nvme: 1\n", "", &s, &u), 0);
	/* other types with that description */
	assert_int_equal(pline("0c9a1b2d I--Q---     1 perm 3f010000     0     0 user      .nvme: 32\n", ".nvme", &s, &u), 0);
	assert_int_equal(pline("0c9a1b2d I--Q---     1 perm 3f010000     0     0 keyringx  .nvme: 1\n", ".nvme", &s, &u), 0);
	/* not live: revoked, dead, invalidated, negative, uninstantiated */
	assert_int_equal(pline("0c9a1b2d IR-Q---     1 perm 3f030000     0     0 keyring   .nvme: 1\n", ".nvme", &s, &u), 0);
	assert_int_equal(pline("0c9a1b2d I-DQ---     1 perm 3f030000     0     0 keyring   .nvme: 1\n", ".nvme", &s, &u), 0);
	assert_int_equal(pline("0c9a1b2d I--Q--i     1 perm 3f030000     0     0 keyring   .nvme: 1\n", ".nvme", &s, &u), 0);
	assert_int_equal(pline("0c9a1b2d I--Q-N-     1 perm 3f030000     0     0 keyring   .nvme: 1\n", ".nvme", &s, &u), 0);
	assert_int_equal(pline("0c9a1b2d ---QU--     1 perm 3f030000     0     0 keyring   .nvme: 1\n", ".nvme", &s, &u), 0);
	/* malformed: serial, uid, missing fields */
	assert_int_equal(pline("0c9a1b2 I--Q---     1 perm 3f030000     0     0 keyring   .nvme: 1\n", ".nvme", &s, &u), 0);
	assert_int_equal(pline("00000000 I--Q---     1 perm 3f030000     0     0 keyring   .nvme: 1\n", ".nvme", &s, &u), 0);
	assert_int_equal(pline("8c9a1b2d I--Q---     1 perm 3f030000     0     0 keyring   .nvme: 1\n", ".nvme", &s, &u), 0);
	assert_int_equal(pline("0c9a1b2d I--Q---     1 perm 3f030000    -1     0 keyring   .nvme: 1\n", ".nvme", &s, &u), 0);
	assert_int_equal(pline("0c9a1b2d I--Q---     1 perm 3f030000\n", ".nvme", &s, &u), 0);
	assert_int_equal(pline("", ".nvme", &s, &u), 0);
	assert_int_equal(s, -1);
}

static void t_names(void **state)
{
	(void)state;
	model_reset();
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

/* ---- lookups --------------------------------------------------------------- */

#define ID "NVMe0R01 nqn.2014-08.org.nvmexpress:uuid:h nqn.2026-11.io.kato:s"
#define ID384 "NVMe0R02 nqn.2014-08.org.nvmexpress:uuid:h nqn.2026-11.io.kato:s"

static const uint8_t PSK_A[64] = { 0xa1, 0xa2, 0xa3, 0xa4 }; /* the rest zero */
static const uint8_t PSK_B[64] = { 0xb1, 0xb2, 0xb3, 0xb4 };

static int look(const char *id, enum kt_tls_hash hash, struct kt_tls_psk *psk, const char **ring, const char **why)
{
	int rc = kt_tls_keyring_lookup(id, strlen(id), hash, psk, ring, why);
	/* every link into the thread keyring is undone */
	assert_int_equal(n_links, n_unlinks);
	return rc;
}

static void t_refused(void **state)
{
	(void)state;
	struct kt_tls_psk psk;
	const char *ring = "x", *why = "x";
	model_reset();
	/* none configured: nothing looked at, nothing to say */
	assert_int_equal(kt_tls_keyring_set(""), 0);
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), -ENOKEY);
	assert_null(ring);
	assert_null(why);
	assert_int_equal(n_proc_reads, 0);
	/* identities no keyring is searched for */
	assert_int_equal(kt_tls_keyring_set("kr"), 0);
	static const char nul[] = "NVMe0R01 h\0s";
	assert_int_equal(kt_tls_keyring_lookup(nul, sizeof(nul) - 1, KT_TLS_HASH_SHA256, &psk, &ring, &why), -EINVAL);
	assert_string_equal(ring, "kr");
	assert_non_null(why);
	assert_int_equal(look("NVMe0R01 h\ts", KT_TLS_HASH_SHA256, &psk, &ring, &why), -EINVAL);
	assert_int_equal(look("", KT_TLS_HASH_SHA256, &psk, &ring, &why), -EINVAL);
	assert_int_equal(look(ID, KT_TLS_HASH_NONE, &psk, &ring, &why), -EINVAL);
	static char longid[KT_TLS_IDENTITY_MAX + 2];
	memset(longid, 'a', sizeof(longid) - 1);
	assert_int_equal(look(longid, KT_TLS_HASH_SHA256, &psk, &ring, &why), -EINVAL);
	assert_int_equal(n_proc_reads, 0);
	/* no such keyring; no /proc/keys */
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), -ENOKEY);
	assert_non_null(strstr(why, "the kernel keyring is not there"));
	no_proc = true;
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), -EIO);
	assert_non_null(strstr(why, "/proc/keys cannot be read"));
	assert_int_equal(psk.len, 0);
}

static void t_types(void **state)
{
	(void)state;
	struct kt_tls_psk psk;
	const char *ring, *why;
	model_reset();
	int32_t r = fk_add("keyring", "kr", NULL, 0, 0, 0);
	assert_int_equal(kt_tls_keyring_set("kr"), 0);
	/* a user key (kernels without the psk type) */
	fk_add("user", ID, PSK_A, 32, r, 0);
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), 0);
	assert_string_equal(ring, "kr");
	assert_int_equal(psk.len, 32);
	assert_int_equal(psk.hash, KT_TLS_HASH_SHA256);
	assert_memory_equal(psk.key, PSK_A, 32);
	assert_int_equal(n_links, 1);
	/* a psk key of the same identity wins */
	fk_add("psk", ID, PSK_B, 32, r, 0);
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), 0);
	assert_memory_equal(psk.key, PSK_B, 32);
	/* SHA-384: 48 bytes */
	fk_add("psk", ID384, PSK_A, 48, r, 0);
	assert_int_equal(look(ID384, KT_TLS_HASH_SHA384, &psk, &ring, &why), 0);
	assert_int_equal(psk.len, 48);
	assert_memory_equal(psk.key, PSK_A, 48);
	/* the keyring was looked up once */
	assert_int_equal(n_proc_reads, 1);
	kt_tls_psk_clear(&psk);
}

/* The psk type's prefix match: "<ID>2" (another subsystem's identity)
 * found for ID is not taken; ID's own key is, wherever it is in the
 * keyring. */
static void t_prefix(void **state)
{
	(void)state;
	struct kt_tls_psk psk;
	const char *ring, *why;
	model_reset();
	int32_t r = fk_add("keyring", "kr", NULL, 0, 0, 0);
	assert_int_equal(kt_tls_keyring_set("kr"), 0);
	fk_add("psk", ID "2", PSK_A, 32, r, 0);
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), -ENOKEY);
	assert_string_equal(why, "no TLS key configured for the host, nor in the kernel keyring");
	fk_add("psk", ID, PSK_B, 32, r, 0);
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), 0);
	assert_memory_equal(psk.key, PSK_B, 32);
	/* and "<ID>2" gets its own */
	assert_int_equal(look(ID "2", KT_TLS_HASH_SHA256, &psk, &ring, &why), 0);
	assert_memory_equal(psk.key, PSK_A, 32);
	kt_tls_psk_clear(&psk);
}

static void t_length(void **state)
{
	(void)state;
	struct kt_tls_psk psk;
	const char *ring, *why;
	model_reset();
	int32_t r = fk_add("keyring", "kr", NULL, 0, 0, 0);
	assert_int_equal(kt_tls_keyring_set("kr"), 0);
	fk_add("user", ID, PSK_A, 48, r, 0);   /* 48 bytes for a SHA-256 identity */
	fk_add("user", ID384, PSK_A, 32, r, 0); /* 32 for SHA-384 */
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), -EMSGSIZE);
	assert_string_equal(why, "the kernel keyring's key for the identity is not 32 bytes (a SHA-256 TLS PSK)");
	assert_int_equal(psk.len, 0);
	assert_int_equal(look(ID384, KT_TLS_HASH_SHA384, &psk, &ring, &why), -EMSGSIZE);
	assert_string_equal(why, "the kernel keyring's key for the identity is not 48 bytes (a SHA-384 TLS PSK)");
	/* a key longer than any buffer is refused too */
	fk_add("user", "NVMe0R01 h s", PSK_A, 64, r, 0);
	assert_int_equal(look("NVMe0R01 h s", KT_TLS_HASH_SHA256, &psk, &ring, &why), -EMSGSIZE);
}

/* Another user's keyring of that name (any user may make one and let
 * others view it) is passed over for root's. */
static void t_owner(void **state)
{
	(void)state;
	struct kt_tls_psk psk;
	const char *ring, *why;
	uid_t other = geteuid() == 4242 ? 4343 : 4242;
	model_reset();
	int32_t bad = fk_add("keyring", "kr", NULL, 0, 0, other);
	fk_add("user", ID, PSK_A, 32, bad, other);
	assert_int_equal(kt_tls_keyring_set("kr"), 0);
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), -ENOKEY);
	assert_non_null(strstr(why, "not owned by root or katod's user"));
	int32_t good = fk_add("keyring", "kr", NULL, 0, 0, 0);
	fk_add("user", ID, PSK_B, 32, good, 0);
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), 0);
	assert_memory_equal(psk.key, PSK_B, 32);
	assert_int_equal(cached, good);
	kt_tls_psk_clear(&psk);
}

/* The serial is kept; a failed search looks the name up again only when the
 * keyring is gone or no longer that name. */
static void t_cache(void **state)
{
	(void)state;
	struct kt_tls_psk psk;
	const char *ring, *why;
	model_reset();
	int32_t r1 = fk_add("keyring", "kr", NULL, 0, 0, 0);
	fk_add("user", ID, PSK_A, 32, r1, 0);
	assert_int_equal(kt_tls_keyring_set("kr"), 0);
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), 0);
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), 0);
	assert_int_equal(n_proc_reads, 1);
	/* an identity it does not hold: the keyring is there, no new lookup */
	assert_int_equal(look(ID384, KT_TLS_HASH_SHA384, &psk, &ring, &why), -ENOKEY);
	assert_int_equal(n_proc_reads, 1);
	/* errors of the search itself, the keyring still there */
	search_errno = EACCES;
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), -EACCES);
	assert_non_null(strstr(why, "permission denied"));
	search_errno = EKEYREVOKED;
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), -EKEYREVOKED);
	assert_non_null(strstr(why, "revoked or expired"));
	search_errno = EIO;
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), -EIO);
	search_errno = 0;
	assert_int_equal(n_proc_reads, 1);
	/* made anew under the same name: found again, once */
	fk[0].gone = true;
	int32_t r2 = fk_add("keyring", "kr", NULL, 0, 0, 0);
	fk_add("user", ID, PSK_B, 32, r2, 0);
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), 0);
	assert_memory_equal(psk.key, PSK_B, 32);
	assert_int_equal(cached, r2);
	assert_int_equal(n_proc_reads, 2);
	/* its serial now another key's (gone, and the serial given again):
	 * looked up again, and not there */
	fk[2].type = "user";
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), -ENOKEY);
	assert_non_null(strstr(why, "the kernel keyring is not there"));
	assert_int_equal(cached, 0);
	assert_int_equal(n_proc_reads, 3);
	/* a change of name forgets the serial */
	fk[2].type = "keyring";
	assert_int_equal(look(ID, KT_TLS_HASH_SHA256, &psk, &ring, &why), 0);
	assert_int_equal(cached, r2);
	assert_int_equal(kt_tls_keyring_set("kr2"), 0);
	assert_int_equal(cached, 0);
	kt_tls_psk_clear(&psk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_proc_lines),
		cmocka_unit_test(t_names),
		cmocka_unit_test(t_refused),
		cmocka_unit_test(t_types),
		cmocka_unit_test(t_prefix),
		cmocka_unit_test(t_length),
		cmocka_unit_test(t_owner),
		cmocka_unit_test(t_cache),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	kt_tls_keyring_free();
	return rc;
}

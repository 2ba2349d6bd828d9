/*
 * tls_keyring.c - TLS PSKs from a kernel keyring (daemon/core/tls_keyring.h).
 * It exists so that a host whose key sits in the kernel keyring, where the
 * Linux target takes it from, is served without a copy of the key in
 * katod's configuration.
 *
 * Finding the keyring: a name is not a key id, so its serial comes from
 * /proc/keys (a line of type "keyring" whose description is the name, as
 * ktls-utils' tlshd finds its keyrings), which lists the keys this process
 * may view. Only a keyring owned by root or by katod's own user counts: any
 * user may make a keyring called ".nvme" and let others view it, and its
 * keys would let hosts in. The serial is kept, and looked up again when a
 * search fails and the keyring it names is gone or is no longer that name
 * (the nvme modules reloaded, a test's keyring made anew).
 *
 * Reading a key: keys that nvme-cli inserts keep the kernel's default
 * permissions (all for their possessor, view for their owner), so only a
 * process that possesses them may search and read them; libnvme and tlshd
 * link the keyring into their session keyring for that. katod links it into
 * the calling thread's keyring for the time of one lookup only: the session
 * keyring may be shared with whoever started katod, and a lasting link
 * would keep alive a keyring that its owner has unlinked.
 *
 * Matching: type "psk" (the nvme-keyring module's, Linux 6.7 and later)
 * first, then "user" (kernels without that type, such as Debian 12's 6.1:
 * `keyctl padd user IDENTITY %:.nvme`). The "psk" type matches descriptions
 * by prefix (the kernel's host looks identities up without their digest),
 * so a key the search finds must describe exactly the identity, else the
 * keyring's own keys are scanned for one that does: a host holding a key
 * for "NVMe0R01 <host> nqn.sub2" must not reach nqn.sub through it.
 *
 * Raw keyctl(2) system calls: no libkeyutils dependency.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <openssl/crypto.h>

#include "config/config.h"
#include "daemon/core/tls_keyring.h"
#include "daemon/log.h"

/* Most keys read from a keyring when scanning it. */
#define SCAN_MAX 4096

struct name {
	struct name *next;
	char s[];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct name *names;      /* every name set, kept until exit */
static const char *current;     /* the name in effect (in names); NULL: none */
static int32_t cached;          /* its serial; 0: not looked up yet */
static unsigned generation;     /* bumped when the name changes */

static long keyctl4(int op, unsigned long a, unsigned long b, unsigned long c, unsigned long d)
{
	long r = syscall(SYS_keyctl, op, a, b, c, d);
	return r < 0 ? -errno : r;
}

int kt_tls_keyring_set(const char *name)
{
	if (!name)
		name = KT_CFG_TLS_KEYRING_DEFAULT;
	pthread_mutex_lock(&lock);
	const char *s = NULL;
	for (struct name *n = names; n && *name && !s; n = n->next)
		if (!strcmp(n->s, name))
			s = n->s;
	if (*name && !s) {
		size_t len = strlen(name);
		struct name *n = malloc(sizeof(*n) + len + 1);
		if (!n) {
			pthread_mutex_unlock(&lock);
			return -ENOMEM;
		}
		memcpy(n->s, name, len + 1);
		n->next = names;
		names = n;
		s = n->s;
	}
	if (current != s) {
		current = s;
		cached = 0;
		generation++;
	}
	pthread_mutex_unlock(&lock);
	return 0;
}

const char *kt_tls_keyring_name(void)
{
	pthread_mutex_lock(&lock);
	const char *s = current;
	pthread_mutex_unlock(&lock);
	return s;
}

void kt_tls_keyring_free(void)
{
	pthread_mutex_lock(&lock);
	while (names) {
		struct name *n = names;
		names = n->next;
		free(n);
	}
	current = NULL;
	cached = 0;
	generation++;
	pthread_mutex_unlock(&lock);
}

/* ---- /proc/keys ---------------------------------------------------------- */

static const char *skip_spaces(const char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

static const char *skip_field(const char *p)
{
	while (*p && *p != ' ' && *p != '\n')
		p++;
	return skip_spaces(p);
}

int kt_tls_keyring_proc_line(const char *line, const char *name, int32_t *serial, uid_t *uid)
{
	/* "%08x %c%c%c%c%c%c%c %5d %4s %08x %5d %5d %-9.9s <description>: <summary>"
	 * (serial, flags, usage, expiry, permissions, uid, gid, type) */
	const char *p = line;
	char *end;
	for (int i = 0; i < 8; i++)
		if (!isxdigit((unsigned char)p[i]))
			return 0;
	unsigned long id = strtoul(p, &end, 16);
	if (end != p + 8 || *end != ' ' || id == 0 || id > INT32_MAX)
		return 0;
	p = skip_spaces(end);
	/* flags "I------": instantiated, and not revoked, dead, negative or
	 * invalidated (one is listed until the collector takes it) */
	if (strlen(p) < 8 || p[0] != 'I' || p[1] != '-' || p[2] != '-' || p[5] != '-' || p[6] != '-' || p[7] != ' ')
		return 0;
	for (int i = 0; i < 4; i++) /* flags, usage, expiry, permissions */
		p = skip_field(p);
	if (!isdigit((unsigned char)*p))
		return 0;
	unsigned long u = strtoul(p, &end, 10);
	if (*end != ' ')
		return 0;
	p = skip_field(skip_spaces(end)); /* gid */
	if (strncmp(p, "keyring ", 8))
		return 0;
	p = skip_spaces(p + 8);
	size_t n = strlen(name);
	if (!n || strncmp(p, name, n) || p[n] != ':' || (p[n + 1] != ' ' && p[n + 1] != '\n' && p[n + 1]))
		return 0;
	*serial = (int32_t)id;
	*uid = (uid_t)u;
	return 1;
}

static bool owner_ok(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* The keyring's serial, or -ENOKEY / -EIO with *why. */
static int32_t resolve(const char *name, const char **why)
{
	FILE *f = fopen("/proc/keys", "re");
	if (!f) {
		*why = "no TLS key configured for the host, and no kernel keyring (/proc/keys cannot be read)";
		return -EIO;
	}
	char *line = NULL;
	size_t cap = 0;
	int32_t found = -ENOKEY;
	while (found < 0 && getline(&line, &cap, f) > 0) {
		int32_t s;
		uid_t u;
		if (kt_tls_keyring_proc_line(line, name, &s, &u) && owner_ok(u))
			found = s;
	}
	free(line);
	fclose(f);
	if (found < 0)
		*why = "no TLS key configured for the host, and the kernel keyring is not there (not in "
		       "/proc/keys, or not owned by root or katod's user)";
	else
		kt_dbg("kernel keyring %s is key %08x", name, (unsigned)found);
	return found;
}

/* ---- keys ---------------------------------------------------------------- */

/* KEYCTL_DESCRIBE of key into d (dsz bytes): its description, after
 * "type;uid;gid;perm;", or NULL; *uid its owner. */
static const char *describe(int32_t key, const char *type, char *d, size_t dsz, uid_t *uid)
{
	long n = keyctl4(KEYCTL_DESCRIBE, (unsigned long)key, (unsigned long)d, dsz, 0);
	if (n <= 0 || (size_t)n > dsz)
		return NULL;
	d[dsz - 1] = '\0';
	size_t tl = strlen(type);
	if (strncmp(d, type, tl) || d[tl] != ';')
		return NULL;
	char *end;
	long u = strtol(d + tl + 1, &end, 10);
	if (*end != ';')
		return NULL;
	*uid = (uid_t)u;
	const char *p = end + 1;
	for (int i = 0; i < 2; i++) { /* gid, permissions */
		p = strchr(p, ';');
		if (!p)
			return NULL;
		p++;
	}
	return p;
}

/* Whether key is of type and described exactly by desc. */
static bool describes(int32_t key, const char *type, const char *desc)
{
	char d[KT_TLS_IDENTITY_MAX + 64];
	uid_t uid;
	const char *s = describe(key, type, d, sizeof(d), &uid);
	return s && !strcmp(s, desc);
}

/* Whether ring is still a keyring called name that may be used. */
static bool still_there(int32_t ring, const char *name)
{
	char d[KT_CFG_TLS_KEYRING_MAX + 64];
	uid_t uid;
	const char *s = describe(ring, "keyring", d, sizeof(d), &uid);
	return s && !strcmp(s, name) && owner_ok(uid);
}

/* The keyring's own keys (not those of keyrings linked into it): the one
 * of type described exactly by desc, or a negative errno. */
static long scan(int32_t ring, const char *type, const char *desc)
{
	int32_t *ids = malloc(SCAN_MAX * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	long n = keyctl4(KEYCTL_READ, (unsigned long)ring, (unsigned long)ids, SCAN_MAX * sizeof(*ids), 0);
	long rc = n < 0 ? n : -ENOKEY;
	if (n > (long)(SCAN_MAX * sizeof(*ids)))
		n = SCAN_MAX * sizeof(*ids);
	for (long i = 0; n > 0 && i < n / (long)sizeof(*ids) && rc == -ENOKEY; i++)
		if (describes(ids[i], type, desc))
			rc = ids[i];
	free(ids);
	return rc;
}

/* The key of type described exactly by desc in ring, or a negative errno. */
static long find_of_type(int32_t ring, const char *type, const char *desc)
{
	long k = keyctl4(KEYCTL_SEARCH, (unsigned long)ring, (unsigned long)type, (unsigned long)desc, 0);
	if (k > 0 && !describes((int32_t)k, type, desc))
		k = scan(ring, type, desc);
	return k;
}

/* "psk", then "user"; the first's error unless it merely found nothing. */
static long find_key(int32_t ring, const char *desc)
{
	long k = find_of_type(ring, "psk", desc);
	if (k > 0)
		return k;
	long u = find_of_type(ring, "user", desc);
	if (u > 0)
		return u;
	return k != -ENOKEY ? k : u;
}

/* Reads the key of ring described by desc, want bytes, into out. 0 or a
 * negative errno (-EMSGSIZE: another length, logged). */
static long read_key(const char *name, int32_t ring, const char *desc, size_t want, uint8_t *out)
{
	/* possess the keyring for this lookup (see the top comment); without
	 * the link the search may still work where keys allow their owner */
	bool linked = keyctl4(KEYCTL_LINK, (unsigned long)ring, (unsigned long)KEY_SPEC_THREAD_KEYRING, 0, 0) == 0;
	uint8_t buf[KT_TLS_PSK_MAX + 16];
	long rc = find_key(ring, desc);
	if (rc > 0) {
		long n = keyctl4(KEYCTL_READ, (unsigned long)rc, (unsigned long)buf, sizeof(buf), 0);
		if (n >= 0 && (size_t)n != want) {
			kt_warn("kernel keyring %s: the key of PSK identity \"%s\" is %ld bytes long, not %zu "
				"(a SHA-%s TLS PSK): not used",
				name, desc, n, want, want == 48 ? "384" : "256");
			rc = -EMSGSIZE;
		} else if (n >= 0) {
			memcpy(out, buf, want);
			rc = 0;
		} else {
			rc = n;
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (linked)
		keyctl4(KEYCTL_UNLINK, (unsigned long)ring, (unsigned long)KEY_SPEC_THREAD_KEYRING, 0, 0);
	return rc;
}

static bool printable(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return len > 0;
}

int kt_tls_keyring_lookup(const void *identity, size_t identity_len, enum kt_tls_hash hash,
			  struct kt_tls_psk *out, const char **keyring, const char **why)
{
	char desc[KT_TLS_IDENTITY_MAX + 1];
	memset(out, 0, sizeof(*out));
	*keyring = NULL;
	*why = NULL;
	pthread_mutex_lock(&lock);
	const char *name = current;
	int32_t ring = cached;
	unsigned gen = generation;
	pthread_mutex_unlock(&lock);
	if (!name)
		return -ENOKEY;
	*keyring = name;
	size_t want = hash == KT_TLS_HASH_SHA256 ? 32 : hash == KT_TLS_HASH_SHA384 ? 48 : 0;
	if (!want || identity_len > KT_TLS_IDENTITY_MAX || !printable(identity, identity_len)) {
		*why = "the PSK identity is not printable ASCII of a known hash: the kernel keyring is not searched";
		return -EINVAL;
	}
	memcpy(desc, identity, identity_len);
	desc[identity_len] = '\0';

	long rc = -ENOKEY;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!ring) {
			int32_t r = resolve(name, why);
			if (r < 0)
				return r;
			ring = r;
			pthread_mutex_lock(&lock);
			if (generation == gen)
				cached = ring;
			pthread_mutex_unlock(&lock);
		}
		rc = read_key(name, ring, desc, want, out->key);
		if (rc == 0 || rc == -EMSGSIZE || still_there(ring, name))
			break;
		/* gone, or its serial names another key now: look the name up again, once */
		pthread_mutex_lock(&lock);
		if (generation == gen && cached == ring)
			cached = 0;
		pthread_mutex_unlock(&lock);
		ring = 0;
	}
	switch (rc) {
	case 0:
		out->hash = (uint8_t)hash;
		out->len = (uint8_t)want;
		return 0;
	case -EMSGSIZE:
		*why = want == 48 ? "the kernel keyring's key for the identity is not 48 bytes (a SHA-384 TLS PSK)"
				  : "the kernel keyring's key for the identity is not 32 bytes (a SHA-256 TLS PSK)";
		break;
	case -ENOKEY:
		*why = "no TLS key configured for the host, nor in the kernel keyring";
		break;
	case -EACCES:
	case -EPERM:
		*why = "no TLS key configured for the host, and the kernel keyring's key may not be searched or "
		       "read (permission denied)";
		rc = -EACCES;
		break;
	case -EKEYREVOKED:
	case -EKEYEXPIRED:
		*why = "no TLS key configured for the host, and the kernel keyring's key is revoked or expired";
		rc = -EKEYREVOKED;
		break;
	default:
		*why = "no TLS key configured for the host, and the kernel keyring cannot be searched";
		rc = -EIO;
		break;
	}
	OPENSSL_cleanse(out, sizeof(*out));
	return (int)rc;
}

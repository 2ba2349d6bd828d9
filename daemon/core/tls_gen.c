/*
 * tls_gen.c - the generated TLS PSKs of secure concatenation
 * (daemon/core/tls_gen.h): a small table under a mutex, searched by the
 * TLS server for an "NVMe1G" identity.
 *
 * Decisions:
 * - Each key stays until newer ones push it out (KT_TLS_GEN_PER_PAIR for
 *   its host and subsystem, KT_TLS_GEN_MAX in all): the kernel target's
 *   keyring keeps them until revoked, and a Linux host revokes its copy and
 *   makes a new one at every controller reset, so a host never comes back
 *   with an old one. Keeping more than one per pair lets several
 *   controllers of one host to one subsystem (multipath) each keep theirs.
 * - A live change of the host's DH-HMAC-CHAP keys does not drop them: they
 *   were made by an authentication that succeeded, as the kernel's; the
 *   next reset of the host authenticates with the new key. Removing the
 *   host from the subsystem still refuses its Connect, TLS or not.
 * - Matching: host, subsystem and hash exactly, the digest (which the PSK
 *   determines) in constant time. Identities are public (the ClientHello
 *   carries them); the TLS PSKs are wiped when they leave the table.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "daemon/core/tls_gen.h"

struct gen_key {
	bool used;
	uint64_t seq;               /* age: higher is newer */
	struct kt_tls_identity id;
	struct kt_tls_psk psk;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct gen_key *keys;     /* KT_TLS_GEN_MAX slots, allocated at the first put */
static uint64_t next_seq = 1;

static bool same_pair(const struct gen_key *k, const char *hostnqn, const char *subnqn)
{
	return k->used && !strcmp(k->id.hostnqn, hostnqn) && !strcmp(k->id.subnqn, subnqn);
}

/* The slot a new key of the pair takes: a free one, unless the pair has
 * its share already (then its oldest), or the table is full (the oldest). */
static struct gen_key *slot_locked(const char *hostnqn, const char *subnqn)
{
	struct gen_key *oldest_pair = NULL, *oldest = NULL, *free_slot = NULL;
	unsigned pair = 0;
	for (size_t i = 0; i < KT_TLS_GEN_MAX; i++) {
		struct gen_key *k = &keys[i];
		if (!k->used) {
			if (!free_slot)
				free_slot = k;
			continue;
		}
		if (!oldest || k->seq < oldest->seq)
			oldest = k;
		if (same_pair(k, hostnqn, subnqn)) {
			pair++;
			if (!oldest_pair || k->seq < oldest_pair->seq)
				oldest_pair = k;
		}
	}
	if (pair >= KT_TLS_GEN_PER_PAIR)
		return oldest_pair;
	return free_slot ? free_slot : oldest;
}

int kt_tls_gen_put(const char *hostnqn, const char *subnqn, uint8_t hash, const uint8_t *gen_psk,
		   char *identity, size_t identity_sz)
{
	char ident[KT_TLS_IDENTITY_MAX + 1];
	struct gen_key k;
	const char *why = NULL;
	memset(&k, 0, sizeof(k));
	int rc = kt_tls_psk_from_generated((enum kt_tls_hash)hash, gen_psk, hostnqn, subnqn, ident,
					   sizeof(ident), &k.psk);
	if (!rc)
		rc = kt_tls_identity_parse(&k.id, ident, strlen(ident), &why);
	if (rc) {
		OPENSSL_cleanse(&k, sizeof(k));
		return rc;
	}
	if (identity && identity_sz)
		snprintf(identity, identity_sz, "%s", ident);
	k.used = true;
	pthread_mutex_lock(&lock);
	if (!keys && !(keys = calloc(KT_TLS_GEN_MAX, sizeof(*keys)))) {
		pthread_mutex_unlock(&lock);
		OPENSSL_cleanse(&k, sizeof(k));
		return -ENOMEM;
	}
	k.seq = next_seq++;
	struct gen_key *s = slot_locked(hostnqn, subnqn);
	OPENSSL_cleanse(s, sizeof(*s));
	*s = k;
	pthread_mutex_unlock(&lock);
	OPENSSL_cleanse(&k, sizeof(k));
	return 0;
}

int kt_tls_gen_lookup(const struct kt_tls_identity *id, struct kt_tls_psk *out)
{
	int rc = -ENOKEY;
	kt_tls_psk_clear(out);
	if (id->type != 'G' || !id->digest_len)
		return rc;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; keys && i < KT_TLS_GEN_MAX && rc; i++) {
		const struct gen_key *k = &keys[i];
		if (same_pair(k, id->hostnqn, id->subnqn) && k->id.hash == id->hash &&
		    k->id.digest_len == id->digest_len &&
		    CRYPTO_memcmp(k->id.digest, id->digest, id->digest_len) == 0) {
			*out = k->psk;
			rc = 0;
		}
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

void kt_tls_gen_free(void)
{
	pthread_mutex_lock(&lock);
	if (keys)
		OPENSSL_cleanse(keys, KT_TLS_GEN_MAX * sizeof(*keys));
	free(keys);
	keys = NULL;
	pthread_mutex_unlock(&lock);
}

/*
 * tls_keys.c - the hosts' TLS PSKs (daemon/core/tls_keys.h). One table
 * for the whole target, replaced as a whole under a mutex, as the
 * DH-HMAC-CHAP keys (auth.c): the next handshake uses what a live change
 * set. Keys are copied out by value; the table is wiped before it is freed.
 *
 * Derivation forms: with a version-1 identity of a transformed key the
 * digest picks the form; otherwise (version 0, or an untransformed key)
 * nothing in the handshake does until the binder fails. Each host keeps
 * the form that last worked, and after a failure with an unconfirmed form
 * the next handshake tries the other one (the Linux host reconnects every
 * reconnect_delay), so "both" finds the host's form within two attempts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "config/secret.h"
#include "daemon/core/tls_keys.h"

struct sub_key {
	char nqn[KT_NQN_MAX + 1];
	struct kt_tls_key key;
};

struct host_psk {
	char nqn[KT_NQN_MAX + 1];
	bool has_key;
	struct kt_tls_key key;
	unsigned forms;
	enum kt_tls_derive prefer;
	size_t n_sub;
	struct sub_key *sub;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct host_psk *hosts;
static size_t n_hosts;

static void table_free(struct host_psk *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		if (v[i].sub)
			OPENSSL_cleanse(v[i].sub, v[i].n_sub * sizeof(*v[i].sub));
		free(v[i].sub);
	}
	if (v)
		OPENSSL_cleanse(v, n * sizeof(*v));
	free(v);
}

/* text: the key, or "file:PATH" (config/secret.h), read now */
static int parse(const char *text, struct kt_tls_key *out)
{
	char *key = NULL;
	int rc = kt_config_secret(text, &key, NULL);
	if (rc < 0)
		return rc;
	rc = kt_tls_key_parse(out, key, strlen(key), NULL);
	kt_config_secret_free(key);
	return rc;
}

int kt_tls_keys_set(const struct kt_config *cfg)
{
	size_t n = cfg->n_hosts;
	struct host_psk *v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		struct host_psk *h = &v[i];
		snprintf(h->nqn, sizeof(h->nqn), "%s", cfg->hosts[i]);
		h->forms = KT_TLS_DERIVE_RFC | KT_TLS_DERIVE_COMPAT;
		h->prefer = KT_TLS_DERIVE_COMPAT;
		const struct kt_cfg_host_auth *a = cfg->host_auth ? &cfg->host_auth[i] : NULL;
		if (!a)
			continue;
		if (a->tls_derive) {
			h->forms = a->tls_derive;
			h->prefer = (enum kt_tls_derive)a->tls_derive;
		}
		if (a->tls_key) {
			rc = parse(a->tls_key, &h->key);
			h->has_key = !rc;
		}
		if (!rc && a->n_tls_sub) {
			h->sub = calloc(a->n_tls_sub, sizeof(*h->sub));
			rc = h->sub ? 0 : -ENOMEM;
			for (size_t k = 0; !rc && k < a->n_tls_sub; k++) {
				snprintf(h->sub[k].nqn, sizeof(h->sub[k].nqn), "%s", a->tls_sub_nqn[k]);
				rc = parse(a->tls_sub_key[k], &h->sub[k].key);
				h->n_sub = k + 1;
			}
		}
	}
	if (rc) {
		table_free(v, n);
		return rc;
	}
	pthread_mutex_lock(&lock);
	/* what each host's handshakes learnt survives a change of other settings */
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < n_hosts; k++)
			if (!strcmp(v[i].nqn, hosts[k].nqn) && v[i].forms == hosts[k].forms)
				v[i].prefer = hosts[k].prefer;
	struct host_psk *old = hosts;
	size_t old_n = n_hosts;
	hosts = v;
	n_hosts = n;
	pthread_mutex_unlock(&lock);
	table_free(old, old_n);
	return 0;
}

void kt_tls_keys_free(void)
{
	pthread_mutex_lock(&lock);
	table_free(hosts, n_hosts);
	hosts = NULL;
	n_hosts = 0;
	pthread_mutex_unlock(&lock);
}

static struct host_psk *find_locked(const char *hostnqn)
{
	for (size_t i = 0; i < n_hosts; i++)
		if (!strcmp(hosts[i].nqn, hostnqn))
			return &hosts[i];
	return NULL;
}

int kt_tls_keys_lookup(const char *hostnqn, const char *subnqn, struct kt_tls_key *out,
		       unsigned *forms, enum kt_tls_derive *prefer)
{
	int rc = -ENOKEY;
	pthread_mutex_lock(&lock);
	struct host_psk *h = find_locked(hostnqn);
	if (h) {
		const struct kt_tls_key *k = h->has_key ? &h->key : NULL;
		for (size_t i = 0; i < h->n_sub; i++)
			if (!strcmp(h->sub[i].nqn, subnqn))
				k = &h->sub[i].key;
		if (k) {
			*out = *k;
			*forms = h->forms;
			*prefer = h->prefer;
			rc = 0;
		}
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

void kt_tls_keys_note(const char *hostnqn, enum kt_tls_derive form, bool worked)
{
	pthread_mutex_lock(&lock);
	struct host_psk *h = find_locked(hostnqn);
	if (h) {
		enum kt_tls_derive other = form == KT_TLS_DERIVE_RFC ? KT_TLS_DERIVE_COMPAT : KT_TLS_DERIVE_RFC;
		if (worked)
			h->prefer = form;
		else if (h->forms & other)
			h->prefer = other;
	}
	pthread_mutex_unlock(&lock);
}

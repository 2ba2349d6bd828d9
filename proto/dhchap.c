/*
 * dhchap.c - the computations of one DH-HMAC-CHAP transaction (see
 * proto/dhchap.h for the formulas and the Linux behaviour they follow).
 *
 * OpenSSL does the hashing (EVP_MAC HMAC, EVP_Digest) and the FFDHE
 * exchange (EVP_PKEY "DH" with the RFC 7919 named groups, EVP_PKEY_derive
 * with padding so Ks always has the length of p). The private value comes
 * from the caller's randomness; its public value is computed here with
 * the group's p and g, in constant time, and both are handed to OpenSSL
 * as one key pair.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>  /* EVP_PKEY_CTX_set_dh_pad */
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "proto/dhchap.h"

#define NQN_MAX 223

struct hash_info {
	const char *name;    /* ours, for messages */
	const char *digest;  /* OpenSSL's */
	size_t len;
};

static const struct hash_info hashes[] = {
	[KT_DHCHAP_SHA256] = { "sha256", "SHA256", 32 },
	[KT_DHCHAP_SHA384] = { "sha384", "SHA384", 48 },
	[KT_DHCHAP_SHA512] = { "sha512", "SHA512", 64 },
};

struct group_info {
	const char *name;    /* also OpenSSL's group name */
	size_t len;          /* bytes of p */
	size_t priv;         /* bytes of the private value */
};

static const struct group_info groups[] = {
	[KT_DHCHAP_DH_NULL] = { "null", 0, 0 },
	[KT_DHCHAP_FFDHE2048] = { "ffdhe2048", 256, 28 },
	[KT_DHCHAP_FFDHE3072] = { "ffdhe3072", 384, 32 },
	[KT_DHCHAP_FFDHE4096] = { "ffdhe4096", 512, 38 },
	[KT_DHCHAP_FFDHE6144] = { "ffdhe6144", 768, 44 },
	[KT_DHCHAP_FFDHE8192] = { "ffdhe8192", 1024, 50 },
};

static const struct hash_info *hash_of(uint8_t id)
{
	if (id >= sizeof(hashes) / sizeof(hashes[0]) || !hashes[id].name)
		return NULL;
	return &hashes[id];
}

size_t kt_dhchap_hash_len(uint8_t hash_id)
{
	const struct hash_info *h = hash_of(hash_id);

	return h ? h->len : 0;
}

const char *kt_dhchap_hash_name(uint8_t hash_id)
{
	const struct hash_info *h = hash_of(hash_id);

	return h ? h->name : NULL;
}

bool kt_dhchap_dhgroup_known(uint8_t dhgid)
{
	return dhgid < sizeof(groups) / sizeof(groups[0]);
}

size_t kt_dhchap_dh_len(uint8_t dhgid)
{
	return kt_dhchap_dhgroup_known(dhgid) ? groups[dhgid].len : 0;
}

const char *kt_dhchap_dhgroup_name(uint8_t dhgid)
{
	return kt_dhchap_dhgroup_known(dhgid) ? groups[dhgid].name : NULL;
}

int kt_dhchap_rand_bytes(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	if (len > (size_t)INT32_MAX || RAND_bytes(buf, (int)len) != 1)
		return -EIO;
	return 0;
}

/* ---- hashing --------------------------------------------------------------- */

struct part {
	const void *p;
	size_t n;
};

/* HMAC-H(key, parts...) into out (the hash length). */
static int hmac_parts(const struct hash_info *h, const uint8_t *key, size_t klen,
		      const struct part *parts, size_t nparts, uint8_t *out)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;
	size_t got = 0;
	int rc = -EIO;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return -EIO;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)h->digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key, klen, params))
		goto out;
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].n && !EVP_MAC_update(ctx, parts[i].p, parts[i].n))
			goto out;
	if (!EVP_MAC_final(ctx, out, &got, KT_DHCHAP_HASH_MAX) || got != h->len)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx); /* frees (and clears) the keyed state */
	EVP_MAC_free(mac);
	return rc;
}

int kt_dhchap_augment(uint8_t hash_id, const uint8_t *skey, size_t skey_len,
		      const uint8_t *c, uint8_t *out)
{
	const struct hash_info *h = hash_of(hash_id);
	uint8_t hk[KT_DHCHAP_HASH_MAX];
	unsigned int got = 0;
	struct part part;
	int rc;

	if (!h || !c)
		return -EINVAL;
	if (!skey) {
		memmove(out, c, h->len);
		return 0;
	}
	if (!EVP_Digest(skey, skey_len, hk, &got, EVP_get_digestbyname(h->digest), NULL) ||
	    got != h->len) {
		OPENSSL_cleanse(hk, sizeof(hk));
		return -EIO;
	}
	part.p = c;
	part.n = h->len;
	rc = hmac_parts(h, hk, h->len, &part, 1, out);
	OPENSSL_cleanse(hk, sizeof(hk));
	return rc;
}

/* R1 or R2: HMAC-H(K', Ca || seq || tid || sc || label || nqn1 || 0 || nqn2). */
static int response(const struct kt_dhchap_key *key, const char *key_nqn,
		    const struct kt_dhchap_resp_in *in, const char *label, const char *nqn1,
		    const char *nqn2, uint8_t *out)
{
	const struct hash_info *h = hash_of(in->hash_id);
	uint8_t kx[KT_DHCHAP_KEY_MAX], ca[KT_DHCHAP_HASH_MAX];
	uint8_t seq[4], tid[2], sc = in->sc_c, zero = 0;
	size_t klen = 0, n1, n2;
	int rc;

	if (!h || !key || !in->challenge || !nqn1 || !nqn2)
		return -EINVAL;
	n1 = strlen(nqn1);
	n2 = strlen(nqn2);
	if (n1 == 0 || n1 > NQN_MAX || n2 == 0 || n2 > NQN_MAX)
		return -EINVAL;
	rc = kt_dhchap_key_transform(key, key_nqn, kx, &klen);
	if (rc)
		return rc;
	rc = kt_dhchap_augment(in->hash_id, in->skey, in->skey_len, in->challenge, ca);
	if (rc == 0) {
		const struct part parts[] = {
			{ ca, h->len }, { seq, 4 }, { tid, 2 }, { &sc, 1 },
			{ label, strlen(label) }, { nqn1, n1 }, { &zero, 1 }, { nqn2, n2 },
		};

		seq[0] = (uint8_t)in->seqnum;
		seq[1] = (uint8_t)(in->seqnum >> 8);
		seq[2] = (uint8_t)(in->seqnum >> 16);
		seq[3] = (uint8_t)(in->seqnum >> 24);
		tid[0] = (uint8_t)in->tid;
		tid[1] = (uint8_t)(in->tid >> 8);
		rc = hmac_parts(h, kx, klen, parts, sizeof(parts) / sizeof(parts[0]), out);
	}
	OPENSSL_cleanse(kx, sizeof(kx));
	OPENSSL_cleanse(ca, sizeof(ca));
	return rc;
}

int kt_dhchap_host_response(const struct kt_dhchap_key *host_key,
			    const struct kt_dhchap_resp_in *in, uint8_t *out)
{
	return response(host_key, in->hostnqn, in, "HostHost", in->hostnqn, in->subnqn, out);
}

int kt_dhchap_ctrl_response(const struct kt_dhchap_key *ctrl_key,
			    const struct kt_dhchap_resp_in *in, uint8_t *out)
{
	return response(ctrl_key, in->subnqn, in, "Controller", in->subnqn, in->hostnqn, out);
}

/* ---- Diffie-Hellman ---------------------------------------------------------- */

struct kt_dhchap_dh {
	uint8_t dhgid;
	EVP_PKEY *pkey;
};

/* The named group's parameters as an EVP_PKEY (for p and g). */
static EVP_PKEY *group_params(const char *name)
{
	OSSL_PARAM params[2];
	EVP_PKEY_CTX *pc;
	EVP_PKEY *pk = NULL;

	pc = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	if (!pc)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &pk, EVP_PKEY_KEY_PARAMETERS, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(pc);
	return pk;
}

/* A DH EVP_PKEY of the named group from pub (and priv, when not NULL). */
static EVP_PKEY *dh_key(const char *name, const BIGNUM *pub, const BIGNUM *priv)
{
	OSSL_PARAM_BLD *bld;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = NULL;
	EVP_PKEY *pk = NULL;

	bld = OSSL_PARAM_BLD_new();
	if (!bld)
		return NULL;
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, name, 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, pub) ||
	    (priv && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	pc = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	if (!params || !pc || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &pk, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
out:
	EVP_PKEY_CTX_free(pc);
	/* a secure BIGNUM (the private value) goes to the block's secure part,
	 * which OSSL_PARAM_free clears */
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

int kt_dhchap_dh_generate(uint8_t dhgid, kt_dhchap_rand_fn rnd, void *rctx,
			  struct kt_dhchap_dh **out, uint8_t *pub, size_t pub_len)
{
	uint8_t xb[64];
	const struct group_info *g;
	BIGNUM *p = NULL, *gen = NULL, *x = NULL, *y = NULL;
	BN_CTX *bctx = NULL;
	EVP_PKEY *params = NULL;
	struct kt_dhchap_dh *dh = NULL;
	int rc;

	*out = NULL;
	if (!kt_dhchap_dhgroup_known(dhgid) || dhgid == KT_DHCHAP_DH_NULL || !rnd)
		return -EINVAL;
	g = &groups[dhgid];
	if (pub_len != g->len)
		return -EINVAL;
	rc = rnd(rctx, xb, g->priv);
	if (rc)
		goto out;
	rc = -ENOMEM;
	x = BN_secure_new();
	y = BN_new();
	bctx = BN_CTX_secure_new();
	dh = calloc(1, sizeof(*dh));
	if (!x || !y || !bctx || !dh || !BN_bin2bn(xb, (int)g->priv, x))
		goto out;
	BN_set_flags(x, BN_FLG_CONSTTIME);
	rc = -EINVAL;
	if (BN_is_zero(x) || BN_is_one(x))
		goto out;
	rc = -EIO;
	params = group_params(g->name);
	if (!params || !EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_P, &p) ||
	    !EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_G, &gen) ||
	    (size_t)BN_num_bytes(p) != g->len)
		goto out;
	if (!BN_mod_exp_mont_consttime(y, gen, x, p, bctx, NULL) ||
	    BN_bn2binpad(y, pub, (int)pub_len) != (int)pub_len)
		goto out;
	dh->dhgid = dhgid;
	dh->pkey = dh_key(g->name, y, x);
	if (!dh->pkey)
		goto out;
	*out = dh;
	dh = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(xb, sizeof(xb));
	BN_clear_free(x);
	BN_free(y);
	BN_free(p);
	BN_free(gen);
	BN_CTX_free(bctx);
	EVP_PKEY_free(params);
	kt_dhchap_dh_free(dh);
	return rc;
}

int kt_dhchap_dh_shared(const struct kt_dhchap_dh *dh, const uint8_t *peer, size_t peer_len,
			uint8_t *skey, size_t skey_len)
{
	const struct group_info *g;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	BIGNUM *y = NULL;
	size_t got = skey_len;
	int rc = -EINVAL;

	if (!dh || !peer)
		return -EINVAL;
	g = &groups[dh->dhgid];
	if (peer_len != g->len || skey_len != g->len)
		return -EINVAL;
	y = BN_bin2bn(peer, (int)peer_len, NULL);
	if (!y)
		return -ENOMEM;
	pk = dh_key(g->name, y, NULL);
	if (!pk)
		goto out; /* OpenSSL's import refuses some bad values already */
	rc = -EIO;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->pkey, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_CTX_set_dh_pad(ctx, 1) != 1)
		goto out;
	/* derive_set_peer checks the peer's value against the group */
	if (EVP_PKEY_derive_set_peer(ctx, pk) != 1) {
		rc = -EINVAL;
		goto out;
	}
	if (EVP_PKEY_derive(ctx, skey, &got) != 1 || got != skey_len) {
		OPENSSL_cleanse(skey, skey_len);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	BN_free(y);
	return rc;
}

void kt_dhchap_dh_free(struct kt_dhchap_dh *dh)
{
	if (!dh)
		return;
	EVP_PKEY_free(dh->pkey); /* OpenSSL clears private BIGNUMs on free */
	free(dh);
}

/* ---- one transaction ------------------------------------------------------ */

int kt_dhchap_txn_start(struct kt_dhchap_txn *t, uint8_t hash_id, uint8_t dhgid, uint16_t tid,
			uint8_t sc_c)
{
	memset(t, 0, sizeof(*t));
	if (!hash_of(hash_id) || !kt_dhchap_dhgroup_known(dhgid))
		return -EINVAL;
	t->hash_id = hash_id;
	t->dhgid = dhgid;
	t->tid = tid;
	t->sc_c = sc_c;
	t->hlen = (uint8_t)kt_dhchap_hash_len(hash_id);
	t->dhlen = (uint16_t)kt_dhchap_dh_len(dhgid);
	return 0;
}

int kt_dhchap_txn_challenge(struct kt_dhchap_txn *t, uint32_t s1, kt_dhchap_rand_fn rnd,
			    void *rctx)
{
	int rc;

	if (!t->hlen || !rnd)
		return -EINVAL;
	kt_dhchap_dh_free(t->dh);
	t->dh = NULL;
	t->s1 = s1;
	rc = rnd(rctx, t->c1, t->hlen);
	if (rc)
		return rc;
	if (t->dhgid == KT_DHCHAP_DH_NULL)
		return 0;
	return kt_dhchap_dh_generate(t->dhgid, rnd, rctx, &t->dh, t->pub, t->dhlen);
}

int kt_dhchap_txn_check_reply(struct kt_dhchap_txn *t, const struct kt_dhchap_key *host_key,
			      const char *hostnqn, const char *subnqn, const uint8_t *rval,
			      const uint8_t *c2, uint32_t s2, const uint8_t *dhv, size_t dhvlen)
{
	uint8_t want[KT_DHCHAP_HASH_MAX];
	struct kt_dhchap_resp_in in;
	int rc;

	if (!t->hlen || !rval || dhvlen != t->dhlen)
		return -EINVAL;
	if (t->dhgid != KT_DHCHAP_DH_NULL) {
		if (!t->dh || !dhv)
			return -EINVAL;
		rc = kt_dhchap_dh_shared(t->dh, dhv, dhvlen, t->skey, t->dhlen);
		if (rc)
			return rc;
		t->have_skey = true;
	}
	memset(&in, 0, sizeof(in));
	in.hash_id = t->hash_id;
	in.challenge = t->c1;
	in.seqnum = t->s1;
	in.tid = t->tid;
	in.sc_c = t->sc_c;
	in.hostnqn = hostnqn;
	in.subnqn = subnqn;
	in.skey = t->have_skey ? t->skey : NULL;
	in.skey_len = t->have_skey ? t->dhlen : 0;
	rc = kt_dhchap_host_response(host_key, &in, want);
	if (rc == 0 && CRYPTO_memcmp(want, rval, t->hlen) != 0)
		rc = -EACCES;
	OPENSSL_cleanse(want, sizeof(want));
	if (rc)
		return rc;
	t->s2 = s2;
	t->c2_valid = c2 != NULL;
	if (c2)
		memcpy(t->c2, c2, t->hlen);
	return 0;
}

int kt_dhchap_txn_ctrl_response(const struct kt_dhchap_txn *t, const struct kt_dhchap_key *ctrl_key,
				const char *hostnqn, const char *subnqn, uint8_t *out)
{
	struct kt_dhchap_resp_in in;

	if (!t->hlen || !t->c2_valid)
		return -EINVAL;
	memset(&in, 0, sizeof(in));
	in.hash_id = t->hash_id;
	in.challenge = t->c2;
	in.seqnum = t->s2;
	in.tid = t->tid;
	in.sc_c = 0;
	in.hostnqn = hostnqn;
	in.subnqn = subnqn;
	in.skey = t->have_skey ? t->skey : NULL;
	in.skey_len = t->have_skey ? t->dhlen : 0;
	return kt_dhchap_ctrl_response(ctrl_key, &in, out);
}

void kt_dhchap_txn_clear(struct kt_dhchap_txn *t)
{
	kt_dhchap_dh_free(t->dh);
	OPENSSL_cleanse(t, sizeof(*t));
}

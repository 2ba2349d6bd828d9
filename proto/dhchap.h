/*
 * dhchap.h - the computations of one DH-HMAC-CHAP transaction, NVMe in-band
 * authentication (proto/dhchap.c), as the Linux kernel's target
 * (drivers/nvme/target/auth.c) and host (drivers/nvme/host/auth.c) do them:
 *
 *   Ks    = g^xy mod p, the controller's and the host's ephemeral FFDHE
 *           exchange, big-endian and as long as p (the kernel's "session
 *           key"; NVMe Base calls H(g^xy mod p) the session key, and
 *           kt_dhchap_augment hashes it on the way in)
 *   Ca    = HMAC-H(H(Ks), C)          (C itself with the NULL DH group)
 *   R1    = HMAC-H(Kh', Ca1 || S1 || TID || SC_C || "HostHost"
 *                  || NQNh || 00h || NQNc)          the host's response
 *   R2    = HMAC-H(Kc', Ca2 || S2 || TID || SC_C || "Controller"
 *                  || NQNc || 00h || NQNh)          the controller's response
 *
 * with H the negotiated hash, S1/S2 as 4 little-endian bytes, TID as 2,
 * SC_C one byte, and Kh'/Kc' the host and controller keys after
 * kt_dhchap_key_transform with NQNh and NQNc. H and the keys' own transform
 * hash are independent: a SHA-256 key may answer a SHA-512 transaction.
 *
 * Nothing here draws randomness, reads a clock or logs: the challenge and
 * the DH private value come from a kt_dhchap_rand_fn the caller passes
 * (kt_dhchap_rand_bytes is RAND_bytes), so tests are deterministic. Every
 * secret buffer is wiped when its owner is cleared.
 *
 * Secure channel concatenation needs Ks, C1 and C2 later (generated PSK =
 * HMAC-H(Ks, C1 || C2)); struct kt_dhchap_txn keeps them until cleared.
 */
#ifndef KATO_PROTO_DHCHAP_H
#define KATO_PROTO_DHCHAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/dhchap_key.h"

/* Hash function identifiers (HashID). */
enum kt_dhchap_hash_id {
	KT_DHCHAP_SHA256 = 0x01,
	KT_DHCHAP_SHA384 = 0x02,
	KT_DHCHAP_SHA512 = 0x03,
};

/* Diffie-Hellman group identifiers (DHGID). */
enum kt_dhchap_dhgroup_id {
	KT_DHCHAP_DH_NULL = 0x00,
	KT_DHCHAP_FFDHE2048 = 0x01,
	KT_DHCHAP_FFDHE3072 = 0x02,
	KT_DHCHAP_FFDHE4096 = 0x03,
	KT_DHCHAP_FFDHE6144 = 0x04,
	KT_DHCHAP_FFDHE8192 = 0x05,
};

#define KT_DHCHAP_HASH_MAX 64   /* SHA-512 */
#define KT_DHCHAP_DH_MAX 1024   /* ffdhe8192: bytes of p, of a public value, of Ks */

/* Hash length in bytes, 0 for an unknown id. */
size_t kt_dhchap_hash_len(uint8_t hash_id);
/* Bytes of p (public values and Ks) for a DH group: 0 for the NULL group
 * and for an unknown id (kt_dhchap_dhgroup_known tells them apart). */
size_t kt_dhchap_dh_len(uint8_t dhgid);
bool kt_dhchap_dhgroup_known(uint8_t dhgid);
/* "sha256".., "null", "ffdhe2048".. for messages; NULL when unknown. */
const char *kt_dhchap_hash_name(uint8_t hash_id);
const char *kt_dhchap_dhgroup_name(uint8_t dhgid);

/* Fills len bytes of buf with randomness; 0 or a negative errno. */
typedef int (*kt_dhchap_rand_fn)(void *ctx, void *buf, size_t len);
/* RAND_bytes: the source a daemon passes (ctx unused). */
int kt_dhchap_rand_bytes(void *ctx, void *buf, size_t len);

/* ---- Diffie-Hellman (FFDHE, RFC 7919) ------------------------------------ */

struct kt_dhchap_dh; /* one side's ephemeral key pair; secret */

/* A key pair for group dhgid (not NULL): the private value is the
 * 2 * security-strength bits that kernel and OpenSSL use for these groups
 * (28, 32, 38, 44, 50 bytes), big-endian from rnd, and must be at least 2.
 * Writes the public value g^x mod p, kt_dhchap_dh_len(dhgid) bytes
 * big-endian, to pub (pub_len must be that length). Returns 0, -EINVAL,
 * -ENOMEM, -EIO, or what rnd returned. */
int kt_dhchap_dh_generate(uint8_t dhgid, kt_dhchap_rand_fn rnd, void *rctx,
			  struct kt_dhchap_dh **out, uint8_t *pub, size_t pub_len);
/* Ks from the peer's public value (exactly kt_dhchap_dh_len bytes; OpenSSL
 * refuses values outside 2..p-2 and, for these safe-prime groups, outside
 * the prime-order subgroup): skey_len bytes, the same length, zero-padded
 * on the left. Returns 0, -EINVAL (a bad peer value) or -EIO. */
int kt_dhchap_dh_shared(const struct kt_dhchap_dh *dh, const uint8_t *peer, size_t peer_len,
			uint8_t *skey, size_t skey_len);
void kt_dhchap_dh_free(struct kt_dhchap_dh *dh);

/* ---- the responses ------------------------------------------------------- */

/* Ca = HMAC-H(H(skey), c) into out (hash length bytes); with skey NULL (the
 * NULL DH group) Ca = c. Returns 0, -EINVAL or -EIO. */
int kt_dhchap_augment(uint8_t hash_id, const uint8_t *skey, size_t skey_len,
		      const uint8_t *c, uint8_t *out);

/* What one response is computed over. */
struct kt_dhchap_resp_in {
	uint8_t hash_id;            /* negotiated H */
	const uint8_t *challenge;   /* C1 (host response) or C2 (controller response) */
	uint32_t seqnum;            /* S1 or S2 */
	uint16_t tid;
	uint8_t sc_c;               /* the SC_C byte (see kt_dhchap_txn) */
	const char *hostnqn;
	const char *subnqn;
	const uint8_t *skey;        /* Ks, or NULL with the NULL DH group */
	size_t skey_len;
};

/* R1, as the host computes it and the controller checks it, with the host
 * key (transformed with in->hostnqn). out holds the hash length. Returns 0,
 * -EINVAL or -EIO. */
int kt_dhchap_host_response(const struct kt_dhchap_key *host_key,
			    const struct kt_dhchap_resp_in *in, uint8_t *out);
/* R2 with the controller key (transformed with in->subnqn). */
int kt_dhchap_ctrl_response(const struct kt_dhchap_key *ctrl_key,
			    const struct kt_dhchap_resp_in *in, uint8_t *out);

/* ---- one transaction, the controller's side ------------------------------ */

/*
 * The controller's state between Negotiate and Success2, for one queue:
 *
 *   kt_dhchap_txn_start     after Negotiate: hash, group, TID, SC_C chosen
 *   kt_dhchap_txn_challenge C1 and (unless NULL group) the DH pair; S1 from
 *                           the caller; then build the Challenge from
 *                           txn->c1, txn->s1 and txn->pub
 *   kt_dhchap_txn_check_reply  Ks from the host's DH value, R1 compared in
 *                           constant time; C2/S2 kept for R2 when the host
 *                           asked for it
 *   kt_dhchap_txn_ctrl_response  R2 for Success1
 *   kt_dhchap_txn_clear     wipes everything (also on failure)
 */
struct kt_dhchap_txn {
	uint8_t hash_id;
	uint8_t dhgid;
	uint16_t tid;
	uint8_t sc_c;               /* SC_C from Negotiate (0: no secure channel) */
	uint8_t hlen;               /* kt_dhchap_hash_len(hash_id) */
	uint16_t dhlen;             /* kt_dhchap_dh_len(dhgid): 0 for NULL */
	uint32_t s1;
	uint32_t s2;                /* from the Reply; 0 with C2 for a PSK only */
	bool c2_valid;              /* the host sent C2 */
	uint8_t c1[KT_DHCHAP_HASH_MAX];
	uint8_t c2[KT_DHCHAP_HASH_MAX];
	uint8_t pub[KT_DHCHAP_DH_MAX];   /* our public value (not secret) */
	uint8_t skey[KT_DHCHAP_DH_MAX];  /* Ks: secret */
	bool have_skey;
	struct kt_dhchap_dh *dh;
};

/* Returns -EINVAL for an unknown hash or group. */
int kt_dhchap_txn_start(struct kt_dhchap_txn *t, uint8_t hash_id, uint8_t dhgid, uint16_t tid,
			uint8_t sc_c);
int kt_dhchap_txn_challenge(struct kt_dhchap_txn *t, uint32_t s1, kt_dhchap_rand_fn rnd,
			    void *rctx);
/* rval: R1 (hlen bytes); c2: C2 or NULL; dhv/dhvlen: the host's DH value
 * (dhvlen must be t->dhlen). Returns 0 when R1 is right, -EACCES when it is
 * not, -EINVAL for a refused DH value (the kernel answers DH group not
 * usable), -EIO. */
int kt_dhchap_txn_check_reply(struct kt_dhchap_txn *t, const struct kt_dhchap_key *host_key,
			      const char *hostnqn, const char *subnqn, const uint8_t *rval,
			      const uint8_t *c2, uint32_t s2, const uint8_t *dhv, size_t dhvlen);
/* R2 into out (hlen bytes). Its SC_C byte is 0, not t->sc_c: Linux hosts
 * and targets through 2026 put 0 there (only R1 carries SC_C). */
int kt_dhchap_txn_ctrl_response(const struct kt_dhchap_txn *t, const struct kt_dhchap_key *ctrl_key,
				const char *hostnqn, const char *subnqn, uint8_t *out);
void kt_dhchap_txn_clear(struct kt_dhchap_txn *t);

#endif

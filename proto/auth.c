/*
 * auth.c - the DH-HMAC-CHAP state machine of one queue, controller side
 * (proto/auth.h). Pure: randomness, sequence numbers, keys and time come
 * from the caller, so every byte it writes can be tested.
 *
 * Decisions, and where they follow the kernel target rather than the
 * letter of NVMe Base 2.x:
 * - Selection: the configured hash (dhchap_hash) when the host offers it,
 *   otherwise the first hash the host lists that we know; the same for the
 *   DH group. The kernel does this for the hash; its DH-group loop ends up
 *   using the configured group whatever the host offered, which a host
 *   that does not list it could not complete: we fall back instead.
 * - A Negotiate with more than one protocol descriptor is Hash Function
 *   Unusable. Secure channel concatenation: see proto/auth.h.
 * - A wrong T_ID is Incorrect Payload (Failure1), a message out of turn
 *   Incorrect Protocol Message and the end of the transaction, as the
 *   kernel. The spec would have the controller answer out-of-turn
 *   messages with Failure1 too; the kernel fails the controller at once,
 *   and so do we (`fatal`), since the host cannot recover either way.
 * - Receive with an AL too short for the due message: Invalid Field, the
 *   state unchanged (the kernel answers Internal Error for a Challenge and
 *   a transfer-length error for the others).
 * - Sequence numbers: S1 from the caller (katod: one counter from a random
 *   start that skips 0, as the kernel's nvme_auth_get_seqnum). SEQNUM 0 in
 *   a Reply with C2 means "no bidirectional authentication" (Base 2.2,
 *   8.3.4.5.4): the queue is authenticated at the Reply.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "proto/auth.h"
#include "proto/cmd.h"
#include "proto/tls_psk.h"

static uint16_t invalid_field(void)
{
	return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true);
}

void kt_auth_keys_clear(struct kt_auth_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

static const char *const hash_attrs[] = { NULL, "hmac(sha256)", "hmac(sha384)", "hmac(sha512)" };
static const char *const dh_attrs[] = { "null", "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144",
					"ffdhe8192" };

int kt_auth_hash_parse(const char *name)
{
	for (int i = 1; name && i < 4; i++)
		if (!strcmp(name, hash_attrs[i]))
			return i;
	return -EINVAL;
}

const char *kt_auth_hash_attr(uint8_t hash_id)
{
	return hash_id >= 1 && hash_id <= 3 ? hash_attrs[hash_id] : NULL;
}

int kt_auth_dhgroup_parse(const char *name)
{
	for (int i = 0; name && i < 6; i++)
		if (!strcmp(name, dh_attrs[i]))
			return i;
	return -EINVAL;
}

const char *kt_auth_dhgroup_attr(uint8_t dhgid)
{
	return dhgid <= 5 ? dh_attrs[dhgid] : NULL;
}

uint64_t kt_auth_timeout_ms(uint32_t kato_ms)
{
	if (!kato_ms)
		return KT_AUTH_TIMEOUT_KATO0_MS;
	return kato_ms > KT_AUTH_TIMEOUT_MIN_MS ? kato_ms : KT_AUTH_TIMEOUT_MIN_MS;
}

void kt_auth_q_init(struct kt_auth_q *a, bool required)
{
	memset(a, 0, sizeof(*a));
	a->step = KT_AUTH_ST_NEGOTIATE;
	a->required = required;
}

void kt_auth_q_clear(struct kt_auth_q *a)
{
	kt_dhchap_txn_clear(&a->txn);
	kt_auth_keys_clear(&a->keys);
	OPENSSL_cleanse(a->gen_psk, sizeof(a->gen_psk));
	a->deadline_ms = 0;
}

const char *kt_auth_step_name(enum kt_auth_step s)
{
	static const char *const names[] = {
		[KT_AUTH_ST_NEGOTIATE] = "expecting negotiate",
		[KT_AUTH_ST_CHALLENGE] = "challenge due",
		[KT_AUTH_ST_REPLY] = "expecting reply",
		[KT_AUTH_ST_SUCCESS1] = "success1 due",
		[KT_AUTH_ST_SUCCESS2] = "expecting success2",
		[KT_AUTH_ST_FAILURE1] = "failure1 due",
		[KT_AUTH_ST_DONE] = "authenticated",
		[KT_AUTH_ST_FAILED] = "failed",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *kt_auth_reason_name(uint8_t reason)
{
	switch (reason) {
	case KT_AUTH_FAILED: return "authentication failed";
	case KT_AUTH_PROTOCOL_UNUSABLE: return "no usable authentication protocol";
	case KT_AUTH_CONCAT_MISMATCH: return "secure channel concatenation mismatch";
	case KT_AUTH_HASH_UNUSABLE: return "hash function unusable";
	case KT_AUTH_DHGROUP_UNUSABLE: return "DH group unusable";
	case KT_AUTH_INCORRECT_PAYLOAD: return "incorrect payload";
	case KT_AUTH_INCORRECT_MESSAGE: return "incorrect protocol message";
	default: return "unknown reason";
	}
}

uint16_t kt_auth_cmd_check(const void *sqe, uint32_t data_len)
{
	const struct kt_fabrics_auth_cmd *c = sqe;

	if (c->secp != KT_AUTH_SECP_DHCHAP || c->spsp0 != KT_AUTH_SPSP || c->spsp1 != KT_AUTH_SPSP)
		return invalid_field();
	if (le32toh(c->len) == 0)
		return invalid_field();
	/* TL/AL against the descriptor: the kernel's nvmet_check_transfer_len */
	if (le32toh(c->len) != data_len)
		return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_DATA, true);
	return 0;
}

/* ---- transitions ----------------------------------------------------------- */

static void fail(struct kt_auth_q *a, enum kt_auth_step step, uint8_t reason)
{
	a->step = step;
	a->reason = reason;
}

/* The transaction is over: wipe it and stop its clock. */
static void finish(struct kt_auth_q *a)
{
	kt_dhchap_txn_clear(&a->txn);
	a->deadline_ms = 0;
}

static bool offered(const uint8_t *list, uint8_t n, uint8_t id)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i] == id)
			return true;
	return false;
}

/* SC_C against the queue (see proto/auth.h). */
static uint8_t check_sc_c(uint8_t sc_c, const struct kt_auth_ctx *ctx)
{
	switch (sc_c) {
	case KT_AUTH_SC_NONE:
		return KT_AUTH_OK;
	case KT_AUTH_SC_NEWTLSPSK:
		return ctx->qid == 0 && ctx->tls_port && !ctx->tls_queue ? KT_AUTH_OK : KT_AUTH_CONCAT_MISMATCH;
	case KT_AUTH_SC_REPLACETLSPSK:
		return ctx->qid == 0 && ctx->tls_queue ? KT_AUTH_OK : KT_AUTH_CONCAT_MISMATCH;
	default:
		return KT_AUTH_CONCAT_MISMATCH;
	}
}

/* A hash we may use: known, and with SC_C one a TLS suite has. */
static bool hash_usable(uint8_t id, bool concat)
{
	return kt_dhchap_hash_len(id) && (!concat || id == KT_DHCHAP_SHA256 || id == KT_DHCHAP_SHA384);
}

/* A DH group we may use: known, and with SC_C not NULL. */
static bool dh_usable(uint8_t id, bool concat)
{
	return kt_dhchap_dhgroup_known(id) && (!concat || id != KT_DHCHAP_DH_NULL);
}

static uint8_t negotiate(struct kt_auth_q *a, const struct kt_auth_ctx *ctx, const void *buf,
			 uint32_t tl)
{
	struct kt_auth_negotiate n;
	uint8_t rc = kt_auth_negotiate_parse(buf, tl, &n);
	const uint8_t *b = buf;

	a->tid = n.tid;
	if (rc)
		return rc;
	if ((rc = check_sc_c(n.sc_c, ctx)))
		return rc;
	if (b[7] != 1)
		return KT_AUTH_HASH_UNUSABLE;
	bool concat = n.sc_c != KT_AUTH_SC_NONE;

	uint8_t hash = 0, dh = 0xff;
	if (offered(n.hash, n.nhash, a->keys.hash_id) && hash_usable(a->keys.hash_id, concat))
		hash = a->keys.hash_id;
	for (unsigned i = 0; !hash && i < n.nhash; i++)
		if (hash_usable(n.hash[i], concat))
			hash = n.hash[i];
	if (!hash)
		return KT_AUTH_HASH_UNUSABLE;
	if (offered(n.dh, n.ndh, a->keys.dhgid) && dh_usable(a->keys.dhgid, concat))
		dh = a->keys.dhgid;
	for (unsigned i = 0; dh == 0xff && i < n.ndh; i++)
		if (dh_usable(n.dh[i], concat))
			dh = n.dh[i];
	if (dh == 0xff) /* with SC_C: only the NULL group offered, as the kernel says */
		return concat ? KT_AUTH_CONCAT_MISMATCH : KT_AUTH_DHGROUP_UNUSABLE;
	a->hash_id = hash;
	a->dhgid = dh;
	a->sc_c = n.sc_c;
	return kt_dhchap_txn_start(&a->txn, hash, dh, n.tid, n.sc_c) ? KT_AUTH_FAILED : KT_AUTH_OK;
}

static uint8_t reply(struct kt_auth_q *a, const struct kt_auth_ctx *ctx, const void *buf, uint32_t tl)
{
	struct kt_auth_reply r;
	uint8_t rc = kt_auth_reply_parse(buf, tl, a->txn.hash_id, a->txn.dhgid, &r);

	if (rc)
		return rc;
	if (!a->keys.has_host_key)
		return KT_AUTH_FAILED;
	if (a->txn.sc_c && !r.cvalid) /* no C2, no generated PSK (the kernel's check) */
		return KT_AUTH_FAILED;
	int e = kt_dhchap_txn_check_reply(&a->txn, &a->keys.host_key, ctx->hostnqn, ctx->subnqn,
					  r.rval, r.cvalid ? r.c2 : NULL, r.seqnum, r.dhv, r.dhvlen);
	if (e == -EINVAL)
		return KT_AUTH_DHGROUP_UNUSABLE;
	if (e)
		return KT_AUTH_FAILED;
	return KT_AUTH_OK;
}

/* With SC_C, the generated PSK from this transaction's Ks, C1 and C2,
 * before they are wiped. */
static int generate_psk(struct kt_auth_q *a, struct kt_auth_result *res)
{
	const struct kt_dhchap_txn *t = &a->txn;
	if (!t->sc_c)
		return 0;
	if (!t->have_skey || kt_tls_generated_psk((enum kt_tls_hash)t->hash_id, t->skey, t->dhlen, t->c1,
						  t->c2, a->gen_psk) < 0)
		return -EIO;
	a->gen_hash = t->hash_id;
	res->psk_generated = true;
	return 0;
}

static void succeed(struct kt_auth_q *a, struct kt_auth_result *res)
{
	res->event = KT_AUTH_EV_SUCCESS;
	res->reauth = a->ever_authenticated;
	a->authenticated = true;
	a->ever_authenticated = true;
}

static void failed(struct kt_auth_q *a, struct kt_auth_result *res, uint8_t reason)
{
	res->event = KT_AUTH_EV_FAILURE;
	res->reason = reason;
	res->fatal = true;
	a->authenticated = false;
	a->step = KT_AUTH_ST_FAILED;
	a->reason = reason;
	finish(a);
}

uint16_t kt_auth_send(struct kt_auth_q *a, const struct kt_auth_ctx *ctx, const void *buf,
		      uint32_t tl, uint64_t now_ms, struct kt_auth_result *res)
{
	uint8_t type = 0, id = 0, rc;
	uint16_t tid = 0;

	memset(res, 0, sizeof(*res));
	if (kt_auth_msg_peek(buf, tl, &type, &id, &tid)) {
		/* not even a header (the kernel reads one anyway) */
		kt_dhchap_txn_clear(&a->txn);
		fail(a, KT_AUTH_ST_FAILURE1, KT_AUTH_INCORRECT_PAYLOAD);
		goto armed;
	}
	if (type == KT_AUTH_COMMON && id == KT_AUTH_NEGOTIATE) {
		/* a new transaction, whatever the state: re-authentication, or
		 * a host starting over */
		kt_dhchap_txn_clear(&a->txn);
		kt_auth_keys_clear(&a->keys);
		if (ctx->keys)
			ctx->keys(ctx->keys_ctx, &a->keys);
		rc = negotiate(a, ctx, buf, tl);
		if (rc)
			fail(a, KT_AUTH_ST_FAILURE1, rc);
		else
			a->step = KT_AUTH_ST_CHALLENGE;
		goto armed;
	}
	if (type == KT_AUTH_COMMON && id == KT_AUTH_FAILURE2) {
		struct kt_auth_failure_msg f;
		rc = kt_auth_failure_parse(buf, tl, &f);
		res->host_failure2 = true;
		failed(a, res, rc ? rc : f.rescode_exp);
		return 0;
	}
	if (type == KT_AUTH_DHCHAP && id == KT_AUTH_FAILURE2) {
		/* the first Linux hosts with in-band authentication wrote
		 * Failure2 with the DH-HMAC-CHAP type */
		struct kt_auth_failure_msg f;
		rc = kt_auth_failure_parse(buf, tl, &f);
		res->host_failure2 = true;
		failed(a, res, rc ? rc : f.rescode_exp);
		return 0;
	}
	if (type != KT_AUTH_DHCHAP ||
	    !((id == KT_AUTH_REPLY && a->step == KT_AUTH_ST_REPLY) ||
	      (id == KT_AUTH_SUCCESS2 && a->step == KT_AUTH_ST_SUCCESS2))) {
		failed(a, res, KT_AUTH_INCORRECT_MESSAGE);
		return 0;
	}
	if (tid != a->tid) {
		fail(a, KT_AUTH_ST_FAILURE1, KT_AUTH_INCORRECT_PAYLOAD);
		kt_dhchap_txn_clear(&a->txn);
		goto armed;
	}
	if (id == KT_AUTH_REPLY) {
		rc = reply(a, ctx, buf, tl);
		if (rc) {
			a->authenticated = false;
			fail(a, KT_AUTH_ST_FAILURE1, rc);
			kt_dhchap_txn_clear(&a->txn);
			goto armed;
		}
		a->step = KT_AUTH_ST_SUCCESS1;
		/* without C2, or with SEQNUM 0 (C2 only for a PSK), the host
		 * is authenticated now; with C2 once it checked R2 */
		if (!a->txn.c2_valid || a->txn.s2 == 0) {
			if (generate_psk(a, res) < 0) {
				a->authenticated = false;
				fail(a, KT_AUTH_ST_FAILURE1, KT_AUTH_FAILED);
				kt_dhchap_txn_clear(&a->txn);
				goto armed;
			}
			a->txn.c2_valid = false;
			a->bidi = false;
			succeed(a, res);
		}
		goto armed;
	}
	/* Success2 */
	rc = kt_auth_success2_parse(buf, tl, &tid);
	if (rc) {
		failed(a, res, rc);
		return 0;
	}
	if (generate_psk(a, res) < 0) {
		failed(a, res, KT_AUTH_FAILED);
		return 0;
	}
	a->step = KT_AUTH_ST_DONE;
	a->bidi = true;
	finish(a);
	succeed(a, res);
	return 0;

armed:
	/* a message is due or awaited: the kernel's auth_expired_work */
	a->deadline_ms = now_ms + kt_auth_timeout_ms(ctx->kato_ms);
	return 0;
}

uint16_t kt_auth_receive(struct kt_auth_q *a, const struct kt_auth_ctx *ctx, void *buf,
			 uint32_t al, uint32_t *xfer_len, uint64_t now_ms, struct kt_auth_result *res)
{
	int n;

	memset(res, 0, sizeof(*res));
	*xfer_len = 0;
	switch (a->step) {
	case KT_AUTH_ST_CHALLENGE: {
		struct kt_dhchap_txn *t = &a->txn;
		size_t need = sizeof(struct kt_auth_dhchap_challenge_data) + t->hlen + t->dhlen;
		if (al < need)
			return invalid_field();
		uint32_t s1 = ctx->seqnum ? ctx->seqnum(ctx->seq_ctx) : 1;
		if (kt_dhchap_txn_challenge(t, s1, ctx->rnd, ctx->rnd_ctx) < 0) {
			failed(a, res, KT_AUTH_FAILED);
			break;
		}
		n = kt_auth_challenge_build(buf, al, t->tid, t->hash_id, t->s1, t->c1, t->dhgid,
					    t->dhlen ? t->pub : NULL, t->dhlen);
		if (n < 0) {
			failed(a, res, KT_AUTH_FAILED);
			break;
		}
		memset((uint8_t *)buf + n, 0, al - (uint32_t)n);
		*xfer_len = al;
		a->step = KT_AUTH_ST_REPLY;
		/* The host's time for the Reply starts when it has the
		 * Challenge: nvmet computes its DH value while it handles
		 * Negotiate, before it arms auth_expired_work, so the host gets
		 * the whole timeout for its own DH computation (an ffdhe8192
		 * exchange takes the Linux host about 5 s under emulation:
		 * blktests nvme/043). */
		a->deadline_ms = now_ms + kt_auth_timeout_ms(ctx->kato_ms);
		return 0;
	}
	case KT_AUTH_ST_SUCCESS1: {
		struct kt_dhchap_txn *t = &a->txn;
		uint8_t r2[KT_DHCHAP_HASH_MAX];
		bool bidi = t->c2_valid;
		size_t need = sizeof(struct kt_auth_dhchap_success1_data) + (bidi ? t->hlen : 0);
		if (al < need)
			return invalid_field();
		if (bidi && (!a->keys.has_ctrl_key ||
			     kt_dhchap_txn_ctrl_response(t, &a->keys.ctrl_key, ctx->hostnqn, ctx->subnqn,
							 r2) < 0)) {
			OPENSSL_cleanse(r2, sizeof(r2));
			failed(a, res, KT_AUTH_FAILED);
			break;
		}
		n = kt_auth_success1_build(buf, al, t->tid, t->hash_id, bidi ? r2 : NULL);
		OPENSSL_cleanse(r2, sizeof(r2));
		if (n < 0) {
			failed(a, res, KT_AUTH_FAILED);
			break;
		}
		memset((uint8_t *)buf + n, 0, al - (uint32_t)n);
		*xfer_len = al;
		if (bidi) {
			a->step = KT_AUTH_ST_SUCCESS2; /* the clock of the Reply still runs */
		} else {
			a->step = KT_AUTH_ST_DONE;
			finish(a);
		}
		return 0;
	}
	case KT_AUTH_ST_FAILURE1:
		failed(a, res, a->reason);
		break;
	default:
		/* nothing is due: the kernel answers Failure1, Authentication
		 * Failed, and fails the controller */
		failed(a, res, KT_AUTH_FAILED);
		break;
	}
	/* Failure1 */
	if (al < sizeof(struct kt_auth_dhchap_failure_data))
		return invalid_field();
	n = kt_auth_failure1_build(buf, al, a->tid, a->reason);
	if (n < 0)
		return invalid_field();
	memset((uint8_t *)buf + n, 0, al - (uint32_t)n);
	*xfer_len = al;
	return 0;
}

bool kt_auth_expire(struct kt_auth_q *a, uint64_t now_ms)
{
	if (!a->deadline_ms || now_ms < a->deadline_ms)
		return false;
	kt_dhchap_txn_clear(&a->txn);
	a->deadline_ms = 0;
	a->step = KT_AUTH_ST_NEGOTIATE;
	a->tid = 0xffff;
	return true;
}

/*
 * auth.h - NVMe in-band authentication (DH-HMAC-CHAP) of one queue, the
 * controller's side (proto/auth.c): a state machine driven by the data of
 * the fabrics Authentication Send and Receive commands, over one
 * transaction at a time (struct kt_dhchap_txn, proto/dhchap.h) and the
 * message codecs of proto/auth_msg.h.
 *
 * It follows the Linux kernel target (drivers/nvme/target/
 * fabrics-cmd-auth.c), which is what Linux hosts are tested against:
 *
 *   Send Negotiate   (any state: a new Negotiate restarts, which is also
 *                    how a host re-authenticates)  -> CHALLENGE or FAILURE1
 *   Receive          CHALLENGE: the Challenge      -> REPLY
 *   Send Reply       R1 checked                    -> SUCCESS1 or FAILURE1
 *   Receive          SUCCESS1: Success1 (R2 when the host sent C2)
 *                                                  -> SUCCESS2 or DONE
 *   Send Success2    (bidirectional only)          -> DONE
 *   Receive          FAILURE1: Failure1 with the reason -> FAILED
 *
 * A message of the wrong kind for the state ends the transaction at once
 * (the kernel's "FAILURE2" step, reason Incorrect Protocol Message); so do
 * a Failure2 from the host, and a Receive when no message is due (Failure1,
 * Authentication Failed). Every failure leaves the queue unauthenticated
 * and says `fatal`: the kernel target then fails the whole controller
 * (nvmet_ctrl_fatal_error) and so does katod.
 *
 * The queue is authenticated once R1 was right (no C2, or SEQNUM 0) or
 * once Success2 arrived (bidirectional). Re-authentication keeps the queue
 * authenticated until it fails.
 *
 * Time: a Send that leaves a message due arms a deadline (the controller's
 * KATO, or 120 s when KATO is 0, as the kernel); kt_auth_expire, called by
 * the owner of the timers when it passes, drops the transaction back to
 * "expecting Negotiate" (the kernel resets the step and the transaction
 * id; the queue's authenticated flag is left as it was).
 *
 * Secure channel concatenation (SC_C in Negotiate, NVMe Base 2.x 8.3.4.5
 * and the TCP transport's generated PSKs), as the kernel target:
 *   NEWTLSPSK      on an admin queue without TLS, of a port that offers
 *                  TLS: after the transaction the generated PSK is due
 *                  (kt_auth_result.psk_generated); the host reconnects its
 *                  admin queue over TLS with it ("NVMe1G" identities)
 *   REPLACETLSPSK  on an admin queue over TLS: a new generated PSK
 *   anything else, or on an I/O queue: Concatenation Mismatch.
 * With SC_C the DH group cannot be NULL (there would be no Ks), the Reply
 * must carry C2 (CVALID), and the hash must be SHA-256 or SHA-384 (the TLS
 * cipher suites' hashes: a SHA-512 PSK has no suite; the kernel target
 * would take SHA-512 and then fail to derive the key, silently): the
 * configured ones when the host offers them, else the host's first usable.
 *
 * Secrets (keys, C1/C2, Ks, the DH private value, a generated PSK) live in
 * this struct and in the transaction, and are wiped by kt_auth_q_clear;
 * nothing here logs.
 */
#ifndef KATO_PROTO_AUTH_H
#define KATO_PROTO_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/auth_msg.h"
#include "proto/dhchap.h"
#include "proto/dhchap_key.h"

/* What a host entry configures (nvmet's hosts/NQN/dhchap_*): copied by
 * value into each queue at Negotiate, so a key changed live is used by the
 * next (re-)authentication and never pulled from under a transaction. */
struct kt_auth_keys {
	bool has_host_key;
	bool has_ctrl_key;
	uint8_t hash_id;            /* dhchap_hash: the hash we prefer */
	uint8_t dhgid;              /* dhchap_dhgroup: the group we prefer */
	struct kt_dhchap_key host_key;
	struct kt_dhchap_key ctrl_key;
};

void kt_auth_keys_clear(struct kt_auth_keys *k);

enum kt_auth_step {
	KT_AUTH_ST_NEGOTIATE,       /* expecting AUTH_Negotiate (idle) */
	KT_AUTH_ST_CHALLENGE,       /* Negotiate accepted: the Challenge is due */
	KT_AUTH_ST_REPLY,           /* Challenge sent: expecting the Reply */
	KT_AUTH_ST_SUCCESS1,        /* R1 right: Success1 is due */
	KT_AUTH_ST_SUCCESS2,        /* Success1 with R2 sent: expecting Success2 */
	KT_AUTH_ST_FAILURE1,        /* Failure1 is due */
	KT_AUTH_ST_DONE,            /* transaction succeeded */
	KT_AUTH_ST_FAILED,          /* transaction failed */
};

/* One queue's authentication. */
struct kt_auth_q {
	enum kt_auth_step step;
	bool required;              /* Connect said ATR: commands wait for success */
	bool authenticated;
	bool ever_authenticated;    /* for "re-authenticated" in the logs */
	uint8_t reason;             /* failure reason code explanation (enum kt_auth_failure) */
	uint16_t tid;
	uint8_t hash_id;            /* negotiated, kept after the transaction (logs) */
	uint8_t dhgid;
	bool bidi;                  /* the last success was bidirectional */
	uint8_t sc_c;               /* the last Negotiate's SC_C (enum kt_auth_sc_c) */
	uint8_t gen_hash;           /* psk_generated: its hash (1 SHA-256, 2 SHA-384) */
	uint8_t gen_psk[KT_DHCHAP_HASH_MAX]; /* psk_generated: HMAC(Ks, C1 || C2); secret,
					      * the caller takes it and wipes it */
	uint64_t deadline_ms;       /* 0: no transaction to time out */
	struct kt_auth_keys keys;   /* this transaction's, taken at Negotiate */
	struct kt_dhchap_txn txn;
};

/* Fills a queue's keys (the caller's snapshot, under its lock). */
typedef void (*kt_auth_keys_fn)(void *ctx, struct kt_auth_keys *out);

/* What a Send or Receive needs beside the message. */
struct kt_auth_ctx {
	const char *hostnqn;
	const char *subnqn;
	uint32_t kato_ms;           /* the controller's KATO: the transaction timeout */
	kt_auth_keys_fn keys;       /* the keys to use, called at Negotiate */
	void *keys_ctx;
	kt_dhchap_rand_fn rnd;      /* C1 and the DH private value */
	void *rnd_ctx;
	uint32_t (*seqnum)(void *ctx); /* S1 of a Challenge (never 0) */
	void *seq_ctx;
	uint16_t qid;               /* SC_C is for the admin queue only */
	bool tls_port;              /* the queue's port offers TLS (tsas tls1.3) */
	bool tls_queue;             /* the queue itself runs over TLS */
};

/* What happened, for the caller's log and counters. */
enum kt_auth_event {
	KT_AUTH_EV_NONE,
	KT_AUTH_EV_SUCCESS,         /* the queue is now authenticated */
	KT_AUTH_EV_FAILURE,         /* the transaction failed: ev->reason */
};

struct kt_auth_result {
	enum kt_auth_event event;
	bool reauth;                /* EV_SUCCESS of a queue authenticated before */
	bool fatal;                 /* fail the controller once the reply is out */
	uint8_t reason;             /* EV_FAILURE: enum kt_auth_failure */
	bool host_failure2;         /* EV_FAILURE: the host sent Failure2 */
	bool psk_generated;         /* EV_SUCCESS with SC_C: a->gen_psk holds the PSK */
};

/* nvmet's attribute spellings: dhchap_hash "hmac(sha256)", "hmac(sha384)",
 * "hmac(sha512)"; dhchap_dhgroup "null", "ffdhe2048" .. "ffdhe8192".
 * The parsers return the id, or -EINVAL. */
int kt_auth_hash_parse(const char *name);
const char *kt_auth_hash_attr(uint8_t hash_id);      /* NULL when unknown */
int kt_auth_dhgroup_parse(const char *name);
const char *kt_auth_dhgroup_attr(uint8_t dhgid);     /* NULL when unknown */

/* The timeout of a transaction for a controller with this KATO (ms): KATO,
 * as nvmet, but never less than KT_AUTH_TIMEOUT_MIN_MS, and 2 minutes with
 * KATO 0. The floor is ours: the timeout only frees a stalled host's state,
 * and one ffdhe8192 computation took the Linux host more than 5 s (its
 * default KATO) under emulation, which failed blktests nvme/043 through
 * katod now and then. Keep-alive does not run meanwhile (daemon/core/auth.c),
 * so the floor delays nothing a host is judged by. */
#define KT_AUTH_TIMEOUT_KATO0_MS 120000u
#define KT_AUTH_TIMEOUT_MIN_MS 15000u
uint64_t kt_auth_timeout_ms(uint32_t kato_ms);

/* A new queue; required when Connect answered ATR. */
void kt_auth_q_init(struct kt_auth_q *a, bool required);
/* Wipes every secret (the queue's end). */
void kt_auth_q_clear(struct kt_auth_q *a);
/* Commands other than Authentication Send/Receive may run on the queue. */
static inline bool kt_auth_q_open(const struct kt_auth_q *a)
{
	return !a->required || a->authenticated;
}
const char *kt_auth_step_name(enum kt_auth_step s);
/* "authentication failed" .. "incorrect protocol message" */
const char *kt_auth_reason_name(uint8_t reason);

/* The SQE checks of Authentication Send/Receive (SECP, SPSP0, SPSP1, TL or
 * AL not 0) and the transfer the data descriptor names (data_len: TL/AL
 * must equal it). Returns 0 or an NVMe status. */
uint16_t kt_auth_cmd_check(const void *sqe, uint32_t data_len);

/* Authentication Send: tl bytes of the host's message in buf, at now_ms.
 * Returns an NVMe status (0: the message was taken, whatever it said; the
 * protocol's answer comes with the next Receive). */
uint16_t kt_auth_send(struct kt_auth_q *a, const struct kt_auth_ctx *ctx, const void *buf,
		      uint32_t tl, uint64_t now_ms, struct kt_auth_result *res);

/* Authentication Receive: the due message into buf (al bytes, the rest
 * zero-filled); *xfer_len is al on success. Returns an NVMe status: Invalid
 * Field when al cannot hold the message (the state is unchanged). */
uint16_t kt_auth_receive(struct kt_auth_q *a, const struct kt_auth_ctx *ctx, void *buf,
			 uint32_t al, uint32_t *xfer_len, uint64_t now_ms, struct kt_auth_result *res);

/* The deadline passed (now_ms >= a->deadline_ms): true when a transaction
 * was dropped. */
bool kt_auth_expire(struct kt_auth_q *a, uint64_t now_ms);

#endif

/*
 * auth.c - katod's side of in-band authentication (daemon/core/auth.h):
 * everything proto's state machine (proto/auth.c) may not do itself,
 * because it needs locks, randomness, a clock, timers or logs.
 *
 * - The hosts' keys: one table for the whole target, replaced as a whole
 *   (kt_auth_hosts_set) under a mutex. A controller takes a copy of its
 *   host's settings at admin Connect and again at each Negotiate on its
 *   admin queue (the kernel target's nvmet_setup_auth on re-authentication),
 *   so a key changed live is what the next re-authentication checks; its
 *   I/O queues take the controller's copy at their Negotiate, under the
 *   controller's lock (they may run on other workers).
 * - Randomness: OpenSSL's RAND_bytes. S1: one counter for the process from
 *   a random start, never 0 (the kernel's nvme_auth_get_seqnum).
 * - The timer: one libevent timer per queue with a transaction running,
 *   on the queue's worker; when it fires the transaction is dropped (the
 *   kernel's auth_expired_work) and a line says so.
 * - A failed transaction fails the controller, as the kernel's
 *   nvmet_ctrl_fatal_error: the queue closes once its answer (Failure1)
 *   is out, and the controller's other queues close.
 * - Keep-alive waits for authentication: a host cannot send Keep Alive on
 *   an admin queue that has not authenticated (every command but the
 *   authentication ones is refused), and one DH computation may take it
 *   longer than KATO (ffdhe8192 on a slow or emulated host), so the
 *   controller's keep-alive deadline starts when its admin queue first
 *   authenticates (nvmet's starts at CC.EN, which comes after that).
 *   Until then the authentication timer bounds the controller: from
 *   Connect the host has the authentication timeout to send Negotiate,
 *   and an admin queue whose transaction expires before it ever
 *   authenticated loses its controller.
 * - Secure concatenation: a transaction with SC_C leaves a generated PSK,
 *   which goes to daemon/core/tls_gen.c for the host's TLS connections. A
 *   queue whose TLS session was keyed by such a PSK is not asked to
 *   authenticate again at Connect (the PSK is the proof; the kernel target
 *   does not ask on TLS queues either, and a Linux host that was asked
 *   would replace the PSK its I/O queues are about to use).
 * - Logs: one line per outcome with the controller id and host NQN;
 *   never a key, a challenge, a response, a DH value or a PSK.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "config/secret.h"
#include "daemon/core/auth.h"
#include "daemon/core/dctrl.h"
#include "daemon/core/keepalive.h"
#include "daemon/core/sq.h"
#include "daemon/core/tls_gen.h"
#include "daemon/core/worker.h"
#include "daemon/log.h"
#include "daemon/transport/transport.h"
#include "proto/dhchap.h"

/* ---- the hosts' keys --------------------------------------------------- */

struct host_keys {
	char nqn[KT_NQN_MAX + 1];
	struct kt_auth_keys keys;
};

static pthread_mutex_t hosts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct host_keys *hosts;
static size_t n_hosts;

static void hosts_free(struct host_keys *v, size_t n)
{
	if (v)
		OPENSSL_cleanse(v, n * sizeof(*v));
	free(v);
}

static int parse_key(const char *text, struct kt_dhchap_key *out, bool *has)
{
	struct kt_dhchap_key *k = NULL;
	*has = false;
	if (!text || !text[0])
		return 0;
	char *key = NULL;
	int rc = kt_config_secret(text, &key, NULL); /* the key, or "file:PATH" */
	if (rc < 0)
		return rc;
	rc = kt_dhchap_key_parse(key, &k, NULL);
	kt_config_secret_free(key);
	if (rc < 0)
		return rc;
	*out = *k;
	kt_dhchap_key_free(k);
	*has = true;
	return 0;
}

int kt_auth_hosts_set(const struct kt_config *cfg)
{
	size_t n = cfg->n_hosts;
	struct host_keys *v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		snprintf(v[i].nqn, sizeof(v[i].nqn), "%s", cfg->hosts[i]);
		struct kt_auth_keys *k = &v[i].keys;
		k->hash_id = KT_DHCHAP_SHA256;
		k->dhgid = KT_DHCHAP_DH_NULL;
		if (!cfg->host_auth)
			continue;
		const struct kt_cfg_host_auth *a = &cfg->host_auth[i];
		k->hash_id = a->hash_id;
		k->dhgid = a->dhgid;
		int rc = parse_key(a->key, &k->host_key, &k->has_host_key);
		if (!rc)
			rc = parse_key(a->ctrl_key, &k->ctrl_key, &k->has_ctrl_key);
		if (rc < 0) {
			hosts_free(v, n);
			return rc;
		}
	}
	pthread_mutex_lock(&hosts_lock);
	struct host_keys *old = hosts;
	size_t old_n = n_hosts;
	hosts = v;
	n_hosts = n;
	pthread_mutex_unlock(&hosts_lock);
	hosts_free(old, old_n);
	return 0;
}

void kt_auth_hosts_free(void)
{
	pthread_mutex_lock(&hosts_lock);
	hosts_free(hosts, n_hosts);
	hosts = NULL;
	n_hosts = 0;
	pthread_mutex_unlock(&hosts_lock);
}

/* The host's settings now (none: no key). */
static void host_lookup(const char *nqn, struct kt_auth_keys *out)
{
	memset(out, 0, sizeof(*out));
	out->hash_id = KT_DHCHAP_SHA256;
	pthread_mutex_lock(&hosts_lock);
	for (size_t i = 0; i < n_hosts; i++) {
		if (!strcmp(hosts[i].nqn, nqn)) {
			*out = hosts[i].keys;
			break;
		}
	}
	pthread_mutex_unlock(&hosts_lock);
}

/* ---- Connect ------------------------------------------------------------ */

static void arm(struct kt_sq *sq);

/* The controller is failed: every queue of it but `keep` closes now. */
static void close_queues(struct kt_dctrl *dc, const struct kt_sq *keep, const char *why)
{
	pthread_mutex_lock(&dc->lock);
	dc->dying = true;
	for (struct kt_sq *q = dc->queues; q; q = q->ctrl_next)
		if (q != keep)
			kt_sq_close_async(q, why);
	pthread_mutex_unlock(&dc->lock);
}

bool kt_auth_connect(struct kt_sq *sq, struct kt_dctrl *dc)
{
	bool required;
	if (sq->qid == 0) {
		const struct kt_subsys *s = dc->c.subsys;
		struct kt_auth_keys k;
		if (s->discovery || s->allow_any_host)
			memset(&k, 0, sizeof(k));
		else
			host_lookup(dc->c.hostnqn, &k);
		bool generated = sq->tls && sq->tls->type == 'G'; /* see the header */
		pthread_mutex_lock(&dc->lock);
		dc->auth_keys = k;
		dc->auth_required = k.has_host_key && !generated;
		required = dc->auth_required;
		pthread_mutex_unlock(&dc->lock);
		kt_auth_keys_clear(&k);
	} else {
		pthread_mutex_lock(&dc->lock);
		required = dc->auth_required;
		pthread_mutex_unlock(&dc->lock);
	}
	kt_auth_q_init(&sq->auth, required);
	if (required)
		kt_dbg("ctrl %u host %s: queue %u: authentication required", dc->c.cntlid, dc->c.hostnqn,
		       sq->qid);
	if (required && sq->qid == 0) { /* see the header: keep-alive waits */
		dc->c.ka_wait_auth = true;
		kt_dctrl_ka_update(dc);
		sq->auth.deadline_ms = kt_now_ms() + kt_auth_timeout_ms(dc->c.kato_ms);
		arm(sq);
	}
	return required;
}

/* ---- the context of a Send or Receive --------------------------------- */

/* At Negotiate: the admin queue refreshes the controller's copy from the
 * hosts' table (unless its Connect decided there is no authentication:
 * the discovery controller, allow_any_host), I/O queues take it. */
static void queue_keys(void *arg, struct kt_auth_keys *out)
{
	struct kt_sq *sq = arg;
	struct kt_dctrl *dc = sq->dc;
	const struct kt_subsys *s = dc->c.subsys;
	bool refresh = sq->qid == 0 && !s->discovery && !s->allow_any_host;
	struct kt_auth_keys k;
	memset(&k, 0, sizeof(k));
	if (refresh)
		host_lookup(dc->c.hostnqn, &k);
	pthread_mutex_lock(&dc->lock);
	if (refresh)
		dc->auth_keys = k;
	*out = dc->auth_keys;
	pthread_mutex_unlock(&dc->lock);
	kt_auth_keys_clear(&k);
}

static _Atomic uint32_t seqnum;

static uint32_t next_seqnum(void *ctx)
{
	(void)ctx;
	uint32_t s = atomic_load(&seqnum);
	if (s == 0) {
		uint32_t start = 0;
		if (RAND_bytes((unsigned char *)&start, sizeof(start)) != 1)
			start = (uint32_t)kt_now_ms();
		uint32_t zero = 0;
		atomic_compare_exchange_strong(&seqnum, &zero, start | 1u);
	}
	for (;;) {
		s = atomic_fetch_add(&seqnum, 1) + 1;
		if (s)
			return s;
	}
}

void kt_auth_ctx(struct kt_sq *sq, struct kt_auth_ctx *ctx)
{
	struct kt_dctrl *dc = sq->dc;
	memset(ctx, 0, sizeof(*ctx));
	ctx->hostnqn = dc->c.hostnqn;
	ctx->subnqn = dc->c.subsys->nqn;
	ctx->kato_ms = dc->c.kato_ms;
	ctx->keys = queue_keys;
	ctx->keys_ctx = sq;
	ctx->rnd = kt_dhchap_rand_bytes;
	ctx->seqnum = next_seqnum;
	ctx->qid = sq->qid;
	ctx->tls_port = sq->port && sq->port->sectype == NVMF_TCP_SECTYPE_TLS13;
	ctx->tls_queue = sq->tls != NULL;
}

/* ---- the timer ------------------------------------------------------------ */

static void on_expire(evutil_socket_t fd, short what, void *arg)
{
	struct kt_sq *sq = arg;
	(void)fd;
	(void)what;
	uint64_t now = kt_now_ms();
	if (sq->state != KT_SQ_LIVE || !sq->dc)
		return;
	enum kt_auth_step step = sq->auth.step;
	struct kt_dctrl *dc = sq->dc;
	if (kt_auth_expire(&sq->auth, now)) {
		kt_log_ctrl(KT_LOG_WARN, &dc->c, "queue %u: authentication transaction timed out (%s)",
			    sq->qid, kt_auth_step_name(step));
		if (sq->qid == 0 && dc->c.ka_wait_auth) {
			/* never authenticated, so no keep-alive either: the
			 * controller goes, as it would at a keep-alive expiry */
			kt_log_ctrl(KT_LOG_WARN, &dc->c, "admin queue never authenticated: controller failed");
			close_queues(dc, NULL, "authentication timed out");
		}
	} else if (sq->auth.deadline_ms) {
		struct timeval tv = { .tv_sec = (time_t)((sq->auth.deadline_ms - now) / 1000),
				      .tv_usec = (suseconds_t)((sq->auth.deadline_ms - now) % 1000 * 1000) };
		evtimer_add(sq->auth_ev, &tv);
	}
}

static void arm(struct kt_sq *sq)
{
	if (!sq->auth.deadline_ms) {
		if (sq->auth_ev)
			evtimer_del(sq->auth_ev);
		return;
	}
	if (!sq->auth_ev && !(sq->auth_ev = evtimer_new(sq->worker->base, on_expire, sq))) {
		kt_err("%s: no memory for the authentication timer", sq->peer);
		return;
	}
	uint64_t now = kt_now_ms();
	uint64_t in = sq->auth.deadline_ms > now ? sq->auth.deadline_ms - now : 0;
	struct timeval tv = { .tv_sec = (time_t)(in / 1000), .tv_usec = (suseconds_t)(in % 1000 * 1000) };
	evtimer_add(sq->auth_ev, &tv);
}

/* ---- after a command ------------------------------------------------------ */

/* The kernel target's nvmet_ctrl_fatal_error: this queue closes after its
 * answer, the controller's other queues now. */
static void fail_ctrl(struct kt_sq *sq)
{
	sq->ops->close_after_reply(sq);
	close_queues(sq->dc, sq, "authentication failed");
}

static const char *name(const char *s)
{
	return s ? s : "?";
}

/* Secure concatenation: the PSK the transaction generated goes where the
 * TLS server looks for it; the queue's copy is wiped either way. */
static void keep_generated_psk(struct kt_sq *sq)
{
	struct kt_dctrl *dc = sq->dc;
	int rc = kt_tls_gen_put(dc->c.hostnqn, dc->c.subsys->nqn, sq->auth.gen_hash, sq->auth.gen_psk,
				NULL, 0);
	OPENSSL_cleanse(sq->auth.gen_psk, sizeof(sq->auth.gen_psk));
	if (rc < 0)
		kt_log_ctrl(KT_LOG_ERROR, &dc->c, "queue %u: the generated TLS PSK could not be kept: %s", sq->qid,
			    strerror(-rc));
	else
		kt_log_ctrl(KT_LOG_INFO, &dc->c, "queue %u: TLS PSK generated for secure concatenation (%s, %s)",
			    sq->qid, name(kt_dhchap_hash_name(sq->auth.gen_hash)),
			    sq->auth.sc_c == KT_AUTH_SC_REPLACETLSPSK ? "replacing the session's" : "new");
}

void kt_auth_after(struct kt_req *r, const struct kt_auth_result *res)
{
	struct kt_sq *sq = r->sq;
	struct kt_dctrl *dc = sq->dc;
	if (!dc)
		return;
	switch (res->event) {
	case KT_AUTH_EV_SUCCESS:
		if (sq->qid == 0 && dc->c.ka_wait_auth) { /* keep-alive starts now */
			dc->c.ka_wait_auth = false;
			kt_ctrl_ka_rearm(&dc->c, kt_now_ms());
			kt_dctrl_ka_update(dc);
		}
		kt_log_ctrl(KT_LOG_INFO, &dc->c, "queue %u: %s (%s, %s%s)", sq->qid,
			    res->reauth ? "re-authenticated" : "authenticated", name(kt_dhchap_hash_name(sq->auth.hash_id)),
			    name(kt_dhchap_dhgroup_name(sq->auth.dhgid)), sq->auth.bidi ? ", bidirectional" : "");
		if (res->psk_generated)
			keep_generated_psk(sq);
		break;
	case KT_AUTH_EV_FAILURE:
		kt_log_ctrl(KT_LOG_WARN, &dc->c, "queue %u: authentication failed: %s%s", sq->qid,
			    kt_auth_reason_name(res->reason), res->host_failure2 ? " (the host's Failure2)" : "");
		break;
	case KT_AUTH_EV_NONE:
		break;
	}
	arm(sq);
	if (res->fatal)
		fail_ctrl(sq);
}

void kt_auth_sq_end(struct kt_sq *sq)
{
	if (sq->auth_ev) {
		event_free(sq->auth_ev);
		sq->auth_ev = NULL;
	}
	kt_auth_q_clear(&sq->auth);
}

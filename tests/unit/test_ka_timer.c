/*
 * test_ka_timer.c - unit tests of the keep-alive timer's pure parts, with
 * time passed in and no sleeping: the 4-ary heap (daemon/core/ka_heap.c)
 * against a brute-force reference under a few thousand random inserts,
 * moves and removes, with the owners' index back-pointers checked after
 * every step; and the tick decision (daemon/core/ka_decide.c) on proto's
 * controllers: expiry at exactly the first millisecond past re-arm + KATO,
 * traffic with and without TBKAS, KATO 0, the discovery activity timeout, a
 * policy's expire fraction and its "never"; then both together, as a
 * worker's wake-ups drive them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/core/ka_decide.h"
#include "daemon/core/ka_heap.h"
#include "proto/ctrl.h"
#include "proto/kapolicy.h"

/* ---- the heap ---------------------------------------------------------- */

struct owner {
	uint64_t key;               /* the reference: its key while in */
	size_t heap_idx;            /* the heap's back-pointer */
	int in;                     /* the reference: in the heap? */
};

#define N_OWNERS 300
#define N_OPS 6000

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: a fixed seed, the same sequence on every run */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Everything the heap claims, checked against the reference. */
static void check_heap(const struct kt_ka_heap *h, const struct owner *o, size_t n_owners)
{
	size_t in = 0;
	uint64_t min = UINT64_MAX;
	for (size_t k = 0; k < n_owners; k++) {
		if (!o[k].in) {
			assert_true(o[k].heap_idx == KT_KA_HEAP_NONE);
			continue;
		}
		in++;
		if (o[k].key < min)
			min = o[k].key;
		/* the back-pointer names the entry that names the owner */
		assert_true(o[k].heap_idx < h->n);
		assert_ptr_equal(h->v[o[k].heap_idx].owner, &o[k]);
		assert_int_equal(h->v[o[k].heap_idx].at, o[k].key);
	}
	assert_int_equal(h->n, in);
	for (size_t i = 1; i < h->n; i++) /* 4-ary order: no child before its parent */
		assert_true(h->v[(i - 1) / 4].at <= h->v[i].at);
	const struct kt_ka_heap_ent *e = kt_ka_heap_min(h);
	if (!in) {
		assert_null(e);
		return;
	}
	assert_non_null(e);
	assert_int_equal(e->at, min);
	assert_int_equal(((const struct owner *)e->owner)->key, min);
}

static struct owner *pick(struct owner *o, int in)
{
	size_t start = (size_t)(rng() % N_OWNERS);
	for (size_t k = 0; k < N_OWNERS; k++) {
		struct owner *x = &o[(start + k) % N_OWNERS];
		if (x->in == in)
			return x;
	}
	return NULL;
}

static void test_heap_random(void **state)
{
	(void)state;
	static struct owner o[N_OWNERS];
	struct kt_ka_heap h;
	size_t counts[4] = { 0 };

	rng_state = 0x6b61746f6b61746full;
	for (size_t k = 0; k < N_OWNERS; k++)
		o[k] = (struct owner){ .heap_idx = KT_KA_HEAP_NONE };
	kt_ka_heap_init(&h, offsetof(struct owner, heap_idx));
	check_heap(&h, o, N_OWNERS);

	for (int op = 0; op < N_OPS; op++) {
		/* keys from a narrow range: many ties */
		uint64_t key = 1000 + rng() % 500;
		struct owner *x;
		switch (rng() % 8) {
		case 0: case 1: case 2: /* insert */
			if (!(x = pick(o, 0)))
				break;
			assert_int_equal(kt_ka_heap_insert(&h, x, key), 0);
			x->key = key;
			x->in = 1;
			counts[0]++;
			break;
		case 3: case 4: case 5: /* move, later or earlier (a Keep Alive, a policy) */
			if (!(x = pick(o, 1)))
				break;
			kt_ka_heap_move(&h, x->heap_idx, key);
			x->key = key;
			counts[1]++;
			break;
		case 6: /* remove anywhere (a detach) */
			if (!(x = pick(o, 1)))
				break;
			kt_ka_heap_remove(&h, x->heap_idx);
			x->in = 0;
			counts[2]++;
			break;
		case 7: /* remove the earliest (a tick) */
			if (!h.n)
				break;
			x = kt_ka_heap_min(&h)->owner;
			assert_int_equal(x->heap_idx, 0);
			kt_ka_heap_remove(&h, 0);
			x->in = 0;
			counts[3]++;
			break;
		}
		check_heap(&h, o, N_OWNERS);
	}
	/* every kind of step happened, many times */
	for (int k = 0; k < 4; k++)
		assert_true(counts[k] > N_OPS / 20);

	/* drained from the top, the keys come out in order */
	uint64_t last = 0;
	while (h.n) {
		struct owner *x = kt_ka_heap_min(&h)->owner;
		assert_true(x->key >= last);
		last = x->key;
		kt_ka_heap_remove(&h, 0);
		x->in = 0;
		check_heap(&h, o, N_OWNERS);
	}
	kt_ka_heap_fini(&h);
	assert_int_equal(h.n, 0);
	assert_null(h.v);
}

static void test_heap_grows(void **state)
{
	(void)state;
	/* past the first allocation (64) several times; inserted in falling
	 * order, so every insert sifts to the top */
	enum { N = 1000 };
	struct owner *o = calloc(N, sizeof(*o));
	struct kt_ka_heap h;
	assert_non_null(o);
	kt_ka_heap_init(&h, offsetof(struct owner, heap_idx));
	for (size_t k = 0; k < N; k++) {
		o[k].heap_idx = KT_KA_HEAP_NONE;
		o[k].key = N - k;
		o[k].in = 1;
		assert_int_equal(kt_ka_heap_insert(&h, &o[k], o[k].key), 0);
		assert_int_equal(o[k].heap_idx, 0);
	}
	check_heap(&h, o, N);
	/* the last entry removed from its own place: nothing else moves */
	size_t i = h.n - 1;
	struct owner *x = h.v[i].owner;
	kt_ka_heap_remove(&h, i);
	x->in = 0;
	check_heap(&h, o, N);
	kt_ka_heap_fini(&h);
	free(o);
}

/* ---- the decision ------------------------------------------------------ */

static struct kt_subsys g_sub;
static struct kt_port g_port;
static struct kt_target g_tgt;
static struct kt_ctrl g_c;

/* An NVM controller connected at 1000 with KATO 10000 (TBKAS, as
 * kt_ctrl_init sets it), as in test_ctrl.c. */
static int setup(void **state)
{
	(void)state;
	memset(&g_tgt, 0, sizeof(g_tgt));
	memset(&g_sub, 0, sizeof(g_sub));
	memset(&g_port, 0, sizeof(g_port));
	g_tgt.kas = 1;
	g_tgt.mqes = 127;
	strcpy(g_tgt.disc_nqn, KT_WELL_KNOWN_DISC_NQN);
	strcpy(g_tgt.disc.nqn, KT_WELL_KNOWN_DISC_NQN);
	g_tgt.disc.discovery = true;
	g_tgt.disc.version = 0x00010300;
	strcpy(g_sub.nqn, "nqn.2024-01.io.kato:ka");
	g_sub.version = 0x00020000;
	g_sub.qid_max = 4;
	g_port.inline_data_size = 16384;
	kt_ctrl_init(&g_c, &g_tgt, &g_sub, &g_port, 3, "nqn.host", NULL, 31, 10000, 1000);
	return 0;
}

static void assert_due(const struct kt_ctrl *c, uint64_t now, enum kt_ka_act act,
		       uint64_t deadline)
{
	struct kt_ka_due d = kt_ka_due(c, now);
	assert_int_equal(d.act, act);
	if (act == KT_KA_STOP)
		return;
	assert_int_equal(d.deadline, deadline);
	if (act == KT_KA_REARM)
		assert_int_equal(d.at, deadline + 1);
}

/* Never early, never a millisecond late: re-arm up to and at the deadline
 * D (fire again at D + 1), expire from D + 1 on, reporting D. */
static void assert_expires_after(const struct kt_ctrl *c, uint64_t from, uint64_t deadline)
{
	assert_int_equal(kt_ka_fire_at(c), deadline + 1);
	for (uint64_t t = from; t <= deadline; t += (deadline - t > 50 ? 997 : 1))
		assert_due(c, t, KT_KA_REARM, deadline);
	assert_due(c, deadline, KT_KA_REARM, deadline);
	assert_due(c, deadline + 1, KT_KA_EXPIRE, deadline);
	assert_due(c, deadline + 1000000, KT_KA_EXPIRE, deadline);
}

static void test_due_exact(void **state)
{
	(void)state;
	assert_int_equal(g_c.kato_ms, 10000);
	/* from the Connect */
	assert_expires_after(&g_c, 1000, 11000);
	/* a Keep Alive at 7345 re-arms: KATO from there */
	kt_ctrl_ka_rearm(&g_c, 7345);
	assert_expires_after(&g_c, 7345, 17345);
	/* KATO rounds up to KAS (100 ms): 1501 asked keeps 1600 */
	kt_ctrl_init(&g_c, &g_tgt, &g_sub, &g_port, 3, "nqn.host", NULL, 31, 1501, 500);
	assert_int_equal(g_c.kato_ms, 1600);
	assert_expires_after(&g_c, 500, 2100);
}

static void test_due_traffic_tbkas(void **state)
{
	(void)state;
	assert_true(g_c.ka_traffic_based);
	assert_true(kt_ka_traffic_counts(&g_c));
	/* a Read at 8000: the entry armed for 11001 fires, finds 18000, re-arms */
	atomic_store(&g_c.last_traffic_ms, 8000);
	assert_due(&g_c, 11001, KT_KA_REARM, 18000);
	assert_expires_after(&g_c, 11001, 18000);
	/* traffic older than the last Keep Alive does not pull the deadline back */
	kt_ctrl_ka_rearm(&g_c, 9000);
	assert_expires_after(&g_c, 9000, 19000);
	/* the policy ignores traffic while TBKAS is still advertised */
	struct kt_kapol p = { .set = KT_KAPOL_F_IGNORE_TRAFFIC, .ignore_traffic = true };
	kt_ctrl_ka_rearm(&g_c, 1000);
	kt_ctrl_ka_set_policy(&g_c, &p);
	assert_false(kt_ka_traffic_counts(&g_c));
	assert_true(g_c.ka_traffic_based);
	assert_due(&g_c, 11001, KT_KA_EXPIRE, 11000);
}

static void test_due_traffic_no_tbkas(void **state)
{
	(void)state;
	g_c.ka_traffic_based = false;
	assert_false(kt_ka_traffic_counts(&g_c));
	atomic_store(&g_c.last_traffic_ms, 8000);
	assert_expires_after(&g_c, 1000, 11000);
	/* only a Keep Alive moves it */
	kt_ctrl_ka_rearm(&g_c, 10999);
	assert_expires_after(&g_c, 10999, 20999);
}

static void test_due_kato0(void **state)
{
	(void)state;
	kt_ctrl_init(&g_c, &g_tgt, &g_sub, &g_port, 3, "nqn.host", NULL, 31, 0, 1000);
	assert_int_equal(g_c.kato_ms, 0);
	assert_false(kt_ka_traffic_counts(&g_c));
	assert_int_equal(kt_ka_fire_at(&g_c), 0);
	assert_due(&g_c, 1000, KT_KA_STOP, 0);
	assert_due(&g_c, UINT64_MAX / 2, KT_KA_STOP, 0);
	atomic_store(&g_c.last_traffic_ms, 5000);
	assert_due(&g_c, UINT64_MAX / 2, KT_KA_STOP, 0);
	/* a discovery controller with KATO 0 and no activity timeout: none either */
	kt_ctrl_init(&g_c, &g_tgt, &g_tgt.disc, &g_port, 4, "nqn.host", NULL, 31, 0, 1000);
	assert_true(g_c.discovery);
	assert_int_equal(kt_ka_fire_at(&g_c), 0);
	assert_due(&g_c, 1000000, KT_KA_STOP, 0);
}

static void test_due_discovery_activity(void **state)
{
	(void)state;
	/* as kt_ka_attach sets it up: KATO 0, an activity timeout of 120 s */
	kt_ctrl_init(&g_c, &g_tgt, &g_tgt.disc, &g_port, 4, "nqn.host", NULL, 31, 0, 1000);
	g_c.ka_activity_ms = 120000;
	assert_true(kt_ka_traffic_counts(&g_c));
	assert_expires_after(&g_c, 1000, 121000);
	/* any command re-arms it, TBKAS or not, and no policy applies */
	g_c.ka_traffic_based = false;
	struct kt_kapol p = { .set = KT_KAPOL_F_EXPIRE | KT_KAPOL_F_IGNORE_TRAFFIC,
			      .expire_permille = 0, .ignore_traffic = true };
	kt_ctrl_ka_set_policy(&g_c, &p);
	assert_true(kt_ka_traffic_counts(&g_c));
	atomic_store(&g_c.last_traffic_ms, 60000);
	assert_due(&g_c, 121001, KT_KA_REARM, 180000);
	assert_expires_after(&g_c, 121001, 180000);
	/* a discovery controller with KATO: the keep-alive rules, not activity */
	kt_ctrl_init(&g_c, &g_tgt, &g_tgt.disc, &g_port, 4, "nqn.host", NULL, 31, 5000, 1000);
	g_c.ka_traffic_based = false;
	atomic_store(&g_c.last_traffic_ms, 3000);
	assert_false(kt_ka_traffic_counts(&g_c));
	assert_expires_after(&g_c, 1000, 6000);
}

static void test_due_policy_fraction(void **state)
{
	(void)state;
	/* expire at half of KATO */
	struct kt_kapol p = { .set = KT_KAPOL_F_EXPIRE, .expire_permille = 500 };
	kt_ctrl_ka_set_policy(&g_c, &p);
	assert_expires_after(&g_c, 1000, 6000);
	/* traffic (TBKAS) re-arms by the same fraction */
	atomic_store(&g_c.last_traffic_ms, 4000);
	assert_due(&g_c, 6001, KT_KA_REARM, 9000);
	assert_expires_after(&g_c, 4000, 9000);
	/* 2.5 x KATO, after a Keep Alive */
	p.expire_permille = 2500;
	kt_ctrl_ka_rearm(&g_c, 5000);
	assert_expires_after(&g_c, 5000, 30000);
	/* the smallest fraction still waits a millisecond */
	kt_ctrl_init(&g_c, &g_tgt, &g_sub, &g_port, 3, "nqn.host", NULL, 31, 100, 1000);
	p.expire_permille = 1;
	kt_ctrl_ka_set_policy(&g_c, &p);
	assert_expires_after(&g_c, 1000, 1001);
}

static void test_due_policy_never(void **state)
{
	(void)state;
	struct kt_kapol p = { .set = KT_KAPOL_F_EXPIRE, .expire_permille = 0 };
	kt_ctrl_ka_set_policy(&g_c, &p);
	assert_int_equal(kt_ka_fire_at(&g_c), 0);
	assert_due(&g_c, 11001, KT_KA_STOP, 0);
	assert_due(&g_c, UINT64_MAX / 2, KT_KA_STOP, 0);
	/* the rule cleared: the deadline is back, from the last re-arm */
	kt_ctrl_ka_set_policy(&g_c, NULL);
	assert_due(&g_c, 11001, KT_KA_EXPIRE, 11000);
}

/* ---- both, as a worker's wake-ups drive them --------------------------- */

struct sim_ctrl {
	struct kt_ctrl c;
	size_t heap_idx;
	uint64_t expired_at;        /* 0: not yet */
	uint64_t expected;          /* the first ms past its true deadline */
};

/* Controllers with staggered KATOs and Keep Alives; some get traffic that
 * their armed entry does not know of. Every millisecond a "wake-up" pops
 * what is due and acts on kt_ka_due, as on_tick does: each controller
 * expires at exactly its expected millisecond. */
static void test_sim_ticks(void **state)
{
	(void)state;
	enum { N = 64 };
	static struct sim_ctrl s[N];
	struct kt_ka_heap h;
	kt_ka_heap_init(&h, offsetof(struct sim_ctrl, heap_idx));
	rng_state = 0x1234567887654321ull;

	for (size_t k = 0; k < N; k++) {
		struct sim_ctrl *x = &s[k];
		uint32_t kato = 100 * (uint32_t)(1 + rng() % 20);
		uint64_t connect = 1000 + rng() % 300;
		kt_ctrl_init(&x->c, &g_tgt, &g_sub, &g_port, (uint16_t)(k + 1), "h", NULL, 31, kato,
			     connect);
		x->heap_idx = KT_KA_HEAP_NONE;
		x->expired_at = 0;
		x->c.ka_traffic_based = k % 3 != 0;
		assert_int_equal(kt_ka_heap_insert(&h, x, kt_ka_fire_at(&x->c)), 0);
		/* a Keep Alive: the entry moves with it (kt_dctrl_ka_update) */
		uint64_t ka = connect + rng() % kato;
		kt_ctrl_ka_rearm(&x->c, ka);
		kt_ka_heap_move(&h, x->heap_idx, kt_ka_fire_at(&x->c));
		/* a Read the entry does not see: counts only with TBKAS */
		uint64_t rd = ka + rng() % (2 * kato);
		atomic_store(&x->c.last_traffic_ms, rd);
		uint64_t base = x->c.ka_traffic_based && rd > ka ? rd : ka;
		x->expected = base + kato + 1;
	}
	size_t left = N;
	for (uint64_t now = 1000; left && now < 100000; now++) {
		const struct kt_ka_heap_ent *e;
		while ((e = kt_ka_heap_min(&h)) && e->at <= now) {
			struct sim_ctrl *x = e->owner;
			kt_ka_heap_remove(&h, 0);
			assert_true(x->heap_idx == KT_KA_HEAP_NONE);
			struct kt_ka_due d = kt_ka_due(&x->c, now);
			assert_int_not_equal(d.act, KT_KA_STOP);
			if (d.act == KT_KA_EXPIRE) {
				x->expired_at = now;
				assert_int_equal(d.deadline + 1, now);
				left--;
			} else {
				assert_true(d.at > now);
				assert_int_equal(kt_ka_heap_insert(&h, x, d.at), 0);
			}
		}
	}
	assert_int_equal(left, 0);
	for (size_t k = 0; k < N; k++)
		assert_int_equal(s[k].expired_at, s[k].expected);
	kt_ka_heap_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_random),
		cmocka_unit_test(test_heap_grows),
		cmocka_unit_test_setup(test_due_exact, setup),
		cmocka_unit_test_setup(test_due_traffic_tbkas, setup),
		cmocka_unit_test_setup(test_due_traffic_no_tbkas, setup),
		cmocka_unit_test_setup(test_due_kato0, setup),
		cmocka_unit_test_setup(test_due_discovery_activity, setup),
		cmocka_unit_test_setup(test_due_policy_fraction, setup),
		cmocka_unit_test_setup(test_due_policy_never, setup),
		cmocka_unit_test_setup(test_sim_ticks, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

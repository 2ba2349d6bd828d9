/*
 * test_kapolicy.c - the keep-alive misbehaviour policy (proto/kapolicy.c)
 * and the controller's keep-alive rules that consult it (proto/ctrl.c,
 * Identify KAS, Set Features KATO): scopes, the field-by-field merge by
 * specificity, every decision, with times passed in (no sleeping).
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/cmd.h"
#include "proto/ctrl.h"
#include "proto/kapolicy.h"

static struct kt_kapol_scope scope(enum kt_kapol_kind k, uint16_t id, const char *nqn)
{
	struct kt_kapol_scope s;
	memset(&s, 0, sizeof(s));
	s.kind = k;
	s.cntlid = id;
	if (nqn)
		strncpy(s.nqn, nqn, KT_NQN_MAX);
	return s;
}

static void test_table(void **state)
{
	(void)state;
	static struct kt_kapol_table t;
	struct kt_kapol p = { .set = KT_KAPOL_F_DELAY, .delay_ms = 500 }, got;
	struct kt_kapol_scope h = scope(KT_KAPOL_HOST, 0, "nqn.h1");
	struct kt_kapol_scope c7 = scope(KT_KAPOL_CNTLID, 7, NULL);

	memset(&t, 0, sizeof(t));
	assert_int_equal(kt_kapol_get(&t, &h, &got), -ENOENT);
	assert_int_equal(kt_kapol_set(&t, &h, &p), 0);
	assert_int_equal(kt_kapol_get(&t, &h, &got), 0);
	assert_int_equal(got.delay_ms, 500);
	/* same scope: replaced, not added */
	p.delay_ms = 900;
	assert_int_equal(kt_kapol_set(&t, &h, &p), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(kt_kapol_get(&t, &h, &got), 0);
	assert_int_equal(got.delay_ms, 900);
	assert_int_equal(kt_kapol_set(&t, &c7, &p), 0);
	assert_int_equal(t.n, 2);
	/* a policy that decides nothing removes the rule */
	struct kt_kapol none = { 0 };
	assert_int_equal(kt_kapol_set(&t, &c7, &none), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(kt_kapol_clear(&t, &c7), -ENOENT);
	assert_int_equal(kt_kapol_clear(&t, &h), 0);
	assert_int_equal(t.n, 0);
	/* bad values and scopes */
	struct kt_kapol bad = { .set = KT_KAPOL_F_KAS, .kas = 0 };
	assert_int_equal(kt_kapol_set(&t, &h, &bad), -EINVAL);
	bad = (struct kt_kapol){ .set = KT_KAPOL_F_EXPIRE, .expire_permille = KT_KAPOL_EXPIRE_MAX + 1 };
	assert_int_equal(kt_kapol_set(&t, &h, &bad), -EINVAL);
	bad = (struct kt_kapol){ .set = 1u << 20 };
	assert_int_equal(kt_kapol_set(&t, &h, &bad), -EINVAL);
	struct kt_kapol_scope empty = scope(KT_KAPOL_SUBSYS, 0, "");
	assert_int_equal(kt_kapol_set(&t, &empty, &p), -EINVAL);
	/* full */
	for (unsigned i = 0; i < KT_KAPOL_RULES_MAX; i++) {
		struct kt_kapol_scope s = scope(KT_KAPOL_CNTLID, (uint16_t)(i + 1), NULL);
		assert_int_equal(kt_kapol_set(&t, &s, &p), 0);
	}
	assert_int_equal(kt_kapol_set(&t, &h, &p), -ENOSPC);
	assert_int_equal(kt_kapol_clear(&t, NULL), 0);
	assert_int_equal(t.n, 0);
}

static void test_resolve_merge(void **state)
{
	(void)state;
	static struct kt_kapol_table t;
	struct kt_kapol out;
	memset(&t, 0, sizeof(t));

	struct kt_kapol_scope sub = scope(KT_KAPOL_SUBSYS, 0, "nqn.s");
	struct kt_kapol_scope host = scope(KT_KAPOL_HOST, 0, "nqn.h");
	struct kt_kapol_scope id = scope(KT_KAPOL_CNTLID, 5, NULL);
	struct kt_kapol ps = { .set = KT_KAPOL_F_DELAY | KT_KAPOL_F_KAS, .delay_ms = 100, .kas = 10 };
	struct kt_kapol ph = { .set = KT_KAPOL_F_DELAY | KT_KAPOL_F_DROP, .delay_ms = 200, .drop = true };
	struct kt_kapol pi = { .set = KT_KAPOL_F_DROP, .drop = false };
	/* inserted most specific first: the order of the table does not matter */
	assert_int_equal(kt_kapol_set(&t, &id, &pi), 0);
	assert_int_equal(kt_kapol_set(&t, &host, &ph), 0);
	assert_int_equal(kt_kapol_set(&t, &sub, &ps), 0);

	assert_false(kt_kapol_resolve(&t, 1, "nqn.other", "nqn.other", &out));
	assert_int_equal(out.set, 0);

	assert_true(kt_kapol_resolve(&t, 1, "nqn.other", "nqn.s", &out));
	assert_int_equal(out.set, KT_KAPOL_F_DELAY | KT_KAPOL_F_KAS);
	assert_int_equal(out.delay_ms, 100);

	/* host over subsystem, field by field: delay from the host, KAS kept */
	assert_true(kt_kapol_resolve(&t, 1, "nqn.h", "nqn.s", &out));
	assert_int_equal(out.delay_ms, 200);
	assert_int_equal(out.kas, 10);
	assert_true(out.drop);

	/* the controller id over both: drop turned back off */
	assert_true(kt_kapol_resolve(&t, 5, "nqn.h", "nqn.s", &out));
	assert_false(out.drop);
	assert_int_equal(out.delay_ms, 200);
	assert_true(out.set & KT_KAPOL_F_DROP);

	assert_true(kt_kapol_scope_matches(&id, 5, NULL, NULL));
	assert_false(kt_kapol_scope_matches(&host, 5, NULL, "nqn.h"));
}

static void test_keep_alive_decision(void **state)
{
	(void)state;
	uint16_t st = 0;
	uint32_t delay = 7;

	assert_int_equal(kt_kapol_keep_alive(NULL, &st, &delay), KT_KAPOL_KA_COMPLETE);
	assert_int_equal(st, 0);
	assert_int_equal(delay, 0);

	struct kt_kapol p = { .set = KT_KAPOL_F_STATUS, .status = 0x4002 };
	assert_int_equal(kt_kapol_keep_alive(&p, &st, &delay), KT_KAPOL_KA_COMPLETE);
	assert_int_equal(st, 0x4002);

	p = (struct kt_kapol){ .set = KT_KAPOL_F_DELAY | KT_KAPOL_F_STATUS, .delay_ms = 250, .status = 6 };
	st = 0;
	assert_int_equal(kt_kapol_keep_alive(&p, &st, &delay), KT_KAPOL_KA_DELAY);
	assert_int_equal(delay, 250);
	assert_int_equal(st, 6);

	/* drop wins over delay */
	p.set |= KT_KAPOL_F_DROP;
	p.drop = true;
	assert_int_equal(kt_kapol_keep_alive(&p, &st, &delay), KT_KAPOL_KA_DROP);
	/* a zero delay is no delay */
	p = (struct kt_kapol){ .set = KT_KAPOL_F_DELAY, .delay_ms = 0 };
	assert_int_equal(kt_kapol_keep_alive(&p, &st, &delay), KT_KAPOL_KA_COMPLETE);
}

static void test_deadline(void **state)
{
	(void)state;
	/* normal: the later of re-arm and traffic, when traffic counts */
	assert_int_equal(kt_kapol_deadline(NULL, 1000, 5000, 7000, true), 8000);
	assert_int_equal(kt_kapol_deadline(NULL, 1000, 5000, 7000, false), 6000);
	assert_int_equal(kt_kapol_deadline(NULL, 1000, 5000, 3000, true), 6000);
	assert_int_equal(kt_kapol_deadline(NULL, 0, 5000, 7000, true), 0);

	struct kt_kapol p = { .set = KT_KAPOL_F_IGNORE_TRAFFIC, .ignore_traffic = true };
	assert_int_equal(kt_kapol_deadline(&p, 1000, 5000, 7000, true), 6000);
	p.ignore_traffic = false;
	assert_int_equal(kt_kapol_deadline(&p, 1000, 5000, 7000, true), 8000);

	p = (struct kt_kapol){ .set = KT_KAPOL_F_EXPIRE, .expire_permille = 500 };
	assert_int_equal(kt_kapol_deadline(&p, 1000, 5000, 0, true), 5500);
	p.expire_permille = 2000;
	assert_int_equal(kt_kapol_deadline(&p, 1000, 5000, 0, true), 7000);
	p.expire_permille = 1; /* 1/1000 of 100 ms rounds to 0: at least 1 ms */
	assert_int_equal(kt_kapol_deadline(&p, 100, 5000, 0, true), 5001);
	p.expire_permille = 0; /* never */
	assert_int_equal(kt_kapol_deadline(&p, 1000, 5000, 0, true), 0);
}

static void test_set_kato_and_kas(void **state)
{
	(void)state;
	assert_int_equal(kt_kapol_set_kato_status(NULL), 0);
	struct kt_kapol p = { .set = KT_KAPOL_F_REFUSE_SET_KATO, .refuse_set_kato = true };
	assert_int_equal(kt_kapol_set_kato_status(&p), NVME_SC_INVALID_FIELD | KT_SC_DNR);
	p.refuse_status = 0x0006;
	assert_int_equal(kt_kapol_set_kato_status(&p), 0x0006);
	p.refuse_set_kato = false;
	assert_int_equal(kt_kapol_set_kato_status(&p), 0);

	assert_int_equal(kt_kapol_kas(NULL, 3), 3);
	assert_int_equal(kt_kapol_kas(NULL, 0), 1);
	p = (struct kt_kapol){ .set = KT_KAPOL_F_KAS, .kas = 50 };
	assert_int_equal(kt_kapol_kas(&p, 3), 50);
}

/* ---- the controller with a policy -------------------------------------- */

static struct kt_target g_t;
static struct kt_subsys g_s;
static struct kt_ctrl g_c;

static int setup(void **state)
{
	(void)state;
	memset(&g_t, 0, sizeof(g_t));
	memset(&g_s, 0, sizeof(g_s));
	g_t.kas = 1;
	g_t.mqes = 127;
	strcpy(g_s.nqn, "nqn.s");
	g_s.qid_max = 4;
	g_s.version = 0x20000;
	kt_ctrl_init(&g_c, &g_t, &g_s, NULL, 1, "nqn.h", NULL, 31, 1050, 1000);
	return 0;
}

static void test_ctrl_policy(void **state)
{
	(void)state;
	assert_int_equal(g_c.kato_ms, 1100);
	assert_int_equal(g_c.kato_req_ms, 1050);
	assert_int_equal(kt_ctrl_kas(&g_c), 1);
	assert_int_equal(kt_ctrl_ka_deadline(&g_c), 2100);

	/* another KAS: Identify's value and the rounding follow it */
	struct kt_kapol p = { .set = KT_KAPOL_F_KAS | KT_KAPOL_F_EXPIRE, .kas = 10, .expire_permille = 500 };
	kt_ctrl_ka_set_policy(&g_c, &p);
	assert_int_equal(kt_ctrl_kas(&g_c), 10);
	assert_int_equal(g_c.kato_ms, 2000);
	assert_int_equal(g_c.kato_default_ms, 2000);
	assert_int_equal(kt_ctrl_kato_round(&g_c, 2001), 3000);
	/* expiry at half of KATO */
	assert_int_equal(kt_ctrl_ka_deadline(&g_c), 1000 + 1000);

	/* ignore traffic while TBKAS is advertised */
	atomic_store(&g_c.last_traffic_ms, 1500);
	p = (struct kt_kapol){ .set = KT_KAPOL_F_IGNORE_TRAFFIC, .ignore_traffic = true };
	kt_ctrl_ka_set_policy(&g_c, &p);
	assert_true(g_c.ka_traffic_based);
	assert_int_equal(kt_ctrl_ka_deadline(&g_c), 1000 + 2000);
	kt_ctrl_ka_set_policy(&g_c, NULL);
	assert_null(g_c.ka_pol);
	assert_int_equal(kt_ctrl_ka_deadline(&g_c), 1500 + 2000);

	/* a discovery-style activity timeout: KATO 0, traffic re-arms */
	g_c.kato_ms = 0;
	assert_int_equal(kt_ctrl_ka_deadline(&g_c), 0);
	g_c.ka_activity_ms = 120000;
	assert_int_equal(kt_ctrl_ka_deadline(&g_c), 1500 + 120000);
}

static void test_ctrl_expire(void **state)
{
	(void)state;
	g_c.csts = 1;
	kt_ctrl_ka_expire(&g_c);
	assert_int_equal(g_c.csts & 2, 2); /* CFS */
	assert_int_equal(g_c.err_count, 1);
	assert_int_equal(le16toh(g_c.errlog[0].status_field) >> 1, NVME_SC_KAT_EXPIRED);
	assert_int_equal(le16toh(g_c.errlog[0].sqid), 0xffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_resolve_merge),
		cmocka_unit_test(test_keep_alive_decision),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_set_kato_and_kas),
		cmocka_unit_test_setup(test_ctrl_policy, setup),
		cmocka_unit_test_setup(test_ctrl_expire, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

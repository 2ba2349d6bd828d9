/*
 * test_ka_rule.c - the keep-alive policy rule reader that the
 * configuration file and the control socket share
 * (kt_config_parse_ka_scope/_pol, config/config.c): the same words and
 * limits as "katod.keepalive.policy", errors under the caller's path.
 */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "config/config.h"

static char err[256];

static struct json_object *J(const char *text)
{
	struct json_object *o = json_tokener_parse(text);
	assert_non_null(o);
	return o;
}

static int scope_of(const char *text, struct kt_kapol_scope *s)
{
	struct json_object *o = J(text);
	int r = kt_config_parse_ka_scope(o, "params", s, err, sizeof(err));
	json_object_put(o);
	return r;
}

static int pol_of(const char *text, struct kt_kapol *p)
{
	struct json_object *o = J(text);
	int r = kt_config_parse_ka_pol(o, "params", p, err, sizeof(err));
	json_object_put(o);
	return r;
}

static void scopes(void **state)
{
	(void)state;
	struct kt_kapol_scope s;
	assert_int_equal(scope_of("{\"drop\": true}", &s), 0); /* none named; other keys not looked at */
	assert_int_equal(scope_of("{\"cntlid\": 12, \"drop\": true}", &s), 1);
	assert_int_equal(s.kind, KT_KAPOL_CNTLID);
	assert_int_equal(s.cntlid, 12);
	assert_int_equal(scope_of("{\"cntlid\": \"13\"}", &s), 1); /* nvmetcli-style text */
	assert_int_equal(s.cntlid, 13);
	assert_int_equal(scope_of("{\"host\": \"nqn.h\"}", &s), 1);
	assert_int_equal(s.kind, KT_KAPOL_HOST);
	assert_string_equal(s.nqn, "nqn.h");
	assert_int_equal(scope_of("{\"subsystem\": \"nqn.s\"}", &s), 1);
	assert_int_equal(s.kind, KT_KAPOL_SUBSYS);

}

static void policies(void **state)
{
	(void)state;
	struct kt_kapol p;
	assert_int_equal(pol_of("{\"cntlid\": 1, \"delay_ms\": 300, \"drop\": 1, \"status\": 16386, "
				"\"expire\": 0.5, \"ignore_traffic\": \"true\", \"refuse_set_kato\": 6, \"kas\": 5}",
				&p),
			 0);
	assert_int_equal(p.set, KT_KAPOL_F_DELAY | KT_KAPOL_F_DROP | KT_KAPOL_F_STATUS | KT_KAPOL_F_EXPIRE |
					KT_KAPOL_F_IGNORE_TRAFFIC | KT_KAPOL_F_REFUSE_SET_KATO | KT_KAPOL_F_KAS);
	assert_int_equal(p.delay_ms, 300);
	assert_true(p.drop);
	assert_int_equal(p.status, 0x4002);
	assert_int_equal(p.expire_permille, 500);
	assert_true(p.ignore_traffic);
	assert_true(p.refuse_set_kato);
	assert_int_equal(p.refuse_status, 6);
	assert_int_equal(p.kas, 5);
	assert_int_equal(pol_of("{\"expire\": \"never\", \"refuse_set_kato\": false}", &p), 0);
	assert_int_equal(p.expire_permille, 0);
	assert_false(p.refuse_set_kato);

}

/* Each refused, with its message: scopes, then policies. */
static void refusals(void **state)
{
	(void)state;
	static const struct {
		bool scope;
		const char *text, *err;
	} bad[] = {
		{ true, "{\"cntlid\": 65520}", "params.cntlid: 65520 is out of range (1..65519)" },
		{ true, "{\"host\": \"a b\"}",
		  "params.host: \"a b\" is not an NQN (it contains a space or a control character)" },
		{ true, "{\"host\": \"nqn.h\", \"cntlid\": 1}",
		  "params: a rule needs exactly one of \"host\", \"subsystem\" or \"cntlid\"" },
		{ true, "[]", "params: expected an object, got an array" },
		{ false, "{\"cntlid\": 1}",
		  "params: the rule changes nothing (delay_ms, drop, status, expire, ignore_traffic, refuse_set_kato or kas)" },
		{ false, "{\"status\": 32768}", "params.status: 32768 is out of range (0..32767)" },
		{ false, "{\"expire\": 11}", "params.expire: 11 is not a fraction of KATO from 0.001 to 10, or \"never\"" },
		{ false, "{\"delay_ms\": 3600001}", "params.delay_ms: 3600001 is out of range (0..3600000)" },
		{ false, "{\"drop\": \"yes\"}", "params.drop: \"yes\" is not a boolean (0 or 1)" },
	};
	struct kt_kapol_scope s;
	struct kt_kapol p;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = bad[i].scope ? scope_of(bad[i].text, &s) : pol_of(bad[i].text, &p);
		assert_int_equal(r, -EINVAL);
		assert_string_equal(err, bad[i].err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scopes),
		cmocka_unit_test(policies),
		cmocka_unit_test(refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

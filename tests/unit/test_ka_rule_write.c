/*
 * test_ka_rule_write.c - the one writer of a keep-alive policy rule
 * (kt_config_ka_rule_json, config/config_write.c), which the configuration
 * file, config.save and the control socket's answers share: every field at
 * its limits, written as text and read back by the readers
 * (kt_config_parse_ka_scope/_pol), gives the same scope and policy; an
 * expiry fraction is written as the exact decimal.
 */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "config/config.h"

static bool pol_equal(const struct kt_kapol *a, const struct kt_kapol *b)
{
	return a->set == b->set && a->delay_ms == b->delay_ms && a->drop == b->drop && a->status == b->status &&
	       a->expire_permille == b->expire_permille && a->ignore_traffic == b->ignore_traffic &&
	       a->refuse_set_kato == b->refuse_set_kato && a->refuse_status == b->refuse_status && a->kas == b->kas;
}

/* Written, printed, parsed and read: the scope (when s) and policy come
 * back equal. The printed text is left in out. */
static void round_trip(const struct kt_kapol_scope *s, const struct kt_kapol *p, char *out, size_t outlen)
{
	char err[256] = "";
	struct json_object *o = kt_config_ka_rule_json(s, p);
	assert_non_null(o);
	snprintf(out, outlen, "%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	o = json_tokener_parse(out);
	assert_non_null(o);
	struct kt_kapol_scope s2;
	struct kt_kapol p2;
	int r = kt_config_parse_ka_scope(o, "rule", &s2, err, sizeof(err));
	if (r != (s ? 1 : 0))
		fail_msg("%s: scope read %d: %s", out, r, err);
	if (s && !kt_kapol_scope_equal(s, &s2))
		fail_msg("%s: another scope came back", out);
	if (kt_config_parse_ka_pol(o, "rule", &p2, err, sizeof(err)) != 0)
		fail_msg("%s: %s", out, err);
	if (!pol_equal(p, &p2))
		fail_msg("%s: another policy came back", out);
	json_object_put(o);
}

static void every_field(void **state)
{
	(void)state;
	char text[1024];
	struct kt_kapol_scope scopes[4] = { { .kind = KT_KAPOL_CNTLID, .cntlid = 1 },
					    { .kind = KT_KAPOL_CNTLID, .cntlid = 0xffef },
					    { .kind = KT_KAPOL_HOST },
					    { .kind = KT_KAPOL_SUBSYS } };
	snprintf(scopes[2].nqn, sizeof(scopes[2].nqn), "nqn.2014-08.org.nvmexpress:uuid:6b61746f-0000-0000-0000-1");
	snprintf(scopes[3].nqn, sizeof(scopes[3].nqn), "blktests-subsystem-1");
	const struct kt_kapol pols[] = {
		{ .set = KT_KAPOL_F_DELAY, .delay_ms = 0 },
		{ .set = KT_KAPOL_F_DELAY | KT_KAPOL_F_DROP, .delay_ms = KT_KAPOL_DELAY_MAX, .drop = true },
		{ .set = KT_KAPOL_F_DROP, .drop = false },
		{ .set = KT_KAPOL_F_STATUS, .status = 0x4002 },
		{ .set = KT_KAPOL_F_STATUS, .status = 0 },
		{ .set = KT_KAPOL_F_EXPIRE, .expire_permille = 0 },
		{ .set = KT_KAPOL_F_IGNORE_TRAFFIC, .ignore_traffic = true },
		{ .set = KT_KAPOL_F_IGNORE_TRAFFIC, .ignore_traffic = false },
		{ .set = KT_KAPOL_F_REFUSE_SET_KATO, .refuse_set_kato = true },
		{ .set = KT_KAPOL_F_REFUSE_SET_KATO, .refuse_set_kato = false },
		{ .set = KT_KAPOL_F_REFUSE_SET_KATO, .refuse_set_kato = true, .refuse_status = 0x7fff },
		{ .set = KT_KAPOL_F_KAS, .kas = 1 },
		{ .set = KT_KAPOL_F_KAS, .kas = 65535 },
		{ .set = KT_KAPOL_F_ALL, .delay_ms = 400, .drop = true, .status = 6, .expire_permille = 1500,
		  .ignore_traffic = true, .refuse_set_kato = true, .refuse_status = 2, .kas = 30 },
	};
	for (size_t i = 0; i < sizeof(pols) / sizeof(pols[0]); i++) {
		round_trip(NULL, &pols[i], text, sizeof(text));
		for (size_t k = 0; k < 4; k++)
			round_trip(&scopes[k], &pols[i], text, sizeof(text));
	}
	/* a policy alone has no scope key; a rule has exactly its own */
	round_trip(NULL, &pols[0], text, sizeof(text));
	assert_string_equal(text, "{\"delay_ms\":0}");
	round_trip(&scopes[2], &pols[2], text, sizeof(text));
	assert_string_equal(text,
			    "{\"host\":\"nqn.2014-08.org.nvmexpress:uuid:6b61746f-0000-0000-0000-1\",\"drop\":false}");
}

/* Every expiry fraction from 0.001 to 10 comes back as the same
 * thousandths, written as the shortest exact decimal. */
static void expiry_fractions(void **state)
{
	(void)state;
	char text[256];
	for (uint32_t m = 1; m <= KT_KAPOL_EXPIRE_MAX; m++) {
		struct kt_kapol p = { .set = KT_KAPOL_F_EXPIRE, .expire_permille = m };
		round_trip(NULL, &p, text, sizeof(text));
	}
	static const struct {
		uint32_t permille;
		const char *text;
	} words[] = { { 1, "{\"expire\":0.001}" }, { 100, "{\"expire\":0.1}" },   { 500, "{\"expire\":0.5}" },
		      { 1000, "{\"expire\":1.0}" }, { 1234, "{\"expire\":1.234}" }, { 10000, "{\"expire\":10.0}" } };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		struct kt_kapol p = { .set = KT_KAPOL_F_EXPIRE, .expire_permille = words[i].permille };
		round_trip(NULL, &p, text, sizeof(text));
		assert_string_equal(text, words[i].text);
	}
	struct kt_kapol never = { .set = KT_KAPOL_F_EXPIRE, .expire_permille = 0 };
	round_trip(NULL, &never, text, sizeof(text));
	assert_string_equal(text, "{\"expire\":\"never\"}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_field),
		cmocka_unit_test(expiry_fractions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

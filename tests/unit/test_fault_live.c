/*
 * test_fault_live.c - the fault rules in force (daemon/core/faults.c):
 * the count the command path tests follows every change, add/remove by id
 * and by name, a configuration's rules replace the table in one step (and
 * a refused rule says which), the copy of the rules for the running
 * configuration, and a decision through the lock.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"
#include "daemon/core/faults.h"

static struct kt_fault_rule rule(const char *name, enum kt_fault_kind kind)
{
	struct kt_fault_rule r;
	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.action.kind = kind;
	if (kind == KT_FAULT_DELAY)
		r.action.ms = 10;
	return r;
}

static void test_add_remove(void **state)
{
	(void)state;
	kt_faults_clear();
	assert_false(kt_faults_any());
	struct kt_fault_rule a = rule("a", KT_FAULT_HOLD), b = rule("b", KT_FAULT_DELAY);
	uint32_t ia, ib;
	assert_int_equal(kt_faults_add(&a, &ia), 0);
	assert_true(kt_faults_any());
	assert_int_equal(kt_faults_add(&b, &ib), 0);
	assert_int_equal(kt_faults_add(&b, NULL), -EEXIST);
	assert_true(ib > ia);
	struct kt_fault_entry e[4];
	uint64_t now = 0;
	assert_int_equal(kt_faults_list(e, 4, &now), 2);
	assert_true(now > 0);
	assert_string_equal(e[0].rule.name, "a");
	assert_int_equal(kt_faults_remove_name("a"), 0);
	assert_int_equal(kt_faults_remove_name("a"), -ENOENT);
	assert_int_equal(kt_faults_remove(ia), -ENOENT);
	assert_true(kt_faults_any());
	assert_int_equal(kt_faults_remove(ib), 0);
	assert_false(kt_faults_any());
	struct kt_fault_rule *v = (void *)1;
	size_t n = 9;
	assert_int_equal(kt_faults_rules(&v, &n), 0);
	assert_null(v);
	assert_int_equal(n, 0);
}

static void test_load_and_copy(void **state)
{
	(void)state;
	kt_faults_clear();
	struct kt_fault_rule x = rule("live", KT_FAULT_HOLD);
	assert_int_equal(kt_faults_add(&x, NULL), 0);
	struct kt_fault_rule f[2] = { rule("f1", KT_FAULT_DELAY), rule("f2", KT_FAULT_CLOSE_BEFORE) };
	struct kt_cfg_daemon d;
	memset(&d, 0, sizeof(d));
	d.faults = f;
	d.n_faults = 2;
	char err[128] = "";
	assert_int_equal(kt_faults_load(&d, err, sizeof(err)), 0);
	struct kt_fault_rule *v;
	size_t n;
	assert_int_equal(kt_faults_rules(&v, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(v, f, sizeof(f)); /* the live rule is gone, the file's are in order */
	free(v);
	f[1] = f[0]; /* the same name twice: refused, the rules before it stay */
	assert_int_equal(kt_faults_load(&d, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "katod.faults[1]"));
	struct kt_fault_entry e[4];
	assert_int_equal(kt_faults_list(e, 4, NULL), 1);
	kt_faults_fini();
	assert_false(kt_faults_any());
}

static void test_decide(void **state)
{
	(void)state;
	kt_faults_clear();
	struct kt_fault_cmd c = { .cntlid = 1, .qid = 1, .opcode = 0x02, .nsid = 1, .nlb = 1 };
	struct kt_fault_hit hit;
	assert_false(kt_faults_decide(&c, 1, &hit));
	struct kt_fault_rule r = rule("", KT_FAULT_DELAY);
	r.fire.kind = KT_FAULT_FIRE_FIRST;
	r.fire.first = 1;
	uint32_t id;
	assert_int_equal(kt_faults_add(&r, &id), 0);
	assert_true(kt_faults_decide(&c, 1, &hit));
	assert_int_equal(hit.id, id);
	assert_int_equal(hit.action.kind, KT_FAULT_DELAY);
	assert_false(kt_faults_decide(&c, 2, &hit));
	struct kt_fault_entry e[1];
	assert_int_equal(kt_faults_list(e, 1, NULL), 1);
	assert_int_equal(e[0].matches, 2);
	assert_int_equal(e[0].fires, 1);
	kt_faults_clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_remove),
		cmocka_unit_test(test_load_and_copy),
		cmocka_unit_test(test_decide),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

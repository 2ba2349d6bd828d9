/*
 * test_counters.c - the counters the control socket reports: the one
 * writer of the I/O totals shape (daemon/control/rpc_counters.c), which the
 * per-namespace, per-subsystem and per-controller views of `counters` all
 * go through (its names and their order are what katoctl's tables and the
 * control tests read), and the keep-alive expiry counts per subsystem and
 * per controller (daemon/core/counters.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "daemon/backend/backend.h"
#include "daemon/control/rpc_counters.h"
#include "daemon/core/counters.h"

/* What the writer adds to an empty object, as plain JSON text. */
static void expect_io(const struct kt_ns_totals *t, bool commands, const char *want)
{
	struct json_object *o = json_object_new_object();
	kt_counters_put_io(o, t, commands);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), want);
	json_object_put(o);
}

/* Every field, in the order the views have always written them. */
static void put_io_all_fields(void **state)
{
	(void)state;
	const struct kt_ns_totals t = { .commands = 9, .read_commands = 4, .write_commands = 3,
					.bytes_read = 2048, .bytes_written = 1536, .errors = 2 };
	expect_io(&t, true, "{\"commands\":9,\"read_commands\":4,\"write_commands\":3,"
			    "\"bytes_read\":2048,\"bytes_written\":1536,\"errors\":2}");
}

/* A controller's view has no "commands" total; the rest is the same shape,
 * and values past INT64_MAX stay unsigned. */
static void put_io_without_commands(void **state)
{
	(void)state;
	const struct kt_ns_totals t = { .commands = 9, .read_commands = 1, .bytes_read = UINT64_MAX };
	expect_io(&t, false, "{\"read_commands\":1,\"write_commands\":0,\"bytes_read\":18446744073709551615,"
			     "\"bytes_written\":0,\"errors\":0}");
}

/* Expiries: a total per subsystem since start, and per controller only
 * those at or after the controller's Connect (a reused cntlid does not
 * inherit its predecessor's). */
static void ka_expiries(void **state)
{
	(void)state;
	const char *a = "nqn.2026-11.io.kato:unit-a", *b = "nqn.2026-11.io.kato:unit-b";
	assert_int_equal(kt_counters_subsys_ka_expiries(a), 0);
	kt_counters_ka_expired(a, 1, 1000);
	kt_counters_ka_expired(a, 1, 5000);
	kt_counters_ka_expired(a, 2, 6000);
	kt_counters_ka_expired(b, 1, 7000);
	assert_int_equal(kt_counters_subsys_ka_expiries(a), 3);
	assert_int_equal(kt_counters_subsys_ka_expiries(b), 1);
	assert_int_equal(kt_counters_subsys_ka_expiries("nqn.2026-11.io.kato:none"), 0);
	assert_int_equal(kt_counters_ctrl_ka_expiries(a, 1, 0), 2);
	assert_int_equal(kt_counters_ctrl_ka_expiries(a, 1, 2000), 1); /* cntlid 1 reconnected at 2000 */
	assert_int_equal(kt_counters_ctrl_ka_expiries(a, 2, 0), 1);
	assert_int_equal(kt_counters_ctrl_ka_expiries(b, 1, 7000), 1);
	assert_int_equal(kt_counters_ctrl_ka_expiries(b, 2, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(put_io_all_fields),
		cmocka_unit_test(put_io_without_commands),
		cmocka_unit_test(ka_expiries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

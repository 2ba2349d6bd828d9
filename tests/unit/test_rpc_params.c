/*
 * test_rpc_params.c - the control socket's parameter readers
 * (daemon/control/rpc_params.c), which every method uses: unknown and missing
 * parameters, strings, integers with and without decimal text, ranges,
 * and the result builders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "daemon/control/rpc.h"
#include "daemon/control/rpc_params.h"

static char msg[256];
static const size_t msglen = sizeof(msg);

static struct json_object *J(const char *text)
{
	struct json_object *o = json_tokener_parse(text);
	assert_non_null(o);
	return o;
}

static void check_params(void **state)
{
	(void)state;
	static const char *const keys[] = { "portid", "subsystem", NULL };
	static const char *const attrs[] = { "traddr", NULL };
	static const char *const none[] = { NULL };
	struct json_object *p = J("{\"portid\": 1, \"traddr\": \"x\"}");
	assert_int_equal(kt_rpc_check_params(NULL, keys, NULL, msg, msglen), 0);
	assert_int_equal(kt_rpc_check_params(p, keys, attrs, msg, msglen), 0);
	assert_int_equal(kt_rpc_check_params(p, keys, NULL, msg, msglen), KT_RPC_INVALID_PARAMS);
	assert_string_equal(msg, "unknown parameter \"traddr\" (this method takes portid, subsystem)");
	assert_int_equal(kt_rpc_check_params(p, none, NULL, msg, msglen), KT_RPC_INVALID_PARAMS);
	assert_string_equal(msg, "unknown parameter \"portid\" (this method takes none)");
	json_object_put(p);
	p = J("[1]");
	assert_int_equal(kt_rpc_check_params(p, keys, NULL, msg, msglen), KT_RPC_INVALID_PARAMS);
	assert_string_equal(msg, "params must be an object (by-name parameters)");
	json_object_put(p);
}

static void require_and_strings(void **state)
{
	(void)state;
	static const char *const req[] = { "nqn", "host", NULL };
	struct json_object *p = J("{\"nqn\": \"a\", \"host\": null, \"n\": 5}");
	const char *s = NULL;
	assert_int_equal(kt_rpc_require(p, req, msg, msglen), KT_RPC_INVALID_PARAMS);
	assert_string_equal(msg, "parameter \"host\" is missing"); /* null is absent */
	assert_int_equal(kt_rpc_opt_string(p, "nqn", &s, msg, msglen), 1);
	assert_string_equal(s, "a");
	assert_int_equal(kt_rpc_opt_string(p, "host", &s, msg, msglen), 0);
	assert_int_equal(kt_rpc_opt_string(p, "nope", &s, msg, msglen), 0);
	assert_int_equal(kt_rpc_opt_string(p, "n", &s, msg, msglen), KT_RPC_INVALID_PARAMS);
	assert_string_equal(msg, "parameter \"n\" must be a string");
	json_object_put(p);
}

static void integers(void **state)
{
	(void)state;
	struct json_object *p = J("{\"a\": 7, \"b\": \"42\", \"c\": \"4x\", \"d\": 70000, \"e\": true, "
				  "\"f\": 99999999999999999999}");
	int64_t x = -1;
	assert_int_equal(kt_rpc_opt_int(p, "a", 0, 10, false, &x, msg, msglen), 1);
	assert_int_equal(x, 7);
	assert_int_equal(kt_rpc_opt_int(p, "zz", 0, 10, false, &x, msg, msglen), 0);
	/* decimal text only where the method takes it (nvmetcli's attributes) */
	assert_int_equal(kt_rpc_opt_int(p, "b", 0, 100, false, &x, msg, msglen), KT_RPC_INVALID_PARAMS);
	assert_string_equal(msg, "parameter \"b\" must be an integer");
	assert_int_equal(kt_rpc_opt_int(p, "b", 0, 100, true, &x, msg, msglen), 1);
	assert_int_equal(x, 42);
	assert_int_equal(kt_rpc_opt_int(p, "c", 0, 100, true, &x, msg, msglen), KT_RPC_INVALID_PARAMS);
	assert_int_equal(kt_rpc_opt_int(p, "d", 0, 65535, false, &x, msg, msglen), KT_RPC_INVALID_PARAMS);
	assert_string_equal(msg, "parameter \"d\" is out of range (0..65535)");
	assert_int_equal(kt_rpc_opt_int(p, "e", 0, 1, true, &x, msg, msglen), KT_RPC_INVALID_PARAMS);
	assert_int_equal(kt_rpc_opt_int(p, "f", 0, 100, false, &x, msg, msglen), KT_RPC_INVALID_PARAMS);
	assert_int_equal(x, 42); /* untouched by refusals */
	json_object_put(p);
}

static void builders(void **state)
{
	(void)state;
	struct json_object *o = json_object_new_object();
	kt_rpc_put_str(o, "s", NULL);
	kt_rpc_put_u64(o, "u", UINT64_MAX);
	kt_rpc_put(o, "n", NULL);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			    "{\"s\":\"\",\"u\":18446744073709551615,\"n\":null}");
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check_params),
		cmocka_unit_test(require_and_strings),
		cmocka_unit_test(integers),
		cmocka_unit_test(builders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * rpc_params.c - reading and checking JSON-RPC params, building results
 * (see rpc_params.h). Kept apart from the methods so that rpc.c,
 * rpc_edit.c and rpc_keepalive.c read and refuse parameters one way.
 */
#include "daemon/control/rpc_params.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "daemon/control/rpc.h"

static bool listed(const char *const *v, const char *key)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], key))
			return true;
	return false;
}

static void append_list(char *list, size_t len, const char *const *v)
{
	for (size_t i = 0; v && v[i]; i++)
		snprintf(list + strlen(list), len - strlen(list), "%s%s", list[0] ? ", " : "", v[i]);
}

int kt_rpc_check_params(struct json_object *params, const char *const keys[], const char *const attrs[],
			char *msg, size_t msglen)
{
	if (!params || json_object_is_type(params, json_type_null))
		return 0;
	if (!json_object_is_type(params, json_type_object))
		return FAIL(KT_RPC_INVALID_PARAMS, "params must be an object (by-name parameters)");
	json_object_object_foreach(params, key, val) {
		(void)val;
		if (listed(keys, key) || listed(attrs, key))
			continue;
		char list[512] = "";
		append_list(list, sizeof(list), keys);
		append_list(list, sizeof(list), attrs);
		return FAIL(KT_RPC_INVALID_PARAMS, "unknown parameter \"%s\" (this method takes %s)", key,
			    list[0] ? list : "none");
	}
	return 0;
}

/* The value of key, or NULL when params lacks it or it is null. */
static struct json_object *value(struct json_object *params, const char *key)
{
	struct json_object *v;
	if (!params || !json_object_is_type(params, json_type_object) || !json_object_object_get_ex(params, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

int kt_rpc_require(struct json_object *params, const char *const required[], char *msg, size_t msglen)
{
	for (size_t i = 0; required && required[i]; i++)
		if (!value(params, required[i]))
			return FAIL(KT_RPC_INVALID_PARAMS, "parameter \"%s\" is missing", required[i]);
	return 0;
}

int kt_rpc_opt_string(struct json_object *params, const char *key, const char **out, char *msg, size_t msglen)
{
	struct json_object *v = value(params, key);
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return FAIL(KT_RPC_INVALID_PARAMS, "parameter \"%s\" must be a string", key);
	*out = json_object_get_string(v);
	return 1;
}

int kt_rpc_opt_int(struct json_object *params, const char *key, int64_t lo, int64_t hi, bool digits,
		   int64_t *out, char *msg, size_t msglen)
{
	struct json_object *v = value(params, key);
	int64_t x = 0;
	if (!v)
		return 0;
	errno = 0;
	if (json_object_is_type(v, json_type_int)) {
		x = json_object_get_int64(v);
	} else if (digits && json_object_is_type(v, json_type_string)) {
		char *end;
		const char *s = json_object_get_string(v);
		x = strtoll(s, &end, 10);
		if (!*s || *end)
			errno = EINVAL;
	} else {
		errno = EINVAL;
	}
	if (errno == EINVAL)
		return FAIL(KT_RPC_INVALID_PARAMS, "parameter \"%s\" must be an integer", key);
	if (errno || x < lo || x > hi)
		return FAIL(KT_RPC_INVALID_PARAMS, "parameter \"%s\" is out of range (%lld..%lld)", key,
			    (long long)lo, (long long)hi);
	*out = x;
	return 1;
}

void kt_rpc_put(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

void kt_rpc_put_str(struct json_object *o, const char *key, const char *s)
{
	kt_rpc_put(o, key, json_object_new_string(s ? s : ""));
}

void kt_rpc_put_u64(struct json_object *o, const char *key, uint64_t v)
{
	/* json-c 0.16 has uint64 objects; they print as unsigned */
	kt_rpc_put(o, key, json_object_new_uint64(v));
}

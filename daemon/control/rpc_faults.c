/*
 * rpc_faults.c - the control socket's fault rule methods (see
 * rpc_faults.h): a rule read and written by config/ (so that a rule means
 * the same in a file and here) and handed to the rules in force
 * (daemon/core/faults.h). Refusals say what is wrong: the rule's key, a
 * name in use, a full table, no such rule (KT_RPC_NOT_FOUND).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "config/config.h"
#include "daemon/control/rpc.h"
#include "daemon/control/rpc_faults.h"
#include "daemon/control/rpc_params.h"
#include "daemon/core/faults.h"
#include "daemon/log.h"

/* A listed rule: as the configuration writes it, and its id and counters. */
static struct json_object *entry_json(const struct kt_fault_entry *e, uint64_t now)
{
	struct json_object *o = kt_config_fault_rule_json(&e->rule);
	if (!o)
		return NULL;
	json_object_object_add(o, "id", json_object_new_int64(e->id));
	json_object_object_add(o, "matches", json_object_new_int64((int64_t)e->matches));
	json_object_object_add(o, "fires", json_object_new_int64((int64_t)e->fires));
	json_object_object_add(o, "expired", json_object_new_boolean(kt_fault_expired(e, now)));
	return o;
}

KT_RPC_METHOD(kt_rpc_faults_add)
{
	struct kt_fault_rule r;
	char err[512];
	(void)caller;
	if (!params || !json_object_is_type(params, json_type_object))
		return FAIL(KT_RPC_INVALID_PARAMS, "a rule: {\"action\": {...}, \"match\": {...}, ...}");
	if (kt_config_parse_fault_rule(params, "params", &r, err, sizeof(err)) < 0)
		return FAIL(KT_RPC_INVALID_PARAMS, "%s", err);
	uint32_t id;
	int rc = kt_faults_add(&r, &id);
	if (rc == -EEXIST)
		return FAIL(KT_RPC_INVALID_PARAMS, "a rule is already named \"%s\"", r.name);
	if (rc == -ENOSPC)
		return FAIL(KT_RPC_INVALID_PARAMS, "too many rules (at most %d): remove one first", KT_FAULT_RULES_MAX);
	if (rc < 0)
		return FAIL(KT_RPC_INVALID_PARAMS, "invalid rule: %s", strerror(-rc));
	kt_info("control: fault rule %u%s%s added: %s", id, r.name[0] ? " " : "", r.name,
		kt_fault_kind_name(r.action.kind));
	*result = json_object_new_object();
	json_object_object_add(*result, "id", json_object_new_int64(id));
	json_object_object_add(*result, "rule", kt_config_fault_rule_json(&r));
	return 0;
}

KT_RPC_METHOD(kt_rpc_faults_remove)
{
	static const char *const keys[] = { "id", "name", NULL };
	struct json_object *id = NULL, *name = NULL;
	(void)caller;
	int r = kt_rpc_check_params(params, keys, NULL, msg, msglen);
	if (r)
		return r;
	if (params) {
		json_object_object_get_ex(params, "id", &id);
		json_object_object_get_ex(params, "name", &name);
	}
	if (!id == !name)
		return FAIL(KT_RPC_INVALID_PARAMS, "which rule? give \"id\" or \"name\"");
	if (id) {
		int64_t v = json_object_get_int64(id);
		if (!json_object_is_type(id, json_type_int) || v <= 0 || v > UINT32_MAX)
			return FAIL(KT_RPC_INVALID_PARAMS, "\"id\" must be a rule's id (a positive integer)");
		if (kt_faults_remove((uint32_t)v) < 0)
			return FAIL(KT_RPC_NOT_FOUND, "no fault rule %lld", (long long)v);
		kt_info("control: fault rule %lld removed", (long long)v);
	} else {
		if (!json_object_is_type(name, json_type_string))
			return FAIL(KT_RPC_INVALID_PARAMS, "\"name\" must be a string");
		const char *s = json_object_get_string(name);
		if (kt_faults_remove_name(s) < 0)
			return FAIL(KT_RPC_NOT_FOUND, "no fault rule named \"%.80s\"", s);
		kt_info("control: fault rule %.80s removed", s);
	}
	*result = json_object_new_object();
	json_object_object_add(*result, "removed", json_object_new_int(1));
	return 0;
}

KT_RPC_METHOD(kt_rpc_faults_clear)
{
	(void)caller;
	int r = kt_rpc_check_params(params, NULL, NULL, msg, msglen);
	if (r)
		return r;
	size_t n = kt_faults_list(NULL, 0, NULL);
	kt_faults_clear();
	kt_info("control: every fault rule cleared (%zu)", n);
	*result = json_object_new_object();
	json_object_object_add(*result, "cleared", json_object_new_int64((int64_t)n));
	return 0;
}

KT_RPC_METHOD(kt_rpc_faults_list)
{
	(void)caller;
	int r = kt_rpc_check_params(params, NULL, NULL, msg, msglen);
	if (r)
		return r;
	struct kt_fault_entry *v = malloc(KT_FAULT_RULES_MAX * sizeof(*v));
	if (!v)
		return FAIL(KT_RPC_INTERNAL, "out of memory");
	uint64_t now;
	size_t n = kt_faults_list(v, KT_FAULT_RULES_MAX, &now);
	*result = json_object_new_array();
	for (size_t i = 0; *result && i < n && i < KT_FAULT_RULES_MAX; i++)
		json_object_array_add(*result, entry_json(&v[i], now));
	free(v);
	return 0;
}

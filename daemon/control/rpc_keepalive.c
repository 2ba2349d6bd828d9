/*
 * rpc_keepalive.c - the control socket's keep-alive methods (see
 * rpc_keepalive.h): JSON parameters in the configuration file's rule
 * vocabulary turned into proto/kapolicy.h scopes and policies and handed to
 * the engine's control API (daemon/core/keepalive.h), the trace file switched
 * live, and the trace subscription of the calling connection (through what
 * its caller hands in: rpc.h's struct kt_rpc_caller).
 * Refusals say what is wrong: an unknown key, a bad status, a fraction out
 * of range, no such rule (KT_RPC_NOT_FOUND).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "config/config.h"
#include "daemon/core/keepalive.h"
#include "daemon/log.h"
#include "daemon/control/rpc.h"
#include "daemon/control/rpc_keepalive.h"
#include "daemon/control/rpc_params.h"
#include "daemon/core/target.h"
#include "daemon/core/worker.h"
#include "proto/kapolicy.h"

/* A scope: flat ({"host": ...}, as a configuration rule) or nested
 * ({"scope": {"host": ...}}); a rule: the configuration's behaviour keys.
 * Both are read by config/ (kt_config_parse_ka_scope/_pol), and rules are
 * written back by config/ too (kt_config_ka_rule_json), so a rule means the
 * same in a file and here. */
static const char *const scope_keys[] = { "cntlid", "host", "subsystem", "scope", NULL };
static const char *const rule_keys[] = { "delay_ms", "drop", "status", "expire", "ignore_traffic",
					 "refuse_set_kato", "kas", NULL };

/* ---- scopes ------------------------------------------------------------ */

/* The one reader of a method's scope. params: a scope, and (with rule) a
 * rule's keys, nothing else. The scope: 1 and *s when given; when not, 0,
 * or a refusal asking `need` ("which rule?") when the method needs one;
 * or an error. */
static int parse_scope(struct json_object *params, const char *const *rule, const char *need,
		       struct kt_kapol_scope *s, char *msg, size_t msglen)
{
	struct json_object *src = params, *v;
	char err[512];
	memset(s, 0, sizeof(*s));
	int r = kt_rpc_check_params(params, scope_keys, rule, msg, msglen);
	if (r)
		return r;
	if (params && json_object_object_get_ex(params, "scope", &v) && !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_object))
			return FAIL(KT_RPC_INVALID_PARAMS, "\"scope\" must be an object: {\"cntlid\": N}, "
				    "{\"host\": NQN} or {\"subsystem\": NQN}");
		for (size_t i = 0; scope_keys[i + 1]; i++) /* the flat keys: all but "scope", the last */
			if (json_object_object_get_ex(params, scope_keys[i], NULL))
				return FAIL(KT_RPC_INVALID_PARAMS, "\"%s\" beside \"scope\": give the scope once",
					    scope_keys[i]);
		json_object_object_foreach(v, key, val) {
			(void)val;
			size_t i = 0;
			while (scope_keys[i + 1] && strcmp(key, scope_keys[i]))
				i++;
			if (!scope_keys[i + 1])
				return FAIL(KT_RPC_INVALID_PARAMS,
					    "unknown scope key \"%s\" (a scope is one of cntlid, host, subsystem)", key);
		}
		src = v;
	}
	r = params ? kt_config_parse_ka_scope(src, src == params ? "params" : "params.scope", s, err, sizeof(err))
		   : 0;
	if (r < 0)
		return FAIL(KT_RPC_INVALID_PARAMS, "%s", err);
	if (!r && src != params)
		return FAIL(KT_RPC_INVALID_PARAMS, "\"scope\" is empty: give cntlid, host or subsystem");
	if (!r && need)
		return FAIL(KT_RPC_INVALID_PARAMS, "%s give \"cntlid\", \"host\" or \"subsystem\"", need);
	return r;
}

/* "cntlid 3", "host NQN": for one message (the methods run on the main
 * thread only, so one buffer serves). */
static const char *scope_str(const struct kt_kapol_scope *s)
{
	static char buf[KT_NQN_MAX + 32];
	if (s->kind == KT_KAPOL_CNTLID)
		snprintf(buf, sizeof(buf), "cntlid %u", s->cntlid);
	else
		snprintf(buf, sizeof(buf), "%s %s", s->kind == KT_KAPOL_HOST ? "host" : "subsystem", s->nqn);
	return buf;
}

/* Live controllers the scope covers (all with s NULL); one whose queues are
 * already closing is not live. */
static size_t count_covered(const struct kt_kapol_scope *s)
{
	struct kt_ctrl_info *v;
	size_t nv, n = 0;
	if (kt_target_ctrls_snapshot(&v, &nv, kt_now_ms()) < 0)
		return 0;
	for (size_t i = 0; i < nv; i++)
		n += !v[i].dying &&
		     (!s || kt_kapol_scope_matches(s, v[i].cntlid, v[i].hostnqn, v[i].subnqn));
	free(v);
	return n;
}

struct json_object *kt_rpc_ka_policy_of(const struct kt_kapol_table *t, uint16_t cntlid, const char *hostnqn,
				       const char *subnqn)
{
	struct kt_kapol p;
	if (!t || !kt_kapol_resolve(t, cntlid, hostnqn, subnqn, &p))
		return NULL;
	return kt_config_ka_rule_json(NULL, &p);
}

/* ---- methods ------------------------------------------------------------ */

KT_RPC_METHOD(kt_rpc_ka_policy_set)
{
	struct kt_kapol_scope s;
	struct kt_kapol p;
	char err[512];
	int r = parse_scope(params, rule_keys, "which controllers?", &s, msg, msglen);
	if (r < 0)
		return r;
	if (kt_config_parse_ka_pol(params, "params", &p, err, sizeof(err)) < 0)
		return FAIL(KT_RPC_INVALID_PARAMS, "%s", err);
	r = kt_ka_policy_set(&s, &p);
	if (r == -ENOSPC)
		return FAIL(KT_RPC_INVALID_PARAMS, "too many rules (at most %d): clear one first", KT_KAPOL_RULES_MAX);
	if (r < 0)
		return FAIL(KT_RPC_INVALID_PARAMS, "invalid rule: %s", strerror(-r));
	kt_info("control: keep-alive policy for %s set", scope_str(&s));
	*result = json_object_new_object();
	json_object_object_add(*result, "rule", kt_config_ka_rule_json(&s, &p));
	json_object_object_add(*result, "controllers", json_object_new_int64((int64_t)count_covered(&s)));
	return 0;
}

KT_RPC_METHOD(kt_rpc_ka_policy_get)
{
	struct kt_kapol_scope s;
	struct kt_kapol p;
	int r = parse_scope(params, NULL, "which rule?", &s, msg, msglen);
	if (r < 0)
		return r;
	if (kt_ka_policy_get(&s, &p) < 0)
		return FAIL(KT_RPC_NOT_FOUND, "no keep-alive policy rule for %s", scope_str(&s));
	*result = kt_config_ka_rule_json(&s, &p);
	return 0;
}

KT_RPC_METHOD(kt_rpc_ka_policy_clear)
{
	struct kt_kapol_scope s;
	int r = parse_scope(params, NULL, NULL, &s, msg, msglen);
	if (r < 0)
		return r;
	size_t n = 1;
	if (!r) {
		n = kt_ka_policy_list(NULL, 0);
		kt_ka_policy_clear(NULL);
		kt_info("control: every keep-alive policy rule cleared (%zu)", n);
	} else if (kt_ka_policy_clear(&s) < 0) {
		return FAIL(KT_RPC_NOT_FOUND, "no keep-alive policy rule for %s", scope_str(&s));
	} else {
		kt_info("control: keep-alive policy for %s cleared", scope_str(&s));
	}
	*result = json_object_new_object();
	kt_rpc_put(*result, "cleared", json_object_new_int64((int64_t)n));
	return 0;
}

KT_RPC_METHOD(kt_rpc_ka_policy_list)
{
	int r = kt_rpc_check_params(params, NULL, NULL, msg, msglen);
	if (r)
		return r;
	struct kt_kapol_table *t;
	if (kt_ka_policy_table(&t) < 0)
		return FAIL(KT_RPC_INTERNAL, "out of memory");
	*result = json_object_new_array();
	for (size_t i = 0; t && i < t->n; i++)
		json_object_array_add(*result, kt_config_ka_rule_json(&t->rule[i].scope, &t->rule[i].pol));
	free(t);
	return 0;
}

KT_RPC_METHOD(kt_rpc_ka_expire)
{
	struct kt_kapol_scope s;
	int r = parse_scope(params, NULL, NULL, &s, msg, msglen);
	if (r < 0)
		return r;
	const struct kt_kapol_scope *sp = r ? &s : NULL;
	size_t n = count_covered(sp);
	if (sp && !n)
		return FAIL(KT_RPC_NOT_FOUND, "no controller of %s is connected", scope_str(&s));
	if ((r = kt_ka_force_expiry(sp)) < 0)
		return FAIL(KT_RPC_INTERNAL, "%s", strerror(-r));
	kt_info("control: keep-alive expiry forced for %s (%zu controller%s)",
		sp ? scope_str(&s) : "every controller", n, n == 1 ? "" : "s");
	*result = json_object_new_object();
	kt_rpc_put(*result, "expired", json_object_new_int64((int64_t)n));
	return 0;
}

static struct json_object *trace_state(const struct kt_rpc_caller *caller)
{
	char path[4096];
	struct json_object *o = json_object_new_object();
	const char *f = kt_ka_trace_file(path, sizeof(path));
	json_object_object_add(o, "file", f ? json_object_new_string(f) : NULL);
	unsigned subs = caller && caller->ka_subscribers ? caller->ka_subscribers() : 0;
	json_object_object_add(o, "subscribers", json_object_new_int((int)subs));
	return o;
}

KT_RPC_METHOD(kt_rpc_ka_trace)
{
	static const char *const keys[] = { "file", NULL }; /* a path, or null for off */
	struct json_object *v;
	int rc = kt_rpc_check_params(params, keys, NULL, msg, msglen);
	if (rc)
		return rc;
	if (params && json_object_object_get_ex(params, "file", &v)) {
		const char *path = NULL;
		if (v && !json_object_is_type(v, json_type_string))
			return FAIL(KT_RPC_INVALID_PARAMS, "\"file\" must be an absolute path, or null to stop");
		if (v)
			path = json_object_get_string(v);
		if (path && *path && path[0] != '/')
			return FAIL(KT_RPC_INVALID_PARAMS, "\"file\": \"%.200s\" is not an absolute path", path);
		int r = kt_ka_trace_set(path);
		if (r < 0)
			return FAIL(KT_RPC_INVALID_PARAMS, "\"file\": %.200s: %s", path, strerror(-r));
		if (!path || !*path)
			kt_info("keep-alive trace file: off");
	}
	*result = trace_state(caller);
	return 0;
}

static int subscribe(bool on, const struct kt_rpc_caller *caller, struct json_object *params,
		     struct json_object **result, char *msg, size_t msglen)
{
	int r = kt_rpc_check_params(params, NULL, NULL, msg, msglen);
	if (r)
		return r;
	if (!caller || !caller->ka_subscribe)
		return FAIL(KT_RPC_INTERNAL, "not called over a control connection");
	if ((r = caller->ka_subscribe(caller->conn, on)) < 0)
		return FAIL(KT_RPC_INTERNAL, "%s", strerror(-r));
	*result = trace_state(caller);
	json_object_object_add(*result, "subscribed", json_object_new_boolean(on));
	return 0;
}

KT_RPC_METHOD(kt_rpc_ka_trace_subscribe)
{
	return subscribe(true, caller, params, result, msg, msglen);
}

KT_RPC_METHOD(kt_rpc_ka_trace_unsubscribe)
{
	return subscribe(false, caller, params, result, msg, msglen);
}

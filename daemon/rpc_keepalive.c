/*
 * rpc_keepalive.c - the control socket's keep-alive methods (see
 * rpc_keepalive.h): JSON parameters in the configuration file's rule
 * vocabulary turned into proto/kapolicy.h scopes and policies and handed to
 * the engine's control API (daemon/keepalive.h), the trace file switched
 * live, and the trace subscription of the calling client (daemon/control.h).
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
#include "daemon/control.h"
#include "daemon/keepalive.h"
#include "daemon/log.h"
#include "daemon/rpc.h"
#include "daemon/rpc_keepalive.h"
#include "daemon/target.h"
#include "daemon/worker.h"
#include "proto/kapolicy.h"

#define FAIL(code, ...) (snprintf(msg, msglen, __VA_ARGS__), (code))

#define CNTLID_MAX 0xffef /* as the configuration's "cntlid" */

static const char *const scope_keys[] = { "cntlid", "host", "subsystem", NULL };
static const char *const rule_keys[] = { "delay_ms", "drop", "status", "expire", "ignore_traffic",
					 "refuse_set_kato", "kas", NULL };

static bool in(const char *const *keys, const char *k)
{
	for (size_t i = 0; keys[i]; i++)
		if (!strcmp(keys[i], k))
			return true;
	return false;
}

/* params: absent, null or an object whose keys are scope keys, "scope",
 * or (with_rule) rule keys. */
static int check_keys(struct json_object *params, bool with_scope, bool with_rule, char *msg, size_t msglen)
{
	if (!params)
		return 0;
	if (!json_object_is_type(params, json_type_object))
		return FAIL(KT_RPC_INVALID_PARAMS, "params must be an object (by-name parameters)");
	json_object_object_foreach(params, key, val) {
		(void)val;
		if (with_scope && (in(scope_keys, key) || !strcmp(key, "scope")))
			continue;
		if (with_rule && in(rule_keys, key))
			continue;
		return FAIL(KT_RPC_INVALID_PARAMS, "unknown parameter \"%s\" (this method takes %s)", key,
			    with_rule ? "a scope (cntlid, host or subsystem) and delay_ms, drop, status, expire, "
					"ignore_traffic, refuse_set_kato, kas"
			    : with_scope ? "a scope: cntlid, host or subsystem" : "none");
	}
	return 0;
}

/* ---- scopes ------------------------------------------------------------ */

static int parse_nqn(struct json_object *v, const char *key, char out[KT_NQN_MAX + 1], char *msg,
		     size_t msglen)
{
	if (!json_object_is_type(v, json_type_string))
		return FAIL(KT_RPC_INVALID_PARAMS, "scope \"%s\" must be an NQN string", key);
	const char *s = json_object_get_string(v);
	const char *why = kt_nqn_problem(s);
	if (why)
		return FAIL(KT_RPC_INVALID_PARAMS, "scope \"%s\": \"%.100s\" %s", key, s, why);
	size_t len = strlen(s);
	memcpy(out, s, len + 1);
	return 0;
}

/* The scope in params: flat ({"host": ...}, as a configuration rule) or
 * {"scope": {"host": ...}}. 1 and *s when given, 0 when not, or an error. */
static int parse_scope(struct json_object *params, struct kt_kapol_scope *s, char *msg, size_t msglen)
{
	struct json_object *src = params, *v;
	int found = 0;
	memset(s, 0, sizeof(*s));
	if (!params)
		return 0;
	if (json_object_object_get_ex(params, "scope", &v) && !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_object))
			return FAIL(KT_RPC_INVALID_PARAMS, "\"scope\" must be an object: {\"cntlid\": N}, "
				    "{\"host\": NQN} or {\"subsystem\": NQN}");
		for (size_t i = 0; scope_keys[i]; i++)
			if (json_object_object_get_ex(params, scope_keys[i], NULL))
				return FAIL(KT_RPC_INVALID_PARAMS, "\"%s\" beside \"scope\": give the scope once",
					    scope_keys[i]);
		json_object_object_foreach(v, key, val) {
			(void)val;
			if (!in(scope_keys, key))
				return FAIL(KT_RPC_INVALID_PARAMS, "unknown scope key \"%s\" (a scope is one of cntlid, host, subsystem)",
					    key);
		}
		src = v;
	}
	for (size_t i = 0; scope_keys[i]; i++) {
		const char *key = scope_keys[i];
		if (!json_object_object_get_ex(src, key, &v))
			continue;
		if (found++)
			return FAIL(KT_RPC_INVALID_PARAMS, "a scope is exactly one of \"cntlid\", \"host\" or \"subsystem\"");
		if (!strcmp(key, "cntlid")) {
			errno = 0;
			int64_t x = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
			if (!json_object_is_type(v, json_type_int) || errno || x < 1 || x > CNTLID_MAX)
				return FAIL(KT_RPC_INVALID_PARAMS, "scope \"cntlid\" must be an integer from 1 to %d",
					    CNTLID_MAX);
			s->kind = KT_KAPOL_CNTLID;
			s->cntlid = (uint16_t)x;
		} else {
			int r = parse_nqn(v, key, s->nqn, msg, msglen);
			if (r)
				return r;
			s->kind = !strcmp(key, "host") ? KT_KAPOL_HOST : KT_KAPOL_SUBSYS;
		}
	}
	if (!found && src != params)
		return FAIL(KT_RPC_INVALID_PARAMS, "\"scope\" is empty: give cntlid, host or subsystem");
	return found;
}

static const char *scope_str(const struct kt_kapol_scope *s, char *buf, size_t len)
{
	if (s->kind == KT_KAPOL_CNTLID)
		snprintf(buf, len, "cntlid %u", s->cntlid);
	else
		snprintf(buf, len, "%s %s", s->kind == KT_KAPOL_HOST ? "host" : "subsystem", s->nqn);
	return buf;
}

static void scope_json(struct json_object *o, const struct kt_kapol_scope *s)
{
	if (s->kind == KT_KAPOL_CNTLID)
		json_object_object_add(o, "cntlid", json_object_new_int(s->cntlid));
	else
		json_object_object_add(o, s->kind == KT_KAPOL_HOST ? "host" : "subsystem",
				       json_object_new_string(s->nqn));
}

/* ---- rules --------------------------------------------------------------- */

/* An optional integer rule field in [lo, hi]: 1 and *out, 0, or an error. */
static int opt_int(struct json_object *params, const char *key, int64_t lo, int64_t hi, int64_t *out,
		   const char *what, char *msg, size_t msglen)
{
	struct json_object *v;
	if (!json_object_object_get_ex(params, key, &v))
		return 0;
	errno = 0;
	int64_t x = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : lo - 1;
	if (!json_object_is_type(v, json_type_int) || errno || x < lo || x > hi)
		return FAIL(KT_RPC_INVALID_PARAMS, "\"%s\": %s is not %s (an integer from %lld to %lld)", key,
			    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), what, (long long)lo,
			    (long long)hi);
	*out = x;
	return 1;
}

static int opt_bool(struct json_object *params, const char *key, bool *out, char *msg, size_t msglen)
{
	struct json_object *v;
	if (!json_object_object_get_ex(params, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return FAIL(KT_RPC_INVALID_PARAMS, "\"%s\" must be true or false", key);
	*out = json_object_get_boolean(v);
	return 1;
}

/* The rule fields of params, as the configuration file reads them. */
static int parse_rule(struct json_object *params, struct kt_kapol *p, char *msg, size_t msglen)
{
	struct json_object *v;
	int64_t x;
	bool b;
	int r;
	memset(p, 0, sizeof(*p));
	if ((r = opt_int(params, "delay_ms", 0, KT_KAPOL_DELAY_MAX, &x, "a delay in ms", msg, msglen)) < 0)
		return r;
	if (r) {
		p->set |= KT_KAPOL_F_DELAY;
		p->delay_ms = (uint32_t)x;
	}
	if ((r = opt_bool(params, "drop", &b, msg, msglen)) < 0)
		return r;
	if (r) {
		p->set |= KT_KAPOL_F_DROP;
		p->drop = b;
	}
	/* a status as the CQE carries it without the phase bit: SCT 10:8,
	 * SC 7:0, DNR 14 (16386 = 0x4002, Invalid Field in Command, DNR) */
	if ((r = opt_int(params, "status", 0, 0x7fff, &x, "an NVMe status", msg, msglen)) < 0)
		return r;
	if (r) {
		p->set |= KT_KAPOL_F_STATUS;
		p->status = (uint16_t)x;
	}
	if ((r = opt_bool(params, "ignore_traffic", &b, msg, msglen)) < 0)
		return r;
	if (r) {
		p->set |= KT_KAPOL_F_IGNORE_TRAFFIC;
		p->ignore_traffic = b;
	}
	if (json_object_object_get_ex(params, "refuse_set_kato", &v)) {
		p->set |= KT_KAPOL_F_REFUSE_SET_KATO;
		if (json_object_is_type(v, json_type_boolean)) {
			p->refuse_set_kato = json_object_get_boolean(v);
		} else {
			if ((r = opt_int(params, "refuse_set_kato", 1, 0x7fff, &x,
					 "true, false or the NVMe status to fail with", msg, msglen)) < 0)
				return r;
			p->refuse_set_kato = true;
			p->refuse_status = (uint16_t)x;
		}
	}
	if ((r = opt_int(params, "kas", 1, 65535, &x, "a granularity in 100 ms units", msg, msglen)) < 0)
		return r;
	if (r) {
		p->set |= KT_KAPOL_F_KAS;
		p->kas = (uint16_t)x;
	}
	/* a fraction of KATO (0.001 to 10), or "never" */
	if (json_object_object_get_ex(params, "expire", &v)) {
		p->set |= KT_KAPOL_F_EXPIRE;
		if (json_object_is_type(v, json_type_string) && !strcmp(json_object_get_string(v), "never")) {
			p->expire_permille = 0;
		} else if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) {
			double f = json_object_get_double(v);
			if (!(f > 0 && f <= KT_KAPOL_EXPIRE_MAX / 1000.0) || f * 1000 < 1)
				return FAIL(KT_RPC_INVALID_PARAMS,
					    "\"expire\": %s is out of range (a fraction of KATO from 0.001 to %u, or \"never\")",
					    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
					    KT_KAPOL_EXPIRE_MAX / 1000u);
			p->expire_permille = (uint32_t)(f * 1000 + 0.5);
		} else {
			return FAIL(KT_RPC_INVALID_PARAMS, "\"expire\": %s is not a fraction of KATO or \"never\"",
				    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		}
	}
	if (!p->set)
		return FAIL(KT_RPC_INVALID_PARAMS, "the rule changes nothing (give delay_ms, drop, status, expire, "
			    "ignore_traffic, refuse_set_kato or kas)");
	return 0;
}

/* The fields a policy decides, in the rule vocabulary, added to o. */
static void pol_json(struct json_object *o, const struct kt_kapol *p)
{
	if (p->set & KT_KAPOL_F_DELAY)
		json_object_object_add(o, "delay_ms", json_object_new_int64(p->delay_ms));
	if (p->set & KT_KAPOL_F_DROP)
		json_object_object_add(o, "drop", json_object_new_boolean(p->drop));
	if (p->set & KT_KAPOL_F_STATUS)
		json_object_object_add(o, "status", json_object_new_int(p->status));
	if (p->set & KT_KAPOL_F_EXPIRE) {
		if (!p->expire_permille) {
			json_object_object_add(o, "expire", json_object_new_string("never"));
		} else {
			char ds[32];
			snprintf(ds, sizeof(ds), "%u.%03u", p->expire_permille / 1000, p->expire_permille % 1000);
			size_t n = strlen(ds); /* 0.500 -> 0.5, 2.000 -> 2.0 */
			while (n > 3 && ds[n - 1] == '0' && ds[n - 2] != '.')
				ds[--n] = '\0';
			json_object_object_add(o, "expire", json_object_new_double_s(p->expire_permille / 1000.0, ds));
		}
	}
	if (p->set & KT_KAPOL_F_IGNORE_TRAFFIC)
		json_object_object_add(o, "ignore_traffic", json_object_new_boolean(p->ignore_traffic));
	if (p->set & KT_KAPOL_F_REFUSE_SET_KATO)
		json_object_object_add(o, "refuse_set_kato",
				       p->refuse_set_kato && p->refuse_status ? json_object_new_int(p->refuse_status)
									    : json_object_new_boolean(p->refuse_set_kato));
	if (p->set & KT_KAPOL_F_KAS)
		json_object_object_add(o, "kas", json_object_new_int(p->kas));
}

static struct json_object *rule_json(const struct kt_kapol_scope *s, const struct kt_kapol *p)
{
	struct json_object *o = json_object_new_object();
	scope_json(o, s);
	pol_json(o, p);
	return o;
}

/* Live controllers the scope covers (all with s NULL). */
static size_t count_covered(const struct kt_kapol_scope *s)
{
	struct kt_ctrl_info *v;
	size_t nv, n = 0;
	if (kt_target_ctrls_snapshot(&v, &nv, kt_now_ms()) < 0)
		return 0;
	for (size_t i = 0; i < nv; i++)
		n += !s || kt_kapol_scope_matches(s, v[i].cntlid, v[i].hostnqn, v[i].subnqn);
	free(v);
	return n;
}

struct json_object *kt_rpc_ka_policy_of(uint16_t cntlid, const char *hostnqn, const char *subnqn)
{
	if (!kt_ka_policy_list(NULL, 0))
		return NULL;
	struct kt_kapol_table *t = malloc(sizeof(*t));
	struct kt_kapol p;
	if (!t)
		return NULL;
	t->n = kt_ka_policy_list(t->rule, KT_KAPOL_RULES_MAX);
	if (t->n > KT_KAPOL_RULES_MAX)
		t->n = KT_KAPOL_RULES_MAX;
	bool any = kt_kapol_resolve(t, cntlid, hostnqn, subnqn, &p);
	free(t);
	if (!any)
		return NULL;
	struct json_object *o = json_object_new_object();
	pol_json(o, &p);
	return o;
}

/* ---- methods ------------------------------------------------------------ */

KT_RPC_KA_FN(kt_rpc_ka_policy_set)
{
	struct kt_kapol_scope s;
	struct kt_kapol p;
	char sb[KT_NQN_MAX + 32];
	int r = check_keys(params, true, true, msg, msglen);
	if (r || (r = parse_scope(params, &s, msg, msglen)) < 0)
		return r;
	if (!r)
		return FAIL(KT_RPC_INVALID_PARAMS, "which controllers? give \"cntlid\", \"host\" or \"subsystem\"");
	if ((r = parse_rule(params, &p, msg, msglen)))
		return r;
	r = kt_ka_policy_set(&s, &p);
	if (r == -ENOSPC)
		return FAIL(KT_RPC_INVALID_PARAMS, "too many rules (at most %d): clear one first", KT_KAPOL_RULES_MAX);
	if (r < 0)
		return FAIL(KT_RPC_INVALID_PARAMS, "invalid rule: %s", strerror(-r));
	kt_info("control: keep-alive policy for %s set", scope_str(&s, sb, sizeof(sb)));
	*result = json_object_new_object();
	json_object_object_add(*result, "rule", rule_json(&s, &p));
	json_object_object_add(*result, "controllers", json_object_new_int64((int64_t)count_covered(&s)));
	return 0;
}

KT_RPC_KA_FN(kt_rpc_ka_policy_get)
{
	struct kt_kapol_scope s;
	struct kt_kapol p;
	char sb[KT_NQN_MAX + 32];
	int r = check_keys(params, true, false, msg, msglen);
	if (r || (r = parse_scope(params, &s, msg, msglen)) < 0)
		return r;
	if (!r)
		return FAIL(KT_RPC_INVALID_PARAMS, "which rule? give \"cntlid\", \"host\" or \"subsystem\"");
	if (kt_ka_policy_get(&s, &p) < 0)
		return FAIL(KT_RPC_NOT_FOUND, "no keep-alive policy rule for %s", scope_str(&s, sb, sizeof(sb)));
	*result = rule_json(&s, &p);
	return 0;
}

KT_RPC_KA_FN(kt_rpc_ka_policy_clear)
{
	struct kt_kapol_scope s;
	char sb[KT_NQN_MAX + 32];
	int r = check_keys(params, true, false, msg, msglen);
	if (r || (r = parse_scope(params, &s, msg, msglen)) < 0)
		return r;
	size_t n = 1;
	if (!r) {
		n = kt_ka_policy_list(NULL, 0);
		kt_ka_policy_clear(NULL);
		kt_info("control: every keep-alive policy rule cleared (%zu)", n);
	} else if (kt_ka_policy_clear(&s) < 0) {
		return FAIL(KT_RPC_NOT_FOUND, "no keep-alive policy rule for %s", scope_str(&s, sb, sizeof(sb)));
	} else {
		kt_info("control: keep-alive policy for %s cleared", scope_str(&s, sb, sizeof(sb)));
	}
	*result = json_object_new_object();
	json_object_object_add(*result, "cleared", json_object_new_int64((int64_t)n));
	return 0;
}

KT_RPC_KA_FN(kt_rpc_ka_policy_list)
{
	int r = check_keys(params, false, false, msg, msglen);
	if (r)
		return r;
	struct kt_kapol_rule *v = calloc(KT_KAPOL_RULES_MAX, sizeof(*v));
	if (!v)
		return FAIL(KT_RPC_INTERNAL, "out of memory");
	size_t n = kt_ka_policy_list(v, KT_KAPOL_RULES_MAX);
	*result = json_object_new_array();
	for (size_t i = 0; i < n && i < KT_KAPOL_RULES_MAX; i++)
		json_object_array_add(*result, rule_json(&v[i].scope, &v[i].pol));
	free(v);
	return 0;
}

KT_RPC_KA_FN(kt_rpc_ka_expire)
{
	struct kt_kapol_scope s;
	char sb[KT_NQN_MAX + 32];
	int r = check_keys(params, true, false, msg, msglen);
	if (r || (r = parse_scope(params, &s, msg, msglen)) < 0)
		return r;
	const struct kt_kapol_scope *sp = r ? &s : NULL;
	size_t n = count_covered(sp);
	if (sp && !n)
		return FAIL(KT_RPC_NOT_FOUND, "no controller of %s is connected", scope_str(&s, sb, sizeof(sb)));
	if ((r = kt_ka_force_expiry(sp)) < 0)
		return FAIL(KT_RPC_INTERNAL, "%s", strerror(-r));
	kt_info("control: keep-alive expiry forced for %s (%zu controller%s)",
		sp ? scope_str(&s, sb, sizeof(sb)) : "every controller", n, n == 1 ? "" : "s");
	*result = json_object_new_object();
	json_object_object_add(*result, "expired", json_object_new_int64((int64_t)n));
	return 0;
}

static struct json_object *trace_state(void)
{
	char path[4096];
	struct json_object *o = json_object_new_object();
	const char *f = kt_ka_trace_file(path, sizeof(path));
	json_object_object_add(o, "file", f ? json_object_new_string(f) : NULL);
	json_object_object_add(o, "subscribers", json_object_new_int((int)kt_control_ka_subscribers()));
	return o;
}

KT_RPC_KA_FN(kt_rpc_ka_trace)
{
	struct json_object *v;
	if (params && json_object_is_type(params, json_type_object)) {
		json_object_object_foreach(params, key, val) {
			(void)val;
			if (strcmp(key, "file"))
				return FAIL(KT_RPC_INVALID_PARAMS,
					    "unknown parameter \"%s\" (this method takes file: a path, or null for off)", key);
		}
	} else if (params) {
		return FAIL(KT_RPC_INVALID_PARAMS, "params must be an object (by-name parameters)");
	}
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
	*result = trace_state();
	return 0;
}

static int subscribe(bool on, struct json_object *params, struct json_object **result, char *msg, size_t msglen)
{
	int r = check_keys(params, false, false, msg, msglen);
	if (r)
		return r;
	struct kt_control_client *c = kt_control_current();
	if (!c)
		return FAIL(KT_RPC_INTERNAL, "not called over a control connection");
	if ((r = kt_control_ka_subscribe(c, on)) < 0)
		return FAIL(KT_RPC_INTERNAL, "%s", strerror(-r));
	*result = trace_state();
	json_object_object_add(*result, "subscribed", json_object_new_boolean(on));
	return 0;
}

KT_RPC_KA_FN(kt_rpc_ka_trace_subscribe)
{
	return subscribe(true, params, result, msg, msglen);
}

KT_RPC_KA_FN(kt_rpc_ka_trace_unsubscribe)
{
	return subscribe(false, params, result, msg, msglen);
}

/*
 * rpc_edit.c - the control socket's methods that change the target (see
 * rpc_edit.h): ports, subsystems, namespaces, hosts and allowed hosts, a
 * port's ANA group states, and the reload of the whole file.
 *
 * One way to change (as reload and SIGHUP do): each method writes the
 * running configuration as nvmetcli JSON (kt_config_to_json), edits that
 * JSON exactly as nvmetcli would write the change (attribute values as
 * strings under "addr", "param", "attr", a namespace's "device"), loads it
 * back with kt_config_load_string, which validates everything and names
 * the JSON path of any problem, and hands the result to kt_live_apply.
 * Nothing here knows how a change reaches the live target, and a change
 * the loader or the engine refuses changes nothing.
 *
 * Parameters are by name and use nvmetcli's attribute names. Answers: the
 * changed object as its .list method shows it (for a removal, what was
 * removed). Refusals: an object that does not exist -> KT_RPC_NOT_FOUND;
 * a duplicate or a bad value -> KT_RPC_INVALID_PARAMS saying what.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>
#include <json-c/json.h>
#include "config/config.h"
#include "daemon/core/live.h"
#include "daemon/core/target.h"
#include "daemon/log.h"
#include "daemon/control/rpc.h"
#include "daemon/control/rpc_edit.h"
#include "daemon/control/rpc_params.h"
#include "proto/ana.h"

/* ---- parameters ------------------------------------------------------- */

enum ptype {
	P_STR,    /* a string (an integer is taken as its decimal text) */
	P_SCALAR, /* an integer, or a string (a number, "1G", ...) */
	P_BOOL,   /* true/false, 0/1, "0"/"1" */
};

/* Where an attribute goes in the nvmetcli JSON, and as what. */
enum out {
	O_STR,  /* a string ("1", "4420", "nqn...") */
	O_INT,  /* an integer when the parameter is one (enable, nsid) */
	O_ASIS, /* as given (size: 1073741824 or "1G") */
};

struct attr {
	const char *name;  /* parameter name */
	enum ptype type;
	const char *group; /* sub-object ("addr", "attr", "device") or NULL */
	enum out out;
};

/* Checks that params is an object whose keys are the method's (keys,
 * then attrs) with the right types, and that the required ones are
 * there. */
static int check(struct json_object *params, const char *const keys[], const char *const required[],
		 const struct attr *attrs, char *msg, size_t msglen)
{
	const char *names[16] = { NULL };
	for (size_t i = 0; attrs && attrs[i].name && i + 1 < sizeof(names) / sizeof(names[0]); i++)
		names[i] = attrs[i].name;
	int r = kt_rpc_check_params(params, keys, names, msg, msglen);
	for (size_t i = 0; !r && attrs && attrs[i].name; i++) {
		struct json_object *v;
		if (!json_object_object_get_ex(params, attrs[i].name, &v))
			continue;
		enum json_type t = json_object_get_type(v);
		/* a number where a string is meant is its decimal text (a
		 * serial "12345" typed on katoctl's command line) */
		bool ok = attrs[i].type == P_BOOL ? t == json_type_boolean || t == json_type_int || t == json_type_string
						  : t == json_type_string || t == json_type_int;
		if (!ok)
			return FAIL(KT_RPC_INVALID_PARAMS, "parameter \"%s\" must be %s", attrs[i].name,
				    attrs[i].type == P_STR      ? "a string"
				    : attrs[i].type == P_SCALAR ? "a number or a string"
								: "a boolean");
	}
	return r ? r : kt_rpc_require(params, required, msg, msglen);
}

/* A string parameter the method requires (check() saw it present). */
static const char *get_str(struct json_object *params, const char *key, char *msg, size_t msglen, int *r)
{
	const char *s = NULL;
	int rc = kt_rpc_opt_string(params, key, &s, msg, msglen);
	if (rc < 0)
		*r = rc;
	return s;
}

/* An integer parameter in [lo, hi] (also given as a decimal string):
 * 1 present, 0 absent, or an error code. */
static int get_int(struct json_object *params, const char *key, int64_t lo, int64_t hi, int64_t *out, char *msg,
		   size_t msglen)
{
	return kt_rpc_opt_int(params, key, lo, hi, true, out, msg, msglen);
}

static bool truthy(struct json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		return !strcmp(json_object_get_string(v), "1") || !strcmp(json_object_get_string(v), "true");
	return json_object_get_int64(v) != 0 || (json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v));
}

/* Writes every attribute present in params into obj (or its group). */
static void apply_attrs(struct json_object *obj, struct json_object *params, const struct attr *attrs)
{
	for (size_t i = 0; attrs[i].name; i++) {
		struct json_object *v, *dst = obj, *nv;
		if (!params || !json_object_object_get_ex(params, attrs[i].name, &v) ||
		    json_object_is_type(v, json_type_null))
			continue;
		if (attrs[i].group && (!json_object_object_get_ex(obj, attrs[i].group, &dst) ||
				       !json_object_is_type(dst, json_type_object))) {
			dst = json_object_new_object();
			json_object_object_add(obj, attrs[i].group, dst);
		}
		if (attrs[i].type == P_BOOL)
			nv = attrs[i].out == O_STR ? json_object_new_string(truthy(v) ? "1" : "0")
						   : json_object_new_int(truthy(v) ? 1 : 0);
		else if (attrs[i].out == O_STR && !json_object_is_type(v, json_type_string))
			nv = json_object_new_string(json_object_get_string(v));
		else
			nv = json_object_get(v);
		json_object_object_add(dst, attrs[i].name, nv);
	}
}

/* ---- the configuration as JSON ---------------------------------------- */

static int begin(struct json_object **root, char *msg, size_t msglen)
{
	char *text = NULL;
	const struct kt_config *cur = kt_live_running();
	if (!cur)
		return FAIL(KT_RPC_INTERNAL, "no running configuration");
	int r = kt_config_to_json(cur, &text);
	if (r < 0)
		return FAIL(KT_RPC_INTERNAL, "cannot write the running configuration: %s", strerror(-r));
	*root = json_tokener_parse(text);
	free(text);
	if (!*root)
		return FAIL(KT_RPC_INTERNAL, "the running configuration did not parse back");
	return 0;
}

/* Validates and applies root (consumed); what (printf) names the change in
 * the log and in a refusal. */
static int commit(struct json_object *root, char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int commit(struct json_object *root, char *msg, size_t msglen, const char *fmt, ...)
{
	char err[512], what[640];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	struct kt_config *next = NULL;
	const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	int r = kt_config_load_string(text, &next, err, sizeof(err));
	json_object_put(root);
	if (r < 0)
		return FAIL(KT_RPC_INVALID_PARAMS, "%s: invalid: %s", what, err);
	r = kt_live_apply(next, err, sizeof(err));
	if (r < 0) {
		kt_config_free(next);
		return FAIL(KT_RPC_INVALID_PARAMS, "%s: not applied: %s", what, err);
	}
	kt_log(KT_LOG_INFO, "control: %s", what);
	return 0;
}

/* A refusal after begin(): drops root (the message is written first, as
 * its arguments may live in root) and answers code. */
static int drop(struct json_object *root, int code, char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int drop(struct json_object *root, int code, char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	json_object_put(root);
	return code;
}

static struct json_object *array_of(struct json_object *o, const char *key)
{
	struct json_object *a;
	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array)) {
		a = json_object_new_array();
		json_object_object_add(o, key, a);
	}
	return a;
}

static int64_t int_of(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return -1;
	return json_object_is_type(v, json_type_string) ? strtoll(json_object_get_string(v), NULL, 10)
							: json_object_get_int64(v);
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : "";
}

/* The element of array `key` of root whose `field` equals the integer n or
 * the string s; its index in *idx. */
static struct json_object *find(struct json_object *root, const char *key, const char *field, int64_t n,
				const char *s, size_t *idx)
{
	struct json_object *a = array_of(root, key);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		if (s ? !strcmp(str_of(e, field), s) : int_of(e, field) == n) {
			if (idx)
				*idx = i;
			return e;
		}
	}
	return NULL;
}

/* Index of string s in array a, or -1. */
static ssize_t str_index(struct json_object *a, const char *s)
{
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s))
			return (ssize_t)i;
	return -1;
}

/* The answer: what `method` lists for params p (consumed), first element. */
static int answer(const char *method, struct json_object *p, struct json_object **result, char *msg,
		  size_t msglen)
{
	struct json_object *a = NULL;
	int r = kt_rpc_call(NULL, method, p, &a, msg, msglen);
	json_object_put(p);
	if (r)
		return r;
	if (json_object_is_type(a, json_type_array)) {
		*result = json_object_get(json_object_array_get_idx(a, 0));
		json_object_put(a);
	} else {
		*result = a;
	}
	if (!*result)
		return FAIL(KT_RPC_INTERNAL, "the change was applied but %s does not show it", method);
	return 0;
}

static struct json_object *removed(const char *key, struct json_object *v)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, key, v);
	json_object_object_add(o, "removed", json_object_new_boolean(1));
	return o;
}

/* ---- ports ------------------------------------------------------------ */

static const struct attr port_attrs[] = {
	{ "traddr", P_STR, "addr", O_STR },	  { "trsvcid", P_SCALAR, "addr", O_STR },
	{ "adrfam", P_STR, "addr", O_STR },	  { "trtype", P_STR, "addr", O_STR },
	{ "treq", P_STR, "addr", O_STR },	  { "inline_data_size", P_SCALAR, "param", O_STR },
	{ "tsas", P_STR, "addr", O_STR },
	{ NULL, P_STR, NULL, O_STR },
};

static int port_answer(int64_t portid, struct json_object **result, char *msg, size_t msglen)
{
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "portid", json_object_new_int64(portid));
	return answer("ports.list", p, result, msg, msglen);
}

KT_RPC_METHOD(kt_rpc_ports_add)
{
	static const char *const keys[] = { "portid", NULL };
	static const char *const req[] = { "portid", "traddr", "trsvcid", NULL };
	int64_t portid;
	struct json_object *root;
	int r = check(params, keys, req, port_attrs, msg, msglen);
	/* 0 too, as the loader and nvmet take it (blktests' first port is 0) */
	if (r || (r = get_int(params, "portid", 0, 65535, &portid, msg, msglen)) < 0 || (r = begin(&root, msg, msglen)))
		return r;
	if (find(root, "ports", "portid", portid, NULL, NULL))
		return drop(root, KT_RPC_INVALID_PARAMS, msg, msglen, "port %lld exists already", (long long)portid);
	struct json_object *o = json_object_new_object();
	struct json_object *addr = json_object_new_object();
	json_object_object_add(addr, "adrfam", json_object_new_string("ipv4"));
	json_object_object_add(addr, "trtype", json_object_new_string("tcp"));
	json_object_object_add(addr, "treq", json_object_new_string("not specified"));
	json_object_object_add(addr, "tsas", json_object_new_string("none"));
	json_object_object_add(o, "addr", addr);
	json_object_object_add(o, "ana_groups", json_object_new_array());
	json_object_object_add(o, "param", json_object_new_object());
	json_object_object_add(o, "portid", json_object_new_int64(portid));
	json_object_object_add(o, "referrals", json_object_new_array());
	json_object_object_add(o, "subsystems", json_object_new_array());
	apply_attrs(o, params, port_attrs);
	json_object_array_add(array_of(root, "ports"), o);
	if ((r = commit(root, msg, msglen, "ports.add %lld", (long long)portid)))
		return r;
	return port_answer(portid, result, msg, msglen);
}

/* A port by "portid": the JSON object, or an error. */
static int port_of(struct json_object *params, struct json_object **root, struct json_object **port, size_t *idx,
		   int64_t *portid, char *msg, size_t msglen)
{
	int r = get_int(params, "portid", 0, 65535, portid, msg, msglen);
	if (r < 0 || (r = begin(root, msg, msglen)))
		return r;
	*port = find(*root, "ports", "portid", *portid, NULL, idx);
	if (!*port)
		return drop(*root, KT_RPC_NOT_FOUND, msg, msglen, "no port %lld", (long long)*portid);
	return 0;
}

KT_RPC_METHOD(kt_rpc_ports_remove)
{
	static const char *const keys[] = { "portid", NULL };
	struct json_object *root, *port;
	size_t idx;
	int64_t portid;
	int r = check(params, keys, keys, NULL, msg, msglen);
	if (r || (r = port_of(params, &root, &port, &idx, &portid, msg, msglen)))
		return r;
	json_object_array_del_idx(array_of(root, "ports"), idx, 1);
	if ((r = commit(root, msg, msglen, "ports.remove %lld", (long long)portid)))
		return r;
	*result = removed("portid", json_object_new_int64(portid));
	return 0;
}

KT_RPC_METHOD(kt_rpc_ports_set)
{
	static const char *const keys[] = { "portid", NULL };
	struct json_object *root, *port;
	size_t idx;
	int64_t portid;
	int r = check(params, keys, keys, port_attrs, msg, msglen);
	if (r || (r = port_of(params, &root, &port, &idx, &portid, msg, msglen)))
		return r;
	apply_attrs(port, params, port_attrs);
	if ((r = commit(root, msg, msglen, "ports.set %lld", (long long)portid)))
		return r;
	return port_answer(portid, result, msg, msglen);
}

static int port_link(struct json_object *params, struct json_object **result, char *msg, size_t msglen, bool link)
{
	static const char *const keys[] = { "portid", "subsystem", NULL };
	struct json_object *root, *port;
	size_t idx;
	int64_t portid;
	int r = check(params, keys, keys, NULL, msg, msglen);
	const char *nqn = r ? NULL : get_str(params, "subsystem", msg, msglen, &r);
	if (r || (r = port_of(params, &root, &port, &idx, &portid, msg, msglen)))
		return r;
	if (!find(root, "subsystems", "nqn", 0, nqn, NULL))
		return drop(root, KT_RPC_NOT_FOUND, msg, msglen, "no subsystem \"%s\"", nqn);
	struct json_object *subs = array_of(port, "subsystems");
	ssize_t at = str_index(subs, nqn);
	if (link && at >= 0)
		return drop(root, KT_RPC_INVALID_PARAMS, msg, msglen, "subsystem \"%s\" is already linked to port %lld",
			    nqn, (long long)portid);
	if (!link && at < 0)
		return drop(root, KT_RPC_NOT_FOUND, msg, msglen, "subsystem \"%s\" is not linked to port %lld", nqn,
			    (long long)portid);
	if (link)
		json_object_array_add(subs, json_object_new_string(nqn));
	else
		json_object_array_del_idx(subs, (size_t)at, 1);
	if ((r = commit(root, msg, msglen, "ports.%s %lld %s", link ? "link" : "unlink", (long long)portid, nqn)))
		return r;
	return port_answer(portid, result, msg, msglen);
}

KT_RPC_METHOD(kt_rpc_ports_link)
{
	return port_link(params, result, msg, msglen, true);
}

KT_RPC_METHOD(kt_rpc_ports_unlink)
{
	return port_link(params, result, msg, msglen, false);
}

/* ---- subsystems ------------------------------------------------------- */

static const struct attr subsys_attrs[] = {
	{ "allow_any_host", P_BOOL, "attr", O_STR }, { "serial", P_STR, "attr", O_STR },
	{ "model", P_STR, "attr", O_STR },	     { "firmware", P_STR, "attr", O_STR },
	{ "version", P_STR, "attr", O_STR },	     { "ieee_oui", P_SCALAR, "attr", O_STR },
	{ "cntlid_min", P_SCALAR, "attr", O_STR },   { "cntlid_max", P_SCALAR, "attr", O_STR },
	{ "qid_max", P_SCALAR, "attr", O_STR },	     { NULL, P_STR, NULL, O_STR },
};

static int subsys_answer(const char *nqn, struct json_object **result, char *msg, size_t msglen)
{
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "nqn", json_object_new_string(nqn));
	return answer("subsystems.list", p, result, msg, msglen);
}

/* A subsystem by parameter `key`: its JSON object, or an error. */
static int subsys_of(struct json_object *params, const char *key, struct json_object **root,
		     struct json_object **s, size_t *idx, const char **nqn, char *msg, size_t msglen)
{
	int r = 0;
	*nqn = get_str(params, key, msg, msglen, &r);
	if (r || (r = begin(root, msg, msglen)))
		return r;
	*s = find(*root, "subsystems", "nqn", 0, *nqn, idx);
	if (!*s)
		return drop(*root, KT_RPC_NOT_FOUND, msg, msglen, "no subsystem \"%s\"", *nqn);
	return 0;
}

KT_RPC_METHOD(kt_rpc_subsystems_add)
{
	static const char *const keys[] = { "nqn", NULL };
	struct json_object *root;
	int r = check(params, keys, keys, subsys_attrs, msg, msglen);
	const char *nqn = r ? NULL : get_str(params, "nqn", msg, msglen, &r);
	if (r || (r = begin(&root, msg, msglen)))
		return r;
	if (find(root, "subsystems", "nqn", 0, nqn, NULL))
		return drop(root, KT_RPC_INVALID_PARAMS, msg, msglen, "subsystem \"%s\" exists already", nqn);
	struct json_object *o = json_object_new_object();
	struct json_object *attr = json_object_new_object();
	json_object_object_add(attr, "allow_any_host", json_object_new_string("0"));
	json_object_object_add(o, "allowed_hosts", json_object_new_array());
	json_object_object_add(o, "attr", attr);
	json_object_object_add(o, "namespaces", json_object_new_array());
	json_object_object_add(o, "nqn", json_object_new_string(nqn));
	apply_attrs(o, params, subsys_attrs);
	json_object_array_add(array_of(root, "subsystems"), o);
	if ((r = commit(root, msg, msglen, "subsystems.add %s", nqn)))
		return r;
	return subsys_answer(nqn, result, msg, msglen);
}

/* Removing a subsystem unlinks it from every port first (nvmet refuses the
 * rmdir while a link exists; one request here does both). */
KT_RPC_METHOD(kt_rpc_subsystems_remove)
{
	static const char *const keys[] = { "nqn", NULL };
	struct json_object *root, *s;
	size_t idx;
	const char *nqn;
	int r = check(params, keys, keys, NULL, msg, msglen);
	if (r || (r = subsys_of(params, "nqn", &root, &s, &idx, &nqn, msg, msglen)))
		return r;
	struct json_object *ports = array_of(root, "ports");
	for (size_t i = 0; i < json_object_array_length(ports); i++) {
		struct json_object *subs = array_of(json_object_array_get_idx(ports, i), "subsystems");
		ssize_t at = str_index(subs, nqn);
		if (at >= 0)
			json_object_array_del_idx(subs, (size_t)at, 1);
	}
	*result = removed("nqn", json_object_new_string(nqn));
	json_object_array_del_idx(array_of(root, "subsystems"), idx, 1);
	if ((r = commit(root, msg, msglen, "subsystems.remove %s", nqn))) { /* nqn: from params */
		json_object_put(*result);
		*result = NULL;
	}
	return r;
}

KT_RPC_METHOD(kt_rpc_subsystems_set)
{
	static const char *const keys[] = { "nqn", NULL };
	struct json_object *root, *s;
	size_t idx;
	const char *nqn;
	int r = check(params, keys, keys, subsys_attrs, msg, msglen);
	if (r || (r = subsys_of(params, "nqn", &root, &s, &idx, &nqn, msg, msglen)))
		return r;
	apply_attrs(s, params, subsys_attrs);
	if ((r = commit(root, msg, msglen, "subsystems.set %s", nqn)))
		return r;
	return subsys_answer(nqn, result, msg, msglen);
}

/* allow_host adds the host to the top-level "hosts" too when it is not
 * there (nvmetcli needs two steps: create /hosts/NQN, then link it). */
static int allow(struct json_object *params, struct json_object **result, char *msg, size_t msglen, bool on)
{
	static const char *const keys[] = { "nqn", "host", NULL };
	struct json_object *root, *s;
	size_t idx;
	const char *nqn, *host;
	int r = check(params, keys, keys, NULL, msg, msglen);
	if (r || !(host = get_str(params, "host", msg, msglen, &r)) ||
	    (r = subsys_of(params, "nqn", &root, &s, &idx, &nqn, msg, msglen)))
		return r;
	struct json_object *allowed = array_of(s, "allowed_hosts");
	ssize_t at = str_index(allowed, host);
	if (on && at >= 0)
		return drop(root, KT_RPC_INVALID_PARAMS, msg, msglen, "host \"%s\" is already allowed in \"%s\"", host, nqn);
	if (!on && at < 0)
		return drop(root, KT_RPC_NOT_FOUND, msg, msglen, "host \"%s\" is not allowed in \"%s\"", host, nqn);
	if (on) {
		if (!find(root, "hosts", "nqn", 0, host, NULL)) {
			struct json_object *h = json_object_new_object();
			json_object_object_add(h, "nqn", json_object_new_string(host));
			json_object_array_add(array_of(root, "hosts"), h);
		}
		json_object_array_add(allowed, json_object_new_string(host));
	} else {
		json_object_array_del_idx(allowed, (size_t)at, 1);
	}
	if ((r = commit(root, msg, msglen, "subsystems.%s %s %s", on ? "allow_host" : "disallow_host", nqn, host)))
		return r;
	return subsys_answer(nqn, result, msg, msglen);
}

KT_RPC_METHOD(kt_rpc_subsystems_allow_host)
{
	return allow(params, result, msg, msglen, true);
}

KT_RPC_METHOD(kt_rpc_subsystems_disallow_host)
{
	return allow(params, result, msg, msglen, false);
}

/* ---- namespaces ------------------------------------------------------- */

static const struct attr ns_attrs[] = {
	{ "enable", P_BOOL, NULL, O_INT },	    { "ana_grpid", P_SCALAR, NULL, O_ASIS },
	{ "backend", P_STR, "device", O_STR },	    { "path", P_STR, "device", O_STR },
	{ "size", P_SCALAR, "device", O_ASIS },	    { "block_size", P_SCALAR, "device", O_ASIS },
	{ "uuid", P_STR, "device", O_STR },	    { "nguid", P_STR, "device", O_STR },
	{ "buffered_io", P_BOOL, "device", O_STR }, { NULL, P_STR, NULL, O_STR },
};

static int ns_answer(const char *nqn, int64_t nsid, struct json_object **result, char *msg, size_t msglen)
{
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "subsystem", json_object_new_string(nqn));
	json_object_object_add(p, "nsid", json_object_new_int64(nsid));
	return answer("namespaces.list", p, result, msg, msglen);
}

/* A backend change keeps the device consistent: "path" means a file, a
 * memory backend takes no path. */
static void fix_device(struct json_object *ns, struct json_object *params)
{
	struct json_object *dev, *v;
	if (!json_object_object_get_ex(ns, "device", &dev))
		return;
	bool has_backend = params && json_object_object_get_ex(params, "backend", &v);
	if (has_backend && strcmp(json_object_get_string(v), "file"))
		json_object_object_del(dev, "path");
	else if (!has_backend && params && json_object_object_get_ex(params, "path", &v)) {
		json_object_object_add(dev, "backend", json_object_new_string("file"));
		if (!json_object_object_get_ex(params, "size", &v))
			json_object_object_del(dev, "size");
	}
}

KT_RPC_METHOD(kt_rpc_namespaces_add)
{
	static const char *const keys[] = { "subsystem", "nsid", NULL };
	static const char *const req[] = { "subsystem", NULL };
	struct json_object *root, *s;
	size_t idx;
	const char *nqn;
	int64_t nsid = 0;
	int r = check(params, keys, req, ns_attrs, msg, msglen);
	if (r || (r = get_int(params, "nsid", 1, 0xfffffffe, &nsid, msg, msglen)) < 0 ||
	    (r = subsys_of(params, "subsystem", &root, &s, &idx, &nqn, msg, msglen)))
		return r;
	struct json_object *nss = array_of(s, "namespaces");
	if (nsid && find(s, "namespaces", "nsid", nsid, NULL, NULL))
		return drop(root, KT_RPC_INVALID_PARAMS, msg, msglen, "subsystem \"%s\" has a namespace %lld already", nqn,
			    (long long)nsid);
	for (int64_t n = 1; !nsid; n++) /* the lowest free NSID */
		if (!find(s, "namespaces", "nsid", n, NULL, NULL))
			nsid = n;
	struct json_object *v;
	const char *backend = json_object_object_get_ex(params, "path", &v) ? "file" : "ram";
	struct json_object *o = json_object_new_object();
	struct json_object *dev = json_object_new_object();
	json_object_object_add(dev, "backend", json_object_new_string(backend));
	json_object_object_add(o, "device", dev);
	json_object_object_add(o, "enable", json_object_new_int(1));
	json_object_object_add(o, "nsid", json_object_new_int64(nsid));
	apply_attrs(o, params, ns_attrs);
	json_object_array_add(nss, o);
	if ((r = commit(root, msg, msglen, "namespaces.add %s %lld", nqn, (long long)nsid)))
		return r;
	return ns_answer(nqn, nsid, result, msg, msglen);
}

static int ns_of(struct json_object *params, struct json_object **root, struct json_object **s,
		 struct json_object **ns, size_t *idx, const char **nqn, int64_t *nsid, char *msg, size_t msglen)
{
	size_t sidx;
	int r = get_int(params, "nsid", 1, 0xfffffffe, nsid, msg, msglen);
	if (r < 0 || (r = subsys_of(params, "subsystem", root, s, &sidx, nqn, msg, msglen)))
		return r;
	*ns = find(*s, "namespaces", "nsid", *nsid, NULL, idx);
	if (!*ns) 
		return drop(*root, KT_RPC_NOT_FOUND, msg, msglen, "subsystem \"%s\" has no namespace %lld", *nqn, (long long)*nsid);
	return 0;
}

KT_RPC_METHOD(kt_rpc_namespaces_remove)
{
	static const char *const keys[] = { "subsystem", "nsid", NULL };
	struct json_object *root, *s, *ns;
	size_t idx;
	const char *nqn;
	int64_t nsid;
	int r = check(params, keys, keys, NULL, msg, msglen);
	if (r || (r = ns_of(params, &root, &s, &ns, &idx, &nqn, &nsid, msg, msglen)))
		return r;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "subsystem", json_object_new_string(nqn));
	json_object_object_add(o, "nsid", json_object_new_int64(nsid));
	json_object_object_add(o, "removed", json_object_new_boolean(1));
	json_object_array_del_idx(array_of(s, "namespaces"), idx, 1);
	if ((r = commit(root, msg, msglen, "namespaces.remove %s %lld", nqn, (long long)nsid))) {
		json_object_put(o);
		return r;
	}
	*result = o;
	return 0;
}

KT_RPC_METHOD(kt_rpc_namespaces_set)
{
	static const char *const keys[] = { "subsystem", "nsid", NULL };
	struct json_object *root, *s, *ns;
	size_t idx;
	const char *nqn;
	int64_t nsid;
	int r = check(params, keys, keys, ns_attrs, msg, msglen);
	if (r || (r = ns_of(params, &root, &s, &ns, &idx, &nqn, &nsid, msg, msglen)))
		return r;
	apply_attrs(ns, params, ns_attrs);
	fix_device(ns, params);
	if ((r = commit(root, msg, msglen, "namespaces.set %s %lld", nqn, (long long)nsid)))
		return r;
	return ns_answer(nqn, nsid, result, msg, msglen);
}

/* ---- hosts ------------------------------------------------------------ */

static int host_answer(const char *nqn, struct json_object **result, char *msg, size_t msglen)
{
	struct json_object *a = NULL;
	int r = kt_rpc_call(NULL, "hosts.list", NULL, &a, msg, msglen);
	if (r)
		return r;
	for (size_t i = 0; i < json_object_array_length(a) && !*result; i++) {
		struct json_object *h = json_object_array_get_idx(a, i);
		if (!strcmp(str_of(h, "nqn"), nqn))
			*result = json_object_get(h);
	}
	json_object_put(a);
	if (!*result)
		return FAIL(KT_RPC_INTERNAL, "the change was applied but hosts.list does not show it");
	return 0;
}

/* A host's DH-HMAC-CHAP attributes, nvmet's names, and its TLS PSK
 * (tls_key, "NVMeTLSkey-1:..", and tls_derive: kato's, nvmet keeps PSKs in
 * the kernel keyring). They go to the host's
 * "attr" group, which config.c reads after "dhchap" (what the running
 * configuration is written with), so a value given here wins and "" takes
 * a key away; the applied configuration is written back in one group.
 * The keys are checked by the loader (errors name the JSON path, never a
 * key byte) and never logged: the log line names the host only. */
static const struct attr host_attrs[] = {
	{ "dhchap_key", P_STR, "attr", O_STR },
	{ "dhchap_ctrl_key", P_STR, "attr", O_STR },
	{ "dhchap_hash", P_STR, "attr", O_STR },
	{ "dhchap_dhgroup", P_STR, "attr", O_STR },
	{ "tls_key", P_STR, "attr", O_STR },
	{ "tls_derive", P_STR, "attr", O_STR },
	{ NULL, 0, NULL, 0 },
};

KT_RPC_METHOD(kt_rpc_hosts_add)
{
	static const char *const keys[] = { "nqn", NULL };
	struct json_object *root;
	int r = check(params, keys, keys, host_attrs, msg, msglen);
	const char *nqn = r ? NULL : get_str(params, "nqn", msg, msglen, &r);
	if (r || (r = begin(&root, msg, msglen)))
		return r;
	if (find(root, "hosts", "nqn", 0, nqn, NULL))
		return drop(root, KT_RPC_INVALID_PARAMS, msg, msglen, "host \"%s\" exists already", nqn);
	struct json_object *h = json_object_new_object();
	json_object_object_add(h, "nqn", json_object_new_string(nqn));
	apply_attrs(h, params, host_attrs);
	json_object_array_add(array_of(root, "hosts"), h);
	if ((r = commit(root, msg, msglen, "hosts.add %s", nqn)))
		return r;
	return host_answer(nqn, result, msg, msglen);
}

/* Changes a host's DH-HMAC-CHAP attributes: new Connects and the next
 * re-authentication of connected controllers use them (nvmet's). */
KT_RPC_METHOD(kt_rpc_hosts_set)
{
	static const char *const keys[] = { "nqn", NULL };
	struct json_object *root, *h = NULL;
	int r = check(params, keys, keys, host_attrs, msg, msglen);
	const char *nqn = r ? NULL : get_str(params, "nqn", msg, msglen, &r);
	if (r || (r = begin(&root, msg, msglen)))
		return r;
	if (!(h = find(root, "hosts", "nqn", 0, nqn, NULL)))
		return drop(root, KT_RPC_NOT_FOUND, msg, msglen, "no host \"%s\"", nqn);
	apply_attrs(h, params, host_attrs);
	if ((r = commit(root, msg, msglen, "hosts.set %s", nqn)))
		return r;
	return host_answer(nqn, result, msg, msglen);
}

KT_RPC_METHOD(kt_rpc_hosts_remove)
{
	static const char *const keys[] = { "nqn", NULL };
	struct json_object *root;
	size_t idx;
	int r = check(params, keys, keys, NULL, msg, msglen);
	const char *nqn = r ? NULL : get_str(params, "nqn", msg, msglen, &r);
	if (r || (r = begin(&root, msg, msglen)))
		return r;
	if (!find(root, "hosts", "nqn", 0, nqn, &idx))
		return drop(root, KT_RPC_NOT_FOUND, msg, msglen, "no host \"%s\"", nqn);
	struct json_object *subs = array_of(root, "subsystems");
	for (size_t i = 0; i < json_object_array_length(subs); i++) {
		struct json_object *s = json_object_array_get_idx(subs, i);
		if (str_index(array_of(s, "allowed_hosts"), nqn) >= 0)
			return drop(root, KT_RPC_INVALID_PARAMS, msg, msglen,
				    "host \"%s\" is allowed in subsystem \"%s\": disallow it there first", nqn,
				    str_of(s, "nqn"));
	}
	*result = removed("nqn", json_object_new_string(nqn));
	json_object_array_del_idx(array_of(root, "hosts"), idx, 1);
	if ((r = commit(root, msg, msglen, "hosts.remove %s", nqn))) {
		json_object_put(*result);
		*result = NULL;
	}
	return r;
}

/* ---- reload ------------------------------------------------------------ */

/* Re-reads the configuration file (params.path, or the file katod was
 * started with) and applies the difference live (daemon/core/live.c). On an
 * error nothing changed and the message names the JSON path or the object. */
KT_RPC_METHOD(kt_rpc_reload)
{
	static const char *const keys[] = { "path", NULL };
	const char *path = NULL;
	int r = kt_rpc_check_params(params, keys, NULL, msg, msglen);
	if (r || (r = kt_rpc_opt_string(params, "path", &path, msg, msglen)) < 0)
		return r;
	char err[512] = "";
	kt_rpc_ana_cancel_all(); /* the file's ANA states win over a pending transition */
	r = kt_live_reload(path, err, sizeof(err));
	path = path ? path : kt_live_path();
	if (r < 0) {
		kt_err("control: reload of %s failed, nothing changed: %s", path[0] ? path : "(none)", err);
		return FAIL(KT_RPC_INVALID_PARAMS, "reload %s: nothing changed: %s", path[0] ? path : "(none)", err);
	}
	kt_info("control: reloaded %s", path);
	*result = json_object_new_object();
	kt_rpc_put(*result, "path", json_object_new_string(path));
	kt_rpc_put(*result, "genctr", json_object_new_int64((int64_t)kt_target_get()->genctr));
	return 0;
}

/* ---- ANA --------------------------------------------------------------- */

/*
 * ana.set {portid, grpid, state[, transition_ms]} puts group grpid in the
 * port's "ana_groups" with that state, as nvmetcli writes it, and applies
 * it like every change (daemon/core/live.c tells the port's controllers).
 * With transition_ms the group is first in the "change" state (ANA
 * Transition for I/O, as a real array that moves a group between
 * controllers) and reaches the state after that many milliseconds: one
 * command for what a host sees during a failover. A later ana.set or
 * ana.remove of the same group cancels a pending transition; so does a
 * reload (kt_rpc_ana_cancel_all: the file's states win). ana.remove {portid, grpid} takes the
 * group off the port's list (it is then inaccessible there, as nvmet's
 * rmdir of ana_groups/N); group 1 cannot be removed.
 */
struct ana_pending {
	int64_t portid, grpid;
	char state[24];
	struct event *ev;
	struct ana_pending *next;
};
static struct ana_pending *ana_pending;

static void ana_cancel(int64_t portid, int64_t grpid)
{
	for (struct ana_pending **pp = &ana_pending; *pp;) {
		struct ana_pending *a = *pp;
		if (a->portid == portid && (grpid < 0 || a->grpid == grpid)) {
			*pp = a->next;
			event_free(a->ev);
			free(a);
			continue;
		}
		pp = &a->next;
	}
}

/* The port's group grpid set to state, or taken off the list (state NULL). */
static int ana_edit(int64_t portid, int64_t grpid, const char *state, char *msg, size_t msglen)
{
	struct json_object *root;
	int r = begin(&root, msg, msglen);
	if (r)
		return r;
	struct json_object *port = find(root, "ports", "portid", portid, NULL, NULL);
	if (!port)
		return drop(root, KT_RPC_NOT_FOUND, msg, msglen, "no port %lld", (long long)portid);
	struct json_object *groups = array_of(port, "ana_groups");
	size_t at = 0;
	struct json_object *g = find(port, "ana_groups", "grpid", grpid, NULL, &at);
	if (!state) {
		if (!g)
			return drop(root, KT_RPC_NOT_FOUND, msg, msglen, "port %lld lists no ANA group %lld",
				    (long long)portid, (long long)grpid);
		json_object_array_del_idx(groups, at, 1);
		return commit(root, msg, msglen, "ana.remove port %lld group %lld", (long long)portid,
			      (long long)grpid);
	}
	if (!g) {
		g = json_object_new_object();
		json_object_object_add(g, "grpid", json_object_new_int64(grpid));
		json_object_array_add(groups, g);
	}
	struct json_object *ana = json_object_new_object();
	json_object_object_add(ana, "state", json_object_new_string(state));
	json_object_object_add(g, "ana", ana);
	return commit(root, msg, msglen, "ana.set port %lld group %lld %s", (long long)portid, (long long)grpid,
		      state);
}

static void ana_fire(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct ana_pending *a = arg;
	char msg[512];
	int64_t portid = a->portid, grpid = a->grpid;
	char state[sizeof(a->state)];
	memcpy(state, a->state, sizeof(state));
	ana_cancel(portid, grpid); /* frees a */
	if (ana_edit(portid, grpid, state, msg, sizeof(msg)))
		kt_warn("control: ANA transition of port %lld group %lld to %s not applied: %s", (long long)portid,
			(long long)grpid, state, msg);
}

static int ana_params(struct json_object *params, const char *const keys[], const char *const required[],
		      int64_t *portid, int64_t *grpid, char *msg, size_t msglen)
{
	int r = check(params, keys, required, NULL, msg, msglen);
	if (r || (r = get_int(params, "portid", 0, 65535, portid, msg, msglen)) < 0 ||
	    (r = get_int(params, "grpid", 1, KT_ANA_GRP_MAX, grpid, msg, msglen)) < 0)
		return r;
	return 0;
}

/* The answer: the group as ana.list shows it. */
static int ana_answer(int64_t portid, int64_t grpid, struct json_object **result, char *msg, size_t msglen)
{
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "portid", json_object_new_int64(portid));
	json_object_object_add(p, "grpid", json_object_new_int64(grpid));
	return answer("ana.list", p, result, msg, msglen);
}

KT_RPC_METHOD(kt_rpc_ana_set)
{
	static const char *const keys[] = { "portid", "grpid", "state", "transition_ms", NULL };
	static const char *const req[] = { "portid", "grpid", "state", NULL };
	int64_t portid, grpid, ms = 0;
	int r = ana_params(params, keys, req, &portid, &grpid, msg, msglen);
	const char *state = r ? NULL : get_str(params, "state", msg, msglen, &r);
	if (r)
		return r;
	if ((r = get_int(params, "transition_ms", 0, 3600000, &ms, msg, msglen)) < 0)
		return r;
	if (kt_ana_state_parse(state) < 0)
		return FAIL(KT_RPC_INVALID_PARAMS, "\"%s\" is not an ANA state (optimized, non-optimized, "
				"inaccessible, persistent-loss, change)", state);
	struct ana_pending *a = NULL;
	if (ms > 0) {
		struct event_base *base = kt_live_base();
		a = calloc(1, sizeof(*a));
		if (!a || !base || !(a->ev = evtimer_new(base, ana_fire, a))) {
			free(a);
			return FAIL(KT_RPC_INTERNAL, "no timer for the transition");
		}
		a->portid = portid;
		a->grpid = grpid;
		snprintf(a->state, sizeof(a->state), "%s", state);
	}
	ana_cancel(portid, grpid);
	r = ana_edit(portid, grpid, a ? "change" : state, msg, msglen);
	if (r) {
		if (a) {
			event_free(a->ev);
			free(a);
		}
		return r;
	}
	if (a) {
		struct timeval tv = { .tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000 * 1000) };
		evtimer_add(a->ev, &tv);
		a->next = ana_pending;
		ana_pending = a;
		kt_info("control: port %lld group %lld in change for %lld ms, then %s", (long long)portid,
			(long long)grpid, (long long)ms, state);
	}
	return ana_answer(portid, grpid, result, msg, msglen);
}

KT_RPC_METHOD(kt_rpc_ana_remove)
{
	static const char *const keys[] = { "portid", "grpid", NULL };
	int64_t portid, grpid;
	int r = ana_params(params, keys, keys, &portid, &grpid, msg, msglen);
	if (r)
		return r;
	if (grpid == 1)
		return FAIL(KT_RPC_INVALID_PARAMS, "ANA group 1 is every port's default group: set its state instead");
	ana_cancel(portid, grpid);
	if ((r = ana_edit(portid, grpid, NULL, msg, msglen)))
		return r;
	*result = json_object_new_object();
	json_object_object_add(*result, "portid", json_object_new_int64(portid));
	json_object_object_add(*result, "grpid", json_object_new_int64(grpid));
	json_object_object_add(*result, "removed", json_object_new_boolean(1));
	return 0;
}

void kt_rpc_ana_cancel_all(void)
{
	while (ana_pending)
		ana_cancel(ana_pending->portid, ana_pending->grpid);
}

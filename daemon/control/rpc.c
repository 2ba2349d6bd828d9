/*
 * rpc.c - the control socket's methods (see rpc.h): read-only reports of
 * the live target (ports, subsystems, namespaces, hosts, controllers,
 * counters), disconnecting a controller, and the running configuration as
 * nvmetcli JSON.
 *
 * The ports, subsystems and namespaces change live, but only on the main
 * thread (daemon/core/live.c), which is where these methods run, so they are
 * read without a lock; controllers come from kt_target_ctrls_snapshot.
 * config.save answers the running configuration (kt_live_running: the file
 * katod started with plus every live change since, keep-alive policy rules
 * set live included, but for a controller id's: see m_config_save);
 * command-line overrides (-w, -l, -s) are not part of it. reload re-reads a
 * file and applies it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "config/config.h"
#include "proto/ana.h"
#include "proto/auth.h"
#include "proto/tls_psk.h"
#include "daemon/backend/backend.h"
#include "daemon/core/live.h"
#include "daemon/log.h"
#include "daemon/core/counters.h"
#include "daemon/core/keepalive.h"
#include "daemon/control/rpc.h"
#include "daemon/control/rpc_counters.h"
#include "daemon/control/rpc_edit.h"
#include "daemon/control/rpc_faults.h"
#include "daemon/control/rpc_keepalive.h"
#include "daemon/control/rpc_params.h"
#include "daemon/core/target.h"
#include "daemon/core/worker.h"
#include "proto/model.h"

static uint64_t started_ms;

void kt_rpc_init(void)
{
	started_ms = kt_now_ms();
}

/* ---- helpers ---------------------------------------------------------- */

static void hex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void uuid_str(char out[37], const uint8_t b[16])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static const char *adrfam_name(uint8_t a)
{
	return a == NVMF_ADDR_FAMILY_IP6 ? "ipv6" : "ipv4";
}

static const char *treq_name(uint8_t t)
{
	return t == NVMF_TREQ_REQUIRED ? "required" : t == NVMF_TREQ_NOT_REQUIRED ? "not required"
										   : "not specified";
}

static struct kt_subsys *find_subsys(const char *nqn)
{
	struct kt_target *t = kt_target_get();
	if (!strcmp(nqn, t->disc.nqn))
		return &t->disc;
	return kt_target_find_subsys(t, nqn);
}

static const struct kt_cfg_ns *cfg_ns(const char *subnqn, uint32_t nsid)
{
	const struct kt_config *running = kt_live_running();
	for (size_t i = 0; running && i < running->n_subsys; i++) {
		const struct kt_cfg_subsys *s = &running->subsys[i];
		if (strcmp(s->nqn, subnqn))
			continue;
		for (size_t k = 0; k < s->n_ns; k++)
			if (s->ns[k].nsid == nsid)
				return &s->ns[k];
	}
	return NULL;
}

/* ---- methods ---------------------------------------------------------- */

typedef int (*method_fn)(const struct kt_rpc_caller *caller, struct json_object *params,
			 struct json_object **result, char *msg, size_t msglen);

static KT_RPC_METHOD(m_version)
{
	static const char *const keys[] = { NULL };
	int r = kt_rpc_check_params(params, keys, NULL, msg, msglen);
	if (r)
		return r;
	struct json_object *o = json_object_new_object();
	kt_rpc_put_str(o, "name", "katod");
	kt_rpc_put_str(o, "version", KATO_VERSION);
	kt_rpc_put(o, "pid", json_object_new_int((int)getpid()));
	kt_rpc_put_u64(o, "uptime_ms", kt_now_ms() - started_ms);
	kt_rpc_put(o, "workers", json_object_new_int((int)kt_workers_count()));
	struct json_object *m = json_object_new_array();
	for (size_t i = 0; kt_rpc_methods[i]; i++)
		json_object_array_add(m, json_object_new_string(kt_rpc_methods[i]));
	kt_rpc_put(o, "methods", m);
	*result = o;
	return 0;
}

static KT_RPC_METHOD(m_ports_list)
{
	static const char *const keys[] = { "portid", NULL };
	int64_t portid = -1;
	int r = kt_rpc_check_params(params, keys, NULL, msg, msglen);
	if (r || (r = kt_rpc_opt_int(params, "portid", 0, 65535, false, &portid, msg, msglen)) < 0)
		return r;
	const struct kt_target *t = kt_target_get();
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < t->n_ports; i++) {
		const struct kt_port *p = t->ports[i];
		if (portid >= 0 && p->portid != portid)
			continue;
		struct json_object *o = json_object_new_object();
		kt_rpc_put(o, "portid", json_object_new_int(p->portid));
		kt_rpc_put_str(o, "trtype", "tcp");
		kt_rpc_put_str(o, "adrfam", adrfam_name(p->adrfam));
		kt_rpc_put_str(o, "traddr", p->traddr);
		kt_rpc_put_str(o, "trsvcid", p->trsvcid);
		kt_rpc_put_str(o, "treq", treq_name(p->treq));
		kt_rpc_put_str(o, "tsas", p->sectype == NVMF_TCP_SECTYPE_TLS13 ? "tls1.3" : "none");
		kt_rpc_put(o, "inline_data_size", json_object_new_int64(p->inline_data_size));
		struct json_object *s = json_object_new_array();
		for (size_t k = 0; k < p->n_subsys; k++)
			json_object_array_add(s, json_object_new_string(p->subsys[k]->nqn));
		kt_rpc_put(o, "subsystems", s);
		json_object_array_add(a, o);
	}
	if (portid >= 0 && json_object_array_length(a) == 0) {
		json_object_put(a);
		return FAIL(KT_RPC_NOT_FOUND, "no port %lld", (long long)portid);
	}
	*result = a;
	return 0;
}

/* ana.list [portid] [grpid]: per port, its ANA groups (group 1, the groups
 * it lists, the groups of its subsystems' namespaces) with their state
 * there and the namespaces in them ("subsystem nsid"). */
static KT_RPC_METHOD(m_ana_list)
{
	static const char *const keys[] = { "portid", "grpid", NULL };
	int64_t portid = -1, grpid = -1;
	int r = kt_rpc_check_params(params, keys, NULL, msg, msglen);
	if (r || (r = kt_rpc_opt_int(params, "portid", 0, 65535, false, &portid, msg, msglen)) < 0 ||
	    (r = kt_rpc_opt_int(params, "grpid", 1, KT_ANA_GRP_MAX, false, &grpid, msg, msglen)) < 0)
		return r;
	const struct kt_target *t = kt_target_get();
	struct json_object *a = json_object_new_array();
	bool port_seen = false;
	for (size_t i = 0; i < t->n_ports; i++) {
		const struct kt_port *p = t->ports[i];
		if (portid >= 0 && p->portid != portid)
			continue;
		port_seen = true;
		for (uint32_t g = 1; g <= KT_ANA_GRP_MAX; g++) {
			if (grpid >= 0 && g != grpid)
				continue;
			struct json_object *ns = json_object_new_array();
			for (size_t k = 0; k < p->n_subsys; k++)
				for (size_t n = 0; n < p->subsys[k]->n_ns; n++)
					if (p->subsys[k]->ns[n]->anagrpid == g) {
						char e[KT_NQN_MAX + 16];
						snprintf(e, sizeof(e), "%s %u", p->subsys[k]->nqn, p->subsys[k]->ns[n]->nsid);
						json_object_array_add(ns, json_object_new_string(e));
					}
			if (g != 1 && !p->ana_listed[g] && !json_object_array_length(ns) && grpid < 0) {
				json_object_put(ns);
				continue;
			}
			const char *st = kt_ana_state_name(kt_port_ana_state(p, g));
			struct json_object *o = json_object_new_object();
			kt_rpc_put(o, "portid", json_object_new_int(p->portid));
			kt_rpc_put(o, "grpid", json_object_new_int((int)g));
			kt_rpc_put_str(o, "state", st ? st : "?");
			kt_rpc_put(o, "listed", json_object_new_boolean(g == 1 || p->ana_listed[g]));
			kt_rpc_put(o, "namespaces", ns);
			json_object_array_add(a, o);
		}
	}
	if (portid >= 0 && !port_seen) {
		json_object_put(a);
		return FAIL(KT_RPC_NOT_FOUND, "no port %lld", (long long)portid);
	}
	*result = a;
	return 0;
}

static size_t count_ctrls(const struct kt_ctrl_info *v, size_t n, const char *nqn)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += !strcmp(v[i].subnqn, nqn);
	return c;
}

static struct json_object *subsys_json(const struct kt_subsys *s, const struct kt_ctrl_info *v, size_t nv)
{
	const struct kt_target *t = kt_target_get();
	struct json_object *o = json_object_new_object();
	char ver[16];
	kt_rpc_put_str(o, "nqn", s->nqn);
	kt_rpc_put(o, "discovery", json_object_new_boolean(s->discovery));
	kt_rpc_put_str(o, "serial", s->serial);
	kt_rpc_put_str(o, "model", s->model);
	kt_rpc_put_str(o, "firmware", s->firmware);
	if (s->version & 0xff)
		snprintf(ver, sizeof(ver), "%u.%u.%u", s->version >> 16, (s->version >> 8) & 0xff, s->version & 0xff);
	else
		snprintf(ver, sizeof(ver), "%u.%u", s->version >> 16, (s->version >> 8) & 0xff);
	kt_rpc_put_str(o, "version", ver);
	kt_rpc_put(o, "allow_any_host", json_object_new_boolean(s->allow_any_host));
	struct json_object *h = json_object_new_array();
	for (size_t i = 0; i < s->n_hosts; i++)
		json_object_array_add(h, json_object_new_string(s->hosts[i]));
	kt_rpc_put(o, "allowed_hosts", h);
	kt_rpc_put(o, "cntlid_min", json_object_new_int(s->cntlid_min));
	kt_rpc_put(o, "cntlid_max", json_object_new_int(s->cntlid_max));
	kt_rpc_put(o, "namespaces", json_object_new_int64((int64_t)s->n_ns));
	struct json_object *p = json_object_new_array();
	for (size_t i = 0; i < t->n_ports; i++)
		if (s->discovery || kt_port_has_subsys(t->ports[i], s))
			json_object_array_add(p, json_object_new_int(t->ports[i]->portid));
	kt_rpc_put(o, "ports", p);
	kt_rpc_put(o, "controllers", json_object_new_int64((int64_t)count_ctrls(v, nv, s->nqn)));
	return o;
}

static KT_RPC_METHOD(m_subsystems_list)
{
	static const char *const keys[] = { "nqn", NULL };
	const char *nqn = NULL;
	int r = kt_rpc_check_params(params, keys, NULL, msg, msglen);
	if (r || (r = kt_rpc_opt_string(params, "nqn", &nqn, msg, msglen)) < 0)
		return r;
	struct kt_target *t = kt_target_get();
	struct kt_subsys *one = NULL;
	if (nqn && !(one = find_subsys(nqn)))
		return FAIL(KT_RPC_NOT_FOUND, "no subsystem \"%s\"", nqn);
	struct kt_ctrl_info *v;
	size_t nv;
	if (kt_target_ctrls_snapshot(&v, &nv, kt_now_ms()) < 0)
		return FAIL(KT_RPC_INTERNAL, "out of memory");
	struct json_object *a = json_object_new_array();
	if (one) {
		json_object_array_add(a, subsys_json(one, v, nv));
	} else {
		json_object_array_add(a, subsys_json(&t->disc, v, nv));
		for (size_t i = 0; i < t->n_subsys; i++)
			json_object_array_add(a, subsys_json(t->subsys[i], v, nv));
	}
	free(v);
	*result = a;
	return 0;
}

static struct json_object *ns_json(const struct kt_subsys *s, const struct kt_ns *ns)
{
	struct json_object *o = json_object_new_object();
	char b[40];
	kt_rpc_put_str(o, "subsystem", s->nqn);
	kt_rpc_put(o, "nsid", json_object_new_int64(ns->nsid));
	kt_rpc_put(o, "enabled", json_object_new_boolean(ns->enabled));
	const struct kt_backend *be = ns->backend;
	kt_rpc_put_str(o, "backend", be ? be->ops->name : "none");
	const struct kt_cfg_ns *cn = cfg_ns(s->nqn, ns->nsid);
	if (cn && cn->path)
		kt_rpc_put_str(o, "path", cn->path);
	kt_rpc_put_u64(o, "size", be ? be->size : 0);
	kt_rpc_put(o, "block_size", json_object_new_int(1 << ns->lba_shift));
	kt_rpc_put_u64(o, "blocks", ns->nblocks);
	hex(b, ns->nguid, 16);
	kt_rpc_put_str(o, "nguid", b);
	uuid_str(b, ns->uuid);
	kt_rpc_put_str(o, "uuid", b);
	kt_rpc_put(o, "volatile_write_cache", json_object_new_boolean(ns->vwc));
	kt_rpc_put(o, "discard", json_object_new_boolean(ns->can_discard));
	kt_rpc_put(o, "ana_grpid", json_object_new_int64(ns->anagrpid));
	return o;
}

static KT_RPC_METHOD(m_namespaces_list)
{
	static const char *const keys[] = { "subsystem", "nsid", NULL };
	const char *nqn = NULL;
	int64_t nsid = -1;
	int r = kt_rpc_check_params(params, keys, NULL, msg, msglen);
	if (r || (r = kt_rpc_opt_string(params, "subsystem", &nqn, msg, msglen)) < 0 ||
	    (r = kt_rpc_opt_int(params, "nsid", 1, 0xfffffffe, false, &nsid, msg, msglen)) < 0)
		return r;
	if (nsid >= 0 && !nqn)
		return FAIL(KT_RPC_INVALID_PARAMS, "parameter \"nsid\" needs \"subsystem\"");
	struct kt_target *t = kt_target_get();
	if (nqn && !kt_target_find_subsys(t, nqn))
		return FAIL(KT_RPC_NOT_FOUND, "no subsystem \"%s\"", nqn);
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < t->n_subsys; i++) {
		const struct kt_subsys *s = t->subsys[i];
		if (nqn && strcmp(nqn, s->nqn))
			continue;
		for (size_t k = 0; k < s->n_ns; k++)
			if (nsid < 0 || s->ns[k]->nsid == nsid)
				json_object_array_add(a, ns_json(s, s->ns[k]));
	}
	if (nsid >= 0 && json_object_array_length(a) == 0) {
		json_object_put(a);
		return FAIL(KT_RPC_NOT_FOUND, "subsystem \"%s\" has no namespace %lld", nqn, (long long)nsid);
	}
	*result = a;
	return 0;
}

static KT_RPC_METHOD(m_hosts_list)
{
	static const char *const keys[] = { NULL };
	int r = kt_rpc_check_params(params, keys, NULL, msg, msglen);
	if (r)
		return r;
	const struct kt_target *t = kt_target_get();
	struct json_object *a = json_object_new_array();
	const struct kt_config *running = kt_live_running();
	for (size_t i = 0; running && i < running->n_hosts; i++) {
		const char *h = running->hosts[i];
		struct json_object *o = json_object_new_object();
		kt_rpc_put_str(o, "nqn", h);
		struct json_object *in = json_object_new_array();
		for (size_t k = 0; k < t->n_subsys; k++)
			for (size_t j = 0; j < t->subsys[k]->n_hosts; j++)
				if (!strcmp(t->subsys[k]->hosts[j], h))
					json_object_array_add(in, json_object_new_string(t->subsys[k]->nqn));
		kt_rpc_put(o, "allowed_in", in);
		/* DH-HMAC-CHAP: whether a key is set, never the key */
		const struct kt_cfg_host_auth *au = running->host_auth ? &running->host_auth[i] : NULL;
		kt_rpc_put_str(o, "dhchap_key", au && au->key ? "set" : "-");
		kt_rpc_put_str(o, "dhchap_ctrl_key", au && au->ctrl_key ? "set" : "-");
		const char *hn = au ? kt_auth_hash_attr(au->hash_id) : NULL;
		const char *dn = au ? kt_auth_dhgroup_attr(au->dhgid) : NULL;
		kt_rpc_put_str(o, "dhchap_hash", hn ? hn : "hmac(sha256)");
		kt_rpc_put_str(o, "dhchap_dhgroup", dn ? dn : "null");
		/* TLS: whether a PSK is set (any per-subsystem one counts), never the key */
		kt_rpc_put_str(o, "tls_key", au && (au->tls_key || au->n_tls_sub) ? "set" : "-");
		kt_rpc_put_str(o, "tls_derive", !au || !au->tls_derive ? "both"
				: au->tls_derive == KT_TLS_DERIVE_RFC ? "rfc" : "compat");
		json_object_array_add(a, o);
	}
	*result = a;
	return 0;
}

/* The keep-alive rule table controllers.list resolves every controller
 * against: taken once per call (main thread only), NULL when no rule. */
static const struct kt_kapol_table *list_rules;

static struct json_object *ctrl_json(const struct kt_ctrl_info *e)
{
	struct json_object *o = json_object_new_object();
	char b[40];
	kt_rpc_put(o, "cntlid", json_object_new_int(e->cntlid));
	kt_rpc_put_str(o, "subsystem", e->subnqn);
	kt_rpc_put(o, "discovery", json_object_new_boolean(e->discovery));
	kt_rpc_put_str(o, "hostnqn", e->hostnqn);
	uuid_str(b, e->hostid);
	kt_rpc_put_str(o, "hostid", b);
	kt_rpc_put_str(o, "peer", e->peer);
	kt_rpc_put(o, "portid", json_object_new_int(e->portid));
	kt_rpc_put(o, "queues", json_object_new_int64(e->queues));
	kt_rpc_put(o, "io_queues", json_object_new_int64(e->io_queues));
	kt_rpc_put(o, "kato_ms", json_object_new_int64(e->kato_ms));
	kt_rpc_put(o, "traffic_based_keep_alive", json_object_new_boolean(e->traffic_based));
	kt_rpc_put_u64(o, "ms_since_keep_alive", e->ms_since_keepalive);
	kt_rpc_put(o, "ms_since_traffic",
		   e->ms_since_traffic == UINT64_MAX ? NULL : json_object_new_uint64(e->ms_since_traffic));
	kt_rpc_put_u64(o, "age_ms", e->age_ms);
	kt_rpc_put(o, "enabled", json_object_new_boolean(e->cc & 1u));
	kt_rpc_put(o, "ready", json_object_new_boolean(e->csts & 1u));
	kt_rpc_put(o, "fatal", json_object_new_boolean(e->csts & 2u));
	kt_rpc_put(o, "keepalive_policy", /* null: none */
		   kt_rpc_ka_policy_of(list_rules, e->cntlid, e->hostnqn, e->subnqn));
	return o;
}

static struct json_object *counters_json(const struct kt_ctrl_info *e)
{
	/* the controller's SMART counters, in the shape the namespaces report */
	const struct kt_ns_totals io = { .read_commands = e->host_reads, .write_commands = e->host_writes,
					 .bytes_read = e->bytes_read, .bytes_written = e->bytes_written,
					 .errors = e->errors };
	struct json_object *o = json_object_new_object();
	kt_rpc_put(o, "cntlid", json_object_new_int(e->cntlid));
	kt_rpc_put_str(o, "subsystem", e->subnqn);
	kt_rpc_put_str(o, "hostnqn", e->hostnqn);
	kt_counters_put_io(o, &io, false);
	kt_rpc_put_u64(o, "keep_alive_expiries", kt_counters_ctrl_ka_expiries(e->subnqn, e->cntlid, kt_now_ms() - e->age_ms));
	return o;
}

/* controllers.list and counters: the same selection, two views. */
static int list_ctrls(struct json_object *params, struct json_object **result, char *msg, size_t msglen,
		      struct json_object *(*view)(const struct kt_ctrl_info *))
{
	static const char *const keys[] = { "subsystem", "cntlid", NULL };
	const char *nqn = NULL;
	int64_t cntlid = -1;
	int r = kt_rpc_check_params(params, keys, NULL, msg, msglen);
	if (r || (r = kt_rpc_opt_string(params, "subsystem", &nqn, msg, msglen)) < 0 ||
	    (r = kt_rpc_opt_int(params, "cntlid", 0, 0xffff, false, &cntlid, msg, msglen)) < 0)
		return r;
	if (nqn && !find_subsys(nqn))
		return FAIL(KT_RPC_NOT_FOUND, "no subsystem \"%s\"", nqn);
	struct kt_ctrl_info *v;
	size_t nv;
	if (kt_target_ctrls_snapshot(&v, &nv, kt_now_ms()) < 0)
		return FAIL(KT_RPC_INTERNAL, "out of memory");
	struct json_object *a = json_object_new_array();
	for (size_t i = nv; i-- > 0;) { /* oldest first */
		if ((nqn && strcmp(nqn, v[i].subnqn)) || (cntlid >= 0 && v[i].cntlid != cntlid))
			continue;
		json_object_array_add(a, view(&v[i]));
	}
	free(v);
	if (cntlid >= 0 && json_object_array_length(a) == 0) {
		json_object_put(a);
		return FAIL(KT_RPC_NOT_FOUND, "no controller %lld%s%s", (long long)cntlid,
			    nqn ? " in subsystem " : "", nqn ? nqn : "");
	}
	*result = a;
	return 0;
}

static KT_RPC_METHOD(m_controllers_list)
{
	struct kt_kapol_table *t;
	if (kt_ka_policy_table(&t) < 0)
		return FAIL(KT_RPC_INTERNAL, "out of memory");
	list_rules = t;
	int r = list_ctrls(params, result, msg, msglen, ctrl_json);
	list_rules = NULL;
	free(t);
	return r;
}

static KT_RPC_METHOD(m_counters)
{
	struct json_object *a = NULL;
	int r = list_ctrls(params, &a, msg, msglen, counters_json);
	if (r)
		return r;
	/* an object, so that per-subsystem and per-namespace counters can join */
	*result = json_object_new_object();
	kt_rpc_put(*result, "controllers", a);
	const char *nqn = NULL;
	kt_rpc_opt_string(params, "subsystem", &nqn, msg, msglen);
	kt_counters_json(*result, nqn); /* per subsystem and per namespace */
	return 0;
}

static KT_RPC_METHOD(m_controllers_disconnect)
{
	static const char *const keys[] = { "cntlid", "subsystem", NULL };
	const char *nqn = NULL;
	int64_t cntlid = -1;
	int r = kt_rpc_check_params(params, keys, NULL, msg, msglen);
	if (r || (r = kt_rpc_opt_string(params, "subsystem", &nqn, msg, msglen)) < 0 ||
	    (r = kt_rpc_opt_int(params, "cntlid", 0, 0xffff, false, &cntlid, msg, msglen)) < 0)
		return r;
	if (cntlid < 0)
		return FAIL(KT_RPC_INVALID_PARAMS, "parameter \"cntlid\" is missing");
	if (nqn && !find_subsys(nqn))
		return FAIL(KT_RPC_NOT_FOUND, "no subsystem \"%s\"", nqn);
	r = kt_target_disconnect(nqn, (uint16_t)cntlid, "disconnected through the control socket");
	if (r == -ENOENT)
		return FAIL(KT_RPC_NOT_FOUND, "no controller %lld%s%s", (long long)cntlid,
			    nqn ? " in subsystem " : "", nqn ? nqn : "");
	if (r == -ENOTUNIQ)
		return FAIL(KT_RPC_INVALID_PARAMS,
			    "controller %lld exists in more than one subsystem: give \"subsystem\"", (long long)cntlid);
	if (r < 0)
		return FAIL(KT_RPC_INTERNAL, "%s", strerror(-r));
	*result = json_object_new_object();
	kt_rpc_put(*result, "cntlid", json_object_new_int((int)cntlid));
	kt_rpc_put(*result, "disconnected", json_object_new_boolean(1));
	return 0;
}

/* config.save: the running configuration, whose keep-alive policy rules
 * are the rules in force, set live ones included (kt_live_running). Rules
 * scoped to a controller id are left out of it and listed in "left_out":
 * the id names one host's connection, gone at a restart, and ids are given
 * again from cntlid_min to whichever host connects first, so a saved rule
 * would misbehave towards a controller it was never meant for. (Reloading
 * the saved file clears them too: a reload's rules are the file's.) */
static KT_RPC_METHOD(m_config_save)
{
	static const char *const keys[] = { NULL };
	int r = kt_rpc_check_params(params, keys, NULL, msg, msglen);
	if (r)
		return r;
	const struct kt_config *running = kt_live_running();
	if (!running)
		return FAIL(KT_RPC_INTERNAL, "no configuration is held");
	const struct kt_cfg_daemon *d = &running->daemon;
	struct kt_config saved = *running; /* shallow: only the rules differ */
	struct kt_kapol_rule *rules = calloc(d->n_ka_rules ? d->n_ka_rules : 1, sizeof(*rules));
	struct json_object *left = json_object_new_array();
	if (!rules || !left) {
		free(rules);
		json_object_put(left);
		return FAIL(KT_RPC_INTERNAL, "out of memory");
	}
	saved.daemon.ka_rules = rules;
	saved.daemon.n_ka_rules = 0;
	for (size_t i = 0; i < d->n_ka_rules; i++) {
		const struct kt_kapol_rule *k = &d->ka_rules[i];
		if (k->scope.kind == KT_KAPOL_CNTLID)
			json_object_array_add(left, kt_config_ka_rule_json(&k->scope, &k->pol));
		else
			rules[saved.daemon.n_ka_rules++] = *k;
	}
	char *text = NULL;
	r = kt_config_to_json(&saved, &text);
	free(rules);
	struct json_object *cfg = r < 0 ? NULL : json_tokener_parse(text);
	free(text);
	if (!cfg) {
		json_object_put(left);
		return r < 0 ? FAIL(KT_RPC_INTERNAL, "cannot write the configuration: %s", strerror(-r))
			     : FAIL(KT_RPC_INTERNAL, "the configuration did not parse back");
	}
	size_t nleft = json_object_array_length(left);
	if (nleft)
		kt_info("control: config.save: %zu keep-alive policy rule%s for a controller id left out", nleft,
			nleft == 1 ? "" : "s");
	*result = json_object_new_object();
	kt_rpc_put(*result, "config", cfg);
	kt_rpc_put(*result, "left_out", left);
	return 0;
}

static const struct {
	const char *name;
	method_fn fn;
} methods[] = {
	{ "version", m_version },
	{ "ports.list", m_ports_list },
	{ "ana.list", m_ana_list },
	{ "subsystems.list", m_subsystems_list },
	{ "namespaces.list", m_namespaces_list },
	{ "hosts.list", m_hosts_list },
	{ "controllers.list", m_controllers_list },
	{ "controllers.disconnect", m_controllers_disconnect },
	{ "counters", m_counters },
	{ "config.save", m_config_save },
	{ "reload", kt_rpc_reload },
	/* changes: daemon/control/rpc_edit.c */
	{ "ports.add", kt_rpc_ports_add },
	{ "ports.remove", kt_rpc_ports_remove },
	{ "ports.set", kt_rpc_ports_set },
	{ "ports.link", kt_rpc_ports_link },
	{ "ports.unlink", kt_rpc_ports_unlink },
	{ "subsystems.add", kt_rpc_subsystems_add },
	{ "subsystems.remove", kt_rpc_subsystems_remove },
	{ "subsystems.set", kt_rpc_subsystems_set },
	{ "subsystems.allow_host", kt_rpc_subsystems_allow_host },
	{ "subsystems.disallow_host", kt_rpc_subsystems_disallow_host },
	{ "namespaces.add", kt_rpc_namespaces_add },
	{ "namespaces.remove", kt_rpc_namespaces_remove },
	{ "namespaces.set", kt_rpc_namespaces_set },
	{ "hosts.add", kt_rpc_hosts_add },
	{ "hosts.set", kt_rpc_hosts_set },
	{ "hosts.remove", kt_rpc_hosts_remove },
	{ "ana.set", kt_rpc_ana_set },
	{ "ana.remove", kt_rpc_ana_remove },
	/* keep-alive policy and trace: daemon/control/rpc_keepalive.c */
	{ "keepalive.policy.set", kt_rpc_ka_policy_set },
	{ "keepalive.policy.get", kt_rpc_ka_policy_get },
	{ "keepalive.policy.clear", kt_rpc_ka_policy_clear },
	{ "keepalive.policy.list", kt_rpc_ka_policy_list },
	{ "keepalive.expire", kt_rpc_ka_expire },
	{ "keepalive.trace", kt_rpc_ka_trace },
	{ "keepalive.trace.subscribe", kt_rpc_ka_trace_subscribe },
	{ "keepalive.trace.unsubscribe", kt_rpc_ka_trace_unsubscribe },
	/* fault rules: daemon/control/rpc_faults.c */
	{ "faults.add", kt_rpc_faults_add },
	{ "faults.remove", kt_rpc_faults_remove },
	{ "faults.clear", kt_rpc_faults_clear },
	{ "faults.list", kt_rpc_faults_list },
};
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

const char *const kt_rpc_methods[] = {
	"version", "ports.list", "ana.list", "subsystems.list", "namespaces.list", "hosts.list",
	"controllers.list", "controllers.disconnect", "counters", "config.save", "reload",
	"ports.add", "ports.remove", "ports.set", "ports.link", "ports.unlink",
	"subsystems.add", "subsystems.remove", "subsystems.set", "subsystems.allow_host",
	"subsystems.disallow_host", "namespaces.add", "namespaces.remove", "namespaces.set",
	"hosts.add", "hosts.set", "hosts.remove", "ana.set", "ana.remove",
	"keepalive.policy.set", "keepalive.policy.get", "keepalive.policy.clear", "keepalive.policy.list",
	"keepalive.expire", "keepalive.trace", "keepalive.trace.subscribe", "keepalive.trace.unsubscribe",
	"faults.add", "faults.remove", "faults.clear", "faults.list", NULL,
};

int kt_rpc_call(const struct kt_rpc_caller *caller, const char *method, struct json_object *params,
		struct json_object **result, char *msg, size_t msglen)
{
	*result = NULL;
	for (size_t i = 0; i < N_METHODS; i++) {
		if (!strcmp(methods[i].name, method)) {
			int r = methods[i].fn(caller, params, result, msg, msglen);
			if (r == 0 && !*result)
				r = FAIL(KT_RPC_INTERNAL, "out of memory");
			return r;
		}
	}
	return FAIL(KT_RPC_NO_METHOD, "no method \"%s\" (katod %s has: version, ports.list, subsystems.list, "
		    "namespaces.list, hosts.list, controllers.list, controllers.disconnect, counters, config.save, reload, ...)",
		    method, KATO_VERSION);
}

/*
 * config_write.c - writes a configuration description back as JSON, in the
 * format config.c reads (for `katod --print-config`, the control socket's
 * config.save and its live edits). The output keeps
 * nvmetcli's layout and conventions: keys in sorted order, attribute values
 * as strings, "nsid", "portid", "enable", "ana_grpid" and a port's ANA
 * groups' "grpid" as numbers; kato's
 * own keys (device "backend", "size", "block_size", the "katod" object) are
 * added beside them. Loading the output gives back an equal description.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "config/config.h"
#include "proto/ana.h"
#include "proto/auth.h"
#include "proto/tls_psk.h"

/* json_object_object_add takes ownership even of NULL; an allocation
 * failure is noticed once, at the end, through *bad. */
static void put(struct json_object *o, const char *key, struct json_object *v, bool *bad)
{
	if (!v || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		*bad = true;
	}
}

static void put_str(struct json_object *o, const char *key, const char *s, bool *bad)
{
	put(o, key, json_object_new_string(s), bad);
}

static void put_fmt(struct json_object *o, const char *key, bool *bad, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void put_fmt(struct json_object *o, const char *key, bool *bad, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put_str(o, key, buf, bad);
}

static void push(struct json_object *arr, struct json_object *v, bool *bad)
{
	if (!v || json_object_array_add(arr, v) != 0) {
		json_object_put(v);
		*bad = true;
	}
}

static struct json_object *str_array(char **v, size_t n, bool *bad)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; arr && i < n; i++)
		push(arr, json_object_new_string(v[i]), bad);
	return arr;
}

/* UUID layout, as the kernel shows both NGUID and UUID. */
static void put_id(struct json_object *o, const char *key, const uint8_t b[16], bool *bad)
{
	char s[37];
	snprintf(s, sizeof(s),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	put_str(o, key, s, bad);
}

static struct json_object *ns_json(const struct kt_cfg_ns *ns, bool *bad)
{
	static const char *const bname[] = { [KT_BACKEND_FILE] = "file", [KT_BACKEND_RAM] = "ram",
					     [KT_BACKEND_NULL] = "null" };
	struct json_object *o = json_object_new_object();
	struct json_object *dev = json_object_new_object();
	if (!o || !dev) {
		json_object_put(o);
		json_object_put(dev);
		*bad = true;
		return NULL;
	}
	put(o, "ana_grpid", json_object_new_int64(ns->anagrpid), bad);
	put_str(dev, "backend", bname[ns->backend], bad);
	if (ns->block_size)
		put(dev, "block_size", json_object_new_int64(ns->block_size), bad);
	if (ns->buffered_io)
		put_str(dev, "buffered_io", "1", bad);
	if (ns->has_nguid)
		put_id(dev, "nguid", ns->nguid, bad);
	if (ns->path)
		put_str(dev, "path", ns->path, bad);
	if (ns->size)
		put(dev, "size", json_object_new_int64((int64_t)ns->size), bad);
	if (ns->has_uuid)
		put_id(dev, "uuid", ns->uuid, bad);
	put(o, "device", dev, bad);
	put(o, "enable", json_object_new_int(ns->enable ? 1 : 0), bad);
	put(o, "nsid", json_object_new_int64(ns->nsid), bad);
	return o;
}

static struct json_object *subsys_json(const struct kt_cfg_subsys *s, bool *bad)
{
	struct json_object *o = json_object_new_object();
	struct json_object *attr = json_object_new_object();
	struct json_object *nss = json_object_new_array();
	if (!o || !attr || !nss) {
		json_object_put(o);
		json_object_put(attr);
		json_object_put(nss);
		*bad = true;
		return NULL;
	}
	put(o, "allowed_hosts", str_array(s->allowed_hosts, s->n_allowed_hosts, bad), bad);
	put_str(attr, "allow_any_host", s->allow_any_host ? "1" : "0", bad);
	put_fmt(attr, "cntlid_max", bad, "%u", s->cntlid_max);
	put_fmt(attr, "cntlid_min", bad, "%u", s->cntlid_min);
	if (s->firmware)
		put_str(attr, "firmware", s->firmware, bad);
	put_fmt(attr, "ieee_oui", bad, "0x%06x", (unsigned)s->ieee_oui);
	if (s->model)
		put_str(attr, "model", s->model, bad);
	if (s->qid_max)
		put_fmt(attr, "qid_max", bad, "%u", s->qid_max);
	if (s->serial)
		put_str(attr, "serial", s->serial, bad);
	if (s->version) {
		unsigned ter = s->version & 0xff;
		if (ter)
			put_fmt(attr, "version", bad, "%u.%u.%u", s->version >> 16, (s->version >> 8) & 0xff, ter);
		else
			put_fmt(attr, "version", bad, "%u.%u", s->version >> 16, (s->version >> 8) & 0xff);
	}
	put(o, "attr", attr, bad);
	for (size_t i = 0; i < s->n_ns; i++)
		push(nss, ns_json(&s->ns[i], bad), bad);
	put(o, "namespaces", nss, bad);
	put_str(o, "nqn", s->nqn, bad);
	return o;
}

/* A port's ANA groups as nvmetcli saves them: [{"ana": {"state": ..},
 * "grpid": N}]. A state that is none (not one the loader gives) is left
 * out: the group then loads with its default state. */
static struct json_object *ana_groups_json(const struct kt_cfg_port *p, bool *bad)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; arr && i < p->n_ana; i++) {
		struct json_object *g = json_object_new_object();
		struct json_object *ana = json_object_new_object();
		const char *name = kt_ana_state_name(p->ana[i].state);
		if (!g || !ana) {
			json_object_put(g);
			json_object_put(ana);
			*bad = true;
			break;
		}
		if (name)
			put_str(ana, "state", name, bad);
		put(g, "ana", ana, bad);
		put(g, "grpid", json_object_new_int64(p->ana[i].grpid), bad);
		push(arr, g, bad);
	}
	return arr;
}

static struct json_object *port_json(const struct kt_cfg_port *p, bool *bad)
{
	struct json_object *o = json_object_new_object();
	struct json_object *addr = json_object_new_object();
	struct json_object *param = json_object_new_object();
	if (!o || !addr || !param) {
		json_object_put(o);
		json_object_put(addr);
		json_object_put(param);
		*bad = true;
		return NULL;
	}
	put_str(addr, "adrfam", p->adrfam ? p->adrfam : "ipv4", bad);
	put_str(addr, "traddr", p->traddr ? p->traddr : "", bad);
	put_str(addr, "treq", p->treq ? p->treq : "not specified", bad);
	put_str(addr, "trsvcid", p->trsvcid ? p->trsvcid : "4420", bad);
	put_str(addr, "trtype", p->trtype ? p->trtype : "tcp", bad);
	put_str(addr, "tsas", p->tsas ? p->tsas : "none", bad);
	put(o, "addr", addr, bad);
	put(o, "ana_groups", ana_groups_json(p, bad), bad);
	if (p->inline_data_size)
		put_fmt(param, "inline_data_size", bad, "%u", p->inline_data_size);
	put(o, "param", param, bad);
	put(o, "portid", json_object_new_int(p->portid), bad);
	put(o, "referrals", json_object_new_array(), bad);
	put(o, "subsystems", str_array(p->subsystems, p->n_subsystems, bad), bad);
	return o;
}

/* A fraction of KATO in thousandths as the shortest exact decimal with at
 * least one digit after the point (500 -> "0.5", 2000 -> "2.0", 1234 ->
 * "1.234"): json-c would print the double 0.1 as 0.10000000000000001. */
static struct json_object *permille_json(uint32_t permille)
{
	char ds[32];
	snprintf(ds, sizeof(ds), "%u.%03u", permille / 1000, permille % 1000);
	size_t n = strlen(ds);
	while (n > 3 && ds[n - 1] == '0' && ds[n - 2] != '.')
		ds[--n] = '\0';
	return json_object_new_double_s(permille / 1000.0, ds);
}

/* The one writer of a keep-alive policy rule: the config file's
 * "katod.keepalive.policy" entries (below), and the control socket's
 * keepalive.policy.* answers, controllers.list and config.save
 * (daemon/control/rpc_keepalive.c, daemon/control/rpc.c). */
struct json_object *kt_config_ka_rule_json(const struct kt_kapol_scope *s, const struct kt_kapol *p)
{
	bool bad = false;
	struct json_object *j = json_object_new_object();
	if (!j)
		return NULL;
	if (s && s->kind == KT_KAPOL_CNTLID)
		put(j, "cntlid", json_object_new_int(s->cntlid), &bad);
	else if (s)
		put_str(j, s->kind == KT_KAPOL_HOST ? "host" : "subsystem", s->nqn, &bad);
	if (p->set & KT_KAPOL_F_DELAY)
		put(j, "delay_ms", json_object_new_int64(p->delay_ms), &bad);
	if (p->set & KT_KAPOL_F_DROP)
		put(j, "drop", json_object_new_boolean(p->drop), &bad);
	if (p->set & KT_KAPOL_F_STATUS)
		put(j, "status", json_object_new_int(p->status), &bad);
	if (p->set & KT_KAPOL_F_EXPIRE) {
		if (p->expire_permille)
			put(j, "expire", permille_json(p->expire_permille), &bad);
		else
			put_str(j, "expire", "never", &bad);
	}
	if (p->set & KT_KAPOL_F_IGNORE_TRAFFIC)
		put(j, "ignore_traffic", json_object_new_boolean(p->ignore_traffic), &bad);
	/* true (Invalid Field in Command, DNR), false, or the status to fail with */
	if (p->set & KT_KAPOL_F_REFUSE_SET_KATO) {
		if (p->refuse_set_kato && p->refuse_status)
			put(j, "refuse_set_kato", json_object_new_int(p->refuse_status), &bad);
		else
			put(j, "refuse_set_kato", json_object_new_boolean(p->refuse_set_kato), &bad);
	}
	if (p->set & KT_KAPOL_F_KAS)
		put(j, "kas", json_object_new_int(p->kas), &bad);
	if (bad) {
		json_object_put(j);
		return NULL;
	}
	return j;
}

/* ppm / 1e6 as the exact decimal, e.g. "0.25", "0.000001", "1.0". */
static struct json_object *ppm_json(uint32_t ppm)
{
	char ds[32];
	snprintf(ds, sizeof(ds), "%u.%06u", ppm / KT_FAULT_PPM, ppm % KT_FAULT_PPM);
	size_t n = strlen(ds);
	while (n > 3 && ds[n - 1] == '0' && ds[n - 2] != '.')
		ds[--n] = '\0';
	return json_object_new_double_s(ppm / (double)KT_FAULT_PPM, ds);
}

/* A fault status as an object: its name when it has one, else "sct" and
 * "sc"; "dnr" always, "more" and "crd" when set. */
static struct json_object *fault_status_json(uint16_t st, bool *bad)
{
	struct json_object *o = json_object_new_object();
	if (!o) {
		*bad = true;
		return NULL;
	}
	const char *name = kt_fault_status_name(st);
	if (name) {
		put_str(o, "name", name, bad);
	} else {
		put(o, "sct", json_object_new_int((st >> NVME_SCT_SHIFT) & NVME_SCT_MASK), bad);
		put(o, "sc", json_object_new_int(st & NVME_SC_MASK), bad);
	}
	put(o, "dnr", json_object_new_boolean(!!(st & KT_SC_DNR)), bad);
	if (st & NVME_SC_MORE)
		put(o, "more", json_object_new_boolean(true), bad);
	if (st & NVME_SC_CRD)
		put(o, "crd", json_object_new_int((st & NVME_SC_CRD) >> 11), bad);
	return o;
}

static struct json_object *fault_match_json(const struct kt_fault_match *m, bool *bad)
{
	struct json_object *o = json_object_new_object();
	if (!o) {
		*bad = true;
		return NULL;
	}
	if (m->has & KT_FAULT_M_HOST)
		put_str(o, "host", m->host, bad);
	if (m->has & KT_FAULT_M_SUBSYS)
		put_str(o, "subsystem", m->subsys, bad);
	if (m->has & KT_FAULT_M_CNTLID)
		put(o, "cntlid", json_object_new_int(m->cntlid), bad);
	if (m->has & KT_FAULT_M_QID)
		put(o, "qid", json_object_new_int(m->qid), bad);
	if (m->has & KT_FAULT_M_SET)
		put_str(o, "set", kt_fault_set_name(m->set) ? kt_fault_set_name(m->set) : "?", bad);
	if (m->has & KT_FAULT_M_OPCODE) {
		const char *name = kt_fault_opcode_name(m->set, m->opcode);
		if (name)
			put_str(o, "opcode", name, bad);
		else
			put(o, "opcode", json_object_new_int(m->opcode), bad);
	}
	if (m->has & KT_FAULT_M_NSID)
		put(o, "nsid", json_object_new_int64(m->nsid), bad);
	if (m->has & KT_FAULT_M_LBA) {
		struct json_object *a = json_object_new_array();
		if (a) {
			push(a, json_object_new_uint64(m->lba_first), bad);
			push(a, json_object_new_uint64(m->lba_last), bad);
		}
		put(o, "lba", a, bad);
	}
	return o;
}

static struct json_object *fault_action_json(const struct kt_fault_action *a, bool *bad)
{
	struct json_object *o = json_object_new_object();
	if (!o) {
		*bad = true;
		return NULL;
	}
	switch (a->kind) {
	case KT_FAULT_DELAY:
		put(o, "delay_ms", json_object_new_int64(a->ms), bad);
		break;
	case KT_FAULT_STALL_READS:
		put(o, "stall_reads_ms", json_object_new_int64(a->ms), bad);
		break;
	case KT_FAULT_HOLD:
		put(o, "hold", json_object_new_boolean(true), bad);
		break;
	case KT_FAULT_CORRUPT_DDGST:
		put(o, "corrupt_data_digest", json_object_new_boolean(true), bad);
		break;
	case KT_FAULT_STATUS:
		put(o, "status", fault_status_json(a->status, bad), bad);
		break;
	case KT_FAULT_CLOSE_BEFORE:
	case KT_FAULT_CLOSE_AFTER:
		put_str(o, "close", a->kind == KT_FAULT_CLOSE_BEFORE ? "before" : "after", bad);
		break;
	case KT_FAULT_NONE:
		break;
	}
	return o;
}

static struct json_object *fault_fire_json(const struct kt_fault_fire *f, bool *bad)
{
	if (f->kind == KT_FAULT_FIRE_ALWAYS)
		return json_object_new_string("always");
	struct json_object *o = json_object_new_object();
	if (!o) {
		*bad = true;
		return NULL;
	}
	if (f->kind == KT_FAULT_FIRE_FIRST) {
		put(o, "first", json_object_new_int64(f->first), bad);
	} else {
		put(o, "probability", ppm_json(f->ppm), bad);
		/* an integer while JSON readers keep it exact, else hex */
		if (f->seed <= (uint64_t)INT64_MAX)
			put(o, "seed", json_object_new_int64((int64_t)f->seed), bad);
		else
			put_fmt(o, "seed", bad, "0x%016" PRIx64, f->seed);
	}
	return o;
}

/* The one writer of a fault rule: the config file's "katod.faults"
 * entries (below), and the control socket's answers. */
struct json_object *kt_config_fault_rule_json(const struct kt_fault_rule *r)
{
	bool bad = false;
	struct json_object *j = json_object_new_object();
	if (!j)
		return NULL;
	if (r->name[0])
		put_str(j, "name", r->name, &bad);
	if (r->match.has)
		put(j, "match", fault_match_json(&r->match, &bad), &bad);
	put(j, "action", fault_action_json(&r->action, &bad), &bad);
	put(j, "fire", fault_fire_json(&r->fire, &bad), &bad);
	if (r->expire_ms)
		put(j, "expire_ms", json_object_new_int64((int64_t)r->expire_ms), &bad);
	if (bad) {
		json_object_put(j);
		return NULL;
	}
	return j;
}

/* "katod"."keepalive": the settings, and the policy rules with only the
 * fields each decides. */
static struct json_object *keepalive_json(const struct kt_cfg_daemon *d, bool *bad)
{
	struct json_object *o = json_object_new_object();
	struct json_object *rules = json_object_new_array();
	if (!o || !rules) {
		json_object_put(o);
		json_object_put(rules);
		*bad = true;
		return NULL;
	}
	put(o, "tbkas", json_object_new_boolean(d->tbkas), bad);
	put(o, "tcp_idle_s", json_object_new_int64(d->tcp_ka_idle_s), bad);
	put(o, "tcp_interval_s", json_object_new_int64(d->tcp_ka_interval_s), bad);
	put(o, "tcp_count", json_object_new_int64(d->tcp_ka_count), bad);
	if (d->ka_trace)
		put_str(o, "trace", d->ka_trace, bad);
	for (size_t i = 0; i < d->n_ka_rules; i++)
		push(rules, kt_config_ka_rule_json(&d->ka_rules[i].scope, &d->ka_rules[i].pol), bad);
	put(o, "policy", rules, bad);
	return o;
}

static struct json_object *daemon_json(const struct kt_cfg_daemon *d, bool *bad)
{
	struct json_object *o = json_object_new_object();
	if (!o) {
		*bad = true;
		return NULL;
	}
	if (d->control_socket)
		put_str(o, "control_socket", d->control_socket, bad);
	put(o, "digests", json_object_new_boolean(d->digests), bad);
	put(o, "disc_activity_timeout_ms", json_object_new_int64(d->disc_activity_timeout_ms), bad);
	if (d->discovery_nqn)
		put_str(o, "discovery_nqn", d->discovery_nqn, bad);
	if (d->n_faults) {
		struct json_object *faults = json_object_new_array();
		for (size_t i = 0; faults && i < d->n_faults; i++)
			push(faults, kt_config_fault_rule_json(&d->faults[i]), bad);
		put(o, "faults", faults, bad);
	}
	put(o, "kas", json_object_new_int64(d->kas), bad);
	/* written only when it differs from the defaults */
	if (!d->tbkas || d->tcp_ka_idle_s != 30 || d->tcp_ka_interval_s != 5 || d->tcp_ka_count != 3 ||
	    d->ka_trace || d->n_ka_rules)
		put(o, "keepalive", keepalive_json(d, bad), bad);
	put_str(o, "log_level", d->log_level ? d->log_level : "info", bad);
	put(o, "max_queue_size", json_object_new_int64(d->max_queue_size), bad);
	put(o, "mdts", json_object_new_int64(d->mdts), bad);
	if (d->tls_keyring)
		put_str(o, "tls_keyring", d->tls_keyring, bad);
	put(o, "workers", json_object_new_int64(d->workers), bad);
	return o;
}

/* Copies json-c's pretty output, writing empty containers as "[]" and "{}"
 * as nvmetcli does (json-c puts a line break inside). A raw newline never
 * occurs inside a JSON string, so a bracket followed by one is structure.
 * Returns the length written (no NUL). */
static size_t compact_empty(char *dst, const char *src)
{
	size_t n = 0;
	for (const char *p = src; *p; p++) {
		dst[n++] = *p;
		if ((*p == '[' || *p == '{') && p[1] == '\n') {
			const char *q = p + 2;
			while (*q == ' ')
				q++;
			if (*q == (*p == '[' ? ']' : '}')) {
				dst[n++] = *q;
				p = q;
			}
		}
	}
	return n;
}

/* A host's DH-HMAC-CHAP settings, in nvmetcli's attribute-group form
 * ("dhchap": {"key", "ctrl_key", "hash", "dhgroup"}: config.c's load_host
 * says why), only when one differs from nvmet's defaults (no key,
 * hmac(sha256), null), so a host without them is written as nvmetcli
 * writes it. The keys are written as they are (as nvmetcli writes every
 * attribute, secrets included): the file is the user's. */
static void host_auth_json(struct json_object *h, const struct kt_cfg_host_auth *a, bool *bad)
{
	if (!a->key && !a->ctrl_key && a->hash_id == KT_DHCHAP_SHA256 && a->dhgid == KT_DHCHAP_DH_NULL)
		return;
	struct json_object *g = json_object_new_object();
	if (!g) {
		*bad = true;
		return;
	}
	put_str(g, "key", a->key ? a->key : "", bad);
	put_str(g, "ctrl_key", a->ctrl_key ? a->ctrl_key : "", bad);
	const char *hash = kt_auth_hash_attr(a->hash_id), *dh = kt_auth_dhgroup_attr(a->dhgid);
	put_str(g, "hash", hash ? hash : "hmac(sha256)", bad);
	put_str(g, "dhgroup", dh ? dh : "null", bad);
	put(h, "dhchap", g, bad);
}

/* A host's TLS PSKs (kato's "tls" group, config.c's load_host), only when
 * it has one or a derivation other than both. Keys written as they are. */
static void host_tls_json(struct json_object *h, const struct kt_cfg_host_auth *a, bool *bad)
{
	if (!a->tls_key && !a->tls_derive && !a->n_tls_sub)
		return;
	struct json_object *g = json_object_new_object();
	if (!g) {
		*bad = true;
		return;
	}
	if (a->tls_key)
		put_str(g, "key", a->tls_key, bad);
	put_str(g, "derive", a->tls_derive == KT_TLS_DERIVE_RFC ? "rfc"
			     : a->tls_derive == KT_TLS_DERIVE_COMPAT ? "compat" : "both", bad);
	if (a->n_tls_sub) {
		struct json_object *sk = json_object_new_object();
		if (!sk)
			*bad = true;
		for (size_t k = 0; sk && k < a->n_tls_sub; k++)
			put_str(sk, a->tls_sub_nqn[k], a->tls_sub_key[k], bad);
		put(g, "subsystem_keys", sk, bad);
	}
	put(h, "tls", g, bad);
}

int kt_config_to_json(const struct kt_config *cfg, char **out)
{
	*out = NULL;
	bool bad = false;
	struct json_object *root = json_object_new_object();
	struct json_object *hosts = json_object_new_array();
	struct json_object *ports = json_object_new_array();
	struct json_object *subs = json_object_new_array();
	if (!root || !hosts || !ports || !subs) {
		json_object_put(root);
		json_object_put(hosts);
		json_object_put(ports);
		json_object_put(subs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_hosts; i++) {
		struct json_object *h = json_object_new_object();
		if (h) {
			put_str(h, "nqn", cfg->hosts[i], &bad);
			if (cfg->host_auth) {
				host_auth_json(h, &cfg->host_auth[i], &bad);
				host_tls_json(h, &cfg->host_auth[i], &bad);
			}
		}
		push(hosts, h, &bad);
	}
	for (size_t i = 0; i < cfg->n_ports; i++)
		push(ports, port_json(&cfg->ports[i], &bad), &bad);
	for (size_t i = 0; i < cfg->n_subsys; i++)
		push(subs, subsys_json(&cfg->subsys[i], &bad), &bad);
	put(root, "hosts", hosts, &bad);
	put(root, "katod", daemon_json(&cfg->daemon, &bad), &bad);
	put(root, "ports", ports, &bad);
	put(root, "subsystems", subs, &bad);
	if (!bad) {
		const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
								     JSON_C_TO_STRING_SPACED |
								     JSON_C_TO_STRING_NOSLASHESCAPE);
		size_t len = s ? strlen(s) : 0;
		*out = s ? malloc(len + 2) : NULL;
		if (*out) {
			size_t n = compact_empty(*out, s);
			(*out)[n] = '\n';
			(*out)[n + 1] = '\0';
		}
	}
	json_object_put(root);
	return *out ? 0 : -ENOMEM;
}

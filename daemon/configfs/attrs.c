/*
 * attrs.c - the attribute table of kato-configfs (see attrs.h): every
 * attribute file of drivers/nvme/target/configfs.c, by name, with nvmet's
 * parsing and refusals, mapped onto katod's control methods.
 *
 * The rules taken from nvmet, because scripts depend on them:
 * - a port's addr_* and param_* are read-only once it is enabled (a
 *   subsystem linked): EACCES, nvmet's answer (not EBUSY);
 * - a namespace's device_path, device_uuid, device_nguid are refused while
 *   it is enabled with EBUSY; buffered_io and resv_enable with EINVAL;
 * - a value nvmet would not parse is EINVAL (booleans as kstrtobool takes
 *   them: 1/0, y/n, t/f, on/off; numbers with a 0x or 0 prefix);
 * - attr_allow_any_host=1 while allowed_hosts lists a host is EINVAL;
 * - attr_qid_max disconnects the subsystem's controllers, so that hosts
 *   reconnect with the new count (nvmet's "force reconnect");
 * - a host's dhchap_key and dhchap_ctrl_key show the key as written, an
 *   empty value takes it away, a hash or DH group is found by its leading
 *   name (nvme_auth_hmac_id, nvme_auth_dhgroup_id); every write is live
 *   (hosts.set). A key is never logged, not even a refused one.
 * What katod cannot do answers EOPNOTSUPP and says why in the log: other
 * ANA states than optimized, per-port max_queue_size
 * and mdts (katod's are daemon-wide), protection information,
 * reservations, revalidate_size, changing the discovery NQN or TBKAS
 * live. Writing the value an attribute already shows is accepted.
 * Transports other than tcp and address families other than ipv4/ipv6
 * are EINVAL at the write, as nvmet answers for a transport it does not
 * have. TLS (addr_tsas tls1.3, addr_treq required or not required) is
 * katod's port "tsas"/"treq"; katod checks the pair when the port is
 * enabled (its first link): treq required without tls1.3 is EINVAL then.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "daemon/configfs/attrs.h"
#include "daemon/configfs/log.h"
#include "daemon/configfs/objects.h"
#include "daemon/configfs/pending.h"
#include "daemon/configfs/rpc.h"
#include "daemon/configfs/view.h"

#define DEFAULT_DISCOVERY_NQN "nqn.2014-08.org.nvmexpress.discovery"

/* ---- values ----------------------------------------------------------- */

static int show(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int show(char *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, KCFS_ATTR_MAX, fmt, ap);
	va_end(ap);
	return 0;
}

/* kstrtobool's words */
static int parse_bool(const char *v, bool *out)
{
	switch (v[0]) {
	case 'y': case 'Y': case 't': case 'T': case '1':
		*out = true;
		return 0;
	case 'n': case 'N': case 'f': case 'F': case '0':
		*out = false;
		return 0;
	case 'o': case 'O':
		if (v[1] == 'n' || v[1] == 'N') {
			*out = true;
			return 0;
		}
		if (v[1] == 'f' || v[1] == 'F') {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* kstrtoll's: decimal, 0x hex or 0 octal, the whole string. */
static int parse_ll(const char *v, long long lo, long long hi, long long *out)
{
	char *end;
	if (!*v || isspace((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	long long x = strtoll(v, &end, 0);
	if (errno || *end || x < lo || x > hi)
		return -EINVAL;
	*out = x;
	return 0;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* A UUID as uuid_parse takes it (8-4-4-4-12 hex digits), lowercased. */
static int parse_uuid(const char *v, char out[37])
{
	if (strlen(v) != 36)
		return -EINVAL;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? v[i] != '-' : !isxdigit((unsigned char)v[i]))
			return -EINVAL;
		out[i] = (char)tolower((unsigned char)v[i]);
	}
	out[36] = '\0';
	return 0;
}

/* 16 bytes in UUID layout from 32 hex digits. */
static void uuid_layout(const uint8_t b[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* An NGUID as nvmet reads it: 16 pairs of hex digits, each optionally
 * followed by '-' or ':'; shown in UUID layout. */
static int parse_nguid(const char *v, char out[37])
{
	uint8_t b[16];
	const char *p = v;
	for (int i = 0; i < 16; i++) {
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
			return -EINVAL;
		b[i] = (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
		p += 2;
		if (*p == '-' || *p == ':')
			p++;
	}
	uuid_layout(b, out);
	return 0;
}

/* One of names (NULL-ended): its index, or -1. */
static int one_of(const char *v, const char *const names[])
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(v, names[i]))
			return i;
	return -1;
}

/* ---- root ------------------------------------------------------------- */

static const char *discovery_nqn(struct json_object *cfg)
{
	struct json_object *k = NULL;
	json_object_object_get_ex(cfg, "katod", &k);
	return kcfs_v_str(k, NULL, "discovery_nqn", DEFAULT_DISCOVERY_NQN);
}

static int show_discovery_nqn(const struct kcfs_node *n, char *buf)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_NVMET, &o);
	return r < 0 ? r : show(buf, "%s\n", discovery_nqn(o.cfg));
}

static int store_discovery_nqn(const struct kcfs_node *n, const char *v)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_NVMET, &o);
	if (r < 0)
		return r;
	if (!*v || strlen(v) > 223)
		return kcfs_refuse(-EINVAL, "discovery_nqn: 1 to 223 bytes");
	if (!strcmp(v, discovery_nqn(o.cfg)))
		return 0;
	return kcfs_refuse(-EOPNOTSUPP, "discovery_nqn: katod takes it at start only (katod.discovery_nqn)");
}

/* ---- subsystems ------------------------------------------------------- */

static int subsys_set(const struct kcfs_node *n, const char *key, const char *value)
{
	return kcfs_callv("subsystems.set", NULL, "nqn", n->nqn, key, value, (const char *)NULL);
}

/* The subsystems.list entry's field (katod's effective value). */
static int show_listed(const struct kcfs_node *n, char *buf, const char *key)
{
	struct json_object *e;
	int r = kcfs_view_subsys_list(n->nqn, &e);
	return r < 0 ? r : show(buf, "%s\n", kcfs_v_str(e, NULL, key, ""));
}

static int show_allow_any_host(const struct kcfs_node *n, char *buf)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_SUBSYS, &o);
	return r < 0 ? r : show(buf, "%d\n", kcfs_v_int(o.subsys, "attr", "allow_any_host", 0) ? 1 : 0);
}

static int store_allow_any_host(const struct kcfs_node *n, const char *v)
{
	struct kcfs_obj o;
	bool b;
	int r = kcfs_obj_get(n, K_SUBSYS, &o);
	if (r < 0 || (r = parse_bool(v, &b)) < 0)
		return r;
	if (b && json_object_array_length(kcfs_v_array(o.subsys, "allowed_hosts")))
		return kcfs_refuse(-EINVAL, "%s: can't set allow_any_host when explicit hosts are set", n->nqn);
	return subsys_set(n, "allow_any_host", b ? "1" : "0");
}

static int show_version(const struct kcfs_node *n, char *buf)
{
	return show_listed(n, buf, "version");
}

static int store_version(const struct kcfs_node *n, const char *v)
{
	int major, minor, ter = 0;
	char s[40];
	int k = sscanf(v, "%d.%d.%d", &major, &minor, &ter);
	if (k != 2 && k != 3)
		return -EINVAL;
	if (k == 3)
		snprintf(s, sizeof(s), "%d.%d.%d", major, minor, ter);
	else
		snprintf(s, sizeof(s), "%d.%d", major, minor);
	return subsys_set(n, "version", s);
}

/* serial, model, firmware: 1..max printable ASCII bytes */
static int store_ident(const struct kcfs_node *n, const char *v, const char *key, size_t max)
{
	if (!*v || strlen(v) > max || !printable(v))
		return kcfs_refuse(-EINVAL, "%s: %s: 1 to %zu printable ASCII bytes", n->nqn, key, max);
	return subsys_set(n, key, v);
}

static int show_serial(const struct kcfs_node *n, char *buf)
{
	return show_listed(n, buf, "serial");
}

static int store_serial(const struct kcfs_node *n, const char *v)
{
	return store_ident(n, v, "serial", 20);
}

static int show_model(const struct kcfs_node *n, char *buf)
{
	return show_listed(n, buf, "model");
}

static int store_model(const struct kcfs_node *n, const char *v)
{
	return store_ident(n, v, "model", 40);
}

static int show_firmware(const struct kcfs_node *n, char *buf)
{
	return show_listed(n, buf, "firmware");
}

static int store_firmware(const struct kcfs_node *n, const char *v)
{
	return store_ident(n, v, "firmware", 8);
}

static int show_ieee_oui(const struct kcfs_node *n, char *buf)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_SUBSYS, &o);
	return r < 0 ? r : show(buf, "0x%06llx\n", (long long)kcfs_v_int(o.subsys, "attr", "ieee_oui", 0));
}

static int store_ieee_oui(const struct kcfs_node *n, const char *v)
{
	long long x;
	char s[16];
	if (parse_ll(v, 0, 0xffffff, &x) < 0)
		return -EINVAL;
	snprintf(s, sizeof(s), "0x%06llx", x);
	return subsys_set(n, "ieee_oui", s);
}

static int show_cntlid_min(const struct kcfs_node *n, char *buf)
{
	return show_listed(n, buf, "cntlid_min");
}

static int show_cntlid_max(const struct kcfs_node *n, char *buf)
{
	return show_listed(n, buf, "cntlid_max");
}

static int store_cntlid(const struct kcfs_node *n, const char *v, const char *key)
{
	long long x;
	char s[16];
	if (parse_ll(v, 1, 65535, &x) < 0)
		return -EINVAL;
	snprintf(s, sizeof(s), "%lld", x);
	return subsys_set(n, key, s);
}

static int store_cntlid_min(const struct kcfs_node *n, const char *v)
{
	return store_cntlid(n, v, "cntlid_min");
}

static int store_cntlid_max(const struct kcfs_node *n, const char *v)
{
	return store_cntlid(n, v, "cntlid_max");
}

static int show_qid_max(const struct kcfs_node *n, char *buf)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_SUBSYS, &o);
	return r < 0 ? r : show(buf, "%lld\n", (long long)kcfs_v_int(o.subsys, "attr", "qid_max", 128));
}

static int store_qid_max(const struct kcfs_node *n, const char *v)
{
	long long x;
	char s[16];
	if (parse_ll(v, 1, 128, &x) < 0) /* NVMET_NR_QUEUES */
		return -EINVAL;
	snprintf(s, sizeof(s), "%lld", x);
	int r = subsys_set(n, "qid_max", s);
	if (r < 0)
		return r;
	/* nvmet forces a reconnect: the new count applies at the next Connect */
	struct json_object *ctrls = NULL;
	if (kcfs_callv("controllers.list", &ctrls, "subsystem", n->nqn, (const char *)NULL) < 0)
		return 0;
	for (size_t i = 0; i < json_object_array_length(ctrls); i++) {
		struct json_object *p = json_object_new_object();
		json_object_object_add(p, "subsystem", json_object_new_string(n->nqn));
		json_object_object_add(p, "cntlid", json_object_new_int64(
			kcfs_v_int(json_object_array_get_idx(ctrls, i), NULL, "cntlid", 0)));
		kcfs_call("controllers.disconnect", p, NULL); /* gone meanwhile: nothing to do */
	}
	json_object_put(ctrls);
	return 0;
}

/* An attribute katod fixes: writing its value is accepted, another refused. */
static int store_fixed(const struct kcfs_node *n, long long have, long long v, const char *why)
{
	if (v == have)
		return 0;
	return kcfs_refuse(-EOPNOTSUPP, "%s: %s", n->name, why);
}

static int show_zero_hex(const struct kcfs_node *n, char *buf)
{
	return show(buf, "0x0\n");
}

static int store_vendor_id(const struct kcfs_node *n, const char *v)
{
	long long x;
	if (parse_ll(v, 0, 0xffff, &x) < 0)
		return -EINVAL;
	return store_fixed(n, 0, x, "katod reports PCI vendor ids 0");
}

static int tbkas(struct json_object *cfg)
{
	struct json_object *k = NULL;
	json_object_object_get_ex(cfg, "katod", &k);
	return kcfs_v_int(k, "keepalive", "tbkas", 1) ? 1 : 0;
}

static int show_tbkas(const struct kcfs_node *n, char *buf)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_SUBSYS, &o);
	return r < 0 ? r : show(buf, "%d\n", tbkas(o.cfg));
}

static int store_tbkas(const struct kcfs_node *n, const char *v)
{
	struct kcfs_obj o;
	bool b;
	int r = kcfs_obj_get(n, K_SUBSYS, &o);
	if (r < 0 || (r = parse_bool(v, &b)) < 0)
		return r;
	return store_fixed(n, tbkas(o.cfg), b, "katod sets TBKAS for every subsystem, at start (katod.keepalive.tbkas)");
}

static int show_zero(const struct kcfs_node *n, char *buf)
{
	return show(buf, "0\n");
}

static int store_pi_enable(const struct kcfs_node *n, const char *v)
{
	bool b;
	int r = parse_bool(v, &b);
	return r < 0 ? r : store_fixed(n, 0, b, "katod has no protection information");
}

/* ---- namespaces ------------------------------------------------------- */

static bool ns_enabled(const struct kcfs_obj *o)
{
	return o->live && kcfs_v_int(o->live, NULL, "enable", 1) != 0;
}

/* A change to a namespace katod has (not enabled): namespaces.set. */
static int ns_set(const struct kcfs_node *n, const char *key, struct json_object *v)
{
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "subsystem", json_object_new_string(n->nqn));
	json_object_object_add(p, "nsid", json_object_new_int64(n->nsid));
	json_object_object_add(p, key, v);
	return kcfs_call("namespaces.set", p, NULL);
}

/* The namespace, refused with `busy` while it is enabled. */
static int ns_writable(const struct kcfs_node *n, struct kcfs_obj *o, int busy)
{
	int r = kcfs_obj_get(n, K_NS, o);
	if (r < 0)
		return r;
	if (ns_enabled(o))
		return kcfs_refuse(busy, "%s namespace %u: %s: disable it first (echo 0 > enable)", n->nqn,
				   n->nsid, n->name);
	return 0;
}

static int show_device_path(const struct kcfs_node *n, char *buf)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_NS, &o);
	if (r < 0)
		return r;
	if (o.live)
		return show(buf, "%s\n", kcfs_v_str(o.live, "device", "path", ""));
	return show(buf, "%s\n", o.pns->path ? o.pns->path : "");
}

static int store_device_path(const struct kcfs_node *n, const char *v)
{
	struct kcfs_obj o;
	int r = ns_writable(n, &o, -EBUSY);
	if (r < 0)
		return r;
	size_t len = strcspn(v, "\n");
	if (!len)
		return -EINVAL;
	char *path = strndup(v, len);
	if (!path)
		return -ENOMEM;
	if (o.live) {
		r = ns_set(n, "path", json_object_new_string(path));
		free(path);
		return r;
	}
	free(o.pns->path);
	o.pns->path = path;
	return 0;
}

static int show_device_uuid(const struct kcfs_node *n, char *buf)
{
	struct kcfs_obj o;
	struct json_object *e;
	int r = kcfs_obj_get(n, K_NS, &o);
	if (r < 0)
		return r;
	if (o.pns)
		return show(buf, "%s\n", o.pns->uuid);
	r = kcfs_view_ns_list(n->nqn, n->nsid, &e);
	return r < 0 ? r : show(buf, "%s\n", kcfs_v_str(e, NULL, "uuid", ""));
}

static int store_device_uuid(const struct kcfs_node *n, const char *v)
{
	struct kcfs_obj o;
	char u[37];
	int r = ns_writable(n, &o, -EBUSY);
	if (r < 0 || (r = parse_uuid(v, u)) < 0)
		return r;
	if (o.live)
		return ns_set(n, "uuid", json_object_new_string(u));
	memcpy(o.pns->uuid, u, sizeof(u));
	return 0;
}

static int show_device_nguid(const struct kcfs_node *n, char *buf)
{
	struct kcfs_obj o;
	struct json_object *e;
	char g[37];
	int r = kcfs_obj_get(n, K_NS, &o);
	if (r < 0)
		return r;
	if (o.pns)
		return show(buf, "%s\n", o.pns->nguid[0] ? o.pns->nguid : "00000000-0000-0000-0000-000000000000");
	if ((r = kcfs_view_ns_list(n->nqn, n->nsid, &e)) < 0)
		return r;
	/* namespaces.list: 32 hex digits; nvmet shows the UUID layout */
	if (parse_nguid(kcfs_v_str(e, NULL, "nguid", ""), g) < 0)
		g[0] = '\0';
	return show(buf, "%s\n", g);
}

static int store_device_nguid(const struct kcfs_node *n, const char *v)
{
	struct kcfs_obj o;
	char g[37];
	int r = ns_writable(n, &o, -EBUSY);
	if (r < 0 || (r = parse_nguid(v, g)) < 0)
		return r;
	if (o.live)
		return ns_set(n, "nguid", json_object_new_string(g));
	memcpy(o.pns->nguid, g, sizeof(g));
	return 0;
}

static int show_ana_grpid(const struct kcfs_node *n, char *buf)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_NS, &o);
	if (r < 0)
		return r;
	return show(buf, "%lld\n", o.live ? (long long)kcfs_v_int(o.live, NULL, "ana_grpid", 1) : (long long)o.pns->ana_grpid);
}

static int store_ana_grpid(const struct kcfs_node *n, const char *v)
{
	struct kcfs_obj o;
	long long x;
	int r = kcfs_obj_get(n, K_NS, &o);
	if (r < 0 || (r = parse_ll(v, 1, 128, &x)) < 0) /* NVMET_MAX_ANAGRPS */
		return r;
	if (o.live)
		return ns_set(n, "ana_grpid", json_object_new_int64(x));
	o.pns->ana_grpid = (uint32_t)x;
	return 0;
}

static int show_enable(const struct kcfs_node *n, char *buf)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_NS, &o);
	return r < 0 ? r : show(buf, "%d\n", ns_enabled(&o) ? 1 : 0);
}

/* enable=1 on a namespace held here: katod opens its device_path now. */
static int ns_add(const struct kcfs_node *n, const struct kcfs_pns *p)
{
	if (!p->path)
		return kcfs_refuse(-EINVAL, "%s namespace %u: device_path is not set", n->nqn, n->nsid);
	struct json_object *q = json_object_new_object();
	json_object_object_add(q, "subsystem", json_object_new_string(n->nqn));
	json_object_object_add(q, "nsid", json_object_new_int64(n->nsid));
	json_object_object_add(q, "path", json_object_new_string(p->path));
	json_object_object_add(q, "uuid", json_object_new_string(p->uuid));
	if (p->nguid[0])
		json_object_object_add(q, "nguid", json_object_new_string(p->nguid));
	json_object_object_add(q, "ana_grpid", json_object_new_int64(p->ana_grpid));
	if (p->buffered_io)
		json_object_object_add(q, "buffered_io", json_object_new_boolean(1));
	int r = kcfs_call("namespaces.add", q, NULL);
	if (r == 0)
		kcfs_pns_del(n->nqn, n->nsid);
	return r;
}

/* enable=0 on a namespace katod serves: it is removed from katod (hosts see
 * it go, as with nvmet) and held here with what katod had, its effective
 * UUID included, so that enable=1 brings back the same namespace. */
static int ns_disable(const struct kcfs_node *n, const struct kcfs_obj *o)
{
	struct json_object *e;
	struct kcfs_pns *p;
	char uuid[37] = "";
	if (kcfs_view_ns_list(n->nqn, n->nsid, &e) == 0 && parse_uuid(kcfs_v_str(e, NULL, "uuid", ""), uuid) < 0)
		uuid[0] = '\0';
	const char *path = kcfs_v_str(o->live, "device", "path", NULL);
	const char *nguid = kcfs_v_str(o->live, "device", "nguid", NULL);
	int grp = (int)kcfs_v_int(o->live, NULL, "ana_grpid", 1);
	bool bio = kcfs_v_int(o->live, "device", "buffered_io", 0) != 0;
	char *keep = path ? strdup(path) : NULL; /* o->live goes with the change */
	char g[37] = "";
	if (nguid && parse_nguid(nguid, g) < 0)
		g[0] = '\0';
	if (path && !keep)
		return -ENOMEM;
	struct json_object *q = json_object_new_object();
	json_object_object_add(q, "subsystem", json_object_new_string(n->nqn));
	json_object_object_add(q, "nsid", json_object_new_int64(n->nsid));
	int r = kcfs_call("namespaces.remove", q, NULL);
	if (r == 0 && (r = kcfs_pns_add(n->nqn, n->nsid, &p)) == 0) {
		p->path = keep;
		keep = NULL;
		if (uuid[0])
			memcpy(p->uuid, uuid, sizeof(uuid));
		memcpy(p->nguid, g, sizeof(g));
		p->ana_grpid = (uint32_t)grp;
		p->buffered_io = bio;
	}
	free(keep);
	return r;
}

static int store_enable(const struct kcfs_node *n, const char *v)
{
	struct kcfs_obj o;
	bool on;
	int r = kcfs_obj_get(n, K_NS, &o);
	if (r < 0 || (r = parse_bool(v, &on)) < 0)
		return r;
	if (on == ns_enabled(&o))
		return 0; /* nvmet: enabling an enabled namespace, disabling a disabled one, do nothing */
	if (on && o.live) /* katod has it, not enabled (its configuration said "enable": 0) */
		return ns_set(n, "enable", json_object_new_int(1));
	return on ? ns_add(n, o.pns) : ns_disable(n, &o);
}

static int show_buffered_io(const struct kcfs_node *n, char *buf)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_NS, &o);
	if (r < 0)
		return r;
	return show(buf, "%d\n", o.live ? kcfs_v_int(o.live, "device", "buffered_io", 0) != 0 : o.pns->buffered_io);
}

static int store_buffered_io(const struct kcfs_node *n, const char *v)
{
	struct kcfs_obj o;
	bool b;
	int r = parse_bool(v, &b);
	if (r < 0 || (r = ns_writable(n, &o, -EINVAL)) < 0)
		return r;
	if (o.live)
		return ns_set(n, "buffered_io", json_object_new_boolean(b));
	o.pns->buffered_io = b;
	return 0;
}

static int store_revalidate_size(const struct kcfs_node *n, const char *v)
{
	struct kcfs_obj o;
	bool b;
	int r = parse_bool(v, &b);
	if (r < 0 || !b || (r = kcfs_obj_get(n, K_NS, &o)) < 0)
		return r < 0 ? r : -EINVAL;
	if (!ns_enabled(&o))
		return kcfs_refuse(-EINVAL, "%s namespace %u: enable it before revalidate_size", n->nqn, n->nsid);
	return kcfs_refuse(-EOPNOTSUPP, "%s namespace %u: katod reads the size when it opens the namespace",
			   n->nqn, n->nsid);
}

static int store_resv_enable(const struct kcfs_node *n, const char *v)
{
	struct kcfs_obj o;
	bool b;
	int r = parse_bool(v, &b);
	if (r < 0 || (r = ns_writable(n, &o, -EINVAL)) < 0)
		return r;
	return store_fixed(n, 0, b, "katod has no reservations");
}

/* ---- ports ------------------------------------------------------------ */

/* A port held here, for a write; a port that listens is read-only. */
static int port_writable(const struct kcfs_node *n, struct kcfs_pport **p)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_PORT, &o);
	if (r < 0)
		return r;
	if (o.live)
		return kcfs_refuse(-EACCES, "port %u: disable it (unlink its subsystems) before changing %s",
				   n->portid, n->name);
	*p = o.pport;
	return 0;
}

/* Shows a port's addr member: katod's, or the one held here. */
static int show_addr(const struct kcfs_node *n, char *buf, const char *key, size_t off)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_PORT, &o);
	if (r < 0)
		return r;
	if (o.live)
		return show(buf, "%s\n", kcfs_v_str(o.live, "addr", key, ""));
	return show(buf, "%s\n", (const char *)o.pport + off);
}

#define SHOW_ADDR(field)                                                               \
	static int show_addr_##field(const struct kcfs_node *n, char *buf)             \
	{                                                                              \
		return show_addr(n, buf, #field, offsetof(struct kcfs_pport, field)); \
	}
SHOW_ADDR(trtype)
SHOW_ADDR(adrfam)
SHOW_ADDR(traddr)
SHOW_ADDR(trsvcid)
SHOW_ADDR(treq)
SHOW_ADDR(tsas)

static int store_addr_trtype(const struct kcfs_node *n, const char *v)
{
	static const char *const names[] = { "rdma", "fc", "tcp", "pci", "loop", NULL };
	struct kcfs_pport *p;
	int r = port_writable(n, &p);
	if (r < 0)
		return r;
	if (one_of(v, names) < 0)
		return -EINVAL;
	if (strcmp(v, "tcp"))
		return kcfs_refuse(-EINVAL, "port %u: katod serves NVMe/TCP only", n->portid);
	strcpy(p->trtype, "tcp");
	strcpy(p->tsas, "none");
	return 0;
}

static int store_addr_adrfam(const struct kcfs_node *n, const char *v)
{
	static const char *const names[] = { "pcie", "ipv4", "ipv6", "ib", "fc", "pci", "loop", NULL };
	struct kcfs_pport *p;
	int r = port_writable(n, &p);
	if (r < 0)
		return r;
	if (one_of(v, names) < 0)
		return -EINVAL;
	if (strcmp(v, "ipv4") && strcmp(v, "ipv6"))
		return kcfs_refuse(-EINVAL, "port %u: katod serves ipv4 and ipv6 addresses only", n->portid);
	strcpy(p->adrfam, v);
	return 0;
}

/* traddr, trsvcid: the first word, as nvmet's sscanf("%s") takes it. */
static int store_word(const struct kcfs_node *n, const char *v, bool traddr)
{
	struct kcfs_pport *p;
	char w[300];
	int r = port_writable(n, &p);
	if (r < 0)
		return r;
	size_t cap = traddr ? sizeof(p->traddr) : sizeof(p->trsvcid);
	if (strlen(v) >= cap || sscanf(v, "%299s", w) != 1)
		return -EINVAL;
	strcpy(traddr ? p->traddr : p->trsvcid, w);
	return 0;
}

static int store_addr_traddr(const struct kcfs_node *n, const char *v)
{
	return store_word(n, v, true);
}

static int store_addr_trsvcid(const struct kcfs_node *n, const char *v)
{
	return store_word(n, v, false);
}

static int store_addr_treq(const struct kcfs_node *n, const char *v)
{
	static const char *const names[] = { "not specified", "required", "not required", NULL };
	struct kcfs_pport *p;
	int r = port_writable(n, &p);
	if (r < 0)
		return r;
	if (one_of(v, names) < 0)
		return -EINVAL;
	strcpy(p->treq, v);
	return 0;
}

static int store_addr_tsas(const struct kcfs_node *n, const char *v)
{
	struct kcfs_pport *p;
	int r = port_writable(n, &p);
	if (r < 0)
		return r;
	if (strcmp(p->trtype, "tcp") || (strcmp(v, "none") && strcmp(v, "tls1.3")))
		return -EINVAL;
	strcpy(p->tsas, !strcmp(v, "tls1.3") ? "tls1.3" : "none");
	return 0;
}

static int show_inline_data_size(const struct kcfs_node *n, char *buf)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_PORT, &o);
	if (r < 0)
		return r;
	return show(buf, "%lld\n", o.live ? (long long)kcfs_v_int(o.live, "param", "inline_data_size", -1)
					  : (long long)o.pport->inline_data_size);
}

static int store_inline_data_size(const struct kcfs_node *n, const char *v)
{
	struct kcfs_pport *p;
	long long x;
	int r = port_writable(n, &p);
	if (r < 0 || (r = parse_ll(v, -2147483647 - 1, 2147483647, &x)) < 0)
		return r;
	p->inline_data_size = (int)x;
	return 0;
}

static int show_minus_one(const struct kcfs_node *n, char *buf)
{
	return show(buf, "-1\n");
}

static int store_port_daemon_wide(const struct kcfs_node *n, const char *v)
{
	struct kcfs_pport *p;
	long long x;
	int r = port_writable(n, &p);
	if (r < 0 || (r = parse_ll(v, -2147483647 - 1, 2147483647, &x)) < 0)
		return r;
	return store_fixed(n, -1, x, "katod sets it for every port, at start (katod.max_queue_size, katod.mdts)");
}

static int store_port_pi_enable(const struct kcfs_node *n, const char *v)
{
	struct kcfs_pport *p;
	bool b;
	int r = parse_bool(v, &b);
	if (r < 0 || (r = port_writable(n, &p)) < 0)
		return r;
	return store_fixed(n, 0, b, "katod has no protection information");
}

/* ---- ANA groups ------------------------------------------------------- */

/* A port's group: its state in the port's ana_groups, else nvmet's
 * defaults (group 1 optimized); a write is ana.set. */
static int show_ana_state(const struct kcfs_node *n, char *buf)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_PORT, &o);
	if (r < 0)
		return r;
	struct json_object *g = o.live ? kcfs_v_ana_group(o.live, n->grpid) : NULL;
	const char *st = g ? kcfs_v_str(g, "ana", "state", NULL) : NULL;
	return show(buf, "%s\n", st ? st : n->grpid == 1 ? "optimized" : "inaccessible");
}

static int store_ana_state(const struct kcfs_node *n, const char *v)
{
	static const char *const names[] = { "optimized", "non-optimized", "inaccessible", "persistent-loss",
					     "change", NULL };
	int i = one_of(v, names);
	if (i < 0)
		return -EINVAL;
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_PORT, &o);
	if (r < 0)
		return r;
	if (!o.live)
		return kcfs_refuse(-EOPNOTSUPP, "port %u: enable the port (link a subsystem) before its ANA states",
				   n->portid);
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "portid", json_object_new_int64(n->portid));
	json_object_object_add(p, "grpid", json_object_new_int64(n->grpid));
	json_object_object_add(p, "state", json_object_new_string(names[i]));
	return kcfs_call("ana.set", p, NULL);
}

/* ---- hosts ----------------------------------------------------------- */

/* hosts.set of one DH-HMAC-CHAP attribute: katod checks the value, applies
 * it live (new Connects and the next re-authentication use it) and refuses
 * it with invalid parameters (EINVAL) in words that never hold a key. */
static int host_set(const struct kcfs_node *n, const char *key, const char *value)
{
	return kcfs_callv("hosts.set", NULL, "nqn", n->host, key, value, (const char *)NULL);
}

/* What katod holds for the host: its "dhchap" group, written by config.save
 * only when a value differs from nvmet's defaults (def). */
static int show_host_dhchap(const struct kcfs_node *n, char *buf, const char *key, const char *def)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_HOST, &o);
	return r < 0 ? r : show(buf, "%s\n", kcfs_v_str(o.host, "dhchap", key, def));
}

/* nvmet shows a key as it was written (trailing blanks trimmed), or an
 * empty line when there is none. The files are 0600 (see the table). */
static int show_dhchap_key(const struct kcfs_node *n, char *buf)
{
	return show_host_dhchap(n, buf, strcmp(n->name, "dhchap_key") ? "ctrl_key" : "key", "");
}

/* nvmet's own check of a key (nvmet_auth_set_key): sscanf(v,
 * "DHHC-1:%hhd:%*s") must convert the hash number (what follows it is not
 * counted), which must be 0 to 3. katod then parses the whole secret
 * (base64, length, CRC) at hosts.set, where nvmet waits for a Connect. */
static bool dhchap_key_form(const char *v)
{
	char *end;
	if (strncmp(v, "DHHC-1:", 7))
		return false;
	long h = strtol(v + 7, &end, 10); /* blanks skipped, as %hhd */
	return end != v + 7 && (unsigned char)h <= 3;
}

/* dhchap_key, dhchap_ctrl_key. As nvmet: an empty value takes the key away
 * (kato-configfs sees a shell's lone newline as empty: echo > dhchap_key);
 * trailing blanks are trimmed (strim); a value not of nvmet's form is EINVAL.
 * Neither the value nor any part of it is ever logged. */
static int store_dhchap_key(const struct kcfs_node *n, const char *v)
{
	bool ctrl = strcmp(n->name, "dhchap_key") != 0;
	size_t len = strlen(v);
	while (len && isspace((unsigned char)v[len - 1]))
		len--;
	if (len && !dhchap_key_form(v))
		return kcfs_refuse(-EINVAL, "%s: %s: not a DH-HMAC-CHAP secret (DHHC-1:hh:base64:)", n->host, n->name);
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_HOST, &o);
	if (r < 0)
		return r;
	/* katod keeps no controller key without a host key (nvmet keeps one,
	 * unused until a host key comes): say so rather than katod's words */
	if (!ctrl && !len && *kcfs_v_str(o.host, "dhchap", "ctrl_key", ""))
		return kcfs_refuse(-EINVAL, "%s: dhchap_key: clear dhchap_ctrl_key first (katod keeps no controller "
				   "key without a host key)", n->host);
	if (ctrl && len && !*kcfs_v_str(o.host, "dhchap", "key", ""))
		return kcfs_refuse(-EINVAL, "%s: dhchap_ctrl_key: set dhchap_key first (katod keeps no controller "
				   "key without a host key)", n->host);
	char *text = strndup(v, len);
	if (!text)
		return -ENOMEM;
	r = host_set(n, ctrl ? "dhchap_ctrl_key" : "dhchap_key", text);
	explicit_bzero(text, len);
	free(text);
	return r;
}

/* One of names (NULL-ended) as nvmet's nvme_auth_hmac_id and
 * nvme_auth_dhgroup_id find it: the first name the value begins with
 * (so "hmac(sha256)" followed by a newline or anything else). */
static int prefix_of(const char *v, const char *const names[])
{
	for (int i = 0; names[i]; i++)
		if (!strncmp(v, names[i], strlen(names[i])))
			return i;
	return -1;
}

static int show_dhchap_hash(const struct kcfs_node *n, char *buf)
{
	return show_host_dhchap(n, buf, "hash", "hmac(sha256)");
}

static int store_dhchap_hash(const struct kcfs_node *n, const char *v)
{
	static const char *const names[] = { "hmac(sha256)", "hmac(sha384)", "hmac(sha512)", NULL };
	int i = prefix_of(v, names);
	if (i < 0)
		return kcfs_refuse(-EINVAL, "%s: dhchap_hash: hmac(sha256), hmac(sha384) or hmac(sha512)", n->host);
	return host_set(n, "dhchap_hash", names[i]);
}

static int show_dhchap_dhgroup(const struct kcfs_node *n, char *buf)
{
	return show_host_dhchap(n, buf, "dhgroup", "null");
}

static int store_dhchap_dhgroup(const struct kcfs_node *n, const char *v)
{
	static const char *const names[] = { "null", "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144",
					     "ffdhe8192", NULL };
	int i = prefix_of(v, names);
	if (i < 0)
		return kcfs_refuse(-EINVAL, "%s: dhchap_dhgroup: null or ffdhe2048 .. ffdhe8192", n->host);
	return host_set(n, "dhchap_dhgroup", names[i]);
}

/* ---- the table -------------------------------------------------------- */

/* In nvmet's order (nvmet_subsys_attrs, nvmet_ns_attrs, nvmet_port_attrs, ...). */
static const struct kcfs_attr table[] = {
	{ "discovery_nqn", K_NVMET, 0644, show_discovery_nqn, store_discovery_nqn },

	{ "attr_allow_any_host", K_SUBSYS, 0644, show_allow_any_host, store_allow_any_host },
	{ "attr_version", K_SUBSYS, 0644, show_version, store_version },
	{ "attr_serial", K_SUBSYS, 0644, show_serial, store_serial },
	{ "attr_cntlid_min", K_SUBSYS, 0644, show_cntlid_min, store_cntlid_min },
	{ "attr_cntlid_max", K_SUBSYS, 0644, show_cntlid_max, store_cntlid_max },
	{ "attr_vendor_id", K_SUBSYS, 0644, show_zero_hex, store_vendor_id },
	{ "attr_subsys_vendor_id", K_SUBSYS, 0644, show_zero_hex, store_vendor_id },
	{ "attr_model", K_SUBSYS, 0644, show_model, store_model },
	{ "attr_qid_max", K_SUBSYS, 0644, show_qid_max, store_qid_max },
	{ "attr_ieee_oui", K_SUBSYS, 0644, show_ieee_oui, store_ieee_oui },
	{ "attr_firmware", K_SUBSYS, 0644, show_firmware, store_firmware },
	{ "attr_tbkas", K_SUBSYS, 0644, show_tbkas, store_tbkas },
	{ "attr_pi_enable", K_SUBSYS, 0644, show_zero, store_pi_enable },

	{ "device_path", K_NS, 0644, show_device_path, store_device_path },
	{ "device_nguid", K_NS, 0644, show_device_nguid, store_device_nguid },
	{ "device_uuid", K_NS, 0644, show_device_uuid, store_device_uuid },
	{ "ana_grpid", K_NS, 0644, show_ana_grpid, store_ana_grpid },
	{ "enable", K_NS, 0644, show_enable, store_enable },
	{ "buffered_io", K_NS, 0644, show_buffered_io, store_buffered_io },
	{ "revalidate_size", K_NS, 0200, NULL, store_revalidate_size },
	{ "resv_enable", K_NS, 0644, show_zero, store_resv_enable },

	{ "addr_adrfam", K_PORT, 0644, show_addr_adrfam, store_addr_adrfam },
	{ "addr_treq", K_PORT, 0644, show_addr_treq, store_addr_treq },
	{ "addr_traddr", K_PORT, 0644, show_addr_traddr, store_addr_traddr },
	{ "addr_trsvcid", K_PORT, 0644, show_addr_trsvcid, store_addr_trsvcid },
	{ "addr_trtype", K_PORT, 0644, show_addr_trtype, store_addr_trtype },
	{ "addr_tsas", K_PORT, 0644, show_addr_tsas, store_addr_tsas },
	{ "param_inline_data_size", K_PORT, 0644, show_inline_data_size, store_inline_data_size },
	{ "param_max_queue_size", K_PORT, 0644, show_minus_one, store_port_daemon_wide },
	{ "param_mdts", K_PORT, 0644, show_minus_one, store_port_daemon_wide },
	{ "param_pi_enable", K_PORT, 0644, show_zero, store_port_pi_enable },

	{ "ana_state", K_ANA_GROUP, 0644, show_ana_state, store_ana_state },

	/* the keys 0600: the tree is open to every reader (main.c), a key only
	 * to root (nvmet's files are 0644; a 2025 patch to nvmet proposes 0600) */
	{ "dhchap_key", K_HOST, 0600, show_dhchap_key, store_dhchap_key },
	{ "dhchap_ctrl_key", K_HOST, 0600, show_dhchap_key, store_dhchap_key },
	{ "dhchap_hash", K_HOST, 0644, show_dhchap_hash, store_dhchap_hash },
	{ "dhchap_dhgroup", K_HOST, 0644, show_dhchap_dhgroup, store_dhchap_dhgroup },
};
#define N_ATTRS (sizeof(table) / sizeof(table[0]))

const struct kcfs_attr *kcfs_attr_find(enum kcfs_kind owner, const char *name)
{
	for (size_t i = 0; i < N_ATTRS; i++)
		if (table[i].owner == owner && !strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

const struct kcfs_attr *kcfs_attr_at(enum kcfs_kind owner, size_t i)
{
	for (size_t k = 0; k < N_ATTRS; k++)
		if (table[k].owner == owner && i-- == 0)
			return &table[k];
	return NULL;
}

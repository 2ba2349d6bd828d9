/*
 * view.c - katod's running configuration as kato-configfs reads it (see
 * view.h). One config.save per FUSE operation at most (the configuration
 * of a target is a few kilobytes; a local socket round trip is well under
 * a millisecond), and list entries fetched only by the attributes that
 * show katod's own values. No cache across operations: a stale tree would
 * hide katoctl's changes, which is worse than a few calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "daemon/configfs/rpc.h"
#include "daemon/configfs/view.h"

static struct json_object *saved;   /* config.save's answer */
static struct json_object *entries; /* list entries fetched since the drop */
static unsigned saved_at;           /* kcfs_changes() when read */

void kcfs_view_drop(void)
{
	json_object_put(saved);
	json_object_put(entries);
	saved = entries = NULL;
}

static void drop_if_stale(void)
{
	if ((saved || entries) && saved_at != kcfs_changes())
		kcfs_view_drop();
	saved_at = kcfs_changes();
}

int kcfs_view_config(struct json_object **cfg)
{
	drop_if_stale();
	if (!saved) {
		int r = kcfs_read("config.save", NULL, &saved);
		if (r < 0)
			return r;
	}
	struct json_object *c;
	if (!json_object_object_get_ex(saved, "config", &c) || !json_object_is_type(c, json_type_object))
		return -EIO;
	*cfg = c;
	return 0;
}

/* method's first entry for params (consumed), kept until the drop. */
static int list_one(const char *method, struct json_object *params, struct json_object **o)
{
	drop_if_stale();
	struct json_object *a = NULL;
	int r = kcfs_read(method, params, &a);
	if (r < 0)
		return r;
	if (!entries && !(entries = json_object_new_array())) {
		json_object_put(a);
		return -ENOMEM;
	}
	json_object_array_add(entries, a);
	*o = json_object_is_type(a, json_type_array) ? json_object_array_get_idx(a, 0) : NULL;
	return *o ? 0 : -ENOENT;
}

int kcfs_view_subsys_list(const char *nqn, struct json_object **o)
{
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "nqn", json_object_new_string(nqn));
	return list_one("subsystems.list", p, o);
}

int kcfs_view_ns_list(const char *nqn, uint32_t nsid, struct json_object **o)
{
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "subsystem", json_object_new_string(nqn));
	json_object_object_add(p, "nsid", json_object_new_int64(nsid));
	return list_one("namespaces.list", p, o);
}

struct json_object *kcfs_v_array(struct json_object *obj, const char *key)
{
	static struct json_object *empty;
	struct json_object *a;
	if (obj && json_object_object_get_ex(obj, key, &a) && json_object_is_type(a, json_type_array))
		return a;
	if (!empty)
		empty = json_object_new_array(); /* one for the life of the process */
	return empty;
}

/* The element of array obj[key] whose field is the string s or the number n. */
static struct json_object *find(struct json_object *obj, const char *key, const char *field, const char *s,
				int64_t n)
{
	struct json_object *a = kcfs_v_array(obj, key);
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		if (s ? !strcmp(kcfs_v_str(e, NULL, field, ""), s) : kcfs_v_int(e, NULL, field, -1) == n)
			return e;
	}
	return NULL;
}

struct json_object *kcfs_v_subsys(struct json_object *cfg, const char *nqn)
{
	return find(cfg, "subsystems", "nqn", nqn, 0);
}

struct json_object *kcfs_v_port(struct json_object *cfg, uint32_t portid)
{
	return find(cfg, "ports", "portid", NULL, portid);
}

struct json_object *kcfs_v_ana_group(struct json_object *port, uint32_t grpid)
{
	return find(port, "ana_groups", "grpid", NULL, grpid);
}

struct json_object *kcfs_v_ns(struct json_object *subsys, uint32_t nsid)
{
	return find(subsys, "namespaces", "nsid", NULL, nsid);
}

struct json_object *kcfs_v_host(struct json_object *cfg, const char *nqn)
{
	return find(cfg, "hosts", "nqn", nqn, 0);
}

bool kcfs_v_in(struct json_object *obj, const char *key, const char *s)
{
	struct json_object *a = kcfs_v_array(obj, key);
	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s))
			return true;
	return false;
}

static struct json_object *member(struct json_object *obj, const char *group, const char *key)
{
	struct json_object *g = obj, *v;
	if (!obj || (group && !json_object_object_get_ex(obj, group, &g)))
		return NULL;
	return json_object_object_get_ex(g, key, &v) && !json_object_is_type(v, json_type_null) ? v : NULL;
}

const char *kcfs_v_str(struct json_object *obj, const char *group, const char *key, const char *def)
{
	struct json_object *v = member(obj, group, key);
	return v ? json_object_get_string(v) : def;
}

int64_t kcfs_v_int(struct json_object *obj, const char *group, const char *key, int64_t def)
{
	struct json_object *v = member(obj, group, key);
	if (!v)
		return def;
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	if (json_object_is_type(v, json_type_string)) {
		char *end;
		const char *s = json_object_get_string(v);
		long long x = strtoll(s, &end, 0);
		return end != s ? x : def;
	}
	return json_object_get_int64(v);
}

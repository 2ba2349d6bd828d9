/*
 * view.h - what katod serves now, as kato-configfs reads it (code:
 * view.c): the running configuration (config.save: ports, subsystems with
 * their namespaces and allowed hosts, hosts, the katod section) and, for
 * values katod fills in itself (a serial, a namespace's derived NGUID),
 * the subsystems.list and namespaces.list entries.
 *
 * Read fresh for every FUSE operation (ops.c drops the view first) and
 * again after any change, so that a change made with katoctl shows at
 * once; the kernel is told to cache nothing (main.c). Objects returned
 * are borrowed: valid until the next kcfs_view_drop or change.
 */
#ifndef KATO_CONFIGFS_VIEW_H
#define KATO_CONFIGFS_VIEW_H

#include <stdbool.h>
#include <stdint.h>

struct json_object;

void kcfs_view_drop(void);

/* The running configuration (nvmetcli JSON): 0 or a negative errno. */
int kcfs_view_config(struct json_object **cfg);
/* The subsystems.list entry of nqn, the namespaces.list entry of (nqn,
 * nsid): 0, -ENOENT, or another negative errno. */
int kcfs_view_subsys_list(const char *nqn, struct json_object **o);
int kcfs_view_ns_list(const char *nqn, uint32_t nsid, struct json_object **o);

/* Lookups in the configuration (NULL / false when absent). */
struct json_object *kcfs_v_subsys(struct json_object *cfg, const char *nqn);
struct json_object *kcfs_v_port(struct json_object *cfg, uint32_t portid);
/* A group the port's "ana_groups" list (nvmetcli's form), or NULL. */
struct json_object *kcfs_v_ana_group(struct json_object *port, uint32_t grpid);
struct json_object *kcfs_v_ns(struct json_object *subsys, uint32_t nsid);
struct json_object *kcfs_v_host(struct json_object *cfg, const char *nqn);
/* The array obj[key] ([] when absent) and whether it holds string s. */
struct json_object *kcfs_v_array(struct json_object *obj, const char *key);
bool kcfs_v_in(struct json_object *obj, const char *key, const char *s);
/* obj[group][key] (group NULL: obj[key]) as text; def when absent. */
const char *kcfs_v_str(struct json_object *obj, const char *group, const char *key, const char *def);
/* The same as an integer (a decimal string is read as one). */
int64_t kcfs_v_int(struct json_object *obj, const char *group, const char *key, int64_t def);

#endif

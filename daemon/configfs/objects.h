/*
 * objects.h - which objects of the tree exist (code: objects.c): katod's
 * view (view.h) joined with what kato-configfs holds itself (pending.h).
 * The FUSE operations (ops.c) and the attributes (attrs.c) both ask here,
 * so that "does ports/3 exist" has one answer.
 */
#ifndef KATO_CONFIGFS_OBJECTS_H
#define KATO_CONFIGFS_OBJECTS_H

#include "daemon/configfs/tree.h"

struct json_object;
struct kcfs_pport;
struct kcfs_pns;

/* An object of the tree. Of a port or a namespace exactly one of live and
 * pending is set: live is katod's object (a port that listens, a namespace
 * katod has, enabled or not), pending the one held here. */
struct kcfs_obj {
	struct json_object *cfg;    /* katod's configuration */
	struct json_object *subsys; /* K_SUBSYS, K_NS: the subsystem */
	struct json_object *live;   /* K_PORT, K_NS: katod's object */
	struct json_object *host;   /* K_HOST: katod's host entry */
	struct kcfs_pport *pport;   /* K_PORT not listening */
	struct kcfs_pns *pns;       /* K_NS not in katod */
};

/* Finds the object of kind `kind` that node n names or lies under (n may
 * be an attribute or a child of it): K_NVMET, K_SUBSYS, K_NS, K_PORT,
 * K_ANA_GROUP or K_HOST. 0, -ENOENT when it does not exist, or another
 * negative errno (katod unreachable: -EIO). */
int kcfs_obj_get(const struct kcfs_node *n, enum kcfs_kind kind, struct kcfs_obj *o);

/* Whether node n exists (any kind; for an attribute, whether its object
 * does: the name is checked against the attribute table by the caller):
 * 0, -ENOENT or another negative errno. */
int kcfs_obj_exists(const struct kcfs_node *n);

#endif

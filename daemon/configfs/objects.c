/*
 * objects.c - whether an object of the tree exists (see objects.h): each
 * kind looked up in katod's configuration, ports and namespaces also among
 * those held here. A namespace held here whose subsystem katod no longer
 * has (removed with katoctl) does not exist; a port or a namespace katod
 * has wins over one held here with the same id (added with katoctl
 * meanwhile).
 */
#include <errno.h>
#include <string.h>
#include <json-c/json.h>
#include "daemon/configfs/objects.h"
#include "daemon/configfs/pending.h"
#include "daemon/configfs/view.h"

int kcfs_obj_get(const struct kcfs_node *n, enum kcfs_kind kind, struct kcfs_obj *o)
{
	memset(o, 0, sizeof(*o));
	int r = kcfs_view_config(&o->cfg);
	if (r < 0)
		return r;
	switch (kind) {
	case K_ROOT:
	case K_NVMET:
		return 0;
	case K_SUBSYS:
		o->subsys = kcfs_v_subsys(o->cfg, n->nqn);
		return o->subsys ? 0 : -ENOENT;
	case K_NS:
		if (!(o->subsys = kcfs_v_subsys(o->cfg, n->nqn)) || !n->nsid_ok)
			return -ENOENT;
		o->live = kcfs_v_ns(o->subsys, n->nsid);
		o->pns = o->live ? NULL : kcfs_pns_find(n->nqn, n->nsid);
		return o->live || o->pns ? 0 : -ENOENT;
	case K_PORT:
		if (!n->portid_ok)
			return -ENOENT;
		o->live = kcfs_v_port(o->cfg, n->portid);
		o->pport = o->live ? NULL : kcfs_pport_find(n->portid);
		return o->live || o->pport ? 0 : -ENOENT;
	case K_ANA_GROUP:
		/* group 1 on every port (nvmet's default group), the others
		 * while the port's ana_groups list them (a live port only) */
		r = kcfs_obj_get(n, K_PORT, o);
		if (r < 0 || !n->grpid_ok)
			return r < 0 ? r : -ENOENT;
		return n->grpid == 1 || (o->live && kcfs_v_ana_group(o->live, n->grpid)) ? 0 : -ENOENT;
	case K_HOST:
		o->host = kcfs_v_host(o->cfg, n->host);
		return o->host ? 0 : -ENOENT;
	default:
		return -ENOENT;
	}
}

int kcfs_obj_exists(const struct kcfs_node *n)
{
	struct kcfs_obj o;
	int r;
	switch (n->kind) {
	case K_ROOT:
	case K_NVMET:
	case K_SUBSYSTEMS:
	case K_PORTS:
	case K_HOSTS:
		return 0;
	case K_SUBSYS:
	case K_NAMESPACES:
	case K_ALLOWED_HOSTS:
		return kcfs_obj_get(n, K_SUBSYS, &o);
	case K_NS:
		return kcfs_obj_get(n, K_NS, &o);
	case K_ALLOWED_HOST:
		r = kcfs_obj_get(n, K_SUBSYS, &o);
		return r < 0 ? r : kcfs_v_in(o.subsys, "allowed_hosts", n->host) ? 0 : -ENOENT;
	case K_PORT:
	case K_PORT_SUBSYSTEMS:
	case K_REFERRALS:
	case K_ANA_GROUPS:
		return kcfs_obj_get(n, K_PORT, &o);
	case K_PORT_LINK:
		r = kcfs_obj_get(n, K_PORT, &o);
		return r < 0 ? r : o.live && kcfs_v_in(o.live, "subsystems", n->nqn) ? 0 : -ENOENT;
	case K_REFERRAL:
		return -ENOENT;
	case K_ANA_GROUP:
		return kcfs_obj_get(n, K_ANA_GROUP, &o);
	case K_HOST:
		return kcfs_obj_get(n, K_HOST, &o);
	case K_ATTR:
		/* the object holding it; whether the attribute's name is one of
		 * that object's is the attribute table's to say (kcfs_attr_find),
		 * which ops.c asks first: this file stays below the table */
		return kcfs_obj_get(n, n->owner, &o);
	}
	return -ENOENT;
}

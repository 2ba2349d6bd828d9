/*
 * ops.c - the FUSE operations of kato-configfs (see ops.h): what each
 * configfs operation a script makes on nvmet's tree does here.
 *
 *   mkdir   subsystems/NQN      subsystems.add (allow_any_host 0, as nvmet)
 *           namespaces/NSID     held here until enable=1 (pending.h)
 *           ports/PORTID        held here until a subsystem is linked
 *           hosts/HOSTNQN       hosts.add
 *   rmdir   the same, removed; ENOTEMPTY while a subsystem has namespaces
 *           or allowed hosts, or a port has linked subsystems (configfs
 *           refuses to remove a directory with links or made directories
 *           in it); EBUSY for a host still allowed in a subsystem
 *   ln -s   subsystems/NQN into ports/P/subsystems/: ports.link, and for a
 *           port held here first ports.add (nvmet enables a port at its
 *           first link); hosts/H into subsystems/NQN/allowed_hosts/:
 *           subsystems.allow_host
 *   rm      a link: ports.unlink (the port's last one also ports.remove:
 *           nvmet disables it; its address is held here again) or
 *           subsystems.disallow_host
 *   read, write   an attribute (attrs.c)
 *
 * Errors as configfs gives them: EEXIST, ENOENT, ENOTEMPTY, EPERM for a
 * directory configfs would not let one make or remove (the default groups:
 * namespaces, allowed_hosts, ana_groups/1, ...), EACCES for a file made
 * in the tree. A link's name must be its target's (configfs allows any
 * name; kato-configfs does not keep one of its own): EINVAL otherwise.
 *
 * Every operation reads katod's configuration afresh (view.h); the loop
 * is single threaded (main.c), so operations never interleave and the
 * state held here needs no lock. Two scripts racing on one namespace's
 * enable (blktests nvme/051) are serialised here as nvmet's
 * nvmet_config_sem serialises them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "daemon/configfs/attrs.h"
#include "daemon/configfs/log.h"
#include "daemon/configfs/objects.h"
#include "daemon/configfs/ops.h"
#include "daemon/configfs/pending.h"
#include "daemon/configfs/rpc.h"
#include "daemon/configfs/view.h"

#define DEFAULT_DISCOVERY_NQN "nqn.2014-08.org.nvmexpress.discovery"


/* Whether node n exists: an attribute when its object has one of that name
 * (the attribute table) and the object exists; anything else as objects.c
 * finds it. */
static int node_exists(const struct kcfs_node *n)
{
	if (n->kind == K_ATTR && !kcfs_attr_find(n->owner, n->name))
		return -ENOENT;
	return kcfs_obj_exists(n);
}
static time_t started;

/* Every operation starts here: the view read before is stale. */
static int begin(const char *path, struct kcfs_node *n)
{
	kcfs_view_drop();
	return kcfs_parse(path, n);
}

/* A link's target, relative to the link (configfs writes relative ones). */
static void link_target(const struct kcfs_node *n, char *buf, size_t len)
{
	if (n->kind == K_PORT_LINK) /* nvmet/ports/P/subsystems/NQN */
		snprintf(buf, len, "../../../subsystems/%s", n->nqn);
	else /* nvmet/subsystems/NQN/allowed_hosts/HOST */
		snprintf(buf, len, "../../../hosts/%s", n->host);
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct kcfs_node n;
	int r = begin(path, &n);
	if (r < 0 || (r = node_exists(&n)) < 0)
		return r;
	memset(st, 0, sizeof(*st));
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_atime = st->st_mtime = st->st_ctime = started;
	if (n.kind == K_ATTR) {
		st->st_mode = S_IFREG | kcfs_attr_find(n.owner, n.name)->mode;
		st->st_nlink = 1;
		st->st_size = KCFS_ATTR_MAX; /* as configfs: a page */
	} else if (n.kind == K_PORT_LINK || n.kind == K_ALLOWED_HOST) {
		char t[PATH_MAX];
		link_target(&n, t, sizeof(t));
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = (off_t)strlen(t);
	} else {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	}
	return 0;
}

static int op_readlink(const char *path, char *buf, size_t size)
{
	struct kcfs_node n;
	int r = begin(path, &n);
	if (r < 0 || (r = node_exists(&n)) < 0)
		return r;
	if (n.kind != K_PORT_LINK && n.kind != K_ALLOWED_HOST)
		return -EINVAL;
	link_target(&n, buf, size);
	return 0;
}

static void fill_attrs(void *buf, fuse_fill_dir_t filler, enum kcfs_kind owner)
{
	const struct kcfs_attr *a;
	for (size_t i = 0; (a = kcfs_attr_at(owner, i)); i++)
		filler(buf, a->name, NULL, 0, 0);
}

/* The strings of array obj[key], or field `field` of its objects. */
static void fill_array(void *buf, fuse_fill_dir_t filler, struct json_object *obj, const char *key,
		       const char *field)
{
	struct json_object *a = kcfs_v_array(obj, key);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		filler(buf, field ? kcfs_v_str(e, NULL, field, "") : json_object_get_string(e), NULL, 0, 0);
	}
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	struct kcfs_node n;
	struct kcfs_obj o;
	char num[16];
	int r = begin(path, &n);
	if (r < 0 || (r = node_exists(&n)) < 0)
		return r;
	if (!kcfs_is_dir(n.kind))
		return -ENOTDIR;
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	if ((r = kcfs_obj_get(&n, K_NVMET, &o)) < 0)
		return r;
	switch (n.kind) {
	case K_ROOT:
		filler(buf, "nvmet", NULL, 0, 0);
		break;
	case K_NVMET:
		fill_attrs(buf, filler, K_NVMET);
		filler(buf, "hosts", NULL, 0, 0);
		filler(buf, "ports", NULL, 0, 0);
		filler(buf, "subsystems", NULL, 0, 0);
		break;
	case K_SUBSYSTEMS:
		fill_array(buf, filler, o.cfg, "subsystems", "nqn");
		break;
	case K_SUBSYS:
		fill_attrs(buf, filler, K_SUBSYS);
		filler(buf, "allowed_hosts", NULL, 0, 0);
		filler(buf, "namespaces", NULL, 0, 0);
		break;
	case K_NAMESPACES:
		kcfs_obj_get(&n, K_SUBSYS, &o);
		fill_array(buf, filler, o.subsys, "namespaces", "nsid");
		for (struct kcfs_pns *p = kcfs_pns_first(); p; p = p->next) {
			if (strcmp(p->nqn, n.nqn) || kcfs_v_ns(o.subsys, p->nsid))
				continue;
			snprintf(num, sizeof(num), "%u", p->nsid);
			filler(buf, num, NULL, 0, 0);
		}
		break;
	case K_NS:
		fill_attrs(buf, filler, K_NS);
		break;
	case K_ALLOWED_HOSTS:
		kcfs_obj_get(&n, K_SUBSYS, &o);
		fill_array(buf, filler, o.subsys, "allowed_hosts", NULL);
		break;
	case K_PORTS:
		fill_array(buf, filler, o.cfg, "ports", "portid");
		for (struct kcfs_pport *p = kcfs_pport_first(); p; p = p->next) {
			if (kcfs_v_port(o.cfg, p->portid))
				continue;
			snprintf(num, sizeof(num), "%u", p->portid);
			filler(buf, num, NULL, 0, 0);
		}
		break;
	case K_PORT:
		fill_attrs(buf, filler, K_PORT);
		filler(buf, "ana_groups", NULL, 0, 0);
		filler(buf, "referrals", NULL, 0, 0);
		filler(buf, "subsystems", NULL, 0, 0);
		break;
	case K_PORT_SUBSYSTEMS:
		kcfs_obj_get(&n, K_PORT, &o);
		if (o.live)
			fill_array(buf, filler, o.live, "subsystems", NULL);
		break;
	case K_ANA_GROUPS: {
		filler(buf, "1", NULL, 0, 0);
		kcfs_obj_get(&n, K_PORT, &o);
		struct json_object *g = kcfs_v_array(o.live, "ana_groups");
		for (size_t i = 0; i < json_object_array_length(g); i++) {
			int64_t id = kcfs_v_int(json_object_array_get_idx(g, i), NULL, "grpid", -1);
			char gid[24];
			if (id <= 1)
				continue;
			snprintf(gid, sizeof(gid), "%lld", (long long)id);
			filler(buf, gid, NULL, 0, 0);
		}
		break;
	}
	case K_ANA_GROUP:
		fill_attrs(buf, filler, K_ANA_GROUP);
		break;
	case K_HOSTS:
		fill_array(buf, filler, o.cfg, "hosts", "nqn");
		break;
	case K_HOST:
		fill_attrs(buf, filler, K_HOST);
		break;
	default: /* referrals: none */
		break;
	}
	return 0;
}

static bool is_discovery_nqn(struct json_object *cfg, const char *nqn)
{
	struct json_object *k = NULL;
	json_object_object_get_ex(cfg, "katod", &k);
	return !strcmp(nqn, DEFAULT_DISCOVERY_NQN) ||
	       !strcmp(nqn, kcfs_v_str(k, NULL, "discovery_nqn", DEFAULT_DISCOVERY_NQN));
}

static int op_mkdir(const char *path, mode_t mode)
{
	struct kcfs_node n;
	struct kcfs_obj o;
	int r = begin(path, &n);
	if (r < 0)
		return r == -ENOENT ? -EPERM : r;
	r = node_exists(&n);
	if (r != -ENOENT)
		return r < 0 ? r : -EEXIST;
	switch (n.kind) {
	case K_SUBSYS:
		if ((r = kcfs_obj_get(&n, K_NVMET, &o)) < 0)
			return r;
		if (is_discovery_nqn(o.cfg, n.nqn))
			return kcfs_refuse(-EINVAL, "can't create the discovery subsystem through configfs");
		return kcfs_callv("subsystems.add", NULL, "nqn", n.nqn, (const char *)NULL);
	case K_NS:
		if ((r = kcfs_obj_get(&n, K_SUBSYS, &o)) < 0)
			return r;
		if (!n.nsid_ok)
			return kcfs_refuse(-EINVAL, "invalid nsid %s", n.name);
		return kcfs_pns_add(n.nqn, n.nsid, NULL);
	case K_PORT:
		if (!n.portid_ok)
			return kcfs_refuse(-EINVAL, "invalid port id %s", n.name);
		return kcfs_pport_add(n.portid, NULL);
	case K_HOST:
		return kcfs_callv("hosts.add", NULL, "nqn", n.host, (const char *)NULL);
	case K_ANA_GROUP: {
		/* a new group is listed inaccessible, as nvmet's port starts
		 * every group but 1 (its ana_state file sets the state) */
		if ((r = kcfs_obj_get(&n, K_PORT, &o)) < 0)
			return r;
		if (!n.grpid_ok || n.grpid == 1)
			return -EINVAL;
		if (!o.live)
			return kcfs_refuse(-EOPNOTSUPP, "port %u: enable the port (link a subsystem) before its ANA groups",
					   n.portid);
		struct json_object *p = json_object_new_object();
		json_object_object_add(p, "portid", json_object_new_int64(n.portid));
		json_object_object_add(p, "grpid", json_object_new_int64(n.grpid));
		json_object_object_add(p, "state", json_object_new_string("inaccessible"));
		return kcfs_call("ana.set", p, NULL);
	}
	case K_REFERRAL:
		if ((r = kcfs_obj_get(&n, K_PORT, &o)) < 0)
			return r;
		return kcfs_refuse(-EOPNOTSUPP, "port %u: katod serves no referrals", n.portid);
	default: /* inside an object, or in a group that makes nothing */
		return -EPERM;
	}
}

static int op_rmdir(const char *path)
{
	struct kcfs_node n;
	struct kcfs_obj o;
	int r = begin(path, &n);
	if (r < 0 || (r = node_exists(&n)) < 0)
		return r;
	if (!kcfs_is_dir(n.kind))
		return -ENOTDIR;
	switch (n.kind) {
	case K_SUBSYS:
		if ((r = kcfs_obj_get(&n, K_SUBSYS, &o)) < 0)
			return r;
		if (json_object_array_length(kcfs_v_array(o.subsys, "namespaces")) ||
		    json_object_array_length(kcfs_v_array(o.subsys, "allowed_hosts")))
			return -ENOTEMPTY;
		for (struct kcfs_pns *p = kcfs_pns_first(); p; p = p->next)
			if (!strcmp(p->nqn, n.nqn))
				return -ENOTEMPTY;
		/* linked to ports: katod unlinks it there (nvmet lets the
		 * subsystem go too; its links then name nothing) */
		return kcfs_callv("subsystems.remove", NULL, "nqn", n.nqn, (const char *)NULL);
	case K_NS: {
		if ((r = kcfs_obj_get(&n, K_NS, &o)) < 0)
			return r;
		if (o.pns) {
			kcfs_pns_del(n.nqn, n.nsid);
			return 0;
		}
		struct json_object *p = json_object_new_object();
		json_object_object_add(p, "subsystem", json_object_new_string(n.nqn));
		json_object_object_add(p, "nsid", json_object_new_int64(n.nsid));
		return kcfs_call("namespaces.remove", p, NULL);
	}
	case K_PORT: {
		if ((r = kcfs_obj_get(&n, K_PORT, &o)) < 0)
			return r;
		if (o.pport) {
			kcfs_pport_del(n.portid);
			return 0;
		}
		if (json_object_array_length(kcfs_v_array(o.live, "subsystems")))
			return -ENOTEMPTY;
		struct json_object *p = json_object_new_object();
		json_object_object_add(p, "portid", json_object_new_int64(n.portid));
		return kcfs_call("ports.remove", p, NULL);
	}
	case K_HOST:
		r = kcfs_callv("hosts.remove", NULL, "nqn", n.host, (const char *)NULL);
		return r == -EINVAL ? -EBUSY : r; /* katod: still allowed in a subsystem */
	case K_ANA_GROUP: {
		if (n.grpid == 1)
			return -EPERM; /* the default group, as nvmet's */
		struct json_object *p = json_object_new_object();
		json_object_object_add(p, "portid", json_object_new_int64(n.portid));
		json_object_object_add(p, "grpid", json_object_new_int64(n.grpid));
		return kcfs_call("ana.remove", p, NULL);
	}
	default: /* a default group */
		return -EPERM;
	}
}

/* ports/P/subsystems/NQN -> subsystems/NQN */
static int link_port(const struct kcfs_node *n, const struct kcfs_node *t)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_PORT, &o);
	if (r < 0)
		return r;
	if (t->kind != K_SUBSYS)
		return kcfs_refuse(-EINVAL, "can only link subsystems into the subsystems dir");
	struct json_object *p;
	if (o.pport) {
		struct kcfs_pport *pp = o.pport;
		if (strcmp(pp->trtype, "tcp") || !pp->traddr[0] || !pp->trsvcid[0])
			return kcfs_refuse(-EINVAL, "port %u: set addr_trtype (tcp), addr_traddr and addr_trsvcid first",
					   n->portid);
		p = json_object_new_object();
		json_object_object_add(p, "portid", json_object_new_int64(n->portid));
		json_object_object_add(p, "trtype", json_object_new_string(pp->trtype));
		json_object_object_add(p, "traddr", json_object_new_string(pp->traddr));
		json_object_object_add(p, "trsvcid", json_object_new_string(pp->trsvcid));
		if (pp->adrfam[0])
			json_object_object_add(p, "adrfam", json_object_new_string(pp->adrfam));
		json_object_object_add(p, "treq", json_object_new_string(pp->treq));
		if (pp->tsas[0])
			json_object_object_add(p, "tsas", json_object_new_string(pp->tsas));
		if (pp->inline_data_size >= 0)
			json_object_object_add(p, "inline_data_size", json_object_new_int64(pp->inline_data_size));
		if ((r = kcfs_call("ports.add", p, NULL)) < 0)
			return r;
	} else if (kcfs_v_in(o.live, "subsystems", t->nqn)) {
		return -EEXIST;
	}
	p = json_object_new_object();
	json_object_object_add(p, "portid", json_object_new_int64(n->portid));
	json_object_object_add(p, "subsystem", json_object_new_string(t->nqn));
	r = kcfs_call("ports.link", p, NULL);
	if (o.pport) {
		if (r == 0) {
			kcfs_pport_del(n->portid);
		} else { /* the port stays as it was: held here, not listening */
			p = json_object_new_object();
			json_object_object_add(p, "portid", json_object_new_int64(n->portid));
			kcfs_call("ports.remove", p, NULL);
		}
	}
	return r;
}

/* subsystems/NQN/allowed_hosts/H -> hosts/H */
static int link_host(const struct kcfs_node *n, const struct kcfs_node *t)
{
	struct kcfs_obj o;
	int r = kcfs_obj_get(n, K_SUBSYS, &o);
	if (r < 0)
		return r;
	if (t->kind != K_HOST)
		return kcfs_refuse(-EINVAL, "can only link hosts into the allowed_hosts directory");
	if (kcfs_v_int(o.subsys, "attr", "allow_any_host", 0))
		return kcfs_refuse(-EINVAL, "%s: can't add hosts when allow_any_host is set", n->nqn);
	if (kcfs_v_in(o.subsys, "allowed_hosts", t->host))
		return -EEXIST;
	return kcfs_callv("subsystems.allow_host", NULL, "nqn", n->nqn, "host", t->host, (const char *)NULL);
}

static int op_symlink(const char *target, const char *path)
{
	struct kcfs_node n, t;
	int r = begin(path, &n);
	if (r < 0)
		return r == -ENOENT ? -EPERM : r;
	if (n.kind != K_PORT_LINK && n.kind != K_ALLOWED_HOST)
		return node_exists(&n) == 0 ? -EEXIST : -EPERM;
	/* the link's directory, from the mount point */
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	if (kcfs_resolve_target(dir, target, &t) < 0 || node_exists(&t) < 0)
		return kcfs_refuse(-ENOENT, "%s: no such object in the tree", target);
	const char *want = n.kind == K_PORT_LINK ? n.nqn : n.host;
	const char *have = t.kind == K_SUBSYS ? t.nqn : t.kind == K_HOST ? t.host : "";
	if (strcmp(want, have))
		return kcfs_refuse(-EINVAL, "a link is named as its target (%s), not %s", have, want);
	return n.kind == K_PORT_LINK ? link_port(&n, &t) : link_host(&n, &t);
}

/* The last subsystem unlinked: nvmet disables the port. katod would go on
 * listening (for discovery), so the port is removed from katod and held
 * here with its address, to listen again at the next link. */
static int port_disable(const struct kcfs_node *n)
{
	struct kcfs_obj o;
	struct kcfs_pport *pp;
	int r = kcfs_obj_get(n, K_PORT, &o);
	if (r < 0 || !o.live || json_object_array_length(kcfs_v_array(o.live, "subsystems")))
		return r;
	struct kcfs_pport keep = { .inline_data_size = -1 };
	snprintf(keep.trtype, sizeof(keep.trtype), "%s", kcfs_v_str(o.live, "addr", "trtype", "tcp"));
	snprintf(keep.adrfam, sizeof(keep.adrfam), "%s", kcfs_v_str(o.live, "addr", "adrfam", ""));
	snprintf(keep.traddr, sizeof(keep.traddr), "%s", kcfs_v_str(o.live, "addr", "traddr", ""));
	snprintf(keep.trsvcid, sizeof(keep.trsvcid), "%s", kcfs_v_str(o.live, "addr", "trsvcid", ""));
	snprintf(keep.treq, sizeof(keep.treq), "%s", kcfs_v_str(o.live, "addr", "treq", "not specified"));
	snprintf(keep.tsas, sizeof(keep.tsas), "%s", kcfs_v_str(o.live, "addr", "tsas", "none"));
	keep.inline_data_size = (int)kcfs_v_int(o.live, "param", "inline_data_size", -1);
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "portid", json_object_new_int64(n->portid));
	if ((r = kcfs_call("ports.remove", p, NULL)) < 0 || (r = kcfs_pport_add(n->portid, &pp)) < 0)
		return r;
	keep.portid = pp->portid;
	keep.next = pp->next;
	*pp = keep;
	return 0;
}

static int op_unlink(const char *path)
{
	struct kcfs_node n;
	int r = begin(path, &n);
	if (r < 0 || (r = node_exists(&n)) < 0)
		return r;
	if (n.kind == K_ALLOWED_HOST)
		return kcfs_callv("subsystems.disallow_host", NULL, "nqn", n.nqn, "host", n.host, (const char *)NULL);
	if (n.kind != K_PORT_LINK)
		return kcfs_is_dir(n.kind) ? -EISDIR : -EPERM;
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "portid", json_object_new_int64(n.portid));
	json_object_object_add(p, "subsystem", json_object_new_string(n.nqn));
	if ((r = kcfs_call("ports.unlink", p, NULL)) < 0)
		return r;
	if ((r = port_disable(&n)) < 0)
		kcfs_log("port %u: unlinked, but not taken out of service", n.portid);
	return 0;
}

/* An open attribute file: its text as read at open. */
struct handle {
	size_t len;
	char text[KCFS_ATTR_MAX];
};

static int op_open(const char *path, struct fuse_file_info *fi)
{
	struct kcfs_node n;
	int r = begin(path, &n);
	if (r < 0 || (r = node_exists(&n)) < 0)
		return r;
	if (n.kind != K_ATTR)
		return -EISDIR;
	const struct kcfs_attr *a = kcfs_attr_find(n.owner, n.name);
	int acc = fi->flags & O_ACCMODE;
	if ((acc != O_WRONLY && !a->show) || (acc != O_RDONLY && !a->store))
		return -EACCES;
	struct handle *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	if (acc != O_WRONLY && (r = a->show(&n, h->text)) < 0) {
		free(h);
		return r;
	}
	h->len = strlen(h->text);
	fi->fh = (uintptr_t)h;
	fi->direct_io = 1; /* every read and write comes here: the value is katod's */
	return 0;
}

static int op_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	if (off < 0 || (size_t)off >= h->len)
		return 0;
	size_t n = h->len - (size_t)off < size ? h->len - (size_t)off : size;
	memcpy(buf, h->text + off, n);
	return (int)n;
}

static int op_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct kcfs_node n;
	char val[KCFS_ATTR_MAX];
	int r = begin(path, &n);
	if (r < 0 || (r = node_exists(&n)) < 0)
		return r;
	if (n.kind != K_ATTR)
		return -EISDIR;
	/* configfs takes one page at most, and each write is one store */
	size_t len = size < sizeof(val) - 1 ? size : sizeof(val) - 1;
	memcpy(val, buf, len);
	val[len] = '\0';
	if (len && val[len - 1] == '\n')
		val[len - 1] = '\0';
	r = kcfs_attr_find(n.owner, n.name)->store(&n, val);
	explicit_bzero(val, sizeof(val)); /* it may be a DH-HMAC-CHAP key */
	return r < 0 ? r : (int)size;
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	if (h)
		explicit_bzero(h, sizeof(*h)); /* what a dhchap_*key file showed */
	free(h);
	return 0;
}

/* `echo x > attr` truncates first: nothing to do for an attribute. */
static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct kcfs_node n;
	int r = begin(path, &n);
	if (r < 0 || (r = node_exists(&n)) < 0)
		return r;
	return n.kind == K_ATTR ? 0 : kcfs_is_dir(n.kind) ? -EISDIR : -EPERM;
}

static int op_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	struct kcfs_node n;
	int r = begin(path, &n);
	return r < 0 ? r : node_exists(&n);
}

/* configfs has no create, mknod or rename: the VFS answers EACCES, EPERM. */
static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return -EACCES;
}

static int op_mknod(const char *path, mode_t mode, dev_t dev)
{
	return -EPERM;
}

static int op_rename(const char *from, const char *to, unsigned int flags)
{
	return -EPERM;
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/* the kernel caches nothing: katoctl's changes show at once */
	cfg->entry_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->direct_io = 1;
	cfg->kernel_cache = 0;
	started = time(NULL);
	return NULL;
}

const struct fuse_operations kcfs_ops = {
	.init = op_init,
	.getattr = op_getattr,
	.readlink = op_readlink,
	.readdir = op_readdir,
	.mkdir = op_mkdir,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.unlink = op_unlink,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.release = op_release,
	.truncate = op_truncate,
	.utimens = op_utimens,
	.create = op_create,
	.mknod = op_mknod,
	.rename = op_rename,
};

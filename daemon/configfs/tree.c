/*
 * tree.c - the path model of kato-configfs (see tree.h): which node of the
 * kernel target's configfs layout a path names. It exists so that the FUSE
 * operations (ops.c) switch on a kind instead of taking paths apart, and so
 * that the layout is written down in one place. Pure: no RPC, no state.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "daemon/configfs/tree.h"

bool kcfs_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	if (!*s || (s[0] == '0' && s[1]))
		return false; /* empty, or a leading zero */
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > max)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

bool kcfs_is_dir(enum kcfs_kind kind)
{
	return kind != K_ATTR && kind != K_ALLOWED_HOST && kind != K_PORT_LINK;
}

/* Splits buf (modified) at '/' into at most max components; the count, or
 * -1 when there are more. */
static int split(char *buf, char **comp, int max)
{
	int n = 0;
	for (char *p = strtok(buf, "/"); p; p = strtok(NULL, "/")) {
		if (n == max)
			return -1;
		comp[n++] = p;
	}
	return n;
}

/* An attribute file: c is the component after the object's directory. */
static int attr(struct kcfs_node *n, enum kcfs_kind owner, const char *c)
{
	n->kind = K_ATTR;
	n->owner = owner;
	n->name = c;
	return 0;
}

int kcfs_parse(const char *path, struct kcfs_node *n)
{
	memset(n, 0, sizeof(*n));
	if (strlen(path) >= sizeof(n->buf))
		return -ENAMETOOLONG;
	strcpy(n->buf, path);
	char *c[8];
	int k = split(n->buf, c, 8);
	if (k < 0)
		return -ENOENT;
	n->kind = K_ROOT;
	n->name = "";
	if (k == 0)
		return 0;
	n->name = c[k - 1];
	if (strcmp(c[0], "nvmet"))
		return -ENOENT;
	n->kind = K_NVMET;
	if (k == 1)
		return 0;
	if (!strcmp(c[1], "subsystems")) {
		n->kind = K_SUBSYSTEMS;
		if (k == 2)
			return 0;
		n->kind = K_SUBSYS;
		n->nqn = c[2];
		if (k == 3)
			return 0;
		if (!strcmp(c[3], "namespaces")) {
			n->kind = K_NAMESPACES;
			if (k == 4)
				return 0;
			n->kind = K_NS;
			n->nsid_ok = kcfs_parse_u32(c[4], 0xfffffffe, &n->nsid) && n->nsid;
			if (k == 5)
				return 0;
			return k == 6 ? attr(n, K_NS, c[5]) : -ENOENT;
		}
		if (!strcmp(c[3], "allowed_hosts")) {
			n->kind = K_ALLOWED_HOSTS;
			if (k == 4)
				return 0;
			n->kind = K_ALLOWED_HOST;
			n->host = c[4];
			return k == 5 ? 0 : -ENOENT;
		}
		return k == 4 ? attr(n, K_SUBSYS, c[3]) : -ENOENT;
	}
	if (!strcmp(c[1], "ports")) {
		n->kind = K_PORTS;
		if (k == 2)
			return 0;
		n->kind = K_PORT;
		n->portid_ok = kcfs_parse_u32(c[2], 65535, &n->portid);
		if (k == 3)
			return 0;
		if (!strcmp(c[3], "subsystems")) {
			n->kind = K_PORT_SUBSYSTEMS;
			if (k == 4)
				return 0;
			n->kind = K_PORT_LINK;
			n->nqn = c[4];
			return k == 5 ? 0 : -ENOENT;
		}
		if (!strcmp(c[3], "referrals")) {
			n->kind = K_REFERRALS;
			if (k == 4)
				return 0;
			n->kind = K_REFERRAL;
			return k == 5 ? 0 : -ENOENT;
		}
		if (!strcmp(c[3], "ana_groups")) {
			n->kind = K_ANA_GROUPS;
			if (k == 4)
				return 0;
			n->kind = K_ANA_GROUP;
			n->grpid_ok = kcfs_parse_u32(c[4], 128, &n->grpid) && n->grpid;
			if (k == 5)
				return 0;
			return k == 6 ? attr(n, K_ANA_GROUP, c[5]) : -ENOENT;
		}
		return k == 4 ? attr(n, K_PORT, c[3]) : -ENOENT;
	}
	if (!strcmp(c[1], "hosts")) {
		n->kind = K_HOSTS;
		if (k == 2)
			return 0;
		n->kind = K_HOST;
		n->host = c[2];
		if (k == 3)
			return 0;
		return k == 4 ? attr(n, K_HOST, c[3]) : -ENOENT;
	}
	return k == 2 ? attr(n, K_NVMET, c[1]) : -ENOENT;
}

int kcfs_resolve_target(const char *linkdir, const char *target, struct kcfs_node *n)
{
	char path[PATH_MAX];
	if (target[0] == '/') {
		/* the last "/nvmet/" whose rest is a path of the tree */
		const char *at = NULL;
		for (const char *p = strstr(target, "/nvmet/"); p; p = strstr(p + 1, "/nvmet/"))
			at = p;
		if (!at || strlen(at) >= sizeof(path))
			return -ENOENT;
		strcpy(path, at);
	} else {
		/* linkdir/target with "." and ".." taken out */
		char joined[PATH_MAX];
		if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", linkdir, target) >= sizeof(joined))
			return -ENOENT;
		char *c[64];
		int k = 0;
		for (char *p = strtok(joined, "/"); p; p = strtok(NULL, "/")) {
			if (!strcmp(p, "."))
				continue;
			if (!strcmp(p, "..")) {
				if (k == 0)
					return -ENOENT; /* above the mount point */
				k--;
				continue;
			}
			if (k == 64)
				return -ENOENT;
			c[k++] = p;
		}
		size_t off = 0;
		path[0] = '\0';
		for (int i = 0; i < k; i++)
			off += (size_t)snprintf(path + off, sizeof(path) - off, "/%s", c[i]);
		if (off >= sizeof(path))
			return -ENOENT;
	}
	return kcfs_parse(path, n);
}

/*
 * tree.h - the kernel target's configfs layout as kato-configfs serves it:
 * which path names what (code: tree.c). Pure: a path in, a node out; whether
 * the object exists is for the caller to ask katod (rpc.h) or the state
 * kept in the process (pending.h).
 *
 * The mount point stands for configfs's root (/sys/kernel/config), so the
 * tree starts with nvmet/, as in drivers/nvme/target/configfs.c:
 *
 *   nvmet/discovery_nqn
 *   nvmet/subsystems/NQN/attr_*
 *   nvmet/subsystems/NQN/namespaces/NSID/{device_path,device_uuid,enable,...}
 *   nvmet/subsystems/NQN/allowed_hosts/HOSTNQN      -> ../../../hosts/HOSTNQN
 *   nvmet/ports/PORTID/{addr_*,param_*}
 *   nvmet/ports/PORTID/subsystems/NQN               -> ../../../subsystems/NQN
 *   nvmet/ports/PORTID/referrals/
 *   nvmet/ports/PORTID/ana_groups/1/ana_state
 *   nvmet/hosts/HOSTNQN/dhchap_*
 */
#ifndef KATO_CONFIGFS_TREE_H
#define KATO_CONFIGFS_TREE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

enum kcfs_kind {
	K_ROOT,          /* the mount point: configfs's root */
	K_NVMET,         /* nvmet/ */
	K_SUBSYSTEMS,    /* nvmet/subsystems/ */
	K_SUBSYS,        /* nvmet/subsystems/NQN/ */
	K_NAMESPACES,    /* .../NQN/namespaces/ */
	K_NS,            /* .../NQN/namespaces/NSID/ */
	K_ALLOWED_HOSTS, /* .../NQN/allowed_hosts/ */
	K_ALLOWED_HOST,  /* .../NQN/allowed_hosts/HOSTNQN: a link */
	K_PORTS,         /* nvmet/ports/ */
	K_PORT,          /* nvmet/ports/PORTID/ */
	K_PORT_SUBSYSTEMS, /* .../PORTID/subsystems/ */
	K_PORT_LINK,     /* .../PORTID/subsystems/NQN: a link */
	K_REFERRALS,     /* .../PORTID/referrals/ */
	K_REFERRAL,      /* .../PORTID/referrals/NAME: never exists here */
	K_ANA_GROUPS,    /* .../PORTID/ana_groups/ */
	K_ANA_GROUP,     /* .../PORTID/ana_groups/GRPID/ */
	K_HOSTS,         /* nvmet/hosts/ */
	K_HOST,          /* nvmet/hosts/HOSTNQN/ */
	K_ATTR,          /* an attribute file of the object in `owner` */
};

/* A parsed path. The strings point into buf. Numbers that are not
 * canonical decimal ("01", "0x1") leave *_ok false: such a name never
 * exists, and mkdir of it is refused. */
struct kcfs_node {
	enum kcfs_kind kind;
	enum kcfs_kind owner; /* K_ATTR: K_NVMET, K_SUBSYS, K_NS, K_PORT, K_ANA_GROUP or K_HOST */
	const char *nqn;      /* K_SUBSYS and below; K_PORT_LINK: the linked subsystem */
	const char *host;     /* K_HOST and below; K_ALLOWED_HOST */
	uint32_t nsid;        /* K_NS and below */
	bool nsid_ok;         /* 1..0xfffffffe, canonical */
	uint32_t portid;      /* K_PORT and below */
	bool portid_ok;       /* 0..65535, canonical */
	uint32_t grpid;       /* K_ANA_GROUP and below */
	bool grpid_ok;
	const char *name;     /* the last component (an attribute's name, a link's) */
	char buf[PATH_MAX];
};

/* Parses path (absolute, from the mount point): 0, or -ENOENT when no
 * path of the layout has that shape, -ENAMETOOLONG. */
int kcfs_parse(const char *path, struct kcfs_node *n);

/* Whether kind is a directory (every kind but K_ATTR and the two links). */
bool kcfs_is_dir(enum kcfs_kind kind);

/* What a symlink's target names, for `ln -s TARGET LINK`: the target as
 * written (absolute, or relative to the link's directory linkdir, itself a
 * path from the mount point), resolved against the tree. An absolute
 * target is taken from the last "/nvmet/" on (scripts write
 * /sys/kernel/config/nvmet/..., wherever this tree is mounted). 0 with *n
 * parsed, or -ENOENT. */
int kcfs_resolve_target(const char *linkdir, const char *target, struct kcfs_node *n);

/* A number as configfs names it: canonical decimal in [0, max]. */
bool kcfs_parse_u32(const char *s, uint32_t max, uint32_t *out);

#endif

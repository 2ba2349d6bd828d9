/*
 * attrs.h - the attribute files of kato-configfs, with nvmet's names and
 * rules (code: attrs.c): what each shows, what a write to it does, and
 * which writes are refused with which errno.
 */
#ifndef KATO_CONFIGFS_ATTRS_H
#define KATO_CONFIGFS_ATTRS_H

#include <stddef.h>
#include <sys/types.h>
#include "daemon/configfs/tree.h"

/* Longest text an attribute shows (configfs: one page). */
#define KCFS_ATTR_MAX 4096

struct kcfs_attr {
	const char *name;
	enum kcfs_kind owner;
	mode_t mode; /* as configfs shows it: 0644, or 0200 for a write-only one */
	/* The text, newline included, into buf (KCFS_ATTR_MAX bytes): 0 or a
	 * negative errno. NULL for a write-only attribute. */
	int (*show)(const struct kcfs_node *n, char *buf);
	/* A write: val is what was written, one trailing newline taken off.
	 * 0 or a negative errno. */
	int (*store)(const struct kcfs_node *n, const char *val);
};

/* The attribute `name` of objects of kind owner, or NULL. */
const struct kcfs_attr *kcfs_attr_find(enum kcfs_kind owner, const char *name);
/* The i-th attribute of kind owner (for readdir), NULL past the last. */
const struct kcfs_attr *kcfs_attr_at(enum kcfs_kind owner, size_t i);

#endif

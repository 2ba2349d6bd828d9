/*
 * ops.h - kato-configfs's FUSE operations (code: ops.c): mkdir, rmdir,
 * symlink, unlink, readdir, getattr, readlink, open, read, write on the
 * nvmet tree, each turned into control RPCs or a change of the state kept
 * in the process. The table is handed to libfuse by main.c.
 */
#ifndef KATO_CONFIGFS_OPS_H
#define KATO_CONFIGFS_OPS_H

#define FUSE_USE_VERSION 31
#include <fuse.h>

extern const struct fuse_operations kcfs_ops;

#endif

/*
 * rpc.h - kato-configfs's calls to katod (code: rpc.c): one JSON-RPC
 * request on the control socket per change, through katoctl's client
 * (daemon/katoctl/client.h), and katod's refusals turned into the errno a
 * configfs write would answer. The view of what katod serves (view.h)
 * is read through kcfs_read; it calls down here, never the other way.
 */
#ifndef KATO_CONFIGFS_RPC_H
#define KATO_CONFIGFS_RPC_H

struct json_object;

/* The control socket's path (kept, not copied). */
void kcfs_rpc_init(const char *sock);

/* Calls method with params (consumed; NULL for none). 0 with *result (a
 * new reference; result may be NULL), or a negative errno: -ENOENT when
 * katod answers that the object does not exist, -EINVAL when it refuses
 * the parameters (a bad value, a duplicate, a configuration it would not
 * load), -EIO when it cannot be reached or fails otherwise. A refusal is
 * logged with katod's words. Each call counts as a change (kcfs_changes). */
int kcfs_call(const char *method, struct json_object *params, struct json_object **result);
/* kcfs_call for a method that only reads: not counted as a change. */
int kcfs_read(const char *method, struct json_object *params, struct json_object **result);
/* How many calls kcfs_call made: what was read before the last change is
 * stale (view.c compares). */
unsigned kcfs_changes(void);

/* kcfs_call with params built from "key", value pairs of strings, ended by
 * NULL (e.g. kcfs_callv("hosts.add", NULL, "nqn", host, NULL)). */
int kcfs_callv(const char *method, struct json_object **result, ...) __attribute__((sentinel));

#endif

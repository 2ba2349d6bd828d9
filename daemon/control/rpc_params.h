/*
 * rpc_params.h - reading and checking JSON-RPC params, and building
 * results, for the control socket's methods (daemon/control/rpc.c, rpc_edit.c,
 * rpc_keepalive.c, rpc_counters.c): one set of words for "unknown parameter",
 * "must be a string", "is out of range", so every method refuses alike.
 *
 * The readers return 0 (or 1 where they say so) on success, or a JSON-RPC
 * error code (KT_RPC_INVALID_PARAMS, daemon/control/rpc.h) with the reason in msg.
 */
#ifndef KATO_DAEMON_RPC_PARAMS_H
#define KATO_DAEMON_RPC_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;

/* In a method (whose arguments are named msg and msglen): writes the
 * message and evaluates to code. */
#define FAIL(code, ...) (snprintf(msg, msglen, __VA_ARGS__), (code))

/* params must be absent, null or an object whose keys are all in `keys`
 * (NULL-terminated) or, when attrs is given, in attrs (NULL-terminated
 * too: a second list of names the method takes). */
int kt_rpc_check_params(struct json_object *params, const char *const keys[], const char *const attrs[],
			char *msg, size_t msglen);

/* Each of `required` (NULL-terminated) is present and not null. */
int kt_rpc_require(struct json_object *params, const char *const required[], char *msg, size_t msglen);

/* An optional string parameter: 1 and *out when present, 0 when absent
 * (or null). */
int kt_rpc_opt_string(struct json_object *params, const char *key, const char **out, char *msg, size_t msglen);

/* An optional integer parameter in [lo, hi]: 1 and *out when present, 0
 * when absent. With digits, a string of decimal digits counts too (nvmetcli
 * writes attribute values as strings). */
int kt_rpc_opt_int(struct json_object *params, const char *key, int64_t lo, int64_t hi, bool digits,
		   int64_t *out, char *msg, size_t msglen);

/* Result building: o[key] = v (v owned by o); a NULL string is "". */
void kt_rpc_put(struct json_object *o, const char *key, struct json_object *v);
void kt_rpc_put_str(struct json_object *o, const char *key, const char *s);
void kt_rpc_put_u64(struct json_object *o, const char *key, uint64_t v);

#endif

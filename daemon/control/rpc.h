/*
 * rpc.h - the control socket's methods: what `katoctl` can ask a running
 * katod. Each method reads the live target (daemon/core/target.c) or the
 * configuration katod was started with, and answers a JSON value or a
 * JSON-RPC error. The transport (daemon/control/control.c) knows nothing of them.
 */
#ifndef KATO_DAEMON_RPC_H
#define KATO_DAEMON_RPC_H

#include <stddef.h>

struct json_object;
struct kt_config;

/* JSON-RPC 2.0 error codes (the -32768..-32000 range is the spec's). */
#define KT_RPC_PARSE_ERROR     (-32700)
#define KT_RPC_INVALID_REQUEST (-32600)
#define KT_RPC_NO_METHOD       (-32601)
#define KT_RPC_INVALID_PARAMS  (-32602)
#define KT_RPC_INTERNAL        (-32603)
/* kato's: the object a request names does not exist. */
#define KT_RPC_NOT_FOUND       (-32001)

/* Marks katod's start (uptime). The methods read the running configuration
 * from kt_live_running() (daemon/core/live.h). */
void kt_rpc_init(void);

/* Runs `method` with `params` (NULL, an object or an array). Returns 0 with
 * *result set (a new reference), or a JSON-RPC error code with a message
 * saying what is wrong in msg. */
int kt_rpc_call(const char *method, struct json_object *params, struct json_object **result,
		char *msg, size_t msglen);

/* The method names, NULL-terminated (for "method not found" hints). */
extern const char *const kt_rpc_methods[];

#endif

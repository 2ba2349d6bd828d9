/*
 * rpc.h - the control socket's methods: what `katoctl` can ask a running
 * katod. Each method reads the live target (daemon/core/target.c) or the
 * configuration katod was started with, and answers a JSON value or a
 * JSON-RPC error. The transport (daemon/control/control.c) knows nothing of them.
 */
#ifndef KATO_DAEMON_RPC_H
#define KATO_DAEMON_RPC_H

#include <stdbool.h>
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

/* Whom a method runs for: the connection the request came on (the
 * transport's, opaque here) and what a method may ask of it, handed in by
 * the control socket's transport (daemon/control/control.c) so that no
 * method calls up into it. */
struct kt_rpc_caller {
	void *conn;
	/* Sends (on) or stops sending conn the keep-alive trace as
	 * notifications after the method's answer (control.h says how):
	 * 0 or a negative errno. */
	int (*ka_subscribe)(void *conn, bool on);
	/* How many connections receive the trace. */
	unsigned (*ka_subscribers)(void);
};

/* Runs `method` with `params` (NULL, an object or an array) for caller
 * (NULL: not for a connection, as when a method runs another for its
 * answer; the trace subscription is then refused). Returns 0 with *result
 * set (a new reference), or a JSON-RPC error code with a message saying
 * what is wrong in msg. */
int kt_rpc_call(const struct kt_rpc_caller *caller, const char *method, struct json_object *params,
		struct json_object **result, char *msg, size_t msglen);

/* A method: as kt_rpc_call, without the name. */
#define KT_RPC_METHOD(name) \
	int name(const struct kt_rpc_caller *caller, struct json_object *params, \
		 struct json_object **result, char *msg, size_t msglen)

/* The method names, NULL-terminated (for "method not found" hints). */
extern const char *const kt_rpc_methods[];

#endif

/*
 * control.h - the control socket: a Unix stream socket on the main thread's
 * event loop speaking JSON-RPC 2.0 (methods: daemon/control/rpc.h; client: katoctl).
 *
 * Framing (cut by daemon/control/framing.h): requests are a stream of JSON
 * texts (objects, or arrays for a batch), each complete value is one
 * request whatever whitespace or newlines surround it; every response is
 * one line of JSON ended by "\n".
 * A request that is not JSON gets a parse error (-32700) and the connection
 * is closed (the stream cannot be resynchronised); one larger than 1 MiB is
 * refused the same way.
 */
#ifndef KATO_DAEMON_CONTROL_H
#define KATO_DAEMON_CONTROL_H

#include <stddef.h>

struct event_base;

#define KT_CONTROL_DEFAULT_PATH "/run/katod/katod.sock"
#define KT_CONTROL_GROUP "katod"
#define KT_CONTROL_MAX_REQUEST (1u << 20)
#define KT_CONTROL_MAX_CLIENTS 64

/* Creates the socket at path (its directory too, mode 0755, if missing),
 * mode 0660 and group "katod" when that group exists, and serves it on
 * base. A stale socket file is replaced; one a live katod answers on is
 * not (-EADDRINUSE). Returns 0 or a negative errno with a reason in err. */
int kt_control_start(struct event_base *base, const char *path, char *err, size_t errlen);
/* Closes every client and the socket, and removes the socket file. */
void kt_control_stop(void);

/* The keep-alive event trace, to the connections that asked for it
 * (keepalive.trace.subscribe, daemon/control/rpc_keepalive.c; the methods
 * reach the subscription through rpc.h's struct kt_rpc_caller, which the
 * transport hands them): after the method's answer, each trace line
 * reaches the connection as a notification
 * {"jsonrpc":"2.0","method":"keepalive.event","params":{...}}, one per
 * line. When more than KT_CONTROL_MAX_BACKLOG bytes wait unsent to it,
 * lines are dropped and counted, and once it has caught up it is told:
 * {"jsonrpc":"2.0","method":"keepalive.dropped","params":{"dropped":N}}. */
#define KT_CONTROL_MAX_BACKLOG (256u << 10)

#endif

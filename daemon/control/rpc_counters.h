/*
 * rpc_counters.h - the control socket's `counters` views built from the
 * counters the lower layers keep: the per-subsystem and per-namespace
 * report, and the one writer of the I/O totals shape that every counters
 * view (namespace, subsystem, controller) shares. It lives in control/
 * because it reads the running configuration and the live target and
 * writes JSON: daemon/core/counters.c keeps the expiry counts, the backends
 * the I/O counts (daemon/backend/backend.h, struct kt_ns_stats), and
 * neither calls up here.
 */
#ifndef KATO_DAEMON_RPC_COUNTERS_H
#define KATO_DAEMON_RPC_COUNTERS_H

#include <stdbool.h>

struct json_object;
struct kt_ns_totals;

/* The one writer of the I/O totals shape (struct kt_ns_totals,
 * daemon/backend/backend.h) that every counters view reports, per namespace,
 * subsystem and controller: adds to o, in this order, "commands" (only when
 * `commands`: a controller's SMART counters have no such total),
 * "read_commands", "write_commands", "bytes_read", "bytes_written",
 * "errors". katoctl's tables and the control tests read these names. */
void kt_counters_put_io(struct json_object *o, const struct kt_ns_totals *t, bool commands);

/* The `counters` method's per-subsystem and per-namespace views: adds
 * "subsystems" and "namespaces" arrays to result (an object), only for
 * subsystem subnqn when not NULL. Main thread (reads the running config). */
void kt_counters_json(struct json_object *result, const char *subnqn);

#endif

/*
 * counters.h - event counters that outlive the objects they count: keep-alive
 * expiries per subsystem (a total since katod started) and per controller
 * (found while that controller lives), and the `counters` method's
 * per-subsystem and per-namespace report, and the writer of the I/O totals
 * every counters view shares. Expiries are rare, so a mutex keeps
 * them; the per-I/O counters are elsewhere (per namespace, lock-free:
 * daemon/backend/backend.h, struct kt_ns_stats).
 */
#ifndef KATO_DAEMON_COUNTERS_H
#define KATO_DAEMON_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>

/* Records that controller cntlid of subsystem subnqn expired at now_ms
 * (kt_now_ms). Any thread. */
void kt_counters_ka_expired(const char *subnqn, uint16_t cntlid, uint64_t now_ms);
/* Keep-alive expiries of subsystem subnqn since katod started. */
uint64_t kt_counters_subsys_ka_expiries(const char *subnqn);
/* Expiries of controller cntlid of subnqn at or after since_ms (its admin
 * Connect): the last 256 expiries are remembered. */
uint64_t kt_counters_ctrl_ka_expiries(const char *subnqn, uint16_t cntlid, uint64_t since_ms);

/* The one writer of the I/O totals shape (struct kt_ns_totals,
 * daemon/backend/backend.h) that every counters view reports, per namespace,
 * subsystem and controller: adds to o, in this order, "commands" (only when
 * `commands`: a controller's SMART counters have no such total),
 * "read_commands", "write_commands", "bytes_read", "bytes_written",
 * "errors". katoctl's tables and the control tests read these names. */
struct json_object;
struct kt_ns_totals;
void kt_counters_put_io(struct json_object *o, const struct kt_ns_totals *t, bool commands);

/* The `counters` method's per-subsystem and per-namespace views: adds
 * "subsystems" and "namespaces" arrays to result (an object), only for
 * subsystem subnqn when not NULL. Main thread (reads the running config). */
void kt_counters_json(struct json_object *result, const char *subnqn);

#endif

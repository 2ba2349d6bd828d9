/*
 * counters.h - event counters that outlive the objects they count: keep-alive
 * expiries per subsystem (a total since katod started) and per controller
 * (found while that controller lives). Expiries are rare, so a mutex keeps
 * them; the per-I/O counters are elsewhere (per namespace, lock-free:
 * daemon/backend/backend.h, struct kt_ns_stats), and the `counters` method's
 * views of both are the control socket's (daemon/control/rpc_counters.h).
 */
#ifndef KATO_DAEMON_COUNTERS_H
#define KATO_DAEMON_COUNTERS_H

#include <stdint.h>

/* Records that controller cntlid of subsystem subnqn expired at now_ms
 * (kt_now_ms). Any thread. */
void kt_counters_ka_expired(const char *subnqn, uint16_t cntlid, uint64_t now_ms);
/* Keep-alive expiries of subsystem subnqn since katod started. */
uint64_t kt_counters_subsys_ka_expiries(const char *subnqn);
/* Expiries of controller cntlid of subnqn at or after since_ms (its admin
 * Connect): the last 256 expiries are remembered. */
uint64_t kt_counters_ctrl_ka_expiries(const char *subnqn, uint16_t cntlid, uint64_t since_ms);

#endif

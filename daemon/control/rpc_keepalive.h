/*
 * rpc_keepalive.h - the control socket's keep-alive methods: the
 * misbehaviour policy's rules (set, get, clear, list), forced expiry, the
 * trace file switched live, and the trace streamed to the calling
 * connection (through rpc.h's struct kt_rpc_caller; the notifications:
 * daemon/control/control.h). rpc.c lists them in its table; controllers.list
 * shows each controller's effective policy through kt_rpc_ka_policy_of.
 * Signature and return values as rpc.h's kt_rpc_call.
 *
 * Parameters use the configuration file's vocabulary ("katod"."keepalive".
 * "policy", config/config.c): a rule is {"cntlid"|"host"|"subsystem": ...,
 * "delay_ms", "drop", "status", "expire", "ignore_traffic",
 * "refuse_set_kato", "kas"}; a scope may also be given as
 * {"scope": {"cntlid"|"host"|"subsystem": ...}}.
 */
#ifndef KATO_DAEMON_RPC_KEEPALIVE_H
#define KATO_DAEMON_RPC_KEEPALIVE_H

#include <stdint.h>
#include "daemon/control/rpc.h" /* KT_RPC_METHOD */

struct json_object;

KT_RPC_METHOD(kt_rpc_ka_policy_set);       /* keepalive.policy.set */
KT_RPC_METHOD(kt_rpc_ka_policy_get);       /* keepalive.policy.get */
KT_RPC_METHOD(kt_rpc_ka_policy_clear);     /* keepalive.policy.clear */
KT_RPC_METHOD(kt_rpc_ka_policy_list);      /* keepalive.policy.list */
KT_RPC_METHOD(kt_rpc_ka_expire);           /* keepalive.expire */
KT_RPC_METHOD(kt_rpc_ka_trace);            /* keepalive.trace */
KT_RPC_METHOD(kt_rpc_ka_trace_subscribe);  /* keepalive.trace.subscribe */
KT_RPC_METHOD(kt_rpc_ka_trace_unsubscribe); /* keepalive.trace.unsubscribe */

/* The policy the rules of t (kt_ka_policy_table, taken once for many
 * controllers; NULL: no rule) give this controller, in the rule vocabulary
 * without a scope (a new object), or NULL when no rule covers it. */
struct kt_kapol_table;
struct json_object *kt_rpc_ka_policy_of(const struct kt_kapol_table *t, uint16_t cntlid, const char *hostnqn,
				       const char *subnqn);

#endif

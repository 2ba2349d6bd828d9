/*
 * rpc_edit.h - the control socket's methods that change the target:
 * ports, subsystems, namespaces, hosts and allowed hosts (add, remove, set,
 * link), and ports' ANA group states (ana.set with timed transitions). Each builds the next configuration from the running one and hands
 * it to kt_live_apply (daemon/core/live.h); rpc.c lists them in its table.
 * Signature and return values as rpc.h's kt_rpc_call.
 */
#ifndef KATO_DAEMON_RPC_EDIT_H
#define KATO_DAEMON_RPC_EDIT_H

#include "daemon/control/rpc.h" /* KT_RPC_METHOD */

KT_RPC_METHOD(kt_rpc_ports_add);
KT_RPC_METHOD(kt_rpc_ports_remove);
KT_RPC_METHOD(kt_rpc_ports_set);
KT_RPC_METHOD(kt_rpc_ports_link);
KT_RPC_METHOD(kt_rpc_ports_unlink);
KT_RPC_METHOD(kt_rpc_subsystems_add);
KT_RPC_METHOD(kt_rpc_subsystems_remove);
KT_RPC_METHOD(kt_rpc_subsystems_set);
KT_RPC_METHOD(kt_rpc_subsystems_allow_host);
KT_RPC_METHOD(kt_rpc_subsystems_disallow_host);
KT_RPC_METHOD(kt_rpc_namespaces_add);
KT_RPC_METHOD(kt_rpc_namespaces_remove);
KT_RPC_METHOD(kt_rpc_namespaces_set);
KT_RPC_METHOD(kt_rpc_hosts_add);
KT_RPC_METHOD(kt_rpc_hosts_set);
KT_RPC_METHOD(kt_rpc_hosts_remove);
/* reload [path]: the file applied as a whole (pending ANA transitions dropped) */
KT_RPC_METHOD(kt_rpc_reload);
KT_RPC_METHOD(kt_rpc_ana_set);
KT_RPC_METHOD(kt_rpc_ana_remove);
/* Drops pending timed ANA transitions (a reload's states win; exit). */
void kt_rpc_ana_cancel_all(void);

#endif

/*
 * rpc_faults.h - the control socket's fault rule methods (rpc_faults.c):
 * faults.add {rule} -> {"id", "rule"}, faults.remove {"id": N | "name": S},
 * faults.clear -> {"cleared": N}, faults.list -> [rule + id, matches,
 * fires, expired]. A rule is the configuration's "katod.faults" element
 * (config/config.h: kt_config_parse_fault_rule).
 */
#ifndef KATO_DAEMON_RPC_FAULTS_H
#define KATO_DAEMON_RPC_FAULTS_H

#include "daemon/control/rpc.h" /* KT_RPC_METHOD */

KT_RPC_METHOD(kt_rpc_faults_add);    /* faults.add */
KT_RPC_METHOD(kt_rpc_faults_remove); /* faults.remove */
KT_RPC_METHOD(kt_rpc_faults_clear);  /* faults.clear */
KT_RPC_METHOD(kt_rpc_faults_list);   /* faults.list */

#endif

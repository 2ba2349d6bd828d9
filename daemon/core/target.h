/*
 * target.h - the live target: the proto model built from the configuration
 * (ports, subsystems, namespaces with their backends), the controllers and
 * their queues across workers, and the keep-alive timers.
 */
#ifndef KATO_DAEMON_TARGET_H
#define KATO_DAEMON_TARGET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include "config/config.h"
#include "daemon/core/dctrl.h"
#include "daemon/core/keepalive.h"
#include "proto/ctrl.h"
#include "proto/fabrics.h"

struct event;
struct kt_sq;
struct kt_worker;

/* Builds the live target from a validated configuration: opens every
 * namespace's backend, with I/O counters for `workers` workers (the number
 * katod will start). Returns 0, or a negative errno with a reason. */
int kt_target_build(const struct kt_config *cfg, unsigned workers, char *err, size_t errlen);
void kt_target_destroy(void);
struct kt_target *kt_target_get(void);

/* Admin-queue Connect from queue sq: admits the host, allocates a controller
 * id, creates the controller with q as its admin queue and starts its
 * keep-alive timer. Returns a status (IPO/IATTR in cmd->cqe.dw0). */
uint16_t kt_target_connect_admin(struct kt_sq *sq, struct kt_cmd *cmd,
				 const struct kt_connect_args *a, struct kt_dctrl **out);
/* I/O-queue Connect: finds the controller and attaches sq to it. */
uint16_t kt_target_connect_io(struct kt_sq *sq, struct kt_cmd *cmd,
			      const struct kt_connect_args *a, struct kt_dctrl **out);

/* Queue sq (on its own worker) is gone: detach it. When it was the admin
 * queue every other queue is closed; the controller is freed with its last
 * queue. */
void kt_dctrl_queue_gone(struct kt_dctrl *dc, struct kt_sq *sq);
/* Calls fn on every controller under the target lock (fn must not take it;
 * it may take a controller's lock). */
void kt_target_foreach_ctrl(kt_ka_ctrl_fn fn, void *arg);

/* A controller as the control socket reports it: copied under the target
 * and controller locks. Fields the admin worker writes without a lock
 * (KATO, the last re-arm, CC/CSTS, the error count) are read with relaxed
 * word-sized atomic loads: a monitoring snapshot, never torn. */
struct kt_ctrl_info {
	uint16_t cntlid;
	bool discovery;
	char subnqn[KT_NQN_MAX + 1];
	char hostnqn[KT_NQN_MAX + 1];
	uint8_t hostid[16];
	char peer[64];              /* the admin queue's "addr:port", or "" */
	uint16_t portid;
	unsigned queues;            /* admin + I/O queues connected now */
	unsigned io_queues;
	uint32_t kato_ms;           /* 0: keep-alive disabled */
	bool traffic_based;         /* TBKAS (or a discovery activity timeout) */
	uint64_t ms_since_keepalive; /* since the last re-arm (Keep Alive, CC.EN, Connect) */
	uint64_t ms_since_traffic;  /* since the last command on any queue; UINT64_MAX: none */
	uint64_t age_ms;            /* since the admin Connect */
	uint32_t cc, csts;
	uint64_t host_reads, host_writes, bytes_read, bytes_written; /* SMART counters */
	uint64_t errors;            /* error log entries recorded */
	bool dying;                 /* its queues are closing (expired, failed, deleted) */
};

/* A snapshot of every controller, newest first, at time now (kt_now_ms).
 * *out is malloc'd (NULL when there are none); the caller frees it.
 * Returns 0 or -ENOMEM. */
int kt_target_ctrls_snapshot(struct kt_ctrl_info **out, size_t *n, uint64_t now);
/* Closes every queue of controller cntlid (of subsystem subnqn, or of any
 * subsystem when NULL), as a keep-alive expiry would, but without the
 * error. Returns 0, -ENOENT (no such controller) or -ENOTUNIQ (subnqn is
 * NULL and two subsystems have a controller with that id). */
int kt_target_disconnect(const char *subnqn, uint16_t cntlid, const char *why);

/* Which transport serves a port (main.c hands in kt_transport_for), and
 * the answer for port p (NULL: none). */
struct kt_transport_ops;
void kt_target_set_transports(const struct kt_transport_ops *(*fn)(const struct kt_port *p));
const struct kt_transport_ops *kt_target_transport(const struct kt_port *p);
/* Starts / stops listening for port p through its transport (main thread:
 * at start and at live changes). 0, or a negative errno with err. */
int kt_target_listen(const struct kt_port *p, char *err, size_t errlen);
void kt_target_unlisten(const struct kt_port *p);

/* Settings from the "katod" section that the daemon consults. */
const struct kt_cfg_daemon *kt_target_settings(void);
void kt_target_set_settings(const struct kt_cfg_daemon *d);

/* Building blocks of the model, for kt_target_build and live changes
 * (daemon/core/live.c). kt_target_ns_open opens the backend, counting I/O of
 * `workers` workers; `what` names the namespace in err; NULL with errno set
 * on failure. */
struct kt_ns *kt_target_ns_open(const struct kt_cfg_subsys *cs, const struct kt_cfg_ns *cn,
				unsigned workers, const char *what, char *err, size_t errlen);
void kt_target_ns_close(struct kt_ns *ns);
int kt_target_subsys_fill(struct kt_subsys *s, const struct kt_cfg_subsys *cs);
void kt_target_subsys_free(struct kt_subsys *s); /* not its namespaces */
void kt_target_port_fill(struct kt_port *p, const struct kt_cfg_port *cp);
void kt_target_port_free(struct kt_port *p);
void kt_target_sort_ns(struct kt_ns **ns, size_t n);

/* Live changes: main thread, with the workers paused (daemon/core/pause.h). */
void kt_target_ns_changed(const struct kt_subsys *s, const uint32_t *nsids, size_t n);
void kt_target_disc_changed(void);
/* ANA states or groups changed for controllers of port p / subsystem s
 * (NULL: any): they are told (workers paused). */
void kt_target_ana_changed(const struct kt_port *p, const struct kt_subsys *s);
unsigned kt_target_close_ctrls(const struct kt_subsys *s, const struct kt_port *p, const char *why);
bool kt_target_subsys_in_use(const struct kt_subsys *s);

#endif

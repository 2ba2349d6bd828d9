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
#include "proto/ctrl.h"
#include "proto/fabrics.h"

struct event;
struct kt_queue;
struct kt_worker;

/* A controller as the daemon holds it. */
struct kt_dctrl {
	struct kt_ctrl c;
	pthread_mutex_t lock;       /* queues, nr_queues, admin, dying */
	struct kt_queue *queues;    /* linked by kt_queue.ctrl_next */
	unsigned nr_queues;
	struct kt_queue *admin;
	struct kt_worker *admin_worker;
	struct event *ka_timer;     /* on the admin worker */
	uint64_t ka_armed_for;      /* deadline the timer was last set for */
	bool dying;
	struct kt_dctrl *next;      /* all controllers (target lock) */
};

/* Builds the live target from a validated configuration: opens every
 * namespace's backend. Returns 0, or a negative errno with a reason. */
int kt_target_build(const struct kt_config *cfg, char *err, size_t errlen);
void kt_target_destroy(void);
struct kt_target *kt_target_get(void);

/* Admin-queue Connect from queue q: admits the host, allocates a controller
 * id, creates the controller with q as its admin queue and starts its
 * keep-alive timer. Returns a status (IPO/IATTR in cmd->cqe.dw0). */
uint16_t kt_target_connect_admin(struct kt_queue *q, struct kt_cmd *cmd,
				 const struct kt_connect_args *a, struct kt_dctrl **out);
/* I/O-queue Connect: finds the controller and attaches q to it. */
uint16_t kt_target_connect_io(struct kt_queue *q, struct kt_cmd *cmd,
			      const struct kt_connect_args *a, struct kt_dctrl **out);

/* Queue q (on its own worker) is gone: detach it. When it was the admin
 * queue every other queue is closed; the controller is freed with its last
 * queue. */
void kt_dctrl_queue_gone(struct kt_dctrl *dc, struct kt_queue *q);
/* Closes the controller's I/O queues (reset), or all of them. */
void kt_dctrl_close_queues(struct kt_dctrl *dc, bool include_admin, const char *why);
/* Re-evaluates the keep-alive timer after KATO changed (admin worker). */
void kt_dctrl_ka_update(struct kt_dctrl *dc);

/* Settings from the "katod" section that the daemon consults. */
const struct kt_cfg_daemon *kt_target_settings(void);

#endif

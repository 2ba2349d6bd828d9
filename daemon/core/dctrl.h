/*
 * dctrl.h - a controller as the daemon holds it: proto's controller model,
 * its queues across workers, and its keep-alive engine state. Data only,
 * in a header of its own so that every part of the core that touches a
 * controller (queues, keep-alive, the target) can name it without
 * depending on the others.
 */
#ifndef KATO_DAEMON_CORE_DCTRL_H
#define KATO_DAEMON_CORE_DCTRL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto/auth.h"
#include "proto/ctrl.h"
#include "proto/kapolicy.h"

struct kt_sq;
struct kt_worker;
struct kt_ka_hold;

/* Per-controller engine state, inside struct kt_dctrl. */
struct kt_ka {
	size_t heap_idx;            /* in the admin worker's heap, or SIZE_MAX */
	uint64_t armed_ms;          /* when the heap entry fires (0: not armed) */
	uint64_t traced_traffic_ms; /* traffic re-arm last written to the trace */
	struct kt_kapol pol;        /* effective policy; c.ka_pol points here when set */
	struct kt_ka_hold *holds;   /* Keep Alive completions the policy holds */
	bool attached;              /* between admin Connect and the admin queue's end */
	bool expired;
};

/* A controller as the daemon holds it. */
struct kt_dctrl {
	struct kt_ctrl c;
	pthread_mutex_t lock;       /* queues, nr_queues, admin, dying */
	struct kt_sq *queues;       /* linked by kt_sq.ctrl_next */
	unsigned nr_queues;
	struct kt_sq *admin;
	struct kt_worker *admin_worker;
	struct kt_ka ka;            /* keep-alive engine state (admin worker) */
	bool dying;
	bool auth_required;         /* Connect answered ATR (lock) */
	struct kt_auth_keys auth_keys; /* the host's keys as of the last admin Negotiate (lock); secret */
	struct kt_dctrl *next, *prev; /* all controllers (target lock); prev: O(1) unlink at teardown */
};

#endif

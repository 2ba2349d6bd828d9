/*
 * ka_decide.h - what the keep-alive timer does with a controller, as pure
 * functions of the controller and a time passed in: no clock, no timer, no
 * threads, so that the exact moment of an expiry (never early) is tested
 * without sleeping (tests/unit/test_ka_timer.c). The arithmetic of the
 * deadline itself (re-arm, TBKAS, the policy's fraction or "never", the
 * discovery activity timeout) is proto's kt_ctrl_ka_deadline; this is the
 * step from that deadline to the timer: when its entry fires, and what to
 * do when it has fired. daemon/core/keepalive.c acts on the answers.
 *
 * Times are whole milliseconds of CLOCK_MONOTONIC: a controller whose
 * deadline is D expires at the first reading > D.
 */
#ifndef KATO_DAEMON_KA_DECIDE_H
#define KATO_DAEMON_KA_DECIDE_H

#include <stdbool.h>
#include <stdint.h>
#include "proto/ctrl.h"

/* Does traffic (a command on any queue) count for c's deadline right now:
 * TBKAS not overridden by the policy, or a discovery activity timeout. */
bool kt_ka_traffic_counts(const struct kt_ctrl *c);

/* When c's timer entry should fire: the first millisecond past its
 * deadline, or 0 when it has none (KATO 0 without an activity timeout, or
 * a policy that never expires). */
uint64_t kt_ka_fire_at(const struct kt_ctrl *c);

enum kt_ka_act {
	KT_KA_STOP,                 /* no deadline: the timer stays off */
	KT_KA_REARM,                /* not yet: fire again at `at` */
	KT_KA_EXPIRE,               /* expire now; `deadline` was passed */
};

struct kt_ka_due {
	enum kt_ka_act act;
	uint64_t deadline;          /* REARM, EXPIRE: the deadline (ms) */
	uint64_t at;                /* REARM: when to fire next (deadline + 1) */
};

/* c's timer entry fired at `now` (ms): expire, re-arm or stop. Traffic
 * since the entry was armed shows as a later deadline: a re-arm. */
struct kt_ka_due kt_ka_due(const struct kt_ctrl *c, uint64_t now);

#endif

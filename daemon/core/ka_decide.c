/*
 * ka_decide.c - the keep-alive timer's decisions (see ka_decide.h), pure
 * functions kept out of the engine so that they are tested with time
 * passed in.
 */
#include <stdatomic.h>
#include "daemon/core/ka_decide.h"
#include "proto/kapolicy.h"

bool kt_ka_traffic_counts(const struct kt_ctrl *c)
{
	if (!c->kato_ms)
		return c->ka_activity_ms != 0;
	if (c->ka_pol && (c->ka_pol->set & KT_KAPOL_F_IGNORE_TRAFFIC) && c->ka_pol->ignore_traffic)
		return false;
	return c->ka_traffic_based;
}

uint64_t kt_ka_fire_at(const struct kt_ctrl *c)
{
	uint64_t deadline = kt_ctrl_ka_deadline(c);
	return deadline ? deadline + 1 : 0;
}

struct kt_ka_due kt_ka_due(const struct kt_ctrl *c, uint64_t now)
{
	uint64_t deadline = kt_ctrl_ka_deadline(c);
	if (!deadline)
		return (struct kt_ka_due){ KT_KA_STOP, 0, 0 };
	if (now > deadline)
		return (struct kt_ka_due){ KT_KA_EXPIRE, deadline, 0 };
	return (struct kt_ka_due){ KT_KA_REARM, deadline, deadline + 1 };
}

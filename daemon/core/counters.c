/*
 * counters.c - keep-alive expiry counters (see counters.h): a small table of
 * per-subsystem totals and a ring of recent expiries, under one mutex.
 * Written by the worker that expires a controller, read by the control
 * socket; never on the I/O path. It calls nothing but libc: the views the
 * control socket builds from these counts are daemon/control/rpc_counters.c.
 */
#include "daemon/core/counters.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "proto/model.h"

#define RECENT 256

struct subsys_count {
	char nqn[KT_NQN_MAX + 1];
	uint64_t expiries;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct subsys_count *subs;
static size_t n_subs, cap_subs;
static struct {
	char nqn[KT_NQN_MAX + 1];
	uint16_t cntlid;
	uint64_t at_ms;
} recent[RECENT];
static size_t n_recent; /* total recorded; the ring holds the last RECENT */

static struct subsys_count *find(const char *nqn, int create)
{
	for (size_t i = 0; i < n_subs; i++)
		if (!strcmp(subs[i].nqn, nqn))
			return &subs[i];
	if (!create)
		return NULL;
	if (n_subs == cap_subs) {
		size_t cap = cap_subs ? 2 * cap_subs : 16;
		struct subsys_count *v = realloc(subs, cap * sizeof(*v));
		if (!v)
			return NULL;
		subs = v;
		cap_subs = cap;
	}
	struct subsys_count *s = &subs[n_subs++];
	memset(s, 0, sizeof(*s));
	strncpy(s->nqn, nqn, KT_NQN_MAX);
	return s;
}

void kt_counters_ka_expired(const char *subnqn, uint16_t cntlid, uint64_t now_ms)
{
	pthread_mutex_lock(&lock);
	struct subsys_count *s = find(subnqn, 1);
	if (s)
		s->expiries++;
	size_t i = n_recent++ % RECENT;
	strncpy(recent[i].nqn, subnqn, KT_NQN_MAX);
	recent[i].nqn[KT_NQN_MAX] = '\0';
	recent[i].cntlid = cntlid;
	recent[i].at_ms = now_ms;
	pthread_mutex_unlock(&lock);
}

uint64_t kt_counters_subsys_ka_expiries(const char *subnqn)
{
	pthread_mutex_lock(&lock);
	struct subsys_count *s = find(subnqn, 0);
	uint64_t v = s ? s->expiries : 0;
	pthread_mutex_unlock(&lock);
	return v;
}

uint64_t kt_counters_ctrl_ka_expiries(const char *subnqn, uint16_t cntlid, uint64_t since_ms)
{
	uint64_t v = 0;
	pthread_mutex_lock(&lock);
	size_t n = n_recent < RECENT ? n_recent : RECENT;
	for (size_t i = 0; i < n; i++)
		if (recent[i].cntlid == cntlid && recent[i].at_ms >= since_ms && !strcmp(recent[i].nqn, subnqn))
			v++;
	pthread_mutex_unlock(&lock);
	return v;
}

/*
 * pause.c - parks every worker at a barrier so the main thread can change
 * the target model with nothing running (daemon/core/pause.h). The message a
 * worker runs counts itself in and waits on a condition variable until the
 * epoch moves on; the main thread waits until all have counted in. A
 * worker thus stops between two handlers, never inside one.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include "daemon/log.h"
#include "daemon/core/pause.h"
#include "daemon/core/worker.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static unsigned arrived;    /* workers parked in this pause */
static uint64_t epoch;      /* moves on at every resume */

static void park(struct kt_worker *w, void *arg)
{
	(void)w;
	(void)arg;
	pthread_mutex_lock(&mu);
	uint64_t e = epoch;
	arrived++;
	pthread_cond_broadcast(&cv);
	while (epoch == e)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

int kt_workers_pause(void)
{
	unsigned n = kt_workers_count(), posted = 0;
	pthread_mutex_lock(&mu);
	arrived = 0;
	pthread_mutex_unlock(&mu);
	for (unsigned i = 0; i < n; i++) {
		if (kt_worker_post(kt_worker_get(i), park, NULL) < 0)
			break;
		posted++;
	}
	pthread_mutex_lock(&mu);
	while (arrived < posted)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	if (posted < n) {
		kt_workers_resume();
		kt_err("pause: cannot reach worker %u", posted);
		return -ENOMEM;
	}
	return 0;
}

void kt_workers_resume(void)
{
	pthread_mutex_lock(&mu);
	epoch++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

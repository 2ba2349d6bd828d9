/*
 * test_pause.c - the stop-the-world pause (daemon/core/pause.c) with real
 * worker threads: while paused, no worker runs a handler (messages posted
 * meanwhile wait), every worker is parked, and after resume they all run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/core/pause.h"
#include "daemon/core/worker.h"

static _Atomic unsigned ran;
static _Atomic int inside;     /* handlers running right now */

static void bump(struct kt_worker *w, void *arg)
{
	(void)w;
	(void)arg;
	atomic_fetch_add(&inside, 1);
	usleep(200);
	atomic_fetch_add(&ran, 1);
	atomic_fetch_sub(&inside, 1);
}

static void wait_ran(unsigned n)
{
	for (int i = 0; i < 5000 && atomic_load(&ran) < n; i++)
		usleep(1000);
}

static void test_pause_stops_handlers(void **state)
{
	(void)state;
	assert_int_equal(kt_workers_start(3, NULL), 0);
	for (int round = 0; round < 50; round++) {
		atomic_store(&ran, 0);
		for (unsigned i = 0; i < 3; i++)
			for (int k = 0; k < 5; k++)
				assert_int_equal(kt_worker_post(kt_worker_get(i), bump, NULL), 0);
		assert_int_equal(kt_workers_pause(), 0);
		/* everything posted before the pause ran; nothing runs now */
		assert_int_equal(atomic_load(&ran), 15);
		assert_int_equal(atomic_load(&inside), 0);
		for (unsigned i = 0; i < 3; i++)
			assert_int_equal(kt_worker_post(kt_worker_get(i), bump, NULL), 0);
		usleep(round == 0 ? 50000 : 100);
		assert_int_equal(atomic_load(&ran), 15); /* posted while paused: waits */
		kt_workers_resume();
		wait_ran(18);
		assert_int_equal(atomic_load(&ran), 18);
	}
	kt_workers_stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pause_stops_handlers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_ka_many.c - keep-alive timers of many controllers at once on one
 * katod (the timer heap of daemon/core/ka_heap.c, issue 4): Keep Alives move
 * each controller's heap entry so none expires while its host keeps up;
 * half the controllers falling silent expire while the other half lives
 * on; every expiry comes at the deadline katod computed from the last Keep
 * Alive (trace: deadline_ms = rearm_ms + KATO), never before it (trace
 * at_us, and the close as the host sees it), exactly once. How late is
 * the benchmark's business (tests/bench/keepalive.c), not asserted here.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "tests/host/host.h"
#include "tests/integration/harness.h"

#define N 48            /* controllers: admin + one I/O queue each */
/* 1.7 s of slack over the Keep Alive period: on a loaded 2-core CI machine
 * under ASan this host may stall for hundreds of milliseconds */
#define KATO_MS 2000
#define KA_EVERY_MS 300 /* each host's Keep Alive period; phases spread */

static struct hn_katod K;

static const char CONFIG[] = HN_CONFIG_ONE("{\"backend\": \"null\", \"size\": \"1G\"}",
					    "{\"workers\": 2, \"log_level\": \"warn\", \"keepalive\": {\"trace\": \"%s\"}}");

struct ctl {
	struct kh_host *a, *io;
	uint16_t cntlid;
	int64_t last_ka_us;   /* just before the last Keep Alive was sent */
	int64_t closed_us;    /* when the host saw the admin queue close; 0: open */
	int64_t next_ka_us;
	bool silent;          /* stopped sending */
	unsigned expiries;    /* "expiry" events in the trace */
	unsigned long long deadline_ms, at_us, rearm_ms;
};

static struct ctl C[N];

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool peer_closed(struct kh_host *h)
{
	struct pollfd p = { .fd = kh_fd(h), .events = POLLRDHUP };
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* One pass: Keep Alives that are due (unless silent), closes noticed. */
static void pass(void)
{
	for (int i = 0; i < N; i++) {
		struct ctl *c = &C[i];
		if (!c->a || c->closed_us)
			continue;
		if (peer_closed(c->a)) {
			c->closed_us = now_us();
			continue;
		}
		if (!c->silent && now_us() >= c->next_ka_us) {
			c->last_ka_us = now_us();
			HN_ASSERT_OK(kh_keep_alive(c->a));
			c->next_ka_us = c->last_ka_us + KA_EVERY_MS * 1000;
		}
	}
}

static void run_until(int64_t t)
{
	while (now_us() < t) {
		pass();
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
}

static unsigned long long field(const char *line, const char *name)
{
	const char *p = strstr(line, name);
	unsigned long long v = 0;
	if (!p || sscanf(p + strlen(name), "%llu", &v) != 1)
		fail_msg("trace line without %s: %s", name, line);
	return v;
}

static struct ctl *by_cntlid(unsigned id)
{
	for (int i = 0; i < N; i++)
		if (C[i].cntlid == id)
			return &C[i];
	return NULL;
}

static void many_controllers_expire_exactly(void **state)
{
	(void)state;
	struct kh_opts o = { .subnqn = HN_SUBNQN, .kato_ms = KATO_MS };
	struct kh_opts oi = o;
	oi.sqsize = 127;
	int64_t t0 = now_us();
	for (int i = 0; i < N; i++) {
		HN_ASSERT_OK(kh_admin_up(&C[i].a, HN_ADDR, K.port[0], &o));
		HN_ASSERT_OK(kh_io_up(&C[i].io, C[i].a, HN_ADDR, K.port[0], 1, &oi, NULL));
		C[i].cntlid = kh_cntlid(C[i].a);
		C[i].last_ka_us = now_us();
		C[i].next_ka_us = t0 + (int64_t)i * KA_EVERY_MS * 1000 / N;
		pass();
	}
	/* 2.5 KATO of Keep Alives: nobody expires */
	run_until(now_us() + KATO_MS * 2500);
	for (int i = 0; i < N; i++)
		assert_int_equal(C[i].closed_us, 0);

	/* the odd half falls silent and expires; the even half lives on */
	for (int i = 1; i < N; i += 2)
		C[i].silent = true;
	run_until(now_us() + KATO_MS * 1500);
	for (int i = 0; i < N; i++) {
		if (i & 1)
			assert_true(C[i].closed_us != 0);
		else
			assert_int_equal(C[i].closed_us, 0);
	}

	/* then the rest */
	for (int i = 0; i < N; i += 2)
		C[i].silent = true;
	int64_t give_up = now_us() + KATO_MS * 5000;
	bool all;
	do {
		run_until(now_us() + 2000);
		all = true;
		for (int i = 0; i < N; i++)
			all = all && C[i].closed_us;
	} while (!all && now_us() < give_up);
	assert_true(all);

	/* never early, as the host sees it */
	for (int i = 0; i < N; i++)
		assert_true(C[i].closed_us >= C[i].last_ka_us + KATO_MS * 1000);

	/* the trace: each controller's last Keep Alive, then one expiry at its
	 * deadline, never before it; the odd half's all come first */
	FILE *f = fopen(hn_path(&K, "trace.jsonl"), "r");
	assert_non_null(f);
	char line[2048];
	unsigned expired = 0, odd_after_even = 0, even_seen = 0;
	while (fgets(line, sizeof(line), f)) {
		bool ka = strstr(line, "\"event\":\"keep_alive\"") != NULL;
		bool ex = strstr(line, "\"event\":\"expiry\"") != NULL;
		if (!ka && !ex)
			continue;
		struct ctl *c = by_cntlid((unsigned)field(line, "\"cntlid\":"));
		assert_non_null(c);
		if (ka) {
			c->rearm_ms = field(line, "\"rearm_ms\":");
			continue;
		}
		assert_null(strstr(line, "\"forced\":true"));
		c->expiries++;
		c->deadline_ms = field(line, "\"deadline_ms\":");
		c->at_us = field(line, "\"at_us\":");
		expired++;
		if ((c - C) & 1)
			odd_after_even += even_seen != 0;
		else
			even_seen++;
	}
	fclose(f);
	assert_int_equal(expired, N);
	assert_int_equal(odd_after_even, 0);
	for (int i = 0; i < N; i++) {
		struct ctl *c = &C[i];
		assert_int_equal(c->expiries, 1);
		assert_int_equal(c->deadline_ms, c->rearm_ms + KATO_MS);
		/* expired at the first millisecond reading past the deadline */
		assert_true(c->at_us >= (c->deadline_ms + 1) * 1000);
	}
	for (int i = 0; i < N; i++) {
		kh_close(C[i].io);
		kh_close(C[i].a);
	}
	hn_pass(&K);
}

static int group_setup(void **state)
{
	*state = &K;
	if (hn_init(&K, 1))
		return -1;
	return hn_start(&K, 1, CONFIG, K.port[0], hn_path(&K, "trace.jsonl"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HN_TEST(many_controllers_expire_exactly),
	};
	return cmocka_run_group_tests(tests, group_setup, hn_group_teardown);
}

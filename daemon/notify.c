/*
 * notify.c - sd_notify for katod (see notify.h): READY=1, STATUS= with the
 * live controller and queue counts, WATCHDOG=1 gated on worker heartbeats,
 * STOPPING=1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>
#include <systemd/sd-daemon.h>
#include "daemon/log.h"
#include "daemon/notify.h"
#include "daemon/core/target.h"
#include "daemon/core/worker.h"

static struct event *status_ev, *wd_ev;
static char last_status[256];
static uint64_t wd_stale_ms;       /* a heartbeat older than this stops the pings */
static int stuck_worker = -1;      /* the worker we last warned about */

static void status_line(char *buf, size_t len)
{
	struct kt_ctrl_info *v = NULL;
	size_t n = 0, io = 0, disc = 0, queues = 0;
	if (kt_target_ctrls_snapshot(&v, &n, kt_now_ms()) == 0) {
		for (size_t i = 0; i < n; i++) {
			disc += v[i].discovery;
			io += !v[i].discovery;
			queues += v[i].queues;
		}
		free(v);
	}
	const struct kt_target *t = kt_target_get();
	snprintf(buf, len, "%zu I/O controller%s, %zu discovery, %zu queue%s; %zu port%s, %zu subsystem%s",
		 io, io == 1 ? "" : "s", disc, queues, queues == 1 ? "" : "s", t->n_ports,
		 t->n_ports == 1 ? "" : "s", t->n_subsys, t->n_subsys == 1 ? "" : "s");
}

static void on_status(evutil_socket_t fd, short what, void *arg)
{
	char s[sizeof(last_status)];
	status_line(s, sizeof(s));
	if (strcmp(s, last_status)) {
		strcpy(last_status, s);
		sd_notifyf(0, "STATUS=%s", s);
	}
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	uint64_t now = kt_now_ms();
	for (unsigned i = 0; i < kt_workers_count(); i++) {
		uint64_t hb = atomic_load_explicit(&kt_worker_get(i)->heartbeat_ms, memory_order_relaxed);
		if (now > hb && now - hb > wd_stale_ms) {
			if (stuck_worker != (int)i)
				kt_err("worker %u has not run its loop for %" PRIu64 " ms: not pinging the watchdog",
				       i, now - hb);
			stuck_worker = (int)i;
			return;
		}
	}
	if (stuck_worker >= 0)
		kt_warn("worker %d runs again: watchdog pings resume", stuck_worker);
	stuck_worker = -1;
	sd_notify(0, "WATCHDOG=1");
}

int kt_notify_ready(struct event_base *base)
{
	status_line(last_status, sizeof(last_status));
	sd_notifyf(0, "READY=1\nSTATUS=%s", last_status);
	if (getenv("NOTIFY_SOCKET")) {
		status_ev = event_new(base, -1, EV_PERSIST, on_status, NULL);
		struct timeval one = { 1, 0 };
		if (!status_ev || event_add(status_ev, &one) < 0)
			return -1;
	}
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		/* ping twice per period; a worker is stuck when its heartbeat is
		 * older than half the period (and at least three beats) */
		uint64_t half = usec / 2;
		wd_stale_ms = half / 1000 > 3 * KT_WORKER_HEARTBEAT_MS ? half / 1000 : 3 * KT_WORKER_HEARTBEAT_MS;
		wd_ev = event_new(base, -1, EV_PERSIST, on_watchdog, NULL);
		struct timeval tv = { (time_t)(half / 1000000), (suseconds_t)(half % 1000000) };
		if (!wd_ev || event_add(wd_ev, &tv) < 0)
			return -1;
		kt_info("systemd watchdog: %" PRIu64 " ms, pinged every %" PRIu64 " ms while every worker runs",
			usec / 1000, half / 1000);
		on_watchdog(-1, 0, NULL);
	}
	return 0;
}

void kt_notify_reloading(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=reloading the configuration",
		   (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
}

void kt_notify_reloaded(const char *error)
{
	if (error)
		sd_notifyf(0, "READY=1\nSTATUS=reload failed, running unchanged: %.200s", error);
	else
		sd_notifyf(0, "READY=1\nSTATUS=%s", last_status);
}

void kt_notify_stopping(const char *why)
{
	sd_notifyf(0, "STOPPING=1\nSTATUS=stopping: %s", why);
}

void kt_notify_stop(void)
{
	if (status_ev)
		event_free(status_ev);
	if (wd_ev)
		event_free(wd_ev);
	status_ev = wd_ev = NULL;
}

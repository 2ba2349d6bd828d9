/*
 * notify.h - katod under systemd: readiness and live STATUS= counts, and
 * the watchdog. The watchdog is pinged from the main loop only while every
 * worker loop's heartbeat (worker.h) is fresh, so a stuck worker stops the
 * pings and systemd restarts the service. Outside systemd (no NOTIFY_SOCKET,
 * no WATCHDOG_USEC) all of this does nothing.
 */
#ifndef KATO_DAEMON_NOTIFY_H
#define KATO_DAEMON_NOTIFY_H

struct event_base;

/* Sends READY=1 with a first STATUS=, then keeps STATUS= current (checked
 * every second, sent when it changed) and starts the watchdog pings when
 * the service manager asked for them. Call once every listener is bound. */
int kt_notify_ready(struct event_base *base);
/* systemd's reload protocol around SIGHUP (ExecReload): RELOADING=1 with
 * MONOTONIC_USEC= before, READY=1 after, and a STATUS= saying whether the
 * reload failed (katod keeps running unchanged then). */
void kt_notify_reloading(void);
void kt_notify_reloaded(const char *error);
/* STOPPING=1 with a status line; stops the timers. */
void kt_notify_stopping(const char *why);
void kt_notify_stop(void);

#endif

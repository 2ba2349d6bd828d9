/*
 * live.h - the running configuration and live changes to the target.
 *
 * One way to change the target while katod runs: every change (the reload
 * of a file, SIGHUP, a fine-grained JSON-RPC method such as ports.add) is a
 * new, validated struct kt_config. kt_live_apply works out the difference
 * between the running configuration and the new one and applies it to the
 * live target (daemon/core/target.c) with a stop-the-world pause of the workers
 * (daemon/core/pause.c); see live.c for the steps. Main thread only.
 */
#ifndef KATO_DAEMON_LIVE_H
#define KATO_DAEMON_LIVE_H

#include <stddef.h>

struct kt_config;
struct event_base;

/* Takes ownership of the configuration katod started with (main.c). path is
 * the file it came from (copied), or NULL for the built-in default (then
 * reload without a path is refused). base is the main event loop (listeners
 * and the drain timer live on it). */
void kt_live_init(struct kt_config *cfg, const char *path, struct event_base *base);
/* Frees the running configuration and what live changes still hold. */
void kt_live_fini(void);

/* The main thread's event base (timers of control methods). */
struct event_base *kt_live_base(void);
/* The running configuration (never NULL after kt_live_init). Main thread. */
const struct kt_config *kt_live_running(void);
/* The file reload reads by default ("" when katod runs the built-in default). */
const char *kt_live_path(void);

/* Applies the difference between the running config and next to the live
 * target. On success takes ownership of next (it becomes the running
 * config) and returns 0. On failure nothing changed, next is still the
 * caller's, err says why, naming the object ("subsystem nqn...: cannot open
 * /path: ..."; "katod.workers changes only at restart"), and it returns a
 * negative errno. Main thread. */
int kt_live_apply(struct kt_config *next, char *err, size_t errlen);

/* Loads path (NULL: the file katod was started with) and applies it. On a
 * configuration error nothing changes and err names the JSON path. */
int kt_live_reload(const char *path, char *err, size_t errlen);

#endif

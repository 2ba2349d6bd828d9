/*
 * log.h - the one logging module: one line per event on stderr (journald
 * picks it up under systemd), with a monotonic timestamp, the level, and the
 * controller id and host NQN where there is one.
 */
#ifndef KATO_DAEMON_LOG_H
#define KATO_DAEMON_LOG_H

#include <stdarg.h>

enum kt_log_level { KT_LOG_ERROR, KT_LOG_WARN, KT_LOG_INFO, KT_LOG_DEBUG };

extern enum kt_log_level kt_log_threshold;

/* Parses "error", "warn", "info", "debug"; returns 0 or -EINVAL. */
int kt_log_set_level(const char *name);

void kt_log(enum kt_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define kt_err(...) kt_log(KT_LOG_ERROR, __VA_ARGS__)
#define kt_warn(...) kt_log(KT_LOG_WARN, __VA_ARGS__)
#define kt_info(...) kt_log(KT_LOG_INFO, __VA_ARGS__)
#define kt_dbg(...) do { if (kt_log_threshold >= KT_LOG_DEBUG) kt_log(KT_LOG_DEBUG, __VA_ARGS__); } while (0)

/* Lines about a controller: "ctrl <cntlid> host <nqn>: ..." */
#define kt_log_ctrl(lvl, c, fmt, ...) \
	kt_log(lvl, "ctrl %u host %s: " fmt, (unsigned)(c)->cntlid, (c)->hostnqn, ##__VA_ARGS__)

#endif

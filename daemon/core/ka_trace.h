/*
 * ka_trace.h - the keep-alive event trace: one JSON line per event, written
 * to a file and/or queued for the control socket's subscribers. Apart from
 * the engine because it is plumbing of its own (a file switched live, a
 * bounded queue drained by the main loop, a lock per sink) that any thread
 * may use; which events there are and what they carry is the engine's
 * (daemon/core/keepalive.c). The control API below is also reached through
 * daemon/core/keepalive.h.
 */
#ifndef KATO_DAEMON_KA_TRACE_H
#define KATO_DAEMON_KA_TRACE_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kt_ctrl;

/* ---- the control API (any thread) -------------------------------------- */

/* Starts writing the event trace to path (appending), or stops (NULL or
 * ""). 0 or a negative errno. */
int kt_ka_trace_set(const char *path);
/* The trace file's path in buf, or NULL when no file is written. */
const char *kt_ka_trace_file(char *buf, size_t len);

/* The trace as a stream, for the control socket's subscribers (main
 * thread). While on, every trace line is also queued for the main loop -
 * at most KT_KA_STREAM_MAX lines, beyond that dropped and counted - and the
 * eventfd that kt_ka_trace_stream(true) returns becomes readable. A worker
 * holds the queue's mutex only to append a line. Off (false) empties the
 * queue and returns 0. With neither a file nor the stream, trace() costs
 * one flag check. */
#define KT_KA_STREAM_MAX 4096
struct kt_ka_line {
	struct kt_ka_line *next;
	size_t len;
	char text[];                /* one JSON object, no newline, NUL-ended */
};
int kt_ka_trace_stream(bool on);
/* Takes every queued line, oldest first (free() each), and how many were
 * dropped since the last take. Clears the eventfd. */
struct kt_ka_line *kt_ka_trace_take(uint64_t *dropped);

/* ---- the engine's side ------------------------------------------------- */

/* The two sinks' switches, read with one relaxed load each per event;
 * written only by ka_trace.c. */
extern _Atomic int kt_ka_trace_file_fd;     /* -1: no file */
extern _Atomic bool kt_ka_trace_stream_on;

/* Is anyone listening? Checked before formatting an event. */
static inline bool kt_ka_tracing(void)
{
	return atomic_load_explicit(&kt_ka_trace_file_fd, memory_order_relaxed) >= 0 ||
	       atomic_load_explicit(&kt_ka_trace_stream_on, memory_order_relaxed);
}

/* One event as one line: {"mono_us":..,"event":"..","cntlid":..,"host":..,
 * "subsys":..,<extra>}. extra is printf-formatted JSON members (fmt may be
 * ""). Any thread. */
void kt_ka_vtrace(const struct kt_ctrl *c, const char *event, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* At shutdown: the file closed, the stream off and its eventfd closed. */
void kt_ka_trace_fini(void);

#endif

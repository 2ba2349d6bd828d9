/*
 * ka_trace.c - the keep-alive event trace's sinks (see ka_trace.h): the file
 * and the stream to the control socket's subscribers, and the framing of
 * one event as one JSON line. Any thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "daemon/core/ka_trace.h"
#include "daemon/log.h"
#include "proto/ctrl.h"

/* ---- the file ---------------------------------------------------------- */

static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
_Atomic int kt_ka_trace_file_fd = -1;
static char trace_path[4096];      /* under trace_lock; "" when off */

int kt_ka_trace_set(const char *path)
{
	int fd = -1;
	if (path && *path) {
		if (strlen(path) >= sizeof(trace_path))
			return -ENAMETOOLONG;
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
	}
	pthread_mutex_lock(&trace_lock);
	int old = atomic_exchange(&kt_ka_trace_file_fd, fd);
	snprintf(trace_path, sizeof(trace_path), "%s", fd >= 0 ? path : "");
	pthread_mutex_unlock(&trace_lock);
	if (old >= 0)
		close(old);
	if (fd >= 0)
		kt_info("keep-alive trace: %s", path);
	return 0;
}

const char *kt_ka_trace_file(char *buf, size_t len)
{
	pthread_mutex_lock(&trace_lock);
	snprintf(buf, len, "%s", trace_path);
	pthread_mutex_unlock(&trace_lock);
	return *buf ? buf : NULL;
}

/* ---- the stream -------------------------------------------------------- */

/* The stream to the control socket: lines queued for the main loop. The
 * eventfd lives from the first kt_ka_trace_stream(true) to
 * kt_ka_trace_fini, so a worker may signal it after dropping the lock. */
_Atomic bool kt_ka_trace_stream_on;
static _Atomic int stream_efd = -1;
static pthread_mutex_t stream_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kt_ka_line *sq_head, **sq_tail = &sq_head;
static size_t sq_n;
static uint64_t sq_dropped;

static void stream_free(struct kt_ka_line *l)
{
	while (l) {
		struct kt_ka_line *next = l->next;
		free(l);
		l = next;
	}
}

/* Empties the queue: its lines, and how many were dropped since the last take. */
static struct kt_ka_line *stream_detach(uint64_t *dropped)
{
	pthread_mutex_lock(&stream_lock);
	struct kt_ka_line *l = sq_head;
	sq_head = NULL;
	sq_tail = &sq_head;
	sq_n = 0;
	*dropped = sq_dropped;
	sq_dropped = 0;
	pthread_mutex_unlock(&stream_lock);
	return l;
}

int kt_ka_trace_stream(bool on)
{
	if (!on) {
		uint64_t dropped;
		atomic_store(&kt_ka_trace_stream_on, false);
		stream_free(stream_detach(&dropped));
		return 0;
	}
	if (atomic_load(&stream_efd) < 0) {
		int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fd < 0)
			return -errno;
		atomic_store(&stream_efd, fd);
	}
	atomic_store(&kt_ka_trace_stream_on, true);
	return atomic_load(&stream_efd);
}

struct kt_ka_line *kt_ka_trace_take(uint64_t *dropped)
{
	uint64_t v;
	int fd = atomic_load(&stream_efd);
	/* cleared before the take: a line appended after it signals again */
	if (fd >= 0 && read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		kt_dbg("keep-alive trace stream: %s", strerror(errno));
	return stream_detach(dropped);
}

/* Queues one line (len bytes, no newline) for the main loop; any thread. */
static void stream_push(const char *text, size_t len)
{
	struct kt_ka_line *l = malloc(sizeof(*l) + len + 1);
	bool wake = false;
	if (l) {
		l->next = NULL;
		l->len = len;
		memcpy(l->text, text, len);
		l->text[len] = '\0';
	}
	pthread_mutex_lock(&stream_lock);
	if (!atomic_load(&kt_ka_trace_stream_on)) {
		/* switched off meanwhile: nobody to tell */
	} else if (!l || sq_n >= KT_KA_STREAM_MAX) {
		sq_dropped++;
	} else {
		*sq_tail = l;
		sq_tail = &l->next;
		wake = sq_n++ == 0;
		l = NULL;
	}
	pthread_mutex_unlock(&stream_lock);
	free(l);
	if (wake) {
		uint64_t one = 1;
		if (write(atomic_load(&stream_efd), &one, sizeof(one)) < 0 && errno != EAGAIN)
			kt_dbg("keep-alive trace stream: %s", strerror(errno));
	}
}

/* ---- one event --------------------------------------------------------- */

/* Appends s as a JSON string (quoted, escaped) at b[*n], bounded by cap. */
static void json_str(char *b, size_t *n, size_t cap, const char *s)
{
	if (*n + 2 >= cap)
		return;
	b[(*n)++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p && *n + 8 < cap; p++) {
		if (*p == '"' || *p == '\\') {
			b[(*n)++] = '\\';
			b[(*n)++] = (char)*p;
		} else if (*p < 0x20) {
			*n += (size_t)snprintf(b + *n, cap - *n, "\\u%04x", *p);
		} else {
			b[(*n)++] = (char)*p;
		}
	}
	b[(*n)++] = '"';
}

void kt_ka_vtrace(const struct kt_ctrl *c, const char *event, const char *fmt, va_list ap)
{
	char b[1024];
	size_t n = 0;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n += (size_t)snprintf(b, sizeof(b), "{\"mono_us\":%llu,\"event\":\"%s\",\"cntlid\":%u,\"host\":",
			      (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000,
			      event, (unsigned)c->cntlid);
	json_str(b, &n, sizeof(b) - 256, c->hostnqn);
	n += (size_t)snprintf(b + n, sizeof(b) - n, ",\"subsys\":");
	json_str(b, &n, sizeof(b) - 200, c->subsys->nqn);
	if (fmt && *fmt) {
		b[n++] = ',';
		int m = vsnprintf(b + n, sizeof(b) - n - 2, fmt, ap);
		if (m > 0)
			n += (size_t)m < sizeof(b) - n - 2 ? (size_t)m : sizeof(b) - n - 3;
	}
	b[n++] = '}';
	b[n++] = '\n';
	if (atomic_load_explicit(&kt_ka_trace_file_fd, memory_order_relaxed) >= 0) {
		pthread_mutex_lock(&trace_lock);
		int fd = atomic_load(&kt_ka_trace_file_fd);
		if (fd >= 0 && write(fd, b, n) < 0)
			kt_dbg("keep-alive trace: %s", strerror(errno));
		pthread_mutex_unlock(&trace_lock);
	}
	if (atomic_load_explicit(&kt_ka_trace_stream_on, memory_order_relaxed))
		stream_push(b, n - 1);
}

void kt_ka_trace_fini(void)
{
	kt_ka_trace_set(NULL);
	kt_ka_trace_stream(false);
	int efd = atomic_exchange(&stream_efd, -1);
	if (efd >= 0)
		close(efd);
}

/*
 * log.c - formats one line per event and writes it with a single write(2),
 * so lines from several workers never interleave.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "daemon/log.h"

enum kt_log_level kt_log_threshold = KT_LOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int kt_log_set_level(const char *name)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			kt_log_threshold = (enum kt_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void kt_log(enum kt_log_level lvl, const char *fmt, ...)
{
	if (lvl > kt_log_threshold)
		return;
	char line[1024];
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int n = snprintf(line, sizeof(line), "katod[%ld.%06ld] %s: ", (long)ts.tv_sec,
			 ts.tv_nsec / 1000, level_names[lvl]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

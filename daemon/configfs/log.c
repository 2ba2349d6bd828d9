/*
 * log.c - kato-configfs's message lines (see log.h): one line on stderr
 * per message, prefixed with the program's name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "daemon/configfs/log.h"

static void vlog(const char *fmt, va_list ap)
{
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "kato-configfs: %s\n", line);
}

void kcfs_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

int kcfs_refuse(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	return err;
}

/*
 * log.h - kato-configfs's messages (code: log.c). An errno is all a
 * script sees of a refused write; the reason (katod's words, or the rule
 * of nvmet's that was applied) goes to stderr, as nvmet writes its pr_err
 * lines to the kernel log. In the background (no -f) stderr is /dev/null,
 * unless --log FILE names a file.
 */
#ifndef KATO_CONFIGFS_LOG_H
#define KATO_CONFIGFS_LOG_H

void kcfs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs why and returns err (a negative errno), for `return kcfs_refuse(...)`. */
int kcfs_refuse(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

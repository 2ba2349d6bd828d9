/*
 * keepalive.h - the entry of katoctl's keep-alive commands (keepalive.c),
 * for main's dispatch in katoctl.c.
 */
#ifndef KATO_KATOCTL_KEEPALIVE_H
#define KATO_KATOCTL_KEEPALIVE_H

#include <stdbool.h>
#include <stdio.h>

/* Returns true when cmd (argv: the words after it) is one of these
 * commands, with its exit status in *rc; false to let the next one try. */
bool katoctl_keepalive(const char *sock, const char *cmd, int argc, char **argv, int *rc);
void katoctl_keepalive_usage(FILE *f);

#endif

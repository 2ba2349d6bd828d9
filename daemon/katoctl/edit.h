/*
 * edit.h - the entry of katoctl's commands that change a running katod
 * (edit.c), for main's dispatch in katoctl.c.
 */
#ifndef KATO_KATOCTL_EDIT_H
#define KATO_KATOCTL_EDIT_H

#include <stdbool.h>
#include <stdio.h>

/* Returns true when cmd (argv: the words after it) is one of these
 * commands, with its exit status in *rc; false to let the next one try. */
bool katoctl_edit(const char *sock, const char *cmd, int argc, char **argv, int *rc);
void katoctl_edit_usage(FILE *f);

#endif

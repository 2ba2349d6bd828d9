/*
 * faults.h - the entry of katoctl's fault rule commands (faults.c), kept
 * apart from the keep-alive commands as the methods are
 * (daemon/control/rpc_faults.h).
 */
#ifndef KATO_KATOCTL_FAULTS_H
#define KATO_KATOCTL_FAULTS_H

#include <stdbool.h>
#include <stdio.h>

/* Returns true when cmd is "faults", with its exit status in *rc; false
 * to let the next one try. */
bool katoctl_faults(const char *sock, const char *cmd, int argc, char **argv, int *rc);
void katoctl_faults_usage(FILE *f);

#endif

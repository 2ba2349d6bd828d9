/*
 * katoctl.h - what katoctl's command files share: the JSON-RPC call to
 * katod's control socket, the table and JSON printers, the exit statuses,
 * and the entry point of each command file. The code is in katoctl.c;
 * this header exists so that each group of commands can live in its own
 * file (edit.c, keepalive.c) without restating the declarations.
 */
#ifndef KATO_KATOCTL_H
#define KATO_KATOCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct json_object;

enum { EXIT_OK = 0, EXIT_RPC = 1, EXIT_USAGE = 2 };

/* --json: print results as JSON instead of tables. */
extern bool opt_json;

/* One JSON-RPC call: EXIT_OK with *result (a new reference), EXIT_RPC when
 * katod answered an error (printed), EXIT_USAGE when unreachable or the
 * answer is not JSON-RPC (printed). params is not consumed. */
int rpc(const char *sock, const char *method, struct json_object *params, struct json_object **result);
/* A connection to the control socket: the fd, or -1 (the reason printed). */
int katoctl_connect(const char *sock);

/* A table column: the member of each row object, and its heading. */
struct col {
	const char *key;
	const char *head;
};
/* A row's member as text ("-" when absent or null); buf holds it when it
 * has to be formatted. */
const char *cell(struct json_object *row, const char *key, char *buf, size_t len);
/* Prints an array of objects as aligned columns. */
void table(struct json_object *rows, const struct col *cols);
void print_json(struct json_object *o);

/* Each command file: returns true when it knows cmd (its exit status in
 * *rc), false to let the next one try. argv holds the words after cmd. */
int katoctl_edit(const char *sock, const char *cmd, int argc, char **argv, int *rc); /* edit.c */
void katoctl_edit_usage(FILE *f);
bool katoctl_keepalive(const char *sock, const char *cmd, int argc, char **argv, int *rc); /* keepalive.c */
void katoctl_keepalive_usage(FILE *f);

#endif

/*
 * client.h - what katoctl's commands share: the connection to katod's
 * control socket and one JSON-RPC call over it, the exit statuses, and the
 * table and JSON printers (code: client.c). main and its dispatch
 * (katoctl.c) and the command files (edit.c, keepalive.c) call down into
 * it; it calls none of them. kato-configfs (daemon/configfs/) makes its
 * calls through rpc_call too.
 */
#ifndef KATO_KATOCTL_CLIENT_H
#define KATO_KATOCTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

enum { EXIT_OK = 0, EXIT_RPC = 1, EXIT_USAGE = 2 };

/* How long katoctl waits for katod's answer. */
#define KATOCTL_TIMEOUT_MS 10000

/* --json: print results as JSON instead of tables (set by main). */
extern bool opt_json;

/* One JSON-RPC call: EXIT_OK with *result (a new reference), EXIT_RPC when
 * katod answered an error (its code in *code), EXIT_USAGE when unreachable
 * or the answer is not JSON-RPC (*code 0); in both, what went wrong in msg
 * (printed by no one: kato-configfs turns it into an errno and a log line).
 * params is not consumed. */
int rpc_call(const char *sock, const char *method, struct json_object *params, struct json_object **result,
	     int *code, char *msg, size_t msglen);
/* rpc_call for katoctl's commands: the reason printed on stderr. */
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

#endif

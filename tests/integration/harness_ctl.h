/*
 * harness_ctl.h - a JSON-RPC client of katod's control socket for the
 * integration tests (test_control*.c, test_live.c, ...): connect to the
 * harness katod's socket (k->sock), send a request, read response and
 * notification lines, and check a result or a refusal. For CMocka tests:
 * every failure is a fail_msg naming the method and what came back.
 */
#ifndef KATO_TESTS_HARNESS_CTL_H
#define KATO_TESTS_HARNESS_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hn_katod;
struct json_object;

/* A connection; lines are buffered, so one connection can carry several
 * requests and the notifications between them. */
struct hn_ctl;

struct hn_ctl *hn_ctl_open(const struct hn_katod *k);
void hn_ctl_close(struct hn_ctl *c);
void hn_ctl_send(struct hn_ctl *c, const char *text);
/* The next line, parsed (it must be JSON); NULL when none comes within
 * timeout_ms or at EOF. */
struct json_object *hn_ctl_line(struct hn_ctl *c, int timeout_ms);
/* Sends {"jsonrpc": "2.0", "id": 42, "method": method, "params": params}
 * (params: JSON text, or NULL for none) and returns the response, skipping
 * the notifications before it (counted in *skipped when not NULL). */
struct json_object *hn_ctl_request(struct hn_ctl *c, const char *method, const char *params, unsigned *skipped);

/* On a connection of its own: text as sent, and the one line that answers. */
struct json_object *hn_ctl_raw(const struct hn_katod *k, const char *text);
/* method(params) must succeed (id 42, "jsonrpc": "2.0", no error): its
 * result, which lives as long as *resp. */
struct json_object *hn_ctl_call(const struct hn_katod *k, struct json_object **resp, const char *method,
				const char *params);
/* method(params) must be refused with code and a message containing words. */
void hn_ctl_err(const struct hn_katod *k, const char *method, const char *params, int code, const char *words);

/* katoctl (beside katod in the build tree) with args, on k's socket and
 * with stderr joined to stdout: the command line, for popen. */
const char *hn_katoctl_cmd(const struct hn_katod *k, char *cmd, size_t len, const char *args);
/* Runs it with args (printf); its output in out. The exit status, or -1. */
int hn_katoctl(const struct hn_katod *k, char *out, size_t outlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* o[key], which must be there; is it? */
struct json_object *hn_get(struct json_object *o, const char *key);
bool hn_has(struct json_object *o, const char *key);

#endif

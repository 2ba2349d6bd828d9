/*
 * harness_ctl.c - the integration tests' control-socket client (see
 * harness_ctl.h): one implementation of connect, send, read a line, check
 * a JSON-RPC answer, and run katoctl, instead of one in every test file.
 */
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "tests/integration/harness.h"
#include "tests/integration/harness_ctl.h"

#define ANSWER_MS 10000

struct hn_ctl {
	int fd;
	size_t len;
	char buf[1 << 20];
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct hn_ctl *hn_ctl_open(const struct hn_katod *k)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	assert_true(strlen(k->sock) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, k->sock, strlen(k->sock) + 1);
	struct hn_ctl *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fail_msg("connect %s: %s", k->sock, strerror(errno));
	return c;
}

void hn_ctl_close(struct hn_ctl *c)
{
	close(c->fd);
	free(c);
}

void hn_ctl_send(struct hn_ctl *c, const char *text)
{
	size_t len = strlen(text);
	assert_int_equal(send(c->fd, text, len, MSG_NOSIGNAL), (ssize_t)len);
}

struct json_object *hn_ctl_line(struct hn_ctl *c, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			*nl = '\0';
			struct json_object *o = json_tokener_parse(c->buf);
			if (!o)
				fail_msg("not JSON: %s", c->buf);
			size_t used = (size_t)(nl + 1 - c->buf);
			memmove(c->buf, nl + 1, c->len - used);
			c->len -= used;
			return o;
		}
		uint64_t now = now_ms();
		if (now >= end)
			return NULL;
		struct pollfd p = { c->fd, POLLIN, 0 };
		if (poll(&p, 1, (int)(end - now)) <= 0)
			return NULL;
		assert_true(c->len < sizeof(c->buf) - 1);
		ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
		if (n <= 0)
			return NULL;
		c->len += (size_t)n;
	}
}

struct json_object *hn_ctl_request(struct hn_ctl *c, const char *method, const char *params, unsigned *skipped)
{
	size_t len = strlen(method) + (params ? strlen(params) : 0) + 96;
	char *req = malloc(len);
	assert_non_null(req);
	snprintf(req, len, "{\"jsonrpc\": \"2.0\", \"id\": 42, \"method\": \"%s\"%s%s}\n", method,
		 params ? ", \"params\": " : "", params ? params : "");
	hn_ctl_send(c, req);
	free(req);
	for (;;) {
		struct json_object *r = hn_ctl_line(c, ANSWER_MS);
		if (!r)
			fail_msg("%s %s: no answer", method, params ? params : "");
		if (hn_has(r, "id"))
			return r;
		if (skipped)
			(*skipped)++;
		json_object_put(r);
	}
}

struct json_object *hn_ctl_raw(const struct hn_katod *k, const char *text)
{
	struct hn_ctl *c = hn_ctl_open(k);
	hn_ctl_send(c, text);
	struct json_object *r = hn_ctl_line(c, ANSWER_MS);
	hn_ctl_close(c);
	if (!r)
		fail_msg("no answer to %s", text);
	return r;
}

struct json_object *hn_ctl_call(const struct hn_katod *k, struct json_object **resp, const char *method,
				const char *params)
{
	struct hn_ctl *c = hn_ctl_open(k);
	*resp = hn_ctl_request(c, method, params, NULL);
	hn_ctl_close(c);
	if (hn_has(*resp, "error"))
		fail_msg("%s %s: %s", method, params ? params : "", json_object_to_json_string(*resp));
	assert_int_equal(json_object_get_int(hn_get(*resp, "id")), 42);
	assert_string_equal(json_object_get_string(hn_get(*resp, "jsonrpc")), "2.0");
	return hn_get(*resp, "result");
}

void hn_ctl_err(const struct hn_katod *k, const char *method, const char *params, int code, const char *words)
{
	struct hn_ctl *c = hn_ctl_open(k);
	struct json_object *r = hn_ctl_request(c, method, params, NULL);
	hn_ctl_close(c);
	if (!hn_has(r, "error") || json_object_get_int(hn_get(hn_get(r, "error"), "code")) != code)
		fail_msg("%s %s: expected error %d, got %s", method, params ? params : "", code,
			 json_object_to_json_string(r));
	const char *m = json_object_get_string(hn_get(hn_get(r, "error"), "message"));
	if (!strstr(m, words))
		fail_msg("%s %s: message \"%s\" does not say \"%s\"", method, params ? params : "", m, words);
	assert_int_equal(json_object_get_int(hn_get(r, "id")), 42);
	assert_false(hn_has(r, "result"));
	json_object_put(r);
}

const char *hn_katoctl_cmd(const struct hn_katod *k, char *cmd, size_t len, const char *args)
{
	char bin[512];
	snprintf(bin, sizeof(bin), "%s", hn_katod_bin());
	snprintf(cmd, len, "%s/katoctl -s %s %s 2>&1", dirname(bin), k->sock, args);
	return cmd;
}

int hn_katoctl(const struct hn_katod *k, char *out, size_t outlen, const char *fmt, ...)
{
	char args[1024], cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	FILE *p = popen(hn_katoctl_cmd(k, cmd, sizeof(cmd), args), "r");
	assert_non_null(p);
	size_t n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

struct json_object *hn_get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no \"%s\" in %s", key, json_object_to_json_string(o));
	return v;
}

bool hn_has(struct json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

/*
 * client.c - what katoctl's commands share (see client.h): the connection
 * to katod's control socket, one JSON-RPC call over it, and the printers
 * (aligned tables, pretty JSON). It exists so that main and the command
 * files (katoctl.c, edit.c, keepalive.c) all call down into one place and
 * never into each other.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <json-c/json.h>
#include "daemon/katoctl/client.h"

bool opt_json;

/* ---- transport -------------------------------------------------------- */

/* The connection, or -1 with the reason in msg. */
static int connect_to(const char *sock, char *msg, size_t msglen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		snprintf(msg, msglen, "socket path too long: %s", sock);
		return -1;
	}
	strcpy(sa.sun_path, sock);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(msg, msglen, "cannot reach katod at %s: %s", sock, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int katoctl_connect(const char *sock)
{
	char msg[256];
	int fd = connect_to(sock, msg, sizeof(msg));
	if (fd < 0)
		fprintf(stderr, "katoctl: %s\n", msg);
	return fd;
}

int rpc_call(const char *sock, const char *method, struct json_object *params, struct json_object **result,
	     int *code, char *msg, size_t msglen)
{
	*code = 0;
	msg[0] = '\0';
	int fd = connect_to(sock, msg, msglen);
	if (fd < 0)
		return EXIT_USAGE;
	struct json_object *req = json_object_new_object();
	json_object_object_add(req, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(req, "id", json_object_new_int(1));
	json_object_object_add(req, "method", json_object_new_string(method));
	if (params)
		json_object_object_add(req, "params", json_object_get(params));
	const char *text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(msg, msglen, "sending to %s: %s", sock, strerror(errno));
			json_object_put(req);
			close(fd);
			return EXIT_USAGE;
		}
		off += (size_t)n;
	}
	send(fd, "\n", 1, MSG_NOSIGNAL);
	json_object_put(req);

	/* the answer is one line */
	size_t cap = 65536, got = 0;
	char *buf = malloc(cap);
	int rc = EXIT_USAGE;
	if (!buf)
		snprintf(msg, msglen, "out of memory");
	while (buf) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int pr = poll(&p, 1, KATOCTL_TIMEOUT_MS);
		if (pr == 0) {
			snprintf(msg, msglen, "no answer from katod in %d s", KATOCTL_TIMEOUT_MS / 1000);
			break;
		}
		if (pr < 0 && errno == EINTR)
			continue;
		if (got + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				break;
			buf = nb;
		}
		ssize_t n = recv(fd, buf + got, cap - got - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(msg, msglen, "katod closed the connection without an answer");
			break;
		}
		got += (size_t)n;
		if (memchr(buf, '\n', got)) {
			buf[got] = '\0';
			struct json_object *ans = json_tokener_parse(buf);
			struct json_object *err, *res;
			if (!ans || !json_object_is_type(ans, json_type_object)) {
				snprintf(msg, msglen, "katod's answer is not JSON: %.*s", (int)strcspn(buf, "\n"), buf);
			} else if (json_object_object_get_ex(ans, "error", &err)) {
				struct json_object *m, *c;
				json_object_object_get_ex(err, "message", &m);
				json_object_object_get_ex(err, "code", &c);
				*code = c ? json_object_get_int(c) : 0;
				snprintf(msg, msglen, "%s: %s (error %d)", method, m ? json_object_get_string(m) : "?", *code);
				rc = EXIT_RPC;
			} else if (json_object_object_get_ex(ans, "result", &res)) {
				*result = json_object_get(res);
				rc = EXIT_OK;
			} else {
				snprintf(msg, msglen, "katod's answer has neither result nor error: %.*s", (int)strcspn(buf, "\n"), buf);
			}
			json_object_put(ans);
			break;
		}
	}
	free(buf);
	close(fd);
	return rc;
}

int rpc(const char *sock, const char *method, struct json_object *params, struct json_object **result)
{
	char msg[1024];
	int code;
	int rc = rpc_call(sock, method, params, result, &code, msg, sizeof(msg));
	if (rc != EXIT_OK)
		fprintf(stderr, "katoctl: %s\n", msg);
	return rc;
}

/* ---- output ----------------------------------------------------------- */

const char *cell(struct json_object *row, const char *key, char *buf, size_t len)
{
	struct json_object *v;
	if (!json_object_object_get_ex(row, key, &v) || !v)
		return "-";
	switch (json_object_get_type(v)) {
	case json_type_string:
		return json_object_get_string(v);
	case json_type_boolean:
		return json_object_get_boolean(v) ? "yes" : "no";
	case json_type_array: {
		size_t n = json_object_array_length(v), off = 0;
		buf[0] = '\0';
		for (size_t i = 0; i < n && off + 1 < len; i++) {
			int w = snprintf(buf + off, len - off, "%s%s", i ? "," : "",
					 json_object_get_string(json_object_array_get_idx(v, i)));
			if (w < 0)
				break;
			off += (size_t)w;
		}
		return n ? buf : "-";
	}
	default:
		snprintf(buf, len, "%s", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		return buf;
	}
}

void table(struct json_object *rows, const struct col *cols)
{
	size_t nc = 0, n = json_object_array_length(rows);
	while (cols[nc].key)
		nc++;
	size_t width[32] = { 0 };
	char buf[1024];
	for (size_t c = 0; c < nc; c++) {
		width[c] = strlen(cols[c].head);
		for (size_t r = 0; r < n; r++) {
			size_t w = strlen(cell(json_object_array_get_idx(rows, r), cols[c].key, buf, sizeof(buf)));
			if (w > width[c])
				width[c] = w;
		}
	}
	for (size_t c = 0; c < nc; c++)
		printf("%-*s%s", c + 1 < nc ? (int)width[c] : 0, cols[c].head, c + 1 < nc ? "  " : "\n");
	for (size_t r = 0; r < n; r++)
		for (size_t c = 0; c < nc; c++)
			printf("%-*s%s", c + 1 < nc ? (int)width[c] : 0,
			       cell(json_object_array_get_idx(rows, r), cols[c].key, buf, sizeof(buf)),
			       c + 1 < nc ? "  " : "\n");
}

void print_json(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
}

/*
 * control.c - the control socket's transport (see control.h): accepting
 * clients on the main loop, handing their byte stream to the framing
 * (daemon/control/framing.c), running each JSON-RPC 2.0 request it cuts
 * (single or batch), writing one response line per request, and the
 * keep-alive trace as notifications to the clients that subscribed.
 * What the methods do is daemon/control/rpc.c.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>
#include "daemon/control/control.h"
#include "daemon/control/framing.h"
#include "daemon/core/keepalive.h"
#include "daemon/log.h"
#include "daemon/control/rpc.h"
#include "daemon/control/rpc_edit.h"

struct client {
	struct bufferevent *bev;
	struct kt_framing *framing; /* cuts its byte stream into requests */
	bool closing;             /* free once the output is written */
	unsigned uid;
	bool ka_sub;              /* receives the keep-alive trace */
	uint64_t ka_dropped;      /* trace lines it missed, not yet told */
	struct client *prev, *next;
};

static struct {
	int fd;
	struct event *ev;
	struct event_base *base;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct client *clients;
	unsigned nr_clients;
	struct event *ka_ev;      /* the trace stream's eventfd, while subscribed */
	unsigned ka_subs;
} ctl = { .fd = -1 };

static int ka_subscribe(void *conn, bool on);
static unsigned ka_subscribers(void);

static void client_free(struct client *c)
{
	if (c->ka_sub)
		ka_subscribe(c, false);
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl.clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ctl.nr_clients--;
	bufferevent_free(c->bev);
	kt_framing_free(c->framing);
	free(c);
}

/* Frees c now, or once what it was sent has been written. */
static void client_finish(struct client *c)
{
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		client_free(c);
}

static void send_json(struct client *c, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	evbuffer_add(out, s, strlen(s));
	evbuffer_add(out, "\n", 1);
}

static struct json_object *error_response(struct json_object *id, int code, const char *message)
{
	struct json_object *r = json_object_new_object();
	struct json_object *e = json_object_new_object();
	json_object_object_add(r, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(e, "code", json_object_new_int(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(r, "error", e);
	json_object_object_add(r, "id", id ? json_object_get(id) : NULL);
	return r;
}

/* One request object: its response, or NULL for a notification. */
static struct json_object *handle_one(struct client *c, struct json_object *req)
{
	struct json_object *id = NULL, *v, *params = NULL;
	bool has_id = false;
	if (!json_object_is_type(req, json_type_object))
		return error_response(NULL, KT_RPC_INVALID_REQUEST, "a request must be a JSON object");
	if (json_object_object_get_ex(req, "id", &v)) {
		enum json_type t = json_object_get_type(v);
		if (t != json_type_null && t != json_type_string && t != json_type_int && t != json_type_double)
			return error_response(NULL, KT_RPC_INVALID_REQUEST, "\"id\" must be a string, a number or null");
		id = v;
		has_id = true;
	}
	if (!json_object_object_get_ex(req, "jsonrpc", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "2.0"))
		return error_response(id, KT_RPC_INVALID_REQUEST, "\"jsonrpc\" must be \"2.0\"");
	if (!json_object_object_get_ex(req, "method", &v) || !json_object_is_type(v, json_type_string))
		return error_response(id, KT_RPC_INVALID_REQUEST, "\"method\" must be a string");
	const char *method = json_object_get_string(v);
	json_object_object_foreach(req, key, val) {
		(void)val;
		if (strcmp(key, "jsonrpc") && strcmp(key, "method") && strcmp(key, "params") && strcmp(key, "id")) {
			char m[200];
			snprintf(m, sizeof(m), "unknown member \"%.100s\" (a request has jsonrpc, method, params, id)", key);
			return error_response(id, KT_RPC_INVALID_REQUEST, m);
		}
	}
	if (json_object_object_get_ex(req, "params", &params) && params &&
	    !json_object_is_type(params, json_type_object) && !json_object_is_type(params, json_type_array))
		return error_response(id, KT_RPC_INVALID_REQUEST, "\"params\" must be an object or an array");

	struct json_object *result = NULL;
	char msg[512] = "";
	const struct kt_rpc_caller caller = {
		.conn = c, .ka_subscribe = ka_subscribe, .ka_subscribers = ka_subscribers,
	};
	int code = kt_rpc_call(&caller, method, params, &result, msg, sizeof(msg));
	if (code)
		kt_dbg("control: uid %u: %s: error %d: %s", c->uid, method, code, msg);
	else
		kt_dbg("control: uid %u: %s", c->uid, method);
	if (!has_id) { /* a notification: no answer, even to an error */
		json_object_put(result);
		return NULL;
	}
	if (code)
		return error_response(id, code, msg);
	struct json_object *r = json_object_new_object();
	json_object_object_add(r, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(r, "result", result);
	json_object_object_add(r, "id", json_object_get(id));
	return r;
}

static void handle(struct client *c, struct json_object *req)
{
	if (!json_object_is_type(req, json_type_array)) {
		struct json_object *r = handle_one(c, req);
		if (r) {
			send_json(c, r);
			json_object_put(r);
		}
		return;
	}
	size_t n = json_object_array_length(req);
	if (n == 0) {
		struct json_object *r = error_response(NULL, KT_RPC_INVALID_REQUEST, "an empty batch");
		send_json(c, r);
		json_object_put(r);
		return;
	}
	struct json_object *all = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *r = handle_one(c, json_object_array_get_idx(req, i));
		if (r)
			json_object_array_add(all, r);
	}
	if (json_object_array_length(all))
		send_json(c, all);
	json_object_put(all);
}

/* Feeds bytes to the client's framing; every complete JSON value is a
 * request. Returns false when the connection must close. */
static bool feed(struct client *c, const char *p, size_t len)
{
	for (;;) {
		struct json_object *obj, *r;
		char m[160];
		switch (kt_framing_next(c->framing, &p, &len, &obj)) {
		case KT_FRAME_MORE:
			return true;
		case KT_FRAME_VALUE:
			if (!obj) { /* the JSON text "null" */
				r = error_response(NULL, KT_RPC_INVALID_REQUEST, "a request must be a JSON object");
				send_json(c, r);
				json_object_put(r);
			} else {
				handle(c, obj);
				json_object_put(obj);
			}
			break;
		case KT_FRAME_TOO_LARGE:
			r = error_response(NULL, KT_RPC_INVALID_REQUEST, "request larger than 1 MiB");
			send_json(c, r);
			json_object_put(r);
			return false;
		case KT_FRAME_PARSE_ERROR:
			snprintf(m, sizeof(m), "parse error: %s", kt_framing_error(c->framing));
			r = error_response(NULL, KT_RPC_PARSE_ERROR, m);
			send_json(c, r);
			json_object_put(r);
			kt_dbg("control: uid %u: %s", c->uid, m);
			return false;
		}
	}
}

static void on_client_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	while ((len = evbuffer_get_contiguous_space(in)) > 0) {
		const char *p = (const char *)evbuffer_pullup(in, (ssize_t)len);
		bool ok = feed(c, p, len);
		evbuffer_drain(in, len);
		if (!ok) {
			evbuffer_drain(in, evbuffer_get_length(in));
			client_finish(c);
			return;
		}
	}
}

static void ka_tell_dropped(struct client *c)
{
	evbuffer_add_printf(bufferevent_get_output(c->bev),
			    "{\"jsonrpc\":\"2.0\",\"method\":\"keepalive.dropped\",\"params\":{\"dropped\":%llu}}\n",
			    (unsigned long long)c->ka_dropped);
	c->ka_dropped = 0;
}

static void on_client_write(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	if (c->closing)
		client_free(c);
	else if (c->ka_sub && c->ka_dropped) /* caught up: say what it missed */
		ka_tell_dropped(c);
}

static void on_client_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;
	if (what & BEV_EVENT_EOF) {
		/* the client may half-close after its last request: answer it first */
		client_finish(c);
	} else if (what & BEV_EVENT_ERROR) {
		client_free(c);
	}
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
	for (;;) {
		int s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				kt_warn("control: accept: %s", strerror(errno));
			return;
		}
		if (ctl.nr_clients >= KT_CONTROL_MAX_CLIENTS) {
			kt_warn("control: %u clients already connected: refusing another", ctl.nr_clients);
			close(s);
			continue;
		}
		struct client *c = calloc(1, sizeof(*c));
		if (c) {
			c->bev = bufferevent_socket_new(ctl.base, s, BEV_OPT_CLOSE_ON_FREE);
			c->framing = kt_framing_new(KT_CONTROL_MAX_REQUEST);
		}
		if (!c || !c->bev || !c->framing) {
			if (c && c->bev)
				bufferevent_free(c->bev);
			else
				close(s);
			if (c)
				kt_framing_free(c->framing);
			free(c);
			continue;
		}
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		c->uid = getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0 ? cred.uid : (unsigned)-1;
		c->next = ctl.clients;
		if (ctl.clients)
			ctl.clients->prev = c;
		ctl.clients = c;
		ctl.nr_clients++;
		bufferevent_setcb(c->bev, on_client_read, on_client_write, on_client_event, c);
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
		kt_dbg("control: client uid %u connected", c->uid);
	}
}

/* ---- the keep-alive trace to subscribers ------------------------------- */

/* How many clients are subscribed. */
static unsigned ka_subscribers(void)
{
	return ctl.ka_subs;
}

/* One trace line to one subscriber, unless its backlog is full. */
static void ka_send(struct client *c, const struct kt_ka_line *l)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) >= KT_CONTROL_MAX_BACKLOG) {
		c->ka_dropped++;
		return;
	}
	if (c->ka_dropped)
		ka_tell_dropped(c);
	evbuffer_add_printf(out, "{\"jsonrpc\":\"2.0\",\"method\":\"keepalive.event\",\"params\":%s}\n", l->text);
}

/* The workers queued trace lines: hand each to every subscriber. */
static void on_ka_lines(evutil_socket_t fd, short what, void *arg)
{
	uint64_t dropped = 0;
	struct kt_ka_line *l = kt_ka_trace_take(&dropped);
	for (struct client *c = ctl.clients; c; c = c->next)
		if (c->ka_sub)
			c->ka_dropped += dropped;
	while (l) {
		struct kt_ka_line *next = l->next;
		for (struct client *c = ctl.clients; c; c = c->next)
			if (c->ka_sub && !c->closing)
				ka_send(c, l);
		free(l);
		l = next;
	}
}

/* Subscribes (on) or unsubscribes client conn to the keep-alive trace
 * (control.h): 0 or a negative errno. The methods reach it through the
 * caller handle_one hands them (rpc.h). */
static int ka_subscribe(void *conn, bool on)
{
	struct client *c = conn;
	if (!c)
		return -EINVAL;
	if (c->ka_sub == on)
		return 0;
	if (on && !ctl.ka_ev) {
		int efd = kt_ka_trace_stream(true);
		if (efd < 0)
			return efd;
		ctl.ka_ev = event_new(ctl.base, efd, EV_READ | EV_PERSIST, on_ka_lines, NULL);
		if (!ctl.ka_ev || event_add(ctl.ka_ev, NULL) < 0) {
			if (ctl.ka_ev)
				event_free(ctl.ka_ev);
			ctl.ka_ev = NULL;
			kt_ka_trace_stream(false);
			return -ENOMEM;
		}
	}
	c->ka_sub = on;
	c->ka_dropped = 0;
	if (on) {
		ctl.ka_subs++;
	} else if (--ctl.ka_subs == 0) {
		kt_ka_trace_stream(false);
		event_free(ctl.ka_ev);
		ctl.ka_ev = NULL;
	}
	kt_dbg("control: uid %u %s the keep-alive trace (%u subscriber%s)", c->uid,
	       on ? "follows" : "no longer follows", ctl.ka_subs, ctl.ka_subs == 1 ? "" : "s");
	return 0;
}

/* Is something answering on the socket at path? */
static bool socket_live(const struct sockaddr_un *sa)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return false;
	bool live = connect(s, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(s);
	return live;
}

int kt_control_start(struct event_base *base, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path) || path[0] != '/') {
		snprintf(err, errlen, "control socket %s: not an absolute path shorter than %zu bytes", path,
			 sizeof(sa.sun_path));
		return -EINVAL;
	}
	strcpy(sa.sun_path, path);

	char dir[sizeof(sa.sun_path)];
	strcpy(dir, path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			snprintf(err, errlen, "control socket %s: mkdir %s: %s", path, dir, strerror(e));
			return -e;
		}
	}
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "control socket %s: exists and is not a socket", path);
			return -EEXIST;
		}
		if (socket_live(&sa)) {
			snprintf(err, errlen, "control socket %s: another katod answers on it", path);
			return -EADDRINUSE;
		}
		unlink(path); /* stale: its katod is gone */
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "control socket: %s", strerror(e));
		return -e;
	}
	mode_t old = umask(0117); /* born 0660: no window where others may connect */
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(fd, 16) < 0) {
		int e = errno;
		snprintf(err, errlen, "control socket %s: %s", path, strerror(e));
		close(fd);
		return -e;
	}
	struct group gr, *g = NULL;
	char buf[1024];
	if (getgrnam_r(KT_CONTROL_GROUP, &gr, buf, sizeof(buf), &g) == 0 && g &&
	    chown(path, (uid_t)-1, g->gr_gid) < 0)
		kt_warn("control socket %s: cannot give it to group %s: %s", path, KT_CONTROL_GROUP, strerror(errno));
	ctl.fd = fd;
	ctl.base = base;
	strcpy(ctl.path, path);
	ctl.ev = event_new(base, fd, EV_READ | EV_PERSIST, on_accept, NULL);
	if (!ctl.ev || event_add(ctl.ev, NULL) < 0) {
		kt_control_stop();
		snprintf(err, errlen, "control socket %s: out of memory", path);
		return -ENOMEM;
	}
	kt_info("control socket %s (group %s)", path, g ? KT_CONTROL_GROUP : "unchanged");
	return 0;
}

void kt_control_stop(void)
{
	kt_rpc_ana_cancel_all();
	while (ctl.clients)
		client_free(ctl.clients);
	if (ctl.ev)
		event_free(ctl.ev);
	ctl.ev = NULL;
	if (ctl.fd >= 0) {
		close(ctl.fd);
		unlink(ctl.path);
	}
	ctl.fd = -1;
}

/*
 * listener.c - binds the ports and hands accepted connections to workers.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>
#include "daemon/listener.h"
#include "daemon/log.h"
#include "daemon/queue.h"
#include "daemon/worker.h"
#include "proto/model.h"

struct listener {
	int fd;
	struct event *ev;
	const struct kt_port *port;
};

static struct listener *listeners;
static size_t nr_listeners;
static unsigned next_worker;

struct handoff {
	int fd;
	const struct kt_port *port;
};

static void on_handoff(struct kt_worker *w, void *arg)
{
	struct handoff *h = arg;
	kt_queue_accept(w, h->fd, h->port);
	free(h);
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	for (int i = 0; i < 64; i++) {
		int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				kt_warn("accept on port %u: %s", l->port->portid, strerror(errno));
			return;
		}
		struct handoff *h = malloc(sizeof(*h));
		if (!h) {
			close(c);
			continue;
		}
		h->fd = c;
		h->port = l->port;
		if (kt_worker_post(kt_worker_get(next_worker++), on_handoff, h) < 0) {
			free(h);
			close(c);
		}
	}
}

static int listen_one(struct event_base *base, struct listener *l, const struct kt_port *p, char *err,
		      size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	hints.ai_family = p->adrfam == NVMF_ADDR_FAMILY_IP6 ? AF_INET6 : AF_INET;
	struct addrinfo *ai;
	int rc = getaddrinfo(p->traddr, p->trsvcid, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "port %u: address %s:%s: %s", p->portid, p->traddr, p->trsvcid,
			 gai_strerror(rc));
		return -EINVAL;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
		rc = -errno;
		snprintf(err, errlen, "port %u: listen on %s:%s: %s", p->portid, p->traddr, p->trsvcid,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return rc;
	}
	freeaddrinfo(ai);
	l->fd = fd;
	l->port = p;
	l->ev = event_new(base, fd, EV_READ | EV_PERSIST, on_accept, l);
	event_add(l->ev, NULL);
	kt_info("listening on %s:%s (port %u, %zu subsystem%s)", p->traddr, p->trsvcid, p->portid,
		p->n_subsys, p->n_subsys == 1 ? "" : "s");
	return 0;
}

int kt_listeners_start(struct event_base *base, const struct kt_target *t, char *err, size_t errlen)
{
	listeners = calloc(t->n_ports ? t->n_ports : 1, sizeof(*listeners));
	if (!listeners)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_ports; i++) {
		int rc = listen_one(base, &listeners[i], &t->ports[i], err, errlen);
		if (rc < 0)
			return rc;
		nr_listeners = i + 1;
	}
	return 0;
}

void kt_listeners_stop(void)
{
	for (size_t i = 0; i < nr_listeners; i++) {
		event_free(listeners[i].ev);
		close(listeners[i].fd);
	}
	free(listeners);
	listeners = NULL;
	nr_listeners = 0;
}

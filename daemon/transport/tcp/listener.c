/*
 * listener.c - binds the ports and hands accepted connections to workers.
 * Under socket activation (katod.socket, sd_listen_fds) a port whose address
 * matches a passed socket exactly (family, address and TCP port, read by
 * getsockname) adopts that socket; katod binds the other ports itself and
 * closes passed sockets that match no port, with a warning.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <event2/event.h>
#include <systemd/sd-daemon.h>
#include "daemon/transport/tcp/listener.h"
#include "daemon/log.h"
#include "daemon/transport/tcp/tcp.h"
#include "daemon/core/worker.h"
#include "proto/model.h"

struct listener {
	int fd;
	struct event *ev;
	struct event *resume;      /* re-enables accepting after running out of descriptors */
	const struct kt_port *port;
	struct listener *next;
};

/* Out of file descriptors: the pending connection stays in the backlog and
 * the listening socket stays readable, so accepting again at once would spin.
 * Pause this port for a moment and say so once per pause. */
#define ACCEPT_PAUSE_MS 100

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	event_add(l->ev, NULL);
}

static struct listener *listeners; /* a list: ports come and go live */
static struct event_base *lbase;
static unsigned next_worker;
static int nr_passed;          /* sockets passed by the service manager */
static bool *passed_taken;

static bool same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return false;
}

/* A passed listening socket bound to exactly addr, made non-blocking, or -1. */
static int adopt_passed(const struct addrinfo *ai)
{
	for (int i = 0; i < nr_passed; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		if (passed_taken[i] || sd_is_socket(fd, ai->ai_family, SOCK_STREAM, 1) <= 0 ||
		    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 || !same_addr((struct sockaddr *)&ss, ai->ai_addr))
			continue;
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
			continue;
		passed_taken[i] = true;
		return fd;
	}
	return -1;
}

struct handoff {
	int fd;
	const struct kt_port *port;
};

static void on_handoff(struct kt_worker *w, void *arg)
{
	struct handoff *h = arg;
	kt_tcp_accept(w, h->fd, h->port);
	free(h);
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	for (int i = 0; i < 64; i++) {
		int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				kt_warn("accept on port %u: %s: pausing accepts for %d ms", l->port->portid,
					strerror(errno), ACCEPT_PAUSE_MS);
				struct timeval tv = { 0, ACCEPT_PAUSE_MS * 1000 };
				event_del(l->ev);
				evtimer_add(l->resume, &tv);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				kt_warn("accept on port %u: %s", l->port->portid, strerror(errno));
			}
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
	int fd = adopt_passed(ai);
	bool adopted = fd >= 0;
	if (!adopted)
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0 && !adopted)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || (!adopted && (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0))) {
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
	l->resume = evtimer_new(base, on_resume, l);
	event_add(l->ev, NULL);
	kt_info("listening on %s:%s (port %u, %zu subsystem%s)%s", p->traddr, p->trsvcid, p->portid,
		p->n_subsys, p->n_subsys == 1 ? "" : "s", adopted ? " on a socket passed by systemd" : "");
	return 0;
}

int kt_listeners_start(struct event_base *base, char *err, size_t errlen)
{
	lbase = base;
	nr_passed = sd_listen_fds(1); /* unsets LISTEN_*: children do not inherit them */
	if (nr_passed < 0) {
		kt_warn("socket activation: %s", strerror(-nr_passed));
		nr_passed = 0;
	}
	passed_taken = calloc(nr_passed ? (size_t)nr_passed : 1, sizeof(*passed_taken));
	if (!passed_taken) {
		snprintf(err, errlen, "tcp: out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Passed sockets no port adopted are closed (with a warning once every
 * port listens). */
static void close_unadopted(bool warn)
{
	for (int i = 0; i < nr_passed; i++) {
		if (passed_taken[i])
			continue;
		if (warn)
			kt_warn("socket activation: passed socket %d matches no configured port: closed",
				SD_LISTEN_FDS_START + i);
		close(SD_LISTEN_FDS_START + i);
	}
	free(passed_taken);
	passed_taken = NULL;
	nr_passed = 0;
}

void kt_listeners_started(void)
{
	close_unadopted(true);
}

int kt_listener_add(const struct kt_port *p, char *err, size_t errlen)
{
	struct listener *l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "port %u: out of memory", p->portid);
		return -ENOMEM;
	}
	int rc = listen_one(lbase, l, p, err, errlen);
	if (rc < 0) {
		free(l);
		return rc;
	}
	l->next = listeners;
	listeners = l;
	return 0;
}

static void listener_free(struct listener *l)
{
	event_free(l->ev);
	event_free(l->resume);
	close(l->fd);
	free(l);
}

void kt_listener_remove(const struct kt_port *p)
{
	for (struct listener **pp = &listeners; *pp;) {
		struct listener *l = *pp;
		if (l->port != p) {
			pp = &l->next;
			continue;
		}
		*pp = l->next;
		kt_info("stopped listening on %s:%s (port %u)", p->traddr, p->trsvcid, p->portid);
		listener_free(l);
	}
}

void kt_listeners_stop(void)
{
	close_unadopted(false);
	while (listeners) {
		struct listener *l = listeners;
		listeners = l->next;
		listener_free(l);
	}
}

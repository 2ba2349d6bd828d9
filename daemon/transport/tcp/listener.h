/*
 * listener.h - the listening sockets, one per configured port, on the main
 * thread's event loop; each accepted connection is handed to a worker,
 * round robin, and stays there.
 */
#ifndef KATO_DAEMON_LISTENER_H
#define KATO_DAEMON_LISTENER_H

struct event_base;
struct kt_target;

/* Binds and listens on every port of t. Returns 0, or a negative errno with
 * a reason naming the address in err. */
int kt_listeners_start(struct event_base *base, const struct kt_target *t, char *err, size_t errlen);
void kt_listeners_stop(void);

/* Live changes (main thread, daemon/core/live.c): starts listening for port p
 * (0, or a negative errno with the address in err), or stops every listener
 * of p (connections already accepted stay). */
struct kt_port;
int kt_listener_add(const struct kt_port *p, char *err, size_t errlen);
void kt_listener_remove(const struct kt_port *p);

#endif

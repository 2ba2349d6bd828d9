/*
 * listener.h - the listening sockets, one per configured port, on the main
 * thread's event loop; each accepted connection is handed to a worker,
 * round robin, and stays there.
 */
#ifndef KATO_DAEMON_LISTENER_H
#define KATO_DAEMON_LISTENER_H

struct event_base;

/* The TCP transport's start, started and stop (struct kt_transport_ops):
 * start takes the sockets systemd passed (socket activation) and the main
 * loop listeners live on; started closes passed sockets no port adopted;
 * stop closes every listener. */
int kt_listeners_start(struct event_base *base, char *err, size_t errlen);
void kt_listeners_started(void);
void kt_listeners_stop(void);

/* Listening for port p (main thread; at start and at live changes): starts listening for port p
 * (0, or a negative errno with the address in err), or stops every listener
 * of p (connections already accepted stay). */
struct kt_port;
int kt_listener_add(const struct kt_port *p, char *err, size_t errlen);
void kt_listener_remove(const struct kt_port *p);

#endif

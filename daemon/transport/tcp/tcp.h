/*
 * tcp.h - the NVMe/TCP transport as the rest of katod sees it: its table
 * of operations (daemon/transport/transport.h) and the hand-over of an
 * accepted socket to a worker. Its queue object (struct kt_queue) is
 * private to daemon/transport/tcp/queue.c.
 */
#ifndef KATO_DAEMON_TRANSPORT_TCP_TCP_H
#define KATO_DAEMON_TRANSPORT_TCP_TCP_H

#include "daemon/transport/transport.h"

struct kt_worker;
struct kt_port;

extern const struct kt_transport_ops kt_tcp_ops;

/* Takes over an accepted socket on worker w (call on w's thread). */
void kt_tcp_accept(struct kt_worker *w, int fd, const struct kt_port *port);

#endif

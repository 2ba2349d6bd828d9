/*
 * transport.c - which transport serves a port: the table of transports
 * katod has (NVMe/TCP today; RDMA and PCIe through vfio-user plug in here,
 * see docs/architecture.md).
 */
#include "daemon/transport/tcp/tcp.h"
#include "daemon/transport/transport.h"

const struct kt_transport_ops *kt_transport_for(const struct kt_port *p)
{
	(void)p; /* every port is NVMe/TCP until a second transport exists */
	return &kt_tcp_ops;
}

int kt_transport_listen(const struct kt_port *p, char *err, size_t errlen)
{
	return kt_transport_for(p)->listen(p, err, errlen);
}

void kt_transport_unlisten(const struct kt_port *p)
{
	kt_transport_for(p)->unlisten(p);
}

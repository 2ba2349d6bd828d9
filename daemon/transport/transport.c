/*
 * transport.c - which transport serves a port: the table of transports
 * katod has (NVMe/TCP today; RDMA and PCIe through vfio-user plug in here,
 * see docs/architecture.md).
 */
#include "daemon/transport/tcp/tcp.h"
#include "daemon/transport/transport.h"
#include "proto/model.h"

/* The transports katod has. */
static const struct kt_transport_ops *const transports[] = { &kt_tcp_ops };
#define NR_TRANSPORTS (sizeof(transports) / sizeof(transports[0]))

const struct kt_transport_ops *kt_transport_for(const struct kt_port *p)
{
	return p->trtype == NVMF_TRTYPE_TCP ? &kt_tcp_ops : NULL;
}

int kt_transports_start(struct event_base *base, char *err, size_t errlen)
{
	for (size_t i = 0; i < NR_TRANSPORTS; i++) {
		int rc = transports[i]->start(base, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void kt_transports_started(void)
{
	for (size_t i = 0; i < NR_TRANSPORTS; i++)
		transports[i]->started();
}

void kt_transports_stop(void)
{
	for (size_t i = 0; i < NR_TRANSPORTS; i++)
		transports[i]->stop();
}

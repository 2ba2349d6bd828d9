/*
 * model.h - the target as the protocol code sees it: ports, subsystems,
 * namespaces and the hosts they admit. Plain data, filled by the daemon from
 * the configuration and read by the command handlers in proto/.
 *
 * Lifetime and locking belong to the daemon (daemon/core/target.c, daemon/core/live.c):
 * proto/ only reads these structures. They change live, but only while every
 * worker is paused (daemon/core/pause.c), so a handler never sees a change half
 * done. The arrays hold pointers so that adding an object never moves the
 * ones in-flight commands point at; a removed object is freed only when
 * nothing references it any more.
 */
#ifndef KATO_PROTO_MODEL_H
#define KATO_PROTO_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nvme/types.h>

/* NVMF_NQN_SIZE (223), not NVME_NQN_LENGTH: in libnvme 1.3 the latter is the
 * 256-byte wire field, not the longest NQN. */
#define KT_NQN_MAX NVMF_NQN_SIZE /* 223 characters, NUL not counted */
#define KT_WELL_KNOWN_DISC_NQN "nqn.2014-08.org.nvmexpress.discovery"

struct kt_backend; /* daemon/backend/backend.h */

struct kt_ns {
	uint32_t nsid;
	bool enabled;
	uint8_t lba_shift;  /* log2 of the logical block size: 9 or 12 */
	uint64_t nblocks;   /* namespace size in logical blocks */
	uint8_t nguid[16];
	uint8_t uuid[16];
	bool vwc;           /* volatile write cache: Flush and FUA mean something */
	bool can_discard;   /* Dataset Management deallocate is honoured */
	uint32_t anagrpid;
	struct kt_backend *backend; /* owned by the daemon; opaque here */
};

struct kt_subsys {
	char nqn[KT_NQN_MAX + 1];
	bool discovery;               /* the discovery subsystem */
	char serial[21];              /* NUL-terminated; space-padded on the wire */
	char model[41];
	char firmware[9];
	uint32_t version;             /* VS register value, e.g. 0x00020000 (2.0) */
	uint32_t ieee_oui;            /* 24 bits */
	uint16_t cntlid_min, cntlid_max;
	uint16_t qid_max;             /* I/O queues a controller may have */
	bool allow_any_host;
	size_t n_hosts;
	char (*hosts)[KT_NQN_MAX + 1]; /* allowed host NQNs */
	size_t n_ns;
	struct kt_ns **ns;            /* sorted by nsid, ascending, unique */
	bool removed;                 /* taken out of the target (daemon/core/live.c)
					 while controllers still use it: they are
					 being closed, and n_ns is 0 (proto/io.c) */
	void *ctrl_ids;               /* the daemon's: which controller ids are taken
					 (daemon/core/cntlid.c, kept by target.c);
					 proto never reads it */
};

/* What a transport tells hosts about itself: Identify Controller's SGL and
 * capsule fields, the Error Log's and the discovery log's TRTYPE, the
 * discovery log's TSAS. Each transport has one (NVMe/TCP's is
 * kt_xport_tcp, proto/xport.c); a port points at its transport's. */
struct kt_xport {
	uint8_t trtype;               /* enum nvmf_trtype */
	uint32_t sgls;                /* Identify Controller SGLS */
	uint8_t msdbd;                /* SGL descriptors per command */
	uint32_t iorcsz;              /* response capsule, 16-byte units */
	union nvmf_tsas tsas;         /* discovery log entry */
};

/* NVMe/TCP: the transport binding's values. */
extern const struct kt_xport kt_xport_tcp;

/* ANA groups (proto/ana.h): ids 1..KT_ANA_GRP_MAX, as NVMET_MAX_ANAGRPS. */
#define KT_ANA_GRP_MAX 128
/* ANATT, seconds: how long a host waits out the change state (nvmet's). */
#define KT_ANA_TT_S 10

struct kt_port {
	uint8_t trtype;               /* enum nvmf_trtype: which transport serves it */
	const struct kt_xport *xport; /* its transport's; NULL reads as NVMe/TCP */
	uint16_t portid;
	uint8_t adrfam;               /* enum nvmf_addr_family */
	uint8_t treq;                 /* enum nvmf_treq */
	uint8_t sectype;              /* NVMe/TCP: enum nvmf_tcp_sectype, NONE or TLS13 (TLS 1.3
					 with PSKs on every connection; with treq NOT_REQUIRED a
					 plain ICReq is served too) */
	char traddr[NVMF_TRADDR_SIZE + 1];
	char trsvcid[NVMF_TRSVCID_SIZE + 1];
	uint32_t inline_data_size;    /* in-capsule data bytes accepted on I/O queues */
	size_t n_subsys;
	struct kt_subsys **subsys;    /* NVM subsystems reachable through this port */
	/* ANA: the state (enum nvme_ana_state) of each group on this port,
	 * [0] unused (kt_port_ana_init); ana_listed: the port's ana_groups
	 * name the group (it is in the ANA log of the port's controllers) */
	uint8_t ana_state[KT_ANA_GRP_MAX + 1];
	bool ana_listed[KT_ANA_GRP_MAX + 1];
};

/* Everything the discovery service needs to answer. */
struct kt_target {
	char disc_nqn[KT_NQN_MAX + 1]; /* unique discovery NQN, or the well-known one */
	uint64_t genctr;               /* discovery log generation counter */
	size_t n_ports;
	struct kt_port **ports;
	size_t n_subsys;
	struct kt_subsys **subsys;     /* NVM subsystems */
	struct kt_subsys disc;         /* the discovery subsystem */
	/* Controller-wide limits every controller advertises. */
	uint8_t mdts;                  /* max transfer: 2^mdts * 4096 bytes */
	uint8_t kas;                   /* keep-alive granularity, 100 ms units */
	uint32_t maxh2cdata;           /* bytes, what ICResp advertises */
	uint16_t mqes;                 /* max queue entries, zero-based (CAP.MQES) */
	uint64_t ana_chgcnt;           /* ANA change count: bumped by every state change */
};

static inline uint32_t kt_mdts_bytes(const struct kt_target *t)
{
	return 4096u << t->mdts;
}

/* The port's transport description (NVMe/TCP's when the port has none, as
 * a port a test builds by hand). */
static inline const struct kt_xport *kt_port_xport(const struct kt_port *p)
{
	return p && p->xport ? p->xport : &kt_xport_tcp;
}

/* Lookups used by Connect and the handlers; defined in proto/model.c. */
struct kt_subsys *kt_target_find_subsys(struct kt_target *t, const char *nqn);
bool kt_subsys_host_allowed(const struct kt_subsys *s, const char *hostnqn);
bool kt_port_has_subsys(const struct kt_port *p, const struct kt_subsys *s);
/* The namespace with this NSID, or NULL (also NULL for a disabled one). */
struct kt_ns *kt_subsys_find_ns(const struct kt_subsys *s, uint32_t nsid);

#endif

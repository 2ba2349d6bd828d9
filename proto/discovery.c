/*
 * discovery.c - the Discovery Log Page (log identifier 70h) a discovery
 * controller returns: where, and to which NVM subsystems, the host that asks
 * may connect. The page is never built whole: entries are 1024 bytes each, a
 * target may export many, and a host reads the page in pieces, so each read
 * builds only the header and entries that overlap the bytes asked for, one at
 * a time on the stack.
 *
 * What the page holds, in order:
 *   1. the current discovery subsystem on the controller's own port
 *      (SUBTYPE 3, subnqn = the target's discovery NQN), as the kernel target
 *      does, so a host learns the unique discovery NQN and that the
 *      discovery controller supports persistent connections;
 *   2. for every port of the target, in order, every NVM subsystem exported
 *      on it that this host is allowed into (SUBTYPE 2). Ports other than
 *      the one asked are listed too: a host that discovers on a
 *      discovery-only port still learns where to connect.
 *
 * A port bound to a wildcard address (0.0.0.0, ::) is listed with the local
 * address of the connection the host asked over, as the Linux target does
 * (nvmet_tcp_disc_port_addr): "0.0.0.0" is no address a host can connect
 * to, and the address the host reached us at is one the port listens on.
 * Ports with a concrete address are listed as configured.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <string.h>

#include "proto/fabrics.h"

#define DISC_HDR_BYTES 1024u
#define DISC_ENTRY_BYTES 1024u

static_assert(sizeof(struct nvmf_discovery_log) == DISC_HDR_BYTES, "discovery log header");
static_assert(sizeof(struct nvmf_disc_log_entry) == DISC_ENTRY_BYTES, "discovery log entry");

static bool listed(const struct kt_ctrl *c, const struct kt_subsys *s)
{
	return s && !s->discovery && kt_subsys_host_allowed(s, c->hostnqn);
}

static uint64_t count_entries(const struct kt_ctrl *c)
{
	const struct kt_target *t = c->target;
	uint64_t n = c->port ? 1 : 0;

	for (size_t i = 0; i < t->n_ports; i++)
		for (size_t j = 0; j < t->ports[i]->n_subsys; j++)
			if (listed(c, t->ports[i]->subsys[j]))
				n++;
	return n;
}

/* ASCII fields of the entry (TRSVCID, TRADDR) are space-padded, the spec's
 * convention for ASCII strings (libnvme trims the spaces); the NQN is a
 * NUL-terminated UTF-8 string, NUL-padded. */
static void put_ascii(char *field, size_t size, const char *s)
{
	size_t n = strnlen(s, size);

	memset(field, ' ', size);
	memcpy(field, s, n);
}

static void put_nqn(char *field, size_t size, const char *s)
{
	size_t n = strnlen(s, size - 1);

	memset(field, 0, size);
	memcpy(field, s, n);
}

static bool wildcard(const struct kt_port *p)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (p->adrfam == NVMF_ADDR_FAMILY_IP4)
		return inet_pton(AF_INET, p->traddr, &a4) == 1 && a4.s_addr == htonl(INADDR_ANY);
	if (p->adrfam == NVMF_ADDR_FAMILY_IP6)
		return inet_pton(AF_INET6, p->traddr, &a6) == 1 && IN6_IS_ADDR_UNSPECIFIED(&a6);
	return false;
}

/* The address family and address an entry for port p reports. A wildcard
 * port takes the connection's local address when it is of the same family,
 * or when the port is IPv6 and the connection IPv4 (a dual-stack "::"
 * listener accepts IPv4 too; the daemon reports an IPv4-mapped local address
 * as IPv4). An IPv4 wildcard port asked about over IPv6 keeps its own. */
static void entry_addr(const struct kt_ctrl *c, const struct kt_port *p, uint8_t *adrfam,
		       const char **traddr)
{
	*adrfam = p->adrfam;
	*traddr = p->traddr;
	if (!c->local_traddr[0] || !wildcard(p))
		return;
	if (c->local_adrfam == p->adrfam ||
	    (p->adrfam == NVMF_ADDR_FAMILY_IP6 && c->local_adrfam == NVMF_ADDR_FAMILY_IP4)) {
		*adrfam = c->local_adrfam;
		*traddr = c->local_traddr;
	}
}

/*
 * One entry. TREQ is the port's, minus "SQ flow control disable": we do not
 * claim to honour a host's request to omit SQ head pointer updates. CNTLID
 * FFFFh: dynamic controller model. ASQSZ: the admin queue size we accept.
 * TSAS: TCP, no security (no TLS). EFLAGS: on the current discovery entry,
 * EPCSD (a discovery controller connected with a non-zero KATO stays, with
 * discovery log change events); DUPRETINFO is not set, since the current
 * discovery entry itself differs from port to port.
 */
static void fill_entry(struct nvmf_disc_log_entry *e, const struct kt_ctrl *c,
		       const struct kt_port *p, const char *nqn, uint8_t subtype)
{
	const char *traddr;
	uint8_t adrfam;

	entry_addr(c, p, &adrfam, &traddr);
	memset(e, 0, sizeof(*e));
	e->trtype = kt_port_xport(p)->trtype;
	e->adrfam = adrfam;
	e->subtype = subtype;
	e->treq = (uint8_t)(p->treq & ~NVMF_TREQ_DISABLE_SQFLOW);
	e->portid = htole16(p->portid);
	e->cntlid = htole16(KT_CNTLID_DYNAMIC);
	e->asqsz = htole16(KT_ADMIN_SQ_ENTRIES);
	e->eflags = htole16(subtype == NVME_NQN_CURR ? NVMF_DISC_EFLAGS_EPCSD : NVMF_DISC_EFLAGS_NONE);
	put_ascii(e->trsvcid, sizeof(e->trsvcid), p->trsvcid);
	put_nqn(e->subnqn, sizeof(e->subnqn), nqn);
	put_ascii(e->traddr, sizeof(e->traddr), traddr);
	e->tsas = kt_port_xport(p)->tsas;
	if (e->trtype == NVMF_TRTYPE_TCP)
		e->tsas.tcp.sectype = p->sectype; /* as nvmet's disc_addr.tsas */
}

/* The window [off, off + len) of the page, and what to copy into it. */
struct window {
	uint64_t off;
	uint64_t end;
	uint8_t *buf;
};

static bool overlaps(const struct window *w, uint64_t start, uint64_t size)
{
	return start < w->end && start + size > w->off;
}

static void copy_part(const struct window *w, uint64_t start, const void *src, uint64_t size)
{
	uint64_t from = start > w->off ? start : w->off;
	uint64_t to = start + size < w->end ? start + size : w->end;

	if (from < to)
		memcpy(w->buf + (from - w->off), (const uint8_t *)src + (from - start), to - from);
}

static void emit_entry(const struct window *w, const struct kt_ctrl *c, uint64_t idx,
		       const struct kt_port *p, const char *nqn, uint8_t subtype)
{
	uint64_t start = DISC_HDR_BYTES + idx * DISC_ENTRY_BYTES;
	struct nvmf_disc_log_entry e;

	if (!overlaps(w, start, DISC_ENTRY_BYTES))
		return;
	fill_entry(&e, c, p, nqn, subtype);
	copy_part(w, start, &e, sizeof(e));
}

/*
 * Offsets past the end of the page are Invalid Field; an offset exactly at
 * the end reads nothing, and bytes asked for beyond the end read as zero.
 * The page is computed afresh on every read; a host that reads it in pieces
 * checks GENCTR before and after, as the spec asks, to see it did not change
 * in between.
 */
uint16_t kt_disc_log_read(const struct kt_ctrl *c, uint64_t offset, void *buf, uint32_t len)
{
	const struct kt_target *t = c->target;
	uint64_t numrec = count_entries(c);
	uint64_t size = DISC_HDR_BYTES + numrec * DISC_ENTRY_BYTES;
	struct window w = { .off = offset, .end = offset + len, .buf = buf };
	uint64_t idx = 0;

	if (offset > size || (len && !buf))
		return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true);
	if (len == 0)
		return 0;
	memset(buf, 0, len);

	if (overlaps(&w, 0, DISC_HDR_BYTES)) {
		struct nvmf_discovery_log h;

		memset(&h, 0, sizeof(h));
		h.genctr = htole64(t->genctr);
		h.numrec = htole64(numrec);
		h.recfmt = htole16(0);
		copy_part(&w, 0, &h, sizeof(h));
	}

	if (c->port)
		emit_entry(&w, c, idx++, c->port,
			   t->disc_nqn[0] ? t->disc_nqn : KT_WELL_KNOWN_DISC_NQN, NVME_NQN_CURR);
	for (size_t i = 0; i < t->n_ports && idx < numrec; i++) {
		const struct kt_port *p = t->ports[i];

		for (size_t j = 0; j < p->n_subsys; j++)
			if (listed(c, p->subsys[j]))
				emit_entry(&w, c, idx++, p, p->subsys[j]->nqn, NVME_NQN_NVME);
	}
	return 0;
}

/*
 * ana.c - Asymmetric Namespace Access as a host sees it (proto/ana.h): the
 * state names nvmetcli and katoctl use, a new port's states, the path status
 * of an I/O command, and the ANA log page (LID 0Ch). It exists so that the
 * Identify, Get Log Page and I/O handlers, the configuration and the daemon
 * all read one set of rules, the Linux kernel target's (nvmet).
 */
#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "proto/ana.h"
#include "proto/cmd.h"

static_assert(sizeof(struct nvme_ana_log) == 16, "ANA log header");
static_assert(sizeof(struct nvme_ana_group_desc) == 32, "ANA group descriptor");

/* nvmet's configfs names (ana_state), which nvmetcli saves. */
static const struct {
	uint8_t state;
	const char *name;
} ana_names[] = {
	{ NVME_ANA_STATE_OPTIMIZED, "optimized" },
	{ NVME_ANA_STATE_NONOPTIMIZED, "non-optimized" },
	{ NVME_ANA_STATE_INACCESSIBLE, "inaccessible" },
	{ NVME_ANA_STATE_PERSISTENT_LOSS, "persistent-loss" },
	{ NVME_ANA_STATE_CHANGE, "change" },
};

int kt_ana_state_parse(const char *name)
{
	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(ana_names) / sizeof(ana_names[0]); i++)
		if (!strcmp(name, ana_names[i].name))
			return ana_names[i].state;
	return -EINVAL;
}

const char *kt_ana_state_name(uint8_t state)
{
	for (size_t i = 0; i < sizeof(ana_names) / sizeof(ana_names[0]); i++)
		if (ana_names[i].state == state)
			return ana_names[i].name;
	return NULL;
}

bool kt_ana_state_valid(uint8_t state)
{
	return kt_ana_state_name(state) != NULL;
}

/* As nvmet_ports_make: every group inaccessible but the default group 1,
 * which is optimized. Group 1 is also always in a port's ana_groups (nvmet
 * creates ana_groups/1 with the port and never removes it), so it is listed;
 * the others are listed once the port's configuration names them. */
void kt_port_ana_init(struct kt_port *p)
{
	p->ana_state[0] = 0;
	p->ana_listed[0] = false;
	for (unsigned g = 1; g <= KT_ANA_GRP_MAX; g++) {
		p->ana_state[g] = NVME_ANA_STATE_INACCESSIBLE;
		p->ana_listed[g] = false;
	}
	p->ana_state[1] = NVME_ANA_STATE_OPTIMIZED;
	p->ana_listed[1] = true;
}

/*
 * As nvmet_check_ana_state: only the three states that say "not through
 * this path" fail the command, each with its own path status, without DNR
 * so that a multipath host retries it elsewhere. Anything else is served: the
 * two accessible states, and a value that is no state at all (a port the
 * daemon built without kt_port_ana_init), which nvmet would serve too.
 */
uint16_t kt_ana_check(const struct kt_port *p, const struct kt_ns *ns)
{
	switch (kt_port_ana_state(p, ns->anagrpid)) {
	case NVME_ANA_STATE_INACCESSIBLE:
		return KT_STATUS(NVME_SCT_PATH, NVME_SC_ANA_INACCESSIBLE, false);
	case NVME_ANA_STATE_PERSISTENT_LOSS:
		return KT_STATUS(NVME_SCT_PATH, NVME_SC_ANA_PERSISTENT_LOSS, false);
	case NVME_ANA_STATE_CHANGE:
		return KT_STATUS(NVME_SCT_PATH, NVME_SC_ANA_TRANSITION, false);
	default:
		return 0;
	}
}

/* ---- The log page -------------------------------------------------------- */

/* The page is laid out in order, piece by piece; each piece lands in the
 * caller's window [off, off + len) where the two overlap. */
struct log_out {
	uint8_t *buf;
	uint64_t off, end; /* the window, in page bytes */
	uint64_t pos;      /* page bytes laid out so far */
};

static void emit(struct log_out *o, const void *src, size_t n)
{
	uint64_t from = o->pos > o->off ? o->pos : o->off;
	uint64_t to = o->pos + n < o->end ? o->pos + n : o->end;

	if (from < to)
		memcpy(o->buf + (from - o->off), (const uint8_t *)src + (from - o->pos), (size_t)(to - from));
	o->pos += n;
}

static bool grpid_ok(uint32_t grpid)
{
	return grpid >= 1 && grpid <= KT_ANA_GRP_MAX;
}

/*
 * Which groups the page lists: group 1, the port's, and those of the
 * subsystem's enabled namespaces (nvmet counts a group enabled while a port
 * lists it or an enabled namespace is in it). A namespace in no valid group
 * (0, from a model built by hand) is in no descriptor.
 */
static unsigned listed_groups(const struct kt_subsys *s, const struct kt_port *p,
			      bool in[KT_ANA_GRP_MAX + 1])
{
	unsigned n = 0;

	memset(in, 0, (KT_ANA_GRP_MAX + 1) * sizeof(in[0]));
	in[1] = true;
	for (unsigned g = 1; p && g <= KT_ANA_GRP_MAX; g++)
		if (p->ana_listed[g])
			in[g] = true;
	for (size_t i = 0; s && i < s->n_ns; i++)
		if (s->ns[i]->enabled && grpid_ok(s->ns[i]->anagrpid))
			in[s->ns[i]->anagrpid] = true;
	for (unsigned g = 1; g <= KT_ANA_GRP_MAX; g++)
		n += in[g];
	return n;
}

size_t kt_ana_log(const struct kt_subsys *s, const struct kt_port *p, uint64_t chgcnt, bool rgo,
		  uint64_t off, void *buf, size_t len)
{
	bool in[KT_ANA_GRP_MAX + 1];
	struct nvme_ana_log hdr;
	struct log_out o = { .buf = buf, .off = off, .pos = 0 };

	/* no window at all when there is no buffer (a size query) */
	if (!buf)
		len = 0;
	o.end = len > UINT64_MAX - off ? UINT64_MAX : off + len;
	if (len)
		memset(buf, 0, len);

	memset(&hdr, 0, sizeof(hdr));
	hdr.chgcnt = htole64(chgcnt);
	hdr.ngrps = htole16((uint16_t)listed_groups(s, p, in));
	emit(&o, &hdr, sizeof(hdr));

	for (unsigned g = 1; g <= KT_ANA_GRP_MAX; g++) {
		struct nvme_ana_group_desc d;
		uint32_t nnsids = 0;

		if (!in[g])
			continue;
		/* s->ns is sorted by NSID: the list comes out ascending */
		for (size_t i = 0; !rgo && s && i < s->n_ns; i++)
			nnsids += s->ns[i]->enabled && s->ns[i]->anagrpid == g;
		memset(&d, 0, sizeof(d));
		d.grpid = htole32(g);
		d.nnsids = htole32(nnsids);
		d.chgcnt = htole64(chgcnt);
		d.state = kt_port_ana_state(p, g) & 0x0fu; /* bits 3:0 */
		emit(&o, &d, sizeof(d));
		for (size_t i = 0; nnsids && i < s->n_ns; i++) {
			if (s->ns[i]->enabled && s->ns[i]->anagrpid == g) {
				__le32 nsid = htole32(s->ns[i]->nsid);
				emit(&o, &nsid, sizeof(nsid));
			}
		}
	}
	return (size_t)o.pos;
}

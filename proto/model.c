/*
 * model.c - lookups over the target model (proto/model.h): which subsystem an
 * NQN names, whether a host may use a subsystem, whether a port exports it,
 * and which namespace an NSID names. Connect, the I/O parser and the
 * discovery log all ask these questions; keeping the answers in one place
 * keeps the access rules identical everywhere.
 */
#include <string.h>

#include "proto/model.h"

static bool is_discovery_nqn(const struct kt_target *t, const char *nqn)
{
	return strcmp(nqn, KT_WELL_KNOWN_DISC_NQN) == 0 ||
	       (t->disc_nqn[0] != '\0' && strcmp(nqn, t->disc_nqn) == 0);
}

/* The subsystem named by nqn: the discovery subsystem for the well-known
 * discovery NQN or the target's unique discovery NQN (a host may use either,
 * NVMe Base 2.0 "Discovery Controller"), else the NVM subsystem of that NQN.
 * NULL if none. */
struct kt_subsys *kt_target_find_subsys(struct kt_target *t, const char *nqn)
{
	if (!t || !nqn || nqn[0] == '\0')
		return NULL;
	if (is_discovery_nqn(t, nqn))
		return &t->disc;
	for (size_t i = 0; i < t->n_subsys; i++)
		if (strcmp(t->subsys[i]->nqn, nqn) == 0)
			return t->subsys[i];
	return NULL;
}

/* Any host may talk to the discovery subsystem (what it then sees is
 * filtered per host by the discovery log). An NVM subsystem admits every host
 * when allow_any_host is set, else only the listed ones. An empty host NQN
 * (some userspace hosts send one) never matches a list entry, so it is only
 * admitted where any host is. */
bool kt_subsys_host_allowed(const struct kt_subsys *s, const char *hostnqn)
{
	if (!s)
		return false;
	if (s->discovery || s->allow_any_host)
		return true;
	if (!hostnqn || hostnqn[0] == '\0')
		return false;
	for (size_t i = 0; i < s->n_hosts; i++)
		if (strcmp(s->hosts[i], hostnqn) == 0)
			return true;
	return false;
}

/* The discovery subsystem is reachable through every port. NVM subsystems
 * are compared by identity, then by NQN (NQNs are unique in a target), so a
 * port table that holds copies still answers right. */
bool kt_port_has_subsys(const struct kt_port *p, const struct kt_subsys *s)
{
	if (!p || !s)
		return false;
	if (s->discovery)
		return true;
	for (size_t i = 0; i < p->n_subsys; i++) {
		const struct kt_subsys *e = p->subsys[i];

		if (e == s || (e && strcmp(e->nqn, s->nqn) == 0))
			return true;
	}
	return false;
}

/* Binary search: s->ns is sorted by NSID, ascending and unique. NSID 0 and
 * FFFFFFFFh (broadcast) never name a single namespace. */
struct kt_ns *kt_subsys_find_ns(const struct kt_subsys *s, uint32_t nsid)
{
	if (!s || !s->ns || nsid == 0 || nsid == 0xffffffffu)
		return NULL;
	size_t lo = 0, hi = s->n_ns;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct kt_ns *ns = s->ns[mid];

		if (ns->nsid == nsid)
			return ns->enabled ? ns : NULL;
		if (ns->nsid < nsid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

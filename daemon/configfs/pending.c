/*
 * pending.c - the ports and namespaces kato-configfs holds until katod
 * serves them (see pending.h for why they exist). Two singly linked lists:
 * a configuration tree has a handful of each, and the FUSE loop is single
 * threaded (main.c), so no lock and no index.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "daemon/configfs/pending.h"

static struct kcfs_pport *ports;
static struct kcfs_pns *nss;

struct kcfs_pport *kcfs_pport_first(void)
{
	return ports;
}

struct kcfs_pport *kcfs_pport_find(uint32_t portid)
{
	for (struct kcfs_pport *p = ports; p; p = p->next)
		if (p->portid == portid)
			return p;
	return NULL;
}

int kcfs_pport_add(uint32_t portid, struct kcfs_pport **out)
{
	struct kcfs_pport *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->portid = portid;
	strcpy(p->treq, "not specified");
	p->inline_data_size = -1;
	p->next = ports;
	ports = p;
	if (out)
		*out = p;
	return 0;
}

void kcfs_pport_del(uint32_t portid)
{
	for (struct kcfs_pport **pp = &ports; *pp; pp = &(*pp)->next) {
		if ((*pp)->portid == portid) {
			struct kcfs_pport *p = *pp;
			*pp = p->next;
			free(p);
			return;
		}
	}
}

struct kcfs_pns *kcfs_pns_first(void)
{
	return nss;
}

struct kcfs_pns *kcfs_pns_find(const char *nqn, uint32_t nsid)
{
	for (struct kcfs_pns *n = nss; n; n = n->next)
		if (n->nsid == nsid && !strcmp(n->nqn, nqn))
			return n;
	return NULL;
}

/* A random (version 4) UUID, as nvmet gives a new namespace (uuid_gen). */
static void random_uuid(char out[37])
{
	uint8_t b[16] = { 0 };
	ssize_t got;
	while ((got = getrandom(b, sizeof(b), 0)) < 0 && errno == EINTR)
		;
	if (got != (ssize_t)sizeof(b)) /* ENOSYS: a kernel before 3.17 */
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)rand();
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int kcfs_pns_add(const char *nqn, uint32_t nsid, struct kcfs_pns **out)
{
	struct kcfs_pns *n = calloc(1, sizeof(*n));
	if (!n || !(n->nqn = strdup(nqn))) {
		free(n);
		return -ENOMEM;
	}
	n->nsid = nsid;
	n->ana_grpid = 1;
	random_uuid(n->uuid);
	n->next = nss;
	nss = n;
	if (out)
		*out = n;
	return 0;
}

static void pns_free(struct kcfs_pns *n)
{
	free(n->nqn);
	free(n->path);
	free(n);
}

void kcfs_pns_del(const char *nqn, uint32_t nsid)
{
	for (struct kcfs_pns **pp = &nss; *pp; pp = &(*pp)->next) {
		if ((*pp)->nsid == nsid && !strcmp((*pp)->nqn, nqn)) {
			struct kcfs_pns *n = *pp;
			*pp = n->next;
			pns_free(n);
			return;
		}
	}
}

void kcfs_pns_del_subsys(const char *nqn)
{
	for (struct kcfs_pns **pp = &nss; *pp;) {
		if (!strcmp((*pp)->nqn, nqn)) {
			struct kcfs_pns *n = *pp;
			*pp = n->next;
			pns_free(n);
		} else {
			pp = &(*pp)->next;
		}
	}
}

int kcfs_set_str(char **slot, const char *s)
{
	char *c = NULL;
	if (s && !(c = strdup(s)))
		return -ENOMEM;
	free(*slot);
	*slot = c;
	return 0;
}

void kcfs_pending_free(void)
{
	while (ports) {
		struct kcfs_pport *p = ports;
		ports = p->next;
		free(p);
	}
	while (nss) {
		struct kcfs_pns *n = nss;
		nss = n->next;
		pns_free(n);
	}
}

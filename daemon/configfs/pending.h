/*
 * pending.h - what kato-configfs keeps in its own memory (code: pending.c):
 * the objects nvmet has but katod does not serve yet. A port made with
 * mkdir listens only once a subsystem is linked into it (nvmet enables a
 * port at its first link), so until then its address lives here; a
 * namespace made with mkdir is configured (device_path, device_uuid, ...)
 * and then enabled by writing 1 to enable, so until then it lives here.
 * Everything else goes to katod at once and is read back from it.
 *
 * Once katod serves the object, the entry here is dropped; when nvmet
 * would take it out of service (the last subsystem unlinked from a port,
 * 0 written to enable) it comes back here with what katod had.
 */
#ifndef KATO_CONFIGFS_PENDING_H
#define KATO_CONFIGFS_PENDING_H

#include <stdbool.h>
#include <stdint.h>

/* A port that does not listen: nvmet's attributes, as written. */
struct kcfs_pport {
	uint32_t portid;
	char trtype[8];   /* "" until written: nvmet shows an empty line */
	char adrfam[8];
	char traddr[257];
	char trsvcid[33];
	char treq[16];    /* "not specified" */
	char tsas[8];     /* "none" once trtype is tcp */
	int inline_data_size; /* -1: the transport chooses */
	struct kcfs_pport *next;
};

/* A namespace that is not enabled. */
struct kcfs_pns {
	char *nqn;
	uint32_t nsid;
	char *path;        /* device_path, NULL until written */
	char uuid[37];     /* device_uuid: random at mkdir, as nvmet's */
	char nguid[37];    /* device_nguid in UUID layout; "" until written (all zeros) */
	uint32_t ana_grpid;
	bool buffered_io;
	struct kcfs_pns *next;
};

struct kcfs_pport *kcfs_pport_find(uint32_t portid);
/* A new port with nvmet's defaults: 0, or -ENOMEM. */
int kcfs_pport_add(uint32_t portid, struct kcfs_pport **out);
void kcfs_pport_del(uint32_t portid);
struct kcfs_pport *kcfs_pport_first(void);

struct kcfs_pns *kcfs_pns_find(const char *nqn, uint32_t nsid);
/* A new namespace with nvmet's defaults (a random UUID, ANA group 1): 0,
 * or -ENOMEM. */
int kcfs_pns_add(const char *nqn, uint32_t nsid, struct kcfs_pns **out);
void kcfs_pns_del(const char *nqn, uint32_t nsid);
/* Drops every namespace of subsystem nqn (the subsystem is gone). */
void kcfs_pns_del_subsys(const char *nqn);
struct kcfs_pns *kcfs_pns_first(void);
/* Replaces *slot by a copy of s (NULL: none): 0 or -ENOMEM. */
int kcfs_set_str(char **slot, const char *s);

/* Frees everything (at exit, so that the sanitizers see no leak). */
void kcfs_pending_free(void);

#endif

/*
 * ana.h - Asymmetric Namespace Access (NVMe Base 2.x, 8.1.3), as the Linux
 * kernel target serves it (proto/ana.c): ANA groups 1..KT_ANA_GRP_MAX, each
 * namespace in one (kt_ns.anagrpid), and each port with a state for every
 * group (kt_port.ana_state), so that one namespace reached through two
 * ports can be optimized on one and inaccessible on the other: the host's
 * multipath code picks its path by them. Pure: the daemon changes the
 * states (config, katoctl, timed transitions) and tells the controllers;
 * this file answers what a host sees.
 *
 * nvmet's rules, followed here:
 * - A port's states start as group 1 optimized and every other group
 *   inaccessible; the port's "ana_groups" (nvmetcli JSON) set the groups it
 *   lists (kt_port_ana_init, then the daemon applies the list).
 * - One change counter for the whole target (nvmet_ana_chgcnt): every
 *   state change of any port bumps it; the log page's header and every
 *   group descriptor carry it.
 * - The ANA log page (LID 0Ch) lists, in ascending id, group 1, the groups
 *   the controller's port lists, and the groups of the subsystem's
 *   namespaces; each descriptor holds the port's state and (unless the
 *   host set RGO, "return groups only", LSP bit 0) the NSIDs of the
 *   subsystem's enabled namespaces in the group.
 * - I/O commands to a namespace whose group is inaccessible, in persistent
 *   loss or in change on the controller's port fail with the path status
 *   (SCT 3h: 02h, 01h, 03h), without DNR, so that a multipath host retries
 *   them on another path.
 * - Identify: CMIC bits 0, 1 and 3 (several ports, several controllers,
 *   ANA reporting), ANACAP 1Fh (all five states reported), ANATT
 *   KT_ANA_TT_S, ANAGRPMAX and NANAGRPID KT_ANA_GRP_MAX, MNAN
 *   KT_ANA_MNAN; per namespace ANAGRPID and NMIC bit 0 (shared); OAES bit
 *   11 (ANA change notices), which Set Features Async Event Configuration
 *   then accepts.
 */
#ifndef KATO_PROTO_ANA_H
#define KATO_PROTO_ANA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/model.h"

/* AEC / OAES bit 11: ANA change notices (libnvme 1.3 has it for OAES,
 * NVME_CTRL_OAES_ANA, and as NVME_FEAT_AE_ANA_SHIFT, but no AEC mask) */
#define KT_AEN_CFG_ANA_CHANGE (1u << 11)
/* Identify Controller MNAN: the namespaces the ANA log may have to list
 * (the Linux host sizes its ANA log buffer by NANAGRPID and MNAN). */
#define KT_ANA_MNAN 1024u

/* nvmetcli's names: "optimized", "non-optimized", "inaccessible",
 * "persistent-loss", "change". Returns the state (enum nvme_ana_state) or
 * -EINVAL. */
int kt_ana_state_parse(const char *name);
/* The name of a state, NULL when it is not one. */
const char *kt_ana_state_name(uint8_t state);
/* Is it one of the five states? */
bool kt_ana_state_valid(uint8_t state);

/* A new port's states: group 1 optimized, the others inaccessible. */
void kt_port_ana_init(struct kt_port *p);

/* The state of group grpid on port p (grpid 0 or above KT_ANA_GRP_MAX, or
 * p NULL: optimized, as a port built by hand in a test). */
static inline uint8_t kt_port_ana_state(const struct kt_port *p, uint32_t grpid)
{
	if (!p || !grpid || grpid > KT_ANA_GRP_MAX)
		return NVME_ANA_STATE_OPTIMIZED;
	return p->ana_state[grpid];
}

/* The path status for an I/O command to ns through p: 0 when the group is
 * optimized or non-optimized, else Asymmetric Access Inaccessible,
 * Persistent Loss or Transition (SCT 3h, no DNR). */
uint16_t kt_ana_check(const struct kt_port *p, const struct kt_ns *ns);

/* The ANA log page of a controller of subsystem s on port p: the whole page
 * into buf (at most len bytes, the rest of len zero-filled), from byte
 * offset off of the page; rgo: LSP bit 0. Returns the page's full length
 * (which may exceed what was copied; buf NULL: that length alone). chgcnt
 * is the target's counter. */
size_t kt_ana_log(const struct kt_subsys *s, const struct kt_port *p, uint64_t chgcnt, bool rgo,
		  uint64_t off, void *buf, size_t len);

#endif

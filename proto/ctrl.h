/*
 * ctrl.h - the controller model: registers (CAP, VS, CC, CSTS) reached by
 * Property Get/Set, features, asynchronous events, the error log, SMART
 * counters and the keep-alive clock. Pure state and rules; the daemon owns
 * the timer, the queues and the threads.
 *
 * Threading contract (kept by the daemon): everything here is touched only
 * by the worker that owns the controller's admin queue, except the fields
 * marked atomic, which I/O queues on other workers update.
 */
#ifndef KATO_PROTO_CTRL_H
#define KATO_PROTO_CTRL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <nvme/types.h>
#include "proto/kapolicy.h"
#include "proto/model.h"

#define KT_AER_MAX 4        /* AERL + 1: outstanding AERs we hold */
#define KT_ERRLOG_MAX 64    /* error log entries kept (ELPE + 1) */
#define KT_CHANGED_NS_MAX 1024
/* I/O command errors on their way to the admin worker, per controller;
 * beyond this they are counted as lost (proto/ctrl.c, kt_ctrl_err_reserve). */
#define KT_ERR_INFLIGHT_MAX 64

/* Admin queue in-capsule data size fixed by the NVMe/TCP binding. */
#define KT_ADMIN_ICD_BYTES 8192

struct kt_aen {
	uint8_t type;  /* enum nvme_ae_type */
	uint8_t info;
	uint8_t lid;   /* log page that clears it */
};

struct kt_ctrl {
	uint16_t cntlid;
	bool discovery;               /* a discovery controller */
	struct kt_target *target;
	struct kt_subsys *subsys;     /* &target->disc for a discovery controller */
	const struct kt_port *port;   /* the port the admin queue arrived on */
	char hostnqn[KT_NQN_MAX + 1];
	uint8_t hostid[16];

	/* Registers. */
	uint64_t cap;
	uint32_t vs;
	uint32_t cc;
	uint32_t csts;

	/* Queues. */
	uint16_t admin_sqsize;        /* zero-based, from the admin Connect */
	uint16_t max_io_queues;       /* what this controller may grant */
	uint16_t nr_io_queues;        /* granted by Set Features Number of Queues
	                                 (defaults to max_io_queues) */
	uint32_t ioccsz_bytes;        /* capsule size on I/O queues: 64 + ICD */
	_Atomic unsigned io_queues;   /* I/O queues connected now: the transport
	                                 increments it at I/O Connect and decrements
	                                 it when one goes; Set Features Number of
	                                 Queues is refused while it is non-zero */

	/* Keep-alive: KATO in ms (0 = disabled), and when it was last re-armed. */
	uint32_t kato_ms;
	uint32_t kato_default_ms;     /* the Connect's KATO, rounded: Get Features
	                                 KATO with SEL default/saved */
	uint32_t kato_req_ms;         /* the Connect's KATO as sent */
	uint32_t ka_activity_ms;      /* discovery controller with KATO 0: closed
	                                 after this long without a command (0: never) */
	uint64_t ka_rearm_ms;
	bool ka_traffic_based;        /* TBKAS advertised in CTRATT */
	_Atomic uint64_t last_traffic_ms; /* any command on any queue (TBKAS) */
	const struct kt_kapol *ka_pol; /* deliberate misbehaviour (proto/kapolicy.h);
	                                 NULL in normal operation */
	bool ka_wait_auth;            /* the admin queue must authenticate first: no
	                                 keep-alive deadline until it has (the host
	                                 cannot send Keep Alive before; see
	                                 daemon/core/auth.c) */

	/* Features (current values). */
	uint32_t feat_arbitration;
	uint32_t feat_power_mgmt;
	uint32_t feat_temp_thresh;
	uint32_t feat_err_recovery;
	uint32_t feat_vwc;            /* 1 = volatile write cache enabled */
	uint32_t feat_aec;            /* async event configuration */
	uint32_t feat_write_atomicity;
	uint64_t feat_host_id_lo, feat_host_id_hi;

	/* Asynchronous events: held AER command ids, pending events. */
	uint16_t aer_cids[KT_AER_MAX];
	unsigned n_aer;
	struct kt_aen aen_pending[8];
	unsigned n_aen_pending;
	uint32_t aen_masked;          /* bit per notice type sent and not yet cleared
	                                 by reading its log page (the bit is chosen
	                                 by log page: see kt_aen_mask_bit in ctrl.c) */

	/* Error log: a ring of the newest entries. */
	struct nvme_error_log_page errlog[KT_ERRLOG_MAX];
	uint64_t err_count;           /* total errors logged: the newest entry's number */
	_Atomic unsigned err_inflight; /* I/O errors posted to the admin worker, not yet logged */
	_Atomic uint64_t err_lost;    /* I/O errors dropped over the cap, not yet folded
	                                 into err_count (they still count, and the next
	                                 entry's number skips them, which is how the spec
	                                 says a lost entry shows) */

	/* The local address of the admin queue's connection (set by the
	 * daemon): what a discovery log entry for a port bound to a wildcard
	 * address reports (proto/discovery.c). Empty: unknown. */
	uint8_t local_adrfam;         /* enum nvmf_addr_family */
	char local_traddr[NVMF_TRADDR_SIZE + 1];

	/* Changed Namespace List (log 04h). */
	uint32_t changed_ns[KT_CHANGED_NS_MAX];
	unsigned n_changed_ns;        /* > KT_CHANGED_NS_MAX means "more than 1024" */

	/* SMART counters, updated by every I/O queue. */
	_Atomic uint64_t host_reads, host_writes;   /* commands */
	_Atomic uint64_t bytes_read, bytes_written; /* bytes */
	uint64_t start_ms;            /* for power-on hours */

	void *owner;                  /* the daemon's controller object */
};

/* Initialises a controller for an admin Connect on `port` at time now_ms.
 * subsys is the NVM subsystem or &target->disc. kato_ms is taken from the
 * Connect command and rounded up to the KAS granularity. */
void kt_ctrl_init(struct kt_ctrl *c, struct kt_target *t, struct kt_subsys *subsys,
		  const struct kt_port *port, uint16_t cntlid, const char *hostnqn,
		  const uint8_t hostid[16], uint16_t admin_sqsize, uint32_t kato_ms,
		  uint64_t now_ms);

/* KATO rounded up to a multiple of the KAS granularity (100 ms units). */
uint32_t kt_kato_round(const struct kt_target *t, uint32_t kato_ms);
/* The same with the controller's KAS (a policy may advertise another). */
uint32_t kt_ctrl_kato_round(const struct kt_ctrl *c, uint32_t kato_ms);
/* The KAS this controller advertises (100 ms units). */
uint16_t kt_ctrl_kas(const struct kt_ctrl *c);

/* Property Get / Property Set (NVMe-oF). size is 4 or 8 bytes. Return a
 * status. A Property Set that changes CC may reset the controller (EN 1->0)
 * or shut it down (SHN): *reset is set when the I/O queues must go. */
uint16_t kt_ctrl_prop_get(const struct kt_ctrl *c, uint32_t offset, unsigned size, uint64_t *value);
uint16_t kt_ctrl_prop_set(struct kt_ctrl *c, uint32_t offset, unsigned size, uint64_t value,
			  uint64_t now_ms, bool *reset);

static inline bool kt_ctrl_ready(const struct kt_ctrl *c)
{
	return (c->cc & 1u) && (c->csts & 1u);
}

/* Keep-alive: re-arm at now_ms (a Keep Alive command, CC.EN=1, Set Features
 * KATO). The deadline is ka_rearm_ms + kato_ms, or with traffic-based
 * keep-alive, the later of that and last_traffic_ms + kato_ms. 0 = never,
 * and while the admin queue waits for its first authentication. */
void kt_ctrl_ka_rearm(struct kt_ctrl *c, uint64_t now_ms);
uint64_t kt_ctrl_ka_deadline(const struct kt_ctrl *c);
/* Installs (or with NULL removes) the controller's keep-alive policy; a
 * policy KAS re-rounds KATO (the current value and the Connect's default). */
void kt_ctrl_ka_set_policy(struct kt_ctrl *c, const struct kt_kapol *p);
/* The keep-alive timer expired: an Error Log entry with status Keep Alive
 * Timer Expired and CSTS.CFS set. The daemon then closes every queue. */
void kt_ctrl_ka_expire(struct kt_ctrl *c);

/* Records an error in the error log (status without phase bit, the queue
 * and command it concerns, and the parameter error location). */
void kt_ctrl_log_error(struct kt_ctrl *c, uint16_t sqid, uint16_t cid, uint16_t status,
		       uint16_t param_loc, uint64_t lba, uint32_t nsid);

/* The number of errors recorded over the controller's life (the newest
 * entry's Error Count, plus entries lost on the way). Any thread may call
 * it for a snapshot; the admin worker gets the exact value. */
uint64_t kt_ctrl_err_total(const struct kt_ctrl *c);

/*
 * I/O command errors. The error log belongs to the admin worker; an I/O
 * queue on another worker fills a struct kt_err_rec (kt_ctrl_io_error_rec)
 * and hands it over. kt_ctrl_err_reserve (any thread) takes one of the
 * KT_ERR_INFLIGHT_MAX places for it, or, when they are all taken, counts the
 * error as lost and returns false; kt_ctrl_err_unreserve gives a place back
 * when the hand-over failed (the error is then counted as lost too).
 * kt_ctrl_log_error_rec (admin worker) records it and frees its place.
 */
struct kt_err_rec {
	uint16_t sqid, cid, status, param_loc;
	uint32_t nsid;
	uint64_t lba;
};
struct kt_cmd;
void kt_ctrl_io_error_rec(const struct kt_cmd *cmd, uint16_t sqid, uint16_t status,
			  struct kt_err_rec *rec);
bool kt_ctrl_err_reserve(struct kt_ctrl *c);
void kt_ctrl_err_unreserve(struct kt_ctrl *c);
void kt_ctrl_log_error_rec(struct kt_ctrl *c, const struct kt_err_rec *rec);

/* The local address (enum nvmf_addr_family, text) of the connection the
 * admin queue came on; NULL or "" clears it. */
void kt_ctrl_set_local_addr(struct kt_ctrl *c, uint8_t adrfam, const char *traddr);

/* Asynchronous events. kt_ctrl_aen_raise queues an event (unless masked by
 * the async event configuration or by one of its kind not yet cleared);
 * kt_ctrl_aen_take pairs a pending event with a held AER: it returns true
 * and gives the AER's cid and the completion dw0 to send. The daemon calls
 * it after every admin command and after raising an event. */
void kt_ctrl_aen_raise(struct kt_ctrl *c, uint8_t type, uint8_t info, uint8_t lid);
bool kt_ctrl_aen_take(struct kt_ctrl *c, uint16_t *cid, uint32_t *dw0);

/* Whether the controller holds an AER with command id cid (a reset drops
 * them all, without a completion). */
bool kt_ctrl_aer_held(const struct kt_ctrl *c, uint16_t cid);

/* A Get Log Page of `lid` without RAE: unmasks the events that page clears. */
void kt_ctrl_aen_clear(struct kt_ctrl *c, uint8_t lid);

/* Namespace nsid was added, removed or changed: records it in the Changed
 * Namespace List (log 04h) and raises a Namespace Attribute Changed notice. */
void kt_ctrl_ns_changed(struct kt_ctrl *c, uint32_t nsid);

/* The ANA state of a group on the controller's port changed, or the groups
 * its ANA log lists did (proto/ana.h): raises an Asymmetric Namespace Access
 * Change notice (Notice, info 03h, log page 0Ch) if the host enabled it
 * (AEC bit 11); reading log 0Ch without RAE unmasks the next one. The
 * daemon then completes a held AER (kt_ctrl_aen_take). Nothing on a
 * discovery controller, which has no ANA. */
void kt_ctrl_ana_changed(struct kt_ctrl *c);

#endif

/*
 * kapolicy.h - deliberate keep-alive misbehaviour, for testing hosts. It
 * exists so that a host's keep-alive handling can be driven into its corner
 * cases (late, lost or failed Keep Alive completions, early or no expiry,
 * traffic that does not count, a refused KATO change, an odd granularity)
 * without a single `if` for it spread through the normal code: a controller
 * carries a pointer to its effective policy, NULL in normal operation.
 *
 * Rules are scoped to one controller id, one host NQN or one subsystem NQN.
 * A controller's effective policy merges the rules that match it, field by
 * field, the more specific winning: subsystem, then host, then controller id.
 * Pure data and decisions: no clock (times come in), no threads, no I/O.
 */
#ifndef KATO_PROTO_KAPOLICY_H
#define KATO_PROTO_KAPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto/model.h"

enum kt_kapol_kind {
	KT_KAPOL_SUBSYS,   /* least specific */
	KT_KAPOL_HOST,
	KT_KAPOL_CNTLID,   /* most specific */
};

struct kt_kapol_scope {
	enum kt_kapol_kind kind;
	uint16_t cntlid;               /* KT_KAPOL_CNTLID */
	char nqn[KT_NQN_MAX + 1];      /* KT_KAPOL_HOST / KT_KAPOL_SUBSYS */
};

/* Which fields of a policy a rule decides (bits of kt_kapol.set). */
enum {
	KT_KAPOL_F_DELAY = 1u << 0,          /* delay Keep Alive completions by delay_ms */
	KT_KAPOL_F_DROP = 1u << 1,           /* drop: never complete Keep Alive */
	KT_KAPOL_F_STATUS = 1u << 2,         /* complete Keep Alive with status */
	KT_KAPOL_F_EXPIRE = 1u << 3,         /* expire at expire_permille/1000 of KATO (0: never) */
	KT_KAPOL_F_IGNORE_TRAFFIC = 1u << 4, /* traffic does not re-arm, TBKAS still advertised */
	KT_KAPOL_F_REFUSE_SET_KATO = 1u << 5, /* Set Features KATO fails with refuse_status */
	KT_KAPOL_F_KAS = 1u << 6,            /* advertise (and round KATO to) kas */
	KT_KAPOL_F_ALL = (1u << 7) - 1,
};

#define KT_KAPOL_EXPIRE_MAX 10000u   /* 10x KATO */
#define KT_KAPOL_DELAY_MAX 3600000u  /* one hour */

struct kt_kapol {
	uint32_t set;              /* KT_KAPOL_F_* this policy decides */
	uint32_t delay_ms;
	bool drop;
	uint16_t status;           /* NVMe status without the phase bit (DNR 0x4000 allowed) */
	uint32_t expire_permille;  /* 1..KT_KAPOL_EXPIRE_MAX, or 0 for never */
	bool ignore_traffic;
	bool refuse_set_kato;
	uint16_t refuse_status;    /* 0: Invalid Field in Command, DNR */
	uint16_t kas;              /* 100 ms units, 1..65535 */
};

struct kt_kapol_rule {
	struct kt_kapol_scope scope;
	struct kt_kapol pol;
};

#define KT_KAPOL_RULES_MAX 64

struct kt_kapol_table {
	size_t n;
	struct kt_kapol_rule rule[KT_KAPOL_RULES_MAX];
};

/* Checks a policy's values: 0 or -EINVAL (unknown bits, an out-of-range
 * delay, expiry fraction or KAS). */
int kt_kapol_check(const struct kt_kapol *p);
bool kt_kapol_scope_equal(const struct kt_kapol_scope *a, const struct kt_kapol_scope *b);

/* The rule for exactly this scope is replaced by p (added if new). A policy
 * that decides nothing (p->set == 0) removes the rule. 0, -EINVAL, -ENOSPC. */
int kt_kapol_set(struct kt_kapol_table *t, const struct kt_kapol_scope *s, const struct kt_kapol *p);
/* The rule for exactly this scope: 0 or -ENOENT. */
int kt_kapol_get(const struct kt_kapol_table *t, const struct kt_kapol_scope *s, struct kt_kapol *p);
/* Removes the rule for this scope (0 or -ENOENT), or every rule (s NULL). */
int kt_kapol_clear(struct kt_kapol_table *t, const struct kt_kapol_scope *s);
/* Does the scope cover this controller? */
bool kt_kapol_scope_matches(const struct kt_kapol_scope *s, uint16_t cntlid, const char *hostnqn,
			    const char *subnqn);
/* The effective policy of a controller: false (and *out decides nothing)
 * when no rule matches it. */
bool kt_kapol_resolve(const struct kt_kapol_table *t, uint16_t cntlid, const char *hostnqn,
		      const char *subnqn, struct kt_kapol *out);

/* ---- decisions (p may be NULL: the normal behaviour) ------------------ */

enum kt_kapol_ka_action {
	KT_KAPOL_KA_COMPLETE,  /* complete now with *status */
	KT_KAPOL_KA_DELAY,     /* complete with *status after *delay_ms */
	KT_KAPOL_KA_DROP,      /* never complete */
};

/* How a Keep Alive the controller answered with *status is completed. A
 * chosen status replaces *status (also when the completion is delayed). */
enum kt_kapol_ka_action kt_kapol_keep_alive(const struct kt_kapol *p, uint16_t *status,
					    uint32_t *delay_ms);

/* The keep-alive deadline (0: never) for a timeout of kato_ms, last
 * re-armed at rearm_ms, with the last command on any queue at traffic_ms
 * counting when traffic_based. */
uint64_t kt_kapol_deadline(const struct kt_kapol *p, uint32_t kato_ms, uint64_t rearm_ms,
			   uint64_t traffic_ms, bool traffic_based);

/* 0 when Set Features KATO may proceed, else the status to fail it with. */
uint16_t kt_kapol_set_kato_status(const struct kt_kapol *p);

/* The KAS to advertise and round to (100 ms units), given the target's. */
uint16_t kt_kapol_kas(const struct kt_kapol *p, uint16_t target_kas);

#endif

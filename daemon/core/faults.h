/*
 * faults.h - the fault rules in force (proto/faults.h): one table behind
 * one lock, written by the configuration (at start and at every reload)
 * and by the control socket, consulted for every command a queue is about
 * to execute. It exists apart from the command path (daemon/core/
 * fault_apply.c applies a firing) because it is shared state with a lock
 * of its own, as the keep-alive rules are (daemon/core/ka_rules.c).
 *
 * The fast path: with no rule the per-command cost is kt_faults_any(), one
 * relaxed atomic load and a branch; the lock is taken only when the table
 * is not empty. The count is written under the lock after the table
 * changes, so a worker that sees it 0 while a rule is being added merely
 * misses that rule for the command it is looking at. Any thread.
 */
#ifndef KATO_DAEMON_CORE_FAULTS_H
#define KATO_DAEMON_CORE_FAULTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto/faults.h"

struct kt_cfg_daemon;

extern _Atomic size_t kt_faults_count;

/* Is any rule set? (One relaxed load: the per-command test.) */
static inline bool kt_faults_any(void)
{
	return atomic_load_explicit(&kt_faults_count, memory_order_relaxed) != 0;
}

/* The decision for one command (proto's kt_fault_decide under the lock):
 * true and *hit when a rule fires. */
bool kt_faults_decide(const struct kt_fault_cmd *c, uint64_t now_ms, struct kt_fault_hit *hit);

/* ---- the control API ------------------------------------------------- */

/* Adds a rule at the end (set now): 0 and *id, or proto's kt_fault_add
 * errors (-EINVAL, -EEXIST, -ENOSPC). */
int kt_faults_add(const struct kt_fault_rule *r, uint32_t *id);
/* Removes the rule with this id, or with this name: 0 or -ENOENT. */
int kt_faults_remove(uint32_t id);
int kt_faults_remove_name(const char *name);
void kt_faults_clear(void);
/* Copies up to max entries in table order; returns how many rules there
 * are. *now_ms (may be NULL) gets the time the copy was made (for
 * kt_fault_expired). */
size_t kt_faults_list(struct kt_fault_entry *out, size_t max, uint64_t *now_ms);
/* The rules in force as a malloc'd array (free() it; NULL when none):
 * 0 or -ENOMEM. */
int kt_faults_rules(struct kt_fault_rule **out, size_t *n);

/* ---- configuration --------------------------------------------------- */

/* Replaces the table, in one step, with the rules of "katod"."faults"
 * (their counters start again; ids go on counting). On an error (a
 * negative errno, the reason in err) the table holds the rules before the
 * refused one. */
int kt_faults_load(const struct kt_cfg_daemon *d, char *err, size_t errlen);
/* At shutdown: every rule gone. */
void kt_faults_fini(void);

#endif

/*
 * ka_rules.h - the keep-alive policy rules in force: one table (proto's
 * struct kt_kapol_table) behind one lock, written by the configuration and
 * the control socket, read by the admin workers when a controller resolves
 * its policy. Apart from the engine because it is shared state with a
 * lock of its own and no notion of timers or controllers' queues; telling
 * live controllers about a change is the engine's (kt_ka_policy_set and
 * kt_ka_policy_clear, daemon/core/keepalive.c). The read-only control API
 * below is also reached through daemon/core/keepalive.h. Any thread.
 */
#ifndef KATO_DAEMON_KA_RULES_H
#define KATO_DAEMON_KA_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto/kapolicy.h"

struct kt_cfg_daemon;

/* ---- the control API --------------------------------------------------- */

int kt_ka_policy_get(const struct kt_kapol_scope *s, struct kt_kapol *p);
/* Copies up to max rules; returns how many there are. */
size_t kt_ka_policy_list(struct kt_kapol_rule *out, size_t max);
/* The whole rule table copied at once, for resolving many controllers or
 * writing every rule: *out malloc'd (free() it), or NULL when there is no
 * rule. 0 or -ENOMEM. */
int kt_ka_policy_table(struct kt_kapol_table **out);

/* ---- the engine's side ------------------------------------------------- */

/* The table changed by scope (proto's kt_kapol_set / kt_kapol_clear, s
 * NULL: every rule); nobody is told. 0 or a negative errno. */
int kt_ka_rules_set(const struct kt_kapol_scope *s, const struct kt_kapol *p);
int kt_ka_rules_clear(const struct kt_kapol_scope *s);
/* The policy the rules give a controller: true and *p, or false when no
 * rule covers it (or there is none). */
bool kt_ka_rules_resolve(uint16_t cntlid, const char *hostnqn, const char *subnqn,
			 struct kt_kapol *p);
/* Replaces the table, in one step, with the rules of the "katod".
 * "keepalive"."policy" settings. On an error (a negative errno, the reason
 * in err) the table holds the rules before the refused one. */
int kt_ka_rules_load(const struct kt_cfg_daemon *d, char *err, size_t errlen);
/* At shutdown: every rule gone. */
void kt_ka_rules_fini(void);

#endif

/*
 * ka_rules.c - the keep-alive policy rule table and its lock (see
 * ka_rules.h). The rules' meaning (scopes, precedence, resolution) is
 * proto's (proto/kapolicy.c); this file only makes the one table safe to
 * share between threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "config/config.h"
#include "daemon/core/ka_rules.h"

static pthread_mutex_t rules_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kt_kapol_table rules;

int kt_ka_rules_set(const struct kt_kapol_scope *s, const struct kt_kapol *p)
{
	pthread_mutex_lock(&rules_lock);
	int rc = kt_kapol_set(&rules, s, p);
	pthread_mutex_unlock(&rules_lock);
	return rc;
}

int kt_ka_rules_clear(const struct kt_kapol_scope *s)
{
	pthread_mutex_lock(&rules_lock);
	int rc = kt_kapol_clear(&rules, s);
	pthread_mutex_unlock(&rules_lock);
	return rc;
}

bool kt_ka_rules_resolve(uint16_t cntlid, const char *hostnqn, const char *subnqn,
			 struct kt_kapol *p)
{
	pthread_mutex_lock(&rules_lock);
	bool any = rules.n && kt_kapol_resolve(&rules, cntlid, hostnqn, subnqn, p);
	pthread_mutex_unlock(&rules_lock);
	return any;
}

int kt_ka_policy_get(const struct kt_kapol_scope *s, struct kt_kapol *p)
{
	pthread_mutex_lock(&rules_lock);
	int rc = kt_kapol_get(&rules, s, p);
	pthread_mutex_unlock(&rules_lock);
	return rc;
}

size_t kt_ka_policy_list(struct kt_kapol_rule *out, size_t max)
{
	pthread_mutex_lock(&rules_lock);
	size_t n = rules.n;
	for (size_t i = 0; i < n && i < max; i++)
		out[i] = rules.rule[i];
	pthread_mutex_unlock(&rules_lock);
	return n;
}

int kt_ka_policy_table(struct kt_kapol_table **out)
{
	*out = NULL;
	if (!kt_ka_policy_list(NULL, 0))
		return 0; /* the usual case: no copy */
	struct kt_kapol_table *t = malloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	pthread_mutex_lock(&rules_lock);
	*t = rules;
	pthread_mutex_unlock(&rules_lock);
	*out = t;
	return 0;
}

int kt_ka_rules_load(const struct kt_cfg_daemon *d, char *err, size_t errlen)
{
	pthread_mutex_lock(&rules_lock);
	kt_kapol_clear(&rules, NULL);
	int rc = 0;
	for (size_t i = 0; i < d->n_ka_rules && !rc; i++)
		if ((rc = kt_kapol_set(&rules, &d->ka_rules[i].scope, &d->ka_rules[i].pol)) < 0)
			snprintf(err, errlen, "katod.keepalive.policy[%zu]: %s", i,
				 rc == -ENOSPC ? "too many rules" : "invalid rule");
	pthread_mutex_unlock(&rules_lock);
	return rc;
}

void kt_ka_rules_fini(void)
{
	kt_ka_rules_clear(NULL);
}

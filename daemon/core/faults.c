/*
 * faults.c - the fault rules in force and their lock (see faults.h). What
 * a rule means and which one fires is proto's (proto/faults.c); this file
 * only makes the one table safe to share between threads and keeps the
 * count the command path tests without the lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "daemon/core/faults.h"
#include "daemon/core/worker.h"

_Atomic size_t kt_faults_count;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct kt_fault_table table;

/* with the lock held, after every change */
static void publish(void)
{
	atomic_store_explicit(&kt_faults_count, table.n, memory_order_relaxed);
}

bool kt_faults_decide(const struct kt_fault_cmd *c, uint64_t now_ms, struct kt_fault_hit *hit)
{
	if (!kt_faults_any())
		return false;
	pthread_mutex_lock(&lock);
	bool fired = kt_fault_decide(&table, c, now_ms, hit);
	pthread_mutex_unlock(&lock);
	return fired;
}

int kt_faults_add(const struct kt_fault_rule *r, uint32_t *id)
{
	pthread_mutex_lock(&lock);
	int rc = kt_fault_add(&table, r, kt_now_ms(), id);
	publish();
	pthread_mutex_unlock(&lock);
	return rc;
}

int kt_faults_remove(uint32_t id)
{
	pthread_mutex_lock(&lock);
	int rc = kt_fault_remove(&table, id);
	publish();
	pthread_mutex_unlock(&lock);
	return rc;
}

int kt_faults_remove_name(const char *name)
{
	pthread_mutex_lock(&lock);
	const struct kt_fault_entry *e = kt_fault_find_name(&table, name);
	int rc = e ? kt_fault_remove(&table, e->id) : -ENOENT;
	publish();
	pthread_mutex_unlock(&lock);
	return rc;
}

void kt_faults_clear(void)
{
	pthread_mutex_lock(&lock);
	kt_fault_clear(&table);
	publish();
	pthread_mutex_unlock(&lock);
}

size_t kt_faults_list(struct kt_fault_entry *out, size_t max, uint64_t *now_ms)
{
	pthread_mutex_lock(&lock);
	size_t n = kt_fault_list(&table, out, max);
	if (now_ms)
		*now_ms = kt_now_ms();
	pthread_mutex_unlock(&lock);
	return n;
}

int kt_faults_rules(struct kt_fault_rule **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!kt_faults_any())
		return 0; /* the usual case: no copy */
	struct kt_fault_rule *v = malloc(KT_FAULT_RULES_MAX * sizeof(*v));
	if (!v)
		return -ENOMEM;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < table.n; i++)
		v[i] = table.e[i].rule;
	*n = table.n;
	pthread_mutex_unlock(&lock);
	if (!*n) {
		free(v);
		v = NULL;
	}
	*out = v;
	return 0;
}

int kt_faults_load(const struct kt_cfg_daemon *d, char *err, size_t errlen)
{
	uint64_t now = kt_now_ms();
	int rc = 0;
	pthread_mutex_lock(&lock);
	kt_fault_clear(&table);
	for (size_t i = 0; i < d->n_faults && !rc; i++)
		if ((rc = kt_fault_add(&table, &d->faults[i], now, NULL)) < 0)
			snprintf(err, errlen, "katod.faults[%zu]: %s", i,
				 rc == -ENOSPC ? "too many rules" : rc == -EEXIST ? "name in use" : "invalid rule");
	publish();
	pthread_mutex_unlock(&lock);
	return rc;
}

void kt_faults_fini(void)
{
	kt_faults_clear();
}

/*
 * live.c - owns the running configuration and applies live changes to the
 * target (daemon/core/live.h): operators add, remove and change ports,
 * subsystems, namespaces, hosts and allowed hosts while katod runs and
 * hosts are connected doing I/O.
 *
 * One way to change: every change is a new, validated struct kt_config
 * (reload, SIGHUP, and the fine-grained JSON-RPC methods of rpc_edit.c all
 * build one). kt_live_apply compares it with the running one and:
 *
 *  1. Prepares, with the workers running and nothing visible yet, all that
 *     may block or fail: new namespaces' backends are opened, new ports'
 *     listeners bound, new objects and pointer arrays allocated. A failure
 *     here undoes what was prepared: nothing changed.
 *  2. Stops listening on removed ports (the main thread owns the listeners,
 *     so no accept can run meanwhile), then pauses every worker
 *     (daemon/core/pause.c): no worker is inside a handler or holds a lock, so
 *     the model is changed in place - arrays swapped, attributes copied,
 *     removed objects unlinked - with no lock on the data path. Still
 *     paused, the controllers of removed subsystems and ports are told to
 *     close, and the events the spec requires are queued (Changed Namespace
 *     List + Namespace Attribute Changed notice; discovery genctr and the
 *     Discovery Log Page Change notice). Then the workers go on.
 *  3. After-work: old arrays are freed; removed objects wait in a graveyard
 *     checked every 20 ms, backing off to 500 ms (each check is a short
 *     pause): a namespace is
 *     closed and freed once no command slot of any queue references it (its
 *     in-flight commands finish against the still-open backend), a
 *     subsystem once no controller uses it, a port once no queue came
 *     through it.
 *
 * What applies to whom (as nvmet does): changed subsystem attributes
 * (allowed hosts, serial, model, cntlid range...) apply to new Connects;
 * existing controllers stay. A port removed, or a subsystem unlinked from a
 * port, disconnects the controllers that came through it. A namespace
 * whose device changes is removed and added again (a ram namespace cannot
 * change size: its data would be lost). Daemon settings that cannot change
 * live are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include "config/config.h"
#include "daemon/backend/backend.h"
#include "daemon/core/faults.h"
#include "daemon/core/keepalive.h"
#include "daemon/core/tls_keyring.h"
#include "daemon/core/tls_keys.h"
#include "daemon/transport/transport.h"
#include "daemon/core/auth.h"
#include "daemon/core/live.h"
#include "daemon/log.h"
#include "daemon/core/pause.h"
#include "daemon/core/sq.h"
#include "daemon/core/target.h"
#include "daemon/core/worker.h"
#include "proto/ana.h"
#include "proto/model.h"

/* The graveyard is checked every 20 ms, backing off (doubling) to 500 ms
 * while nothing drains: a write whose host never sends the data keeps its
 * namespace until the queue closes, and each check is a pause. */
#define GRAVE_CHECK_MS 20
#define GRAVE_CHECK_MAX_MS 500

static struct kt_config *running;
static char *running_path;
static struct event_base *lbase;

/* ---- the graveyard: removed objects still referenced ------------------ */

enum grave_kind { GRAVE_NS, GRAVE_SUBSYS, GRAVE_PORT };

struct grave {
	enum grave_kind kind;
	void *obj;
	struct grave *next;
};

static struct grave *graves;
static struct event *grave_ev;
static unsigned grave_ms = GRAVE_CHECK_MS;

static void grave_free_obj(struct grave *g)
{
	switch (g->kind) {
	case GRAVE_NS:
		kt_target_ns_close(g->obj);
		break;
	case GRAVE_SUBSYS:
		kt_target_subsys_free(g->obj);
		break;
	case GRAVE_PORT:
		kt_target_port_free(g->obj);
		break;
	}
}

static void grave_arm(void)
{
	if (grave_ev && graves) {
		struct timeval tv = { 0, (suseconds_t)grave_ms * 1000 };
		evtimer_add(grave_ev, &tv);
	}
}

/* Is anything still pointing at g's object? Workers paused. */
static bool grave_busy(const struct grave *g)
{
	unsigned n = kt_workers_count(), refs = 0;
	switch (g->kind) {
	case GRAVE_NS:
		for (unsigned i = 0; i < n; i++)
			refs += kt_sq_ns_refs(kt_worker_get(i), g->obj);
		return refs > 0;
	case GRAVE_SUBSYS:
		return kt_target_subsys_in_use(g->obj);
	case GRAVE_PORT:
		for (unsigned i = 0; i < n; i++)
			refs += kt_sq_port_refs(kt_worker_get(i), g->obj, false);
		return refs > 0;
	}
	return false;
}

static void grave_check(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (!graves)
		return;
	if (kt_workers_pause() < 0) {
		grave_arm();
		return;
	}
	struct grave *done = NULL;
	for (struct grave **pp = &graves; *pp;) {
		struct grave *g = *pp;
		if (grave_busy(g)) {
			pp = &g->next;
			continue;
		}
		*pp = g->next;
		g->next = done;
		done = g;
	}
	kt_workers_resume();
	grave_ms = done ? GRAVE_CHECK_MS : grave_ms * 2 > GRAVE_CHECK_MAX_MS ? GRAVE_CHECK_MAX_MS : grave_ms * 2;
	/* nothing references them any more: flushing and closing may block */
	while (done) {
		struct grave *g = done;
		done = g->next;
		if (g->kind == GRAVE_NS) {
			struct kt_ns *ns = g->obj;
			int rc = kt_backend_sync(ns->backend);
			if (rc < 0)
				kt_err("removed namespace %u: flush: %s", ns->nsid, strerror(-rc));
			kt_dbg("namespace %u: drained, backend closed", ns->nsid);
		} else if (g->kind == GRAVE_SUBSYS) {
			kt_dbg("subsystem %s: no controller left, freed", ((struct kt_subsys *)g->obj)->nqn);
		} else {
			kt_dbg("port %u: no connection left, freed", ((struct kt_port *)g->obj)->portid);
		}
		grave_free_obj(g);
		free(g);
	}
	grave_arm();
}

/* ---- running configuration ---------------------------------------------- */

struct event_base *kt_live_base(void)
{
	return lbase;
}

void kt_live_init(struct kt_config *cfg, const char *path, struct event_base *base)
{
	kt_config_free(running);
	running = cfg;
	free(running_path);
	/* absolute, so a reload finds the same file whatever the working directory */
	running_path = path ? realpath(path, NULL) : NULL;
	if (path && !running_path)
		running_path = strdup(path);
	lbase = base;
	if (base && !grave_ev)
		grave_ev = evtimer_new(base, grave_check, NULL);
}

void kt_live_fini(void)
{
	/* the workers are stopped: nothing references what is left */
	while (graves) {
		struct grave *g = graves;
		graves = g->next;
		grave_free_obj(g);
		free(g);
	}
	if (grave_ev)
		event_free(grave_ev);
	grave_ev = NULL;
	kt_config_free(running);
	running = NULL;
	free(running_path);
	running_path = NULL;
	lbase = NULL;
}

/* The keep-alive policy rules in force are the engine's table
 * (daemon/core/ka_rules.c), which keepalive.policy.set/clear change without a
 * new configuration. The running configuration takes them from it whenever
 * it is read or replaced, so that rules set live are part of it like any
 * live change: config.save writes them (rpc.c), an edit (rpc_edit.c starts
 * from the running configuration) keeps them, and a reload or SIGHUP
 * compares the file's rules with the rules in force. The file wins: after
 * a reload the rules in force are exactly the file's (apply_settings), as
 * the ports and subsystems are; save first to keep rules set live. */
static void sync_ka_rules(void)
{
	struct kt_kapol_table *t;
	if (!running)
		return;
	if (kt_ka_policy_table(&t) < 0) {
		kt_err("running configuration: keep-alive policy rules not refreshed: out of memory");
		return;
	}
	struct kt_cfg_daemon *d = &running->daemon;
	size_t n = t ? t->n : 0;
	if (n == d->n_ka_rules && (!n || !memcmp(d->ka_rules, t->rule, n * sizeof(*t->rule)))) {
		free(t);
		return;
	}
	struct kt_kapol_rule *v = n ? malloc(n * sizeof(*v)) : NULL;
	if (n && !v) {
		kt_err("running configuration: keep-alive policy rules not refreshed: out of memory");
		free(t);
		return;
	}
	if (n)
		memcpy(v, t->rule, n * sizeof(*v));
	free(t);
	free(d->ka_rules);
	d->ka_rules = v;
	d->n_ka_rules = n;
}

/* The fault rules in force (daemon/core/faults.c), which faults.add,
 * remove and clear change without a new configuration, are taken into the
 * running configuration as the keep-alive rules are (above), with the same
 * consequence: config.save writes them, and a reload whose file's rules
 * differ from the rules in force replaces them (their counters start
 * again); a reload with the same rules keeps them and their counters. */
static void sync_faults(void)
{
	struct kt_fault_rule *v;
	size_t n;
	if (!running)
		return;
	if (kt_faults_rules(&v, &n) < 0) {
		kt_err("running configuration: fault rules not refreshed: out of memory");
		return;
	}
	struct kt_cfg_daemon *d = &running->daemon;
	if (n == d->n_faults && (!n || !memcmp(d->faults, v, n * sizeof(*v)))) {
		free(v);
		return;
	}
	free(d->faults);
	d->faults = v;
	d->n_faults = n;
}

const struct kt_config *kt_live_running(void)
{
	sync_ka_rules();
	sync_faults();
	return running;
}
const char *kt_live_path(void) { return running_path ? running_path : ""; }

/* ---- comparing configurations ------------------------------------------- */

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static const struct kt_cfg_subsys *cfg_subsys(const struct kt_config *c, const char *nqn)
{
	for (size_t i = 0; i < c->n_subsys; i++)
		if (!strcmp(c->subsys[i].nqn, nqn))
			return &c->subsys[i];
	return NULL;
}

static const struct kt_cfg_port *cfg_port(const struct kt_config *c, uint16_t portid)
{
	for (size_t i = 0; i < c->n_ports; i++)
		if (c->ports[i].portid == portid)
			return &c->ports[i];
	return NULL;
}

static const struct kt_cfg_ns *cfg_ns(const struct kt_cfg_subsys *s, uint32_t nsid)
{
	for (size_t i = 0; s && i < s->n_ns; i++)
		if (s->ns[i].nsid == nsid)
			return &s->ns[i];
	return NULL;
}

/* The namespace object of nsid, enabled or not. */
static struct kt_ns *live_ns(const struct kt_subsys *s, uint32_t nsid)
{
	for (size_t i = 0; i < s->n_ns; i++)
		if (s->ns[i]->nsid == nsid)
			return s->ns[i];
	return NULL;
}

static struct kt_port *live_port(const struct kt_target *t, uint16_t portid)
{
	for (size_t i = 0; i < t->n_ports; i++)
		if (t->ports[i]->portid == portid)
			return t->ports[i];
	return NULL;
}

/* Same backing device and identity: the namespace object can stay. */
static bool same_device(const struct kt_cfg_ns *a, const struct kt_cfg_ns *b)
{
	return a->backend == b->backend && str_eq(a->path, b->path) && a->size == b->size &&
	       a->block_size == b->block_size && a->buffered_io == b->buffered_io &&
	       a->has_nguid == b->has_nguid && (!a->has_nguid || !memcmp(a->nguid, b->nguid, 16)) &&
	       a->has_uuid == b->has_uuid && (!a->has_uuid || !memcmp(a->uuid, b->uuid, 16));
}

static bool same_address(const struct kt_cfg_port *a, const struct kt_cfg_port *b)
{
	return str_eq(a->adrfam, b->adrfam) && str_eq(a->traddr, b->traddr) && str_eq(a->trsvcid, b->trsvcid) &&
	       str_eq(a->trtype, b->trtype);
}

static bool same_hosts(const struct kt_cfg_subsys *a, const struct kt_cfg_subsys *b)
{
	if (a->allow_any_host != b->allow_any_host || a->n_allowed_hosts != b->n_allowed_hosts)
		return false;
	for (size_t i = 0; i < a->n_allowed_hosts; i++)
		if (strcmp(a->allowed_hosts[i], b->allowed_hosts[i]))
			return false;
	return true;
}

/* Settings of the "katod" section that only a restart changes. */
static int check_daemon(const struct kt_cfg_daemon *a, const struct kt_cfg_daemon *b, char *err, size_t errlen)
{
	const char *what = NULL;
	if (a->workers != b->workers)
		what = "workers";
	else if (!str_eq(a->control_socket, b->control_socket))
		what = "control_socket";
	else if (a->mdts != b->mdts)
		what = "mdts";
	else if (a->max_queue_size != b->max_queue_size)
		what = "max_queue_size";
	else if (a->digests != b->digests)
		what = "digests";
	else if (!str_eq(a->discovery_nqn, b->discovery_nqn))
		what = "discovery_nqn";
	else if (a->kas != b->kas)
		what = "kas";
	if (!what)
		return 0;
	snprintf(err, errlen, "katod.%s changes only at restart", what);
	return -EINVAL;
}

static bool same_faults(const struct kt_cfg_daemon *a, const struct kt_cfg_daemon *b)
{
	return a->n_faults == b->n_faults &&
	       (!a->n_faults || !memcmp(a->faults, b->faults, a->n_faults * sizeof(*a->faults)));
}

static bool same_rules(const struct kt_cfg_daemon *a, const struct kt_cfg_daemon *b)
{
	return a->n_ka_rules == b->n_ka_rules &&
	       (!a->n_ka_rules || !memcmp(a->ka_rules, b->ka_rules, a->n_ka_rules * sizeof(*a->ka_rules)));
}

/* ---- the plan: what prepare made and commit publishes ----------------- */

#define VEC(T) struct { T *v; size_t n, cap; }
#define PUSH(vec, x) \
	(vec_grow((void **)&(vec).v, &(vec).cap, (vec).n, sizeof(*(vec).v)) < 0 ? -ENOMEM \
										 : ((vec).v[(vec).n++] = (x), 0))

static int vec_grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 8;
	void *p = realloc(*v, nc * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = nc;
	return 0;
}

/* A namespace kept as an object whose flags change in place. */
struct ns_edit {
	struct kt_ns *ns;
	bool enabled;
	uint32_t anagrpid;
	struct kt_subsys *s;           /* its subsystem (ANA notices) */
};

/* A subsystem that stays: its new attributes and namespace array. */
struct sub_edit {
	struct kt_subsys *s;
	struct kt_subsys attrs;        /* hosts allocated here; swapped in */
	struct kt_ns **ns;
	size_t n_ns;
	VEC(uint32_t) changed;         /* NSIDs for the Changed Namespace List */
};

/* A port that stays: its new subsystem array and attributes. */
struct port_edit {
	struct kt_port *p;
	struct kt_subsys **subsys;
	size_t n_subsys;
	uint8_t treq, sectype;
	uint32_t inline_data_size;
	bool ana_changed;              /* a group's state or listing differs */
	uint8_t ana_state[KT_ANA_GRP_MAX + 1];
	bool ana_listed[KT_ANA_GRP_MAX + 1];
	uint8_t ana_was[KT_ANA_GRP_MAX + 1]; /* for the log line */
};

struct plan {
	struct kt_subsys **subsys;     /* the target's new arrays */
	size_t n_subsys;
	struct kt_port **ports;
	size_t n_ports;
	VEC(struct sub_edit) subs;
	VEC(struct port_edit) kports;
	VEC(struct ns_edit) nsedits;
	VEC(struct kt_ns *) opened;    /* new namespaces (rollback closes them) */
	VEC(struct kt_subsys *) created;
	VEC(struct kt_port *) new_ports; /* with a listener */
	VEC(struct kt_ns *) gone_ns;
	VEC(struct kt_subsys *) gone_subsys;
	VEC(struct kt_port *) gone_ports;
	bool disc_changed;
	unsigned ns_added, ns_removed, ns_changed, sub_changed, port_changed, ana_changed;
	const char *trace_made;        /* a trace file check_trace created (rollback removes it) */
};

static void plan_free(struct plan *pl, bool rollback)
{
	if (rollback) {
		if (pl->trace_made)
			unlink(pl->trace_made);
		for (size_t i = 0; i < pl->new_ports.n; i++) {
			kt_target_unlisten(pl->new_ports.v[i]);
			kt_target_port_free(pl->new_ports.v[i]);
		}
		for (size_t i = 0; i < pl->opened.n; i++)
			kt_target_ns_close(pl->opened.v[i]);
		for (size_t i = 0; i < pl->created.n; i++)
			kt_target_subsys_free(pl->created.v[i]);
		for (size_t i = 0; i < pl->subs.n; i++) {
			free(pl->subs.v[i].attrs.hosts);
			free(pl->subs.v[i].ns);
		}
		for (size_t i = 0; i < pl->kports.n; i++)
			free(pl->kports.v[i].subsys);
		free(pl->subsys);
		free(pl->ports);
	}
	for (size_t i = 0; i < pl->subs.n; i++)
		free(pl->subs.v[i].changed.v);
	free(pl->subs.v);
	free(pl->kports.v);
	free(pl->nsedits.v);
	free(pl->opened.v);
	free(pl->created.v);
	free(pl->new_ports.v);
	free(pl->gone_ns.v);
	free(pl->gone_subsys.v);
	free(pl->gone_ports.v);
}

static struct kt_ns *open_ns(struct plan *pl, const struct kt_cfg_subsys *cs, const struct kt_cfg_ns *cn,
			     char *err, size_t errlen, int *rc)
{
	char what[KT_NQN_MAX + 64];
	snprintf(what, sizeof(what), "subsystem %s namespace %u", cs->nqn, cn->nsid);
	struct kt_ns *ns = kt_target_ns_open(cs, cn, kt_workers_count(), what, err, errlen);
	if (!ns) {
		*rc = errno ? -errno : -EIO;
		return NULL;
	}
	if ((*rc = PUSH(pl->opened, ns)) < 0) {
		kt_target_ns_close(ns);
		return NULL;
	}
	return ns;
}

/* A subsystem that is new: every namespace opened, nothing linked. */
static int prepare_new_subsys(struct plan *pl, const struct kt_cfg_subsys *cs, struct kt_subsys **out,
			      char *err, size_t errlen)
{
	int rc = 0;
	struct kt_subsys *s = calloc(1, sizeof(*s));
	if (!s || PUSH(pl->created, s) < 0) {
		free(s);
		return -ENOMEM;
	}
	s->ns = calloc(cs->n_ns ? cs->n_ns : 1, sizeof(*s->ns));
	if (!s->ns || kt_target_subsys_fill(s, cs) < 0)
		return -ENOMEM;
	for (size_t n = 0; n < cs->n_ns; n++) {
		struct kt_ns *ns = open_ns(pl, &cs[0], &cs->ns[n], err, errlen, &rc);
		if (!ns)
			return rc;
		s->ns[s->n_ns++] = ns;
	}
	kt_target_sort_ns(s->ns, s->n_ns);
	*out = s;
	return 0;
}

/* A subsystem that stays: its new namespace array (kept objects, new
 * ones opened), what changed, its new attributes. */
static int prepare_kept_subsys(struct plan *pl, struct kt_subsys *s, const struct kt_cfg_subsys *old,
			       const struct kt_cfg_subsys *cs, char *err, size_t errlen)
{
	struct sub_edit e = { .s = s };
	int rc = PUSH(pl->subs, e);
	if (rc < 0)
		return rc;
	struct sub_edit *se = &pl->subs.v[pl->subs.n - 1];
	se->attrs = *s;
	se->attrs.hosts = NULL;
	se->attrs.ns = NULL;
	if (kt_target_subsys_fill(&se->attrs, cs) < 0)
		return -ENOMEM;
	if (!same_hosts(old, cs)) {
		pl->disc_changed = true; /* the discovery log is filtered by host */
		pl->sub_changed++;
	}
	se->ns = calloc(cs->n_ns ? cs->n_ns : 1, sizeof(*se->ns));
	if (!se->ns)
		return -ENOMEM;
	for (size_t n = 0; n < cs->n_ns; n++) {
		const struct kt_cfg_ns *cn = &cs->ns[n];
		const struct kt_cfg_ns *on = cfg_ns(old, cn->nsid);
		struct kt_ns *ns = on ? live_ns(s, cn->nsid) : NULL;
		if (ns && same_device(on, cn)) {
			if (on->enable != cn->enable || on->anagrpid != cn->anagrpid) {
				struct ns_edit ne = { ns, cn->enable, cn->anagrpid, s };
				if ((rc = PUSH(pl->nsedits, ne)) < 0 || (rc = PUSH(se->changed, cn->nsid)) < 0)
					return rc;
				pl->ns_changed++;
			}
		} else {
			/* a changed device means a new backend; for a RAM one that stays
			 * RAM that would silently drop the acknowledged data */
			if (ns && on->backend == KT_BACKEND_RAM && cn->backend == KT_BACKEND_RAM) {
				snprintf(err, errlen,
					 "subsystem %s namespace %u: a ram namespace cannot change size, block size, "
					 "nguid or uuid live (its data would be lost): remove it, then add it",
					 cs->nqn, cn->nsid);
				return -EINVAL;
			}
			if (ns) {
				if ((rc = PUSH(pl->gone_ns, ns)) < 0)
					return rc;
				pl->ns_changed++;
			} else {
				pl->ns_added++;
			}
			ns = open_ns(pl, cs, cn, err, errlen, &rc);
			if (!ns)
				return rc;
			if ((rc = PUSH(se->changed, cn->nsid)) < 0)
				return rc;
		}
		se->ns[se->n_ns++] = ns;
	}
	kt_target_sort_ns(se->ns, se->n_ns);
	for (size_t n = 0; n < s->n_ns; n++) {
		if (cfg_ns(cs, s->ns[n]->nsid))
			continue;
		if ((rc = PUSH(pl->gone_ns, s->ns[n])) < 0 || (rc = PUSH(se->changed, s->ns[n]->nsid)) < 0)
			return rc;
		pl->ns_removed++;
	}
	return 0;
}

/* A new keep-alive trace file must open before anything is published
 * (apply_settings opens it for good). A file this check creates is
 * remembered: plan_free's rollback removes it, so a refused change leaves
 * nothing behind. */
static int check_trace(struct plan *pl, const struct kt_cfg_daemon *a, const struct kt_cfg_daemon *b, char *err,
		       size_t errlen)
{
	const char *path = b->ka_trace;
	if (!path || str_eq(a->ka_trace, path))
		return 0;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd >= 0)
		pl->trace_made = path;
	else if (errno == EEXIST)
		fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "katod.keepalive.trace: %s: %s", path, strerror(e));
		return -e;
	}
	close(fd);
	return 0;
}

static int prepare(struct plan *pl, const struct kt_config *cur, const struct kt_config *next, char *err,
		   size_t errlen)
{
	struct kt_target *t = kt_target_get();
	int rc = check_trace(pl, &cur->daemon, &next->daemon, err, errlen);
	if (rc < 0)
		return rc;

	/* subsystems: pl->subsys[i] is next->subsys[i]'s object */
	pl->subsys = calloc(next->n_subsys ? next->n_subsys : 1, sizeof(*pl->subsys));
	if (!pl->subsys)
		return -ENOMEM;
	for (size_t i = 0; i < next->n_subsys; i++) {
		const struct kt_cfg_subsys *cs = &next->subsys[i];
		const struct kt_cfg_subsys *old = cfg_subsys(cur, cs->nqn);
		struct kt_subsys *s = old ? kt_target_find_subsys(t, cs->nqn) : NULL;
		if (s && !s->discovery)
			rc = prepare_kept_subsys(pl, s, old, cs, err, errlen);
		else
			rc = prepare_new_subsys(pl, cs, &s, err, errlen);
		if (rc < 0) {
			if (!err[0])
				snprintf(err, errlen, "subsystem %s: %s", cs->nqn, strerror(-rc));
			return rc;
		}
		pl->subsys[pl->n_subsys++] = s;
	}
	for (size_t i = 0; i < t->n_subsys; i++) {
		struct kt_subsys *s = t->subsys[i];
		if (cfg_subsys(next, s->nqn))
			continue;
		if ((rc = PUSH(pl->gone_subsys, s)) < 0)
			return rc;
		for (size_t n = 0; n < s->n_ns; n++)
			if ((rc = PUSH(pl->gone_ns, s->ns[n])) < 0)
				return rc;
	}

	/* ports */
	pl->ports = calloc(next->n_ports ? next->n_ports : 1, sizeof(*pl->ports));
	if (!pl->ports)
		return -ENOMEM;
	for (size_t i = 0; i < next->n_ports; i++) {
		const struct kt_cfg_port *cp = &next->ports[i];
		const struct kt_cfg_port *old = cfg_port(cur, cp->portid);
		struct kt_port *p = old && same_address(old, cp) ? live_port(t, cp->portid) : NULL;
		struct kt_subsys **arr = calloc(cp->n_subsystems ? cp->n_subsystems : 1, sizeof(*arr));
		if (!arr)
			return -ENOMEM;
		size_t na = 0;
		for (size_t k = 0; k < cp->n_subsystems; k++)
			for (size_t j = 0; j < next->n_subsys; j++)
				if (!strcmp(next->subsys[j].nqn, cp->subsystems[k]))
					arr[na++] = pl->subsys[j];
		if (p) {
			struct port_edit pe = { .p = p, .subsys = arr, .n_subsys = na };
			struct kt_port tmp = { 0 };
			kt_target_port_fill(&tmp, cp);
			pe.treq = tmp.treq;
			pe.sectype = tmp.sectype;
			pe.inline_data_size = tmp.inline_data_size;
			memcpy(pe.ana_state, tmp.ana_state, sizeof(pe.ana_state));
			memcpy(pe.ana_listed, tmp.ana_listed, sizeof(pe.ana_listed));
			memcpy(pe.ana_was, p->ana_state, sizeof(pe.ana_was));
			pe.ana_changed = memcmp(pe.ana_state, p->ana_state, sizeof(pe.ana_state)) ||
					 memcmp(pe.ana_listed, p->ana_listed, sizeof(pe.ana_listed));
			pl->ana_changed += pe.ana_changed;
			if ((rc = PUSH(pl->kports, pe)) < 0) {
				free(arr);
				return rc;
			}
			bool same = na == p->n_subsys && !memcmp(arr, p->subsys, na * sizeof(*arr));
			if (!same || pe.treq != p->treq || pe.sectype != p->sectype) {
				pl->disc_changed = true;
				pl->port_changed++;
			}
		} else {
			p = calloc(1, sizeof(*p));
			if (!p) {
				free(arr);
				return -ENOMEM;
			}
			kt_target_port_fill(p, cp);
			p->subsys = arr;
			p->n_subsys = na;
			if ((rc = kt_target_listen(p, err, errlen)) < 0) {
				kt_target_port_free(p);
				return rc;
			}
			if ((rc = PUSH(pl->new_ports, p)) < 0) {
				kt_target_unlisten(p);
				kt_target_port_free(p);
				return rc;
			}
			pl->disc_changed = true;
		}
		pl->ports[pl->n_ports++] = p;
	}
	for (size_t i = 0; i < t->n_ports; i++) {
		struct kt_port *p = t->ports[i];
		bool kept = false;
		for (size_t k = 0; k < pl->kports.n && !kept; k++)
			kept = pl->kports.v[k].p == p;
		if (kept)
			continue;
		if ((rc = PUSH(pl->gone_ports, p)) < 0)
			return rc;
		pl->disc_changed = true;
	}
	return 0;
}

static bool in_list(struct kt_subsys *const *v, size_t n, const struct kt_subsys *s)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == s)
			return true;
	return false;
}

/* Workers paused: publish. Old arrays to free afterwards go to `old`. */
/* Subsystems whose namespaces changed ANA group in one change are told
 * one by one; more than this many, and every controller is told (a notice
 * is a nudge to read the log, which is always whole). */
#define KT_ANA_NOTIFY_MAX 64

static void commit(struct plan *pl, const struct kt_config *next, void **old, size_t *nold)
{
	struct kt_target *t = kt_target_get();
	struct kt_subsys *ana_subs[KT_ANA_NOTIFY_MAX];
	size_t n_ana_subs = 0;
	bool ana_all = false;

	old[(*nold)++] = t->subsys;
	old[(*nold)++] = t->ports;
	t->subsys = pl->subsys;
	t->n_subsys = pl->n_subsys;
	t->ports = pl->ports;
	t->n_ports = pl->n_ports;

	for (size_t i = 0; i < pl->subs.n; i++) {
		struct sub_edit *se = &pl->subs.v[i];
		struct kt_subsys *s = se->s, *a = &se->attrs;
		memcpy(s->serial, a->serial, sizeof(s->serial));
		memcpy(s->model, a->model, sizeof(s->model));
		memcpy(s->firmware, a->firmware, sizeof(s->firmware));
		s->version = a->version;
		s->ieee_oui = a->ieee_oui;
		s->cntlid_min = a->cntlid_min;
		s->cntlid_max = a->cntlid_max;
		s->qid_max = a->qid_max;
		s->allow_any_host = a->allow_any_host;
		old[(*nold)++] = s->hosts;
		s->hosts = a->hosts;
		s->n_hosts = a->n_hosts;
		old[(*nold)++] = s->ns;
		s->ns = se->ns;
		s->n_ns = se->n_ns;
	}
	for (size_t i = 0; i < pl->nsedits.n; i++) {
		struct ns_edit *ne = &pl->nsedits.v[i];
		if (ne->ns->anagrpid != ne->anagrpid) {
			/* its group's descriptors change for every controller of
			 * the subsystem, on every port (nvmet's nvmet_send_ana_event) */
			t->ana_chgcnt++;
			if (n_ana_subs && ana_subs[n_ana_subs - 1] == ne->s)
				; /* its subsystem is told already */
			else if (n_ana_subs < KT_ANA_NOTIFY_MAX)
				ana_subs[n_ana_subs++] = ne->s;
			else
				ana_all = true;
		}
		ne->ns->enabled = ne->enabled;
		ne->ns->anagrpid = ne->anagrpid;
	}
	for (size_t i = 0; i < pl->kports.n; i++) {
		struct port_edit *pe = &pl->kports.v[i];
		struct kt_port *p = pe->p;
		for (size_t k = 0; k < p->n_subsys; k++)
			if (!in_list(pe->subsys, pe->n_subsys, p->subsys[k]) &&
			    !in_list(pl->gone_subsys.v, pl->gone_subsys.n, p->subsys[k]))
				kt_target_close_ctrls(p->subsys[k], p, "subsystem unlinked from the port");
		old[(*nold)++] = p->subsys;
		p->subsys = pe->subsys;
		p->n_subsys = pe->n_subsys;
		p->treq = pe->treq;
		p->sectype = pe->sectype; /* for connections accepted from now on */
		p->inline_data_size = pe->inline_data_size;
		if (pe->ana_changed) {
			/* the next command through the port sees the new state;
			 * its controllers are told (ANA Change notice) */
			memcpy(p->ana_state, pe->ana_state, sizeof(p->ana_state));
			memcpy(p->ana_listed, pe->ana_listed, sizeof(p->ana_listed));
			t->ana_chgcnt++;
			kt_target_ana_changed(p, NULL);
		}
	}
	if (ana_all)
		kt_target_ana_changed(NULL, NULL);
	for (size_t i = 0; !ana_all && i < n_ana_subs; i++)
		kt_target_ana_changed(NULL, ana_subs[i]);
	for (size_t i = 0; i < pl->gone_subsys.n; i++) {
		/* Its controllers are told to close, but each queue closes on its
		 * own worker after the resume, and a worker may first read
		 * commands that were already on the wire. Those are answered with
		 * a retryable path error, not Invalid Namespace with DNR, which
		 * the host fails to the application (proto/io.c says which status
		 * and why): the namespaces are not gone for the host, which
		 * reconnects once the subsystem is back. The namespace list is
		 * emptied all the same: its namespaces are in the graveyard and
		 * freed once no command slot references them, so nothing may
		 * find them through the list any more (an admin command reads it
		 * too). Commands parsed before the pause keep their namespace
		 * (cmd.io.ns) and finish against its still-open backend. */
		struct kt_subsys *s = pl->gone_subsys.v[i];
		s->removed = true;
		s->n_ns = 0;
		kt_target_close_ctrls(s, NULL, "subsystem removed");
	}
	for (size_t i = 0; i < pl->gone_ports.n; i++) {
		struct kt_port *p = pl->gone_ports.v[i];
		kt_target_close_ctrls(NULL, p, "port removed");
		for (unsigned w = 0; w < kt_workers_count(); w++)
			kt_sq_port_refs(kt_worker_get(w), p, true);
	}
	for (size_t i = 0; i < pl->subs.n; i++)
		if (pl->subs.v[i].changed.n)
			kt_target_ns_changed(pl->subs.v[i].s, pl->subs.v[i].changed.v, pl->subs.v[i].changed.n);
	if (pl->disc_changed) {
		t->genctr++;
		kt_target_disc_changed();
	}
	kt_target_set_settings(&next->daemon);
}

/* Daemon settings that apply live: log level, keep-alive, the TLS
 * keyring. Trace opening was checked by prepare. */
static void apply_settings(const struct kt_cfg_daemon *a, const struct kt_cfg_daemon *b)
{
	if (b->log_level && !str_eq(a->log_level, b->log_level) && kt_log_set_level(b->log_level) == 0)
		kt_info("log level now %s", b->log_level);
	/* from the next handshake on (daemon/core/tls_keyring.c); absent is the default */
	const char *ra = a->tls_keyring ? a->tls_keyring : KT_CFG_TLS_KEYRING_DEFAULT;
	const char *rb = b->tls_keyring ? b->tls_keyring : KT_CFG_TLS_KEYRING_DEFAULT;
	if (strcmp(ra, rb)) {
		int rc = kt_tls_keyring_set(rb);
		if (rc < 0)
			kt_err("live change: katod.tls_keyring: %s", strerror(-rc));
		else if (*rb)
			kt_info("TLS PSKs of hosts without a configured key: from the kernel keyring %s", rb);
		else
			kt_info("TLS PSKs of hosts without a configured key: none (katod.tls_keyring \"\")");
	}
	/* a's rules are the rules in force, set live ones included
	 * (sync_ka_rules): b's replace them when they differ. configure
	 * replaces the rules under one lock (no Connect sees them
	 * half-replaced) and tells the controllers once */
	if (!same_rules(a, b) || a->tbkas != b->tbkas || a->tcp_ka_idle_s != b->tcp_ka_idle_s ||
	    a->tcp_ka_interval_s != b->tcp_ka_interval_s || a->tcp_ka_count != b->tcp_ka_count) {
		char err[256] = "";
		struct kt_cfg_daemon d = *b;
		d.ka_trace = NULL; /* below */
		if (kt_keepalive_configure(&d, err, sizeof(err)) < 0)
			kt_err("live change: keep-alive settings: %s", err);
	}
	/* the fault rules: as the keep-alive rules (sync_faults) */
	if (!same_faults(a, b)) {
		char err[256] = "";
		if (kt_faults_load(b, err, sizeof(err)) < 0)
			kt_err("live change: katod.faults: %s", err);
		else
			kt_info("fault rules replaced by the configuration's (%zu)", b->n_faults);
	}
	if (!str_eq(a->ka_trace, b->ka_trace)) {
		int rc = kt_ka_trace_set(b->ka_trace);
		if (rc < 0)
			kt_err("live change: katod.keepalive.trace: %s: %s", b->ka_trace, strerror(-rc));
	}
}

int kt_live_apply(struct kt_config *next, char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	if (!running || !next) {
		snprintf(err, errlen, "no running configuration");
		return -EINVAL;
	}
	sync_ka_rules(); /* compared with next's below: see kt_live_running */
	sync_faults();
	int rc = check_daemon(&running->daemon, &next->daemon, err, errlen);
	if (rc < 0)
		return rc;
	struct plan pl = { 0 };
	rc = prepare(&pl, running, next, err, errlen);
	if (rc < 0) {
		if (!err[0])
			snprintf(err, errlen, "%s", strerror(-rc));
		plan_free(&pl, true);
		return rc;
	}
	/* the graveyard takes the removed objects: allocate before publishing */
	size_t nold_max = 2 + 2 * pl.subs.n + pl.kports.n, nold = 0;
	void **old = calloc(nold_max, sizeof(*old));
	struct grave **gv = calloc(pl.gone_ns.n + pl.gone_subsys.n + pl.gone_ports.n + 1, sizeof(*gv));
	size_t ng = pl.gone_ns.n + pl.gone_subsys.n + pl.gone_ports.n;
	bool oom = !old || !gv;
	for (size_t i = 0; i < ng && !oom; i++)
		oom = !(gv[i] = malloc(sizeof(**gv)));
	if (oom) {
		for (size_t i = 0; gv && i < ng; i++)
			free(gv[i]);
		free(gv);
		free(old);
		plan_free(&pl, true);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* no accept may hand a connection to a port being removed */
	for (size_t i = 0; i < pl.gone_ports.n; i++)
		kt_target_unlisten(pl.gone_ports.v[i]);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = kt_workers_pause();
	if (rc < 0) {
		/* cannot publish: put the listeners back as they were */
		for (size_t i = 0; i < pl.gone_ports.n; i++) {
			char e2[256];
			if (kt_target_listen(pl.gone_ports.v[i], e2, sizeof(e2)) < 0)
				kt_err("live change: %s", e2);
		}
		for (size_t i = 0; i < ng; i++)
			free(gv[i]);
		free(gv);
		free(old);
		plan_free(&pl, true);
		snprintf(err, errlen, "cannot pause the workers");
		return rc;
	}
	commit(&pl, next, old, &nold);
	kt_workers_resume();
	/* the hosts' keys: used from the next Connect or Negotiate on (a
	 * table of its own, replaced under its lock: daemon/core/auth.c) */
	int arc = kt_auth_hosts_set(next);
	if (arc < 0)
		kt_err("live change: the hosts' DH-HMAC-CHAP keys stay as they were: %s", strerror(-arc));
	/* the hosts' TLS PSKs: from the next handshake on (daemon/core/tls_keys.c) */
	if ((arc = kt_tls_keys_set(next)) < 0)
		kt_err("live change: the hosts' TLS keys stay as they were: %s", strerror(-arc));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long paused_us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;

	for (size_t i = 0; i < nold; i++)
		free(old[i]);
	free(old);
	size_t k = 0;
	for (size_t i = 0; i < pl.gone_ns.n; i++, k++)
		*gv[k] = (struct grave){ GRAVE_NS, pl.gone_ns.v[i], NULL };
	for (size_t i = 0; i < pl.gone_subsys.n; i++, k++)
		*gv[k] = (struct grave){ GRAVE_SUBSYS, pl.gone_subsys.v[i], NULL };
	for (size_t i = 0; i < pl.gone_ports.n; i++, k++)
		*gv[k] = (struct grave){ GRAVE_PORT, pl.gone_ports.v[i], NULL };
	for (size_t i = 0; i < ng; i++) {
		gv[i]->next = graves;
		graves = gv[i];
	}
	free(gv);
	if (ng && grave_ev) {
		grave_ms = GRAVE_CHECK_MS;
		evtimer_del(grave_ev);
		grave_arm();
	}
	apply_settings(&running->daemon, &next->daemon);

	kt_info("live change applied: ports +%zu -%zu ~%u, subsystems +%zu -%zu ~%u, namespaces +%u -%u ~%u%s%s; "
		"workers paused %ld us",
		pl.new_ports.n, pl.gone_ports.n, pl.port_changed, pl.created.n, pl.gone_subsys.n, pl.sub_changed,
		pl.ns_added, pl.ns_removed, pl.ns_changed, pl.disc_changed ? ", discovery log changed" : "",
		pl.ana_changed ? ", ANA states changed" : "", paused_us);
	for (size_t i = 0; i < pl.kports.n; i++) {
		const struct port_edit *pe = &pl.kports.v[i];
		for (unsigned g = 1; pe->ana_changed && g <= KT_ANA_GRP_MAX; g++)
			if (pe->ana_was[g] != pe->ana_state[g])
				kt_info("port %u: ANA group %u %s -> %s", pe->p->portid, g,
					kt_ana_state_name(pe->ana_was[g]) ? kt_ana_state_name(pe->ana_was[g]) : "?",
					kt_ana_state_name(pe->ana_state[g]) ? kt_ana_state_name(pe->ana_state[g]) : "?");
	}
	plan_free(&pl, false);
	kt_config_free(running);
	running = next;
	return 0;
}

int kt_live_reload(const char *path, char *err, size_t errlen)
{
	if (!path || !*path)
		path = running_path;
	if (!path) {
		snprintf(err, errlen, "katod runs the built-in default configuration: no file to reload");
		return -ENOENT;
	}
	struct kt_config *next = NULL;
	int rc = kt_config_load_file(path, &next, err, errlen);
	if (rc < 0)
		return rc;
	rc = kt_live_apply(next, err, errlen);
	if (rc < 0)
		kt_config_free(next);
	return rc;
}

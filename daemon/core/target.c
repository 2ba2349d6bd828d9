/*
 * target.c - builds the live target from the configuration and keeps the
 * controllers: admission at Connect, controller ids, the queue list of each
 * controller across workers, keep-alive timers, and teardown.
 *
 * Locking: `target_lock` guards the controller list and the controller
 * ids (per-subsystem maps, O(1) at Connect: see "controllers: ids");
 * each controller's `lock` guards its queue list. Neither is taken on the
 * data path. The proto model (ports, subsystems, namespaces) changes while
 * katod runs (daemon/core/live.c), but only while every worker is paused at a
 * barrier (daemon/core/pause.c): workers never take a lock to read the model,
 * and a handler never sees a change half made. Objects live behind pointer
 * arrays, so adding one never moves another; a removed one is freed only
 * when no command slot, queue or controller references it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/backend/backend.h"
#include "daemon/log.h"
#include "daemon/core/auth.h"
#include "daemon/core/cntlid.h"
#include "daemon/core/faults.h"
#include "daemon/core/sq.h"
#include "daemon/core/tls_gen.h"
#include "daemon/core/tls_keyring.h"
#include "daemon/core/tls_keys.h"
#include "daemon/core/target.h"
#include "daemon/core/worker.h"
#include "daemon/transport/transport.h"
#include "proto/ana.h"

static struct kt_target target;
static struct kt_cfg_daemon settings;
static pthread_mutex_t target_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kt_dctrl *ctrls;

struct kt_target *kt_target_get(void) { return &target; }
const struct kt_cfg_daemon *kt_target_settings(void) { return &settings; }

/* ---- building ------------------------------------------------------- */

/* FNV-1a, 64 bits: stable identifiers derived from names. */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* 16 stable bytes from (NQN, nsid, salt): the derived NGUID and UUID. */
static void derive_id(uint8_t out[16], const char *nqn, uint32_t nsid, uint8_t salt)
{
	uint64_t h1 = fnv1a(0xcbf29ce484222325ull ^ salt, nqn, strlen(nqn));
	h1 = fnv1a(h1, &nsid, sizeof(nsid));
	uint64_t h2 = fnv1a(h1 ^ 0x9e3779b97f4a7c15ull, nqn, strlen(nqn));
	memcpy(out, &h1, 8);
	memcpy(out + 8, &h2, 8);
}

/* Bounded copy that always terminates (config strings are validated, so
 * truncation does not happen in practice). */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src ? strnlen(src, size - 1) : 0;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static void fill_identity(struct kt_subsys *s, const struct kt_cfg_subsys *cs)
{
	if (cs && cs->serial) {
		copy_str(s->serial, sizeof(s->serial), cs->serial);
	} else {
		uint64_t h = fnv1a(0xcbf29ce484222325ull, s->nqn, strlen(s->nqn));
		snprintf(s->serial, sizeof(s->serial), "%016llx", (unsigned long long)h);
	}
	copy_str(s->model, sizeof(s->model), cs && cs->model ? cs->model : "kato");
	copy_str(s->firmware, sizeof(s->firmware), cs && cs->firmware ? cs->firmware : KATO_VERSION);
	s->version = cs && cs->version ? cs->version : 0x00020000;
	s->ieee_oui = cs ? cs->ieee_oui : 0;
	s->cntlid_min = cs && cs->cntlid_min ? cs->cntlid_min : 1;
	s->cntlid_max = cs && cs->cntlid_max ? cs->cntlid_max : 0xffef;
}

/* Opens cn's backend and fills a new namespace; what names it in err
 * ("subsystems[0].namespaces[1].device" at start-up, "subsystem NQN
 * namespace N" for a live change). */
struct kt_ns *kt_target_ns_open(const struct kt_cfg_subsys *cs, const struct kt_cfg_ns *cn,
				unsigned workers, const char *what, char *err, size_t errlen)
{
	char why[256];
	struct kt_ns *ns = calloc(1, sizeof(*ns));
	if (!ns) {
		snprintf(err, errlen, "%s: out of memory", what);
		return NULL;
	}
	int rc = kt_backend_open(cn, workers, &ns->backend, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", what, why);
		free(ns);
		errno = -rc;
		return NULL;
	}
	struct kt_backend *be = ns->backend;
	ns->nsid = cn->nsid;
	ns->enabled = cn->enable;
	ns->lba_shift = be->block_size == 4096 ? 12 : 9;
	ns->nblocks = be->size >> ns->lba_shift;
	ns->vwc = be->vwc;
	ns->can_discard = be->can_discard;
	ns->anagrpid = cn->anagrpid;
	if (cn->has_nguid)
		memcpy(ns->nguid, cn->nguid, 16);
	else
		derive_id(ns->nguid, cs->nqn, cn->nsid, 1);
	if (cn->has_uuid) {
		memcpy(ns->uuid, cn->uuid, 16);
	} else {
		derive_id(ns->uuid, cs->nqn, cn->nsid, 2);
		ns->uuid[6] = (uint8_t)((ns->uuid[6] & 0x0f) | 0x80); /* RFC 9562 version 8: custom */
		ns->uuid[8] = (uint8_t)((ns->uuid[8] & 0x3f) | 0x80); /* variant 10b */
	}
	return ns;
}

void kt_target_ns_close(struct kt_ns *ns)
{
	if (!ns)
		return;
	if (ns->backend)
		kt_backend_close(ns->backend);
	free(ns);
}

/* The attributes of an NVM subsystem (everything but its namespaces):
 * s->hosts is allocated anew (the old array is the caller's). */
int kt_target_subsys_fill(struct kt_subsys *s, const struct kt_cfg_subsys *cs)
{
	copy_str(s->nqn, sizeof(s->nqn), cs->nqn);
	fill_identity(s, cs);
	s->qid_max = cs->qid_max ? cs->qid_max : 128;
	s->allow_any_host = cs->allow_any_host;
	s->hosts = calloc(cs->n_allowed_hosts ? cs->n_allowed_hosts : 1, sizeof(*s->hosts));
	if (!s->hosts)
		return -ENOMEM;
	s->n_hosts = cs->n_allowed_hosts;
	for (size_t h = 0; h < s->n_hosts; h++)
		copy_str(s->hosts[h], sizeof(s->hosts[h]), cs->allowed_hosts[h]);
	return 0;
}

/* Frees a subsystem and its arrays, not its namespaces. */
void kt_target_subsys_free(struct kt_subsys *s)
{
	if (!s)
		return;
	free(s->ns);
	free(s->hosts);
	free(s);
}

/* The attributes of a port (not its subsystems). */
/* Which transport serves a port: handed in by main.c (the core names no
 * transport). */
static const struct kt_transport_ops *(*transport_for)(const struct kt_port *p);

void kt_target_set_transports(const struct kt_transport_ops *(*fn)(const struct kt_port *p))
{
	transport_for = fn;
}

const struct kt_transport_ops *kt_target_transport(const struct kt_port *p)
{
	return transport_for ? transport_for(p) : NULL;
}

int kt_target_listen(const struct kt_port *p, char *err, size_t errlen)
{
	const struct kt_transport_ops *tr = kt_target_transport(p);
	if (!tr) {
		snprintf(err, errlen, "port %u: no transport for it", p->portid);
		return -EPROTONOSUPPORT;
	}
	return tr->listen(p, err, errlen);
}

void kt_target_unlisten(const struct kt_port *p)
{
	const struct kt_transport_ops *tr = kt_target_transport(p);
	if (tr)
		tr->unlisten(p);
}

void kt_target_port_fill(struct kt_port *p, const struct kt_cfg_port *cp)
{
	const struct kt_transport_ops *tr;
	p->portid = cp->portid;
	/* the configuration serves "tcp" only (config/config.c) */
	p->trtype = NVMF_TRTYPE_TCP;
	tr = kt_target_transport(p);
	p->xport = tr ? tr->xport : NULL;
	p->adrfam = cp->adrfam && strcmp(cp->adrfam, "ipv6") == 0 ? NVMF_ADDR_FAMILY_IP6
								    : NVMF_ADDR_FAMILY_IP4;
	p->treq = cp->treq && strcmp(cp->treq, "required") == 0 ? NVMF_TREQ_REQUIRED
		  : cp->treq && strcmp(cp->treq, "not required") == 0 ? NVMF_TREQ_NOT_REQUIRED
								      : NVMF_TREQ_NOT_SPECIFIED;
	p->sectype = cp->tsas && strcmp(cp->tsas, "tls1.3") == 0 ? NVMF_TCP_SECTYPE_TLS13
								 : NVMF_TCP_SECTYPE_NONE;
	copy_str(p->traddr, sizeof(p->traddr), cp->traddr);
	copy_str(p->trsvcid, sizeof(p->trsvcid), cp->trsvcid);
	p->inline_data_size = cp->inline_data_size ? cp->inline_data_size : 8192;
	/* ANA (proto/ana.h): a new nvmet port's states, then the groups the
	 * configuration names (validated 1..KT_ANA_GRP_MAX by config.c) */
	kt_port_ana_init(p);
	for (size_t g = 0; g < cp->n_ana; g++) {
		uint32_t id = cp->ana[g].grpid;
		if (id >= 1 && id <= KT_ANA_GRP_MAX) {
			p->ana_state[id] = cp->ana[g].state;
			p->ana_listed[id] = true;
		}
	}
}

void kt_target_port_free(struct kt_port *p)
{
	if (!p)
		return;
	free(p->subsys);
	free(p);
}

static int cmp_ns(const void *a, const void *b)
{
	const struct kt_ns *x = *(struct kt_ns *const *)a, *y = *(struct kt_ns *const *)b;
	return x->nsid < y->nsid ? -1 : x->nsid > y->nsid;
}

void kt_target_sort_ns(struct kt_ns **ns, size_t n)
{
	qsort(ns, n, sizeof(*ns), cmp_ns);
}

/* Daemon settings that may change live (log level, keep-alive) are re-read
 * from here: keep no pointers into the configuration, which live changes
 * free. */
void kt_target_set_settings(const struct kt_cfg_daemon *d)
{
	settings = *d;
	settings.log_level = NULL;
	settings.discovery_nqn = NULL;
	settings.control_socket = NULL;
	settings.tls_keyring = NULL;
	settings.ka_trace = NULL;
	settings.ka_rules = NULL;
	settings.n_ka_rules = 0;
	settings.faults = NULL;
	settings.n_faults = 0;
}

int kt_target_build(const struct kt_config *cfg, unsigned workers, char *err, size_t errlen)
{
	kt_target_set_settings(&cfg->daemon);
	kt_ka_set_walker(kt_target_foreach_ctrl);
	int krc = kt_keepalive_configure(&cfg->daemon, err, errlen); /* copies what it keeps */
	if (krc < 0)
		return krc;
	if ((krc = kt_faults_load(&cfg->daemon, err, errlen)) < 0) /* copies the rules */
		return krc;
	if ((krc = kt_auth_hosts_set(cfg)) < 0) { /* the hosts' DH-HMAC-CHAP keys */
		snprintf(err, errlen, "hosts: %s", strerror(-krc));
		return krc;
	}
	if ((krc = kt_tls_keys_set(cfg)) < 0) { /* the hosts' TLS PSKs */
		snprintf(err, errlen, "hosts: TLS keys: %s", strerror(-krc));
		return krc;
	}
	/* and the kernel keyring for identities without one (tls_keyring.h) */
	if ((krc = kt_tls_keyring_set(cfg->daemon.tls_keyring)) < 0) {
		snprintf(err, errlen, "katod.tls_keyring: %s", strerror(-krc));
		return krc;
	}
	struct kt_target *t = &target;
	memset(t, 0, sizeof(*t));
	copy_str(t->disc_nqn, sizeof(t->disc_nqn),
		 cfg->daemon.discovery_nqn ? cfg->daemon.discovery_nqn : KT_WELL_KNOWN_DISC_NQN);
	t->genctr = 1;
	t->mdts = (uint8_t)cfg->daemon.mdts;
	t->kas = (uint8_t)(cfg->daemon.kas ? cfg->daemon.kas : 1);
	t->maxh2cdata = 128 * 1024;
	t->mqes = (uint16_t)(cfg->daemon.max_queue_size - 1);

	copy_str(t->disc.nqn, sizeof(t->disc.nqn), t->disc_nqn);
	t->disc.discovery = true;
	t->disc.allow_any_host = true;
	fill_identity(&t->disc, NULL);

	t->subsys = calloc(cfg->n_subsys ? cfg->n_subsys : 1, sizeof(*t->subsys));
	if (!t->subsys)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_subsys; i++) {
		const struct kt_cfg_subsys *cs = &cfg->subsys[i];
		struct kt_subsys *s = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		t->subsys[t->n_subsys++] = s;
		if (kt_target_subsys_fill(s, cs) < 0)
			return -ENOMEM;
		s->ns = calloc(cs->n_ns ? cs->n_ns : 1, sizeof(*s->ns));
		if (!s->ns)
			return -ENOMEM;
		for (size_t n = 0; n < cs->n_ns; n++) {
			char path[96];
			snprintf(path, sizeof(path), "subsystems[%zu].namespaces[%zu].device", i, n);
			struct kt_ns *ns = kt_target_ns_open(cs, &cs->ns[n], workers, path, err, errlen);
			if (!ns)
				return -errno;
			s->ns[s->n_ns++] = ns;
		}
		kt_target_sort_ns(s->ns, s->n_ns);
	}

	t->ports = calloc(cfg->n_ports ? cfg->n_ports : 1, sizeof(*t->ports));
	if (!t->ports)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_ports; i++) {
		const struct kt_cfg_port *cp = &cfg->ports[i];
		struct kt_port *p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		t->ports[t->n_ports++] = p;
		kt_target_port_fill(p, cp);
		p->subsys = calloc(cp->n_subsystems ? cp->n_subsystems : 1, sizeof(*p->subsys));
		if (!p->subsys)
			return -ENOMEM;
		for (size_t k = 0; k < cp->n_subsystems; k++) {
			struct kt_subsys *s = kt_target_find_subsys(t, cp->subsystems[k]);
			if (!s || s->discovery) {
				snprintf(err, errlen, "ports[%zu].subsystems[%zu]: no subsystem \"%s\"", i, k,
					 cp->subsystems[k]);
				return -EINVAL;
			}
			p->subsys[p->n_subsys++] = s;
		}
	}
	return 0;
}

void kt_target_destroy(void)
{
	struct kt_target *t = &target;
	kt_auth_hosts_free();
	kt_tls_keys_free();
	kt_tls_keyring_free();
	kt_tls_gen_free();
	for (size_t i = 0; i < t->n_subsys; i++) {
		struct kt_subsys *s = t->subsys[i];
		for (size_t n = 0; n < s->n_ns; n++)
			kt_target_ns_close(s->ns[n]);
		kt_target_subsys_free(s);
	}
	free(t->subsys);
	for (size_t i = 0; i < t->n_ports; i++)
		kt_target_port_free(t->ports[i]);
	free(t->ports);
	memset(t, 0, sizeof(*t));
	kt_keepalive_fini();
	kt_faults_fini();
}

/* ---- controllers: ids --------------------------------------------------- */

/*
 * Which ids a subsystem's controllers hold, and which controller holds a
 * given one, in O(1): a map per subsystem (daemon/core/cntlid.c: a bitmap
 * and a two-level table, and why).
 *
 * Per subsystem object - the one dc->c.subsys points to: daemon/core/live.c
 * changes a kept subsystem in place (its cntlid range too) and keeps a
 * removed one until its last controller is gone. A subsystem's map hangs
 * off s->ctrl_ids. It exists exactly while the subsystem has a controller:
 * made at the first admin Connect, freed with the last controller; so
 * kt_target_subsys_in_use is "has a map".
 *
 * All of it under target_lock, the cursor too: one for every subsystem.
 */
static uint16_t last_cntlid; /* the last id given (kt_cntlid_alloc) */

static struct kt_cntlid_map *idmap_find(const struct kt_subsys *s)
{
	return s->ctrl_ids;
}

/* s's map, made if it has none. NULL: no memory. */
static struct kt_cntlid_map *idmap_get(struct kt_subsys *s)
{
	if (!s->ctrl_ids)
		s->ctrl_ids = kt_cntlid_map_new();
	return s->ctrl_ids;
}

/* Frees s's map (it has no controller any more). */
static void idmap_drop(struct kt_subsys *s)
{
	kt_cntlid_map_free(s->ctrl_ids);
	s->ctrl_ids = NULL;
}

static struct kt_dctrl *find_ctrl_locked(const struct kt_subsys *s, uint16_t cntlid)
{
	return kt_cntlid_find(idmap_find(s), cntlid);
}

/* Records that dc holds id. 0 or -ENOMEM. */
static int idmap_set(struct kt_cntlid_map *m, uint16_t id, struct kt_dctrl *dc)
{
	return kt_cntlid_set(m, id, dc);
}

/* dc's id is free again; its subsystem's map goes with its last one. */
static void idmap_release_locked(struct kt_dctrl *dc)
{
	struct kt_cntlid_map *m = idmap_find(dc->c.subsys);
	kt_cntlid_release(&m, dc->c.cntlid, dc);
	dc->c.subsys->ctrl_ids = m;
}

/* The next free id in s's range [cntlid_min, cntlid_max], or 0 when all are
 * taken (kt_cntlid_alloc: ids are not reused at once). */
static uint16_t alloc_cntlid_locked(const struct kt_cntlid_map *m, const struct kt_subsys *s)
{
	return kt_cntlid_alloc(m, s->cntlid_min, s->cntlid_max, &last_cntlid);
}

/* ---- controllers ---------------------------------------------------- */

void kt_target_foreach_ctrl(kt_ka_ctrl_fn fn, void *arg)
{
	pthread_mutex_lock(&target_lock);
	for (struct kt_dctrl *dc = ctrls, *next; dc; dc = next) {
		next = dc->next;
		fn(dc, arg);
	}
	pthread_mutex_unlock(&target_lock);
}

static void attach_locked(struct kt_dctrl *dc, struct kt_sq *sq)
{
	sq->ctrl_next = dc->queues;
	dc->queues = sq;
	dc->nr_queues++;
}

/* A TLS queue's Connect names its PSK identity's host and subsystem. */
static uint16_t check_tls(struct kt_sq *q, struct kt_cmd *cmd, const struct kt_connect_args *a)
{
	if (!q->tls)
		return 0;
	uint16_t st = kt_connect_check_tls(a, q->tls->hostnqn, q->tls->subnqn, cmd);
	if (st)
		kt_warn("%s: queue %u connect refused for host %s to %s: the TLS identity names host %s, subsystem %s",
			q->peer, a->qid, a->hostnqn, a->subnqn, q->tls->hostnqn, q->tls->subnqn);
	return st;
}

uint16_t kt_target_connect_admin(struct kt_sq *q, struct kt_cmd *cmd,
				 const struct kt_connect_args *a, struct kt_dctrl **out)
{
	struct kt_subsys *s;
	uint16_t st = check_tls(q, cmd, a);
	if (st)
		return st;
	st = kt_connect_admit(&target, q->port, a, cmd, &s);
	if (st) {
		kt_warn("%s: connect refused for host %s to %s: status 0x%x", q->peer, a->hostnqn,
			a->subnqn, st);
		return st;
	}
	struct kt_dctrl *dc = calloc(1, sizeof(*dc));
	if (!dc)
		return NVME_SC_INTERNAL;
	pthread_mutex_lock(&target_lock);
	struct kt_cntlid_map *m = idmap_get(s);
	uint16_t id = m ? alloc_cntlid_locked(m, s) : 0;
	bool nomem = !m || (id && idmap_set(m, id, dc) < 0);
	if (!id || nomem) {
		if (m && !kt_cntlid_count(m))
			idmap_drop(s);
		pthread_mutex_unlock(&target_lock);
		free(dc);
		if (nomem) {
			kt_err("%s: connect refused for host %s to %s: out of memory", q->peer, a->hostnqn,
			       a->subnqn);
			return NVME_SC_INTERNAL;
		}
		kt_warn("%s: connect refused for host %s to %s: no free controller id in %u-%u", q->peer,
			a->hostnqn, a->subnqn, s->cntlid_min, s->cntlid_max);
		/* as nvmet answers: retrying the same Connect will not help */
		return KT_STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_CTRL_BUSY, true);
	}
	uint64_t now = kt_now_ms();
	kt_ctrl_init(&dc->c, &target, s, q->port, id, a->hostnqn, a->hostid, a->sqsize, a->kato_ms, now);
	kt_ctrl_set_local_addr(&dc->c, q->local_adrfam, q->local_traddr); /* wildcard ports' discovery entries */
	dc->c.owner = dc;
	pthread_mutex_init(&dc->lock, NULL);
	dc->admin = q;
	dc->admin_worker = q->worker;
	attach_locked(dc, q);
	dc->next = ctrls;
	if (ctrls)
		ctrls->prev = dc;
	ctrls = dc;
	pthread_mutex_unlock(&target_lock);

	/* keep-alive: a discovery controller without KATO gets an activity
	 * timeout; TBKAS, the policy and the timer (daemon/core/keepalive.c) */
	kt_ka_attach(dc, settings.disc_activity_timeout_ms, now);
	kt_log_ctrl(KT_LOG_INFO, &dc->c, "%s controller for %s on %s, KATO %u ms",
		    s->discovery ? "discovery" : "I/O", s->nqn, q->peer, dc->c.kato_ms);
	*out = dc;
	return 0;
}

uint16_t kt_target_connect_io(struct kt_sq *q, struct kt_cmd *cmd,
			      const struct kt_connect_args *a, struct kt_dctrl **out)
{
	uint16_t st = check_tls(q, cmd, a);
	if (st)
		return st;
	struct kt_subsys *s = kt_target_find_subsys(&target, a->subnqn);
	pthread_mutex_lock(&target_lock);
	struct kt_dctrl *dc = s ? find_ctrl_locked(s, a->cntlid) : NULL;
	if (dc && dc->c.port != q->port)
		dc = NULL; /* a controller's queues share its port */
	if (dc)
		pthread_mutex_lock(&dc->lock);
	if (dc && dc->dying) {
		pthread_mutex_unlock(&dc->lock);
		dc = NULL;
	}
	st = kt_connect_check_io(dc ? &dc->c : NULL, a, cmd);
	if (!st) {
		for (struct kt_sq *o = dc->queues; o; o = o->ctrl_next) {
			if (o->qid == a->qid) {
				st = KT_STATUS(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_CTRL_BUSY, false);
				break;
			}
		}
	}
	if (!st) {
		q->qid = a->qid;
		attach_locked(dc, q);
		atomic_fetch_add(&dc->c.io_queues, 1); /* Set Features Number of Queues is now refused */
		*out = dc;
	}
	if (dc)
		pthread_mutex_unlock(&dc->lock);
	pthread_mutex_unlock(&target_lock);
	if (st)
		kt_warn("%s: I/O queue %u connect refused for host %s, controller %u: status 0x%x", q->peer,
			a->qid, a->hostnqn, a->cntlid, st);
	else
		kt_dbg("ctrl %u host %s: I/O queue %u (%u entries) on %s", dc->c.cntlid, a->hostnqn,
		       a->qid, a->sqsize + 1u, q->peer);
	return st;
}

void kt_dctrl_queue_gone(struct kt_dctrl *dc, struct kt_sq *q)
{
	bool last;
	pthread_mutex_lock(&target_lock);
	pthread_mutex_lock(&dc->lock);
	for (struct kt_sq **pp = &dc->queues; *pp; pp = &(*pp)->ctrl_next) {
		if (*pp == q) {
			*pp = q->ctrl_next;
			dc->nr_queues--;
			if (q != dc->admin)
				atomic_fetch_sub(&dc->c.io_queues, 1);
			break;
		}
	}
	last = dc->nr_queues == 0;
	if (dc->admin == q) {
		/* Under the locks: once they drop, the worker of the last I/O
		 * queue may free dc. We are on the admin worker: the timer dies
		 * here, then the other queues are told to close. */
		dc->admin = NULL;
		kt_ka_detach(dc);
		kt_dctrl_close_queues_locked(dc, true, "admin queue gone");
	}
	if (last) {
		/* O(1): 10,000 controllers expiring together must not each scan the list */
		if (dc->prev)
			dc->prev->next = dc->next;
		else
			ctrls = dc->next;
		if (dc->next)
			dc->next->prev = dc->prev;
		idmap_release_locked(dc); /* the id is free again, only now */
	}
	pthread_mutex_unlock(&dc->lock);
	pthread_mutex_unlock(&target_lock);

	if (last) {
		kt_log_ctrl(KT_LOG_INFO, &dc->c, "controller freed");
		kt_ka_teardown_done(dc);
		pthread_mutex_destroy(&dc->lock);
		kt_auth_keys_clear(&dc->auth_keys);
		free(dc);
	}
}

/* ---- reports for the control socket ----------------------------------- */

#define KT_PEEK(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static uint64_t ms_since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

int kt_target_ctrls_snapshot(struct kt_ctrl_info **out, size_t *n, uint64_t now)
{
	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&target_lock);
	size_t count = 0;
	for (struct kt_dctrl *dc = ctrls; dc; dc = dc->next)
		count++;
	struct kt_ctrl_info *v = count ? calloc(count, sizeof(*v)) : NULL;
	if (count && !v) {
		pthread_mutex_unlock(&target_lock);
		return -ENOMEM;
	}
	size_t i = 0;
	for (struct kt_dctrl *dc = ctrls; dc; dc = dc->next, i++) {
		struct kt_ctrl *c = &dc->c;
		struct kt_ctrl_info *e = &v[i];
		e->cntlid = c->cntlid;
		e->discovery = c->subsys->discovery;
		copy_str(e->subnqn, sizeof(e->subnqn), c->subsys->nqn);
		copy_str(e->hostnqn, sizeof(e->hostnqn), c->hostnqn);
		memcpy(e->hostid, c->hostid, sizeof(e->hostid));
		e->portid = c->port ? c->port->portid : 0;
		pthread_mutex_lock(&dc->lock);
		if (dc->admin)
			copy_str(e->peer, sizeof(e->peer), dc->admin->peer);
		e->queues = dc->nr_queues;
		e->dying = dc->dying;
		pthread_mutex_unlock(&dc->lock);
		e->io_queues = atomic_load(&c->io_queues);
		e->kato_ms = KT_PEEK(c->kato_ms);
		e->traffic_based = KT_PEEK(c->ka_traffic_based);
		e->ms_since_keepalive = ms_since(now, KT_PEEK(c->ka_rearm_ms));
		uint64_t t = atomic_load_explicit(&c->last_traffic_ms, memory_order_relaxed);
		e->ms_since_traffic = t ? ms_since(now, t) : UINT64_MAX;
		e->age_ms = ms_since(now, c->start_ms);
		e->cc = KT_PEEK(c->cc);
		e->csts = KT_PEEK(c->csts);
		e->host_reads = atomic_load_explicit(&c->host_reads, memory_order_relaxed);
		e->host_writes = atomic_load_explicit(&c->host_writes, memory_order_relaxed);
		e->bytes_read = atomic_load_explicit(&c->bytes_read, memory_order_relaxed);
		e->bytes_written = atomic_load_explicit(&c->bytes_written, memory_order_relaxed);
		e->errors = kt_ctrl_err_total(c);
	}
	pthread_mutex_unlock(&target_lock);
	*out = v;
	*n = count;
	return 0;
}

int kt_target_disconnect(const char *subnqn, uint16_t cntlid, const char *why)
{
	struct kt_dctrl *found = NULL;
	int rc = -ENOENT;
	pthread_mutex_lock(&target_lock);
	for (struct kt_dctrl *dc = ctrls; dc; dc = dc->next) {
		if (dc->c.cntlid != cntlid || (subnqn && strcmp(dc->c.subsys->nqn, subnqn)))
			continue;
		if (found) {
			rc = -ENOTUNIQ;
			found = NULL;
			break;
		}
		found = dc;
	}
	if (found) {
		/* lock order: target_lock, then the controller's */
		kt_log_ctrl(KT_LOG_INFO, &found->c, "disconnect: %s", why);
		kt_dctrl_close_queues(found, true, why);
		rc = 0;
	}
	pthread_mutex_unlock(&target_lock);
	return rc;
}

/* ---- live changes (daemon/core/live.c: main thread, workers paused) ------------ */

/* Every live controller of s: the NSIDs go into its Changed Namespace List
 * (log 04h) and a Namespace Attribute Changed notice is queued if its Async
 * Event Configuration enables it; the admin worker then completes a held
 * AER with it. */
void kt_target_ns_changed(const struct kt_subsys *s, const uint32_t *nsids, size_t n)
{
	pthread_mutex_lock(&target_lock);
	for (struct kt_dctrl *dc = ctrls; dc; dc = dc->next) {
		if (dc->c.subsys != s)
			continue;
		pthread_mutex_lock(&dc->lock);
		if (!dc->dying && dc->admin) {
			for (size_t i = 0; i < n; i++)
				kt_ctrl_ns_changed(&dc->c, nsids[i]);
			kt_sq_pump_aens_async(dc->admin);
		}
		pthread_mutex_unlock(&dc->lock);
	}
	pthread_mutex_unlock(&target_lock);
}

/* Every persistent discovery controller (KATO != 0) gets a Discovery Log
 * Page Change notice if it enabled them (AEC bit 31). */
void kt_target_disc_changed(void)
{
	pthread_mutex_lock(&target_lock);
	for (struct kt_dctrl *dc = ctrls; dc; dc = dc->next) {
		if (!dc->c.subsys->discovery || !dc->c.kato_ms)
			continue;
		pthread_mutex_lock(&dc->lock);
		if (!dc->dying && dc->admin) {
			kt_ctrl_aen_raise(&dc->c, NVME_AER_NOTICE, NVME_AER_NOTICE_DISC_CHANGED,
					  NVME_LOG_LID_DISCOVER);
			kt_sq_pump_aens_async(dc->admin);
		}
		pthread_mutex_unlock(&dc->lock);
	}
	pthread_mutex_unlock(&target_lock);
}

/* ANA: every live I/O controller that came through port p (NULL: any) of
 * subsystem s (NULL: any) gets an ANA Change notice if it enabled them
 * (AEC bit 11), and a held AER completes with it (nvmet's
 * nvmet_port_send_ana_event / nvmet_send_ana_event). */
void kt_target_ana_changed(const struct kt_port *p, const struct kt_subsys *s)
{
	pthread_mutex_lock(&target_lock);
	for (struct kt_dctrl *dc = ctrls; dc; dc = dc->next) {
		if (dc->c.subsys->discovery || (p && dc->c.port != p) || (s && dc->c.subsys != s))
			continue;
		pthread_mutex_lock(&dc->lock);
		if (!dc->dying && dc->admin) {
			kt_ctrl_ana_changed(&dc->c);
			kt_sq_pump_aens_async(dc->admin);
		}
		pthread_mutex_unlock(&dc->lock);
	}
	pthread_mutex_unlock(&target_lock);
}

/* Disconnects the controllers of s (NULL: any subsystem) that came through
 * port p (NULL: any port), as nvmet does when a port goes away or stops
 * exporting a subsystem. Returns how many. */
unsigned kt_target_close_ctrls(const struct kt_subsys *s, const struct kt_port *p, const char *why)
{
	unsigned n = 0;
	pthread_mutex_lock(&target_lock);
	for (struct kt_dctrl *dc = ctrls; dc; dc = dc->next) {
		if ((s && dc->c.subsys != s) || (p && dc->c.port != p))
			continue;
		kt_log_ctrl(KT_LOG_INFO, &dc->c, "disconnect: %s", why);
		kt_dctrl_close_queues(dc, true, why);
		n++;
	}
	pthread_mutex_unlock(&target_lock);
	return n;
}

/* Does any controller still use subsystem s? */
bool kt_target_subsys_in_use(const struct kt_subsys *s)
{
	pthread_mutex_lock(&target_lock);
	bool used = idmap_find(s) != NULL; /* a map lives exactly as long as s has a controller */
	pthread_mutex_unlock(&target_lock);
	return used;
}

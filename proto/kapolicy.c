/*
 * kapolicy.c - the keep-alive misbehaviour policy (see kapolicy.h): the rule
 * table with its scopes, the field-by-field merge that gives a controller
 * its effective policy, and the decisions the daemon and the admin handlers
 * ask of it. Nothing here is on the normal path: callers test the
 * controller's policy pointer first.
 */
#include <errno.h>
#include <string.h>

#include "proto/cmd.h"
#include "proto/kapolicy.h"

int kt_kapol_check(const struct kt_kapol *p)
{
	if (p->set & ~(uint32_t)KT_KAPOL_F_ALL)
		return -EINVAL;
	if ((p->set & KT_KAPOL_F_DELAY) && p->delay_ms > KT_KAPOL_DELAY_MAX)
		return -EINVAL;
	if ((p->set & KT_KAPOL_F_EXPIRE) && p->expire_permille > KT_KAPOL_EXPIRE_MAX)
		return -EINVAL;
	if ((p->set & KT_KAPOL_F_KAS) && p->kas == 0)
		return -EINVAL;
	return 0;
}

bool kt_kapol_scope_equal(const struct kt_kapol_scope *a, const struct kt_kapol_scope *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == KT_KAPOL_CNTLID)
		return a->cntlid == b->cntlid;
	return strncmp(a->nqn, b->nqn, sizeof(a->nqn)) == 0;
}

static struct kt_kapol_rule *find(const struct kt_kapol_table *t, const struct kt_kapol_scope *s)
{
	for (size_t i = 0; i < t->n; i++)
		if (kt_kapol_scope_equal(&t->rule[i].scope, s))
			return (struct kt_kapol_rule *)&t->rule[i];
	return NULL;
}

int kt_kapol_clear(struct kt_kapol_table *t, const struct kt_kapol_scope *s)
{
	if (!s) {
		t->n = 0;
		return 0;
	}
	struct kt_kapol_rule *r = find(t, s);
	if (!r)
		return -ENOENT;
	size_t i = (size_t)(r - t->rule);
	memmove(&t->rule[i], &t->rule[i + 1], (t->n - i - 1) * sizeof(t->rule[0]));
	t->n--;
	return 0;
}

int kt_kapol_set(struct kt_kapol_table *t, const struct kt_kapol_scope *s, const struct kt_kapol *p)
{
	if (s->kind != KT_KAPOL_CNTLID && s->kind != KT_KAPOL_HOST && s->kind != KT_KAPOL_SUBSYS)
		return -EINVAL;
	if (s->kind != KT_KAPOL_CNTLID && (!s->nqn[0] || !memchr(s->nqn, '\0', sizeof(s->nqn))))
		return -EINVAL;
	if (kt_kapol_check(p))
		return -EINVAL;
	if (!p->set) {
		kt_kapol_clear(t, s);
		return 0;
	}
	struct kt_kapol_rule *r = find(t, s);
	if (!r) {
		if (t->n >= KT_KAPOL_RULES_MAX)
			return -ENOSPC;
		r = &t->rule[t->n++];
		r->scope = *s;
	}
	r->pol = *p;
	return 0;
}

int kt_kapol_get(const struct kt_kapol_table *t, const struct kt_kapol_scope *s, struct kt_kapol *p)
{
	const struct kt_kapol_rule *r = find(t, s);
	if (!r)
		return -ENOENT;
	*p = r->pol;
	return 0;
}

bool kt_kapol_scope_matches(const struct kt_kapol_scope *s, uint16_t cntlid, const char *hostnqn,
			    const char *subnqn)
{
	switch (s->kind) {
	case KT_KAPOL_CNTLID:
		return s->cntlid == cntlid;
	case KT_KAPOL_HOST:
		return hostnqn && strcmp(s->nqn, hostnqn) == 0;
	case KT_KAPOL_SUBSYS:
		return subnqn && strcmp(s->nqn, subnqn) == 0;
	}
	return false;
}

/* Copies the fields src decides over dst's. */
static void merge(struct kt_kapol *dst, const struct kt_kapol *src)
{
	uint32_t f = src->set;
	if (f & KT_KAPOL_F_DELAY)
		dst->delay_ms = src->delay_ms;
	if (f & KT_KAPOL_F_DROP)
		dst->drop = src->drop;
	if (f & KT_KAPOL_F_STATUS)
		dst->status = src->status;
	if (f & KT_KAPOL_F_EXPIRE)
		dst->expire_permille = src->expire_permille;
	if (f & KT_KAPOL_F_IGNORE_TRAFFIC)
		dst->ignore_traffic = src->ignore_traffic;
	if (f & KT_KAPOL_F_REFUSE_SET_KATO) {
		dst->refuse_set_kato = src->refuse_set_kato;
		dst->refuse_status = src->refuse_status;
	}
	if (f & KT_KAPOL_F_KAS)
		dst->kas = src->kas;
	dst->set |= f;
}

bool kt_kapol_resolve(const struct kt_kapol_table *t, uint16_t cntlid, const char *hostnqn,
		      const char *subnqn, struct kt_kapol *out)
{
	static const enum kt_kapol_kind order[] = { KT_KAPOL_SUBSYS, KT_KAPOL_HOST, KT_KAPOL_CNTLID };
	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (size_t i = 0; i < t->n; i++)
			if (t->rule[i].scope.kind == order[k] &&
			    kt_kapol_scope_matches(&t->rule[i].scope, cntlid, hostnqn, subnqn))
				merge(out, &t->rule[i].pol);
	return out->set != 0;
}

/* ---- decisions -------------------------------------------------------- */

enum kt_kapol_ka_action kt_kapol_keep_alive(const struct kt_kapol *p, uint16_t *status,
					    uint32_t *delay_ms)
{
	*delay_ms = 0;
	if (!p)
		return KT_KAPOL_KA_COMPLETE;
	if ((p->set & KT_KAPOL_F_DROP) && p->drop)
		return KT_KAPOL_KA_DROP;
	if (p->set & KT_KAPOL_F_STATUS)
		*status = p->status;
	if ((p->set & KT_KAPOL_F_DELAY) && p->delay_ms) {
		*delay_ms = p->delay_ms;
		return KT_KAPOL_KA_DELAY;
	}
	return KT_KAPOL_KA_COMPLETE;
}

uint64_t kt_kapol_deadline(const struct kt_kapol *p, uint32_t kato_ms, uint64_t rearm_ms,
			   uint64_t traffic_ms, bool traffic_based)
{
	uint64_t base = rearm_ms, timeout = kato_ms;

	if (!kato_ms)
		return 0;
	if (p && (p->set & KT_KAPOL_F_IGNORE_TRAFFIC) && p->ignore_traffic)
		traffic_based = false;
	if (traffic_based && traffic_ms > base)
		base = traffic_ms;
	if (p && (p->set & KT_KAPOL_F_EXPIRE)) {
		if (!p->expire_permille)
			return 0; /* never */
		timeout = (uint64_t)kato_ms * p->expire_permille / 1000u;
		if (!timeout)
			timeout = 1;
	}
	return base + timeout;
}

uint16_t kt_kapol_set_kato_status(const struct kt_kapol *p)
{
	if (!p || !(p->set & KT_KAPOL_F_REFUSE_SET_KATO) || !p->refuse_set_kato)
		return 0;
	return p->refuse_status ? p->refuse_status : (uint16_t)(KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, true));
}

uint16_t kt_kapol_kas(const struct kt_kapol *p, uint16_t target_kas)
{
	if (p && (p->set & KT_KAPOL_F_KAS) && p->kas)
		return p->kas;
	return target_kas ? target_kas : 1;
}

/*
 * faults.c - the fault rules on any command (see faults.h): checking a
 * rule, the table (add, remove, clear, list, ids), matching a command
 * against a rule, the per-command decision with its counters and seeded
 * generators, and the Abort helpers for held commands. Nothing here runs
 * for a command unless a rule is set: kt_fault_decide's first test is the
 * table's size.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "proto/faults.h"

/* ---- checking a rule --------------------------------------------------- */

static bool nqn_ok(const char *s, size_t cap)
{
	return s[0] && memchr(s, '\0', cap);
}

const char *kt_fault_match_problem(const struct kt_fault_match *m)
{
	if (m->has & ~(uint32_t)KT_FAULT_M_ALL)
		return "unknown criteria";
	if ((m->has & KT_FAULT_M_HOST) && !nqn_ok(m->host, sizeof(m->host)))
		return "the host NQN is empty or too long";
	if ((m->has & KT_FAULT_M_SUBSYS) && !nqn_ok(m->subsys, sizeof(m->subsys)))
		return "the subsystem NQN is empty or too long";
	if ((m->has & KT_FAULT_M_CNTLID) && m->cntlid > KT_FAULT_CNTLID_MAX)
		return "the controller id is out of range";
	if ((m->has & KT_FAULT_M_QID) && m->qid > KT_FAULT_QID_MAX)
		return "the queue id is out of range";
	if ((m->has & KT_FAULT_M_SET) && m->set != KT_FAULT_SET_ADMIN && m->set != KT_FAULT_SET_IO &&
	    m->set != KT_FAULT_SET_FABRICS)
		return "unknown command set";
	if ((m->has & KT_FAULT_M_OPCODE) && !(m->has & KT_FAULT_M_SET))
		return "an opcode needs a command set (\"set\": \"admin\", \"io\" or \"fabrics\")";
	if (m->has & KT_FAULT_M_LBA) {
		if (m->lba_first > m->lba_last)
			return "the LBA range ends before it starts";
		/* commands with an LBA range are I/O commands that name one */
		if ((m->has & KT_FAULT_M_SET) && m->set != KT_FAULT_SET_IO)
			return "only I/O commands carry an LBA range";
		if ((m->has & KT_FAULT_M_OPCODE) && !kt_fault_cmd_has_lba(1, m->opcode))
			return "this opcode carries no LBA range (Read, Write, Write Zeroes, Compare, "
			       "Write Uncorrectable and Verify do)";
		if ((m->has & KT_FAULT_M_QID) && m->qid == 0)
			return "the admin queue carries no LBA range";
	}
	if ((m->has & KT_FAULT_M_QID) && (m->has & KT_FAULT_M_SET)) {
		if (m->qid == 0 && m->set == KT_FAULT_SET_IO)
			return "I/O commands are not on the admin queue (qid 0)";
		if (m->qid != 0 && m->set == KT_FAULT_SET_ADMIN)
			return "admin commands are on the admin queue (qid 0) only";
	}
	return NULL;
}

const char *kt_fault_status_problem(uint16_t status)
{
	unsigned sct = (status >> NVME_SCT_SHIFT) & NVME_SCT_MASK;
	if (status & 0x8000u)
		return "has bit 15 set (a status is 15 bits: SC 7:0, SCT 10:8, CRD 12:11, More 13, DNR 14)";
	if (sct >= 4 && sct <= 6)
		return "has a reserved status code type (4..6)";
	if (sct == NVME_SCT_GENERIC && (status & NVME_SC_MASK) == NVME_SC_SUCCESS)
		return "is success (a fault completes with an error)";
	return NULL;
}

const char *kt_fault_action_problem(const struct kt_fault_action *a)
{
	switch (a->kind) {
	case KT_FAULT_DELAY:
	case KT_FAULT_STALL_READS:
		if (a->ms < 1 || a->ms > KT_FAULT_MS_MAX)
			return "the time is out of range (1..3600000 ms)";
		return NULL;
	case KT_FAULT_STATUS:
		return kt_fault_status_problem(a->status);
	case KT_FAULT_HOLD:
	case KT_FAULT_CLOSE_BEFORE:
	case KT_FAULT_CLOSE_AFTER:
	case KT_FAULT_CORRUPT_DDGST:
		return NULL;
	case KT_FAULT_NONE:
		break;
	}
	return "no action";
}

const char *kt_fault_fire_problem(const struct kt_fault_fire *f)
{
	switch (f->kind) {
	case KT_FAULT_FIRE_ALWAYS:
		return NULL;
	case KT_FAULT_FIRE_FIRST:
		return f->first ? NULL : "\"first\" must be at least 1";
	case KT_FAULT_FIRE_PROB:
		return f->ppm >= 1 && f->ppm <= KT_FAULT_PPM ? NULL : "the probability is out of range (0.000001..1)";
	}
	return "unknown firing condition";
}

bool kt_fault_name_ok(const char *s)
{
	size_t n = 0;
	bool digits = true;
	for (; s[n]; n++) {
		char ch = s[n];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			  ch == '.' || ch == '_' || ch == ':' || ch == '-';
		if (!ok || n >= KT_FAULT_NAME_MAX)
			return false;
		if (ch < '0' || ch > '9')
			digits = false;
	}
	return n > 0 && !digits;
}

int kt_fault_rule_check(const struct kt_fault_rule *r)
{
	if (!memchr(r->name, '\0', sizeof(r->name)) || (r->name[0] && !kt_fault_name_ok(r->name)))
		return -EINVAL;
	if (kt_fault_match_problem(&r->match) || kt_fault_action_problem(&r->action) ||
	    kt_fault_fire_problem(&r->fire))
		return -EINVAL;
	if (r->expire_ms > KT_FAULT_EXPIRE_MAX)
		return -EINVAL;
	return 0;
}

/* ---- the table --------------------------------------------------------- */

const struct kt_fault_entry *kt_fault_get(const struct kt_fault_table *t, uint32_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].id == id)
			return &t->e[i];
	return NULL;
}

const struct kt_fault_entry *kt_fault_find_name(const struct kt_fault_table *t, const char *name)
{
	if (!name || !name[0])
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->e[i].rule.name, name))
			return &t->e[i];
	return NULL;
}

int kt_fault_add(struct kt_fault_table *t, const struct kt_fault_rule *r, uint64_t now_ms, uint32_t *id)
{
	if (kt_fault_rule_check(r))
		return -EINVAL;
	if (kt_fault_find_name(t, r->name))
		return -EEXIST;
	if (t->n >= KT_FAULT_RULES_MAX)
		return -ENOSPC;
	/* the next id not in use (in use only after 2^32 adds) */
	do
		t->last_id++;
	while (!t->last_id || kt_fault_get(t, t->last_id));
	struct kt_fault_entry *e = &t->e[t->n++];
	memset(e, 0, sizeof(*e));
	e->id = t->last_id;
	e->rule = *r;
	e->set_ms = now_ms;
	e->prng = r->fire.seed;
	if (id)
		*id = e->id;
	return 0;
}

int kt_fault_remove(struct kt_fault_table *t, uint32_t id)
{
	const struct kt_fault_entry *e = kt_fault_get(t, id);
	if (!e)
		return -ENOENT;
	size_t i = (size_t)(e - t->e);
	memmove(&t->e[i], &t->e[i + 1], (t->n - i - 1) * sizeof(t->e[0]));
	t->n--;
	return 0;
}

void kt_fault_clear(struct kt_fault_table *t)
{
	t->n = 0;
}

size_t kt_fault_list(const struct kt_fault_table *t, struct kt_fault_entry *out, size_t max)
{
	size_t n = t->n < max ? t->n : max;
	if (n)
		memcpy(out, t->e, n * sizeof(*out));
	return t->n;
}

bool kt_fault_expired(const struct kt_fault_entry *e, uint64_t now_ms)
{
	return e->rule.expire_ms && now_ms >= e->set_ms && now_ms - e->set_ms >= e->rule.expire_ms;
}

/* ---- matching ---------------------------------------------------------- */

enum kt_fault_set kt_fault_cmd_set(const struct kt_fault_cmd *c)
{
	if (c->opcode == KT_OPC_FABRICS)
		return KT_FAULT_SET_FABRICS;
	return c->qid ? KT_FAULT_SET_IO : KT_FAULT_SET_ADMIN;
}

bool kt_fault_cmd_has_lba(uint16_t qid, uint8_t opcode)
{
	if (!qid)
		return false;
	switch (opcode) {
	case nvme_cmd_read:
	case nvme_cmd_write:
	case nvme_cmd_write_zeroes:
	case nvme_cmd_compare:
	case nvme_cmd_write_uncor:
	case nvme_cmd_verify:
		return true;
	}
	return false;
}

void kt_fault_cmd_from_sqe(struct kt_fault_cmd *c, const struct kt_sqe *sqe, uint16_t qid)
{
	c->qid = qid;
	c->opcode = sqe->opcode;
	c->fctype = sqe->opcode == KT_OPC_FABRICS ? ((const uint8_t *)sqe)[4] : 0;
	c->nsid = sqe->opcode == KT_OPC_FABRICS ? 0 : le32toh(sqe->nsid);
	if (kt_fault_cmd_has_lba(qid, sqe->opcode)) {
		c->slba = (uint64_t)le32toh(sqe->cdw10) | (uint64_t)le32toh(sqe->cdw11) << 32;
		c->nlb = (le32toh(sqe->cdw12) & 0xffffu) + 1;
	} else {
		c->slba = 0;
		c->nlb = 0;
	}
}

/* Does [slba, slba + nlb - 1] (nlb >= 1) overlap [first, last]? */
static bool overlaps(uint64_t slba, uint32_t nlb, uint64_t first, uint64_t last)
{
	uint64_t end = slba > UINT64_MAX - (nlb - 1) ? UINT64_MAX : slba + (nlb - 1);
	return slba <= last && end >= first;
}

bool kt_fault_matches(const struct kt_fault_match *m, const struct kt_fault_cmd *c)
{
	uint32_t h = m->has;
	/* the numbers first, the NQNs last */
	if ((h & KT_FAULT_M_QID) && c->qid != m->qid)
		return false;
	if (h & KT_FAULT_M_SET) {
		enum kt_fault_set s = kt_fault_cmd_set(c);
		if (s != m->set)
			return false;
		if ((h & KT_FAULT_M_OPCODE) && (s == KT_FAULT_SET_FABRICS ? c->fctype : c->opcode) != m->opcode)
			return false;
	}
	if ((h & KT_FAULT_M_CNTLID) && c->cntlid != m->cntlid)
		return false;
	if ((h & KT_FAULT_M_NSID) && c->nsid != m->nsid)
		return false;
	if ((h & KT_FAULT_M_LBA) && (!c->nlb || !kt_fault_cmd_has_lba(c->qid, c->opcode) ||
				     !overlaps(c->slba, c->nlb, m->lba_first, m->lba_last)))
		return false;
	if ((h & KT_FAULT_M_HOST) && (!c->hostnqn || strcmp(c->hostnqn, m->host)))
		return false;
	if ((h & KT_FAULT_M_SUBSYS) && (!c->subnqn || strcmp(c->subnqn, m->subsys)))
		return false;
	return true;
}

/* ---- the decision ------------------------------------------------------ */

uint64_t kt_fault_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Does this match fire? (Draws for a probability rule.) */
static bool fires(struct kt_fault_entry *e)
{
	const struct kt_fault_fire *f = &e->rule.fire;
	switch (f->kind) {
	case KT_FAULT_FIRE_ALWAYS:
		return true;
	case KT_FAULT_FIRE_FIRST:
		return e->fires < f->first;
	case KT_FAULT_FIRE_PROB: {
		/* the draw's top 32 bits scaled to 0..999999 */
		uint64_t draw = ((kt_fault_splitmix64(&e->prng) >> 32) * KT_FAULT_PPM) >> 32;
		return draw < f->ppm;
	}
	}
	return false;
}

bool kt_fault_decide(struct kt_fault_table *t, const struct kt_fault_cmd *c, uint64_t now_ms,
		     struct kt_fault_hit *hit)
{
	if (kt_fault_empty(t))
		return false;
	for (size_t i = 0; i < t->n; i++) {
		struct kt_fault_entry *e = &t->e[i];
		if (kt_fault_expired(e, now_ms) || !kt_fault_matches(&e->rule.match, c))
			continue;
		e->matches++;
		if (!fires(e))
			continue;
		e->fires++;
		hit->id = e->id;
		memcpy(hit->name, e->rule.name, sizeof(hit->name));
		hit->action = e->rule.action;
		hit->match = e->matches;
		hit->fire = e->fires;
		return true;
	}
	return false;
}

/* ---- Abort ------------------------------------------------------------- */

void kt_fault_abort_target(const struct kt_sqe *abort_sqe, uint16_t *sqid, uint16_t *cid)
{
	uint32_t cdw10 = le32toh(abort_sqe->cdw10);
	*sqid = (uint16_t)(cdw10 & 0xffffu);
	*cid = (uint16_t)(cdw10 >> 16);
}

uint16_t kt_fault_abort_status(void)
{
	return KT_STATUS(NVME_SCT_GENERIC, NVME_SC_ABORT_REQ, false);
}

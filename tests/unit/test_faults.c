/*
 * test_faults.c - the fault rules on any command (proto/faults.c,
 * proto/fault_names.c): every match criterion alone, LBA overlap at its
 * edges, the facts read from an SQE written byte by byte, rule order and
 * counting, first N, probability (reproducible for a seed, near its rate
 * over many draws), expiry with times passed in, the table's ids and
 * limits, the empty table's fast path, the Abort helpers and the words.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/faults.h"
#include "unit_sqe.h"

static struct kt_fault_table T; /* 64 rules of ~600 bytes: not on the stack */

static struct kt_fault_rule rule_of(uint32_t has, enum kt_fault_kind kind)
{
	struct kt_fault_rule r;
	memset(&r, 0, sizeof(r));
	r.match.has = has;
	r.action.kind = kind;
	if (kind == KT_FAULT_DELAY || kind == KT_FAULT_STALL_READS)
		r.action.ms = 100;
	if (kind == KT_FAULT_STATUS)
		r.action.status = KT_STATUS(NVME_SCT_PATH, NVME_SC_ANA_INACCESSIBLE, false);
	return r;
}

/* An I/O Read on queue 1 of controller 3: LBAs 100..107 of NSID 1. */
static struct kt_fault_cmd io_read(void)
{
	struct kt_fault_cmd c = { .hostnqn = "nqn.h1", .subnqn = "nqn.s1", .cntlid = 3, .qid = 1,
				  .opcode = nvme_cmd_read, .nsid = 1, .slba = 100, .nlb = 8 };
	return c;
}

static bool match1(const struct kt_fault_rule *r, const struct kt_fault_cmd *c)
{
	assert_int_equal(kt_fault_rule_check(r), 0);
	return kt_fault_matches(&r->match, c);
}

static void test_criteria(void **state)
{
	(void)state;
	struct kt_fault_cmd c = io_read();
	struct kt_fault_rule r = rule_of(0, KT_FAULT_HOLD);
	assert_true(match1(&r, &c)); /* no criterion: every command */

	r = rule_of(KT_FAULT_M_HOST, KT_FAULT_HOLD);
	strcpy(r.match.host, "nqn.h1");
	assert_true(match1(&r, &c));
	strcpy(r.match.host, "nqn.h2");
	assert_false(match1(&r, &c));
	strcpy(r.match.host, "nqn.h1");
	c.hostnqn = NULL; /* not known: no match */
	assert_false(match1(&r, &c));
	c = io_read();

	r = rule_of(KT_FAULT_M_SUBSYS, KT_FAULT_HOLD);
	strcpy(r.match.subsys, "nqn.s1");
	assert_true(match1(&r, &c));
	c.subnqn = "nqn.s10";
	assert_false(match1(&r, &c));
	c.subnqn = NULL;
	assert_false(match1(&r, &c));
	c = io_read();

	r = rule_of(KT_FAULT_M_CNTLID, KT_FAULT_HOLD);
	r.match.cntlid = 3;
	assert_true(match1(&r, &c));
	c.cntlid = KT_FAULT_NO_CNTLID;
	assert_false(match1(&r, &c));
	c = io_read();

	r = rule_of(KT_FAULT_M_QID, KT_FAULT_HOLD);
	r.match.qid = 1;
	assert_true(match1(&r, &c));
	c.qid = 2;
	assert_false(match1(&r, &c));
	c = io_read();

	r = rule_of(KT_FAULT_M_NSID, KT_FAULT_HOLD);
	r.match.nsid = 1;
	assert_true(match1(&r, &c));
	c.nsid = 2;
	assert_false(match1(&r, &c));
	/* NSID is CDW1 whatever the command: an Identify of NSID 1 too */
	struct kt_fault_cmd id = { .qid = 0, .opcode = nvme_admin_identify, .nsid = 1 };
	assert_true(match1(&r, &id));
}

/* The set is the queue's (admin on qid 0, io on the others) unless the
 * command is a fabrics command; opcodes are compared within the set, and
 * a fabrics command's "opcode" is its FCTYPE. */
static void test_sets_and_opcodes(void **state)
{
	(void)state;
	struct kt_fault_cmd rd = io_read();
	struct kt_fault_cmd glp = { .qid = 0, .opcode = nvme_admin_get_log_page }; /* 0x02, as Read */
	struct kt_fault_cmd conn_io = { .qid = 1, .opcode = KT_OPC_FABRICS, .fctype = nvme_fabrics_type_connect };
	struct kt_fault_cmd conn_adm = { .qid = 0, .opcode = KT_OPC_FABRICS, .fctype = nvme_fabrics_type_connect };
	struct kt_fault_cmd pget = { .qid = 0, .opcode = KT_OPC_FABRICS, .fctype = nvme_fabrics_type_property_get };

	assert_int_equal(kt_fault_cmd_set(&rd), KT_FAULT_SET_IO);
	assert_int_equal(kt_fault_cmd_set(&glp), KT_FAULT_SET_ADMIN);
	assert_int_equal(kt_fault_cmd_set(&conn_io), KT_FAULT_SET_FABRICS);
	assert_int_equal(kt_fault_cmd_set(&conn_adm), KT_FAULT_SET_FABRICS);

	struct kt_fault_rule r = rule_of(KT_FAULT_M_SET | KT_FAULT_M_OPCODE, KT_FAULT_HOLD);
	r.match.set = KT_FAULT_SET_IO;
	r.match.opcode = nvme_cmd_read;
	assert_true(match1(&r, &rd));
	assert_false(match1(&r, &glp)); /* same opcode value, other set */
	r.match.set = KT_FAULT_SET_ADMIN;
	assert_false(match1(&r, &rd));
	assert_true(match1(&r, &glp));

	r.match.set = KT_FAULT_SET_FABRICS;
	r.match.opcode = nvme_fabrics_type_connect;
	assert_true(match1(&r, &conn_io));
	assert_true(match1(&r, &conn_adm));
	assert_false(match1(&r, &pget));
	assert_false(match1(&r, &glp));

	/* a set alone: every command of it */
	r = rule_of(KT_FAULT_M_SET, KT_FAULT_HOLD);
	r.match.set = KT_FAULT_SET_ADMIN;
	assert_true(match1(&r, &glp));
	assert_false(match1(&r, &pget)); /* fabrics, though on the admin queue */
	assert_false(match1(&r, &rd));
	r.match.set = KT_FAULT_SET_FABRICS;
	assert_true(match1(&r, &pget));

	/* every criterion at once */
	struct kt_fault_cmd c = io_read();
	r = rule_of(KT_FAULT_M_ALL, KT_FAULT_DELAY);
	strcpy(r.match.host, "nqn.h1");
	strcpy(r.match.subsys, "nqn.s1");
	r.match.cntlid = 3;
	r.match.qid = 1;
	r.match.set = KT_FAULT_SET_IO;
	r.match.opcode = nvme_cmd_read;
	r.match.nsid = 1;
	r.match.lba_first = 107;
	r.match.lba_last = 200;
	assert_true(match1(&r, &c));
	c.opcode = nvme_cmd_write;
	assert_false(match1(&r, &c));
}

/* [SLBA, SLBA + NLB - 1] against [first, last]: one common block is enough. */
static void test_lba_overlap(void **state)
{
	(void)state;
	struct kt_fault_rule r = rule_of(KT_FAULT_M_LBA, KT_FAULT_HOLD);
	r.match.lba_first = 100;
	r.match.lba_last = 199;
	struct kt_fault_cmd c = io_read();
	static const struct {
		uint64_t slba;
		uint32_t nlb;
		bool hit;
	} cases[] = {
		{ 0, 100, false },   /* 0..99: ends just before */
		{ 0, 101, true },    /* 0..100: the first block */
		{ 100, 1, true },
		{ 150, 8, true },    /* inside */
		{ 199, 1, true },    /* the last block */
		{ 199, 65536, true },
		{ 200, 1, false },   /* starts just after */
		{ 50, 65536, true }, /* covers it all */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c.slba = cases[i].slba;
		c.nlb = cases[i].nlb;
		if (match1(&r, &c) != cases[i].hit)
			fail_msg("case %zu: slba %llu nlb %u", i, (unsigned long long)cases[i].slba, cases[i].nlb);
	}
	/* the top of the LBA space: no wrap-around */
	r.match.lba_first = UINT64_MAX;
	r.match.lba_last = UINT64_MAX;
	c.slba = UINT64_MAX - 3;
	c.nlb = 65536;
	assert_true(match1(&r, &c));
	r.match.lba_first = 0;
	r.match.lba_last = 10;
	assert_false(match1(&r, &c));

	/* every command that names a range, none of the others */
	r.match.lba_first = 0;
	r.match.lba_last = UINT64_MAX;
	static const uint8_t with[] = { nvme_cmd_read, nvme_cmd_write, nvme_cmd_write_zeroes, nvme_cmd_compare,
					nvme_cmd_write_uncor, nvme_cmd_verify };
	static const uint8_t without[] = { nvme_cmd_flush, nvme_cmd_dsm, nvme_cmd_copy, nvme_cmd_resv_report };
	c = io_read();
	for (size_t i = 0; i < sizeof(with); i++) {
		c.opcode = with[i];
		assert_true(kt_fault_cmd_has_lba(1, with[i]));
		assert_true(match1(&r, &c));
	}
	for (size_t i = 0; i < sizeof(without); i++) {
		c.opcode = without[i];
		assert_false(kt_fault_cmd_has_lba(1, without[i]));
		assert_false(match1(&r, &c)); /* even with slba/nlb filled in */
	}
	/* the admin queue: Get Log Page is 0x02, as Read, but has no range */
	assert_false(kt_fault_cmd_has_lba(0, nvme_cmd_read));
	c = io_read();
	c.qid = 0;
	assert_false(match1(&r, &c));
	/* no range given */
	c = io_read();
	c.nlb = 0;
	assert_false(match1(&r, &c));
}

/* The facts from an SQE as the host writes it: NSID at byte 4, SLBA at
 * 40-47, NLB (zero-based) at 48-49, FCTYPE at byte 4 of a fabrics one. */
static void test_facts_from_sqe(void **state)
{
	(void)state;
	struct kt_sqe s;
	struct kt_fault_cmd c;
	memset(&c, 0, sizeof(c));
	c.hostnqn = "nqn.h1";
	c.cntlid = 9;

	sqe_init(&s, nvme_cmd_write, SQE_PSDT_SGL, KT_SGL_TRANSPORT, 0, 4096);
	put_le(&s, 4, 0x01020304, 4);
	put_le(&s, 40, UINT64_C(0x1122334455667788), 8);
	put_le(&s, 48, 0xabcd0007, 4); /* NLB 7: 8 blocks; the upper half is not NLB */
	kt_fault_cmd_from_sqe(&c, &s, 5);
	assert_int_equal(c.qid, 5);
	assert_int_equal(c.opcode, nvme_cmd_write);
	assert_int_equal(c.nsid, 0x01020304);
	assert_true(c.slba == UINT64_C(0x1122334455667788));
	assert_int_equal(c.nlb, 8);
	assert_string_equal(c.hostnqn, "nqn.h1"); /* left as it was */
	assert_int_equal(c.cntlid, 9);

	put_le(&s, 48, 0xffff, 4); /* the largest: 65536 blocks */
	kt_fault_cmd_from_sqe(&c, &s, 5);
	assert_int_equal(c.nlb, 65536);

	/* Flush: no range */
	sqe_init(&s, nvme_cmd_flush, SQE_PSDT_SGL, KT_SGL_TRANSPORT, 0, 0);
	put_le(&s, 40, 77, 8);
	kt_fault_cmd_from_sqe(&c, &s, 1);
	assert_int_equal(c.nlb, 0);
	assert_true(c.slba == 0);

	/* Read's opcode on the admin queue is Get Log Page: no range */
	sqe_init(&s, nvme_admin_get_log_page, SQE_PSDT_SGL, KT_SGL_TRANSPORT, 0, 512);
	put_le(&s, 40, 77, 8);
	kt_fault_cmd_from_sqe(&c, &s, 0);
	assert_int_equal(c.nlb, 0);

	/* a fabrics Connect: FCTYPE at byte 4, NSID 0 */
	sqe_init(&s, KT_OPC_FABRICS, SQE_PSDT_SGL, KT_SGL_INCAPSULE, 0, 1024);
	((uint8_t *)&s)[4] = nvme_fabrics_type_connect;
	kt_fault_cmd_from_sqe(&c, &s, 0);
	assert_int_equal(c.opcode, KT_OPC_FABRICS);
	assert_int_equal(c.fctype, nvme_fabrics_type_connect);
	assert_int_equal(c.nsid, 0);
	assert_int_equal(kt_fault_cmd_set(&c), KT_FAULT_SET_FABRICS);
}

static void test_checks(void **state)
{
	(void)state;
	struct kt_fault_rule r = rule_of(0, KT_FAULT_NONE);
	assert_string_equal(kt_fault_action_problem(&r.action), "no action");
	assert_int_equal(kt_fault_rule_check(&r), -EINVAL);

	r = rule_of(0, KT_FAULT_DELAY);
	r.action.ms = 0;
	assert_non_null(kt_fault_action_problem(&r.action));
	r.action.ms = KT_FAULT_MS_MAX;
	assert_null(kt_fault_action_problem(&r.action));
	r.action.ms = KT_FAULT_MS_MAX + 1;
	assert_int_equal(kt_fault_rule_check(&r), -EINVAL);

	/* statuses */
	assert_null(kt_fault_status_problem(0x4302)); /* DNR, path, ANA inaccessible */
	assert_null(kt_fault_status_problem(0x7fff & ~0x0700u)); /* every flag, SCT 0, SC ff */
	assert_null(kt_fault_status_problem(0x0700)); /* vendor specific, SC 0 */
	assert_null(kt_fault_status_problem(0x0300)); /* Internal Path Error is SC 0 */
	assert_non_null(kt_fault_status_problem(0x8002));
	assert_non_null(kt_fault_status_problem(0x0402)); /* SCT 4 */
	assert_non_null(kt_fault_status_problem(0x0602)); /* SCT 6 */
	assert_non_null(kt_fault_status_problem(0));
	assert_non_null(kt_fault_status_problem(0x4000)); /* success with DNR is still success */

	/* firing */
	struct kt_fault_fire f = { .kind = KT_FAULT_FIRE_FIRST, .first = 0 };
	assert_non_null(kt_fault_fire_problem(&f));
	f.first = 1;
	assert_null(kt_fault_fire_problem(&f));
	f = (struct kt_fault_fire){ .kind = KT_FAULT_FIRE_PROB, .ppm = 0 };
	assert_non_null(kt_fault_fire_problem(&f));
	f.ppm = KT_FAULT_PPM + 1;
	assert_non_null(kt_fault_fire_problem(&f));
	f.ppm = KT_FAULT_PPM;
	assert_null(kt_fault_fire_problem(&f));

	/* criteria that contradict each other or are out of range */
	struct kt_fault_match m = { .has = KT_FAULT_M_OPCODE, .opcode = 2 };
	assert_non_null(kt_fault_match_problem(&m)); /* an opcode without a set */
	m = (struct kt_fault_match){ .has = 1u << 8 };
	assert_non_null(kt_fault_match_problem(&m));
	m = (struct kt_fault_match){ .has = KT_FAULT_M_HOST };
	assert_non_null(kt_fault_match_problem(&m)); /* empty NQN */
	m = (struct kt_fault_match){ .has = KT_FAULT_M_CNTLID, .cntlid = 0xfff0 };
	assert_non_null(kt_fault_match_problem(&m));
	m = (struct kt_fault_match){ .has = KT_FAULT_M_QID, .qid = 0xffff };
	assert_non_null(kt_fault_match_problem(&m));
	m = (struct kt_fault_match){ .has = KT_FAULT_M_LBA, .lba_first = 2, .lba_last = 1 };
	assert_non_null(kt_fault_match_problem(&m));
	m = (struct kt_fault_match){ .has = KT_FAULT_M_LBA | KT_FAULT_M_SET, .set = KT_FAULT_SET_ADMIN };
	assert_non_null(kt_fault_match_problem(&m));
	m = (struct kt_fault_match){ .has = KT_FAULT_M_LBA | KT_FAULT_M_SET | KT_FAULT_M_OPCODE,
				     .set = KT_FAULT_SET_IO, .opcode = nvme_cmd_flush };
	assert_non_null(kt_fault_match_problem(&m));
	m.opcode = nvme_cmd_verify;
	assert_null(kt_fault_match_problem(&m));
	m = (struct kt_fault_match){ .has = KT_FAULT_M_LBA | KT_FAULT_M_QID, .qid = 0 };
	assert_non_null(kt_fault_match_problem(&m));
	m = (struct kt_fault_match){ .has = KT_FAULT_M_QID | KT_FAULT_M_SET, .qid = 0, .set = KT_FAULT_SET_IO };
	assert_non_null(kt_fault_match_problem(&m));
	m = (struct kt_fault_match){ .has = KT_FAULT_M_QID | KT_FAULT_M_SET, .qid = 2, .set = KT_FAULT_SET_ADMIN };
	assert_non_null(kt_fault_match_problem(&m));
	m.set = KT_FAULT_SET_FABRICS; /* Connect comes on I/O queues */
	assert_null(kt_fault_match_problem(&m));

	/* names and expiry */
	assert_true(kt_fault_name_ok("slow-reads_1.a:b"));
	assert_false(kt_fault_name_ok(""));
	assert_false(kt_fault_name_ok("12")); /* reads as an id */
	assert_false(kt_fault_name_ok("a b"));
	char longname[KT_FAULT_NAME_MAX + 2];
	memset(longname, 'a', sizeof(longname));
	longname[KT_FAULT_NAME_MAX] = '\0';
	assert_true(kt_fault_name_ok(longname));
	longname[KT_FAULT_NAME_MAX] = 'a';
	longname[KT_FAULT_NAME_MAX + 1] = '\0';
	assert_false(kt_fault_name_ok(longname));
	r = rule_of(0, KT_FAULT_HOLD);
	strcpy(r.name, "x y");
	assert_int_equal(kt_fault_rule_check(&r), -EINVAL);
	r = rule_of(0, KT_FAULT_HOLD);
	r.expire_ms = KT_FAULT_EXPIRE_MAX;
	assert_int_equal(kt_fault_rule_check(&r), 0);
	r.expire_ms++;
	assert_int_equal(kt_fault_rule_check(&r), -EINVAL);
}

static void test_table(void **state)
{
	(void)state;
	memset(&T, 0, sizeof(T));
	struct kt_fault_rule r = rule_of(0, KT_FAULT_HOLD);
	uint32_t id1, id2, id3;
	assert_true(kt_fault_empty(&T));
	assert_int_equal(kt_fault_add(&T, &r, 10, &id1), 0);
	strcpy(r.name, "second");
	assert_int_equal(kt_fault_add(&T, &r, 20, &id2), 0);
	assert_int_equal(kt_fault_add(&T, &r, 20, NULL), -EEXIST); /* the name is taken */
	strcpy(r.name, "third");
	assert_int_equal(kt_fault_add(&T, &r, 30, &id3), 0);
	assert_int_equal(id1, 1);
	assert_int_equal(id2, 2);
	assert_int_equal(id3, 3);
	assert_false(kt_fault_empty(&T));
	assert_int_equal(kt_fault_get(&T, 2)->set_ms, 20);
	assert_ptr_equal(kt_fault_find_name(&T, "third"), kt_fault_get(&T, 3));
	assert_null(kt_fault_find_name(&T, ""));
	assert_null(kt_fault_find_name(&T, "fourth"));

	/* removal keeps the others' order; ids are not given again */
	assert_int_equal(kt_fault_remove(&T, 2), 0);
	assert_int_equal(kt_fault_remove(&T, 2), -ENOENT);
	assert_null(kt_fault_get(&T, 2));
	struct kt_fault_entry out[4];
	assert_int_equal(kt_fault_list(&T, out, 4), 2);
	assert_int_equal(out[0].id, 1);
	assert_int_equal(out[1].id, 3);
	assert_string_equal(out[1].rule.name, "third");
	assert_int_equal(kt_fault_list(&T, out, 1), 2); /* copies one, says two */
	strcpy(r.name, "second"); /* free again */
	assert_int_equal(kt_fault_add(&T, &r, 40, &id2), 0);
	assert_int_equal(id2, 4);

	/* a bad rule is refused whole */
	struct kt_fault_rule bad = rule_of(0, KT_FAULT_NONE);
	assert_int_equal(kt_fault_add(&T, &bad, 0, NULL), -EINVAL);
	assert_int_equal(T.n, 3);

	/* clear: empty, ids go on counting */
	kt_fault_clear(&T);
	assert_true(kt_fault_empty(&T));
	r.name[0] = '\0';
	assert_int_equal(kt_fault_add(&T, &r, 0, &id1), 0);
	assert_int_equal(id1, 5);

	/* the limit */
	kt_fault_clear(&T);
	for (int i = 0; i < KT_FAULT_RULES_MAX; i++)
		assert_int_equal(kt_fault_add(&T, &r, 0, NULL), 0);
	assert_int_equal(kt_fault_add(&T, &r, 0, NULL), -ENOSPC);
	assert_int_equal(T.n, KT_FAULT_RULES_MAX);

	/* ids wrap around past 0 and past those in use */
	kt_fault_clear(&T);
	T.last_id = UINT32_MAX - 1;
	assert_int_equal(kt_fault_add(&T, &r, 0, &id1), 0);
	assert_int_equal(id1, UINT32_MAX);
	T.last_id = UINT32_MAX - 1;
	assert_int_equal(kt_fault_add(&T, &r, 0, &id2), 0);
	assert_int_equal(id2, 1); /* UINT32_MAX in use, 0 never */
}

/* No rule: nothing fires, nothing is touched. */
static void test_empty(void **state)
{
	(void)state;
	memset(&T, 0, sizeof(T));
	struct kt_fault_cmd c = io_read();
	struct kt_fault_hit hit;
	memset(&hit, 0x5a, sizeof(hit));
	assert_true(kt_fault_empty(&T));
	assert_false(kt_fault_decide(&T, &c, 0, &hit));
	uint8_t same[sizeof(hit)];
	memset(same, 0x5a, sizeof(same));
	assert_memory_equal(&hit, same, sizeof(hit));
}

/* Table order; a command fired by an earlier rule is not seen by later
 * ones; matches and fires counted apart; first N then falls through. */
static void test_order_and_first(void **state)
{
	(void)state;
	memset(&T, 0, sizeof(T));
	struct kt_fault_rule first3 = rule_of(KT_FAULT_M_NSID, KT_FAULT_STATUS);
	first3.match.nsid = 1;
	first3.fire.kind = KT_FAULT_FIRE_FIRST;
	first3.fire.first = 3;
	strcpy(first3.name, "first3");
	struct kt_fault_rule any = rule_of(0, KT_FAULT_DELAY);
	assert_int_equal(kt_fault_add(&T, &first3, 0, NULL), 0);
	assert_int_equal(kt_fault_add(&T, &any, 0, NULL), 0);

	struct kt_fault_cmd c = io_read();
	struct kt_fault_hit hit;
	for (uint64_t i = 1; i <= 3; i++) {
		assert_true(kt_fault_decide(&T, &c, 0, &hit));
		assert_int_equal(hit.id, 1);
		assert_string_equal(hit.name, "first3");
		assert_int_equal(hit.action.kind, KT_FAULT_STATUS);
		assert_int_equal(hit.action.status, 0x0302);
		assert_int_equal(hit.match, i);
		assert_int_equal(hit.fire, i);
	}
	assert_int_equal(T.e[1].matches, 0); /* not seen while rule 1 fired */
	/* the fourth: rule 1 counts the match, does not fire; rule 2 does */
	assert_true(kt_fault_decide(&T, &c, 0, &hit));
	assert_int_equal(hit.id, 2);
	assert_string_equal(hit.name, "");
	assert_int_equal(hit.action.kind, KT_FAULT_DELAY);
	assert_int_equal(hit.action.ms, 100);
	assert_int_equal(hit.fire, 1);
	assert_int_equal(T.e[0].matches, 4);
	assert_int_equal(T.e[0].fires, 3);
	assert_int_equal(T.e[1].matches, 1);
	/* a command rule 1 does not match goes straight to rule 2 */
	c.nsid = 2;
	assert_true(kt_fault_decide(&T, &c, 0, &hit));
	assert_int_equal(hit.id, 2);
	assert_int_equal(T.e[0].matches, 4);
	/* nothing matches: no hit */
	assert_int_equal(kt_fault_remove(&T, 2), 0);
	assert_false(kt_fault_decide(&T, &c, 0, &hit));
	c.nsid = 1;
	assert_false(kt_fault_decide(&T, &c, 0, &hit)); /* spent */
	assert_int_equal(T.e[0].matches, 5);
}

static void test_splitmix(void **state)
{
	(void)state;
	uint64_t s = 0;
	assert_true(kt_fault_splitmix64(&s) == UINT64_C(0xe220a8397b1dcdaf));
	assert_true(kt_fault_splitmix64(&s) == UINT64_C(0x6e789e6aa1b965f4));
	assert_true(kt_fault_splitmix64(&s) == UINT64_C(0x06c45d188009454f));
}

/* Fires for n matching commands in a table holding one probability rule
 * (ppm, seed); the firing pattern's first 64 bits in *pattern. */
static uint64_t run_prob(uint32_t ppm, uint64_t seed, unsigned n, uint64_t *pattern)
{
	memset(&T, 0, sizeof(T));
	struct kt_fault_rule r = rule_of(0, KT_FAULT_CORRUPT_DDGST);
	r.fire.kind = KT_FAULT_FIRE_PROB;
	r.fire.ppm = ppm;
	r.fire.seed = seed;
	assert_int_equal(kt_fault_add(&T, &r, 0, NULL), 0);
	struct kt_fault_cmd c = io_read();
	struct kt_fault_hit hit;
	uint64_t fired = 0;
	*pattern = 0;
	for (unsigned i = 0; i < n; i++)
		if (kt_fault_decide(&T, &c, 0, &hit)) {
			fired++;
			if (i < 64)
				*pattern |= UINT64_C(1) << i;
			assert_int_equal(hit.fire, fired);
		}
	assert_int_equal(T.e[0].matches, n);
	assert_int_equal(T.e[0].fires, fired);
	return fired;
}

static void test_probability(void **state)
{
	(void)state;
	uint64_t p1, p2, p3;
	/* reproducible: the same seed, the same firings */
	uint64_t n1 = run_prob(250000, 42, 1000, &p1);
	uint64_t n2 = run_prob(250000, 42, 1000, &p2);
	assert_int_equal(n1, n2);
	assert_true(p1 == p2);
	/* another seed, another pattern */
	run_prob(250000, 43, 1000, &p3);
	assert_true(p1 != p3);
	/* near the rate over many draws: 25% of 200000 is 50000, sd ~194 */
	uint64_t n = run_prob(250000, 7, 200000, &p1);
	if (n < 49000 || n > 51000)
		fail_msg("0.25 over 200000 draws fired %llu times", (unsigned long long)n);
	n = run_prob(1000, 7, 200000, &p1); /* 0.001: ~200 */
	if (n < 140 || n > 260)
		fail_msg("0.001 over 200000 draws fired %llu times", (unsigned long long)n);
	/* 1: every match; 1 ppm: about never */
	assert_int_equal(run_prob(KT_FAULT_PPM, 1, 1000, &p1), 1000);
	assert_true(run_prob(1, 1, 1000, &p1) <= 1);
}

/* Expiry counts from the add; an expired rule neither matches nor draws. */
static void test_expiry(void **state)
{
	(void)state;
	memset(&T, 0, sizeof(T));
	struct kt_fault_rule r = rule_of(0, KT_FAULT_HOLD);
	r.expire_ms = 1000;
	r.fire.kind = KT_FAULT_FIRE_PROB;
	r.fire.ppm = KT_FAULT_PPM;
	r.fire.seed = 5;
	struct kt_fault_rule never = rule_of(0, KT_FAULT_CLOSE_AFTER);
	assert_int_equal(kt_fault_add(&T, &r, 5000, NULL), 0);
	assert_int_equal(kt_fault_add(&T, &never, 5000, NULL), 0);
	struct kt_fault_cmd c = io_read();
	struct kt_fault_hit hit;
	const struct kt_fault_entry *e = kt_fault_get(&T, 1);

	assert_false(kt_fault_expired(e, 5000));
	assert_true(kt_fault_decide(&T, &c, 5999, &hit)); /* the last millisecond */
	assert_int_equal(hit.id, 1);
	uint64_t prng = e->prng;
	assert_true(kt_fault_expired(e, 6000));
	assert_true(kt_fault_decide(&T, &c, 6000, &hit));
	assert_int_equal(hit.id, 2); /* rule 1 is over */
	assert_int_equal(hit.action.kind, KT_FAULT_CLOSE_AFTER);
	assert_int_equal(e->matches, 1);
	assert_true(e->prng == prng); /* no draw */
	assert_false(kt_fault_expired(kt_fault_get(&T, 2), UINT64_MAX)); /* expire_ms 0: never */
	/* a clock before the add (a rule loaded, then an older now): not expired */
	assert_false(kt_fault_expired(e, 10));
	/* listed until removed */
	assert_int_equal(T.n, 2);
}

static void test_abort(void **state)
{
	(void)state;
	struct kt_sqe s;
	uint16_t sqid, cid;
	sqe_init(&s, nvme_admin_abort_cmd, SQE_PSDT_SGL, KT_SGL_TRANSPORT, 0, 0);
	put_le(&s, 40, 0xbeef0003, 4); /* CID 0xbeef on SQ 3 */
	kt_fault_abort_target(&s, &sqid, &cid);
	assert_int_equal(sqid, 3);
	assert_int_equal(cid, 0xbeef);
	assert_int_equal(kt_fault_abort_status(), 0x0007); /* SCT 0, SC 07h, no DNR */
	assert_int_equal(KT_ABORT_DW0_ABORTED, 0);
	assert_int_equal(KT_ABORT_DW0_NOT_ABORTED, 1);
}

static void test_words(void **state)
{
	(void)state;
	enum kt_fault_set s;
	uint8_t op;
	assert_int_equal(kt_fault_opcode_lookup("read", &s, &op), 0);
	assert_int_equal(s, KT_FAULT_SET_IO);
	assert_int_equal(op, 0x02);
	assert_int_equal(kt_fault_opcode_lookup("get_log_page", &s, &op), 0);
	assert_int_equal(s, KT_FAULT_SET_ADMIN);
	assert_int_equal(op, 0x02);
	assert_int_equal(kt_fault_opcode_lookup("keep_alive", &s, &op), 0);
	assert_int_equal(op, 0x18);
	assert_int_equal(kt_fault_opcode_lookup("connect", &s, &op), 0);
	assert_int_equal(s, KT_FAULT_SET_FABRICS);
	assert_int_equal(op, 0x01);
	assert_int_equal(kt_fault_opcode_lookup("Read", &s, &op), -ENOENT);
	assert_string_equal(kt_fault_opcode_name(KT_FAULT_SET_IO, 0x09), "dsm");
	assert_string_equal(kt_fault_opcode_name(KT_FAULT_SET_ADMIN, 0x0c), "async_event");
	assert_string_equal(kt_fault_opcode_name(KT_FAULT_SET_FABRICS, 0x08), "disconnect");
	assert_null(kt_fault_opcode_name(KT_FAULT_SET_IO, 0x7e));
	/* every name is in one set only, and reads back to itself */
	static const enum kt_fault_set sets[] = { KT_FAULT_SET_ADMIN, KT_FAULT_SET_IO, KT_FAULT_SET_FABRICS };
	for (size_t k = 0; k < 3; k++)
		for (unsigned o = 0; o < 256; o++) {
			const char *n = kt_fault_opcode_name(sets[k], (uint8_t)o);
			if (!n)
				continue;
			assert_int_equal(kt_fault_opcode_lookup(n, &s, &op), 0);
			assert_int_equal(s, sets[k]);
			assert_int_equal(op, o);
		}

	assert_string_equal(kt_fault_set_name(KT_FAULT_SET_FABRICS), "fabrics");
	assert_int_equal(kt_fault_set_lookup("io", &s), 0);
	assert_int_equal(s, KT_FAULT_SET_IO);
	assert_int_equal(kt_fault_set_lookup("nvm", &s), -ENOENT);

	assert_string_equal(kt_fault_kind_name(KT_FAULT_CORRUPT_DDGST), "corrupt_data_digest");
	assert_null(kt_fault_kind_name(KT_FAULT_NONE));
	assert_null(kt_fault_kind_name((enum kt_fault_kind)99));

	uint16_t st;
	assert_int_equal(kt_fault_status_lookup("namespace_not_ready", &st), 0);
	assert_int_equal(st, 0x0082);
	assert_int_equal(kt_fault_status_lookup("transient_transport_error", &st), 0);
	assert_int_equal(st, 0x0022);
	assert_int_equal(kt_fault_status_lookup("ana_inaccessible", &st), 0);
	assert_int_equal(st, 0x0302);
	assert_int_equal(kt_fault_status_lookup("internal_path_error", &st), 0);
	assert_int_equal(st, 0x0300);
	assert_int_equal(kt_fault_status_lookup("success", &st), -ENOENT);
	assert_string_equal(kt_fault_status_name(0x4302), "ana_inaccessible"); /* DNR ignored */
	assert_null(kt_fault_status_name(0x0399));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_criteria),
		cmocka_unit_test(test_sets_and_opcodes),
		cmocka_unit_test(test_lba_overlap),
		cmocka_unit_test(test_facts_from_sqe),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_order_and_first),
		cmocka_unit_test(test_splitmix),
		cmocka_unit_test(test_probability),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

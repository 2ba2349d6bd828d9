/*
 * faults.h - deliberate faults on any command, for testing hosts. It exists
 * so that a host's error paths (a slow, lost or failed command, a dropped
 * connection, a queue that stops being read, a bad data digest) can be
 * driven on purpose and reproducibly, beside the keep-alive policy
 * (proto/kapolicy.h) and in its manner: a table of rules, pure decisions,
 * no `if` for it in the normal path beyond one test of an empty table.
 *
 * A rule is: what it matches (struct kt_fault_match: every criterion
 * optional), what it does (struct kt_fault_action), when it fires (struct
 * kt_fault_fire: always, its first N matches, or with a probability from a
 * seeded generator), an optional lifetime (expire_ms) and an optional name.
 * The table gives each rule an id when it is added.
 *
 * The decisions, for every command the daemon is about to execute
 * (kt_fault_decide):
 *   - Order: the rules are tried in table order (the order they were added
 *     in; a configuration's in file order) and the first that matches the
 *     command AND whose firing condition says yes fires; its action is the
 *     one applied. At most one rule fires per command.
 *   - Matches and fires are counted per rule. A rule counts a match for
 *     every command that reaches it (no earlier rule fired), is not expired
 *     and meets every criterion, whether or not it then fires; it counts a
 *     fire when it fires. A command fired by an earlier rule is not seen by
 *     later ones: they neither count it nor draw for it.
 *   - "first N" fires on the rule's first N matches (while its fire count
 *     is below N); after that it still counts matches, never fires, and
 *     commands go on to the following rules. It stays listed until removed.
 *   - "probability" draws one number from the rule's generator for each of
 *     its matches and fires when the draw falls under the rate (parts per
 *     million). The generator is splitmix64 seeded with the rule's seed
 *     when the rule is added (again at every add), and only matches advance
 *     it: the same seed and the same sequence of matching commands give the
 *     same firings. (With several workers the sequence is the order in
 *     which they reach the table.)
 *   - Expiry: a rule with expire_ms stops at set_ms + expire_ms, set_ms
 *     being the time it was added (now_ms given to kt_fault_add). From then
 *     on it neither matches, counts, draws nor fires: expiry comes before
 *     the firing condition. It stays listed, with its counters, until
 *     removed or cleared (kt_fault_expired says which rules are).
 *   - Facts the daemon does not know (a NULL host or subsystem NQN, e.g.
 *     before a Connect has been accepted) never meet a criterion on them.
 *
 * The command's set: a fabrics command (opcode 0x7f, on any queue) is in
 * set "fabrics" and its "opcode" is its FCTYPE; any other command on the
 * admin queue (qid 0) is "admin", on an I/O queue "io". NSID is the SQE's
 * (CDW1) for admin and I/O commands, whatever the command (Identify's and
 * Get Log Page's too), and 0 for fabrics commands.
 *
 * LBA ranges: only the I/O commands whose SQE names one range of logical
 * blocks (SLBA in CDW10-11, NLB zero-based in CDW12 15:0) carry one: Read,
 * Write, Write Zeroes, Compare, Write Uncorrectable and Verify
 * (kt_fault_cmd_has_lba). A rule with an LBA criterion [first, last]
 * matches such a command when its range [SLBA, SLBA + NLB - 1] overlaps
 * [first, last] (one common block is enough), and never matches another
 * command. Dataset Management's ranges are in its data, which arrives
 * after the decision is made: they are not looked at, and DSM (like Flush
 * and Copy) carries no range here.
 *
 * What the actions mean (the daemon applies them; the decision is here):
 *   delay        - the command executes; its completion (and its C2H data)
 *                  is sent ms milliseconds later than it would have been.
 *   hold         - the command is not executed and never completes: the
 *                  host's timeout, Abort and reset paths run. An Abort that
 *                  names a held command completes it with Command Abort
 *                  Requested (kt_fault_abort_status) and reports it aborted
 *                  (Abort's dw0 bit 0 clear); a controller reset or the
 *                  connection's end drops it without a completion.
 *   status       - the command is not executed; it completes with status
 *                  (no data moved). The status is an error: success is
 *                  refused (a success that did nothing would lie about data).
 *   close_before - the queue's connection is closed instead of executing.
 *   close_after  - the command executes; the connection is closed instead of
 *                  sending its completion.
 *   stall_reads  - the command executes normally; the queue's connection is
 *                  not read for ms milliseconds from the firing (commands
 *                  already read go on).
 *   corrupt_data_digest - the command executes normally; the next data
 *                  digest katod sends on the queue (this command's C2H
 *                  data if it has any) is corrupted. With data digests off
 *                  it does nothing, but it fires (and is traced) all the same.
 *
 * Pure data and decisions: no clock (times come in, monotonic ms), no
 * threads (the caller serialises access: kt_fault_decide changes the
 * table's counters and generators), no I/O.
 */
#ifndef KATO_PROTO_FAULTS_H
#define KATO_PROTO_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto/cmd.h"
#include "proto/model.h"

/* ---- a rule ------------------------------------------------------------ */

/* Which criteria a match has (bits of kt_fault_match.has). */
enum {
	KT_FAULT_M_HOST = 1u << 0,   /* host NQN */
	KT_FAULT_M_SUBSYS = 1u << 1, /* subsystem NQN */
	KT_FAULT_M_CNTLID = 1u << 2,
	KT_FAULT_M_QID = 1u << 3,
	KT_FAULT_M_SET = 1u << 4,    /* admin, io or fabrics */
	KT_FAULT_M_OPCODE = 1u << 5, /* an opcode (FCTYPE) within the set: needs KT_FAULT_M_SET */
	KT_FAULT_M_NSID = 1u << 6,
	KT_FAULT_M_LBA = 1u << 7,    /* [lba_first, lba_last]: only commands with an LBA range */
	KT_FAULT_M_ALL = (1u << 8) - 1,
};

enum kt_fault_set {
	KT_FAULT_SET_ADMIN,   /* admin queue, not fabrics */
	KT_FAULT_SET_IO,      /* I/O queue, not fabrics */
	KT_FAULT_SET_FABRICS, /* opcode 0x7f, any queue; the "opcode" is FCTYPE */
};

#define KT_FAULT_CNTLID_MAX 0xffef  /* NVMe's highest static controller id */
#define KT_FAULT_QID_MAX 0xfffe

struct kt_fault_match {
	uint32_t has;                  /* KT_FAULT_M_* */
	char host[KT_NQN_MAX + 1];     /* KT_FAULT_M_HOST */
	char subsys[KT_NQN_MAX + 1];   /* KT_FAULT_M_SUBSYS */
	uint16_t cntlid;               /* 0..KT_FAULT_CNTLID_MAX */
	uint16_t qid;                  /* 0 (admin) .. KT_FAULT_QID_MAX */
	enum kt_fault_set set;
	uint8_t opcode;                /* the opcode in set; FCTYPE for fabrics */
	uint32_t nsid;
	uint64_t lba_first, lba_last;  /* first <= last */
};

enum kt_fault_kind {
	KT_FAULT_NONE = 0,            /* not an action: a zeroed action is refused */
	KT_FAULT_DELAY,               /* ms */
	KT_FAULT_HOLD,
	KT_FAULT_STATUS,              /* status */
	KT_FAULT_CLOSE_BEFORE,
	KT_FAULT_CLOSE_AFTER,
	KT_FAULT_STALL_READS,         /* ms */
	KT_FAULT_CORRUPT_DDGST,
	KT_FAULT_KIND_MAX = KT_FAULT_CORRUPT_DDGST,
};

#define KT_FAULT_MS_MAX 3600000u      /* delay and stall: at most one hour */

struct kt_fault_action {
	enum kt_fault_kind kind;
	uint32_t ms;          /* DELAY, STALL_READS: 1..KT_FAULT_MS_MAX */
	/* STATUS: an NVMe status as handlers return it (proto/cmd.h: no phase
	 * bit): SC 7:0, SCT 10:8, CRD 12:11, More 13, DNR 14; checked by
	 * kt_fault_status_problem */
	uint16_t status;
};

enum kt_fault_fire_kind {
	KT_FAULT_FIRE_ALWAYS = 0,     /* every match (a zeroed kt_fault_fire) */
	KT_FAULT_FIRE_FIRST,          /* the first `first` matches */
	KT_FAULT_FIRE_PROB,           /* each match with probability ppm / 1e6 */
};

#define KT_FAULT_PPM 1000000u         /* probability 1 */

struct kt_fault_fire {
	enum kt_fault_fire_kind kind;
	uint32_t first;       /* FIRST: 1..UINT32_MAX */
	uint32_t ppm;         /* PROB: 1..KT_FAULT_PPM */
	uint64_t seed;        /* PROB: any */
};

#define KT_FAULT_NAME_MAX 63
#define KT_FAULT_EXPIRE_MAX 2592000000u /* 30 days, in ms */

struct kt_fault_rule {
	char name[KT_FAULT_NAME_MAX + 1]; /* "" none; else kt_fault_name_ok */
	struct kt_fault_match match;
	struct kt_fault_action action;
	struct kt_fault_fire fire;
	uint64_t expire_ms;   /* 0: never; else 1..KT_FAULT_EXPIRE_MAX after it is added */
};

/* What is wrong with a part of a rule (a phrase to follow its JSON path,
 * e.g. "an opcode needs a command set"), or NULL when it is fine. The
 * configuration reader names the key; kt_fault_rule_check wraps them. */
const char *kt_fault_match_problem(const struct kt_fault_match *m);
const char *kt_fault_action_problem(const struct kt_fault_action *a);
const char *kt_fault_fire_problem(const struct kt_fault_fire *f);
/* The status of a "status" action: NULL, or what is wrong (bit 15 set, a
 * reserved status code type 4..6, success). */
const char *kt_fault_status_problem(uint16_t status);
/* A rule name: 1..KT_FAULT_NAME_MAX of [A-Za-z0-9._:-], not all digits
 * (so that a name never reads as a rule id). */
bool kt_fault_name_ok(const char *s);
/* The whole rule: 0 or -EINVAL. */
int kt_fault_rule_check(const struct kt_fault_rule *r);

/* ---- the table --------------------------------------------------------- */

#define KT_FAULT_RULES_MAX 64

struct kt_fault_entry {
	uint32_t id;              /* given by kt_fault_add, never 0 */
	struct kt_fault_rule rule;
	uint64_t set_ms;          /* when it was added (expiry counts from here) */
	uint64_t matches, fires;  /* see the top of this file */
	uint64_t prng;            /* the generator's state (probability rules) */
};

/* A zeroed table is an empty one. Ids count up from 1 over the table's
 * life (a clear does not restart them), so a removed rule's id does not
 * name a newer rule. */
struct kt_fault_table {
	size_t n;
	uint32_t last_id;
	struct kt_fault_entry e[KT_FAULT_RULES_MAX];
};

/* The no-fault fast path: the one check the daemon makes per command when
 * no rule is set (kt_fault_decide makes it first too). */
static inline bool kt_fault_empty(const struct kt_fault_table *t)
{
	return t->n == 0;
}

/* Adds r at the end of the table, set at now_ms, its generator seeded:
 * 0 and *id, -EINVAL (kt_fault_rule_check), -EEXIST (another rule has its
 * name), -ENOSPC (KT_FAULT_RULES_MAX rules). id may be NULL. */
int kt_fault_add(struct kt_fault_table *t, const struct kt_fault_rule *r, uint64_t now_ms, uint32_t *id);
/* Removes the rule with this id: 0 or -ENOENT. The others keep their order. */
int kt_fault_remove(struct kt_fault_table *t, uint32_t id);
/* Removes every rule. */
void kt_fault_clear(struct kt_fault_table *t);
/* The rule with this id (NULL when none). */
const struct kt_fault_entry *kt_fault_get(const struct kt_fault_table *t, uint32_t id);
/* The rule with this name (NULL when none, or name is ""). */
const struct kt_fault_entry *kt_fault_find_name(const struct kt_fault_table *t, const char *name);
/* Copies up to max entries, in table order, into out; returns how many
 * rules there are. */
size_t kt_fault_list(const struct kt_fault_table *t, struct kt_fault_entry *out, size_t max);
/* Has the rule's lifetime ended at now_ms? */
bool kt_fault_expired(const struct kt_fault_entry *e, uint64_t now_ms);

/* ---- the decision, per command ---------------------------------------- */

#define KT_FAULT_NO_CNTLID 0xffffu  /* a command before its controller exists */

/* What the daemon knows of a command when it is about to execute it.
 * kt_fault_cmd_from_sqe fills what the SQE says. */
struct kt_fault_cmd {
	const char *hostnqn;  /* NULL: not known (a host criterion does not match) */
	const char *subnqn;   /* NULL: not known */
	uint16_t cntlid;      /* KT_FAULT_NO_CNTLID: none yet */
	uint16_t qid;         /* 0: the admin queue */
	uint8_t opcode;
	uint8_t fctype;       /* when opcode is KT_OPC_FABRICS */
	uint32_t nsid;        /* 0 for fabrics commands */
	uint64_t slba;        /* with nlb: commands with an LBA range only */
	uint32_t nlb;         /* blocks, 1..65536 (NLB + 1); 0: no range */
};

/* The command's set (admin, io or fabrics), as the top of this file says. */
enum kt_fault_set kt_fault_cmd_set(const struct kt_fault_cmd *c);
/* Does a command of this opcode on this queue name an LBA range (Read,
 * Write, Write Zeroes, Compare, Write Uncorrectable, Verify on an I/O
 * queue)? */
bool kt_fault_cmd_has_lba(uint16_t qid, uint8_t opcode);
/* Fills qid, opcode, fctype, nsid, slba and nlb of c from the SQE of a
 * command on queue qid; hostnqn, subnqn and cntlid are left as they are. */
void kt_fault_cmd_from_sqe(struct kt_fault_cmd *c, const struct kt_sqe *sqe, uint16_t qid);
/* Does the command meet every criterion of m? (No counting: the pure test.) */
bool kt_fault_matches(const struct kt_fault_match *m, const struct kt_fault_cmd *c);

/* A firing, for the daemon to apply and to trace. */
struct kt_fault_hit {
	uint32_t id;                          /* the rule that fired */
	char name[KT_FAULT_NAME_MAX + 1];     /* its name, "" when none */
	struct kt_fault_action action;
	uint64_t match;                       /* the rule's match count, this one included */
	uint64_t fire;                        /* its fire count: 1 at its first firing */
};

/* The decision for one command at now_ms: true and *hit when a rule fires
 * (its counters, and its generator if it draws, updated), false when none
 * does (then only the counters of rules that matched without firing, and
 * their generators, changed). An empty table costs one test. */
bool kt_fault_decide(struct kt_fault_table *t, const struct kt_fault_cmd *c, uint64_t now_ms,
		     struct kt_fault_hit *hit);

/* The generator: splitmix64 (Steele, Lea, Flood 2014) - advances *state
 * and returns the next 64-bit value. Seed 0 gives 0xe220a8397b1dcdaf first. */
uint64_t kt_fault_splitmix64(uint64_t *state);

/* ---- Abort ------------------------------------------------------------- */

/* The command an Abort names (CDW10: SQID 15:0, CID 31:16), as numbers:
 * compare cid with le16toh() of a held command's SQE CID field. */
void kt_fault_abort_target(const struct kt_sqe *abort_sqe, uint16_t *sqid, uint16_t *cid);
/* The status a held command completes with when an Abort names it:
 * Command Abort Requested (SCT 0, SC 07h), without DNR. */
uint16_t kt_fault_abort_status(void);
/* Abort's own completion, dw0 bit 0: clear when the command was aborted,
 * set when it was not (proto/admin.c answers "not aborted" for commands
 * that are not held). */
#define KT_ABORT_DW0_ABORTED 0u
#define KT_ABORT_DW0_NOT_ABORTED 1u

/* ---- words (proto/fault_names.c), for the JSON form and the trace ----- */

/* "admin", "io", "fabrics"; lookup: 0 or -ENOENT. */
const char *kt_fault_set_name(enum kt_fault_set s);
int kt_fault_set_lookup(const char *name, enum kt_fault_set *s);
/* The name of a known opcode (FCTYPE for fabrics) in set s, or NULL:
 * "read", "write", "flush", "write_zeroes", "compare", "dsm", "verify",
 * "write_uncorrectable", ...; "identify", "get_log_page", "keep_alive",
 * "abort", "set_features", "get_features", "async_event", ...;
 * "connect", "property_get", "property_set", "auth_send", "auth_receive",
 * "disconnect". Every name is in exactly one set, so a name alone gives
 * the set: 0 with *s and *opcode, or -ENOENT. */
const char *kt_fault_opcode_name(enum kt_fault_set s, uint8_t opcode);
int kt_fault_opcode_lookup(const char *name, enum kt_fault_set *s, uint8_t *opcode);
/* "delay", "hold", "status", "close_before", "close_after", "stall_reads",
 * "corrupt_data_digest" (NULL for KT_FAULT_NONE or out of range). */
const char *kt_fault_kind_name(enum kt_fault_kind k);
/* Named error statuses, without CRD/More/DNR (0 with *status, or
 * -ENOENT): "namespace_not_ready", "transient_transport_error",
 * "internal_path_error", "ana_inaccessible", "ana_persistent_loss",
 * "ana_transition", "controller_path_error", "host_path_error",
 * "aborted_by_host", "internal_error", "abort_requested", ...; the name
 * of a status (its CRD/More/DNR bits ignored), or NULL. */
int kt_fault_status_lookup(const char *name, uint16_t *status);
const char *kt_fault_status_name(uint16_t status);

#endif

/*
 * test_faults.c - fault rules applied by katod, seen from the host
 * (tests/host): a delayed read completes no sooner than its delay; a held
 * read never completes until an Abort names it (then 0x0007, and the
 * Abort says "aborted"); a status rule answers that status without writing;
 * close before and after (the write is done after, read back on a new
 * association); a read stall delays the next command; a corrupted data
 * digest; first N; probability with a seed gives the same sequence twice;
 * expiry; faults.list's counters; katoctl faults; a rule from the
 * configuration file, and a reload that replaces rules set live.
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "tests/host/host.h"
#include "tests/integration/harness.h"
#include "tests/integration/harness_ctl.h"

#define BS 512u

static struct hn_katod K;

/* One rule from the file, on a namespace that does not exist: never fires. */
static const char CONFIG[] = HN_CONFIG_ONE("{\"backend\": \"ram\", \"size\": \"16M\"}",
					    "{\"workers\": 2, \"log_level\": \"debug\", \"faults\": ["
					    "{\"name\": \"from-file\", \"match\": {\"nsid\": 77}, \"action\": {\"hold\": true}}]}");

static int group_setup(void **state)
{
	return hn_group_start(state, &K, 1, CONFIG);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint32_t add(const char *rule)
{
	struct json_object *resp, *r = hn_ctl_call(&K, &resp, "faults.add", rule);
	uint32_t id = (uint32_t)json_object_get_int64(hn_get(r, "id"));
	json_object_put(resp);
	assert_true(id > 0);
	return id;
}

static void rm(const char *name)
{
	char p[128];
	struct json_object *resp;
	snprintf(p, sizeof(p), "{\"name\": \"%s\"}", name);
	hn_ctl_call(&K, &resp, "faults.remove", p);
	json_object_put(resp);
}

/* faults.list's entry named name: matches, fires, expired. */
static void counters(const char *name, int64_t *matches, int64_t *fires, bool *expired)
{
	struct json_object *resp, *r = hn_ctl_call(&K, &resp, "faults.list", NULL);
	for (size_t i = 0; i < json_object_array_length(r); i++) {
		struct json_object *e = json_object_array_get_idx(r, i), *n;
		if (json_object_object_get_ex(e, "name", &n) && !strcmp(json_object_get_string(n), name)) {
			*matches = json_object_get_int64(hn_get(e, "matches"));
			*fires = json_object_get_int64(hn_get(e, "fires"));
			if (expired)
				*expired = json_object_get_boolean(hn_get(e, "expired"));
			json_object_put(resp);
			return;
		}
	}
	fail_msg("no rule %s in %s", name, json_object_to_json_string(r));
}

static void up(struct kh_host **a, struct kh_host **io, bool ddgst)
{
	struct kh_opts o;
	memset(&o, 0, sizeof(o));
	o.subnqn = HN_SUBNQN;
	o.ddgst = ddgst;
	o.timeout_ms = 5000;
	HN_ASSERT_OK(kh_assoc_up(a, io, HN_ADDR, K.port[0], &o));
}

static void fill(uint8_t *b, uint8_t v)
{
	memset(b, v, 8 * BS);
}

/* ---- the actions ---------------------------------------------------------- */

static void rule_from_file(void **state)
{
	(void)state;
	int64_t m = -1, f = -1;
	counters("from-file", &m, &f, NULL);
	assert_int_equal(m, 0);
	assert_int_equal(f, 0);
	hn_pass(&K);
}

static void delay_read(void **state)
{
	(void)state;
	struct kh_host *a, *io;
	uint8_t b[8 * BS];
	up(&a, &io, false);
	add("{\"name\": \"slow\", \"match\": {\"opcode\": \"read\", \"qid\": 1}, \"action\": {\"delay_ms\": 300}}");
	uint64_t t0 = kh_now_ms();
	assert_int_equal(kh_read(io, 1, 0, 8, b, sizeof(b)), 0);
	uint64_t took = kh_now_ms() - t0;
	assert_true(took >= 300);
	int64_t m, f;
	counters("slow", &m, &f, NULL);
	assert_int_equal(m, 1);
	assert_int_equal(f, 1);
	assert_int_equal(hn_log_wait(&K, "fault rule", 2000), 0);
	rm("slow");
	t0 = kh_now_ms();
	assert_int_equal(kh_read(io, 1, 0, 8, b, sizeof(b)), 0);
	assert_true(kh_now_ms() - t0 < 300);
	kh_close(io);
	kh_close(a);
	hn_pass(&K);
}

static void hold_then_abort(void **state)
{
	(void)state;
	struct kh_host *a, *io;
	uint8_t b[8 * BS];
	up(&a, &io, false);
	add("{\"name\": \"held\", \"match\": {\"opcode\": \"read\"}, \"action\": {\"hold\": true}, "
	    "\"fire\": {\"first\": 1}}");
	struct kt_sqe sqe;
	kh_sqe_rw(&sqe, nvme_cmd_read, 1, 0, 8);
	int cid = kh_submit(io, &sqe, b, sizeof(b), KH_C2H, 0, NULL);
	assert_true(cid >= 0);
	struct kh_done d;
	kh_set_timeout(io, 500);
	assert_int_equal(kh_poll(io, &d), -ETIMEDOUT);
	/* an Abort of a command nobody holds: "not aborted" */
	struct kt_cqe cqe;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = nvme_admin_abort_cmd;
	sqe.cdw10 = htole32(1u | (0x7777u << 16));
	assert_int_equal(kh_admin(a, &sqe, NULL, 0, KH_NONE, &cqe), 0);
	assert_int_equal(le32toh(cqe.dw0) & 1u, 1u);
	/* the held read: aborted */
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = nvme_admin_abort_cmd;
	sqe.cdw10 = htole32(1u | ((uint32_t)cid << 16));
	assert_int_equal(kh_admin(a, &sqe, NULL, 0, KH_NONE, &cqe), 0);
	assert_int_equal(le32toh(cqe.dw0) & 1u, 0u);
	kh_set_timeout(io, 5000);
	assert_int_equal(kh_wait(io, (uint16_t)cid, &d), 0);
	assert_int_equal(d.status, 0x0007);
	/* the queue goes on */
	assert_int_equal(kh_read(io, 1, 0, 8, b, sizeof(b)), 0);
	rm("held");
	kh_close(io);
	kh_close(a);
	hn_pass(&K);
}

static void status_not_written(void **state)
{
	(void)state;
	struct kh_host *a, *io;
	uint8_t b[8 * BS], r[8 * BS], z[8 * BS];
	up(&a, &io, false);
	fill(z, 0);
	assert_int_equal(kh_write(io, 1, 100, 8, z, sizeof(z), false), 0);
	add("{\"name\": \"st\", \"match\": {\"opcode\": \"write\"}, \"action\": {\"status\": 130}, "
	    "\"fire\": {\"first\": 1}}");
	fill(b, 0xa5);
	assert_int_equal(kh_write(io, 1, 100, 8, b, sizeof(b), false), 130);
	assert_int_equal(kh_read(io, 1, 100, 8, r, sizeof(r)), 0);
	assert_memory_equal(r, z, sizeof(r));
	rm("st");
	kh_close(io);
	kh_close(a);
	hn_pass(&K);
}

/* close before: not written; close after: written, no completion. */
static void close_before_after(void **state)
{
	(void)state;
	struct kh_host *a, *io;
	uint8_t b[8 * BS], r[8 * BS], z[8 * BS];
	fill(z, 0);
	for (int after = 0; after < 2; after++) {
		up(&a, &io, false);
		assert_int_equal(kh_write(io, 1, 200, 8, z, sizeof(z), false), 0);
		add(after ? "{\"name\": \"cl\", \"match\": {\"opcode\": \"write\"}, \"action\": {\"close\": \"after\"}, "
			    "\"fire\": {\"first\": 1}}"
			  : "{\"name\": \"cl\", \"match\": {\"opcode\": \"write\"}, \"action\": {\"close\": \"before\"}, "
			    "\"fire\": {\"first\": 1}}");
		fill(b, 0x5a);
		int rc = kh_write(io, 1, 200, 8, b, sizeof(b), false);
		assert_true(rc < 0);
		kh_close(io);
		kh_close(a);
		rm("cl");
		up(&a, &io, false);
		assert_int_equal(kh_read(io, 1, 200, 8, r, sizeof(r)), 0);
		assert_memory_equal(r, after ? b : z, sizeof(r));
		kh_close(io);
		kh_close(a);
	}
	hn_pass(&K);
}

static void stall_reads(void **state)
{
	(void)state;
	struct kh_host *a, *io;
	uint8_t b[8 * BS];
	up(&a, &io, false);
	add("{\"name\": \"stall\", \"match\": {\"opcode\": \"flush\"}, \"action\": {\"stall_reads_ms\": 400}, "
	    "\"fire\": {\"first\": 1}}");
	uint64_t t0 = kh_now_ms();
	assert_int_equal(kh_flush(io, 1), 0);
	assert_true(kh_now_ms() - t0 < 400); /* the command itself goes on */
	assert_int_equal(kh_read(io, 1, 0, 8, b, sizeof(b)), 0);
	assert_true(kh_now_ms() - t0 >= 380);
	rm("stall");
	kh_close(io);
	kh_close(a);
	hn_pass(&K);
}

static void corrupt_digest(void **state)
{
	(void)state;
	struct kh_host *a, *io;
	uint8_t b[8 * BS];
	up(&a, &io, true);
	assert_true(kh_ddgst(io));
	add("{\"name\": \"dd\", \"match\": {\"opcode\": \"read\"}, \"action\": {\"corrupt_data_digest\": true}, "
	    "\"fire\": {\"first\": 1}}");
	assert_int_equal(kh_read(io, 1, 0, 8, b, sizeof(b)), KH_EDDGST);
	rm("dd");
	kh_close(io);
	kh_close(a);
	hn_pass(&K);
}

/* ---- when rules fire ----------------------------------------------------- */

static void first_n(void **state)
{
	(void)state;
	struct kh_host *a, *io;
	uint8_t b[8 * BS];
	up(&a, &io, false);
	add("{\"name\": \"two\", \"match\": {\"opcode\": \"read\"}, \"action\": {\"status\": \"0x4002\"}, "
	    "\"fire\": {\"first\": 2}}");
	assert_int_equal(kh_read(io, 1, 0, 8, b, sizeof(b)), 0x4002);
	assert_int_equal(kh_read(io, 1, 0, 8, b, sizeof(b)), 0x4002);
	assert_int_equal(kh_read(io, 1, 0, 8, b, sizeof(b)), 0);
	int64_t m, f;
	counters("two", &m, &f, NULL);
	assert_int_equal(m, 3);
	assert_int_equal(f, 2);
	rm("two");
	kh_close(io);
	kh_close(a);
	hn_pass(&K);
}

static void probability_seeded(void **state)
{
	(void)state;
	struct kh_host *a, *io;
	uint8_t b[8 * BS];
	char seq[2][41];
	up(&a, &io, false);
	for (int run = 0; run < 2; run++) {
		add("{\"name\": \"coin\", \"match\": {\"opcode\": \"read\"}, \"action\": {\"status\": \"0x4002\"}, "
		    "\"fire\": {\"probability\": 0.5, \"seed\": 7}}");
		for (int i = 0; i < 40; i++)
			seq[run][i] = kh_read(io, 1, 0, 8, b, sizeof(b)) ? 'x' : '.';
		seq[run][40] = '\0';
		rm("coin");
	}
	assert_string_equal(seq[0], seq[1]);
	assert_non_null(strchr(seq[0], 'x'));
	assert_non_null(strchr(seq[0], '.'));
	kh_close(io);
	kh_close(a);
	hn_pass(&K);
}

static void expiry(void **state)
{
	(void)state;
	struct kh_host *a, *io;
	uint8_t b[8 * BS];
	up(&a, &io, false);
	add("{\"name\": \"short\", \"match\": {\"opcode\": \"read\"}, \"action\": {\"status\": \"0x4002\"}, "
	    "\"expire_ms\": 300}");
	assert_int_equal(kh_read(io, 1, 0, 8, b, sizeof(b)), 0x4002);
	sleep_ms(400);
	assert_int_equal(kh_read(io, 1, 0, 8, b, sizeof(b)), 0);
	int64_t m, f;
	bool exp = false;
	counters("short", &m, &f, &exp);
	assert_int_equal(m, 1);
	assert_int_equal(f, 1);
	assert_true(exp);
	rm("short");
	kh_close(io);
	kh_close(a);
	hn_pass(&K);
}

/* A firing is an event "fault" in the keep-alive trace. */
static void traced(void **state)
{
	(void)state;
	struct kh_host *a, *io;
	uint8_t b[8 * BS];
	char q[300];
	struct json_object *resp;
	snprintf(q, sizeof(q), "{\"file\": \"%s\"}", hn_path(&K, "trace.jsonl"));
	hn_ctl_call(&K, &resp, "keepalive.trace", q);
	json_object_put(resp);
	up(&a, &io, false);
	add("{\"name\": \"tr\", \"match\": {\"opcode\": \"read\"}, \"action\": {\"delay_ms\": 1}}");
	assert_int_equal(kh_read(io, 1, 0, 8, b, sizeof(b)), 0);
	rm("tr");
	hn_ctl_call(&K, &resp, "keepalive.trace", "{\"file\": null}");
	json_object_put(resp);
	char text[8192] = "";
	FILE *f = fopen(hn_path(&K, "trace.jsonl"), "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_non_null(strstr(text, "\"event\":\"fault\""));
	assert_non_null(strstr(text, "\"name\":\"tr\""));
	assert_non_null(strstr(text, "\"action\":\"delay\""));
	kh_close(io);
	kh_close(a);
	hn_pass(&K);
}

/* ---- control ------------------------------------------------------------- */

static void katoctl_faults(void **state)
{
	(void)state;
	char out[8192];
	assert_int_equal(hn_katoctl(&K, out, sizeof(out),
				    "faults add '{\"name\":\"ctl\",\"match\":{\"opcode\":\"write\"},\"action\":{\"delay_ms\":5}}'"),
			 0);
	assert_non_null(strstr(out, "\"id\""));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "faults"), 0);
	assert_non_null(strstr(out, "ctl"));
	assert_non_null(strstr(out, "from-file"));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "faults list --json"), 0);
	assert_non_null(strstr(out, "\"matches\""));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "faults remove ctl"), 0);
	assert_int_not_equal(hn_katoctl(&K, out, sizeof(out), "faults remove ctl"), 0);
	hn_ctl_err(&K, "faults.add", "{\"action\": {\"bogus\": 1}}", -32602, "bogus");
	hn_ctl_err(&K, "faults.remove", "{\"id\": 999999}", -32001, "no fault rule");
	hn_pass(&K);
}

/* Rules set live are in config.save; a reload makes the rules the file's. */
static void save_and_reload(void **state)
{
	(void)state;
	add("{\"name\": \"live\", \"match\": {\"nsid\": 78}, \"action\": {\"hold\": true}}");
	struct json_object *resp, *r = hn_ctl_call(&K, &resp, "config.save", NULL);
	struct json_object *f = hn_get(hn_get(hn_get(r, "config"), "katod"), "faults");
	assert_int_equal(json_object_array_length(f), 2);
	json_object_put(resp);
	char q[300];
	snprintf(q, sizeof(q), "{\"path\": \"%s\"}", K.cfg);
	hn_ctl_call(&K, &resp, "reload", q);
	json_object_put(resp);
	r = hn_ctl_call(&K, &resp, "faults.list", NULL);
	assert_int_equal(json_object_array_length(r), 1);
	assert_string_equal(json_object_get_string(hn_get(json_object_array_get_idx(r, 0), "name")), "from-file");
	json_object_put(resp);
	r = hn_ctl_call(&K, &resp, "faults.clear", NULL);
	assert_int_equal(json_object_get_int(hn_get(r, "cleared")), 1);
	json_object_put(resp);
	hn_pass(&K);
}

int main(void)
{
	HN_NEED_KATOD();
	const struct CMUnitTest tests[] = {
		HN_TEST(rule_from_file),
		HN_TEST(delay_read),
		HN_TEST(hold_then_abort),
		HN_TEST(status_not_written),
		HN_TEST(close_before_after),
		HN_TEST(stall_reads),
		HN_TEST(corrupt_digest),
		HN_TEST(first_n),
		HN_TEST(probability_seeded),
		HN_TEST(expiry),
		HN_TEST(traced),
		HN_TEST(katoctl_faults),
		HN_TEST(save_and_reload),
	};
	return cmocka_run_group_tests(tests, group_setup, hn_group_teardown);
}

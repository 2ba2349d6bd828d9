/*
 * test_control_keepalive.c - the keep-alive policy and event trace driven
 * live through the control socket (daemon/control/rpc_keepalive.c), against a host
 * connected with the test initiator: a delay rule set live delays the next
 * Keep Alive, drop never completes it, a status replaces its status, an
 * expiry fraction shortens KATO, clear restores normal; keepalive.expire
 * closes a controller as an expiry does; the trace file switched on and off
 * live; a subscribed client receives connect / keep_alive / expiry
 * notifications in order, a slow one is told how many it missed; every
 * refusal; controllers.list's effective policy; rules set live written by
 * config.save and loaded back, kept by an edit, replaced by a reload;
 * katoctl's commands.
 * One katod serves every test in the file.
 */
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "config/config.h"
#include "daemon/control/rpc.h"
#include "tests/host/host.h"
#include "tests/integration/harness.h"
#include "tests/integration/harness_ctl.h"

/* How late after the deadline an expiry or a delayed completion may come. */
#define SLACK_MS 500

static struct hn_katod K;

static const char CONFIG[] = HN_CONFIG_ONE("{\"backend\": \"null\", \"size\": \"1G\"}",
					    "{\"workers\": 2, \"log_level\": \"debug\"}");

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

/* ---- the control socket (tests/integration/harness_ctl.h) ----------------- */

static struct json_object *call(const char *method, const char *params, struct json_object **resp)
{
	return hn_ctl_call(&K, resp, method, params);
}

static void call_err(const char *method, const char *params, int code, const char *words)
{
	hn_ctl_err(&K, method, params, code, words);
}

/* The same, for a result whose integer member `key` is wanted. */
static int64_t call_int(const char *method, const char *params, const char *key)
{
	struct json_object *resp, *r = call(method, params, &resp);
	int64_t v = json_object_get_int64(hn_get(r, key));
	json_object_put(resp);
	return v;
}

static void call_ok(const char *method, const char *params)
{
	struct json_object *resp;
	call(method, params, &resp);
	json_object_put(resp);
}

/* A rule change reaches the controllers within a loop turn of their
 * worker; the workers are idle here, so this is ample. */
static void settle(void)
{
	sleep_ms(100);
}

static struct kh_host *admin_up(const char *hostnqn, uint32_t kato_ms, int timeout_ms)
{
	struct kh_opts o = { .subnqn = HN_SUBNQN, .hostnqn = hostnqn, .kato_ms = kato_ms, .timeout_ms = timeout_ms };
	struct kh_host *a = NULL;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, K.port[0], &o));
	return a;
}

/* How long a Keep Alive takes; its status in *rc. */
static uint64_t timed_keep_alive(struct kh_host *a, int *rc)
{
	uint64_t t0 = kh_now_ms();
	*rc = kh_keep_alive(a);
	return kh_now_ms() - t0;
}

static void set_rule(uint16_t cntlid, const char *fields)
{
	char p[512];
	snprintf(p, sizeof(p), "{\"cntlid\": %u, %s}", cntlid, fields);
	assert_int_equal(call_int("keepalive.policy.set", p, "controllers"), 1);
	settle();
}

/* ---- the policy, live ---------------------------------------------------- */

/* delay, status, drop, clear and an expiry fraction on one controller. */
static void policy_live(void **state)
{
	(void)state;
	struct kh_host *a = admin_up(NULL, 10000, 800);
	uint16_t id = kh_cntlid(a);
	int rc;
	char p[256];

	/* normal: fast */
	assert_true(timed_keep_alive(a, &rc) < 200);
	HN_ASSERT_OK(rc);

	/* delay 400 ms: the next Keep Alive completes after it */
	set_rule(id, "\"delay_ms\": 400");
	uint64_t dt = timed_keep_alive(a, &rc);
	HN_ASSERT_OK(rc);
	if (dt < 400 || dt > 400 + SLACK_MS)
		fail_msg("delayed Keep Alive took %llu ms, expected 400..%u", (unsigned long long)dt, 400 + SLACK_MS);
	/* get answers the rule as it was set, in the configuration's words */
	struct json_object *resp, *r;
	snprintf(p, sizeof(p), "{\"scope\": {\"cntlid\": %u}}", id);
	r = call("keepalive.policy.get", p, &resp);
	assert_int_equal(json_object_get_int(hn_get(r, "cntlid")), id);
	assert_int_equal(json_object_get_int(hn_get(r, "delay_ms")), 400);
	assert_false(hn_has(r, "drop"));
	json_object_put(resp);

	/* a chosen status (Invalid Field in Command, DNR), now: replaces the rule */
	set_rule(id, "\"status\": 16386");
	dt = timed_keep_alive(a, &rc);
	HN_ASSERT_SC(rc, NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	assert_true(rc & KH_DNR);
	assert_true(dt < 200);

	/* drop: never completes (the host gives up after 800 ms) */
	set_rule(id, "\"drop\": true");
	assert_int_equal(kh_keep_alive(a), -ETIMEDOUT);

	/* clear: normal again */
	snprintf(p, sizeof(p), "{\"cntlid\": %u}", id);
	assert_int_equal(call_int("keepalive.policy.clear", p, "cleared"), 1);
	settle();
	assert_true(timed_keep_alive(a, &rc) < 200);
	HN_ASSERT_OK(rc);
	call_err("keepalive.policy.clear", p, KT_RPC_NOT_FOUND, "no keep-alive policy rule for cntlid");
	call_err("keepalive.policy.get", p, KT_RPC_NOT_FOUND, "no keep-alive policy rule");

	/* expire at 0.1 of KATO: 1000 ms after the last Keep Alive, not 10 s */
	set_rule(id, "\"expire\": 0.1");
	uint64_t t0 = kh_now_ms(), closed = 0;
	HN_ASSERT_OK(kh_keep_alive(a));
	HN_ASSERT_OK(kh_wait_closed(a, 1000 + SLACK_MS + 1000, &closed));
	if (closed < t0 + 1000 || closed > t0 + 1000 + SLACK_MS + 200)
		fail_msg("closed %lld ms after the Keep Alive, expected about 1000",
			 (long long)closed - (long long)t0);
	kh_close(a);
	assert_int_equal(call_int("keepalive.policy.clear", NULL, "cleared"), 1);
	hn_pass(&K);
}

/* controllers.list shows each controller's effective policy (merged). */
static void controllers_list_policy(void **state)
{
	(void)state;
	struct kh_host *a = admin_up(NULL, 30000, 0);
	uint16_t id = kh_cntlid(a);
	char p[256];
	struct json_object *resp, *r;

	snprintf(p, sizeof(p), "{\"cntlid\": %u}", id);
	r = call("controllers.list", p, &resp);
	struct json_object *pol = hn_get(json_object_array_get_idx(r, 0), "keepalive_policy");
	assert_null(pol);
	json_object_put(resp);

	assert_int_equal(call_int("keepalive.policy.set",
				  "{\"subsystem\": \"" HN_SUBNQN "\", \"delay_ms\": 100, \"expire\": \"never\"}",
				  "controllers"), 1);
	snprintf(p, sizeof(p), "{\"cntlid\": %u, \"delay_ms\": 5}", id);
	call_ok("keepalive.policy.set", p);
	snprintf(p, sizeof(p), "{\"cntlid\": %u}", id);
	r = call("controllers.list", p, &resp);
	pol = hn_get(json_object_array_get_idx(r, 0), "keepalive_policy");
	/* the controller id's rule wins over the subsystem's, field by field */
	assert_int_equal(json_object_get_int(hn_get(pol, "delay_ms")), 5);
	assert_string_equal(json_object_get_string(hn_get(pol, "expire")), "never");
	json_object_put(resp);

	/* one list, two controllers, each resolved against the same rules */
	struct kh_host *b = admin_up(HN_HOSTNQN2, 30000, 0);
	uint16_t idb = kh_cntlid(b);
	call_ok("keepalive.policy.set", "{\"host\": \"" HN_HOSTNQN2 "\", \"drop\": true}");
	r = call("controllers.list", NULL, &resp);
	size_t seen = 0;
	for (size_t i = 0; i < json_object_array_length(r); i++) {
		struct json_object *e = json_object_array_get_idx(r, i);
		int cid = json_object_get_int(hn_get(e, "cntlid"));
		if (cid != id && cid != idb)
			continue;
		seen++;
		pol = hn_get(e, "keepalive_policy");
		assert_int_equal(json_object_get_int(hn_get(pol, "delay_ms")), cid == id ? 5 : 100);
		assert_int_equal(json_object_object_get_ex(pol, "drop", NULL), cid == idb);
	}
	assert_int_equal(seen, 2);
	json_object_put(resp);
	kh_close(b);

	r = call("keepalive.policy.list", NULL, &resp);
	assert_int_equal(json_object_array_length(r), 3);
	json_object_put(resp);
	assert_int_equal(call_int("keepalive.policy.clear", NULL, "cleared"), 3);
	kh_close(a);
	hn_pass(&K);
}

/* Rules from the configuration file, made live by a reload together with a
 * keep-alive setting: replaced in one step (daemon/core/live.c hands them to
 * kt_keepalive_configure), and a connected controller resolves them. A
 * reload of the original file takes them away again. */
static void policy_from_reload(void **state)
{
	(void)state;
	struct kh_host *a = admin_up(NULL, 30000, 0);
	uint16_t id = kh_cntlid(a);
	char text[8192], p[4400], q[256];
	FILE *f = fopen(K.cfg, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	const char *at = strstr(text, "\"log_level\": \"debug\"");
	assert_non_null(at);
	snprintf(p, sizeof(p), "%.*s\"log_level\": \"debug\", \"keepalive\": {\"tbkas\": false, \"tcp_idle_s\": 40, "
		 "\"policy\": [{\"subsystem\": \"" HN_SUBNQN "\", \"delay_ms\": 7}, {\"cntlid\": 65000, \"drop\": true}]}%s",
		 (int)(at - text), text, at + strlen("\"log_level\": \"debug\""));
	HN_ASSERT_OK(hn_write_file(&K, "ka-reload.json", p));
	snprintf(q, sizeof(q), "{\"path\": \"%s\"}", hn_path(&K, "ka-reload.json"));
	call_ok("reload", q);
	settle();
	struct json_object *resp, *r = call("keepalive.policy.list", NULL, &resp);
	assert_int_equal(json_object_array_length(r), 2);
	json_object_put(resp);
	snprintf(q, sizeof(q), "{\"cntlid\": %u}", id);
	r = call("controllers.list", q, &resp);
	struct json_object *pol = hn_get(json_object_array_get_idx(r, 0), "keepalive_policy");
	assert_int_equal(json_object_get_int(hn_get(pol, "delay_ms")), 7);
	json_object_put(resp);
	int rc;
	assert_true(timed_keep_alive(a, &rc) >= 7);
	assert_int_equal(rc, 0);

	snprintf(q, sizeof(q), "{\"path\": \"%s\"}", K.cfg);
	call_ok("reload", q);
	settle();
	r = call("keepalive.policy.list", NULL, &resp);
	assert_int_equal(json_object_array_length(r), 0);
	json_object_put(resp);
	snprintf(q, sizeof(q), "{\"cntlid\": %u}", id);
	r = call("controllers.list", q, &resp);
	assert_null(hn_get(json_object_array_get_idx(r, 0), "keepalive_policy"));
	json_object_put(resp);
	kh_close(a);
	hn_pass(&K);
}

/* ---- the rules in config.save ----------------------------------------- */

static bool pol_equal(const struct kt_kapol *a, const struct kt_kapol *b)
{
	return a->set == b->set && a->delay_ms == b->delay_ms && a->drop == b->drop && a->status == b->status &&
	       a->expire_permille == b->expire_permille && a->ignore_traffic == b->ignore_traffic &&
	       a->refuse_set_kato == b->refuse_set_kato && a->refuse_status == b->refuse_status && a->kas == b->kas;
}

/* A rule's scope and policy as the readers of config/ see them. */
static void read_rule(struct json_object *o, struct kt_kapol_rule *r)
{
	char err[512] = "";
	if (kt_config_parse_ka_scope(o, "rule", &r->scope, err, sizeof(err)) != 1 ||
	    kt_config_parse_ka_pol(o, "rule", &r->pol, err, sizeof(err)) != 0)
		fail_msg("%s: %s", json_object_to_json_string(o), err);
}

/* The rule of rules (a JSON array or a configuration's rules) with this
 * scope, or fails. */
static struct json_object *rule_in(struct json_object *arr, const struct kt_kapol_scope *s)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct kt_kapol_rule r;
		read_rule(json_object_array_get_idx(arr, i), &r);
		if (kt_kapol_scope_equal(&r.scope, s))
			return json_object_array_get_idx(arr, i);
	}
	fail_msg("no rule for that scope in %s", json_object_to_json_string(arr));
	return NULL;
}

static size_t policy_count(void)
{
	struct json_object *resp, *r = call("keepalive.policy.list", NULL, &resp);
	size_t n = json_object_array_length(r);
	json_object_put(resp);
	return n;
}

/* Rules set live are in config.save, with their scope and values, and load
 * back with the same meaning; a rule for a controller id is left out (and
 * listed in "left_out"). An edit keeps rules set live; a reload makes the
 * rules in force the file's: the saved file's, then the original's (none). */
static void config_save_rules(void **state)
{
	(void)state;
	struct kh_host *a = admin_up(NULL, 30000, 0);
	uint16_t id = kh_cntlid(a);
	static const char *const live[] = {
		"{\"host\": \"nqn.2014-08.org.nvmexpress:uuid:6b61746f-7361-7665-0000-000000000001\", "
		"\"delay_ms\": 250, \"status\": 6, \"expire\": 0.1, \"refuse_set_kato\": 16386}",
		"{\"subsystem\": \"" HN_SUBNQN "\", \"drop\": false, \"ignore_traffic\": true, \"kas\": 3, "
		"\"expire\": \"never\", \"refuse_set_kato\": true}",
	};
	struct kt_kapol_rule want[2];
	for (size_t i = 0; i < 2; i++) {
		struct json_object *o = json_tokener_parse(live[i]);
		read_rule(o, &want[i]);
		json_object_put(o);
		call_ok("keepalive.policy.set", live[i]);
	}
	char p[256];
	snprintf(p, sizeof(p), "{\"cntlid\": %u, \"delay_ms\": 5}", id);
	call_ok("keepalive.policy.set", p);
	assert_int_equal(policy_count(), 3);

	struct json_object *resp, *r = call("config.save", NULL, &resp);
	struct json_object *cfg = hn_get(r, "config");
	struct json_object *pol = hn_get(hn_get(hn_get(cfg, "katod"), "keepalive"), "policy");
	assert_int_equal(json_object_array_length(pol), 2);
	for (size_t i = 0; i < 2; i++) {
		struct kt_kapol_rule got;
		read_rule(rule_in(pol, &want[i].scope), &got);
		assert_true(pol_equal(&got.pol, &want[i].pol));
	}
	/* the fraction as written, not 0.10000000000000001 */
	const char *ptext = json_object_to_json_string_ext(pol, JSON_C_TO_STRING_PLAIN);
	if (!strstr(ptext, "\"expire\":0.1,"))
		fail_msg("the fraction is not written as 0.1: %s", ptext);
	struct json_object *left = hn_get(r, "left_out");
	assert_int_equal(json_object_array_length(left), 1);
	assert_int_equal(json_object_get_int(hn_get(json_object_array_get_idx(left, 0), "cntlid")), id);
	assert_int_equal(json_object_get_int(hn_get(json_object_array_get_idx(left, 0), "delay_ms")), 5);

	/* the whole saved configuration loads, with the same rules */
	const char *text = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PRETTY);
	struct kt_config *c = NULL;
	char err[512] = "";
	if (kt_config_load_string(text, &c, err, sizeof(err)) < 0)
		fail_msg("the saved configuration does not load: %s", err);
	assert_int_equal(c->daemon.n_ka_rules, 2);
	for (size_t i = 0; i < 2; i++) {
		size_t k = 0;
		while (k < 2 && !kt_kapol_scope_equal(&c->daemon.ka_rules[k].scope, &want[i].scope))
			k++;
		assert_true(k < 2);
		assert_true(pol_equal(&c->daemon.ka_rules[k].pol, &want[i].pol));
	}
	kt_config_free(c);
	HN_ASSERT_OK(hn_write_file(&K, "ka-saved.json", text));
	json_object_put(resp);

	/* an edit starts from the running configuration: the rules stay */
	static const char other[] = "{\"nqn\": "
				    "\"nqn.2014-08.org.nvmexpress:uuid:6b61746f-7361-7665-0000-000000000002\"}";
	call_ok("hosts.add", other);
	assert_int_equal(policy_count(), 3);
	call_ok("hosts.remove", other);
	assert_int_equal(policy_count(), 3);

	/* a reload of the saved file: its rules, the controller id's is gone */
	char q[4200];
	snprintf(q, sizeof(q), "{\"path\": \"%s\"}", hn_path(&K, "ka-saved.json"));
	call_ok("reload", q);
	settle();
	assert_int_equal(policy_count(), 2);
	snprintf(q, sizeof(q), "{\"cntlid\": %u}", id);
	r = call("controllers.list", q, &resp);
	struct json_object *eff = hn_get(json_object_array_get_idx(r, 0), "keepalive_policy");
	assert_false(json_object_object_get_ex(eff, "delay_ms", NULL)); /* the controller id's rule is gone */
	assert_int_equal(json_object_get_int(hn_get(eff, "kas")), 3);
	json_object_put(resp);

	/* a reload of the original file (no rules): none in force */
	snprintf(q, sizeof(q), "{\"path\": \"%s\"}", K.cfg);
	call_ok("reload", q);
	settle();
	assert_int_equal(policy_count(), 0);
	kh_close(a);
	hn_pass(&K);
}

/* keepalive.expire: by controller id (an expiry: counted, logged, traced
 * as forced), by host (the other host's controller stays). */
static void force_expiry(void **state)
{
	(void)state;
	struct kh_host *a = admin_up(NULL, 30000, 0);
	struct kh_host *b = admin_up(HN_HOSTNQN2, 30000, 0);
	char p[256];
	struct json_object *resp, *r;
	uint64_t closed;

	r = call("counters", NULL, &resp);
	struct json_object *subs = hn_get(r, "subsystems");
	int64_t before = -1;
	for (size_t i = 0; i < json_object_array_length(subs); i++) {
		struct json_object *s = json_object_array_get_idx(subs, i);
		if (!strcmp(json_object_get_string(hn_get(s, "subsystem")), HN_SUBNQN))
			before = json_object_get_int64(hn_get(s, "keep_alive_expiries"));
	}
	json_object_put(resp);
	assert_true(before >= 0);

	const char *tr = hn_path(&K, "force.jsonl");
	snprintf(p, sizeof(p), "{\"file\": \"%s\"}", tr);
	call_ok("keepalive.trace", p);
	snprintf(p, sizeof(p), "{\"cntlid\": %u}", kh_cntlid(a));
	assert_int_equal(call_int("keepalive.expire", p, "expired"), 1);
	HN_ASSERT_OK(kh_wait_closed(a, 2000, &closed));
	kh_close(a);
	assert_int_equal(hn_log_wait(&K, "keep-alive expiry forced", 2000), 0);
	HN_ASSERT_OK(kh_keep_alive(b)); /* the other one is untouched */

	/* the expiry as a timeout records it: counted per subsystem */
	r = call("counters", NULL, &resp);
	subs = hn_get(r, "subsystems");
	for (size_t i = 0; i < json_object_array_length(subs); i++) {
		struct json_object *s = json_object_array_get_idx(subs, i);
		if (!strcmp(json_object_get_string(hn_get(s, "subsystem")), HN_SUBNQN))
			assert_int_equal(json_object_get_int64(hn_get(s, "keep_alive_expiries")), before + 1);
	}
	json_object_put(resp);

	/* by host */
	assert_int_equal(call_int("keepalive.expire", "{\"host\": \"" HN_HOSTNQN2 "\"}", "expired"), 1);
	HN_ASSERT_OK(kh_wait_closed(b, 2000, &closed));
	kh_close(b);
	call_err("keepalive.expire", "{\"host\": \"" HN_HOSTNQN2 "\"}", KT_RPC_NOT_FOUND, "no controller");
	call_ok("keepalive.trace", "{\"file\": null}");

	/* the trace says it was forced, for that controller, with the error */
	FILE *f = fopen(tr, "r");
	assert_non_null(f);
	char line[2048];
	unsigned forced = 0;
	while (fgets(line, sizeof(line), f))
		forced += strstr(line, "\"event\":\"expiry\"") && strstr(line, "\"forced\":true");
	fclose(f);
	assert_int_equal(forced, 2);
	hn_pass(&K);
}

/* ---- the trace ----------------------------------------------------------- */

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The trace file switched on and off live. */
static void trace_file_live(void **state)
{
	(void)state;
	const char *tr = hn_path(&K, "live.jsonl");
	char p[512];
	struct json_object *resp, *r;

	r = call("keepalive.trace", NULL, &resp);
	assert_true(json_object_is_type(hn_get(r, "file"), json_type_null));
	json_object_put(resp);
	assert_int_equal(file_size(tr), -1);

	snprintf(p, sizeof(p), "{\"file\": \"%s\"}", tr);
	r = call("keepalive.trace", p, &resp);
	assert_string_equal(json_object_get_string(hn_get(r, "file")), tr);
	json_object_put(resp);
	struct kh_host *a = admin_up(NULL, 30000, 0);
	HN_ASSERT_OK(kh_keep_alive(a));
	long on = file_size(tr);
	assert_true(on > 0);
	FILE *f = fopen(tr, "r");
	char line[2048];
	bool connect = false, ka = false;
	char want[64];
	snprintf(want, sizeof(want), "\"cntlid\":%u,", kh_cntlid(a));
	while (f && fgets(line, sizeof(line), f)) {
		connect |= strstr(line, "\"event\":\"connect\"") && strstr(line, want);
		ka |= strstr(line, "\"event\":\"keep_alive\"") && strstr(line, want);
	}
	fclose(f);
	assert_true(connect && ka);

	r = call("keepalive.trace", "{\"file\": null}", &resp);
	assert_true(json_object_is_type(hn_get(r, "file"), json_type_null));
	json_object_put(resp);
	HN_ASSERT_OK(kh_keep_alive(a));
	kh_close(a);
	sleep_ms(100);
	assert_int_equal(file_size(tr), on); /* nothing more written */
	hn_pass(&K);
}

/* The event named in a keepalive.event notification (or NULL). */
static const char *event_of(struct json_object *n, uint16_t *cntlid)
{
	struct json_object *m, *params, *v;
	if (!json_object_object_get_ex(n, "method", &m) ||
	    strcmp(json_object_get_string(m), "keepalive.event") ||
	    !json_object_object_get_ex(n, "params", &params))
		return NULL;
	assert_string_equal(json_object_get_string(hn_get(n, "jsonrpc")), "2.0");
	assert_false(hn_has(n, "id"));
	if (cntlid && json_object_object_get_ex(params, "cntlid", &v))
		*cntlid = (uint16_t)json_object_get_int(v);
	return json_object_get_string(hn_get(params, "event"));
}

/* A subscribed client receives connect, keep_alive, expiry and teardown
 * for a controller, in that order, then nothing once unsubscribed. */
static void subscribe_in_order(void **state)
{
	(void)state;
	struct hn_ctl *c = hn_ctl_open(&K);
	struct json_object *r = hn_ctl_request(c, "keepalive.trace.subscribe", NULL, NULL);
	assert_true(json_object_get_boolean(hn_get(hn_get(r, "result"), "subscribed")));
	json_object_put(r);
	assert_int_equal(call_int("keepalive.trace", NULL, "subscribers"), 1);

	struct kh_host *a = admin_up(NULL, 1000, 0);
	uint16_t id = kh_cntlid(a);
	HN_ASSERT_OK(kh_keep_alive(a));
	HN_ASSERT_OK(kh_wait_closed(a, 1000 + SLACK_MS + 1000, NULL));
	kh_close(a);

	static const char *const order[] = { "connect", "keep_alive", "expiry", "teardown" };
	size_t next = 0;
	uint64_t last_us = 0;
	while (next < 4) {
		struct json_object *n = hn_ctl_line(c, 3000);
		if (!n)
			fail_msg("no \"%s\" notification", order[next]);
		uint16_t cid = 0;
		const char *ev = event_of(n, &cid);
		assert_non_null(ev);
		uint64_t us = json_object_get_uint64(hn_get(hn_get(n, "params"), "mono_us"));
		assert_true(us >= last_us); /* monotonic */
		last_us = us;
		if (cid == id) {
			for (size_t k = next + 1; k < 4; k++)
				if (!strcmp(ev, order[k]))
					fail_msg("\"%s\" before \"%s\"", ev, order[next]);
			if (!strcmp(ev, order[next]))
				next++;
		}
		json_object_put(n);
	}

	/* unsubscribe: the answer, then no more notifications */
	r = hn_ctl_request(c, "keepalive.trace.unsubscribe", NULL, NULL);
	assert_false(json_object_get_boolean(hn_get(hn_get(r, "result"), "subscribed")));
	json_object_put(r);
	a = admin_up(NULL, 30000, 0);
	HN_ASSERT_OK(kh_keep_alive(a));
	kh_close(a);
	struct json_object *n = hn_ctl_line(c, 300);
	if (n)
		fail_msg("after unsubscribe: %s", json_object_to_json_string(n));
	hn_ctl_close(c);
	assert_int_equal(call_int("keepalive.trace", NULL, "subscribers"), 0);
	hn_pass(&K);
}

/* A subscriber that does not read: lines beyond its backlog are dropped,
 * and it is told how many once it catches up; none is lost unaccounted. */
static void slow_subscriber_told(void **state)
{
	(void)state;
	enum { N = 6000 };
	struct hn_ctl *c = hn_ctl_open(&K);
	struct json_object *r = hn_ctl_request(c, "keepalive.trace.subscribe", NULL, NULL);
	assert_false(hn_has(r, "error"));
	json_object_put(r);

	struct kh_host *a = admin_up(NULL, 30000, 0); /* 1 connect event */
	for (unsigned i = 0; i < N; i++)
		HN_ASSERT_OK(kh_keep_alive(a)); /* N keep_alive events */

	uint64_t events = 0, dropped = 0, notices = 0;
	while (events + dropped < N + 1) {
		struct json_object *n = hn_ctl_line(c, 3000);
		if (!n)
			break;
		if (event_of(n, NULL)) {
			events++;
		} else {
			assert_string_equal(json_object_get_string(hn_get(n, "method")), "keepalive.dropped");
			dropped += json_object_get_uint64(hn_get(hn_get(n, "params"), "dropped"));
			notices++;
		}
		json_object_put(n);
	}
	print_message("%llu events received, %llu dropped (%llu notices)\n", (unsigned long long)events,
		      (unsigned long long)dropped, (unsigned long long)notices);
	assert_int_equal(events + dropped, N + 1);
	assert_true(dropped > 0 && notices > 0);
	kh_close(a);
	hn_ctl_close(c);
	hn_pass(&K);
}

/* ---- refusals ------------------------------------------------------------- */

static void refusals(void **state)
{
	(void)state;
	/* method, params, the error code, words its message has */
	enum { P = KT_RPC_INVALID_PARAMS, NF = KT_RPC_NOT_FOUND };
	static const struct {
		const char *method, *params;
		int code;
		const char *words;
	} refused[] = {
		{ "keepalive.policy.set", "{\"drop\": true}", P, "which controllers" },
		{ "keepalive.policy.set", "{\"scope\": {\"foo\": 1}, \"drop\": true}", P, "unknown scope key \"foo\"" },
		{ "keepalive.policy.set", "{\"scope\": {}, \"drop\": true}", P, "\"scope\" is empty" },
		{ "keepalive.policy.set", "{\"scope\": 5, \"drop\": true}", P, "\"scope\" must be an object" },
		{ "keepalive.policy.set", "{\"scope\": {\"cntlid\": 1}, \"cntlid\": 1, \"drop\": true}", P,
		  "give the scope once" },
		{ "keepalive.policy.set", "{\"cntlid\": 1, \"host\": \"nqn.x\", \"drop\": true}", P, "exactly one" },
		{ "keepalive.policy.set", "{\"cntlid\": 0, \"drop\": true}", P, "params.cntlid: 0 is out of range" },
		{ "keepalive.policy.set", "{\"cntlid\": \"one\", \"drop\": true}", P,
		  "params.cntlid: \"one\" is not an integer" },
		{ "keepalive.policy.set", "{\"host\": \"host 1\", \"drop\": true}", P, "is not an NQN" },
		{ "keepalive.policy.set", "{\"subsystem\": 7, \"drop\": true}", P,
		  "params.subsystem: expected a string" },
		{ "keepalive.policy.set", "{\"cntlid\": 1, \"status\": 32768}", P,
		  "params.status: 32768 is out of range" },
		{ "keepalive.policy.set", "{\"cntlid\": 1, \"status\": \"0x4002\"}", P,
		  "params.status: \"0x4002\" is not an integer" },
		{ "keepalive.policy.set", "{\"cntlid\": 1, \"status\": -1}", P, "params.status: -1 is out of range" },
		{ "keepalive.policy.set", "{\"cntlid\": 1, \"expire\": 0}", P,
		  "not a fraction of KATO from 0.001 to 10" },
		{ "keepalive.policy.set", "{\"cntlid\": 1, \"expire\": 10.5}", P,
		  "not a fraction of KATO from 0.001 to 10" },
		{ "keepalive.policy.set", "{\"cntlid\": 1, \"expire\": 0.0001}", P,
		  "not a fraction of KATO from 0.001 to 10" },
		{ "keepalive.policy.set", "{\"cntlid\": 1, \"expire\": \"soon\"}", P, "not a fraction of KATO" },
		{ "keepalive.policy.set", "{\"cntlid\": 1, \"delay_ms\": 3600001}", P,
		  "params.delay_ms: 3600001 is out of range" },
		{ "keepalive.policy.set", "{\"cntlid\": 1, \"kas\": 0}", P, "params.kas: 0 is out of range" },
		{ "keepalive.policy.set", "{\"cntlid\": 1, \"drop\": \"yes\"}", P,
		  "params.drop: \"yes\" is not a boolean" },
		{ "keepalive.policy.set", "{\"cntlid\": 1, \"refuse_set_kato\": 0}", P,
		  "params.refuse_set_kato: 0 is out of range" },
		{ "keepalive.policy.set", "{\"cntlid\": 1}", P, "changes nothing" },
		{ "keepalive.policy.set", "{\"scope\": {\"cntlid\": 0}, \"drop\": true}", P,
		  "params.scope.cntlid: 0 is out of range" },
		{ "keepalive.policy.set", "{\"cntlid\": 1, \"drop\": true, \"dorp\": true}", P,
		  "unknown parameter \"dorp\"" },
		{ "keepalive.policy.set", "[1]", P, "must be an object" },
		{ "keepalive.policy.get", NULL, P, "which rule" },
		{ "keepalive.policy.get", "{\"cntlid\": 99}", NF, "no keep-alive policy rule for cntlid 99" },
		{ "keepalive.policy.get", "{\"cntlid\": 99, \"drop\": true}", P, "unknown parameter \"drop\"" },
		{ "keepalive.policy.clear", "{\"host\": \"nqn.2026-11.io.kato:nobody\"}", NF,
		  "no keep-alive policy rule for host nqn.2026-11.io.kato:nobody" },
		{ "keepalive.policy.list", "{\"cntlid\": 1}", P, "unknown parameter" },
		{ "keepalive.expire", "{\"cntlid\": 999}", NF, "no controller of cntlid 999" },
		{ "keepalive.expire", "{\"subsystem\": \"nqn.2026-11.io.kato:none\"}", NF, "no controller" },
		{ "keepalive.trace", "{\"file\": \"relative.jsonl\"}", P, "not an absolute path" },
		{ "keepalive.trace", "{\"file\": 5}", P, "\"file\" must be" },
		{ "keepalive.trace", "{\"file\": \"/nonexistent-kato-dir/t.jsonl\"}", P, "No such file" },
		{ "keepalive.trace", "{\"path\": \"/tmp/x\"}", P, "unknown parameter \"path\"" },
		{ "keepalive.trace.subscribe", "{\"x\": 1}", P, "unknown parameter" },
		{ "keepalive.trace.unsubscribe", "{\"x\": 1}", P, "unknown parameter" },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		call_err(refused[i].method, refused[i].params, refused[i].code, refused[i].words);

	/* a rule reads as in the configuration file (one reader, config/):
	 * nvmetcli-style "77" and 1 are an integer and true there and here */
	struct json_object *resp0, *r0 = call("keepalive.policy.set", "{\"cntlid\": \"77\", \"drop\": 1}", &resp0);
	assert_int_equal(json_object_get_int(hn_get(hn_get(r0, "rule"), "cntlid")), 77);
	assert_true(json_object_get_boolean(hn_get(hn_get(r0, "rule"), "drop")));
	json_object_put(resp0);
	assert_int_equal(call_int("keepalive.policy.clear", "{\"cntlid\": 77}", "cleared"), 1);

	/* at most 64 rules */
	char p[128];
	for (unsigned i = 1; i <= 64; i++) {
		snprintf(p, sizeof(p), "{\"cntlid\": %u, \"kas\": %u}", 1000 + i, i);
		call_ok("keepalive.policy.set", p);
	}
	call_err("keepalive.policy.set", "{\"cntlid\": 2000, \"drop\": true}", P, "too many rules");
	/* replacing one is still fine */
	call_ok("keepalive.policy.set", "{\"cntlid\": 1001, \"drop\": true}");
	assert_int_equal(call_int("keepalive.policy.clear", NULL, "cleared"), 64);
	struct json_object *resp, *r = call("keepalive.policy.list", NULL, &resp);
	assert_int_equal(json_object_array_length(r), 0);
	json_object_put(resp);
	hn_pass(&K);
}

/* ---- katoctl -------------------------------------------------------------- */

static void katoctl_keepalive(void **state)
{
	(void)state;
	static char out[65536];
	struct kh_host *a = admin_up(NULL, 10000, 0);
	uint16_t id = kh_cntlid(a);
	int rc;

	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "keepalive policy set --cntlid %u --delay-ms 300 --status 0x4002",
				 id), 0);
	assert_non_null(strstr(out, "\"delay_ms\":300"));
	assert_non_null(strstr(out, "1 live controller"));
	settle();
	uint64_t dt = timed_keep_alive(a, &rc);
	HN_ASSERT_SC(rc, NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	assert_true(dt >= 300 && dt <= 300 + SLACK_MS);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "keepalive policy set -n %s --expire never --no-drop", HN_SUBNQN), 0);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "keepalive policy get --cntlid %u", id), 0);
	assert_non_null(strstr(out, "\"status\":16386"));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "keepalive policy list"), 0);
	assert_non_null(strstr(out, "DELAY MS"));
	assert_non_null(strstr(out, "never"));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "controllers --cntlid %u", id), 0);
	assert_non_null(strstr(out, "KA POLICY"));
	assert_non_null(strstr(out, "\"delay_ms\":300"));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "keepalive policy clear --cntlid %u", id), 0);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "keepalive policy clear"), 0);
	assert_non_null(strstr(out, "cleared: 1"));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "keepalive policy get --cntlid %u", id), 1);
	assert_non_null(strstr(out, "no keep-alive policy rule"));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "keepalive policy set --cntlid %u --expire 11", id), 1);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "keepalive policy set --cntlid %u --delay-ms x", id), 2);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "keepalive policy frob"), 2);

	/* trace file on and off */
	const char *tr = hn_path(&K, "ctl.jsonl");
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "keepalive trace --file %s", tr), 0);
	assert_non_null(strstr(out, tr));
	HN_ASSERT_OK(kh_keep_alive(a));
	assert_true(file_size(tr) > 0);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "keepalive trace --off"), 0);
	assert_non_null(strstr(out, "null"));

	/* --follow prints the events as JSON lines */
	char cmd[2048], args[64];
	snprintf(args, sizeof(args), "keepalive trace --follow --count 2");
	FILE *p = popen(hn_katoctl_cmd(&K, cmd, sizeof(cmd), args), "r");
	assert_non_null(p);
	uint64_t t0 = kh_now_ms();
	while (call_int("keepalive.trace", NULL, "subscribers") < 1) {
		assert_true(kh_now_ms() - t0 < 5000);
		sleep_ms(20);
	}
	HN_ASSERT_OK(kh_keep_alive(a));
	HN_ASSERT_OK(kh_keep_alive(a));
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
	char *second = strchr(out, '\n');
	assert_non_null(second);
	assert_non_null(strstr(out, "\"method\":\"keepalive.event\""));
	assert_non_null(strstr(second + 1, "\"event\":\"keep_alive\""));

	/* expire by controller id */
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "keepalive expire --cntlid %u", id), 0);
	assert_non_null(strstr(out, "expired: 1"));
	HN_ASSERT_OK(kh_wait_closed(a, 2000, NULL));
	kh_close(a);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "keepalive expire --cntlid %u", id), 1);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "keepalive"), 2);
	hn_pass(&K);
}

int main(void)
{
	HN_NEED_KATOD();
	const struct CMUnitTest tests[] = {
		HN_TEST(policy_live),
		HN_TEST(controllers_list_policy),
		HN_TEST(policy_from_reload),
		HN_TEST(config_save_rules),
		HN_TEST(force_expiry),
		HN_TEST(trace_file_live),
		HN_TEST(subscribe_in_order),
		HN_TEST(slow_subscriber_told),
		HN_TEST(refusals),
		HN_TEST(katoctl_keepalive),
	};
	return cmocka_run_group_tests(tests, group_setup, hn_group_teardown);
}

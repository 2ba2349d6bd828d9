/*
 * test_control.c - the control socket against a running katod: every
 * JSON-RPC method (version, ports/subsystems/namespaces/hosts/controllers
 * lists, controllers.disconnect, counters, config.save) with a live
 * controller from the test initiator, every refusal (not JSON, not a
 * request, unknown method, bad or unknown params, unknown objects), batches
 * and notifications, and katoctl's output and exit statuses.
 * One katod serves every test in the file.
 */
#include <errno.h>
#include <libgen.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "config/config.h"
#include "tests/host/host.h"
#include "tests/integration/harness.h"
#include "tests/integration/harness_ctl.h"

#define RESTRICTED_NQN "nqn.2026-11.io.kato:restricted"

static struct hn_katod K;

static const char CONFIG[] =
	"{\n"
	"  \"hosts\": [{\"nqn\": \"" HN_HOSTNQN2 "\"}],\n"
	"  \"ports\": [{\"portid\": 7, \"addr\": {\"trtype\": \"tcp\", \"adrfam\": \"ipv4\",\n"
	"    \"traddr\": \"" HN_ADDR "\", \"trsvcid\": \"%u\"},\n"
	"    \"subsystems\": [\"" HN_SUBNQN "\", \"" RESTRICTED_NQN "\"]}],\n"
	"  \"subsystems\": [\n"
	"    {\"nqn\": \"" HN_SUBNQN "\", \"attr\": {\"allow_any_host\": \"1\", \"serial\": \"kato-ctl-1\"},\n"
	"     \"namespaces\": [\n"
	"       {\"nsid\": 1, \"device\": {\"backend\": \"ram\", \"size\": \"8M\"}},\n"
	"       {\"nsid\": 2, \"device\": {\"backend\": \"file\", \"path\": \"%s\", \"size\": \"1M\",\n"
	"                                  \"block_size\": 4096}}]},\n"
	"    {\"nqn\": \"" RESTRICTED_NQN "\", \"allowed_hosts\": [\"" HN_HOSTNQN2 "\"],\n"
	"     \"namespaces\": [{\"nsid\": 1, \"device\": {\"backend\": \"null\", \"size\": \"1G\"}}]}],\n"
	"  \"katod\": {\"workers\": 2, \"log_level\": \"debug\"}\n"
	"}\n";

static int group_setup(void **state)
{
	*state = &K;
	if (hn_init(&K, 1))
		return -1;
	/* a file namespace: flushed at exit */
	char *zero = calloc(1, 1 << 20);
	FILE *f = fopen(hn_path(&K, "ns2.img"), "w");
	if (!zero || !f || fwrite(zero, 1, 1 << 20, f) != 1 << 20 || fclose(f))
		return -1;
	free(zero);
	return hn_start(&K, 1, CONFIG, K.port[0], hn_path(&K, "ns2.img"));
}

/* ---- the control socket (tests/integration/harness_ctl.h) -------------- */

static struct json_object *call(const char *method, const char *params, struct json_object **resp)
{
	return hn_ctl_call(&K, resp, method, params);
}

static void call_err(const char *method, const char *params, int code, const char *words)
{
	hn_ctl_err(&K, method, params, code, words);
}

static struct kh_host *admin_up(const char *hostnqn, const char *subnqn)
{
	struct kh_opts o = { .subnqn = subnqn, .hostnqn = hostnqn, .kato_ms = 30000 };
	struct kh_host *a = NULL;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, K.port[0], &o));
	return a;
}

/* The entry of array `a` whose integer `key` is v, or NULL. */
static struct json_object *find_int(struct json_object *a, const char *key, int64_t v)
{
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		if (json_object_get_int64(hn_get(e, key)) == v)
			return e;
	}
	return NULL;
}

/* ---- methods ---------------------------------------------------------- */

static void version(void **state)
{
	(void)state;
	struct json_object *resp, *r = call("version", NULL, &resp);
	assert_string_equal(json_object_get_string(hn_get(r, "name")), "katod");
	assert_string_equal(json_object_get_string(hn_get(r, "version")), KATO_VERSION);
	assert_int_equal(json_object_get_int(hn_get(r, "pid")), K.pid);
	assert_int_equal(json_object_get_int(hn_get(r, "workers")), 2);
	assert_true(json_object_array_length(hn_get(r, "methods")) >= 9); /* more as methods are added */
	json_object_put(resp);
	call_err("version", "{\"verbose\": true}", -32602, "unknown parameter \"verbose\"");
	hn_pass(&K);
}

static void ports_list(void **state)
{
	(void)state;
	struct json_object *resp, *r = call("ports.list", NULL, &resp);
	assert_int_equal(json_object_array_length(r), 1);
	struct json_object *p = json_object_array_get_idx(r, 0);
	assert_int_equal(json_object_get_int(hn_get(p, "portid")), 7);
	assert_string_equal(json_object_get_string(hn_get(p, "traddr")), HN_ADDR);
	assert_int_equal(atoi(json_object_get_string(hn_get(p, "trsvcid"))), K.port[0]);
	assert_string_equal(json_object_get_string(hn_get(p, "trtype")), "tcp");
	assert_int_equal(json_object_array_length(hn_get(p, "subsystems")), 2);
	json_object_put(resp);
	r = call("ports.list", "{\"portid\": 7}", &resp);
	assert_int_equal(json_object_array_length(r), 1);
	json_object_put(resp);
	call_err("ports.list", "{\"portid\": 8}", -32001, "no port 8");
	call_err("ports.list", "{\"portid\": 70000}", -32602, "out of range");
	call_err("ports.list", "{\"portid\": \"7\"}", -32602, "must be an integer");
	hn_pass(&K);
}

static void subsystems_list(void **state)
{
	(void)state;
	struct kh_host *a = admin_up(NULL, HN_SUBNQN);
	struct json_object *resp, *r = call("subsystems.list", NULL, &resp);
	assert_int_equal(json_object_array_length(r), 3); /* discovery + 2 */
	struct json_object *d = json_object_array_get_idx(r, 0);
	assert_true(json_object_get_boolean(hn_get(d, "discovery")));
	struct json_object *s = json_object_array_get_idx(r, 1);
	assert_string_equal(json_object_get_string(hn_get(s, "nqn")), HN_SUBNQN);
	assert_string_equal(json_object_get_string(hn_get(s, "serial")), "kato-ctl-1");
	assert_int_equal(json_object_get_int(hn_get(s, "namespaces")), 2);
	assert_int_equal(json_object_get_int(hn_get(s, "controllers")), 1);
	assert_true(json_object_get_boolean(hn_get(s, "allow_any_host")));
	json_object_put(resp);

	r = call("subsystems.list", "{\"nqn\": \"" RESTRICTED_NQN "\"}", &resp);
	assert_int_equal(json_object_array_length(r), 1);
	s = json_object_array_get_idx(r, 0);
	assert_false(json_object_get_boolean(hn_get(s, "allow_any_host")));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(hn_get(s, "allowed_hosts"), 0)), HN_HOSTNQN2);
	assert_int_equal(json_object_get_int(hn_get(s, "controllers")), 0);
	json_object_put(resp);
	call_err("subsystems.list", "{\"nqn\": \"nqn.2026-11.io.kato:nope\"}", -32001, "no subsystem");
	call_err("subsystems.list", "{\"nqn\": 5}", -32602, "must be a string");
	call_err("subsystems.list", "[\"" HN_SUBNQN "\"]", -32602, "must be an object");
	kh_close(a);
	hn_pass(&K);
}

static void namespaces_list(void **state)
{
	(void)state;
	struct json_object *resp, *r = call("namespaces.list", NULL, &resp);
	assert_int_equal(json_object_array_length(r), 3);
	json_object_put(resp);
	r = call("namespaces.list", "{\"subsystem\": \"" HN_SUBNQN "\"}", &resp);
	assert_int_equal(json_object_array_length(r), 2);
	struct json_object *n1 = find_int(r, "nsid", 1), *n2 = find_int(r, "nsid", 2);
	assert_non_null(n1);
	assert_non_null(n2);
	assert_string_equal(json_object_get_string(hn_get(n1, "backend")), "ram");
	assert_int_equal(json_object_get_int64(hn_get(n1, "size")), 8 << 20);
	assert_int_equal(json_object_get_int(hn_get(n1, "block_size")), 512);
	assert_true(json_object_get_boolean(hn_get(n1, "enabled")));
	assert_string_equal(json_object_get_string(hn_get(n2, "backend")), "file");
	assert_string_equal(json_object_get_string(hn_get(n2, "path")), hn_path(&K, "ns2.img"));
	assert_int_equal(json_object_get_int(hn_get(n2, "block_size")), 4096);
	assert_int_equal(json_object_get_int64(hn_get(n2, "blocks")), 256);
	assert_int_equal(strlen(json_object_get_string(hn_get(n2, "uuid"))), 36);
	json_object_put(resp);
	r = call("namespaces.list", "{\"subsystem\": \"" HN_SUBNQN "\", \"nsid\": 2}", &resp);
	assert_int_equal(json_object_array_length(r), 1);
	json_object_put(resp);
	call_err("namespaces.list", "{\"nsid\": 2}", -32602, "needs \"subsystem\"");
	call_err("namespaces.list", "{\"subsystem\": \"" HN_SUBNQN "\", \"nsid\": 3}", -32001, "no namespace 3");
	call_err("namespaces.list", "{\"subsystem\": \"" HN_SUBNQN "\", \"nsid\": 0}", -32602, "out of range");
	call_err("namespaces.list", "{\"subsystem\": \"nqn.x\"}", -32001, "no subsystem \"nqn.x\"");
	hn_pass(&K);
}

static void hosts_list(void **state)
{
	(void)state;
	struct json_object *resp, *r = call("hosts.list", "{}", &resp);
	assert_int_equal(json_object_array_length(r), 1);
	struct json_object *h = json_object_array_get_idx(r, 0);
	assert_string_equal(json_object_get_string(hn_get(h, "nqn")), HN_HOSTNQN2);
	assert_int_equal(json_object_array_length(hn_get(h, "allowed_in")), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(hn_get(h, "allowed_in"), 0)), RESTRICTED_NQN);
	json_object_put(resp);
	hn_pass(&K);
}

/* A controller with an I/O queue: listed with its host, peer and queues;
 * its reads and writes are counted. */
static void controllers_and_counters(void **state)
{
	(void)state;
	struct kh_host *a = admin_up(HN_HOSTNQN2, RESTRICTED_NQN), *io = NULL;
	HN_ASSERT_OK(kh_io_up(&io, a, HN_ADDR, K.port[0], 1, NULL, NULL));
	uint16_t id = kh_cntlid(a);
	static uint8_t buf[8192];
	HN_ASSERT_OK(kh_write(io, 1, 0, 16, buf, sizeof(buf), false));
	HN_ASSERT_OK(kh_write(io, 1, 16, 16, buf, sizeof(buf), false));
	HN_ASSERT_OK(kh_read(io, 1, 0, 8, buf, 4096));

	char p[128];
	snprintf(p, sizeof(p), "{\"subsystem\": \"%s\"}", RESTRICTED_NQN);
	struct json_object *resp, *r = call("controllers.list", p, &resp);
	assert_int_equal(json_object_array_length(r), 1);
	struct json_object *c = json_object_array_get_idx(r, 0);
	assert_int_equal(json_object_get_int(hn_get(c, "cntlid")), id);
	assert_string_equal(json_object_get_string(hn_get(c, "hostnqn")), HN_HOSTNQN2);
	assert_string_equal(json_object_get_string(hn_get(c, "subsystem")), RESTRICTED_NQN);
	assert_int_equal(strncmp(json_object_get_string(hn_get(c, "peer")), HN_ADDR ":", strlen(HN_ADDR) + 1), 0);
	assert_int_equal(json_object_get_int(hn_get(c, "portid")), 7);
	assert_int_equal(json_object_get_int(hn_get(c, "queues")), 2);
	assert_int_equal(json_object_get_int(hn_get(c, "io_queues")), 1);
	assert_int_equal(json_object_get_int(hn_get(c, "kato_ms")), 30000);
	assert_true(json_object_get_boolean(hn_get(c, "enabled")));
	assert_true(json_object_get_boolean(hn_get(c, "ready")));
	assert_false(json_object_get_boolean(hn_get(c, "discovery")));
	assert_true(json_object_get_int64(hn_get(c, "ms_since_keep_alive")) < 30000);
	assert_true(json_object_get_int64(hn_get(c, "ms_since_traffic")) < 30000);
	assert_int_equal(strlen(json_object_get_string(hn_get(c, "hostid"))), 36);
	json_object_put(resp);

	snprintf(p, sizeof(p), "{\"cntlid\": %u, \"subsystem\": \"%s\"}", id, RESTRICTED_NQN);
	r = call("counters", p, &resp);
	r = hn_get(r, "controllers");
	assert_int_equal(json_object_array_length(r), 1);
	c = json_object_array_get_idx(r, 0);
	assert_int_equal(json_object_get_int64(hn_get(c, "write_commands")), 2);
	assert_int_equal(json_object_get_int64(hn_get(c, "read_commands")), 1);
	assert_int_equal(json_object_get_int64(hn_get(c, "bytes_written")), 16384);
	assert_int_equal(json_object_get_int64(hn_get(c, "bytes_read")), 4096);
	assert_int_equal(json_object_get_int64(hn_get(c, "errors")), 0);
	json_object_put(resp);

	call_err("controllers.list", "{\"cntlid\": 65000}", -32001, "no controller 65000");
	call_err("counters", "{\"subsystem\": \"nqn.2026-11.io.kato:none\"}", -32001, "no subsystem");
	call_err("controllers.list", "{\"cntlid\": -1}", -32602, "out of range");
	kh_close(io);
	kh_close(a);
	hn_pass(&K);
}

/* A controller disconnected through the control socket loses every queue;
 * refusals name what is wrong. */
static void controllers_disconnect(void **state)
{
	(void)state;
	struct kh_host *a = admin_up(NULL, HN_SUBNQN), *io = NULL;
	HN_ASSERT_OK(kh_io_up(&io, a, HN_ADDR, K.port[0], 1, NULL, NULL));
	uint16_t id = kh_cntlid(a);
	char p[160];
	snprintf(p, sizeof(p), "{\"cntlid\": %u, \"subsystem\": \"%s\"}", id, HN_SUBNQN);
	struct json_object *resp, *r = call("controllers.disconnect", p, &resp);
	assert_int_equal(json_object_get_int(hn_get(r, "cntlid")), id);
	assert_true(json_object_get_boolean(hn_get(r, "disconnected")));
	json_object_put(resp);
	/* both connections are closed by katod */
	kh_set_timeout(a, 3000);
	kh_set_timeout(io, 3000);
	assert_true(kh_keep_alive(a) < 0);
	static uint8_t buf[4096];
	assert_true(kh_read(io, 1, 0, 8, buf, sizeof(buf)) < 0);
	kh_close(io);
	kh_close(a);
	assert_int_equal(hn_log_wait(&K, "disconnected through the control socket", 3000), 0);
	/* and the controller is gone (freed with its last queue) */
	int gone = 0;
	for (int i = 0; i < 100 && !gone; i++) {
		snprintf(p, sizeof(p), "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"controllers.list\","
				       " \"params\": {\"cntlid\": %u, \"subsystem\": \"%s\"}}", id, HN_SUBNQN);
		struct json_object *x = hn_ctl_raw(&K, p);
		gone = hn_has(x, "error");
		json_object_put(x);
		if (!gone)
			usleep(20000);
	}
	assert_true(gone);

	snprintf(p, sizeof(p), "{\"cntlid\": %u}", id);
	call_err("controllers.disconnect", p, -32001, "no controller");
	call_err("controllers.disconnect", "{\"cntlid\": 4242, \"subsystem\": \"" HN_SUBNQN "\"}", -32001,
		 "no controller 4242 in subsystem " HN_SUBNQN);
	call_err("controllers.disconnect", NULL, -32602, "\"cntlid\" is missing");
	call_err("controllers.disconnect", "{\"cntlid\": \"1\"}", -32602, "must be an integer");
	call_err("controllers.disconnect", "{\"cntlid\": 1, \"subsystem\": \"nqn.z\"}", -32001, "no subsystem");
	call_err("controllers.disconnect", "{\"cntlid\": 1, \"force\": true}", -32602, "unknown parameter \"force\"");
	hn_pass(&K);
}

/* config.save answers the running configuration, which loads again. */
static void config_save(void **state)
{
	(void)state;
	struct json_object *resp, *r = call("config.save", NULL, &resp);
	struct json_object *cfg = hn_get(r, "config");
	assert_int_equal(json_object_array_length(hn_get(cfg, "subsystems")), 2);
	assert_int_equal(json_object_array_length(hn_get(cfg, "ports")), 1);
	assert_int_equal(json_object_get_int(hn_get(hn_get(cfg, "katod"), "workers")), 2);
	struct kt_config *c = NULL;
	char err[512] = "";
	if (kt_config_load_string(json_object_to_json_string(cfg), &c, err, sizeof(err)))
		fail_msg("saved configuration does not load: %s", err);
	assert_int_equal(c->n_subsys, 2);
	assert_string_equal(c->subsys[0].ns[1].path, hn_path(&K, "ns2.img"));
	assert_int_equal(c->ports[0].portid, 7);
	kt_config_free(c);
	json_object_put(resp);
	call_err("config.save", "{\"path\": \"/tmp/x\"}", -32602, "unknown parameter \"path\"");
	hn_pass(&K);
}

/* ---- protocol refusals ------------------------------------------------ */

static int err_code(struct json_object *r)
{
	return json_object_get_int(hn_get(hn_get(r, "error"), "code"));
}

static void refusals(void **state)
{
	(void)state;
	call_err("subsystems.frobnicate", "{\"nqn\": \"nqn.a\"}", -32601, "no method \"subsystems.frobnicate\"");
	call_err("", NULL, -32601, "no method");

	struct json_object *r = hn_ctl_raw(&K, "{\"jsonrpc\": \"1.0\", \"id\": 3, \"method\": \"version\"}");
	assert_int_equal(err_code(r), -32600);
	assert_int_equal(json_object_get_int(hn_get(r, "id")), 3);
	json_object_put(r);
	r = hn_ctl_raw(&K, "{\"jsonrpc\": \"2.0\", \"id\": 4}");
	assert_int_equal(err_code(r), -32600);
	json_object_put(r);
	r = hn_ctl_raw(&K, "{\"jsonrpc\": \"2.0\", \"id\": 5, \"method\": 17}");
	assert_int_equal(err_code(r), -32600);
	json_object_put(r);
	r = hn_ctl_raw(&K, "{\"jsonrpc\": \"2.0\", \"id\": 6, \"method\": \"version\", \"params\": 1}");
	assert_int_equal(err_code(r), -32600);
	json_object_put(r);
	r = hn_ctl_raw(&K, "{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": \"version\", \"extra\": 1}");
	assert_int_equal(err_code(r), -32600);
	json_object_put(r);
	r = hn_ctl_raw(&K, "{\"jsonrpc\": \"2.0\", \"id\": {}, \"method\": \"version\"}");
	assert_int_equal(err_code(r), -32600);
	assert_true(json_object_is_type(hn_get(r, "id"), json_type_null));
	json_object_put(r);
	r = hn_ctl_raw(&K, "42 ");
	assert_int_equal(err_code(r), -32600);
	json_object_put(r);
	r = hn_ctl_raw(&K, "{\"jsonrpc\": \"2.0\", \"id\": \"x\", \"method\": \"nope\"}");
	assert_int_equal(err_code(r), -32601); /* a string id comes back as it was */
	assert_string_equal(json_object_get_string(hn_get(r, "id")), "x");
	json_object_put(r);
	r = hn_ctl_raw(&K, "[]");
	assert_int_equal(err_code(r), -32600);
	json_object_put(r);

	/* not JSON: a parse error, then the connection closes */
	struct hn_ctl *c = hn_ctl_open(&K);
	hn_ctl_send(c, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": version}\n");
	r = hn_ctl_line(c, 10000);
	assert_int_equal(err_code(r), -32700);
	assert_true(json_object_is_type(hn_get(r, "id"), json_type_null));
	json_object_put(r);
	assert_null(hn_ctl_line(c, 10000));
	hn_ctl_close(c);

	/* several requests on one connection, split anywhere and spread over
	 * lines; a notification gets no answer */
	c = hn_ctl_open(&K);
	hn_ctl_send(c, "{\"jsonrpc\": \"2.0\", \"method\": \"version\"}\n{\"jsonrpc\":");
	usleep(50000);
	hn_ctl_send(c, " \"2.0\",\n \"id\": 10, \"method\": \"ports.list\"}{\"jsonrpc\": \"2.0\", \"id\": 11, "
		     "\"method\": \"hosts.list\"}");
	r = hn_ctl_line(c, 10000);
	assert_int_equal(json_object_get_int(hn_get(r, "id")), 10);
	json_object_put(r);
	r = hn_ctl_line(c, 10000);
	assert_int_equal(json_object_get_int(hn_get(r, "id")), 11);
	json_object_put(r);

	/* a batch: answers for the requests, none for the notification */
	hn_ctl_send(c, "[{\"jsonrpc\": \"2.0\", \"id\": 20, \"method\": \"version\"},"
		     " {\"jsonrpc\": \"2.0\", \"method\": \"nope\"},"
		     " {\"jsonrpc\": \"2.0\", \"id\": 21, \"method\": \"nope\"}, 5]\n");
	r = hn_ctl_line(c, 10000);
	assert_true(json_object_is_type(r, json_type_array));
	assert_int_equal(json_object_array_length(r), 3);
	assert_int_equal(json_object_get_int(hn_get(json_object_array_get_idx(r, 0), "id")), 20);
	assert_true(hn_has(json_object_array_get_idx(r, 0), "result"));
	assert_int_equal(err_code(json_object_array_get_idx(r, 1)), -32601);
	assert_int_equal(err_code(json_object_array_get_idx(r, 2)), -32600);
	json_object_put(r);
	hn_ctl_close(c);
	hn_pass(&K);
}

/* ---- katoctl ---------------------------------------------------------- */

static void katoctl_client(void **state)
{
	(void)state;
	static char out[65536];
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "version"), 0);
	assert_non_null(strstr(out, KATO_VERSION));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "subsystems"), 0);
	assert_non_null(strstr(out, "NQN"));
	assert_non_null(strstr(out, "kato-ctl-1"));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "namespaces list -n %s", HN_SUBNQN), 0);
	assert_non_null(strstr(out, "ns2.img"));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "ports --json"), 0);
	struct json_object *j = json_tokener_parse(out);
	assert_non_null(j);
	assert_int_equal(json_object_array_length(j), 1);
	json_object_put(j);

	struct kh_host *a = admin_up(NULL, HN_SUBNQN);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "controllers"), 0);
	assert_non_null(strstr(out, "CNTLID"));
	assert_non_null(strstr(out, KH_DEFAULT_HOSTNQN));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "counters --cntlid %u", kh_cntlid(a)), 0);
	assert_non_null(strstr(out, "BYTES WRITTEN"));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "controllers disconnect %u -n %s", kh_cntlid(a), HN_SUBNQN), 0);
	assert_non_null(strstr(out, "disconnected"));
	kh_close(a);

	/* config save FILE writes a configuration katod loads */
	const char *saved = hn_path(&K, "saved.json");
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "config save %s", saved), 0);
	struct kt_config *c = NULL;
	char err[512] = "";
	if (kt_config_load_file(saved, &c, err, sizeof(err)))
		fail_msg("%s: %s", saved, err);
	assert_int_equal(c->n_subsys, 2);
	kt_config_free(c);

	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "call version"), 0);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "call ports.list '{\"portid\": 7}'"), 0);
	/* 1: katod refused; 2: usage or unreachable */
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "controllers disconnect 4242"), 1);
	assert_non_null(strstr(out, "no controller 4242"));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "call no.such.method"), 1);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "frobnicate"), 2);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "controllers disconnect"), 2);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "controllers --cntlid x"), 2);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "-s /nonexistent/katod.sock version"), 2);
	assert_non_null(strstr(out, "cannot reach katod"));
	hn_pass(&K);
}

int main(void)
{
	HN_NEED_KATOD();
	const struct CMUnitTest tests[] = {
		HN_TEST(version),
		HN_TEST(ports_list),
		HN_TEST(subsystems_list),
		HN_TEST(namespaces_list),
		HN_TEST(hosts_list),
		HN_TEST(controllers_and_counters),
		HN_TEST(controllers_disconnect),
		HN_TEST(config_save),
		HN_TEST(refusals),
		HN_TEST(katoctl_client),
	};
	return cmocka_run_group_tests(tests, group_setup, hn_group_teardown_clean);
}

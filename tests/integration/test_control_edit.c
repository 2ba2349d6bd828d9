/*
 * test_control_edit.c - the control socket's methods that change a running
 * katod (daemon/control/rpc_edit.c): ports, subsystems, namespaces, hosts and
 * allowed hosts, each added, changed, linked and removed, every refusal
 * (unknown objects, duplicates, bad values, a host still allowed), and
 * proof from the test initiator that a change is live (a Connect through
 * an added port, to an added subsystem, an added namespace in Identify);
 * the per-subsystem and per-namespace counters (commands, reads, writes,
 * bytes, errors, keep-alive expiries); katoctl's subcommands for them.
 * One katod serves every test in the file.
 */
#include <endian.h>
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

#include "tests/host/host.h"
#include "tests/integration/harness.h"
#include "tests/integration/harness_ctl.h"

#define NQN_A "nqn.2026-11.io.kato:edit-a"
#define NQN_B "nqn.2026-11.io.kato:edit-b"
#define HOST_X "nqn.2014-08.org.nvmexpress:uuid:6b61746f-7465-7374-686f-7374000000aa"

static struct hn_katod K;

static const char CONFIG[] = HN_CONFIG_ONE("{\"backend\": \"ram\", \"size\": \"4M\"}",
					    "{\"workers\": 2, \"log_level\": \"debug\"}");

static int group_setup(void **state)
{
	return hn_group_start(state, &K, 4, CONFIG);
}

/* ---- a JSON-RPC client ------------------------------------------------ */

static const char *gets(struct json_object *o, const char *key)
{
	return json_object_get_string(hn_get(o, key));
}

static int64_t geti(struct json_object *o, const char *key)
{
	return json_object_get_int64(hn_get(o, key));
}

/* The result of method(params), which must succeed; kept alive in *resp. */
static struct json_object *call(struct json_object **resp, const char *method, const char *pfmt, ...)
	__attribute__((format(printf, 3, 4)));
static struct json_object *call(struct json_object **resp, const char *method, const char *pfmt, ...)
{
	char params[2048] = "";
	va_list ap;
	va_start(ap, pfmt);
	if (pfmt)
		vsnprintf(params, sizeof(params), pfmt, ap);
	va_end(ap);
	return hn_ctl_call(&K, resp, method, pfmt ? params : NULL);
}

/* method(params) must fail with `code`, its message containing `words`. */
static void refused(int code, const char *words, const char *method, const char *pfmt, ...)
	__attribute__((format(printf, 4, 5)));
static void refused(int code, const char *words, const char *method, const char *pfmt, ...)
{
	char params[2048];
	va_list ap;
	va_start(ap, pfmt);
	vsnprintf(params, sizeof(params), pfmt, ap);
	va_end(ap);
	hn_ctl_err(&K, method, params, code, words);
}

/* The number of elements of list method(params). */
static size_t count(const char *method, const char *params)
{
	struct json_object *resp, *r = call(&resp, method, "%s", params);
	size_t n = json_object_array_length(r);
	json_object_put(resp);
	return n;
}

static struct kh_host *admin_up(uint16_t port, const char *hostnqn, const char *subnqn, uint32_t kato_ms)
{
	struct kh_opts o = { .subnqn = subnqn, .hostnqn = hostnqn, .kato_ms = kato_ms };
	struct kh_host *a = NULL;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, port, &o));
	return a;
}

/* Connect to subnqn through port: 0, a status, or a negative errno. */
static int try_connect(uint16_t port, const char *hostnqn, const char *subnqn)
{
	struct kh_opts o = { .subnqn = subnqn, .hostnqn = hostnqn, .timeout_ms = 3000 };
	struct kh_host *a = NULL;
	int rc = kh_admin_up(&a, HN_ADDR, port, &o);
	kh_close(a);
	return rc;
}

#define INVALID (-32602)
#define NOT_FOUND (-32001)

/* ---- ports ------------------------------------------------------------ */

static void ports(void **state)
{
	(void)state;
	struct json_object *resp, *r;
	r = call(&resp, "ports.add", "{\"portid\": 2, \"traddr\": \"%s\", \"trsvcid\": \"%u\"}", HN_ADDR, K.port[1]);
	assert_int_equal(geti(r, "portid"), 2);
	assert_string_equal(gets(r, "trtype"), "tcp");
	assert_string_equal(gets(r, "adrfam"), "ipv4");
	assert_string_equal(gets(r, "traddr"), HN_ADDR);
	assert_int_equal(atoi(gets(r, "trsvcid")), K.port[1]);
	assert_int_equal(json_object_array_length(hn_get(r, "subsystems")), 0);
	json_object_put(resp);
	assert_int_equal(count("ports.list", "{}"), 2);

	/* a port with no subsystem: Connect to the subsystem is refused there */
	assert_true(try_connect(K.port[1], NULL, HN_SUBNQN) != 0);
	r = call(&resp, "ports.link", "{\"portid\": 2, \"subsystem\": \"%s\"}", HN_SUBNQN);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(hn_get(r, "subsystems"), 0)), HN_SUBNQN);
	json_object_put(resp);
	HN_ASSERT_OK(try_connect(K.port[1], NULL, HN_SUBNQN));

	/* set: inline data size, then a new address (the listener moves) */
	r = call(&resp, "ports.set", "{\"portid\": 2, \"inline_data_size\": 16384}");
	assert_int_equal(geti(r, "inline_data_size"), 16384);
	json_object_put(resp);
	r = call(&resp, "ports.set", "{\"portid\": 2, \"trsvcid\": %u}", K.port[2]);
	assert_int_equal(atoi(gets(r, "trsvcid")), K.port[2]);
	json_object_put(resp);
	HN_ASSERT_OK(try_connect(K.port[2], NULL, HN_SUBNQN));

	/* refusals */
	refused(INVALID, "port 2 exists already", "ports.add",
		"{\"portid\": 2, \"traddr\": \"%s\", \"trsvcid\": \"%u\"}", HN_ADDR, K.port[3]);
	refused(INVALID, "\"trsvcid\" is missing", "ports.add", "{\"portid\": 3, \"traddr\": \"%s\"}", HN_ADDR);
	refused(INVALID, "trtype", "ports.add", "{\"portid\": 3, \"traddr\": \"%s\", \"trsvcid\": \"%u\", \"trtype\": \"rdma\"}",
		HN_ADDR, K.port[3]);
	refused(INVALID, "adrfam", "ports.add", "{\"portid\": 3, \"traddr\": \"%s\", \"trsvcid\": \"%u\", \"adrfam\": \"ib\"}",
		HN_ADDR, K.port[3]);
	refused(INVALID, "\"portid\" must be an integer", "ports.add",
		"{\"portid\": true, \"traddr\": \"%s\", \"trsvcid\": \"1\"}", HN_ADDR);
	refused(INVALID, "\"portid\" is out of range", "ports.add",
		"{\"portid\": 70000, \"traddr\": \"%s\", \"trsvcid\": \"1\"}", HN_ADDR);
	refused(INVALID, "unknown parameter \"speed\"", "ports.set", "{\"portid\": 2, \"speed\": 1}");
	refused(INVALID, "\"traddr\" must be a string", "ports.set", "{\"portid\": 2, \"traddr\": [5]}");
	refused(NOT_FOUND, "no port 9", "ports.set", "{\"portid\": 9, \"treq\": \"not required\"}");
	refused(NOT_FOUND, "no port 9", "ports.remove", "{\"portid\": 9}");
	refused(NOT_FOUND, "no port 9", "ports.link", "{\"portid\": 9, \"subsystem\": \"%s\"}", HN_SUBNQN);
	refused(NOT_FOUND, "no subsystem \"nqn.2026-11.io.kato:none\"", "ports.link",
		"{\"portid\": 2, \"subsystem\": \"nqn.2026-11.io.kato:none\"}");
	refused(INVALID, "already linked", "ports.link", "{\"portid\": 2, \"subsystem\": \"%s\"}", HN_SUBNQN);
	/* a port katod cannot listen on changes nothing */
	refused(INVALID, "ports.add 3", "ports.add", "{\"portid\": 3, \"traddr\": \"%s\", \"trsvcid\": \"%u\"}",
		HN_ADDR, K.port[0]);
	assert_int_equal(count("ports.list", "{}"), 2);

	r = call(&resp, "ports.unlink", "{\"portid\": 2, \"subsystem\": \"%s\"}", HN_SUBNQN);
	assert_int_equal(json_object_array_length(hn_get(r, "subsystems")), 0);
	json_object_put(resp);
	refused(NOT_FOUND, "not linked", "ports.unlink", "{\"portid\": 2, \"subsystem\": \"%s\"}", HN_SUBNQN);
	r = call(&resp, "ports.remove", "{\"portid\": 2}");
	assert_true(json_object_get_boolean(hn_get(r, "removed")));
	json_object_put(resp);
	assert_int_equal(count("ports.list", "{}"), 1);
	assert_true(try_connect(K.port[2], NULL, HN_SUBNQN) < 0); /* nobody listens */
	hn_pass(&K);
}

/* ---- subsystems and hosts ------------------------------------------- */

static void subsystems_and_hosts(void **state)
{
	(void)state;
	struct json_object *resp, *r;
	r = call(&resp, "subsystems.add", "{\"nqn\": \"%s\", \"serial\": \"edit-serial\", \"model\": \"edit model\","
					  " \"cntlid_min\": 10, \"cntlid_max\": 20}", NQN_A);
	assert_string_equal(gets(r, "nqn"), NQN_A);
	assert_string_equal(gets(r, "serial"), "edit-serial");
	assert_string_equal(gets(r, "model"), "edit model");
	assert_false(json_object_get_boolean(hn_get(r, "allow_any_host")));
	assert_int_equal(geti(r, "cntlid_min"), 10);
	assert_int_equal(geti(r, "cntlid_max"), 20);
	json_object_put(resp);
	call(&resp, "ports.link", "{\"portid\": 1, \"subsystem\": \"%s\"}", NQN_A);
	json_object_put(resp);

	/* no host allowed yet */
	assert_true(try_connect(K.port[0], HOST_X, NQN_A) > 0);
	r = call(&resp, "subsystems.allow_host", "{\"nqn\": \"%s\", \"host\": \"%s\"}", NQN_A, HOST_X);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(hn_get(r, "allowed_hosts"), 0)), HOST_X);
	json_object_put(resp);
	/* allow_host created the host */
	r = call(&resp, "hosts.list", NULL);
	assert_int_equal(json_object_array_length(r), 1);
	assert_string_equal(gets(json_object_array_get_idx(r, 0), "nqn"), HOST_X);
	json_object_put(resp);
	struct kh_host *a = admin_up(K.port[0], HOST_X, NQN_A, 30000);
	assert_true(kh_cntlid(a) >= 10 && kh_cntlid(a) <= 20);
	kh_close(a);
	assert_true(try_connect(K.port[0], HN_HOSTNQN2, NQN_A) > 0);

	/* set: a serial; allow_any_host with hosts listed is refused */
	r = call(&resp, "subsystems.set", "{\"nqn\": \"%s\", \"serial\": \"edit-2\"}", NQN_A);
	assert_string_equal(gets(r, "serial"), "edit-2");
	json_object_put(resp);
	refused(INVALID, "allow_any_host", "subsystems.set", "{\"nqn\": \"%s\", \"allow_any_host\": true}", NQN_A);

	/* hosts */
	r = call(&resp, "hosts.add", "{\"nqn\": \"%s\"}", HN_HOSTNQN2);
	assert_string_equal(gets(r, "nqn"), HN_HOSTNQN2);
	assert_int_equal(json_object_array_length(hn_get(r, "allowed_in")), 0);
	json_object_put(resp);
	refused(INVALID, "exists already", "hosts.add", "{\"nqn\": \"%s\"}", HN_HOSTNQN2);
	refused(INVALID, "not an NQN", "hosts.add", "{\"nqn\": \"host 1\"}");
	refused(INVALID, "is allowed in subsystem", "hosts.remove", "{\"nqn\": \"%s\"}", HOST_X);
	refused(NOT_FOUND, "no host", "hosts.remove", "{\"nqn\": \"nqn.2014-08.org.nvmexpress:uuid:none\"}");
	refused(INVALID, "already allowed", "subsystems.allow_host", "{\"nqn\": \"%s\", \"host\": \"%s\"}", NQN_A, HOST_X);
	r = call(&resp, "subsystems.disallow_host", "{\"nqn\": \"%s\", \"host\": \"%s\"}", NQN_A, HOST_X);
	assert_int_equal(json_object_array_length(hn_get(r, "allowed_hosts")), 0);
	json_object_put(resp);
	refused(NOT_FOUND, "is not allowed", "subsystems.disallow_host", "{\"nqn\": \"%s\", \"host\": \"%s\"}", NQN_A, HOST_X);
	assert_true(try_connect(K.port[0], HOST_X, NQN_A) > 0);
	r = call(&resp, "hosts.remove", "{\"nqn\": \"%s\"}", HOST_X);
	assert_true(json_object_get_boolean(hn_get(r, "removed")));
	json_object_put(resp);
	call(&resp, "hosts.remove", "{\"nqn\": \"%s\"}", HN_HOSTNQN2);
	json_object_put(resp);
	assert_int_equal(count("hosts.list", "{}"), 0);

	/* with no host listed, any host may be allowed, and then is */
	r = call(&resp, "subsystems.set", "{\"nqn\": \"%s\", \"allow_any_host\": true}", NQN_A);
	assert_true(json_object_get_boolean(hn_get(r, "allow_any_host")));
	json_object_put(resp);
	HN_ASSERT_OK(try_connect(K.port[0], HN_HOSTNQN2, NQN_A));
	r = call(&resp, "subsystems.set", "{\"nqn\": \"%s\", \"allow_any_host\": \"0\"}", NQN_A);
	assert_false(json_object_get_boolean(hn_get(r, "allow_any_host")));
	json_object_put(resp);
	assert_true(try_connect(K.port[0], HN_HOSTNQN2, NQN_A) > 0);

	/* refusals */
	refused(INVALID, "exists already", "subsystems.add", "{\"nqn\": \"%s\"}", NQN_A);
	refused(INVALID, "not an NQN", "subsystems.add", "{\"nqn\": \"blktests subsystem\"}");
	refused(INVALID, "\"nqn\" is missing", "subsystems.add", "{\"serial\": \"x\"}");
	refused(INVALID, "cntlid", "subsystems.set", "{\"nqn\": \"%s\", \"cntlid_min\": 0}", NQN_A);
	refused(INVALID, "serial", "subsystems.set", "{\"nqn\": \"%s\", \"serial\": \"%s\"}", NQN_A,
		"123456789012345678901234567890");
	refused(INVALID, "\"allow_any_host\" must be a boolean", "subsystems.set",
		"{\"nqn\": \"%s\", \"allow_any_host\": []}", NQN_A);
	refused(NOT_FOUND, "no subsystem", "subsystems.set", "{\"nqn\": \"%s\", \"serial\": \"x\"}", NQN_B);
	refused(NOT_FOUND, "no subsystem", "subsystems.remove", "{\"nqn\": \"%s\"}", NQN_B);
	refused(NOT_FOUND, "no subsystem", "subsystems.allow_host", "{\"nqn\": \"%s\", \"host\": \"%s\"}", NQN_B, HOST_X);

	/* removal unlinks it from its ports and refuses Connects */
	r = call(&resp, "subsystems.remove", "{\"nqn\": \"%s\"}", NQN_A);
	assert_true(json_object_get_boolean(hn_get(r, "removed")));
	json_object_put(resp);
	r = call(&resp, "ports.list", "{\"portid\": 1}");
	assert_int_equal(json_object_array_length(hn_get(json_object_array_get_idx(r, 0), "subsystems")), 1);
	json_object_put(resp);
	refused(NOT_FOUND, "no subsystem", "subsystems.list", "{\"nqn\": \"%s\"}", NQN_A);
	assert_true(try_connect(K.port[0], HN_HOSTNQN2, NQN_A) > 0);
	hn_pass(&K);
}

/* ---- namespaces ------------------------------------------------------- */

static void namespaces(void **state)
{
	(void)state;
	struct json_object *resp, *r;
	char img[256];
	snprintf(img, sizeof(img), "%s", hn_path(&K, "ns.img"));
	FILE *f = fopen(img, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 1 << 20), 0);
	fclose(f);

	call(&resp, "subsystems.add", "{\"nqn\": \"%s\", \"allow_any_host\": true}", NQN_B);
	json_object_put(resp);
	call(&resp, "ports.link", "{\"portid\": 1, \"subsystem\": \"%s\"}", NQN_B);
	json_object_put(resp);

	/* the lowest free NSID, RAM without a path */
	r = call(&resp, "namespaces.add", "{\"subsystem\": \"%s\", \"size\": \"2M\", \"block_size\": 4096,"
					  " \"uuid\": \"91fdba0d-f87b-4c25-b80f-db7be1418b9e\"}", NQN_B);
	assert_int_equal(geti(r, "nsid"), 1);
	assert_string_equal(gets(r, "backend"), "ram");
	assert_int_equal(geti(r, "size"), 2 << 20);
	assert_int_equal(geti(r, "block_size"), 4096);
	assert_string_equal(gets(r, "uuid"), "91fdba0d-f87b-4c25-b80f-db7be1418b9e");
	assert_true(json_object_get_boolean(hn_get(r, "enabled")));
	json_object_put(resp);
	r = call(&resp, "namespaces.add", "{\"subsystem\": \"%s\", \"nsid\": 5, \"path\": \"%s\"}", NQN_B, img);
	assert_int_equal(geti(r, "nsid"), 5);
	assert_string_equal(gets(r, "backend"), "file");
	assert_string_equal(gets(r, "path"), img);
	json_object_put(resp);
	r = call(&resp, "namespaces.add", "{\"subsystem\": \"%s\", \"size\": 1048576, \"backend\": \"null\"}", NQN_B);
	assert_int_equal(geti(r, "nsid"), 2);
	assert_string_equal(gets(r, "backend"), "null");
	json_object_put(resp);

	/* a host sees them: active NSID list 1, 2, 5 */
	struct kh_host *a = admin_up(K.port[0], NULL, NQN_B, 30000);
	static uint32_t list[1024];
	HN_ASSERT_OK(kh_identify(a, NVME_IDENTIFY_CNS_NS_ACTIVE_LIST, 0, 0, list));
	assert_int_equal(le32toh(list[0]), 1);
	assert_int_equal(le32toh(list[1]), 2);
	assert_int_equal(le32toh(list[2]), 5);
	assert_int_equal(list[3], 0);
	kh_close(a);

	/* set: disable, enable, grow to another size */
	r = call(&resp, "namespaces.set", "{\"subsystem\": \"%s\", \"nsid\": 2, \"enable\": false}", NQN_B);
	assert_false(json_object_get_boolean(hn_get(r, "enabled")));
	json_object_put(resp);
	r = call(&resp, "namespaces.set", "{\"subsystem\": \"%s\", \"nsid\": 2, \"enable\": 1, \"size\": \"2M\"}", NQN_B);
	assert_true(json_object_get_boolean(hn_get(r, "enabled")));
	assert_int_equal(geti(r, "size"), 2 << 20);
	json_object_put(resp);

	/* refusals */
	refused(INVALID, "has a namespace 5 already", "namespaces.add", "{\"subsystem\": \"%s\", \"nsid\": 5, \"size\": \"1M\"}",
		NQN_B);
	refused(INVALID, "size", "namespaces.add", "{\"subsystem\": \"%s\", \"size\": \"3\"}", NQN_B);
	refused(INVALID, "size", "namespaces.add", "{\"subsystem\": \"%s\"}", NQN_B);
	refused(INVALID, "block_size", "namespaces.add", "{\"subsystem\": \"%s\", \"size\": \"1M\", \"block_size\": 1000}",
		NQN_B);
	refused(INVALID, "uuid", "namespaces.add", "{\"subsystem\": \"%s\", \"size\": \"1M\", \"uuid\": \"nope\"}", NQN_B);
	refused(INVALID, "namespaces.add", "namespaces.add", "{\"subsystem\": \"%s\", \"path\": \"%s\"}", NQN_B,
		hn_path(&K, "missing.img"));
	refused(INVALID, "\"nsid\" is out of range", "namespaces.add", "{\"subsystem\": \"%s\", \"nsid\": 0, \"size\": \"1M\"}",
		NQN_B);
	refused(NOT_FOUND, "no subsystem", "namespaces.add", "{\"subsystem\": \"%s\", \"size\": \"1M\"}", NQN_A);
	refused(NOT_FOUND, "has no namespace 7", "namespaces.set", "{\"subsystem\": \"%s\", \"nsid\": 7, \"enable\": 0}",
		NQN_B);
	refused(NOT_FOUND, "has no namespace 7", "namespaces.remove", "{\"subsystem\": \"%s\", \"nsid\": 7}", NQN_B);
	refused(INVALID, "\"nsid\" is missing", "namespaces.remove", "{\"subsystem\": \"%s\"}", NQN_B);
	assert_int_equal(count("namespaces.list", "{\"subsystem\": \"" NQN_B "\"}"), 3);

	r = call(&resp, "namespaces.remove", "{\"subsystem\": \"%s\", \"nsid\": 5}", NQN_B);
	assert_true(json_object_get_boolean(hn_get(r, "removed")));
	json_object_put(resp);
	assert_int_equal(count("namespaces.list", "{\"subsystem\": \"" NQN_B "\"}"), 2);
	a = admin_up(K.port[0], NULL, NQN_B, 30000);
	memset(list, 0, sizeof(list));
	HN_ASSERT_OK(kh_identify(a, NVME_IDENTIFY_CNS_NS_ACTIVE_LIST, 0, 0, list));
	assert_int_equal(le32toh(list[1]), 2);
	assert_int_equal(list[2], 0);
	kh_close(a);
	hn_pass(&K);
}

/* ---- counters --------------------------------------------------------- */

static struct json_object *find(struct json_object *a, const char *nqn, int64_t nsid)
{
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		if (!strcmp(gets(e, "subsystem"), nqn) && (nsid < 0 || geti(e, "nsid") == nsid))
			return e;
	}
	fail_msg("no counters for %s %lld", nqn, (long long)nsid);
	return NULL;
}

static void counters(void **state)
{
	(void)state;
	struct kh_host *a = admin_up(K.port[0], NULL, HN_SUBNQN, 30000), *io = NULL;
	HN_ASSERT_OK(kh_io_up(&io, a, HN_ADDR, K.port[0], 1, NULL, NULL));
	static uint8_t buf[16384];
	HN_ASSERT_OK(kh_write(io, 1, 0, 16, buf, 8192, false));
	HN_ASSERT_OK(kh_write(io, 1, 16, 8, buf, 4096, false));
	HN_ASSERT_OK(kh_read(io, 1, 0, 32, buf, 16384));
	HN_ASSERT_OK(kh_flush(io, 1));
	/* past the end: an error completion */
	assert_true(kh_read(io, 1, 8192, 1, buf, 512) > 0);
	assert_true(kh_write(io, 1, 8192, 1, buf, 512, false) > 0);

	struct json_object *resp, *r = call(&resp, "counters", "{\"subsystem\": \"%s\"}", HN_SUBNQN);
	struct json_object *ns = find(hn_get(r, "namespaces"), HN_SUBNQN, 1);
	assert_int_equal(geti(ns, "commands"), 6);
	assert_int_equal(geti(ns, "write_commands"), 3);
	assert_int_equal(geti(ns, "read_commands"), 2);
	assert_int_equal(geti(ns, "bytes_written"), 12288);
	assert_int_equal(geti(ns, "bytes_read"), 16384);
	assert_int_equal(geti(ns, "errors"), 2);
	struct json_object *s = find(hn_get(r, "subsystems"), HN_SUBNQN, -1);
	assert_int_equal(geti(s, "commands"), 6);
	assert_int_equal(geti(s, "errors"), 2);
	assert_int_equal(geti(s, "keep_alive_expiries"), 0);
	assert_int_equal(json_object_array_length(hn_get(r, "subsystems")), 1); /* only the one asked for */
	json_object_put(resp);
	kh_close(io);
	kh_close(a);

	/* a keep-alive expiry: per controller while it lives, per subsystem in total */
	a = admin_up(K.port[0], NULL, HN_SUBNQN, 1000);
	uint16_t id = kh_cntlid(a);
	assert_int_equal(hn_log_wait(&K, "keep-alive timeout", 5000), 0);
	r = call(&resp, "counters", "{\"subsystem\": \"%s\"}", HN_SUBNQN);
	assert_int_equal(geti(find(hn_get(r, "subsystems"), HN_SUBNQN, -1), "keep_alive_expiries"), 1);
	struct json_object *c = hn_get(r, "controllers");
	for (size_t i = 0; i < json_object_array_length(c); i++) /* gone, or going with its expiry */
		if (geti(json_object_array_get_idx(c, i), "cntlid") == id)
			assert_int_equal(geti(json_object_array_get_idx(c, i), "keep_alive_expiries"), 1);
	json_object_put(resp);
	kh_close(a);
	hn_pass(&K);
}

/* ---- katoctl ---------------------------------------------------------- */

#define KATOCTL_OK(...)                                                          \
	do {                                                                     \
		int rc_ = hn_katoctl(&K, out, sizeof(out), __VA_ARGS__);                \
		if (rc_ != 0)                                                    \
			fail_msg("katoctl exited %d: %s", rc_, out);             \
	} while (0)

static void katoctl_edits(void **state)
{
	(void)state;
	static char out[65536];
	const char *nqn = "nqn.2026-11.io.kato:edit-cli";
	KATOCTL_OK("subsystems add %s --allow-any-host --model cli-model --serial 12345", nqn);
	assert_non_null(strstr(out, "cli-model"));
	assert_non_null(strstr(out, "12345"));
	KATOCTL_OK("namespaces add -n %s --size 1M --nsid 3", nqn);
	assert_non_null(strstr(out, "1048576"));
	KATOCTL_OK("--json namespaces set -n %s --nsid 3 --no-enable", nqn);
	struct json_object *j = json_tokener_parse(out);
	assert_non_null(j);
	assert_false(json_object_get_boolean(hn_get(j, "enabled")));
	json_object_put(j);
	KATOCTL_OK("namespaces set -n %s --nsid 3 --enable", nqn);
	KATOCTL_OK("ports add 4 --traddr %s --trsvcid %u", HN_ADDR, K.port[3]);
	KATOCTL_OK("ports link 4 %s", nqn);
	HN_ASSERT_OK(try_connect(K.port[3], NULL, nqn));
	KATOCTL_OK("ports set 4 --inline-data-size 8192");
	KATOCTL_OK("hosts add %s", HOST_X);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "subsystems allow-host %s %s", nqn, HOST_X), 1);
	assert_non_null(strstr(out, "allow_any_host")); /* any host, or a list: not both */
	KATOCTL_OK("subsystems set %s --no-allow-any-host", nqn);
	KATOCTL_OK("subsystems allow-host %s %s", nqn, HOST_X);
	assert_true(try_connect(K.port[3], HN_HOSTNQN2, nqn) > 0);
	HN_ASSERT_OK(try_connect(K.port[3], HOST_X, nqn));
	KATOCTL_OK("counters --subsystems");
	assert_non_null(strstr(out, "KA EXPIRIES"));
	assert_non_null(strstr(out, nqn));
	KATOCTL_OK("counters --namespaces -n %s", nqn);
	assert_non_null(strstr(out, "NSID"));
	KATOCTL_OK("counters --controllers");
	assert_non_null(strstr(out, "CNTLID"));

	/* refusals: exit 1 with katod's message */
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "hosts remove %s", HOST_X), 1);
	assert_non_null(strstr(out, "is allowed in subsystem"));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "subsystems add %s", nqn), 1);
	assert_non_null(strstr(out, "exists already"));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "ports remove 99"), 1);
	assert_non_null(strstr(out, "no port 99"));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "namespaces add -n %s --size 7", nqn), 1);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "ports link 4"), 1); /* subsystem missing */
	assert_non_null(strstr(out, "\"subsystem\" is missing"));
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "ports link 4 a b c"), 2);

	KATOCTL_OK("subsystems disallow-host %s %s", nqn, HOST_X);
	KATOCTL_OK("hosts remove %s", HOST_X);
	KATOCTL_OK("ports unlink 4 %s", nqn);
	KATOCTL_OK("ports remove 4");
	KATOCTL_OK("namespaces remove -n %s --nsid 3", nqn);
	KATOCTL_OK("subsystems remove %s", nqn);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "subsystems %s", nqn), 1);

	/* reload: back to the file katod started with (edit-b, made live, goes) */
	KATOCTL_OK("subsystems %s", NQN_B);
	KATOCTL_OK("reload");
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "subsystems %s", NQN_B), 1);
	KATOCTL_OK("reload %s", K.cfg);
	assert_int_equal(hn_katoctl(&K, out, sizeof(out), "reload %s", hn_path(&K, "missing.json")), 1);
	hn_pass(&K);
}

int main(void)
{
	HN_NEED_KATOD();
	const struct CMUnitTest tests[] = {
		HN_TEST(ports),
		HN_TEST(subsystems_and_hosts),
		HN_TEST(namespaces),
		HN_TEST(counters),
		HN_TEST(katoctl_edits),
	};
	return cmocka_run_group_tests(tests, group_setup, hn_group_teardown_clean);
}

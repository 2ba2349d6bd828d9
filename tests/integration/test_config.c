/*
 * test_config.c - katod's handling of its configuration file: a broken
 * configuration makes it exit with 78 (EX_CONFIG) and a message naming the
 * JSON path of the fault; --check validates a good one and exits 0 without
 * serving; a good one is served and SIGTERM stops it with status 0.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/host/host.h"
#include "tests/integration/harness.h"

#define EX_CONFIG 78

static struct hn_katod K;

static const char GOOD[] =
	"{\n"
	"  \"hosts\": [],\n"
	"  \"ports\": [{\"portid\": 1, \"referrals\": [],\n"
	"    \"addr\": {\"trtype\": \"tcp\", \"adrfam\": \"ipv4\", \"traddr\": \"" HN_ADDR "\",\n"
	"             \"trsvcid\": \"%u\", \"treq\": \"not specified\"},\n"
	"    \"subsystems\": [\"" HN_SUBNQN "\"]}],\n"
	"  \"subsystems\": [\n"
	"    {\"nqn\": \"" HN_SUBNQN "\", \"allowed_hosts\": [], \"attr\": {\"allow_any_host\": \"1\"},\n"
	"     \"namespaces\": [{\"nsid\": 1, \"enable\": 1,\n"
	"                     \"device\": {\"path\": \"%s\"}}]}],\n"
	"  \"katod\": {\"workers\": 2, \"log_level\": \"debug\"}\n"
	"}\n";

static int setup(void **state)
{
	(void)state;
	if (hn_init(&K, 1))
		return -1;
	hn_test_begin(&K);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hn_test_end(&K);
	hn_cleanup(&K);
	return 0;
}

/* Writes `text` as a config file and runs katod on it with extra args. */
static int run_config(const char *text, const char *extra, char *out, size_t outlen)
{
	const char *args[4] = { "-c", NULL, extra, NULL };

	assert_int_equal(hn_write_file(&K, "c.json", text), 0);
	args[1] = hn_path(&K, "c.json");
	return hn_run(args, 10000, out, outlen);
}

static void expect_config_error(const char *text, const char *path)
{
	char out[8192];
	int st = run_config(text, NULL, out, sizeof(out));

	if (st != EX_CONFIG)
		fail_msg("exit status %d, expected %d; output:\n%s", st, EX_CONFIG, out);
	if (!strstr(out, path))
		fail_msg("the message does not name %s:\n%s", path, out);
	/* --check gives the same verdict */
	st = run_config(text, "--check", out, sizeof(out));
	assert_int_equal(st, EX_CONFIG);
	assert_non_null(strstr(out, path));
}

static void bad_port_number(void **state)
{
	char cfg[4096];

	(void)state;
	snprintf(cfg, sizeof(cfg), GOOD, 0u, hn_path(&K, "disk.img"));
	/* trsvcid "0" is no port; make it plainly not a number */
	{
		char *p = strstr(cfg, "\"trsvcid\": \"0\"");

		assert_non_null(p);
		memcpy(p, "\"trsvcid\": \"x\"", 14);
	}
	expect_config_error(cfg, "ports[0].addr.trsvcid");
	hn_pass(&K);
}

static void unknown_subsystem_reference(void **state)
{
	char cfg[4096], *p;

	(void)state;
	snprintf(cfg, sizeof(cfg), GOOD, K.port[0], hn_path(&K, "disk.img"));
	/* the port exports an NQN that no subsystem has */
	p = strstr(cfg, "\"subsystems\": [\"" HN_SUBNQN);
	assert_non_null(p);
	p = strstr(p, ":test");
	memcpy(p, ":tesX", 5);
	expect_config_error(cfg, "ports[0].subsystems[0]");
	hn_pass(&K);
}

static void bad_namespace(void **state)
{
	static const char cfg[] =
		"{\"ports\": [], \"hosts\": [], \"subsystems\": [\n"
		"  {\"nqn\": \"" HN_SUBNQN "\", \"allowed_hosts\": [],\n"
		"   \"attr\": {\"allow_any_host\": \"1\"},\n"
		"   \"namespaces\": [{\"nsid\": 1, \"enable\": 1,\n"
		"                    \"device\": {\"backend\": \"ram\", \"size\": \"64M\"}},\n"
		"                   {\"nsid\": 2, \"enable\": 1,\n"
		"                    \"device\": {\"backend\": \"ram\", \"size\": \"64M\",\n"
		"                                 \"block_size\": 1000}}]}]}\n";

	(void)state;
	expect_config_error(cfg, "subsystems[0].namespaces[1].device.block_size");
	hn_pass(&K);
}

static void not_json(void **state)
{
	char out[4096];
	int st;

	(void)state;
	st = run_config("{\"ports\": [", NULL, out, sizeof(out));
	assert_int_equal(st, EX_CONFIG);
	assert_true(strlen(out) > 0);
	hn_pass(&K);
}

static void check_good_config(void **state)
{
	char cfg[4096], out[4096];
	int st;

	(void)state;
	assert_int_equal(hn_write_file(&K, "disk.img", ""), 0);
	assert_int_equal(truncate(hn_path(&K, "disk.img"), 16 << 20), 0);
	snprintf(cfg, sizeof(cfg), GOOD, K.port[0], hn_path(&K, "disk.img"));
	st = run_config(cfg, "--check", out, sizeof(out));
	if (st != 0)
		fail_msg("--check exit status %d:\n%s", st, out);
	hn_pass(&K);
}

/* The same configuration served for real, over a file backend. */
static void serve_and_stop(void **state)
{
	struct kh_opts o;
	struct kh_host *a, *io;
	static uint8_t w[8192], r[8192];

	(void)state;
	assert_int_equal(hn_write_file(&K, "disk.img", ""), 0);
	assert_int_equal(truncate(hn_path(&K, "disk.img"), 16 << 20), 0);
	assert_int_equal(hn_start(&K, 1, GOOD, K.port[0], hn_path(&K, "disk.img")), 0);
	memset(&o, 0, sizeof(o));
	o.subnqn = HN_SUBNQN;
	HN_ASSERT_OK(kh_admin_up(&a, HN_ADDR, K.port[0], &o));
	HN_ASSERT_OK(kh_io_up(&io, a, HN_ADDR, K.port[0], 1, NULL, NULL));
	hn_fill(w, sizeof(w), 42);
	HN_ASSERT_OK(kh_write(io, 1, 10, sizeof(w) / 512, w, sizeof(w), true));
	HN_ASSERT_OK(kh_read(io, 1, 10, sizeof(r) / 512, r, sizeof(r)));
	assert_memory_equal(r, w, sizeof(w));
	kh_close(io);
	kh_close(a);
	assert_int_equal(hn_stop(&K), 0);
	hn_pass(&K);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(bad_port_number),
		T(unknown_subsystem_reference),
		T(bad_namespace),
		T(not_json),
		T(check_good_config),
		T(serve_and_stop),
	};

	if (!hn_katod_bin()) {
		fprintf(stderr, "KATOD_BIN is not set\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * harness.h - runs katod for an integration test: a fresh temp dir with the
 * configuration, free loopback ports, the daemon started from $KATOD_BIN
 * with its stderr in a log file, a bounded wait until it accepts
 * connections, and a teardown that leaves nothing behind (SIGTERM, then
 * SIGKILL after 5 s; the child also dies with the test via PDEATHSIG). The
 * log is printed when a test fails or katod does not exit cleanly.
 */
#ifndef KATO_TESTS_HARNESS_H
#define KATO_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HN_MAX_PORTS 8
#define HN_ADDR "127.0.0.1"
#define HN_SUBNQN "nqn.2026-11.io.kato:test"
#define HN_HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:6b61746f-7465-7374-686f-737400000001"
#define HN_HOSTNQN2 "nqn.2014-08.org.nvmexpress:uuid:6b61746f-7465-7374-686f-737400000002"

/* The configuration most tests start with: HN_SUBNQN (any host) with
 * namespace 1 on DEVICE (a JSON object, as C string text), on port 1 at
 * HN_ADDR and the port number the one %u takes; KATOD is the "katod"
 * object. For hn_start / hn_group_start. */
#define HN_CONFIG_ONE(DEVICE, KATOD) HN_CONFIG_ONE_PORT("", DEVICE, KATOD)
/* The same with the port's "param" object (nvmetcli's port parameters,
 * e.g. inline_data_size), as C string text. */
#define HN_CONFIG_ONE_PARAM(PARAM, DEVICE, KATOD) \
	HN_CONFIG_ONE_PORT("    \"param\": " PARAM ",\n", DEVICE, KATOD)
/* Both: MORE is more members of the port object, each line ending ",\n". */
#define HN_CONFIG_ONE_PORT(MORE, DEVICE, KATOD)                                                         \
	"{\n"                                                                                           \
	"  \"ports\": [{\"portid\": 1, \"addr\": {\"traddr\": \"" HN_ADDR "\", \"trsvcid\": \"%u\"},\n" \
	MORE                                                                                            \
	"    \"subsystems\": [\"" HN_SUBNQN "\"]}],\n"                                                  \
	"  \"subsystems\": [{\"nqn\": \"" HN_SUBNQN "\", \"attr\": {\"allow_any_host\": \"1\"},\n"      \
	"     \"namespaces\": [{\"nsid\": 1, \"device\": " DEVICE "}]}],\n"                             \
	"  \"katod\": " KATOD "\n"                                                                      \
	"}\n"

struct hn_katod {
	char dir[128];            /* the test's temp dir */
	char cfg[192];            /* dir/katod.json */
	char log[192];            /* dir/katod.log: katod's stderr */
	char sock[192];           /* dir/katod.sock: the control socket (-s) */
	uint16_t port[HN_MAX_PORTS]; /* free loopback ports picked by hn_init */
	unsigned nports;
	pid_t pid;                /* 0: not running */
	bool started;             /* hn_start succeeded and hn_stop was not called */
	int exit_status;          /* after hn_stop: the exit code, 128+signal, or -1 */
	bool test_ok;             /* set by hn_pass(); per-test teardown reads it */
	long log_mark;            /* log size when the current test began */
};

/* The katod binary ($KATOD_BIN), or NULL if unset or not executable. */
const char *hn_katod_bin(void);

/* Creates the temp dir and picks nports free loopback TCP ports. */
int hn_init(struct hn_katod *k, unsigned nports);
/* A path inside the temp dir (static buffer rotation of 4). */
const char *hn_path(struct hn_katod *k, const char *name);
/* Writes a file in the temp dir. */
int hn_write_file(struct hn_katod *k, const char *name, const char *text);
/* Writes the configuration (printf-style) to k->cfg, starts
 * `katod -c cfg -s sock` (the control socket in the temp dir)
 * and waits (10 s at most) until the first nwait ports accept connections.
 * Returns 0, or -1 with the log printed. */
int hn_start(struct hn_katod *k, unsigned nwait, const char *json_fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Is katod still running? */
bool hn_alive(struct hn_katod *k);
/* SIGTERM, reap (SIGKILL after 5 s); returns and records the exit status. */
int hn_stop(struct hn_katod *k);
/* Stops katod if running, prints its log if anything went wrong (or
 * $KATO_TEST_LOG is set), removes the temp dir. */
void hn_cleanup(struct hn_katod *k);
/* A test's CMocka teardown, run even after a failed assertion: katod must
 * exit cleanly (SIGTERM: drained, no leak under ASan); its log is printed if
 * anything went wrong, and *k is cleared for the next test. 0, or -1 when
 * katod exited with another status. */
int hn_teardown(struct hn_katod *k);
void hn_dump_log(struct hn_katod *k, long from);

/* Per-test bracketing when several tests share one katod: hn_test_begin
 * notes where the log is; a test calls hn_pass() as its last statement;
 * hn_test_end prints the test's part of the log if it did not pass and
 * returns -1 if katod died meanwhile. */
void hn_test_begin(struct hn_katod *k);
static inline void hn_pass(struct hn_katod *k) { k->test_ok = true; }
int hn_test_end(struct hn_katod *k);
/* hn_test_end for a test that ran on its own association (kh_assoc_up):
 * closes the I/O queue and the admin queue first (either may be NULL). */
struct kh_host;
int hn_test_end_assoc(struct hn_katod *k, struct kh_host *admin, struct kh_host *io);

/* CMocka fixtures for the common shape of a test file: its group setup
 * starts a katod and sets *state to it (cmocka hands the group state to
 * every test without one of its own); hn_group_teardown stops and cleans
 * it up, hn_test_setup/hn_test_teardown frame each test's slice of its log. */
/* The usual group setup: *state = k, nports free ports, and katod started
 * with json_fmt, whose one conversion (%u) is the first port's number. */
int hn_group_start(void **state, struct hn_katod *k, unsigned nports, const char *json_fmt);
int hn_group_teardown(void **state);
/* The same for a file whose katod must exit 0 on SIGTERM (drained and
 * flushed): the group fails otherwise. */
int hn_group_teardown_clean(void **state);
int hn_test_setup(void **state);
int hn_test_teardown(void **state);
/* A test framed by those two (in a CMUnitTest list). */
#define HN_TEST(f) cmocka_unit_test_setup_teardown(f, hn_test_setup, hn_test_teardown)
/* main()'s first statement: without $KATOD_BIN, the file is skipped. */
#define HN_NEED_KATOD()                                                        \
	do {                                                                   \
		if (!hn_katod_bin()) {                                         \
			fprintf(stderr, "KATOD_BIN not set: skipping\n");     \
			return 0;                                              \
		}                                                              \
	} while (0)

/* Connects and enables a discovery controller at addr:port as the Linux
 * host does for a non-persistent discovery (KATO 0): subsystem subnqn
 * (NULL: the well-known discovery NQN), host hostnqn (NULL: HN_HOSTNQN).
 * A refused TCP connect is retried for 2 s (a port hn_start did not wait
 * for may still be starting). Returns as kh_admin_up (tests/host/host.h). */
int hn_disc_up(struct kh_host **out, const char *addr, uint16_t port, const char *subnqn,
	       const char *hostnqn);

/* Runs katod synchronously with the given arguments (argv[0] is supplied),
 * capturing stdout+stderr into out (NUL-terminated, truncated); kills it
 * after timeout_ms. Returns the exit code, 128+signal, or -1. */
int hn_run(const char *const args[], int timeout_ms, char *out, size_t outlen);

/* Fills buf with a deterministic pseudo-random pattern named by seed. */
void hn_fill(void *buf, size_t len, uint64_t seed);
/* Index of the first byte that differs, or -1 if equal (for messages). */
long hn_diff(const void *a, const void *b, size_t len);

/* Waits until the log contains `needle` (bounded); 0 or -1. */
int hn_log_wait(struct hn_katod *k, const char *needle, int timeout_ms);
/* The same until it contains `needle` on n lines (an event that recurs). */
int hn_log_wait_n(struct hn_katod *k, const char *needle, unsigned n, int timeout_ms);

/* For CMocka tests (include <cmocka.h> first): a status is SCT/SC. */
#define HN_ASSERT_SC(rc, sct, sc)                                                      \
	do {                                                                           \
		int hn_rc_ = (rc);                                                     \
		if (hn_rc_ < 0)                                                        \
			fail_msg("expected status %#x, got errno %d (%s)",             \
				 (unsigned)KH_STATUS(sct, sc), -hn_rc_, strerror(-hn_rc_)); \
		assert_int_equal(KH_SC(hn_rc_), KH_STATUS(sct, sc));                   \
	} while (0)
#define HN_ASSERT_OK(rc)                                                               \
	do {                                                                           \
		int hn_rc_ = (rc);                                                     \
		if (hn_rc_ < 0)                                                        \
			fail_msg("%s: errno %d (%s)", #rc, -hn_rc_, strerror(-hn_rc_)); \
		if (hn_rc_ > 0)                                                        \
			fail_msg("%s: NVMe status %#x", #rc, (unsigned)hn_rc_);        \
	} while (0)

#endif

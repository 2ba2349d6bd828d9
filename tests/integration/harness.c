/*
 * harness.c - starting and stopping katod for integration tests (see
 * harness.h). Nothing started here may outlive the test process.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/host/host.h"
#include "tests/integration/harness.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

const char *hn_katod_bin(void)
{
	const char *p = getenv("KATOD_BIN");

	if (!p || !*p || access(p, X_OK) != 0)
		return NULL;
	return p;
}

int hn_init(struct hn_katod *k, unsigned nports)
{
	const char *tmp = getenv("TMPDIR");
	int fds[HN_MAX_PORTS];
	unsigned i;

	memset(k, 0, sizeof(*k));
	if (nports > HN_MAX_PORTS)
		return -EINVAL;
	snprintf(k->dir, sizeof(k->dir), "%s/kato-it-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(k->dir))
		return -errno;
	snprintf(k->cfg, sizeof(k->cfg), "%s/katod.json", k->dir);
	snprintf(k->log, sizeof(k->log), "%s/katod.log", k->dir);
	snprintf(k->sock, sizeof(k->sock), "%s/katod.sock", k->dir);
	/* Bind port 0 for each, all open at once so they differ, then close. */
	for (i = 0; i < nports; i++) {
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);

		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    getsockname(fds[i], (struct sockaddr *)&sa, &sl) < 0)
			return -errno;
		k->port[i] = ntohs(sa.sin_port);
	}
	for (i = 0; i < nports; i++)
		close(fds[i]);
	k->nports = nports;
	return 0;
}

const char *hn_path(struct hn_katod *k, const char *name)
{
	static char buf[4][256];
	static unsigned n;
	char *p = buf[n++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", k->dir, name);
	return p;
}

int hn_write_file(struct hn_katod *k, const char *name, const char *text)
{
	FILE *f = fopen(hn_path(k, name), "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

static bool port_accepts(uint16_t port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* In the child: die with the parent, stderr/stdout to `out`, exec katod. */
static void child_exec(pid_t parent, int out_fd, const char *const argv[])
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	dup2(out_fd, STDERR_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	if (out_fd > STDERR_FILENO)
		close(out_fd);
	execv(argv[0], (char *const *)argv);
	fprintf(stderr, "harness: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int decode_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

int hn_start(struct hn_katod *k, unsigned nwait, const char *json_fmt, ...)
{
	const char *bin = hn_katod_bin();
	const char *argv[6];
	pid_t parent = getpid();
	uint64_t deadline;
	va_list ap;
	FILE *f;
	int fd;

	if (!bin) {
		fprintf(stderr, "harness: KATOD_BIN is not set or not executable\n");
		return -1;
	}
	f = fopen(k->cfg, "w");
	if (!f)
		return -1;
	va_start(ap, json_fmt);
	vfprintf(f, json_fmt, ap);
	va_end(ap);
	if (fclose(f))
		return -1;
	fd = open(k->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	argv[0] = bin;
	argv[1] = "-c";
	argv[2] = k->cfg;
	argv[3] = "-s";
	argv[4] = k->sock;
	argv[5] = NULL;
	k->pid = fork();
	if (k->pid < 0) {
		k->pid = 0;
		close(fd);
		return -1;
	}
	if (k->pid == 0)
		child_exec(parent, fd, argv);
	close(fd);

	deadline = now_ms() + 10000;
	for (unsigned i = 0; i < nwait && i < k->nports; i++) {
		while (!port_accepts(k->port[i])) {
			if (!hn_alive(k) || now_ms() > deadline) {
				fprintf(stderr, "harness: katod %s before port %u accepted\n",
					hn_alive(k) ? "timed out" : "exited", k->port[i]);
				hn_stop(k);
				hn_dump_log(k, 0);
				fprintf(stderr, "harness: configuration was:\n");
				f = fopen(k->cfg, "r");
				if (f) {
					char line[512];

					while (fgets(line, sizeof(line), f))
						fputs(line, stderr);
					fclose(f);
				}
				return -1;
			}
			sleep_ms(20);
		}
	}
	k->started = true;
	return 0;
}

bool hn_alive(struct hn_katod *k)
{
	int st;

	if (!k->pid)
		return false;
	if (waitpid(k->pid, &st, WNOHANG) == k->pid) {
		k->exit_status = decode_status(st);
		k->pid = 0;
		return false;
	}
	return true;
}

int hn_stop(struct hn_katod *k)
{
	uint64_t deadline;
	int st;

	k->started = false;
	if (!k->pid)
		return k->exit_status;
	kill(k->pid, SIGTERM);
	deadline = now_ms() + 5000;
	for (;;) {
		pid_t r = waitpid(k->pid, &st, WNOHANG);

		if (r == k->pid) {
			k->exit_status = decode_status(st);
			break;
		}
		if (r < 0) {
			k->exit_status = -1;
			break;
		}
		if (now_ms() > deadline) {
			fprintf(stderr, "harness: katod ignored SIGTERM for 5 s, killing it\n");
			kill(k->pid, SIGKILL);
			waitpid(k->pid, &st, 0);
			k->exit_status = decode_status(st);
			break;
		}
		sleep_ms(10);
	}
	k->pid = 0;
	return k->exit_status;
}

void hn_dump_log(struct hn_katod *k, long from)
{
	FILE *f = fopen(k->log, "r");
	char line[1024];

	if (!f)
		return;
	fprintf(stderr, "---- katod log (%s) ----\n", k->log);
	if (from > 0)
		fseek(f, from, SEEK_SET);
	while (fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fprintf(stderr, "---- end of katod log ----\n");
	fclose(f);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void hn_cleanup(struct hn_katod *k)
{
	bool was_running = k->pid != 0;
	int st = hn_stop(k);
	const char *verbose = getenv("KATO_TEST_LOG");

	if ((was_running && st != 0) || (verbose && *verbose)) {
		if (was_running && st != 0)
			fprintf(stderr, "harness: katod exited with status %d on SIGTERM\n", st);
		hn_dump_log(k, 0);
	}
	if (k->dir[0])
		nftw(k->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	k->dir[0] = 0;
}

int hn_teardown(struct hn_katod *k)
{
	int st = k->pid ? hn_stop(k) : 0;
	if (st != 0) {
		fprintf(stderr, "katod exited with status %d\n", st);
		k->test_ok = false;
	}
	hn_cleanup(k);
	memset(k, 0, sizeof(*k));
	return st == 0 ? 0 : -1;
}

static long log_size(struct hn_katod *k)
{
	struct stat sb;

	return stat(k->log, &sb) == 0 ? (long)sb.st_size : 0;
}

void hn_test_begin(struct hn_katod *k)
{
	k->test_ok = false;
	k->log_mark = log_size(k);
}

int hn_test_end(struct hn_katod *k)
{
	bool alive = !k->started || hn_alive(k);

	if (!k->test_ok || !alive) {
		if (!alive)
			fprintf(stderr, "harness: katod is no longer running (status %d)\n",
				k->exit_status);
		hn_dump_log(k, k->log_mark);
	}
	return alive ? 0 : -1;
}

int hn_test_end_assoc(struct hn_katod *k, struct kh_host *admin, struct kh_host *io)
{
	kh_close(io);
	kh_close(admin);
	return hn_test_end(k);
}

int hn_log_wait(struct hn_katod *k, const char *needle, int timeout_ms)
{
	return hn_log_wait_n(k, needle, 1, timeout_ms);
}

int hn_log_wait_n(struct hn_katod *k, const char *needle, unsigned n, int timeout_ms)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		FILE *f = fopen(k->log, "r");
		char line[2048];
		unsigned found = 0;

		if (f) {
			while (found < n && fgets(line, sizeof(line), f))
				found += strstr(line, needle) != NULL;
			fclose(f);
		}
		if (found >= n)
			return 0;
		if (now_ms() > deadline)
			return -1;
		sleep_ms(20);
	}
}

int hn_run(const char *const args[], int timeout_ms, char *out, size_t outlen)
{
	const char *bin = hn_katod_bin();
	const char *argv[16];
	pid_t parent = getpid(), pid;
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	size_t got = 0;
	int pfd[2], st, n = 0;

	if (!bin || !out || !outlen)
		return -1;
	argv[n++] = bin;
	for (; args && args[n - 1] && n < 15; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		child_exec(parent, pfd[1], argv);
	}
	close(pfd[1]);
	out[0] = 0;
	for (;;) {
		struct pollfd p = { pfd[0], POLLIN, 0 };
		int left = (int)(deadline > now_ms() ? deadline - now_ms() : 0);
		char buf[1024];
		ssize_t r;

		if (left == 0 || poll(&p, 1, left) == 0) {
			kill(pid, SIGKILL);
			break;
		}
		r = read(pfd[0], buf, sizeof(buf));
		if (r <= 0)
			break;
		if (got + 1 < outlen) {
			size_t c = (size_t)r < outlen - 1 - got ? (size_t)r : outlen - 1 - got;

			memcpy(out + got, buf, c);
			got += c;
			out[got] = 0;
		}
	}
	close(pfd[0]);
	/* The output is closed; give it the rest of the timeout to exit. */
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
		sleep_ms(10);
	}
	return decode_status(st);
}

void hn_fill(void *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		if (i % 8 == 0) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		p[i] = (uint8_t)(x >> (8 * (i % 8)));
	}
}

long hn_diff(const void *a, const void *b, size_t len)
{
	const uint8_t *x = a, *y = b;

	for (size_t i = 0; i < len; i++)
		if (x[i] != y[i])
			return (long)i;
	return -1;
}

int hn_disc_up(struct kh_host **out, const char *addr, uint16_t port, const char *subnqn,
	       const char *hostnqn)
{
	struct kh_opts o;
	uint64_t until = now_ms() + 2000;
	int rc;

	memset(&o, 0, sizeof(o));
	o.subnqn = subnqn;
	o.hostnqn = hostnqn ? hostnqn : HN_HOSTNQN;
	o.kato_ms = 0;
	while ((rc = kh_admin_up(out, addr, port, &o)) == -ECONNREFUSED && now_ms() < until)
		sleep_ms(10);
	return rc;
}

int hn_group_start(void **state, struct hn_katod *k, unsigned nports, const char *json_fmt)
{
	*state = k;
	if (hn_init(k, nports))
		return -1;
	return hn_start(k, 1, json_fmt, k->port[0]);
}

int hn_group_teardown(void **state)
{
	hn_cleanup(*state);
	return 0;
}

int hn_group_teardown_clean(void **state)
{
	struct hn_katod *k = *state;
	hn_cleanup(k); /* prints the log when the exit status is not 0 */
	return k->exit_status == 0 ? 0 : -1;
}

int hn_test_setup(void **state)
{
	hn_test_begin(*state);
	return 0;
}

int hn_test_teardown(void **state)
{
	return hn_test_end(*state);
}

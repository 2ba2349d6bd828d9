/*
 * keepalive.c - bench_keepalive: how exactly and how cheaply katod keeps
 * time for many controllers. For each size (1, 100, 1000, 10000 by
 * default) it starts a fresh katod (2 workers), connects that many
 * controllers, each with an admin queue and one I/O queue (Linux's queue
 * sizes: 32 and 128), keeps them alive with Keep Alives every KATO/2 for a
 * while, then stops talking and records when each admin queue is closed.
 *
 * Printed per size: expiry lateness p50, p99 and max (host-side: close seen
 * minus (host time before the last Keep Alive + KATO), so it includes the
 * loopback and this process's wake-up, never hides an early expiry: an
 * early one shows as negative), katod's RSS per idle controller, and
 * katod's CPU per second of idle ticking (utime + stime over the tick
 * phase). Not a test: it asserts nothing; the figures go in the README.
 *
 * Usage: bench_keepalive [-k KATO_MS] [-t TICK_S] [-w WORKERS] [SIZES...]
 * katod is $KATOD_BIN or the katod next to this program.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "tests/host/host.h"

#define SUBNQN "nqn.2026-11.io.kato:bench-ka"

struct ctl {
	struct kh_host *a, *io;
	uint64_t last_ka;      /* host time before the last Keep Alive */
	uint64_t next_ka;
	uint64_t closed;       /* 0: not yet */
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static uint16_t free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || getsockname(fd, (struct sockaddr *)&a, &l))
		return 0;
	close(fd);
	return ntohs(a.sin_port);
}

static const char *katod_path(void)
{
	static char buf[PATH_MAX];
	const char *e = getenv("KATOD_BIN");
	if (e)
		return e;
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 16);
	if (n <= 0)
		return "katod";
	buf[n] = '\0';
	char *s = strrchr(buf, '/');
	strcpy(s ? s + 1 : buf, "katod");
	return buf;
}

static pid_t start_katod(const char *dir, uint16_t port, unsigned workers)
{
	char cfg[256], log[256];
	snprintf(cfg, sizeof(cfg), "%s/katod.json", dir);
	snprintf(log, sizeof(log), "%s/katod.log", dir);
	FILE *f = fopen(cfg, "w");
	if (!f)
		return -1;
	fprintf(f,
		"{\"ports\": [{\"portid\": 1, \"addr\": {\"traddr\": \"127.0.0.1\", \"trsvcid\": \"%u\"},"
		" \"subsystems\": [\"" SUBNQN "\"]}],"
		" \"subsystems\": [{\"nqn\": \"" SUBNQN "\", \"attr\": {\"allow_any_host\": \"1\"},"
		"  \"namespaces\": [{\"nsid\": 1, \"device\": {\"backend\": \"null\", \"size\": \"1G\"}}]}],"
		" \"katod\": {\"workers\": %u, \"log_level\": \"warn\"}}\n",
		port, workers);
	fclose(f);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0)
			dup2(fd, 2);
		execl(katod_path(), "katod", "-c", cfg, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) { /* until it accepts */
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(fd);
		if (ok)
			return pid;
		sleep_ms(25);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* katod's resident memory (KiB) and CPU time (ms). */
static long rss_kib(pid_t pid)
{
	char p[64], line[256];
	long v = -1;
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	FILE *f = fopen(p, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static long cpu_ms(pid_t pid)
{
	char p[64], buf[1024];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *s = strrchr(buf, ')');
	unsigned long ut = 0, st = 0;
	/* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
	if (!s || sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Keep Alives for every controller that is due. */
static int tick(struct ctl *c, size_t n, uint32_t kato)
{
	uint64_t now = kh_now_ms();
	for (size_t i = 0; i < n; i++) {
		if (c[i].next_ka > now)
			continue;
		c[i].last_ka = kh_now_ms();
		int rc = kh_keep_alive(c[i].a);
		if (rc) {
			fprintf(stderr, "bench_keepalive: controller %zu: Keep Alive: %d\n", i, rc);
			return -1;
		}
		c[i].next_ka = c[i].last_ka + kato / 2;
	}
	return 0;
}

static int run(size_t n, uint32_t kato, unsigned tick_s, unsigned workers)
{
	char dir[] = "/tmp/bench-ka.XXXXXX";
	if (!mkdtemp(dir))
		return -1;
	uint16_t port = free_port();
	pid_t pid = start_katod(dir, port, workers);
	if (pid < 0) {
		fprintf(stderr, "bench_keepalive: katod did not start (see %s/katod.log)\n", dir);
		return -1;
	}
	sleep_ms(200);
	long rss0 = rss_kib(pid);
	struct ctl *c = calloc(n, sizeof(*c));
	struct kh_opts o;
	memset(&o, 0, sizeof(o));
	o.subnqn = SUBNQN;
	o.kato_ms = kato;
	o.sqsize = 31;
	struct kh_opts oi = o;
	oi.sqsize = 127;
	int rc = 0;
	uint64_t t0 = kh_now_ms();
	for (size_t i = 0; i < n && !rc; i++) {
		c[i].last_ka = kh_now_ms();
		rc = kh_admin_up(&c[i].a, "127.0.0.1", port, &o);
		if (!rc)
			rc = kh_io_up(&c[i].io, c[i].a, "127.0.0.1", port, 1, &oi, NULL);
		if (rc)
			fprintf(stderr, "bench_keepalive: controller %zu: connect: %d\n", i, rc);
		/* spread the Keep Alives over KATO/2 */
		c[i].next_ka = t0 + kato / 2 + (uint64_t)(i * (kato / 2) / n);
		if (!rc && (i & 63) == 63)
			rc = tick(c, i + 1, kato);
	}
	uint64_t connect_ms = kh_now_ms() - t0;
	/* idle ticking: katod's CPU over tick_s seconds of Keep Alives */
	long rss1 = rss_kib(pid), cpu0 = cpu_ms(pid);
	uint64_t t1 = kh_now_ms();
	while (!rc && kh_now_ms() - t1 < tick_s * 1000ull) {
		rc = tick(c, n, kato);
		sleep_ms(5);
	}
	long cpu1 = cpu_ms(pid);
	double tick_secs = (double)(kh_now_ms() - t1) / 1000.0;
	/* silence: every controller must now expire KATO after its last Keep Alive */
	int ep = epoll_create1(0);
	for (size_t i = 0; i < n && !rc; i++) {
		struct epoll_event ev = { .events = EPOLLRDHUP | EPOLLIN, .data.u64 = i };
		epoll_ctl(ep, EPOLL_CTL_ADD, kh_fd(c[i].a), &ev);
	}
	size_t closed = 0;
	uint64_t give_up = kh_now_ms() + kato + 10000;
	while (!rc && closed < n && kh_now_ms() < give_up) {
		struct epoll_event evs[256];
		int k = epoll_wait(ep, evs, 256, 100);
		uint64_t now = kh_now_ms();
		for (int j = 0; j < k; j++) {
			struct ctl *x = &c[evs[j].data.u64];
			if (!x->closed) {
				x->closed = now;
				closed++;
				epoll_ctl(ep, EPOLL_CTL_DEL, kh_fd(x->a), NULL);
			}
		}
	}
	close(ep);
	int64_t *late = calloc(n, sizeof(*late));
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (c[i].closed)
			late[m++] = (int64_t)c[i].closed - (int64_t)(c[i].last_ka + kato);
	qsort(late, m, sizeof(*late), cmp_i64);
	if (!rc && m)
		printf("| %6zu | %7llu | %5lld | %5lld | %5lld | %6lld | %8.1f | %10.1f |%s\n", n,
		       (unsigned long long)connect_ms, (long long)late[m / 2],
		       (long long)late[m * 99 / 100 < m ? m * 99 / 100 : m - 1], (long long)late[m - 1],
		       (long long)late[0], n ? (double)(rss1 - rss0) / (double)n : 0.0,
		       (double)(cpu1 - cpu0) / tick_secs, m < n ? " (some never closed!)" : "");
	fflush(stdout);
	for (size_t i = 0; i < n; i++) {
		if (c[i].io)
			kh_close(c[i].io);
		if (c[i].a)
			kh_close(c[i].a);
	}
	free(late);
	free(c);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (rc)
		fprintf(stderr, "bench_keepalive: katod's log kept in %s/katod.log\n", dir);
	else if (system(cmd) != 0)
		fprintf(stderr, "bench_keepalive: could not remove %s\n", dir);
	return rc;
}

int main(int argc, char **argv)
{
	uint32_t kato = 10000;
	unsigned tick_s = 10, workers = 2;
	int opt;
	while ((opt = getopt(argc, argv, "k:t:w:h")) != -1) {
		switch (opt) {
		case 'k': kato = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 't': tick_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': workers = (unsigned)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: bench_keepalive [-k KATO_MS] [-t TICK_S] [-w WORKERS] [SIZES...]\n");
			return 64;
		}
	}
	/* 10,000 controllers are 20,000 sockets on each side: raise the limit
	 * (katod inherits it) as far as the system allows */
	struct rlimit rl = { 65536, 65536 };
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	size_t sizes[16] = { 1, 100, 1000, 10000 };
	size_t ns = 4;
	if (optind < argc) {
		ns = 0;
		for (int i = optind; i < argc && ns < 16; i++)
			sizes[ns++] = strtoul(argv[i], NULL, 10);
	}
	printf("keep-alive: KATO %u ms, Keep Alive every %u ms, %u s of idle ticking, katod -w %u\n", kato,
	       kato / 2, tick_s, workers);
	printf("| ctrls  | connect | p50   | p99   | max   | min    | KiB/ctrl | CPU ms/s   |\n");
	printf("| ------ | ------- | ----- | ----- | ----- | ------ | -------- | ---------- |\n");
	int rc = 0;
	for (size_t i = 0; i < ns; i++)
		rc |= run(sizes[i], kato, tick_s, workers);
	printf("lateness in ms after the deadline (host side: close seen - (time before the last Keep Alive + KATO));\n"
	       "KiB/ctrl: katod RSS growth per controller (admin + 1 I/O queue); CPU: katod utime+stime per second\n");
	return rc ? 1 : 0;
}

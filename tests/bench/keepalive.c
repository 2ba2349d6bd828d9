/*
 * keepalive.c - bench_keepalive: how exactly and how cheaply katod keeps
 * time for many controllers (issue 4). For each size (1, 100, 1000, 10000
 * by default) it starts a fresh katod (2 workers, the keep-alive trace on),
 * connects that many controllers, each with an admin queue and one I/O
 * queue (Linux's queue sizes: 32 and 128), keeps them alive with a Keep
 * Alive every KATO/2 for a while, then stops talking and records when each
 * admin queue is closed.
 *
 * Like real hosts, which connect at different times, the controllers' Keep
 * Alive phases are spread evenly over the interval (controller i at
 * i/n of it), so deadlines, and expiries, are spread too. The host side is
 * never the bottleneck: one epoll over every admin socket; a Keep Alive is
 * written without waiting for its completion (completions are reaped when
 * their socket becomes readable); a close is seen when epoll reports it.
 *
 * Printed per size: expiry lateness p50, p99 and max measured twice -
 * at the target (katod's trace: the time its "expiry" event ordered the
 * queues closed minus the deadline it computed) and on the host (close
 * seen minus (time just before the last Keep Alive was written + KATO),
 * which adds loopback and this process's wake-up, and shows an early
 * expiry as negative: "min" is the smallest); katod's RSS per idle
 * controller; katod's CPU (utime + stime) per second of idle ticking and
 * per Keep Alive. Not a test: it asserts nothing; the figures go in the
 * README.
 *
 * Usage: bench_keepalive [-k KATO_MS] [-t TICK_S] [-w WORKERS] [-T] [-K] [SIZES...]
 * (-T: no trace, so no target-side columns; katod's CPU without it.
 * -K: keep each run's directory, with katod's log and trace.)
 * katod is $KATOD_BIN or the katod next to this program.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
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
#include <nvme/types.h>

#include "tests/host/host.h"
#include "tests/host/host_priv.h" /* kh_pump: write a submitted capsule without waiting */

#define SUBNQN "nqn.2026-11.io.kato:bench-ka"

struct ctl {
	struct kh_host *a, *io;
	uint16_t cntlid;
	bool up;               /* connected, Keep Alives being sent */
	int64_t last_ka_us;    /* host time just before the last Keep Alive was written */
	int64_t closed_us;     /* 0: not yet */
	double tgt_late_ms;    /* from katod's trace; NAN: none */
};

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

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

static pid_t start_katod(const char *dir, uint16_t port, unsigned workers, bool trace)
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
		" \"katod\": {\"workers\": %u, \"log_level\": \"warn\"%s%s%s}}\n",
		port, workers, trace ? ", \"keepalive\": {\"trace\": \"" : "", trace ? dir : "",
		trace ? "/trace.jsonl\"}" : "");
	fclose(f);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setpriority(PRIO_PROCESS, 0, 0); /* katod competes for the CPU as usual */
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


static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* p50, p99, max and min of v (sorted here) into out[4]; false when empty. */
static bool pct(double *v, size_t m, double out[4])
{
	if (!m)
		return false;
	qsort(v, m, sizeof(*v), cmp_dbl);
	out[0] = v[m / 2];
	out[1] = v[m * 99 / 100 < m ? m * 99 / 100 : m - 1];
	out[2] = v[m - 1];
	out[3] = v[0];
	return true;
}

/* Writes a Keep Alive on c's admin queue without waiting for it. */
static int send_ka(struct ctl *c)
{
	struct kt_sqe sqe;
	struct kh_done d;
	while (kh_poll(c->a, &d) == 0) /* completions a previous kh_pump read (timeout 0: no wait) */
		;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = nvme_admin_keep_alive;
	c->last_ka_us = now_us();
	int rc = kh_submit(c->a, &sqe, NULL, 0, KH_NONE, 0, NULL);
	if (rc < 0)
		return rc;
	/* the socket is writable: this writes the capsule and returns */
	return kh_pump(c->a, kh_now_ms() + 1000);
}

/* c's admin socket is readable: reap what arrived (its timeout is 0, so
 * kh_poll never waits). Returns 0, or < 0 when the connection is gone. */
static int drain(struct ctl *c)
{
	struct kh_done d;
	int rc = kh_pump(c->a, kh_now_ms() + 1000);
	if (rc && rc != -ETIMEDOUT)
		return rc;
	while ((rc = kh_poll(c->a, &d)) == 0)
		if (d.status)
			fprintf(stderr, "bench_keepalive: controller %u: Keep Alive status 0x%x\n", c->cntlid,
				(unsigned)d.status);
	return rc == -ETIMEDOUT ? 0 : rc;
}

struct sched {
	struct ctl *c;
	size_t n;
	int64_t t0, period_us; /* controller i is due at t0 + i*period/n + k*period */
	size_t cur;
	int64_t round;
	bool sending;
	uint64_t sent;
	size_t closed;
	int ep;
};

static int64_t due_us(const struct sched *s)
{
	return s->t0 + s->round * s->period_us + (int64_t)s->cur * s->period_us / (int64_t)s->n;
}

/* One turn: Keep Alives that are due, then epoll until the next one is
 * due (at most max_wait_us). Returns 0, or -1 on a Keep Alive failure. */
static int service(struct sched *s, int64_t max_wait_us)
{
	while (s->sending && due_us(s) <= now_us()) {
		struct ctl *c = &s->c[s->cur];
		if (c->up && !c->closed_us) {
			int rc = send_ka(c);
			if (rc) {
				fprintf(stderr, "bench_keepalive: controller %u: Keep Alive: %d\n", c->cntlid, rc);
				return -1;
			}
			s->sent++;
		}
		if (++s->cur == s->n) {
			s->cur = 0;
			s->round++;
		}
	}
	int64_t wait = max_wait_us;
	if (s->sending) {
		int64_t d = due_us(s) - now_us();
		if (d < wait)
			wait = d > 0 ? d : 0;
	}
	struct timespec ts = { (time_t)(wait / 1000000), (long)(wait % 1000000) * 1000 };
	struct epoll_event evs[256];
	int k = epoll_pwait2(s->ep, evs, 256, &ts, NULL);
	int64_t t = now_us();
	for (int j = 0; j < k; j++) {
		struct ctl *c = &s->c[evs[j].data.u64];
		if (c->closed_us)
			continue;
		bool gone = evs[j].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR);
		if (!gone && drain(c) < 0)
			gone = true;
		if (gone) {
			c->closed_us = t;
			s->closed++;
			epoll_ctl(s->ep, EPOLL_CTL_DEL, kh_fd(c->a), NULL);
			if (s->sending) {
				fprintf(stderr, "bench_keepalive: controller %u closed while alive\n", c->cntlid);
				return -1;
			}
		}
	}
	return 0;
}

/* Reads katod's trace: each "expiry" event's time (at_us where katod
 * writes it, else the event's own mono_us) minus its deadline_ms. */
static void read_trace(const char *dir, struct ctl *c, size_t n)
{
	char path[300], line[2048];
	snprintf(path, sizeof(path), "%s/trace.jsonl", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	static int32_t by_id[65536];
	memset(by_id, -1, sizeof(by_id));
	for (size_t i = 0; i < n; i++)
		if (c[i].up)
			by_id[c[i].cntlid] = (int32_t)i;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "\"event\":\"expiry\""))
			continue;
		unsigned long long mono = 0, at = 0, deadline = 0;
		unsigned id = 0;
		const char *p;
		if (sscanf(line, "{\"mono_us\":%llu", &mono) != 1 || !(p = strstr(line, "\"cntlid\":")) ||
		    sscanf(p, "\"cntlid\":%u", &id) != 1 || !(p = strstr(line, "\"deadline_ms\":")) ||
		    sscanf(p, "\"deadline_ms\":%llu", &deadline) != 1)
			continue;
		if ((p = strstr(line, "\"at_us\":")) && sscanf(p, "\"at_us\":%llu", &at) == 1)
			mono = at;
		if (id < 65536 && by_id[id] >= 0)
			c[by_id[id]].tgt_late_ms = (double)mono / 1000.0 - (double)deadline;
	}
	fclose(f);
}

static int run(size_t n, uint32_t kato, unsigned tick_s, unsigned workers, bool trace, bool keep)
{
	char dir[] = "/tmp/bench-ka.XXXXXX";
	if (!mkdtemp(dir))
		return -1;
	uint16_t port = free_port();
	pid_t pid = start_katod(dir, port, workers, trace);
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
	struct sched s = { .c = c, .n = n, .t0 = now_us(), .period_us = (int64_t)kato * 500,
			   .sending = true, .ep = epoll_create1(EPOLL_CLOEXEC) };
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		c[i].tgt_late_ms = NAN;
		rc = kh_admin_up(&c[i].a, "127.0.0.1", port, &o);
		/* the I/O queue's Connect is the last command before any Keep
		 * Alive, and with TBKAS it re-arms: time it from before it */
		c[i].last_ka_us = now_us();
		if (!rc)
			rc = kh_io_up(&c[i].io, c[i].a, "127.0.0.1", port, 1, &oi, NULL);
		if (rc) {
			fprintf(stderr, "bench_keepalive: controller %zu: connect: %d\n", i, rc);
			break;
		}
		c[i].cntlid = kh_cntlid(c[i].a);
		kh_set_timeout(c[i].a, 0);
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u64 = i };
		epoll_ctl(s.ep, EPOLL_CTL_ADD, kh_fd(c[i].a), &ev);
		c[i].up = true;
		rc = service(&s, 0); /* Keep Alives of those already up */
	}
	double connect_s = (double)(now_us() - s.t0) / 1e6;
	/* idle ticking: katod's CPU over tick_s seconds of Keep Alives */
	long rss1 = rss_kib(pid), cpu0 = cpu_ms(pid);
	int64_t t1 = now_us();
	uint64_t sent0 = s.sent;
	while (!rc && now_us() - t1 < (int64_t)tick_s * 1000000)
		rc = service(&s, 100000);
	long cpu1 = cpu_ms(pid);
	double tick_secs = (double)(now_us() - t1) / 1e6;
	uint64_t kas = s.sent - sent0;
	/* silence: every controller must now expire KATO after its last Keep Alive */
	s.sending = false;
	int64_t give_up = now_us() + (int64_t)kato * 1000 + s.period_us + 10000000;
	while (!rc && s.closed < n && now_us() < give_up)
		rc = service(&s, 100000);
	close(s.ep);
	for (size_t i = 0; i < n; i++) {
		if (c[i].io)
			kh_close(c[i].io);
		if (c[i].a)
			kh_close(c[i].a);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	if (trace)
		read_trace(dir, c, n);
	double *hl = calloc(n + 1, sizeof(*hl)), *tl = calloc(n + 1, sizeof(*tl));
	size_t mh = 0, mt = 0;
	for (size_t i = 0; i < n; i++) {
		if (c[i].closed_us)
			hl[mh++] = (double)(c[i].closed_us - c[i].last_ka_us - (int64_t)kato * 1000) / 1000.0;
		if (!isnan(c[i].tgt_late_ms))
			tl[mt++] = c[i].tgt_late_ms;
	}
	double h[4], t[4];
	bool th = pct(hl, mh, h), tt = pct(tl, mt, t);
	if (!rc && th) {
		char tcol[96] = "|     - |     - |     - |     - ";
		if (tt)
			snprintf(tcol, sizeof(tcol), "| %5.1f | %5.1f | %5.1f | %5.1f ", t[0], t[1], t[2], t[3]);
		printf("| %6zu | %7.1f %s| %5.1f | %5.1f | %5.1f | %6.1f | %8.1f | %8.1f | %6.1f |%s\n", n,
		       connect_s, tcol, h[0], h[1], h[2], h[3],
		       n ? (double)(rss1 - rss0) / (double)n : 0.0, (double)(cpu1 - cpu0) / tick_secs,
		       kas ? (double)(cpu1 - cpu0) * 1000.0 / (double)kas : 0.0,
		       mh < n ? " (some never closed!)" : trace && mt < n ? " (expiries missing from the trace!)" : "");
	}
	fflush(stdout);
	free(hl);
	free(tl);
	free(c);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (rc || keep)
		fprintf(stderr, "bench_keepalive: %zu controllers: katod's log and trace kept in %s\n", n, dir);
	else if (system(cmd) != 0)
		fprintf(stderr, "bench_keepalive: could not remove %s\n", dir);
	return rc;
}

int main(int argc, char **argv)
{
	uint32_t kato = 10000;
	unsigned tick_s = 10, workers = 2;
	bool trace = true, keep = false;
	int opt;
	while ((opt = getopt(argc, argv, "k:t:w:TKh")) != -1) {
		switch (opt) {
		case 'k': kato = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 't': tick_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': workers = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'T': trace = false; break;
		case 'K': keep = true; break;
		default:
			fprintf(stderr, "usage: bench_keepalive [-k KATO_MS] [-t TICK_S] [-w WORKERS] [-T] [-K] [SIZES...]\n");
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
	/* The host side is the measuring instrument: on a shared 2-core
	 * machine it must see a close when it happens, not when the scheduler
	 * next runs it, so it asks for a higher priority (root; katod is put
	 * back to 0). It sleeps in epoll, so it takes little from katod. */
	bool niced = setpriority(PRIO_PROCESS, 0, -10) == 0;
	size_t sizes[16] = { 1, 100, 1000, 10000 };
	size_t ns = 4;
	if (optind < argc) {
		ns = 0;
		for (int i = optind; i < argc && ns < 16; i++)
			sizes[ns++] = strtoul(argv[i], NULL, 10);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		for (size_t i = 0; i < ns; i++)
			if (2 * sizes[i] + 64 > rl.rlim_cur)
				fprintf(stderr, "bench_keepalive: %zu controllers need %zu open files; the limit is %llu\n",
					sizes[i], 2 * sizes[i] + 64, (unsigned long long)rl.rlim_cur);
	printf("keep-alive: KATO %u ms, Keep Alive every %u ms (phases spread evenly), %u s of idle ticking,"
	       " katod -w %u, trace %s, host nice %s\n", kato, kato / 2, tick_s, workers, trace ? "on" : "off",
	       niced ? "-10" : "0 (could not raise it)");
	printf("| ctrls  | conn s  | tgt p50 | p99 | max | min | host p50 | p99 | max | min | KiB/ctrl | CPU ms/s | us/KA |\n");
	printf("| ------ | ------- | ----- | ----- | ----- | ----- | ----- | ----- | ----- | ------ | -------- | -------- | ------ |\n");
	int rc = 0;
	for (size_t i = 0; i < ns; i++)
		rc |= run(sizes[i], kato, tick_s, workers, trace, keep);
	printf("lateness in ms after the deadline: tgt = katod's trace (expiry ordered - its deadline_ms);\n"
	       "host = close seen - (time before the last Keep Alive + KATO); KiB/ctrl: katod RSS growth per\n"
	       "controller (admin + 1 I/O queue); CPU: katod utime+stime per second of ticking and per Keep Alive\n");
	return rc ? 1 : 0;
}

/*
 * main_kaprobe.c - `kaprobe`, the keep-alive probe as a program: how late
 * (or early) does an NVMe/TCP target close a controller that stops talking?
 * Works against any target (katod, the Linux kernel target, SPDK).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/host/kaprobe.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kaprobe -a ADDR [-s PORT] [-n SUBNQN] [-q HOSTNQN] [-k KATO_MS]\n"
		"               [-m keepalive|admin|io|read|none] [-c COUNT] [-i INTERVAL_MS]\n"
		"               [--io-queue] [--nsid N] [--wait MS] [-r|--repeat N] [--tag TEXT]\n"
		"               [--json]\n"
		"Connects (KATO default 2000 ms), enables the controller, sends COUNT commands\n"
		"(default 3) every INTERVAL_MS (default KATO/2) of the chosen kind, goes silent,\n"
		"and reports when the target closed the controller relative to the deadline:\n"
		"the last provable re-arm (host time before the last Keep Alive, or before any\n"
		"last command when the target advertises TBKAS) plus the KATO it reports.\n"
		"Modes: keepalive (Keep Alive), admin (Get Features), io (Flush on I/O queue 1),\n"
		"read (Read of one block at LBA 0 on I/O queue 1), none (nothing).\n"
		"--repeat runs the probe N times, one new controller each; --json prints one line\n"
		"per run (with --tag and the run number), otherwise a summary (min/p50/max) ends.\n"
		"A refused Connect (e.g. a KATO the target will not take) is reported with its\n"
		"status and dw0.\n"
		"Exit status: 0 all closed, 1 some never closed within the wait, 2 error, 64 usage.\n");
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void print_text(const struct kp_opts *o, const struct kp_result *r, int rc)
{
	if (rc && !r->cntlid)
		return; /* never connected: the error line says why */
	printf("kaprobe: %s:%u cntlid %u: KATO %u ms (asked %u), KAS %u (%u ms), TBKAS %s\n", o->addr,
	       o->port, r->cntlid, r->kato_ms, o->kato_ms, r->kas, r->kas * 100u, r->tbkas ? "yes" : "no");
	printf("kaprobe: %u %s command(s) every %u ms, then silent\n", r->sent,
	       o->mode == KP_KEEPALIVE ? "Keep Alive" : o->mode == KP_ADMIN ? "admin" :
	       o->mode == KP_IO ? "I/O (Flush)" : o->mode == KP_READ ? "I/O (Read)" : "no",
	       o->interval_ms);
	if (rc == 0)
		printf("kaprobe: closed %lld ms after the last re-arm: %lld ms %s the deadline%s\n",
		       (long long)(r->closed_ms - r->rearm_ms), (long long)(r->late_ms < 0 ? -r->late_ms : r->late_ms),
		       r->late_ms < 0 ? "BEFORE" : "after", r->io_closed ? " (I/O queue closed too)" : "");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "io-queue", no_argument, NULL, 'I' }, { "nsid", required_argument, NULL, 'N' },
		{ "wait", required_argument, NULL, 'W' }, { "json", no_argument, NULL, 'J' },
		{ "repeat", required_argument, NULL, 'r' }, { "tag", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct kp_opts o = { .port = 4420, .kato_ms = 2000, .mode = KP_KEEPALIVE, .count = 3 };
	bool json = false, interval_set = false;
	unsigned repeat = 1;
	int c;

	while ((c = getopt_long(argc, argv, "a:s:n:q:k:m:c:i:r:h", lo, NULL)) != -1) {
		switch (c) {
		case 'a': o.addr = optarg; break;
		case 's': o.port = (uint16_t)strtoul(optarg, NULL, 10); break;
		case 'n': o.subnqn = optarg; break;
		case 'q': o.hostnqn = optarg; break;
		case 'k': o.kato_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'c': o.count = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'i': o.interval_ms = (unsigned)strtoul(optarg, NULL, 10); interval_set = true; break;
		case 'I': o.io_queue = true; break;
		case 'N': o.nsid = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'W': o.wait_ms = atoi(optarg); break;
		case 'J': json = true; break;
		case 'r': repeat = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'T': o.tag = optarg; break;
		case 'm':
			if (!strcmp(optarg, "keepalive")) o.mode = KP_KEEPALIVE;
			else if (!strcmp(optarg, "admin")) o.mode = KP_ADMIN;
			else if (!strcmp(optarg, "io")) o.mode = KP_IO;
			else if (!strcmp(optarg, "read")) o.mode = KP_READ;
			else if (!strcmp(optarg, "none")) o.mode = KP_NONE;
			else { usage(stderr); return 64; }
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 64;
		}
	}
	if (!o.addr || optind < argc || !o.port || !repeat || repeat > 10000) {
		usage(stderr);
		return 64;
	}
	if (!interval_set)
		o.interval_ms = o.kato_ms / 2;

	int64_t *late = calloc(repeat, sizeof(*late));
	unsigned closed = 0, timeouts = 0, errors = 0;
	if (!late)
		return 2;
	for (unsigned i = 0; i < repeat; i++) {
		struct kp_result r;
		char err[256] = "";
		o.rep = i + 1;
		int rc = kp_run(&o, &r, err, sizeof(err));
		if (rc == 0)
			late[closed++] = r.late_ms;
		else if (rc == -ETIMEDOUT)
			timeouts++;
		else
			errors++;
		if (json) {
			char line[1536];
			kp_json(&o, &r, rc, line, sizeof(line));
			printf("%s\n", line);
		} else {
			print_text(&o, &r, rc);
		}
		if (rc)
			fprintf(stderr, "kaprobe: %s\n", err);
		fflush(stdout);
	}
	if (!json && repeat > 1) {
		qsort(late, closed, sizeof(*late), cmp_i64);
		printf("kaprobe: %u run(s): %u closed, %u never closed, %u error(s)", repeat, closed, timeouts,
		       errors);
		if (closed)
			printf("; after the deadline: min %lld, p50 %lld, max %lld ms", (long long)late[0],
			       (long long)late[(closed - 1) / 2], (long long)late[closed - 1]);
		printf("\n");
	}
	free(late);
	return errors ? 2 : timeouts ? 1 : 0;
}

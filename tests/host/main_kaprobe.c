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
		"               [-m keepalive|admin|io|none] [-c COUNT] [-i INTERVAL_MS]\n"
		"               [--io-queue] [--nsid N] [--wait MS] [--json]\n"
		"Connects (KATO default 2000 ms), enables the controller, sends COUNT commands\n"
		"(default 3) every INTERVAL_MS (default KATO/2) of the chosen kind, goes silent,\n"
		"and reports when the target closed the controller relative to the deadline:\n"
		"the last provable re-arm (host time before the last Keep Alive, or before any\n"
		"last command when the target advertises TBKAS) plus the KATO it reports.\n"
		"Exit status: 0 closed, 1 never closed within the wait, 2 error, 64 usage.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "io-queue", no_argument, NULL, 'I' }, { "nsid", required_argument, NULL, 'N' },
		{ "wait", required_argument, NULL, 'W' }, { "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct kp_opts o = { .port = 4420, .kato_ms = 2000, .mode = KP_KEEPALIVE, .count = 3 };
	bool json = false, interval_set = false;
	int c;

	while ((c = getopt_long(argc, argv, "a:s:n:q:k:m:c:i:h", lo, NULL)) != -1) {
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
		case 'm':
			if (!strcmp(optarg, "keepalive")) o.mode = KP_KEEPALIVE;
			else if (!strcmp(optarg, "admin")) o.mode = KP_ADMIN;
			else if (!strcmp(optarg, "io")) o.mode = KP_IO;
			else if (!strcmp(optarg, "none")) o.mode = KP_NONE;
			else { usage(stderr); return 64; }
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 64;
		}
	}
	if (!o.addr || optind < argc || !o.port) {
		usage(stderr);
		return 64;
	}
	if (!interval_set)
		o.interval_ms = o.kato_ms / 2;

	struct kp_result r;
	char err[256] = "";
	int rc = kp_run(&o, &r, err, sizeof(err));
	if (json) {
		char line[1024];
		kp_json(&o, &r, rc, line, sizeof(line));
		printf("%s\n", line);
	} else {
		printf("kaprobe: %s:%u cntlid %u: KATO %u ms (asked %u), KAS %u (%u ms), TBKAS %s\n", o.addr,
		       o.port, r.cntlid, r.kato_ms, o.kato_ms, r.kas, r.kas * 100u, r.tbkas ? "yes" : "no");
		printf("kaprobe: %u %s command(s) every %u ms, then silent\n", r.sent,
		       o.mode == KP_KEEPALIVE ? "Keep Alive" : o.mode == KP_ADMIN ? "admin" : o.mode == KP_IO ? "I/O" : "no",
		       o.interval_ms);
		if (rc == 0)
			printf("kaprobe: closed %lld ms after the last re-arm: %lld ms %s the deadline%s\n",
			       (long long)(r.closed_ms - r.rearm_ms), (long long)(r.late_ms < 0 ? -r.late_ms : r.late_ms),
			       r.late_ms < 0 ? "BEFORE" : "after",
			       r.io_closed ? " (I/O queue closed too)" : "");
	}
	if (rc)
		fprintf(stderr, "kaprobe: %s\n", err);
	return rc == 0 ? 0 : rc == -ETIMEDOUT ? 1 : 2;
}

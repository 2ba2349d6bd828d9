/*
 * main.c - katod: reads the configuration (or uses the built-in default
 * target), builds the target, starts the workers and the listeners, and
 * runs until SIGINT or SIGTERM. Stopping: the listeners and the control
 * socket close first, in-flight I/O is given up to KT_DRAIN_MS to finish,
 * then every queue closes and file namespaces are flushed (fdatasync)
 * before exit 0. SIGHUP (ExecReload) re-reads the configuration file and
 * applies the difference live (daemon/core/live.c); one log line says how it went.
 *
 * Exit status (also in katod(8)): 0 clean stop, 64 usage error,
 * 78 configuration error, 74 a namespace backend could not be opened,
 * 71 cannot listen or start (an OS error).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include "config/config.h"
#include "daemon/backend/backend.h"
#include "daemon/control/control.h"
#include "daemon/transport/transport.h"
#include "daemon/core/keepalive.h"
#include "daemon/core/live.h"
#include "daemon/log.h"
#include "daemon/notify.h"
#include "daemon/core/sq.h"
#include "daemon/control/rpc.h"
#include "daemon/control/rpc_edit.h"
#include "daemon/core/target.h"
#include "daemon/core/worker.h"

enum {
	EXIT_USAGE = 64,   /* EX_USAGE */
	EXIT_OSERR = 71,   /* EX_OSERR */
	EXIT_IOERR = 74,   /* EX_IOERR */
	EXIT_CONFIG = 78,  /* EX_CONFIG */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: katod [-c FILE] [-w N] [-l LEVEL] [-s SOCKET] [--check] [--print-config]\n"
		"Serve NVMe over TCP: discovery, fabrics Connect, admin and I/O queues.\n\n"
		"  -c, --config FILE    nvmetcli JSON configuration (plus a \"katod\" section);\n"
		"                       without it, the built-in default target: a 1 GiB RAM\n"
		"                       namespace in %s on 127.0.0.1:4420,\n"
		"                       discovery on 127.0.0.1:4420 and 127.0.0.1:8009\n"
		"  -w, --workers N      worker threads (default: one per core)\n"
		"  -l, --log-level L    error, warn, info (default) or debug\n"
		"  -s, --control-socket PATH  the control socket for katoctl (default\n"
		"                       " KT_CONTROL_DEFAULT_PATH "; \"\" for none)\n"
		"      --check          validate the configuration and exit\n"
		"      --print-config   print the effective configuration as JSON and exit\n"
		"  -h, --help           this text\n"
		"  -V, --version        print the version\n\n"
		"Exit status: 0 clean stop, 64 usage, 78 configuration error, 74 backend error,\n"
		"71 cannot listen or start. See katod(8).\n",
		KT_DEFAULT_SUBNQN);
}

static void on_sighup(evutil_socket_t sig, short what, void *arg)
{
	char err[512] = "";
	kt_notify_reloading();
	kt_rpc_ana_cancel_all(); /* the file's ANA states win over a pending transition */
	int rc = kt_live_reload(NULL, err, sizeof(err));
	kt_notify_reloaded(rc < 0 ? err : NULL);
	if (rc < 0)
		kt_err("SIGHUP: reload of %s failed, nothing changed: %s",
		       kt_live_path()[0] ? kt_live_path() : "the configuration", err[0] ? err : strerror(-rc));
	else
		kt_info("SIGHUP: reloaded %s", kt_live_path());
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	kt_info("signal %d: stopping", (int)sig);
	event_base_loopbreak(arg);
}

/* Every transport starts, then every configured port listens through its
 * own (daemon/transport/transport.h). 0 or a negative errno with err. */
static int listen_all(struct event_base *base, char *err, size_t errlen)
{
	const struct kt_target *t = kt_target_get();
	int rc = kt_transports_start(base, err, errlen);
	for (size_t i = 0; i < t->n_ports && rc == 0; i++)
		rc = kt_target_listen(t->ports[i], err, errlen);
	if (rc == 0)
		kt_transports_started();
	return rc;
}

/* Each worker's keep-alive timer joins its loop (daemon/core/keepalive.h). */
static const struct kt_worker_hooks worker_hooks = {
	.init = kt_keepalive_worker_init,
	.fini = kt_keepalive_worker_fini,
};

static void close_worker_queues(struct kt_worker *w, void *arg)
{
	kt_sq_close_all(w);
}

/* Stopping: how long in-flight I/O may take to finish. */
#define KT_DRAIN_MS 5000

static _Atomic unsigned drain_left; /* workers not yet drained */
static _Atomic bool drain_force;

/* On a worker: once none of its queues has a command with a backend, close
 * them all in the same turn (so nothing new starts in between). */
static void drain_worker(struct kt_worker *w, void *arg)
{
	_Atomic bool *done = arg;
	unsigned inflight = 0;
	if (atomic_load(done)) /* an earlier round's message did it */
		return;
	for (struct kt_sq *sq = w->sqs; sq; sq = sq->w_next)
		inflight += sq->released ? 0 : sq->inflight;
	if (inflight && !atomic_load(&drain_force))
		return;
	if (inflight)
		kt_warn("worker %u: closing with %u command%s still in flight", w->id, inflight,
			inflight == 1 ? "" : "s");
	kt_sq_close_all(w);
	atomic_store(done, true);
	atomic_fetch_sub(&drain_left, 1);
}

static void drain_and_close(void)
{
	unsigned n = kt_workers_count();
	_Atomic bool *done = calloc(n ? n : 1, sizeof(*done));
	if (!done) {
		for (unsigned i = 0; i < n; i++)
			kt_worker_post(kt_worker_get(i), close_worker_queues, NULL);
		return;
	}
	atomic_store(&drain_left, n);
	uint64_t deadline = kt_now_ms() + KT_DRAIN_MS;
	while (atomic_load(&drain_left) > 0) {
		if (kt_now_ms() >= deadline)
			atomic_store(&drain_force, true);
		for (unsigned i = 0; i < n; i++)
			if (!atomic_load(&done[i]))
				kt_worker_post(kt_worker_get(i), drain_worker, &done[i]);
		usleep(20000);
	}
	/* the workers run the messages still queued before they stop */
	kt_workers_stop();
	free(done);
}

static void sync_backends(void)
{
	const struct kt_target *t = kt_target_get();
	for (size_t i = 0; i < t->n_subsys; i++) {
		for (size_t n = 0; n < t->subsys[i]->n_ns; n++) {
			int rc = kt_backend_sync(t->subsys[i]->ns[n]->backend);
			if (rc < 0)
				kt_err("subsystem %s namespace %u: flush at exit: %s", t->subsys[i]->nqn,
				       t->subsys[i]->ns[n]->nsid, strerror(-rc));
		}
	}
}

static void print_connect_hint(const struct kt_target *t)
{
	for (size_t i = 0; i < t->n_ports; i++) {
		const struct kt_port *p = t->ports[i];
		fprintf(stderr, "katod: discover: nvme discover -t tcp -a %s -s %s\n", p->traddr, p->trsvcid);
		for (size_t k = 0; k < p->n_subsys; k++)
			fprintf(stderr, "katod: connect:  nvme connect -t tcp -a %s -s %s -n %s\n", p->traddr,
				p->trsvcid, p->subsys[k]->nqn);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "workers", required_argument, NULL, 'w' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "control-socket", required_argument, NULL, 's' },
		{ "check", no_argument, NULL, 'C' },
		{ "print-config", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL, *level = NULL, *control_path = NULL;
	long workers = -1;
	bool check = false, print = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:w:l:s:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'w': {
			char *end;
			workers = strtol(optarg, &end, 10);
			if (*end || workers < 1 || workers > 1024) {
				fprintf(stderr, "katod: --workers: \"%s\" is not a number from 1 to 1024\n", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'l': level = optarg; break;
		case 's': control_path = optarg; break;
		case 'C': check = true; break;
		case 'P': print = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("katod %s\n", KATO_VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "katod: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (level && kt_log_set_level(level) < 0) {
		fprintf(stderr, "katod: --log-level: \"%s\" is not error, warn, info or debug\n", level);
		return EXIT_USAGE;
	}

	struct kt_config *cfg = NULL;
	char err[512] = "";
	int rc = config_path ? kt_config_load_file(config_path, &cfg, err, sizeof(err)) : kt_config_default(&cfg);
	if (rc < 0) {
		fprintf(stderr, "katod: %s: %s\n", config_path ? config_path : "default configuration",
			err[0] ? err : strerror(-rc));
		return EXIT_CONFIG;
	}
	if (check) {
		fprintf(stderr, "katod: %s: configuration is valid\n", config_path ? config_path : "default");
		kt_config_free(cfg);
		return 0;
	}
	if (print) {
		char *json = NULL;
		/* the effective configuration: command-line options win */
		if (workers > 0)
			cfg->daemon.workers = (unsigned)workers;
		if (level) {
			free(cfg->daemon.log_level);
			cfg->daemon.log_level = strdup(level);
		}
		if (control_path) {
			free(cfg->daemon.control_socket);
			cfg->daemon.control_socket = strdup(control_path);
		}
		rc = kt_config_to_json(cfg, &json);
		if (rc == 0)
			fputs(json, stdout);
		free(json);
		kt_config_free(cfg);
		return rc == 0 ? 0 : EXIT_CONFIG;
	}
	if (!level && cfg->daemon.log_level && kt_log_set_level(cfg->daemon.log_level) < 0) {
		fprintf(stderr, "katod: katod.log_level: \"%s\" is not error, warn, info or debug\n",
			cfg->daemon.log_level);
		kt_config_free(cfg);
		return EXIT_CONFIG;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Every queue is a descriptor: take all the descriptors we are allowed. */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
			kt_warn("cannot raise the open-file limit: %s", strerror(errno));
	}

	unsigned nw = workers > 0 ? (unsigned)workers : cfg->daemon.workers;
	if (nw == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nw = n > 0 ? (unsigned)n : 1;
	}
	/* before the workers start: each namespace's I/O counters learn how many will count */
	kt_target_set_transports(kt_transport_for);
	rc = kt_target_build(cfg, nw, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "katod: %s\n", err[0] ? err : strerror(-rc));
		kt_target_destroy();
		kt_config_free(cfg);
		return rc == -EINVAL ? EXIT_CONFIG : EXIT_IOERR;
	}
	/* -s wins over katod.control_socket; only the default may be missing
	 * (katod run by hand without /run/katod), an explicit one may not */
	bool control_required = control_path || cfg->daemon.control_socket;
	char *control = strdup(control_path ? control_path
				: cfg->daemon.control_socket ? cfg->daemon.control_socket
							     : KT_CONTROL_DEFAULT_PATH);
	kt_rpc_init();

	struct event_base *base = event_base_new();
	if (!base || kt_workers_start(nw, &worker_hooks) < 0) {
		fprintf(stderr, "katod: cannot start workers: %s\n", strerror(errno));
		return EXIT_OSERR;
	}
	kt_live_init(cfg, config_path, base); /* the running configuration: rpc.c and reload read it */
	if (control && *control) {
		rc = kt_control_start(base, control, err, sizeof(err));
		if (rc < 0 && control_required) {
			fprintf(stderr, "katod: %s\n", err);
			kt_workers_stop();
			kt_target_destroy();
			kt_live_fini();
			free(control);
			event_base_free(base);
			return EXIT_OSERR;
		}
		if (rc < 0)
			kt_warn("%s: running without a control socket", err);
	}
	free(control);
	rc = listen_all(base, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "katod: %s\n", err);
		kt_transports_stop();
		kt_control_stop();
		kt_workers_stop();
		kt_target_destroy();
		kt_live_fini();
		event_base_free(base);
		return EXIT_OSERR;
	}
	struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
	struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	struct event *sighup = evsignal_new(base, SIGHUP, on_sighup, NULL);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	event_add(sighup, NULL);
	print_connect_hint(kt_target_get());
	kt_info("katod %s ready", KATO_VERSION);
	if (kt_notify_ready(base) < 0)
		kt_warn("systemd notification: out of memory");

	event_base_dispatch(base);

	kt_notify_stopping("finishing in-flight I/O");
	kt_notify_stop();
	kt_transports_stop();
	kt_control_stop();
	drain_and_close();
	sync_backends();
	kt_target_destroy();
	kt_live_fini();
	event_free(sigint);
	event_free(sigterm);
	event_free(sighup);
	event_base_free(base);
	kt_info("stopped");
	return 0;
}

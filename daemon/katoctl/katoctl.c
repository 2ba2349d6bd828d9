/*
 * katoctl.c - the command-line client of katod's control socket
 * (daemon/control/control.h): one subcommand per JSON-RPC method, a table for
 * people or the raw result with --json for scripts. This file holds main,
 * the dispatch of a command to its file (edit.c, keepalive.c, or the
 * reports and config save here); the connection, the call and the printers
 * they share are client.c's.
 *
 * Exit status: 0 success; 1 katod answered with an error (its message is
 * printed); 2 usage error, katod unreachable, or an answer that is not
 * JSON-RPC.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "daemon/katoctl/client.h"
#include "daemon/katoctl/edit.h"
#include "daemon/katoctl/faults.h"
#include "daemon/katoctl/keepalive.h"

#define DEFAULT_SOCKET "/run/katod/katod.sock"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: katoctl [-s SOCKET] [--json] COMMAND [ARGS]\n"
		"Ask a running katod through its control socket.\n\n"
		"Commands (JSON-RPC method in brackets):\n"
		"  version                                   [version]\n"
		"  ports [list] [--portid N]                 [ports.list]\n"
		"  ana [list] [--portid N]                   [ana.list] (ANA groups per port)\n"
		"  subsystems [list] [NQN]                   [subsystems.list]\n"
		"  namespaces [list] [-n NQN] [--nsid N]     [namespaces.list]\n"
		"  hosts [list]                              [hosts.list]\n"
		"  controllers [list] [-n NQN] [--cntlid N]  [controllers.list]\n"
		"  controllers disconnect CNTLID [-n NQN]    [controllers.disconnect]\n"
		"  counters [-n NQN] [--cntlid N]            [counters]\n"
		"  config save [FILE]                        [config.save] (nvmetcli JSON; stdout without FILE)\n"
		"  call METHOD [PARAMS-JSON]                 any method, result printed as JSON\n\n"
		"Options:\n"
		"  -s, --socket PATH   control socket (default $KATOD_SOCKET, else %s)\n"
		"  -j, --json          print the result as JSON instead of a table\n"
		"  -h, --help          this text\n\n"
		"Exit status: 0 success, 1 katod refused the request, 2 usage error or katod unreachable.\n",
		DEFAULT_SOCKET);
	katoctl_edit_usage(f);
	katoctl_keepalive_usage(f);
	katoctl_faults_usage(f);
}

static const struct col ports_cols[] = {
	{ "portid", "PORT" }, { "trtype", "TRTYPE" }, { "adrfam", "ADRFAM" }, { "traddr", "TRADDR" },
	{ "trsvcid", "TRSVCID" }, { "subsystems", "SUBSYSTEMS" }, { NULL, NULL },
};
static const struct col ana_cols[] = {
	{ "portid", "PORT" }, { "grpid", "GROUP" }, { "state", "STATE" }, { "namespaces", "NAMESPACES" },
	{ NULL, NULL },
};
static const struct col subsys_cols[] = {
	{ "nqn", "NQN" }, { "serial", "SERIAL" }, { "allow_any_host", "ANY HOST" },
	{ "namespaces", "NAMESPACES" }, { "controllers", "CONTROLLERS" }, { "ports", "PORTS" },
	{ "allowed_hosts", "ALLOWED HOSTS" }, { NULL, NULL },
};
static const struct col ns_cols[] = {
	{ "subsystem", "SUBSYSTEM" }, { "nsid", "NSID" }, { "enabled", "ENABLED" }, { "backend", "BACKEND" },
	{ "size", "SIZE" }, { "block_size", "BLOCK" }, { "path", "PATH" }, { "uuid", "UUID" }, { NULL, NULL },
};
static const struct col hosts_cols[] = {
	{ "nqn", "HOST NQN" },		   { "allowed_in", "ALLOWED IN" }, { "dhchap_key", "DHCHAP KEY" },
	{ "dhchap_ctrl_key", "CTRL KEY" }, { "dhchap_hash", "HASH" },	   { "dhchap_dhgroup", "DH GROUP" },
	{ NULL, NULL },
};
static const struct col ctrl_cols[] = {
	{ "cntlid", "CNTLID" }, { "subsystem", "SUBSYSTEM" }, { "hostnqn", "HOST NQN" }, { "peer", "PEER" },
	{ "queues", "QUEUES" }, { "kato_ms", "KATO MS" }, { "ms_since_keep_alive", "SINCE KA MS" },
	{ "ms_since_traffic", "SINCE IO MS" }, { "keepalive_policy", "KA POLICY" }, { NULL, NULL },
};
static const struct col counter_cols[] = {
	{ "cntlid", "CNTLID" }, { "subsystem", "SUBSYSTEM" }, { "read_commands", "READS" },
	{ "write_commands", "WRITES" }, { "bytes_read", "BYTES READ" }, { "bytes_written", "BYTES WRITTEN" },
	{ "errors", "ERRORS" }, { NULL, NULL },
};

/* ---- subcommands ------------------------------------------------------ */

struct args {
	const char *subsys, *file, *method, *params_text;
	long long cntlid, portid, nsid;
	const char *positional[4];
	int npos;
};

static bool parse_num(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 0);
	if (errno || !*s || *end || v < 0)
		return false;
	*out = v;
	return true;
}

/* Options after the command words. Returns false on a usage error. */
static bool parse_args(int argc, char **argv, struct args *a)
{
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];
		long long *num = NULL;
		if (!strcmp(s, "-n") || !strcmp(s, "--subsystem")) {
			if (++i >= argc)
				goto missing;
			a->subsys = argv[i];
			continue;
		}
		if (!strcmp(s, "--cntlid"))
			num = &a->cntlid;
		else if (!strcmp(s, "--portid"))
			num = &a->portid;
		else if (!strcmp(s, "--nsid"))
			num = &a->nsid;
		if (num) {
			if (++i >= argc)
				goto missing;
			if (!parse_num(argv[i], num)) {
				fprintf(stderr, "katoctl: %s: \"%s\" is not a number\n", s, argv[i]);
				return false;
			}
			continue;
		}
		if (s[0] == '-' && s[1]) {
			fprintf(stderr, "katoctl: unknown option %s\n", s);
			return false;
		}
		if (a->npos >= 4) {
			fprintf(stderr, "katoctl: too many arguments\n");
			return false;
		}
		a->positional[a->npos++] = s;
		continue;
	missing:
		fprintf(stderr, "katoctl: %s needs a value\n", s);
		return false;
	}
	return true;
}

static int run(const char *sock, const char *method, struct json_object *params, const struct col *cols,
	       const char *listkey)
{
	struct json_object *res = NULL;
	int rc = rpc(sock, method, params, &res);
	json_object_put(params);
	if (rc)
		return rc;
	struct json_object *rows = res;
	if (listkey)
		json_object_object_get_ex(res, listkey, &rows);
	if (opt_json || !cols || !rows || !json_object_is_type(rows, json_type_array)) {
		print_json(res);
	} else {
		table(rows, cols);
	}
	json_object_put(res);
	return EXIT_OK;
}

static struct json_object *params_new(void) { return json_object_new_object(); }

static void add_str(struct json_object *p, const char *k, const char *v)
{
	if (v)
		json_object_object_add(p, k, json_object_new_string(v));
}

static void add_num(struct json_object *p, const char *k, long long v)
{
	if (v >= 0)
		json_object_object_add(p, k, json_object_new_int64(v));
}

static int cmd_version(const char *sock)
{
	struct json_object *res = NULL;
	int rc = rpc(sock, "version", NULL, &res);
	if (rc)
		return rc;
	if (opt_json) {
		print_json(res);
	} else {
		char buf[1024];
		static const char *const keys[] = { "name", "version", "pid", "uptime_ms", "workers", "methods", NULL };
		for (size_t i = 0; keys[i]; i++)
			printf("%-10s %s\n", keys[i], cell(res, keys[i], buf, sizeof(buf)));
	}
	json_object_put(res);
	return EXIT_OK;
}

/* Keys in a configuration (DH-HMAC-CHAP and TLS, given inline; a
 * "file:PATH" reference is not one): replaced by a note when redact is set.
 * Returns how many there are. */
static mode_t umask_now(void)
{
	mode_t m = umask(0);
	umask(m);
	return m;
}

static size_t secrets(struct json_object *o, bool redact)
{
	size_t n = 0;
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			if (json_object_is_type(v, json_type_string) &&
			    (!strncmp(json_object_get_string(v), "DHHC-1:", 7) ||
			     !strncmp(json_object_get_string(v), "NVMeTLSkey-1:", 13))) {
				n++;
				if (redact)
					json_object_object_add(o, k, json_object_new_string("(a key: katoctl config save FILE)"));
			} else {
				n += secrets(v, redact);
			}
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			n += secrets(json_object_array_get_idx(o, i), redact);
	}
	return n;
}

/* Keys never reach katoctl's output: without FILE they are left out (the
 * rest is printed); FILE is written with mode 0600 when the configuration
 * holds keys, whatever the umask (0644 otherwise). */
static int cmd_config_save(const char *sock, const char *file)
{
	struct json_object *res = NULL, *cfg = NULL;
	int rc = rpc(sock, "config.save", NULL, &res);
	if (rc)
		return rc;
	if (!json_object_object_get_ex(res, "config", &cfg)) {
		fprintf(stderr, "katoctl: config.save: the answer has no \"config\"\n");
		json_object_put(res);
		return EXIT_USAGE;
	}
	size_t nkeys = secrets(cfg, !file);
	if (!file && nkeys)
		fprintf(stderr, "katoctl: %zu key(s) left out of the output; katoctl config save FILE writes them "
				"(mode 0600)\n", nkeys);
	const char *text = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
								       JSON_C_TO_STRING_NOSLASHESCAPE);
	struct json_object *left = NULL; /* keep-alive rules for one cntlid: not saved (daemon/control/rpc.c) */
	if (json_object_object_get_ex(res, "left_out", &left) && json_object_array_length(left))
		fprintf(stderr, "katoctl: %zu keep-alive rule(s) scoped to a controller id not saved "
				"(ids change on restart): %s\n",
			json_object_array_length(left), json_object_to_json_string_ext(left, JSON_C_TO_STRING_PLAIN));
	if (!file) {
		puts(text);
	} else {
		/* written beside the target, then renamed over it */
		char tmp[4096];
		snprintf(tmp, sizeof(tmp), "%s.tmp.%d", file, (int)getpid());
		mode_t mode = nkeys ? 0600 : 0644;
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (fd >= 0 && fchmod(fd, mode & ~(nkeys ? 0 : umask_now())) < 0) {
			close(fd);
			fd = -1;
		}
		FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (fd >= 0 && !f)
			close(fd);
		bool ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
		if (f && fclose(f))
			ok = false;
		if (!ok || rename(tmp, file) < 0) {
			fprintf(stderr, "katoctl: writing %s: %s\n", file, strerror(errno));
			unlink(tmp);
			rc = EXIT_USAGE;
		}
	}
	json_object_put(res);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("KATOD_SOCKET");
	if (!sock || !*sock)
		sock = DEFAULT_SOCKET;
	int opt;
	/* "+": stop at the command, whose own options follow it */
	while ((opt = getopt_long(argc, argv, "+s:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'j': opt_json = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[optind++];
	const char *sub = NULL;
	if (optind < argc && argv[optind][0] != '-' &&
	    (!strcmp(argv[optind], "list") || !strcmp(argv[optind], "disconnect") || !strcmp(argv[optind], "save")))
		sub = argv[optind++];
	/* --json may also come after the command */
	int n = 0;
	for (int i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			opt_json = true;
		else
			argv[optind + n++] = argv[i];
	}
	int edit_rc; /* changes and counter views: edit.c; keep-alive: keepalive.c */
	if (katoctl_keepalive(sock, cmd, n, argv + optind, &edit_rc))
		return edit_rc;
	if (katoctl_faults(sock, cmd, n, argv + optind, &edit_rc))
		return edit_rc;
	if (katoctl_edit(sock, cmd, n, argv + optind, &edit_rc))
		return edit_rc;
	struct args a = { .cntlid = -1, .portid = -1, .nsid = -1 };
	if (!parse_args(n, argv + optind, &a)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	bool list = !sub || !strcmp(sub, "list");
#define NO_POS(max)                                                                     \
	do {                                                                            \
		if (a.npos > (max)) {                                                   \
			fprintf(stderr, "katoctl: %s: unexpected argument \"%s\"\n", cmd, \
				a.positional[max]);                                     \
			return EXIT_USAGE;                                              \
		}                                                                       \
	} while (0)

	if (!strcmp(cmd, "version") && !sub) {
		NO_POS(0);
		return cmd_version(sock);
	}
	if (!strcmp(cmd, "ports") && list) {
		NO_POS(0);
		struct json_object *p = params_new();
		add_num(p, "portid", a.portid);
		return run(sock, "ports.list", p, ports_cols, NULL);
	}
	if (!strcmp(cmd, "ana") && list) {
		NO_POS(0);
		struct json_object *p = params_new();
		add_num(p, "portid", a.portid);
		return run(sock, "ana.list", p, ana_cols, NULL);
	}
	if (!strcmp(cmd, "subsystems") && list) {
		NO_POS(1);
		struct json_object *p = params_new();
		add_str(p, "nqn", a.npos ? a.positional[0] : a.subsys);
		return run(sock, "subsystems.list", p, subsys_cols, NULL);
	}
	if (!strcmp(cmd, "namespaces") && list) {
		NO_POS(0);
		struct json_object *p = params_new();
		add_str(p, "subsystem", a.subsys);
		add_num(p, "nsid", a.nsid);
		return run(sock, "namespaces.list", p, ns_cols, NULL);
	}
	if (!strcmp(cmd, "hosts") && list) {
		NO_POS(0);
		return run(sock, "hosts.list", NULL, hosts_cols, NULL);
	}
	if (!strcmp(cmd, "controllers") && list) {
		NO_POS(0);
		struct json_object *p = params_new();
		add_str(p, "subsystem", a.subsys);
		add_num(p, "cntlid", a.cntlid);
		return run(sock, "controllers.list", p, ctrl_cols, NULL);
	}
	if (!strcmp(cmd, "controllers") && sub && !strcmp(sub, "disconnect")) {
		NO_POS(1);
		long long id = a.cntlid;
		if (a.npos && !parse_num(a.positional[0], &id)) {
			fprintf(stderr, "katoctl: controllers disconnect: \"%s\" is not a controller id\n",
				a.positional[0]);
			return EXIT_USAGE;
		}
		if (id < 0) {
			fprintf(stderr, "katoctl: controllers disconnect: which CNTLID?\n");
			return EXIT_USAGE;
		}
		struct json_object *p = params_new();
		add_str(p, "subsystem", a.subsys);
		add_num(p, "cntlid", id);
		struct json_object *res = NULL;
		int rc = rpc(sock, "controllers.disconnect", p, &res);
		json_object_put(p);
		if (rc == EXIT_OK) {
			if (opt_json)
				print_json(res);
			else
				printf("controller %lld disconnected\n", id);
			json_object_put(res);
		}
		return rc;
	}
	if (!strcmp(cmd, "counters") && !sub) {
		NO_POS(0);
		struct json_object *p = params_new();
		add_str(p, "subsystem", a.subsys);
		add_num(p, "cntlid", a.cntlid);
		return run(sock, "counters", p, counter_cols, "controllers");
	}
	if (!strcmp(cmd, "config") && sub && !strcmp(sub, "save")) {
		NO_POS(1);
		return cmd_config_save(sock, a.npos ? a.positional[0] : NULL);
	}
	if (!strcmp(cmd, "call") && !sub) {
		NO_POS(2);
		if (!a.npos) {
			fprintf(stderr, "katoctl: call: which method?\n");
			return EXIT_USAGE;
		}
		struct json_object *p = NULL;
		if (a.npos > 1) {
			p = json_tokener_parse(a.positional[1]);
			if (!p) {
				fprintf(stderr, "katoctl: call: params are not JSON: %s\n", a.positional[1]);
				return EXIT_USAGE;
			}
		}
		opt_json = true;
		return run(sock, a.positional[0], p, NULL, NULL);
	}
	fprintf(stderr, "katoctl: unknown command \"%s%s%s\"\n", cmd, sub ? " " : "", sub ? sub : "");
	usage(stderr);
	return EXIT_USAGE;
}

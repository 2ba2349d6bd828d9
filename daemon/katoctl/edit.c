/*
 * edit.c - katoctl's subcommands that change a running katod (the methods
 * of daemon/control/rpc_edit.c, and reload) and the per-subsystem / per-namespace
 * counter views. katoctl.c's main hands a command here first.
 *
 * Options map onto the method's parameters by name: "--trsvcid 4421" is
 * {"trsvcid": 4421} ("-" becomes "_"; digits become a number, anything else
 * a string); a flag without a value ("--allow-any-host") is true and
 * "--no-NAME" false. So every attribute the daemon accepts can be given
 * without katoctl knowing it.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "daemon/katoctl/client.h"
#include "daemon/katoctl/edit.h"

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static struct json_object *value_of(const char *s)
{
	if (all_digits(s) && strlen(s) < 19)
		return json_object_new_int64(strtoll(s, NULL, 10));
	return json_object_new_string(s);
}

/* Options to params; positional words into pos[] (at most npos_max).
 * Short forms: -n is --subsystem. Returns false on a usage error. */
static bool to_params(int argc, char **argv, struct json_object *p, const char **pos, int *npos, int npos_max)
{
	*npos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' || !a[1]) {
			if (*npos >= npos_max) {
				fprintf(stderr, "katoctl: unexpected argument \"%s\"\n", a);
				return false;
			}
			pos[(*npos)++] = a;
			continue;
		}
		char key[128];
		const char *val = NULL;
		if (!strcmp(a, "-n")) {
			snprintf(key, sizeof(key), "subsystem");
		} else if (a[1] == '-' && a[2]) {
			snprintf(key, sizeof(key), "%s", a + 2);
			char *eq = strchr(key, '=');
			if (eq) {
				*eq = '\0';
				val = a + 2 + (eq - key) + 1;
			}
		} else {
			fprintf(stderr, "katoctl: unknown option %s\n", a);
			return false;
		}
		for (char *c = key; *c; c++)
			if (*c == '-')
				*c = '_';
		if (!val && i + 1 < argc && (argv[i + 1][0] != '-' || !argv[i + 1][1]))
			val = argv[++i];
		if (val)
			json_object_object_add(p, key, value_of(val));
		else if (!strncmp(key, "no_", 3))
			json_object_object_add(p, key + 3, json_object_new_boolean(0));
		else
			json_object_object_add(p, key, json_object_new_boolean(1));
	}
	return true;
}

/* "key  value" lines, or JSON. */
static void show(struct json_object *o)
{
	if (opt_json || !json_object_is_type(o, json_type_object)) {
		print_json(o);
		return;
	}
	char buf[1024];
	json_object_object_foreach(o, key, val) {
		(void)val;
		printf("%-24s %s\n", key, cell(o, key, buf, sizeof(buf)));
	}
}

static int call(const char *sock, const char *method, struct json_object *p)
{
	struct json_object *res = NULL;
	int r = rpc(sock, method, p, &res);
	json_object_put(p);
	if (r == EXIT_OK) {
		show(res);
		json_object_put(res);
	}
	return r;
}

static void set_pos(struct json_object *p, const char *key, const char *v)
{
	if (v)
		json_object_object_add(p, key, value_of(v));
}

/* One subcommand: the method, which positional words fill which
 * parameters. */
struct verb {
	const char *cmd, *verb, *method;
	const char *pos[2];
	const char *usage;
};

static const struct verb verbs[] = {
	{ "ports", "add", "ports.add", { "portid", NULL },
	  "ports add PORTID --traddr A --trsvcid S [--adrfam ipv4|ipv6] [--treq ...] [--inline-data-size N]" },
	{ "ports", "remove", "ports.remove", { "portid", NULL }, "ports remove PORTID" },
	{ "ports", "set", "ports.set", { "portid", NULL }, "ports set PORTID --ATTRIBUTE VALUE ..." },
	{ "ports", "link", "ports.link", { "portid", "subsystem" }, "ports link PORTID NQN" },
	{ "ports", "unlink", "ports.unlink", { "portid", "subsystem" }, "ports unlink PORTID NQN" },
	{ "subsystems", "add", "subsystems.add", { "nqn", NULL },
	  "subsystems add NQN [--allow-any-host] [--serial S] [--model M] [--firmware F] [--version V] "
	  "[--cntlid-min N] [--cntlid-max N] [--qid-max N]" },
	{ "subsystems", "remove", "subsystems.remove", { "nqn", NULL }, "subsystems remove NQN" },
	{ "subsystems", "set", "subsystems.set", { "nqn", NULL }, "subsystems set NQN --ATTRIBUTE VALUE ..." },
	{ "subsystems", "allow-host", "subsystems.allow_host", { "nqn", "host" }, "subsystems allow-host NQN HOSTNQN" },
	{ "subsystems", "disallow-host", "subsystems.disallow_host", { "nqn", "host" },
	  "subsystems disallow-host NQN HOSTNQN" },
	{ "namespaces", "add", "namespaces.add", { "subsystem", "nsid" },
	  "namespaces add -n NQN (--size 1G [--backend ram|null] | --path FILE) [--nsid N] [--block-size 512|4096] "
	  "[--uuid U] [--nguid G] [--no-enable] [--buffered-io]" },
	{ "namespaces", "remove", "namespaces.remove", { "subsystem", "nsid" }, "namespaces remove -n NQN --nsid N" },
	{ "namespaces", "set", "namespaces.set", { "subsystem", "nsid" },
	  "namespaces set -n NQN --nsid N --ATTRIBUTE VALUE ..." },
	{ "hosts", "add", "hosts.add", { "nqn", NULL },
	  "hosts add HOSTNQN [--dhchap-key DHHC-1:..] [--dhchap-ctrl-key DHHC-1:..] [--dhchap-hash hmac(sha256)] "
	  "[--dhchap-dhgroup null|ffdhe2048..] [--tls-key NVMeTLSkey-1:..] [--tls-derive rfc|compat|both]" },
	{ "hosts", "set", "hosts.set", { "nqn", NULL },
	  "hosts set HOSTNQN --dhchap-key K | --tls-key K ... (\"\": no key)" },
	{ "hosts", "remove", "hosts.remove", { "nqn", NULL }, "hosts remove HOSTNQN" },
	{ "ana", "set", "ana.set", { "portid", "grpid" },
	  "ana set PORTID GRPID --state optimized|non-optimized|inaccessible|persistent-loss|change "
	  "[--transition-ms N] (N ms in change first)" },
	{ "ana", "remove", "ana.remove", { "portid", "grpid" }, "ana remove PORTID GRPID" },
	{ "reload", NULL, "reload", { "path", NULL }, "reload [FILE]" },
};

void katoctl_edit_usage(FILE *f)
{
	fprintf(f, "Changes (JSON-RPC method in brackets):\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %s\n      [%s]\n", verbs[i].usage, verbs[i].method);
	fprintf(f, "  counters --subsystems | --namespaces | --controllers [-n NQN]   [counters]\n");
}

static const struct col subsys_cols[] = {
	{ "subsystem", "SUBSYSTEM" },	      { "namespaces", "NS" },	      { "commands", "COMMANDS" },
	{ "read_commands", "READS" },	      { "write_commands", "WRITES" }, { "bytes_read", "BYTES READ" },
	{ "bytes_written", "BYTES WRITTEN" }, { "errors", "ERRORS" },	      { "keep_alive_expiries", "KA EXPIRIES" },
	{ NULL, NULL },
};
static const struct col ns_cols[] = {
	{ "subsystem", "SUBSYSTEM" },	    { "nsid", "NSID" },		      { "enabled", "ENABLED" },
	{ "commands", "COMMANDS" },	    { "read_commands", "READS" },     { "write_commands", "WRITES" },
	{ "bytes_read", "BYTES READ" },	    { "bytes_written", "BYTES WRITTEN" }, { "errors", "ERRORS" },
	{ NULL, NULL },
};
static const struct col ctrl_cols[] = {
	{ "cntlid", "CNTLID" },		    { "subsystem", "SUBSYSTEM" },	      { "read_commands", "READS" },
	{ "write_commands", "WRITES" },	    { "bytes_read", "BYTES READ" },	      { "bytes_written", "BYTES WRITTEN" },
	{ "errors", "ERRORS" },		    { "keep_alive_expiries", "KA EXPIRIES" }, { NULL, NULL },
};

static int counters(const char *sock, int argc, char **argv)
{
	const char *view = NULL;
	int n = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--subsystems") || !strcmp(argv[i], "--namespaces") ||
		    !strcmp(argv[i], "--controllers")) {
			view = argv[i] + 2;
			continue;
		}
		argv[n++] = argv[i];
	}
	struct json_object *p = json_object_new_object();
	const char *pos[1];
	int npos;
	if (!to_params(n, argv, p, pos, &npos, 0)) {
		json_object_put(p);
		return EXIT_USAGE;
	}
	struct json_object *res = NULL, *rows = NULL;
	int r = rpc(sock, "counters", p, &res);
	json_object_put(p);
	if (r)
		return r;
	if (opt_json) {
		print_json(res);
	} else if (json_object_object_get_ex(res, view, &rows)) {
		table(rows, !strcmp(view, "subsystems") ? subsys_cols
			    : !strcmp(view, "namespaces") ? ns_cols
							  : ctrl_cols);
	} else {
		fprintf(stderr, "katoctl: counters: katod's answer has no \"%s\"\n", view);
		r = EXIT_USAGE;
	}
	json_object_put(res);
	return r;
}

/* Returns true when cmd argv[0..] is one of these subcommands, with its
 * exit status in *rc. */
bool katoctl_edit(const char *sock, const char *cmd, int argc, char **argv, int *rc)
{
	if (!strcmp(cmd, "counters")) {
		for (int i = 0; i < argc; i++)
			if (!strcmp(argv[i], "--subsystems") || !strcmp(argv[i], "--namespaces") ||
			    !strcmp(argv[i], "--controllers")) {
				*rc = counters(sock, argc, argv);
				return true;
			}
		return false;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		const struct verb *v = &verbs[i];
		if (strcmp(cmd, v->cmd))
			continue;
		int skip = 0;
		if (v->verb) {
			if (argc < 1 || strcmp(argv[0], v->verb))
				continue;
			skip = 1;
		}
		struct json_object *p = json_object_new_object();
		const char *pos[2] = { NULL, NULL };
		int npos, max = v->pos[1] ? 2 : v->pos[0] ? 1 : 0;
		if (!to_params(argc - skip, argv + skip, p, pos, &npos, max)) {
			fprintf(stderr, "usage: katoctl %s\n", v->usage);
			json_object_put(p);
			*rc = EXIT_USAGE;
			return true;
		}
		char abs[PATH_MAX];
		if (!strcmp(v->method, "reload") && npos && realpath(pos[0], abs))
			pos[0] = abs; /* katod's working directory is not ours */
		for (int k = 0; k < npos; k++)
			set_pos(p, v->pos[k], pos[k]);
		if (!strcmp(v->method, "reload") && json_object_object_length(p) == 0) {
			json_object_put(p);
			p = NULL;
		}
		*rc = call(sock, v->method, p);
		return true;
	}
	return false;
}

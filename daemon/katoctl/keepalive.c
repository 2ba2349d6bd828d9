/*
 * keepalive.c - katoctl's keep-alive commands: the misbehaviour policy's
 * rules (set, get, clear, list), a forced expiry, the trace file switched
 * live, and --follow, which subscribes to the trace and prints each event
 * as it happens. Methods: daemon/control/rpc_keepalive.h. Options use the
 * configuration's rule vocabulary ("--delay-ms" is "delay_ms").
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <json-c/json.h>
#include "daemon/katoctl/client.h"
#include "daemon/katoctl/keepalive.h"

void katoctl_keepalive_usage(FILE *f)
{
	fprintf(f,
		"\nKeep-alive policy and trace (SCOPE: --cntlid N | --host NQN | --subsystem NQN (-n)):\n"
		"  keepalive policy set SCOPE RULE...        [keepalive.policy.set] replaces SCOPE's rule\n"
		"      RULE: --delay-ms N  --drop  --status N  --expire FRACTION|never  --ignore-traffic\n"
		"            --refuse-set-kato [--refuse-status N]  --kas N  (--no-drop, ... for false)\n"
		"  keepalive policy get SCOPE                [keepalive.policy.get]\n"
		"  keepalive policy clear [SCOPE]            [keepalive.policy.clear] (no SCOPE: every rule)\n"
		"  keepalive policy [list]                   [keepalive.policy.list]\n"
		"  keepalive expire [SCOPE]                  [keepalive.expire] (no SCOPE: every controller)\n"
		"  keepalive trace [--file PATH | --off]     [keepalive.trace] switch the trace file\n"
		"  keepalive trace --follow [--count N]      [keepalive.trace.subscribe] print events as JSON lines\n");
}

static const struct col rule_cols[] = {
	{ "cntlid", "CNTLID" }, { "host", "HOST" }, { "subsystem", "SUBSYSTEM" }, { "delay_ms", "DELAY MS" },
	{ "drop", "DROP" }, { "status", "STATUS" }, { "expire", "EXPIRE" }, { "ignore_traffic", "IGNORE IO" },
	{ "refuse_set_kato", "REFUSE KATO" }, { "kas", "KAS" }, { NULL, NULL },
};

static bool parse_u(const char *opt, const char *s, long long max, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 0); /* 0x4002 or 16386 */
	if (errno || !*s || *end || v < 0 || v > max) {
		fprintf(stderr, "katoctl: %s: \"%s\" is not a number from 0 to %lld\n", opt, s, max);
		return false;
	}
	*out = v;
	return true;
}

/* "--delay-ms" and "--delay_ms" are the same option. */
static bool is(const char *arg, const char *name)
{
	if (strncmp(arg, "--", 2))
		return false;
	arg += 2;
	for (; *arg && *name; arg++, name++)
		if (*arg != *name && !(*arg == '_' && *name == '-'))
			return false;
	return !*arg && !*name;
}

/* Options to params: the scope, and (rule) the rule fields. */
static bool to_params(int argc, char **argv, bool rule, struct json_object *p)
{
	static const char *const flags[] = { "drop", "ignore-traffic", "refuse-set-kato", NULL };
	static const struct {
		const char *opt, *key;
		long long max;
	} nums[] = {
		{ "delay-ms", "delay_ms", 3600000 }, { "status", "status", 0x7fff },
		{ "kas", "kas", 65535 }, { "refuse-status", "refuse_set_kato", 0x7fff },
	};
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		long long v;
		bool done = false;
		if (!strcmp(a, "-n") || is(a, "subsystem") || is(a, "host") || is(a, "cntlid")) {
			if (++i >= argc) {
				fprintf(stderr, "katoctl: %s needs a value\n", a);
				return false;
			}
			if (is(a, "cntlid")) {
				if (!parse_u(a, argv[i], 0xffff, &v))
					return false;
				json_object_object_add(p, "cntlid", json_object_new_int64(v));
			} else {
				json_object_object_add(p, is(a, "host") ? "host" : "subsystem",
						       json_object_new_string(argv[i]));
			}
			continue;
		}
		for (size_t k = 0; rule && flags[k] && !done; k++) {
			char no[64];
			snprintf(no, sizeof(no), "no-%s", flags[k]);
			char key[32];
			snprintf(key, sizeof(key), "%s", flags[k]);
			for (char *c = key; *c; c++)
				if (*c == '-')
					*c = '_';
			if (is(a, flags[k]) || is(a, no)) {
				/* --refuse-status N already says refuse */
				if (!(k == 2 && json_object_object_get_ex(p, key, NULL)))
					json_object_object_add(p, key, json_object_new_boolean(is(a, flags[k])));
				done = true;
			}
		}
		for (size_t k = 0; rule && k < sizeof(nums) / sizeof(nums[0]) && !done; k++) {
			if (!is(a, nums[k].opt))
				continue;
			if (++i >= argc) {
				fprintf(stderr, "katoctl: %s needs a value\n", a);
				return false;
			}
			if (!parse_u(a, argv[i], nums[k].max, &v))
				return false;
			json_object_object_add(p, nums[k].key, json_object_new_int64(v));
			done = true;
		}
		if (!done && rule && is(a, "expire")) {
			if (++i >= argc) {
				fprintf(stderr, "katoctl: %s needs a value\n", a);
				return false;
			}
			char *end;
			double f = strtod(argv[i], &end);
			if (!strcmp(argv[i], "never"))
				json_object_object_add(p, "expire", json_object_new_string("never"));
			else if (*argv[i] && !*end)
				json_object_object_add(p, "expire", json_object_new_double_s(f, argv[i]));
			else {
				fprintf(stderr, "katoctl: --expire: \"%s\" is neither a fraction of KATO nor \"never\"\n",
					argv[i]);
				return false;
			}
			done = true;
		}
		if (!done) {
			fprintf(stderr, "katoctl: keepalive: unexpected \"%s\"\n", a);
			return false;
		}
	}
	return true;
}

static int call_print(const char *sock, const char *method, struct json_object *p, const char *what)
{
	struct json_object *res = NULL;
	int rc = rpc(sock, method, p, &res);
	json_object_put(p);
	if (rc)
		return rc;
	struct json_object *v;
	if (opt_json) {
		print_json(res);
	} else if (!strcmp(what, "rules")) {
		table(res, rule_cols);
	} else if (!strcmp(what, "set") && json_object_object_get_ex(res, "rule", &v)) {
		struct json_object *n = NULL;
		json_object_object_get_ex(res, "controllers", &n);
		printf("rule set: %s (%d live controller%s covered)\n", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		       json_object_get_int(n), json_object_get_int(n) == 1 ? "" : "s");
	} else if (!strcmp(what, "rule")) {
		puts(json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else if (json_object_object_get_ex(res, what, &v)) {
		printf("%s: %s\n", what, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		print_json(res);
	}
	json_object_put(res);
	return EXIT_OK;
}

/* ---- --follow ------------------------------------------------------------ */

static volatile sig_atomic_t stop;

static void on_sigint(int sig)
{
	(void)sig;
	stop = 1;
}

/* Subscribes and prints every notification line as it comes, until ^C,
 * katod closes, or count events (0: no limit). */
static int follow(const char *sock, long long count)
{
	int fd = katoctl_connect(sock);
	if (fd < 0)
		return EXIT_USAGE;
	static const char req[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"keepalive.trace.subscribe\"}\n";
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1)) {
		fprintf(stderr, "katoctl: sending to %s: %s\n", sock, strerror(errno));
		close(fd);
		return EXIT_USAGE;
	}
	struct sigaction act = { .sa_handler = on_sigint };
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	char buf[65536];
	size_t got = 0;
	bool answered = false;
	long long events = 0;
	int rc = EXIT_OK;
	while (!stop && (!count || events < count)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, answered ? -1 : KATOCTL_TIMEOUT_MS) <= 0) {
			if (!answered && !stop) {
				fprintf(stderr, "katoctl: no answer from katod in %d s\n", KATOCTL_TIMEOUT_MS / 1000);
				rc = EXIT_USAGE;
				break;
			}
			continue; /* EINTR: stop is set */
		}
		ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!answered)
				fprintf(stderr, "katoctl: katod closed the connection without an answer\n");
			rc = answered ? EXIT_OK : EXIT_USAGE;
			break;
		}
		got += (size_t)n;
		char *line = buf, *nl;
		while ((nl = memchr(line, '\n', got - (size_t)(line - buf))) && (!count || events < count)) {
			*nl = '\0';
			if (!answered) {
				struct json_object *ans = json_tokener_parse(line), *err;
				answered = true;
				if (!ans || json_object_object_get_ex(ans, "error", &err)) {
					fprintf(stderr, "katoctl: keepalive.trace.subscribe: %s\n", line);
					json_object_put(ans);
					stop = 1;
					rc = ans ? EXIT_RPC : EXIT_USAGE;
					break;
				}
				json_object_put(ans);
			} else {
				puts(line);
				events += strstr(line, "\"method\":\"keepalive.event\"") != NULL;
			}
			line = nl + 1;
		}
		got -= (size_t)(line - buf);
		memmove(buf, line, got);
		if (got == sizeof(buf) - 1) {
			fprintf(stderr, "katoctl: a line longer than %zu bytes\n", sizeof(buf));
			rc = EXIT_USAGE;
			break;
		}
	}
	close(fd);
	return rc;
}

/* ---- dispatch ------------------------------------------------------------ */

bool katoctl_keepalive(const char *sock, const char *cmd, int argc, char **argv, int *rc)
{
	if (strcmp(cmd, "keepalive"))
		return false;
	*rc = EXIT_USAGE;
	if (argc < 1) {
		fprintf(stderr, "katoctl: keepalive: policy, expire or trace?\n");
		katoctl_keepalive_usage(stderr);
		return true;
	}
	const char *what = argv[0];
	argc--;
	argv++;
	if (!strcmp(what, "policy")) {
		const char *op = "list";
		if (argc && argv[0][0] != '-') {
			op = argv[0];
			argc--;
			argv++;
		}
		struct json_object *p = json_object_new_object();
		bool rule = !strcmp(op, "set");
		if (!to_params(argc, argv, rule, p)) {
			json_object_put(p);
			return true;
		}
		if (rule)
			*rc = call_print(sock, "keepalive.policy.set", p, "set");
		else if (!strcmp(op, "get"))
			*rc = call_print(sock, "keepalive.policy.get", p, "rule");
		else if (!strcmp(op, "clear"))
			*rc = call_print(sock, "keepalive.policy.clear", p, "cleared");
		else if (!strcmp(op, "list") && !argc)
			*rc = call_print(sock, "keepalive.policy.list", p, "rules");
		else {
			fprintf(stderr, "katoctl: keepalive policy: set, get, clear or list (not \"%s\")\n", op);
			json_object_put(p);
		}
		return true;
	}
	if (!strcmp(what, "expire")) {
		struct json_object *p = json_object_new_object();
		if (!to_params(argc, argv, false, p)) {
			json_object_put(p);
			return true;
		}
		*rc = call_print(sock, "keepalive.expire", p, "expired");
		return true;
	}
	if (!strcmp(what, "trace")) {
		struct json_object *p = json_object_new_object();
		bool fol = false;
		long long count = 0;
		for (int i = 0; i < argc; i++) {
			if (is(argv[i], "off")) {
				json_object_object_add(p, "file", NULL);
			} else if (is(argv[i], "file") && i + 1 < argc) {
				const char *f = argv[++i];
				char abs[4096];
				if (f[0] != '/') { /* katod's working directory is not ours */
					char cwd[3000];
					if (!getcwd(cwd, sizeof(cwd))) {
						fprintf(stderr, "katoctl: getcwd: %s\n", strerror(errno));
						json_object_put(p);
						return true;
					}
					snprintf(abs, sizeof(abs), "%s/%s", cwd, f);
					f = abs;
				}
				json_object_object_add(p, "file", json_object_new_string(f));
			} else if (is(argv[i], "follow")) {
				fol = true;
			} else if (is(argv[i], "count") && i + 1 < argc) {
				if (!parse_u("--count", argv[++i], 1000000000, &count)) {
					json_object_put(p);
					return true;
				}
			} else {
				fprintf(stderr, "katoctl: keepalive trace: unexpected \"%s\" (--file PATH, --off, --follow)\n",
					argv[i]);
				json_object_put(p);
				return true;
			}
		}
		if (fol && json_object_object_length(p)) {
			fprintf(stderr, "katoctl: keepalive trace: --follow does not go with --file or --off\n");
			json_object_put(p);
			return true;
		}
		if (fol) {
			json_object_put(p);
			*rc = follow(sock, count);
			return true;
		}
		*rc = call_print(sock, "keepalive.trace", p, "file");
		return true;
	}
	fprintf(stderr, "katoctl: keepalive: policy, expire or trace (not \"%s\")\n", what);
	return true;
}

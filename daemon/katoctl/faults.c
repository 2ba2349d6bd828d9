/*
 * faults.c - katoctl's fault rule commands: list (a table, or --json),
 * add a rule given as JSON (the configuration's "katod.faults" element),
 * remove one by id or name, clear them all. Methods:
 * daemon/control/rpc_faults.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "daemon/katoctl/client.h"
#include "daemon/katoctl/faults.h"

void katoctl_faults_usage(FILE *f)
{
	fprintf(f,
		"\nFault rules (a RULE is a \"katod.faults\" element of the configuration, as JSON):\n"
		"  faults [list]                             [faults.list] the rules, their counters\n"
		"  faults add RULE                           [faults.add] e.g. '{\"name\":\"slow\",\n"
		"                                            \"match\":{\"opcode\":\"read\"},\"action\":{\"delay_ms\":500}}'\n"
		"  faults remove ID|NAME                     [faults.remove]\n"
		"  faults clear                              [faults.clear] every rule\n");
}

static const struct col cols[] = {
	{ "id", "ID" }, { "name", "NAME" }, { "match", "MATCH" }, { "action", "ACTION" }, { "fire", "FIRE" },
	{ "expire_ms", "EXPIRE MS" }, { "matches", "MATCHES" }, { "fires", "FIRES" }, { "expired", "EXPIRED" },
	{ NULL, NULL },
};

static int call_print(const char *sock, const char *method, struct json_object *p, bool list)
{
	struct json_object *res = NULL;
	int rc = rpc(sock, method, p, &res);
	json_object_put(p);
	if (rc)
		return rc;
	if (opt_json || !list)
		print_json(res);
	else
		table(res, cols);
	json_object_put(res);
	return EXIT_OK;
}

/* "7" names a rule by id (a name is never all digits: proto/faults.h). */
static struct json_object *which(const char *s)
{
	struct json_object *p = json_object_new_object();
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s && !*end && !errno && v > 0 && v <= UINT32_MAX)
		json_object_object_add(p, "id", json_object_new_int64((int64_t)v));
	else
		json_object_object_add(p, "name", json_object_new_string(s));
	return p;
}

bool katoctl_faults(const char *sock, const char *cmd, int argc, char **argv, int *rc)
{
	if (strcmp(cmd, "faults"))
		return false;
	*rc = EXIT_USAGE;
	const char *op = argc ? argv[0] : "list";
	if (!strcmp(op, "list") && argc <= 1) {
		*rc = call_print(sock, "faults.list", NULL, true);
	} else if (!strcmp(op, "clear") && argc == 1) {
		*rc = call_print(sock, "faults.clear", NULL, false);
	} else if (!strcmp(op, "remove") && argc == 2) {
		*rc = call_print(sock, "faults.remove", which(argv[1]), false);
	} else if (!strcmp(op, "add") && argc == 2) {
		enum json_tokener_error e;
		struct json_object *p = json_tokener_parse_verbose(argv[1], &e);
		if (!p || !json_object_is_type(p, json_type_object)) {
			fprintf(stderr, "katoctl: faults add: the rule is not a JSON object%s%s\n", p ? "" : ": ",
				p ? "" : json_tokener_error_desc(e));
			json_object_put(p);
			return true;
		}
		*rc = call_print(sock, "faults.add", p, false);
	} else {
		fprintf(stderr, "katoctl: faults: list, add RULE, remove ID|NAME or clear\n");
		katoctl_faults_usage(stderr);
	}
	return true;
}

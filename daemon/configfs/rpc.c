/*
 * rpc.c - kato-configfs's calls to katod (see rpc.h). It exists so that
 * the mapping from katod's JSON-RPC errors to errno values is written
 * once: KT_RPC_NOT_FOUND -> ENOENT, KT_RPC_INVALID_PARAMS -> EINVAL (katod
 * validates every change as a whole configuration, so a bad value, a
 * duplicate and a path it cannot open all come back as invalid
 * parameters), anything else, katod unreachable included, -> EIO.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <json-c/json.h>
#include "daemon/control/rpc.h"
#include "daemon/katoctl/client.h"
#include "daemon/configfs/log.h"
#include "daemon/configfs/rpc.h"

static const char *sock_path;
static unsigned changes;

void kcfs_rpc_init(const char *sock)
{
	sock_path = sock;
}

unsigned kcfs_changes(void)
{
	return changes;
}

int kcfs_call(const char *method, struct json_object *params, struct json_object **result)
{
	changes++;
	return kcfs_read(method, params, result);
}

int kcfs_read(const char *method, struct json_object *params, struct json_object **result)
{
	struct json_object *res = NULL;
	char msg[1024];
	int code;
	int rc = rpc_call(sock_path, method, params, &res, &code, msg, sizeof(msg));
	json_object_put(params);
	if (rc == EXIT_OK) {
		if (result)
			*result = res;
		else
			json_object_put(res);
		return 0;
	}
	kcfs_log("%s", msg);
	if (rc == EXIT_RPC && code == KT_RPC_NOT_FOUND)
		return -ENOENT;
	if (rc == EXIT_RPC && code == KT_RPC_INVALID_PARAMS)
		return -EINVAL;
	return -EIO;
}

int kcfs_callv(const char *method, struct json_object **result, ...)
{
	struct json_object *p = json_object_new_object();
	if (!p)
		return -ENOMEM;
	va_list ap;
	va_start(ap, result);
	for (const char *k = va_arg(ap, const char *); k; k = va_arg(ap, const char *))
		json_object_object_add(p, k, json_object_new_string(va_arg(ap, const char *)));
	va_end(ap);
	return kcfs_call(method, p, result);
}

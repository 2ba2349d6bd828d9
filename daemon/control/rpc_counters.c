/*
 * rpc_counters.c - the control socket's `counters` views (see
 * rpc_counters.h): the per-subsystem and per-namespace report, which walks
 * the running configuration and sums each namespace's I/O counters from the
 * live target, and the I/O totals writer every view shares. Moved here from
 * daemon/core/counters.c so that core keeps only the counts and calls
 * nothing above it.
 */
#include "daemon/control/rpc_counters.h"

#include <string.h>
#include <json-c/json.h>
#include "config/config.h"
#include "daemon/backend/backend.h"
#include "daemon/control/rpc_params.h"
#include "daemon/core/counters.h"
#include "daemon/core/live.h"
#include "daemon/core/target.h"
#include "proto/model.h"

void kt_counters_put_io(struct json_object *o, const struct kt_ns_totals *t, bool commands)
{
	if (commands)
		kt_rpc_put_u64(o, "commands", t->commands);
	kt_rpc_put_u64(o, "read_commands", t->read_commands);
	kt_rpc_put_u64(o, "write_commands", t->write_commands);
	kt_rpc_put_u64(o, "bytes_read", t->bytes_read);
	kt_rpc_put_u64(o, "bytes_written", t->bytes_written);
	kt_rpc_put_u64(o, "errors", t->errors);
}

static void add_totals(struct kt_ns_totals *sum, const struct kt_ns_totals *t)
{
	sum->commands += t->commands;
	sum->read_commands += t->read_commands;
	sum->write_commands += t->write_commands;
	sum->bytes_read += t->bytes_read;
	sum->bytes_written += t->bytes_written;
	sum->errors += t->errors;
}

/* Walks the running configuration and finds each object in the live target
 * by name (kt_target_find_subsys, kt_subsys_find_ns), so this does not
 * depend on how the model stores its arrays. A disabled namespace has no
 * live object and counts zero. */
void kt_counters_json(struct json_object *result, const char *subnqn)
{
	const struct kt_config *cfg = kt_live_running();
	struct kt_target *t = kt_target_get();
	struct json_object *subs_a = json_object_new_array();
	struct json_object *ns_a = json_object_new_array();
	for (size_t i = 0; cfg && i < cfg->n_subsys; i++) {
		const struct kt_cfg_subsys *cs = &cfg->subsys[i];
		if (subnqn && strcmp(subnqn, cs->nqn))
			continue;
		struct kt_subsys *s = kt_target_find_subsys(t, cs->nqn);
		struct kt_ns_totals sum = { 0 };
		for (size_t k = 0; k < cs->n_ns; k++) {
			struct kt_ns *ns = s ? kt_subsys_find_ns(s, cs->ns[k].nsid) : NULL;
			struct kt_ns_totals nt;
			kt_backend_stats(ns ? ns->backend : NULL, &nt);
			add_totals(&sum, &nt);
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "subsystem", json_object_new_string(cs->nqn));
			json_object_object_add(o, "nsid", json_object_new_int64(cs->ns[k].nsid));
			json_object_object_add(o, "enabled", json_object_new_boolean(ns != NULL));
			kt_counters_put_io(o, &nt, true);
			json_object_array_add(ns_a, o);
		}
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "subsystem", json_object_new_string(cs->nqn));
		json_object_object_add(o, "namespaces", json_object_new_int64((int64_t)cs->n_ns));
		kt_counters_put_io(o, &sum, true);
		kt_rpc_put_u64(o, "keep_alive_expiries", kt_counters_subsys_ka_expiries(cs->nqn));
		json_object_array_add(subs_a, o);
	}
	json_object_object_add(result, "subsystems", subs_a);
	json_object_object_add(result, "namespaces", ns_a);
}

/*
 * open.c - the one door to namespace storage: kt_backend_open picks the
 * backend a namespace description names (null, ram, file) and gives it its
 * I/O counters; kt_backend_sync and kt_backend_close act on an open one.
 * A file of its own because it is the only code that calls the backends'
 * constructors, while those use the shared rules of backend.c: open.c ->
 * null.c, ram.c, file.c -> backend.c, and nothing calls back.
 */
#include "daemon/backend/backend.h"

#include <errno.h>
#include <stdio.h>

static int open_kind(const struct kt_cfg_ns *ns, struct kt_backend **out, char *err, size_t errlen)
{
	switch (ns->backend) {
	case KT_BACKEND_NULL:
		return kt_backend_null_open(ns, out, err, errlen);
	case KT_BACKEND_RAM:
		return kt_backend_ram_open(ns, out, err, errlen);
	case KT_BACKEND_FILE:
		return kt_backend_file_open(ns, out, err, errlen);
	}
	if (err)
		snprintf(err, errlen, "unknown backend type %d", (int)ns->backend);
	return -EINVAL;
}

int kt_backend_open(const struct kt_cfg_ns *ns, unsigned workers, struct kt_backend **out,
		    char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	*out = NULL;
	int r = open_kind(ns, out, err, errlen);
	if (r < 0)
		return r;
	if (kt_backend_stats_init(*out, workers) < 0) {
		kt_backend_close(*out);
		*out = NULL;
		if (err)
			snprintf(err, errlen, "out of memory for the namespace's counters");
		return -ENOMEM;
	}
	return 0;
}

void kt_backend_close(struct kt_backend *be)
{
	if (be) {
		kt_backend_stats_fini(be);
		be->ops->close(be);
	}
}

int kt_backend_sync(struct kt_backend *be)
{
	return be && be->ops->sync ? be->ops->sync(be) : 0;
}

/*
 * kaprobe.c - the keep-alive probe (see kaprobe.h), built on the test
 * initiator.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tests/host/host.h"
#include "tests/host/kaprobe.h"

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static const char *mode_name(enum kp_mode m)
{
	switch (m) {
	case KP_KEEPALIVE: return "keepalive";
	case KP_ADMIN: return "admin";
	case KP_IO: return "io";
	default: return "none";
	}
}

int kp_run(const struct kp_opts *o, struct kp_result *r, char *err, size_t errlen)
{
	struct kh_opts ko;
	struct kh_host *a = NULL, *io = NULL;
	struct nvme_id_ctrl id;
	uint64_t last_cmd, t;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&ko, 0, sizeof(ko));
	ko.subnqn = o->subnqn;
	ko.hostnqn = o->hostnqn;
	ko.kato_ms = o->kato_ms;

	/* Connect, then CC.EN=1: the timer's start and its re-arm. */
	rc = kh_connect(&a, o->addr, o->port, &ko, NULL);
	if (rc) {
		snprintf(err, errlen, "connect to %s:%u: %s", o->addr, o->port,
			 rc < 0 ? strerror(-rc) : "refused by the target");
		return rc;
	}
	r->cntlid = kh_cntlid(a);
	r->rearm_ms = kh_now_ms();
	last_cmd = r->rearm_ms;
	rc = kh_enable(a);
	if (rc) {
		snprintf(err, errlen, "enable: %s", rc < 0 ? strerror(-rc) : "failed");
		goto out;
	}
	last_cmd = kh_now_ms();
	rc = kh_identify_ctrl(a, &id);
	if (rc) {
		snprintf(err, errlen, "identify: %s", rc < 0 ? strerror(-rc) : "failed");
		goto out;
	}
	r->kas = le16toh(id.kas);
	r->tbkas = (le32toh(id.ctratt) & (1u << 6)) != 0;
	last_cmd = kh_now_ms();
	rc = kh_get_features(a, NVME_FEAT_FID_KATO, 0, &r->kato_ms);
	if (rc) {
		snprintf(err, errlen, "get features KATO: %s", rc < 0 ? strerror(-rc) : "failed");
		goto out;
	}
	if (o->io_queue || o->mode == KP_IO) {
		t = kh_now_ms();
		rc = kh_io_up(&io, a, o->addr, o->port, 1, NULL, NULL);
		if (rc) {
			snprintf(err, errlen, "I/O queue connect: %s", rc < 0 ? strerror(-rc) : "refused");
			goto out;
		}
		last_cmd = t;
	}
	for (unsigned i = 0; i < o->count; i++) {
		if (o->interval_ms)
			sleep_ms(o->interval_ms);
		t = kh_now_ms(); /* before sending: the target re-arms on receipt, later */
		switch (o->mode) {
		case KP_KEEPALIVE:
			rc = kh_keep_alive(a);
			r->rearm_ms = t;
			break;
		case KP_ADMIN:
			rc = kh_get_features(a, NVME_FEAT_FID_KATO, 0, NULL);
			break;
		case KP_IO:
			rc = kh_flush(io, o->nsid ? o->nsid : 1);
			if (rc > 0)
				rc = 0; /* any completion is traffic */
			break;
		case KP_NONE:
			rc = 0;
			break;
		}
		if (o->mode != KP_NONE)
			last_cmd = t;
		if (rc < 0) {
			snprintf(err, errlen, "%s command %u: %s", mode_name(o->mode), i + 1, strerror(-rc));
			goto out;
		}
		r->sent++;
	}
	if (r->tbkas && last_cmd > r->rearm_ms)
		r->rearm_ms = last_cmd;
	r->deadline_ms = r->rearm_ms + r->kato_ms;

	int wait = o->wait_ms ? o->wait_ms : (int)(3 * (uint64_t)(r->kato_ms ? r->kato_ms : 10000) + 5000);
	rc = kh_wait_closed(a, wait, &r->closed_ms);
	if (rc) {
		snprintf(err, errlen, "the target did not close the controller within %d ms", wait);
		goto out;
	}
	r->late_ms = (int64_t)r->closed_ms - (int64_t)r->deadline_ms;
	if (io) {
		uint64_t ioc = 0;
		if (kh_wait_closed(io, 2000, &ioc) == 0) {
			r->io_closed = true;
			r->io_late_ms = (int64_t)ioc - (int64_t)r->deadline_ms;
		}
	}
out:
	if (io)
		kh_close(io);
	kh_close(a);
	return rc;
}

void kp_json(const struct kp_opts *o, const struct kp_result *r, int rc, char *buf, size_t len)
{
	snprintf(buf, len,
		 "{\"target\":\"%s:%u\",\"rc\":%d,\"cntlid\":%u,\"kato_asked_ms\":%u,\"kato_ms\":%u,"
		 "\"kas\":%u,\"tbkas\":%s,\"mode\":\"%s\",\"sent\":%u,\"rearm_ms\":%llu,\"deadline_ms\":%llu,"
		 "\"closed_ms\":%llu,\"late_ms\":%lld,\"io_closed\":%s,\"io_late_ms\":%lld}",
		 o->addr, o->port, rc, r->cntlid, o->kato_ms, r->kato_ms, r->kas, r->tbkas ? "true" : "false",
		 mode_name(o->mode), r->sent, (unsigned long long)r->rearm_ms,
		 (unsigned long long)r->deadline_ms, (unsigned long long)r->closed_ms, (long long)r->late_ms,
		 r->io_closed ? "true" : "false", (long long)r->io_late_ms);
}

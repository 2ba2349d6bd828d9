/*
 * kaprobe.c - the keep-alive probe (see kaprobe.h), built on the test
 * initiator.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

const char *kp_mode_name(enum kp_mode m)
{
	switch (m) {
	case KP_KEEPALIVE: return "keepalive";
	case KP_ADMIN: return "admin";
	case KP_IO: return "io";
	case KP_READ: return "read";
	default: return "none";
	}
}

/* JSON string contents: the tag is the caller's, quotes and controls are dropped. */
static void json_str(char *out, size_t len, const char *s)
{
	size_t n = 0;
	for (; s && *s && n + 1 < len; s++)
		if (*s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
			out[n++] = *s;
	out[n] = '\0';
}

int kp_run(const struct kp_opts *o, struct kp_result *r, char *err, size_t errlen)
{
	struct kh_opts ko;
	struct kh_host *a = NULL, *io = NULL;
	struct nvme_id_ctrl id;
	struct kt_cqe cqe;
	uint64_t last_cmd, t;
	uint32_t nsid = o->nsid ? o->nsid : 1, lba_size = 0;
	void *buf = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&ko, 0, sizeof(ko));
	ko.subnqn = o->subnqn;
	ko.hostnqn = o->hostnqn;
	ko.kato_ms = o->kato_ms;

	/* Connect, then CC.EN=1: the timer's start and its re-arm. */
	memset(&cqe, 0, sizeof(cqe));
	rc = kh_connect(&a, o->addr, o->port, &ko, &cqe);
	if (rc < 0) {
		snprintf(err, errlen, "connect to %s:%u: %s", o->addr, o->port, strerror(-rc));
		return rc;
	}
	if (rc > 0) {
		/* A target may refuse a KATO it cannot keep (granularity, range):
		 * say which field it blamed (IATTR/IPO in dw0 for Invalid Parameters). */
		r->connect_status = (uint16_t)rc;
		r->connect_dw0 = le32toh(cqe.dw0);
		snprintf(err, errlen, "connect to %s:%u with KATO %u ms refused: status 0x%x, dw0 0x%x",
			 o->addr, o->port, o->kato_ms, (unsigned)rc, r->connect_dw0);
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
	if (o->mode == KP_READ) {
		struct nvme_id_ns ns;
		rc = kh_identify_ns(a, nsid, &ns);
		if (rc) {
			snprintf(err, errlen, "identify namespace %u: %s", nsid,
				 rc < 0 ? strerror(-rc) : "failed");
			goto out;
		}
		last_cmd = kh_now_ms();
		lba_size = kh_id_ns_lba_size(&ns);
		if (!le64toh(ns.nsze) || lba_size < 512 || lba_size > 65536) {
			snprintf(err, errlen, "namespace %u: no blocks to read (size %llu, block %u)", nsid,
				 (unsigned long long)le64toh(ns.nsze), lba_size);
			rc = -EINVAL;
			goto out;
		}
		buf = malloc(lba_size);
		if (!buf) {
			rc = -ENOMEM;
			snprintf(err, errlen, "%s", strerror(ENOMEM));
			goto out;
		}
	}
	if (o->io_queue || o->mode == KP_IO || o->mode == KP_READ) {
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
			rc = kh_flush(io, nsid);
			if (rc > 0)
				rc = 0; /* any completion is traffic */
			break;
		case KP_READ:
			rc = kh_read(io, nsid, 0, 1, buf, lba_size);
			if (rc > 0)
				rc = 0;
			break;
		case KP_NONE:
			rc = 0;
			break;
		}
		if (o->mode != KP_NONE)
			last_cmd = t;
		if (rc < 0) {
			snprintf(err, errlen, "%s command %u: %s", kp_mode_name(o->mode), i + 1, strerror(-rc));
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
	free(buf);
	return rc;
}

void kp_json(const struct kp_opts *o, const struct kp_result *r, int rc, char *buf, size_t len)
{
	char tag[64];
	json_str(tag, sizeof(tag), o->tag);
	/* closed_after_rearm_ms: the raw interval, meaningful whatever KATO the
	 * target reports (a target that rounds KATO shifts late_ms, not this). */
	snprintf(buf, len,
		 "{\"tag\":\"%s\",\"rep\":%u,\"target\":\"%s:%u\",\"rc\":%d,\"cntlid\":%u,"
		 "\"kato_asked_ms\":%u,\"kato_ms\":%u,"
		 "\"kas\":%u,\"tbkas\":%s,\"mode\":\"%s\",\"sent\":%u,\"rearm_ms\":%llu,\"deadline_ms\":%llu,"
		 "\"closed_ms\":%llu,\"late_ms\":%lld,\"closed_after_rearm_ms\":%lld,\"io_closed\":%s,"
		 "\"io_late_ms\":%lld,\"connect_status\":%u,\"connect_dw0\":%u}",
		 tag, o->rep, o->addr, o->port, rc, r->cntlid, o->kato_ms, r->kato_ms, r->kas,
		 r->tbkas ? "true" : "false", kp_mode_name(o->mode), r->sent, (unsigned long long)r->rearm_ms,
		 (unsigned long long)r->deadline_ms, (unsigned long long)r->closed_ms, (long long)r->late_ms,
		 r->closed_ms ? (long long)(r->closed_ms - r->rearm_ms) : -1LL,
		 r->io_closed ? "true" : "false", (long long)r->io_late_ms, r->connect_status, r->connect_dw0);
}

/*
 * kaprobe.h - the keep-alive probe: connects to any NVMe/TCP target with a
 * chosen KATO, sends Keep Alives or other traffic for a while, goes silent
 * and reports when the target closed the controller, as time after the
 * deadline the spec gives it. Used by the `kaprobe` program and by the
 * integration tests; it knows nothing of katod.
 *
 * The deadline is the last re-arm the host can prove, plus the KATO the
 * controller reports (Get Features): the moment before the last Keep Alive
 * was sent (or before CC.EN=1 was written, if none was), or, when the
 * controller advertises traffic-based keep-alive (TBKAS), before the last
 * command of any kind. Taken on the host before sending, it can only make
 * a target look later, never earlier, than it is.
 */
#ifndef KATO_TESTS_KAPROBE_H
#define KATO_TESTS_KAPROBE_H

#include <stdbool.h>
#include <stdint.h>

enum kp_mode {
	KP_KEEPALIVE, /* Keep Alive commands */
	KP_ADMIN,     /* other admin commands (Get Features KATO) */
	KP_IO,        /* I/O commands (Flush) on the I/O queue */
	KP_READ,      /* I/O commands (Read of one block at LBA 0) on the I/O queue */
	KP_NONE,      /* nothing after the set-up */
};

struct kp_opts {
	const char *addr;
	uint16_t port;
	const char *subnqn;      /* NULL: the discovery NQN */
	const char *hostnqn;     /* NULL: the test host's */
	uint32_t kato_ms;
	enum kp_mode mode;
	unsigned count;          /* commands before going silent */
	unsigned interval_ms;    /* between them */
	bool io_queue;           /* also connect I/O queue 1 (implied by KP_IO, KP_READ) */
	uint32_t nsid;           /* KP_IO, KP_READ: namespace to Flush or Read (default 1) */
	int wait_ms;             /* how long to wait for the close (0: 3 x KATO + 5 s) */
	const char *tag;         /* a label copied into the JSON line (may be NULL) */
	unsigned rep;            /* repetition number copied into the JSON line */
};

struct kp_result {
	uint16_t cntlid;
	uint32_t kato_ms;        /* what Get Features KATO reports */
	uint16_t kas;            /* Identify Controller KAS, 100 ms units */
	bool tbkas;
	unsigned sent;           /* traffic commands sent after the set-up */
	uint64_t rearm_ms;       /* the reference: the last provable re-arm */
	uint64_t deadline_ms;    /* rearm_ms + kato_ms */
	uint64_t closed_ms;      /* admin queue closed by the target */
	int64_t late_ms;         /* closed_ms - deadline_ms (negative: early) */
	bool io_closed;          /* the I/O queue was closed too */
	int64_t io_late_ms;
	uint16_t connect_status; /* the Connect's NVMe status if it was refused, else 0 */
	uint32_t connect_dw0;    /* ... and its dw0 (IATTR/IPO: which field was invalid) */
};

/* Runs the probe. 0 with *r filled; -ETIMEDOUT if the target never closed
 * the controller within the wait (r still filled as far as it got); another
 * negative errno or a positive NVMe status, with a message in err. */
int kp_run(const struct kp_opts *o, struct kp_result *r, char *err, size_t errlen);

/* The mode's name as the program spells it ("keepalive", "read", ...). */
const char *kp_mode_name(enum kp_mode m);

/* One line of JSON for the result (into buf). */
void kp_json(const struct kp_opts *o, const struct kp_result *r, int rc, char *buf, size_t len);

#endif

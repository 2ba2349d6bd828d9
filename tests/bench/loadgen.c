/*
 * loadgen.c - the benchmark's load generator (bench_loadgen).
 *
 * Why it exists: to measure katod (and the ceiling server, bench_ceiling)
 * with one tool that is itself cheap enough not to be what limits the
 * result. Connection set-up (ICReq, admin Connect, CC.EN, Identify, Set
 * Features Number of Queues, I/O queue Connect) goes through the test
 * initiator in tests/host, which is blocking and written for tests. Once the
 * I/O queues are connected this program takes their sockets over and drives
 * them with its own lean engine: one thread pinned to one core, epoll over
 * every connection, one read of up to 256 KiB per wake-up parsed into many
 * PDUs, every command, H2CData header and data of a loop turn gathered into
 * one sendmsg per connection, no allocation per I/O, read data dropped
 * as it is parsed (not verified: the integration tests verify data).
 *
 * With -T KEY every queue runs TLS 1.3 with that PSK first, through the
 * test initiator's TLS client (tests/host/host_tls.c), asking OpenSSL to
 * hand the records to the kernel (kTLS) where it can; the engine then
 * reads and writes through tests/host/tls_stream.h: the socket itself where
 * kTLS took, else SSL_read_ex and SSL_write_ex of gathered 16 KiB records.
 *
 * It prints one line of key=value pairs (IOPS, MiB/s, latency percentiles,
 * the generator's own CPU use, on TLS whether kTLS took each direction)
 * that tests/bench/run collects into a table.
 * The generator's CPU figure is how the run script shows that the generator
 * is not the bottleneck: it stays well under one core while the server's
 * core is saturated.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "proto/wire.h"
#include "tests/host/host.h"
#include "tests/host/tls_stream.h"

#define RXBUF_LEN (256 * 1024)
#define HIST_NS 100u                 /* latency histogram bucket: 100 ns */
#define HIST_BUCKETS 200000u          /* up to 20 ms; beyond goes in the last */
#define MAX_CONNS 64

struct opts {
	const char *addr, *subnqn;
	uint16_t port;
	uint32_t nsid;
	unsigned conns, qd;
	uint32_t bs;
	int read_pct;                 /* 100 read, 0 write, else a mix */
	bool seq;
	double secs, ramp;
	int cpu;                      /* -1: do not pin */
	uint64_t range;               /* bytes of the namespace used; 0: all */
	bool prefill;                 /* write the range once, sequentially, first */
	const char *hostnqn;          /* NULL: the test initiator's default */
	const char *tls_key;          /* TLS 1.3 with this PSK on every queue; NULL: plain */
	bool no_ktls;                 /* keep the records in OpenSSL even where the kernel takes them */
};

struct slot {
	uint16_t cid;
	bool busy, is_write;
	uint64_t t0;                  /* submit time, ns */
	uint8_t *buf;                 /* bs bytes: write data source */
	struct kt_cmd_pdu cap;        /* its capsule header */
	struct kt_data_pdu *h2c;      /* its H2CData headers, one per maxh2cdata chunk */
};

struct conn {
	struct kh_host *h;
	int fd;
	struct kh_tls_stream st;      /* the socket, plain or TLS */
	bool rx_pending;              /* TLS: OpenSSL holds bytes the socket will not announce */
	uint32_t maxh2cdata, icd;
	struct slot *slots;
	uint64_t seq_next;            /* byte offset of the next sequential I/O */
	/* receive: a PDU header being assembled, then data skipped */
	uint8_t hdr[KT_PDU_HDR_MAX + 256];
	uint32_t hdr_need, hdr_got;
	uint32_t skip;                /* data (+ padding, digest) bytes left of the current PDU */
	uint8_t *rxbuf;
	/* transmit: iovecs gathered this turn (headers live in the slots; a
	 * slot has at most one transmission pending, so iov_cap bounds it) */
	struct iovec *iov;
	unsigned niov, iov_cap;
	bool want_out;
};

static struct opts o = {
	.addr = "127.0.0.1", .port = 4420, .nsid = 1, .conns = 1, .qd = 1, .bs = 4096, .read_pct = 100,
	.secs = 5, .ramp = 1, .cpu = -1,
};
static struct conn conns[MAX_CONNS];
static uint32_t lba_size;
static uint64_t ns_bytes;
static uint64_t rng = 0x9e3779b97f4a7c15ull;
/* statistics (reset after the ramp) */
static uint32_t *hist;
static uint64_t n_ios, n_bytes, n_err, lat_sum_ns;
static bool measuring, stopping;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_loadgen: %s: %s (%d)\n", what, rc < 0 ? strerror(-rc) : "NVMe status", rc);
	exit(1);
}

/* ---- transmit ----------------------------------------------------------- */

static void tx_add(struct conn *c, void *base, size_t len)
{
	if (c->niov == c->iov_cap)
		die("transmit batch overflow", -EOVERFLOW); /* cannot happen: see iov_cap */
	c->iov[c->niov++] = (struct iovec){ base, len };
}

/* Sends the batch: 0 when all is out, 1 when the socket is full (the rest
 * is moved to the front and waits for EPOLLOUT), or a negative errno. */
static int tx_flush(struct conn *c)
{
	unsigned pos = 0;
	int rc = 0;
	while (pos < c->niov || kh_tls_stream_tx_pending(&c->st)) {
		unsigned n = c->niov - pos < 1024 ? c->niov - pos : 1024;
		ssize_t w = kh_tls_stream_writev(&c->st, c->iov + pos, (int)n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = errno == EAGAIN ? 1 : -errno;
			break;
		}
		while (w > 0) {
			struct iovec *v = &c->iov[pos];
			if ((size_t)w >= v->iov_len) {
				w -= (ssize_t)v->iov_len;
				pos++;
			} else {
				v->iov_base = (uint8_t *)v->iov_base + w;
				v->iov_len -= (size_t)w;
				w = 0;
			}
		}
		if (kh_tls_stream_tx_pending(&c->st)) {
			rc = 1; /* a TLS record waits for the socket */
			break;
		}
	}
	memmove(c->iov, c->iov + pos, (c->niov - pos) * sizeof(*c->iov));
	c->niov -= pos;
	return rc;
}

static void submit(struct conn *c, struct slot *s)
{
	uint64_t span = o.range ? o.range : ns_bytes;
	uint64_t off;
	if (o.seq) {
		if (c->seq_next + o.bs > span)
			c->seq_next = 0;
		off = c->seq_next;
		c->seq_next += o.bs;
	} else {
		off = (xorshift() % (span / o.bs)) * o.bs;
	}
	s->is_write = o.read_pct == 0 || (o.read_pct < 100 && (int)(xorshift() % 100) >= o.read_pct);
	struct kt_cmd_pdu *p = &s->cap;
	memset(p, 0, sizeof(*p));
	bool icd = s->is_write && o.bs <= c->icd;
	p->hdr.type = KT_PDU_CMD;
	p->hdr.hlen = sizeof(*p);
	p->hdr.pdo = icd ? sizeof(*p) : 0;
	p->hdr.plen = htole32(sizeof(*p) + (icd ? o.bs : 0));
	p->sqe.opcode = s->is_write ? nvme_cmd_write : nvme_cmd_read;
	p->sqe.flags = KT_SQE_FLAGS_PSDT_SGL;
	p->sqe.cid = s->cid;
	p->sqe.nsid = htole32(o.nsid);
	uint64_t slba = off / lba_size;
	p->sqe.cdw10 = htole32((uint32_t)slba);
	p->sqe.cdw11 = htole32((uint32_t)(slba >> 32));
	p->sqe.cdw12 = htole32(o.bs / lba_size - 1);
	p->sqe.dptr.length = htole32(o.bs);
	if (icd) {
		p->sqe.dptr.type = KT_SGL_INCAPSULE;
		p->sqe.dptr.addr = 0;
	} else {
		p->sqe.dptr.type = KT_SGL_TRANSPORT;
	}
	tx_add(c, p, sizeof(*p));
	if (icd)
		tx_add(c, s->buf, o.bs);
	s->busy = true;
	s->t0 = now_ns();
}

/* The controller asks for [off, off+len) of a write: H2CData PDUs of at
 * most maxh2cdata bytes each. */
static int answer_r2t(struct conn *c, const struct kt_data_pdu *r)
{
	uint16_t cid = r->cccid;
	uint32_t off = le32toh(r->offset), len = le32toh(r->length);
	if (cid >= o.qd || !c->slots[cid].busy || off + len > o.bs)
		return -EPROTO;
	struct slot *s = &c->slots[cid];
	while (len) {
		uint32_t n = len < c->maxh2cdata ? len : c->maxh2cdata;
		struct kt_data_pdu *d = &s->h2c[off / c->maxh2cdata];
		memset(d, 0, sizeof(*d));
		d->hdr.type = KT_PDU_H2C_DATA;
		d->hdr.flags = n == len ? KT_PDU_F_DATA_LAST : 0;
		d->hdr.hlen = sizeof(*d);
		d->hdr.pdo = sizeof(*d);
		d->hdr.plen = htole32(sizeof(*d) + n);
		d->cccid = cid;
		d->ttag = r->ttag;
		d->offset = htole32(off);
		d->length = htole32(n);
		tx_add(c, d, sizeof(*d));
		tx_add(c, s->buf + off, n);
		off += n;
		len -= n;
	}
	return 0;
}

static void complete(struct conn *c, uint16_t cid, uint16_t status)
{
	if (cid >= o.qd || !c->slots[cid].busy)
		die("completion for a command not in flight", -EPROTO);
	struct slot *s = &c->slots[cid];
	s->busy = false;
	if (measuring) {
		uint64_t lat = now_ns() - s->t0;
		uint64_t b = lat / HIST_NS;
		hist[b < HIST_BUCKETS ? b : HIST_BUCKETS - 1]++;
		lat_sum_ns += lat;
		n_ios++;
		n_bytes += o.bs;
		if (status)
			n_err++;
	}
	if (!stopping)
		submit(c, s);
}

/* ---- receive ------------------------------------------------------------- */

static int on_pdu(struct conn *c)
{
	const struct kt_pdu_hdr *h = (const void *)c->hdr;
	switch (h->type) {
	case KT_PDU_RSP: {
		const struct kt_rsp_pdu *r = (const void *)c->hdr;
		complete(c, r->cqe.cid, le16toh(r->cqe.status) >> 1);
		return 0;
	}
	case KT_PDU_C2H_DATA: {
		const struct kt_data_pdu *d = (const void *)c->hdr;
		if (h->flags & KT_PDU_F_DATA_SUCCESS)
			complete(c, d->cccid, 0);
		return 0;
	}
	case KT_PDU_R2T:
		return answer_r2t(c, (const void *)c->hdr);
	default:
		fprintf(stderr, "bench_loadgen: unexpected PDU type 0x%x\n", h->type);
		return -EPROTO;
	}
}

/* Walks buf: headers are assembled in c->hdr, data is skipped (the read
 * data is not kept: the integration tests verify data, this measures). */
static int parse(struct conn *c, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	while (off < len) {
		if (c->skip) {
			size_t n = len - off < c->skip ? len - off : c->skip;
			c->skip -= (uint32_t)n;
			off += n;
			continue;
		}
		size_t n = c->hdr_need - c->hdr_got;
		if (n > len - off)
			n = len - off;
		memcpy(c->hdr + c->hdr_got, buf + off, n);
		c->hdr_got += (uint32_t)n;
		off += n;
		if (c->hdr_got < c->hdr_need)
			break;
		const struct kt_pdu_hdr *h = (const void *)c->hdr;
		if (c->hdr_need == sizeof(*h)) {
			if (h->hlen < sizeof(*h) || h->hlen > KT_PDU_HDR_MAX)
				return -EPROTO;
			c->hdr_need = h->hlen;
			if (c->hdr_need > c->hdr_got)
				continue;
		}
		uint32_t plen = le32toh(h->plen);
		if (plen < h->hlen)
			return -EPROTO;
		int rc = on_pdu(c);
		if (rc)
			return rc;
		c->skip = plen - h->hlen;
		c->hdr_need = sizeof(*h);
		c->hdr_got = 0;
	}
	return 0;
}

static int on_readable(struct conn *c)
{
	/* through OpenSSL a read returns one record (16 KiB at most): more
	 * rounds, until it has nothing */
	bool records = c->st.ssl && !c->st.ktls_rx;
	c->rx_pending = false;
	for (int rounds = 0; rounds < (records ? 64 : 4); rounds++) {
		ssize_t n = kh_tls_stream_read(&c->st, c->rxbuf, RXBUF_LEN);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -errno;
		}
		int rc = parse(c, c->rxbuf, (size_t)n);
		if (rc)
			return rc;
		if (!records && n < RXBUF_LEN)
			return 0;
	}
	c->rx_pending = kh_tls_stream_rx_pending(&c->st);
	return 0;
}

/* ---- set-up ------------------------------------------------------------- */

static void setup(struct kh_host **admin)
{
	static struct kh_tls tls = { .version = 1 };
	struct kh_opts ao = { .hostnqn = o.hostnqn, .subnqn = o.subnqn, .kato_ms = 30000 };
	if (o.tls_key) {
		tls.key = o.tls_key;
		tls.ktls = !o.no_ktls;
		tls.read_buf = RXBUF_LEN; /* a read of OpenSSL's as large as the engine's */
		ao.tls = &tls;
	}
	int rc = kh_admin_up(admin, o.addr, o.port, &ao);
	if (rc)
		die("admin queue", rc);
	uint32_t dw0;
	uint32_t nq = o.conns - 1;
	kh_set_features(*admin, NVME_FEAT_FID_NUM_QUEUES, nq | (nq << 16), &dw0); /* as Linux does */
	struct nvme_id_ns id;
	if ((rc = kh_identify_ns(*admin, o.nsid, &id)))
		die("identify namespace", rc);
	lba_size = kh_id_ns_lba_size(&id);
	ns_bytes = le64toh(id.nsze) * lba_size;
	if (!lba_size || o.bs % lba_size || o.bs > ns_bytes)
		die("block size does not fit the namespace", -EINVAL);
	if (o.range > ns_bytes)
		o.range = ns_bytes;
	if (o.range && o.range < o.bs)
		die("range smaller than one block", -EINVAL);
	for (unsigned i = 0; i < o.conns; i++) {
		struct conn *c = &conns[i];
		struct kh_opts io = { .sqsize = (uint16_t)(o.qd > 127 ? o.qd : 127), .kato_ms = 30000 };
		if ((rc = kh_io_up(&c->h, *admin, o.addr, o.port, (uint16_t)(i + 1), &io, NULL)))
			die("I/O queue connect", rc);
		c->fd = kh_fd(c->h);
		if (kh_tls_stream_init(&c->st, c->fd, kh_tls_ssl(c->h)) < 0)
			die("memory", -ENOMEM);
		c->maxh2cdata = kh_maxh2cdata(c->h);
		c->icd = kh_opts_of(c->h)->icd_bytes;
		c->slots = calloc(o.qd, sizeof(*c->slots));
		c->rxbuf = malloc(RXBUF_LEN);
		unsigned chunks = (o.bs + c->maxh2cdata - 1) / c->maxh2cdata;
		c->iov_cap = o.qd * 2 * chunks + 2;
		c->iov = calloc(c->iov_cap, sizeof(*c->iov));
		if (!c->slots || !c->rxbuf || !c->iov)
			die("memory", -ENOMEM);
		for (unsigned k = 0; k < o.qd; k++) {
			c->slots[k].cid = (uint16_t)k;
			c->slots[k].h2c = calloc(chunks, sizeof(struct kt_data_pdu));
			if (!c->slots[k].h2c)
				die("memory", -ENOMEM);
			if (posix_memalign((void **)&c->slots[k].buf, 4096, o.bs))
				die("memory", -ENOMEM);
			memset(c->slots[k].buf, (int)(0x5a + k), o.bs);
		}
		c->hdr_need = sizeof(struct kt_pdu_hdr);
		/* spread sequential streams over the range */
		uint64_t span = o.range ? o.range : ns_bytes;
		c->seq_next = (span / o.conns) * i / o.bs * o.bs;
	}
}

/* Writes the range once with the blocking host (so reads hit real memory). */
static void prefill(void)
{
	uint64_t span = o.range ? o.range : ns_bytes;
	uint32_t chunk = 128 * 1024;
	uint8_t *buf;
	if (posix_memalign((void **)&buf, 4096, chunk))
		die("memory", -ENOMEM);
	memset(buf, 0xa5, chunk);
	for (uint64_t off = 0; off < span; off += chunk) {
		uint32_t n = span - off < chunk ? (uint32_t)(span - off) : chunk;
		int rc = kh_write(conns[0].h, o.nsid, off / lba_size, n / lba_size, buf, n, false);
		if (rc)
			die("prefill write", rc);
	}
	free(buf);
}

/* ---- main loop ---------------------------------------------------------- */

static double cpu_secs(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static double pct(double p)
{
	uint64_t want = (uint64_t)(p / 100.0 * (double)n_ios), seen = 0;
	if (want >= n_ios && n_ios)
		want = n_ios - 1;
	for (unsigned b = 0; b < HIST_BUCKETS; b++) {
		seen += hist[b];
		if (seen > want)
			return (b + 0.5) * HIST_NS / 1000.0;
	}
	return 0;
}

/* "256M", "1G", "4096", "128k" */
static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);
	switch (*end) {
	case 'k': case 'K': return v << 10;
	case 'm': case 'M': return v << 20;
	case 'g': case 'G': return v << 30;
	default: return v;
	}
}

static void usage(void)
{
	fprintf(stderr,
		"Usage: bench_loadgen -n SUBNQN [options]\n"
		"  -a ADDR     target address (127.0.0.1)    -p PORT   port (4420)\n"
		"  -N NSID     namespace (1)                  -c N      I/O queues, one connection each (1)\n"
		"  -q QD       queue depth per queue (1)      -b BYTES  block size (4096)\n"
		"  -m PCT      percent reads: 100, 0, or a mix (100)\n"
		"  -s          sequential (default random)    -t SECS   measured run time (5)\n"
		"  -r SECS     ramp before measuring (1)      -C CPU    pin to this CPU\n"
		"  -R BYTES    use the first BYTES of the namespace (default all)\n"
		"  -P          prefill the range with writes first\n"
		"  -H NQN      host NQN (default: the test initiator's)\n"
		"  -T KEY      TLS 1.3 on every queue with this PSK (\"NVMeTLSkey-1:01:...:\")\n"
		"  -k          TLS without kTLS even where the kernel has it\n");
	exit(64);
}

int main(int argc, char **argv)
{
	int ch;
	while ((ch = getopt(argc, argv, "a:p:n:N:c:q:b:m:st:r:C:R:PH:T:kh")) != -1) {
		switch (ch) {
		case 'a': o.addr = optarg; break;
		case 'p': o.port = (uint16_t)atoi(optarg); break;
		case 'n': o.subnqn = optarg; break;
		case 'N': o.nsid = (uint32_t)atoi(optarg); break;
		case 'c': o.conns = (unsigned)atoi(optarg); break;
		case 'q': o.qd = (unsigned)atoi(optarg); break;
		case 'b': o.bs = (uint32_t)parse_size(optarg); break;
		case 'm': o.read_pct = atoi(optarg); break;
		case 's': o.seq = true; break;
		case 't': o.secs = atof(optarg); break;
		case 'r': o.ramp = atof(optarg); break;
		case 'C': o.cpu = atoi(optarg); break;
		case 'R': o.range = parse_size(optarg); break;
		case 'P': o.prefill = true; break;
		case 'H': o.hostnqn = optarg; break;
		case 'T': o.tls_key = optarg; break;
		case 'k': o.no_ktls = true; break;
		default: usage();
		}
	}
	if (!o.subnqn || !o.conns || o.conns > MAX_CONNS || !o.qd || o.qd > 1024 || !o.bs ||
	    o.read_pct < 0 || o.read_pct > 100 || o.secs <= 0)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (o.cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			die("sched_setaffinity", -errno);
	}
	hist = calloc(HIST_BUCKETS, sizeof(*hist));
	if (!hist)
		die("memory", -ENOMEM);
	struct kh_host *admin;
	setup(&admin);
	if (o.prefill)
		prefill();

	int ep = epoll_create1(0);
	for (unsigned i = 0; i < o.conns; i++) {
		fcntl(conns[i].fd, F_SETFL, fcntl(conns[i].fd, F_GETFL) | O_NONBLOCK);
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &conns[i] };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev) < 0)
			die("epoll_ctl", -errno);
		for (unsigned k = 0; k < o.qd; k++)
			submit(&conns[i], &conns[i].slots[k]);
	}
	uint64_t t_start = now_ns(), t_meas = 0, t_end = 0;
	uint64_t ramp_ns = (uint64_t)(o.ramp * 1e9), run_ns = (uint64_t)(o.secs * 1e9);
	double cpu0 = 0;
	unsigned inflight_conns = o.conns;
	struct epoll_event evs[MAX_CONNS];
	while (inflight_conns) {
		bool rx_pending = false;
		/* flush what the last turn produced: one sendmsg per connection */
		for (unsigned i = 0; i < o.conns; i++) {
			struct conn *c = &conns[i];
			if (c->niov == 0 && !kh_tls_stream_tx_pending(&c->st))
				continue;
			int rc = tx_flush(c);
			if (rc < 0)
				die("send", rc);
			bool want = rc > 0;
			if (want != c->want_out) {
				struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c };
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				c->want_out = want;
			}
		}
		for (unsigned i = 0; i < o.conns; i++) {
			if (conns[i].rx_pending) {
				int rc = on_readable(&conns[i]);
				if (rc)
					die("receive", rc);
				rx_pending |= conns[i].rx_pending;
			}
		}
		int n = epoll_wait(ep, evs, MAX_CONNS, rx_pending ? 0 : 1000);
		if (n < 0 && errno != EINTR)
			die("epoll_wait", -errno);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
				int rc = on_readable(c);
				if (rc && rc != -EAGAIN)
					die("receive", rc);
			}
		}
		uint64_t t = now_ns();
		if (!measuring && !stopping && t - t_start >= ramp_ns) {
			measuring = true;
			t_meas = t;
			cpu0 = cpu_secs();
		}
		if (measuring && t - t_meas >= run_ns) {
			measuring = false;
			stopping = true;
			t_end = t;
		}
		if (stopping) {
			inflight_conns = 0;
			for (unsigned i = 0; i < o.conns; i++)
				for (unsigned k = 0; k < o.qd; k++)
					if (conns[i].slots[k].busy) {
						inflight_conns++;
						break;
					}
		}
	}
	double cpu = cpu_secs() - cpu0;
	double wall = (double)(t_end - t_meas) / 1e9;
	bool ktls_tx = o.tls_key && conns[0].st.ktls_tx, ktls_rx = o.tls_key && conns[0].st.ktls_rx;
	for (unsigned i = 0; i < o.conns; i++) {
		kh_tls_stream_fini(&conns[i].st);
		kh_close(conns[i].h);
	}
	kh_close(admin);
	printf("iops=%.0f mibps=%.1f lat_mean_us=%.2f lat_p50_us=%.2f lat_p99_us=%.2f lat_p999_us=%.2f "
	       "ios=%" PRIu64 " errors=%" PRIu64 " gen_cpu_pct=%.1f secs=%.2f",
	       (double)n_ios / wall, (double)n_bytes / wall / (1024 * 1024),
	       n_ios ? (double)lat_sum_ns / (double)n_ios / 1000.0 : 0.0, pct(50), pct(99), pct(99.9), n_ios,
	       n_err, 100.0 * cpu / wall, wall);
	if (o.tls_key)
		printf(" tls=1 ktls_tx=%d ktls_rx=%d", ktls_tx, ktls_rx);
	printf("\n");
	return n_err ? 2 : 0;
}

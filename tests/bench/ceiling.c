/*
 * ceiling.c - the benchmark's ceiling server (bench_ceiling).
 *
 * Why it exists: a number for katod means little without knowing what
 * loopback TCP on this machine can carry for the same traffic. This server
 * answers the PDUs bench_loadgen sends with canned replies of the same
 * sizes and shapes katod sends (ICResp; CapsuleResp; C2HData of the SGL
 * length then CapsuleResp for reads; R2T for the whole transfer, then a
 * CapsuleResp after the last H2CData, for writes without in-capsule data)
 * and does no NVMe work: no command parsing beyond the opcode, no
 * namespace, no copies (read data comes from one static buffer, write data
 * is dropped as it is parsed). It has the same transport shape as katod:
 * one thread (pin it with taskset), one read of up to 256 KiB per wake-up
 * parsed into many PDUs, replies gathered into one sendmsg per connection
 * per loop turn, TCP_NODELAY.
 *
 * Just enough of the admin queue is answered for the test initiator's
 * set-up (tests/host: Connect, Property Get/Set of CAP/VS/CC/CSTS,
 * Identify Controller and Namespace, Set Features): the canned Identify
 * data advertise the in-capsule size given with -i and a RAM-like namespace
 * of -S bytes in 512-byte blocks. No digests.
 *
 * -M answers reads from memory instead: an -S byte area (written once,
 * huge pages where allowed, as katod's RAM namespace) at the command's
 * LBA. The default static buffer is all one zero page, hot in the cache;
 * with -M the kernel's send copy pays what katod's does for data spread
 * over a 1 GiB namespace, and the ceiling still does no NVMe work.
 *
 * -T KEY serves TLS 1.3 with PSKs, as katod on a port with tsas tls1.3:
 * every connection's handshake first (blocking, at accept: the load
 * generator connects its queues one after another), the identity the host
 * sends parsed and its TLS PSK derived from KEY by proto/tls_psk.h for
 * whatever host and subsystem it names, no session tickets, OpenSSL asked
 * to hand the records to the kernel (kTLS) where it can (-k: not). Then the
 * same engine through tests/host/tls_stream.h: the socket where kTLS took,
 * else SSL_read_ex and one SSL_write_ex per gathered 16 KiB record, the
 * shape of katod's userspace TLS path. The TLS figures are then what TLS on
 * loopback costs with no NVMe work.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <nvme/types.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "proto/tls_psk.h"
#include "proto/wire.h"
#include "tests/host/tls_stream.h"

#define RXBUF_LEN (256 * 1024)
#define MAX_XFER (1024 * 1024)     /* largest read answered */
#define NREC 4096                  /* reply records per connection, reused in turn */
#define IOV_CAP (NREC * 2)

/* One reply: up to a data/R2T header, optional data, a CapsuleResp. */
struct rec {
	uint8_t hdr[24];
	struct kt_rsp_pdu rsp;
};

struct conn {
	int fd;
	struct kh_tls_stream st;
	uint16_t qid, sqhd, sqsize;
	uint32_t cc;
	uint8_t hdr[KT_PDU_HDR_MAX + 8];
	uint32_t hdr_need, hdr_got, skip;
	struct rec *recs;
	unsigned next_rec;
	struct iovec *iov;
	unsigned niov;
	bool want_out, dead;
	struct conn *next_dirty;
	bool dirty;
};

static uint8_t *rxbuf;
static uint8_t *zero_data;           /* read data, all replies: MAX_XFER bytes */
static uint8_t id_ctrl[4096], id_ns[4096];
static uint32_t icd = 8192;
static uint64_t ns_size = 1ull << 30;
static uint8_t *ns_mem;              /* -M: read data at the command's LBA */
static int ep;
static struct conn *dirty_head;
static SSL_CTX *tls_ctx;             /* -T: the TLS server */
static struct kt_tls_key tls_key;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void mark_dirty(struct conn *c)
{
	if (!c->dirty) {
		c->dirty = true;
		c->next_dirty = dirty_head;
		dirty_head = c;
	}
}

static void add(struct conn *c, const void *base, size_t len)
{
	if (c->niov == IOV_CAP) {
		fprintf(stderr, "bench_ceiling: transmit batch overflow\n");
		c->dead = true;
		return;
	}
	c->iov[c->niov++] = (struct iovec){ (void *)base, len };
	mark_dirty(c);
}

static struct rec *rec_get(struct conn *c)
{
	struct rec *r = &c->recs[c->next_rec];
	c->next_rec = (c->next_rec + 1) % NREC;
	return r;
}

static void send_rsp(struct conn *c, struct rec *r, uint16_t cid, uint32_t dw0)
{
	memset(&r->rsp, 0, sizeof(r->rsp));
	r->rsp.hdr.type = KT_PDU_RSP;
	r->rsp.hdr.hlen = sizeof(r->rsp);
	r->rsp.hdr.plen = htole32(sizeof(r->rsp));
	r->rsp.cqe.cid = cid;
	r->rsp.cqe.dw0 = htole32(dw0);
	r->rsp.cqe.sq_id = htole16(c->qid);
	r->rsp.cqe.sq_head = htole16(c->sqhd);
	add(c, &r->rsp, sizeof(r->rsp));
}

static void send_c2h(struct conn *c, struct rec *r, uint16_t cid, const void *data, uint32_t len)
{
	struct kt_data_pdu *d = (void *)r->hdr;
	memset(d, 0, sizeof(*d));
	d->hdr.type = KT_PDU_C2H_DATA;
	d->hdr.flags = KT_PDU_F_DATA_LAST;
	d->hdr.hlen = sizeof(*d);
	d->hdr.pdo = sizeof(*d);
	d->hdr.plen = htole32(sizeof(*d) + len);
	d->cccid = cid;
	d->length = htole32(len);
	add(c, d, sizeof(*d));
	add(c, data, len);
}

static void send_r2t(struct conn *c, struct rec *r, uint16_t cid, uint32_t len)
{
	struct kt_data_pdu *d = (void *)r->hdr;
	memset(d, 0, sizeof(*d));
	d->hdr.type = KT_PDU_R2T;
	d->hdr.hlen = sizeof(*d);
	d->hdr.plen = htole32(sizeof(*d));
	d->cccid = cid;
	d->ttag = cid;
	d->length = htole32(len);
	add(c, d, sizeof(*d));
}

static uint64_t prop_get(struct conn *c, uint32_t off)
{
	switch (off) {
	case NVME_REG_CAP:
		return 1023ull | (1ull << 16) /* CQR */ | (1ull << 24) /* TO 500 ms */ | (1ull << 37) /* NVM */;
	case NVME_REG_VS:
		return 0x00010300;
	case NVME_REG_CC:
		return c->cc;
	case NVME_REG_CSTS:
		return c->cc & 1; /* RDY follows EN at once */
	default:
		return 0;
	}
}

static void on_capsule(struct conn *c, const struct kt_cmd_pdu *p)
{
	const struct kt_sqe *sqe = &p->sqe;
	uint32_t len = le32toh(sqe->dptr.length);
	bool has_icd = le32toh(p->hdr.plen) > p->hdr.hlen;
	struct rec *r = rec_get(c);
	c->sqhd = (uint16_t)((c->sqhd + 1u) % (c->sqsize + 1u));
	if (sqe->opcode == KT_OPC_FABRICS) {
		const uint8_t *b = (const void *)sqe;
		if (b[4] == nvme_fabrics_type_connect) {
			const struct kt_fabrics_connect_cmd *cc = (const void *)sqe;
			c->qid = le16toh(cc->qid);
			c->sqsize = le16toh(cc->sqsize);
			c->sqhd = 0;
			send_rsp(c, r, sqe->cid, 1 /* CNTLID */);
		} else if (b[4] == nvme_fabrics_type_property_get) {
			const struct kt_fabrics_prop_cmd *pc = (const void *)sqe;
			uint64_t v = prop_get(c, le32toh(pc->offset));
			send_rsp(c, r, sqe->cid, (uint32_t)v);
			r->rsp.cqe.dw1 = htole32((uint32_t)(v >> 32));
		} else {
			const struct kt_fabrics_prop_cmd *pc = (const void *)sqe;
			if (b[4] == nvme_fabrics_type_property_set && le32toh(pc->offset) == NVME_REG_CC)
				c->cc = (uint32_t)le64toh(pc->value);
			send_rsp(c, r, sqe->cid, 0);
		}
		return;
	}
	unsigned dir = sqe->opcode & 3u;
	if (c->qid == 0 && sqe->opcode == nvme_admin_identify) {
		uint8_t cns = (uint8_t)le32toh(sqe->cdw10);
		const uint8_t *data = cns == NVME_IDENTIFY_CNS_CTRL ? id_ctrl
				      : cns == NVME_IDENTIFY_CNS_NS ? id_ns : zero_data;
		send_c2h(c, r, sqe->cid, data, len < 4096 ? len : 4096);
		send_rsp(c, r, sqe->cid, 0);
		return;
	}
	if (c->qid == 0 && sqe->opcode == nvme_admin_set_features) {
		send_rsp(c, r, sqe->cid, le32toh(sqe->cdw11)); /* grant what was asked */
		return;
	}
	if (dir == 2 && len) { /* read-like: data of the SGL length */
		uint32_t n = len < MAX_XFER ? len : MAX_XFER;
		const uint8_t *data = zero_data;
		if (ns_mem) {
			uint64_t slba = le32toh(sqe->cdw10) | (uint64_t)le32toh(sqe->cdw11) << 32;
			uint64_t off = slba * 512u % ns_size;
			data = off + n <= ns_size ? ns_mem + off : zero_data;
		}
		send_c2h(c, r, sqe->cid, data, n);
		send_rsp(c, r, sqe->cid, 0);
	} else if (dir == 1 && len && !has_icd) { /* write-like, data by R2T */
		send_r2t(c, r, sqe->cid, len);
	} else {
		send_rsp(c, r, sqe->cid, 0);
	}
}

static void on_pdu(struct conn *c)
{
	const struct kt_pdu_hdr *h = (const void *)c->hdr;
	switch (h->type) {
	case KT_PDU_ICREQ: {
		static struct kt_icresp_pdu icresp; /* the same for every connection */
		icresp.hdr.type = KT_PDU_ICRESP;
		icresp.hdr.hlen = sizeof(icresp);
		icresp.hdr.plen = htole32(sizeof(icresp));
		icresp.maxh2cdata = htole32(128 * 1024);
		add(c, &icresp, sizeof(icresp));
		break;
	}
	case KT_PDU_CMD:
		on_capsule(c, (const void *)c->hdr);
		break;
	case KT_PDU_H2C_DATA: {
		const struct kt_data_pdu *d = (const void *)c->hdr;
		if (h->flags & KT_PDU_F_DATA_LAST)
			send_rsp(c, rec_get(c), d->cccid, 0);
		break;
	}
	default:
		c->dead = true; /* H2CTermReq or garbage: close */
		break;
	}
}

/* Headers are assembled in c->hdr; data is skipped. */
static void parse(struct conn *c, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	while (off < len && !c->dead) {
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
			if (h->hlen < sizeof(*h) || h->hlen > KT_PDU_HDR_MAX || le32toh(h->plen) < h->hlen) {
				c->dead = true;
				break;
			}
			c->hdr_need = h->hlen;
			if (c->hdr_need > c->hdr_got)
				continue;
		}
		on_pdu(c);
		c->skip = le32toh(h->plen) - h->hlen;
		c->hdr_need = sizeof(*h);
		c->hdr_got = 0;
	}
}

static void conn_close(struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->dead = true;
}

static void conn_free(struct conn *c)
{
	kh_tls_stream_fini(&c->st);
	SSL_free(c->st.ssl);
	free(c->recs);
	free(c->iov);
	free(c);
}

static void flush(struct conn *c)
{
	unsigned pos = 0;
	bool blocked = false;
	while (pos < c->niov || kh_tls_stream_tx_pending(&c->st)) {
		unsigned n = c->niov - pos < 1024 ? c->niov - pos : 1024;
		ssize_t w = kh_tls_stream_writev(&c->st, c->iov + pos, (int)n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				blocked = true;
			else
				c->dead = true;
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
			blocked = true; /* a TLS record waits for the socket */
			break;
		}
	}
	memmove(c->iov, c->iov + pos, (c->niov - pos) * sizeof(*c->iov));
	c->niov -= pos;
	if (blocked != c->want_out && !c->dead) {
		struct epoll_event ev = { .events = EPOLLIN | (blocked ? EPOLLOUT : 0), .data.ptr = c };
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		c->want_out = blocked;
	}
}

static void fill_identify(void)
{
	struct nvme_id_ctrl *ctrl = (void *)id_ctrl;
	struct nvme_id_ns *ns = (void *)id_ns;
	memcpy(ctrl->mn, "kato ceiling                            ", sizeof(ctrl->mn));
	ctrl->mdts = 8; /* 1 MiB with 4 KiB pages */
	ctrl->sqes = 0x66;
	ctrl->cqes = 0x44;
	ctrl->nn = htole32(1);
	ctrl->sgls = htole32(0x00100005);
	ctrl->ioccsz = htole32((64 + icd) / 16);
	ctrl->iorcsz = htole32(1);
	ns->nsze = ns->ncap = ns->nuse = htole64(ns_size / 512);
	ns->nlbaf = 0;
	ns->flbas = 0;
	ns->lbaf[0].ds = 9;
}

/* ---- TLS (-T) ------------------------------------------------------------ */

/* Any identity the host offers: its TLS PSK from the one key. */
static int on_find_psk(SSL *ssl, const unsigned char *identity, size_t len, SSL_SESSION **sess)
{
	struct kt_tls_identity id;
	struct kt_tls_psk psk;
	const char *why = NULL;
	*sess = NULL;
	if (kt_tls_identity_parse(&id, identity, len, &why) < 0 ||
	    kt_tls_psk_for_identity(&id, &tls_key, KT_TLS_DERIVE_RFC | KT_TLS_DERIVE_COMPAT, KT_TLS_DERIVE_RFC,
				    &psk, &why) < 0) {
		fprintf(stderr, "bench_ceiling: no PSK for the identity: %s\n", why ? why : "?");
		return 1;
	}
	const SSL_CIPHER *cipher = SSL_get_pending_cipher(ssl);
	SSL_SESSION *s = SSL_SESSION_new();
	if (!s || !cipher || !SSL_SESSION_set1_master_key(s, psk.key, psk.len) ||
	    !SSL_SESSION_set_cipher(s, cipher) || !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		SSL_SESSION_free(s);
		kt_tls_psk_clear(&psk);
		return 0;
	}
	kt_tls_psk_clear(&psk);
	*sess = s;
	return 1;
}

static void tls_init(const char *key, bool ktls)
{
	const char *why = NULL;
	if (kt_tls_key_parse(&tls_key, key, strlen(key), &why) < 0) {
		fprintf(stderr, "bench_ceiling: -T: %s\n", why ? why : "not a TLS key");
		exit(64);
	}
	tls_ctx = SSL_CTX_new(TLS_server_method());
	if (!tls_ctx || !SSL_CTX_set_min_proto_version(tls_ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(tls_ctx, TLS1_3_VERSION) || !SSL_CTX_set_num_tickets(tls_ctx, 0) ||
	    !SSL_CTX_set_ciphersuites(tls_ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
					       "TLS_CHACHA20_POLY1305_SHA256"))
		die("SSL_CTX_new");
	SSL_CTX_set_options(tls_ctx, SSL_OP_NO_TICKET | (ktls ? SSL_OP_ENABLE_KTLS : 0));
	SSL_CTX_set_session_cache_mode(tls_ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_default_read_buffer_len(tls_ctx, 64 * 1024); /* as katod's (conn.c) */
	SSL_CTX_set_psk_find_session_callback(tls_ctx, on_find_psk);
}

/* The handshake on a fresh connection, blocking (5 s at most). */
static SSL *tls_accept(int fd)
{
	struct timeval tv = { 5, 0 };
	SSL *ssl = SSL_new(tls_ctx);
	if (!ssl || !SSL_set_fd(ssl, fd)) {
		SSL_free(ssl);
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ERR_clear_error();
	if (SSL_accept(ssl) != 1) {
		unsigned long e = ERR_get_error();
		fprintf(stderr, "bench_ceiling: TLS handshake: %s\n", e ? ERR_reason_error_string(e) : "failed");
		SSL_free(ssl);
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return ssl;
}

static void usage(void)
{
	fprintf(stderr, "Usage: bench_ceiling [-a ADDR] [-p PORT] [-i ICD_BYTES] [-S NS_BYTES] [-M] [-T KEY [-k]]\n"
			"  answers bench_loadgen with canned replies (see tests/bench/README.md)\n");
	exit(64);
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1";
	uint16_t port = 4421;
	int ch;
	bool mem = false, no_ktls = false;
	const char *key = NULL;
	while ((ch = getopt(argc, argv, "a:p:i:S:MT:kh")) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'p': port = (uint16_t)atoi(optarg); break;
		case 'i': icd = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'S': ns_size = strtoull(optarg, NULL, 0); break;
		case 'M': mem = true; break;
		case 'T': key = optarg; break;
		case 'k': no_ktls = true; break;
		default: usage();
		}
	}
	if (mem) {
		ns_mem = mmap(NULL, ns_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			      -1, 0);
		if (ns_mem == MAP_FAILED)
			die("mmap");
		(void)madvise(ns_mem, ns_size, MADV_HUGEPAGE);
		memset(ns_mem, 0x5a, ns_size); /* as bench/run's prefill writes katod's */
	}
	if (key)
		tls_init(key, !no_ktls);
	signal(SIGPIPE, SIG_IGN);
	rxbuf = malloc(RXBUF_LEN);
	zero_data = calloc(1, MAX_XFER);
	if (!rxbuf || !zero_data)
		die("malloc");
	fill_identify();

	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		usage();
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 64) < 0)
		die("bind/listen");
	ep = epoll_create1(0);
	struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
	fprintf(stderr, "bench_ceiling: listening on %s:%u\n", addr, port);

	struct epoll_event evs[64];
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (!c) {
				int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
				if (fd < 0)
					continue;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				SSL *ssl = NULL;
				if (tls_ctx && !(ssl = tls_accept(fd))) {
					close(fd);
					continue;
				}
				c = calloc(1, sizeof(*c));
				if (!c || !(c->recs = calloc(NREC, sizeof(*c->recs))) ||
				    !(c->iov = calloc(IOV_CAP, sizeof(*c->iov))) || kh_tls_stream_init(&c->st, fd, ssl) < 0)
					die("calloc");
				c->fd = fd;
				c->hdr_need = sizeof(struct kt_pdu_hdr);
				c->sqsize = 31;
				struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				continue;
			}
			if (c->dead)
				continue;
			if (evs[i].events & EPOLLOUT)
				mark_dirty(c);
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
				/* through OpenSSL a read is one record: until it
				 * has nothing, so that none stays unannounced */
				bool records = c->st.ssl && !c->st.ktls_rx;
				for (int rounds = 0; (records || rounds < 4) && !c->dead; rounds++) {
					ssize_t r = kh_tls_stream_read(&c->st, rxbuf, RXBUF_LEN);
					if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
						c->dead = true;
						break;
					}
					if (r < 0)
						break;
					parse(c, rxbuf, (size_t)r);
					if (!records && r < RXBUF_LEN)
						break;
				}
			}
			if (c->dead && !c->dirty) {
				conn_close(c);
				conn_free(c);
			}
		}
		/* end of the loop turn: one sendmsg per connection with replies */
		while (dirty_head) {
			struct conn *c = dirty_head;
			dirty_head = c->next_dirty;
			c->dirty = false;
			if (!c->dead)
				flush(c);
			if (c->dead) {
				conn_close(c);
				conn_free(c);
			}
		}
	}
}

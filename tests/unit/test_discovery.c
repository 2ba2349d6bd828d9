/*
 * test_discovery.c - the Discovery Log Page (proto/discovery.c), checked
 * byte by byte at the offsets the spec gives (not through libnvme's
 * structures): which entries a host that is allowed and one that is not get,
 * across ports, the header and GENCTR, and reads of the page in pieces at
 * odd offsets, past the end and at it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/fabrics.h"

#define UNUSED __attribute__((unused))
#define ST_INVALID_FIELD 0x4002

#define NQN_A "nqn.2026-01.io.kato:open"
#define NQN_B "nqn.2026-01.io.kato:closed"
#define NQN_DISC "nqn.2026-01.io.kato:discovery-unique"
#define HOST_OK "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"
#define HOST_OTHER "nqn.2014-08.org.nvmexpress:uuid:99999999-2222-3333-4444-555555555555"

struct fixture {
	struct kt_target t;
	struct kt_subsys subsys[2];
	char hosts_b[1][KT_NQN_MAX + 1];
	struct kt_port ports[3];
	struct kt_subsys *p1_subsys[2], *p3_subsys[2];
	struct kt_subsys *subsysp[2];
	struct kt_port *portsp[3];
	struct kt_ctrl c;
	uint8_t page[8 * 1024];
	uint8_t piece[8 * 1024];
};

static struct fixture F;

/*
 * Port 1 (IPv4 192.168.1.10:4420, TREQ "not required" + "SQ flow control
 * disable") exports A (any host) and B (HOST_OK only); port 2 (IPv6, 8009)
 * exports nothing: the discovery port the controller is on; port 3 exports B
 * and, by mistake of whoever built the table, the discovery subsystem.
 */
static int setup(void **state)
{
	memset(&F, 0, sizeof(F));
	strcpy(F.t.disc_nqn, NQN_DISC);
	F.t.genctr = 0x0102030405060708ull;

	strcpy(F.subsys[0].nqn, NQN_A);
	F.subsys[0].allow_any_host = true;
	strcpy(F.subsys[1].nqn, NQN_B);
	strcpy(F.hosts_b[0], HOST_OK);
	F.subsys[1].n_hosts = 1;
	F.subsys[1].hosts = F.hosts_b;
	F.subsysp[0] = &F.subsys[0];
	F.subsysp[1] = &F.subsys[1];
	F.t.subsys = F.subsysp;
	F.t.n_subsys = 2;
	strcpy(F.t.disc.nqn, NQN_DISC);
	F.t.disc.discovery = true;

	F.ports[0].portid = 1;
	F.ports[0].adrfam = NVMF_ADDR_FAMILY_IP4;
	F.ports[0].treq = NVMF_TREQ_NOT_REQUIRED | NVMF_TREQ_DISABLE_SQFLOW;
	strcpy(F.ports[0].traddr, "192.168.1.10");
	strcpy(F.ports[0].trsvcid, "4420");
	F.p1_subsys[0] = &F.subsys[0];
	F.p1_subsys[1] = &F.subsys[1];
	F.ports[0].subsys = F.p1_subsys;
	F.ports[0].n_subsys = 2;

	F.ports[1].portid = 0x0302;
	F.ports[1].adrfam = NVMF_ADDR_FAMILY_IP6;
	F.ports[1].treq = NVMF_TREQ_NOT_SPECIFIED;
	strcpy(F.ports[1].traddr, "fe80::1");
	strcpy(F.ports[1].trsvcid, "8009");

	F.ports[2].portid = 3;
	F.ports[2].adrfam = NVMF_ADDR_FAMILY_IP4;
	F.ports[2].treq = NVMF_TREQ_REQUIRED;
	F.ports[2].sectype = NVMF_TCP_SECTYPE_TLS13; /* tsas tls1.3: TLS required */
	strcpy(F.ports[2].traddr, "10.0.0.3");
	strcpy(F.ports[2].trsvcid, "4421");
	F.p3_subsys[0] = &F.t.disc;
	F.p3_subsys[1] = &F.subsys[1];
	F.ports[2].subsys = F.p3_subsys;
	F.ports[2].n_subsys = 2;

	for (int i = 0; i < 3; i++)
		F.portsp[i] = &F.ports[i];
	F.t.ports = F.portsp;
	F.t.n_ports = 3;

	F.c.discovery = true;
	F.c.target = &F.t;
	F.c.subsys = &F.t.disc;
	F.c.port = &F.ports[1];
	strcpy(F.c.hostnqn, HOST_OK);
	*state = &F;
	return 0;
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

static void assert_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			fail_msg("byte %zu is 0x%02x, expected 0x%02x", i, p[i], v);
}

/* A string field: the text, then `pad` to the end of the field. */
static void assert_field(const uint8_t *p, size_t size, const char *s, uint8_t pad)
{
	size_t n = strlen(s);

	assert_memory_equal(p, s, n);
	assert_bytes(p + n, size - n, pad);
}

static void assert_header(const uint8_t *h, uint64_t genctr, uint64_t numrec)
{
	assert_int_equal(get_le(h + 0, 8), genctr);
	assert_int_equal(get_le(h + 8, 8), numrec);
	assert_int_equal(get_le(h + 16, 2), 0); /* RECFMT */
	assert_bytes(h + 18, 1024 - 18, 0);
}

static void assert_entry(const uint8_t *e, uint8_t adrfam, uint8_t subtype, uint8_t treq,
			 uint16_t portid, uint16_t eflags, const char *trsvcid, const char *subnqn,
			 const char *traddr)
{
	assert_int_equal(e[0], 3);       /* TRTYPE: TCP */
	assert_int_equal(e[1], adrfam);
	assert_int_equal(e[2], subtype);
	assert_int_equal(e[3], treq);
	assert_int_equal(get_le(e + 4, 2), portid);
	assert_int_equal(get_le(e + 6, 2), 0xffff); /* CNTLID: dynamic */
	assert_int_equal(get_le(e + 8, 2), 32);     /* ASQSZ */
	assert_int_equal(get_le(e + 10, 2), eflags);
	assert_bytes(e + 12, 20, 0);
	assert_field(e + 32, 32, trsvcid, ' ');
	assert_bytes(e + 64, 192, 0);
	assert_field(e + 256, 256, subnqn, 0);
	assert_field(e + 512, 256, traddr, ' ');
	/* TSAS: SECTYPE TLS 1.3 on the fixture's TLS port (the only one
	 * requiring a secure channel), none elsewhere */
	assert_int_equal(e[768], treq == NVMF_TREQ_REQUIRED ? NVMF_TCP_SECTYPE_TLS13 : 0);
	assert_bytes(e + 769, 255, 0);
}

static void test_allowed_host(void **state UNUSED)
{
	memset(F.page, 0xee, sizeof(F.page));
	assert_int_equal(kt_disc_log_read(&F.c, 0, F.page, 5 * 1024), 0);
	assert_header(F.page, 0x0102030405060708ull, 4);
	/* The current discovery subsystem on the controller's own port, EPCSD. */
	assert_entry(F.page + 1024, 2, 3, 0, 0x0302, 2, "8009", NQN_DISC, "fe80::1");
	/* Port 1: A and B; "SQ flow control disable" is not passed on. */
	assert_entry(F.page + 2048, 1, 2, 2, 1, 0, "4420", NQN_A, "192.168.1.10");
	assert_entry(F.page + 3072, 1, 2, 2, 1, 0, "4420", NQN_B, "192.168.1.10");
	/* Port 3: B only; the discovery subsystem in its table is not listed. */
	assert_entry(F.page + 4096, 1, 2, 1, 3, 0, "4421", NQN_B, "10.0.0.3");
}

static void test_other_host(void **state UNUSED)
{
	strcpy(F.c.hostnqn, HOST_OTHER);
	memset(F.page, 0xee, sizeof(F.page));
	/* Ask for more than the page: the rest reads as zero. */
	assert_int_equal(kt_disc_log_read(&F.c, 0, F.page, 4 * 1024), 0);
	assert_header(F.page, 0x0102030405060708ull, 2);
	assert_entry(F.page + 1024, 2, 3, 0, 0x0302, 2, "8009", NQN_DISC, "fe80::1");
	assert_entry(F.page + 2048, 1, 2, 2, 1, 0, "4420", NQN_A, "192.168.1.10");
	assert_bytes(F.page + 3072, 1024, 0);

	/* A host with no NQN at all sees only what any host may use. */
	F.c.hostnqn[0] = '\0';
	assert_int_equal(kt_disc_log_read(&F.c, 8, F.page, 8), 0);
	assert_int_equal(get_le(F.page, 8), 2);

	/* Once the host is allowed, B appears on both ports. */
	strcpy(F.hosts_b[0], "");
	F.subsys[1].allow_any_host = true;
	assert_int_equal(kt_disc_log_read(&F.c, 8, F.page, 8), 0);
	assert_int_equal(get_le(F.page, 8), 4);
}

/* A TLS port that also serves plain connections: TREQ "not required"
 * (2), TSAS SECTYPE TLS 1.3 (2), as nvmet fills them from addr_treq and
 * addr_tsas; `nvme discover` prints "sectype: tls13". */
static void test_tls_not_required(void **state UNUSED)
{
	F.ports[0].sectype = NVMF_TCP_SECTYPE_TLS13;
	memset(F.page, 0xee, sizeof(F.page));
	assert_int_equal(kt_disc_log_read(&F.c, 0, F.page, 5 * 1024), 0);
	const uint8_t *e = F.page + 2048;
	assert_int_equal(e[3], NVMF_TREQ_NOT_REQUIRED);
	assert_int_equal(e[768], NVMF_TCP_SECTYPE_TLS13);
	assert_bytes(e + 769, 255, 0);
	e = F.page + 4096;
	assert_int_equal(e[3], NVMF_TREQ_REQUIRED);
	assert_int_equal(e[768], NVMF_TCP_SECTYPE_TLS13);
	/* the discovery port's own entry stays plain */
	assert_int_equal(F.page[1024 + 768], 0);
}

static void test_pieces_at_odd_offsets(void **state UNUSED)
{
	const uint32_t size = 5 * 1024;
	static const struct { uint32_t off, len; } cuts[] = {
		{ 0, 1 }, { 1, 7 }, { 7, 9 }, { 17, 1 }, { 1020, 10 }, { 1023, 1 },
		{ 1024, 1024 }, { 1300, 3000 }, { 2047, 2 }, { 3071, 1025 },
		{ 4095, 1025 }, { 5119, 1 }, { 333, 4787 },
	};

	assert_int_equal(kt_disc_log_read(&F.c, 0, F.page, size), 0);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		memset(F.piece, 0xee, sizeof(F.piece));
		assert_int_equal(kt_disc_log_read(&F.c, cuts[i].off, F.piece, cuts[i].len), 0);
		assert_memory_equal(F.piece, F.page + cuts[i].off, cuts[i].len);
		assert_bytes(F.piece + cuts[i].len, 16, 0xee); /* nothing written past len */
	}

	/* Running past the end: the page, then zeroes. */
	memset(F.piece, 0xee, sizeof(F.piece));
	assert_int_equal(kt_disc_log_read(&F.c, 4097, F.piece, 2000), 0);
	assert_memory_equal(F.piece, F.page + 4097, size - 4097);
	assert_bytes(F.piece + (size - 4097), 2000 - (size - 4097), 0);

	/* The piecewise reads, stitched, are the page. */
	memset(F.piece, 0xee, sizeof(F.piece));
	for (uint32_t off = 0; off < size; off += 37)
		assert_int_equal(kt_disc_log_read(&F.c, off, F.piece + off,
						   off + 37 <= size ? 37 : size - off), 0);
	assert_memory_equal(F.piece, F.page, size);
}

static void test_offsets_at_and_past_end(void **state UNUSED)
{
	const uint32_t size = 5 * 1024;

	memset(F.piece, 0xee, 64);
	/* At the end: nothing of the page is left, zeroes are returned. */
	assert_int_equal(kt_disc_log_read(&F.c, size, F.piece, 16), 0);
	assert_bytes(F.piece, 16, 0);
	assert_int_equal(kt_disc_log_read(&F.c, size + 1, F.piece, 16), ST_INVALID_FIELD);
	assert_int_equal(kt_disc_log_read(&F.c, size + 4, F.piece, 16), ST_INVALID_FIELD);
	assert_int_equal(kt_disc_log_read(&F.c, UINT64_MAX, F.piece, 16), ST_INVALID_FIELD);
	assert_int_equal(kt_disc_log_read(&F.c, UINT64_MAX - 8, F.piece, 16), ST_INVALID_FIELD);
	/* For the other host the page is shorter: 3 KiB. */
	strcpy(F.c.hostnqn, HOST_OTHER);
	assert_int_equal(kt_disc_log_read(&F.c, 3 * 1024, F.piece, 4), 0);
	assert_int_equal(kt_disc_log_read(&F.c, 3 * 1024 + 4, F.piece, 4), ST_INVALID_FIELD);
	/* Zero bytes asked: nothing to do. */
	assert_int_equal(kt_disc_log_read(&F.c, 0, NULL, 0), 0);
}

static void test_genctr(void **state UNUSED)
{
	uint8_t h[16];

	assert_int_equal(kt_disc_log_read(&F.c, 0, h, sizeof(h)), 0);
	assert_int_equal(get_le(h, 8), 0x0102030405060708ull);
	F.t.genctr++;
	assert_int_equal(kt_disc_log_read(&F.c, 0, h, sizeof(h)), 0);
	assert_int_equal(get_le(h, 8), 0x0102030405060709ull);
	/* A read of the GENCTR bytes alone, at an odd start. */
	F.t.genctr = 0xa1b2c3d4e5f60718ull;
	assert_int_equal(kt_disc_log_read(&F.c, 3, h, 3), 0);
	assert_int_equal(h[0], 0xe5);
	assert_int_equal(h[1], 0xd4);
	assert_int_equal(h[2], 0xc3);
}

static void test_well_known_nqn_and_no_port(void **state UNUSED)
{
	/* With the well-known NQN as the target's discovery NQN, the current
	 * discovery entry carries it. */
	strcpy(F.t.disc_nqn, KT_WELL_KNOWN_DISC_NQN);
	assert_int_equal(kt_disc_log_read(&F.c, 0, F.page, 2048), 0);
	assert_entry(F.page + 1024, 2, 3, 0, 0x0302, 2, "8009", KT_WELL_KNOWN_DISC_NQN, "fe80::1");

	/* A controller without a port has no "current" entry. */
	F.c.port = NULL;
	assert_int_equal(kt_disc_log_read(&F.c, 0, F.page, 2048), 0);
	assert_header(F.page, F.t.genctr, 3);
	assert_entry(F.page + 1024, 1, 2, 2, 1, 0, "4420", NQN_A, "192.168.1.10");
}

static void test_long_fields(void **state UNUSED)
{
	/* Fields filled to the last byte: no terminator to write, no overflow. */
	memset(F.ports[1].traddr, 'x', NVMF_TRADDR_SIZE);
	F.ports[1].traddr[NVMF_TRADDR_SIZE] = '\0';
	memset(F.ports[1].trsvcid, '9', NVMF_TRSVCID_SIZE);
	F.ports[1].trsvcid[NVMF_TRSVCID_SIZE] = '\0';
	memset(F.t.disc_nqn, 'n', KT_NQN_MAX);
	F.t.disc_nqn[KT_NQN_MAX] = '\0';

	assert_int_equal(kt_disc_log_read(&F.c, 1024, F.page, 1024), 0);
	assert_bytes(F.page + 32, 32, '9');
	assert_bytes(F.page + 256, KT_NQN_MAX, 'n');
	assert_bytes(F.page + 256 + KT_NQN_MAX, 256 - KT_NQN_MAX, 0);
	assert_bytes(F.page + 512, 256, 'x');
	assert_int_equal(F.page[768], 0);
}

/* Ports bound to a wildcard address are listed with the local address of
 * the controller's connection; concrete addresses stay as configured. */
static void test_wildcard_ports(void **state UNUSED)
{
	strcpy(F.ports[0].traddr, "0.0.0.0");    /* IPv4 wildcard: A and B */
	strcpy(F.ports[1].traddr, "::");         /* IPv6 wildcard: the controller's port */
	/* Port 3 keeps 10.0.0.3. Connection over IPv4 127.0.0.1: */
	kt_ctrl_set_local_addr(&F.c, NVMF_ADDR_FAMILY_IP4, "127.0.0.1");
	memset(F.page, 0xee, sizeof(F.page));
	assert_int_equal(kt_disc_log_read(&F.c, 0, F.page, 5 * 1024), 0);
	assert_header(F.page, 0x0102030405060708ull, 4);
	/* A dual-stack "::" port reached over IPv4: listed as IPv4. */
	assert_entry(F.page + 1024, 1, 3, 0, 0x0302, 2, "8009", NQN_DISC, "127.0.0.1");
	assert_entry(F.page + 2048, 1, 2, 2, 1, 0, "4420", NQN_A, "127.0.0.1");
	assert_entry(F.page + 3072, 1, 2, 2, 1, 0, "4420", NQN_B, "127.0.0.1");
	assert_entry(F.page + 4096, 1, 2, 1, 3, 0, "4421", NQN_B, "10.0.0.3");

	/* Over IPv6: the IPv6 wildcard takes it, the IPv4 wildcard cannot. */
	kt_ctrl_set_local_addr(&F.c, NVMF_ADDR_FAMILY_IP6, "fd00::7");
	assert_int_equal(kt_disc_log_read(&F.c, 0, F.page, 5 * 1024), 0);
	assert_entry(F.page + 1024, 2, 3, 0, 0x0302, 2, "8009", NQN_DISC, "fd00::7");
	assert_entry(F.page + 2048, 1, 2, 2, 1, 0, "4420", NQN_A, "0.0.0.0");
	assert_entry(F.page + 4096, 1, 2, 1, 3, 0, "4421", NQN_B, "10.0.0.3");

	/* Other spellings of the wildcard; unknown local address: as configured. */
	strcpy(F.ports[1].traddr, "0:0::0");
	assert_int_equal(kt_disc_log_read(&F.c, 1024, F.page, 1024), 0);
	assert_field(F.page + 512, 256, "fd00::7", ' ');
	kt_ctrl_set_local_addr(&F.c, 0, NULL);
	assert_int_equal(kt_disc_log_read(&F.c, 1024, F.page, 2048), 0);
	assert_entry(F.page, 2, 3, 0, 0x0302, 2, "8009", NQN_DISC, "0:0::0");
	assert_entry(F.page + 1024, 1, 2, 2, 1, 0, "4420", NQN_A, "0.0.0.0");

	/* Not a wildcard: 0.0.0.1, or an address of the other family. */
	kt_ctrl_set_local_addr(&F.c, NVMF_ADDR_FAMILY_IP4, "127.0.0.1");
	strcpy(F.ports[0].traddr, "0.0.0.1");
	F.ports[1].adrfam = NVMF_ADDR_FAMILY_IP4;
	strcpy(F.ports[1].traddr, "::");
	assert_int_equal(kt_disc_log_read(&F.c, 1024, F.page, 2048), 0);
	assert_entry(F.page, 1, 3, 0, 0x0302, 2, "8009", NQN_DISC, "::");
	assert_entry(F.page + 1024, 1, 2, 2, 1, 0, "4420", NQN_A, "0.0.0.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_allowed_host, setup),
		cmocka_unit_test_setup(test_other_host, setup),
		cmocka_unit_test_setup(test_tls_not_required, setup),
		cmocka_unit_test_setup(test_pieces_at_odd_offsets, setup),
		cmocka_unit_test_setup(test_offsets_at_and_past_end, setup),
		cmocka_unit_test_setup(test_genctr, setup),
		cmocka_unit_test_setup(test_well_known_nqn_and_no_port, setup),
		cmocka_unit_test_setup(test_long_fields, setup),
		cmocka_unit_test_setup(test_wildcard_ports, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fuzz_auth_msg.c - libFuzzer harness for the DH-HMAC-CHAP message parsers
 * (proto/auth_msg.c). It exists to show that no byte string makes a parser
 * read outside its buffer or hand back a pointer or length that leaves it,
 * and that whatever parses can be built again into the same bytes.
 *
 * Input layout (seeds in tests/fuzz/corpus/fuzz_auth_msg/):
 *   byte 0  negotiated hash id (low 2 bits: 0..3, 0 is no hash)
 *   byte 1  negotiated DH group id (modulo 7: 0..5 known, 6 unknown)
 *   the rest: one message, copied to a buffer of exactly its length so that
 *   AddressSanitizer sees any read past it.
 *
 * Every parser gets the message. Build: cmake -DKATO_FUZZ=ON with clang, or
 *   clang -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_auth_msg.c \
 *         proto/auth_msg.c proto/dhchap.c proto/dhchap_key.c -lcrypto -lisal
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/auth_msg.h"
#include "proto/dhchap.h"

static uint32_t sink;

/* A pointer the parser returned must cover n bytes inside [b, b + len). */
static void inside(const uint8_t *b, size_t len, const uint8_t *p, size_t n)
{
	if (!p)
		return;
	if (p < b || (size_t)(p - b) > len || n > len - (size_t)(p - b))
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		sink += p[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t hashes[] = { 3, 2, 1 }, groups[] = { 5, 4, 3, 2, 1, 0 };
	struct kt_auth_negotiate n;
	struct kt_auth_reply r;
	struct kt_auth_challenge c;
	struct kt_auth_success1 s1;
	struct kt_auth_failure_msg f;
	uint8_t hash, dhgid, type, id, h, g, *b, out[16 + 64 + 1024];
	uint16_t tid;
	size_t len;

	if (size < 2)
		return 0;
	hash = data[0] & 3;
	dhgid = data[1] % 7;
	len = size - 2;
	b = malloc(len ? len : 1);
	if (!b)
		return 0;
	memcpy(b, data + 2, len);

	(void)kt_auth_msg_peek(b, len, &type, &id, &tid);

	if (kt_auth_negotiate_parse(b, len, &n) == 0) {
		if (n.nhash == 0 || n.nhash > KT_AUTH_IDLIST_MAX || n.ndh == 0 ||
		    n.ndh > KT_AUTH_IDLIST_MAX || n.sc_c > 3)
			__builtin_trap();
		if (kt_auth_negotiate_select(&n, hashes, 3, groups, 6, &h, &g) == 0 &&
		    (!kt_dhchap_hash_len(h) || !kt_dhchap_dhgroup_known(g)))
			__builtin_trap();
	}

	if (kt_auth_reply_parse(b, len, hash, dhgid, &r) == 0) {
		if (r.hl != kt_dhchap_hash_len(hash) || r.dhvlen != kt_dhchap_dh_len(dhgid) ||
		    len != 16 + 2u * r.hl + r.dhvlen)
			__builtin_trap();
		inside(b, len, r.rval, r.hl);
		inside(b, len, r.c2, r.hl);
		inside(b, len, r.dhv, r.dhvlen);
	}

	if (kt_auth_success2_parse(b, len, &tid) == 0 && len != 16)
		__builtin_trap();
	if (kt_auth_failure_parse(b, len, &f) == 0 && len != 8)
		__builtin_trap();

	/* what a host parses: and what parses must build back the same */
	if (kt_auth_challenge_parse(b, len, &c) == 0) {
		int m;

		inside(b, len, c.c1, c.hl);
		inside(b, len, c.dhv, c.dhvlen);
		m = kt_auth_challenge_build(out, sizeof(out), c.tid, c.hash_id, c.seqnum, c.c1,
					    c.dhgid, c.dhv, c.dhvlen);
		if (m < 0 || (size_t)m > len || memcmp(out, b, (size_t)m) != 0)
			__builtin_trap();
	}
	if (kt_auth_success1_parse(b, len, hash, &s1) == 0) {
		int m;

		inside(b, len, s1.rval, s1.rvalid ? s1.hl : 0);
		m = kt_auth_success1_build(out, sizeof(out), s1.tid, hash, s1.rval);
		if (m < 0 || (size_t)m > len || memcmp(out, b, (size_t)m) != 0)
			__builtin_trap();
	}
	free(b);
	return 0;
}

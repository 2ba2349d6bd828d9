/*
 * auth_msg.c - parsers and builders of the DH-HMAC-CHAP messages (layouts
 * in proto/auth_msg.h). Every length, count and offset is checked against
 * the buffer before the bytes it covers are read; reserved fields must be
 * zero. Parsers hand back pointers into the caller's buffer for the
 * variable parts, so they copy no secret.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "proto/auth_msg.h"
#include "proto/dhchap.h"

#define HDR_LEN 6 /* auth_type, auth_id, reserved, t_id */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

uint8_t kt_auth_msg_peek(const void *buf, size_t len, uint8_t *type, uint8_t *id, uint16_t *tid)
{
	const uint8_t *b = buf;

	if (!buf || len < HDR_LEN)
		return KT_AUTH_INCORRECT_PAYLOAD;
	*type = b[0];
	*id = b[1];
	*tid = get16(b + 4);
	return KT_AUTH_OK;
}

/* The common checks: a header of this type and id whose reserved bytes 2-3
 * are zero, and at least min bytes. */
static uint8_t check_hdr(const uint8_t *b, size_t len, uint8_t type, uint8_t id, size_t min)
{
	if (!b || len < HDR_LEN)
		return KT_AUTH_INCORRECT_PAYLOAD;
	if (b[0] != type || b[1] != id)
		return KT_AUTH_INCORRECT_MESSAGE;
	if (len < min || b[2] || b[3])
		return KT_AUTH_INCORRECT_PAYLOAD;
	return KT_AUTH_OK;
}

uint8_t kt_auth_negotiate_parse(const void *buf, size_t len, struct kt_auth_negotiate *n)
{
	const size_t dsz = sizeof(struct kt_auth_dhchap_protocol_descriptor);
	const uint8_t *b = buf, *d = NULL;
	uint8_t rc, napd;

	memset(n, 0, sizeof(*n));
	rc = check_hdr(b, len, KT_AUTH_COMMON, KT_AUTH_NEGOTIATE,
		       sizeof(struct kt_auth_dhchap_negotiate_data));
	if (rc)
		return rc;
	n->tid = get16(b + 4);
	n->sc_c = b[6];
	napd = b[7];
	if (len != sizeof(struct kt_auth_dhchap_negotiate_data) + (size_t)napd * dsz)
		return KT_AUTH_INCORRECT_PAYLOAD;
	if (n->sc_c > KT_AUTH_SC_REPLACETLSPSK)
		return KT_AUTH_CONCAT_MISMATCH;
	for (unsigned i = 0; i < napd; i++) {
		const uint8_t *p = b + sizeof(struct kt_auth_dhchap_negotiate_data) + i * dsz;

		if (p[0] == KT_AUTH_AUTHID_DHCHAP) {
			d = p;
			break;
		}
	}
	if (!d)
		return KT_AUTH_PROTOCOL_UNUSABLE;
	if (d[1] || d[2] > KT_AUTH_IDLIST_MAX || d[3] > KT_AUTH_IDLIST_MAX)
		return KT_AUTH_INCORRECT_PAYLOAD;
	if (d[2] == 0)
		return KT_AUTH_HASH_UNUSABLE;
	if (d[3] == 0)
		return KT_AUTH_DHGROUP_UNUSABLE;
	n->nhash = d[2];
	n->ndh = d[3];
	memcpy(n->hash, d + 4, n->nhash);
	memcpy(n->dh, d + 4 + KT_AUTH_IDLIST_MAX, n->ndh);
	return KT_AUTH_OK;
}

static bool offered(const uint8_t *list, size_t n, uint8_t id)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == id)
			return true;
	return false;
}

uint8_t kt_auth_negotiate_select(const struct kt_auth_negotiate *n, const uint8_t *hashes,
				 size_t nhashes, const uint8_t *dhgroups, size_t ndhgroups,
				 uint8_t *hash_id, uint8_t *dhgid)
{
	size_t i;

	for (i = 0; i < nhashes; i++)
		if (kt_dhchap_hash_len(hashes[i]) && offered(n->hash, n->nhash, hashes[i]))
			break;
	if (i == nhashes)
		return KT_AUTH_HASH_UNUSABLE;
	*hash_id = hashes[i];
	for (i = 0; i < ndhgroups; i++)
		if (kt_dhchap_dhgroup_known(dhgroups[i]) && offered(n->dh, n->ndh, dhgroups[i]))
			break;
	if (i == ndhgroups)
		return KT_AUTH_DHGROUP_UNUSABLE;
	*dhgid = dhgroups[i];
	return KT_AUTH_OK;
}

uint8_t kt_auth_reply_parse(const void *buf, size_t len, uint8_t hash_id, uint8_t dhgid,
			    struct kt_auth_reply *r)
{
	const uint8_t *b = buf;
	size_t hl = kt_dhchap_hash_len(hash_id);
	uint8_t rc;

	memset(r, 0, sizeof(*r));
	rc = check_hdr(b, len, KT_AUTH_DHCHAP, KT_AUTH_REPLY,
		       sizeof(struct kt_auth_dhchap_reply_data));
	if (rc)
		return rc;
	if (!hl || !kt_dhchap_dhgroup_known(dhgid))
		return KT_AUTH_FAILED; /* the caller's state is wrong, not the message */
	r->tid = get16(b + 4);
	r->hl = b[6];
	r->dhvlen = get16(b + 10);
	r->seqnum = get32(b + 12);
	if (b[7] || b[9] || b[8] > 1)
		return KT_AUTH_INCORRECT_PAYLOAD;
	r->cvalid = b[8];
	if (r->hl != hl || r->dhvlen != kt_dhchap_dh_len(dhgid))
		return KT_AUTH_INCORRECT_PAYLOAD;
	if (len != sizeof(struct kt_auth_dhchap_reply_data) + 2 * hl + r->dhvlen)
		return KT_AUTH_INCORRECT_PAYLOAD;
	r->rval = b + 16;
	r->c2 = r->cvalid ? b + 16 + hl : NULL;
	r->dhv = r->dhvlen ? b + 16 + 2 * hl : NULL;
	return KT_AUTH_OK;
}

uint8_t kt_auth_success2_parse(const void *buf, size_t len, uint16_t *tid)
{
	const uint8_t *b = buf;
	uint8_t rc;

	rc = check_hdr(b, len, KT_AUTH_DHCHAP, KT_AUTH_SUCCESS2,
		       sizeof(struct kt_auth_dhchap_success2_data));
	if (rc)
		return rc;
	if (len != sizeof(struct kt_auth_dhchap_success2_data) || !all_zero(b + 6, 10))
		return KT_AUTH_INCORRECT_PAYLOAD;
	*tid = get16(b + 4);
	return KT_AUTH_OK;
}

uint8_t kt_auth_failure_parse(const void *buf, size_t len, struct kt_auth_failure_msg *f)
{
	const uint8_t *b = buf;

	memset(f, 0, sizeof(*f));
	if (!b || len < HDR_LEN)
		return KT_AUTH_INCORRECT_PAYLOAD;
	if ((b[0] != KT_AUTH_COMMON && b[0] != KT_AUTH_DHCHAP) ||
	    (b[1] != KT_AUTH_FAILURE1 && b[1] != KT_AUTH_FAILURE2))
		return KT_AUTH_INCORRECT_MESSAGE;
	if (len != sizeof(struct kt_auth_dhchap_failure_data) || b[2] || b[3] ||
	    b[6] != KT_AUTH_FAILURE_REASON)
		return KT_AUTH_INCORRECT_PAYLOAD;
	f->auth_id = b[1];
	f->tid = get16(b + 4);
	f->rescode = b[6];
	f->rescode_exp = b[7];
	return KT_AUTH_OK;
}

uint8_t kt_auth_challenge_parse(const void *buf, size_t len, struct kt_auth_challenge *c)
{
	const uint8_t *b = buf;
	size_t hl;
	uint8_t rc;

	memset(c, 0, sizeof(*c));
	rc = check_hdr(b, len, KT_AUTH_DHCHAP, KT_AUTH_CHALLENGE,
		       sizeof(struct kt_auth_dhchap_challenge_data));
	if (rc)
		return rc;
	if (b[7])
		return KT_AUTH_INCORRECT_PAYLOAD;
	c->tid = get16(b + 4);
	c->hl = b[6];
	c->hash_id = b[8];
	c->dhgid = b[9];
	c->dhvlen = get16(b + 10);
	c->seqnum = get32(b + 12);
	hl = kt_dhchap_hash_len(c->hash_id);
	if (!hl)
		return KT_AUTH_HASH_UNUSABLE;
	if (!kt_dhchap_dhgroup_known(c->dhgid))
		return KT_AUTH_DHGROUP_UNUSABLE;
	if (c->hl != hl || c->dhvlen != kt_dhchap_dh_len(c->dhgid))
		return KT_AUTH_INCORRECT_PAYLOAD;
	if (len < sizeof(struct kt_auth_dhchap_challenge_data) + hl + c->dhvlen)
		return KT_AUTH_INCORRECT_PAYLOAD;
	c->c1 = b + 16;
	c->dhv = c->dhvlen ? b + 16 + hl : NULL;
	return KT_AUTH_OK;
}

uint8_t kt_auth_success1_parse(const void *buf, size_t len, uint8_t hash_id,
			       struct kt_auth_success1 *s)
{
	const uint8_t *b = buf;
	size_t hl = kt_dhchap_hash_len(hash_id);
	uint8_t rc;

	memset(s, 0, sizeof(*s));
	rc = check_hdr(b, len, KT_AUTH_DHCHAP, KT_AUTH_SUCCESS1,
		       sizeof(struct kt_auth_dhchap_success1_data));
	if (rc)
		return rc;
	if (!hl)
		return KT_AUTH_FAILED;
	if (b[7] || b[8] > 1 || !all_zero(b + 9, 7))
		return KT_AUTH_INCORRECT_PAYLOAD;
	s->tid = get16(b + 4);
	s->hl = b[6];
	s->rvalid = b[8];
	if (s->hl != hl)
		return KT_AUTH_INCORRECT_PAYLOAD;
	if (len < sizeof(struct kt_auth_dhchap_success1_data) + (s->rvalid ? hl : 0))
		return KT_AUTH_INCORRECT_PAYLOAD;
	s->rval = s->rvalid ? b + 16 : NULL;
	return KT_AUTH_OK;
}

/* ---- builders -------------------------------------------------------------- */

int kt_auth_challenge_build(void *buf, size_t cap, uint16_t tid, uint8_t hash_id,
			    uint32_t seqnum, const uint8_t *c1, uint8_t dhgid,
			    const uint8_t *dhv, size_t dhvlen)
{
	struct kt_auth_dhchap_challenge_data h;
	size_t hl = kt_dhchap_hash_len(hash_id), n;
	uint8_t *b = buf;

	if (!hl || !c1 || !kt_dhchap_dhgroup_known(dhgid) || dhvlen != kt_dhchap_dh_len(dhgid) ||
	    (dhvlen && !dhv))
		return -EINVAL;
	n = sizeof(h) + hl + dhvlen;
	if (!buf || cap < n)
		return -ENOSPC;
	memset(&h, 0, sizeof(h));
	h.auth_type = KT_AUTH_DHCHAP;
	h.auth_id = KT_AUTH_CHALLENGE;
	h.t_id = htole16(tid);
	h.hl = (uint8_t)hl;
	h.hashid = hash_id;
	h.dhgid = dhgid;
	h.dhvlen = htole16((uint16_t)dhvlen);
	h.seqnum = htole32(seqnum);
	memcpy(b, &h, sizeof(h));
	memcpy(b + sizeof(h), c1, hl);
	if (dhvlen)
		memcpy(b + sizeof(h) + hl, dhv, dhvlen);
	return (int)n;
}

int kt_auth_success1_build(void *buf, size_t cap, uint16_t tid, uint8_t hash_id,
			   const uint8_t *rval)
{
	struct kt_auth_dhchap_success1_data h;
	size_t hl = kt_dhchap_hash_len(hash_id), n;

	if (!hl)
		return -EINVAL;
	n = sizeof(h) + (rval ? hl : 0);
	if (!buf || cap < n)
		return -ENOSPC;
	memset(&h, 0, sizeof(h));
	h.auth_type = KT_AUTH_DHCHAP;
	h.auth_id = KT_AUTH_SUCCESS1;
	h.t_id = htole16(tid);
	h.hl = (uint8_t)hl;
	h.rvalid = rval ? 1 : 0;
	memcpy(buf, &h, sizeof(h));
	if (rval)
		memcpy((uint8_t *)buf + sizeof(h), rval, hl);
	return (int)n;
}

static int failure_build(void *buf, size_t cap, uint8_t auth_id, uint16_t tid, uint8_t rescode_exp)
{
	struct kt_auth_dhchap_failure_data h;

	if (rescode_exp < KT_AUTH_FAILED || rescode_exp > KT_AUTH_INCORRECT_MESSAGE)
		return -EINVAL;
	if (!buf || cap < sizeof(h))
		return -ENOSPC;
	memset(&h, 0, sizeof(h));
	h.auth_type = KT_AUTH_COMMON;
	h.auth_id = auth_id;
	h.t_id = htole16(tid);
	h.rescode = KT_AUTH_FAILURE_REASON;
	h.rescode_exp = rescode_exp;
	memcpy(buf, &h, sizeof(h));
	return (int)sizeof(h);
}

int kt_auth_failure1_build(void *buf, size_t cap, uint16_t tid, uint8_t rescode_exp)
{
	return failure_build(buf, cap, KT_AUTH_FAILURE1, tid, rescode_exp);
}

int kt_auth_failure2_build(void *buf, size_t cap, uint16_t tid, uint8_t rescode_exp)
{
	return failure_build(buf, cap, KT_AUTH_FAILURE2, tid, rescode_exp);
}

/*
 * host_auth.c - the host side of DH-HMAC-CHAP for the test initiator, as a
 * userspace host would do it (the messages the Linux host's
 * drivers/nvme/host/auth.c sends, in its order). The computations are
 * proto's (kt_dhchap_host_response, kt_dhchap_ctrl_response, the FFDHE
 * pair); the messages the host sends are built here from their wire
 * layouts (proto/auth_msg.h builds only the controller's), and what the
 * controller sends is read with proto's controller-message parsers, which
 * check lengths and fields.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "proto/auth_msg.h"
#include "proto/dhchap.h"
#include "proto/dhchap_key.h"
#include "proto/model.h"
#include "proto/tls_psk.h"
#include "tests/host/host.h"

#define AUTH_BUF 4096 /* the Linux host's CHAP_BUF_SIZE: every Receive asks for this */

static int auth_cmd(struct kh_host *h, uint8_t fctype, uint8_t secp, uint8_t spsp0, uint8_t spsp1,
		    uint32_t len_field, void *buf, uint32_t len, enum kh_dir dir, struct kt_cqe *cqe)
{
	struct kt_fabrics_auth_cmd c;

	memset(&c, 0, sizeof(c));
	c.opcode = KT_OPC_FABRICS;
	c.fctype = fctype;
	c.secp = secp;
	c.spsp0 = spsp0;
	c.spsp1 = spsp1;
	c.len = htole32(len_field);
	return kh_admin(h, (struct kt_sqe *)&c, buf, len, len ? dir : KH_NONE, cqe);
}

int kh_auth_send_raw(struct kh_host *h, uint8_t secp, uint8_t spsp0, uint8_t spsp1, uint32_t tl,
		     const void *buf, uint32_t len, struct kt_cqe *cqe)
{
	return auth_cmd(h, nvme_fabrics_type_auth_send, secp, spsp0, spsp1, tl, (void *)buf, len, KH_H2C,
			cqe);
}

int kh_auth_recv_raw(struct kh_host *h, uint8_t secp, uint8_t spsp0, uint8_t spsp1, uint32_t al,
		     void *buf, uint32_t len, struct kt_cqe *cqe)
{
	return auth_cmd(h, nvme_fabrics_type_auth_receive, secp, spsp0, spsp1, al, buf, len, KH_C2H, cqe);
}

static int send_msg(struct kh_host *h, const void *buf, uint32_t len)
{
	return kh_auth_send_raw(h, KT_AUTH_SECP_DHCHAP, KT_AUTH_SPSP, KT_AUTH_SPSP, len, buf, len, NULL);
}

static int recv_msg(struct kh_host *h, void *buf)
{
	return kh_auth_recv_raw(h, KT_AUTH_SECP_DHCHAP, KT_AUTH_SPSP, KT_AUTH_SPSP, AUTH_BUF, buf, AUTH_BUF,
				NULL);
}

size_t kh_auth_negotiate_msg(uint8_t *buf, uint16_t tid, uint8_t hash_id, int dhgid)
{
	struct kt_auth_dhchap_negotiate_data n;
	struct kt_auth_dhchap_protocol_descriptor d;

	memset(&n, 0, sizeof(n));
	memset(&d, 0, sizeof(d));
	n.auth_type = KT_AUTH_COMMON;
	n.auth_id = KT_AUTH_NEGOTIATE;
	n.t_id = htole16(tid);
	n.sc_c = KT_AUTH_SC_NONE;
	n.napd = 1;
	d.authid = KT_AUTH_AUTHID_DHCHAP;
	if (hash_id) {
		d.halen = 1;
		d.idlist[0] = hash_id;
	} else {
		d.halen = 3;
		d.idlist[0] = KT_DHCHAP_SHA256;
		d.idlist[1] = KT_DHCHAP_SHA384;
		d.idlist[2] = KT_DHCHAP_SHA512;
	}
	if (dhgid >= 0) {
		d.dhlen = 1;
		d.idlist[KT_AUTH_IDLIST_MAX] = (uint8_t)dhgid;
	} else {
		d.dhlen = 6;
		for (unsigned i = 0; i < 6; i++)
			d.idlist[KT_AUTH_IDLIST_MAX + i] = (uint8_t)i;
	}
	memcpy(buf, &n, sizeof(n));
	memcpy(buf + sizeof(n), &d, sizeof(d));
	return sizeof(n) + sizeof(d);
}

/* A Failure1 where another message was expected: -EACCES with its reason. */
static int failure1(const uint8_t *buf, struct kh_auth_info *info)
{
	struct kt_auth_failure_msg f;

	if (buf[1] != KT_AUTH_FAILURE1)
		return 0;
	/* the host-message parser wants the exact length; the controller
	 * zero-fills the rest of the AL */
	if (kt_auth_failure_parse(buf, sizeof(struct kt_auth_dhchap_failure_data), &f))
		return -EPROTO;
	if (info)
		info->failure_reason = f.rescode_exp;
	return -EACCES;
}

int kh_auth(struct kh_host *h, const struct kh_auth_opts *o, struct kh_auth_info *info)
{
	const struct kh_opts *ho = kh_opts_of(h);
	const char *hostnqn = ho->hostnqn ? ho->hostnqn : KH_DEFAULT_HOSTNQN;
	const char *subnqn = ho->subnqn ? ho->subnqn : KT_WELL_KNOWN_DISC_NQN;
	struct kt_dhchap_key *key = NULL, *ckey = NULL;
	struct kt_dhchap_dh *dh = NULL;
	struct kt_auth_challenge ch;
	struct kt_auth_success1 s1;
	uint8_t *buf = calloc(1, AUTH_BUF);
	uint8_t c2[KT_DHCHAP_HASH_MAX], r1[KT_DHCHAP_HASH_MAX], r2[KT_DHCHAP_HASH_MAX];
	uint8_t pub[KT_DHCHAP_DH_MAX], skey[KT_DHCHAP_DH_MAX];
	uint16_t tid = o->tid ? o->tid : 1;
	uint32_t s2 = o->seqnum ? o->seqnum : 0x1234;
	size_t dhlen = 0;
	int rc;

	if (info)
		memset(info, 0, sizeof(*info));
	if (!buf)
		return -ENOMEM;
	if (kt_dhchap_key_parse(o->key, &key, NULL) < 0 ||
	    (o->ctrl_key && kt_dhchap_key_parse(o->ctrl_key, &ckey, NULL) < 0)) {
		rc = -EINVAL;
		goto out;
	}

	/* Negotiate, then the Challenge */
	size_t n = kh_auth_negotiate_msg(buf, tid, o->hash_id, o->dhgid);
	buf[offsetof(struct kt_auth_dhchap_negotiate_data, sc_c)] = o->sc_c;
	if ((rc = send_msg(h, buf, (uint32_t)n)))
		goto out;
	memset(buf, 0, AUTH_BUF);
	if ((rc = recv_msg(h, buf)))
		goto out;
	if ((rc = failure1(buf, info)))
		goto out;
	if (kt_auth_challenge_parse(buf, AUTH_BUF, &ch) || ch.tid != tid) {
		rc = -EPROTO;
		goto out;
	}
	if (info) {
		info->hash_id = ch.hash_id;
		info->dhgid = ch.dhgid;
	}
	uint8_t hlen = ch.hl;
	uint8_t c1[KT_DHCHAP_HASH_MAX]; /* ch points into buf, which the Reply reuses */
	if (hlen > sizeof(c1)) {
		rc = -EPROTO;
		goto out;
	}
	memcpy(c1, ch.c1, hlen);

	/* our DH half and Ks */
	if (ch.dhgid != KT_DHCHAP_DH_NULL) {
		dhlen = kt_dhchap_dh_len(ch.dhgid);
		if (!dhlen || ch.dhvlen != dhlen ||
		    kt_dhchap_dh_generate(ch.dhgid, kt_dhchap_rand_bytes, NULL, &dh, pub, dhlen) < 0 ||
		    kt_dhchap_dh_shared(dh, ch.dhv, ch.dhvlen, skey, dhlen) < 0) {
			rc = -EPROTO;
			goto out;
		}
	}
	struct kt_dhchap_resp_in in = {
		.hash_id = ch.hash_id, .challenge = ch.c1, .seqnum = ch.seqnum, .tid = tid, .sc_c = o->sc_c,
		.hostnqn = hostnqn, .subnqn = subnqn, .skey = dhlen ? skey : NULL, .skey_len = dhlen,
	};
	if (kt_dhchap_host_response(key, &in, r1) < 0) {
		rc = -EIO;
		goto out;
	}
	bool send_c2 = ckey || o->sc_c; /* with SC_C, C2 feeds the PSK */
	if (send_c2 && kt_dhchap_rand_bytes(NULL, c2, hlen) < 0) {
		rc = -EIO;
		goto out;
	}

	/* the Reply: R1, C2 (zero without a controller key), our DH value */
	struct kt_auth_dhchap_reply_data rp;
	memset(&rp, 0, sizeof(rp));
	rp.auth_type = KT_AUTH_DHCHAP;
	rp.auth_id = KT_AUTH_REPLY;
	rp.t_id = htole16(tid);
	rp.hl = hlen;
	rp.cvalid = send_c2 ? 1 : 0;
	rp.dhvlen = htole16((uint16_t)dhlen);
	rp.seqnum = htole32(ckey ? s2 : 0);
	memset(buf, 0, AUTH_BUF);
	memcpy(buf, &rp, sizeof(rp));
	memcpy(buf + sizeof(rp), r1, hlen);
	if (send_c2)
		memcpy(buf + sizeof(rp) + hlen, c2, hlen);
	if (dhlen)
		memcpy(buf + sizeof(rp) + 2 * hlen, pub, dhlen);
	if ((rc = send_msg(h, buf, (uint32_t)(sizeof(rp) + 2 * hlen + dhlen))))
		goto out;

	/* Success1 (or Failure1) */
	memset(buf, 0, AUTH_BUF);
	if ((rc = recv_msg(h, buf)))
		goto out;
	if ((rc = failure1(buf, info)))
		goto out;
	if (kt_auth_success1_parse(buf, AUTH_BUF, ch.hash_id, &s1) || s1.tid != tid) {
		rc = -EPROTO;
		goto out;
	}
	if (!ckey)
		goto psk; /* unidirectional: no Success2 (the Linux host sends none) */

	in.challenge = c2;
	in.seqnum = s2;
	if (!s1.rvalid || kt_dhchap_ctrl_response(ckey, &in, r2) < 0 ||
	    CRYPTO_memcmp(r2, s1.rval, hlen) != 0) {
		uint8_t f[sizeof(struct kt_auth_dhchap_failure_data)];
		int flen = kt_auth_failure2_build(f, sizeof(f), tid, KT_AUTH_FAILED);
		if (flen > 0)
			send_msg(h, f, (uint32_t)flen);
		rc = -EKEYREJECTED;
		goto out;
	}
	if (info)
		info->r2_checked = true;
	struct kt_auth_dhchap_success2_data ok;
	memset(&ok, 0, sizeof(ok));
	ok.auth_type = KT_AUTH_DHCHAP;
	ok.auth_id = KT_AUTH_SUCCESS2;
	ok.t_id = htole16(tid);
	if ((rc = send_msg(h, &ok, sizeof(ok))))
		goto out;
psk:
	/* secure concatenation: the generated PSK, as the Linux host's
	 * nvme_auth_secure_concat */
	if (o->sc_c && info) {
		if (!dhlen || kt_tls_generated_psk((enum kt_tls_hash)ch.hash_id, skey, dhlen, c1, c2,
						   info->gen_psk) < 0)
			rc = -EIO;
		else
			info->gen_len = hlen;
	}
out:
	kt_dhchap_dh_free(dh);
	kt_dhchap_key_free(key);
	kt_dhchap_key_free(ckey);
	OPENSSL_cleanse(skey, sizeof(skey));
	OPENSSL_cleanse(c2, sizeof(c2));
	free(buf);
	return rc;
}

#!/usr/bin/env python3
"""
dhchap_vectors.py - the expected values of tests/unit/test_dhchap_key.c,
test_dhchap.c and test_auth_msg.c, computed without kato's C code:
hashlib/hmac/base64/zlib from Python's standard library, and the
`cryptography` package for Diffie-Hellman. The RFC 7919 ffdhe primes are
built here from the RFC's own formula
    p = 2^b - 2^(b-64) + (floor(2^(b-130) * e) + X) * 2^64 - 1
with e computed by integer series, so that neither the prime nor the
exchange comes from OpenSSL.

Run:  python3 tests/unit/vectors/dhchap_vectors.py
It prints every vector as a C string of hex, in the order and under the
names the tests use; paste what changed. Nothing here is secret: the keys,
challenges and private values are made-up constants.
"""
import base64
import hashlib
import hmac
import zlib

from cryptography.hazmat.primitives.asymmetric import dh

HASH = {1: hashlib.sha256, 2: hashlib.sha384, 3: hashlib.sha512}
HLEN = {1: 32, 2: 48, 3: 64}

HOSTNQN = b"nqn.2014-08.org.nvmexpress:uuid:6c1e3d4a-8f2b-4d1e-9a7c-2b5e8f0a1c3d"
SUBNQN = b"nqn.2026-11.io.kato:auth-test"

# ---- RFC 7919 groups ----------------------------------------------------


def e_fixed(bits):
    """floor(e * 2^bits), from sum 1/k! with 64 guard bits."""
    guard = 64
    one = 1 << (bits + guard)
    total, term, k = 0, one, 0
    while term:
        total += term
        k += 1
        term //= k
    return total >> guard


FFDHE = {1: (2048, 560316), 2: (3072, 2625351), 3: (4096, 5736041),
         4: (6144, 15705020), 5: (8192, 10965728)}
PRIVBYTES = {1: 28, 2: 32, 3: 38, 4: 44, 5: 50}  # 2 * security strength bits / 8


def ffdhe_prime(gid):
    b, x = FFDHE[gid]
    return (1 << b) - (1 << (b - 64)) + ((e_fixed(b - 130) + x) << 64) - 1


# the RFC prints ffdhe2048 starting FFFFFFFF FFFFFFFF ADF85458 A2BB4A9A
# and ending 61285C97 FFFFFFFF FFFFFFFF
_p = ffdhe_prime(1).to_bytes(256, "big")
assert _p[:16].hex() == "ffffffffffffffffadf85458a2bb4a9a", _p[:16].hex()
assert _p[-12:].hex() == "61285c97ffffffffffffffff", _p[-12:].hex()


def le32(v):
    return v.to_bytes(4, "little")


def le16(v):
    return v.to_bytes(2, "little")

# ---- secrets in DHHC-1 form, as nvme gen-dhchap-key writes them ----------


def gen_dhchap_key(secret, hmac_id, nqn):
    """nvme-cli gen-dhchap-key: libnvme's nvme_gen_dhchap_key turns the
    secret into HMAC(secret, NQN || "NVMe-over-Fabrics") when --hmac is
    1..3 (a copy for 0), then CRC-32 (zlib) little-endian, base64."""
    if hmac_id == 0:
        key = secret
    else:
        key = hmac.new(secret, nqn + b"NVMe-over-Fabrics", HASH[hmac_id]).digest()
    crc = zlib.crc32(key) & 0xffffffff
    return key, "DHHC-1:%02x:%s:" % (hmac_id, base64.b64encode(key + le32(crc)).decode())


def transform(key, hh, nqn):
    if hh == 0:
        return key
    return hmac.new(key, nqn + b"NVMe-over-Fabrics", HASH[hh]).digest()


def augmented(hash_id, skey, c):
    if skey is None:
        return c
    return hmac.new(HASH[hash_id](skey).digest(), c, HASH[hash_id]).digest()


def host_response(hash_id, key, hh, c1, seq, tid, sc, skey=None):
    k = transform(key, hh, HOSTNQN)
    m = augmented(hash_id, skey, c1) + le32(seq) + le16(tid) + bytes([sc]) + b"HostHost" + \
        HOSTNQN + b"\0" + SUBNQN
    return hmac.new(k, m, HASH[hash_id]).digest()


def ctrl_response(hash_id, key, hh, c2, seq, tid, sc, skey=None):
    k = transform(key, hh, SUBNQN)
    m = augmented(hash_id, skey, c2) + le32(seq) + le16(tid) + bytes([sc]) + b"Controller" + \
        SUBNQN + b"\0" + HOSTNQN
    return hmac.new(k, m, HASH[hash_id]).digest()


def out(name, b):
    print('#define %s "%s"' % (name, b.hex()))


def outs(name, s):
    print('#define %s "%s"' % (name, s))


def main():
    print("/* ---- crc32 check value */")
    print("/* CRC32(\"123456789\") = %08x */" % zlib.crc32(b"123456789"))

    print("/* ---- DHHC-1 secrets (test_dhchap_key.c) */")
    secrets = {0: bytes(range(0x20, 0x40)), 1: bytes(range(0x40, 0x60)),
               2: bytes(range(0x60, 0x90)), 3: bytes(range(0x90, 0xd0))}
    for hh in range(4):
        key, s = gen_dhchap_key(secrets[hh], hh, HOSTNQN)
        outs("KEY%d_STR" % hh, s)
        out("KEY%d_BYTES" % hh, key)
        for h in (1, 2, 3):
            if hh == h or hh == 0:
                pass
        if hh:
            out("KEY%d_TRANSFORMED" % hh, transform(key, hh, HOSTNQN))
    # untransformed keys of 48 and 64 bytes
    for n in (48, 64):
        key = bytes((i * 7 + n) & 0xff for i in range(n))
        crc = zlib.crc32(key) & 0xffffffff
        outs("KEY0_%d_STR" % n, "DHHC-1:00:%s:" % base64.b64encode(key + le32(crc)).decode())
        out("KEY0_%d_BYTES" % n, key)
    # malformed: a 33-byte key with a good CRC; a 48-byte key under hh 01
    k33 = bytes(range(33))
    outs("BAD_LEN33_STR", "DHHC-1:00:%s:" % base64.b64encode(k33 + le32(zlib.crc32(k33))).decode())
    k48 = bytes(range(48))
    outs("BAD_HH1_LEN48_STR", "DHHC-1:01:%s:" % base64.b64encode(k48 + le32(zlib.crc32(k48))).decode())
    key, s = gen_dhchap_key(secrets[0], 0, HOSTNQN)
    raw = bytearray(key + le32(zlib.crc32(key)))
    raw[-1] ^= 0x01
    outs("BAD_CRC_STR", "DHHC-1:00:%s:" % base64.b64encode(bytes(raw)).decode())

    print("/* ---- transform of KEY0 (32 bytes) under each hash with SUBNQN */")
    k0 = secrets[0]
    for h in (1, 2, 3):
        out("XFORM_SHA%d" % {1: 256, 2: 384, 3: 512}[h],
            hmac.new(k0, SUBNQN + b"NVMe-over-Fabrics", HASH[h]).digest())

    print("/* ---- responses, null DH group (test_dhchap.c) */")
    hkey = {1: bytes(range(0x10, 0x30)), 2: bytes(range(0x30, 0x60)), 3: bytes(range(0x60, 0xa0))}
    ckey = {1: bytes(range(0xa0, 0xc0)), 2: bytes(range(0xb0, 0xe0)), 3: bytes(range(0x20, 0x60))}
    for h in (1, 2, 3):
        c1 = bytes((0x11 * i + h) & 0xff for i in range(HLEN[h]))
        c2 = bytes((0x3d * i + 5 * h) & 0xff for i in range(HLEN[h]))
        out("HKEY_%d" % h, hkey[h])
        out("CKEY_%d" % h, ckey[h])
        out("C1_%d" % h, c1)
        out("C2_%d" % h, c2)
        # keys transformed with their own hash (hh == h)
        out("HRESP_%d" % h, host_response(h, hkey[h], h, c1, 0x12345678, 0x0102, 0))
        out("CRESP_%d" % h, ctrl_response(h, ckey[h], h, c2, 0x9abcdef0, 0x0102, 0))
    # untransformed 32-byte key, SHA-512 negotiated, secure channel byte 2
    c1 = bytes((0x11 * i + 3) & 0xff for i in range(64))
    out("HRESP_HH0_SHA512_SC2", host_response(3, hkey[1], 0, c1, 1, 0xfffe, 2))
    # key transformed with SHA-256 (hh 1), SHA-384 negotiated
    c1 = bytes((0x11 * i + 2) & 0xff for i in range(48))
    out("HRESP_HH1_SHA384", host_response(2, hkey[1], 1, c1, 7, 9, 0))

    print("/* ---- ffdhe2048 exchange */")
    gid = 1
    p = ffdhe_prime(gid)
    plen = FFDHE[gid][0] // 8
    x_ctrl = bytes((0x5a + 3 * i) & 0xff for i in range(PRIVBYTES[gid]))
    x_host = bytes((0xc3 ^ (7 * i)) & 0xff for i in range(PRIVBYTES[gid]))
    params = dh.DHParameterNumbers(p, 2).parameters()
    pc = dh.DHPrivateNumbers(int.from_bytes(x_ctrl, "big"),
                             dh.DHPublicNumbers(pow(2, int.from_bytes(x_ctrl, "big"), p),
                                                dh.DHParameterNumbers(p, 2))).private_key()
    ph = dh.DHPrivateNumbers(int.from_bytes(x_host, "big"),
                             dh.DHPublicNumbers(pow(2, int.from_bytes(x_host, "big"), p),
                                                dh.DHParameterNumbers(p, 2))).private_key()
    assert params.parameter_numbers().p == p
    ctrl_pub = pc.public_key().public_numbers().y.to_bytes(plen, "big")
    host_pub = ph.public_key().public_numbers().y.to_bytes(plen, "big")
    s1 = pc.exchange(ph.public_key())
    s2 = ph.exchange(pc.public_key())
    assert s1 == s2 and len(s1) == plen
    assert int.from_bytes(s1, "big") == pow(int.from_bytes(host_pub, "big"),
                                            int.from_bytes(x_ctrl, "big"), p)
    out("DH_X_CTRL", x_ctrl)
    out("DH_X_HOST", x_host)
    out("DH_CTRL_PUB", ctrl_pub)
    out("DH_HOST_PUB", host_pub)
    out("DH_SKEY", s1)
    c1 = bytes((0x11 * i + 1) & 0xff for i in range(32))
    c2 = bytes((0x3d * i + 5) & 0xff for i in range(32))
    out("DH_AUG_C1", augmented(1, s1, c1))
    out("DH_HRESP", host_response(1, hkey[1], 1, c1, 0x12345678, 0x0102, 0, s1))
    out("DH_CRESP", ctrl_response(1, ckey[1], 1, c2, 0x9abcdef0, 0x0102, 0, s1))
    # the same exchange seen with SHA-512 augmenting
    c1_512 = bytes((0x11 * i + 3) & 0xff for i in range(64))
    out("DH_AUG_C1_SHA512", augmented(3, s1, c1_512))
    out("FFDHE2048_P", p.to_bytes(plen, "big"))

    print("/* ---- every other group: SHA-256(ctrl pub || host pub || Ks) */")
    for gid in (2, 3, 4, 5):
        p = ffdhe_prime(gid)
        plen = FFDHE[gid][0] // 8
        xc = bytes((0x21 + 5 * i + gid) & 0xff for i in range(PRIVBYTES[gid]))
        xh = bytes((0x99 ^ (11 * i + gid)) & 0xff for i in range(PRIVBYTES[gid]))
        pn = dh.DHParameterNumbers(p, 2)
        kc = dh.DHPrivateNumbers(int.from_bytes(xc, "big"),
                                 dh.DHPublicNumbers(pow(2, int.from_bytes(xc, "big"), p), pn)).private_key()
        kh = dh.DHPrivateNumbers(int.from_bytes(xh, "big"),
                                 dh.DHPublicNumbers(pow(2, int.from_bytes(xh, "big"), p), pn)).private_key()
        cp = kc.public_key().public_numbers().y.to_bytes(plen, "big")
        hp = kh.public_key().public_numbers().y.to_bytes(plen, "big")
        ks = kc.exchange(kh.public_key())
        assert ks == kh.exchange(kc.public_key()) and len(ks) == plen
        out("DH%d_X_CTRL" % gid, xc)
        out("DH%d_X_HOST" % gid, xh)
        out("DH%d_DIGEST" % gid, hashlib.sha256(cp + hp + ks).digest())


if __name__ == "__main__":
    main()

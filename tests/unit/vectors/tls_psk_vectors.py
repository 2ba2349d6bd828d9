#!/usr/bin/env python3
"""
tls_psk_vectors.py - computes the expected values of tests/unit/test_tls_psk.c
from the formulas alone, with Python's hashlib/hmac/base64/zlib and the
`cryptography` package's HKDF, so that the C code under test (proto/tls_psk.c)
is checked against an implementation it shares nothing with.

Run: python3 tests/unit/vectors/tls_psk_vectors.py > tests/unit/vectors/tls_psk_vectors.h
It first checks itself against the vectors libnvme publishes in its test/psk.c
(interchange strings and version-1 identities, both derivations) and RFC 5869's
test case 3, then prints the C arrays test_tls_psk.c includes.
"""
import base64
import hashlib
import hmac
import struct
import zlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

HASHES = {1: (hashlib.sha256, hashes.SHA256, 32), 2: (hashlib.sha384, hashes.SHA384, 48)}


def interchange(hh, psk):
    crc = zlib.crc32(psk) & 0xffffffff
    return "NVMeTLSkey-1:%02x:%s:" % (hh, base64.b64encode(psk + struct.pack("<I", crc)).decode())


def cipher_hash(hh, psk):
    return hh if hh else (1 if len(psk) == 32 else 2)


def hkdf(h, ikm, info, length):
    # HKDF-Extract with the default (all-zero) salt, then HKDF-Expand.
    return HKDF(algorithm=HASHES[h][1](), length=length, salt=None, info=info).derive(ikm)


def label_rfc(length, label, context):
    """RFC 8446 HkdfLabel: uint16 length (big endian), opaque label<7..255>
    = "tls13 " + label, opaque context<0..255>."""
    lab = b"tls13 " + label
    return struct.pack(">H", length) + bytes([len(lab)]) + lab + bytes([len(context)]) + context


def label_compat(length, label, context):
    """libnvme <= 1.15: uint16 length in host (little-endian) order, then
    "tls13 " + label and the context, no length bytes."""
    return struct.pack("<H", length) + b"tls13 " + label + context


def retained(variant, hh, psk, hostnqn):
    if hh == 0:
        return psk
    mk = label_rfc if variant == "rfc" else label_compat
    return hkdf(hh, psk, mk(len(psk), b"HostNQN", hostnqn), len(psk))


def digest(h, key, hostnqn, subnqn):
    mac = hmac.new(key, hostnqn + b" " + subnqn + b" NVMe-over-Fabrics", HASHES[h][0]).digest()
    return base64.b64encode(mac)


def tls_psk(variant, h, key, context):
    mk = label_rfc if variant == "rfc" else label_compat
    return hkdf(h, key, mk(len(key), b"nvme-tls-psk", context), len(key))


def derive(variant, version, hh, psk, hostnqn, subnqn):
    """-> (identity, retained PSK, TLS PSK) as libnvme derives them."""
    h = cipher_hash(hh, psk)
    r = retained(variant, hh, psk, hostnqn)
    if version == 0:
        ident = b"NVMe0R%02d %s %s" % (h, hostnqn, subnqn)
        ctx = ident
    else:
        d = digest(h, r, hostnqn, subnqn)
        ident = b"NVMe1R%02d %s %s %s" % (h, hostnqn, subnqn, d)
        ctx = b"%02d %s" % (h, d)
    return ident, r, tls_psk(variant, h, r, ctx)


def generated(h, skey, c1, c2, hostnqn, subnqn):
    """Secure concatenation (kernel nvme_auth_generate_psk, _generate_digest,
    _derive_tls_psk): generated PSK = HMAC(KS, C1 || C2); the TLS PSK always
    uses the RFC 8446 label with context "<hh> <digest>"."""
    gen = hmac.new(skey, c1 + c2, HASHES[h][0]).digest()
    d = digest(h, gen, hostnqn, subnqn)
    ident = b"NVMe1G%02d %s %s %s" % (h, hostnqn, subnqn, d)
    return gen, ident, tls_psk("rfc", h, gen, b"%02d %s" % (h, d))


# ---- self-check against libnvme's published vectors (test/psk.c) ----
LIBNVME_PSK32 = bytes.fromhex("5512DBB6737D0106F65975B773DFB011FFC344BCF442E2DD6D8BC4870B5D5B03")
LIBNVME_PSK48 = LIBNVME_PSK32 + bytes.fromhex("FFC344BCF442E2DD6D8BC4870B5D5B03")
assert interchange(0, LIBNVME_PSK32) == "NVMeTLSkey-1:00:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"
assert interchange(1, LIBNVME_PSK32) == "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"
assert interchange(2, LIBNVME_PSK48) == \
    "NVMeTLSkey-1:02:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwP/w0S89ELi3W2LxIcLXVsDn8kXZQ==:"
H, S = b"nqn.psk-test-host", b"nqn.psk-test-subsys"
assert derive("rfc", 1, 1, LIBNVME_PSK32, H, S)[0] == \
    H.join([b"NVMe1R01 ", b" " + S + b" iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU="])
assert derive("rfc", 1, 2, LIBNVME_PSK48, H, S)[0] == H.join([b"NVMe1R02 ", b" " + S +
    b" QhW2+Rp6RzHlNtCslyRxMnwJ11tKKhz8JCAQpQ+XUD8f9td1VeH5h53yz2wKJG1a"])
assert derive("compat", 1, 1, LIBNVME_PSK32, H, S)[0] == \
    H.join([b"NVMe1R01 ", b" " + S + b" 66GuqV08TsAGII39teWUfwQwizjv06Jy8jOcX3NAAzM="])
assert derive("compat", 1, 2, LIBNVME_PSK48, H, S)[0] == H.join([b"NVMe1R02 ", b" " + S +
    b" RsKmYJ3nAn1ApjjMloJFbAkLPivONDAX/xW327YBUsn2eGShXSjCZvBaOxscLqmz"])
# RFC 5869 test case 3 (zero-length salt and info) checks the HKDF used here
assert hkdf(1, bytes([0x0b] * 22), b"", 42).hex() == (
    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")


def c_bytes(name, b):
    hx = ", ".join("0x%02x" % x for x in b)
    lines, line = [], "\t"
    for tok in hx.split(", "):
        if len(line) + len(tok) + 2 > 92:
            lines.append(line.rstrip())
            line = "\t"
        line += tok + ", "
    lines.append(line.rstrip().rstrip(","))
    return "static const uint8_t %s[%d] = {\n%s\n};" % (name, len(b), "\n".join(lines))


def c_str(name, s):
    return 'static const char %s[] = "%s";' % (name, s.decode() if isinstance(s, bytes) else s)


def main():
    # our own inputs: a 32-byte and a 48-byte configured PSK, NQNs as hosts use them
    psk32 = bytes(range(0x10, 0x30))
    psk48 = hashlib.sha384(b"kato tls psk vector").digest()
    host = b"nqn.2014-08.org.nvmexpress:uuid:2b9a2c6e-1f45-4b53-9a55-6f0b7c2d1e01"
    sub = b"nqn.2026-01.io.kato:tls"
    out = ["/*",
           " * tls_psk_vectors.h - expected values for tests/unit/test_tls_psk.c, written",
           " * by tests/unit/vectors/tls_psk_vectors.py (Python hashlib/hmac/base64/zlib and",
           " * cryptography's HKDF; not by the C code under test). Do not edit: regenerate.",
           " * v_*: our inputs; l_*: libnvme's published inputs (test/psk.c), TLS PSKs.",
           " */"]
    out.append(c_bytes("v_psk32", psk32))
    out.append(c_bytes("v_psk48", psk48))
    out.append(c_str("v_host", host))
    out.append(c_str("v_sub", sub))
    out.append(c_str("v_key_00_32", interchange(0, psk32)))
    out.append(c_str("v_key_01", interchange(1, psk32)))
    out.append(c_str("v_key_02", interchange(2, psk48)))
    out.append(c_str("v_key_00_48", interchange(0, psk48)))
    for variant in ("rfc", "compat"):
        for hh, psk, tag in ((1, psk32, "01"), (2, psk48, "02"), (0, psk32, "00")):
            for version in (0, 1):
                ident, r, t = derive(variant, version, hh, psk, host, sub)
                base = "v_%s_h%s_v%d" % (variant, tag, version)
                if version == 0:
                    out.append(c_bytes(base + "_retained", r))
                out.append(c_str(base + "_id", ident))
                out.append(c_bytes(base + "_tls", t))
    skey = hashlib.sha512(b"kato dh shared secret").digest() * 4  # 256 bytes, as ffdhe2048's
    c1 = hashlib.sha256(b"c1").digest()
    c2 = hashlib.sha256(b"c2").digest()
    gen, ident, t = generated(1, skey, c1, c2, host, sub)
    out.append(c_bytes("v_skey", skey))
    out.append(c_bytes("v_c1", c1))
    out.append(c_bytes("v_c2", c2))
    out.append(c_bytes("v_gen01_psk", gen))
    out.append(c_str("v_gen01_id", ident))
    out.append(c_bytes("v_gen01_tls", t))
    c1b = hashlib.sha384(b"c1").digest()
    c2b = hashlib.sha384(b"c2").digest()
    gen, ident, t = generated(2, skey, c1b, c2b, host, sub)
    out.append(c_bytes("v_c1_384", c1b))
    out.append(c_bytes("v_c2_384", c2b))
    out.append(c_bytes("v_gen02_psk", gen))
    out.append(c_str("v_gen02_id", ident))
    out.append(c_bytes("v_gen02_tls", t))
    # libnvme's published inputs, TLS PSKs added here (libnvme publishes only the identities)
    for variant in ("rfc", "compat"):
        for hh, psk in ((1, LIBNVME_PSK32), (2, LIBNVME_PSK48)):
            ident, r, t = derive(variant, 1, hh, psk, H, S)
            out.append(c_bytes("l_%s_h%02d_tls" % (variant, hh), t))
    print("\n".join(out))


if __name__ == "__main__":
    main()

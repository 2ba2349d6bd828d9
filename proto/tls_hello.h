/*
 * tls_hello.h - what a TLS server must know of a ClientHello before its
 * TLS library chooses the cipher suite (proto/tls_hello.c): the hash the
 * host bound its external PSK with, which is the length of the first
 * binder in the pre_shared_key extension (RFC 8446 4.2.11). A TLS 1.3
 * server may only pick a suite of that hash, and hosts differ: a 48-byte
 * NVMe PSK (hh 02) is bound with SHA-384 by newer tlshd and with SHA-256
 * by older ones (which then pick a SHA-256 suite). Pure code, bytes only.
 */
#ifndef KATO_PROTO_TLS_HELLO_H
#define KATO_PROTO_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

#define KT_TLS_EXT_PRE_SHARED_KEY 41

/* ext/len: the body of a ClientHello's pre_shared_key extension (from the
 * wire: attacker controlled). Returns the length of the first binder (32
 * for SHA-256, 48 for SHA-384; other lengths are returned as they are) or
 * -EINVAL when the body is malformed: every length is checked against what
 * contains it, identities and binders must each be non-empty and their
 * counts equal, and nothing may follow the binders. */
int kt_tls_hello_binder_len(const uint8_t *ext, size_t len);

#endif

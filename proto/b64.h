/*
 * b64.h - Base64 (RFC 4648, standard alphabet, '=' padding) for the key and
 * identity strings of NVMe in-band authentication and TLS: the configured
 * keys `NVMeTLSkey-1:hh:...:` and `DHHC-1:hh:...:` and the PSK digest of a
 * TLS PSK identity (proto/b64.c). Its own file so that both users share one
 * strict decoder.
 *
 * The decoder is strict, since its input may come from the wire: the length
 * must be a multiple of 4, '=' may only end the text (one or two of them),
 * the bits a padded group leaves over must be zero, and nothing outside the
 * alphabet is skipped (no whitespace, no line breaks). So every byte string
 * has exactly one accepted encoding.
 */
#ifndef KATO_PROTO_B64_H
#define KATO_PROTO_B64_H

#include <stddef.h>
#include <stdint.h>

/* Characters kt_b64_encode writes for n bytes, not counting the NUL. */
#define KT_B64_ENC_LEN(n) ((((n) + 2) / 3) * 4)
/* The most bytes a text of len characters decodes to. */
#define KT_B64_DEC_MAX(len) (((len) / 4) * 3)

/* Encodes len bytes of in into out (outsz bytes, room for the NUL
 * included). Returns the number of characters written (NUL not counted),
 * or -ENOSPC. */
int kt_b64_encode(const void *in, size_t len, char *out, size_t outsz);

/* Decodes len characters of in (no NUL needed) into out (outsz bytes).
 * Returns the number of bytes written, -EINVAL for text that is not strict
 * Base64, -ENOSPC if out is too small. On error out may hold part of the
 * result: callers decoding a secret clear it. */
int kt_b64_decode(const char *in, size_t len, uint8_t *out, size_t outsz);

#endif

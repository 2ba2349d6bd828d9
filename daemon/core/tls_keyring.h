/*
 * tls_keyring.h - TLS PSKs from a kernel keyring (daemon/core/tls_keyring.c),
 * where the Linux target finds them: `nvme gen-tls-key --insert` and `nvme
 * check-tls-key --insert` put the TLS PSK, already derived, into the
 * ".nvme" keyring as a key of type "psk" whose description is the PSK
 * identity, and nvmet's tlshd looks the identity a host sends up there.
 * katod does the same for a retained-PSK identity it has no configured key
 * for (katod.tls_keyring; blktests nvme/062 inserts the key on the machine
 * that runs the target and expects the target to find it).
 */
#ifndef KATO_DAEMON_CORE_TLS_KEYRING_H
#define KATO_DAEMON_CORE_TLS_KEYRING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "proto/tls_psk.h"

/* Makes name the keyring looked in from the next handshake on: NULL for
 * the default (".nvme"), "" for none (main thread: at start and at every
 * live change). 0 or -ENOMEM (the previous one stays). */
int kt_tls_keyring_set(const char *name);
/* The keyring in effect (a string kept for the process's life), or NULL
 * when none. */
const char *kt_tls_keyring_name(void);
/* Forgets the names (exit, once no handshake runs). */
void kt_tls_keyring_free(void);

/* The TLS PSK for the identity a host sent (identity_len bytes, exactly as
 * on the wire) of hash hash (1: SHA-256, 2: SHA-384): the payload of the key
 * of type "psk", else "user", whose description is exactly those bytes, in
 * the keyring (or a keyring linked into it). The payload must be the hash's
 * length (32 or 48 bytes). Into out (hash, len, key; the caller clears it
 * with kt_tls_psk_clear). *keyring: the keyring's name (kept for the
 * process's life) once one was looked in, else NULL.
 * Returns 0, or with *why a constant text (never key bytes):
 *   -ENOKEY    no keyring configured (*why NULL), the keyring is not in
 *              /proc/keys, or no such key in it;
 *   -EMSGSIZE  the key's payload is not the hash's length;
 *   -EACCES    the keyring or the key may not be searched or read;
 *   -EKEYREVOKED the key is revoked or expired;
 *   -EINVAL    the identity is not 1..KT_TLS_IDENTITY_MAX printable ASCII
 *              bytes, or hash is not 1 or 2;
 *   -EIO       anything else (/proc/keys unreadable, ...).
 * Any thread. */
int kt_tls_keyring_lookup(const void *identity, size_t identity_len, enum kt_tls_hash hash,
			  struct kt_tls_psk *out, const char **keyring, const char **why);

/* One line of /proc/keys: 1 if it is a live keyring (instantiated, not
 * revoked, dead or invalidated) whose description is name, with its serial
 * and owner, else 0 (pure; for the unit test). */
int kt_tls_keyring_proc_line(const char *line, const char *name, int32_t *serial, uid_t *uid);

#endif

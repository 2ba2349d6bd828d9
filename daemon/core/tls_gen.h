/*
 * tls_gen.h - the TLS PSKs that secure concatenation generated
 * (daemon/core/tls_gen.c). A host that asks for it (SC_C NEWTLSPSK or
 * REPLACETLSPSK in its AUTH_Negotiate) authenticates its admin queue with
 * DH-HMAC-CHAP, then connects again over TLS with the PSK both ends derived
 * from that transaction, whose identity is "NVMe1G<hh> <hostnqn> <subnqn>
 * <digest>" (proto/tls_psk.h). The key outlives the controller that made it
 * (the host's first admin queue closes before the TLS one connects), so it
 * lives here, where the TLS server finds it by that identity, as the kernel
 * target keeps it in its keyring.
 */
#ifndef KATO_DAEMON_CORE_TLS_GEN_H
#define KATO_DAEMON_CORE_TLS_GEN_H

#include <stdint.h>
#include "proto/tls_psk.h"

/* At most this many generated keys for one host and subsystem (a host may
 * run several controllers to one subsystem, one per path) and in all; the
 * oldest goes first. */
#define KT_TLS_GEN_PER_PAIR 8
#define KT_TLS_GEN_MAX 1024

/* Keeps the key a transaction of hash (1 SHA-256, 2 SHA-384) generated:
 * gen_psk is HMAC(Ks, C1 || C2), the hash's length. Writes its identity to
 * identity (identity_sz bytes, may be NULL). Returns 0 or a negative errno
 * (-EINVAL, -ENOMEM, -EIO). Any thread. */
int kt_tls_gen_put(const char *hostnqn, const char *subnqn, uint8_t hash, const uint8_t *gen_psk,
		   char *identity, size_t identity_sz);
/* The TLS PSK of a generated identity the host sent (type 'G'), into out;
 * the caller clears it (kt_tls_psk_clear). 0 or -ENOKEY. Any thread. */
int kt_tls_gen_lookup(const struct kt_tls_identity *id, struct kt_tls_psk *out);
/* Wipes and frees them all (exit). */
void kt_tls_gen_free(void);

#endif

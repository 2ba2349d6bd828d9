/*
 * tls_keys.h - the hosts' NVMe/TCP TLS pre-shared keys as katod holds them
 * (daemon/core/tls_keys.c): parsed from the configuration at start and at
 * every live change, looked up by the TLS server for the identity a host
 * sends, and which libnvme derivation form last worked for each host.
 */
#ifndef KATO_DAEMON_CORE_TLS_KEYS_H
#define KATO_DAEMON_CORE_TLS_KEYS_H

#include <stdbool.h>
#include "config/config.h"
#include "proto/tls_psk.h"

/* Makes cfg's keys the ones in effect (main thread). 0, -ENOMEM or
 * -EINVAL (a key config/ let through that proto refuses: not expected). */
int kt_tls_keys_set(const struct kt_config *cfg);
/* Wipes and frees them (exit). */
void kt_tls_keys_free(void);

/* The configured PSK for (hostnqn, subnqn): the host's key for that
 * subsystem, else its key for every subsystem. *forms: the allowed
 * derivations (enum kt_tls_derive bits); *prefer: the one to use when the
 * identity cannot tell (the one that last worked for this host, else
 * COMPAT, what Debian 13's libnvme derives). 0 or -ENOKEY. Any thread. */
int kt_tls_keys_lookup(const char *hostnqn, const char *subnqn, struct kt_tls_key *out,
		       unsigned *forms, enum kt_tls_derive *prefer);
/* A handshake with a form the identity could not confirm ended: worked
 * keeps it as the host's preference, a failure makes the next handshake
 * try the other allowed form. */
void kt_tls_keys_note(const char *hostnqn, enum kt_tls_derive form, bool worked);

#endif

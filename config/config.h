/*
 * config.h - the target's configuration as a plain description.
 *
 * The file format is the JSON that nvmetcli saves (`hosts`, `ports`,
 * `subsystems`, with nvmetcli's attribute names and string-typed values), so
 * a saved kernel-target configuration loads unchanged, plus:
 *   - a top-level "katod" object of daemon settings;
 *   - a port's "addr.tsas" "tls1.3" (with "addr.treq" "required", the
 *     default, or "not required": plain connections too), and a host's
 *     "tls": {"key": "NVMeTLSkey-1:hh:...:", "derive": "both"|"rfc"|"compat",
 *     "subsystem_keys": {"<subnqn>": "NVMeTLSkey-1:..."}} (nvmet takes PSKs
 *     from the kernel keyring; katod does too, for identities with no key
 *     here: "katod": {"tls_keyring": ".nvme"});
 *   - in a namespace's "device", an optional "backend" ("file", the default,
 *     as nvmetcli has it: "path" names a regular file or block device;
 *     "ram" or "null", which take "size" instead of "path"), and optional
 *     "size" and "block_size" (512 or 4096).
 * Nothing here knows about the daemon; errors name the JSON path.
 */
#ifndef KATO_CONFIG_CONFIG_H
#define KATO_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto/faults.h"
#include "proto/kapolicy.h"

struct json_object;

enum kt_cfg_backend {
	KT_BACKEND_FILE,
	KT_BACKEND_RAM,
	KT_BACKEND_NULL,
};

struct kt_cfg_ns {
	uint32_t nsid;
	bool enable;
	enum kt_cfg_backend backend;
	char *path;            /* file backend */
	uint64_t size;         /* bytes; ram/null: required; file: 0 = the file's size */
	uint32_t block_size;   /* 512 or 4096; 0 = default (512, or a block device's) */
	bool has_nguid, has_uuid;
	uint8_t nguid[16];
	uint8_t uuid[16];
	uint32_t anagrpid;
	bool buffered_io;      /* file: use the page cache (nvmetcli "buffered_io") */
};

struct kt_cfg_subsys {
	char *nqn;
	bool allow_any_host;
	size_t n_allowed_hosts;
	char **allowed_hosts;
	char *serial;          /* NULL: derived from the NQN */
	char *model;           /* NULL: "kato" */
	char *firmware;        /* NULL: the kato version */
	uint32_t version;      /* VS value; 0 = default (2.0) */
	uint32_t ieee_oui;
	uint16_t cntlid_min, cntlid_max;
	uint16_t qid_max;      /* 0 = default */
	size_t n_ns;
	struct kt_cfg_ns *ns;
};

struct kt_cfg_port {
	uint16_t portid;
	char *trtype;          /* only "tcp" is served; others are refused */
	char *adrfam;          /* "ipv4" or "ipv6" */
	char *traddr;
	char *trsvcid;
	char *treq;            /* "not specified", "required", "not required" */
	char *tsas;            /* "none" or "tls1.3" (TLS 1.3 with PSKs on every connection) */
	uint32_t inline_data_size; /* param.inline_data_size; 0 = default */
	size_t n_subsystems;
	char **subsystems;     /* NQNs exported on this port */
	/* "ana_groups": [{"grpid": N, "ana": {"state": "optimized"}}] as
	 * nvmetcli writes them: the groups the port lists, ascending, unique
	 * (none: the file names none; nvmetcli always names group 1) */
	size_t n_ana;
	struct kt_cfg_ana_group {
		uint32_t grpid;        /* 1..KT_ANA_GRP_MAX */
		uint8_t state;         /* enum nvme_ana_state (proto/ana.h); a group
					  named without one has a new nvmet port's:
					  group 1 optimized, the others inaccessible */
	} *ana;
};

struct kt_cfg_daemon {
	unsigned workers;           /* 0 = one per core */
	char *log_level;            /* "error", "warn", "info", "debug" */
	char *discovery_nqn;        /* unique discovery NQN; NULL = well-known */
	unsigned kas;               /* keep-alive granularity, 100 ms units (default 1) */
	unsigned disc_activity_timeout_ms; /* discovery controller with KATO 0 */
	unsigned mdts;              /* 2^mdts * 4 KiB max transfer (default 8: 1 MiB) */
	unsigned max_queue_size;    /* entries (default 128) */
	bool digests;               /* accept header/data digests (default true) */
	/* "keepalive": traffic-based keep-alive, TCP keepalive on every
	 * connection, the event trace, deliberate misbehaviour rules. */
	bool tbkas;                 /* advertise TBKAS (default true) */
	unsigned tcp_ka_idle_s;     /* TCP_KEEPIDLE (default 30) */
	unsigned tcp_ka_interval_s; /* TCP_KEEPINTVL (default 5) */
	unsigned tcp_ka_count;      /* TCP_KEEPCNT (default 3) */
	char *ka_trace;             /* event trace file; NULL = none */
	size_t n_ka_rules;
	struct kt_kapol_rule *ka_rules; /* proto/kapolicy.h */
	/* "faults": deliberate faults on any command (proto/faults.h), in
	 * file order, names unique; the definitions only (ids, counters and
	 * generators belong to the table the daemon adds them to) */
	size_t n_faults;
	struct kt_fault_rule *faults;
	char *control_socket;       /* control socket path; NULL = the default
	                               (/run/katod/katod.sock), "" = none */
	char *tls_keyring;          /* kernel keyring of TLS PSKs for identities
	                               without a configured key; NULL = the
	                               default (KT_CFG_TLS_KEYRING_DEFAULT, as
	                               nvmet), "" = none */
};

/* katod.tls_keyring: the default, and the longest name accepted. */
#define KT_CFG_TLS_KEYRING_DEFAULT ".nvme"
#define KT_CFG_TLS_KEYRING_MAX 255

/* A host's DH-HMAC-CHAP settings (nvmet's hosts/NQN/dhchap_*): in the
 * file as "dhchap": {"key", "ctrl_key", "hash", "dhgroup"} (nvmetcli's
 * attribute-group form) or "attr": {"dhchap_key", ...}. The keys are
 * validated DHHC-1 secrets, kept as text (config_write writes them back);
 * they are secrets: never log them. */
struct kt_cfg_host_auth {
	char *key;                  /* host key; NULL: none (no authentication) */
	char *ctrl_key;             /* controller key (bidirectional); NULL: none */
	uint8_t hash_id;            /* proto/dhchap.h KT_DHCHAP_SHA*: default SHA-256 */
	uint8_t dhgid;              /* KT_DHCHAP_DH_NULL (default) .. FFDHE8192 */
	/* NVMe/TCP TLS 1.3 pre-shared keys (a kato extension: nvmet takes them
	 * from the kernel keyring): in the file as "tls": {"key", "derive",
	 * "subsystem_keys": {"<subnqn>": key}} or "attr": {"tls_key",
	 * "tls_derive"}. Keys are validated "NVMeTLSkey-1:hh:base64:" text
	 * (proto/tls_psk.h), secrets like the DH-HMAC-CHAP keys. */
	char *tls_key;              /* for every subsystem the host may reach; NULL: none */
	uint8_t tls_derive;         /* KT_TLS_DERIVE_* bits accepted; 0: both (default) */
	size_t n_tls_sub;
	char **tls_sub_nqn;         /* per-subsystem keys, taking precedence */
	char **tls_sub_key;
};

struct kt_config {
	size_t n_hosts;
	char **hosts;               /* host NQNs ("hosts": [{"nqn": ...}]) */
	struct kt_cfg_host_auth *host_auth; /* n_hosts entries, beside hosts */
	size_t n_ports;
	struct kt_cfg_port *ports;
	size_t n_subsys;
	struct kt_cfg_subsys *subsys;
	struct kt_cfg_daemon daemon;
};

/* Loads and validates a configuration. On error returns a negative errno
 * and writes "<json path>: <what is wrong>" (e.g.
 * "subsystems[0].namespaces[1].device.path: file does not exist") into
 * err. Validation covers types, ranges, unique port ids / NQNs / NSIDs,
 * references (a port's subsystem, an allowed host) and NQN syntax. */
int kt_config_load_file(const char *path, struct kt_config **out, char *err, size_t errlen);
int kt_config_load_string(const char *json, struct kt_config **out, char *err, size_t errlen);

/* The built-in default target: one subsystem KT_DEFAULT_SUBNQN with a 1 GiB
 * RAM namespace, allow_any_host, on 127.0.0.1:4420; the discovery service
 * also listens on 127.0.0.1:8009 (a port with no subsystems). */
#define KT_DEFAULT_SUBNQN "nqn.2026-11.io.kato:default"
int kt_config_default(struct kt_config **out);

void kt_config_free(struct kt_config *cfg);

/* Writes cfg as JSON in the format the loaders read (nvmetcli's keys and
 * string-valued attributes, plus kato's), for `katod --print-config`.
 * *out is malloc'd, NUL-terminated and ends with a newline; the caller frees
 * it. Returns 0 or -ENOMEM. */
int kt_config_to_json(const struct kt_config *cfg, char **out);

/* NQN syntax, the one rule every NQN in kato meets (config files, control
 * requests): 1..223 bytes, no control characters or spaces. Returns NULL,
 * or what is wrong ("is not an NQN (...)", to follow the quoted value).
 * The spec's "nqn.yyyy-mm.reverse-domain:..." form is not required: the
 * Linux target and its tools (nvmetcli's "testnqn", blktests'
 * "blktests-subsystem-1") use free names, and the Linux host connects to
 * them; kato loads their files unchanged. */
const char *kt_nqn_problem(const char *s);

/* A value katod.tls_keyring may take: "" (none), or 1 to
 * KT_CFG_TLS_KEYRING_MAX printable ASCII bytes without spaces (a name as
 * /proc/keys shows it, and a C string the keyctl system call takes). */
bool kt_cfg_tls_keyring_ok(const char *s);

/* Keep-alive policy rules (proto/kapolicy.h) in the vocabulary of the
 * configuration's "katod.keepalive.policy" (see config.c), for readers of
 * rules outside a configuration file (the control socket). o must be an
 * object; keys other than the ones read are not looked at. Errors are
 * -EINVAL with "<path>.<key>: <what is wrong>" in err.
 * _scope: the scope ("host" or "subsystem": an NQN; "cntlid": 1..0xffef):
 *   1 and *out, 0 when o names none, or an error when it names several.
 * _pol: the behaviours (delay_ms, drop, status, expire, ignore_traffic,
 *   refuse_set_kato, kas), at least one: 0 and *out, or an error. */
int kt_config_parse_ka_scope(struct json_object *o, const char *path, struct kt_kapol_scope *out, char *err,
			     size_t errlen);
int kt_config_parse_ka_pol(struct json_object *o, const char *path, struct kt_kapol *out, char *err,
			   size_t errlen);
/* The writer the readers above undo: one rule as a new object - the scope
 * key (none when s is NULL: a policy alone), then the behaviours p decides
 * ("expire" as an exact decimal or "never") - or NULL when out of memory.
 * Read back, it gives the same scope and policy. */
struct json_object *kt_config_ka_rule_json(const struct kt_kapol_scope *s, const struct kt_kapol *p);

/* Fault rules (proto/faults.h) in the vocabulary of the configuration's
 * "katod.faults" (see config.c), for readers of rules outside a
 * configuration file (the control socket). o is one rule:
 *   {"name": "...", "match": {...}, "action": {...}, "fire": ...,
 *    "expire_ms": N}
 * with "action" required and every key read (an unknown one is refused).
 * 0 and *out, or -EINVAL with "<path>.<key>: <what is wrong>" in err. */
int kt_config_parse_fault_rule(struct json_object *o, const char *path, struct kt_fault_rule *out, char *err,
			       size_t errlen);
/* The writer the reader undoes: one rule as a new object ("name" when it
 * has one, "match" when it has criteria, "action", "fire", "expire_ms"
 * when it expires), or NULL when out of memory. Read back, it gives the
 * same rule. */
struct json_object *kt_config_fault_rule_json(const struct kt_fault_rule *r);

/* Daemon settings defaults, applied by both loaders when a key is absent.
 * The strings of struct kt_cfg_daemon (log_level, discovery_nqn) are
 * malloc'd and freed by kt_config_free: this sets log_level to a strdup'd
 * "info" (NULL if that allocation failed; read NULL as "info"). */
void kt_cfg_daemon_defaults(struct kt_cfg_daemon *d);

#endif

/*
 * config.c - loads kato's configuration file and validates it into the plain
 * description of config.h. It exists so that everything wrong with a
 * configuration is found before the daemon opens a socket or a file, and is
 * reported as "<json path>: <reason>".
 *
 * The format is the JSON that `nvmetcli save` writes for the Linux kernel
 * target, so a saved kernel-target configuration loads unchanged:
 *
 *   "hosts":      [{"nqn": "nqn...", "dhchap": {"key": "DHHC-1:..", "ctrl_key": "..",
 *                                             "hash": "hmac(sha256)", "dhgroup": "null"}}]
 *   "ports":      [{"portid": 1,
 *                   "addr": {"trtype": "tcp", "adrfam": "ipv4", "traddr": "10.0.0.1",
 *                            "trsvcid": "4420", "treq": "not specified", "tsas": "none"},
 *                   "param": {"inline_data_size": "16384"},
 *                   "subsystems": ["nqn..."], "referrals": [],
 *                   "ana_groups": [{"grpid": 1, "ana": {"state": "optimized"}}]}]
 *   "subsystems": [{"nqn": "nqn...",
 *                   "attr": {"allow_any_host": "1", "cntlid_min": "1", "cntlid_max": "65519",
 *                            "firmware": "...", "ieee_oui": "0x000000", "model": "...",
 *                            "qid_max": "128", "serial": "...", "version": "1.3"},
 *                   "allowed_hosts": ["nqn..."],
 *                   "namespaces": [{"nsid": 1, "enable": 1, "ana_grpid": 1,
 *                                   "device": {"path": "/dev/...", "nguid": "...", "uuid": "..."}}]}]
 *
 * nvmetcli writes attribute values as strings ("16384", "1"); every number
 * and flag here is accepted as a JSON number/boolean or as such a string.
 *
 * kato's additions:
 *   - in a namespace's "device": "backend" ("file", the default, as nvmetcli
 *     has it: "path" names a regular file or block device, whose existence
 *     the daemon checks when it opens it; "ram" or "null", which need "size"
 *     and take no "path"), "size" (bytes, or a number with a K, M, G or T
 *     suffix, powers of 1024; a multiple of the block size), "block_size"
 *     (512 or 4096) and "buffered_io" (also accepted beside "device");
 *   - a top-level "katod" object: "workers" (0 = one per core, up to 1024),
 *     "log_level" ("error", "warn", "info", "debug"), "discovery_nqn" (a
 *     unique discovery NQN), "kas" (keep-alive granularity in 100 ms units,
 *     1..255), "disc_activity_timeout_ms" (1..86400000), "mdts" (1..12:
 *     2^mdts * 4 KiB), "max_queue_size" (2..65536), "digests" (bool),
 *     "control_socket" (an absolute path, or "" for none), "tls_keyring"
 *     (the kernel keyring whose keys serve as TLS PSKs for identities
 *     without a configured key: absent ".nvme", as nvmet; "" for none;
 *     else 1..KT_CFG_TLS_KEYRING_MAX printable ASCII bytes without spaces)
 *     and "keepalive":
 *     {"tbkas" (bool, default true), "trace" (a file for the JSON-lines
 *     event trace), "tcp_idle_s"/"tcp_interval_s"/"tcp_count" (TCP
 *     keepalive on every connection: 30, 5, 3), "policy" (deliberate
 *     misbehaviour rules: [{"host"|"subsystem"|"cntlid": ..., "delay_ms",
 *     "drop", "status", "expire" (a fraction of KATO or "never"),
 *     "ignore_traffic", "refuse_set_kato" (bool or a status), "kas"}])}
 *     and "faults": deliberate faults on any command (proto/faults.h), an
 *     array of at most 64 rules tried in order, names unique:
 *       {"name": "slow-reads",            1..63 of [A-Za-z0-9._:-], not all digits
 *        "match": {"host": NQN, "subsystem": NQN, "cntlid": 0..65519,
 *                  "qid": 0..65534, "set": "admin"|"io"|"fabrics",
 *                  "opcode": "read"|"identify"|"connect"|... (the name gives
 *                            the set) or 0..255 (with "set"; FCTYPE for
 *                            fabrics),
 *                  "nsid": N, "lba": [first, last]},   every key optional
 *        "action": exactly one of {"delay_ms": 1..3600000} | {"hold": true} |
 *                  {"status": 0x4302 | "0x4302" | "namespace_not_ready" |
 *                             {"sct": 3, "sc": 2, "dnr": true, "more", "crd"} |
 *                             {"name": "ana_inaccessible", "dnr": false}} |
 *                  {"close": "before"|"after"} | {"stall_reads_ms": 1..3600000} |
 *                  {"corrupt_data_digest": true},
 *        "fire": "always" (default) | {"first": N} |
 *                {"probability": 0.000001..1, "seed": 0..2^63-1 or "0x" hex},
 *        "expire_ms": 1..2592000000}       from when the rule is set
 *     (kt_config_parse_fault_rule reads one for the control socket).
 *   - hand-written files may leave out "addr.trtype" ("tcp"), "addr.adrfam"
 *     (from the address), "addr.trsvcid" ("4420"), "addr.treq", a
 *     namespace's "enable" (enabled) and "ana_grpid" (1).
 *
 * Policy for keys kato does not use (decided here, documented in katod(8)):
 *   - Inside nvmetcli's attribute groups ("addr", "param", "attr", a
 *     namespace's "ana" and "resv", "dhchap") unknown keys are accepted and
 *     ignored: they mirror configfs attribute files, which grow with every
 *     kernel (pi_enable, resv_enable, max_queue_size, ...). "referrals" are
 *     accepted and ignored as well (kato serves none).
 *   - A port's "ana_groups" are the ANA groups it lists, as nvmetcli saves
 *     nvmet's ports/N/ana_groups/G (group 1 always: nvmet gives it to every
 *     port): "grpid" 1..128 (NVMET_MAX_ANAGRPS; a number or a numeric
 *     string), unique, and "ana", an attribute group whose "state" is one
 *     of nvmet's ana_state names ("optimized", "non-optimized",
 *     "inaccessible", "persistent-loss", "change"; proto/ana.h). Without a
 *     state a group keeps the one a new nvmet port gives it (group 1
 *     optimized, the others inaccessible). Kept sorted by grpid.
 *   - Everywhere else (top level, "katod", a host, port, subsystem or
 *     namespace object, and "device", which carries kato's own keys) an
 *     unknown key is refused as a probable typo: a misspelt "namespaces"
 *     would otherwise yield a subsystem with none.
 *   - What would change the meaning of the configuration if ignored is
 *     refused with its reason: a trtype other than "tcp", treq "required"
 *     without tsas "tls1.3" (no secure channel to require), a tsas other
 *     than "none" or "tls1.3", a passthru subsystem.
 *   - TLS (a kato extension, nvmet's keys live in the kernel keyring, where
 *     katod also looks for hosts without a key here: "katod.tls_keyring"): a
 *     port's "addr.tsas" "tls1.3" makes every connection TLS 1.3 with a PSK;
 *     "addr.treq" then is "required" (the default, as nvmet sets it when tsas
 *     becomes tls1.3) or "not required" (a plain ICReq is served too); a
 *     host's PSKs are "tls": {"key": "NVMeTLSkey-1:hh:base64:", "derive":
 *     "both" (default) | "rfc" | "compat", "subsystem_keys": {"<subnqn>":
 *     "NVMeTLSkey-1:..."}} or "attr": {"tls_key", "tls_derive"} (what the
 *     control socket's hosts.add/hosts.set write); errors never print a key.
 *   - A host's DH-HMAC-CHAP settings: "dhchap": {"key", "ctrl_key", "hash",
 *     "dhgroup"} or "attr": {"dhchap_key", ...} (load_host says why both).
 *   - Any key (DH-HMAC-CHAP or TLS) may be "file:/absolute/path" instead:
 *     the file holds the key and must be katod's (or root's), mode 0600 or
 *     0400 (config/secret.h); the configuration keeps the reference.
 *   - NQNs are 1..223 bytes (NVMe Base 2.0, 4.5) without control characters
 *     or spaces (kt_nqn_problem). Like the Linux target, kato does not
 *     require the "nqn." form: nvmetcli files name subsystems "testnqn".
 *   - As in the kernel target, allow_any_host defaults to 0 and may not be 1
 *     while allowed_hosts lists hosts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>
#include "config/config.h"
#include "config/secret.h"
#include "config/jread.h"
#include "proto/ana.h"
#include "proto/auth.h"
#include "proto/tls_psk.h"
#include <openssl/crypto.h>

#define NQN_MAX 223                     /* NVMe Base 2.0: 223 bytes, UTF-8 */
#define WELL_KNOWN_DISC_NQN "nqn.2014-08.org.nvmexpress.discovery"
#define CNTLID_MAX 0xffef
#define INLINE_MAX (128u * 1024)        /* per command slot: 128 slots x 128 KiB = 16 MiB a queue */
#define CONFIG_FILE_MAX (16u << 20)

struct loader {
	struct kcj j;
	struct kt_config *cfg;
};

void kt_cfg_daemon_defaults(struct kt_cfg_daemon *d)
{
	memset(d, 0, sizeof(*d));
	d->workers = 0;
	/* Owned (freed by kt_config_free); NULL after an allocation failure,
	 * which readers take as "info". */
	d->log_level = strdup("info");
	d->discovery_nqn = NULL;
	d->kas = 1;
	d->disc_activity_timeout_ms = 120000;
	d->mdts = 8;
	d->max_queue_size = 128;
	d->digests = true;
	d->tbkas = true;
	d->tcp_ka_idle_s = 30;
	d->tcp_ka_interval_s = 5;
	d->tcp_ka_count = 3;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void kt_config_free(struct kt_config *cfg)
{
	if (!cfg)
		return;
	free_strv(cfg->hosts, cfg->n_hosts);
	for (size_t i = 0; cfg->host_auth && i < cfg->n_hosts; i++) {
		struct kt_cfg_host_auth *a = &cfg->host_auth[i];
		/* secrets: wiped before they are freed */
		if (a->key)
			OPENSSL_cleanse(a->key, strlen(a->key));
		if (a->ctrl_key)
			OPENSSL_cleanse(a->ctrl_key, strlen(a->ctrl_key));
		free(a->key);
		free(a->ctrl_key);
		if (a->tls_key)
			OPENSSL_cleanse(a->tls_key, strlen(a->tls_key));
		free(a->tls_key);
		for (size_t k = 0; k < a->n_tls_sub; k++) {
			if (a->tls_sub_key && a->tls_sub_key[k])
				OPENSSL_cleanse(a->tls_sub_key[k], strlen(a->tls_sub_key[k]));
		}
		free_strv(a->tls_sub_key, a->n_tls_sub);
		free_strv(a->tls_sub_nqn, a->n_tls_sub);
	}
	free(cfg->host_auth);
	for (size_t i = 0; cfg->ports && i < cfg->n_ports; i++) {
		struct kt_cfg_port *p = &cfg->ports[i];
		free(p->trtype);
		free(p->adrfam);
		free(p->traddr);
		free(p->trsvcid);
		free(p->treq);
		free(p->tsas);
		free_strv(p->subsystems, p->n_subsystems);
		free(p->ana);
	}
	free(cfg->ports);
	for (size_t i = 0; cfg->subsys && i < cfg->n_subsys; i++) {
		struct kt_cfg_subsys *s = &cfg->subsys[i];
		free(s->nqn);
		free_strv(s->allowed_hosts, s->n_allowed_hosts);
		free(s->serial);
		free(s->model);
		free(s->firmware);
		for (size_t k = 0; s->ns && k < s->n_ns; k++)
			free(s->ns[k].path);
		free(s->ns);
	}
	free(cfg->subsys);
	free(cfg->daemon.log_level);
	free(cfg->daemon.discovery_nqn);
	free(cfg->daemon.ka_trace);
	free(cfg->daemon.ka_rules);
	free(cfg->daemon.faults);
	free(cfg->daemon.control_socket);
	free(cfg->daemon.tls_keyring);
	free(cfg);
}

/* ---- small readers ---------------------------------------------------- */

/* A member, or NULL when absent (a JSON null counts as absent). */
static struct json_object *member(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;
	return json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

static int missing(struct kcj *c, const char *key)
{
	kcj_key(c, key);
	return kcj_fail(c, "missing");
}

static int dup_str(char **dst, const char *s)
{
	free(*dst);
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

/* Optional members: < 0 error, 0 absent, 1 read. */
static int opt_str(struct kcj *c, struct json_object *obj, const char *key, const char **out)
{
	struct json_object *v = member(obj, key);
	if (!v)
		return 0;
	size_t m = kcj_key(c, key);
	int r = kcj_get_string(c, v, out);
	if (r)
		return r;
	kcj_pop(c, m);
	return 1;
}

static int opt_int(struct kcj *c, struct json_object *obj, const char *key, int64_t lo, int64_t hi,
		   int64_t *out)
{
	struct json_object *v = member(obj, key);
	if (!v)
		return 0;
	size_t m = kcj_key(c, key);
	int r = kcj_get_int(c, v, lo, hi, out);
	if (r)
		return r;
	kcj_pop(c, m);
	return 1;
}

static int opt_bool(struct kcj *c, struct json_object *obj, const char *key, bool *out)
{
	struct json_object *v = member(obj, key);
	if (!v)
		return 0;
	size_t m = kcj_key(c, key);
	int r = kcj_get_bool(c, v, out);
	if (r)
		return r;
	kcj_pop(c, m);
	return 1;
}

/* An optional object member (NULL when absent). */
static int opt_obj(struct kcj *c, struct json_object *obj, const char *key, struct json_object **out)
{
	*out = member(obj, key);
	if (!*out)
		return 0;
	size_t m = kcj_key(c, key);
	int r = kcj_want_object(c, *out);
	if (r)
		return r;
	kcj_pop(c, m);
	return 1;
}

/* An optional array member: its length (0 when absent) or < 0. */
static int opt_array(struct kcj *c, struct json_object *obj, const char *key, struct json_object **out,
		     size_t *n)
{
	*out = member(obj, key);
	*n = 0;
	if (!*out)
		return 0;
	size_t m = kcj_key(c, key);
	int r = kcj_want_array(c, *out);
	if (r)
		return r;
	kcj_pop(c, m);
	*n = json_object_array_length(*out);
	return 1;
}

/* ---- value syntax ------------------------------------------------------ */

const char *kt_nqn_problem(const char *s)
{
	size_t len = strlen(s);
	if (len == 0)
		return "is not an NQN (it is empty)";
	if (len > NQN_MAX)
		return "is not an NQN (longer than 223 bytes)";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return "is not an NQN (it contains a space or a control character)";
	return NULL;
}

bool kt_cfg_tls_keyring_ok(const char *s)
{
	size_t len = strlen(s);
	if (len > KT_CFG_TLS_KEYRING_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return true;
}

/* NQN rules (see the top comment); v is quoted in the message. */
static int check_nqn(struct kcj *c, struct json_object *v, const char *s)
{
	char rb[80];
	const char *why = kt_nqn_problem(s);
	if (why)
		return kcj_fail(c, "%s %s", kcj_repr(v, rb, sizeof(rb)), why);
	return 0;
}

/* Identify strings (serial, model, firmware): 1..max bytes of printable
 * ASCII, as the Linux target requires and the spec's ASCII fields imply. */
static int check_ident(struct kcj *c, struct json_object *v, const char *s, size_t max)
{
	char rb[80];
	size_t len = strlen(s);
	if (len == 0)
		return kcj_fail(c, "must not be empty");
	if (len > max)
		return kcj_fail(c, "%s is longer than %zu bytes", kcj_repr(v, rb, sizeof(rb)), max);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return kcj_fail(c, "%s contains a character outside printable ASCII",
					kcj_repr(v, rb, sizeof(rb)));
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* UUID: exactly 8-4-4-4-12 hex digits. */
static bool parse_uuid(const char *s, uint8_t out[16])
{
	static const int dash_at[] = { 8, 13, 18, 23 };
	if (strlen(s) != 36)
		return false;
	for (size_t d = 0; d < 4; d++)
		if (s[dash_at[d]] != '-')
			return false;
	size_t k = 0;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			continue;
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[k++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return k == 16;
}

/* NGUID: 32 hex digits, dashes allowed between digit pairs (the kernel shows
 * it in UUID layout; other tools write it plain). */
static bool parse_nguid(const char *s, uint8_t out[16])
{
	size_t k = 0;
	const char *p = s;
	while (*p) {
		if (*p == '-') {
			if (p == s || p[1] == '\0' || p[1] == '-')
				return false;
			p++;
			continue;
		}
		int hi = hexval(p[0]);
		int lo = hi < 0 ? -1 : hexval(p[1]);
		if (hi < 0 || lo < 0 || k == 16)
			return false;
		out[k++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	return k == 16;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* "1073741824", "512M", "1g", "2T": bytes, suffixes are powers of 1024. */
static bool parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	unsigned shift = 0;
	switch (*p) {
	case '\0': break;
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	default: return false;
	}
	if (shift && p[1] != '\0')
		return false;
	if (v > ((uint64_t)INT64_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}

/* "1.3" / "2.0" / "1.2.1" -> VS value (major << 16 | minor << 8 | tertiary). */
static bool parse_version(const char *s, uint32_t *out)
{
	unsigned long part[3] = { 0, 0, 0 };
	int n = 0;
	const char *p = s;
	for (;;) {
		if (*p < '0' || *p > '9')
			return false;
		unsigned long v = 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			v = v * 10 + (unsigned long)(*p - '0');
			if (v > 65535)
				return false;
		}
		part[n++] = v;
		if (*p == '\0')
			break;
		if (*p != '.' || n == 3)
			return false;
		p++;
	}
	if (n < 2 || part[0] == 0 || part[1] > 255 || part[2] > 255)
		return false;
	*out = (uint32_t)(part[0] << 16 | part[1] << 8 | part[2]);
	return true;
}

/* ---- hosts ------------------------------------------------------------- */

/* One DH-HMAC-CHAP attribute of a host: the key's text is checked by
 * proto's parser, and an error names the JSON path and why, never a byte
 * of the key. */
static int load_auth_attr(struct kcj *c, struct json_object *v, const char *key,
			  struct kt_cfg_host_auth *a, char **slot_key, char **slot_ctrl)
{
	char rb[80];
	const char *s;
	int r;
	size_t m = kcj_key(c, key);
	if ((r = kcj_get_string(c, v, &s)))
		return r;
	if (slot_key || slot_ctrl) {
		char **dst = slot_key ? slot_key : slot_ctrl;
		if (!s[0] && *dst) { /* empty: no key (a later group takes one away) */
			OPENSSL_cleanse(*dst, strlen(*dst));
			free(*dst);
			*dst = NULL;
		}
		if (s[0]) { /* empty: no key, what nvmet shows for none */
			struct kt_dhchap_key *k = NULL;
			const char *why = NULL;
			char *text = NULL;
			if ((r = kt_config_secret(s, &text, &why)) < 0) /* "file:PATH" */
				return r == -ENOMEM ? r : kcj_fail(c, "%s", why);
			r = kt_dhchap_key_parse(text, &k, &why);
			kt_config_secret_free(text);
			kt_dhchap_key_free(k);
			if (r == -ENOMEM)
				return r;
			if (r < 0)
				return kcj_fail(c, "not a DH-HMAC-CHAP secret (DHHC-1:hh:base64:)%s: %s",
						strncmp(s, KT_SECRET_FILE_PREFIX, 5) ? "" : " in the key file",
						why ? why : "malformed");
			if (*dst)
				OPENSSL_cleanse(*dst, strlen(*dst));
			if ((r = dup_str(dst, s))) /* frees the one before */
				return r;
		}
	} else if (strstr(key, "hash")) {
		int id = kt_auth_hash_parse(s);
		if (id < 0)
			return kcj_fail(c, "%s is not a hash (\"hmac(sha256)\", \"hmac(sha384)\" or \"hmac(sha512)\")",
					kcj_repr(v, rb, sizeof(rb)));
		a->hash_id = (uint8_t)id;
	} else {
		int id = kt_auth_dhgroup_parse(s);
		if (id < 0)
			return kcj_fail(c, "%s is not a DH group (\"null\", \"ffdhe2048\", \"ffdhe3072\", "
					"\"ffdhe4096\", \"ffdhe6144\" or \"ffdhe8192\")", kcj_repr(v, rb, sizeof(rb)));
		a->dhgid = (uint8_t)id;
	}
	kcj_pop(c, m);
	return 0;
}

/* The host's DH-HMAC-CHAP settings, from group (its member names without
 * prefix: "dhchap": {"key": ..}) or with a prefix ("attr": {"dhchap_key":
 * ..}). Other members of either group are ignored, as every nvmetcli
 * attribute group's. */
static int load_auth_group(struct kcj *c, struct json_object *g, const char *prefix,
			   struct kt_cfg_host_auth *a)
{
	static const char *const names[] = { "key", "ctrl_key", "hash", "dhgroup" };
	char key[32];
	int r;
	for (unsigned i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "%s%s", prefix, names[i]);
		struct json_object *v = member(g, key);
		if (!v)
			continue;
		if ((r = load_auth_attr(c, v, key, a, i == 0 ? &a->key : NULL, i == 1 ? &a->ctrl_key : NULL)))
			return r;
	}
	return 0;
}

/* A TLS PSK's text at the current path: checked by proto's parser; an
 * error names the JSON path and why, never a byte of the key. "" is no key. */
static int load_tls_key(struct kcj *c, struct json_object *v, char **dst)
{
	const char *s;
	int r;
	if ((r = kcj_get_string(c, v, &s)))
		return r;
	if (*dst) {
		OPENSSL_cleanse(*dst, strlen(*dst));
		free(*dst);
		*dst = NULL;
	}
	if (!s[0])
		return 0;
	struct kt_tls_key k;
	const char *why = NULL;
	char *text = NULL;
	if ((r = kt_config_secret(s, &text, &why)) < 0) /* "file:PATH" */
		return r == -ENOMEM ? r : kcj_fail(c, "%s", why);
	r = kt_tls_key_parse(&k, text, strlen(text), &why);
	kt_config_secret_free(text);
	kt_tls_key_clear(&k);
	if (r < 0)
		return kcj_fail(c, "not a TLS PSK (NVMeTLSkey-1:hh:base64:)%s: %s",
				strncmp(s, KT_SECRET_FILE_PREFIX, 5) ? "" : " in the key file", why ? why : "malformed");
	return dup_str(dst, s);
}

static int load_tls_derive(struct kcj *c, struct json_object *v, uint8_t *out)
{
	char rb[80];
	const char *s;
	int r;
	if ((r = kcj_get_string(c, v, &s)))
		return r;
	if (!strcmp(s, "both") || !s[0])
		*out = 0;
	else if (!strcmp(s, "rfc"))
		*out = KT_TLS_DERIVE_RFC;
	else if (!strcmp(s, "compat"))
		*out = KT_TLS_DERIVE_COMPAT;
	else
		return kcj_fail(c, "%s is not a derivation (\"both\", \"rfc\" or \"compat\")",
				kcj_repr(v, rb, sizeof(rb)));
	return 0;
}

/* "tls": {"key", "derive", "subsystem_keys"} (prefix "") or "attr":
 * {"tls_key", "tls_derive"} (prefix "tls_"). */
static int load_tls_group(struct kcj *c, struct json_object *g, const char *prefix,
			  struct kt_cfg_host_auth *a)
{
	char key[32], rb[80];
	int r;
	size_t m;
	struct json_object *v;
	snprintf(key, sizeof(key), "%skey", prefix);
	if ((v = member(g, key))) {
		m = kcj_key(c, key);
		if ((r = load_tls_key(c, v, &a->tls_key)))
			return r;
		kcj_pop(c, m);
	}
	snprintf(key, sizeof(key), "%sderive", prefix);
	if ((v = member(g, key))) {
		m = kcj_key(c, key);
		if ((r = load_tls_derive(c, v, &a->tls_derive)))
			return r;
		kcj_pop(c, m);
	}
	if (prefix[0])
		return 0;
	static const char *const own[] = { "key", "derive", "subsystem_keys", NULL };
	if ((r = kcj_only_keys(c, g, own)))
		return r;
	if ((r = opt_obj(c, g, "subsystem_keys", &v)) < 0)
		return r;
	if (!v)
		return 0;
	m = kcj_key(c, "subsystem_keys");
	size_t n = (size_t)json_object_object_length(v);
	a->tls_sub_nqn = calloc(n ? n : 1, sizeof(char *));
	a->tls_sub_key = calloc(n ? n : 1, sizeof(char *));
	if (!a->tls_sub_nqn || !a->tls_sub_key)
		return -ENOMEM;
	json_object_object_foreach(v, nqn, kv) {
		size_t m2 = kcj_key(c, nqn);
		const char *why = kt_nqn_problem(nqn);
		if (why)
			return kcj_fail(c, "\"%.60s\" %s", nqn, why);
		if ((r = dup_str(&a->tls_sub_nqn[a->n_tls_sub], nqn)))
			return r;
		a->n_tls_sub++;
		if ((r = load_tls_key(c, kv, &a->tls_sub_key[a->n_tls_sub - 1])))
			return r;
		if (!a->tls_sub_key[a->n_tls_sub - 1])
			return kcj_fail(c, "%s: a subsystem key may not be empty", kcj_repr(kv, rb, sizeof(rb)));
		kcj_pop(c, m2);
	}
	kcj_pop(c, m);
	return 0;
}

static int load_host(struct loader *L, struct json_object *h, size_t i)
{
	static const char *const keys[] = { "nqn", "dhchap", "attr", "tls", NULL };
	struct kcj *c = &L->j;
	char rb[80];
	int r;
	if ((r = kcj_want_object(c, h)) || (r = kcj_only_keys(c, h, keys)))
		return r;
	struct json_object *v = member(h, "nqn");
	if (!v)
		return missing(c, "nqn");
	const char *nqn;
	size_t m = kcj_key(c, "nqn");
	if ((r = kcj_get_string(c, v, &nqn)) || (r = check_nqn(c, v, nqn)))
		return r;
	for (size_t k = 0; k < i; k++)
		if (!strcmp(L->cfg->hosts[k], nqn))
			return kcj_fail(c, "%s duplicates hosts[%zu].nqn", kcj_repr(v, rb, sizeof(rb)), k);
	kcj_pop(c, m);

	/* DH-HMAC-CHAP (nvmet's hosts/NQN/dhchap_key, dhchap_ctrl_key,
	 * dhchap_hash, dhchap_dhgroup). nvmetcli's Host has no attribute
	 * group, so `nvmetcli save` writes none of these; by its convention
	 * for the other objects (configfs file <group>_<name>, JSON
	 * "<group>": {"<name>": ..}) they are "dhchap": {"key", "ctrl_key",
	 * "hash", "dhgroup"}, which config_write writes. "attr":
	 * {"dhchap_key", ...} is read too. */
	struct kt_cfg_host_auth *a = &L->cfg->host_auth[i];
	a->hash_id = KT_DHCHAP_SHA256;
	a->dhgid = KT_DHCHAP_DH_NULL;
	struct json_object *g;
	const char *const groups[][2] = { { "dhchap", "" }, { "attr", "dhchap_" } };
	for (unsigned k = 0; k < 2; k++) {
		if ((r = opt_obj(c, h, groups[k][0], &g)) < 0)
			return r;
		if (!g)
			continue;
		m = kcj_key(c, groups[k][0]);
		if ((r = load_auth_group(c, g, groups[k][1], a)))
			return r;
		kcj_pop(c, m);
	}
	const char *const tgroups[][2] = { { "tls", "" }, { "attr", "tls_" } };
	for (unsigned k = 0; k < 2; k++) {
		if ((r = opt_obj(c, h, tgroups[k][0], &g)) < 0)
			return r;
		if (!g)
			continue;
		m = kcj_key(c, tgroups[k][0]);
		if ((r = load_tls_group(c, g, tgroups[k][1], a)))
			return r;
		kcj_pop(c, m);
	}
	if (a->ctrl_key && !a->key) {
		kcj_key(c, "dhchap");
		return kcj_fail(c, "a controller key (ctrl_key) needs a host key (key)");
	}
	return dup_str(&L->cfg->hosts[i], nqn);
}

static int load_hosts(struct loader *L, struct json_object *root)
{
	struct kcj *c = &L->j;
	struct json_object *arr;
	size_t n;
	int r = opt_array(c, root, "hosts", &arr, &n);
	if (r <= 0)
		return r;
	L->cfg->hosts = calloc(n ? n : 1, sizeof(char *));
	L->cfg->host_auth = calloc(n ? n : 1, sizeof(*L->cfg->host_auth));
	if (!L->cfg->hosts || !L->cfg->host_auth)
		return -ENOMEM;
	L->cfg->n_hosts = n;
	size_t m = kcj_key(c, "hosts");
	for (size_t i = 0; i < n; i++) {
		size_t m2 = kcj_idx(c, i);
		if ((r = load_host(L, json_object_array_get_idx(arr, i), i)))
			return r;
		kcj_pop(c, m2);
	}
	kcj_pop(c, m);
	return 0;
}

/* ---- subsystems -------------------------------------------------------- */

static int load_device(struct loader *L, struct json_object *dev, struct kt_cfg_ns *ns)
{
	static const char *const keys[] = { "path", "nguid", "uuid", "buffered_io", "p2pmem",
					    "backend", "size", "block_size", NULL };
	static const char *const bname[] = { [KT_BACKEND_FILE] = "file", [KT_BACKEND_RAM] = "ram",
					     [KT_BACKEND_NULL] = "null" };
	struct kcj *c = &L->j;
	char rb[80];
	const char *s;
	int64_t x;
	int r;
	if ((r = kcj_want_object(c, dev)) || (r = kcj_only_keys(c, dev, keys)))
		return r;

	ns->backend = KT_BACKEND_FILE;
	if ((r = opt_str(c, dev, "backend", &s)) < 0)
		return r;
	if (r) {
		if (!strcmp(s, "file"))
			ns->backend = KT_BACKEND_FILE;
		else if (!strcmp(s, "ram"))
			ns->backend = KT_BACKEND_RAM;
		else if (!strcmp(s, "null"))
			ns->backend = KT_BACKEND_NULL;
		else {
			kcj_key(c, "backend");
			return kcj_fail(c, "%s is not a backend (\"file\", \"ram\" or \"null\")",
					kcj_repr(member(dev, "backend"), rb, sizeof(rb)));
		}
	}

	/* nvmetcli shows a namespace without a device as "path": "" */
	const char *path = NULL;
	if ((r = opt_str(c, dev, "path", &path)) < 0)
		return r;
	if (path && !*path)
		path = NULL;
	if (ns->backend == KT_BACKEND_FILE && !path) {
		kcj_key(c, "path");
		return kcj_fail(c, "missing (the \"file\" backend needs a path)");
	}
	if (ns->backend != KT_BACKEND_FILE && path) {
		kcj_key(c, "path");
		return kcj_fail(c, "not used by the \"%s\" backend", bname[ns->backend]);
	}
	if (path && (r = dup_str(&ns->path, path)))
		return r;

	if ((r = opt_int(c, dev, "block_size", 0, UINT32_MAX, &x)) < 0)
		return r;
	if (r) {
		if (x != 512 && x != 4096) {
			kcj_key(c, "block_size");
			return kcj_fail(c, "%s is not a supported block size (512 or 4096)",
					kcj_repr(member(dev, "block_size"), rb, sizeof(rb)));
		}
		ns->block_size = (uint32_t)x;
	}

	struct json_object *v = member(dev, "size");
	if (v) {
		size_t m = kcj_key(c, "size");
		uint64_t size = 0;
		bool ok;
		if (json_object_is_type(v, json_type_int)) {
			int64_t i64 = json_object_get_int64(v);
			ok = i64 >= 0 && !(i64 == INT64_MAX && json_object_get_uint64(v) > INT64_MAX);
			size = (uint64_t)i64;
		} else if (json_object_is_type(v, json_type_string)) {
			ok = parse_size(json_object_get_string(v), &size);
		} else {
			return kcj_fail(c, "expected a size, got %s", kcj_type_name(v));
		}
		if (!ok)
			return kcj_fail(c, "%s is not a size (bytes, or a number with K, M, G or T)",
					kcj_repr(v, rb, sizeof(rb)));
		if (size == 0)
			return kcj_fail(c, "%s is not a valid size (it must be more than 0)",
					kcj_repr(v, rb, sizeof(rb)));
		uint32_t bs = ns->block_size ? ns->block_size : 512;
		if (size % bs)
			return kcj_fail(c, "%s is not a multiple of the block size (%u)", kcj_repr(v, rb, sizeof(rb)),
					bs);
		ns->size = size;
		kcj_pop(c, m);
	} else if (ns->backend != KT_BACKEND_FILE) {
		kcj_key(c, "size");
		return kcj_fail(c, "missing (the \"%s\" backend needs a size)", bname[ns->backend]);
	}

	if ((r = opt_str(c, dev, "nguid", &s)) < 0)
		return r;
	if (r) {
		if (!parse_nguid(s, ns->nguid)) {
			kcj_key(c, "nguid");
			return kcj_fail(c, "%s is not an NGUID (32 hex digits)",
					kcj_repr(member(dev, "nguid"), rb, sizeof(rb)));
		}
		/* all zeroes is how the kernel shows "not set" */
		ns->has_nguid = !all_zero(ns->nguid, 16);
	}
	if ((r = opt_str(c, dev, "uuid", &s)) < 0)
		return r;
	if (r) {
		if (!parse_uuid(s, ns->uuid)) {
			kcj_key(c, "uuid");
			return kcj_fail(c, "%s is not a UUID (8-4-4-4-12 hex digits)",
					kcj_repr(member(dev, "uuid"), rb, sizeof(rb)));
		}
		ns->has_uuid = !all_zero(ns->uuid, 16);
	}
	if ((r = opt_bool(c, dev, "buffered_io", &ns->buffered_io)) < 0)
		return r;
	return 0;
}

static int load_ns(struct loader *L, struct json_object *o, struct kt_cfg_subsys *s, size_t si, size_t k)
{
	static const char *const keys[] = { "nsid", "enable", "ana_grpid", "device", "ana", "resv",
					    "buffered_io", NULL };
	struct kcj *c = &L->j;
	struct kt_cfg_ns *ns = &s->ns[k];
	char rb[80];
	int64_t x;
	int r;
	if ((r = kcj_want_object(c, o)) || (r = kcj_only_keys(c, o, keys)))
		return r;

	struct json_object *v = member(o, "nsid");
	if (!v)
		return missing(c, "nsid");
	size_t m = kcj_key(c, "nsid");
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_string))
		return kcj_fail(c, "expected an integer, got %s", kcj_type_name(v));
	/* 0 and FFFFFFFFh (broadcast) are not namespace IDs */
	bool ok = true;
	if (json_object_is_type(v, json_type_int))
		x = json_object_get_int64(v);
	else
		ok = kcj_parse_i64(json_object_get_string(v), &x);
	if (!ok || x < 1 || x > 0xfffffffeLL)
		return kcj_fail(c, "%s is not a valid NSID", kcj_repr(v, rb, sizeof(rb)));
	ns->nsid = (uint32_t)x;
	for (size_t p = 0; p < k; p++)
		if (s->ns[p].nsid == ns->nsid)
			return kcj_fail(c, "%s duplicates subsystems[%zu].namespaces[%zu].nsid",
					kcj_repr(v, rb, sizeof(rb)), si, p);
	kcj_pop(c, m);

	/* nvmetcli always writes "enable"; a hand-written namespace is meant
	 * to be served. */
	ns->enable = true;
	if ((r = opt_bool(c, o, "enable", &ns->enable)) < 0)
		return r;

	/* ANA group: 1..128 as in the Linux target (NVMET_MAX_ANAGRPS); newer
	 * nvmetcli also writes it as "ana": {"grpid": "1"}. */
	ns->anagrpid = 1;
	struct json_object *ana;
	if ((r = opt_obj(c, o, "ana", &ana)) < 0)
		return r;
	if (ana) {
		m = kcj_key(c, "ana");
		if ((r = opt_int(c, ana, "grpid", 1, KT_ANA_GRP_MAX, &x)) < 0)
			return r;
		if (r)
			ns->anagrpid = (uint32_t)x;
		kcj_pop(c, m);
	}
	if ((r = opt_int(c, o, "ana_grpid", 1, KT_ANA_GRP_MAX, &x)) < 0)
		return r;
	if (r)
		ns->anagrpid = (uint32_t)x;
	struct json_object *resv;
	if ((r = opt_obj(c, o, "resv", &resv)) < 0) /* reservations: not served, ignored */
		return r;

	if ((r = opt_bool(c, o, "buffered_io", &ns->buffered_io)) < 0)
		return r;
	v = member(o, "device");
	if (!v)
		return missing(c, "device");
	m = kcj_key(c, "device");
	if ((r = load_device(L, v, ns)))
		return r;
	kcj_pop(c, m);
	return 0;
}

static int load_attr(struct loader *L, struct json_object *a, struct kt_cfg_subsys *s)
{
	struct kcj *c = &L->j;
	char rb[80];
	const char *str;
	int64_t x;
	int r;
	if ((r = kcj_want_object(c, a)))
		return r;
	if ((r = opt_bool(c, a, "allow_any_host", &s->allow_any_host)) < 0)
		return r;
	if ((r = opt_int(c, a, "cntlid_min", 1, CNTLID_MAX, &x)) < 0)
		return r;
	if (r)
		s->cntlid_min = (uint16_t)x;
	if ((r = opt_int(c, a, "cntlid_max", 1, CNTLID_MAX, &x)) < 0)
		return r;
	if (r)
		s->cntlid_max = (uint16_t)x;
	if (s->cntlid_min > s->cntlid_max) {
		kcj_key(c, "cntlid_min");
		return kcj_fail(c, "%u is greater than cntlid_max (%u)", s->cntlid_min, s->cntlid_max);
	}
	if ((r = opt_int(c, a, "qid_max", 1, 65535, &x)) < 0)
		return r;
	if (r)
		s->qid_max = (uint16_t)x;

	static const struct {
		const char *key;
		size_t max;
		size_t off;
	} idents[] = {
		{ "serial", 20, offsetof(struct kt_cfg_subsys, serial) },
		{ "model", 40, offsetof(struct kt_cfg_subsys, model) },
		{ "firmware", 8, offsetof(struct kt_cfg_subsys, firmware) },
	};
	for (size_t i = 0; i < sizeof(idents) / sizeof(idents[0]); i++) {
		if ((r = opt_str(c, a, idents[i].key, &str)) < 0)
			return r;
		if (!r)
			continue;
		size_t m = kcj_key(c, idents[i].key);
		if ((r = check_ident(c, member(a, idents[i].key), str, idents[i].max)))
			return r;
		kcj_pop(c, m);
		if ((r = dup_str((char **)((char *)s + idents[i].off), str)))
			return r;
	}

	struct json_object *v = member(a, "ieee_oui");
	if (v) {
		size_t m = kcj_key(c, "ieee_oui");
		bool ok = false;
		if (json_object_is_type(v, json_type_int)) {
			x = json_object_get_int64(v);
			ok = x >= 0 && x <= 0xffffff;
		} else if (json_object_is_type(v, json_type_string)) {
			/* the kernel shows "0x%06x" and parses with base 0 */
			const char *p = json_object_get_string(v);
			char *end = NULL;
			unsigned long long u = 0;
			if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && hexval(p[2]) >= 0)
				u = strtoull(p + 2, &end, 16);
			else if (p[0] >= '0' && p[0] <= '9')
				u = strtoull(p, &end, 10);
			ok = end && *end == '\0' && u <= 0xffffff;
			x = (int64_t)u;
		} else {
			return kcj_fail(c, "expected a string, got %s", kcj_type_name(v));
		}
		if (!ok)
			return kcj_fail(c, "%s is not an IEEE OUI (24 bits, e.g. \"0x001b21\")",
					kcj_repr(v, rb, sizeof(rb)));
		s->ieee_oui = (uint32_t)x;
		kcj_pop(c, m);
	}

	if ((r = opt_str(c, a, "version", &str)) < 0)
		return r;
	if (r && !parse_version(str, &s->version)) {
		kcj_key(c, "version");
		return kcj_fail(c, "%s is not an NVMe version (\"1.3\", \"2.0\", ...)",
				kcj_repr(member(a, "version"), rb, sizeof(rb)));
	}
	/* pi_enable and attributes newer kernels add: accepted, ignored */
	return 0;
}

static int load_subsys(struct loader *L, struct json_object *o, size_t i)
{
	static const char *const keys[] = { "nqn", "attr", "allowed_hosts", "namespaces", "passthru", NULL };
	struct kcj *c = &L->j;
	struct kt_cfg_subsys *s = &L->cfg->subsys[i];
	char rb[80];
	int r;
	if ((r = kcj_want_object(c, o)) || (r = kcj_only_keys(c, o, keys)))
		return r;

	struct json_object *v = member(o, "nqn");
	if (!v)
		return missing(c, "nqn");
	const char *nqn;
	size_t m = kcj_key(c, "nqn");
	if ((r = kcj_get_string(c, v, &nqn)) || (r = check_nqn(c, v, nqn)))
		return r;
	if (!strcmp(nqn, WELL_KNOWN_DISC_NQN))
		return kcj_fail(c, "%s is the discovery NQN and cannot name a subsystem",
				kcj_repr(v, rb, sizeof(rb)));
	for (size_t k = 0; k < i; k++)
		if (!strcmp(L->cfg->subsys[k].nqn, nqn))
			return kcj_fail(c, "%s duplicates subsystems[%zu].nqn", kcj_repr(v, rb, sizeof(rb)), k);
	kcj_pop(c, m);
	if ((r = dup_str(&s->nqn, nqn)))
		return r;

	/* the Linux target's defaults */
	s->allow_any_host = false;
	s->cntlid_min = 1;
	s->cntlid_max = CNTLID_MAX;
	if ((v = member(o, "attr"))) {
		m = kcj_key(c, "attr");
		if ((r = load_attr(L, v, s)))
			return r;
		kcj_pop(c, m);
	}

	struct json_object *arr;
	size_t n;
	if ((r = opt_array(c, o, "passthru", &arr, &n)) < 0)
		return r;
	if (n) {
		kcj_key(c, "passthru");
		return kcj_fail(c, "passthru subsystems are not supported by kato");
	}

	if ((r = opt_array(c, o, "allowed_hosts", &arr, &n)) < 0)
		return r;
	if (n) {
		m = kcj_key(c, "allowed_hosts");
		if (s->allow_any_host)
			return kcj_fail(c, "lists hosts while attr.allow_any_host is 1");
		s->allowed_hosts = calloc(n, sizeof(char *));
		if (!s->allowed_hosts)
			return -ENOMEM;
		s->n_allowed_hosts = n;
		for (size_t k = 0; k < n; k++) {
			size_t m2 = kcj_idx(c, k);
			const char *h;
			v = json_object_array_get_idx(arr, k);
			if ((r = kcj_get_string(c, v, &h)))
				return r;
			bool known = false;
			for (size_t p = 0; p < L->cfg->n_hosts && !known; p++)
				known = !strcmp(L->cfg->hosts[p], h);
			if (!known)
				return kcj_fail(c, "no host %s in hosts", kcj_repr(v, rb, sizeof(rb)));
			for (size_t p = 0; p < k; p++)
				if (!strcmp(s->allowed_hosts[p], h))
					return kcj_fail(c, "%s duplicates subsystems[%zu].allowed_hosts[%zu]",
							kcj_repr(v, rb, sizeof(rb)), i, p);
			if ((r = dup_str(&s->allowed_hosts[k], h)))
				return r;
			kcj_pop(c, m2);
		}
		kcj_pop(c, m);
	}

	if ((r = opt_array(c, o, "namespaces", &arr, &n)) < 0)
		return r;
	if (n) {
		s->ns = calloc(n, sizeof(*s->ns));
		if (!s->ns)
			return -ENOMEM;
		s->n_ns = n;
		m = kcj_key(c, "namespaces");
		for (size_t k = 0; k < n; k++) {
			size_t m2 = kcj_idx(c, k);
			if ((r = load_ns(L, json_object_array_get_idx(arr, k), s, i, k)))
				return r;
			kcj_pop(c, m2);
		}
		kcj_pop(c, m);
	}
	return 0;
}

static int load_subsystems(struct loader *L, struct json_object *root)
{
	struct kcj *c = &L->j;
	struct json_object *arr;
	size_t n;
	int r = opt_array(c, root, "subsystems", &arr, &n);
	if (r <= 0)
		return r;
	L->cfg->subsys = calloc(n ? n : 1, sizeof(*L->cfg->subsys));
	if (!L->cfg->subsys)
		return -ENOMEM;
	L->cfg->n_subsys = n;
	size_t m = kcj_key(c, "subsystems");
	for (size_t i = 0; i < n; i++) {
		size_t m2 = kcj_idx(c, i);
		if ((r = load_subsys(L, json_object_array_get_idx(arr, i), i)))
			return r;
		kcj_pop(c, m2);
	}
	kcj_pop(c, m);
	return 0;
}

/* ---- ports ------------------------------------------------------------- */

/* The binary address, for telling two ports on one address apart. */
struct bin_addr {
	int af;
	uint8_t a[16];
	uint16_t port;
};

static int load_addr(struct loader *L, struct json_object *a, struct kt_cfg_port *p, struct bin_addr *ba)
{
	struct kcj *c = &L->j;
	char rb[80];
	const char *s;
	int r;
	if ((r = kcj_want_object(c, a)))
		return r;

	if ((r = opt_str(c, a, "trtype", &s)) < 0)
		return r;
	if (r && strcmp(s, "tcp") != 0) {
		kcj_key(c, "trtype");
		return kcj_fail(c, "%s is not supported (kato serves only \"tcp\")",
				kcj_repr(member(a, "trtype"), rb, sizeof(rb)));
	}
	if ((r = dup_str(&p->trtype, "tcp")))
		return r;

	const char *traddr;
	if ((r = opt_str(c, a, "traddr", &traddr)) < 0)
		return r;
	if (!r)
		return missing(c, "traddr");

	const char *adrfam = strchr(traddr, ':') ? "ipv6" : "ipv4";
	if ((r = opt_str(c, a, "adrfam", &s)) < 0)
		return r;
	if (r) {
		if (strcmp(s, "ipv4") != 0 && strcmp(s, "ipv6") != 0) {
			kcj_key(c, "adrfam");
			return kcj_fail(c, "%s is not supported (kato serves \"ipv4\" and \"ipv6\")",
					kcj_repr(member(a, "adrfam"), rb, sizeof(rb)));
		}
		adrfam = s;
	}
	ba->af = strcmp(adrfam, "ipv6") == 0 ? AF_INET6 : AF_INET;
	if (inet_pton(ba->af, traddr, ba->a) != 1) {
		kcj_key(c, "traddr");
		return kcj_fail(c, "%s is not an %s address", kcj_repr(member(a, "traddr"), rb, sizeof(rb)),
				ba->af == AF_INET6 ? "IPv6" : "IPv4");
	}
	if ((r = dup_str(&p->adrfam, adrfam)) || (r = dup_str(&p->traddr, traddr)))
		return r;

	/* nvmetcli writes a string; a JSON number is as clear */
	int64_t port = 4420;
	struct json_object *v = member(a, "trsvcid");
	if (v) {
		size_t m = kcj_key(c, "trsvcid");
		bool ok;
		if (json_object_is_type(v, json_type_int)) {
			port = json_object_get_int64(v);
			ok = true;
		} else if (json_object_is_type(v, json_type_string)) {
			ok = kcj_parse_i64(json_object_get_string(v), &port);
		} else {
			return kcj_fail(c, "expected a string, got %s", kcj_type_name(v));
		}
		if (!ok || port < 1 || port > 65535)
			return kcj_fail(c, "%s is not a port number", kcj_repr(v, rb, sizeof(rb)));
		kcj_pop(c, m);
	}
	ba->port = (uint16_t)port;
	char buf[8];
	snprintf(buf, sizeof(buf), "%u", (unsigned)port);
	if ((r = dup_str(&p->trsvcid, buf)))
		return r;

	/* tsas first: it decides what treq may be. The kernel shows "none"
	 * for a TCP port without TLS ("not required" or "not specified" on
	 * older kernels). */
	const char *tsas = "none";
	if ((r = opt_str(c, a, "tsas", &s)) < 0)
		return r;
	if (r && !strcmp(s, "tls1.3")) {
		tsas = "tls1.3";
	} else if (r && *s && strcmp(s, "none") != 0 && strcmp(s, "not required") != 0 &&
		   strcmp(s, "not specified") != 0) {
		kcj_key(c, "tsas");
		return kcj_fail(c, "%s is not a tsas value (\"none\" or \"tls1.3\")",
				kcj_repr(member(a, "tsas"), rb, sizeof(rb)));
	}
	if ((r = dup_str(&p->tsas, tsas)))
		return r;
	bool tls = !strcmp(tsas, "tls1.3");

	/* As nvmet (nvmet_addr_tsas_store): a TLS port requires TLS unless
	 * treq says "not required"; "required" without TLS has no secure
	 * channel to require. */
	const char *treq = tls ? "required" : "not specified";
	if ((r = opt_str(c, a, "treq", &s)) < 0)
		return r;
	if (r && !(tls && !strcmp(s, "not specified")))
		treq = s;
	if (!strcmp(treq, "required") && !tls) {
		kcj_key(c, "treq");
		return kcj_fail(c, "\"required\" asks for a secure channel: set addr.tsas to \"tls1.3\"");
	}
	if (strcmp(treq, "not specified") != 0 && strcmp(treq, "not required") != 0 &&
	    strcmp(treq, "required") != 0) {
		kcj_key(c, "treq");
		return kcj_fail(c, "%s is not a treq value (\"not specified\", \"required\" or \"not required\")",
				kcj_repr(member(a, "treq"), rb, sizeof(rb)));
	}
	if ((r = dup_str(&p->treq, treq)))
		return r;
	/* addr_portid and other attributes: accepted, ignored */
	return 0;
}

static int cmp_ana_group(const void *a, const void *b)
{
	const struct kt_cfg_ana_group *x = a, *y = b;
	return x->grpid < y->grpid ? -1 : x->grpid > y->grpid;
}

/* A port's "ana_groups" (the rules are in the header comment); arr is an
 * array of n > 0 entries, port i's. */
static int load_ana_groups(struct loader *L, struct json_object *arr, size_t n, struct kt_cfg_port *p,
			   size_t i)
{
	static const char *const keys[] = { "grpid", "ana", NULL };
	struct kcj *c = &L->j;
	char rb[80];
	int r;

	p->ana = calloc(n, sizeof(*p->ana));
	if (!p->ana)
		return -ENOMEM;
	p->n_ana = n;
	size_t m = kcj_key(c, "ana_groups");
	for (size_t k = 0; k < n; k++) {
		struct json_object *g = json_object_array_get_idx(arr, k), *ana;
		struct kt_cfg_ana_group *a = &p->ana[k];
		size_t m2 = kcj_idx(c, k);
		const char *name;
		int64_t x;

		if ((r = kcj_want_object(c, g)) || (r = kcj_only_keys(c, g, keys)))
			return r;
		if ((r = opt_int(c, g, "grpid", 1, KT_ANA_GRP_MAX, &x)) < 0)
			return r;
		if (!r)
			return missing(c, "grpid");
		for (size_t q = 0; q < k; q++)
			if (p->ana[q].grpid == (uint32_t)x) {
				kcj_key(c, "grpid");
				return kcj_fail(c, "%s duplicates ports[%zu].ana_groups[%zu].grpid",
						kcj_repr(member(g, "grpid"), rb, sizeof(rb)), i, q);
			}
		a->grpid = (uint32_t)x;
		a->state = a->grpid == 1 ? NVME_ANA_STATE_OPTIMIZED : NVME_ANA_STATE_INACCESSIBLE;

		if ((r = opt_obj(c, g, "ana", &ana)) < 0)
			return r;
		if (ana) {
			size_t m3 = kcj_key(c, "ana");
			if ((r = opt_str(c, ana, "state", &name)) < 0)
				return r;
			if (r) {
				int st = kt_ana_state_parse(name);
				if (st < 0) {
					kcj_key(c, "state");
					return kcj_fail(c, "%s is not an ANA state (\"optimized\", \"non-optimized\", "
							   "\"inaccessible\", \"persistent-loss\" or \"change\")",
							kcj_repr(member(ana, "state"), rb, sizeof(rb)));
				}
				a->state = (uint8_t)st;
			}
			/* other attributes (nvmet has none today): accepted, ignored */
			kcj_pop(c, m3);
		}
		kcj_pop(c, m2);
	}
	kcj_pop(c, m);
	qsort(p->ana, n, sizeof(*p->ana), cmp_ana_group);
	return 0;
}

static int load_port(struct loader *L, struct json_object *o, size_t i, struct bin_addr *addrs)
{
	static const char *const keys[] = { "portid", "addr", "param", "subsystems", "referrals",
					    "ana_groups", NULL };
	struct kcj *c = &L->j;
	struct kt_cfg_port *p = &L->cfg->ports[i];
	char rb[80];
	int64_t x;
	int r;
	if ((r = kcj_want_object(c, o)) || (r = kcj_only_keys(c, o, keys)))
		return r;

	if ((r = opt_int(c, o, "portid", 0, 65535, &x)) < 0)
		return r;
	if (!r)
		return missing(c, "portid");
	p->portid = (uint16_t)x;
	for (size_t k = 0; k < i; k++)
		if (L->cfg->ports[k].portid == p->portid) {
			kcj_key(c, "portid");
			return kcj_fail(c, "%s duplicates ports[%zu].portid",
					kcj_repr(member(o, "portid"), rb, sizeof(rb)), k);
		}

	struct json_object *v = member(o, "addr");
	if (!v)
		return missing(c, "addr");
	size_t m = kcj_key(c, "addr");
	if ((r = load_addr(L, v, p, &addrs[i])))
		return r;
	for (size_t k = 0; k < i; k++)
		if (addrs[k].af == addrs[i].af && addrs[k].port == addrs[i].port &&
		    !memcmp(addrs[k].a, addrs[i].a, sizeof(addrs[i].a)))
			return kcj_fail(c, "%s port %s duplicates the address of ports[%zu]", p->traddr,
					p->trsvcid, k);
	kcj_pop(c, m);

	struct json_object *param;
	if ((r = opt_obj(c, o, "param", &param)) < 0)
		return r;
	if (param) {
		m = kcj_key(c, "param");
		/* -1 is the kernel's "let the transport choose" (kept as 0, the
		 * default); 0 would mean no in-capsule data at all, which the
		 * description cannot tell from the default, and kato always
		 * accepts some, so it is refused rather than silently changed. */
		if ((r = opt_int(c, param, "inline_data_size", -1, INLINE_MAX, &x)) < 0)
			return r;
		if (r && x == 0) {
			kcj_key(c, "inline_data_size");
			return kcj_fail(c, "%s is not supported: kato always accepts in-capsule data (-1 selects the default)",
					kcj_repr(member(param, "inline_data_size"), rb, sizeof(rb)));
		}
		if (r)
			p->inline_data_size = x < 0 ? 0 : (uint32_t)x;
		kcj_pop(c, m);
		/* pi_enable, max_queue_size, ...: accepted, ignored */
	}

	struct json_object *arr;
	size_t n;
	if ((r = opt_array(c, o, "subsystems", &arr, &n)) < 0)
		return r;
	if (n) {
		p->subsystems = calloc(n, sizeof(char *));
		if (!p->subsystems)
			return -ENOMEM;
		p->n_subsystems = n;
		m = kcj_key(c, "subsystems");
		for (size_t k = 0; k < n; k++) {
			size_t m2 = kcj_idx(c, k);
			const char *nqn;
			v = json_object_array_get_idx(arr, k);
			if ((r = kcj_get_string(c, v, &nqn)))
				return r;
			bool known = false;
			for (size_t q = 0; q < L->cfg->n_subsys && !known; q++)
				known = !strcmp(L->cfg->subsys[q].nqn, nqn);
			if (!known)
				return kcj_fail(c, "no subsystem %s", kcj_repr(v, rb, sizeof(rb)));
			for (size_t q = 0; q < k; q++)
				if (!strcmp(p->subsystems[q], nqn))
					return kcj_fail(c, "%s duplicates ports[%zu].subsystems[%zu]",
							kcj_repr(v, rb, sizeof(rb)), i, q);
			if ((r = dup_str(&p->subsystems[k], nqn)))
				return r;
			kcj_pop(c, m2);
		}
		kcj_pop(c, m);
	}

	/* referrals: kato serves none; accepted, ignored */
	if ((r = opt_array(c, o, "referrals", &arr, &n)) < 0)
		return r;
	if ((r = opt_array(c, o, "ana_groups", &arr, &n)) < 0)
		return r;
	if (n && (r = load_ana_groups(L, arr, n, p, i)))
		return r;
	return 0;
}

static int load_ports(struct loader *L, struct json_object *root)
{
	struct kcj *c = &L->j;
	struct json_object *arr;
	size_t n;
	int r = opt_array(c, root, "ports", &arr, &n);
	if (r <= 0)
		return r;
	L->cfg->ports = calloc(n ? n : 1, sizeof(*L->cfg->ports));
	struct bin_addr *addrs = calloc(n ? n : 1, sizeof(*addrs));
	if (!L->cfg->ports || !addrs) {
		free(addrs);
		return -ENOMEM;
	}
	L->cfg->n_ports = n;
	size_t m = kcj_key(c, "ports");
	r = 0;
	for (size_t i = 0; i < n; i++) {
		size_t m2 = kcj_idx(c, i);
		if ((r = load_port(L, json_object_array_get_idx(arr, i), i, addrs)))
			break;
		kcj_pop(c, m2);
	}
	free(addrs);
	if (r)
		return r;
	kcj_pop(c, m);
	return 0;
}

/* ---- katod.keepalive --------------------------------------------------- */

/* The keep-alive policy rule vocabulary (proto/kapolicy.h), read here for
 * the configuration file's "katod.keepalive.policy" rules and, through
 * kt_config_parse_ka_scope/_pol, for the control socket's
 * keepalive.policy.* parameters: one reader, one set of words and limits. */

/* The scope keys of o: 0 when none, 1 with *s, or an error when o names
 * more than one. Other keys are not looked at. */
static int read_ka_scope(struct kcj *c, struct json_object *o, struct kt_kapol_scope *s)
{
	static const struct {
		const char *key;
		enum kt_kapol_kind kind;
	} sk[] = { { "host", KT_KAPOL_HOST }, { "subsystem", KT_KAPOL_SUBSYS } };
	const char *str;
	int64_t x;
	int rc, scopes = 0;
	memset(s, 0, sizeof(*s));
	for (size_t k = 0; k < 2; k++) {
		if ((rc = opt_str(c, o, sk[k].key, &str)) < 0)
			return rc;
		if (!rc)
			continue;
		size_t m = kcj_key(c, sk[k].key);
		if ((rc = check_nqn(c, member(o, sk[k].key), str)))
			return rc;
		kcj_pop(c, m);
		s->kind = sk[k].kind;
		snprintf(s->nqn, sizeof(s->nqn), "%s", str);
		scopes++;
	}
	if ((rc = opt_int(c, o, "cntlid", 1, CNTLID_MAX, &x)) < 0)
		return rc;
	if (rc) {
		s->kind = KT_KAPOL_CNTLID;
		s->cntlid = (uint16_t)x;
		scopes++;
	}
	if (scopes > 1)
		return kcj_fail(c, "a rule needs exactly one of \"host\", \"subsystem\" or \"cntlid\"");
	return scopes;
}

/* The behaviour keys of o (at least one). Other keys are not looked at. */
static int read_ka_pol(struct kcj *c, struct json_object *o, struct kt_kapol *p)
{
	char rb[80];
	int64_t x;
	bool b;
	int rc;
	memset(p, 0, sizeof(*p));
	if ((rc = opt_int(c, o, "delay_ms", 0, KT_KAPOL_DELAY_MAX, &x)) < 0)
		return rc;
	if (rc) {
		p->set |= KT_KAPOL_F_DELAY;
		p->delay_ms = (uint32_t)x;
	}
	if ((rc = opt_bool(c, o, "drop", &b)) < 0)
		return rc;
	if (rc) {
		p->set |= KT_KAPOL_F_DROP;
		p->drop = b;
	}
	/* an NVMe status as the CQE carries it without the phase bit:
	 * SCT 10:8, SC 7:0, DNR 14 (e.g. 0x4002 Invalid Field, DNR) */
	if ((rc = opt_int(c, o, "status", 0, 0x7fff, &x)) < 0)
		return rc;
	if (rc) {
		p->set |= KT_KAPOL_F_STATUS;
		p->status = (uint16_t)x;
	}
	if ((rc = opt_bool(c, o, "ignore_traffic", &b)) < 0)
		return rc;
	if (rc) {
		p->set |= KT_KAPOL_F_IGNORE_TRAFFIC;
		p->ignore_traffic = b;
	}
	/* true (Invalid Field in Command, DNR), false, or the status to fail with */
	struct json_object *v = member(o, "refuse_set_kato");
	if (v) {
		size_t m = kcj_key(c, "refuse_set_kato");
		p->set |= KT_KAPOL_F_REFUSE_SET_KATO;
		if (json_object_is_type(v, json_type_boolean)) {
			p->refuse_set_kato = json_object_get_boolean(v);
		} else {
			if ((rc = kcj_get_int(c, v, 1, 0x7fff, &x)))
				return rc;
			p->refuse_set_kato = true;
			p->refuse_status = (uint16_t)x;
		}
		kcj_pop(c, m);
	}
	if ((rc = opt_int(c, o, "kas", 1, 65535, &x)) < 0)
		return rc;
	if (rc) {
		p->set |= KT_KAPOL_F_KAS;
		p->kas = (uint16_t)x;
	}
	/* a fraction of KATO (0 < f <= 10), or "never" */
	v = member(o, "expire");
	if (v) {
		size_t m = kcj_key(c, "expire");
		p->set |= KT_KAPOL_F_EXPIRE;
		if (json_object_is_type(v, json_type_string) && !strcmp(json_object_get_string(v), "never")) {
			p->expire_permille = 0;
		} else if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) {
			double f = json_object_get_double(v);
			if (!(f > 0 && f <= KT_KAPOL_EXPIRE_MAX / 1000.0) || f * 1000 < 1)
				return kcj_fail(c, "%s is not a fraction of KATO from 0.001 to %u, or \"never\"",
						kcj_repr(v, rb, sizeof(rb)), KT_KAPOL_EXPIRE_MAX / 1000u);
			p->expire_permille = (uint32_t)(f * 1000 + 0.5);
		} else {
			return kcj_fail(c, "%s is not a fraction of KATO or \"never\"", kcj_repr(v, rb, sizeof(rb)));
		}
		kcj_pop(c, m);
	}
	if (!p->set)
		return kcj_fail(c, "the rule changes nothing (delay_ms, drop, status, expire, "
				   "ignore_traffic, refuse_set_kato or kas)");
	return 0;
}

/* A reader for o outside a file: errors name path (e.g. "params"). */
static int read_at(struct kcj *c, struct json_object *o, const char *path, char *err, size_t errlen)
{
	kcj_init(c, err, errlen);
	kcj_key(c, path);
	return kcj_want_object(c, o);
}

int kt_config_parse_ka_scope(struct json_object *o, const char *path, struct kt_kapol_scope *out, char *err,
			     size_t errlen)
{
	struct kcj c;
	int rc = read_at(&c, o, path, err, errlen);
	return rc ? rc : read_ka_scope(&c, o, out);
}

int kt_config_parse_ka_pol(struct json_object *o, const char *path, struct kt_kapol *out, char *err,
			   size_t errlen)
{
	struct kcj c;
	int rc = read_at(&c, o, path, err, errlen);
	return rc ? rc : read_ka_pol(&c, o, out);
}

/* One policy rule: exactly one scope key ("host", "subsystem" or "cntlid"),
 * not the scope of an earlier rule, and at least one behaviour. */
static int load_ka_rule(struct loader *L, struct json_object *o, struct kt_kapol_rule *r, size_t i)
{
	static const char *const keys[] = { "host", "subsystem", "cntlid", "delay_ms", "drop", "status",
					    "expire", "ignore_traffic", "refuse_set_kato", "kas", NULL };
	struct kcj *c = &L->j;
	int rc;
	if ((rc = kcj_want_object(c, o)) || (rc = kcj_only_keys(c, o, keys)) ||
	    (rc = read_ka_scope(c, o, &r->scope)) < 0)
		return rc;
	if (!rc)
		return kcj_fail(c, "a rule needs exactly one of \"host\", \"subsystem\" or \"cntlid\"");
	for (size_t k = 0; k < i; k++)
		if (kt_kapol_scope_equal(&L->cfg->daemon.ka_rules[k].scope, &r->scope))
			return kcj_fail(c, "the same scope as policy[%zu]", k);
	return read_ka_pol(c, o, &r->pol);
}

static int load_keepalive(struct loader *L, struct json_object *katod)
{
	static const char *const keys[] = { "tbkas", "trace", "tcp_idle_s", "tcp_interval_s", "tcp_count",
					    "policy", NULL };
	struct kcj *c = &L->j;
	struct kt_cfg_daemon *d = &L->cfg->daemon;
	struct json_object *o, *arr;
	const char *s;
	int64_t x;
	size_t n;
	int r;
	if ((r = opt_obj(c, katod, "keepalive", &o)) <= 0)
		return r;
	size_t m = kcj_key(c, "keepalive");
	if ((r = kcj_only_keys(c, o, keys)))
		return r;
	if ((r = opt_bool(c, o, "tbkas", &d->tbkas)) < 0)
		return r;
	static const struct {
		const char *key;
		int64_t lo, hi;
		size_t off;
	} nums[] = {
		{ "tcp_idle_s", 1, 7200, offsetof(struct kt_cfg_daemon, tcp_ka_idle_s) },
		{ "tcp_interval_s", 1, 600, offsetof(struct kt_cfg_daemon, tcp_ka_interval_s) },
		{ "tcp_count", 1, 127, offsetof(struct kt_cfg_daemon, tcp_ka_count) },
	};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if ((r = opt_int(c, o, nums[i].key, nums[i].lo, nums[i].hi, &x)) < 0)
			return r;
		if (r)
			*(unsigned *)((char *)d + nums[i].off) = (unsigned)x;
	}
	if ((r = opt_str(c, o, "trace", &s)) < 0)
		return r;
	if (r && *s && (r = dup_str(&d->ka_trace, s)))
		return r;
	if ((r = opt_array(c, o, "policy", &arr, &n)) < 0)
		return r;
	if (n) {
		size_t m2 = kcj_key(c, "policy");
		if (n > KT_KAPOL_RULES_MAX)
			return kcj_fail(c, "%zu rules (at most %d)", n, KT_KAPOL_RULES_MAX);
		d->ka_rules = calloc(n, sizeof(*d->ka_rules));
		if (!d->ka_rules)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			size_t m3 = kcj_idx(c, i);
			if ((r = load_ka_rule(L, json_object_array_get_idx(arr, i), &d->ka_rules[i], i)))
				return r;
			d->n_ka_rules = i + 1;
			kcj_pop(c, m3);
		}
		kcj_pop(c, m2);
	}
	kcj_pop(c, m);
	return 0;
}

/* ---- katod.faults ------------------------------------------------------ */

/* The fault rule vocabulary (proto/faults.h), read here for the
 * configuration's "katod.faults" and, through kt_config_parse_fault_rule,
 * for the control socket: one reader, one set of words and limits. Every
 * key of a rule and of its parts is read: an unknown one is refused. */

#define ACTION_KEYS "\"delay_ms\", \"hold\", \"status\", \"close\", \"stall_reads_ms\" or \"corrupt_data_digest\""

/* "match": each criterion optional; the cross-field rules are proto's
 * (kt_fault_match_problem), reported at "match". */
static int read_fault_match(struct kcj *c, struct json_object *o, struct kt_fault_match *m)
{
	static const char *const keys[] = { "host", "subsystem", "cntlid", "qid", "set", "opcode", "nsid", "lba",
					    NULL };
	static const struct {
		const char *key;
		uint32_t bit;
		size_t off;
	} nqns[] = { { "host", KT_FAULT_M_HOST, offsetof(struct kt_fault_match, host) },
		     { "subsystem", KT_FAULT_M_SUBSYS, offsetof(struct kt_fault_match, subsys) } };
	char rb[80];
	const char *s;
	int64_t x;
	int rc;
	if ((rc = kcj_want_object(c, o)) || (rc = kcj_only_keys(c, o, keys)))
		return rc;
	for (size_t k = 0; k < sizeof(nqns) / sizeof(nqns[0]); k++) {
		if ((rc = opt_str(c, o, nqns[k].key, &s)) < 0)
			return rc;
		if (!rc)
			continue;
		size_t m2 = kcj_key(c, nqns[k].key);
		if ((rc = check_nqn(c, member(o, nqns[k].key), s)))
			return rc;
		kcj_pop(c, m2);
		m->has |= nqns[k].bit;
		snprintf((char *)m + nqns[k].off, KT_NQN_MAX + 1, "%s", s);
	}
	if ((rc = opt_int(c, o, "cntlid", 0, KT_FAULT_CNTLID_MAX, &x)) < 0)
		return rc;
	if (rc) {
		m->has |= KT_FAULT_M_CNTLID;
		m->cntlid = (uint16_t)x;
	}
	if ((rc = opt_int(c, o, "qid", 0, KT_FAULT_QID_MAX, &x)) < 0)
		return rc;
	if (rc) {
		m->has |= KT_FAULT_M_QID;
		m->qid = (uint16_t)x;
	}
	if ((rc = opt_int(c, o, "nsid", 0, UINT32_MAX, &x)) < 0)
		return rc;
	if (rc) {
		m->has |= KT_FAULT_M_NSID;
		m->nsid = (uint32_t)x;
	}
	if ((rc = opt_str(c, o, "set", &s)) < 0)
		return rc;
	if (rc) {
		if (kt_fault_set_lookup(s, &m->set)) {
			kcj_key(c, "set");
			return kcj_fail(c, "%s is not a command set (\"admin\", \"io\" or \"fabrics\")",
					kcj_repr(member(o, "set"), rb, sizeof(rb)));
		}
		m->has |= KT_FAULT_M_SET;
	}
	/* a name ("read", "identify", "connect": it gives the set) or a
	 * number in the named set (FCTYPE for "fabrics") */
	struct json_object *v = member(o, "opcode");
	if (v) {
		size_t m2 = kcj_key(c, "opcode");
		if (json_object_is_type(v, json_type_string)) {
			enum kt_fault_set set;
			if ((rc = kcj_get_string(c, v, &s)))
				return rc;
			if (kt_fault_opcode_lookup(s, &set, &m->opcode))
				return kcj_fail(c, "%s is not a command name (e.g. \"read\", \"write\", \"identify\", "
						"\"keep_alive\", \"connect\"; or a number with \"set\")",
						kcj_repr(v, rb, sizeof(rb)));
			if ((m->has & KT_FAULT_M_SET) && m->set != set)
				return kcj_fail(c, "%s is a command of set \"%s\", not \"%s\"", kcj_repr(v, rb, sizeof(rb)),
						kt_fault_set_name(set), kt_fault_set_name(m->set));
			m->set = set;
			m->has |= KT_FAULT_M_SET;
		} else {
			if ((rc = kcj_get_int(c, v, 0, 255, &x)))
				return rc;
			if (!(m->has & KT_FAULT_M_SET))
				return kcj_fail(c, "an opcode number needs \"set\" (\"admin\", \"io\" or \"fabrics\")");
			m->opcode = (uint8_t)x;
		}
		m->has |= KT_FAULT_M_OPCODE;
		kcj_pop(c, m2);
	}
	/* [first, last], both included */
	v = member(o, "lba");
	if (v) {
		size_t m2 = kcj_key(c, "lba");
		int64_t b[2];
		if ((rc = kcj_want_array(c, v)))
			return rc;
		if (json_object_array_length(v) != 2)
			return kcj_fail(c, "%s is not [first, last]", kcj_repr(v, rb, sizeof(rb)));
		for (size_t i = 0; i < 2; i++) {
			size_t m3 = kcj_idx(c, i);
			if ((rc = kcj_get_int(c, json_object_array_get_idx(v, i), 0, INT64_MAX, &b[i])))
				return rc;
			kcj_pop(c, m3);
		}
		if (b[0] > b[1])
			return kcj_fail(c, "%s ends before it starts", kcj_repr(v, rb, sizeof(rb)));
		m->has |= KT_FAULT_M_LBA;
		m->lba_first = (uint64_t)b[0];
		m->lba_last = (uint64_t)b[1];
		kcj_pop(c, m2);
	}
	const char *why = kt_fault_match_problem(m);
	return why ? kcj_fail(c, "%s", why) : 0;
}

/* "0x" and 1..digits hex digits: true and *out. */
static bool parse_hex(const char *s, unsigned digits, uint64_t *out)
{
	if ((s[0] != '0') || (s[1] != 'x' && s[1] != 'X') || !s[2] || strlen(s + 2) > digits)
		return false;
	uint64_t v = 0;
	for (s += 2; *s; s++) {
		int h = hexval(*s);
		if (h < 0)
			return false;
		v = v << 4 | (uint64_t)h;
	}
	*out = v;
	return true;
}

/* A status: a number (as the CQE carries it without the phase bit: SC
 * 7:0, SCT 10:8, CRD 12:11, More 13, DNR 14), a string ("0x4302", decimal
 * digits, or a name: kt_fault_status_lookup), or {"sct", "sc"} or
 * {"name"}, with "dnr", "more", "crd". proto says which are allowed. */
static int read_fault_status(struct kcj *c, struct json_object *v, uint16_t *out)
{
	static const char *const keys[] = { "name", "sct", "sc", "dnr", "more", "crd", NULL };
	char rb[80];
	const char *s;
	uint64_t h;
	int64_t x;
	bool b;
	int rc;
	uint16_t st = 0;
	if (json_object_is_type(v, json_type_int)) {
		if ((rc = kcj_get_int(c, v, 0, 0xffff, &x)))
			return rc;
		st = (uint16_t)x;
	} else if (json_object_is_type(v, json_type_string)) {
		if ((rc = kcj_get_string(c, v, &s)))
			return rc;
		if (parse_hex(s, 4, &h))
			st = (uint16_t)h;
		else if (kcj_parse_i64(s, &x) && x >= 0 && x <= 0xffff)
			st = (uint16_t)x;
		else if (kt_fault_status_lookup(s, &st))
			return kcj_fail(c, "%s is not a status (a number, \"0x\" and hex digits, or a name such as "
					"\"namespace_not_ready\", \"transient_transport_error\", \"ana_inaccessible\", "
					"\"host_path_error\")", kcj_repr(v, rb, sizeof(rb)));
	} else if (json_object_is_type(v, json_type_object)) {
		if ((rc = kcj_only_keys(c, v, keys)))
			return rc;
		if ((rc = opt_str(c, v, "name", &s)) < 0)
			return rc;
		if (rc) {
			if (member(v, "sct") || member(v, "sc"))
				return kcj_fail(c, "\"name\" or \"sct\" and \"sc\", not both");
			if (kt_fault_status_lookup(s, &st)) {
				kcj_key(c, "name");
				return kcj_fail(c, "%s is not a status name (e.g. \"namespace_not_ready\", "
						"\"transient_transport_error\", \"ana_inaccessible\", \"host_path_error\")",
						kcj_repr(member(v, "name"), rb, sizeof(rb)));
			}
		} else {
			if (!member(v, "sc"))
				return missing(c, "sc");
			if ((rc = opt_int(c, v, "sct", 0, 7, &x)) < 0)
				return rc;
			st = rc ? (uint16_t)(x << NVME_SCT_SHIFT) : 0;
			if ((rc = opt_int(c, v, "sc", 0, 255, &x)) < 0)
				return rc;
			st |= (uint16_t)x;
		}
		if ((rc = opt_int(c, v, "crd", 0, 3, &x)) < 0)
			return rc;
		if (rc)
			st |= (uint16_t)(x << 11);
		if ((rc = opt_bool(c, v, "more", &b)) < 0)
			return rc;
		if (rc && b)
			st |= NVME_SC_MORE;
		if ((rc = opt_bool(c, v, "dnr", &b)) < 0)
			return rc;
		if (rc && b)
			st |= KT_SC_DNR;
	} else {
		return kcj_fail(c, "expected a status (an integer, a string or an object), got %s", kcj_type_name(v));
	}
	const char *why = kt_fault_status_problem(st);
	if (why)
		return kcj_fail(c, "%s %s", kcj_repr(v, rb, sizeof(rb)), why);
	*out = st;
	return 0;
}

/* "action": exactly one of ACTION_KEYS. */
static int read_fault_action(struct kcj *c, struct json_object *o, struct kt_fault_action *a)
{
	static const char *const keys[] = { "delay_ms", "hold", "status", "close", "stall_reads_ms",
					    "corrupt_data_digest", NULL };
	char rb[80];
	const char *s, *which = NULL;
	int64_t x;
	bool b;
	int rc;
	if ((rc = kcj_want_object(c, o)) || (rc = kcj_only_keys(c, o, keys)))
		return rc;
	for (size_t k = 0; keys[k]; k++) {
		if (!member(o, keys[k]))
			continue;
		if (which)
			return kcj_fail(c, "an action is one of " ACTION_KEYS ": \"%s\" and \"%s\" both given", which,
					keys[k]);
		which = keys[k];
	}
	if (!which)
		return kcj_fail(c, "an action needs one of " ACTION_KEYS);
	size_t m = kcj_key(c, which);
	struct json_object *v = member(o, which);
	if (!strcmp(which, "delay_ms") || !strcmp(which, "stall_reads_ms")) {
		if ((rc = kcj_get_int(c, v, 1, KT_FAULT_MS_MAX, &x)))
			return rc;
		a->kind = which[0] == 'd' ? KT_FAULT_DELAY : KT_FAULT_STALL_READS;
		a->ms = (uint32_t)x;
	} else if (!strcmp(which, "hold") || !strcmp(which, "corrupt_data_digest")) {
		if ((rc = kcj_get_bool(c, v, &b)))
			return rc;
		if (!b)
			return kcj_fail(c, "takes only true (false would be no action)");
		a->kind = which[0] == 'h' ? KT_FAULT_HOLD : KT_FAULT_CORRUPT_DDGST;
	} else if (!strcmp(which, "status")) {
		if ((rc = read_fault_status(c, v, &a->status)))
			return rc;
		a->kind = KT_FAULT_STATUS;
	} else {
		if ((rc = kcj_get_string(c, v, &s)))
			return rc;
		if (!strcmp(s, "before"))
			a->kind = KT_FAULT_CLOSE_BEFORE;
		else if (!strcmp(s, "after"))
			a->kind = KT_FAULT_CLOSE_AFTER;
		else
			return kcj_fail(c, "%s is not \"before\" or \"after\" (executing the command)",
					kcj_repr(v, rb, sizeof(rb)));
	}
	kcj_pop(c, m);
	return 0;
}

/* "seed": an integer 0..INT64_MAX (or its decimal string), or "0x" and 1
 * to 16 hex digits for the whole 64 bits. */
static int read_fault_seed(struct kcj *c, struct json_object *v, uint64_t *out)
{
	char rb[80];
	int64_t x;
	if (json_object_is_type(v, json_type_string) && parse_hex(json_object_get_string(v), 16, out) &&
	    strlen(json_object_get_string(v)) == (size_t)json_object_get_string_len(v))
		return 0;
	if (json_object_is_type(v, json_type_string) && !kcj_parse_i64(json_object_get_string(v), &x))
		return kcj_fail(c, "%s is not a seed (an integer, or \"0x\" and 1 to 16 hex digits)",
				kcj_repr(v, rb, sizeof(rb)));
	int rc = kcj_get_int(c, v, 0, INT64_MAX, &x);
	if (rc)
		return rc;
	*out = (uint64_t)x;
	return 0;
}

/* "fire": "always", {"first": N} or {"probability": P, "seed": S}. */
static int read_fault_fire(struct kcj *c, struct json_object *v, struct kt_fault_fire *f)
{
	static const char *const keys[] = { "first", "probability", "seed", NULL };
	char rb[80];
	int64_t x;
	int rc;
	memset(f, 0, sizeof(*f));
	if (json_object_is_type(v, json_type_string)) {
		if (!strcmp(json_object_get_string(v), "always"))
			return 0;
		return kcj_fail(c, "%s is not \"always\" (or {\"first\": N} or {\"probability\": P, \"seed\": S})",
				kcj_repr(v, rb, sizeof(rb)));
	}
	if (!json_object_is_type(v, json_type_object))
		return kcj_fail(c, "expected \"always\" or an object, got %s", kcj_type_name(v));
	if ((rc = kcj_only_keys(c, v, keys)))
		return rc;
	struct json_object *first = member(v, "first"), *p = member(v, "probability"), *seed = member(v, "seed");
	if (first && p)
		return kcj_fail(c, "\"first\" or \"probability\", not both");
	if (first) {
		if (seed) {
			kcj_key(c, "seed");
			return kcj_fail(c, "goes with \"probability\" only");
		}
		if ((rc = opt_int(c, v, "first", 1, UINT32_MAX, &x)) < 0)
			return rc;
		f->kind = KT_FAULT_FIRE_FIRST;
		f->first = (uint32_t)x;
		return 0;
	}
	if (!p)
		return kcj_fail(c, "a firing condition needs \"first\" or \"probability\" (or is \"always\")");
	size_t m = kcj_key(c, "probability");
	/* parts per million: 0.000001 to 1 */
	if (!json_object_is_type(p, json_type_double) && !json_object_is_type(p, json_type_int))
		return kcj_fail(c, "expected a number, got %s", kcj_type_name(p));
	double d = json_object_get_double(p);
	if (!(d > 0 && d <= 1) || d * KT_FAULT_PPM + 0.5 < 1)
		return kcj_fail(c, "%s is not a probability from 0.000001 to 1", kcj_repr(p, rb, sizeof(rb)));
	f->kind = KT_FAULT_FIRE_PROB;
	f->ppm = (uint32_t)(d * KT_FAULT_PPM + 0.5);
	kcj_pop(c, m);
	if (seed) {
		m = kcj_key(c, "seed");
		if ((rc = read_fault_seed(c, seed, &f->seed)))
			return rc;
		kcj_pop(c, m);
	}
	return 0;
}

/* One rule: "action" required; "name", "match", "fire", "expire_ms". */
static int read_fault_rule(struct kcj *c, struct json_object *o, struct kt_fault_rule *r)
{
	static const char *const keys[] = { "name", "match", "action", "fire", "expire_ms", NULL };
	char rb[80];
	const char *s;
	int64_t x;
	int rc;
	memset(r, 0, sizeof(*r));
	if ((rc = kcj_want_object(c, o)) || (rc = kcj_only_keys(c, o, keys)))
		return rc;
	if ((rc = opt_str(c, o, "name", &s)) < 0)
		return rc;
	if (rc) {
		if (!kt_fault_name_ok(s)) {
			kcj_key(c, "name");
			return kcj_fail(c, "%s is not a rule name (1 to %d of A-Z a-z 0-9 . _ : -, not only digits)",
					kcj_repr(member(o, "name"), rb, sizeof(rb)), KT_FAULT_NAME_MAX);
		}
		snprintf(r->name, sizeof(r->name), "%s", s);
	}
	struct json_object *v = member(o, "match");
	if (v) {
		size_t m = kcj_key(c, "match");
		if ((rc = read_fault_match(c, v, &r->match)))
			return rc;
		kcj_pop(c, m);
	}
	v = member(o, "action");
	if (!v)
		return missing(c, "action");
	size_t m = kcj_key(c, "action");
	if ((rc = read_fault_action(c, v, &r->action)))
		return rc;
	kcj_pop(c, m);
	v = member(o, "fire");
	if (v) {
		m = kcj_key(c, "fire");
		if ((rc = read_fault_fire(c, v, &r->fire)))
			return rc;
		kcj_pop(c, m);
	}
	if ((rc = opt_int(c, o, "expire_ms", 1, KT_FAULT_EXPIRE_MAX, &x)) < 0)
		return rc;
	if (rc)
		r->expire_ms = (uint64_t)x;
	/* what proto refuses was refused above, with its key */
	return kt_fault_rule_check(r) ? kcj_fail(c, "not a valid rule") : 0;
}

int kt_config_parse_fault_rule(struct json_object *o, const char *path, struct kt_fault_rule *out, char *err,
			       size_t errlen)
{
	struct kcj c;
	int rc = read_at(&c, o, path, err, errlen);
	return rc ? rc : read_fault_rule(&c, o, out);
}

/* "katod.faults": at most KT_FAULT_RULES_MAX rules, names unique. */
static int load_faults(struct loader *L, struct json_object *katod)
{
	struct kcj *c = &L->j;
	struct kt_cfg_daemon *d = &L->cfg->daemon;
	struct json_object *arr;
	size_t n;
	int r;
	if ((r = opt_array(c, katod, "faults", &arr, &n)) <= 0 || !n)
		return r < 0 ? r : 0;
	size_t m = kcj_key(c, "faults");
	if (n > KT_FAULT_RULES_MAX)
		return kcj_fail(c, "%zu rules (at most %d)", n, KT_FAULT_RULES_MAX);
	d->faults = calloc(n, sizeof(*d->faults));
	if (!d->faults)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t m2 = kcj_idx(c, i);
		struct kt_fault_rule *fr = &d->faults[i];
		if ((r = read_fault_rule(c, json_object_array_get_idx(arr, i), fr)))
			return r;
		d->n_faults = i + 1;
		for (size_t k = 0; fr->name[0] && k < i; k++)
			if (!strcmp(d->faults[k].name, fr->name)) {
				kcj_key(c, "name");
				return kcj_fail(c, "\"%s\" is also the name of faults[%zu]", fr->name, k);
			}
		kcj_pop(c, m2);
	}
	kcj_pop(c, m);
	return 0;
}

/* ---- katod ------------------------------------------------------------- */

static int load_katod(struct loader *L, struct json_object *root)
{
	static const char *const keys[] = { "workers", "log_level", "discovery_nqn", "kas",
					    "disc_activity_timeout_ms", "mdts", "max_queue_size",
					    "digests", "control_socket", "tls_keyring", "keepalive", "faults", NULL };
	static const char *const levels[] = { "error", "warn", "info", "debug", NULL };
	struct kcj *c = &L->j;
	struct kt_cfg_daemon *d = &L->cfg->daemon;
	char rb[80];
	const char *s;
	int64_t x;
	int r;
	struct json_object *o;
	if ((r = opt_obj(c, root, "katod", &o)) <= 0)
		return r;
	size_t m = kcj_key(c, "katod");
	if ((r = kcj_only_keys(c, o, keys)))
		return r;

	static const struct {
		const char *key;
		int64_t lo, hi;
		size_t off;
	} nums[] = {
		{ "workers", 0, 1024, offsetof(struct kt_cfg_daemon, workers) },
		/* kt_target.kas is 8 bits (the Identify field has 16) */
		{ "kas", 1, 255, offsetof(struct kt_cfg_daemon, kas) },
		{ "disc_activity_timeout_ms", 1, 86400000, offsetof(struct kt_cfg_daemon, disc_activity_timeout_ms) },
		/* 4 KiB << 12 = 16 MiB: larger buys nothing and costs buffer memory */
		{ "mdts", 1, 12, offsetof(struct kt_cfg_daemon, mdts) },
		/* CAP.MQES is zero-based 16 bits */
		{ "max_queue_size", 2, 65536, offsetof(struct kt_cfg_daemon, max_queue_size) },
	};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if ((r = opt_int(c, o, nums[i].key, nums[i].lo, nums[i].hi, &x)) < 0)
			return r;
		if (r)
			*(unsigned *)((char *)d + nums[i].off) = (unsigned)x;
	}
	if ((r = opt_bool(c, o, "digests", &d->digests)) < 0)
		return r;
	if ((r = load_keepalive(L, o)) < 0)
		return r;
	if ((r = load_faults(L, o)) < 0)
		return r;

	if ((r = opt_str(c, o, "log_level", &s)) < 0)
		return r;
	if (r) {
		bool ok = false;
		for (size_t i = 0; levels[i] && !ok; i++)
			ok = !strcmp(levels[i], s);
		if (!ok) {
			kcj_key(c, "log_level");
			return kcj_fail(c, "%s is not a log level (\"error\", \"warn\", \"info\" or \"debug\")",
					kcj_repr(member(o, "log_level"), rb, sizeof(rb)));
		}
		if ((r = dup_str(&d->log_level, s)))
			return r;
	}

	if ((r = opt_str(c, o, "control_socket", &s)) < 0)
		return r;
	if (r) {
		/* "" turns the control socket off; else an absolute path that
		 * fits sockaddr_un.sun_path (108 bytes with the NUL) */
		if (*s && (s[0] != '/' || strlen(s) > 107)) {
			kcj_key(c, "control_socket");
			return kcj_fail(c, "%s is not an absolute path of at most 107 bytes",
					kcj_repr(member(o, "control_socket"), rb, sizeof(rb)));
		}
		if ((r = dup_str(&d->control_socket, s)))
			return r;
	}

	if ((r = opt_str(c, o, "tls_keyring", &s)) < 0)
		return r;
	if (r) {
		/* "" turns the kernel keyring off; else the name of a keyring
		 * as /proc/keys shows it (kt_cfg_tls_keyring_ok) */
		if (!kt_cfg_tls_keyring_ok(s)) {
			kcj_key(c, "tls_keyring");
			return kcj_fail(c, "%s is not a keyring name (1 to %d printable ASCII characters "
					"without spaces, or \"\" for none)",
					kcj_repr(member(o, "tls_keyring"), rb, sizeof(rb)), KT_CFG_TLS_KEYRING_MAX);
		}
		if ((r = dup_str(&d->tls_keyring, s)))
			return r;
	}

	struct json_object *v = member(o, "discovery_nqn");
	if (v) {
		size_t m2 = kcj_key(c, "discovery_nqn");
		if ((r = kcj_get_string(c, v, &s)) || (r = check_nqn(c, v, s)))
			return r;
		for (size_t i = 0; i < L->cfg->n_subsys; i++)
			if (!strcmp(L->cfg->subsys[i].nqn, s))
				return kcj_fail(c, "%s is also the NQN of subsystems[%zu]", kcj_repr(v, rb, sizeof(rb)), i);
		if ((r = dup_str(&d->discovery_nqn, s)))
			return r;
		kcj_pop(c, m2);
	}
	kcj_pop(c, m);
	return 0;
}

/* ---- entry points ------------------------------------------------------ */

static void line_col(const char *s, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && s[i]; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int parse_json(const char *json, struct json_object **out, char *err, size_t errlen)
{
	size_t len = strlen(json);
	if (len > INT32_MAX) {
		snprintf(err, errlen, "configuration is too large");
		return -EFBIG;
	}
	struct json_tokener *tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	struct json_object *root = json_tokener_parse_ex(tok, json, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	unsigned line, col;
	if (jerr != json_tokener_success) {
		line_col(json, end, &line, &col);
		if (jerr == json_tokener_continue)
			snprintf(err, errlen, "line %u, column %u: unexpected end of the document", line, col);
		else
			snprintf(err, errlen, "line %u, column %u: %s", line, col, json_tokener_error_desc(jerr));
		json_object_put(root);
		return -EINVAL;
	}
	size_t p = end;
	while (json[p] == ' ' || json[p] == '\t' || json[p] == '\n' || json[p] == '\r')
		p++;
	if (json[p]) {
		line_col(json, p, &line, &col);
		snprintf(err, errlen, "line %u, column %u: unexpected text after the JSON document", line, col);
		json_object_put(root);
		return -EINVAL;
	}
	*out = root;
	return 0;
}

int kt_config_load_string(const char *json, struct kt_config **out, char *err, size_t errlen)
{
	static const char *const keys[] = { "hosts", "ports", "subsystems", "katod", NULL };
	char dummy[1];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	*out = NULL;

	struct json_object *root = NULL;
	int r = parse_json(json, &root, err, errlen);
	if (r)
		return r;

	struct loader L;
	kcj_init(&L.j, err, errlen);
	L.cfg = calloc(1, sizeof(*L.cfg));
	if (!L.cfg) {
		json_object_put(root);
		return -ENOMEM;
	}
	kt_cfg_daemon_defaults(&L.cfg->daemon);
	if (!L.cfg->daemon.log_level)
		r = -ENOMEM;
	/* order matters: subsystems refer to hosts, ports to subsystems, and
	 * katod.discovery_nqn must differ from every subsystem NQN */
	if (!r && !(r = kcj_want_object(&L.j, root)) && !(r = kcj_only_keys(&L.j, root, keys)) &&
	    !(r = load_hosts(&L, root)) && !(r = load_subsystems(&L, root)) && !(r = load_ports(&L, root)))
		r = load_katod(&L, root);
	json_object_put(root);
	if (r) {
		if (r == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		kt_config_free(L.cfg);
		return r;
	}
	*out = L.cfg;
	return 0;
}

int kt_config_load_file(const char *path, struct kt_config **out, char *err, size_t errlen)
{
	char dummy[1];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	int e = 0;
	if (fstat(fd, &st) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
	} else if (!S_ISREG(st.st_mode)) {
		e = EINVAL;
		snprintf(err, errlen, "%s: not a regular file", path);
	} else if (st.st_size > (off_t)CONFIG_FILE_MAX) {
		e = EFBIG;
		snprintf(err, errlen, "%s: larger than %u bytes", path, CONFIG_FILE_MAX);
	}
	if (e) {
		close(fd);
		return -e;
	}
	size_t cap = (size_t)st.st_size + 1, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			snprintf(err, errlen, "%s: %s", path, strerror(e));
			free(buf);
			close(fd);
			return -e;
		}
		if (n == 0 || len + (size_t)n == cap - 1) {
			len += (size_t)n;
			break; /* a file that grows while read is cut at its stat size */
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		free(buf);
		return -EINVAL;
	}
	int r = kt_config_load_string(buf, out, err, errlen);
	free(buf);
	return r;
}

int kt_config_default(struct kt_config **out)
{
	*out = NULL;
	struct kt_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return -ENOMEM;
	kt_cfg_daemon_defaults(&cfg->daemon);
	cfg->subsys = calloc(1, sizeof(*cfg->subsys));
	cfg->ports = calloc(2, sizeof(*cfg->ports));
	if (!cfg->daemon.log_level || !cfg->subsys || !cfg->ports)
		goto nomem;
	cfg->n_subsys = 1;
	cfg->n_ports = 2;

	struct kt_cfg_subsys *s = &cfg->subsys[0];
	s->allow_any_host = true;
	s->cntlid_min = 1;
	s->cntlid_max = CNTLID_MAX;
	s->ns = calloc(1, sizeof(*s->ns));
	if (dup_str(&s->nqn, KT_DEFAULT_SUBNQN) || dup_str(&s->model, "kato") || !s->ns)
		goto nomem;
	s->n_ns = 1;
	/* serial: NULL, derived from the NQN by the daemon */
	s->ns[0] = (struct kt_cfg_ns){ .nsid = 1, .enable = true, .backend = KT_BACKEND_RAM,
				       .size = UINT64_C(1) << 30, .block_size = 512, .anagrpid = 1 };

	for (int i = 0; i < 2; i++) {
		struct kt_cfg_port *p = &cfg->ports[i];
		p->portid = (uint16_t)(i + 1);
		if (dup_str(&p->trtype, "tcp") || dup_str(&p->adrfam, "ipv4") ||
		    dup_str(&p->traddr, "127.0.0.1") || dup_str(&p->trsvcid, i == 0 ? "4420" : "8009") ||
		    dup_str(&p->treq, "not specified") || dup_str(&p->tsas, "none"))
			goto nomem;
	}
	cfg->ports[0].subsystems = calloc(1, sizeof(char *));
	if (!cfg->ports[0].subsystems || dup_str(&cfg->ports[0].subsystems[0], KT_DEFAULT_SUBNQN))
		goto nomem;
	cfg->ports[0].n_subsystems = 1;
	*out = cfg;
	return 0;
nomem:
	/* counts are set before the entries they cover are filled; free()
	 * skips the NULLs */
	kt_config_free(cfg);
	return -ENOMEM;
}

/*
 * test_config.c - the configuration loader: the built-in default, a file as
 * `nvmetcli save` writes it, a kato file with ram/null/file namespaces, a
 * port's ANA groups, the exact message (JSON path and reason) of every
 * validation error, malformed JSON, and the round trip through
 * kt_config_to_json. Run it under
 * -fsanitize=address: every failing load must free what it built.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "config/config.h"
#include "config/secret.h"
#include "proto/ana.h"
#include "proto/tls_psk.h"

#ifndef KATO_SRC_DIR
#define KATO_SRC_DIR "."
#endif

/* Test JSON is written with single quotes for readability; this turns them
 * into double quotes (no test string needs a literal '). */
static char *J(const char *s)
{
	static char buf[8][4096];
	static int next;
	char *b = buf[next++ % 8];
	snprintf(b, sizeof(buf[0]), "%s", s);
	for (char *p = b; *p; p++)
		if (*p == '\'')
			*p = '"';
	return b;
}

static const uint8_t *hex16(const char *hex)
{
	static uint8_t out[16];
	for (int i = 0; i < 16; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return out;
}

static struct kt_config *load_ok(const char *json)
{
	struct kt_config *cfg = NULL;
	char err[512];
	int r = kt_config_load_string(json, &cfg, err, sizeof(err));
	if (r != 0)
		fail_msg("unexpected error %d: %s\nfor: %s", r, err, json);
	assert_non_null(cfg);
	return cfg;
}

static void expect_error(const char *json, const char *msg)
{
	struct kt_config *cfg = (struct kt_config *)1;
	char err[512];
	memset(err, 'x', sizeof(err));
	int r = kt_config_load_string(json, &cfg, err, sizeof(err));
	if (r != -EINVAL || strcmp(err, msg) != 0)
		fail_msg("for: %s\n expected -EINVAL \"%s\"\n got %d \"%s\"", json, msg, r, r ? err : "");
	assert_null(cfg);
}

/* ---- deep equality, for round trips ---------------------------------- */

static void assert_str_eq(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_cfg_equal(const struct kt_config *a, const struct kt_config *b)
{
	assert_int_equal(a->n_hosts, b->n_hosts);
	for (size_t i = 0; i < a->n_hosts; i++) {
		assert_string_equal(a->hosts[i], b->hosts[i]);
		assert_str_eq(a->host_auth[i].key, b->host_auth[i].key);
		assert_str_eq(a->host_auth[i].ctrl_key, b->host_auth[i].ctrl_key);
		assert_int_equal(a->host_auth[i].hash_id, b->host_auth[i].hash_id);
		assert_int_equal(a->host_auth[i].dhgid, b->host_auth[i].dhgid);
		assert_str_eq(a->host_auth[i].tls_key, b->host_auth[i].tls_key);
		assert_int_equal(a->host_auth[i].tls_derive, b->host_auth[i].tls_derive);
		assert_int_equal(a->host_auth[i].n_tls_sub, b->host_auth[i].n_tls_sub);
		for (size_t k = 0; k < a->host_auth[i].n_tls_sub; k++) {
			assert_string_equal(a->host_auth[i].tls_sub_nqn[k], b->host_auth[i].tls_sub_nqn[k]);
			assert_string_equal(a->host_auth[i].tls_sub_key[k], b->host_auth[i].tls_sub_key[k]);
		}
	}
	assert_int_equal(a->n_ports, b->n_ports);
	for (size_t i = 0; i < a->n_ports; i++) {
		const struct kt_cfg_port *p = &a->ports[i], *q = &b->ports[i];
		assert_int_equal(p->portid, q->portid);
		assert_str_eq(p->trtype, q->trtype);
		assert_str_eq(p->adrfam, q->adrfam);
		assert_str_eq(p->traddr, q->traddr);
		assert_str_eq(p->trsvcid, q->trsvcid);
		assert_str_eq(p->treq, q->treq);
		assert_str_eq(p->tsas, q->tsas);
		assert_int_equal(p->inline_data_size, q->inline_data_size);
		assert_int_equal(p->n_subsystems, q->n_subsystems);
		for (size_t k = 0; k < p->n_subsystems; k++)
			assert_string_equal(p->subsystems[k], q->subsystems[k]);
		assert_int_equal(p->n_ana, q->n_ana);
		for (size_t k = 0; k < p->n_ana; k++) {
			assert_int_equal(p->ana[k].grpid, q->ana[k].grpid);
			assert_int_equal(p->ana[k].state, q->ana[k].state);
		}
	}
	assert_int_equal(a->n_subsys, b->n_subsys);
	for (size_t i = 0; i < a->n_subsys; i++) {
		const struct kt_cfg_subsys *s = &a->subsys[i], *t = &b->subsys[i];
		assert_string_equal(s->nqn, t->nqn);
		assert_int_equal(s->allow_any_host, t->allow_any_host);
		assert_int_equal(s->n_allowed_hosts, t->n_allowed_hosts);
		for (size_t k = 0; k < s->n_allowed_hosts; k++)
			assert_string_equal(s->allowed_hosts[k], t->allowed_hosts[k]);
		assert_str_eq(s->serial, t->serial);
		assert_str_eq(s->model, t->model);
		assert_str_eq(s->firmware, t->firmware);
		assert_int_equal(s->version, t->version);
		assert_int_equal(s->ieee_oui, t->ieee_oui);
		assert_int_equal(s->cntlid_min, t->cntlid_min);
		assert_int_equal(s->cntlid_max, t->cntlid_max);
		assert_int_equal(s->qid_max, t->qid_max);
		assert_int_equal(s->n_ns, t->n_ns);
		for (size_t k = 0; k < s->n_ns; k++) {
			const struct kt_cfg_ns *m = &s->ns[k], *n = &t->ns[k];
			assert_int_equal(m->nsid, n->nsid);
			assert_int_equal(m->enable, n->enable);
			assert_int_equal(m->backend, n->backend);
			assert_str_eq(m->path, n->path);
			assert_int_equal(m->size, n->size);
			assert_int_equal(m->block_size, n->block_size);
			assert_int_equal(m->has_nguid, n->has_nguid);
			assert_int_equal(m->has_uuid, n->has_uuid);
			assert_memory_equal(m->nguid, n->nguid, 16);
			assert_memory_equal(m->uuid, n->uuid, 16);
			assert_int_equal(m->anagrpid, n->anagrpid);
			assert_int_equal(m->buffered_io, n->buffered_io);
		}
	}
	const struct kt_cfg_daemon *d = &a->daemon, *e = &b->daemon;
	assert_int_equal(d->workers, e->workers);
	assert_str_eq(d->log_level, e->log_level);
	assert_str_eq(d->discovery_nqn, e->discovery_nqn);
	assert_int_equal(d->kas, e->kas);
	assert_int_equal(d->disc_activity_timeout_ms, e->disc_activity_timeout_ms);
	assert_int_equal(d->mdts, e->mdts);
	assert_int_equal(d->max_queue_size, e->max_queue_size);
	assert_int_equal(d->digests, e->digests);
	assert_str_eq(d->control_socket, e->control_socket);
	assert_str_eq(d->tls_keyring, e->tls_keyring);
	assert_int_equal(d->tbkas, e->tbkas);
	assert_int_equal(d->tcp_ka_idle_s, e->tcp_ka_idle_s);
	assert_int_equal(d->tcp_ka_interval_s, e->tcp_ka_interval_s);
	assert_int_equal(d->tcp_ka_count, e->tcp_ka_count);
	assert_str_eq(d->ka_trace, e->ka_trace);
	assert_int_equal(d->n_ka_rules, e->n_ka_rules);
	for (size_t i = 0; i < d->n_ka_rules; i++)
		assert_memory_equal(&d->ka_rules[i], &e->ka_rules[i], sizeof(d->ka_rules[i]));
	assert_int_equal(d->n_faults, e->n_faults);
	for (size_t i = 0; i < d->n_faults; i++)
		assert_memory_equal(&d->faults[i], &e->faults[i], sizeof(d->faults[i]));
}

static void assert_round_trip(const struct kt_config *cfg)
{
	char *json = NULL;
	assert_int_equal(kt_config_to_json(cfg, &json), 0);
	struct kt_config *again = load_ok(json);
	assert_cfg_equal(cfg, again);
	/* and the output is a fixed point */
	char *json2 = NULL;
	assert_int_equal(kt_config_to_json(again, &json2), 0);
	assert_string_equal(json, json2);
	free(json);
	free(json2);
	kt_config_free(again);
}

static void assert_daemon_defaults(const struct kt_cfg_daemon *d)
{
	assert_int_equal(d->workers, 0);
	assert_string_equal(d->log_level, "info");
	assert_null(d->discovery_nqn);
	assert_int_equal(d->kas, 1);
	assert_int_equal(d->disc_activity_timeout_ms, 120000);
	assert_int_equal(d->mdts, 8);
	assert_int_equal(d->max_queue_size, 128);
	assert_true(d->digests);
	assert_null(d->control_socket);
	assert_null(d->tls_keyring);
}

/* ---- the built-in default --------------------------------------------- */

static void test_default(void **state)
{
	(void)state;
	struct kt_config *cfg = NULL;
	assert_int_equal(kt_config_default(&cfg), 0);
	assert_int_equal(cfg->n_hosts, 0);
	assert_int_equal(cfg->n_subsys, 1);
	const struct kt_cfg_subsys *s = &cfg->subsys[0];
	assert_string_equal(s->nqn, KT_DEFAULT_SUBNQN);
	assert_string_equal(s->nqn, "nqn.2026-11.io.kato:default");
	assert_true(s->allow_any_host);
	assert_int_equal(s->n_allowed_hosts, 0);
	assert_null(s->serial); /* derived from the NQN by the daemon */
	assert_string_equal(s->model, "kato");
	assert_int_equal(s->cntlid_min, 1);
	assert_int_equal(s->cntlid_max, 0xffef);
	assert_int_equal(s->n_ns, 1);
	assert_int_equal(s->ns[0].nsid, 1);
	assert_true(s->ns[0].enable);
	assert_int_equal(s->ns[0].backend, KT_BACKEND_RAM);
	assert_int_equal(s->ns[0].size, 1ull << 30);
	assert_int_equal(s->ns[0].block_size, 512);
	assert_null(s->ns[0].path);
	assert_int_equal(s->ns[0].anagrpid, 1);

	assert_int_equal(cfg->n_ports, 2);
	const struct kt_cfg_port *p = &cfg->ports[0];
	assert_int_equal(p->portid, 1);
	assert_string_equal(p->trtype, "tcp");
	assert_string_equal(p->adrfam, "ipv4");
	assert_string_equal(p->traddr, "127.0.0.1");
	assert_string_equal(p->trsvcid, "4420");
	assert_int_equal(p->n_subsystems, 1);
	assert_string_equal(p->subsystems[0], KT_DEFAULT_SUBNQN);
	p = &cfg->ports[1];
	assert_int_equal(p->portid, 2);
	assert_string_equal(p->traddr, "127.0.0.1");
	assert_string_equal(p->trsvcid, "8009");
	assert_int_equal(p->n_subsystems, 0);
	assert_daemon_defaults(&cfg->daemon);
	assert_round_trip(cfg);
	kt_config_free(cfg);
}

/* The exact text --print-config shows for the default target. */
static void test_default_json_text(void **state)
{
	(void)state;
	static const char want[] =
		"{\n"
		"  \"hosts\": [],\n"
		"  \"katod\": {\n"
		"    \"digests\": true,\n"
		"    \"disc_activity_timeout_ms\": 120000,\n"
		"    \"kas\": 1,\n"
		"    \"log_level\": \"info\",\n"
		"    \"max_queue_size\": 128,\n"
		"    \"mdts\": 8,\n"
		"    \"workers\": 0\n"
		"  },\n"
		"  \"ports\": [\n"
		"    {\n"
		"      \"addr\": {\n"
		"        \"adrfam\": \"ipv4\",\n"
		"        \"traddr\": \"127.0.0.1\",\n"
		"        \"treq\": \"not specified\",\n"
		"        \"trsvcid\": \"4420\",\n"
		"        \"trtype\": \"tcp\",\n"
		"        \"tsas\": \"none\"\n"
		"      },\n"
		"      \"ana_groups\": [],\n"
		"      \"param\": {},\n"
		"      \"portid\": 1,\n"
		"      \"referrals\": [],\n"
		"      \"subsystems\": [\n"
		"        \"nqn.2026-11.io.kato:default\"\n"
		"      ]\n"
		"    },\n"
		"    {\n"
		"      \"addr\": {\n"
		"        \"adrfam\": \"ipv4\",\n"
		"        \"traddr\": \"127.0.0.1\",\n"
		"        \"treq\": \"not specified\",\n"
		"        \"trsvcid\": \"8009\",\n"
		"        \"trtype\": \"tcp\",\n"
		"        \"tsas\": \"none\"\n"
		"      },\n"
		"      \"ana_groups\": [],\n"
		"      \"param\": {},\n"
		"      \"portid\": 2,\n"
		"      \"referrals\": [],\n"
		"      \"subsystems\": []\n"
		"    }\n"
		"  ],\n"
		"  \"subsystems\": [\n"
		"    {\n"
		"      \"allowed_hosts\": [],\n"
		"      \"attr\": {\n"
		"        \"allow_any_host\": \"1\",\n"
		"        \"cntlid_max\": \"65519\",\n"
		"        \"cntlid_min\": \"1\",\n"
		"        \"ieee_oui\": \"0x000000\",\n"
		"        \"model\": \"kato\"\n"
		"      },\n"
		"      \"namespaces\": [\n"
		"        {\n"
		"          \"ana_grpid\": 1,\n"
		"          \"device\": {\n"
		"            \"backend\": \"ram\",\n"
		"            \"block_size\": 512,\n"
		"            \"size\": 1073741824\n"
		"          },\n"
		"          \"enable\": 1,\n"
		"          \"nsid\": 1\n"
		"        }\n"
		"      ],\n"
		"      \"nqn\": \"nqn.2026-11.io.kato:default\"\n"
		"    }\n"
		"  ]\n"
		"}\n";
	struct kt_config *cfg = NULL;
	char *json = NULL;
	assert_int_equal(kt_config_default(&cfg), 0);
	assert_int_equal(kt_config_to_json(cfg, &json), 0);
	assert_string_equal(json, want);
	free(json);
	kt_config_free(cfg);
}

/* ---- example files ------------------------------------------------------ */

static void test_nvmetcli_saved(void **state)
{
	(void)state;
	struct kt_config *cfg = NULL;
	char err[512];
	int r = kt_config_load_file(KATO_SRC_DIR "/config/examples/nvmetcli-saved.json", &cfg, err, sizeof(err));
	if (r)
		fail_msg("%s", err);

	assert_int_equal(cfg->n_hosts, 1);
	assert_string_equal(cfg->hosts[0], "nqn.2014-08.org.nvmexpress:uuid:6e3a0f4c-2b7d-4c59-9a1e-5d8f3b2c7e10");

	assert_int_equal(cfg->n_ports, 2);
	const struct kt_cfg_port *p = &cfg->ports[0];
	assert_int_equal(p->portid, 1);
	assert_string_equal(p->trtype, "tcp");
	assert_string_equal(p->adrfam, "ipv4");
	assert_string_equal(p->traddr, "192.168.122.10");
	assert_string_equal(p->trsvcid, "4420");
	assert_string_equal(p->treq, "not specified");
	assert_int_equal(p->inline_data_size, 16384);
	assert_int_equal(p->n_subsystems, 2);
	assert_string_equal(p->subsystems[1], "nqn.2024-03.com.example:storage.db");
	/* nvmetcli saves every port's group 1 */
	assert_int_equal(p->n_ana, 1);
	assert_int_equal(p->ana[0].grpid, 1);
	assert_int_equal(p->ana[0].state, NVME_ANA_STATE_OPTIMIZED);
	p = &cfg->ports[1];
	assert_int_equal(p->portid, 2);
	assert_string_equal(p->adrfam, "ipv6");
	assert_string_equal(p->traddr, "fd00::10");
	assert_string_equal(p->trsvcid, "4421");
	assert_int_equal(p->inline_data_size, 0); /* "-1": the transport's default */
	assert_int_equal(p->n_subsystems, 1);
	assert_int_equal(p->n_ana, 1);
	assert_int_equal(p->ana[0].grpid, 1);
	assert_int_equal(p->ana[0].state, NVME_ANA_STATE_OPTIMIZED);

	assert_int_equal(cfg->n_subsys, 2);
	const struct kt_cfg_subsys *s = &cfg->subsys[0];
	assert_string_equal(s->nqn, "nqn.2014-08.org.nvmexpress:NVMf:uuid:1c9f4b6e-8e2d-4a37-b5c1-0f7e9d3a2b64");
	assert_true(s->allow_any_host);
	assert_int_equal(s->cntlid_min, 1);
	assert_int_equal(s->cntlid_max, 65519);
	assert_string_equal(s->firmware, "6.9.0-1");
	assert_int_equal(s->ieee_oui, 0);
	assert_string_equal(s->model, "Linux");
	assert_int_equal(s->qid_max, 128);
	assert_string_equal(s->serial, "a3f5c2b1d4e60718");
	assert_int_equal(s->version, 0x00010300);
	assert_int_equal(s->n_ns, 1);
	const struct kt_cfg_ns *ns = &s->ns[0];
	assert_int_equal(ns->nsid, 1);
	assert_true(ns->enable);
	assert_int_equal(ns->backend, KT_BACKEND_FILE);
	assert_string_equal(ns->path, "/dev/nvme0n1");
	assert_int_equal(ns->size, 0);
	assert_int_equal(ns->block_size, 0);
	assert_false(ns->has_nguid); /* all zeroes: not set */
	assert_true(ns->has_uuid);
	assert_memory_equal(ns->uuid, hex16("d592cdf35d1c44e084123fcf7d99df27"), 16);
	assert_int_equal(ns->anagrpid, 1);

	s = &cfg->subsys[1];
	assert_false(s->allow_any_host);
	assert_int_equal(s->n_allowed_hosts, 1);
	assert_string_equal(s->allowed_hosts[0], cfg->hosts[0]);
	assert_int_equal(s->cntlid_min, 16);
	assert_int_equal(s->cntlid_max, 32);
	assert_int_equal(s->ieee_oui, 0x001b21);
	assert_int_equal(s->qid_max, 16);
	assert_int_equal(s->version, 0x00020000);
	assert_int_equal(s->n_ns, 2);
	assert_true(s->ns[0].has_nguid);
	assert_memory_equal(s->ns[0].nguid, hex16("5f0c3a1e9b7d4e628a41c3d2e1f0a9b8"), 16);
	assert_memory_equal(s->ns[0].uuid, hex16("8b1d6c2e4f3a4d9ba7e50c6f2b3d1e49"), 16);
	assert_string_equal(s->ns[0].path, "/var/lib/nvmet/db.img");
	assert_int_equal(s->ns[1].nsid, 2);
	assert_false(s->ns[1].enable);
	assert_string_equal(s->ns[1].path, "/dev/vg0/dblog");

	assert_daemon_defaults(&cfg->daemon);
	assert_round_trip(cfg);
	kt_config_free(cfg);
}

static void test_kato_example(void **state)
{
	(void)state;
	struct kt_config *cfg = NULL;
	char err[512];
	int r = kt_config_load_file(KATO_SRC_DIR "/config/examples/kato.json", &cfg, err, sizeof(err));
	if (r)
		fail_msg("%s", err);

	const struct kt_cfg_daemon *d = &cfg->daemon;
	assert_int_equal(d->workers, 2);
	assert_string_equal(d->log_level, "debug");
	assert_string_equal(d->discovery_nqn, "nqn.2026-11.io.kato:discovery");
	assert_int_equal(d->kas, 5);
	assert_int_equal(d->disc_activity_timeout_ms, 30000);
	assert_int_equal(d->mdts, 9);
	assert_int_equal(d->max_queue_size, 256);
	assert_false(d->digests);

	assert_int_equal(cfg->n_ports, 2);
	assert_int_equal(cfg->ports[0].inline_data_size, 8192);
	assert_string_equal(cfg->ports[0].treq, "not specified"); /* default */
	assert_int_equal(cfg->ports[1].n_subsystems, 0);
	assert_string_equal(cfg->ports[1].trsvcid, "8009");

	const struct kt_cfg_subsys *s = &cfg->subsys[0];
	assert_string_equal(s->model, "kato scratch");
	assert_int_equal(s->n_ns, 2);
	assert_int_equal(s->ns[0].backend, KT_BACKEND_RAM);
	assert_int_equal(s->ns[0].size, 256ull << 20);
	assert_int_equal(s->ns[0].block_size, 512);
	assert_true(s->ns[0].enable); /* absent: enabled */
	assert_int_equal(s->ns[0].anagrpid, 1);
	assert_null(s->ns[0].path);
	assert_int_equal(s->ns[1].backend, KT_BACKEND_NULL);
	assert_int_equal(s->ns[1].size, 1ull << 40);
	assert_int_equal(s->ns[1].block_size, 4096);
	assert_true(s->ns[1].has_uuid);
	assert_memory_equal(s->ns[1].uuid, hex16("3f9c1e2a7b4d4c8e9a1f2d3e4c5b6a70"), 16);
	assert_false(s->ns[1].has_nguid);

	s = &cfg->subsys[1];
	assert_false(s->allow_any_host);
	assert_string_equal(s->serial, "KATO0001");
	assert_int_equal(s->cntlid_max, 64);
	assert_int_equal(s->version, 0); /* absent: the daemon's default */
	assert_null(s->model);
	assert_int_equal(s->ns[0].backend, KT_BACKEND_FILE);
	assert_string_equal(s->ns[0].path, "/var/lib/kato/disk.img");
	assert_true(s->ns[0].buffered_io);
	assert_true(s->ns[0].has_nguid);
	assert_memory_equal(s->ns[0].nguid, hex16("00112233445566778899aabbccddeeff"), 16);

	assert_round_trip(cfg);
	kt_config_free(cfg);
}

/* ---- ANA groups ---------------------------------------------------------- */

/* A port's ana_groups: every state name, grpid as a number or a string,
 * a group without a state (nvmet's default for it), attributes nvmet may
 * add, sorted by grpid; written back in nvmetcli's form and read again. */
static void test_ana_groups(void **state)
{
	(void)state;
	struct kt_config *cfg = load_ok(J(
		"{'subsystems': [{'nqn': 'nqn.s'}],"
		" 'ports': [{'portid': 1, 'addr': {'traddr': '127.0.0.1'}, 'subsystems': ['nqn.s'],"
		"   'ana_groups': [{'grpid': '3', 'ana': {'state': 'non-optimized'}},"
		"                  {'grpid': 1, 'ana': {'state': 'inaccessible'}},"
		"                  {'grpid': 128, 'ana': {'state': 'change', 'some_new_attr': '1'}},"
		"                  {'grpid': 2},"
		"                  {'ana': {'state': 'persistent-loss'}, 'grpid': 5},"
		"                  {'grpid': 4, 'ana': {}},"
		"                  {'grpid': 6, 'ana': {'state': 'optimized'}}]},"
		"  {'portid': 2, 'addr': {'traddr': '127.0.0.1', 'trsvcid': '4421'},"
		"   'ana_groups': [{'grpid': 1}]},"
		"  {'portid': 3, 'addr': {'traddr': '127.0.0.1', 'trsvcid': '4422'}, 'ana_groups': []},"
		"  {'portid': 4, 'addr': {'traddr': '127.0.0.1', 'trsvcid': '4423'}}]}"));
	static const struct kt_cfg_ana_group want[] = {
		{ 1, NVME_ANA_STATE_INACCESSIBLE },    { 2, NVME_ANA_STATE_INACCESSIBLE },
		{ 3, NVME_ANA_STATE_NONOPTIMIZED },    { 4, NVME_ANA_STATE_INACCESSIBLE },
		{ 5, NVME_ANA_STATE_PERSISTENT_LOSS }, { 6, NVME_ANA_STATE_OPTIMIZED },
		{ 128, NVME_ANA_STATE_CHANGE },
	};
	const struct kt_cfg_port *p = &cfg->ports[0];
	assert_int_equal(p->n_ana, 7);
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(p->ana[i].grpid, want[i].grpid);
		assert_int_equal(p->ana[i].state, want[i].state);
	}
	p = &cfg->ports[1];
	assert_int_equal(p->n_ana, 1);
	assert_int_equal(p->ana[0].grpid, 1);
	assert_int_equal(p->ana[0].state, NVME_ANA_STATE_OPTIMIZED); /* group 1's default */
	assert_int_equal(cfg->ports[2].n_ana, 0);
	assert_null(cfg->ports[2].ana);
	assert_int_equal(cfg->ports[3].n_ana, 0);
	assert_round_trip(cfg);

	/* nvmetcli's layout: keys sorted, the state in the "ana" group, grpid
	 * a number */
	char *json = NULL;
	assert_int_equal(kt_config_to_json(cfg, &json), 0);
	static const char frag[] =
		"      \"ana_groups\": [\n"
		"        {\n"
		"          \"ana\": {\n"
		"            \"state\": \"inaccessible\"\n"
		"          },\n"
		"          \"grpid\": 1\n"
		"        },\n"
		"        {\n"
		"          \"ana\": {\n"
		"            \"state\": \"inaccessible\"\n"
		"          },\n"
		"          \"grpid\": 2\n"
		"        },\n"
		"        {\n"
		"          \"ana\": {\n"
		"            \"state\": \"non-optimized\"\n"
		"          },\n"
		"          \"grpid\": 3\n"
		"        },\n";
	if (!strstr(json, frag))
		fail_msg("no nvmetcli-form ana_groups in:\n%s", json);
	assert_non_null(strstr(json, "\"state\": \"persistent-loss\""));
	assert_non_null(strstr(json, "\"state\": \"change\"\n          },\n          \"grpid\": 128\n"));
	assert_null(strstr(json, "some_new_attr"));
	free(json);
	kt_config_free(cfg);
}

/* ---- accepted spellings and defaults ---------------------------------- */

static void test_accepted_forms(void **state)
{
	(void)state;
	struct kt_config *cfg = load_ok(J(
		"{'subsystems': [{'nqn': 'nqn.s', 'attr': {'allow_any_host': true, 'version': '1.2.1',"
		"   'ieee_oui': 6966, 'cntlid_min': 7, 'cntlid_max': '7'},"
		"  'namespaces': ["
		"   {'nsid': '4294967294', 'enable': '0', 'device': {'backend': 'ram', 'size': '4K'}},"
		"   {'nsid': 2, 'enable': false, 'device': {'backend': 'null', 'size': '1g', 'block_size': '4096',"
		"     'nguid': '5F0C3A1E-9B7D-4E62-8A41-C3D2E1F0A9B8'}},"
		"   {'nsid': 3, 'buffered_io': true, 'ana': {'grpid': '3'},"
		"    'device': {'path': '/tmp/x', 'size': 1048576, 'nguid': '5f0c3a1e9b7d4e628a41c3d2e1f0a9b8'}},"
		"   {'nsid': 4, 'ana_grpid': 128, 'device': {'backend': 'ram', 'size': '2T', 'path': ''}}]}],"
		" 'ports': [{'portid': 0, 'addr': {'traddr': '::1', 'trsvcid': 4430},"
		"            'param': {'inline_data_size': 131072}, 'subsystems': ['nqn.s']},"
		"           {'portid': '65535', 'addr': {'traddr': '::1', 'trsvcid': '4431', 'treq': 'not required',"
		"            'tsas': 'not required'}}],"
		" 'katod': {'digests': 1, 'discovery_nqn': 'nqn.2014-08.org.nvmexpress.discovery'}}"));
	const struct kt_cfg_subsys *s = &cfg->subsys[0];
	assert_true(s->allow_any_host);
	assert_int_equal(s->version, 0x00010201);
	assert_int_equal(s->ieee_oui, 6966);
	assert_int_equal(s->cntlid_min, 7);
	assert_int_equal(s->cntlid_max, 7);
	assert_int_equal(s->ns[0].nsid, 0xfffffffe);
	assert_false(s->ns[0].enable);
	assert_int_equal(s->ns[0].size, 4096);
	assert_int_equal(s->ns[1].size, 1ull << 30);
	assert_int_equal(s->ns[1].block_size, 4096);
	assert_true(s->ns[1].has_nguid);
	assert_memory_equal(s->ns[1].nguid, s->ns[2].nguid, 16);
	assert_memory_equal(s->ns[2].nguid, hex16("5f0c3a1e9b7d4e628a41c3d2e1f0a9b8"), 16);
	assert_int_equal(s->ns[2].backend, KT_BACKEND_FILE);
	assert_int_equal(s->ns[2].size, 1048576);
	assert_true(s->ns[2].buffered_io);
	assert_int_equal(s->ns[2].anagrpid, 3);
	assert_int_equal(s->ns[3].anagrpid, 128);
	assert_int_equal(s->ns[3].size, 2ull << 40);
	assert_null(s->ns[3].path); /* "" is nvmetcli's "no device" */

	const struct kt_cfg_port *p = &cfg->ports[0];
	assert_int_equal(p->portid, 0);
	assert_string_equal(p->adrfam, "ipv6"); /* from the address */
	assert_string_equal(p->trtype, "tcp");
	assert_string_equal(p->trsvcid, "4430");
	assert_int_equal(p->inline_data_size, 131072);
	assert_int_equal(cfg->ports[1].portid, 65535);
	assert_string_equal(cfg->ports[1].treq, "not required");
	assert_true(cfg->daemon.digests);
	assert_string_equal(cfg->daemon.discovery_nqn, "nqn.2014-08.org.nvmexpress.discovery");
	assert_round_trip(cfg);
	kt_config_free(cfg);

	/* the control socket: a path, or "" for none; both survive a round trip */
	cfg = load_ok(J("{'katod': {'control_socket': '/run/katod/test.sock'}}"));
	assert_string_equal(cfg->daemon.control_socket, "/run/katod/test.sock");
	assert_round_trip(cfg);
	kt_config_free(cfg);
	cfg = load_ok(J("{'katod': {'control_socket': ''}}"));
	assert_string_equal(cfg->daemon.control_socket, "");
	assert_round_trip(cfg);
	kt_config_free(cfg);

	/* the TLS keyring: absent (the default, .nvme), a name, or "" for none;
	 * each survives a round trip, and the absent one stays absent */
	cfg = load_ok(J("{'katod': {'tls_keyring': '.nvme'}}"));
	assert_string_equal(cfg->daemon.tls_keyring, ".nvme");
	assert_round_trip(cfg);
	kt_config_free(cfg);
	cfg = load_ok(J("{'katod': {'tls_keyring': ''}}"));
	assert_string_equal(cfg->daemon.tls_keyring, "");
	assert_round_trip(cfg);
	kt_config_free(cfg);
	cfg = load_ok(J("{'katod': {'tls_keyring': 'kato-test-42'}}"));
	assert_string_equal(cfg->daemon.tls_keyring, "kato-test-42");
	assert_round_trip(cfg);
	kt_config_free(cfg);
	cfg = load_ok(J("{'katod': {'workers': 1}}"));
	assert_null(cfg->daemon.tls_keyring);
	char *text = NULL;
	assert_int_equal(kt_config_to_json(cfg, &text), 0);
	assert_null(strstr(text, "tls_keyring"));
	free(text);
	kt_config_free(cfg);

	/* minimal: defaults everywhere */
	cfg = load_ok(J("{'subsystems': [{'nqn': 'nqn.s'}], 'ports': [{'portid': 1, 'addr': {'traddr': '0.0.0.0'}}]}"));
	assert_false(cfg->subsys[0].allow_any_host); /* as the kernel target */
	assert_int_equal(cfg->subsys[0].cntlid_min, 1);
	assert_int_equal(cfg->subsys[0].cntlid_max, 0xffef);
	assert_int_equal(cfg->subsys[0].n_ns, 0);
	assert_string_equal(cfg->ports[0].adrfam, "ipv4");
	assert_string_equal(cfg->ports[0].trsvcid, "4420");
	assert_string_equal(cfg->ports[0].treq, "not specified");
	assert_int_equal(cfg->ports[0].inline_data_size, 0);
	assert_daemon_defaults(&cfg->daemon);
	kt_config_free(cfg);

	/* an empty document is an empty target, and so are empty lists */
	cfg = load_ok("{}");
	assert_int_equal(cfg->n_ports + cfg->n_subsys + cfg->n_hosts, 0);
	assert_daemon_defaults(&cfg->daemon);
	assert_round_trip(cfg);
	kt_config_free(cfg);
	cfg = load_ok(J("{'hosts': [], 'ports': [], 'subsystems': [], 'katod': {}}"));
	assert_int_equal(cfg->n_ports + cfg->n_subsys + cfg->n_hosts, 0);
	assert_daemon_defaults(&cfg->daemon);
	kt_config_free(cfg);

	/* the longest NQN (223 bytes) and an empty DH-HMAC-CHAP key */
	char json[600], nqn[224];
	memcpy(nqn, "nqn.", 4);
	memset(nqn + 4, 'a', 219);
	nqn[223] = '\0';
	snprintf(json, sizeof(json), "{\"hosts\": [{\"nqn\": \"%s\", \"dhchap\": {\"key\": \"\"}}]}", nqn);
	cfg = load_ok(json);
	assert_string_equal(cfg->hosts[0], nqn);
	kt_config_free(cfg);
}

/* ---- every validation error ------------------------------------------- */

struct err_case {
	const char *json;
	const char *msg;
};

#define TLS_BAD_WHY "key must be 32 or 48 bytes with a CRC-32"
#define TLS_BAD_WHY2 "not an NVMe TLS PSK (\"NVMeTLSkey-1:\" expected)"
#define TLS_BAD_WHY3 TLS_BAD_WHY2
static const struct err_case top_cases[] = {
	{ "[]", "top level: expected an object, got an array" },
	{ "{'hostz': []}", "hostz: unknown key" },
	{ "{'hosts': {}}", "hosts: expected an array, got an object" },
	{ "{'hosts': ['nqn.a']}", "hosts[0]: expected an object, got a string" },
	{ "{'hosts': [{}]}", "hosts[0].nqn: missing" },
	{ "{'hosts': [{'nqn': 5}]}", "hosts[0].nqn: expected a string, got an integer" },
	{ "{'hosts': [{'nqn': 'host 1'}]}", "hosts[0].nqn: \"host 1\" is not an NQN (it contains a space or a control character)" },
	{ "{'hosts': [{'nqn': ''}]}", "hosts[0].nqn: \"\" is not an NQN (it is empty)" },
	{ "{'hosts': [{'nqn': 'nqn.a\\tb'}]}", "hosts[0].nqn: \"nqn.a\\tb\" is not an NQN (it contains a space or a control character)" },
	{ "{'hosts': [{'nqn': 'nqn.a\\u0000b'}]}", "hosts[0].nqn: string contains a NUL character" },
	{ "{'hosts': [{'nqn': 'nqn.a'}, {'nqn': 'nqn.a'}]}", "hosts[1].nqn: \"nqn.a\" duplicates hosts[0].nqn" },
	{ "{'hosts': [{'nqn': 'nqn.a', 'nick': 'x'}]}", "hosts[0].nick: unknown key" },
	{ "{'hosts': [{'nqn': 'nqn.a', 'dhchap': {'key': 'DHHC-1:00:abc:'}}]}",
	  "hosts[0].dhchap.key: not a DH-HMAC-CHAP secret (DHHC-1:hh:base64:): the key is not base64" },
	{ "{'hosts': [{'nqn': 'nqn.a', 'attr': {'dhchap_key': 'DHHC-1:00:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYOtVl4:'}}]}",
	  "hosts[0].attr.dhchap_key: not a DH-HMAC-CHAP secret (DHHC-1:hh:base64:): CRC mismatch" },
	{ "{'hosts': [{'nqn': 'nqn.a', 'attr': {'dhchap_ctrl_key': 'secret'}}]}",
	  "hosts[0].attr.dhchap_ctrl_key: not a DH-HMAC-CHAP secret (DHHC-1:hh:base64:): does not start with DHHC-1:" },
	{ "{'hosts': [{'nqn': 'nqn.a', 'attr': {'dhchap_hash': 'sha256'}}]}",
	  "hosts[0].attr.dhchap_hash: \"sha256\" is not a hash (\"hmac(sha256)\", \"hmac(sha384)\" or \"hmac(sha512)\")" },
	{ "{'hosts': [{'nqn': 'nqn.a', 'dhchap': {'dhgroup': 'ffdhe1024'}}]}",
	  "hosts[0].dhchap.dhgroup: \"ffdhe1024\" is not a DH group (\"null\", \"ffdhe2048\", \"ffdhe3072\", \"ffdhe4096\", \"ffdhe6144\" or \"ffdhe8192\")" },
	{ "{'hosts': [{'nqn': 'nqn.a', 'dhchap': {'hash': 3}}]}", "hosts[0].dhchap.hash: expected a string, got an integer" },
	{ "{'hosts': [{'nqn': 'nqn.a', 'tls': {'key': 'NVMeTLSkey-1:01:secretsecret:'}}]}",
	  "hosts[0].tls.key: not a TLS PSK (NVMeTLSkey-1:hh:base64:): " TLS_BAD_WHY },
	{ "{'hosts': [{'nqn': 'nqn.a', 'attr': {'tls_key': 'DHHC-1:00:MDEy:'}}]}",
	  "hosts[0].attr.tls_key: not a TLS PSK (NVMeTLSkey-1:hh:base64:): " TLS_BAD_WHY2 },
	{ "{'hosts': [{'nqn': 'nqn.a', 'tls': {'derive': 'old'}}]}",
	  "hosts[0].tls.derive: \"old\" is not a derivation (\"both\", \"rfc\" or \"compat\")" },
	{ "{'hosts': [{'nqn': 'nqn.a', 'tls': {'kee': ''}}]}",
	  "hosts[0].tls.kee: unknown key" },
	{ "{'hosts': [{'nqn': 'nqn.a', 'tls': {'subsystem_keys': {'nqn.s': 'x'}}}]}",
	  "hosts[0].tls.subsystem_keys.nqn.s: not a TLS PSK (NVMeTLSkey-1:hh:base64:): " TLS_BAD_WHY3 },
	{ "{'hosts': [{'nqn': 'nqn.a', 'dhchap': {'ctrl_key': 'DHHC-1:00:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYOtVl3:'}}]}",
	  "hosts[0].dhchap: a controller key (ctrl_key) needs a host key (key)" },
	{ "{'hosts': [{'nqn': 'nqn.a', 'dhchap': 'x'}]}", "hosts[0].dhchap: expected an object, got a string" },
};

#define S1 "{'subsystems': [{'nqn': 'nqn.s', "
static const struct err_case subsys_cases[] = {
	{ "{'subsystems': [{}]}", "subsystems[0].nqn: missing" },
	{ "{'subsystems': [{'nqn': 'nqn.2014-08.org.nvmexpress.discovery'}]}",
	  "subsystems[0].nqn: \"nqn.2014-08.org.nvmexpress.discovery\" is the discovery NQN and cannot name a subsystem" },
	{ "{'subsystems': [{'nqn': 'nqn.s'}, {'nqn': 'nqn.s'}]}", "subsystems[1].nqn: \"nqn.s\" duplicates subsystems[0].nqn" },
	{ S1 "'namespace': []}]}", "subsystems[0].namespace: unknown key" },
	{ S1 "'passthru': [{'device': {'path': '/dev/nvme0'}}]}]}",
	  "subsystems[0].passthru: passthru subsystems are not supported by kato" },
	{ S1 "'attr': []}]}", "subsystems[0].attr: expected an object, got an array" },
	{ S1 "'attr': {'allow_any_host': '2'}}]}", "subsystems[0].attr.allow_any_host: \"2\" is not a boolean (0 or 1)" },
	{ S1 "'attr': {'allow_any_host': []}}]}", "subsystems[0].attr.allow_any_host: expected a boolean, got an array" },
	{ S1 "'attr': {'cntlid_min': '0'}}]}", "subsystems[0].attr.cntlid_min: \"0\" is out of range (1..65519)" },
	{ S1 "'attr': {'cntlid_max': '65520'}}]}", "subsystems[0].attr.cntlid_max: \"65520\" is out of range (1..65519)" },
	{ S1 "'attr': {'cntlid_max': 'lots'}}]}", "subsystems[0].attr.cntlid_max: \"lots\" is not an integer" },
	{ S1 "'attr': {'cntlid_max': 1.5}}]}", "subsystems[0].attr.cntlid_max: expected an integer, got a number" },
	{ S1 "'attr': {'cntlid_min': '100', 'cntlid_max': '10'}}]}",
	  "subsystems[0].attr.cntlid_min: 100 is greater than cntlid_max (10)" },
	{ S1 "'attr': {'qid_max': '0'}}]}", "subsystems[0].attr.qid_max: \"0\" is out of range (1..65535)" },
	{ S1 "'attr': {'serial': '123456789012345678901'}}]}",
	  "subsystems[0].attr.serial: \"123456789012345678901\" is longer than 20 bytes" },
	{ S1 "'attr': {'serial': ''}}]}", "subsystems[0].attr.serial: must not be empty" },
	{ S1 "'attr': {'model': 'a\\tb'}}]}",
	  "subsystems[0].attr.model: \"a\\tb\" contains a character outside printable ASCII" },
	{ S1 "'attr': {'model': '12345678901234567890123456789012345678901'}}]}",
	  "subsystems[0].attr.model: \"12345678901234567890123456789012345678901\" is longer than 40 bytes" },
	{ S1 "'attr': {'firmware': '6.10.0-13'}}]}", "subsystems[0].attr.firmware: \"6.10.0-13\" is longer than 8 bytes" },
	{ S1 "'attr': {'ieee_oui': '0x1000000'}}]}",
	  "subsystems[0].attr.ieee_oui: \"0x1000000\" is not an IEEE OUI (24 bits, e.g. \"0x001b21\")" },
	{ S1 "'attr': {'ieee_oui': 'acme'}}]}",
	  "subsystems[0].attr.ieee_oui: \"acme\" is not an IEEE OUI (24 bits, e.g. \"0x001b21\")" },
	{ S1 "'attr': {'version': '1'}}]}", "subsystems[0].attr.version: \"1\" is not an NVMe version (\"1.3\", \"2.0\", ...)" },
	{ S1 "'attr': {'version': '1.256'}}]}",
	  "subsystems[0].attr.version: \"1.256\" is not an NVMe version (\"1.3\", \"2.0\", ...)" },
	{ S1 "'attr': {'version': 1.3}}]}", "subsystems[0].attr.version: expected a string, got a number" },
	{ S1 "'allowed_hosts': ['nqn.y']}]}", "subsystems[0].allowed_hosts[0]: no host \"nqn.y\" in hosts" },
	{ "{'hosts': [{'nqn': 'nqn.h'}], 'subsystems': [{'nqn': 'nqn.s', 'attr': {'allow_any_host': '1'},"
	  " 'allowed_hosts': ['nqn.h']}]}",
	  "subsystems[0].allowed_hosts: lists hosts while attr.allow_any_host is 1" },
	{ "{'hosts': [{'nqn': 'nqn.h'}], 'subsystems': [{'nqn': 'nqn.s', 'allowed_hosts': ['nqn.h', 'nqn.h']}]}",
	  "subsystems[0].allowed_hosts[1]: \"nqn.h\" duplicates subsystems[0].allowed_hosts[0]" },
	{ S1 "'allowed_hosts': [{}]}]}", "subsystems[0].allowed_hosts[0]: expected a string, got an object" },
	{ S1 "'namespaces': {}}]}", "subsystems[0].namespaces: expected an array, got an object" },
};

#define N1 "{'subsystems': [{'nqn': 'nqn.a'}, {'nqn': 'nqn.s', 'namespaces': ["
#define RAM "'device': {'backend': 'ram', 'size': '1M'}"
static const struct err_case ns_cases[] = {
	{ N1 "{'nsid': 0, " RAM "}]}]}", "subsystems[1].namespaces[0].nsid: 0 is not a valid NSID" },
	{ N1 "{'nsid': 4294967295, " RAM "}]}]}", "subsystems[1].namespaces[0].nsid: 4294967295 is not a valid NSID" },
	{ N1 "{'nsid': '-1', " RAM "}]}]}", "subsystems[1].namespaces[0].nsid: \"-1\" is not a valid NSID" },
	{ N1 "{'nsid': 'one', " RAM "}]}]}", "subsystems[1].namespaces[0].nsid: \"one\" is not a valid NSID" },
	{ N1 "{'nsid': 1.0, " RAM "}]}]}", "subsystems[1].namespaces[0].nsid: expected an integer, got a number" },
	{ N1 "{" RAM "}]}]}", "subsystems[1].namespaces[0].nsid: missing" },
	{ N1 "{'nsid': 1, " RAM "}, {'nsid': 1, " RAM "}]}]}",
	  "subsystems[1].namespaces[1].nsid: 1 duplicates subsystems[1].namespaces[0].nsid" },
	{ N1 "'x']}]}", "subsystems[1].namespaces[0]: expected an object, got a string" },
	{ N1 "{'nsid': 1}]}]}", "subsystems[1].namespaces[0].device: missing" },
	{ N1 "{'nsid': 1, 'size': 5, " RAM "}]}]}", "subsystems[1].namespaces[0].size: unknown key" },
	{ N1 "{'nsid': 1, 'enable': 'yes', " RAM "}]}]}",
	  "subsystems[1].namespaces[0].enable: \"yes\" is not a boolean (0 or 1)" },
	{ N1 "{'nsid': 1, 'enable': 2, " RAM "}]}]}", "subsystems[1].namespaces[0].enable: 2 is not a boolean (0 or 1)" },
	{ N1 "{'nsid': 1, 'ana_grpid': 0, " RAM "}]}]}",
	  "subsystems[1].namespaces[0].ana_grpid: 0 is out of range (1..128)" },
	{ N1 "{'nsid': 1, 'ana': {'grpid': '129'}, " RAM "}]}]}",
	  "subsystems[1].namespaces[0].ana.grpid: \"129\" is out of range (1..128)" },
	{ N1 "{'nsid': 1, 'resv': 1, " RAM "}]}]}", "subsystems[1].namespaces[0].resv: expected an object, got an integer" },
	{ N1 "{'nsid': 1, 'device': []}]}]}", "subsystems[1].namespaces[0].device: expected an object, got an array" },
	{ N1 "{'nsid': 1, 'device': {'backend': 'disk'}}]}]}",
	  "subsystems[1].namespaces[0].device.backend: \"disk\" is not a backend (\"file\", \"ram\" or \"null\")" },
	{ N1 "{'nsid': 1, 'device': {'blocksize': 512}}]}]}", "subsystems[1].namespaces[0].device.blocksize: unknown key" },
	{ N1 "{'nsid': 1, 'device': {}}]}]}",
	  "subsystems[1].namespaces[0].device.path: missing (the \"file\" backend needs a path)" },
	{ N1 "{'nsid': 1, 'device': {'path': ''}}]}]}",
	  "subsystems[1].namespaces[0].device.path: missing (the \"file\" backend needs a path)" },
	{ N1 "{'nsid': 1, 'device': {'path': 7}}]}]}",
	  "subsystems[1].namespaces[0].device.path: expected a string, got an integer" },
	{ N1 "{'nsid': 1, 'device': {'backend': 'ram', 'path': '/x', 'size': 4096}}]}]}",
	  "subsystems[1].namespaces[0].device.path: not used by the \"ram\" backend" },
	{ N1 "{'nsid': 1, 'device': {'backend': 'ram'}}]}]}",
	  "subsystems[1].namespaces[0].device.size: missing (the \"ram\" backend needs a size)" },
	{ N1 "{'nsid': 1, 'device': {'backend': 'null'}}]}]}",
	  "subsystems[1].namespaces[0].device.size: missing (the \"null\" backend needs a size)" },
	{ N1 "{'nsid': 1, 'device': {'backend': 'ram', 'size': '12X'}}]}]}",
	  "subsystems[1].namespaces[0].device.size: \"12X\" is not a size (bytes, or a number with K, M, G or T)" },
	{ N1 "{'nsid': 1, 'device': {'backend': 'ram', 'size': '1MB'}}]}]}",
	  "subsystems[1].namespaces[0].device.size: \"1MB\" is not a size (bytes, or a number with K, M, G or T)" },
	{ N1 "{'nsid': 1, 'device': {'backend': 'ram', 'size': '99999999999T'}}]}]}",
	  "subsystems[1].namespaces[0].device.size: \"99999999999T\" is not a size (bytes, or a number with K, M, G or T)" },
	{ N1 "{'nsid': 1, 'device': {'backend': 'ram', 'size': -512}}]}]}",
	  "subsystems[1].namespaces[0].device.size: -512 is not a size (bytes, or a number with K, M, G or T)" },
	{ N1 "{'nsid': 1, 'device': {'backend': 'ram', 'size': 0}}]}]}",
	  "subsystems[1].namespaces[0].device.size: 0 is not a valid size (it must be more than 0)" },
	{ N1 "{'nsid': 1, 'device': {'backend': 'ram', 'size': true}}]}]}",
	  "subsystems[1].namespaces[0].device.size: expected a size, got a boolean" },
	{ N1 "{'nsid': 1, 'device': {'backend': 'ram', 'size': 1000}}]}]}",
	  "subsystems[1].namespaces[0].device.size: 1000 is not a multiple of the block size (512)" },
	{ N1 "{'nsid': 1, 'device': {'backend': 'null', 'size': '6K', 'block_size': 4096}}]}]}",
	  "subsystems[1].namespaces[0].device.size: \"6K\" is not a multiple of the block size (4096)" },
	{ N1 "{'nsid': 1, 'device': {'backend': 'ram', 'size': '1M', 'block_size': 1024}}]}]}",
	  "subsystems[1].namespaces[0].device.block_size: 1024 is not a supported block size (512 or 4096)" },
	{ N1 "{'nsid': 1, 'device': {'path': '/x', 'nguid': 'xyz'}}]}]}",
	  "subsystems[1].namespaces[0].device.nguid: \"xyz\" is not an NGUID (32 hex digits)" },
	{ N1 "{'nsid': 1, 'device': {'path': '/x', 'nguid': '5f0c3a1e9b7d4e628a41c3d2e1f0a9'}}]}]}",
	  "subsystems[1].namespaces[0].device.nguid: \"5f0c3a1e9b7d4e628a41c3d2e1f0a9\" is not an NGUID (32 hex digits)" },
	{ N1 "{'nsid': 1, 'device': {'path': '/x', 'nguid': '-5f0c3a1e9b7d4e628a41c3d2e1f0a9b8'}}]}]}",
	  "subsystems[1].namespaces[0].device.nguid: \"-5f0c3a1e9b7d4e628a41c3d2e1f0a9b8\" is not an NGUID (32 hex digits)" },
	{ N1 "{'nsid': 1, 'device': {'path': '/x', 'uuid': 'd592cdf35d1c44e084123fcf7d99df27'}}]}]}",
	  "subsystems[1].namespaces[0].device.uuid: \"d592cdf35d1c44e084123fcf7d99df27\" is not a UUID (8-4-4-4-12 hex digits)" },
	{ N1 "{'nsid': 1, 'device': {'path': '/x', 'uuid': 'd592cdf3-5d1c-44e0-8412-3fcf7d99df2g'}}]}]}",
	  "subsystems[1].namespaces[0].device.uuid: \"d592cdf3-5d1c-44e0-8412-3fcf7d99df2g\" is not a UUID (8-4-4-4-12 hex digits)" },
	{ N1 "{'nsid': 1, 'device': {'path': '/x', 'buffered_io': 'on'}}]}]}",
	  "subsystems[1].namespaces[0].device.buffered_io: \"on\" is not a boolean (0 or 1)" },
};

#define P0 "{'subsystems': [{'nqn': 'nqn.s'}], 'ports': ["
#define ADDR "'addr': {'traddr': '127.0.0.1'}"
static const struct err_case port_cases[] = {
	{ P0 "{" ADDR "}]}", "ports[0].portid: missing" },
	{ P0 "{'portid': 'x', " ADDR "}]}", "ports[0].portid: \"x\" is not an integer" },
	{ P0 "{'portid': 70000, " ADDR "}]}", "ports[0].portid: 70000 is out of range (0..65535)" },
	{ P0 "{'portid': 1, " ADDR "}, {'portid': 1, 'addr': {'traddr': '127.0.0.2'}}]}",
	  "ports[1].portid: 1 duplicates ports[0].portid" },
	{ P0 "{'portid': 1}]}", "ports[0].addr: missing" },
	{ P0 "{'portid': 1, 'subsystem': []," ADDR "}]}", "ports[0].subsystem: unknown key" },
	{ P0 "{'portid': 1, 'addr': 'tcp'}]}", "ports[0].addr: expected an object, got a string" },
	{ P0 "{'portid': 1, 'addr': {'trtype': 'rdma', 'traddr': '127.0.0.1'}}]}",
	  "ports[0].addr.trtype: \"rdma\" is not supported (kato serves only \"tcp\")" },
	{ P0 "{'portid': 1, 'addr': {'trtype': 'loop'}}]}",
	  "ports[0].addr.trtype: \"loop\" is not supported (kato serves only \"tcp\")" },
	{ P0 "{'portid': 1, 'addr': {'adrfam': 'ib', 'traddr': '127.0.0.1'}}]}",
	  "ports[0].addr.adrfam: \"ib\" is not supported (kato serves \"ipv4\" and \"ipv6\")" },
	{ P0 "{'portid': 1, 'addr': {'trsvcid': '4420'}}]}", "ports[0].addr.traddr: missing" },
	{ P0 "{'portid': 1, 'addr': {'traddr': '1.2.3'}}]}", "ports[0].addr.traddr: \"1.2.3\" is not an IPv4 address" },
	{ P0 "{'portid': 1, 'addr': {'traddr': '127.0.0.1', 'adrfam': 'ipv6'}}]}",
	  "ports[0].addr.traddr: \"127.0.0.1\" is not an IPv6 address" },
	{ P0 "{'portid': 1, 'addr': {'traddr': 'fe80::1::2'}}]}",
	  "ports[0].addr.traddr: \"fe80::1::2\" is not an IPv6 address" },
	{ P0 "{'portid': 1, 'addr': {'traddr': '127.0.0.1', 'trsvcid': 'abc'}}]}",
	  "ports[0].addr.trsvcid: \"abc\" is not a port number" },
	{ P0 "{'portid': 1, 'addr': {'traddr': '127.0.0.1', 'trsvcid': '0'}}]}",
	  "ports[0].addr.trsvcid: \"0\" is not a port number" },
	{ P0 "{'portid': 1, 'addr': {'traddr': '127.0.0.1', 'trsvcid': 65536}}]}",
	  "ports[0].addr.trsvcid: 65536 is not a port number" },
	{ P0 "{'portid': 1, 'addr': {'traddr': '127.0.0.1', 'trsvcid': []}}]}",
	  "ports[0].addr.trsvcid: expected a string, got an array" },
	{ P0 "{'portid': 1, 'addr': {'traddr': '127.0.0.1', 'treq': 'required'}}]}",
	  "ports[0].addr.treq: \"required\" asks for a secure channel: set addr.tsas to \"tls1.3\"" },
	{ P0 "{'portid': 1, 'addr': {'traddr': '127.0.0.1', 'treq': 'required', 'tsas': 'none'}}]}",
	  "ports[0].addr.treq: \"required\" asks for a secure channel: set addr.tsas to \"tls1.3\"" },
	{ P0 "{'portid': 1, 'addr': {'traddr': '127.0.0.1', 'tsas': 'tls1.2'}}]}",
	  "ports[0].addr.tsas: \"tls1.2\" is not a tsas value (\"none\" or \"tls1.3\")" },
	{ P0 "{'portid': 1, 'addr': {'traddr': '127.0.0.1', 'tsas': 3}}]}",
	  "ports[0].addr.tsas: expected a string, got an integer" },
	{ P0 "{'portid': 1, 'addr': {'traddr': '127.0.0.1', 'treq': 'maybe'}}]}",
	  "ports[0].addr.treq: \"maybe\" is not a treq value (\"not specified\", \"required\" or \"not required\")" },

	{ P0 "{'portid': 1, " ADDR ", 'param': {'inline_data_size': '0'}}]}",
	  "ports[0].param.inline_data_size: \"0\" is not supported: kato always accepts in-capsule data (-1 selects the default)" },
	{ P0 "{'portid': 1, " ADDR ", 'param': {'inline_data_size': '1000000'}}]}",
	  "ports[0].param.inline_data_size: \"1000000\" is out of range (-1..131072)" },
	{ P0 "{'portid': 1, " ADDR ", 'param': []}]}", "ports[0].param: expected an object, got an array" },
	{ P0 "{'portid': 1, " ADDR ", 'subsystems': ['nqn.x']}]}", "ports[0].subsystems[0]: no subsystem \"nqn.x\"" },
	{ P0 "{'portid': 1, " ADDR ", 'subsystems': 'nqn.s'}]}", "ports[0].subsystems: expected an array, got a string" },
	{ P0 "{'portid': 1, " ADDR ", 'subsystems': ['nqn.s', 'nqn.s']}]}",
	  "ports[0].subsystems[1]: \"nqn.s\" duplicates ports[0].subsystems[0]" },
	{ P0 "{'portid': 1, " ADDR "}, {'portid': 2, 'addr': {'traddr': '127.0.0.1', 'trsvcid': '4420'}}]}",
	  "ports[1].addr: 127.0.0.1 port 4420 duplicates the address of ports[0]" },
	{ P0 "{'portid': 1, " ADDR ", 'referrals': {}}]}", "ports[0].referrals: expected an array, got an object" },
	{ P0 "{'portid': 1, " ADDR ", 'ana_groups': 1}]}", "ports[0].ana_groups: expected an array, got an integer" },
	{ P0 "{'portid': 1, " ADDR ", 'ana_groups': [1]}]}",
	  "ports[0].ana_groups[0]: expected an object, got an integer" },
	{ P0 "{'portid': 1, " ADDR ", 'ana_groups': [{'ana': {'state': 'optimized'}}]}]}",
	  "ports[0].ana_groups[0].grpid: missing" },
	{ P0 "{'portid': 1, " ADDR ", 'ana_groups': [{'grpid': 1}, {'grpid': 0}]}]}",
	  "ports[0].ana_groups[1].grpid: 0 is out of range (1..128)" },
	{ P0 "{'portid': 1, " ADDR ", 'ana_groups': [{'grpid': '129'}]}]}",
	  "ports[0].ana_groups[0].grpid: \"129\" is out of range (1..128)" },
	{ P0 "{'portid': 1, " ADDR ", 'ana_groups': [{'grpid': 'one'}]}]}",
	  "ports[0].ana_groups[0].grpid: \"one\" is not an integer" },
	{ P0 "{'portid': 1, " ADDR ", 'ana_groups': [{'grpid': 1.5}]}]}",
	  "ports[0].ana_groups[0].grpid: expected an integer, got a number" },
	{ P0 "{'portid': 1, " ADDR ", 'ana_groups': [{'grpid': 2}, {'grpid': 1}, {'grpid': '2'}]}]}",
	  "ports[0].ana_groups[2].grpid: \"2\" duplicates ports[0].ana_groups[0].grpid" },
	{ P0 "{'portid': 1, " ADDR ", 'ana_groups': [{'grpid': 2, 'ana': {'state': 'optimised'}}]}]}",
	  "ports[0].ana_groups[0].ana.state: \"optimised\" is not an ANA state (\"optimized\", "
	  "\"non-optimized\", \"inaccessible\", \"persistent-loss\" or \"change\")" },
	{ P0 "{'portid': 1, " ADDR ", 'ana_groups': [{'grpid': 2, 'ana': {'state': 'Optimized'}}]}]}",
	  "ports[0].ana_groups[0].ana.state: \"Optimized\" is not an ANA state (\"optimized\", "
	  "\"non-optimized\", \"inaccessible\", \"persistent-loss\" or \"change\")" },
	{ P0 "{'portid': 1, " ADDR ", 'ana_groups': [{'grpid': 2, 'ana': {'state': 1}}]}]}",
	  "ports[0].ana_groups[0].ana.state: expected a string, got an integer" },
	{ P0 "{'portid': 1, " ADDR ", 'ana_groups': [{'grpid': 2, 'ana': 'optimized'}]}]}",
	  "ports[0].ana_groups[0].ana: expected an object, got a string" },
	{ P0 "{'portid': 1, " ADDR ", 'ana_groups': [{'grpid': 2, 'state': 'optimized'}]}]}",
	  "ports[0].ana_groups[0].state: unknown key" },
	{ P0 "{'portid': 1, " ADDR "}, {'portid': 2, 'addr': {'traddr': '127.0.0.1', 'trsvcid': '4421'},"
	  " 'ana_groups': [{'grpid': 7}, {'grpid': 7}]}]}",
	  "ports[1].ana_groups[1].grpid: 7 duplicates ports[1].ana_groups[0].grpid" },
};

static const struct err_case katod_cases[] = {
	{ "{'katod': []}", "katod: expected an object, got an array" },
	{ "{'katod': {'worker': 2}}", "katod.worker: unknown key" },
	{ "{'katod': {'workers': -1}}", "katod.workers: -1 is out of range (0..1024)" },
	{ "{'katod': {'workers': '1025'}}", "katod.workers: \"1025\" is out of range (0..1024)" },
	{ "{'katod': {'log_level': 'verbose'}}",
	  "katod.log_level: \"verbose\" is not a log level (\"error\", \"warn\", \"info\" or \"debug\")" },
	{ "{'katod': {'log_level': 3}}", "katod.log_level: expected a string, got an integer" },
	{ "{'katod': {'kas': 0}}", "katod.kas: 0 is out of range (1..255)" },
	{ "{'katod': {'disc_activity_timeout_ms': 0}}", "katod.disc_activity_timeout_ms: 0 is out of range (1..86400000)" },
	{ "{'katod': {'mdts': 13}}", "katod.mdts: 13 is out of range (1..12)" },
	{ "{'katod': {'max_queue_size': 1}}", "katod.max_queue_size: 1 is out of range (2..65536)" },
	{ "{'katod': {'max_queue_size': 99999999999999999999}}",
	  "katod.max_queue_size: integer is out of range (2..65536)" },
	{ "{'katod': {'digests': 'maybe'}}", "katod.digests: \"maybe\" is not a boolean (0 or 1)" },
	{ "{'katod': {'control_socket': 'katod.sock'}}",
	  "katod.control_socket: \"katod.sock\" is not an absolute path of at most 107 bytes" },
	{ "{'katod': {'control_socket': 7}}", "katod.control_socket: expected a string, got an integer" },
	{ "{'katod': {'tls_keyring': 1}}", "katod.tls_keyring: expected a string, got an integer" },
	{ "{'katod': {'tls_keyring': '.nvme keys'}}",
	  "katod.tls_keyring: \".nvme keys\" is not a keyring name (1 to 255 printable ASCII characters without "
	  "spaces, or \"\" for none)" },
	{ "{'katod': {'tls_keyring': '.nvme\\t'}}",
	  "katod.tls_keyring: \".nvme\\t\" is not a keyring name (1 to 255 printable ASCII characters without "
	  "spaces, or \"\" for none)" },
	{ "{'katod': {'discovery_nqn': 'disc overy'}}", "katod.discovery_nqn: \"disc overy\" is not an NQN (it contains a space or a control character)" },
	{ "{'subsystems': [{'nqn': 'nqn.s'}], 'katod': {'discovery_nqn': 'nqn.s'}}",
	  "katod.discovery_nqn: \"nqn.s\" is also the NQN of subsystems[0]" },
	/* katod.keepalive */
	{ "{'katod': {'keepalive': {'tbkas': 'yes'}}}", "katod.keepalive.tbkas: \"yes\" is not a boolean (0 or 1)" },
	{ "{'katod': {'keepalive': {'trace': 1}}}", "katod.keepalive.trace: expected a string, got an integer" },
	{ "{'katod': {'keepalive': {'tcp_idle_s': 0}}}", "katod.keepalive.tcp_idle_s: 0 is out of range (1..7200)" },
	{ "{'katod': {'keepalive': {'policy': {}}}}", "katod.keepalive.policy: expected an array, got an object" },
	{ "{'katod': {'keepalive': {'polcy': []}}}", "katod.keepalive.polcy: unknown key" },
	{ "{'katod': {'keepalive': {'policy': [{'drop': true}]}}}",
	  "katod.keepalive.policy[0]: a rule needs exactly one of \"host\", \"subsystem\" or \"cntlid\"" },
	{ "{'katod': {'keepalive': {'policy': [{'cntlid': 1, 'host': 'nqn.h', 'drop': true}]}}}",
	  "katod.keepalive.policy[0]: a rule needs exactly one of \"host\", \"subsystem\" or \"cntlid\"" },
	{ "{'katod': {'keepalive': {'policy': [{'cntlid': 1}]}}}",
	  "katod.keepalive.policy[0]: the rule changes nothing (delay_ms, drop, status, expire, ignore_traffic, refuse_set_kato or kas)" },
	{ "{'katod': {'keepalive': {'policy': [{'cntlid': 1, 'drop': 1}, {'cntlid': 1, 'kas': 5}]}}}",
	  "katod.keepalive.policy[1]: the same scope as policy[0]" },
	{ "{'katod': {'keepalive': {'policy': [{'host': 'h 1', 'drop': 1}]}}}",
	  "katod.keepalive.policy[0].host: \"h 1\" is not an NQN (it contains a space or a control character)" },
	{ "{'katod': {'keepalive': {'policy': [{'cntlid': 0, 'drop': 1}]}}}",
	  "katod.keepalive.policy[0].cntlid: 0 is out of range (1..65519)" },
	{ "{'katod': {'keepalive': {'policy': [{'cntlid': 2, 'expire': 0}]}}}",
	  "katod.keepalive.policy[0].expire: 0 is not a fraction of KATO from 0.001 to 10, or \"never\"" },
	{ "{'katod': {'keepalive': {'policy': [{'cntlid': 2, 'expire': 'soon'}]}}}",
	  "katod.keepalive.policy[0].expire: \"soon\" is not a fraction of KATO or \"never\"" },
	{ "{'katod': {'keepalive': {'policy': [{'cntlid': 2, 'kas': 0}]}}}",
	  "katod.keepalive.policy[0].kas: 0 is out of range (1..65535)" },
	{ "{'katod': {'keepalive': {'policy': [{'cntlid': 2, 'status': 65536}]}}}",
	  "katod.keepalive.policy[0].status: 65536 is out of range (0..32767)" },
	{ "{'katod': {'keepalive': {'policy': [{'cntlid': 2, 'delay': 5}]}}}",
	  "katod.keepalive.policy[0].delay: unknown key" },
};

/* katod.keepalive: settings and policy rules load as written and survive
 * a round trip through kt_config_to_json. */
static void test_keepalive_settings(void **state)
{
	(void)state;
	struct kt_config *cfg = load_ok(J(
		"{'katod': {'keepalive': {'tbkas': false, 'trace': '/tmp/ka.jsonl', 'tcp_idle_s': 2,"
		" 'tcp_interval_s': 1, 'tcp_count': 2, 'policy': ["
		"  {'host': 'nqn.h', 'delay_ms': 1500, 'status': 16386},"
		"  {'subsystem': 'nqn.s', 'expire': 0.5, 'ignore_traffic': true, 'refuse_set_kato': true},"
		"  {'cntlid': 7, 'expire': 'never', 'drop': false, 'kas': 20, 'refuse_set_kato': 6}]}}}"));
	const struct kt_cfg_daemon *d = &cfg->daemon;
	assert_false(d->tbkas);
	assert_string_equal(d->ka_trace, "/tmp/ka.jsonl");
	assert_int_equal(d->tcp_ka_idle_s, 2);
	assert_int_equal(d->tcp_ka_interval_s, 1);
	assert_int_equal(d->tcp_ka_count, 2);
	assert_int_equal(d->n_ka_rules, 3);
	const struct kt_kapol_rule *r = d->ka_rules;
	assert_int_equal(r[0].scope.kind, KT_KAPOL_HOST);
	assert_string_equal(r[0].scope.nqn, "nqn.h");
	assert_int_equal(r[0].pol.set, KT_KAPOL_F_DELAY | KT_KAPOL_F_STATUS);
	assert_int_equal(r[0].pol.delay_ms, 1500);
	assert_int_equal(r[0].pol.status, 0x4002);
	assert_int_equal(r[1].scope.kind, KT_KAPOL_SUBSYS);
	assert_int_equal(r[1].pol.expire_permille, 500);
	assert_true(r[1].pol.ignore_traffic);
	assert_true(r[1].pol.refuse_set_kato);
	assert_int_equal(r[1].pol.refuse_status, 0);
	assert_int_equal(r[2].scope.kind, KT_KAPOL_CNTLID);
	assert_int_equal(r[2].scope.cntlid, 7);
	assert_int_equal(r[2].pol.set, KT_KAPOL_F_EXPIRE | KT_KAPOL_F_DROP | KT_KAPOL_F_KAS |
				       KT_KAPOL_F_REFUSE_SET_KATO);
	assert_int_equal(r[2].pol.expire_permille, 0);
	assert_int_equal(r[2].pol.kas, 20);
	assert_int_equal(r[2].pol.refuse_status, 6);
	assert_round_trip(cfg);
	kt_config_free(cfg);

	/* defaults, and an empty trace is no trace */
	cfg = load_ok(J("{'katod': {'keepalive': {'trace': ''}}}"));
	assert_true(cfg->daemon.tbkas);
	assert_null(cfg->daemon.ka_trace);
	assert_int_equal(cfg->daemon.tcp_ka_idle_s, 30);
	assert_int_equal(cfg->daemon.n_ka_rules, 0);
	assert_round_trip(cfg);
	kt_config_free(cfg);
}

/* katod.faults: every error names its JSON path. */
#define FA "{'katod': {'faults': ["
#define FZ "]}}"
#define HOLD "'action': {'hold': true}"
#define ACTIONS "\"delay_ms\", \"hold\", \"status\", \"close\", \"stall_reads_ms\" or \"corrupt_data_digest\""
static const struct err_case fault_cases[] = {
	{ "{'katod': {'faults': {}}}", "katod.faults: expected an array, got an object" },
	{ FA "1" FZ, "katod.faults[0]: expected an object, got an integer" },
	{ FA "{}" FZ, "katod.faults[0].action: missing" },
	{ FA "{" HOLD ", 'when': 1}" FZ, "katod.faults[0].when: unknown key" },
	{ FA "{" HOLD "}, {'name': 'x', 'expire_ms': 5}" FZ, "katod.faults[1].action: missing" },
	/* action */
	{ FA "{'action': 'hold'}" FZ, "katod.faults[0].action: expected an object, got a string" },
	{ FA "{'action': {}}" FZ, "katod.faults[0].action: an action needs one of " ACTIONS },
	{ FA "{'action': {'hold': true, 'delay_ms': 5}}" FZ,
	  "katod.faults[0].action: an action is one of " ACTIONS ": \"delay_ms\" and \"hold\" both given" },
	{ FA "{'action': {'hold': true, 'pause': 5}}" FZ, "katod.faults[0].action.pause: unknown key" },
	{ FA "{'action': {'delay_ms': 0}}" FZ, "katod.faults[0].action.delay_ms: 0 is out of range (1..3600000)" },
	{ FA "{'action': {'stall_reads_ms': 3600001}}" FZ,
	  "katod.faults[0].action.stall_reads_ms: 3600001 is out of range (1..3600000)" },
	{ FA "{'action': {'hold': false}}" FZ,
	  "katod.faults[0].action.hold: takes only true (false would be no action)" },
	{ FA "{'action': {'corrupt_data_digest': 'yes'}}" FZ,
	  "katod.faults[0].action.corrupt_data_digest: \"yes\" is not a boolean (0 or 1)" },
	{ FA "{'action': {'close': 'during'}}" FZ,
	  "katod.faults[0].action.close: \"during\" is not \"before\" or \"after\" (executing the command)" },
	{ FA "{'action': {'close': true}}" FZ, "katod.faults[0].action.close: expected a string, got a boolean" },
	/* status */
	{ FA "{'action': {'status': 0}}" FZ,
	  "katod.faults[0].action.status: 0 is success (a fault completes with an error)" },
	{ FA "{'action': {'status': {'sct': 0, 'sc': 0, 'dnr': true}}}" FZ,
	  "katod.faults[0].action.status: {\"sct\":0,\"sc\":0,\"dnr\":true} is success (a fault completes with an error)" },
	{ FA "{'action': {'status': '0x8002'}}" FZ,
	  "katod.faults[0].action.status: \"0x8002\" has bit 15 set (a status is 15 bits: SC 7:0, SCT 10:8, "
	  "CRD 12:11, More 13, DNR 14)" },
	{ FA "{'action': {'status': 65536}}" FZ, "katod.faults[0].action.status: 65536 is out of range (0..65535)" },
	{ FA "{'action': {'status': {'sct': 5, 'sc': 1}}}" FZ,
	  "katod.faults[0].action.status: {\"sct\":5,\"sc\":1} has a reserved status code type (4..6)" },
	{ FA "{'action': {'status': 'not_ready'}}" FZ,
	  "katod.faults[0].action.status: \"not_ready\" is not a status (a number, \"0x\" and hex digits, or a name "
	  "such as \"namespace_not_ready\", \"transient_transport_error\", \"ana_inaccessible\", \"host_path_error\")" },
	{ FA "{'action': {'status': '0x12345'}}" FZ,
	  "katod.faults[0].action.status: \"0x12345\" is not a status (a number, \"0x\" and hex digits, or a name "
	  "such as \"namespace_not_ready\", \"transient_transport_error\", \"ana_inaccessible\", \"host_path_error\")" },
	{ FA "{'action': {'status': true}}" FZ,
	  "katod.faults[0].action.status: expected a status (an integer, a string or an object), got a boolean" },
	{ FA "{'action': {'status': {'sct': 3}}}" FZ, "katod.faults[0].action.status.sc: missing" },
	{ FA "{'action': {'status': {'sc': 300}}}" FZ, "katod.faults[0].action.status.sc: 300 is out of range (0..255)" },
	{ FA "{'action': {'status': {'sct': 8, 'sc': 1}}}" FZ,
	  "katod.faults[0].action.status.sct: 8 is out of range (0..7)" },
	{ FA "{'action': {'status': {'sc': 1, 'crd': 4}}}" FZ,
	  "katod.faults[0].action.status.crd: 4 is out of range (0..3)" },
	{ FA "{'action': {'status': {'sc': 2, 'dnr': 'maybe'}}}" FZ,
	  "katod.faults[0].action.status.dnr: \"maybe\" is not a boolean (0 or 1)" },
	{ FA "{'action': {'status': {'name': 'ana_inaccessible', 'sc': 2}}}" FZ,
	  "katod.faults[0].action.status: \"name\" or \"sct\" and \"sc\", not both" },
	{ FA "{'action': {'status': {'name': 'x'}}}" FZ,
	  "katod.faults[0].action.status.name: \"x\" is not a status name (e.g. \"namespace_not_ready\", "
	  "\"transient_transport_error\", \"ana_inaccessible\", \"host_path_error\")" },
	{ FA "{'action': {'status': {'code': 2}}}" FZ, "katod.faults[0].action.status.code: unknown key" },
	/* match */
	{ FA "{'match': [], " HOLD "}" FZ, "katod.faults[0].match: expected an object, got an array" },
	{ FA "{'match': {'opcde': 1}, " HOLD "}" FZ, "katod.faults[0].match.opcde: unknown key" },
	{ FA "{'match': {'host': 'h 1'}, " HOLD "}" FZ,
	  "katod.faults[0].match.host: \"h 1\" is not an NQN (it contains a space or a control character)" },
	{ FA "{'match': {'subsystem': ''}, " HOLD "}" FZ,
	  "katod.faults[0].match.subsystem: \"\" is not an NQN (it is empty)" },
	{ FA "{'match': {'cntlid': 65520}, " HOLD "}" FZ,
	  "katod.faults[0].match.cntlid: 65520 is out of range (0..65519)" },
	{ FA "{'match': {'qid': 65535}, " HOLD "}" FZ, "katod.faults[0].match.qid: 65535 is out of range (0..65534)" },
	{ FA "{'match': {'nsid': 4294967296}, " HOLD "}" FZ,
	  "katod.faults[0].match.nsid: 4294967296 is out of range (0..4294967295)" },
	{ FA "{'match': {'set': 'nvm'}, " HOLD "}" FZ,
	  "katod.faults[0].match.set: \"nvm\" is not a command set (\"admin\", \"io\" or \"fabrics\")" },
	{ FA "{'match': {'opcode': 'reed'}, " HOLD "}" FZ,
	  "katod.faults[0].match.opcode: \"reed\" is not a command name (e.g. \"read\", \"write\", \"identify\", "
	  "\"keep_alive\", \"connect\"; or a number with \"set\")" },
	{ FA "{'match': {'opcode': 2}, " HOLD "}" FZ,
	  "katod.faults[0].match.opcode: an opcode number needs \"set\" (\"admin\", \"io\" or \"fabrics\")" },
	{ FA "{'match': {'set': 'io', 'opcode': 256}, " HOLD "}" FZ,
	  "katod.faults[0].match.opcode: 256 is out of range (0..255)" },
	{ FA "{'match': {'set': 'admin', 'opcode': 'read'}, " HOLD "}" FZ,
	  "katod.faults[0].match.opcode: \"read\" is a command of set \"io\", not \"admin\"" },
	{ FA "{'match': {'lba': 5}, " HOLD "}" FZ, "katod.faults[0].match.lba: expected an array, got an integer" },
	{ FA "{'match': {'lba': [5]}, " HOLD "}" FZ, "katod.faults[0].match.lba: [5] is not [first, last]" },
	{ FA "{'match': {'lba': [5, 1]}, " HOLD "}" FZ, "katod.faults[0].match.lba: [5,1] ends before it starts" },
	{ FA "{'match': {'lba': [0, -1]}, " HOLD "}" FZ,
	  "katod.faults[0].match.lba[1]: -1 is out of range (0..9223372036854775807)" },
	{ FA "{'match': {'lba': [0, 9], 'opcode': 'flush'}, " HOLD "}" FZ,
	  "katod.faults[0].match: this opcode carries no LBA range (Read, Write, Write Zeroes, Compare, "
	  "Write Uncorrectable and Verify do)" },
	{ FA "{'match': {'lba': [0, 9], 'set': 'admin'}, " HOLD "}" FZ,
	  "katod.faults[0].match: only I/O commands carry an LBA range" },
	{ FA "{'match': {'lba': [0, 9], 'qid': 0}, " HOLD "}" FZ,
	  "katod.faults[0].match: the admin queue carries no LBA range" },
	{ FA "{'match': {'qid': 0, 'set': 'io'}, " HOLD "}" FZ,
	  "katod.faults[0].match: I/O commands are not on the admin queue (qid 0)" },
	{ FA "{'match': {'qid': 2, 'opcode': 'identify'}, " HOLD "}" FZ,
	  "katod.faults[0].match: admin commands are on the admin queue (qid 0) only" },
	/* fire */
	{ FA "{" HOLD ", 'fire': 'sometimes'}" FZ,
	  "katod.faults[0].fire: \"sometimes\" is not \"always\" (or {\"first\": N} or {\"probability\": P, "
	  "\"seed\": S})" },
	{ FA "{" HOLD ", 'fire': 3}" FZ, "katod.faults[0].fire: expected \"always\" or an object, got an integer" },
	{ FA "{" HOLD ", 'fire': {}}" FZ,
	  "katod.faults[0].fire: a firing condition needs \"first\" or \"probability\" (or is \"always\")" },
	{ FA "{" HOLD ", 'fire': {'last': 3}}" FZ, "katod.faults[0].fire.last: unknown key" },
	{ FA "{" HOLD ", 'fire': {'first': 0}}" FZ, "katod.faults[0].fire.first: 0 is out of range (1..4294967295)" },
	{ FA "{" HOLD ", 'fire': {'first': 2, 'probability': 0.5}}" FZ,
	  "katod.faults[0].fire: \"first\" or \"probability\", not both" },
	{ FA "{" HOLD ", 'fire': {'first': 2, 'seed': 1}}" FZ,
	  "katod.faults[0].fire.seed: goes with \"probability\" only" },
	{ FA "{" HOLD ", 'fire': {'probability': 0}}" FZ,
	  "katod.faults[0].fire.probability: 0 is not a probability from 0.000001 to 1" },
	{ FA "{" HOLD ", 'fire': {'probability': 1.5}}" FZ,
	  "katod.faults[0].fire.probability: 1.5 is not a probability from 0.000001 to 1" },
	{ FA "{" HOLD ", 'fire': {'probability': 0.0000004}}" FZ,
	  "katod.faults[0].fire.probability: 0.0000004 is not a probability from 0.000001 to 1" },
	{ FA "{" HOLD ", 'fire': {'probability': '0.5'}}" FZ,
	  "katod.faults[0].fire.probability: expected a number, got a string" },
	{ FA "{" HOLD ", 'fire': {'probability': 0.5, 'seed': -1}}" FZ,
	  "katod.faults[0].fire.seed: -1 is out of range (0..9223372036854775807)" },
	{ FA "{" HOLD ", 'fire': {'probability': 0.5, 'seed': '0xg'}}" FZ,
	  "katod.faults[0].fire.seed: \"0xg\" is not a seed (an integer, or \"0x\" and 1 to 16 hex digits)" },
	{ FA "{" HOLD ", 'fire': {'probability': 0.5, 'seed': '0x10000000000000000'}}" FZ,
	  "katod.faults[0].fire.seed: \"0x10000000000000000\" is not a seed (an integer, or \"0x\" and 1 to 16 hex "
	  "digits)" },
	{ FA "{" HOLD ", 'fire': {'probability': 0.5, 'seed': 1.5}}" FZ,
	  "katod.faults[0].fire.seed: expected an integer, got a number" },
	/* expiry, names */
	{ FA "{" HOLD ", 'expire_ms': 0}" FZ, "katod.faults[0].expire_ms: 0 is out of range (1..2592000000)" },
	{ FA "{" HOLD ", 'name': '12'}" FZ,
	  "katod.faults[0].name: \"12\" is not a rule name (1 to 63 of A-Z a-z 0-9 . _ : -, not only digits)" },
	{ FA "{" HOLD ", 'name': 'slow reads'}" FZ,
	  "katod.faults[0].name: \"slow reads\" is not a rule name (1 to 63 of A-Z a-z 0-9 . _ : -, not only digits)" },
	{ FA "{" HOLD ", 'name': 'a'}, {" HOLD "}, {" HOLD ", 'name': 'a'}" FZ,
	  "katod.faults[2].name: \"a\" is also the name of faults[0]" },
};

static void test_errors_faults(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fault_cases) / sizeof(fault_cases[0]); i++)
		expect_error(J(fault_cases[i].json), fault_cases[i].msg);
	/* at most KT_FAULT_RULES_MAX rules */
	static char big[8192];
	size_t n = (size_t)snprintf(big, sizeof(big), "{\"katod\": {\"faults\": [");
	for (int i = 0; i <= KT_FAULT_RULES_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s{\"action\": {\"hold\": true}}", i ? ", " : "");
	snprintf(big + n, sizeof(big) - n, "]}}");
	expect_error(big, "katod.faults: 65 rules (at most 64)");
}

/* katod.faults: every form loads to the rule it says, and the rules
 * survive a round trip through kt_config_to_json. */
static void test_faults(void **state)
{
	(void)state;
	struct kt_config *cfg = load_ok(J(
		"{'katod': {'faults': ["
		" {'name': 'slow-reads', 'match': {'host': 'nqn.h', 'subsystem': 'nqn.s', 'cntlid': 3, 'qid': 1,"
		"   'set': 'io', 'opcode': 'read', 'nsid': 1, 'lba': [0, 1023]},"
		"  'action': {'delay_ms': 500}, 'fire': {'first': 3}, 'expire_ms': 60000},"
		" {'action': {'status': '0x4302'}},"
		" {'action': {'status': {'sct': 3, 'sc': 2, 'dnr': true, 'more': true, 'crd': 2}},"
		"  'fire': {'probability': 0.25, 'seed': 42}},"
		" {'match': {'opcode': 'connect'}, 'action': {'close': 'before'}},"
		" {'match': {'set': 'admin', 'opcode': 24}, 'action': {'hold': true}, 'fire': 'always'},"
		" {'match': {'set': 'io', 'opcode': 126, 'qid': 2}, 'action': {'close': 'after'}},"
		" {'action': {'stall_reads_ms': 200}, 'fire': {'probability': 1, 'seed': '0xffffffffffffffff'}},"
		" {'action': {'corrupt_data_digest': true}, 'fire': {'probability': 0.000001, 'seed': '12'}},"
		" {'action': {'status': 'namespace_not_ready'}, 'match': {'set': 'fabrics', 'opcode': 1}},"
		" {'action': {'status': {'name': 'transient_transport_error', 'dnr': false}}, 'fire': {'first': '2'}},"
		" {'action': {'status': 16386}, 'match': {'lba': [9223372036854775807, 9223372036854775807]}},"
		" {'action': {'status': {'sct': 7, 'sc': 0}}, 'match': null}]}}"));
	const struct kt_cfg_daemon *d = &cfg->daemon;
	assert_int_equal(d->n_faults, 12);
	const struct kt_fault_rule *f = d->faults;
	assert_string_equal(f[0].name, "slow-reads");
	assert_int_equal(f[0].match.has, KT_FAULT_M_ALL);
	assert_string_equal(f[0].match.host, "nqn.h");
	assert_string_equal(f[0].match.subsys, "nqn.s");
	assert_int_equal(f[0].match.cntlid, 3);
	assert_int_equal(f[0].match.qid, 1);
	assert_int_equal(f[0].match.set, KT_FAULT_SET_IO);
	assert_int_equal(f[0].match.opcode, 0x02);
	assert_int_equal(f[0].match.nsid, 1);
	assert_int_equal(f[0].match.lba_first, 0);
	assert_int_equal(f[0].match.lba_last, 1023);
	assert_int_equal(f[0].action.kind, KT_FAULT_DELAY);
	assert_int_equal(f[0].action.ms, 500);
	assert_int_equal(f[0].fire.kind, KT_FAULT_FIRE_FIRST);
	assert_int_equal(f[0].fire.first, 3);
	assert_int_equal(f[0].expire_ms, 60000);
	assert_string_equal(f[1].name, "");
	assert_int_equal(f[1].match.has, 0);
	assert_int_equal(f[1].action.kind, KT_FAULT_STATUS);
	assert_int_equal(f[1].action.status, 0x4302);
	assert_int_equal(f[1].fire.kind, KT_FAULT_FIRE_ALWAYS);
	assert_int_equal(f[1].expire_ms, 0);
	assert_int_equal(f[2].action.status, 0x4000 | 0x2000 | 0x1000 | 0x0302);
	assert_int_equal(f[2].fire.kind, KT_FAULT_FIRE_PROB);
	assert_int_equal(f[2].fire.ppm, 250000);
	assert_int_equal(f[2].fire.seed, 42);
	assert_int_equal(f[3].match.has, KT_FAULT_M_SET | KT_FAULT_M_OPCODE); /* the name gives the set */
	assert_int_equal(f[3].match.set, KT_FAULT_SET_FABRICS);
	assert_int_equal(f[3].match.opcode, 0x01);
	assert_int_equal(f[3].action.kind, KT_FAULT_CLOSE_BEFORE);
	assert_int_equal(f[4].match.set, KT_FAULT_SET_ADMIN);
	assert_int_equal(f[4].match.opcode, 0x18);
	assert_int_equal(f[4].action.kind, KT_FAULT_HOLD);
	assert_int_equal(f[5].match.opcode, 126);
	assert_int_equal(f[5].action.kind, KT_FAULT_CLOSE_AFTER);
	assert_int_equal(f[6].action.kind, KT_FAULT_STALL_READS);
	assert_int_equal(f[6].action.ms, 200);
	assert_int_equal(f[6].fire.ppm, KT_FAULT_PPM);
	assert_true(f[6].fire.seed == UINT64_MAX);
	assert_int_equal(f[7].action.kind, KT_FAULT_CORRUPT_DDGST);
	assert_int_equal(f[7].fire.ppm, 1);
	assert_int_equal(f[7].fire.seed, 12);
	assert_int_equal(f[8].action.status, 0x0082);
	assert_int_equal(f[9].action.status, 0x0022);
	assert_int_equal(f[9].fire.first, 2);
	assert_int_equal(f[10].action.status, 0x4002);
	assert_true(f[10].match.lba_first == (uint64_t)INT64_MAX);
	assert_int_equal(f[11].action.status, 0x0700);
	assert_int_equal(f[11].match.has, 0);
	for (size_t i = 0; i < d->n_faults; i++)
		assert_int_equal(kt_fault_rule_check(&f[i]), 0);
	assert_round_trip(cfg);

	/* the writer's form of one rule, and the shared reader's path */
	struct json_object *o = kt_config_fault_rule_json(&f[0]);
	assert_non_null(o);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			    "{\"name\":\"slow-reads\",\"match\":{\"host\":\"nqn.h\",\"subsystem\":\"nqn.s\",\"cntlid\":3,"
			    "\"qid\":1,\"set\":\"io\",\"opcode\":\"read\",\"nsid\":1,\"lba\":[0,1023]},"
			    "\"action\":{\"delay_ms\":500},\"fire\":{\"first\":3},\"expire_ms\":60000}");
	json_object_put(o);
	o = kt_config_fault_rule_json(&f[2]);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			    "{\"action\":{\"status\":{\"name\":\"ana_inaccessible\",\"dnr\":true,\"more\":true,\"crd\":2}},"
			    "\"fire\":{\"probability\":0.25,\"seed\":42}}");
	json_object_put(o);
	o = kt_config_fault_rule_json(&f[6]);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			    "{\"action\":{\"stall_reads_ms\":200},\"fire\":{\"probability\":1.0,"
			    "\"seed\":\"0xffffffffffffffff\"}}");
	json_object_put(o);
	o = kt_config_fault_rule_json(&f[11]);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			    "{\"action\":{\"status\":{\"sct\":7,\"sc\":0,\"dnr\":false}},\"fire\":\"always\"}");
	json_object_put(o);
	kt_config_free(cfg);

	char err[256];
	struct kt_fault_rule r;
	o = json_tokener_parse("{\"action\": {\"delay_ms\": 5}, \"match\": {\"opcode\": \"write\"}}");
	assert_int_equal(kt_config_parse_fault_rule(o, "params", &r, err, sizeof(err)), 0);
	assert_int_equal(r.match.opcode, 0x01);
	json_object_put(o);
	o = json_tokener_parse("{\"action\": {\"delay_ms\": 5}, \"id\": 3}");
	assert_int_equal(kt_config_parse_fault_rule(o, "params", &r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "params.id: unknown key");
	json_object_put(o);
	o = json_tokener_parse("[]");
	assert_int_equal(kt_config_parse_fault_rule(o, "params.rule", &r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "params.rule: expected an object, got an array");
	json_object_put(o);

	/* none: nothing written */
	cfg = load_ok(J("{'katod': {'faults': []}}"));
	assert_int_equal(cfg->daemon.n_faults, 0);
	char *text = NULL;
	assert_int_equal(kt_config_to_json(cfg, &text), 0);
	assert_null(strstr(text, "faults"));
	free(text);
	kt_config_free(cfg);
}

static void run_cases(const struct err_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_error(J(cases[i].json), cases[i].msg);
}

#define RUN(c) run_cases(c, sizeof(c) / sizeof((c)[0]))
/* DH-HMAC-CHAP host attributes: both spellings, defaults, and the round
 * trip (written back in the "dhchap" group form). */
#define KEY0 "DHHC-1:00:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYOtVl3:"
#define KEY1 "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"
static void test_host_auth(void **state)
{
	(void)state;
	struct kt_config *cfg = load_ok(J(
		"{'hosts': [{'nqn': 'nqn.h1', 'attr': {'dhchap_key': '" KEY1 "', 'dhchap_ctrl_key': '" KEY0 "',"
		"   'dhchap_hash': 'hmac(sha512)', 'dhchap_dhgroup': 'ffdhe2048'}},"
		" {'nqn': 'nqn.h2', 'dhchap': {'key': '" KEY0 "', 'hash': 'hmac(sha384)', 'dhgroup': 'ffdhe8192'}},"
		" {'nqn': 'nqn.h3'},"
		" {'nqn': 'nqn.h4', 'dhchap': {'key': '', 'ctrl_key': '', 'hash': 'hmac(sha256)', 'dhgroup': 'null'}}]}"));
	assert_int_equal(cfg->n_hosts, 4);
	assert_string_equal(cfg->host_auth[0].key, KEY1);
	assert_string_equal(cfg->host_auth[0].ctrl_key, KEY0);
	assert_int_equal(cfg->host_auth[0].hash_id, 3);
	assert_int_equal(cfg->host_auth[0].dhgid, 1);
	assert_string_equal(cfg->host_auth[1].key, KEY0);
	assert_null(cfg->host_auth[1].ctrl_key);
	assert_int_equal(cfg->host_auth[1].hash_id, 2);
	assert_int_equal(cfg->host_auth[1].dhgid, 5);
	for (int i = 2; i < 4; i++) {
		assert_null(cfg->host_auth[i].key);
		assert_null(cfg->host_auth[i].ctrl_key);
		assert_int_equal(cfg->host_auth[i].hash_id, 1);
		assert_int_equal(cfg->host_auth[i].dhgid, 0);
	}
	assert_round_trip(cfg);

	/* written back in nvmetcli's attribute-group form; a host without
	 * settings exactly as nvmetcli writes it */
	char *json = NULL;
	assert_int_equal(kt_config_to_json(cfg, &json), 0);
	struct json_object *root = json_tokener_parse(json), *h, *g, *v;
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "hosts", &h));
	assert_true(json_object_object_get_ex(json_object_array_get_idx(h, 0), "dhchap", &g));
	assert_true(json_object_object_get_ex(g, "key", &v));
	assert_string_equal(json_object_get_string(v), KEY1);
	assert_true(json_object_object_get_ex(g, "ctrl_key", &v));
	assert_string_equal(json_object_get_string(v), KEY0);
	assert_true(json_object_object_get_ex(g, "hash", &v));
	assert_string_equal(json_object_get_string(v), "hmac(sha512)");
	assert_true(json_object_object_get_ex(g, "dhgroup", &v));
	assert_string_equal(json_object_get_string(v), "ffdhe2048");
	for (int i = 2; i < 4; i++) {
		assert_int_equal(json_object_object_length(json_object_array_get_idx(h, i)), 1);
		assert_false(json_object_object_get_ex(json_object_array_get_idx(h, i), "dhchap", NULL));
	}
	json_object_put(root);
	free(json);
	kt_config_free(cfg);
}

#define TLSKEY1 "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"
#define TLSKEY2 "NVMeTLSkey-1:02:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwP/w0S89ELi3W2LxIcLXVsDn8kXZQ==:"

/* TLS: ports with tsas tls1.3 (treq required by default, or not
 * required), hosts' PSKs in both forms, a per-subsystem key; all written
 * back and read again. */
/* Keys given as "file:PATH": read and checked at load, the reference kept
 * (a saved configuration names the file again); a file that group or
 * others may read, a relative path, a symbolic link, an empty or missing
 * file are refused, naming the JSON path and never the content. */
static void test_key_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/kato-keyfile-XXXXXX", path[128], link[160], json[1024], msg[512];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/host.key", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(KEY0 "\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	snprintf(json, sizeof(json),
		 "{\"hosts\": [{\"nqn\": \"nqn.h\", \"dhchap\": {\"key\": \"file:%s\"}, \"tls\": {\"key\": \"file:%s\"}}]}",
		 path, path);
	/* a DH-HMAC-CHAP key in the file: fine for dhchap, not a TLS PSK */
	snprintf(msg, sizeof(msg), "hosts[0].tls.key: not a TLS PSK (NVMeTLSkey-1:hh:base64:) in the key file: %s",
		 TLS_BAD_WHY2);
	expect_error(json, msg);
	snprintf(json, sizeof(json), "{\"hosts\": [{\"nqn\": \"nqn.h\", \"dhchap\": {\"key\": \"file:%s\"}}]}", path);
	struct kt_config *cfg = load_ok(json);
	snprintf(msg, sizeof(msg), "file:%s", path);
	assert_string_equal(cfg->host_auth[0].key, msg);
	assert_round_trip(cfg);
	char *text = NULL;
	assert_int_equal(kt_config_secret(cfg->host_auth[0].key, &text, NULL), 0);
	assert_string_equal(text, KEY0); /* the newline is not part of the key */
	kt_config_secret_free(text);
	kt_config_free(cfg);

	/* readable by others: refused */
	assert_int_equal(chmod(path, 0644), 0);
	snprintf(msg, sizeof(msg),
		 "hosts[0].dhchap.key: the key file may be read or written by group or others (chmod 600 it)");
	expect_error(json, msg);
	assert_int_equal(chmod(path, 0400), 0);
	cfg = load_ok(json);
	kt_config_free(cfg);
	/* a symbolic link, a relative path, a missing file, an empty one */
	snprintf(link, sizeof(link), "%s/link.key", dir);
	assert_int_equal(symlink(path, link), 0);
	snprintf(json, sizeof(json), "{\"hosts\": [{\"nqn\": \"nqn.h\", \"dhchap\": {\"key\": \"file:%s\"}}]}", link);
	expect_error(json, "hosts[0].dhchap.key: the key file is a symbolic link");
	expect_error("{\"hosts\": [{\"nqn\": \"nqn.h\", \"dhchap\": {\"key\": \"file:host.key\"}}]}",
		     "hosts[0].dhchap.key: the path of a key file must be absolute");
	snprintf(json, sizeof(json), "{\"hosts\": [{\"nqn\": \"nqn.h\", \"attr\": {\"dhchap_ctrl_key\": \"file:%s/none\"}}]}",
		 dir);
	expect_error(json, "hosts[0].attr.dhchap_ctrl_key: no such key file");
	assert_int_equal(unlink(path), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	snprintf(json, sizeof(json), "{\"hosts\": [{\"nqn\": \"nqn.h\", \"dhchap\": {\"key\": \"file:%s\"}}]}", path);
	expect_error(json, "hosts[0].dhchap.key: the key file is empty");
	unlink(link);
	unlink(path);
	rmdir(dir);
}

static void test_tls(void **state)
{
	(void)state;
	struct kt_config *cfg = load_ok(J(
		"{'hosts': [{'nqn': 'nqn.h1', 'tls': {'key': '" TLSKEY1 "', 'derive': 'compat',"
		"              'subsystem_keys': {'nqn.s': '" TLSKEY2 "'}}},"
		"           {'nqn': 'nqn.h2', 'attr': {'tls_key': '" TLSKEY2 "', 'tls_derive': 'rfc'}},"
		"           {'nqn': 'nqn.h3'}],"
		" 'subsystems': [{'nqn': 'nqn.s'}],"
		" 'ports': [{'portid': 1, 'addr': {'traddr': '127.0.0.1', 'tsas': 'tls1.3'}},"
		"           {'portid': 2, 'addr': {'traddr': '127.0.0.1', 'trsvcid': '4421', 'tsas': 'tls1.3',"
		"                                  'treq': 'not required'}},"
		"           {'portid': 3, 'addr': {'traddr': '127.0.0.1', 'trsvcid': '4422', 'treq': 'not specified',"
		"                                  'tsas': 'tls1.3'}},"
		"           {'portid': 4, 'addr': {'traddr': '127.0.0.1', 'trsvcid': '4423'}}]}"));
	assert_string_equal(cfg->ports[0].tsas, "tls1.3");
	assert_string_equal(cfg->ports[0].treq, "required");
	assert_string_equal(cfg->ports[1].treq, "not required");
	assert_string_equal(cfg->ports[2].treq, "required"); /* nvmet: tls1.3 makes it required */
	assert_string_equal(cfg->ports[3].tsas, "none");
	assert_string_equal(cfg->ports[3].treq, "not specified");
	assert_string_equal(cfg->host_auth[0].tls_key, TLSKEY1);
	assert_int_equal(cfg->host_auth[0].tls_derive, KT_TLS_DERIVE_COMPAT);
	assert_int_equal(cfg->host_auth[0].n_tls_sub, 1);
	assert_string_equal(cfg->host_auth[0].tls_sub_nqn[0], "nqn.s");
	assert_string_equal(cfg->host_auth[0].tls_sub_key[0], TLSKEY2);
	assert_string_equal(cfg->host_auth[1].tls_key, TLSKEY2);
	assert_int_equal(cfg->host_auth[1].tls_derive, KT_TLS_DERIVE_RFC);
	assert_null(cfg->host_auth[2].tls_key);
	assert_int_equal(cfg->host_auth[2].tls_derive, 0);
	assert_round_trip(cfg);
	char *json = NULL;
	assert_int_equal(kt_config_to_json(cfg, &json), 0);
	assert_non_null(strstr(json, "\"tsas\":\"tls1.3\"") ? json : strstr(json, "\"tsas\": \"tls1.3\""));
	assert_null(strstr(json, "\"nqn.h3\", \"tls\""));
	free(json);
	kt_config_free(cfg);
}

static void test_errors_top_hosts(void **state) { (void)state; RUN(top_cases); }
static void test_errors_subsystems(void **state) { (void)state; RUN(subsys_cases); }
static void test_errors_namespaces(void **state) { (void)state; RUN(ns_cases); }
static void test_errors_ports(void **state) { (void)state; RUN(port_cases); }
static void test_errors_katod(void **state) { (void)state; RUN(katod_cases); }

static void test_errors_long_nqn(void **state)
{
	(void)state;
	char json[600], nqn[225];
	memcpy(nqn, "nqn.", 4);
	memset(nqn + 4, 'a', 220);
	nqn[224] = '\0';
	snprintf(json, sizeof(json), "{\"subsystems\": [{\"nqn\": \"%s\"}]}", nqn);
	struct kt_config *cfg = NULL;
	char err[512];
	assert_int_equal(kt_config_load_string(json, &cfg, err, sizeof(err)), -EINVAL);
	assert_null(cfg);
	assert_true(!strncmp(err, "subsystems[0].nqn: \"nqn.aaa", 27));
	assert_non_null(strstr(err, " is not an NQN (longer than 223 bytes)"));
}

/* An error is reported for the first problem in a fixed order (hosts,
 * subsystems, ports, katod), whatever the key order of the file. */
static void test_error_order(void **state)
{
	(void)state;
	expect_error(J("{'katod': {'kas': 0}, 'ports': [{}], 'subsystems': [{}], 'hosts': [{}]}"), "hosts[0].nqn: missing");
	expect_error(J("{'katod': {'kas': 0}, 'ports': [{}], 'subsystems': [{}]}"), "subsystems[0].nqn: missing");
	expect_error(J("{'katod': {'kas': 0}, 'ports': [{}]}"), "ports[0].portid: missing");
}

static void test_malformed_json(void **state)
{
	(void)state;
	expect_error("", "line 1, column 1: unexpected end of the document");
	expect_error("{", "line 1, column 2: unexpected end of the document");
	expect_error("{\n  \"hosts\": [\n", "line 3, column 1: unexpected end of the document");
	expect_error("{} x", "line 1, column 4: unexpected text after the JSON document");
	expect_error("{\n  \"hosts\": [\n    {\"nqn\": }\n  ]\n}", "line 3, column 13: unexpected character");
	expect_error("{\n  \"hosts\" [] }", "line 2, column 11: object property name separator ':' expected");

	/* a short error buffer is cut, never overrun */
	struct kt_config *cfg = NULL;
	char err[8];
	assert_int_equal(kt_config_load_string("{\"x\": 1}", &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "x: unkn");
	assert_int_equal(kt_config_load_string("{\"x\": 1}", &cfg, NULL, 0), -EINVAL);
}

static void test_load_file_errors(void **state)
{
	(void)state;
	struct kt_config *cfg = NULL;
	char err[512];
	assert_int_equal(kt_config_load_file("/nonexistent/kato.json", &cfg, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/kato.json: No such file or directory");
	assert_null(cfg);
	assert_int_equal(kt_config_load_file("/tmp", &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "/tmp: not a regular file");

	char path[] = "/tmp/test_config_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	static const char text[] = "{\n  \"ports\": [\n    {\"portid\": 1, \"addr\": {\"traddr\": \"10.0.0.300\"}}\n  ]\n}\n";
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	assert_int_equal(kt_config_load_file(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "ports[0].addr.traddr: \"10.0.0.300\" is not an IPv4 address");
	unlink(path);
}

static void test_daemon_defaults_fn(void **state)
{
	(void)state;
	struct kt_cfg_daemon d;
	memset(&d, 0xa5, sizeof(d));
	kt_cfg_daemon_defaults(&d);
	assert_daemon_defaults(&d);
	free(d.log_level);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_default_json_text),
		cmocka_unit_test(test_nvmetcli_saved),
		cmocka_unit_test(test_kato_example),
		cmocka_unit_test(test_accepted_forms),
		cmocka_unit_test(test_ana_groups),
		cmocka_unit_test(test_host_auth),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_errors_top_hosts),
		cmocka_unit_test(test_errors_subsystems),
		cmocka_unit_test(test_errors_namespaces),
		cmocka_unit_test(test_errors_ports),
		cmocka_unit_test(test_errors_katod),
		cmocka_unit_test(test_keepalive_settings),
		cmocka_unit_test(test_errors_faults),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_errors_long_nqn),
		cmocka_unit_test(test_error_order),
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_daemon_defaults_fn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

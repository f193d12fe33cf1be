/* corosync-qdevice's configuration from cmap: every key's default, range and refusal, derived values, node list, and run-time change rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "qdevice_config.h"
#include "proto.h"
#include "qdevice_settings.h"

/* ---- a small editable cmap ---- */

struct cm {
	struct qdevice_cmap_entry e[96];
	struct qdevice_cmap map;
};

#define S(k, v) ((struct qdevice_cmap_entry){.key = (k), .type = QDEVICE_CMAP_STRING, .str = (v)})
#define U32(k, v) ((struct qdevice_cmap_entry){.key = (k), .type = QDEVICE_CMAP_U32, .u = (v)})
#define U8(k, v) ((struct qdevice_cmap_entry){.key = (k), .type = QDEVICE_CMAP_U8, .u = (v)})
#define U64(k, v) ((struct qdevice_cmap_entry){.key = (k), .type = QDEVICE_CMAP_U64, .u = (v)})
#define I32(k, v) ((struct qdevice_cmap_entry){.key = (k), .type = QDEVICE_CMAP_I32, .i = (v)})

static void cm_set(struct cm *c, struct qdevice_cmap_entry e)
{
	for (size_t i = 0; i < c->map.count; i++) {
		if (strcmp(c->e[i].key, e.key) == 0) {
			c->e[i] = e;
			return;
		}
	}
	assert_true(c->map.count < sizeof(c->e) / sizeof(c->e[0]));
	c->e[c->map.count++] = e;
}

static void cm_del(struct cm *c, const char *key)
{
	for (size_t i = 0; i < c->map.count; i++) {
		if (strcmp(c->e[i].key, key) == 0) {
			c->e[i] = c->e[--c->map.count];
			return;
		}
	}
}

/* A minimal valid two-node configuration, as corosync's parser stores it. */
static void cm_base(struct cm *c)
{
	memset(c, 0, sizeof(*c));
	c->map.entries = c->e;
	cm_set(c, S("quorum.device.model", "net"));
	cm_set(c, U32("quorum.device.votes", 1));
	cm_set(c, S("quorum.device.net.host", "192.0.2.50"));
	cm_set(c, S("totem.cluster_name", "pve"));
	cm_set(c, U32("runtime.votequorum.this_node_id", 1));
	cm_set(c, S("nodelist.node.0.name", "a"));
	cm_set(c, U32("nodelist.node.0.nodeid", 1));
	cm_set(c, S("nodelist.node.0.ring0_addr", "192.0.2.1"));
	cm_set(c, S("nodelist.node.1.name", "b"));
	cm_set(c, U32("nodelist.node.1.nodeid", 2));
	cm_set(c, S("nodelist.node.1.ring0_addr", "192.0.2.2"));
}

/* ---- environment: settings, a fake resolver, captured log ---- */

static struct qdevice_settings settings;
static char logbuf[4096];

static void capture_log(void *ctx, int priority, const char *message)
{
	(void)ctx;
	size_t len = strlen(logbuf);
	snprintf(logbuf + len, sizeof(logbuf) - len, "%d %s\n", priority, message);
}

/* Resolves literal 10.x/192.0.2.x style addresses by a table; everything else fails. */
static int fake_resolve(void *ctx, const char *addr, uint32_t *out)
{
	(void)ctx;
	static const struct {
		const char *name;
		uint32_t ip;
	} table[] = {
		{"192.0.2.11", 0xC000020Bu}, {"192.0.2.12", 0xC000020Cu}, {"node-high", 0xC0A80001u}, {"dup", 0xC000020Bu},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(addr, table[i].name) == 0) {
			*out = table[i].ip;
			return 0;
		}
	}
	return -1;
}

static struct qdevice_config_env env(void)
{
	struct qdevice_config_env e = {&settings, fake_resolve, NULL, capture_log, NULL};
	return e;
}

static int setup(void **state)
{
	(void)state;
	qdevice_settings_init(&settings);
	logbuf[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	qdevice_settings_destroy(&settings);
	return 0;
}

static int read_cfg(struct cm *c, struct qdevice_config *cfg, char *err)
{
	struct qdevice_config_env e = env();
	err[0] = '\0';
	return qdevice_config_read(&c->map, &e, cfg, err, 512);
}

/* ---- cmap model ---- */

static void test_cmap_getters(void **state)
{
	(void)state;
	struct cm c;
	const char *str;
	uint32_t u32;
	uint8_t u8;
	uint64_t u64;

	cm_base(&c);
	cm_set(&c, U8("quorum.wait_for_all", 1));
	cm_set(&c, U64("totem.config_version", 7));
	cm_set(&c, I32("some.i32", -3));
	assert_int_equal(qdevice_cmap_get_string(&c.map, "quorum.device.model", &str), 0);
	assert_string_equal(str, "net");
	assert_int_equal(qdevice_cmap_get_u32(&c.map, "quorum.device.votes", &u32), 0);
	assert_int_equal(u32, 1);
	assert_int_equal(qdevice_cmap_get_u8(&c.map, "quorum.wait_for_all", &u8), 0);
	assert_int_equal(u8, 1);
	assert_int_equal(qdevice_cmap_get_u64(&c.map, "totem.config_version", &u64), 0);
	assert_int_equal(u64, 7);
	assert_int_equal(qdevice_cmap_find(&c.map, "some.i32")->i, -3);
	/* A type mismatch fails like absence; so does a missing key. */
	assert_int_equal(qdevice_cmap_get_u32(&c.map, "quorum.device.model", &u32), -1);
	assert_int_equal(qdevice_cmap_get_string(&c.map, "quorum.device.votes", &str), -1);
	assert_int_equal(qdevice_cmap_get_u8(&c.map, "quorum.device.votes", &u8), -1);
	assert_int_equal(qdevice_cmap_get_u64(&c.map, "quorum.device.votes", &u64), -1);
	assert_int_equal(qdevice_cmap_get_u32(&c.map, "no.such.key", &u32), -1);
	assert_null(qdevice_cmap_find(&c.map, "no.such.key"));
}

/* ---- defaults and derived values ---- */

static void test_defaults(void **state)
{
	(void)state;
	struct cm c;
	struct qdevice_config cfg;
	char err[512];

	cm_base(&c);
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_int_equal(cfg.model, QDEVICE_MODEL_NET);
	assert_int_equal(cfg.node_id, 1);
	assert_int_equal(cfg.timeout, 10000);
	assert_int_equal(cfg.sync_timeout, 30000);
	assert_true(cfg.votes_set);
	assert_int_equal(cfg.votes, 1);
	assert_false(cfg.master_wins);
	assert_false(cfg.wait_for_all);
	assert_int_equal(cfg.heuristics.mode, QDEVICE_HEURISTICS_MODE_OFF);
	assert_int_equal(cfg.heuristics.timeout, 5000);
	assert_int_equal(cfg.heuristics.sync_timeout, 15000);
	assert_int_equal(cfg.heuristics.interval, 30000);
	assert_int_equal(cfg.heuristics.exec_count, 0);
	assert_string_equal(cfg.net.host, "192.0.2.50");
	assert_int_equal(cfg.net.port, 5403);
	assert_int_equal(cfg.net.tls, PROTO_TLS_SUPPORTED);
	assert_string_equal(cfg.net.cluster_name, "pve");
	assert_int_equal(cfg.net.algorithm, PROTO_ALGO_FFSPLIT);
	assert_int_equal(cfg.net.tie_breaker_mode, PROTO_TIE_BREAKER_LOWEST);
	assert_false(cfg.net.connect_timeout_set);
	assert_int_equal(cfg.net.connect_timeout, 8000);
	assert_int_equal(cfg.net.force_ip_version, 0);
	assert_true(cfg.net.keep_active_partition_tie_breaker);
	assert_int_equal(cfg.net.heartbeat_interval, 8000);
	assert_int_equal(cfg.net.sync_heartbeat_interval, 24000);
	assert_int_equal(cfg.net.cast_vote_timer_interval, 5000);
	assert_int_equal(cfg.node_list.count, 2);
	assert_false(cfg.node_list.config_version_set);
	assert_string_equal(logbuf, "");
	/* Reconnect delay: random % (int)(5000 × 0.9) = random % 4500. */
	assert_int_equal(qdevice_config_reconnect_delay(&cfg, 4499), 4499);
	assert_int_equal(qdevice_config_reconnect_delay(&cfg, 4500), 0);
	assert_int_equal(qdevice_config_reconnect_delay(&cfg, 9001), 1);
	qdevice_config_destroy(&cfg);
}

struct derived {
	uint32_t timeout, sync_timeout;
	uint32_t hb, sync_hb, cast, connect, h_timeout, h_sync_timeout, h_interval, reconnect_mod;
	const char *log;        /* expected log, "" for none */
};

static void test_derived_values(void **state)
{
	(void)state;
	static const struct derived cases[] = {
		{10000, 30000, 8000, 24000, 5000, 8000, 5000, 15000, 30000, 4500, ""},
		/* 0.8 × 1249 = 999.2 → 999 → clamped up to 1000; heuristics defaults are not range checked. */
		{1249, 3000, 1000, 2400, 624, 1000, 624, 1500, 3747, 561, "4 Heartbeat interval too small 999. Adjusting to 1000.\n"},
		{1250, 2000, 1000, 1600, 625, 1000, 625, 1000, 3750, 562, ""},
		{150000, 300000, 120000, 240000, 75000, 120000, 75000, 150000, 450000, 67500, ""},
		/* 0.8 × 150001 = 120000.8 → 120000: not above the maximum yet. */
		{150001, 300000, 120000, 240000, 75000, 120000, 75000, 150000, 450003, 67500, ""},
		{150002, 300000, 120000, 240000, 75001, 120000, 75001, 150000, 450006, 67500,
		 "4 Heartbeat interval too big 120001. Adjusting to 120000.\n"},
		{3, 3, 1000, 2, 1, 1000, 1, 1, 9, 0, "4 Heartbeat interval too small 2. Adjusting to 1000.\n"},
		{7, 9, 1000, 7, 3, 1000, 3, 4, 21, 2, "4 Heartbeat interval too small 5. Adjusting to 1000.\n"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct derived *d = &cases[i];
		struct cm c;
		struct qdevice_config cfg;
		char err[512];

		print_message("timeout %u sync %u\n", d->timeout, d->sync_timeout);
		cm_base(&c);
		cm_set(&c, U32("quorum.device.timeout", d->timeout));
		cm_set(&c, U32("quorum.device.sync_timeout", d->sync_timeout));
		logbuf[0] = '\0';
		assert_int_equal(read_cfg(&c, &cfg, err), 0);
		assert_int_equal(cfg.timeout, d->timeout);
		assert_int_equal(cfg.sync_timeout, d->sync_timeout);
		assert_int_equal(cfg.net.heartbeat_interval, d->hb);
		assert_int_equal(cfg.net.sync_heartbeat_interval, d->sync_hb);
		assert_int_equal(cfg.net.cast_vote_timer_interval, d->cast);
		assert_int_equal(cfg.net.connect_timeout, d->connect);
		assert_int_equal(cfg.heuristics.timeout, d->h_timeout);
		assert_int_equal(cfg.heuristics.sync_timeout, d->h_sync_timeout);
		assert_int_equal(cfg.heuristics.interval, d->h_interval);
		if (d->reconnect_mod == 0) {
			assert_int_equal(qdevice_config_reconnect_delay(&cfg, 12345), 0);
		} else {
			assert_int_equal(qdevice_config_reconnect_delay(&cfg, (long)d->reconnect_mod), 0);
			assert_int_equal(qdevice_config_reconnect_delay(&cfg, (long)d->reconnect_mod - 1), d->reconnect_mod - 1);
		}
		assert_string_equal(logbuf, d->log);
		qdevice_config_destroy(&cfg);
	}
}

static void test_clamp_limits_from_settings(void **state)
{
	(void)state;
	struct cm c;
	struct qdevice_config cfg;
	char err[512];

	assert_int_equal(qdevice_settings_apply_advanced(&settings, "net_heartbeat_interval_max=5000", err, sizeof(err)), 0);
	cm_base(&c);
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_int_equal(cfg.net.heartbeat_interval, 5000);
	assert_int_equal(cfg.net.connect_timeout, 5000);
	assert_string_equal(logbuf, "4 Heartbeat interval too big 8000. Adjusting to 5000.\n");
	qdevice_config_destroy(&cfg);

	/* Typed mismatch: timeout given as a string is handled like absent (default). */
	cm_set(&c, S("quorum.device.timeout", "20000"));
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_int_equal(cfg.timeout, 10000);
	qdevice_config_destroy(&cfg);

	/* master_wins: only -S master_wins=on gives true for model net. */
	assert_int_equal(qdevice_settings_apply_advanced(&settings, "master_wins=on", err, sizeof(err)), 0);
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_true(cfg.master_wins);
	qdevice_config_destroy(&cfg);
	assert_int_equal(qdevice_settings_apply_advanced(&settings, "master_wins=model", err, sizeof(err)), 0);
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_false(cfg.master_wins);
	qdevice_config_destroy(&cfg);
}

/* ---- every key: good values ---- */

struct good {
	struct qdevice_cmap_entry set;
	const char *check;      /* which field to check */
	long long want;
};

static long long field_of(const struct qdevice_config *cfg, const char *name)
{
	if (strcmp(name, "tls") == 0) return cfg->net.tls;
	if (strcmp(name, "port") == 0) return cfg->net.port;
	if (strcmp(name, "algorithm") == 0) return cfg->net.algorithm;
	if (strcmp(name, "tb_mode") == 0) return cfg->net.tie_breaker_mode;
	if (strcmp(name, "tb_node") == 0) return cfg->net.tie_breaker_node_id;
	if (strcmp(name, "connect_timeout") == 0) return cfg->net.connect_timeout;
	if (strcmp(name, "force_ip") == 0) return cfg->net.force_ip_version;
	if (strcmp(name, "kap") == 0) return cfg->net.keep_active_partition_tie_breaker;
	if (strcmp(name, "h_mode") == 0) return cfg->heuristics.mode;
	if (strcmp(name, "h_timeout") == 0) return cfg->heuristics.timeout;
	if (strcmp(name, "h_sync_timeout") == 0) return cfg->heuristics.sync_timeout;
	if (strcmp(name, "h_interval") == 0) return cfg->heuristics.interval;
	if (strcmp(name, "timeout") == 0) return cfg->timeout;
	if (strcmp(name, "sync_timeout") == 0) return cfg->sync_timeout;
	if (strcmp(name, "node_id") == 0) return cfg->node_id;
	if (strcmp(name, "wfa") == 0) return cfg->wait_for_all;
	fail_msg("unknown field %s", name);
	return -1;
}

static void test_good_values(void **state)
{
	(void)state;
	static const struct good cases[] = {
		{S("quorum.device.net.tls", "on"), "tls", PROTO_TLS_SUPPORTED},
		{S("quorum.device.net.tls", "YES"), "tls", PROTO_TLS_SUPPORTED},
		{S("quorum.device.net.tls", "1"), "tls", PROTO_TLS_SUPPORTED},
		{S("quorum.device.net.tls", "off"), "tls", PROTO_TLS_UNSUPPORTED},
		{S("quorum.device.net.tls", "No"), "tls", PROTO_TLS_UNSUPPORTED},
		{S("quorum.device.net.tls", "0"), "tls", PROTO_TLS_UNSUPPORTED},
		{S("quorum.device.net.tls", "required"), "tls", PROTO_TLS_REQUIRED},
		{S("quorum.device.net.tls", "REQUIRED"), "tls", PROTO_TLS_REQUIRED},
		{S("quorum.device.net.port", "1"), "port", 1},
		{S("quorum.device.net.port", "65535"), "port", 65535},
		{S("quorum.device.net.port", "5404"), "port", 5404},
		{S("quorum.device.net.algorithm", "ffsplit"), "algorithm", PROTO_ALGO_FFSPLIT},
		{S("quorum.device.net.algorithm", "lms"), "algorithm", PROTO_ALGO_LMS},
		{S("quorum.device.net.algorithm", "2nodelms"), "algorithm", PROTO_ALGO_2NODELMS},
		{S("quorum.device.net.tie_breaker", "lowest"), "tb_mode", PROTO_TIE_BREAKER_LOWEST},
		{S("quorum.device.net.tie_breaker", "highest"), "tb_mode", PROTO_TIE_BREAKER_HIGHEST},
		{S("quorum.device.net.tie_breaker", "1"), "tb_mode", PROTO_TIE_BREAKER_NODE_ID},
		{S("quorum.device.net.tie_breaker", "1"), "tb_node", 1},
		{S("quorum.device.net.tie_breaker", "4294967295"), "tb_node", 4294967295LL},
		{S("quorum.device.net.connect_timeout", "1000"), "connect_timeout", 1000},
		{S("quorum.device.net.connect_timeout", "120000"), "connect_timeout", 120000},
		{S("quorum.device.net.force_ip_version", "0"), "force_ip", 0},
		{S("quorum.device.net.force_ip_version", "4"), "force_ip", 4},
		{S("quorum.device.net.force_ip_version", "6"), "force_ip", 6},
		{S("quorum.device.net.keep_active_partition_tie_breaker", "off"), "kap", 0},
		{S("quorum.device.net.keep_active_partition_tie_breaker", "ON"), "kap", 1},
		{S("quorum.device.net.keep_active_partition_tie_breaker", "no"), "kap", 0},
		{S("quorum.device.heuristics.timeout", "1000"), "h_timeout", 1000},
		{S("quorum.device.heuristics.timeout", "120000"), "h_timeout", 120000},
		{S("quorum.device.heuristics.sync_timeout", "1000"), "h_sync_timeout", 1000},
		{S("quorum.device.heuristics.sync_timeout", "120000"), "h_sync_timeout", 120000},
		{S("quorum.device.heuristics.interval", "1000"), "h_interval", 1000},
		{S("quorum.device.heuristics.interval", "3600000"), "h_interval", 3600000},
		{S("quorum.device.heuristics.mode", "off"), "h_mode", QDEVICE_HEURISTICS_MODE_OFF},
		{S("quorum.device.heuristics.mode", "0"), "h_mode", QDEVICE_HEURISTICS_MODE_OFF},
		{U32("quorum.device.timeout", 20000), "timeout", 20000},
		{U32("quorum.device.sync_timeout", 60000), "sync_timeout", 60000},
		{U32("runtime.votequorum.this_node_id", 4000000000u), "node_id", 4000000000LL},
		{U8("quorum.wait_for_all", 1), "wfa", 1},
		{S("quorum.wait_for_all", "1"), "wfa", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cm c;
		struct qdevice_config cfg;
		char err[512];

		print_message("%s\n", cases[i].set.key);
		cm_base(&c);
		cm_set(&c, cases[i].set);
		assert_int_equal(read_cfg(&c, &cfg, err), 0);
		assert_int_equal(field_of(&cfg, cases[i].check), cases[i].want);
		qdevice_config_destroy(&cfg);
	}
}

/* ---- every key: refusals naming the key ---- */

struct bad {
	struct qdevice_cmap_entry set;  /* key NULL: nothing set */
	const char *del;                /* key removed first, or NULL */
	const char *err;                /* the exact error */
};

static void test_refusals(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		{{0}, "quorum.device.model", "quorum.device.model: missing (Can't read quorum.device.model cmap key.)"},
		{U32("quorum.device.model", 1), NULL, "quorum.device.model: missing (Can't read quorum.device.model cmap key.)"},
		{S("quorum.device.model", "NET"), NULL,
		 "quorum.device.model: invalid value 'NET' (Configured device model NET is not supported.)"},
		{S("quorum.device.model", "disk"), NULL,
		 "quorum.device.model: invalid value 'disk' (Configured device model disk is not supported.)"},
		{{0}, "runtime.votequorum.this_node_id",
		 "runtime.votequorum.this_node_id: missing (Unable to retrieve this node nodeid.)"},
		{S("runtime.votequorum.this_node_id", "1"), NULL,
		 "runtime.votequorum.this_node_id: missing (Unable to retrieve this node nodeid.)"},
		{S("quorum.device.heuristics.timeout", "999"), NULL,
		 "quorum.device.heuristics.timeout: invalid value '999' (heuristics.timeout must be valid number in range <1000,120000>)"},
		{S("quorum.device.heuristics.timeout", "120001"), NULL,
		 "quorum.device.heuristics.timeout: invalid value '120001' (heuristics.timeout must be valid number in range <1000,120000>)"},
		{S("quorum.device.heuristics.timeout", "5s"), NULL,
		 "quorum.device.heuristics.timeout: invalid value '5s' (heuristics.timeout must be valid number in range <1000,120000>)"},
		{S("quorum.device.heuristics.timeout", ""), NULL,
		 "quorum.device.heuristics.timeout: invalid value '' (heuristics.timeout must be valid number in range <1000,120000>)"},
		{S("quorum.device.heuristics.sync_timeout", "999"), NULL,
		 "quorum.device.heuristics.sync_timeout: invalid value '999' (heuristics.sync_timeout must be valid number in range <1000,120000>)"},
		{S("quorum.device.heuristics.interval", "999"), NULL,
		 "quorum.device.heuristics.interval: invalid value '999' (heuristics.interval must be valid number in range <1000,3600000>)"},
		{S("quorum.device.heuristics.interval", "3600001"), NULL,
		 "quorum.device.heuristics.interval: invalid value '3600001' (heuristics.interval must be valid number in range <1000,3600000>)"},
		{S("quorum.device.heuristics.mode", "maybe"), NULL,
		 "quorum.device.heuristics.mode: invalid value 'maybe' (quorum.device.heuristics.mode value is not valid.)"},
		{S("quorum.device.heuristics.mode", ""), NULL,
		 "quorum.device.heuristics.mode: invalid value '' (quorum.device.heuristics.mode value is not valid.)"},
		{S("quorum.device.net.tls", "req"), NULL,
		 "quorum.device.net.tls: invalid value 'req' (quorum.device.net.tls value is not valid.)"},
		{S("quorum.device.net.tls", "2"), NULL,
		 "quorum.device.net.tls: invalid value '2' (quorum.device.net.tls value is not valid.)"},
		{{0}, "quorum.device.net.host",
		 "quorum.device.net.host: missing (Qdevice net daemon address is not defined (quorum.device.net.host))"},
		{S("quorum.device.net.port", "0"), NULL,
		 "quorum.device.net.port: invalid value '0' (quorum.device.net.port must be in range 1-65535)"},
		{S("quorum.device.net.port", "65536"), NULL,
		 "quorum.device.net.port: invalid value '65536' (quorum.device.net.port must be in range 1-65535)"},
		{S("quorum.device.net.port", "54o3"), NULL,
		 "quorum.device.net.port: invalid value '54o3' (quorum.device.net.port must be in range 1-65535)"},
		{{0}, "totem.cluster_name", "totem.cluster_name: missing (Cluster name (totem.cluster_name) has to be defined.)"},
		{S("quorum.device.net.algorithm", "FFSPLIT"), NULL,
		 "quorum.device.net.algorithm: invalid value 'FFSPLIT' (Unknown decision algorithm FFSPLIT)"},
		{S("quorum.device.net.algorithm", "lowest"), NULL,
		 "quorum.device.net.algorithm: invalid value 'lowest' (Unknown decision algorithm lowest)"},
		{S("quorum.device.net.algorithm", "test"), NULL,
		 "quorum.device.net.algorithm: invalid value 'test' (Test algorithm is not enabled. You can force enable it by "
		 "passing -S net_test_algorithm_enabled=on to corosync-qdevice command)"},
		{S("quorum.device.net.tie_breaker", "x"), NULL,
		 "quorum.device.net.tie_breaker: invalid value 'x' (tie_breaker must be lowest|highest|valid_node_id)"},
		{S("quorum.device.net.tie_breaker", "Lowest"), NULL,
		 "quorum.device.net.tie_breaker: invalid value 'Lowest' (tie_breaker must be lowest|highest|valid_node_id)"},
		{S("quorum.device.net.tie_breaker", "0"), NULL,
		 "quorum.device.net.tie_breaker: invalid value '0' (tie_breaker must be lowest|highest|valid_node_id)"},
		{S("quorum.device.net.tie_breaker", "4294967296"), NULL,
		 "quorum.device.net.tie_breaker: invalid value '4294967296' (tie_breaker must be lowest|highest|valid_node_id)"},
		{S("quorum.device.net.connect_timeout", "999"), NULL,
		 "quorum.device.net.connect_timeout: invalid value '999' (connect_timeout must be valid number in range <1000,120000>)"},
		{S("quorum.device.net.connect_timeout", "120001"), NULL,
		 "quorum.device.net.connect_timeout: invalid value '120001' (connect_timeout must be valid number in range <1000,120000>)"},
		{S("quorum.device.net.force_ip_version", "5"), NULL,
		 "quorum.device.net.force_ip_version: invalid value '5' (force_ip_version must be one of 0|4|6)"},
		{S("quorum.device.net.force_ip_version", "46"), NULL,
		 "quorum.device.net.force_ip_version: invalid value '46' (force_ip_version must be one of 0|4|6)"},
		{S("quorum.device.net.force_ip_version", "ipv4"), NULL,
		 "quorum.device.net.force_ip_version: invalid value 'ipv4' (force_ip_version must be one of 0|4|6)"},
		{S("quorum.device.net.keep_active_partition_tie_breaker", "2"), NULL,
		 "quorum.device.net.keep_active_partition_tie_breaker: invalid value '2' "
		 "(quorum.device.net.keep_active_partition_tie_breaker value is not valid.)"},
		{{0}, "quorum.device.votes",
		 "quorum.device.votes: missing (50:50 split algorithm works only if quorum.device.votes configuration key is set to 1!)"},
		{U32("quorum.device.votes", 2), NULL,
		 "quorum.device.votes: invalid value '2' (50:50 split algorithm works only if quorum.device.votes configuration key "
		 "is set to 1!)"},
		{S("quorum.device.votes", "1"), NULL,
		 "quorum.device.votes: missing (50:50 split algorithm works only if quorum.device.votes configuration key is set to 1!)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cm c;
		struct qdevice_config cfg;
		char err[512];

		print_message("case %zu: %s\n", i, cases[i].err);
		cm_base(&c);
		if (cases[i].del != NULL)
			cm_del(&c, cases[i].del);
		if (cases[i].set.key != NULL)
			cm_set(&c, cases[i].set);
		assert_int_equal(read_cfg(&c, &cfg, err), -1);
		assert_string_equal(err, cases[i].err);
		/* A failed read leaves nothing to free. */
		assert_null(cfg.net.host);
		assert_null(cfg.node_list.nodes);
	}
}

static void test_algorithm_specifics(void **state)
{
	(void)state;
	struct cm c;
	struct qdevice_config cfg;
	char err[512];

	/* Only ffsplit needs quorum.device.votes == 1. */
	cm_base(&c);
	cm_set(&c, U32("quorum.device.votes", 3));
	cm_set(&c, S("quorum.device.net.algorithm", "lms"));
	cm_set(&c, U8("quorum.wait_for_all", 1));
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_int_equal(cfg.votes, 3);
	assert_true(cfg.wait_for_all);
	qdevice_config_destroy(&cfg);
	cm_del(&c, "quorum.device.votes");
	cm_set(&c, S("quorum.device.net.algorithm", "2nodelms"));
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_false(cfg.votes_set);
	qdevice_config_destroy(&cfg);
	/* The test algorithm with -S net_test_algorithm_enabled=on. */
	assert_int_equal(qdevice_settings_apply_advanced(&settings, "net_test_algorithm_enabled=on", err, sizeof(err)), 0);
	cm_set(&c, S("quorum.device.net.algorithm", "test"));
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_int_equal(cfg.net.algorithm, PROTO_ALGO_TEST);
	qdevice_config_destroy(&cfg);
}

/* Fake votequorum: node 3 unknown, node 4 has 2 votes, node 5 has qdevice votes 2, node 6 errors. */
static int fake_getinfo(void *ctx, uint32_t node_id, uint32_t *node_votes, uint32_t *qdevice_votes)
{
	(void)ctx;
	*node_votes = 1;
	*qdevice_votes = 1;
	switch (node_id) {
	case 3: return 1;
	case 4: *node_votes = 2; return 0;
	case 5: *qdevice_votes = 2; return 0;
	case 6: return -1;
	default: return 0;
	}
}

static void test_ffsplit_votes(void **state)
{
	(void)state;
	struct cm c;
	char err[512];
	struct qdevice_config_node nodes[] = {{1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 0}, {6, 0}};
	struct qdevice_node_list l = {nodes, 3, false, 0};

	cm_base(&c);
	assert_int_equal(qdevice_config_ffsplit_check_device_votes(&c.map, err, sizeof(err)), 0);
	assert_int_equal(qdevice_config_ffsplit_check_node_votes(&l, fake_getinfo, NULL, err, sizeof(err)), 0);
	l.count = 4;
	assert_int_equal(qdevice_config_ffsplit_check_node_votes(&l, fake_getinfo, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "node 4: votes 2 (50:50 split algorithm works only if all nodes have exactly 1 vote. "
				 "Node 4 has 2 votes!)");
	nodes[3].node_id = 5;
	assert_int_equal(qdevice_config_ffsplit_check_node_votes(&l, fake_getinfo, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "node 5: qdevice votes 2 (50:50 split algorithm works only if qdevice has exactly 1 vote. "
				 "Node 5 has 2 votes!)");
	nodes[3].node_id = 6;
	assert_int_equal(qdevice_config_ffsplit_check_node_votes(&l, fake_getinfo, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "node 6: can't get votequorum information");
	cm_set(&c, U32("quorum.device.votes", 0));
	assert_int_equal(qdevice_config_ffsplit_check_device_votes(&c.map, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "quorum.device.votes"));
	cm_del(&c, "quorum.device.votes");
	assert_int_equal(qdevice_config_ffsplit_check_device_votes(&c.map, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "missing"));
}

/* ---- heuristics ---- */

static void test_heuristics_execs(void **state)
{
	(void)state;
	struct cm c;
	struct qdevice_config cfg;
	char err[512];

	cm_base(&c);
	cm_set(&c, S("quorum.device.heuristics.mode", "On"));
	cm_set(&c, S("quorum.device.heuristics.exec_ping", "/bin/ping -c 1 192.0.2.1"));
	cm_set(&c, S("quorum.device.heuristics.exec_a", "/bin/true"));
	cm_set(&c, S("quorum.device.heuristics.exec_b10", "/bin/b10"));
	cm_set(&c, S("quorum.device.heuristics.exec_b2", "/bin/b2"));
	cm_set(&c, S("quorum.device.heuristics.exec_", "/bin/empty-name"));
	cm_set(&c, S("quorum.device.heuristics.exec_x.y", "/bin/dotted"));
	cm_set(&c, U32("quorum.device.heuristics.exec_num", 5));
	cm_set(&c, S("quorum.device.heuristics.execx", "/bin/not-an-exec"));
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_int_equal(cfg.heuristics.mode, QDEVICE_HEURISTICS_MODE_ON);
	/* cmap (lexicographic key) order. */
	assert_int_equal(cfg.heuristics.exec_count, 4);
	assert_string_equal(cfg.heuristics.execs[0].name, "a");
	assert_string_equal(cfg.heuristics.execs[1].name, "b10");
	assert_string_equal(cfg.heuristics.execs[2].name, "b2");
	assert_string_equal(cfg.heuristics.execs[3].name, "ping");
	assert_string_equal(cfg.heuristics.execs[3].command, "/bin/ping -c 1 192.0.2.1");
	assert_string_equal(logbuf, "4 quorum.device.heuristics.exec_ key is not correct heuristics exec name. Ignoring\n"
				    "4 Can't get value of quorum.device.heuristics.exec_num key. Ignoring\n"
				    "4 quorum.device.heuristics.exec_x.y key is not correct heuristics exec name. Ignoring\n");
	qdevice_config_destroy(&cfg);

	/* sync mode, case-insensitive. */
	cm_set(&c, S("quorum.device.heuristics.mode", "SYNC"));
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_int_equal(cfg.heuristics.mode, QDEVICE_HEURISTICS_MODE_SYNC);
	assert_string_equal(qdevice_heuristics_mode_str(cfg.heuristics.mode), "Enabled only on sync");
	qdevice_config_destroy(&cfg);

	/* More execs than heuristics_max_execs: error logged, heuristics disabled. */
	assert_int_equal(qdevice_settings_apply_advanced(&settings, "heuristics_max_execs=3", err, sizeof(err)), 0);
	logbuf[0] = '\0';
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_int_equal(cfg.heuristics.mode, QDEVICE_HEURISTICS_MODE_OFF);
	assert_non_null(strstr(logbuf, "3 Too much (4) heuristics execs defined (max is 3). Disabling heuristics.\n"));
	qdevice_config_destroy(&cfg);
	assert_int_equal(qdevice_settings_apply_advanced(&settings, "heuristics_max_execs=4", err, sizeof(err)), 0);
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_int_equal(cfg.heuristics.mode, QDEVICE_HEURISTICS_MODE_SYNC);
	qdevice_config_destroy(&cfg);

	/* Mode on without a valid exec: info logged, heuristics disabled. */
	cm_base(&c);
	cm_set(&c, S("quorum.device.heuristics.mode", "on"));
	cm_set(&c, S("quorum.device.heuristics.exec_", "/bin/true"));
	logbuf[0] = '\0';
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_int_equal(cfg.heuristics.mode, QDEVICE_HEURISTICS_MODE_OFF);
	assert_string_equal(qdevice_heuristics_mode_str(cfg.heuristics.mode), "Disabled");
	assert_non_null(strstr(logbuf, "6 No valid heuristics execs defined. Disabling heuristics.\n"));
	qdevice_config_destroy(&cfg);

	/* Heuristics ranges come from -S. */
	cm_base(&c);
	cm_set(&c, S("quorum.device.heuristics.timeout", "500"));
	assert_int_equal(read_cfg(&c, &cfg, err), -1);
	assert_int_equal(qdevice_settings_apply_advanced(&settings, "heuristics_min_timeout=500", err, sizeof(err)), 0);
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_int_equal(cfg.heuristics.timeout, 500);
	qdevice_config_destroy(&cfg);
	/* No cross-check: min > max refuses every value. */
	assert_int_equal(qdevice_settings_apply_advanced(&settings, "heuristics_min_timeout=5000,heuristics_max_timeout=4000",
							 err, sizeof(err)), 0);
	cm_set(&c, S("quorum.device.heuristics.timeout", "4500"));
	assert_int_equal(read_cfg(&c, &cfg, err), -1);
	assert_string_equal(err, "quorum.device.heuristics.timeout: invalid value '4500' (heuristics.timeout must be valid "
				 "number in range <5000,4000>)");
}

/* ---- node list ---- */

static void test_node_list(void **state)
{
	(void)state;
	struct cm c;
	struct qdevice_config cfg;
	char err[512];

	memset(&c, 0, sizeof(c));
	c.map.entries = c.e;
	cm_set(&c, S("quorum.device.model", "net"));
	cm_set(&c, U32("quorum.device.votes", 1));
	cm_set(&c, S("quorum.device.net.host", "q"));
	cm_set(&c, S("totem.cluster_name", "c"));
	cm_set(&c, U32("runtime.votequorum.this_node_id", 7));
	cm_set(&c, U64("totem.config_version", 6));
	/* Index 10 sorts before 2 (cmap iterates keys as strings). */
	cm_set(&c, S("nodelist.node.2.name", "n2"));
	cm_set(&c, U32("nodelist.node.2.nodeid", 20));
	cm_set(&c, S("nodelist.node.10.ring0_addr", "192.0.2.11"));     /* no nodeid: resolved */
	cm_set(&c, U32("nodelist.node.10.datacenterid", 3));
	cm_set(&c, S("nodelist.node.0.ring0_addr", "unresolvable"));    /* → node id 0 */
	cm_set(&c, S("nodelist.node.1.name", "n1"));
	cm_set(&c, U32("nodelist.node.1.nodeid", 20));                  /* duplicate id: skipped */
	cm_set(&c, S("nodelist.node.3.datacenterid", "5"));             /* string dc id → 0; no name → ignored */
	cm_set(&c, U32("nodelist.node.3.nodeid", 30));
	cm_set(&c, S("nodelist.node.4.name", "n4"));
	cm_set(&c, U32("nodelist.node.4.nodeid", 40));
	cm_set(&c, S("nodelist.node.4.datacenterid", "5"));
	cm_set(&c, S("nodelist.node.x.name", "bogus"));                 /* not an index: ignored */
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_int_equal(cfg.node_list.count, 4);
	assert_int_equal(cfg.node_list.nodes[0].node_id, 0);
	assert_int_equal(cfg.node_list.nodes[1].node_id, 20);
	assert_int_equal(cfg.node_list.nodes[2].node_id, 3221225995u);
	assert_int_equal(cfg.node_list.nodes[2].data_center_id, 3);
	assert_int_equal(cfg.node_list.nodes[3].node_id, 40);
	assert_int_equal(cfg.node_list.nodes[3].data_center_id, 0);
	assert_true(cfg.node_list.config_version_set);
	assert_int_equal(cfg.node_list.config_version, 6);
	qdevice_config_destroy(&cfg);

	/* clear_node_high_bit: only the exact string "yes". */
	cm_set(&c, S("totem.clear_node_high_bit", "YES"));
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_int_equal(cfg.node_list.nodes[2].node_id, 3221225995u);
	qdevice_config_destroy(&cfg);
	cm_set(&c, S("totem.clear_node_high_bit", "yes"));
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_int_equal(cfg.node_list.nodes[2].node_id, 3221225995u & 0x7FFFFFFFu);
	qdevice_config_destroy(&cfg);

	/* "01" is index 1: its nodeid is looked up as nodelist.node.1.nodeid. */
	cm_set(&c, S("nodelist.node.01.name", "n01"));
	assert_int_equal(read_cfg(&c, &cfg, err), 0);
	assert_int_equal(cfg.node_list.count, 4);
	qdevice_config_destroy(&cfg);

	/* A node with neither nodeid nor ring0_addr. */
	cm_set(&c, S("nodelist.node.5.name", "n5"));
	assert_int_equal(read_cfg(&c, &cfg, err), -1);
	assert_string_equal(err, "nodelist.node.5: missing nodeid and ring0_addr (Cant find nodeid or ring0_addr for a node. "
				 "One of them needs to be defined for every node.)");
	cm_del(&c, "nodelist.node.5.name");
	/* A nodeid of the wrong type is a getter error, not "absent". */
	cm_set(&c, S("nodelist.node.2.nodeid", "20"));
	assert_int_equal(read_cfg(&c, &cfg, err), -1);
	assert_string_equal(err, "nodelist.node.2.nodeid: invalid type (must be a u32 node id)");

	/* No nodes at all. */
	cm_base(&c);
	for (int i = 0; i < 2; i++) {
		char key[3][64];
		snprintf(key[0], sizeof(key[0]), "nodelist.node.%d.name", i);
		snprintf(key[1], sizeof(key[1]), "nodelist.node.%d.ring0_addr", i);
		snprintf(key[2], sizeof(key[2]), "nodelist.node.%d.nodeid", i);
		for (int k = 0; k < 3; k++)
			cm_del(&c, key[k]);
	}
	assert_int_equal(read_cfg(&c, &cfg, err), -1);
	assert_string_equal(err, "nodelist.node: no nodes (No configured nodes found - configuration without node list is "
				 "not supported)");
}

static void test_default_resolver(void **state)
{
	(void)state;
	uint32_t ip = 0;
	assert_int_equal(qdevice_config_resolve_ipv4(NULL, "192.0.2.11", &ip), 0);
	assert_int_equal(ip, 3221225995u);
	/* IPv6 literals never resolve (IPv4 only). */
	assert_int_equal(qdevice_config_resolve_ipv4(NULL, "2001:db8::1", &ip), -1);
}

/* ---- logging ---- */

static void test_debug(void **state)
{
	(void)state;
	static const struct {
		const char *debug, *subsys;
		bool want;
		const char *log;
	} cases[] = {
		{NULL, NULL, false, ""},
		{"on", NULL, true, ""},
		{"TRACE", NULL, true, ""},
		{"off", NULL, false, ""},
		{"on", "off", false, ""},
		{"off", "trace", true, ""},
		{"bad", NULL, false, "4 logging.debug value is not valid\n"},
		{"on", "bad", true, "4 logging.logger_subsys.QDEVICE.debug value is not valid.\n"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cm c;
		struct qdevice_config_env e = env();
		cm_base(&c);
		if (cases[i].debug != NULL)
			cm_set(&c, S("logging.debug", cases[i].debug));
		if (cases[i].subsys != NULL)
			cm_set(&c, S("logging.logger_subsys.QDEVICE.debug", cases[i].subsys));
		logbuf[0] = '\0';
		assert_int_equal(qdevice_config_read_debug(&c.map, &e), cases[i].want);
		assert_string_equal(logbuf, cases[i].log);
	}
}

/* ---- run-time tracking ---- */

static void test_track_notify(void **state)
{
	(void)state;
	struct qdevice_track_state st = {false};
	const unsigned all = QDEVICE_TRACK_NODE_LIST | QDEVICE_TRACK_LOGGING | QDEVICE_TRACK_HEURISTICS;
	uint8_t one = 1, zero = 0;

	assert_int_equal(qdevice_config_track_notify(&st, "nodelist.node.0.name", NULL), QDEVICE_TRACK_NODE_LIST);
	assert_int_equal(qdevice_config_track_notify(&st, "logging.debug", NULL), QDEVICE_TRACK_LOGGING);
	assert_int_equal(qdevice_config_track_notify(&st, "quorum.device.heuristics.exec_a", NULL),
			 QDEVICE_TRACK_HEURISTICS);
	assert_int_equal(qdevice_config_track_notify(&st, "quorum.device.net.host", NULL), 0);
	/* Reload start: remembered; everything ignored until its end, which marks all three. */
	assert_int_equal(qdevice_config_track_notify(&st, "config.totemconfig_reload_in_progress", &one), 0);
	assert_true(st.reload_in_progress);
	assert_int_equal(qdevice_config_track_notify(&st, "nodelist.node.0.name", NULL), 0);
	assert_int_equal(qdevice_config_track_notify(&st, "config.totemconfig_reload_in_progress", &zero), all);
	assert_false(st.reload_in_progress);
	/* The reload key with a non-u8 value is just another key. */
	assert_int_equal(qdevice_config_track_notify(&st, "config.totemconfig_reload_in_progress", NULL), 0);
}

/* A daemon started while corosync reloads its configuration waits for the reload's end as well. */
static void test_track_init(void **state)
{
	(void)state;
	struct cm c;
	struct qdevice_track_state st = {true};

	cm_base(&c);
	qdevice_config_track_init(&st, &c.map);
	assert_false(st.reload_in_progress);
	cm_set(&c, U8("config.totemconfig_reload_in_progress", 1));
	qdevice_config_track_init(&st, &c.map);
	assert_true(st.reload_in_progress);
	assert_int_equal(qdevice_config_track_notify(&st, "nodelist.node.0.name", NULL), 0);
	cm_set(&c, U8("config.totemconfig_reload_in_progress", 0));
	qdevice_config_track_init(&st, &c.map);
	assert_false(st.reload_in_progress);
}

static void make_cfg(struct qdevice_config *cfg, struct qdevice_config_node *nodes, size_t n_nodes,
		     struct qdevice_heuristics_exec *execs, size_t n_execs, enum qdevice_heuristics_mode mode)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->node_list.nodes = nodes;
	cfg->node_list.count = n_nodes;
	cfg->heuristics.execs = execs;
	cfg->heuristics.exec_count = n_execs;
	cfg->heuristics.mode = mode;
	cfg->net.host = (char *)"q";
	cfg->net.cluster_name = (char *)"c";
	cfg->timeout = 10000;
}

static void test_classify_change(void **state)
{
	(void)state;
	struct qdevice_config_node n1[] = {{1, 0}, {2, 0}};
	struct qdevice_config_node n2[] = {{2, 0}, {1, 0}};             /* same set, other order */
	struct qdevice_config_node n3[] = {{1, 0}, {2, 1}};             /* dc id differs */
	struct qdevice_config_node n4[] = {{1, 0}, {2, 0}, {3, 0}};
	struct qdevice_heuristics_exec x1[] = {{(char *)"a", (char *)"/bin/a"}, {(char *)"b", (char *)"/bin/b"}};
	struct qdevice_heuristics_exec x2[] = {{(char *)"b", (char *)"/bin/b"}, {(char *)"a", (char *)"/bin/a"}};
	struct qdevice_heuristics_exec x3[] = {{(char *)"a", (char *)"/bin/a"}, {(char *)"b", (char *)"/bin/c"}};
	struct qdevice_config old_cfg, new_cfg;
	const unsigned all = QDEVICE_TRACK_NODE_LIST | QDEVICE_TRACK_LOGGING | QDEVICE_TRACK_HEURISTICS;

	make_cfg(&old_cfg, n1, 2, x1, 2, QDEVICE_HEURISTICS_MODE_ON);
	make_cfg(&new_cfg, n2, 2, x2, 2, QDEVICE_HEURISTICS_MODE_ON);
	assert_true(qdevice_node_list_equal(&old_cfg.node_list, &new_cfg.node_list));
	assert_true(qdevice_heuristics_execs_equal(&old_cfg.heuristics, &new_cfg.heuristics));
	assert_int_equal(qdevice_config_classify_change(&old_cfg, false, &new_cfg, false, QDEVICE_TRACK_NODE_LIST), 0);
	assert_int_equal(qdevice_config_classify_change(&old_cfg, false, &new_cfg, false, 0), 0);
	/* Config version alone is not a node-list change. */
	new_cfg.node_list.config_version_set = true;
	new_cfg.node_list.config_version = 9;
	assert_int_equal(qdevice_config_classify_change(&old_cfg, false, &new_cfg, false, QDEVICE_TRACK_NODE_LIST), 0);
	/* A heuristics event always runs the model hook, even unchanged. */
	assert_int_equal(qdevice_config_classify_change(&old_cfg, false, &new_cfg, false, QDEVICE_TRACK_HEURISTICS),
			 QDEVICE_CHANGE_HEURISTICS);

	new_cfg.node_list.nodes = n3;
	assert_int_equal(qdevice_config_classify_change(&old_cfg, false, &new_cfg, false, QDEVICE_TRACK_NODE_LIST),
			 QDEVICE_CHANGE_NODE_LIST);
	/* Without the node-list event the difference is not looked at. */
	assert_int_equal(qdevice_config_classify_change(&old_cfg, false, &new_cfg, false, QDEVICE_TRACK_LOGGING), 0);
	new_cfg.node_list.nodes = n4;
	new_cfg.node_list.count = 3;
	assert_int_equal(qdevice_config_classify_change(&old_cfg, false, &new_cfg, false, QDEVICE_TRACK_NODE_LIST),
			 QDEVICE_CHANGE_NODE_LIST);
	new_cfg.node_list.nodes = n1;
	new_cfg.node_list.count = 2;

	new_cfg.heuristics.execs = x3;
	assert_int_equal(qdevice_config_classify_change(&old_cfg, false, &new_cfg, false, QDEVICE_TRACK_HEURISTICS),
			 QDEVICE_CHANGE_HEURISTICS | QDEVICE_CHANGE_HEURISTICS_EXECS);
	/* Mode off on both sides: both effective lists are empty. */
	old_cfg.heuristics.mode = QDEVICE_HEURISTICS_MODE_OFF;
	new_cfg.heuristics.mode = QDEVICE_HEURISTICS_MODE_OFF;
	assert_int_equal(qdevice_config_classify_change(&old_cfg, false, &new_cfg, false, QDEVICE_TRACK_HEURISTICS),
			 QDEVICE_CHANGE_HEURISTICS);
	/* Switching mode on sends the list. */
	new_cfg.heuristics.mode = QDEVICE_HEURISTICS_MODE_SYNC;
	assert_int_equal(qdevice_config_classify_change(&old_cfg, false, &new_cfg, false, QDEVICE_TRACK_HEURISTICS),
			 QDEVICE_CHANGE_HEURISTICS | QDEVICE_CHANGE_HEURISTICS_EXECS);
	new_cfg.heuristics.execs = x1;
	old_cfg.heuristics.mode = QDEVICE_HEURISTICS_MODE_SYNC;

	/* Debug toggled, under a logging event only. */
	assert_int_equal(qdevice_config_classify_change(&old_cfg, false, &new_cfg, true, QDEVICE_TRACK_LOGGING),
			 QDEVICE_CHANGE_DEBUG);
	assert_int_equal(qdevice_config_classify_change(&old_cfg, false, &new_cfg, true, QDEVICE_TRACK_NODE_LIST), 0);
	assert_int_equal(qdevice_config_classify_change(&old_cfg, true, &new_cfg, true, all), QDEVICE_CHANGE_HEURISTICS);

	/* Start-only keys: reported as needing a restart, whatever the events. */
	static const char *const start_only[] = {"host", "port", "tls", "cluster", "algorithm", "tie_breaker",
						  "connect_timeout", "force_ip", "kap", "timeout", "sync_timeout",
						  "model_node_id", "votes"};
	for (size_t i = 0; i < sizeof(start_only) / sizeof(start_only[0]); i++) {
		struct qdevice_config changed = new_cfg;
		const char *f = start_only[i];
		print_message("start-only %s\n", f);
		if (strcmp(f, "host") == 0) changed.net.host = (char *)"other";
		else if (strcmp(f, "port") == 0) changed.net.port = 1;
		else if (strcmp(f, "tls") == 0) changed.net.tls = PROTO_TLS_REQUIRED;
		else if (strcmp(f, "cluster") == 0) changed.net.cluster_name = (char *)"other";
		else if (strcmp(f, "algorithm") == 0) changed.net.algorithm = PROTO_ALGO_LMS;
		else if (strcmp(f, "tie_breaker") == 0) changed.net.tie_breaker_node_id = 4;
		else if (strcmp(f, "connect_timeout") == 0) changed.net.connect_timeout = 1;
		else if (strcmp(f, "force_ip") == 0) changed.net.force_ip_version = 6;
		else if (strcmp(f, "kap") == 0) changed.net.keep_active_partition_tie_breaker = true;
		else if (strcmp(f, "timeout") == 0) changed.timeout = 1;
		else if (strcmp(f, "sync_timeout") == 0) changed.sync_timeout = 1;
		else if (strcmp(f, "model_node_id") == 0) changed.node_id = 9;
		else if (strcmp(f, "votes") == 0) changed.votes = 2;
		assert_int_equal(qdevice_config_classify_change(&old_cfg, false, &changed, false, 0),
				 QDEVICE_CHANGE_NEEDS_RESTART);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cmap_getters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_derived_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clamp_limits_from_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_good_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_algorithm_specifics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ffsplit_votes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heuristics_execs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_resolver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug, setup, teardown),
		cmocka_unit_test_setup_teardown(test_track_notify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_track_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_change, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

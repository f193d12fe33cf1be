/* Unit tests of corosync-qdevice's cmap mirror: set, replace, delete, and the view the configuration readers take. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "qdevice_cmap_mirror.h"
#include "qdevice_config.h"

static struct qdevice_cmap_entry str_entry(const char *key, const char *value)
{
	return (struct qdevice_cmap_entry){.key = key, .type = QDEVICE_CMAP_STRING, .str = value};
}

static struct qdevice_cmap_entry u32_entry(const char *key, uint32_t value)
{
	return (struct qdevice_cmap_entry){.key = key, .type = QDEVICE_CMAP_U32, .u = value};
}

static void test_set_replace_delete(void **state)
{
	(void)state;
	struct qdevice_cmap_mirror m;
	const char *s;
	uint32_t u;
	char key[32], value[32];

	qdevice_cmap_mirror_init(&m);
	assert_int_equal(qdevice_cmap_get_string(&m.view, "quorum.device.net.host", &s), -1);

	/* The mirror copies what it is given: the caller's buffers may change afterwards. */
	snprintf(key, sizeof(key), "quorum.device.net.host");
	snprintf(value, sizeof(value), "198.18.7.200");
	struct qdevice_cmap_entry e = str_entry(key, value);
	assert_int_equal(qdevice_cmap_mirror_set(&m, &e), 0);
	memset(key, 'x', sizeof(key) - 1);
	memset(value, 'y', sizeof(value) - 1);
	assert_int_equal(qdevice_cmap_get_string(&m.view, "quorum.device.net.host", &s), 0);
	assert_string_equal(s, "198.18.7.200");

	/* Replacing keeps one entry and may change the type (typed getters then see the new type). */
	e = u32_entry("quorum.device.net.host", 7);
	assert_int_equal(qdevice_cmap_mirror_set(&m, &e), 0);
	assert_int_equal(m.view.count, 1);
	assert_int_equal(qdevice_cmap_get_string(&m.view, "quorum.device.net.host", &s), -1);
	assert_int_equal(qdevice_cmap_get_u32(&m.view, "quorum.device.net.host", &u), 0);
	assert_int_equal(u, 7);

	/* Many keys (the array grows), then deletes from the middle and the end. */
	for (int i = 0; i < 200; i++) {
		char k[64];
		snprintf(k, sizeof(k), "nodelist.node.%d.nodeid", i);
		e = u32_entry(k, (uint32_t)i + 1);
		assert_int_equal(qdevice_cmap_mirror_set(&m, &e), 0);
	}
	assert_int_equal(m.view.count, 201);
	qdevice_cmap_mirror_delete(&m, "nodelist.node.17.nodeid");
	qdevice_cmap_mirror_delete(&m, "nodelist.node.199.nodeid");
	qdevice_cmap_mirror_delete(&m, "no.such.key");
	assert_int_equal(m.view.count, 199);
	assert_int_equal(qdevice_cmap_get_u32(&m.view, "nodelist.node.17.nodeid", &u), -1);
	assert_int_equal(qdevice_cmap_get_u32(&m.view, "nodelist.node.199.nodeid", &u), -1);
	for (int i = 0; i < 199; i++) {
		char k[64];
		if (i == 17)
			continue;
		snprintf(k, sizeof(k), "nodelist.node.%d.nodeid", i);
		assert_int_equal(qdevice_cmap_get_u32(&m.view, k, &u), 0);
		assert_int_equal(u, (uint32_t)i + 1);
	}
	qdevice_cmap_mirror_destroy(&m);
	assert_int_equal(m.view.count, 0);
}

/*
 * The configuration readers see the mirror as the daemon keeps it: a node added by a track
 * notification shows up in the configuration node list without asking cmap.
 */
static void log_nothing(void *ctx, int priority, const char *message)
{
	(void)ctx;
	(void)priority;
	(void)message;
}

static void test_readers_follow_the_mirror(void **state)
{
	(void)state;
	struct qdevice_cmap_mirror m;
	struct qdevice_settings settings;
	struct qdevice_config_env env = {.settings = &settings, .log = log_nothing};
	struct qdevice_node_list nl;
	char err[256];

	qdevice_settings_init(&settings);
	qdevice_cmap_mirror_init(&m);
	struct qdevice_cmap_entry e = u32_entry("nodelist.node.0.nodeid", 1);
	assert_int_equal(qdevice_cmap_mirror_set(&m, &e), 0);
	e = str_entry("nodelist.node.0.ring0_addr", "198.18.7.1");
	assert_int_equal(qdevice_cmap_mirror_set(&m, &e), 0);
	assert_int_equal(qdevice_config_read_node_list(&m.view, &env, &nl, err, sizeof(err)), 0);
	assert_int_equal(nl.count, 1);
	qdevice_node_list_destroy(&nl);

	e = u32_entry("nodelist.node.1.nodeid", 2);
	assert_int_equal(qdevice_cmap_mirror_set(&m, &e), 0);
	e = str_entry("nodelist.node.1.ring0_addr", "198.18.7.2");
	assert_int_equal(qdevice_cmap_mirror_set(&m, &e), 0);
	assert_int_equal(qdevice_config_read_node_list(&m.view, &env, &nl, err, sizeof(err)), 0);
	assert_int_equal(nl.count, 2);
	qdevice_node_list_destroy(&nl);

	qdevice_cmap_mirror_delete(&m, "nodelist.node.1.nodeid");
	qdevice_cmap_mirror_delete(&m, "nodelist.node.1.ring0_addr");
	assert_int_equal(qdevice_config_read_node_list(&m.view, &env, &nl, err, sizeof(err)), 0);
	assert_int_equal(nl.count, 1);
	assert_int_equal(nl.nodes[0].node_id, 1);
	qdevice_node_list_destroy(&nl);

	qdevice_cmap_mirror_destroy(&m);
	qdevice_settings_destroy(&settings);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_replace_delete),
		cmocka_unit_test(test_readers_follow_the_mirror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* corosync-qnetd-tool's report text against the golden files of tests/data/golden, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipc_request.h"
#include "qnetd_cluster_map.h"
#include "qnetd_ipc_cmd.h"
#include "qnetd_report.h"
#include "qnetd_conn.h"
#include "qnetd_settings.h"
#include "qnetd_status_json.h"
#include "testdata.h"

#define GOLDEN QD_TEST_DATA_DIR "/golden/"

struct example {
	struct qnetd_settings settings;
	struct qnetd_server srv;
	struct qnetd_conn conns[2];
};

static const struct msg_node_info both_nodes[] = {{1, 0, 0}, {2, 0, 0}};

/* 2026-12-06T15:33:00.000Z, the daemon up for an hour; connection times are on the monotonic clock. */
static const struct qnetd_status_context status_ctx = {
	.version = "0.1.0", .started_unix_ms = 1796567580000LL, .now_mono_ms = 100000, .now_unix_ms = 1796571180000LL,
};

/* The state behind golden/qnetd-*.txt: node 1 got the ACK push, node 2's last reply was NO_CHANGE. */
static void example_build(struct example *ex)
{
	static const char *peers[] = {"::ffff:192.168.122.11:48212", "::ffff:192.168.122.12:39570"};

	qnetd_settings_init(&ex->settings);
	ex->settings.max_clients = 100;
	qnetd_server_init(&ex->srv, &ex->settings, NULL, NULL);
	struct qnetd_cluster *cluster = qnetd_cluster_map_create(&ex->srv.clusters, (const uint8_t *)"mycluster", 9);
	assert_non_null(cluster);
	for (int i = 0; i < 2; i++) {
		struct qnetd_conn *conn = &ex->conns[i];
		memset(conn, 0, sizeof(*conn));
		qnetd_client_init(&conn->client, conn);
		strcpy(conn->peer, peers[i]);
		conn->tls_started = true;
		conn->cert_verified = true;
		conn->phase = QNETD_CONN_JOINED;
		struct qnetd_client *c = &conn->client;
		c->node_id = (uint32_t)i + 1;
		c->algorithm = PROTO_ALGO_FFSPLIT;
		c->tie_breaker.mode = PROTO_TIE_BREAKER_LOWEST;
		c->heartbeat_interval = 8000;
		c->kap_tie_breaker = true;
		c->config_version_set = true;
		c->config_version = 7;
		assert_int_equal(qnetd_node_list_set(&c->config_list, both_nodes, 2), 0);
		assert_int_equal(qnetd_node_list_set(&c->membership_list, both_nodes, 2), 0);
		c->ring_id.node_id = 1;
		c->ring_id.seq = 0x24;
		c->last_sent_vote = i == 0 ? PROTO_VOTE_ACK : PROTO_VOTE_NO_CHANGE;
		c->last_sent_ack_nack_vote = PROTO_VOTE_ACK;
		conn->connected_ms = 40000;
		conn->last_message_ms = 98500 + (uint64_t)i * 500;
		assert_int_equal(qnetd_cluster_add_client(cluster, c), 0);
		ex->srv.conn_count++;
	}
}

static void example_free(struct example *ex)
{
	for (int i = 0; i < 2; i++)
		qnetd_client_destroy(&ex->conns[i].client);
	qnetd_server_destroy(&ex->srv);
	qnetd_settings_destroy(&ex->settings);
}

static void assert_golden(const struct strbuf *out, const char *file)
{
	size_t len;
	char *golden = testdata_read_file(file, &len);
	assert_non_null(golden);
	assert_false(out->failed);
	if (out->len != len || memcmp(out->data, golden, len) != 0)
		fail_msg("report differs from %s:\n---- got ----\n%s---- expected ----\n%s", file, out->data, golden);
	free(golden);
}

static void test_status_verbose(void **state)
{
	(void)state;
	struct example ex;
	struct strbuf out;
	example_build(&ex);
	strbuf_init(&out, 1 << 20);
	qnetd_report_status(&out, &ex.srv, true);
	assert_golden(&out, GOLDEN "qnetd-status-verbose.txt");
	strbuf_free(&out);
	example_free(&ex);
}

static void test_list(void **state)
{
	(void)state;
	struct example ex;
	struct strbuf out;
	example_build(&ex);
	strbuf_init(&out, 1 << 20);
	qnetd_report_list(&out, &ex.srv, false, NULL, 0);
	assert_golden(&out, GOLDEN "qnetd-list.txt");
	strbuf_free(&out);
	example_free(&ex);
}

static void test_list_verbose_first_node(void **state)
{
	(void)state;
	struct example ex;
	struct strbuf out;
	example_build(&ex);
	strbuf_init(&out, 1 << 20);
	qnetd_report_list(&out, &ex.srv, true, "mycluster", 9);
	/* The golden file holds the header and node 1; node 2 follows it. */
	const char *node2 = strstr(out.data, "    Node ID 2:\n");
	assert_non_null(node2);
	out.len = (size_t)(node2 - out.data);
	out.data[out.len] = '\0';
	assert_golden(&out, GOLDEN "qnetd-list-verbose-node1.txt");
	strbuf_free(&out);
	example_free(&ex);
}

/* A cluster name with control bytes is escaped in the list; the -c filter still takes the raw bytes. */
static void test_list_escapes_cluster_name(void **state)
{
	(void)state;
	struct example ex;
	struct strbuf out;
	example_build(&ex);
	static const uint8_t evil[] = {'e', 'v', 'i', 'l', '"', ':', '\n', 'C', 'l', 'u', 's', 't', 'e', 'r', 0x1b};
	struct qnetd_cluster *cluster = qnetd_cluster_map_create(&ex.srv.clusters, evil, sizeof(evil));
	assert_non_null(cluster);
	strbuf_init(&out, 1 << 20);
	qnetd_report_list(&out, &ex.srv, false, (const char *)evil, sizeof(evil));
	assert_string_equal(out.data, "Cluster \"evil\":\\x0aCluster\\x1b\":\n");
	strbuf_free(&out);
	example_free(&ex);
}

static void test_list_filter_and_details(void **state)
{
	(void)state;
	struct example ex;
	struct strbuf out;
	example_build(&ex);
	strbuf_init(&out, 1 << 20);
	qnetd_report_list(&out, &ex.srv, false, "other", 5);
	assert_int_equal(out.len, 0);
	/* KAP off on one client drops the suffix; data centers are shown; no vote, no line. */
	ex.conns[1].client.kap_tie_breaker = false;
	const struct msg_node_info dc[] = {{1, 10, 0}, {2, 20, 0}, {3, 10, 0}};
	assert_int_equal(qnetd_node_list_set(&ex.conns[0].client.config_list, dc, 3), 0);
	ex.conns[1].client.last_sent_vote = PROTO_VOTE_UNDEFINED;
	ex.conns[1].client.heuristics = PROTO_HEURISTICS_FAIL;
	qnetd_report_list(&out, &ex.srv, false, NULL, 0);
	assert_non_null(strstr(out.data, "    Algorithm:\t\tFifty-Fifty split\n"));
	assert_non_null(strstr(out.data, "        Configured node list:\t1 (10), 2 (20), 3 (10)\n"));
	assert_non_null(strstr(out.data, "        Heuristics:\t\tFail\n"));
	assert_null(strstr(out.data, "No change"));
	strbuf_free(&out);
	example_free(&ex);
}

static void test_ipc_commands(void **state)
{
	(void)state;
	struct example ex;
	struct strbuf out;
	bool shutdown;
	example_build(&ex);

	strbuf_init(&out, 1 << 20);
	qnetd_ipc_cmd_run(&ex.srv, &status_ctx, "status verbose \n", 16, &out, &shutdown);
	assert_false(shutdown);
	assert_int_equal(strncmp(out.data, "OK\nQNetd address:", 17), 0);
	strbuf_free(&out);

	strbuf_init(&out, 1 << 20);
	const char *req = "list verbose cluster \"mycluster\" \n";
	qnetd_ipc_cmd_run(&ex.srv, &status_ctx, req, strlen(req), &out, &shutdown);
	assert_int_equal(strncmp(out.data, "OK\nCluster \"mycluster\":\n", 24), 0);
	strbuf_free(&out);

	strbuf_init(&out, 1 << 20);
	qnetd_ipc_cmd_run(&ex.srv, &status_ctx, "frobnicate\n", 11, &out, &shutdown);
	assert_string_equal(out.data, "Error\nUnknown command 'frobnicate'\n");
	strbuf_free(&out);

	strbuf_init(&out, 1 << 20);
	qnetd_ipc_cmd_run(&ex.srv, &status_ctx, " \n", 2, &out, &shutdown);
	assert_string_equal(out.data, "Error\nNo command\n");
	strbuf_free(&out);

	strbuf_init(&out, 1 << 20);
	qnetd_ipc_cmd_run(&ex.srv, &status_ctx, "SHUTDOWN now\n", 13, &out, &shutdown);
	assert_true(shutdown);
	assert_string_equal(out.data, "OK\n");
	strbuf_free(&out);

	/* A reply over the size limit is an error, not a truncated report. */
	strbuf_init(&out, 64);
	qnetd_ipc_cmd_run(&ex.srv, &status_ctx, "list verbose\n", 13, &out, &shutdown);
	assert_string_equal(out.data, "Error\nCan't get QNetd cluster list\n");
	strbuf_free(&out);
	example_free(&ex);
}

static json_t *field(json_t *o, const char *path)
{
	/* "a.b.0.c": objects by key, arrays by index. */
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *tok = strtok(buf, "."); tok != NULL && o != NULL; tok = strtok(NULL, ".")) {
		if (json_is_array(o))
			o = json_array_get(o, (size_t)atoi(tok));
		else
			o = json_object_get(o, tok);
	}
	assert_non_null(o);
	return o;
}

static void test_json_status(void **state)
{
	(void)state;
	struct example ex;
	example_build(&ex);
	ex.conns[1].tls_started = false;
	ex.conns[1].cert_verified = false;
	json_t *j = qnetd_status_json(&ex.srv, &status_ctx, NULL, 0, true);
	assert_non_null(j);
	assert_int_equal(json_integer_value(field(j, "schema")), 1);
	assert_string_equal(json_string_value(field(j, "program")), "corosync-qnetd");
	assert_string_equal(json_string_value(field(j, "time")), "2026-12-06T15:33:00.000Z");
	assert_string_equal(json_string_value(field(j, "started")), "2026-12-06T14:33:00.000Z");
	assert_true(json_is_null(field(j, "listen.address")));
	assert_int_equal(json_integer_value(field(j, "listen.port")), 5403);
	assert_string_equal(json_string_value(field(j, "tls")), "on");
	assert_true(json_is_true(field(j, "client_cert_required")));
	assert_int_equal(json_integer_value(field(j, "max_clients")), 100);
	assert_int_equal(json_integer_value(field(j, "counts.clients")), 2);
	assert_int_equal(json_integer_value(field(j, "counts.clusters")), 1);
	assert_int_equal(json_integer_value(field(j, "counts.plaintext_clients")), 1);
	assert_string_equal(json_string_value(field(j, "clusters.0.name")), "mycluster");
	assert_null(json_object_get(field(j, "clusters.0"), "name_hex"));
	assert_string_equal(json_string_value(field(j, "clusters.0.algorithm")), "ffsplit");
	assert_string_equal(json_string_value(field(j, "clusters.0.tie_breaker.mode")), "lowest");
	assert_true(json_is_true(field(j, "clusters.0.kap_tie_breaker")));
	assert_int_equal(json_array_size(field(j, "clusters.0.configured_nodes")), 2);
	assert_int_equal(json_array_size(field(j, "clusters.0.missing_nodes")), 0);
	/* Both clients hold an ACK in the same ring: one partition. */
	assert_int_equal(json_integer_value(field(j, "clusters.0.acked_partitions")), 1);
	assert_int_equal(json_integer_value(field(j, "clusters.0.clients.1.node_id")), 2);
	assert_string_equal(json_string_value(field(j, "clusters.0.clients.0.address")), "::ffff:192.168.122.11:48212");
	assert_true(json_is_true(field(j, "clusters.0.clients.0.client_cert_verified")));
	assert_true(json_is_false(field(j, "clusters.0.clients.1.tls_active")));
	assert_int_equal(json_integer_value(field(j, "clusters.0.clients.0.heartbeat_interval_ms")), 8000);
	assert_int_equal(json_integer_value(field(j, "clusters.0.clients.0.config_version")), 7);
	assert_int_equal(json_integer_value(field(j, "clusters.0.clients.0.ring_id.seq")), 0x24);
	assert_true(json_is_null(field(j, "clusters.0.clients.0.quorate")));
	assert_string_equal(json_string_value(field(j, "clusters.0.clients.0.vote")), "ack");
	assert_string_equal(json_string_value(field(j, "clusters.0.clients.1.vote")), "no_change");
	assert_string_equal(json_string_value(field(j, "clusters.0.clients.1.last_ack_nack_vote")), "ack");
	assert_string_equal(json_string_value(field(j, "clusters.0.clients.0.connected_since")),
			    "2026-12-06T15:32:00.000Z");
	assert_string_equal(json_string_value(field(j, "clusters.0.clients.1.last_message")),
			    "2026-12-06T15:32:59.000Z");
	json_decref(j);

	/* Node 2 moved to a ring of its own and got an ACK there: two partitions hold an ACK. A
	 * configured node 3 without a client is missing. */
	static const struct msg_node_info three[] = {{1, 0, 0}, {2, 0, 0}, {3, 0, 0}};
	assert_int_equal(qnetd_node_list_set(&ex.conns[0].client.config_list, three, 3), 0);
	ex.conns[1].client.ring_id.seq = 0x28;
	j = qnetd_status_json(&ex.srv, &status_ctx, NULL, 0, true);
	assert_int_equal(json_integer_value(field(j, "clusters.0.acked_partitions")), 2);
	assert_int_equal(json_array_size(field(j, "clusters.0.configured_nodes")), 3);
	assert_int_equal(json_integer_value(field(j, "clusters.0.missing_nodes.0")), 3);
	json_decref(j);

	/* The brief form: the same cluster fields and counts, no client objects. */
	j = qnetd_status_json(&ex.srv, &status_ctx, NULL, 0, false);
	assert_int_equal(json_integer_value(field(j, "clusters.0.acked_partitions")), 2);
	assert_int_equal(json_integer_value(field(j, "clusters.0.client_count")), 2);
	assert_null(json_object_get(field(j, "clusters.0"), "clients"));
	assert_int_equal(json_integer_value(field(j, "counts.clients")), 2);
	json_decref(j);

	/* A filter on another name leaves the counts but no cluster. */
	j = qnetd_status_json(&ex.srv, &status_ctx, "other", 5, true);
	assert_int_equal(json_array_size(field(j, "clusters")), 0);
	assert_int_equal(json_integer_value(field(j, "counts.clusters")), 1);
	json_decref(j);
	example_free(&ex);
}

/* Names are network bytes: control characters escaped by the JSON writer, invalid UTF-8 replaced
 * (with the exact bytes in name_hex), and the result always parses again. */
static void test_json_cluster_names(void **state)
{
	(void)state;
	struct example ex;
	example_build(&ex);
	static const uint8_t evil[] = {'a', '"', '\n', 0, 0xff, 0xc3, 0xa9, 0xed, 0xa0, 0x80};
	assert_non_null(qnetd_cluster_map_create(&ex.srv.clusters, evil, sizeof(evil)));
	json_t *j = qnetd_status_json(&ex.srv, &status_ctx, (const char *)evil, sizeof(evil), true);
	assert_non_null(j);
	char *text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	json_error_t err;
	json_t *back = json_loads(text, JSON_ALLOW_NUL, &err);
	assert_non_null(back);
	size_t len = json_string_length(field(back, "clusters.0.name"));
	assert_memory_equal(json_string_value(field(back, "clusters.0.name")),
			    "a\"\n\0\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", len);
	assert_int_equal(len, 18);
	assert_string_equal(json_string_value(field(back, "clusters.0.name_hex")), "61220a00ffc3a9eda080");
	assert_true(json_is_null(field(back, "clusters.0.algorithm")));
	free(text);
	json_decref(back);
	json_decref(j);
	example_free(&ex);
}

static void test_json_command(void **state)
{
	(void)state;
	struct example ex;
	struct strbuf out;
	bool shutdown;
	example_build(&ex);
	strbuf_init(&out, 1 << 20);
	qnetd_ipc_cmd_run(&ex.srv, &status_ctx, "json\n", 5, &out, &shutdown);
	assert_int_equal(strncmp(out.data, "OK\n{\"schema\":1,", 15), 0);
	assert_int_equal(out.data[out.len - 1], '\n');
	assert_null(memchr(out.data + 3, '\n', out.len - 4));
	strbuf_free(&out);
	strbuf_init(&out, 1 << 20);
	qnetd_ipc_cmd_run(&ex.srv, &status_ctx, "json cluster nosuch\n", 20, &out, &shutdown);
	assert_non_null(strstr(out.data, "\"clusters\":[]"));
	strbuf_free(&out);
	/* Too big for the reply limit: an error, not half a document. */
	strbuf_init(&out, 200);
	qnetd_ipc_cmd_run(&ex.srv, &status_ctx, "json\n", 5, &out, &shutdown);
	assert_string_equal(out.data, "Error\nCan't get QNetd status\n");
	strbuf_free(&out);
	example_free(&ex);
}

static void test_tokenizer(void **state)
{
	(void)state;
	struct ipc_request_tokens t;
	const char *line = "list  \"my \\\"quoted\\\" \\x\"name cluster\\ two\\\n";
	assert_int_equal(ipc_request_tokenize(line, strlen(line), true, &t), 0);
	assert_int_equal(t.count, 3);
	assert_string_equal(t.tokens[0], "list");
	assert_string_equal(t.tokens[1], "my \"quoted\" \\xname");
	assert_string_equal(t.tokens[2], "cluster two");
	ipc_request_tokens_free(&t);
	assert_int_equal(ipc_request_tokenize("a\nb c\n", 6, true, &t), 0);
	assert_int_equal(t.count, 1);
	ipc_request_tokens_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_verbose),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_list_verbose_first_node),
		cmocka_unit_test(test_list_filter_and_details),
		cmocka_unit_test(test_list_escapes_cluster_name),
		cmocka_unit_test(test_json_status),
		cmocka_unit_test(test_json_cluster_names),
		cmocka_unit_test(test_json_command),
		cmocka_unit_test(test_ipc_commands),
		cmocka_unit_test(test_tokenizer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

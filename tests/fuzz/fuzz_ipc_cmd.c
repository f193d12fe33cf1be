/*
 * libFuzzer target over both daemons' local-socket requests: arbitrary bytes through qnetd's
 * tokenizer and command runner (against a server holding one two-node cluster) and through
 * qdevice's (against a full status). No crash, no leak; every reply is "OK\n..." or "Error\n...".
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ipc_request.h"
#include "qdevice_ipc.h"
#include "qnetd_ipc_cmd.h"
#include "qdevice_report.h"
#include "qnetd_conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

static struct qnetd_settings qnetd_settings;
static struct qnetd_server server;
static struct qnetd_conn conns[2];
static bool initialised;
static const struct qnetd_status_context status_ctx = {
	.version = "fuzz", .started_unix_ms = 1700000000000LL, .now_mono_ms = 5000, .now_unix_ms = 1700000005000LL,
};

static void server_build(void)
{
	static const struct msg_node_info nodes[] = {{1, 0, 0}, {2, 0, 0}};

	qnetd_settings_init(&qnetd_settings);
	qnetd_server_init(&server, &qnetd_settings, NULL, NULL);
	struct qnetd_cluster *cluster = qnetd_cluster_map_create(&server.clusters, (const uint8_t *)"fuzz", 4);
	CHECK(cluster != NULL);
	for (int i = 0; i < 2; i++) {
		struct qnetd_conn *conn = &conns[i];
		qnetd_client_init(&conn->client, conn);
		strcpy(conn->peer, "127.0.0.1:1");
		conn->phase = QNETD_CONN_JOINED;
		conn->client.node_id = (uint32_t)i + 1;
		conn->client.algorithm = PROTO_ALGO_FFSPLIT;
		conn->client.tie_breaker.mode = PROTO_TIE_BREAKER_LOWEST;
		CHECK(qnetd_node_list_set(&conn->client.config_list, nodes, 2) == 0);
		CHECK(qnetd_node_list_set(&conn->client.membership_list, nodes, 2) == 0);
		CHECK(qnetd_cluster_add_client(cluster, &conn->client) == 0);
	}
}

static int status_fill(void *ctx, struct qdevice_status *st)
{
	static const struct qdevice_config_node cfg_nodes[] = {{1, 0}, {2, 7}};
	static const uint32_t members[] = {1, 2};
	static const struct qdevice_status_quorum_node quorum[] = {{1, 1}, {0, 0}, {2, 2}};
	(void)ctx;
	st->node_id = 1;
	st->config_nodes = cfg_nodes;
	st->config_node_count = 2;
	st->members = members;
	st->member_count = 2;
	st->quorum_nodes = quorum;
	st->quorum_node_count = 3;
	st->cluster_name = "fuzz";
	st->host = "192.0.2.1";
	st->port = 5403;
	st->last_poll_set = true;
	st->last_poll_time = 1700000000;
	st->state = QDEVICE_NET_LINK_CONNECTED;
	st->connected_since_set = true;
	st->connected_since = 1700000000;
	return 0;
}

static void check_reply(const struct strbuf *out)
{
	if (out->failed)
		return;
	CHECK(out->len >= 3);
	CHECK(memcmp(out->data, "OK\n", 3) == 0 || (out->len >= 6 && memcmp(out->data, "Error\n", 6) == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf out;
	bool shutdown = false;

	if (!initialised) {
		server_build();
		initialised = true;
	}

	struct ipc_request_tokens t;
	if (ipc_request_tokenize((const char *)data, size, true, &t) == 0)
		ipc_request_tokens_free(&t);
	strbuf_init(&out, 65536);
	qnetd_ipc_cmd_run(&server, &status_ctx, (const char *)data, size, &out, &shutdown);
	check_reply(&out);
	strbuf_free(&out);

	struct ipc_request_tokens dt;
	if (ipc_request_tokenize((const char *)data, size, false, &dt) == 0)
		ipc_request_tokens_free(&dt);
	shutdown = false;
	strbuf_init(&out, 65536);
	qdevice_ipc_run_command((const char *)data, size, status_fill, NULL, &out, &shutdown);
	check_reply(&out);
	strbuf_free(&out);
	return 0;
}

/* tests/data/vectors/message-vectors.txt: each worked example decodes to its documented fields and re-encodes byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "msg.h"
#include "testdata.h"

#define VECTORS QD_TEST_DATA_DIR "/vectors/message-vectors.txt"

/* A decoded vector together with its original bytes. */
struct vector {
	uint8_t *bytes;
	size_t len;
	struct msg m;
};

static void vector_load(const char *name, struct vector *v)
{
	struct msg_decode_error err;

	assert_int_equal(testdata_vector_get(VECTORS, name, &v->bytes, &v->len), 0);
	assert_int_equal(msg_decode(v->bytes, v->len, &v->m, &err), 0);
	assert_int_equal(err.status, MSG_DECODE_OK);

	/* Re-encoding must give back exactly the documented bytes. */
	uint8_t out[1024];
	long n = msg_encode(&v->m, out, sizeof(out));
	assert_int_equal(n, (long)v->len);
	assert_memory_equal(out, v->bytes, v->len);
}

static void vector_free(struct vector *v)
{
	msg_destroy(&v->m);
	free(v->bytes);
}

/* Only the listed options may be present. */
static void assert_options(const struct msg *m, const enum proto_opt *opts, size_t n)
{
	uint32_t expected = 0;
	for (size_t i = 0; i < n; i++)
		expected |= UINT32_C(1) << opts[i];
	assert_int_equal(m->present, expected);
}
#define ASSERT_OPTIONS(m, ...)                                                              \
	do {                                                                                \
		const enum proto_opt o_[] = {__VA_ARGS__};                                  \
		assert_options((m), o_, sizeof(o_) / sizeof(o_[0]));                       \
	} while (0)

static void assert_ring_1_24(const struct msg *m)
{
	assert_int_equal(m->ring_id.node_id, 1);
	assert_int_equal(m->ring_id.seq, 0x24);
}

static void assert_sequence(const uint16_t *values, size_t count, size_t expected_count)
{
	assert_int_equal(count, expected_count);
	for (size_t i = 0; i < count; i++)
		assert_int_equal(values[i], i);
}

static void test_preinit(void **state)
{
	(void)state;
	struct vector v;
	vector_load("preinit", &v);
	assert_int_equal(v.len, 27);
	assert_int_equal(v.m.type, PROTO_MSG_PREINIT);
	ASSERT_OPTIONS(&v.m, PROTO_OPT_MSG_SEQ_NUMBER, PROTO_OPT_CLUSTER_NAME);
	assert_int_equal(v.m.seq_number, 1);
	assert_int_equal(v.m.cluster_name_len, 9);
	assert_memory_equal(v.m.cluster_name, "mycluster", 9);
	vector_free(&v);
}

static void test_preinit_reply(void **state)
{
	(void)state;
	struct vector v;
	vector_load("preinit_reply", &v);
	assert_int_equal(v.len, 24);
	assert_int_equal(v.m.type, PROTO_MSG_PREINIT_REPLY);
	ASSERT_OPTIONS(&v.m, PROTO_OPT_MSG_SEQ_NUMBER, PROTO_OPT_TLS_SUPPORTED,
		       PROTO_OPT_TLS_CLIENT_CERT_REQUIRED);
	assert_int_equal(v.m.seq_number, 1);
	assert_int_equal(v.m.tls_supported, PROTO_TLS_SUPPORTED);
	assert_int_equal(v.m.tls_client_cert_required, 1);
	vector_free(&v);
}

static void test_starttls(void **state)
{
	(void)state;
	struct vector v;
	vector_load("starttls", &v);
	assert_int_equal(v.len, 14);
	assert_int_equal(v.m.type, PROTO_MSG_STARTTLS);
	ASSERT_OPTIONS(&v.m, PROTO_OPT_MSG_SEQ_NUMBER);
	assert_int_equal(v.m.seq_number, 2);
	vector_free(&v);
}

static void test_init(void **state)
{
	(void)state;
	struct vector v;
	vector_load("init", &v);
	assert_int_equal(v.len, 153);
	assert_int_equal(v.m.type, PROTO_MSG_INIT);
	ASSERT_OPTIONS(&v.m, PROTO_OPT_MSG_SEQ_NUMBER, PROTO_OPT_SUPPORTED_MESSAGES,
		       PROTO_OPT_SUPPORTED_OPTIONS, PROTO_OPT_NODE_ID, PROTO_OPT_DECISION_ALGORITHM,
		       PROTO_OPT_HEARTBEAT_INTERVAL, PROTO_OPT_TIE_BREAKER, PROTO_OPT_RING_ID);
	assert_int_equal(v.m.seq_number, 3);
	assert_sequence(v.m.supported_messages, v.m.supported_messages_count, 18);
	assert_sequence(v.m.supported_options, v.m.supported_options_count, 24);
	assert_int_equal(v.m.node_id, 1);
	assert_int_equal(v.m.algorithm, PROTO_ALGO_FFSPLIT);
	assert_int_equal(v.m.heartbeat_interval, 8000);
	assert_int_equal(v.m.tie_breaker.mode, PROTO_TIE_BREAKER_LOWEST);
	assert_int_equal(v.m.tie_breaker.node_id, 0);
	assert_ring_1_24(&v.m);
	vector_free(&v);
}

static void test_init_reply(void **state)
{
	(void)state;
	struct vector v;
	vector_load("init_reply", &v);
	assert_int_equal(v.len, 140);
	assert_int_equal(v.m.type, PROTO_MSG_INIT_REPLY);
	ASSERT_OPTIONS(&v.m, PROTO_OPT_REPLY_ERROR_CODE, PROTO_OPT_SUPPORTED_MESSAGES,
		       PROTO_OPT_SUPPORTED_OPTIONS, PROTO_OPT_MSG_SEQ_NUMBER,
		       PROTO_OPT_SERVER_MAXIMUM_REQUEST_SIZE, PROTO_OPT_SERVER_MAXIMUM_REPLY_SIZE,
		       PROTO_OPT_SUPPORTED_DECISION_ALGORITHMS);
	assert_int_equal(v.m.reply_error_code, PROTO_ERR_NO_ERROR);
	assert_sequence(v.m.supported_messages, v.m.supported_messages_count, 18);
	assert_sequence(v.m.supported_options, v.m.supported_options_count, 24);
	assert_int_equal(v.m.seq_number, 3);
	assert_int_equal(v.m.server_max_request_size, 32768);
	assert_int_equal(v.m.server_max_reply_size, 32768);
	assert_sequence(v.m.supported_algorithms, v.m.supported_algorithms_count, 4);
	vector_free(&v);
}

static void test_node_list_membership(void **state)
{
	(void)state;
	struct vector v;
	vector_load("node_list_membership", &v);
	assert_int_equal(v.len, 64);
	assert_int_equal(v.m.type, PROTO_MSG_NODE_LIST);
	ASSERT_OPTIONS(&v.m, PROTO_OPT_MSG_SEQ_NUMBER, PROTO_OPT_NODE_LIST_TYPE, PROTO_OPT_RING_ID,
		       PROTO_OPT_NODE_INFO, PROTO_OPT_HEURISTICS);
	assert_int_equal(v.m.seq_number, 6);
	assert_int_equal(v.m.node_list_type, PROTO_NODE_LIST_MEMBERSHIP);
	assert_ring_1_24(&v.m);
	assert_int_equal(v.m.node_count, 2);
	for (uint32_t i = 0; i < 2; i++) {
		assert_int_equal(v.m.nodes[i].node_id, i + 1);
		assert_int_equal(v.m.nodes[i].data_center_id, 0);
		assert_int_equal(v.m.nodes[i].node_state, PROTO_NODE_STATE_NOT_SET);
	}
	assert_int_equal(v.m.heuristics, PROTO_HEURISTICS_PASS);
	vector_free(&v);
}

static void test_node_list_initial_config(void **state)
{
	(void)state;
	struct vector v;
	vector_load("node_list_initial_config", &v);
	assert_int_equal(v.len, 55);
	ASSERT_OPTIONS(&v.m, PROTO_OPT_MSG_SEQ_NUMBER, PROTO_OPT_NODE_LIST_TYPE,
		       PROTO_OPT_CONFIG_VERSION, PROTO_OPT_NODE_INFO);
	assert_int_equal(v.m.seq_number, 5);
	assert_int_equal(v.m.node_list_type, PROTO_NODE_LIST_INITIAL_CONFIG);
	assert_int_equal(v.m.config_version, 7);
	assert_int_equal(v.m.node_count, 2);
	assert_int_equal(v.m.nodes[0].node_id, 1);
	assert_int_equal(v.m.nodes[1].node_id, 2);
	vector_free(&v);
}

static void test_node_list_changed_config(void **state)
{
	(void)state;
	struct vector v;
	vector_load("node_list_changed_config", &v);
	assert_int_equal(v.len, 91);
	ASSERT_OPTIONS(&v.m, PROTO_OPT_MSG_SEQ_NUMBER, PROTO_OPT_NODE_LIST_TYPE,
		       PROTO_OPT_CONFIG_VERSION, PROTO_OPT_NODE_INFO);
	assert_int_equal(v.m.seq_number, 10);
	assert_int_equal(v.m.node_list_type, PROTO_NODE_LIST_CHANGED_CONFIG);
	assert_int_equal(v.m.config_version, 8);
	const uint32_t dcs[] = {10, 20, 10};
	assert_int_equal(v.m.node_count, 3);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(v.m.nodes[i].node_id, i + 1);
		assert_int_equal(v.m.nodes[i].data_center_id, dcs[i]);
		assert_int_equal(v.m.nodes[i].node_state, PROTO_NODE_STATE_NOT_SET);
	}
	vector_free(&v);
}

static void test_node_list_quorum(void **state)
{
	(void)state;
	struct vector v;
	vector_load("node_list_quorum", &v);
	assert_int_equal(v.len, 58);
	ASSERT_OPTIONS(&v.m, PROTO_OPT_MSG_SEQ_NUMBER, PROTO_OPT_NODE_LIST_TYPE, PROTO_OPT_QUORATE,
		       PROTO_OPT_NODE_INFO);
	assert_int_equal(v.m.seq_number, 7);
	assert_int_equal(v.m.node_list_type, PROTO_NODE_LIST_QUORUM);
	assert_int_equal(v.m.quorate, PROTO_QUORATE);
	assert_int_equal(v.m.node_count, 2);
	for (uint32_t i = 0; i < 2; i++) {
		assert_int_equal(v.m.nodes[i].node_id, i + 1);
		assert_int_equal(v.m.nodes[i].node_state, PROTO_NODE_STATE_MEMBER);
	}
	vector_free(&v);
}

static void test_node_list_reply(void **state)
{
	(void)state;
	struct vector v;
	vector_load("node_list_reply", &v);
	assert_int_equal(v.len, 40);
	assert_int_equal(v.m.type, PROTO_MSG_NODE_LIST_REPLY);
	ASSERT_OPTIONS(&v.m, PROTO_OPT_MSG_SEQ_NUMBER, PROTO_OPT_NODE_LIST_TYPE, PROTO_OPT_RING_ID,
		       PROTO_OPT_VOTE);
	assert_int_equal(v.m.seq_number, 6);
	assert_int_equal(v.m.node_list_type, PROTO_NODE_LIST_MEMBERSHIP);
	assert_ring_1_24(&v.m);
	assert_int_equal(v.m.vote, PROTO_VOTE_NO_CHANGE);
	vector_free(&v);
}

/* VOTE_INFO and ASK_FOR_VOTE_REPLY share their layout: seq, vote, ring id. */
static void check_vote_message(const char *name, uint16_t type, uint32_t seq, uint8_t vote)
{
	struct vector v;
	vector_load(name, &v);
	assert_int_equal(v.len, 35);
	assert_int_equal(v.m.type, type);
	ASSERT_OPTIONS(&v.m, PROTO_OPT_MSG_SEQ_NUMBER, PROTO_OPT_VOTE, PROTO_OPT_RING_ID);
	assert_int_equal(v.m.seq_number, seq);
	assert_int_equal(v.m.vote, vote);
	assert_ring_1_24(&v.m);
	vector_free(&v);
}

/* Messages that carry nothing but a sequence number. */
static void check_seq_only(const char *name, uint16_t type, uint32_t seq)
{
	struct vector v;
	vector_load(name, &v);
	assert_int_equal(v.len, 14);
	assert_int_equal(v.m.type, type);
	ASSERT_OPTIONS(&v.m, PROTO_OPT_MSG_SEQ_NUMBER);
	assert_int_equal(v.m.seq_number, seq);
	vector_free(&v);
}

static void test_vote_info(void **state)
{
	(void)state;
	check_vote_message("vote_info", PROTO_MSG_VOTE_INFO, 1, PROTO_VOTE_ACK);
	check_seq_only("vote_info_reply", PROTO_MSG_VOTE_INFO_REPLY, 1);
}

static void test_echo(void **state)
{
	(void)state;
	check_seq_only("echo_request", PROTO_MSG_ECHO_REQUEST, 1);
	check_seq_only("echo_reply", PROTO_MSG_ECHO_REPLY, 1);
}

static void test_server_error(void **state)
{
	(void)state;
	struct vector v;
	vector_load("server_error", &v);
	assert_int_equal(v.len, 20);
	assert_int_equal(v.m.type, PROTO_MSG_SERVER_ERROR);
	ASSERT_OPTIONS(&v.m, PROTO_OPT_MSG_SEQ_NUMBER, PROTO_OPT_REPLY_ERROR_CODE);
	assert_int_equal(v.m.seq_number, 9);
	assert_int_equal(v.m.reply_error_code, PROTO_ERR_INIT_REQUIRED);
	vector_free(&v);
}

static void test_set_option(void **state)
{
	(void)state;
	const char *names[] = {"set_option", "set_option_reply"};
	const uint16_t types[] = {PROTO_MSG_SET_OPTION, PROTO_MSG_SET_OPTION_REPLY};
	for (size_t i = 0; i < 2; i++) {
		struct vector v;
		vector_load(names[i], &v);
		assert_int_equal(v.len, 19);
		assert_int_equal(v.m.type, types[i]);
		ASSERT_OPTIONS(&v.m, PROTO_OPT_MSG_SEQ_NUMBER, PROTO_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER);
		assert_int_equal(v.m.seq_number, 4);
		assert_int_equal(v.m.kap_tie_breaker, PROTO_KAP_TIE_BREAKER_ENABLED);
		vector_free(&v);
	}
}

static void test_heuristics_change(void **state)
{
	(void)state;
	struct vector v;
	vector_load("heuristics_change", &v);
	assert_int_equal(v.len, 19);
	assert_int_equal(v.m.type, PROTO_MSG_HEURISTICS_CHANGE);
	ASSERT_OPTIONS(&v.m, PROTO_OPT_MSG_SEQ_NUMBER, PROTO_OPT_HEURISTICS);
	assert_int_equal(v.m.seq_number, 8);
	assert_int_equal(v.m.heuristics, PROTO_HEURISTICS_FAIL);
	vector_free(&v);

	vector_load("heuristics_change_reply", &v);
	assert_int_equal(v.len, 40);
	assert_int_equal(v.m.type, PROTO_MSG_HEURISTICS_CHANGE_REPLY);
	ASSERT_OPTIONS(&v.m, PROTO_OPT_MSG_SEQ_NUMBER, PROTO_OPT_VOTE, PROTO_OPT_RING_ID,
		       PROTO_OPT_HEURISTICS);
	assert_int_equal(v.m.seq_number, 8);
	assert_int_equal(v.m.vote, PROTO_VOTE_NO_CHANGE);
	assert_ring_1_24(&v.m);
	assert_int_equal(v.m.heuristics, PROTO_HEURISTICS_FAIL);
	vector_free(&v);
}

static void test_ask_for_vote(void **state)
{
	(void)state;
	check_seq_only("ask_for_vote", PROTO_MSG_ASK_FOR_VOTE, 9);
	check_vote_message("ask_for_vote_reply", PROTO_MSG_ASK_FOR_VOTE_REPLY, 9, PROTO_VOTE_ACK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preinit),
		cmocka_unit_test(test_preinit_reply),
		cmocka_unit_test(test_starttls),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_init_reply),
		cmocka_unit_test(test_node_list_membership),
		cmocka_unit_test(test_node_list_initial_config),
		cmocka_unit_test(test_node_list_changed_config),
		cmocka_unit_test(test_node_list_quorum),
		cmocka_unit_test(test_node_list_reply),
		cmocka_unit_test(test_vote_info),
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_server_error),
		cmocka_unit_test(test_set_option),
		cmocka_unit_test(test_heuristics_change),
		cmocka_unit_test(test_ask_for_vote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

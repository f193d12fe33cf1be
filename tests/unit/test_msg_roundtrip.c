/* Encoder: every message type round-trips through decode, and the encoder refuses what the decoder would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "msg.h"

static const uint16_t all_messages[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
static const uint16_t all_options[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
				       12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};
static const uint16_t all_algorithms[] = {0, 1, 2, 3};
static const struct msg_node_info nodes[] = {
	{1, 0, PROTO_NODE_STATE_NOT_SET},
	{2, 20, PROTO_NODE_STATE_MEMBER},
	{0xfffffffe, 0xffffffff, PROTO_NODE_STATE_LEAVING},
};

/* Fills in the options a real sender puts into a message of this type. */
static void build_typical(struct msg *m, uint16_t type)
{
	msg_init(m, type);
	m->seq_number = 0xfffffff0u + type;
	msg_set_present(m, PROTO_OPT_MSG_SEQ_NUMBER);
	m->ring_id.node_id = 3;
	m->ring_id.seq = UINT64_C(0x1122334455667788);
	switch (type) {
	case PROTO_MSG_PREINIT:
		m->cluster_name = (const uint8_t *)"cluster\0with nul";
		m->cluster_name_len = 16;
		msg_set_present(m, PROTO_OPT_CLUSTER_NAME);
		break;
	case PROTO_MSG_PREINIT_REPLY:
		m->tls_supported = PROTO_TLS_REQUIRED;
		m->tls_client_cert_required = 1;
		msg_set_present(m, PROTO_OPT_TLS_SUPPORTED);
		msg_set_present(m, PROTO_OPT_TLS_CLIENT_CERT_REQUIRED);
		break;
	case PROTO_MSG_INIT:
		m->supported_messages = all_messages;
		m->supported_messages_count = 18;
		m->supported_options = all_options;
		m->supported_options_count = 24;
		m->node_id = 4;
		m->algorithm = PROTO_ALGO_LMS;
		m->heartbeat_interval = 120000;
		m->tie_breaker.mode = PROTO_TIE_BREAKER_NODE_ID;
		m->tie_breaker.node_id = 77;
		msg_set_present(m, PROTO_OPT_SUPPORTED_MESSAGES);
		msg_set_present(m, PROTO_OPT_SUPPORTED_OPTIONS);
		msg_set_present(m, PROTO_OPT_NODE_ID);
		msg_set_present(m, PROTO_OPT_DECISION_ALGORITHM);
		msg_set_present(m, PROTO_OPT_HEARTBEAT_INTERVAL);
		msg_set_present(m, PROTO_OPT_TIE_BREAKER);
		msg_set_present(m, PROTO_OPT_RING_ID);
		break;
	case PROTO_MSG_INIT_REPLY:
		m->reply_error_code = PROTO_ERR_DUPLICATE_NODE_ID;
		m->supported_messages = all_messages;
		m->supported_messages_count = 18;
		m->supported_options = all_options;
		m->supported_options_count = 24;
		m->server_max_request_size = 32768;
		m->server_max_reply_size = 16777216;
		m->supported_algorithms = all_algorithms;
		m->supported_algorithms_count = 4;
		msg_set_present(m, PROTO_OPT_REPLY_ERROR_CODE);
		msg_set_present(m, PROTO_OPT_SUPPORTED_MESSAGES);
		msg_set_present(m, PROTO_OPT_SUPPORTED_OPTIONS);
		msg_set_present(m, PROTO_OPT_SERVER_MAXIMUM_REQUEST_SIZE);
		msg_set_present(m, PROTO_OPT_SERVER_MAXIMUM_REPLY_SIZE);
		msg_set_present(m, PROTO_OPT_SUPPORTED_DECISION_ALGORITHMS);
		break;
	case PROTO_MSG_SERVER_ERROR:
		m->reply_error_code = PROTO_ERR_INVALID_MEMBERSHIP_NODE_LIST;
		msg_set_present(m, PROTO_OPT_REPLY_ERROR_CODE);
		break;
	case PROTO_MSG_SET_OPTION:
	case PROTO_MSG_SET_OPTION_REPLY:
		m->heartbeat_interval = 1000;
		m->kap_tie_breaker = PROTO_KAP_TIE_BREAKER_DISABLED;
		msg_set_present(m, PROTO_OPT_HEARTBEAT_INTERVAL);
		msg_set_present(m, PROTO_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER);
		break;
	case PROTO_MSG_NODE_LIST:
		m->node_list_type = PROTO_NODE_LIST_QUORUM;
		m->config_version = UINT64_MAX;
		m->quorate = PROTO_QUORATE;
		m->nodes = nodes;
		m->node_count = 3;
		m->heuristics = PROTO_HEURISTICS_FAIL;
		msg_set_present(m, PROTO_OPT_NODE_LIST_TYPE);
		msg_set_present(m, PROTO_OPT_RING_ID);
		msg_set_present(m, PROTO_OPT_CONFIG_VERSION);
		msg_set_present(m, PROTO_OPT_QUORATE);
		msg_set_present(m, PROTO_OPT_NODE_INFO);
		msg_set_present(m, PROTO_OPT_HEURISTICS);
		break;
	case PROTO_MSG_NODE_LIST_REPLY:
		m->node_list_type = PROTO_NODE_LIST_CHANGED_CONFIG;
		m->vote = PROTO_VOTE_WAIT_FOR_REPLY;
		msg_set_present(m, PROTO_OPT_NODE_LIST_TYPE);
		msg_set_present(m, PROTO_OPT_RING_ID);
		msg_set_present(m, PROTO_OPT_VOTE);
		break;
	case PROTO_MSG_ASK_FOR_VOTE_REPLY:
	case PROTO_MSG_VOTE_INFO:
		m->vote = PROTO_VOTE_NACK;
		msg_set_present(m, PROTO_OPT_VOTE);
		msg_set_present(m, PROTO_OPT_RING_ID);
		break;
	case PROTO_MSG_HEURISTICS_CHANGE:
		m->heuristics = PROTO_HEURISTICS_PASS;
		msg_set_present(m, PROTO_OPT_HEURISTICS);
		break;
	case PROTO_MSG_HEURISTICS_CHANGE_REPLY:
		m->vote = PROTO_VOTE_ASK_LATER;
		m->heuristics = PROTO_HEURISTICS_FAIL;
		msg_set_present(m, PROTO_OPT_VOTE);
		msg_set_present(m, PROTO_OPT_RING_ID);
		msg_set_present(m, PROTO_OPT_HEURISTICS);
		break;
	default:
		break; /* STARTTLS, ECHO_*, ASK_FOR_VOTE, VOTE_INFO_REPLY: seq only */
	}
}

static void test_roundtrip_every_type(void **state)
{
	(void)state;
	for (uint16_t type = 0; type < PROTO_MSG_TYPE_COUNT; type++) {
		struct msg m, d;
		struct msg_decode_error err;
		uint8_t buf[1024], again[1024];

		print_message("type %u (%s)\n", type, proto_msg_type_str(type));
		build_typical(&m, type);
		long n = msg_encode(&m, buf, sizeof(buf));
		assert_true(n > (long)PROTO_HEADER_SIZE);
		assert_int_equal(msg_decode(buf, (size_t)n, &d, &err), 0);
		assert_true(msg_equal(&m, &d));
		assert_int_equal(msg_encode(&d, again, sizeof(again)), n);
		assert_memory_equal(buf, again, (size_t)n);
		msg_destroy(&d);
	}
}

/*
 * A moved message keeps every decoded value and its memory; the source frees nothing afterwards
 * (the sanitizer build would report a double free or a leak otherwise).
 */
static void test_move_takes_ownership(void **state)
{
	(void)state;
	for (uint16_t type = 0; type < PROTO_MSG_TYPE_COUNT; type++) {
		struct msg m, d, moved;
		struct msg_decode_error err;
		uint8_t buf[1024];

		build_typical(&m, type);
		long n = msg_encode(&m, buf, sizeof(buf));
		assert_int_equal(msg_decode(buf, (size_t)n, &d, &err), 0);
		msg_move(&moved, &d);
		assert_null(d.owned_nodes);
		assert_null(d.owned_cluster_name);
		msg_destroy(&d);
		assert_true(msg_equal(&m, &moved));
		msg_destroy(&moved);
	}
}

/* Options that a type does not use are written after its own, in ascending order. */
static void test_foreign_options_follow(void **state)
{
	(void)state;
	struct msg m;
	uint8_t buf[64];

	msg_init(&m, PROTO_MSG_ECHO_REQUEST);
	m.vote = PROTO_VOTE_ACK;
	m.node_id = 2;
	m.seq_number = 1;
	msg_set_present(&m, PROTO_OPT_VOTE);
	msg_set_present(&m, PROTO_OPT_NODE_ID);
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	long n = msg_encode(&m, buf, sizeof(buf));
	const uint8_t expected[] = {0, 8, 0, 0, 0, 21, 0, 0, 0, 4, 0, 0, 0, 1, 0, 9, 0,
				    4, 0, 0, 0, 2, 0, 19, 0, 1, 1};
	assert_int_equal(n, sizeof(expected));
	assert_memory_equal(buf, expected, sizeof(expected));
}

static void test_encode_exact_fit(void **state)
{
	(void)state;
	struct msg m;
	uint8_t buf[1024];

	build_typical(&m, PROTO_MSG_INIT);
	long n = msg_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(msg_encode(&m, buf, (size_t)n), n);
	assert_int_equal(msg_encode(&m, buf, (size_t)n - 1), -1);
}

static void test_encode_refuses_invalid(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct msg m;

	build_typical(&m, PROTO_MSG_VOTE_INFO);
	m.vote = PROTO_VOTE_UNDEFINED;
	assert_int_equal(msg_encode(&m, buf, sizeof(buf)), -1);
	m.vote = 6;
	assert_int_equal(msg_encode(&m, buf, sizeof(buf)), -1);

	build_typical(&m, PROTO_MSG_HEURISTICS_CHANGE);
	m.heuristics = PROTO_HEURISTICS_UNDEFINED;
	assert_int_equal(msg_encode(&m, buf, sizeof(buf)), -1);

	build_typical(&m, PROTO_MSG_INIT);
	m.tie_breaker.mode = 0;
	assert_int_equal(msg_encode(&m, buf, sizeof(buf)), -1);

	build_typical(&m, PROTO_MSG_PREINIT_REPLY);
	m.tls_supported = 3;
	assert_int_equal(msg_encode(&m, buf, sizeof(buf)), -1);

	build_typical(&m, PROTO_MSG_NODE_LIST);
	m.node_list_type = 4;
	assert_int_equal(msg_encode(&m, buf, sizeof(buf)), -1);
	build_typical(&m, PROTO_MSG_NODE_LIST);
	m.quorate = 2;
	assert_int_equal(msg_encode(&m, buf, sizeof(buf)), -1);
	build_typical(&m, PROTO_MSG_SET_OPTION);
	m.kap_tie_breaker = 2;
	assert_int_equal(msg_encode(&m, buf, sizeof(buf)), -1);

	const struct msg_node_info zero_id[] = {{0, 0, 0}};
	build_typical(&m, PROTO_MSG_NODE_LIST);
	m.nodes = zero_id;
	m.node_count = 1;
	assert_int_equal(msg_encode(&m, buf, sizeof(buf)), -1);
	const struct msg_node_info bad_state[] = {{1, 0, 4}};
	m.nodes = bad_state;
	assert_int_equal(msg_encode(&m, buf, sizeof(buf)), -1);

	/* No option at all would be an empty payload. */
	msg_init(&m, PROTO_MSG_ECHO_REQUEST);
	assert_int_equal(msg_encode(&m, buf, sizeof(buf)), -1);
}

static void test_encode_refuses_oversized_option(void **state)
{
	(void)state;
	size_t cap = 70000;
	uint8_t *buf = malloc(cap);
	uint8_t *name = calloc(1, 65536);
	assert_non_null(buf);
	assert_non_null(name);
	struct msg m;

	msg_init(&m, PROTO_MSG_PREINIT);
	m.cluster_name = name;
	m.cluster_name_len = 65535;
	msg_set_present(&m, PROTO_OPT_CLUSTER_NAME);
	assert_int_equal(msg_encode(&m, buf, cap), 6 + 4 + 65535);
	m.cluster_name_len = 65536;
	assert_int_equal(msg_encode(&m, buf, cap), -1);
	free(name);
	free(buf);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(proto_msg_type_str(PROTO_MSG_HEURISTICS_CHANGE_REPLY), "Heuristics change reply");
	assert_string_equal(proto_msg_type_str(18), "Unknown message type");
	assert_string_equal(proto_algorithm_str(PROTO_ALGO_FFSPLIT), "Fifty-Fifty split");
	assert_string_equal(proto_algorithm_str(PROTO_ALGO_2NODELMS), "2 Node LMS");
	assert_string_equal(proto_vote_str(PROTO_VOTE_ASK_LATER), "Ask later");
	assert_string_equal(proto_vote_str(PROTO_VOTE_WAIT_FOR_REPLY), "Wait for reply");
	assert_string_equal(proto_heuristics_str(PROTO_HEURISTICS_UNDEFINED), "Undefined");
	assert_string_equal(proto_node_state_str(PROTO_NODE_STATE_NOT_SET), "not set");
	assert_string_equal(proto_kap_str(PROTO_KAP_TIE_BREAKER_ENABLED), "Enabled");
	assert_true(proto_heuristics_cmp(PROTO_HEURISTICS_PASS, PROTO_HEURISTICS_UNDEFINED) > 0);
	assert_true(proto_heuristics_cmp(PROTO_HEURISTICS_UNDEFINED, PROTO_HEURISTICS_FAIL) > 0);
	assert_true(proto_heuristics_cmp(PROTO_HEURISTICS_FAIL, PROTO_HEURISTICS_FAIL) == 0);
	for (uint16_t t = 0; t < PROTO_MSG_TYPE_COUNT; t++)
		assert_true(proto_msg_type_is_known(t));
	assert_false(proto_msg_type_is_known(PROTO_MSG_TYPE_COUNT));
	assert_true(proto_msg_type_is_server_to_client(PROTO_MSG_VOTE_INFO));
	assert_false(proto_msg_type_is_server_to_client(PROTO_MSG_VOTE_INFO_REPLY));
}

static void test_equality_rules(void **state)
{
	(void)state;
	struct proto_tie_breaker a = {PROTO_TIE_BREAKER_LOWEST, 5}, b = {PROTO_TIE_BREAKER_LOWEST, 9};
	assert_true(proto_tie_breaker_equal(&a, &b));
	a.mode = b.mode = PROTO_TIE_BREAKER_NODE_ID;
	assert_false(proto_tie_breaker_equal(&a, &b));
	struct proto_ring_id r1 = {1, 2}, r2 = {1, 3};
	assert_false(proto_ring_id_equal(&r1, &r2));
	r2.seq = 2;
	assert_true(proto_ring_id_equal(&r1, &r2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_every_type),
		cmocka_unit_test(test_move_takes_ownership),
		cmocka_unit_test(test_foreign_options_follow),
		cmocka_unit_test(test_encode_exact_fit),
		cmocka_unit_test(test_encode_refuses_invalid),
		cmocka_unit_test(test_encode_refuses_oversized_option),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_equality_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Decoder rejection rules (doc/protocol.md §2.3, table 4.1, §4.3) and the edge cases it must accept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "msg.h"
#include "testdata.h"
#include "tlv.h"

/* Builds a message of `type` whose payload is the given hex, with a correct header, and decodes it. */
static int decode_payload(uint16_t type, const char *payload_hex, struct msg *m, struct msg_decode_error *err)
{
	uint8_t *payload;
	long n = testdata_hex_decode(payload_hex, &payload);
	assert_true(n >= 0);
	uint8_t *buf = malloc((size_t)n + PROTO_HEADER_SIZE);
	assert_non_null(buf);
	msg_header_write(buf, type, (uint32_t)n);
	if (n > 0)
		memcpy(buf + PROTO_HEADER_SIZE, payload, (size_t)n);
	int rc = msg_decode(buf, (size_t)n + PROTO_HEADER_SIZE, m, err);
	free(buf);
	free(payload);
	return rc;
}

struct reject_case {
	const char *name;
	uint16_t type;
	const char *payload;
	enum msg_decode_status status;
	uint16_t option;
};

/* seq=5 option, used to check progressive decoding */
#define SEQ5 "00000004 00000005 "

static const struct reject_case reject_cases[] = {
	{"empty payload", PROTO_MSG_ECHO_REQUEST, "", MSG_DECODE_EMPTY_PAYLOAD, 0},
	{"1-byte payload", PROTO_MSG_ECHO_REQUEST, "00", MSG_DECODE_INCONSISTENT, 0},
	{"3-byte payload", PROTO_MSG_ECHO_REQUEST, "000000", MSG_DECODE_INCONSISTENT, 0},
	{"1 trailing byte", PROTO_MSG_ECHO_REQUEST, SEQ5 "00", MSG_DECODE_INCONSISTENT, 0},
	{"2 trailing bytes", PROTO_MSG_ECHO_REQUEST, SEQ5 "0000", MSG_DECODE_INCONSISTENT, 0},
	{"3 trailing bytes", PROTO_MSG_ECHO_REQUEST, SEQ5 "000000", MSG_DECODE_INCONSISTENT, 0},
	{"value past end", PROTO_MSG_PREINIT, SEQ5 "0001 0009 6d79", MSG_DECODE_INCONSISTENT, 0},

	/* Array options must have an even length. */
	{"odd supported messages", PROTO_MSG_INIT, SEQ5 "0004 0003 000100", MSG_DECODE_BAD_OPTION_LENGTH, 4},
	{"odd supported options", PROTO_MSG_INIT, SEQ5 "0005 0001 00", MSG_DECODE_BAD_OPTION_LENGTH, 5},
	{"odd supported algorithms", PROTO_MSG_INIT_REPLY, SEQ5 "000a 0005 0000000100", MSG_DECODE_BAD_OPTION_LENGTH, 10},

	/* Enumerated values outside their range. */
	{"tls supported 3", PROTO_MSG_PREINIT_REPLY, SEQ5 "0002 0001 03", MSG_DECODE_BAD_OPTION_VALUE, 2},
	{"node state 0", PROTO_MSG_NODE_LIST, SEQ5 "0010 0001 00", MSG_DECODE_BAD_OPTION_VALUE, 16},
	{"node state 4", PROTO_MSG_NODE_LIST, SEQ5 "0010 0001 04", MSG_DECODE_BAD_OPTION_VALUE, 16},
	{"node list type 4", PROTO_MSG_NODE_LIST, SEQ5 "0012 0001 04", MSG_DECODE_BAD_OPTION_VALUE, 18},
	{"vote 0", PROTO_MSG_VOTE_INFO, SEQ5 "0013 0001 00", MSG_DECODE_BAD_OPTION_VALUE, 19},
	{"vote 6", PROTO_MSG_VOTE_INFO, SEQ5 "0013 0001 06", MSG_DECODE_BAD_OPTION_VALUE, 19},
	{"quorate 2", PROTO_MSG_NODE_LIST, SEQ5 "0014 0001 02", MSG_DECODE_BAD_OPTION_VALUE, 20},
	{"tie-breaker mode 0", PROTO_MSG_INIT, SEQ5 "0015 0005 0000000000", MSG_DECODE_BAD_OPTION_VALUE, 21},
	{"tie-breaker mode 4", PROTO_MSG_INIT, SEQ5 "0015 0005 0400000001", MSG_DECODE_BAD_OPTION_VALUE, 21},
	{"heuristics 0", PROTO_MSG_HEURISTICS_CHANGE, SEQ5 "0016 0001 00", MSG_DECODE_BAD_OPTION_VALUE, 22},
	{"heuristics 3", PROTO_MSG_HEURISTICS_CHANGE, SEQ5 "0016 0001 03", MSG_DECODE_BAD_OPTION_VALUE, 22},
	{"kap 2", PROTO_MSG_SET_OPTION, SEQ5 "0017 0001 02", MSG_DECODE_BAD_OPTION_VALUE, 23},
	/* Rule 4: options are validated whatever the message type. */
	{"vote 0 inside echo", PROTO_MSG_ECHO_REQUEST, SEQ5 "0013 0001 00", MSG_DECODE_BAD_OPTION_VALUE, 19},

	/* NODE_INFO: nested options, node id mandatory and non-zero. */
	{"empty node info", PROTO_MSG_NODE_LIST, SEQ5 "0011 0000", MSG_DECODE_BAD_NODE_INFO, 17},
	{"node info without node id", PROTO_MSG_NODE_LIST, SEQ5 "0011 0005 0010 0001 01", MSG_DECODE_BAD_NODE_INFO, 17},
	{"node info node id 0", PROTO_MSG_NODE_LIST, SEQ5 "0011 0008 0009 0004 00000000", MSG_DECODE_BAD_NODE_INFO, 17},
	{"node info short node id", PROTO_MSG_NODE_LIST, SEQ5 "0011 0007 0009 0003 000001", MSG_DECODE_BAD_NODE_INFO, 17},
	{"node info short dc id", PROTO_MSG_NODE_LIST,
	 SEQ5 "0011 000f 0009 0004 00000001 000f 0003 000001", MSG_DECODE_BAD_NODE_INFO, 17},
	{"node info state 0", PROTO_MSG_NODE_LIST,
	 SEQ5 "0011 000d 0009 0004 00000001 0010 0001 00", MSG_DECODE_BAD_NODE_INFO, 17},
	{"node info state 4", PROTO_MSG_NODE_LIST,
	 SEQ5 "0011 000d 0009 0004 00000001 0010 0001 04", MSG_DECODE_BAD_NODE_INFO, 17},
	{"node info long state", PROTO_MSG_NODE_LIST,
	 SEQ5 "0011 000e 0009 0004 00000001 0010 0002 0101", MSG_DECODE_BAD_NODE_INFO, 17},
	{"node info trailing byte", PROTO_MSG_NODE_LIST, SEQ5 "0011 0009 0009 0004 00000001 00",
	 MSG_DECODE_BAD_NODE_INFO, 17},
};

static void test_reject_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(reject_cases) / sizeof(reject_cases[0]); i++) {
		const struct reject_case *c = &reject_cases[i];
		struct msg m;
		struct msg_decode_error err;
		print_message("case: %s\n", c->name);
		assert_int_equal(decode_payload(c->type, c->payload, &m, &err), -1);
		assert_int_equal(err.status, c->status);
		assert_int_equal(err.option, c->option);
		assert_int_equal(m.type, c->type);
		/* Progressive decoding: the leading seq option is known despite the failure. */
		if (strncmp(c->payload, SEQ5, strlen(SEQ5)) == 0 && c->status != MSG_DECODE_INCONSISTENT) {
			assert_true(msg_has(&m, PROTO_OPT_MSG_SEQ_NUMBER));
			assert_int_equal(m.seq_number, 5);
		}
		msg_destroy(&m);
	}
}

/* Every fixed-length option refuses one byte less and one byte more. */
static void test_reject_wrong_fixed_lengths(void **state)
{
	(void)state;
	static const struct {
		uint16_t opt;
		uint16_t len;
	} fixed[] = {
		{0, 4}, {2, 1}, {3, 1}, {6, 2}, {7, 4}, {8, 4}, {9, 4}, {11, 2}, {12, 4}, {13, 12},
		{14, 8}, {15, 4}, {16, 1}, {18, 1}, {19, 1}, {20, 1}, {21, 5}, {22, 1}, {23, 1},
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		for (int delta = -1; delta <= 1; delta += 2) {
			if (fixed[i].len + delta < 0)
				continue;
			uint16_t len = (uint16_t)(fixed[i].len + delta);
			uint8_t buf[6 + 4 + 16];
			memset(buf, 1, sizeof(buf)); /* value bytes 01: valid for every enum */
			msg_header_write(buf, PROTO_MSG_ECHO_REQUEST, 4u + len);
			tlv_set_u16(buf + 6, fixed[i].opt);
			tlv_set_u16(buf + 8, len);
			struct msg m;
			struct msg_decode_error err;
			print_message("option %u length %u\n", fixed[i].opt, len);
			assert_int_equal(msg_decode(buf, 10u + len, &m, &err), -1);
			assert_int_equal(err.status, MSG_DECODE_BAD_OPTION_LENGTH);
			assert_int_equal(err.option, fixed[i].opt);
			msg_destroy(&m);
		}
	}
}

static void test_reject_framing(void **state)
{
	(void)state;
	const uint8_t echo[] = {0, 8, 0, 0, 0, 8, 0, 0, 0, 4, 0, 0, 0, 1};
	struct msg m;
	struct msg_decode_error err;

	for (size_t len = 0; len < PROTO_HEADER_SIZE; len++) {
		assert_int_equal(msg_decode(echo, len, &m, &err), -1);
		assert_int_equal(err.status, MSG_DECODE_SHORT_HEADER);
		msg_destroy(&m);
	}
	/* Header says 8 payload bytes; fewer or more given. */
	assert_int_equal(msg_decode(echo, sizeof(echo) - 1, &m, &err), -1);
	assert_int_equal(err.status, MSG_DECODE_LENGTH_MISMATCH);
	msg_destroy(&m);
	uint8_t longer[sizeof(echo) + 4] = {0};
	memcpy(longer, echo, sizeof(echo));
	assert_int_equal(msg_decode(longer, sizeof(longer), &m, &err), -1);
	assert_int_equal(err.status, MSG_DECODE_LENGTH_MISMATCH);
	msg_destroy(&m);
	/* A huge length field must not be trusted. */
	uint8_t huge[sizeof(echo)];
	memcpy(huge, echo, sizeof(echo));
	tlv_set_u32(huge + 2, 0xffffffffu);
	assert_int_equal(msg_decode(huge, sizeof(huge), &m, &err), -1);
	assert_int_equal(err.status, MSG_DECODE_LENGTH_MISMATCH);
	msg_destroy(&m);
}

/* An option after the failing one is not decoded. */
static void test_progressive_stops_at_failure(void **state)
{
	(void)state;
	struct msg m;
	struct msg_decode_error err;

	assert_int_equal(decode_payload(PROTO_MSG_NODE_LIST, "0013 0001 00" SEQ5, &m, &err), -1);
	assert_false(msg_has(&m, PROTO_OPT_MSG_SEQ_NUMBER));
	msg_destroy(&m);
}

static void test_accept_unknown_options(void **state)
{
	(void)state;
	struct msg m;
	struct msg_decode_error err;

	assert_int_equal(decode_payload(PROTO_MSG_ECHO_REQUEST, SEQ5 "0018 0002 ffff ffff 0000", &m, &err), 0);
	assert_int_equal(m.present, 1u << PROTO_OPT_MSG_SEQ_NUMBER);
	assert_int_equal(m.seq_number, 5);
	msg_destroy(&m);
	/* Only unknown options: still a valid (non-empty) payload. */
	assert_int_equal(decode_payload(PROTO_MSG_ECHO_REQUEST, "0100 0000", &m, &err), 0);
	assert_int_equal(m.present, 0);
	msg_destroy(&m);
}

static void test_accept_node_info_edge_cases(void **state)
{
	(void)state;
	struct msg m;
	struct msg_decode_error err;

	/* Unknown and known-top-level sub-options are skipped unchecked (vote 0 inside NODE_INFO). */
	assert_int_equal(decode_payload(PROTO_MSG_NODE_LIST,
					SEQ5 "0011 0015 0013 0001 00 0009 0004 00000007 0063 0004 01020304",
					&m, &err), 0);
	assert_int_equal(m.node_count, 1);
	assert_int_equal(m.nodes[0].node_id, 7);
	assert_int_equal(m.nodes[0].node_state, PROTO_NODE_STATE_NOT_SET);
	msg_destroy(&m);
	/* Duplicated node ids are kept, in wire order. */
	assert_int_equal(decode_payload(PROTO_MSG_NODE_LIST,
					SEQ5 "0011 0008 0009 0004 00000002 0011 0008 0009 0004 00000001"
					     "0011 0008 0009 0004 00000002", &m, &err), 0);
	assert_int_equal(m.node_count, 3);
	assert_int_equal(m.nodes[0].node_id, 2);
	assert_int_equal(m.nodes[1].node_id, 1);
	assert_int_equal(m.nodes[2].node_id, 2);
	msg_destroy(&m);
	/* Data center and state present and valid. */
	assert_int_equal(decode_payload(PROTO_MSG_NODE_LIST,
					SEQ5 "0011 0015 0009 0004 00000003 000f 0004 0000000a 0010 0001 03",
					&m, &err), 0);
	assert_int_equal(m.nodes[0].data_center_id, 10);
	assert_int_equal(m.nodes[0].node_state, PROTO_NODE_STATE_LEAVING);
	msg_destroy(&m);
}

static void test_accept_value_edge_cases(void **state)
{
	(void)state;
	struct msg m;
	struct msg_decode_error err;

	/* Cert-required takes any byte; algorithm and error code are not range-checked. */
	assert_int_equal(decode_payload(PROTO_MSG_INIT, "0003 0001 ff 000b 0002 0063 0006 0002 ffff", &m, &err), 0);
	assert_int_equal(m.tls_client_cert_required, 0xff);
	assert_int_equal(m.algorithm, 99);
	assert_int_equal(m.reply_error_code, 0xffff);
	msg_destroy(&m);
	/* Tie-breaker node id bytes are ignored unless mode is NODE_ID. */
	assert_int_equal(decode_payload(PROTO_MSG_INIT, "0015 0005 02 12345678", &m, &err), 0);
	assert_int_equal(m.tie_breaker.mode, PROTO_TIE_BREAKER_HIGHEST);
	assert_int_equal(m.tie_breaker.node_id, 0);
	msg_destroy(&m);
	assert_int_equal(decode_payload(PROTO_MSG_INIT, "0015 0005 03 12345678", &m, &err), 0);
	assert_int_equal(m.tie_breaker.node_id, 0x12345678);
	msg_destroy(&m);
	/* Empty cluster name and empty arrays are legal. */
	assert_int_equal(decode_payload(PROTO_MSG_PREINIT, "0001 0000 0004 0000", &m, &err), 0);
	assert_true(msg_has(&m, PROTO_OPT_CLUSTER_NAME));
	assert_int_equal(m.cluster_name_len, 0);
	assert_true(msg_has(&m, PROTO_OPT_SUPPORTED_MESSAGES));
	assert_int_equal(m.supported_messages_count, 0);
	msg_destroy(&m);
	/* Top-level data center id and node state are decoded too. */
	assert_int_equal(decode_payload(PROTO_MSG_ECHO_REQUEST, "000f 0004 00000009 0010 0001 02", &m, &err), 0);
	assert_int_equal(m.data_center_id, 9);
	assert_int_equal(m.node_state, PROTO_NODE_STATE_DEAD);
	msg_destroy(&m);
}

static void test_accept_duplicates_last_wins(void **state)
{
	(void)state;
	struct msg m;
	struct msg_decode_error err;

	assert_int_equal(decode_payload(PROTO_MSG_INIT,
					"0000 0004 00000001 0000 0004 00000002"
					"0004 0004 00010002 0004 0002 0009"
					"0001 0002 6162 0001 0001 63",
					&m, &err), 0);
	assert_int_equal(m.seq_number, 2);
	assert_int_equal(m.supported_messages_count, 1);
	assert_int_equal(m.supported_messages[0], 9);
	assert_int_equal(m.cluster_name_len, 1);
	assert_memory_equal(m.cluster_name, "c", 1);
	msg_destroy(&m);
}

static void test_maximum_option_value(void **state)
{
	(void)state;
	/* A cluster name of 65535 bytes, the largest an option can carry. */
	size_t len = 6 + 4 + 65535;
	uint8_t *buf = calloc(1, len);
	assert_non_null(buf);
	msg_header_write(buf, PROTO_MSG_PREINIT, 4 + 65535);
	tlv_set_u16(buf + 6, PROTO_OPT_CLUSTER_NAME);
	tlv_set_u16(buf + 8, 65535);
	memset(buf + 10, 'x', 65535);
	struct msg m;
	struct msg_decode_error err;
	assert_int_equal(msg_decode(buf, len, &m, &err), 0);
	assert_int_equal(m.cluster_name_len, 65535);
	msg_destroy(&m);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reject_table),
		cmocka_unit_test(test_reject_wrong_fixed_lengths),
		cmocka_unit_test(test_reject_framing),
		cmocka_unit_test(test_progressive_stops_at_failure),
		cmocka_unit_test(test_accept_unknown_options),
		cmocka_unit_test(test_accept_node_info_edge_cases),
		cmocka_unit_test(test_accept_value_edge_cases),
		cmocka_unit_test(test_accept_duplicates_last_wins),
		cmocka_unit_test(test_maximum_option_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

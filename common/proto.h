/* Protocol constants of the qnetd/qdevice wire format: message types, options, enums and their names. */
#ifndef QD_PROTO_H
#define QD_PROTO_H

#include <stdbool.h>
#include <stdint.h>

/* Every message starts with a 6-byte header: u16 type, u32 payload length. */
#define PROTO_HEADER_SIZE 6u
/* Every option starts with a 4-byte header: u16 type, u16 value length. */
#define PROTO_OPTION_HEADER_SIZE 4u

/* Default message size limits (header + payload) on both sides. */
#define PROTO_DEFAULT_MAX_MSG_SIZE 32768u
/* qdevice refuses a server whose advertised limits fall outside these. */
#define PROTO_CLIENT_MIN_SERVER_REQUEST_SIZE 32768u
#define PROTO_CLIENT_MAX_SERVER_REPLY_SIZE (16u * 1024u * 1024u)

enum proto_msg_type {
	PROTO_MSG_PREINIT = 0,
	PROTO_MSG_PREINIT_REPLY = 1,
	PROTO_MSG_STARTTLS = 2,
	PROTO_MSG_INIT = 3,
	PROTO_MSG_INIT_REPLY = 4,
	PROTO_MSG_SERVER_ERROR = 5,
	PROTO_MSG_SET_OPTION = 6,
	PROTO_MSG_SET_OPTION_REPLY = 7,
	PROTO_MSG_ECHO_REQUEST = 8,
	PROTO_MSG_ECHO_REPLY = 9,
	PROTO_MSG_NODE_LIST = 10,
	PROTO_MSG_NODE_LIST_REPLY = 11,
	PROTO_MSG_ASK_FOR_VOTE = 12,
	PROTO_MSG_ASK_FOR_VOTE_REPLY = 13,
	PROTO_MSG_VOTE_INFO = 14,
	PROTO_MSG_VOTE_INFO_REPLY = 15,
	PROTO_MSG_HEURISTICS_CHANGE = 16,
	PROTO_MSG_HEURISTICS_CHANGE_REPLY = 17,
};
#define PROTO_MSG_TYPE_COUNT 18u

enum proto_opt {
	PROTO_OPT_MSG_SEQ_NUMBER = 0,
	PROTO_OPT_CLUSTER_NAME = 1,
	PROTO_OPT_TLS_SUPPORTED = 2,
	PROTO_OPT_TLS_CLIENT_CERT_REQUIRED = 3,
	PROTO_OPT_SUPPORTED_MESSAGES = 4,
	PROTO_OPT_SUPPORTED_OPTIONS = 5,
	PROTO_OPT_REPLY_ERROR_CODE = 6,
	PROTO_OPT_SERVER_MAXIMUM_REQUEST_SIZE = 7,
	PROTO_OPT_SERVER_MAXIMUM_REPLY_SIZE = 8,
	PROTO_OPT_NODE_ID = 9,
	PROTO_OPT_SUPPORTED_DECISION_ALGORITHMS = 10,
	PROTO_OPT_DECISION_ALGORITHM = 11,
	PROTO_OPT_HEARTBEAT_INTERVAL = 12,
	PROTO_OPT_RING_ID = 13,
	PROTO_OPT_CONFIG_VERSION = 14,
	PROTO_OPT_DATA_CENTER_ID = 15,
	PROTO_OPT_NODE_STATE = 16,
	PROTO_OPT_NODE_INFO = 17,
	PROTO_OPT_NODE_LIST_TYPE = 18,
	PROTO_OPT_VOTE = 19,
	PROTO_OPT_QUORATE = 20,
	PROTO_OPT_TIE_BREAKER = 21,
	PROTO_OPT_HEURISTICS = 22,
	PROTO_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER = 23,
};
#define PROTO_OPT_COUNT 24u

enum proto_tls_supported {
	PROTO_TLS_UNSUPPORTED = 0,
	PROTO_TLS_SUPPORTED = 1,
	PROTO_TLS_REQUIRED = 2,
};

enum proto_algorithm {
	PROTO_ALGO_TEST = 0,
	PROTO_ALGO_FFSPLIT = 1,
	PROTO_ALGO_2NODELMS = 2,
	PROTO_ALGO_LMS = 3,
};
#define PROTO_ALGO_COUNT 4u

enum proto_node_state {
	PROTO_NODE_STATE_NOT_SET = 0,
	PROTO_NODE_STATE_MEMBER = 1,
	PROTO_NODE_STATE_DEAD = 2,
	PROTO_NODE_STATE_LEAVING = 3,
};

enum proto_node_list_type {
	PROTO_NODE_LIST_INITIAL_CONFIG = 0,
	PROTO_NODE_LIST_CHANGED_CONFIG = 1,
	PROTO_NODE_LIST_MEMBERSHIP = 2,
	PROTO_NODE_LIST_QUORUM = 3,
};

enum proto_vote {
	PROTO_VOTE_UNDEFINED = 0,
	PROTO_VOTE_ACK = 1,
	PROTO_VOTE_NACK = 2,
	PROTO_VOTE_ASK_LATER = 3,
	PROTO_VOTE_WAIT_FOR_REPLY = 4,
	PROTO_VOTE_NO_CHANGE = 5,
};

enum proto_quorate {
	PROTO_INQUORATE = 0,
	PROTO_QUORATE = 1,
};

enum proto_heuristics {
	PROTO_HEURISTICS_UNDEFINED = 0,
	PROTO_HEURISTICS_PASS = 1,
	PROTO_HEURISTICS_FAIL = 2,
};

enum proto_kap_tie_breaker {
	PROTO_KAP_TIE_BREAKER_DISABLED = 0,
	PROTO_KAP_TIE_BREAKER_ENABLED = 1,
};

enum proto_tie_breaker_mode {
	PROTO_TIE_BREAKER_LOWEST = 1,
	PROTO_TIE_BREAKER_HIGHEST = 2,
	PROTO_TIE_BREAKER_NODE_ID = 3,
};

enum proto_reply_error {
	PROTO_ERR_NO_ERROR = 0,
	PROTO_ERR_UNSUPPORTED_NEEDED_MESSAGE = 1,
	PROTO_ERR_UNSUPPORTED_NEEDED_OPTION = 2,
	PROTO_ERR_TLS_REQUIRED = 3,
	PROTO_ERR_UNSUPPORTED_MESSAGE = 4,
	PROTO_ERR_MESSAGE_TOO_LONG = 5,
	PROTO_ERR_PREINIT_REQUIRED = 6,
	PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION = 7,
	PROTO_ERR_UNEXPECTED_MESSAGE = 8,
	PROTO_ERR_ERROR_DECODING_MSG = 9,
	PROTO_ERR_INTERNAL_ERROR = 10,
	PROTO_ERR_INIT_REQUIRED = 11,
	PROTO_ERR_UNSUPPORTED_DECISION_ALGORITHM = 12,
	PROTO_ERR_INVALID_HEARTBEAT_INTERVAL = 13,
	PROTO_ERR_UNSUPPORTED_DECISION_ALGORITHM_MESSAGE = 14,
	PROTO_ERR_TIE_BREAKER_DIFFERS_FROM_OTHER_NODES = 15,
	PROTO_ERR_ALGORITHM_DIFFERS_FROM_OTHER_NODES = 16,
	PROTO_ERR_DUPLICATE_NODE_ID = 17,
	PROTO_ERR_INVALID_CONFIG_NODE_LIST = 18,
	PROTO_ERR_INVALID_MEMBERSHIP_NODE_LIST = 19,
};

/* A corosync ring id: representative node id and ring sequence. */
struct proto_ring_id {
	uint32_t node_id;
	uint64_t seq;
};

/* Tie-breaker; node_id is meaningful only in PROTO_TIE_BREAKER_NODE_ID mode. */
struct proto_tie_breaker {
	uint8_t mode;
	uint32_t node_id;
};

/* Display strings as printed by the upstream tools and logs. */
const char *proto_msg_type_str(uint16_t type);
const char *proto_algorithm_str(uint16_t algo);
const char *proto_node_state_str(uint8_t state);
const char *proto_vote_str(uint8_t vote);
const char *proto_heuristics_str(uint8_t heuristics);
/*
 * Stable lower-case identifiers for machine-readable output (JSON, metric labels; doc/status-json.md):
 * "test", "ffsplit", "2nodelms", "lms"; "undefined", "ack", "nack", "ask_later", "wait_for_reply",
 * "no_change"; "undefined", "pass", "fail". "unknown" for anything else.
 */
const char *proto_algorithm_id(uint16_t algo);
const char *proto_vote_id(uint8_t vote);
const char *proto_heuristics_id(uint8_t heuristics);
const char *proto_kap_str(uint8_t kap);
const char *proto_reply_error_str(uint16_t code);

bool proto_msg_type_is_known(uint16_t type);
/* True for the types a server sends and a client receives. */
bool proto_msg_type_is_server_to_client(uint16_t type);

bool proto_ring_id_equal(const struct proto_ring_id *a, const struct proto_ring_id *b);
bool proto_tie_breaker_equal(const struct proto_tie_breaker *a, const struct proto_tie_breaker *b);
/* PASS > UNDEFINED > FAIL; returns <0, 0, >0 like strcmp. */
int proto_heuristics_cmp(uint8_t a, uint8_t b);

#endif

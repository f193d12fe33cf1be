/* Names and small predicates over the protocol constants. */
#include "proto.h"

#include <stddef.h>

static const char *const msg_type_names[PROTO_MSG_TYPE_COUNT] = {
	"Preinit",           "Preinit reply",      "StartTLS",
	"Init",              "Init reply",         "Server error",
	"Set option",        "Set option reply",   "Echo request",
	"Echo reply",        "Node list",          "Node list reply",
	"Ask for vote",      "Ask for vote reply", "Vote info",
	"Vote info reply",   "Heuristics change",  "Heuristics change reply",
};

const char *proto_msg_type_str(uint16_t type)
{
	return type < PROTO_MSG_TYPE_COUNT ? msg_type_names[type] : "Unknown message type";
}

const char *proto_algorithm_str(uint16_t algo)
{
	switch (algo) {
	case PROTO_ALGO_TEST: return "Test";
	case PROTO_ALGO_FFSPLIT: return "Fifty-Fifty split";
	case PROTO_ALGO_2NODELMS: return "2 Node LMS";
	case PROTO_ALGO_LMS: return "LMS";
	}
	return "Unknown algorithm";
}

const char *proto_algorithm_id(uint16_t algo)
{
	switch (algo) {
	case PROTO_ALGO_TEST: return "test";
	case PROTO_ALGO_FFSPLIT: return "ffsplit";
	case PROTO_ALGO_2NODELMS: return "2nodelms";
	case PROTO_ALGO_LMS: return "lms";
	}
	return "unknown";
}

const char *proto_vote_id(uint8_t vote)
{
	switch (vote) {
	case PROTO_VOTE_UNDEFINED: return "undefined";
	case PROTO_VOTE_ACK: return "ack";
	case PROTO_VOTE_NACK: return "nack";
	case PROTO_VOTE_ASK_LATER: return "ask_later";
	case PROTO_VOTE_WAIT_FOR_REPLY: return "wait_for_reply";
	case PROTO_VOTE_NO_CHANGE: return "no_change";
	}
	return "unknown";
}

const char *proto_heuristics_id(uint8_t heuristics)
{
	switch (heuristics) {
	case PROTO_HEURISTICS_UNDEFINED: return "undefined";
	case PROTO_HEURISTICS_PASS: return "pass";
	case PROTO_HEURISTICS_FAIL: return "fail";
	}
	return "unknown";
}

const char *proto_node_state_str(uint8_t state)
{
	switch (state) {
	case PROTO_NODE_STATE_NOT_SET: return "not set";
	case PROTO_NODE_STATE_MEMBER: return "member";
	case PROTO_NODE_STATE_DEAD: return "dead";
	case PROTO_NODE_STATE_LEAVING: return "leaving";
	}
	return "unknown";
}

const char *proto_vote_str(uint8_t vote)
{
	switch (vote) {
	case PROTO_VOTE_UNDEFINED: return "Undefined";
	case PROTO_VOTE_ACK: return "ACK";
	case PROTO_VOTE_NACK: return "NACK";
	case PROTO_VOTE_ASK_LATER: return "Ask later";
	case PROTO_VOTE_WAIT_FOR_REPLY: return "Wait for reply";
	case PROTO_VOTE_NO_CHANGE: return "No change";
	}
	return "Unknown vote";
}

const char *proto_heuristics_str(uint8_t heuristics)
{
	switch (heuristics) {
	case PROTO_HEURISTICS_UNDEFINED: return "Undefined";
	case PROTO_HEURISTICS_PASS: return "Pass";
	case PROTO_HEURISTICS_FAIL: return "Fail";
	}
	return "Unknown heuristics";
}

const char *proto_kap_str(uint8_t kap)
{
	switch (kap) {
	case PROTO_KAP_TIE_BREAKER_DISABLED: return "Disabled";
	case PROTO_KAP_TIE_BREAKER_ENABLED: return "Enabled";
	}
	return "Unknown";
}

static const char *const reply_error_names[] = {
	"no error",
	"unsupported needed message",
	"unsupported needed option",
	"TLS required",
	"unsupported message",
	"message too long",
	"preinit required",
	"doesn't contain required option",
	"unexpected message",
	"error decoding message",
	"internal error",
	"init required",
	"unsupported decision algorithm",
	"invalid heartbeat interval",
	"unsupported decision algorithm message",
	"tie-breaker differs from other nodes",
	"algorithm differs from other nodes",
	"duplicate node id",
	"invalid config node list",
	"invalid membership node list",
};

const char *proto_reply_error_str(uint16_t code)
{
	if (code < sizeof(reply_error_names) / sizeof(reply_error_names[0]))
		return reply_error_names[code];
	return "unknown error";
}

bool proto_msg_type_is_known(uint16_t type)
{
	return type < PROTO_MSG_TYPE_COUNT;
}

bool proto_msg_type_is_server_to_client(uint16_t type)
{
	switch (type) {
	case PROTO_MSG_PREINIT_REPLY:
	case PROTO_MSG_INIT_REPLY:
	case PROTO_MSG_SERVER_ERROR:
	case PROTO_MSG_SET_OPTION_REPLY:
	case PROTO_MSG_ECHO_REPLY:
	case PROTO_MSG_NODE_LIST_REPLY:
	case PROTO_MSG_ASK_FOR_VOTE_REPLY:
	case PROTO_MSG_VOTE_INFO:
	case PROTO_MSG_HEURISTICS_CHANGE_REPLY:
		return true;
	}
	return false;
}

bool proto_ring_id_equal(const struct proto_ring_id *a, const struct proto_ring_id *b)
{
	return a->node_id == b->node_id && a->seq == b->seq;
}

bool proto_tie_breaker_equal(const struct proto_tie_breaker *a, const struct proto_tie_breaker *b)
{
	if (a->mode != b->mode)
		return false;
	return a->mode != PROTO_TIE_BREAKER_NODE_ID || a->node_id == b->node_id;
}

/* Rank so that PASS > UNDEFINED > FAIL. */
static int heuristics_rank(uint8_t h)
{
	switch (h) {
	case PROTO_HEURISTICS_PASS: return 2;
	case PROTO_HEURISTICS_FAIL: return 0;
	}
	return 1;
}

int proto_heuristics_cmp(uint8_t a, uint8_t b)
{
	return heuristics_rank(a) - heuristics_rank(b);
}

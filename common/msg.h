/* Message codec: whole messages to and from a plain struct, with every validation rule of the protocol. */
#ifndef QD_MSG_H
#define QD_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct msg_header {
	uint16_t type;
	uint32_t length; /* payload bytes after the 6-byte header */
};

/* One entry of a node list (option 17); node_id is never 0. */
struct msg_node_info {
	uint32_t node_id;
	uint32_t data_center_id;         /* 0 = not set */
	uint8_t node_state;              /* enum proto_node_state, NOT_SET = absent */
};

/*
 * A message: its type plus every option it carries. An option's field is
 * meaningful only when msg_has() says it is present. Pointer fields either
 * point at caller memory (messages built for encoding) or at memory owned
 * by the struct after msg_decode(); msg_destroy() frees only the latter.
 */
struct msg {
	uint16_t type;
	uint32_t present; /* bit n set = option n present */

	uint32_t seq_number;
	const uint8_t *cluster_name; /* not NUL-terminated; may hold any byte */
	size_t cluster_name_len;
	uint8_t tls_supported;
	uint8_t tls_client_cert_required;
	const uint16_t *supported_messages;
	size_t supported_messages_count;
	const uint16_t *supported_options;
	size_t supported_options_count;
	uint16_t reply_error_code;
	uint32_t server_max_request_size;
	uint32_t server_max_reply_size;
	uint32_t node_id;
	const uint16_t *supported_algorithms;
	size_t supported_algorithms_count;
	uint16_t algorithm;
	uint32_t heartbeat_interval;
	struct proto_ring_id ring_id;
	uint64_t config_version;
	uint32_t data_center_id;
	uint8_t node_state;
	const struct msg_node_info *nodes; /* option 17, one entry per occurrence, wire order */
	size_t node_count;
	uint8_t node_list_type;
	uint8_t vote;
	uint8_t quorate;
	struct proto_tie_breaker tie_breaker;
	uint8_t heuristics;
	uint8_t kap_tie_breaker;

	/* Allocations made by msg_decode(); freed by msg_destroy(). */
	void *owned_cluster_name;
	void *owned_arrays[3];
	void *owned_nodes;
	size_t nodes_capacity;
};

enum msg_decode_status {
	MSG_DECODE_OK = 0,
	MSG_DECODE_SHORT_HEADER,        /* fewer than 6 bytes */
	MSG_DECODE_LENGTH_MISMATCH,     /* header length field != bytes given after the header */
	MSG_DECODE_EMPTY_PAYLOAD,       /* no option at all */
	MSG_DECODE_INCONSISTENT,        /* options do not tile the payload exactly */
	MSG_DECODE_BAD_OPTION_LENGTH,   /* a known option has the wrong value length */
	MSG_DECODE_BAD_OPTION_VALUE,    /* a known option has an out-of-range value */
	MSG_DECODE_BAD_NODE_INFO,       /* a NODE_INFO value is inconsistent or lacks a node id */
	MSG_DECODE_NO_MEMORY,
};

struct msg_decode_error {
	enum msg_decode_status status;
	uint16_t option;   /* the option being decoded when it failed */
};

/* Initialises an empty message of the given type (for building one to encode). */
void msg_init(struct msg *m, uint16_t type);
/* Frees what msg_decode() allocated; the struct may be reused after msg_init(). */
void msg_destroy(struct msg *m);
/*
 * Moves a message: *dst becomes *src and takes over what src owned; src is left owning nothing
 * (its msg_destroy() frees nothing, and its pointer fields must not be used any more).
 */
void msg_move(struct msg *dst, struct msg *src);

bool msg_has(const struct msg *m, enum proto_opt opt);
void msg_set_present(struct msg *m, enum proto_opt opt);

/* Reads the 6-byte header at buf (the caller guarantees 6 bytes). */
void msg_header_parse(const uint8_t *buf, struct msg_header *h);
void msg_header_write(uint8_t *buf, uint16_t type, uint32_t length);

/*
 * Decodes one whole message (header + payload) of exactly len bytes into *m,
 * which must not hold a previous decode. Returns 0, or -1 with *err filled; on
 * failure *m keeps what was decoded before the bad option (notably the
 * sequence number), so the caller can still answer with it. In both cases the
 * caller calls msg_destroy(). Allocation is bounded by len.
 */
int msg_decode(const uint8_t *buf, size_t len, struct msg *m, struct msg_decode_error *err);

/*
 * Encodes *m into buf (capacity cap) in the option order upstream uses for the
 * message's type; options present but not used by that type follow in
 * ascending option order. Returns the total size, or -1 when the message does
 * not fit, an option value is too long, or a value is one the decoder would
 * refuse (so anything encoded decodes).
 */
long msg_encode(const struct msg *m, uint8_t *buf, size_t cap);

/* Field-by-field equality over present options. */
bool msg_equal(const struct msg *a, const struct msg *b);

const char *msg_decode_status_str(enum msg_decode_status status);
const char *msg_option_str(uint16_t opt);

#endif

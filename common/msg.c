/* Message codec: decoding with all validity rules (doc/protocol.md §2.3, §4.1), encoding in upstream's order. */
#include "msg.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tlv.h"

/* Smallest NODE_INFO on the wire: its header plus a node-id sub-option. */
#define NODE_INFO_MIN_WIRE_SIZE (4u + 8u)

enum { OWNED_SUPPORTED_MESSAGES, OWNED_SUPPORTED_OPTIONS, OWNED_SUPPORTED_ALGORITHMS };

void msg_init(struct msg *m, uint16_t type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
}

void msg_destroy(struct msg *m)
{
	free(m->owned_cluster_name);
	for (size_t i = 0; i < 3; i++)
		free(m->owned_arrays[i]);
	free(m->owned_nodes);
	m->owned_cluster_name = NULL;
	memset(m->owned_arrays, 0, sizeof(m->owned_arrays));
	m->owned_nodes = NULL;
	m->nodes_capacity = 0;
}

void msg_move(struct msg *dst, struct msg *src)
{
	*dst = *src;
	src->owned_cluster_name = NULL;
	memset(src->owned_arrays, 0, sizeof(src->owned_arrays));
	src->owned_nodes = NULL;
	src->nodes_capacity = 0;
}

bool msg_has(const struct msg *m, enum proto_opt opt)
{
	return (unsigned)opt < PROTO_OPT_COUNT && (m->present & (UINT32_C(1) << opt)) != 0;
}

void msg_set_present(struct msg *m, enum proto_opt opt)
{
	if ((unsigned)opt < PROTO_OPT_COUNT)
		m->present |= UINT32_C(1) << opt;
}

void msg_header_parse(const uint8_t *buf, struct msg_header *h)
{
	h->type = tlv_get_u16(buf);
	h->length = tlv_get_u32(buf + 2);
}

void msg_header_write(uint8_t *buf, uint16_t type, uint32_t length)
{
	tlv_set_u16(buf, type);
	tlv_set_u32(buf + 2, length);
}

/* Value checks shared by the decoder (on wire bytes) and the encoder (on struct fields). */
static bool valid_tls_supported(uint8_t v) { return v <= PROTO_TLS_REQUIRED; }
static bool valid_node_state(uint8_t v) { return v >= PROTO_NODE_STATE_MEMBER && v <= PROTO_NODE_STATE_LEAVING; }
static bool valid_node_list_type(uint8_t v) { return v <= PROTO_NODE_LIST_QUORUM; }
static bool valid_vote(uint8_t v) { return v >= PROTO_VOTE_ACK && v <= PROTO_VOTE_NO_CHANGE; }
static bool valid_quorate(uint8_t v) { return v <= PROTO_QUORATE; }
static bool valid_tie_breaker_mode(uint8_t v) { return v >= PROTO_TIE_BREAKER_LOWEST && v <= PROTO_TIE_BREAKER_NODE_ID; }
static bool valid_heuristics(uint8_t v) { return v == PROTO_HEURISTICS_PASS || v == PROTO_HEURISTICS_FAIL; }
static bool valid_kap(uint8_t v) { return v <= PROTO_KAP_TIE_BREAKER_ENABLED; }

/* Fixed value length of each scalar option; 0 = variable (checked separately). */
static const uint8_t option_fixed_len[PROTO_OPT_COUNT] = {
	[PROTO_OPT_MSG_SEQ_NUMBER] = 4,
	[PROTO_OPT_TLS_SUPPORTED] = 1,
	[PROTO_OPT_TLS_CLIENT_CERT_REQUIRED] = 1,
	[PROTO_OPT_REPLY_ERROR_CODE] = 2,
	[PROTO_OPT_SERVER_MAXIMUM_REQUEST_SIZE] = 4,
	[PROTO_OPT_SERVER_MAXIMUM_REPLY_SIZE] = 4,
	[PROTO_OPT_NODE_ID] = 4,
	[PROTO_OPT_DECISION_ALGORITHM] = 2,
	[PROTO_OPT_HEARTBEAT_INTERVAL] = 4,
	[PROTO_OPT_RING_ID] = 12,
	[PROTO_OPT_CONFIG_VERSION] = 8,
	[PROTO_OPT_DATA_CENTER_ID] = 4,
	[PROTO_OPT_NODE_STATE] = 1,
	[PROTO_OPT_NODE_LIST_TYPE] = 1,
	[PROTO_OPT_VOTE] = 1,
	[PROTO_OPT_QUORATE] = 1,
	[PROTO_OPT_TIE_BREAKER] = 5,
	[PROTO_OPT_HEURISTICS] = 1,
	[PROTO_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER] = 1,
};

static int fail(struct msg_decode_error *err, enum msg_decode_status status, uint16_t option)
{
	err->status = status;
	err->option = option;
	return -1;
}

/* Replaces one of the owned u16 arrays with the option's values (last occurrence wins). */
static int decode_u16_array(const struct tlv_option *o, void **owned, const uint16_t **out, size_t *count)
{
	size_t n = o->len / 2u;
	uint16_t *values = NULL;

	if (n > 0) {
		values = malloc(n * sizeof(*values));
		if (values == NULL)
			return -1;
		for (size_t i = 0; i < n; i++)
			values[i] = tlv_get_u16(o->value + 2 * i);
	}
	free(*owned);
	*owned = values;
	*out = values;
	*count = n;
	return 0;
}

/* Decodes a NODE_INFO value (nested options) into *ni. */
static enum msg_decode_status decode_node_info(const struct tlv_option *o, struct msg_node_info *ni)
{
	struct tlv_iter it;
	struct tlv_option sub;
	bool have_node_id = false;
	int r;

	memset(ni, 0, sizeof(*ni));
	if (o->len == 0)
		return MSG_DECODE_BAD_NODE_INFO;
	tlv_iter_init(&it, o->value, o->len);
	while ((r = tlv_iter_next(&it, &sub)) == 1) {
		switch (sub.type) {
		case PROTO_OPT_NODE_ID:
			if (sub.len != 4)
				return MSG_DECODE_BAD_NODE_INFO;
			ni->node_id = tlv_get_u32(sub.value);
			have_node_id = true;
			break;
		case PROTO_OPT_DATA_CENTER_ID:
			if (sub.len != 4)
				return MSG_DECODE_BAD_NODE_INFO;
			ni->data_center_id = tlv_get_u32(sub.value);
			break;
		case PROTO_OPT_NODE_STATE:
			if (sub.len != 1 || !valid_node_state(sub.value[0]))
				return MSG_DECODE_BAD_NODE_INFO;
			ni->node_state = sub.value[0];
			break;
		default:
			/* Any other sub-option, even a known top-level one, is skipped unchecked. */
			break;
		}
	}
	if (r < 0 || !have_node_id || ni->node_id == 0)
		return MSG_DECODE_BAD_NODE_INFO;
	return MSG_DECODE_OK;
}

static int append_node(struct msg *m, const struct msg_node_info *ni)
{
	if (m->node_count == m->nodes_capacity) {
		size_t cap = m->nodes_capacity == 0 ? 8 : m->nodes_capacity * 2;
		struct msg_node_info *grown = realloc(m->owned_nodes, cap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		m->owned_nodes = grown;
		m->nodes_capacity = cap;
		m->nodes = grown;
	}
	((struct msg_node_info *)m->owned_nodes)[m->node_count++] = *ni;
	return 0;
}

/* Decodes one top-level option into *m. */
/* Options the message must own a copy of: the cluster name, the three arrays, node info entries. */
static int decode_owned_option(struct msg *m, const struct tlv_option *o, struct msg_decode_error *err)
{
	int r = 0;

	switch ((enum proto_opt)o->type) {
	case PROTO_OPT_CLUSTER_NAME: {
		uint8_t *name = malloc((size_t)o->len + 1);
		if (name == NULL)
			return fail(err, MSG_DECODE_NO_MEMORY, o->type);
		memcpy(name, o->value, o->len);
		name[o->len] = '\0';
		free(m->owned_cluster_name);
		m->owned_cluster_name = name;
		m->cluster_name = name;
		m->cluster_name_len = o->len;
		return 0;
	}
	case PROTO_OPT_NODE_INFO: {
		struct msg_node_info ni;
		if (decode_node_info(o, &ni) != MSG_DECODE_OK)
			return fail(err, MSG_DECODE_BAD_NODE_INFO, o->type);
		if (append_node(m, &ni) != 0)
			return fail(err, MSG_DECODE_NO_MEMORY, o->type);
		return 0;
	}
	case PROTO_OPT_SUPPORTED_MESSAGES:
		r = decode_u16_array(o, &m->owned_arrays[OWNED_SUPPORTED_MESSAGES], &m->supported_messages,
				     &m->supported_messages_count);
		break;
	case PROTO_OPT_SUPPORTED_OPTIONS:
		r = decode_u16_array(o, &m->owned_arrays[OWNED_SUPPORTED_OPTIONS], &m->supported_options,
				     &m->supported_options_count);
		break;
	default:
		r = decode_u16_array(o, &m->owned_arrays[OWNED_SUPPORTED_ALGORITHMS], &m->supported_algorithms,
				     &m->supported_algorithms_count);
		break;
	}
	return r != 0 ? fail(err, MSG_DECODE_NO_MEMORY, o->type) : 0;
}

/* One-byte options with a closed set of values (and the tie-breaker, whose first byte is one). */
static int decode_enum_option(struct msg *m, const struct tlv_option *o, struct msg_decode_error *err)
{
	uint8_t b = o->value[0];
	bool ok;

	switch ((enum proto_opt)o->type) {
	case PROTO_OPT_TLS_SUPPORTED: ok = valid_tls_supported(b); m->tls_supported = b; break;
	case PROTO_OPT_NODE_STATE: ok = valid_node_state(b); m->node_state = b; break;
	case PROTO_OPT_NODE_LIST_TYPE: ok = valid_node_list_type(b); m->node_list_type = b; break;
	case PROTO_OPT_VOTE: ok = valid_vote(b); m->vote = b; break;
	case PROTO_OPT_QUORATE: ok = valid_quorate(b); m->quorate = b; break;
	case PROTO_OPT_HEURISTICS: ok = valid_heuristics(b); m->heuristics = b; break;
	case PROTO_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER: ok = valid_kap(b); m->kap_tie_breaker = b; break;
	default: /* PROTO_OPT_TIE_BREAKER */
		ok = valid_tie_breaker_mode(b);
		m->tie_breaker.mode = b;
		/* The node id bytes only mean something in node-id mode. */
		m->tie_breaker.node_id = b == PROTO_TIE_BREAKER_NODE_ID ? tlv_get_u32(o->value + 1) : 0;
		break;
	}
	return ok ? 0 : fail(err, MSG_DECODE_BAD_OPTION_VALUE, o->type);
}

static int decode_option(struct msg *m, const struct tlv_option *o, struct msg_decode_error *err)
{
	const uint8_t *v = o->value;
	int r = 0;

	if (o->type >= PROTO_OPT_COUNT)
		return 0; /* unknown options are skipped for forward compatibility */

	uint8_t fixed = option_fixed_len[o->type];
	if (fixed != 0 && o->len != fixed)
		return fail(err, MSG_DECODE_BAD_OPTION_LENGTH, o->type);

	switch ((enum proto_opt)o->type) {
	case PROTO_OPT_CLUSTER_NAME:
	case PROTO_OPT_NODE_INFO:
		r = decode_owned_option(m, o, err);
		break;
	case PROTO_OPT_SUPPORTED_MESSAGES:
	case PROTO_OPT_SUPPORTED_OPTIONS:
	case PROTO_OPT_SUPPORTED_DECISION_ALGORITHMS:
		if (o->len % 2 != 0)
			return fail(err, MSG_DECODE_BAD_OPTION_LENGTH, o->type);
		r = decode_owned_option(m, o, err);
		break;
	case PROTO_OPT_TLS_SUPPORTED:
	case PROTO_OPT_NODE_STATE:
	case PROTO_OPT_NODE_LIST_TYPE:
	case PROTO_OPT_VOTE:
	case PROTO_OPT_QUORATE:
	case PROTO_OPT_TIE_BREAKER:
	case PROTO_OPT_HEURISTICS:
	case PROTO_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER:
		r = decode_enum_option(m, o, err);
		break;
	case PROTO_OPT_TLS_CLIENT_CERT_REQUIRED:
		m->tls_client_cert_required = v[0];
		break;
	case PROTO_OPT_MSG_SEQ_NUMBER:
		m->seq_number = tlv_get_u32(v);
		break;
	case PROTO_OPT_REPLY_ERROR_CODE:
		m->reply_error_code = tlv_get_u16(v);
		break;
	case PROTO_OPT_SERVER_MAXIMUM_REQUEST_SIZE:
		m->server_max_request_size = tlv_get_u32(v);
		break;
	case PROTO_OPT_SERVER_MAXIMUM_REPLY_SIZE:
		m->server_max_reply_size = tlv_get_u32(v);
		break;
	case PROTO_OPT_NODE_ID:
		m->node_id = tlv_get_u32(v);
		break;
	case PROTO_OPT_DECISION_ALGORITHM:
		m->algorithm = tlv_get_u16(v); /* range is the INIT handler's business */
		break;
	case PROTO_OPT_HEARTBEAT_INTERVAL:
		m->heartbeat_interval = tlv_get_u32(v);
		break;
	case PROTO_OPT_RING_ID:
		m->ring_id.node_id = tlv_get_u32(v);
		m->ring_id.seq = tlv_get_u64(v + 4);
		break;
	case PROTO_OPT_CONFIG_VERSION:
		m->config_version = tlv_get_u64(v);
		break;
	case PROTO_OPT_DATA_CENTER_ID:
		m->data_center_id = tlv_get_u32(v);
		break;
	}
	if (r != 0)
		return r;
	msg_set_present(m, (enum proto_opt)o->type);
	return 0;
}

int msg_decode(const uint8_t *buf, size_t len, struct msg *m, struct msg_decode_error *err)
{
	struct msg_header h;
	struct tlv_iter it;
	struct tlv_option o;
	int r;

	msg_init(m, 0);
	err->status = MSG_DECODE_OK;
	err->option = 0;
	if (len < PROTO_HEADER_SIZE)
		return fail(err, MSG_DECODE_SHORT_HEADER, 0);
	msg_header_parse(buf, &h);
	m->type = h.type;
	if ((uint64_t)h.length != (uint64_t)(len - PROTO_HEADER_SIZE))
		return fail(err, MSG_DECODE_LENGTH_MISMATCH, 0);
	/* Upstream's iterator always expects a first option, so an empty payload is an error. */
	if (h.length == 0)
		return fail(err, MSG_DECODE_EMPTY_PAYLOAD, 0);

	tlv_iter_init(&it, buf + PROTO_HEADER_SIZE, h.length);
	while ((r = tlv_iter_next(&it, &o)) == 1) {
		if (decode_option(m, &o, err) != 0)
			return -1;
	}
	if (r < 0)
		return fail(err, MSG_DECODE_INCONSISTENT, 0);
	return 0;
}

/* Option order upstream writes, per message type (the wire orders of doc/protocol.md §6). */
static const uint8_t order_preinit[] = {0, 1};
static const uint8_t order_preinit_reply[] = {0, 2, 3};
static const uint8_t order_init[] = {0, 4, 5, 9, 11, 12, 21, 13};
static const uint8_t order_init_reply[] = {6, 4, 5, 0, 7, 8, 10};
static const uint8_t order_server_error[] = {0, 6};
static const uint8_t order_set_option[] = {0, 12, 23};
static const uint8_t order_node_list[] = {0, 18, 13, 14, 20, 17, 22};
static const uint8_t order_node_list_reply[] = {0, 18, 13, 19};
static const uint8_t order_vote_reply[] = {0, 19, 13};
static const uint8_t order_heuristics_change[] = {0, 22};
static const uint8_t order_heuristics_change_reply[] = {0, 19, 13, 22};
static const uint8_t order_seq_only[] = {0};

struct option_order {
	const uint8_t *opts;
	size_t count;
};

#define ORDER(a) { a, sizeof(a) }

static struct option_order order_for_type(uint16_t type)
{
	static const struct option_order orders[PROTO_MSG_TYPE_COUNT] = {
		[PROTO_MSG_PREINIT] = ORDER(order_preinit),
		[PROTO_MSG_PREINIT_REPLY] = ORDER(order_preinit_reply),
		[PROTO_MSG_STARTTLS] = ORDER(order_seq_only),
		[PROTO_MSG_INIT] = ORDER(order_init),
		[PROTO_MSG_INIT_REPLY] = ORDER(order_init_reply),
		[PROTO_MSG_SERVER_ERROR] = ORDER(order_server_error),
		[PROTO_MSG_SET_OPTION] = ORDER(order_set_option),
		[PROTO_MSG_SET_OPTION_REPLY] = ORDER(order_set_option),
		[PROTO_MSG_ECHO_REQUEST] = ORDER(order_seq_only),
		[PROTO_MSG_ECHO_REPLY] = ORDER(order_seq_only),
		[PROTO_MSG_NODE_LIST] = ORDER(order_node_list),
		[PROTO_MSG_NODE_LIST_REPLY] = ORDER(order_node_list_reply),
		[PROTO_MSG_ASK_FOR_VOTE] = ORDER(order_seq_only),
		[PROTO_MSG_ASK_FOR_VOTE_REPLY] = ORDER(order_vote_reply),
		[PROTO_MSG_VOTE_INFO] = ORDER(order_vote_reply),
		[PROTO_MSG_VOTE_INFO_REPLY] = ORDER(order_seq_only),
		[PROTO_MSG_HEURISTICS_CHANGE] = ORDER(order_heuristics_change),
		[PROTO_MSG_HEURISTICS_CHANGE_REPLY] = ORDER(order_heuristics_change_reply),
	};
	if (type < PROTO_MSG_TYPE_COUNT)
		return orders[type];
	return (struct option_order){order_seq_only, 0};
}

/* True when every present value is one the decoder accepts. */
static bool msg_values_valid(const struct msg *m)
{
	if (msg_has(m, PROTO_OPT_TLS_SUPPORTED) && !valid_tls_supported(m->tls_supported))
		return false;
	if (msg_has(m, PROTO_OPT_NODE_STATE) && !valid_node_state(m->node_state))
		return false;
	if (msg_has(m, PROTO_OPT_NODE_LIST_TYPE) && !valid_node_list_type(m->node_list_type))
		return false;
	if (msg_has(m, PROTO_OPT_VOTE) && !valid_vote(m->vote))
		return false;
	if (msg_has(m, PROTO_OPT_QUORATE) && !valid_quorate(m->quorate))
		return false;
	if (msg_has(m, PROTO_OPT_TIE_BREAKER) && !valid_tie_breaker_mode(m->tie_breaker.mode))
		return false;
	if (msg_has(m, PROTO_OPT_HEURISTICS) && !valid_heuristics(m->heuristics))
		return false;
	if (msg_has(m, PROTO_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER) && !valid_kap(m->kap_tie_breaker))
		return false;
	if (msg_has(m, PROTO_OPT_NODE_INFO)) {
		for (size_t i = 0; i < m->node_count; i++) {
			const struct msg_node_info *ni = &m->nodes[i];
			if (ni->node_id == 0)
				return false;
			if (ni->node_state != PROTO_NODE_STATE_NOT_SET && !valid_node_state(ni->node_state))
				return false;
		}
	}
	return true;
}

static void encode_node_info(struct tlv_writer *w, const struct msg_node_info *ni)
{
	size_t h = tlv_put_open(w, PROTO_OPT_NODE_INFO);
	tlv_put_u32(w, PROTO_OPT_NODE_ID, ni->node_id);
	if (ni->data_center_id != 0)
		tlv_put_u32(w, PROTO_OPT_DATA_CENTER_ID, ni->data_center_id);
	if (ni->node_state != PROTO_NODE_STATE_NOT_SET)
		tlv_put_u8(w, PROTO_OPT_NODE_STATE, ni->node_state);
	tlv_put_close(w, h);
}

static void encode_option(struct tlv_writer *w, const struct msg *m, enum proto_opt opt)
{
	uint8_t tmp[12];

	switch (opt) {
	case PROTO_OPT_MSG_SEQ_NUMBER: tlv_put_u32(w, opt, m->seq_number); break;
	case PROTO_OPT_CLUSTER_NAME: tlv_put_bytes(w, opt, m->cluster_name, m->cluster_name_len); break;
	case PROTO_OPT_TLS_SUPPORTED: tlv_put_u8(w, opt, m->tls_supported); break;
	case PROTO_OPT_TLS_CLIENT_CERT_REQUIRED: tlv_put_u8(w, opt, m->tls_client_cert_required); break;
	case PROTO_OPT_SUPPORTED_MESSAGES:
		tlv_put_u16_array(w, opt, m->supported_messages, m->supported_messages_count);
		break;
	case PROTO_OPT_SUPPORTED_OPTIONS:
		tlv_put_u16_array(w, opt, m->supported_options, m->supported_options_count);
		break;
	case PROTO_OPT_REPLY_ERROR_CODE: tlv_put_u16(w, opt, m->reply_error_code); break;
	case PROTO_OPT_SERVER_MAXIMUM_REQUEST_SIZE: tlv_put_u32(w, opt, m->server_max_request_size); break;
	case PROTO_OPT_SERVER_MAXIMUM_REPLY_SIZE: tlv_put_u32(w, opt, m->server_max_reply_size); break;
	case PROTO_OPT_NODE_ID: tlv_put_u32(w, opt, m->node_id); break;
	case PROTO_OPT_SUPPORTED_DECISION_ALGORITHMS:
		tlv_put_u16_array(w, opt, m->supported_algorithms, m->supported_algorithms_count);
		break;
	case PROTO_OPT_DECISION_ALGORITHM: tlv_put_u16(w, opt, m->algorithm); break;
	case PROTO_OPT_HEARTBEAT_INTERVAL: tlv_put_u32(w, opt, m->heartbeat_interval); break;
	case PROTO_OPT_RING_ID:
		tlv_set_u32(tmp, m->ring_id.node_id);
		tlv_set_u64(tmp + 4, m->ring_id.seq);
		tlv_put_bytes(w, opt, tmp, 12);
		break;
	case PROTO_OPT_CONFIG_VERSION: tlv_put_u64(w, opt, m->config_version); break;
	case PROTO_OPT_DATA_CENTER_ID: tlv_put_u32(w, opt, m->data_center_id); break;
	case PROTO_OPT_NODE_STATE: tlv_put_u8(w, opt, m->node_state); break;
	case PROTO_OPT_NODE_INFO:
		for (size_t i = 0; i < m->node_count; i++)
			encode_node_info(w, &m->nodes[i]);
		break;
	case PROTO_OPT_NODE_LIST_TYPE: tlv_put_u8(w, opt, m->node_list_type); break;
	case PROTO_OPT_VOTE: tlv_put_u8(w, opt, m->vote); break;
	case PROTO_OPT_QUORATE: tlv_put_u8(w, opt, m->quorate); break;
	case PROTO_OPT_TIE_BREAKER:
		tmp[0] = m->tie_breaker.mode;
		tlv_set_u32(tmp + 1, m->tie_breaker.mode == PROTO_TIE_BREAKER_NODE_ID ? m->tie_breaker.node_id : 0);
		tlv_put_bytes(w, opt, tmp, 5);
		break;
	case PROTO_OPT_HEURISTICS: tlv_put_u8(w, opt, m->heuristics); break;
	case PROTO_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER: tlv_put_u8(w, opt, m->kap_tie_breaker); break;
	}
}

long msg_encode(const struct msg *m, uint8_t *buf, size_t cap)
{
	struct tlv_writer w;
	struct option_order order = order_for_type(m->type);
	uint32_t done = 0;

	if (!msg_values_valid(m))
		return -1;
	tlv_writer_init(&w, buf, cap);
	uint8_t header[PROTO_HEADER_SIZE] = {0};
	tlv_put_raw(&w, header, sizeof(header));
	for (size_t i = 0; i < order.count; i++) {
		enum proto_opt opt = (enum proto_opt)order.opts[i];
		if (msg_has(m, opt))
			encode_option(&w, m, opt);
		done |= UINT32_C(1) << opt;
	}
	for (unsigned opt = 0; opt < PROTO_OPT_COUNT; opt++) {
		if (!(done & (UINT32_C(1) << opt)) && msg_has(m, (enum proto_opt)opt))
			encode_option(&w, m, (enum proto_opt)opt);
	}
	if (w.failed || w.len - PROTO_HEADER_SIZE > UINT32_MAX || w.len > LONG_MAX)
		return -1;
	/* An empty payload would not decode; refuse to produce one. */
	if (w.len == PROTO_HEADER_SIZE)
		return -1;
	msg_header_write(buf, m->type, (uint32_t)(w.len - PROTO_HEADER_SIZE));
	return (long)w.len;
}

static bool u16_arrays_equal(const uint16_t *a, size_t na, const uint16_t *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

bool msg_equal(const struct msg *a, const struct msg *b)
{
	if (a->type != b->type || a->present != b->present)
		return false;
#define SAME(opt, expr) if (msg_has(a, opt) && !(expr)) return false
	SAME(PROTO_OPT_MSG_SEQ_NUMBER, a->seq_number == b->seq_number);
	SAME(PROTO_OPT_CLUSTER_NAME, a->cluster_name_len == b->cluster_name_len &&
	     (a->cluster_name_len == 0 || memcmp(a->cluster_name, b->cluster_name, a->cluster_name_len) == 0));
	SAME(PROTO_OPT_TLS_SUPPORTED, a->tls_supported == b->tls_supported);
	SAME(PROTO_OPT_TLS_CLIENT_CERT_REQUIRED, a->tls_client_cert_required == b->tls_client_cert_required);
	SAME(PROTO_OPT_SUPPORTED_MESSAGES, u16_arrays_equal(a->supported_messages, a->supported_messages_count,
							     b->supported_messages, b->supported_messages_count));
	SAME(PROTO_OPT_SUPPORTED_OPTIONS, u16_arrays_equal(a->supported_options, a->supported_options_count,
							    b->supported_options, b->supported_options_count));
	SAME(PROTO_OPT_REPLY_ERROR_CODE, a->reply_error_code == b->reply_error_code);
	SAME(PROTO_OPT_SERVER_MAXIMUM_REQUEST_SIZE, a->server_max_request_size == b->server_max_request_size);
	SAME(PROTO_OPT_SERVER_MAXIMUM_REPLY_SIZE, a->server_max_reply_size == b->server_max_reply_size);
	SAME(PROTO_OPT_NODE_ID, a->node_id == b->node_id);
	SAME(PROTO_OPT_SUPPORTED_DECISION_ALGORITHMS,
	     u16_arrays_equal(a->supported_algorithms, a->supported_algorithms_count,
			      b->supported_algorithms, b->supported_algorithms_count));
	SAME(PROTO_OPT_DECISION_ALGORITHM, a->algorithm == b->algorithm);
	SAME(PROTO_OPT_HEARTBEAT_INTERVAL, a->heartbeat_interval == b->heartbeat_interval);
	SAME(PROTO_OPT_RING_ID, proto_ring_id_equal(&a->ring_id, &b->ring_id));
	SAME(PROTO_OPT_CONFIG_VERSION, a->config_version == b->config_version);
	SAME(PROTO_OPT_DATA_CENTER_ID, a->data_center_id == b->data_center_id);
	SAME(PROTO_OPT_NODE_STATE, a->node_state == b->node_state);
	SAME(PROTO_OPT_NODE_INFO, a->node_count == b->node_count &&
	     (a->node_count == 0 || memcmp(a->nodes, b->nodes, a->node_count * sizeof(*a->nodes)) == 0));
	SAME(PROTO_OPT_NODE_LIST_TYPE, a->node_list_type == b->node_list_type);
	SAME(PROTO_OPT_VOTE, a->vote == b->vote);
	SAME(PROTO_OPT_QUORATE, a->quorate == b->quorate);
	SAME(PROTO_OPT_TIE_BREAKER, proto_tie_breaker_equal(&a->tie_breaker, &b->tie_breaker));
	SAME(PROTO_OPT_HEURISTICS, a->heuristics == b->heuristics);
	SAME(PROTO_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER, a->kap_tie_breaker == b->kap_tie_breaker);
#undef SAME
	return true;
}

const char *msg_decode_status_str(enum msg_decode_status status)
{
	switch (status) {
	case MSG_DECODE_OK: return "no error";
	case MSG_DECODE_SHORT_HEADER: return "message shorter than its header";
	case MSG_DECODE_LENGTH_MISMATCH: return "header length does not match the message size";
	case MSG_DECODE_EMPTY_PAYLOAD: return "message carries no option";
	case MSG_DECODE_INCONSISTENT: return "options do not fill the payload exactly";
	case MSG_DECODE_BAD_OPTION_LENGTH: return "option has an invalid length";
	case MSG_DECODE_BAD_OPTION_VALUE: return "option has an invalid value";
	case MSG_DECODE_BAD_NODE_INFO: return "invalid node info";
	case MSG_DECODE_NO_MEMORY: return "out of memory";
	}
	return "unknown decode error";
}

const char *msg_option_str(uint16_t opt)
{
	static const char *const names[PROTO_OPT_COUNT] = {
		"msg seq number", "cluster name", "tls supported", "tls client cert required",
		"supported messages", "supported options", "reply error code",
		"server maximum request size", "server maximum reply size", "node id",
		"supported decision algorithms", "decision algorithm", "heartbeat interval",
		"ring id", "config version", "data center id", "node state", "node info",
		"node list type", "vote", "quorate", "tie breaker", "heuristics",
		"keep active partition tie breaker",
	};
	return opt < PROTO_OPT_COUNT ? names[opt] : "unknown option";
}

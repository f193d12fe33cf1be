/*
 * libFuzzer target over model net's client state machine: arbitrary interleavings of server
 * messages (arbitrary bytes through the decoder), timers, votequorum events, heuristics results
 * and disconnects. No crash, no leak, and the machine's invariants hold.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qdevice_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

struct fuzz_io {
	bool armed[QDEVICE_NET_TIMER_COUNT];
	uint32_t last_seq_sent;
	size_t queued;
	bool fail_next_send;
	int withdrawn;          /* what vote_withdrawn answers: 1, 0 or -1 */
};

static struct fuzz_io fio;

static int f_send(void *ctx, const struct msg *m)
{
	struct fuzz_io *f = ctx;
	uint8_t buf[65536];
	if (f->fail_next_send) {
		f->fail_next_send = false;
		return -1;
	}
	/* Everything the machine builds must encode (and so decode on the server). */
	CHECK(msg_encode(m, buf, sizeof(buf)) > 0);
	f->queued++;
	return 0;
}

static void f_timer_start(void *ctx, enum qdevice_net_timer t, uint32_t ms)
{
	struct fuzz_io *f = ctx;
	CHECK((unsigned)t < QDEVICE_NET_TIMER_COUNT);
	CHECK(ms > 0);
	f->armed[t] = true;
}

static void f_timer_stop(void *ctx, enum qdevice_net_timer t)
{
	struct fuzz_io *f = ctx;
	f->armed[t] = false;
}

static bool f_timer_armed(void *ctx, enum qdevice_net_timer t)
{
	struct fuzz_io *f = ctx;
	return f->armed[t];
}

static int f_poll(void *ctx, bool cast, const struct proto_ring_id *r)
{
	(void)ctx;
	(void)cast;
	(void)r;
	return 0;
}

static int f_heur(void *ctx, enum qdevice_net_heuristics_kind kind, uint32_t timeout)
{
	(void)ctx;
	(void)kind;
	CHECK(timeout > 0);
	return 0;
}

static int f_votes(void *ctx)
{
	(void)ctx;
	return 0;
}

static int f_withdrawn(void *ctx)
{
	struct fuzz_io *f = ctx;
	return f->withdrawn;
}

static time_t f_now(void *ctx)
{
	(void)ctx;
	return 1;
}

/* A clock that moves: every reading is 7 ms after the previous one. */
static uint64_t f_mono(void *ctx)
{
	(void)ctx;
	static uint64_t t;
	return t += 7;
}

static uint8_t take(const uint8_t **p, size_t *left)
{
	if (*left == 0)
		return 0;
	uint8_t v = **p;
	(*p)++;
	(*left)--;
	return v;
}

static const uint16_t all_msgs[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
static const uint16_t all_opts[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};
static const uint16_t all_algos[] = {0, 1, 2, 3};

/*
 * A well-formed answer to where the machine stands, built as a struct: random bytes rarely decode
 * into a reply with the right seq and ring id, and the vote states behind the handshake need one.
 */
static void server_answer(struct qdevice_net *n, uint8_t b)
{
	struct msg m;
	switch (n->state) {
	case QDEVICE_NET_WAITING_PREINIT_REPLY:
		msg_init(&m, PROTO_MSG_PREINIT_REPLY);
		m.tls_supported = b % 3;
		msg_set_present(&m, PROTO_OPT_TLS_SUPPORTED);
		m.tls_client_cert_required = 1;
		msg_set_present(&m, PROTO_OPT_TLS_CLIENT_CERT_REQUIRED);
		break;
	case QDEVICE_NET_WAITING_INIT_REPLY:
		msg_init(&m, PROTO_MSG_INIT_REPLY);
		m.reply_error_code = (b & 0x80) ? b & 0x1f : 0;
		msg_set_present(&m, PROTO_OPT_REPLY_ERROR_CODE);
		m.server_max_request_size = 32768;
		msg_set_present(&m, PROTO_OPT_SERVER_MAXIMUM_REQUEST_SIZE);
		m.server_max_reply_size = 32768;
		msg_set_present(&m, PROTO_OPT_SERVER_MAXIMUM_REPLY_SIZE);
		m.supported_messages = all_msgs;
		m.supported_messages_count = 18;
		msg_set_present(&m, PROTO_OPT_SUPPORTED_MESSAGES);
		m.supported_options = all_opts;
		m.supported_options_count = 24;
		msg_set_present(&m, PROTO_OPT_SUPPORTED_OPTIONS);
		m.supported_algorithms = all_algos;
		m.supported_algorithms_count = 4;
		msg_set_present(&m, PROTO_OPT_SUPPORTED_DECISION_ALGORITHMS);
		break;
	case QDEVICE_NET_CONNECTED: {
		static const uint16_t types[] = {PROTO_MSG_VOTE_INFO, PROTO_MSG_NODE_LIST_REPLY,
						 PROTO_MSG_ASK_FOR_VOTE_REPLY, PROTO_MSG_VOTE_INFO};
		msg_init(&m, types[b & 3]);
		m.vote = (uint8_t)((b >> 2) % 6);
		msg_set_present(&m, PROTO_OPT_VOTE);
		m.ring_id = n->last_sent_ring_id;
		if (b & 0x80)
			m.ring_id.seq++;
		msg_set_present(&m, PROTO_OPT_RING_ID);
		m.node_list_type = PROTO_NODE_LIST_MEMBERSHIP;
		msg_set_present(&m, PROTO_OPT_NODE_LIST_TYPE);
		break;
	}
	default:
		return;
	}
	m.seq_number = n->seq;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	qdevice_net_msg_received(n, &m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct qdevice_config_node nodes[2] = {{1, 0}, {2, 0}};
	static char name[] = "fuzz", host[] = "127.0.0.1";
	struct qdevice_config cfg;
	struct qdevice_net n;

	memset(&fio, 0, sizeof(fio));
	memset(&cfg, 0, sizeof(cfg));
	uint8_t setup = take(&data, &size);
	cfg.node_id = 1;
	cfg.timeout = 10000;
	cfg.sync_timeout = 30000;
	cfg.wait_for_all = setup & 0x80;
	cfg.heuristics.mode = (enum qdevice_heuristics_mode)((setup >> 2) % 3);
	cfg.heuristics.timeout = 5000;
	cfg.heuristics.sync_timeout = 15000;
	cfg.heuristics.interval = 30000;
	cfg.node_list.nodes = nodes;
	cfg.node_list.count = 2;
	cfg.net.host = host;
	cfg.net.port = 5403;
	cfg.net.tls = (uint8_t)((setup >> 4) % 3);
	cfg.net.cluster_name = name;
	cfg.net.algorithm = setup & 3;
	cfg.net.tie_breaker_mode = PROTO_TIE_BREAKER_LOWEST;
	cfg.net.connect_timeout = 8000;
	cfg.net.heartbeat_interval = 8000;
	cfg.net.cast_vote_timer_interval = 5000;

	struct qdevice_net_params p = {&cfg, 32768, 32768, 32768, 16777216, 3};
	struct qdevice_net_io io = {&fio, f_send, f_timer_start, f_timer_stop, f_timer_armed, f_poll, f_heur, f_votes, f_now, f_mono,
				  f_withdrawn};
	qdevice_net_init(&n, &p, &io);
	uint32_t last_seq = n.seq;

	while (size > 0) {
		uint8_t ev = take(&data, &size);
		switch (ev % 14) {
		case 0: /* a whole message from the server */ {
			size_t len = take(&data, &size);
			len = (len << 8) | take(&data, &size);
			if (len > size)
				len = size;
			struct msg m;
			struct msg_decode_error err;
			memset(&m, 0, sizeof(m));
			if (msg_decode(data, len, &m, &err) == 0)
				qdevice_net_msg_received(&n, &m);
			msg_destroy(&m);
			data += len;
			size -= len;
			break;
		}
		case 1:
			qdevice_net_connect_begin(&n);
			break;
		case 2:
			if (n.state == QDEVICE_NET_WAITING_CONNECT)
				qdevice_net_tcp_connected(&n);
			break;
		case 3:
			qdevice_net_starttls_done(&n, take(&data, &size) & 1);
			break;
		case 4:
			qdevice_net_timer_expired(&n, (enum qdevice_net_timer)(take(&data, &size) % QDEVICE_NET_TIMER_COUNT));
			break;
		case 5: {
			uint32_t ids[3] = {1, 2, take(&data, &size)};
			struct proto_ring_id r = {.node_id = 1, .seq = take(&data, &size)};
			qdevice_net_votequorum_node_list(&n, &r, ids, 1 + take(&data, &size) % 3);
			break;
		}
		case 6: {
			struct qdevice_net_quorum_node q[3] = {{1, 1}, {take(&data, &size), take(&data, &size)}, {0, 0}};
			qdevice_net_votequorum_quorum(&n, take(&data, &size) & 1, q, 3);
			break;
		}
		case 7:
			qdevice_net_votequorum_expected_votes(&n, take(&data, &size));
			break;
		case 8: {
			uint8_t b = take(&data, &size);
			qdevice_net_heuristics_result(&n, (enum qdevice_net_heuristics_kind)(b % 3),
						      (enum qdevice_heuristics_result)((b >> 2) % 3));
			break;
		}
		case 9:
			qdevice_net_config_node_list_changed(&n);
			break;
		case 10:
			fio.fail_next_send = true;
			break;
		case 11: {
			bool delayed;
			qdevice_net_disconnected(&n, (enum qdevice_net_reason)(take(&data, &size) % 4), &delayed);
			CHECK(n.state == QDEVICE_NET_WAITING_CONNECT);
			CHECK(!n.disconnect_scheduled);
			break;
		}
		case 12: /* corosync's view changes: the NACK applied, not yet, or unknown */
			fio.withdrawn = (int)(take(&data, &size) % 3) - 1;
			break;
		case 13:
			server_answer(&n, take(&data, &size));
			break;
		}
		/* Invariants. */
		CHECK(n.seq >= last_seq);
		last_seq = n.seq;
		CHECK(n.vote == PROTO_VOTE_ACK || n.vote == PROTO_VOTE_NACK || n.vote == PROTO_VOTE_ASK_LATER ||
		      n.vote == PROTO_VOTE_WAIT_FOR_REPLY);
		CHECK(n.state <= QDEVICE_NET_CONNECTED);
		CHECK(n.member_count <= QDEVICE_NET_MAX_NODES && n.quorum_node_count <= QDEVICE_NET_MAX_NODES);
		if (n.state >= QDEVICE_NET_WAITING_CONNECT_HEURISTICS)
			CHECK(n.max_receive_size >= PROTO_HEADER_SIZE);
		if (fio.armed[QDEVICE_NET_TIMER_CAST_VOTE])
			CHECK(n.vote == PROTO_VOTE_ACK || n.vote == PROTO_VOTE_NACK);
		if (n.disconnect_scheduled)
			CHECK(n.disconnect_reason != QDEVICE_NET_REASON_NONE);
		/* A waiting NACK answer belongs to a connection and always has its bound running. */
		if (n.nack_reply_pending)
			CHECK(n.state == QDEVICE_NET_CONNECTED && fio.armed[QDEVICE_NET_TIMER_NACK_REPLY]);
	}
	return 0;
}

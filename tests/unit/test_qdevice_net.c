/* Unit tests of model net's client state machine (doc/qdevice-state-machine.md): handshake, votes, heartbeats, local events, disconnect rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "log_capture.h"
#include "qdevice_net.h"

/* ---- A recording fake of the outside world. ---- */

#define MAX_SENT 64

struct sent_msg {
	uint16_t type;
	uint32_t seq;
	uint8_t list_type;
	bool has_heuristics;
	uint8_t heuristics;
	struct proto_ring_id ring_id;
	size_t node_count;
	uint32_t node_ids[8];
	uint8_t node_states[8];
	bool has_config_version;
	uint8_t kap;
	uint16_t algorithm;
	uint32_t heartbeat;
};

struct fake {
	struct sent_msg sent[MAX_SENT];
	size_t sent_count;
	bool send_fails;
	bool armed[QDEVICE_NET_TIMER_COUNT];
	uint32_t interval[QDEVICE_NET_TIMER_COUNT];
	int polls;
	bool last_cast;
	struct proto_ring_id last_poll_ring;
	int poll_result;
	int heur_starts[3];
	uint32_t last_heur_timeout;
	int heur_start_result;
	int votes_result;
	int votes_checks;
	time_t now;
	uint64_t mono_ms;
	int withdrawn;          /* vote_withdrawn's answer; the fixture starts with 1 (applied at once) */
	int withdrawn_checks;
};

static int f_send(void *ctx, const struct msg *m)
{
	struct fake *f = ctx;
	if (f->send_fails || f->sent_count == MAX_SENT)
		return -1;
	struct sent_msg *s = &f->sent[f->sent_count++];
	memset(s, 0, sizeof(*s));
	s->type = m->type;
	s->seq = m->seq_number;
	s->list_type = m->node_list_type;
	s->has_heuristics = msg_has(m, PROTO_OPT_HEURISTICS);
	s->heuristics = m->heuristics;
	s->ring_id = m->ring_id;
	s->node_count = m->node_count;
	for (size_t i = 0; i < m->node_count && i < 8; i++) {
		s->node_ids[i] = m->nodes[i].node_id;
		s->node_states[i] = m->nodes[i].node_state;
	}
	s->has_config_version = msg_has(m, PROTO_OPT_CONFIG_VERSION);
	s->kap = m->kap_tie_breaker;
	s->algorithm = m->algorithm;
	s->heartbeat = m->heartbeat_interval;
	/* Everything built must also encode. */
	uint8_t buf[4096];
	assert_true(msg_encode(m, buf, sizeof(buf)) > 0);
	return 0;
}

static void f_timer_start(void *ctx, enum qdevice_net_timer t, uint32_t ms)
{
	struct fake *f = ctx;
	f->armed[t] = true;
	f->interval[t] = ms;
}

static void f_timer_stop(void *ctx, enum qdevice_net_timer t)
{
	struct fake *f = ctx;
	f->armed[t] = false;
}

static bool f_timer_armed(void *ctx, enum qdevice_net_timer t)
{
	struct fake *f = ctx;
	return f->armed[t];
}

static int f_poll(void *ctx, bool cast, const struct proto_ring_id *r)
{
	struct fake *f = ctx;
	f->polls++;
	f->last_cast = cast;
	f->last_poll_ring = *r;
	return f->poll_result;
}

static int f_heur(void *ctx, enum qdevice_net_heuristics_kind kind, uint32_t timeout)
{
	struct fake *f = ctx;
	if (f->heur_start_result != 0)
		return f->heur_start_result;
	f->heur_starts[kind]++;
	f->last_heur_timeout = timeout;
	return 0;
}

static int f_votes(void *ctx)
{
	struct fake *f = ctx;
	f->votes_checks++;
	return f->votes_result;
}

static int f_withdrawn(void *ctx)
{
	struct fake *f = ctx;
	f->withdrawn_checks++;
	return f->withdrawn;
}

static time_t f_now(void *ctx)
{
	struct fake *f = ctx;
	return f->now;
}

static uint64_t f_mono(void *ctx)
{
	struct fake *f = ctx;
	return f->mono_ms;
}

/* ---- Fixture: a two-node cluster, node 1, defaults of doc/qdevice-state-machine.md §3.1. ---- */

struct fixture {
	struct fake f;
	struct qdevice_config cfg;
	struct qdevice_config_node nodes[2];
	struct qdevice_net n;
	char cluster_name[16];
	char host[16];
};

static void fixture_init(struct fixture *x, uint16_t algorithm, uint8_t tls)
{
	memset(x, 0, sizeof(*x));
	strcpy(x->cluster_name, "pve");
	strcpy(x->host, "192.0.2.50");
	x->nodes[0].node_id = 1;
	x->nodes[1].node_id = 2;
	x->cfg.node_id = 1;
	x->cfg.timeout = 10000;
	x->cfg.sync_timeout = 30000;
	x->cfg.heuristics.mode = QDEVICE_HEURISTICS_MODE_OFF;
	x->cfg.heuristics.timeout = 5000;
	x->cfg.heuristics.sync_timeout = 15000;
	x->cfg.heuristics.interval = 30000;
	x->cfg.node_list.nodes = x->nodes;
	x->cfg.node_list.count = 2;
	x->cfg.node_list.config_version_set = true;
	x->cfg.node_list.config_version = 6;
	x->cfg.net.host = x->host;
	x->cfg.net.port = 5403;
	x->cfg.net.tls = tls;
	x->cfg.net.cluster_name = x->cluster_name;
	x->cfg.net.algorithm = algorithm;
	x->cfg.net.tie_breaker_mode = PROTO_TIE_BREAKER_LOWEST;
	x->cfg.net.connect_timeout = 8000;
	x->cfg.net.keep_active_partition_tie_breaker = true;
	x->cfg.net.heartbeat_interval = 8000;
	x->cfg.net.cast_vote_timer_interval = 5000;
	x->f.now = 1000;
	x->f.withdrawn = 1;

	struct qdevice_net_params p = {
		.cfg = &x->cfg,
		.initial_msg_receive_size = 32768,
		.initial_msg_send_size = 32768,
		.min_msg_send_size = 32768,
		.max_msg_receive_size = 16777216,
	};
	struct qdevice_net_io io = {
		.ctx = &x->f,
		.send = f_send,
		.timer_start = f_timer_start,
		.timer_stop = f_timer_stop,
		.timer_armed = f_timer_armed,
		.poll = f_poll,
		.heuristics_start = f_heur,
		.check_votes = f_votes,
		.wall_now = f_now,
		.mono_ms = f_mono,
		.vote_withdrawn = f_withdrawn,
	};
	qdevice_net_init(&x->n, &p, &io);
}

static const struct sent_msg *last_sent(const struct fixture *x)
{
	assert_true(x->f.sent_count > 0);
	return &x->f.sent[x->f.sent_count - 1];
}

/* The startup membership: votequorum's node list + quorum callbacks and the membership heuristics result. */
static void membership(struct fixture *x, uint64_t seq, bool quorate)
{
	uint32_t ids[2] = {1, 2};
	struct proto_ring_id r = {.node_id = 1, .seq = seq};
	struct qdevice_net_quorum_node q[3] = {{1, PROTO_NODE_STATE_MEMBER}, {2, PROTO_NODE_STATE_MEMBER}, {0, 0}};
	qdevice_net_votequorum_node_list(&x->n, &r, ids, 2);
	qdevice_net_heuristics_result(&x->n, QDEVICE_NET_HEURISTICS_MEMBERSHIP, QDEVICE_HEURISTICS_RESULT_DISABLED);
	qdevice_net_votequorum_quorum(&x->n, quorate, q, 3);
}

static void recv_msg(struct fixture *x, struct msg *m)
{
	qdevice_net_msg_received(&x->n, m);
}

static void recv_preinit_reply(struct fixture *x, uint32_t seq, uint8_t tls)
{
	struct msg m;
	msg_init(&m, PROTO_MSG_PREINIT_REPLY);
	m.seq_number = seq;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	m.tls_supported = tls;
	msg_set_present(&m, PROTO_OPT_TLS_SUPPORTED);
	m.tls_client_cert_required = 1;
	msg_set_present(&m, PROTO_OPT_TLS_CLIENT_CERT_REQUIRED);
	recv_msg(x, &m);
}

static const uint16_t all_msgs[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
static const uint16_t all_opts[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};
static const uint16_t all_algos[] = {0, 1, 2, 3};

static void init_reply_build(struct msg *m, uint32_t seq, uint16_t error)
{
	msg_init(m, PROTO_MSG_INIT_REPLY);
	m->seq_number = seq;
	msg_set_present(m, PROTO_OPT_MSG_SEQ_NUMBER);
	m->reply_error_code = error;
	msg_set_present(m, PROTO_OPT_REPLY_ERROR_CODE);
	m->server_max_request_size = 32768;
	msg_set_present(m, PROTO_OPT_SERVER_MAXIMUM_REQUEST_SIZE);
	m->server_max_reply_size = 32768;
	msg_set_present(m, PROTO_OPT_SERVER_MAXIMUM_REPLY_SIZE);
	m->supported_messages = all_msgs;
	m->supported_messages_count = 18;
	msg_set_present(m, PROTO_OPT_SUPPORTED_MESSAGES);
	m->supported_options = all_opts;
	m->supported_options_count = 24;
	msg_set_present(m, PROTO_OPT_SUPPORTED_OPTIONS);
	m->supported_algorithms = all_algos;
	m->supported_algorithms_count = 4;
	msg_set_present(m, PROTO_OPT_SUPPORTED_DECISION_ALGORITHMS);
}

/* Runs the whole TLS handshake up to the connected state. */
static void connect_tls(struct fixture *x)
{
	struct msg m;
	qdevice_net_connect_begin(&x->n);
	qdevice_net_tcp_connected(&x->n);
	recv_preinit_reply(x, x->n.seq, PROTO_TLS_SUPPORTED);
	qdevice_net_starttls_done(&x->n, true);
	init_reply_build(&m, x->n.seq, 0);
	recv_msg(x, &m);
	qdevice_net_heuristics_result(&x->n, QDEVICE_NET_HEURISTICS_CONNECT, QDEVICE_HEURISTICS_RESULT_DISABLED);
	assert_int_equal(x->n.state, QDEVICE_NET_CONNECTED);
}

static void recv_vote(struct fixture *x, uint16_t type, uint32_t seq, uint8_t vote, const struct proto_ring_id *r)
{
	struct msg m;
	msg_init(&m, type);
	m.seq_number = seq;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	m.vote = vote;
	msg_set_present(&m, PROTO_OPT_VOTE);
	m.ring_id = *r;
	msg_set_present(&m, PROTO_OPT_RING_ID);
	if (type == PROTO_MSG_NODE_LIST_REPLY) {
		m.node_list_type = PROTO_NODE_LIST_MEMBERSHIP;
		msg_set_present(&m, PROTO_OPT_NODE_LIST_TYPE);
	}
	recv_msg(x, &m);
}

/* ffsplit over TLS, membership ring 5 quorate, connected, and qnetd's ACK for ring 5 polled. */
static void connected_with_ack(struct fixture *x)
{
	struct proto_ring_id r5 = {.node_id = 1, .seq = 5};
	fixture_init(x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	membership(x, 5, true);
	connect_tls(x);
	recv_vote(x, PROTO_MSG_NODE_LIST_REPLY, 6, PROTO_VOTE_ACK, &r5);
}

/* ---- Tests. ---- */

/* doc/protocol.md §5.2: the first-connection sequence numbers 1..7, and the burst's content. */
static void test_handshake_tls_sequence(void **state)
{
	(void)state;
	struct fixture x;
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	membership(&x, 5, true);

	qdevice_net_connect_begin(&x.n);
	assert_true(x.f.armed[QDEVICE_NET_TIMER_CONNECT]);
	assert_int_equal(x.f.interval[QDEVICE_NET_TIMER_CONNECT], 8000);
	assert_int_equal(qdevice_net_link(&x.n), QDEVICE_NET_LINK_CONNECTING);
	qdevice_net_tcp_connected(&x.n);
	assert_int_equal(last_sent(&x)->type, PROTO_MSG_PREINIT);
	assert_int_equal(last_sent(&x)->seq, 1);

	recv_preinit_reply(&x, 1, PROTO_TLS_SUPPORTED);
	assert_int_equal(last_sent(&x)->type, PROTO_MSG_STARTTLS);
	assert_int_equal(last_sent(&x)->seq, 2);
	assert_int_equal(x.n.state, QDEVICE_NET_WAITING_STARTTLS_BEING_SENT);

	qdevice_net_starttls_done(&x.n, true);
	const struct sent_msg *init = last_sent(&x);
	assert_int_equal(init->type, PROTO_MSG_INIT);
	assert_int_equal(init->seq, 3);
	assert_int_equal(init->algorithm, PROTO_ALGO_FFSPLIT);
	assert_int_equal(init->heartbeat, 8000);
	assert_int_equal(init->ring_id.seq, 5);

	struct msg m;
	init_reply_build(&m, 3, 0);
	recv_msg(&x, &m);
	assert_false(x.f.armed[QDEVICE_NET_TIMER_CONNECT]);
	assert_true(x.f.armed[QDEVICE_NET_TIMER_ECHO]);
	assert_int_equal(x.f.interval[QDEVICE_NET_TIMER_ECHO], 8000);
	assert_int_equal(x.f.heur_starts[QDEVICE_NET_HEURISTICS_CONNECT], 1);
	assert_int_equal(x.f.last_heur_timeout, 5000);     /* not syncing: heuristics.timeout */
	assert_int_equal(x.n.state, QDEVICE_NET_WAITING_CONNECT_HEURISTICS);

	size_t before = x.f.sent_count;
	qdevice_net_heuristics_result(&x.n, QDEVICE_NET_HEURISTICS_CONNECT, QDEVICE_HEURISTICS_RESULT_PASS);
	assert_int_equal(x.f.sent_count, before + 4);
	const struct sent_msg *s = &x.f.sent[before];
	assert_int_equal(s[0].type, PROTO_MSG_SET_OPTION);
	assert_int_equal(s[0].seq, 4);
	assert_int_equal(s[0].kap, 1);
	assert_int_equal(s[1].type, PROTO_MSG_NODE_LIST);
	assert_int_equal(s[1].list_type, PROTO_NODE_LIST_INITIAL_CONFIG);
	assert_true(s[1].has_config_version);
	assert_int_equal(s[1].node_count, 2);
	assert_int_equal(s[1].seq, 5);
	assert_int_equal(s[2].list_type, PROTO_NODE_LIST_MEMBERSHIP);
	assert_int_equal(s[2].seq, 6);
	assert_true(s[2].has_heuristics);
	assert_int_equal(s[2].heuristics, PROTO_HEURISTICS_PASS);
	assert_int_equal(s[3].list_type, PROTO_NODE_LIST_QUORUM);
	assert_int_equal(s[3].seq, 7);
	/* The node id 0 pseudo entry is never sent. */
	assert_int_equal(s[3].node_count, 2);
	assert_int_equal(s[3].node_states[0], PROTO_NODE_STATE_MEMBER);
	assert_int_equal(x.n.state, QDEVICE_NET_CONNECTED);
	assert_int_equal(x.n.vote, PROTO_VOTE_WAIT_FOR_REPLY);
	assert_int_equal(x.n.connected_since, 1000);
	assert_true(x.n.tls_active);
	assert_true(x.n.client_cert_sent);
	assert_int_equal(qdevice_net_link(&x.n), QDEVICE_NET_LINK_CONNECTED);
}

/* doc/protocol.md §7.2: the TLS decision table. */
static void test_tls_decision_table(void **state)
{
	(void)state;
	static const struct {
		uint8_t server, client;
		int expect;     /* 0 plain INIT, 1 STARTTLS, -1 incompatible */
	} rows[] = {
		{0, 0, 0}, {0, 1, 0}, {0, 2, -1}, {1, 0, 0}, {1, 1, 1}, {1, 2, 1}, {2, 0, -1}, {2, 1, 1}, {2, 2, 1},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fixture x;
		fixture_init(&x, PROTO_ALGO_FFSPLIT, rows[i].client);
		qdevice_net_connect_begin(&x.n);
		qdevice_net_tcp_connected(&x.n);
		log_capture_clear();
		recv_preinit_reply(&x, 1, rows[i].server);
		/* Only tls: on against a server without TLS falls back to plaintext, and says so. */
		bool fallback = rows[i].client == PROTO_TLS_SUPPORTED && rows[i].server == PROTO_TLS_UNSUPPORTED;
		assert_int_equal(log_capture_find("qnetd does not offer TLS: connecting without TLS"),
				 fallback ? LOG_WARNING : -1);
		if (rows[i].expect < 0) {
			assert_true(x.n.disconnect_scheduled);
			assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_INCOMPATIBLE_TLS);
		} else {
			assert_false(x.n.disconnect_scheduled);
			assert_int_equal(last_sent(&x)->type, rows[i].expect ? PROTO_MSG_STARTTLS : PROTO_MSG_INIT);
			assert_int_equal(last_sent(&x)->seq, 2);
		}
	}
}

static void test_preinit_reply_checks(void **state)
{
	(void)state;
	struct fixture x;
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	qdevice_net_connect_begin(&x.n);
	qdevice_net_tcp_connected(&x.n);
	recv_preinit_reply(&x, 7, PROTO_TLS_SUPPORTED);     /* wrong seq */
	assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_REQUIRED_OPTION_MISSING);

	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	qdevice_net_connect_begin(&x.n);
	qdevice_net_tcp_connected(&x.n);
	struct msg m;
	msg_init(&m, PROTO_MSG_PREINIT_REPLY);
	m.seq_number = 1;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	m.tls_supported = 1;
	msg_set_present(&m, PROTO_OPT_TLS_SUPPORTED);       /* no tls_client_cert_required */
	recv_msg(&x, &m);
	assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_REQUIRED_OPTION_MISSING);

	/* PREINIT_REPLY in the connected state is unexpected. */
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	connect_tls(&x);
	recv_preinit_reply(&x, x.n.seq, 1);
	assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_UNEXPECTED_MSG);
}

/* doc/qdevice-state-machine.md §6: each INIT_REPLY check and the reason it gives. */
static void test_init_reply_checks(void **state)
{
	(void)state;
	static const struct {
		uint16_t error;
		enum qdevice_net_reason reason;
		bool reconnects;
	} errors[] = {
		{PROTO_ERR_DUPLICATE_NODE_ID, QDEVICE_NET_REASON_SERVER_SENT_DUPLICATE_NODE_ID_ERROR, true},
		{PROTO_ERR_TIE_BREAKER_DIFFERS_FROM_OTHER_NODES, QDEVICE_NET_REASON_SERVER_SENT_TIE_BREAKER_DIFFERS_ERROR, true},
		{PROTO_ERR_ALGORITHM_DIFFERS_FROM_OTHER_NODES, QDEVICE_NET_REASON_SERVER_SENT_ALGORITHM_DIFFERS_ERROR, true},
		{PROTO_ERR_UNSUPPORTED_DECISION_ALGORITHM, QDEVICE_NET_REASON_SERVER_SENT_ERROR, false},
		{PROTO_ERR_TLS_REQUIRED, QDEVICE_NET_REASON_SERVER_SENT_ERROR, false},
	};
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		struct fixture x;
		struct msg m;
		fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_UNSUPPORTED);
		qdevice_net_connect_begin(&x.n);
		qdevice_net_tcp_connected(&x.n);
		recv_preinit_reply(&x, 1, PROTO_TLS_UNSUPPORTED);
		init_reply_build(&m, 2, errors[i].error);
		recv_msg(&x, &m);
		assert_int_equal(x.n.disconnect_reason, errors[i].reason);
		bool delayed;
		assert_int_equal(qdevice_net_disconnected(&x.n, QDEVICE_NET_REASON_NONE, &delayed), errors[i].reconnects);
	}

	/* Sizes, algorithm and heuristics support. */
	struct fixture x;
	struct msg m;
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_UNSUPPORTED);
	qdevice_net_connect_begin(&x.n);
	qdevice_net_tcp_connected(&x.n);
	recv_preinit_reply(&x, 1, PROTO_TLS_UNSUPPORTED);
	init_reply_build(&m, 2, 0);
	m.server_max_request_size = 1000;
	recv_msg(&x, &m);
	assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_INCOMPATIBLE_MSG_SIZE);

	fixture_init(&x, PROTO_ALGO_LMS, PROTO_TLS_UNSUPPORTED);
	qdevice_net_connect_begin(&x.n);
	qdevice_net_tcp_connected(&x.n);
	recv_preinit_reply(&x, 1, PROTO_TLS_UNSUPPORTED);
	init_reply_build(&m, 2, 0);
	m.supported_algorithms_count = 2;       /* test, ffsplit */
	recv_msg(&x, &m);
	assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_SERVER_DOESNT_SUPPORT_REQUIRED_ALGORITHM);

	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_UNSUPPORTED);
	x.cfg.heuristics.mode = QDEVICE_HEURISTICS_MODE_SYNC;
	qdevice_net_connect_begin(&x.n);
	qdevice_net_tcp_connected(&x.n);
	recv_preinit_reply(&x, 1, PROTO_TLS_UNSUPPORTED);
	init_reply_build(&m, 2, 0);
	m.supported_options_count = 22;         /* options 0..21: no heuristics */
	recv_msg(&x, &m);
	assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_SERVER_DOESNT_SUPPORT_REQUIRED_OPT);

	/* Without option 23 no SET_OPTION is sent. */
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_UNSUPPORTED);
	membership(&x, 5, true);
	qdevice_net_connect_begin(&x.n);
	qdevice_net_tcp_connected(&x.n);
	recv_preinit_reply(&x, 1, PROTO_TLS_UNSUPPORTED);
	init_reply_build(&m, 2, 0);
	m.supported_options_count = 23;
	recv_msg(&x, &m);
	size_t before = x.f.sent_count;
	qdevice_net_heuristics_result(&x.n, QDEVICE_NET_HEURISTICS_CONNECT, QDEVICE_HEURISTICS_RESULT_DISABLED);
	assert_int_equal(x.f.sent_count, before + 3);
	assert_int_equal(x.f.sent[before].type, PROTO_MSG_NODE_LIST);
	assert_false(x.f.sent[before + 1].has_heuristics);
}

/*
 * doc/qdevice-state-machine.md §7: votes with a valid ring id reach votequorum at once, stale ones are
 * ignored.
 */
static void test_votes_and_polls(void **state)
{
	(void)state;
	struct fixture x;
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	membership(&x, 5, true);
	connect_tls(&x);
	assert_int_equal(x.f.polls, 0);

	struct proto_ring_id good = {.node_id = 1, .seq = 5}, stale = {.node_id = 1, .seq = 4};
	recv_vote(&x, PROTO_MSG_NODE_LIST_REPLY, 6, PROTO_VOTE_ACK, &stale);
	assert_int_equal(x.f.polls, 0);
	recv_vote(&x, PROTO_MSG_NODE_LIST_REPLY, 6, PROTO_VOTE_ACK, &good);
	assert_int_equal(x.f.polls, 1);
	assert_true(x.f.last_cast);
	assert_int_equal(x.f.last_poll_ring.seq, 5);
	assert_true(x.f.armed[QDEVICE_NET_TIMER_CAST_VOTE]);
	assert_int_equal(x.f.interval[QDEVICE_NET_TIMER_CAST_VOTE], 5000);

	/* The timer polls with the stored vote and re-arms. */
	qdevice_net_timer_expired(&x.n, QDEVICE_NET_TIMER_CAST_VOTE);
	assert_int_equal(x.f.polls, 2);
	assert_true(x.f.armed[QDEVICE_NET_TIMER_CAST_VOTE]);

	/* VOTE_INFO: NACK is polled at once and answered with the same seq. */
	size_t before = x.f.sent_count;
	recv_vote(&x, PROTO_MSG_VOTE_INFO, 77, PROTO_VOTE_NACK, &good);
	assert_int_equal(x.f.polls, 3);
	assert_false(x.f.last_cast);
	assert_int_equal(x.f.sent_count, before + 1);
	assert_int_equal(last_sent(&x)->type, PROTO_MSG_VOTE_INFO_REPLY);
	assert_int_equal(last_sent(&x)->seq, 77);

	/* ASK_LATER stops the polls. */
	recv_vote(&x, PROTO_MSG_ASK_FOR_VOTE_REPLY, 8, PROTO_VOTE_ASK_LATER, &good);
	assert_false(x.f.armed[QDEVICE_NET_TIMER_CAST_VOTE]);

	/* An old-ring poll answer is not an error; any other failure forces the exit. */
	x.f.poll_result = 1;
	recv_vote(&x, PROTO_MSG_NODE_LIST_REPLY, 9, PROTO_VOTE_ACK, &good);
	assert_false(x.n.disconnect_scheduled);
	x.f.poll_result = -1;
	qdevice_net_timer_expired(&x.n, QDEVICE_NET_TIMER_CAST_VOTE);
	assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_CANT_SCHEDULE_VOTING_TIMER);
	bool delayed;
	assert_false(qdevice_net_disconnected(&x.n, QDEVICE_NET_REASON_NONE, &delayed));
}

/*
 * A quorum notification repeats the standing vote at once: corosync 3.1.7 can re-apply a stale
 * nodeinfo that casts the device's vote at the end of the sync, after this node withdrew it.
 */
static void test_quorum_notification_repolls(void **state)
{
	(void)state;
	struct fixture x;
	connected_with_ack(&x);
	struct proto_ring_id r6 = {.node_id = 1, .seq = 6};
	assert_int_equal(x.f.polls, 1);
	assert_true(x.f.last_cast);

	/* A new ring: while the membership list waits for its reply, nothing is polled. */
	uint32_t ids[1] = {1};
	struct qdevice_net_quorum_node q[2] = {{1, PROTO_NODE_STATE_MEMBER}, {2, PROTO_NODE_STATE_DEAD}};
	qdevice_net_votequorum_node_list(&x.n, &r6, ids, 1);
	qdevice_net_heuristics_result(&x.n, QDEVICE_NET_HEURISTICS_MEMBERSHIP, QDEVICE_HEURISTICS_RESULT_DISABLED);
	int polls = x.f.polls;
	/* qnetd gives the vote to the other side: withdrawn at once for the new ring. */
	recv_vote(&x, PROTO_MSG_NODE_LIST_REPLY, 7, PROTO_VOTE_NACK, &r6);
	assert_int_equal(x.f.polls, polls + 1);
	assert_false(x.f.last_cast);
	/* The sync ends: the quorum notification polls the NACK again, for the same ring. */
	qdevice_net_votequorum_quorum(&x.n, false, q, 2);
	assert_int_equal(x.f.polls, polls + 2);
	assert_false(x.f.last_cast);
	assert_int_equal(x.f.last_poll_ring.seq, 6);

	/* Without a standing vote (waiting for qnetd's reply) a notification polls nothing. */
	uint32_t both[2] = {1, 2};
	struct proto_ring_id r7 = {.node_id = 1, .seq = 7};
	qdevice_net_votequorum_node_list(&x.n, &r7, both, 2);
	qdevice_net_heuristics_result(&x.n, QDEVICE_NET_HEURISTICS_MEMBERSHIP, QDEVICE_HEURISTICS_RESULT_DISABLED);
	polls = x.f.polls;
	qdevice_net_votequorum_quorum(&x.n, true, q, 2);
	assert_int_equal(x.f.polls, polls);
}

/* How many VOTE_INFO_REPLY messages with seq went out. */
static size_t replies_with_seq(const struct fixture *x, uint32_t seq)
{
	size_t c = 0;
	for (size_t i = 0; i < x->f.sent_count; i++)
		if (x->f.sent[i].type == PROTO_MSG_VOTE_INFO_REPLY && x->f.sent[i].seq == seq)
			c++;
	return c;
}

/*
 * doc/qdevice-state-machine.md §7.4: the answer to a VOTE_INFO(NACK) tells qnetd this node no longer
 * counts the device's vote, so it waits until corosync says so (or sync_timeout passes).
 */
static void test_nack_answer_waits_for_corosync(void **state)
{
	(void)state;
	struct fixture x;
	connected_with_ack(&x);
	struct proto_ring_id r5 = {.node_id = 1, .seq = 5};
	assert_true(x.f.last_cast);

	/* corosync still counts the vote (its ring is re-forming): polled at once, answered later. */
	x.f.withdrawn = 0;
	x.f.mono_ms = 1000;
	log_capture_clear();
	recv_vote(&x, PROTO_MSG_VOTE_INFO, 77, PROTO_VOTE_NACK, &r5);
	assert_false(x.f.last_cast);
	assert_int_equal(replies_with_seq(&x, 77), 0);
	assert_true(x.n.nack_reply_pending);
	assert_true(x.f.armed[QDEVICE_NET_TIMER_NACK_REPLY]);
	assert_int_equal(x.f.interval[QDEVICE_NET_TIMER_NACK_REPLY], 30000);
	assert_int_equal(x.n.counters.nack_replies_waited, 1);

	/* Neither a poll nor a notification that still shows the vote counted releases it; nor does -1. */
	qdevice_net_timer_expired(&x.n, QDEVICE_NET_TIMER_CAST_VOTE);
	struct qdevice_net_quorum_node q[2] = {{1, PROTO_NODE_STATE_MEMBER}, {2, PROTO_NODE_STATE_MEMBER}};
	qdevice_net_votequorum_quorum(&x.n, true, q, 2);
	x.f.withdrawn = -1;
	qdevice_net_timer_expired(&x.n, QDEVICE_NET_TIMER_CAST_VOTE);
	assert_int_equal(replies_with_seq(&x, 77), 0);

	/* The new ring's sync ends without quorum: the notification re-polls, then the answer goes. */
	x.f.withdrawn = 1;
	x.f.mono_ms = 5200;
	qdevice_net_votequorum_quorum(&x.n, false, q, 2);
	assert_int_equal(replies_with_seq(&x, 77), 1);
	assert_false(x.n.nack_reply_pending);
	assert_false(x.f.armed[QDEVICE_NET_TIMER_NACK_REPLY]);
	assert_int_equal(log_capture_find("Answering VOTE_INFO seq 77 (NACK) after 4200 ms"), LOG_INFO);

	/* A later cast-vote poll alone also releases a waiting answer. */
	x.f.withdrawn = 0;
	recv_vote(&x, PROTO_MSG_VOTE_INFO, 78, PROTO_VOTE_NACK, &r5);
	assert_int_equal(replies_with_seq(&x, 78), 0);
	x.f.withdrawn = 1;
	qdevice_net_timer_expired(&x.n, QDEVICE_NET_TIMER_CAST_VOTE);
	assert_int_equal(replies_with_seq(&x, 78), 1);

	/* Already applied: answered at once, nothing waits. */
	recv_vote(&x, PROTO_MSG_VOTE_INFO, 79, PROTO_VOTE_NACK, &r5);
	assert_int_equal(replies_with_seq(&x, 79), 1);
	assert_false(x.n.nack_reply_pending);
	assert_int_equal(x.n.counters.nack_replies_waited, 2);

	/* The bound: sync_timeout passes with corosync still counting; answered anyway, and said so. */
	x.f.withdrawn = 0;
	recv_vote(&x, PROTO_MSG_VOTE_INFO, 80, PROTO_VOTE_NACK, &r5);
	assert_int_equal(replies_with_seq(&x, 80), 0);
	qdevice_net_timer_expired(&x.n, QDEVICE_NET_TIMER_NACK_REPLY);
	assert_int_equal(replies_with_seq(&x, 80), 1);
	assert_int_equal(x.n.counters.nack_replies_unapplied, 1);
	assert_int_equal(log_capture_find("corosync has not applied the NACK of VOTE_INFO seq 80 within sync_timeout"),
			 LOG_NOTICE);

	/* A newer vote from qnetd makes a waiting answer moot: it goes before the newer one's. */
	recv_vote(&x, PROTO_MSG_VOTE_INFO, 81, PROTO_VOTE_NACK, &r5);
	recv_vote(&x, PROTO_MSG_VOTE_INFO, 82, PROTO_VOTE_ACK, &r5);
	assert_int_equal(replies_with_seq(&x, 81), 1);
	assert_int_equal(replies_with_seq(&x, 82), 1);
	assert_int_equal(x.f.sent[x.f.sent_count - 2].seq, 81);
	assert_false(x.n.nack_reply_pending);
	/* A stale VOTE_INFO is NO_CHANGE: answered at once, as before. */
	struct proto_ring_id r4 = {.node_id = 1, .seq = 4};
	recv_vote(&x, PROTO_MSG_VOTE_INFO, 83, PROTO_VOTE_NACK, &r4);
	assert_int_equal(replies_with_seq(&x, 83), 1);

	/* A disconnect drops a waiting answer: it belonged to that connection. */
	recv_vote(&x, PROTO_MSG_VOTE_INFO, 84, PROTO_VOTE_NACK, &r5);
	assert_true(x.n.nack_reply_pending);
	bool delayed;
	assert_true(qdevice_net_disconnected(&x.n, QDEVICE_NET_REASON_SERVER_CLOSED_CONNECTION, &delayed));
	assert_false(x.n.nack_reply_pending);
	assert_false(x.f.armed[QDEVICE_NET_TIMER_NACK_REPLY]);
	assert_int_equal(replies_with_seq(&x, 84), 0);
}

/* Without a vote_withdrawn callback a NACK is answered at once (upstream's behaviour). */
static void test_nack_answer_without_callback(void **state)
{
	(void)state;
	struct fixture x;
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	x.n.io.vote_withdrawn = NULL;
	membership(&x, 5, true);
	connect_tls(&x);
	struct proto_ring_id r5 = {.node_id = 1, .seq = 5};
	recv_vote(&x, PROTO_MSG_VOTE_INFO, 9, PROTO_VOTE_NACK, &r5);
	assert_int_equal(replies_with_seq(&x, 9), 1);
	assert_false(x.n.nack_reply_pending);
}

/* Vote replies are only accepted when connected, and need their options. */
static void test_vote_reply_requirements(void **state)
{
	(void)state;
	struct fixture x;
	struct proto_ring_id r = {.node_id = 1, .seq = 5};
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	qdevice_net_connect_begin(&x.n);
	qdevice_net_tcp_connected(&x.n);
	recv_vote(&x, PROTO_MSG_VOTE_INFO, 1, PROTO_VOTE_ACK, &r);
	assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_UNEXPECTED_MSG);

	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	membership(&x, 5, true);
	connect_tls(&x);
	struct msg m;
	msg_init(&m, PROTO_MSG_HEURISTICS_CHANGE_REPLY);
	m.seq_number = 1;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	m.vote = PROTO_VOTE_ACK;
	msg_set_present(&m, PROTO_OPT_VOTE);
	m.ring_id = r;
	msg_set_present(&m, PROTO_OPT_RING_ID);     /* no heuristics option */
	recv_msg(&x, &m);
	assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_REQUIRED_OPTION_MISSING);
	assert_int_equal(x.f.polls, 0);

	/* Client-to-server messages coming back are unexpected. */
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	membership(&x, 5, true);
	connect_tls(&x);
	msg_init(&m, PROTO_MSG_ECHO_REQUEST);
	m.seq_number = 1;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	recv_msg(&x, &m);
	assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_UNEXPECTED_MSG);

	/* SERVER_ERROR ends the daemon. */
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	membership(&x, 5, true);
	connect_tls(&x);
	msg_init(&m, PROTO_MSG_SERVER_ERROR);
	m.reply_error_code = PROTO_ERR_UNEXPECTED_MESSAGE;
	msg_set_present(&m, PROTO_OPT_REPLY_ERROR_CODE);
	recv_msg(&x, &m);
	assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_SERVER_SENT_ERROR);
}

/* doc/qdevice-state-machine.md §6, §12: echo requests, replies and the missing-reply rule per algorithm. */
static void test_echo(void **state)
{
	(void)state;
	struct fixture x;
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	membership(&x, 5, true);
	connect_tls(&x);

	x.f.mono_ms = 70000;
	qdevice_net_timer_expired(&x.n, QDEVICE_NET_TIMER_ECHO);
	assert_int_equal(last_sent(&x)->type, PROTO_MSG_ECHO_REQUEST);
	assert_int_equal(last_sent(&x)->seq, 1);
	uint32_t main_seq = x.n.seq;
	assert_false(x.n.echo_rtt_set);

	struct msg m;
	msg_init(&m, PROTO_MSG_ECHO_REPLY);
	m.seq_number = 1;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	x.f.now = 2000;
	x.f.mono_ms = 70042;
	recv_msg(&x, &m);
	assert_int_equal(x.n.echo_reply_time, 2000);
	assert_true(x.n.echo_rtt_set);
	assert_int_equal(x.n.echo_rtt_ms, 42);
	qdevice_net_timer_expired(&x.n, QDEVICE_NET_TIMER_ECHO);
	assert_int_equal(last_sent(&x)->seq, 2);
	assert_int_equal(x.n.seq, main_seq);    /* echo has its own counter */

	/* No reply before the next tick: reconnect. */
	qdevice_net_timer_expired(&x.n, QDEVICE_NET_TIMER_ECHO);
	assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_ALGO_ECHO_REPLY_NOT_RECEIVED_ERR);
	bool delayed;
	assert_true(qdevice_net_disconnected(&x.n, QDEVICE_NET_REASON_NONE, &delayed));
	assert_true(delayed);

	/* A reply with a wrong seq ends ffsplit. */
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	membership(&x, 5, true);
	connect_tls(&x);
	qdevice_net_timer_expired(&x.n, QDEVICE_NET_TIMER_ECHO);
	m.seq_number = 9;
	recv_msg(&x, &m);
	assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_ALGO_ECHO_REPLY_RECEIVED_ERR);
	assert_false(qdevice_net_disconnected(&x.n, QDEVICE_NET_REASON_NONE, &delayed));

	/* lms, quorate with wait_for_all: keeps going without the server. */
	fixture_init(&x, PROTO_ALGO_LMS, PROTO_TLS_SUPPORTED);
	x.cfg.wait_for_all = true;
	membership(&x, 5, true);
	connect_tls(&x);
	qdevice_net_timer_expired(&x.n, QDEVICE_NET_TIMER_ECHO);
	size_t sent = x.f.sent_count;
	qdevice_net_timer_expired(&x.n, QDEVICE_NET_TIMER_ECHO);
	assert_false(x.n.disconnect_scheduled);
	assert_int_equal(x.f.sent_count, sent);
	assert_true(x.f.armed[QDEVICE_NET_TIMER_ECHO]);
}

/*
 * doc/qdevice-state-machine.md §10: what each algorithm votes when the connection ends, and the reconnect
 * rules.
 */
static void test_disconnect_per_algorithm(void **state)
{
	(void)state;
	struct fixture x;
	struct proto_ring_id r = {.node_id = 1, .seq = 5};
	bool delayed;

	/* ffsplit: NACK at once. */
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	membership(&x, 5, true);
	connect_tls(&x);
	recv_vote(&x, PROTO_MSG_NODE_LIST_REPLY, 6, PROTO_VOTE_ACK, &r);
	int polls = x.f.polls;
	qdevice_net_schedule_disconnect(&x.n, QDEVICE_NET_REASON_SERVER_CLOSED_CONNECTION);
	assert_int_equal(qdevice_net_link(&x.n), QDEVICE_NET_LINK_DISCONNECTED);
	assert_true(qdevice_net_disconnected(&x.n, QDEVICE_NET_REASON_NONE, &delayed));
	assert_int_equal(x.f.polls, polls + 1);
	assert_false(x.f.last_cast);
	assert_false(x.f.armed[QDEVICE_NET_TIMER_ECHO]);
	assert_int_equal(x.n.state, QDEVICE_NET_WAITING_CONNECT);
	assert_int_equal(qdevice_net_link(&x.n), QDEVICE_NET_LINK_CONNECT_FAILED);

	/* 2nodelms: keeps the vote until a local event. */
	fixture_init(&x, PROTO_ALGO_2NODELMS, PROTO_TLS_SUPPORTED);
	membership(&x, 5, true);
	connect_tls(&x);
	recv_vote(&x, PROTO_MSG_NODE_LIST_REPLY, 6, PROTO_VOTE_ACK, &r);
	assert_true(qdevice_net_disconnected(&x.n, QDEVICE_NET_REASON_SERVER_CLOSED_CONNECTION, &delayed));
	assert_int_equal(x.n.vote, PROTO_VOTE_ACK);
	struct qdevice_net_quorum_node q[2] = {{1, 1}, {2, 2}};
	qdevice_net_votequorum_quorum(&x.n, true, q, 2);
	assert_int_equal(x.n.vote, PROTO_VOTE_NACK);

	/* lms: reconnects even after a fatal reason, keeps ACK when quorate with wait_for_all. */
	fixture_init(&x, PROTO_ALGO_LMS, PROTO_TLS_SUPPORTED);
	x.cfg.wait_for_all = true;
	membership(&x, 5, true);
	connect_tls(&x);
	recv_vote(&x, PROTO_MSG_NODE_LIST_REPLY, 6, PROTO_VOTE_ACK, &r);
	assert_true(qdevice_net_disconnected(&x.n, QDEVICE_NET_REASON_SERVER_SENT_ERROR, &delayed));
	assert_int_equal(x.n.vote, PROTO_VOTE_ACK);
	/* ... but never after the force-exit reasons. */
	assert_false(qdevice_net_disconnected(&x.n, QDEVICE_NET_REASON_LOCAL_SOCKET_CLOSED, &delayed));

	/* A failed connect reconnects without the random delay. */
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	qdevice_net_connect_begin(&x.n);
	qdevice_net_connect_failed(&x.n);
	assert_int_equal(qdevice_net_link(&x.n), QDEVICE_NET_LINK_CONNECT_FAILED);
	qdevice_net_timer_expired(&x.n, QDEVICE_NET_TIMER_CONNECT);
	assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_CANT_CONNECT_TO_THE_SERVER);
	assert_true(qdevice_net_disconnected(&x.n, QDEVICE_NET_REASON_NONE, &delayed));
	assert_false(delayed);
	/* Before any server decision, ffsplit's disconnect starts NACK polls
	 * (doc/qdevice-state-machine.md §7.1). */
	assert_int_equal(x.n.vote, PROTO_VOTE_NACK);
	assert_true(x.f.armed[QDEVICE_NET_TIMER_CAST_VOTE]);
}

/* doc/protocol.md §5.2: the counter is never reset; PREINIT reuses the current value. */
static void test_seq_never_resets(void **state)
{
	(void)state;
	struct fixture x;
	bool delayed;
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	membership(&x, 5, true);
	connect_tls(&x);
	struct proto_ring_id r = {.node_id = 1, .seq = 5};
	recv_vote(&x, PROTO_MSG_NODE_LIST_REPLY, 6, PROTO_VOTE_ACK, &r);
	uint32_t seq = x.n.seq;
	assert_int_equal(seq, 7);
	qdevice_net_disconnected(&x.n, QDEVICE_NET_REASON_SERVER_CLOSED_CONNECTION, &delayed);
	qdevice_net_connect_begin(&x.n);
	qdevice_net_tcp_connected(&x.n);
	assert_int_equal(last_sent(&x)->type, PROTO_MSG_PREINIT);
	assert_int_equal(last_sent(&x)->seq, 7);
	recv_preinit_reply(&x, 7, PROTO_TLS_SUPPORTED);
	assert_int_equal(last_sent(&x)->seq, 8);
	assert_false(x.n.tls_active);
}

/* doc/qdevice-state-machine.md §7.3, §8: a membership change while connected. */
static void test_membership_change_connected(void **state)
{
	(void)state;
	struct fixture x;
	connected_with_ack(&x);
	struct proto_ring_id r5 = {.node_id = 1, .seq = 5};
	int polls = x.f.polls;

	uint32_t ids[1] = {1};
	struct proto_ring_id r8 = {.node_id = 1, .seq = 8};
	size_t sent = x.f.sent_count;
	qdevice_net_votequorum_node_list(&x.n, &r8, ids, 1);
	assert_true(x.n.vote_paused);
	assert_true(x.n.sync_in_progress);
	assert_int_equal(x.f.heur_starts[QDEVICE_NET_HEURISTICS_MEMBERSHIP], 2);
	assert_int_equal(x.f.last_heur_timeout, 15000);
	assert_int_equal(x.f.sent_count, sent);
	/* Paused: the timer skips its polls. */
	qdevice_net_timer_expired(&x.n, QDEVICE_NET_TIMER_CAST_VOTE);
	assert_int_equal(x.f.polls, polls);

	qdevice_net_heuristics_result(&x.n, QDEVICE_NET_HEURISTICS_MEMBERSHIP, QDEVICE_HEURISTICS_RESULT_DISABLED);
	assert_int_equal(last_sent(&x)->list_type, PROTO_NODE_LIST_MEMBERSHIP);
	assert_int_equal(last_sent(&x)->ring_id.seq, 8);
	assert_int_equal(last_sent(&x)->node_count, 1);
	assert_false(x.n.vote_paused);
	assert_int_equal(x.n.vote, PROTO_VOTE_WAIT_FOR_REPLY);
	/* A reply for the old ring is now stale; the new ring's ACK polls with ring 8. */
	recv_vote(&x, PROTO_MSG_NODE_LIST_REPLY, 7, PROTO_VOTE_ACK, &r5);
	assert_int_equal(x.f.polls, polls);
	recv_vote(&x, PROTO_MSG_NODE_LIST_REPLY, 7, PROTO_VOTE_ACK, &r8);
	assert_int_equal(x.f.polls, polls + 1);
	assert_int_equal(x.f.last_poll_ring.seq, 8);

	struct qdevice_net_quorum_node q[2] = {{1, PROTO_NODE_STATE_MEMBER}, {2, PROTO_NODE_STATE_DEAD}};
	qdevice_net_votequorum_quorum(&x.n, false, q, 2);
	assert_false(x.n.sync_in_progress);
	assert_int_equal(last_sent(&x)->list_type, PROTO_NODE_LIST_QUORUM);
	assert_int_equal(last_sent(&x)->node_states[1], PROTO_NODE_STATE_DEAD);
}

/* doc/qdevice-state-machine.md §8: while not connected, an ACK is withdrawn at each local event. */
static void test_local_events_disconnected(void **state)
{
	(void)state;
	struct fixture x;
	fixture_init(&x, PROTO_ALGO_2NODELMS, PROTO_TLS_SUPPORTED);
	membership(&x, 5, true);
	x.n.vote = PROTO_VOTE_ACK;
	uint32_t ids[1] = {1};
	struct proto_ring_id r = {.node_id = 1, .seq = 9};
	qdevice_net_votequorum_node_list(&x.n, &r, ids, 1);
	assert_int_equal(x.n.vote, PROTO_VOTE_NACK);
	assert_false(x.f.last_cast);
	assert_int_equal(x.f.last_poll_ring.seq, 9);
	qdevice_net_heuristics_result(&x.n, QDEVICE_NET_HEURISTICS_MEMBERSHIP, QDEVICE_HEURISTICS_RESULT_DISABLED);
	assert_false(x.n.vote_paused);
	assert_true(x.n.initial_heuristics_done);

	/* A standing NACK is polled for the next ring at once: that ring's sync waits for a poll. */
	int polls = x.f.polls;
	struct proto_ring_id r10 = {.node_id = 1, .seq = 10};
	qdevice_net_votequorum_node_list(&x.n, &r10, ids, 1);
	assert_int_equal(x.f.polls, polls + 1);
	assert_false(x.f.last_cast);
	assert_int_equal(x.f.last_poll_ring.seq, 10);
	qdevice_net_heuristics_result(&x.n, QDEVICE_NET_HEURISTICS_MEMBERSHIP, QDEVICE_HEURISTICS_RESULT_DISABLED);

	x.n.vote = PROTO_VOTE_ACK;
	qdevice_net_config_node_list_changed(&x.n);
	assert_int_equal(x.n.vote, PROTO_VOTE_NACK);
	assert_int_equal(x.f.votes_checks, 0);  /* only ffsplit checks votes */
}

/*
 * doc/qdevice-state-machine.md §9.2, §12: regular heuristics while connected, and ffsplit's votes check
 * on changes.
 */
static void test_regular_heuristics_and_votes_check(void **state)
{
	(void)state;
	struct fixture x;
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);
	x.cfg.heuristics.mode = QDEVICE_HEURISTICS_MODE_ON;
	membership(&x, 5, true);
	assert_true(x.f.armed[QDEVICE_NET_TIMER_REGULAR_HEURISTICS]);
	assert_int_equal(x.f.interval[QDEVICE_NET_TIMER_REGULAR_HEURISTICS], 30000);
	connect_tls(&x);

	qdevice_net_timer_expired(&x.n, QDEVICE_NET_TIMER_REGULAR_HEURISTICS);
	assert_int_equal(x.f.heur_starts[QDEVICE_NET_HEURISTICS_REGULAR], 1);
	size_t sent = x.f.sent_count;
	qdevice_net_heuristics_result(&x.n, QDEVICE_NET_HEURISTICS_REGULAR, QDEVICE_HEURISTICS_RESULT_FAIL);
	assert_int_equal(x.f.sent_count, sent + 1);
	assert_int_equal(last_sent(&x)->type, PROTO_MSG_HEURISTICS_CHANGE);
	assert_int_equal(last_sent(&x)->heuristics, PROTO_HEURISTICS_FAIL);
	/* Unchanged: nothing sent. */
	qdevice_net_heuristics_result(&x.n, QDEVICE_NET_HEURISTICS_REGULAR, QDEVICE_HEURISTICS_RESULT_FAIL);
	assert_int_equal(x.f.sent_count, sent + 1);
	/* A run already pending re-arms the timer. */
	x.f.heur_start_result = 1;
	x.f.armed[QDEVICE_NET_TIMER_REGULAR_HEURISTICS] = false;
	qdevice_net_timer_expired(&x.n, QDEVICE_NET_TIMER_REGULAR_HEURISTICS);
	assert_true(x.f.armed[QDEVICE_NET_TIMER_REGULAR_HEURISTICS]);

	/* Switching heuristics off stops the timer. */
	x.cfg.heuristics.mode = QDEVICE_HEURISTICS_MODE_OFF;
	qdevice_net_heuristics_config_changed(&x.n);
	assert_false(x.f.armed[QDEVICE_NET_TIMER_REGULAR_HEURISTICS]);

	/* ffsplit re-checks votes on expected-votes changes; a failure ends the daemon. */
	x.f.votes_result = -1;
	qdevice_net_votequorum_expected_votes(&x.n, 3);
	assert_int_equal(x.f.votes_checks, 1);
	assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_ALGO_VOTES_CHECK_ERR);
}

/* Config node list changes while connected go out as CHANGED_CONFIG. */
static void test_config_change_connected(void **state)
{
	(void)state;
	struct fixture x;
	fixture_init(&x, PROTO_ALGO_LMS, PROTO_TLS_SUPPORTED);
	membership(&x, 5, true);
	connect_tls(&x);
	x.cfg.node_list.count = 1;
	qdevice_net_config_node_list_changed(&x.n);
	assert_int_equal(last_sent(&x)->type, PROTO_MSG_NODE_LIST);
	assert_int_equal(last_sent(&x)->list_type, PROTO_NODE_LIST_CHANGED_CONFIG);
	assert_int_equal(last_sent(&x)->node_count, 1);

	/* A full send queue is fatal (CANT_ALLOCATE_MSG_BUFFER). */
	x.f.send_fails = true;
	qdevice_net_config_node_list_changed(&x.n);
	assert_int_equal(x.n.disconnect_reason, QDEVICE_NET_REASON_CANT_ALLOCATE_MSG_BUFFER);
}

static void test_reason_sets(void **state)
{
	(void)state;
	for (int r = QDEVICE_NET_REASON_NONE; r <= QDEVICE_NET_REASON_ALGO_VOTES_CHECK_ERR; r++) {
		assert_false(qdevice_net_reason_reconnects(r) && qdevice_net_reason_forces_exit(r));
		assert_string_not_equal(qdevice_net_reason_str(r), "unknown");
	}
	assert_true(qdevice_net_reason_reconnects(QDEVICE_NET_REASON_MSG_DECODE_ERROR));
	assert_true(qdevice_net_reason_forces_exit(QDEVICE_NET_REASON_HEURISTICS_WORKER_CLOSED));
	assert_false(qdevice_net_reason_reconnects(QDEVICE_NET_REASON_UNEXPECTED_MSG));
}

/* An attempt ends connected or failed with a reason; a connection ends with a reason too. */
static void test_connection_counters(void **state)
{
	(void)state;
	struct fixture x;
	bool delayed;
	fixture_init(&x, PROTO_ALGO_FFSPLIT, PROTO_TLS_SUPPORTED);

	connect_tls(&x);
	assert_int_equal(x.n.counters.connect_attempts, 1);
	assert_int_equal(x.n.counters.connects, 1);
	qdevice_net_disconnected(&x.n, QDEVICE_NET_REASON_SERVER_CLOSED_CONNECTION, &delayed);
	assert_int_equal(x.n.counters.disconnects[QDEVICE_NET_REASON_SERVER_CLOSED_CONNECTION], 1);

	qdevice_net_connect_begin(&x.n);
	qdevice_net_connect_failed(&x.n);
	qdevice_net_disconnected(&x.n, QDEVICE_NET_REASON_CANT_CONNECT_TO_THE_SERVER, &delayed);
	qdevice_net_connect_begin(&x.n);
	qdevice_net_tcp_connected(&x.n);
	recv_preinit_reply(&x, x.n.seq, PROTO_TLS_REQUIRED);
	qdevice_net_disconnected(&x.n, QDEVICE_NET_REASON_NONE, &delayed);
	assert_int_equal(x.n.counters.connect_attempts, 3);
	assert_int_equal(x.n.counters.connects, 1);
	assert_int_equal(x.n.counters.connect_failures[QDEVICE_NET_REASON_CANT_CONNECT_TO_THE_SERVER], 1);
	/* The scheduled reason counts when the shell passes none. */
	assert_int_equal(x.n.counters.disconnects[QDEVICE_NET_REASON_SERVER_CLOSED_CONNECTION], 1);
	uint64_t failures = 0, disconnects = 0;
	for (size_t r = 0; r < QDEVICE_NET_REASON_COUNT; r++) {
		failures += x.n.counters.connect_failures[r];
		disconnects += x.n.counters.disconnects[r];
		assert_string_not_equal(qdevice_net_reason_id((enum qdevice_net_reason)r), "unknown");
	}
	assert_int_equal(failures, 2);
	assert_int_equal(disconnects, 1);
	assert_string_equal(qdevice_net_reason_id(QDEVICE_NET_REASON_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_tls_sequence),
		cmocka_unit_test(test_tls_decision_table),
		cmocka_unit_test(test_preinit_reply_checks),
		cmocka_unit_test(test_init_reply_checks),
		cmocka_unit_test(test_votes_and_polls),
		cmocka_unit_test(test_quorum_notification_repolls),
		cmocka_unit_test(test_nack_answer_waits_for_corosync),
		cmocka_unit_test(test_nack_answer_without_callback),
		cmocka_unit_test(test_vote_reply_requirements),
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_disconnect_per_algorithm),
		cmocka_unit_test(test_seq_never_resets),
		cmocka_unit_test(test_membership_change_connected),
		cmocka_unit_test(test_local_events_disconnected),
		cmocka_unit_test(test_regular_heuristics_and_votes_check),
		cmocka_unit_test(test_config_change_connected),
		cmocka_unit_test(test_reason_sets),
		cmocka_unit_test(test_connection_counters),
	};
	log_capture_start("test_qdevice_net");
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	log_capture_stop();
	return rc;
}

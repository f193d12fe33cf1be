/* qnetd session state machine over an in-memory transport: framing, TLS gate, INIT precedence, every handler's checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "log_capture.h"
#include "msg.h"
#include "qnetd_conn.h"
#include "qnetd_settings.h"
#include "qnetd_status_json.h"
#include "tlv.h"

#define MAX_SENT 32

/* The fake transport: what the session sent and asked for. */
struct fake {
	struct msg sent[MAX_SENT];
	uint8_t *raw[MAX_SENT];
	size_t raw_len[MAX_SENT];
	size_t sent_count;
	int send_fail_after;        /* -1 = never */
	int tls_started;
	int cert_ok;
	const char *cert_name;      /* when set, the certificate is valid for this name only */
	int dpd_restarts;
	uint64_t now_ms;            /* the clock the session's log rate limit reads */
	const struct qnetd_conn *full_conn; /* sends to this connection fail (its queue is full) */
	bool discard;               /* accept sends without keeping them (many clients) */
	const struct qnetd_conn *scheduled[8]; /* disconnect_scheduled calls, in order */
	size_t scheduled_count;
	const struct qnetd_conn *sent_to[MAX_SENT]; /* the connection of each sent message */
	int rate_timer_calls;       /* rate_timer_start: how often, and the last one */
	const struct qnetd_conn *rate_timer_conn;
	uint64_t rate_timer_ms;
};

static int fake_send(void *ctx, struct qnetd_conn *conn, const uint8_t *buf, size_t len)
{
	struct fake *f = ctx;
	struct msg_decode_error err;
	if (f->send_fail_after >= 0 && (int)f->sent_count >= f->send_fail_after)
		return -1;
	if (conn == f->full_conn)
		return -1;
	if (f->discard)
		return 0;
	assert_true(f->sent_count < MAX_SENT);
	f->raw[f->sent_count] = malloc(len);
	memcpy(f->raw[f->sent_count], buf, len);
	f->raw_len[f->sent_count] = len;
	f->sent_to[f->sent_count] = conn;
	assert_int_equal(msg_decode(buf, len, &f->sent[f->sent_count], &err), 0);
	f->sent_count++;
	return 0;
}

static int fake_start_tls(void *ctx, struct qnetd_conn *conn)
{
	(void)conn;
	((struct fake *)ctx)->tls_started++;
	return 0;
}

static int fake_verify(void *ctx, struct qnetd_conn *conn, const uint8_t *name, size_t len)
{
	struct fake *f = ctx;
	(void)conn;
	if (f->cert_name != NULL && (len != strlen(f->cert_name) || memcmp(name, f->cert_name, len) != 0))
		return -1;
	return f->cert_ok ? 0 : -1;
}

static void fake_dpd(void *ctx, struct qnetd_conn *conn)
{
	(void)conn;
	((struct fake *)ctx)->dpd_restarts++;
}

static void fake_timer_start(void *ctx, struct qnetd_conn *conn, uint32_t ms)
{
	(void)ctx;
	(void)conn;
	(void)ms;
}

static void fake_timer_stop(void *ctx, struct qnetd_conn *conn)
{
	(void)ctx;
	(void)conn;
}

static uint64_t fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now_ms;
}

static void fake_disconnect_scheduled(void *ctx, struct qnetd_conn *conn)
{
	struct fake *f = ctx;
	assert_true(f->scheduled_count < sizeof(f->scheduled) / sizeof(f->scheduled[0]));
	f->scheduled[f->scheduled_count++] = conn;
}

static void fake_rate_timer(void *ctx, struct qnetd_conn *conn, uint64_t ms)
{
	struct fake *f = ctx;
	f->rate_timer_calls++;
	f->rate_timer_conn = conn;
	f->rate_timer_ms = ms;
}

static const struct qnetd_session_ops fake_ops = {
	.send = fake_send,
	.start_tls = fake_start_tls,
	.verify_client_cert = fake_verify,
	.dpd_restart = fake_dpd,
	.algo_timer_start = fake_timer_start,
	.algo_timer_stop = fake_timer_stop,
	.now_ms = fake_now,
	.disconnect_scheduled = fake_disconnect_scheduled,
	.rate_timer_start = fake_rate_timer,
};

struct fixture {
	struct qnetd_settings settings;
	struct qnetd_server srv;
	struct fake fake;
	struct qnetd_conn conn;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	qnetd_settings_init(&fx->settings);
	fx->fake.send_fail_after = -1;
	fx->fake.cert_ok = 1;
	qnetd_server_init(&fx->srv, &fx->settings, &fake_ops, &fx->fake);
	qnetd_conn_init(&fx->srv, &fx->conn, "192.0.2.1:1234");
	*state = fx;
	return 0;
}

static void clear_sent(struct fake *f)
{
	for (size_t i = 0; i < f->sent_count; i++) {
		msg_destroy(&f->sent[i]);
		free(f->raw[i]);
	}
	f->sent_count = 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	qnetd_conn_disconnect(&fx->srv, &fx->conn);
	qnetd_conn_destroy(&fx->conn);
	qnetd_server_destroy(&fx->srv);
	clear_sent(&fx->fake);
	qnetd_settings_destroy(&fx->settings);
	free(fx);
	return 0;
}

static void feed(struct fixture *fx, const struct msg *m)
{
	uint8_t buf[2048];
	long n = msg_encode(m, buf, sizeof(buf));
	assert_true(n > 0);
	/* One byte at a time: framing must not depend on how reads split the stream. */
	for (long i = 0; i < n; i++)
		assert_int_equal(qnetd_conn_input(&fx->srv, &fx->conn, buf + i, 1), 1);
}

static void feed_raw(struct fixture *fx, const uint8_t *buf, size_t len)
{
	assert_int_equal(qnetd_conn_input(&fx->srv, &fx->conn, buf, len), len);
}

static const struct msg *last_sent(struct fixture *fx)
{
	assert_true(fx->fake.sent_count > 0);
	return &fx->fake.sent[fx->fake.sent_count - 1];
}

static void assert_server_error(struct fixture *fx, uint16_t code, bool with_seq, uint32_t seq)
{
	const struct msg *r = last_sent(fx);
	assert_int_equal(r->type, PROTO_MSG_SERVER_ERROR);
	assert_int_equal(r->reply_error_code, code);
	assert_int_equal(msg_has(r, PROTO_OPT_MSG_SEQ_NUMBER), with_seq);
	if (with_seq)
		assert_int_equal(r->seq_number, seq);
}

static void send_preinit(struct fixture *fx, const char *name)
{
	struct msg m;
	msg_init(&m, PROTO_MSG_PREINIT);
	m.seq_number = 1;
	m.cluster_name = (const uint8_t *)name;
	m.cluster_name_len = strlen(name);
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	msg_set_present(&m, PROTO_OPT_CLUSTER_NAME);
	feed(fx, &m);
}

/* A complete, valid INIT; `drop` removes one option to test the precedence rules. */
static void build_init(struct msg *m, uint32_t node_id, uint32_t hb)
{
	static const uint16_t msgs[] = {0, 1, 2};
	msg_init(m, PROTO_MSG_INIT);
	m->seq_number = 3;
	m->supported_messages = msgs;
	m->supported_messages_count = 3;
	m->node_id = node_id;
	m->algorithm = PROTO_ALGO_FFSPLIT;
	m->heartbeat_interval = hb;
	m->tie_breaker.mode = PROTO_TIE_BREAKER_LOWEST;
	m->ring_id.node_id = 1;
	m->ring_id.seq = 0x24;
	msg_set_present(m, PROTO_OPT_MSG_SEQ_NUMBER);
	msg_set_present(m, PROTO_OPT_SUPPORTED_MESSAGES);
	msg_set_present(m, PROTO_OPT_NODE_ID);
	msg_set_present(m, PROTO_OPT_DECISION_ALGORITHM);
	msg_set_present(m, PROTO_OPT_HEARTBEAT_INTERVAL);
	msg_set_present(m, PROTO_OPT_TIE_BREAKER);
	msg_set_present(m, PROTO_OPT_RING_ID);
}

static void test_preinit_reply(void **state)
{
	struct fixture *fx = *state;
	send_preinit(fx, "mycluster");
	const struct msg *r = last_sent(fx);
	assert_int_equal(r->type, PROTO_MSG_PREINIT_REPLY);
	assert_int_equal(r->seq_number, 1);
	assert_int_equal(r->tls_supported, PROTO_TLS_SUPPORTED);
	assert_int_equal(r->tls_client_cert_required, 1);
	/* Byte-identical to the preinit_reply vector of tests/data/vectors/message-vectors.txt. */
	const uint8_t expected[] = {0x00, 0x01, 0x00, 0x00, 0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
				    0x00, 0x01, 0x00, 0x02, 0x00, 0x01, 0x01, 0x00, 0x03, 0x00, 0x01, 0x01};
	assert_int_equal(fx->fake.raw_len[0], sizeof(expected));
	assert_memory_equal(fx->fake.raw[0], expected, sizeof(expected));
}

static void test_preinit_without_name(void **state)
{
	struct fixture *fx = *state;
	struct msg m;
	msg_init(&m, PROTO_MSG_PREINIT);
	m.seq_number = 4;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	feed(fx, &m);
	assert_server_error(fx, PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION, true, 4);
	assert_int_equal(fx->conn.phase, QNETD_CONN_NEW);
}

static void test_init_success_reply_bytes(void **state)
{
	struct fixture *fx = *state;
	struct msg m;
	send_preinit(fx, "c");
	build_init(&m, 1, 8000);
	feed(fx, &m);
	const struct msg *r = last_sent(fx);
	assert_int_equal(r->type, PROTO_MSG_INIT_REPLY);
	assert_int_equal(r->reply_error_code, 0);
	assert_true(msg_has(r, PROTO_OPT_SUPPORTED_MESSAGES));
	assert_false(msg_has(r, PROTO_OPT_SUPPORTED_OPTIONS)); /* only if the INIT carried it */
	assert_int_equal(r->server_max_request_size, 32768);
	assert_int_equal(r->supported_algorithms_count, 4);
	assert_int_equal(fx->conn.phase, QNETD_CONN_JOINED);
	assert_int_equal(fx->srv.clusters.count, 1);
	assert_int_equal(fx->conn.dpd_interval_ms, 12000);
	assert_true(fx->fake.dpd_restarts > 0);
}

/* doc/protocol.md §6.4: later checks overwrite earlier codes. */
static void test_init_precedence(void **state)
{
	struct fixture *fx = *state;
	struct msg m;

	/* No PREINIT and a bad heartbeat: 13, not 6. */
	build_init(&m, 1, 999);
	feed(fx, &m);
	assert_int_equal(last_sent(fx)->reply_error_code, PROTO_ERR_INVALID_HEARTBEAT_INTERVAL);
	/* No PREINIT, all else fine: 6. */
	build_init(&m, 1, 8000);
	feed(fx, &m);
	assert_int_equal(last_sent(fx)->reply_error_code, PROTO_ERR_PREINIT_REQUIRED);
	/* Unsupported algorithm always wins: 12. */
	build_init(&m, 1, 8000);
	m.algorithm = 7;
	feed(fx, &m);
	assert_int_equal(last_sent(fx)->reply_error_code, PROTO_ERR_UNSUPPORTED_DECISION_ALGORITHM);

	send_preinit(fx, "c");
	static const enum proto_opt required[] = {PROTO_OPT_NODE_ID, PROTO_OPT_RING_ID, PROTO_OPT_HEARTBEAT_INTERVAL,
						  PROTO_OPT_TIE_BREAKER, PROTO_OPT_DECISION_ALGORITHM};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		build_init(&m, 1, 8000);
		m.present &= ~(UINT32_C(1) << required[i]);
		feed(fx, &m);
		assert_int_equal(last_sent(fx)->type, PROTO_MSG_INIT_REPLY);
		assert_int_equal(last_sent(fx)->reply_error_code, PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION);
		assert_int_not_equal(fx->conn.phase, QNETD_CONN_JOINED);
	}
	assert_int_equal(fx->srv.clusters.count, 0);
}

/*
 * A certificate checked for one cluster must not let the connection join another: PREINIT A,
 * STARTTLS, a message that makes the server check the certificate against A, PREINIT B, INIT.
 * Upstream 3.0.3 admits the client into B; the second PREINIT is refused here.
 */
static void test_preinit_after_starttls_refused(void **state)
{
	struct fixture *fx = *state;
	struct msg m;

	fx->fake.cert_name = "clusterA";
	send_preinit(fx, "clusterA");
	msg_init(&m, PROTO_MSG_STARTTLS);
	m.seq_number = 2;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	feed(fx, &m);
	assert_int_equal(fx->fake.tls_started, 1);
	msg_init(&m, PROTO_MSG_ECHO_REQUEST);
	m.seq_number = 3;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	feed(fx, &m);
	assert_true(fx->conn.cert_verified);
	assert_server_error(fx, PROTO_ERR_INIT_REQUIRED, true, 3);

	send_preinit(fx, "clusterB");
	assert_server_error(fx, PROTO_ERR_UNEXPECTED_MESSAGE, true, 1);
	assert_int_equal(fx->conn.cluster_name_len, strlen("clusterA"));
	assert_memory_equal(fx->conn.cluster_name, "clusterA", strlen("clusterA"));

	build_init(&m, 1, 8000);
	feed(fx, &m);
	assert_int_equal(last_sent(fx)->type, PROTO_MSG_INIT_REPLY);
	assert_int_equal(last_sent(fx)->reply_error_code, 0);
	assert_int_equal(fx->conn.phase, QNETD_CONN_JOINED);
	assert_int_equal(fx->conn.client.cluster->name_len, strlen("clusterA"));
	assert_memory_equal(fx->conn.client.cluster->name, "clusterA", strlen("clusterA"));
}

static void test_init_against_cluster_members(void **state)
{
	struct fixture *fx = *state;
	struct qnetd_conn other;
	struct msg m;

	send_preinit(fx, "c");
	build_init(&m, 1, 8000);
	feed(fx, &m);
	assert_int_equal(fx->conn.phase, QNETD_CONN_JOINED);

	/* A second connection of the same cluster. */
	qnetd_conn_init(&fx->srv, &other, "192.0.2.2:1");
	uint8_t buf[512];
	struct msg p;
	msg_init(&p, PROTO_MSG_PREINIT);
	p.cluster_name = (const uint8_t *)"c";
	p.cluster_name_len = 1;
	msg_set_present(&p, PROTO_OPT_CLUSTER_NAME);
	long n = msg_encode(&p, buf, sizeof(buf));
	qnetd_conn_input(&fx->srv, &other, buf, (size_t)n);

	struct {
		uint32_t node_id;
		uint8_t tb_mode;
		uint16_t algorithm;
		uint16_t expected;
	} cases[] = {
		{2, PROTO_TIE_BREAKER_HIGHEST, PROTO_ALGO_FFSPLIT, PROTO_ERR_TIE_BREAKER_DIFFERS_FROM_OTHER_NODES},
		{2, PROTO_TIE_BREAKER_LOWEST, PROTO_ALGO_LMS, PROTO_ERR_ALGORITHM_DIFFERS_FROM_OTHER_NODES},
		{1, PROTO_TIE_BREAKER_LOWEST, PROTO_ALGO_FFSPLIT, PROTO_ERR_DUPLICATE_NODE_ID},
		{2, PROTO_TIE_BREAKER_LOWEST, PROTO_ALGO_FFSPLIT, PROTO_ERR_NO_ERROR},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		build_init(&m, cases[i].node_id, 8000);
		m.tie_breaker.mode = cases[i].tb_mode;
		m.algorithm = cases[i].algorithm;
		n = msg_encode(&m, buf, sizeof(buf));
		qnetd_conn_input(&fx->srv, &other, buf, (size_t)n);
		assert_int_equal(last_sent(fx)->type, PROTO_MSG_INIT_REPLY);
		assert_int_equal(last_sent(fx)->reply_error_code, cases[i].expected);
	}
	struct qnetd_cluster *cluster = fx->conn.client.cluster;
	assert_int_equal(cluster->client_count, 2);
	assert_ptr_equal(cluster->clients[0], &fx->conn.client);
	assert_ptr_equal(cluster->clients[1], &other.client);

	/* A repeated INIT is refused without touching state. */
	build_init(&m, 9, 8000);
	n = msg_encode(&m, buf, sizeof(buf));
	qnetd_conn_input(&fx->srv, &other, buf, (size_t)n);
	assert_int_equal(last_sent(fx)->reply_error_code, PROTO_ERR_UNEXPECTED_MESSAGE);
	assert_int_equal(other.client.node_id, 2);

	qnetd_conn_disconnect(&fx->srv, &other);
	qnetd_conn_destroy(&other);
	assert_int_equal(cluster->client_count, 1);
}

static void test_init_required(void **state)
{
	struct fixture *fx = *state;
	static const uint16_t gated[] = {PROTO_MSG_SET_OPTION, PROTO_MSG_ECHO_REQUEST, PROTO_MSG_NODE_LIST,
					 PROTO_MSG_ASK_FOR_VOTE, PROTO_MSG_VOTE_INFO_REPLY,
					 PROTO_MSG_HEURISTICS_CHANGE};
	for (size_t i = 0; i < sizeof(gated) / sizeof(gated[0]); i++) {
		struct msg m;
		msg_init(&m, gated[i]);
		m.seq_number = 40 + (uint32_t)i;
		msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
		feed(fx, &m);
		assert_server_error(fx, PROTO_ERR_INIT_REQUIRED, true, 40 + (uint32_t)i);
	}
}

static void test_tls_required_gate(void **state)
{
	struct fixture *fx = *state;
	struct msg m;

	fx->settings.tls = PROTO_TLS_REQUIRED;
	send_preinit(fx, "c");
	build_init(&m, 1, 8000);
	feed(fx, &m);
	assert_server_error(fx, PROTO_ERR_TLS_REQUIRED, true, 3);
	assert_int_not_equal(fx->conn.phase, QNETD_CONN_JOINED);
}

static void test_starttls_stops_consuming(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[64];

	send_preinit(fx, "c");
	struct msg m;
	msg_init(&m, PROTO_MSG_STARTTLS);
	m.seq_number = 2;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	long n = msg_encode(&m, buf, sizeof(buf));
	/* The TLS ClientHello follows at once: it must be left for the TLS layer. */
	buf[n] = 0x16;
	buf[n + 1] = 0x03;
	assert_int_equal(qnetd_conn_input(&fx->srv, &fx->conn, buf, (size_t)n + 2), (size_t)n);
	assert_int_equal(fx->fake.tls_started, 1);
	assert_true(fx->conn.tls_started);
	assert_int_equal(fx->fake.sent_count, 1); /* no reply to STARTTLS */
}

static void test_starttls_needs_preinit_and_tls(void **state)
{
	struct fixture *fx = *state;
	struct msg m;
	msg_init(&m, PROTO_MSG_STARTTLS);
	m.seq_number = 2;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	feed(fx, &m);
	assert_server_error(fx, PROTO_ERR_PREINIT_REQUIRED, true, 2);

	fx->settings.tls = PROTO_TLS_UNSUPPORTED;
	send_preinit(fx, "c");
	feed(fx, &m);
	assert_true(fx->conn.disconnect_scheduled);
	assert_int_equal(fx->fake.tls_started, 0);
}

static void test_client_cert_mismatch_closes(void **state)
{
	struct fixture *fx = *state;
	struct msg m;

	send_preinit(fx, "c");
	fx->conn.tls_started = true;
	fx->fake.cert_ok = 0;
	size_t before = fx->fake.sent_count;
	build_init(&m, 1, 8000);
	feed(fx, &m);
	assert_true(fx->conn.disconnect_scheduled);
	assert_int_equal(fx->fake.sent_count, before); /* closed without a message */
	assert_int_equal(fx->conn.close_reason, QNETD_CLOSE_CERT_REJECTED);
}

static void test_skip_unknown_and_too_long(void **state)
{
	struct fixture *fx = *state;
	uint8_t unknown[] = {0x00, 0x40, 0x00, 0x00, 0x00, 0x03, 1, 2, 3};
	feed_raw(fx, unknown, sizeof(unknown));
	assert_server_error(fx, PROTO_ERR_UNSUPPORTED_MESSAGE, false, 0);
	/* Zero-length unknown message: upstream answered 0; we answer 4. */
	uint8_t unknown_empty[] = {0x00, 0x40, 0x00, 0x00, 0x00, 0x00};
	feed_raw(fx, unknown_empty, sizeof(unknown_empty));
	assert_server_error(fx, PROTO_ERR_UNSUPPORTED_MESSAGE, false, 0);

	/* 32768 bytes in total is accepted, 32769 is skipped. */
	size_t len = 32769;
	uint8_t *big = calloc(1, len);
	msg_header_write(big, PROTO_MSG_ECHO_REQUEST, (uint32_t)(len - 6));
	int restarts = fx->fake.dpd_restarts;
	feed_raw(fx, big, len);
	assert_server_error(fx, PROTO_ERR_MESSAGE_TOO_LONG, false, 0);
	assert_int_equal(fx->fake.dpd_restarts, restarts); /* skipped messages are no sign of life */
	msg_header_write(big, PROTO_MSG_ECHO_REQUEST, (uint32_t)(len - 7));
	feed_raw(fx, big, len - 1);
	assert_server_error(fx, PROTO_ERR_ERROR_DECODING_MSG, false, 0); /* zeros do not tile: decode error */
	assert_int_equal(fx->fake.dpd_restarts, restarts + 1);
	free(big);
	assert_false(fx->conn.disconnect_scheduled);
}

static void test_decode_error_keeps_seq(void **state)
{
	struct fixture *fx = *state;
	/* seq 7 then a vote of 0 */
	uint8_t bad[] = {0x00, 0x08, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x00, 0x00, 0x04, 0x00,
			 0x00, 0x00, 0x07, 0x00, 0x13, 0x00, 0x01, 0x00};
	feed_raw(fx, bad, sizeof(bad));
	assert_server_error(fx, PROTO_ERR_ERROR_DECODING_MSG, true, 7);
	assert_false(fx->conn.disconnect_scheduled);
}

static void test_server_to_client_types(void **state)
{
	struct fixture *fx = *state;
	static const uint16_t types[] = {1, 4, 5, 7, 9, 11, 13, 14, 17};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct msg m;
		msg_init(&m, types[i]);
		m.seq_number = 100 + (uint32_t)i;
		msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
		feed(fx, &m);
		assert_server_error(fx, PROTO_ERR_UNEXPECTED_MESSAGE, true, 100 + (uint32_t)i);
	}
}

static void init_ok(struct fixture *fx)
{
	struct msg m;
	send_preinit(fx, "c");
	build_init(&m, 1, 8000);
	feed(fx, &m);
	assert_int_equal(fx->conn.phase, QNETD_CONN_JOINED);
}

static void test_echo_is_a_copy(void **state)
{
	struct fixture *fx = *state;
	init_ok(fx);
	/* seq 9 plus an unknown option: both preserved. */
	uint8_t echo[] = {0x00, 0x08, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x00, 0x00, 0x04, 0x00,
			  0x00, 0x00, 0x09, 0x01, 0x00, 0x00, 0x01, 0xaa};
	feed_raw(fx, echo, sizeof(echo));
	size_t i = fx->fake.sent_count - 1;
	assert_int_equal(fx->fake.raw_len[i], sizeof(echo));
	echo[1] = 0x09;
	assert_memory_equal(fx->fake.raw[i], echo, sizeof(echo));
}

static void test_set_option(void **state)
{
	struct fixture *fx = *state;
	struct msg m;
	init_ok(fx);

	msg_init(&m, PROTO_MSG_SET_OPTION);
	m.seq_number = 4;
	m.kap_tie_breaker = 1;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	msg_set_present(&m, PROTO_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER);
	feed(fx, &m);
	const struct msg *r = last_sent(fx);
	assert_int_equal(r->type, PROTO_MSG_SET_OPTION_REPLY);
	assert_int_equal(r->kap_tie_breaker, 1);
	assert_false(msg_has(r, PROTO_OPT_HEARTBEAT_INTERVAL));
	assert_true(fx->conn.client.kap_tie_breaker);

	m.heartbeat_interval = 120001;
	msg_set_present(&m, PROTO_OPT_HEARTBEAT_INTERVAL);
	feed(fx, &m);
	assert_server_error(fx, PROTO_ERR_INVALID_HEARTBEAT_INTERVAL, true, 4);
	m.heartbeat_interval = 2000;
	feed(fx, &m);
	assert_int_equal(last_sent(fx)->heartbeat_interval, 2000);
	assert_int_equal(fx->conn.dpd_interval_ms, 3000);
}

static void test_node_list_required_options(void **state)
{
	struct fixture *fx = *state;
	struct msg m;
	init_ok(fx);

	msg_init(&m, PROTO_MSG_NODE_LIST);
	m.seq_number = 5;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	feed(fx, &m); /* no list type */
	assert_server_error(fx, PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION, true, 5);
	m.node_list_type = PROTO_NODE_LIST_MEMBERSHIP;
	msg_set_present(&m, PROTO_OPT_NODE_LIST_TYPE);
	feed(fx, &m); /* membership without ring id */
	assert_server_error(fx, PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION, true, 5);
	m.node_list_type = PROTO_NODE_LIST_QUORUM;
	feed(fx, &m); /* quorum without quorate */
	assert_server_error(fx, PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION, true, 5);
	m.present &= ~(UINT32_C(1) << PROTO_OPT_MSG_SEQ_NUMBER);
	m.node_list_type = PROTO_NODE_LIST_INITIAL_CONFIG;
	feed(fx, &m); /* no seq */
	assert_server_error(fx, PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION, false, 0);
}

/* S1 (doc/algorithms.md §9.1) through the whole session: the ACK arrives as VOTE_INFO before the reply. */
static void test_ffsplit_single_client_flow(void **state)
{
	struct fixture *fx = *state;
	struct msg m;
	const struct msg_node_info nodes[] = {{1, 0, 0}, {2, 0, 0}};
	init_ok(fx);

	msg_init(&m, PROTO_MSG_NODE_LIST);
	m.seq_number = 5;
	m.node_list_type = PROTO_NODE_LIST_INITIAL_CONFIG;
	m.nodes = nodes;
	m.node_count = 2;
	m.config_version = 7;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	msg_set_present(&m, PROTO_OPT_NODE_LIST_TYPE);
	msg_set_present(&m, PROTO_OPT_NODE_INFO);
	msg_set_present(&m, PROTO_OPT_CONFIG_VERSION);
	feed(fx, &m);
	assert_int_equal(last_sent(fx)->type, PROTO_MSG_NODE_LIST_REPLY);
	assert_int_equal(last_sent(fx)->vote, PROTO_VOTE_ASK_LATER);
	assert_int_equal(fx->conn.client.config_list.count, 2);

	size_t before = fx->fake.sent_count;
	m.seq_number = 6;
	m.node_list_type = PROTO_NODE_LIST_MEMBERSHIP;
	m.ring_id.node_id = 1;
	m.ring_id.seq = 0x24;
	msg_set_present(&m, PROTO_OPT_RING_ID);
	m.present &= ~(UINT32_C(1) << PROTO_OPT_CONFIG_VERSION);
	feed(fx, &m);
	assert_int_equal(fx->fake.sent_count, before + 2);
	const struct msg *vote = &fx->fake.sent[before];
	assert_int_equal(vote->type, PROTO_MSG_VOTE_INFO);
	assert_int_equal(vote->vote, PROTO_VOTE_ACK);
	assert_int_equal(vote->seq_number, 1);
	const struct msg *reply = &fx->fake.sent[before + 1];
	assert_int_equal(reply->type, PROTO_MSG_NODE_LIST_REPLY);
	assert_int_equal(reply->vote, PROTO_VOTE_NO_CHANGE);
	assert_int_equal(reply->ring_id.seq, 0x24);
	assert_int_equal(fx->conn.client.last_sent_vote, PROTO_VOTE_NO_CHANGE);
	assert_int_equal(fx->conn.client.last_sent_ack_nack_vote, PROTO_VOTE_ACK);
}

/* Decisions are timed from the change to the vote that settles it; the flow above settles at once. */
static void test_decision_duration(void **state)
{
	struct fixture *fx = *state;
	struct msg m;
	const struct msg_node_info nodes[] = {{1, 0, 0}, {2, 0, 0}};
	init_ok(fx);
	fx->fake.now_ms = 5000;

	msg_init(&m, PROTO_MSG_NODE_LIST);
	m.seq_number = 5;
	m.node_list_type = PROTO_NODE_LIST_INITIAL_CONFIG;
	m.nodes = nodes;
	m.node_count = 2;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	msg_set_present(&m, PROTO_OPT_NODE_LIST_TYPE);
	msg_set_present(&m, PROTO_OPT_NODE_INFO);
	feed(fx, &m); /* a configuration list asks for nothing */
	assert_int_equal(fx->srv.counters.decisions, 0);
	assert_false(fx->conn.decision_pending);

	m.seq_number = 6;
	m.node_list_type = PROTO_NODE_LIST_MEMBERSHIP;
	m.ring_id.node_id = 1;
	m.ring_id.seq = 0x24;
	msg_set_present(&m, PROTO_OPT_RING_ID);
	feed(fx, &m); /* ACK at once */
	assert_int_equal(fx->srv.counters.decisions, 1);
	assert_int_equal(fx->srv.counters.decision_buckets[0], 1);
	assert_false(fx->conn.decision_pending);

	/* An open decision measured when the algorithm's vote comes later. */
	fx->conn.decision_pending = true;
	fx->conn.decision_since_ms = 5000;
	fx->fake.now_ms = 5300;
	m.seq_number = 7;
	m.node_list_type = PROTO_NODE_LIST_QUORUM;
	m.quorate = PROTO_QUORATE;
	msg_set_present(&m, PROTO_OPT_QUORATE);
	feed(fx, &m); /* NO_CHANGE: the ACK stands */
	assert_int_equal(last_sent(fx)->vote, PROTO_VOTE_NO_CHANGE);
	assert_int_equal(fx->srv.counters.decisions, 2);
	assert_int_equal(fx->srv.counters.decision_ms_sum, 300);
	assert_int_equal(fx->srv.counters.decision_buckets[8], 1); /* 250 < 300 <= 500: the bucket le 500 */
	assert_false(fx->conn.decision_pending);
}

static void test_decision_buckets(void **state)
{
	struct fixture *fx = *state;
	qnetd_server_note_decision(&fx->srv, 0);
	qnetd_server_note_decision(&fx->srv, 1);
	qnetd_server_note_decision(&fx->srv, 2);
	qnetd_server_note_decision(&fx->srv, 10000);
	qnetd_server_note_decision(&fx->srv, 10001);
	assert_int_equal(fx->srv.counters.decision_buckets[0], 2);
	assert_int_equal(fx->srv.counters.decision_buckets[1], 1);
	assert_int_equal(fx->srv.counters.decision_buckets[QNETD_DECISION_BUCKETS - 1], 1);
	assert_int_equal(fx->srv.counters.decision_buckets[QNETD_DECISION_BUCKETS], 1);
	assert_int_equal(fx->srv.counters.decisions, 5);
	assert_int_equal(fx->srv.counters.decision_ms_sum, 20004);
}

/* Every close is counted once under its reason; a close nobody scheduled during shutdown is "shutdown". */
static void test_close_reasons(void **state)
{
	struct fixture *fx = *state;
	struct qnetd_conn other;

	qnetd_conn_init(&fx->srv, &other, "192.0.2.9:1");
	qnetd_conn_schedule_disconnect(&other, QNETD_CLOSE_DEAD_PEER, "dead peer detected");
	qnetd_conn_schedule_disconnect(&other, QNETD_CLOSE_IO_ERROR, "read error"); /* the first reason stays */
	qnetd_conn_disconnect(&fx->srv, &other);
	qnetd_conn_destroy(&other);
	assert_int_equal(fx->srv.counters.connections_closed_by_reason[QNETD_CLOSE_DEAD_PEER], 1);
	assert_int_equal(fx->srv.counters.connections_closed_by_reason[QNETD_CLOSE_IO_ERROR], 0);

	qnetd_conn_init(&fx->srv, &other, "192.0.2.9:2");
	fx->srv.going_down = true;
	qnetd_conn_disconnect(&fx->srv, &other);
	qnetd_conn_destroy(&other);
	fx->srv.going_down = false;
	assert_int_equal(fx->srv.counters.connections_closed_by_reason[QNETD_CLOSE_SHUTDOWN], 1);
	assert_int_equal(fx->srv.counters.connections_closed, 2);
	assert_string_equal(qnetd_close_reason_id(QNETD_CLOSE_INIT_TIMEOUT), "init_timeout");
	assert_string_equal(qnetd_close_reason_id((enum qnetd_close_reason)99), "other");
}

static void test_send_queue_full_disconnects(void **state)
{
	struct fixture *fx = *state;
	fx->fake.send_fail_after = 0;
	send_preinit(fx, "c");
	assert_true(fx->conn.disconnect_scheduled);
	assert_int_equal(fx->conn.close_reason, QNETD_CLOSE_OVERLOAD);
}

static void test_dpd_interval_limits(void **state)
{
	(void)state;
	assert_int_equal(qnetd_conn_dpd_interval(1.5, 8000), 12000);
	assert_int_equal(qnetd_conn_dpd_interval(1.5, 1), 1);
	assert_int_equal(qnetd_conn_dpd_interval(1000.0, 18000), 18000000);
	assert_int_equal(qnetd_conn_dpd_interval(1000.0, 18001), 0);
	assert_int_equal(qnetd_conn_dpd_interval(1.0, 0), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/*
 * A stranger repeating refused input gets RATELIMIT_BURST lines per window, the next window's
 * first line counts the rest, and members have their own budget: the flood does not hide them.
 */
static void test_refusal_logs_rate_limited(void **state)
{
	struct fixture *fx = *state;
	struct msg m;

	log_capture_clear();
	for (int i = 0; i < 30; i++) {
		msg_init(&m, PROTO_MSG_ECHO_REQUEST);
		m.seq_number = (uint32_t)i + 1;
		msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
		feed(fx, &m);
		assert_int_equal(last_sent(fx)->type, PROTO_MSG_SERVER_ERROR);
		clear_sent(&fx->fake);
		fx->fake.now_ms += 10;
	}
	assert_int_equal(log_capture_count("Client 192.0.2.1:1234: "), RATELIMIT_BURST);
	assert_int_equal(log_capture_count("similar messages suppressed"), 0);

	fx->fake.now_ms += RATELIMIT_WINDOW_MS;
	send_preinit(fx, "c");
	struct msg init;
	build_init(&init, 1, 8000);
	feed(fx, &init);
	assert_int_equal(fx->conn.phase, QNETD_CONN_JOINED);
	/* The window had turned, but the join itself refuses nothing: no line yet. */
	assert_int_equal(log_capture_count("similar messages suppressed"), 0);

	/* Another 30 strangers' refusals in a new window, then a member's: it is logged. */
	struct qnetd_conn stranger;
	qnetd_conn_init(&fx->srv, &stranger, "198.51.100.7:999");
	for (int i = 0; i < 30; i++) {
		uint8_t buf[64];
		msg_init(&m, PROTO_MSG_ECHO_REQUEST);
		m.seq_number = 1;
		msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
		long n = msg_encode(&m, buf, sizeof(buf));
		assert_true(n > 0);
		qnetd_conn_input(&fx->srv, &stranger, buf, (size_t)n);
		clear_sent(&fx->fake);
	}
	assert_int_equal(log_capture_count("Client 198.51.100.7:999: "), RATELIMIT_BURST);
	assert_int_equal(log_capture_find("(20 similar messages suppressed)"), LOG_ERR);
	send_preinit(fx, "c");
	assert_int_equal(log_capture_find("Client 192.0.2.1:1234: preinit after init"), LOG_ERR);
	qnetd_conn_disconnect(&fx->srv, &stranger);
	qnetd_conn_destroy(&stranger);
}

static void feed_conn(struct fixture *fx, struct qnetd_conn *conn, const struct msg *m)
{
	uint8_t buf[2048];
	long n = msg_encode(m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(qnetd_conn_input(&fx->srv, conn, buf, (size_t)n), (size_t)n);
}

static void node_list(struct msg *m, uint32_t seq, uint8_t type, const struct msg_node_info *nodes, size_t count)
{
	msg_init(m, PROTO_MSG_NODE_LIST);
	m->seq_number = seq;
	m->node_list_type = type;
	m->nodes = nodes;
	m->node_count = count;
	msg_set_present(m, PROTO_OPT_MSG_SEQ_NUMBER);
	msg_set_present(m, PROTO_OPT_NODE_LIST_TYPE);
	msg_set_present(m, PROTO_OPT_NODE_INFO);
	if (type == PROTO_NODE_LIST_INITIAL_CONFIG) {
		m->config_version = 7;
		msg_set_present(m, PROTO_OPT_CONFIG_VERSION);
	} else {
		m->ring_id.node_id = 1;
		m->ring_id.seq = 0x30;
		msg_set_present(m, PROTO_OPT_RING_ID);
	}
}

/*
 * Node 2's send queue is full when node 1's membership completes the decision and qnetd pushes
 * node 2 its vote: node 2 is scheduled for disconnect during node 1's event, and the transport is
 * told at once, not at node 2's next event (which a client that stopped reading never has).
 */
static void test_vote_push_overflow_reaches_transport(void **state)
{
	struct fixture *fx = *state;
	const struct msg_node_info nodes[] = {{1, 0, 0}, {2, 0, 0}};
	struct qnetd_conn other;
	struct msg m;

	init_ok(fx);
	qnetd_conn_init(&fx->srv, &other, "192.0.2.2:1");
	msg_init(&m, PROTO_MSG_PREINIT);
	m.seq_number = 1;
	m.cluster_name = (const uint8_t *)"c";
	m.cluster_name_len = 1;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	msg_set_present(&m, PROTO_OPT_CLUSTER_NAME);
	feed_conn(fx, &other, &m);
	build_init(&m, 2, 8000);
	feed_conn(fx, &other, &m);
	assert_int_equal(other.phase, QNETD_CONN_JOINED);

	node_list(&m, 5, PROTO_NODE_LIST_INITIAL_CONFIG, nodes, 2);
	feed_conn(fx, &fx->conn, &m);
	feed_conn(fx, &other, &m);
	node_list(&m, 6, PROTO_NODE_LIST_MEMBERSHIP, nodes, 2);
	feed_conn(fx, &other, &m);
	assert_int_equal(fx->fake.scheduled_count, 0);

	fx->fake.full_conn = &other;
	feed_conn(fx, &fx->conn, &m);
	assert_true(other.disconnect_scheduled);
	assert_false(fx->conn.disconnect_scheduled);
	assert_int_equal(fx->fake.scheduled_count, 1);
	assert_ptr_equal(fx->fake.scheduled[0], &other);

	fx->fake.full_conn = NULL;
	qnetd_conn_disconnect(&fx->srv, &other);
	qnetd_conn_destroy(&other);
}

/* Node lists longer than corosync's membership can be are refused; 384 nodes are fine. */
static void test_node_list_cap(void **state)
{
	struct fixture *fx = *state;
	static struct msg_node_info nodes[QNETD_MAX_NODES_PER_LIST + 1];
	struct msg m;
	uint8_t buf[16384];

	for (uint32_t i = 0; i <= QNETD_MAX_NODES_PER_LIST; i++)
		nodes[i] = (struct msg_node_info){i + 1, 0, 0};
	init_ok(fx);
	static const uint8_t types[] = {PROTO_NODE_LIST_INITIAL_CONFIG, PROTO_NODE_LIST_MEMBERSHIP};
	static const uint16_t codes[] = {PROTO_ERR_INVALID_CONFIG_NODE_LIST, PROTO_ERR_INVALID_MEMBERSHIP_NODE_LIST};
	for (size_t t = 0; t < 2; t++) {
		node_list(&m, 10 + (uint32_t)t, types[t], nodes, QNETD_MAX_NODES_PER_LIST + 1);
		long n = msg_encode(&m, buf, sizeof(buf));
		assert_true(n > 0);
		qnetd_conn_input(&fx->srv, &fx->conn, buf, (size_t)n);
		assert_int_equal(last_sent(fx)->type, PROTO_MSG_SERVER_ERROR);
		assert_int_equal(last_sent(fx)->reply_error_code, codes[t]);
		clear_sent(&fx->fake);

		node_list(&m, 20 + (uint32_t)t, types[t], nodes, QNETD_MAX_NODES_PER_LIST);
		n = msg_encode(&m, buf, sizeof(buf));
		qnetd_conn_input(&fx->srv, &fx->conn, buf, (size_t)n);
		assert_int_equal(last_sent(fx)->type, PROTO_MSG_NODE_LIST_REPLY);
		clear_sent(&fx->fake);
	}
	assert_int_equal(fx->conn.client.config_list.count, QNETD_MAX_NODES_PER_LIST);
}

/* A cluster takes QNETD_MAX_CLIENTS_PER_CLUSTER clients; the next INIT is refused. */
static void test_clients_per_cluster_cap(void **state)
{
	struct fixture *fx = *state;
	static struct qnetd_conn conns[QNETD_MAX_CLIENTS_PER_CLUSTER];
	struct msg m;

	init_ok(fx); /* node 1 */
	for (uint32_t i = 0; i < QNETD_MAX_CLIENTS_PER_CLUSTER; i++) {
		qnetd_conn_init(&fx->srv, &conns[i], "192.0.2.3:1");
		msg_init(&m, PROTO_MSG_PREINIT);
		m.seq_number = 1;
		m.cluster_name = (const uint8_t *)"c";
		m.cluster_name_len = 1;
		msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
		msg_set_present(&m, PROTO_OPT_CLUSTER_NAME);
		feed_conn(fx, &conns[i], &m);
		build_init(&m, i + 2, 8000);
		feed_conn(fx, &conns[i], &m);
		assert_int_equal(last_sent(fx)->type, PROTO_MSG_INIT_REPLY);
		bool last = i + 1 == QNETD_MAX_CLIENTS_PER_CLUSTER;
		assert_int_equal(last_sent(fx)->reply_error_code, last ? PROTO_ERR_INTERNAL_ERROR : PROTO_ERR_NO_ERROR);
		assert_int_equal(conns[i].phase == QNETD_CONN_JOINED, !last);
		clear_sent(&fx->fake);
	}
	assert_int_equal(fx->conn.client.cluster->client_count, QNETD_MAX_CLIENTS_PER_CLUSTER);
	fx->fake.discard = true;
	for (uint32_t i = 0; i < QNETD_MAX_CLIENTS_PER_CLUSTER; i++) {
		qnetd_conn_disconnect(&fx->srv, &conns[i]);
		qnetd_conn_destroy(&conns[i]);
		clear_sent(&fx->fake);
	}
}

/* Certificate refusals: counted by reason, the last hour in whole minutes, the name check included. */
static void test_cert_rejection_counters(void **state)
{
	struct fixture *fx = *state;
	struct msg m;

	fx->fake.now_ms = 10 * 60000;
	qnetd_server_note_cert_rejection(&fx->srv, QNETD_CERT_EXPIRED, fx->fake.now_ms);
	qnetd_server_note_cert_rejection(&fx->srv, QNETD_CERT_UNTRUSTED_ISSUER, fx->fake.now_ms + 1000);
	assert_int_equal(qnetd_server_cert_rejections_last_hour(&fx->srv, fx->fake.now_ms + 59 * 60000), 2);
	assert_int_equal(qnetd_server_cert_rejections_last_hour(&fx->srv, fx->fake.now_ms + 60 * 60000), 0);

	/* A certificate for another name, seen by the TLS gate. */
	fx->fake.cert_name = "other";
	send_preinit(fx, "c");
	msg_init(&m, PROTO_MSG_STARTTLS);
	m.seq_number = 2;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	feed(fx, &m);
	build_init(&m, 1, 8000);
	feed(fx, &m);
	assert_true(fx->conn.disconnect_scheduled);
	assert_int_equal(fx->srv.counters.cert_rejections[QNETD_CERT_NAME_MISMATCH], 1);
	assert_int_equal(fx->srv.counters.cert_rejections[QNETD_CERT_EXPIRED], 1);
	assert_int_equal(fx->srv.counters.last_cert_rejection_ms, 10 * 60000);
	assert_int_equal(qnetd_server_cert_rejections_last_hour(&fx->srv, fx->fake.now_ms), 3);
	assert_string_equal(qnetd_cert_rejection_id(QNETD_CERT_NAME_MISMATCH), "cluster_name_mismatch");
}

static const json_t *json_at(const json_t *o, const char *a, const char *b, const char *c)
{
	o = json_object_get(o, a);
	if (b != NULL)
		o = json_object_get(o, b);
	if (c != NULL)
		o = json_object_get(o, c);
	assert_non_null(o);
	return o;
}

/*
 * INIT refusals: counted by reason (the members' disagreements above all, which is what two clusters
 * sharing one name look like), the latest with its cluster name, the last hour in whole minutes,
 * and all of it in the JSON status.
 */
static void test_init_refusal_counters(void **state)
{
	struct fixture *fx = *state;
	struct qnetd_conn other;
	struct msg m;

	fx->fake.now_ms = 5 * 60000;
	/* INIT before PREINIT: no cluster name to keep. */
	build_init(&m, 1, 8000);
	feed(fx, &m);
	assert_int_equal(fx->srv.counters.init_refusals[QNETD_INIT_REFUSAL_PREINIT_REQUIRED], 1);
	assert_false(fx->srv.counters.last_init_refusal_named);

	init_ok(fx);
	qnetd_conn_init(&fx->srv, &other, "192.0.2.2:1");
	msg_init(&m, PROTO_MSG_PREINIT);
	m.seq_number = 1;
	m.cluster_name = (const uint8_t *)"c";
	m.cluster_name_len = 1;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	msg_set_present(&m, PROTO_OPT_CLUSTER_NAME);
	feed_conn(fx, &other, &m);
	build_init(&m, 2, 8000);
	m.tie_breaker.mode = PROTO_TIE_BREAKER_HIGHEST;
	feed_conn(fx, &other, &m);
	build_init(&m, 2, 8000);
	m.algorithm = PROTO_ALGO_LMS;
	feed_conn(fx, &other, &m);
	fx->fake.now_ms = 20 * 60000 + 1234;
	build_init(&m, 1, 8000);
	feed_conn(fx, &other, &m);
	assert_int_equal(last_sent(fx)->reply_error_code, PROTO_ERR_DUPLICATE_NODE_ID);
	const struct qnetd_counters *k = &fx->srv.counters;
	assert_int_equal(k->init_refusals[QNETD_INIT_REFUSAL_TIE_BREAKER_DIFFERS], 1);
	assert_int_equal(k->init_refusals[QNETD_INIT_REFUSAL_ALGORITHM_DIFFERS], 1);
	assert_int_equal(k->init_refusals[QNETD_INIT_REFUSAL_DUPLICATE_NODE_ID], 1);
	assert_int_equal(k->last_init_refusal, QNETD_INIT_REFUSAL_DUPLICATE_NODE_ID);
	assert_true(k->last_init_refusal_named);
	assert_int_equal(k->last_init_refusal_name_len, 1);
	assert_memory_equal(k->last_init_refusal_name, "c", 1);
	assert_int_equal(k->last_init_refusal_ms, 20 * 60000 + 1234);
	/* A joined client's second INIT, and a join that succeeds (counts nothing). */
	build_init(&m, 1, 8000);
	feed(fx, &m);
	assert_int_equal(k->init_refusals[QNETD_INIT_REFUSAL_REPEATED], 1);
	build_init(&m, 2, 8000);
	feed_conn(fx, &other, &m);
	assert_int_equal(other.phase, QNETD_CONN_JOINED);
	uint64_t total = 0;
	for (size_t r = 0; r < QNETD_INIT_REFUSAL_COUNT; r++)
		total += k->init_refusals[r];
	assert_int_equal(total, 5);
	/* Three refusals in minute 5, two in minute 20: the hour ending in minute 64 still holds minute 5. */
	assert_int_equal(qnetd_server_init_refusals_last_hour(&fx->srv, 64 * 60000), 5);
	assert_int_equal(qnetd_server_init_refusals_last_hour(&fx->srv, 65 * 60000), 2);
	assert_int_equal(qnetd_server_init_refusals_last_hour(&fx->srv, 80 * 60000), 0);

	/* The JSON status: every reason key, the last hour, the latest refusal. */
	const struct qnetd_status_context ctx = {
		.version = "test", .started_unix_ms = 1796567580000LL, .now_mono_ms = 30 * 60000,
		.now_unix_ms = 1796571180000LL,
	};
	json_t *j = qnetd_status_json(&fx->srv, &ctx, NULL, 0, false);
	assert_non_null(j);
	const json_t *ir = json_object_get(j, "init_refusals");
	assert_int_equal(json_integer_value(json_at(ir, "total", NULL, NULL)), 5);
	assert_int_equal(json_integer_value(json_at(ir, "last_hour", NULL, NULL)), 5);
	static const char *const keys[] = {"duplicate_node_id", "algorithm_differs", "tie_breaker_differs",
					   "unsupported_algorithm", "invalid_heartbeat_interval", "missing_option",
					   "preinit_required", "repeated_init", "cluster_full", "other"};
	assert_int_equal(json_object_size(json_at(ir, "by_reason", NULL, NULL)), sizeof(keys) / sizeof(keys[0]));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_true(json_is_integer(json_at(ir, "by_reason", keys[i], NULL)));
	assert_int_equal(json_integer_value(json_at(ir, "by_reason", "duplicate_node_id", NULL)), 1);
	assert_int_equal(json_integer_value(json_at(ir, "by_reason", "repeated_init", NULL)), 1);
	assert_int_equal(json_integer_value(json_at(ir, "by_reason", "cluster_full", NULL)), 0);
	/* The latest was the repeated INIT of the first connection, at 20:01.234 mono, 9 min 58.766 s before now. */
	assert_string_equal(json_string_value(json_at(ir, "last", "reason", NULL)), "repeated_init");
	assert_string_equal(json_string_value(json_at(ir, "last", "cluster", NULL)), "c");
	assert_string_equal(json_string_value(json_at(ir, "last", "time", NULL)), "2026-12-06T15:23:01.234Z");
	assert_string_equal(json_string_value(json_object_get(j, "nss_db_dir")), "/etc/corosync/qnetd/nssdb");
	json_decref(j);

	qnetd_conn_disconnect(&fx->srv, &other);
	qnetd_conn_destroy(&other);
}

/* A full cluster's refusal is told apart from other internal errors. */
static void test_init_refusal_cluster_full(void **state)
{
	struct fixture *fx = *state;
	enum { EXTRA = QNETD_MAX_CLIENTS_PER_CLUSTER };
	static struct qnetd_conn conns[EXTRA];
	struct msg m;

	init_ok(fx);
	fx->fake.discard = true;
	for (uint32_t i = 0; i < EXTRA; i++) {
		qnetd_conn_init(&fx->srv, &conns[i], "192.0.2.3:1");
		msg_init(&m, PROTO_MSG_PREINIT);
		m.cluster_name = (const uint8_t *)"c";
		m.cluster_name_len = 1;
		msg_set_present(&m, PROTO_OPT_CLUSTER_NAME);
		feed_conn(fx, &conns[i], &m);
		build_init(&m, i + 2, 8000);
		feed_conn(fx, &conns[i], &m);
	}
	assert_int_equal(fx->srv.counters.init_refusals[QNETD_INIT_REFUSAL_CLUSTER_FULL], 1);
	assert_int_equal(fx->srv.counters.init_refusals[QNETD_INIT_REFUSAL_OTHER], 0);
	assert_int_equal(fx->srv.counters.last_init_refusal, QNETD_INIT_REFUSAL_CLUSTER_FULL);
	for (uint32_t i = 0; i < EXTRA; i++) {
		qnetd_conn_disconnect(&fx->srv, &conns[i]);
		qnetd_conn_destroy(&conns[i]);
	}
}

/* Cluster names in log lines are escaped: a newline in a name cannot forge a line. */
static void test_log_lines_escape_cluster_name(void **state)
{
	struct fixture *fx = *state;
	struct msg init;

	log_capture_clear();
	send_preinit(fx, "x\nQNetd ready\x1b[2J");
	build_init(&init, 1, 8000);
	feed(fx, &init);
	assert_int_equal(fx->conn.phase, QNETD_CONN_JOINED);
	assert_int_equal(log_capture_find("joined cluster 'x\\x0aQNetd ready\\x1b[2J' as node 1"), LOG_INFO);
	assert_int_equal(log_capture_find("x\nQNetd"), -1);
}

/* ---- Evaluation requests: the rate limit, coalescing, fair turns (doc/hardening.md §7.3, §7.4) ---- */

/* Joins conn to cluster `name` as node_id with the given algorithm (a fresh connection). */
static void join_as(struct fixture *fx, struct qnetd_conn *conn, const char *name, uint32_t node_id, uint16_t algorithm)
{
	struct msg m;
	qnetd_conn_init(&fx->srv, conn, "192.0.2.50:1");
	msg_init(&m, PROTO_MSG_PREINIT);
	m.seq_number = 1;
	m.cluster_name = (const uint8_t *)name;
	m.cluster_name_len = strlen(name);
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	msg_set_present(&m, PROTO_OPT_CLUSTER_NAME);
	feed_conn(fx, conn, &m);
	build_init(&m, node_id, 8000);
	m.algorithm = algorithm;
	feed_conn(fx, conn, &m);
	assert_int_equal(conn->phase, QNETD_CONN_JOINED);
}

static void leave(struct fixture *fx, struct qnetd_conn *conn)
{
	qnetd_conn_disconnect(&fx->srv, conn);
	qnetd_conn_destroy(conn);
}

/* A membership list {ids} on ring (1, ring_seq) with sequence number seq. */
static void membership(struct msg *m, uint32_t seq, uint64_t ring_seq, const struct msg_node_info *nodes, size_t n)
{
	node_list(m, seq, PROTO_NODE_LIST_MEMBERSHIP, nodes, n);
	m->ring_id.seq = ring_seq;
}

static void send_echo(struct fixture *fx, struct qnetd_conn *conn, uint32_t seq)
{
	struct msg m;
	msg_init(&m, PROTO_MSG_ECHO_REQUEST);
	m.seq_number = seq;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	feed_conn(fx, conn, &m);
}

/*
 * Node lists beyond the connection's rate wait; a newer one replaces the one waiting, echoes are
 * answered at once, and when the budget allows the latest list is evaluated and answered.
 */
static void test_rate_limit_coalesces_and_answers(void **state)
{
	struct fixture *fx = *state;
	const struct msg_node_info one[] = {{1, 0, 0}};
	struct msg m;

	log_capture_clear();
	fx->fake.now_ms = 1000;
	init_ok(fx);
	node_list(&m, 10, PROTO_NODE_LIST_INITIAL_CONFIG, one, 1);
	feed(fx, &m);
	/* The burst: every list is decided and answered at once. */
	for (uint32_t i = 0; i + 1 < QNETD_REQUESTS_BURST; i++) {
		clear_sent(&fx->fake);
		membership(&m, 100 + i, 0x100 + i, one, 1);
		feed(fx, &m);
		assert_int_equal(fx->fake.sent_count, 2);
		assert_int_equal(last_sent(fx)->type, PROTO_MSG_NODE_LIST_REPLY);
	}
	assert_int_equal(fx->fake.rate_timer_calls, 0);
	clear_sent(&fx->fake);

	/* Ten more in the same millisecond: nothing is evaluated, one wait of 1000/200 ms is asked for. */
	for (uint32_t k = 0; k < 10; k++) {
		membership(&m, 500 + k, 0x1000 + k, one, 1);
		feed(fx, &m);
	}
	assert_int_equal(fx->fake.sent_count, 0);
	assert_int_equal(fx->fake.rate_timer_calls, 1);
	assert_ptr_equal(fx->fake.rate_timer_conn, &fx->conn);
	assert_int_equal(fx->fake.rate_timer_ms, 1000 / QNETD_REQUESTS_PER_S);
	assert_true(qnetd_conn_rate_limited(&fx->conn));
	assert_int_equal(qnetd_conn_queued_requests(&fx->conn), 1);
	assert_int_equal(fx->srv.rate_limited_conns, 1);
	assert_int_equal(fx->srv.counters.rate_limited_requests, 10);
	assert_int_equal(fx->srv.counters.coalesced_requests, 9);
	assert_int_equal(fx->srv.counters.deferred_requests, 10);
	assert_int_equal(fx->conn.rate_limited_requests, 10);
	assert_int_equal(fx->conn.client.ring_id.seq, 0x100 + QNETD_REQUESTS_BURST - 2);
	assert_int_equal(log_capture_count("Client 192.0.2.1:1234: more than 200 evaluation requests a second "
					   "(membership_list)"), 1);

	/* Its heartbeats are not held up. */
	send_echo(fx, &fx->conn, 77);
	assert_int_equal(fx->fake.sent_count, 1);
	assert_int_equal(last_sent(fx)->type, PROTO_MSG_ECHO_REPLY);
	clear_sent(&fx->fake);

	/* The JSON status counts it. */
	const struct qnetd_status_context ctx = {.version = "test", .now_mono_ms = 1000, .now_unix_ms = 1796571180000LL};
	json_t *j = qnetd_status_json(&fx->srv, &ctx, NULL, 0, true);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_at(j, "totals", "rate_limited_requests", NULL)), 10);
	assert_int_equal(json_integer_value(json_at(j, "totals", "coalesced_requests", NULL)), 9);
	assert_int_equal(json_integer_value(json_at(j, "totals", "deferred_requests", NULL)), 10);
	assert_int_equal(json_integer_value(json_at(j, "counts", "rate_limited_connections", NULL)), 1);
	const json_t *client = json_array_get(json_object_get(json_array_get(json_object_get(j, "clusters"), 0), "clients"), 0);
	assert_int_equal(json_integer_value(json_object_get(client, "rate_limited_requests")), 10);
	assert_int_equal(json_integer_value(json_object_get(client, "queued_requests")), 1);
	json_decref(j);

	/* The budget has a token again: the newest list is decided, pushed and answered, once. */
	fx->fake.now_ms += fx->fake.rate_timer_ms;
	qnetd_conn_rate_timer(&fx->srv, &fx->conn);
	assert_false(qnetd_conn_rate_limited(&fx->conn));
	assert_true(qnetd_server_has_deferred(&fx->srv));
	qnetd_server_run_deferred(&fx->srv);
	assert_int_equal(fx->fake.sent_count, 2);
	assert_int_equal(fx->fake.sent[0].type, PROTO_MSG_VOTE_INFO);
	assert_int_equal(fx->fake.sent[0].vote, PROTO_VOTE_ACK);
	assert_int_equal(fx->fake.sent[0].ring_id.seq, 0x1009);
	assert_int_equal(fx->fake.sent[1].type, PROTO_MSG_NODE_LIST_REPLY);
	assert_int_equal(fx->fake.sent[1].seq_number, 509);
	assert_int_equal(fx->fake.sent[1].ring_id.seq, 0x1009);
	assert_int_equal(fx->conn.client.ring_id.seq, 0x1009);
	assert_int_equal(qnetd_conn_queued_requests(&fx->conn), 0);
	assert_false(qnetd_server_has_deferred(&fx->srv));
	assert_int_equal(fx->srv.rate_limited_conns, 0);
	/* A late call of the timer changes nothing. */
	qnetd_conn_rate_timer(&fx->srv, &fx->conn);
	assert_false(qnetd_server_has_deferred(&fx->srv));
}

/*
 * The fastest an honest qdevice can go: corosync re-forms the ring every 50 ms (its join timeout)
 * for a minute, each time a membership list and two quorum lists, a heuristics change every 250 ms
 * (the shortest interval -S allows), and a confirmation of every push. Nothing ever waits.
 */
static void test_membership_storm_never_limited(void **state)
{
	struct fixture *fx = *state;
	const struct msg_node_info one[] = {{1, 0, 0}};
	struct msg m;
	uint32_t seq = 10, replies = 0, requests = 0;

	fx->fake.now_ms = 1000;
	init_ok(fx);
	node_list(&m, seq++, PROTO_NODE_LIST_INITIAL_CONFIG, one, 1);
	feed_conn(fx, &fx->conn, &m);
	for (uint32_t ring = 0; ring < 60 * 20; ring++) {
		clear_sent(&fx->fake);
		membership(&m, seq++, 0x100 + 4 * (uint64_t)ring, one, 1);
		feed_conn(fx, &fx->conn, &m);
		for (int q = 0; q < 2; q++) {
			node_list(&m, seq++, PROTO_NODE_LIST_QUORUM, one, 1);
			m.quorate = PROTO_QUORATE;
			msg_set_present(&m, PROTO_OPT_QUORATE);
			feed_conn(fx, &fx->conn, &m);
		}
		requests += 3;
		if (ring % 5 == 0) {
			msg_init(&m, PROTO_MSG_HEURISTICS_CHANGE);
			m.seq_number = seq++;
			m.heuristics = ring % 10 == 0 ? PROTO_HEURISTICS_FAIL : PROTO_HEURISTICS_PASS;
			msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
			msg_set_present(&m, PROTO_OPT_HEURISTICS);
			feed_conn(fx, &fx->conn, &m);
			requests++;
		}
		for (size_t i = 0; i < fx->fake.sent_count; i++) {
			if (fx->fake.sent[i].type == PROTO_MSG_VOTE_INFO) {
				msg_init(&m, PROTO_MSG_VOTE_INFO_REPLY);
				m.seq_number = fx->fake.sent[i].seq_number;
				msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
				feed_conn(fx, &fx->conn, &m);
			} else {
				replies++;
			}
		}
		qnetd_server_pass_done(&fx->srv);
		fx->fake.now_ms += 50;
	}
	assert_int_equal(replies, requests);
	assert_int_equal(fx->fake.rate_timer_calls, 0);
	assert_int_equal(fx->srv.counters.deferred_requests, 0);
	assert_false(qnetd_server_has_deferred(&fx->srv));
}

/* While a connection waits, later requests queue behind its earlier ones in the order it sent them. */
static void test_deferred_requests_keep_client_order(void **state)
{
	struct fixture *fx = *state;
	const struct msg_node_info one[] = {{1, 0, 0}};
	struct msg m;

	init_ok(fx);
	node_list(&m, 10, PROTO_NODE_LIST_INITIAL_CONFIG, one, 1);
	feed(fx, &m);
	membership(&m, 11, 0x20, one, 1);
	feed(fx, &m);
	uint32_t pushed = fx->conn.client.vote_info_seq;
	/* Every further request waits: another connection's request waits for its turn already. */
	fx->srv.pass_work = fx->srv.pass_work_budget;
	clear_sent(&fx->fake);
	node_list(&m, 12, PROTO_NODE_LIST_QUORUM, one, 1);
	m.quorate = PROTO_QUORATE;
	msg_set_present(&m, PROTO_OPT_QUORATE);
	feed(fx, &m);
	membership(&m, 13, 0x24, one, 1);
	feed(fx, &m);
	msg_init(&m, PROTO_MSG_VOTE_INFO_REPLY);
	m.seq_number = pushed;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	feed(fx, &m);
	node_list(&m, 14, PROTO_NODE_LIST_QUORUM, one, 1);
	m.quorate = PROTO_QUORATE;
	msg_set_present(&m, PROTO_OPT_QUORATE);
	feed(fx, &m);
	assert_int_equal(fx->fake.sent_count, 0);
	/* The quorum list 12 was replaced by 14, which moved behind the others. */
	assert_int_equal(qnetd_conn_queued_requests(&fx->conn), 3);
	assert_int_equal(fx->srv.counters.coalesced_requests, 1);
	assert_int_equal(fx->srv.counters.rate_limited_requests, 0);

	qnetd_server_pass_done(&fx->srv);
	qnetd_server_run_deferred(&fx->srv);
	assert_int_equal(fx->fake.sent_count, 3);
	assert_int_equal(fx->fake.sent[0].type, PROTO_MSG_VOTE_INFO);
	assert_int_equal(fx->fake.sent[0].ring_id.seq, 0x24);
	assert_int_equal(fx->fake.sent[1].type, PROTO_MSG_NODE_LIST_REPLY);
	assert_int_equal(fx->fake.sent[1].seq_number, 13);
	assert_int_equal(fx->fake.sent[2].type, PROTO_MSG_NODE_LIST_REPLY);
	assert_int_equal(fx->fake.sent[2].seq_number, 14);
	assert_int_equal(fx->fake.sent[2].node_list_type, PROTO_NODE_LIST_QUORUM);
	assert_int_equal(fx->fake.sent[2].ring_id.seq, 0x24);
	assert_false(qnetd_server_has_deferred(&fx->srv));
}

/*
 * One loop pass's budget spent: every cluster's waiting requests take turns, so a cluster with one
 * request waits for one turn of a busy cluster, not for all of them, and echoes never wait at all.
 */
static void test_fair_turns_and_echoes_first(void **state)
{
	struct fixture *fx = *state;
	static struct qnetd_conn h[4];
	struct qnetd_conn g;
	const struct msg_node_info four[] = {{1, 0, 0}, {2, 0, 0}, {3, 0, 0}, {4, 0, 0}}, solo[] = {{1, 0, 0}};
	struct msg m;

	fx->srv.pass_work_budget = 1; /* one evaluation a pass */
	for (uint32_t i = 0; i < 4; i++)
		join_as(fx, &h[i], "busy", i + 1, PROTO_ALGO_FFSPLIT);
	join_as(fx, &g, "quiet", 1, PROTO_ALGO_FFSPLIT);
	clear_sent(&fx->fake);
	qnetd_server_pass_done(&fx->srv);

	node_list(&m, 20, PROTO_NODE_LIST_INITIAL_CONFIG, four, 4);
	for (uint32_t i = 0; i < 4; i++)
		feed_conn(fx, &h[i], &m);
	node_list(&m, 30, PROTO_NODE_LIST_INITIAL_CONFIG, solo, 1);
	feed_conn(fx, &g, &m);
	/* The first request of the pass ran; the others wait. */
	assert_int_equal(fx->fake.sent_count, 1);
	assert_ptr_equal(fx->fake.sent_to[0], &h[0]);
	assert_int_equal(fx->srv.counters.deferred_requests, 4);
	send_echo(fx, &g, 5);
	assert_int_equal(fx->fake.sent_count, 2);
	assert_ptr_equal(fx->fake.sent_to[1], &g);
	assert_int_equal(fx->fake.sent[1].type, PROTO_MSG_ECHO_REPLY);
	clear_sent(&fx->fake);

	/* Pass by pass: busy's second, then quiet's only one, then busy's others. */
	const struct qnetd_conn *order[] = {&h[1], &g, &h[2], &h[3]};
	for (size_t p = 0; p < 4; p++) {
		qnetd_server_pass_done(&fx->srv);
		qnetd_server_run_deferred(&fx->srv);
		assert_int_equal(fx->fake.sent_count, 1);
		assert_ptr_equal(fx->fake.sent_to[0], order[p]);
		assert_int_equal(fx->fake.sent[0].type, PROTO_MSG_NODE_LIST_REPLY);
		clear_sent(&fx->fake);
	}
	assert_false(qnetd_server_has_deferred(&fx->srv));

	/* A connection that leaves with requests waiting takes them along; the others go on. */
	qnetd_server_pass_done(&fx->srv);
	membership(&m, 40, 0x30, four, 4);
	feed_conn(fx, &h[0], &m);
	feed_conn(fx, &h[1], &m);
	feed_conn(fx, &h[2], &m);
	assert_int_equal(qnetd_conn_queued_requests(&h[1]), 1);
	fx->fake.discard = true;
	leave(fx, &h[1]);
	qnetd_server_pass_done(&fx->srv);
	qnetd_server_run_deferred(&fx->srv);
	assert_false(qnetd_server_has_deferred(&fx->srv));
	assert_int_equal(qnetd_conn_queued_requests(&h[2]), 0);
	leave(fx, &h[0]);
	leave(fx, &h[2]);
	leave(fx, &h[3]);
	leave(fx, &g);
	assert_int_equal(fx->srv.clusters.count, 0);
}

/*
 * An lms timer that fires while the client's own membership list waits: evaluating the list stops
 * the timer, so the waiting tick goes as well, as it would never have fired without the wait.
 */
static void test_waiting_timer_tick_dropped_by_evaluation(void **state)
{
	struct fixture *fx = *state;
	struct qnetd_conn c;
	const struct msg_node_info one[] = {{1, 0, 0}};
	struct msg m;

	join_as(fx, &c, "lms", 1, PROTO_ALGO_LMS);
	clear_sent(&fx->fake);
	fx->srv.pass_work = fx->srv.pass_work_budget;
	membership(&m, 5, 0x40, one, 1);
	feed_conn(fx, &c, &m);
	qnetd_conn_algo_timer(&fx->srv, &c);
	assert_int_equal(qnetd_conn_queued_requests(&c), 2);
	qnetd_server_pass_done(&fx->srv);
	qnetd_server_run_deferred(&fx->srv);
	/* The membership list's reply (ACK: a single partition), and no push from the stale tick. */
	assert_int_equal(fx->fake.sent_count, 1);
	assert_int_equal(fx->fake.sent[0].type, PROTO_MSG_NODE_LIST_REPLY);
	assert_int_equal(fx->fake.sent[0].vote, PROTO_VOTE_ACK);
	assert_int_equal(qnetd_conn_queued_requests(&c), 0);
	assert_false(qnetd_server_has_deferred(&fx->srv));
	assert_int_equal(c.client.vote_info_seq, 0);
	leave(fx, &c);
}

/*
 * A vote hold through the daemon's layer (doc/algorithms.md §1.5): node 2's client leaves with its
 * ACK, node 1 reports a membership without node 2, and its ACK waits 1.5 heartbeats (12 s): one
 * log line, the JSON counter, then the timer pushes it.
 */
static void test_vote_hold_logged_and_counted(void **state)
{
	struct fixture *fx = *state;
	const struct msg_node_info both[] = {{1, 0, 0}, {2, 0, 0}}, one[] = {{1, 0, 0}};
	struct qnetd_conn a, b;
	struct msg m;

	fx->fake.now_ms = 50000;
	join_as(fx, &a, "h\n", 1, PROTO_ALGO_FFSPLIT);
	join_as(fx, &b, "h\n", 2, PROTO_ALGO_FFSPLIT);
	node_list(&m, 5, PROTO_NODE_LIST_INITIAL_CONFIG, both, 2);
	feed_conn(fx, &a, &m);
	feed_conn(fx, &b, &m);
	membership(&m, 6, 0x30, both, 2);
	feed_conn(fx, &a, &m);
	feed_conn(fx, &b, &m);
	assert_int_equal(b.client.last_sent_ack_nack_vote, PROTO_VOTE_ACK);
	assert_true(b.client.vote_may_count);
	log_capture_clear();
	leave(fx, &b);
	clear_sent(&fx->fake);

	membership(&m, 7, 0x34, one, 1);
	feed_conn(fx, &a, &m);
	assert_int_equal(fx->fake.sent_count, 1); /* the reply (NO_CHANGE), no VOTE_INFO */
	assert_int_equal(last_sent(fx)->type, PROTO_MSG_NODE_LIST_REPLY);
	assert_int_equal(log_capture_find("Cluster 'h\\x0a': vote for node 1's partition held back 12000 ms: node 2's "
					  "qdevice left while its corosync may still count the vote it had"),
			 LOG_INFO);
	assert_int_equal(fx->srv.counters.vote_holds, 1);
	/* The status names the running hold and when it ends (1 s into it). */
	const struct qnetd_status_context ctx = {.version = "test", .now_mono_ms = fx->fake.now_ms + 1000,
						 .now_unix_ms = 1796571180000LL};
	json_t *j = qnetd_status_json(&fx->srv, &ctx, NULL, 0, true);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_at(j, "totals", "vote_holds", NULL)), 1);
	const json_t *holds = json_object_get(json_array_get(json_object_get(j, "clusters"), 0), "vote_holds");
	assert_int_equal(json_array_size(holds), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(holds, 0), "node_id")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(holds, 0), "ends_in_ms")), 11000);
	json_decref(j);
	clear_sent(&fx->fake);

	fx->fake.now_ms += 11999;
	qnetd_conn_algo_timer(&fx->srv, &a);
	assert_int_equal(fx->fake.sent_count, 0);
	fx->fake.now_ms += 1;
	qnetd_conn_algo_timer(&fx->srv, &a);
	assert_int_equal(fx->fake.sent_count, 1);
	assert_int_equal(last_sent(fx)->type, PROTO_MSG_VOTE_INFO);
	assert_int_equal(last_sent(fx)->vote, PROTO_VOTE_ACK);
	assert_int_equal(log_capture_count("held back"), 1);
	assert_int_equal(fx->srv.counters.vote_holds, 1);
	/* Ended: the status lists no hold any more. */
	const struct qnetd_status_context later = {.version = "test", .now_mono_ms = fx->fake.now_ms,
						   .now_unix_ms = 1796571180000LL};
	j = qnetd_status_json(&fx->srv, &later, NULL, 0, false);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(j, "clusters"), 0), "vote_holds")), 0);
	json_decref(j);
	clear_sent(&fx->fake);
	leave(fx, &a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_preinit_reply),
		T(test_preinit_without_name),
		T(test_init_success_reply_bytes),
		T(test_init_precedence),
		T(test_init_against_cluster_members),
		T(test_init_required),
		T(test_tls_required_gate),
		T(test_starttls_stops_consuming),
		T(test_starttls_needs_preinit_and_tls),
		T(test_client_cert_mismatch_closes),
		T(test_skip_unknown_and_too_long),
		T(test_preinit_after_starttls_refused),
		T(test_decode_error_keeps_seq),
		T(test_server_to_client_types),
		T(test_echo_is_a_copy),
		T(test_set_option),
		T(test_node_list_required_options),
		T(test_ffsplit_single_client_flow),
		T(test_send_queue_full_disconnects),
		T(test_decision_duration),
		T(test_decision_buckets),
		T(test_close_reasons),
		T(test_dpd_interval_limits),
		T(test_refusal_logs_rate_limited),
		T(test_vote_push_overflow_reaches_transport),
		T(test_node_list_cap),
		T(test_clients_per_cluster_cap),
		T(test_cert_rejection_counters),
		T(test_log_lines_escape_cluster_name),
		T(test_init_refusal_counters),
		T(test_init_refusal_cluster_full),
		T(test_rate_limit_coalesces_and_answers),
		T(test_membership_storm_never_limited),
		T(test_deferred_requests_keep_client_order),
		T(test_fair_turns_and_echoes_first),
		T(test_waiting_timer_tick_dropped_by_evaluation),
		T(test_vote_hold_logged_and_counted),
	};
	log_capture_start("test_qnetd_session");
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	log_capture_stop();
	return rc;
}

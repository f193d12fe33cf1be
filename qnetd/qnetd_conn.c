/* The server side of a client connection: framing, the TLS gate, every message handler (doc/protocol.md §6-§8). */
#include "qnetd_conn.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "log.h"
#include "msg.h"
#include "tlv.h"

/* Largest message the server builds itself (INIT_REPLY is 140 bytes); echo replies are copies. */
#define BUILT_MSG_MAX 1024

static const uint16_t supported_messages[PROTO_MSG_TYPE_COUNT] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
static const uint16_t supported_options[PROTO_OPT_COUNT] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};
static const uint16_t supported_algorithms[PROTO_ALGO_COUNT] = {0, 1, 2, 3};

static struct qnetd_conn *conn_of(struct qnetd_client *client)
{
	return client->owner;
}

static const struct qnetd_conn *conn_of_const(const struct qnetd_client *client)
{
	return client->owner;
}

uint64_t qnetd_conn_dpd_interval(double coefficient, uint32_t heartbeat_ms)
{
	double v = floor(coefficient * (double)heartbeat_ms);
	if (!(v >= 1.0) || v > (double)QNETD_TIMER_MAX_MS)
		return 0;
	return (uint64_t)v;
}

void qnetd_conn_schedule_disconnect(struct qnetd_conn *conn, enum qnetd_close_reason why, const char *reason)
{
	if (conn->disconnect_scheduled)
		return;
	conn->disconnect_scheduled = true;
	conn->disconnect_reason = reason;
	conn->close_reason = why;
	if (conn->srv != NULL && conn->srv->ops != NULL && conn->srv->ops->disconnect_scheduled != NULL)
		conn->srv->ops->disconnect_scheduled(conn->srv->ctx, conn);
}

/* A line about input this client sent and the server refused, rate-limited per kind of client. */
static void log_refused(struct qnetd_server *srv, const struct qnetd_conn *conn, struct ratelimit *rl, int priority,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void log_refused(struct qnetd_server *srv, const struct qnetd_conn *conn, struct ratelimit *rl, int priority,
			const char *fmt, ...)
{
	if (rl == NULL)
		rl = conn->phase == QNETD_CONN_JOINED ? &srv->refused_members : &srv->refused_strangers;
	char line[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_ratelimited(rl, srv->ops->now_ms != NULL ? srv->ops->now_ms(srv->ctx) : 0, priority, "Client %s: %s",
			conn->peer, line);
}

/* The cluster name as it may appear in a log line (common/escape.h). */
static const char *log_name(const struct qnetd_conn *conn, char buf[ESCAPE_LOG_NAME_MAX])
{
	return escape_bytes(conn->cluster_name, conn->cluster_name_len, buf, ESCAPE_LOG_NAME_MAX);
}

/* Encodes and queues a message; a reply that cannot be built or queued costs the connection. */
static int send_msg(struct qnetd_server *srv, struct qnetd_conn *conn, const struct msg *m)
{
	uint8_t buf[BUILT_MSG_MAX];
	size_t cap = sizeof(buf);

	if ((long long)cap > srv->settings->max_client_send_size)
		cap = (size_t)srv->settings->max_client_send_size;
	long n = msg_encode(m, buf, cap);
	if (n < 0) {
		log_refused(srv, conn, NULL, LOG_ERR, "cannot build %s: larger than max_client_send_size",
			    proto_msg_type_str(m->type));
		qnetd_conn_schedule_disconnect(conn, QNETD_CLOSE_OVERLOAD, "reply too large");
		return -1;
	}
	if (srv->ops->send(srv->ctx, conn, buf, (size_t)n) != 0) {
		log_refused(srv, conn, NULL, LOG_ERR, "send queue full, disconnecting");
		qnetd_conn_schedule_disconnect(conn, QNETD_CLOSE_OVERLOAD, "send queue full");
		return -1;
	}
	return 0;
}

static void copy_seq(struct msg *reply, const struct msg *request)
{
	if (msg_has(request, PROTO_OPT_MSG_SEQ_NUMBER)) {
		reply->seq_number = request->seq_number;
		msg_set_present(reply, PROTO_OPT_MSG_SEQ_NUMBER);
	}
}

/* Refuses a request: one log line naming the peer, the reason and the code, then SERVER_ERROR. */
static void send_server_error(struct qnetd_server *srv, struct qnetd_conn *conn, const struct msg *request,
			      uint16_t code, const char *reason)
{
	struct msg reply;

	msg_init(&reply, PROTO_MSG_SERVER_ERROR);
	if (request != NULL)
		copy_seq(&reply, request);
	reply.reply_error_code = code;
	msg_set_present(&reply, PROTO_OPT_REPLY_ERROR_CODE);
	log_refused(srv, conn, NULL, LOG_ERR, "%s; sending back error %u (%s)", reason, code, proto_reply_error_str(code));
	send_msg(srv, conn, &reply);
}

/* pushed_seq: the VOTE_INFO's seq, 0 for a vote in a reply. */
static void record_vote(struct qnetd_client *client, uint8_t vote, uint32_t pushed_seq)
{
	qnetd_client_note_vote_sent(client, vote, pushed_seq);
	/* ASK_LATER and WAIT_FOR_REPLY leave the decision open; NO_CHANGE confirms the vote the client has. */
	if (vote == PROTO_VOTE_ACK || vote == PROTO_VOTE_NACK || vote == PROTO_VOTE_NO_CHANGE) {
		struct qnetd_conn *conn = conn_of(client);
		struct qnetd_server *srv = conn->srv;
		if (conn->decision_pending && srv != NULL && srv->ops != NULL && srv->ops->now_ms != NULL) {
			uint64_t now = srv->ops->now_ms(srv->ctx);
			qnetd_server_note_decision(srv, now >= conn->decision_since_ms ? now - conn->decision_since_ms : 0);
		}
		conn->decision_pending = false;
	}
}

/* A change that asks for a decision came in; the first unanswered one starts the clock. */
static void decision_started(struct qnetd_server *srv, struct qnetd_conn *conn)
{
	if (conn->decision_pending || srv->ops == NULL || srv->ops->now_ms == NULL)
		return;
	conn->decision_pending = true;
	conn->decision_since_ms = srv->ops->now_ms(srv->ctx);
}

/* Algorithm callbacks, bridged to the transport. */
static int io_send_vote_info(void *ctx, struct qnetd_client *to, uint32_t seq, uint8_t vote,
			     const struct proto_ring_id *ring)
{
	struct qnetd_server *srv = ctx;
	struct qnetd_conn *conn = conn_of(to);
	struct msg m;

	if (conn->disconnect_scheduled)
		return -1;
	msg_init(&m, PROTO_MSG_VOTE_INFO);
	m.seq_number = seq;
	m.vote = vote;
	m.ring_id = *ring;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	msg_set_present(&m, PROTO_OPT_VOTE);
	msg_set_present(&m, PROTO_OPT_RING_ID);
	log_debug("Client %s (node %u): sending vote info seq %u, vote %s, ring %x.%llx", conn->peer,
		  to->node_id, seq, proto_vote_str(vote), ring->node_id, (unsigned long long)ring->seq);
	/* A full queue drops that client (upstream dropped the sender instead). */
	if (send_msg(srv, conn, &m) != 0)
		return -1;
	record_vote(to, vote, seq);
	return 0;
}

static void forget_timer_request(struct qnetd_server *srv, struct qnetd_conn *conn);
static void forget_requests(struct qnetd_server *srv, struct qnetd_conn *conn);
static uint64_t request_work(const struct qnetd_conn *conn, enum qnetd_deferred_kind kind);

static void io_timer_start(void *ctx, struct qnetd_client *client, uint32_t interval_ms)
{
	struct qnetd_server *srv = ctx;
	forget_timer_request(srv, conn_of(client));
	srv->ops->algo_timer_start(srv->ctx, conn_of(client), interval_ms);
}

static void io_timer_stop(void *ctx, struct qnetd_client *client)
{
	struct qnetd_server *srv = ctx;
	forget_timer_request(srv, conn_of(client));
	srv->ops->algo_timer_stop(srv->ctx, conn_of(client));
}

static uint64_t io_now_ms(void *ctx)
{
	struct qnetd_server *srv = ctx;
	return srv->ops->now_ms(srv->ctx);
}

/* Once per hold that keeps a partition waiting: the reason a survivor's vote comes late. */
static void io_vote_held(void *ctx, const struct qnetd_client *waiting, uint32_t held_node, uint64_t wait_ms)
{
	struct qnetd_server *srv = ctx;
	const struct qnetd_conn *conn = conn_of_const(waiting);
	char name[ESCAPE_LOG_NAME_MAX];

	srv->counters.vote_holds++;
	log_info("Cluster '%s': vote for node %u's partition held back %llu ms: node %u's qdevice left while "
		 "its corosync may still count the vote it had",
		 log_name(conn, name), waiting->node_id, (unsigned long long)wait_ms, held_node);
}

void qnetd_server_init(struct qnetd_server *srv, const struct qnetd_settings *settings,
		       const struct qnetd_session_ops *ops, void *ctx)
{
	memset(srv, 0, sizeof(*srv));
	srv->settings = settings;
	srv->ops = ops;
	srv->ctx = ctx;
	qnetd_cluster_map_init(&srv->clusters);
	srv->algo_io.ctx = srv;
	srv->algo_io.send_vote_info = io_send_vote_info;
	srv->algo_io.timer_start = io_timer_start;
	srv->algo_io.timer_stop = io_timer_stop;
	/* Without a clock (some unit tests) nothing is ever held (doc/algorithms.md §1.5). */
	srv->algo_io.now_ms = ops != NULL && ops->now_ms != NULL ? io_now_ms : NULL;
	srv->algo_io.vote_held = io_vote_held;
	srv->pass_work_budget = QNETD_PASS_WORK_BUDGET;
	srv->request_rate_per_s = QNETD_REQUESTS_PER_S;
	srv->request_burst = QNETD_REQUESTS_BURST;
}

const uint32_t qnetd_decision_bucket_le_ms[QNETD_DECISION_BUCKETS] = {
	1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
};

void qnetd_server_note_decision(struct qnetd_server *srv, uint64_t ms)
{
	size_t i = 0;
	while (i < QNETD_DECISION_BUCKETS && ms > qnetd_decision_bucket_le_ms[i])
		i++;
	srv->counters.decision_buckets[i]++;
	srv->counters.decisions++;
	srv->counters.decision_ms_sum += ms;
}

const char *qnetd_close_reason_id(enum qnetd_close_reason r)
{
	switch (r) {
	case QNETD_CLOSE_OTHER: return "other";
	case QNETD_CLOSE_PEER_CLOSED: return "peer_closed";
	case QNETD_CLOSE_IO_ERROR: return "io_error";
	case QNETD_CLOSE_TLS_ERROR: return "tls_error";
	case QNETD_CLOSE_CERT_REJECTED: return "cert_rejected";
	case QNETD_CLOSE_DEAD_PEER: return "dead_peer";
	case QNETD_CLOSE_INIT_TIMEOUT: return "init_timeout";
	case QNETD_CLOSE_PROTOCOL_ERROR: return "protocol_error";
	case QNETD_CLOSE_OVERLOAD: return "overload";
	case QNETD_CLOSE_SHUTDOWN: return "shutdown";
	}
	return "other";
}

const char *qnetd_cert_rejection_id(enum qnetd_cert_rejection r)
{
	switch (r) {
	case QNETD_CERT_MISSING: return "missing";
	case QNETD_CERT_UNTRUSTED_ISSUER: return "untrusted_issuer";
	case QNETD_CERT_NOT_YET_VALID: return "not_yet_valid";
	case QNETD_CERT_EXPIRED: return "expired";
	case QNETD_CERT_NAME_MISMATCH: return "cluster_name_mismatch";
	case QNETD_CERT_OTHER: return "other";
	}
	return "other";
}

const char *qnetd_init_refusal_id(enum qnetd_init_refusal r)
{
	switch (r) {
	case QNETD_INIT_REFUSAL_DUPLICATE_NODE_ID: return "duplicate_node_id";
	case QNETD_INIT_REFUSAL_ALGORITHM_DIFFERS: return "algorithm_differs";
	case QNETD_INIT_REFUSAL_TIE_BREAKER_DIFFERS: return "tie_breaker_differs";
	case QNETD_INIT_REFUSAL_UNSUPPORTED_ALGORITHM: return "unsupported_algorithm";
	case QNETD_INIT_REFUSAL_INVALID_HEARTBEAT: return "invalid_heartbeat_interval";
	case QNETD_INIT_REFUSAL_MISSING_OPTION: return "missing_option";
	case QNETD_INIT_REFUSAL_PREINIT_REQUIRED: return "preinit_required";
	case QNETD_INIT_REFUSAL_REPEATED: return "repeated_init";
	case QNETD_INIT_REFUSAL_CLUSTER_FULL: return "cluster_full";
	case QNETD_INIT_REFUSAL_OTHER: return "other";
	}
	return "other";
}

enum qnetd_init_refusal qnetd_init_refusal_from_error(uint16_t code)
{
	switch (code) {
	case PROTO_ERR_DUPLICATE_NODE_ID: return QNETD_INIT_REFUSAL_DUPLICATE_NODE_ID;
	case PROTO_ERR_ALGORITHM_DIFFERS_FROM_OTHER_NODES: return QNETD_INIT_REFUSAL_ALGORITHM_DIFFERS;
	case PROTO_ERR_TIE_BREAKER_DIFFERS_FROM_OTHER_NODES: return QNETD_INIT_REFUSAL_TIE_BREAKER_DIFFERS;
	case PROTO_ERR_UNSUPPORTED_DECISION_ALGORITHM: return QNETD_INIT_REFUSAL_UNSUPPORTED_ALGORITHM;
	case PROTO_ERR_INVALID_HEARTBEAT_INTERVAL: return QNETD_INIT_REFUSAL_INVALID_HEARTBEAT;
	case PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION: return QNETD_INIT_REFUSAL_MISSING_OPTION;
	case PROTO_ERR_PREINIT_REQUIRED: return QNETD_INIT_REFUSAL_PREINIT_REQUIRED;
	case PROTO_ERR_UNEXPECTED_MESSAGE: return QNETD_INIT_REFUSAL_REPEATED;
	default: return QNETD_INIT_REFUSAL_OTHER;
	}
}

/* One event in the per-minute window of the last hour. */
static void minutes_note(struct qnetd_minute_count *slots, uint64_t now_ms)
{
	uint64_t minute = now_ms / 60000;
	struct qnetd_minute_count *slot = &slots[minute % QNETD_COUNTER_MINUTES];
	if (slot->minute != minute) {
		slot->minute = minute;
		slot->count = 0;
	}
	slot->count++;
}

static uint64_t minutes_last_hour(const struct qnetd_minute_count *slots, uint64_t now_ms)
{
	uint64_t minute = now_ms / 60000, total = 0;
	for (size_t i = 0; i < QNETD_COUNTER_MINUTES; i++)
		if (slots[i].count > 0 && slots[i].minute <= minute && minute - slots[i].minute < QNETD_COUNTER_MINUTES)
			total += slots[i].count;
	return total;
}

void qnetd_server_note_cert_rejection(struct qnetd_server *srv, enum qnetd_cert_rejection r, uint64_t now_ms)
{
	struct qnetd_counters *c = &srv->counters;
	if ((size_t)r >= QNETD_CERT_REJECTION_COUNT)
		r = QNETD_CERT_OTHER;
	c->cert_rejections[r]++;
	c->cert_rejected = true;
	c->last_cert_rejection_ms = now_ms;
	minutes_note(c->cert_rejection_minutes, now_ms);
}

uint64_t qnetd_server_cert_rejections_last_hour(const struct qnetd_server *srv, uint64_t now_ms)
{
	return minutes_last_hour(srv->counters.cert_rejection_minutes, now_ms);
}

/* Counts an INIT refused for reason r and keeps it, with the connection's cluster name, as the latest. */
static void note_init_refusal(struct qnetd_server *srv, const struct qnetd_conn *conn, enum qnetd_init_refusal r)
{
	struct qnetd_counters *c = &srv->counters;
	uint64_t now_ms = srv->ops->now_ms != NULL ? srv->ops->now_ms(srv->ctx) : 0;
	c->init_refusals[r]++;
	c->init_refused = true;
	c->last_init_refusal = r;
	c->last_init_refusal_ms = now_ms;
	c->last_init_refusal_named = conn->cluster_name != NULL;
	c->last_init_refusal_name_len = 0;
	if (conn->cluster_name != NULL) {
		size_t n = conn->cluster_name_len < QNETD_INIT_REFUSAL_NAME_MAX ? conn->cluster_name_len : QNETD_INIT_REFUSAL_NAME_MAX;
		memcpy(c->last_init_refusal_name, conn->cluster_name, n);
		c->last_init_refusal_name_len = n;
	}
	minutes_note(c->init_refusal_minutes, now_ms);
}

uint64_t qnetd_server_init_refusals_last_hour(const struct qnetd_server *srv, uint64_t now_ms)
{
	return minutes_last_hour(srv->counters.init_refusal_minutes, now_ms);
}

void qnetd_server_destroy(struct qnetd_server *srv)
{
	qnetd_cluster_map_destroy(&srv->clusters);
}

void qnetd_conn_init(struct qnetd_server *srv, struct qnetd_conn *conn, const char *peer)
{
	memset(conn, 0, sizeof(*conn));
	conn->srv = srv;
	srv->counters.connections_accepted++;
	if (srv->ops != NULL && srv->ops->now_ms != NULL)
		conn->connected_ms = conn->last_message_ms = srv->ops->now_ms(srv->ctx);
	qnetd_client_init(&conn->client, conn);
	snprintf(conn->peer, sizeof(conn->peer), "%s", peer);
	/*
	 * Before INIT the heartbeat is assumed to be 120 s. Upstream refuses every
	 * connection when coefficient x 120 s exceeds the timer limit; clamping
	 * keeps the daemon usable with such a coefficient.
	 */
	uint64_t dpd = qnetd_conn_dpd_interval(srv->settings->dpd_interval_coefficient, QNETD_PRE_INIT_HEARTBEAT_MS);
	conn->dpd_interval_ms = dpd != 0 ? dpd : QNETD_TIMER_MAX_MS;
	frame_reader_init(&conn->frame, (uint64_t)srv->settings->max_client_receive_size);
	srv->conn_count++;
}

void qnetd_conn_destroy(struct qnetd_conn *conn)
{
	if (conn->srv != NULL)
		qnetd_sched_remove(&conn->srv->deferred, &conn->sched);
	qnetd_deferred_clear(&conn->deferred);
	qnetd_client_destroy(&conn->client);
	free(conn->cluster_name);
	conn->cluster_name = NULL;
	frame_reader_destroy(&conn->frame);
}

void qnetd_conn_log_close(const struct qnetd_conn *conn)
{
	const char *why = conn->disconnect_reason != NULL ? conn->disconnect_reason : "closed";
	/* A member of a cluster leaving is worth the administrator's attention; a probe is not. */
	char name[ESCAPE_LOG_NAME_MAX];
	if (conn->phase == QNETD_CONN_JOINED)
		log_info("Client %s (cluster '%s', node %u) disconnected: %s", conn->peer, log_name(conn, name),
			 conn->client.node_id, why);
	else
		log_debug("Client %s: closing connection (%s)", conn->peer, why);
}

void qnetd_conn_disconnect(struct qnetd_server *srv, struct qnetd_conn *conn)
{
	struct qnetd_client *client = &conn->client;
	struct qnetd_cluster *cluster = client->cluster;

	/* What it asked for and is still waiting goes unanswered: nobody is left to answer. */
	forget_requests(srv, conn);
	if (conn->phase == QNETD_CONN_JOINED && cluster != NULL) {
		const struct qnetd_algo *algo = qnetd_algo_get(client->algorithm);
		/* ffsplit decides again for the whole cluster here: part of this pass's work. */
		if (!srv->going_down)
			srv->pass_work += request_work(conn, QNETD_DEFERRED_MEMBERSHIP_LIST);
		if (algo != NULL)
			algo->client_disconnect(&srv->algo_io, client, srv->going_down);
	}
	srv->ops->algo_timer_stop(srv->ctx, conn);
	if (cluster != NULL) {
		qnetd_cluster_remove_client(cluster, client);
		if (cluster->client_count == 0)
			qnetd_cluster_map_remove(&srv->clusters, cluster);
	}
	conn->phase = QNETD_CONN_GREETED;  /* no longer a member of any cluster */
	srv->conn_count--;
	srv->counters.connections_closed++;
	enum qnetd_close_reason why = conn->close_reason;
	if (!conn->disconnect_scheduled)
		why = srv->going_down ? QNETD_CLOSE_SHUTDOWN : QNETD_CLOSE_OTHER;
	if ((size_t)why >= QNETD_CLOSE_REASON_COUNT)
		why = QNETD_CLOSE_OTHER;
	srv->counters.connections_closed_by_reason[why]++;
}

/* The TLS gate of doc/protocol.md §6.1; false when the message must not be handled. */
static bool tls_gate(struct qnetd_server *srv, struct qnetd_conn *conn, const struct msg *m)
{
	const struct qnetd_settings *s = srv->settings;

	if (s->tls == PROTO_TLS_REQUIRED && !conn->tls_started) {
		send_server_error(srv, conn, m, PROTO_ERR_TLS_REQUIRED, "TLS is required but was not started");
		return false;
	}
	if (s->client_cert_required && conn->tls_started && !conn->cert_verified) {
		if (srv->ops->verify_client_cert(srv->ctx, conn, conn->cluster_name, conn->cluster_name_len) != 0) {
			char name[ESCAPE_LOG_NAME_MAX];
			log_refused(srv, conn, &srv->refused_certs, LOG_ERR,
				    "certificate is missing or not valid for cluster name '%s'", log_name(conn, name));
			qnetd_server_note_cert_rejection(srv, QNETD_CERT_NAME_MISMATCH,
							 srv->ops->now_ms != NULL ? srv->ops->now_ms(srv->ctx) : 0);
			qnetd_conn_schedule_disconnect(conn, QNETD_CLOSE_CERT_REJECTED, "client certificate check failed");
			return false;
		}
		conn->cert_verified = true;
	}
	return true;
}

static void handle_preinit(struct qnetd_server *srv, struct qnetd_conn *conn, const struct msg *m)
{
	struct msg reply;

	if (!msg_has(m, PROTO_OPT_CLUSTER_NAME)) {
		send_server_error(srv, conn, m, PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION, "preinit without cluster name");
		return;
	}
	/* Upstream overwrote the name while the client stayed in its cluster; refuse instead. */
	if (conn->phase == QNETD_CONN_JOINED) {
		send_server_error(srv, conn, m, PROTO_ERR_UNEXPECTED_MESSAGE, "preinit after init");
		return;
	}
	/*
	 * The client certificate is checked against the name given before STARTTLS; a new name
	 * afterwards would join another cluster on that check (upstream accepts it).
	 */
	if (conn->tls_started) {
		send_server_error(srv, conn, m, PROTO_ERR_UNEXPECTED_MESSAGE, "preinit after starttls");
		return;
	}
	uint8_t *name = malloc(m->cluster_name_len + 1);
	if (name == NULL) {
		send_server_error(srv, conn, m, PROTO_ERR_INTERNAL_ERROR, "out of memory");
		return;
	}
	memcpy(name, m->cluster_name, m->cluster_name_len);
	name[m->cluster_name_len] = '\0';
	free(conn->cluster_name);
	conn->cluster_name = name;
	conn->cluster_name_len = m->cluster_name_len;
	conn->phase = QNETD_CONN_GREETED;

	msg_init(&reply, PROTO_MSG_PREINIT_REPLY);
	copy_seq(&reply, m);
	reply.tls_supported = srv->settings->tls;
	reply.tls_client_cert_required = srv->settings->client_cert_required ? 1 : 0;
	msg_set_present(&reply, PROTO_OPT_TLS_SUPPORTED);
	msg_set_present(&reply, PROTO_OPT_TLS_CLIENT_CERT_REQUIRED);
	send_msg(srv, conn, &reply);
}

static void handle_starttls(struct qnetd_server *srv, struct qnetd_conn *conn, const struct msg *m)
{
	if (conn->phase == QNETD_CONN_NEW) {
		send_server_error(srv, conn, m, PROTO_ERR_PREINIT_REQUIRED, "starttls before preinit");
		return;
	}
	/* A TLS hello follows at once, so an error reply could not be read: close instead. */
	if (srv->settings->tls == PROTO_TLS_UNSUPPORTED) {
		log_refused(srv, conn, NULL, LOG_ERR, "starttls while TLS is disabled");
		qnetd_conn_schedule_disconnect(conn, QNETD_CLOSE_PROTOCOL_ERROR, "starttls with TLS disabled");
		return;
	}
	if (conn->tls_started) {
		log_refused(srv, conn, NULL, LOG_ERR, "second starttls");
		qnetd_conn_schedule_disconnect(conn, QNETD_CLOSE_PROTOCOL_ERROR, "repeated starttls");
		return;
	}
	if (srv->ops->start_tls(srv->ctx, conn) != 0) {
		qnetd_conn_schedule_disconnect(conn, QNETD_CLOSE_TLS_ERROR, "cannot start TLS");
		return;
	}
	conn->tls_started = true;
}

/* Checks the joining client against the cluster's members (doc/protocol.md §6.4 step 8). */
static uint16_t check_cluster_members(const struct qnetd_cluster *cluster, const struct qnetd_client *client)
{
	for (size_t i = 0; i < cluster->client_count; i++) {
		const struct qnetd_client *member = cluster->clients[i];
		if (!proto_tie_breaker_equal(&member->tie_breaker, &client->tie_breaker))
			return PROTO_ERR_TIE_BREAKER_DIFFERS_FROM_OTHER_NODES;
		if (member->algorithm != client->algorithm)
			return PROTO_ERR_ALGORITHM_DIFFERS_FROM_OTHER_NODES;
		if (member->node_id == client->node_id)
			return PROTO_ERR_DUPLICATE_NODE_ID;
	}
	return PROTO_ERR_NO_ERROR;
}

static void send_init_reply(struct qnetd_server *srv, struct qnetd_conn *conn, const struct msg *m, uint16_t code)
{
	struct msg reply;

	msg_init(&reply, PROTO_MSG_INIT_REPLY);
	reply.reply_error_code = code;
	msg_set_present(&reply, PROTO_OPT_REPLY_ERROR_CODE);
	if (msg_has(m, PROTO_OPT_SUPPORTED_MESSAGES)) {
		reply.supported_messages = supported_messages;
		reply.supported_messages_count = PROTO_MSG_TYPE_COUNT;
		msg_set_present(&reply, PROTO_OPT_SUPPORTED_MESSAGES);
	}
	if (msg_has(m, PROTO_OPT_SUPPORTED_OPTIONS)) {
		reply.supported_options = supported_options;
		reply.supported_options_count = PROTO_OPT_COUNT;
		msg_set_present(&reply, PROTO_OPT_SUPPORTED_OPTIONS);
	}
	copy_seq(&reply, m);
	/* Limits are advertised as u32, truncated like upstream. */
	reply.server_max_request_size = (uint32_t)srv->settings->max_client_receive_size;
	reply.server_max_reply_size = (uint32_t)srv->settings->max_client_send_size;
	reply.supported_algorithms = supported_algorithms;
	reply.supported_algorithms_count = PROTO_ALGO_COUNT;
	msg_set_present(&reply, PROTO_OPT_SERVER_MAXIMUM_REQUEST_SIZE);
	msg_set_present(&reply, PROTO_OPT_SERVER_MAXIMUM_REPLY_SIZE);
	msg_set_present(&reply, PROTO_OPT_SUPPORTED_DECISION_ALGORITHMS);
	if (code != PROTO_ERR_NO_ERROR)
		log_refused(srv, conn, NULL, LOG_ERR, "init refused: %s (%u)", proto_reply_error_str(code), code);
	send_msg(srv, conn, &reply);
}

/* INIT, with upstream's check order and error precedence (doc/protocol.md §6.4). */
static void handle_init(struct qnetd_server *srv, struct qnetd_conn *conn, const struct msg *m)
{
	const struct qnetd_settings *s = srv->settings;
	struct qnetd_client *client = &conn->client;
	uint16_t code = PROTO_ERR_NO_ERROR;

	/* Upstream re-ran INIT inside the cluster; refuse a second one without touching state. */
	if (conn->phase == QNETD_CONN_JOINED) {
		note_init_refusal(srv, conn, QNETD_INIT_REFUSAL_REPEATED);
		send_init_reply(srv, conn, m, PROTO_ERR_UNEXPECTED_MESSAGE);
		return;
	}
	if (conn->phase == QNETD_CONN_NEW)
		code = PROTO_ERR_PREINIT_REQUIRED;
	if (code == 0 && !msg_has(m, PROTO_OPT_NODE_ID))
		code = PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION;
	else
		client->node_id = msg_has(m, PROTO_OPT_NODE_ID) ? m->node_id : 0;
	if (code == 0 && !msg_has(m, PROTO_OPT_RING_ID)) {
		code = PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION;
	} else if (msg_has(m, PROTO_OPT_RING_ID)) {
		client->ring_id = m->ring_id;
	} else {
		client->ring_id.node_id = 0;
		client->ring_id.seq = 0;
	}
	if (code == 0 && !msg_has(m, PROTO_OPT_HEARTBEAT_INTERVAL)) {
		code = PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION;
	} else {
		uint32_t hb = msg_has(m, PROTO_OPT_HEARTBEAT_INTERVAL) ? m->heartbeat_interval : 0;
		if (hb < s->heartbeat_interval_min || hb > s->heartbeat_interval_max) {
			code = PROTO_ERR_INVALID_HEARTBEAT_INTERVAL;
		} else {
			client->heartbeat_interval = hb;
			if (s->dpd_enabled) {
				uint64_t dpd = qnetd_conn_dpd_interval(s->dpd_interval_coefficient, hb);
				if (dpd == 0) {
					code = PROTO_ERR_INVALID_HEARTBEAT_INTERVAL;
				} else {
					conn->dpd_interval_ms = dpd;
					srv->ops->dpd_restart(srv->ctx, conn);
				}
			}
		}
	}
	if (code == 0 && !msg_has(m, PROTO_OPT_TIE_BREAKER)) {
		code = PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION;
	} else if (msg_has(m, PROTO_OPT_TIE_BREAKER)) {
		client->tie_breaker = m->tie_breaker;
	} else {
		client->tie_breaker.mode = 0;
		client->tie_breaker.node_id = 0;
	}
	if (code == 0 && !msg_has(m, PROTO_OPT_DECISION_ALGORITHM)) {
		code = PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION;
	} else {
		uint16_t alg = msg_has(m, PROTO_OPT_DECISION_ALGORITHM) ? m->algorithm : 0;
		if (qnetd_algo_get(alg) == NULL)
			code = PROTO_ERR_UNSUPPORTED_DECISION_ALGORITHM;
		client->algorithm = alg;
	}
	if (code == 0)
		client->kap_tie_breaker = s->keep_active_partition_tie_breaker;

	struct qnetd_cluster *cluster = NULL;
	bool created = false, cluster_full = false;
	if (code == 0) {
		cluster = qnetd_cluster_map_find(&srv->clusters, conn->cluster_name, conn->cluster_name_len);
		if (cluster != NULL)
			code = check_cluster_members(cluster, client);
		/* No honest cluster has more nodes than corosync's membership can hold (doc/hardening.md §7.1). */
		if (code == 0 && cluster != NULL && cluster->client_count >= QNETD_MAX_CLIENTS_PER_CLUSTER) {
			log_refused(srv, conn, NULL, LOG_ERR, "cluster already has %zu clients (at most %u)",
				    cluster->client_count, QNETD_MAX_CLIENTS_PER_CLUSTER);
			code = PROTO_ERR_INTERNAL_ERROR;
			cluster_full = true;
		}
	}
	if (code == 0) {
		if (cluster == NULL) {
			cluster = qnetd_cluster_map_create(&srv->clusters, conn->cluster_name, conn->cluster_name_len);
			created = cluster != NULL;
		}
		if (cluster == NULL || qnetd_cluster_add_client(cluster, client) != 0) {
			code = PROTO_ERR_INTERNAL_ERROR;
			if (created)
				qnetd_cluster_map_remove(&srv->clusters, cluster);
		}
	}
	if (code == 0) {
		const struct qnetd_algo *algo = qnetd_algo_get(client->algorithm);
		if (client->algorithm == PROTO_ALGO_TEST)
			log_warn("Client %s: algorithm 'test' is for development only and can make "
				 "several partitions quorate", conn->peer);
		code = algo->init(&srv->algo_io, client);
		if (code != 0) {
			qnetd_cluster_remove_client(cluster, client);
			if (cluster->client_count == 0)
				qnetd_cluster_map_remove(&srv->clusters, cluster);
		}
	}
	if (code == 0) {
		conn->phase = QNETD_CONN_JOINED;
		srv->counters.clients_joined++;
		char name[ESCAPE_LOG_NAME_MAX];
		log_info("Client %s joined cluster '%s' as node %u (algorithm %s, heartbeat %u ms, %s)",
			 conn->peer, log_name(conn, name),
			 client->node_id, proto_algorithm_str(client->algorithm), client->heartbeat_interval,
			 !conn->tls_started ? "no TLS" : conn->cert_verified ? "TLS, client certificate verified"
									    : "TLS without client certificate");
	} else {
		note_init_refusal(srv, conn, cluster_full ? QNETD_INIT_REFUSAL_CLUSTER_FULL : qnetd_init_refusal_from_error(code));
	}
	send_init_reply(srv, conn, m, code);
}

static void handle_set_option(struct qnetd_server *srv, struct qnetd_conn *conn, const struct msg *m)
{
	const struct qnetd_settings *s = srv->settings;
	struct qnetd_client *client = &conn->client;
	struct msg reply;

	if (msg_has(m, PROTO_OPT_HEARTBEAT_INTERVAL)) {
		uint32_t hb = m->heartbeat_interval;
		if (hb < s->heartbeat_interval_min || hb > s->heartbeat_interval_max) {
			send_server_error(srv, conn, m, PROTO_ERR_INVALID_HEARTBEAT_INTERVAL,
					  "set option: heartbeat interval out of range");
			return;
		}
		client->heartbeat_interval = hb;
		if (s->dpd_enabled) {
			uint64_t dpd = qnetd_conn_dpd_interval(s->dpd_interval_coefficient, hb);
			if (dpd == 0) {
				send_server_error(srv, conn, m, PROTO_ERR_INVALID_HEARTBEAT_INTERVAL,
						  "set option: dead peer timeout out of the timer range");
				return;
			}
			conn->dpd_interval_ms = dpd;
			srv->ops->dpd_restart(srv->ctx, conn);
		}
	}
	if (msg_has(m, PROTO_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER))
		client->kap_tie_breaker = m->kap_tie_breaker == PROTO_KAP_TIE_BREAKER_ENABLED;

	msg_init(&reply, PROTO_MSG_SET_OPTION_REPLY);
	copy_seq(&reply, m);
	if (msg_has(m, PROTO_OPT_HEARTBEAT_INTERVAL)) {
		reply.heartbeat_interval = client->heartbeat_interval;
		msg_set_present(&reply, PROTO_OPT_HEARTBEAT_INTERVAL);
	}
	if (msg_has(m, PROTO_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER)) {
		reply.kap_tie_breaker = client->kap_tie_breaker ? 1 : 0;
		msg_set_present(&reply, PROTO_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER);
	}
	send_msg(srv, conn, &reply);
}

/* The echo reply is the request's bytes with the type changed (doc/protocol.md §6.7). */
static void handle_echo_request(struct qnetd_server *srv, struct qnetd_conn *conn, const uint8_t *raw, size_t len)
{
	if ((long long)len > srv->settings->max_client_send_size) {
		log_refused(srv, conn, NULL, LOG_ERR, "echo reply would exceed max_client_send_size");
		qnetd_conn_schedule_disconnect(conn, QNETD_CLOSE_OVERLOAD, "reply too large");
		return;
	}
	uint8_t *copy = malloc(len);
	if (copy == NULL) {
		qnetd_conn_schedule_disconnect(conn, QNETD_CLOSE_OVERLOAD, "out of memory");
		return;
	}
	memcpy(copy, raw, len);
	tlv_set_u16(copy, PROTO_MSG_ECHO_REPLY);
	if (srv->ops->send(srv->ctx, conn, copy, len) != 0) {
		log_refused(srv, conn, NULL, LOG_ERR, "send queue full, disconnecting");
		qnetd_conn_schedule_disconnect(conn, QNETD_CLOSE_OVERLOAD, "send queue full");
	}
	free(copy);
}

static void log_node_list(const struct qnetd_conn *conn, const struct msg *m)
{
	char nodes[256];
	size_t used = 0;
	nodes[0] = '\0';
	for (size_t i = 0; i < m->node_count && used < sizeof(nodes) - 16; i++)
		used += (size_t)snprintf(nodes + used, sizeof(nodes) - used, "%s%u", i ? ", " : "",
					 m->nodes[i].node_id);
	log_debug("Client %s (node %u): node list type %u, seq %u, ring %x.%llx, nodes [%s]", conn->peer,
		  conn->client.node_id, m->node_list_type, m->seq_number, m->ring_id.node_id,
		  (unsigned long long)m->ring_id.seq, nodes);
}

/* Which waiting-request kind a node list is (doc/hardening.md §7.3: one of each kind waits). */
static enum qnetd_deferred_kind node_list_kind(uint8_t type)
{
	switch (type) {
	case PROTO_NODE_LIST_MEMBERSHIP: return QNETD_DEFERRED_MEMBERSHIP_LIST;
	case PROTO_NODE_LIST_QUORUM: return QNETD_DEFERRED_QUORUM_LIST;
	default: return QNETD_DEFERRED_CONFIG_LIST;
	}
}

/* The hook, the store and the reply of a node list that passed handle_node_list's checks. */
static void node_list_now(struct qnetd_server *srv, struct qnetd_conn *conn, const struct msg *m)
{
	struct qnetd_client *client = &conn->client;
	const struct qnetd_algo *algo = qnetd_algo_get(client->algorithm);
	uint8_t vote = PROTO_VOTE_NO_CHANGE;
	uint16_t code;

	uint8_t heuristics = msg_has(m, PROTO_OPT_HEURISTICS) ? m->heuristics : PROTO_HEURISTICS_UNDEFINED;
	/* Built once, with its sorted ids, for the hook; then stored as it is (doc/hardening.md §7.2). */
	struct qnetd_node_list incoming = {0};
	if (qnetd_node_list_set(&incoming, m->nodes, m->node_count) != 0) {
		send_server_error(srv, conn, m, PROTO_ERR_INTERNAL_ERROR, "out of memory for the node list");
		return;
	}
	switch (m->node_list_type) {
	case PROTO_NODE_LIST_INITIAL_CONFIG:
	case PROTO_NODE_LIST_CHANGED_CONFIG:
		code = algo->config_node_list(&srv->algo_io, client, &incoming,
					      m->node_list_type == PROTO_NODE_LIST_INITIAL_CONFIG, &vote);
		break;
	case PROTO_NODE_LIST_MEMBERSHIP:
		code = algo->membership_node_list(&srv->algo_io, client, &m->ring_id, &incoming, heuristics, &vote);
		break;
	default:
		code = algo->quorum_node_list(&srv->algo_io, client, m->quorate, &incoming, &vote);
		break;
	}
	if (code != PROTO_ERR_NO_ERROR) {
		qnetd_node_list_clear(&incoming);
		send_server_error(srv, conn, m, code, "node list refused by the algorithm");
		return;
	}

	switch (m->node_list_type) {
	case PROTO_NODE_LIST_INITIAL_CONFIG:
	case PROTO_NODE_LIST_CHANGED_CONFIG:
		qnetd_node_list_move(&client->config_list, &incoming);
		client->config_version_set = msg_has(m, PROTO_OPT_CONFIG_VERSION);
		client->config_version = m->config_version;
		break;
	case PROTO_NODE_LIST_MEMBERSHIP:
		qnetd_node_list_move(&client->membership_list, &incoming);
		client->ring_id = m->ring_id;
		client->membership_heuristics = heuristics;
		client->heuristics = heuristics;
		break;
	default:
		qnetd_node_list_move(&client->quorum_list, &incoming);
		client->quorate = m->quorate;
		break;
	}

	struct msg reply;
	msg_init(&reply, PROTO_MSG_NODE_LIST_REPLY);
	copy_seq(&reply, m);
	reply.node_list_type = m->node_list_type;
	reply.ring_id = client->ring_id;
	reply.vote = vote;
	msg_set_present(&reply, PROTO_OPT_NODE_LIST_TYPE);
	msg_set_present(&reply, PROTO_OPT_RING_ID);
	msg_set_present(&reply, PROTO_OPT_VOTE);
	if (send_msg(srv, conn, &reply) == 0)
		record_vote(client, vote, 0);
}

/* Replies that carry seq, vote and the stored ring id (ASK_FOR_VOTE, HEURISTICS_CHANGE). */
static void send_vote_reply(struct qnetd_server *srv, struct qnetd_conn *conn, const struct msg *m, uint16_t type,
			    uint8_t vote)
{
	struct msg reply;

	msg_init(&reply, type);
	copy_seq(&reply, m);
	reply.vote = vote;
	reply.ring_id = conn->client.ring_id;
	msg_set_present(&reply, PROTO_OPT_VOTE);
	msg_set_present(&reply, PROTO_OPT_RING_ID);
	if (type == PROTO_MSG_HEURISTICS_CHANGE_REPLY) {
		reply.heuristics = m->heuristics;
		msg_set_present(&reply, PROTO_OPT_HEURISTICS);
	}
	if (send_msg(srv, conn, &reply) == 0)
		record_vote(&conn->client, vote, 0);
}

static void ask_for_vote_now(struct qnetd_server *srv, struct qnetd_conn *conn, const struct msg *m)
{
	const struct qnetd_algo *algo = qnetd_algo_get(conn->client.algorithm);
	uint8_t vote = PROTO_VOTE_NO_CHANGE;

	uint16_t code = algo->ask_for_vote(&srv->algo_io, &conn->client, &vote);
	if (code != PROTO_ERR_NO_ERROR) {
		send_server_error(srv, conn, m, code, "ask for vote refused by the algorithm");
		return;
	}
	send_vote_reply(srv, conn, m, PROTO_MSG_ASK_FOR_VOTE_REPLY, vote);
}

static void vote_info_reply_now(struct qnetd_server *srv, struct qnetd_conn *conn, const struct msg *m)
{
	const struct qnetd_algo *algo = qnetd_algo_get(conn->client.algorithm);

	qnetd_client_note_vote_confirmed(&conn->client, m->seq_number);
	uint16_t code = algo->vote_info_reply(&srv->algo_io, &conn->client, m->seq_number);
	if (code != PROTO_ERR_NO_ERROR)
		send_server_error(srv, conn, m, code, "vote info reply refused by the algorithm");
}

static void heuristics_change_now(struct qnetd_server *srv, struct qnetd_conn *conn, const struct msg *m)
{
	const struct qnetd_algo *algo = qnetd_algo_get(conn->client.algorithm);
	uint8_t vote = PROTO_VOTE_NO_CHANGE;

	uint16_t code = algo->heuristics_change(&srv->algo_io, &conn->client, m->heuristics, &vote);
	if (code != PROTO_ERR_NO_ERROR) {
		send_server_error(srv, conn, m, code, "heuristics change refused by the algorithm");
		return;
	}
	conn->client.regular_heuristics = m->heuristics;
	conn->client.heuristics = m->heuristics;
	send_vote_reply(srv, conn, m, PROTO_MSG_HEURISTICS_CHANGE_REPLY, vote);
}

static void algo_timer_now(struct qnetd_server *srv, struct qnetd_conn *conn)
{
	const struct qnetd_algo *algo = qnetd_algo_get(conn->client.algorithm);

	if (conn->phase != QNETD_CONN_JOINED || conn->disconnect_scheduled || algo == NULL || algo->timer == NULL)
		return;
	uint16_t code = algo->timer(&srv->algo_io, &conn->client);
	if (code != PROTO_ERR_NO_ERROR)
		send_server_error(srv, conn, NULL, code, "algorithm timer");
}

/*
 * ---- Evaluation requests: now, or in a later pass (doc/hardening.md §7.3, §7.4) ----
 *
 * A request that makes the algorithm work runs at once when its connection has nothing waiting,
 * its connection's budget has a token, no other connection waits for its turn and this loop pass
 * has work left. Otherwise it waits behind the connection's earlier requests; a newer request of
 * the same kind replaces a waiting one. Each connection's requests keep their order; only the
 * interleaving of different connections changes, as a slower network could change it.
 */

static struct qnetd_conn *conn_of_item(struct qnetd_sched_item *it)
{
	return (struct qnetd_conn *)(void *)((char *)it - offsetof(struct qnetd_conn, sched));
}

static bool rate_limit_active(const struct qnetd_server *srv)
{
	return srv->ops != NULL && srv->ops->rate_timer_start != NULL && srv->ops->now_ms != NULL;
}

/* Requests that cost a token: the client's own evaluation requests (not its confirmations, not timers). */
static bool kind_counted(enum qnetd_deferred_kind kind)
{
	return kind != QNETD_DEFERRED_VOTE_INFO_REPLY && kind != QNETD_DEFERRED_ALGO_TIMER;
}

/*
 * What a request costs this pass (the units of QNETD_PASS_WORK_BUDGET): an ffsplit evaluation looks
 * at every client's lists; the others (lms, 2nodelms, a confirmation) at every client once.
 */
static uint64_t request_work(const struct qnetd_conn *conn, enum qnetd_deferred_kind kind)
{
	const struct qnetd_cluster *cluster = conn->client.cluster;
	if (cluster == NULL)
		return 1;
	bool whole = conn->client.algorithm == PROTO_ALGO_FFSPLIT && kind != QNETD_DEFERRED_VOTE_INFO_REPLY &&
		     kind != QNETD_DEFERRED_ALGO_TIMER;
	return whole ? qnetd_cluster_work(cluster) : cluster->client_count + 1;
}

static void run_request(struct qnetd_server *srv, struct qnetd_conn *conn, enum qnetd_deferred_kind kind,
			const struct msg *m)
{
	srv->pass_work += request_work(conn, kind);
	switch (kind) {
	case QNETD_DEFERRED_CONFIG_LIST:
	case QNETD_DEFERRED_MEMBERSHIP_LIST:
	case QNETD_DEFERRED_QUORUM_LIST: node_list_now(srv, conn, m); break;
	case QNETD_DEFERRED_ASK_FOR_VOTE: ask_for_vote_now(srv, conn, m); break;
	case QNETD_DEFERRED_HEURISTICS_CHANGE: heuristics_change_now(srv, conn, m); break;
	case QNETD_DEFERRED_VOTE_INFO_REPLY: vote_info_reply_now(srv, conn, m); break;
	case QNETD_DEFERRED_ALGO_TIMER: algo_timer_now(srv, conn); break;
	}
}

/* Queues the connection for its next turn (behind every other cluster's waiting connections). */
static void make_ready(struct qnetd_server *srv, struct qnetd_conn *conn)
{
	qnetd_sched_push(&srv->deferred, &conn->client.cluster->sched_group, &conn->sched);
}

static void stop_awaiting(struct qnetd_server *srv, struct qnetd_conn *conn)
{
	if (conn->awaiting_token) {
		conn->awaiting_token = false;
		srv->rate_limited_conns--;
	}
}

/* m (NULL for the timer) is moved in; false when it could not wait (the connection then closes). */
static bool enqueue(struct qnetd_server *srv, struct qnetd_conn *conn, enum qnetd_deferred_kind kind, bool paid,
		    struct msg *m)
{
	int r = qnetd_deferred_push(&conn->deferred, kind, paid, m);
	if (r < 0) {
		log_refused(srv, conn, NULL, LOG_ERR, "out of memory for a waiting %s, disconnecting",
			    qnetd_deferred_kind_str(kind));
		qnetd_conn_schedule_disconnect(conn, QNETD_CLOSE_OVERLOAD, "out of memory");
		return false;
	}
	srv->counters.deferred_requests++;
	if (r > 0)
		srv->counters.coalesced_requests++;
	return true;
}

/* A request that arrived, or came to run, while its connection was over its rate: counted once, the first logged. */
static void note_over_rate(struct qnetd_server *srv, struct qnetd_conn *conn, struct qnetd_deferred_entry *e)
{
	if (e->waited)
		return;
	e->waited = true;
	srv->counters.rate_limited_requests++;
	conn->rate_limited_requests++;
	if (!conn->rate_logged) {
		/* Once per connection, and through the members' rate limit: a flood cannot flood the log. */
		conn->rate_logged = true;
		log_refused(srv, conn, NULL, LOG_WARNING,
			    "more than %u evaluation requests a second (%s): deferring them, a newer one of a kind "
			    "replacing the waiting one",
			    srv->request_rate_per_s, qnetd_deferred_kind_str(e->kind));
	}
}

/* The connection's oldest request waits until its budget has a token again. */
static void wait_for_token(struct qnetd_server *srv, struct qnetd_conn *conn)
{
	struct qnetd_deferred_entry *head = qnetd_deferred_head(&conn->deferred);
	uint64_t now = srv->ops->now_ms(srv->ctx);
	note_over_rate(srv, conn, head);
	if (!conn->awaiting_token) {
		conn->awaiting_token = true;
		srv->rate_limited_conns++;
	}
	uint64_t wait = token_bucket_wait_ms(&conn->requests, now, srv->request_rate_per_s, srv->request_burst);
	srv->ops->rate_timer_start(srv->ctx, conn, wait > 0 ? wait : 1);
}

/* A checked request from a joined client: runs now or waits (m, NULL for the timer, is moved when it waits). */
static void submit(struct qnetd_server *srv, struct qnetd_conn *conn, enum qnetd_deferred_kind kind, struct msg *m)
{
	bool counted = kind_counted(kind) && rate_limit_active(srv);

	if (qnetd_deferred_count(&conn->deferred) > 0) {
		/* Behind what already waits, whatever made it wait: the client's order is kept. */
		if (enqueue(srv, conn, kind, false, m) && counted && conn->awaiting_token)
			note_over_rate(srv, conn, &conn->deferred.entries[qnetd_deferred_count(&conn->deferred) - 1]);
		return;
	}
	if (counted && !token_bucket_take(&conn->requests, srv->ops->now_ms(srv->ctx), srv->request_rate_per_s,
					  srv->request_burst)) {
		if (enqueue(srv, conn, kind, false, m))
			wait_for_token(srv, conn);
		return;
	}
	if (qnetd_server_has_deferred(srv) || srv->pass_work >= srv->pass_work_budget) {
		if (enqueue(srv, conn, kind, counted, m))
			make_ready(srv, conn);
		return;
	}
	run_request(srv, conn, kind, m);
}

/* Runs the connection's oldest waiting request if its budget allows, then queues it for its next turn. */
static void run_head(struct qnetd_server *srv, struct qnetd_conn *conn)
{
	struct qnetd_deferred_entry *head = qnetd_deferred_head(&conn->deferred);
	if (conn->disconnect_scheduled || head == NULL) {
		qnetd_deferred_clear(&conn->deferred);
		return;
	}
	if (kind_counted(head->kind) && !head->paid && rate_limit_active(srv) &&
	    !token_bucket_take(&conn->requests, srv->ops->now_ms(srv->ctx), srv->request_rate_per_s,
			       srv->request_burst)) {
		wait_for_token(srv, conn);
		return;
	}
	struct qnetd_deferred_entry e;
	qnetd_deferred_pop(&conn->deferred, &e);
	run_request(srv, conn, e.kind, &e.msg);
	msg_destroy(&e.msg);
	if (conn->disconnect_scheduled)
		qnetd_deferred_clear(&conn->deferred);
	else if (qnetd_deferred_count(&conn->deferred) > 0)
		make_ready(srv, conn);
}

void qnetd_server_run_deferred(struct qnetd_server *srv)
{
	bool first = true;
	while (!qnetd_sched_empty(&srv->deferred) && (first || srv->pass_work < srv->pass_work_budget)) {
		first = false;
		run_head(srv, conn_of_item(qnetd_sched_pop(&srv->deferred)));
	}
}

void qnetd_server_pass_done(struct qnetd_server *srv)
{
	srv->pass_work = 0;
}

void qnetd_conn_rate_timer(struct qnetd_server *srv, struct qnetd_conn *conn)
{
	if (!conn->awaiting_token)
		return;
	stop_awaiting(srv, conn);
	if (!conn->disconnect_scheduled && qnetd_deferred_count(&conn->deferred) > 0)
		make_ready(srv, conn);
}

/* A stopped or restarted algorithm timer never fires from before: its waiting call goes too. */
static void forget_timer_request(struct qnetd_server *srv, struct qnetd_conn *conn)
{
	if (!qnetd_deferred_drop(&conn->deferred, QNETD_DEFERRED_ALGO_TIMER))
		return;
	if (qnetd_deferred_count(&conn->deferred) == 0) {
		qnetd_sched_remove(&srv->deferred, &conn->sched);
		stop_awaiting(srv, conn);
	}
}

/* Nothing of the connection waits any more (it is leaving). */
static void forget_requests(struct qnetd_server *srv, struct qnetd_conn *conn)
{
	qnetd_sched_remove(&srv->deferred, &conn->sched);
	stop_awaiting(srv, conn);
	qnetd_deferred_clear(&conn->deferred);
}

/* ---- Messages that ask for an evaluation: checked on arrival, run through submit ---- */

static void handle_node_list(struct qnetd_server *srv, struct qnetd_conn *conn, struct msg *m)
{
	if (!msg_has(m, PROTO_OPT_NODE_LIST_TYPE) || !msg_has(m, PROTO_OPT_MSG_SEQ_NUMBER) ||
	    (m->node_list_type == PROTO_NODE_LIST_MEMBERSHIP && !msg_has(m, PROTO_OPT_RING_ID)) ||
	    (m->node_list_type == PROTO_NODE_LIST_QUORUM && !msg_has(m, PROTO_OPT_QUORATE))) {
		send_server_error(srv, conn, m, PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION,
				  "node list without seq, list type, ring id or quorate");
		return;
	}
	if (m->node_count > QNETD_MAX_NODES_PER_LIST) {
		char why[96];
		snprintf(why, sizeof(why), "node list of %zu nodes (at most %u)", m->node_count,
			 QNETD_MAX_NODES_PER_LIST);
		send_server_error(srv, conn, m,
				  m->node_list_type == PROTO_NODE_LIST_MEMBERSHIP ||
						  m->node_list_type == PROTO_NODE_LIST_QUORUM
					  ? PROTO_ERR_INVALID_MEMBERSHIP_NODE_LIST
					  : PROTO_ERR_INVALID_CONFIG_NODE_LIST,
				  why);
		return;
	}
	log_node_list(conn, m);
	if (m->node_list_type == PROTO_NODE_LIST_MEMBERSHIP || m->node_list_type == PROTO_NODE_LIST_QUORUM)
		decision_started(srv, conn);
	submit(srv, conn, node_list_kind(m->node_list_type), m);
}

static void handle_ask_for_vote(struct qnetd_server *srv, struct qnetd_conn *conn, struct msg *m)
{
	if (!msg_has(m, PROTO_OPT_MSG_SEQ_NUMBER)) {
		send_server_error(srv, conn, m, PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION, "ask for vote without seq");
		return;
	}
	decision_started(srv, conn);
	submit(srv, conn, QNETD_DEFERRED_ASK_FOR_VOTE, m);
}

static void handle_vote_info_reply(struct qnetd_server *srv, struct qnetd_conn *conn, struct msg *m)
{
	if (!msg_has(m, PROTO_OPT_MSG_SEQ_NUMBER)) {
		send_server_error(srv, conn, m, PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION, "vote info reply without seq");
		return;
	}
	submit(srv, conn, QNETD_DEFERRED_VOTE_INFO_REPLY, m);
}

static void handle_heuristics_change(struct qnetd_server *srv, struct qnetd_conn *conn, struct msg *m)
{
	if (!msg_has(m, PROTO_OPT_MSG_SEQ_NUMBER) || !msg_has(m, PROTO_OPT_HEURISTICS)) {
		send_server_error(srv, conn, m, PROTO_ERR_DOESNT_CONTAIN_REQUIRED_OPTION,
				  "heuristics change without seq or heuristics");
		return;
	}
	decision_started(srv, conn);
	submit(srv, conn, QNETD_DEFERRED_HEURISTICS_CHANGE, m);
}

static void dispatch(struct qnetd_server *srv, struct qnetd_conn *conn, struct msg *m, const uint8_t *raw,
		     size_t len)
{
	switch (m->type) {
	case PROTO_MSG_PREINIT:
		handle_preinit(srv, conn, m);
		return;
	case PROTO_MSG_STARTTLS:
		handle_starttls(srv, conn, m);
		return;
	case PROTO_MSG_INIT:
	case PROTO_MSG_SET_OPTION:
	case PROTO_MSG_ECHO_REQUEST:
	case PROTO_MSG_NODE_LIST:
	case PROTO_MSG_ASK_FOR_VOTE:
	case PROTO_MSG_VOTE_INFO_REPLY:
	case PROTO_MSG_HEURISTICS_CHANGE:
		break;
	default:
		send_server_error(srv, conn, m, PROTO_ERR_UNEXPECTED_MESSAGE, proto_msg_type_str(m->type));
		return;
	}
	if (!tls_gate(srv, conn, m))
		return;
	if (m->type == PROTO_MSG_INIT) {
		handle_init(srv, conn, m);
		return;
	}
	if (conn->phase != QNETD_CONN_JOINED) {
		send_server_error(srv, conn, m, PROTO_ERR_INIT_REQUIRED, proto_msg_type_str(m->type));
		return;
	}
	switch (m->type) {
	case PROTO_MSG_SET_OPTION: handle_set_option(srv, conn, m); break;
	case PROTO_MSG_ECHO_REQUEST: handle_echo_request(srv, conn, raw, len); break;
	case PROTO_MSG_NODE_LIST: handle_node_list(srv, conn, m); break;
	case PROTO_MSG_ASK_FOR_VOTE: handle_ask_for_vote(srv, conn, m); break;
	case PROTO_MSG_VOTE_INFO_REPLY: handle_vote_info_reply(srv, conn, m); break;
	default: handle_heuristics_change(srv, conn, m); break;
	}
}

/* Skipped messages get an error without seq and do not count as liveness. */
static void message_skipped(struct qnetd_server *srv, struct qnetd_conn *conn, const struct frame *f)
{
	uint16_t code = f->verdict == FRAME_UNKNOWN_TYPE ? PROTO_ERR_UNSUPPORTED_MESSAGE : PROTO_ERR_MESSAGE_TOO_LONG;
	send_server_error(srv, conn, NULL, code, "message skipped");
}

static void message_complete(struct qnetd_server *srv, struct qnetd_conn *conn, const struct frame *f)
{
	struct msg m;
	struct msg_decode_error err;

	if (srv->settings->dpd_enabled)
		srv->ops->dpd_restart(srv->ctx, conn);
	if (srv->ops->now_ms != NULL)
		conn->last_message_ms = srv->ops->now_ms(srv->ctx);
	if (msg_decode(f->data, f->size, &m, &err) != 0) {
		char reason[160];
		snprintf(reason, sizeof(reason), "cannot decode %s: %s (option %u, %s)", proto_msg_type_str(m.type),
			 msg_decode_status_str(err.status), err.option, msg_option_str(err.option));
		send_server_error(srv, conn, &m, PROTO_ERR_ERROR_DECODING_MSG, reason);
	} else {
		dispatch(srv, conn, &m, f->data, f->size);
	}
	msg_destroy(&m);
}

void qnetd_conn_algo_timer(struct qnetd_server *srv, struct qnetd_conn *conn)
{
	const struct qnetd_algo *algo = qnetd_algo_get(conn->client.algorithm);

	if (conn->phase != QNETD_CONN_JOINED || conn->disconnect_scheduled || algo == NULL || algo->timer == NULL)
		return;
	submit(srv, conn, QNETD_DEFERRED_ALGO_TIMER, NULL);
}

size_t qnetd_conn_want(const struct qnetd_conn *conn)
{
	return frame_reader_want(&conn->frame);
}

size_t qnetd_conn_input(struct qnetd_server *srv, struct qnetd_conn *conn, const uint8_t *data, size_t len)
{
	size_t consumed = 0;

	while (consumed < len && !conn->disconnect_scheduled) {
		struct frame f;
		consumed += frame_reader_feed(&conn->frame, data + consumed, len - consumed, &f);
		switch (f.event) {
		case FRAME_NEED_MORE:
			break;
		case FRAME_NO_MEMORY:
			qnetd_conn_schedule_disconnect(conn, QNETD_CLOSE_OVERLOAD, "out of memory");
			return consumed;
		case FRAME_SKIPPED:
			message_skipped(srv, conn, &f);
			break;
		case FRAME_MESSAGE: {
			bool was_tls = conn->tls_started;
			message_complete(srv, conn, &f);
			/* Bytes after a STARTTLS belong to the TLS layer, never to us. */
			if (!was_tls && conn->tls_started)
				return consumed;
			break;
		}
		}
	}
	return consumed;
}

/* Model net's client state machine (doc/qdevice-state-machine.md) as plain functions: handshake, votes, echoes, local events, disconnect rules. */
#include "qdevice_net.h"

#include <string.h>

#include "log.h"

static void net_send_init(struct qdevice_net *n);
static void net_nack_reply_check(struct qdevice_net *n);

void qdevice_net_init(struct qdevice_net *n, const struct qdevice_net_params *p, const struct qdevice_net_io *io)
{
	memset(n, 0, sizeof(*n));
	n->p = *p;
	n->io = *io;
	n->state = QDEVICE_NET_WAITING_CONNECT;
	n->seq = 1;
	n->max_send_size = p->initial_msg_send_size;
	n->max_receive_size = p->initial_msg_receive_size;
	n->expected_votes = p->expected_votes;
	/* No polls until the first server decision or the first disconnect
	 * (doc/qdevice-state-machine.md §7.1). */
	n->vote = PROTO_VOTE_ASK_LATER;
	n->heur_latest = QDEVICE_HEURISTICS_RESULT_DISABLED;
	n->heur_regular = QDEVICE_HEURISTICS_RESULT_DISABLED;
	n->heur_membership = QDEVICE_HEURISTICS_RESULT_DISABLED;
	n->heur_connect = QDEVICE_HEURISTICS_RESULT_DISABLED;
}

static const struct qdevice_config *cfg(const struct qdevice_net *n)
{
	return n->p.cfg;
}

static uint16_t algorithm(const struct qdevice_net *n)
{
	return cfg(n)->net.algorithm;
}

void qdevice_net_schedule_disconnect(struct qdevice_net *n, enum qdevice_net_reason reason)
{
	if (n->disconnect_scheduled)
		return;
	n->disconnect_scheduled = true;
	n->disconnect_reason = reason;
	log_debug("Disconnect scheduled: %s", qdevice_net_reason_str(reason));
}

static int net_send(struct qdevice_net *n, const struct msg *m)
{
	if (n->io.send(n->io.ctx, m) != 0) {
		log_err("Can't allocate send buffer for %s message", proto_msg_type_str(m->type));
		qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_CANT_ALLOCATE_MSG_BUFFER);
		return -1;
	}
	return 0;
}

static void net_msg_start(struct qdevice_net *n, struct msg *m, uint16_t type, bool increment)
{
	msg_init(m, type);
	if (increment)
		n->seq++;
	m->seq_number = n->seq;
	msg_set_present(m, PROTO_OPT_MSG_SEQ_NUMBER);
}

/* Wire value of a heuristics result: disabled (and pending) are not sent. */
static uint8_t heuristics_wire(enum qdevice_heuristics_result r)
{
	switch (r) {
	case QDEVICE_HEURISTICS_RESULT_PASS:
		return PROTO_HEURISTICS_PASS;
	case QDEVICE_HEURISTICS_RESULT_FAIL:
		return PROTO_HEURISTICS_FAIL;
	default:
		return PROTO_HEURISTICS_UNDEFINED;
	}
}

static bool heuristics_enabled(const struct qdevice_net *n)
{
	return cfg(n)->heuristics.mode != QDEVICE_HEURISTICS_MODE_OFF;
}

static uint32_t heuristics_timeout(const struct qdevice_net *n)
{
	return n->sync_in_progress ? cfg(n)->heuristics.sync_timeout : cfg(n)->heuristics.timeout;
}

/* ---- Cast-vote timer (doc/qdevice-state-machine.md §7.1). ---- */

static void net_poll(struct qdevice_net *n)
{
	bool cast;

	if (n->vote_paused)
		return;
	if (n->vote == PROTO_VOTE_ACK)
		cast = true;
	else if (n->vote == PROTO_VOTE_NACK)
		cast = false;
	else
		return;
	int r = n->io.poll(n->io.ctx, cast, &n->poll_ring_id);
	n->last_poll_time = n->io.wall_now(n->io.ctx);
	n->last_poll_cast = cast;
	if (r == 1) {
		log_info("qdevice_votequorum_poll called with old ring id");
	} else if (r != 0) {
		log_crit("Can't call votequorum_qdevice_poll");
		qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_CANT_SCHEDULE_VOTING_TIMER);
	} else if (!cast) {
		net_nack_reply_check(n);
	}
}

static void net_vote_update(struct qdevice_net *n, uint8_t vote)
{
	switch (vote) {
	case PROTO_VOTE_NO_CHANGE:
		return;
	case PROTO_VOTE_ACK:
	case PROTO_VOTE_NACK:
		/* The vote this node casts for the device is what an administrator looks for first. */
		if (n->vote != vote && (vote == PROTO_VOTE_ACK || n->vote == PROTO_VOTE_ACK))
			log_notice("%s", vote == PROTO_VOTE_ACK ? "Vote is now ACK: this node casts the quorum device's vote"
								: "Vote is now NACK: this node no longer casts the quorum device's vote");
		else if (n->vote != vote)
			log_debug("Cast vote timer now votes %s", proto_vote_str(vote));
		n->vote = vote;
		if (!n->io.timer_armed(n->io.ctx, QDEVICE_NET_TIMER_CAST_VOTE))
			n->io.timer_start(n->io.ctx, QDEVICE_NET_TIMER_CAST_VOTE, cfg(n)->net.cast_vote_timer_interval);
		net_poll(n);
		return;
	case PROTO_VOTE_ASK_LATER:
	case PROTO_VOTE_WAIT_FOR_REPLY:
		if (n->vote != vote)
			log_debug("Cast vote timer stopped (%s)", proto_vote_str(vote));
		n->vote = vote;
		n->io.timer_stop(n->io.ctx, QDEVICE_NET_TIMER_CAST_VOTE);
		return;
	default:
		log_crit("Undefined vote for the cast vote timer");
		qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_CANT_SCHEDULE_VOTING_TIMER);
		return;
	}
}

/* While not connected a cast vote is withdrawn at every local event (doc/qdevice-state-machine.md §8). */
static void net_vote_withdraw_if_ack(struct qdevice_net *n)
{
	if (n->vote == PROTO_VOTE_ACK)
		net_vote_update(n, PROTO_VOTE_NACK);
}

/* ---- Answering a NACK once corosync has applied it (doc/qdevice-state-machine.md §7.4). ---- */

static uint64_t net_mono(const struct qdevice_net *n)
{
	return n->io.mono_ms != NULL ? n->io.mono_ms(n->io.ctx) : 0;
}

static void net_vote_info_reply(struct qdevice_net *n, uint32_t seq)
{
	struct msg r;
	msg_init(&r, PROTO_MSG_VOTE_INFO_REPLY);
	r.seq_number = seq;
	msg_set_present(&r, PROTO_OPT_MSG_SEQ_NUMBER);
	net_send(n, &r);
}

/* Sends the waiting answer; why says what ended the wait (for the log). */
static void net_nack_reply_release(struct qdevice_net *n, const char *why)
{
	if (!n->nack_reply_pending)
		return;
	n->nack_reply_pending = false;
	n->io.timer_stop(n->io.ctx, QDEVICE_NET_TIMER_NACK_REPLY);
	uint64_t now = net_mono(n);
	unsigned long long waited = now >= n->nack_reply_since_ms ? now - n->nack_reply_since_ms : 0;
	/* A wait of a second or more means corosync was between rings: worth a line at info level. */
	log_msg(waited >= 1000 ? LOG_INFO : LOG_DEBUG, "Answering VOTE_INFO seq %u (NACK) after %llu ms: %s",
		n->nack_reply_seq, waited, why);
	net_vote_info_reply(n, n->nack_reply_seq);
}

/* Re-checks a waiting answer: after each poll and each votequorum quorum notification. */
static void net_nack_reply_check(struct qdevice_net *n)
{
	if (n->nack_reply_pending && n->io.vote_withdrawn(n->io.ctx) == 1)
		net_nack_reply_release(n, "corosync no longer counts the device's vote");
}

/*
 * qnetd takes the answer to a NACK as proof that this node has stopped counting the device's vote,
 * and may then give it to another partition. corosync applies a poll only when this node's
 * nodeinfo comes back through totem, which it cannot while its ring is re-forming; so the answer
 * waits until corosync reports this node not quorate, or quorate by node votes alone (then no
 * other partition can reach quorum even with the device), or until sync_timeout has passed.
 */
static void net_nack_reply_begin(struct qdevice_net *n, uint32_t seq)
{
	if (n->io.vote_withdrawn == NULL || n->io.vote_withdrawn(n->io.ctx) == 1) {
		net_vote_info_reply(n, seq);
		return;
	}
	n->nack_reply_pending = true;
	n->nack_reply_seq = seq;
	n->nack_reply_since_ms = net_mono(n);
	n->counters.nack_replies_waited++;
	n->io.timer_start(n->io.ctx, QDEVICE_NET_TIMER_NACK_REPLY, cfg(n)->sync_timeout);
	log_debug("VOTE_INFO seq %u (NACK): the answer waits until corosync stops counting the device's vote", seq);
}

/* ---- Node lists (doc/protocol.md §6.8). ---- */

static int net_send_config_list(struct qdevice_net *n, uint8_t list_type)
{
	const struct qdevice_node_list *nl = &cfg(n)->node_list;
	struct msg_node_info nodes[QDEVICE_NET_MAX_NODES];
	struct msg m;
	size_t count = 0;

	for (size_t i = 0; i < nl->count && count < QDEVICE_NET_MAX_NODES; i++) {
		if (nl->nodes[i].node_id == 0)
			continue;               /* an unresolvable ring0_addr; node id 0 cannot go on the wire */
		nodes[count].node_id = nl->nodes[i].node_id;
		nodes[count].data_center_id = nl->nodes[i].data_center_id;
		nodes[count].node_state = PROTO_NODE_STATE_NOT_SET;
		count++;
	}
	net_msg_start(n, &m, PROTO_MSG_NODE_LIST, true);
	m.node_list_type = list_type;
	msg_set_present(&m, PROTO_OPT_NODE_LIST_TYPE);
	if (nl->config_version_set) {
		m.config_version = nl->config_version;
		msg_set_present(&m, PROTO_OPT_CONFIG_VERSION);
	}
	m.nodes = nodes;
	m.node_count = count;
	if (count > 0)
		msg_set_present(&m, PROTO_OPT_NODE_INFO);
	log_debug("Sending config node list seq = %u", n->seq);
	return net_send(n, &m);
}

static int net_send_membership_list(struct qdevice_net *n, enum qdevice_heuristics_result heur)
{
	struct msg_node_info nodes[QDEVICE_NET_MAX_NODES];
	struct msg m;
	size_t count = 0;

	for (size_t i = 0; i < n->member_count; i++) {
		if (n->members[i] == 0)
			continue;
		nodes[count].node_id = n->members[i];
		nodes[count].data_center_id = 0;
		nodes[count].node_state = PROTO_NODE_STATE_NOT_SET;
		count++;
	}
	net_msg_start(n, &m, PROTO_MSG_NODE_LIST, true);
	m.node_list_type = PROTO_NODE_LIST_MEMBERSHIP;
	msg_set_present(&m, PROTO_OPT_NODE_LIST_TYPE);
	m.ring_id = n->membership_ring_id;
	msg_set_present(&m, PROTO_OPT_RING_ID);
	m.nodes = nodes;
	m.node_count = count;
	if (count > 0)
		msg_set_present(&m, PROTO_OPT_NODE_INFO);
	if (heuristics_wire(heur) != PROTO_HEURISTICS_UNDEFINED) {
		m.heuristics = heuristics_wire(heur);
		msg_set_present(&m, PROTO_OPT_HEURISTICS);
	}
	n->last_sent_ring_id = n->membership_ring_id;
	log_debug("Sending membership node list seq = %u, ringid = (%x.%llx)", n->seq,
		  n->membership_ring_id.node_id, (unsigned long long)n->membership_ring_id.seq);
	return net_send(n, &m);
}

static int net_send_quorum_list(struct qdevice_net *n)
{
	struct msg_node_info nodes[QDEVICE_NET_MAX_NODES];
	struct msg m;
	size_t count = 0;

	for (size_t i = 0; i < n->quorum_node_count; i++) {
		const struct qdevice_net_quorum_node *q = &n->quorum_nodes[i];
		if (q->node_id == 0)
			continue;               /* votequorum's pseudo entry for the qdevice itself */
		if (q->state < PROTO_NODE_STATE_MEMBER || q->state > PROTO_NODE_STATE_LEAVING) {
			log_crit("Unknown state %u of node %u in the quorum node list", q->state, q->node_id);
			qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_CANT_ALLOCATE_MSG_BUFFER);
			return -1;
		}
		nodes[count].node_id = q->node_id;
		nodes[count].data_center_id = 0;
		nodes[count].node_state = q->state;
		count++;
	}
	net_msg_start(n, &m, PROTO_MSG_NODE_LIST, true);
	m.node_list_type = PROTO_NODE_LIST_QUORUM;
	msg_set_present(&m, PROTO_OPT_NODE_LIST_TYPE);
	m.quorate = n->quorate ? PROTO_QUORATE : PROTO_INQUORATE;
	msg_set_present(&m, PROTO_OPT_QUORATE);
	m.nodes = nodes;
	m.node_count = count;
	if (count > 0)
		msg_set_present(&m, PROTO_OPT_NODE_INFO);
	log_debug("Sending quorum node list seq = %u, quorate = %u", n->seq, n->quorate);
	return net_send(n, &m);
}

/* ---- Regular heuristics timer (doc/qdevice-state-machine.md §9.2). ---- */

static void net_regular_heuristics_schedule(struct qdevice_net *n)
{
	if (cfg(n)->heuristics.mode == QDEVICE_HEURISTICS_MODE_ON) {
		if (!n->io.timer_armed(n->io.ctx, QDEVICE_NET_TIMER_REGULAR_HEURISTICS))
			n->io.timer_start(n->io.ctx, QDEVICE_NET_TIMER_REGULAR_HEURISTICS, cfg(n)->heuristics.interval);
	} else {
		n->io.timer_stop(n->io.ctx, QDEVICE_NET_TIMER_REGULAR_HEURISTICS);
	}
}

static int net_heuristics_start(struct qdevice_net *n, enum qdevice_net_heuristics_kind kind, uint32_t timeout)
{
	int r = n->io.heuristics_start(n->io.ctx, kind, timeout);
	if (r < 0) {
		log_err("Can't start heuristics");
		qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_CANT_START_HEURISTICS);
	}
	return r;
}

/* ---- ffsplit's votes rule (doc/qdevice-state-machine.md §12). ---- */

static void net_check_votes(struct qdevice_net *n)
{
	if (algorithm(n) != PROTO_ALGO_FFSPLIT)
		return;
	if (n->io.check_votes(n->io.ctx) != 0)
		qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_ALGO_VOTES_CHECK_ERR);
}

/* ---- Connection life cycle. ---- */

void qdevice_net_connect_begin(struct qdevice_net *n)
{
	n->counters.connect_attempts++;
	n->state = QDEVICE_NET_WAITING_CONNECT;
	/* An answer owed on an earlier connection is never sent on a new one. */
	n->io.timer_stop(n->io.ctx, QDEVICE_NET_TIMER_NACK_REPLY);
	n->nack_reply_pending = false;
	n->connect_attempt_in_flight = true;
	n->connect_failed = false;
	n->io.timer_start(n->io.ctx, QDEVICE_NET_TIMER_CONNECT, cfg(n)->net.connect_timeout);
}

void qdevice_net_connect_failed(struct qdevice_net *n)
{
	log_err("Can't connect to qnetd host.");
	n->connect_attempt_in_flight = false;
	n->connect_failed = true;
}

void qdevice_net_tcp_connected(struct qdevice_net *n)
{
	struct msg m;
	const char *name = cfg(n)->net.cluster_name;

	n->connect_attempt_in_flight = false;
	/* PREINIT reuses the current counter value, as upstream (doc/protocol.md §5.2). */
	net_msg_start(n, &m, PROTO_MSG_PREINIT, false);
	m.cluster_name = (const uint8_t *)name;
	m.cluster_name_len = strlen(name);
	msg_set_present(&m, PROTO_OPT_CLUSTER_NAME);
	log_debug("Sending preinit msg to qnetd");
	if (net_send(n, &m) == 0)
		n->state = QDEVICE_NET_WAITING_PREINIT_REPLY;
}

void qdevice_net_starttls_done(struct qdevice_net *n, bool client_cert_sent)
{
	if (n->state != QDEVICE_NET_WAITING_STARTTLS_BEING_SENT)
		return;
	n->tls_active = true;
	n->client_cert_sent = client_cert_sent;
	net_send_init(n);
}

void qdevice_net_client_cert_sent(struct qdevice_net *n)
{
	if (n->tls_active)
		n->client_cert_sent = true;
}

static void net_send_init(struct qdevice_net *n)
{
	static const uint16_t all_msgs[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17 };
	static const uint16_t all_opts[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
					     18, 19, 20, 21, 22, 23 };
	struct msg m;

	net_msg_start(n, &m, PROTO_MSG_INIT, true);
	m.supported_messages = all_msgs;
	m.supported_messages_count = sizeof(all_msgs) / sizeof(all_msgs[0]);
	msg_set_present(&m, PROTO_OPT_SUPPORTED_MESSAGES);
	m.supported_options = all_opts;
	m.supported_options_count = sizeof(all_opts) / sizeof(all_opts[0]);
	msg_set_present(&m, PROTO_OPT_SUPPORTED_OPTIONS);
	m.node_id = cfg(n)->node_id;
	msg_set_present(&m, PROTO_OPT_NODE_ID);
	m.algorithm = algorithm(n);
	msg_set_present(&m, PROTO_OPT_DECISION_ALGORITHM);
	m.heartbeat_interval = cfg(n)->net.heartbeat_interval;
	msg_set_present(&m, PROTO_OPT_HEARTBEAT_INTERVAL);
	m.tie_breaker.mode = cfg(n)->net.tie_breaker_mode;
	m.tie_breaker.node_id = cfg(n)->net.tie_breaker_mode == PROTO_TIE_BREAKER_NODE_ID
					? cfg(n)->net.tie_breaker_node_id : 0;
	msg_set_present(&m, PROTO_OPT_TIE_BREAKER);
	m.ring_id = n->membership_ring_id;
	msg_set_present(&m, PROTO_OPT_RING_ID);
	n->last_sent_ring_id = n->membership_ring_id;
	log_debug("Sending init msg to qnetd");
	if (net_send(n, &m) == 0)
		n->state = QDEVICE_NET_WAITING_INIT_REPLY;
}

static bool require(struct qdevice_net *n, const struct msg *m, enum proto_opt opt)
{
	if (msg_has(m, opt))
		return true;
	log_err("Received %s message doesn't contain %s option", proto_msg_type_str(m->type), msg_option_str(opt));
	qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_REQUIRED_OPTION_MISSING);
	return false;
}

static bool seq_matches(struct qdevice_net *n, const struct msg *m)
{
	if (!require(n, m, PROTO_OPT_MSG_SEQ_NUMBER))
		return false;
	if (m->seq_number == n->seq)
		return true;
	log_err("Received %s message with wrong seq number %u (expected %u)", proto_msg_type_str(m->type),
		m->seq_number, n->seq);
	qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_REQUIRED_OPTION_MISSING);
	return false;
}

static void net_unexpected(struct qdevice_net *n, const struct msg *m)
{
	log_err("Received unexpected %s message. Disconnecting from server", proto_msg_type_str(m->type));
	qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_UNEXPECTED_MSG);
}

static void net_preinit_reply(struct qdevice_net *n, const struct msg *m)
{
	if (n->state != QDEVICE_NET_WAITING_PREINIT_REPLY) {
		net_unexpected(n, m);
		return;
	}
	if (!seq_matches(n, m) || !require(n, m, PROTO_OPT_TLS_SUPPORTED) ||
	    !require(n, m, PROTO_OPT_TLS_CLIENT_CERT_REQUIRED))
		return;

	uint8_t client = cfg(n)->net.tls, server = m->tls_supported;
	bool use_tls;
	if ((server == PROTO_TLS_UNSUPPORTED && client == PROTO_TLS_REQUIRED) ||
	    (server == PROTO_TLS_REQUIRED && client == PROTO_TLS_UNSUPPORTED)) {
		log_err("Incompatible tls configuration (server %u client %u)", server, client);
		qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_INCOMPATIBLE_TLS);
		return;
	}
	use_tls = server != PROTO_TLS_UNSUPPORTED && client != PROTO_TLS_UNSUPPORTED;
	/* tls: on trusts the server's word that it has no TLS, so anyone in the path can say so. */
	if (!use_tls && client == PROTO_TLS_SUPPORTED)
		log_warn("qnetd does not offer TLS: connecting without TLS, so the server is not authenticated "
			 "(quorum.device.net.tls: required refuses such a server)");
	if (!use_tls) {
		net_send_init(n);
		return;
	}
	struct msg st;
	net_msg_start(n, &st, PROTO_MSG_STARTTLS, true);
	log_debug("Sending starttls msg to qnetd");
	if (net_send(n, &st) == 0)
		n->state = QDEVICE_NET_WAITING_STARTTLS_BEING_SENT;
}

static bool list_has(const uint16_t *list, size_t count, uint16_t value)
{
	for (size_t i = 0; i < count; i++)
		if (list[i] == value)
			return true;
	return false;
}

static void net_init_reply(struct qdevice_net *n, const struct msg *m)
{
	if (n->state != QDEVICE_NET_WAITING_INIT_REPLY) {
		net_unexpected(n, m);
		return;
	}
	if (!seq_matches(n, m) || !require(n, m, PROTO_OPT_REPLY_ERROR_CODE))
		return;
	if (m->reply_error_code != PROTO_ERR_NO_ERROR) {
		log_err("Received init reply message with error code %u (%s)", m->reply_error_code,
			proto_reply_error_str(m->reply_error_code));
		switch (m->reply_error_code) {
		case PROTO_ERR_DUPLICATE_NODE_ID:
			log_err("Duplicate node id may be result of server not yet accepted this node disconnect. "
				"Retry again.");
			qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_SERVER_SENT_DUPLICATE_NODE_ID_ERROR);
			break;
		case PROTO_ERR_TIE_BREAKER_DIFFERS_FROM_OTHER_NODES:
			log_err("Configured tie-breaker differs in cluster. This may be result of server not yet "
				"accepted this node disconnect. Retry again.");
			qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_SERVER_SENT_TIE_BREAKER_DIFFERS_ERROR);
			break;
		case PROTO_ERR_ALGORITHM_DIFFERS_FROM_OTHER_NODES:
			log_err("Configured algorithm differs in cluster. This may be result of server not yet "
				"accepted this node disconnect. Retry again.");
			qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_SERVER_SENT_ALGORITHM_DIFFERS_ERROR);
			break;
		default:
			qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_SERVER_SENT_ERROR);
			break;
		}
		return;
	}
	if (!require(n, m, PROTO_OPT_SERVER_MAXIMUM_REQUEST_SIZE) || !require(n, m, PROTO_OPT_SERVER_MAXIMUM_REPLY_SIZE) ||
	    !require(n, m, PROTO_OPT_SUPPORTED_MESSAGES) || !require(n, m, PROTO_OPT_SUPPORTED_OPTIONS) ||
	    !require(n, m, PROTO_OPT_SUPPORTED_DECISION_ALGORITHMS))
		return;
	if (m->server_max_request_size < n->p.min_msg_send_size) {
		log_err("Server accepts maximum %u bytes message but this client minimum is %u bytes.",
			m->server_max_request_size, n->p.min_msg_send_size);
		qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_INCOMPATIBLE_MSG_SIZE);
		return;
	}
	if (m->server_max_reply_size > n->p.max_msg_receive_size) {
		log_err("Server may send message up to %u bytes message but this client maximum is %u bytes.",
			m->server_max_reply_size, n->p.max_msg_receive_size);
		qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_INCOMPATIBLE_MSG_SIZE);
		return;
	}
	n->max_receive_size = m->server_max_reply_size;
	n->max_send_size = m->server_max_request_size;
	if (!list_has(m->supported_algorithms, m->supported_algorithms_count, algorithm(n))) {
		log_err("Server doesn't support required decision algorithm");
		qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_SERVER_DOESNT_SUPPORT_REQUIRED_ALGORITHM);
		return;
	}
	n->server_supports_heuristics = list_has(m->supported_options, m->supported_options_count, PROTO_OPT_HEURISTICS);
	n->server_supports_kap = list_has(m->supported_options, m->supported_options_count,
					  PROTO_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER);
	if (heuristics_enabled(n) && !n->server_supports_heuristics) {
		log_err("Heuristics are enabled but not supported by the server");
		qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_SERVER_DOESNT_SUPPORT_REQUIRED_OPT);
		return;
	}
	n->io.timer_stop(n->io.ctx, QDEVICE_NET_TIMER_CONNECT);
	n->echo_expected = 0;
	n->echo_received = 0;
	n->io.timer_start(n->io.ctx, QDEVICE_NET_TIMER_ECHO, cfg(n)->net.heartbeat_interval);
	n->state = QDEVICE_NET_WAITING_CONNECT_HEURISTICS;
	net_heuristics_start(n, QDEVICE_NET_HEURISTICS_CONNECT, heuristics_timeout(n));
}

/* Connect heuristics done: the burst that makes the client "connected" (doc/qdevice-state-machine.md §6). */
static void net_connect_heuristics_done(struct qdevice_net *n, enum qdevice_heuristics_result r)
{
	if (n->state != QDEVICE_NET_WAITING_CONNECT_HEURISTICS || n->disconnect_scheduled)
		return;
	if (n->server_supports_kap) {
		struct msg m;
		net_msg_start(n, &m, PROTO_MSG_SET_OPTION, true);
		m.kap_tie_breaker = cfg(n)->net.keep_active_partition_tie_breaker ? PROTO_KAP_TIE_BREAKER_ENABLED
										 : PROTO_KAP_TIE_BREAKER_DISABLED;
		msg_set_present(&m, PROTO_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER);
		if (net_send(n, &m) != 0)
			return;
	}
	if (net_send_config_list(n, PROTO_NODE_LIST_INITIAL_CONFIG) != 0 || net_send_membership_list(n, r) != 0 ||
	    net_send_quorum_list(n) != 0)
		return;
	net_vote_update(n, PROTO_VOTE_WAIT_FOR_REPLY);
	n->state = QDEVICE_NET_CONNECTED;
	n->connected_since = n->io.wall_now(n->io.ctx);
	n->counters.connects++;
	log_notice("Connected to qnetd server %s:%u (%s)", cfg(n)->net.host, (unsigned)cfg(n)->net.port,
		   !n->tls_active ? "no TLS" : n->client_cert_sent ? "TLS with client certificate"
								 : "TLS without client certificate");
	n->heur_connect = r;
	n->heur_latest = r;
}

static void net_server_error(struct qdevice_net *n, const struct msg *m)
{
	if (!msg_has(m, PROTO_OPT_REPLY_ERROR_CODE)) {
		log_err("Received server error without error code set");
		qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_REQUIRED_OPTION_MISSING);
		return;
	}
	log_err("Received server error %u (%s)", m->reply_error_code, proto_reply_error_str(m->reply_error_code));
	qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_SERVER_SENT_ERROR);
}

static void net_echo_reply(struct qdevice_net *n, const struct msg *m)
{
	if (!require(n, m, PROTO_OPT_MSG_SEQ_NUMBER))
		return;
	if (m->seq_number != n->echo_expected) {
		log_warn("Received echo reply with unexpected seq number %u (expected %u)", m->seq_number,
			 n->echo_expected);
		/* Every algorithm refuses it; lms turns the disconnect into a reconnect later. */
		qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_ALGO_ECHO_REPLY_RECEIVED_ERR);
		return;
	}
	n->echo_received = m->seq_number;
	n->echo_reply_time = n->io.wall_now(n->io.ctx);
	if (n->io.mono_ms != NULL) {
		uint64_t now = n->io.mono_ms(n->io.ctx);
		n->echo_rtt_ms = now >= n->echo_sent_ms ? now - n->echo_sent_ms : 0;
		n->echo_rtt_set = true;
	}
}

static void net_vote_reply(struct qdevice_net *n, const struct msg *m)
{
	if (n->state != QDEVICE_NET_CONNECTED) {
		net_unexpected(n, m);
		return;
	}
	if (!require(n, m, PROTO_OPT_VOTE) || !require(n, m, PROTO_OPT_MSG_SEQ_NUMBER))
		return;
	if (m->type == PROTO_MSG_NODE_LIST_REPLY && !require(n, m, PROTO_OPT_NODE_LIST_TYPE))
		return;
	if (!require(n, m, PROTO_OPT_RING_ID))
		return;
	if (m->type == PROTO_MSG_HEURISTICS_CHANGE_REPLY && !require(n, m, PROTO_OPT_HEURISTICS))
		return;

	uint8_t vote = m->vote;
	bool ring_valid = proto_ring_id_equal(&m->ring_id, &n->last_sent_ring_id);
	log_debug("Received %s: seq = %u, vote = %s, ring id (%x.%llx) %s", proto_msg_type_str(m->type),
		  m->seq_number, proto_vote_str(vote), m->ring_id.node_id, (unsigned long long)m->ring_id.seq,
		  ring_valid ? "valid" : "stale");
	/* Every built-in algorithm ignores a vote for a membership it no longer sends
	 * (doc/qdevice-state-machine.md §7.2). */
	if (!ring_valid)
		vote = PROTO_VOTE_NO_CHANGE;
	if (algorithm(n) == PROTO_ALGO_TEST)
		log_info("algo-test: %s received, vote %s", proto_msg_type_str(m->type), proto_vote_str(vote));
	/* qnetd has moved on from a NACK still waiting for its answer: the answer is moot, send it. */
	if (m->type == PROTO_MSG_VOTE_INFO || vote == PROTO_VOTE_ACK)
		net_nack_reply_release(n, "a newer vote arrived");
	net_vote_update(n, vote);

	if (m->type == PROTO_MSG_VOTE_INFO) {
		if (vote == PROTO_VOTE_NACK)
			net_nack_reply_begin(n, m->seq_number);
		else
			net_vote_info_reply(n, m->seq_number);
	}
}

static void net_set_option_reply(struct qdevice_net *n, const struct msg *m)
{
	if (n->state != QDEVICE_NET_CONNECTED) {
		net_unexpected(n, m);
		return;
	}
	log_debug("Received set option reply");
	if (msg_has(m, PROTO_OPT_HEARTBEAT_INTERVAL)) {
		n->echo_expected = 0;
		n->echo_received = 0;
		n->io.timer_start(n->io.ctx, QDEVICE_NET_TIMER_ECHO, cfg(n)->net.heartbeat_interval);
	}
}

void qdevice_net_msg_received(struct qdevice_net *n, const struct msg *m)
{
	if (n->disconnect_scheduled)
		return;
	switch (m->type) {
	case PROTO_MSG_PREINIT_REPLY:
		net_preinit_reply(n, m);
		break;
	case PROTO_MSG_INIT_REPLY:
		net_init_reply(n, m);
		break;
	case PROTO_MSG_SERVER_ERROR:
		net_server_error(n, m);
		break;
	case PROTO_MSG_ECHO_REPLY:
		net_echo_reply(n, m);
		break;
	case PROTO_MSG_SET_OPTION_REPLY:
		net_set_option_reply(n, m);
		break;
	case PROTO_MSG_NODE_LIST_REPLY:
	case PROTO_MSG_ASK_FOR_VOTE_REPLY:
	case PROTO_MSG_VOTE_INFO:
	case PROTO_MSG_HEURISTICS_CHANGE_REPLY:
		net_vote_reply(n, m);
		break;
	default:
		if (proto_msg_type_is_known(m->type)) {
			net_unexpected(n, m);
		} else {
			log_err("Received unsupported message %u. Disconnecting from server", m->type);
			qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_UNSUPPORTED_MSG);
		}
		break;
	}
}

static void net_echo_tick(struct qdevice_net *n)
{
	if (n->echo_received != n->echo_expected) {
		log_err("Server didn't send echo reply message on time");
		if (algorithm(n) == PROTO_ALGO_LMS && n->quorate && cfg(n)->wait_for_all) {
			log_debug("algo-lms: continuing without the server (quorate with wait_for_all)");
			n->io.timer_start(n->io.ctx, QDEVICE_NET_TIMER_ECHO, cfg(n)->net.heartbeat_interval);
			return;
		}
		qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_ALGO_ECHO_REPLY_NOT_RECEIVED_ERR);
		return;
	}
	n->echo_expected++;
	struct msg m;
	msg_init(&m, PROTO_MSG_ECHO_REQUEST);
	m.seq_number = n->echo_expected;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	if (n->io.mono_ms != NULL)
		n->echo_sent_ms = n->io.mono_ms(n->io.ctx);
	if (net_send(n, &m) == 0)
		n->io.timer_start(n->io.ctx, QDEVICE_NET_TIMER_ECHO, cfg(n)->net.heartbeat_interval);
}

void qdevice_net_timer_expired(struct qdevice_net *n, enum qdevice_net_timer t)
{
	switch (t) {
	case QDEVICE_NET_TIMER_CONNECT:
		log_err("Connect timeout");
		qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_CANT_CONNECT_TO_THE_SERVER);
		break;
	case QDEVICE_NET_TIMER_ECHO:
		net_echo_tick(n);
		break;
	case QDEVICE_NET_TIMER_CAST_VOTE:
		if (n->vote == PROTO_VOTE_ACK || n->vote == PROTO_VOTE_NACK) {
			net_poll(n);
			n->io.timer_start(n->io.ctx, QDEVICE_NET_TIMER_CAST_VOTE, cfg(n)->net.cast_vote_timer_interval);
		}
		break;
	case QDEVICE_NET_TIMER_NACK_REPLY:
		if (n->nack_reply_pending) {
			n->counters.nack_replies_unapplied++;
			log_notice("corosync has not applied the NACK of VOTE_INFO seq %u within sync_timeout (%u ms); "
				   "answering anyway", n->nack_reply_seq, cfg(n)->sync_timeout);
			net_nack_reply_release(n, "sync_timeout passed");
		}
		break;
	case QDEVICE_NET_TIMER_REGULAR_HEURISTICS:
		if (cfg(n)->heuristics.mode != QDEVICE_HEURISTICS_MODE_ON)
			break;
		if (net_heuristics_start(n, QDEVICE_NET_HEURISTICS_REGULAR, heuristics_timeout(n)) == 1)
			n->io.timer_start(n->io.ctx, QDEVICE_NET_TIMER_REGULAR_HEURISTICS, cfg(n)->heuristics.interval);
		break;
	default:
		break;
	}
}

bool qdevice_net_disconnected(struct qdevice_net *n, enum qdevice_net_reason reason, bool *delayed)
{
	enum qdevice_net_state before = n->state;
	uint8_t vote = PROTO_VOTE_NO_CHANGE;
	bool restart;

	n->io.timer_stop(n->io.ctx, QDEVICE_NET_TIMER_CONNECT);
	n->io.timer_stop(n->io.ctx, QDEVICE_NET_TIMER_ECHO);
	/* The answer belonged to the closed connection; a new client starts without it. */
	n->io.timer_stop(n->io.ctx, QDEVICE_NET_TIMER_NACK_REPLY);
	n->nack_reply_pending = false;
	if (reason == QDEVICE_NET_REASON_NONE)
		reason = n->disconnect_reason;
	restart = qdevice_net_reason_reconnects(reason);
	n->vote_paused = false;

	switch (algorithm(n)) {
	case PROTO_ALGO_FFSPLIT:
		vote = PROTO_VOTE_NACK;
		break;
	case PROTO_ALGO_LMS:
		if (!(n->quorate && cfg(n)->wait_for_all))
			vote = PROTO_VOTE_NACK;
		restart = true;
		break;
	case PROTO_ALGO_TEST:
		log_info("algo-test: disconnected, reason %s", qdevice_net_reason_str(reason));
		break;
	default:
		break;
	}
	net_vote_update(n, vote);
	if (qdevice_net_reason_forces_exit(reason))
		restart = false;

	n->state = QDEVICE_NET_WAITING_CONNECT;
	n->tls_active = false;
	n->client_cert_sent = false;
	n->connect_attempt_in_flight = false;
	n->connect_failed = false;
	n->connected_since = 0;
	n->echo_reply_time = 0;
	n->echo_rtt_set = false;
	n->disconnect_scheduled = false;
	n->disconnect_reason = QDEVICE_NET_REASON_NONE;
	if ((size_t)reason < QDEVICE_NET_REASON_COUNT) {
		if (before == QDEVICE_NET_CONNECTED)
			n->counters.disconnects[reason]++;
		else
			n->counters.connect_failures[reason]++;
	}
	if (before == QDEVICE_NET_CONNECTED)
		log_msg(reason == QDEVICE_NET_REASON_LOCAL_SOCKET_CLOSED ? LOG_NOTICE : LOG_WARNING,
			"Disconnected from qnetd server (%s); %s", qdevice_net_reason_str(reason),
			restart ? "reconnecting" : "exiting");
	else
		log_debug("Disconnected (%s); %s", qdevice_net_reason_str(reason), restart ? "reconnecting" : "exiting");
	*delayed = restart && before != QDEVICE_NET_WAITING_CONNECT;
	return restart;
}

/* ---- Local events (doc/qdevice-state-machine.md §8). ---- */

void qdevice_net_votequorum_node_list(struct qdevice_net *n, const struct proto_ring_id *ring_id,
				      const uint32_t *ids, size_t count)
{
	n->sync_in_progress = true;
	n->poll_ring_id = *ring_id;
	n->io.timer_stop(n->io.ctx, QDEVICE_NET_TIMER_REGULAR_HEURISTICS);
	/*
	 * Not connected, the vote is NACK whatever comes next: poll it for the new ring now. The
	 * ring's sync waits for a poll, and until the sync ends corosync keeps reporting the quorum
	 * it had, with the device's vote if it had it; waiting for the next cast-vote tick kept a
	 * cut-off node "primary" for 2 s in the soak (tests/integration/README.md, session 9).
	 */
	if (n->state != QDEVICE_NET_CONNECTED) {
		if (n->vote == PROTO_VOTE_NACK)
			net_poll(n);
		else
			net_vote_withdraw_if_ack(n);
	}
	n->vote_paused = true;

	if (count > QDEVICE_NET_MAX_NODES)
		count = QDEVICE_NET_MAX_NODES;
	n->membership_ring_id = *ring_id;
	memcpy(n->members, ids, count * sizeof(ids[0]));
	n->member_count = count;
	net_heuristics_start(n, QDEVICE_NET_HEURISTICS_MEMBERSHIP, cfg(n)->heuristics.sync_timeout);
}

static void net_membership_heuristics_done(struct qdevice_net *n, enum qdevice_heuristics_result r)
{
	n->initial_heuristics_done = true;
	if (n->state == QDEVICE_NET_CONNECTED) {
		if (net_send_membership_list(n, r) == 0) {
			n->vote_paused = false;
			net_vote_update(n, PROTO_VOTE_WAIT_FOR_REPLY);
		}
	} else {
		n->vote_paused = false;
		if (n->vote == PROTO_VOTE_ACK)
			net_vote_update(n, PROTO_VOTE_NACK);
	}
	n->heur_membership = r;
	n->heur_latest = r;
	net_regular_heuristics_schedule(n);
}

void qdevice_net_votequorum_quorum(struct qdevice_net *n, bool quorate, const struct qdevice_net_quorum_node *nodes,
				   size_t count)
{
	n->sync_in_progress = false;
	if (count > QDEVICE_NET_MAX_NODES)
		count = QDEVICE_NET_MAX_NODES;
	n->quorate = quorate;
	memcpy(n->quorum_nodes, nodes, count * sizeof(nodes[0]));
	n->quorum_node_count = count;
	if (algorithm(n) == PROTO_ALGO_LMS)
		log_debug("algo-lms: quorum_notify. quorate = %d", quorate);
	if (n->state == QDEVICE_NET_CONNECTED)
		net_send_quorum_list(n);
	else
		net_vote_withdraw_if_ack(n);
	/*
	 * Say the vote again now rather than at the next cast-vote tick: at the end of a sync corosync
	 * 3.1.7 can apply this node's nodeinfo from before the last poll after it, setting the device's
	 * vote this node had just withdrawn (tests/integration/README.md, upstream findings). The
	 * quorum notification follows that sync, so a poll here undoes it within milliseconds instead
	 * of up to timeout / 2, while two partitions could both be quorate.
	 */
	if (n->vote == PROTO_VOTE_ACK || n->vote == PROTO_VOTE_NACK)
		net_poll(n);
	/* corosync recomputed quorum for a new ring or after a nodeinfo: a waiting answer may go now. */
	net_nack_reply_check(n);
}

void qdevice_net_votequorum_expected_votes(struct qdevice_net *n, uint32_t expected_votes)
{
	n->expected_votes = expected_votes;
	net_check_votes(n);
}

void qdevice_net_config_node_list_changed(struct qdevice_net *n)
{
	if (n->state == QDEVICE_NET_CONNECTED)
		net_send_config_list(n, PROTO_NODE_LIST_CHANGED_CONFIG);
	else
		net_vote_withdraw_if_ack(n);
	net_check_votes(n);
}

void qdevice_net_heuristics_config_changed(struct qdevice_net *n)
{
	if (n->state == QDEVICE_NET_CONNECTED && heuristics_enabled(n) && !n->server_supports_heuristics) {
		log_err("Heuristics are enabled but not supported by the server");
		qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_SERVER_DOESNT_SUPPORT_REQUIRED_OPT);
		return;
	}
	net_regular_heuristics_schedule(n);
}

static void net_regular_heuristics_done(struct qdevice_net *n, enum qdevice_heuristics_result r)
{
	if (r == QDEVICE_HEURISTICS_RESULT_DISABLED)
		return;         /* mode switched off meanwhile: dropped without re-arming */
	if (r != n->heur_latest) {
		log_msg(r == QDEVICE_HEURISTICS_RESULT_PASS ? LOG_NOTICE : LOG_ERR,
			"Heuristics result changed from %s to %s", qdevice_heuristics_result_str(n->heur_latest),
			qdevice_heuristics_result_str(r));
		if (n->state == QDEVICE_NET_CONNECTED) {
			if (!n->server_supports_heuristics) {
				log_err("Server doesn't support heuristics");
				qdevice_net_schedule_disconnect(n, QDEVICE_NET_REASON_SERVER_DOESNT_SUPPORT_REQUIRED_OPT);
				return;
			}
			struct msg m;
			net_msg_start(n, &m, PROTO_MSG_HEURISTICS_CHANGE, true);
			m.heuristics = heuristics_wire(r);
			msg_set_present(&m, PROTO_OPT_HEURISTICS);
			if (net_send(n, &m) != 0)
				return;
		}
	}
	n->heur_regular = r;
	n->heur_latest = r;
	net_regular_heuristics_schedule(n);
}

void qdevice_net_heuristics_result(struct qdevice_net *n, enum qdevice_net_heuristics_kind kind,
				   enum qdevice_heuristics_result result)
{
	switch (kind) {
	case QDEVICE_NET_HEURISTICS_MEMBERSHIP:
		net_membership_heuristics_done(n, result);
		break;
	case QDEVICE_NET_HEURISTICS_REGULAR:
		net_regular_heuristics_done(n, result);
		break;
	case QDEVICE_NET_HEURISTICS_CONNECT:
		net_connect_heuristics_done(n, result);
		break;
	}
}

/* ---- Classification and text. ---- */

bool qdevice_net_reason_reconnects(enum qdevice_net_reason r)
{
	switch (r) {
	case QDEVICE_NET_REASON_MSG_DECODE_ERROR:
	case QDEVICE_NET_REASON_SERVER_CLOSED_CONNECTION:
	case QDEVICE_NET_REASON_CANT_READ_MESSAGE:
	case QDEVICE_NET_REASON_CANT_SEND_MESSAGE:
	case QDEVICE_NET_REASON_CANT_CONNECT_TO_THE_SERVER:
	case QDEVICE_NET_REASON_ALGO_ECHO_REPLY_NOT_RECEIVED_ERR:
	case QDEVICE_NET_REASON_SERVER_SENT_DUPLICATE_NODE_ID_ERROR:
	case QDEVICE_NET_REASON_SERVER_SENT_TIE_BREAKER_DIFFERS_ERROR:
	case QDEVICE_NET_REASON_SERVER_SENT_ALGORITHM_DIFFERS_ERROR:
		return true;
	default:
		return false;
	}
}

bool qdevice_net_reason_forces_exit(enum qdevice_net_reason r)
{
	switch (r) {
	case QDEVICE_NET_REASON_COROSYNC_CONNECTION_CLOSED:
	case QDEVICE_NET_REASON_LOCAL_SOCKET_CLOSED:
	case QDEVICE_NET_REASON_CANT_SCHEDULE_VOTING_TIMER:
	case QDEVICE_NET_REASON_CANT_REGISTER_VOTEQUORUM_CALLBACK:
	case QDEVICE_NET_REASON_CANT_REGISTER_CMAP_CALLBACK:
	case QDEVICE_NET_REASON_HEURISTICS_WORKER_CLOSED:
		return true;
	default:
		return false;
	}
}

const char *qdevice_net_reason_str(enum qdevice_net_reason r)
{
	static const char *const names[] = {
		[QDEVICE_NET_REASON_NONE] = "none",
		[QDEVICE_NET_REASON_MSG_DECODE_ERROR] = "message decode error",
		[QDEVICE_NET_REASON_SERVER_CLOSED_CONNECTION] = "server closed connection",
		[QDEVICE_NET_REASON_CANT_READ_MESSAGE] = "can't read message",
		[QDEVICE_NET_REASON_CANT_SEND_MESSAGE] = "can't send message",
		[QDEVICE_NET_REASON_CANT_CONNECT_TO_THE_SERVER] = "can't connect to the server",
		[QDEVICE_NET_REASON_ALGO_ECHO_REPLY_NOT_RECEIVED_ERR] = "echo reply not received",
		[QDEVICE_NET_REASON_SERVER_SENT_DUPLICATE_NODE_ID_ERROR] = "server sent duplicate node id error",
		[QDEVICE_NET_REASON_SERVER_SENT_TIE_BREAKER_DIFFERS_ERROR] = "server sent tie-breaker differs error",
		[QDEVICE_NET_REASON_SERVER_SENT_ALGORITHM_DIFFERS_ERROR] = "server sent algorithm differs error",
		[QDEVICE_NET_REASON_COROSYNC_CONNECTION_CLOSED] = "corosync connection closed",
		[QDEVICE_NET_REASON_LOCAL_SOCKET_CLOSED] = "local socket closed",
		[QDEVICE_NET_REASON_CANT_SCHEDULE_VOTING_TIMER] = "can't schedule voting timer",
		[QDEVICE_NET_REASON_CANT_REGISTER_VOTEQUORUM_CALLBACK] = "can't register votequorum callback",
		[QDEVICE_NET_REASON_CANT_REGISTER_CMAP_CALLBACK] = "can't register cmap callback",
		[QDEVICE_NET_REASON_HEURISTICS_WORKER_CLOSED] = "heuristics worker closed",
		[QDEVICE_NET_REASON_UNEXPECTED_MSG] = "unexpected message",
		[QDEVICE_NET_REASON_UNSUPPORTED_MSG] = "unsupported message",
		[QDEVICE_NET_REASON_INCOMPATIBLE_TLS] = "incompatible TLS configuration",
		[QDEVICE_NET_REASON_INCOMPATIBLE_MSG_SIZE] = "incompatible message size",
		[QDEVICE_NET_REASON_REQUIRED_OPTION_MISSING] = "required option missing",
		[QDEVICE_NET_REASON_CANT_ALLOCATE_MSG_BUFFER] = "can't allocate message buffer",
		[QDEVICE_NET_REASON_CANT_SCHEDULE_HB_TIMER] = "can't schedule heartbeat timer",
		[QDEVICE_NET_REASON_CANT_SCHEDULE_HEURISTICS_TIMER] = "can't schedule heuristics timer",
		[QDEVICE_NET_REASON_CANT_START_HEURISTICS] = "can't start heuristics",
		[QDEVICE_NET_REASON_CANT_START_TLS] = "can't start TLS",
		[QDEVICE_NET_REASON_SERVER_SENT_ERROR] = "server sent error",
		[QDEVICE_NET_REASON_SERVER_DOESNT_SUPPORT_REQUIRED_ALGORITHM] = "server doesn't support required algorithm",
		[QDEVICE_NET_REASON_SERVER_DOESNT_SUPPORT_REQUIRED_OPT] = "server doesn't support required option",
		[QDEVICE_NET_REASON_ALGO_ECHO_REPLY_RECEIVED_ERR] = "echo reply with unexpected seq number",
		[QDEVICE_NET_REASON_ALGO_VOTES_CHECK_ERR] = "votes check failed",
		[QDEVICE_NET_REASON_CONFIG_ERROR] = "invalid configuration",
	};
	if ((size_t)r < sizeof(names) / sizeof(names[0]) && names[r])
		return names[r];
	return "unknown";
}

const char *qdevice_net_reason_id(enum qdevice_net_reason r)
{
	static const char *const ids[] = {
		[QDEVICE_NET_REASON_NONE] = "none",
		[QDEVICE_NET_REASON_MSG_DECODE_ERROR] = "msg_decode_error",
		[QDEVICE_NET_REASON_SERVER_CLOSED_CONNECTION] = "server_closed_connection",
		[QDEVICE_NET_REASON_CANT_READ_MESSAGE] = "cant_read_message",
		[QDEVICE_NET_REASON_CANT_SEND_MESSAGE] = "cant_send_message",
		[QDEVICE_NET_REASON_CANT_CONNECT_TO_THE_SERVER] = "cant_connect_to_the_server",
		[QDEVICE_NET_REASON_ALGO_ECHO_REPLY_NOT_RECEIVED_ERR] = "echo_reply_not_received",
		[QDEVICE_NET_REASON_SERVER_SENT_DUPLICATE_NODE_ID_ERROR] = "server_sent_duplicate_node_id_error",
		[QDEVICE_NET_REASON_SERVER_SENT_TIE_BREAKER_DIFFERS_ERROR] = "server_sent_tie_breaker_differs_error",
		[QDEVICE_NET_REASON_SERVER_SENT_ALGORITHM_DIFFERS_ERROR] = "server_sent_algorithm_differs_error",
		[QDEVICE_NET_REASON_COROSYNC_CONNECTION_CLOSED] = "corosync_connection_closed",
		[QDEVICE_NET_REASON_LOCAL_SOCKET_CLOSED] = "local_socket_closed",
		[QDEVICE_NET_REASON_CANT_SCHEDULE_VOTING_TIMER] = "cant_schedule_voting_timer",
		[QDEVICE_NET_REASON_CANT_REGISTER_VOTEQUORUM_CALLBACK] = "cant_register_votequorum_callback",
		[QDEVICE_NET_REASON_CANT_REGISTER_CMAP_CALLBACK] = "cant_register_cmap_callback",
		[QDEVICE_NET_REASON_HEURISTICS_WORKER_CLOSED] = "heuristics_worker_closed",
		[QDEVICE_NET_REASON_UNEXPECTED_MSG] = "unexpected_msg",
		[QDEVICE_NET_REASON_UNSUPPORTED_MSG] = "unsupported_msg",
		[QDEVICE_NET_REASON_INCOMPATIBLE_TLS] = "incompatible_tls",
		[QDEVICE_NET_REASON_INCOMPATIBLE_MSG_SIZE] = "incompatible_msg_size",
		[QDEVICE_NET_REASON_REQUIRED_OPTION_MISSING] = "required_option_missing",
		[QDEVICE_NET_REASON_CANT_ALLOCATE_MSG_BUFFER] = "cant_allocate_msg_buffer",
		[QDEVICE_NET_REASON_CANT_SCHEDULE_HB_TIMER] = "cant_schedule_hb_timer",
		[QDEVICE_NET_REASON_CANT_SCHEDULE_HEURISTICS_TIMER] = "cant_schedule_heuristics_timer",
		[QDEVICE_NET_REASON_CANT_START_HEURISTICS] = "cant_start_heuristics",
		[QDEVICE_NET_REASON_CANT_START_TLS] = "cant_start_tls",
		[QDEVICE_NET_REASON_SERVER_SENT_ERROR] = "server_sent_error",
		[QDEVICE_NET_REASON_SERVER_DOESNT_SUPPORT_REQUIRED_ALGORITHM] = "server_doesnt_support_required_algorithm",
		[QDEVICE_NET_REASON_SERVER_DOESNT_SUPPORT_REQUIRED_OPT] = "server_doesnt_support_required_opt",
		[QDEVICE_NET_REASON_ALGO_ECHO_REPLY_RECEIVED_ERR] = "echo_reply_unexpected_seq",
		[QDEVICE_NET_REASON_ALGO_VOTES_CHECK_ERR] = "votes_check_failed",
		[QDEVICE_NET_REASON_CONFIG_ERROR] = "config_error",
	};
	_Static_assert(sizeof(ids) / sizeof(ids[0]) == QDEVICE_NET_REASON_COUNT, "a reason without an id");
	if ((size_t)r < sizeof(ids) / sizeof(ids[0]) && ids[r])
		return ids[r];
	return "unknown";
}

const char *qdevice_net_state_str(enum qdevice_net_state s)
{
	switch (s) {
	case QDEVICE_NET_WAITING_CONNECT:
		return "waiting connect";
	case QDEVICE_NET_WAITING_PREINIT_REPLY:
		return "waiting preinit reply";
	case QDEVICE_NET_WAITING_STARTTLS_BEING_SENT:
		return "waiting starttls being sent";
	case QDEVICE_NET_WAITING_INIT_REPLY:
		return "waiting init reply";
	case QDEVICE_NET_WAITING_CONNECT_HEURISTICS:
		return "waiting connect heuristics";
	case QDEVICE_NET_CONNECTED:
		return "connected";
	}
	return "unknown";
}

enum qdevice_net_link qdevice_net_link(const struct qdevice_net *n)
{
	if (n->disconnect_scheduled)
		return QDEVICE_NET_LINK_DISCONNECTED;
	if (n->state == QDEVICE_NET_CONNECTED)
		return QDEVICE_NET_LINK_CONNECTED;
	if (n->state != QDEVICE_NET_WAITING_CONNECT || n->connect_attempt_in_flight)
		return QDEVICE_NET_LINK_CONNECTING;
	return QDEVICE_NET_LINK_CONNECT_FAILED;
}

/* corosync-qdevice's whole status as one JSON object (schema 1, doc/status-json.md §3), for corosync-qdevice-tool -j. */
#include "qdevice_status_json.h"

#include <stdbool.h>

#include "timefmt.h"

/* The first failed insertion (no memory) turns the whole result into NULL. */
struct builder {
	bool failed;
};

static void put(struct builder *b, json_t *obj, const char *key, json_t *value)
{
	if (value == NULL || obj == NULL || json_object_set_new(obj, key, value) != 0)
		b->failed = true;
}

static void append(struct builder *b, json_t *array, json_t *value)
{
	if (value == NULL || array == NULL || json_array_append_new(array, value) != 0)
		b->failed = true;
}

static json_t *time_or_null(bool set, int64_t unix_ms)
{
	char buf[TIMEFMT_RFC3339_LEN];
	return set ? json_string(timefmt_rfc3339(unix_ms, buf)) : json_null();
}

static const char *heuristics_result_id(enum qdevice_heuristics_result r)
{
	switch (r) {
	case QDEVICE_HEURISTICS_RESULT_DISABLED: return "disabled";
	case QDEVICE_HEURISTICS_RESULT_PASS: return "pass";
	case QDEVICE_HEURISTICS_RESULT_FAIL: return "fail";
	case QDEVICE_HEURISTICS_RESULT_PENDING: return "pending";
	}
	return "unknown";
}

static const char *heuristics_mode_id(enum qdevice_heuristics_mode m)
{
	switch (m) {
	case QDEVICE_HEURISTICS_MODE_OFF: return "off";
	case QDEVICE_HEURISTICS_MODE_ON: return "on";
	case QDEVICE_HEURISTICS_MODE_SYNC: return "sync";
	}
	return "unknown";
}

static const char *link_id(enum qdevice_net_link l)
{
	switch (l) {
	case QDEVICE_NET_LINK_DISCONNECTED: return "disconnected";
	case QDEVICE_NET_LINK_CONNECTED: return "connected";
	case QDEVICE_NET_LINK_CONNECTING: return "connecting";
	case QDEVICE_NET_LINK_CONNECT_FAILED: return "connect_failed";
	}
	return "unknown";
}

static const char *tls_id(uint8_t tls)
{
	switch (tls) {
	case PROTO_TLS_UNSUPPORTED: return "off";
	case PROTO_TLS_REQUIRED: return "required";
	default: return "on";
	}
}

static const char *node_state_id(uint8_t state)
{
	switch (state) {
	case PROTO_NODE_STATE_MEMBER: return "member";
	case PROTO_NODE_STATE_DEAD: return "dead";
	case PROTO_NODE_STATE_LEAVING: return "leaving";
	default: return "not_set";
	}
}

static json_t *tie_breaker(struct builder *b, const struct proto_tie_breaker *tb)
{
	json_t *o = json_object();
	switch (tb->mode) {
	case PROTO_TIE_BREAKER_LOWEST:
		put(b, o, "mode", json_string("lowest"));
		break;
	case PROTO_TIE_BREAKER_HIGHEST:
		put(b, o, "mode", json_string("highest"));
		break;
	default:
		put(b, o, "mode", json_string("node"));
		put(b, o, "node_id", json_integer(tb->node_id));
		break;
	}
	return o;
}

/* Reasons with a non-zero count, by id: a bounded object (one key per reason at most). */
static json_t *by_reason(struct builder *b, const uint64_t *counts)
{
	json_t *o = json_object();
	for (size_t r = 0; r < QDEVICE_NET_REASON_COUNT; r++)
		if (counts[r] != 0)
			put(b, o, qdevice_net_reason_id((enum qdevice_net_reason)r), json_integer((json_int_t)counts[r]));
	return o;
}

json_t *qdevice_status_json(const struct qdevice_status *st)
{
	struct builder b = {false};
	char now[TIMEFMT_RFC3339_LEN], started[TIMEFMT_RFC3339_LEN];
	json_t *root = json_object();

	put(&b, root, "schema", json_integer(QDEVICE_STATUS_JSON_SCHEMA));
	put(&b, root, "program", json_string("corosync-qdevice"));
	put(&b, root, "version", json_string(st->version != NULL ? st->version : ""));
	put(&b, root, "time", json_string(timefmt_rfc3339(st->now_unix_ms, now)));
	put(&b, root, "started", json_string(timefmt_rfc3339(st->started_unix_ms, started)));
	put(&b, root, "model", json_string("net"));
	put(&b, root, "node_id", json_integer(st->node_id));
	put(&b, root, "cluster_name", st->cluster_name != NULL ? json_string(st->cluster_name) : json_null());

	json_t *config = json_object();
	put(&b, config, "timeout_ms", json_integer(st->timeout));
	put(&b, config, "sync_timeout_ms", json_integer(st->sync_timeout));
	put(&b, config, "config_version",
	    st->config_version_set ? json_integer((json_int_t)st->config_version) : json_null());
	json_t *nodes = json_array();
	for (size_t i = 0; i < st->config_node_count; i++) {
		json_t *n = json_object();
		put(&b, n, "node_id", json_integer(st->config_nodes[i].node_id));
		put(&b, n, "data_center_id",
		    st->config_nodes[i].data_center_id != 0 ? json_integer(st->config_nodes[i].data_center_id)
							    : json_null());
		append(&b, nodes, n);
	}
	put(&b, config, "nodes", nodes);
	put(&b, root, "config", config);

	json_t *vq = json_object();
	json_t *ring = json_object();
	put(&b, ring, "node_id", json_integer(st->ring_id.node_id));
	put(&b, ring, "seq", json_integer((json_int_t)st->ring_id.seq));
	put(&b, vq, "ring_id", ring);
	json_t *members = json_array();
	for (size_t i = 0; i < st->member_count; i++)
		append(&b, members, json_integer(st->members[i]));
	put(&b, vq, "membership", members);
	put(&b, vq, "quorate", json_boolean(st->quorate));
	json_t *quorum = json_array();
	for (size_t i = 0; i < st->quorum_node_count; i++) {
		if (st->quorum_nodes[i].node_id == 0)
			continue;
		json_t *n = json_object();
		put(&b, n, "node_id", json_integer(st->quorum_nodes[i].node_id));
		put(&b, n, "state", json_string(node_state_id(st->quorum_nodes[i].state)));
		append(&b, quorum, n);
	}
	put(&b, vq, "quorum_nodes", quorum);
	put(&b, vq, "expected_votes", json_integer(st->expected_votes));
	put(&b, vq, "device_votes", st->device_votes_set ? json_integer(st->device_votes) : json_null());
	put(&b, vq, "last_poll", time_or_null(st->last_poll_set, (int64_t)st->last_poll_time * 1000));
	put(&b, vq, "last_poll_cast_vote", json_boolean(st->last_poll_set && st->last_poll_cast));
	put(&b, root, "votequorum", vq);
	/* This node gives the device's votes to its partition: its last poll said so. */
	put(&b, root, "casting_vote", json_boolean(st->last_poll_set && st->last_poll_cast));

	json_t *heur = json_object();
	put(&b, heur, "mode", json_string(heuristics_mode_id(st->heuristics_mode)));
	put(&b, heur, "result", json_string(heuristics_result_id(st->heuristics_result)));
	put(&b, heur, "regular", json_string(heuristics_result_id(st->heuristics_regular)));
	put(&b, heur, "membership", json_string(heuristics_result_id(st->heuristics_membership)));
	put(&b, heur, "connect", json_string(heuristics_result_id(st->heuristics_connect)));
	json_t *commands = json_array();
	for (size_t i = 0; i < st->heuristics_outcome_count && commands != NULL; i++) {
		const struct qdevice_heuristics_exec_outcome *o = &st->heuristics_outcomes[i];
		json_t *c = json_object();
		put(&b, c, "name", json_string(o->name));
		put(&b, c, "result", json_string(qdevice_heuristics_outcome_id(o)));
		put(&b, c, "exit_status", o->state == QDEVICE_HEURISTICS_PROC_EXITED ? json_integer(o->exit_status) : json_null());
		put(&b, c, "duration_ms", json_integer(o->duration_ms));
		if (c == NULL || json_array_append_new(commands, c) != 0)
			b.failed = true;
	}
	put(&b, heur, "commands", commands);
	put(&b, root, "heuristics", heur);

	json_t *net = json_object();
	put(&b, net, "host", st->host != NULL ? json_string(st->host) : json_null());
	put(&b, net, "port", json_integer(st->port));
	put(&b, net, "force_ip_version", st->force_ip_version != 0 ? json_integer(st->force_ip_version) : json_null());
	put(&b, net, "tls", json_string(tls_id(st->tls)));
	put(&b, net, "algorithm", json_string(proto_algorithm_id(st->algorithm)));
	put(&b, net, "tie_breaker", tie_breaker(&b, &st->tie_breaker));
	put(&b, net, "kap_tie_breaker", json_boolean(st->kap_tie_breaker));
	put(&b, net, "connect_timeout_ms", json_integer(st->connect_timeout));
	put(&b, net, "heartbeat_interval_ms", json_integer(st->heartbeat_interval));
	put(&b, net, "cast_vote_timer_interval_ms", json_integer(st->cast_vote_timer_interval));
	put(&b, net, "state", json_string(link_id(st->state)));
	put(&b, net, "tls_active", json_boolean(st->tls_active));
	put(&b, net, "client_cert_sent", json_boolean(st->client_cert_sent));
	put(&b, net, "server_supports_kap", json_boolean(st->state == QDEVICE_NET_LINK_CONNECTED && st->server_supports_kap));
	put(&b, net, "connected_since", time_or_null(st->connected_since_set, (int64_t)st->connected_since * 1000));
	put(&b, net, "last_echo_reply", time_or_null(st->echo_reply_set, (int64_t)st->echo_reply_time * 1000));
	put(&b, net, "echo_rtt_ms", st->echo_rtt_set ? json_integer((json_int_t)st->echo_rtt_ms) : json_null());
	put(&b, net, "vote", json_string(proto_vote_id(st->vote)));
	put(&b, net, "cast_vote_timer_running", json_boolean(st->poll_timer_running));
	put(&b, root, "net", net);

	json_t *counters = json_object();
	if (st->counters != NULL) {
		put(&b, counters, "connect_attempts", json_integer((json_int_t)st->counters->connect_attempts));
		put(&b, counters, "connects", json_integer((json_int_t)st->counters->connects));
		put(&b, counters, "connect_failures", by_reason(&b, st->counters->connect_failures));
		put(&b, counters, "disconnects", by_reason(&b, st->counters->disconnects));
		put(&b, counters, "nack_replies_waited", json_integer((json_int_t)st->counters->nack_replies_waited));
		put(&b, counters, "nack_replies_unapplied",
		    json_integer((json_int_t)st->counters->nack_replies_unapplied));
	}
	put(&b, root, "counters", counters);
	if (b.failed) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/* corosync-qdevice's glue to its local socket: the status the tool prints, taken from the live state, and the shutdown path. */
#include <string.h>
#include <time.h>

#include "log.h"
#include "qdevice_daemon.h"
#include "service_notify.h"

#define STATUS_REFRESH_MS 2000

static int status_fill(void *ctx, struct qdevice_status *st)
{
	struct qdevice_daemon *d = ctx;
	const struct qdevice_net *n = &d->net;
	const struct qdevice_config *c = &d->cfg;
	static struct qdevice_status_quorum_node quorum[QDEVICE_NET_MAX_NODES];

	if (!d->cfg_loaded)
		return -1;
	st->node_id = c->node_id;
	st->timeout = c->timeout;
	st->sync_timeout = c->sync_timeout;
	st->config_version_set = c->node_list.config_version_set;
	st->config_version = c->node_list.config_version;
	st->config_nodes = c->node_list.nodes;
	st->config_node_count = c->node_list.count;
	st->heuristics_mode = c->heuristics.mode;
	st->ring_id = n->membership_ring_id;
	st->members = n->members;
	st->member_count = n->member_count;
	st->quorate = n->quorate;
	for (size_t i = 0; i < n->quorum_node_count; i++) {
		quorum[i].node_id = n->quorum_nodes[i].node_id;
		quorum[i].state = n->quorum_nodes[i].state;
	}
	st->quorum_nodes = quorum;
	st->quorum_node_count = n->quorum_node_count;
	st->expected_votes = n->expected_votes;
	st->last_poll_set = n->last_poll_time != 0;
	st->last_poll_time = n->last_poll_time;
	st->last_poll_cast = n->last_poll_cast;

	st->cluster_name = c->net.cluster_name;
	st->host = c->net.host;
	st->port = c->net.port;
	st->force_ip_version = c->net.force_ip_version;
	st->connect_timeout = c->net.connect_timeout;
	st->heartbeat_interval = c->net.heartbeat_interval;
	st->cast_vote_timer_interval = c->net.cast_vote_timer_interval;
	st->tls = c->net.tls;
	st->algorithm = c->net.algorithm;
	st->tie_breaker.mode = c->net.tie_breaker_mode;
	st->tie_breaker.node_id = c->net.tie_breaker_node_id;
	st->kap_tie_breaker = c->net.keep_active_partition_tie_breaker;
	st->server_supports_kap = n->server_supports_kap;
	st->poll_timer_running = loop_timer_armed(&d->timers[QDEVICE_NET_TIMER_CAST_VOTE].timer);
	st->vote = n->vote;
	st->state = qdevice_net_link(n);
	st->heuristics_result = n->heur_latest;
	st->heuristics_regular = n->heur_regular;
	st->heuristics_membership = n->heur_membership;
	st->heuristics_connect = n->heur_connect;
	if (d->heuristics != NULL)
		st->heuristics_outcomes = qdevice_heuristics_last_outcomes(d->heuristics, &st->heuristics_outcome_count);
	st->tls_active = n->tls_active;
	st->client_cert_sent = n->client_cert_sent;
	st->connected_since_set = n->connected_since != 0;
	st->connected_since = n->connected_since;
	st->echo_reply_set = n->echo_reply_time != 0;
	st->echo_reply_time = n->echo_reply_time;
	st->echo_rtt_set = n->echo_rtt_set;
	st->echo_rtt_ms = n->echo_rtt_ms;

	st->version = QD_VERSION;
	st->started_unix_ms = d->started_unix_ms;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	st->now_unix_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	st->device_votes_set = d->vq.device_votes_set;
	st->device_votes = d->vq.device_votes;
	st->counters = &n->counters;
	return 0;
}

static void on_closed(void *ctx)
{
	struct qdevice_daemon *d = ctx;
	d->ipc_closed = true;
	loop_stop(d->loop);
}

int qdevice_daemon_ipc_init(struct qdevice_daemon *d)
{
	if (qdevice_ipc_init(&d->ipc, d->loop, &d->settings, status_fill, on_closed, d) != 0)
		return -1;
	d->ipc_up = true;
	return 0;
}

void qdevice_daemon_ipc_close_listener(struct qdevice_daemon *d)
{
	if (d->ipc_up)
		qdevice_ipc_close_listener(&d->ipc);
	else
		on_closed(d);
}

void qdevice_daemon_ipc_destroy(struct qdevice_daemon *d)
{
	if (d->ipc_up)
		qdevice_ipc_close(&d->ipc);
	d->ipc_up = false;
}

static void status_refresh(struct loop *loop, void *data)
{
	struct qdevice_daemon *d = data;
	struct qdevice_status st;
	char line[sizeof(d->status_line)];
	qdevice_status_init(&st);
	if (status_fill(d, &st) == 0) {
		qdevice_report_status_line(&st, line, sizeof(line));
		if (strcmp(line, d->status_line) != 0) {
			service_notify_status("%s", line);
			memcpy(d->status_line, line, sizeof(line));
		}
	}
	loop_timer_start(loop, &d->status_timer, STATUS_REFRESH_MS);
}

void qdevice_daemon_status_start(struct qdevice_daemon *d)
{
	d->status_line[0] = '\0';
	loop_timer_init(&d->status_timer, status_refresh, d);
	status_refresh(d->loop, d);
}

void qdevice_daemon_status_stop(struct qdevice_daemon *d)
{
	loop_timer_stop(d->loop, &d->status_timer);
}

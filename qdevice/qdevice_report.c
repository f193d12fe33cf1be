/* corosync-qdevice-tool's status text (man/corosync-qdevice-tool.8), byte-exact, from a plain snapshot of the daemon's state. */
#include "qdevice_report.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void qdevice_status_init(struct qdevice_status *s)
{
	memset(s, 0, sizeof(*s));
	s->state = QDEVICE_NET_LINK_DISCONNECTED;
	s->heuristics_mode = QDEVICE_HEURISTICS_MODE_OFF;
	s->heuristics_result = QDEVICE_HEURISTICS_RESULT_DISABLED;
	s->heuristics_regular = QDEVICE_HEURISTICS_RESULT_DISABLED;
	s->heuristics_membership = QDEVICE_HEURISTICS_RESULT_DISABLED;
	s->heuristics_connect = QDEVICE_HEURISTICS_RESULT_DISABLED;
}

const char *qdevice_status_state_str(enum qdevice_net_link state)
{
	switch (state) {
	case QDEVICE_NET_LINK_DISCONNECTED: return "Disconnected";
	case QDEVICE_NET_LINK_CONNECTED: return "Connected";
	case QDEVICE_NET_LINK_CONNECTING: return "Connecting";
	case QDEVICE_NET_LINK_CONNECT_FAILED: return "Connect failed";
	}
	return "Unknown";
}

void qdevice_report_status_line(const struct qdevice_status *s, char *buf, size_t len)
{
	const char *host = s->host != NULL ? s->host : "?";
	if (s->state != QDEVICE_NET_LINK_CONNECTED) {
		snprintf(buf, len, "Not connected to qnetd %s:%u (%s)", host, (unsigned)s->port,
			 qdevice_status_state_str(s->state));
		return;
	}
	bool casting = s->last_poll_set && s->last_poll_cast;
	char votes[32] = "";
	if (casting && s->device_votes_set)
		snprintf(votes, sizeof(votes), " (%u vote%s)", (unsigned)s->device_votes, s->device_votes == 1 ? "" : "s");
	snprintf(buf, len, "Connected to qnetd %s:%u, vote %s, %s%s", host, (unsigned)s->port, proto_vote_str(s->vote),
		 casting ? "this node casts the device's vote" : "this node does not cast the device's vote", votes);
}

/* Local time as YYYY-MM-DDTHH:MM:SS; a time the C library cannot convert fails the whole report. */
static void append_time(struct strbuf *out, time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL) {
		out->failed = true;
		return;
	}
	strbuf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		      tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static const char *tls_str(uint8_t tls)
{
	switch (tls) {
	case PROTO_TLS_UNSUPPORTED: return "Unsupported";
	case PROTO_TLS_SUPPORTED: return "Supported";
	case PROTO_TLS_REQUIRED: return "Required";
	}
	return "Unknown";
}

static void append_tie_breaker(struct strbuf *out, const struct proto_tie_breaker *tb)
{
	switch (tb->mode) {
	case PROTO_TIE_BREAKER_LOWEST:
		strbuf_printf(out, "Node with lowest node ID");
		return;
	case PROTO_TIE_BREAKER_HIGHEST:
		strbuf_printf(out, "Node with highest node ID");
		return;
	case PROTO_TIE_BREAKER_NODE_ID:
		strbuf_printf(out, "Node with node ID %" PRIu32, tb->node_id);
		return;
	}
	strbuf_printf(out, "Unknown");
}

/* Only ffsplit lets the option through; lms and 2nodelms behave as if it were always on. */
static const char *kap_str(const struct qdevice_status *s)
{
	switch (s->algorithm) {
	case PROTO_ALGO_LMS:
	case PROTO_ALGO_2NODELMS:
		return "Algorithm hard-coded";
	case PROTO_ALGO_FFSPLIT:
		if (!s->kap_tie_breaker)
			return "Disabled";
		if (s->state == QDEVICE_NET_LINK_CONNECTED && !s->server_supports_kap)
			return "Unsupported by QNetd";
		return "Enabled";
	default:
		return "Unsupported by algorithm";
	}
}

static void report_generic(struct strbuf *out, const struct qdevice_status *s, bool verbose)
{
	strbuf_printf(out, "Qdevice information\n");
	strbuf_printf(out, "-------------------\n");
	strbuf_printf(out, "Model:\t\t\tNet\n");
	strbuf_printf(out, "Node ID:\t\t%" PRIu32 "\n", s->node_id);
	if (verbose) {
		strbuf_printf(out, "HB interval:\t\t%" PRIu32 "ms\n", s->timeout);
		strbuf_printf(out, "Sync HB interval:\t%" PRIu32 "ms\n", s->sync_timeout);
	}
	if (s->config_version_set)
		strbuf_printf(out, "Configuration version:\t%" PRIu64 "\n", s->config_version);
	strbuf_printf(out, "Configured node list:\n");
	for (size_t i = 0; i < s->config_node_count; i++) {
		strbuf_printf(out, "    %zu\tNode ID = %" PRIu32, i, s->config_nodes[i].node_id);
		if (s->config_nodes[i].data_center_id != 0)
			strbuf_printf(out, ", Data center ID = %" PRIu32, s->config_nodes[i].data_center_id);
		strbuf_printf(out, "\n");
	}
	if (verbose) {
		strbuf_printf(out, "Heuristics:\t\t%s\n", qdevice_heuristics_mode_str(s->heuristics_mode));
		strbuf_printf(out, "Ring ID:\t\t%" PRIx32 ".%" PRIx64 "\n", s->ring_id.node_id, s->ring_id.seq);
	}
	strbuf_printf(out, "Membership node list:\t");
	for (size_t i = 0; i < s->member_count; i++)
		strbuf_printf(out, "%s%" PRIu32, i == 0 ? "" : ", ", s->members[i]);
	strbuf_printf(out, "\n");
	if (verbose) {
		strbuf_printf(out, "Quorate:\t\t%s\n", s->quorate ? "Yes" : "No");
		strbuf_printf(out, "Quorum node list:\n");
		for (size_t i = 0; i < s->quorum_node_count; i++) {
			const struct qdevice_status_quorum_node *q = &s->quorum_nodes[i];
			if (q->node_id == 0)
				continue;
			strbuf_printf(out, "    %zu\tNode ID = %" PRIu32 ", State = %s\n", i, q->node_id,
				      proto_node_state_str(q->state));
		}
		strbuf_printf(out, "Expected votes:\t\t%" PRIu32 "\n", s->expected_votes);
		strbuf_printf(out, "Last poll call:\t\t");
		if (s->last_poll_set) {
			append_time(out, s->last_poll_time);
			if (s->last_poll_cast)
				strbuf_printf(out, " (cast vote)");
		} else {
			strbuf_printf(out, "Never");
		}
		strbuf_printf(out, "\n");
	}
	strbuf_printf(out, "\n");
}

static void report_net(struct strbuf *out, const struct qdevice_status *s, bool verbose)
{
	bool connected = s->state == QDEVICE_NET_LINK_CONNECTED;

	strbuf_printf(out, "Qdevice-net information\n");
	strbuf_printf(out, "----------------------\n");
	strbuf_printf(out, "Cluster name:\t\t%s\n", s->cluster_name != NULL ? s->cluster_name : "");
	strbuf_printf(out, "QNetd host:\t\t%s:%" PRIu16 "\n", s->host != NULL ? s->host : "", s->port);
	if (verbose) {
		if (s->force_ip_version != 0)
			strbuf_printf(out, "Force IP version:\t%d\n", s->force_ip_version);
		strbuf_printf(out, "Connect timeout:\t%" PRIu32 "ms\n", s->connect_timeout);
		strbuf_printf(out, "HB interval:\t\t%" PRIu32 "ms\n", s->heartbeat_interval);
		strbuf_printf(out, "VQ vote timer interval:\t%" PRIu32 "ms\n", s->cast_vote_timer_interval);
		strbuf_printf(out, "TLS:\t\t\t%s\n", tls_str(s->tls));
	}
	strbuf_printf(out, "Algorithm:\t\t%s\n", proto_algorithm_str(s->algorithm));
	strbuf_printf(out, "Tie-breaker:\t\t");
	append_tie_breaker(out, &s->tie_breaker);
	strbuf_printf(out, "\n");
	if (verbose) {
		strbuf_printf(out, "KAP Tie-breaker:\t%s\n", kap_str(s));
		strbuf_printf(out, "Poll timer running:\t%s%s\n", s->poll_timer_running ? "Yes" : "No",
			      s->poll_timer_running && s->vote == PROTO_VOTE_ACK ? " (cast vote)" : "");
	}
	strbuf_printf(out, "State:\t\t\t%s\n", qdevice_status_state_str(s->state));
	if (s->heuristics_mode != QDEVICE_HEURISTICS_MODE_OFF) {
		strbuf_printf(out, "Heuristics result:\t%s", qdevice_heuristics_result_str(s->heuristics_result));
		if (verbose)
			strbuf_printf(out, " (regular: %s, membership: %s, connect: %s)",
				      qdevice_heuristics_result_str(s->heuristics_regular),
				      qdevice_heuristics_result_str(s->heuristics_membership),
				      qdevice_heuristics_result_str(s->heuristics_connect));
		strbuf_printf(out, "\n");
	}
	if (verbose && connected) {
		strbuf_printf(out, "TLS active:\t\t%s%s\n", s->tls_active ? "Yes" : "No",
			      s->tls_active && s->client_cert_sent ? " (client certificate sent)" : "");
		if (s->connected_since_set) {
			strbuf_printf(out, "Connected since:\t");
			append_time(out, s->connected_since);
			strbuf_printf(out, "\n");
		}
		if (s->echo_reply_set) {
			strbuf_printf(out, "Echo reply received:\t");
			append_time(out, s->echo_reply_time);
			strbuf_printf(out, "\n");
		}
	}
}

void qdevice_report_status(struct strbuf *out, const struct qdevice_status *s, bool verbose)
{
	report_generic(out, s, verbose);
	report_net(out, s, verbose);
}

/* The text of corosync-qnetd-tool's status and list reports (man/corosync-qnetd-tool.8), byte-exact. */
#include "qnetd_report.h"

#include <inttypes.h>
#include <string.h>

#include "proto.h"

static const char *tls_mode_str(uint8_t tls)
{
	switch (tls) {
	case PROTO_TLS_UNSUPPORTED: return "Unsupported";
	case PROTO_TLS_SUPPORTED: return "Supported";
	}
	return "Required";
}

void qnetd_report_status(struct strbuf *out, const struct qnetd_server *srv, bool verbose)
{
	const struct qnetd_settings *s = srv->settings;

	strbuf_printf(out, "QNetd address:\t\t\t%s:%u\n", s->listen_addr != NULL ? s->listen_addr : "*", s->port);
	strbuf_printf(out, "TLS:\t\t\t\t%s%s\n", tls_mode_str(s->tls),
		      s->tls != PROTO_TLS_UNSUPPORTED && s->client_cert_required ? " (client certificate required)"
										  : "");
	strbuf_printf(out, "Connected clients:\t\t%zu\n", srv->conn_count);
	strbuf_printf(out, "Connected clusters:\t\t%zu\n", srv->clusters.count);
	if (verbose) {
		if (s->max_clients != 0)
			strbuf_printf(out, "Maximum allowed clients:\t%lld\n", s->max_clients);
		strbuf_printf(out, "Maximum send/receive size:\t%lld/%lld bytes\n", s->max_client_send_size,
			      s->max_client_receive_size);
	}
}

static void node_list_line(struct strbuf *out, const char *label, const struct qnetd_node_list *l)
{
	strbuf_printf(out, "        %s", label);
	for (size_t i = 0; i < l->count; i++) {
		strbuf_printf(out, "%s%" PRIu32, i > 0 ? ", " : "", l->nodes[i].node_id);
		if (l->nodes[i].data_center_id != 0)
			strbuf_printf(out, " (%" PRIu32 ")", l->nodes[i].data_center_id);
	}
	strbuf_append(out, "\n", 1);
}

static void tie_breaker_line(struct strbuf *out, const struct proto_tie_breaker *tb)
{
	switch (tb->mode) {
	case PROTO_TIE_BREAKER_LOWEST:
		strbuf_printf(out, "    Tie-breaker:\tNode with lowest node ID\n");
		break;
	case PROTO_TIE_BREAKER_HIGHEST:
		strbuf_printf(out, "    Tie-breaker:\tNode with highest node ID\n");
		break;
	default:
		strbuf_printf(out, "    Tie-breaker:\tNode with node ID %" PRIu32 "\n", tb->node_id);
		break;
	}
}

static void client_lines(struct strbuf *out, const struct qnetd_client *client, bool verbose)
{
	const struct qnetd_conn *conn = client->owner;

	strbuf_printf(out, "    Node ID %" PRIu32 ":\n", client->node_id);
	strbuf_printf(out, "        Client address:\t\t%s\n", conn->peer);
	if (verbose)
		strbuf_printf(out, "        HB interval:\t\t%" PRIu32 "ms\n", client->heartbeat_interval);
	if (client->config_version_set)
		strbuf_printf(out, "        Configuration version:\t%" PRIu64 "\n", client->config_version);
	if (client->config_list.count > 0)
		node_list_line(out, "Configured node list:\t", &client->config_list);
	if (verbose)
		strbuf_printf(out, "        Ring ID:\t\t%" PRIx32 ".%" PRIx64 "\n", client->ring_id.node_id,
			      client->ring_id.seq);
	if (client->membership_list.count > 0)
		node_list_line(out, "Membership node list:\t", &client->membership_list);
	if (client->heuristics != PROTO_HEURISTICS_UNDEFINED || verbose) {
		strbuf_printf(out, "        Heuristics:\t\t%s", proto_heuristics_str(client->heuristics));
		if (verbose)
			strbuf_printf(out, " (membership: %s, regular: %s)",
				      proto_heuristics_str(client->membership_heuristics),
				      proto_heuristics_str(client->regular_heuristics));
		strbuf_append(out, "\n", 1);
	}
	if (verbose)
		strbuf_printf(out, "        TLS active:\t\t%s%s\n", conn->tls_started ? "Yes" : "No",
			      conn->tls_started && conn->cert_verified ? " (client certificate verified)" : "");
	if (client->last_sent_vote != PROTO_VOTE_UNDEFINED) {
		strbuf_printf(out, "        Vote:\t\t\t%s", proto_vote_str(client->last_sent_vote));
		if (client->last_sent_ack_nack_vote != PROTO_VOTE_UNDEFINED)
			strbuf_printf(out, " (%s)", proto_vote_str(client->last_sent_ack_nack_vote));
		strbuf_append(out, "\n", 1);
	}
}

static void cluster_lines(struct strbuf *out, const struct qnetd_cluster *cluster, bool verbose)
{
	strbuf_append(out, "Cluster \"", 9);
	strbuf_append_escaped(out, cluster->name, cluster->name_len);
	strbuf_append(out, "\":\n", 3);
	if (cluster->client_count == 0)
		return;
	const struct qnetd_client *first = cluster->clients[0];
	bool kap = true;
	for (size_t i = 0; i < cluster->client_count; i++) {
		const struct qnetd_client *c = cluster->clients[i];
		if (c->algorithm != PROTO_ALGO_FFSPLIT || !c->kap_tie_breaker)
			kap = false;
	}
	strbuf_printf(out, "    Algorithm:\t\t%s%s\n", proto_algorithm_str(first->algorithm),
		      kap ? " (KAP Tie-breaker)" : "");
	tie_breaker_line(out, &first->tie_breaker);
	for (size_t i = 0; i < cluster->client_count; i++)
		client_lines(out, cluster->clients[i], verbose);
}

void qnetd_report_list(struct strbuf *out, const struct qnetd_server *srv, bool verbose,
		       const char *cluster_name, size_t cluster_name_len)
{
	for (const struct qnetd_cluster_map_entry *e = qnetd_cluster_map_first(&srv->clusters); e != NULL;
	     e = qnetd_cluster_map_next(e)) {
		const struct qnetd_cluster *cluster = qnetd_cluster_map_entry_cluster(e);
		if (cluster_name != NULL && cluster_name_len > 0 &&
		    (cluster->name_len != cluster_name_len || memcmp(cluster->name, cluster_name, cluster_name_len) != 0))
			continue;
		cluster_lines(out, cluster, verbose);
	}
}

/* corosync-qnetd's Prometheus metrics, written from its JSON status (doc/monitoring.md §5). */
#include "qnetd_metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "prom.h"
#include "timefmt.h"

#define P "corosync_qnetd_"

static long long int_at(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static const char *str_at(const json_t *o, const char *key, const char *dflt)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : dflt;
}

/*
 * The cluster label: the name, or "hex:<bytes>" when the name is not valid UTF-8 as received; two
 * clusters never share a label (the replacement characters of a lossy name could collide).
 */
static const char *cluster_label(const json_t *cluster, char *buf, size_t len)
{
	const char *hex = str_at(cluster, "name_hex", NULL);
	if (hex != NULL) {
		snprintf(buf, len, "hex:%s", hex);
		return buf;
	}
	return str_at(cluster, "name", "");
}

/* A JSON time as Unix seconds with milliseconds; false when absent or unreadable. */
static bool time_ms(const json_t *o, const char *key, int64_t *ms)
{
	return timefmt_parse_rfc3339(str_at(o, key, NULL), ms) == 0;
}

/* Every key of an object of counters, as one labelled series each. */
static void by_key(struct strbuf *out, const char *name, const char *label, const json_t *obj)
{
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		struct prom_label l = {label, key};
		prom_sample_int(out, name, &l, 1, json_is_integer(v) ? (long long)json_integer_value(v) : 0);
	}
}

static void clusters_section(struct strbuf *out, const json_t *clusters)
{
	static const struct {
		const char *name, *help;
	} gauges[] = {
		{P "cluster_clients", "Clients of the cluster connected and joined."},
		{P "cluster_configured_nodes", "Nodes in the union of the clients' configured node lists."},
		{P "cluster_missing_nodes", "Configured nodes of the cluster without a connection."},
		{P "cluster_acked_partitions", "Partitions of the cluster holding an ACK; more than 1 is a split brain."},
		{P "cluster_vote_holds", "Vote holds running in the cluster: partitions kept from an ACK for a while."},
	};
	size_t i;
	const json_t *c;
	char buf[600];

	prom_family(out, P "cluster_info", "gauge", "One series per cluster, with its algorithm and tie-breaker.");
	json_array_foreach(clusters, i, c) {
		const json_t *tb = json_object_get(c, "tie_breaker");
		char tbtext[32];
		const char *mode = str_at(tb, "mode", "");
		if (strcmp(mode, "node") == 0)
			snprintf(tbtext, sizeof(tbtext), "node %lld", int_at(tb, "node_id"));
		else
			snprintf(tbtext, sizeof(tbtext), "%s", mode);
		struct prom_label l[] = {
			{"cluster", cluster_label(c, buf, sizeof(buf))},
			{"algorithm", str_at(c, "algorithm", "")},
			{"tie_breaker", tbtext},
			{"kap_tie_breaker", json_is_true(json_object_get(c, "kap_tie_breaker")) ? "true" : "false"},
		};
		prom_sample_int(out, P "cluster_info", l, 4, 1);
	}
	for (size_t g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
		prom_family(out, gauges[g].name, "gauge", gauges[g].help);
		json_array_foreach(clusters, i, c) {
			struct prom_label l = {"cluster", cluster_label(c, buf, sizeof(buf))};
			long long v;
			switch (g) {
			case 0: v = int_at(c, "client_count"); break;
			case 1: v = (long long)json_array_size(json_object_get(c, "configured_nodes")); break;
			case 2: v = (long long)json_array_size(json_object_get(c, "missing_nodes")); break;
			case 3: v = int_at(c, "acked_partitions"); break;
			default: v = (long long)json_array_size(json_object_get(c, "vote_holds")); break;
			}
			prom_sample_int(out, gauges[g].name, &l, 1, v);
		}
	}
}

static void clients_section(struct strbuf *out, const json_t *clusters)
{
	static const char *const votes[] = {"ack", "nack", "ask_later", "wait_for_reply", "no_change"};
	size_t i, k;
	const json_t *c, *cl;
	char buf[600], id[16];

	prom_family(out, P "client_info", "gauge", "One series per joined client, with its address and TLS state.");
	json_array_foreach(clusters, i, c) {
		json_array_foreach(json_object_get(c, "clients"), k, cl) {
			snprintf(id, sizeof(id), "%lld", int_at(cl, "node_id"));
			struct prom_label l[] = {
				{"cluster", cluster_label(c, buf, sizeof(buf))},
				{"node_id", id},
				{"address", str_at(cl, "address", "")},
				{"tls", json_is_true(json_object_get(cl, "tls_active")) ? "true" : "false"},
				{"client_cert_verified", json_is_true(json_object_get(cl, "client_cert_verified")) ? "true" : "false"},
			};
			prom_sample_int(out, P "client_info", l, 5, 1);
		}
	}
	prom_family(out, P "client_vote", "gauge",
		    "The last ACK or NACK sent to each client, as a state set (1 for the current one).");
	json_array_foreach(clusters, i, c) {
		json_array_foreach(json_object_get(c, "clients"), k, cl) {
			snprintf(id, sizeof(id), "%lld", int_at(cl, "node_id"));
			const char *last = str_at(cl, "last_ack_nack_vote", "");
			for (size_t v = 0; v < 2; v++) {
				struct prom_label l[] = {{"cluster", cluster_label(c, buf, sizeof(buf))}, {"node_id", id}, {"vote", votes[v]}};
				prom_sample_int(out, P "client_vote", l, 3, strcmp(last, votes[v]) == 0);
			}
		}
	}
	prom_family(out, P "client_connected_since_timestamp_seconds", "gauge", "When each client connected.");
	json_array_foreach(clusters, i, c) {
		json_array_foreach(json_object_get(c, "clients"), k, cl) {
			int64_t ms;
			if (!time_ms(cl, "connected_since", &ms))
				continue;
			snprintf(id, sizeof(id), "%lld", int_at(cl, "node_id"));
			struct prom_label l[] = {{"cluster", cluster_label(c, buf, sizeof(buf))}, {"node_id", id}};
			prom_sample_ms(out, P "client_connected_since_timestamp_seconds", l, 2, ms);
		}
	}
}

static void decisions_section(struct strbuf *out, const json_t *d)
{
	const char *name = P "decision_duration_seconds";
	char metric[96], le[32];
	size_t i;
	const json_t *bucket;

	prom_family(out, name, "histogram",
		    "Time from a change a client reports (membership, quorum, heuristics, ask for vote) to the vote that settles it.");
	snprintf(metric, sizeof(metric), "%s_bucket", name);
	json_array_foreach(json_object_get(d, "buckets"), i, bucket) {
		const json_t *bound = json_object_get(bucket, "le_ms");
		struct prom_label l = {"le", json_is_integer(bound) ? prom_ms_text(json_integer_value(bound), le) : "+Inf"};
		prom_sample_int(out, metric, &l, 1, int_at(bucket, "count"));
	}
	snprintf(metric, sizeof(metric), "%s_sum", name);
	prom_sample_ms(out, metric, NULL, 0, int_at(d, "sum_ms"));
	snprintf(metric, sizeof(metric), "%s_count", name);
	prom_sample_int(out, metric, NULL, 0, int_at(d, "count"));
}

int qnetd_metrics_write(const json_t *status, bool per_client, struct strbuf *out)
{
	const json_t *counts = json_object_get(status, "counts");
	const json_t *clusters = json_object_get(status, "clusters");
	const json_t *totals = json_object_get(status, "totals");
	const json_t *rej = json_object_get(status, "client_cert_rejections");
	const json_t *listen = json_object_get(status, "listen");
	const json_t *schema = json_object_get(status, "schema");
	if (!json_is_integer(schema) || json_integer_value(schema) != 1 || !json_is_object(counts) ||
	    !json_is_array(clusters) || !json_is_object(totals) || !json_is_object(rej))
		return -1;

	char port[16];
	snprintf(port, sizeof(port), "%lld", int_at(listen, "port"));
	struct prom_label info[] = {
		{"version", str_at(status, "version", "")},
		{"listen_address", str_at(listen, "address", "")},
		{"port", port},
		{"tls", str_at(status, "tls", "")},
		{"client_cert_required", json_is_true(json_object_get(status, "client_cert_required")) ? "true" : "false"},
	};
	prom_family(out, P "info", "gauge", "Always 1; the daemon's version and listening settings as labels.");
	prom_sample_int(out, P "info", info, 5, 1);
	int64_t ms;
	if (time_ms(status, "started", &ms)) {
		prom_family(out, P "start_time_seconds", "gauge", "When the daemon started, in Unix time.");
		prom_sample_ms(out, P "start_time_seconds", NULL, 0, ms);
	}

	prom_family(out, P "clients", "gauge", "Clients connected and joined to a cluster.");
	prom_sample_int(out, P "clients", NULL, 0, int_at(counts, "clients"));
	prom_family(out, P "connections", "gauge", "Open connections, joined or not yet.");
	prom_sample_int(out, P "connections", NULL, 0, int_at(counts, "connections"));
	prom_family(out, P "clusters", "gauge", "Clusters with at least one client.");
	prom_sample_int(out, P "clusters", NULL, 0, int_at(counts, "clusters"));
	prom_family(out, P "plaintext_clients", "gauge", "Joined clients whose connection does not use TLS.");
	prom_sample_int(out, P "plaintext_clients", NULL, 0, int_at(counts, "plaintext_clients"));

	prom_family(out, P "connections_accepted_total", "counter", "Connections accepted since the daemon started.");
	prom_sample_int(out, P "connections_accepted_total", NULL, 0, int_at(totals, "connections_accepted"));
	prom_family(out, P "connections_closed_total", "counter", "Connections closed since the daemon started, by reason.");
	by_key(out, P "connections_closed_total", "reason", json_object_get(totals, "connections_closed_by_reason"));
	prom_family(out, P "clients_joined_total", "counter", "Clients that completed INIT since the daemon started.");
	prom_sample_int(out, P "clients_joined_total", NULL, 0, int_at(totals, "clients_joined"));
	prom_family(out, P "vote_holds_total", "counter",
		    "Times an ACK was held back because a departed client's corosync may still count the vote.");
	prom_sample_int(out, P "vote_holds_total", NULL, 0, int_at(totals, "vote_holds"));
	prom_family(out, P "client_cert_rejections_total", "counter", "Client certificates refused, by reason.");
	by_key(out, P "client_cert_rejections_total", "reason", json_object_get(rej, "by_reason"));

	const json_t *cert = json_object_get(status, "server_certificate");
	if (json_is_object(cert) && time_ms(cert, "not_before", &ms)) {
		prom_family(out, P "server_certificate_not_before_timestamp_seconds", "gauge",
			    "Start of the server certificate's validity, in Unix time.");
		prom_sample_ms(out, P "server_certificate_not_before_timestamp_seconds", NULL, 0, ms);
	}
	if (json_is_object(cert) && time_ms(cert, "not_after", &ms)) {
		prom_family(out, P "server_certificate_not_after_timestamp_seconds", "gauge",
			    "End of the server certificate's validity, in Unix time.");
		prom_sample_ms(out, P "server_certificate_not_after_timestamp_seconds", NULL, 0, ms);
	}
	decisions_section(out, json_object_get(totals, "decision_duration"));
	clusters_section(out, clusters);
	if (per_client)
		clients_section(out, clusters);
	return 0;
}

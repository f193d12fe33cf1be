/* corosync-qnetd-tool -C: the arbiter's health from its JSON status (doc/monitoring.md §2). */
#include "qnetd_health.h"

#include <inttypes.h>
#include <string.h>

#include "escape.h"
#include "timefmt.h"

const char *qnetd_health_cluster_name(const json_t *cluster, char *buf, size_t len)
{
	const json_t *name = json_object_get(cluster, "name");
	if (!json_is_string(name))
		return "?";
	return escape_bytes((const uint8_t *)json_string_value(name), json_string_length(name), buf, len);
}

long long qnetd_health_int(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

void qnetd_health_node_ids(const json_t *ids, char *buf, size_t len)
{
	size_t k, used = 0;
	const json_t *id;
	if (len == 0)
		return;
	buf[0] = '\0';
	json_array_foreach(ids, k, id) {
		int n = snprintf(buf + used, len - used, "%s%" JSON_INTEGER_FORMAT, k > 0 ? ", " : "", json_integer_value(id));
		if (n < 0 || (size_t)n >= len - used) {
			snprintf(buf + used, len - used, "...");
			break;
		}
		used += (size_t)n;
	}
}

const char *qnetd_health_top_reason(const json_t *by_reason, long long *count)
{
	const char *worst = "";
	long long most = 0;
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)by_reason, key, v) {
		if (json_is_integer(v) && json_integer_value(v) > most) {
			most = (long long)json_integer_value(v);
			worst = key;
		}
	}
	*count = most;
	return worst;
}

int qnetd_health_understood(const json_t *status, int64_t *now_ms)
{
	const json_t *schema = json_object_get(status, "schema");
	if (!json_is_integer(schema) || json_integer_value(schema) != 1 || !json_is_array(json_object_get(status, "clusters")) ||
	    !json_is_object(json_object_get(status, "counts")) ||
	    timefmt_parse_rfc3339(json_string_value(json_object_get(status, "time")), now_ms) != 0)
		return -1;
	return 0;
}

int qnetd_health_server_cert_dates(const json_t *status, int64_t *not_before_ms, int64_t *not_after_ms)
{
	const json_t *cert = json_object_get(status, "server_certificate");
	if (!json_is_object(cert))
		return 1;
	if (timefmt_parse_rfc3339(json_string_value(json_object_get(cert, "not_before")), not_before_ms) != 0 ||
	    timefmt_parse_rfc3339(json_string_value(json_object_get(cert, "not_after")), not_after_ms) != 0)
		return -1;
	return 0;
}

enum qnetd_health_cert_window qnetd_health_cert_window(int64_t not_before_ms, int64_t not_after_ms, int64_t now_ms)
{
	if (now_ms < not_before_ms)
		return QNETD_HEALTH_CERT_NOT_YET_VALID;
	if (now_ms > not_after_ms)
		return QNETD_HEALTH_CERT_EXPIRED;
	if (not_after_ms - now_ms < (int64_t)QNETD_HEALTH_CERT_WARN_DAYS * 86400000)
		return QNETD_HEALTH_CERT_EXPIRING;
	return QNETD_HEALTH_CERT_VALID;
}

static void check_certificate(const json_t *status, int64_t now, struct health_report *r)
{
	const json_t *cert = json_object_get(status, "server_certificate");
	int64_t nb, na;
	int dates = qnetd_health_server_cert_dates(status, &nb, &na);
	if (dates > 0)
		return;
	if (dates < 0) {
		health_add(r, HEALTH_UNKNOWN, "server certificate dates unreadable");
		return;
	}
	const char *until = json_string_value(json_object_get(cert, "not_after"));
	switch (qnetd_health_cert_window(nb, na, now)) {
	case QNETD_HEALTH_CERT_NOT_YET_VALID:
		health_add(r, HEALTH_CRITICAL, "server certificate not valid before %s (clock?)",
			   json_string_value(json_object_get(cert, "not_before")));
		break;
	case QNETD_HEALTH_CERT_EXPIRED:
		health_add(r, HEALTH_CRITICAL, "server certificate expired on %s", until);
		break;
	case QNETD_HEALTH_CERT_EXPIRING:
		health_add(r, HEALTH_WARNING, "server certificate expires on %s", until);
		break;
	case QNETD_HEALTH_CERT_VALID:
		break;
	}
}

void qnetd_health_evaluate(const json_t *status, struct health_report *r)
{
	int64_t now;
	const json_t *schema = json_object_get(status, "schema");
	const json_t *clusters = json_object_get(status, "clusters");
	const json_t *counts = json_object_get(status, "counts");
	if (qnetd_health_understood(status, &now) != 0) {
		health_add(r, HEALTH_UNKNOWN, "status not understood (schema %" JSON_INTEGER_FORMAT ")",
			   json_is_integer(schema) ? json_integer_value(schema) : -1);
		return;
	}
	long long nclusters = qnetd_health_int(counts, "clusters"), nclients = qnetd_health_int(counts, "clients");
	long long plaintext = qnetd_health_int(counts, "plaintext_clients");
	health_add(r, HEALTH_OK, "%lld cluster%s, %lld client%s", nclusters, nclusters == 1 ? "" : "s", nclients,
		   nclients == 1 ? "" : "s");

	size_t i;
	const json_t *cluster;
	long long missing_total = 0, split_clusters = 0;
	json_array_foreach(clusters, i, cluster) {
		char name[96];
		long long acked = qnetd_health_int(cluster, "acked_partitions");
		if (acked > 1) {
			split_clusters++;
			health_add(r, HEALTH_CRITICAL, "cluster \"%s\": %lld partitions hold an ACK",
				   qnetd_health_cluster_name(cluster, name, sizeof(name)), acked);
		}
		const json_t *missing = json_object_get(cluster, "missing_nodes");
		if (json_is_array(missing) && json_array_size(missing) > 0) {
			char ids[128];
			qnetd_health_node_ids(missing, ids, sizeof(ids));
			missing_total += (long long)json_array_size(missing);
			health_add(r, HEALTH_WARNING, "cluster \"%s\": node%s %s not connected",
				   qnetd_health_cluster_name(cluster, name, sizeof(name)), json_array_size(missing) == 1 ? "" : "s", ids);
		}
	}
	if (plaintext > 0)
		health_add(r, HEALTH_WARNING, "%lld client%s without TLS", plaintext, plaintext == 1 ? "" : "s");
	const json_t *rej = json_object_get(status, "client_cert_rejections");
	long long recent = qnetd_health_int(rej, "last_hour");
	if (recent > 0) {
		long long most;
		const char *worst = qnetd_health_top_reason(json_object_get(rej, "by_reason"), &most);
		health_add(r, HEALTH_WARNING, "%lld client certificate%s refused in the last hour (most often: %s)", recent,
			   recent == 1 ? "" : "s", worst);
	}
	check_certificate(status, now, r);
	health_perf(r, "clusters", nclusters);
	health_perf(r, "clients", nclients);
	health_perf(r, "plaintext_clients", plaintext);
	health_perf(r, "missing_nodes", missing_total);
	health_perf(r, "split_clusters", split_clusters);
	health_perf(r, "cert_rejections_last_hour", recent);
}

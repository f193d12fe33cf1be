/* corosync-qnetd-tool -C: the arbiter's health from its JSON status (doc/monitoring.md §2). */
#include "qnetd_health.h"

#include <inttypes.h>
#include <string.h>

#include "escape.h"
#include "timefmt.h"

/* A cluster name for the summary line: control characters escaped, long names cut. */
static const char *display_name(const json_t *cluster, char *buf, size_t len)
{
	const json_t *name = json_object_get(cluster, "name");
	if (!json_is_string(name))
		return "?";
	return escape_bytes((const uint8_t *)json_string_value(name), json_string_length(name), buf, len);
}

static long long int_at(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static void check_certificate(const json_t *status, int64_t now, struct health_report *r)
{
	const json_t *cert = json_object_get(status, "server_certificate");
	int64_t nb, na;
	if (!json_is_object(cert))
		return;
	if (timefmt_parse_rfc3339(json_string_value(json_object_get(cert, "not_before")), &nb) != 0 ||
	    timefmt_parse_rfc3339(json_string_value(json_object_get(cert, "not_after")), &na) != 0) {
		health_add(r, HEALTH_UNKNOWN, "server certificate dates unreadable");
		return;
	}
	const char *until = json_string_value(json_object_get(cert, "not_after"));
	if (now < nb)
		health_add(r, HEALTH_CRITICAL, "server certificate not valid before %s (clock?)",
			   json_string_value(json_object_get(cert, "not_before")));
	else if (now > na)
		health_add(r, HEALTH_CRITICAL, "server certificate expired on %s", until);
	else if (na - now < (int64_t)QNETD_HEALTH_CERT_WARN_DAYS * 86400000)
		health_add(r, HEALTH_WARNING, "server certificate expires on %s", until);
}

void qnetd_health_evaluate(const json_t *status, struct health_report *r)
{
	int64_t now;
	const json_t *schema = json_object_get(status, "schema");
	const json_t *clusters = json_object_get(status, "clusters");
	const json_t *counts = json_object_get(status, "counts");
	if (!json_is_integer(schema) || json_integer_value(schema) != 1 || !json_is_array(clusters) ||
	    !json_is_object(counts) || timefmt_parse_rfc3339(json_string_value(json_object_get(status, "time")), &now) != 0) {
		health_add(r, HEALTH_UNKNOWN, "status not understood (schema %" JSON_INTEGER_FORMAT ")",
			   json_is_integer(schema) ? json_integer_value(schema) : -1);
		return;
	}
	long long nclusters = int_at(counts, "clusters"), nclients = int_at(counts, "clients");
	long long plaintext = int_at(counts, "plaintext_clients");
	health_add(r, HEALTH_OK, "%lld cluster%s, %lld client%s", nclusters, nclusters == 1 ? "" : "s", nclients,
		   nclients == 1 ? "" : "s");

	size_t i;
	const json_t *cluster;
	long long missing_total = 0, split_clusters = 0;
	json_array_foreach(clusters, i, cluster) {
		char name[96];
		long long acked = int_at(cluster, "acked_partitions");
		if (acked > 1) {
			split_clusters++;
			health_add(r, HEALTH_CRITICAL, "cluster \"%s\": %lld partitions hold an ACK",
				   display_name(cluster, name, sizeof(name)), acked);
		}
		const json_t *missing = json_object_get(cluster, "missing_nodes");
		if (json_is_array(missing) && json_array_size(missing) > 0) {
			char ids[128] = "";
			size_t k, used = 0;
			const json_t *id;
			json_array_foreach(missing, k, id) {
				int n = snprintf(ids + used, sizeof(ids) - used, "%s%" JSON_INTEGER_FORMAT, k > 0 ? ", " : "",
						 json_integer_value(id));
				if (n < 0 || (size_t)n >= sizeof(ids) - used) {
					snprintf(ids + used, sizeof(ids) - used, "...");
					break;
				}
				used += (size_t)n;
			}
			missing_total += (long long)json_array_size(missing);
			health_add(r, HEALTH_WARNING, "cluster \"%s\": node%s %s not connected",
				   display_name(cluster, name, sizeof(name)), json_array_size(missing) == 1 ? "" : "s", ids);
		}
	}
	if (plaintext > 0)
		health_add(r, HEALTH_WARNING, "%lld client%s without TLS", plaintext, plaintext == 1 ? "" : "s");
	const json_t *rej = json_object_get(status, "client_cert_rejections");
	long long recent = int_at(rej, "last_hour");
	if (recent > 0) {
		const char *worst = "";
		long long most = 0;
		const json_t *by = json_object_get(rej, "by_reason");
		const char *key;
		const json_t *v;
		json_object_foreach((json_t *)by, key, v) {
			if (json_is_integer(v) && json_integer_value(v) > most) {
				most = (long long)json_integer_value(v);
				worst = key;
			}
		}
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

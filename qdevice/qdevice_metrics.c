/* corosync-qdevice's Prometheus metrics, written from its JSON status (doc/monitoring.md §5). */
#include "qdevice_metrics.h"

#include <stdio.h>
#include <string.h>

#include "prom.h"
#include "timefmt.h"

#define P "corosync_qdevice_"

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

static void gauge(struct strbuf *out, const char *name, const char *help, long long v)
{
	prom_family(out, name, "gauge", help);
	prom_sample_int(out, name, NULL, 0, v);
}

/* A state set: one series per possible value, 1 for the current one. */
static void state_set(struct strbuf *out, const char *name, const char *label, const char *const *values, size_t n,
		      const char *current, const char *help)
{
	prom_family(out, name, "gauge", help);
	for (size_t i = 0; i < n; i++) {
		struct prom_label l = {label, values[i]};
		prom_sample_int(out, name, &l, 1, strcmp(values[i], current) == 0);
	}
}

static long long by_reason(struct strbuf *out, const char *name, const json_t *obj)
{
	const char *key;
	const json_t *v;
	long long sum = 0;
	json_object_foreach((json_t *)obj, key, v) {
		struct prom_label l = {"reason", key};
		long long n = json_is_integer(v) ? (long long)json_integer_value(v) : 0;
		sum += n;
		prom_sample_int(out, name, &l, 1, n);
	}
	return sum;
}

int qdevice_metrics_write(const json_t *status, struct strbuf *out)
{
	static const char *const votes[] = {"ack", "nack", "ask_later", "wait_for_reply"};
	static const char *const results[] = {"pass", "fail", "pending", "disabled"};
	const json_t *schema = json_object_get(status, "schema");
	const json_t *net = json_object_get(status, "net");
	const json_t *vq = json_object_get(status, "votequorum");
	const json_t *counters = json_object_get(status, "counters");
	const json_t *heur = json_object_get(status, "heuristics");
	if (!json_is_integer(schema) || json_integer_value(schema) != 1 || !json_is_object(net) || !json_is_object(vq) ||
	    !json_is_object(counters) || !json_is_object(heur))
		return -1;

	char node_id[16], port[16];
	snprintf(node_id, sizeof(node_id), "%lld", int_at(status, "node_id"));
	snprintf(port, sizeof(port), "%lld", int_at(net, "port"));
	struct prom_label info[] = {
		{"version", str_at(status, "version", "")},
		{"cluster", str_at(status, "cluster_name", "")},
		{"node_id", node_id},
		{"model", str_at(status, "model", "")},
		{"host", str_at(net, "host", "")},
		{"port", port},
		{"algorithm", str_at(net, "algorithm", "")},
		{"tls", str_at(net, "tls", "")},
	};
	prom_family(out, P "info", "gauge", "Always 1; the node, its cluster and the qnetd it uses as labels.");
	prom_sample_int(out, P "info", info, sizeof(info) / sizeof(info[0]), 1);
	int64_t ms;
	if (timefmt_parse_rfc3339(str_at(status, "started", NULL), &ms) == 0) {
		prom_family(out, P "start_time_seconds", "gauge", "When the daemon started, in Unix time.");
		prom_sample_ms(out, P "start_time_seconds", NULL, 0, ms);
	}

	bool connected = strcmp(str_at(net, "state", ""), "connected") == 0;
	gauge(out, P "connected", "1 when connected to qnetd (handshake done), else 0.", connected);
	if (json_is_integer(json_object_get(vq, "device_votes")))
		gauge(out, P "votes", "Votes votequorum gives the quorum device.", int_at(vq, "device_votes"));
	gauge(out, P "casting_vote", "1 when this node casts the quorum device's vote in votequorum, else 0.",
	      json_is_true(json_object_get(status, "casting_vote")));
	state_set(out, P "vote", "vote", votes, 4, str_at(net, "vote", ""), "The vote qnetd last gave this node, as a state set.");
	gauge(out, P "quorate", "1 when votequorum says this node's partition is quorate, else 0.",
	      json_is_true(json_object_get(vq, "quorate")));
	gauge(out, P "expected_votes", "votequorum's expected votes.", int_at(vq, "expected_votes"));
	state_set(out, P "heuristics_result", "result", results, 4, str_at(heur, "result", ""),
		  "The latest heuristics result, as a state set (disabled when heuristics are off).");
	const json_t *commands = json_object_get(heur, "commands");
	if (json_array_size(commands) > 0) {
		size_t i;
		const json_t *c;
		prom_family(out, P "heuristics_command_passed", "gauge",
			    "1 when the command passed in the last heuristics run, else 0.");
		json_array_foreach(commands, i, c) {
			struct prom_label l = {"command", str_at(c, "name", "")};
			prom_sample_int(out, P "heuristics_command_passed", &l, 1, strcmp(str_at(c, "result", ""), "pass") == 0);
		}
		prom_family(out, P "heuristics_command_duration_seconds", "gauge",
			    "How long the command ran in the last heuristics run.");
		json_array_foreach(commands, i, c) {
			struct prom_label l = {"command", str_at(c, "name", "")};
			prom_sample_ms(out, P "heuristics_command_duration_seconds", &l, 1, int_at(c, "duration_ms"));
		}
	}
	if (json_is_integer(json_object_get(net, "echo_rtt_ms"))) {
		prom_family(out, P "echo_rtt_seconds", "gauge", "Round trip of the latest heartbeat to qnetd.");
		prom_sample_ms(out, P "echo_rtt_seconds", NULL, 0, int_at(net, "echo_rtt_ms"));
	}
	if (timefmt_parse_rfc3339(str_at(net, "connected_since", NULL), &ms) == 0) {
		prom_family(out, P "connected_since_timestamp_seconds", "gauge", "When the current connection to qnetd was made.");
		prom_sample_ms(out, P "connected_since_timestamp_seconds", NULL, 0, ms);
	}

	/* Reasons appear once they have happened; a reason id names the same cause in the journal and -j. */
	struct strbuf failures;
	strbuf_init(&failures, 1 << 20);
	prom_family(&failures, P "connect_failures_total", "counter", "Connection attempts that failed, by reason.");
	long long failed = by_reason(&failures, P "connect_failures_total", json_object_get(counters, "connect_failures"));
	prom_family(out, P "connect_attempts_total", "counter", "Connection attempts to qnetd that ended, by result.");
	struct prom_label ok = {"result", "connected"}, ko = {"result", "failed"};
	prom_sample_int(out, P "connect_attempts_total", &ok, 1, int_at(counters, "connects"));
	prom_sample_int(out, P "connect_attempts_total", &ko, 1, failed);
	if (failures.data != NULL)
		strbuf_append(out, failures.data, failures.len);
	if (failures.failed)
		out->failed = true;
	strbuf_free(&failures);
	prom_family(out, P "disconnects_total", "counter", "Established connections to qnetd that ended, by reason.");
	by_reason(out, P "disconnects_total", json_object_get(counters, "disconnects"));
	/* A daemon from before these counters leaves them out of its JSON: no series then, not a zero. */
	if (json_is_integer(json_object_get(counters, "nack_replies_waited"))) {
		prom_family(out, P "nack_replies_waited_total", "counter",
			    "NACKs from qnetd whose answer waited for corosync to stop counting the device's vote.");
		prom_sample_int(out, P "nack_replies_waited_total", NULL, 0, int_at(counters, "nack_replies_waited"));
		prom_family(out, P "nack_replies_unapplied_total", "counter",
			    "NACK answers sent when sync_timeout ran out with corosync still counting the vote.");
		prom_sample_int(out, P "nack_replies_unapplied_total", NULL, 0, int_at(counters, "nack_replies_unapplied"));
	}
	return 0;
}

/* corosync-qdevice-tool -C: the node's health from its JSON status (doc/monitoring.md §3). */
#include "qdevice_health.h"

#include <stdbool.h>
#include <string.h>

#include "escape.h"

static const char *str_at(const json_t *o, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		return "?";
	return escape_bytes((const uint8_t *)json_string_value(v), json_string_length(v), buf, len);
}

void qdevice_health_evaluate(const json_t *status, struct health_report *r)
{
	const json_t *schema = json_object_get(status, "schema");
	const json_t *net = json_object_get(status, "net");
	const json_t *vq = json_object_get(status, "votequorum");
	if (!json_is_integer(schema) || json_integer_value(schema) != 1 || !json_is_object(net) || !json_is_object(vq)) {
		health_add(r, HEALTH_UNKNOWN, "status not understood (schema %" JSON_INTEGER_FORMAT ")",
			   json_is_integer(schema) ? json_integer_value(schema) : -1);
		return;
	}
	char host[128], state[32];
	str_at(net, "host", host, sizeof(host));
	str_at(net, "state", state, sizeof(state));
	json_int_t port = json_integer_value(json_object_get(net, "port"));
	const json_t *votes = json_object_get(vq, "device_votes");
	bool connected = strcmp(state, "connected") == 0;
	bool casting = json_is_true(json_object_get(status, "casting_vote"));

	if (!connected)
		health_add(r, HEALTH_CRITICAL, "not connected to qnetd %s:%" JSON_INTEGER_FORMAT " (%s)", host, port, state);
	if (json_is_integer(votes) && json_integer_value(votes) == 0)
		health_add(r, HEALTH_CRITICAL,
			   "the device has 0 votes (lms gives it node count - 1 votes when quorum.device.votes is unset)");
	if (connected && !casting)
		health_add(r, HEALTH_WARNING, "connected to %s:%" JSON_INTEGER_FORMAT ", but this node does not cast the "
			   "vote (its partition does not have it)", host, port);
	if (json_is_integer(votes))
		health_add(r, HEALTH_OK, "connected to %s:%" JSON_INTEGER_FORMAT ", casting the vote (%" JSON_INTEGER_FORMAT
			   " vote%s)", host, port, json_integer_value(votes), json_integer_value(votes) == 1 ? "" : "s");
	else
		health_add(r, HEALTH_OK, "connected to %s:%" JSON_INTEGER_FORMAT ", casting the vote", host, port);
	health_perf(r, "connected", connected ? 1 : 0);
	health_perf(r, "casting_vote", casting ? 1 : 0);
	health_perf(r, "device_votes", json_is_integer(votes) ? (long long)json_integer_value(votes) : -1);
}

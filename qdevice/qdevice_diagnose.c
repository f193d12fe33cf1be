/* corosync-qdevice-tool -D: the node's checks of why the quorum device may have no vote, as plain decisions over gathered facts (doc/diagnose.md). */
#include "qdevice_diagnose.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum qdevice_diag_reach qdevice_diag_reach_from_errno(int err)
{
	switch (err) {
	case 0: return QDEVICE_DIAG_REACH_OK;
	case ETIMEDOUT: return QDEVICE_DIAG_REACH_TIMEOUT;
	case ECONNREFUSED: return QDEVICE_DIAG_REACH_REFUSED;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN: return QDEVICE_DIAG_REACH_UNREACHABLE;
	default: return QDEVICE_DIAG_REACH_OTHER;
	}
}

static struct qdevice_diag_result *add(struct qdevice_diag_report *r, const char *id, enum qdevice_diag_state s,
				       const char *fix, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static struct qdevice_diag_result *add(struct qdevice_diag_report *r, const char *id, enum qdevice_diag_state s,
				       const char *fix, const char *fmt, ...)
{
	struct qdevice_diag_result *c = &r->checks[r->count++];
	va_list ap;
	c->id = id;
	c->state = s;
	va_start(ap, fmt);
	vsnprintf(c->found, sizeof(c->found), fmt, ap);
	va_end(ap);
	snprintf(c->fix, sizeof(c->fix), "%s", fix != NULL ? fix : "");
	return c;
}

static const json_t *at(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);
	return b != NULL ? json_object_get(v, b) : v;
}

static const char *str_or(const json_t *v, const char *dflt)
{
	return json_is_string(v) ? json_string_value(v) : dflt;
}

static void check_running(const struct qdevice_diag_input *in, struct qdevice_diag_report *r)
{
	if (!in->daemon_answered) {
		add(r, "qdevice-running", QDEVICE_DIAG_FAIL,
		    "systemctl start corosync-qdevice; if it stops again, journalctl -u corosync-qdevice -b says why",
		    "corosync-qdevice does not answer on its local socket (%s)", in->daemon_error);
		return;
	}
	if (in->status == NULL) {
		add(r, "qdevice-running", QDEVICE_DIAG_WARN, "install the corosync-qdevice of this project on every node",
		    "corosync-qdevice answers but has no JSON status (an upstream corosync-qdevice?); the other checks use corosync's configuration only");
		return;
	}
	add(r, "qdevice-running", QDEVICE_DIAG_OK, NULL, "corosync-qdevice answers; its connection to qnetd is %s",
	    str_or(at(in->status, "net", "state"), "unknown"));
}

static const char *reach_text(enum qdevice_diag_reach reach)
{
	switch (reach) {
	case QDEVICE_DIAG_REACH_OK: return "connected";
	case QDEVICE_DIAG_REACH_TIMEOUT: return "no answer (packets dropped, a firewall?)";
	case QDEVICE_DIAG_REACH_REFUSED: return "refused (the host answers, nothing listens on the port)";
	case QDEVICE_DIAG_REACH_UNREACHABLE: return "unreachable (no route, or rejected)";
	case QDEVICE_DIAG_REACH_OTHER: return "failed";
	}
	return "failed";
}

static void check_reachable(const struct qdevice_diag_input *in, struct qdevice_diag_report *r)
{
	if (!in->cmap_read || in->host[0] == '\0') {
		add(r, "qnetd-reachable", QDEVICE_DIAG_SKIP, NULL, "the arbiter's address is unknown (%s)",
		    in->cmap_read ? "quorum.device.net.host is not set" : in->cmap_error);
		return;
	}
	if (!in->resolved) {
		add(r, "qnetd-reachable", QDEVICE_DIAG_FAIL,
		    "correct quorum.device.net.host in /etc/corosync/corosync.conf, or the name in DNS or /etc/hosts",
		    "%s does not resolve: %s", in->host, in->resolve_error);
		return;
	}
	size_t ok = 0;
	enum qdevice_diag_reach worst = QDEVICE_DIAG_REACH_OK;
	char list[QDEVICE_DIAG_TEXT_MAX] = "";
	size_t used = 0;
	for (size_t i = 0; i < in->addr_count; i++) {
		if (in->addrs[i].reach == QDEVICE_DIAG_REACH_OK)
			ok++;
		else if (worst == QDEVICE_DIAG_REACH_OK)
			worst = in->addrs[i].reach;
		int n = snprintf(list + used, sizeof(list) - used, "%s%s:%u %s", i > 0 ? "; " : "", in->addrs[i].text,
				 (unsigned)in->port, reach_text(in->addrs[i].reach));
		if (n > 0 && (size_t)n < sizeof(list) - used)
			used += (size_t)n;
	}
	if (ok == in->addr_count) {
		add(r, "qnetd-reachable", QDEVICE_DIAG_OK, NULL, "%s: %s", in->host, list);
		return;
	}
	const char *fix;
	switch (worst) {
	case QDEVICE_DIAG_REACH_TIMEOUT:
		fix = "allow TCP port 5403 (qnetd is TCP only, not UDP) from this node to the arbiter in every firewall on the way";
		break;
	case QDEVICE_DIAG_REACH_REFUSED:
		fix = "on the arbiter: systemctl status corosync-qnetd, and corosync-qnetd-tool -s for the address it listens on";
		break;
	case QDEVICE_DIAG_REACH_UNREACHABLE:
		fix = "check the route to the arbiter (ip route get <address>) and firewall REJECT rules";
		break;
	default:
		fix = "check the network between this node and the arbiter";
		break;
	}
	add(r, "qnetd-reachable", ok > 0 ? QDEVICE_DIAG_WARN : QDEVICE_DIAG_FAIL, fix, "%s: %s%s", in->host, list,
	    ok > 0 ? " (corosync-qdevice tries the addresses in order: a dead one first costs a connect timeout)" : "");
}

static void check_votes(const struct qdevice_diag_input *in, struct qdevice_diag_report *r)
{
	const json_t *dv = in->status != NULL ? at(in->status, "votequorum", "device_votes") : NULL;
	bool known = json_is_integer(dv);
	long long votes = known ? (long long)json_integer_value(dv) : 0;
	if (!known && in->cmap_read && in->votes_set) {
		known = true;
		votes = in->votes;
	}
	bool lms_default = in->cmap_read && strcmp(in->algorithm, "lms") == 0 && !in->votes_set;
	if (!known && lms_default) {
		known = true;
		votes = in->node_count > 0 ? (long long)in->node_count - 1 : 0;
	}
	if (!known) {
		add(r, "qdevice-votes", QDEVICE_DIAG_SKIP, NULL, "the device's votes are unknown (%s)",
		    in->cmap_read ? "corosync-qdevice has not said" : in->cmap_error);
		return;
	}
	if (votes == 0) {
		if (lms_default)
			add(r, "qdevice-votes", QDEVICE_DIAG_FAIL,
			    "set votes: 1 in the quorum { device { } } section of /etc/corosync/corosync.conf (on every node), then corosync-cfgtool -R",
			    "the quorum device carries 0 votes: with algorithm lms and no quorum.device.votes, corosync gives it nodes - 1 = %u - 1 = 0 votes (pvecm qdevice setup -f on an odd node count does this)",
			    in->node_count);
		else
			add(r, "qdevice-votes", QDEVICE_DIAG_FAIL,
			    "set votes in the quorum { device { } } section of /etc/corosync/corosync.conf (1 for ffsplit, nodes - 1 for lms), then corosync-cfgtool -R",
			    "the quorum device carries 0 votes");
		return;
	}
	add(r, "qdevice-votes", QDEVICE_DIAG_OK, NULL, "the quorum device carries %lld vote%s", votes, votes == 1 ? "" : "s");
}

static void check_algorithm(const struct qdevice_diag_input *in, struct qdevice_diag_report *r)
{
	if (!in->cmap_read || !in->device_configured) {
		add(r, "algorithm-fit", QDEVICE_DIAG_SKIP, NULL, "%s",
		    in->cmap_read ? "no quorum device is configured" : in->cmap_error);
		return;
	}
	const char *algo = in->algorithm[0] != '\0' ? in->algorithm : "ffsplit";
	uint32_t n = in->node_count;
	if (strcmp(algo, "ffsplit") == 0 && n % 2 == 1) {
		add(r, "algorithm-fit", QDEVICE_DIAG_WARN,
		    "for an odd node count use algorithm lms (pvecm qdevice setup -f), or no quorum device: an odd cluster has no 50:50 split to break",
		    "algorithm ffsplit with %u nodes: ffsplit breaks 50:50 splits, which an odd node count does not have", n);
		return;
	}
	if (strcmp(algo, "ffsplit") == 0 && in->votes_set && in->votes != 1) {
		add(r, "algorithm-fit", QDEVICE_DIAG_FAIL, "set votes: 1 in the quorum { device { } } section, then corosync-cfgtool -R",
		    "algorithm ffsplit with quorum.device.votes %u: ffsplit needs exactly 1 (corosync-qdevice refuses to start otherwise)",
		    in->votes);
		return;
	}
	if (strcmp(algo, "lms") == 0 && in->votes_set && n > 0 && in->votes != n - 1) {
		add(r, "algorithm-fit", QDEVICE_DIAG_WARN,
		    "remove votes from the quorum { device { } } section (lms then gives nodes - 1), then corosync-cfgtool -R",
		    "algorithm lms with quorum.device.votes %u on %u nodes: lms expects nodes - 1 = %u, so a last node standing may not be quorate",
		    in->votes, n, n - 1);
		return;
	}
	add(r, "algorithm-fit", QDEVICE_DIAG_OK, NULL,
	    "algorithm %s with %u node%s; note that the arbiter is a single point: while it is down, a split leaves only the halves' own votes",
	    algo, n, n == 1 ? "" : "s");
}

static void check_two_node(const struct qdevice_diag_input *in, struct qdevice_diag_report *r)
{
	if (!in->cmap_read) {
		add(r, "two-node", QDEVICE_DIAG_SKIP, NULL, "%s", in->cmap_error);
		return;
	}
	if (in->two_node && in->device_configured) {
		add(r, "two-node", QDEVICE_DIAG_FAIL,
		    "remove two_node: 1 from the quorum section of /etc/corosync/corosync.conf on every node (the device breaks the tie instead), then corosync-cfgtool -R",
		    "quorum.two_node is 1 together with a quorum device: votequorum does not use both");
		return;
	}
	add(r, "two-node", QDEVICE_DIAG_OK, NULL, "quorum.two_node is %s", in->two_node ? "1 (no quorum device)" : "not set");
}

static void check_vote_cast(const struct qdevice_diag_input *in, struct qdevice_diag_report *r)
{
	if (in->status == NULL) {
		add(r, "vote-cast", QDEVICE_DIAG_SKIP, NULL, "corosync-qdevice's status is not available");
		return;
	}
	const char *state = str_or(at(in->status, "net", "state"), "");
	if (strcmp(state, "connected") != 0) {
		add(r, "vote-cast", QDEVICE_DIAG_SKIP, NULL, "not connected to qnetd (%s)", state);
		return;
	}
	if (json_is_true(json_object_get(in->status, "casting_vote"))) {
		add(r, "vote-cast", QDEVICE_DIAG_OK, NULL, "this node casts the quorum device's vote");
		return;
	}
	char others[160] = "";
	size_t used = 0, i;
	const json_t *node;
	json_array_foreach(at(in->status, "votequorum", "quorum_nodes"), i, node) {
		if (strcmp(str_or(json_object_get(node, "state"), ""), "member") == 0)
			continue;
		int n = snprintf(others + used, sizeof(others) - used, "%s%lld", used > 0 ? ", " : "",
				 (long long)json_integer_value(json_object_get(node, "node_id")));
		if (n > 0 && (size_t)n < sizeof(others) - used)
			used += (size_t)n;
	}
	add(r, "vote-cast", QDEVICE_DIAG_WARN,
	    "on the arbiter, corosync-qnetd-tool -l shows which partition holds the vote; heal the split, or check heuristics if they fail here",
	    "connected, but qnetd's vote for this node is %s: another partition has the device's vote%s%s",
	    str_or(at(in->status, "net", "vote"), "?"), used > 0 ? "; nodes outside this partition: " : "", others);
}

void qdevice_diagnose(const struct qdevice_diag_input *in, struct qdevice_diag_report *out)
{
	out->count = 0;
	check_running(in, out);
	check_reachable(in, out);
	check_votes(in, out);
	check_algorithm(in, out);
	check_two_node(in, out);
	check_vote_cast(in, out);
}

int qdevice_diag_exit_status(const struct qdevice_diag_report *r)
{
	int rc = 0;
	for (size_t i = 0; i < r->count; i++) {
		if (r->checks[i].state == QDEVICE_DIAG_FAIL)
			rc = 2;
		else if (r->checks[i].state == QDEVICE_DIAG_WARN && rc < 1)
			rc = 1;
	}
	return rc;
}

const char *qdevice_diag_state_str(enum qdevice_diag_state s)
{
	switch (s) {
	case QDEVICE_DIAG_OK: return "OK";
	case QDEVICE_DIAG_WARN: return "WARN";
	case QDEVICE_DIAG_FAIL: return "FAIL";
	case QDEVICE_DIAG_SKIP: return "SKIP";
	}
	return "SKIP";
}

void qdevice_diag_format(const struct qdevice_diag_report *r, struct strbuf *out)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct qdevice_diag_result *c = &r->checks[i];
		strbuf_printf(out, "%s %s: %s\n", qdevice_diag_state_str(c->state), c->id, c->found);
		if ((c->state == QDEVICE_DIAG_WARN || c->state == QDEVICE_DIAG_FAIL) && c->fix[0] != '\0')
			strbuf_printf(out, "    fix: %s\n", c->fix);
	}
}

json_t *qdevice_diag_json(const struct qdevice_diag_report *r)
{
	static const char *const ids[] = {"ok", "warn", "fail", "skip"};
	json_t *checks = json_array();
	for (size_t i = 0; checks != NULL && i < r->count; i++) {
		const struct qdevice_diag_result *c = &r->checks[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:s?}", "id", c->id, "state", ids[c->state], "found", c->found,
				      "fix", c->fix[0] != '\0' ? c->fix : NULL);
		if (o == NULL || json_array_append_new(checks, o) != 0) {
			json_decref(checks);
			return NULL;
		}
	}
	if (checks == NULL)
		return NULL;
	return json_pack("{s:i, s:s, s:o, s:i}", "schema", 1, "program", "corosync-qdevice-tool -D", "checks", checks,
			 "exit_status", qdevice_diag_exit_status(r));
}

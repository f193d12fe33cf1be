/* corosync-qdevice-tool's status text against upstream's outputs (tests/data/golden) byte for byte, and every conditional line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "qdevice_ipc.h"
#include "qdevice_report.h"
#include "qdevice_status_json.h"
#include "testdata.h"

#define GOLDEN QD_TEST_DATA_DIR "/golden/"

/* Times in the examples are local times; the tests run in UTC so the epoch values are fixed. */
static time_t utc(int year, int mon, int day, int hour, int min, int sec)
{
	struct tm tm = {0};
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	tm.tm_isdst = 0;
	time_t t = mktime(&tm);
	assert_true(t != (time_t)-1);
	return t;
}

static int setup_tz(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static const struct qdevice_config_node one_node[] = {{1, 0}};
static const uint32_t one_member[] = {1};
static const struct qdevice_status_quorum_node one_quorum[] = {{1, PROTO_NODE_STATE_MEMBER}};

/* The single-node test cluster of golden/qdevice-status*.txt: ffsplit, TLS, heuristics off, connected. */
static void example_single(struct qdevice_status *s)
{
	qdevice_status_init(s);
	s->node_id = 1;
	s->timeout = 10000;
	s->sync_timeout = 30000;
	s->config_version_set = true;
	s->config_version = 3;
	s->config_nodes = one_node;
	s->config_node_count = 1;
	s->heuristics_mode = QDEVICE_HEURISTICS_MODE_OFF;
	s->ring_id.node_id = 1;
	s->ring_id.seq = 5;
	s->members = one_member;
	s->member_count = 1;
	s->quorate = true;
	s->quorum_nodes = one_quorum;
	s->quorum_node_count = 1;
	s->expected_votes = 2;
	s->last_poll_set = true;
	s->last_poll_time = utc(2026, 11, 22, 2, 4, 8);
	s->last_poll_cast = true;

	s->cluster_name = "testcluster";
	s->host = "127.0.0.1";
	s->port = 5403;
	s->force_ip_version = 0;
	s->connect_timeout = 8000;
	s->heartbeat_interval = 8000;
	s->cast_vote_timer_interval = 5000;
	s->tls = PROTO_TLS_SUPPORTED;
	s->algorithm = PROTO_ALGO_FFSPLIT;
	s->tie_breaker.mode = PROTO_TIE_BREAKER_LOWEST;
	s->kap_tie_breaker = true;
	s->server_supports_kap = true;
	s->poll_timer_running = true;
	s->vote = PROTO_VOTE_ACK;
	s->state = QDEVICE_NET_LINK_CONNECTED;
	s->tls_active = true;
	s->client_cert_sent = true;
	s->connected_since_set = true;
	s->connected_since = utc(2026, 11, 22, 2, 4, 3);
	s->echo_reply_set = true;
	s->echo_reply_time = utc(2026, 11, 22, 2, 4, 11);
}

static const struct qdevice_config_node pve_nodes[] = {{1, 0}, {2, 0}};
static const uint32_t pve_members[] = {1, 2};
static const struct qdevice_status_quorum_node pve_quorum[] = {{1, PROTO_NODE_STATE_MEMBER},
							       {2, PROTO_NODE_STATE_MEMBER}};

/* Node 2 of a 2-node Proxmox cluster (golden/qdevice-status-verbose-pve.txt), heuristics on. */
static void example_pve(struct qdevice_status *s)
{
	example_single(s);
	s->node_id = 2;
	s->config_version = 6;
	s->config_nodes = pve_nodes;
	s->config_node_count = 2;
	s->heuristics_mode = QDEVICE_HEURISTICS_MODE_ON;
	s->ring_id.seq = 0x2c;
	s->members = pve_members;
	s->member_count = 2;
	s->quorum_nodes = pve_quorum;
	s->quorum_node_count = 2;
	s->expected_votes = 3;
	s->last_poll_time = utc(2026, 3, 10, 12, 0, 5);
	s->cluster_name = "pve";
	s->host = "192.0.2.50";
	s->heuristics_result = QDEVICE_HEURISTICS_RESULT_PASS;
	s->heuristics_regular = QDEVICE_HEURISTICS_RESULT_PASS;
	s->heuristics_membership = QDEVICE_HEURISTICS_RESULT_PASS;
	s->heuristics_connect = QDEVICE_HEURISTICS_RESULT_PASS;
	s->connected_since = utc(2026, 3, 10, 11, 58, 41);
	s->echo_reply_time = utc(2026, 3, 10, 12, 0, 1);
}

static char *render(const struct qdevice_status *s, bool verbose)
{
	struct strbuf out;
	strbuf_init(&out, 1 << 20);
	qdevice_report_status(&out, s, verbose);
	assert_false(out.failed);
	assert_non_null(out.data);
	return out.data;
}

static void assert_golden(const struct qdevice_status *s, bool verbose, const char *file)
{
	size_t len;
	char *golden = testdata_read_file(file, &len);
	assert_non_null(golden);
	char *got = render(s, verbose);
	if (strlen(got) != len || memcmp(got, golden, len) != 0)
		fail_msg("report differs from %s:\n---- got ----\n%s---- expected ----\n%s", file, got, golden);
	free(got);
	free(golden);
}

static void assert_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p != NULL && *p != '\0';) {
		const char *eol = strchr(p, '\n');
		size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		if (len == n && memcmp(p, line, n) == 0)
			return;
		p = eol != NULL ? eol + 1 : NULL;
	}
	fail_msg("line \"%s\" missing from:\n%s", line, text);
}

static void assert_no_line_starting(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *p = text; p != NULL && *p != '\0';) {
		if (strncmp(p, prefix, n) == 0)
			fail_msg("unexpected line starting \"%s\" in:\n%s", prefix, text);
		const char *eol = strchr(p, '\n');
		p = eol != NULL ? eol + 1 : NULL;
	}
}

/* ---- The golden files (tests/data/golden), byte for byte. ---- */

static void test_golden_single(void **state)
{
	(void)state;
	struct qdevice_status s;
	example_single(&s);
	assert_golden(&s, false, GOLDEN "qdevice-status.txt");
	assert_golden(&s, true, GOLDEN "qdevice-status-verbose.txt");
}

static void test_golden_pve(void **state)
{
	(void)state;
	struct qdevice_status s;
	example_pve(&s);
	assert_golden(&s, true, GOLDEN "qdevice-status-verbose-pve.txt");
}

/*
 * qnetd down (golden/qdevice-status-verbose-connect-failed.txt): polling NACK, Connect failed, no TLS
 * or time lines, never polled.
 */
static void test_golden_connect_failed(void **state)
{
	(void)state;
	struct qdevice_status s;
	example_single(&s);
	s.last_poll_set = false;
	s.vote = PROTO_VOTE_NACK;
	s.state = QDEVICE_NET_LINK_CONNECT_FAILED;
	assert_golden(&s, true, GOLDEN "qdevice-status-verbose-connect-failed.txt");
}

/* ---- Conditional lines. ---- */

static void test_force_ip_version(void **state)
{
	(void)state;
	struct qdevice_status s;
	example_single(&s);
	s.force_ip_version = 6;
	char *t = render(&s, true);
	assert_non_null(strstr(t, "QNetd host:\t\t127.0.0.1:5403\nForce IP version:\t6\nConnect timeout:\t8000ms\n"));
	free(t);
	t = render(&s, false);
	assert_no_line_starting(t, "Force IP version:");
	free(t);
	s.force_ip_version = 4;
	t = render(&s, true);
	assert_has_line(t, "Force IP version:\t4");
	free(t);
	s.force_ip_version = 0;
	t = render(&s, true);
	assert_no_line_starting(t, "Force IP version:");
	free(t);
}

static void test_heuristics_lines(void **state)
{
	(void)state;
	struct qdevice_status s;
	example_single(&s);

	/* Off: no result line at all, even verbose. */
	char *t = render(&s, true);
	assert_has_line(t, "Heuristics:\t\tDisabled");
	assert_no_line_starting(t, "Heuristics result:");
	free(t);

	s.heuristics_mode = QDEVICE_HEURISTICS_MODE_SYNC;
	s.heuristics_result = QDEVICE_HEURISTICS_RESULT_FAIL;
	s.heuristics_regular = QDEVICE_HEURISTICS_RESULT_DISABLED;
	s.heuristics_membership = QDEVICE_HEURISTICS_RESULT_FAIL;
	s.heuristics_connect = QDEVICE_HEURISTICS_RESULT_PENDING;
	t = render(&s, false);
	assert_non_null(strstr(t, "State:\t\t\tConnected\nHeuristics result:\tFail\n"));
	assert_no_line_starting(t, "Heuristics:");
	free(t);
	t = render(&s, true);
	assert_has_line(t, "Heuristics:\t\tEnabled only on sync");
	assert_has_line(t, "Heuristics result:\tFail (regular: Undefined, membership: Fail, connect: Undefined)");
	free(t);

	s.heuristics_mode = QDEVICE_HEURISTICS_MODE_ON;
	s.heuristics_result = QDEVICE_HEURISTICS_RESULT_PENDING;
	t = render(&s, false);
	assert_has_line(t, "Heuristics result:\tUndefined");
	free(t);
}

static const char *kap_line(struct qdevice_status *s)
{
	static char line[128];
	char *t = render(s, true);
	const char *p = strstr(t, "KAP Tie-breaker:\t");
	assert_non_null(p);
	p += strlen("KAP Tie-breaker:\t");
	size_t n = strcspn(p, "\n");
	assert_true(n < sizeof(line));
	memcpy(line, p, n);
	line[n] = '\0';
	free(t);
	return line;
}

static void test_kap_variants(void **state)
{
	(void)state;
	struct qdevice_status s;
	example_single(&s);

	s.algorithm = PROTO_ALGO_TEST;
	assert_string_equal(kap_line(&s), "Unsupported by algorithm");
	s.algorithm = PROTO_ALGO_LMS;
	assert_string_equal(kap_line(&s), "Algorithm hard-coded");
	s.algorithm = PROTO_ALGO_2NODELMS;
	s.kap_tie_breaker = false;
	assert_string_equal(kap_line(&s), "Algorithm hard-coded");
	s.algorithm = PROTO_ALGO_FFSPLIT;
	assert_string_equal(kap_line(&s), "Disabled");
	s.kap_tie_breaker = true;
	assert_string_equal(kap_line(&s), "Enabled");
	s.server_supports_kap = false;
	assert_string_equal(kap_line(&s), "Unsupported by QNetd");
	/* What the server supports is known only while connected. */
	s.state = QDEVICE_NET_LINK_CONNECTING;
	assert_string_equal(kap_line(&s), "Enabled");
	s.state = QDEVICE_NET_LINK_DISCONNECTED;
	assert_string_equal(kap_line(&s), "Enabled");

	char *t = render(&s, false);
	assert_no_line_starting(t, "KAP Tie-breaker:");
	free(t);
}

static void test_last_poll(void **state)
{
	(void)state;
	struct qdevice_status s;
	example_single(&s);
	s.last_poll_set = false;
	char *t = render(&s, true);
	assert_has_line(t, "Last poll call:\t\tNever");
	free(t);
	s.last_poll_set = true;
	s.last_poll_cast = false;
	s.last_poll_time = utc(2027, 1, 2, 3, 4, 5);
	t = render(&s, true);
	assert_has_line(t, "Last poll call:\t\t2027-01-02T03:04:05");
	free(t);
	t = render(&s, false);
	assert_no_line_starting(t, "Last poll call:");
	free(t);
}

static void test_states_and_connection_lines(void **state)
{
	(void)state;
	static const struct {
		enum qdevice_net_link state;
		const char *line;
	} states[] = {
		{QDEVICE_NET_LINK_DISCONNECTED, "State:\t\t\tDisconnected"},
		{QDEVICE_NET_LINK_CONNECTING, "State:\t\t\tConnecting"},
		{QDEVICE_NET_LINK_CONNECT_FAILED, "State:\t\t\tConnect failed"},
	};
	struct qdevice_status s;
	example_single(&s);
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		s.state = states[i].state;
		char *t = render(&s, true);
		assert_has_line(t, states[i].line);
		assert_no_line_starting(t, "TLS active:");
		assert_no_line_starting(t, "Connected since:");
		assert_no_line_starting(t, "Echo reply received:");
		free(t);
	}

	s.state = QDEVICE_NET_LINK_CONNECTED;
	s.client_cert_sent = false;
	char *t = render(&s, true);
	assert_has_line(t, "TLS active:\t\tYes");
	free(t);
	s.tls_active = false;
	s.client_cert_sent = true;      /* meaningless without TLS */
	s.connected_since_set = false;
	s.echo_reply_set = false;
	t = render(&s, true);
	assert_has_line(t, "TLS active:\t\tNo");
	assert_no_line_starting(t, "Connected since:");
	assert_no_line_starting(t, "Echo reply received:");
	/* Nothing follows the last line. */
	size_t len = strlen(t);
	assert_true(len > 0 && t[len - 1] == '\n' && t[len - 2] != '\n');
	free(t);
	t = render(&s, false);
	assert_no_line_starting(t, "TLS active:");
	free(t);
}

static void test_poll_timer(void **state)
{
	(void)state;
	struct qdevice_status s;
	example_single(&s);
	s.vote = PROTO_VOTE_NACK;
	char *t = render(&s, true);
	assert_has_line(t, "Poll timer running:\tYes");
	free(t);
	s.poll_timer_running = false;
	s.vote = PROTO_VOTE_ACK;
	t = render(&s, true);
	assert_has_line(t, "Poll timer running:\tNo");
	free(t);
}

static const struct qdevice_config_node dc_nodes[] = {{1, 0}, {7, 3}, {4294967295u, 4294967295u}};
static const uint32_t big_members[] = {7, 1, 4294967295u};
static const struct qdevice_status_quorum_node gap_quorum[] = {
	{1, PROTO_NODE_STATE_MEMBER}, {0, PROTO_NODE_STATE_MEMBER}, {7, PROTO_NODE_STATE_DEAD},
	{0, PROTO_NODE_STATE_NOT_SET}, {9, PROTO_NODE_STATE_LEAVING},
};

static void test_lists(void **state)
{
	(void)state;
	struct qdevice_status s;
	example_single(&s);
	s.config_nodes = dc_nodes;
	s.config_node_count = 3;
	s.members = big_members;
	s.member_count = 3;
	s.quorum_nodes = gap_quorum;
	s.quorum_node_count = 5;
	char *t = render(&s, true);
	assert_non_null(strstr(t, "Configured node list:\n"
				  "    0\tNode ID = 1\n"
				  "    1\tNode ID = 7, Data center ID = 3\n"
				  "    2\tNode ID = 4294967295, Data center ID = 4294967295\n"
				  "Heuristics:"));
	assert_has_line(t, "Membership node list:\t7, 1, 4294967295");
	/* Entries with node id 0 are skipped but keep their index. */
	assert_non_null(strstr(t, "Quorum node list:\n"
				  "    0\tNode ID = 1, State = member\n"
				  "    2\tNode ID = 7, State = dead\n"
				  "    4\tNode ID = 9, State = leaving\n"
				  "Expected votes:"));
	free(t);

	s.config_node_count = 0;
	s.member_count = 0;
	s.quorum_node_count = 0;
	t = render(&s, true);
	assert_non_null(strstr(t, "Configured node list:\nHeuristics:"));
	assert_has_line(t, "Membership node list:\t");
	assert_non_null(strstr(t, "Quorum node list:\nExpected votes:"));
	free(t);
}

static void test_scalars(void **state)
{
	(void)state;
	struct qdevice_status s;
	example_single(&s);
	s.config_version_set = false;
	s.ring_id.node_id = 0xabcdef01u;
	s.ring_id.seq = UINT64_C(0x1234567890abcdef);
	s.quorate = false;
	s.host = "2001:db8::1";
	s.port = 65535;
	s.tls = PROTO_TLS_REQUIRED;
	s.tie_breaker.mode = PROTO_TIE_BREAKER_HIGHEST;
	char *t = render(&s, true);
	assert_no_line_starting(t, "Configuration version:");
	assert_has_line(t, "Ring ID:\t\tabcdef01.1234567890abcdef");
	assert_has_line(t, "Quorate:\t\tNo");
	assert_has_line(t, "QNetd host:\t\t2001:db8::1:65535");
	assert_has_line(t, "TLS:\t\t\tRequired");
	assert_has_line(t, "Tie-breaker:\t\tNode with highest node ID");
	free(t);

	s.config_version_set = true;
	s.config_version = UINT64_MAX;
	s.tls = PROTO_TLS_UNSUPPORTED;
	s.tie_breaker.mode = PROTO_TIE_BREAKER_NODE_ID;
	s.tie_breaker.node_id = 42;
	s.algorithm = PROTO_ALGO_2NODELMS;
	t = render(&s, false);
	assert_has_line(t, "Configuration version:\t18446744073709551615");
	assert_has_line(t, "Tie-breaker:\t\tNode with node ID 42");
	assert_has_line(t, "Algorithm:\t\t2 Node LMS");
	assert_no_line_starting(t, "TLS:");
	free(t);
	s.algorithm = PROTO_ALGO_LMS;
	t = render(&s, false);
	assert_has_line(t, "Algorithm:\t\tLMS");
	free(t);
	s.algorithm = PROTO_ALGO_TEST;
	t = render(&s, false);
	assert_has_line(t, "Algorithm:\t\tTest");
	free(t);
}

/* Local time is what the daemon's host shows. */
static void test_local_time(void **state)
{
	(void)state;
	struct qdevice_status s;
	example_single(&s);
	setenv("TZ", "CET-1", 1);
	tzset();
	char *t = render(&s, true);
	setenv("TZ", "UTC", 1);
	tzset();
	assert_has_line(t, "Last poll call:\t\t2026-11-22T03:04:08 (cast vote)");
	assert_has_line(t, "Connected since:\t2026-11-22T03:04:03");
	free(t);
}

static void test_limit(void **state)
{
	(void)state;
	struct qdevice_status s;
	example_single(&s);
	struct strbuf out;
	strbuf_init(&out, 100);
	qdevice_report_status(&out, &s, true);
	assert_true(out.failed);
	strbuf_free(&out);
}

static json_t *field(json_t *o, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *tok = strtok(buf, "."); tok != NULL && o != NULL; tok = strtok(NULL, "."))
		o = json_is_array(o) ? json_array_get(o, (size_t)atoi(tok)) : json_object_get(o, tok);
	assert_non_null(o);
	return o;
}

static void test_json_status(void **state)
{
	(void)state;
	struct qdevice_status s;
	struct qdevice_net_counters counters = {.connect_attempts = 3, .connects = 2, .nack_replies_waited = 4,
						.nack_replies_unapplied = 1};
	counters.connect_failures[QDEVICE_NET_REASON_CANT_CONNECT_TO_THE_SERVER] = 1;
	counters.disconnects[QDEVICE_NET_REASON_SERVER_CLOSED_CONNECTION] = 1;
	example_pve(&s);
	s.version = "0.1.0";
	s.started_unix_ms = (int64_t)utc(2026, 11, 22, 2, 0, 0) * 1000;
	s.now_unix_ms = (int64_t)utc(2026, 11, 22, 2, 4, 12) * 1000 + 345;
	s.device_votes_set = true;
	s.device_votes = 1;
	s.counters = &counters;
	const struct qdevice_heuristics_exec_outcome outcomes[] = {
		{.seq = 4, .state = QDEVICE_HEURISTICS_PROC_EXITED, .exit_status = 0, .duration_ms = 12, .name = "ping"},
		{.seq = 4, .state = QDEVICE_HEURISTICS_PROC_RUNNING, .duration_ms = 5000, .name = "slow"},
	};
	s.heuristics_outcomes = outcomes;
	s.heuristics_outcome_count = 2;
	json_t *j = qdevice_status_json(&s);
	assert_non_null(j);
	assert_string_equal(json_string_value(field(j, "heuristics.commands.0.name")), "ping");
	assert_string_equal(json_string_value(field(j, "heuristics.commands.0.result")), "pass");
	assert_int_equal(json_integer_value(field(j, "heuristics.commands.0.exit_status")), 0);
	assert_string_equal(json_string_value(field(j, "heuristics.commands.1.result")), "unfinished");
	assert_true(json_is_null(field(j, "heuristics.commands.1.exit_status")));
	assert_int_equal(json_integer_value(field(j, "heuristics.commands.1.duration_ms")), 5000);
	assert_int_equal(json_integer_value(field(j, "schema")), 1);
	assert_string_equal(json_string_value(field(j, "program")), "corosync-qdevice");
	assert_string_equal(json_string_value(field(j, "time")), "2026-11-22T02:04:12.345Z");
	assert_string_equal(json_string_value(field(j, "started")), "2026-11-22T02:00:00.000Z");
	assert_int_equal(json_integer_value(field(j, "node_id")), 2);
	assert_string_equal(json_string_value(field(j, "cluster_name")), "pve");
	assert_int_equal(json_integer_value(field(j, "config.timeout_ms")), 10000);
	assert_int_equal(json_integer_value(field(j, "config.config_version")), 6);
	assert_int_equal(json_integer_value(field(j, "config.nodes.1.node_id")), 2);
	assert_true(json_is_null(field(j, "config.nodes.1.data_center_id")));
	assert_int_equal(json_integer_value(field(j, "votequorum.ring_id.seq")), 0x2c);
	assert_int_equal(json_array_size(field(j, "votequorum.membership")), 2);
	assert_string_equal(json_string_value(field(j, "votequorum.quorum_nodes.1.state")), "member");
	assert_int_equal(json_integer_value(field(j, "votequorum.expected_votes")), 3);
	assert_int_equal(json_integer_value(field(j, "votequorum.device_votes")), 1);
	assert_string_equal(json_string_value(field(j, "votequorum.last_poll")), "2026-03-10T12:00:05.000Z");
	assert_true(json_is_true(field(j, "casting_vote")));
	assert_string_equal(json_string_value(field(j, "heuristics.mode")), "on");
	assert_string_equal(json_string_value(field(j, "net.state")), "connected");
	assert_string_equal(json_string_value(field(j, "net.tls")), "on");
	assert_string_equal(json_string_value(field(j, "net.algorithm")), "ffsplit");
	assert_string_equal(json_string_value(field(j, "net.tie_breaker.mode")), "lowest");
	assert_true(json_is_null(field(j, "net.force_ip_version")));
	assert_string_equal(json_string_value(field(j, "net.vote")), "ack");
	assert_string_equal(json_string_value(field(j, "net.connected_since")), "2026-03-10T11:58:41.000Z");
	assert_int_equal(json_integer_value(field(j, "counters.connect_attempts")), 3);
	assert_int_equal(json_integer_value(field(j, "counters.connect_failures.cant_connect_to_the_server")), 1);
	assert_int_equal(json_integer_value(field(j, "counters.disconnects.server_closed_connection")), 1);
	assert_int_equal(json_object_size(field(j, "counters.disconnects")), 1);
	assert_int_equal(json_integer_value(field(j, "counters.nack_replies_waited")), 4);
	assert_int_equal(json_integer_value(field(j, "counters.nack_replies_unapplied")), 1);
	json_decref(j);

	/* Not connected, never polled, votes unknown: nulls, no casting. */
	qdevice_status_init(&s);
	s.state = QDEVICE_NET_LINK_CONNECT_FAILED;
	j = qdevice_status_json(&s);
	assert_non_null(j);
	assert_string_equal(json_string_value(field(j, "net.state")), "connect_failed");
	assert_true(json_is_null(field(j, "votequorum.device_votes")));
	assert_true(json_is_null(field(j, "votequorum.last_poll")));
	assert_true(json_is_null(field(j, "net.connected_since")));
	assert_true(json_is_false(field(j, "casting_vote")));
	assert_int_equal(json_object_size(field(j, "counters")), 0);
	json_decref(j);
}

static void test_status_line(void **state)
{
	(void)state;
	struct qdevice_status s;
	char line[200];
	qdevice_status_init(&s);
	s.host = "192.0.2.10";
	s.port = 5403;
	s.state = QDEVICE_NET_LINK_CONNECT_FAILED;
	qdevice_report_status_line(&s, line, sizeof(line));
	assert_string_equal(line, "Not connected to qnetd 192.0.2.10:5403 (Connect failed)");

	s.state = QDEVICE_NET_LINK_CONNECTED;
	s.vote = PROTO_VOTE_ACK;
	s.last_poll_set = true;
	s.last_poll_cast = true;
	s.device_votes_set = true;
	s.device_votes = 1;
	qdevice_report_status_line(&s, line, sizeof(line));
	assert_string_equal(line, "Connected to qnetd 192.0.2.10:5403, vote ACK, this node casts the device's vote (1 vote)");

	s.vote = PROTO_VOTE_NACK;
	s.last_poll_cast = false;
	qdevice_report_status_line(&s, line, sizeof(line));
	assert_string_equal(line, "Connected to qnetd 192.0.2.10:5403, vote NACK, this node does not cast the device's vote");

	/* Cut, never overrun. */
	qdevice_report_status_line(&s, line, 12);
	assert_string_equal(line, "Connected t");
}

static int fill_pve(void *ctx, struct qdevice_status *st)
{
	(void)ctx;
	example_pve(st);
	return 0;
}

static void test_json_command(void **state)
{
	(void)state;
	struct strbuf out;
	bool shutdown;
	strbuf_init(&out, 1 << 16);
	qdevice_ipc_run_command("json\n", 5, fill_pve, NULL, &out, &shutdown);
	assert_false(shutdown);
	assert_int_equal(strncmp(out.data, "OK\n{\"schema\":1,\"program\":\"corosync-qdevice\"", 43), 0);
	assert_int_equal(out.data[out.len - 1], '\n');
	strbuf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_single),
		cmocka_unit_test(test_golden_pve),
		cmocka_unit_test(test_golden_connect_failed),
		cmocka_unit_test(test_force_ip_version),
		cmocka_unit_test(test_heuristics_lines),
		cmocka_unit_test(test_kap_variants),
		cmocka_unit_test(test_last_poll),
		cmocka_unit_test(test_states_and_connection_lines),
		cmocka_unit_test(test_poll_timer),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_local_time),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_json_status),
		cmocka_unit_test(test_json_command),
		cmocka_unit_test(test_status_line),
	};
	return cmocka_run_group_tests(tests, setup_tz, NULL);
}

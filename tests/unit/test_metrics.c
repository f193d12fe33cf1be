/* Unit tests of the Prometheus expositions written from the JSON status (qnetd/qnetd_metrics, qdevice/qdevice_metrics, common/prom). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "prom.h"
#include "qdevice_metrics.h"
#include "qnetd_metrics.h"

static json_t *load(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);
	if (j == NULL)
		fail_msg("test JSON: %s at line %d", err.text, err.line);
	return j;
}

/* The line, whole, is in the text. */
static bool has_line(const struct strbuf *sb, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = sb->data; p != NULL && (p = strstr(p, line)) != NULL; p++)
		if ((p == sb->data || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

#define assert_line(sb, l) \
	do { \
		if (!has_line((sb), (l))) \
			fail_msg("no line '%s' in:\n%s", (l), (sb)->data); \
	} while (0)

/*
 * The format's rules this code could break: every family announced by exactly one HELP and one TYPE
 * before its samples, no sample of an unannounced family, no series twice.
 */
static void assert_well_formed(const struct strbuf *sb)
{
	char *copy = strdup(sb->data);
	char *families[512], *series[4096];
	size_t nf = 0, ns = 0;
	assert_non_null(copy);
	assert_true(sb->len > 0 && sb->data[sb->len - 1] == '\n');
	for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			char name[128];
			assert_int_equal(sscanf(line + 7, "%127s", name), 1);
			for (size_t i = 0; i < nf; i++)
				if (strcmp(families[i], name) == 0)
					fail_msg("family %s announced twice", name);
			assert_true(nf < 512);
			families[nf++] = strdup(name);
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_true(nf > 0 && strncmp(line + 7, families[nf - 1], strlen(families[nf - 1])) == 0);
			continue;
		}
		assert_true(line[0] != '#');
		size_t name_len = strcspn(line, "{ ");
		bool known = false;
		for (size_t i = 0; i < nf; i++) {
			size_t fl = strlen(families[i]);
			if (strncmp(line, families[i], fl) == 0 &&
			    (name_len == fl || (line[fl] == '_' && (strncmp(line + fl, "_bucket", name_len - fl) == 0 ||
							    strncmp(line + fl, "_sum", name_len - fl) == 0 ||
							    strncmp(line + fl, "_count", name_len - fl) == 0))))
				known = true;
		}
		if (!known)
			fail_msg("sample of an unannounced family: %s", line);
		char *space = strrchr(line, ' ');
		assert_non_null(space);
		char *end;
		strtod(space + 1, &end);
		if (*end != '\0')
			fail_msg("value is not a number: %s", line);
		*space = '\0';
		for (size_t i = 0; i < ns; i++)
			if (strcmp(series[i], line) == 0)
				fail_msg("series twice: %s", line);
		assert_true(ns < 4096);
		series[ns++] = strdup(line);
	}
	for (size_t i = 0; i < nf; i++)
		free(families[i]);
	for (size_t i = 0; i < ns; i++)
		free(series[i]);
	free(copy);
}

static void test_prom_escaping_and_ms(void **state)
{
	(void)state;
	struct strbuf sb;
	char buf[32];
	strbuf_init(&sb, 4096);
	struct prom_label l[] = {{"cluster", "a\"b\\c\nd"}, {"x", NULL}};
	prom_sample_int(&sb, "m", l, 2, -3);
	assert_string_equal(sb.data, "m{cluster=\"a\\\"b\\\\c\\nd\",x=\"\"} -3\n");
	assert_string_equal(prom_ms_text(0, buf), "0.000");
	assert_string_equal(prom_ms_text(1250, buf), "1.250");
	assert_string_equal(prom_ms_text(-1, buf), "-0.001");
	assert_string_equal(prom_ms_text(INT64_MIN, buf), "-9223372036854775.808");
	strbuf_free(&sb);
}

static const char *const qnetd_status =
	"{\"schema\":1,\"program\":\"corosync-qnetd\",\"version\":\"0.1.0\",\"time\":\"2026-12-06T16:00:00.000Z\","
	"\"started\":\"2026-12-06T15:00:00.250Z\",\"listen\":{\"address\":null,\"port\":5403,\"family\":\"any\"},"
	"\"tls\":\"on\",\"client_cert_required\":true,\"max_clients\":0,"
	"\"server_certificate\":{\"nickname\":\"QNetd Cert\",\"not_before\":\"2026-01-01T00:00:00.000Z\","
	"\"not_after\":\"2126-01-01T00:00:00.000Z\"},"
	"\"client_cert_rejections\":{\"total\":3,\"last_hour\":1,\"last\":null,\"by_reason\":{\"missing\":0,"
	"\"untrusted_issuer\":2,\"not_yet_valid\":0,\"expired\":1,\"cluster_name_mismatch\":0,\"other\":0}},"
	"\"totals\":{\"connections_accepted\":9,\"connections_closed\":6,\"connections_closed_by_reason\":{\"other\":0,"
	"\"peer_closed\":4,\"io_error\":0,\"tls_error\":2,\"cert_rejected\":0,\"dead_peer\":0,\"init_timeout\":0,"
	"\"protocol_error\":0,\"overload\":0,\"shutdown\":0},\"clients_joined\":5,\"vote_holds\":3,"
	"\"decision_duration\":{\"count\":4,\"sum_ms\":1302,\"buckets\":[{\"le_ms\":1,\"count\":2},{\"le_ms\":250,"
	"\"count\":3},{\"le_ms\":10000,\"count\":4},{\"le_ms\":null,\"count\":4}]}},"
	"\"counts\":{\"connections\":3,\"clients\":3,\"clusters\":2,\"plaintext_clients\":0},"
	"\"clusters\":["
	"{\"name\":\"pve \\\"lab\\\"\",\"algorithm\":\"ffsplit\",\"tie_breaker\":{\"mode\":\"lowest\"},\"kap_tie_breaker\":true,"
	"\"configured_nodes\":[1,2],\"missing_nodes\":[],\"acked_partitions\":1,\"client_count\":2,\"clients\":["
	"{\"node_id\":1,\"address\":\"::ffff:192.0.2.1:40000\",\"tls_active\":true,\"client_cert_verified\":true,"
	"\"last_ack_nack_vote\":\"ack\",\"connected_since\":\"2026-12-06T15:10:00.000Z\"},"
	"{\"node_id\":2,\"address\":\"::ffff:192.0.2.2:40000\",\"tls_active\":true,\"client_cert_verified\":true,"
	"\"last_ack_nack_vote\":\"nack\",\"connected_since\":\"2026-12-06T15:10:01.000Z\"}]},"
	"{\"name\":\"b\\ufffd\",\"name_hex\":\"62ff\",\"algorithm\":\"lms\",\"tie_breaker\":{\"mode\":\"node\",\"node_id\":3},"
	"\"kap_tie_breaker\":false,\"configured_nodes\":[1,2,3],\"missing_nodes\":[2,3],\"acked_partitions\":2,\"client_count\":1,"
	"\"vote_holds\":[{\"node_id\":2,\"ends_in_ms\":900}],\"clients\":["
	"{\"node_id\":1,\"address\":\"192.0.2.9:1\",\"tls_active\":false,\"client_cert_verified\":false,"
	"\"last_ack_nack_vote\":null,\"connected_since\":null}]}]}";

static void test_qnetd_metrics(void **state)
{
	(void)state;
	json_t *st = load(qnetd_status);
	struct strbuf sb;
	strbuf_init(&sb, 1 << 20);
	assert_int_equal(qnetd_metrics_write(st, false, &sb), 0);
	assert_false(sb.failed);
	assert_well_formed(&sb);
	assert_line(&sb, "# TYPE corosync_qnetd_clients gauge");
	assert_line(&sb, "corosync_qnetd_clients 3");
	assert_line(&sb, "corosync_qnetd_clusters 2");
	assert_line(&sb, "corosync_qnetd_plaintext_clients 0");
	assert_line(&sb, "corosync_qnetd_start_time_seconds 1796569200.250");
	assert_line(&sb, "# TYPE corosync_qnetd_connections_accepted_total counter");
	assert_line(&sb, "corosync_qnetd_connections_accepted_total 9");
	assert_line(&sb, "corosync_qnetd_connections_closed_total{reason=\"tls_error\"} 2");
	assert_line(&sb, "corosync_qnetd_connections_closed_total{reason=\"shutdown\"} 0");
	assert_line(&sb, "corosync_qnetd_client_cert_rejections_total{reason=\"untrusted_issuer\"} 2");
	assert_line(&sb, "corosync_qnetd_server_certificate_not_after_timestamp_seconds 4922899200.000");
	assert_line(&sb, "# TYPE corosync_qnetd_decision_duration_seconds histogram");
	assert_line(&sb, "corosync_qnetd_decision_duration_seconds_bucket{le=\"0.001\"} 2");
	assert_line(&sb, "corosync_qnetd_decision_duration_seconds_bucket{le=\"0.250\"} 3");
	assert_line(&sb, "corosync_qnetd_decision_duration_seconds_bucket{le=\"+Inf\"} 4");
	assert_line(&sb, "corosync_qnetd_decision_duration_seconds_sum 1.302");
	assert_line(&sb, "corosync_qnetd_decision_duration_seconds_count 4");
	/* Names with quotes are escaped; names that are not UTF-8 are labelled by their bytes. */
	assert_line(&sb, "corosync_qnetd_cluster_info{cluster=\"pve \\\"lab\\\"\",algorithm=\"ffsplit\",tie_breaker=\"lowest\",kap_tie_breaker=\"true\"} 1");
	assert_line(&sb, "corosync_qnetd_cluster_info{cluster=\"hex:62ff\",algorithm=\"lms\",tie_breaker=\"node 3\",kap_tie_breaker=\"false\"} 1");
	assert_line(&sb, "corosync_qnetd_cluster_missing_nodes{cluster=\"hex:62ff\"} 2");
	assert_line(&sb, "corosync_qnetd_cluster_acked_partitions{cluster=\"hex:62ff\"} 2");
	assert_line(&sb, "corosync_qnetd_cluster_clients{cluster=\"pve \\\"lab\\\"\"} 2");
	assert_line(&sb, "corosync_qnetd_cluster_configured_nodes{cluster=\"hex:62ff\"} 3");
	assert_line(&sb, "corosync_qnetd_cluster_vote_holds{cluster=\"hex:62ff\"} 1");
	assert_line(&sb, "corosync_qnetd_cluster_vote_holds{cluster=\"pve \\\"lab\\\"\"} 0");
	assert_line(&sb, "# TYPE corosync_qnetd_vote_holds_total counter");
	assert_line(&sb, "corosync_qnetd_vote_holds_total 3");
	assert_null(strstr(sb.data, "corosync_qnetd_client_info"));
	assert_null(strstr(sb.data, "corosync_qnetd_client_vote"));

	/* Per-client series only when asked for. */
	sb.len = 0;
	assert_int_equal(qnetd_metrics_write(st, true, &sb), 0);
	assert_well_formed(&sb);
	assert_line(&sb, "corosync_qnetd_client_vote{cluster=\"pve \\\"lab\\\"\",node_id=\"2\",vote=\"nack\"} 1");
	assert_line(&sb, "corosync_qnetd_client_vote{cluster=\"pve \\\"lab\\\"\",node_id=\"2\",vote=\"ack\"} 0");
	assert_line(&sb, "corosync_qnetd_client_vote{cluster=\"hex:62ff\",node_id=\"1\",vote=\"ack\"} 0");
	assert_line(&sb, "corosync_qnetd_client_info{cluster=\"hex:62ff\",node_id=\"1\",address=\"192.0.2.9:1\",tls=\"false\",client_cert_verified=\"false\"} 1");
	assert_line(&sb, "corosync_qnetd_client_connected_since_timestamp_seconds{cluster=\"pve \\\"lab\\\"\",node_id=\"1\"} 1796569800.000");
	assert_null(strstr(sb.data, "connected_since_timestamp_seconds{cluster=\"hex:62ff\""));
	json_decref(st);

	/* Not a status: nothing written. */
	sb.len = 0;
	sb.data[0] = '\0';
	st = load("{\"schema\":2,\"counts\":{},\"clusters\":[],\"totals\":{},\"client_cert_rejections\":{}}");
	assert_int_equal(qnetd_metrics_write(st, true, &sb), -1);
	assert_int_equal(sb.len, 0);
	json_decref(st);
	strbuf_free(&sb);
}

static const char *const qdevice_status =
	"{\"schema\":1,\"program\":\"corosync-qdevice\",\"version\":\"0.1.0\",\"time\":\"2026-12-06T16:00:00.000Z\","
	"\"started\":\"2026-12-06T15:00:00.000Z\",\"model\":\"net\",\"node_id\":2,\"cluster_name\":\"pve\","
	"\"votequorum\":{\"quorate\":true,\"expected_votes\":3,\"device_votes\":1},\"casting_vote\":false,"
	"\"heuristics\":{\"mode\":\"on\",\"result\":\"fail\",\"commands\":[{\"name\":\"ping\",\"result\":\"pass\","
	"\"exit_status\":0,\"duration_ms\":40},{\"name\":\"disk\",\"result\":\"fail\",\"exit_status\":2,\"duration_ms\":1500}]},"
	"\"net\":{\"host\":\"192.0.2.10\",\"port\":5403,\"tls\":\"on\",\"algorithm\":\"ffsplit\",\"state\":\"connected\","
	"\"vote\":\"nack\",\"echo_rtt_ms\":12,\"connected_since\":\"2026-12-06T15:30:00.000Z\"},"
	"\"counters\":{\"connect_attempts\":5,\"connects\":2,\"connect_failures\":{\"cant_connect_to_the_server\":3},"
	"\"disconnects\":{\"server_closed_connection\":1},\"nack_replies_waited\":7,\"nack_replies_unapplied\":2}}";

static void test_qdevice_metrics(void **state)
{
	(void)state;
	json_t *st = load(qdevice_status);
	struct strbuf sb;
	strbuf_init(&sb, 1 << 20);
	assert_int_equal(qdevice_metrics_write(st, &sb), 0);
	assert_well_formed(&sb);
	assert_line(&sb, "corosync_qdevice_info{version=\"0.1.0\",cluster=\"pve\",node_id=\"2\",model=\"net\",host=\"192.0.2.10\",port=\"5403\",algorithm=\"ffsplit\",tls=\"on\"} 1");
	assert_line(&sb, "corosync_qdevice_connected 1");
	assert_line(&sb, "corosync_qdevice_votes 1");
	assert_line(&sb, "corosync_qdevice_casting_vote 0");
	assert_line(&sb, "corosync_qdevice_vote{vote=\"nack\"} 1");
	assert_line(&sb, "corosync_qdevice_vote{vote=\"ack\"} 0");
	assert_line(&sb, "corosync_qdevice_heuristics_result{result=\"fail\"} 1");
	assert_line(&sb, "corosync_qdevice_heuristics_result{result=\"pass\"} 0");
	assert_line(&sb, "corosync_qdevice_echo_rtt_seconds 0.012");
	assert_line(&sb, "corosync_qdevice_connect_attempts_total{result=\"connected\"} 2");
	assert_line(&sb, "corosync_qdevice_connect_attempts_total{result=\"failed\"} 3");
	assert_line(&sb, "corosync_qdevice_connect_failures_total{reason=\"cant_connect_to_the_server\"} 3");
	assert_line(&sb, "corosync_qdevice_disconnects_total{reason=\"server_closed_connection\"} 1");
	assert_line(&sb, "corosync_qdevice_nack_replies_waited_total 7");
	assert_line(&sb, "corosync_qdevice_nack_replies_unapplied_total 2");
	assert_line(&sb, "corosync_qdevice_quorate 1");
	assert_line(&sb, "corosync_qdevice_expected_votes 3");
	assert_line(&sb, "corosync_qdevice_heuristics_command_passed{command=\"ping\"} 1");
	assert_line(&sb, "corosync_qdevice_heuristics_command_passed{command=\"disk\"} 0");
	assert_line(&sb, "corosync_qdevice_heuristics_command_duration_seconds{command=\"disk\"} 1.500");
	json_decref(st);

	/* Before votequorum said anything and before the first echo: those series are left out. */
	sb.len = 0;
	st = load("{\"schema\":1,\"votequorum\":{\"device_votes\":null},\"heuristics\":{\"result\":\"disabled\"},"
		  "\"net\":{\"state\":\"connecting\",\"vote\":\"ask_later\",\"echo_rtt_ms\":null},\"counters\":{}}");
	assert_int_equal(qdevice_metrics_write(st, &sb), 0);
	assert_well_formed(&sb);
	assert_line(&sb, "corosync_qdevice_connected 0");
	assert_null(strstr(sb.data, "corosync_qdevice_votes "));
	assert_null(strstr(sb.data, "echo_rtt"));
	assert_null(strstr(sb.data, "nack_replies"));
	assert_line(&sb, "corosync_qdevice_connect_attempts_total{result=\"failed\"} 0");
	json_decref(st);
	st = load("{\"schema\":1}");
	assert_int_equal(qdevice_metrics_write(st, &sb), -1);
	json_decref(st);
	strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prom_escaping_and_ms),
		cmocka_unit_test(test_qnetd_metrics),
		cmocka_unit_test(test_qdevice_metrics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of the tools' -C verdicts (common/health.h, qnetd/qnetd_health.h, qdevice/qdevice_health.h) on recorded JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "health.h"
#include "qdevice_health.h"
#include "qnetd_health.h"

/* A healthy arbiter: one cluster of two TLS clients, certificate valid for 99 more years. */
static const char qnetd_healthy[] =
	"{\"schema\":1,\"program\":\"corosync-qnetd\",\"time\":\"2026-12-06T15:33:00.000Z\","
	"\"counts\":{\"connections\":2,\"clients\":2,\"clusters\":1,\"plaintext_clients\":0},"
	"\"server_certificate\":{\"nickname\":\"QNetd Cert\",\"not_before\":\"2026-01-01T00:00:00.000Z\","
	"\"not_after\":\"2125-12-31T00:00:00.000Z\"},"
	"\"client_cert_rejections\":{\"total\":0,\"last_hour\":0,\"last\":null,\"by_reason\":{\"missing\":0}},"
	"\"clusters\":[{\"name\":\"pve\",\"configured_nodes\":[1,2],\"missing_nodes\":[],\"acked_partitions\":1}]}";

static char *verdict(const char *json, enum health_state *state)
{
	json_error_t err;
	json_t *j = json_loads(json, 0, &err);
	if (j == NULL)
		fail_msg("bad test JSON: %s at %d", err.text, err.position);
	struct health_report r;
	struct strbuf out;
	health_report_init(&r);
	qnetd_health_evaluate(j, &r);
	strbuf_init(&out, 4096);
	health_format(&r, "QNETD", &out);
	*state = r.state;
	health_report_free(&r);
	json_decref(j);
	return out.data;
}

/* The healthy object with one text replaced. */
static char *edit(const char *from, const char *to)
{
	const char *at = strstr(qnetd_healthy, from);
	assert_non_null(at);
	size_t n = strlen(qnetd_healthy) - strlen(from) + strlen(to) + 1;
	char *s = malloc(n);
	snprintf(s, n, "%.*s%s%s", (int)(at - qnetd_healthy), qnetd_healthy, to, at + strlen(from));
	return s;
}

static void test_qnetd_healthy(void **state)
{
	(void)state;
	enum health_state st;
	char *line = verdict(qnetd_healthy, &st);
	assert_int_equal(st, HEALTH_OK);
	assert_string_equal(line, "QNETD OK: 1 cluster, 2 clients | clusters=1 clients=2 plaintext_clients=0 "
				  "missing_nodes=0 split_clusters=0 cert_rejections_last_hour=0\n");
	free(line);
}

static void test_qnetd_findings(void **state)
{
	(void)state;
	static const struct {
		const char *from, *to;
		enum health_state want;
		const char *text;
	} cases[] = {
		{"\"acked_partitions\":1", "\"acked_partitions\":2", HEALTH_CRITICAL,
		 "QNETD CRITICAL: cluster \"pve\": 2 partitions hold an ACK |"},
		{"\"missing_nodes\":[]", "\"missing_nodes\":[2,7]", HEALTH_WARNING,
		 "QNETD WARNING: cluster \"pve\": nodes 2, 7 not connected |"},
		{"\"plaintext_clients\":0", "\"plaintext_clients\":1", HEALTH_WARNING, "QNETD WARNING: 1 client without TLS |"},
		{"\"last_hour\":0,\"last\":null,\"by_reason\":{\"missing\":0}",
		 "\"last_hour\":3,\"last\":null,\"by_reason\":{\"missing\":1,\"untrusted_issuer\":2}", HEALTH_WARNING,
		 "QNETD WARNING: 3 client certificates refused in the last hour (most often: untrusted_issuer) |"},
		{"2125-12-31", "2026-12-20", HEALTH_WARNING,
		 "QNETD WARNING: server certificate expires on 2026-12-20T00:00:00.000Z |"},
		{"2125-12-31", "2026-12-01", HEALTH_CRITICAL,
		 "QNETD CRITICAL: server certificate expired on 2026-12-01T00:00:00.000Z |"},
		{"2026-01-01", "2027-01-01", HEALTH_CRITICAL,
		 "QNETD CRITICAL: server certificate not valid before 2027-01-01T00:00:00.000Z (clock?) |"},
		{"\"schema\":1", "\"schema\":2", HEALTH_UNKNOWN, "QNETD UNKNOWN: status not understood (schema 2)\n"},
		/* A control character in a name cannot break the line. */
		{"\"name\":\"pve\",", "\"name\":\"p\\nve\",", HEALTH_OK, "QNETD OK: 1 cluster, 2 clients |"},
		{"\"name\":\"pve\",\"configured_nodes\":[1,2],\"missing_nodes\":[]",
		 "\"name\":\"p\\nve\",\"configured_nodes\":[1,2],\"missing_nodes\":[2]", HEALTH_WARNING,
		 "QNETD WARNING: cluster \"p\\x0ave\": node 2 not connected |"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum health_state st;
		char *json = edit(cases[i].from, cases[i].to);
		char *line = verdict(json, &st);
		print_message("%s", line);
		assert_int_equal(st, cases[i].want);
		assert_int_equal(strncmp(line, cases[i].text, strlen(cases[i].text)), 0);
		/* Exactly one line. */
		assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
		free(line);
		free(json);
	}
}

/* Several problems: the worst state, every problem named. */
static void test_qnetd_combined(void **state)
{
	(void)state;
	enum health_state st;
	char *a = edit("\"missing_nodes\":[]", "\"missing_nodes\":[3]");
	const char *at = strstr(a, "\"acked_partitions\":1");
	assert_non_null(at);
	a[at - a + 19] = '2';
	char *line = verdict(a, &st);
	assert_int_equal(st, HEALTH_CRITICAL);
	assert_non_null(strstr(line, "2 partitions hold an ACK"));
	assert_non_null(strstr(line, "node 3 not connected"));
	assert_null(strstr(line, "1 cluster, 2 clients"));
	free(line);
	free(a);
}

static const char qdevice_healthy[] =
	"{\"schema\":1,\"program\":\"corosync-qdevice\",\"casting_vote\":true,"
	"\"votequorum\":{\"quorate\":true,\"device_votes\":1},"
	"\"net\":{\"host\":\"192.0.2.10\",\"port\":5403,\"state\":\"connected\"}}";

static char *qdevice_verdict(const char *from, const char *to, enum health_state *state)
{
	char json[1024];
	const char *at = from != NULL ? strstr(qdevice_healthy, from) : NULL;
	if (from != NULL)
		assert_non_null(at);
	if (at == NULL)
		snprintf(json, sizeof(json), "%s", qdevice_healthy);
	else
		snprintf(json, sizeof(json), "%.*s%s%s", (int)(at - qdevice_healthy), qdevice_healthy, to, at + strlen(from));
	json_error_t err;
	json_t *j = json_loads(json, 0, &err);
	assert_non_null(j);
	struct health_report r;
	struct strbuf out;
	health_report_init(&r);
	qdevice_health_evaluate(j, &r);
	strbuf_init(&out, 4096);
	health_format(&r, "QDEVICE", &out);
	*state = r.state;
	health_report_free(&r);
	json_decref(j);
	return out.data;
}

static void test_qdevice(void **state)
{
	(void)state;
	static const struct {
		const char *from, *to;
		enum health_state want;
		const char *text;
	} cases[] = {
		{NULL, NULL, HEALTH_OK,
		 "QDEVICE OK: connected to 192.0.2.10:5403, casting the vote (1 vote) | connected=1 casting_vote=1 device_votes=1\n"},
		{"\"state\":\"connected\"", "\"state\":\"connect_failed\"", HEALTH_CRITICAL,
		 "QDEVICE CRITICAL: not connected to qnetd 192.0.2.10:5403 (connect_failed) |"},
		{"\"casting_vote\":true", "\"casting_vote\":false", HEALTH_WARNING,
		 "QDEVICE WARNING: connected to 192.0.2.10:5403, but this node does not cast the vote"},
		{"\"device_votes\":1", "\"device_votes\":0", HEALTH_CRITICAL, "QDEVICE CRITICAL: the device has 0 votes"},
		{"\"device_votes\":1", "\"device_votes\":null", HEALTH_OK,
		 "QDEVICE OK: connected to 192.0.2.10:5403, casting the vote |"},
		{"\"schema\":1", "\"schema\":7", HEALTH_UNKNOWN, "QDEVICE UNKNOWN: status not understood (schema 7)\n"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum health_state st;
		char *line = qdevice_verdict(cases[i].from, cases[i].to, &st);
		print_message("%s", line);
		assert_int_equal(st, cases[i].want);
		assert_int_equal(strncmp(line, cases[i].text, strlen(cases[i].text)), 0);
		free(line);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qnetd_healthy),
		cmocka_unit_test(test_qnetd_findings),
		cmocka_unit_test(test_qnetd_combined),
		cmocka_unit_test(test_qdevice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

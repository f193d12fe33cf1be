/*
 * libFuzzer target over what reads status and worker lines: arbitrary bytes as JSON through both
 * health verdicts, both metrics writers and both diagnoses, as a heuristics worker line through the
 * outcome and result parsers, as a metrics_listen value, and as /proc/net/tcp text for qnetd's
 * listener facts. No crash, no leak; a written exposition ends in a newline, a verdict is one of
 * the four states, a diagnosis has all its checks and a JSON form.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diag.h"
#include "health.h"
#include "qdevice_diagnose.h"
#include "qdevice_health.h"
#include "qdevice_heuristics_worker.h"
#include "qdevice_metrics.h"
#include "qnetd_diagnose.h"
#include "qnetd_health.h"
#include "qnetd_metrics.h"
#include "qnetd_settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

static void views(const json_t *status)
{
	struct strbuf out;
	strbuf_init(&out, 1 << 22);
	if (qnetd_metrics_write(status, true, &out) == 0 && !out.failed && out.len > 0)
		CHECK(out.data[out.len - 1] == '\n');
	out.len = 0;
	if (qdevice_metrics_write(status, &out) == 0 && !out.failed && out.len > 0)
		CHECK(out.data[out.len - 1] == '\n');
	strbuf_free(&out);

	struct health_report r;
	struct strbuf line;
	health_report_init(&r);
	qnetd_health_evaluate(status, &r);
	CHECK(r.state <= HEALTH_UNKNOWN);
	strbuf_init(&line, 8192);
	health_format(&r, "QNETD", &line);
	health_report_free(&r);
	health_report_init(&r);
	qdevice_health_evaluate(status, &r);
	CHECK(r.state <= HEALTH_UNKNOWN);
	health_format(&r, "QDEVICE", &line);
	health_report_free(&r);
	strbuf_free(&line);

	/* The diagnosis over the same status, with corosync's configuration both read and not. */
	struct qdevice_diag_input in;
	struct qdevice_diag_report report;
	memset(&in, 0, sizeof(in));
	in.daemon_answered = true;
	in.status = status;
	for (int cmap = 0; cmap < 2; cmap++) {
		in.cmap_read = cmap == 1;
		in.device_configured = true;
		snprintf(in.algorithm, sizeof(in.algorithm), "lms");
		in.node_count = 1;
		qdevice_diagnose(&in, &report);
		CHECK(report.count == QDEVICE_DIAG_CHECKS);
		struct strbuf text;
		strbuf_init(&text, 1 << 16);
		qdevice_diag_format(&report, &text);
		strbuf_free(&text);
		json_decref(qdevice_diag_json(&report));
	}
}

/* The arbiter's diagnosis over the status, with the database read and not, and its two forms. */
static void qnetd_diagnosis(const json_t *status, const char *text, size_t len)
{
	static struct qnetd_diag_input in;
	struct diag_report report;
	memset(&in, 0, sizeof(in));
	in.daemon_answered = true;
	in.status = status;
	in.now_ms = 1796572800000LL;
	in.user.known = true;
	in.user.uid = 103;
	in.nssdb.exists = true;
	in.nssdb.mode = 040750;
	in.nssdb_files[QNETD_DIAG_CERT9_DB].exists = true;
	in.nssdb_files[QNETD_DIAG_KEY4_DB].exists = true;
	in.server_cert.found = true;
	in.ca.found = true;
	in.clock_read = true;
	in.listeners_read = true;
	/* The same bytes as both tables, every port and qnetd's. */
	qnetd_diag_parse_proc_net_tcp(text, len, AF_INET, 0, &in);
	qnetd_diag_parse_proc_net_tcp(text, len, AF_INET6, 5403, &in);
	CHECK(in.listener_count <= QNETD_DIAG_MAX_LISTENERS);
	for (int nss = 0; nss < 2; nss++) {
		in.nss_read = nss == 1;
		qnetd_diagnose(&in, &report);
		CHECK(report.count == QNETD_DIAG_CHECKS);
		CHECK(diag_exit_status(&report) <= 2);
		struct strbuf out;
		strbuf_init(&out, 1 << 16);
		diag_format(&report, &out);
		strbuf_free(&out);
		/* Every text is UTF-8 and fits: the JSON form is always written (NULL only without memory). */
		json_t *j = diag_json(&report, "corosync-qnetd-tool -D");
		CHECK(j != NULL);
		json_decref(j);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t err;
	json_t *status = json_loadb((const char *)data, size, JSON_ALLOW_NUL, &err);
	if (status != NULL)
		views(status);

	char *text = malloc(size + 1);
	if (text == NULL) {
		json_decref(status);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	qnetd_diagnosis(status, text, size);
	json_decref(status);
	struct qdevice_heuristics_exec_outcome o;
	if (qdevice_heuristics_parse_outcome_line(text, &o) == 0) {
		CHECK(strlen(o.name) < sizeof(o.name));
		CHECK(o.exit_status >= 0 && o.exit_status <= 255);
		/* What parses formats back to a line that parses the same. */
		char line[QDEVICE_HEURISTICS_EXEC_NAME_MAX + 64];
		struct qdevice_heuristics_exec_outcome back;
		int n = qdevice_heuristics_format_outcome_line(line, sizeof(line), &o);
		CHECK(n > 0);
		line[n - 1] = '\0';
		CHECK(qdevice_heuristics_parse_outcome_line(line, &back) == 0);
		CHECK(back.state == o.state && back.duration_ms == o.duration_ms && strcmp(back.name, o.name) == 0);
	}
	uint32_t seq;
	enum qdevice_heuristics_result result;
	if (qdevice_heuristics_parse_result_line(text, &seq, &result) == 0)
		CHECK(result <= QDEVICE_HEURISTICS_RESULT_FAIL);
	char addr[46];
	uint16_t port;
	if (qnetd_settings_parse_listen(text, addr, &port) == 0)
		CHECK(port > 0 && strlen(addr) < sizeof(addr));
	free(text);
	return 0;
}

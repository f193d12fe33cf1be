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
#include "qdevice_preflight.h"
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

/* Probe and certificate facts drawn from the input's bytes, so the TLS checks see every combination. */
static void fuzz_probe_facts(struct qdevice_diag_input *in, const uint8_t *data, size_t size)
{
	static const char *const modes[] = {"", "on", "off", "required", "bogus"};
	uint8_t b[8] = {0};
	memcpy(b, data, size < sizeof(b) ? size : sizeof(b));
	snprintf(in->tls, sizeof(in->tls), "%s", modes[b[0] % 5]);
	snprintf(in->cluster_name, sizeof(in->cluster_name), "%s", b[1] & 1 ? "qdi" : "other");
	in->resolved = b[1] & 2;
	in->addr_count = b[2] % (QDEVICE_DIAG_MAX_ADDRS + 1);
	in->addrs_not_tried = b[2] >> 7;
	in->now = (int64_t)b[3] * 100000000;
	for (size_t i = 0; i < in->addr_count; i++) {
		struct qdevice_diag_addr *a = &in->addrs[i];
		uint8_t f = b[4 + i % 4] ^ (uint8_t)i;
		a->reach = (enum qdevice_diag_reach)(f % 5);
		a->probe.preinit_reply = f & 8;
		a->probe.server_tls = (uint8_t)((f >> 4) % 3);
		a->probe.server_wants_client_cert = f & 64;
		a->probe.handshake_ok = f & 128;
		a->probe.client_cert_sent = f & 32;
		a->probe.client_cert_refused = f & 16;
		a->probe.server_verify = (enum qdevice_diag_verify)(f % 6);
		a->probe.server_cert.present = f & 4;
		a->probe.server_cert.not_before = (int64_t)(f & 0x0f) * 200000000;
		a->probe.server_cert.not_after = (int64_t)(f >> 4) * 400000000;
		snprintf(a->probe.server_cert.sha256, sizeof(a->probe.server_cert.sha256), "%02x", f & 3);
	}
	in->db.opened = b[5] & 1;
	in->db.unreadable = b[5] & 2;
	in->db.cert.present = b[5] & 4;
	in->db.key_found = b[5] & 8;
	snprintf(in->db.cert.common_name, sizeof(in->db.cert.common_name), "%s", b[5] & 16 ? "qdi" : "x");
	in->db.cert.not_after = (int64_t)b[6] * 100000000;
	in->db.ca_count = b[7] % 5;
	for (size_t i = 0; i < in->db.ca_count; i++) {
		in->db.cas[i].present = true;
		in->db.cas[i].not_after = (int64_t)(b[7] >> 3) * 100000000;
	}
}

static void views(const json_t *status, const uint8_t *data, size_t size)
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
	struct diag_report report;
	memset(&in, 0, sizeof(in));
	fuzz_probe_facts(&in, data, size);
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
		diag_format(&report, &text);
		strbuf_free(&text);
		json_decref(diag_json(&report, "corosync-qdevice-tool -D"));
	}
}

/* -P's checks over hosts whose ssh errors and script output are the input's bytes (they come from other machines). */
static void preflight_view(const uint8_t *data, size_t size)
{
	static struct qdevice_preflight_input in;
	struct diag_report report;
	memset(&in, 0, sizeof(in));
	in.cmap_read = size > 0 && (data[0] & 1);
	in.device_configured = size > 0 && (data[0] & 2);
	in.node_count = size > 1 ? data[1] % (QDEVICE_PREFLIGHT_MAX_NODES + 1) : 0;
	struct qdevice_preflight_host *hosts[QDEVICE_PREFLIGHT_MAX_NODES + 1];
	hosts[0] = &in.arbiter_host;
	for (size_t i = 0; i < in.node_count; i++) {
		hosts[i + 1] = &in.nodes[i].host;
		in.nodes[i].online = (data[1] >> (i % 8)) & 1;
		in.nodes[i].host.local = i == 0;
	}
	size_t off = 2;
	for (size_t i = 0; i <= in.node_count; i++) {
		struct qdevice_preflight_host *h = hosts[i];
		size_t len = size > off ? size - off : 0;
		size_t out_len = len < sizeof(h->output) - 1 ? len : sizeof(h->output) - 1;
		memcpy(h->output, data + (size > off ? off : 0), out_len);
		size_t err_len = len < sizeof(h->error) - 1 ? len : sizeof(h->error) - 1;
		memcpy(h->error, data + (size > off ? off : 0), err_len);
		h->ran = true;
		h->exit_status = size > off ? data[off] : 0;
		h->timed_out = size > off && (data[off] & 0x80);
		off += 7;
	}
	qdevice_preflight(&in, &report);
	CHECK(report.count == 8);
	struct strbuf text;
	strbuf_init(&text, 1 << 16);
	diag_format(&report, &text);
	strbuf_free(&text);
	json_decref(diag_json(&report, "corosync-qdevice-tool -P"));
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
	preflight_view(data, size);
	json_error_t err;
	json_t *status = json_loadb((const char *)data, size, JSON_ALLOW_NUL, &err);
	if (status != NULL)
		views(status, data, size);

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

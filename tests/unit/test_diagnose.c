/* Unit tests of corosync-qdevice-tool -D's checks (qdevice/qdevice_diagnose) on recorded facts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "proto.h"
#include "qdevice_diagnose.h"

/* A healthy node of a 2-node ffsplit cluster, connected and casting the vote. */
static const char *const healthy_status =
	"{\"schema\":1,\"votequorum\":{\"device_votes\":1,\"quorum_nodes\":[{\"node_id\":1,\"state\":\"member\"},"
	"{\"node_id\":2,\"state\":\"member\"}]},\"casting_vote\":true,\"net\":{\"state\":\"connected\",\"vote\":\"ack\"}}";

static json_t *status_json;

/* 2026-12-06 12:00 UTC; the certificates run from 2026-01-01 for a century. */
#define NOW INT64_C(1796558400)
#define MADE INT64_C(1767225600)
#define CENTURY (INT64_C(100) * 365 * 86400)

static void cert(struct qdevice_diag_cert *c, const char *subject, const char *issuer, const char *cn, const char *sha)
{
	memset(c, 0, sizeof(*c));
	c->present = true;
	strcpy(c->subject, subject);
	strcpy(c->issuer, issuer);
	strcpy(c->common_name, cn);
	c->not_before = MADE;
	c->not_after = MADE + CENTURY;
	strcpy(c->sha256, sha);
}

static void healthy(struct qdevice_diag_input *in, const char *status)
{
	memset(in, 0, sizeof(*in));
	json_decref(status_json);
	status_json = json_loads(status, 0, NULL);
	assert_non_null(status_json);
	in->daemon_answered = true;
	in->status = status_json;
	in->cmap_read = true;
	in->device_configured = true;
	strcpy(in->algorithm, "ffsplit");
	strcpy(in->host, "qnetd.example");
	in->port = 5403;
	in->node_count = 2;
	in->votes_set = true;
	in->votes = 1;
	in->resolved = true;
	in->addr_count = 1;
	strcpy(in->addrs[0].text, "192.0.2.10");
	in->addrs[0].reach = QDEVICE_DIAG_REACH_OK;
	strcpy(in->cluster_name, "qdi");
	in->now = NOW;
	/* What the probe found: TLS with a client certificate, a server certificate from our CA. */
	struct qdevice_diag_probe *p = &in->addrs[0].probe;
	p->preinit_reply = true;
	p->server_tls = PROTO_TLS_SUPPORTED;
	p->server_wants_client_cert = true;
	p->tls_tried = true;
	p->handshake_ok = true;
	p->client_cert_sent = true;
	cert(&p->server_cert, "CN=Qnetd Server", "CN=QNet CA", "Qnetd Server", "aa");
	p->server_verify = QDEVICE_DIAG_VERIFY_OK;
	in->db.opened = true;
	cert(&in->db.cert, "CN=qdi", "CN=QNet CA", "qdi", "bb");
	in->db.key_found = true;
	in->db.ca_count = 1;
	cert(&in->db.cas[0], "CN=QNet CA", "CN=QNet CA", "QNet CA", "cc");
}

static const struct diag_check *find(const struct diag_report *r, const char *id)
{
	for (size_t i = 0; i < r->count; i++)
		if (strcmp(r->checks[i].id, id) == 0)
			return &r->checks[i];
	fail_msg("no check %s", id);
	return NULL;
}

/* Exactly the named check has the given state; every other check is OK or SKIP. */
static const struct diag_check *only(const struct diag_report *r, const char *id,
					      enum diag_state s)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct diag_check *c = &r->checks[i];
		if (strcmp(c->id, id) == 0)
			assert_int_equal(c->state, s);
		else if (c->state == DIAG_WARN || c->state == DIAG_FAIL)
			fail_msg("check %s is %s too: %s", c->id, diag_state_str(c->state), c->found);
	}
	return find(r, id);
}

static void test_healthy(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct diag_report r;
	healthy(&in, healthy_status);
	qdevice_diagnose(&in, &r);
	assert_int_equal(r.count, QDEVICE_DIAG_CHECKS);
	for (size_t i = 0; i < r.count; i++)
		assert_int_equal(r.checks[i].state, DIAG_OK);
	assert_int_equal(diag_exit_status(&r), 0);
	/* The ids are the interface, in their documented order. */
	static const char *const ids[] = {"qdevice-running", "qnetd-reachable", "tls-mode", "server-ca", "node-cert",
					  "cert-validity", "qdevice-votes", "algorithm-fit", "two-node", "vote-cast"};
	for (size_t i = 0; i < r.count; i++)
		assert_string_equal(r.checks[i].id, ids[i]);
}

static void test_daemon_down(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct diag_report r;
	healthy(&in, healthy_status);
	in.daemon_answered = false;
	in.status = NULL;
	strcpy(in.daemon_error, "/var/run/corosync-qdevice/corosync-qdevice.sock: No such file or directory");
	qdevice_diagnose(&in, &r);
	const struct diag_check *c = only(&r, "qdevice-running", DIAG_FAIL);
	assert_non_null(strstr(c->fix, "systemctl start corosync-qdevice"));
	assert_null(strstr(c->found, "journal"));
	/* Why it stopped, when the journal has it. */
	strcpy(in.daemon_last_error, "Incompatible tls configuration (server 2 client 0)");
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "qdevice-running", DIAG_FAIL)->found,
			       "(/var/run/corosync-qdevice/corosync-qdevice.sock: No such file or directory); its last error in the journal: "
			       "\"Incompatible tls configuration (server 2 client 0)\""));
	assert_int_equal(find(&r, "vote-cast")->state, DIAG_SKIP);
	/* Without the daemon, the votes come from corosync's configuration. */
	assert_int_equal(find(&r, "qdevice-votes")->state, DIAG_OK);
	assert_int_equal(diag_exit_status(&r), 2);
}

static void test_reachability(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct diag_report r;
	healthy(&in, healthy_status);
	in.addrs[0].reach = qdevice_diag_reach_from_errno(ETIMEDOUT);
	qdevice_diagnose(&in, &r);
	const struct diag_check *c = only(&r, "qnetd-reachable", DIAG_FAIL);
	assert_non_null(strstr(c->found, "dropped"));
	assert_non_null(strstr(c->fix, "TCP port 5403"));
	assert_non_null(strstr(c->fix, "not UDP"));

	in.addrs[0].reach = qdevice_diag_reach_from_errno(ECONNREFUSED);
	qdevice_diagnose(&in, &r);
	c = only(&r, "qnetd-reachable", DIAG_FAIL);
	assert_non_null(strstr(c->found, "nothing listens"));
	assert_non_null(strstr(c->fix, "systemctl status corosync-qnetd"));

	in.addrs[0].reach = qdevice_diag_reach_from_errno(EHOSTUNREACH);
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "qnetd-reachable", DIAG_FAIL)->found, "unreachable"));

	/* One address of two answers: a warning, naming both. */
	in.addr_count = 2;
	strcpy(in.addrs[1].text, "[2001:db8::10]");
	in.addrs[0].reach = QDEVICE_DIAG_REACH_OK;
	in.addrs[1].reach = QDEVICE_DIAG_REACH_TIMEOUT;
	qdevice_diagnose(&in, &r);
	c = only(&r, "qnetd-reachable", DIAG_WARN);
	assert_non_null(strstr(c->found, "192.0.2.10:5403 answers as a qnetd"));
	assert_non_null(strstr(c->found, "[2001:db8::10]:5403 no answer"));

	in.resolved = false;
	strcpy(in.resolve_error, "Name or service not known");
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "qnetd-reachable", DIAG_FAIL)->found, "does not resolve"));
}

/* The single-node cluster a guide set up with pvecm qdevice setup --force: lms, no votes, N - 1 = 0. */
static void test_lms_zero_votes(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct diag_report r;
	healthy(&in, "{\"schema\":1,\"votequorum\":{\"device_votes\":0},\"casting_vote\":true,"
		     "\"net\":{\"state\":\"connected\",\"vote\":\"ack\"}}");
	strcpy(in.algorithm, "lms");
	in.node_count = 1;
	in.votes_set = false;
	qdevice_diagnose(&in, &r);
	const struct diag_check *c = only(&r, "qdevice-votes", DIAG_FAIL);
	assert_non_null(strstr(c->found, "nodes - 1 = 1 - 1 = 0"));
	assert_non_null(strstr(c->fix, "votes: 1"));
	/* The same from corosync's configuration alone, daemon down. */
	in.daemon_answered = false;
	in.status = NULL;
	qdevice_diagnose(&in, &r);
	assert_int_equal(find(&r, "qdevice-votes")->state, DIAG_FAIL);
	/* The fix applied: votes 1 on the single node is what lms wants there, not nodes - 1. */
	in.votes_set = true;
	in.votes = 1;
	qdevice_diagnose(&in, &r);
	assert_int_equal(find(&r, "qdevice-votes")->state, DIAG_OK);
	assert_int_equal(find(&r, "algorithm-fit")->state, DIAG_OK);
	in.votes = 2;
	qdevice_diagnose(&in, &r);
	assert_int_equal(find(&r, "algorithm-fit")->state, DIAG_WARN);
	assert_non_null(strstr(find(&r, "algorithm-fit")->found, "lms expects 1 on a single node = 1"));
}

static void test_algorithm_fit(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct diag_report r;
	healthy(&in, healthy_status);
	in.node_count = 3;
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "algorithm-fit", DIAG_WARN)->fix, "lms"));

	in.node_count = 4;
	in.votes = 2;
	qdevice_diagnose(&in, &r);
	only(&r, "algorithm-fit", DIAG_FAIL);

	strcpy(in.algorithm, "lms");
	in.votes = 2;
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "algorithm-fit", DIAG_WARN)->found, "expects nodes - 1 = 3"));
	in.votes = 3;
	qdevice_diagnose(&in, &r);
	assert_int_equal(find(&r, "algorithm-fit")->state, DIAG_OK);
	assert_non_null(strstr(find(&r, "algorithm-fit")->found, "single point"));
}

static void test_two_node(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct diag_report r;
	healthy(&in, healthy_status);
	in.two_node = true;
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "two-node", DIAG_FAIL)->fix, "remove two_node: 1"));
	in.device_configured = false;
	qdevice_diagnose(&in, &r);
	assert_int_equal(find(&r, "two-node")->state, DIAG_OK);
}

static void test_not_casting(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct diag_report r;
	healthy(&in, "{\"schema\":1,\"votequorum\":{\"device_votes\":1,\"quorum_nodes\":[{\"node_id\":1,\"state\":\"dead\"},"
		     "{\"node_id\":2,\"state\":\"member\"}]},\"casting_vote\":false,\"net\":{\"state\":\"connected\",\"vote\":\"nack\"}}");
	qdevice_diagnose(&in, &r);
	const struct diag_check *c = only(&r, "vote-cast", DIAG_WARN);
	assert_non_null(strstr(c->found, "nack"));
	assert_non_null(strstr(c->found, "outside this partition: 1"));
	assert_int_equal(diag_exit_status(&r), 1);
}

static void test_corosync_down(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct diag_report r;
	healthy(&in, healthy_status);
	in.cmap_read = false;
	strcpy(in.cmap_error, "corosync does not answer on cmap (error 2): is corosync running?");
	qdevice_diagnose(&in, &r);
	assert_int_equal(find(&r, "qnetd-reachable")->state, DIAG_SKIP);
	assert_int_equal(find(&r, "algorithm-fit")->state, DIAG_SKIP);
	assert_int_equal(find(&r, "two-node")->state, DIAG_SKIP);
	assert_int_equal(find(&r, "qdevice-votes")->state, DIAG_OK); /* the daemon still knows */
}

static void test_output_forms(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct diag_report r;
	struct strbuf out;
	healthy(&in, healthy_status);
	in.two_node = true;
	qdevice_diagnose(&in, &r);
	strbuf_init(&out, 1 << 16);
	diag_format(&r, &out);
	assert_non_null(strstr(out.data, "OK qdevice-running: corosync-qdevice answers; its connection to qnetd is connected\n"));
	assert_non_null(strstr(out.data, "FAIL two-node: quorum.two_node is 1 together with a quorum device: votequorum does not use both\n"
				       "    fix: remove two_node: 1"));
	strbuf_free(&out);
	json_t *j = diag_json(&r, "corosync-qdevice-tool -D");
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "schema")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "exit_status")), 2);
	json_t *two = json_array_get(json_object_get(j, "checks"), 8);
	assert_string_equal(json_string_value(json_object_get(two, "id")), "two-node");
	assert_string_equal(json_string_value(json_object_get(two, "state")), "fail");
	assert_true(json_is_string(json_object_get(two, "fix")));
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(j, "checks"), 0), "fix")));
	json_decref(j);
}

/* Connected, but what answers is not a qnetd (or it stalls): not reachable as an arbiter. */
static void test_connected_not_qnetd(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct diag_report r;
	healthy(&in, healthy_status);
	memset(&in.addrs[0].probe, 0, sizeof(in.addrs[0].probe));
	strcpy(in.addrs[0].probe.protocol_error, "no reply to PREINIT within 5 s (not a qnetd, or packets dropped after the connect)");
	qdevice_diagnose(&in, &r);
	const struct diag_check *c = only(&r, "qnetd-reachable", DIAG_FAIL);
	assert_non_null(strstr(c->found, "connected, but no reply to PREINIT"));
	assert_non_null(strstr(c->fix, "corosync-qnetd"));
	assert_int_equal(find(&r, "tls-mode")->state, DIAG_SKIP);
	assert_int_equal(find(&r, "server-ca")->state, DIAG_SKIP);
}

/* Two addresses of one name that are two arbiters (their certificates differ). */
static void test_two_arbiters(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct diag_report r;
	healthy(&in, healthy_status);
	in.addr_count = 2;
	in.addrs[1] = in.addrs[0];
	strcpy(in.addrs[1].text, "[2001:db8::10]");
	qdevice_diagnose(&in, &r);
	assert_int_equal(find(&r, "qnetd-reachable")->state, DIAG_OK);
	strcpy(in.addrs[1].probe.server_cert.sha256, "dd");
	qdevice_diagnose(&in, &r);
	const struct diag_check *c = only(&r, "qnetd-reachable", DIAG_WARN);
	assert_non_null(strstr(c->found, "192.0.2.10 and [2001:db8::10] present different server certificates"));
	/* An address left untried for time is not called reachable. */
	strcpy(in.addrs[1].probe.server_cert.sha256, "aa");
	in.addrs_not_tried = 1;
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "qnetd-reachable", DIAG_WARN)->found, "1 more address not tried"));
}

static void test_tls_mode(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct diag_report r;
	static const struct {
		const char *node;
		uint8_t server;
		enum diag_state want;
		const char *text;
	} cases[] = {
		{"", PROTO_TLS_SUPPORTED, DIAG_OK, "TLS is used"},
		{"on", PROTO_TLS_REQUIRED, DIAG_OK, "TLS is used"},
		{"required", PROTO_TLS_SUPPORTED, DIAG_OK, "TLS is used"},
		{"off", PROTO_TLS_REQUIRED, DIAG_FAIL, "refuses to connect"},
		{"no", PROTO_TLS_REQUIRED, DIAG_FAIL, "refuses to connect"},
		{"required", PROTO_TLS_UNSUPPORTED, DIAG_FAIL, "refuses to connect"},
		{"on", PROTO_TLS_UNSUPPORTED, DIAG_WARN, "plaintext"},
		{"off", PROTO_TLS_SUPPORTED, DIAG_WARN, "plaintext"},
		{"sometimes", PROTO_TLS_SUPPORTED, DIAG_FAIL, "'sometimes'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		healthy(&in, healthy_status);
		strcpy(in.tls, cases[i].node);
		in.addrs[0].probe.server_tls = cases[i].server;
		qdevice_diagnose(&in, &r);
		const struct diag_check *c = find(&r, "tls-mode");
		if (c->state != cases[i].want || strstr(c->found, cases[i].text) == NULL)
			fail_msg("tls %s against server %u: %s %s", cases[i].node, cases[i].server, diag_state_str(c->state), c->found);
		if (cases[i].want != DIAG_OK)
			only(&r, "tls-mode", cases[i].want);
		/* Without TLS the certificate checks have nothing to judge. */
		bool used = cases[i].want == DIAG_OK;
		assert_int_equal(find(&r, "node-cert")->state, used ? DIAG_OK : DIAG_SKIP);
	}
}

static void test_server_ca(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct diag_report r;
	healthy(&in, healthy_status);
	struct qdevice_diag_probe *p = &in.addrs[0].probe;

	/* The arbiter's CA created anew under the same name: the signature does not verify. */
	p->server_verify = QDEVICE_DIAG_VERIFY_UNKNOWN_ISSUER;
	p->client_cert_refused = true;
	strcpy(p->tls_error, "the server ended the connection after the handshake (-12271): SSL peer cannot verify your certificate.");
	qdevice_diagnose(&in, &r);
	const struct diag_check *c = only(&r, "server-ca", DIAG_FAIL);
	assert_non_null(strstr(c->found, "signature does not verify with the CA of that name in this node's database (made 2026-01-01 00:00 UTC)"));
	assert_non_null(strstr(c->fix, "pvecm qdevice setup"));
	/* The arbiter refusing our certificate too is the same cause, not a second fault. */
	assert_int_equal(find(&r, "node-cert")->state, DIAG_SKIP);

	/* Another CA altogether. */
	strcpy(p->server_cert.issuer, "CN=Other CA");
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "server-ca", DIAG_FAIL)->found, "is not issued by a CA in this node's database (CN=QNet CA)"));

	/* A server that sent its new CA along: NSS refuses it before any certificate is seen. */
	memset(&p->server_cert, 0, sizeof(p->server_cert));
	p->server_verify = QDEVICE_DIAG_VERIFY_REUSED_CA;
	p->handshake_ok = false;
	p->client_cert_refused = false;
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "server-ca", DIAG_FAIL)->found, "name and serial number of this node's CA"));

	healthy(&in, healthy_status);
	in.addrs[0].probe.server_verify = QDEVICE_DIAG_VERIFY_BAD_NAME;
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "server-ca", DIAG_FAIL)->found, "not for the name Qnetd Server"));
}

static void test_node_cert(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct diag_report r;
	const struct diag_check *c;

	/* A database copied from another cluster. */
	healthy(&in, healthy_status);
	strcpy(in.db.cert.common_name, "othercluster");
	qdevice_diagnose(&in, &r);
	c = only(&r, "node-cert", DIAG_FAIL);
	assert_non_null(strstr(c->found, "for cluster 'othercluster' but totem.cluster_name is 'qdi'"));
	assert_non_null(strstr(c->fix, "corosync-qdevice-net-certutil -r -n"));
	/* An arbiter that does not ask for certificates only risks it. */
	in.addrs[0].probe.server_wants_client_cert = false;
	qdevice_diagnose(&in, &r);
	only(&r, "node-cert", DIAG_WARN);

	/* No certificate: fatal only when the arbiter asks for one. */
	healthy(&in, healthy_status);
	memset(&in.db.cert, 0, sizeof(in.db.cert));
	in.db.key_found = false;
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "node-cert", DIAG_FAIL)->found, "no certificate named Cluster Cert"));
	in.addrs[0].probe.server_wants_client_cert = false;
	qdevice_diagnose(&in, &r);
	assert_int_equal(find(&r, "node-cert")->state, DIAG_OK);

	/* The arbiter refused our certificate although its own verifies here. */
	healthy(&in, healthy_status);
	in.addrs[0].probe.client_cert_refused = true;
	strcpy(in.addrs[0].probe.tls_error, "the handshake failed (-12195): Peer does not recognize and trust the CA that issued your certificate.");
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "node-cert", DIAG_FAIL)->found, "the arbiter refused this node's certificate"));

	/* No database, or one this user may not read. */
	healthy(&in, healthy_status);
	in.db.opened = false;
	strcpy(in.db.error, "/etc/corosync/qdevice/net/nssdb: No such file or directory (pvecm qdevice setup creates it)");
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "node-cert", DIAG_FAIL)->found, "no usable certificate database"));
	assert_int_equal(find(&r, "server-ca")->state, DIAG_SKIP);
	assert_int_equal(find(&r, "cert-validity")->state, DIAG_SKIP);
	in.db.unreadable = true;
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(find(&r, "node-cert")->found, "run as root"));
	assert_int_equal(find(&r, "node-cert")->state, DIAG_SKIP);
}

static void test_cert_validity(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct diag_report r;
	const struct diag_check *c;

	/* A board that booted in 2020: nothing is valid yet. */
	healthy(&in, healthy_status);
	in.now = INT64_C(1577836800);
	qdevice_diagnose(&in, &r);
	c = only(&r, "cert-validity", DIAG_FAIL);
	assert_non_null(strstr(c->found, "by this node's clock (2020-01-01 00:00 UTC): this node's certificate is not valid before 2026-01-01 00:00 UTC"));
	assert_non_null(strstr(c->found, "the arbiter's certificate is not valid before"));
	assert_non_null(strstr(c->fix, "timedatectl"));

	/* The arbiter's certificate expired: corosync-qdevice still accepts it. */
	healthy(&in, healthy_status);
	in.addrs[0].probe.server_cert.not_after = NOW - 86400;
	qdevice_diagnose(&in, &r);
	c = only(&r, "cert-validity", DIAG_WARN);
	assert_non_null(strstr(c->found, "the arbiter's certificate expired on 2026-12-05"));

	/* Ours expired: the arbiter decides; it took it in the handshake, or it did not. */
	healthy(&in, healthy_status);
	in.db.cert.not_after = NOW - 86400;
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "cert-validity", DIAG_WARN)->found, "(the arbiter still accepts it)"));
	in.addrs[0].probe.client_cert_refused = true;
	in.addrs[0].probe.server_verify = QDEVICE_DIAG_VERIFY_OK;
	qdevice_diagnose(&in, &r);
	assert_int_equal(find(&r, "cert-validity")->state, DIAG_FAIL);

	/* About to expire. */
	healthy(&in, healthy_status);
	in.db.cas[0].not_after = NOW + 10 * 86400;
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "cert-validity", DIAG_WARN)->found, "the CA in this node's database expires on 2026-12-16"));
}

static int teardown_group(void **state)
{
	(void)state;
	json_decref(status_json);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy),
		cmocka_unit_test(test_daemon_down),
		cmocka_unit_test(test_reachability),
		cmocka_unit_test(test_lms_zero_votes),
		cmocka_unit_test(test_algorithm_fit),
		cmocka_unit_test(test_two_node),
		cmocka_unit_test(test_not_casting),
		cmocka_unit_test(test_corosync_down),
		cmocka_unit_test(test_output_forms),
		cmocka_unit_test(test_connected_not_qnetd),
		cmocka_unit_test(test_two_arbiters),
		cmocka_unit_test(test_tls_mode),
		cmocka_unit_test(test_server_ca),
		cmocka_unit_test(test_node_cert),
		cmocka_unit_test(test_cert_validity),
	};
	return cmocka_run_group_tests(tests, NULL, teardown_group);
}

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

#include "qdevice_diagnose.h"

/* A healthy node of a 2-node ffsplit cluster, connected and casting the vote. */
static const char *const healthy_status =
	"{\"schema\":1,\"votequorum\":{\"device_votes\":1,\"quorum_nodes\":[{\"node_id\":1,\"state\":\"member\"},"
	"{\"node_id\":2,\"state\":\"member\"}]},\"casting_vote\":true,\"net\":{\"state\":\"connected\",\"vote\":\"ack\"}}";

static json_t *status_json;

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
}

static const struct qdevice_diag_result *find(const struct qdevice_diag_report *r, const char *id)
{
	for (size_t i = 0; i < r->count; i++)
		if (strcmp(r->checks[i].id, id) == 0)
			return &r->checks[i];
	fail_msg("no check %s", id);
	return NULL;
}

/* Exactly the named check has the given state; every other check is OK or SKIP. */
static const struct qdevice_diag_result *only(const struct qdevice_diag_report *r, const char *id,
					      enum qdevice_diag_state s)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct qdevice_diag_result *c = &r->checks[i];
		if (strcmp(c->id, id) == 0)
			assert_int_equal(c->state, s);
		else if (c->state == QDEVICE_DIAG_WARN || c->state == QDEVICE_DIAG_FAIL)
			fail_msg("check %s is %s too: %s", c->id, qdevice_diag_state_str(c->state), c->found);
	}
	return find(r, id);
}

static void test_healthy(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct qdevice_diag_report r;
	healthy(&in, healthy_status);
	qdevice_diagnose(&in, &r);
	assert_int_equal(r.count, QDEVICE_DIAG_CHECKS);
	for (size_t i = 0; i < r.count; i++)
		assert_int_equal(r.checks[i].state, QDEVICE_DIAG_OK);
	assert_int_equal(qdevice_diag_exit_status(&r), 0);
	/* The ids are the interface, in their documented order. */
	static const char *const ids[] = {"qdevice-running", "qnetd-reachable", "qdevice-votes",
					  "algorithm-fit", "two-node", "vote-cast"};
	for (size_t i = 0; i < r.count; i++)
		assert_string_equal(r.checks[i].id, ids[i]);
}

static void test_daemon_down(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct qdevice_diag_report r;
	healthy(&in, healthy_status);
	in.daemon_answered = false;
	in.status = NULL;
	strcpy(in.daemon_error, "/var/run/corosync-qdevice/corosync-qdevice.sock: No such file or directory");
	qdevice_diagnose(&in, &r);
	const struct qdevice_diag_result *c = only(&r, "qdevice-running", QDEVICE_DIAG_FAIL);
	assert_non_null(strstr(c->fix, "systemctl start corosync-qdevice"));
	assert_int_equal(find(&r, "vote-cast")->state, QDEVICE_DIAG_SKIP);
	/* Without the daemon, the votes come from corosync's configuration. */
	assert_int_equal(find(&r, "qdevice-votes")->state, QDEVICE_DIAG_OK);
	assert_int_equal(qdevice_diag_exit_status(&r), 2);
}

static void test_reachability(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct qdevice_diag_report r;
	healthy(&in, healthy_status);
	in.addrs[0].reach = qdevice_diag_reach_from_errno(ETIMEDOUT);
	qdevice_diagnose(&in, &r);
	const struct qdevice_diag_result *c = only(&r, "qnetd-reachable", QDEVICE_DIAG_FAIL);
	assert_non_null(strstr(c->found, "dropped"));
	assert_non_null(strstr(c->fix, "TCP port 5403"));
	assert_non_null(strstr(c->fix, "not UDP"));

	in.addrs[0].reach = qdevice_diag_reach_from_errno(ECONNREFUSED);
	qdevice_diagnose(&in, &r);
	c = only(&r, "qnetd-reachable", QDEVICE_DIAG_FAIL);
	assert_non_null(strstr(c->found, "nothing listens"));
	assert_non_null(strstr(c->fix, "systemctl status corosync-qnetd"));

	in.addrs[0].reach = qdevice_diag_reach_from_errno(EHOSTUNREACH);
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "qnetd-reachable", QDEVICE_DIAG_FAIL)->found, "unreachable"));

	/* One address of two answers: a warning, naming both. */
	in.addr_count = 2;
	strcpy(in.addrs[1].text, "[2001:db8::10]");
	in.addrs[0].reach = QDEVICE_DIAG_REACH_OK;
	in.addrs[1].reach = QDEVICE_DIAG_REACH_TIMEOUT;
	qdevice_diagnose(&in, &r);
	c = only(&r, "qnetd-reachable", QDEVICE_DIAG_WARN);
	assert_non_null(strstr(c->found, "192.0.2.10:5403 connected"));
	assert_non_null(strstr(c->found, "[2001:db8::10]:5403 no answer"));

	in.resolved = false;
	strcpy(in.resolve_error, "Name or service not known");
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "qnetd-reachable", QDEVICE_DIAG_FAIL)->found, "does not resolve"));
}

/* The single-node cluster a guide set up with pvecm qdevice setup -f: lms, no votes, N - 1 = 0. */
static void test_lms_zero_votes(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct qdevice_diag_report r;
	healthy(&in, "{\"schema\":1,\"votequorum\":{\"device_votes\":0},\"casting_vote\":true,"
		     "\"net\":{\"state\":\"connected\",\"vote\":\"ack\"}}");
	strcpy(in.algorithm, "lms");
	in.node_count = 1;
	in.votes_set = false;
	qdevice_diagnose(&in, &r);
	const struct qdevice_diag_result *c = only(&r, "qdevice-votes", QDEVICE_DIAG_FAIL);
	assert_non_null(strstr(c->found, "nodes - 1 = 1 - 1 = 0"));
	assert_non_null(strstr(c->fix, "votes: 1"));
	/* The same from corosync's configuration alone, daemon down. */
	in.daemon_answered = false;
	in.status = NULL;
	qdevice_diagnose(&in, &r);
	assert_int_equal(find(&r, "qdevice-votes")->state, QDEVICE_DIAG_FAIL);
}

static void test_algorithm_fit(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct qdevice_diag_report r;
	healthy(&in, healthy_status);
	in.node_count = 3;
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "algorithm-fit", QDEVICE_DIAG_WARN)->fix, "lms"));

	in.node_count = 4;
	in.votes = 2;
	qdevice_diagnose(&in, &r);
	only(&r, "algorithm-fit", QDEVICE_DIAG_FAIL);

	strcpy(in.algorithm, "lms");
	in.votes = 2;
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "algorithm-fit", QDEVICE_DIAG_WARN)->found, "expects nodes - 1 = 3"));
	in.votes = 3;
	qdevice_diagnose(&in, &r);
	assert_int_equal(find(&r, "algorithm-fit")->state, QDEVICE_DIAG_OK);
	assert_non_null(strstr(find(&r, "algorithm-fit")->found, "single point"));
}

static void test_two_node(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct qdevice_diag_report r;
	healthy(&in, healthy_status);
	in.two_node = true;
	qdevice_diagnose(&in, &r);
	assert_non_null(strstr(only(&r, "two-node", QDEVICE_DIAG_FAIL)->fix, "remove two_node: 1"));
	in.device_configured = false;
	qdevice_diagnose(&in, &r);
	assert_int_equal(find(&r, "two-node")->state, QDEVICE_DIAG_OK);
}

static void test_not_casting(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct qdevice_diag_report r;
	healthy(&in, "{\"schema\":1,\"votequorum\":{\"device_votes\":1,\"quorum_nodes\":[{\"node_id\":1,\"state\":\"dead\"},"
		     "{\"node_id\":2,\"state\":\"member\"}]},\"casting_vote\":false,\"net\":{\"state\":\"connected\",\"vote\":\"nack\"}}");
	qdevice_diagnose(&in, &r);
	const struct qdevice_diag_result *c = only(&r, "vote-cast", QDEVICE_DIAG_WARN);
	assert_non_null(strstr(c->found, "nack"));
	assert_non_null(strstr(c->found, "outside this partition: 1"));
	assert_int_equal(qdevice_diag_exit_status(&r), 1);
}

static void test_corosync_down(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct qdevice_diag_report r;
	healthy(&in, healthy_status);
	in.cmap_read = false;
	strcpy(in.cmap_error, "corosync does not answer on cmap (error 2): is corosync running?");
	qdevice_diagnose(&in, &r);
	assert_int_equal(find(&r, "qnetd-reachable")->state, QDEVICE_DIAG_SKIP);
	assert_int_equal(find(&r, "algorithm-fit")->state, QDEVICE_DIAG_SKIP);
	assert_int_equal(find(&r, "two-node")->state, QDEVICE_DIAG_SKIP);
	assert_int_equal(find(&r, "qdevice-votes")->state, QDEVICE_DIAG_OK); /* the daemon still knows */
}

static void test_output_forms(void **state)
{
	(void)state;
	struct qdevice_diag_input in;
	struct qdevice_diag_report r;
	struct strbuf out;
	healthy(&in, healthy_status);
	in.two_node = true;
	qdevice_diagnose(&in, &r);
	strbuf_init(&out, 1 << 16);
	qdevice_diag_format(&r, &out);
	assert_non_null(strstr(out.data, "OK qdevice-running: corosync-qdevice answers; its connection to qnetd is connected\n"));
	assert_non_null(strstr(out.data, "FAIL two-node: quorum.two_node is 1 together with a quorum device: votequorum does not use both\n"
				       "    fix: remove two_node: 1"));
	strbuf_free(&out);
	json_t *j = qdevice_diag_json(&r);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "schema")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "exit_status")), 2);
	json_t *two = json_array_get(json_object_get(j, "checks"), 4);
	assert_string_equal(json_string_value(json_object_get(two, "id")), "two-node");
	assert_string_equal(json_string_value(json_object_get(two, "state")), "fail");
	assert_true(json_is_string(json_object_get(two, "fix")));
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(j, "checks"), 0), "fix")));
	json_decref(j);
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
	};
	return cmocka_run_group_tests(tests, NULL, teardown_group);
}

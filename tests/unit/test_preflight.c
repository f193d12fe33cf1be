/* Unit tests of corosync-qdevice-tool -P's checks before pvecm qdevice setup (qdevice/qdevice_preflight) on recorded facts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "qdevice_preflight.h"

static const char *const NODE_OK = "have corosync-qdevice\nhave corosync-qdevice-net-certutil\n";
static const char *const ARB_OK = "have corosync-qnetd\nhave corosync-qnetd-certutil\nhave corosync-qnetd-tool\n";

static void host(struct qdevice_preflight_host *h, const char *name, const char *address, const char *output)
{
	memset(h, 0, sizeof(*h));
	strcpy(h->name, name);
	strcpy(h->address, address);
	h->ran = true;
	strcpy(h->output, output);
}

/* Refused the way ssh refuses: exit 255 and its last stderr line. */
static void ssh_fails(struct qdevice_preflight_host *h, const char *error)
{
	h->exit_status = 255;
	h->output[0] = '\0';
	strcpy(h->error, error);
}

/* A 2-node cluster without a device, everything in place. */
static void ready(struct qdevice_preflight_input *in)
{
	memset(in, 0, sizeof(*in));
	strcpy(in->arbiter, "192.0.2.10");
	in->cmap_read = true;
	in->node_count = 2;
	for (size_t i = 0; i < 2; i++) {
		char name[8], addr[16];
		snprintf(name, sizeof(name), "n%zu", i + 1);
		snprintf(addr, sizeof(addr), "192.0.2.%zu", i + 1);
		in->nodes[i].node_id = (uint32_t)i + 1;
		in->nodes[i].online = true;
		host(&in->nodes[i].host, name, addr, NODE_OK);
	}
	in->nodes[0].host.local = true;
	host(&in->arbiter_host, "192.0.2.10", "192.0.2.10", ARB_OK);
}

static const struct diag_check *find(const struct diag_report *r, const char *id)
{
	for (size_t i = 0; i < r->count; i++)
		if (strcmp(r->checks[i].id, id) == 0)
			return &r->checks[i];
	fail_msg("no check %s", id);
	return NULL;
}

/* Exactly the named check has the given state (with a fix line); every other check is OK or SKIP. */
static const struct diag_check *only(const struct diag_report *r, const char *id,
					      enum diag_state s)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct diag_check *c = &r->checks[i];
		if (strcmp(c->id, id) == 0) {
			if (c->state != s)
				fail_msg("check %s is %s: %s", id, diag_state_str(c->state), c->found);
			assert_true(c->fix[0] != '\0');
		} else if (c->state == DIAG_WARN || c->state == DIAG_FAIL) {
			fail_msg("check %s is %s too: %s", c->id, diag_state_str(c->state), c->found);
		}
	}
	return find(r, id);
}

static void test_ready(void **state)
{
	(void)state;
	struct qdevice_preflight_input in;
	struct diag_report r;
	ready(&in);
	qdevice_preflight(&in, &r);
	static const char *const ids[] = {"nodes-online", "device-configured", "node-count", "ssh-arbiter",
					  "arbiter-commands", "ssh-nodes", "node-commands", "stale-nodedb"};
	assert_int_equal(r.count, sizeof(ids) / sizeof(ids[0]));
	for (size_t i = 0; i < r.count; i++) {
		assert_string_equal(r.checks[i].id, ids[i]);
		assert_int_equal(r.checks[i].state, DIAG_OK);
	}
	assert_int_equal(diag_exit_status(&r), 0);
}

static void test_ssh_arbiter(void **state)
{
	(void)state;
	static const struct {
		const char *error;
		int timed_out;
		enum diag_state want;
		const char *text;
	} cases[] = {
		{"root@192.0.2.10: Permission denied (publickey,password).", 0, DIAG_WARN, "root needs a password"},
		{"root@192.0.2.10: Permission denied (publickey,keyboard-interactive).", 0, DIAG_WARN, "root needs a password"},
		{"root@192.0.2.10: Permission denied (publickey).", 0, DIAG_FAIL, "root may not log in"},
		{"Host key verification failed.", 0, DIAG_WARN, "host key is not known yet"},
		{"REMOTE HOST IDENTIFICATION HAS CHANGED: Host key verification failed.", 0, DIAG_FAIL, "host key changed"},
		{"ssh: connect to host 192.0.2.10 port 22: Connection refused", 0, DIAG_FAIL, "no SSH server"},
		{"ssh: connect to host 192.0.2.10 port 22: Connection timed out", 0, DIAG_FAIL, "no answer"},
		{"", 1, DIAG_FAIL, "no answer"},
		{"ssh: Could not resolve hostname qnetd.example: Name or service not known", 0, DIAG_FAIL, "does not resolve"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct qdevice_preflight_input in;
		struct diag_report r;
		ready(&in);
		ssh_fails(&in.arbiter_host, cases[i].error);
		in.arbiter_host.timed_out = cases[i].timed_out;
		qdevice_preflight(&in, &r);
		const struct diag_check *c = only(&r, "ssh-arbiter", cases[i].want);
		if (strstr(c->found, cases[i].text) == NULL)
			fail_msg("'%s': %s", cases[i].error, c->found);
		/* Without a shell there the commands cannot be checked. */
		assert_int_equal(find(&r, "arbiter-commands")->state, DIAG_SKIP);
	}
}

static void test_arbiter_commands(void **state)
{
	(void)state;
	struct qdevice_preflight_input in;
	struct diag_report r;
	ready(&in);
	strcpy(in.arbiter_host.output, "missing corosync-qnetd\nmissing corosync-qnetd-certutil\nhave corosync-qnetd-tool\n");
	qdevice_preflight(&in, &r);
	const struct diag_check *c = only(&r, "arbiter-commands", DIAG_FAIL);
	assert_non_null(strstr(c->found, "lacks corosync-qnetd, corosync-qnetd-certutil in root's PATH"));
	assert_non_null(strstr(c->fix, "apt install corosync-qnetd"));
	/* A name that only starts like another does not count ("have corosync-qnetd-tool" is not "have corosync-qnetd"). */
	strcpy(in.arbiter_host.output, "have corosync-qnetd-tool\nhave corosync-qnetd-certutil\n");
	qdevice_preflight(&in, &r);
	assert_non_null(strstr(only(&r, "arbiter-commands", DIAG_FAIL)->found, "lacks corosync-qnetd in"));
}

static void test_nodes(void **state)
{
	(void)state;
	struct qdevice_preflight_input in;
	struct diag_report r;
	const struct diag_check *c;

	ready(&in);
	in.nodes[1].online = false;
	qdevice_preflight(&in, &r);
	assert_non_null(strstr(only(&r, "nodes-online", DIAG_FAIL)->found, "not in the membership: n2"));

	ready(&in);
	ssh_fails(&in.nodes[1].host, "root@192.0.2.2: Permission denied (publickey).");
	qdevice_preflight(&in, &r);
	c = only(&r, "ssh-nodes", DIAG_FAIL);
	assert_non_null(strstr(c->found, "n2 (192.0.2.2): root may not log in"));
	assert_int_equal(find(&r, "node-commands")->state, DIAG_SKIP);
	assert_int_equal(find(&r, "stale-nodedb")->state, DIAG_SKIP);

	ready(&in);
	strcpy(in.nodes[1].host.output, "have corosync-qdevice\nmissing corosync-qdevice-net-certutil\n");
	qdevice_preflight(&in, &r);
	assert_non_null(strstr(only(&r, "node-commands", DIAG_FAIL)->found, "n2 lacks corosync-qdevice-net-certutil"));
}

static void test_stale_nodedb(void **state)
{
	(void)state;
	struct qdevice_preflight_input in;
	struct diag_report r;
	const struct diag_check *c;

	ready(&in);
	strcat(in.nodes[1].host.output, "nssdb present\n");
	qdevice_preflight(&in, &r);
	c = only(&r, "stale-nodedb", DIAG_FAIL);
	assert_non_null(strstr(c->found, "n2 keeps an old /etc/corosync/qdevice/net/nssdb"));
	assert_non_null(strstr(c->found, "it keeps the old CA"));
	assert_non_null(strstr(c->fix, "rm -rf /etc/corosync/qdevice/net/nssdb"));

	strcat(in.nodes[0].host.output, "nssdb present\n");
	qdevice_preflight(&in, &r);
	c = only(&r, "stale-nodedb", DIAG_FAIL);
	assert_non_null(strstr(c->found, "this node (n1) has /etc/corosync/qdevice/net/nssdb: the setup stops"));
	assert_non_null(strstr(c->found, "n2 keeps"));

	/* With a device configured the databases are in use. */
	in.device_configured = true;
	strcpy(in.device_host, "192.0.2.10");
	qdevice_preflight(&in, &r);
	assert_int_equal(find(&r, "stale-nodedb")->state, DIAG_OK);
	assert_non_null(strstr(only(&r, "device-configured", DIAG_WARN)->found, "host 192.0.2.10"));
}

static void test_node_count(void **state)
{
	(void)state;
	struct qdevice_preflight_input in;
	struct diag_report r;
	ready(&in);
	in.node_count = 1;
	qdevice_preflight(&in, &r);
	const struct diag_check *c = only(&r, "node-count", DIAG_WARN);
	assert_non_null(strstr(c->found, "nodes - 1 = 0 votes"));
	assert_non_null(strstr(c->fix, "add votes: 1"));
	ready(&in);
	in.node_count = 3;
	in.nodes[2] = in.nodes[1];
	qdevice_preflight(&in, &r);
	assert_non_null(strstr(only(&r, "node-count", DIAG_WARN)->found, "3 nodes: the setup refuses an odd node count without --force"));
}

static void test_corosync_down(void **state)
{
	(void)state;
	struct qdevice_preflight_input in;
	struct diag_report r;
	ready(&in);
	in.cmap_read = false;
	in.node_count = 0;
	strcpy(in.cmap_error, "corosync does not answer on cmap (error 2): the setup needs a running cluster");
	qdevice_preflight(&in, &r);
	assert_int_equal(find(&r, "nodes-online")->state, DIAG_FAIL);
	assert_int_equal(find(&r, "ssh-arbiter")->state, DIAG_OK);
	assert_int_equal(find(&r, "ssh-nodes")->state, DIAG_SKIP);
	assert_int_equal(find(&r, "stale-nodedb")->state, DIAG_SKIP);
	assert_int_equal(diag_exit_status(&r), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready),
		cmocka_unit_test(test_ssh_arbiter),
		cmocka_unit_test(test_arbiter_commands),
		cmocka_unit_test(test_nodes),
		cmocka_unit_test(test_stale_nodedb),
		cmocka_unit_test(test_node_count),
		cmocka_unit_test(test_corosync_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

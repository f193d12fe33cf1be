/* Unit tests of corosync-qnetd-tool -D's checks (qnetd/qnetd_diagnose) and report forms (common/diag) on recorded facts. */
/* S_IFDIR and S_IFREG, to record file types as stat() gives them. */
#define _XOPEN_SOURCE 700
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timex.h>

#include <cmocka.h>
#include <jansson.h>

#include "diag.h"
#include "qnetd_diagnose.h"

/* 2026-12-06T15:33:00.000Z */
#define NOW_MS 1796571180000LL
#define DAY_MS 86400000LL

/*
 * A healthy arbiter as `corosync-qnetd-tool -j` shows it: TLS on, one 2-node cluster, both
 * clients on TLS, one partition with the vote, nothing refused.
 */
static const char *const healthy_status =
	"{\"schema\":1,\"program\":\"corosync-qnetd\",\"version\":\"0.1.0\",\"time\":\"2026-12-06T15:33:00.000Z\","
	"\"started\":\"2026-12-06T14:33:00.000Z\",\"listen\":{\"address\":null,\"port\":5403,\"family\":\"any\"},"
	"\"tls\":\"on\",\"nss_db_dir\":\"/etc/corosync/qnetd/nssdb\",\"client_cert_required\":true,\"max_clients\":0,"
	"\"counts\":{\"connections\":2,\"clients\":2,\"clusters\":1,\"plaintext_clients\":0},"
	"\"server_certificate\":{\"nickname\":\"QNetd Cert\",\"not_before\":\"2026-01-01T00:00:00.000Z\","
	"\"not_after\":\"2126-01-01T00:00:00.000Z\"},"
	"\"client_cert_rejections\":{\"total\":0,\"last_hour\":0,\"last\":null,\"by_reason\":{\"missing\":0,"
	"\"untrusted_issuer\":0,\"not_yet_valid\":0,\"expired\":0,\"cluster_name_mismatch\":0,\"other\":0}},"
	"\"init_refusals\":{\"total\":0,\"last_hour\":0,\"by_reason\":{\"duplicate_node_id\":0,\"algorithm_differs\":0,"
	"\"tie_breaker_differs\":0,\"unsupported_algorithm\":0,\"invalid_heartbeat_interval\":0,\"missing_option\":0,"
	"\"preinit_required\":0,\"repeated_init\":0,\"cluster_full\":0,\"other\":0},\"last\":null},"
	"\"clusters\":[{\"name\":\"qdi\",\"algorithm\":\"ffsplit\",\"tie_breaker\":{\"mode\":\"lowest\"},"
	"\"kap_tie_breaker\":true,\"configured_nodes\":[1,2],\"missing_nodes\":[],\"acked_partitions\":1,\"client_count\":2,"
	"\"clients\":[{\"node_id\":1,\"address\":\"::ffff:198.18.9.11:40000\",\"tls_active\":true,"
	"\"client_cert_verified\":true,\"config_version\":1,\"configured_nodes\":[1,2]},"
	"{\"node_id\":2,\"address\":\"::ffff:198.18.9.12:40001\",\"tls_active\":true,\"client_cert_verified\":true,"
	"\"config_version\":1,\"configured_nodes\":[1,2]}]}]}";

static json_t *status_json;

static const char *const ids[QNETD_DIAG_CHECKS] = {"qnetd-running", "nssdb", "listener", "plaintext-clients",
						   "cluster-nodes", "cluster-conflicts", "cert-rejections", "clock"};

static struct qnetd_diag_file file(mode_t mode, uid_t uid, gid_t gid)
{
	struct qnetd_diag_file f = {.exists = true, .mode = mode, .uid = uid, .gid = gid};
	return f;
}

/* The text of a /proc/net/tcp6 line for a LISTEN socket, as the kernel prints it (each word in host order). */
static void proc_line(char *out, size_t len, int family, const char *addr, uint16_t port, const char *state)
{
	uint8_t bytes[16];
	assert_int_equal(inet_pton(family, addr, bytes), 1);
	size_t used = (size_t)snprintf(out, len, "   0: ");
	for (size_t w = 0; w < (family == AF_INET ? 1u : 4u); w++) {
		uint32_t v;
		memcpy(&v, bytes + 4 * w, 4);
		used += (size_t)snprintf(out + used, len - used, "%08X", v);
	}
	snprintf(out + used, len - used, ":%04X %s:0000 %s 00000000:00000000 00:00000000 00000000     0        0 12345 1 "
		 "0000000000000000 100 0 0 10 0\n", port, family == AF_INET ? "00000000" : "00000000000000000000000000000000", state);
}

static const char tcp_header[] = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
static const char tcp6_header[] = "  sl  local_address                         remote_address                        st tx_queue "
				  "rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

/* Listening sockets from recorded table text: the one given plus a DNS stub's on another port. */
static void listen_on(struct qnetd_diag_input *in, int family, const char *addr)
{
	char text[1024], line[300];
	in->listener_count = 0;
	snprintf(text, sizeof(text), "%s", family == AF_INET ? tcp_header : tcp6_header);
	proc_line(line, sizeof(line), family, addr, 5403, "0A");
	strcat(text, line);
	proc_line(line, sizeof(line), family, family == AF_INET ? "127.0.0.53" : "::1", 53, "0A");
	strcat(text, line);
	assert_int_equal(qnetd_diag_parse_proc_net_tcp(text, strlen(text), family, 5403, in), 0);
	in->listeners_read = true;
}

static void healthy_with(struct qnetd_diag_input *in, const char *status)
{
	memset(in, 0, sizeof(*in));
	json_decref(status_json);
	status_json = json_loads(status, 0, NULL);
	assert_non_null(status_json);
	in->daemon_answered = true;
	in->status = status_json;
	in->now_ms = NOW_MS;
	in->user = (struct qnetd_diag_user){.known = true, .from_daemon = true, .pid = 4242, .uid = 103, .gid = 106};
	strcpy(in->user.name, "coroqnetd");
	strcpy(in->user.group_name, "coroqnetd");
	strcpy(in->nssdb_dir, "/etc/corosync/qnetd/nssdb");
	/* As Debian's package leaves it: root:coroqnetd 0750, the databases 0640, pkcs11.txt root-only. */
	in->nssdb = file(S_IFDIR | 0750, 0, 106);
	in->nssdb_files[QNETD_DIAG_CERT9_DB] = file(S_IFREG | 0640, 0, 106);
	in->nssdb_files[QNETD_DIAG_KEY4_DB] = file(S_IFREG | 0640, 0, 106);
	in->nssdb_files[QNETD_DIAG_PKCS11_TXT] = file(S_IFREG | 0640, 0, 0);
	in->nssdb_files[QNETD_DIAG_CERT8_DB].err = ENOENT;
	in->nssdb_files[QNETD_DIAG_KEY3_DB].err = ENOENT;
	in->nss_read = true;
	in->server_cert = (struct qnetd_diag_cert){.found = true, .not_before_ms = NOW_MS - 300 * DAY_MS,
						   .not_after_ms = NOW_MS + 36000 * DAY_MS};
	strcpy(in->server_cert.nickname, "QNetd Cert");
	in->ca = (struct qnetd_diag_cert){.found = true, .not_before_ms = NOW_MS - 300 * DAY_MS,
					  .not_after_ms = NOW_MS + 36000 * DAY_MS, .trusted_for_clients = true};
	strcpy(in->ca.nickname, "QNet CA");
	listen_on(in, AF_INET6, "::");
	in->clock_read = true;
	in->clock_state = TIME_OK;
	in->clock_status = STA_PLL;
	in->clock_maxerror_us = 12000;
	in->clock_esterror_us = 400;
}

static void healthy(struct qnetd_diag_input *in)
{
	healthy_with(in, healthy_status);
}

/* Sets a member of the status at a dotted path of objects and array indexes ("clusters.0.acked_partitions"). */
static void set_at(const char *path, json_t *value)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *o = status_json;
	char *save = NULL, *tok = strtok_r(buf, ".", &save), *next;
	while ((next = strtok_r(NULL, ".", &save)) != NULL) {
		o = json_is_array(o) ? json_array_get(o, (size_t)atoi(tok)) : json_object_get(o, tok);
		assert_non_null(o);
		tok = next;
	}
	if (json_is_array(o))
		assert_int_equal(json_array_set_new(o, (size_t)atoi(tok), value), 0);
	else
		assert_int_equal(json_object_set_new(o, tok, value), 0);
}

static const struct diag_check *find(const struct diag_report *r, const char *id)
{
	const struct diag_check *c = diag_find(r, id);
	if (c == NULL)
		fail_msg("no check %s", id);
	return c;
}

/* Exactly the named check has the given state; every other check is OK. */
static const struct diag_check *only(const struct diag_report *r, const char *id, enum diag_state s)
{
	assert_int_equal(r->count, QNETD_DIAG_CHECKS);
	for (size_t i = 0; i < r->count; i++) {
		const struct diag_check *c = &r->checks[i];
		if (strcmp(c->id, id) == 0) {
			if (c->state != s)
				fail_msg("check %s is %s, expected %s: %s", id, diag_state_str(c->state), diag_state_str(s), c->found);
		} else if (c->state != DIAG_OK) {
			fail_msg("check %s is %s too: %s", c->id, diag_state_str(c->state), c->found);
		}
	}
	const struct diag_check *c = find(r, id);
	/* A WARN or FAIL always says what to do. */
	if (s == DIAG_WARN || s == DIAG_FAIL)
		assert_true(c->fix[0] != '\0');
	return c;
}

static void contains(const char *text, const char *part)
{
	if (strstr(text, part) == NULL)
		fail_msg("'%s' not in '%s'", part, text);
}

static void test_healthy(void **state)
{
	(void)state;
	struct qnetd_diag_input in;
	struct diag_report r;
	healthy(&in);
	qnetd_diagnose(&in, &r);
	assert_int_equal(r.count, QNETD_DIAG_CHECKS);
	for (size_t i = 0; i < r.count; i++) {
		assert_string_equal(r.checks[i].id, ids[i]);
		if (r.checks[i].state != DIAG_OK)
			fail_msg("%s is %s: %s", r.checks[i].id, diag_state_str(r.checks[i].state), r.checks[i].found);
		assert_string_equal(r.checks[i].fix, "");
	}
	assert_int_equal(diag_exit_status(&r), 0);
	contains(find(&r, "qnetd-running")->found, "corosync-qnetd 0.1.0 answers as user coroqnetd (pid 4242)");
	contains(find(&r, "nssdb")->found, "/etc/corosync/qnetd/nssdb (sql format), readable by coroqnetd");
	contains(find(&r, "nssdb")->found, "the server certificate (as corosync-qnetd loaded it) valid until 2126-01-01T00:00:00.000Z");
	contains(find(&r, "nssdb")->found, "pkcs11.txt is not readable by coroqnetd");
	contains(find(&r, "listener")->found, "TCP port 5403 listens on [::]:5403");
	contains(find(&r, "cluster-nodes")->found, "1 cluster, every configured node connected");
	contains(find(&r, "clock")->found, "synchronised (estimated error 0 ms, maximum 12 ms)");
}

static void test_daemon_down(void **state)
{
	(void)state;
	struct qnetd_diag_input in;
	struct diag_report r;
	healthy(&in);
	in.daemon_answered = false;
	in.status = NULL;
	in.user.from_daemon = false;
	strcpy(in.daemon_error, "/var/run/corosync-qnetd/corosync-qnetd.sock: No such file or directory");
	qnetd_diagnose(&in, &r);
	const struct diag_check *c = find(&r, "qnetd-running");
	assert_int_equal(c->state, DIAG_FAIL);
	contains(c->found, "No such file or directory");
	contains(c->fix, "systemctl start corosync-qnetd");
	contains(c->fix, "journalctl -u corosync-qnetd");
	/* The database and the clock are read without the daemon; the rest needs its status. */
	assert_int_equal(find(&r, "nssdb")->state, DIAG_OK);
	contains(find(&r, "nssdb")->found, "the packaged unit's user; corosync-qnetd is not running");
	contains(find(&r, "nssdb")->found, "the server certificate 'QNetd Cert' valid until");
	assert_int_equal(find(&r, "clock")->state, DIAG_OK);
	static const char *const skipped[] = {"listener", "plaintext-clients", "cluster-nodes", "cluster-conflicts",
					      "cert-rejections"};
	for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
		assert_int_equal(find(&r, skipped[i])->state, DIAG_SKIP);
	assert_int_equal(diag_exit_status(&r), 2);
}

static void test_upstream_daemon(void **state)
{
	(void)state;
	struct qnetd_diag_input in;
	struct diag_report r;
	healthy(&in);
	in.status = NULL;
	strcpy(in.daemon_error, "it answered: Error: Unknown command 'json'");
	qnetd_diagnose(&in, &r);
	const struct diag_check *c = find(&r, "qnetd-running");
	assert_int_equal(c->state, DIAG_WARN);
	contains(c->found, "no JSON status (it answered: Error");
	assert_int_equal(find(&r, "listener")->state, DIAG_SKIP);
	assert_int_equal(find(&r, "cluster-nodes")->state, DIAG_SKIP);
	assert_int_equal(diag_exit_status(&r), 1);

	/* A status of another schema, or without its clusters, is not read at all. */
	healthy(&in);
	set_at("schema", json_integer(2));
	qnetd_diagnose(&in, &r);
	assert_int_equal(find(&r, "qnetd-running")->state, DIAG_WARN);
	contains(find(&r, "qnetd-running")->found, "schema 2");
	assert_int_equal(find(&r, "cert-rejections")->state, DIAG_SKIP);
	healthy(&in);
	set_at("clusters", json_string("none"));
	qnetd_diagnose(&in, &r);
	assert_int_equal(find(&r, "qnetd-running")->state, DIAG_WARN);
	assert_int_equal(find(&r, "cluster-conflicts")->state, DIAG_SKIP);
}

static void test_nssdb_files(void **state)
{
	(void)state;
	struct qnetd_diag_input in;
	struct diag_report r;

	healthy(&in);
	in.nssdb.exists = false;
	in.nssdb.err = ENOENT;
	qnetd_diagnose(&in, &r);
	const struct diag_check *c = only(&r, "nssdb", DIAG_FAIL);
	contains(c->found, "/etc/corosync/qnetd/nssdb: no such directory");
	contains(c->fix, "corosync-qnetd-certutil -i");

	/* The old dbm format alone. */
	healthy(&in);
	in.nssdb_files[QNETD_DIAG_CERT9_DB] = (struct qnetd_diag_file){.err = ENOENT};
	in.nssdb_files[QNETD_DIAG_KEY4_DB] = (struct qnetd_diag_file){.err = ENOENT};
	in.nssdb_files[QNETD_DIAG_CERT8_DB] = file(S_IFREG | 0640, 0, 106);
	in.nssdb_files[QNETD_DIAG_KEY3_DB] = file(S_IFREG | 0640, 0, 106);
	qnetd_diagnose(&in, &r);
	c = only(&r, "nssdb", DIAG_WARN);
	contains(c->found, "old dbm format");
	contains(c->fix, "certutil -N -d sql:/etc/corosync/qnetd/nssdb -f /etc/corosync/qnetd/nssdb/pwdfile.txt");

	/* The key database as certutil run by hand as root leaves it: unreadable for coroqnetd. */
	healthy(&in);
	in.nssdb_files[QNETD_DIAG_KEY4_DB] = file(S_IFREG | 0600, 0, 0);
	qnetd_diagnose(&in, &r);
	c = only(&r, "nssdb", DIAG_FAIL);
	contains(c->found, "coroqnetd cannot read /etc/corosync/qnetd/nssdb/key4.db (owner 0:0, mode 0600)");
	contains(c->fix, "chgrp coroqnetd /etc/corosync/qnetd/nssdb/key4.db && chmod g+r /etc/corosync/qnetd/nssdb/key4.db");
	/* Root reads it all the same; so does a member of the file's group. */
	in.user.uid = 0;
	strcpy(in.user.name, "root");
	qnetd_diagnose(&in, &r);
	assert_int_equal(find(&r, "nssdb")->state, DIAG_OK);
	healthy(&in);
	in.nssdb_files[QNETD_DIAG_KEY4_DB] = file(S_IFREG | 0640, 0, 4000);
	in.user.groups[0] = 4000;
	in.user.group_count = 1;
	qnetd_diagnose(&in, &r);
	assert_int_equal(find(&r, "nssdb")->state, DIAG_OK);

	healthy(&in);
	in.nssdb = file(S_IFDIR | 0700, 0, 0);
	qnetd_diagnose(&in, &r);
	contains(only(&r, "nssdb", DIAG_FAIL)->found, "coroqnetd cannot open /etc/corosync/qnetd/nssdb (owner 0:0, mode 0700)");

	healthy(&in);
	in.nssdb_files[QNETD_DIAG_KEY4_DB] = (struct qnetd_diag_file){.err = ENOENT};
	qnetd_diagnose(&in, &r);
	contains(only(&r, "nssdb", DIAG_FAIL)->found, "has no key4.db");

	/* With TLS off the database is not used at all. */
	healthy(&in);
	set_at("tls", json_string("off"));
	set_at("server_certificate", json_null());
	in.nssdb.exists = false;
	in.nss_read = false;
	qnetd_diagnose(&in, &r);
	contains(only(&r, "nssdb", DIAG_OK)->found, "TLS is off");
}

static void test_nssdb_certificates(void **state)
{
	(void)state;
	struct qnetd_diag_input in;
	struct diag_report r;

	healthy(&in);
	set_at("server_certificate.not_after", json_string("2026-12-01T00:00:00.000Z"));
	qnetd_diagnose(&in, &r);
	const struct diag_check *c = only(&r, "nssdb", DIAG_FAIL);
	contains(c->found, "the server certificate (as corosync-qnetd loaded it) expired on 2026-12-01T00:00:00.000Z");
	contains(c->fix, "certutil -S -d /etc/corosync/qnetd/nssdb");
	contains(c->fix, "-n 'QNetd Cert'");

	healthy(&in);
	set_at("server_certificate.not_after", json_string("2026-12-20T00:00:00.000Z"));
	qnetd_diagnose(&in, &r);
	contains(only(&r, "nssdb", DIAG_WARN)->found, "expires on 2026-12-20T00:00:00.000Z, in 13 days");

	healthy(&in);
	set_at("server_certificate.not_before", json_string("2027-01-01T00:00:00.000Z"));
	qnetd_diagnose(&in, &r);
	c = only(&r, "nssdb", DIAG_FAIL);
	contains(c->found, "not valid before 2027-01-01T00:00:00.000Z (this clock says 2026-12-06T15:33:00.000Z)");
	contains(c->fix, "clock");

	/* Daemon down: the dates come from the database. */
	healthy(&in);
	in.daemon_answered = false;
	in.status = NULL;
	in.server_cert.not_after_ms = NOW_MS - DAY_MS;
	qnetd_diagnose(&in, &r);
	contains(find(&r, "nssdb")->found, "the server certificate 'QNetd Cert' expired on 2026-12-05T15:33:00.000Z");
	assert_int_equal(find(&r, "nssdb")->state, DIAG_FAIL);

	healthy(&in);
	in.daemon_answered = false;
	in.status = NULL;
	in.server_cert.found = false;
	qnetd_diagnose(&in, &r);
	contains(find(&r, "nssdb")->found, "no certificate 'QNetd Cert' in the database");

	healthy(&in);
	in.ca.trusted_for_clients = false;
	qnetd_diagnose(&in, &r);
	c = only(&r, "nssdb", DIAG_FAIL);
	contains(c->found, "the CA 'QNet CA' is not trusted to issue client certificates");
	assert_string_equal(c->fix, "certutil -M -d /etc/corosync/qnetd/nssdb -n 'QNet CA' -t CT,,");
	/* Without client certificates (-c off) that trust is not needed. */
	set_at("client_cert_required", json_false());
	qnetd_diagnose(&in, &r);
	assert_int_equal(find(&r, "nssdb")->state, DIAG_OK);

	healthy(&in);
	in.ca.found = false;
	qnetd_diagnose(&in, &r);
	contains(only(&r, "nssdb", DIAG_FAIL)->found, "no CA certificate that issued the server certificate");

	healthy(&in);
	in.ca.not_after_ms = NOW_MS - 1;
	qnetd_diagnose(&in, &r);
	contains(only(&r, "nssdb", DIAG_FAIL)->found, "the CA 'QNet CA' expired");

	/* The database could not be opened here (the tool run as another user): said, not judged. */
	healthy(&in);
	in.nss_read = false;
	strcpy(in.nss_error, "SEC_ERROR_BAD_DATABASE");
	qnetd_diagnose(&in, &r);
	contains(only(&r, "nssdb", DIAG_OK)->found, "the CA was not checked: the database could not be opened here (SEC_ERROR_BAD_DATABASE)");
}

static void test_listener(void **state)
{
	(void)state;
	struct qnetd_diag_input in;
	struct diag_report r;

	healthy(&in);
	in.listener_count = 0;
	qnetd_diagnose(&in, &r);
	const struct diag_check *c = only(&r, "listener", DIAG_FAIL);
	contains(c->found, "nothing listens on TCP port 5403");
	contains(c->fix, "systemctl restart corosync-qnetd");

	healthy(&in);
	set_at("listen.address", json_string("127.0.0.1"));
	listen_on(&in, AF_INET, "127.0.0.1");
	qnetd_diagnose(&in, &r);
	c = only(&r, "listener", DIAG_WARN);
	contains(c->found, "loopback only (127.0.0.1:5403)");
	contains(c->fix, "-l");

	healthy(&in);
	listen_on(&in, AF_INET6, "::1");
	set_at("listen.address", json_string("::1"));
	qnetd_diagnose(&in, &r);
	contains(only(&r, "listener", DIAG_WARN)->found, "[::1]:5403");

	/* A specific address: reachable, said as it is. */
	healthy(&in);
	set_at("listen.address", json_string("198.18.9.10"));
	listen_on(&in, AF_INET, "198.18.9.10");
	qnetd_diagnose(&in, &r);
	contains(only(&r, "listener", DIAG_OK)->found, "TCP port 5403 listens on 198.18.9.10:5403 (set: 198.18.9.10");

	/* Configured for every address, but the port is held on one address only. */
	healthy(&in);
	listen_on(&in, AF_INET, "198.18.9.99");
	qnetd_diagnose(&in, &r);
	contains(only(&r, "listener", DIAG_WARN)->found, "bound to 198.18.9.99:5403 only (another program?)");

	healthy(&in);
	in.listeners_read = false;
	strcpy(in.listeners_error, "/proc/net/tcp: Permission denied");
	qnetd_diagnose(&in, &r);
	assert_int_equal(find(&r, "listener")->state, DIAG_SKIP);
}

static void test_plaintext_clients(void **state)
{
	(void)state;
	struct qnetd_diag_input in;
	struct diag_report r;
	healthy(&in);
	set_at("counts.plaintext_clients", json_integer(1));
	set_at("clusters.0.clients.1.tls_active", json_false());
	qnetd_diagnose(&in, &r);
	const struct diag_check *c = only(&r, "plaintext-clients", DIAG_WARN);
	contains(c->found, "1 client joined without TLS (-s on): cluster \"qdi\" node 2");
	contains(c->fix, "tls: on");
	contains(c->fix, "-s req");
	contains(c->fix, "README.md, Security");

	healthy(&in);
	set_at("tls", json_string("required"));
	qnetd_diagnose(&in, &r);
	contains(only(&r, "plaintext-clients", DIAG_OK)->found, "TLS is required");
}

static void test_cluster_nodes(void **state)
{
	(void)state;
	struct qnetd_diag_input in;
	struct diag_report r;
	healthy(&in);
	json_t *missing = json_array();
	json_array_append_new(missing, json_integer(2));
	set_at("clusters.0.missing_nodes", missing);
	qnetd_diagnose(&in, &r);
	const struct diag_check *c = only(&r, "cluster-nodes", DIAG_WARN);
	assert_string_equal(c->found, "configured nodes without a connection: cluster \"qdi\": node 2");
	contains(c->fix, "systemctl status corosync-qdevice");
	contains(c->fix, "corosync-qdevice-tool -D");
	assert_int_equal(diag_exit_status(&r), 1);

	/* A name with control characters is escaped. */
	set_at("clusters.0.name", json_string("a\nb"));
	qnetd_diagnose(&in, &r);
	contains(find(&r, "cluster-nodes")->found, "cluster \"a\\x0ab\": node 2");

	/* A running vote hold, with the node back (nothing missing): WARN naming it, nothing to fix. */
	healthy(&in);
	json_t *holds = json_array();
	json_array_append_new(holds, json_pack("{s:i,s:i}", "node_id", 1, "ends_in_ms", 8200));
	set_at("clusters.0.vote_holds", holds);
	qnetd_diagnose(&in, &r);
	c = only(&r, "cluster-nodes", DIAG_WARN);
	assert_string_equal(c->found, "vote held back (that node's qdevice left while its corosync may still count the vote): "
				      "cluster \"qdi\": no partition without node 1 gets the vote for 8200 ms more");
	contains(c->fix, "ends by itself");
	/* Both at once: one line says both. */
	missing = json_array();
	json_array_append_new(missing, json_integer(1));
	set_at("clusters.0.missing_nodes", missing);
	qnetd_diagnose(&in, &r);
	c = only(&r, "cluster-nodes", DIAG_WARN);
	contains(c->found, "configured nodes without a connection: cluster \"qdi\": node 1; vote held back");
	contains(c->fix, "systemctl status corosync-qdevice");
}

static void test_cluster_conflicts(void **state)
{
	(void)state;
	struct qnetd_diag_input in;
	struct diag_report r;

	healthy(&in);
	set_at("clusters.0.acked_partitions", json_integer(2));
	qnetd_diagnose(&in, &r);
	const struct diag_check *c = only(&r, "cluster-conflicts", DIAG_FAIL);
	contains(c->found, "cluster \"qdi\": 2 partitions hold the vote");
	contains(c->fix, "totem.cluster_name");

	/* Two clusters named alike: their clients' node lists differ. */
	healthy(&in);
	set_at("clusters.0.clients.1.configured_nodes", json_pack("[i,i]", 2, 3));
	qnetd_diagnose(&in, &r);
	c = only(&r, "cluster-conflicts", DIAG_WARN);
	contains(c->found, "cluster \"qdi\": its clients' configured node lists differ (node 1: 1, 2; node 2: 2, 3)");

	/* A client that has sent no list yet (or a brief status without clients) disagrees with nobody. */
	json_t *cluster = json_array_get(json_object_get(status_json, "clusters"), 0);
	json_object_del(json_array_get(json_object_get(cluster, "clients"), 0), "configured_nodes");
	qnetd_diagnose(&in, &r);
	only(&r, "cluster-conflicts", DIAG_OK);
	healthy(&in);
	json_object_del(json_array_get(json_object_get(status_json, "clusters"), 0), "clients");
	qnetd_diagnose(&in, &r);
	only(&r, "cluster-conflicts", DIAG_OK);

	/* A refused INIT in the last hour, named with its cluster and reason. */
	healthy(&in);
	set_at("init_refusals.total", json_integer(4));
	set_at("init_refusals.last_hour", json_integer(3));
	set_at("init_refusals.by_reason.duplicate_node_id", json_integer(4));
	set_at("init_refusals.last",
	       json_pack("{s:s,s:s,s:s}", "time", "2026-12-06T15:30:00.000Z", "cluster", "qdi", "reason", "duplicate_node_id"));
	qnetd_diagnose(&in, &r);
	c = only(&r, "cluster-conflicts", DIAG_WARN);
	contains(c->found, "3 INITs refused in the last hour; the latest at 2026-12-06T15:30:00.000Z, cluster \"qdi\": duplicate_node_id");
	contains(c->fix, "node ids collide");
	set_at("init_refusals.last.reason", json_string("algorithm_differs"));
	qnetd_diagnose(&in, &r);
	contains(only(&r, "cluster-conflicts", DIAG_WARN)->fix, "quorum.device.net.algorithm and tie_breaker the same");
	/* Older than an hour: only counted. */
	set_at("init_refusals.last_hour", json_integer(0));
	qnetd_diagnose(&in, &r);
	contains(only(&r, "cluster-conflicts", DIAG_OK)->found, "no INIT refused in the last hour (4 since the start)");
}

static void test_cert_rejections(void **state)
{
	(void)state;
	struct qnetd_diag_input in;
	struct diag_report r;
	static const struct {
		const char *reason;
		const char *fix_part;
	} cases[] = {
		{"untrusted_issuer", "pvecm qdevice setup"},
		{"cluster_name_mismatch", "totem.cluster_name"},
		{"expired", "clocks"},
		{"not_yet_valid", "clocks"},
		{"missing", "Cluster Cert"},
		{"other", "journalctl -u corosync-qnetd"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		healthy(&in);
		set_at("client_cert_rejections.total", json_integer(5));
		set_at("client_cert_rejections.last_hour", json_integer(2));
		set_at("client_cert_rejections.last", json_string("2026-12-06T15:32:00.000Z"));
		char path[96];
		snprintf(path, sizeof(path), "client_cert_rejections.by_reason.%s", cases[i].reason);
		set_at(path, json_integer(4));
		qnetd_diagnose(&in, &r);
		const struct diag_check *c = only(&r, "cert-rejections", DIAG_WARN);
		char expect[160];
		snprintf(expect, sizeof(expect), "the most common reason since the start: %s (4 of 5)", cases[i].reason);
		contains(c->found, "2 client certificates refused in the last hour, the latest at 2026-12-06T15:32:00.000Z");
		contains(c->found, expect);
		contains(c->fix, cases[i].fix_part);
	}
}

static void test_clock(void **state)
{
	(void)state;
	struct qnetd_diag_input in;
	struct diag_report r;
	healthy(&in);
	in.clock_state = TIME_ERROR;
	in.clock_status = STA_UNSYNC;
	in.clock_maxerror_us = 16000000;
	qnetd_diagnose(&in, &r);
	const struct diag_check *c = only(&r, "clock", DIAG_WARN);
	assert_string_equal(c->found, "the kernel's clock is not synchronised (STA_UNSYNC; maximum error 16000 ms)");
	contains(c->fix, "systemd-timesyncd");
	contains(c->fix, "chrony");
	healthy(&in);
	in.clock_read = false;
	strcpy(in.clock_error, "Operation not permitted");
	qnetd_diagnose(&in, &r);
	assert_int_equal(find(&r, "clock")->state, DIAG_SKIP);
	assert_int_equal(diag_exit_status(&r), 0);
}

static void test_proc_net_tcp(void **state)
{
	(void)state;
	struct qnetd_diag_input in;
	char text[2048], line[300];
	memset(&in, 0, sizeof(in));

	/* Sockets of other states and ports are left out; a broken line is skipped. */
	snprintf(text, sizeof(text), "%s", tcp_header);
	proc_line(line, sizeof(line), AF_INET, "198.18.9.10", 5403, "01"); /* ESTABLISHED */
	strcat(text, line);
	strcat(text, "   1: 0100007G:151B 00000000:0000 0A\n");
	proc_line(line, sizeof(line), AF_INET, "0.0.0.0", 5403, "0A");
	strcat(text, line);
	proc_line(line, sizeof(line), AF_INET, "0.0.0.0", 22, "0A");
	strcat(text, line);
	strcat(text, "   4: 0100");
	assert_int_equal(qnetd_diag_parse_proc_net_tcp(text, strlen(text), AF_INET, 5403, &in), 0);
	assert_int_equal(in.listener_count, 1);
	assert_int_equal(in.listeners[0].port, 5403);
	assert_int_equal(in.listeners[0].family, AF_INET);
	assert_memory_equal(in.listeners[0].addr, "\0\0\0\0", 4);

	/* IPv6: the words are in host order, the bytes come back in network order. */
	snprintf(text, sizeof(text), "%s", tcp6_header);
	proc_line(line, sizeof(line), AF_INET6, "2001:db8::1", 5403, "0A");
	strcat(text, line);
	assert_int_equal(qnetd_diag_parse_proc_net_tcp(text, strlen(text), AF_INET6, 0, &in), 0);
	assert_int_equal(in.listener_count, 2);
	uint8_t expect[16];
	inet_pton(AF_INET6, "2001:db8::1", expect);
	assert_memory_equal(in.listeners[1].addr, expect, 16);

	/* Not the table. */
	assert_int_equal(qnetd_diag_parse_proc_net_tcp("hello\n", 6, AF_INET, 0, &in), -1);
	assert_int_equal(qnetd_diag_parse_proc_net_tcp("", 0, AF_INET6, 0, &in), -1);
	/* The list is bounded. */
	snprintf(text, sizeof(text), "%s", tcp_header);
	proc_line(line, sizeof(line), AF_INET, "0.0.0.0", 5403, "0A");
	for (int i = 0; i < 3; i++)
		strcat(text, line);
	in.listener_count = QNETD_DIAG_MAX_LISTENERS - 1;
	assert_int_equal(qnetd_diag_parse_proc_net_tcp(text, strlen(text), AF_INET, 0, &in), 0);
	assert_int_equal(in.listener_count, QNETD_DIAG_MAX_LISTENERS);
}

static void test_output_forms(void **state)
{
	(void)state;
	struct qnetd_diag_input in;
	struct diag_report r;
	struct strbuf out;
	healthy(&in);
	in.daemon_answered = false;
	in.status = NULL;
	strcpy(in.daemon_error, "/run/x.sock: Connection refused");
	qnetd_diagnose(&in, &r);
	strbuf_init(&out, 1 << 16);
	diag_format(&r, &out);
	assert_false(out.failed);
	contains(out.data, "FAIL qnetd-running: corosync-qnetd does not answer on its local socket (/run/x.sock: Connection refused)\n"
			   "    fix: systemctl start corosync-qnetd; if it stops again, journalctl -u corosync-qnetd -b says why\n"
			   "OK nssdb: ");
	contains(out.data, "\nSKIP listener: corosync-qnetd's status is not available");
	/* SKIP and OK lines have no fix line. */
	size_t lines = 0, fixes = 0;
	for (const char *p = out.data; *p != '\0'; p++)
		if (*p == '\n')
			lines++;
	for (const char *p = out.data; (p = strstr(p, "    fix: ")) != NULL; p++)
		fixes++;
	assert_int_equal(lines, QNETD_DIAG_CHECKS + 1);
	assert_int_equal(fixes, 1);
	strbuf_free(&out);

	/* The JSON form parses back with the documented layout. */
	json_t *j = diag_json(&r, "corosync-qnetd-tool -D");
	assert_non_null(j);
	char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	assert_non_null(text);
	json_error_t err;
	json_t *back = json_loads(text, 0, &err);
	free(text);
	assert_non_null(back);
	assert_int_equal(json_object_size(back), 4);
	assert_int_equal(json_integer_value(json_object_get(back, "schema")), 1);
	assert_string_equal(json_string_value(json_object_get(back, "program")), "corosync-qnetd-tool -D");
	assert_int_equal(json_integer_value(json_object_get(back, "exit_status")), 2);
	const json_t *checks = json_object_get(back, "checks");
	assert_int_equal(json_array_size(checks), QNETD_DIAG_CHECKS);
	for (size_t i = 0; i < QNETD_DIAG_CHECKS; i++) {
		const json_t *c = json_array_get(checks, i);
		assert_int_equal(json_object_size(c), 4);
		assert_string_equal(json_string_value(json_object_get(c, "id")), ids[i]);
		assert_true(json_is_string(json_object_get(c, "found")));
		const char *st = json_string_value(json_object_get(c, "state"));
		assert_non_null(st);
		bool bad = strcmp(st, "warn") == 0 || strcmp(st, "fail") == 0;
		assert_true(bad ? json_is_string(json_object_get(c, "fix")) : json_is_null(json_object_get(c, "fix")));
	}
	assert_string_equal(json_string_value(json_object_get(json_array_get(checks, 0), "state")), "fail");
	assert_string_equal(json_string_value(json_object_get(json_array_get(checks, 2), "state")), "skip");
	json_decref(back);
}

/* The report's texts: cut with "...", never into invalid UTF-8, and the JSON form still written. */
static void test_report_text_limits(void **state)
{
	(void)state;
	struct diag_report r;
	char big[DIAG_TEXT_MAX * 2];
	diag_report_init(&r);
	/* "é" is two bytes: a cut in the middle of one must not leave half of it. */
	size_t n = 0;
	while (n + 2 < sizeof(big)) {
		big[n++] = (char)0xc3;
		big[n++] = (char)0xa9;
	}
	big[n] = '\0';
	for (size_t off = 0; off < 3; off++) {
		diag_report_init(&r);
		const struct diag_check *c = diag_add(&r, "x", DIAG_WARN, big + off, "%s%s", off == 1 ? "a" : "", big);
		assert_non_null(c);
		assert_true(strlen(c->found) < DIAG_TEXT_MAX);
		assert_int_equal(strcmp(c->found + strlen(c->found) - 3, "..."), 0);
		json_t *j = diag_json(&r, "t");
		assert_non_null(j);
		json_decref(j);
	}
	char list[16] = "";
	assert_true(diag_appendf(list, sizeof(list), "%s", "one, "));
	assert_false(diag_appendf(list, sizeof(list), "%s", "two, three, four"));
	assert_string_equal(list, "one, two, th...");
	assert_false(diag_appendf(list, sizeof(list), "%s", "x"));
	assert_string_equal(list, "one, two, th...");
	/* The report holds DIAG_MAX_CHECKS checks and refuses more. */
	diag_report_init(&r);
	for (size_t i = 0; i < DIAG_MAX_CHECKS; i++)
		assert_non_null(diag_add(&r, "x", DIAG_OK, NULL, "%zu", i));
	assert_null(diag_add(&r, "x", DIAG_OK, NULL, "over"));
	assert_int_equal(diag_exit_status(&r), 0);
}

/* -P: a fresh arbiter that root may reach with a password, corosync-qnetd-certutil present. */
static void setup_ready(struct qnetd_setup_input *s)
{
	memset(s, 0, sizeof(*s));
	s->sshd_read = true;
	strcpy(s->permit_root_login, "yes");
	s->password_authentication = true;
	s->keys_read = true;
	s->certutil_found = true;
}

/* Exactly the named -P check has the given state; every other one is OK or SKIP. */
static const struct diag_check *setup_only(const struct diag_report *r, const char *id, enum diag_state s)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct diag_check *c = &r->checks[i];
		if (strcmp(c->id, id) == 0) {
			if (c->state != s)
				fail_msg("check %s is %s, expected %s: %s", id, diag_state_str(c->state), diag_state_str(s), c->found);
			if (s == DIAG_WARN || s == DIAG_FAIL)
				assert_true(c->fix[0] != '\0');
		} else if (c->state == DIAG_WARN || c->state == DIAG_FAIL) {
			fail_msg("check %s is %s too: %s", c->id, diag_state_str(c->state), c->found);
		}
	}
	return find(r, id);
}

static void test_preflight(void **state)
{
	(void)state;
	struct qnetd_diag_input in;
	struct qnetd_setup_input s;
	struct diag_report r;
	static const char *const pre_ids[] = {"qnetd-running", "nssdb", "listener", "ssh-root-login", "certutil", "cluster-name"};

	healthy(&in);
	setup_ready(&s);
	qnetd_preflight(&in, &s, &r);
	assert_int_equal(r.count, 6);
	for (size_t i = 0; i < r.count; i++) {
		assert_string_equal(r.checks[i].id, pre_ids[i]);
		assert_int_equal(r.checks[i].state, i == 5 ? DIAG_SKIP : DIAG_OK);
	}
	assert_int_equal(diag_exit_status(&r), 0);

	/* Root by key only, and no key yet: the setup's ssh-copy-id cannot get in. */
	strcpy(s.permit_root_login, "prohibit-password");
	qnetd_preflight(&in, &s, &r);
	contains(setup_only(&r, "ssh-root-login", DIAG_FAIL)->found, "key only (PermitRootLogin prohibit-password) and root's authorized keys hold none");
	s.root_keys = 2;
	qnetd_preflight(&in, &s, &r);
	contains(setup_only(&r, "ssh-root-login", DIAG_OK)->found, "among the 2 in root's authorized keys");
	/* "yes" with passwords off is a key-only login too. */
	strcpy(s.permit_root_login, "yes");
	s.password_authentication = false;
	s.root_keys = 0;
	qnetd_preflight(&in, &s, &r);
	contains(setup_only(&r, "ssh-root-login", DIAG_FAIL)->found, "PermitRootLogin yes, passwords off");
	s.kbd_interactive_authentication = true;
	qnetd_preflight(&in, &s, &r);
	setup_only(&r, "ssh-root-login", DIAG_OK);
	strcpy(s.permit_root_login, "no");
	qnetd_preflight(&in, &s, &r);
	contains(setup_only(&r, "ssh-root-login", DIAG_FAIL)->fix, "PermitRootLogin");
	setup_ready(&s);
	s.sshd_read = false;
	strcpy(s.sshd_error, "/usr/sbin/sshd: No such file or directory");
	qnetd_preflight(&in, &s, &r);
	contains(setup_only(&r, "ssh-root-login", DIAG_FAIL)->fix, "apt install openssh-server");

	setup_ready(&s);
	s.certutil_found = false;
	qnetd_preflight(&in, &s, &r);
	contains(setup_only(&r, "certutil", DIAG_FAIL)->fix, "apt install corosync-qnetd");

	/* The name of a cluster that already uses this arbiter. */
	setup_ready(&s);
	s.cluster_name = "qdi";
	qnetd_preflight(&in, &s, &r);
	contains(setup_only(&r, "cluster-name", DIAG_WARN)->found, "a cluster named \"qdi\" already uses this arbiter (2 clients, nodes 1, 2)");
	s.cluster_name = "other";
	qnetd_preflight(&in, &s, &r);
	contains(setup_only(&r, "cluster-name", DIAG_OK)->found, "no cluster named \"other\" uses this arbiter yet");
	s.cluster_cert_exists = true;
	s.cluster_cert_mtime_ms = INT64_C(1796558400000);
	qnetd_preflight(&in, &s, &r);
	contains(setup_only(&r, "cluster-name", DIAG_OK)->found, "signed here before (2026-12-06T12:00:00.000Z)");
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
		cmocka_unit_test(test_upstream_daemon),
		cmocka_unit_test(test_nssdb_files),
		cmocka_unit_test(test_nssdb_certificates),
		cmocka_unit_test(test_listener),
		cmocka_unit_test(test_plaintext_clients),
		cmocka_unit_test(test_cluster_nodes),
		cmocka_unit_test(test_cluster_conflicts),
		cmocka_unit_test(test_cert_rejections),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_proc_net_tcp),
		cmocka_unit_test(test_output_forms),
		cmocka_unit_test(test_report_text_limits),
		cmocka_unit_test(test_preflight),
	};
	return cmocka_run_group_tests(tests, NULL, teardown_group);
}

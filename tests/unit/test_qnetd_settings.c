/* corosync-qnetd's command line and -S settings: defaults, accepted values, and refusals that name the option. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "qnetd_settings.h"

/* Parses a NULL-terminated argument list into fresh settings. */
static enum qnetd_args_result parse(struct qnetd_settings *s, char *err, const char *const *args)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = (char *)"corosync-qnetd";
	for (; *args != NULL; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	qnetd_settings_init(s);
	err[0] = '\0';
	return qnetd_settings_parse_args(s, argc, argv, err, 512);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_defaults(void **state)
{
	(void)state;
	struct qnetd_settings s;
	char err[512];
	assert_int_equal(parse(&s, err, (const char *const[]){NULL}), QNETD_ARGS_RUN);
	assert_int_equal(s.port, 5403);
	assert_int_equal(s.tls, PROTO_TLS_SUPPORTED);
	assert_true(s.client_cert_required);
	assert_int_equal(s.max_clients, 0);
	assert_int_equal(s.listen_backlog, 10);
	assert_int_equal(s.max_client_send_buffers, 32);
	assert_int_equal(s.max_client_send_size, 32768);
	assert_int_equal(s.max_client_receive_size, 32768);
	assert_string_equal(s.nss_db_dir, "/etc/corosync/qnetd/nssdb");
	assert_string_equal(s.cert_nickname, "QNetd Cert");
	assert_int_equal(s.heartbeat_interval_min, 1000);
	assert_int_equal(s.heartbeat_interval_max, 120000);
	assert_true(s.dpd_enabled);
	assert_true(s.dpd_interval_coefficient == 1.5);
	assert_string_equal(s.lock_file, "/var/run/corosync-qnetd/corosync-qnetd.pid");
	assert_string_equal(s.local_socket_file, "/var/run/corosync-qnetd/corosync-qnetd.sock");
	assert_int_equal(s.ipc_max_clients, 10);
	assert_int_equal(s.ipc_max_receive_size, 4096);
	assert_int_equal(s.ipc_max_send_size, 10485760);
	assert_false(s.keep_active_partition_tie_breaker);
	assert_int_equal(s.init_timeout, 60000);
	assert_int_equal(s.max_clients_per_address, 256);
	qnetd_settings_destroy(&s);
}

static void test_flags(void **state)
{
	(void)state;
	struct qnetd_settings s;
	char err[512];
	assert_int_equal(parse(&s, err, ARGS("-f", "-d", "-d", "-4", "-l", "198.18.0.1", "-p", "6000", "-s", "REQ",
					     "-c", "off", "-m", "100")),
			 QNETD_ARGS_RUN);
	assert_true(s.foreground);
	assert_int_equal(s.debug_level, 2);
	assert_int_equal(s.family, QNETD_AF_INET);
	assert_string_equal(s.listen_addr, "198.18.0.1");
	assert_int_equal(s.port, 6000);
	assert_int_equal(s.tls, PROTO_TLS_REQUIRED);
	assert_false(s.client_cert_required);
	assert_int_equal(s.max_clients, 100);
	qnetd_settings_destroy(&s);
	assert_int_equal(parse(&s, err, ARGS("-s", "required", "-s", "off", "-6")), QNETD_ARGS_RUN);
	assert_int_equal(s.tls, PROTO_TLS_UNSUPPORTED);
	assert_int_equal(s.family, QNETD_AF_INET6);
	qnetd_settings_destroy(&s);
	assert_int_equal(parse(&s, err, ARGS("-h")), QNETD_ARGS_USAGE);
	qnetd_settings_destroy(&s);
	assert_int_equal(parse(&s, err, ARGS("-v")), QNETD_ARGS_VERSION);
	qnetd_settings_destroy(&s);
	assert_int_equal(parse(&s, err, ARGS("-x")), QNETD_ARGS_USAGE);
	qnetd_settings_destroy(&s);
	assert_int_equal(parse(&s, err, ARGS("-p")), QNETD_ARGS_USAGE);
	qnetd_settings_destroy(&s);
}

struct refusal {
	const char *flag;
	const char *value;
	const char *named; /* the error must mention this */
};

static void test_refusals(void **state)
{
	(void)state;
	static const struct refusal cases[] = {
		{"-p", "0", "-p"},        {"-p", "65536", "-p"},   {"-p", "54o3", "-p"},   {"-p", "", "-p"},
		{"-s", "maybe", "-s"},    {"-c", "2", "-c"},       {"-m", "-1", "-m"},
		{"-S", "bogus=1", "bogus"},
		{"-S", "listen_backlog=0", "listen_backlog"},
		{"-S", "max_client_send_buffers=1", "max_client_send_buffers"},
		{"-S", "max_client_send_size=15", "max_client_send_size"},
		{"-S", "max_client_receive_size=abc", "max_client_receive_size"},
		{"-S", "heartbeat_interval_min=0", "heartbeat_interval_min"},
		{"-S", "heartbeat_interval_max=4294967296", "heartbeat_interval_max"},
		{"-S", "dpd_enabled=maybe", "dpd_enabled"},
		{"-S", "dpd_interval_coefficient=0.5", "dpd_interval_coefficient"},
		{"-S", "dpd_interval_coefficient=nan", "dpd_interval_coefficient"},
		{"-S", "dpd_interval_coefficient=1000.5", "dpd_interval_coefficient"},
		{"-S", "local_socket_umask=0800", "local_socket_umask"},
		{"-S", "local_socket_gid=no-such-group-here", "local_socket_gid"},
		{"-S", "local_socket_backlog=0", "local_socket_backlog"},
		{"-S", "ipc_max_clients=-1", "ipc_max_clients"},
		{"-S", "ipc_max_receive_size=1023", "ipc_max_receive_size"},
		{"-S", "ipc_max_send_size=1023", "ipc_max_send_size"},
		{"-S", "keep_active_partition_tie_breaker=2", "keep_active_partition_tie_breaker"},
		{"-S", "local_socket_file=", "local_socket_file"},
		{"-S", "init_timeout=-1", "init_timeout"},
		{"-S", "init_timeout=4294967296", "init_timeout"},
		{"-S", "max_clients_per_address=-1", "max_clients_per_address"},
		{"-S", "max_clients_per_address=many", "max_clients_per_address"},
		{"-S", "metrics_listen=0", "metrics_listen"},
		{"-S", "metrics_listen=65536", "metrics_listen"},
		{"-S", "metrics_listen=localhost:9405", "metrics_listen"},
		{"-S", "metrics_listen=::1:9405", "metrics_listen"},
		{"-S", "metrics_listen=[::1]9405", "metrics_listen"},
		{"-S", "metrics_listen=[127.0.0.1]:9405", "metrics_listen"},
		{"-S", "metrics_listen=127.0.0.1:", "metrics_listen"},
		{"-S", "metrics_listen=127.0.0.1:+9405", "metrics_listen"},
		{"-S", "metrics_listen=", "metrics_listen"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct qnetd_settings s;
		char err[512];
		print_message("%s %s\n", cases[i].flag, cases[i].value);
		assert_int_equal(parse(&s, err, ARGS(cases[i].flag, cases[i].value)), QNETD_ARGS_ERROR);
		assert_non_null(strstr(err, cases[i].named));
		qnetd_settings_destroy(&s);
	}
}

static void test_metrics_listen(void **state)
{
	(void)state;
	char addr[46];
	uint16_t port;
	assert_int_equal(qnetd_settings_parse_listen("9405", addr, &port), 0);
	assert_string_equal(addr, "127.0.0.1");
	assert_int_equal(port, 9405);
	assert_int_equal(qnetd_settings_parse_listen("0.0.0.0:1", addr, &port), 0);
	assert_string_equal(addr, "0.0.0.0");
	assert_int_equal(port, 1);
	assert_int_equal(qnetd_settings_parse_listen("[::]:65535", addr, &port), 0);
	assert_string_equal(addr, "::");
	assert_int_equal(port, 65535);
	assert_int_equal(qnetd_settings_parse_listen("[fe80::1:2:3:4]:80", addr, &port), 0);
	assert_string_equal(addr, "fe80::1:2:3:4");

	struct qnetd_settings s;
	char err[512];
	assert_int_equal(parse(&s, err, ARGS("-S", "metrics_listen=192.0.2.1:9405")), QNETD_ARGS_RUN);
	assert_string_equal(s.metrics_addr, "192.0.2.1");
	assert_int_equal(s.metrics_port, 9405);
	qnetd_settings_destroy(&s);
	assert_int_equal(parse(&s, err, ARGS("-f")), QNETD_ARGS_RUN);
	assert_string_equal(s.metrics_addr, ""); /* off unless asked for */
	qnetd_settings_destroy(&s);
}

static void test_advanced_syntax(void **state)
{
	(void)state;
	struct qnetd_settings s;
	char err[512];

	/* Case-insensitive keys, later wins, '=' inside values, several -S. */
	assert_int_equal(parse(&s, err, ARGS("-S", "LISTEN_BACKLOG=20,cert_nickname=a=b", "-S", "listen_backlog=30")),
			 QNETD_ARGS_RUN);
	assert_int_equal(s.listen_backlog, 30);
	assert_true(s.listen_backlog_set);
	assert_string_equal(s.cert_nickname, "a=b");
	qnetd_settings_destroy(&s);
	/* An empty key stops processing: the bogus key after it is never seen. */
	assert_int_equal(parse(&s, err, ARGS("-S", "ipc_max_clients=0,,bogus=1")), QNETD_ARGS_RUN);
	assert_int_equal(s.ipc_max_clients, 0);
	qnetd_settings_destroy(&s);
	/* Deprecated key accepted and ignored; limits at their edges. */
	assert_int_equal(parse(&s, err, ARGS("-S", "dpd_interval=5,heartbeat_interval_max=4294967295,"
						   "dpd_interval_coefficient=1000,local_socket_umask=0777,"
						   "local_socket_gid=-1,dpd_enabled=No,keep_active_partition_tie_breaker=YES")),
			 QNETD_ARGS_RUN);
	assert_int_equal(s.heartbeat_interval_max, 4294967295u);
	assert_true(s.dpd_interval_coefficient == 1000.0);
	assert_true(s.local_socket_umask_set);
	assert_int_equal(s.local_socket_umask, 0777);
	assert_false(s.local_socket_gid_set);
	assert_false(s.dpd_enabled);
	assert_true(s.keep_active_partition_tie_breaker);
	qnetd_settings_destroy(&s);
	assert_int_equal(parse(&s, err, ARGS("-S", "local_socket_gid=0,local_socket_umask=")), QNETD_ARGS_RUN);
	assert_true(s.local_socket_gid_set);
	assert_int_equal(s.local_socket_gid, 0);
	assert_false(s.local_socket_umask_set);
	qnetd_settings_destroy(&s);
}

/* Every key lands in its own field: distinct non-default values, all in one -S. */
static void test_every_key_stored(void **state)
{
	(void)state;
	struct qnetd_settings s;
	char err[512];

	assert_int_equal(parse(&s, err, ARGS("-S", "listen_backlog=11,max_client_send_buffers=33,max_client_send_size=34,"
						   "max_client_receive_size=35,nss_db_dir=/n,cert_nickname=Nick,"
						   "heartbeat_interval_min=1001,heartbeat_interval_max=120001,dpd_enabled=off,"
						   "dpd_interval_coefficient=2.5,lock_file=/l,local_socket_file=/s,"
						   "local_socket_umask=+17,local_socket_gid=7,local_socket_backlog=12,"
						   "ipc_max_clients=13,ipc_max_receive_size=4097,ipc_max_send_size=4098,"
						   "keep_active_partition_tie_breaker=on,init_timeout=0,"
						   "max_clients_per_address=3")),
			 QNETD_ARGS_RUN);
	assert_int_equal(s.listen_backlog, 11);
	assert_true(s.listen_backlog_set);
	assert_int_equal(s.max_client_send_buffers, 33);
	assert_int_equal(s.max_client_send_size, 34);
	assert_int_equal(s.max_client_receive_size, 35);
	assert_string_equal(s.nss_db_dir, "/n");
	assert_string_equal(s.cert_nickname, "Nick");
	assert_int_equal(s.heartbeat_interval_min, 1001);
	assert_int_equal(s.heartbeat_interval_max, 120001);
	assert_false(s.dpd_enabled);
	assert_true(s.dpd_interval_coefficient == 2.5);
	assert_string_equal(s.lock_file, "/l");
	assert_string_equal(s.local_socket_file, "/s");
	/* A leading '+' passes here (qdevice refuses it). */
	assert_true(s.local_socket_umask_set);
	assert_int_equal(s.local_socket_umask, 017);
	assert_true(s.local_socket_gid_set);
	assert_int_equal(s.local_socket_gid, 7);
	assert_int_equal(s.local_socket_backlog, 12);
	assert_int_equal(s.ipc_max_clients, 13);
	assert_int_equal(s.ipc_max_receive_size, 4097);
	assert_int_equal(s.ipc_max_send_size, 4098);
	assert_true(s.keep_active_partition_tie_breaker);
	assert_int_equal(s.init_timeout, 0);
	assert_int_equal(s.max_clients_per_address, 3);
	qnetd_settings_destroy(&s);

	/* Only listen_backlog marks itself as set. */
	assert_int_equal(parse(&s, err, ARGS("-S", "local_socket_backlog=5")), QNETD_ARGS_RUN);
	assert_false(s.listen_backlog_set);
	qnetd_settings_destroy(&s);
	/* A socket path that fits sun_path only just. */
	char path[160];
	memset(path, 'p', sizeof(path));
	memcpy(path, "local_socket_file=/", 19);
	path[19 + 106] = '\0';
	assert_int_equal(parse(&s, err, ARGS("-S", path)), QNETD_ARGS_RUN);
	assert_int_equal(strlen(s.local_socket_file), 107);
	qnetd_settings_destroy(&s);
	path[19 + 106] = 'p';
	path[19 + 107] = '\0';
	assert_int_equal(parse(&s, err, ARGS("-S", path)), QNETD_ARGS_ERROR);
	assert_non_null(strstr(err, "local_socket_file"));
	qnetd_settings_destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_metrics_listen),
		cmocka_unit_test(test_advanced_syntax),
		cmocka_unit_test(test_every_key_stored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* corosync-qdevice's command line and -S settings: defaults, every name's accepted range, and refusals in upstream's words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "qdevice_settings.h"

static enum qdevice_args_result parse(struct qdevice_settings *s, char *err, const char *const *args)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = (char *)"corosync-qdevice";
	for (; *args != NULL; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	qdevice_settings_init(s);
	err[0] = '\0';
	return qdevice_settings_parse_args(s, argc, argv, err, 512);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NOARGS ((const char *const[]){NULL})

static void test_defaults(void **state)
{
	(void)state;
	struct qdevice_settings s;
	char err[512];
	assert_int_equal(parse(&s, err, NOARGS), QDEVICE_ARGS_RUN);
	assert_int_equal(s.debug_level, 0);
	assert_false(s.foreground);
	assert_string_equal(s.lock_file, "/var/run/corosync-qdevice/corosync-qdevice.pid");
	assert_string_equal(s.local_socket_file, "/var/run/corosync-qdevice/corosync-qdevice.sock");
	assert_false(s.local_socket_umask_set);
	assert_false(s.local_socket_gid_set);
	assert_int_equal(s.local_socket_backlog, 10);
	assert_int_equal(s.max_cs_try_again, 10);
	assert_string_equal(s.votequorum_device_name, "Qdevice");
	assert_int_equal(s.ipc_max_clients, 10);
	assert_int_equal(s.ipc_max_receive_size, 4096);
	assert_int_equal(s.ipc_max_send_size, 65536);
	assert_int_equal(s.master_wins, QDEVICE_MASTER_WINS_MODEL);
	assert_int_equal(s.heuristics_ipc_max_send_buffers, 128);
	assert_int_equal(s.heuristics_ipc_max_send_receive_size, 4096);
	assert_int_equal(s.heuristics_min_timeout, 1000);
	assert_int_equal(s.heuristics_max_timeout, 120000);
	assert_int_equal(s.heuristics_min_interval, 1000);
	assert_int_equal(s.heuristics_max_interval, 3600000);
	assert_int_equal(s.heuristics_max_execs, 32);
	assert_false(s.heuristics_use_execvp);
	assert_int_equal(s.heuristics_max_processes, 160);
	assert_int_equal(s.heuristics_kill_list_interval, 5000);
	assert_string_equal(s.net_nss_db_dir, "/etc/corosync/qdevice/net/nssdb");
	assert_int_equal(s.net_initial_msg_receive_size, 32768);
	assert_int_equal(s.net_initial_msg_send_size, 32768);
	assert_int_equal(s.net_min_msg_send_size, 32768);
	assert_int_equal(s.net_max_msg_receive_size, 16777216);
	assert_int_equal(s.net_max_send_buffers, 10);
	assert_string_equal(s.net_nss_qnetd_cn, "Qnetd Server");
	assert_string_equal(s.net_nss_client_cert_nickname, "Cluster Cert");
	assert_int_equal(s.net_heartbeat_interval_min, 1000);
	assert_int_equal(s.net_heartbeat_interval_max, 120000);
	assert_int_equal(s.net_min_connect_timeout, 1000);
	assert_int_equal(s.net_max_connect_timeout, 120000);
	assert_false(s.net_test_algorithm_enabled);
	qdevice_settings_destroy(&s);
}

static void test_flags(void **state)
{
	(void)state;
	struct qdevice_settings s;
	char err[512];

	assert_int_equal(parse(&s, err, ARGS("-f", "-dd")), QDEVICE_ARGS_RUN);
	assert_true(s.foreground);
	assert_int_equal(s.debug_level, 2);
	qdevice_settings_destroy(&s);
	/* Non-option arguments are silently ignored. */
	assert_int_equal(parse(&s, err, ARGS("-d", "extra", "words")), QDEVICE_ARGS_RUN);
	assert_int_equal(s.debug_level, 1);
	qdevice_settings_destroy(&s);
	assert_int_equal(parse(&s, err, ARGS("-h")), QDEVICE_ARGS_USAGE);
	assert_string_equal(err, "");
	qdevice_settings_destroy(&s);
	assert_int_equal(parse(&s, err, ARGS("-x")), QDEVICE_ARGS_USAGE);
	assert_string_equal(err, "invalid option -- 'x'");
	qdevice_settings_destroy(&s);
	/* qnetd's flags are not qdevice's. */
	assert_int_equal(parse(&s, err, ARGS("-v")), QDEVICE_ARGS_USAGE);
	qdevice_settings_destroy(&s);
	assert_int_equal(parse(&s, err, ARGS("-S")), QDEVICE_ARGS_USAGE);
	assert_string_equal(err, "option requires an argument -- 'S'");
	qdevice_settings_destroy(&s);
	assert_string_equal(QDEVICE_USAGE, "usage: corosync-qdevice [-dfh] [-S option=value[,option2=value2,...]]");
	assert_string_equal(QDEVICE_GETOPT_STRING, "dfhS:");
}

/* One accepted -S item and the field it must set. */
struct good {
	const char *item;
	size_t offset;
	char kind;              /* 'i' int, 'l' long long, 'u' u32, 'b' bool, 's' string */
	long long number;
	const char *text;
};

#define F(f) offsetof(struct qdevice_settings, f)

static void check_good(const struct good *g)
{
	struct qdevice_settings s;
	char err[512];

	print_message("-S %s\n", g->item);
	assert_int_equal(parse(&s, err, ARGS("-S", g->item)), QDEVICE_ARGS_RUN);
	const char *base = (const char *)&s;
	switch (g->kind) {
	case 'i': assert_int_equal(*(const int *)(const void *)(base + g->offset), g->number); break;
	case 'l': assert_int_equal(*(const long long *)(const void *)(base + g->offset), g->number); break;
	case 'u': assert_int_equal(*(const uint32_t *)(const void *)(base + g->offset), g->number); break;
	case 'b': assert_int_equal(*(const bool *)(const void *)(base + g->offset), g->number); break;
	case 's': assert_string_equal(*(char *const *)(const void *)(base + g->offset), g->text); break;
	default: fail();
	}
	qdevice_settings_destroy(&s);
}

static void test_good_values(void **state)
{
	(void)state;
	static const struct good cases[] = {
		{"lock_file=/tmp/q.pid", F(lock_file), 's', 0, "/tmp/q.pid"},
		{"lock_file=", F(lock_file), 's', 0, ""},
		{"local_socket_file=/tmp/q.sock", F(local_socket_file), 's', 0, "/tmp/q.sock"},
		/* Length is checked at bind time, not here (upstream accepts an empty name). */
		{"local_socket_file=", F(local_socket_file), 's', 0, ""},
		{"local_socket_backlog=1", F(local_socket_backlog), 'i', 1, NULL},
		{"local_socket_backlog=2147483647", F(local_socket_backlog), 'i', 2147483647, NULL},
		{"local_socket_backlog= 5", F(local_socket_backlog), 'i', 5, NULL},
		{"local_socket_backlog=+5", F(local_socket_backlog), 'i', 5, NULL},
		{"max_cs_try_again=1", F(max_cs_try_again), 'i', 1, NULL},
		{"votequorum_device_name=Other", F(votequorum_device_name), 's', 0, "Other"},
		{"ipc_max_clients=0", F(ipc_max_clients), 'l', 0, NULL},
		{"ipc_max_clients=9223372036854775807", F(ipc_max_clients), 'l', 9223372036854775807LL, NULL},
		{"ipc_max_receive_size=1024", F(ipc_max_receive_size), 'l', 1024, NULL},
		{"ipc_max_send_size=1024", F(ipc_max_send_size), 'l', 1024, NULL},
		{"heuristics_ipc_max_send_buffers=10", F(heuristics_ipc_max_send_buffers), 'l', 10, NULL},
		{"heuristics_ipc_max_send_receive_size=1024", F(heuristics_ipc_max_send_receive_size), 'l', 1024, NULL},
		{"heuristics_min_timeout=250", F(heuristics_min_timeout), 'u', 250, NULL},
		{"heuristics_max_timeout=4294967295", F(heuristics_max_timeout), 'u', 4294967295LL, NULL},
		{"heuristics_min_interval=250", F(heuristics_min_interval), 'u', 250, NULL},
		{"heuristics_max_interval=4294967295", F(heuristics_max_interval), 'u', 4294967295LL, NULL},
		{"heuristics_max_execs=1", F(heuristics_max_execs), 'l', 1, NULL},
		{"heuristics_use_execvp=on", F(heuristics_use_execvp), 'b', 1, NULL},
		{"heuristics_use_execvp=YES", F(heuristics_use_execvp), 'b', 1, NULL},
		{"heuristics_max_processes=1", F(heuristics_max_processes), 'l', 1, NULL},
		{"heuristics_kill_list_interval=250", F(heuristics_kill_list_interval), 'u', 250, NULL},
		{"net_nss_db_dir=/tmp/nss", F(net_nss_db_dir), 's', 0, "/tmp/nss"},
		{"net_initial_msg_receive_size=16", F(net_initial_msg_receive_size), 'l', 16, NULL},
		{"net_initial_msg_send_size=16", F(net_initial_msg_send_size), 'l', 16, NULL},
		{"net_min_msg_send_size=16", F(net_min_msg_send_size), 'l', 16, NULL},
		{"net_max_msg_receive_size=16", F(net_max_msg_receive_size), 'l', 16, NULL},
		{"net_max_send_buffers=2", F(net_max_send_buffers), 'l', 2, NULL},
		{"net_nss_qnetd_cn=Other Server", F(net_nss_qnetd_cn), 's', 0, "Other Server"},
		{"net_nss_client_cert_nickname=a=b", F(net_nss_client_cert_nickname), 's', 0, "a=b"},
		{"net_heartbeat_interval_min=1", F(net_heartbeat_interval_min), 'u', 1, NULL},
		{"net_heartbeat_interval_max=4294967295", F(net_heartbeat_interval_max), 'u', 4294967295LL, NULL},
		{"net_min_connect_timeout=1", F(net_min_connect_timeout), 'u', 1, NULL},
		{"net_max_connect_timeout=4294967295", F(net_max_connect_timeout), 'u', 4294967295LL, NULL},
		{"net_test_algorithm_enabled=1", F(net_test_algorithm_enabled), 'b', 1, NULL},
		{"NET_TEST_ALGORITHM_ENABLED=On", F(net_test_algorithm_enabled), 'b', 1, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_good(&cases[i]);
}

static void test_master_wins_and_socket_ownership(void **state)
{
	(void)state;
	struct qdevice_settings s;
	char err[512];
	static const struct {
		const char *item;
		enum qdevice_master_wins want;
	} mw[] = {
		{"master_wins=model", QDEVICE_MASTER_WINS_MODEL}, {"master_wins=MoDeL", QDEVICE_MASTER_WINS_MODEL},
		{"master_wins=on", QDEVICE_MASTER_WINS_FORCE_ON}, {"master_wins=1", QDEVICE_MASTER_WINS_FORCE_ON},
		{"master_wins=no", QDEVICE_MASTER_WINS_FORCE_OFF}, {"master_wins=OFF", QDEVICE_MASTER_WINS_FORCE_OFF},
	};
	for (size_t i = 0; i < sizeof(mw) / sizeof(mw[0]); i++) {
		assert_int_equal(parse(&s, err, ARGS("-S", "master_wins=on", "-S", mw[i].item)), QDEVICE_ARGS_RUN);
		assert_int_equal(s.master_wins, mw[i].want);
		qdevice_settings_destroy(&s);
	}

	assert_int_equal(parse(&s, err, ARGS("-S", "local_socket_umask=0777,local_socket_gid=0")), QDEVICE_ARGS_RUN);
	assert_true(s.local_socket_umask_set);
	assert_int_equal(s.local_socket_umask, 0777);
	assert_true(s.local_socket_gid_set);
	assert_int_equal(s.local_socket_gid, 0);
	qdevice_settings_destroy(&s);
	assert_int_equal(parse(&s, err, ARGS("-S", "local_socket_umask=007,local_socket_gid=root", "-S",
					     "local_socket_umask=,local_socket_gid=")),
			 QDEVICE_ARGS_RUN);
	assert_false(s.local_socket_umask_set);
	assert_false(s.local_socket_gid_set);
	qdevice_settings_destroy(&s);
	assert_int_equal(parse(&s, err, ARGS("-S", "local_socket_gid=-1")), QDEVICE_ARGS_RUN);
	assert_false(s.local_socket_gid_set);
	qdevice_settings_destroy(&s);
}

struct refusal {
	const char *item;
	const char *err;        /* the whole message, upstream's words */
};

static void test_refusals(void **state)
{
	(void)state;
	static const struct refusal cases[] = {
		{"foo=1", "Unknown option 'foo'"},
		{"a=b=c", "Unknown option 'a'"},
		{"foo=1,=x", "Unknown option 'foo'"},
		{"ipc_max_clients", "Invalid value '' for option 'ipc_max_clients'"},
		{"ipc_max_clients=-1", "Invalid value '-1' for option 'ipc_max_clients'"},
		{"ipc_max_clients=x", "Invalid value 'x' for option 'ipc_max_clients'"},
		{"ipc_max_clients=9223372036854775808", "Invalid value '9223372036854775808' for option 'ipc_max_clients'"},
		{"local_socket_backlog=0", "Invalid value '0' for option 'local_socket_backlog'"},
		{"local_socket_backlog=2147483648", "Invalid value '2147483648' for option 'local_socket_backlog'"},
		{"max_cs_try_again=0", "Invalid value '0' for option 'max_cs_try_again'"},
		{"ipc_max_receive_size=1023", "Invalid value '1023' for option 'ipc_max_receive_size'"},
		{"ipc_max_send_size=1023", "Invalid value '1023' for option 'ipc_max_send_size'"},
		{"master_wins=x", "Invalid value 'x' for option 'master_wins'"},
		{"master_wins=", "Invalid value '' for option 'master_wins'"},
		{"heuristics_ipc_max_send_buffers=9", "Invalid value '9' for option 'heuristics_ipc_max_send_buffers'"},
		{"heuristics_ipc_max_send_receive_size=1023",
		 "Invalid value '1023' for option 'heuristics_ipc_max_send_receive_size'"},
		{"Heuristics_min_timeout=249", "Invalid value '249' for option 'Heuristics_min_timeout'"},
		{"heuristics_max_timeout=4294967296", "Invalid value '4294967296' for option 'heuristics_max_timeout'"},
		{"heuristics_min_interval=249", "Invalid value '249' for option 'heuristics_min_interval'"},
		{"heuristics_max_interval=249", "Invalid value '249' for option 'heuristics_max_interval'"},
		{"heuristics_max_execs=0", "Invalid value '0' for option 'heuristics_max_execs'"},
		{"heuristics_use_execvp=2", "Invalid value '2' for option 'heuristics_use_execvp'"},
		{"heuristics_max_processes=0", "Invalid value '0' for option 'heuristics_max_processes'"},
		{"heuristics_kill_list_interval=249", "Invalid value '249' for option 'heuristics_kill_list_interval'"},
		{"net_initial_msg_receive_size=15", "Invalid value '15' for option 'net_initial_msg_receive_size'"},
		{"net_initial_msg_send_size=15", "Invalid value '15' for option 'net_initial_msg_send_size'"},
		{"net_min_msg_send_size=15", "Invalid value '15' for option 'net_min_msg_send_size'"},
		{"net_max_msg_receive_size=15", "Invalid value '15' for option 'net_max_msg_receive_size'"},
		{"net_max_send_buffers=1", "Invalid value '1' for option 'net_max_send_buffers'"},
		{"net_heartbeat_interval_min=0", "Invalid value '0' for option 'net_heartbeat_interval_min'"},
		{"net_heartbeat_interval_max=0", "Invalid value '0' for option 'net_heartbeat_interval_max'"},
		{"net_min_connect_timeout=0", "Invalid value '0' for option 'net_min_connect_timeout'"},
		{"net_max_connect_timeout=4294967296", "Invalid value '4294967296' for option 'net_max_connect_timeout'"},
		{"net_test_algorithm_enabled=maybe", "Invalid value 'maybe' for option 'net_test_algorithm_enabled'"},
		{"local_socket_umask=0800", "Invalid value '0800' for option 'local_socket_umask'"},
		{"local_socket_umask=-1", "Invalid value '-1' for option 'local_socket_umask'"},
		/* qnetd takes a leading '+'; qdevice never has. */
		{"local_socket_umask=+17", "Invalid value '+17' for option 'local_socket_umask'"},
		{"local_socket_gid=no-such-group-here", "Invalid value 'no-such-group-here' for option 'local_socket_gid'"},
		{"local_socket_gid=4294967296", "Invalid value '4294967296' for option 'local_socket_gid'"},
		/* qnetd's names are not qdevice's. */
		{"listen_backlog=5", "Unknown option 'listen_backlog'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct qdevice_settings s;
		char err[512];
		print_message("-S %s\n", cases[i].item);
		assert_int_equal(parse(&s, err, ARGS("-S", cases[i].item)), QDEVICE_ARGS_ERROR);
		assert_string_equal(err, cases[i].err);
		qdevice_settings_destroy(&s);
	}
}

static void test_advanced_syntax(void **state)
{
	(void)state;
	struct qdevice_settings s;
	char err[512];

	/* Later values override earlier ones, across items and across -S flags. */
	assert_int_equal(parse(&s, err, ARGS("-S", "IPC_MAX_CLIENTS=3,ipc_max_clients=4", "-S", "ipc_max_clients=5")),
			 QDEVICE_ARGS_RUN);
	assert_int_equal(s.ipc_max_clients, 5);
	qdevice_settings_destroy(&s);
	/* An empty name stops processing silently: nothing after it is looked at. */
	assert_int_equal(parse(&s, err, ARGS("-S", "ipc_max_clients=0,,bogus=1")), QDEVICE_ARGS_RUN);
	assert_int_equal(s.ipc_max_clients, 0);
	qdevice_settings_destroy(&s);
	assert_int_equal(parse(&s, err, ARGS("-S", ",bogus=1")), QDEVICE_ARGS_RUN);
	qdevice_settings_destroy(&s);
	assert_int_equal(parse(&s, err, ARGS("-S", "=x,bogus")), QDEVICE_ARGS_RUN);
	qdevice_settings_destroy(&s);
	/* The first error wins; the items before it were applied. */
	assert_int_equal(parse(&s, err, ARGS("-S", "ipc_max_send_size=2048,foo=1,bar=2")), QDEVICE_ARGS_ERROR);
	assert_string_equal(err, "Unknown option 'foo'");
	assert_int_equal(s.ipc_max_send_size, 2048);
	qdevice_settings_destroy(&s);
	/* A second -S is not reached after an error in the first. */
	assert_int_equal(parse(&s, err, ARGS("-S", "x=1", "-S", "y=1")), QDEVICE_ARGS_ERROR);
	assert_string_equal(err, "Unknown option 'x'");
	qdevice_settings_destroy(&s);
	/* Direct use of the -S applier. */
	qdevice_settings_init(&s);
	assert_int_equal(qdevice_settings_apply_advanced(&s, "heuristics_use_execvp=yes", err, sizeof(err)), 0);
	assert_true(s.heuristics_use_execvp);
	assert_int_equal(qdevice_settings_apply_advanced(&s, "heuristics_use_execvp=nope", err, sizeof(err)), -1);
	assert_true(s.heuristics_use_execvp);
	qdevice_settings_destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_master_wins_and_socket_ownership),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_advanced_syntax),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

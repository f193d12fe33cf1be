/* corosync-qdevice's configuration from its command line: flags and -S settings (man/corosync-qdevice.8). */
#include "qdevice_settings.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "parse.h"

#define FIELD(f) offsetof(struct qdevice_settings, f)

/* Every -S name upstream knows (man/corosync-qdevice.8), with its accepted range. */
static const struct parse_setting settings_table[] = {
	{"lock_file", PARSE_SETTING_STRING, FIELD(lock_file), 0, 0},
	{"local_socket_file", PARSE_SETTING_STRING, FIELD(local_socket_file), 0, 0},
	{"local_socket_umask", PARSE_SETTING_OTHER, 0, 0, 0},
	{"local_socket_gid", PARSE_SETTING_OTHER, 0, 0, 0},
	{"local_socket_backlog", PARSE_SETTING_INT, FIELD(local_socket_backlog), 1, INT_MAX},
	{"max_cs_try_again", PARSE_SETTING_INT, FIELD(max_cs_try_again), 1, INT_MAX},
	{"votequorum_device_name", PARSE_SETTING_STRING, FIELD(votequorum_device_name), 0, 0},
	{"ipc_max_clients", PARSE_SETTING_LL, FIELD(ipc_max_clients), 0, LLONG_MAX},
	{"ipc_max_receive_size", PARSE_SETTING_LL, FIELD(ipc_max_receive_size), 1024, LLONG_MAX},
	{"ipc_max_send_size", PARSE_SETTING_LL, FIELD(ipc_max_send_size), 1024, LLONG_MAX},
	{"master_wins", PARSE_SETTING_OTHER, 0, 0, 0},
	{"heuristics_ipc_max_send_buffers", PARSE_SETTING_LL, FIELD(heuristics_ipc_max_send_buffers), 10, LLONG_MAX},
	{"heuristics_ipc_max_send_receive_size", PARSE_SETTING_LL, FIELD(heuristics_ipc_max_send_receive_size), 1024,
	 LLONG_MAX},
	{"heuristics_min_timeout", PARSE_SETTING_U32, FIELD(heuristics_min_timeout), 250, UINT32_MAX},
	{"heuristics_max_timeout", PARSE_SETTING_U32, FIELD(heuristics_max_timeout), 250, UINT32_MAX},
	{"heuristics_min_interval", PARSE_SETTING_U32, FIELD(heuristics_min_interval), 250, UINT32_MAX},
	{"heuristics_max_interval", PARSE_SETTING_U32, FIELD(heuristics_max_interval), 250, UINT32_MAX},
	{"heuristics_max_execs", PARSE_SETTING_LL, FIELD(heuristics_max_execs), 1, LLONG_MAX},
	{"heuristics_use_execvp", PARSE_SETTING_BOOL, FIELD(heuristics_use_execvp), 0, 0},
	{"heuristics_max_processes", PARSE_SETTING_LL, FIELD(heuristics_max_processes), 1, LLONG_MAX},
	{"heuristics_kill_list_interval", PARSE_SETTING_U32, FIELD(heuristics_kill_list_interval), 250, UINT32_MAX},
	{"net_nss_db_dir", PARSE_SETTING_STRING, FIELD(net_nss_db_dir), 0, 0},
	{"net_initial_msg_receive_size", PARSE_SETTING_LL, FIELD(net_initial_msg_receive_size), 16, LLONG_MAX},
	{"net_initial_msg_send_size", PARSE_SETTING_LL, FIELD(net_initial_msg_send_size), 16, LLONG_MAX},
	{"net_min_msg_send_size", PARSE_SETTING_LL, FIELD(net_min_msg_send_size), 16, LLONG_MAX},
	{"net_max_msg_receive_size", PARSE_SETTING_LL, FIELD(net_max_msg_receive_size), 16, LLONG_MAX},
	{"net_max_send_buffers", PARSE_SETTING_LL, FIELD(net_max_send_buffers), 2, LLONG_MAX},
	{"net_nss_qnetd_cn", PARSE_SETTING_STRING, FIELD(net_nss_qnetd_cn), 0, 0},
	{"net_nss_client_cert_nickname", PARSE_SETTING_STRING, FIELD(net_nss_client_cert_nickname), 0, 0},
	{"net_heartbeat_interval_min", PARSE_SETTING_U32, FIELD(net_heartbeat_interval_min), 1, UINT32_MAX},
	{"net_heartbeat_interval_max", PARSE_SETTING_U32, FIELD(net_heartbeat_interval_max), 1, UINT32_MAX},
	{"net_min_connect_timeout", PARSE_SETTING_U32, FIELD(net_min_connect_timeout), 1, UINT32_MAX},
	{"net_max_connect_timeout", PARSE_SETTING_U32, FIELD(net_max_connect_timeout), 1, UINT32_MAX},
	{"net_test_algorithm_enabled", PARSE_SETTING_BOOL, FIELD(net_test_algorithm_enabled), 0, 0},
};

#define SETTINGS_COUNT (sizeof(settings_table) / sizeof(settings_table[0]))

void qdevice_settings_init(struct qdevice_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->lock_file = strdup(QDEVICE_DEFAULT_LOCK_FILE);
	s->local_socket_file = strdup(QDEVICE_DEFAULT_LOCAL_SOCKET);
	s->local_socket_backlog = 10;
	s->max_cs_try_again = 10;
	s->votequorum_device_name = strdup(QDEVICE_DEFAULT_VOTEQUORUM_DEVICE_NAME);
	s->ipc_max_clients = 10;
	s->ipc_max_receive_size = 4096;
	s->ipc_max_send_size = 65536;
	s->master_wins = QDEVICE_MASTER_WINS_MODEL;
	s->heuristics_ipc_max_send_buffers = 128;
	s->heuristics_ipc_max_send_receive_size = 4096;
	s->heuristics_min_timeout = 1000;
	s->heuristics_max_timeout = 120000;
	s->heuristics_min_interval = 1000;
	s->heuristics_max_interval = 3600000;
	s->heuristics_max_execs = 32;
	s->heuristics_use_execvp = false;
	s->heuristics_max_processes = 160;
	s->heuristics_kill_list_interval = 5000;
	s->net_nss_db_dir = strdup(QDEVICE_DEFAULT_NET_NSS_DB_DIR);
	s->net_initial_msg_receive_size = 32768;
	s->net_initial_msg_send_size = 32768;
	s->net_min_msg_send_size = 32768;
	s->net_max_msg_receive_size = 16777216;
	s->net_max_send_buffers = 10;
	s->net_nss_qnetd_cn = strdup(QDEVICE_DEFAULT_NET_QNETD_CN);
	s->net_nss_client_cert_nickname = strdup(QDEVICE_DEFAULT_NET_CLIENT_CERT_NICKNAME);
	s->net_heartbeat_interval_min = 1000;
	s->net_heartbeat_interval_max = 120000;
	s->net_min_connect_timeout = 1000;
	s->net_max_connect_timeout = 120000;
	/* Upstream enables it only in --enable-debug builds; release builds (Debian's) keep it off. */
	s->net_test_algorithm_enabled = false;
}

void qdevice_settings_destroy(struct qdevice_settings *s)
{
	free(s->lock_file);
	free(s->local_socket_file);
	free(s->votequorum_device_name);
	free(s->net_nss_db_dir);
	free(s->net_nss_qnetd_cn);
	free(s->net_nss_client_cert_nickname);
	memset(s, 0, sizeof(*s));
}

static int invalid_value(char *err, size_t err_len, const char *value, const char *name)
{
	snprintf(err, err_len, "Invalid value '%s' for option '%s'", value, name);
	return -1;
}

/* Where one -S argument is applied and its error goes. */
struct apply_ctx {
	struct qdevice_settings *s;
	char *err;
	size_t err_len;
};

/* The keys the table leaves to us (PARSE_SETTING_OTHER). */
static int apply_other(struct qdevice_settings *s, const char *name, const char *value)
{
	bool b;

	if (strcasecmp(name, "local_socket_umask") == 0)
		/* Unlike qnetd, a leading '+' has always been refused here. */
		return parse_umask(value, false, &s->local_socket_umask_set, &s->local_socket_umask);
	if (strcasecmp(name, "local_socket_gid") == 0)
		return parse_gid(value, &s->local_socket_gid_set, &s->local_socket_gid);
	/* master_wins */
	if (strcasecmp(value, "model") == 0)
		s->master_wins = QDEVICE_MASTER_WINS_MODEL;
	else if (parse_bool(value, &b) == 0)
		s->master_wins = b ? QDEVICE_MASTER_WINS_FORCE_ON : QDEVICE_MASTER_WINS_FORCE_OFF;
	else
		return -1;
	return 0;
}

/* Applies one name=value pair (a parse_kv_apply_fn); name is non-empty. Returns 0, -1 (err set). */
static int apply_one(void *ctx, const char *name, const char *value)
{
	const struct apply_ctx *a = ctx;
	const struct parse_setting *def = parse_setting_find(settings_table, SETTINGS_COUNT, name);

	if (def == NULL) {
		snprintf(a->err, a->err_len, "Unknown option '%s'", name);
		return -1;
	}
	int rc = def->kind == PARSE_SETTING_OTHER ? apply_other(a->s, name, value)
						  : parse_setting_store(def, a->s, value);
	if (rc == -2) {
		snprintf(a->err, a->err_len, "Can't alloc memory for option '%s'", name);
		return -1;
	}
	if (rc != 0)
		return invalid_value(a->err, a->err_len, value, name);
	return 0;
}

int qdevice_settings_apply_advanced(struct qdevice_settings *s, const char *arg, char *err, size_t err_len)
{
	struct apply_ctx ctx = {s, err, err_len};
	char *copy = strdup(arg);

	if (copy == NULL) {
		snprintf(err, err_len, "Can't alloc memory for advanced settings");
		return -1;
	}
	int rc = parse_kv_list(copy, apply_one, &ctx);
	free(copy);
	return rc;
}

enum qdevice_args_result qdevice_settings_parse_args(struct qdevice_settings *s, int argc, char **argv,
						     char *err, size_t err_len)
{
	int ch;

	if (err_len > 0)
		err[0] = '\0';
	if (s->lock_file == NULL || s->local_socket_file == NULL || s->votequorum_device_name == NULL ||
	    s->net_nss_db_dir == NULL || s->net_nss_qnetd_cn == NULL || s->net_nss_client_cert_nickname == NULL)
		return QDEVICE_ARGS_NOMEM;
	optind = 1;
	opterr = 0;
	while ((ch = getopt(argc, argv, QDEVICE_GETOPT_STRING)) != -1) {
		switch (ch) {
		case 'd':
			s->debug_level++;
			break;
		case 'f':
			s->foreground = true;
			break;
		case 'S':
			if (qdevice_settings_apply_advanced(s, optarg, err, err_len) != 0)
				return QDEVICE_ARGS_ERROR;
			break;
		case 'h':
			return QDEVICE_ARGS_USAGE;
		default:
			/* getopt's own text, for the caller to print as "<argv0>: <err>" before the usage. */
			if (optopt == 'S')
				snprintf(err, err_len, "option requires an argument -- '%c'", optopt);
			else
				snprintf(err, err_len, "invalid option -- '%c'", optopt);
			return QDEVICE_ARGS_USAGE;
		}
	}
	return QDEVICE_ARGS_RUN;
}

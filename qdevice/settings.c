/* corosync-qdevice's configuration from its command line: flags and -S advanced settings (qdevice.md §1.3-1.4). */
#include "settings.h"

#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "parse.h"

/* How one -S name is parsed and where its value lands. */
enum setting_kind {
	KIND_STRING,    /* char * */
	KIND_INT,       /* int, range min..max */
	KIND_LL,        /* long long, range min..max */
	KIND_U32,       /* uint32_t, range min..max */
	KIND_BOOL,      /* bool */
	KIND_UMASK,     /* octal 0..0777 or empty */
	KIND_GID,       /* -1..UINT_MAX, a group name, or empty */
	KIND_MASTER_WINS,
};

struct setting_def {
	const char *name;
	enum setting_kind kind;
	size_t offset;
	long long min;
	long long max;
};

#define FIELD(f) offsetof(struct qdevice_settings, f)

/* Every -S name upstream knows (§1.4), with its accepted range. */
static const struct setting_def settings_table[] = {
	{"lock_file", KIND_STRING, FIELD(lock_file), 0, 0},
	{"local_socket_file", KIND_STRING, FIELD(local_socket_file), 0, 0},
	{"local_socket_umask", KIND_UMASK, 0, 0, 0},
	{"local_socket_gid", KIND_GID, 0, 0, 0},
	{"local_socket_backlog", KIND_INT, FIELD(local_socket_backlog), 1, INT_MAX},
	{"max_cs_try_again", KIND_INT, FIELD(max_cs_try_again), 1, INT_MAX},
	{"votequorum_device_name", KIND_STRING, FIELD(votequorum_device_name), 0, 0},
	{"ipc_max_clients", KIND_LL, FIELD(ipc_max_clients), 0, LLONG_MAX},
	{"ipc_max_receive_size", KIND_LL, FIELD(ipc_max_receive_size), 1024, LLONG_MAX},
	{"ipc_max_send_size", KIND_LL, FIELD(ipc_max_send_size), 1024, LLONG_MAX},
	{"master_wins", KIND_MASTER_WINS, 0, 0, 0},
	{"heuristics_ipc_max_send_buffers", KIND_LL, FIELD(heuristics_ipc_max_send_buffers), 10, LLONG_MAX},
	{"heuristics_ipc_max_send_receive_size", KIND_LL, FIELD(heuristics_ipc_max_send_receive_size), 1024,
	 LLONG_MAX},
	{"heuristics_min_timeout", KIND_U32, FIELD(heuristics_min_timeout), 250, UINT32_MAX},
	{"heuristics_max_timeout", KIND_U32, FIELD(heuristics_max_timeout), 250, UINT32_MAX},
	{"heuristics_min_interval", KIND_U32, FIELD(heuristics_min_interval), 250, UINT32_MAX},
	{"heuristics_max_interval", KIND_U32, FIELD(heuristics_max_interval), 250, UINT32_MAX},
	{"heuristics_max_execs", KIND_LL, FIELD(heuristics_max_execs), 1, LLONG_MAX},
	{"heuristics_use_execvp", KIND_BOOL, FIELD(heuristics_use_execvp), 0, 0},
	{"heuristics_max_processes", KIND_LL, FIELD(heuristics_max_processes), 1, LLONG_MAX},
	{"heuristics_kill_list_interval", KIND_U32, FIELD(heuristics_kill_list_interval), 250, UINT32_MAX},
	{"net_nss_db_dir", KIND_STRING, FIELD(net_nss_db_dir), 0, 0},
	{"net_initial_msg_receive_size", KIND_LL, FIELD(net_initial_msg_receive_size), 16, LLONG_MAX},
	{"net_initial_msg_send_size", KIND_LL, FIELD(net_initial_msg_send_size), 16, LLONG_MAX},
	{"net_min_msg_send_size", KIND_LL, FIELD(net_min_msg_send_size), 16, LLONG_MAX},
	{"net_max_msg_receive_size", KIND_LL, FIELD(net_max_msg_receive_size), 16, LLONG_MAX},
	{"net_max_send_buffers", KIND_LL, FIELD(net_max_send_buffers), 2, LLONG_MAX},
	{"net_nss_qnetd_cn", KIND_STRING, FIELD(net_nss_qnetd_cn), 0, 0},
	{"net_nss_client_cert_nickname", KIND_STRING, FIELD(net_nss_client_cert_nickname), 0, 0},
	{"net_heartbeat_interval_min", KIND_U32, FIELD(net_heartbeat_interval_min), 1, UINT32_MAX},
	{"net_heartbeat_interval_max", KIND_U32, FIELD(net_heartbeat_interval_max), 1, UINT32_MAX},
	{"net_min_connect_timeout", KIND_U32, FIELD(net_min_connect_timeout), 1, UINT32_MAX},
	{"net_max_connect_timeout", KIND_U32, FIELD(net_max_connect_timeout), 1, UINT32_MAX},
	{"net_test_algorithm_enabled", KIND_BOOL, FIELD(net_test_algorithm_enabled), 0, 0},
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

static int parse_umask(const char *value, bool *set, mode_t *mask)
{
	char *end;

	if (*value == '\0') {
		*set = false;
		return 0;
	}
	if (value[0] == '-' || value[0] == '+')
		return -1;
	unsigned long m = strtoul(value, &end, 8);
	if (*end != '\0' || m > 0777)
		return -1;
	*mask = (mode_t)m;
	*set = true;
	return 0;
}

static int parse_gid(const char *value, bool *set, gid_t *gid)
{
	long long ll;

	if (*value == '\0') {
		*set = false;
		return 0;
	}
	if (parse_ll(value, -1, UINT_MAX, &ll) == 0) {
		*set = ll != -1;
		*gid = (gid_t)ll;
		return 0;
	}
	struct group *g = getgrnam(value);
	if (g == NULL)
		return -1;
	*gid = g->gr_gid;
	*set = true;
	return 0;
}

/* Applies one name=value pair; name is non-empty. Returns 0, -1 (err set). */
static int apply_one(struct qdevice_settings *s, const char *name, const char *value, char *err, size_t err_len)
{
	const struct setting_def *def = NULL;
	long long ll;
	bool b;

	for (size_t i = 0; i < SETTINGS_COUNT; i++) {
		if (strcasecmp(settings_table[i].name, name) == 0) {
			def = &settings_table[i];
			break;
		}
	}
	if (def == NULL) {
		snprintf(err, err_len, "Unknown option '%s'", name);
		return -1;
	}

	char *field = (char *)s + def->offset;
	switch (def->kind) {
	case KIND_STRING: {
		char *copy = strdup(value);
		if (copy == NULL) {
			snprintf(err, err_len, "Can't alloc memory for option '%s'", name);
			return -1;
		}
		char **slot = (char **)(void *)field;
		free(*slot);
		*slot = copy;
		break;
	}
	case KIND_INT:
		if (parse_ll(value, def->min, def->max, &ll) != 0)
			return invalid_value(err, err_len, value, name);
		*(int *)(void *)field = (int)ll;
		break;
	case KIND_LL:
		if (parse_ll(value, def->min, def->max, &ll) != 0)
			return invalid_value(err, err_len, value, name);
		*(long long *)(void *)field = ll;
		break;
	case KIND_U32:
		if (parse_ll(value, def->min, def->max, &ll) != 0)
			return invalid_value(err, err_len, value, name);
		*(uint32_t *)(void *)field = (uint32_t)ll;
		break;
	case KIND_BOOL:
		if (parse_bool(value, &b) != 0)
			return invalid_value(err, err_len, value, name);
		*(bool *)(void *)field = b;
		break;
	case KIND_UMASK:
		if (parse_umask(value, &s->local_socket_umask_set, &s->local_socket_umask) != 0)
			return invalid_value(err, err_len, value, name);
		break;
	case KIND_GID:
		if (parse_gid(value, &s->local_socket_gid_set, &s->local_socket_gid) != 0)
			return invalid_value(err, err_len, value, name);
		break;
	case KIND_MASTER_WINS:
		if (strcasecmp(value, "model") == 0)
			s->master_wins = QDEVICE_MASTER_WINS_MODEL;
		else if (parse_bool(value, &b) == 0)
			s->master_wins = b ? QDEVICE_MASTER_WINS_FORCE_ON : QDEVICE_MASTER_WINS_FORCE_OFF;
		else
			return invalid_value(err, err_len, value, name);
		break;
	}
	return 0;
}

int qdevice_settings_apply_advanced(struct qdevice_settings *s, const char *arg, char *err, size_t err_len)
{
	char *copy = strdup(arg);
	int rc = 0;

	if (copy == NULL) {
		snprintf(err, err_len, "Can't alloc memory for advanced settings");
		return -1;
	}
	char *item = copy;
	while (item != NULL) {
		char *next = strchr(item, ',');
		if (next != NULL)
			*next++ = '\0';
		/* The name ends at the first '='; the value may itself contain '='. */
		char *value = strchr(item, '=');
		if (value != NULL)
			*value++ = '\0';
		else
			value = item + strlen(item);
		/* Upstream stops at the first empty name; what follows is never looked at. */
		if (*item == '\0')
			break;
		rc = apply_one(s, item, value, err, err_len);
		if (rc != 0)
			break;
		item = next;
	}
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

/* corosync-qnetd's configuration: command-line flags and -S advanced settings (qnetd.md §2-3). */
#include "settings.h"

#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "parse.h"
#include "proto.h"

static char *xstrdup_or_null(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

/* Replaces an owned string; returns -1 when out of memory. */
static int set_string(char **field, const char *value)
{
	char *copy = strdup(value);
	if (copy == NULL)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

void qnetd_settings_init(struct qnetd_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->family = QNETD_AF_UNSPEC;
	s->port = QNETD_DEFAULT_PORT;
	s->tls = PROTO_TLS_SUPPORTED;
	s->client_cert_required = true;
	s->listen_backlog = 10;
	s->max_client_send_buffers = 32;
	s->max_client_send_size = PROTO_DEFAULT_MAX_MSG_SIZE;
	s->max_client_receive_size = PROTO_DEFAULT_MAX_MSG_SIZE;
	s->nss_db_dir = xstrdup_or_null(QNETD_DEFAULT_NSS_DB_DIR);
	s->cert_nickname = xstrdup_or_null(QNETD_DEFAULT_CERT_NICKNAME);
	s->heartbeat_interval_min = 1000;
	s->heartbeat_interval_max = 120000;
	s->dpd_enabled = true;
	s->dpd_interval_coefficient = 1.5;
	s->lock_file = xstrdup_or_null(QNETD_DEFAULT_LOCK_FILE);
	s->local_socket_file = xstrdup_or_null(QNETD_DEFAULT_LOCAL_SOCKET);
	s->local_socket_backlog = 10;
	s->ipc_max_clients = 10;
	s->ipc_max_receive_size = 4096;
	s->ipc_max_send_size = 10 * 1024 * 1024;
	s->keep_active_partition_tie_breaker = false;
}

void qnetd_settings_destroy(struct qnetd_settings *s)
{
	free(s->listen_addr);
	free(s->nss_db_dir);
	free(s->cert_nickname);
	free(s->lock_file);
	free(s->local_socket_file);
	memset(s, 0, sizeof(*s));
}

static int invalid_value(char *err, size_t err_len, const char *value, const char *key)
{
	snprintf(err, err_len, "invalid value '%s' for option %s", value, key);
	return -1;
}

/* Applies one key=value pair; key already known to be non-empty. */
static int apply_one(struct qnetd_settings *s, const char *key, const char *value, char *err, size_t err_len,
		     char *warning, size_t warning_len)
{
	long long ll;
	bool b;
	double d;

	if (strcasecmp(key, "listen_backlog") == 0) {
		if (parse_ll(value, 1, INT_MAX, &ll) != 0)
			return invalid_value(err, err_len, value, key);
		s->listen_backlog = (int)ll;
		s->listen_backlog_set = true;
	} else if (strcasecmp(key, "max_client_send_buffers") == 0) {
		if (parse_ll(value, 2, LLONG_MAX, &ll) != 0)
			return invalid_value(err, err_len, value, key);
		s->max_client_send_buffers = ll;
	} else if (strcasecmp(key, "max_client_send_size") == 0) {
		if (parse_ll(value, 16, LLONG_MAX, &ll) != 0)
			return invalid_value(err, err_len, value, key);
		s->max_client_send_size = ll;
	} else if (strcasecmp(key, "max_client_receive_size") == 0) {
		if (parse_ll(value, 16, LLONG_MAX, &ll) != 0)
			return invalid_value(err, err_len, value, key);
		s->max_client_receive_size = ll;
	} else if (strcasecmp(key, "nss_db_dir") == 0) {
		if (set_string(&s->nss_db_dir, value) != 0)
			return invalid_value(err, err_len, value, key);
	} else if (strcasecmp(key, "cert_nickname") == 0) {
		if (set_string(&s->cert_nickname, value) != 0)
			return invalid_value(err, err_len, value, key);
	} else if (strcasecmp(key, "heartbeat_interval_min") == 0) {
		if (parse_ll(value, 1, UINT32_MAX, &ll) != 0)
			return invalid_value(err, err_len, value, key);
		s->heartbeat_interval_min = (uint32_t)ll;
	} else if (strcasecmp(key, "heartbeat_interval_max") == 0) {
		if (parse_ll(value, 1, UINT32_MAX, &ll) != 0)
			return invalid_value(err, err_len, value, key);
		s->heartbeat_interval_max = (uint32_t)ll;
	} else if (strcasecmp(key, "dpd_enabled") == 0) {
		if (parse_bool(value, &b) != 0)
			return invalid_value(err, err_len, value, key);
		s->dpd_enabled = b;
	} else if (strcasecmp(key, "dpd_interval_coefficient") == 0) {
		if (parse_double(value, 1.0, 1000.0, &d) != 0)
			return invalid_value(err, err_len, value, key);
		s->dpd_interval_coefficient = d;
	} else if (strcasecmp(key, "dpd_interval") == 0) {
		snprintf(warning, warning_len, "option dpd_interval is deprecated and has no effect");
	} else if (strcasecmp(key, "lock_file") == 0) {
		if (set_string(&s->lock_file, value) != 0)
			return invalid_value(err, err_len, value, key);
	} else if (strcasecmp(key, "local_socket_file") == 0) {
		/* Must fit sun_path (108 bytes with its NUL on Linux). */
		if (*value == '\0' || strlen(value) >= 108 || set_string(&s->local_socket_file, value) != 0)
			return invalid_value(err, err_len, value, key);
	} else if (strcasecmp(key, "local_socket_umask") == 0) {
		if (*value == '\0') {
			s->local_socket_umask_set = false;
		} else {
			char *end;
			unsigned long mask = strtoul(value, &end, 8);
			if (*end != '\0' || mask > 0777 || value[0] == '-')
				return invalid_value(err, err_len, value, key);
			s->local_socket_umask = (mode_t)mask;
			s->local_socket_umask_set = true;
		}
	} else if (strcasecmp(key, "local_socket_gid") == 0) {
		if (*value == '\0') {
			s->local_socket_gid_set = false;
		} else if (parse_ll(value, -1, UINT_MAX, &ll) == 0) {
			s->local_socket_gid_set = ll != -1;
			s->local_socket_gid = (gid_t)ll;
		} else {
			struct group *g = getgrnam(value);
			if (g == NULL)
				return invalid_value(err, err_len, value, key);
			s->local_socket_gid = g->gr_gid;
			s->local_socket_gid_set = true;
		}
	} else if (strcasecmp(key, "local_socket_backlog") == 0) {
		if (parse_ll(value, 1, INT_MAX, &ll) != 0)
			return invalid_value(err, err_len, value, key);
		s->local_socket_backlog = (int)ll;
	} else if (strcasecmp(key, "ipc_max_clients") == 0) {
		if (parse_ll(value, 0, LLONG_MAX, &ll) != 0)
			return invalid_value(err, err_len, value, key);
		s->ipc_max_clients = ll;
	} else if (strcasecmp(key, "ipc_max_receive_size") == 0) {
		if (parse_ll(value, 1024, LLONG_MAX, &ll) != 0)
			return invalid_value(err, err_len, value, key);
		s->ipc_max_receive_size = ll;
	} else if (strcasecmp(key, "ipc_max_send_size") == 0) {
		if (parse_ll(value, 1024, LLONG_MAX, &ll) != 0)
			return invalid_value(err, err_len, value, key);
		s->ipc_max_send_size = ll;
	} else if (strcasecmp(key, "keep_active_partition_tie_breaker") == 0) {
		if (parse_bool(value, &b) != 0)
			return invalid_value(err, err_len, value, key);
		s->keep_active_partition_tie_breaker = b;
	} else {
		snprintf(err, err_len, "unknown option '%s'", key);
		return -1;
	}
	return 0;
}

int qnetd_settings_apply_advanced(struct qnetd_settings *s, const char *arg, char *err, size_t err_len,
				  char *warning, size_t warning_len)
{
	char *copy = strdup(arg);
	int rc = 0;

	if (warning_len > 0)
		warning[0] = '\0';
	if (copy == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	char *item = copy;
	while (item != NULL) {
		char *next = strchr(item, ',');
		if (next != NULL)
			*next++ = '\0';
		char *value = strchr(item, '=');
		if (value != NULL)
			*value++ = '\0';
		else
			value = item + strlen(item);
		/* Upstream stops at the first item with an empty key; later items are ignored. */
		if (*item == '\0')
			break;
		rc = apply_one(s, item, value, err, err_len, warning, warning_len);
		if (rc != 0)
			break;
		item = next;
	}
	free(copy);
	return rc;
}

static int parse_tls(const char *value, uint8_t *out)
{
	if (strcasecmp(value, "on") == 0)
		*out = PROTO_TLS_SUPPORTED;
	else if (strcasecmp(value, "off") == 0)
		*out = PROTO_TLS_UNSUPPORTED;
	/* The upstream man page says "required" but its code only takes "req"; accept both. */
	else if (strcasecmp(value, "req") == 0 || strcasecmp(value, "required") == 0)
		*out = PROTO_TLS_REQUIRED;
	else
		return -1;
	return 0;
}

enum qnetd_args_result qnetd_settings_parse_args(struct qnetd_settings *s, int argc, char **argv,
						 char *err, size_t err_len)
{
	int ch;
	long long ll;
	char warning[256];

	optind = 1;
	opterr = 0;
	while ((ch = getopt(argc, argv, "46dfhvc:l:m:p:S:s:")) != -1) {
		switch (ch) {
		case '4': s->family = QNETD_AF_INET; break;
		case '6': s->family = QNETD_AF_INET6; break;
		case 'd': s->debug_level++; break;
		case 'f': s->foreground = true; break;
		case 'h': return QNETD_ARGS_USAGE;
		case 'v': return QNETD_ARGS_VERSION;
		case 'c':
			if (parse_bool(optarg, &s->client_cert_required) != 0) {
				snprintf(err, err_len, "client_cert_required (-c) has to be on/yes/1 or off/no/0");
				return QNETD_ARGS_ERROR;
			}
			break;
		case 'l':
			if (set_string(&s->listen_addr, optarg) != 0) {
				snprintf(err, err_len, "out of memory");
				return QNETD_ARGS_ERROR;
			}
			break;
		case 'm':
			if (parse_ll(optarg, 0, LLONG_MAX, &ll) != 0) {
				snprintf(err, err_len, "max clients (-m) value '%s' has to be an integer >= 0", optarg);
				return QNETD_ARGS_ERROR;
			}
			s->max_clients = ll;
			break;
		case 'p':
			if (parse_ll(optarg, 1, 65535, &ll) != 0) {
				snprintf(err, err_len, "listen port (-p) '%s' has to be an integer from 1 to 65535", optarg);
				return QNETD_ARGS_ERROR;
			}
			s->port = (uint16_t)ll;
			break;
		case 's':
			if (parse_tls(optarg, &s->tls) != 0) {
				snprintf(err, err_len, "tls (-s) '%s' has to be on, off or req", optarg);
				return QNETD_ARGS_ERROR;
			}
			break;
		case 'S':
			if (qnetd_settings_apply_advanced(s, optarg, err, err_len, warning, sizeof(warning)) != 0)
				return QNETD_ARGS_ERROR;
			if (warning[0] != '\0')
				fprintf(stderr, "%s: %s\n", argv[0], warning);
			break;
		default:
			return QNETD_ARGS_USAGE;
		}
	}
	if (optind < argc)
		return QNETD_ARGS_USAGE;
	return QNETD_ARGS_RUN;
}

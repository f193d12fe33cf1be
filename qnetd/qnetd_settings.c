/* corosync-qnetd's configuration: command-line flags and -S advanced settings (man/corosync-qnetd.8). */
#include "qnetd_settings.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
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
	s->init_timeout = QNETD_DEFAULT_INIT_TIMEOUT_MS;
	s->max_clients_per_address = QNETD_DEFAULT_MAX_CLIENTS_PER_ADDRESS;
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

#define FIELD(f) offsetof(struct qnetd_settings, f)

/* Every -S key (man/corosync-qnetd.8), with its accepted range. */
static const struct parse_setting settings_table[] = {
	{"listen_backlog", PARSE_SETTING_INT, FIELD(listen_backlog), 1, INT_MAX},
	{"max_client_send_buffers", PARSE_SETTING_LL, FIELD(max_client_send_buffers), 2, LLONG_MAX},
	{"max_client_send_size", PARSE_SETTING_LL, FIELD(max_client_send_size), 16, LLONG_MAX},
	{"max_client_receive_size", PARSE_SETTING_LL, FIELD(max_client_receive_size), 16, LLONG_MAX},
	{"nss_db_dir", PARSE_SETTING_STRING, FIELD(nss_db_dir), 0, 0},
	{"cert_nickname", PARSE_SETTING_STRING, FIELD(cert_nickname), 0, 0},
	{"heartbeat_interval_min", PARSE_SETTING_U32, FIELD(heartbeat_interval_min), 1, UINT32_MAX},
	{"heartbeat_interval_max", PARSE_SETTING_U32, FIELD(heartbeat_interval_max), 1, UINT32_MAX},
	{"dpd_enabled", PARSE_SETTING_BOOL, FIELD(dpd_enabled), 0, 0},
	{"dpd_interval_coefficient", PARSE_SETTING_DOUBLE, FIELD(dpd_interval_coefficient), 1, 1000},
	{"dpd_interval", PARSE_SETTING_OTHER, 0, 0, 0},
	{"lock_file", PARSE_SETTING_STRING, FIELD(lock_file), 0, 0},
	{"local_socket_file", PARSE_SETTING_OTHER, 0, 0, 0},
	{"local_socket_umask", PARSE_SETTING_OTHER, 0, 0, 0},
	{"local_socket_gid", PARSE_SETTING_OTHER, 0, 0, 0},
	{"local_socket_backlog", PARSE_SETTING_INT, FIELD(local_socket_backlog), 1, INT_MAX},
	{"ipc_max_clients", PARSE_SETTING_LL, FIELD(ipc_max_clients), 0, LLONG_MAX},
	{"ipc_max_receive_size", PARSE_SETTING_LL, FIELD(ipc_max_receive_size), 1024, LLONG_MAX},
	{"ipc_max_send_size", PARSE_SETTING_LL, FIELD(ipc_max_send_size), 1024, LLONG_MAX},
	{"keep_active_partition_tie_breaker", PARSE_SETTING_BOOL, FIELD(keep_active_partition_tie_breaker), 0, 0},
	{"init_timeout", PARSE_SETTING_U32, FIELD(init_timeout), 0, UINT32_MAX},
	{"max_clients_per_address", PARSE_SETTING_LL, FIELD(max_clients_per_address), 0, LLONG_MAX},
	{"metrics_listen", PARSE_SETTING_OTHER, 0, 0, 0},
};

#define SETTINGS_COUNT (sizeof(settings_table) / sizeof(settings_table[0]))

/* Where one -S argument is applied and its diagnostics go. */
struct apply_ctx {
	struct qnetd_settings *s;
	char *err;
	size_t err_len;
	char *warning;
	size_t warning_len;
};

int qnetd_settings_parse_listen(const char *value, char addr[46], uint16_t *port)
{
	char host[46];                      /* INET6_ADDRSTRLEN */
	const char *port_text;
	if (value[0] == '[') {
		const char *end = strchr(value, ']');
		if (end == NULL || end[1] != ':' || (size_t)(end - value - 1) >= sizeof(host))
			return -1;
		memcpy(host, value + 1, (size_t)(end - value - 1));
		host[end - value - 1] = '\0';
		port_text = end + 2;
		struct in6_addr a6;
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return -1;
	} else {
		const char *colon = strrchr(value, ':');
		if (colon == NULL) {
			snprintf(host, sizeof(host), "127.0.0.1");
			port_text = value;
		} else {
			if ((size_t)(colon - value) >= sizeof(host))
				return -1;
			memcpy(host, value, (size_t)(colon - value));
			host[colon - value] = '\0';
			port_text = colon + 1;
		}
		struct in_addr a4;
		if (inet_pton(AF_INET, host, &a4) != 1)
			return -1;
	}
	char *end;
	errno = 0;
	unsigned long p = strtoul(port_text, &end, 10);
	if (port_text[0] < '0' || port_text[0] > '9' || *end != '\0' || errno != 0 || p == 0 || p > 65535)
		return -1;
	memcpy(addr, host, strlen(host) + 1);
	*port = (uint16_t)p;
	return 0;
}

/* The keys the table leaves to us (PARSE_SETTING_OTHER). Returns 0 or -1 (invalid value). */
static int apply_other(const struct apply_ctx *a, const char *key, const char *value)
{
	struct qnetd_settings *s = a->s;

	if (strcasecmp(key, "dpd_interval") == 0) {
		snprintf(a->warning, a->warning_len, "option dpd_interval is deprecated and has no effect");
		return 0;
	}
	if (strcasecmp(key, "local_socket_file") == 0) {
		/* Must fit sun_path (108 bytes with its NUL on Linux). */
		if (*value == '\0' || strlen(value) >= 108)
			return -1;
		return set_string(&s->local_socket_file, value);
	}
	if (strcasecmp(key, "metrics_listen") == 0)
		return qnetd_settings_parse_listen(value, s->metrics_addr, &s->metrics_port);
	if (strcasecmp(key, "local_socket_umask") == 0)
		/* Unlike qdevice, a leading '+' has always been taken here (strtoul's rules). */
		return parse_umask(value, true, &s->local_socket_umask_set, &s->local_socket_umask);
	/* local_socket_gid */
	return parse_gid(value, &s->local_socket_gid_set, &s->local_socket_gid);
}

/* Applies one key=value pair (a parse_kv_apply_fn); key already known to be non-empty. */
static int apply_one(void *ctx, const char *key, const char *value)
{
	const struct apply_ctx *a = ctx;
	const struct parse_setting *def = parse_setting_find(settings_table, SETTINGS_COUNT, key);

	if (def == NULL) {
		snprintf(a->err, a->err_len, "unknown option '%s'", key);
		return -1;
	}
	/* Out of memory for a string is reported as an invalid value, as it always was. */
	if ((def->kind == PARSE_SETTING_OTHER ? apply_other(a, key, value) : parse_setting_store(def, a->s, value)) != 0)
		return invalid_value(a->err, a->err_len, value, key);
	if (strcmp(def->name, "listen_backlog") == 0)
		a->s->listen_backlog_set = true;
	return 0;
}

int qnetd_settings_apply_advanced(struct qnetd_settings *s, const char *arg, char *err, size_t err_len,
				  char *warning, size_t warning_len)
{
	struct apply_ctx ctx = {s, err, err_len, warning, warning_len};

	if (warning_len > 0)
		warning[0] = '\0';
	char *copy = strdup(arg);
	if (copy == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	int rc = parse_kv_list(copy, apply_one, &ctx);
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

/* corosync-qdevice-tool: sends one command to corosync-qdevice's local socket and prints the reply. */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <corosync/cmap.h>

#include "escape.h"
#include "health.h"
#include "proto.h"
#include "qdevice_diagnose.h"
#include "qdevice_health.h"
#include "qdevice_metrics.h"
#include "qdevice_probe.h"
#include "qdevice_tool_preflight.h"
#include "qdevice_settings.h"
#include "strbuf.h"

enum tool_exit {
	TOOL_EXIT_OK = 0,
	TOOL_EXIT_USAGE = 1,
	TOOL_EXIT_INTERNAL = 2,
	TOOL_EXIT_CONNECT = 3,
	TOOL_EXIT_DAEMON_ERROR = 4,
};

/* Longest status line kept (the terminating NUL needs the last byte); upstream's limit. */
#define TOOL_STATUS_LINE_MAX 512

#define TOOL_USAGE "usage: corosync-qdevice-tool [-CDHhjMsv] [-P arbiter] [-p qdevice_ipc_socket_path]\n"

enum tool_op {
	TOOL_OP_NONE,
	TOOL_OP_STATUS,
	TOOL_OP_SHUTDOWN,
	TOOL_OP_JSON,
	TOOL_OP_HEALTH,
	TOOL_OP_METRICS,
	TOOL_OP_DIAGNOSE,
	TOOL_OP_PREFLIGHT,
};

static int tool_usage(void)
{
	fputs(TOOL_USAGE, stdout);
	return TOOL_EXIT_USAGE;
}

/* A blocking connect: the descriptor, -2 when no socket could be made, -1 when connecting failed (errno). */
static int tool_try_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t len = strlen(path);

	/* An empty or over-long path fails like the kernel does for the latter. */
	if (len == 0 || len >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, len + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -2;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int tool_connect(const char *path)
{
	int fd = tool_try_connect(path);
	if (fd == -2)
		err(TOOL_EXIT_INTERNAL, "Can't open QDevice socket fd");
	if (fd < 0)
		err(TOOL_EXIT_CONNECT, "Can't connect to QDevice socket (is QDevice running?)");
	return fd;
}

static void tool_send(int fd, const char *cmd, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, cmd, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			err(TOOL_EXIT_INTERNAL, "Can't send command");
		cmd += n;
		len -= (size_t)n;
	}
}

/*
 * Reads the status line (CRs dropped). Returns true with the line in buf, or false when the
 * daemon closed the connection before ending a line.
 */
static bool tool_read_status_line(int fd, char *buf)
{
	size_t len = 0;

	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			errx(TOOL_EXIT_INTERNAL, "Internal error during IPC status line read");
		if (n == 0)
			return false;
		if (c == '\n')
			break;
		if (c == '\r')
			continue;
		if (len >= TOOL_STATUS_LINE_MAX - 1)
			errx(TOOL_EXIT_INTERNAL, "Internal error during IPC status line read");
		buf[len++] = c;
	}
	buf[len] = '\0';
	return true;
}

/* Copies the rest of the reply byte for byte. */
static void tool_copy_rest(int fd, FILE *out)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		fwrite(buf, 1, (size_t)n, out);
	}
	fflush(out);
}

/* The whole reply to "json"; the descriptor is closed. */
static void tool_read_all(int fd, struct strbuf *reply)
{
	char buf[65536];
	strbuf_init(reply, (size_t)1 << 26);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		strbuf_append(reply, buf, (size_t)n);
	}
	close(fd);
}

/*
 * Asks for the JSON status on fd (closed afterwards). *answered_ok says whether the reply began
 * with "OK"; the status is NULL when it did not or when what followed was not JSON. The reply stays
 * in *reply for the caller's messages (strbuf_free it).
 */
static json_t *tool_fetch_status(int fd, struct strbuf *reply, bool *answered_ok)
{
	tool_send(fd, "json\n", 5);
	tool_read_all(fd, reply);
	*answered_ok = !reply->failed && reply->len >= 3 && strncmp(reply->data, "OK\n", 3) == 0;
	if (!*answered_ok)
		return NULL;
	json_error_t jerr;
	return json_loadb(reply->data + 3, reply->len - 3, JSON_ALLOW_NUL, &jerr);
}

/* -M: the Prometheus exposition of the daemon's JSON status. */
static int tool_metrics(const char *path)
{
	struct strbuf reply;
	bool ok;
	json_t *status = tool_fetch_status(tool_connect(path), &reply, &ok);
	if (!ok) {
		const char *nl = reply.data != NULL ? memchr(reply.data, '\n', reply.len) : NULL;
		if (nl != NULL && strncasecmp(reply.data, "Error\n", 6) == 0)
			fprintf(stderr, "Error: %.*s", (int)(reply.len - (size_t)(nl + 1 - reply.data)), nl + 1);
		else
			fprintf(stderr, "Unknown answer from QDevice\n");
		strbuf_free(&reply);
		return TOOL_EXIT_DAEMON_ERROR;
	}
	strbuf_free(&reply);
	struct strbuf text;
	strbuf_init(&text, (size_t)1 << 26);
	if (status == NULL || qdevice_metrics_write(status, &text) != 0) {
		json_decref(status);
		strbuf_free(&text);
		errx(TOOL_EXIT_CONNECT, "The daemon's status could not be read");
	}
	json_decref(status);
	if (text.failed)
		errx(TOOL_EXIT_INTERNAL, "Can't alloc memory");
	fwrite(text.data, 1, text.len, stdout);
	strbuf_free(&text);
	return fflush(stdout) == 0 ? TOOL_EXIT_OK : TOOL_EXIT_INTERNAL;
}

/* -C: one line about the node and a monitoring-plugin exit code. */
static int tool_health(const char *path)
{
	int fd = tool_try_connect(path);
	if (fd < 0) {
		printf("QDEVICE CRITICAL: corosync-qdevice does not answer on %s (%s)\n", path, strerror(errno));
		return HEALTH_CRITICAL;
	}
	struct strbuf reply;
	bool ok;
	json_t *status = tool_fetch_status(fd, &reply, &ok);
	strbuf_free(&reply);
	if (!ok) {
		printf("QDEVICE UNKNOWN: the daemon has no JSON status (an upstream corosync-qdevice?)\n");
		return HEALTH_UNKNOWN;
	}
	if (status == NULL) {
		printf("QDEVICE UNKNOWN: the daemon's status could not be read\n");
		return HEALTH_UNKNOWN;
	}
	struct health_report r;
	struct strbuf line;
	health_report_init(&r);
	qdevice_health_evaluate(status, &r);
	json_decref(status);
	strbuf_init(&line, 8192);
	health_format(&r, "QDEVICE", &line);
	fputs(line.data != NULL ? line.data : "QDEVICE UNKNOWN: out of memory\n", stdout);
	enum health_state state = r.state;
	strbuf_free(&line);
	health_report_free(&r);
	return (int)state;
}

/* ---- -D: the facts the checks need (qdevice/qdevice_diagnose.h); nothing is changed anywhere. ---- */

/* A cmap value of any integer or string type as an unsigned number; false when absent or not a number. */
static bool diag_cmap_uint(cmap_handle_t h, const char *key, uint32_t *out)
{
	char buf[64];
	size_t len = sizeof(buf) - 1;
	cmap_value_types_t type;
	if (cmap_get(h, key, buf, &len, &type) != CS_OK)
		return false;
	switch (type) {
	case CMAP_VALUETYPE_UINT8: {
		uint8_t u;
		memcpy(&u, buf, sizeof(u));
		*out = u;
		return true;
	}
	case CMAP_VALUETYPE_UINT16: {
		uint16_t u;
		memcpy(&u, buf, sizeof(u));
		*out = u;
		return true;
	}
	case CMAP_VALUETYPE_UINT32: memcpy(out, buf, sizeof(*out)); return true;
	case CMAP_VALUETYPE_STRING: {
		buf[len < sizeof(buf) ? len : sizeof(buf) - 1] = '\0';
		char *end;
		unsigned long v = strtoul(buf, &end, 10);
		if (end == buf || v > UINT32_MAX)
			return false;
		*out = (uint32_t)v;
		return true;
	}
	default: return false;
	}
}

static void diag_read_cmap(struct qdevice_diag_input *in)
{
	cmap_handle_t h;
	cs_error_t err = cmap_initialize(&h);
	if (err != CS_OK) {
		snprintf(in->cmap_error, sizeof(in->cmap_error), "corosync does not answer on cmap (error %d): is corosync running?", (int)err);
		return;
	}
	in->cmap_read = true;
	char model[32];
	qdevice_tool_cmap_string(h, "quorum.device.model", model, sizeof(model));
	in->device_configured = model[0] != '\0';
	qdevice_tool_cmap_string(h, "quorum.device.net.algorithm", in->algorithm, sizeof(in->algorithm));
	qdevice_tool_cmap_string(h, "quorum.device.net.host", in->host, sizeof(in->host));
	qdevice_tool_cmap_string(h, "quorum.device.net.tls", in->tls, sizeof(in->tls));
	qdevice_tool_cmap_string(h, "totem.cluster_name", in->cluster_name, sizeof(in->cluster_name));
	uint32_t v;
	in->port = diag_cmap_uint(h, "quorum.device.net.port", &v) && v > 0 && v <= 65535 ? (uint16_t)v : 5403;
	in->two_node = diag_cmap_uint(h, "quorum.two_node", &v) && v == 1;
	in->votes_set = diag_cmap_uint(h, "quorum.device.votes", &in->votes);
	cmap_iter_handle_t it;
	if (cmap_iter_init(h, "nodelist.node.", &it) == CS_OK) {
		char key[CMAP_KEYNAME_MAXLEN + 1];
		size_t len;
		cmap_value_types_t type;
		while (cmap_iter_next(h, it, key, &len, &type) == CS_OK) {
			size_t kl = strlen(key);
			if (kl > 7 && strcmp(key + kl - 7, ".nodeid") == 0)
				in->node_count++;
		}
		cmap_iter_finalize(h, it);
	}
	cmap_finalize(h);
}

/* The whole diagnosis stays under 30 s even when every packet is dropped (doc/diagnose.md §4). */
#define DIAG_PROBE_BUDGET_MS 20000u
#define DIAG_STEP_TIMEOUT_MS 5000u

static void diag_reach(struct qdevice_diag_input *in)
{
	if (!in->cmap_read || in->host[0] == '\0')
		return;
	int tls = qdevice_diag_configured_tls(in->tls);
	bool db_open = false;
	if (tls > PROTO_TLS_UNSUPPORTED)
		db_open = qdevice_probe_open_db(QDEVICE_DEFAULT_NET_NSS_DB_DIR, &in->db);
	char port[8];
	snprintf(port, sizeof(port), "%u", (unsigned)in->port);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	int rc = getaddrinfo(in->host, port, &hints, &res);
	if (rc != 0) {
		snprintf(in->resolve_error, sizeof(in->resolve_error), "%s", gai_strerror(rc));
		if (db_open)
			qdevice_probe_close_db();
		return;
	}
	in->resolved = true;
	struct qdevice_probe_params p = {
		.cluster_name = in->cluster_name,
		.tls = tls,
		.db_open = db_open,
		.step_timeout_ms = in->connect_timeout_ms,
		.deadline_ms = qdevice_probe_now_ms() + DIAG_PROBE_BUDGET_MS,
	};
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		if (in->addr_count == QDEVICE_DIAG_MAX_ADDRS || qdevice_probe_now_ms() + 1000 > p.deadline_ms) {
			in->addrs_not_tried++;
			continue;
		}
		struct qdevice_diag_addr *a = &in->addrs[in->addr_count++];
		char host[INET6_ADDRSTRLEN] = "?";
		getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
		snprintf(a->text, sizeof(a->text), ai->ai_family == AF_INET6 ? "[%s]" : "%s", host);
		qdevice_probe_address(ai->ai_addr, ai->ai_addrlen, &p, a);
	}
	freeaddrinfo(res);
	if (db_open)
		qdevice_probe_close_db();
}

/*
 * The daemon's latest error line of this boot from the journal, control characters escaped; ""
 * without journalctl or a journal. journalctl only reads, and within a few seconds.
 */
static void diag_journal_last_error(char *out, size_t len)
{
	out[0] = '\0';
	/* Its own lines only: -u would also match systemd's "Failed to start" about the unit. */
	FILE *p = popen("timeout 5 journalctl -q --no-pager -b -p err -n 1 -o cat SYSLOG_IDENTIFIER=corosync-qdevice 2>/dev/null", "r");
	if (p == NULL)
		return;
	char line[512];
	if (fgets(line, sizeof(line), p) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		escape_bytes((const uint8_t *)line, strlen(line), out, len);
	}
	pclose(p);
}

/* Prints a report of -D or -P as text or JSON; the exit status of doc/diagnose.md §1. */
static int tool_print_report(const struct diag_report *report, bool as_json, const char *program)
{
	int rc = diag_print(report, as_json, program, stdout);
	if (rc == -1)
		errx(3, "Can't alloc memory");
	return rc < 0 ? 3 : rc;
}

static int tool_diagnose(const char *path, bool as_json)
{
	struct qdevice_diag_input in;
	json_t *status = NULL;
	memset(&in, 0, sizeof(in));
	in.connect_timeout_ms = DIAG_STEP_TIMEOUT_MS;
	in.now = (int64_t)time(NULL);

	int fd = tool_try_connect(path);
	if (fd < 0) {
		snprintf(in.daemon_error, sizeof(in.daemon_error), "%s: %s", path, strerror(errno));
		diag_journal_last_error(in.daemon_last_error, sizeof(in.daemon_last_error));
	} else {
		/* A stopped or stuck daemon must not hold the diagnosis past its 30 s. */
		struct timeval tv = {.tv_sec = DIAG_STEP_TIMEOUT_MS / 1000};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		struct strbuf reply;
		bool ok;
		status = tool_fetch_status(fd, &reply, &ok);
		in.daemon_answered = reply.len > 0;
		if (!in.daemon_answered)
			snprintf(in.daemon_error, sizeof(in.daemon_error), "%s: it accepted the connection but sent no reply within %u s (stopped or stuck?)",
				 path, DIAG_STEP_TIMEOUT_MS / 1000);
		strbuf_free(&reply);
		in.status = status;
	}
	diag_read_cmap(&in);
	diag_reach(&in);

	struct diag_report report;
	qdevice_diagnose(&in, &report);
	json_decref(status);
	return tool_print_report(&report, as_json, "corosync-qdevice-tool -D");
}

/* -P ARBITER: the checks before pvecm qdevice setup (doc/diagnose.md §5). */
static int tool_preflight(const char *arbiter, bool as_json)
{
	struct qdevice_preflight_input *in = calloc(1, sizeof(*in));
	if (in == NULL)
		errx(3, "Can't alloc memory");
	qdevice_tool_preflight_gather(arbiter, in);
	struct diag_report report;
	qdevice_preflight(in, &report);
	free(in);
	return tool_print_report(&report, as_json, "corosync-qdevice-tool -P");
}

int main(int argc, char **argv)
{
	enum tool_op op = TOOL_OP_NONE;
	bool verbose = false, json = false;
	const char *path = QDEVICE_DEFAULT_LOCAL_SOCKET, *arbiter = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "CDHhjMsvP:p:")) != -1) {
		switch (ch) {
		case 'C': op = TOOL_OP_HEALTH; break;
		case 'D': op = TOOL_OP_DIAGNOSE; break;
		case 'H': op = TOOL_OP_SHUTDOWN; break;
		case 'j':
			/* -D -j and -P -j (either order) are the checks as JSON. */
			json = true;
			if (op != TOOL_OP_DIAGNOSE && op != TOOL_OP_PREFLIGHT)
				op = TOOL_OP_JSON;
			break;
		case 'P':
			op = TOOL_OP_PREFLIGHT;
			arbiter = optarg;
			break;
		case 'M': op = TOOL_OP_METRICS; break;
		case 's': op = TOOL_OP_STATUS; break;
		case 'v': verbose = true; break;
		case 'p': path = optarg; break;
		default:
			return tool_usage();
		}
	}
	if (op == TOOL_OP_NONE)
		return tool_usage();
	if (op == TOOL_OP_HEALTH)
		return tool_health(path);
	if (op == TOOL_OP_METRICS)
		return tool_metrics(path);
	if (op == TOOL_OP_DIAGNOSE)
		return tool_diagnose(path, json);
	if (op == TOOL_OP_PREFLIGHT)
		return tool_preflight(arbiter, json);

	/* The trailing spaces are upstream's bytes; the daemon's tokenizer ignores them. */
	char cmd[64];
	int cmd_len = op == TOOL_OP_JSON ? snprintf(cmd, sizeof(cmd), "json\n")
					 : snprintf(cmd, sizeof(cmd), "%s %s\n", op == TOOL_OP_STATUS ? "status" : "shutdown",
						    verbose ? "verbose " : "");
	if (cmd_len < 0 || (size_t)cmd_len >= sizeof(cmd))
		errx(TOOL_EXIT_INTERNAL, "Can't store command");

	int fd = tool_connect(path);
	tool_send(fd, cmd, (size_t)cmd_len);

	char line[TOOL_STATUS_LINE_MAX];
	if (!tool_read_status_line(fd, line)) {
		close(fd);
		return TOOL_EXIT_OK;
	}
	int rc;
	if (strcasecmp(line, "OK") == 0) {
		tool_copy_rest(fd, stdout);
		rc = TOOL_EXIT_OK;
	} else if (strcasecmp(line, "Error") == 0) {
		fputs("Error: ", stderr);
		tool_copy_rest(fd, stderr);
		rc = TOOL_EXIT_DAEMON_ERROR;
	} else {
		errx(TOOL_EXIT_CONNECT, "Unknown status line returned by IPC server");
	}
	close(fd);
	return rc;
}

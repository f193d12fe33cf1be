/* corosync-qnetd-tool: sends one request to the daemon's local socket and prints the reply. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "health.h"
#include "qnetd_health.h"
#include "qnetd_metrics.h"
#include "qnetd_settings.h"
#include "strbuf.h"

enum tool_exit { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_INTERNAL = 2, EXIT_CONNECT = 3, EXIT_DAEMON_ERROR = 4 };

static void usage(void)
{
	printf("usage: corosync-qnetd-tool [-CHhjlMsv] [-c cluster_name] [-p qnetd_ipc_socket_path]\n");
}

/* Quotes a cluster name: wrapped in ", with " and \ escaped. */
static void append_quoted(struct strbuf *sb, const char *s)
{
	strbuf_append(sb, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_append(sb, "\\", 1);
		strbuf_append(sb, s, 1);
	}
	strbuf_append(sb, "\"", 1);
}

/* The rest of the reply (after the status line), whole; the descriptor is closed. */
static void read_rest(int fd, struct strbuf *reply)
{
	char buf[65536];
	ssize_t n;
	strbuf_init(reply, (size_t)1 << 30);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_append(reply, buf, (size_t)n);
	close(fd);
}

/* -M: the rest of the reply is the JSON status; the Prometheus exposition of it. */
static int metrics(int fd, bool ok, bool per_client)
{
	struct strbuf reply;
	read_rest(fd, &reply);
	if (!ok) {
		fprintf(stderr, "Error: %s", reply.len > 0 ? reply.data : "\n");
		strbuf_free(&reply);
		return EXIT_DAEMON_ERROR;
	}
	json_error_t err;
	json_t *status = reply.failed ? NULL : json_loadb(reply.data, reply.len, JSON_ALLOW_NUL, &err);
	strbuf_free(&reply);
	struct strbuf text;
	strbuf_init(&text, (size_t)1 << 30);
	if (status == NULL || qnetd_metrics_write(status, per_client, &text) != 0) {
		json_decref(status);
		strbuf_free(&text);
		fprintf(stderr, "The daemon's status could not be read\n");
		return EXIT_CONNECT;
	}
	json_decref(status);
	if (text.failed) {
		strbuf_free(&text);
		fprintf(stderr, "Can't alloc memory\n");
		return EXIT_INTERNAL;
	}
	fwrite(text.data, 1, text.len, stdout);
	strbuf_free(&text);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_INTERNAL;
}

/* -C: the rest of the reply is the JSON status; one line and a monitoring-plugin exit code. */
static int health_check(int fd, bool ok)
{
	struct strbuf reply;
	read_rest(fd, &reply);
	if (!ok) {
		printf("QNETD UNKNOWN: the daemon has no JSON status (an upstream corosync-qnetd?): %s",
		       reply.len > 0 ? reply.data : "\n");
		strbuf_free(&reply);
		return HEALTH_UNKNOWN;
	}
	json_error_t err;
	json_t *status = reply.failed ? NULL : json_loadb(reply.data, reply.len, JSON_ALLOW_NUL, &err);
	strbuf_free(&reply);
	if (status == NULL) {
		printf("QNETD UNKNOWN: the daemon's status could not be read\n");
		return HEALTH_UNKNOWN;
	}
	struct health_report r;
	struct strbuf line;
	health_report_init(&r);
	qnetd_health_evaluate(status, &r);
	json_decref(status);
	strbuf_init(&line, 8192);
	health_format(&r, "QNETD", &line);
	fputs(line.data != NULL ? line.data : "QNETD UNKNOWN: out of memory\n", stdout);
	enum health_state state = r.state;
	strbuf_free(&line);
	health_report_free(&r);
	return (int)state;
}

int main(int argc, char **argv)
{
	enum { OP_NONE, OP_STATUS, OP_LIST, OP_SHUTDOWN, OP_JSON, OP_HEALTH, OP_METRICS } op = OP_NONE;
	bool verbose = false;
	const char *cluster = NULL;
	const char *path = QNETD_DEFAULT_LOCAL_SOCKET;
	int ch;

	while ((ch = getopt(argc, argv, "CHhjlMsvc:p:")) != -1) {
		switch (ch) {
		case 'C': op = OP_HEALTH; break;
		case 'H': op = OP_SHUTDOWN; break;
		case 'j': op = OP_JSON; break;
		case 'l': op = OP_LIST; break;
		case 'M': op = OP_METRICS; break;
		case 's': op = OP_STATUS; break;
		case 'v': verbose = true; break;
		case 'c': cluster = optarg; break;
		case 'p': path = optarg; break;
		default:
			usage();
			return EXIT_USAGE;
		}
	}
	if (op == OP_NONE) {
		usage();
		return EXIT_USAGE;
	}

	struct strbuf req;
	strbuf_init(&req, 1 << 20);
	static const char *const verbs[] = {[OP_STATUS] = "status", [OP_LIST] = "list", [OP_SHUTDOWN] = "shutdown",
					     [OP_JSON] = "json", [OP_HEALTH] = "json", [OP_METRICS] = "json"};
	strbuf_printf(&req, "%s ", verbs[op]);
	/* -C and -M read no client objects (-M -v does): the brief form spares the daemon their cost. */
	if (op == OP_HEALTH || (op == OP_METRICS && !verbose))
		strbuf_printf(&req, "brief ");
	/* The JSON status is always complete; -v means nothing to it (with -M it adds per-client series), nor -c to the health check. */
	if (op == OP_HEALTH)
		cluster = NULL;
	if (verbose && op != OP_JSON && op != OP_HEALTH && op != OP_METRICS)
		strbuf_printf(&req, "verbose ");
	if (cluster != NULL) {
		strbuf_printf(&req, "cluster ");
		append_quoted(&req, cluster);
		strbuf_printf(&req, " ");
	}
	strbuf_append(&req, "\n", 1);
	if (req.failed) {
		fprintf(stderr, "Can't alloc memory\n");
		return EXIT_INTERNAL;
	}

	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		strbuf_free(&req);
		if (op == OP_HEALTH) {
			printf("QNETD CRITICAL: corosync-qnetd does not answer on %s (path too long)\n", path);
			return HEALTH_CRITICAL;
		}
		fprintf(stderr, "Can't connect to QNetd socket (path too long)\n");
		return EXIT_CONNECT;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;
		strbuf_free(&req);
		if (fd >= 0)
			close(fd);
		errno = e;
		if (op == OP_HEALTH) {
			printf("QNETD CRITICAL: corosync-qnetd does not answer on %s (%s)\n", path, strerror(errno));
			return HEALTH_CRITICAL;
		}
		fprintf(stderr, "Can't connect to QNetd socket (is QNetd running?): %s\n", strerror(errno));
		return EXIT_CONNECT;
	}
	for (size_t sent = 0; sent < req.len;) {
		ssize_t n = send(fd, req.data + sent, req.len - sent, MSG_NOSIGNAL);
		if (n <= 0) {
			fprintf(stderr, "Can't send request to QNetd: %s\n", strerror(errno));
			strbuf_free(&req);
			close(fd);
			return EXIT_INTERNAL;
		}
		sent += (size_t)n;
	}
	strbuf_free(&req);

	/* First line: OK or Error; the rest is copied verbatim. */
	char line[513];
	size_t llen = 0;
	char c;
	ssize_t n;
	while ((n = read(fd, &c, 1)) == 1 && c != '\n') {
		if (c == '\r')
			continue;
		if (llen == sizeof(line) - 1) {
			fprintf(stderr, "Status line too long\n");
			return EXIT_INTERNAL;
		}
		line[llen++] = c;
	}
	line[llen] = '\0';
	if (n != 1 && llen == 0) {
		if (op == OP_HEALTH) {
			printf("QNETD UNKNOWN: the daemon closed the connection without an answer\n");
			return HEALTH_UNKNOWN;
		}
		return EXIT_OK; /* closed without a status line */
	}
	bool ok = strcasecmp(line, "OK") == 0;
	if (op == OP_HEALTH)
		return health_check(fd, ok);
	if (op == OP_METRICS)
		return metrics(fd, ok, verbose);
	if (!ok && strcasecmp(line, "Error") != 0) {
		fprintf(stderr, "Unknown status line \"%s\"\n", line);
		return EXIT_CONNECT;
	}
	FILE *out = ok ? stdout : stderr;
	if (!ok)
		fprintf(out, "Error: ");
	char buf[4096];
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, out);
	close(fd);
	return ok ? EXIT_OK : EXIT_DAEMON_ERROR;
}

/* corosync-qdevice-tool: sends one command to corosync-qdevice's local socket and prints the reply. */
#include <err.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "health.h"
#include "qdevice_health.h"
#include "qdevice_metrics.h"
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

#define TOOL_USAGE "usage: corosync-qdevice-tool [-CHhjMsv] [-p qdevice_ipc_socket_path]\n"

enum tool_op { TOOL_OP_NONE, TOOL_OP_STATUS, TOOL_OP_SHUTDOWN, TOOL_OP_JSON, TOOL_OP_HEALTH, TOOL_OP_METRICS };

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

/* -M: the Prometheus exposition of the daemon's JSON status. */
static int tool_metrics(const char *path)
{
	int fd = tool_connect(path);
	tool_send(fd, "json\n", 5);
	struct strbuf reply;
	tool_read_all(fd, &reply);
	if (reply.failed || reply.len < 3 || strncmp(reply.data, "OK\n", 3) != 0) {
		const char *nl = reply.data != NULL ? memchr(reply.data, '\n', reply.len) : NULL;
		if (nl != NULL && strncasecmp(reply.data, "Error\n", 6) == 0)
			fprintf(stderr, "Error: %.*s", (int)(reply.len - (size_t)(nl + 1 - reply.data)), nl + 1);
		else
			fprintf(stderr, "Unknown answer from QDevice\n");
		strbuf_free(&reply);
		return TOOL_EXIT_DAEMON_ERROR;
	}
	json_error_t jerr;
	json_t *status = json_loadb(reply.data + 3, reply.len - 3, JSON_ALLOW_NUL, &jerr);
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
	tool_send(fd, "json\n", 5);
	struct strbuf reply;
	tool_read_all(fd, &reply);
	if (reply.failed || reply.len < 3 || strncmp(reply.data, "OK\n", 3) != 0) {
		printf("QDEVICE UNKNOWN: the daemon has no JSON status (an upstream corosync-qdevice?)\n");
		strbuf_free(&reply);
		return HEALTH_UNKNOWN;
	}
	json_error_t jerr;
	json_t *status = json_loadb(reply.data + 3, reply.len - 3, JSON_ALLOW_NUL, &jerr);
	strbuf_free(&reply);
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

int main(int argc, char **argv)
{
	enum tool_op op = TOOL_OP_NONE;
	bool verbose = false;
	const char *path = QDEVICE_DEFAULT_LOCAL_SOCKET;
	int ch;

	while ((ch = getopt(argc, argv, "CHhjMsvp:")) != -1) {
		switch (ch) {
		case 'C': op = TOOL_OP_HEALTH; break;
		case 'H': op = TOOL_OP_SHUTDOWN; break;
		case 'j': op = TOOL_OP_JSON; break;
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

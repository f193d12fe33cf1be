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

#include "qdevice_settings.h"

enum tool_exit {
	TOOL_EXIT_OK = 0,
	TOOL_EXIT_USAGE = 1,
	TOOL_EXIT_INTERNAL = 2,
	TOOL_EXIT_CONNECT = 3,
	TOOL_EXIT_DAEMON_ERROR = 4,
};

/* Longest status line kept (the terminating NUL needs the last byte); upstream's limit. */
#define TOOL_STATUS_LINE_MAX 512

#define TOOL_USAGE "usage: corosync-qdevice-tool [-Hhjsv] [-p qdevice_ipc_socket_path]\n"

enum tool_op { TOOL_OP_NONE, TOOL_OP_STATUS, TOOL_OP_SHUTDOWN, TOOL_OP_JSON };

static int tool_usage(void)
{
	fputs(TOOL_USAGE, stdout);
	return TOOL_EXIT_USAGE;
}

/* A blocking connect; an empty or over-long path fails like the kernel does for the latter. */
static int tool_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		err(TOOL_EXIT_CONNECT, "Can't connect to QDevice socket (is QDevice running?)");
	}
	memcpy(sun.sun_path, path, len + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		err(TOOL_EXIT_INTERNAL, "Can't open QDevice socket fd");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
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

int main(int argc, char **argv)
{
	enum tool_op op = TOOL_OP_NONE;
	bool verbose = false;
	const char *path = QDEVICE_DEFAULT_LOCAL_SOCKET;
	int ch;

	while ((ch = getopt(argc, argv, "Hhjsvp:")) != -1) {
		switch (ch) {
		case 'H': op = TOOL_OP_SHUTDOWN; break;
		case 'j': op = TOOL_OP_JSON; break;
		case 's': op = TOOL_OP_STATUS; break;
		case 'v': verbose = true; break;
		case 'p': path = optarg; break;
		default:
			return tool_usage();
		}
	}
	if (op == TOOL_OP_NONE)
		return tool_usage();

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

/* A stand-in for the system logger in the integration tests: receives syslog datagrams on a socket and appends each as a line to a file. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/*
 * Usage: qdi_syslog_sink SOCKET OUTPUT
 * Binds a datagram socket at SOCKET (what the daemon under test sees as /dev/log) and appends
 * every datagram, as received, plus a newline to OUTPUT, until SIGTERM or SIGINT. glibc's
 * syslog(3) sends "<PRI>Mon DD HH:MM:SS IDENT[PID]: MESSAGE" to /dev/log as one datagram.
 */

static volatile sig_atomic_t sink_stop;

static void sink_on_signal(int sig)
{
	(void)sig;
	sink_stop = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr;
	char buf[8192];

	if (argc != 3) {
		fprintf(stderr, "usage: qdi_syslog_sink SOCKET OUTPUT\n");
		return 2;
	}
	if (strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "qdi_syslog_sink: socket path too long: %s\n", argv[1]);
		return 2;
	}
	int out = open(argv[2], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (out < 0) {
		fprintf(stderr, "qdi_syslog_sink: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("qdi_syslog_sink: socket");
		return 1;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, argv[1]);
	unlink(argv[1]);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || chmod(argv[1], 0666) != 0) {
		fprintf(stderr, "qdi_syslog_sink: bind %s: %s\n", argv[1], strerror(errno));
		return 1;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sink_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	while (!sink_stop) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("qdi_syslog_sink: recv");
			return 1;
		}
		/* syslog(3) adds no newline; one datagram is one line here. */
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
			n--;
		buf[n++] = '\n';
		if (write(out, buf, (size_t)n) != n) {
			perror("qdi_syslog_sink: write");
			return 1;
		}
	}
	unlink(argv[1]);
	return 0;
}

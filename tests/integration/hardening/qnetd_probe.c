/* Hostile-client probes against a qnetd on loopback: certificate rebinding, clients that never authenticate, connection floods. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "bench_tls.h"
#include "msg.h"
#include "proto.h"

/*
 * Every probe prints one line saying what qnetd did and exits with PROBE_REFUSED when qnetd
 * refused the hostile behaviour, PROBE_ALLOWED when it went along with it, PROBE_ERROR when the
 * probe itself could not run (qnetd not listening, bad arguments). The calling script decides
 * what it expects, so the same probe measures our qnetd and upstream's.
 */
enum { PROBE_REFUSED = 0, PROBE_ERROR = 1, PROBE_ALLOWED = 2 };

struct peer {
	int fd;
	struct bench_tls_conn *tls;    /* NULL: plaintext */
	uint32_t seq;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A non-blocking TCP connection to 127.0.0.1:port, established; -1 on failure. */
static int connect_loopback(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int err = 0;
	socklen_t len = sizeof(err);
	if (poll(&p, 1, 5000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool wait_fd(int fd, short events, uint64_t deadline)
{
	uint64_t now = now_ms();
	if (now >= deadline)
		return false;
	struct pollfd p = {.fd = fd, .events = events};
	return poll(&p, 1, (int)(deadline - now)) > 0;
}

/* Sends all of buf before the deadline; 0 or -1. */
static int send_all(struct peer *p, const uint8_t *buf, size_t len, uint64_t deadline)
{
	while (len > 0) {
		ssize_t n;
		short wait_for = POLLOUT;
		if (p->tls != NULL) {
			n = bench_tls_send(p->tls, buf, len);
			if (n == BENCH_TLS_WANT_READ)
				wait_for = POLLIN;
		} else {
			n = send(p->fd, buf, len, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
		}
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0 || n == BENCH_TLS_ERROR || !wait_fd(p->fd, wait_for, deadline))
			return -1;
	}
	return 0;
}

/* Reads exactly len bytes before the deadline: 1, 0 when qnetd closed, -1 on timeout or error. */
static int recv_all(struct peer *p, uint8_t *buf, size_t len, uint64_t deadline)
{
	while (len > 0) {
		ssize_t n;
		short wait_for = POLLIN;
		if (p->tls != NULL) {
			n = bench_tls_recv(p->tls, buf, len);
			if (n == BENCH_TLS_WANT_WRITE)
				wait_for = POLLOUT;
			if (n == BENCH_TLS_ERROR)
				return 0; /* a reset or a TLS alert: qnetd is done with us */
		} else {
			n = recv(p->fd, buf, len, 0);
			if (n < 0 && errno == ECONNRESET)
				return 0;
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
		}
		if (n == 0)
			return 0;
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (!wait_fd(p->fd, wait_for, deadline))
			return -1;
	}
	return 1;
}

static int send_msg(struct peer *p, struct msg *m)
{
	uint8_t buf[PROTO_DEFAULT_MAX_MSG_SIZE];
	m->seq_number = ++p->seq;
	msg_set_present(m, PROTO_OPT_MSG_SEQ_NUMBER);
	long n = msg_encode(m, buf, sizeof(buf));
	if (n < 0)
		return -1;
	return send_all(p, buf, (size_t)n, now_ms() + 5000);
}

/* One message from qnetd: 1 (decoded into *m; msg_destroy it), 0 closed, -1 timeout or garbage. */
static int recv_msg(struct peer *p, struct msg *m, uint32_t timeout_ms)
{
	uint8_t buf[PROTO_DEFAULT_MAX_MSG_SIZE];
	uint64_t deadline = now_ms() + timeout_ms;
	int rc = recv_all(p, buf, PROTO_HEADER_SIZE, deadline);
	if (rc <= 0)
		return rc;
	struct msg_header h;
	msg_header_parse(buf, &h);
	if (h.length > sizeof(buf) - PROTO_HEADER_SIZE)
		return -1;
	rc = recv_all(p, buf + PROTO_HEADER_SIZE, h.length, deadline);
	if (rc <= 0)
		return rc;
	struct msg_decode_error err;
	msg_init(m, 0);
	if (msg_decode(buf, PROTO_HEADER_SIZE + h.length, m, &err) != 0) {
		msg_destroy(m);
		return -1;
	}
	return 1;
}

static int send_preinit(struct peer *p, const char *cluster)
{
	struct msg m;
	msg_init(&m, PROTO_MSG_PREINIT);
	m.cluster_name = (const uint8_t *)cluster;
	m.cluster_name_len = strlen(cluster);
	msg_set_present(&m, PROTO_OPT_CLUSTER_NAME);
	return send_msg(p, &m);
}

static int send_simple(struct peer *p, uint16_t type)
{
	struct msg m;
	msg_init(&m, type);
	return send_msg(p, &m);
}

static int send_init(struct peer *p, uint32_t node_id)
{
	static const uint16_t msgs[] = {PROTO_MSG_PREINIT, PROTO_MSG_PREINIT_REPLY, PROTO_MSG_STARTTLS,
					PROTO_MSG_INIT, PROTO_MSG_INIT_REPLY, PROTO_MSG_SERVER_ERROR,
					PROTO_MSG_ECHO_REQUEST, PROTO_MSG_ECHO_REPLY};
	static const uint16_t opts[] = {PROTO_OPT_MSG_SEQ_NUMBER, PROTO_OPT_CLUSTER_NAME, PROTO_OPT_NODE_ID};
	struct msg m;
	msg_init(&m, PROTO_MSG_INIT);
	m.supported_messages = msgs;
	m.supported_messages_count = sizeof(msgs) / sizeof(msgs[0]);
	msg_set_present(&m, PROTO_OPT_SUPPORTED_MESSAGES);
	m.supported_options = opts;
	m.supported_options_count = sizeof(opts) / sizeof(opts[0]);
	msg_set_present(&m, PROTO_OPT_SUPPORTED_OPTIONS);
	m.node_id = node_id;
	msg_set_present(&m, PROTO_OPT_NODE_ID);
	m.algorithm = PROTO_ALGO_FFSPLIT;
	msg_set_present(&m, PROTO_OPT_DECISION_ALGORITHM);
	m.heartbeat_interval = 8000;
	msg_set_present(&m, PROTO_OPT_HEARTBEAT_INTERVAL);
	m.tie_breaker.mode = PROTO_TIE_BREAKER_LOWEST;
	msg_set_present(&m, PROTO_OPT_TIE_BREAKER);
	m.ring_id.node_id = node_id;
	m.ring_id.seq = 4;
	msg_set_present(&m, PROTO_OPT_RING_ID);
	return send_msg(p, &m);
}

/* Waits for a message of `type`, skipping others; 1 found (decoded into *m), 0 closed, -1 not seen. */
static int expect_msg(struct peer *p, uint16_t type, struct msg *m, uint32_t timeout_ms)
{
	for (;;) {
		int rc = recv_msg(p, m, timeout_ms);
		if (rc <= 0)
			return rc;
		if (m->type == type)
			return 1;
		msg_destroy(m);
	}
}

static int start_tls(struct peer *p)
{
	p->tls = bench_tls_wrap(p->fd);
	if (p->tls == NULL)
		return -1;
	uint64_t deadline = now_ms() + 10000;
	for (;;) {
		int rc = bench_tls_handshake(p->tls);
		if (rc == 1)
			return 0;
		if (rc == BENCH_TLS_ERROR)
			return -1;
		if (!wait_fd(p->fd, rc == BENCH_TLS_WANT_READ ? POLLIN : POLLOUT, deadline))
			return -1;
	}
}

static void peer_close(struct peer *p)
{
	if (p->tls != NULL)
		bench_tls_close(p->tls); /* closes the socket */
	else if (p->fd >= 0)
		close(p->fd);
	p->tls = NULL;
	p->fd = -1;
}

/*
 * Finding 1 of the hardening issue: PREINIT as cluster A, STARTTLS with a certificate valid for A,
 * a message before INIT (qnetd checks the certificate against A on it), PREINIT as cluster B,
 * INIT. Allowed when the INIT is accepted after qnetd answered the second PREINIT with a
 * PREINIT_REPLY: the client then sits in B on A's certificate. The connection is held for
 * hold_s seconds so that the caller can look at qnetd's cluster list.
 */
static int probe_rebind(uint16_t port, const char *db, const char *nick, const char *a, const char *b, int hold_s)
{
	if (bench_tls_init("openssl", db, nick, false) != 0)
		return PROBE_ERROR;
	struct peer p = {.fd = connect_loopback(port)};
	struct msg m;
	if (p.fd < 0) {
		printf("rebind: cannot connect to port %u\n", port);
		return PROBE_ERROR;
	}
	if (send_preinit(&p, a) != 0 || expect_msg(&p, PROTO_MSG_PREINIT_REPLY, &m, 5000) != 1) {
		printf("rebind: no PREINIT_REPLY for %s\n", a);
		return PROBE_ERROR;
	}
	msg_destroy(&m);
	if (send_simple(&p, PROTO_MSG_STARTTLS) != 0 || start_tls(&p) != 0) {
		printf("rebind: TLS handshake failed: %s\n", bench_tls_error());
		return PROBE_ERROR;
	}
	if (send_simple(&p, PROTO_MSG_ECHO_REQUEST) != 0 || expect_msg(&p, PROTO_MSG_SERVER_ERROR, &m, 5000) != 1) {
		printf("rebind: no answer to a message before INIT (certificate refused for %s?)\n", a);
		return PROBE_ERROR;
	}
	msg_destroy(&m);
	if (send_preinit(&p, b) != 0) {
		printf("rebind: connection closed at the second PREINIT\n");
		return PROBE_REFUSED;
	}
	int rc = recv_msg(&p, &m, 5000);
	if (rc != 1) {
		printf("rebind: second PREINIT (%s) closed the connection\n", b);
		return PROBE_REFUSED;
	}
	bool renamed = m.type == PROTO_MSG_PREINIT_REPLY;
	uint16_t code = msg_has(&m, PROTO_OPT_REPLY_ERROR_CODE) ? m.reply_error_code : 0;
	msg_destroy(&m);
	if (send_init(&p, 1) != 0 || expect_msg(&p, PROTO_MSG_INIT_REPLY, &m, 5000) != 1) {
		printf("rebind: INIT refused after the second PREINIT\n");
		return PROBE_REFUSED;
	}
	uint16_t init_code = msg_has(&m, PROTO_OPT_REPLY_ERROR_CODE) ? m.reply_error_code : 0;
	msg_destroy(&m);
	if (init_code != 0) {
		printf("rebind: INIT refused with error %u\n", init_code);
		return PROBE_REFUSED;
	}
	if (renamed)
		printf("rebind: admitted into %s on %s's certificate\n", b, a);
	else
		printf("rebind: second PREINIT refused (error %u), INIT joined %s\n", code, a);
	fflush(stdout);
	sleep((unsigned)hold_s);
	peer_close(&p);
	bench_tls_shutdown();
	return renamed ? PROBE_ALLOWED : PROBE_REFUSED;
}

/*
 * Finding 7 (TLS minimum): PREINIT, STARTTLS and a handshake offering TLS 1.1 at most. Refused when
 * the handshake fails.
 */
static int probe_tls_version(uint16_t port, const char *db, const char *nick, const char *version)
{
	if (bench_tls_init("openssl", db, nick, false) != 0 || bench_tls_set_max_version(version) != 0) {
		printf("tls-version: cannot set up a TLS %s client\n", version);
		return PROBE_ERROR;
	}
	struct peer p = {.fd = connect_loopback(port)};
	struct msg m;
	if (p.fd < 0 || send_preinit(&p, "c1.bench.test") != 0 || expect_msg(&p, PROTO_MSG_PREINIT_REPLY, &m, 5000) != 1) {
		printf("tls-version: no PREINIT_REPLY\n");
		return PROBE_ERROR;
	}
	msg_destroy(&m);
	if (send_simple(&p, PROTO_MSG_STARTTLS) != 0) {
		printf("tls-version: cannot send STARTTLS\n");
		return PROBE_ERROR;
	}
	int rc = start_tls(&p);
	peer_close(&p);
	bench_tls_shutdown();
	if (rc != 0) {
		printf("tls-version: TLS %s handshake refused (%s)\n", version, bench_tls_error());
		return PROBE_REFUSED;
	}
	printf("tls-version: TLS %s handshake accepted\n", version);
	return PROBE_ALLOWED;
}

/*
 * Finding 2: a client that connects and never finishes authenticating. mode "silent" sends
 * nothing; "preinit" sends a PREINIT every second (each restarted upstream's dead-peer timer);
 * "tls-stall" sends PREINIT and STARTTLS and then a fragment of a TLS hello. Refused when qnetd
 * closes the connection within limit_s seconds; the line says after how long.
 */
static int probe_unauthenticated(uint16_t port, const char *mode, int limit_s)
{
	struct peer p = {.fd = connect_loopback(port)};
	if (p.fd < 0) {
		printf("%s: cannot connect to port %u\n", mode, port);
		return PROBE_ERROR;
	}
	uint64_t start = now_ms(), deadline = start + (uint64_t)limit_s * 1000u;
	if (strcmp(mode, "tls-stall") == 0) {
		static const uint8_t hello_start[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
		struct msg m;
		if (send_preinit(&p, "probe") != 0 || expect_msg(&p, PROTO_MSG_PREINIT_REPLY, &m, 5000) != 1) {
			printf("%s: no PREINIT_REPLY\n", mode);
			return PROBE_ERROR;
		}
		msg_destroy(&m);
		if (send_simple(&p, PROTO_MSG_STARTTLS) != 0 ||
		    send_all(&p, hello_start, sizeof(hello_start), now_ms() + 5000) != 0) {
			printf("%s: cannot send STARTTLS\n", mode);
			return PROBE_ERROR;
		}
	} else if (strcmp(mode, "silent") != 0 && strcmp(mode, "preinit") != 0) {
		fprintf(stderr, "unknown mode %s\n", mode);
		return PROBE_ERROR;
	}
	uint64_t next_preinit = start;
	for (;;) {
		uint64_t now = now_ms();
		if (now >= deadline) {
			printf("%s: still connected after %d s\n", mode, limit_s);
			peer_close(&p);
			return PROBE_ALLOWED;
		}
		if (strcmp(mode, "preinit") == 0 && now >= next_preinit) {
			if (send_preinit(&p, "probe") != 0)
				break;
			next_preinit = now + 1000;
		}
		uint64_t until = strcmp(mode, "preinit") == 0 && next_preinit < deadline ? next_preinit : deadline;
		uint8_t buf[4096];
		if (wait_fd(p.fd, POLLIN, until)) {
			ssize_t n = recv(p.fd, buf, sizeof(buf), 0);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
				break;
		}
	}
	printf("%s: closed by qnetd after %.1f s\n", mode, (double)(now_ms() - start) / 1000.0);
	peer_close(&p);
	return PROBE_REFUSED;
}

/*
 * Finding 2, per-address limit: opens n connections from 127.0.0.1 and holds them; after a second
 * counts how many qnetd has already closed. Prints "flood: A of N held open" and exits
 * PROBE_REFUSED when some were closed, PROBE_ALLOWED when all are held.
 */
static int probe_flood(uint16_t port, int n, int hold_s)
{
	int *fds = calloc((size_t)n, sizeof(int));
	if (fds == NULL)
		return PROBE_ERROR;
	int opened = 0;
	for (int i = 0; i < n; i++) {
		fds[i] = connect_loopback(port);
		if (fds[i] >= 0)
			opened++;
	}
	sleep(1);
	int held = 0;
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		struct pollfd p = {.fd = fds[i], .events = POLLIN};
		char c;
		bool closed = poll(&p, 1, 0) == 1 && recv(fds[i], &c, 1, MSG_DONTWAIT) <= 0;
		if (!closed)
			held++;
	}
	printf("flood: %d of %d held open (%d connected)\n", held, n, opened);
	fflush(stdout);
	sleep((unsigned)hold_s);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return held < opened ? PROBE_REFUSED : PROBE_ALLOWED;
}

static void usage(void)
{
	fprintf(stderr, "usage: qnetd_probe rebind PORT NSSDB NICKNAME CLUSTER_A CLUSTER_B HOLD_S\n"
			"       qnetd_probe silent|preinit|tls-stall PORT LIMIT_S\n"
			"       qnetd_probe flood PORT N HOLD_S\n"
			"       qnetd_probe tls-version PORT NSSDB NICKNAME VERSION\n"
			"exit: 0 refused by qnetd, 2 allowed by qnetd, 1 probe error\n");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 8 && strcmp(argv[1], "rebind") == 0)
		return probe_rebind((uint16_t)atoi(argv[2]), argv[3], argv[4], argv[5], argv[6], atoi(argv[7]));
	if (argc == 4 && (strcmp(argv[1], "silent") == 0 || strcmp(argv[1], "preinit") == 0 ||
			  strcmp(argv[1], "tls-stall") == 0))
		return probe_unauthenticated((uint16_t)atoi(argv[2]), argv[1], atoi(argv[3]));
	if (argc == 6 && strcmp(argv[1], "tls-version") == 0)
		return probe_tls_version((uint16_t)atoi(argv[2]), argv[3], argv[4], argv[5]);
	if (argc == 5 && strcmp(argv[1], "flood") == 0)
		return probe_flood((uint16_t)atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	usage();
	return PROBE_ERROR;
}

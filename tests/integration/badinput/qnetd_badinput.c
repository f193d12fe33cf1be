/*
 * Bad input against a running qnetd on loopback: every bad connection gets its
 * documented answer or is closed, the daemon keeps serving, and a healthy
 * cluster connected throughout keeps its vote. Exits 0 when all checks pass.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "tlv.h"

static int port;
static int passes;
static int failures;

#define CHECK(cond, ...)                                   \
	do {                                               \
		if (cond) {                                \
			printf("ok: " __VA_ARGS__);        \
			passes++;                          \
		} else {                                   \
			printf("FAILED: " __VA_ARGS__);    \
			failures++;                        \
		}                                          \
		printf("\n");                              \
	} while (0)

static int connect_qnetd(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("connect");
		exit(2);
	}
	return fd;
}

static void send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0) {
			perror("send");
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void send_msg(int fd, const struct msg *m)
{
	uint8_t buf[4096];
	long n = msg_encode(m, buf, sizeof(buf));
	if (n < 0) {
		fprintf(stderr, "cannot encode test message\n");
		exit(2);
	}
	send_all(fd, buf, (size_t)n);
}

/* Reads exactly len bytes within timeout_ms; 0 on success, -1 on EOF/timeout. */
static int read_exact(int fd, uint8_t *buf, size_t len, int timeout_ms)
{
	size_t have = 0;
	while (have < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		ssize_t n = recv(fd, buf + have, len - have, 0);
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	return 0;
}

/* Receives one message into *m (caller destroys); -1 on EOF/timeout. */
static int recv_msg(int fd, struct msg *m, int timeout_ms)
{
	uint8_t header[6];
	struct msg_decode_error err;
	if (read_exact(fd, header, 6, timeout_ms) != 0)
		return -1;
	struct msg_header h;
	msg_header_parse(header, &h);
	if (h.length > 65536)
		return -1;
	uint8_t *buf = malloc(6 + (size_t)h.length);
	memcpy(buf, header, 6);
	if (read_exact(fd, buf + 6, h.length, timeout_ms) != 0) {
		free(buf);
		return -1;
	}
	int rc = msg_decode(buf, 6 + (size_t)h.length, m, &err);
	free(buf);
	return rc;
}

/* True when the peer closes the connection within timeout_ms (data before the close is discarded). */
static bool closed_by_peer(int fd, int timeout_ms)
{
	uint8_t buf[256];
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, timeout_ms) <= 0)
			return false;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		if (n < 0)
			return false;
	}
}

static void set_seq(struct msg *m, uint32_t seq)
{
	m->seq_number = seq;
	msg_set_present(m, PROTO_OPT_MSG_SEQ_NUMBER);
}

static void preinit(int fd, const char *cluster)
{
	struct msg m, r;
	msg_init(&m, PROTO_MSG_PREINIT);
	set_seq(&m, 1);
	m.cluster_name = (const uint8_t *)cluster;
	m.cluster_name_len = strlen(cluster);
	msg_set_present(&m, PROTO_OPT_CLUSTER_NAME);
	send_msg(fd, &m);
	if (recv_msg(fd, &r, 5000) != 0 || r.type != PROTO_MSG_PREINIT_REPLY) {
		fprintf(stderr, "no preinit reply\n");
		exit(2);
	}
	msg_destroy(&r);
}

static const struct msg_node_info two_nodes[] = {{1, 0, 0}, {2, 0, 0}};

/* A stock-like client: INIT with heartbeat_ms, config, membership; returns the fd (its ACK may follow). */
static int cluster_client(const char *cluster, uint32_t node_id, uint32_t heartbeat_ms)
{
	int fd = connect_qnetd();
	struct msg m, r;
	preinit(fd, cluster);
	msg_init(&m, PROTO_MSG_INIT);
	set_seq(&m, 2);
	m.node_id = node_id;
	m.algorithm = PROTO_ALGO_FFSPLIT;
	m.heartbeat_interval = heartbeat_ms;
	m.tie_breaker.mode = PROTO_TIE_BREAKER_LOWEST;
	m.ring_id.node_id = 1;
	m.ring_id.seq = 4;
	msg_set_present(&m, PROTO_OPT_NODE_ID);
	msg_set_present(&m, PROTO_OPT_DECISION_ALGORITHM);
	msg_set_present(&m, PROTO_OPT_HEARTBEAT_INTERVAL);
	msg_set_present(&m, PROTO_OPT_TIE_BREAKER);
	msg_set_present(&m, PROTO_OPT_RING_ID);
	send_msg(fd, &m);
	if (recv_msg(fd, &r, 5000) != 0 || r.type != PROTO_MSG_INIT_REPLY || r.reply_error_code != 0) {
		fprintf(stderr, "good client %u: init failed\n", node_id);
		exit(2);
	}
	msg_destroy(&r);
	for (int type = PROTO_NODE_LIST_INITIAL_CONFIG; type <= PROTO_NODE_LIST_MEMBERSHIP; type += 2) {
		msg_init(&m, PROTO_MSG_NODE_LIST);
		set_seq(&m, 3 + (uint32_t)type);
		m.node_list_type = (uint8_t)type;
		m.nodes = two_nodes;
		m.node_count = 2;
		m.ring_id.node_id = 1;
		m.ring_id.seq = 4;
		msg_set_present(&m, PROTO_OPT_NODE_LIST_TYPE);
		msg_set_present(&m, PROTO_OPT_NODE_INFO);
		if (type == PROTO_NODE_LIST_MEMBERSHIP)
			msg_set_present(&m, PROTO_OPT_RING_ID);
		send_msg(fd, &m);
	}
	return fd;
}

static int good_client(uint32_t node_id)
{
	return cluster_client("good", node_id, 8000);
}

/* The VOTE_INFO_REPLY a qdevice owes for a VOTE_INFO push. */
static void answer_vote_info(int fd, const struct msg *vote_info)
{
	struct msg reply;
	msg_init(&reply, PROTO_MSG_VOTE_INFO_REPLY);
	set_seq(&reply, vote_info->seq_number);
	send_msg(fd, &reply);
}

/* Collects every message pending on a good client within timeout_ms; answers VOTE_INFO; counts ACKs. */
static int drain_votes(int fd, int timeout_ms, int *acks, int *nacks)
{
	struct msg r;
	int count = 0;
	while (recv_msg(fd, &r, timeout_ms) == 0) {
		if (r.type == PROTO_MSG_VOTE_INFO) {
			if (r.vote == PROTO_VOTE_ACK)
				(*acks)++;
			if (r.vote == PROTO_VOTE_NACK)
				(*nacks)++;
			answer_vote_info(fd, &r);
		}
		count++;
		msg_destroy(&r);
	}
	return count;
}

static bool echo_ok(int fd, uint32_t seq)
{
	struct msg m, r;
	msg_init(&m, PROTO_MSG_ECHO_REQUEST);
	set_seq(&m, seq);
	send_msg(fd, &m);
	bool ok = recv_msg(fd, &r, 5000) == 0 && r.type == PROTO_MSG_ECHO_REPLY && r.seq_number == seq;
	msg_destroy(&r);
	return ok;
}

/* Sends an echo request and waits for its reply, answering any vote that comes first. */
static bool echo_answered(int fd, uint32_t seq)
{
	struct msg m, r;
	msg_init(&m, PROTO_MSG_ECHO_REQUEST);
	set_seq(&m, seq);
	send_msg(fd, &m);
	while (recv_msg(fd, &r, 3000) == 0) {
		bool done = r.type == PROTO_MSG_ECHO_REPLY && r.seq_number == seq;
		if (r.type == PROTO_MSG_VOTE_INFO)
			answer_vote_info(fd, &r);
		msg_destroy(&r);
		if (done)
			return true;
	}
	return false;
}

/*
 * Dead-peer detection with a 1 s heartbeat (drop after 1.5 s of silence): a client that echoes every
 * 0.5 s for 4 s stays, one that falls silent is dropped, and not before its 1.5 s are up.
 */
static void check_dead_peer_detection(void)
{
	int live = cluster_client("dpd-live", 1, 1000);
	int silent = cluster_client("dpd-silent", 1, 1000);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bool live_ok = true, silent_closed = false;
	double closed_after = -1;
	for (uint32_t i = 1; i <= 8; i++) {
		nanosleep(&(struct timespec){.tv_nsec = 500 * 1000 * 1000}, NULL);
		live_ok = live_ok && echo_answered(live, i);
		if (!silent_closed) {
			/* Only the votes qnetd pushes may arrive; the end of the stream is the drop. */
			uint8_t buf[512];
			ssize_t n;
			while ((n = recv(silent, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
				;
			if (n == 0 || (n < 0 && errno == ECONNRESET)) {
				silent_closed = true;
				clock_gettime(CLOCK_MONOTONIC, &t1);
				closed_after = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
			}
		}
	}
	CHECK(live_ok, "dead-peer detection: a client echoing every 0.5 s (heartbeat 1 s) is kept for 4 s");
	CHECK(silent_closed && closed_after >= 1.4, "dead-peer detection: a silent client is dropped after its 1.5 s "
						    "(closed after %.1f s)", closed_after);
	close(live);
	close(silent);
}

/* Sends raw bytes on a fresh connection and expects SERVER_ERROR `code`; the connection must stay open. */
static void expect_error(const char *what, const uint8_t *bytes, size_t len, uint16_t code, bool preinit_first)
{
	int fd = connect_qnetd();
	struct msg r;
	if (preinit_first)
		preinit(fd, "bad");
	send_all(fd, bytes, len);
	bool got = recv_msg(fd, &r, 5000) == 0 && r.type == PROTO_MSG_SERVER_ERROR && r.reply_error_code == code;
	CHECK(got, "%s: SERVER_ERROR %u", what, code);
	if (got)
		msg_destroy(&r);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: qnetd_badinput PORT TLS_REQUIRED_PORT\n");
		return 2;
	}
	port = atoi(argv[1]);
	int req_port = atoi(argv[2]);

	/* A healthy 2-node cluster that must keep its ACKs throughout. */
	int g1 = good_client(1), g2 = good_client(2);
	int acks = 0, nacks = 0;
	drain_votes(g1, 1000, &acks, &nacks);
	drain_votes(g2, 1000, &acks, &nacks);
	CHECK(acks >= 2 && nacks == 0, "healthy cluster got its ACKs (%d ACK, %d NACK)", acks, nacks);

	/* Malformed: a vote of 0 after seq 7. */
	const uint8_t bad_value[] = {0, 8, 0, 0, 0, 13, 0, 0, 0, 4, 0, 0, 0, 7, 0, 19, 0, 1, 0};
	expect_error("invalid option value", bad_value, sizeof(bad_value), PROTO_ERR_ERROR_DECODING_MSG, false);
	/* Options that do not tile the payload. */
	const uint8_t bad_tiling[] = {0, 8, 0, 0, 0, 10, 0, 0, 0, 4, 0, 0, 0, 7, 0, 1};
	expect_error("inconsistent options", bad_tiling, sizeof(bad_tiling), PROTO_ERR_ERROR_DECODING_MSG, false);
	/* Unknown type. */
	const uint8_t unknown[] = {0x12, 0x34, 0, 0, 0, 2, 0xaa, 0xbb};
	expect_error("unknown message type", unknown, sizeof(unknown), PROTO_ERR_UNSUPPORTED_MESSAGE, false);
	/* Oversized: header announces 40000 bytes; all are sent and skipped. */
	size_t big_len = 6 + 40000;
	uint8_t *big = calloc(1, big_len);
	msg_header_write(big, PROTO_MSG_ECHO_REQUEST, 40000);
	expect_error("oversized message", big, big_len, PROTO_ERR_MESSAGE_TOO_LONG, false);
	free(big);
	/* Wrong state: a node list before INIT, STARTTLS before PREINIT, a server message. */
	const uint8_t early_list[] = {0, 10, 0, 0, 0, 13, 0, 0, 0, 4, 0, 0, 0, 9, 0, 18, 0, 1, 0};
	expect_error("node list before init", early_list, sizeof(early_list), PROTO_ERR_INIT_REQUIRED, true);
	const uint8_t early_tls[] = {0, 2, 0, 0, 0, 8, 0, 0, 0, 4, 0, 0, 0, 2};
	expect_error("starttls before preinit", early_tls, sizeof(early_tls), PROTO_ERR_PREINIT_REQUIRED, false);
	const uint8_t server_type[] = {0, 14, 0, 0, 0, 8, 0, 0, 0, 4, 0, 0, 0, 2};
	expect_error("server-to-client message", server_type, sizeof(server_type), PROTO_ERR_UNEXPECTED_MESSAGE,
		     false);

	/*
	 * Garbage instead of a TLS hello after STARTTLS: a complete record of an
	 * unknown content type. The connection is closed. (A record header that
	 * announces more bytes than are sent just waits, as TLS must.)
	 */
	int fd = connect_qnetd();
	preinit(fd, "bad");
	uint8_t garbage[sizeof(early_tls) + 5 + 16];
	memcpy(garbage, early_tls, sizeof(early_tls));
	const uint8_t record[5] = {0x41, 0x03, 0x03, 0x00, 0x10};
	memcpy(garbage + sizeof(early_tls), record, sizeof(record));
	memset(garbage + sizeof(early_tls) + sizeof(record), 0x41, 16);
	send_all(fd, garbage, sizeof(garbage));
	CHECK(closed_by_peer(fd, 5000), "garbage instead of a TLS handshake closes the connection");
	close(fd);

	/* A client that starts TLS and never finishes, and 1000 half-open connections. */
	int stuck = connect_qnetd();
	preinit(stuck, "stuck");
	send_all(stuck, early_tls, sizeof(early_tls));
	enum { HALF_OPEN = 1000 };
	int half_open[HALF_OPEN];
	int opened = 0;
	for (int i = 0; i < HALF_OPEN; i++) {
		half_open[i] = connect_qnetd();
		/* Half a header: the server waits for the rest. */
		send_all(half_open[i], "\0\0\0", 3);
		opened++;
	}
	CHECK(opened == HALF_OPEN, "%d half-open connections made", opened);
	CHECK(echo_ok(g1, 1) && echo_ok(g2, 1), "healthy cluster still served beside them");

	/* Plaintext INIT on the TLS-required daemon. */
	port = req_port;
	const uint8_t init_plain[] = {0, 3, 0, 0, 0, 8, 0, 0, 0, 4, 0, 0, 0, 3};
	expect_error("plaintext client when TLS is required", init_plain, sizeof(init_plain),
		     PROTO_ERR_TLS_REQUIRED, true);
	port = atoi(argv[1]);

	for (int i = 0; i < opened; i++)
		close(half_open[i]);
	close(stuck);

	/* The healthy cluster's votes never changed: no VOTE_INFO arrived in between. */
	acks = nacks = 0;
	int pending = drain_votes(g1, 500, &acks, &nacks) + drain_votes(g2, 500, &acks, &nacks);
	CHECK(pending == 0, "healthy cluster saw no vote change (%d messages pending)", pending);
	CHECK(echo_ok(g1, 2) && echo_ok(g2, 2), "healthy cluster served after the bad input");
	close(g1);
	close(g2);

	check_dead_peer_detection();

	printf("%d passed, %d failed\n", passes, failures);
	return failures == 0 ? 0 : 1;
}

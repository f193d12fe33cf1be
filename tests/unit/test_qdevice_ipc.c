/* corosync-qdevice's local socket: upstream's command set and replies, then the real server over a unix socket in a temp dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc_request.h"
#include "qdevice_ipc.h"
#include "qdevice_settings.h"
#include "testdata.h"

#define GOLDEN QD_TEST_DATA_DIR "/golden/"

static const struct qdevice_config_node one_node[] = {{1, 0}};
static const uint32_t one_member[] = {1};
static const struct qdevice_status_quorum_node one_quorum[] = {{1, PROTO_NODE_STATE_MEMBER}};

/* What the daemon's status callback sees and does. */
struct fake_daemon {
	int status_calls;
	bool status_fails;
	size_t extra_nodes;             /* grows the configured node list to overflow small send limits */
	struct qdevice_config_node *nodes;
	int closed_calls;
};

/* The state behind tests/data/golden/qdevice-status*.txt (times in UTC). */
static int fake_status(void *ctx, struct qdevice_status *s)
{
	struct fake_daemon *d = ctx;
	d->status_calls++;
	if (d->status_fails)
		return -1;
	struct tm tm = {.tm_year = 126, .tm_mon = 10, .tm_mday = 22, .tm_hour = 2, .tm_min = 4};
	s->node_id = 1;
	s->timeout = 10000;
	s->sync_timeout = 30000;
	s->config_version_set = true;
	s->config_version = 3;
	s->config_nodes = one_node;
	s->config_node_count = 1;
	if (d->extra_nodes != 0) {
		free(d->nodes);
		d->nodes = calloc(d->extra_nodes, sizeof(*d->nodes));
		if (d->nodes == NULL)
			return -1;
		for (size_t i = 0; i < d->extra_nodes; i++)
			d->nodes[i].node_id = (uint32_t)i + 1;
		s->config_nodes = d->nodes;
		s->config_node_count = d->extra_nodes;
	}
	s->ring_id.node_id = 1;
	s->ring_id.seq = 5;
	s->members = one_member;
	s->member_count = 1;
	s->quorate = true;
	s->quorum_nodes = one_quorum;
	s->quorum_node_count = 1;
	s->expected_votes = 2;
	tm.tm_sec = 8;
	s->last_poll_set = true;
	s->last_poll_time = mktime(&tm);
	s->last_poll_cast = true;
	s->cluster_name = "testcluster";
	s->host = "127.0.0.1";
	s->port = 5403;
	s->connect_timeout = 8000;
	s->heartbeat_interval = 8000;
	s->cast_vote_timer_interval = 5000;
	s->tls = PROTO_TLS_SUPPORTED;
	s->algorithm = PROTO_ALGO_FFSPLIT;
	s->tie_breaker.mode = PROTO_TIE_BREAKER_LOWEST;
	s->kap_tie_breaker = true;
	s->server_supports_kap = true;
	s->poll_timer_running = true;
	s->vote = PROTO_VOTE_ACK;
	s->state = QDEVICE_NET_LINK_CONNECTED;
	s->tls_active = true;
	s->client_cert_sent = true;
	tm.tm_sec = 3;
	s->connected_since_set = true;
	s->connected_since = mktime(&tm);
	tm.tm_sec = 11;
	s->echo_reply_set = true;
	s->echo_reply_time = mktime(&tm);
	return 0;
}

static void fake_closed(void *ctx)
{
	struct fake_daemon *d = ctx;
	d->closed_calls++;
}

static char *golden_reply(const char *file)
{
	size_t len;
	char *golden = testdata_read_file(file, &len);
	assert_non_null(golden);
	char *reply = malloc(len + 4);
	assert_non_null(reply);
	memcpy(reply, "OK\n", 3);
	memcpy(reply + 3, golden, len + 1);
	free(golden);
	return reply;
}

static int setup_tz(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

/* ---- The pure command handler. ---- */

static char *run(struct fake_daemon *d, const char *request, size_t limit, bool *shutdown)
{
	struct strbuf out;
	strbuf_init(&out, limit);
	qdevice_ipc_run_command(request, strlen(request), fake_status, d, &out, shutdown);
	if (out.failed) {
		strbuf_free(&out);
		return NULL;
	}
	assert_non_null(out.data);
	return out.data;
}

static void assert_reply(const char *request, const char *expected, bool expect_shutdown)
{
	struct fake_daemon d = {0};
	bool shutdown = !expect_shutdown;
	char *got = run(&d, request, 65536, &shutdown);
	assert_non_null(got);
	assert_string_equal(got, expected);
	assert_int_equal(shutdown, expect_shutdown);
	free(got);
}

static void test_raw_examples(void **state)
{
	(void)state;
	char *plain = golden_reply(GOLDEN "qdevice-status.txt");
	char *verbose = golden_reply(GOLDEN "qdevice-status-verbose.txt");

	/* Requests and replies observed from upstream's daemon. */
	assert_reply("status\n", plain, false);
	assert_reply("foo bar\n", "Error\nUnknown command 'foo'\n", false);
	assert_reply("\n", "Error\nNo command specified\n", false);
	assert_reply("STATUS   Verbose  extra\n", verbose, false);
	assert_reply("status x\r\n", plain, false);
	/* What the tool sends, trailing spaces included, and Proxmox's request. */
	assert_reply("status \n", plain, false);
	assert_reply("status verbose \n", verbose, false);
	assert_reply("status verbose\n", verbose, false);
	assert_reply("shutdown \n", "OK\n", true);
	assert_reply("ShutDown verbose \n", "OK\n", true);
	/* Separators and line ends. */
	assert_reply("\t\v\fstatus\fverbose\n", verbose, false);
	assert_reply(" \r\n", "Error\nNo command specified\n", false);
	assert_reply("\rstatus\n", "Error\nNo command specified\n", false);
	assert_reply("status\rverbose\n", plain, false);
	/* Only the first line counts; no quoting or escapes. */
	assert_reply("bogus\nstatus\n", "Error\nUnknown command 'bogus'\n", false);
	assert_reply("\"status\"\n", "Error\nUnknown command '\"status\"'\n", false);
	assert_reply("stat\\us\n", "Error\nUnknown command 'stat\\us'\n", false);
	assert_reply("verbose status\n", "Error\nUnknown command 'verbose'\n", false);
	free(plain);
	free(verbose);
}

static void test_status_failures(void **state)
{
	(void)state;
	struct fake_daemon d = {.status_fails = true};
	bool shutdown;
	char *got = run(&d, "status\n", 65536, &shutdown);
	assert_string_equal(got, "Error\nCan't get QDevice status\n");
	assert_int_equal(d.status_calls, 1);
	free(got);

	/* A status larger than ipc_max_send_size overflows the reply (the server's "buffer too small"). */
	d.status_fails = false;
	d.extra_nodes = 200;
	assert_null(run(&d, "status\n", 1024, &shutdown));
	free(d.nodes);
}

static void test_tokenize(void **state)
{
	(void)state;
	struct ipc_request_tokens t;
	const char buf[] = "  a\tbb\v\fccc  \r\nnext";
	assert_int_equal(ipc_request_tokenize(buf, sizeof(buf) - 1, false, &t), 0);
	assert_int_equal(t.count, 3);
	assert_string_equal(t.tokens[0], "a");
	assert_string_equal(t.tokens[1], "bb");
	assert_string_equal(t.tokens[2], "ccc");
	ipc_request_tokens_free(&t);
	/* Without a line end the whole buffer is the line. */
	assert_int_equal(ipc_request_tokenize("x y", 3, false, &t), 0);
	assert_int_equal(t.count, 2);
	ipc_request_tokens_free(&t);
	assert_int_equal(ipc_request_tokenize("", 0, false, &t), 0);
	assert_int_equal(t.count, 0);
	ipc_request_tokens_free(&t);
	/* qdevice's socket has no quoting: quotes and backslashes are ordinary characters. */
	const char *line = "status \"a b\" c\\ d";
	assert_int_equal(ipc_request_tokenize(line, strlen(line), false, &t), 0);
	assert_int_equal(t.count, 5);
	assert_string_equal(t.tokens[1], "\"a");
	assert_string_equal(t.tokens[2], "b\"");
	assert_string_equal(t.tokens[3], "c\\");
	ipc_request_tokens_free(&t);
	/* qnetd's has: the same line gives three words, the escaped space joins c and d. */
	assert_int_equal(ipc_request_tokenize(line, strlen(line), true, &t), 0);
	assert_int_equal(t.count, 3);
	assert_string_equal(t.tokens[1], "a b");
	assert_string_equal(t.tokens[2], "c d");
	ipc_request_tokens_free(&t);
}

/* Proxmox's GET /cluster/config/qdevice parse (PVE::API2::ClusterConfig) over what the daemon answers. */
static void test_proxmox_parse(void **state)
{
	(void)state;
	struct fake_daemon d = {0};
	bool shutdown;
	char *reply = run(&d, "status verbose\n", 65536, &shutdown);
	static const char *const wanted[][2] = {
		{"Algorithm", "Fifty-Fifty split"},
		{"Last poll call", "2026-11-22T02:04:08 (cast vote)"},
		{"Model", "Net"},
		{"QNetd host", "127.0.0.1:5403"},
		{"State", "Connected"},
		{"Tie-breaker", "Node with lowest node ID"},
	};
	bool found[6] = {false};
	char *save = NULL;
	for (char *line = strtok_r(reply, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == ' ' || line[0] == '\t')
			continue;
		char *colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		/* Key: text before the first colon less trailing whitespace; value: after it less leading. */
		char *kend = colon;
		while (kend > line && (kend[-1] == ' ' || kend[-1] == '\t'))
			kend--;
		*kend = '\0';
		char *value = colon + 1;
		while (*value == ' ' || *value == '\t')
			value++;
		for (size_t i = 0; i < 6; i++) {
			if (strcmp(line, wanted[i][0]) == 0) {
				assert_string_equal(value, wanted[i][1]);
				found[i] = true;
			}
		}
		assert_string_not_equal(line, "Echo reply");
	}
	for (size_t i = 0; i < 6; i++)
		assert_true(found[i]);
	free(reply);
}

/* ---- The server over a real unix socket. ---- */

struct harness {
	char dir[64];
	char path[128];
	struct qdevice_settings settings;
	struct loop *loop;
	struct qdevice_ipc ipc;
	struct fake_daemon daemon;
	int done_pipe[2];
	struct loop_timer guard;
	bool timed_out;
};

static void on_done(struct loop *loop, int fd, uint32_t events, void *data)
{
	(void)fd;
	(void)events;
	(void)data;
	loop_stop(loop);
}

static void on_guard(struct loop *loop, void *data)
{
	struct harness *h = data;
	h->timed_out = true;
	loop_stop(loop);
}

static int harness_setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	strcpy(h->dir, "/tmp/qd-ipc-test-XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	snprintf(h->path, sizeof(h->path), "%s/qdevice.sock", h->dir);
	qdevice_settings_init(&h->settings);
	free(h->settings.local_socket_file);
	h->settings.local_socket_file = strdup(h->path);
	assert_non_null(h->settings.local_socket_file);
	h->loop = loop_create();
	assert_non_null(h->loop);
	assert_int_equal(pipe(h->done_pipe), 0);
	assert_int_equal(loop_fd_add(h->loop, h->done_pipe[0], EPOLLIN, on_done, h), 0);
	loop_timer_init(&h->guard, on_guard, h);
	h->ipc.server.listen_fd = -1;   /* teardown closes only what a test opened */
	*state = h;
	return 0;
}

static int harness_teardown(void **state)
{
	struct harness *h = *state;
	qdevice_ipc_close(&h->ipc);
	loop_fd_remove(h->loop, h->done_pipe[0]);
	loop_timer_stop(h->loop, &h->guard);
	close(h->done_pipe[0]);
	close(h->done_pipe[1]);
	loop_destroy(h->loop);
	qdevice_settings_destroy(&h->settings);
	free(h->daemon.nodes);
	unlink(h->path);
	rmdir(h->dir);
	free(h);
	return 0;
}

static void harness_start(struct harness *h)
{
	assert_int_equal(qdevice_ipc_init(&h->ipc, h->loop, &h->settings, fake_status, fake_closed, &h->daemon), 0);
}

/* A client with every wait bounded (5 s per receive). */
static int client_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int client_send(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads to EOF; returns the bytes (NUL-terminated) or NULL on error/timeout. */
static char *client_read_all(int fd)
{
	size_t len = 0, cap = 1024;
	char *buf = malloc(cap);
	for (;;) {
		if (buf == NULL)
			return NULL;
		if (len + 1 >= cap) {
			char *grown = realloc(buf, cap * 2);
			if (grown == NULL) {
				free(buf);
				return NULL;
			}
			buf = grown;
			cap *= 2;
		}
		ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
		if (n == 0)
			break;
		if (n < 0 && errno == ECONNRESET && len == 0)
			break;
		if (n < 0) {
			free(buf);
			return NULL;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

/* One whole request: connect, send, read the reply to EOF. */
static char *client_request(const char *path, const char *request)
{
	int fd = client_connect(path);
	if (fd < 0)
		return NULL;
	char *reply = NULL;
	if (client_send(fd, request, strlen(request)) == 0)
		reply = client_read_all(fd);
	close(fd);
	return reply;
}

struct client_job {
	struct harness *h;
	void (*fn)(struct client_job *job);
	char *replies[4];
	int results[4];
};

static void *client_thread(void *arg)
{
	struct client_job *job = arg;
	job->fn(job);
	char b = 1;
	if (write(job->h->done_pipe[1], &b, 1) != 1)
		abort();
	return NULL;
}

/* Runs the loop while job->fn plays the client in a thread; at most 10 s. */
static void run_client(struct harness *h, struct client_job *job)
{
	pthread_t th;
	job->h = h;
	loop_timer_start(h->loop, &h->guard, 10000);
	assert_int_equal(pthread_create(&th, NULL, client_thread, job), 0);
	assert_int_equal(loop_run(h->loop), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	loop_timer_stop(h->loop, &h->guard);
	assert_false(h->timed_out);
	char b;
	assert_int_equal(read(h->done_pipe[0], &b, 1), 1);
}

static void job_status_twice(struct client_job *job)
{
	job->replies[0] = client_request(job->h->path, "status verbose\n");
	job->replies[1] = client_request(job->h->path, "bogus\n");
	/* The request split over two writes: the server waits for the line end. */
	int fd = client_connect(job->h->path);
	if (fd >= 0) {
		if (client_send(fd, "sta", 3) == 0) {
			struct timespec ts = {.tv_nsec = 50 * 1000 * 1000};
			nanosleep(&ts, NULL);
			if (client_send(fd, "tus\n", 4) == 0)
				job->replies[2] = client_read_all(fd);
		}
		close(fd);
	}
}

static void test_socket_status(void **state)
{
	struct harness *h = *state;
	/* A stale file at the path is replaced. */
	FILE *f = fopen(h->path, "w");
	assert_non_null(f);
	fclose(f);
	h->settings.local_socket_umask_set = true;
	h->settings.local_socket_umask = 0077;
	h->settings.local_socket_gid_set = true;
	h->settings.local_socket_gid = getegid();
	harness_start(h);

	struct stat st;
	assert_int_equal(stat(h->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(st.st_gid, getegid());

	struct client_job job = {0};
	job.fn = job_status_twice;
	run_client(h, &job);
	char *verbose = golden_reply(GOLDEN "qdevice-status-verbose.txt");
	char *plain = golden_reply(GOLDEN "qdevice-status.txt");
	assert_non_null(job.replies[0]);
	assert_string_equal(job.replies[0], verbose);
	assert_non_null(job.replies[1]);
	assert_string_equal(job.replies[1], "Error\nUnknown command 'bogus'\n");
	assert_non_null(job.replies[2]);
	assert_string_equal(job.replies[2], plain);
	assert_int_equal(h->daemon.status_calls, 2);
	assert_int_equal(h->daemon.closed_calls, 0);
	assert_false(qdevice_ipc_listener_closed(&h->ipc));
	assert_int_equal(h->ipc.server.conn_count, 0);
	for (int i = 0; i < 3; i++)
		free(job.replies[i]);
	free(verbose);
	free(plain);
}

static void job_shutdown(struct client_job *job)
{
	job->replies[0] = client_request(job->h->path, "shutdown verbose \n");
}

static void test_socket_shutdown(void **state)
{
	struct harness *h = *state;
	harness_start(h);
	struct client_job job = {0};
	job.fn = job_shutdown;
	run_client(h, &job);
	assert_non_null(job.replies[0]);
	assert_string_equal(job.replies[0], "OK\n");
	free(job.replies[0]);
	/* After the reply: the listener is closed and unlinked, the daemon told once. */
	assert_int_equal(h->daemon.closed_calls, 1);
	assert_true(qdevice_ipc_listener_closed(&h->ipc));
	struct stat st;
	assert_int_equal(stat(h->path, &st), -1);
	assert_int_equal(client_connect(h->path), -1);
	qdevice_ipc_close_listener(&h->ipc);
	assert_int_equal(h->daemon.closed_calls, 1);
}

/* The SIGTERM path closes the listener and unlinks it; a second call does nothing. */
static void test_close_listener(void **state)
{
	struct harness *h = *state;
	harness_start(h);
	qdevice_ipc_close_listener(&h->ipc);
	assert_int_equal(h->daemon.closed_calls, 1);
	assert_true(qdevice_ipc_listener_closed(&h->ipc));
	assert_int_equal(access(h->path, F_OK), -1);
	qdevice_ipc_close_listener(&h->ipc);
	assert_int_equal(h->daemon.closed_calls, 1);
}

static void job_max_clients(struct client_job *job)
{
	int first = client_connect(job->h->path);
	int second = client_connect(job->h->path);
	if (first < 0 || second < 0) {
		job->results[0] = -1;
		goto out;
	}
	/* The extra client is accepted and closed at once, without a reply. */
	job->replies[0] = client_read_all(second);
	/* The first is still served. */
	if (client_send(first, "status\n", 7) == 0)
		job->replies[1] = client_read_all(first);
out:
	if (first >= 0)
		close(first);
	if (second >= 0)
		close(second);
}

static void test_socket_max_clients(void **state)
{
	struct harness *h = *state;
	h->settings.ipc_max_clients = 1;
	harness_start(h);
	struct client_job job = {0};
	job.fn = job_max_clients;
	run_client(h, &job);
	assert_int_equal(job.results[0], 0);
	assert_non_null(job.replies[0]);
	assert_string_equal(job.replies[0], "");
	assert_non_null(job.replies[1]);
	assert_memory_equal(job.replies[1], "OK\nQdevice information\n", 23);
	free(job.replies[0]);
	free(job.replies[1]);
}

static void job_limits(struct client_job *job)
{
	/* 1025 bytes without a line end exceed ipc_max_receive_size = 1024: dropped, no reply. */
	int fd = client_connect(job->h->path);
	if (fd >= 0) {
		char big[1025];
		memset(big, 'x', sizeof(big));
		if (client_send(fd, big, sizeof(big)) == 0)
			job->replies[0] = client_read_all(fd);
		close(fd);
	}
	/* Exactly 1024 bytes ending in a line end are a request. */
	fd = client_connect(job->h->path);
	if (fd >= 0) {
		char full[1024];
		memset(full, ' ', sizeof(full));
		memcpy(full, "status", 6);
		full[sizeof(full) - 1] = '\n';
		if (client_send(fd, full, sizeof(full)) == 0)
			job->replies[1] = client_read_all(fd);
		close(fd);
	}
	/* A reply over ipc_max_send_size. */
	job->replies[2] = client_request(job->h->path, "status verbose\n");
}

static void test_socket_limits(void **state)
{
	struct harness *h = *state;
	h->settings.ipc_max_receive_size = 1024;
	h->settings.ipc_max_send_size = 1024;
	h->daemon.extra_nodes = 100;
	harness_start(h);
	struct client_job job = {0};
	job.fn = job_limits;
	run_client(h, &job);
	assert_non_null(job.replies[0]);
	assert_string_equal(job.replies[0], "");
	assert_non_null(job.replies[1]);
	assert_string_equal(job.replies[1], "Error\nInternal IPC buffer too small\n");
	assert_non_null(job.replies[2]);
	assert_string_equal(job.replies[2], "Error\nInternal IPC buffer too small\n");
	assert_false(qdevice_ipc_listener_closed(&h->ipc));
	for (int i = 0; i < 3; i++)
		free(job.replies[i]);
}

static void test_socket_bad_path(void **state)
{
	struct harness *h = *state;
	free(h->settings.local_socket_file);
	h->settings.local_socket_file = malloc(IPC_SERVER_MAX_PATH + 2);
	assert_non_null(h->settings.local_socket_file);
	memset(h->settings.local_socket_file, 'a', IPC_SERVER_MAX_PATH + 1);
	h->settings.local_socket_file[IPC_SERVER_MAX_PATH + 1] = '\0';
	assert_int_equal(qdevice_ipc_init(&h->ipc, h->loop, &h->settings, fake_status, fake_closed, &h->daemon), -1);
	h->settings.local_socket_file[0] = '\0';
	assert_int_equal(qdevice_ipc_init(&h->ipc, h->loop, &h->settings, fake_status, fake_closed, &h->daemon), -1);
	/* A directory that does not exist: bind fails. */
	free(h->settings.local_socket_file);
	h->settings.local_socket_file = strdup("/nonexistent-qd-dir/x.sock");
	assert_int_equal(qdevice_ipc_init(&h->ipc, h->loop, &h->settings, fake_status, fake_closed, &h->daemon), -1);
	assert_true(qdevice_ipc_listener_closed(&h->ipc));
}

/* ---- corosync-qdevice-tool against this server (the binary next to this test in the build tree). ---- */

struct tool_run {
	const char *args[6];
	int status;             /* exit status, -1 when it did not exit in time */
	char *out;
	char *err;
};

static char *read_file_or_empty(const char *path)
{
	size_t len;
	char *data = testdata_read_file(path, &len);
	return data != NULL ? data : strdup("");
}

static void tool_path(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	assert_non_null(slash);
	*slash = '\0';
	snprintf(buf, len, "%s/../../qdevice/corosync-qdevice-tool", self);
	assert_int_equal(access(buf, X_OK), 0);
}

/* Runs the tool with stdout/stderr in files of the harness dir; waits at most 5 s, then kills it. */
static void tool_exec(struct harness *h, struct tool_run *run)
{
	char tool[PATH_MAX + 64], out_path[192], err_path[192];
	tool_path(tool, sizeof(tool));
	snprintf(out_path, sizeof(out_path), "%s/tool.out", h->dir);
	snprintf(err_path, sizeof(err_path), "%s/tool.err", h->dir);
	char *argv[8] = {tool};
	for (size_t i = 0; i < 6 && run->args[i] != NULL; i++)
		argv[i + 1] = (char *)run->args[i];
	run->status = -1;
	pid_t pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		execv(tool, argv);
		_exit(127);
	}
	int wstatus;
	for (int i = 0; i < 500; i++) {
		pid_t r = waitpid(pid, &wstatus, WNOHANG);
		if (r == pid) {
			if (WIFEXITED(wstatus))
				run->status = WEXITSTATUS(wstatus);
			break;
		}
		struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
		if (i == 499) {
			kill(pid, SIGKILL);
			waitpid(pid, &wstatus, 0);
		}
	}
	run->out = read_file_or_empty(out_path);
	run->err = read_file_or_empty(err_path);
	unlink(out_path);
	unlink(err_path);
}

static void tool_run_free(struct tool_run *run)
{
	free(run->out);
	free(run->err);
}

struct tool_job {
	struct client_job job;
	struct tool_run runs[4];
	size_t count;
};

static void job_tools(struct client_job *job)
{
	struct tool_job *tj = (struct tool_job *)job;
	for (size_t i = 0; i < tj->count; i++)
		tool_exec(job->h, &tj->runs[i]);
}

static void test_tool_against_server(void **state)
{
	struct harness *h = *state;
	harness_start(h);
	struct tool_job tj = {0};
	tj.runs[0] = (struct tool_run){.args = {"-s", "-p", h->path}};
	tj.runs[1] = (struct tool_run){.args = {"-p", h->path, "-sv"}};
	tj.runs[2] = (struct tool_run){.args = {"-H", "-p", h->path}};
	tj.count = 3;
	tj.job.fn = job_tools;
	run_client(h, &tj.job);

	char *plain = testdata_read_file(GOLDEN "qdevice-status.txt", &(size_t){0});
	char *verbose = testdata_read_file(GOLDEN "qdevice-status-verbose.txt", &(size_t){0});
	assert_int_equal(tj.runs[0].status, 0);
	assert_string_equal(tj.runs[0].out, plain);
	assert_string_equal(tj.runs[0].err, "");
	assert_int_equal(tj.runs[1].status, 0);
	assert_string_equal(tj.runs[1].out, verbose);
	/* Shutdown: "OK\n" only, so nothing printed; the listener is gone afterwards. */
	assert_int_equal(tj.runs[2].status, 0);
	assert_string_equal(tj.runs[2].out, "");
	assert_string_equal(tj.runs[2].err, "");
	assert_int_equal(h->daemon.closed_calls, 1);
	free(plain);
	free(verbose);
	for (size_t i = 0; i < tj.count; i++)
		tool_run_free(&tj.runs[i]);

	/* No daemon any more: connect error, exit 3. */
	struct tool_run gone = {.args = {"-s", "-p", h->path}};
	tool_exec(h, &gone);
	assert_int_equal(gone.status, 3);
	assert_string_equal(gone.out, "");
	assert_string_equal(gone.err,
			    "corosync-qdevice-tool: Can't connect to QDevice socket (is QDevice running?): "
			    "No such file or directory\n");
	tool_run_free(&gone);
}

static void test_tool_error_and_usage(void **state)
{
	struct harness *h = *state;
	h->daemon.status_fails = true;
	harness_start(h);
	struct tool_job tj = {0};
	tj.runs[0] = (struct tool_run){.args = {"-s", "-p", h->path}};
	tj.runs[1] = (struct tool_run){.args = {"-v", "-p", h->path}};
	tj.runs[2] = (struct tool_run){.args = {"-s", "-h", "-p", h->path}};
	tj.runs[3] = (struct tool_run){.args = {"-s", "-p", ""}};
	tj.count = 4;
	tj.job.fn = job_tools;
	run_client(h, &tj.job);

	assert_int_equal(tj.runs[0].status, 4);
	assert_string_equal(tj.runs[0].out, "");
	assert_string_equal(tj.runs[0].err, "Error: Can't get QDevice status\n");
	static const char usage[] = "usage: corosync-qdevice-tool [-CDHhjMsv] [-P arbiter] [-p qdevice_ipc_socket_path]\n";
	for (size_t i = 1; i < 3; i++) {
		assert_int_equal(tj.runs[i].status, 1);
		assert_string_equal(tj.runs[i].out, usage);
		assert_string_equal(tj.runs[i].err, "");
	}
	assert_int_equal(tj.runs[3].status, 3);
	assert_string_equal(tj.runs[3].err,
			    "corosync-qdevice-tool: Can't connect to QDevice socket (is QDevice running?): "
			    "File name too long\n");
	assert_int_equal(h->daemon.status_calls, 1);
	assert_false(qdevice_ipc_listener_closed(&h->ipc));
	for (size_t i = 0; i < tj.count; i++)
		tool_run_free(&tj.runs[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_examples),
		cmocka_unit_test(test_status_failures),
		cmocka_unit_test(test_tokenize),
		cmocka_unit_test(test_proxmox_parse),
		cmocka_unit_test_setup_teardown(test_socket_status, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(test_socket_shutdown, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(test_close_listener, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(test_socket_max_clients, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(test_socket_limits, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(test_socket_bad_path, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(test_tool_against_server, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(test_tool_error_and_usage, harness_setup, harness_teardown),
	};
	return cmocka_run_group_tests(tests, setup_tz, NULL);
}

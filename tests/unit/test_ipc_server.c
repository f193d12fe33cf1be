/* Unit tests of the local command socket server (common/ipc_server.h) on a real loop: the request deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipc_server.h"
#include "log_capture.h"
#include "loop.h"

struct harness {
	struct loop *loop;
	struct ipc_server srv;
	char dir[64];
	char path[128];
	struct loop_timer stop;
	unsigned requests;
};

static void answer(void *ctx, const char *request, size_t len, struct strbuf *reply, bool *close_listener)
{
	(void)request;
	(void)len;
	(void)close_listener;
	((struct harness *)ctx)->requests++;
	strbuf_printf(reply, "OK\n");
}

static void stop_loop(struct loop *loop, void *data)
{
	(void)data;
	loop_stop(loop);
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	strcpy(h->dir, "/tmp/qd-ipc-server.XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	snprintf(h->path, sizeof(h->path), "%s/sock", h->dir);
	h->loop = loop_create();
	assert_non_null(h->loop);
	loop_timer_init(&h->stop, stop_loop, h);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;
	ipc_server_destroy(&h->srv);
	loop_timer_stop(h->loop, &h->stop);
	loop_destroy(h->loop);
	unlink(h->path);
	rmdir(h->dir);
	free(h);
	return 0;
}

static void start(struct harness *h, uint32_t request_timeout_ms)
{
	const struct ipc_server_config cfg = {
		.path = h->path, .backlog = 10, .max_clients = 2, .max_receive_size = 4096,
		.max_send_size = 4096, .request_timeout_ms = request_timeout_ms,
	};
	assert_int_equal(ipc_server_init(&h->srv, h->loop, &cfg, answer, NULL, h), 0);
}

static int client(const struct harness *h)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	strcpy(sun.sun_path, h->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static void run_for(struct harness *h, uint32_t ms)
{
	loop_timer_start(h->loop, &h->stop, ms);
	assert_int_equal(loop_run(h->loop), 0);
}

/* 1 when the server closed the connection, 0 when it is open with nothing to read. */
static int closed_by_server(int fd)
{
	char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	return n == 0 ? 1 : 0;
}

/*
 * Two silent clients fill ipc_max_clients = 2; past the deadline both are dropped with one line
 * each, and a tool can be served again.
 */
static void test_silent_clients_dropped(void **state)
{
	struct harness *h = *state;
	start(h, 200);
	log_capture_clear();
	int a = client(h), b = client(h);
	run_for(h, 50);
	assert_int_equal(closed_by_server(a), 0);
	assert_int_equal(closed_by_server(b), 0);
	run_for(h, 400);
	assert_int_equal(closed_by_server(a), 1);
	assert_int_equal(closed_by_server(b), 1);
	assert_int_equal(log_capture_count("IPC client sent no complete request within 200 ms"), 2);
	assert_int_equal(log_capture_find("IPC client sent no complete request within 200 ms"), LOG_WARNING);
	close(a);
	close(b);

	int c = client(h);
	assert_int_equal(send(c, "status\n", 7, 0), 7);
	run_for(h, 100);
	char buf[16] = {0};
	assert_int_equal(recv(c, buf, sizeof(buf) - 1, MSG_DONTWAIT), 3);
	assert_string_equal(buf, "OK\n");
	assert_int_equal(h->requests, 1);
	close(c);
}

/* A request split over time is fine as long as its line end comes before the deadline. */
static void test_request_before_deadline_served(void **state)
{
	struct harness *h = *state;
	start(h, 300);
	int c = client(h);
	assert_int_equal(send(c, "sta", 3, 0), 3);
	run_for(h, 150);
	assert_int_equal(send(c, "tus\n", 4, 0), 4);
	run_for(h, 400);
	char buf[16] = {0};
	assert_int_equal(recv(c, buf, sizeof(buf) - 1, MSG_DONTWAIT), 3);
	assert_int_equal(h->requests, 1);
	close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_silent_clients_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_before_deadline_served, setup, teardown),
	};
	log_capture_start("test_ipc_server");
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	log_capture_stop();
	return rc;
}

/* Unit tests of the systemd watchdog pings (common/service_notify) over a real notify socket and event loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "service_notify.h"

static void stop_loop(struct loop *loop, void *data)
{
	(void)data;
	loop_stop(loop);
}

/* Runs the loop with a watchdog for run_ms; returns how many WATCHDOG=1 datagrams reached the socket. */
static unsigned run_with_watchdog(const char *usec, uint64_t run_ms, uint64_t *interval_ms)
{
	char path[] = "/tmp/qd-test-notify.XXXXXX";
	int dir_fd = mkstemp(path);
	assert_true(dir_fd >= 0);
	close(dir_fd);
	unlink(path);
	int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(bind(sock, (struct sockaddr *)&sun, sizeof(sun)), 0);

	char pid[32];
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("NOTIFY_SOCKET", path, 1);
	setenv("WATCHDOG_PID", pid, 1);
	if (usec != NULL)
		setenv("WATCHDOG_USEC", usec, 1);
	else
		unsetenv("WATCHDOG_USEC");

	struct loop *loop = loop_create();
	struct service_watchdog w;
	struct loop_timer stop;
	service_watchdog_start(&w, loop);
	*interval_ms = w.interval_ms;
	loop_timer_init(&stop, stop_loop, NULL);
	loop_timer_start(loop, &stop, run_ms);
	loop_run(loop);
	service_watchdog_stop(&w);
	loop_destroy(loop);

	unsigned pings = 0;
	char buf[256];
	ssize_t n;
	while ((n = recv(sock, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		if (strstr(buf, "WATCHDOG=1") != NULL)
			pings++;
	}
	close(sock);
	unlink(path);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	assert_int_equal(pings, (unsigned)w.pings);
	return pings;
}

static void test_pings_at_half_the_interval(void **state)
{
	(void)state;
#ifdef QD_WITH_SYSTEMD
	uint64_t interval;
	/* 100 ms asked for: a ping at once, then every 50 ms, so about 9 in 420 ms (a loaded machine may lose a few). */
	unsigned pings = run_with_watchdog("100000", 420, &interval);
	assert_int_equal(interval, 100);
	assert_true(pings >= 3 && pings <= 10);
#else
	skip();
#endif
}

static void test_no_watchdog_no_pings(void **state)
{
	(void)state;
	uint64_t interval;
	assert_int_equal(run_with_watchdog(NULL, 60, &interval), 0);
	assert_int_equal(interval, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pings_at_half_the_interval),
		cmocka_unit_test(test_no_watchdog_no_pings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

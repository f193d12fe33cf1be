/* Unit tests of the event loop's before-wait hook: it runs before the first wait and after every pass, and may stop the loop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"

struct probe {
	int fd_events;
	int timer_events;
	int hooks;
	int hook_saw_events;    /* fd + timer events seen by the hook when it last ran */
	int stop_after_hooks;
	int pipe_rd;
	struct loop_timer timer;
};

static void on_readable(struct loop *loop, int fd, uint32_t events, void *data)
{
	struct probe *p = data;
	char c;
	(void)loop;
	(void)events;
	if (read(fd, &c, 1) == 1)
		p->fd_events++;
}

static void on_timer(struct loop *loop, void *data)
{
	struct probe *p = data;
	(void)loop;
	p->timer_events++;
}

static void hook(struct loop *loop, void *data)
{
	struct probe *p = data;
	p->hooks++;
	p->hook_saw_events = p->fd_events + p->timer_events;
	if (p->hooks >= p->stop_after_hooks)
		loop_stop(loop);
}

static void test_hook_runs_before_each_wait(void **state)
{
	(void)state;
	struct probe p;
	int fds[2];
	memset(&p, 0, sizeof(p));
	assert_int_equal(pipe(fds), 0);
	struct loop *loop = loop_create();
	assert_non_null(loop);
	assert_int_equal(loop_fd_add(loop, fds[0], EPOLLIN, on_readable, &p), 0);
	loop_set_before_wait(loop, hook, &p);

	/* Stopping from the hook: the loop returns without waiting at all. */
	p.stop_after_hooks = 1;
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(p.hooks, 1);
	assert_int_equal(p.fd_events, 0);

	/* Second run: hook, the byte's event, hook again (which sees it), then a timer, hook. */
	p.hooks = 0;
	p.stop_after_hooks = 3;
	loop_timer_init(&p.timer, on_timer, &p);
	loop_timer_start(loop, &p.timer, 20);
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(p.hooks, 3);
	assert_int_equal(p.fd_events, 1);
	assert_int_equal(p.timer_events, 1);
	assert_int_equal(p.hook_saw_events, 2);

	loop_fd_remove(loop, fds[0]);
	loop_destroy(loop);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hook_runs_before_each_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Event loop: epoll over file descriptors, a binary heap of timers on CLOCK_MONOTONIC, signals via signalfd. */
#ifndef QD_LOOP_H
#define QD_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;

typedef void (*loop_fd_cb)(struct loop *loop, int fd, uint32_t events, void *data);
typedef void (*loop_timer_cb)(struct loop *loop, void *data);
typedef void (*loop_signal_cb)(struct loop *loop, int signo, void *data);
typedef void (*loop_before_wait_cb)(struct loop *loop, void *data);

/* A one-shot timer embedded in its owner; the loop never allocates or frees it. */
struct loop_timer {
	uint64_t deadline_ms;
	size_t heap_index;      /* SIZE_MAX while not armed */
	loop_timer_cb cb;
	void *data;
};

struct loop *loop_create(void);
void loop_destroy(struct loop *loop);

/* events are EPOLLIN/EPOLLOUT flags; the callback gets what epoll reported. */
int loop_fd_add(struct loop *loop, int fd, uint32_t events, loop_fd_cb cb, void *data);
int loop_fd_modify(struct loop *loop, int fd, uint32_t events);
/* Stops watching fd; no event for it is delivered afterwards, even from the current batch. */
void loop_fd_remove(struct loop *loop, int fd);

void loop_timer_init(struct loop_timer *t, loop_timer_cb cb, void *data);
/* Arms (or re-arms) the timer to fire once, interval_ms from now; never fails (common/oom.h). */
void loop_timer_start(struct loop *loop, struct loop_timer *t, uint64_t interval_ms);
void loop_timer_stop(struct loop *loop, struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);
/* Milliseconds until the timer fires (0 if due or not armed). */
uint64_t loop_timer_remaining(const struct loop_timer *t);

/* Blocks signo and delivers it through the loop. */
int loop_signal_add(struct loop *loop, int signo, loop_signal_cb cb, void *data);

/*
 * One hook that runs every time the loop is about to wait: after the events and timers of a
 * pass, and once before the first wait. Daemons flush there what their callbacks queued, so no
 * callback has to remember to. It may call loop_stop().
 */
void loop_set_before_wait(struct loop *loop, loop_before_wait_cb cb, void *data);

/* Runs until loop_stop(); returns 0, or -1 on an internal failure of epoll. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

uint64_t loop_now_ms(void);

#endif

/* Event loop: epoll over file descriptors, a binary heap of timers on CLOCK_MONOTONIC, signals via signalfd. */
#include "loop.h"
#include "oom.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_EVENTS 256
#define LOOP_MAX_SIGNALS 65

/* Per-fd handler; the generation tells a stale event (fd closed and reused) from a live one. */
struct loop_handler {
	loop_fd_cb cb;
	void *data;
	uint32_t generation;
	bool active;
};

struct loop_signal {
	loop_signal_cb cb;
	void *data;
};

struct loop {
	int epfd;
	bool stop;
	struct loop_handler *handlers; /* indexed by fd */
	size_t handler_count;
	uint32_t next_generation;
	struct loop_timer **heap;
	size_t heap_len;
	size_t heap_cap;
	int signal_fd;
	sigset_t signals;
	struct loop_signal signal_handlers[LOOP_MAX_SIGNALS];
	loop_before_wait_cb before_wait;
	void *before_wait_data;
};

uint64_t loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct loop *loop_create(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));
	if (loop == NULL)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	loop->signal_fd = -1;
	loop->next_generation = 1;
	sigemptyset(&loop->signals);
	return loop;
}

void loop_destroy(struct loop *loop)
{
	if (loop == NULL)
		return;
	if (loop->signal_fd >= 0)
		close(loop->signal_fd);
	close(loop->epfd);
	free(loop->handlers);
	free(loop->heap);
	free(loop);
}

static int handlers_reserve(struct loop *loop, int fd)
{
	size_t need = (size_t)fd + 1;
	if (need <= loop->handler_count)
		return 0;
	size_t count = loop->handler_count == 0 ? 64 : loop->handler_count;
	while (count < need)
		count *= 2;
	struct loop_handler *grown = realloc(loop->handlers, count * sizeof(*grown));
	if (grown == NULL)
		return -1;
	memset(grown + loop->handler_count, 0, (count - loop->handler_count) * sizeof(*grown));
	loop->handlers = grown;
	loop->handler_count = count;
	return 0;
}

static uint64_t event_tag(int fd, uint32_t generation)
{
	return (uint64_t)generation << 32 | (uint32_t)fd;
}

int loop_fd_add(struct loop *loop, int fd, uint32_t events, loop_fd_cb cb, void *data)
{
	if (fd < 0 || handlers_reserve(loop, fd) != 0)
		return -1;
	struct loop_handler *h = &loop->handlers[fd];
	uint32_t generation = loop->next_generation++;
	if (loop->next_generation == 0)
		loop->next_generation = 1;
	struct epoll_event ev = {.events = events, .data.u64 = event_tag(fd, generation)};
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		return -1;
	h->cb = cb;
	h->data = data;
	h->generation = generation;
	h->active = true;
	return 0;
}

int loop_fd_modify(struct loop *loop, int fd, uint32_t events)
{
	if (fd < 0 || (size_t)fd >= loop->handler_count || !loop->handlers[fd].active)
		return -1;
	struct epoll_event ev = {.events = events, .data.u64 = event_tag(fd, loop->handlers[fd].generation)};
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void loop_fd_remove(struct loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->handler_count || !loop->handlers[fd].active)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->handlers[fd].active = false;
	loop->handlers[fd].cb = NULL;
	loop->handlers[fd].data = NULL;
}

/* Timer heap: a min-heap on deadline; each timer knows its index for O(log n) removal. */
static void heap_swap(struct loop *loop, size_t a, size_t b)
{
	struct loop_timer *t = loop->heap[a];
	loop->heap[a] = loop->heap[b];
	loop->heap[b] = t;
	loop->heap[a]->heap_index = a;
	loop->heap[b]->heap_index = b;
}

static void heap_up(struct loop *loop, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (loop->heap[parent]->deadline_ms <= loop->heap[i]->deadline_ms)
			break;
		heap_swap(loop, i, parent);
		i = parent;
	}
}

static void heap_down(struct loop *loop, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < loop->heap_len && loop->heap[l]->deadline_ms < loop->heap[m]->deadline_ms)
			m = l;
		if (r < loop->heap_len && loop->heap[r]->deadline_ms < loop->heap[m]->deadline_ms)
			m = r;
		if (m == i)
			return;
		heap_swap(loop, i, m);
		i = m;
	}
}

void loop_timer_init(struct loop_timer *t, loop_timer_cb cb, void *data)
{
	t->deadline_ms = 0;
	t->heap_index = SIZE_MAX;
	t->cb = cb;
	t->data = data;
}

bool loop_timer_armed(const struct loop_timer *t)
{
	return t->heap_index != SIZE_MAX;
}

uint64_t loop_timer_remaining(const struct loop_timer *t)
{
	if (!loop_timer_armed(t))
		return 0;
	uint64_t now = loop_now_ms();
	return t->deadline_ms > now ? t->deadline_ms - now : 0;
}

void loop_timer_stop(struct loop *loop, struct loop_timer *t)
{
	if (!loop_timer_armed(t))
		return;
	size_t i = t->heap_index;
	loop->heap_len--;
	if (i != loop->heap_len) {
		loop->heap[i] = loop->heap[loop->heap_len];
		loop->heap[i]->heap_index = i;
		heap_down(loop, i);
		heap_up(loop, i);
	}
	t->heap_index = SIZE_MAX;
}

void loop_timer_start(struct loop *loop, struct loop_timer *t, uint64_t interval_ms)
{
	loop_timer_stop(loop, t);
	if (loop->heap_len == loop->heap_cap) {
		size_t cap = loop->heap_cap == 0 ? 64 : loop->heap_cap * 2;
		struct loop_timer **grown = realloc(loop->heap, cap * sizeof(*grown));
		if (grown == NULL)
			oom_abort("timer heap");
		loop->heap = grown;
		loop->heap_cap = cap;
	}
	t->deadline_ms = loop_now_ms() + interval_ms;
	t->heap_index = loop->heap_len;
	loop->heap[loop->heap_len++] = t;
	heap_up(loop, t->heap_index);
}

static void signal_fd_ready(struct loop *loop, int fd, uint32_t events, void *data)
{
	(void)events;
	(void)data;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo < LOOP_MAX_SIGNALS && loop->signal_handlers[si.ssi_signo].cb != NULL)
			loop->signal_handlers[si.ssi_signo].cb(loop, (int)si.ssi_signo,
							       loop->signal_handlers[si.ssi_signo].data);
	}
}

int loop_signal_add(struct loop *loop, int signo, loop_signal_cb cb, void *data)
{
	if (signo <= 0 || signo >= LOOP_MAX_SIGNALS)
		return -1;
	sigaddset(&loop->signals, signo);
	if (sigprocmask(SIG_BLOCK, &loop->signals, NULL) != 0)
		return -1;
	bool first = loop->signal_fd < 0;
	int fd = signalfd(loop->signal_fd, &loop->signals, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	loop->signal_fd = fd;
	loop->signal_handlers[signo].cb = cb;
	loop->signal_handlers[signo].data = data;
	if (first && loop_fd_add(loop, fd, EPOLLIN, signal_fd_ready, NULL) != 0)
		return -1;
	return 0;
}

void loop_stop(struct loop *loop)
{
	loop->stop = true;
}

static int next_timeout(struct loop *loop)
{
	if (loop->heap_len == 0)
		return -1;
	uint64_t now = loop_now_ms();
	uint64_t deadline = loop->heap[0]->deadline_ms;
	if (deadline <= now)
		return 0;
	uint64_t wait = deadline - now;
	return wait > 60000 ? 60000 : (int)wait;
}

static void run_due_timers(struct loop *loop)
{
	uint64_t now = loop_now_ms();
	while (!loop->stop && loop->heap_len > 0 && loop->heap[0]->deadline_ms <= now) {
		struct loop_timer *t = loop->heap[0];
		loop_timer_stop(loop, t);
		t->cb(loop, t->data);
	}
}

void loop_set_before_wait(struct loop *loop, loop_before_wait_cb cb, void *data)
{
	loop->before_wait = cb;
	loop->before_wait_data = data;
}

int loop_run(struct loop *loop)
{
	struct epoll_event events[LOOP_MAX_EVENTS];

	loop->stop = false;
	while (!loop->stop) {
		/* What the callbacks of the last pass queued goes out before the loop sleeps. */
		if (loop->before_wait != NULL) {
			loop->before_wait(loop, loop->before_wait_data);
			if (loop->stop)
				break;
		}
		int n = epoll_wait(loop->epfd, events, LOOP_MAX_EVENTS, next_timeout(loop));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (int i = 0; i < n && !loop->stop; i++) {
			int fd = (int)(uint32_t)events[i].data.u64;
			uint32_t generation = (uint32_t)(events[i].data.u64 >> 32);
			if ((size_t)fd >= loop->handler_count)
				continue;
			struct loop_handler *h = &loop->handlers[fd];
			if (!h->active || h->generation != generation)
				continue; /* removed (and maybe reused) earlier in this batch */
			h->cb(loop, fd, events[i].events, h->data);
		}
		run_due_timers(loop);
	}
	return 0;
}

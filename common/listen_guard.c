/* A listening socket that stops accepting for a moment when the process runs out of descriptors, instead of spinning. */
#include "listen_guard.h"

#include <errno.h>
#include <string.h>

#include "log.h"

static void guard_resume(struct loop *loop, void *data)
{
	struct listen_guard *g = data;
	(void)loop;
	if (!g->paused)
		return;
	if (loop_fd_add(g->loop, g->fd, g->events, g->cb, g->data) == 0) {
		g->paused = false;
		return;
	}
	/* Adding to epoll needs no new descriptor; if even that fails, try again after a pause. */
	loop_timer_start(g->loop, &g->timer, g->pause_ms);
}

int listen_guard_add(struct listen_guard *g, struct loop *loop, int fd, uint32_t events, loop_fd_cb cb, void *data,
		     const char *what, uint32_t pause_ms)
{
	memset(g, 0, sizeof(*g));
	g->loop = loop;
	g->fd = fd;
	g->events = events;
	g->cb = cb;
	g->data = data;
	g->what = what;
	g->pause_ms = pause_ms;
	loop_timer_init(&g->timer, guard_resume, g);
	return loop_fd_add(loop, fd, events, cb, data);
}

void listen_guard_remove(struct listen_guard *g)
{
	if (g->loop == NULL)
		return;
	loop_timer_stop(g->loop, &g->timer);
	if (!g->paused)
		loop_fd_remove(g->loop, g->fd);
	g->paused = false;
}

bool listen_guard_failed(struct listen_guard *g, int err, unsigned long open_connections)
{
	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM)
		return false;
	if (!g->in_episode) {
		g->in_episode = true;
		g->episodes++;
		log_err("Out of file descriptors (%s) with %lu open: not accepting new %s for now; "
			"raise LimitNOFILE or lower -m",
			strerror(err), open_connections, g->what);
	}
	if (!g->paused) {
		loop_fd_remove(g->loop, g->fd);
		g->paused = true;
		loop_timer_start(g->loop, &g->timer, g->pause_ms);
	}
	return true;
}

void listen_guard_accepted(struct listen_guard *g)
{
	if (!g->in_episode)
		return;
	g->in_episode = false;
	log_notice("File descriptors are available again: accepting new %s", g->what);
}

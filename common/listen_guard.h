/* A listening socket that stops accepting for a moment when the process runs out of descriptors, instead of spinning. */
#ifndef QD_LISTEN_GUARD_H
#define QD_LISTEN_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"

/*
 * A level-triggered listener whose accept() fails with EMFILE or ENFILE wakes the loop again at
 * once, for ever: a core at 100 % and a log line each time. The guard takes the listener out of
 * the loop for a pause, puts it back when the pause ends, logs one line when an episode begins
 * (with the number of connections already open) and one when accepting works again.
 */
struct listen_guard {
	struct loop *loop;
	int fd;
	uint32_t events;
	loop_fd_cb cb;
	void *data;
	const char *what;               /* "connections", "local socket connections": for the log */
	uint32_t pause_ms;
	struct loop_timer timer;
	bool paused;                    /* out of the loop, waiting for the timer */
	bool in_episode;                /* descriptors ran out and have not been seen free since */
	unsigned long episodes;
};

/* Adds fd to the loop with cb, as loop_fd_add; 0 or -1. */
int listen_guard_add(struct listen_guard *g, struct loop *loop, int fd, uint32_t events, loop_fd_cb cb, void *data,
		     const char *what, uint32_t pause_ms);
/* Removes fd from the loop (if it is in) and stops the timer; the caller closes fd. */
void listen_guard_remove(struct listen_guard *g);
/*
 * accept() failed with err: true when the guard took over (descriptors ran out: the listener is
 * paused and the caller stops accepting for this event), false for any other error.
 */
bool listen_guard_failed(struct listen_guard *g, int err, unsigned long open_connections);
/* accept() gave a descriptor: ends an episode (one log line). */
void listen_guard_accepted(struct listen_guard *g);

#endif

/* The one out-of-memory policy: what the daemons do when the runtime itself cannot grow. */
#ifndef QD_OOM_H
#define QD_OOM_H

/*
 * Two cases, one rule each (doc/conventions.md):
 * - memory a peer's input asks for (a message, a connection, a client's state) is refused by
 *   failing that one request or closing that one connection, with a log line; the daemon goes on;
 * - memory the runtime needs to keep its promises (the timer heap: a timer that silently does
 *   not start is a heartbeat never sent or a dead peer never noticed) cannot be refused: the
 *   daemon logs why and aborts, and systemd restarts it.
 * This is the second case's single exit.
 */
_Noreturn void oom_abort(const char *what);

#endif

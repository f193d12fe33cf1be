/* The daemons' PID/lock file: created, locked with fcntl, PID written, kept open for the process's life. */
#ifndef QD_LOCKFILE_H
#define QD_LOCKFILE_H

enum lockfile_result { LOCKFILE_OK = 0, LOCKFILE_HELD_BY_OTHER, LOCKFILE_ERROR };

/* Returns the outcome; on LOCKFILE_OK *fd_out stays open (close-on-exec). */
enum lockfile_result lockfile_take(const char *path, int *fd_out);

#endif

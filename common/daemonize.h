/* Detaching a daemon from its terminal the way upstream's daemons do. */
#ifndef QD_DAEMONIZE_H
#define QD_DAEMONIZE_H

/*
 * fork(): the parent exits 0 at once; the child calls setsid() and points stdin, stdout and
 * stderr at /dev/null. No chdir and no umask change, as upstream. Returns 0 in the child, -1 on
 * failure (errno set).
 */
int daemonize(void);

#endif

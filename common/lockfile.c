/* The daemons' PID/lock file: created, locked with fcntl, PID written, kept open for the process's life. */
#include "lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum lockfile_result lockfile_take(const char *path, int *fd_out)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return LOCKFILE_ERROR;
	/* The runtime directory normally comes from systemd; create it as a last resort. */
	(void)mkdir(dirname(copy), 0770);
	free(copy);

	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return LOCKFILE_ERROR;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return (e == EAGAIN || e == EACCES) ? LOCKFILE_HELD_BY_OTHER : LOCKFILE_ERROR;
	}
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, pid, (size_t)n) != n) {
		close(fd);
		return LOCKFILE_ERROR;
	}
	*fd_out = fd;
	return LOCKFILE_OK;
}

/* corosync-qnetd-tool -P: gathers what the checks of this arbiter before pvecm qdevice setup need besides -D's facts (the SSH server's settings, root's keys, the certutil, a cluster's certificate). */
#define _GNU_SOURCE /* pipe2 */
#include "qnetd_tool_setup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SSHD_DEFAULT "/usr/sbin/sshd"
/* "sshd -T" only reads its configuration; one that hangs is cut here. */
#define SSHD_LIMIT_MS 10000

/* Runs argv with stdin from /dev/null and stdout (stderr joined) into out; the exit status, or -1. */
static int run_capture(char *const argv[], char *out, size_t cap)
{
	int pfd[2];
	out[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0 || dup2(pfd[1], 1) < 0 || dup2(pfd[1], 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	size_t len = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = SSHD_LIMIT_MS - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		int n = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		char buf[4096];
		ssize_t got = read(pfd[0], buf, sizeof(buf));
		if (got <= 0)
			break;
		size_t take = (size_t)got < cap - 1 - len ? (size_t)got : cap - 1 - len;
		memcpy(out + len, buf, take);
		len += take;
		out[len] = '\0';
	}
	close(pfd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The value of "key value..." in sshd -T's output (keys are lower case there), or NULL. */
static const char *sshd_value(const char *text, const char *key, char *value, size_t len)
{
	size_t kl = strlen(key);
	for (const char *line = text; line != NULL && *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t ll = end != NULL ? (size_t)(end - line) : strlen(line);
		if (ll > kl && strncmp(line, key, kl) == 0 && line[kl] == ' ') {
			size_t vl = ll - kl - 1 < len - 1 ? ll - kl - 1 : len - 1;
			memcpy(value, line + kl + 1, vl);
			value[vl] = '\0';
			return value;
		}
		line = end != NULL ? end + 1 : NULL;
	}
	return NULL;
}

/* Keys in one authorized_keys file: lines that are neither empty nor comments; -1 when unreadable. */
static long count_keys(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	long n = 0;
	char line[8192];
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = line + strspn(line, " \t");
		if (*p != '\0' && *p != '\n' && *p != '#')
			n++;
	}
	fclose(f);
	return n;
}

/* One AuthorizedKeysFile entry for root: %h and %u expanded, relative to root's home. */
static void keys_path(const char *entry, const char *home, char *out, size_t len)
{
	size_t used = 0;
	if (entry[0] != '/' && entry[0] != '%')
		used = (size_t)snprintf(out, len, "%s/", home);
	for (const char *p = entry; *p != '\0' && used + 1 < len; p++) {
		const char *add = NULL;
		char one[2] = {*p, '\0'};
		if (*p == '%' && p[1] != '\0') {
			p++;
			add = *p == 'h' ? home : *p == 'u' ? "root" : *p == '%' ? "%" : "";
		} else {
			add = one;
		}
		used += (size_t)snprintf(out + used, len - used, "%s", add);
	}
	if (used >= len)
		out[len - 1] = '\0';
}

static void gather_sshd(struct qnetd_setup_input *s)
{
	const char *sshd = getenv("QNETD_TOOL_SSHD");
	char *argv[] = {(char *)(sshd != NULL && sshd[0] != '\0' ? sshd : SSHD_DEFAULT), "-T", NULL};
	static char text[65536];
	if (access(argv[0], X_OK) != 0) {
		snprintf(s->sshd_error, sizeof(s->sshd_error), "%.100s: %s", argv[0], strerror(errno));
		return;
	}
	int rc = run_capture(argv, text, sizeof(text));
	char v[256];
	if (rc != 0 || sshd_value(text, "permitrootlogin", v, sizeof(v)) == NULL) {
		char first[120];
		snprintf(first, sizeof(first), "%s", text);
		first[strcspn(first, "\n")] = '\0';
		snprintf(s->sshd_error, sizeof(s->sshd_error), "%.40s -T exited %d: %.90s", argv[0], rc, first[0] != '\0' ? first : "no output");
		return;
	}
	s->sshd_read = true;
	snprintf(s->permit_root_login, sizeof(s->permit_root_login), "%.31s", v);
	s->password_authentication = sshd_value(text, "passwordauthentication", v, sizeof(v)) != NULL && strcmp(v, "yes") == 0;
	s->kbd_interactive_authentication =
		(sshd_value(text, "kbdinteractiveauthentication", v, sizeof(v)) != NULL && strcmp(v, "yes") == 0);
	const struct passwd *pw = getpwnam("root");
	const char *home = pw != NULL && pw->pw_dir != NULL ? pw->pw_dir : "/root";
	if (sshd_value(text, "authorizedkeysfile", v, sizeof(v)) == NULL)
		snprintf(v, sizeof(v), ".ssh/authorized_keys .ssh/authorized_keys2");
	s->keys_read = true;
	for (char *save = NULL, *entry = strtok_r(v, " ", &save); entry != NULL; entry = strtok_r(NULL, " ", &save)) {
		char path[512];
		keys_path(entry, home, path, sizeof(path));
		long n = count_keys(path);
		if (n < 0)
			s->keys_read = false;
		else
			s->root_keys += (size_t)n;
	}
}

static bool in_path(const char *name)
{
	const char *path = getenv("PATH");
	char copy[4096];
	snprintf(copy, sizeof(copy), "%s", path != NULL ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
		char file[4200];
		snprintf(file, sizeof(file), "%s/%s", dir, name);
		if (access(file, X_OK) == 0)
			return true;
	}
	return false;
}

void qnetd_tool_setup_gather(const char *cluster_name, const char *nssdb_dir, struct qnetd_setup_input *s)
{
	memset(s, 0, sizeof(*s));
	gather_sshd(s);
	s->certutil_found = in_path("corosync-qnetd-certutil");
	s->cluster_name = cluster_name;
	if (cluster_name != NULL && strchr(cluster_name, '/') == NULL) {
		char file[600];
		struct stat st;
		snprintf(file, sizeof(file), "%s/cluster-%s.crt", nssdb_dir, cluster_name);
		if (stat(file, &st) == 0) {
			s->cluster_cert_exists = true;
			s->cluster_cert_mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
		}
	}
}

/* The heuristics worker: a forked process that runs the exec_ commands and reports over pipes (doc/qdevice-state-machine.md §2, §9). */
#define _GNU_SOURCE /* pipe2, close_range */
#include "qdevice_heuristics_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* As upstream's, the worker notices finished processes and its exec deadline at least this often. */
#define WORKER_MAX_SLEEP_MS 250
#define WORKER_READ_CHUNK 256
/* Worker shutdown, as upstream: fast passes first, then slower ones spread over one kill interval. */
#define WORKER_SHUTDOWN_FAST_PASSES 10
#define WORKER_SHUTDOWN_SLOW_PASSES 10

/* ---- Line protocol ---- */

int qdevice_heuristics_linebuf_init(struct qdevice_heuristics_linebuf *lb, size_t max_size)
{
	lb->len = 0;
	lb->overlong = false;
	lb->max_size = max_size < 2 ? 2 : max_size;
	lb->buf = malloc(lb->max_size);
	return lb->buf == NULL ? -1 : 0;
}

void qdevice_heuristics_linebuf_destroy(struct qdevice_heuristics_linebuf *lb)
{
	free(lb->buf);
	lb->buf = NULL;
	lb->len = 0;
}

int qdevice_heuristics_linebuf_feed(struct qdevice_heuristics_linebuf *lb, const char *data, size_t len,
				    int (*on_line)(char *line, void *arg), void *arg)
{
	if (lb->overlong)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		if (c == '\n' || c == '\r') {
			if (lb->len == 0)
				continue;
			lb->buf[lb->len] = '\0';
			lb->len = 0;
			int rc = on_line(lb->buf, arg);
			if (rc != 0)
				return rc;
			continue;
		}
		/* Keep one byte for the terminating NUL. */
		if (lb->len + 1 >= lb->max_size) {
			lb->overlong = true;
			return -1;
		}
		lb->buf[lb->len++] = c;
	}
	return 0;
}

static bool is_word_sep(char c)
{
	return c == ' ' || c == '\t';
}

/* Cuts the next word out of *p (NUL-terminating it in place); NULL when none is left. */
static char *next_word(char **p)
{
	char *s = *p;
	while (is_word_sep(*s))
		s++;
	if (*s == '\0') {
		*p = s;
		return NULL;
	}
	char *word = s;
	while (*s != '\0' && !is_word_sep(*s))
		s++;
	if (*s != '\0')
		*s++ = '\0';
	*p = s;
	return word;
}

static int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

int qdevice_heuristics_worker_parse_cmd(char *line, struct qdevice_heuristics_worker_cmd *out)
{
	char *p = line;
	char *verb = next_word(&p);

	memset(out, 0, sizeof(*out));
	if (verb == NULL)
		return -1;
	if (strcmp(verb, "exec-list-clear") == 0) {
		if (next_word(&p) != NULL)
			return -1;
		out->type = QDEVICE_HEURISTICS_WORKER_CMD_EXEC_LIST_CLEAR;
		return 0;
	}
	if (strcmp(verb, "exec-list-add") == 0) {
		char *name = next_word(&p);
		if (name == NULL)
			return -1;
		while (is_word_sep(*p))
			p++;
		out->type = QDEVICE_HEURISTICS_WORKER_CMD_EXEC_LIST_ADD;
		out->name = name;
		out->command = p;
		return 0;
	}
	if (strcmp(verb, "exec") == 0) {
		if (parse_u32(next_word(&p), &out->timeout_ms) != 0 || parse_u32(next_word(&p), &out->seq) != 0 ||
		    next_word(&p) != NULL)
			return -1;
		out->type = QDEVICE_HEURISTICS_WORKER_CMD_EXEC;
		return 0;
	}
	return -1;
}

int qdevice_heuristics_parse_result_line(const char *line, uint32_t *seq, enum qdevice_heuristics_result *result)
{
	char copy[64];
	char *p = copy;
	uint32_t r;

	if (strlen(line) >= sizeof(copy))
		return -1;
	strcpy(copy, line);
	char *verb = next_word(&p);
	if (verb == NULL || strcmp(verb, "exec-result") != 0 || parse_u32(next_word(&p), seq) != 0 ||
	    parse_u32(next_word(&p), &r) != 0 || next_word(&p) != NULL)
		return -1;
	if (r > QDEVICE_HEURISTICS_RESULT_FAIL)
		return -1;
	*result = (enum qdevice_heuristics_result)r;
	return 0;
}

int qdevice_heuristics_parse_outcome_line(const char *line, struct qdevice_heuristics_exec_outcome *out)
{
	char copy[QDEVICE_HEURISTICS_EXEC_NAME_MAX + 64];
	char *p = copy;
	uint32_t state, status, duration;

	if (strlen(line) >= sizeof(copy))
		return -1;
	strcpy(copy, line);
	char *verb = next_word(&p);
	if (verb == NULL || strcmp(verb, "exec-outcome") != 0 || parse_u32(next_word(&p), &out->seq) != 0 ||
	    parse_u32(next_word(&p), &state) != 0 || parse_u32(next_word(&p), &status) != 0 ||
	    parse_u32(next_word(&p), &duration) != 0)
		return -1;
	char *name = next_word(&p);
	if (name == NULL || next_word(&p) != NULL || strlen(name) >= sizeof(out->name) ||
	    state > QDEVICE_HEURISTICS_PROC_NOT_STARTED || status > 255)
		return -1;
	out->state = (enum qdevice_heuristics_proc_state)state;
	out->exit_status = (int)status;
	out->duration_ms = duration;
	memcpy(out->name, name, strlen(name) + 1);
	return 0;
}

int qdevice_heuristics_parse_log_line(const char *line, int *priority, const char **text)
{
	/* One digit, one space, then the text (which may be empty). */
	if (line[0] < '0' || line[0] > '7' || line[1] != ' ')
		return -1;
	*priority = line[0] - '0';
	*text = line + 2;
	return 0;
}

int qdevice_heuristics_format_exec_line(char *buf, size_t size, uint32_t timeout_ms, uint32_t seq)
{
	int n = snprintf(buf, size, "exec %" PRIu32 " %" PRIu32 "\n", timeout_ms, seq);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

int qdevice_heuristics_format_result_line(char *buf, size_t size, uint32_t seq, enum qdevice_heuristics_result r)
{
	int n = snprintf(buf, size, "exec-result %" PRIu32 " %d\n", seq, (int)r);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

int qdevice_heuristics_format_outcome_line(char *buf, size_t size, const struct qdevice_heuristics_exec_outcome *o)
{
	int n = snprintf(buf, size, "exec-outcome %" PRIu32 " %d %d %" PRIu32 " %s\n", o->seq, (int)o->state,
			 o->state == QDEVICE_HEURISTICS_PROC_EXITED ? o->exit_status : 0, o->duration_ms, o->name);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

/* ---- The worker process ---- */

struct worker_exec {
	char *name;
	char *command;
};

struct worker_proc {
	char *name;
	pid_t pid;              /* 0 when never started */
	struct qdevice_heuristics_proc st;
	unsigned kill_passes;   /* kill list only: signals sent so far */
	bool leader_reaped;     /* kill list only: the command exited, others of its group may not have */
	uint64_t ended_ms;      /* run list: when it was reaped */
};

struct worker {
	size_t max_line;
	bool use_execvp;
	size_t max_processes;
	uint32_t kill_interval_ms;

	struct worker_exec *execs;
	size_t exec_count;

	bool run_pending;
	uint32_t run_seq;
	uint64_t run_started_ms;
	uint64_t run_deadline_ms;
	struct worker_proc *run;        /* one per exec of the list at exec time */
	size_t run_count;

	struct worker_proc *kill;       /* processes left over from finished or aborted runs */
	size_t kill_count;
	size_t kill_cap;
	uint64_t next_kill_pass_ms;

	int sigfd;
	bool eof;
	int exit_code;                  /* set when the worker has to stop */
	bool stop;
	struct qdevice_heuristics_linebuf lb;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Writes all of buf to a blocking descriptor. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static void worker_log(const struct worker *w, int priority, const char *fmt, ...)
{
	char *line = malloc(w->max_line);
	va_list ap;
	int n;

	if (line != NULL) {
		int prefix = snprintf(line, w->max_line, "%d ", priority);
		va_start(ap, fmt);
		n = vsnprintf(line + prefix, w->max_line - (size_t)prefix - 1, fmt, ap);
		va_end(ap);
		if (n >= 0) {
			/* Too long texts are cut rather than lost: an overlong line would end the daemon. */
			size_t len = strlen(line);
			for (size_t i = (size_t)prefix; i < len; i++)
				if (line[i] == '\n' || line[i] == '\r')
					line[i] = ' ';
			line[len++] = '\n';
			(void)write_all(STDERR_FILENO, line, len);
			free(line);
			return;
		}
		free(line);
	}
	/* The line could not be built: say so where an administrator still looks (syslog, as upstream). */
	openlog("qdevice_heuristics_worker", LOG_PID, LOG_DAEMON);
	syslog(priority, "Can't format log line: %s", fmt);
	closelog();
}

static void worker_set_exit(struct worker *w, int code)
{
	if (!w->stop || code != QDEVICE_HEURISTICS_WORKER_EXIT_OK)
		w->exit_code = code;
	w->stop = true;
}

static void exec_list_clear(struct worker *w)
{
	for (size_t i = 0; i < w->exec_count; i++) {
		free(w->execs[i].name);
		free(w->execs[i].command);
	}
	free(w->execs);
	w->execs = NULL;
	w->exec_count = 0;
}

static int exec_list_add(struct worker *w, const char *name, const char *command)
{
	struct worker_exec *grown = realloc(w->execs, (w->exec_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	w->execs = grown;
	char *n = strdup(name), *c = strdup(command);
	if (n == NULL || c == NULL) {
		free(n);
		free(c);
		return -1;
	}
	w->execs[w->exec_count].name = n;
	w->execs[w->exec_count].command = c;
	w->exec_count++;
	return 0;
}

static size_t running_count(const struct worker *w)
{
	size_t n = w->kill_count;
	for (size_t i = 0; i < w->run_count; i++)
		if (w->run[i].st.state == QDEVICE_HEURISTICS_PROC_RUNNING)
			n++;
	return n;
}

/* Moves the still running processes of the current run to the kill list and forgets the run. */
static int run_abandon(struct worker *w)
{
	int rc = 0;

	for (size_t i = 0; i < w->run_count; i++) {
		struct worker_proc *p = &w->run[i];
		if (p->st.state == QDEVICE_HEURISTICS_PROC_RUNNING) {
			if (w->kill_count == w->kill_cap) {
				size_t cap = w->kill_cap == 0 ? 16 : w->kill_cap * 2;
				struct worker_proc *grown = realloc(w->kill, cap * sizeof(*grown));
				if (grown == NULL) {
					rc = -1;
					free(p->name);
					continue;
				}
				w->kill = grown;
				w->kill_cap = cap;
			}
			p->kill_passes = 0;
			p->leader_reaped = false;
			w->kill[w->kill_count++] = *p;
		} else {
			free(p->name);
		}
	}
	free(w->run);
	w->run = NULL;
	w->run_count = 0;
	w->run_pending = false;
	return rc;
}

/*
 * Variables through which a process speaks for the daemon to its service manager: a command must
 * not be able to tell systemd the daemon is ready, stopping or another PID (doc/hardening.md §6.2).
 */
static const char *const daemon_only_env[] = {
	"NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_PID", "WATCHDOG_USEC",
	"JOURNAL_STREAM", "INVOCATION_ID", "MAINPID", "MANAGERPID", "SYSTEMD_EXEC_PID",
};

/*
 * The command process: a process group of its own (so a timed-out command is killed with whatever
 * it started), /dev/null for stdio, default signal handling, the daemon's environment without what
 * belongs to the daemon alone, then the program.
 */
static void child_exec(const struct worker *w, char **argv)
{
	sigset_t none;
	setpgid(0, 0);
	for (size_t i = 0; i < sizeof(daemon_only_env) / sizeof(daemon_only_env[0]); i++)
		unsetenv(daemon_only_env[i]);
	int null_fd = open("/dev/null", O_RDWR);

	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(null_fd, STDOUT_FILENO) < 0 ||
	    dup2(null_fd, STDERR_FILENO) < 0)
		_exit(1);
	if (null_fd > STDERR_FILENO)
		close(null_fd);
	/* Dispositions set to "ignore" survive exec; the command gets the defaults a shell would give. */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (w->use_execvp)
		execvp(argv[0], argv);
	else
		execv(argv[0], argv);
	_exit(1);
}

static void start_one(struct worker *w, size_t i)
{
	struct worker_proc *p = &w->run[i];
	char **argv = NULL;
	size_t argc = 0;

	p->st.state = QDEVICE_HEURISTICS_PROC_NOT_STARTED;
	if (qdevice_heuristics_cmd_split(w->execs[i].command, &argv, &argc) != 0) {
		worker_log(w, LOG_ERR, "Can't parse command of process %s: out of memory", p->name);
		return;
	}
	if (argc == 0) {
		worker_log(w, LOG_ERR, "Command of process %s is empty", p->name);
		goto out;
	}
	if (running_count(w) >= w->max_processes) {
		worker_log(w, LOG_ERR, "Can't execute process %s: too many processes (max %zu)", p->name,
			   w->max_processes);
		goto out;
	}
	pid_t pid = fork();
	if (pid < 0) {
		worker_log(w, LOG_ERR, "Can't fork process %s (%d): %s", p->name, errno, strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_exec(w, argv);
	/* Also here, so the group exists before anything can signal it (the child may not have run yet). */
	setpgid(pid, pid);
	p->pid = pid;
	p->st.state = QDEVICE_HEURISTICS_PROC_RUNNING;
	worker_log(w, LOG_DEBUG, "process %s executed", p->name);
out:
	qdevice_heuristics_cmd_free_argv(argv);
}

static void send_result(struct worker *w, uint32_t seq, enum qdevice_heuristics_result r)
{
	char line[64];
	int n = qdevice_heuristics_format_result_line(line, sizeof(line), seq, r);

	/* A failed write means the daemon is gone: nobody wants results any more. */
	if (n < 0 || write_all(STDOUT_FILENO, line, (size_t)n) != 0)
		worker_set_exit(w, QDEVICE_HEURISTICS_WORKER_EXIT_ERROR);
}

/* Each command's outcome, for the daemon's status (sent before the result that decides the run). */
static void send_outcomes(struct worker *w, uint64_t now)
{
	for (size_t i = 0; i < w->run_count; i++) {
		const struct worker_proc *p = &w->run[i];
		struct qdevice_heuristics_exec_outcome o = {.seq = w->run_seq, .state = p->st.state,
							    .exit_status = p->st.exit_status};
		uint64_t end = p->st.state == QDEVICE_HEURISTICS_PROC_RUNNING ? now : p->ended_ms;
		if (p->st.state != QDEVICE_HEURISTICS_PROC_NOT_STARTED && end > w->run_started_ms)
			o.duration_ms = end - w->run_started_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)(end - w->run_started_ms);
		if (p->name == NULL || strlen(p->name) >= sizeof(o.name))
			continue;
		memcpy(o.name, p->name, strlen(p->name) + 1);
		char line[QDEVICE_HEURISTICS_EXEC_NAME_MAX + 64];
		int n = qdevice_heuristics_format_outcome_line(line, sizeof(line), &o);
		if (n < 0 || write_all(STDOUT_FILENO, line, (size_t)n) != 0) {
			worker_set_exit(w, QDEVICE_HEURISTICS_WORKER_EXIT_ERROR);
			return;
		}
	}
}

static void run_start(struct worker *w, uint32_t timeout_ms, uint32_t seq)
{
	if (w->run_pending && run_abandon(w) != 0)
		worker_log(w, LOG_ERR, "Can't move processes to the kill list: out of memory");
	if (w->exec_count == 0) {
		send_result(w, seq, QDEVICE_HEURISTICS_RESULT_DISABLED);
		return;
	}
	w->run = calloc(w->exec_count, sizeof(*w->run));
	if (w->run == NULL) {
		worker_log(w, LOG_ERR, "Can't start heuristics execs: out of memory");
		send_result(w, seq, QDEVICE_HEURISTICS_RESULT_FAIL);
		return;
	}
	w->run_count = w->exec_count;
	w->run_pending = true;
	w->run_seq = seq;
	w->run_started_ms = now_ms();
	w->run_deadline_ms = w->run_started_ms + timeout_ms;
	for (size_t i = 0; i < w->run_count; i++) {
		w->run[i].name = strdup(w->execs[i].name);
		w->run[i].st.state = QDEVICE_HEURISTICS_PROC_NOT_STARTED;
	}
	for (size_t i = 0; i < w->run_count; i++) {
		if (w->run[i].name == NULL) {
			worker_log(w, LOG_ERR, "Can't start heuristics execs: out of memory");
			break;
		}
		start_one(w, i);
		/* One failure decides the run; starting the rest would only make work for the kill list. */
		if (w->run[i].st.state != QDEVICE_HEURISTICS_PROC_RUNNING)
			break;
	}
}

static int on_cmd_line(char *line, void *arg)
{
	struct worker *w = arg;
	struct qdevice_heuristics_worker_cmd cmd;

	char *copy = strdup(line);

	if (copy == NULL) {
		worker_log(w, LOG_CRIT, "Can't parse a command: out of memory");
		return -1;
	}
	/* The parser splits its input in place; the copy keeps the line intact for the log. */
	if (qdevice_heuristics_worker_parse_cmd(copy, &cmd) != 0) {
		worker_log(w, LOG_CRIT, "Unknown command received from the daemon: \"%s\"", line);
		free(copy);
		return -1;
	}
	switch (cmd.type) {
	case QDEVICE_HEURISTICS_WORKER_CMD_EXEC_LIST_CLEAR:
		exec_list_clear(w);
		break;
	case QDEVICE_HEURISTICS_WORKER_CMD_EXEC_LIST_ADD:
		if (exec_list_add(w, cmd.name, cmd.command) != 0) {
			worker_log(w, LOG_CRIT, "Can't add heuristics exec %s: out of memory", cmd.name);
			free(copy);
			return -1;
		}
		break;
	case QDEVICE_HEURISTICS_WORKER_CMD_EXEC:
		run_start(w, cmd.timeout_ms, cmd.seq);
		break;
	}
	free(copy);
	return 0;
}

static void log_exit(const struct worker *w, const char *name, int status, bool from_run)
{
	int prio_ok = LOG_DEBUG;
	int prio_bad = from_run ? LOG_WARNING : LOG_DEBUG;

	if (WIFEXITED(status)) {
		if (WEXITSTATUS(status) == 0)
			worker_log(w, prio_ok, "process %s successfully finished", name);
		else
			worker_log(w, prio_bad, "process %s finished with status %d", name, WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		worker_log(w, prio_bad, "process %s killed by signal %d", name, WTERMSIG(status));
	}
}

static void reap(struct worker *w)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			return;
		if (!WIFEXITED(status) && !WIFSIGNALED(status))
			continue;
		bool found = false;
		for (size_t i = 0; i < w->run_count && !found; i++) {
			struct worker_proc *p = &w->run[i];
			if (p->pid != pid || p->st.state != QDEVICE_HEURISTICS_PROC_RUNNING)
				continue;
			found = true;
			p->ended_ms = now_ms();
			if (WIFEXITED(status)) {
				p->st.state = QDEVICE_HEURISTICS_PROC_EXITED;
				p->st.exit_status = WEXITSTATUS(status);
			} else {
				p->st.state = QDEVICE_HEURISTICS_PROC_SIGNALED;
			}
			log_exit(w, p->name, status, true);
		}
		/* The entry stays while others of its process group live; kill_pass sees them go. */
		for (size_t i = 0; i < w->kill_count && !found; i++) {
			if (w->kill[i].pid != pid || w->kill[i].leader_reaped)
				continue;
			found = true;
			log_exit(w, w->kill[i].name, status, false);
			w->kill[i].leader_reaped = true;
			if (kill(-pid, 0) != 0 && errno == ESRCH) {
				free(w->kill[i].name);
				w->kill[i] = w->kill[--w->kill_count];
			}
		}
	}
}

static void run_check(struct worker *w, uint64_t now)
{
	if (!w->run_pending)
		return;
	bool expired = now >= w->run_deadline_ms;
	struct qdevice_heuristics_proc *st = malloc(w->run_count * sizeof(*st));
	if (st == NULL) {
		worker_log(w, LOG_CRIT, "Can't check heuristics execs: out of memory");
		worker_set_exit(w, QDEVICE_HEURISTICS_WORKER_EXIT_ERROR);
		return;
	}
	for (size_t i = 0; i < w->run_count; i++)
		st[i] = w->run[i].st;
	enum qdevice_heuristics_result r = qdevice_heuristics_cmd_result(st, w->run_count, expired);
	free(st);
	if (r == QDEVICE_HEURISTICS_RESULT_PENDING)
		return;
	if (r == QDEVICE_HEURISTICS_RESULT_FAIL && expired) {
		bool still_running = false;
		for (size_t i = 0; i < w->run_count; i++)
			if (w->run[i].st.state == QDEVICE_HEURISTICS_PROC_RUNNING)
				still_running = true;
		if (still_running)
			worker_log(w, LOG_WARNING, "Not all heuristics execs finished on time");
	}
	uint32_t seq = w->run_seq;
	send_outcomes(w, now);
	if (run_abandon(w) != 0)
		worker_log(w, LOG_ERR, "Can't move processes to the kill list: out of memory");
	send_result(w, seq, r);
}

/*
 * One pass over the kill list: SIGTERM to the process groups not signalled yet, SIGKILL to the
 * others. An entry goes when its group is empty: the command and everything it started. (The
 * group's id stays reserved while any member lives, even after the command itself was reaped.)
 */
static void kill_pass(struct worker *w)
{
	for (size_t i = 0; i < w->kill_count;) {
		struct worker_proc *p = &w->kill[i];
		int sig = p->kill_passes == 0 ? SIGTERM : SIGKILL;
		int rc = kill(-p->pid, sig);
		/* A command that left its group before it was signalled: the process itself, as before. */
		if (rc != 0 && errno == ESRCH && !p->leader_reaped)
			rc = kill(p->pid, sig);
		if (rc != 0) {
			if (errno == ESRCH || p->leader_reaped) {
				free(p->name);
				w->kill[i] = w->kill[--w->kill_count];
				continue;
			}
			/* EPERM/EINVAL: our own child cannot be signalled, something is badly wrong. */
			worker_log(w, LOG_CRIT, "Can't send signal %d to process %s (%d): %s", sig, p->name, errno,
				   strerror(errno));
			worker_set_exit(w, QDEVICE_HEURISTICS_WORKER_EXIT_ERROR);
			return;
		}
		p->kill_passes++;
		i++;
	}
	if (w->kill_count > 0)
		worker_log(w, LOG_WARNING, "Still waiting for %zu processes exit", w->kill_count);
}

static void read_commands(struct worker *w)
{
	char buf[WORKER_READ_CHUNK];

	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			worker_set_exit(w, QDEVICE_HEURISTICS_WORKER_EXIT_ERROR);
			return;
		}
		if (n == 0) {
			w->eof = true;
			worker_set_exit(w, QDEVICE_HEURISTICS_WORKER_EXIT_OK);
			return;
		}
		int rc = qdevice_heuristics_linebuf_feed(&w->lb, buf, (size_t)n, on_cmd_line, w);
		if (rc != 0) {
			if (w->lb.overlong)
				worker_log(w, LOG_CRIT, "Command line from the daemon is too long");
			worker_set_exit(w, QDEVICE_HEURISTICS_WORKER_EXIT_ERROR);
			return;
		}
		if (w->stop)
			return;
	}
}

static void drain_sigfd(struct worker *w)
{
	struct signalfd_siginfo si;

	while (read(w->sigfd, &si, sizeof(si)) > 0)
		;
}

/*
 * End of input or fatal error: every process we started goes, then the worker
 * (doc/qdevice-state-machine.md §2).
 */
static void worker_shutdown(struct worker *w)
{
	if (run_abandon(w) != 0)
		worker_log(w, LOG_ERR, "Can't move processes to the kill list: out of memory");
	for (int i = 0; i < WORKER_SHUTDOWN_FAST_PASSES && w->kill_count > 0; i++) {
		reap(w);
		kill_pass(w);
	}
	uint32_t pause = w->kill_interval_ms / WORKER_SHUTDOWN_SLOW_PASSES;
	for (int i = 0; i < WORKER_SHUTDOWN_SLOW_PASSES && w->kill_count > 0; i++) {
		struct timespec ts = {(time_t)(pause / 1000), (long)(pause % 1000) * 1000000L};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		reap(w);
		kill_pass(w);
	}
	reap(w);
}

static void close_inherited_fds(void)
{
	if (close_range(3, ~0U, 0) == 0)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > INT_MAX)
		max = 65536;
	for (int fd = 3; fd < (int)max; fd++)
		close(fd);
}

static void worker_setup_signals(sigset_t *chld)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* SIGCHLD stays at its default disposition but is delivered through a signalfd, so a
	 * finished command is noticed at once instead of at the next 250 ms wake-up. */
	sigemptyset(chld);
	sigaddset(chld, SIGCHLD);
	sigprocmask(SIG_SETMASK, chld, NULL);
}

static _Noreturn void worker_main(const struct qdevice_settings *s)
{
	struct worker w;
	sigset_t chld;

	memset(&w, 0, sizeof(w));
	w.max_line = (size_t)s->heuristics_ipc_max_send_receive_size;
	w.use_execvp = s->heuristics_use_execvp;
	w.max_processes = s->heuristics_max_processes < 1 ? 1 : (size_t)s->heuristics_max_processes;
	w.kill_interval_ms = s->heuristics_kill_list_interval;
	w.exit_code = QDEVICE_HEURISTICS_WORKER_EXIT_OK;

	setsid();
	worker_setup_signals(&chld);
	close_inherited_fds();
	w.sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	if (w.sigfd < 0 || qdevice_heuristics_linebuf_init(&w.lb, w.max_line) != 0 ||
	    fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK) != 0) {
		worker_log(&w, LOG_CRIT, "Can't initialize the heuristics worker (%d): %s", errno, strerror(errno));
		_exit(QDEVICE_HEURISTICS_WORKER_EXIT_ERROR);
	}
	w.next_kill_pass_ms = now_ms() + w.kill_interval_ms;

	while (!w.stop) {
		uint64_t now = now_ms();
		uint64_t wait = WORKER_MAX_SLEEP_MS;
		if (w.run_pending)
			wait = w.run_deadline_ms <= now ? 0 : (w.run_deadline_ms - now < wait ? w.run_deadline_ms - now : wait);
		if (w.next_kill_pass_ms <= now)
			wait = 0;
		else if (w.next_kill_pass_ms - now < wait)
			wait = w.next_kill_pass_ms - now;

		struct pollfd pfd[2] = {
			{.fd = STDIN_FILENO, .events = POLLIN},
			{.fd = w.sigfd, .events = POLLIN},
		};
		int n = poll(pfd, 2, (int)wait);
		if (n < 0 && errno != EINTR) {
			worker_log(&w, LOG_CRIT, "poll failed (%d): %s", errno, strerror(errno));
			worker_set_exit(&w, QDEVICE_HEURISTICS_WORKER_EXIT_ERROR);
			break;
		}
		if (n > 0 && pfd[1].revents != 0)
			drain_sigfd(&w);
		if (n > 0 && pfd[0].revents != 0)
			read_commands(&w);
		if (w.stop)
			break;
		reap(&w);
		now = now_ms();
		run_check(&w, now);
		if (now >= w.next_kill_pass_ms) {
			kill_pass(&w);
			w.next_kill_pass_ms = now + w.kill_interval_ms;
		}
	}
	worker_shutdown(&w);
	exec_list_clear(&w);
	free(w.kill);
	qdevice_heuristics_linebuf_destroy(&w.lb);
	/* _exit: the daemon's atexit handlers and stdio buffers belong to the daemon. */
	_exit(w.exit_code);
}

/* Moves fd above the standard descriptors so the dup2 onto 0-2 cannot clobber another pipe end. */
static int lift_fd(int fd)
{
	return fd > STDERR_FILENO ? fd : fcntl(fd, F_DUPFD, STDERR_FILENO + 1);
}

static void close_pair(const int p[2])
{
	int saved = errno;
	close(p[0]);
	close(p[1]);
	errno = saved;
}

int qdevice_heuristics_worker_spawn(const struct qdevice_settings *s, struct qdevice_heuristics_worker *out)
{
	int cmd[2], res[2], logp[2];

	if (pipe2(cmd, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(res, O_CLOEXEC) != 0) {
		close_pair(cmd);
		return -1;
	}
	if (pipe2(logp, O_CLOEXEC) != 0) {
		close_pair(res);
		close_pair(cmd);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close_pair(logp);
		close_pair(res);
		close_pair(cmd);
		return -1;
	}
	if (pid == 0) {
		int in = lift_fd(cmd[0]), outfd = lift_fd(res[1]), errfd = lift_fd(logp[1]);
		if (in < 0 || outfd < 0 || errfd < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(outfd, STDOUT_FILENO) < 0 ||
		    dup2(errfd, STDERR_FILENO) < 0)
			_exit(QDEVICE_HEURISTICS_WORKER_EXIT_ERROR);
		worker_main(s);
	}
	close(cmd[0]);
	close(res[1]);
	close(logp[1]);
	/* The daemon never blocks on the worker (doc/qdevice-state-machine.md §2). */
	if (fcntl(cmd[1], F_SETFL, O_NONBLOCK) != 0 || fcntl(res[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(logp[0], F_SETFL, O_NONBLOCK) != 0) {
		int saved = errno;
		close(cmd[1]);
		close(res[0]);
		close(logp[0]);
		/* The worker sees the end of its input and exits at once. */
		waitpid(pid, NULL, 0);
		errno = saved;
		return -1;
	}
	out->pid = pid;
	out->cmd_fd = cmd[1];
	out->result_fd = res[0];
	out->log_fd = logp[0];
	return 0;
}

/* The daemon side of heuristics: worker pipes in the loop, exec list, runs, results, notifiers (doc/qdevice-state-machine.md §9). */
#include "qdevice_heuristics.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

/* Reads per wake-up are bounded so a chatty worker cannot starve the rest of the loop. */
#define HEURISTICS_READ_CHUNK 256
#define HEURISTICS_MAX_READS_PER_WAKEUP 64
/* Sleep slice of the shutdown wait, while nothing arrives on the log pipe. */
#define HEURISTICS_CLOSE_POLL_MS 50

/* ---- Notifiers ---- */

static bool kind_ok(enum qdevice_heuristics_notifier_kind kind)
{
	return (unsigned)kind < QDEVICE_HEURISTICS_NOTIFIER_COUNT;
}

void qdevice_heuristics_notifiers_init(struct qdevice_heuristics_notifiers *c)
{
	memset(c, 0, sizeof(*c));
}

int qdevice_heuristics_notifiers_set(struct qdevice_heuristics_notifiers *c, enum qdevice_heuristics_notifier_kind kind,
				     qdevice_heuristics_notify_fn fn, void *data)
{
	if (!kind_ok(kind))
		return -1;
	c->n[kind].fn = fn;
	c->n[kind].data = data;
	c->n[kind].active = false;
	return 0;
}

int qdevice_heuristics_notifiers_activate(struct qdevice_heuristics_notifiers *c,
					  enum qdevice_heuristics_notifier_kind kind)
{
	if (!kind_ok(kind) || c->n[kind].fn == NULL)
		return -1;
	c->n[kind].active = true;
	return 0;
}

void qdevice_heuristics_notifiers_deactivate(struct qdevice_heuristics_notifiers *c,
					     enum qdevice_heuristics_notifier_kind kind)
{
	if (kind_ok(kind))
		c->n[kind].active = false;
}

bool qdevice_heuristics_notifiers_active(const struct qdevice_heuristics_notifiers *c,
					 enum qdevice_heuristics_notifier_kind kind)
{
	return kind_ok(kind) && c->n[kind].active;
}

unsigned qdevice_heuristics_notifiers_dispatch(struct qdevice_heuristics_notifiers *c, uint32_t seq,
					       enum qdevice_heuristics_result result)
{
	unsigned mask = 0;

	/* The set is fixed before any callback runs: a waiter that asks for a new run from its
	 * callback must not be served this (older) result. */
	for (unsigned k = 0; k < QDEVICE_HEURISTICS_NOTIFIER_COUNT; k++) {
		if (c->n[k].active && c->n[k].fn != NULL) {
			mask |= 1u << k;
			c->n[k].active = false;
		}
	}
	for (unsigned k = 0; k < QDEVICE_HEURISTICS_NOTIFIER_COUNT; k++) {
		/* A callback may have unregistered a later notifier meanwhile. */
		if ((mask & (1u << k)) != 0 && c->n[k].fn != NULL)
			c->n[k].fn((enum qdevice_heuristics_notifier_kind)k, seq, result, c->n[k].data);
	}
	return mask;
}

/* ---- Exec lists ---- */

static bool str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

bool qdevice_heuristics_exec_list_equal(const struct qdevice_heuristics_exec *a, size_t na,
					const struct qdevice_heuristics_exec *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		bool found = false;
		for (size_t j = 0; j < nb && !found; j++)
			found = str_eq(a[i].name, b[j].name) && str_eq(a[i].command, b[j].command);
		if (!found)
			return false;
	}
	return true;
}

static void exec_list_free(struct qdevice_heuristics_exec *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].command);
	}
	free(list);
}

static int exec_list_copy(const struct qdevice_heuristics_exec *src, size_t n, struct qdevice_heuristics_exec **out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	struct qdevice_heuristics_exec *copy = calloc(n, sizeof(*copy));
	if (copy == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		copy[i].name = strdup(src[i].name != NULL ? src[i].name : "");
		copy[i].command = strdup(src[i].command != NULL ? src[i].command : "");
		if (copy[i].name == NULL || copy[i].command == NULL) {
			exec_list_free(copy, n);
			return -1;
		}
	}
	*out = copy;
	return 0;
}

/* ---- The worker connection ---- */

struct queued_line {
	struct queued_line *next;
	size_t len;
	char text[];
};

struct qdevice_heuristics {
	struct loop *loop;
	const struct qdevice_settings *settings;
	struct qdevice_heuristics_callbacks cb;
	pid_t pid;
	int cmd_fd;
	int result_fd;
	int log_fd;
	bool watching_out;

	struct queued_line *q_head;
	struct queued_line *q_tail;
	size_t q_count;
	size_t q_off;           /* bytes of q_head already written */

	struct qdevice_heuristics_linebuf result_lb;
	struct qdevice_heuristics_linebuf log_lb;

	uint32_t seq;
	bool waiting;
	uint64_t ignored;

	/* Per-command outcomes: those of the awaited run as they come, then the last decided run's. */
	struct qdevice_heuristics_exec_outcome *incoming;
	size_t incoming_count;
	struct qdevice_heuristics_exec_outcome *last;
	size_t last_count;

	bool failed;
	enum qdevice_heuristics_close_reason reason;
	struct loop_timer closed_timer;
	bool closed;
	int close_rc;

	bool list_sent;
	struct qdevice_heuristics_exec *sent;
	size_t sent_count;

	struct qdevice_heuristics_notifiers notifiers;
};

const char *qdevice_heuristics_close_reason_str(enum qdevice_heuristics_close_reason reason)
{
	switch (reason) {
	case QDEVICE_HEURISTICS_CLOSED_EOF: return "worker closed its pipe";
	case QDEVICE_HEURISTICS_CLOSED_IO_ERROR: return "I/O error on a worker pipe";
	case QDEVICE_HEURISTICS_CLOSED_BAD_LINE: return "unknown line from the worker";
	case QDEVICE_HEURISTICS_CLOSED_LINE_TOO_LONG: return "line from the worker too long";
	}
	return "unknown reason";
}

static void detach(struct qdevice_heuristics *h)
{
	if (h->cmd_fd >= 0)
		loop_fd_remove(h->loop, h->cmd_fd);
	if (h->result_fd >= 0)
		loop_fd_remove(h->loop, h->result_fd);
	if (h->log_fd >= 0)
		loop_fd_remove(h->loop, h->log_fd);
}

/* The worker is unusable: stop listening and tell the owner from a fresh loop iteration. */
static void heuristics_fail(struct qdevice_heuristics *h, enum qdevice_heuristics_close_reason reason)
{
	if (h->failed || h->closed)
		return;
	h->failed = true;
	h->reason = reason;
	detach(h);
	loop_timer_start(h->loop, &h->closed_timer, 0);
}

static void closed_timer_cb(struct loop *loop, void *data)
{
	struct qdevice_heuristics *h = data;
	(void)loop;

	/* The owner's callback says what the loss means; without one, say it here. */
	if (h->cb.closed != NULL)
		h->cb.closed(h, h->reason, h->cb.data);
	else
		log_err("Heuristics worker closed: %s", qdevice_heuristics_close_reason_str(h->reason));
}

static void watch_out(struct qdevice_heuristics *h, bool on)
{
	if (h->watching_out == on || h->cmd_fd < 0)
		return;
	if (loop_fd_modify(h->loop, h->cmd_fd, on ? EPOLLOUT : 0) == 0)
		h->watching_out = on;
	else
		heuristics_fail(h, QDEVICE_HEURISTICS_CLOSED_IO_ERROR);
}

static void queue_pop(struct qdevice_heuristics *h)
{
	struct queued_line *l = h->q_head;
	h->q_head = l->next;
	if (h->q_head == NULL)
		h->q_tail = NULL;
	h->q_count--;
	h->q_off = 0;
	free(l);
}

static void flush(struct qdevice_heuristics *h)
{
	while (h->q_head != NULL && !h->failed) {
		struct queued_line *l = h->q_head;
		ssize_t n = write(h->cmd_fd, l->text + h->q_off, l->len - h->q_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				watch_out(h, true);
				return;
			}
			log_errno(LOG_ERR, "Can't write to the heuristics worker");
			heuristics_fail(h, errno == EPIPE ? QDEVICE_HEURISTICS_CLOSED_EOF : QDEVICE_HEURISTICS_CLOSED_IO_ERROR);
			return;
		}
		h->q_off += (size_t)n;
		if (h->q_off == l->len)
			queue_pop(h);
	}
	if (!h->failed)
		watch_out(h, false);
}

/* Queues all lines or none (each ends with '\n'). */
static int queue_lines(struct qdevice_heuristics *h, char *const *lines, size_t n)
{
	size_t max_len = (size_t)h->settings->heuristics_ipc_max_send_receive_size;
	size_t max_count = (size_t)h->settings->heuristics_ipc_max_send_buffers;
	struct queued_line *first = NULL, *last = NULL;

	if (h->failed || h->closed) {
		log_err("Can't send to the heuristics worker: it is gone");
		return -1;
	}
	if (h->q_count + n > max_count) {
		log_err("Can't send to the heuristics worker: send queue full (%zu lines, max %zu)", h->q_count,
			max_count);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(lines[i]);
		/* The worker buffers a line plus its NUL in max_len bytes. */
		if (len > max_len) {
			log_err("Can't send to the heuristics worker: line of %zu bytes is longer than "
				"heuristics_ipc_max_send_receive_size (%zu)", len, max_len);
			goto err;
		}
		struct queued_line *l = malloc(sizeof(*l) + len + 1);
		if (l == NULL) {
			log_err("Can't send to the heuristics worker: out of memory");
			goto err;
		}
		l->next = NULL;
		l->len = len;
		memcpy(l->text, lines[i], len + 1);
		if (last == NULL)
			first = l;
		else
			last->next = l;
		last = l;
	}
	if (first != NULL) {
		if (h->q_tail == NULL)
			h->q_head = first;
		else
			h->q_tail->next = first;
		h->q_tail = last;
		h->q_count += n;
	}
	flush(h);
	return 0;
err:
	while (first != NULL) {
		struct queued_line *next = first->next;
		free(first);
		first = next;
	}
	return -1;
}

static void cmd_fd_cb(struct loop *loop, int fd, uint32_t events, void *data)
{
	struct qdevice_heuristics *h = data;
	(void)loop;
	(void)fd;

	if ((events & (EPOLLERR | EPOLLHUP)) != 0) {
		heuristics_fail(h, QDEVICE_HEURISTICS_CLOSED_EOF);
		return;
	}
	if ((events & EPOLLOUT) != 0)
		flush(h);
}

/* Keeps one command's outcome of the awaited run; those of other runs are dropped. */
static void note_outcome(struct qdevice_heuristics *h, const struct qdevice_heuristics_exec_outcome *o)
{
	if (!h->waiting || o->seq != h->seq || h->incoming_count >= QDEVICE_HEURISTICS_MAX_OUTCOMES)
		return;
	if (h->incoming == NULL) {
		h->incoming = calloc(QDEVICE_HEURISTICS_MAX_OUTCOMES, sizeof(*h->incoming));
		if (h->incoming == NULL)
			return;                 /* the status goes without them; the run itself is unaffected */
	}
	h->incoming[h->incoming_count++] = *o;
}

static int on_result_line(char *line, void *arg)
{
	struct qdevice_heuristics *h = arg;
	uint32_t seq;
	enum qdevice_heuristics_result r;
	struct qdevice_heuristics_exec_outcome outcome;

	if (h->failed)
		return 1;
	if (qdevice_heuristics_parse_outcome_line(line, &outcome) == 0) {
		note_outcome(h, &outcome);
		return 0;
	}
	if (qdevice_heuristics_parse_result_line(line, &seq, &r) != 0) {
		log_err("Unknown line received from the heuristics worker: \"%s\"", line);
		heuristics_fail(h, QDEVICE_HEURISTICS_CLOSED_BAD_LINE);
		return 1;
	}
	if (!h->waiting || seq != h->seq) {
		log_debug("Ignoring heuristics result %s with sequence %u (expected %u%s)",
			  qdevice_heuristics_result_str(r), (unsigned)seq, (unsigned)h->seq,
			  h->waiting ? "" : ", none awaited");
		h->ignored++;
		return 0;
	}
	h->waiting = false;
	/* The decided run's outcomes become the ones the status shows. */
	struct qdevice_heuristics_exec_outcome *swap = h->last;
	h->last = h->incoming;
	h->last_count = h->incoming_count;
	h->incoming = swap;
	h->incoming_count = 0;
	log_debug("Heuristics result %s (sequence %u)", qdevice_heuristics_result_str(r), (unsigned)seq);
	qdevice_heuristics_notifiers_dispatch(&h->notifiers, seq, r);
	if (h->cb.result != NULL)
		h->cb.result(h, seq, r, h->cb.data);
	return 0;
}

/* One call site per priority: libqb may keep the priority of a call site from its first use. */
static void relog(int prio, const char *text)
{
	switch (prio) {
	case LOG_EMERG: log_msg(LOG_EMERG, "worker: %s", text); break;
	case LOG_ALERT: log_msg(LOG_ALERT, "worker: %s", text); break;
	case LOG_CRIT: log_msg(LOG_CRIT, "worker: %s", text); break;
	case LOG_ERR: log_msg(LOG_ERR, "worker: %s", text); break;
	case LOG_WARNING: log_msg(LOG_WARNING, "worker: %s", text); break;
	case LOG_NOTICE: log_msg(LOG_NOTICE, "worker: %s", text); break;
	case LOG_INFO: log_msg(LOG_INFO, "worker: %s", text); break;
	default: log_msg(LOG_DEBUG, "worker: %s", text); break;
	}
}

static int on_log_line(char *line, void *arg)
{
	struct qdevice_heuristics *h = arg;
	int prio;
	const char *text;

	if (qdevice_heuristics_parse_log_line(line, &prio, &text) != 0) {
		log_err("Unknown log line received from the heuristics worker: \"%s\"", line);
		if (!h->closed)
			heuristics_fail(h, QDEVICE_HEURISTICS_CLOSED_BAD_LINE);
		return 1;
	}
	relog(prio, text);
	return 0;
}

/* Reads what is there; returns 1 at end of file, 0 when it would block, -1 after a failure. */
static int read_lines(struct qdevice_heuristics *h, int fd, struct qdevice_heuristics_linebuf *lb,
		      int (*on_line)(char *line, void *arg), int max_reads)
{
	char buf[HEURISTICS_READ_CHUNK];

	for (int i = 0; max_reads < 0 || i < max_reads; i++) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			log_errno(LOG_ERR, "Can't read from the heuristics worker");
			heuristics_fail(h, QDEVICE_HEURISTICS_CLOSED_IO_ERROR);
			return -1;
		}
		if (n == 0)
			return 1;
		int rc = qdevice_heuristics_linebuf_feed(lb, buf, (size_t)n, on_line, h);
		if (rc != 0) {
			if (lb->overlong) {
				log_err("Line received from the heuristics worker is longer than "
					"heuristics_ipc_max_send_receive_size (%zu)", lb->max_size);
				heuristics_fail(h, QDEVICE_HEURISTICS_CLOSED_LINE_TOO_LONG);
			}
			return -1;
		}
	}
	return 0;
}

static void input_fd_cb(struct qdevice_heuristics *h, int fd, struct qdevice_heuristics_linebuf *lb,
			int (*on_line)(char *line, void *arg))
{
	int rc = read_lines(h, fd, lb, on_line, HEURISTICS_MAX_READS_PER_WAKEUP);

	if (rc == 1) {
		/* Whatever the worker logged before exiting is still in the log pipe: show it. */
		if (fd != h->log_fd)
			(void)read_lines(h, h->log_fd, &h->log_lb, on_log_line, HEURISTICS_MAX_READS_PER_WAKEUP);
		heuristics_fail(h, QDEVICE_HEURISTICS_CLOSED_EOF);
	}
}

static void result_fd_cb(struct loop *loop, int fd, uint32_t events, void *data)
{
	struct qdevice_heuristics *h = data;
	(void)loop;
	(void)events;
	input_fd_cb(h, fd, &h->result_lb, on_result_line);
}

static void log_fd_cb(struct loop *loop, int fd, uint32_t events, void *data)
{
	struct qdevice_heuristics *h = data;
	(void)loop;
	(void)events;
	input_fd_cb(h, fd, &h->log_lb, on_log_line);
}

struct qdevice_heuristics *qdevice_heuristics_create(struct loop *loop, const struct qdevice_settings *settings,
						     const struct qdevice_heuristics_worker *worker,
						     const struct qdevice_heuristics_callbacks *cb)
{
	struct qdevice_heuristics *h = calloc(1, sizeof(*h));
	size_t max_line = (size_t)settings->heuristics_ipc_max_send_receive_size;

	if (h == NULL)
		return NULL;
	h->loop = loop;
	h->settings = settings;
	if (cb != NULL)
		h->cb = *cb;
	h->pid = worker->pid;
	h->cmd_fd = -1;
	h->result_fd = -1;
	h->log_fd = -1;
	loop_timer_init(&h->closed_timer, closed_timer_cb, h);
	qdevice_heuristics_notifiers_init(&h->notifiers);
	if (qdevice_heuristics_linebuf_init(&h->result_lb, max_line) != 0)
		goto err;
	if (qdevice_heuristics_linebuf_init(&h->log_lb, max_line) != 0)
		goto err_result_lb;
	if (loop_fd_add(loop, worker->cmd_fd, 0, cmd_fd_cb, h) != 0)
		goto err_log_lb;
	if (loop_fd_add(loop, worker->result_fd, EPOLLIN, result_fd_cb, h) != 0)
		goto err_cmd;
	if (loop_fd_add(loop, worker->log_fd, EPOLLIN, log_fd_cb, h) != 0)
		goto err_result;
	h->cmd_fd = worker->cmd_fd;
	h->result_fd = worker->result_fd;
	h->log_fd = worker->log_fd;
	return h;

err_result:
	loop_fd_remove(loop, worker->result_fd);
err_cmd:
	loop_fd_remove(loop, worker->cmd_fd);
err_log_lb:
	qdevice_heuristics_linebuf_destroy(&h->log_lb);
err_result_lb:
	qdevice_heuristics_linebuf_destroy(&h->result_lb);
err:
	free(h);
	return NULL;
}

int qdevice_heuristics_set_exec_list(struct qdevice_heuristics *h, const struct qdevice_heuristics_config *cfg)
{
	const struct qdevice_heuristics_exec *list = NULL;
	size_t n = 0, nlines = 0;
	char **lines = NULL;
	struct qdevice_heuristics_exec *copy = NULL;
	int rc = -1;

	if (cfg->mode != QDEVICE_HEURISTICS_MODE_OFF) {
		list = cfg->execs;
		n = cfg->exec_count;
	}
	if (h->list_sent && qdevice_heuristics_exec_list_equal(list, n, h->sent, h->sent_count))
		return 0;
	if (exec_list_copy(list, n, &copy) != 0)
		goto oom;
	lines = calloc(n + 1, sizeof(*lines));
	if (lines == NULL)
		goto oom;
	lines[nlines] = strdup("exec-list-clear\n");
	if (lines[nlines++] == NULL)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		lines[nlines] = qdevice_heuristics_cmd_list_add_line(copy[i].name, copy[i].command);
		if (lines[nlines++] == NULL)
			goto oom;
	}
	if (queue_lines(h, lines, nlines) != 0)
		goto out;
	exec_list_free(h->sent, h->sent_count);
	h->sent = copy;
	h->sent_count = n;
	copy = NULL;
	h->list_sent = true;
	log_debug("Heuristics exec list sent to the worker (%zu execs)", n);
	rc = 1;
	goto out;
oom:
	log_err("Can't send the heuristics exec list: out of memory");
out:
	for (size_t i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
	if (copy != NULL)
		exec_list_free(copy, n);
	return rc;
}

int qdevice_heuristics_exec(struct qdevice_heuristics *h, uint32_t timeout_ms, uint32_t *seq_out)
{
	char line[64];
	char *lines[1] = {line};
	uint32_t seq = h->seq + 1;

	if (qdevice_heuristics_format_exec_line(line, sizeof(line), timeout_ms, seq) < 0 ||
	    queue_lines(h, lines, 1) != 0)
		return -1;
	h->seq = seq;
	h->waiting = true;
	h->incoming_count = 0;
	if (seq_out != NULL)
		*seq_out = seq;
	log_debug("Heuristics exec started (sequence %u, timeout %u ms)", (unsigned)seq, (unsigned)timeout_ms);
	return 0;
}

bool qdevice_heuristics_waiting(const struct qdevice_heuristics *h)
{
	return h->waiting;
}

uint32_t qdevice_heuristics_last_seq(const struct qdevice_heuristics *h)
{
	return h->seq;
}

const struct qdevice_heuristics_exec_outcome *qdevice_heuristics_last_outcomes(const struct qdevice_heuristics *h,
									     size_t *count)
{
	*count = h->last_count;
	return h->last;
}

uint64_t qdevice_heuristics_ignored_results(const struct qdevice_heuristics *h)
{
	return h->ignored;
}

pid_t qdevice_heuristics_worker_pid(const struct qdevice_heuristics *h)
{
	return h->pid;
}

struct qdevice_heuristics_notifiers *qdevice_heuristics_notifiers(struct qdevice_heuristics *h)
{
	return &h->notifiers;
}

/* Discards results: nobody waits for them any more, but a full pipe would block the worker. */
static void discard_results(struct qdevice_heuristics *h)
{
	char buf[HEURISTICS_READ_CHUNK];

	if (h->result_fd < 0)
		return;
	while (read(h->result_fd, buf, sizeof(buf)) > 0)
		;
}

/* Re-logs what the log pipe holds now; returns 1 once the pipe reached end of file. */
static int drain_log(struct qdevice_heuristics *h)
{
	if (h->log_fd < 0 || h->log_lb.overlong)
		return 1;
	int rc = read_lines(h, h->log_fd, &h->log_lb, on_log_line, -1);
	return rc == 0 ? 0 : 1;
}

static int wait_worker(struct qdevice_heuristics *h, uint32_t wait_ms, int *status)
{
	uint64_t deadline = loop_now_ms() + wait_ms;
	bool log_eof = false;

	for (;;) {
		pid_t r = waitpid(h->pid, status, WNOHANG);
		if (r == h->pid)
			return 0;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			log_errno(LOG_WARNING, "Can't wait for the heuristics worker");
			return -1;
		}
		uint64_t now = loop_now_ms();
		if (now >= deadline)
			break;
		uint64_t slice = deadline - now < HEURISTICS_CLOSE_POLL_MS ? deadline - now : HEURISTICS_CLOSE_POLL_MS;
		struct pollfd pfd = {.fd = h->log_fd, .events = POLLIN};
		/* Once the log pipe is at its end it stays readable; then just sleep the slice. */
		(void)poll(&pfd, log_eof ? 0 : 1, (int)slice);
		if (!log_eof)
			log_eof = drain_log(h) != 0;
		discard_results(h);
	}
	log_warn("Heuristics worker (pid %ld) did not exit in %u ms, killing it", (long)h->pid, (unsigned)wait_ms);
	if (kill(h->pid, SIGKILL) != 0)
		log_errno(LOG_WARNING, "Can't kill the heuristics worker");
	while (waitpid(h->pid, status, 0) < 0) {
		if (errno != EINTR) {
			log_errno(LOG_WARNING, "Can't wait for the heuristics worker");
			break;
		}
	}
	return -1;
}

int qdevice_heuristics_close(struct qdevice_heuristics *h, bool wait, uint32_t wait_ms, int *status)
{
	int st = -1;

	if (h->closed) {
		if (status != NULL)
			*status = -1;
		return h->close_rc;
	}
	h->closed = true;
	h->close_rc = 0;
	loop_timer_stop(h->loop, &h->closed_timer);
	if (!h->failed)
		detach(h);
	if (h->cmd_fd >= 0) {
		close(h->cmd_fd);
		h->cmd_fd = -1;
	}
	if (wait && h->pid > 0) {
		if (wait_worker(h, wait_ms, &st) != 0)
			h->close_rc = -1;
		h->pid = 0;
	}
	(void)drain_log(h);
	if (h->result_fd >= 0) {
		close(h->result_fd);
		h->result_fd = -1;
	}
	if (h->log_fd >= 0) {
		close(h->log_fd);
		h->log_fd = -1;
	}
	h->waiting = false;
	if (status != NULL)
		*status = st;
	return h->close_rc;
}

void qdevice_heuristics_destroy(struct qdevice_heuristics *h)
{
	if (h == NULL)
		return;
	(void)qdevice_heuristics_close(h, false, 0, NULL);
	while (h->q_head != NULL)
		queue_pop(h);
	qdevice_heuristics_linebuf_destroy(&h->result_lb);
	qdevice_heuristics_linebuf_destroy(&h->log_lb);
	exec_list_free(h->sent, h->sent_count);
	free(h->incoming);
	free(h->last);
	free(h);
}

/* The heuristics worker process and its pipe line protocol, shared with the daemon side (doc/qdevice-state-machine.md §2, §9). */
#ifndef QD_QDEVICE_HEURISTICS_WORKER_H
#define QD_QDEVICE_HEURISTICS_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "qdevice_heuristics_cmd.h"
#include "qdevice_settings.h"

/* The daemon's view of a spawned worker; the three descriptors are the daemon's pipe ends. */
struct qdevice_heuristics_worker {
	pid_t pid;
	int cmd_fd;     /* daemon writes command lines; the worker's stdin */
	int result_fd;  /* daemon reads exec-result lines; the worker's stdout */
	int log_fd;     /* daemon reads "<priority> <text>" lines; the worker's stderr */
};

/*
 * Forks the worker (doc/qdevice-state-machine.md §2): called by the daemon right after argument
 * parsing, before logging exists. In the parent returns 0 with out filled (descriptors non-blocking
 * and close-on-exec), or -1 with errno set (pipe or fork failed; nothing is left open). The child
 * never returns: it runs the worker until its command pipe ends and _exit()s (0 on end of input, 1
 * on a bad line or an internal failure).
 */
int qdevice_heuristics_worker_spawn(const struct qdevice_settings *s, struct qdevice_heuristics_worker *out);

/* Worker exit statuses. */
#define QDEVICE_HEURISTICS_WORKER_EXIT_OK 0
#define QDEVICE_HEURISTICS_WORKER_EXIT_ERROR 1

/* ---- Line protocol (pure) ---- */

/*
 * Splits a byte stream into lines, as upstream: CR or LF ends a line, empty lines are skipped, a line
 * (without its terminator) may hold at most max_size - 1 bytes.
 */
struct qdevice_heuristics_linebuf {
	char *buf;
	size_t len;
	size_t max_size;
	bool overlong;      /* a line did not fit: the stream is unusable from here on */
};

int qdevice_heuristics_linebuf_init(struct qdevice_heuristics_linebuf *lb, size_t max_size);
void qdevice_heuristics_linebuf_destroy(struct qdevice_heuristics_linebuf *lb);
/*
 * Appends data and calls on_line (NUL-terminated, without terminator, modifiable until the
 * callback returns) for every complete non-empty line. Returns 0; -1 when a line is longer than
 * allowed (overlong is then set and nothing more is accepted); or the first non-zero value
 * on_line returned (the rest of data is then dropped).
 */
int qdevice_heuristics_linebuf_feed(struct qdevice_heuristics_linebuf *lb, const char *data, size_t len,
				    int (*on_line)(char *line, void *arg), void *arg);

enum qdevice_heuristics_worker_cmd_type {
	QDEVICE_HEURISTICS_WORKER_CMD_EXEC_LIST_CLEAR = 0,
	QDEVICE_HEURISTICS_WORKER_CMD_EXEC_LIST_ADD,
	QDEVICE_HEURISTICS_WORKER_CMD_EXEC,
};

/* One daemon→worker line, parsed. name and command point into the parsed line. */
struct qdevice_heuristics_worker_cmd {
	enum qdevice_heuristics_worker_cmd_type type;
	const char *name;       /* EXEC_LIST_ADD: the first word */
	const char *command;    /* EXEC_LIST_ADD: the rest after the following spaces (may be "") */
	uint32_t timeout_ms;    /* EXEC */
	uint32_t seq;           /* EXEC */
};

/*
 * Parses a daemon→worker line (without terminator), splitting it in place:
 * "exec-list-clear", "exec-list-add <name> <command…>", "exec <timeout_ms> <seq>" (decimal
 * u32s, nothing else after them). Words are separated by spaces and tabs. Returns 0, or -1 for
 * any other line (the worker then exits).
 */
int qdevice_heuristics_worker_parse_cmd(char *line, struct qdevice_heuristics_worker_cmd *out);
/* Parses "exec-result <seq> <result>" with result 0, 1 or 2. Returns 0 or -1. */
int qdevice_heuristics_parse_result_line(const char *line, uint32_t *seq, enum qdevice_heuristics_result *result);
/* Parses "<priority> <text>" with priority 0..7 (syslog); *text points into line. Returns 0 or -1. */
int qdevice_heuristics_parse_log_line(const char *line, int *priority, const char **text);

/* Parses "exec-outcome <seq> <state 0..3> <exit status> <duration_ms> <name>". Returns 0 or -1. */
int qdevice_heuristics_parse_outcome_line(const char *line, struct qdevice_heuristics_exec_outcome *out);

/* Line formatters: each writes a complete line with its '\n'; returns its length, or -1 if it does not fit. */
int qdevice_heuristics_format_exec_line(char *buf, size_t size, uint32_t timeout_ms, uint32_t seq);
int qdevice_heuristics_format_result_line(char *buf, size_t size, uint32_t seq, enum qdevice_heuristics_result r);
int qdevice_heuristics_format_outcome_line(char *buf, size_t size, const struct qdevice_heuristics_exec_outcome *o);

#endif

/* Heuristics commands without a shell: exec_ value to argv, process outcomes to a result (man/corosync-qdevice.8). */
#ifndef QD_QDEVICE_HEURISTICS_CMD_H
#define QD_QDEVICE_HEURISTICS_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Splits a command into words, shell-free as upstream does: words are separated by space, \t, \f, \v; a CR
 * or LF ends the command; a backslash outside double quotes makes the next character literal (a
 * trailing lone backslash is dropped); double quotes group and are removed, and may touch other
 * text (a"b c"d → "ab cd"); inside them a backslash escapes only \ and ", before anything else it
 * stays. Single quotes, $, globs, pipes and redirections are ordinary characters. An unterminated
 * quote runs to the end of the command; "" alone makes an empty word.
 * On success *argv_out is a NULL-terminated malloc'ed vector (free with
 * qdevice_heuristics_cmd_free_argv) and *argc_out its length, which may be 0 (the caller treats an
 * empty argv as a failed exec). Returns 0, or -1 when out of memory.
 */
int qdevice_heuristics_cmd_split(const char *command, char ***argv_out, size_t *argc_out);
void qdevice_heuristics_cmd_free_argv(char **argv);

/*
 * The daemon→worker line that adds one exec (doc/qdevice-state-machine.md §2):
 * "exec-list-add <name> <command>\n" with every CR/LF of the command replaced by a space. Returns a
 * malloc'ed string or NULL.
 */
char *qdevice_heuristics_cmd_list_add_line(const char *name, const char *command);

/* One run's result as the worker reports it (doc/qdevice-state-machine.md §2): 0 disabled, 1 pass, 2 fail. */
enum qdevice_heuristics_result {
	QDEVICE_HEURISTICS_RESULT_DISABLED = 0,
	QDEVICE_HEURISTICS_RESULT_PASS = 1,
	QDEVICE_HEURISTICS_RESULT_FAIL = 2,
	QDEVICE_HEURISTICS_RESULT_PENDING = 3,  /* not decided yet (never sent) */
};

/* The outcome of one command process of a run. */
enum qdevice_heuristics_proc_state {
	QDEVICE_HEURISTICS_PROC_RUNNING = 0,
	QDEVICE_HEURISTICS_PROC_EXITED,         /* status in exit_status */
	QDEVICE_HEURISTICS_PROC_SIGNALED,       /* killed by a signal */
	QDEVICE_HEURISTICS_PROC_NOT_STARTED,    /* empty argv, too many processes, fork failure */
};

struct qdevice_heuristics_proc {
	enum qdevice_heuristics_proc_state state;
	int exit_status;
};

/* The longest exec name carried (cmap key names are shorter). */
#define QDEVICE_HEURISTICS_EXEC_NAME_MAX 256

/*
 * One command's outcome in a run, which the worker sends just before the run's exec-result line.
 * RUNNING means the command had not finished when the run was decided (the timeout, or another
 * command failing first); it is killed afterwards. NOT_STARTED: it never ran.
 */
struct qdevice_heuristics_exec_outcome {
	uint32_t seq;
	enum qdevice_heuristics_proc_state state;
	int exit_status;                        /* EXITED: the status */
	uint32_t duration_ms;                   /* from the run's start to the exit (or to the decision) */
	char name[QDEVICE_HEURISTICS_EXEC_NAME_MAX];
};
/* "pass", "fail", "killed", "unfinished", "not_started": the JSON and metrics name of an outcome. */
const char *qdevice_heuristics_outcome_id(const struct qdevice_heuristics_exec_outcome *o);

/*
 * The result rule (doc/qdevice-state-machine.md §9.2): an empty list is DISABLED; any process that
 * could not start, exited non-zero or was killed by a signal makes FAIL at once; all exited 0 is
 * PASS; otherwise the timer decides: expired → FAIL, else PENDING.
 */
enum qdevice_heuristics_result qdevice_heuristics_cmd_result(const struct qdevice_heuristics_proc *procs,
							     size_t count, bool timer_expired);
/* Status text, as upstream's tool shows it: "Undefined", "Pass", "Fail"; PENDING reads "Undefined". */
const char *qdevice_heuristics_result_str(enum qdevice_heuristics_result r);

#endif

/* The daemon side of heuristics: worker pipes in the loop, exec list, runs, results, notifiers (doc/qdevice-state-machine.md §9). */
#ifndef QD_QDEVICE_HEURISTICS_H
#define QD_QDEVICE_HEURISTICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "qdevice_config.h"
#include "qdevice_heuristics_cmd.h"
#include "qdevice_heuristics_worker.h"
#include "loop.h"
#include "qdevice_settings.h"

/* ---- Result notifiers (pure) ---- */

/*
 * The waiters for a run's result, in delivery order (doc/qdevice-state-machine.md §9.3). A waiter
 * activates itself before or when it asks for a run; the next accepted result goes to every waiter
 * active at that moment, so one run can satisfy several of them.
 */
enum qdevice_heuristics_notifier_kind {
	QDEVICE_HEURISTICS_NOTIFIER_MEMBERSHIP = 0,     /* votequorum node list (startup and every sync) */
	QDEVICE_HEURISTICS_NOTIFIER_NET_REGULAR,        /* the regular timer (mode on) */
	QDEVICE_HEURISTICS_NOTIFIER_NET_CONNECT,        /* INIT_REPLY accepted */
	QDEVICE_HEURISTICS_NOTIFIER_COUNT,
};

typedef void (*qdevice_heuristics_notify_fn)(enum qdevice_heuristics_notifier_kind kind, uint32_t seq,
					     enum qdevice_heuristics_result result, void *data);

struct qdevice_heuristics_notifier {
	qdevice_heuristics_notify_fn fn;        /* NULL: not registered */
	void *data;
	bool active;
};

struct qdevice_heuristics_notifiers {
	struct qdevice_heuristics_notifier n[QDEVICE_HEURISTICS_NOTIFIER_COUNT];
};

void qdevice_heuristics_notifiers_init(struct qdevice_heuristics_notifiers *c);
/* Registers (or replaces) the callback of one kind; the notifier starts inactive. Returns 0 or -1 (bad kind). */
int qdevice_heuristics_notifiers_set(struct qdevice_heuristics_notifiers *c, enum qdevice_heuristics_notifier_kind kind,
				     qdevice_heuristics_notify_fn fn, void *data);
/* Returns 0, or -1 when kind is bad or has no callback. */
int qdevice_heuristics_notifiers_activate(struct qdevice_heuristics_notifiers *c,
					  enum qdevice_heuristics_notifier_kind kind);
void qdevice_heuristics_notifiers_deactivate(struct qdevice_heuristics_notifiers *c,
					     enum qdevice_heuristics_notifier_kind kind);
bool qdevice_heuristics_notifiers_active(const struct qdevice_heuristics_notifiers *c,
					 enum qdevice_heuristics_notifier_kind kind);
/*
 * Delivers one accepted result: takes the set of active notifiers, deactivates all of them,
 * then calls each in kind order. A notifier (re)activated by a callback during the delivery
 * waits for the next result. Returns the bit set (1u << kind) of the notifiers called.
 */
unsigned qdevice_heuristics_notifiers_dispatch(struct qdevice_heuristics_notifiers *c, uint32_t seq,
					       enum qdevice_heuristics_result result);

/* ---- Exec list comparison (pure) ---- */

/* Same (name, command) pairs in any order, as upstream compares; names are unique (cmap keys). */
bool qdevice_heuristics_exec_list_equal(const struct qdevice_heuristics_exec *a, size_t na,
					const struct qdevice_heuristics_exec *b, size_t nb);

/* ---- The worker connection (runtime) ---- */

struct qdevice_heuristics;

enum qdevice_heuristics_close_reason {
	QDEVICE_HEURISTICS_CLOSED_EOF = 0,      /* the worker closed a pipe (it exited) */
	QDEVICE_HEURISTICS_CLOSED_IO_ERROR,     /* read/write failed */
	QDEVICE_HEURISTICS_CLOSED_BAD_LINE,     /* a line that is neither a result nor a log line */
	QDEVICE_HEURISTICS_CLOSED_LINE_TOO_LONG,/* longer than heuristics_ipc_max_send_receive_size */
};

const char *qdevice_heuristics_close_reason_str(enum qdevice_heuristics_close_reason reason);

/*
 * Callbacks run from the loop. They may call qdevice_heuristics_exec/set_exec_list and the
 * notifier functions, but must not destroy the object (stop the loop and destroy it afterwards).
 */
struct qdevice_heuristics_callbacks {
	/* Optional: every accepted result, after the notifiers were served. */
	void (*result)(struct qdevice_heuristics *h, uint32_t seq, enum qdevice_heuristics_result result, void *data);
	/* The worker is gone or unusable; called once, from a loop timer. The daemon leaves through its clean path. */
	void (*closed)(struct qdevice_heuristics *h, enum qdevice_heuristics_close_reason reason, void *data);
	void *data;
};

/*
 * Attaches a spawned worker to loop. On success the object owns the worker's descriptors and
 * notes its pid; on failure (NULL) the caller still owns them. settings must outlive the object.
 */
struct qdevice_heuristics *qdevice_heuristics_create(struct loop *loop, const struct qdevice_settings *settings,
						     const struct qdevice_heuristics_worker *worker,
						     const struct qdevice_heuristics_callbacks *cb);

/*
 * Sends the effective exec list (mode off: empty) as exec-list-clear + one exec-list-add per
 * exec, unless it equals the list sent last (the first call always sends). Returns 1 when
 * sent, 0 when unchanged, -1 on error (logged: a command line too long, queue full, worker gone,
 * out of memory; nothing is queued then). When 1 is returned while qdevice_heuristics_waiting(),
 * the caller starts a new run (its timeout depends on sync_in_progress).
 */
int qdevice_heuristics_set_exec_list(struct qdevice_heuristics *h, const struct qdevice_heuristics_config *cfg);

/*
 * Starts a run: the sequence number increments and becomes the only one accepted (a run still
 * pending is abandoned; the worker never reports it). *seq_out (may be NULL) gets it. Returns 0,
 * or -1 (queue full, worker gone; logged) with nothing changed.
 */
int qdevice_heuristics_exec(struct qdevice_heuristics *h, uint32_t timeout_ms, uint32_t *seq_out);

/* A run was started and its result has not arrived yet. */
bool qdevice_heuristics_waiting(const struct qdevice_heuristics *h);
/* The sequence number of the latest run (0 before the first). */
uint32_t qdevice_heuristics_last_seq(const struct qdevice_heuristics *h);
/* Results received but ignored because of their sequence number or because none was awaited. */
uint64_t qdevice_heuristics_ignored_results(const struct qdevice_heuristics *h);
/* At most this many per-command outcomes are kept for a run (more commands run, the rest go unreported). */
#define QDEVICE_HEURISTICS_MAX_OUTCOMES 64
/* Each command's outcome in the last run that was decided (count 0 before the first). */
const struct qdevice_heuristics_exec_outcome *qdevice_heuristics_last_outcomes(const struct qdevice_heuristics *h,
									     size_t *count);
pid_t qdevice_heuristics_worker_pid(const struct qdevice_heuristics *h);
struct qdevice_heuristics_notifiers *qdevice_heuristics_notifiers(struct qdevice_heuristics *h);

/*
 * Shutdown (doc/qdevice-state-machine.md §11 step 2): detaches from the loop and closes the command
 * pipe, so the worker kills its processes and exits. With wait_worker (foreground mode) waits up to
 * wait_ms for the worker to exit, re-logging its log lines meanwhile; a worker still alive then is
 * killed (SIGKILL) and reaped. Finally re-logs every log line still in the pipe. *status (may be
 * NULL) gets the waitpid status, or -1 when not waited. Returns 0, or -1 when the worker had to be
 * killed or could not be waited for. Idempotent; no callback runs afterwards.
 */
int qdevice_heuristics_close(struct qdevice_heuristics *h, bool wait_worker, uint32_t wait_ms, int *status);

/* Closes everything still open (without waiting for the worker) and frees h. NULL is allowed. */
void qdevice_heuristics_destroy(struct qdevice_heuristics *h);

#endif

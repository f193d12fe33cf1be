/* corosync-qdevice's local command socket: upstream's status [verbose] and shutdown, over common/ipc_server. */
#ifndef QD_QDEVICE_IPC_H
#define QD_QDEVICE_IPC_H

#include <stdbool.h>
#include <stddef.h>

#include "ipc_server.h"
#include "loop.h"
#include "qdevice_report.h"
#include "qdevice_settings.h"
#include "strbuf.h"

/*
 * Fills st (already set by qdevice_status_init) from the daemon's live state; pointers it stores
 * must stay valid until the call's reply has been formatted (the same loop turn). Returns 0, or
 * -1 when no status can be given (the client gets "Error\nCan't get QDevice status\n").
 */
typedef int (*qdevice_ipc_status_fn)(void *ctx, struct qdevice_status *st);
/*
 * The listening socket is closed and unlinked, by SIGTERM/SIGINT (qdevice_ipc_close_listener) or
 * after a shutdown request's "OK\n" was completely written: the daemon should end its main loop
 * with reason "local socket closed" (exit 0, doc/qdevice-state-machine.md §11).
 */
typedef void (*qdevice_ipc_closed_fn)(void *ctx);

struct qdevice_ipc {
	struct ipc_server server;
	qdevice_ipc_status_fn status;
	qdevice_ipc_closed_fn on_closed;
	void *ctx;
};

/*
 * Binds settings->local_socket_file (umask, gid, backlog and the three ipc_max_* limits from
 * settings; settings are read only here) and serves it in loop. Returns 0, or -1 after logging
 * why; then qdevice_ipc_close is a no-op.
 */
int qdevice_ipc_init(struct qdevice_ipc *ipc, struct loop *loop, const struct qdevice_settings *settings,
		     qdevice_ipc_status_fn status, qdevice_ipc_closed_fn on_closed, void *ctx);
/* SIGTERM's path: closes and unlinks the listener (clients being answered finish), then calls on_closed once. */
void qdevice_ipc_close_listener(struct qdevice_ipc *ipc);
bool qdevice_ipc_listener_closed(const struct qdevice_ipc *ipc);
/* Teardown: closes every client and the listener if still open (unlinking it); on_closed is not called. */
void qdevice_ipc_close(struct qdevice_ipc *ipc);

/* ---- The pure part, also used by the tests. ---- */

/*
 * Answers one request into out (empty on entry; its limit is ipc_max_send_size): "OK\n" plus the
 * status text, "OK\n" for shutdown (*shutdown set), or "Error\n<text>\n". A status that does not
 * fit out sets out->failed (the server then answers "Internal IPC buffer too small").
 */
void qdevice_ipc_run_command(const char *request, size_t len, qdevice_ipc_status_fn status, void *ctx,
			     struct strbuf *out, bool *shutdown);

#endif

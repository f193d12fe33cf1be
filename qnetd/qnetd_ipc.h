/* qnetd's local command socket: one request line per connection, one reply, then close, as in upstream. */
#ifndef QD_QNETD_IPC_H
#define QD_QNETD_IPC_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc_server.h"
#include "loop.h"
#include "qnetd_conn.h"
#include "qnetd_settings.h"
#include "qnetd_status_json.h"

struct qnetd_ipc {
	struct ipc_server server;
	const struct qnetd_server *qnetd;
	const char *version;                /* for the JSON status */
	int64_t started_unix_ms;
	bool server_cert_known;
	int64_t server_cert_not_before_ms;
	int64_t server_cert_not_after_ms;
	void (*on_shutdown)(void *data);    /* a shutdown request's reply has been written */
	void *on_shutdown_data;
};

int qnetd_ipc_init(struct qnetd_ipc *ipc, struct loop *loop, const struct qnetd_settings *settings,
		   const struct qnetd_server *server, const char *version, void (*on_shutdown)(void *), void *data);
/* The server certificate's validity window, for the JSON status (qnetd_tls_server_cert_times). */
void qnetd_ipc_set_server_cert(struct qnetd_ipc *ipc, int64_t not_before_ms, int64_t not_after_ms);
/* The daemon's identity and the present moment, for a JSON status built now (also for /metrics). */
void qnetd_ipc_status_context(const struct qnetd_ipc *ipc, struct qnetd_status_context *out);
/* Closes every IPC connection, then the socket, and unlinks its file. */
void qnetd_ipc_close(struct qnetd_ipc *ipc);

#endif

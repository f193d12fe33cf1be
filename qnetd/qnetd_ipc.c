/* qnetd's local command socket: one request line per connection, one reply, then close, as in upstream. */
#include "qnetd_ipc.h"

#include <string.h>
#include <time.h>

#include "qnetd_ipc_cmd.h"

static int64_t unix_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void qnetd_ipc_status_context(const struct qnetd_ipc *ipc, struct qnetd_status_context *out)
{
	*out = (struct qnetd_status_context){
		.version = ipc->version,
		.started_unix_ms = ipc->started_unix_ms,
		.now_mono_ms = loop_now_ms(),
		.now_unix_ms = unix_now_ms(),
		.server_cert_known = ipc->server_cert_known,
		.server_cert_not_before_ms = ipc->server_cert_not_before_ms,
		.server_cert_not_after_ms = ipc->server_cert_not_after_ms,
	};
}

static void ipc_on_request(void *ctx, const char *request, size_t len, struct strbuf *reply, bool *close_listener)
{
	struct qnetd_ipc *ipc = ctx;
	struct qnetd_status_context status;
	qnetd_ipc_status_context(ipc, &status);
	qnetd_ipc_cmd_run(ipc->qnetd, &status, request, len, reply, close_listener);
}

/* Reached only through a shutdown request: the listener closes once its reply is written. */
static void ipc_on_listener_closed(void *ctx)
{
	struct qnetd_ipc *ipc = ctx;

	if (ipc->on_shutdown != NULL)
		ipc->on_shutdown(ipc->on_shutdown_data);
}

int qnetd_ipc_init(struct qnetd_ipc *ipc, struct loop *loop, const struct qnetd_settings *settings,
		   const struct qnetd_server *server, const char *version, void (*on_shutdown)(void *), void *data)
{
	const struct ipc_server_config cfg = IPC_SERVER_CONFIG_FROM_SETTINGS(settings);

	memset(ipc, 0, sizeof(*ipc));
	ipc->qnetd = server;
	ipc->version = version;
	ipc->started_unix_ms = unix_now_ms();
	ipc->on_shutdown = on_shutdown;
	ipc->on_shutdown_data = data;
	return ipc_server_init(&ipc->server, loop, &cfg, ipc_on_request, ipc_on_listener_closed, ipc);
}

void qnetd_ipc_set_server_cert(struct qnetd_ipc *ipc, int64_t not_before_ms, int64_t not_after_ms)
{
	ipc->server_cert_known = true;
	ipc->server_cert_not_before_ms = not_before_ms;
	ipc->server_cert_not_after_ms = not_after_ms;
}

void qnetd_ipc_close(struct qnetd_ipc *ipc)
{
	ipc_server_destroy(&ipc->server);
}

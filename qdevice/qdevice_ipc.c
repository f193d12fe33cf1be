/* corosync-qdevice's local command socket: upstream's status [verbose] and shutdown, over common/ipc_server. */
#include "qdevice_ipc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ipc_request.h"
#include "log.h"
#include "qdevice_status_json.h"

/*
 * The status is formatted apart first so that the two failures stay distinct: no status at all
 * ("Can't get QDevice status") against one too large for ipc_max_send_size (out->failed).
 */
static void run_status(bool verbose, qdevice_ipc_status_fn status, void *ctx, struct strbuf *out)
{
	struct qdevice_status st;
	struct strbuf text;

	qdevice_status_init(&st);
	if (status == NULL || status(ctx, &st) != 0) {
		ipc_request_reply_error(out, "Can't get QDevice status", NULL);
		return;
	}
	strbuf_init(&text, SIZE_MAX);
	qdevice_report_status(&text, &st, verbose);
	if (text.failed) {
		strbuf_free(&text);
		ipc_request_reply_error(out, "Can't get QDevice status", NULL);
		return;
	}
	strbuf_printf(out, "OK\n");
	strbuf_append(out, text.data, text.len);
	strbuf_free(&text);
}

/* Our addition: "OK\n", the status object of doc/status-json.md §3 on one line, "\n". */
static void run_json(qdevice_ipc_status_fn status, void *ctx, struct strbuf *out)
{
	struct qdevice_status st;

	qdevice_status_init(&st);
	if (status == NULL || status(ctx, &st) != 0) {
		ipc_request_reply_error(out, "Can't get QDevice status", NULL);
		return;
	}
	json_t *obj = qdevice_status_json(&st);
	char *text = obj != NULL ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(obj);
	if (text == NULL) {
		ipc_request_reply_error(out, "Can't get QDevice status", NULL);
		return;
	}
	strbuf_printf(out, "OK\n");
	strbuf_append(out, text, strlen(text));
	strbuf_append(out, "\n", 1);
	free(text);
}

void qdevice_ipc_run_command(const char *request, size_t len, qdevice_ipc_status_fn status, void *ctx,
			     struct strbuf *out, bool *shutdown)
{
	struct ipc_request_tokens t;

	*shutdown = false;
	if (ipc_request_tokenize(request, len, false, &t) != 0) {
		ipc_request_reply_error(out, "Command too long", NULL);
		return;
	}
	if (t.count == 0) {
		ipc_request_reply_error(out, "No command specified", NULL);
	} else if (strcasecmp(t.tokens[0], "status") == 0) {
		bool verbose = t.count > 1 && strcasecmp(t.tokens[1], "verbose") == 0;
		run_status(verbose, status, ctx, out);
	} else if (strcasecmp(t.tokens[0], "json") == 0) {
		run_json(status, ctx, out);
	} else if (strcasecmp(t.tokens[0], "shutdown") == 0) {
		strbuf_printf(out, "OK\n");
		*shutdown = true;
	} else {
		ipc_request_reply_error(out, "Unknown command", t.tokens[0]);
	}
	ipc_request_tokens_free(&t);
}

static void ipc_on_request(void *ctx, const char *request, size_t len, struct strbuf *reply, bool *close_listener)
{
	struct qdevice_ipc *ipc = ctx;

	qdevice_ipc_run_command(request, len, ipc->status, ipc->ctx, reply, close_listener);
	if (*close_listener && !reply->failed)
		log_info("Shutdown requested through the local socket");
}

static void ipc_on_listener_closed(void *ctx)
{
	struct qdevice_ipc *ipc = ctx;

	log_debug("Local socket closed");
	if (ipc->on_closed != NULL)
		ipc->on_closed(ipc->ctx);
}

int qdevice_ipc_init(struct qdevice_ipc *ipc, struct loop *loop, const struct qdevice_settings *settings,
		     qdevice_ipc_status_fn status, qdevice_ipc_closed_fn on_closed, void *ctx)
{
	const struct ipc_server_config cfg = IPC_SERVER_CONFIG_FROM_SETTINGS(settings);

	memset(ipc, 0, sizeof(*ipc));
	ipc->status = status;
	ipc->on_closed = on_closed;
	ipc->ctx = ctx;
	return ipc_server_init(&ipc->server, loop, &cfg, ipc_on_request, ipc_on_listener_closed, ipc);
}

void qdevice_ipc_close_listener(struct qdevice_ipc *ipc)
{
	ipc_server_close_listener(&ipc->server);
}

bool qdevice_ipc_listener_closed(const struct qdevice_ipc *ipc)
{
	return !ipc_server_listening(&ipc->server);
}

void qdevice_ipc_close(struct qdevice_ipc *ipc)
{
	ipc_server_destroy(&ipc->server);
}

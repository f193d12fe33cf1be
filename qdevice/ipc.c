/* corosync-qdevice's local command socket: status [verbose] and shutdown (tools.md §2), over common/ipc_server. */
#include "ipc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

static bool is_separator(char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

static int push_token(struct qdevice_ipc_tokens *t, const char *s, size_t len)
{
	char **grown = realloc(t->tokens, (t->count + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	t->tokens = grown;
	char *tok = malloc(len + 1);
	if (tok == NULL)
		return -1;
	memcpy(tok, s, len);
	tok[len] = '\0';
	t->tokens[t->count++] = tok;
	return 0;
}

int qdevice_ipc_tokenize(const char *buf, size_t len, struct qdevice_ipc_tokens *out)
{
	out->tokens = NULL;
	out->count = 0;
	size_t i = 0;
	while (i < len && buf[i] != '\n' && buf[i] != '\r') {
		if (is_separator(buf[i])) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && buf[i] != '\n' && buf[i] != '\r' && !is_separator(buf[i]))
			i++;
		if (push_token(out, buf + start, i - start) != 0) {
			qdevice_ipc_tokens_free(out);
			return -1;
		}
	}
	return 0;
}

void qdevice_ipc_tokens_free(struct qdevice_ipc_tokens *t)
{
	for (size_t i = 0; i < t->count; i++)
		free(t->tokens[i]);
	free(t->tokens);
	t->tokens = NULL;
	t->count = 0;
}

/* Replaces whatever out holds with "Error\n<message>[ '<token>']\n". */
static void reply_error(struct strbuf *out, const char *message, const char *token)
{
	out->failed = false;
	out->len = 0;
	if (out->data != NULL)
		out->data[0] = '\0';
	strbuf_printf(out, "Error\n%s", message);
	if (token != NULL)
		strbuf_printf(out, " '%s'", token);
	strbuf_printf(out, "\n");
}

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
		reply_error(out, "Can't get QDevice status", NULL);
		return;
	}
	strbuf_init(&text, SIZE_MAX);
	qdevice_report_status(&text, &st, verbose);
	if (text.failed) {
		strbuf_free(&text);
		reply_error(out, "Can't get QDevice status", NULL);
		return;
	}
	strbuf_printf(out, "OK\n");
	strbuf_append(out, text.data, text.len);
	strbuf_free(&text);
}

void qdevice_ipc_run_command(const char *request, size_t len, qdevice_ipc_status_fn status, void *ctx,
			     struct strbuf *out, bool *shutdown)
{
	struct qdevice_ipc_tokens t;

	*shutdown = false;
	if (qdevice_ipc_tokenize(request, len, &t) != 0) {
		reply_error(out, "Command too long", NULL);
		return;
	}
	if (t.count == 0) {
		reply_error(out, "No command specified", NULL);
	} else if (strcasecmp(t.tokens[0], "status") == 0) {
		bool verbose = t.count > 1 && strcasecmp(t.tokens[1], "verbose") == 0;
		run_status(verbose, status, ctx, out);
	} else if (strcasecmp(t.tokens[0], "shutdown") == 0) {
		strbuf_printf(out, "OK\n");
		*shutdown = true;
	} else {
		reply_error(out, "Unknown command", t.tokens[0]);
	}
	qdevice_ipc_tokens_free(&t);
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

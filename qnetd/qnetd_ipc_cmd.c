/* corosync-qnetd-tool requests: the commands of qnetd's local socket and their replies. */
#include "qnetd_ipc_cmd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ipc_request.h"
#include "qnetd_report.h"

static void run_json(const struct qnetd_server *srv, const struct qnetd_status_context *ctx,
		     const struct ipc_request_tokens *t, struct strbuf *out)
{
	const char *name = NULL;
	bool brief = false;
	/* "json [brief] [cluster NAME]" */
	for (size_t i = 1; i < t->count; i++) {
		if (strcasecmp(t->tokens[i], "brief") == 0)
			brief = true;
		else if (strcasecmp(t->tokens[i], "cluster") == 0 && i + 1 < t->count)
			name = t->tokens[++i];
	}
	json_t *status = qnetd_status_json(srv, ctx, name, name != NULL ? strlen(name) : 0, !brief);
	char *text = status != NULL ? json_dumps(status, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(status);
	if (text == NULL) {
		ipc_request_reply_error(out, "Can't get QNetd status", NULL);
		return;
	}
	strbuf_append(out, "OK\n", 3);
	strbuf_append(out, text, strlen(text));
	strbuf_append(out, "\n", 1);
	free(text);
	if (out->failed)
		ipc_request_reply_error(out, "Can't get QNetd status", NULL);
}

void qnetd_ipc_cmd_run(const struct qnetd_server *srv, const struct qnetd_status_context *ctx, const char *request,
		       size_t len, struct strbuf *out, bool *shutdown)
{
	struct ipc_request_tokens t;

	*shutdown = false;
	if (ipc_request_tokenize(request, len, true, &t) != 0) {
		ipc_request_reply_error(out, "Command too long", NULL);
		return;
	}
	if (t.count == 0) {
		ipc_request_reply_error(out, "No command", NULL);
	} else if (strcasecmp(t.tokens[0], "shutdown") == 0) {
		strbuf_append(out, "OK\n", 3);
		*shutdown = true;
	} else if (strcasecmp(t.tokens[0], "status") == 0) {
		bool verbose = t.count > 1 && strcasecmp(t.tokens[1], "verbose") == 0;
		strbuf_append(out, "OK\n", 3);
		qnetd_report_status(out, srv, verbose);
		if (out->failed)
			ipc_request_reply_error(out, "Can't get QNetd status", NULL);
	} else if (strcasecmp(t.tokens[0], "json") == 0) {
		run_json(srv, ctx, &t, out);
	} else if (strcasecmp(t.tokens[0], "list") == 0) {
		bool verbose = false;
		const char *name = NULL;
		for (size_t i = 1; i < t.count; i++) {
			if (strcasecmp(t.tokens[i], "verbose") == 0) {
				verbose = true;
			} else if (strcasecmp(t.tokens[i], "cluster") == 0 && i + 1 < t.count) {
				name = t.tokens[++i];
			} else {
				break;
			}
		}
		strbuf_append(out, "OK\n", 3);
		qnetd_report_list(out, srv, verbose, name, name != NULL ? strlen(name) : 0);
		if (out->failed)
			ipc_request_reply_error(out, "Can't get QNetd cluster list", NULL);
	} else {
		ipc_request_reply_error(out, "Unknown command", t.tokens[0]);
	}
	ipc_request_tokens_free(&t);
}

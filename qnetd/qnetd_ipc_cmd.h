/* corosync-qnetd-tool requests: the commands of qnetd's local socket and their replies. */
#ifndef QD_QNETD_IPC_CMD_H
#define QD_QNETD_IPC_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "qnetd_conn.h"
#include "qnetd_status_json.h"
#include "strbuf.h"

/*
 * Runs one request and writes the whole reply ("OK\n..." or "Error\n<msg>\n")
 * into out, whose limit is the reply size limit. *shutdown is set for a
 * shutdown request (the daemon stops once the reply is written). ctx serves the "json" command
 * (our addition: "OK\n", the status object of doc/status-json.md on one line, "\n").
 */
void qnetd_ipc_cmd_run(const struct qnetd_server *srv, const struct qnetd_status_context *ctx, const char *request,
		       size_t len, struct strbuf *out, bool *shutdown);

#endif

/* corosync-qnetd-tool requests: tokenizing one request line and producing its reply (qnetd.md §11.3-11.4). */
#ifndef QD_QNETD_IPC_CMD_H
#define QD_QNETD_IPC_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "session.h"
#include "strbuf.h"

struct ipc_tokens {
	char **tokens;
	size_t count;
};

/* Splits the first line of buf into tokens with upstream's quoting rules. Returns 0 or -1 (no memory). */
int ipc_tokenize(const char *buf, size_t len, struct ipc_tokens *out);
void ipc_tokens_free(struct ipc_tokens *t);

/*
 * Runs one request and writes the whole reply ("OK\n..." or "Error\n<msg>\n")
 * into out, whose limit is the reply size limit. *shutdown is set for a
 * shutdown request (the daemon stops once the reply is written).
 */
void ipc_cmd_run(const struct qnetd_server *srv, const char *request, size_t len, struct strbuf *out,
		 bool *shutdown);

#endif

/* One local-socket request line split into tokens, and the error reply both daemons give: shared by their command runners. */
#ifndef QD_IPC_REQUEST_H
#define QD_IPC_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

struct ipc_request_tokens {
	char **tokens;
	size_t count;
};

/*
 * Splits the first line of buf (up to the first CR or LF) into tokens separated by space, tab,
 * form feed or vertical tab. With quoting (qnetd's tool protocol), a backslash outside quotes
 * escapes the next character (a trailing one is dropped) and "..." groups characters, inside
 * which only \\ and \" are escapes; without it (qdevice's), every other character is literal.
 * Returns 0, or -1 out of memory (nothing to free then).
 */
int ipc_request_tokenize(const char *buf, size_t len, bool quoting, struct ipc_request_tokens *out);
void ipc_request_tokens_free(struct ipc_request_tokens *t);

/* Replaces whatever out holds with "Error\n<message>[ '<token>']\n". */
void ipc_request_reply_error(struct strbuf *out, const char *message, const char *token);

#endif

/* corosync-qnetd-tool requests: tokenizing one request line and producing its reply (qnetd.md §11.3-11.4). */
#include "ipc_cmd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

static int push_token(struct ipc_tokens *t, const char *s, size_t len)
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

int ipc_tokenize(const char *buf, size_t len, struct ipc_tokens *out)
{
	char *word = malloc(len + 1);
	size_t wlen = 0;
	bool in_word = false;
	size_t i = 0;

	out->tokens = NULL;
	out->count = 0;
	if (word == NULL)
		return -1;
	while (i < len && buf[i] != '\n' && buf[i] != '\r') {
		char c = buf[i];
		if (is_space(c)) {
			if (in_word && push_token(out, word, wlen) != 0)
				goto fail;
			in_word = false;
			wlen = 0;
			i++;
		} else if (c == '\\') {
			in_word = true;
			/* Escapes the next character; a trailing backslash is dropped. */
			if (i + 1 < len && buf[i + 1] != '\n' && buf[i + 1] != '\r') {
				word[wlen++] = buf[i + 1];
				i += 2;
			} else {
				i++;
			}
		} else if (c == '"') {
			in_word = true;
			i++;
			while (i < len && buf[i] != '"') {
				if (buf[i] == '\\' && i + 1 < len) {
					if (buf[i + 1] == '\\' || buf[i + 1] == '"') {
						word[wlen++] = buf[i + 1];
					} else {
						word[wlen++] = '\\';
						word[wlen++] = buf[i + 1];
					}
					i += 2;
				} else {
					word[wlen++] = buf[i++];
				}
			}
			if (i < len)
				i++; /* closing quote */
		} else {
			in_word = true;
			word[wlen++] = c;
			i++;
		}
	}
	if (in_word && push_token(out, word, wlen) != 0)
		goto fail;
	free(word);
	return 0;
fail:
	free(word);
	ipc_tokens_free(out);
	return -1;
}

void ipc_tokens_free(struct ipc_tokens *t)
{
	for (size_t i = 0; i < t->count; i++)
		free(t->tokens[i]);
	free(t->tokens);
	t->tokens = NULL;
	t->count = 0;
}

/* Replaces whatever was written with "Error\n<message>[ '<token>']\n". */
static void reply_error(struct strbuf *out, const char *message, const char *token)
{
	out->failed = false;
	out->len = 0;
	if (out->data != NULL)
		out->data[0] = '\0';
	strbuf_append(out, "Error\n", 6);
	strbuf_printf(out, "%s", message);
	if (token != NULL)
		strbuf_printf(out, " '%s'", token);
	strbuf_append(out, "\n", 1);
}

void ipc_cmd_run(const struct qnetd_server *srv, const char *request, size_t len, struct strbuf *out,
		 bool *shutdown)
{
	struct ipc_tokens t;

	*shutdown = false;
	if (ipc_tokenize(request, len, &t) != 0) {
		reply_error(out, "Command too long", NULL);
		return;
	}
	if (t.count == 0) {
		reply_error(out, "No command", NULL);
	} else if (strcasecmp(t.tokens[0], "shutdown") == 0) {
		strbuf_append(out, "OK\n", 3);
		*shutdown = true;
	} else if (strcasecmp(t.tokens[0], "status") == 0) {
		bool verbose = t.count > 1 && strcasecmp(t.tokens[1], "verbose") == 0;
		strbuf_append(out, "OK\n", 3);
		qnetd_report_status(out, srv, verbose);
		if (out->failed)
			reply_error(out, "Can't get QNetd status", NULL);
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
			reply_error(out, "Can't get QNetd cluster list", NULL);
	} else {
		reply_error(out, "Unknown command", t.tokens[0]);
	}
	ipc_tokens_free(&t);
}

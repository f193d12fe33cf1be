/* One local-socket request line split into tokens, and the error reply both daemons give: shared by their command runners. */
#include "ipc_request.h"

#include <stdlib.h>
#include <string.h>

static bool is_separator(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

static bool is_line_end(char c)
{
	return c == '\n' || c == '\r';
}

static int push_token(struct ipc_request_tokens *t, const char *s, size_t len)
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

/* A quoted section starting after its opening quote at buf[i]; returns the index after it. */
static size_t take_quoted(const char *buf, size_t len, size_t i, char *word, size_t *wlen)
{
	while (i < len && buf[i] != '"') {
		if (buf[i] == '\\' && i + 1 < len) {
			if (buf[i + 1] != '\\' && buf[i + 1] != '"')
				word[(*wlen)++] = '\\';
			word[(*wlen)++] = buf[i + 1];
			i += 2;
		} else {
			word[(*wlen)++] = buf[i++];
		}
	}
	return i < len ? i + 1 : i; /* past the closing quote, if any */
}

int ipc_request_tokenize(const char *buf, size_t len, bool quoting, struct ipc_request_tokens *out)
{
	/* A token is never longer than the line, whatever the quoting. */
	char *word = malloc(len + 1);
	size_t wlen = 0, i = 0;
	bool in_word = false;

	out->tokens = NULL;
	out->count = 0;
	if (word == NULL)
		return -1;
	while (i < len && !is_line_end(buf[i])) {
		char c = buf[i];
		if (is_separator(c)) {
			if (in_word && push_token(out, word, wlen) != 0)
				goto fail;
			in_word = false;
			wlen = 0;
			i++;
			continue;
		}
		in_word = true;
		if (quoting && c == '\\') {
			if (i + 1 < len && !is_line_end(buf[i + 1]))
				word[wlen++] = buf[i + 1];
			i += (i + 1 < len && !is_line_end(buf[i + 1])) ? 2 : 1;
		} else if (quoting && c == '"') {
			i = take_quoted(buf, len, i + 1, word, &wlen);
		} else {
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
	ipc_request_tokens_free(out);
	return -1;
}

void ipc_request_tokens_free(struct ipc_request_tokens *t)
{
	for (size_t i = 0; i < t->count; i++)
		free(t->tokens[i]);
	free(t->tokens);
	t->tokens = NULL;
	t->count = 0;
}

void ipc_request_reply_error(struct strbuf *out, const char *message, const char *token)
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

/* Heuristics commands without a shell: exec_ value to argv, process outcomes to a result (man/corosync-qdevice.8). */
#include "qdevice_heuristics_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* A growing vector of words. */
struct words {
	char **v;
	size_t n;
	size_t cap;
};

static int words_push(struct words *w, const char *text, size_t len)
{
	if (w->n + 2 > w->cap) {
		size_t cap = w->cap == 0 ? 8 : w->cap * 2;
		char **v = realloc(w->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		w->v = v;
		w->cap = cap;
	}
	char *copy = malloc(len + 1);
	if (copy == NULL)
		return -1;
	memcpy(copy, text, len);
	copy[len] = '\0';
	w->v[w->n++] = copy;
	w->v[w->n] = NULL;
	return 0;
}

void qdevice_heuristics_cmd_free_argv(char **argv)
{
	if (argv == NULL)
		return;
	for (char **p = argv; *p != NULL; p++)
		free(*p);
	free(argv);
}

static bool is_separator(char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

static bool is_line_end(char c)
{
	return c == '\n' || c == '\r';
}

int qdevice_heuristics_cmd_split(const char *command, char ***argv_out, size_t *argc_out)
{
	struct words w = {NULL, 0, 0};
	/* A word is never longer than the command, so one buffer of that size holds any word. */
	size_t cap = strlen(command) + 1;
	char *word = malloc(cap);
	size_t len = 0;
	bool in_word = false, in_quotes = false;
	const char *p = command;

	*argv_out = NULL;
	*argc_out = 0;
	if (word == NULL)
		return -1;
	while (*p != '\0' && !is_line_end(*p)) {
		char c = *p++;
		if (in_quotes) {
			if (c == '"') {
				in_quotes = false;
			} else if (c == '\\' && (*p == '\\' || *p == '"')) {
				word[len++] = *p++;
			} else {
				word[len++] = c;
			}
			continue;
		}
		if (is_separator(c)) {
			if (in_word) {
				if (words_push(&w, word, len) != 0)
					goto oom;
				len = 0;
				in_word = false;
			}
			continue;
		}
		if (c == '"') {
			in_quotes = true;
			in_word = true;
		} else if (c == '\\') {
			/* The next character is literal; a lone trailing backslash (or one before the
			 * end of the line) is dropped and starts no word. */
			if (*p != '\0' && !is_line_end(*p)) {
				word[len++] = *p++;
				in_word = true;
			}
		} else {
			word[len++] = c;
			in_word = true;
		}
	}
	if (in_word && words_push(&w, word, len) != 0)
		goto oom;
	free(word);
	if (w.v == NULL) {
		w.v = calloc(1, sizeof(*w.v));
		if (w.v == NULL)
			return -1;
	}
	*argv_out = w.v;
	*argc_out = w.n;
	return 0;
oom:
	free(word);
	qdevice_heuristics_cmd_free_argv(w.v);
	return -1;
}

char *qdevice_heuristics_cmd_list_add_line(const char *name, const char *command)
{
	size_t len = strlen("exec-list-add ") + strlen(name) + 1 + strlen(command) + 2;
	char *line = malloc(len);

	if (line == NULL)
		return NULL;
	snprintf(line, len, "exec-list-add %s %s\n", name, command);
	/* Only the command part can hold CR/LF (the name is part of a cmap key). */
	for (char *c = line + strlen("exec-list-add ") + strlen(name) + 1; c[1] != '\0'; c++)
		if (*c == '\r' || *c == '\n')
			*c = ' ';
	return line;
}

enum qdevice_heuristics_result qdevice_heuristics_cmd_result(const struct qdevice_heuristics_proc *procs,
							     size_t count, bool timer_expired)
{
	bool all_done = true;

	if (count == 0)
		return QDEVICE_HEURISTICS_RESULT_DISABLED;
	for (size_t i = 0; i < count; i++) {
		switch (procs[i].state) {
		case QDEVICE_HEURISTICS_PROC_RUNNING:
			all_done = false;
			break;
		case QDEVICE_HEURISTICS_PROC_EXITED:
			if (procs[i].exit_status != 0)
				return QDEVICE_HEURISTICS_RESULT_FAIL;
			break;
		case QDEVICE_HEURISTICS_PROC_SIGNALED:
		case QDEVICE_HEURISTICS_PROC_NOT_STARTED:
			return QDEVICE_HEURISTICS_RESULT_FAIL;
		}
	}
	if (all_done)
		return QDEVICE_HEURISTICS_RESULT_PASS;
	return timer_expired ? QDEVICE_HEURISTICS_RESULT_FAIL : QDEVICE_HEURISTICS_RESULT_PENDING;
}

const char *qdevice_heuristics_result_str(enum qdevice_heuristics_result r)
{
	switch (r) {
	case QDEVICE_HEURISTICS_RESULT_PASS: return "Pass";
	case QDEVICE_HEURISTICS_RESULT_FAIL: return "Fail";
	case QDEVICE_HEURISTICS_RESULT_DISABLED:
	case QDEVICE_HEURISTICS_RESULT_PENDING: break;
	}
	return "Undefined";
}

const char *qdevice_heuristics_outcome_id(const struct qdevice_heuristics_exec_outcome *o)
{
	switch (o->state) {
	case QDEVICE_HEURISTICS_PROC_EXITED: return o->exit_status == 0 ? "pass" : "fail";
	case QDEVICE_HEURISTICS_PROC_SIGNALED: return "killed";
	case QDEVICE_HEURISTICS_PROC_RUNNING: return "unfinished";
	case QDEVICE_HEURISTICS_PROC_NOT_STARTED: return "not_started";
	}
	return "not_started";
}

/* The report of a tool's diagnosis (-D): check states, the text and JSON forms and the exit status (doc/diagnose.md §1). */
#ifndef QD_DIAG_H
#define QD_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "strbuf.h"

enum diag_state {
	DIAG_OK = 0,
	DIAG_WARN,
	DIAG_FAIL,
	DIAG_SKIP,
};

/* Longest "found" or "fix" text kept; longer text is cut and ends in "...". */
#define DIAG_TEXT_MAX 512

struct diag_check {
	const char *id;                         /* a stable check id, a static string */
	enum diag_state state;
	char found[DIAG_TEXT_MAX];
	char fix[DIAG_TEXT_MAX];                /* "" when there is nothing to change */
};

#define DIAG_MAX_CHECKS 16
struct diag_report {
	struct diag_check checks[DIAG_MAX_CHECKS];
	size_t count;
};

void diag_report_init(struct diag_report *r);
/*
 * Appends a check (fix may be NULL); the report holds at most DIAG_MAX_CHECKS, and a check past
 * that is a programming error the caller's tests catch: it is dropped and NULL returned.
 */
struct diag_check *diag_add(struct diag_report *r, const char *id, enum diag_state s, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The check with this id, or NULL. */
const struct diag_check *diag_find(const struct diag_report *r, const char *id);
/* 0 when nothing is WARN or FAIL, 1 when the worst is WARN, 2 for a FAIL. */
int diag_exit_status(const struct diag_report *r);
/* "OK", "WARN", "FAIL", "SKIP". */
const char *diag_state_str(enum diag_state s);
/* One line per check, "STATE id: found", and an indented "    fix: ..." line after WARN and FAIL. */
void diag_format(const struct diag_report *r, struct strbuf *out);
/*
 * {"schema":1,"program":program,"checks":[{"id","state","found","fix"}],"exit_status":N}, states in
 * lower case, fix null when there is none; NULL when memory runs out.
 */
json_t *diag_json(const struct diag_report *r, const char *program);

/*
 * Writes the report to out as text or, with as_json, as the JSON form on one line. Returns its
 * exit status (diag_exit_status), -1 when memory ran out, -2 when out could not be written.
 */
int diag_print(const struct diag_report *r, bool as_json, const char *program, FILE *out);

/*
 * Appends printf-style text to the NUL-terminated buf of size len; text that does not fit is cut
 * and the buffer ends in "..." from then on. Returns false once the buffer is full.
 */
bool diag_appendf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif

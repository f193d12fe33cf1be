/* The report of a tool's diagnosis (-D): check states, the text and JSON forms and the exit status (doc/diagnose.md §1). */
#include "diag.h"

#include <stdlib.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char ellipsis[] = "...";

/*
 * Marks a cut: the last bytes of a full buffer become "...", never leaving part of a UTF-8 sequence
 * before them (the JSON form refuses text that is not UTF-8).
 */
static void mark_cut(char *buf, size_t len)
{
	if (len <= sizeof(ellipsis))
		return;
	size_t at = len - sizeof(ellipsis);
	while (at > 0 && ((unsigned char)buf[at] & 0xc0) == 0x80)
		at--;
	memcpy(buf + at, ellipsis, sizeof(ellipsis));
}

static bool vappend(char *buf, size_t len, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
static bool vappend(char *buf, size_t len, const char *fmt, va_list ap)
{
	if (len == 0)
		return false;
	size_t used = strnlen(buf, len - 1);
	buf[used] = '\0';
	/*
	 * A buffer already cut stays as it is, so a later short item cannot follow the "..." (a cut
	 * may have backed off up to 3 bytes of a UTF-8 sequence).
	 */
	if (used >= sizeof(ellipsis) - 1 && used + sizeof(ellipsis) + 3 >= len &&
	    strcmp(buf + used - (sizeof(ellipsis) - 1), ellipsis) == 0)
		return false;
	int n = vsnprintf(buf + used, len - used, fmt, ap);
	if (n < 0) {
		buf[used] = '\0';
		return true;
	}
	if ((size_t)n >= len - used) {
		mark_cut(buf, len);
		return false;
	}
	return true;
}

bool diag_appendf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool ok = vappend(buf, len, fmt, ap);
	va_end(ap);
	return ok;
}

/* Length of the well-formed UTF-8 sequence at s (1-4), or 0 when none starts there. */
static size_t utf8_length(const unsigned char *s)
{
	size_t n;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) || (s[0] == 0xf0 && s[1] < 0x90) ||
	    (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

/*
 * Text in a report comes partly from the daemons (names, versions) and may have been cut anywhere:
 * a byte that is not part of well-formed UTF-8 becomes "?", so the JSON form can always be written.
 */
static void utf8_clean(char *text)
{
	unsigned char *s = (unsigned char *)text;
	while (*s != '\0') {
		size_t n = utf8_length(s);
		if (n == 0) {
			*s++ = '?';
			continue;
		}
		s += n;
	}
}

void diag_report_init(struct diag_report *r)
{
	r->count = 0;
}

struct diag_check *diag_add(struct diag_report *r, const char *id, enum diag_state s, const char *fix, const char *fmt, ...)
{
	if (r->count >= DIAG_MAX_CHECKS)
		return NULL;
	struct diag_check *c = &r->checks[r->count++];
	c->id = id;
	c->state = s;
	c->found[0] = '\0';
	c->fix[0] = '\0';
	va_list ap;
	va_start(ap, fmt);
	vappend(c->found, sizeof(c->found), fmt, ap);
	va_end(ap);
	if (fix != NULL)
		diag_appendf(c->fix, sizeof(c->fix), "%s", fix);
	utf8_clean(c->found);
	utf8_clean(c->fix);
	return c;
}

const struct diag_check *diag_find(const struct diag_report *r, const char *id)
{
	for (size_t i = 0; i < r->count; i++)
		if (strcmp(r->checks[i].id, id) == 0)
			return &r->checks[i];
	return NULL;
}

int diag_exit_status(const struct diag_report *r)
{
	int rc = 0;
	for (size_t i = 0; i < r->count; i++) {
		if (r->checks[i].state == DIAG_FAIL)
			rc = 2;
		else if (r->checks[i].state == DIAG_WARN && rc == 0)
			rc = 1;
	}
	return rc;
}

const char *diag_state_str(enum diag_state s)
{
	switch (s) {
	case DIAG_OK: return "OK";
	case DIAG_WARN: return "WARN";
	case DIAG_FAIL: return "FAIL";
	case DIAG_SKIP: return "SKIP";
	}
	return "SKIP";
}

static const char *state_id(enum diag_state s)
{
	switch (s) {
	case DIAG_OK: return "ok";
	case DIAG_WARN: return "warn";
	case DIAG_FAIL: return "fail";
	case DIAG_SKIP: return "skip";
	}
	return "skip";
}

void diag_format(const struct diag_report *r, struct strbuf *out)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct diag_check *c = &r->checks[i];
		strbuf_printf(out, "%s %s: %s\n", diag_state_str(c->state), c->id, c->found);
		if ((c->state == DIAG_WARN || c->state == DIAG_FAIL) && c->fix[0] != '\0')
			strbuf_printf(out, "    fix: %s\n", c->fix);
	}
}

json_t *diag_json(const struct diag_report *r, const char *program)
{
	json_t *checks = json_array();
	if (checks == NULL)
		return NULL;
	for (size_t i = 0; i < r->count; i++) {
		const struct diag_check *c = &r->checks[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:s?}", "id", c->id, "state", state_id(c->state), "found", c->found,
				      "fix", c->fix[0] != '\0' ? c->fix : NULL);
		if (o == NULL || json_array_append_new(checks, o) != 0) {
			json_decref(checks);
			return NULL;
		}
	}
	return json_pack("{s:i, s:s, s:o, s:i}", "schema", 1, "program", program, "checks", checks, "exit_status",
			 diag_exit_status(r));
}

int diag_print(const struct diag_report *r, bool as_json, const char *program, FILE *out)
{
	if (as_json) {
		json_t *j = diag_json(r, program);
		char *text = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(j);
		if (text == NULL)
			return -1;
		fprintf(out, "%s\n", text);
		free(text);
	} else {
		struct strbuf text;
		strbuf_init(&text, 1 << 20);
		diag_format(r, &text);
		if (text.failed) {
			strbuf_free(&text);
			return -1;
		}
		fputs(text.data != NULL ? text.data : "", out);
		strbuf_free(&text);
	}
	return fflush(out) == 0 ? diag_exit_status(r) : -2;
}

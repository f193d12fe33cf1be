/* A growable text buffer with a hard size limit, for reports and replies. */
#ifndef QD_STRBUF_H
#define QD_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf {
	char *data;     /* NUL-terminated */
	size_t len;
	size_t cap;
	size_t limit;   /* appends beyond this fail */
	bool failed;    /* sticky: an append did not fit or memory ran out */
};

void strbuf_init(struct strbuf *sb, size_t limit);
void strbuf_free(struct strbuf *sb);
void strbuf_append(struct strbuf *sb, const char *s, size_t len);
/* Appends peer-supplied bytes with control characters and backslashes as \xNN (common/escape.h). */
void strbuf_append_escaped(struct strbuf *sb, const uint8_t *bytes, size_t len);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

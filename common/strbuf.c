/* A growable text buffer with a hard size limit, for reports and replies. */
#include "strbuf.h"

#include "escape.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(struct strbuf *sb, size_t limit)
{
	memset(sb, 0, sizeof(*sb));
	sb->limit = limit;
}

void strbuf_free(struct strbuf *sb)
{
	free(sb->data);
	memset(sb, 0, sizeof(*sb));
}

static bool reserve(struct strbuf *sb, size_t extra)
{
	if (sb->failed)
		return false;
	if (extra > sb->limit || sb->len > sb->limit - extra) {
		sb->failed = true;
		return false;
	}
	size_t need = sb->len + extra + 1;
	if (need <= sb->cap)
		return true;
	size_t cap = sb->cap == 0 ? 256 : sb->cap;
	while (cap < need)
		cap *= 2;
	char *grown = realloc(sb->data, cap);
	if (grown == NULL) {
		sb->failed = true;
		return false;
	}
	sb->data = grown;
	sb->cap = cap;
	return true;
}

void strbuf_append(struct strbuf *sb, const char *s, size_t len)
{
	if (!reserve(sb, len))
		return;
	memcpy(sb->data + sb->len, s, len);
	sb->len += len;
	sb->data[sb->len] = '\0';
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->failed = true;
		return;
	}
	if (!reserve(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void strbuf_append_escaped(struct strbuf *sb, const uint8_t *bytes, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t run = 0;
		while (i + run < len && !escape_needed(bytes[i + run]))
			run++;
		strbuf_append(sb, (const char *)bytes + i, run);
		i += run;
		if (i < len)
			strbuf_printf(sb, "\\x%02x", bytes[i++]);
	}
}

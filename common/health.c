/* Health verdicts for the tools' -C: monitoring-plugin states, one summary line, performance data. */
#include "health.h"

#include <stdarg.h>
#include <stdio.h>

const char *health_state_str(enum health_state s)
{
	switch (s) {
	case HEALTH_OK: return "OK";
	case HEALTH_WARNING: return "WARNING";
	case HEALTH_CRITICAL: return "CRITICAL";
	default: return "UNKNOWN";
	}
}

void health_report_init(struct health_report *r)
{
	r->state = HEALTH_OK;
	strbuf_init(&r->findings, 4096);
	strbuf_init(&r->perfdata, 1024);
}

void health_report_free(struct health_report *r)
{
	strbuf_free(&r->findings);
	strbuf_free(&r->perfdata);
}

/* OK findings are kept apart until the end: they are noise beside a problem. */
void health_add(struct health_report *r, enum health_state s, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (s > r->state) {
		/* A worse state: what was said at a better one no longer belongs in the summary. */
		if (r->state == HEALTH_OK) {
			r->findings.len = 0;
			if (r->findings.data != NULL)
				r->findings.data[0] = '\0';
		}
		r->state = s;
	} else if (s != r->state && s == HEALTH_OK) {
		return;
	}
	if (r->findings.len > 0)
		strbuf_append(&r->findings, "; ", 2);
	strbuf_printf(&r->findings, "%s", text);
}

void health_perf(struct health_report *r, const char *name, long long value)
{
	strbuf_printf(&r->perfdata, "%s%s=%lld", r->perfdata.len > 0 ? " " : "", name, value);
}

void health_format(const struct health_report *r, const char *service, struct strbuf *out)
{
	strbuf_printf(out, "%s %s: %s", service, health_state_str(r->state),
		      r->findings.len > 0 ? r->findings.data : "no findings");
	if (r->perfdata.len > 0)
		strbuf_printf(out, " | %s", r->perfdata.data);
	strbuf_append(out, "\n", 1);
}

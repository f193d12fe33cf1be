/* Health verdicts for the tools' -C: monitoring-plugin states, one summary line, performance data. */
#ifndef QD_HEALTH_H
#define QD_HEALTH_H

#include <stddef.h>

#include "strbuf.h"

/* The monitoring-plugin exit codes (doc/monitoring.md §1). */
enum health_state {
	HEALTH_OK = 0,
	HEALTH_WARNING = 1,
	HEALTH_CRITICAL = 2,
	HEALTH_UNKNOWN = 3,
};

/* Collects findings; the worst state wins and every finding goes into the summary. */
struct health_report {
	enum health_state state;
	struct strbuf findings;                 /* "; "-separated */
	struct strbuf perfdata;                 /* "name=value name=value" */
};

void health_report_init(struct health_report *r);
void health_report_free(struct health_report *r);
/* Adds a finding in state s (OK findings only describe, they are shown when nothing is wrong). */
void health_add(struct health_report *r, enum health_state s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void health_perf(struct health_report *r, const char *name, long long value);
/*
 * The one line: "<SERVICE> <STATE>: <findings> | <perfdata>". UNKNOWN is meant to be used alone,
 * when no check could run at all.
 */
void health_format(const struct health_report *r, const char *service, struct strbuf *out);
const char *health_state_str(enum health_state s);

#endif

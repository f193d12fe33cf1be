/* Logging through libqb: syslog always, stderr in the foreground, upstream's debug switches. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

#include "ratelimit.h"

static bool log_to_stderr;
static int log_debug_level;

/* Replaces the priority filters of both targets; debug_level as log_init's. */
static void log_apply_level(int debug_level)
{
	int threshold = debug_level > 0 ? LOG_DEBUG : LOG_INFO;

	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_REMOVE, QB_LOG_FILTER_FILE, "*", LOG_DEBUG);
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", threshold);
	qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_PRIORITY_BUMP, debug_level >= 2 ? LOG_INFO - LOG_DEBUG : 0);
	if (log_to_stderr) {
		qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_REMOVE, QB_LOG_FILTER_FILE, "*", LOG_DEBUG);
		qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", threshold);
	}
}

void log_init(const char *ident, bool to_stderr, int debug_level)
{
	int threshold = debug_level > 0 ? LOG_DEBUG : LOG_INFO;

	log_to_stderr = to_stderr;
	log_debug_level = debug_level;
	qb_log_init(ident, LOG_DAEMON, threshold);
	qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, QB_TRUE);
	qb_log_format_set(QB_LOG_SYSLOG, "%b");
	qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, to_stderr ? QB_TRUE : QB_FALSE);
	if (to_stderr)
		qb_log_format_set(QB_LOG_STDERR, "%t %7p %b");
	log_apply_level(debug_level);
	qb_log_ctl(QB_LOG_BLACKBOX, QB_LOG_CONF_ENABLED, QB_FALSE);
}

void log_set_debug_level(int debug_level)
{
	log_debug_level = debug_level;
	log_apply_level(debug_level);
}

void log_set_stderr(bool to_stderr)
{
	log_to_stderr = to_stderr;
	qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, to_stderr ? QB_TRUE : QB_FALSE);
	if (to_stderr)
		qb_log_format_set(QB_LOG_STDERR, "%t %7p %b");
	log_apply_level(log_debug_level);
}

void log_close(void)
{
	qb_log_fini();
}

void log_ratelimited(struct ratelimit *rl, uint64_t now_ms, int priority, const char *fmt, ...)
{
	unsigned long held_back;
	if (!ratelimit_allow(rl, now_ms, RATELIMIT_BURST, RATELIMIT_WINDOW_MS, &held_back))
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (held_back > 0)
		qb_log(priority, "%s (%lu similar messages suppressed)", line, held_back);
	else
		qb_log(priority, "%s", line);
}

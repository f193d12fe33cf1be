/* Logging through libqb: syslog always, stderr in the foreground, upstream's debug switches. */
#include "log.h"

void log_init(const char *ident, bool to_stderr, int debug_level)
{
	int threshold = debug_level > 0 ? LOG_DEBUG : LOG_INFO;

	qb_log_init(ident, LOG_DAEMON, threshold);
	qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, QB_TRUE);
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_REMOVE, QB_LOG_FILTER_FILE, "*", LOG_DEBUG);
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", threshold);
	qb_log_format_set(QB_LOG_SYSLOG, "%b");
	if (debug_level >= 2)
		qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_PRIORITY_BUMP, LOG_INFO - LOG_DEBUG);

	qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, to_stderr ? QB_TRUE : QB_FALSE);
	if (to_stderr) {
		qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", threshold);
		qb_log_format_set(QB_LOG_STDERR, "%t %7p %b");
	}
	qb_log_ctl(QB_LOG_BLACKBOX, QB_LOG_CONF_ENABLED, QB_FALSE);
}

void log_close(void)
{
	qb_log_fini();
}

/* Captures what the code under test logs through common/log (libqb), so unit tests can assert on log lines. */
#include "log_capture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

#define LOG_CAPTURE_MAX 512

static char *captured[LOG_CAPTURE_MAX];
static int captured_prio[LOG_CAPTURE_MAX];
static size_t captured_n;

static void capture_fn(int32_t t, struct qb_log_callsite *cs, struct timespec *ts, const char *msg)
{
	(void)t;
	(void)ts;
	if (captured_n < LOG_CAPTURE_MAX) {
		captured_prio[captured_n] = cs->priority;
		captured[captured_n++] = strdup(msg);
	}
}

void log_capture_start(const char *ident)
{
	log_init(ident, false, 1);
	qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, QB_FALSE);
	int32_t t = qb_log_custom_open(capture_fn, NULL, NULL, NULL);
	qb_log_ctl(t, QB_LOG_CONF_ENABLED, QB_TRUE);
	qb_log_filter_ctl(t, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", LOG_DEBUG);
	qb_log_format_set(t, "%b");
}

void log_capture_clear(void)
{
	for (size_t i = 0; i < captured_n; i++)
		free(captured[i]);
	captured_n = 0;
}

void log_capture_stop(void)
{
	log_capture_clear();
	log_close();
}

int log_capture_find(const char *text)
{
	for (size_t i = 0; i < captured_n; i++)
		if (captured[i] != NULL && strstr(captured[i], text) != NULL)
			return captured_prio[i];
	return -1;
}

size_t log_capture_count(const char *text)
{
	size_t n = 0;
	for (size_t i = 0; i < captured_n; i++)
		if (captured[i] != NULL && strstr(captured[i], text) != NULL)
			n++;
	return n;
}

void log_capture_dump(void)
{
	for (size_t i = 0; i < captured_n; i++)
		print_message("log[%zu] %d %s\n", i, captured_prio[i], captured[i]);
}

/* Captures what the code under test logs through common/log (libqb), so unit tests can assert on log lines. */
#ifndef QD_LOG_CAPTURE_H
#define QD_LOG_CAPTURE_H

#include <stddef.h>

/* Opens the log (ident), turns syslog off and every message from debug up into the capture. */
void log_capture_start(const char *ident);
/* Drops what was captured and closes the log. */
void log_capture_stop(void);
/* Forgets what was captured so far. */
void log_capture_clear(void);
/* Priority of the first captured message containing text, or -1. */
int log_capture_find(const char *text);
/* How many captured messages contain text. */
size_t log_capture_count(const char *text);
/* Prints every captured message (for a failing test). */
void log_capture_dump(void);

#endif

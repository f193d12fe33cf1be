/* Logging through libqb: syslog always, stderr in the foreground, upstream's debug switches. */
#ifndef QD_LOG_H
#define QD_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include <qb/qblog.h>

/*
 * debug_level 0: no debug messages; 1: debug messages enabled; 2: also sent
 * to syslog at priority info (upstream's "-d -d").
 */
void log_init(const char *ident, bool to_stderr, int debug_level);
void log_close(void);
/* Turns the stderr copy on or off after log_init (qdevice adds it once cmap answers). */
void log_set_stderr(bool to_stderr);
/* Changes the debug level at run time (qdevice re-reads logging.debug from cmap). */
void log_set_debug_level(int debug_level);

#define log_msg(priority, ...) qb_log((priority), __VA_ARGS__)
#define log_crit(...) qb_log(LOG_CRIT, __VA_ARGS__)
#define log_err(...) qb_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...) qb_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) qb_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) qb_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) qb_log(LOG_DEBUG, __VA_ARGS__)
struct ratelimit;
/*
 * A line about input a peer can repeat at will (a refusal): logged unless rl has let
 * RATELIMIT_BURST lines through in the current window; the first line let through after some were
 * held back ends with "(N similar messages suppressed)" (common/ratelimit.h).
 */
void log_ratelimited(struct ratelimit *rl, uint64_t now_ms, int priority, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* errno-based failure: "<text> (<errno>): <strerror>". */
#define log_errno(priority, text) qb_perror((priority), "%s", (text))

#endif

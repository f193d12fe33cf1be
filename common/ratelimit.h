/* Rate limit for log lines about refused input: a burst per window, then a count of what was held back. */
#ifndef QD_RATELIMIT_H
#define QD_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A hostile peer can make the daemon refuse something thousands of times a second; logging each
 * refusal would flood syslog and cost more than the refusal itself. One ratelimit per kind of
 * refusal lets `burst` lines through per `window_ms`, counts the rest, and hands that count to the
 * first line of a later window so the reader knows lines were held back. Zero-initialised is ready.
 */
struct ratelimit {
	uint64_t window_start_ms;
	unsigned logged;                    /* lines let through in this window */
	unsigned long suppressed;           /* held back since the last line let through */
	bool started;
};

#define RATELIMIT_BURST 10
#define RATELIMIT_WINDOW_MS 10000u

/*
 * True when the caller may log now. *suppressed_out gets the number of lines held back since the
 * last line let through (0 most of the time), to be mentioned in the line.
 */
bool ratelimit_allow(struct ratelimit *rl, uint64_t now_ms, unsigned burst, uint32_t window_ms,
		     unsigned long *suppressed_out);

#endif

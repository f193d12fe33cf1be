/* Rate limit for log lines about refused input: a burst per window, then a count of what was held back. */
#include "ratelimit.h"

bool ratelimit_allow(struct ratelimit *rl, uint64_t now_ms, unsigned burst, uint32_t window_ms,
		     unsigned long *suppressed_out)
{
	*suppressed_out = 0;
	/* A clock that went back (a caller's mistake) opens a new window rather than muting for ever. */
	if (!rl->started || now_ms < rl->window_start_ms || now_ms - rl->window_start_ms >= window_ms) {
		rl->started = true;
		rl->window_start_ms = now_ms;
		rl->logged = 0;
	}
	if (rl->logged >= burst) {
		rl->suppressed++;
		return false;
	}
	rl->logged++;
	*suppressed_out = rl->suppressed;
	rl->suppressed = 0;
	return true;
}
